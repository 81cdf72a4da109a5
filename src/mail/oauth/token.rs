//! Fetching an access token: one HTTPS request to the provider's token endpoint, with a client
//! secret, a client assertion signed with the app's certificate key (Microsoft), or a JWT
//! assertion signed with a service account key (Google). Errors carry the provider's error code
//! and a hint in words.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;

use super::settings::{OAuthSettings, SignIn};
use crate::i18n::{Msg, Text};

/// The OAuth settings with their secrets in hand. Exists only while it is used.
#[derive(Clone)]
pub struct ResolvedOAuth {
    pub method: SignIn,
    pub settings: OAuthSettings,
    pub client_secret: Option<SecretString>,
    pub private_key: Option<SecretString>,
    /// The mailbox the token is for: the XOAUTH2 user and Google's `sub`.
    pub user: String,
}

/// An access token and how long the endpoint said it lives.
pub struct Token {
    pub access: SecretString,
    pub lifetime: Duration,
}

/// A token request that failed.
#[derive(Debug, Clone)]
pub struct TokenError {
    /// HTTP status, when the endpoint answered.
    pub status: Option<u16>,
    /// What went wrong, in one line: the provider's `error` and description (quoted as they
    /// came), or the local cause, as a message (`Display` gives English).
    pub message: Text,
    pub hint: Option<Text>,
    /// Trying again later can't help (a refused secret, an unknown app).
    pub permanent: bool,
}

fn local(message: impl Into<Text>, hint: Option<&'static str>) -> TokenError {
    TokenError {
        status: None,
        message: message.into(),
        hint: hint.map(|id| Msg::new(id).into()),
        permanent: true,
    }
}

/// What the request is, for the transcript's "Sent" column (never a secret): the request line
/// as sent, with Latchkey's note of its kind as a message (translated on the page).
pub fn describe(o: &ResolvedOAuth) -> Msg {
    let how = match o.method {
        SignIn::Microsoft if o.private_key.is_some() => "certificate",
        SignIn::Microsoft | SignIn::Oauth2 => "client-secret",
        SignIn::Google => "service-account",
        SignIn::Password => "other",
    };
    Msg::new("smtp-sent-token-request")
        .arg("url", o.settings.token_url(o.method))
        .arg("how", how)
}

#[derive(Serialize)]
struct AssertionClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    scope: Option<&'a str>,
    iat: u64,
    nbf: u64,
    exp: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    jti: Option<String>,
}

