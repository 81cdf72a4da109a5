//! "Forgot password?" submissions written together.
//!
//! Every submission counts on two rate-limit counters and queues a request: writes that would
//! each need a commit of their own (one fsync on PostgreSQL, the single writer's turn on
//! SQLite). Submissions arriving while a commit is under way wait in a channel and are written
//! by the next one, up to [`MOST_AT_ONCE`] together ([`store::reset::admit`]): a busy page
//! commits once per group, an idle one once per submission, with no waiting added to gather a
//! group.

use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::store::{self, reset::Admitted, reset::Submission, Db};

/// The largest group written in one transaction.
const MOST_AT_ONCE: usize = 128;

/// The window of the forgot-password counters.
const HOUR: i64 = 3600;

type Job = (Submission, oneshot::Sender<store::Result<Admitted>>);

/// The channel to the task that writes submissions, started on first use (in the runtime
/// that serves the pages). Clones of a `Core` share it.
#[derive(Clone, Default)]
pub(crate) struct Admissions {
    sender: Arc<OnceLock<mpsc::Sender<Job>>>,
}

impl Admissions {
    /// Counts and queues `sub` with whatever other submissions are waiting to be written.
    pub(crate) async fn admit(&self, db: &Db, sub: Submission) -> store::Result<Admitted> {
        let sender = self.sender.get_or_init(|| start(db.clone()));
        let (reply, answer) = oneshot::channel();
        if let Err(mpsc::error::SendError((sub, _))) = sender.send((sub, reply)).await {
            // The writing task is gone (its runtime ended): write this one alone.
            return alone(db, sub).await;
        }
        match answer.await {
            Ok(result) => result,
            Err(_) => Err(store::StoreError::Db(sqlx::Error::WorkerCrashed)),
        }
    }
}

fn start(db: Db) -> mpsc::Sender<Job> {
    let (sender, mut jobs) = mpsc::channel::<Job>(4 * MOST_AT_ONCE);
    tokio::spawn(async move {
        let mut group: Vec<Job> = Vec::with_capacity(MOST_AT_ONCE);
        while jobs.recv_many(&mut group, MOST_AT_ONCE).await > 0 {
            let (subs, replies): (Vec<Submission>, Vec<_>) = group.drain(..).unzip();
            match store::reset::admit(&db, &subs, HOUR).await {
                Ok(done) => {
                    for (reply, admitted) in replies.into_iter().zip(done) {
                        let _ = reply.send(Ok(admitted));
                    }
                }
                // The group was rolled back (a deadlock between instances, a lost
                // connection): each submission gets its own transaction and its own answer.
                Err(_) => {
                    for (reply, sub) in replies.into_iter().zip(subs) {
                        let _ = reply.send(alone(&db, sub).await);
                    }
                }
            }
        }
    });
    sender
}

async fn alone(db: &Db, sub: Submission) -> store::Result<Admitted> {
    let mut done = store::reset::admit(db, std::slice::from_ref(&sub), HOUR).await?;
    Ok(done.remove(0))
}
