//! A tenant's own mail server can't be this machine or the internal network, however the host
//! is spelled and whatever its name resolves to when mail is sent (issue 12, item 3): hosts are
//! parsed strictly (a DNS name or an IP literal, nothing else), and every connection made for a
//! tenant's own settings resolves the host once, checks every address against the non-public
//! ranges and connects only to checked addresses — at save time, at "Check SMTP configuration"
//! (page and API) and at delivery. Operators (CLI) and `tenant_smtp_allow_private_hosts` may use
//! internal hosts; the system's own server may always be a local relay. On SQLite and
//! PostgreSQL.

use crate::common;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::smtp::{SmtpOptions, SmtpServer, TlsMode};
use common::{Backend, Browser, TestApp, GOOD_PASSWORD};
use latchkey::config::Config;
use latchkey::domain::{EmailAddress, Language, Role, TenantSlug};
use latchkey::mail::templates::MailKind;
use latchkey::mail::{Security, SmtpSettings};
use latchkey::service::{Actor, NewMail, SmtpInput};
use latchkey::store::{self, Tenant};
use serde_json::json;
use tokio::net::TcpListener;

const WAIT: Duration = Duration::from_secs(10);

/// Host spellings that are not a DNS name or an IP literal in its usual form: refused for
/// everyone, operators included, with a message about the host field.
const MALFORMED: &[&str] = &[
    "[::1]",
    "[::ffff:127.0.0.1]",
    "[127.0.0.1]",
    "2130706433",
    "0x7f000001",
    "0x7f.1",
    "0x7f.0x0.0x0.0x1",
    "127.1",
    "127.0.1",
    "0177.0.0.1",
    "127.0.0.01",
    "127.000.000.001",
    "127.0.0.1.",
    "1.2.3.4.5",
    "256.1.1.1",
    "example.0x10",
    "example.123",
    "host:25",
    "localhost:25",
    "127.0.0.1:25",
    "::1%lo",
    "fe80::1%1",
    "a b",
    "local host",
    "a..example",
    ".example",
    "example..",
    "-mail.example",
    "mail-.example",
    "mail_relay.example",
    "exämple.org",
    "lоcalhost", // Cyrillic о
    "local%68ost",
    "%6c%6f%63%61%6c%68%6f%73%74",
    "localhost/",
    "user@localhost",
    "smtp://localhost",
    "*.example.org",
];

/// Hosts that parse but are (or resolve to) internal or otherwise non-public addresses, or don't
/// resolve at all: refused for a tenant's own server unless the operator allows internal hosts.
const INTERNAL: &[&str] = &[
    "localhost",
    "LOCALHOST",
    "LocalHost",
    "localhost.",
    "mail.localhost",
    "no-such-host.invalid",
    "invalid",
    "127.0.0.1",
    "127.255.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "100.127.255.254",
    "192.0.0.1",
    "192.0.2.1",
    "198.51.100.1",
    "203.0.113.1",
    "198.18.0.1",
    "198.19.255.255",
    "192.88.99.1",
    "224.0.0.1",
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::1",
    "0:0:0:0:0:0:0:1",
    "::",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "0:0:0:0:0:ffff:127.0.0.1",
    "::FFFF:127.0.0.1",
    "::ffff:10.0.0.1",
    "::ffff:8.8.8.8",
    "::127.0.0.1",
    "::7f00:1",
    "::ffff:0:7f00:1",
    "64:ff9b::7f00:1",
    "64:ff9b::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::7f00:1",
    "64:ff9b:1::808:808",
    "2002:7f00:1::",
    "2002:7f00:0001::1",
    "2002:a00:1::1",
    "2002:c0a8:101::1",
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:db8::25",
    "3fff::1",
    "100::1",
    "fc00::1",
    "fd12:3456:789a::1",
    "fe80::1",
    "febf::1",
    "fec0::1",
    "ff02::1",
    "ff05::2",
    "5f00::1",
];