/// A Google service account's JSON key file (the fields used).
#[derive(Deserialize)]
struct ServiceAccountKey {
    client_email: String,
    private_key: String,
    #[serde(default)]
    private_key_id: String,
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn random_id() -> String {
    use rand::RngCore;
    let mut b = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// `what`: `certificate-key` or `service-account-key`.
fn rsa_key(pem: &str, what: &'static str) -> Result<EncodingKey, TokenError> {
    EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| {
        local(
            Msg::new("oauth-err-key-unusable")
                .arg("what", what)
                .arg("error", e.to_string()),
            Some("oauth-hint-rsa-pem"),
        )
    })
}

/// Who signs Google's assertion and with what, from the key typed (a JSON key file or a PEM
/// private key) and the client id: the service account's address (`iss`), the key (PEM) and
/// its id. A JSON key names its service account; a client id beside it must be that address
/// (an admin who enters the account's numeric Unique ID there got Google's `invalid_grant`).
fn google_signer(s: &OAuthSettings, key: &str) -> Result<(String, String, String), TokenError> {
    let key = key.trim();
    let client = s.client_id.trim();
    if key.starts_with('{') {
        let k: ServiceAccountKey = serde_json::from_str(key).map_err(|e| {
            local(
                Msg::new("oauth-err-service-key-json").arg("error", e.to_string()),
                Some("oauth-hint-service-key-json"),
            )
        })?;
        if k.client_email.trim().is_empty() {
            return Err(local(
                Msg::new("oauth-err-no-service-address"),
                Some("oauth-hint-service-key-json"),
            ));
        }
        if !client.is_empty() && !client.eq_ignore_ascii_case(k.client_email.trim()) {
            return Err(local(
                Msg::new("oauth-err-service-address-differs")
                    .arg("client", client)
                    .arg("email", k.client_email.trim()),
                Some("oauth-hint-service-address-json"),
            ));
        }
        return Ok((k.client_email, k.private_key, k.private_key_id));
    }
    if client.is_empty() {
        return Err(local(
            Msg::new("oauth-err-no-service-address"),
            Some("oauth-hint-service-address"),
        ));
    }
    if !client.contains('@') {
        return Err(local(
            Msg::new("oauth-err-service-address-not-email").arg("client", client),
            Some("oauth-hint-service-address"),
        ));
    }
    Ok((client.to_owned(), key.to_owned(), String::new()))
}

/// Checks a private key typed for `method` as a token request would use it, without making
/// one: that it is an RSA key in PEM (in Google's JSON key file, if that is what it is), and
/// that Google's service account is named consistently. Saving asks, so a key that can't work
/// is refused when it is typed, not found out at the Token step of the first mail.
pub fn check_key(method: SignIn, s: &OAuthSettings, key: &str) -> Result<(), TokenError> {
    match method {
        SignIn::Microsoft => rsa_key(key.trim(), "certificate-key").map(drop),
        SignIn::Google => {
            let (_, pem, _) = google_signer(s, key)?;
            rsa_key(&pem, "service-account-key").map(drop)
        }
        SignIn::Password | SignIn::Oauth2 => Ok(()),
    }
}

/// The form fields of the token request for `o`.
fn request_form(o: &ResolvedOAuth, token_url: &str) -> Result<Vec<(String, String)>, TokenError> {
    let s = &o.settings;
    let scope = s.scope(o.method);
    let now = now_secs();
    let mut form: Vec<(String, String)> = Vec::new();
    match o.method {
        SignIn::Password => return Err(local(Msg::new("oauth-err-not-oauth"), None)),
        SignIn::Microsoft | SignIn::Oauth2 => {
            form.push(("grant_type".into(), "client_credentials".into()));
            form.push(("client_id".into(), s.client_id.trim().into()));
            if !scope.is_empty() {
                form.push(("scope".into(), scope));
            }
            match (&o.private_key, &o.client_secret) {
                (Some(key), _) if o.method == SignIn::Microsoft => {
                    let cert = CertificateDer::pem_slice_iter(s.certificate_pem.as_bytes())
                        .next()
                        .and_then(Result::ok)
                        .ok_or_else(|| {
                            local(
                                Msg::new("oauth-err-no-certificate"),
                                Some("oauth-hint-certificate"),
                            )
                        })?;
                    let mut header = Header::new(Algorithm::PS256);
                    header.x5t_s256 = Some(URL_SAFE_NO_PAD.encode(Sha256::digest(cert.as_ref())));
                    let claims = AssertionClaims {
                        iss: s.client_id.trim(),
                        sub: s.client_id.trim(),
                        aud: token_url,
                        scope: None,
                        iat: now,
                        nbf: now.saturating_sub(30),
                        exp: now + 600,
                        jti: Some(random_id()),
                    };
                    let jwt = jsonwebtoken::encode(
                        &header,
                        &claims,
                        &rsa_key(key.expose_secret(), "certificate-key")?,
                    )
                    .map_err(|e| {
                        let m = Msg::new("oauth-err-client-assertion").arg("error", e.to_string());
                        local(m, Some("oauth-hint-check-key"))
                    })?;
                    form.push((
                        "client_assertion_type".into(),
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
                    ));
                    form.push(("client_assertion".into(), jwt));
                }
                (_, Some(secret)) => {
                    form.push(("client_secret".into(), secret.expose_secret().to_owned()));
                }
                _ => {
                    return Err(local(
                        Msg::new("oauth-err-no-secret"),
                        Some("oauth-hint-secret"),
                    ))
                }
            }
        }
        SignIn::Google => {
            let Some(key) = &o.private_key else {
                return Err(local(
                    Msg::new("oauth-err-no-service-key"),
                    Some("oauth-hint-service-key"),
                ));
            };
            let (iss, pem, kid) = google_signer(s, key.expose_secret())?;
            let mut header = Header::new(Algorithm::RS256);
            if !kid.is_empty() {
                header.kid = Some(kid);
            }
            let claims = AssertionClaims {
                iss: &iss,
                sub: &o.user,
                aud: token_url,
                scope: Some(&scope),
                iat: now,
                nbf: now.saturating_sub(30),
                exp: now + 3600,
                jti: None,
            };
            let jwt =
                jsonwebtoken::encode(&header, &claims, &rsa_key(&pem, "service-account-key")?)
                    .map_err(|e| {
                        local(
                            Msg::new("oauth-err-assertion").arg("error", e.to_string()),
                            Some("oauth-hint-check-service-key"),
                        )
                    })?;
            form.push((
                "grant_type".into(),
                "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
            ));
            form.push(("assertion".into(), jwt));
        }
    }
    Ok(form)
}

#[derive(Deserialize)]
struct TokenReply {
    access_token: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

#[derive(Deserialize, Default)]
struct ErrorReply {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

const MAX_BODY: usize = 64 * 1024;

/// Asks the token endpoint for an access token.
pub async fn request(
    o: &ResolvedOAuth,
    extra_ca_pem: &str,
    timeout: Duration,
) -> Result<Token, TokenError> {
    let token_url = o.settings.token_url(o.method);
    let form = request_form(o, &token_url)?;
    let tls = crate::mail::client::tls_client_config(extra_ca_pem)
        .map_err(|e| local(e, Some("oauth-hint-extra-ca")))?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| {
            local(
                Msg::new("oauth-err-http-client").arg("error", e.to_string()),
                None,
            )
        })?;
    let mut response = client
        .post(&token_url)
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| TokenError {
            status: None,
            message: Msg::new("oauth-err-unreachable")
                .arg("error", error_chain(&e))
                .into(),
            hint: Some(if e.is_timeout() {
                Msg::new("oauth-hint-timeout")
                    .arg("url", token_url.as_str())
                    .arg("secs", timeout.as_secs() as i64)
                    .into()
            } else {
                Msg::new("oauth-hint-unreachable").into()
            }),
            permanent: false,
        })?;
    let status = response.status().as_u16();
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_BODY {
            break;
        }
    }
    if (200..300).contains(&status) {
        let reply: TokenReply = serde_json::from_slice(&body).map_err(|_| TokenError {
            status: Some(status),
            message: Msg::new("oauth-err-not-json")
                .arg("status", u32::from(status))
                .into(),
            hint: Some(Msg::new("oauth-hint-token-url").into()),
            permanent: true,
        })?;
        let Some(access) = reply.access_token.filter(|t| !t.is_empty()) else {
            return Err(TokenError {
                status: Some(status),
                message: Msg::new("oauth-err-no-access-token")
                    .arg("status", u32::from(status))
                    .into(),
                hint: None,
                permanent: true,
            });
        };
        let secs = match reply.expires_in {
            Some(serde_json::Value::Number(n)) => n.as_u64(),
            Some(serde_json::Value::String(s)) => s.parse().ok(),
            _ => None,
        }
        .unwrap_or(3600)
        // Nobody keeps a token for a day; an absurd answer must not overflow a clock.
        .min(86_400);
        return Ok(Token {
            access: SecretString::from(access),
            lifetime: Duration::from_secs(secs),
        });
    }
    let mut err: ErrorReply = serde_json::from_slice(&body).unwrap_or_default();
    err.error = clean(&err.error, 60);
    let mut description = clean(err.error_description.lines().next().unwrap_or(""), 300);
    if description.is_empty() && err.error.is_empty() {
        description = clean(&String::from_utf8_lossy(&body[..body.len().min(200)]), 200);
    }
    // The provider's words, quoted as they came.
    let message = match (err.error.is_empty(), description.is_empty()) {
        (false, false) => format!("HTTP {status}: {}: {description}", err.error),
        (false, true) => format!("HTTP {status}: {}", err.error),
        _ => format!("HTTP {status}: {description}"),
    };
    Err(TokenError {
        status: Some(status),
        hint: Some(hint(o.method, status, &err.error, &description).into()),
        message: message.into(),
        // The provider refused what we sent: waiting won't change that. Throttling and server
        // errors pass.
        permanent: matches!(status, 400 | 401 | 403 | 404),
    })
}

