//! The account work of an administrator's reset mail at send time, in one transaction: the
//! new link (older ones die), the account's sessions ended, the API keys it created revoked,
//! and the audit event. One commit per round of a campaign, a few statements for all its mails.

use std::collections::HashSet;

use super::api_keys::{revoke_created_by_each, ApiKey};
use super::audit::{record_many_in, NewEvent};
use super::reset::{issue_tokens_in, NewToken};
use super::sessions::end_all_of;
use super::{Db, Result};
use crate::clock::Timestamp;
use crate::domain::token::TokenHash;

/// An administrator's reset link for one account.
pub struct AdminLink<'a> {
    pub hash: &'a TokenHash,
    pub tenant_id: i64,
    pub account_id: i64,
    pub sent_to: &'a str,
    pub task_id: i64,
    pub expires_at: Timestamp,
}

/// Issues `link` (origin "admin"; the account's older links are superseded or cancelled),
/// ends every session of the account, revokes the API keys it created and records `event`, all
/// or nothing. Returns the keys revoked (for their own audit events).
pub async fn issue_link(
    db: &Db,
    link: &AdminLink<'_>,
    event: &NewEvent<'_>,
    now: Timestamp,
) -> Result<Vec<ApiKey>> {
    let mut keys = issue_links(db, std::slice::from_ref(&(link, event)), now).await?;
    Ok(keys.pop().unwrap_or_default())
}

/// [`issue_link`] for several links, in one transaction (in order: a later link of the same
/// account supersedes an earlier one). Returns each link's revoked keys.
///
/// Links of different accounts are written together: each step (older links, sessions, keys,
/// new links, events) is one statement for all of them, not one per link — a campaign round's
/// account work is a handful of statements. A link for an account already in the group starts
/// the next group, so the order still decides.
pub async fn issue_links(
    db: &Db,
    links: &[(&AdminLink<'_>, &NewEvent<'_>)],
    now: Timestamp,
) -> Result<Vec<Vec<ApiKey>>> {
    let mut tx = db.write.begin().await?;
    let mut revoked = Vec::with_capacity(links.len());
    let mut rest = links;
    while !rest.is_empty() {
        let mut accounts = HashSet::new();
        let n = rest
            .iter()
            .take_while(|(link, _)| accounts.insert(link.account_id))
            .count();
        let (group, next) = rest.split_at(n);
        revoked.extend(issue_group(&mut tx, group, now).await?);
        rest = next;
    }
    tx.commit().await?;
    Ok(revoked)
}

/// Links of distinct accounts, each step one statement (see [`issue_links`]).
async fn issue_group(
    conn: &mut sqlx::AnyConnection,
    links: &[(&AdminLink<'_>, &NewEvent<'_>)],
    now: Timestamp,
) -> Result<Vec<Vec<ApiKey>>> {
    let tokens: Vec<NewToken> = links
        .iter()
        .map(|(link, _)| NewToken {
            hash: link.hash,
            tenant_id: link.tenant_id,
            account_id: link.account_id,
            sent_to: link.sent_to,
            origin: "admin",
            task_id: Some(link.task_id),
            expires_at: link.expires_at,
        })
        .collect();
    issue_tokens_in(&mut *conn, &tokens, now).await?;
    let accounts: Vec<i64> = links.iter().map(|(link, _)| link.account_id).collect();
    end_all_of(&mut *conn, &accounts).await?;
    let mut keys = revoke_created_by_each(&mut *conn, &accounts, now).await?;
    let events: Vec<&NewEvent> = links.iter().map(|(_, e)| *e).collect();
    record_many_in(&mut *conn, &events, now).await?;
    Ok(accounts
        .iter()
        .map(|a| keys.remove(a).unwrap_or_default())
        .collect())
}
