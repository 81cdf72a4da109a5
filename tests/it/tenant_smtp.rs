//! A tenant's own SMTP server (`/t/{tenant}/admin/smtp`) against real SMTP servers on loopback:
//! its administrators save and check an override; while the override is switched on the
//! tenant's mail goes through it and every other tenant's through the system's server, and
//! switched off the tenant's mail goes through the system's server again. Other tenants'
//! administrators are refused, the password never appears, CSRF is required, password
//! references can't be set from the console, and with `LATCHKEY_SMTP_*` there is nothing to
//! change. On SQLite and PostgreSQL.

use crate::common;

use std::time::Duration;

use base64::Engine;
use common::smtp::{SmtpOptions, SmtpServer, TlsMode};
use common::{Backend, Browser, Page, TestApp, World, GOOD_PASSWORD, OTHER_PASSWORD};
use latchkey::domain::{EmailAddress, Language, Role};
use latchkey::mail::templates::MailKind;
use latchkey::mail::{Security, SmtpSettings};
use latchkey::service::{Actor, NewMail, SmtpInput, SmtpSource};
use latchkey::store::Tenant;
use secrecy::SecretString;

const WAIT: Duration = Duration::from_secs(10);
/// The tenant's own server's credentials.
const OWN_USER: &str = "acme-mailer";
const OWN_PASSWORD: &str = "Acme-Own-Smtp-Secret-41";
/// The system server's credentials.
const SYS_USER: &str = "system-mailer";
const SYS_PASSWORD: &str = "System-Smtp-Secret-93";

async fn server(user: &str, password: &str) -> SmtpServer {
    SmtpServer::start(SmtpOptions {
        tls: TlsMode::StartTls,
        auth: Some((user.to_owned(), password.to_owned())),
        ..SmtpOptions::default()
    })
    .await
}

/// An app with tenants `acme` (administrator `tadmin`, user `alice`) and `globex`
/// (administrator `gadmin`, user `gus`), and a system administrator `root`.
async fn world(backend: Backend) -> World {
    World::builder(backend)
        .config(|c| {
            c.mail_poll_interval = "100ms".into();
            c.mail_retry_delay = "30s".into();
            // The test SMTP servers live on loopback.
            c.tenant_smtp_allow_private_hosts = true;
        })
        .other("globex")
        .user("default", "root", Role::SystemAdmin)
        .user("acme", "tadmin", Role::TenantAdmin)
        .user("globex", "gadmin", Role::TenantAdmin)
        .user("acme", "alice", Role::User)
        .user("globex", "gus", Role::User)
        .build()
        .await
}

/// Makes `srv` the system's mail server, as an operator would.
async fn system_smtp(app: &TestApp, srv: &SmtpServer) {
    let settings = SmtpSettings {
        enabled: true,
        host: "localhost".into(),
        port: srv.port(),
        security: Security::Starttls,
        auth: true,
        username: SYS_USER.into(),
        from_address: "noreply@system.example".into(),
        timeout_secs: 5,
        extra_ca_pem: srv.ca_pem(),
        ..SmtpSettings::default()
    };
    let input = SmtpInput {
        settings,
        new_password: Some(SecretString::from(SYS_PASSWORD.to_owned())),
        ..Default::default()
    };
    app.core
        .save_smtp(&Actor::Cli, None, input, None)
        .await
        .unwrap();
}

async fn signed_in(app: &TestApp, tenant: &str, username: &str) -> Browser {
    let mut b = app.browser();
    let r = b.login(tenant, username, GOOD_PASSWORD).await;
    assert_eq!(r.status, 303, "{username} signs in at {tenant}");
    b
}

/// The tenant page's form for `srv` (the tenant's own server), as typed.
fn form(
    srv: &SmtpServer,
    enabled: bool,
    password: &str,
    action: &str,
) -> Vec<(&'static str, String)> {
    let mut fields = vec![
        ("host", "localhost".to_owned()),
        ("port", srv.port().to_string()),
        ("security", "starttls".to_owned()),
        ("auth", "on".to_owned()),
        ("username", OWN_USER.to_owned()),
        ("password", password.to_owned()),
        ("from_address", "noreply@acme.example".to_owned()),
        ("from_name", "Acme".to_owned()),
        ("timeout_secs", "5".to_owned()),
        ("extra_ca_pem", srv.ca_pem()),
        ("test_to", "admin@acme.example".to_owned()),
        ("action", action.to_owned()),
    ];
    if enabled {
        fields.push(("enabled", "on".to_owned()));
    }
    fields
}

