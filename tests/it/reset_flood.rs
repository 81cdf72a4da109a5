//! A flood of "Forgot password?" requests (issue 20): repeats of one identifier coalesce into
//! one waiting request with a count, so the backlog stays bounded by the number of different
//! identifiers, a real person's request behind the flood is answered in the next round, and the
//! audit log records the flood as one counted event per identifier. On SQLite and PostgreSQL.

use crate::common;

use common::{Backend, TestApp, GOOD_PASSWORD};
use latchkey::service::Actor;

async fn waiting(app: &TestApp) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT identifier, repeats FROM reset_requests ORDER BY id")
        .fetch_all(app.core.test_store().pool())
        .await
        .unwrap()
}

async fn repeats_of_one_identifier_coalesce(backend: Backend) {
    common::logs::init();
    // No worker: the test processes the requests itself, to see the backlog.
    let app = TestApp::spawn_with(backend, |c| {
        c.mail_worker = false;
        c.forgot_password_per_ip_per_hour = 100_000;
        c.forgot_password_per_tenant_per_hour = 100_000;
    })
    .await;
    let mut tenant = app.default_tenant().await;
    let before = tenant.settings.clone();
    tenant.settings.password_reset_enabled = true;
    tenant.settings.reset_fallback_to_primary = true;
    app.core
        .update_tenant(&Actor::Cli, &tenant, &before)
        .await
        .unwrap();
    let tenant = app.default_tenant().await;
    for name in ["alice", "bob", "carol"] {
        app.user(&tenant, name, GOOD_PASSWORD).await;
    }
    // A flood: 300 requests for two people and one unknown name, from many addresses.
    for i in 0..100 {
        for who in ["alice", "bob", "nobody"] {
            app.core
                .request_reset(&tenant, who, &format!("198.51.100.{}", i % 250))
                .await
                .unwrap();
        }
    }
    assert_eq!(
        waiting(&app).await,
        vec![
            ("alice".to_string(), 100),
            ("bob".to_string(), 100),
            ("nobody".to_string(), 100)
        ],
        "one waiting request per identifier, with its count"
    );
    // A real person asks behind the flood: their request is in the very next round.
    app.core
        .request_reset(&tenant, "carol", "203.0.113.7")
        .await
        .unwrap();
    let handled = app
        .core
        .process_reset_requests("test-worker")
        .await
        .unwrap();
    assert_eq!(handled, 4);
    assert!(waiting(&app).await.is_empty());
    let mails: Vec<String> =
        sqlx::query_scalar("SELECT recipient FROM mail_tasks ORDER BY recipient")
            .fetch_all(app.core.test_store().pool())
            .await
            .unwrap();
    assert_eq!(
        mails,
        vec!["alice@example.org", "bob@example.org", "carol@example.org"],
        "one mail per person, not one per request"
    );
    // The audit: one event per identifier, the flood counted in it.
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'reset.requested' ORDER BY id",
    )
    .fetch_all(app.core.test_store().pool())
    .await
    .unwrap();
    assert_eq!(events.len(), 4, "{events:?}");
    for who in ["alice", "bob", "nobody"] {
        assert!(
            events
                .iter()
                .any(|e| e.contains(&format!("\"identifier\":\"{who}\""))
                    && e.contains("\"repeats\":100")),
            "{who}: {events:?}"
        );
    }
    assert!(events
        .iter()
        .any(|e| e.contains("\"identifier\":\"carol\"") && !e.contains("repeats")));
    app.stop().await;
}

crate::on_both_backends!(
    repeats_of_one_identifier_coalesce,
    two_workers_handle_each_request_once
);

/// The worker writes a round's audit events and deletions together (issue 20): two workers
/// racing over one backlog of people and unknown names still handle each request once — one
/// event each, one mail per person — and leave nothing waiting.
async fn two_workers_handle_each_request_once(backend: Backend) {
    common::logs::init();
    let app = TestApp::spawn_with(backend, |c| {
        c.mail_worker = false;
        c.forgot_password_per_ip_per_hour = 100_000;
        c.forgot_password_per_tenant_per_hour = 100_000;
    })
    .await;
    let mut tenant = app.default_tenant().await;
    let before = tenant.settings.clone();
    tenant.settings.password_reset_enabled = true;
    tenant.settings.reset_fallback_to_primary = true;
    app.core
        .update_tenant(&Actor::Cli, &tenant, &before)
        .await
        .unwrap();
    let tenant = app.default_tenant().await;
    let mut people = Vec::new();
    for i in 0..15 {
        let name = format!("p{i:02}");
        app.user(&tenant, &name, GOOD_PASSWORD).await;
        people.push(name);
    }
    for i in 0..120 {
        let who = if i % 4 == 0 {
            people[i / 8].clone()
        } else {
            format!("nobody{i}")
        };
        app.core
            .request_reset(&tenant, &who, "198.51.100.1")
            .await
            .unwrap();
    }
    let distinct = waiting(&app).await.len();
    let (a, b) = (app.core.clone(), app.core.clone());
    let work = |core: latchkey::service::Core, owner: &'static str| async move {
        let mut n = 0;
        loop {
            let handled = core.process_reset_requests(owner).await.unwrap();
            if handled == 0 {
                return n;
            }
            n += handled;
        }
    };
    let (na, nb) = tokio::join!(
        tokio::spawn(work(a, "worker-a")),
        tokio::spawn(work(b, "worker-b"))
    );
    assert_eq!(
        na.unwrap() + nb.unwrap(),
        distinct,
        "each request claimed once"
    );
    assert!(waiting(&app).await.is_empty());
    let events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE action = 'reset.requested'")
            .fetch_one(app.core.test_store().pool())
            .await
            .unwrap();
    assert_eq!(events as usize, distinct, "one event per request");
    let mails: Vec<String> =
        sqlx::query_scalar("SELECT recipient FROM mail_tasks ORDER BY recipient")
            .fetch_all(app.core.test_store().pool())
            .await
            .unwrap();
    let mut expected: Vec<String> = people.iter().map(|p| format!("{p}@example.org")).collect();
    expected.sort();
    assert_eq!(mails, expected, "one mail per person");
    app.stop().await;
}
