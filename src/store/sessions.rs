use serde::Serialize;

use super::sql;
use super::{Db, Result};
use crate::clock::Timestamp;
use crate::domain::token::TokenHash;

/// A signed-in browser. The cookie holds a random secret; the row holds only its hash.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Session {
    pub id: i64,
    pub account_id: i64,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    pub ip: String,
    pub user_agent: String,
}

pub struct NewSession<'a> {
    pub token_hash: &'a TokenHash,
    pub account_id: i64,
    pub expires_at: Timestamp,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

pub async fn create(db: &Db, new: &NewSession<'_>, now: Timestamp) -> Result<i64> {
    insert(&db.write, new, now).await
}

/// What a sign-in checked of the account: the session is opened only while it still holds.
pub struct Checked<'a> {
    pub role: &'a str,
    /// The stored hash the password matched (after a rehash, the new one); `None` for a
    /// directory account.
    pub password_hash: Option<&'a str>,
}

/// A successful sign-in's writes in one transaction (one commit, not four): the failure
/// counters `clear` dropped, the account's last sign-in time, the new session and its audit
/// `event`. Its id.
pub async fn open_after_sign_in(
    db: &Db,
    clear: &[&str],
    new: &NewSession<'_>,
    checked: &Checked<'_>,
    event: &super::audit::NewEvent<'_>,
    now: Timestamp,
) -> Result<i64> {
    let mut tx = db.write.begin().await?;
    // The account before the counters, as a completed reset takes them: two transactions that
    // lock both in the same order can't deadlock each other. Only as the sign-in checked it:
    // a change committed while the password was being checked (a promotion that expired a
    // temporary password, a new password, a disabling) must not be followed by a session
    // opened with what it ended.
    let still = sql::execute(
        &mut *tx,
        "UPDATE accounts SET last_login_at = $1 WHERE id = $2 AND status = 'active' AND role = $3 \
         AND COALESCE(password_hash, '') = $4 \
         AND (temp_password_expires_at IS NULL OR temp_password_expires_at > $1)",
        (
            now,
            new.account_id,
            checked.role,
            checked.password_hash.unwrap_or(""),
        ),
    )
    .await?;
    if still != 1 {
        return Err(super::StoreError::Conflict(
            "the account changed while signing in".into(),
        ));
    }
    if !clear.is_empty() {
        let mut b = sql::Binds::default();
        let keys = b.list(clear.iter().copied())?;
        let statement = format!("DELETE FROM rate_limits WHERE key IN ({keys})");
        sql::execute(&mut *tx, &statement, b).await?;
    }
    let id = insert(&mut *tx, new, now).await?;
    super::audit::record_in(&mut *tx, event, now).await?;
    tx.commit().await?;
    Ok(id)
}

async fn insert<'c, X>(on: X, new: &NewSession<'_>, now: Timestamp) -> Result<i64>
where
    X: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let id: i64 = sql::scalar(
        on,
        "INSERT INTO sessions (token_hash, account_id, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $3, $4, $5, $6) RETURNING id",
        (new.token_hash.as_str(), new.account_id, now, new.expires_at, new.ip, new.user_agent),
    )
    .await?;
    Ok(id)
}

const COLUMNS: &str = "id, account_id, created_at, last_seen_at, expires_at, ip, user_agent";

/// The live session with this token hash: not past its absolute expiry, and seen within the
/// idle timeout.
pub async fn find_live(
    db: &Db,
    hash: &TokenHash,
    now: Timestamp,
    idle_secs: i64,
) -> Result<Option<Session>> {
    let sql = format!("SELECT {COLUMNS} FROM sessions WHERE token_hash = $1 AND expires_at > $2 AND last_seen_at > $3");
    let s = sql::fetch_optional(&db.read, &sql, (hash.as_str(), now, now - idle_secs)).await?;
    Ok(s)
}

pub async fn touch(db: &Db, id: i64, now: Timestamp) -> Result<()> {
    sql::execute(
        &db.write,
        "UPDATE sessions SET last_seen_at = $2 WHERE id = $1",
        (id, now),
    )
    .await?;
    Ok(())
}

pub async fn delete_by_hash(db: &Db, hash: &TokenHash) -> Result<()> {
    sql::execute(
        &db.write,
        "DELETE FROM sessions WHERE token_hash = $1",
        (hash.as_str(),),
    )
    .await?;
    Ok(())
}

/// Ends one session of an account. Returns whether it existed (and belonged to the account).
pub async fn revoke(db: &Db, account_id: i64, session_id: i64) -> Result<bool> {
    let changed = sql::execute(
        &db.write,
        "DELETE FROM sessions WHERE account_id = $1 AND id = $2",
        (account_id, session_id),
    )
    .await?;
    Ok(changed > 0)
}

/// Ends every session of an account except `keep` (if given). Returns how many ended.
pub async fn revoke_all(db: &Db, account_id: i64, keep: Option<i64>) -> Result<u64> {
    end_all(&db.write, account_id, keep).await
}

/// [`revoke_all`] in the caller's transaction.
pub(super) async fn end_all<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    account_id: i64,
    keep: Option<i64>,
) -> Result<u64> {
    sql::execute(
        ex,
        "DELETE FROM sessions WHERE account_id = $1 AND id <> $2",
        (account_id, keep.unwrap_or(-1)),
    )
    .await
}

/// Ends every session of each of `accounts` (one statement per 500 accounts).
pub(super) async fn end_all_of(conn: &mut sqlx::AnyConnection, accounts: &[i64]) -> Result<()> {
    for chunk in accounts.chunks(500) {
        let mut b = super::sql::Binds::once_each(super::sql::backend_of(conn));
        let list = b.list(chunk.iter().copied())?;
        let statement = format!("DELETE FROM sessions WHERE account_id IN ({list})");
        super::sql::execute(&mut *conn, &statement, b).await?;
    }
    Ok(())
}

/// Ends every session of an account except `keep` and cancels its outstanding reset links, in
/// the caller's transaction: after a password change nothing that worked before still does.
pub(super) async fn end_all_and_cancel_links(
    conn: &mut sqlx::AnyConnection,
    account_id: i64,
    keep: Option<i64>,
    now: Timestamp,
) -> Result<()> {
    end_all(&mut *conn, account_id, keep).await?;
    super::reset::cancel_for_account(&mut *conn, account_id, now).await
}

pub async fn list_live(
    db: &Db,
    account_id: i64,
    now: Timestamp,
    idle_secs: i64,
) -> Result<Vec<Session>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM sessions WHERE account_id = $1 AND expires_at > $2 AND last_seen_at > $3 ORDER BY created_at DESC, id DESC"
    );
    let rows = sql::fetch_all(&db.read, &sql, (account_id, now, now - idle_secs)).await?;
    Ok(rows)
}

/// Removes sessions that can no longer be used.
pub async fn purge_expired(db: &Db, now: Timestamp, idle_secs: i64) -> Result<u64> {
    sql::execute(
        &db.write,
        "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
        (now, now - idle_secs),
    )
    .await
}
