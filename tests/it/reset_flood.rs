//! A flood of "Forgot password?" requests (issue 20): repeats of one identifier coalesce into
//! one waiting request with a count, so the backlog stays bounded by the number of different
//! identifiers, a real person's request behind the flood is answered in the next round, and the
//! audit log records the flood as one counted event per identifier. On SQLite and PostgreSQL.

use crate::common;

use common::{Backend, TestApp, GOOD_PASSWORD};
use latchkey::config::Config;
use latchkey::domain::AccountStatus;
use latchkey::service::Actor;
use latchkey::store::Tenant;
use serde_json::json;

/// An app configured by `tweak` whose default tenant has reset switched on (sending to the
/// primary address when there is no reset address), and that tenant.
async fn flood_app(backend: Backend, tweak: impl FnOnce(&mut Config)) -> (TestApp, Tenant) {
    let app = TestApp::spawn_with(backend, tweak).await;
    let tenant = app.enable_reset(true).await;
    (app, tenant)
}

async fn waiting(app: &TestApp) -> Vec<(String, i64)> {
    sqlx::query_as("SELECT identifier, repeats FROM reset_requests ORDER BY id")
        .fetch_all(app.core.test_store().pool())
        .await
        .unwrap()
}

async fn repeats_of_one_identifier_coalesce(backend: Backend) {
    common::logs::init();
    // No worker: the test processes the requests itself, to see the backlog.
    let (app, tenant) = flood_app(backend, |c| {
        c.mail_worker = false;
        c.forgot_password_per_ip_per_hour = 100_000;
        c.forgot_password_per_tenant_per_hour = 100_000;
    })
    .await;
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
    a_group_of_submissions_is_queued_as_each_alone,
    a_round_counts_each_accounts_mails_in_order,
    a_round_that_cant_be_written_counts_no_mail,
    a_flood_of_repeats_is_a_few_counted_events,
    concurrent_submissions_are_counted_one_by_one,
    repeats_of_one_identifier_coalesce,
    two_workers_handle_each_request_once,
    a_flood_of_new_names_from_one_address_stays_bounded
);

