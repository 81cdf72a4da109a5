//! Many mails queued at once (a campaign), in statements of 500: every mail is stored as given
//! and the ids come back in its order.

use crate::common;

use common::Backend;
use latchkey::mail::templates::MailKind;
use latchkey::store;

use super::delivery::{all_tasks, app};

on_both_backends!(mails_queued_at_once_keep_their_fields_and_order,);

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
