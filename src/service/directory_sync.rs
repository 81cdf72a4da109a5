//! Planning a sync: which accounts the directory's people become. Pure (no I/O), so the rules
//! are tested without a server; `store::directory::apply` writes the plan in one transaction.
//!
//! Rules: a person is linked to an account by the stable id; the first time, by username to a
//! local account that is not linked yet (never a system administrator: they stay local, so a
//! directory can't lock out or take over the people who run Latchkey). Directory fields
//! (username, name, addresses, DN, disabled state, and the role when an admin group is set) are
//! copied over; linked accounts whose person is gone are disabled, never deleted.

use std::collections::{HashMap, HashSet};

use super::accounts::role_rank;
use super::directory::SyncReport;
use crate::directory::Person;
use crate::domain::{AccountStatus, EmailAddress, Role, Username};
use crate::i18n::{Msg, Text};
pub use crate::store::directory::{Fields, SyncOp};
use crate::store::Account;

#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// The people are the whole directory: linked accounts not among them are disabled.
    pub full: bool,
    /// An admin group is set: members are tenant administrators, others users.
    pub admin_group: bool,
    /// No reset-address attribute is mapped: the address stays Latchkey's (people set it).
    pub keeps_reset_email: bool,
}

pub struct Plan {
    pub ops: Vec<SyncOp>,
    pub report: SyncReport,
}

const MAX_ERRORS: usize = 50;

fn lower(s: &str) -> String {
    s.to_lowercase()
}

