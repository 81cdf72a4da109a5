use super::{Actor, AuditEntry, Caller, Core, Result, ServiceError};
use crate::domain::{DisplayName, PublicUrl, TenantSettings, TenantSlug};
use crate::store::{self, Tenant};

impl Core {
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

    /// Writes a tenant's name, public URL, enabled flag and settings after checking the bounds.
    /// The default tenant can't be disabled: system administrators sign in there.
    pub async fn update_tenant(
        &self,
        by: impl Into<Caller<'_>>,
        tenant: &Tenant,
        before: &TenantSettings,
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
        let was_on = store::tenants::by_id(&self.db, tenant.id)
            .await?
            .is_some_and(|t| t.settings.password_reset_enabled);
        store::tenants::update(&self.db, tenant, self.now()).await?;
        // "Forgot password?" off ends the links it sent, and so does switching it on again (a
        // link issued in the instant of switching off, which opening and completing refuse
        // while it is off, must not come back to life). Links an administrator sent keep
        // working: the switch is about self-service.
        let links_cancelled = if tenant.settings.password_reset_enabled && was_on {
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
            detail: serde_json::json!({ "before": before, "after": tenant.settings, "enabled": tenant.enabled, "public_url": tenant.public_url, "display_name": tenant.display_name, "self_service_links_cancelled": links_cancelled }),
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
