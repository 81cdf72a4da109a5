//! `latchkey task` and `latchkey mail-log`: the outbox and the delivery attempts.

use std::fmt::{self, Write as _};
use std::str::FromStr;

use clap::{Args, Subcommand};
use serde::Serialize;

use super::input::{optional_tenant, tenant_slug, Window};
use super::output::{one_line, opt_time, Out, Text, LIST_TEXT_WIDTH};
use crate::clock::format_utc;
use crate::mail::templates::MailKind;
use crate::service::{
    Actor, Core, LogEntry, MailFilter as Filter, ServiceError, Task, TaskStatus, Tenant,
};

#[derive(Subcommand)]
pub(super) enum TaskCommand {
    /// List mail tasks, newest first.
    List {
        /// Only this tenant's mail (default: every tenant and system mail).
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
        /// Only tasks in this status: waiting, executing, done, failed or cancelled.
        #[arg(long)]
        status: Option<String>,
        #[command(flatten)]
        which: WhichMail,
        #[command(flatten)]
        window: Window,
    },
    /// Show one task: its fields, the message (one-time links and passwords masked) and
    /// every delivery attempt.
    Show {
        /// Task ID, as shown by `latchkey task list`.
        id: i64,
        /// Only find the task if it belongs to this tenant.
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
    },
    /// Queue a failed task again (or a delivered one without a one-time secret: a delivered
    /// reset link or temporary password is refused, send a new reset), due now with a fresh
    /// attempt budget.
    /// A running `latchkey serve` sends it within its poll interval.
    Redo {
        /// Task ID, as shown by `latchkey task list`.
        id: i64,
        /// Only act on the task if it belongs to this tenant.
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
    },
    /// Cancel a waiting task so it is never sent.
    Cancel {
        /// Task ID, as shown by `latchkey task list`.
        id: i64,
        /// Only act on the task if it belongs to this tenant.
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
    },
}

#[derive(Args)]
pub(super) struct MailLogArgs {
    /// Only this tenant's mail (default: every tenant and system mail).
    #[arg(long, value_name = "SLUG")]
    tenant: Option<String>,
    /// Only attempts with this result: success or failure.
    #[arg(long)]
    result: Option<String>,
    #[command(flatten)]
    which: WhichMail,
    /// Only attempts of this task (its ID from `latchkey task list`).
    #[arg(long, value_name = "ID")]
    task: Option<i64>,
    #[command(flatten)]
    window: Window,
}

/// `--kind` and `--recipient`, which `task list` and `mail-log` share.
#[derive(Args)]
pub(super) struct WhichMail {
    /// Only this kind of mail: reset_link, admin_reset_link, temporary_password,
    /// password_changed, reset_email_changed, campaign or smtp_test.
    #[arg(long)]
    kind: Option<String>,
    /// Only recipients whose address contains this text (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    recipient: Option<String>,
}

/// The filter of `task list` and `mail-log` from the flags they share (checked in the order
/// they are listed) and the status or result the caller has already read.
async fn list_filter(
    core: &Core,
    status: Option<String>,
    tenant: Option<&str>,
    which: WhichMail,
    window: &Window,
) -> anyhow::Result<Filter> {
    Ok(Filter {
        status,
        kind: parse_kind(which.kind.as_deref())?,
        tenant_id: optional_tenant(core, tenant).await?.map(|t| t.id),
        recipient: which.recipient.filter(|r| !r.trim().is_empty()),
        since: window.since()?,
        until: window.until()?,
        limit: window.limit(),
        offset: window.offset(),
        ..Filter::default()
    })
}

fn parse_task_status(raw: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    match raw.trim().to_ascii_lowercase().parse::<TaskStatus>() {
        Ok(status) => Ok(Some(status.as_str().to_owned())),
        Err(_) => anyhow::bail!(
            "--status: `{}` is not a task status; use one of {}",
            raw.escape_debug(),
            TaskStatus::ALL.map(TaskStatus::as_str).join(", ")
        ),
    }
}

fn parse_log_result(raw: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    match raw.trim().to_ascii_lowercase().as_str() {
        v @ ("success" | "failure") => Ok(Some(v.to_owned())),
        _ => anyhow::bail!(
            "--result: `{}` is not a result; use success or failure",
            raw.escape_debug()
        ),
    }
}

fn parse_kind(raw: Option<&str>) -> anyhow::Result<Option<String>> {
    let Some(raw) = raw else { return Ok(None) };
    match MailKind::from_str(raw.trim()) {
        Ok(k) => Ok(Some(k.as_str().to_owned())),
        Err(e) => anyhow::bail!(
            "--kind: {e}; use one of {}",
            MailKind::ALL.map(MailKind::as_str).join(", ")
        ),
    }
}

