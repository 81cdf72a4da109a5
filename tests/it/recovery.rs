//! Recovery across processes (issue 20): a `latchkey serve` killed with SIGKILL in the middle of
//! a campaign loses its claimed mail for at most about one lease (30 s, renewed while a worker
//! lives), not minutes; and on PostgreSQL mail queued by another process wakes the worker at
//! once instead of at its next poll. Real processes, a real SMTP server, both backends.

use crate::common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::smtp::{SmtpOptions, SmtpServer};
use common::{Backend, TestDb};
use latchkey::domain::{EmailAddress, Language, Role, Username};
use latchkey::mail::templates::MailKind;
use latchkey::mail::{Security, SmtpSettings};
use latchkey::service::admin_reset::{AdminReset, Recipients, ResetKind, When};
use latchkey::service::{Actor, Core, CreateAccount, NewMail, SmtpInput};

use crate::instances::Instance;

const PUBLIC: &str = "http://latchkey.test";

/// The test's own view of the database (no worker of its own), with SMTP set to `srv`.
async fn setup(db: &TestDb, srv: &SmtpServer) -> (Core, PathBuf) {
    let key = db.dir.path().join("master.key");
    let mut config = latchkey::Config {
        database_url: Some(db.url.clone()),
        data_dir: db.dir.path().join("test-core"),
        master_key_file: Some(key.clone()),
        public_url: Some(PUBLIC.into()),
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        mail_worker: false,
        ..latchkey::Config::default()
    };
    config.listen = "127.0.0.1:0".into();
    let core = Core::open(
        config.validate().unwrap(),
        std::sync::Arc::new(latchkey::clock::SystemClock),
    )
    .await
    .unwrap();
    let settings = SmtpSettings {
        enabled: true,
        host: "127.0.0.1".into(),
        port: srv.port(),
        security: Security::None,
        auth: false,
        from_address: "noreply@example.org".into(),
        timeout_secs: 10,
        ..SmtpSettings::default()
    };
    core.save_smtp(
        &Actor::Cli,
        None,
        SmtpInput {
            settings,
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    (core, key)
}

async fn recipients(srv: &SmtpServer) -> Vec<String> {
    srv.messages()
        .iter()
        .map(|m| m.rcpt_to[0].clone())
        .collect()
}

/// `kill -9` while a campaign of 200 is being delivered; after a restart every mail is out
/// within 60 s (the lease is 30 s by default), each at most once more than the mail in flight.
async fn a_killed_worker_loses_its_mail_for_one_lease_at_most(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = SmtpServer::start(SmtpOptions::default()).await;
    let (core, key) = setup(&db, &srv).await;
    let tenant = common::change_default_tenant(&core, |s| s.reset_fallback_to_primary = true).await;
    let n = 200;
    for i in 0..n {
        core.create_account(
            &Actor::Cli,
            &tenant,
            CreateAccount {
                username: Username::parse(&format!("person{i}")).unwrap(),
                display_name: None,
                email: Some(EmailAddress::parse(&format!("person{i}@example.org")).unwrap()),
                reset_email: None,
                password: None,
                role: Role::User,
            },
        )
        .await
        .unwrap();
    }
    // The default lease (30 s; the harness's instances otherwise use 10 s).
    assert_eq!(latchkey::Config::default().mail_lease, "30s");
    let env = [
        ("LATCHKEY_MAIL_POLL_INTERVAL", "200ms"),
        ("LATCHKEY_MAIL_LEASE", "30s"),
    ];
    let first = Instance::start_with(&db.url, db.dir.path(), &key, PUBLIC, &env)
        .ready()
        .await;
    // The server takes 30 mails, then keeps the worker waiting mid-round: its claims are held.
    srv.hold_after(30);
    core.create_campaign(
        &Actor::Cli,
        &tenant,
        AdminReset {
            kind: ResetKind::Link,
            when: When::Now,
            valid_for_secs: 86_400,
            recipients: Recipients::All,
            custom: None,
            may_reset_system_admins: true,
        },
        None,
    )
    .await
    .unwrap();
    srv.wait_for_messages(30, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    first.kill();
    let claimed: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mail_tasks WHERE status = 'executing'")
            .fetch_one(core.test_store().pool())
            .await
            .unwrap();
    assert!(claimed > 0, "the killed worker held claims");
    srv.release();
    let restarted = Instant::now();
    let second = Instance::start_with(&db.url, db.dir.path(), &key, PUBLIC, &env)
        .ready()
        .await;
    let deadline = restarted + Duration::from_secs(60);
    loop {
        let mut got = recipients(&srv).await;
        got.sort();
        got.dedup();
        if got.len() == n {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of {n} recipients had mail 60 s after the restart ({claimed} were claimed by the killed worker)",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took = restarted.elapsed();
    assert!(took < Duration::from_secs(60));
    let total = recipients(&srv).await.len();
    assert!(
        total - n <= 1,
        "{} mails sent twice (at most the one in flight)",
        total - n
    );
    second.kill();
}

/// On PostgreSQL, mail queued by another process (here: the test's own core, as the CLI or a
/// second instance would) reaches the worker at once, though it polls only every minute.
async fn mail_queued_elsewhere_wakes_the_worker_on_postgres(backend: Backend) {
    let db = TestDb::new(backend).await;
    let srv = SmtpServer::start(SmtpOptions::default()).await;
    let (core, key) = setup(&db, &srv).await;
    let env = [("LATCHKEY_MAIL_POLL_INTERVAL", "60s")];
    let instance = Instance::start_with(&db.url, db.dir.path(), &key, PUBLIC, &env)
        .ready()
        .await;
    // Let the worker finish its first (empty) round and start waiting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tenant = core.tenant("default").await.unwrap();
    let queued = Instant::now();
    core.enqueue_mail(NewMail {
        tenant: Some(&tenant),
        account_id: None,
        kind: MailKind::SmtpTest,
        to: &EmailAddress::parse("someone@example.org").unwrap(),
        to_name: "Someone",
        language: Language::En,
        data: serde_json::json!({}),
        secret: None,
        scheduled_at: None,
        campaign_id: None,
        created_by: "test",
        template: None,
    })
    .await
    .unwrap();
    let wait = match backend {
        Backend::Postgres => Duration::from_secs(10),
        // SQLite has no notifications: the next poll finds it.
        Backend::Sqlite => Duration::from_secs(75),
    };
    let mails = srv.wait_for_messages(1, wait).await;
    assert_eq!(mails.len(), 1);
    if backend == Backend::Postgres {
        assert!(
            queued.elapsed() < Duration::from_secs(10),
            "the mail waited {:?} (the poll interval is 60 s)",
            queued.elapsed()
        );
    }
    instance.kill();
}

/// A campaign set for a time goes out when that time comes, not at the next poll: the worker
/// sleeps until the next waiting mail falls due.
async fn a_scheduled_campaign_goes_out_on_time(backend: Backend) {
    common::logs::init();
    let app = common::TestApp::spawn_with(backend, |c| c.mail_poll_interval = "60s".into()).await;
    let srv = common::plain_smtp(&app.core).await;
    let tenant =
        common::change_default_tenant(&app.core, |s| s.reset_fallback_to_primary = true).await;
    app.user(&tenant, "alice", common::GOOD_PASSWORD).await;
    // Let the worker go to sleep with nothing to do.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let at = app.core.now() + 2;
    app.core
        .create_campaign(
            &Actor::Cli,
            &tenant,
            AdminReset {
                kind: ResetKind::Link,
                when: When::At(at),
                valid_for_secs: 86_400,
                recipients: Recipients::All,
                custom: None,
                may_reset_system_admins: true,
            },
            None,
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mails = srv.wait_for_messages(1, Duration::from_secs(15)).await;
    assert_eq!(mails.len(), 1, "the scheduled mail went out");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "it took {:?} (due in 2 s; the poll interval is 60 s)",
        started.elapsed()
    );
    app.stop().await;
}

crate::on_both_backends!(
    a_killed_worker_loses_its_mail_for_one_lease_at_most,
    a_scheduled_campaign_goes_out_on_time,
);

mod postgres_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mail_queued_elsewhere_wakes_the_worker() {
        mail_queued_elsewhere_wakes_the_worker_on_postgres(Backend::Postgres).await
    }
}
