use serde::Serialize;

use super::{Db, Result};
use crate::clock::Timestamp;

/// One security-relevant event: who did what to whom, when, from where, and how it ended.
/// Never holds a password, token, session id or SMTP credential.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AuditEvent {
    pub id: i64,
    pub at: Timestamp,
    pub tenant_id: Option<i64>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub ip: Option<String>,
    pub outcome: String,
    pub detail: String,
}

pub struct NewEvent<'a> {
    pub tenant_id: Option<i64>,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: Option<&'a str>,
    pub ip: Option<&'a str>,
    pub outcome: &'a str,
    pub detail: serde_json::Value,
}

pub async fn record(db: &Db, e: &NewEvent<'_>, now: Timestamp) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (at, tenant_id, actor, action, target, ip, outcome, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now)
    .bind(e.tenant_id)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.target)
    .bind(e.ip)
    .bind(e.outcome)
    .bind(e.detail.to_string())
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Newest first; `tenant_id = None` lists every tenant's events.
pub async fn list(db: &Db, tenant_id: Option<i64>, limit: i64) -> Result<Vec<AuditEvent>> {
    let rows = sqlx::query_as(
        "SELECT id, at, tenant_id, actor, action, target, ip, outcome, detail FROM audit_events \
         WHERE ($1 = -1 OR tenant_id = $1) ORDER BY id DESC LIMIT $2",
    )
    .bind(tenant_id.unwrap_or(-1))
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    Ok(rows)
}