async fn post(b: &mut Browser, path: &str, fields: &[(&'static str, String)]) -> Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    b.post(path, &refs).await
}

/// Neither password, nor their base64 forms as AUTH would carry them, appear in `text`.
fn assert_no_secret(text: &str) {
    let b64 = base64::engine::general_purpose::STANDARD;
    for (user, pw) in [(OWN_USER, OWN_PASSWORD), (SYS_USER, SYS_PASSWORD)] {
        for needle in [
            pw.to_owned(),
            b64.encode(pw),
            b64.encode(format!("\0{user}\0{pw}")),
        ] {
            assert!(!text.contains(&needle), "secret leaked: {needle}");
        }
    }
}

/// Queues a test mail for `tenant` to `to`, to be sent now.
async fn queue(app: &TestApp, tenant: &Tenant, to: &str) -> i64 {
    let to = EmailAddress::parse(to).unwrap();
    app.core
        .enqueue_mail(NewMail {
            tenant: Some(tenant),
            account_id: None,
            kind: MailKind::SmtpTest,
            to: &to,
            to_name: "Test",
            language: Language::En,
            data: serde_json::json!({}),
            secret: None,
            scheduled_at: None,
            campaign_id: None,
            created_by: "test",
            template: None,
        })
        .await
        .unwrap()
}

/// Waits until the mail server has accepted exactly `n` messages (and a moment longer, so a
/// stray one would show).
async fn exactly(srv: &SmtpServer, n: usize) -> Vec<common::smtp::ReceivedMail> {
    let got = srv.wait_for_messages(n, WAIT).await;
    assert_eq!(got.len(), n, "{got:#?}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = srv.messages();
    assert_eq!(got.len(), n, "{got:#?}");
    got
}

fn rcpt(m: &common::smtp::ReceivedMail) -> String {
    m.rcpt_to.join(",")
}

on_both_backends!(
    tenant_admin_checks_and_saves_an_override,
    tenant_mail_uses_the_override_only_while_it_is_on,
    page_is_for_that_tenants_admins_and_system_admins,
    csrf_is_required,
    password_is_write_only_and_bound_to_the_host,
    password_references_are_refused_from_the_console,
);

async fn tenant_admin_checks_and_saves_an_override(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sys = server(SYS_USER, SYS_PASSWORD).await;
    system_smtp(app, &sys).await;
    let own = server(OWN_USER, OWN_PASSWORD).await;
    let mut b = signed_in(app, "acme", "tadmin").await;

    // Before: the system's server applies, shown read-only, and the switch is explained.
    let page = b.get("/t/acme/admin/smtp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("uses the system's mail server"));
    assert!(page
        .body
        .contains(&format!("<code>localhost:{}</code>", sys.port())));
    assert!(page
        .body
        .contains("Send mail through this organisation's own server"));
    assert!(page
        .body
        .contains("goes through the server below instead of the system's"));
    assert!(page
        .body
        .contains("<form method=\"post\" action=\"/t/acme/admin/smtp\">"));
    assert!(!page
        .body
        .contains("id=\"enabled\" name=\"enabled\" checked"));
    // The console's navigation links the page, marked as the current one.
    assert!(page
        .body
        .contains("href=\"/t/acme/admin/smtp\" aria-current=\"page\">SMTP</a>"));
    for link in [
        "/users",
        "/settings",
        "/tasks",
        "/mail-log",
        "/templates",
        "/audit",
    ] {
        assert!(
            page.body.contains(&format!("href=\"/t/acme/admin{link}\"")),
            "{link}"
        );
    }
    assert!(
        !page.body.contains("env:NAME"),
        "no references on a tenant page"
    );
    assert_no_secret(&page.body);

    // A check of the typed values with a wrong password fails at AUTH; nothing is saved.
    let page = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&own, true, "wrong-pass-123", "check"),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("Failed at AUTH"), "{}", page.body);
    assert!(page.body.contains("535"));
    assert!(!page.body.contains("wrong-pass-123"));
    assert!(app.core.tenant_smtp(&w.acme).await.unwrap().is_none());

    // With the right password every step is shown and the test message arrives at the tenant's
    // server, not the system's.
    let page = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&own, true, OWN_PASSWORD, "check"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("The test message to admin@acme.example was accepted"),
        "{}",
        page.body
    );
    for step in [
        "Connect",
        "EHLO",
        "STARTTLS",
        "TLS",
        "AUTH",
        "MAIL FROM",
        "RCPT TO",
        "DATA",
    ] {
        assert!(page.body.contains(step), "step {step} shown");
    }
    assert!(page.body.contains("ESMTP ready"), "the server's own words");
    assert_no_secret(&page.body);
    let mails = exactly(&own, 1).await;
    assert_eq!(mails[0].auth_user.as_deref(), Some(OWN_USER));
    assert!(sys.messages().is_empty());
    assert!(app.core.tenant_smtp(&w.acme).await.unwrap().is_none());
    assert_eq!(
        app.core.smtp_for(Some(&w.acme)).await.unwrap().source,
        SmtpSource::System
    );

    // Saving switches the override on.
    let page = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&own, true, OWN_PASSWORD, "save"),
    )
    .await;
    assert_eq!(
        (page.status, page.location()),
        (303, "/t/acme/admin/smtp?notice=saved")
    );
    let eff = app.core.smtp_for(Some(&w.acme)).await.unwrap();
    assert_eq!(eff.source, SmtpSource::Tenant);
    assert_eq!(eff.settings.port, own.port());
    assert!(eff
        .settings
        .password
        .as_deref()
        .unwrap()
        .starts_with("enc:v1:"));
    // The system's settings and the other tenant are untouched.
    assert_eq!(
        app.core.system_smtp().await.unwrap().settings.port,
        sys.port()
    );
    assert_eq!(
        app.core.smtp_for(Some(&w.other)).await.unwrap().source,
        SmtpSource::System
    );
    let page = b.get("/t/acme/admin/smtp?notice=saved").await;
    assert!(page.body.contains("The SMTP settings were saved."));
    assert!(page.body.contains("sends mail through its own server"));
    assert!(page
        .body
        .contains(&format!("<code>localhost:{}</code>", own.port())));
    assert!(page
        .body
        .contains("id=\"enabled\" name=\"enabled\" checked"));
    assert!(page.body.contains("Currently: set (encrypted)"));
    assert_no_secret(&page.body);

    // The saved settings check without typing the password again (same host and port).
    let page = post(&mut b, "/t/acme/admin/smtp", &form(&own, true, "", "check")).await;
    assert!(
        page.body
            .contains("The test message to admin@acme.example was accepted"),
        "{}",
        page.body
    );
    exactly(&own, 2).await;

    // Both changes are in the tenant's audit log.
    let events = app.core.recent_audit(Some(&w.acme), 20).await.unwrap();
    assert!(events.iter().any(|e| e.action == "smtp.saved"));
    assert!(events.iter().any(|e| e.action == "smtp.checked"));
    assert!(events.iter().all(|e| !e.detail.contains(OWN_PASSWORD)));

    own.stop().await;
    sys.stop().await;
    w.app.stop().await;
}

