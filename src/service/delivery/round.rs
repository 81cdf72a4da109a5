//! One round of delivery: the due mail claimed at once, sent over up to
//! `mail_connections_per_server` connections side by side (lanes), and the accepted mails'
//! writes grouped (a group commit: what the lanes' servers accepted while the previous write
//! ran is written together).
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

/// Writes accepted mails as done. A lane waits for its mail's write before it sends its next
/// one, so a crash between a server's `250` and the write sends again at most one mail per
/// lane (they stay claimed until written, and a dead worker's claims are taken over), never
/// loses one. Lanes that finish a mail while another lane's write runs are written together
/// by whichever of them gets to write next.
#[derive(Default)]
pub(super) struct GroupCommit {
    /// The number given to the last mail added, and the mails not being written yet.
    pending: Mutex<(u64, Vec<Accepted>)>,
    /// Held while writing: the number up to which mails are written, and whether a write
    /// failed (then nothing more is written in this round).
    written: tokio::sync::Mutex<(u64, bool)>,
}

impl GroupCommit {
    /// Adds `a` and returns once it is written (by this lane or another).
    pub(super) async fn commit(&self, core: &Core, owner: &str, a: Accepted) -> Result<()> {
        let seq = {
            let mut p = self.pending.lock().map_err(|_| poisoned())?;
            p.0 += 1;
            p.1.push(a);
            p.0
        };
        let mut written = self.written.lock().await;
        if written.1 {
            return Err(crate::service::ServiceError::Internal(anyhow::anyhow!(
                "an earlier write of delivered mail failed in this round"
            )));
        }
        if written.0 >= seq {
            return Ok(());
        }
        let (upto, group) = {
            let mut p = self.pending.lock().map_err(|_| poisoned())?;
            (p.0, std::mem::take(&mut p.1))
        };
        match core.write_accepted(owner, group).await {
            Ok(()) => {
                written.0 = upto;
                Ok(())
            }
            Err(e) => {
                written.1 = true;
                Err(e)
            }
        }
    }
}

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
            smtp_reply_msg: None,
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
        let ahead = std::sync::Arc::new(Mutex::new(self.issue_links_ahead(&tasks).await));
        let queue = Mutex::new(VecDeque::from(tasks));
        let commits = std::sync::Arc::new(GroupCommit::default());
        let results =
            join_all((0..lanes).map(|_| self.lane(owner, stop, &queue, &commits, &ahead))).await;
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
        commits: &std::sync::Arc<GroupCommit>,
        ahead: &std::sync::Arc<Mutex<HashMap<i64, secrecy::SecretString>>>,
    ) -> Result<HashMap<String, Option<i64>>> {
        let mut tenants: HashMap<i64, Option<Tenant>> = HashMap::new();
        let mut batch = Batch {
            commits: commits.clone(),
            ahead: ahead.clone(),
            ..Batch::default()
        };
        let mut open = None;
        let sent: Result<()> = async {
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
        if let Some((_, conn)) = open {
            conn.quit(&mut crate::mail::Transcript::default()).await;
        }
        sent?;
        Ok(batch.routes)
    }

    /// Writes accepted mails as done, with their mail-log rows, at once (one statement or
    /// transaction); then their lines in the application log and the daily file.
    async fn write_accepted(&self, owner: &str, accepted: Vec<Accepted>) -> Result<()> {
        if accepted.is_empty() {
            return Ok(());
        }
        // The logs first, as for a single mail: once a task shows done, its lines are there.
        let mut lines = Vec::with_capacity(accepted.len());
        for a in &accepted {
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
        }
        self.append_daily(&lines).await;
        let entries: Vec<_> = accepted.iter().map(|a| (a.log_entry(), a.at)).collect();
        let lost = store::mail::complete_many(&self.db, owner, &entries, self.now()).await?;
        for a in &accepted {
            if lost.contains(&a.task.id) {
                tracing::warn!(
                    task = a.task.id,
                    "delivered a mail whose lease had passed to another worker"
                );
            }
            // Counted once the task shows it: a scrape in between sees both or neither.
            self.metrics.mail("sent");
        }
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