pub fn plan(existing: &[Account], people: &[Person], rules: Rules) -> Plan {
    let mut report = SyncReport {
        people: people.len(),
        ok: true,
        ..SyncReport::default()
    };
    let mut errors = Vec::new();
    let by_id: HashMap<&str, &Account> = existing
        .iter()
        .filter_map(|a| a.directory_id.as_deref().map(|d| (d, a)))
        .collect();
    let by_name: HashMap<&str, &Account> =
        existing.iter().map(|a| (a.username.as_str(), a)).collect();
    let mut emails: HashMap<String, i64> = existing
        .iter()
        .filter_map(|a| a.email.as_deref().map(|e| (lower(e), a.id)))
        .collect();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut seen_names: HashSet<String> = HashSet::new();
    let mut matched: HashSet<i64> = HashSet::new();
    let mut ops = Vec::new();
    let mut next_new = -1i64;
    // An admin group with nobody in it is far more likely missing or unreadable than emptied on
    // purpose: roles stay as they are rather than every administrator being demoted.
    let group_empty = rules.admin_group
        && !people.is_empty()
        && !people.iter().any(|p| p.is_admin)
        && existing
            .iter()
            .any(|a| a.directory_id.is_some() && a.role == Role::TenantAdmin);
    if group_empty {
        errors.push(Msg::new("dir-sync-err-admin-group-empty"));
    }
    for p in people {
        let who = if p.username.is_empty() {
            &p.dn
        } else {
            &p.username
        };
        if p.username.trim().is_empty() || p.stable_id.is_empty() {
            errors.push(Msg::new("dir-sync-err-no-id").arg("who", who.as_str()));
            continue;
        }
        // The person is in the directory: whatever goes wrong below skips them, it never
        // disables their account.
        if let Some(a) = by_id.get(p.stable_id.as_str()) {
            matched.insert(a.id);
            if a.role == Role::SystemAdmin {
                errors.push(Msg::new("dir-sync-err-linked-system-admin").arg("who", who.as_str()));
                continue;
            }
        }
        // Lookups use the canonical forms (usernames lowercased, address domains lowercased).
        let Ok(username) = Username::parse(&p.username) else {
            errors.push(Msg::new("dir-sync-err-bad-username").arg("who", who.as_str()));
            continue;
        };
        let email = p
            .email
            .as_deref()
            .and_then(|e| EmailAddress::parse(e).ok())
            .map(|e| e.as_str().to_owned());
        let reset_email = p
            .reset_email
            .as_deref()
            .and_then(|e| EmailAddress::parse(e).ok())
            .map(|e| e.as_str().to_owned());
        let canonical = Person {
            username: username.as_str().to_owned(),
            email,
            reset_email,
            ..p.clone()
        };
        let p = &canonical;
        if !seen_ids.insert(p.stable_id.clone()) || !seen_names.insert(p.username.clone()) {
            errors.push(Msg::new("dir-sync-err-duplicate").arg("who", who.as_str()));
            continue;
        }
        let account = match (
            by_id.get(p.stable_id.as_str()),
            by_name.get(p.username.as_str()),
        ) {
            (Some(a), Some(b)) if a.id != b.id => {
                errors.push(
                    Msg::new("dir-sync-err-name-used")
                        .arg("who", who.as_str())
                        .arg("other", b.username.as_str()),
                );
                continue;
            }
            (Some(a), _) => Some(*a),
            // The name's holder left the directory (a full sync sees everyone): their account
            // is retired under another name, disabled, and the name goes to the new person.
            (None, Some(b))
                if b.directory_id
                    .as_deref()
                    .is_some_and(|id| rules.full && !people.iter().any(|q| q.stable_id == id)) =>
            {
                if let Some(old) = &b.email {
                    emails.remove(&lower(old));
                }
                if b.status == AccountStatus::Active {
                    report.disabled += 1;
                }
                matched.insert(b.id);
                ops.push(SyncOp::Update {
                    id: b.id,
                    fields: Fields {
                        username: format!("{}~{}", b.username, b.id),
                        display_name: b.display_name.clone(),
                        email: None,
                        reset_email: Some(None),
                        directory_id: b.directory_id.clone().unwrap_or_default(),
                        directory_dn: b.directory_dn.clone().unwrap_or_default(),
                        role: b.role,
                        status: AccountStatus::Disabled,
                    },
                    link: false,
                    cancel_links: true,
                    revoke_keys: true,
                });
                None
            }
            (None, Some(b)) if b.directory_id.is_some() => {
                errors
                    .push(Msg::new("dir-sync-err-name-of-another-person").arg("who", who.as_str()));
                continue;
            }
            (None, Some(b)) if b.role == Role::SystemAdmin => {
                errors.push(Msg::new("dir-sync-err-name-system-admin").arg("who", who.as_str()));
                continue;
            }
            // Only a plain user is linked by name: an administrator's account (a break-glass
            // login) must not pass to whoever has that uid in the directory.
            (None, Some(b)) if b.role != Role::User => {
                errors.push(Msg::new("dir-sync-err-name-local-admin").arg("who", who.as_str()));
                continue;
            }
            (None, Some(b)) => Some(*b),
            (None, None) => None,
        };
        let own_id = account.map_or_else(
            || {
                next_new -= 1;
                next_new
            },
            |a| a.id,
        );
        if let Some(email) = &p.email {
            match emails.get(&lower(email)) {
                Some(holder) if *holder != own_id => {
                    errors.push(
                        Msg::new("dir-sync-err-email-taken")
                            .arg("who", who.as_str())
                            .arg("email", email.as_str()),
                    );
                    continue;
                }
                _ => {}
            }
        }
        if let Some(a) = account {
            if let Some(old) = &a.email {
                if emails.get(&lower(old)) == Some(&a.id) {
                    emails.remove(&lower(old));
                }
            }
        }
        if let Some(email) = &p.email {
            emails.insert(lower(email), own_id);
        }
        let role = match (rules.admin_group && !group_empty, account) {
            (true, _) if p.is_admin => Role::TenantAdmin,
            (true, _) => Role::User,
            (false, Some(a)) => a.role,
            (false, None) => Role::User,
        };
        let fields = Fields {
            username: p.username.clone(),
            display_name: p.display_name.clone(),
            email: p.email.clone(),
            reset_email: (!rules.keeps_reset_email).then(|| p.reset_email.clone()),
            directory_id: p.stable_id.clone(),
            directory_dn: p.dn.clone(),
            role,
            status: if p.disabled {
                AccountStatus::Disabled
            } else {
                AccountStatus::Active
            },
        };
        match account {
            None => {
                report.added += 1;
                ops.push(SyncOp::Insert(fields));
            }
            Some(a) => {
                matched.insert(a.id);
                let link = a.directory_id.is_none();
                let address_changed = a.email != fields.email
                    || fields
                        .reset_email
                        .as_ref()
                        .is_some_and(|r| *r != a.reset_email);
                let differs = link
                    || address_changed
                    || a.username != fields.username
                    || a.display_name != fields.display_name
                    || a.directory_dn.as_deref() != Some(fields.directory_dn.as_str())
                    || a.role != fields.role
                    || a.status != fields.status;
                if !differs {
                    report.unchanged += 1;
                    continue;
                }
                if a.status == AccountStatus::Active && fields.status == AccountStatus::Disabled {
                    report.disabled += 1;
                } else {
                    report.changed += 1;
                }
                let disabled = fields.status == AccountStatus::Disabled;
                ops.push(SyncOp::Update {
                    id: a.id,
                    cancel_links: address_changed || disabled,
                    revoke_keys: disabled || role_rank(fields.role) < role_rank(a.role),
                    link,
                    fields,
                });
            }
        }
    }
    // A directory that answers with nobody is far more likely a wrong base DN or filter than
    // an organisation that let everyone go: nobody is disabled on its word.
    let nobody = people.is_empty() && existing.iter().any(|a| a.directory_id.is_some());
    if rules.full && nobody {
        errors.push(Msg::new("dir-sync-err-nobody"));
    }
    if rules.full && !nobody {
        for a in existing {
            if a.directory_id.is_some()
                && !matched.contains(&a.id)
                && a.status == AccountStatus::Active
            {
                report.disabled += 1;
                ops.push(SyncOp::Disable { id: a.id });
            }
        }
    }
    errors.truncate(MAX_ERRORS);
    // The English for the API, the CLI and the audit log; the messages for the page.
    report.errors = errors.iter().map(ToString::to_string).collect();
    report.error_texts = errors.into_iter().map(Text::from).collect();
    // Disabling first frees nothing (usernames stay), but keeps a rename's update from racing
    // an insert: updates before inserts.
    ops.sort_by_key(|op| match op {
        SyncOp::Disable { .. } => 0,
        SyncOp::Update { .. } => 1,
        SyncOp::Insert(_) => 2,
    });
    Plan { ops, report }
}