async fn tenant_mail_uses_the_override_only_while_it_is_on(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let sys = server(SYS_USER, SYS_PASSWORD).await;
    system_smtp(app, &sys).await;
    let own = server(OWN_USER, OWN_PASSWORD).await;
    let mut b = signed_in(app, "acme", "tadmin").await;
    let page = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&own, true, OWN_PASSWORD, "save"),
    )
    .await;
    assert_eq!(page.status, 303, "{}", page.body);

    // A notice for acme's user (her password changed on the account page) goes through acme's
    // server; mail for globex through the system's.
    let mut alice = signed_in(app, "acme", "alice").await;
    let r = alice
        .post(
            "/t/acme/account/password",
            &[
                ("current_password", GOOD_PASSWORD),
                ("new_password", OTHER_PASSWORD),
                ("confirm_password", OTHER_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    queue(app, &w.other, "gus@example.org").await;
    let mails = exactly(&own, 1).await;
    assert_eq!(rcpt(&mails[0]), "alice@example.org");
    assert_eq!(mails[0].auth_user.as_deref(), Some(OWN_USER));
    assert!(mails[0].tls);
    assert!(
        mails[0].data.contains("noreply@acme.example"),
        "acme's sender"
    );
    let mails = exactly(&sys, 1).await;
    assert_eq!(rcpt(&mails[0]), "gus@example.org");
    assert_eq!(mails[0].auth_user.as_deref(), Some(SYS_USER));

    // Switched off (the rest of the settings kept, no password needed: same host and port),
    // acme's mail goes through the system's server again.
    let page = post(&mut b, "/t/acme/admin/smtp", &form(&own, false, "", "save")).await;
    assert_eq!(page.status, 303, "{}", page.body);
    let kept = app.core.tenant_smtp(&w.acme).await.unwrap().unwrap();
    assert!(!kept.enabled);
    assert_eq!(kept.port, own.port());
    assert!(kept.password.is_some(), "the password is kept while off");
    let page = b.get("/t/acme/admin/smtp").await;
    assert!(page.body.contains("uses the system's mail server"));
    assert!(page
        .body
        .contains(&format!("<code>localhost:{}</code>", sys.port())));
    assert!(!page
        .body
        .contains("id=\"enabled\" name=\"enabled\" checked"));
    queue(app, &w.acme, "bob@example.org").await;
    let mails = exactly(&sys, 2).await;
    assert!(mails.iter().any(|m| rcpt(m) == "bob@example.org"));
    assert_eq!(
        own.messages().len(),
        1,
        "nothing more through acme's server"
    );

    // And on again.
    let page = post(&mut b, "/t/acme/admin/smtp", &form(&own, true, "", "save")).await;
    assert_eq!(page.status, 303, "{}", page.body);
    queue(app, &w.acme, "carol@example.org").await;
    let mails = exactly(&own, 2).await;
    assert_eq!(rcpt(&mails[1]), "carol@example.org");
    exactly(&sys, 2).await;

    own.stop().await;
    sys.stop().await;
    w.app.stop().await;
}

async fn page_is_for_that_tenants_admins_and_system_admins(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let own = server(OWN_USER, OWN_PASSWORD).await;

    // Anonymous: to the sign-in page and back.
    let r = app.browser().get("/t/acme/admin/smtp").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location(), "/t/acme/login?next=/t/acme/admin/smtp");

    // Another tenant's administrator, and a plain user: 403, for the page and for a save with a
    // valid CSRF token.
    for (tenant, who) in [("globex", "gadmin"), ("acme", "alice")] {
        let mut b = signed_in(app, tenant, who).await;
        let r = b.get("/t/acme/admin/smtp").await;
        assert_eq!(r.status, 403, "{who}");
        assert!(!r.body.contains("localhost"), "{who} sees nothing");
        let r = post(
            &mut b,
            "/t/acme/admin/smtp",
            &form(&own, true, OWN_PASSWORD, "save"),
        )
        .await;
        assert_eq!(r.status, 403, "{who}");
        let r = post(
            &mut b,
            "/t/acme/admin/smtp",
            &form(&own, true, OWN_PASSWORD, "check"),
        )
        .await;
        assert_eq!(r.status, 403, "{who}");
    }
    assert!(app.core.tenant_smtp(&w.acme).await.unwrap().is_none());
    assert!(own.messages().is_empty() && own.connections() == 0);

    // The tenant's own administrator is no system administrator.
    let mut tadmin = signed_in(app, "acme", "tadmin").await;
    assert_eq!(tadmin.get("/admin/smtp").await.status, 403);
    assert_eq!(tadmin.get("/t/globex/admin/smtp").await.status, 403);
    assert_eq!(tadmin.get("/t/acme/admin/smtp").await.status, 200);

    // A system administrator manages any tenant's override.
    let mut root = signed_in(app, "default", "root").await;
    let page = root.get("/t/globex/admin/smtp").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("href=\"/t/globex/admin/smtp\""));
    // No system server yet: said so.
    assert!(page.body.contains("No system mail server is set up"));
    let r = post(
        &mut root,
        "/t/globex/admin/smtp",
        &form(&own, true, OWN_PASSWORD, "save"),
    )
    .await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/t/globex/admin/smtp?notice=saved")
    );
    assert_eq!(
        app.core.smtp_for(Some(&w.other)).await.unwrap().source,
        SmtpSource::Tenant
    );
    assert!(app.core.tenant_smtp(&w.acme).await.unwrap().is_none());
    // The system page is unchanged: still the system's settings, no tenant wording.
    let page = root.get("/admin/smtp").await;
    assert_eq!(page.status, 200);
    assert!(page
        .body
        .contains("<form method=\"post\" action=\"/admin/smtp\">"));
    assert!(page
        .body
        .contains("<label for=\"enabled\">Send mail</label>"));
    assert!(!page.body.contains("this organisation"));
    assert!(!page.body.contains(&own.port().to_string()));

    own.stop().await;
    w.app.stop().await;
}

