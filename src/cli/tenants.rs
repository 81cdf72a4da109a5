//! `latchkey tenant`: create, list, show and change tenants.

use std::fmt::{self, Write as _};

use clap::{Args, Subcommand};

use super::output::{onoff, Out, Text};
use crate::clock::format_utc;
use crate::domain::{
    format_duration, parse_duration, parse_switch, DisplayName, PublicUrl, SupportContact,
    TenantSlug, ZoneName,
};
use crate::service::{Actor, Core, Tenant};

#[derive(Subcommand)]
pub(super) enum TenantCommand {
    /// Create a tenant. Its pages live under /t/SLUG/.
    Create {
        /// Short name used in addresses: lowercase letters, digits, dashes.
        slug: String,
        /// Display name (default: the slug).
        #[arg(long)]
        name: Option<String>,
        /// Public URL for this tenant's links, if it differs from the system's.
        #[arg(long, value_name = "URL")]
        public_url: Option<String>,
    },
    /// List all tenants.
    List,
    /// Show a tenant and its settings.
    Show { slug: String },
    /// Change a tenant's name, public URL or settings.
    Set(Box<TenantSet>),
}

#[derive(Args)]
pub(super) struct TenantSet {
    slug: String,
    #[arg(long)]
    name: Option<String>,
    /// Public URL for this tenant's links; "" removes it.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Self-service password reset: on or off.
    #[arg(long, value_name = "on|off")]
    password_reset: Option<String>,
    /// How long a reset link stays valid, e.g. 30m (5m to 24h).
    #[arg(long, value_name = "DURATION")]
    reset_link_ttl: Option<String>,
    /// Minimum password length (8 to 64).
    #[arg(long, value_name = "N")]
    min_password_length: Option<i64>,
    /// Default delay for admin-triggered resets, e.g. 10m.
    #[arg(long, value_name = "DURATION")]
    admin_reset_delay: Option<String>,
    /// Send reset links to the primary address when no reset address is set: on or off.
    #[arg(long, value_name = "on|off")]
    reset_fallback_to_primary: Option<String>,
    /// Default language of pages and mail: en or de.
    #[arg(long, value_name = "LANG")]
    default_language: Option<String>,
    /// Time zone for times shown to the tenant's people (unless they chose their own) and in
    /// their mail: an IANA name such as Europe/Berlin, or UTC.
    #[arg(long, value_name = "ZONE")]
    time_zone: Option<String>,
    /// Where mails tell people to turn with questions ({{ support }}): an e-mail address or an
    /// https:// address; "" removes it.
    #[arg(long, value_name = "ADDRESS|URL")]
    support_contact: Option<String>,
    /// Enable or disable the whole tenant: on or off.
    #[arg(long, value_name = "on|off")]
    enabled: Option<String>,
}

fn write_tenant(w: &mut Text, t: &Tenant) -> fmt::Result {
    let s = &t.settings;
    writeln!(w, "tenant:                    {}", t.slug)?;
    writeln!(w, "name:                      {}", t.display_name)?;
    writeln!(
        w,
        "status:                    {}",
        if t.enabled { "enabled" } else { "disabled" }
    )?;
    writeln!(
        w,
        "public url:                {}",
        t.public_url.as_deref().unwrap_or("(system public_url)")
    )?;
    writeln!(
        w,
        "password reset:            {}",
        onoff(s.password_reset_enabled)
    )?;
    writeln!(
        w,
        "reset link ttl:            {}",
        format_duration(s.reset_link_ttl_secs)
    )?;
    writeln!(w, "min password length:       {}", s.password_min_length)?;
    writeln!(
        w,
        "admin reset delay:         {}",
        format_duration(s.admin_reset_delay_secs)
    )?;
    writeln!(
        w,
        "reset fallback to primary: {}",
        onoff(s.reset_fallback_to_primary)
    )?;
    writeln!(
        w,
        "default language:          {}",
        s.default_language.as_str()
    )?;
    writeln!(w, "time zone:                 {}", s.time_zone.as_str())?;
    writeln!(
        w,
        "support contact:           {}",
        s.support_contact.as_ref().map_or("(none)", |c| c.as_str())
    )?;
    writeln!(w, "created:                   {}", format_utc(t.created_at))?;
    Ok(())
}

