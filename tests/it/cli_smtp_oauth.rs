//! OAuth sign-in from the command line and from `LATCHKEY_SMTP_*`: the real binary sets
//! Microsoft 365 sign-in with the client secret as an `env:` reference (never stored or shown),
//! checks it against the loopback token endpoint and SMTP server, and the environment alone
//! configures Google sign-in with the JSON key file. On SQLite and PostgreSQL.

use crate::common;

use std::sync::Arc;

use common::oauth::{self as ep, TokenEndpoint};
use common::smtp::{SmtpOptions, SmtpServer, TestCa, TlsMode};
use common::{Backend, TestDb};

use crate::cli_smtp_check::{latchkey, Output};

const MAILBOX: &str = "noreply@contoso.com";

async fn run(
    db: &Arc<TestDb>,
    env: Vec<(&'static str, String)>,
    args: Vec<String>,
    stdin: Option<String>,
) -> Output {
    let db = db.clone();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        latchkey(&db, &env, &args, stdin.as_deref())
    })
    .await
    .unwrap()
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

async fn servers() -> (Arc<TestCa>, TokenEndpoint, SmtpServer) {
    let ca = Arc::new(TestCa::new());
    let endpoint = TokenEndpoint::start(&ca, &[MAILBOX]).await;
    let srv = SmtpServer::start(SmtpOptions {
        tls: TlsMode::StartTls,
        oauth: Some(endpoint.checker()),
        ca: Some(ca.clone()),
        ..SmtpOptions::default()
    })
    .await;
    (ca, endpoint, srv)
}

async fn cli_sets_and_checks_microsoft_sign_in(backend: Backend) {
    let db = Arc::new(TestDb::new(backend).await);
    let (ca, endpoint, srv) = servers().await;
    let ca_file = db.dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem).unwrap();
    let secret_env = vec![("LK_TEST_MS_SECRET", ep::MS_SECRET.to_owned())];
    let port = srv.port().to_string();
    let out = run(
        &db,
        vec![],
        args(&[
            "smtp",
            "set",
            "--enabled",
            "on",
            "--host",
            "localhost",
            "--port",
            &port,
            "--security",
            "starttls",
            "--auth",
            "on",
            "--sign-in",
            "microsoft",
            "--username",
            MAILBOX,
            "--from",
            MAILBOX,
            "--timeout",
            "5s",
            "--ca-file",
            ca_file.to_str().unwrap(),
            "--oauth-tenant",
            ep::MS_TENANT,
            "--oauth-client-id",
            ep::MS_CLIENT_ID,
            "--oauth-authority",
            &endpoint.authority(),
            "--oauth-client-secret-stdin",
            "--json",
        ]),
        Some("env:LK_TEST_MS_SECRET\n".into()),
    )
    .await;
    assert!(out.status.success(), "{}", out.describe());
    let shown: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(shown["sign_in"], "microsoft");
    let state = shown["oauth"]["client_secret"].as_str().unwrap();
    assert!(state.contains("LK_TEST_MS_SECRET"), "{state}");
    assert!(!out.stdout.contains(ep::MS_SECRET));

    // The check resolves the reference in its own environment and shows the Token step.
    let out = run(&db, secret_env.clone(), args(&["smtp", "check"]), None).await;
    assert!(out.status.success(), "{}", out.describe());
    assert!(out.stdout.contains("Token"), "{}", out.stdout);
    // The token request as sent, with Latchkey's note of its kind in English.
    assert!(
        out.stdout
            .contains("/oauth2/v2.0/token (client credentials, client secret)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("AUTH XOAUTH2 ********"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains(ep::MS_SECRET));
    for t in endpoint.issued_tokens() {
        assert!(!out.stdout.contains(&t) && !out.stderr.contains(&t));
    }
    // Without the variable the Token step can't be taken, and says why.
    let out = run(&db, vec![], args(&["smtp", "check"]), None).await;
    assert!(!out.status.success());
    assert!(
        out.stderr.contains("LK_TEST_MS_SECRET") || out.stdout.contains("LK_TEST_MS_SECRET"),
        "{}",
        out.describe()
    );

    // The text view names the method and the token URL, never a secret.
    let out = run(&db, vec![], args(&["smtp", "show"]), None).await;
    assert!(
        out.stdout.contains("sign-in:     microsoft"),
        "{}",
        out.stdout
    );
    assert!(out
        .stdout
        .contains("/contoso.onmicrosoft.com/oauth2/v2.0/token"));

    // Standard input holds one secret.
    let out = run(
        &db,
        vec![],
        args(&["smtp", "set", "--password-stdin", "--oauth-key-stdin"]),
        Some("x".into()),
    )
    .await;
    assert!(!out.status.success());
    assert!(out.stderr.contains("one of"), "{}", out.describe());
    let _ = srv;
}

async fn environment_sets_google_sign_in(backend: Backend) {
    let db = Arc::new(TestDb::new(backend).await);
    let (ca, endpoint, srv) = servers().await;
    let ca_file = db.dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca.cert_pem).unwrap();
    let key_file = db.dir.path().join("google-key.json");
    std::fs::write(&key_file, ep::google_key_json()).unwrap();
    let env = vec![
        ("LATCHKEY_SMTP_HOST", "localhost".to_owned()),
        ("LATCHKEY_SMTP_PORT", srv.port().to_string()),
        ("LATCHKEY_SMTP_SECURITY", "starttls".to_owned()),
        ("LATCHKEY_SMTP_FROM", MAILBOX.to_owned()),
        ("LATCHKEY_SMTP_TIMEOUT", "5s".to_owned()),
        (
            "LATCHKEY_SMTP_CA_FILE",
            ca_file.to_str().unwrap().to_owned(),
        ),
        ("LATCHKEY_SMTP_SIGN_IN", "google".to_owned()),
        (
            "LATCHKEY_SMTP_OAUTH_KEY_FILE",
            key_file.to_str().unwrap().to_owned(),
        ),
        ("LATCHKEY_SMTP_OAUTH_AUTHORITY", endpoint.google_token_url()),
    ];
    let out = run(
        &db,
        env.clone(),
        args(&["smtp", "check", "--to", "someone@example.org"]),
        None,
    )
    .await;
    assert!(out.status.success(), "{}", out.describe());
    assert!(out.stdout.contains("Token"), "{}", out.stdout);
    let mails = srv.messages();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].auth_user.as_deref(), Some(MAILBOX));
    assert_eq!(endpoint.requests(), 1);
    let out = run(&db, env, args(&["smtp", "show", "--json"]), None).await;
    assert!(
        !out.stdout.contains("BEGIN PRIVATE KEY"),
        "the key is never shown"
    );
}

crate::on_both_backends!(
    cli_sets_and_checks_microsoft_sign_in,
    environment_sets_google_sign_in
);
