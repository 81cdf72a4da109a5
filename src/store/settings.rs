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
    sqlx::query(
        "INSERT INTO settings (scope, key, value, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(scope)
    .bind(key)
    .bind(value)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(())
}

pub async fn delete(db: &Db, scope: &str, key: &str) -> Result<()> {
    sqlx::query("DELETE FROM settings WHERE scope = $1 AND key = $2")
        .bind(scope)
        .bind(key)
        .execute(&db.write)
        .await?;
    Ok(())
}
