//! An OAuth 2.0 token endpoint on loopback, written for the tests: HTTPS with a certificate from
//! the test CA, and the three grants Latchkey uses, each checked as the providers do:
//!
//! - Microsoft (`POST /{tenant}/oauth2/v2.0/token`): client credentials with a client secret, or
//!   with a client assertion (PS256, `x5t#S256` of the app's certificate) verified with the
//!   certificate's public key; the scope must be Exchange Online's. Errors in Entra's shape
//!   (`AADSTS90002` tenant not found, `AADSTS700016` unknown app, `AADSTS7000215` wrong secret,
//!   `AADSTS700027` bad assertion, `AADSTS70011` bad scope).
//! - Google (`POST /google/token`): a JWT-bearer assertion (RS256) signed with the service
//!   account key, `sub` = the mailbox; `unauthorized_client` when delegation is not granted for
//!   that mailbox, `invalid_grant` for a bad signature.
//! - Generic (`POST /generic/token`): client credentials with a client secret.
//!
//! Tokens it issues are random strings it remembers with their expiry and who may use them; the
//! test SMTP server asks it ([`TokenCheck`]) whether a token presented for a mailbox is good.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;
use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use super::smtp::{TestCa, TokenCheck};

pub const MS_TENANT: &str = "contoso.onmicrosoft.com";
pub const MS_CLIENT_ID: &str = "6f1c2a9e-4d2b-4c1e-9a55-1b2c3d4e5f60";
pub const MS_SECRET: &str = "Q~test.client-secret_value_42";
pub const MS_SCOPE: &str = "https://outlook.office365.com/.default";
pub const GOOGLE_EMAIL: &str = "latchkey-mailer@example-project.iam.gserviceaccount.com";
pub const GOOGLE_SCOPE: &str = "https://mail.google.com/";
pub const GENERIC_CLIENT_ID: &str = "latchkey";
pub const GENERIC_SECRET: &str = "generic-client-secret-77";

/// The app's certificate and key (Microsoft), a key that belongs to nobody, and the service
/// account's key (Google): test-only keys in tests/it/fixtures/oauth.
pub const APP_KEY: &str = include_str!("../fixtures/oauth/app.key");
pub const APP_CERT: &str = include_str!("../fixtures/oauth/app.crt");
const APP_PUB: &str = include_str!("../fixtures/oauth/app.pub");
pub const OTHER_KEY: &str = include_str!("../fixtures/oauth/other.key");
pub const GOOGLE_KEY: &str = include_str!("../fixtures/oauth/google.key");
const GOOGLE_PUB: &str = include_str!("../fixtures/oauth/google.pub");

/// A Google service account JSON key file for [`GOOGLE_KEY`].
pub fn google_key_json() -> String {
    json!({
        "type": "service_account",
        "project_id": "example-project",
        "private_key_id": "0123456789abcdef",
        "private_key": GOOGLE_KEY,
        "client_email": GOOGLE_EMAIL,
        "client_id": "104242424242424242424",
        // Ignored by Latchkey (a pasted file must not choose where requests go).
        "token_uri": "https://oauth2.googleapis.com/token",
    })
    .to_string()
}

/// Who may use a token.
#[derive(Clone)]
enum Holder {
    /// A Microsoft app token: any mailbox the app was given permission on.
    App,
    /// A Google token: only the delegated mailbox (`sub`).
    Mailbox(String),
    /// A generic token: any user.
    Anyone,
}

struct Issued {
    holder: Holder,
    expires: Instant,
}

struct EndpointState {
    base: String,
    ms_secret: Mutex<String>,
    /// Mailboxes the Microsoft app may send as (Exchange's mailbox permission).
    ms_mailboxes: Mutex<HashSet<String>>,
    /// Mailboxes Google's domain-wide delegation allows as `sub`.
    google_delegated: Mutex<HashSet<String>>,
    lifetime: Mutex<Duration>,
    tokens: Mutex<HashMap<String, Issued>>,
    requests: AtomicUsize,
    /// Requests with the secret or assertion refused.
    refused: AtomicUsize,
    /// Answer 503 to everything (an outage).
    down: Mutex<bool>,
    /// Say this `expires_in` instead of the real lifetime (a provider's odd answer).
    expires_in: Mutex<Option<u64>>,
    /// Wait this long before answering (an endpoint that hangs).
    stall: Mutex<Duration>,
}

