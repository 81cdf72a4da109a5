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
    /// What went wrong, in one line: the provider's `error` and description, or the local cause.
    pub message: String,
    pub hint: Option<String>,
    /// Trying again later can't help (a refused secret, an unknown app).
    pub permanent: bool,
}

fn local(message: impl Into<String>, hint: &str) -> TokenError {
    TokenError {
        status: None,
        message: message.into(),
        hint: Some(hint.to_owned()),
        permanent: true,
    }
}

/// What the request is, for the transcript (never a secret).
pub fn describe(o: &ResolvedOAuth) -> String {
    let how = match o.method {
        SignIn::Microsoft if o.private_key.is_some() => "client credentials, certificate",
        SignIn::Microsoft | SignIn::Oauth2 => "client credentials, client secret",
        SignIn::Google => "service account, domain-wide delegation",
        SignIn::Password => "",
    };
    format!("POST {} ({how})", o.settings.token_url(o.method))
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

fn rsa_key(pem: &str, what: &str) -> Result<EncodingKey, TokenError> {
    EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|e| {
        local(
            format!("the {what} can't be used: {e}"),
            "Paste the RSA private key in PEM form (-----BEGIN PRIVATE KEY-----…).",
        )
    })
}

/// The form fields of the token request for `o`.
fn request_form(o: &ResolvedOAuth, token_url: &str) -> Result<Vec<(String, String)>, TokenError> {
    let s = &o.settings;
    let scope = s.scope(o.method);
    let now = now_secs();
    let mut form: Vec<(String, String)> = Vec::new();
    match o.method {
        SignIn::Password => return Err(local("not an OAuth sign-in", "")),
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
                                "no certificate to go with the private key",
                                "Paste the certificate you uploaded to the app (PEM) next to its private key.",
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
                        &rsa_key(key.expose_secret(), "certificate's private key")?,
                    )
                    .map_err(|e| local(format!("signing the client assertion failed: {e}"), "Check the private key."))?;
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
                        "no client secret (or certificate key) is set",
                        "Enter the client secret's value (or, for Microsoft, the certificate and its private key).",
                    ))
                }
            }
        }
        SignIn::Google => {
            let Some(key) = &o.private_key else {
                return Err(local(
                    "no service account key is set",
                    "Paste the service account's JSON key file (or its private key).",
                ));
            };
            let key = key.expose_secret().trim();
            let (iss, pem, kid) = if key.starts_with('{') {
                let k: ServiceAccountKey = serde_json::from_str(key).map_err(|e| {
                    local(
                        format!("the service account key is not a JSON key file: {e}"),
                        "Paste the whole JSON key file downloaded from Google Cloud (IAM → Service accounts → Keys).",
                    )
                })?;
                let iss = if s.client_id.trim().is_empty() {
                    k.client_email
                } else {
                    s.client_id.trim().to_owned()
                };
                (iss, k.private_key, k.private_key_id)
            } else {
                (s.client_id.trim().to_owned(), key.to_owned(), String::new())
            };
            if iss.is_empty() {
                return Err(local(
                    "the service account's e-mail address is not set",
                    "Enter the service account's e-mail address as the client id, or paste the JSON key file.",
                ));
            }
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
                jsonwebtoken::encode(&header, &claims, &rsa_key(&pem, "service account key")?)
                    .map_err(|e| {
                        local(
                            format!("signing the assertion failed: {e}"),
                            "Check the service account key.",
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
        .map_err(|e| local(e, "Fix or remove the extra CA certificate."))?;
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(tls)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| local(format!("HTTP client: {e}"), ""))?;
    let mut response = client
        .post(&token_url)
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| TokenError {
            status: None,
            message: format!("the token endpoint could not be reached: {}", error_chain(&e)),
            hint: Some(if e.is_timeout() {
                format!("No answer from {token_url} within {} s; Latchkey tries again later.", timeout.as_secs())
            } else {
                "Check the authority (login host) and that this server may reach it over HTTPS; if it uses an internal CA, add it as the extra CA certificate.".to_owned()
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
            message: format!("HTTP {status}, but the answer is not a token (JSON expected)"),
            hint: Some(
                "Check the token URL: it must be the provider's OAuth 2.0 token endpoint.".into(),
            ),
            permanent: true,
        })?;
        let Some(access) = reply.access_token.filter(|t| !t.is_empty()) else {
            return Err(TokenError {
                status: Some(status),
                message: format!("HTTP {status}, but the answer holds no access_token"),
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
    let message = match (err.error.is_empty(), description.is_empty()) {
        (false, false) => format!("HTTP {status}: {}: {description}", err.error),
        (false, true) => format!("HTTP {status}: {}", err.error),
        _ => format!("HTTP {status}: {description}"),
    };
    Err(TokenError {
        status: Some(status),
        hint: Some(hint(o.method, status, &err.error, &description)),
        message,
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

/// What to do about a refused token request, in words.
fn hint(method: SignIn, status: u16, error: &str, description: &str) -> String {
    let has = |code: &str| description.contains(code);
    let s = if has("AADSTS7000215") {
        "The client secret is wrong. In the Entra admin center → App registrations → the app → Certificates & secrets, create a new client secret and enter its Value (not its Secret ID)."
    } else if has("AADSTS7000222") {
        "The client secret has expired. Create a new one under the app's Certificates & secrets and enter its Value."
    } else if has("AADSTS700016") {
        "No application with this Application (client) ID exists in this directory. Check the client ID, and that the app is registered in the tenant entered."
    } else if has("AADSTS90002") || has("AADSTS900023") {
        "This tenant does not exist. Enter the Directory (tenant) ID from the app's Overview page, or the organisation's domain."
    } else if has("AADSTS700027") || has("AADSTS700024") {
        "The client assertion was refused: upload this certificate to the app (Certificates & secrets → Certificates) and check that the private key belongs to it."
    } else if has("AADSTS70011") || has("AADSTS1002012") {
        "The scope is invalid: for Exchange Online use https://outlook.office365.com/.default (leave the scope empty)."
    } else if has("AADSTS7000112") || has("AADSTS7000113") {
        "The application is disabled in this directory; an Entra administrator must enable it."
    } else if method == SignIn::Google && error == "unauthorized_client" {
        "Domain-wide delegation is not granted for this service account and scope. In the Google Admin console → Security → Access and data control → API controls → Manage domain-wide delegation, add the service account's client ID with the scope https://mail.google.com/."
    } else if method == SignIn::Google
        && error == "invalid_grant"
        && description.contains("Signature")
    {
        "Google does not accept the key's signature: the key was deleted or belongs to another service account. Create a new JSON key and paste it."
    } else if method == SignIn::Google && error == "invalid_grant" {
        "Google refused the assertion: the sender address must be a user (or alias) in the Workspace domain, and the machine's clock must be right."
    } else if error == "invalid_client" {
        "The client id or client secret is wrong, or the secret was revoked. Check both and enter the secret again."
    } else if error == "invalid_scope" {
        "The token endpoint does not know this scope. Check the scope, or leave it empty for the provider's default."
    } else if status == 429 || status >= 500 {
        "The token endpoint is busy or failing; Latchkey tries again later."
    } else {
        "The token endpoint refused the request: check the client id, the secret or key, and the tenant."
    };
    s.to_owned()
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
        .contains("Value"));
        assert!(hint(
            SignIn::Microsoft,
            400,
            "unauthorized_client",
            "AADSTS700016: Application with identifier 'x' was not found"
        )
        .contains("client ID"));
        assert!(hint(
            SignIn::Microsoft,
            400,
            "invalid_request",
            "AADSTS90002: Tenant 'x' not found."
        )
        .contains("tenant"));
        assert!(hint(
            SignIn::Google,
            401,
            "unauthorized_client",
            "Client is unauthorized to retrieve access tokens"
        )
        .contains("delegation"));
        assert!(hint(SignIn::Oauth2, 503, "", "").contains("tries again"));
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
        let d = describe(&o);
        assert!(d.contains("login.microsoftonline.com/contoso.onmicrosoft.com"));
        assert!(!d.contains("very-secret"));
    }
}