/// The worker writes a round's audit events and deletions together (issue 20): two workers
/// racing over one backlog of people and unknown names still handle each request once — one
/// event each, one mail per person — and leave nothing waiting.
async fn two_workers_handle_each_request_once(backend: Backend) {
    common::logs::init();
    let (app, tenant) = flood_app(backend, |c| {
        c.mail_worker = false;
        c.forgot_password_per_ip_per_hour = 100_000;
        c.forgot_password_per_tenant_per_hour = 100_000;
    })
    .await;
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
    // Each request recorded once: an event each, except that the unknown names of one address
    // in one round fold into one event that counts the others.
    let events: Vec<String> =
        sqlx::query_scalar("SELECT detail FROM audit_events WHERE action = 'reset.requested'")
            .fetch_all(app.core.test_store().pool())
            .await
            .unwrap();
    let recorded: usize = events
        .iter()
        .map(|e| {
            let d: serde_json::Value = serde_json::from_str(e).unwrap();
            1 + d["other_identifiers"].as_u64().unwrap_or(0) as usize
        })
        .sum();
    assert_eq!(recorded, distinct, "one record per request: {events:?}");
    assert!(events.len() < distinct, "unknown names folded: {events:?}");
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

/// Admission for floods of *different* identifiers (issue 20): one address (IPv6: its /64) has
/// at most `forgot_password_waiting_per_ip` requests waiting; more new names from there are not
/// queued but counted on its newest waiting request, whose audit event carries the count. A
/// repeat of a waiting name still counts on its row; another address's person is queued and
/// answered in the next round.
async fn a_flood_of_new_names_from_one_address_stays_bounded(backend: Backend) {
    common::logs::init();
    let (app, tenant) = flood_app(backend, |c| {
        c.mail_worker = false;
        c.forgot_password_per_ip_per_hour = 100_000;
        c.forgot_password_per_tenant_per_hour = 100_000;
        c.forgot_password_waiting_per_ip = 5;
    })
    .await;
    app.user(&tenant, "carol", GOOD_PASSWORD).await;
    for i in 0..20 {
        app.core
            .request_reset(&tenant, &format!("flood{i:02}"), "198.51.100.1")
            .await
            .unwrap();
    }
    // Every address of one IPv6 /64 counts as one.
    for i in 1..=10 {
        app.core
            .request_reset(
                &tenant,
                &format!("six{i:02}"),
                &format!("2001:db8:1:2::{i:x}"),
            )
            .await
            .unwrap();
    }
    // A repeat of a waiting name is counted on its row, even at the cap.
    app.core
        .request_reset(&tenant, "flood00", "198.51.100.1")
        .await
        .unwrap();
    let rows = waiting(&app).await;
    let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "flood00", "flood01", "flood02", "flood03", "flood04", "six01", "six02", "six03",
            "six04", "six05"
        ],
        "five per address at most"
    );
    assert_eq!(rows[0].1, 2, "the repeat counted on its row");
    // A real person from elsewhere is queued behind the flood and answered in the next round.
    app.core
        .request_reset(&tenant, "carol", "203.0.113.7")
        .await
        .unwrap();
    let handled = app
        .core
        .process_reset_requests("test-worker")
        .await
        .unwrap();
    assert_eq!(handled, 11);
    assert!(waiting(&app).await.is_empty());
    let mails: Vec<String> = sqlx::query_scalar("SELECT recipient FROM mail_tasks")
        .fetch_all(app.core.test_store().pool())
        .await
        .unwrap();
    assert_eq!(mails, vec!["carol@example.org"]);
    // The flood is in the audit as counted events: the unknown names of one address in a round
    // are one event (its first name, the others listed and counted), and the requests that were
    // not queued are counted in it.
    let events: Vec<serde_json::Value> = sqlx::query_scalar::<_, String>(
        "SELECT detail FROM audit_events WHERE action = 'reset.requested' ORDER BY id",
    )
    .fetch_all(app.core.test_store().pool())
    .await
    .unwrap()
    .iter()
    .map(|e| serde_json::from_str(e).unwrap())
    .collect();
    assert_eq!(events.len(), 3, "{events:?}");
    let event = |name: &str| {
        events
            .iter()
            .find(|e| e["identifier"] == name)
            .unwrap_or_else(|| panic!("{name}: {events:?}"))
    };
    let flood = event("flood00");
    assert_eq!(flood["other_identifiers"], 4, "{flood}");
    assert_eq!(
        flood["other_names"],
        serde_json::json!(["flood01", "flood02", "flood03", "flood04"])
    );
    // 5 names, one asked twice, and 15 not queued.
    assert_eq!(flood["requests"], 21, "{flood}");
    let six = event("six01");
    assert_eq!(
        (&six["other_identifiers"], &six["requests"]),
        (&4.into(), &10.into())
    );
    let carol = event("carol");
    assert!(carol.get("not_queued").is_none() && carol.get("requests").is_none());
    // Once the backlog is handled, the address may queue again.
    app.core
        .request_reset(&tenant, "flood19", "198.51.100.1")
        .await
        .unwrap();
    assert_eq!(waiting(&app).await, vec![("flood19".to_string(), 1)]);
    app.stop().await;
}