/// A task of `tenant` (any tenant when `None`), with an error naming the scope.
async fn find_task(core: &Core, tenant: Option<&Tenant>, id: i64) -> anyhow::Result<Task> {
    match core.task_in_scope(tenant, id).await {
        Ok(t) => Ok(t),
        Err(ServiceError::NotFound(_)) => {
            let said = match tenant {
                Some(t) => format!(
                    "there is no mail task {id} in tenant `{}` (see `latchkey task list --tenant {}`)",
                    t.slug, t.slug
                ),
                None => format!("there is no mail task {id} (see `latchkey task list`)"),
            };
            // `not_found` under --json, like the other commands' missing things.
            Err(ServiceError::NotFound(said.into()).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// A log row as `--json` prints it: the stored fields plus `result`.
#[derive(Serialize)]
struct LogRow<'a> {
    #[serde(flatten)]
    entry: &'a LogEntry,
    result: &'static str,
}

fn log_result(e: &LogEntry) -> &'static str {
    if e.success != 0 {
        "success"
    } else {
        "failure"
    }
}

fn log_rows(entries: &[LogEntry]) -> Vec<LogRow<'_>> {
    entries
        .iter()
        .map(|entry| LogRow {
            entry,
            result: log_result(entry),
        })
        .collect()
}

/// `task show --json`: the task, its tenant, the masked message and the delivery attempts.
#[derive(Serialize)]
struct TaskDetails<'a> {
    #[serde(flatten)]
    task: &'a Task,
    tenant: Option<String>,
    message: Option<MaskedMessage>,
    /// Set when the message could not be rendered.
    render_error: Option<String>,
    deliveries: Vec<LogRow<'a>>,
}

#[derive(Serialize)]
struct MaskedMessage {
    subject: String,
    text: String,
}

pub(super) async fn task_command(core: &Core, cmd: TaskCommand, out: Out) -> anyhow::Result<()> {
    let actor = Actor::Cli;
    match cmd {
        TaskCommand::List {
            tenant,
            status,
            which,
            window,
        } => {
            let status = parse_task_status(status.as_deref())?;
            let filter = list_filter(core, status, tenant.as_deref(), which, &window).await?;
            let tasks = core.mail_tasks(&filter).await?;
            out.show(&tasks, |w| {
                writeln!(
                    w,
                    "{:<7} {:<20} {:<9} {:<8} {:<19} {:<32} LAST-ERROR",
                    "ID", "SCHEDULED", "STATUS", "ATTEMPTS", "KIND", "RECIPIENT"
                )?;
                for t in &tasks {
                    writeln!(
                        w,
                        "{:<7} {:<20} {:<9} {:<8} {:<19} {:<32} {}",
                        t.id,
                        format_utc(t.scheduled_at),
                        t.status,
                        format!("{}/{}", t.attempts, t.max_attempts),
                        t.kind,
                        t.recipient,
                        t.last_error
                            .as_deref()
                            .map(|e| one_line(e, LIST_TEXT_WIDTH))
                            .unwrap_or_else(|| "-".into())
                    )?;
                }
                Ok(())
            })
        }
        TaskCommand::Show { id, tenant } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let task = find_task(core, tenant.as_ref(), id).await?;
            let slug = match task.tenant_id {
                Some(_) => Some(tenant_slug(core, task.tenant_id).await?),
                None => None,
            };
            let (message, render_error) = match core.render_masked(&task).await {
                Ok(r) => (
                    Some(MaskedMessage {
                        subject: r.subject,
                        text: r.text,
                    }),
                    None,
                ),
                Err(e) => (None, Some(e.to_string())),
            };
            let log = core
                .mail_log(&Filter {
                    task_id: Some(task.id),
                    limit: 1_000,
                    ..Filter::default()
                })
                .await?;
            let details = TaskDetails {
                task: &task,
                tenant: slug,
                message,
                render_error,
                deliveries: log_rows(&log),
            };
            out.show(&details, |w| {
                write_task(w, &task, details.tenant.as_deref())?;
                writeln!(w)?;
                match (&details.message, &details.render_error) {
                    (Some(m), _) => {
                        writeln!(w, "message (one-time links and passwords masked):")?;
                        writeln!(w, "  Subject: {}", m.subject)?;
                        writeln!(w)?;
                        for line in m.text.lines() {
                            if line.trim().is_empty() {
                                writeln!(w)?;
                            } else {
                                writeln!(w, "  {line}")?;
                            }
                        }
                    }
                    (None, Some(e)) => writeln!(w, "message:         cannot be rendered: {e}")?,
                    (None, None) => {}
                }
                writeln!(w)?;
                if log.is_empty() {
                    writeln!(w, "delivery attempts: none yet")?;
                } else {
                    writeln!(w, "delivery attempts (newest first):")?;
                    writeln!(
                        w,
                        "  {:<20} {:<7} {:<7} {:<4} {:<13} {:>8}  REPLY",
                        "TIME", "ATTEMPT", "RESULT", "CODE", "STEP", "DURATION"
                    )?;
                    for e in &log {
                        writeln!(
                            w,
                            "  {:<20} {:<7} {:<7} {:<4} {:<13} {:>6}ms  {}",
                            format_utc(e.at),
                            e.attempt,
                            log_result(e),
                            e.smtp_code
                                .map(|c| c.to_string())
                                .unwrap_or_else(|| "-".into()),
                            e.step.as_deref().unwrap_or("-"),
                            e.duration_ms,
                            one_line(&e.smtp_reply, usize::MAX)
                        )?;
                    }
                }
                Ok(())
            })
        }
        TaskCommand::Redo { id, tenant } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let task = find_task(core, tenant.as_ref(), id).await?;
            let to = match core.redo_task(&actor, tenant.as_ref(), id, None).await {
                Ok(to) => to,
                Err(e) => anyhow::bail!("cannot redo task {id} (it is {}): {e}", task.status),
            };
            let task = find_task(core, tenant.as_ref(), id).await?;
            out.show(&task, |w| match &to {
                Some(to) => writeln!(
                    w,
                    "queued task {id} again, to the account's current address {to}"
                ),
                None => writeln!(w, "queued task {id} again"),
            })
        }
        TaskCommand::Cancel { id, tenant } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let task = find_task(core, tenant.as_ref(), id).await?;
            if let Err(e) = core.cancel_task(&actor, tenant.as_ref(), id, None).await {
                anyhow::bail!("cannot cancel task {id} (it is {}): {e}", task.status);
            }
            let task = find_task(core, tenant.as_ref(), id).await?;
            out.show(&task, |w| writeln!(w, "cancelled task {id}"))
        }
    }
}

