//! `latchkey api-key`: create, list and revoke keys for /api/v1.

use clap::Subcommand;

use super::input::{optional_tenant, tenant_slug};
use super::output::print_json;
use crate::clock::format_utc;
use crate::domain::parse_duration;
use crate::service::{Actor, Core};
use crate::store;

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
async fn key_json(core: &Core, k: &store::api_keys::ApiKey) -> anyhow::Result<serde_json::Value> {
    let mut v = serde_json::to_value(k)?;
    v["tenant"] = match k.tenant_id {
        Some(_) => serde_json::Value::String(tenant_slug(core, k.tenant_id).await?),
        None => serde_json::Value::Null,
    };
    v["state"] = serde_json::Value::String(k.state(core.now()).to_owned());
    Ok(v)
}

pub(super) async fn api_key_command(
    core: &Core,
    cmd: ApiKeyCommand,
    json: bool,
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
            if json {
                let mut v = key_json(core, &key).await?;
                v["key"] = serde_json::Value::String(
                    secrecy::ExposeSecret::expose_secret(&secret).to_owned(),
                );
                return print_json(&v);
            }
            println!(
                "created API key {} \"{}\" for {} with scopes {}",
                key.id,
                key.name,
                tenant
                    .as_ref()
                    .map(|t| format!("tenant `{}`", t.slug))
                    .unwrap_or_else(|| "all tenants".into()),
                key.scopes
            );
            println!("the key (shown only now; store it safely):");
            println!("{}", secrecy::ExposeSecret::expose_secret(&secret));
        }
        ApiKeyCommand::List { tenant } => {
            let tenant = optional_tenant(core, tenant.as_deref()).await?;
            let keys = store::api_keys::list(&core.db, tenant.as_ref().map(|t| t.id)).await?;
            if json {
                let mut all = Vec::with_capacity(keys.len());
                for k in &keys {
                    all.push(key_json(core, k).await?);
                }
                return print_json(&all);
            }
            println!(
                "{:<5} {:<12} {:<24} {:<16} {:<8} {:<20} {:<20} SCOPES",
                "ID", "PREFIX", "NAME", "TENANT", "STATE", "LAST USED", "EXPIRES"
            );
            for k in keys {
                let tenant = match k.tenant_id {
                    Some(_) => tenant_slug(core, k.tenant_id).await?,
                    None => "(all tenants)".into(),
                };
                println!(
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
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            core.revoke_api_key(&Actor::Cli, None, id).await?;
            if json {
                let key = store::api_keys::get(&core.db, id)
                    .await?
                    .ok_or_else(|| anyhow::anyhow!("API key {id} vanished"))?;
                return print_json(&key_json(core, &key).await?);
            }
            println!("revoked API key {id}");
        }
        ApiKeyCommand::Scopes => {
            let scopes = crate::service::api_keys::SCOPES;
            if json {
                let list: Vec<_> = scopes
                    .iter()
                    .map(|(s, d)| serde_json::json!({ "scope": s, "description": d }))
                    .collect();
                return print_json(&list);
            }
            for (s, d) in scopes {
                println!("{s:<16} {d}");
            }
        }
    }
    Ok(())
}