/// Submissions arriving together are written together (one transaction for a group): each is
/// still counted as if alone. 100 at once from one address with a per-address limit of 30:
/// exactly 30 accepted, the going-over recorded once; 20 at once for one name from another
/// address: one waiting request counting 20. Through the API, from concurrent connections.
async fn concurrent_submissions_are_counted_one_by_one(backend: Backend) {
    let (app, _) = flood_app(backend, |c| {
        c.mail_worker = false;
        c.forgot_password_per_ip_per_hour = 30;
        c.forgot_password_per_tenant_per_hour = 100_000;
    })
    .await;
    let url = format!("{}/api/v1/tenants/default/forgot-password", app.base);
    let at_once = |names: Vec<String>, from: &'static str| {
        let url = url.clone();
        async move {
            let client = reqwest::Client::builder()
                .local_address(from.parse::<std::net::IpAddr>().ok())
                .build()
                .unwrap();
            let sent: Vec<_> = names
                .into_iter()
                .map(|name| {
                    let (client, url) = (client.clone(), url.clone());
                    tokio::spawn(async move {
                        let body = serde_json::json!({ "identifier": name });
                        client.post(url).json(&body).send().await.unwrap().status()
                    })
                })
                .collect();
            let mut statuses = Vec::new();
            for s in sent {
                statuses.push(s.await.unwrap().as_u16());
            }
            statuses
        }
    };
    let statuses = at_once((0..100).map(|i| format!("n{i:03}")).collect(), "127.0.0.1").await;
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    let throttled = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((accepted, throttled), (30, 70), "{statuses:?}");
    let rows = waiting(&app).await;
    assert_eq!(rows.len(), 30, "{rows:?}");
    let recorded: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_events WHERE action = 'reset.requested' AND outcome = 'throttled'",
    )
    .fetch_one(app.core.test_store().pool())
    .await
    .unwrap();
    assert_eq!(recorded, 1, "going over the limit is recorded once");
    let statuses = at_once(vec!["alice".to_string(); 20], "127.0.0.2").await;
    assert!(statuses.iter().all(|s| *s == 202), "{statuses:?}");
    let alice: Vec<i64> = waiting(&app)
        .await
        .into_iter()
        .filter(|(name, _)| name == "alice")
        .map(|(_, repeats)| repeats)
        .collect();
    assert_eq!(alice, vec![20], "one waiting request, counting all 20");
    app.stop().await;
}

/// The worker writes a round at once — the accounts' mail counters in one statement, the links,
/// their mails, the events and the requests' end in one transaction — and still counts each
/// account's mails one by one: with one mail per account and hour, two requests for alice in
/// one round (by name and by address) send her one link, the second is throttled; bob gets his.
async fn a_round_counts_each_accounts_mails_in_order(backend: Backend) {
    let (app, tenant) = flood_app(backend, |c| {
        c.mail_worker = false;
        c.reset_mails_per_account_per_hour = 1;
    })
    .await;
    for name in ["alice", "bob"] {
        app.user(&tenant, name, GOOD_PASSWORD).await;
    }
    for who in ["alice", "alice@example.org", "bob"] {
        app.core
            .request_reset(&tenant, who, "203.0.113.5")
            .await
            .unwrap();
    }
    let handled = app.core.process_reset_requests("one-round").await.unwrap();
    assert_eq!(handled, 3);
    assert!(waiting(&app).await.is_empty());
    let pool = app.core.test_store().pool();
    let mails: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, recipient FROM mail_tasks ORDER BY recipient")
            .fetch_all(pool)
            .await
            .unwrap();
    let recipients: Vec<&str> = mails.iter().map(|(_, r)| r.as_str()).collect();
    assert_eq!(recipients, vec!["alice@example.org", "bob@example.org"]);
    // Each link names the mail that carries it.
    let tokens: Vec<(Option<i64>, String)> =
        sqlx::query_as("SELECT task_id, sent_to FROM reset_tokens ORDER BY sent_to")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(
        tokens,
        mails
            .iter()
            .map(|(id, r)| (Some(*id), r.clone()))
            .collect::<Vec<_>>()
    );
    let outcomes: Vec<(String, String)> = sqlx::query_as(
        "SELECT outcome, detail FROM audit_events WHERE action = 'reset.requested' ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let outcome = |name: &str| {
        outcomes
            .iter()
            .find(|(_, d)| d.contains(&format!("\"identifier\":\"{name}\"")))
            .map(|(o, _)| o.clone())
            .unwrap_or_else(|| panic!("{name}: {outcomes:?}"))
    };
    assert_eq!(outcome("alice"), "mailed");
    assert_eq!(outcome("alice@example.org"), "throttled");
    assert_eq!(outcome("bob"), "mailed");
    app.stop().await;
}

