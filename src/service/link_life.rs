//! The life of reset links and temporary passwords, per recipient of a campaign and per
//! account (issue 17), and the people "Forgot password?" can't reach. Read-only: what the
//! console's campaign, user, user-list, import and overview pages show.

use std::collections::HashMap;

use serde::Serialize;

use super::{Core, Result};
use crate::clock::Timestamp;
use crate::domain::link_life::{link_life, temporary_password_life, LinkFacts, LinkLife};
use crate::mail::templates::MailKind;
use crate::store::link_life::{Scope, TokenLife};
use crate::store::mail::{Task, TaskKind, TaskStatus};
use crate::store::{self, Account, Tenant};

/// How many links and temporary passwords an account's page shows.
const ACCOUNT_HISTORY: i64 = 10;

/// One link or temporary password on an account's page, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct AccountLink {
    /// The mail kind that carried it (`reset_link`, `admin_reset_link`, `temporary_password`).
    pub kind: &'static str,
    pub sent_to: Option<String>,
    pub created_at: Timestamp,
    pub life: LinkLife,
}

/// The active people of a tenant "Forgot password?" can't reach, by reason.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Unreachable {
    /// No address at all: no mail of any kind reaches them.
    pub no_address: i64,
    /// No reset address, and the tenant doesn't fall back to the primary one.
    pub no_reset_address: i64,
}

impl Unreachable {
    pub fn total(&self) -> i64 {
        self.no_address + self.no_reset_address
    }
}

fn facts(t: &TokenLife) -> LinkFacts {
    LinkFacts {
        delivered_at: t.delivered_at,
        expires_at: t.expires_at,
        first_opened_at: t.first_opened_at,
        open_count: t.open_count,
        used_at: t.used_at,
        cancelled_at: t.cancelled_at,
        superseded_at: t.superseded_at,
    }
}

/// When the person chose their own password after a temporary password delivered at
/// `delivered`, before the next one (`next`) came: the account keeps only its latest change.
fn temporary_password_set(
    delivered: Timestamp,
    next: Option<Timestamp>,
    own_password_at: Option<Timestamp>,
) -> Option<Timestamp> {
    own_password_at.filter(|&at| at >= delivered && next.is_none_or(|n| at < n))
}

/// The temporary passwords delivered in a scope, per account, oldest first.
fn by_account(rows: &[(i64, i64, Timestamp)]) -> HashMap<i64, Vec<(i64, Timestamp)>> {
    let mut out: HashMap<i64, Vec<(i64, Timestamp)>> = HashMap::new();
    for &(task, account, at) in rows.iter().rev() {
        out.entry(account).or_default().push((task, at));
    }
    out
}

/// The life of temporary password `task` among the account's delivered ones.
fn temporary_life(
    task: i64,
    delivered: &[(i64, Timestamp)],
    own_password_at: Option<Timestamp>,
) -> Option<LinkLife> {
    let i = delivered.iter().position(|&(id, _)| id == task)?;
    let at = delivered[i].1;
    let next = delivered.get(i + 1).map(|&(_, n)| n);
    Some(temporary_password_life(
        at,
        temporary_password_set(at, next, own_password_at),
    ))
}

impl Core {
    /// For each of a campaign's tasks (in the order given): the life of what it carried, once
    /// delivered. A reset link: its token. A temporary password: sent, password set. An
    /// invitation (a link to "Forgot password?"): the first link the person asked for after it
    /// was delivered, else just sent. `None` for a task not delivered (its status says why).
    pub(crate) async fn campaign_lives(
        &self,
        campaign_id: i64,
        tasks: &[Task],
    ) -> Result<Vec<Option<LinkLife>>> {
        let scope = Scope::Campaign(campaign_id);
        // Only what the delivered tasks of the page need is read: a campaign just created (the
        // answer to its POST) has none, and reading every recipient's account for nothing was
        // a tenth of that request.
        let delivered = |kinds: &[MailKind]| {
            tasks.iter().any(|t| {
                t.status == TaskStatus::Done
                    && t.done_at.is_some()
                    && t.account_id.is_some()
                    && matches!(&t.kind, TaskKind::Mail(k) if kinds.contains(k))
            })
        };
        // Every token of these accounts, with room for a few per recipient.
        let limit = (tasks.len() as i64 + 1).saturating_mul(20);
        let tokens = if delivered(&[MailKind::AdminResetLink, MailKind::Campaign]) {
            store::link_life::tokens(&self.db, scope, limit).await?
        } else {
            Vec::new()
        };
        let (temporary, own) = if delivered(&[MailKind::TemporaryPassword]) {
            let temporary = store::link_life::temporary_passwords(&self.db, scope, limit).await?;
            let own: HashMap<i64, Option<Timestamp>> =
                store::link_life::own_password_set(&self.db, scope)
                    .await?
                    .into_iter()
                    .collect();
            (by_account(&temporary), own)
        } else {
            (HashMap::new(), HashMap::new())
        };
        let now = self.now();
        Ok(tasks
            .iter()
            .map(|task| {
                let (Some(delivered), TaskStatus::Done, Some(account)) =
                    (task.done_at, task.status, task.account_id)
                else {
                    return None;
                };
                match &task.kind {
                    TaskKind::Mail(MailKind::AdminResetLink) => tokens
                        .iter()
                        .find(|t| t.task_id == Some(task.id))
                        .map(|t| link_life(&facts(t), now)),
                    TaskKind::Mail(MailKind::TemporaryPassword) => temporary_life(
                        task.id,
                        temporary.get(&account).map(Vec::as_slice).unwrap_or(&[]),
                        own.get(&account).copied().flatten(),
                    ),
                    TaskKind::Mail(MailKind::Campaign) => Some(
                        tokens
                            .iter()
                            .rev()
                            .find(|t| t.account_id == account && t.created_at >= delivered)
                            .map(|t| link_life(&facts(t), now))
                            // Nothing asked for yet: delivered, no more to know.
                            .unwrap_or_else(|| temporary_password_life(delivered, None)),
                    ),
                    _ => None,
                }
            })
            .collect())
    }

