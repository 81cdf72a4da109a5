//! The one-time link printed on first start, which lets the operator create the first
//! system administrator from the browser.

use super::accounts::{self, Account, NewAccount};
use super::sql;
use super::{conflict_as, Db, Result, StoreError};
use crate::clock::Timestamp;
use crate::domain::token::TokenHash;

pub async fn create_token(db: &Db, hash: &TokenHash, expires_at: Timestamp) -> Result<()> {
    sql::execute(
        &db.write,
        "INSERT INTO setup_tokens (token_hash, expires_at) VALUES ($1, $2)",
        (hash.as_str(), expires_at),
    )
    .await?;
    Ok(())
}

/// Whether a setup token is unused, unexpired, and no system admin exists yet.
pub async fn token_usable(db: &Db, hash: &TokenHash, now: Timestamp) -> Result<bool> {
    let n: i64 = sql::scalar(
        &db.read,
        "SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        (hash.as_str(), now),
    )
    .await?;
    Ok(n == 1 && accounts::count_system_admins(db).await? == 0)
}

/// Uses the token and creates the first system admin, atomically: of two concurrent
/// submissions only one creates an account. Returns `None` if the token is no longer usable.
pub async fn consume_and_create_admin(
    db: &Db,
    hash: &TokenHash,
    new: &NewAccount<'_>,
    now: Timestamp,
) -> Result<Option<Account>> {
    let mut tx = db.write.begin().await?;
    let used = sql::execute(
        &mut *tx,
        "UPDATE setup_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        (hash.as_str(), now),
    )
    .await?;
    let admins: i64 = sql::scalar(
        &mut *tx,
        "SELECT COUNT(*) FROM accounts WHERE role = 'system-admin' AND status = 'active'",
        (),
    )
    .await?;
    if used != 1 || admins > 0 {
        return Ok(None);
    }
    let sql = format!(
        "INSERT INTO accounts (tenant_id, username, display_name, email, reset_email, password_hash, role, \
         must_change_password, password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, NULL, $5, 'system-admin', 0, $6, $6, $6) RETURNING {}",
        accounts::COLUMNS
    );
    let row = sqlx::query(&sql)
        .bind(new.tenant_id)
        .bind(new.username)
        .bind(new.display_name)
        .bind(new.email)
        .bind(new.password_hash)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(conflict_as(
            "that username or e-mail address is already taken",
        ))?;
    let id: i64 = sqlx::Row::try_get(&row, "id").map_err(StoreError::Db)?;
    tx.commit().await?;
    accounts::by_id(db, id).await
}
