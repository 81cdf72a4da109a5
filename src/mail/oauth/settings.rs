//! How Latchkey signs in to a mail server with OAuth 2.0: Microsoft 365 (Entra ID client
//! credentials with a secret or a certificate), Google Workspace (a service account with
//! domain-wide delegation) or any OAuth 2.0 token endpoint (client credentials).

use serde::{Deserialize, Serialize};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::CertificateDer;

use crate::domain::{InvalidInput, Msg};

/// How Latchkey signs in when authentication is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignIn {
    /// A username and password (AUTH PLAIN or LOGIN).
    #[default]
    Password,
    /// Microsoft 365 / Exchange Online: an Entra ID app, client-credentials grant.
    Microsoft,
    /// Google Workspace: a service account with domain-wide delegation (JWT bearer grant).
    Google,
    /// Any OAuth 2.0 token endpoint, client-credentials grant with a client secret.
    Oauth2,
}

impl SignIn {
    pub fn as_str(self) -> &'static str {
        match self {
            SignIn::Password => "password",
            SignIn::Microsoft => "microsoft",
            SignIn::Google => "google",
            SignIn::Oauth2 => "oauth2",
        }
    }
    pub fn is_oauth(self) -> bool {
        self != SignIn::Password
    }
    pub fn label(self) -> &'static str {
        match self {
            SignIn::Password => "username and password",
            SignIn::Microsoft => "Microsoft 365 (OAuth)",
            SignIn::Google => "Google Workspace (OAuth)",
            SignIn::Oauth2 => "OAuth 2.0 client credentials",
        }
    }
}

impl std::str::FromStr for SignIn {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "password" => Ok(SignIn::Password),
            "microsoft" | "microsoft365" | "m365" | "office365" => Ok(SignIn::Microsoft),
            "google" | "gmail" | "workspace" => Ok(SignIn::Google),
            "oauth2" | "oauth" => Ok(SignIn::Oauth2),
            other => Err(Msg::new("oauth-bad-sign-in")
                .arg("value", other.escape_debug().to_string())
                .into()),
        }
    }
}

/// The SASL mechanism the token is presented with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mechanism {
    /// `AUTH XOAUTH2` (Microsoft, Google).
    #[default]
    Xoauth2,
    /// `AUTH OAUTHBEARER` (RFC 7628).
    Oauthbearer,
}

impl std::str::FromStr for Mechanism {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "xoauth2" => Ok(Mechanism::Xoauth2),
            "oauthbearer" => Ok(Mechanism::Oauthbearer),
            other => Err(Msg::new("oauth-bad-mechanism")
                .arg("value", other.escape_debug().to_string())
                .into()),
        }
    }
}

impl Mechanism {
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Xoauth2 => "xoauth2",
            Mechanism::Oauthbearer => "oauthbearer",
        }
    }
}

/// Microsoft's login hosts: worldwide, US Government, China (21Vianet).
pub const MICROSOFT_AUTHORITIES: [&str; 3] = [
    "https://login.microsoftonline.com",
    "https://login.microsoftonline.us",
    "https://login.partner.microsoftonline.cn",
];
pub const GOOGLE_TOKEN_URL: &str = "https://oauth2.googleapis.com/token";
pub const MICROSOFT_SCOPE: &str = "https://outlook.office365.com/.default";
pub const GOOGLE_SCOPE: &str = "https://mail.google.com/";

/// The OAuth part of the SMTP settings. Secrets are [`crate::secrets::StoredSecret`] strings
/// (encrypted, or an `env:`/`file:` reference set by an operator), never serialised in clear.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuthSettings {
    /// Microsoft: the Entra tenant (directory) id, or a domain such as
    /// `contoso.onmicrosoft.com`.
    pub tenant: String,
    /// Microsoft: the application (client) id. Google: the service account's e-mail address
    /// (empty: taken from a pasted JSON key). OAuth 2.0: the client id.
    pub client_id: String,
    /// Microsoft and OAuth 2.0: the client secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// Microsoft: the private key of the app's certificate (PEM). Google: the service account's
    /// JSON key file, or its private key (PEM).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
    /// Microsoft with a certificate: the certificate uploaded to the app (PEM), for its
    /// thumbprint. Not secret.
    pub certificate_pem: String,
    /// Microsoft: the login host (empty: `https://login.microsoftonline.com`). Google: the token
    /// URL (empty: Google's). OAuth 2.0: the token URL.
    pub authority: String,
    /// Empty: the provider's (`https://outlook.office365.com/.default`,
    /// `https://mail.google.com/`).
    pub scope: String,
    pub mechanism: Mechanism,
}

