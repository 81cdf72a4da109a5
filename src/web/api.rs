//! `/api/v1`: JSON for other applications, authenticated with `Authorization: Bearer <api key>`.
//!
//! The OpenAPI 3.1 document (`/api/v1/openapi.json`) is generated from these handlers by
//! `utoipa`, and the routes are registered from the same annotations (`utoipa-axum`), so a route
//! can't exist without its description. Every error has one shape:
//! `{"error": {"code": "…", "message": "…"}}`. Handlers call the same service operations as the
//! pages; nothing here has rules of its own.

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::ClientIp;
use super::AppState;
use crate::domain::{
    AccountStatus, DisplayName, EmailAddress, Identifier, Role, TenantSlug, Username,
};
use crate::service::admin_reset::{AdminReset, Recipients, ResetKind, When};
use crate::service::api_keys::{ApiPrincipal, CredentialCheck, KeyRefusal, PasswordChange};
use crate::service::reset::{LinkProblem, RequestOutcome};
use crate::service::user_admin::{ImportReport, ImportRow};
use crate::service::{AccountChanges, CreateAccount, ServiceError};
use crate::store::{self, Account, Tenant};

/// The error body of every failed API call.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: unauthorized, insufficient_scope, all_tenants_key_required, not_found,
    /// method_not_allowed, invalid_json, invalid_query, validation_failed, conflict,
    /// smtp_from_environment, no_tenant_smtp, too_many_requests (with `Retry-After` when a key's
    /// budget is spent), internal.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    /// Seconds for a `Retry-After` header.
    retry_after: Option<i64>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid API key as `Authorization: Bearer <key>`",
        )
    }
    fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
    }
    fn validation(msg: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed", msg)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code,
                    message: self.message,
                },
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(secs) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs.max(1)));
        }
        res
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Internal(e) => {
                tracing::error!(error = format!("{e:#}"), "internal error in the API");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side; it has been logged",
                )
            }
            ServiceError::NotFound(m) => ApiError::not_found(&m),
            ServiceError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, "conflict", m),
            ServiceError::Throttled(m) => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", m)
            }
            other => ApiError::validation(other.to_string()),
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> Self {
        ServiceError::from(e).into()
    }
}

impl From<crate::domain::InvalidInput> for ApiError {
    fn from(e: crate::domain::InvalidInput) -> Self {
        ApiError::validation(e.0)
    }
}

impl From<KeyRefusal> for ApiError {
    fn from(r: KeyRefusal) -> Self {
        match r {
            KeyRefusal::MissingScope(m) => {
                ApiError::new(StatusCode::FORBIDDEN, "insufficient_scope", m)
            }
            KeyRefusal::AllTenantsKeyRequired(m) => {
                ApiError::new(StatusCode::FORBIDDEN, "all_tenants_key_required", m)
            }
        }
    }
}

/// A JSON body, parsed strictly: unknown fields, wrong types, malformed JSON and anything but
/// an object at the top level are a 400 with the reason, never a 500.
pub struct ApiJson<T>(pub T);

/// `T` read only from a JSON object: serde would otherwise fill a struct from an array too
/// (`["alice"]` as `{"username": "alice"}`). Everything else (unknown and repeated fields,
/// types) is still `T`'s own deserialization.
struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Object(std::marker::PhantomData))
            .map(ObjectOnly)
    }
}

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<ObjectOnly<T>>::from_request(req, state).await {
            Ok(Json(ObjectOnly(v))) => Ok(ApiJson(v)),
            Err(e) => {
                let status = match &e {
                    JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    JsonRejection::BytesRejection(_) => StatusCode::PAYLOAD_TOO_LARGE,
                    _ => StatusCode::BAD_REQUEST,
                };
                Err(ApiError::new(status, "invalid_json", e.body_text()))
            }
        }
    }
}

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
async fn tenant_for(
    state: &AppState,
    auth: &ApiPrincipal,
    slug: &str,
    scopes: &[&str],
) -> Result<Tenant, ApiError> {
    let tenant = store::tenants::by_slug(&state.core.db, slug)
        .await?
        .filter(|t| t.enabled && auth.may_use(t))
        .ok_or_else(|| ApiError::not_found("there is no such tenant for this key"))?;
    if !scopes.iter().any(|s| auth.has_scope(s)) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("this key lacks the scope {}", scopes.join(" or ")),
        ));
    }
    Ok(tenant)
}

struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("lk_…")
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Latchkey API", description = "Accounts and password self-service. Authenticate with `Authorization: Bearer <api key>` (create one with `latchkey api-key create`). Lists take `limit` (1–500, default 50) and `offset`. Errors: `{\"error\": {\"code\", \"message\"}}`."),
    modifiers(&BearerScheme),
    security(("api_key" = []))
)]
struct ApiDoc;

/// Every API route, registered together with its OpenAPI description (one list for both).
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(import_users))
        .routes(routes!(send_resets))
        .routes(routes!(get_campaign))
        .routes(routes!(authenticate))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(change_password))
        .routes(routes!(list_tenants, create_tenant))
        .routes(routes!(tenant_audit_log))
        .routes(routes!(system_audit_log))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(campaign_action))
        .routes(routes!(list_tasks))
        .routes(routes!(task_action))
        .routes(routes!(mail_log))
        .routes(routes!(get_tenant_smtp, put_tenant_smtp))
        .routes(routes!(check_tenant_smtp))
        .routes(routes!(get_system_smtp, put_system_smtp))
        .routes(routes!(check_system_smtp))
}

/// The API routes and, at `/api/v1/openapi.json`, the OpenAPI document describing exactly them.
/// A method a route lacks is answered 405 in the API's error shape (with `Allow`).
pub fn router() -> Router<AppState> {
    let (router, spec) = routes().split_for_parts();
    let json = spec.to_pretty_json().unwrap_or_default();
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let json = json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], json) }
            }),
        )
        .method_not_allowed_fallback(method_not_allowed)
}

async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this path doesn't take {method}; the Allow header lists the methods it takes"),
    )
}

/// The generated OpenAPI document (for tests and tooling).
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes().into_openapi()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct User {
    username: String,
    display_name: String,
    email: Option<String>,
    /// The e-mail address for password reset.
    reset_email: Option<String>,
    /// user, tenant-admin or system-admin
    role: String,
    /// active or disabled
    status: String,
    must_change_password: bool,
}