/// A round whose transaction fails writes nothing — not even the account's mail counter: with
/// one mail per account and hour, the round done again after the lease still sends alice her
/// link (counted before the round's transaction, the failed round had used up her hour, and
/// the second round throttled the link: a mail lost to a database fault).
async fn a_round_that_cant_be_written_counts_no_mail(backend: Backend) {
    use common::atomic::{refuse, Refusal};
    let (app, tenant) = flood_app(backend, |c| {
        c.mail_worker = false;
        c.reset_mails_per_account_per_hour = 1;
    })
    .await;
    let alice = app.user(&tenant, "alice", GOOD_PASSWORD).await;
    app.core
        .request_reset(&tenant, "alice", "203.0.113.5")
        .await
        .unwrap();
    let refusal = Refusal {
        name: "round_refused",
        event: "INSERT",
        table: "audit_events",
        when: None,
        message: "audit refused by the test",
    };
    refuse(&app, backend, &refusal, true).await;
    assert!(app.core.process_reset_requests("first").await.is_err());
    refuse(&app, backend, &refusal, false).await;
    let pool = app.core.test_store().pool();
    let counted: Vec<(String, i64)> = sqlx::query_as("SELECT key, count FROM rate_limits")
        .fetch_all(pool)
        .await
        .unwrap();
    let key = format!("reset-mail:{}", alice.id);
    assert!(
        counted.iter().all(|(k, _)| *k != key),
        "the failed round counted a mail: {counted:?}"
    );
    let tasks: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_tasks")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(tasks, 0, "the failed round queued a mail");
    assert_eq!(waiting(&app).await, vec![("alice".to_string(), 1)]);
    // The first worker's lease runs out; another takes the request.
    app.clock
        .advance(app.core.config.mail_lease.as_secs() as i64 + 1);
    assert_eq!(app.core.process_reset_requests("second").await.unwrap(), 1);
    let recipients: Vec<String> = sqlx::query_scalar("SELECT recipient FROM mail_tasks")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(recipients, vec!["alice@example.org".to_string()]);
    let outcomes: Vec<String> =
        sqlx::query_scalar("SELECT outcome FROM audit_events WHERE action = 'reset.requested'")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(outcomes, vec!["mailed".to_string()]);
    let count: i64 = sqlx::query_scalar("SELECT count FROM rate_limits WHERE key = $1")
        .bind(&key)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
    app.stop().await;
}

