//! Mail health: the delivery workers' heartbeats (`workers`), each route's recent attempts (the
//! `route` of `mail_log`), each route's last judged state (`mail_route_health`), and the numbers
//! of the health view.

use super::sql;
use super::{Db, Result};
use crate::clock::Timestamp;

/// Records that worker `id` is alive at `now` (first time: started now).
pub async fn beat(db: &Db, id: &str, now: Timestamp) -> Result<()> {
    sql::execute(
        &db.write,
        "INSERT INTO workers (id, started_at, seen_at) VALUES ($1, $2, $2) \
         ON CONFLICT (id) DO UPDATE SET seen_at = $2",
        (id, now),
    )
    .await?;
    Ok(())
}

/// A worker that stopped cleanly leaves; so do those not seen since `before` (crashed ones).
pub async fn leave(db: &Db, id: &str, before: Timestamp) -> Result<()> {
    sql::execute(
        &db.write,
        "DELETE FROM workers WHERE id = $1 OR seen_at < $2",
        (id, before),
    )
    .await?;
    Ok(())
}

/// How many workers were seen at or after `since`, and when any worker was last seen.
pub async fn workers(db: &Db, since: Timestamp) -> Result<(i64, Option<Timestamp>)> {
    sql::fetch_one(
        &db.read,
        "SELECT (SELECT COUNT(*) FROM workers WHERE seen_at >= $1), (SELECT MAX(seen_at) FROM workers)",
        (since,),
    )
    .await
}

/// One delivery attempt as the health rule reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Attempt {
    pub at: Timestamp,
    pub success: i64,
    pub smtp_reply: String,
    pub step: Option<String>,
    /// The reply's message where Latchkey worded it (`mail_log.smtp_reply_msg`).
    pub smtp_reply_msg: Option<String>,
}

/// The last `n` attempts on `route`, newest first, leaving out those the server refused for the
/// recipient (a 5xx answer to RCPT TO): a mistyped address says nothing about the route.
pub async fn recent_attempts(db: &Db, route: &str, n: i64) -> Result<Vec<Attempt>> {
    sql::fetch_all(
        &db.read,
        "SELECT at, success, smtp_reply, step, smtp_reply_msg FROM mail_log WHERE route = $1 \
         AND NOT (success = 0 AND COALESCE(step, '') = 'RCPT TO' AND COALESCE(smtp_code, 0) >= 500) \
         ORDER BY id DESC LIMIT $2",
        (route, n),
    )
    .await
}

/// A route's last judged state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RouteState {
    pub route: String,
    pub tenant_id: Option<i64>,
    /// The tenant's slug for a tenant's own server.
    pub slug: Option<String>,
    pub broken: i64,
    pub changed_at: Timestamp,
}

pub async fn route_states(db: &Db) -> Result<Vec<RouteState>> {
    sql::fetch_all(
        &db.read,
        "SELECT h.route, h.tenant_id, t.slug, h.broken, h.changed_at FROM mail_route_health h \
         LEFT JOIN tenants t ON t.id = h.tenant_id ORDER BY h.route",
        (),
    )
    .await
}

/// Sets `route`'s state; true when it changed (only one caller sees a given change, whichever
/// instance it runs in: the alert for it goes out once).
pub async fn set_state(
    db: &Db,
    route: &str,
    tenant_id: Option<i64>,
    broken: bool,
    now: Timestamp,
) -> Result<bool> {
    sql::execute(
        &db.write,
        "INSERT INTO mail_route_health (route, tenant_id, broken, changed_at) VALUES ($1, $2, 0, $3) \
         ON CONFLICT (route) DO NOTHING",
        (route, tenant_id, now),
    )
    .await?;
    let changed = sql::execute(
        &db.write,
        "UPDATE mail_route_health SET broken = $2, changed_at = $3 WHERE route = $1 AND broken <> $2",
        (route, i64::from(broken), now),
    )
    .await?;
    Ok(changed == 1)
}

/// Marks `route` working if its stored state says broken; true when it did (the change is
/// seen by one caller only, as with [`set_state`]). One statement, for a route whose row exists.
pub async fn set_working(db: &Db, route: &str, now: Timestamp) -> Result<bool> {
    let changed = sql::execute(
        &db.write,
        "UPDATE mail_route_health SET broken = 0, changed_at = $2 WHERE route = $1 AND broken <> 0",
        (route, now),
    )
    .await?;
    Ok(changed == 1)
}

/// The numbers of the health view, of one tenant's mail or (`None`) all mail.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Numbers {
    pub last_success_at: Option<Timestamp>,
    pub failed_attempts: i64,
    pub given_up: i64,
    pub retrying: i64,
    pub waiting: i64,
    pub oldest_waiting_since: Option<Timestamp>,
}

pub async fn numbers(
    db: &Db,
    tenant_id: Option<i64>,
    since: Timestamp,
    now: Timestamp,
) -> Result<Numbers> {
    sql::fetch_one(&db.read, "SELECT \
           (SELECT MAX(at) FROM mail_log WHERE success = 1 AND ($1 = -1 OR tenant_id = $1)) AS last_success_at, \
           (SELECT COUNT(*) FROM mail_log WHERE success = 0 AND at >= $2 AND ($1 = -1 OR tenant_id = $1)) AS failed_attempts, \
           (SELECT COUNT(*) FROM mail_tasks WHERE status = 'failed' AND done_at >= $2 AND ($1 = -1 OR tenant_id = $1)) AS given_up, \
           (SELECT COUNT(*) FROM mail_tasks WHERE status IN ('waiting', 'executing') AND attempts > 0 AND ($1 = -1 OR tenant_id = $1)) AS retrying, \
           (SELECT COUNT(*) FROM mail_tasks WHERE status IN ('waiting', 'executing') AND scheduled_at <= $3 AND ($1 = -1 OR tenant_id = $1)) AS waiting, \
           (SELECT MIN(scheduled_at) FROM mail_tasks WHERE status IN ('waiting', 'executing') AND scheduled_at <= $3 AND ($1 = -1 OR tenant_id = $1)) AS oldest_waiting_since", (tenant_id.unwrap_or(-1), since, now))
    .await
}
