//! The account work of an administrator's reset mail at send time, in one transaction: the
//! new link (older ones die), the account's sessions ended, the API keys it created revoked,
//! and the audit event. One commit per mail of a campaign instead of four.

use super::api_keys::{revoke_created_by, ApiKey};
use super::audit::{record_in, NewEvent};
use super::reset::{issue_token_in, NewToken};
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
pub async fn issue_links(
    db: &Db,
    links: &[(&AdminLink<'_>, &NewEvent<'_>)],
    now: Timestamp,
) -> Result<Vec<Vec<ApiKey>>> {
    let mut tx = db.write.begin().await?;
    let mut revoked = Vec::with_capacity(links.len());
    for (link, event) in links {
        let token = NewToken {
            hash: link.hash,
            tenant_id: link.tenant_id,
            account_id: link.account_id,
            sent_to: link.sent_to,
            origin: "admin",
            task_id: Some(link.task_id),
            expires_at: link.expires_at,
        };
        issue_token_in(&mut tx, &token, now).await?;
        super::sessions::end_all(&mut *tx, link.account_id, None).await?;
        revoked.push(revoke_created_by(&mut *tx, link.account_id, now).await?);
        record_in(&mut *tx, event, now).await?;
    }
    tx.commit().await?;
    Ok(revoked)
}
