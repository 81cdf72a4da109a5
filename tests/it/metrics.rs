//! `/metrics`: the reset and mail counters move during a real journey, the queue depth is
//! read from the database, requests are counted by route template, and no path with a token
//! ever becomes a label.

use crate::common;

use std::time::Duration;

use sqlx::Connection;

use common::smtp::Step;
use common::{link_in, Backend, TestApp, GOOD_PASSWORD};
use latchkey::domain::EmailAddress;
use latchkey::service::{AccountChanges, Actor};

on_both_backends!(
    counters_move_during_a_journey,
    a_queue_that_cant_be_read_fails_the_scrape
);

fn value(metrics: &str, series: &str) -> f64 {
    metrics
        .lines()
        .find(|l| l.starts_with(series) && l[series.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

async fn counters_move_during_a_journey(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.mail_poll_interval = "100ms".into();
        c.metrics_allow_loopback = true;
    })
    .await;
    let srv = common::plain_smtp(&app.core).await;
    let t = app.enable_reset(false).await;
    let alice = app.user(&t, "alice", GOOD_PASSWORD).await;
    let changes = AccountChanges {
        reset_email: Some(Some(
            EmailAddress::parse("alice.reset@example.net").unwrap(),
        )),
        ..Default::default()
    };
    app.core
        .update_account(&Actor::Cli, &t, alice, changes)
        .await
        .unwrap();

    let mut b = app.browser();
    // Not through a proxy without the token.
    let proxied = reqwest::Client::new()
        .get(format!("{}/metrics", app.base))
        .header("x-forwarded-for", "203.0.113.5")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), 403);
    let start = b.get("/metrics").await;
    assert_eq!(start.status, 200);
    assert!(start
        .header("content-type")
        .starts_with("application/openmetrics-text"));
    assert_eq!(
        value(&start.body, "latchkey_resets_total{stage=\"requested\"}"),
        0.0
    );

    // One delivery fails and is retried: the first attempt gets a 451.
    srv.script(Step::RcptTo, "451 4.3.0 Try later", 1);
    b.get("/t/default/forgot-password").await;
    b.post("/t/default/forgot-password", &[("identifier", "alice")])
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let m = b.get("/metrics").await.body;
        // A scrape reads the queue before the counters, so the retry may show in the counter
        // while the queue still says "executing": wait until the scrape shows both.
        if value(&m, "latchkey_mails_total{result=\"retried\"}") >= 1.0
            && value(&m, "latchkey_mail_queue{status=\"executing\"}") == 0.0
        {
            assert_eq!(
                value(&m, "latchkey_mail_queue{status=\"waiting\"}"),
                1.0,
                "{m}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no retry counted:\n{m}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.clock.advance(31);
    let mails = srv.wait_for_messages(1, Duration::from_secs(20)).await;
    let path = link_in(&mails[0].data, "reset?token=")
        .unwrap()
        .strip_prefix(&app.base)
        .unwrap()
        .to_owned();
    assert_eq!(b.get(&path).await.status, 303);
    assert_eq!(
        b.post(
            "/t/default/reset",
            &[
                ("new_password", "velvet thunder marmalade hill"),
                ("confirm_password", "velvet thunder marmalade hill")
            ]
        )
        .await
        .status,
        303
    );
    assert_eq!(
        app.browser()
            .get("/t/default/reset?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .await
            .status,
        410
    );

    let m = b.get("/metrics").await.body;
    assert_eq!(
        value(&m, "latchkey_resets_total{stage=\"requested\"}"),
        1.0,
        "{m}"
    );
    for (stage, n) in [
        ("mailed", 1.0),
        ("completed", 1.0),
        ("link_opened", 1.0),
        ("rejected", 1.0),
    ] {
        let series = format!("latchkey_resets_total{{stage=\"{stage}\"}}");
        assert_eq!(value(&m, &series), n, "{series} in\n{m}");
    }
    assert!(
        value(&m, "latchkey_mails_total{result=\"sent\"}") >= 1.0,
        "{m}"
    );
    assert!(value(&m, "latchkey_http_requests_total{method=\"POST\",route=\"/t/{tenant}/forgot-password\",status=\"200\"}") >= 1.0, "{m}");
    assert!(m.contains("latchkey_http_request_duration_seconds_bucket{le="));
    assert!(m.contains("route=\"/t/{tenant}/reset\""));
    assert!(!m.contains("token="), "no raw path with a token in a label");
    assert!(!m.contains("alice"), "no names in metrics");
    srv.stop().await;
    app.stop().await;
}

/// A scrape that can't read the queue fails (503): zeros would read as an empty queue and no
/// live worker, and an alert on the queue's depth would never fire during an outage.
async fn a_queue_that_cant_be_read_fails_the_scrape(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| c.metrics_allow_loopback = true).await;
    let mut b = app.browser();
    assert_eq!(b.get("/metrics").await.status, 200);
    let rename = |from: &'static str, to: &'static str| {
        let url = app.db.url.clone();
        async move {
            let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
            sqlx::query(&format!("ALTER TABLE {from} RENAME TO {to}"))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
        }
    };
    rename("mail_tasks", "mail_tasks_away").await;
    let failed = b.get("/metrics").await;
    assert_eq!(failed.status, 503, "{}", failed.body);
    assert!(failed.body.contains("could not be read"), "{}", failed.body);
    assert!(
        !failed.body.contains("latchkey_mail_queue"),
        "{}",
        failed.body
    );
    rename("mail_tasks_away", "mail_tasks").await;
    // The routes' health that can't be read fails it too.
    rename("mail_route_health", "mail_route_health_away").await;
    let failed = b.get("/metrics").await;
    assert_eq!(failed.status, 503, "{}", failed.body);
    assert!(failed.body.contains("could not be read"), "{}", failed.body);
    rename("mail_route_health_away", "mail_route_health").await;
    let back = b.get("/metrics").await;
    assert_eq!(back.status, 200);
    assert!(back
        .body
        .contains("latchkey_mail_queue{status=\"waiting\"} 0"));
    app.stop().await;
}

#[tokio::test]
async fn a_metrics_token_is_required_when_configured() {
    let app = TestApp::spawn_with(Backend::Sqlite, |c| {
        c.metrics_token = Some("m3trics-t0ken-for-prometheus".into())
    })
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/metrics", app.base);
    assert_eq!(client.get(&url).send().await.unwrap().status(), 403);
    assert_eq!(
        client
            .get(&url)
            .bearer_auth("wrong-token-wrong-token")
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let ok = client
        .get(&url)
        .bearer_auth("m3trics-t0ken-for-prometheus")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert!(ok.text().await.unwrap().contains("latchkey_mail_queue"));
    app.stop().await;
}
