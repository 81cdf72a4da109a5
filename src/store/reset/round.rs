//! A reset worker's round written in one transaction ([`Round`]).

use sqlx::{Any, Transaction};

use super::{queue_links_in, NewLink};
use crate::clock::Timestamp;
use crate::store::{sql, Db, Result};

/// A round of the reset worker, written in ONE transaction: the accounts' counters it counts
/// ([`Round::count`]), then the links it issues with their mails (as
/// [`queue_links`](super::queue_links) does), its audit events and the deletion of the requests
/// it handled ([`Round::finish`]). On a crash or an
/// error all of it is written or none: the requests are then claimed again when the lease ends
/// and handled once more — no mail is queued twice, no event recorded twice, and no counter
/// counts a request twice (a retried round would otherwise find an account one mail further
/// on its hourly limit, and could refuse the link it had decided to send). Dropped without
/// [`Round::finish`], nothing is written.
pub struct Round(Transaction<'static, Any>);

impl Round {
    pub async fn begin(db: &Db) -> Result<Self> {
        Ok(Self(db.write.begin().await?))
    }

    /// Counts one event on each of `keys` in the round's transaction (see
    /// [`crate::store::rate_limit::hit_each`]): each one's count in its window, in order.
    pub async fn count(
        &mut self,
        keys: &[&str],
        window_secs: i64,
        now: Timestamp,
    ) -> Result<Vec<i64>> {
        crate::store::rate_limit::hit_each(&mut *self.0, keys, window_secs, now).await
    }

    /// Writes the round's `links` (with their mails), its audit `events` and the deletion of the
    /// requests `ids` that `owner` handled, and commits. The mails' task ids, in order.
    pub async fn finish(
        mut self,
        owner: &str,
        links: &[NewLink<'_>],
        ids: &[i64],
        events: &[crate::store::audit::NewEvent<'_>],
        now: Timestamp,
    ) -> Result<Vec<i64>> {
        let tx = &mut self.0;
        // The requests' end first: a round that no longer holds all of them (its lease ran out
        // and another worker took them: a stalled process, a heartbeat that couldn't write)
        // writes nothing, so that only one worker answers each request.
        let mut ended = 0;
        for chunk in ids.chunks(100) {
            let mut b = sql::Binds::once_each(sql::backend_of(tx));
            let sql = format!(
                "DELETE FROM reset_requests WHERE lease_owner = {} AND id IN ({})",
                b.add(owner)?,
                b.list(chunk.iter().copied())?
            );
            ended += sql::execute(&mut **tx, &sql, b).await?;
        }
        if ended != ids.len() as u64 {
            return Err(crate::store::StoreError::Conflict(format!(
                "{} of the round's {} requests are no longer this worker's; the round is not written",
                ids.len() as u64 - ended,
                ids.len()
            )));
        }
        let task_ids = queue_links_in(tx, links, now).await?;
        let events: Vec<_> = events.iter().collect();
        crate::store::audit::record_many_in(tx, &events, now).await?;
        self.0.commit().await?;
        Ok(task_ids)
    }
}
