//! SMTP settings through `/api/v1` on both backends, against real SMTP servers on loopback: a
//! tenant key reads, changes and checks its tenant's own server (the test message arrives), an
//! all-tenants key the system's; validation errors change nothing; every route refuses a missing
//! key (401), a wrong scope or a tenant key on the system routes (403) and another tenant (404);
//! the password never appears in an answer; `LATCHKEY_SMTP_*` makes the settings read-only
//! (409); a tenant without its own server can't check the system's (422 `no_tenant_smtp`); test
//! messages are limited per tenant. Also the per-key request budget (429 with `Retry-After`)
//! and the bounded audit of failed API authentications.

use crate::common;

use std::time::Duration;

use common::smtp::{SmtpOptions, SmtpServer, Step, TlsMode};
use common::{Backend, World, GOOD_PASSWORD};
use latchkey::config::Config;
use latchkey::domain::{EmailAddress, Role};
use latchkey::mail::{Security, SmtpSettings};
use latchkey::service::{Actor, SmtpInput};
use latchkey::store;
use rand::{Rng, SeedableRng};
use secrecy::ExposeSecret;
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(10);
const OWN_USER: &str = "acme-mailer";
const OWN_PASSWORD: &str = "Acme-Api-Smtp-Secret-58";
const SYS_USER: &str = "system-mailer";
const SYS_PASSWORD: &str = "System-Api-Smtp-Secret-26";
const ENV_PASSWORD: &str = "Env-Api-Smtp-Secret-71";

/// What the SMTP API tests read besides the API.
trait Rows {
    async fn settings_rows(&self) -> Vec<String>;
    async fn audit(&self, action: &str) -> Vec<store::audit::AuditEvent>;
}

impl Rows for World {
    /// Every stored settings document: what an SMTP call could change.
    async fn settings_rows(&self) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT scope || ' ' || key || ' ' || value FROM settings ORDER BY scope, key",
        )
        .fetch_all(self.app.core.test_store().pool())
        .await
        .unwrap()
    }

    async fn audit(&self, action: &str) -> Vec<store::audit::AuditEvent> {
        self.app
            .core
            .recent_audit(None, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == action)
            .collect()
    }
}

/// An app with tenants `acme` and `other`. The test SMTP servers live on loopback, so tenants
/// may use internal hosts unless `tweak` says otherwise.
async fn world_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> World {
    World::builder(backend)
        .config(|c| {
            c.mail_poll_interval = "100ms".into();
            c.tenant_smtp_allow_private_hosts = true;
            tweak(c);
        })
        .build()
        .await
}

async fn world(backend: Backend) -> World {
    world_with(backend, |_| {}).await
}

/// A STARTTLS server with AUTH and a CA of its own.
async fn server(user: &str, password: &str) -> SmtpServer {
    SmtpServer::start(SmtpOptions {
        tls: TlsMode::StartTls,
        auth: Some((user.to_owned(), password.to_owned())),
        ..SmtpOptions::default()
    })
    .await
}

/// The PUT body for `srv`, switched on.
fn settings_for(srv: &SmtpServer, user: &str, password: &str, from: &str) -> Value {
    json!({
        "enabled": true,
        "host": "localhost",
        "port": srv.port(),
        "security": "starttls",
        "auth": true,
        "username": user,
        "password": password,
        "from_address": from,
        "from_name": "Mailer",
        "timeout_secs": 5,
        "extra_ca_pem": srv.ca_pem(),
    })
}

/// No answer shows a password, its ciphertext or a reference.
fn assert_no_secret(body: &Value) {
    let text = body.to_string();
    for secret in [OWN_PASSWORD, SYS_PASSWORD, ENV_PASSWORD, "enc:v1"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
}

fn step<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["step"] == name)
}

on_both_backends!(
    tenant_smtp_endpoints,
    tenant_keys_cannot_use_internal_hosts,
    system_smtp_endpoints,
    random_json_at_the_smtp_endpoints,
    each_key_has_a_request_budget,
    failed_authentications_are_audited_boundedly,
    test_messages_are_throttled_per_tenant,
);

