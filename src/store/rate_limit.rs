//! Fixed-window counters kept in the database, so limits hold across restarts and across
//! several instances sharing one PostgreSQL.

use super::{Db, Result};
use crate::clock::Timestamp;

/// Counts one event for `key` and returns the count in the current window (including this one).
pub async fn hit(db: &Db, key: &str, window_secs: i64, now: Timestamp) -> Result<i64> {
    // Both SET expressions read the row's old values, on SQLite and PostgreSQL alike.
    let count: i64 = sqlx::query_scalar(
        "INSERT INTO rate_limits (key, window_start, count) VALUES ($1, $2, 1) \
         ON CONFLICT (key) DO UPDATE SET \
           count = CASE WHEN rate_limits.window_start <= $3 THEN 1 ELSE rate_limits.count + 1 END, \
           window_start = CASE WHEN rate_limits.window_start <= $3 THEN $2 ELSE rate_limits.window_start END \
         RETURNING count",
    )
    .bind(key)
    .bind(now)
    .bind(now - window_secs)
    .fetch_one(&db.write)
    .await?;
    Ok(count)
}

/// The count in the current window, without counting.
pub async fn peek(db: &Db, key: &str, window_secs: i64, now: Timestamp) -> Result<i64> {
    let count: Option<i64> =
        sqlx::query_scalar("SELECT count FROM rate_limits WHERE key = $1 AND window_start > $2")
            .bind(key)
            .bind(now - window_secs)
            .fetch_optional(&db.read)
            .await?;
    Ok(count.unwrap_or(0))
}

pub async fn clear(db: &Db, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM rate_limits WHERE key = $1")
        .bind(key)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Drops counters whose window ended more than `max_window_secs` ago.
pub async fn purge(db: &Db, max_window_secs: i64, now: Timestamp) -> Result<u64> {
    let r = sqlx::query("DELETE FROM rate_limits WHERE window_start <= $1")
        .bind(now - max_window_secs)
        .execute(&db.write)
        .await?;
    Ok(r.rows_affected())
}
