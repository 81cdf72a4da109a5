//! Admin → Mail templates against a real app and a real SMTP server: a tenant administrator
//! customises a template, previews it with masked sample data, saves it, sends themselves a
//! test; invalid templates are refused with the reason; the override is what real mail uses
//! (with the real secret in the mail, the mask everywhere else); reset goes back to the
//! built-in text; languages are independent; other tenants' admins and plain users are refused;
//! HTML is escaped.

use crate::common;

use std::time::Duration;

use common::smtp::{SmtpOptions, SmtpServer, TlsMode};
use common::{Backend, TestApp, GOOD_PASSWORD};
use latchkey::domain::{EmailAddress, Language, Role, TenantSlug, Username};
use latchkey::mail::templates::{MailKind, TemplateSource, MASK};
use latchkey::mail::{Security, SmtpSettings};
use latchkey::service::{Actor, CreateAccount, NewMail, SmtpInput};
use latchkey::store::{self, Tenant};
use secrecy::SecretString;

const SMTP_USER: &str = "mailer";
const SMTP_PASSWORD: &str = "Templates-Smtp-Secret-31";
const WAIT: Duration = Duration::from_secs(10);
const EDITOR: &str = "/t/default/admin/templates/reset_link/en";
const REAL_LINK: &str = "https://x/t/default/reset?token=abc";
const BUILTIN_SUBJECT_EN: &str = "Reset your password for";

async fn app(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| {
        c.mail_poll_interval = "100ms".into();
        c.mail_retry_delay = "30s".into();
    })
    .await
}