pub struct TokenEndpoint {
    port: u16,
    state: Arc<EndpointState>,
    task: JoinHandle<()>,
}

impl Drop for TokenEndpoint {
    fn drop(&mut self) {
        self.task.abort();
    }
}

struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            };
            if let Ok(Ok(tls)) =
                tokio::time::timeout(Duration::from_secs(10), self.acceptor.accept(tcp)).await
            {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

impl TokenEndpoint {
    /// Starts the endpoint with a certificate for 127.0.0.1 and localhost from `ca`. The
    /// Microsoft app may send as `mailboxes`, and Google delegation allows the same mailboxes.
    pub async fn start(ca: &TestCa, mailboxes: &[&str]) -> TokenEndpoint {
        let (chain, key) = ca.issue(&["localhost".to_string(), "127.0.0.1".to_string()]);
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .expect("protocol versions")
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .expect("endpoint certificate");
        let tcp = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind token endpoint");
        let port = tcp.local_addr().unwrap().port();
        let set: HashSet<String> = mailboxes.iter().map(|m| m.to_string()).collect();
        let state = Arc::new(EndpointState {
            base: format!("https://127.0.0.1:{port}"),
            ms_secret: Mutex::new(MS_SECRET.to_owned()),
            ms_mailboxes: Mutex::new(set.clone()),
            google_delegated: Mutex::new(set),
            lifetime: Mutex::new(Duration::from_secs(3599)),
            tokens: Mutex::new(HashMap::new()),
            requests: AtomicUsize::new(0),
            refused: AtomicUsize::new(0),
            down: Mutex::new(false),
            expires_in: Mutex::new(None),
            stall: Mutex::new(Duration::ZERO),
        });
        let app = Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(microsoft))
            .route("/google/token", post(google))
            .route("/generic/token", post(generic))
            .with_state(state.clone());
        let listener = TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        };
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TokenEndpoint { port, state, task }
    }

    /// `https://127.0.0.1:PORT`: Microsoft's authority (login host) in the settings.
    pub fn authority(&self) -> String {
        self.state.base.clone()
    }
    pub fn google_token_url(&self) -> String {
        format!("{}/google/token", self.state.base)
    }
    pub fn generic_token_url(&self) -> String {
        format!("{}/generic/token", self.state.base)
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    /// Token requests answered so far (any outcome).
    pub fn requests(&self) -> usize {
        self.state.requests.load(Ordering::SeqCst)
    }
    /// Tokens issued and not yet expired.
    pub fn live_tokens(&self) -> usize {
        let now = Instant::now();
        self.state
            .tokens
            .lock()
            .unwrap()
            .values()
            .filter(|t| t.expires > now)
            .count()
    }
    /// How long new tokens live.
    pub fn set_lifetime(&self, d: Duration) {
        *self.state.lifetime.lock().unwrap() = d;
    }
    /// Every token issued so far stops working now (the server says they expired).
    pub fn expire_all(&self) {
        let past = Instant::now() - Duration::from_secs(1);
        for t in self.state.tokens.lock().unwrap().values_mut() {
            t.expires = past;
        }
    }
    /// The admin revoked the client secret: requests with it are refused from now on.
    pub fn revoke_secret(&self) {
        *self.state.ms_secret.lock().unwrap() = "revoked-".to_owned() + &random();
    }
    /// Answer `expires_in` with this value (the tokens still live as long as set).
    pub fn say_expires_in(&self, secs: Option<u64>) {
        *self.state.expires_in.lock().unwrap() = secs;
    }
    /// Answer every request only after `d` (zero: at once).
    pub fn set_stall(&self, d: Duration) {
        *self.state.stall.lock().unwrap() = d;
    }
    pub fn set_down(&self, down: bool) {
        *self.state.down.lock().unwrap() = down;
    }
    /// Every access token issued so far (to look for it where it must never appear).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.tokens.lock().unwrap().keys().cloned().collect()
    }
    /// The SMTP server's view: whether `token` is good for `user`.
    pub fn checker(&self) -> Arc<dyn TokenCheck> {
        Arc::new(Checker(self.state.clone()))
    }
}

