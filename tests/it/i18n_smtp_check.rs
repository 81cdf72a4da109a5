//! "Check SMTP configuration" read in German (issue 18): Latchkey's own words in the answer
//! column, in the failure's detail of the summary and in OAuth token errors are German; what the
//! mail server, the operating system or the token endpoint said is quoted as it came. The API
//! and the CLI keep English (tests/it/api_smtp.rs, tests/it/cli_smtp_check.rs, and the English
//! assertions of tests/it/smtp_check.rs and tests/it/smtp_oauth.rs). On SQLite and PostgreSQL.

use crate::common;

use common::oauth as ep;
use common::smtp::{closed_port, SmtpOptions, SmtpServer, TlsMode};
use common::{Backend, Browser, Page, TestApp, GOOD_PASSWORD};
use latchkey::domain::Role;

on_both_backends!(
    starttls_not_offered_in_german,
    refused_sign_in_in_german,
    oauth_token_errors_in_german,
    settings_refused_in_german,
    unbuildable_test_message_in_german,
    sent_notes_in_german,
    the_test_message_in_the_organisations_language,
);

const SMTP_USER: &str = "mailer";
const SMTP_PASSWORD: &str = "Sm7p-pa55word-very-secret";

/// A system administrator of `app` who reads German, signed in.
async fn german_root(app: &TestApp) -> Browser {
    let default = app.default_tenant().await;
    app.user_with(&default, "root", GOOD_PASSWORD, Role::SystemAdmin)
        .await;
    let mut root = app.browser();
    assert_eq!(
        root.login("default", "root", GOOD_PASSWORD).await.status,
        303
    );
    root.get("/t/default/account").await;
    let r = root
        .post("/t/default/account/preferences", &[("language", "de")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    root.get("/admin/smtp").await;
    root
}

/// The form for a password sign-in against `srv` on `localhost`, checking (not saving).
fn password_form(srv: &SmtpServer, security: &str, password: &str) -> Vec<(&'static str, String)> {
    vec![
        ("enabled", "on".to_owned()),
        ("host", "localhost".to_owned()),
        ("port", srv.port().to_string()),
        ("security", security.to_owned()),
        ("auth", "on".to_owned()),
        ("sign_in", "password".to_owned()),
        ("username", SMTP_USER.to_owned()),
        ("password", password.to_owned()),
        ("from_address", "noreply@example.org".to_owned()),
        ("from_name", "Beispiel".to_owned()),
        ("timeout_secs", "5".to_owned()),
        ("max_per_hour", "0".to_owned()),
        ("extra_ca_pem", srv.ca_pem()),
        ("oauth_mechanism", "xoauth2".to_owned()),
        ("action", "check".to_owned()),
    ]
}

async fn check(b: &mut Browser, fields: &[(&'static str, String)]) -> Page {
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let page = b.post("/admin/smtp", &refs).await;
    assert_eq!(page.status, 200, "{}", page.body);
    page
}

/// The test server's replies that have English words in them (its own, quoted as they came).
const SERVER_WORDS: [&str; 3] = [
    "Ready to start TLS",
    "Authentication successful",
    "End data with",
];

/// `page` without the words quoted from another system (the test server's, and `quoted`),
/// checked for English.
fn no_english_but(what: &str, page: &Page, quoted: &[&str]) {
    let mut body = page.body.clone();
    for q in SERVER_WORDS.iter().chain(quoted) {
        body = body.replace(q, "");
    }
    let page = Page {
        status: page.status,
        headers: page.headers.clone(),
        body,
    };
    crate::i18n_console_mail::assert_no_english(what, &page);
}

/// A server without STARTTLS while the settings ask for it: the answer column and the summary
/// say so in German (they said "STARTTLS not offered" and "the server does not offer
/// STARTTLS").
async fn starttls_not_offered_in_german(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let srv = SmtpServer::start(SmtpOptions {
        tls: TlsMode::None,
        auth: Some((SMTP_USER.to_owned(), SMTP_PASSWORD.to_owned())),
        ..SmtpOptions::default()
    })
    .await;
    let mut root = german_root(&app).await;
    let page = check(&mut root, &password_form(&srv, "starttls", SMTP_PASSWORD)).await;
    no_english_but("no STARTTLS", &page, &[]);
    let text = crate::i18n::visible_text(&page.body);
    assert!(text.contains("STARTTLS nicht angeboten"), "{text}");
    assert!(
        text.contains("Fehlgeschlagen bei STARTTLS: der Server bietet kein STARTTLS an"),
        "{text}"
    );
    // Connected, in German (the address as it is).
    assert!(text.contains("verbunden mit 127.0.0.1:"), "{text}");
    assert!(!text.contains("not offered") && !text.contains("does not offer"));
    // The audit log keeps the summary in English and its message beside it: German on the page.
    let audit = root.get("/admin/audit?action=smtp.checked").await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert!(
        audit.body.contains(
            "<dt>Zusammenfassung</dt><dd>Fehlgeschlagen bei STARTTLS: der Server bietet kein STARTTLS an"
        ),
        "{}",
        audit.body
    );
    assert!(!audit.body.contains("does not offer"), "{}", audit.body);
    let stored: String = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE action = 'smtp.checked' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.core.test_store().pool())
    .await
    .unwrap();
    let stored: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert!(
        stored["summary"]
            .as_str()
            .is_some_and(|s| s.contains("does not offer STARTTLS")),
        "{stored}"
    );
    assert_eq!(
        stored["summary_msg"]["id"], "console-smtp-failed-at",
        "{stored}"
    );
    srv.stop().await;
    app.stop().await;
}

/// The server refuses the password: its reply is quoted as it came, everything around it —
/// the TLS step's answer, the failure's step, the hint — is German.
async fn refused_sign_in_in_german(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let srv = SmtpServer::start(SmtpOptions {
        tls: TlsMode::StartTls,
        auth: Some((SMTP_USER.to_owned(), SMTP_PASSWORD.to_owned())),
        ..SmtpOptions::default()
    })
    .await;
    let mut root = german_root(&app).await;
    let page = check(
        &mut root,
        &password_form(&srv, "starttls", "Wrong-but-also-secret-1"),
    )
    .await;
    let text = crate::i18n::visible_text(&page.body);
    // The server's own words.
    let refusal = "Username and Password not accepted";
    assert!(text.contains(refusal), "{text}");
    no_english_but("refused AUTH", &page, &[refusal]);
    assert!(text.contains("Fehlgeschlagen bei AUTH: 535"), "{text}");
    assert!(
        text.contains("Zertifikat für localhost geprüft"),
        "the TLS step in German: {text}"
    );
    assert!(
        text.contains("Benutzername oder Passwort abgelehnt"),
        "{text}"
    );
    assert!(!text.contains("certificate verified"), "{text}");
    srv.stop().await;
    app.stop().await;
}

/// OAuth with Microsoft 365: a refused client secret (the provider's error quoted, the hint in
/// German) and a token endpoint that can't be reached (Latchkey's words in German around the
/// system's).
async fn oauth_token_errors_in_german(backend: Backend) {
    let r = crate::smtp_oauth::rig(backend).await;
    let mut root = german_root(&r.app).await;
    let form = |authority: String, secret: &str| {
        vec![
            ("enabled", "on".to_owned()),
            ("host", "localhost".to_owned()),
            ("port", r.srv.port().to_string()),
            ("security", "starttls".to_owned()),
            ("auth", "on".to_owned()),
            ("sign_in", "microsoft".to_owned()),
            ("username", crate::smtp_oauth::MAILBOX.to_owned()),
            ("password", String::new()),
            ("oauth_tenant", ep::MS_TENANT.to_owned()),
            ("oauth_client_id", ep::MS_CLIENT_ID.to_owned()),
            ("oauth_client_secret", secret.to_owned()),
            ("oauth_private_key", String::new()),
            ("oauth_certificate_pem", String::new()),
            ("oauth_authority", authority),
            ("oauth_scope", String::new()),
            ("oauth_mechanism", "xoauth2".to_owned()),
            ("from_address", crate::smtp_oauth::MAILBOX.to_owned()),
            ("from_name", "Beispiel".to_owned()),
            ("timeout_secs", "5".to_owned()),
            ("max_per_hour", "0".to_owned()),
            ("extra_ca_pem", r.ca.cert_pem.clone()),
            ("action", "check".to_owned()),
        ]
    };

    // A working token first: the Token step's answer in German.
    let page = check(&mut root, &form(r.endpoint.authority(), ep::MS_SECRET)).await;
    let text = crate::i18n::visible_text(&page.body);
    assert!(
        text.contains("Zugriffstoken erhalten (gültig für"),
        "{text}"
    );
    // The token request as sent, Latchkey's note of its kind in German.
    assert!(
        text.contains("token (Client-Credentials, Client-Geheimnis)"),
        "{text}"
    );
    assert!(!text.contains("client credentials"), "{text}");
    no_english_but("token received", &page, &[]);

    let page = check(&mut root, &form(r.endpoint.authority(), "not-the-secret")).await;
    let text = crate::i18n::visible_text(&page.body);
    assert!(text.contains("AADSTS7000215"), "{text}");
    assert!(text.contains("Das Client-Geheimnis ist falsch"), "{text}");
    assert!(!text.contains("The client secret is wrong"), "{text}");
    assert!(
        text.contains("Fehlgeschlagen bei Token: HTTP 401"),
        "{text}"
    );

    let nowhere = format!("https://localhost:{}", closed_port());
    let page = check(&mut root, &form(nowhere, ep::MS_SECRET)).await;
    let text = crate::i18n::visible_text(&page.body);
    assert!(
        text.contains("der Token-Endpunkt ist nicht erreichbar: "),
        "{text}"
    );
    assert!(
        text.contains("Prüfen Sie die Authority (den Anmelde-Host)"),
        "{text}"
    );
    assert!(
        !text.contains("could not be reached") && !text.contains("Check the authority"),
        "{text}"
    );
    r.app.stop().await;
}

/// The SMTP settings' own refusals (the host field, the timeout's range, the username) in
/// German.
async fn settings_refused_in_german(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let srv = SmtpServer::start(SmtpOptions::default()).await;
    let mut root = german_root(&app).await;
    let cases: [(&str, &str, &str); 4] = [
        ("host", "smtp.example.org:25", "enthält einen Port"),
        ("host", "smtp..example.org", "hat einen leeren Namensteil"),
        (
            "timeout_secs",
            "0",
            "Zeitlimit: muss zwischen 1 und 300 Sekunden liegen",
        ),
        (
            "username",
            "",
            "Benutzername: Die Authentifizierung ist eingeschaltet",
        ),
    ];
    for (name, value, german) in cases {
        let mut fields = password_form(&srv, "none", SMTP_PASSWORD);
        for (k, v) in fields.iter_mut() {
            if *k == name {
                *v = value.to_owned();
            }
            if *k == "action" {
                *v = "save".to_owned();
            }
        }
        let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = root.post("/admin/smtp", &refs).await;
        assert_eq!(page.status, 422, "{name}={value}: {}", page.body);
        no_english_but(&format!("{name}={value}"), &page, &[]);
        let text = crate::i18n::visible_text(&page.body);
        assert!(text.contains(german), "{name}={value}: {text}");
    }
    srv.stop().await;
    app.stop().await;
}

/// Settings switched off aren't checked for a sender, but the check's test message needs one:
/// the failure's detail says so in German.
async fn unbuildable_test_message_in_german(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let srv = SmtpServer::start(SmtpOptions::default()).await;
    let mut root = german_root(&app).await;
    let mut fields: Vec<(&'static str, String)> = password_form(&srv, "none", "")
        .into_iter()
        .filter(|(k, _)| !matches!(*k, "enabled" | "auth"))
        .collect();
    for (k, v) in fields.iter_mut() {
        if *k == "from_address" {
            v.clear();
        }
    }
    fields.push(("test_to", "admin@example.org".to_owned()));
    let page = check(&mut root, &fields).await;
    let text = crate::i18n::visible_text(&page.body);
    assert!(
        text.contains(
            "Fehlgeschlagen bei DATA: die Nachricht konnte nicht erstellt werden: Absenderadresse:"
        ),
        "{text}"
    );
    no_english_but("unbuildable", &page, &[]);
    srv.stop().await;
    app.stop().await;
}

/// The "Sent" column: the commands as sent, and Latchkey's note for the test message it sent
/// ("(message)") in German; the API and the CLI keep the English (tests/it/api_smtp.rs).
async fn sent_notes_in_german(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let srv = SmtpServer::start(SmtpOptions {
        tls: TlsMode::StartTls,
        auth: Some((SMTP_USER.to_owned(), SMTP_PASSWORD.to_owned())),
        ..SmtpOptions::default()
    })
    .await;
    let mut root = german_root(&app).await;
    let mut fields = password_form(&srv, "starttls", SMTP_PASSWORD);
    fields.push(("test_to", "admin@example.org".to_owned()));
    let page = check(&mut root, &fields).await;
    // (The step's name `RCPT TO` is protocol.)
    no_english_but("a test message sent", &page, &["RCPT TO"]);
    assert!(
        page.body.contains("<code>(Nachricht)</code>"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("(message)"), "{}", page.body);
    // The commands themselves are protocol, as sent.
    assert!(page.body.contains("<code>STARTTLS</code>"), "{}", page.body);
    assert!(
        page.body
            .contains("<code>RCPT TO:&lt;admin@example.org&gt;</code>"),
        "{}",
        page.body
    );
    srv.stop().await;
    app.stop().await;
}

/// The test message of "Check SMTP configuration" is in the organisation's language (it was
/// always English, and had no template to change that): here the system's, the default
/// tenant's German.
async fn the_test_message_in_the_organisations_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let srv = SmtpServer::start(SmtpOptions {
        tls: TlsMode::StartTls,
        auth: Some((SMTP_USER.to_owned(), SMTP_PASSWORD.to_owned())),
        ..SmtpOptions::default()
    })
    .await;
    let home = app.default_tenant().await;
    let mut german = home.clone();
    german.settings.default_language = latchkey::domain::Language::De;
    let saved = app
        .core
        .update_tenant(&latchkey::service::Actor::Cli, &german, &home);
    saved.await.unwrap();
    let mut root = german_root(&app).await;
    let mut fields = password_form(&srv, "starttls", SMTP_PASSWORD);
    fields.push(("test_to", "admin@example.org".to_owned()));
    check(&mut root, &fields).await;
    let mails = srv
        .wait_for_messages(1, std::time::Duration::from_secs(10))
        .await;
    assert!(
        mails[0].data.contains("Subject: Latchkey: SMTP-Test"),
        "{}",
        mails[0].data
    );
    let text = common::mail_text(&mails[0].data);
    assert!(text.contains("Dies ist eine Testnachricht"), "{text}");
    srv.stop().await;
    app.stop().await;
}
