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

/// Writes accepted mails as done, on the round's writer ([`GroupCommit::run`]), while the lanes
/// go on sending: what the lanes' servers accepted while the previous write ran is written
/// together. A lane may have at most `mail_unrecorded_per_connection` accepted mails not written
/// yet (its window); at 1 (the default) it waits for each mail's write before sending its next.
/// Mails stay claimed until written (and a dead worker's claims are taken over), so a crash
/// between a server's `250` and the write sends again at most a window of mails per lane, never
/// loses one.
pub(super) struct GroupCommit {
    /// The number given to the last mail added, and the mails not being written yet.
    pending: Mutex<(u64, Vec<Accepted>)>,
    /// The number up to which mails are written, and whether a write failed (then nothing more
    /// is written in this round and every lane stops).
    written: tokio::sync::watch::Sender<(u64, bool)>,
    /// Wakes the writer: a mail was added, or a lane finished.
    wake: tokio::sync::Notify,
    /// Lanes still sending; the writer stops when none is left and nothing is pending.
    lanes: std::sync::atomic::AtomicUsize,
    /// Accepted mails a lane may have unwritten.
    window: usize,
}

impl Default for GroupCommit {
    /// One lane, each mail written before the next.
    fn default() -> Self {
        GroupCommit::new(1, 1)
    }
}

/// A lane's mails added to the [`GroupCommit`] and not yet known to be written, oldest first.
#[derive(Default)]
pub(super) struct Unwritten(VecDeque<u64>);

impl GroupCommit {
    fn new(lanes: usize, window: usize) -> Self {
        GroupCommit {
            pending: Mutex::default(),
            written: tokio::sync::watch::Sender::new((0, false)),
            wake: tokio::sync::Notify::new(),
            lanes: std::sync::atomic::AtomicUsize::new(lanes),
            window: window.max(1),
        }
    }

    /// Adds `a`; returns once the lane has fewer than its window of mails unwritten.
    pub(super) async fn commit(&self, a: Accepted, mine: &mut Unwritten) -> Result<()> {
        let seq = {
            let mut p = self.pending.lock().map_err(|_| poisoned())?;
            p.0 += 1;
            p.1.push(a);
            p.0
        };
        self.wake.notify_one();
        mine.0.push_back(seq);
        while mine.0.len() >= self.window {
            let oldest = mine.0.front().copied().unwrap_or_default();
            self.written_up_to(oldest).await?;
            mine.0.retain(|s| *s > oldest);
        }
        Ok(())
    }

    /// Fails when an earlier write failed: a lane checks before each mail it sends.
    pub(super) fn check(&self) -> Result<()> {
        if self.written.borrow().1 {
            return Err(write_failed());
        }
        Ok(())
    }

    async fn written_up_to(&self, seq: u64) -> Result<()> {
        let mut rx = self.written.subscribe();
        let state = *rx
            .wait_for(|(w, failed)| *w >= seq || *failed)
            .await
            .map_err(|_| write_failed())?;
        if state.0 >= seq {
            Ok(())
        } else {
            Err(write_failed())
        }
    }

    /// A lane is done sending.
    fn lane_done(&self) {
        self.lanes.fetch_sub(1, Ordering::SeqCst);
        self.wake.notify_one();
    }

    /// The round's writer: writes whatever is pending, again and again, until every lane is
    /// done and nothing is left.
    async fn run(&self, core: &Core, owner: &str) -> Result<()> {
        loop {
            let (upto, group) = {
                let mut p = self.pending.lock().map_err(|_| poisoned())?;
                (p.0, std::mem::take(&mut p.1))
            };
            if group.is_empty() {
                if self.lanes.load(Ordering::SeqCst) == 0 {
                    return Ok(());
                }
                self.wake.notified().await;
                continue;
            }
            if let Err(e) = core.write_accepted(owner, group).await {
                self.written.send_modify(|w| w.1 = true);
                return Err(e);
            }
            self.written.send_modify(|w| w.0 = upto);
        }
    }
}

fn write_failed() -> crate::service::ServiceError {
    crate::service::ServiceError::Internal(anyhow::anyhow!(
        "an earlier write of delivered mail failed in this round"
    ))
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
        let window = self.config.raw.mail_unrecorded_per_connection as usize;
        let commits = std::sync::Arc::new(GroupCommit::new(lanes, window));
        let (results, written) = tokio::join!(
            join_all((0..lanes).map(|_| self.lane(owner, stop, &queue, &commits, &ahead))),
            commits.run(self, owner)
        );
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
        if let Err(e) = written {
            first_error.get_or_insert(e);
        }
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
                // A failed write stops the lane: what it sends now couldn't be written either.
                commits.check()?;
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
        commits.lane_done();
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
