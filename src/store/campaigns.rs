//! Campaigns: admin-triggered resets for one or many recipients. Each recipient's mail is a
//! task in `mail_tasks` with this campaign's id; recipients that got none are kept with the
//! reason.

use serde::Serialize;

use super::mail::NewTask;
use super::sql;
use super::{Db, Result};
use crate::clock::Timestamp;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Campaign {
    pub id: i64,
    pub tenant_id: i64,
    pub kind: String,
    pub valid_for_secs: i64,
    pub scheduled_at: Timestamp,
    pub custom_subject: Option<String>,
    pub created_by: String,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Skipped {
    pub identifier: String,
    pub reason: String,
}

pub struct NewCampaign<'a> {
    pub tenant_id: i64,
    pub kind: &'a str,
    pub valid_for_secs: i64,
    pub scheduled_at: Timestamp,
    pub custom_subject: Option<&'a str>,
    pub created_by: &'a str,
}

/// Creates the campaign, its tasks and its skipped list in one transaction: all or nothing.
pub async fn create(
    db: &Db,
    c: &NewCampaign<'_>,
    tasks: &mut [NewTask<'_>],
    skipped: &[(String, String)],
    now: Timestamp,
) -> Result<i64> {
    let mut tx = db.write.begin().await?;
    let id: i64 = sql::scalar(
        &mut *tx,
        "INSERT INTO campaigns (tenant_id, kind, valid_for_secs, scheduled_at, custom_subject, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        (
            c.tenant_id,
            c.kind,
            c.valid_for_secs,
            c.scheduled_at,
            c.custom_subject,
            c.created_by,
            now,
        ),
    )
    .await?;
    for t in tasks.iter_mut() {
        t.campaign_id = Some(id);
    }
    super::mail::enqueue_in(&mut tx, db.backend, tasks, now).await?;
    for (identifier, reason) in skipped {
        sql::execute(
            &mut *tx,
            "INSERT INTO campaign_skipped (campaign_id, identifier, reason) VALUES ($1, $2, $3)",
            (id, identifier, reason),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

const COLUMNS: &str =
    "id, tenant_id, kind, valid_for_secs, scheduled_at, custom_subject, created_by, created_at";

pub async fn get(db: &Db, id: i64) -> Result<Option<Campaign>> {
    let sql = format!("SELECT {COLUMNS} FROM campaigns WHERE id = $1");
    sql::fetch_optional(&db.read, &sql, (id,)).await
}

pub async fn list(db: &Db, tenant_id: i64, limit: i64, offset: i64) -> Result<Vec<Campaign>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM campaigns WHERE tenant_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3"
    );
    sql::fetch_all(&db.read, &sql, (tenant_id, limit, offset)).await
}

pub async fn skipped(db: &Db, campaign_id: i64) -> Result<Vec<Skipped>> {
    sql::fetch_all(
        &db.read,
        "SELECT identifier, reason FROM campaign_skipped WHERE campaign_id = $1 ORDER BY id",
        (campaign_id,),
    )
    .await
}

/// Leaves out mail to system administrators (for actors who may not handle it).
const NOT_SYSTEM_ADMINS: &str = " AND (account_id IS NULL OR account_id NOT IN (SELECT id FROM accounts WHERE role = 'system-admin'))";

/// Cancels every waiting mail of a campaign (with `spare_system_admins`, not those to a system
/// administrator). Returns how many.
pub async fn cancel_waiting(
    db: &Db,
    campaign_id: i64,
    spare_system_admins: bool,
    now: Timestamp,
) -> Result<u64> {
    let set = "status = 'cancelled', secret = NULL, done_at = $2, updated_at = $2";
    update_tasks(db, campaign_id, set, "waiting", spare_system_admins, now).await
}

/// Queues every failed mail of a campaign again (with `spare_system_admins`, not those to a
/// system administrator). Returns how many.
pub async fn redo_failed(
    db: &Db,
    campaign_id: i64,
    spare_system_admins: bool,
    now: Timestamp,
) -> Result<u64> {
    let set =
        "status = 'waiting', attempts = 0, next_attempt_at = $2, done_at = NULL, updated_at = $2";
    update_tasks(db, campaign_id, set, "failed", spare_system_admins, now).await
}

/// Sets `set` (`$2` is now) on the campaign's tasks in `status`. Returns how many.
async fn update_tasks(
    db: &Db,
    campaign_id: i64,
    set: &str,
    status: &str,
    spare_system_admins: bool,
    now: Timestamp,
) -> Result<u64> {
    let sql = format!(
        "UPDATE mail_tasks SET {set} WHERE campaign_id = $1 AND status = $3{}",
        if spare_system_admins {
            NOT_SYSTEM_ADMINS
        } else {
            ""
        }
    );
    sql::execute(&db.write, &sql, (campaign_id, now, status)).await
}

/// Up to `batch` campaigns whose mail all finished before `before` (none waiting or executing,
/// none finished later), created before `before` too (a campaign where everyone was skipped has
/// no tasks).
pub async fn finished_before(db: &Db, before: Timestamp, batch: i64) -> Result<Vec<i64>> {
    let sql = format!(
        "SELECT c.id FROM campaigns c WHERE c.created_at < $1 AND NOT EXISTS \
         (SELECT 1 FROM mail_tasks t WHERE t.campaign_id = c.id \
          AND (t.status NOT IN {} OR t.done_at IS NULL OR t.done_at >= $1)) \
         ORDER BY c.id LIMIT $2",
        super::mail::FINISHED
    );
    sql::scalars(&db.read, &sql, (before, batch)).await
}

/// Deletes up to `batch` of a campaign's tasks that finished before `before`, and the campaign
/// itself (with its skipped list) once it has no tasks left. Returns (tasks, campaigns)
/// deleted. The conditions are checked again in each statement, so a task brought back by Redo
/// meanwhile stays, and so does its campaign.
pub async fn purge_finished(
    db: &Db,
    campaign_id: i64,
    before: Timestamp,
    batch: i64,
) -> Result<(u64, u64)> {
    let sql = format!(
        "DELETE FROM mail_tasks WHERE id IN (SELECT id FROM mail_tasks WHERE campaign_id = $1 \
         AND status IN {} AND done_at < $2 LIMIT $3)",
        super::mail::FINISHED
    );
    let tasks = sql::execute(&db.write, &sql, (campaign_id, before, batch)).await?;
    if tasks == batch as u64 {
        return Ok((tasks, 0));
    }
    let mut tx = db.write.begin().await?;
    sql::execute(
        &mut *tx,
        "DELETE FROM campaign_skipped WHERE campaign_id = $1",
        (campaign_id,),
    )
    .await?;
    let campaigns = sql::execute(
        &mut *tx,
        "DELETE FROM campaigns WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM mail_tasks WHERE campaign_id = $1)",
        (campaign_id,),
    )
    .await?;
    if campaigns == 1 {
        tx.commit().await?;
    } else {
        tx.rollback().await?;
    }
    Ok((tasks, campaigns))
}
