//! Hooks for Latchkey's own integration tests, compiled only with the cargo feature
//! `test-support` (which the crate's dev-dependency on itself switches on, so `cargo test` has
//! it and a build people run does not). Not an API: hidden from the docs.
//!
//! The tests drive Latchkey through the service layer like the faces do. What no product
//! operation offers — reading raw rows, forcing a state (an expired token, a crashed worker's
//! claim), the queue's own primitives — goes through [`TestStore`], a narrow handle on the store:
//! each method is one store call the tests need, no more.

use sqlx::AnyPool;

use crate::clock::Timestamp;
use crate::domain::Language;
use crate::mail::templates::{MailKind, TemplateSource};
use crate::service::Core;
use crate::store::{self, Db, Result};

/// The store as the integration tests may touch it: `core.test_store()`.
#[derive(Clone, Copy)]
pub struct TestStore<'a> {
    db: &'a Db,
}

impl Core {
    /// The narrow store handle for test set-up and inspection.
    pub fn test_store(&self) -> TestStore<'_> {
        TestStore { db: &self.db }
    }
}

impl<'a> TestStore<'a> {
    /// The connection pool, for raw rows: reading what no operation shows, forcing a state.
    pub fn pool(&self) -> &'a AnyPool {
        self.db.read_pool()
    }

    /// Counts and queues "Forgot password?" submissions as one group, as the admission writer
    /// does with submissions that arrive together.
    pub async fn admit(
        &self,
        subs: &[store::reset::Submission],
    ) -> Result<Vec<store::reset::Admitted>> {
        store::reset::admit(self.db, subs, 3600).await
    }

    /// Mail task `id`, any tenant's.
    pub async fn task(&self, id: i64) -> Result<Option<store::mail::Task>> {
        store::mail::get(self.db, id).await
    }

    pub async fn enqueue(&self, t: &store::mail::NewTask<'_>, now: Timestamp) -> Result<i64> {
        store::mail::enqueue(self.db, t, now).await
    }

    pub async fn enqueue_many(
        &self,
        tasks: &[store::mail::NewTask<'_>],
        now: Timestamp,
    ) -> Result<Vec<i64>> {
        store::mail::enqueue_many(self.db, tasks, now).await
    }

    /// Claims due tasks as worker `owner` would, without delivering them.
    pub async fn claim(
        &self,
        owner: &str,
        batch: i64,
        lease_secs: i64,
        now: Timestamp,
    ) -> Result<Vec<store::mail::Task>> {
        store::mail::claim(self.db, owner, batch, lease_secs, now).await
    }

    /// A sign-in's session for `account_id`, opened only while the account still has `role`
    /// and the hash `password_hash` (what the sign-in checked): whether it was opened.
    pub async fn open_session_as_checked(
        &self,
        account_id: i64,
        role: &str,
        password_hash: Option<&str>,
        now: Timestamp,
    ) -> Result<bool> {
        let token = crate::domain::token::new_token();
        let event = store::audit::NewEvent {
            tenant_id: None,
            actor: "test".into(),
            action: "login".into(),
            target: None,
            ip: None,
            outcome: "success".into(),
            detail: serde_json::json!({}),
        };
        let session = store::sessions::NewSession {
            token_hash: &token.hash,
            account_id,
            expires_at: now + 3600,
            ip: "127.0.0.1",
            user_agent: "test",
        };
        let checked = store::sessions::Checked {
            role,
            password_hash,
        };
        match store::sessions::open_after_sign_in(self.db, &[], &session, &checked, &event, now)
            .await
        {
            Ok(_) => Ok(true),
            Err(store::StoreError::Conflict(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Worker `owner` beginning the last attempt of task `id`, as just before handing it over.
    pub async fn begin_last_attempt(&self, id: i64, owner: &str, now: Timestamp) -> Result<bool> {
        store::mail::begin_last_attempt(self.db, id, owner, now).await
    }

    /// Worker `owner`'s report that task `id` was delivered.
    pub async fn complete(&self, id: i64, owner: &str, now: Timestamp) -> Result<bool> {
        store::mail::complete(self.db, id, owner, now).await
    }

    pub async fn cancel(&self, id: i64, tenant_id: Option<i64>, now: Timestamp) -> Result<bool> {
        store::mail::cancel(self.db, id, tenant_id, now).await
    }

    /// Campaign `id`, any tenant's.
    pub async fn campaign(&self, id: i64) -> Result<Option<store::campaigns::Campaign>> {
        store::campaigns::get(self.db, id).await
    }

    pub async fn skipped(&self, campaign_id: i64) -> Result<Vec<store::campaigns::Skipped>> {
        store::campaigns::skipped(self.db, campaign_id).await
    }

    pub async fn create_campaign(
        &self,
        c: &store::campaigns::NewCampaign<'_>,
        tasks: &mut [store::mail::NewTask<'_>],
        skipped: &[(String, String)],
        now: Timestamp,
    ) -> Result<i64> {
        store::campaigns::create(self.db, c, tasks, skipped, now).await
    }

    pub async fn live_sessions(
        &self,
        account_id: i64,
        now: Timestamp,
        idle_secs: i64,
    ) -> Result<Vec<store::sessions::Session>> {
        store::sessions::list_live(self.db, account_id, now, idle_secs).await
    }

    /// The stored template (none: the built-in one is used).
    pub async fn template(
        &self,
        tenant_id: i64,
        kind: MailKind,
        lang: Language,
    ) -> Result<Option<TemplateSource>> {
        store::templates::get(self.db, tenant_id, kind, lang).await
    }

    /// Stores a template as it is, past the checks the template editor makes, by "test".
    pub async fn put_template(
        &self,
        (tenant_id, kind, lang): (i64, MailKind, Language),
        src: &TemplateSource,
        now: Timestamp,
    ) -> Result<()> {
        store::templates::put(self.db, tenant_id, kind, lang, src, "test", now).await
    }

    pub async fn setting(&self, scope: &str, key: &str) -> Result<Option<String>> {
        store::settings::get(self.db, scope, key).await
    }

    /// Stores a setting as it is, past the checks the settings operations make.
    pub async fn put_setting(
        &self,
        scope: &str,
        key: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<()> {
        store::settings::put(self.db, scope, key, value, now).await
    }

    pub async fn delete_setting(&self, scope: &str, key: &str) -> Result<()> {
        store::settings::delete(self.db, scope, key).await?;
        Ok(())
    }

    /// Sets a password hash as it is (a hash made elsewhere, an old algorithm's); every session
    /// ends.
    pub async fn set_password_hash(
        &self,
        account_id: i64,
        hash: &str,
        now: Timestamp,
    ) -> Result<()> {
        store::accounts::set_password(self.db, account_id, Some(hash), false, None, now).await
    }

    pub async fn set_temporary_password(
        &self,
        account_id: i64,
        hash: &str,
        expires_at: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        store::accounts::set_temporary_password(
            self.db,
            account_id,
            Some(hash),
            expires_at,
            |_| Vec::new(),
            now,
        )
        .await
        .map(drop)
    }

    /// Records a reset request as the reset page would, without sending anything.
    pub async fn add_reset_request(
        &self,
        tenant_id: i64,
        identifier: &str,
        ip: &str,
        now: Timestamp,
    ) -> Result<()> {
        let source = crate::service::ip_bucket(ip);
        store::reset::add_request(self.db, tenant_id, identifier, (ip, &source), 1000, now)
            .await
            .map(|_| ())
    }

    pub async fn clear_rate_limit(&self, key: &str) -> Result<()> {
        store::rate_limit::clear(self.db, key).await
    }

    /// The rate limiter's own counting, as the limits use it.
    pub async fn hit_rate_limit(&self, key: &str, window_secs: i64, now: Timestamp) -> Result<i64> {
        store::rate_limit::hit(self.db, key, window_secs, now).await
    }

    pub async fn hit_rate_limits(
        &self,
        keys: &[&str],
        window_secs: i64,
        now: Timestamp,
    ) -> Result<Vec<i64>> {
        store::rate_limit::hit_all(self.db, keys, window_secs, now).await
    }

    pub async fn peek_rate_limit(
        &self,
        key: &str,
        window_secs: i64,
        now: Timestamp,
    ) -> Result<i64> {
        store::rate_limit::peek(self.db, key, window_secs, now).await
    }
}
