//! Reads the console pages show: lists, counts and lookups, so the pages never call the store
//! themselves. Each is one query (or a few) with no rule of its own; the rules live in the
//! operations beside this file.

use super::{Core, Result};
use crate::store;

/// The store's row types the pages show, and the filters they build.
pub use crate::store::api_keys::ApiKey;
pub use crate::store::audit::Filter as AuditFilter;
pub use crate::store::campaigns::Campaign;
pub use crate::store::mail::Filter as MailFilter;
pub use crate::store::mail::{LogEntry, Task};
pub use crate::store::{Account, AuditEvent, Tenant};

/// How many tasks are in each status.
pub type StatusCounts = Vec<(String, i64)>;

impl Core {
    /// The database answers and every migration is applied (`/readyz`).
    pub async fn database_ready(&self) -> Result<bool> {
        Ok(self.db.ready().await?)
    }

    /// The queue as `/metrics` shows it: tasks per status, and how long the oldest due task
    /// has waited (0 when none).
    pub async fn queue_gauges(&self) -> Result<(StatusCounts, i64)> {
        let now = self.now();
        let counts = store::mail::counts(&self.db, None, None).await?;
        let oldest = store::mail::oldest_due(&self.db, now).await?;
        Ok((counts, oldest.map(|t| now - t).unwrap_or(0)))
    }

    /// The tenant called `slug`, enabled or not.
    pub async fn find_tenant(&self, slug: &str) -> Result<Option<Tenant>> {
        Ok(store::tenants::by_slug(&self.db, slug).await?)
    }

    pub async fn tenant_by_id(&self, id: i64) -> Result<Option<Tenant>> {
        Ok(store::tenants::by_id(&self.db, id).await?)
    }

    /// How many accounts a tenant has.
    pub async fn account_count(&self, tenant: &Tenant) -> Result<i64> {
        Ok(store::account_admin::count(&self.db, tenant.id).await?)
    }

    /// The account `username` of this tenant, if there is one.
    pub async fn account_named(&self, tenant: &Tenant, username: &str) -> Result<Option<Account>> {
        Ok(store::accounts::by_username(&self.db, tenant.id, username).await?)
    }

    /// The account `id` if it belongs to this tenant.
    pub async fn account_in_tenant(&self, tenant: &Tenant, id: i64) -> Result<Option<Account>> {
        Ok(store::accounts::by_id(&self.db, id)
            .await?
            .filter(|a| a.tenant_id == tenant.id))
    }

    /// How many API keys an account created still work (they end with the account).
    pub async fn usable_api_keys_created_by(&self, account: &Account) -> Result<i64> {
        Ok(store::api_keys::count_usable_created_by(&self.db, account.id, self.now()).await?)
    }

    /// The API keys of one tenant, or with `None` every key.
    pub async fn api_keys(&self, tenant: Option<&Tenant>) -> Result<Vec<ApiKey>> {
        Ok(store::api_keys::list(&self.db, tenant.map(|t| t.id)).await?)
    }

    pub async fn api_key(&self, id: i64) -> Result<Option<ApiKey>> {
        Ok(store::api_keys::get(&self.db, id).await?)
    }

    /// The latest audit events of one tenant, or with `None` of every tenant and the system,
    /// newest first.
    pub async fn recent_audit(
        &self,
        tenant: Option<&Tenant>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>> {
        Ok(store::audit::list(&self.db, tenant.map(|t| t.id), limit).await?)
    }

    /// How many tasks are in each status: of one tenant (or all), of one campaign (or all).
    pub async fn mail_counts(
        &self,
        tenant: Option<&Tenant>,
        campaign_id: Option<i64>,
    ) -> Result<StatusCounts> {
        Ok(store::mail::counts(&self.db, tenant.map(|t| t.id), campaign_id).await?)
    }

    /// One page of a tenant's campaigns (`page_size` from `offset`), newest first, each with its
    /// tasks per status; and whether more follow.
    pub async fn campaign_page(
        &self,
        tenant: &Tenant,
        page_size: i64,
        offset: i64,
    ) -> Result<(Vec<(Campaign, StatusCounts)>, bool)> {
        let mut campaigns =
            store::campaigns::list(&self.db, tenant.id, page_size + 1, offset).await?;
        let more = campaigns.len() as i64 > page_size;
        campaigns.truncate(page_size.max(0) as usize);
        let mut out = Vec::with_capacity(campaigns.len());
        for c in campaigns {
            let counts = store::mail::counts(&self.db, Some(tenant.id), Some(c.id)).await?;
            out.push((c, counts));
        }
        Ok((out, more))
    }
}
