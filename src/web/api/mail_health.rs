//! The state of mail (issue 17): the same reading the console's overviews show
//! ([`crate::service::mail_health`]).

use axum::extract::State;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{all_tenants_key, ApiAuth, TenantKey};
use super::error::{ApiError, ErrorBody};
use crate::service::api_keys::Scope;
use crate::service::mail_health::MailHealth;
use crate::web::AppState;

/// The state of mail delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct MailHealthInfo {
    /// `broken` (the route's last 3 attempts failed, no success since), `off` (sending switched
    /// off or no server set up), `no-worker` (no delivery worker seen alive), or `ok`.
    #[schema(pattern = "^(broken|off|no-worker|ok)$")]
    state: &'static str,
    /// Whether "Send mail" is on for the server in effect (and it has a host).
    sending: bool,
    /// Where the server in effect is set.
    #[schema(pattern = "^(environment|system|tenant|unset)$")]
    source: &'static str,
    host: String,
    port: u16,
    /// A tenant's own server is saved but switched off (its mail uses the system's).
    own_server_off: bool,
    /// `system` or `tenant:{id}`.
    route: String,
    broken: bool,
    /// The newest failed attempt's error, while broken.
    last_error: Option<String>,
    last_error_at: Option<i64>,
    last_success_at: Option<i64>,
    failed_attempts_24h: i64,
    /// Mails given up on in the last 24 hours.
    failed_mails_24h: i64,
    /// Mails waiting for another attempt after a failed one.
    retrying: i64,
    /// Mails due and not yet sent.
    waiting: i64,
    /// How long the oldest due mail has waited, in seconds.
    oldest_waiting_secs: Option<i64>,
    /// Delivery workers (all instances) seen alive recently.
    workers_alive: i64,
    worker_last_seen: Option<i64>,
}

impl From<MailHealth> for MailHealthInfo {
    fn from(h: MailHealth) -> Self {
        MailHealthInfo {
            state: h.state,
            sending: h.sending,
            source: h.source,
            host: h.host,
            port: h.port,
            own_server_off: h.own_server_off,
            route: h.route,
            broken: h.broken,
            last_error: h.last_error,
            last_error_at: h.last_error_at,
            last_success_at: h.last_success_at,
            failed_attempts_24h: h.failed_attempts_24h,
            failed_mails_24h: h.failed_mails_24h,
            retrying: h.retrying,
            waiting: h.waiting,
            oldest_waiting_secs: h.oldest_waiting_secs,
            workers_alive: h.workers_alive,
            worker_last_seen: h.worker_last_seen,
        }
    }
}

/// All mail: the system's server, every tenant's mail counted. Only an all-tenants key with
/// the scope `mail:read`.
#[utoipa::path(get, path = "/api/v1/mail-health", tag = "mail",
    responses((status = 200, body = MailHealthInfo),
               (status = 403, body = ErrorBody, description = "insufficient_scope, or all_tenants_key_required for a tenant's key")))]
pub(super) async fn system_mail_health(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
) -> Result<Json<MailHealthInfo>, ApiError> {
    all_tenants_key(
        &auth,
        Scope::MailRead,
        "the system's mail health is for keys for all tenants; use /api/v1/tenants/{tenant}/mail-health",
    )?;
    Ok(Json(state.core.mail_health(None).await?.into()))
}

/// A tenant's mail: the server its mail goes through, and its own mail counted.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/mail-health", tag = "mail",
    responses((status = 200, body = MailHealthInfo)))]
pub(super) async fn tenant_mail_health(
    State(state): State<AppState>,
    key: TenantKey,
) -> Result<Json<MailHealthInfo>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::MailRead]).await?;
    Ok(Json(state.core.mail_health(Some(&tenant)).await?.into()))
}