/// A real SMTP server (STARTTLS + AUTH), configured as the system's mail server.
async fn mail_server(app: &TestApp) -> SmtpServer {
    let srv = SmtpServer::start(SmtpOptions {
        tls: TlsMode::StartTls,
        auth: Some((SMTP_USER.into(), SMTP_PASSWORD.into())),
        ..SmtpOptions::default()
    })
    .await;
    let settings = SmtpSettings {
        enabled: true,
        host: "localhost".into(),
        port: srv.port(),
        security: Security::Starttls,
        auth: true,
        username: SMTP_USER.into(),
        from_address: "noreply@example.org".into(),
        from_name: "Latchkey".into(),
        timeout_secs: 5,
        extra_ca_pem: srv.ca_pem(),
        ..SmtpSettings::default()
    };
    app.core
        .save_smtp(
            &Actor::Cli,
            None,
            SmtpInput {
                settings,
                new_password: Some(SecretString::from(SMTP_PASSWORD.to_owned())),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    srv
}

/// A tenant administrator of the default tenant, signed in.
async fn admin(app: &TestApp) -> common::Browser {
    let t = app.default_tenant().await;
    app.user_with(&t, "boss", GOOD_PASSWORD, Role::TenantAdmin)
        .await;
    let mut b = app.browser();
    let r = b.login("default", "boss", GOOD_PASSWORD).await;
    assert_eq!(r.status, 303, "{}", r.body);
    b
}

fn src(subject: &str, text: &str, html: &str) -> TemplateSource {
    TemplateSource {
        subject: subject.into(),
        text: text.into(),
        html: html.into(),
    }
}

async fn save(app: &TestApp, kind: MailKind, lang: Language, t: &TemplateSource) {
    let tenant = app.default_tenant().await;
    app.core
        .save_template(&Actor::Cli, &tenant, kind, lang, t, None)
        .await
        .unwrap();
}

async fn stored(app: &TestApp, kind: MailKind, lang: Language) -> Option<TemplateSource> {
    let tenant = app.default_tenant().await;
    app.core
        .test_store()
        .template(tenant.id, kind, lang)
        .await
        .unwrap()
}

/// Queues a mail of `kind` (with the real link as its secret when the kind has one).
async fn queue(
    app: &TestApp,
    kind: MailKind,
    lang: Language,
    to: &str,
    data: serde_json::Value,
) -> i64 {
    let tenant = app.default_tenant().await;
    let to = EmailAddress::parse(to).unwrap();
    app.core
        .enqueue_mail(NewMail {
            tenant: Some(&tenant),
            account_id: None,
            kind,
            to: &to,
            to_name: "Alice",
            language: lang,
            data,
            secret: kind
                .secret_variable()
                .map(|_| SecretString::from(REAL_LINK.to_owned())),
            scheduled_at: None,
            campaign_id: None,
            created_by: "test",
            template: None,
        })
        .await
        .unwrap()
}

async fn wait_status(app: &TestApp, id: i64, status: &str) -> store::mail::Task {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let t = app.core.test_store().task(id).await.unwrap().unwrap();
        if t.status == status {
            return t;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "task {id} stayed {} (wanted {status}): {t:?}",
            t.status
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A delivered message, decoded: subject, text part, HTML part.
#[derive(Debug)]
struct Mail {
    subject: String,
    text: String,
    html: String,
}

fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.split("\r\n").find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn quoted_printable(body: &str) -> Vec<u8> {
    let b = body.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' {
            if b.get(i + 1..i + 3) == Some(b"\r\n") {
                i += 3;
                continue;
            }
            if let Some(hex) = body.get(i + 1..i + 3) {
                if let Ok(v) = u8::from_str_radix(hex, 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn decode(raw: &str) -> Mail {
    let (head, _) = raw.split_once("\r\n\r\n").expect("headers");
    let head = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let subject = header(&head, "Subject").unwrap_or("").to_owned();
    let ct = header(&head, "Content-Type").expect("content type");
    let boundary = ct
        .split("boundary=")
        .nth(1)
        .expect("multipart")
        .trim_matches('"')
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let (mut text, mut html) = (String::new(), String::new());
    for chunk in raw.split(&format!("--{boundary}")).skip(1) {
        let chunk = chunk.trim_start_matches("\r\n");
        let Some((h, body)) = chunk.split_once("\r\n\r\n") else {
            continue;
        };
        let h = h.replace("\r\n ", " ");
        let cte = header(&h, "Content-Transfer-Encoding")
            .unwrap_or("7bit")
            .to_ascii_lowercase();
        let body = body.trim_end_matches("\r\n");
        let bytes = match cte.as_str() {
            "quoted-printable" => quoted_printable(body),
            "base64" => base64::Engine::decode(
                &base64::engine::general_purpose::STANDARD,
                body.split_whitespace().collect::<String>(),
            )
            .expect("base64 body"),
            _ => body.as_bytes().to_vec(),
        };
        let decoded = String::from_utf8(bytes)
            .expect("utf-8 body")
            .replace("\r\n", "\n");
        let ctype = header(&h, "Content-Type").unwrap_or("");
        if ctype.starts_with("text/plain") {
            text = decoded;
        } else if ctype.starts_with("text/html") {
            html = decoded;
        }
    }
    Mail {
        subject,
        text,
        html,
    }
}

on_both_backends!(
    admin_customises_previews_and_saves,
    invalid_templates_are_refused_with_the_reason,
    override_is_used_for_real_mail_and_the_secret_stays_masked,
    send_me_a_test_reaches_the_admin_with_the_mask,
    reset_to_builtin_restores_the_original,
    languages_are_independent,
    only_this_tenants_admins_may_edit,
    html_part_escapes_values,
);

async fn admin_customises_previews_and_saves(backend: Backend) {
    let app = app(backend).await;
    let mut b = admin(&app).await;

    let list = b.get("/t/default/admin/templates").await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains(&format!("href=\"{EDITOR}\"")));
    assert!(list.body.contains("/t/default/admin/templates/campaign/de"));
    assert!(
        !list.body.contains("smtp_test"),
        "the SMTP test is not editable"
    );
    assert!(!list.body.contains("customised"));
    assert!(list.body.contains("Mail templates"), "navigation link");
    let page = b.get(EDITOR).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(BUILTIN_SUBJECT_EN));
    assert!(page.body.contains("{{ reset_link }}"));
    assert!(
        page.body.contains("secret"),
        "the secret variable is marked"
    );
    assert!(
        !page.body.contains("Reset to built-in"),
        "nothing to reset yet"
    );

    let subject = "Password help for {{ tenant_name }}";
    let text = "Hi {{ name }},\r\ngo to {{ reset_link }} now.";
    let html = "<p>Hi {{ name }}</p><p><a href=\"{{ reset_link }}\">Reset</a></p>";
    let form = |action| {
        [
            ("subject", subject),
            ("text_body", text),
            ("html_body", html),
            ("action", action),
        ]
    };
    let preview = b.post(EDITOR, &form("preview")).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    let body = &preview.body;
    assert!(body.contains("Password help for Example Corp"), "{body}");
    assert!(body.contains("Hi Alex Example,\ngo to ••••••••"), "{body}");
    assert!(
        !body.contains("token=EXAMPLE"),
        "the sample secret is masked"
    );
    // The HTML part is shown as escaped source, not injected into the page.
    assert!(body.contains("&lt;p&gt;Hi Alex Example&lt;"), "{body}");
    assert!(!body.contains("<p>Hi Alex Example</p>"), "{body}");
    // A preview has no working link: the mask is text, the link goes nowhere.
    assert!(body.contains("href=&quot;#&quot;"), "{body}");
    assert_eq!(stored(&app, MailKind::ResetLink, Language::En).await, None);

    let saved = b.post(EDITOR, &form("save")).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(saved.location(), format!("{EDITOR}?notice=saved"));
    let t = stored(&app, MailKind::ResetLink, Language::En)
        .await
        .expect("saved");
    assert_eq!(t.subject, subject);
    assert_eq!(
        t.text, "Hi {{ name }},\ngo to {{ reset_link }} now.",
        "LF line ends"
    );
    assert_eq!(t.html, html);
    let page = b.get(saved.location()).await;
    assert!(page.body.contains("The template was saved"));
    assert!(page.body.contains("Password help for {{ tenant_name }}"));
    assert!(page.body.contains("Reset to built-in"));
    assert!(page.body.contains("boss@default"), "who changed it");
    let list = b.get("/t/default/admin/templates").await;
    assert!(list.body.contains("customised"));

    let events = app.core.recent_audit(None, 100).await.unwrap();
    let e = events
        .iter()
        .find(|e| e.action == "template.saved")
        .expect("audited");
    assert_eq!(e.actor, "boss@default");
    assert!(e.detail.contains("reset_link") && e.detail.contains("\"en\""));
    assert!(
        !e.detail.contains("Password help"),
        "no template text in the audit"
    );
    assert!(
        !events.iter().any(|e| e.action == "template.test_sent"),
        "preview sends nothing"
    );
    app.stop().await;
}

async fn invalid_templates_are_refused_with_the_reason(backend: Backend) {
    let app = app(backend).await;
    let mut b = admin(&app).await;
    let link_html = "<a href=\"{{ reset_link }}\">x</a>";
    let cases = [
        (
            "No link {{ name }}",
            "Hello {{ name }}",
            link_html,
            "must contain the placeholder {{ reset_link }}",
        ),
        (
            "Include",
            "{% include 'x' %}{{ reset_link }}",
            link_html,
            "include",
        ),
        (
            "Syntax",
            "{% if %}{{ reset_link }}{% endif %}",
            link_html,
            "syntax error",
        ),
        ("Unclosed", "{{ reset_link", link_html, "syntax error"),
        (
            "Safe",
            "{{ reset_link }}",
            "<p>{{ name|safe }}</p>{{ reset_link }}",
            "safe",
        ),
        (
            "Big",
            "{{ reset_link }}{{ 'x' * 100000000 }}",
            link_html,
            "`*`",
        ),
        (
            "Loop",
            "{% for i in range(9) %}{{ reset_link }}{% endfor %}",
            link_html,
            "{% for %}",
        ),
        (
            "Unknown",
            "{{ reset_link }} {{ password }}",
            link_html,
            "unknown variable `password`",
        ),
        (
            "{{ reset_link }}",
            "{{ reset_link }}",
            link_html,
            "subject: must not contain {{ reset_link }}",
        ),
    ];
    for action in ["save", "preview", "test"] {
        for (subject, text, html, reason) in cases {
            let r = b
                .post(
                    EDITOR,
                    &[
                        ("subject", subject),
                        ("text_body", text),
                        ("html_body", html),
                        ("action", action),
                    ],
                )
                .await;
            assert_eq!(r.status, 422, "{action} {text}: {}", r.body);
            assert!(
                r.body.contains("id=\"template-error\""),
                "{action} {text}: no inline error"
            );
            assert!(
                r.body.contains(reason),
                "{action} {text}: reason `{reason}` not shown:\n{}",
                r.body
            );
            // What was typed is kept.
            assert!(r.body.contains(subject), "{action}: subject not kept");
        }
    }
    assert_eq!(stored(&app, MailKind::ResetLink, Language::En).await, None);
    let events = app.core.recent_audit(None, 100).await.unwrap();
    assert!(!events.iter().any(|e| e.action.starts_with("template.")));
    let tasks = app
        .core
        .mail_tasks(&store::mail::Filter {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(tasks.is_empty(), "no test mail for an invalid template");
    // Unknown action.
    let r = b.post(EDITOR, &[("action", "publish")]).await;
    assert_eq!(r.status, 400);
    // The bodies may span lines, but no field may carry a NUL, and the subject is one line.
    for (field, value) in [
        ("text_body", "{{ reset_link }}\0"),
        ("html_body", "{{ reset_link }}\0"),
        ("subject", "Hi\r\nBcc: eve@example.org"),
    ] {
        let mut fields = vec![
            ("subject", "Hi"),
            ("text_body", "{{ reset_link }}"),
            ("html_body", "{{ reset_link }}"),
            ("action", "save"),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        assert_eq!(b.post(EDITOR, &fields).await.status, 400, "{field}");
    }
    assert_eq!(stored(&app, MailKind::ResetLink, Language::En).await, None);
    app.stop().await;
}

async fn override_is_used_for_real_mail_and_the_secret_stays_masked(backend: Backend) {
    let app = app(backend).await;
    let srv = mail_server(&app).await;
    let mut b = admin(&app).await;
    save(
        &app,
        MailKind::ResetLink,
        Language::En,
        &src(
            "Custom reset for {{ tenant_name }}",
            "Dear {{ name }}, open {{ reset_link }} within {{ valid_for }}.",
            "<p>Dear {{ name }}, <a href=\"{{ reset_link }}\">open</a></p><p>{{ reset_link }}</p>",
        ),
    )
    .await;
    let id = queue(
        &app,
        MailKind::ResetLink,
        Language::En,
        "alice@example.org",
        serde_json::json!({ "valid_for": "30 minutes" }),
    )
    .await;
    let task = app.core.test_store().task(id).await.unwrap().unwrap();
    assert_eq!(task.subject, "Custom reset for default");
    let mails = srv.wait_for_messages(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, vec!["alice@example.org".to_owned()]);
    let m = decode(&mails[0].data);
    assert_eq!(m.subject, "Custom reset for default");
    assert_eq!(
        m.text.trim_end(),
        format!("Dear Alice, open {REAL_LINK} within 30 minutes.")
    );
    assert!(
        m.html.contains(&format!("href=\"{REAL_LINK}\"")),
        "{}",
        m.html
    );
    assert!(!m.text.contains(MASK) && !m.html.contains(MASK));
    wait_status(&app, id, "done").await;

    // Everywhere else the secret is masked.
    let task = app.core.test_store().task(id).await.unwrap().unwrap();
    let masked = app.core.render_masked(&task).await.unwrap();
    assert_eq!(masked.subject, "Custom reset for default");
    assert!(
        masked.text.contains(&format!("open {MASK} within")),
        "{}",
        masked.text
    );
    assert!(!masked.text.contains("token=") && !masked.html.contains("token="));
    let page = b.get(&format!("/t/default/admin/tasks/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Custom reset for default"));
    assert!(page.body.contains(MASK));
    assert!(!page.body.contains("token=abc"));
    let log = b.get("/t/default/admin/mail-log").await;
    assert!(log.body.contains("Custom reset for default"));
    assert!(!log.body.contains("token=abc"));
    srv.stop().await;
    app.stop().await;
}

async fn send_me_a_test_reaches_the_admin_with_the_mask(backend: Backend) {
    let app = app(backend).await;
    let srv = mail_server(&app).await;
    let mut b = admin(&app).await;
    b.get(EDITOR).await;
    let r = b
        .post(
            EDITOR,
            &[
                ("subject", "Test of {{ tenant_name }}"),
                ("text_body", "Your link: {{ reset_link }} ({{ username }})"),
                (
                    "html_body",
                    "<p><a href=\"{{ reset_link }}\">{{ reset_link }}</a></p>",
                ),
                ("action", "test"),
            ],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("A test mail to boss@example.org is queued"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Test of {{ tenant_name }}"), "form kept");
    let mails = srv.wait_for_messages(1, WAIT).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].rcpt_to, vec!["boss@example.org".to_owned()]);
    let m = decode(&mails[0].data);
    assert_eq!(m.subject, "Test of default");
    assert_eq!(m.text.trim_end(), format!("Your link: {MASK} (boss)"));
    assert!(m.html.contains(MASK), "{}", m.html);
    for part in [&m.subject, &m.text, &m.html] {
        assert!(!part.contains("token="), "a test mail carries no token");
    }
    // A test saves nothing, and no reset token exists for anyone.
    assert_eq!(stored(&app, MailKind::ResetLink, Language::En).await, None);
    let events = app.core.recent_audit(None, 100).await.unwrap();
    assert!(events.iter().any(|e| e.action == "template.test_sent"));

    // An administrator without any address gets told so.
    let t = app.default_tenant().await;
    app.core
        .create_account(
            &Actor::Cli,
            &t,
            CreateAccount {
                username: Username::parse("nomail").unwrap(),
                display_name: None,
                email: None,
                reset_email: None,
                password: Some(SecretString::from(GOOD_PASSWORD.to_owned())),
                role: Role::TenantAdmin,
            },
        )
        .await
        .unwrap();
    let mut n = app.browser();
    n.login("default", "nomail", GOOD_PASSWORD).await;
    n.get(EDITOR).await;
    let r = n
        .post(
            EDITOR,
            &[
                ("subject", "Hi"),
                ("text_body", "{{ reset_link }}"),
                ("html_body", "{{ reset_link }}"),
                ("action", "test"),
            ],
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("no e-mail address"), "{}", r.body);
    srv.stop().await;
    app.stop().await;
}

async fn reset_to_builtin_restores_the_original(backend: Backend) {
    let app = app(backend).await;
    let mut b = admin(&app).await;
    save(
        &app,
        MailKind::ResetLink,
        Language::En,
        &src("Custom subject", "{{ reset_link }}", "{{ reset_link }}"),
    )
    .await;
    let id = queue(
        &app,
        MailKind::ResetLink,
        Language::En,
        "a@example.org",
        serde_json::json!({}),
    )
    .await;
    let task = app.core.test_store().task(id).await.unwrap().unwrap();
    assert_eq!(task.subject, "Custom subject");

    let page = b.get(EDITOR).await;
    assert!(page.body.contains("Reset to built-in"));
    // The reset form needs the CSRF token.
    assert_eq!(
        b.post_raw(&format!("{EDITOR}/reset"), &[]).await.status,
        403
    );
    let r = b.post(&format!("{EDITOR}/reset"), &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.location(), format!("{EDITOR}?notice=reset"));
    assert_eq!(stored(&app, MailKind::ResetLink, Language::En).await, None);
    let page = b.get(r.location()).await;
    assert!(page.body.contains("built-in one again"));
    assert!(page.body.contains(BUILTIN_SUBJECT_EN));
    assert!(!page.body.contains("Custom subject"));
    let id = queue(
        &app,
        MailKind::ResetLink,
        Language::En,
        "a@example.org",
        serde_json::json!({}),
    )
    .await;
    let task = app.core.test_store().task(id).await.unwrap().unwrap();
    assert!(
        task.subject.starts_with(BUILTIN_SUBJECT_EN),
        "{}",
        task.subject
    );
    let events = app.core.recent_audit(None, 100).await.unwrap();
    assert!(events
        .iter()
        .any(|e| e.action == "template.reset" && e.actor == "boss@default"));
    // Resetting a built-in template again changes nothing.
    let r = b.post(&format!("{EDITOR}/reset"), &[]).await;
    assert_eq!(r.status, 303);
    app.stop().await;
}

async fn languages_are_independent(backend: Backend) {
    let app = app(backend).await;
    let mut b = admin(&app).await;
    let de_editor = "/t/default/admin/templates/reset_link/de";
    let page = b.get(de_editor).await;
    assert_eq!(page.status, 200);
    let r = b
        .post(
            de_editor,
            &[
                ("subject", "Neues Passwort für {{ tenant_name }}"),
                ("text_body", "Bitte öffnen Sie {{ reset_link }}"),
                ("html_body", "<p>{{ reset_link }}</p>"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(stored(&app, MailKind::ResetLink, Language::De)
        .await
        .is_some());
    assert_eq!(stored(&app, MailKind::ResetLink, Language::En).await, None);
    let list = b.get("/t/default/admin/templates").await;
    let cell = |id: &str| {
        let at = list.body.find(&format!("id=\"{id}\"")).expect(id);
        let cell = &list.body[at..];
        cell[..cell.find("</td>").unwrap()].to_owned()
    };
    assert!(cell("tpl-reset_link-de").contains("customised"));
    assert!(!cell("tpl-reset_link-en").contains("customised"));
    assert!(b.get(EDITOR).await.body.contains(BUILTIN_SUBJECT_EN));

    let subject_of = |lang| {
        let app = &app;
        async move {
            let id = queue(
                app,
                MailKind::ResetLink,
                lang,
                "a@example.org",
                serde_json::json!({}),
            )
            .await;
            app.core
                .test_store()
                .task(id)
                .await
                .unwrap()
                .unwrap()
                .subject
        }
    };
    assert_eq!(subject_of(Language::De).await, "Neues Passwort für default");
    assert!(subject_of(Language::En)
        .await
        .starts_with(BUILTIN_SUBJECT_EN));
    // Changing English leaves German alone.
    save(
        &app,
        MailKind::ResetLink,
        Language::En,
        &src("English custom", "{{ reset_link }}", "{{ reset_link }}"),
    )
    .await;
    assert_eq!(subject_of(Language::En).await, "English custom");
    assert_eq!(subject_of(Language::De).await, "Neues Passwort für default");
    app.stop().await;
}

async fn create_tenant(app: &TestApp, slug: &str) -> Tenant {
    app.core
        .create_tenant(&Actor::Cli, &TenantSlug::parse(slug).unwrap(), None, None)
        .await
        .unwrap()
}

async fn only_this_tenants_admins_may_edit(backend: Backend) {
    let app = app(backend).await;
    let acme = create_tenant(&app, "acme").await;
    app.user_with(&acme, "acmeboss", GOOD_PASSWORD, Role::TenantAdmin)
        .await;
    app.user_with(&acme, "worker", GOOD_PASSWORD, Role::User)
        .await;
    let mut b = admin(&app).await; // admin of "default"
    let acme_editor = "/t/acme/admin/templates/reset_link/en";
    let fields = [
        ("subject", "Hijacked"),
        ("text_body", "{{ reset_link }}"),
        ("html_body", "{{ reset_link }}"),
        ("action", "save"),
    ];
    for path in ["/t/acme/admin/templates", acme_editor] {
        assert_eq!(b.get(path).await.status, 403, "{path}");
    }
    b.get(EDITOR).await;
    assert_eq!(b.post(acme_editor, &fields).await.status, 403);
    assert_eq!(
        b.post(&format!("{acme_editor}/reset"), &[]).await.status,
        403
    );
    // A plain user of acme, and nobody signed in.
    let mut u = app.browser();
    u.login("acme", "worker", GOOD_PASSWORD).await;
    for path in ["/t/acme/admin/templates", acme_editor] {
        assert_eq!(u.get(path).await.status, 403, "{path}");
    }
    u.get("/t/acme/account").await;
    assert_eq!(u.post(acme_editor, &fields).await.status, 403);
    assert_eq!(app.browser().get(acme_editor).await.status, 303);
    let none = app
        .core
        .test_store()
        .template(acme.id, MailKind::ResetLink, Language::En)
        .await
        .unwrap();
    assert_eq!(none, None);
    // Without the CSRF token even the right admin is refused.
    let mut a = app.browser();
    a.login("acme", "acmeboss", GOOD_PASSWORD).await;
    assert_eq!(a.post_raw(acme_editor, &fields).await.status, 403);
    // acme's own admin may; the SMTP test mail and unknown kinds or languages are not there.
    assert_eq!(a.get("/t/acme/admin/templates").await.status, 200);
    assert_eq!(a.post(acme_editor, &fields).await.status, 303);
    for path in [
        "/t/acme/admin/templates/smtp_test/en",
        "/t/acme/admin/templates/nope/en",
        "/t/acme/admin/templates/reset_link/fr",
    ] {
        assert_eq!(a.get(path).await.status, 404, "{path}");
    }
    assert_eq!(
        a.post(
            "/t/acme/admin/templates/smtp_test/en",
            &[
                ("subject", "x"),
                ("text_body", "x"),
                ("html_body", "x"),
                ("action", "save")
            ]
        )
        .await
        .status,
        404
    );
    // The default tenant's template is untouched by acme's.
    assert_eq!(stored(&app, MailKind::ResetLink, Language::En).await, None);
    // A system administrator may edit any tenant's templates.
    let t = app.default_tenant().await;
    app.user_with(&t, "root", GOOD_PASSWORD, Role::SystemAdmin)
        .await;
    let mut root = app.browser();
    root.login("default", "root", GOOD_PASSWORD).await;
    assert_eq!(root.get(acme_editor).await.status, 200);
    app.stop().await;
}

async fn html_part_escapes_values(backend: Backend) {
    let app = app(backend).await;
    let srv = mail_server(&app).await;
    save(
        &app,
        MailKind::PasswordChanged,
        Language::En,
        &src("Changed", "Hello {{ name }}", "<p>{{ name }}</p>"),
    )
    .await;
    queue(
        &app,
        MailKind::PasswordChanged,
        Language::En,
        "a@example.org",
        serde_json::json!({ "name": "<b>x</b>" }),
    )
    .await;
    let mails = srv.wait_for_messages(1, WAIT).await;
    let m = decode(&mails[0].data);
    assert_eq!(m.html.trim_end(), "<p>&lt;b&gt;x&lt;/b&gt;</p>");
    assert!(!m.html.contains("<b>"));
    assert_eq!(
        m.text.trim_end(),
        "Hello <b>x</b>",
        "the text part is not HTML"
    );
    srv.stop().await;
    app.stop().await;
}
