//! API keys for other applications: a name, scopes, an optional expiry, and a tenant (or all
//! tenants for keys a system administrator creates). The key is shown once; only its SHA-256
//! hash is stored.

use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use super::{Actor, AuditEntry, Core, Result, ServiceError};
use crate::clock::Timestamp;
use crate::domain::token::{new_token, TokenHash};
use crate::store::api_keys::{ApiKey, NewKey};
use crate::store::{self, Tenant};

/// What a key may do.
pub const SCOPES: &[(&str, &str)] = &[
    ("users:read", "list, search and read users"),
    ("users:write", "create and change users"),
    (
        "resets:send",
        "send reset links, temporary passwords and invitations; read campaigns",
    ),
    (
        "mail:read",
        "read campaigns, scheduled mail and the mail log",
    ),
    (
        "auth:check",
        "check a username and password (POST …/authenticate)",
    ),
    (
        "settings:write",
        "change tenant settings (switch password reset on or off, validity, …)",
    ),
];

const KEY_PREFIX: &str = "lk_";

/// An authenticated API caller.
#[derive(Debug, Clone)]
pub struct ApiPrincipal {
    pub key: ApiKey,
}

impl ApiPrincipal {
    pub fn has_scope(&self, scope: &str) -> bool {
        self.key.scopes.split_whitespace().any(|s| s == scope)
    }
    /// Whether the key may act on this tenant.
    pub fn may_use(&self, tenant: &Tenant) -> bool {
        self.key.tenant_id.is_none_or(|t| t == tenant.id)
    }
    pub fn actor(&self) -> Actor {
        Actor::Account {
            id: -self.key.id,
            label: format!("api-key:{}:{}", self.key.id, self.key.name),
        }
    }
}