async fn tenant_smtp_endpoints(backend: Backend) {
    let w = world(backend).await;
    let own = server(OWN_USER, OWN_PASSWORD).await;
    let writer = w.key(Some(&w.acme), &["settings:write"]).await;
    let reader = w.key(Some(&w.acme), &["mail:read"]).await;
    let users = w.key(Some(&w.acme), &["users:read", "users:write"]).await;
    let other = w
        .key(Some(&w.other), &["settings:write", "mail:read"])
        .await;
    let all = w.key(None, &["settings:write"]).await;
    let path = "/api/v1/tenants/acme/smtp";
    let check = "/api/v1/tenants/acme/smtp/check";
    let mut answers = Vec::new();

    // The OpenAPI document describes the bodies; the check's is optional.
    let (_, spec) = w.call("GET", "/api/v1/openapi.json", None, None).await;
    let op = &spec["paths"]["/api/v1/tenants/{tenant}/smtp/check"]["post"];
    assert!(
        op["requestBody"].is_object() && op["requestBody"]["required"] != true,
        "{op}"
    );
    let change = &spec["components"]["schemas"]["SmtpChange"]["properties"];
    assert!(
        change["password"].is_object() && change["host"].is_object(),
        "{change}"
    );
    assert!(spec["components"]["schemas"]["TenantSmtp"].is_object());

    // Only settings:write reads the settings (the console shows them to administrators only).
    let (status, err) = w.call("GET", path, Some(&reader), None).await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (403, &json!("insufficient_scope")),
        "{err}"
    );
    // Nothing configured: the tenant has no own server and there is no system server either.
    let (status, s) = w.call("GET", path, Some(&writer), None).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (&s["source"], &s["inherits"], &s["read_only"]),
        (&json!("unset"), &json!(true), &json!(false))
    );
    assert!(
        s["own_server"].is_null() && s["system_server"].is_null(),
        "{s}"
    );
    // No own server to check: a clear refusal naming the system-wide check.
    let (status, err) = w.call("POST", check, Some(&writer), None).await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (422, &json!("no_tenant_smtp")),
        "{err}"
    );
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("/api/v1/smtp/check"));

    // Its own server, switched on.
    let (status, s) = w
        .call(
            "PUT",
            path,
            Some(&writer),
            Some(&settings_for(
                &own,
                OWN_USER,
                OWN_PASSWORD,
                "noreply@acme.example",
            )),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (&s["source"], &s["inherits"]),
        (&json!("tenant"), &json!(false))
    );
    let o = &s["own_server"];
    assert_eq!(
        (&o["enabled"], &o["host"], &o["port"], &o["security"]),
        (
            &json!(true),
            &json!("localhost"),
            &json!(own.port()),
            &json!("starttls")
        )
    );
    assert_eq!(o["password"], "set");
    assert_no_secret(&s);
    let stored = w.settings_rows().await.join("\n");
    assert!(
        stored.contains("enc:v1:") && !stored.contains(OWN_PASSWORD),
        "stored encrypted"
    );
    let saved = w.audit("smtp.saved").await;
    assert!(
        saved.iter().any(|e| e.tenant_id == Some(w.acme.id)
            && e.actor.starts_with("api-key:")
            && e.ip.as_deref() == Some("127.0.0.1")),
        "{saved:?}"
    );
    let (_, s) = w.call("GET", path, Some(&writer), None).await;
    assert_eq!(s["own_server"]["password"], "set");
    answers.push(s);

    // The check reaches the tenant's server, signs in and delivers a test message.
    let (status, r) = w
        .call(
            "POST",
            check,
            Some(&writer),
            Some(&json!({"to": "admin@acme.example"})),
        )
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        (&r["ok"], &r["source"]),
        (&json!(true), &json!("tenant")),
        "{r}"
    );
    for name in ["connect", "ehlo", "starttls", "auth", "rcpt-to", "data"] {
        let st = step(&r, name).unwrap_or_else(|| panic!("no step {name}: {r}"));
        assert_eq!(st["ok"], true, "{st}");
    }
    assert!(step(&r, "rcpt-to").unwrap()["reply"]
        .as_str()
        .unwrap()
        .starts_with("250"));
    assert!(r["skipped"].as_array().unwrap().is_empty());
    // Latchkey's note for the message it sent, in English.
    assert_eq!(step(&r, "data").unwrap()["sent"], "(message)", "{r}");
    assert_no_secret(&r);
    let mails = own.wait_for_messages(1, WAIT).await;
    assert_eq!(mails[0].rcpt_to, vec!["admin@acme.example".to_owned()]);
    assert_eq!(mails[0].auth_user.as_deref(), Some(OWN_USER));
    assert!(mails[0].tls);
    assert!(w
        .audit("smtp.checked")
        .await
        .iter()
        .any(|e| e.tenant_id == Some(w.acme.id) && e.outcome == "success"));
    // Without a body: no test message; the later steps are reported as skipped.
    let (status, r) = w.call("POST", check, Some(&writer), None).await;
    assert_eq!((status, &r["ok"]), (200, &json!(true)), "{r}");
    assert!(r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s == "MAIL FROM"));
    // A failed check is a report (200, ok false) with the server's reply and a hint.
    own.script(
        Step::Auth,
        "535 5.7.8 Authentication credentials invalid",
        1,
    );
    let (status, r) = w.call("POST", check, Some(&writer), Some(&json!({}))).await;
    assert_eq!((status, &r["ok"]), (200, &json!(false)), "{r}");
    let failed = r["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["ok"] == false)
        .unwrap();
    assert_eq!(failed["step"], "auth", "{r}");
    assert!(failed["reply"].as_str().unwrap().contains("535"), "{r}");
    assert!(failed["hint"].is_string(), "{r}");
    assert!(r["summary"].as_str().unwrap().contains("AUTH"), "{r}");
    // A bad test address or an unknown field is refused.
    let (status, err) = w
        .call("POST", check, Some(&writer), Some(&json!({"to": "nobody"})))
        .await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (422, &json!("validation_failed"))
    );
    assert!(err["error"]["message"].as_str().unwrap().starts_with("to:"));
    let (status, _) = w
        .call(
            "POST",
            check,
            Some(&writer),
            Some(&json!({"cc": "a@b.example"})),
        )
        .await;
    assert_eq!(status, 400);

    // Validation errors: a clear message, nothing changed.
    let before = w.settings_rows().await;
    for (bad, status, expected) in [
        (
            json!({"security": "smtps"}),
            422,
            "is not starttls, tls or none",
        ),
        (json!({"port": 2525}), 422, "enter the password again"),
        (json!({"security": "tls"}), 422, "enter the password again"),
        (
            json!({"from_address": "not an address"}),
            422,
            "sender address",
        ),
        (json!({"password": "env:HOME"}), 422, "References"),
        (json!({"password": "file:/etc/passwd"}), 422, "References"),
        (json!({"password": "set"}), 422, "send the password itself"),
        (json!({"timeout_secs": 0}), 422, "timeout"),
        (
            json!({"host": "bad host", "password": OWN_PASSWORD}),
            422,
            "host: `bad host` must not contain spaces",
        ),
        (json!({"reply_to": "x"}), 422, "reply-to"),
        (json!({"helo_name": "a\r\nb"}), 422, "HELO name"),
        (
            json!({"extra_ca_pem": "nope", "password": OWN_PASSWORD}),
            422,
            "paste a PEM certificate",
        ),
        (json!({"nickname": "x"}), 400, "unknown field"),
        (json!({"port": 70000}), 400, "port"),
        (json!({"enabled": "yes"}), 400, "invalid type"),
    ] {
        let (s, err) = w.call("PUT", path, Some(&writer), Some(&bad)).await;
        assert_eq!(s, status, "{bad}: {err}");
        let message = err["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{bad}: {err}");
        assert!(!message.contains(OWN_PASSWORD));
    }
    assert_eq!(
        w.settings_rows().await,
        before,
        "a refused PUT changed nothing"
    );
    // Other fields keep the stored password.
    let (status, s) = w
        .call(
            "PUT",
            path,
            Some(&writer),
            Some(&json!({"from_name": "Acme", "max_per_hour": 100})),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (
            &s["own_server"]["from_name"],
            &s["own_server"]["max_per_hour"]
        ),
        (&json!("Acme"), &json!(100))
    );
    assert_eq!(s["own_server"]["password"], "set", "kept");

    // Switched off: back to the system's server (none here); the settings stay saved and can
    // still be checked before switching them on again.
    let (status, s) = w
        .call("PUT", path, Some(&writer), Some(&json!({"enabled": false})))
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (&s["source"], &s["inherits"]),
        (&json!("unset"), &json!(true))
    );
    assert_eq!(
        (&s["own_server"]["enabled"], &s["own_server"]["password"]),
        (&json!(false), &json!("set"))
    );
    let (status, r) = w.call("POST", check, Some(&writer), None).await;
    assert_eq!(
        (status, &r["ok"], &r["source"]),
        (200, &json!(true), &json!("tenant")),
        "{r}"
    );

    // Every route: no key, a made-up key, a wrong scope, another tenant's key.
    let routes: [(&str, &str, Option<Value>, &str); 3] = [
        ("GET", path, None, "users"),
        ("PUT", path, Some(json!({"enabled": true})), "reader"),
        (
            "POST",
            check,
            Some(json!({"to": "x@acme.example"})),
            "reader",
        ),
    ];
    for (method, p, body, wrong) in &routes {
        let before = w.settings_rows().await;
        let (status, err) = w.call(method, p, None, body.as_ref()).await;
        assert_eq!(
            (status, &err["error"]["code"]),
            (401, &json!("unauthorized")),
            "{method} {p}"
        );
        let made_up = "lk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(w.call(method, p, Some(made_up), body.as_ref()).await.0, 401);
        let wrong = if *wrong == "users" { &users } else { &reader };
        let (status, err) = w.call(method, p, Some(wrong), body.as_ref()).await;
        assert_eq!(
            (status, &err["error"]["code"]),
            (403, &json!("insufficient_scope")),
            "{method} {p}"
        );
        let (status, err) = w.call(method, p, Some(&other), body.as_ref()).await;
        assert_eq!(
            (status, &err["error"]["code"]),
            (404, &json!("not_found")),
            "{method} {p}"
        );
        assert_eq!(
            w.settings_rows().await,
            before,
            "a refused {method} {p} changed something"
        );
    }
    assert_eq!(own.messages().len(), 1, "no refused check sent mail");
    // An all-tenants key may use every tenant's routes.
    let (status, s) = w.call("GET", path, Some(&all), None).await;
    assert_eq!(status, 200);
    answers.push(s);
    let (status, s) = w.call("GET", path, Some(&writer), None).await;
    assert_eq!(status, 200);
    answers.push(s);
    let (status, _) = w
        .call("GET", "/api/v1/tenants/other/smtp", Some(&all), None)
        .await;
    assert_eq!(status, 200);
    for a in &answers {
        assert_no_secret(a);
    }
    own.stop().await;
    w.app.stop().await;
}