/// A report as it is stored for the page: the report's own fields, and its errors as messages
/// beside them (`error_msgs`: `{id, args}`, or the words as they came).
#[derive(serde::Serialize, serde::Deserialize)]
struct Stored<R> {
    #[serde(flatten)]
    report: R,
    #[serde(default)]
    error_msgs: Vec<serde_json::Value>,
}

impl SyncReport {
    /// The errors as a page shows them: their messages where the report has them (made by this
    /// build, or stored with them), else the English words as stored.
    pub fn texts(&self) -> Vec<Text> {
        if self.error_texts.len() == self.errors.len() {
            self.error_texts.clone()
        } else {
            self.errors.iter().map(|e| Text::from(e.as_str())).collect()
        }
    }

    /// The stored form ([`Stored`]).
    pub(super) fn stored(&self) -> anyhow::Result<String> {
        let error_msgs = self
            .texts()
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<_, _>>()?;
        Ok(serde_json::to_string(&Stored {
            report: self,
            error_msgs,
        })?)
    }

    /// A stored report, its errors' messages read back where this build knows them (else the
    /// English words as stored); one stored before the messages reads as stored.
    pub(super) fn from_stored(json: &str) -> Option<SyncReport> {
        let Stored::<SyncReport> {
            mut report,
            error_msgs,
        } = serde_json::from_str(json).ok()?;
        if error_msgs.len() == report.errors.len() {
            report.error_texts = error_msgs
                .iter()
                .zip(&report.errors)
                .map(|(m, english)| match Msg::from_json(m) {
                    Some(m) => Text::Msg(m),
                    None => Text::from(m.as_str().unwrap_or(english)),
                })
                .collect();
        }
        Some(report)
    }
}

#[cfg(test)]
mod tests;