async fn csrf_is_required(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let own = server(OWN_USER, OWN_PASSWORD).await;
    let mut b = signed_in(app, "acme", "tadmin").await;
    b.get("/t/acme/admin/smtp").await;
    for action in ["save", "check"] {
        let fields = form(&own, true, OWN_PASSWORD, action);
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        // No token.
        let r = b.post_raw("/t/acme/admin/smtp", &refs).await;
        assert_eq!(r.status, 403, "{action} without a token");
        // A wrong token.
        let mut wrong = vec![("csrf_token", "not-the-token")];
        wrong.extend_from_slice(&refs);
        let r = b.post_raw("/t/acme/admin/smtp", &wrong).await;
        assert_eq!(r.status, 403, "{action} with a wrong token");
    }
    assert!(app.core.tenant_smtp(&w.acme).await.unwrap().is_none());
    assert_eq!(own.connections(), 0, "no check ran");
    // With the token it works.
    let r = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&own, true, OWN_PASSWORD, "save"),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    own.stop().await;
    w.app.stop().await;
}

async fn password_is_write_only_and_bound_to_the_host(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let own = server(OWN_USER, OWN_PASSWORD).await;
    let mut b = signed_in(app, "acme", "tadmin").await;
    let r = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&own, true, OWN_PASSWORD, "save"),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);

    // Stored encrypted; no page shows it (nor its encrypted form).
    let raw: String =
        sqlx::query_scalar("SELECT value FROM settings WHERE scope = $1 AND key = 'smtp'")
            .bind(latchkey::store::settings::tenant_scope(w.acme.id))
            .fetch_one(app.core.test_store().pool())
            .await
            .unwrap();
    assert!(raw.contains("enc:v1:"));
    assert_no_secret(&raw);
    for who in [("acme", "tadmin"), ("default", "root")] {
        let mut b = signed_in(app, who.0, who.1).await;
        let page = b.get("/t/acme/admin/smtp").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("set (encrypted)"));
        assert!(page
            .body
            .contains("name=\"password\" type=\"password\" value=\"\""));
        assert_no_secret(&page.body);
        assert!(!page.body.contains("enc:v1:"));
    }

    // A new port needs the password again: refused with the form shown again, nothing changed,
    // and a check of the unsaved new server doesn't send it the stored password.
    let other = server(OWN_USER, OWN_PASSWORD).await;
    let page = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&other, true, "", "save"),
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(
        page.body.contains("enter the password again"),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!(
        "name=\"port\" type=\"text\" inputmode=\"numeric\" value=\"{}\"",
        other.port()
    )));
    assert_no_secret(&page.body);
    assert_eq!(
        app.core.tenant_smtp(&w.acme).await.unwrap().unwrap().port,
        own.port()
    );
    let page = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&other, true, "", "check"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Failed at AUTH"), "{}", page.body);
    assert!(
        !other
            .transcript()
            .iter()
            .any(|l| l.to_ascii_uppercase().starts_with("AUTH")),
        "the stored password went to a new server"
    );
    // With the password typed again it's saved.
    let r = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&other, true, OWN_PASSWORD, "save"),
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        app.core
            .smtp_for(Some(&w.acme))
            .await
            .unwrap()
            .settings
            .port,
        other.port()
    );

    // A bad value is refused with the field named.
    let mut fields = form(&other, true, "", "save");
    fields
        .iter_mut()
        .find(|(k, _)| *k == "timeout_secs")
        .unwrap()
        .1 = "0".into();
    let page = post(&mut b, "/t/acme/admin/smtp", &fields).await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("timeout"));
    own.stop().await;
    other.stop().await;
    w.app.stop().await;
}

