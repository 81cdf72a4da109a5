//! The heartbeat of a worker's round: its leases renewed while it runs.

use crate::service::Core;
use crate::store;

/// What a [`Heartbeat`] keeps leased.
pub(in crate::service) enum Leases {
    /// The mail the worker is delivering.
    Mail,
    /// These "Forgot password?" requests (a reset round's).
    Requests(Vec<i64>),
}

/// Renews a worker's leases (its mail, or a round's "Forgot password?" requests) every third
/// of the lease while it lives; stops when dropped.
pub(in crate::service) struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    pub(in crate::service) fn start(
        core: Core,
        owner: &str,
        lease_secs: i64,
        leases: Leases,
    ) -> Self {
        let owner = owner.to_owned();
        let every = std::time::Duration::from_secs((lease_secs / 3).max(1) as u64);
        Heartbeat(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                let now = core.now();
                let until = now + lease_secs;
                let renewed = match &leases {
                    Leases::Mail => store::mail::renew_leases(&core.db, &owner, until, now).await,
                    Leases::Requests(ids) => {
                        store::reset::renew_leases(&core.db, &owner, ids, until).await
                    }
                };
                if let Err(e) = renewed {
                    tracing::warn!(error = %e, "renewing leases failed");
                }
                // A long round keeps the worker alive in the health view too.
                core.worker_alive(&owner).await;
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}
