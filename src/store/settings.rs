//! Settings documents (JSON text) by scope and key: `("system", "smtp")`,
//! `("tenant:7", "smtp")`. Secrets inside them are already encrypted or references.

use super::{Db, Result};
use crate::clock::Timestamp;

pub fn tenant_scope(tenant_id: i64) -> String {
    format!("tenant:{tenant_id}")
}

pub async fn get(db: &Db, scope: &str, key: &str) -> Result<Option<String>> {
    let v = sqlx::query_scalar("SELECT value FROM settings WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .fetch_optional(&db.read)
        .await?;
    Ok(v)
}

pub async fn put(db: &Db, scope: &str, key: &str, value: &str, now: Timestamp) -> Result<()> {
    put_in(&db.write, scope, key, value, now).await
}

/// [`put`] in the caller's transaction.
pub(super) async fn put_in<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    scope: &str,
    key: &str,
    value: &str,
    now: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO settings (scope, key, value, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(scope)
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn delete(db: &Db, scope: &str, key: &str) -> Result<()> {
    delete_in(&db.write, scope, key).await
}

/// [`delete`] in the caller's transaction.
pub(super) async fn delete_in<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    scope: &str,
    key: &str,
) -> Result<()> {
    sqlx::query("DELETE FROM settings WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .execute(ex)
        .await?;
    Ok(())
}
