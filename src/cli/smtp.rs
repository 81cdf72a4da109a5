//! `latchkey smtp`: show, change and check the SMTP settings.

use std::fmt::{self, Write as _};
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::input::{password_if, read_ca_file, read_secret_stdin};
use super::output::{onoff, set_or_none, Out, Text};
use crate::domain::{parse_duration, parse_switch, EmailAddress};
use crate::mail::SmtpSettings;
use crate::service::{Actor, Core, SmtpInput, SmtpSource};

#[derive(Subcommand)]
pub(super) enum SmtpCommand {
    /// Show the SMTP settings (the password only as "set"/"not set").
    Show {
        /// A tenant's own override instead of the system settings.
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Change SMTP settings; options not given keep their value.
    Set {
        /// Change this tenant's override instead of the system settings.
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        values: SmtpArgs,
    },
    /// Connect, encrypt, sign in and (with --to) send a test message, showing each step.
    /// Exits with status 1 when a step fails. Options check unsaved values on top of the
    /// settings in effect (also those of LATCHKEY_SMTP_*); --enabled and --max-per-hour are
    /// refused.
    Check {
        /// Send a test message to this address.
        #[arg(long, value_name = "ADDRESS")]
        to: Option<String>,
        #[arg(long)]
        tenant: Option<String>,
        #[command(flatten)]
        values: SmtpArgs,
    },
}

#[derive(Args, Default)]
pub(super) struct SmtpArgs {
    /// Send mail at all: on or off.
    #[arg(long, value_name = "on|off")]
    enabled: Option<String>,
    /// Mail server host: a DNS name or an IP address (IPv6 without brackets; the port goes in
    /// --port).
    #[arg(long)]
    host: Option<String>,
    /// Port: 587 for starttls, 465 for tls, 25 for a local relay.
    #[arg(long)]
    port: Option<u16>,
    /// starttls (default), tls (implicit, port 465) or none (no encryption: trusted relays only).
    #[arg(long, value_name = "MODE")]
    security: Option<String>,
    /// Sign in to the server: on or off.
    #[arg(long, value_name = "on|off")]
    auth: Option<String>,
    #[arg(long)]
    username: Option<String>,
    /// Read the password from standard input. `env:NAME` or `file:/path` store a reference
    /// instead of the password.
    #[arg(long)]
    password_stdin: bool,
    /// How to sign in when --auth is on: password, microsoft (Microsoft 365 with an Entra app),
    /// google (a Google Workspace service account) or oauth2 (any token endpoint, client
    /// credentials). With OAuth, --username is the mailbox (default: the sender address).
    #[arg(long, value_name = "METHOD")]
    sign_in: Option<String>,
    /// Microsoft: the Entra Directory (tenant) ID, or a domain like contoso.onmicrosoft.com.
    #[arg(long, value_name = "TENANT")]
    oauth_tenant: Option<String>,
    /// Microsoft: the Application (client) ID. Google: the service account's e-mail address
    /// (not needed with a JSON key). oauth2: the client id.
    #[arg(long, value_name = "ID")]
    oauth_client_id: Option<String>,
    /// Read the OAuth client secret from standard input (one line); `env:NAME` or `file:/path`
    /// store a reference instead.
    #[arg(long)]
    oauth_client_secret_stdin: bool,
    /// Read a private key from standard input (all of it): Microsoft, the PEM key of the app's
    /// certificate; Google, the service account's JSON key file. `env:NAME` or `file:/path`
    /// store a reference instead.
    #[arg(long)]
    oauth_key_stdin: bool,
    /// Microsoft with a certificate: the certificate uploaded to the app (PEM file).
    #[arg(long, value_name = "FILE")]
    oauth_certificate_file: Option<PathBuf>,
    /// Microsoft: the login host (default https://login.microsoftonline.com; national clouds:
    /// https://login.microsoftonline.us, https://login.partner.microsoftonline.cn). Google and
    /// oauth2: the token URL. "" resets it to the provider's.
    #[arg(long, value_name = "URL")]
    oauth_authority: Option<String>,
    /// The scope asked for; "" = the provider's (https://outlook.office365.com/.default,
    /// https://mail.google.com/).
    #[arg(long, value_name = "SCOPE")]
    oauth_scope: Option<String>,
    /// xoauth2 (default) or oauthbearer (RFC 7628).
    #[arg(long, value_name = "MECHANISM")]
    oauth_mechanism: Option<String>,
    /// Sender address.
    #[arg(long, value_name = "ADDRESS")]
    from: Option<String>,
    /// Sender display name.
    #[arg(long, value_name = "NAME")]
    from_name: Option<String>,
    #[arg(long, value_name = "ADDRESS")]
    reply_to: Option<String>,
    /// Name to introduce ourselves with (EHLO); default "localhost".
    #[arg(long, value_name = "NAME")]
    helo_name: Option<String>,
    /// How long to wait for the server, e.g. 30s.
    #[arg(long, value_name = "DURATION")]
    timeout: Option<String>,
    /// PEM file of an extra CA to trust (for an internal mail server); "" removes it.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// At most N mails per hour through this server (a provider's quota); 0 = no limit.
    /// Mail over the limit waits for the next hour; none is dropped.
    #[arg(long, value_name = "N")]
    max_per_hour: Option<u32>,
}

impl SmtpArgs {
    fn any(&self) -> bool {
        self.enabled.is_some()
            || self.host.is_some()
            || self.port.is_some()
            || self.security.is_some()
            || self.auth.is_some()
            || self.username.is_some()
            || self.password_stdin
            || self.sign_in.is_some()
            || self.oauth_tenant.is_some()
            || self.oauth_client_id.is_some()
            || self.oauth_client_secret_stdin
            || self.oauth_key_stdin
            || self.oauth_certificate_file.is_some()
            || self.oauth_authority.is_some()
            || self.oauth_scope.is_some()
            || self.oauth_mechanism.is_some()
            || self.from.is_some()
            || self.from_name.is_some()
            || self.reply_to.is_some()
            || self.helo_name.is_some()
            || self.timeout.is_some()
            || self.ca_file.is_some()
            || self.max_per_hour.is_some()
    }