/// A task's fields for people. The one-time secret is never shown.
fn write_task(w: &mut Text, t: &Task, tenant: Option<&str>) -> fmt::Result {
    let kind = match t.kind.label() {
        Some(label) => format!("{} ({label})", t.kind),
        None => t.kind.to_string(),
    };
    writeln!(w, "task:            {}", t.id)?;
    writeln!(
        w,
        "tenant:          {}",
        tenant.unwrap_or("- (system mail)")
    )?;
    writeln!(w, "kind:            {kind}")?;
    writeln!(w, "status:          {}", t.status)?;
    if t.recipient_name.is_empty() {
        writeln!(w, "recipient:       {}", t.recipient)?;
    } else {
        writeln!(w, "recipient:       {} <{}>", t.recipient_name, t.recipient)?;
    }
    writeln!(w, "language:        {}", t.language)?;
    writeln!(w, "subject:         {}", t.subject)?;
    writeln!(w, "attempts:        {}/{}", t.attempts, t.max_attempts)?;
    writeln!(w, "scheduled:       {}", format_utc(t.scheduled_at))?;
    if t.status == TaskStatus::Waiting {
        writeln!(w, "next attempt:    {}", format_utc(t.next_attempt_at))?;
    }
    if let (Some(owner), Some(until)) = (&t.lease_owner, t.lease_until) {
        writeln!(w, "claimed by:      {owner} until {}", format_utc(until))?;
    }
    writeln!(
        w,
        "last error:      {}",
        t.last_error.as_deref().unwrap_or("-")
    )?;
    if let Some(c) = t.campaign_id {
        writeln!(w, "campaign:        {c}")?;
    }
    if let Some(a) = t.account_id {
        writeln!(w, "account id:      {a}")?;
    }
    writeln!(w, "created by:      {}", t.created_by)?;
    writeln!(w, "created:         {}", format_utc(t.created_at))?;
    writeln!(w, "updated:         {}", format_utc(t.updated_at))?;
    writeln!(w, "finished:        {}", opt_time(t.done_at))?;
    Ok(())
}

pub(super) async fn mail_log_command(
    core: &Core,
    args: MailLogArgs,
    out: Out,
) -> anyhow::Result<()> {
    let status = parse_log_result(args.result.as_deref())?;
    let filter = Filter {
        task_id: args.task,
        ..list_filter(
            core,
            status,
            args.tenant.as_deref(),
            args.which,
            &args.window,
        )
        .await?
    };
    let entries = core.mail_log(&filter).await?;
    out.show(&log_rows(&entries), |w| {
        writeln!(
            w,
            "{:<20} {:<7} {:<4} {:<19} {:<32} {:<60} TASK",
            "TIME", "RESULT", "CODE", "KIND", "RECIPIENT", "REPLY"
        )?;
        for e in &entries {
            writeln!(
                w,
                "{:<20} {:<7} {:<4} {:<19} {:<32} {:<60} {}",
                format_utc(e.at),
                log_result(e),
                e.smtp_code
                    .map(|c| c.to_string())
                    .unwrap_or_else(|| "-".into()),
                e.kind,
                e.recipient,
                one_line(&e.smtp_reply, LIST_TEXT_WIDTH),
                e.task_id
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "-".into())
            )?;
        }
        Ok(())
    })
}
