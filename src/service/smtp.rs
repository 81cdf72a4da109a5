//! SMTP settings as admins and operators manage them: system-wide, optionally overridden per
//! tenant, or fixed by `LATCHKEY_SMTP_*`; and the "Check SMTP configuration" action.

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::{Actor, AuditEntry, Core, Result, ServiceError};
use crate::domain::EmailAddress;
use crate::mail::check::{self, CheckReport};
use crate::mail::message::Outgoing;
use crate::mail::{ResolvedSmtp, SmtpSettings};
use crate::secrets::StoredSecret;
use crate::store::{self, Tenant};

const KEY: &str = "smtp";

/// Test messages "Check SMTP configuration" may send per tenant and hour for the tenant's
/// administrators and keys (operators are not limited), as for template tests.
const TESTS_PER_HOUR: i64 = 20;

/// Addresses a tenant's own mail server may not have: this machine and internal networks.
fn is_internal(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64 // 100.64.0.0/10
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || v6.is_unspecified() || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link local
                || v6.to_ipv4_mapped().is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

/// Whether new settings send the password where the stored ones did: same host, port, security
/// mode and extra CA. Anything else needs the password typed again (SECURITY.md "Admin and
/// secrets": a changed destination can't receive the stored credential).
fn same_destination(old: &SmtpSettings, new: &SmtpSettings) -> bool {
    old.host.trim().eq_ignore_ascii_case(new.host.trim())
        && old.port == new.port
        && old.security == new.security
        && old.extra_ca_pem.trim() == new.extra_ca_pem.trim()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSource {
    /// `LATCHKEY_SMTP_*`: read-only in the console.
    Environment,
    System,
    Tenant,
    /// Nothing configured yet.
    Unset,
}

/// The settings that apply, and where they come from.
#[derive(Debug, Clone)]
pub struct EffectiveSmtp {
    pub settings: SmtpSettings,
    pub source: SmtpSource,
}

/// What an admin submitted: the settings, and a new password if one was typed (`None` keeps
/// the stored one, where that is allowed).
pub struct SmtpInput {
    pub settings: SmtpSettings,
    pub new_password: Option<SecretString>,
}

impl Core {
    pub fn smtp_from_env(&self) -> bool {
        self.smtp_env.is_some()
    }

    async fn stored_smtp(&self, scope: &str) -> Result<Option<SmtpSettings>> {
        match store::settings::get(&self.db, scope, KEY).await? {
            Some(json) => {
                Ok(Some(serde_json::from_str(&json).map_err(|e| {
                    anyhow::anyhow!("stored SMTP settings: {e}")
                })?))
            }
            None => Ok(None),
        }
    }

    /// The system-wide settings (or the environment's).
    pub async fn system_smtp(&self) -> Result<EffectiveSmtp> {
        if let Some(env) = &self.smtp_env {
            return Ok(EffectiveSmtp {
                settings: env.0.clone(),
                source: SmtpSource::Environment,
            });
        }
        Ok(match self.stored_smtp("system").await? {
            Some(settings) => EffectiveSmtp {
                settings,
                source: SmtpSource::System,
            },
            None => EffectiveSmtp {
                settings: SmtpSettings::default(),
                source: SmtpSource::Unset,
            },
        })
    }

    /// `tenant`'s own override as stored, switched on or not (`None` when it has none). The
    /// password stays as stored: encrypted or a reference, never in clear.
    pub async fn tenant_smtp(&self, tenant: &Tenant) -> Result<Option<SmtpSettings>> {
        self.stored_smtp(&store::settings::tenant_scope(tenant.id))
            .await
    }

    /// The settings mail for `tenant` goes out with: its own override when it has an enabled
    /// one, otherwise the system's.
    pub async fn smtp_for(&self, tenant: Option<&Tenant>) -> Result<EffectiveSmtp> {
        if let (Some(t), false) = (tenant, self.smtp_from_env()) {
            if let Some(settings) = self
                .stored_smtp(&store::settings::tenant_scope(t.id))
                .await?
                .filter(|s| s.enabled)
            {
                return Ok(EffectiveSmtp {
                    settings,
                    source: SmtpSource::Tenant,
                });
            }
        }
        self.system_smtp().await
    }

    /// The password and everything else the client needs for `effective`.
    pub fn resolve_smtp(&self, effective: &EffectiveSmtp) -> Result<ResolvedSmtp> {
        if effective.source == SmtpSource::Environment {
            if let Some(env) = &self.smtp_env {
                return Ok(ResolvedSmtp {
                    settings: env.0.clone(),
                    password: env.1.clone(),
                });
            }
        }
        effective
            .settings
            .resolve(&self.master_key)
            .map_err(|e| ServiceError::Invalid(e.to_string()))
    }

    /// Merges a submitted form with the stored settings of `scope`. The stored password is kept
    /// only when no new one was typed and host and port are unchanged: a changed host must never
    /// receive the old credential (SECURITY.md "Admin and secrets").
    fn merge_smtp(
        &self,
        stored: Option<&SmtpSettings>,
        input: &SmtpInput,
    ) -> Result<SmtpSettings, ServiceError> {
        let mut next = input.settings.clone();
        next.password = match (&input.new_password, stored) {
            (Some(pw), _) if !pw.expose_secret().is_empty() => {
                Some(StoredSecret::from_input(pw, &self.master_key).to_stored())
            }
            (_, Some(old)) if same_destination(old, &next) => old.password.clone(),
            (_, Some(old)) if old.password.is_some() && next.auth => {
                return Err(ServiceError::Invalid(
                    "The host, port, security mode or CA changed: enter the password again, so the stored one is never sent where it wasn't meant to go.".into(),
                ))
            }
            _ => None,
        };
        if !next.auth {
            next.password = None;
        }
        next.validate()?;
        if next.enabled && next.auth && next.password.is_none() {
            return Err(ServiceError::Invalid(
                "password: authentication is on, so enter the password.".into(),
            ));
        }
        Ok(next)
    }

    /// A tenant's own server set from the console must be on the internet: otherwise "Check
    /// SMTP configuration" would let a tenant administrator probe this machine and the internal
    /// network, and send the tenant's mail through an internal relay.
    async fn refuse_internal_host(
        &self,
        actor: &Actor,
        tenant: Option<&Tenant>,
        host: &str,
        port: u16,
    ) -> Result<()> {
        let operator = matches!(actor, Actor::Cli | Actor::System);
        if tenant.is_none()
            || operator
            || self.config.raw.tenant_smtp_allow_private_hosts
            || host.trim().is_empty()
        {
            return Ok(());
        }
        let Ok(addrs) = tokio::net::lookup_host((host.trim(), port)).await else {
            return Ok(()); // the check reports the DNS failure itself
        };
        if let Some(addr) = addrs.into_iter().find(|a| is_internal(a.ip())) {
            return Err(ServiceError::Invalid(format!(
                "host: `{}` resolves to the internal address {}. An organisation's own mail server must be reachable on the internet \
                 (an operator can allow internal hosts with the tenant_smtp_allow_private_hosts setting).",
                host.trim().escape_debug(),
                addr.ip()
            )));
        }
        Ok(())
    }

    /// Saves the system-wide settings (or, with `tenant`, that tenant's override).
    pub async fn save_smtp(
        &self,
        actor: &Actor,
        tenant: Option<&Tenant>,
        input: SmtpInput,
        ip: Option<&str>,
    ) -> Result<SmtpSettings> {
        if self.smtp_from_env() {
            return Err(ServiceError::Invalid(
                "SMTP is set by environment variables (LATCHKEY_SMTP_*); change them there.".into(),
            ));
        }
        // `env:NAME` and `file:/path` read the server's environment and files and send them to
        // the configured host: only operators (the CLI) may set them, never someone signed in to
        // the console (an admin would point the host at their own server and read, say, the
        // master key or the database URL from the AUTH line).
        let by_operator = matches!(actor, Actor::Cli | Actor::System);
        if let (Some(pw), false) = (&input.new_password, by_operator) {
            if !pw.expose_secret().is_empty()
                && !matches!(
                    StoredSecret::from_input(pw, &self.master_key),
                    StoredSecret::Encrypted(_)
                )
            {
                return Err(ServiceError::Invalid(
                    "password: enter the password itself. References (env:…, file:…) can only be set on the server, with `latchkey smtp set`.".into(),
                ));
            }
        }
        let scope = tenant
            .map(|t| store::settings::tenant_scope(t.id))
            .unwrap_or_else(|| "system".into());
        self.refuse_internal_host(actor, tenant, &input.settings.host, input.settings.port)
            .await?;
        let stored = self.stored_smtp(&scope).await?;
        let next = self.merge_smtp(stored.as_ref(), &input)?;
        let json = serde_json::to_string(&next).map_err(anyhow::Error::from)?;
        store::settings::put(&self.db, &scope, KEY, &json, self.now()).await?;
        let changed_password = input
            .new_password
            .as_ref()
            .is_some_and(|p| !p.expose_secret().is_empty());
        self.audit(AuditEntry {
            tenant_id: tenant.map(|t| t.id),
            actor,
            action: "smtp.saved",
            target: Some(&scope),
            ip,
            outcome: "success",
            detail: serde_json::json!({
                "enabled": next.enabled, "host": next.host, "port": next.port, "security": next.security,
                "auth": next.auth, "password_changed": changed_password,
            }),
        })
        .await;
        Ok(next)
    }

    /// Runs "Check SMTP configuration" with `input` (unsaved form values) or, with `None`, the
    /// saved settings; sends a test message when `send_to` is given (for a tenant, at most
    /// [`TESTS_PER_HOUR`] an hour unless an operator asks).
    pub async fn check_smtp(
        &self,
        actor: &Actor,
        tenant: Option<&Tenant>,
        input: Option<SmtpInput>,
        send_to: Option<EmailAddress>,
        ip: Option<&str>,
    ) -> Result<CheckReport> {
        let resolved = match input {
            Some(input) if !self.smtp_from_env() => {
                let scope = tenant
                    .map(|t| store::settings::tenant_scope(t.id))
                    .unwrap_or_else(|| "system".into());
                self.refuse_internal_host(actor, tenant, &input.settings.host, input.settings.port)
                    .await?;
                let stored = self.stored_smtp(&scope).await?;
                let mut settings = input.settings.clone();
                settings.validate()?;
                // Same rule as saving: the stored password only goes to the stored host and port.
                let password = match (&input.new_password, &stored) {
                    (Some(pw), _) if !pw.expose_secret().is_empty() => Some(pw.clone()),
                    (_, Some(old)) if same_destination(old, &settings) => {
                        old.resolve(&self.master_key)
                            .map_err(|e| ServiceError::Invalid(e.to_string()))?
                            .password
                    }
                    _ => None,
                };
                settings.password = None;
                ResolvedSmtp {
                    settings,
                    password: password.filter(|_| input.settings.auth),
                }
            }
            _ => self.resolve_smtp(&self.smtp_for(tenant).await?)?,
        };
        if resolved.settings.host.trim().is_empty() {
            return Err(ServiceError::Invalid("Enter the SMTP host first.".into()));
        }
        // A test message goes to any address: counted per tenant, so neither the page nor the
        // API sends mail in bulk.
        let operator = matches!(actor, Actor::Cli | Actor::System);
        if let (Some(t), Some(_), false) = (tenant, &send_to, operator) {
            let sent =
                store::rate_limit::hit(&self.db, &format!("smtp-test:{}", t.id), 3600, self.now())
                    .await?;
            if sent > TESTS_PER_HOUR {
                return Err(ServiceError::Throttled(format!(
                    "At most {TESTS_PER_HOUR} SMTP test messages per organisation and hour; please wait a while, or check without a test address."
                )));
            }
        }
        let test = send_to.as_ref().map(|to| {
            (
                to,
                Outgoing {
                    to: to.clone(),
                    to_name: String::new(),
                    subject: "Latchkey SMTP test".into(),
                    text: "This is a test message from Latchkey. If you can read it, mail delivery works.\n".into(),
                    html: "<p>This is a test message from Latchkey. If you can read it, mail delivery works.</p>".into(),
                },
            )
        });
        let report = check::run(&resolved, test).await;
        self.audit(AuditEntry {
            tenant_id: tenant.map(|t| t.id),
            actor,
            action: "smtp.checked",
            target: send_to.as_ref().map(|e| e.as_str()),
            ip,
            outcome: if report.ok { "success" } else { "failure" },
            detail: serde_json::json!({ "host": resolved.settings.host, "port": resolved.settings.port, "summary": report.summary }),
        })
        .await;
        Ok(report)
    }
}
