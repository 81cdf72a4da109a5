//! Completing a reset link changes the password, ends the account's sessions and links and
//! revokes the API keys it created in ONE transaction: when one of them fails, none happens —
//! the old password, the key and the link all still work, and the person can try again. The
//! same for a password an operator sets.

use crate::common;

use super::console_api_keys::{
    admins_with_addresses, api_get, console_key, operator_key, send_resets, signed_in, world,
};
use common::{Backend, GOOD_PASSWORD};
use latchkey::service::Actor;
use sqlx::Connection;

on_both_backends!(
    a_reset_whose_key_revocation_fails_changes_nothing,
    a_password_set_whose_key_revocation_fails_changes_nothing,
);

const NEW_PASSWORD: &str = "velvet thunder marmalade hill";

/// Makes (`on`) or drops revoking API keys fail in the database itself, as a lost connection
/// or a full disk would at that moment.
async fn revocation_fails(app: &common::TestApp, backend: Backend, on: bool) {
    let mut conn = sqlx::AnyConnection::connect(&app.db.url).await.unwrap();
    let statements: &[&str] = match (backend, on) {
        (Backend::Sqlite, true) => &[
            "CREATE TRIGGER no_revoke BEFORE UPDATE OF revoked_at ON api_keys \
             BEGIN SELECT RAISE(ABORT, 'revoking refused by the test'); END",
        ],
        (Backend::Postgres, true) => &[
            "CREATE FUNCTION no_revoke() RETURNS trigger AS $$ BEGIN \
             RAISE EXCEPTION 'revoking refused by the test'; END $$ LANGUAGE plpgsql",
            "CREATE TRIGGER no_revoke BEFORE UPDATE OF revoked_at ON api_keys \
             FOR EACH ROW EXECUTE FUNCTION no_revoke()",
        ],
        (Backend::Sqlite, false) => &["DROP TRIGGER no_revoke"],
        (Backend::Postgres, false) => &["DROP TRIGGER no_revoke ON api_keys"],
    };
    for s in statements {
        sqlx::query(s).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
}

async fn a_reset_whose_key_revocation_fails_changes_nothing(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let srv = common::plain_smtp(&app.core).await;
    admins_with_addresses(&w, &["ann"]).await;
    let operator = operator_key(&w).await;
    let users = "/api/v1/tenants/acme/users";
    send_resets(app, &operator, vec!["ann"], "link").await;
    let mail = srv
        .wait_for_messages(1, std::time::Duration::from_secs(10))
        .await
        .into_iter()
        .find(|m| m.data.contains("reset?token="))
        .expect("ann's reset mail");
    let path = common::link_in(&mail.data, "reset?token=")
        .unwrap()
        .strip_prefix(app.core.config.public_url.as_str())
        .unwrap()
        .to_owned();
    // A key made after the link was sent (sending it ended the older ones).
    let key = console_key(app, "acme", "ann", "/t/acme/admin", "ann's key").await;
    assert_eq!(api_get(app, &key, users).await.0, 200);
    let fields = [
        ("new_password", NEW_PASSWORD),
        ("confirm_password", NEW_PASSWORD),
    ];
    revocation_fails(app, backend, true).await;
    let mut b = app.browser();
    b.get(&path).await;
    let failed = b.post("/t/acme/reset", &fields).await;
    assert_ne!(failed.status, 303, "the reset can't have gone through");
    // Nothing of it happened: the old password, the key and the link still work.
    signed_in(app, "acme", "ann").await;
    assert_eq!(
        api_get(app, &key, users).await.0,
        200,
        "the key still works"
    );
    assert_eq!(
        app.browser()
            .login("acme", "ann", NEW_PASSWORD)
            .await
            .status,
        401,
        "the new password was not set"
    );
    revocation_fails(app, backend, false).await;
    let mut b = app.browser();
    b.get(&path).await;
    let done = b.post("/t/acme/reset", &fields).await;
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
    signed_in(app, "acme", "ann").await;
    assert_eq!(
        api_get(app, &key, users).await.0,
        200,
        "the key still works"
    );
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