impl Core {
    /// Creates a key. Returns the stored record and the key itself, which is never shown again.
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        tenant: Option<&Tenant>,
        name: &str,
        scopes: &[String],
        expires_at: Option<Timestamp>,
    ) -> Result<(ApiKey, SecretString)> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(ServiceError::Invalid(
                "name: 1–100 characters on one line".into(),
            ));
        }
        if scopes.is_empty() {
            return Err(ServiceError::Invalid(
                "give the key at least one scope".into(),
            ));
        }
        for s in scopes {
            if !SCOPES.iter().any(|(known, _)| known == s) {
                let known: Vec<_> = SCOPES.iter().map(|(k, _)| *k).collect();
                return Err(ServiceError::Invalid(format!(
                    "unknown scope `{}`: use {}",
                    s.escape_debug(),
                    known.join(", ")
                )));
            }
        }
        if expires_at.is_some_and(|e| e <= self.now()) {
            return Err(ServiceError::Invalid(
                "the expiry must be in the future".into(),
            ));
        }
        let token = new_token();
        let secret = format!("{KEY_PREFIX}{}", token.secret.expose_secret());
        let hash = TokenHash::of(&secret);
        let prefix: String = secret.chars().take(10).collect();
        let mut sorted = scopes.to_vec();
        sorted.sort();
        sorted.dedup();
        let id = store::api_keys::create(
            &self.db,
            &NewKey {
                tenant_id: tenant.map(|t| t.id),
                name,
                hash: &hash,
                prefix: &prefix,
                scopes: &sorted.join(" "),
                created_by: &actor.label(),
                expires_at,
            },
            self.now(),
        )
        .await?;
        self.audit(AuditEntry {
            tenant_id: tenant.map(|t| t.id),
            actor,
            action: "api_key.created",
            target: Some(name),
            ip: None,
            outcome: "success",
            detail: json!({ "key": id, "scopes": sorted, "expires_at": expires_at }),
        })
        .await;
        let key = store::api_keys::get(&self.db, id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("key vanished"))?;
        Ok((key, SecretString::from(secret)))
    }

    /// The key a bearer token names, if it is usable. Records its use.
    pub async fn api_principal(&self, bearer: &SecretString) -> Result<Option<ApiPrincipal>> {
        let raw = bearer.expose_secret();
        if !raw.starts_with(KEY_PREFIX) || raw.len() != KEY_PREFIX.len() + 43 {
            return Ok(None);
        }
        let now = self.now();
        let Some(key) = store::api_keys::find_usable(&self.db, &TokenHash::of(raw), now).await?
        else {
            return Ok(None);
        };
        if key.last_used_at.is_none_or(|t| now - t >= 60) {
            store::api_keys::touch(&self.db, key.id, now).await?;
        }
        Ok(Some(ApiPrincipal { key }))
    }

    pub async fn revoke_api_key(
        &self,
        actor: &Actor,
        tenant: Option<&Tenant>,
        id: i64,
    ) -> Result<()> {
        let key = store::api_keys::get(&self.db, id).await?;
        let Some(key) = key.filter(|k| tenant.is_none_or(|t| k.tenant_id == Some(t.id))) else {
            return Err(ServiceError::NotFound(format!("there is no API key {id}")));
        };
        if !store::api_keys::revoke(&self.db, id, self.now()).await? {
            return Err(ServiceError::Invalid(format!(
                "API key {id} is already revoked"
            )));
        }
        self.audit(AuditEntry {
            tenant_id: key.tenant_id,
            actor,
            action: "api_key.revoked",
            target: Some(&key.name),
            ip: None,
            outcome: "success",
            detail: json!({ "key": id }),
        })
        .await;
        Ok(())
    }

    /// Checks a username/e-mail and password for another application: the same timing-safe
    /// check and throttling as the sign-in page, but no session is made. Returns whether it
    /// matched and whether the password must be changed.
    pub async fn check_credentials(
        &self,
        tenant: &Tenant,
        identifier: &str,
        password: SecretString,
        ip: &str,
    ) -> Result<CredentialCheck> {
        Ok(
            match self.login(tenant, identifier, password, ip, "api").await? {
                super::LoginOutcome::Success {
                    account,
                    session_secret,
                } => {
                    // The check made a session like a sign-in does; end it at once.
                    store::sessions::delete_by_hash(
                        &self.db,
                        &crate::domain::token::hash_presented(&session_secret),
                    )
                    .await?;
                    if account.must_change_password {
                        // A temporary (or admin-set) password only serves to choose a new one.
                        CredentialCheck::MustChange
                    } else {
                        CredentialCheck::Valid
                    }
                }
                super::LoginOutcome::Invalid | super::LoginOutcome::TemporaryPasswordExpired => {
                    CredentialCheck::Invalid
                }
                super::LoginOutcome::Throttled => CredentialCheck::Throttled,
            },
        )
    }
}

/// What a password change with credentials (no session) came to.
pub enum PasswordChange {
    Changed,
    InvalidCredentials,
    Throttled,
}

impl Core {
    /// Changes a password for a client without a session: the current password proves who it
    /// is (throttled like sign-in), then the same rules as the "Password and login" page apply.
    pub async fn change_password_with_credentials(
        &self,
        tenant: &Tenant,
        identifier: &str,
        current: SecretString,
        new: SecretString,
        confirmation: SecretString,
        ip: &str,
    ) -> Result<PasswordChange> {
        let session = match self
            .login(tenant, identifier, current.clone(), ip, "api")
            .await?
        {
            super::LoginOutcome::Success { session_secret, .. } => session_secret,
            super::LoginOutcome::Throttled => return Ok(PasswordChange::Throttled),
            _ => return Ok(PasswordChange::InvalidCredentials),
        };
        let info = self.session(&session).await?;
        let result = match &info {
            Some(info) => {
                self.change_password(info, current, new, confirmation, ip)
                    .await
            }
            None => Err(ServiceError::Internal(anyhow::anyhow!(
                "the session just made is gone"
            ))),
        };
        // The session existed only to reuse the page's rules.
        store::sessions::delete_by_hash(&self.db, &crate::domain::token::hash_presented(&session))
            .await?;
        result.map(|_| PasswordChange::Changed)
    }
}

pub enum CredentialCheck {
    Valid,
    /// The right password, but it must be changed before it counts.
    MustChange,
    Invalid,
    Throttled,
}
