//! `latchkey directory`: connect a tenant to an LDAP directory, check the connection, sync.

use std::fmt::{self, Write as _};
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::input::{password_if, read_ca_file};
use super::output::{set_or_none, Out, Text};
use crate::directory::{DirectoryKind, DirectorySettings, Security};
use crate::service::directory::{DirectoryInput, DirectoryPatch, MappingPatch, SyncReport};
use crate::service::{Actor, Core};

#[derive(Subcommand)]
pub(super) enum DirectoryCommand {
    /// Show a tenant's directory connection (the service password only as how it is kept) and
    /// the last sync.
    Show {
        #[arg(long)]
        tenant: String,
    },
    /// Connect a tenant to a directory or change the connection; options not given keep their
    /// value. The tenant's people then sign in with their directory password, and new
    /// passwords are written to the directory.
    Set {
        #[arg(long)]
        tenant: String,
        #[command(flatten)]
        values: Box<DirectoryArgs>,
    },
    /// Disconnect a tenant from its directory. Its directory accounts stay (audit trail) but
    /// can't sign in.
    Remove {
        #[arg(long)]
        tenant: String,
    },
    /// Connect, encrypt, bind as the service account, read the base, count people and (with
    /// --lookup) look one up, showing each step. Exits with status 1 when a step fails.
    Check {
        #[arg(long)]
        tenant: String,
        /// A username or address to look up and show with its mapped attributes.
        #[arg(long, value_name = "NAME")]
        lookup: Option<String>,
        /// Also check that the service account may change passwords (changes none).
        #[arg(long)]
        verify_write: bool,
    },
    /// Read every person of the directory now and bring the tenant's accounts in line
    /// (added, changed, disabled). Exits with status 1 when the directory could not be read.
    Sync {
        #[arg(long)]
        tenant: String,
    },
}

#[derive(Args, Default)]
pub(super) struct DirectoryArgs {
    /// openldap (default) or active_directory. Choosing a type fills in its usual attributes
    /// and filter where the other type's are still set (Active Directory: sAMAccountName,
    /// also userPrincipalName, objectGUID, userAccountControl bit 2).
    #[arg(long, value_name = "TYPE")]
    kind: Option<String>,
    /// ldap://host:389 (with --security starttls or none) or ldaps://host:636.
    #[arg(long)]
    url: Option<String>,
    /// starttls (default, required upgrade), ldaps, or none (passwords cross the network
    /// readable: only for a directory on the same host).
    #[arg(long, value_name = "MODE")]
    security: Option<String>,
    /// PEM file of an extra CA to trust (an internal directory's CA); "" removes it.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// The service account's DN (searches people, writes passwords).
    #[arg(long, value_name = "DN")]
    bind_dn: Option<String>,
    /// Read the service account's password from standard input. `env:NAME` or `file:/path`
    /// store a reference instead of the password.
    #[arg(long)]
    bind_password_stdin: bool,
    /// Where people are searched (subtree), e.g. ou=people,dc=example,dc=org.
    #[arg(long, value_name = "DN")]
    base_dn: Option<String>,
    /// Which entries are people, e.g. "(objectClass=inetOrgPerson)".
    #[arg(long, value_name = "FILTER")]
    user_filter: Option<String>,
    /// Attribute of the username people sign in with (default uid).
    #[arg(long, value_name = "ATTR")]
    username_attr: Option<String>,
    /// Attribute of the e-mail address (default mail).
    #[arg(long, value_name = "ATTR")]
    email_attr: Option<String>,
    /// Attribute holding the address reset mail goes to; "" = kept in Latchkey (default).
    #[arg(long, value_name = "ATTR")]
    reset_email_attr: Option<String>,
    /// Attribute of the display name (default cn).
    #[arg(long, value_name = "ATTR")]
    display_name_attr: Option<String>,
    /// Attribute that never changes for a person (default entryUUID).
    #[arg(long, value_name = "ATTR")]
    stable_id_attr: Option<String>,
    /// Attribute that marks a disabled person (default pwdAccountLockedTime); "" for none.
    #[arg(long, value_name = "ATTR")]
    disabled_attr: Option<String>,
    /// Only this value of the disabled attribute means disabled (default 000001010000Z,
    /// ppolicy's permanent lock; "" = any value).
    #[arg(long, value_name = "VALUE")]
    disabled_value: Option<String>,
    /// When not 0, the disabled attribute is a number and these bits mark a disabled person
    /// (Active Directory: 2, ACCOUNTDISABLE of userAccountControl).
    #[arg(long, value_name = "BITS")]
    disabled_bits: Option<u32>,
    /// One more attribute people may sign in with (Active Directory: userPrincipalName); ""
    /// for none.
    #[arg(long, value_name = "ATTR")]
    sign_in_also_attr: Option<String>,
    /// Active Directory: whether a reset also unlocks an account locked by wrong passwords
    /// (lockoutTime = 0).
    #[arg(long, value_name = "true|false")]
    unlock_on_reset: Option<bool>,
    /// Members of this group are the tenant's administrators; "" = roles kept in Latchkey.
    #[arg(long, value_name = "DN")]
    admin_group: Option<String>,
    /// Minutes between automatic syncs; 0 = only `latchkey directory sync` / "Sync now".
    #[arg(long, value_name = "MINUTES")]
    sync_interval: Option<u32>,
    /// Seconds to wait for a connection.
    #[arg(long, value_name = "SECONDS")]
    connect_timeout: Option<u64>,
    /// Seconds to wait for an answer.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<u64>,
    /// Entries per page of a search.
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
}