pub(super) async fn tenant_command(
    core: &Core,
    cmd: TenantCommand,
    out: Out,
) -> anyhow::Result<()> {
    let actor = Actor::Cli;
    match cmd {
        TenantCommand::Create {
            slug,
            name,
            public_url,
        } => {
            let slug = TenantSlug::parse(&slug)?;
            let name = name.as_deref().map(DisplayName::parse).transpose()?;
            let url = public_url.as_deref().map(PublicUrl::parse).transpose()?;
            let t = core
                .create_tenant(&actor, &slug, name.as_ref(), url.as_ref())
                .await?;
            out.show(&t, |w| {
                // The tenant's own public URL, else the configured one: where its links point.
                writeln!(
                    w,
                    "created tenant `{}`: {}/t/{}/login",
                    t.slug,
                    core.public_url_for(Some(&t)).trim_end_matches('/'),
                    t.slug
                )?;
                if t.public_url.is_none() && core.config.raw.public_url.is_none() {
                    writeln!(
                        w,
                        "note: public_url is not set, so this address is made from `listen` ({}); \
                         set public_url (latchkey.toml or LATCHKEY_PUBLIC_URL) to the address people open",
                        core.config.listen
                    )?;
                }
                Ok(())
            })
        }
        TenantCommand::List => {
            let tenants = core.tenants().await?;
            out.show(&tenants, |w| {
                writeln!(
                    w,
                    "{:<24} {:<8} {:<14} NAME",
                    "SLUG", "STATUS", "PASSWORD-RESET"
                )?;
                for t in &tenants {
                    let status = if t.enabled { "enabled" } else { "disabled" };
                    writeln!(
                        w,
                        "{:<24} {:<8} {:<14} {}",
                        t.slug,
                        status,
                        onoff(t.settings.password_reset_enabled),
                        t.display_name
                    )?;
                }
                Ok(())
            })
        }
        TenantCommand::Show { slug } => {
            let t = core.tenant(&slug).await?;
            out.show(&t, |w| write_tenant(w, &t))
        }
        TenantCommand::Set(set) => {
            let mut t = core.tenant(&set.slug).await?;
            let before = t.clone();
            if let Some(n) = &set.name {
                t.display_name = DisplayName::parse(n)?.as_str().to_owned();
            }
            if let Some(u) = &set.public_url {
                t.public_url = if u.trim().is_empty() {
                    None
                } else {
                    Some(PublicUrl::parse(u)?.as_str().to_owned())
                };
            }
            let s = &mut t.settings;
            if let Some(v) = &set.password_reset {
                s.password_reset_enabled = parse_switch("--password-reset", v)?;
            }
            if let Some(v) = &set.reset_link_ttl {
                s.reset_link_ttl_secs = parse_duration("--reset-link-ttl", v)?.as_secs() as i64;
            }
            if let Some(n) = set.min_password_length {
                s.password_min_length = n;
            }
            if let Some(v) = &set.admin_reset_delay {
                s.admin_reset_delay_secs =
                    parse_duration("--admin-reset-delay", v)?.as_secs() as i64;
            }
            if let Some(v) = &set.reset_fallback_to_primary {
                s.reset_fallback_to_primary = parse_switch("--reset-fallback-to-primary", v)?;
            }
            if let Some(v) = &set.default_language {
                s.default_language = v.parse()?;
            }
            if let Some(v) = &set.time_zone {
                s.time_zone = ZoneName::parse(v)?;
            }
            if let Some(v) = &set.support_contact {
                s.support_contact = match v.trim() {
                    "" => None,
                    raw => Some(SupportContact::parse(raw)?),
                };
            }
            if let Some(v) = &set.enabled {
                t.enabled = parse_switch("--enabled", v)?;
            }
            core.update_tenant(&actor, &t, &before).await?;
            out.show(&t, |w| write_tenant(w, &t))
        }
    }
}