impl OAuthSettings {
    /// The token endpoint for `method`.
    pub fn token_url(&self, method: SignIn) -> String {
        let authority = self.authority.trim().trim_end_matches('/');
        match method {
            SignIn::Microsoft => {
                let host = if authority.is_empty() {
                    MICROSOFT_AUTHORITIES[0]
                } else {
                    authority
                };
                format!("{host}/{}/oauth2/v2.0/token", self.tenant.trim())
            }
            SignIn::Google if authority.is_empty() => GOOGLE_TOKEN_URL.to_owned(),
            _ => self.authority.trim().to_owned(),
        }
    }

    pub fn scope(&self, method: SignIn) -> String {
        let authority = self.authority.trim().trim_end_matches('/');
        match (self.scope.trim(), method) {
            // Exchange Online of the national clouds has its own resource.
            ("", SignIn::Microsoft) if authority.eq_ignore_ascii_case(MICROSOFT_AUTHORITIES[1]) => {
                "https://outlook.office365.us/.default".into()
            }
            ("", SignIn::Microsoft) if authority.eq_ignore_ascii_case(MICROSOFT_AUTHORITIES[2]) => {
                "https://partner.outlook.cn/.default".into()
            }
            ("", SignIn::Microsoft) => MICROSOFT_SCOPE.into(),
            ("", SignIn::Google) => GOOGLE_SCOPE.into(),
            (s, _) => s.to_owned(),
        }
    }

    /// Whether the token endpoint is one of the providers' own (what a tenant administrator may
    /// choose for the organisation's own server: a free URL would let them make the server
    /// send requests anywhere).
    pub fn fixed_authority(&self, method: SignIn) -> bool {
        let authority = self.authority.trim().trim_end_matches('/');
        match method {
            SignIn::Password => true,
            SignIn::Microsoft => {
                authority.is_empty()
                    || MICROSOFT_AUTHORITIES
                        .iter()
                        .any(|a| a.eq_ignore_ascii_case(authority))
            }
            SignIn::Google => authority.is_empty() || authority == GOOGLE_TOKEN_URL,
            SignIn::Oauth2 => false,
        }
    }