async fn password_references_are_refused_from_the_console(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let own = server(OWN_USER, OWN_PASSWORD).await;
    // Both a tenant administrator and a system administrator: an override's references would
    // stay readable through later edits by the tenant's administrators.
    for (tenant, who) in [("acme", "tadmin"), ("default", "root")] {
        let mut b = signed_in(app, tenant, who).await;
        for reference in ["env:LATCHKEY_TEST_DATABASE_URL", "file:/etc/hostname"] {
            let page = post(
                &mut b,
                "/t/acme/admin/smtp",
                &form(&own, true, reference, "save"),
            )
            .await;
            assert_eq!(page.status, 422, "{who}: {reference}");
            assert!(page.body.contains("References"), "{}", page.body);
            assert!(app.core.tenant_smtp(&w.acme).await.unwrap().is_none());
        }
    }
    // Operators may (`latchkey smtp set --tenant`).
    let settings = SmtpSettings {
        enabled: true,
        host: "localhost".into(),
        port: own.port(),
        username: OWN_USER.into(),
        from_address: "noreply@acme.example".into(),
        extra_ca_pem: own.ca_pem(),
        ..SmtpSettings::default()
    };
    app.core
        .save_smtp(
            &Actor::Cli,
            Some(&w.acme),
            SmtpInput {
                settings,
                new_password: Some(SecretString::from("env:ACME_SMTP_PASSWORD".to_owned())),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let mut b = signed_in(app, "acme", "tadmin").await;
    let page = b.get("/t/acme/admin/smtp").await;
    assert!(page
        .body
        .contains("Currently: from environment variable ACME_SMTP_PASSWORD"));
    own.stop().await;
    w.app.stop().await;
}

/// With `LATCHKEY_SMTP_*` set the tenant page says so and has no settings form; its check uses
/// the environment's settings. The variables are read once when the app starts, so this runs
/// again in a child process of this test binary with them set (no other test sees them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_managed_tenant_page_offers_no_form() {
    const NAME: &str = "env_managed_tenant_page_offers_no_form";
    if std::env::var_os("LATCHKEY_SMTP_HOST").is_some() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            env_managed(backend).await;
        }
        return;
    }
    let srv = SmtpServer::start(SmtpOptions::default()).await; // plain, no AUTH
    let port = srv.port().to_string();
    let name = common::this_test(module_path!(), NAME);
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([name.as_str(), "--exact", "--nocapture", "--test-threads=1"])
            .env("LATCHKEY_SMTP_HOST", "127.0.0.1")
            .env("LATCHKEY_SMTP_PORT", port)
            .env("LATCHKEY_SMTP_SECURITY", "none")
            .env("LATCHKEY_SMTP_FROM", "noreply@env.example")
            .env("LATCHKEY_SMTP_TIMEOUT", "5s")
            .output()
            .expect("run this test binary again")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child run failed:\n{stdout}\n{stderr}"
    );
    // One test message per backend, through the environment's server.
    let mails = srv.wait_for_messages(2, WAIT).await;
    assert_eq!(mails.len(), 2, "{mails:#?}");
    assert!(mails.iter().all(|m| rcpt(m) == "admin@acme.example"));
    srv.stop().await;
}