/// A flood of repeats that the worker keeps pace with (each request decided in a round of its
/// own, so nothing coalesces while waiting) is still a few counted events per account and hour,
/// not a row per request: over the mail limit (alice) and without mail for the account's own
/// reason (dora is disabled), the first three are recorded, then the 10th, 100th …, each with
/// its count. The next hour starts again; the mail limit still holds throughout.
async fn a_flood_of_repeats_is_a_few_counted_events(backend: Backend) {
    let (app, tenant) = flood_app(backend, |c| {
        c.mail_worker = false;
        c.reset_mails_per_account_per_hour = 2;
        c.forgot_password_per_ip_per_hour = 100_000;
        c.forgot_password_per_tenant_per_hour = 100_000;
    })
    .await;
    app.user(&tenant, "alice", GOOD_PASSWORD).await;
    let dora = app.user(&tenant, "dora", GOOD_PASSWORD).await;
    app.core
        .set_account_status(&Actor::Cli, &tenant, &dora, AccountStatus::Disabled)
        .await
        .unwrap();
    let round = |who: &'static str| {
        let (app, tenant) = (&app, &tenant);
        async move {
            app.core
                .request_reset(tenant, who, "198.51.100.7")
                .await
                .unwrap();
            assert_eq!(app.core.process_reset_requests("w").await.unwrap(), 1);
        }
    };
    // Each round also decides a name without an account first (no counter): the counts must
    // still go to the right requests.
    let round3 = || async {
        for who in ["nobody", "alice", "dora"] {
            app.core
                .request_reset(&tenant, who, "198.51.100.7")
                .await
                .unwrap();
        }
        assert_eq!(app.core.process_reset_requests("w").await.unwrap(), 3);
    };
    for _ in 0..60 {
        round("alice").await;
        round("dora").await;
    }
    for _ in 0..60 {
        round3().await;
    }
    let pool = app.core.test_store().pool();
    let events = |who: &'static str| async move {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT outcome, detail FROM audit_events WHERE action = 'reset.requested' ORDER BY id",
        )
        .fetch_all(pool)
        .await
        .unwrap();
        rows.into_iter()
            .filter(|(_, d)| d.contains(&format!("\"identifier\":\"{who}\"")))
            .map(|(o, d)| {
                let d: serde_json::Value = serde_json::from_str(&d).unwrap();
                (o, d["same_this_hour"].as_i64(), d["recorded"].clone())
            })
            .collect::<Vec<_>>()
    };
    let tenfold = json!("first three, then each tenfold");
    let throttled = |n: Option<i64>| {
        let recorded = if n.is_some() {
            tenfold.clone()
        } else {
            json!(null)
        };
        ("throttled".to_string(), n, recorded)
    };
    let mailed = ("mailed".to_string(), None, json!(null));
    // Two mails, then 118 over the limit: recorded at 1, 2, 3, 10 and 100.
    assert_eq!(
        events("alice").await,
        vec![
            mailed.clone(),
            mailed.clone(),
            throttled(None),
            throttled(Some(2)),
            throttled(Some(3)),
            throttled(Some(10)),
            throttled(Some(100)),
        ]
    );
    let no_mail = |n: Option<i64>| {
        let recorded = if n.is_some() {
            tenfold.clone()
        } else {
            json!(null)
        };
        ("no_mail".to_string(), n, recorded)
    };
    let dora_events = vec![
        no_mail(None),
        no_mail(Some(2)),
        no_mail(Some(3)),
        no_mail(Some(10)),
        no_mail(Some(100)),
    ];
    assert_eq!(events("dora").await, dora_events);
    let mails: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_tasks")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mails, 2, "the mail limit holds");
    assert!(waiting(&app).await.is_empty());
    // An hour later the counts start again: alice gets a mail, dora's request is recorded.
    app.clock.advance(3601);
    round("alice").await;
    round("dora").await;
    let alice = events("alice").await;
    assert_eq!(alice.len(), 8, "{alice:?}");
    assert_eq!(alice[7], mailed);
    let dora_now = events("dora").await;
    assert_eq!(dora_now.len(), 6, "{dora_now:?}");
    assert_eq!(dora_now[5], no_mail(None));
    app.stop().await;
}

