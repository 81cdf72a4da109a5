//! `mail_unrecorded_per_connection`: how many mails one connection sends before the server's
//! acceptance of them is recorded. At 1 (the default) a connection waits for each mail's record
//! before its next mail; at N it goes on sending while the records are written, up to N
//! unrecorded mails — and still every mail goes out once and is recorded once.

use crate::common;

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::delivery::{all_tasks, app, connected, each_once, log_rows, plain_server, queue_many};
use common::Backend;
use sqlx::Connection;

on_both_backends!(a_connection_sends_up_to_its_window_while_the_record_waits,);

const WAIT: Duration = Duration::from_secs(20);

/// Holds the database's writes of delivered mail: SQLite's write lock, PostgreSQL's mail log
/// (the records go there), until the returned connection rolls back.
async fn hold_records(backend: Backend, url: &str) -> sqlx::AnyConnection {
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    let statements: &[&str] = match backend {
        Backend::Sqlite => &["BEGIN IMMEDIATE"],
        Backend::Postgres => &["BEGIN", "LOCK TABLE mail_log IN SHARE MODE"],
    };
    for s in statements {
        sqlx::query(s).execute(&mut conn).await.unwrap();
    }
    conn
}

async fn a_connection_sends_up_to_its_window_while_the_record_waits(backend: Backend) {
    for window in [1usize, 4] {
        let app = app(backend, |c| {
            c.mail_worker = false;
            c.mail_connections_per_server = 1;
            c.mail_unrecorded_per_connection = window as u32;
        })
        .await;
        let srv = plain_server(&app, true).await;
        let recipients = queue_many(&app, "win", 10).await;
        // The connection opens and waits at its first MAIL FROM: the claim and the links are
        // written by then.
        srv.hold_after(0);
        let core = app.core.clone();
        let round = tokio::spawn(async move {
            let stop = std::sync::Arc::new(AtomicBool::new(false));
            core.deliver_due("w", &stop).await.unwrap()
        });
        connected(&srv, 1).await;
        let held = hold_records(backend, &app.db.url).await;
        srv.release();
        srv.wait_for_messages(window, WAIT).await;
        // The records can't be written: the connection sends its window, then waits.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(
            srv.messages().len(),
            window,
            "sent while {window} mail(s) were not recorded"
        );
        held.close().await.unwrap();
        assert_eq!(round.await.unwrap(), 10);
        let mut expected = recipients.clone();
        expected.sort();
        assert_eq!(each_once(&srv.wait_for_messages(10, WAIT).await), expected);
        let counts = app.core.mail_counts(None, None).await.unwrap();
        assert_eq!(counts, vec![("done".to_owned(), 10)]);
        for t in all_tasks(&app).await {
            assert_eq!(log_rows(&app, t.id).await.len(), 1, "one log row per mail");
        }
        srv.stop().await;
        app.stop().await;
    }
}