/// Without `tenant_smtp_allow_private_hosts` a tenant's key can neither save nor check a server
/// on this machine or the internal network; the system's settings (all-tenants keys) may.
async fn tenant_keys_cannot_use_internal_hosts(backend: Backend) {
    let w = world_with(backend, |c| c.tenant_smtp_allow_private_hosts = false).await;
    let srv = SmtpServer::start(SmtpOptions::default()).await;
    let writer = w.key(Some(&w.acme), &["settings:write"]).await;
    let all = w.key(None, &["settings:write"]).await;
    let body = json!({
        "enabled": true, "host": "127.0.0.1", "port": srv.port(), "security": "none",
        "auth": false, "from_address": "noreply@acme.example",
    });
    let before = w.settings_rows().await;
    let (status, err) = w
        .call(
            "PUT",
            "/api/v1/tenants/acme/smtp",
            Some(&writer),
            Some(&body),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    // The kind of address in English, as the API has always said it.
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("internal address 127.0.0.1: loopback (this machine)"),
        "{err}"
    );
    assert_eq!(w.settings_rows().await, before);
    // An operator may set one with the CLI; a key's check still won't connect there.
    let settings = SmtpSettings {
        enabled: true,
        host: "127.0.0.1".into(),
        port: srv.port(),
        security: Security::None,
        auth: false,
        from_address: "noreply@acme.example".into(),
        timeout_secs: 5,
        ..SmtpSettings::default()
    };
    w.app
        .core
        .save_smtp(
            &Actor::Cli,
            Some(&w.acme),
            SmtpInput {
                settings,
                new_password: None,
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
    let (status, err) = w
        .call(
            "POST",
            "/api/v1/tenants/acme/smtp/check",
            Some(&writer),
            Some(&json!({"to": "a@acme.example"})),
        )
        .await;
    assert_eq!(status, 422, "{err}");
    assert!(err["error"]["message"]
        .as_str()
        .unwrap()
        .contains("internal address"));
    assert_eq!(srv.connections(), 0, "the check never connected");
    // The system's settings are the operator's: an all-tenants key may point them anywhere.
    let (status, s) = w.call("PUT", "/api/v1/smtp", Some(&all), Some(&body)).await;
    assert_eq!(status, 200, "{s}");
    let (status, r) = w.call("POST", "/api/v1/smtp/check", Some(&all), None).await;
    assert_eq!(
        (status, &r["ok"], &r["source"]),
        (200, &json!(true), &json!("system")),
        "{r}"
    );
    srv.stop().await;
    w.app.stop().await;
}

async fn system_smtp_endpoints(backend: Backend) {
    let w = world(backend).await;
    let sys = server(SYS_USER, SYS_PASSWORD).await;
    let all = w.key(None, &["settings:write"]).await;
    let all_reader = w.key(None, &["users:read", "mail:read"]).await;
    let tenant_writer = w.key(Some(&w.acme), &["settings:write", "mail:read"]).await;
    let path = "/api/v1/smtp";
    let check = "/api/v1/smtp/check";

    // Tenant keys and keys without settings:write are refused; nothing changes.
    let routes: [(&str, &str, Option<Value>); 3] = [
        ("GET", path, None),
        (
            "PUT",
            path,
            Some(settings_for(
                &sys,
                SYS_USER,
                SYS_PASSWORD,
                "noreply@system.example",
            )),
        ),
        ("POST", check, Some(json!({"to": "ops@example.org"}))),
    ];
    for (method, p, body) in &routes {
        let before = w.settings_rows().await;
        let (status, err) = w.call(method, p, None, body.as_ref()).await;
        assert_eq!(
            (status, &err["error"]["code"]),
            (401, &json!("unauthorized")),
            "{method} {p}"
        );
        let (status, err) = w.call(method, p, Some(&tenant_writer), body.as_ref()).await;
        assert_eq!(
            (status, &err["error"]["code"]),
            (403, &json!("all_tenants_key_required")),
            "{method} {p}"
        );
        let (status, err) = w.call(method, p, Some(&all_reader), body.as_ref()).await;
        assert_eq!(
            (status, &err["error"]["code"]),
            (403, &json!("insufficient_scope")),
            "{method} {p}"
        );
        assert_eq!(
            w.settings_rows().await,
            before,
            "a refused {method} {p} changed something"
        );
    }
    assert_eq!(sys.connections(), 0);

    let (status, s) = w.call("GET", path, Some(&all), None).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (&s["source"], &s["read_only"], &s["settings"]["password"]),
        (&json!("unset"), &json!(false), &json!("not set"))
    );
    let (status, s) = w
        .call(
            "PUT",
            path,
            Some(&all),
            Some(&settings_for(
                &sys,
                SYS_USER,
                SYS_PASSWORD,
                "noreply@system.example",
            )),
        )
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (
            &s["source"],
            &s["settings"]["enabled"],
            &s["settings"]["password"]
        ),
        (&json!("system"), &json!(true), &json!("set"))
    );
    assert_no_secret(&s);
    assert!(w
        .audit("smtp.saved")
        .await
        .iter()
        .any(|e| e.tenant_id.is_none() && e.actor.starts_with("api-key:")));
    let (_, s) = w.call("GET", path, Some(&all), None).await;
    assert_eq!(s["settings"]["username"], SYS_USER);
    assert_no_secret(&s);

    // The check delivers a test message through the system's server.
    let (status, r) = w
        .call(
            "POST",
            check,
            Some(&all),
            Some(&json!({"to": "ops@example.org"})),
        )
        .await;
    assert_eq!(
        (status, &r["ok"], &r["source"]),
        (200, &json!(true), &json!("system")),
        "{r}"
    );
    assert_no_secret(&r);
    let mails = sys.wait_for_messages(1, WAIT).await;
    assert_eq!(mails[0].rcpt_to, vec!["ops@example.org".to_owned()]);
    assert_eq!(mails[0].auth_user.as_deref(), Some(SYS_USER));

    // A tenant without its own server uses it: shown as the system's, but a tenant's key can't
    // check it (that would use the system's password, and send its test mail): only a
    // system-wide key does, above.
    let (status, t) = w
        .call(
            "GET",
            "/api/v1/tenants/acme/smtp",
            Some(&tenant_writer),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&t["source"], &t["inherits"]),
        (&json!("system"), &json!(true))
    );
    assert_eq!(
        (&t["system_server"]["host"], &t["system_server"]["port"]),
        (&json!("localhost"), &json!(sys.port()))
    );
    assert!(t["own_server"].is_null());
    assert_no_secret(&t);
    let connections = sys.connections();
    for body in [None, Some(json!({"to": "someone@example.org"}))] {
        let (status, err) = w
            .call(
                "POST",
                "/api/v1/tenants/acme/smtp/check",
                Some(&tenant_writer),
                body.as_ref(),
            )
            .await;
        assert_eq!(
            (status, &err["error"]["code"]),
            (422, &json!("no_tenant_smtp")),
            "{err}"
        );
        let message = err["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("system's server") && message.contains("/api/v1/smtp/check"),
            "{err}"
        );
    }
    assert_eq!(
        sys.connections(),
        connections,
        "the system's server wasn't contacted"
    );
    assert_eq!(
        sys.messages().len(),
        1,
        "no test message through the system's server"
    );

    // Validation errors: a clear message, nothing changed.
    let before = w.settings_rows().await;
    for (bad, status, expected) in [
        (
            json!({"security": "smtps"}),
            422,
            "is not starttls, tls or none",
        ),
        (
            json!({"host": "smtp.example.org"}),
            422,
            "enter the password again",
        ),
        (json!({"auth": true, "username": ""}), 422, "username"),
        (json!({"password": "env:SMTP_PASSWORD"}), 422, "References"),
        (json!({"port": "25"}), 400, "invalid type"),
        (json!({"inherit": true}), 400, "unknown field"),
    ] {
        let (s, err) = w.call("PUT", path, Some(&all), Some(&bad)).await;
        assert_eq!(s, status, "{bad}: {err}");
        assert!(
            err["error"]["message"].as_str().unwrap().contains(expected),
            "{bad}: {err}"
        );
    }
    assert_eq!(w.settings_rows().await, before);
    // Switched off: the settings stay, the tenants have no server to use.
    let (status, s) = w
        .call("PUT", path, Some(&all), Some(&json!({"enabled": false})))
        .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (&s["settings"]["enabled"], &s["settings"]["password"]),
        (&json!(false), &json!("set"))
    );
    let (_, t) = w
        .call(
            "GET",
            "/api/v1/tenants/acme/smtp",
            Some(&tenant_writer),
            None,
        )
        .await;
    assert!(t["system_server"].is_null(), "{t}");
    sys.stop().await;
    w.app.stop().await;
}

