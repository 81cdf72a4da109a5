//! Directory accounts: the rows a sync reads and the plan it writes (one transaction).

use super::accounts::{Row, COLUMNS};
use super::api_keys::ApiKey;
use super::conflict_as;
use super::sql;
use super::{Account, Db, Result};
use crate::clock::Timestamp;
use crate::domain::{AccountStatus, Role};

/// An account's fields as the directory says they should be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub username: String,
    pub display_name: String,
    pub email: Option<String>,
    /// `None`: keep the stored one.
    pub reset_email: Option<Option<String>>,
    pub directory_id: String,
    pub directory_dn: String,
    pub role: Role,
    pub status: AccountStatus,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOp {
    Insert(Fields),
    Update {
        id: i64,
        fields: Fields,
        /// Linked now: a local password hash is dropped (the directory holds the password).
        link: bool,
        /// An address changed or the account is disabled: outstanding reset links die.
        cancel_links: bool,
        /// Disabled or demoted: the API keys the account made in the console are revoked.
        revoke_keys: bool,
    },
    Disable {
        id: i64,
    },
}

/// Every account of the tenant (a sync compares them all with the directory).
pub async fn accounts_of(db: &Db, tenant_id: i64) -> Result<Vec<Account>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE tenant_id = $1 ORDER BY id");
    let rows: Vec<Row> = sql::fetch_all(&db.read, &sql, (tenant_id,)).await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The accounts one person could be or collide with: same stable id, username or address.
pub async fn candidates(
    db: &Db,
    tenant_id: i64,
    stable_id: &str,
    username: &str,
    email: Option<&str>,
) -> Result<Vec<Account>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM accounts WHERE tenant_id = $1 AND (directory_id = $2 OR username = $3 OR LOWER(email) = LOWER($4))"
    );
    let rows: Vec<Row> = sql::fetch_all(
        &db.read,
        &sql,
        (tenant_id, stable_id, username, email.unwrap_or("")),
    )
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

pub async fn by_directory_id(
    db: &Db,
    tenant_id: i64,
    directory_id: &str,
) -> Result<Option<Account>> {
    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE tenant_id = $1 AND directory_id = $2");
    let row: Option<Row> = sql::fetch_optional(&db.read, &sql, (tenant_id, directory_id)).await?;
    Ok(row.map(Into::into))
}

const CHANGED_MEANWHILE: &str =
    "an account with this username or address appeared meanwhile; nothing was written, sync again";

/// Writes a sync plan in one transaction: all of it or, on any error, none. Returns the API
/// keys it revoked, with the account that made each.
pub async fn apply(
    db: &Db,
    tenant_id: i64,
    ops: &[SyncOp],
    now: Timestamp,
) -> Result<Vec<(i64, ApiKey)>> {
    let mut revoked = Vec::new();
    if ops.is_empty() {
        return Ok(revoked);
    }
    let mut tx = db.write.begin().await?;
    for op in ops {
        match op {
            SyncOp::Disable { id } => {
                disable(&mut tx, *id, now).await?;
                for key in super::api_keys::revoke_created_by(&mut *tx, *id, now).await? {
                    revoked.push((*id, key));
                }
            }
            SyncOp::Update {
                id,
                fields,
                link,
                cancel_links,
                revoke_keys,
            } => {
                let f: &Fields = fields;
                sql::execute(
                    &mut *tx,
                    "UPDATE accounts SET username = $2, display_name = $3, email = $4, \
                     reset_email = CASE WHEN $5 = 1 THEN $6 ELSE reset_email END, directory_id = $7, \
                     directory_dn = $8, role = $9, status = $10, \
                     password_hash = CASE WHEN $11 = 1 THEN NULL ELSE password_hash END, updated_at = $12 \
                     WHERE id = $1",
                    (
                        id,
                        &f.username,
                        &f.display_name,
                        f.email.as_deref(),
                        i64::from(f.reset_email.is_some()),
                        f.reset_email.clone().flatten(),
                        &f.directory_id,
                        &f.directory_dn,
                        f.role.as_str(),
                        f.status.as_str(),
                        i64::from(*link),
                        now,
                    ),
                )
                .await
                .map_err(conflict_as(CHANGED_MEANWHILE))?;
                if f.status == AccountStatus::Disabled {
                    disable(&mut tx, *id, now).await?;
                } else if *cancel_links {
                    super::reset::cancel_for_account(&mut *tx, *id, now).await?;
                }
                if *revoke_keys {
                    for key in super::api_keys::revoke_created_by(&mut *tx, *id, now).await? {
                        revoked.push((*id, key));
                    }
                }
            }
            SyncOp::Insert(f) => {
                sql::execute(
                    &mut *tx,
                    "INSERT INTO accounts (tenant_id, username, display_name, email, reset_email, role, status, \
                     directory_id, directory_dn, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                    (
                        tenant_id,
                        &f.username,
                        &f.display_name,
                        f.email.as_deref(),
                        f.reset_email.clone().flatten(),
                        f.role.as_str(),
                        f.status.as_str(),
                        &f.directory_id,
                        &f.directory_dn,
                        now,
                    ),
                )
                .await
                .map_err(conflict_as(CHANGED_MEANWHILE))?;
            }
        }
    }
    tx.commit().await?;
    Ok(revoked)
}

/// Disables an account: its sessions end and its reset links die.
async fn disable(tx: &mut sqlx::Transaction<'_, sqlx::Any>, id: i64, now: Timestamp) -> Result<()> {
    sql::execute(
        &mut **tx,
        "UPDATE accounts SET status = 'disabled', updated_at = $2 WHERE id = $1",
        (id, now),
    )
    .await?;
    sql::execute(
        &mut **tx,
        "DELETE FROM sessions WHERE account_id = $1",
        (id,),
    )
    .await?;
    super::reset::cancel_for_account(&mut **tx, id, now).await?;
    Ok(())
}
