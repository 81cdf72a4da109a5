//! Wiring: opens the database, prepares the first start, binds the listener, serves until told
//! to stop. Tests start the real app exactly like `latchkey serve` does, on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;

use crate::clock::{Clock, SystemClock};
use crate::config::Validated;
use crate::domain::PublicUrl;
use crate::service::Core;
use crate::web::{self, AppState};

pub struct App {
    listener: TcpListener,
    core: Core,
    setup_link: Option<String>,
}

impl App {
    pub async fn build(config: Validated) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    pub async fn build_with_clock(
        mut config: Validated,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {} (setting `listen`)", config.listen))?;
        let addr = listener.local_addr()?;
        if config.raw.public_url.is_none() {
            // With port 0 the real port is known only now.
            config.public_url =
                PublicUrl::parse(&format!("http://{addr}")).map_err(anyhow::Error::msg)?;
        }
        let core = Core::open(config, clock).await?;
        core.apply_configured_directories()
            .await
            .context("the directories in the configuration file")?;
        let setup_link = core.setup_link_if_needed().await?;
        // The start's housekeeping pass, done before anything is served: the janitor's next
        // pass is ten minutes later, never in the middle of what the first requests do.
        core.housekeeping().await;
        Ok(Self {
            listener,
            core,
            setup_link,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    pub fn core(&self) -> &Core {
        &self.core
    }

    /// The one-time link to create the first system admin, when none exists yet.
    pub fn setup_link(&self) -> Option<&str> {
        self.setup_link.as_deref()
    }

    /// Serves until SIGINT or SIGTERM, then finishes in-flight requests and returns.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_with_shutdown(shutdown_signal()).await
    }

    pub async fn run_with_shutdown(
        self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // Housekeeping every ten minutes (the first pass ran in [`App::build_with_clock`]):
        // expired sessions, old counters, and records past their retention.
        let janitor = {
            let core = self.core.clone();
            tokio::spawn(every(Duration::from_secs(600), move || {
                let core = core.clone();
                async move {
                    core.housekeeping().await;
                }
            }))
        };
        // PostgreSQL: the queues' vacuum and the tables' planner statistics every ten seconds
        // (`table_upkeep_interval`), as autovacuum would (where it is off or lags, the queues'
        // dead rows pile up and busy tables are planned from statistics of when they were
        // empty). SQLite needs none.
        let upkeep = match self.core.config.table_upkeep {
            Some(period) if self.core.db.wants_table_upkeep() => {
                let core = self.core.clone();
                Some(tokio::spawn(every(period, move || {
                    let core = core.clone();
                    async move {
                        core.table_upkeep().await;
                    }
                })))
            }
            _ => None,
        };
        // Directory syncs run where mail is sent: `mail_worker = false` instances only serve.
        let syncer = self
            .core
            .config
            .raw
            .mail_worker
            .then(|| tokio::spawn(directory_syncer(self.core.clone())));
        let stop = Arc::new(AtomicBool::new(false));
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let worker = self
            .core
            .config
            .raw
            .mail_worker
            .then(|| tokio::spawn(delivery_worker(self.core.clone(), stop.clone(), stop_rx)));
        // Mail queued by other processes (the CLI, other instances) wakes this worker at once
        // on PostgreSQL.
        let listener = worker.is_some().then(|| {
            let core = self.core.clone();
            tokio::spawn(async move { core.listen_for_mail().await })
        });
        // Tenants changed by other instances leave this one's cache at once on PostgreSQL.
        let tenant_listener = {
            let core = self.core.clone();
            tokio::spawn(async move { core.listen_for_tenant_changes().await })
        };
        let router = web::router(AppState::new(self.core.clone()));
        let result = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(signal)
        .await;
        // Requests are finished; let the worker finish the mail in hand and hand back the rest.
        stop.store(true, Ordering::SeqCst);
        let _ = stop_tx.send(true);
        if let Some(worker) = worker {
            if tokio::time::timeout(Duration::from_secs(60), worker)
                .await
                .is_err()
            {
                tracing::warn!("the delivery worker did not stop in time; its claimed mail will be taken over when the lease ends");
            }
        }
        janitor.abort();
        if let Some(upkeep) = upkeep {
            upkeep.abort();
        }
        tenant_listener.abort();
        if let Some(listener) = listener {
            listener.abort();
        }
        if let Some(syncer) = syncer {
            syncer.abort();
        }
        self.core.db.close().await;
        result.context("the web server stopped with an error")
    }
}

/// Sends due mail: wakes when mail is queued here, and polls for mail queued elsewhere (another
/// instance, a scheduled time that has come, a retry that is due).
async fn delivery_worker(
    core: Core,
    stop: Arc<AtomicBool>,
    mut stop_rx: tokio::sync::watch::Receiver<bool>,
) {
    let owner = format!(
        "worker-{}-{}",
        std::process::id(),
        crate::domain::token::new_token()
            .hash
            .as_str()
            .get(..8)
            .unwrap_or("")
    );
    // The second (by the core's clock) of the last heartbeat.
    let mut beaten = None;
    loop {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        // The health view's heartbeat: this worker is alive (see service/mail_health.rs). At
        // most once a second: a busy worker goes round many times a second.
        let now = core.now();
        if beaten != Some(now) {
            core.worker_alive(&owner).await;
            beaten = Some(now);
        }
        // A wake-up from before this pass is answered by it: the claims below see that mail.
        // (One that comes later stays, and wakes the sleep below at once.)
        tokio::select! {
            biased;
            _ = core.mail_wakeup.notified() => {}
            _ = std::future::ready(()) => {}
        }
        let requests = match core.process_reset_requests(&owner).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "processing reset requests failed");
                0
            }
        };
        let sent = match core.deliver_due(&owner, &stop).await {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = format!("{e:#}"), "mail delivery round failed");
                0
            }
        };
        // Any request, or a full claim of mail: there may be more, go again at once. (Requests
        // and mail that failed stay leased or wait for their retry, so this can't spin on
        // them.) A smaller claim of mail found its queue empty when it claimed; what came since
        // has woken the worker. Requests go round again whatever their number: another
        // instance's claim at the same moment can leave this one short while more wait.
        if requests > 0 || sent >= core.mail_claim_size() {
            continue;
        }
        // Sleep until woken, until the next scheduled mail falls due, or one poll interval.
        let sleep = core.until_mail_due(core.config.mail_poll).await;
        tokio::select! {
            _ = core.mail_wakeup.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
            _ = stop_rx.changed() => break,
        }
    }
    core.worker_stopped(&owner).await;
}

/// Directory syncs: once a minute, every connected directory whose interval has passed is synced
/// (one instance per interval, see [`Core::sync_due_directories`]).
async fn directory_syncer(core: Core) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        if let Err(e) = core.sync_due_directories().await {
            tracing::error!(error = format!("{e:#}"), "directory syncs failed");
        }
    }
}

/// Runs `f` every `period`, the first time one period from now, until dropped. A run that took
/// longer than the period is followed by a full period, not by the ticks it missed.
async fn every<F, Fut>(period: Duration, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        f().await;
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