impl From<&Account> for User {
    fn from(a: &Account) -> Self {
        User {
            username: a.username.clone(),
            display_name: a.display_name.clone(),
            email: a.email.clone(),
            reset_email: a.reset_email.clone(),
            role: a.role.as_str().to_owned(),
            status: a.status.as_str().to_owned(),
            must_change_password: a.must_change_password,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserList {
    users: Vec<User>,
    /// The offset of the next page, when there is one.
    next_offset: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Part of a username, name or e-mail address.
    query: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users", tag = "users",
    params(("tenant" = String, Path, description = "tenant slug"), ListQuery),
    responses((status = 200, body = UserList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn list_users(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    Path(slug): Path<String>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<UserList>, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let tenant = tenant_for(&state, &auth, &slug, &["users:read"]).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) || q.offset.is_some_and(|o| o < 0) {
        return Err(ApiError::validation(
            "limit must be 1–500 and offset at least 0",
        ));
    }
    let offset = q.offset.unwrap_or(0);
    let mut found = store::accounts::search(
        &state.core.db,
        tenant.id,
        q.query.as_deref().unwrap_or(""),
        limit + 1,
        offset,
    )
    .await?;
    let more = found.len() as i64 > limit;
    found.truncate(limit as usize);
    Ok(Json(UserList {
        users: found.iter().map(User::from).collect(),
        next_offset: more.then_some(offset.saturating_add(limit)),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    username: String,
    email: Option<String>,
    reset_email: Option<String>,
    display_name: Option<String>,
    /// user (default) or tenant-admin (which needs the scope settings:write as well)
    role: Option<String>,
}

/// A role the API may give: `user` or `tenant-admin` (system administrators are made in the
/// console or with the CLI).
fn api_role(raw: &str) -> Result<Role, ApiError> {
    match raw {
        "user" => Ok(Role::User),
        "tenant-admin" => Ok(Role::TenantAdmin),
        other => Err(ApiError::validation(format!(
            "role `{}` is not user or tenant-admin",
            other.escape_debug()
        ))),
    }
}

/// Creates a user without a password (they use "Forgot password?" or get a reset). Creating a
/// tenant administrator needs the scope `settings:write` as well as `users:write`.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/users", tag = "users", request_body = NewUser,
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_user(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<NewUser>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["users:write"]).await?;
    let role = body.role.as_deref().map_or(Ok(Role::User), api_role)?;
    auth.may_handle_role(role)?;
    let new = CreateAccount {
        username: Username::parse(&body.username)?,
        display_name: body
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose()?,
        email: body.email.as_deref().map(EmailAddress::parse).transpose()?,
        reset_email: body
            .reset_email
            .as_deref()
            .map(EmailAddress::parse)
            .transpose()?,
        password: None,
        role,
    };
    let account = state
        .core
        .create_account(&auth.actor(), &tenant, new)
        .await?;
    Ok((StatusCode::CREATED, Json(User::from(&account))))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/users/{username}", tag = "users",
    params(("tenant" = String, Path, description = "tenant slug"), ("username" = String, Path)),
    responses((status = 200, body = User), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_user(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    Path((slug, username)): Path<(String, String)>,
) -> Result<Json<User>, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["users:read"]).await?;
    let account = state.core.account_by_username(&tenant, &username).await?;
    Ok(Json(User::from(&account)))
}

/// The user named in the path; a name that can't be a username is "not found" too.
async fn user_in(state: &AppState, tenant: &Tenant, username: &str) -> Result<Account, ApiError> {
    if Username::parse(username).is_err() {
        return Err(ApiError::not_found("there is no such user"));
    }
    Ok(state.core.account_by_username(tenant, username).await?)
}

/// Deserializes a field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// Changes to a user: only the fields given change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChange {
    /// The primary e-mail address; `null` removes it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    email: Option<Option<String>>,
    /// The e-mail address for password reset; `null` removes it. Its owner (at the old address,
    /// or the primary one) is told, and outstanding reset links stop working.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    reset_email: Option<Option<String>>,
    /// `null` or "" removes the name.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    display_name: Option<Option<String>>,
    /// user or tenant-admin (tenant administrators need the scope settings:write as well)
    role: Option<String>,
    /// true disables the account (its sessions and reset links end); false enables it.
    disabled: Option<bool>,
}

/// Changes a user. An administrator's account (tenant-admin, or becoming one) needs the scope
/// `settings:write` as well; a system administrator's account only an all-tenants key with it.
#[utoipa::path(patch, path = "/api/v1/tenants/{tenant}/users/{username}", tag = "users", request_body = UserChange,
    params(("tenant" = String, Path, description = "tenant slug"), ("username" = String, Path)),
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn update_user(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path((slug, username)): Path<(String, String)>,
    ApiJson(body): ApiJson<UserChange>,
) -> Result<Json<User>, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["users:write"]).await?;
    let target = user_in(&state, &tenant, &username).await?;
    auth.may_handle_role(target.role)?;
    // Everything is checked before anything changes.
    let address = |what: &str, raw: &Option<String>| -> Result<Option<EmailAddress>, ApiError> {
        raw.as_deref()
            .map(EmailAddress::parse)
            .transpose()
            .map_err(|e| ApiError::validation(format!("{what}: {}", e.0)))
    };
    let email = body
        .email
        .as_ref()
        .map(|e| address("email", e))
        .transpose()?;
    let reset_email = body
        .reset_email
        .as_ref()
        .map(|e| address("reset_email", e))
        .transpose()?;
    let display_name = body
        .display_name
        .as_ref()
        .map(|d| DisplayName::parse(d.as_deref().unwrap_or("")))
        .transpose()
        .map_err(|e| ApiError::validation(format!("display_name: {}", e.0)))?;
    let role = match body.role.as_deref() {
        Some(r) if r == target.role.as_str() => None,
        Some(r) => Some(api_role(r)?),
        None => None,
    };
    if let Some(r) = role {
        auth.may_handle_role(r)?;
    }
    let status = body.disabled.map(|d| {
        if d {
            AccountStatus::Disabled
        } else {
            AccountStatus::Active
        }
    });
    // Only what differs counts as a change (as on the console's page).
    let as_str = |e: &Option<EmailAddress>| e.as_ref().map(|e| e.as_str().to_owned());
    let changes = AccountChanges {
        display_name: display_name.filter(|d| d.as_str() != target.display_name),
        email: email.filter(|e| as_str(e) != target.email),
        reset_email: reset_email.filter(|e| as_str(e) != target.reset_email),
        role,
    };
    let status = status.filter(|s| *s != target.status);
    let profile_changes = changes.display_name.is_some()
        || changes.email.is_some()
        || changes.reset_email.is_some()
        || changes.role.is_some();
    if !profile_changes && status.is_none() {
        return Ok(Json(User::from(&target)));
    }
    // Profile, role and status in one transaction: all of it lands, or none.
    let account = state
        .core
        .admin_change_account(
            &auth.actor(),
            &tenant,
            target,
            profile_changes.then_some(changes),
            status,
            Some(&ip),
        )
        .await?;
    Ok(Json(User::from(&account)))
}

/// Deletes a user; their sessions and reset links end with the account. The same extra scope
/// rules as for changes apply to administrators' accounts.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/users/{username}", tag = "users",
    params(("tenant" = String, Path, description = "tenant slug"), ("username" = String, Path)),
    responses((status = 204, description = "deleted"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn delete_user(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path((slug, username)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["users:write"]).await?;
    let target = user_in(&state, &tenant, &username).await?;
    auth.may_handle_role(target.role)?;
    state
        .core
        .delete_account(&auth.actor(), &tenant, &target, Some(&ip))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserImport {
    /// The CSV text: a header naming the columns (username, email, reset_email, display_name,
    /// role — any order, only username required), then one user per line; at most 5000 rows
    /// and the server's request size limit (`max_body_bytes`).
    csv: String,
    /// Only check the rows; create nothing.
    #[serde(default)]
    dry_run: bool,
}

/// What an import did or would do.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResult {
    dry_run: bool,
    /// Accounts created: all rows, or none.
    imported: usize,
    /// A problem with the file as a whole (no header, an unknown column, too many rows).
    file_error: Option<String>,
    rows: Vec<ImportedRow>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedRow {
    /// The line in the file (the header is line 1).
    line: u64,
    username: String,
    email: String,
    reset_email: String,
    display_name: String,
    role: String,
    /// Empty when the row is fine.
    errors: Vec<String>,
}

impl From<ImportReport> for ImportResult {
    fn from(r: ImportReport) -> Self {
        ImportResult {
            dry_run: r.dry_run,
            imported: r.imported,
            file_error: r.error,
            rows: r
                .rows
                .into_iter()
                .map(|row: ImportRow| ImportedRow {
                    line: row.line,
                    username: row.username,
                    email: row.email,
                    reset_email: row.reset_email,
                    display_name: row.display_name,
                    role: row.role,
                    errors: row.errors,
                })
                .collect(),
        }
    }
}

/// A refused import: the error, and the report with each row's problems.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportRefused {
    error: ErrorDetail,
    report: ImportResult,
}

/// Imports users from CSV, like the console's import page and `latchkey user import`: every
/// row is checked, and either all are created or — when any row is wrong — none (422 with the
/// report). `dry_run` only checks. Imported users have no password. Rows with the role
/// tenant-admin need the scope `settings:write` as well. (A user called `import` is reached at
/// `…/users/%69mport`.)
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/users/import", tag = "users", request_body = UserImport,
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = ImportResult, description = "imported, or (dry run) every row is fine"), (status = 400, body = ErrorBody),
               (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody),
               (status = 422, body = ImportRefused, description = "nothing was imported; see the rows' errors")))]
async fn import_users(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<UserImport>,
) -> Result<Response, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["users:write"]).await?;
    let refuse_admins = auth
        .may_handle_role(Role::TenantAdmin)
        .err()
        .map(|_| "a tenant administrator needs a key with the scope settings:write as well");
    let report = state
        .core
        .import_users_with(
            &auth.actor(),
            &tenant,
            &body.csv,
            body.dry_run,
            Some(&ip),
            refuse_admins,
        )
        .await?;
    let message = if let Some(e) = &report.error {
        format!("Nothing was imported. {e}")
    } else if !report.ok() {
        format!(
            "Nothing was imported: {} of {} rows have errors.",
            report.bad_rows(),
            report.rows.len()
        )
    } else {
        return Ok(Json(ImportResult::from(report)).into_response());
    };
    Ok((
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(ImportRefused {
            error: ErrorDetail {
                code: "validation_failed",
                message,
            },
            report: report.into(),
        }),
    )
        .into_response())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    /// Usernames or e-mail addresses.
    users: Option<Vec<String>>,
    /// Every user of the tenant (instead of `users`).
    all: Option<bool>,
    /// link (default), temporary-password or request-link
    kind: Option<String>,
    /// Validity from sending, 30m to 7d (default 24h); not used for request-link.
    valid_for: Option<String>,
    /// Send at this time (RFC 3339); default now.
    at: Option<String>,
    /// Send after the tenant's admin reset delay.
    delay: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Campaign {
    id: i64,
    kind: String,
    /// Unix time (UTC).
    scheduled_at: i64,
    valid_for_secs: i64,
    /// Mail tasks by status (waiting, executing, done, failed, cancelled).
    counts: BTreeMap<String, i64>,
    recipients: Vec<Recipient>,
    skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Recipient {
    task: i64,
    address: String,
    status: String,
    attempts: i64,
    last_error: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Skipped {
    identifier: String,
    reason: String,
}

async fn campaign_json(state: &AppState, tenant: &Tenant, id: i64) -> Result<Campaign, ApiError> {
    let c = state.core.campaign_in_scope(Some(tenant), id).await?;
    let counts = store::mail::counts(&state.core.db, Some(tenant.id), Some(id)).await?;
    let tasks = store::mail::list(
        &state.core.db,
        &store::mail::Filter {
            tenant_id: Some(tenant.id),
            campaign_id: Some(id),
            limit: 100_000,
            ..Default::default()
        },
    )
    .await?;
    let skipped = store::campaigns::skipped(&state.core.db, id).await?;
    Ok(Campaign {
        id: c.id,
        kind: c.kind,
        scheduled_at: c.scheduled_at,
        valid_for_secs: c.valid_for_secs,
        counts: counts.into_iter().collect(),
        recipients: tasks
            .into_iter()
            .rev()
            .map(|t| Recipient {
                task: t.id,
                address: t.recipient,
                status: t.status,
                attempts: t.attempts,
                last_error: t.last_error,
            })
            .collect(),
        skipped: skipped
            .into_iter()
            .map(|s| Skipped {
                identifier: s.identifier,
                reason: s.reason,
            })
            .collect(),
    })
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/resets", tag = "resets", request_body = ResetRequest,
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 201, body = Campaign), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn send_resets(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<(StatusCode, Json<Campaign>), ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["resets:send"]).await?;
    let kind = ResetKind::parse(body.kind.as_deref().unwrap_or("link"))?;
    let recipients = match (body.all, body.users) {
        (Some(true), None) => Recipients::All,
        (None | Some(false), Some(users)) if !users.is_empty() => {
            if users.len() > crate::service::admin_reset::MAX_RECIPIENTS {
                return Err(ApiError::validation("too many users in one request"));
            }
            Recipients::Identifiers(users)
        }
        _ => {
            return Err(ApiError::validation(
                "give either `users` (a non-empty list) or `all: true`",
            ))
        }
    };
    let valid_for_secs =
        crate::domain::parse_duration("valid_for", body.valid_for.as_deref().unwrap_or("24h"))?
            .as_secs() as i64;
    let when = match (body.at, body.delay) {
        (Some(at), None | Some(false)) => {
            let t =
                time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| {
                        ApiError::validation(format!(
                            "at: `{}` is not an RFC 3339 time",
                            at.escape_debug()
                        ))
                    })?;
            When::At(t.unix_timestamp())
        }
        (None, Some(true)) => When::AfterDelay,
        (None, None | Some(false)) => When::Now,
        (Some(_), Some(true)) => {
            return Err(ApiError::validation("give `at` or `delay`, not both"))
        }
    };
    let request = AdminReset {
        kind,
        when,
        valid_for_secs,
        recipients,
        custom: None,
        may_reset_system_admins: auth.key.tenant_id.is_none(),
    };
    let id = state
        .core
        .create_campaign(&auth.actor(), &tenant, request, Some(&ip))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(campaign_json(&state, &tenant, id).await?),
    ))
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/campaigns/{id}", tag = "resets",
    params(("tenant" = String, Path, description = "tenant slug"), ("id" = i64, Path)),
    responses((status = 200, body = Campaign), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_campaign(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    Path((slug, id)): Path<(String, i64)>,
) -> Result<Json<Campaign>, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["resets:send", "mail:read"]).await?;
    Ok(Json(campaign_json(&state, &tenant, id).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Username or e-mail address.
    username: String,
    password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialsResult {
    /// True only for a usable password: a temporary one (or one an administrator set) must be
    /// changed first and is answered with `authenticated: false, must_change_password: true`.
    authenticated: bool,
    /// The password was right but must be changed (on the sign-in page) before it counts.
    must_change_password: bool,
}

#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/authenticate", tag = "authentication", request_body = Credentials,
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = CredentialsResult, description = "checked; see `authenticated`"), (status = 400, body = ErrorBody),
               (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
               (status = 422, body = ErrorBody, description = "`username` empty, over 254 characters or not one line; `password` over 4096 bytes"), (status = 429, body = ErrorBody)))]
