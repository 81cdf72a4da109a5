//! Reads the command line shows besides the shared ones in `views.rs`: a tenant by id,
//! campaigns, API keys, and the database's own chores (backup, close).
//!
//! They return `anyhow::Result` with the store's error inside, as the CLI reported these reads
//! when it called the store itself (`--json` error code `failed`, same message).

use std::path::Path;

use super::Core;

use crate::store;
pub use crate::store::api_keys::ApiKey;
use crate::store::campaigns::Campaign;
use crate::store::Tenant;

impl Core {
    /// A tenant by its id; `None` when it was deleted.
    pub async fn tenant_by_id(&self, id: i64) -> anyhow::Result<Option<Tenant>> {
        Ok(store::tenants::by_id(&self.db, id).await?)
    }

    /// A page of a tenant's campaigns, newest first.
    pub async fn campaigns(
        &self,
        tenant: &Tenant,
        limit: i64,
        offset: i64,
    ) -> anyhow::Result<Vec<Campaign>> {
        Ok(store::campaigns::list(&self.db, tenant.id, limit, offset).await?)
    }

    /// How many mails of a tenant's campaign are in each status.
    pub async fn campaign_counts(
        &self,
        tenant: &Tenant,
        campaign_id: i64,
    ) -> anyhow::Result<Vec<(String, i64)>> {
        Ok(store::mail::counts(&self.db, Some(tenant.id), Some(campaign_id)).await?)
    }

    /// The API keys of one tenant, or with `None` every key (all-tenants keys and each
    /// tenant's).
    pub async fn api_keys(&self, tenant: Option<&Tenant>) -> anyhow::Result<Vec<ApiKey>> {
        Ok(store::api_keys::list(&self.db, tenant.map(|t| t.id)).await?)
    }

    /// An API key by its id.
    pub async fn api_key(&self, id: i64) -> anyhow::Result<Option<ApiKey>> {
        Ok(store::api_keys::get(&self.db, id).await?)
    }

    /// Writes a consistent snapshot of the SQLite database to `to`, which must not exist yet.
    pub async fn backup(&self, to: &Path) -> anyhow::Result<()> {
        Ok(self.db.backup(to).await?)
    }

    /// Closes the database connections.
    pub async fn close(&self) {
        self.db.close().await;
    }
}
