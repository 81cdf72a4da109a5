//! `latchkey api-key`: create, list and revoke keys for /api/v1.

use std::fmt::Write as _;

use clap::Subcommand;

use super::input::{optional_tenant, tenant_slug};
use super::output::Out;
use crate::clock::format_utc;
use crate::domain::parse_duration;
use crate::service::{Actor, ApiKey, Core};

#[derive(Subcommand)]
pub(super) enum ApiKeyCommand {
    /// Create a key. It is printed once; only its hash is stored.
    Create {
        /// The tenant the key may use.
        #[arg(long, required_unless_present = "all_tenants")]
        tenant: Option<String>,
        /// A key for every tenant (as a system administrator would create it).
        #[arg(long, conflicts_with = "tenant")]
        all_tenants: bool,
        /// What the key is for, e.g. "HR sync".
        #[arg(long)]
        name: String,
        /// users:read, users:write, resets:send, mail:read, auth:check, settings:write or
        /// audit:read; repeat for several.
        #[arg(long = "scope", value_name = "SCOPE", required = true)]
        scopes: Vec<String>,
        /// Stop working after this long, e.g. 90d.
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<String>,
    },
    /// List keys (never the keys themselves) with their tenant, scopes, state and last use:
    /// of one tenant, or every key (all-tenants keys and each tenant's).
    List {
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Revoke a key at once: applications using it are refused from then on.
    Revoke {
        /// The key's ID, as shown by `latchkey api-key list`.
        id: i64,
    },
    /// List the scopes a key can have, with what each allows.
    Scopes,
}

/// A key as the CLI shows it: the stored fields (never the key, only its hash is stored) plus
/// its tenant's slug (`null` for an all-tenants key) and its state.
fn key_json(core: &Core, k: &ApiKey, tenant: Option<String>) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(k)?;
    v["tenant"] = tenant.map_or(serde_json::Value::Null, serde_json::Value::String);
    v["state"] = serde_json::Value::String(k.state(core.now()).to_owned());
    Ok(v)
}

/// The slug of a key's tenant; `None` for an all-tenants key.
async fn key_tenant(core: &Core, k: &ApiKey) -> anyhow::Result<Option<String>> {
    Ok(match k.tenant_id {
        Some(_) => Some(tenant_slug(core, k.tenant_id).await?),
        None => None,
    })
}

pub(super) async fn api_key_command(
    core: &Core,
    cmd: ApiKeyCommand,
    out: Out,
) -> anyhow::Result<()> {
    match cmd {
        ApiKeyCommand::Create {
            tenant,
            all_tenants: _,
            name,
            scopes,
            expires_in,
        } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let expires_at = expires_in
                .map(|d| {
                    parse_duration("--expires-in", &d).map(|d| {
                        core.now()
                            .saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
                    })
                })
                .transpose()?;
            let (key, secret) = core
                .create_api_key(&Actor::Cli, tenant.as_ref(), &name, &scopes, expires_at)
                .await?;
            let mut v = key_json(core, &key, key_tenant(core, &key).await?)?;
            v["key"] =
                serde_json::Value::String(secrecy::ExposeSecret::expose_secret(&secret).to_owned());
            out.show(&v, |w| {
                writeln!(
                    w,
                    "created API key {} \"{}\" for {} with scopes {}",
                    key.id,
                    key.name,
                    tenant
                        .as_ref()
                        .map(|t| format!("tenant `{}`", t.slug))
                        .unwrap_or_else(|| "all tenants".into()),
                    key.scopes
                )?;
                writeln!(w, "the key (shown only now; store it safely):")?;
                writeln!(w, "{}", secrecy::ExposeSecret::expose_secret(&secret))
            })
        }
        ApiKeyCommand::List { tenant } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let keys = core.api_keys(tenant.as_ref()).await?;
            let mut rows = Vec::with_capacity(keys.len());
            for k in &keys {
                rows.push((k, key_tenant(core, k).await?));
            }
            let all = rows
                .iter()
                .map(|(k, tenant)| key_json(core, k, tenant.clone()))
                .collect::<anyhow::Result<Vec<_>>>()?;
            out.show(&all, |w| {
                writeln!(
                    w,
                    "{:<5} {:<12} {:<24} {:<16} {:<8} {:<20} {:<20} SCOPES",
                    "ID", "PREFIX", "NAME", "TENANT", "STATE", "LAST USED", "EXPIRES"
                )?;
                for (k, tenant) in &rows {
                    let tenant = tenant.as_deref().unwrap_or("(all tenants)");
                    writeln!(
                        w,
                        "{:<5} {:<12} {:<24} {:<16} {:<8} {:<20} {:<20} {}",
                        k.id,
                        k.prefix,
                        k.name,
                        tenant,
                        k.state(core.now()),
                        k.last_used_at
                            .map(format_utc)
                            .unwrap_or_else(|| "never".into()),
                        k.expires_at
                            .map(format_utc)
                            .unwrap_or_else(|| "never".into()),
                        k.scopes
                    )?;
                }
                Ok(())
            })
        }
        ApiKeyCommand::Revoke { id } => {
            core.revoke_api_key(&Actor::Cli, None, id).await?;
            let key = core
                .api_key(id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("API key {id} vanished"))?;
            let v = key_json(core, &key, key_tenant(core, &key).await?)?;
            out.show(&v, |w| writeln!(w, "revoked API key {id}"))
        }
        ApiKeyCommand::Scopes => {
            let scopes = crate::service::api_keys::SCOPES;
            let list: Vec<_> = scopes
                .iter()
                .map(|(s, d)| serde_json::json!({ "scope": s, "description": d }))
                .collect();
            out.show(&list, |w| {
                for (s, d) in scopes {
                    writeln!(w, "{s:<16} {d}")?;
                }
                Ok(())
            })
        }
    }
}
