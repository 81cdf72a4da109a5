//! Reset links for a round's administrator mails, made before its lanes start sending: the
//! account work of every personal reset link in the round (the link, older links dying, the
//! account's sessions ended, the keys it created revoked, the audit event) is one transaction
//! instead of one per mail — a campaign's round of up to 50 mails per connection is one commit.
//!
//! A mail whose account can't get its link now (gone, disabled, new address…) or whose account
//! already has a link in this round is left out; `deliver_one` makes (or refuses) its secret at
//! send time, one by one, as for every mail before. If the transaction fails, nothing is made
//! ahead and every mail goes the one-by-one way.
//!
//! What changes: a link is made up to a round's length (seconds) before its mail goes out, not
//! just before. A mail that isn't sent in this round (stop, an unreachable server, a crash) gets
//! a new link when it is tried again, which supersedes the unsent one; its audit event then
//! stands twice, as it could before for the one mail in flight.

use std::collections::{HashMap, HashSet};

use secrecy::SecretString;
use serde_json::Value;

use crate::service::admin_reset::{admin_sent, admin_target_of, valid_for};
use crate::service::task_data::{IssueSecret, TaskControl};
use crate::service::{Actor, Core, Result, ServiceError};
use crate::store::admin_secret::AdminLink;
use crate::store::mail::Task;
use crate::store::{self, Account, Tenant};

impl Core {
    /// The round's reset links made ahead, by task id (see the module documentation).
    pub(super) async fn issue_links_ahead(&self, tasks: &[Task]) -> HashMap<i64, SecretString> {
        match self.try_issue_links_ahead(tasks).await {
            Ok(links) => links,
            Err(e) => {
                tracing::warn!(error = %e, "could not make the round's reset links ahead; making them one by one");
                HashMap::new()
            }
        }
    }

    async fn try_issue_links_ahead(&self, tasks: &[Task]) -> Result<HashMap<i64, SecretString>> {
        let mut tenants: HashMap<i64, Option<Tenant>> = HashMap::new();
        let mut accounts = HashSet::new();
        let mut ahead: Vec<(&Task, Tenant, Account, i64)> = Vec::new();
        // The mails that carry a reset link (a round of notices has none: no read at all).
        let linked: Vec<(&Task, Value)> = tasks
            .iter()
            .filter_map(|task| {
                let data = serde_json::from_str::<Value>(&task.data).ok()?;
                (TaskControl::of(&data).issue == Some(IssueSecret::ResetLink))
                    .then_some((task, data))
            })
            .collect();
        if linked.is_empty() {
            return Ok(HashMap::new());
        }
        // Their accounts in one read (the checks below as `admin_target`'s).
        let ids: Vec<i64> = linked.iter().filter_map(|(t, _)| t.account_id).collect();
        let read = store::accounts::by_ids(&self.db, &ids).await?;
        for (task, data) in linked {
            let control = TaskControl::of(&data);
            let Some(tenant_id) = task.tenant_id else {
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(e) = tenants.entry(tenant_id) {
                e.insert(store::tenants::by_id(&self.db, tenant_id).await?);
            }
            let tenant = tenants.get(&tenant_id).and_then(Option::as_ref);
            let account = task.account_id.and_then(|id| read.get(&id).cloned());
            match admin_target_of(task, tenant, &control, account) {
                // One link per account and round: a second mail to the same account makes its
                // own at send time, so it supersedes the first as it would one by one.
                Ok((tenant, account)) if accounts.insert(account.id) => {
                    ahead.push((task, tenant.clone(), account, valid_for(&data)));
                }
                Ok(_) => {}
                Err(ServiceError::Internal(e)) => return Err(ServiceError::Internal(e)),
                // Refused at send time, with its reason, as before.
                Err(_) => {}
            }
        }
        if ahead.is_empty() {
            return Ok(HashMap::new());
        }
        let now = self.now();
        let tokens: Vec<_> = ahead
            .iter()
            .map(|_| crate::domain::token::new_token())
            .collect();
        let links: Vec<AdminLink> = ahead
            .iter()
            .zip(&tokens)
            .map(|((task, tenant, account, valid_for), token)| AdminLink {
                hash: &token.hash,
                tenant_id: tenant.id,
                account_id: account.id,
                sent_to: &task.recipient,
                task_id: task.id,
                expires_at: now + *valid_for,
            })
            .collect();
        let actor = Actor::System.label();
        let events: Vec<_> = ahead
            .iter()
            .map(|(task, _, account, _)| {
                admin_sent(task, account, IssueSecret::ResetLink).row(&actor)
            })
            .collect();
        let pairs: Vec<_> = links.iter().zip(&events).collect();
        let revoked = store::admin_secret::issue_links(&self.db, &pairs, now).await?;
        let mut made = HashMap::with_capacity(ahead.len());
        for (((task, tenant, account, _), token), keys) in ahead.iter().zip(&tokens).zip(&revoked) {
            Core::log_audit(&admin_sent(task, account, IssueSecret::ResetLink));
            self.audit_keys_revoked(&Actor::System, account, keys, "creator_admin_reset", None)
                .await;
            made.insert(task.id, self.reset_url(tenant, token));
        }
        Ok(made)
    }
}
