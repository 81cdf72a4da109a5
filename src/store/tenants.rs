use serde::Serialize;

use super::sql;
use super::{conflict_as, Backend, Db, Result};
use crate::clock::Timestamp;
use crate::domain::{Language, SupportContact, TenantSettings, ZoneName};

#[derive(Debug, Clone, Serialize)]
pub struct Tenant {
    pub id: i64,
    pub slug: String,
    pub display_name: String,
    pub public_url: Option<String>,
    pub enabled: bool,
    pub settings: TenantSettings,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    slug: String,
    display_name: String,
    public_url: Option<String>,
    status: String,
    password_reset_enabled: i64,
    reset_link_ttl_secs: i64,
    password_min_length: i64,
    admin_reset_delay_secs: i64,
    reset_fallback_to_primary: i64,
    default_language: String,
    time_zone: String,
    /// The `support` settings document (a JSON string); absent from `RETURNING`.
    #[sqlx(default)]
    support_contact: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl From<Row> for Tenant {
    fn from(r: Row) -> Self {
        Tenant {
            id: r.id,
            slug: r.slug,
            display_name: r.display_name,
            public_url: r.public_url,
            enabled: r.status == "active",
            settings: TenantSettings {
                password_reset_enabled: r.password_reset_enabled != 0,
                reset_link_ttl_secs: r.reset_link_ttl_secs,
                password_min_length: r.password_min_length,
                admin_reset_delay_secs: r.admin_reset_delay_secs,
                reset_fallback_to_primary: r.reset_fallback_to_primary != 0,
                default_language: r.default_language.parse().unwrap_or(Language::En),
                time_zone: ZoneName::parse(&r.time_zone).unwrap_or_else(|_| ZoneName::utc()),
                support_contact: r
                    .support_contact
                    .and_then(|v| serde_json::from_str::<String>(&v).ok())
                    .and_then(|v| SupportContact::parse(&v).ok()),
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str = "id, slug, display_name, public_url, status, password_reset_enabled, reset_link_ttl_secs, \
     password_min_length, admin_reset_delay_secs, reset_fallback_to_primary, default_language, time_zone, created_at, updated_at";

/// The settings that live as documents in `settings` (scope `tenant:<id>`) rather than as
/// columns, read along with the row.
const DOCUMENTS: &str = "(SELECT value FROM settings WHERE scope = 'tenant:' || tenants.id AND key = 'support') AS support_contact";

/// The `settings` key of the support contact.
const SUPPORT_KEY: &str = "support";

pub async fn create(
    db: &Db,
    slug: &str,
    display_name: &str,
    public_url: Option<&str>,
    now: Timestamp,
) -> Result<Tenant> {
    let sql = format!(
        "INSERT INTO tenants (slug, display_name, public_url, created_at, updated_at) VALUES ($1, $2, $3, $4, $4) RETURNING {COLUMNS}"
    );
    let row: Row = sql::fetch_one(&db.write, &sql, (slug, display_name, public_url, now))
        .await
        .map_err(conflict_as(format!(
            "a tenant named `{slug}` already exists"
        )))?;
    Ok(row.into())
}

pub async fn by_slug(db: &Db, slug: &str) -> Result<Option<Tenant>> {
    let sql = format!("SELECT {COLUMNS}, {DOCUMENTS} FROM tenants WHERE slug = $1");
    let row: Option<Row> = sql::fetch_optional(&db.read, &sql, (slug,)).await?;
    Ok(row.map(Into::into))
}

pub async fn by_id(db: &Db, id: i64) -> Result<Option<Tenant>> {
    let sql = format!("SELECT {COLUMNS}, {DOCUMENTS} FROM tenants WHERE id = $1");
    let row: Option<Row> = sql::fetch_optional(&db.read, &sql, (id,)).await?;
    Ok(row.map(Into::into))
}

pub async fn list(db: &Db) -> Result<Vec<Tenant>> {
    let sql = format!("SELECT {COLUMNS}, {DOCUMENTS} FROM tenants ORDER BY slug");
    let rows: Vec<Row> = sql::fetch_all(&db.read, &sql, ()).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// Writes what of name, public URL, status and settings differs in `t` from `before` (the
/// tenant as the change read it): a save of some settings can't write back others that another
/// administrator changed meanwhile — a tenant administrator's save must not re-enable a tenant
/// an operator just disabled.
pub async fn update(db: &Db, t: &Tenant, before: &Tenant, now: Timestamp) -> Result<()> {
    let (s, old) = (&t.settings, &before.settings);
    let mut tx = db.write.begin().await?;
    let mut b = sql::Binds::default();
    let mut sets = Vec::new();
    let mut set = |column: &str, mark: String| sets.push(format!("{column} = {mark}"));
    if t.display_name != before.display_name {
        set("display_name", b.add(t.display_name.as_str())?);
    }
    if t.public_url != before.public_url {
        set("public_url", b.add(t.public_url.as_deref())?);
    }
    if t.enabled != before.enabled {
        set(
            "status",
            b.add(if t.enabled { "active" } else { "disabled" })?,
        );
    }
    if s.password_reset_enabled != old.password_reset_enabled {
        set(
            "password_reset_enabled",
            b.add(i64::from(s.password_reset_enabled))?,
        );
    }
    if s.reset_link_ttl_secs != old.reset_link_ttl_secs {
        set("reset_link_ttl_secs", b.add(s.reset_link_ttl_secs)?);
    }
    if s.password_min_length != old.password_min_length {
        set("password_min_length", b.add(s.password_min_length)?);
    }
    if s.admin_reset_delay_secs != old.admin_reset_delay_secs {
        set("admin_reset_delay_secs", b.add(s.admin_reset_delay_secs)?);
    }
    if s.reset_fallback_to_primary != old.reset_fallback_to_primary {
        set(
            "reset_fallback_to_primary",
            b.add(i64::from(s.reset_fallback_to_primary))?,
        );
    }
    if s.default_language != old.default_language {
        set("default_language", b.add(s.default_language.as_str())?);
    }
    if s.time_zone != old.time_zone {
        set("time_zone", b.add(s.time_zone.as_str())?);
    }
    set("updated_at", b.add(now)?);
    let statement = format!(
        "UPDATE tenants SET {} WHERE id = {}",
        sets.join(", "),
        b.add(t.id)?
    );
    sql::execute(&mut *tx, &statement, b).await?;
    let scope = super::settings::tenant_scope(t.id);
    match &s.support_contact {
        _ if s.support_contact == old.support_contact => {}
        Some(c) => {
            let value = serde_json::Value::String(c.as_str().to_owned()).to_string();
            super::settings::put_in(&mut *tx, &scope, SUPPORT_KEY, &value, now).await?;
        }
        None => {
            super::settings::delete_in(&mut *tx, &scope, SUPPORT_KEY).await?;
        }
    }
    if db.backend == Backend::Postgres {
        // Delivered when the change commits, to every instance's cache (service/tenants.rs).
        sql::execute(&mut *tx, "SELECT pg_notify($1, '')", (CHANGES_CHANNEL,)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The channel changes to tenants are announced on (PostgreSQL).
const CHANGES_CHANNEL: &str = "latchkey_tenants";

/// Calls `changed` whenever any instance changes a tenant ([`update`]) and whenever the
/// connection was lost and re-established (changes may have gone unheard), for as long as the
/// future runs. PostgreSQL only.
pub async fn listen_for_changes(url: &str, changed: impl Fn()) -> Result<()> {
    let mut listener = sqlx::postgres::PgListener::connect(url).await?;
    listener.listen(CHANGES_CHANNEL).await?;
    // Anything changed before listening began is unheard: start from an empty cache.
    changed();
    loop {
        // `None`: the connection was lost (the next call reconnects).
        listener.try_recv().await?;
        changed();
    }
}