    /// An account's latest reset links (its own and an administrator's) and temporary
    /// passwords, newest first, with their lives.
    pub async fn account_links(
        &self,
        tenant: &Tenant,
        account: &Account,
    ) -> Result<Vec<AccountLink>> {
        if account.tenant_id != tenant.id {
            return Ok(Vec::new());
        }
        let scope = Scope::Account(account.id);
        let now = self.now();
        let mut out: Vec<AccountLink> = store::link_life::tokens(&self.db, scope, ACCOUNT_HISTORY)
            .await?
            .iter()
            .map(|t| AccountLink {
                kind: if t.origin == "self" {
                    MailKind::ResetLink.as_str()
                } else {
                    MailKind::AdminResetLink.as_str()
                },
                sent_to: Some(t.sent_to.clone()),
                created_at: t.created_at,
                life: link_life(&facts(t), now),
            })
            .collect();
        let temporary =
            store::link_life::temporary_passwords(&self.db, scope, ACCOUNT_HISTORY).await?;
        let delivered = by_account(&temporary);
        let delivered = delivered.get(&account.id).map(Vec::as_slice).unwrap_or(&[]);
        let own = account
            .password_changed_at
            .filter(|_| !account.must_change_password);
        for &(task, _, at) in &temporary {
            if let Some(life) = temporary_life(task, delivered, own) {
                out.push(AccountLink {
                    kind: MailKind::TemporaryPassword.as_str(),
                    sent_to: None,
                    created_at: at,
                    life,
                });
            }
        }
        out.sort_by_key(|l| std::cmp::Reverse(l.created_at));
        out.truncate(ACCOUNT_HISTORY as usize);
        Ok(out)
    }

    /// The active recipients of `tenant`'s campaign `campaign_id` whom "Forgot password?" can't
    /// reach, by reason: for an invitation to ask for one's own link, the ones it leads
    /// nowhere for (the console's form warns only for people ticked in the list).
    pub async fn campaign_unreachable(
        &self,
        tenant: &Tenant,
        campaign_id: i64,
    ) -> Result<Unreachable> {
        let (no_address, no_reset_address) = store::link_life::campaign_unreachable_counts(
            &self.db,
            campaign_id,
            tenant.settings.reset_fallback_to_primary,
        )
        .await?;
        Ok(Unreachable {
            no_address,
            no_reset_address,
        })
    }

    /// The active people of `tenant` who can't receive a "Forgot password?" mail, by reason.
    pub async fn unreachable_people(&self, tenant: &Tenant) -> Result<Unreachable> {
        let (no_address, no_reset_address) = store::link_life::unreachable_counts(
            &self.db,
            tenant.id,
            tenant.settings.reset_fallback_to_primary,
        )
        .await?;
        Ok(Unreachable {
            no_address,
            no_reset_address,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_password_counts_as_set_only_before_the_next_one() {
        let delivered = [(1, 100), (2, 200)];
        assert_eq!(
            temporary_life(1, &delivered, Some(150))
                .unwrap()
                .password_set_at,
            Some(150)
        );
        assert_eq!(
            temporary_life(1, &delivered, Some(250))
                .unwrap()
                .password_set_at,
            None
        );
        assert_eq!(
            temporary_life(2, &delivered, Some(250))
                .unwrap()
                .password_set_at,
            Some(250)
        );
        assert_eq!(
            temporary_life(2, &delivered, None).unwrap().password_set_at,
            None
        );
        assert!(temporary_life(3, &delivered, None).is_none());
    }
}
