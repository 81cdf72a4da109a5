//! Many mails queued at once (a campaign), in statements of 500: every mail is stored as given
//! and the ids come back in its order. The worker's claim takes due mails oldest first, those
//! of an expired lease among them, never more than its batch.

use crate::common;

use common::Backend;
use latchkey::mail::templates::MailKind;
use latchkey::store;

use super::delivery::{all_tasks, app};

on_both_backends!(
    mails_queued_at_once_keep_their_fields_and_order,
    the_claim_takes_due_mails_oldest_first_within_its_batch,
);

async fn mails_queued_at_once_keep_their_fields_and_order(backend: Backend) {
    let app = app(backend, |c| c.mail_worker = false).await;
    let tenant = app.default_tenant().await;
    let now = app.core.now();
    // 700: more than one statement's 500, and a last statement of another size.
    let recipients: Vec<String> = (0..700).map(|i| format!("q{i}@example.org")).collect();
    let subjects: Vec<String> = (0..700).map(|i| format!("subject {i}")).collect();
    let data: Vec<serde_json::Value> = (0..700).map(|i| serde_json::json!({ "n": i })).collect();
    let tasks: Vec<_> = (0..700)
        .map(|i| store::mail::NewTask {
            tenant_id: Some(tenant.id),
            account_id: None,
            kind: MailKind::SmtpTest,
            recipient: &recipients[i],
            recipient_name: "",
            language: if i % 2 == 0 { "en" } else { "de" },
            data: &data[i],
            secret: None,
            subject: &subjects[i],
            campaign_id: None,
            // Later mails first: the ids must follow the list, not the time.
            scheduled_at: now + 1000 - i as i64,
            max_attempts: 3 + (i % 4) as i64,
            created_by: "test",
        })
        .collect();
    let ids = app
        .core
        .test_store()
        .enqueue_many(&tasks, now)
        .await
        .unwrap();
    assert_eq!(ids.len(), 700);
    let stored: std::collections::HashMap<i64, store::mail::Task> = all_tasks(&app)
        .await
        .into_iter()
        .map(|t| (t.id, t))
        .collect();
    assert_eq!(stored.len(), 700);
    for (i, id) in ids.iter().enumerate() {
        let t = &stored[id];
        assert_eq!(t.recipient, recipients[i], "id {id} is mail {i}");
        assert_eq!(t.subject, subjects[i]);
        assert_eq!(t.scheduled_at, now + 1000 - i as i64);
        assert_eq!(t.next_attempt_at, t.scheduled_at);
        assert_eq!(t.max_attempts, 3 + (i % 4) as i64);
        assert_eq!(t.language, if i % 2 == 0 { "en" } else { "de" });
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&t.data).unwrap(),
            data[i]
        );
        assert_eq!((t.created_at, t.attempts), (now, 0));
    }
    app.stop().await;
}

/// Waiting mails and those whose worker's lease expired are taken together, in the order they
/// became due (then by id), at most a batch; mails not due yet stay.
async fn the_claim_takes_due_mails_oldest_first_within_its_batch(backend: Backend) {
    let app = app(backend, |c| c.mail_worker = false).await;
    let tenant = app.default_tenant().await;
    let now = app.core.now();
    let data = serde_json::json!({});
    // Due 60, 50, 40, 40 and 20 s ago, the last one in 1,000 s.
    let due = [-60, -50, -40, -40, -20, 1000];
    let recipients: Vec<String> = (0..due.len())
        .map(|i| format!("c{i}@example.org"))
        .collect();
    let tasks: Vec<_> = due
        .iter()
        .zip(&recipients)
        .map(|(at, to)| store::mail::NewTask {
            tenant_id: Some(tenant.id),
            account_id: None,
            kind: MailKind::SmtpTest,
            recipient: to,
            recipient_name: "",
            language: "en",
            data: &data,
            secret: None,
            subject: "claim",
            campaign_id: None,
            scheduled_at: now + at,
            max_attempts: 3,
            created_by: "test",
        })
        .collect();
    let store = app.core.test_store();
    let ids = store.enqueue_many(&tasks, now).await.unwrap();
    let claim = |owner: &'static str, batch: i64| {
        let store = &store;
        let app = &app;
        async move {
            let got = store
                .claim(owner, batch, 120, app.core.now())
                .await
                .unwrap();
            got.iter()
                .map(|t| (t.id, t.attempts, t.lease_owner.clone().unwrap()))
                .collect::<Vec<_>>()
        }
    };
    let ours = |which: &[usize], attempts: i64, owner: &str| {
        which
            .iter()
            .map(|&i| (ids[i], attempts, owner.to_string()))
            .collect::<Vec<_>>()
    };
    assert_eq!(claim("crashed", 2).await, ours(&[0, 1], 1, "crashed"));
    // The crashed worker's lease runs out: its two come first again, then the oldest waiting
    // one; the batch of three leaves the rest waiting.
    app.clock.advance(121);
    assert_eq!(
        claim("worker", 3).await,
        [ours(&[0, 1], 2, "worker"), ours(&[2], 1, "worker")].concat()
    );
    assert_eq!(claim("worker", 10).await, ours(&[3, 4], 1, "worker"));
    assert_eq!(claim("worker", 10).await, vec![]);
    let left = store.task(ids[5]).await.unwrap().unwrap();
    assert_eq!(
        (left.status, left.attempts),
        (store::mail::TaskStatus::Waiting, 0)
    );
    app.stop().await;
}