    /// These values on top of `base`.
    fn apply(&self, mut s: SmtpSettings) -> anyhow::Result<SmtpInput> {
        if let Some(v) = &self.enabled {
            s.enabled = parse_switch("--enabled", v)?;
        }
        if let Some(v) = &self.host {
            s.host = v.trim().to_owned();
        }
        if let Some(v) = self.port {
            s.port = v;
        }
        if let Some(v) = &self.security {
            s.security = v.parse()?;
        }
        if let Some(v) = &self.auth {
            s.auth = parse_switch("--auth", v)?;
        }
        if let Some(v) = &self.username {
            s.username = v.clone();
        }
        if let Some(v) = &self.from {
            s.from_address = v.clone();
        }
        if let Some(v) = &self.from_name {
            s.from_name = v.clone();
        }
        if let Some(v) = &self.reply_to {
            s.reply_to = v.clone();
        }
        if let Some(v) = &self.helo_name {
            s.helo_name = v.clone();
        }
        if let Some(v) = &self.timeout {
            s.timeout_secs = parse_duration("--timeout", v)?.as_secs();
        }
        if let Some(p) = &self.ca_file {
            s.extra_ca_pem = read_ca_file(p)?;
        }
        if let Some(n) = self.max_per_hour {
            s.max_per_hour = n;
        }
        if let Some(v) = &self.sign_in {
            s.sign_in = v.parse()?;
        }
        let o = &mut s.oauth;
        for (given, field) in [
            (&self.oauth_tenant, &mut o.tenant),
            (&self.oauth_client_id, &mut o.client_id),
            (&self.oauth_authority, &mut o.authority),
            (&self.oauth_scope, &mut o.scope),
        ] {
            if let Some(v) = given {
                *field = v.trim().to_owned();
            }
        }
        if let Some(v) = &self.oauth_mechanism {
            o.mechanism = v.parse()?;
        }
        if let Some(p) = &self.oauth_certificate_file {
            o.certificate_pem = if p.as_os_str().is_empty() {
                String::new()
            } else {
                std::fs::read_to_string(p)
                    .map_err(|e| anyhow::anyhow!("--oauth-certificate-file {}: {e}", p.display()))?
            };
        }
        let from_stdin = [
            self.password_stdin,
            self.oauth_client_secret_stdin,
            self.oauth_key_stdin,
        ];
        if from_stdin.iter().filter(|x| **x).count() > 1 {
            anyhow::bail!("only one of --password-stdin, --oauth-client-secret-stdin and --oauth-key-stdin at a time (standard input holds one secret)");
        }
        Ok(SmtpInput {
            settings: s,
            new_password: password_if(self.password_stdin)?,
            new_client_secret: password_if(self.oauth_client_secret_stdin)?,
            new_private_key: self
                .oauth_key_stdin
                .then(|| read_secret_stdin("--oauth-key-stdin"))
                .transpose()?,
        })
    }
}

fn write_smtp(w: &mut Text, s: &SmtpSettings, source: SmtpSource) -> fmt::Result {
    let source = match source {
        SmtpSource::Environment => "set by environment (LATCHKEY_SMTP_*)",
        SmtpSource::System => "system settings",
        SmtpSource::Tenant => "tenant override",
        SmtpSource::Unset => "not configured yet",
    };
    writeln!(w, "source:      {source}")?;
    writeln!(w, "enabled:     {}", onoff(s.enabled))?;
    writeln!(w, "host:        {}", s.host)?;
    writeln!(w, "port:        {}", s.port)?;
    writeln!(w, "security:    {}", s.security.as_str())?;
    writeln!(w, "auth:        {}", onoff(s.auth))?;
    writeln!(w, "sign-in:     {}", s.sign_in.as_str())?;
    writeln!(w, "username:    {}", s.username)?;
    if s.sign_in.is_oauth() {
        let o = &s.oauth;
        let (secret, key) = s.oauth_secret_state();
        writeln!(w, "token URL:   {}", o.token_url(s.sign_in))?;
        writeln!(w, "client id:   {}", o.client_id)?;
        writeln!(w, "secret:      {secret}")?;
        writeln!(w, "key:         {key}")?;
        writeln!(w, "certificate: {}", set_or_none(&o.certificate_pem))?;
        writeln!(w, "scope:       {}", o.scope(s.sign_in))?;
        writeln!(w, "mechanism:   {}", o.mechanism.as_str())?;
    } else {
        writeln!(w, "password:    {}", s.password_state())?;
    }
    writeln!(w, "from:        {} <{}>", s.from_name, s.from_address)?;
    writeln!(w, "reply-to:    {}", s.reply_to)?;
    writeln!(
        w,
        "helo name:   {}",
        if s.helo_name.is_empty() {
            "localhost"
        } else {
            &s.helo_name
        }
    )?;
    writeln!(w, "timeout:     {}s", s.timeout_secs)?;
    if s.max_per_hour == 0 {
        writeln!(w, "rate limit:  none")?;
    } else {
        writeln!(w, "rate limit:  {} mails per hour", s.max_per_hour)?;
    }
    writeln!(w, "extra CA:    {}", set_or_none(&s.extra_ca_pem))?;
    Ok(())
}

/// SMTP settings as the result of a command.
fn show_smtp(out: Out, s: &SmtpSettings, source: SmtpSource) -> anyhow::Result<()> {
    out.show(&smtp_json(s, source), |w| write_smtp(w, s, source))
}

/// The settings as shown to people: the password replaced by how it is kept.
fn smtp_json(s: &SmtpSettings, source: SmtpSource) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "password".into(),
            serde_json::Value::String(s.password_state()),
        );
        o.insert(
            "source".into(),
            serde_json::to_value(source).unwrap_or_default(),
        );
        if let Some(oauth) = o.get_mut("oauth").and_then(|v| v.as_object_mut()) {
            let (secret, key) = s.oauth_secret_state();
            oauth.insert("client_secret".into(), secret.into());
            oauth.insert("private_key".into(), key.into());
        }
    }
    v
}