/// A JSON value of any shape, with SMTP field names. Host names are never ones a check could
/// connect to, so no fuzzed body makes the server wait for a network timeout.
fn random_value(rng: &mut rand::rngs::StdRng, depth: u32) -> Value {
    let fields = [
        "enabled",
        "host",
        "port",
        "security",
        "auth",
        "username",
        "password",
        "from_address",
        "from_name",
        "reply_to",
        "helo_name",
        "timeout_secs",
        "extra_ca_pem",
        "max_per_hour",
        "to",
        "inherit",
        "x",
    ];
    let strings = [
        "",
        "tls",
        "none",
        "starttls",
        "a@b.example",
        "env:HOME",
        "file:/etc/passwd",
        "set",
        "\u{0}",
        "\r\nBcc: x@y.z",
        "🦀",
        "-----BEGIN CERTIFICATE-----",
    ];
    match rng.gen_range(0..if depth > 2 { 6 } else { 8 }) {
        0 => Value::Null,
        1 => Value::Bool(rng.gen()),
        2 => {
            let numbers = [0i64, 1, 25, 587, 65535, 65536, -1, i64::MAX];
            json!(numbers[rng.gen_range(0..numbers.len())])
        }
        3 => json!(rng.gen::<f64>() * 1e300),
        4 => Value::String("x".repeat(rng.gen_range(0..3) * 40_000)),
        5 => Value::String(strings[rng.gen_range(0..strings.len())].to_owned()),
        6 => Value::Array(
            (0..rng.gen_range(0..4))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.gen_range(0..5) {
                let field = fields[rng.gen_range(0..fields.len())];
                let value = if field == "host" {
                    // Empty or malformed: never a server to connect to.
                    let hosts = ["", "bad host", "a/b", "\r\n"];
                    json!(hosts[rng.gen_range(0..hosts.len())])
                } else {
                    random_value(rng, depth + 1)
                };
                map.insert(field.to_owned(), value);
            }
            Value::Object(map)
        }
    }
}

