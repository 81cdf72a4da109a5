//! A reset worker's round holds its "Forgot password?" requests until it is written (issue 20's
//! recovery): the heartbeat renews their leases while a slow round runs (a directory that
//! hangs), so no second worker answers them too; and a round that lost them anyway (its lease
//! ran out and another worker took them) writes nothing. Real OpenLDAP, both databases.

use crate::common;

use std::time::{Duration, Instant};

use common::ldap::Slapd;
use common::{Backend, TestApp, GOOD_PASSWORD};

/// Reset mails queued so far, by recipient.
async fn queued_mails(app: &TestApp) -> Vec<String> {
    sqlx::query_scalar("SELECT recipient FROM mail_tasks ORDER BY id")
        .fetch_all(app.core.test_store().pool())
        .await
        .unwrap()
}

async fn requested_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'reset.requested'")
        .fetch_one(app.core.test_store().pool())
        .await
        .unwrap()
}

/// Worker A's round asks a directory that hangs (slapd frozen) about carol for longer than the
/// lease (10 s here); worker B, looking for work meanwhile, finds carol's request still held —
/// the heartbeat renewed it — and answers nothing. When the directory answers again, A sends
/// the one link. (Without the renewal B took the request after 10 s and both sent a link, the
/// second superseding the first.)
async fn a_slow_round_keeps_its_requests(backend: Backend) {
    common::logs::init();
    let slapd = Slapd::start().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.mail_worker = false;
        c.mail_lease = "10s".into();
    })
    .await;
    let tenant = app.enable_reset(true).await;
    slapd
        .add_person(
            "carol",
            "carol@example.org",
            crate::directory::CAROL_PASSWORD,
        )
        .await;
    let mut settings = slapd.settings();
    // Longer than the whole wait below: the frozen directory must not time out first.
    settings.connect_timeout_secs = 60;
    settings.timeout_secs = 60;
    crate::directory::connect(&app, &tenant, settings).await;
    let tenant = app.default_tenant().await;
    app.core
        .request_reset(&tenant, "carol", "203.0.113.9")
        .await
        .unwrap();
    slapd.pause(true);
    let core = app.core.clone();
    let a = tokio::spawn(async move { core.process_reset_requests("worker-a").await });
    // Past the lease (10 s) by real time, as a worker of another instance would see it.
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(12)).await;
    let core = app.core.clone();
    let b = tokio::spawn(async move { core.process_reset_requests("worker-b").await });
    // (Had B taken the request, it would wait for the directory as well.)
    tokio::time::sleep(Duration::from_secs(1)).await;
    slapd.pause(false);
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the directory timed out before the check"
    );
    assert_eq!(
        b.unwrap(),
        0,
        "worker B took a request worker A still works on"
    );
    assert_eq!(a.unwrap(), 1);
    assert_eq!(
        queued_mails(&app).await,
        vec!["carol@example.org".to_string()]
    );
    assert_eq!(requested_events(&app).await, 1);
    app.stop().await;
}

/// A round that finds, when it writes, that it no longer holds every request it answered (here
/// a trigger hands them to another worker inside the round's transaction, as a worker whose
/// lease ran out would find them taken) writes nothing: no mail, no event, no counter. The next
/// worker after the lease answers the request once.
async fn a_round_that_lost_its_requests_writes_nothing(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.mail_worker = false).await;
    let tenant = app.enable_reset(true).await;
    app.user(&tenant, "alice", GOOD_PASSWORD).await;
    app.core
        .request_reset(&tenant, "alice", "203.0.113.9")
        .await
        .unwrap();
    // The round's counters are its first write: at that moment the requests change hands.
    let take = "UPDATE reset_requests SET lease_owner = 'another-worker'";
    let statements: Vec<String> = match backend {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER takeover AFTER INSERT ON rate_limits \
             WHEN NEW.key LIKE 'reset-mail:%' BEGIN {take}; END"
        )],
        Backend::Postgres => vec![
            format!(
                "CREATE FUNCTION takeover() RETURNS trigger AS $$ BEGIN {take}; RETURN NEW; END \
                 $$ LANGUAGE plpgsql"
            ),
            "CREATE TRIGGER takeover AFTER INSERT ON rate_limits FOR EACH ROW \
             WHEN (NEW.key LIKE 'reset-mail:%') EXECUTE FUNCTION takeover()"
                .into(),
        ],
    };
    let pool = app.core.test_store().pool();
    for s in &statements {
        sqlx::query(s).execute(pool).await.unwrap();
    }
    let lost = app.core.process_reset_requests("worker-a").await;
    assert!(lost.is_err(), "{lost:?}");
    let drop = match backend {
        Backend::Sqlite => "DROP TRIGGER takeover",
        Backend::Postgres => "DROP TRIGGER takeover ON rate_limits",
    };
    sqlx::query(drop).execute(pool).await.unwrap();
    assert!(queued_mails(&app).await.is_empty());
    assert_eq!(requested_events(&app).await, 0);
    let counters: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM rate_limits WHERE key LIKE 'reset-mail:%'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(counters, 0);
    // Worker A's lease runs out; the next worker answers the request, once.
    app.clock
        .advance(app.core.config.mail_lease.as_secs() as i64 + 1);
    assert_eq!(
        app.core.process_reset_requests("worker-b").await.unwrap(),
        1
    );
    assert_eq!(
        queued_mails(&app).await,
        vec!["alice@example.org".to_string()]
    );
    assert_eq!(requested_events(&app).await, 1);
    app.stop().await;
}

crate::on_both_backends!(
    a_slow_round_keeps_its_requests,
    a_round_that_lost_its_requests_writes_nothing
);
