//! Completing a reset link changes the password, ends the account's sessions and links and
//! revokes the API keys it created in ONE transaction: when one of them fails, none happens —
//! the old password, the key and the link all still work, and the person can try again. The
//! same for a password an operator sets.

use crate::common;

use super::console_api_keys::{
    admins_with_addresses, console_key, operator_key, send_resets, world,
};
use common::atomic::{complete_reset, old_credentials_work, refuse, reset_link_path, Refusal};
use common::{api_get, Backend, GOOD_PASSWORD};
use latchkey::service::Actor;

on_both_backends!(
    a_reset_whose_key_revocation_fails_changes_nothing,
    a_password_set_whose_key_revocation_fails_changes_nothing,
    a_reset_whose_notice_cant_be_queued_changes_nothing,
);

const NEW_PASSWORD: &str = "velvet thunder marmalade hill";

/// Makes (`on`) or drops revoking API keys fail in the database itself, as a lost connection
/// or a full disk would at that moment.
async fn revocation_fails(app: &common::TestApp, backend: Backend, on: bool) {
    let refusal = Refusal {
        name: "no_revoke",
        event: "UPDATE OF revoked_at",
        table: "api_keys",
        when: None,
        message: "revoking refused by the test",
    };
    refuse(app, backend, &refusal, on).await;
}

async fn a_reset_whose_key_revocation_fails_changes_nothing(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let srv = common::plain_smtp(&app.core).await;
    admins_with_addresses(&w, &["ann"]).await;
    let operator = operator_key(&w).await;
    let users = "/api/v1/tenants/acme/users";
    send_resets(app, &operator, vec!["ann"], "link").await;
    let path = reset_link_path(app, &srv).await;
    // A key made after the link was sent (sending it ended the older ones).
    let key = console_key(app, "acme", "ann", "/t/acme/admin", "ann's key").await;
    assert_eq!(api_get(app, &key, users).await.0, 200);
    revocation_fails(app, backend, true).await;
    let failed = complete_reset(app, "acme", &path, NEW_PASSWORD).await;
    assert_ne!(failed.status, 303, "the reset can't have gone through");
    // Nothing of it happened: the old password, the key and the link still work.
    old_credentials_work(app, "acme", "ann", None, &key, users).await;
    assert_eq!(
        app.browser()
            .login("acme", "ann", NEW_PASSWORD)
            .await
            .status,
        401,
        "the new password was not set"
    );
    revocation_fails(app, backend, false).await;
    let done = complete_reset(app, "acme", &path, NEW_PASSWORD).await;
    assert_eq!(
        done.status, 303,
        "the same link works once the fault is gone: {}",
        done.body
    );
    assert_eq!(
        api_get(app, &key, users).await.0,
        401,
        "the key ended with the reset"
    );
    assert_eq!(
        app.browser()
            .login("acme", "ann", GOOD_PASSWORD)
            .await
            .status,
        401
    );
    assert_eq!(
        app.browser()
            .login("acme", "ann", NEW_PASSWORD)
            .await
            .status,
        303
    );
    w.app.stop().await;
}

/// The same for a password an operator sets (`latchkey user set --password-stdin`).
async fn a_password_set_whose_key_revocation_fails_changes_nothing(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    admins_with_addresses(&w, &["ann"]).await;
    let key = console_key(app, "acme", "ann", "/t/acme/admin", "ann's key").await;
    let users = "/api/v1/tenants/acme/users";
    let ann = app
        .core
        .account_named(&w.acme, "ann")
        .await
        .unwrap()
        .unwrap();
    revocation_fails(app, backend, true).await;
    let new = secrecy::SecretString::from(NEW_PASSWORD.to_owned());
    assert!(app
        .core
        .admin_set_password(&Actor::Cli, &w.acme, &ann, &new)
        .await
        .is_err());
    old_credentials_work(app, "acme", "ann", None, &key, users).await;
    revocation_fails(app, backend, false).await;
    app.core
        .admin_set_password(&Actor::Cli, &w.acme, &ann, &new)
        .await
        .unwrap();
    assert_eq!(api_get(app, &key, users).await.0, 401, "the key ended");
    assert_eq!(
        app.browser()
            .login("acme", "ann", NEW_PASSWORD)
            .await
            .status,
        303
    );
    w.app.stop().await;
}

/// The "your password was changed" notice is queued in the reset's transaction: when it can't
/// be (the database refuses it), the reset doesn't happen either — never a changed password
/// without its notice. Once the fault is gone, the same link works and the notice goes out.
async fn a_reset_whose_notice_cant_be_queued_changes_nothing(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let srv = common::plain_smtp(&app.core).await;
    admins_with_addresses(&w, &["ann"]).await;
    let operator = operator_key(&w).await;
    let users = "/api/v1/tenants/acme/users";
    send_resets(app, &operator, vec!["ann"], "link").await;
    let path = reset_link_path(app, &srv).await;
    let key = console_key(app, "acme", "ann", "/t/acme/admin", "ann's key").await;
    let refusal = Refusal {
        name: "no_notice",
        event: "INSERT",
        table: "mail_tasks",
        when: Some("NEW.kind = 'password_changed'"),
        message: "notice refused by the test",
    };
    refuse(app, backend, &refusal, true).await;
    let failed = complete_reset(app, "acme", &path, NEW_PASSWORD).await;
    assert_ne!(failed.status, 303, "the reset can't have gone through");
    old_credentials_work(app, "acme", "ann", None, &key, users).await;
    refuse(app, backend, &refusal, false).await;
    let done = complete_reset(app, "acme", &path, NEW_PASSWORD).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let notices = srv
        .wait_for_messages(2, std::time::Duration::from_secs(10))
        .await
        .into_iter()
        .filter(|m| !m.data.contains("reset?token="))
        .count();
    assert_eq!(notices, 1, "the notice went out with the reset");
    assert_eq!(api_get(app, &key, users).await.0, 401, "the key ended");
    w.app.stop().await;
}