async fn authenticate(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Json<CredentialsResult>, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["auth:check"]).await?;
    let identifier = api_identifier("username", &body.username)?;
    if body.password.len() > 4096 {
        return Err(ApiError::validation("password too long"));
    }
    match state
        .core
        .check_credentials(&tenant, &identifier, SecretString::from(body.password), &ip)
        .await?
    {
        CredentialCheck::Valid => Ok(Json(CredentialsResult {
            authenticated: true,
            must_change_password: false,
        })),
        CredentialCheck::MustChange => Ok(Json(CredentialsResult {
            authenticated: false,
            must_change_password: true,
        })),
        CredentialCheck::Invalid => Ok(Json(CredentialsResult {
            authenticated: false,
            must_change_password: false,
        })),
        CredentialCheck::Throttled => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "too many attempts for this account or address; try later",
        )),
    }
}

/// A username or e-mail address from a request body: refused (422, naming the field) when
/// empty, over 254 characters or not on one line — for any text, whether an account has it or not.
fn api_identifier(field: &str, raw: &str) -> Result<Identifier, ApiError> {
    Identifier::parse(raw).map_err(|e| ApiError::validation(format!("{field}: {}", e.0)))
}

/// A tenant for the self-service endpoints: exists and is enabled.
async fn public_tenant(state: &AppState, slug: &str) -> Result<Tenant, ApiError> {
    store::tenants::by_slug(&state.core.db, slug)
        .await?
        .filter(|t| t.enabled)
        .ok_or_else(|| ApiError::not_found("there is no such tenant"))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Message {
    message: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForgotPassword {
    /// Username or e-mail address, as the person typed it.
    identifier: String,
}

/// Self-service "Forgot password?" for single-page clients. No API key. The answer is the same
/// whatever the account's state; the lookup and mail happen in the background.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/forgot-password", tag = "self-service", request_body = ForgotPassword, security(()),
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 202, body = Message), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody, description = "password reset is switched off"),
               (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn forgot_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ForgotPassword>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let tenant = public_tenant(&state, &slug).await?;
    if !tenant.settings.password_reset_enabled {
        state
            .core
            .reset_unavailable(&tenant, Some(&body.identifier), &ip)
            .await;
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "reset_disabled",
            "password reset is not available for this organisation",
        ));
    }
    let identifier = api_identifier("identifier", &body.identifier)?;
    match state
        .core
        .request_reset(&tenant, identifier.as_typed(), &ip)
        .await?
    {
        RequestOutcome::Accepted => Ok((
            StatusCode::ACCEPTED,
            Json(Message {
                message: format!(
                    "If an account matches, we've sent a link to its reset address. It is valid for {}.",
                    state.core.reset_validity(&tenant)
                ),
            }),
        )),
        RequestOutcome::Throttled => Err(ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", "too many requests; try again later")),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    /// The token from the reset link.
    token: String,
    new_password: String,
    confirm_password: String,
}

fn link_error(problem: LinkProblem) -> ApiError {
    match problem {
        LinkProblem::Throttled => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "too many attempts; try again later",
        ),
        LinkProblem::Expired => ApiError::new(
            StatusCode::GONE,
            "link_expired",
            "this reset link has expired; request a new one",
        ),
        _ => ApiError::new(
            StatusCode::GONE,
            "link_invalid",
            "this reset link has expired, was already used, or was replaced by a newer one",
        ),
    }
}