impl DirectoryArgs {
    fn apply(self, s: DirectorySettings) -> anyhow::Result<DirectoryInput> {
        let kind = self.kind.map(|k| {
            DirectoryKind::parse(&k)
                .ok_or_else(|| anyhow::anyhow!("--kind `{k}` is not openldap or active_directory"))
        });
        let security = self.security.map(|v| {
            Ok(match v.trim().to_ascii_lowercase().as_str() {
                "starttls" => Security::Starttls,
                "ldaps" | "tls" => Security::Ldaps,
                "none" => Security::None,
                other => anyhow::bail!("--security `{other}` is not starttls, ldaps or none"),
            })
        });
        let patch = DirectoryPatch {
            kind: kind.transpose()?,
            url: self.url,
            security: security.transpose()?,
            extra_ca_pem: self.ca_file.map(|p| read_ca_file(&p)).transpose()?,
            bind_dn: self.bind_dn,
            base_dn: self.base_dn,
            user_filter: self.user_filter,
            mapping: MappingPatch {
                username: self.username_attr,
                email: self.email_attr,
                reset_email: self.reset_email_attr,
                display_name: self.display_name_attr,
                stable_id: self.stable_id_attr,
                disabled: self.disabled_attr,
                disabled_value: self.disabled_value,
                disabled_bits: self.disabled_bits,
                sign_in_also: self.sign_in_also_attr,
            },
            admin_group_dn: self.admin_group,
            unlock_on_reset: self.unlock_on_reset,
            sync_interval_mins: self.sync_interval,
            connect_timeout_secs: self.connect_timeout,
            timeout_secs: self.timeout,
            page_size: self.page_size,
        };
        Ok(DirectoryInput {
            settings: patch.apply(s),
            new_bind_password: password_if(self.bind_password_stdin)?,
        })
    }
}

fn security_name(s: Security) -> &'static str {
    match s {
        Security::Starttls => "starttls",
        Security::Ldaps => "ldaps",
        Security::None => "none (not encrypted)",
    }
}

fn write_settings(w: &mut Text, s: &DirectorySettings) -> fmt::Result {
    let or_none = |v: &str| {
        if v.trim().is_empty() {
            "none".to_owned()
        } else {
            v.to_owned()
        }
    };
    writeln!(w, "type:           {}", s.kind.as_str())?;
    writeln!(w, "url:            {}", s.url)?;
    writeln!(w, "security:       {}", security_name(s.security))?;
    writeln!(w, "extra CA:       {}", set_or_none(&s.extra_ca_pem))?;
    writeln!(w, "bind DN:        {}", s.bind_dn)?;
    writeln!(w, "bind password:  {}", s.password_state())?;
    writeln!(w, "base DN:        {}", s.base_dn)?;
    writeln!(w, "user filter:    {}", s.user_filter)?;
    let m = &s.mapping;
    writeln!(
        w,
        "attributes:     username={} email={} display name={} stable id={}",
        m.username, m.email, m.display_name, m.stable_id
    )?;
    writeln!(
        w,
        "reset address:  {}",
        if m.reset_email.trim().is_empty() {
            "kept in Latchkey".to_owned()
        } else {
            format!("from {}", m.reset_email)
        }
    )?;
    writeln!(
        w,
        "disabled when:  {}",
        match (m.disabled.trim(), m.disabled_value.trim()) {
            ("", _) => "never (no attribute)".to_owned(),
            (a, _) if m.disabled_bits != 0 => format!("{a} has bits {} set", m.disabled_bits),
            (a, "") => format!("{a} is present"),
            (a, v) => format!("{a} = {v}"),
        }
    )?;
    writeln!(w, "also sign in:   {}", or_none(&m.sign_in_also))?;
    if s.is_active_directory() {
        writeln!(
            w,
            "unlock:         {}",
            if s.unlock_on_reset {
                "a reset also unlocks a locked-out account"
            } else {
                "a reset leaves a lockout as it is"
            }
        )?;
    }
    writeln!(w, "admin group:    {}", or_none(&s.admin_group_dn))?;
    writeln!(
        w,
        "sync:           {}",
        if s.sync_interval_mins == 0 {
            "on demand only".to_owned()
        } else {
            format!("every {} minutes", s.sync_interval_mins)
        }
    )?;
    writeln!(
        w,
        "timeouts:       connect {}s, answer {}s; page size {}",
        s.connect_timeout_secs, s.timeout_secs, s.page_size
    )
}

