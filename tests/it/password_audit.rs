//! A password change and its audit events commit together or not at all: completing a reset
//! link, an operator's `user set --password-stdin` and a temporary password write their events
//! (`api_key.revoked` for each key ended, then `reset.completed`, `password.set_by_admin` or
//! `reset.admin_sent`) in the password's transaction. When an event can't be written, nothing
//! of the change happens — the old password, the sessions and the keys still work — and once
//! the fault is gone the same request goes through, with its events. A temporary password's
//! mail that can't be made so is a failed attempt like any other (mail log, last error, retry
//! with backoff, failed after its attempts) and holds up none of the other mails.

use crate::common;

use super::console_api_keys::{admins_with_addresses, console_key, operator_key, send_resets};
use super::delivery::log_rows;
use common::atomic::{
    complete_reset, old_credentials_work, refuse, reset_link_path, session_works, Refusal,
};
use common::{api_get, mail_text, signed_in, Backend, TestApp, World, GOOD_PASSWORD};
use latchkey::domain::Role;
use latchkey::service::Actor;
use latchkey::store::{self, mail::TaskStatus};
use std::time::{Duration, Instant};

on_both_backends!(
    a_reset_whose_audit_event_fails_changes_nothing,
    a_password_set_whose_audit_event_fails_changes_nothing,
    a_temporary_password_whose_audit_event_fails_is_neither_set_nor_sent,
    a_temporary_password_that_keeps_failing_fails_after_its_attempts_alone,
    own_and_operator_password_changes_whose_notice_cant_be_queued_change_nothing,
    an_own_password_change_whose_audit_event_fails_changes_nothing,
    a_sign_in_whose_audit_event_fails_opens_no_session,
    an_opened_link_whose_audit_event_fails_leaves_no_state,
);

const NEW_PASSWORD: &str = "velvet thunder marmalade hill";
const USERS: &str = "/api/v1/tenants/acme/users";

async fn world(backend: Backend) -> World {
    World::builder(backend)
        .config(|c| c.mail_poll_interval = "100ms".into())
        .user("acme", "tadmin", Role::TenantAdmin)
        .build()
        .await
}

/// Makes (`on`) or drops writing the audit events of `action` fail in the database itself, as
/// a lost connection or a full disk would at that moment. The error names the app (its port),
/// so a test can find it in the log shared by every test.
async fn audit_fails(app: &TestApp, backend: Backend, action: &str, on: bool) -> String {
    audit_fails_about(app, backend, action, None, on).await
}

/// [`audit_fails`], with `target`: only for the events about that username.
async fn audit_fails_about(
    app: &TestApp,
    backend: Backend,
    action: &str,
    target: Option<&str>,
    on: bool,
) -> String {
    let port = app.base.rsplit(':').next().unwrap();
    let message = format!("audit refused by the test {port}");
    let when = match target {
        Some(target) => format!("NEW.action = '{action}' AND NEW.target = '{target}'"),
        None => format!("NEW.action = '{action}'"),
    };
    let refusal = Refusal {
        name: "no_audit",
        event: "INSERT",
        table: "audit_events",
        when: Some(&when),
        message: &message,
    };
    refuse(app, backend, &refusal, on).await;
    message
}

