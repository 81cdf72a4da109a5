use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Actor, AuditEntry, Caller, Core, Result, ServiceError};
use crate::domain::{DisplayName, PublicUrl, TenantSettings, TenantSlug};
use crate::store::{self, Tenant};

/// The longest a cached tenant is served: a change made by another process (another `serve`,
/// the CLI) takes effect here within this bound at the latest, on both backends. PostgreSQL
/// announces changes (`NOTIFY latchkey_tenants`), so there it is usually milliseconds; changes
/// made through this process take effect at once. See docs/decisions.md (issue 20).
pub const TENANT_CACHE_TTL: Duration = Duration::from_secs(1);

/// Tenants as the request path reads them (the public pages, the self-service API, the
/// console's guard, the reset worker): one database read per tenant and [`TENANT_CACHE_TTL`]
/// instead of one per request. Entries are stamped with the moment their read *began*, so a
/// read racing a change can't stretch the bound; a local change empties the cache and bumps
/// the generation, so such a read isn't stored at all.
#[derive(Default)]
pub(crate) struct TenantCache {
    inner: Mutex<CacheInner>,
}

#[derive(Default)]
struct CacheInner {
    generation: u64,
    by_slug: HashMap<String, (Tenant, Instant)>,
    by_id: HashMap<i64, (Tenant, Instant)>,
}

/// A key the cache finds a tenant by.
enum Key<'a> {
    Slug(&'a str),
    Id(i64),
}

impl TenantCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // A panic while holding the lock leaves plain maps behind: still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh entry, or the generation a read starting now belongs to.
    fn get(&self, key: &Key<'_>) -> std::result::Result<Tenant, u64> {
        let inner = self.lock();
        let hit = match key {
            Key::Slug(slug) => inner.by_slug.get(*slug),
            Key::Id(id) => inner.by_id.get(id),
        };
        match hit {
            Some((t, at)) if at.elapsed() < TENANT_CACHE_TTL => Ok(t.clone()),
            _ => Err(inner.generation),
        }
    }

    fn put(&self, t: &Tenant, generation: u64, read_began: Instant) {
        let mut inner = self.lock();
        if inner.generation != generation {
            return; // changed while it was read: the next request reads again
        }
        inner.by_id.insert(t.id, (t.clone(), read_began));
        inner
            .by_slug
            .insert(t.slug.clone(), (t.clone(), read_began));
    }

    /// Forgets every tenant (after a change here, or one another instance announced).
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.by_slug.clear();
        inner.by_id.clear();
    }
}

impl Core {
    /// The tenant called `slug`, enabled or not, as cached for the request path (at most
    /// [`TENANT_CACHE_TTL`] old; never older than a change made through this process).
    pub(crate) async fn cached_tenant(&self, slug: &str) -> Result<Option<Tenant>> {
        self.cached(Key::Slug(slug)).await
    }

    /// [`Core::cached_tenant`] by id.
    pub(crate) async fn cached_tenant_by_id(&self, id: i64) -> Result<Option<Tenant>> {
        self.cached(Key::Id(id)).await
    }

    async fn cached(&self, key: Key<'_>) -> Result<Option<Tenant>> {
        let generation = match self.tenant_cache.get(&key) {
            Ok(t) => return Ok(Some(t)),
            Err(generation) => generation,
        };
        let began = Instant::now();
        let t = match key {
            Key::Slug(slug) => store::tenants::by_slug(&self.db, slug).await?,
            Key::Id(id) => store::tenants::by_id(&self.db, id).await?,
        };
        // Unknown tenants aren't remembered: one created elsewhere is found at once.
        if let Some(t) = &t {
            self.tenant_cache.put(t, generation, began);
        }
        Ok(t)
    }

    /// Runs until dropped: empties the tenant cache whenever another instance announces a
    /// change to a tenant, and whenever the connection that listens was lost (what was
    /// announced meanwhile is unknown). PostgreSQL only; returns at once on SQLite, where the
    /// cache's TTL alone bounds how long another process's change takes.
    pub async fn listen_for_tenant_changes(&self) {
        let clear = || self.tenant_cache.clear();
        self.keep_listening(
            store::tenants::listen_for_changes,
            clear,
            clear,
            Duration::from_secs(5),
            "could not listen for tenant changes; retrying in 5 s",
        )
        .await
    }