async fn random_json_at_the_smtp_endpoints(backend: Backend) {
    let w = world(backend).await;
    let writer = w.key(Some(&w.acme), &["settings:write"]).await;
    let all = w.key(None, &["settings:write"]).await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5e7b);
    for (method, path, key) in [
        ("PUT", "/api/v1/tenants/acme/smtp", &writer),
        ("PUT", "/api/v1/smtp", &all),
        ("POST", "/api/v1/tenants/acme/smtp/check", &writer),
        ("POST", "/api/v1/smtp/check", &all),
    ] {
        for _ in 0..80 {
            let body = random_value(&mut rng, 0);
            let before = w.settings_rows().await;
            let (status, res) = w.call(method, path, Some(key), Some(&body)).await;
            assert_ne!(status, 500, "{method} {path} with {body}: {res}");
            assert!(
                res["error"]["code"].is_string() || status < 300,
                "{path}: every error has the shape: {res}"
            );
            if status >= 400 {
                assert_eq!(
                    w.settings_rows().await,
                    before,
                    "{method} {path} answered {status} to {body} but changed something"
                );
            }
            assert_no_secret(&res);
        }
        // Not JSON, and not declared as JSON.
        let raw = w
            .api
            .client
            .request(method.parse().unwrap(), format!("{}{path}", w.app.base))
            .header("authorization", format!("Bearer {key}"))
            .header("content-type", "application/json")
            .body("{\"host\": ")
            .send()
            .await
            .unwrap();
        assert_eq!(raw.status(), 400, "{path}");
        let form = w
            .api
            .client
            .request(method.parse().unwrap(), format!("{}{path}", w.app.base))
            .header("authorization", format!("Bearer {key}"))
            .body("host=x")
            .send()
            .await
            .unwrap();
        assert_eq!(form.status(), 415, "{path}");
    }
    w.app.stop().await;
}

