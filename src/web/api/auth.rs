//! The caller's API key and the scope and tenant checks every endpoint starts with.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use secrecy::SecretString;

use super::error::ApiError;
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

/// The tenant in the path, if this key may use it and has `scope`.
pub(super) async fn tenant_for(
    state: &AppState,
    auth: &ApiPrincipal,
    slug: &str,
    scopes: &[Scope],
) -> Result<Tenant, ApiError> {
    let tenant = state
        .core
        .enabled_tenant(slug)
        .await?
        .filter(|t| auth.may_use(t))
        .ok_or_else(|| ApiError::not_found("there is no such tenant for this key"))?;
    if !scopes.iter().any(|s| auth.has_scope(*s)) {
        let names: Vec<_> = scopes.iter().map(|s| s.as_str()).collect();
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("this key lacks the scope {}", names.join(" or ")),
        ));
    }
    Ok(tenant)
}

/// The refusal for a tenant key calling an all-tenants operation.
pub(super) fn all_tenants_required(what: &'static str) -> ApiError {
    KeyRefusal::AllTenantsKeyRequired(what).into()
}

/// The refusal for a key without `scope`.
pub(super) fn insufficient_scope(scope: Scope) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        format!("this key lacks the scope {scope}"),
    )
}
