//! One round of delivery: the due mail claimed at once, sent over up to
//! `mail_connections_per_server` connections side by side (lanes), and the accepted mails'
//! writes grouped into few transactions.
//!
//! Each lane holds at most one SMTP connection at a time and takes the next claimed mail from
//! the round's shared queue, so no server ever has more of this worker's connections than there
//! are lanes, and every mail is sent by exactly one lane. The hourly quota is counted per mail
//! as before (one atomic counter in the database), so lanes can't overrun it together.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::task::Poll;

use super::{attempt_line, trace_attempt, Batch, Heartbeat, BATCH};
use crate::clock::Timestamp;
use crate::service::{Core, Result};
use crate::store::mail::{NewLogEntry, Task};
use crate::store::{self, Tenant};

/// Accepted mails written together: one transaction per this many (and one at the end of a
/// lane's round). A crash between the server's `250` and the write sends at most these mails
/// again (they stay claimed until written, and a dead worker's claims are taken over), never
/// loses one.
pub(super) const GROUP: usize = 20;

/// A mail the server accepted, waiting to be written as done with its mail-log row.
pub(super) struct Accepted {
    pub(super) task: Task,
    pub(super) code: i64,
    pub(super) reply: String,
    pub(super) route: String,
    pub(super) duration_ms: i64,
    /// When the server accepted it (the log row's time).
    pub(super) at: Timestamp,
}

impl Accepted {
    fn log_entry(&self) -> NewLogEntry<'_> {
        NewLogEntry {
            task_id: Some(self.task.id),
            tenant_id: self.task.tenant_id,
            kind: self.task.kind.as_str(),
            recipient: &self.task.recipient,
            subject: &self.task.subject,
            success: true,
            smtp_code: Some(self.code),
            smtp_reply: &self.reply,
            step: None,
            duration_ms: self.duration_ms,
            attempt: self.task.attempts,
            route: Some(&self.route),
        }
    }
}

impl Core {
    /// Claims due tasks for `owner` and delivers them. Returns how many were handled. Stops
    /// between messages when `stop` is set, handing the rest back unsent.
    pub async fn deliver_due(&self, owner: &str, stop: &AtomicBool) -> Result<usize> {
        let lease = self.config.mail_lease.as_secs() as i64;
        let lanes = self.config.raw.mail_connections_per_server.max(1) as usize;
        let tasks =
            store::mail::claim(&self.db, owner, BATCH * lanes as i64, lease, self.now()).await?;
        let count = tasks.len();
        // While this round runs, its leases are renewed: a short lease then only matters when
        // the worker is gone.
        let _heartbeat = (count > 0).then(|| Heartbeat::start(self.clone(), owner, lease));
        // A lane per connection, but no lane without a few mails to carry: a handful of mails
        // goes over one connection, as before.
        let lanes = lanes.min(count.div_ceil(4)).max(1);
        let queue = Mutex::new(VecDeque::from(tasks));
        let results = join_all((0..lanes).map(|_| self.lane(owner, stop, &queue))).await;
        let mut routes = HashMap::new();
        let mut first_error = None;
        for r in results {
            match r {
                Ok(lane_routes) => routes.extend(lane_routes),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        self.judge_routes(&routes).await;
        match first_error {
            Some(e) => Err(e),
            None => Ok(count),
        }
    }

    /// One lane: takes mails from the round's queue until it is empty, over its own connection.
    /// Returns the routes its attempts went to.
    async fn lane(
        &self,
        owner: &str,
        stop: &AtomicBool,
        queue: &Mutex<VecDeque<Task>>,
    ) -> Result<HashMap<String, Option<i64>>> {
        let mut tenants: HashMap<i64, Option<Tenant>> = HashMap::new();
        let mut batch = Batch::default();
        let mut open = None;
        let sent = async {
            loop {
                let Some(task) = queue.lock().map_err(|_| poisoned())?.pop_front() else {
                    return Ok(());
                };
                if stop.load(Ordering::SeqCst) {
                    store::mail::release(&self.db, task.id, owner, self.now(), self.now()).await?;
                    continue;
                }
                let tenant = match task.tenant_id {
                    Some(id) => match tenants.get(&id) {
                        Some(t) => t.clone(),
                        None => {
                            let t = store::tenants::by_id(&self.db, id).await?;
                            tenants.insert(id, t.clone());
                            t
                        }
                    },
                    None => None,
                };
                self.deliver_one(owner, &task, tenant.as_ref(), &mut open, &mut batch)
                    .await?;
            }
        }
        .await;
        // What the server accepted is written even when the round failed.
        let written = self.flush_accepted(owner, &mut batch).await;
        if let Some((_, conn)) = open {
            conn.quit(&mut crate::mail::Transcript::default()).await;
        }
        sent.and(written)?;
        Ok(batch.routes)
    }

    /// Writes the accepted mails of `batch` as done, with their mail-log rows, in one
    /// transaction; then their lines in the application log and the daily file.
    pub(super) async fn flush_accepted(&self, owner: &str, batch: &mut Batch) -> Result<()> {
        let accepted = std::mem::take(&mut batch.accepted);
        if accepted.is_empty() {
            return Ok(());
        }
        let entries: Vec<_> = accepted.iter().map(|a| (a.log_entry(), a.at)).collect();
        let lost = store::mail::complete_many(&self.db, owner, &entries, self.now()).await?;
        let mut lines = Vec::with_capacity(accepted.len());
        for a in &accepted {
            if lost.contains(&a.task.id) {
                tracing::warn!(
                    task = a.task.id,
                    "delivered a mail whose lease had passed to another worker"
                );
            }
            trace_attempt(&a.task, true, Some(a.code), &a.reply, a.duration_ms);
            let line = attempt_line(
                a.at,
                &a.task,
                true,
                Some(a.code),
                None,
                &a.reply,
                a.duration_ms,
            );
            lines.push((a.at, line));
            self.metrics.mail("sent");
        }
        self.append_daily(&lines).await;
        Ok(())
    }
}

fn poisoned() -> crate::service::ServiceError {
    crate::service::ServiceError::Internal(anyhow::anyhow!("the round's mail queue is poisoned"))
}

/// Runs the futures side by side on this task until all are done; their outputs in order.
async fn join_all<F: Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut futures: Vec<Pin<Box<F>>> = futures.map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    Poll::Ready(v) => *out = Some(v),
                    Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            Poll::Pending
        } else {
            Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}
