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
use crate::domain::{DisplayName, EmailAddress, Role, Username};
use crate::service::admin_reset::{AdminReset, Recipients, ResetKind, When};
use crate::service::api_keys::{ApiPrincipal, CredentialCheck, PasswordChange};
use crate::service::reset::{LinkProblem, RequestOutcome};
use crate::service::{CreateAccount, ServiceError};
use crate::store::{self, Account, Tenant};

/// The error body of every failed API call.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: unauthorized, insufficient_scope, not_found, invalid_json,
    /// validation_failed, conflict, too_many_requests, internal.
    pub code: &'static str,
    /// For people.
    pub message: String,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
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

/// A JSON body, parsed strictly: unknown fields, wrong types and malformed JSON are a 400 with
/// the reason, never a 500.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
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

/// The caller's API key. Failed attempts count against the client IP like failed sign-ins.
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
        let key = format!("api-auth-ip:{}", crate::service::ip_bucket(&ip));
        let limit = i64::from(core.config.raw.login_attempts_per_ip_per_hour);
        if store::rate_limit::peek(&core.db, &key, 3600, core.now()).await? >= limit {
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
        let principal = match bearer {
            Some(b) => core.api_principal(&b).await?,
            None => None,
        };
        match principal {
            Some(p) => Ok(ApiAuth(p)),
            None => {
                store::rate_limit::hit(&core.db, &key, 3600, core.now()).await?;
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
        .routes(routes!(get_user))
        .routes(routes!(send_resets))
        .routes(routes!(get_campaign))
        .routes(routes!(authenticate))
        .routes(routes!(forgot_password))
        .routes(routes!(reset_password))
        .routes(routes!(change_password))
        .routes(routes!(list_tenants))
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(campaign_action))
        .routes(routes!(list_tasks))
        .routes(routes!(task_action))
        .routes(routes!(mail_log))
}

/// The API routes and, at `/api/v1/openapi.json`, the OpenAPI document describing exactly them.
pub fn router() -> Router<AppState> {
    let (router, spec) = routes().split_for_parts();
    let json = spec.to_pretty_json().unwrap_or_default();
    router.route(
        "/api/v1/openapi.json",
        axum::routing::get(move || {
            let json = json.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], json) }
        }),
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
        next_offset: more.then_some(offset + limit),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    username: String,
    email: Option<String>,
    reset_email: Option<String>,
    display_name: Option<String>,
    /// user (default) or tenant-admin
    role: Option<String>,
}

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
    let role = match body.role.as_deref() {
        None | Some("user") => Role::User,
        Some("tenant-admin") => Role::TenantAdmin,
        Some(other) => {
            return Err(ApiError::validation(format!(
                "role `{}` is not user or tenant-admin",
                other.escape_debug()
            )))
        }
    };
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
               (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn authenticate(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<Credentials>,
) -> Result<Json<CredentialsResult>, ApiError> {
    let tenant = tenant_for(&state, &auth, &slug, &["auth:check"]).await?;
    if body.username.len() > 254 || body.password.len() > 4096 {
        return Err(ApiError::validation("username or password too long"));
    }
    match state
        .core
        .check_credentials(
            &tenant,
            &body.username,
            SecretString::from(body.password),
            &ip,
        )
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
    let identifier = body.identifier.trim();
    if identifier.is_empty()
        || identifier.chars().count() > 254
        || identifier.chars().any(char::is_control)
    {
        return Err(ApiError::validation(
            "identifier: a username or e-mail address on one line",
        ));
    }
    match state.core.request_reset(&tenant, identifier, &ip).await? {
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
    if body.username.len() > 254 || body.current_password.len() > 4096 {
        return Err(ApiError::validation("username or password too long"));
    }
    let outcome = state
        .core
        .change_password_with_credentials(
            &tenant,
            &body.username,
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
            .map(|t| TenantInfo {
                slug: t.slug,
                display_name: t.display_name,
                enabled: t.enabled,
                password_reset_enabled: t.settings.password_reset_enabled,
            })
            .collect(),
    ))
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