/// Sets a new password with the token from a reset link. No API key. Same rules as the page:
/// single use, every session ends, a notice is mailed, no sign-in follows.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/reset", tag = "self-service", request_body = ResetPassword, security(()),
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = Message), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
               (status = 410, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn reset_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ResetPassword>,
) -> Result<Json<Message>, ApiError> {
    let tenant = public_tenant(&state, &slug).await?;
    let core = &state.core;
    let opened = core
        .open_reset_link(&tenant, &SecretString::from(body.token), &ip)
        .await?;
    let state_secret = opened.map_err(link_error)?;
    match core
        .complete_reset(
            &tenant,
            &state_secret,
            SecretString::from(body.new_password),
            SecretString::from(body.confirm_password),
            &ip,
        )
        .await?
    {
        Ok(_) => Ok(Json(Message {
            message: "The password was changed; every session of the account has ended.".into(),
        })),
        Err(problem) => Err(link_error(problem)),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// Username or e-mail address.
    username: String,
    current_password: String,
    new_password: String,
    confirm_password: String,
}

/// Changes a password with the current one. No API key; throttled like sign-in. The other
/// sessions of the account end and a notice is mailed.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/password", tag = "self-service", request_body = ChangePassword, security(()),
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = Message), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody, description = "wrong username or current password"),
               (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn change_password(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<ChangePassword>,
) -> Result<Json<Message>, ApiError> {
    let tenant = public_tenant(&state, &slug).await?;
    let identifier = api_identifier("username", &body.username)?;
    if body.current_password.len() > 4096 {
        return Err(ApiError::validation("current_password: too long"));
    }
    let outcome = state
        .core
        .change_password_with_credentials(
            &tenant,
            &identifier,
            SecretString::from(body.current_password),
            SecretString::from(body.new_password),
            SecretString::from(body.confirm_password),
            &ip,
        )
        .await?;
    match outcome {
        PasswordChange::Changed => Ok(Json(Message {
            message: "The password was changed.".into(),
        })),
        PasswordChange::InvalidCredentials => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "the username or current password is not correct",
        )),
        PasswordChange::Throttled => Err(ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "too many attempts; try again later",
        )),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantInfo {
    slug: String,
    display_name: String,
    enabled: bool,
    password_reset_enabled: bool,
}

/// Tenants this key may use: its own, or all for an all-tenants key.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants",
    responses((status = 200, body = Vec<TenantInfo>), (status = 401, body = ErrorBody)))]
async fn list_tenants(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
) -> Result<Json<Vec<TenantInfo>>, ApiError> {
    let tenants = store::tenants::list(&state.core.db).await?;
    Ok(Json(
        tenants
            .into_iter()
            .filter(|t| auth.may_use(t))
            .map(TenantInfo::from)
            .collect(),
    ))
}

impl From<Tenant> for TenantInfo {
    fn from(t: Tenant) -> Self {
        TenantInfo {
            slug: t.slug,
            display_name: t.display_name,
            enabled: t.enabled,
            password_reset_enabled: t.settings.password_reset_enabled,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// The short name in addresses: 1–63 lowercase letters, digits and dashes.
    slug: String,
    /// The name people see (default: the slug).
    name: Option<String>,
}

/// The refusal for a tenant key calling an all-tenants operation.
fn all_tenants_required(what: &'static str) -> ApiError {
    KeyRefusal::AllTenantsKeyRequired(what).into()
}

/// The refusal for a key without `scope`.
fn insufficient_scope(scope: &str) -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        "insufficient_scope",
        format!("this key lacks the scope {scope}"),
    )
}

