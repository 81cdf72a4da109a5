//! A tenant's directory connection: the same service operations as its Admin-Center page and
//! `latchkey directory`. Changing it needs a system-wide key (directories are on internal
//! networks); a tenant's key with `settings:write` reads it, checks it and syncs.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::TenantKey;
use super::error::{ApiError, ErrorBody};
use super::extract::{integral, ApiJson};
use super::schemas;
use crate::directory::{DirectoryKind, DirectorySettings, Security};
use crate::service::api_keys::Scope;
use crate::service::directory::{DirectoryInput, DirectoryPatch, MappingPatch, SyncReport};
use crate::web::extract::ClientIp;
use crate::web::AppState;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

/// Which attribute holds what.
#[derive(Debug, Serialize, Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct MappingView {
    username: Option<String>,
    email: Option<String>,
    /// Empty: the reset address is kept in Latchkey.
    reset_email: Option<String>,
    display_name: Option<String>,
    stable_id: Option<String>,
    /// Empty: nobody is disabled by the directory.
    disabled: Option<String>,
    disabled_value: Option<String>,
    /// Not 0: `disabled` is a number and these bits mark a disabled person (AD: 2).
    #[serde(default, deserialize_with = "integral")]
    #[schema(schema_with = schemas::unsigned32)]
    disabled_bits: Option<u32>,
    /// One more attribute people sign in with (AD: userPrincipalName); empty: none.
    sign_in_also: Option<String>,
}

/// A tenant's directory connection. The service password only as how it is kept.
#[derive(Debug, Serialize, ToSchema)]
pub struct DirectoryView {
    /// `false`: a local tenant (the other fields are empty).
    connected: bool,
    /// openldap or active_directory
    kind: String,
    url: String,
    /// starttls, ldaps or none
    security: String,
    extra_ca_pem: String,
    bind_dn: String,
    /// `encrypted`, `env:NAME`, `file:…` or `not set`.
    bind_password: String,
    base_dn: String,
    user_filter: String,
    mapping: MappingView,
    admin_group_dn: String,
    sync_interval_mins: u32,
    connect_timeout_secs: u64,
    timeout_secs: u64,
    page_size: u32,
    /// Active Directory: a reset also unlocks a locked-out account (lockoutTime = 0).
    unlock_on_reset: bool,
    #[schema(value_type = Option<Object>)]
    last_sync: Option<SyncReport>,
}

fn security_name(s: Security) -> &'static str {
    match s {
        Security::Starttls => "starttls",
        Security::Ldaps => "ldaps",
        Security::None => "none",
    }
}

fn view(s: Option<&DirectorySettings>, last_sync: Option<SyncReport>) -> DirectoryView {
    let connected = s.is_some();
    let d = s.cloned().unwrap_or_default();
    let m = &d.mapping;
    DirectoryView {
        connected,
        kind: d.kind.as_str().into(),
        url: d.url.clone(),
        security: security_name(d.security).into(),
        extra_ca_pem: d.extra_ca_pem.clone(),
        bind_dn: d.bind_dn.clone(),
        bind_password: d.password_state(),
        base_dn: d.base_dn.clone(),
        user_filter: d.user_filter.clone(),
        mapping: MappingView {
            username: Some(m.username.clone()),
            email: Some(m.email.clone()),
            reset_email: Some(m.reset_email.clone()),
            display_name: Some(m.display_name.clone()),
            stable_id: Some(m.stable_id.clone()),
            disabled: Some(m.disabled.clone()),
            disabled_value: Some(m.disabled_value.clone()),
            disabled_bits: Some(m.disabled_bits),
            sign_in_also: Some(m.sign_in_also.clone()),
        },
        admin_group_dn: d.admin_group_dn.clone(),
        sync_interval_mins: d.sync_interval_mins,
        connect_timeout_secs: d.connect_timeout_secs,
        timeout_secs: d.timeout_secs,
        page_size: d.page_size,
        unlock_on_reset: d.unlock_on_reset,
        last_sync,
    }
}

/// A field-by-field change: fields left out keep their value.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectoryChange {
    /// openldap or active_directory: a newly chosen type fills in its usual attributes and
    /// filter where the other type's are still set.
    kind: Option<String>,
    /// `ldap://host:389` or `ldaps://host:636`.
    url: Option<String>,
    /// starttls (default), ldaps, or none (passwords cross the network readable).
    #[schema(schema_with = security)]
    security: Option<String>,
    extra_ca_pem: Option<String>,
    bind_dn: Option<String>,
    /// Write-only. Needed again when URL, security or CA change. Only the password itself:
    /// `env:`/`file:` references are set with the CLI.
    bind_password: Option<String>,
    base_dn: Option<String>,
    user_filter: Option<String>,
    mapping: Option<MappingView>,
    admin_group_dn: Option<String>,
    #[serde(default, deserialize_with = "integral")]
    #[schema(schema_with = schemas::unsigned32)]
    sync_interval_mins: Option<u32>,
    #[serde(default, deserialize_with = "integral")]
    #[schema(schema_with = schemas::unsigned64)]
    connect_timeout_secs: Option<u64>,
    #[serde(default, deserialize_with = "integral")]
    #[schema(schema_with = schemas::unsigned64)]
    timeout_secs: Option<u64>,
    #[serde(default, deserialize_with = "integral")]
    #[schema(schema_with = schemas::unsigned32)]
    page_size: Option<u32>,
    unlock_on_reset: Option<bool>,
}

fn security() -> RefOr<Schema> {
    schemas::word(
        &["starttls", "ldaps", "none"],
        false,
        true,
        "starttls (default), ldaps, or none (passwords cross the network readable)",
    )
}