pub(super) async fn smtp_command(core: &Core, cmd: SmtpCommand, out: Out) -> anyhow::Result<()> {
    let actor = Actor::Cli;
    match cmd {
        SmtpCommand::Show { tenant } => {
            let tenant = match tenant {
                Some(t) => Some(core.tenant(&t).await?),
                None => None,
            };
            let eff = core.smtp_for(tenant.as_ref()).await?;
            show_smtp(out, &eff.settings, eff.source)
        }
        SmtpCommand::Set { tenant, values } => {
            let tenant = match tenant {
                Some(t) => Some(core.tenant(&t).await?),
                None => None,
            };
            let current = match &tenant {
                // The tenant's own override (also when switched off), never the system's settings.
                Some(t) => core.tenant_smtp(t).await?.unwrap_or_default(),
                None => core.system_smtp().await?.settings,
            };
            let host_given = values.host.is_some();
            let mut saved = core
                .save_smtp(&actor, tenant.as_ref(), values.apply(current)?, None)
                .await?;
            // A host the operator names is the operator's choice, also when it is the one
            // stored: delivery may then reach it on an internal address.
            if let (Some(t), true) = (&tenant, host_given) {
                saved = core.approve_tenant_smtp_host(&actor, t, None).await?;
            }
            let source = if tenant.is_some() {
                SmtpSource::Tenant
            } else {
                SmtpSource::System
            };
            show_smtp(out, &saved, source)
        }
        SmtpCommand::Check { to, tenant, values } => {
            let tenant = match tenant {
                Some(t) => Some(core.tenant(&t).await?),
                None => None,
            };
            let to = to.as_deref().map(EmailAddress::parse).transpose()?;
            // A check connects whatever the switch or the quota says: refuse them rather than
            // seem to apply them.
            for (given, option) in [
                (values.enabled.is_some(), "--enabled"),
                (values.max_per_hour.is_some(), "--max-per-hour"),
            ] {
                if given {
                    anyhow::bail!(
                        "{option} has no effect on a check (it connects and signs in whatever that setting says); change it with `latchkey smtp set`"
                    );
                }
            }
            // Every other option applies on top of the settings in effect, `LATCHKEY_SMTP_*`
            // included.
            let input = if values.any() {
                Some(values.apply(core.smtp_for(tenant.as_ref()).await?.settings)?)
            } else {
                None
            };
            let report = core
                .check_smtp(&actor, tenant.as_ref(), input, to, None)
                .await?;
            // The system's server checked while sending is off: it works, and sends nothing.
            let switched_off = tenant.is_none() && !core.smtp_for(None).await?.settings.enabled;
            out.show(&report, |w| {
                for s in &report.steps {
                    writeln!(
                        w,
                        "{} {:<13} {}",
                        if s.ok { "ok  " } else { "FAIL" },
                        s.label,
                        s.sent.as_ref().map(ToString::to_string).unwrap_or_default()
                    )?;
                    for line in s.reply.to_string().lines() {
                        writeln!(w, "                   {line}")?;
                    }
                    if let Some(h) = &s.hint {
                        writeln!(w, "     hint: {h}")?;
                    }
                }
                for skipped in &report.skipped {
                    writeln!(w, "--   {skipped:<13} skipped (no --to address)")?;
                }
                writeln!(w, "{}", report.summary)?;
                if switched_off {
                    writeln!(
                        w,
                        "note: sending is switched off: no mail goes out until `latchkey smtp set --enabled on`"
                    )?;
                }
                Ok(())
            })?;
            if !report.ok {
                anyhow::bail!("the SMTP check failed");
            }
            Ok(())
        }
    }
}
