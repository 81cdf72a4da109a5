//! Account administration beyond one-row changes: deleting an account, importing many in one
//! transaction (all or nothing), and the names and addresses a tenant already uses.

use super::accounts::NewAccount;
use super::api_keys::ApiKey;
use super::sql;
use super::{conflict_as, Db, Result};
use crate::clock::Timestamp;

/// Deletes an account. Its sessions and reset links go with it (foreign keys cascade); mail
/// already queued for it keeps its row with the account reference cleared; the API keys it
/// created are revoked in the same transaction. Returns the keys revoked, or `None` when there
/// was no such account (and nothing changed).
pub async fn delete(db: &Db, account_id: i64, now: Timestamp) -> Result<Option<Vec<ApiKey>>> {
    let mut tx = db.write.begin().await?;
    let revoked = super::api_keys::revoke_created_by(&mut *tx, account_id, now).await?;
    let done = sql::execute(
        &mut *tx,
        "DELETE FROM accounts WHERE id = $1",
        (account_id,),
    )
    .await?;
    if done == 0 {
        tx.rollback().await?;
        return Ok(None);
    }
    tx.commit().await?;
    Ok(Some(revoked))
}

/// Inserts every account in one transaction: either all are created or, on the first error
/// (a username or address taken meanwhile, say), none. Returns how many were created.
pub async fn create_many(db: &Db, accounts: &[NewAccount<'_>], now: Timestamp) -> Result<usize> {
    let mut tx = db.write.begin().await?;
    for a in accounts {
        super::accounts::insert(&mut *tx, a, now)
            .await
            .map_err(conflict_as(format!(
                "the username `{}` or the e-mail address {} is already taken in this tenant",
                a.username,
                a.email.unwrap_or("(none)")
            )))?;
    }
    tx.commit().await?;
    Ok(accounts.len())
}

/// Every username and primary address (lowercased usernames, addresses as stored) in a tenant,
/// to find import rows that would collide with existing accounts.
pub async fn identities(db: &Db, tenant_id: i64) -> Result<Vec<(String, Option<String>)>> {
    sql::fetch_all(
        &db.read,
        "SELECT username, email FROM accounts WHERE tenant_id = $1",
        (tenant_id,),
    )
    .await
}

/// How many accounts a tenant has.
pub async fn count(db: &Db, tenant_id: i64) -> Result<i64> {
    sql::scalar(
        &db.read,
        "SELECT COUNT(*) FROM accounts WHERE tenant_id = $1",
        (tenant_id,),
    )
    .await
}
