//! SMTP settings: the same service operations as the SMTP pages and `latchkey smtp`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{insufficient_scope, ApiAuth, TenantKey};
use super::error::{ApiError, ErrorBody};
use super::extract::{integral, ApiJson};
use super::schemas;
use crate::domain::EmailAddress;
use crate::service::api_keys::ApiPrincipal;
use crate::service::api_keys::Scope;
use crate::service::views::Tenant;
use crate::web::extract::ClientIp;
use crate::web::AppState;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

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
    /// How Latchkey signs in when `auth` is on: password, microsoft, google or oauth2.
    sign_in: &'static str,
    /// The OAuth settings (used when `sign_in` is not `password`).
    oauth: OAuthView,
}

/// OAuth sign-in as the API shows it: secrets only as `set` / `not set`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OAuthView {
    /// Microsoft: the Directory (tenant) ID or domain.
    tenant: String,
    /// Microsoft: the Application (client) ID; Google: the service account's address; oauth2:
    /// the client id.
    client_id: String,
    /// `set` or `not set`.
    client_secret: &'static str,
    /// `set` or `not set`: the certificate's private key (Microsoft) or the service account
    /// key (Google).
    private_key: &'static str,
    /// Microsoft with a certificate: the certificate (PEM); empty when none.
    certificate_pem: String,
    /// As typed; empty = the provider's.
    authority: String,
    /// The token endpoint the settings lead to.
    token_url: String,
    /// As typed; empty = the provider's.
    scope: String,
    /// xoauth2 or oauthbearer
    mechanism: &'static str,
}

/// A field-by-field change of the OAuth settings: fields left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthChange {
    tenant: Option<String>,
    client_id: Option<String>,
    /// Write-only; left out or empty: keep the stored one (where the token endpoint, client
    /// and mail server are unchanged). Only the secret itself: references are set with the CLI.
    client_secret: Option<String>,
    /// Write-only: the certificate's private key (PEM) or the service account's JSON key file.
    private_key: Option<String>,
    certificate_pem: Option<String>,
    /// Microsoft: the login host; Google, oauth2: the token URL; "" = the provider's.
    authority: Option<String>,
    scope: Option<String>,
    #[schema(schema_with = mechanism)]
    mechanism: Option<String>,
}

fn mechanism() -> RefOr<Schema> {
    schemas::word(
        &["", "xoauth2", "oauthbearer"],
        true,
        true,
        "xoauth2 (also \"\") or oauthbearer",
    )
}

fn security() -> RefOr<Schema> {
    schemas::word(
        &["starttls", "tls", "ssl", "implicit", "none", "plain"],
        true,
        true,
        "starttls, tls or none (ssl and implicit mean tls, plain none)",
    )
}

fn sign_in() -> RefOr<Schema> {
    schemas::word(
        &[
            "",
            "password",
            "microsoft",
            "microsoft365",
            "m365",
            "office365",
            "google",
            "gmail",
            "workspace",
            "oauth2",
            "oauth",
        ],
        true,
        true,
        "password (also \"\"), microsoft, google or oauth2",
    )
}

fn port() -> RefOr<Schema> {
    schemas::integer(
        0,
        u16::MAX.into(),
        true,
        "The server's port (1 to 65535 to be used)",
    )
}

fn timeout_secs() -> RefOr<Schema> {
    schemas::integer(1, 300, true, "Seconds, 1 to 300")
}

pub(super) fn smtp_view(s: &crate::mail::SmtpSettings, password_set: bool) -> SmtpView {
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
        sign_in: s.sign_in.as_str(),
        oauth: OAuthView {
            tenant: s.oauth.tenant.clone(),
            client_id: s.oauth.client_id.clone(),
            client_secret: set(s.oauth.client_secret.is_some()),
            private_key: set(s.oauth.private_key.is_some()),
            certificate_pem: s.oauth.certificate_pem.clone(),
            authority: s.oauth.authority.clone(),
            token_url: if s.sign_in.is_oauth() {
                s.oauth.token_url(s.sign_in)
            } else {
                String::new()
            },
            scope: s.oauth.scope.clone(),
            mechanism: s.oauth.mechanism.as_str(),
        },
    }
}

fn set(yes: bool) -> &'static str {
    if yes {
        "set"
    } else {
        "not set"
    }
}

