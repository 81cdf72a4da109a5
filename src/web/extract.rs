//! Request extractors: the client's IP, the signed-in session, and strict CSRF-checked forms.

use std::collections::HashMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::Response;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::{AppState, WebError};
use crate::domain::token::{looks_like_token, new_token};
use crate::service::SessionInfo;

/// Cookie names: with an https public URL they carry the `__Host-` prefix, which makes the
/// browser insist on Secure, Path=/ and no Domain (SECURITY.md "Sessions").
pub struct CookieNames {
    pub session: &'static str,
    pub csrf: &'static str,
    pub secure: bool,
}

impl CookieNames {
    pub fn new(secure: bool) -> Self {
        if secure {
            Self {
                session: "__Host-latchkey_session",
                csrf: "__Host-latchkey_csrf",
                secure,
            }
        } else {
            Self {
                session: "latchkey_session",
                csrf: "latchkey_csrf",
                secure,
            }
        }
    }

    pub fn build(&self, name: &'static str, value: String, same_site: SameSite) -> Cookie<'static> {
        Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(same_site)
            .build()
    }

    pub fn session_cookie(&self, secret: &SecretString) -> Cookie<'static> {
        self.build(
            self.session,
            secret.expose_secret().to_owned(),
            SameSite::Lax,
        )
    }

    pub fn removal(&self) -> Cookie<'static> {
        let mut c = self.build(self.session, String::new(), SameSite::Lax);
        c.make_removal();
        c
    }
}

/// The CSRF token of this browser, as put into forms.
#[derive(Clone)]
pub struct CsrfToken(pub String);

/// Gives every browser a random CSRF cookie. Forms carry the same value in a hidden field; a
/// cross-site page can neither read the cookie nor guess the value (double-submit, plus the
/// Origin check in [`CsrfForm`]).
pub async fn csrf_cookie(
    State(state): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    let existing = jar
        .get(state.cookies.csrf)
        .map(|c| c.value().to_owned())
        .filter(|v| looks_like_token(v));
    let fresh = existing.is_none();
    let token = existing.unwrap_or_else(|| new_token().secret.expose_secret().to_owned());
    req.extensions_mut().insert(CsrfToken(token.clone()));
    let mut res = next.run(req).await;
    if fresh {
        let cookie = state
            .cookies
            .build(state.cookies.csrf, token, SameSite::Strict);
        if let Ok(v) = cookie.to_string().parse() {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = WebError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| WebError::Internal(anyhow::anyhow!("csrf middleware missing")))
    }
}

/// The client's address: the socket's peer, unless that peer is a configured trusted proxy, in
/// which case the right-most address in `X-Forwarded-For` that is not itself a trusted proxy.
/// A spoofed `X-Forwarded-For` from anyone else changes nothing (SECURITY.md "Abuse").
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

pub fn client_ip(
    peer: Option<std::net::IpAddr>,
    headers: &HeaderMap,
    trusted: &[ipnet::IpNet],
) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    let is_trusted = |ip: &std::net::IpAddr| trusted.iter().any(|n| n.contains(ip));
    if !is_trusted(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
        .to_string()
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip());
        Ok(ClientIp(client_ip(
            peer,
            &parts.headers,
            &state.core.config.trusted_proxies,
        )))
    }
}

pub struct UserAgent(pub String);

impl<S: Send + Sync> FromRequestParts<S> for UserAgent {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ua = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        Ok(UserAgent(
            ua.chars().filter(|c| !c.is_control()).take(200).collect(),
        ))
    }
}

/// The signed-in session, if the browser has a live one.
pub struct MaybeSession {
    pub info: Option<SessionInfo>,
    pub secret: Option<SecretString>,
    /// The page asked for (path and query) when it was a GET or HEAD: where to come back to
    /// after signing in.
    pub requested: Option<String>,
}

impl FromRequestParts<AppState> for MaybeSession {
    type Rejection = WebError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let requested = matches!(parts.method, Method::GET | Method::HEAD)
            .then(|| parts.uri.path_and_query().map(|p| p.as_str().to_owned()))
            .flatten();
        let Some(secret) = jar
            .get(state.cookies.session)
            .map(|c| SecretString::from(c.value().to_owned()))
        else {
            return Ok(MaybeSession {
                info: None,
                secret: None,
                requested,
            });
        };
        let info = state.core.session(&secret).await?;
        Ok(MaybeSession {
            info,
            secret: Some(secret),
            requested,
        })
    }
}

impl MaybeSession {
    /// The sign-in page of `slug`, coming back to the requested page (or `fallback`) afterwards.
    pub fn login_redirect(&self, slug: &str, fallback: &str) -> String {
        let back = self.requested.as_deref().unwrap_or(fallback);
        // Encoded so a query string survives as one parameter; slashes stay readable.
        let next = form_urlencoded::byte_serialize(back.as_bytes())
            .collect::<String>()
            .replace("%2F", "/");
        format!("/t/{slug}/login?next={next}")
    }

    /// The session if it belongs to `tenant_slug`.
    pub fn for_tenant(&self, tenant_slug: &str) -> Option<&SessionInfo> {
        self.info.as_ref().filter(|i| i.tenant.slug == tenant_slug)
    }
}

