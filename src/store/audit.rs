use std::borrow::Cow;

use serde::Serialize;

use super::sql;
use super::{contains_pattern, escape_like, Db, Result};
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

/// An event to store. Its text is borrowed, or owned by an event made inside a transaction
/// from rows the transaction read ([`NewEvent::into_owned`]).
pub struct NewEvent<'a> {
    pub tenant_id: Option<i64>,
    pub actor: Cow<'a, str>,
    pub action: Cow<'a, str>,
    pub target: Option<Cow<'a, str>>,
    pub ip: Option<Cow<'a, str>>,
    pub outcome: Cow<'a, str>,
    pub detail: serde_json::Value,
}

impl NewEvent<'_> {
    /// The same event, owning its text.
    pub fn into_owned(self) -> NewEvent<'static> {
        NewEvent {
            tenant_id: self.tenant_id,
            actor: Cow::Owned(self.actor.into_owned()),
            action: Cow::Owned(self.action.into_owned()),
            target: self.target.map(|t| Cow::Owned(t.into_owned())),
            ip: self.ip.map(|i| Cow::Owned(i.into_owned())),
            outcome: Cow::Owned(self.outcome.into_owned()),
            detail: self.detail,
        }
    }
}

pub async fn record(db: &Db, e: &NewEvent<'_>, now: Timestamp) -> Result<()> {
    record_in(&db.write, e, now).await
}

/// [`record`] in the caller's transaction.
pub(crate) async fn record_in<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    e: &NewEvent<'_>,
    now: Timestamp,
) -> Result<()> {
    let mut b = sql::Binds::default();
    let row = b.row(e.values(now))?;
    sql::execute(ex, &format!("{INSERT} {row}"), b).await?;
    Ok(())
}

/// [`record_in`] for several events: one multi-row statement per 500 events.
pub(crate) async fn record_many_in(
    conn: &mut sqlx::AnyConnection,
    events: &[&NewEvent<'_>],
    now: Timestamp,
) -> Result<()> {
    for chunk in events.chunks(500) {
        let mut b = sql::Binds::once_each(sql::backend_of(conn));
        let mut rows = Vec::with_capacity(chunk.len());
        for e in chunk {
            rows.push(b.row(e.values(now))?);
        }
        let statement = format!("{INSERT} {}", rows.join(", "));
        sql::execute(&mut *conn, &statement, b).await?;
    }
    Ok(())
}

/// The start of an `INSERT` of events; [`NewEvent::values`] are their rows.
const INSERT: &str =
    "INSERT INTO audit_events (at, tenant_id, actor, action, target, ip, outcome, detail) VALUES";

impl NewEvent<'_> {
    /// The event's row, in [`INSERT`]'s order.
    #[allow(clippy::type_complexity)]
    fn values(
        &self,
        now: Timestamp,
    ) -> (
        Timestamp,
        Option<i64>,
        &str,
        &str,
        Option<&str>,
        Option<&str>,
        &str,
        String,
    ) {
        (
            now,
            self.tenant_id,
            &self.actor,
            &self.action,
            self.target.as_deref(),
            self.ip.as_deref(),
            &self.outcome,
            self.detail.to_string(),
        )
    }
}

/// Newest first; `tenant_id = None` lists every tenant's events.
pub async fn list(db: &Db, tenant_id: Option<i64>, limit: i64) -> Result<Vec<AuditEvent>> {
    let rows = sql::fetch_all(
        &db.read,
        "SELECT id, at, tenant_id, actor, action, target, ip, outcome, detail FROM audit_events \
         WHERE ($1 = -1 OR tenant_id = $1) ORDER BY id DESC LIMIT $2",
        (tenant_id.unwrap_or(-1), limit),
    )
    .await?;
    Ok(rows)
}

/// What the audit log pages and filters ask for. Text filters are case-insensitive; empty ones
/// match everything.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// One tenant's events; `None` for every tenant's and the system's.
    pub tenant_id: Option<i64>,
    /// The action, or the start of it: `account` matches `account.created`, `account.deleted` ….
    pub action: Option<String>,
    /// A part of the actor (`alice@acme`, `cli`).
    pub actor: Option<String>,
    /// A part of the target (a username, a tenant).
    pub target: Option<String>,
    /// Exactly this outcome: `success`, `failure`, `refused`, `throttled`.
    pub outcome: Option<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
    pub limit: i64,
    pub offset: i64,
}

/// Events matching `f`, newest first.
pub async fn search(db: &Db, f: &Filter) -> Result<Vec<AuditEvent>> {
    let contains = |s: &Option<String>| match s.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => contains_pattern(s),
        _ => "%".to_owned(),
    };
    let action = match f.action.as_deref().map(str::trim) {
        Some(s) if !s.is_empty() => format!("{}%", escape_like(s)),
        _ => "%".to_owned(),
    };
    let rows = sql::fetch_all(
        &db.read,
        "SELECT id, at, tenant_id, actor, action, target, ip, outcome, detail FROM audit_events \
         WHERE ($1 = -1 OR tenant_id = $1) AND LOWER(action) LIKE $2 ESCAPE '\\' \
         AND LOWER(actor) LIKE $3 ESCAPE '\\' AND LOWER(COALESCE(target, '')) LIKE $4 ESCAPE '\\' \
         AND ($5 = '' OR outcome = $5) AND at >= $6 AND at <= $7 \
         ORDER BY id DESC LIMIT $8 OFFSET $9",
        (
            f.tenant_id.unwrap_or(-1),
            action,
            contains(&f.actor),
            contains(&f.target),
            f.outcome.as_deref().map(str::trim).unwrap_or(""),
            f.since.unwrap_or(i64::MIN),
            f.until.unwrap_or(i64::MAX),
            f.limit,
            f.offset,
        ),
    )
    .await?;
    Ok(rows)
}

/// Deletes up to `batch` events older than `before`; returns how many. Callers repeat until
/// fewer than `batch` went, so no single statement holds the writer for long.
pub async fn purge_batch(db: &Db, before: Timestamp, batch: i64) -> Result<u64> {
    sql::execute(
        &db.write,
        "DELETE FROM audit_events WHERE id IN (SELECT id FROM audit_events WHERE at < $1 LIMIT $2)",
        (before, batch),
    )
    .await
}