pub(super) fn source_name(source: crate::service::SmtpSource) -> &'static str {
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
pub(super) fn effective_view(state: &AppState, e: &crate::service::EffectiveSmtp) -> SmtpView {
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
pub(super) fn smtp_from_environment() -> ApiError {
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
    #[serde(default, deserialize_with = "integral")]
    #[schema(schema_with = port)]
    port: Option<u16>,
    #[schema(schema_with = security)]
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
    #[serde(default, deserialize_with = "integral")]
    #[schema(schema_with = timeout_secs)]
    timeout_secs: Option<u64>,
    /// PEM; "" removes it.
    extra_ca_pem: Option<String>,
    /// 0 = no limit
    #[serde(default, deserialize_with = "integral")]
    #[schema(schema_with = schemas::unsigned32)]
    max_per_hour: Option<u32>,
    #[schema(schema_with = sign_in)]
    sign_in: Option<String>,
    oauth: Option<OAuthChange>,
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
        if let Some(v) = self.sign_in {
            s.sign_in = v
                .parse()
                .map_err(|e: crate::domain::InvalidInput| ApiError::validation(e.0))?;
        }
        let mut input = crate::service::SmtpInput {
            new_password: self.password.map(SecretString::from),
            ..Default::default()
        };
        if let Some(o) = self.oauth {
            for (given, field) in [
                (o.tenant, &mut s.oauth.tenant),
                (o.client_id, &mut s.oauth.client_id),
                (o.certificate_pem, &mut s.oauth.certificate_pem),
                (o.authority, &mut s.oauth.authority),
                (o.scope, &mut s.oauth.scope),
            ] {
                if let Some(v) = given {
                    *field = text(v);
                }
            }
            if let Some(v) = o.mechanism {
                s.oauth.mechanism = v
                    .parse()
                    .map_err(|e: crate::domain::InvalidInput| ApiError::validation(e.0))?;
            }
            for v in [&o.client_secret, &o.private_key] {
                if matches!(v.as_deref(), Some("set" | "not set")) {
                    return Err(ApiError::validation(
                        "oauth: `set`/`not set` is how a secret's state is shown; send the secret itself, or leave the field out to keep the stored one",
                    ));
                }
            }
            input.new_client_secret = o.client_secret.map(SecretString::from);
            input.new_private_key = o.private_key.map(SecretString::from);
        }
        input.settings = s;
        Ok(input)
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

pub(super) async fn tenant_smtp_json(
    state: &AppState,
    tenant: &Tenant,
) -> Result<TenantSmtp, ApiError> {
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
    responses((status = 200, body = TenantSmtp)))]
pub(super) async fn get_tenant_smtp(
    State(state): State<AppState>,
    key: TenantKey,
) -> Result<Json<TenantSmtp>, ApiError> {
    // Like the console, which shows the SMTP page to the tenant's administrators only.
    let tenant = key.tenant(&state, &[Scope::SettingsWrite]).await?;
    Ok(Json(tenant_smtp_json(&state, &tenant).await?))
}

/// Changes the tenant's own mail server with the rules of its SMTP page: fields left out keep
/// their value; `enabled: false` goes back to the system's server (the settings stay saved);
/// internal addresses are refused unless the operator allows them; a changed host, port,
/// security mode or CA needs the password again. 409 `smtp_from_environment` while
/// `LATCHKEY_SMTP_*` is set.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/smtp", tag = "smtp", request_body = SmtpChange,
    responses((status = 200, body = TenantSmtp), (status = 409, body = ErrorBody, description = "`smtp_from_environment`: the settings come from `LATCHKEY_SMTP_*`")))]
pub(super) async fn put_tenant_smtp(
    State(state): State<AppState>,
    key: TenantKey,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SmtpChange>,
) -> Result<Json<TenantSmtp>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::SettingsWrite]).await?;
    let core = &state.core;
    if core.smtp_from_env() {
        return Err(smtp_from_environment());
    }
    // The tenant's own settings (also when switched off), never the system's.
    let current = core.tenant_smtp(&tenant).await?.unwrap_or_default();
    let input = body.apply(current)?;
    core.save_smtp(&key.auth.actor(), Some(&tenant), input, Some(&ip))
        .await?;
    Ok(Json(tenant_smtp_json(&state, &tenant).await?))
}

/// What "Check SMTP configuration" asks for.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmtpCheckRequest {
    /// Also send a test message to this address (MAIL FROM, RCPT TO, DATA).
    #[schema(schema_with = schemas::email_or_blank)]
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

pub(super) fn check_result(
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
                sent: s.sent.map(|t| t.to_string()),
                reply: s.reply.to_string(),
                hint: s.hint.map(|h| h.to_string()),
                millis: s.millis,
            })
            .collect(),
        skipped: report.skipped,
    }
}

pub(super) fn check_address(
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
    responses((status = 200, body = SmtpCheckResult, description = "the report, also of a failed check (`ok: false`)"),
               (status = 422, body = ErrorBody, description = "no own server to check (`no_tenant_smtp`), a host that is or resolves to an internal address or can't be resolved, or a bad `to`"),
               (status = 429, body = ErrorBody, description = "too many test messages for this tenant this hour")))]
pub(super) async fn check_tenant_smtp(
    State(state): State<AppState>,
    key: TenantKey,
    ClientIp(ip): ClientIp,
    body: Option<ApiJson<SmtpCheckRequest>>,
) -> Result<Json<SmtpCheckResult>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::SettingsWrite]).await?;
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
                    ..Default::default()
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
        .check_smtp(&key.auth.actor(), Some(&tenant), input, to, Some(&ip))
        .await?;
    Ok(Json(check_result(report, source)))
}

/// The system's SMTP settings are for all-tenants keys with `settings:write` only.
pub(super) fn system_smtp_key(auth: &ApiPrincipal) -> Result<(), ApiError> {
    if auth.key.tenant_id.is_some() {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "all_tenants_key_required",
            "only an all-tenants key (latchkey api-key create --all-tenants) may use the system's SMTP settings",
        ));
    }
    if !auth.has_scope(Scope::SettingsWrite) {
        return Err(insufficient_scope(Scope::SettingsWrite));
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

pub(super) async fn system_smtp_json(state: &AppState) -> Result<SystemSmtp, ApiError> {
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
    responses((status = 200, body = SystemSmtp)))]
pub(super) async fn get_system_smtp(
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
    responses((status = 200, body = SystemSmtp), (status = 409, body = ErrorBody, description = "`smtp_from_environment`: the settings come from `LATCHKEY_SMTP_*`")))]
pub(super) async fn put_system_smtp(
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
    responses((status = 200, body = SmtpCheckResult, description = "the report, also of a failed check (`ok: false`)"),
               (status = 422, body = ErrorBody, description = "no server to check, or a bad `to`")))]
pub(super) async fn check_system_smtp(
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