/// The audit events of `action` about `target` (for `api_key.revoked`: with `reason`).
async fn events(app: &TestApp, action: &str, target: &str, reason: Option<&str>) -> usize {
    app.core
        .audit_events(&store::audit::Filter {
            action: Some(action.to_owned()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action)
        .filter(|e| match reason {
            Some(reason) => {
                let detail: serde_json::Value = serde_json::from_str(&e.detail).unwrap();
                detail["reason"] == reason && detail["created_by"] == target
            }
            None => e.target.as_deref() == Some(target),
        })
        .count()
}

/// Makes (`on`) or drops queuing "your password was changed" fail in the database itself.
/// `name` names the trigger (on PostgreSQL its function stays behind: one name per use).
async fn notice_fails(app: &TestApp, backend: Backend, name: &str, on: bool) {
    let refusal = Refusal {
        name,
        event: "INSERT",
        table: "mail_tasks",
        when: Some("NEW.kind = 'password_changed'"),
        message: "notice refused by the test",
    };
    refuse(app, backend, &refusal, on).await;
}

/// The password-changed notices that reached `srv` (no others are sent in these tests).
async fn notices_for(srv: &common::smtp::SmtpServer, n: usize) -> Vec<String> {
    srv.wait_for_messages(n, Duration::from_secs(10))
        .await
        .into_iter()
        .map(|m| m.rcpt_to.join(","))
        .collect()
}

/// The account page's "change password" form.
fn form(current: &'static str, new: &'static str) -> [(&'static str, &'static str); 3] {
    [
        ("current_password", current),
        ("new_password", new),
        ("confirm_password", new),
    ]
}

async fn login_status(app: &TestApp, password: &str) -> u16 {
    app.browser().login("acme", "ann", password).await.status
}

/// The world, with a reset link sent to ann by an operator: its path.
async fn ann_with_a_link(backend: Backend) -> (World, common::smtp::SmtpServer, String) {
    let w = world(backend).await;
    let srv = common::plain_smtp(&w.app.core).await;
    admins_with_addresses(&w, &["ann"]).await;
    let operator = operator_key(&w).await;
    send_resets(&w.app, &operator, vec!["ann"], "link").await;
    let path = reset_link_path(&w.app, &srv).await;
    (w, srv, path)
}

async fn a_reset_whose_audit_event_fails_changes_nothing(backend: Backend) {
    let (w, _srv, path) = ann_with_a_link(backend).await;
    let app = &w.app;
    // A key and a session made after the link was sent (sending it ended the older ones).
    let key = console_key(app, "acme", "ann", "/t/acme/admin", "ann's key").await;
    let mut session = signed_in(app, "acme", "ann").await;
    audit_fails(app, backend, "reset.completed", true).await;
    let failed = complete_reset(app, "acme", &path, NEW_PASSWORD).await;
    assert_ne!(failed.status, 303, "the reset can't have gone through");
    // Nothing of it happened: the old password, the session, the key and the link still work.
    assert_eq!(
        login_status(app, NEW_PASSWORD).await,
        401,
        "no new password"
    );
    old_credentials_work(app, "acme", "ann", Some(&mut session), &key, USERS).await;
    assert_eq!(events(app, "reset.completed", "ann", None).await, 0);
    let revoked = events(app, "api_key.revoked", "ann", Some("creator_reset")).await;
    assert_eq!(revoked, 0, "no key was revoked");
    audit_fails(app, backend, "reset.completed", false).await;
    let done = complete_reset(app, "acme", &path, NEW_PASSWORD).await;
    assert_eq!(
        done.status, 303,
        "the same link works once the fault is gone: {}",
        done.body
    );
    assert_eq!(login_status(app, GOOD_PASSWORD).await, 401);
    assert_eq!(login_status(app, NEW_PASSWORD).await, 303);
    assert!(
        !session_works(&mut session, "acme").await,
        "the session ended"
    );
    assert_eq!(api_get(app, &key, USERS).await.0, 401, "the key ended");
    // And its events are there, with the change.
    assert_eq!(events(app, "reset.completed", "ann", None).await, 1);
    let revoked = events(app, "api_key.revoked", "ann", Some("creator_reset")).await;
    assert_eq!(revoked, 1);
    w.app.stop().await;
}

/// The same for a password an operator sets (`latchkey user set --password-stdin`).
async fn a_password_set_whose_audit_event_fails_changes_nothing(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    admins_with_addresses(&w, &["ann"]).await;
    let key = console_key(app, "acme", "ann", "/t/acme/admin", "ann's key").await;
    let mut session = signed_in(app, "acme", "ann").await;
    let ann = app
        .core
        .account_named(&w.acme, "ann")
        .await
        .unwrap()
        .unwrap();
    audit_fails(app, backend, "password.set_by_admin", true).await;
    let new = secrecy::SecretString::from(NEW_PASSWORD.to_owned());
    assert!(app
        .core
        .admin_set_password(&Actor::Cli, &w.acme, &ann, &new)
        .await
        .is_err());
    assert_eq!(
        login_status(app, NEW_PASSWORD).await,
        401,
        "no new password"
    );
    old_credentials_work(app, "acme", "ann", Some(&mut session), &key, USERS).await;
    assert_eq!(events(app, "password.set_by_admin", "ann", None).await, 0);
    let revoked = events(app, "api_key.revoked", "ann", Some("creator_password_set")).await;
    assert_eq!(revoked, 0, "no key was revoked");
    audit_fails(app, backend, "password.set_by_admin", false).await;
    app.core
        .admin_set_password(&Actor::Cli, &w.acme, &ann, &new)
        .await
        .unwrap();
    assert_eq!(login_status(app, NEW_PASSWORD).await, 303);
    assert!(
        !session_works(&mut session, "acme").await,
        "the session ended"
    );
    assert_eq!(api_get(app, &key, USERS).await.0, 401, "the key ended");
    assert_eq!(events(app, "password.set_by_admin", "ann", None).await, 1);
    let revoked = events(app, "api_key.revoked", "ann", Some("creator_password_set")).await;
    assert_eq!(revoked, 1);
    w.app.stop().await;
}

/// A temporary password is set by the delivery worker just before its mail goes out. When its
/// transaction fails (here its `reset.admin_sent` event), the password isn't set and the mail
/// isn't sent: a failed attempt at the step "Prepare" (in the mail log and the task's last
/// error), tried again after the retry delay like a temporary SMTP failure; by then the fault
/// is gone, the password is set, with its events, and the mail carries it.
async fn a_temporary_password_whose_audit_event_fails_is_neither_set_nor_sent(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let srv = common::plain_smtp(&app.core).await;
    admins_with_addresses(&w, &["ann"]).await;
    let operator = operator_key(&w).await;
    let key = console_key(app, "acme", "ann", "/t/acme/admin", "ann's key").await;
    let mut session = signed_in(app, "acme", "ann").await;
    let refused = audit_fails(app, backend, "reset.admin_sent", true).await;
    send_resets(app, &operator, vec!["ann"], "temporary-password").await;
    // The worker tries: the password's transaction fails.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !common::logs::captured().contains(&refused) {
        assert!(Instant::now() < deadline, "the worker never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(srv.messages().is_empty(), "no mail with a password not set");
    let tasks = app
        .core
        .mail_tasks(&store::mail::Filter {
            tenant_id: Some(w.acme.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    let task = wait_for_attempts(app, tasks[0].id, 1).await;
    assert_eq!(
        (task.status, task.attempts),
        (TaskStatus::Waiting, 1),
        "the task waits for its retry"
    );
    let error = task.last_error.as_deref().unwrap_or_default();
    // The database's words are in the server's log, not in what tenant administrators read.
    assert!(
        error.starts_with("Prepare: could not be made: an internal error")
            && error.contains(&format!("task {}", task.id))
            && !error.contains(&refused),
        "{error}"
    );
    let rows = log_rows(app, task.id).await;
    assert_eq!(rows.len(), 1, "one row in the mail log");
    assert_eq!(
        (rows[0].success, rows[0].step.as_deref(), rows[0].attempt),
        (0, Some("Prepare"), 1)
    );
    assert!(
        !rows[0].smtp_reply.contains(&refused),
        "{}",
        rows[0].smtp_reply
    );
    old_credentials_work(app, "acme", "ann", Some(&mut session), &key, USERS).await;
    assert_eq!(events(app, "reset.admin_sent", "ann", None).await, 0);
    let reason = Some("creator_temporary_password");
    assert_eq!(events(app, "api_key.revoked", "ann", reason).await, 0);
    // The fault gone and the retry due, the worker tries again.
    audit_fails(app, backend, "reset.admin_sent", false).await;
    app.clock
        .advance(app.core.config.mail_retry.as_secs() as i64 + 1);
    let mails = srv.wait_for_messages(1, Duration::from_secs(10)).await;
    let temp = mail_text(&mails[0].data)
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-'))
        .find(|w| w.len() == 23 && w.matches('-').count() == 3)
        .expect("the temporary password in the mail")
        .to_owned();
    assert_eq!(
        login_status(app, &temp).await,
        303,
        "the mail's password works"
    );
    assert_eq!(login_status(app, GOOD_PASSWORD).await, 401);
    assert!(
        !session_works(&mut session, "acme").await,
        "the session ended"
    );
    assert_eq!(api_get(app, &key, USERS).await.0, 401, "the key ended");
    assert_eq!(events(app, "reset.admin_sent", "ann", None).await, 1);
    assert_eq!(events(app, "api_key.revoked", "ann", reason).await, 1);
    w.app.stop().await;
}

/// A temporary password that can't be set, attempt after attempt, ends its mail `failed` after
/// `mail_max_attempts`, each attempt in the mail log and the reason in the task's last error,
/// never claimed again. The other mails of its round go out at once: they don't wait for a
/// lease behind it.
async fn a_temporary_password_that_keeps_failing_fails_after_its_attempts_alone(backend: Backend) {
    let w = World::builder(backend)
        .config(|c| {
            c.mail_poll_interval = "100ms".into();
            c.mail_max_attempts = 2;
        })
        .user("acme", "tadmin", Role::TenantAdmin)
        .build()
        .await;
    let app = &w.app;
    let srv = common::plain_smtp(&app.core).await;
    let names = ["ann", "ben", "cat", "dan"];
    admins_with_addresses(&w, &names).await;
    let operator = operator_key(&w).await;
    let refused = audit_fails_about(app, backend, "reset.admin_sent", Some("ann"), true).await;
    // One round, one lane (four mails), ann's first.
    send_resets(app, &operator, names.to_vec(), "temporary-password").await;
    let mails = srv.wait_for_messages(3, Duration::from_secs(10)).await;
    let mut to: Vec<String> = mails.iter().map(|m| m.rcpt_to[0].clone()).collect();
    to.sort();
    assert_eq!(
        to,
        ["ben@example.com", "cat@example.com", "dan@example.com"],
        "the others' mails went out without waiting for a lease"
    );
    let tasks = app
        .core
        .mail_tasks(&store::mail::Filter {
            tenant_id: Some(w.acme.id),
            recipient: Some("ann@".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    let id = tasks[0].id;
    assert_eq!(
        wait_for_attempts(app, id, 1).await.status,
        TaskStatus::Waiting
    );
    // The retry, failing again: the last attempt.
    app.clock.advance(3600);
    let task = wait_for_attempts(app, id, 2).await;
    assert_eq!((task.status, task.attempts), (TaskStatus::Failed, 2));
    let error = task.last_error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("Prepare: could not be made: an internal error"),
        "{error}"
    );
    assert!(!error.contains(&refused), "{error}");
    assert!(
        common::logs::captured().contains(&refused),
        "the log has it"
    );
    assert!(
        task.last_error_msg.is_some(),
        "the console's words are kept"
    );
    let rows = log_rows(app, id).await;
    let steps: Vec<_> = rows
        .iter()
        .map(|r| (r.success, r.step.as_deref(), r.attempt))
        .collect();
    assert_eq!(steps, [(0, Some("Prepare"), 1), (0, Some("Prepare"), 2)]);
    // Failed stays failed: not claimed again, not even once its lease would have passed.
    app.clock.advance(3600);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let task = app.core.test_store().task(id).await.unwrap().unwrap();
    assert_eq!((task.status, task.attempts), (TaskStatus::Failed, 2));
    assert_eq!(log_rows(app, id).await.len(), 2);
    assert_eq!(srv.messages().len(), 3, "nothing for ann");
    assert_eq!(
        login_status(app, GOOD_PASSWORD).await,
        303,
        "ann's password"
    );
    w.app.stop().await;
}

/// The task once its mail log has `n` attempts (their rows are written before the task changes,
/// so the task is read until it shows them too).
async fn wait_for_attempts(app: &TestApp, id: i64, n: usize) -> store::mail::Task {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let task = app.core.test_store().task(id).await.unwrap().unwrap();
        if log_rows(app, id).await.len() >= n && task.status != TaskStatus::Executing {
            return task;
        }
        assert!(
            Instant::now() < deadline,
            "attempt {n} never ended: {task:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// The person's own change on the account page and an operator's `user set --password-stdin`
/// queue "your password was changed" in the password's transaction: when the notice can't be
/// queued, the password stays as it was (and the session and the keys with it); once the fault
/// is gone the same change goes through and the notice goes out. Never a changed password its
/// owner isn't told about.
async fn own_and_operator_password_changes_whose_notice_cant_be_queued_change_nothing(
    backend: Backend,
) {
    let w = world(backend).await;
    let app = &w.app;
    let srv = common::plain_smtp(&app.core).await;
    admins_with_addresses(&w, &["ann"]).await;
    let key = console_key(app, "acme", "ann", "/t/acme/admin", "ann's key").await;
    let mut session = signed_in(app, "acme", "ann").await;

    // The person's own change.
    notice_fails(app, backend, "no_notice_own", true).await;
    let mut own = signed_in(app, "acme", "ann").await;
    let r = own
        .post(
            "/t/acme/account/password",
            &form(GOOD_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert!(r.status >= 500, "the change can't go through: {}", r.status);
    assert_eq!(
        login_status(app, NEW_PASSWORD).await,
        401,
        "no new password"
    );
    old_credentials_work(app, "acme", "ann", Some(&mut session), &key, USERS).await;
    notice_fails(app, backend, "no_notice_own", false).await;
    let r = own
        .post(
            "/t/acme/account/password",
            &form(GOOD_PASSWORD, NEW_PASSWORD),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(login_status(app, NEW_PASSWORD).await, 303);
    assert_eq!(notices_for(&srv, 1).await, ["ann@example.com"]);
    assert!(
        !session_works(&mut session, "acme").await,
        "the other session ended"
    );

    // An operator's.
    let ann = app
        .core
        .account_named(&w.acme, "ann")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        api_get(app, &key, USERS).await.0,
        200,
        "their own change ends no key"
    );
    notice_fails(app, backend, "no_notice_set", true).await;
    let set = secrecy::SecretString::from(GOOD_PASSWORD.to_owned());
    assert!(app
        .core
        .admin_set_password(&Actor::Cli, &w.acme, &ann, &set)
        .await
        .is_err());
    assert_eq!(
        login_status(app, NEW_PASSWORD).await,
        303,
        "still the new one"
    );
    assert_eq!(login_status(app, GOOD_PASSWORD).await, 401);
    assert_eq!(
        api_get(app, &key, USERS).await.0,
        200,
        "the key still works"
    );
    assert_eq!(events(app, "password.set_by_admin", "ann", None).await, 0);
    notice_fails(app, backend, "no_notice_set", false).await;
    app.core
        .admin_set_password(&Actor::Cli, &w.acme, &ann, &set)
        .await
        .unwrap();
    assert_eq!(login_status(app, GOOD_PASSWORD).await, 303);
    assert_eq!(api_get(app, &key, USERS).await.0, 401, "the key ended");
    assert_eq!(notices_for(&srv, 2).await.len(), 2);
    w.app.stop().await;
}

/// A person's own password change writes its audit event in the change's transaction: when the
/// event can't be written the change fails whole (the old password and the other session
/// stay); once it can, the change goes through with one event.
async fn an_own_password_change_whose_audit_event_fails_changes_nothing(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let _srv = common::plain_smtp(&app.core).await;
    admins_with_addresses(&w, &["ann"]).await;
    let mut other = signed_in(app, "acme", "ann").await;
    let mut own = signed_in(app, "acme", "ann").await;
    let form = form(GOOD_PASSWORD, NEW_PASSWORD);
    audit_fails(app, backend, "password.changed", true).await;
    let r = own.post("/t/acme/account/password", &form).await;
    assert!(r.status >= 500, "the change can't go through: {}", r.status);
    assert_eq!(
        login_status(app, NEW_PASSWORD).await,
        401,
        "no new password"
    );
    assert_eq!(login_status(app, GOOD_PASSWORD).await, 303);
    assert!(
        session_works(&mut other, "acme").await,
        "the other session stays"
    );
    assert_eq!(events(app, "password.changed", "ann", None).await, 0);
    audit_fails(app, backend, "password.changed", false).await;
    let r = own.post("/t/acme/account/password", &form).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(login_status(app, NEW_PASSWORD).await, 303);
    assert!(
        !session_works(&mut other, "acme").await,
        "the other session ended"
    );
    assert_eq!(events(app, "password.changed", "ann", None).await, 1);
    w.app.stop().await;
}

/// One row's number from the test's database.
async fn count(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.core.test_store().pool())
        .await
        .unwrap()
}

const ANNS_SESSIONS: &str =
    "SELECT COUNT(*) FROM sessions s JOIN accounts a ON a.id = s.account_id \
     WHERE a.username = 'ann'";

/// A sign-in writes its audit event in the transaction that opens the session: when the event
/// can't be written there is no session and no last sign-in time; once it can, the same
/// password signs in, with one event.
async fn a_sign_in_whose_audit_event_fails_opens_no_session(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    admins_with_addresses(&w, &["ann"]).await;
    audit_fails_about(app, backend, "login", Some("ann"), true).await;
    let status = login_status(app, GOOD_PASSWORD).await;
    assert!(status >= 500, "no sign-in without its event: {status}");
    assert_eq!(count(app, ANNS_SESSIONS).await, 0, "no session");
    let signed_in_at =
        "SELECT COUNT(*) FROM accounts WHERE username = 'ann' AND last_login_at IS NOT NULL";
    assert_eq!(count(app, signed_in_at).await, 0, "no last sign-in time");
    assert_eq!(events(app, "login", "ann", None).await, 0);
    audit_fails_about(app, backend, "login", Some("ann"), false).await;
    assert_eq!(login_status(app, GOOD_PASSWORD).await, 303);
    assert_eq!(count(app, ANNS_SESSIONS).await, 1);
    assert_eq!(count(app, signed_in_at).await, 1);
    assert_eq!(events(app, "login", "ann", None).await, 1);
    w.app.stop().await;
}

/// Opening a reset link counts the opening, makes the link's state and writes
/// `reset.link_opened` in one transaction: when the event can't be written none of it is there
/// (no state to carry on with); once it can, the same link opens and resets, with one event.
async fn an_opened_link_whose_audit_event_fails_leaves_no_state(backend: Backend) {
    let (w, _srv, path) = ann_with_a_link(backend).await;
    let app = &w.app;
    audit_fails(app, backend, "reset.link_opened", true).await;
    let page = app.browser().get(&path).await;
    assert!(
        page.status >= 500,
        "no opening without its event: {}",
        page.status
    );
    assert_eq!(count(app, "SELECT COUNT(*) FROM reset_states").await, 0);
    let opened = "SELECT CAST(COALESCE(SUM(open_count), 0) AS BIGINT) FROM reset_tokens";
    assert_eq!(
        count(app, opened).await,
        0,
        "the opening isn't counted either"
    );
    assert_eq!(events(app, "reset.link_opened", "ann", None).await, 0);
    audit_fails(app, backend, "reset.link_opened", false).await;
    let done = complete_reset(app, "acme", &path, NEW_PASSWORD).await;
    assert_eq!(done.status, 303, "the link still works: {}", done.body);
    assert_eq!(count(app, opened).await, 1);
    assert_eq!(events(app, "reset.link_opened", "ann", None).await, 1);
    w.app.stop().await;
}
