//! For the all-or-nothing tests (a password change and what must happen with it, in one
//! transaction): a statement made to fail in the database itself, as a lost connection or a
//! full disk would at that moment, and the checks that a refused change left everything as it
//! was.

use std::time::Duration;

use sqlx::Connection;

use super::smtp::SmtpServer;
use super::{Backend, Browser, Page, TestApp};

/// A trigger `name` that makes `event` (`INSERT`, `UPDATE OF revoked_at` …) on `table` fail
/// with `message` where `when` (a condition on `NEW`) holds.
pub struct Refusal<'a> {
    pub name: &'a str,
    pub event: &'a str,
    pub table: &'a str,
    pub when: Option<&'a str>,
    pub message: &'a str,
}

/// Makes (`on`) or drops `r`'s refusal.
pub async fn refuse(app: &TestApp, backend: Backend, r: &Refusal<'_>, on: bool) {
    let Refusal {
        name,
        event,
        table,
        message,
        ..
    } = r;
    let statements: Vec<String> = match (backend, on) {
        (Backend::Sqlite, true) => {
            let when = r.when.map(|w| format!("WHEN {w} ")).unwrap_or_default();
            vec![format!(
                "CREATE TRIGGER {name} BEFORE {event} ON {table} {when}\
                 BEGIN SELECT RAISE(ABORT, '{message}'); END"
            )]
        }
        (Backend::Postgres, true) => {
            let when = r.when.map(|w| format!("WHEN ({w}) ")).unwrap_or_default();
            vec![
                format!(
                    "CREATE FUNCTION {name}() RETURNS trigger AS $$ BEGIN \
                     RAISE EXCEPTION '{message}'; END $$ LANGUAGE plpgsql"
                ),
                format!(
                    "CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW \
                     {when}EXECUTE FUNCTION {name}()"
                ),
            ]
        }
        (Backend::Sqlite, false) => vec![format!("DROP TRIGGER {name}")],
        (Backend::Postgres, false) => vec![format!("DROP TRIGGER {name} ON {table}")],
    };
    let mut conn = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    for s in &statements {
        sqlx::query(s).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
}

/// The path (without the public URL) of the reset link mailed to `srv`.
pub async fn reset_link_path(app: &TestApp, srv: &SmtpServer) -> String {
    let mail = srv
        .wait_for_messages(1, Duration::from_secs(10))
        .await
        .into_iter()
        .find(|m| m.data.contains("reset?token="))
        .expect("the reset mail");
    super::link_in(&mail.data, "reset?token=")
        .unwrap()
        .strip_prefix(app.core.config.public_url.as_str())
        .unwrap()
        .to_owned()
}

/// Opens the reset link at `path` and sets `new` as the password: the answer.
pub async fn complete_reset(app: &TestApp, tenant: &str, path: &str, new: &str) -> Page {
    let mut b = app.browser();
    b.get(path).await;
    let fields = [("new_password", new), ("confirm_password", new)];
    b.post(&format!("/t/{tenant}/reset"), &fields).await
}

/// Asserts that what a refused change would have ended still works: `username` signs in at
/// `tenant` with the old password ([`super::GOOD_PASSWORD`]), `session` (where given) is still
/// signed in, and `key` still reads `path` on the API.
pub async fn old_credentials_work(
    app: &TestApp,
    tenant: &str,
    username: &str,
    session: Option<&mut Browser>,
    key: &str,
    path: &str,
) {
    super::signed_in(app, tenant, username).await;
    if let Some(session) = session {
        assert!(
            session_works(session, tenant).await,
            "the session still works"
        );
    }
    assert_eq!(
        super::api_get(app, key, path).await.0,
        200,
        "the key still works"
    );
}

/// Whether `b`'s session at `tenant` still works.
pub async fn session_works(b: &mut Browser, tenant: &str) -> bool {
    b.get(&format!("/t/{tenant}/account")).await.status == 200
}