/// Creates a tenant (with default settings; its public URL is set with `latchkey tenant set`).
/// Only an all-tenants key with the scope `settings:write`.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", request_body = NewTenant,
    responses((status = 201, body = TenantInfo), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
               (status = 403, body = ErrorBody, description = "insufficient_scope, or all_tenants_key_required for a tenant's key"),
               (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_tenant(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<NewTenant>,
) -> Result<(StatusCode, Json<TenantInfo>), ApiError> {
    if !auth.has_scope("settings:write") {
        return Err(insufficient_scope("settings:write"));
    }
    if !auth.all_tenants() {
        return Err(all_tenants_required(
            "only a key for all tenants (`latchkey api-key create --all-tenants`) may create tenants",
        ));
    }
    let slug = TenantSlug::parse(&body.slug)?;
    let name = match body.name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(
            DisplayName::parse(n).map_err(|e| ApiError::validation(format!("name: {}", e.0)))?,
        ),
    };
    let tenant = state
        .core
        .create_tenant_from(&auth.actor(), &slug, name.as_ref(), None, Some(&ip))
        .await?;
    Ok((StatusCode::CREATED, Json(TenantInfo::from(tenant))))
}

/// Outcomes an audit event can have.
const AUDIT_OUTCOMES: [&str; 4] = ["success", "failure", "refused", "throttled"];

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The action or its start: `account` matches account.created, account.deleted, ….
    action: Option<String>,
    /// Part of the actor (`alice@acme`, `cli`, `api-key:3:HR sync`).
    actor: Option<String>,
    /// Part of the target (a username, a tenant).
    target: Option<String>,
    /// success, failure, refused or throttled.
    outcome: Option<String>,
    /// From this day (YYYY-MM-DD, UTC, inclusive) or time (RFC 3339).
    since: Option<String>,
    /// Up to this day (YYYY-MM-DD, UTC, inclusive) or time (RFC 3339).
    until: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SystemAuditQuery {
    /// Only this tenant's events (its slug).
    tenant: Option<String>,
    /// The action or its start: `account` matches account.created, account.deleted, ….
    action: Option<String>,
    /// Part of the actor (`alice@acme`, `cli`, `api-key:3:HR sync`).
    actor: Option<String>,
    /// Part of the target (a username, a tenant).
    target: Option<String>,
    /// success, failure, refused or throttled.
    outcome: Option<String>,
    /// From this day (YYYY-MM-DD, UTC, inclusive) or time (RFC 3339).
    since: Option<String>,
    /// Up to this day (YYYY-MM-DD, UTC, inclusive) or time (RFC 3339).
    until: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

/// A day (its first second, or with `end` its last) or an RFC 3339 time, as Unix time.
fn audit_time(what: &str, raw: &str, end: bool) -> Result<i64, ApiError> {
    let raw = raw.trim();
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(raw, &day) {
        let start = d.midnight().assume_utc().unix_timestamp();
        return Ok(if end { start + 86_399 } else { start });
    }
    time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| {
            ApiError::validation(format!(
                "{what}: `{}` is not a date like 2026-11-22 or an RFC 3339 time",
                raw.escape_debug()
            ))
        })
}

impl AuditQuery {
    fn filter(&self, tenant_id: Option<i64>) -> Result<store::audit::Filter, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) || self.offset.is_some_and(|o| o < 0) {
            return Err(ApiError::validation(
                "limit must be 1–500 and offset at least 0",
            ));
        }
        let blank = |o: &Option<String>| {
            o.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let outcome = blank(&self.outcome);
        if let Some(o) = outcome.as_deref().filter(|o| !AUDIT_OUTCOMES.contains(o)) {
            return Err(ApiError::validation(format!(
                "outcome `{}` is not one of {}",
                o.escape_debug(),
                AUDIT_OUTCOMES.join(", ")
            )));
        }
        Ok(store::audit::Filter {
            tenant_id,
            action: blank(&self.action),
            actor: blank(&self.actor),
            target: blank(&self.target),
            outcome,
            since: blank(&self.since)
                .map(|s| audit_time("since", &s, false))
                .transpose()?,
            until: blank(&self.until)
                .map(|s| audit_time("until", &s, true))
                .transpose()?,
            // One more, to tell whether there is a next page.
            limit: limit + 1,
            offset: self.offset.unwrap_or(0),
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEvent {
    id: i64,
    /// Unix time (UTC).
    at: i64,
    /// The tenant's slug; none for system events.
    tenant: Option<String>,
    actor: String,
    action: String,
    target: Option<String>,
    ip: Option<String>,
    /// success, failure, refused or throttled
    outcome: String,
    /// Details of the event (never a password, token or key).
    #[schema(value_type = Object)]
    detail: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    /// Newest first.
    events: Vec<AuditEvent>,
    /// The offset of the next page, when there is one.
    next_offset: Option<i64>,
}

async fn audit_page(
    state: &AppState,
    filter: store::audit::Filter,
    tenants: &[Tenant],
) -> Result<AuditLog, ApiError> {
    let mut rows = store::audit::search(&state.core.db, &filter).await?;
    let limit = filter.limit - 1;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let slug = |id: Option<i64>| {
        id.and_then(|id| tenants.iter().find(|t| t.id == id))
            .map(|t| t.slug.clone())
    };
    Ok(AuditLog {
        events: rows
            .into_iter()
            .map(|e| AuditEvent {
                id: e.id,
                at: e.at,
                tenant: slug(e.tenant_id),
                detail: serde_json::from_str(&e.detail)
                    .unwrap_or(serde_json::Value::String(e.detail)),
                actor: e.actor,
                action: e.action,
                target: e.target,
                ip: e.ip,
                outcome: e.outcome,
            })
            .collect(),
        next_offset: more.then_some(filter.offset.saturating_add(limit)),
    })
}

/// The tenant's audit log, newest first: who did what to whom, when, from where, and how it
/// ended — with the console's filters.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/audit-log", tag = "audit",
    params(("tenant" = String, Path, description = "tenant slug"), AuditQuery),
    responses((status = 200, body = AuditLog), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn tenant_audit_log(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    Path(slug): Path<String>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditLog>, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let tenant = tenant_for(&state, &auth, &slug, &["audit:read"]).await?;
    let filter = q.filter(Some(tenant.id))?;
    Ok(Json(
        audit_page(&state, filter, std::slice::from_ref(&tenant)).await?,
    ))
}

/// Every tenant's and the system's audit log (or one tenant's with `tenant`), newest first.
/// Only an all-tenants key with the scope `audit:read`.
#[utoipa::path(get, path = "/api/v1/audit-log", tag = "audit",
    params(SystemAuditQuery),
    responses((status = 200, body = AuditLog), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
               (status = 403, body = ErrorBody, description = "insufficient_scope, or all_tenants_key_required for a tenant's key"),
               (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn system_audit_log(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    query: Result<Query<SystemAuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditLog>, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    if !auth.has_scope("audit:read") {
        return Err(insufficient_scope("audit:read"));
    }
    if !auth.all_tenants() {
        return Err(all_tenants_required(
            "the system-wide audit log is for keys for all tenants; use /api/v1/tenants/{tenant}/audit-log",
        ));
    }
    let tenants = store::tenants::list(&state.core.db).await?;
    let tenant_id = match q.tenant.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(slug) => Some(
            tenants
                .iter()
                .find(|t| t.slug == slug)
                .map(|t| t.id)
                .ok_or_else(|| ApiError::not_found("there is no such tenant"))?,
        ),
    };
    let q = AuditQuery {
        action: q.action,
        actor: q.actor,
        target: q.target,
        outcome: q.outcome,
        since: q.since,
        until: q.until,
        limit: q.limit,
        offset: q.offset,
    };
    let filter = q.filter(tenant_id)?;
    Ok(Json(audit_page(&state, filter, &tenants).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Settings {
    password_reset_enabled: bool,
    /// Seconds.
    reset_link_ttl_secs: i64,
    password_min_length: i64,
    /// Seconds.
    admin_reset_delay_secs: i64,
    reset_fallback_to_primary: bool,
    /// en or de
    default_language: String,
    public_url: Option<String>,
}

fn settings_of(t: &Tenant) -> Settings {
    let s = &t.settings;
    Settings {
        password_reset_enabled: s.password_reset_enabled,
        reset_link_ttl_secs: s.reset_link_ttl_secs,
        password_min_length: s.password_min_length,
        admin_reset_delay_secs: s.admin_reset_delay_secs,
        reset_fallback_to_primary: s.reset_fallback_to_primary,
        default_language: s.default_language.as_str().to_owned(),
        public_url: t.public_url.clone(),
    }
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/settings", tag = "tenants",
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = Settings), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_settings(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    Path(slug): Path<String>,
) -> Result<Json<Settings>, ApiError> {
    let tenant = tenant_for(
        &state,
        &auth,
        &slug,
        &["settings:write", "users:read", "mail:read"],
    )
    .await?;
    Ok(Json(settings_of(&tenant)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    password_reset_enabled: Option<bool>,
    /// e.g. 30m (5m to 24h)
    reset_link_ttl: Option<String>,
    /// 8 to 64
    password_min_length: Option<i64>,
    /// e.g. 10m (0 to 7d)
    admin_reset_delay: Option<String>,
    reset_fallback_to_primary: Option<bool>,
    /// en or de
    default_language: Option<String>,
}

/// Changes the fields given; the others keep their value. The public URL is not changeable
/// here: reset links are built from it (an operator sets it with `latchkey tenant set`).
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/settings", tag = "tenants", request_body = SettingsChange,
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = Settings), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn put_settings(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<SettingsChange>,
) -> Result<Json<Settings>, ApiError> {
    let mut tenant = tenant_for(&state, &auth, &slug, &["settings:write"]).await?;
    let before = tenant.settings.clone();
    let s = &mut tenant.settings;
    if let Some(v) = body.password_reset_enabled {
        s.password_reset_enabled = v;
    }
    if let Some(v) = &body.reset_link_ttl {
        s.reset_link_ttl_secs =
            crate::domain::parse_duration("reset_link_ttl", v)?.as_secs() as i64;
    }
    if let Some(v) = body.password_min_length {
        s.password_min_length = v;
    }
    if let Some(v) = &body.admin_reset_delay {
        s.admin_reset_delay_secs =
            crate::domain::parse_duration("admin_reset_delay", v)?.as_secs() as i64;
    }
    if let Some(v) = body.reset_fallback_to_primary {
        s.reset_fallback_to_primary = v;
    }
    if let Some(v) = &body.default_language {
        s.default_language = v.parse()?;
    }
    state
        .core
        .update_tenant_from(&auth.actor(), &tenant, &before, Some(&ip))
        .await?;
    Ok(Json(settings_of(&tenant)))
}

/// Cancels the waiting mail of a campaign (`cancel`) or queues its failed mail again
/// (`redo-failed`).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/campaigns/{id}/{action}", tag = "resets",
    params(("tenant" = String, Path, description = "tenant slug"), ("id" = i64, Path), ("action" = String, Path, description = "cancel or redo-failed")),
    responses((status = 200, body = Campaign), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn campaign_action(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path((slug, id, action)): Path<(String, i64, String)>,
) -> Result<Json<Campaign>, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["resets:send"]).await?;
    match action.as_str() {
        "cancel" => {
            state
                .core
                .cancel_campaign(&auth.actor(), &tenant, id, Some(&ip))
                .await?
        }
        "redo-failed" => {
            state
                .core
                .redo_campaign_failures(&auth.actor(), &tenant, id, Some(&ip))
                .await?
        }
        _ => return Err(ApiError::not_found("the action is cancel or redo-failed")),
    };
    Ok(Json(campaign_json(&state, &tenant, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct MailQuery {
    /// Tasks: waiting, executing, done, failed, cancelled. Mail log: success or failure.
    status: Option<String>,
    /// A mail kind, e.g. reset_link.
    kind: Option<String>,
    /// Part of the recipient address.
    recipient: Option<String>,
    limit: Option<i64>,
    offset: Option<i64>,
}

impl MailQuery {
    fn filter(&self, tenant: &Tenant, statuses: &[&str]) -> Result<store::mail::Filter, ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=500).contains(&limit) || self.offset.is_some_and(|o| o < 0) {
            return Err(ApiError::validation(
                "limit must be 1–500 and offset at least 0",
            ));
        }
        if let Some(s) = self.status.as_deref().filter(|s| !statuses.contains(s)) {
            return Err(ApiError::validation(format!(
                "status `{}` is not one of {}",
                s.escape_debug(),
                statuses.join(", ")
            )));
        }
        if let Some(k) = &self.kind {
            k.parse::<crate::mail::templates::MailKind>()?;
        }
        Ok(store::mail::Filter {
            tenant_id: Some(tenant.id),
            status: self.status.clone(),
            kind: self.kind.clone(),
            recipient: self.recipient.clone(),
            limit,
            offset: self.offset.unwrap_or(0),
            ..Default::default()
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskInfo {
    id: i64,
    kind: String,
    recipient: String,
    /// Never contains a secret.
    subject: String,
    status: String,
    scheduled_at: i64,
    next_attempt_at: i64,
    attempts: i64,
    max_attempts: i64,
    last_error: Option<String>,
    campaign_id: Option<i64>,
}

impl From<store::mail::Task> for TaskInfo {
    fn from(t: store::mail::Task) -> Self {
        TaskInfo {
            id: t.id,
            kind: t.kind,
            recipient: t.recipient,
            subject: t.subject,
            status: t.status,
            scheduled_at: t.scheduled_at,
            next_attempt_at: t.next_attempt_at,
            attempts: t.attempts,
            max_attempts: t.max_attempts,
            last_error: t.last_error,
            campaign_id: t.campaign_id,
        }
    }
}

/// The tenant's scheduled mail, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/tasks", tag = "mail",
    params(("tenant" = String, Path, description = "tenant slug"), MailQuery),
    responses((status = 200, body = Vec<TaskInfo>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_tasks(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    Path(slug): Path<String>,
    query: Result<Query<MailQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<TaskInfo>>, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let tenant = tenant_for(&state, &auth, &slug, &["mail:read"]).await?;
    let filter = q.filter(
        &tenant,
        &["waiting", "executing", "done", "failed", "cancelled"],
    )?;
    let tasks = store::mail::list(&state.core.db, &filter).await?;
    Ok(Json(tasks.into_iter().map(TaskInfo::from).collect()))
}

/// Queues a failed or done mail again (`redo`) or cancels a waiting one (`cancel`).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/tasks/{id}/{action}", tag = "mail",
    params(("tenant" = String, Path, description = "tenant slug"), ("id" = i64, Path), ("action" = String, Path, description = "redo or cancel")),
    responses((status = 200, body = TaskInfo), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
               (status = 422, body = ErrorBody)))]
async fn task_action(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path((slug, id, action)): Path<(String, i64, String)>,
) -> Result<Json<TaskInfo>, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["resets:send"]).await?;
    match action.as_str() {
        "redo" => {
            state
                .core
                .redo_task(&auth.actor(), Some(&tenant), id, Some(&ip))
                .await?
        }
        "cancel" => {
            state
                .core
                .cancel_task(&auth.actor(), Some(&tenant), id, Some(&ip))
                .await?
        }
        _ => return Err(ApiError::not_found("the action is redo or cancel")),
    }
    Ok(Json(TaskInfo::from(
        state.core.task_in_scope(Some(&tenant), id).await?,
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attempt {
    at: i64,
    task: Option<i64>,
    kind: String,
    recipient: String,
    subject: String,
    success: bool,
    smtp_code: Option<i64>,
    smtp_reply: String,
    step: Option<String>,
    duration_ms: i64,
}

/// The tenant's delivery attempts with the mail server's replies, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/mail-log", tag = "mail",
    params(("tenant" = String, Path, description = "tenant slug"), MailQuery),
    responses((status = 200, body = Vec<Attempt>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn mail_log(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    Path(slug): Path<String>,
    query: Result<Query<MailQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Attempt>>, ApiError> {
    let Query(q) = query
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", e.body_text()))?;
    let tenant = tenant_for(&state, &auth, &slug, &["mail:read"]).await?;
    let filter = q.filter(&tenant, &["success", "failure"])?;
    let rows = store::mail::log_list(&state.core.db, &filter).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| Attempt {
                at: r.at,
                task: r.task_id,
                kind: r.kind,
                recipient: r.recipient,
                subject: r.subject,
                success: r.success != 0,
                smtp_code: r.smtp_code,
                smtp_reply: r.smtp_reply,
                step: r.step,
                duration_ms: r.duration_ms,
            })
            .collect(),
    ))
}

// SMTP settings: the same service operations as the SMTP pages and `latchkey smtp`.

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::OptionalFromRequest<S>
    for ApiJson<T>
{
    type Rejection = ApiError;
    /// No body at all (no `Content-Type`, no length, not chunked) is `None`; anything else is
    /// parsed as strictly as a required body.
    async fn from_request(req: Request, state: &S) -> Result<Option<Self>, Self::Rejection> {
        let h = req.headers();
        let empty = h.get(header::CONTENT_TYPE).is_none()
            && h.get(header::TRANSFER_ENCODING).is_none()
            && h.get(header::CONTENT_LENGTH)
                .is_none_or(|v| v.as_bytes() == b"0");
        if empty {
            return Ok(None);
        }
        <ApiJson<T> as FromRequest<S>>::from_request(req, state)
            .await
            .map(Some)
    }
}

/// SMTP settings as the API shows them. The password only as `set` or `not set`: never the
/// password, its ciphertext or a reference.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmtpView {
    /// System settings: send mail at all. A tenant's own server: send this tenant's mail
    /// through it instead of the system's server.
    enabled: bool,
    host: String,
    port: u16,
    /// starttls, tls (implicit, usually port 465) or none (unencrypted)
    security: &'static str,
    /// Sign in to the server.
    auth: bool,
    username: String,
    /// `set` or `not set`.
    password: &'static str,
    from_address: String,
    from_name: String,
    reply_to: String,
    /// Empty: `localhost`.
    helo_name: String,
    timeout_secs: u64,
    /// PEM of an extra CA trusted for this server (an internal mail server's); empty when none.
    extra_ca_pem: String,
    /// Mails per hour at most through this server; 0 = no limit.
    max_per_hour: u32,
}

fn smtp_view(s: &crate::mail::SmtpSettings, password_set: bool) -> SmtpView {
    SmtpView {
        enabled: s.enabled,
        host: s.host.clone(),
        port: s.port,
        security: s.security.as_str(),
        auth: s.auth,
        username: s.username.clone(),
        password: if password_set { "set" } else { "not set" },
        from_address: s.from_address.clone(),
        from_name: s.from_name.clone(),
        reply_to: s.reply_to.clone(),
        helo_name: s.helo_name.clone(),
        timeout_secs: s.timeout_secs,
        extra_ca_pem: s.extra_ca_pem.clone(),
        max_per_hour: s.max_per_hour,
    }
}

fn source_name(source: crate::service::SmtpSource) -> &'static str {
    use crate::service::SmtpSource;
    match source {
        SmtpSource::Environment => "environment",
        SmtpSource::System => "system",
        SmtpSource::Tenant => "tenant",
        SmtpSource::Unset => "unset",
    }
}

/// The settings as the API shows them, with the password state of where they come from (the
/// environment keeps its password outside the settings).
fn effective_view(state: &AppState, e: &crate::service::EffectiveSmtp) -> SmtpView {
    let password_set = match e.source {
        crate::service::SmtpSource::Environment => state
            .core
            .smtp_env
            .as_ref()
            .is_some_and(|env| env.1.is_some()),
        _ => e.settings.password.is_some(),
    };
    smtp_view(&e.settings, password_set)
}

/// `LATCHKEY_SMTP_*` is set: nothing can be changed through the API.
fn smtp_from_environment() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        "smtp_from_environment",
        "SMTP is set by environment variables (LATCHKEY_SMTP_*) for the whole system; change them there. The check still works.",
    )
}

/// A field-by-field change of SMTP settings: fields left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpChange {
    /// System settings: send mail at all. A tenant's own server: on = send this tenant's mail
    /// through it; off = use the system's server again (the settings stay saved).
    enabled: Option<bool>,
    host: Option<String>,
    port: Option<u16>,
    /// starttls, tls or none
    security: Option<String>,
    auth: Option<bool>,
    username: Option<String>,
    /// Write-only. Needed again when host, port, security or CA change (with `auth`); left out
    /// or empty: keep the stored one. Only the password itself: `env:`/`file:` references are
    /// set with the CLI.
    password: Option<String>,
    from_address: Option<String>,
    from_name: Option<String>,
    reply_to: Option<String>,
    helo_name: Option<String>,
    /// 1 to 300
    timeout_secs: Option<u64>,
    /// PEM; "" removes it.
    extra_ca_pem: Option<String>,
    /// 0 = no limit
    max_per_hour: Option<u32>,
}

impl SmtpChange {
    /// These fields on top of `s` (what is stored), as the pages' and the CLI's input.
    fn apply(
        self,
        mut s: crate::mail::SmtpSettings,
    ) -> Result<crate::service::SmtpInput, ApiError> {
        let text = |v: String| v.trim().to_owned();
        if let Some(v) = self.enabled {
            s.enabled = v;
        }
        if let Some(v) = self.host {
            s.host = text(v);
        }
        if let Some(v) = self.port {
            s.port = v;
        }
        if let Some(v) = &self.security {
            s.security = v.parse()?;
        }
        if let Some(v) = self.auth {
            s.auth = v;
        }
        if let Some(v) = self.username {
            s.username = text(v);
        }
        if let Some(v) = self.from_address {
            s.from_address = text(v);
        }
        if let Some(v) = self.from_name {
            s.from_name = text(v);
        }
        if let Some(v) = self.reply_to {
            s.reply_to = text(v);
        }
        if let Some(v) = self.helo_name {
            s.helo_name = text(v);
        }
        if let Some(v) = self.timeout_secs {
            s.timeout_secs = v;
        }
        if let Some(v) = self.extra_ca_pem {
            s.extra_ca_pem = text(v);
        }
        if let Some(v) = self.max_per_hour {
            s.max_per_hour = v;
        }
        // What GET shows instead of the password is not a password: a client sending back what
        // it read must not set one.
        if matches!(self.password.as_deref(), Some("set" | "not set")) {
            return Err(ApiError::validation(
                "password: `set`/`not set` is how the password's state is shown; send the password itself, or leave the field out to keep the stored one",
            ));
        }
        Ok(crate::service::SmtpInput {
            settings: s,
            new_password: self.password.map(SecretString::from),
        })
    }
}

/// A server's address, for what applies without a tenant's own server.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmtpServerAddress {
    host: String,
    port: u16,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantSmtp {
    /// Where this tenant's mail goes out: `tenant` (its own server), `system` (the system's
    /// settings), `environment` (`LATCHKEY_SMTP_*`) or `unset` (nothing configured yet).
    source: &'static str,
    /// The tenant uses the system's mail server: it has no own server, or it is switched off.
    inherits: bool,
    /// `LATCHKEY_SMTP_*` is set: nothing can be changed (PUT answers 409), the check works.
    read_only: bool,
    /// The tenant's own server as saved (switched on or off); null when it has none.
    own_server: Option<SmtpView>,
    /// The system's server, used while the tenant has no own server switched on; null when
    /// none is configured and switched on.
    system_server: Option<SmtpServerAddress>,
}

async fn tenant_smtp_json(state: &AppState, tenant: &Tenant) -> Result<TenantSmtp, ApiError> {
    let core = &state.core;
    let system = core.system_smtp().await?;
    let effective = core.smtp_for(Some(tenant)).await?;
    let read_only = core.smtp_from_env();
    let own = if read_only {
        None
    } else {
        core.tenant_smtp(tenant).await?
    };
    let configured = system.settings.enabled && !system.settings.host.trim().is_empty();
    Ok(TenantSmtp {
        source: source_name(effective.source),
        inherits: effective.source != crate::service::SmtpSource::Tenant,
        read_only,
        own_server: own.map(|s| smtp_view(&s, s.password.is_some())),
        system_server: configured.then(|| SmtpServerAddress {
            host: system.settings.host.clone(),
            port: system.settings.port,
        }),
    })
}

/// The tenant's mail server: its own (if it has one) and whether it uses the system's.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/smtp", tag = "smtp",
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = TenantSmtp), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
               (status = 429, body = ErrorBody)))]
async fn get_tenant_smtp(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    Path(slug): Path<String>,
) -> Result<Json<TenantSmtp>, ApiError> {
    // Like the console, which shows the SMTP page to the tenant's administrators only.
    let tenant = tenant_for(&state, &auth, &slug, &["settings:write"]).await?;
    Ok(Json(tenant_smtp_json(&state, &tenant).await?))
}

/// Changes the tenant's own mail server with the rules of its SMTP page: fields left out keep
/// their value; `enabled: false` goes back to the system's server (the settings stay saved);
/// internal addresses are refused unless the operator allows them; a changed host, port,
/// security mode or CA needs the password again. 409 `smtp_from_environment` while
/// `LATCHKEY_SMTP_*` is set.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/smtp", tag = "smtp", request_body = SmtpChange,
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = TenantSmtp), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn put_tenant_smtp(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<SmtpChange>,
) -> Result<Json<TenantSmtp>, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["settings:write"]).await?;
    let core = &state.core;
    if core.smtp_from_env() {
        return Err(smtp_from_environment());
    }
    // The tenant's own settings (also when switched off), never the system's.
    let current = core.tenant_smtp(&tenant).await?.unwrap_or_default();
    let input = body.apply(current)?;
    core.save_smtp(&auth.actor(), Some(&tenant), input, Some(&ip))
        .await?;
    Ok(Json(tenant_smtp_json(&state, &tenant).await?))
}

/// What "Check SMTP configuration" asks for.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpCheckRequest {
    /// Also send a test message to this address (MAIL FROM, RCPT TO, DATA).
    to: Option<String>,
}

/// One step of the conversation with the mail server.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmtpCheckStep {
    /// connect, tls-handshake, greeting, ehlo, starttls, auth, mail-from, rcpt-to, data, quit
    step: String,
    /// For people, e.g. `MAIL FROM`.
    label: &'static str,
    ok: bool,
    /// What was sent (credentials replaced by `********`).
    sent: Option<String>,
    /// The server's reply, or what went wrong locally.
    reply: String,
    /// What to do about a failed step.
    hint: Option<String>,
    millis: u64,
}

/// The check's report. A failed check is a report too (200 with `ok: false`).
#[derive(Debug, Serialize, ToSchema)]
pub struct SmtpCheckResult {
    /// Every step worked (and the test message, if asked for, was accepted).
    ok: bool,
    /// One sentence: what worked, or which step failed.
    summary: String,
    /// Which settings were checked: `tenant` (the tenant's own server), `system` or
    /// `environment`.
    source: &'static str,
    steps: Vec<SmtpCheckStep>,
    /// Steps not tried because no `to` was given.
    skipped: Vec<&'static str>,
}

fn check_result(
    report: crate::mail::check::CheckReport,
    source: crate::service::SmtpSource,
) -> SmtpCheckResult {
    SmtpCheckResult {
        ok: report.ok,
        summary: report.summary,
        source: source_name(source),
        steps: report
            .steps
            .into_iter()
            .map(|s| SmtpCheckStep {
                step: serde_json::to_value(s.step)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                label: s.label,
                ok: s.ok,
                sent: s.sent,
                reply: s.reply,
                hint: s.hint,
                millis: s.millis,
            })
            .collect(),
        skipped: report.skipped,
    }
}

fn check_address(
    body: Option<ApiJson<SmtpCheckRequest>>,
) -> Result<Option<EmailAddress>, ApiError> {
    let body = body.map(|ApiJson(b)| b).unwrap_or_default();
    body.to
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(EmailAddress::parse)
        .transpose()
        .map_err(|e| ApiError::validation(format!("to: {}", e.0)))
}

/// Runs "Check SMTP configuration" with the tenant's own saved server (also while switched off,
/// to try it before switching it on), as its SMTP page does. Without one, its mail goes through
/// the system's server, which only a system-wide key checks (`/api/v1/smtp/check`): 422
/// `no_tenant_smtp` — unless `LATCHKEY_SMTP_*` sets the server, which the page checks too.
/// Each step with the server's reply and a hint; with `to`, a test message (at most 20 per
/// tenant and hour). The body may be left out.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/smtp/check", tag = "smtp", request_body(content = Option<SmtpCheckRequest>, description = "optional"),
    params(("tenant" = String, Path, description = "tenant slug")),
    responses((status = 200, body = SmtpCheckResult, description = "the report, also of a failed check (`ok: false`)"), (status = 400, body = ErrorBody),
               (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
               (status = 422, body = ErrorBody, description = "no own server to check (`no_tenant_smtp`), a host that is or resolves to an internal address or can't be resolved, or a bad `to`"),
               (status = 429, body = ErrorBody, description = "too many test messages for this tenant this hour")))]
async fn check_tenant_smtp(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    body: Option<ApiJson<SmtpCheckRequest>>,
) -> Result<Json<SmtpCheckResult>, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["settings:write"]).await?;
    let to = check_address(body)?;
    let core = &state.core;
    let (source, input) = if core.smtp_from_env() {
        // The environment's server: the tenant's page checks it too (read-only settings).
        (crate::service::SmtpSource::Environment, None)
    } else {
        match core.tenant_smtp(&tenant).await? {
            Some(settings) => (
                crate::service::SmtpSource::Tenant,
                Some(crate::service::SmtpInput {
                    settings,
                    new_password: None,
                }),
            ),
            // Never the system's server with the system's password for a tenant's key.
            None => {
                return Err(ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "no_tenant_smtp",
                    format!(
                        "tenant `{}` has no mail server of its own: its mail goes through the system's server, which only a system-wide key can check, with POST /api/v1/smtp/check",
                        tenant.slug
                    ),
                ))
            }
        }
    };
    let report = core
        .check_smtp(&auth.actor(), Some(&tenant), input, to, Some(&ip))
        .await?;
    Ok(Json(check_result(report, source)))
}

