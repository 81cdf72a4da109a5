//! A directory tenant in a real headless Chromium: a system administrator connects the directory
//! on the console's Directory page, checks it and syncs; then a person of the directory gets back
//! in through "Forgot password?", and the new password opens the directory (a bind against
//! slapd). Screenshots land in `target/browser-artifacts/`.

use crate::common;

use std::time::{Duration, Instant};

use common::browser::Chrome;
use common::ldap::{self, Slapd};
use common::{link_in, mail_text, Backend, TestApp, GOOD_PASSWORD};
use latchkey::domain::Role;

const NEW_PASSWORD: &str = "velvet thunder marmalade hill";

on_both_backends!(directory_journey);

async fn directory_journey(backend: Backend) {
    common::logs::init();
    let slapd = Slapd::start().await;
    let app = TestApp::spawn_with(backend, |c| c.mail_poll_interval = "100ms".into()).await;
    let srv = common::plain_smtp(&app.core).await;
    let tenant = app.enable_reset(true).await;
    // A local system administrator in the same tenant: a sync never touches them.
    app.user_with(&tenant, "root", GOOD_PASSWORD, Role::SystemAdmin)
        .await;
    let name = match backend {
        Backend::Sqlite => "directory_journey_sqlite",
        Backend::Postgres => "directory_journey_postgres",
    };
    let c = Chrome::start(&app.base, name).await;

    c.goto("/t/default/login").await;
    c.fill("Username or e-mail address", "root").await;
    c.fill("Password", GOOD_PASSWORD).await;
    c.click_button("Sign in").await;
    c.wait_for_text("Password and login").await;

    c.goto("/t/default/admin/directory").await;
    c.wait_for_text("not connected").await;
    c.fill("URL", &slapd.url()).await;
    c.select(
        "Security",
        "StartTLS on ldap:// (required upgrade, recommended)",
    )
    .await;
    c.fill("Extra CA certificate", &slapd.ca_pem()).await;
    c.fill("Service account DN", ldap::SERVICE_DN).await;
    c.fill("Service account password", ldap::SERVICE_PASSWORD)
        .await;
    c.fill("Base DN", ldap::PEOPLE_DN).await;
    c.fill("Administrators group DN", ldap::ADMIN_GROUP_DN)
        .await;
    c.click_button("Save").await;
    c.wait_for_text("The directory connection was saved").await;

    c.fill("Look up a person", "bob").await;
    c.click_button("Check directory connection").await;
    c.wait_for_text("Check result").await;
    let text = c.text().await;
    assert!(text.contains("bob@example.org"), "{text}");
    c.save_screenshot(&format!("{name}-check")).await;

    c.click_button("Sync now").await;
    c.wait_for_text("Sync finished.").await;
    assert!(c.text().await.contains("2 added"), "{}", c.text().await);
    c.click_link("Users").await;
    c.wait_for_text("People come from this organisation's")
        .await;
    assert!(c.text().await.contains("bob@example.org"));
    c.click_button("Sign out (root)").await;
    c.wait_for_text("Sign in").await;

    // bob forgot his password.
    c.goto("/t/default/login").await;
    c.click_link("Forgot password?").await;
    c.fill("Username or e-mail address", "bob").await;
    c.click_button("Send reset link").await;
    c.wait_for_text("If an account matches").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let link = loop {
        if let Some(m) = srv
            .messages()
            .into_iter()
            .find(|m| m.rcpt_to.iter().any(|r| r == "bob@example.org"))
        {
            break link_in(&m.data, "reset?token=")
                .unwrap_or_else(|| panic!("no link in {}", mail_text(&m.data)));
        }
        assert!(Instant::now() < deadline, "no reset mail for bob");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    c.goto(&link).await;
    c.wait_for_text("Choose a new password").await;
    c.fill("New password", NEW_PASSWORD).await;
    c.fill("New password again", NEW_PASSWORD).await;
    c.click_button("Set new password").await;
    c.wait_for_text("Password changed").await;
    assert!(slapd.bind_ok(&Slapd::dn("bob"), NEW_PASSWORD));
    assert!(!slapd.bind_ok(&Slapd::dn("bob"), ldap::BOB_PASSWORD));

    c.goto("/t/default/login").await;
    c.fill("Username or e-mail address", "bob").await;
    c.fill("Password", NEW_PASSWORD).await;
    c.click_button("Sign in").await;
    c.wait_for_text("Password and login").await;
    c.finish().await;
    srv.stop().await;
    app.stop().await;
}