    /// Checks the values typed for `method`; errors name the field. Secrets are checked by the
    /// service (they are kept separately while typed).
    pub fn validate(&self, method: SignIn) -> Result<(), InvalidInput> {
        let bad = |id: &'static str| Err(InvalidInput::from(Msg::new(id)));
        if !method.is_oauth() {
            return Ok(());
        }
        for (what, v) in [
            ("tenant", &self.tenant),
            ("client-id", &self.client_id),
            ("authority", &self.authority),
            ("scope", &self.scope),
        ] {
            if v.chars().any(char::is_control) {
                return Err(Msg::new("oauth-control").arg("what", what).into());
            }
        }
        if method == SignIn::Microsoft {
            let t = self.tenant.trim();
            // Part of the token URL's path: a directory id or a domain, nothing else.
            if t.is_empty() {
                return bad("oauth-tenant-empty");
            }
            if !t
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
                || t.starts_with('.')
            {
                return bad("oauth-tenant-bad");
            }
            // Entra's shared endpoints are for apps people sign in to: the client-credentials
            // grant needs the organisation's own directory.
            if ["common", "organizations", "consumers"]
                .iter()
                .any(|shared| t.eq_ignore_ascii_case(shared))
            {
                return Err(Msg::new("oauth-tenant-shared").arg("value", t).into());
            }
        }
        if method != SignIn::Google && self.client_id.trim().is_empty() {
            return bad("oauth-client-id-empty");
        }
        let authority = self.authority.trim();
        if method == SignIn::Oauth2 && authority.is_empty() {
            return bad("oauth-token-url-empty");
        }
        if !authority.is_empty() {
            let url = url::Url::parse(authority).map_err(|_| {
                InvalidInput::from(Msg::new("oauth-authority-not-url").arg("value", authority))
            })?;
            if url.scheme() != "https" {
                return bad("oauth-authority-https");
            }
            if url.host_str().is_none_or(str::is_empty)
                || !url.username().is_empty()
                || url.password().is_some()
                || url.fragment().is_some()
            {
                return bad("oauth-authority-plain");
            }
            // Microsoft's authority is the login host; the token URL is made from it and the
            // tenant (an MSAL-style `https://login.microsoftonline.com/<tenant>` would double it).
            if method == SignIn::Microsoft && (url.path() != "/" || url.query().is_some()) {
                return bad("oauth-authority-host-only");
            }
        }
        if !self.certificate_pem.trim().is_empty()
            && CertificateDer::pem_slice_iter(self.certificate_pem.as_bytes())
                .next()
                .is_none_or(|c| c.is_err())
        {
            return bad("oauth-certificate-pem");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms() -> OAuthSettings {
        OAuthSettings {
            tenant: "contoso.onmicrosoft.com".into(),
            client_id: "11111111-2222-3333-4444-555555555555".into(),
            ..OAuthSettings::default()
        }
    }

    #[test]
    fn token_urls_and_scopes_per_provider() {
        assert_eq!(
            ms().token_url(SignIn::Microsoft),
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        let us = OAuthSettings {
            authority: "https://login.microsoftonline.us/".into(),
            ..ms()
        };
        assert_eq!(
            us.token_url(SignIn::Microsoft),
            "https://login.microsoftonline.us/contoso.onmicrosoft.com/oauth2/v2.0/token"
        );
        assert!(us.fixed_authority(SignIn::Microsoft));
        assert_eq!(
            us.scope(SignIn::Microsoft),
            "https://outlook.office365.us/.default"
        );
        assert_eq!(ms().scope(SignIn::Microsoft), MICROSOFT_SCOPE);
        let g = OAuthSettings::default();
        assert_eq!(g.token_url(SignIn::Google), GOOGLE_TOKEN_URL);
        assert_eq!(g.scope(SignIn::Google), GOOGLE_SCOPE);
        assert!(g.fixed_authority(SignIn::Google));
        let local = OAuthSettings {
            authority: "https://127.0.0.1:8443".into(),
            ..ms()
        };
        assert!(!local.fixed_authority(SignIn::Microsoft));
        assert!(!local.fixed_authority(SignIn::Oauth2));
    }

    #[test]
    fn validation_names_the_field() {
        assert!(ms().validate(SignIn::Microsoft).is_ok());
        for tenant in ["", "../../evil", "a/b", "x?y=1", ".."] {
            let e = OAuthSettings {
                tenant: tenant.into(),
                ..ms()
            }
            .validate(SignIn::Microsoft)
            .unwrap_err();
            assert!(e.to_string().starts_with("tenant"), "{tenant}: {e:?}");
        }
        let e = OAuthSettings {
            authority: "http://login.example.org".into(),
            ..ms()
        }
        .validate(SignIn::Microsoft)
        .unwrap_err();
        assert!(e.to_string().contains("https"));
        let e = OAuthSettings::default()
            .validate(SignIn::Oauth2)
            .unwrap_err();
        assert!(e.to_string().starts_with("client id"), "{e:?}");
        for shared in ["common", "Organizations", "consumers"] {
            let e = OAuthSettings {
                tenant: shared.into(),
                ..ms()
            }
            .validate(SignIn::Microsoft)
            .unwrap_err();
            assert!(
                e.to_string().contains("signs in as itself"),
                "{shared}: {e:?}"
            );
        }
        for authority in [
            "https://login.microsoftonline.com/contoso.onmicrosoft.com",
            "https://login.microsoftonline.com/?x=1",
        ] {
            let e = OAuthSettings {
                authority: authority.into(),
                ..ms()
            }
            .validate(SignIn::Microsoft)
            .unwrap_err();
            assert!(
                e.to_string().contains("without a path"),
                "{authority}: {e:?}"
            );
        }
        // A trailing slash is the host alone; Google's and OAuth 2.0's authority is a token URL.
        let host = OAuthSettings {
            authority: "https://login.microsoftonline.com/".into(),
            ..ms()
        };
        assert!(host.validate(SignIn::Microsoft).is_ok());
        let token_url = OAuthSettings {
            authority: "https://idp.example.org/oauth2/token".into(),
            ..ms()
        };
        assert!(token_url.validate(SignIn::Oauth2).is_ok());
        let e = OAuthSettings {
            certificate_pem:
                "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n"
                    .into(),
            ..ms()
        }
        .validate(SignIn::Microsoft)
        .unwrap_err();
        assert!(e.to_string().starts_with("certificate"), "{e:?}");
        // Google needs no client id: a pasted JSON key carries it.
        assert!(OAuthSettings::default().validate(SignIn::Google).is_ok());
        assert!("m365".parse::<SignIn>().unwrap() == SignIn::Microsoft);
        assert!("smtp".parse::<SignIn>().is_err());
    }
}