/// The system's SMTP settings are for all-tenants keys with `settings:write` only.
fn system_smtp_key(auth: &ApiPrincipal) -> Result<(), ApiError> {
    if auth.key.tenant_id.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "all_tenants_key_required",
            "only an all-tenants key (latchkey api-key create --all-tenants) may use the system's SMTP settings",
        ));
    }
    if !auth.has_scope("settings:write") {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "this key lacks the scope settings:write",
        ));
    }
    Ok(())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SystemSmtp {
    /// `system`, `environment` (`LATCHKEY_SMTP_*`) or `unset` (nothing configured yet).
    source: &'static str,
    /// Set by `LATCHKEY_SMTP_*`: PUT answers 409 `smtp_from_environment`; the check works.
    read_only: bool,
    settings: SmtpView,
}

async fn system_smtp_json(state: &AppState) -> Result<SystemSmtp, ApiError> {
    let effective = state.core.system_smtp().await?;
    Ok(SystemSmtp {
        source: source_name(effective.source),
        read_only: effective.source == crate::service::SmtpSource::Environment,
        settings: effective_view(state, &effective),
    })
}

/// The system's SMTP settings (what every tenant without its own server uses). All-tenants keys
/// with `settings:write` only.
#[utoipa::path(get, path = "/api/v1/smtp", tag = "smtp",
    responses((status = 200, body = SystemSmtp), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn get_system_smtp(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
) -> Result<Json<SystemSmtp>, ApiError> {
    system_smtp_key(&auth)?;
    Ok(Json(system_smtp_json(&state).await?))
}

/// Changes the system's SMTP settings with the rules of Admin-Center → SMTP: fields left out
/// keep their value; a changed host, port, security mode or CA needs the password again. 409
/// `smtp_from_environment` while `LATCHKEY_SMTP_*` is set. All-tenants keys only.
#[utoipa::path(put, path = "/api/v1/smtp", tag = "smtp", request_body = SmtpChange,
    responses((status = 200, body = SystemSmtp), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn put_system_smtp(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SmtpChange>,
) -> Result<Json<SystemSmtp>, ApiError> {
    system_smtp_key(&auth)?;
    let core = &state.core;
    if core.smtp_from_env() {
        return Err(smtp_from_environment());
    }
    let input = body.apply(core.system_smtp().await?.settings)?;
    core.save_smtp(&auth.actor(), None, input, Some(&ip))
        .await?;
    Ok(Json(system_smtp_json(&state).await?))
}

/// Runs "Check SMTP configuration" with the system's saved settings (or the environment's).
/// All-tenants keys only. The body may be left out.
#[utoipa::path(post, path = "/api/v1/smtp/check", tag = "smtp", request_body(content = Option<SmtpCheckRequest>, description = "optional"),
    responses((status = 200, body = SmtpCheckResult, description = "the report, also of a failed check (`ok: false`)"), (status = 400, body = ErrorBody),
               (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
               (status = 422, body = ErrorBody, description = "no server to check, or a bad `to`"), (status = 429, body = ErrorBody)))]
async fn check_system_smtp(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    body: Option<ApiJson<SmtpCheckRequest>>,
) -> Result<Json<SmtpCheckResult>, ApiError> {
    system_smtp_key(&auth)?;
    let to = check_address(body)?;
    let core = &state.core;
    let source = core.system_smtp().await?.source;
    let report = core
        .check_smtp(&auth.actor(), None, None, to, Some(&ip))
        .await?;
    Ok(Json(check_result(report, source)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_spec_is_openapi_3_1_with_every_route() {
        let spec = super::openapi();
        let json = serde_json::to_value(&spec).unwrap();
        assert!(json["openapi"].as_str().unwrap().starts_with("3.1"));
        let paths: Vec<&String> = spec.paths.paths.keys().collect();
        for p in [
            "/api/v1/tenants/{tenant}/users",
            "/api/v1/tenants/{tenant}/users/{username}",
            "/api/v1/tenants/{tenant}/resets",
            "/api/v1/tenants/{tenant}/campaigns/{id}",
            "/api/v1/tenants/{tenant}/authenticate",
        ] {
            assert!(
                spec.paths.paths.contains_key(p),
                "{p} missing from {paths:?}"
            );
        }
    }
}