impl DirectoryChange {
    fn apply(self, s: DirectorySettings) -> Result<DirectoryInput, ApiError> {
        let kind = self.kind.map(|k| {
            DirectoryKind::parse(&k).ok_or_else(|| {
                ApiError::validation(format!(
                    "kind: `{}` is not openldap or active_directory",
                    k.escape_debug()
                ))
            })
        });
        let security = self.security.map(|v| match v.trim() {
            "starttls" => Ok(Security::Starttls),
            "ldaps" => Ok(Security::Ldaps),
            "none" => Ok(Security::None),
            other => Err(ApiError::validation(format!(
                "security: `{}` is not starttls, ldaps or none",
                other.escape_debug()
            ))),
        });
        let m = self.mapping.unwrap_or_default();
        let patch = DirectoryPatch {
            kind: kind.transpose()?,
            url: self.url,
            security: security.transpose()?,
            extra_ca_pem: self.extra_ca_pem.map(|v| v.trim().to_owned()),
            bind_dn: self.bind_dn,
            base_dn: self.base_dn,
            user_filter: self.user_filter,
            mapping: MappingPatch {
                username: m.username,
                email: m.email,
                reset_email: m.reset_email,
                display_name: m.display_name,
                stable_id: m.stable_id,
                disabled: m.disabled,
                disabled_value: m.disabled_value,
                disabled_bits: m.disabled_bits,
                sign_in_also: m.sign_in_also,
            },
            admin_group_dn: self.admin_group_dn,
            unlock_on_reset: self.unlock_on_reset,
            sync_interval_mins: self.sync_interval_mins,
            connect_timeout_secs: self.connect_timeout_secs,
            timeout_secs: self.timeout_secs,
            page_size: self.page_size,
        };
        Ok(DirectoryInput {
            settings: patch.apply(s),
            new_bind_password: self.bind_password.map(SecretString::from),
        })
    }
}

/// The tenant's directory connection and its last sync.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/directory", tag = "directory",
    responses((status = 200, body = DirectoryView)))]
pub(super) async fn get_directory(
    State(state): State<AppState>,
    key: TenantKey,
) -> Result<Json<DirectoryView>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::SettingsWrite]).await?;
    let core = &state.core;
    let settings = core.directory_settings(&tenant).await?;
    let last = core.last_directory_sync(&tenant).await?;
    Ok(Json(view(settings.as_ref(), last)))
}

/// Connects the tenant to a directory or changes the connection (fields left out keep their
/// value). Only a system-wide key: 422 for a tenant's key.
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/directory", tag = "directory", request_body = DirectoryChange,
    responses((status = 200, body = DirectoryView)))]
pub(super) async fn put_directory(
    State(state): State<AppState>,
    key: TenantKey,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<DirectoryChange>,
) -> Result<Json<DirectoryView>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::SettingsWrite]).await?;
    let core = &state.core;
    let current = core.directory_settings(&tenant).await?.unwrap_or_default();
    let actor = key.auth.actor();
    let saved = core
        .save_directory(actor.at(&ip), &tenant, body.apply(current)?)
        .await?;
    let last = core.last_directory_sync(&tenant).await?;
    Ok(Json(view(Some(&saved), last)))
}

/// Disconnects the tenant from its directory (its directory accounts stay, unable to sign in).
/// Only a system-wide key.
#[utoipa::path(delete, path = "/api/v1/tenants/{tenant}/directory", tag = "directory",
    responses((status = 204), (status = 422, body = ErrorBody, description = "`validation_failed`: only an all-tenants key may disconnect a directory")))]
pub(super) async fn delete_directory(
    State(state): State<AppState>,
    key: TenantKey,
    ClientIp(ip): ClientIp,
) -> Result<StatusCode, ApiError> {
    let tenant = key.tenant(&state, &[Scope::SettingsWrite]).await?;
    let actor = key.auth.actor();
    state.core.remove_directory(actor.at(&ip), &tenant).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What to check besides the connection.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectoryCheckRequest {
    /// A username or address to look up and show with its mapped attributes.
    lookup: Option<String>,
    /// Also check that the service account may change passwords (changes none).
    #[serde(default)]
    verify_write: bool,
}

/// "Check directory connection": each step with the server's answer, timing and a hint. The
/// body may be left out.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/directory/check", tag = "directory",
    request_body(content = Option<DirectoryCheckRequest>, description = "optional"),
    responses((status = 200, body = Object, description = "the report, also of a failed check (`ok: false`)")))]
pub(super) async fn check_directory(
    State(state): State<AppState>,
    key: TenantKey,
    ClientIp(ip): ClientIp,
    body: Option<ApiJson<DirectoryCheckRequest>>,
) -> Result<Json<crate::directory::CheckReport>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::SettingsWrite]).await?;
    let body = body.map(|ApiJson(b)| b).unwrap_or_default();
    let actor = key.auth.actor();
    let report = state
        .core
        .check_directory(
            actor.at(&ip),
            &tenant,
            body.lookup.as_deref(),
            body.verify_write,
        )
        .await?;
    Ok(Json(report))
}

/// "Sync now": reads every person of the directory and brings the tenant's accounts in line.
/// The report says what changed; `ok: false` when the directory could not be read.
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/directory/sync", tag = "directory",
    responses((status = 200, body = Object, description = "the sync report")))]
pub(super) async fn sync_directory(
    State(state): State<AppState>,
    key: TenantKey,
    ClientIp(ip): ClientIp,
) -> Result<Json<SyncReport>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::SettingsWrite]).await?;
    let actor = key.auth.actor();
    Ok(Json(
        state.core.sync_directory(actor.at(&ip), &tenant).await?,
    ))
}
