//! Tenants and their settings.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{all_tenants_key, ApiAuth, TenantKey};
use super::error::{ApiError, ErrorBody};
use super::extract::{integral, ApiJson};
use super::schemas;
use crate::domain::{bounds, DisplayName, TenantSlug};
use crate::service::api_keys::Scope;
use crate::service::views::Tenant;
use crate::web::extract::ClientIp;
use crate::web::AppState;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantInfo {
    slug: String,
    display_name: String,
    enabled: bool,
    password_reset_enabled: bool,
}

/// Tenants this key may use: its own, or all for an all-tenants key.
#[utoipa::path(get, path = "/api/v1/tenants", tag = "tenants",
    responses((status = 200, body = Vec<TenantInfo>)))]
pub(super) async fn list_tenants(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
) -> Result<Json<Vec<TenantInfo>>, ApiError> {
    let tenants = state.core.tenants().await?;
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
    #[schema(schema_with = schemas::slug)]
    slug: String,
    /// The name people see (default: the slug).
    #[schema(schema_with = schemas::tenant_name)]
    name: Option<String>,
}

/// Creates a tenant (with default settings; its public URL is set with `latchkey tenant set`).
/// Only an all-tenants key with the scope `settings:write`.
#[utoipa::path(post, path = "/api/v1/tenants", tag = "tenants", request_body = NewTenant,
    responses((status = 201, body = TenantInfo), (status = 409, body = ErrorBody, description = "`conflict`: a tenant with this slug exists"),
               (status = 403, body = ErrorBody, description = "insufficient_scope, or all_tenants_key_required for a tenant's key")))]
pub(super) async fn create_tenant(
    State(state): State<AppState>,
    ApiAuth(auth): ApiAuth,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<NewTenant>,
) -> Result<(StatusCode, Json<TenantInfo>), ApiError> {
    all_tenants_key(
        &auth,
        Scope::SettingsWrite,
        "only a key for all tenants (`latchkey api-key create --all-tenants`) may create tenants",
    )?;
    let slug = TenantSlug::parse(&body.slug)?;
    let name = match body.name.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(n) => Some(
            DisplayName::parse(n).map_err(|e| ApiError::validation(format!("name: {}", e.0)))?,
        ),
    };
    let tenant = state
        .core
        .create_tenant(auth.actor().at(&ip), &slug, name.as_ref(), None)
        .await?;
    Ok((StatusCode::CREATED, Json(TenantInfo::from(tenant))))
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
    /// The time zone the tenant's people see times in (unless they chose their own): an IANA
    /// name such as Europe/Berlin, or UTC.
    time_zone: String,
    public_url: Option<String>,
    /// Shown in mail as `{{ support }}`: an e-mail address or an https:// address.
    support_contact: Option<String>,
}

pub(super) fn settings_of(t: &Tenant) -> Settings {
    let s = &t.settings;
    Settings {
        password_reset_enabled: s.password_reset_enabled,
        reset_link_ttl_secs: s.reset_link_ttl_secs,
        password_min_length: s.password_min_length,
        admin_reset_delay_secs: s.admin_reset_delay_secs,
        reset_fallback_to_primary: s.reset_fallback_to_primary,
        default_language: s.default_language.as_str().to_owned(),
        time_zone: s.time_zone.as_str().to_owned(),
        public_url: t.public_url.clone(),
        support_contact: s.support_contact.as_ref().map(|c| c.as_str().to_owned()),
    }
}

#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/settings", tag = "tenants",
    responses((status = 200, body = Settings)))]
pub(super) async fn get_settings(
    State(state): State<AppState>,
    key: TenantKey,
) -> Result<Json<Settings>, ApiError> {
    let tenant = key
        .tenant(
            &state,
            &[Scope::SettingsWrite, Scope::UsersRead, Scope::MailRead],
        )
        .await?;
    Ok(Json(settings_of(&tenant)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChange {
    password_reset_enabled: Option<bool>,
    #[schema(schema_with = reset_link_ttl)]
    reset_link_ttl: Option<String>,
    #[serde(default, deserialize_with = "integral")]
    #[schema(schema_with = password_min_length)]
    password_min_length: Option<i64>,
    #[schema(schema_with = admin_reset_delay)]
    admin_reset_delay: Option<String>,
    reset_fallback_to_primary: Option<bool>,
    #[schema(schema_with = language)]
    default_language: Option<String>,
    #[schema(schema_with = time_zone)]
    time_zone: Option<String>,
    #[schema(schema_with = schemas::support_contact)]
    support_contact: Option<String>,
}

fn reset_link_ttl() -> RefOr<Schema> {
    schemas::duration(
        bounds::RESET_LINK_TTL_MIN_SECS as u64 / 60,
        bounds::RESET_LINK_TTL_MAX_SECS as u64 / 60,
        true,
        "How long a reset link works, e.g. 30m (5m to 24h)",
    )
}

fn admin_reset_delay() -> RefOr<Schema> {
    schemas::duration(
        0,
        bounds::ADMIN_RESET_DELAY_MAX_SECS as u64 / 60,
        true,
        "How long an administrator's delayed reset waits, e.g. 10m (0 to 7d)",
    )
}

fn password_min_length() -> RefOr<Schema> {
    schemas::integer(
        bounds::MIN_PASSWORD_LENGTH_FLOOR,
        bounds::MIN_PASSWORD_LENGTH_CEILING,
        true,
        "The shortest password allowed (8 to 64)",
    )
}

fn language() -> RefOr<Schema> {
    schemas::choice(&["en", "de"], "en or de", true)
}

/// A zone of the database built into the binary, written exactly so.
fn time_zone() -> RefOr<Schema> {
    let names: Vec<&str> = crate::domain::local_time::zone_names()
        .iter()
        .map(String::as_str)
        .collect();
    schemas::choice(
        &names,
        "an IANA time zone name such as Europe/Berlin, or UTC",
        true,
    )
}

/// Changes the fields given; the others keep their value. The public URL is not changeable
/// here: reset links are built from it (an operator sets it with `latchkey tenant set`).
#[utoipa::path(put, path = "/api/v1/tenants/{tenant}/settings", tag = "tenants", request_body = SettingsChange,
    responses((status = 200, body = Settings)))]
pub(super) async fn put_settings(
    State(state): State<AppState>,
    key: TenantKey,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SettingsChange>,
) -> Result<Json<Settings>, ApiError> {
    let mut tenant = key.tenant(&state, &[Scope::SettingsWrite]).await?;
    let before = tenant.clone();
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
    if let Some(v) = &body.time_zone {
        // Exactly one of the names the document lists (the pages also take offsets and blanks).
        if !crate::domain::local_time::zone_names()
            .iter()
            .any(|n| n == v)
        {
            return Err(crate::domain::InvalidInput(
                format!(
                    "time_zone: `{}` is not a time zone name (such as Europe/Berlin or UTC)",
                    v.escape_debug()
                )
                .into(),
            )
            .into());
        }
        s.time_zone = crate::domain::ZoneName::parse(v)?;
    }
    if let Some(v) = &body.support_contact {
        s.support_contact = match v.trim() {
            "" => None,
            raw => Some(crate::domain::SupportContact::parse(raw)?),
        };
    }
    state
        .core
        .update_tenant(key.auth.actor().at(&ip), &tenant, &before)
        .await?;
    Ok(Json(settings_of(&tenant)))
}