async fn env_managed(backend: Backend) {
    let w = world(backend).await;
    let app = &w.app;
    let port = std::env::var("LATCHKEY_SMTP_PORT").unwrap();
    let mut b = signed_in(app, "acme", "tadmin").await;
    let page = b.get("/t/acme/admin/smtp").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("set by the environment"),
        "{}",
        page.body
    );
    assert!(page
        .body
        .contains(&format!("<code>127.0.0.1:{port}</code>")));
    for field in [
        "name=\"host\"",
        "name=\"password\"",
        "name=\"enabled\"",
        "value=\"save\"",
    ] {
        assert!(!page.body.contains(field), "no settings form: {field}");
    }
    assert!(page.body.contains("Check SMTP configuration"));

    // A save is refused whatever is posted.
    let own = server(OWN_USER, OWN_PASSWORD).await;
    let page = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&own, true, OWN_PASSWORD, "save"),
    )
    .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("environment variables"), "{}", page.body);
    assert!(app.core.tenant_smtp(&w.acme).await.unwrap().is_none());

    // The check uses the environment's settings, not what was posted.
    let page = post(
        &mut b,
        "/t/acme/admin/smtp",
        &form(&own, true, OWN_PASSWORD, "check"),
    )
    .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("The test message to admin@acme.example was accepted"),
        "{}",
        page.body
    );
    assert_eq!(own.connections(), 0);
    assert_no_secret(&page.body);
    own.stop().await;
    w.app.stop().await;
}