/// The only form fields that may span several lines (text areas). Every other field is one line.
const MULTILINE_FIELDS: &[&str] = &[
    "extra_ca_pem",
    "text_body",
    "html_body",
    "identifiers",
    "custom_text",
    "csv",
];

/// The fields of a submitted form, each exactly one value.
///
/// SECURITY.md "Requests": a repeated parameter, a NUL, or a line break in a single-line field is
/// refused, never "helpfully" accepted.
#[derive(Debug)]
pub struct FormFields(HashMap<String, String>);

impl FormFields {
    pub fn parse(body: &[u8]) -> Result<Self, WebError> {
        let mut map = HashMap::new();
        for (k, v) in form_urlencoded::parse(body) {
            if map.len() >= 100 || k.len() > 64 {
                return Err(WebError::BadRequest(
                    "The form has too many or too long fields.".into(),
                ));
            }
            let multiline = MULTILINE_FIELDS.contains(&k.as_ref());
            if v.contains('\0')
                || (!multiline && v.contains(['\r', '\n']))
                || k.contains(['\0', '\r', '\n'])
            {
                return Err(WebError::BadRequest(format!(
                    "The field `{}` contains a line break or NUL character, which is not allowed.",
                    k.escape_debug()
                )));
            }
            if map.insert(k.to_string(), v.into_owned()).is_some() {
                return Err(WebError::BadRequest(format!(
                    "The field `{}` was sent more than once; each field takes exactly one value.",
                    k.escape_debug()
                )));
            }
        }
        Ok(Self(map))
    }

    /// The names of all fields.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// The field's value, or `""` when absent.
    pub fn text(&self, key: &str) -> &str {
        self.0.get(key).map(String::as_str).unwrap_or("")
    }

    pub fn secret(&self, key: &str) -> SecretString {
        SecretString::from(self.text(key).to_owned())
    }

    /// The trimmed value, or `None` when absent or blank.
    pub fn optional(&self, key: &str) -> Option<&str> {
        Some(self.text(key).trim()).filter(|s| !s.is_empty())
    }
}

/// A form POST that passed the CSRF checks: the hidden `csrf_token` equals this browser's CSRF
/// cookie, and the `Origin` (when the browser sends one) is Latchkey's own public URL.
pub struct CsrfForm(pub FormFields);

impl FromRequest<AppState> for CsrfForm {
    type Rejection = WebError;
    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        check_origin(&parts.headers, state)?;
        let token = CsrfToken::from_request_parts(&mut parts, state).await?;
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(WebError::BadRequest("Expected a form submission.".into()));
        }
        let bytes = axum::body::to_bytes(body, state.core.config.raw.max_body_bytes)
            .await
            .map_err(|_| WebError::TooLarge("The form is too large.".into()))?;
        let fields = FormFields::parse(&bytes)?;
        let sent = fields.text("csrf_token");
        if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(token.0.as_bytes())) {
            return Err(WebError::Csrf(
                "This form has expired or was not sent from this site. Go back, reload the page and try again.".into(),
            ));
        }
        Ok(CsrfForm(fields))
    }
}

fn check_origin(headers: &HeaderMap, state: &AppState) -> Result<(), WebError> {
    let expected = state.core.config.public_url.origin();
    let cross_site =
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site");
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // Under `Referrer-Policy: no-referrer` browsers send `Origin: null` even for same-origin
        // posts, so "null" says nothing; Sec-Fetch-Site (and the token) decide then.
        Some(origin) if origin != "null" && origin != expected => Err(WebError::Csrf(format!(
            "This form was sent from {origin}, but Latchkey's public URL is {expected}. \
             Open Latchkey at its public URL (the public_url setting) and try again.",
            origin = origin.escape_debug()
        ))),
        _ if cross_site => Err(WebError::Csrf(
            "This form was sent from another site.".into(),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "203.0.113.9, 10.0.0.5".parse().unwrap());
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let peer = |s: &str| Some(s.parse().unwrap());
        // From an untrusted peer the header is ignored.
        assert_eq!(
            client_ip(peer("198.51.100.1"), &h, &trusted),
            "198.51.100.1"
        );
        assert_eq!(client_ip(peer("198.51.100.1"), &h, &[]), "198.51.100.1");
        // From the trusted proxy, the right-most untrusted address counts.
        assert_eq!(client_ip(peer("10.1.2.3"), &h, &trusted), "203.0.113.9");
        // A proxy that sends nothing usable leaves the peer.
        assert_eq!(
            client_ip(peer("10.1.2.3"), &HeaderMap::new(), &trusted),
            "10.1.2.3"
        );
    }

    #[test]
    fn repeated_and_multiline_fields_are_refused() {
        assert!(FormFields::parse(b"a=1&b=2").is_ok());
        assert!(FormFields::parse(b"a=1&a=2").is_err());
        assert!(FormFields::parse(b"a=x%0D%0ABcc%3A+eve").is_err());
        assert!(FormFields::parse(b"a=x%00").is_err());
        assert!(FormFields::parse(b"extra_ca_pem=a%0D%0Ab").is_ok());
        assert!(FormFields::parse(b"extra_ca_pem=a%00b").is_err());
        let f = FormFields::parse(b"a=+x+&b=").unwrap();
        assert_eq!(f.optional("a"), Some("x"));
        assert_eq!(f.optional("b"), None);
        assert_eq!(f.text("missing"), "");
    }
}
