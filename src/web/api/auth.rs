//! The caller's API key and the scope and tenant checks every endpoint starts with.

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use secrecy::SecretString;

use super::error::ApiError;
use super::extract::ApiPath;
use crate::service::api_keys::{ApiPrincipal, KeyRefusal, Scope};
use crate::service::views::Tenant;
use crate::web::extract::ClientIp;
use crate::web::AppState;

/// The caller's API key. Failed attempts count against the client IP like failed sign-ins (and
/// are audited, boundedly); each accepted request counts against the key's per-minute budget.
pub struct ApiAuth(pub ApiPrincipal);

impl FromRequestParts<AppState> for ApiAuth {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ClientIp(ip) = ClientIp::from_request_parts(parts, state)
            .await
            .unwrap_or(ClientIp("unknown".into()));
        let core = &state.core;
        if core.api_auth_blocked(&ip).await? {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many failed API authentications from this address",
            ));
        }
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|v| SecretString::from(v.trim().to_owned()));
        let principal = match &bearer {
            Some(b) => core.api_principal(b).await?,
            None => None,
        };
        match principal {
            Some(p) => match core.api_key_budget(&p.key).await? {
                None => Ok(ApiAuth(p)),
                Some(secs) => Err(ApiError {
                    retry_after: Some(secs),
                    ..ApiError::new(
                        StatusCode::TOO_MANY_REQUESTS,
                        "too_many_requests",
                        format!(
                            "this API key has used its {} requests for this minute; try again in {secs} s",
                            core.config.raw.api_requests_per_key_per_minute
                        ),
                    )
                }),
            },
            None => {
                core.api_auth_failed(bearer.as_ref(), &ip).await?;
                Err(ApiError::unauthorized())
            }
        }
    }
}

/// The caller's key and the tenant of a `/api/v1/tenants/{tenant}/…` path. The handler asks for
/// the tenant with [`TenantKey::tenant`], naming the scopes it needs, after its other extractors
/// have run: a malformed path, query or body is refused (400) before an unknown tenant (404) or
/// a missing scope (403), as every such endpoint always answered.
pub struct TenantKey {
    pub auth: ApiPrincipal,
    slug: String,
}

impl FromRequestParts<AppState> for TenantKey {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ApiAuth(auth) = ApiAuth::from_request_parts(parts, state).await?;
        let ApiPath(mut segments) =
            ApiPath::<HashMap<String, String>>::from_request_parts(parts, state).await?;
        let slug = segments.remove("tenant").unwrap_or_default();
        Ok(Self { auth, slug })
    }
}

impl TenantKey {
    /// The path's tenant, if this key may use it and has one of `scopes`.
    pub(super) async fn tenant(
        &self,
        state: &AppState,
        scopes: &[Scope],
    ) -> Result<Tenant, ApiError> {
        let tenant = state
            .core
            .enabled_tenant(&self.slug)
            .await?
            .filter(|t| self.auth.may_use(t))
            .ok_or_else(|| ApiError::not_found("there is no such tenant for this key"))?;
        if !scopes.iter().any(|s| self.auth.has_scope(*s)) {
            let names: Vec<_> = scopes.iter().map(|s| s.as_str()).collect();
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                format!("this key lacks the scope {}", names.join(" or ")),
            ));
        }
        Ok(tenant)
    }
}

/// The refusal for a tenant key calling an all-tenants operation.
pub(super) fn all_tenants_required(what: &'static str) -> ApiError {
    KeyRefusal::AllTenantsKeyRequired(what).into()
}

/// The check of a system-wide endpoint: a key with `scope` (else `insufficient_scope`) for all
/// tenants (else `all_tenants_key_required`, saying `what`).
pub(super) fn all_tenants_key(
    auth: &ApiPrincipal,
    scope: Scope,
    what: &'static str,
) -> Result<(), ApiError> {
    if !auth.has_scope(scope) {
        return Err(insufficient_scope(scope));
    }
    if !auth.all_tenants() {
        return Err(all_tenants_required(what));
    }
    Ok(())
}

/// The refusal for a key without `scope`.
pub(super) fn insufficient_scope(scope: Scope) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        format!("this key lacks the scope {scope}"),
    )
}