fn write_sync(w: &mut Text, r: &SyncReport) -> fmt::Result {
    writeln!(
        w,
        "sync at {}: {} people; {} added, {} changed, {} disabled, {} unchanged ({} ms)",
        crate::clock::format_utc(r.at),
        r.people,
        r.added,
        r.changed,
        r.disabled,
        r.unchanged,
        r.millis
    )?;
    for e in &r.errors {
        writeln!(w, "  error: {e}")?;
    }
    Ok(())
}

fn settings_json(s: &DirectorySettings, last: Option<&SyncReport>) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("bind_password".into(), s.password_state().into());
        o.insert(
            "last_sync".into(),
            serde_json::to_value(last).unwrap_or_default(),
        );
    }
    v
}

pub(super) async fn directory_command(
    core: &Core,
    cmd: DirectoryCommand,
    out: Out,
) -> anyhow::Result<()> {
    let actor = Actor::Cli;
    match cmd {
        DirectoryCommand::Show { tenant } => {
            let tenant = core.tenant(&tenant).await?;
            let Some(s) = core.directory_settings(&tenant).await? else {
                anyhow::bail!(
                    "tenant `{}` is not connected to a directory (connect it with `latchkey directory set`)",
                    tenant.slug
                );
            };
            let last = core.last_directory_sync(&tenant).await?;
            out.show(&settings_json(&s, last.as_ref()), |w| {
                write_settings(w, &s)?;
                match &last {
                    Some(r) => write_sync(w, r),
                    None => writeln!(w, "not synced yet"),
                }
            })
        }
        DirectoryCommand::Set { tenant, values } => {
            let tenant = core.tenant(&tenant).await?;
            let current = core.directory_settings(&tenant).await?.unwrap_or_default();
            let saved = core
                .save_directory(&actor, &tenant, values.apply(current)?)
                .await?;
            out.show(&settings_json(&saved, None), |w| write_settings(w, &saved))
        }
        DirectoryCommand::Remove { tenant } => {
            let tenant = core.tenant(&tenant).await?;
            let removed = core.remove_directory(&actor, &tenant).await?;
            out.show(&serde_json::json!({ "removed": removed }), |w| {
                if removed {
                    writeln!(
                        w,
                        "tenant `{}` is no longer connected to a directory",
                        tenant.slug
                    )
                } else {
                    writeln!(
                        w,
                        "tenant `{}` was not connected to a directory; nothing changed",
                        tenant.slug
                    )
                }
            })
        }
        DirectoryCommand::Check {
            tenant,
            lookup,
            verify_write,
        } => {
            let tenant = core.tenant(&tenant).await?;
            let report = core
                .check_directory(&actor, &tenant, lookup.as_deref(), verify_write)
                .await?;
            out.show(&report, |w| {
                for s in &report.steps {
                    writeln!(
                        w,
                        "{} {:<24} {} ({} ms)",
                        if s.ok { "ok  " } else { "FAIL" },
                        s.label,
                        s.reply,
                        s.millis
                    )?;
                    if let Some(h) = &s.hint {
                        writeln!(w, "     hint: {h}")?;
                    }
                }
                if let Some(p) = &report.person {
                    writeln!(
                        w,
                        "person: {} <{}> dn={} id={}{}{}",
                        p.username,
                        p.email.as_deref().unwrap_or("no address"),
                        p.dn,
                        p.stable_id,
                        if p.disabled { " (disabled)" } else { "" },
                        if p.is_admin { " (admin group)" } else { "" }
                    )?;
                }
                writeln!(w, "{}", report.summary)
            })?;
            if !report.ok {
                anyhow::bail!("the directory check failed");
            }
            Ok(())
        }
        DirectoryCommand::Sync { tenant } => {
            let tenant = core.tenant(&tenant).await?;
            let report = core.sync_directory(&actor, &tenant).await?;
            out.show(&report, |w| write_sync(w, &report))?;
            if !report.ok {
                anyhow::bail!(
                    "the directory could not be read: {}",
                    report.errors.join("; ")
                );
            }
            Ok(())
        }
    }
}