    pub async fn tenant(&self, slug: &str) -> Result<Tenant> {
        store::tenants::by_slug(&self.db, slug)
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(
                    crate::i18n::Msg::new("console-people-err-no-tenant")
                        .arg("slug", slug.escape_debug().to_string())
                        .into(),
                )
            })
    }

    /// Creates a tenant with the default settings; its display name defaults to the slug.
    pub async fn create_tenant(
        &self,
        by: impl Into<Caller<'_>>,
        slug: &TenantSlug,
        display_name: Option<&DisplayName>,
        public_url: Option<&PublicUrl>,
    ) -> Result<Tenant> {
        let Caller { actor, ip } = by.into();
        let name = display_name
            .map(|n| n.as_str().to_owned())
            .unwrap_or_else(|| slug.as_str().to_owned());
        let t = store::tenants::create(
            &self.db,
            slug.as_str(),
            &name,
            public_url.map(|u| u.as_str()),
            self.now(),
        )
        .await
        .map_err(|e| match e {
            store::StoreError::Conflict(_) => ServiceError::Conflict(
                crate::i18n::Msg::new("console-people-err-tenant-taken")
                    .arg("slug", slug.as_str())
                    .into(),
            ),
            e => e.into(),
        })?;
        self.audit(AuditEntry {
            tenant_id: Some(t.id),
            actor,
            action: "tenant.created",
            target: Some(slug.as_str()),
            ip,
            outcome: "success",
            detail: serde_json::json!({}),
        })
        .await;
        Ok(t)
    }

    /// Writes what changed of a tenant's name, public URL, enabled flag and settings between
    /// `before` (as the caller read it) and `tenant`, after checking the bounds. The default
    /// tenant can't be disabled: system administrators sign in there.
    pub async fn update_tenant(
        &self,
        by: impl Into<Caller<'_>>,
        tenant: &Tenant,
        before: &Tenant,
    ) -> Result<()> {
        let Caller { actor, ip } = by.into();
        tenant
            .settings
            .validate()
            .map_err(|e| settings_refused(&tenant.settings, e))?;
        if !tenant.enabled && tenant.slug == self.config.raw.default_tenant {
            return Err(ServiceError::Invalid(
                crate::i18n::Msg::new("console-people-err-default-tenant-disabled")
                    .arg("slug", tenant.slug.as_str())
                    .into(),
            ));
        }
        // As stored now (the caller's copy may be a second old): what the save leaves of the
        // switch and the enabled flag is decided from this and what the caller changed.
        let stored = store::tenants::by_id(&self.db, tenant.id).await?;
        let was_on = stored
            .as_ref()
            .is_some_and(|t| t.settings.password_reset_enabled);
        let is_on =
            if tenant.settings.password_reset_enabled != before.settings.password_reset_enabled {
                tenant.settings.password_reset_enabled
            } else {
                was_on
            };
        let enabled = if tenant.enabled != before.enabled {
            tenant.enabled
        } else {
            stored.as_ref().is_some_and(|t| t.enabled)
        };
        let updated = store::tenants::update(&self.db, tenant, before, self.now()).await;
        // Emptied even when the write failed: it may have committed before the error.
        self.tenant_cache.clear();
        updated?;
        // "Forgot password?" off ends the links it sent, and so does switching it on again (a
        // link issued in the instant of switching off, which opening and completing refuse
        // while it is off, must not come back to life). Links an administrator sent keep
        // working: the switch is about self-service.
        let links_cancelled = if is_on && was_on {
            None
        } else {
            Some(store::reset::cancel_self_service(&self.db, tenant.id, self.now()).await?)
        };
        self.audit(AuditEntry {
            tenant_id: Some(tenant.id),
            actor,
            action: "tenant.updated",
            target: Some(&tenant.slug),
            ip,
            outcome: "success",
            detail: serde_json::json!({ "before": before.settings, "after": tenant.settings, "enabled": enabled, "public_url": tenant.public_url, "display_name": tenant.display_name, "self_service_links_cancelled": links_cancelled }),
        })
        .await;
        Ok(())
    }

    /// Makes sure the default tenant exists (first start).
    pub async fn ensure_default_tenant(&self) -> Result<Tenant> {
        let slug = TenantSlug::parse(&self.config.raw.default_tenant)?;
        if let Some(t) = store::tenants::by_slug(&self.db, slug.as_str()).await? {
            return Ok(t);
        }
        match self.create_tenant(&Actor::System, &slug, None, None).await {
            Ok(t) => Ok(t),
            // Another instance created it at the same moment.
            Err(ServiceError::Conflict(_)) => self.tenant(slug.as_str()).await,
            Err(e) => Err(e),
        }
    }
}

/// Why settings are out of bounds, as a message for the reader ([`TenantSettings::validate`]
/// says the same in English).
fn settings_refused(s: &TenantSettings, e: crate::domain::InvalidInput) -> ServiceError {
    use crate::domain::bounds::*;
    use crate::i18n::Msg;
    let msg = if !(MIN_PASSWORD_LENGTH_FLOOR..=MIN_PASSWORD_LENGTH_CEILING)
        .contains(&s.password_min_length)
    {
        Msg::new("console-people-err-min-length-bounds")
            .arg("min", MIN_PASSWORD_LENGTH_FLOOR)
            .arg("max", MIN_PASSWORD_LENGTH_CEILING)
    } else if !(RESET_LINK_TTL_MIN_SECS..=RESET_LINK_TTL_MAX_SECS).contains(&s.reset_link_ttl_secs)
    {
        Msg::new("console-people-err-ttl-bounds")
    } else if !(0..=ADMIN_RESET_DELAY_MAX_SECS).contains(&s.admin_reset_delay_secs) {
        Msg::new("console-people-err-delay-bounds")
    } else {
        return e.into();
    };
    ServiceError::Invalid(msg.into())
}
