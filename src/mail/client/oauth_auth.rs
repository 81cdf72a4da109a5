//! AUTH with an OAuth 2.0 access token: XOAUTH2 (Microsoft, Google) or OAUTHBEARER (RFC 7628).
//! The token comes from the process's cache (one request per expiry); a cached token the server
//! refuses is dropped and a new one fetched, once.

use std::time::Instant;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use secrecy::{ExposeSecret, SecretString};

use super::{offered_list, Reply, SmtpConnection, SmtpError, Step, Transcript};
use crate::i18n::Msg;
use crate::mail::oauth::{token, Mechanism, Origin, ResolvedOAuth, SignIn, TokenCache, Want};
use crate::mail::settings::ResolvedSmtp;

/// The SASL initial response for `user` with `access`.
fn initial_response(mechanism: Mechanism, user: &str, access: &SecretString) -> String {
    let token = access.expose_secret();
    STANDARD.encode(match mechanism {
        Mechanism::Xoauth2 => format!("user={user}\x01auth=Bearer {token}\x01\x01"),
        // RFC 7628 with the RFC 5801 GS2 header; `,` and `=` in the name are escaped.
        Mechanism::Oauthbearer => {
            let name = user.replace('=', "=3D").replace(',', "=2C");
            format!("n,a={name},\x01auth=Bearer {token}\x01\x01")
        }
    })
}

/// The error the server put in a `334` challenge (base64 JSON), in words.
fn challenge_detail(r: &Reply) -> Option<String> {
    let raw = STANDARD.decode(r.lines.first()?.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    Some(text.chars().filter(|c| !c.is_control()).take(300).collect())
}

fn auth_hint(method: SignIn, r: &Reply) -> Msg {
    let text = r.text();
    Msg::new(if text.contains("5.7.139") && method == SignIn::Microsoft {
        "smtp-hint-exchange-auth-off"
    } else if text.contains("5.7.3") && method == SignIn::Microsoft {
        "smtp-hint-exchange-token"
    } else if method == SignIn::Google {
        "smtp-hint-gmail-token"
    } else if (400..500).contains(&r.code) {
        "smtp-hint-temporary"
    } else {
        "smtp-hint-token-refused"
    })
}

impl SmtpConnection {
    pub(super) async fn authenticate_oauth(
        &mut self,
        smtp: &ResolvedSmtp,
        o: &ResolvedOAuth,
        t: &mut Transcript,
    ) -> Result<(), SmtpError> {
        let mechanism = o.settings.mechanism;
        let name = match mechanism {
            Mechanism::Xoauth2 => "XOAUTH2",
            Mechanism::Oauthbearer => "OAUTHBEARER",
        };
        let offered = self.auth_mechanisms();
        if !offered.iter().any(|m| m == name) {
            let hint = Msg::new("smtp-hint-oauth-not-offered")
                .arg("mechanism", name)
                .arg("encrypted", if self.encrypted { "yes" } else { "no" });
            let msg = Msg::new("smtp-err-oauth-not-offered")
                .arg("mechanism", name)
                .arg("offered", offered_list(&offered));
            return Err(t.refuse_locally(Step::Auth, msg, hint));
        }
        if smtp.provider_endpoints_only && !o.settings.fixed_authority(o.method) {
            // Saving refuses this already; settings stored by someone else are checked here.
            let e = t.refuse_locally(
                Step::Token,
                Msg::new("smtp-err-operator-endpoint"),
                Msg::new("smtp-hint-operator-endpoint"),
            );
            return Err(SmtpError { refused: true, ..e });
        }
        // `\x01` separates the SASL fields: a name carrying it would rewrite the message.
        if o.user.is_empty() || o.user.chars().any(char::is_control) {
            return Err(t.refuse_locally(
                Step::Auth,
                Msg::new("smtp-err-oauth-mailbox"),
                Msg::new("smtp-hint-oauth-mailbox"),
            ));
        }
        let cache = TokenCache::shared();
        // The cached token the server refused, once it has.
        let mut refused: Option<SecretString> = None;
        loop {
            let want = match &refused {
                _ if smtp.fresh_token => Want::Fresh,
                Some(r) => Want::Not(r),
                None => Want::Cached,
            };
            let started = Instant::now();
            let described = token::describe(o);
            let (access, origin) = match cache
                .token(o, &smtp.settings.extra_ca_pem, smtp.timeout(), want)
                .await
            {
                Ok(x) => x,
                Err(e) => {
                    // An HTTP status is not an SMTP code: the error has none, the message names
                    // it.
                    let (sent, message) = (Some(described.clone().into()), e.message);
                    return Err(t.failed(Step::Token, sent, message, e.hint, e.permanent, started));
                }
            };
            let got = match origin {
                Origin::Fetched(life) => {
                    Msg::new("smtp-reply-token-received").arg("secs", life.as_secs() as i64)
                }
                Origin::Cached(left) => {
                    Msg::new("smtp-reply-token-cached").arg("secs", left.as_secs() as i64)
                }
            };
            t.record(
                Step::Token,
                true,
                Some(described.into()),
                got,
                None,
                started,
            );

            let started = Instant::now();
            let shown = format!("AUTH {name} ********");
            let line = format!(
                "AUTH {name} {}",
                initial_response(mechanism, &o.user, &access)
            );
            let mut r = self
                .command(Step::Auth, &line, Some(&shown), t, started)
                .await?;
            let mut detail = None;
            if r.code == 334 {
                // The server explains the refusal in a challenge; the exchange ends with an
                // empty (XOAUTH2) or a `%x01` (OAUTHBEARER) response, and then the final reply.
                detail = challenge_detail(&r);
                let end = match mechanism {
                    Mechanism::Xoauth2 => "",
                    Mechanism::Oauthbearer => "AQ==",
                };
                r = self
                    .command(Step::Auth, end, Some(&shown), t, started)
                    .await?;
            }
            if r.code == 235 {
                let warn = (!self.encrypted).then(|| Msg::new("smtp-hint-plain-token").into());
                t.record(
                    Step::Auth,
                    true,
                    Some(shown.into()),
                    r.text(),
                    warn,
                    started,
                );
                return Ok(());
            }
            if let Some(d) = detail {
                r.lines.push(format!("({d})"));
            }
            if matches!(origin, Origin::Cached(_))
                && refused.is_none()
                && !smtp.fresh_token
                && r.code >= 500
            {
                // The server refused a token we thought good (revoked, or expired early):
                // try once with another (a new one, or one another connection fetched
                // meanwhile); asking for it drops the refused one.
                t.record(
                    Step::Auth,
                    false,
                    Some(shown.clone().into()),
                    r.text(),
                    Some(Msg::new("smtp-hint-token-renewed").into()),
                    started,
                );
                refused = Some(access);
                continue;
            }
            let hint = auth_hint(o.method, &r);
            return Err(self.refused(Step::Auth, &r, t, started, Some(hint.into())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_responses_follow_the_mechanisms() {
        let token = SecretString::from("tok".to_owned());
        let x = String::from_utf8(
            STANDARD
                .decode(initial_response(Mechanism::Xoauth2, "a@b.org", &token))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(x, "user=a@b.org\x01auth=Bearer tok\x01\x01");
        let o = String::from_utf8(
            STANDARD
                .decode(initial_response(
                    Mechanism::Oauthbearer,
                    "a=b,c@d.org",
                    &token,
                ))
                .unwrap(),
        )
        .unwrap();
        assert_eq!(o, "n,a=a=3Db=2Cc@d.org,\x01auth=Bearer tok\x01\x01");
    }
}