/// A listener on 127.0.0.1 and ::1 (same port) that counts every connection: none may arrive.
struct Trap {
    port: u16,
    hits: Arc<AtomicUsize>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Trap {
    async fn start() -> Trap {
        let hits = Arc::new(AtomicUsize::new(0));
        for _ in 0..50 {
            let v4 = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
            let port = v4.local_addr().unwrap().port();
            let mut listeners = vec![v4];
            match TcpListener::bind((Ipv6Addr::LOCALHOST, port)).await {
                Ok(v6) => listeners.push(v6),
                // No IPv6 loopback on this machine: nothing can connect there either.
                Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {}
                Err(_) => continue,
            }
            let tasks = listeners
                .into_iter()
                .map(|l| {
                    let hits = hits.clone();
                    tokio::spawn(async move {
                        while let Ok((_s, _)) = l.accept().await {
                            hits.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            return Trap { port, hits, tasks };
        }
        panic!("no free port on both 127.0.0.1 and ::1");
    }

    fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Trap {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// An app with tenant `acme` (administrator `tadmin`).
async fn app_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> (TestApp, Tenant) {
    let app = TestApp::spawn_with(backend, |c| {
        c.mail_poll_interval = "100ms".into();
        c.mail_retry_delay = "1h".into();
        tweak(c);
    })
    .await;
    let acme = app
        .core
        .create_tenant(&Actor::Cli, &TenantSlug::parse("acme").unwrap(), None, None)
        .await
        .unwrap();
    app.user_with(&acme, "tadmin", GOOD_PASSWORD, Role::TenantAdmin)
        .await;
    (app, acme)
}

async fn signed_in(app: &TestApp) -> Browser {
    let mut b = app.browser();
    let r = b.login("acme", "tadmin", GOOD_PASSWORD).await;
    assert_eq!(r.status, 303);
    b.get("/t/acme/admin/smtp").await;
    b
}

/// The tenant's stored SMTP document, as the database holds it.
async fn stored(app: &TestApp, tenant: &Tenant) -> Option<String> {
    app.core
        .test_store()
        .setting(&store::settings::tenant_scope(tenant.id), "smtp")
        .await
        .unwrap()
}

/// Writes a tenant's SMTP settings straight into the store, as a version before the strict
/// checks (or a name that resolved elsewhere at save time) would have left them.
async fn store_settings(app: &TestApp, tenant: &Tenant, host: &str, port: u16) {
    let settings = SmtpSettings {
        enabled: true,
        host: host.into(),
        port,
        security: Security::None,
        auth: false,
        from_address: "noreply@acme.example".into(),
        timeout_secs: 3,
        ..SmtpSettings::default()
    };
    app.core
        .test_store()
        .put_setting(
            &store::settings::tenant_scope(tenant.id),
            "smtp",
            &serde_json::to_string(&settings).unwrap(),
            app.core.now(),
        )
        .await
        .unwrap();
}

fn page_form<'a>(host: &'a str, port: &'a str, action: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("enabled", "on"),
        ("host", host),
        ("port", port),
        ("security", "none"),
        ("from_address", "noreply@acme.example"),
        ("timeout_secs", "3"),
        ("action", action),
    ]
}

/// The page's error message (the text of its error paragraph), for failure output.
fn error_text(body: &str) -> String {
    let Some(at) = body.find("class=\"error\"") else {
        return String::new();
    };
    let rest = &body[at..];
    rest[..rest.find("</").unwrap_or(rest.len())].to_owned()
}

/// Whether the page's message names the problem with the host clearly.
fn explains_host(body: &str) -> bool {
    let e = error_text(body);
    e.contains("host:")
        || e.contains("internal address")
        || e.contains("not a public")
        || e.contains("could not be resolved")
}

on_both_backends!(
    page_refuses_every_spelling_on_save_and_check,
    api_refuses_every_spelling_on_put_and_check,
    delivery_never_connects_to_a_stored_internal_host,
    internal_hosts_work_where_the_operator_allows_them,
    tls_is_verified_for_the_name_not_the_address,
    an_operators_partial_edit_does_not_approve_a_tenants_host,
    an_unreachable_server_is_tried_once_per_round,
    an_operator_approves_a_tenant_relay_by_naming_its_host,
);

/// The tenant page, as the tenant's administrator: every spelling is refused on save (nothing
/// stored) and on check (422, no connection) with a message about the host.
async fn page_refuses_every_spelling_on_save_and_check(backend: Backend) {
    let (app, acme) = app_with(backend, |_| {}).await;
    let trap = Trap::start().await;
    let port = trap.port.to_string();
    let mut b = signed_in(&app).await;
    for host in MALFORMED.iter().chain(INTERNAL) {
        for action in ["save", "check"] {
            let r = b
                .post("/t/acme/admin/smtp", &page_form(host, &port, action))
                .await;
            assert_eq!(
                r.status,
                422,
                "{action} `{host}` must be refused: {}",
                error_text(&r.body)
            );
            assert!(
                explains_host(&r.body),
                "{action} `{host}`: unclear message {:?}",
                error_text(&r.body)
            );
        }
    }
    assert_eq!(stored(&app, &acme).await, None, "nothing was saved");
    assert_eq!(trap.hits(), 0, "nothing connected to this machine");
    // Malformed spellings name the host field and say what to write instead.
    for (host, says) in [
        ("[::1]", "without brackets"),
        ("host:25", "port"),
        ("127.1", "four decimal numbers"),
        ("2130706433", "four decimal numbers"),
        ("exämple.org", "xn--"),
        ("a b", "space"),
    ] {
        let r = b
            .post("/t/acme/admin/smtp", &page_form(host, &port, "save"))
            .await;
        let e = error_text(&r.body);
        assert!(e.contains("host:") && e.contains(says), "`{host}`: {e}");
    }
    let r = b
        .post("/t/acme/admin/smtp", &page_form("::1", &port, "check"))
        .await;
    assert!(
        error_text(&r.body).contains("internal address ::1: loopback (this machine)"),
        "{}",
        r.body
    );
    app.stop().await;
}

/// `/api/v1/tenants/{t}/smtp` with a tenant key: PUT refuses every spelling; the check refuses
/// every spelling found in the store (settings saved before the strict checks).
async fn api_refuses_every_spelling_on_put_and_check(backend: Backend) {
    let (app, acme) = app_with(backend, |_| {}).await;
    let trap = Trap::start().await;
    let api = app.api();
    let key = api.key(Some(&acme), &["settings:write"]).await;
    for host in MALFORMED.iter().chain(INTERNAL) {
        let body = json!({
            "enabled": true, "host": host, "port": trap.port, "security": "none",
            "auth": false, "from_address": "noreply@acme.example", "timeout_secs": 3,
        });
        let (status, err) = api
            .call("PUT", "/api/v1/tenants/acme/smtp", Some(&key), Some(&body))
            .await;
        assert_eq!(status, 422, "PUT `{host}`: {err}");
        let msg = err["error"]["message"].as_str().unwrap_or_default();
        assert!(
            msg.contains("host:")
                || msg.contains("internal address")
                || msg.contains("could not be resolved"),
            "PUT `{host}`: {msg}"
        );
        assert_eq!(stored(&app, &acme).await, None, "PUT `{host}` stored");

        store_settings(&app, &acme, host, trap.port).await;
        let (status, r) = api
            .call(
                "POST",
                "/api/v1/tenants/acme/smtp/check",
                Some(&key),
                Some(&json!({})),
            )
            .await;
        assert!(
            status == 422 && r["error"]["message"].is_string(),
            "check of stored `{host}`: {status} {r}"
        );
        app.core
            .test_store()
            .delete_setting(&store::settings::tenant_scope(acme.id), "smtp")
            .await
            .unwrap();
    }
    assert_eq!(trap.hits(), 0, "nothing connected to this machine");
    app.stop().await;
}

/// Queues a test mail for `tenant`, to be sent now.
async fn queue(app: &TestApp, tenant: &Tenant) -> i64 {
    let to = EmailAddress::parse("someone@example.org").unwrap();
    app.core
        .enqueue_mail(NewMail {
            tenant: Some(tenant),
            account_id: None,
            kind: MailKind::SmtpTest,
            to: &to,
            to_name: "Someone",
            language: Language::En,
            data: json!({}),
            secret: None,
            scheduled_at: None,
            campaign_id: None,
            created_by: "test",
            template: None,
        })
        .await
        .unwrap()
}

async fn log_rows(app: &TestApp, task: i64) -> Vec<store::mail::LogEntry> {
    let f = store::mail::Filter {
        task_id: Some(task),
        limit: 100,
        ..Default::default()
    };
    app.core.mail_log(&f).await.unwrap()
}

/// Waits for the first attempt at `task` and returns its mail-log row.
async fn first_attempt(app: &TestApp, task: i64) -> store::mail::LogEntry {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if let Some(row) = log_rows(app, task).await.pop() {
            return row;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "task {task} was never attempted"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// A plain SMTP server on 127.0.0.1 (what `localhost` resolves to).
async fn loopback_server() -> SmtpServer {
    SmtpServer::start(SmtpOptions {
        tls: TlsMode::None,
        ..SmtpOptions::default()
    })
    .await
}

/// Stored tenant settings that point at this machine — saved before the strict checks, or a
/// name that resolved to a public address at save time and to loopback now (DNS rebinding) —
/// never get a connection at delivery: the mail log says why, and the mail is not sent.
async fn delivery_never_connects_to_a_stored_internal_host(backend: Backend) {
    let (app, acme) = app_with(backend, |_| {}).await;
    let srv = loopback_server().await;
    let trap = Trap::start().await;
    for (host, port, says) in [
        ("localhost", srv.port(), "internal address"),
        ("127.0.0.1", srv.port(), "internal address"),
        ("::ffff:127.0.0.1", srv.port(), "internal address"),
        ("[::1]", trap.port, "host:"),
        ("::1", trap.port, "internal address"),
        ("127.1", srv.port(), "host:"),
        ("2130706433", srv.port(), "host:"),
    ] {
        store_settings(&app, &acme, host, port).await;
        let id = queue(&app, &acme).await;
        let row = first_attempt(&app, id).await;
        assert_eq!(row.success, 0, "`{host}`: {row:?}");
        assert_eq!(row.step.as_deref(), Some("Connect"), "`{host}`: {row:?}");
        assert!(
            row.smtp_reply.contains(says),
            "`{host}`: {}",
            row.smtp_reply
        );
        let task = app.core.test_store().task(id).await.unwrap().unwrap();
        assert_ne!(task.status, "done", "`{host}`: {task:?}");
        app.core
            .test_store()
            .cancel(id, None, app.core.now())
            .await
            .unwrap();
    }
    assert_eq!(
        srv.connections(),
        0,
        "the loopback server saw no connection"
    );
    assert!(srv.messages().is_empty());
    assert_eq!(trap.hits(), 0);
    srv.stop().await;
    app.stop().await;
}

/// With `tenant_smtp_allow_private_hosts` a tenant's own server may be on this machine, and
/// an operator (CLI) may point a tenant at an internal relay without it; the system's server is
/// always the operator's choice.
async fn internal_hosts_work_where_the_operator_allows_them(backend: Backend) {
    // Allowed by the operator's setting: the page saves `localhost`, delivery uses it.
    let (app, acme) = app_with(backend, |c| c.tenant_smtp_allow_private_hosts = true).await;
    let srv = loopback_server().await;
    let port = srv.port().to_string();
    let mut b = signed_in(&app).await;
    let r = b
        .post("/t/acme/admin/smtp", &page_form("localhost", &port, "save"))
        .await;
    assert_eq!(r.status, 303, "{}", error_text(&r.body));
    let id = queue(&app, &acme).await;
    assert_eq!(srv.wait_for_messages(1, WAIT).await.len(), 1);
    assert_eq!(first_attempt(&app, id).await.success, 1);
    srv.stop().await;
    app.stop().await;

    // Not allowed, but set by an operator with the CLI: delivery uses it; a tenant key's check
    // still won't connect there.
    let (app, acme) = app_with(backend, |_| {}).await;
    let srv = loopback_server().await;
    let settings = SmtpSettings {
        enabled: true,
        host: "localhost".into(),
        port: srv.port(),
        security: Security::None,
        auth: false,
        from_address: "noreply@acme.example".into(),
        timeout_secs: 3,
        ..SmtpSettings::default()
    };
    app.core
        .save_smtp(
            &Actor::Cli,
            Some(&acme),
            SmtpInput {
                settings: settings.clone(),
                new_password: None,
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let id = queue(&app, &acme).await;
    assert_eq!(srv.wait_for_messages(1, WAIT).await.len(), 1);
    assert_eq!(first_attempt(&app, id).await.success, 1);
    let connections = srv.connections();
    let api = app.api();
    let key = api.key(Some(&acme), &["settings:write"]).await;
    let (status, r) = api
        .call(
            "POST",
            "/api/v1/tenants/acme/smtp/check",
            Some(&key),
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, 422, "{r}");
    assert_eq!(srv.connections(), connections);
    // The tenant administrator changes something else: the host is now the tenant's choice,
    // which must be public — the save is refused and delivery keeps the operator's settings.
    let mut b = signed_in(&app).await;
    let port = srv.port().to_string();
    let mut form = page_form("localhost", &port, "save");
    form.push(("from_name", "Acme"));
    let r = b.post("/t/acme/admin/smtp", &form).await;
    assert_eq!(r.status, 422, "{}", error_text(&r.body));
    let id = queue(&app, &acme).await;
    assert_eq!(srv.wait_for_messages(2, WAIT).await.len(), 2);
    assert_eq!(first_attempt(&app, id).await.success, 1);

    // The system's own server may be a local relay: a tenant without its own server sends
    // through it.
    app.core
        .test_store()
        .delete_setting(&store::settings::tenant_scope(acme.id), "smtp")
        .await
        .unwrap();
    app.core
        .save_smtp(
            &Actor::Cli,
            None,
            SmtpInput {
                settings,
                new_password: None,
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let id = queue(&app, &acme).await;
    assert_eq!(srv.wait_for_messages(3, WAIT).await.len(), 3);
    assert_eq!(first_attempt(&app, id).await.success, 1);
    srv.stop().await;
    app.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The parser and the range classifier on their own
// ---------------------------------------------------------------------------------------------

use latchkey::mail::host::{non_public, resolve, Destinations, HostError};
use latchkey::mail::SmtpHost;
use std::net::IpAddr;

#[test]
fn malformed_hosts_are_refused_with_a_message_about_the_host_field() {
    for host in MALFORMED {
        let e = SmtpHost::parse(host).expect_err(host);
        assert!(e.to_string().starts_with("host: "), "`{host}`: {}", e);
        // The settings' validation (every face: page, API, CLI, LATCHKEY_SMTP_*) says the same.
        let s = SmtpSettings {
            host: (*host).into(),
            ..SmtpSettings::default()
        };
        assert_eq!(s.validate().unwrap_err().0, e.0, "`{host}`");
    }
}

#[test]
fn names_and_usual_literals_parse() {
    for (raw, tls_name) in [
        ("smtp.example.org", "smtp.example.org"),
        ("  SMTP.Example.ORG ", "smtp.example.org"),
        ("mail.example.org.", "mail.example.org"),
        ("localhost", "localhost"),
        ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ("1.example.com", "1.example.com"),
        ("123abc.example", "123abc.example"),
        ("example.0xg", "example.0xg"),
        ("a-b.c-d", "a-b.c-d"),
        (
            &format!("{}.example", "a".repeat(63)),
            &format!("{}.example", "a".repeat(63)),
        ),
        ("192.0.2.25", "192.0.2.25"),
        ("8.8.8.8", "8.8.8.8"),
        ("2001:db8::25", "2001:db8::25"),
        ("2606:4700:4700::1111", "2606:4700:4700::1111"),
    ] {
        let h = SmtpHost::parse(raw).unwrap_or_else(|e| panic!("`{raw}`: {}", e.0));
        assert_eq!(h.tls_name(), tls_name, "`{raw}`");
    }
    assert!(matches!(
        SmtpHost::parse("192.0.2.25").unwrap(),
        SmtpHost::Ip(IpAddr::V4(_))
    ));
    assert!(matches!(
        SmtpHost::parse("mail.example.org.").unwrap(),
        SmtpHost::Name { absolute: true, .. }
    ));
    assert!(SmtpHost::parse(&format!("{}.example", "a".repeat(64))).is_err());
    assert!(
        SmtpHost::parse(&["abcdefghi"; 26].join(".")).is_err(),
        "over 253"
    );
    assert!(SmtpHost::parse("").is_err());
}

/// The kinds of internal address are messages: their English is what the API, the CLI and the
/// mail log have always said, and a German page says them in German.
#[test]
fn internal_address_kinds_read_in_english_and_german() {
    use latchkey::domain::Language;
    for (ip, english, german) in [
        ("127.0.0.1", "loopback (this machine)", "Loopback (dieser Rechner)"),
        ("::1", "loopback (this machine)", "Loopback (dieser Rechner)"),
        ("10.1.2.3", "a private network (10.0.0.0/8)", "ein privates Netz (10.0.0.0/8)"),
        ("192.168.1.1", "a private network (192.168.0.0/16)", "ein privates Netz (192.168.0.0/16)"),
        ("0.1.2.3", "\"this network\" (0.0.0.0/8)", "„dieses Netz“ (0.0.0.0/8)"),
        ("255.255.255.255", "broadcast", "Broadcast"),
        ("fe80::1", "link-local (fe80::/10)", "linklokal (fe80::/10)"),
        ("::ffff:127.0.0.1", "an IPv4-mapped IPv6 address (::ffff:0:0/96; write the IPv4 address itself)", "eine IPv4-gemappte IPv6-Adresse (::ffff:0:0/96; geben Sie die IPv4-Adresse selbst ein)"),
        ("64:ff9b::a00:1", "a NAT64 address of a non-public IPv4 address", "eine NAT64-Adresse einer nicht öffentlichen IPv4-Adresse"),
        ("4000::1", "reserved (outside the global unicast range 2000::/3)", "reserviert (außerhalb des Global-Unicast-Bereichs 2000::/3)"),
    ] {
        let kind = non_public(ip.parse().unwrap()).expect(ip);
        assert_eq!(kind.to_string(), english, "{ip}");
        assert_eq!(kind.msg().in_lang(Language::De), german, "{ip}");
    }
    // Every kind has its words in both languages (no id shown as it is).
    for host in INTERNAL {
        if let Ok(SmtpHost::Ip(ip)) = SmtpHost::parse(host) {
            let kind = non_public(ip).unwrap();
            for lang in [Language::En, Language::De] {
                assert!(!kind.msg().in_lang(lang).contains("smtp-range"), "{host}");
            }
        }
    }
}

#[test]
fn every_internal_literal_is_classified_non_public() {
    for host in INTERNAL {
        if let Ok(SmtpHost::Ip(ip)) = SmtpHost::parse(host) {
            assert!(non_public(ip).is_some(), "`{host}` counts as public");
        }
    }
}

#[test]
fn range_edges() {
    let public = [
        "8.8.8.8",
        "1.1.1.1",
        "9.255.255.255",
        "11.0.0.0",
        "100.63.255.255",
        "100.128.0.0",
        "126.255.255.255",
        "128.0.0.0",
        "169.253.255.255",
        "169.255.0.0",
        "172.15.255.255",
        "172.32.0.0",
        "192.0.1.255",
        "192.0.3.0",
        "192.88.98.255",
        "192.167.255.255",
        "192.169.0.0",
        "198.17.255.255",
        "198.20.0.0",
        "198.51.99.255",
        "203.0.112.255",
        "223.255.255.255",
        "2606:4700:4700::1111",
        "2a00:1450:4001::1b",
        "2001:200::1",
        "2001:db7:ffff::1",
        "2001:db9::1",
        "2002:808:808::1",
        "64:ff9b::808:808",
        "64:ff9b::1.1.1.1",
        "3ffe::1",
        "3fff:1000::1",
    ];
    for ip in public {
        let ip: IpAddr = ip.parse().unwrap();
        assert_eq!(non_public(ip), None, "{ip}");
    }
    let internal = [
        "0.0.0.0",
        "0.255.255.255",
        "10.255.255.255",
        "100.64.0.0",
        "127.0.0.0",
        "169.254.0.0",
        "169.254.255.255",
        "172.16.0.0",
        "192.0.0.0",
        "192.0.0.255",
        "192.0.2.0",
        "192.168.255.255",
        "198.18.0.0",
        "198.51.100.255",
        "203.0.113.0",
        "224.0.0.0",
        "239.255.255.255",
        "240.0.0.0",
        "254.255.255.255",
        "::ffff:0.0.0.0",
        "::ffff:255.255.255.255",
        "::ffff:0:0:0",
        "::2",
        "::1:0:0:1",
        "64:ff9b::0.0.0.0",
        "64:ff9b::c0a8:1",
        "64:ff9b:1::",
        "100::",
        "100::ffff:ffff:ffff:ffff",
        "2001:0:ffff::1",
        "2001:1ff::1",
        "2001:db8:ffff::1",
        "2002:0:0::1",
        "2002:ac10::1",
        "2002:ffff:ffff::1",
        "3fff:fff::1",
        "1000::1",
        "4000::1",
        "fbff::1",
        "fdff:ffff::1",
        "fe80::",
        "feff::1",
        "ff00::",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ];
    for ip in internal {
        let ip: IpAddr = ip.parse().unwrap();
        assert!(non_public(ip).is_some(), "{ip}");
    }
}

#[tokio::test]
async fn resolving_checks_every_address_and_a_failed_lookup_is_a_refusal() {
    let t = Duration::from_secs(5);
    let p = Destinations::PublicOnly;
    let host = |h: &str| SmtpHost::parse(h).unwrap();
    assert!(matches!(
        resolve(&host("localhost"), 25, p, t).await,
        Err(HostError::NotPublic { .. })
    ));
    assert!(matches!(
        resolve(&host("::ffff:7f00:1"), 25, p, t).await,
        Err(HostError::NotPublic { .. })
    ));
    let e = resolve(&host("no-such-host.invalid"), 25, p, t)
        .await
        .unwrap_err();
    assert!(matches!(e, HostError::Lookup(_)), "{e:?}");
    assert!(e.is_policy(p), "a failed lookup refuses the host");
    // A public literal needs no lookup and passes; operators' hosts may be anything.
    let ok = resolve(&host("192.0.43.10"), 587, p, t).await.unwrap();
    assert_eq!(ok, vec!["192.0.43.10:587".parse().unwrap()]);
    // Every localhost name is this machine, asked of the system as `localhost` (no DNS query).
    for name in ["localhost", "LOCALHOST", "localhost.", "mail.localhost"] {
        let any = resolve(&host(name), 25, Destinations::Any, t)
            .await
            .unwrap();
        assert!(any.iter().all(|a| a.ip().is_loopback()), "{name}: {any:?}");
        assert!(matches!(
            resolve(&host(name), 25, p, t).await,
            Err(HostError::NotPublic { .. })
        ));
    }
}

/// The connection goes to a checked address, but TLS verifies the certificate for the host name
/// as configured (SNI), not for the address connected to.
async fn tls_is_verified_for_the_name_not_the_address(backend: Backend) {
    let (app, _) = app_with(backend, |_| {}).await;
    let srv = SmtpServer::start(SmtpOptions {
        tls: TlsMode::StartTls,
        cert_names: vec!["localhost".into()],
        ..SmtpOptions::default()
    })
    .await;
    let check = |host: &str| {
        let settings = SmtpSettings {
            enabled: true,
            host: host.into(),
            port: srv.port(),
            security: Security::Starttls,
            auth: false,
            from_address: "noreply@example.org".into(),
            timeout_secs: 5,
            extra_ca_pem: srv.ca_pem(),
            ..SmtpSettings::default()
        };
        let core = app.core.clone();
        async move {
            core.check_smtp(
                &Actor::Cli,
                None,
                Some(SmtpInput {
                    settings,
                    new_password: None,
                    ..Default::default()
                }),
                None,
                None,
            )
            .await
            .unwrap()
        }
    };
    for name in ["localhost", "localhost.", "LocalHost"] {
        let report = check(name).await;
        assert!(report.ok, "{name}: {report:#?}");
        assert!(
            report.steps.iter().any(|s| s
                .reply
                .to_string()
                .contains("certificate verified for localhost")),
            "{report:#?}"
        );
    }
    // The same server by its address: the certificate names no address, so TLS fails.
    let report = check("127.0.0.1").await;
    assert!(!report.ok);
    assert!(
        report.summary.starts_with("Failed at TLS handshake"),
        "{}",
        report.summary
    );
    srv.stop().await;
    app.stop().await;
}

/// A tenant administrator's host name that later resolves to this machine stays refused after
/// an operator changes something else in the tenant's settings (`smtp set --tenant acme
/// --max-per-hour 500`): only a host the operator chose is theirs. The refusal doesn't say which
/// internal address the name has.
async fn an_operators_partial_edit_does_not_approve_a_tenants_host(backend: Backend) {
    let (app, acme) = app_with(backend, |_| {}).await;
    let srv = loopback_server().await;
    store_settings(&app, &acme, "localhost", srv.port()).await;
    let mut settings = app.core.tenant_smtp(&acme).await.unwrap().unwrap();
    settings.max_per_hour = 500;
    app.core
        .save_smtp(
            &Actor::Cli,
            Some(&acme),
            SmtpInput {
                settings,
                new_password: None,
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let stored = app.core.tenant_smtp(&acme).await.unwrap().unwrap();
    assert_eq!(stored.max_per_hour, 500);
    assert!(!stored.set_by_operator);
    let id = queue(&app, &acme).await;
    let row = first_attempt(&app, id).await;
    assert_eq!(row.success, 0, "{row:?}");
    assert!(
        row.smtp_reply.contains("internal address"),
        "{}",
        row.smtp_reply
    );
    assert!(!row.smtp_reply.contains("127.0.0.1"), "{}", row.smtp_reply);
    assert_eq!(srv.connections(), 0);
    srv.stop().await;
    app.stop().await;
}

/// A server that accepts connections but never answers: in one round of delivery it is tried
/// once, and the round's other mails for it fail at once with the same reason instead of
/// waiting for it again (one slow tenant server can't hold up everyone's mail).
async fn an_unreachable_server_is_tried_once_per_round(backend: Backend) {
    let (app, acme) = app_with(backend, |c| c.tenant_smtp_allow_private_hosts = true).await;
    let trap = Trap::start().await;
    let settings = SmtpSettings {
        enabled: true,
        host: "127.0.0.1".into(),
        port: trap.port,
        security: Security::None,
        auth: false,
        from_address: "noreply@acme.example".into(),
        timeout_secs: 1,
        ..SmtpSettings::default()
    };
    settings.validate().unwrap();
    app.core
        .test_store()
        .put_setting(
            &store::settings::tenant_scope(acme.id),
            "smtp",
            &serde_json::to_string(&settings).unwrap(),
            app.core.now(),
        )
        .await
        .unwrap();
    let to = EmailAddress::parse("someone@example.org").unwrap();
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            app.core
                .enqueue_mail(NewMail {
                    tenant: Some(&acme),
                    account_id: None,
                    kind: MailKind::SmtpTest,
                    to: &to,
                    to_name: "Someone",
                    language: Language::En,
                    data: json!({}),
                    secret: None,
                    scheduled_at: Some(app.core.now() + 60),
                    campaign_id: None,
                    created_by: "test",
                    template: None,
                })
                .await
                .unwrap(),
        );
    }
    app.clock.advance(61);
    for id in &ids {
        assert_eq!(first_attempt(&app, *id).await.success, 0);
    }
    assert_eq!(trap.hits(), 1, "one connection for the round");
    app.stop().await;
}

/// `latchkey smtp set --tenant acme --host H` makes the host the operator's choice, also when it
/// is the one stored (how an internal relay set before this release is approved again); a
/// partial edit through the CLI doesn't.
async fn an_operator_approves_a_tenant_relay_by_naming_its_host(backend: Backend) {
    let (app, acme) = app_with(backend, |_| {}).await;
    let srv = loopback_server().await;
    store_settings(&app, &acme, "localhost", srv.port()).await;
    let cli = |args: &[&str]| {
        let out = crate::cli_smtp_check::latchkey(&app.db, &[], args, None);
        assert!(out.status.success(), "{}", out.describe());
    };
    cli(&["smtp", "set", "--tenant", "acme", "--max-per-hour", "500"]);
    assert!(
        !app.core
            .tenant_smtp(&acme)
            .await
            .unwrap()
            .unwrap()
            .set_by_operator
    );
    let id = queue(&app, &acme).await;
    assert_eq!(first_attempt(&app, id).await.success, 0);
    assert_eq!(srv.connections(), 0);
    app.core
        .test_store()
        .cancel(id, None, app.core.now())
        .await
        .unwrap();

    cli(&["smtp", "set", "--tenant", "acme", "--host", "localhost"]);
    assert!(
        app.core
            .tenant_smtp(&acme)
            .await
            .unwrap()
            .unwrap()
            .set_by_operator
    );
    let id = queue(&app, &acme).await;
    assert_eq!(srv.wait_for_messages(1, WAIT).await.len(), 1);
    assert_eq!(first_attempt(&app, id).await.success, 1);
    srv.stop().await;
    app.stop().await;
}