struct Checker(Arc<EndpointState>);

impl TokenCheck for Checker {
    fn accepts(&self, user: &str, token: &str) -> bool {
        let tokens = self.0.tokens.lock().unwrap();
        let Some(issued) = tokens.get(token) else {
            return false;
        };
        if issued.expires <= Instant::now() {
            return false;
        }
        match &issued.holder {
            Holder::App => self.0.ms_mailboxes.lock().unwrap().contains(user),
            Holder::Mailbox(m) => m == user,
            Holder::Anyone => true,
        }
    }
}

fn random() -> String {
    use rand::RngCore;
    let mut b = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

fn issue(state: &EndpointState, holder: Holder) -> Response {
    let token = format!("eyJ0ZXN0{}", random());
    let lifetime = *state.lifetime.lock().unwrap();
    state.tokens.lock().unwrap().insert(
        token.clone(),
        Issued {
            holder,
            expires: Instant::now() + lifetime,
        },
    );
    let said = state
        .expires_in
        .lock()
        .unwrap()
        .unwrap_or(lifetime.as_secs());
    Json(json!({
        "token_type": "Bearer",
        "expires_in": said,
        "ext_expires_in": lifetime.as_secs(),
        "access_token": token,
    }))
    .into_response()
}

/// An error in Entra ID's shape.
fn aad(status: StatusCode, error: &str, code: u32, text: &str) -> Response {
    (
        status,
        Json(json!({
            "error": error,
            "error_description": format!("AADSTS{code}: {text} Trace ID: 0000 Correlation ID: 0000 Timestamp: 2026-12-02 08:00:00Z"),
            "error_codes": [code],
            "timestamp": "2026-12-02 08:00:00Z",
        })),
    )
        .into_response()
}

fn oauth_error(status: StatusCode, error: &str, text: &str) -> Response {
    (
        status,
        Json(json!({ "error": error, "error_description": text })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct MsForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    scope: Option<String>,
    client_secret: Option<String>,
    client_assertion_type: Option<String>,
    client_assertion: Option<String>,
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    #[allow(dead_code)]
    exp: u64,
    #[serde(default)]
    scope: String,
}

async fn stall(state: &EndpointState) {
    let d = *state.stall.lock().unwrap();
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

fn begin(state: &EndpointState) -> Option<Response> {
    state.requests.fetch_add(1, Ordering::SeqCst);
    if *state.down.lock().unwrap() {
        return Some(oauth_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "temporarily_unavailable",
            "The service is temporarily unavailable.",
        ));
    }
    None
}

async fn microsoft(
    State(state): State<Arc<EndpointState>>,
    Path(tenant): Path<String>,
    Form(f): Form<MsForm>,
) -> Response {
    if let Some(r) = begin(&state) {
        return r;
    }
    stall(&state).await;
    if tenant != MS_TENANT {
        return aad(StatusCode::BAD_REQUEST, "invalid_request", 90002, &format!("Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud."));
    }
    if f.grant_type.as_deref() != Some("client_credentials") {
        return aad(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            70003,
            "The app requested an unsupported grant type.",
        );
    }
    let client_id = f.client_id.unwrap_or_default();
    if client_id != MS_CLIENT_ID {
        return aad(StatusCode::BAD_REQUEST, "unauthorized_client", 700016, &format!("Application with identifier '{client_id}' was not found in the directory '{MS_TENANT}'."));
    }
    if f.scope.as_deref() != Some(MS_SCOPE) {
        return aad(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            70011,
            "The provided request must include a 'scope' input parameter.",
        );
    }
    let token_url = format!("{}/{tenant}/oauth2/v2.0/token", state.base);
    match (f.client_secret, f.client_assertion_type, f.client_assertion) {
        (Some(secret), None, None) => {
            if secret != *state.ms_secret.lock().unwrap() {
                state.refused.fetch_add(1, Ordering::SeqCst);
                return aad(StatusCode::UNAUTHORIZED, "invalid_client", 7000215, "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.");
            }
        }
        (None, Some(kind), Some(jwt))
            if kind == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" =>
        {
            if let Err(why) = check_ms_assertion(&jwt, &token_url) {
                state.refused.fetch_add(1, Ordering::SeqCst);
                return aad(
                    StatusCode::UNAUTHORIZED,
                    "invalid_client",
                    700027,
                    &format!("Client assertion failed signature validation. ({why})"),
                );
            }
        }
        _ => {
            return aad(StatusCode::UNAUTHORIZED, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
        }
    }
    issue(&state, Holder::App)
}

fn check_ms_assertion(jwt: &str, token_url: &str) -> Result<(), String> {
    let header = jsonwebtoken::decode_header(jwt).map_err(|e| e.to_string())?;
    let cert = CertificateDer::from_pem_slice(APP_CERT.as_bytes()).map_err(|e| e.to_string())?;
    let thumbprint = URL_SAFE_NO_PAD.encode(Sha256::digest(cert.as_ref()));
    if header.x5t_s256.as_deref() != Some(thumbprint.as_str()) {
        return Err("unknown certificate thumbprint".into());
    }
    if header.alg != Algorithm::PS256 && header.alg != Algorithm::RS256 {
        return Err(format!("algorithm {:?}", header.alg));
    }
    let mut v = Validation::new(header.alg);
    v.set_audience(&[token_url]);
    v.set_issuer(&[MS_CLIENT_ID]);
    v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let key = DecodingKey::from_rsa_pem(APP_PUB.as_bytes()).map_err(|e| e.to_string())?;
    let data = jsonwebtoken::decode::<AssertionClaims>(jwt, &key, &v).map_err(|e| e.to_string())?;
    if data.claims.sub != MS_CLIENT_ID || data.claims.iss != MS_CLIENT_ID {
        return Err("iss and sub must be the client id".into());
    }
    Ok(())
}

#[derive(Deserialize)]
struct GoogleForm {
    grant_type: Option<String>,
    assertion: Option<String>,
}

async fn google(State(state): State<Arc<EndpointState>>, Form(f): Form<GoogleForm>) -> Response {
    if let Some(r) = begin(&state) {
        return r;
    }
    stall(&state).await;
    if f.grant_type.as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Invalid grant_type: ",
        );
    }
    let jwt = f.assertion.unwrap_or_default();
    let mut v = Validation::new(Algorithm::RS256);
    v.set_audience(&[format!("{}/google/token", state.base)]);
    v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    let key = DecodingKey::from_rsa_pem(GOOGLE_PUB.as_bytes()).unwrap();
    let claims = match jsonwebtoken::decode::<AssertionClaims>(&jwt, &key, &v) {
        Ok(d) => d.claims,
        Err(_) => {
            state.refused.fetch_add(1, Ordering::SeqCst);
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Invalid JWT Signature.",
            );
        }
    };
    if claims.iss != GOOGLE_EMAIL {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Invalid JWT Signature.",
        );
    }
    if claims.scope != GOOGLE_SCOPE || !state.google_delegated.lock().unwrap().contains(&claims.sub)
    {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return oauth_error(StatusCode::UNAUTHORIZED, "unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.");
    }
    issue(&state, Holder::Mailbox(claims.sub))
}

#[derive(Deserialize)]
struct GenericForm {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

async fn generic(State(state): State<Arc<EndpointState>>, Form(f): Form<GenericForm>) -> Response {
    if let Some(r) = begin(&state) {
        return r;
    }
    stall(&state).await;
    if f.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "client_credentials only",
        );
    }
    if f.client_id.as_deref() != Some(GENERIC_CLIENT_ID)
        || f.client_secret.as_deref() != Some(GENERIC_SECRET)
    {
        state.refused.fetch_add(1, Ordering::SeqCst);
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed.",
        );
    }
    issue(&state, Holder::Anyone)
}
