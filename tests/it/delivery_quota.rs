//! The hourly mail quota of a route (`max_per_hour`): mail over it waits rather than being
//! dropped, and only mail that reaches its server uses it up — an outage doesn't spend the
//! hour's quota on attempts that never got through. Both databases, a real SMTP server.

use crate::common;

use std::time::Duration;

use super::delivery::{app, configure, queue, smtp, wait_status};
use common::smtp::{closed_port, TlsMode};
use common::Backend;

const WAIT: Duration = Duration::from_secs(10);

crate::on_both_backends!(
    quota_makes_mail_wait_not_drop,
    an_unreachable_server_uses_none_of_the_quota,
    a_count_given_back_leaves_a_later_window_alone,
    a_mail_that_could_not_be_made_uses_none_of_the_quota,
);

async fn quota_makes_mail_wait_not_drop(backend: Backend) {
    let app = app(backend, |_| {}).await;
    let srv = smtp(TlsMode::StartTls).await;
    configure(&app, &srv, |s| s.max_per_hour = 2).await;
    let ids = [
        queue(&app, "q1@example.org").await,
        queue(&app, "q2@example.org").await,
        queue(&app, "q3@example.org").await,
    ];
    assert_eq!(srv.wait_for_messages(2, WAIT).await.len(), 2);
    // The third waits, uncounted (poll: the worker may still be handing it back).
    let deadline = std::time::Instant::now() + WAIT;
    let waiting = loop {
        let mut statuses = Vec::new();
        for id in ids {
            statuses.push(app.core.test_store().task(id).await.unwrap().unwrap());
        }
        let done = statuses.iter().filter(|t| t.status == "done").count();
        let waiting: Vec<_> = statuses
            .into_iter()
            .filter(|t| t.status == "waiting")
            .collect();
        if done == 2 && waiting.len() == 1 {
            break waiting;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "done {done}, waiting {waiting:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(waiting[0].attempts, 0);
    app.clock.advance(3601);
    wait_status(&app, waiting[0].id, "done").await;
    assert_eq!(srv.messages().len(), 3);
    srv.stop().await;
    app.stop().await;
}

/// Two mails, two an hour, and the server down for two rounds: four attempts that never reached
/// it. Once it is back both go out in the same hour (before, those attempts had spent the
/// quota and the mails waited out the hour), and the quota counts the two that were sent.
async fn an_unreachable_server_uses_none_of_the_quota(backend: Backend) {
    let app = app(backend, |c| c.mail_worker = false).await;
    let srv = smtp(TlsMode::StartTls).await;
    let down = closed_port();
    configure(&app, &srv, |s| {
        s.max_per_hour = 2;
        s.port = down;
    })
    .await;
    let ids = [
        queue(&app, "q1@example.org").await,
        queue(&app, "q2@example.org").await,
    ];
    let stop = Default::default();
    let deliver = || app.core.deliver_due("w", &stop);
    assert_eq!(deliver().await.unwrap(), 2);
    app.clock.advance(31);
    assert_eq!(deliver().await.unwrap(), 2);
    for id in ids {
        let task = app.core.test_store().task(id).await.unwrap().unwrap();
        assert_eq!((task.status.as_str(), task.attempts), ("waiting", 2));
    }
    // The server is back (the same settings, its real port).
    configure(&app, &srv, |s| s.max_per_hour = 2).await;
    app.clock.advance(61);
    assert_eq!(deliver().await.unwrap(), 2);
    for id in ids {
        wait_status(&app, id, "done").await;
    }
    assert_eq!(srv.wait_for_messages(2, WAIT).await.len(), 2);
    let used: i64 =
        sqlx::query_scalar("SELECT count FROM rate_limits WHERE key = 'mail-rate:system'")
            .fetch_one(app.core.test_store().pool())
            .await
            .unwrap();
    assert_eq!(used, 2);
    srv.stop().await;
    app.stop().await;
}

/// A count is given back to the window it was counted in: when a new window has begun since (an
/// attempt that failed across the hour's start), the new window's count stays.
async fn a_count_given_back_leaves_a_later_window_alone(backend: Backend) {
    use latchkey::store::rate_limit::{give_back, hit_window, peek};
    let app = app(backend, |c| c.mail_worker = false).await;
    let db = latchkey::store::Db::connect(&app.core.config.database_url)
        .await
        .unwrap();
    let t = 1_000_000;
    let (_, first) = hit_window(&db, "mail-rate:probe", 3600, t).await.unwrap();
    let (n, second) = hit_window(&db, "mail-rate:probe", 3600, t + 3601)
        .await
        .unwrap();
    assert_eq!((n, second), (1, t + 3601));
    give_back(&db, "mail-rate:probe", first).await.unwrap();
    assert_eq!(
        peek(&db, "mail-rate:probe", 3600, t + 3602).await.unwrap(),
        1
    );
    give_back(&db, "mail-rate:probe", second).await.unwrap();
    assert_eq!(
        peek(&db, "mail-rate:probe", 3600, t + 3602).await.unwrap(),
        0
    );
    db.close().await;
    app.stop().await;
}

/// A mail that couldn't be made (here: a reset link whose one-time secret is gone) never
/// reached the server either: it fails, and its count is given back, so the next mail still
/// goes out within the hour's quota of one.
async fn a_mail_that_could_not_be_made_uses_none_of_the_quota(backend: Backend) {
    let app = app(backend, |c| c.mail_worker = false).await;
    let srv = smtp(TlsMode::StartTls).await;
    configure(&app, &srv, |s| s.max_per_hour = 1).await;
    let tenant = app.default_tenant().await;
    let data = serde_json::json!({});
    let mut broken = super::abuse_limits::task(&tenant, "gone@example.org", &data, app.core.now());
    broken.kind = latchkey::mail::templates::MailKind::ResetLink;
    let store = app.core.test_store();
    let broken = store.enqueue(&broken, app.core.now()).await.unwrap();
    let good = queue(&app, "good@example.org").await;
    let stop = Default::default();
    assert_eq!(app.core.deliver_due("w", &stop).await.unwrap(), 2);
    let failed = wait_status(&app, broken, "failed").await;
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("no longer stored"),
        "{failed:?}"
    );
    wait_status(&app, good, "done").await;
    assert_eq!(srv.wait_for_messages(1, WAIT).await.len(), 1);
    srv.stop().await;
    app.stop().await;
}