/// Submissions that arrive together are queued with a few statements for the group (issue 20),
/// each ending as it would alone, in order: repeats of a name within the group and of a waiting
/// name count on one row; new names of an address under its cap are queued, those of an
/// address at its cap are counted on its newest waiting request — or, while a worker holds
/// every one of them, the first is queued and the next counted on it; one over its rate limit
/// is neither. The same submissions one at a time give the same outcomes and rows.
async fn a_group_of_submissions_is_queued_as_each_alone(backend: Backend) {
    use latchkey::store::reset::{Added, Admitted, Submission};
    let (app, tenant) = flood_app(backend, |c| c.mail_worker = false).await;
    let store = app.core.test_store();
    let now = latchkey::clock::Clock::now(&app.clock);
    // Each run (grouped "g", alone "a") has its own names and addresses.
    let sub = |run: &str, name: &str, source: &str, limit: i64| Submission {
        tenant_id: tenant.id,
        identifier: format!("{run}{name}"),
        ip: format!("{run}{source}"),
        source: format!("{run}{source}"),
        counters: [
            (format!("forgot-ip:{run}{source}"), limit),
            (format!("forgot-tenant:{run}"), 1000),
        ],
        waiting_per_source: 3,
        now,
    };
    let q = Some(Added::Queued);
    let c = Some(Added::Counted);
    type Rows = Vec<(String, String, i64, i64)>;
    let run = |run: &'static str| {
        let store = &store;
        async move {
            let admit = |subs: Vec<Submission>| async move {
                if run == "g" {
                    store.admit(&subs).await.unwrap()
                } else {
                    let mut out = Vec::new();
                    for s in &subs {
                        out.extend(store.admit(std::slice::from_ref(s)).await.unwrap());
                    }
                    out
                }
            };
            // Before, one at a time: "alice" waits (from A), and C has its three waiting.
            for (name, source) in [("alice", "A"), ("c1", "C"), ("c2", "C"), ("c3", "C")] {
                store.admit(&[sub(run, name, source, 100)]).await.unwrap();
            }
            let first = admit(vec![
                sub(run, "alice", "B", 100),
                sub(run, "bob", "B", 100),
                sub(run, "bob", "B", 100),
                sub(run, "c4", "C", 100),
                sub(run, "alice", "B", 100),
                sub(run, "c5", "C", 100),
                sub(run, "dave", "D", 0),
                // A name of C that waits already: counted on its own row, though C is at its cap.
                sub(run, "c1", "C", 100),
                // Queued from B (under its cap), then asked from C: a repeat, not counted on C.
                sub(run, "erin", "B", 100),
                sub(run, "erin", "C", 100),
            ])
            .await;
            // Every waiting request of C in a worker's hands: C's first new name is queued
            // after all, the next new ones are counted on its row, a repeat counts as one.
            sqlx::query(
                "UPDATE reset_requests SET lease_owner = 'w', lease_until = $1 WHERE source = $2",
            )
            .bind(now + 60)
            .bind(format!("{run}C"))
            .execute(store.pool())
            .await
            .unwrap();
            let late = admit(vec![
                sub(run, "c6", "C", 100),
                sub(run, "c7", "C", 100),
                sub(run, "c6", "C", 100),
                sub(run, "c8", "C", 100),
            ])
            .await;
            let rows: Rows = sqlx::query_as(
                "SELECT identifier, source, repeats, not_queued FROM reset_requests \
                 WHERE source LIKE $1 ORDER BY identifier",
            )
            .bind(format!("{run}%"))
            .fetch_all(store.pool())
            .await
            .unwrap();
            let rows: Rows = rows
                .into_iter()
                .map(|(n, s, r, q)| (n[1..].to_string(), s[1..].to_string(), r, q))
                .collect();
            (first, late, rows)
        }
    };
    let (first, late, rows) = run("g").await;
    let added = |a: &[Admitted]| a.iter().map(|a| a.added).collect::<Vec<_>>();
    assert_eq!(added(&first), vec![q, q, q, c, q, c, None, q, q, q]);
    // Each counted as if alone, in order.
    assert_eq!(
        first.iter().map(|a| a.counts).collect::<Vec<_>>(),
        vec![
            [1, 5],
            [2, 6],
            [3, 7],
            [4, 8],
            [4, 9],
            [5, 10],
            [1, 11],
            [6, 12],
            [5, 13],
            [7, 14]
        ]
    );
    assert!(matches!(first[6], Admitted { added: None, .. }));
    assert_eq!(added(&late), vec![q, c, q, c]);
    let row = |name: &str, source: &str, repeats: i64, not_queued: i64| {
        (name.to_string(), source.to_string(), repeats, not_queued)
    };
    assert_eq!(
        rows,
        vec![
            row("alice", "A", 3, 0),
            row("bob", "B", 2, 0),
            row("c1", "C", 2, 0),
            row("c2", "C", 1, 0),
            row("c3", "C", 1, 2),
            row("c6", "C", 2, 2),
            row("erin", "B", 2, 0),
        ]
    );
    // One at a time: the same.
    let alone = run("a").await;
    assert_eq!(
        (added(&alone.0), added(&alone.1), alone.2),
        (added(&first), added(&late), rows)
    );
    app.stop().await;
}