/// Text from the token endpoint as it may be shown and logged: one line, no control
/// characters, at most `max` characters.
fn clean(s: &str, max: usize) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}

/// What to do about a refused token request.
fn hint(method: SignIn, status: u16, error: &str, description: &str) -> Msg {
    let has = |code: &str| description.contains(code);
    let id = if has("AADSTS7000215") {
        "oauth-hint-wrong-secret"
    } else if has("AADSTS7000222") {
        "oauth-hint-expired-secret"
    } else if has("AADSTS700016") {
        "oauth-hint-unknown-app"
    } else if has("AADSTS90002") || has("AADSTS900023") {
        "oauth-hint-unknown-tenant"
    } else if has("AADSTS700027") || has("AADSTS700024") {
        "oauth-hint-assertion-refused"
    } else if has("AADSTS70011") || has("AADSTS1002012") {
        "oauth-hint-bad-scope-exchange"
    } else if has("AADSTS7000112") || has("AADSTS7000113") {
        "oauth-hint-app-disabled"
    } else if method == SignIn::Google && error == "unauthorized_client" {
        "oauth-hint-google-delegation"
    } else if method == SignIn::Google
        && error == "invalid_grant"
        && description.contains("Signature")
    {
        "oauth-hint-google-signature"
    } else if method == SignIn::Google && error == "invalid_grant" {
        "oauth-hint-google-grant"
    } else if error == "invalid_client" {
        "oauth-hint-invalid-client"
    } else if error == "invalid_scope" {
        "oauth-hint-invalid-scope"
    } else if status == 429 || status >= 500 {
        "oauth-hint-busy"
    } else {
        "oauth-hint-refused"
    };
    Msg::new(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_name_the_providers_errors() {
        assert!(hint(
            SignIn::Microsoft,
            401,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided."
        )
        .to_string()
        .contains("Value"));
        assert!(hint(
            SignIn::Microsoft,
            400,
            "unauthorized_client",
            "AADSTS700016: Application with identifier 'x' was not found"
        )
        .to_string()
        .contains("client ID"));
        assert!(hint(
            SignIn::Microsoft,
            400,
            "invalid_request",
            "AADSTS90002: Tenant 'x' not found."
        )
        .to_string()
        .contains("tenant"));
        assert!(hint(
            SignIn::Google,
            401,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens"
        )
        .to_string()
        .contains("delegation"));
        assert!(hint(SignIn::Oauth2, 503, "", "")
            .to_string()
            .contains("tries again"));
    }

    #[test]
    fn describe_never_shows_a_secret() {
        let o = ResolvedOAuth {
            method: SignIn::Microsoft,
            settings: OAuthSettings {
                tenant: "contoso.onmicrosoft.com".into(),
                client_id: "app".into(),
                ..OAuthSettings::default()
            },
            client_secret: Some(SecretString::from("very-secret".to_owned())),
            private_key: None,
            user: "noreply@contoso.com".into(),
        };
        let d = describe(&o).to_string();
        assert_eq!(
            d,
            "POST https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token (client credentials, client secret)"
        );
        assert!(d.contains("login.microsoftonline.com/contoso.onmicrosoft.com"));
        assert!(!d.contains("very-secret"));
    }
}