/// A test message goes to any address: at most 20 per tenant and hour, through the API and the
/// tenant's SMTP page alike (one count). Checks without one, other tenants and operators (the
/// CLI) are not limited; the next hour brings a new budget.
async fn test_messages_are_throttled_per_tenant(backend: Backend) {
    let w = world(backend).await;
    let srv = SmtpServer::start(SmtpOptions::default()).await; // plain, no AUTH
    let plain = SmtpSettings {
        enabled: true,
        host: "127.0.0.1".into(),
        port: srv.port(),
        security: Security::None,
        auth: false,
        from_address: "noreply@acme.example".into(),
        timeout_secs: 5,
        ..SmtpSettings::default()
    };
    for t in [&w.acme, &w.other] {
        let input = SmtpInput {
            settings: plain.clone(),
            new_password: None,
            ..Default::default()
        };
        w.app
            .core
            .save_smtp(&Actor::Cli, Some(t), input, None)
            .await
            .unwrap();
    }
    let writer = w.key(Some(&w.acme), &["settings:write"]).await;
    let other = w.key(Some(&w.other), &["settings:write"]).await;
    let check = "/api/v1/tenants/acme/smtp/check";
    let to = json!({"to": "someone@example.org"});
    for i in 0..20 {
        let (status, r) = w.call("POST", check, Some(&writer), Some(&to)).await;
        assert_eq!(
            (status, &r["ok"]),
            (200, &json!(true)),
            "test message {i}: {r}"
        );
    }
    let (status, err) = w.call("POST", check, Some(&writer), Some(&to)).await;
    assert_eq!(
        (status, &err["error"]["code"]),
        (429, &json!("too_many_requests")),
        "{err}"
    );
    assert!(err["error"]["message"].as_str().unwrap().contains("20"));
    assert_eq!(srv.wait_for_messages(20, WAIT).await.len(), 20);
    // Without a test message the check still runs; another tenant has its own budget.
    let (status, r) = w.call("POST", check, Some(&writer), None).await;
    assert_eq!((status, &r["ok"]), (200, &json!(true)), "{r}");
    let (status, r) = w
        .call(
            "POST",
            "/api/v1/tenants/other/smtp/check",
            Some(&other),
            Some(&to),
        )
        .await;
    assert_eq!((status, &r["ok"]), (200, &json!(true)), "{r}");
    // The tenant's SMTP page counts against the same budget.
    w.app
        .user_with(&w.acme, "tadmin", GOOD_PASSWORD, Role::TenantAdmin)
        .await;
    let mut b = w.app.browser();
    assert_eq!(b.login("acme", "tadmin", GOOD_PASSWORD).await.status, 303);
    b.get("/t/acme/admin/smtp").await;
    let port = srv.port().to_string();
    let page = b
        .post(
            "/t/acme/admin/smtp",
            &[
                ("enabled", "on"),
                ("host", "127.0.0.1"),
                ("port", &port),
                ("security", "none"),
                ("from_address", "noreply@acme.example"),
                ("timeout_secs", "5"),
                ("test_to", "someone@example.org"),
                ("action", "check"),
            ],
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    assert!(
        page.body.contains("At most 20 SMTP test messages"),
        "{}",
        page.body
    );
    // Operators are not limited.
    let report = w
        .app
        .core
        .check_smtp(
            &Actor::Cli,
            Some(&w.acme),
            None,
            Some(EmailAddress::parse("ops@example.org").unwrap()),
            None,
        )
        .await
        .unwrap();
    assert!(report.ok, "{}", report.summary);
    assert_eq!(srv.wait_for_messages(22, WAIT).await.len(), 22);
    // The next hour brings a new budget.
    w.app.clock.advance(3601);
    let (status, r) = w.call("POST", check, Some(&writer), Some(&to)).await;
    assert_eq!((status, &r["ok"]), (200, &json!(true)), "{r}");
    assert_eq!(srv.wait_for_messages(23, WAIT).await.len(), 23);
    srv.stop().await;
    w.app.stop().await;
}

async fn each_key_has_a_request_budget(backend: Backend) {
    let w = world_with(backend, |c| c.api_requests_per_key_per_minute = 3).await;
    let busy = w.key(Some(&w.acme), &["settings:write"]).await;
    let calm = w.key(Some(&w.acme), &["settings:write"]).await;
    let path = "/api/v1/tenants/acme/smtp";
    for _ in 0..3 {
        assert_eq!(w.call("GET", path, Some(&busy), None).await.0, 200);
    }
    for _ in 0..5 {
        let (status, headers, err) = w.call_full("GET", path, Some(&busy), None).await;
        assert_eq!(
            (status, &err["error"]["code"]),
            (429, &json!("too_many_requests")),
            "{err}"
        );
        let retry: i64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    }
    // Another key is unaffected, and a spent budget is no failed authentication.
    assert_eq!(w.call("GET", path, Some(&calm), None).await.0, 200);
    assert!(w.audit("api_key.auth_failed").await.is_empty());
    // The next minute brings a new budget.
    w.app.clock.advance(61);
    assert_eq!(w.call("GET", path, Some(&busy), None).await.0, 200);
    w.app.stop().await;
}

async fn failed_authentications_are_audited_boundedly(backend: Backend) {
    let w = world_with(backend, |c| c.login_attempts_per_ip_per_hour = 8).await;
    let core = &w.app.core;
    let path = "/api/v1/tenants/acme/smtp";
    let scopes = ["mail:read".to_owned()];
    let (revoked_key, revoked) = core
        .create_api_key(&Actor::Cli, Some(&w.acme), "old", &scopes, None)
        .await
        .unwrap();
    core.revoke_api_key(&Actor::Cli, None, revoked_key.id)
        .await
        .unwrap();
    let (expired_key, expired) = core
        .create_api_key(
            &Actor::Cli,
            Some(&w.other),
            "short",
            &scopes,
            Some(core.now() + 60),
        )
        .await
        .unwrap();
    w.app.clock.advance(61);
    let (revoked, expired) = (
        revoked.expose_secret().to_owned(),
        expired.expose_secret().to_owned(),
    );
    let unknown = format!("lk_{}", "Q".repeat(43));
    let malformed = "not-a-key-but-maybe-a-password";
    for bearer in [&revoked, &expired, &unknown, malformed] {
        let (status, _) = w.call("GET", path, Some(bearer), None).await;
        assert_eq!(status, 401, "{bearer}");
    }
    // No key at all counts against the address but isn't an event.
    assert_eq!(w.call("GET", path, None, None).await.0, 401);
    let events = w.audit("api_key.auth_failed").await;
    assert_eq!(events.len(), 4, "{events:?}");
    let reason = |e: &store::audit::AuditEvent| {
        serde_json::from_str::<Value>(&e.detail).unwrap()["reason"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let find = |r: &str| {
        events
            .iter()
            .find(|e| reason(e) == r)
            .unwrap_or_else(|| panic!("no {r} event in {events:?}"))
    };
    let e = find("revoked");
    assert_eq!(
        (
            e.tenant_id,
            e.target.as_deref(),
            e.ip.as_deref(),
            e.outcome.as_str()
        ),
        (
            Some(w.acme.id),
            Some(revoked_key.prefix.as_str()),
            Some("127.0.0.1"),
            "failure"
        )
    );
    let e = find("expired");
    assert_eq!(
        (e.tenant_id, e.target.as_deref()),
        (Some(w.other.id), Some(expired_key.prefix.as_str()))
    );
    let e = find("unknown");
    assert_eq!(
        (e.tenant_id, e.target.as_deref()),
        (None, Some("lk_QQQQQQQ"))
    );
    let e = find("malformed");
    assert_eq!((e.tenant_id, e.target.as_deref()), (None, None));
    // Never the key (beyond its public prefix) or whatever else was sent.
    for e in &events {
        let all = format!("{} {:?} {} {}", e.actor, e.target, e.detail, e.action);
        for secret in [&revoked[10..], &expired[10..], &unknown[10..], malformed] {
            assert!(!all.contains(secret), "{secret} in {all}");
        }
    }
    // A flood: failures are audited only while the address is under its limit (8 per hour);
    // then the address is refused and nothing more is written.
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(w.call("GET", path, Some(&unknown), None).await.0);
    }
    assert_eq!(&statuses[..3], &[401, 401, 401]);
    assert!(statuses[3..].iter().all(|s| *s == 429), "{statuses:?}");
    assert_eq!(w.audit("api_key.auth_failed").await.len(), 7);
    w.app.stop().await;
}

/// With `LATCHKEY_SMTP_*` set the settings can't be changed through the API (409) but can be
/// read (the password only as "set") and checked. The variables are read once at start, so this
/// runs again in a child process of this test binary with them set (no other test sees them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn env_managed_smtp_is_read_only() {
    const NAME: &str = "env_managed_smtp_is_read_only";
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
            .env("LATCHKEY_SMTP_AUTH", "off")
            .env("LATCHKEY_SMTP_PASSWORD", ENV_PASSWORD)
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
    assert!(mails
        .iter()
        .all(|m| m.rcpt_to == vec!["admin@acme.example".to_owned()]));
    srv.stop().await;
}

async fn env_managed(backend: Backend) {
    let w = world(backend).await;
    let port: u16 = std::env::var("LATCHKEY_SMTP_PORT")
        .unwrap()
        .parse()
        .unwrap();
    let all = w.key(None, &["settings:write"]).await;
    let writer = w.key(Some(&w.acme), &["settings:write"]).await;
    let (status, s) = w.call("GET", "/api/v1/smtp", Some(&all), None).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(
        (
            &s["source"],
            &s["read_only"],
            &s["settings"]["host"],
            &s["settings"]["port"]
        ),
        (
            &json!("environment"),
            &json!(true),
            &json!("127.0.0.1"),
            &json!(port)
        )
    );
    assert_eq!(s["settings"]["password"], "set");
    assert_no_secret(&s);
    let before = w.settings_rows().await;
    for (path, key) in [
        ("/api/v1/smtp", &all),
        ("/api/v1/tenants/acme/smtp", &writer),
    ] {
        let (status, err) = w
            .call("PUT", path, Some(key), Some(&json!({"enabled": false})))
            .await;
        assert_eq!(
            (status, &err["error"]["code"]),
            (409, &json!("smtp_from_environment")),
            "{path}: {err}"
        );
        assert!(err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("LATCHKEY_SMTP_"));
    }
    assert_eq!(w.settings_rows().await, before);
    let (status, t) = w
        .call("GET", "/api/v1/tenants/acme/smtp", Some(&writer), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (&t["source"], &t["read_only"], &t["inherits"]),
        (&json!("environment"), &json!(true), &json!(true))
    );
    assert!(t["own_server"].is_null());
    assert_no_secret(&t);
    // The check works with the environment's settings.
    let (status, r) = w
        .call(
            "POST",
            "/api/v1/tenants/acme/smtp/check",
            Some(&writer),
            Some(&json!({"to": "admin@acme.example"})),
        )
        .await;
    assert_eq!(
        (status, &r["ok"], &r["source"]),
        (200, &json!(true), &json!("environment")),
        "{r}"
    );
    let (status, r) = w.call("POST", "/api/v1/smtp/check", Some(&all), None).await;
    assert_eq!(
        (status, &r["ok"], &r["source"]),
        (200, &json!(true), &json!("environment")),
        "{r}"
    );
    w.app.stop().await;
}
