//! Scheduled mail (tasks) and the mail log.

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::TenantKey;
use super::error::{ApiError, ErrorBody};
use super::extract::{page, search_text, ApiPath, ApiQuery};
use super::schemas;
use crate::mail::templates::MailKind;
use crate::service::api_keys::Scope;
use crate::service::views::{MailFilter, Task, TaskStatus, Tenant};
use crate::web::extract::ClientIp;
use crate::web::AppState;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MailQuery {
    /// Tasks: waiting, executing, done, failed, cancelled. Mail log: success or failure. (In
    /// each operation's own parameters, with its choices.)
    #[param(ignore)]
    status: Option<String>,
    /// A mail kind.
    #[param(schema_with = mail_kind)]
    kind: Option<String>,
    /// Part of the recipient address.
    #[param(pattern = "^[^\\x00]*$")]
    recipient: Option<String>,
    /// At most this many (default 50).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<i64>,
    /// Skip this many (default 0).
    #[param(minimum = 0)]
    offset: Option<i64>,
}

fn mail_kind() -> RefOr<Schema> {
    let kinds: Vec<&str> = MailKind::ALL.map(MailKind::as_str).to_vec();
    schemas::choice(&kinds, "A mail kind", false)
}

/// The choices of `status` on the task list (the document's pattern; a test compares).
#[cfg(test)]
const TASK_STATUS_PATTERN: &str = "^(waiting|executing|done|failed|cancelled)$";

impl MailQuery {
    fn filter(&self, tenant: &Tenant, statuses: &[&str]) -> Result<MailFilter, ApiError> {
        let (limit, offset) = page(self.limit, self.offset)?;
        search_text("recipient", &self.recipient)?;
        if let Some(s) = self.status.as_deref().filter(|s| !statuses.contains(s)) {
            return Err(ApiError::validation(format!(
                "status `{}` is not one of {}",
                s.escape_debug(),
                statuses.join(", ")
            )));
        }
        if let Some(k) = &self.kind {
            k.parse::<MailKind>()?;
        }
        Ok(MailFilter {
            tenant_id: Some(tenant.id),
            status: self.status.clone(),
            kind: self.kind.clone(),
            recipient: self.recipient.clone(),
            limit,
            offset,
            ..Default::default()
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TaskInfo {
    id: i64,
    kind: String,
    recipient: String,
    /// Never contains a secret.
    subject: String,
    #[schema(value_type = String)]
    status: TaskStatus,
    scheduled_at: i64,
    next_attempt_at: i64,
    attempts: i64,
    max_attempts: i64,
    last_error: Option<String>,
    campaign_id: Option<i64>,
}

impl From<Task> for TaskInfo {
    fn from(t: Task) -> Self {
        TaskInfo {
            id: t.id,
            kind: t.kind.to_string(),
            recipient: t.recipient,
            subject: t.subject,
            status: t.status,
            scheduled_at: t.scheduled_at,
            next_attempt_at: t.next_attempt_at,
            attempts: t.attempts,
            max_attempts: t.max_attempts,
            last_error: t.last_error,
            campaign_id: t.campaign_id,
        }
    }
}

/// The tenant's scheduled mail, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/tasks", tag = "mail",
    params(("status" = Option<String>, Query, description = "waiting, executing, done, failed or cancelled", pattern = "^(waiting|executing|done|failed|cancelled)$"),
        MailQuery),
    responses((status = 200, body = Vec<TaskInfo>)))]
pub(super) async fn list_tasks(
    State(state): State<AppState>,
    key: TenantKey,
    ApiQuery(q): ApiQuery<MailQuery>,
) -> Result<Json<Vec<TaskInfo>>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::MailRead]).await?;
    let filter = q.filter(&tenant, &TaskStatus::ALL.map(TaskStatus::as_str))?;
    let tasks = state.core.mail_tasks(&filter).await?;
    Ok(Json(tasks.into_iter().map(TaskInfo::from).collect()))
}

/// Queues a failed or done mail again (`redo`) or cancels a waiting one (`cancel`). A mail an
/// administrator sent goes again to its account's current address (`recipient` in the answer).
#[utoipa::path(post, path = "/api/v1/tenants/{tenant}/tasks/{id}/{action}", tag = "mail",
    params(("id" = i64, Path), ("action" = String, Path, description = "redo or cancel", pattern = "^(redo|cancel)$")),
    responses((status = 200, body = TaskInfo), (status = 422, body = ErrorBody, description = "`validation_failed`: the mail's status doesn't allow this action")))]
pub(super) async fn task_action(
    State(state): State<AppState>,
    key: TenantKey,
    ClientIp(ip): ClientIp,
    ApiPath((_slug, id, action)): ApiPath<(String, i64, String)>,
) -> Result<Json<TaskInfo>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::ResetsSend]).await?;
    match action.as_str() {
        "redo" => {
            state
                .core
                .redo_task(&key.auth.actor(), Some(&tenant), id, Some(&ip))
                .await?;
        }
        "cancel" => {
            state
                .core
                .cancel_task(&key.auth.actor(), Some(&tenant), id, Some(&ip))
                .await?
        }
        _ => return Err(ApiError::not_found("the action is redo or cancel")),
    }
    Ok(Json(TaskInfo::from(
        state.core.task_in_scope(Some(&tenant), id).await?,
    )))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attempt {
    at: i64,
    task: Option<i64>,
    kind: String,
    recipient: String,
    subject: String,
    success: bool,
    smtp_code: Option<i64>,
    smtp_reply: String,
    step: Option<String>,
    duration_ms: i64,
}

/// The tenant's delivery attempts with the mail server's replies, newest first.
#[utoipa::path(get, path = "/api/v1/tenants/{tenant}/mail-log", tag = "mail",
    params(("status" = Option<String>, Query, description = "success or failure", pattern = "^(success|failure)$"),
        MailQuery),
    responses((status = 200, body = Vec<Attempt>)))]
pub(super) async fn mail_log(
    State(state): State<AppState>,
    key: TenantKey,
    ApiQuery(q): ApiQuery<MailQuery>,
) -> Result<Json<Vec<Attempt>>, ApiError> {
    let tenant = key.tenant(&state, &[Scope::MailRead]).await?;
    let filter = q.filter(&tenant, &["success", "failure"])?;
    let rows = state.core.mail_log(&filter).await?;
    Ok(Json(
        rows.into_iter()
            .map(|r| Attempt {
                at: r.at,
                task: r.task_id,
                kind: r.kind,
                recipient: r.recipient,
                subject: r.subject,
                success: r.success != 0,
                smtp_code: r.smtp_code,
                smtp_reply: r.smtp_reply,
                step: r.step,
                duration_ms: r.duration_ms,
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_documented_task_statuses_are_the_real_ones() {
        let names: Vec<&str> = super::TaskStatus::ALL
            .map(super::TaskStatus::as_str)
            .to_vec();
        assert_eq!(
            super::TASK_STATUS_PATTERN,
            format!("^({})$", names.join("|"))
        );
    }
}
