use secrecy::SecretString;

use super::{Actor, AuditEntry, Core, Result, ServiceError};
use crate::domain::policy::PasswordContext;
use crate::domain::{AccountStatus, DisplayName, EmailAddress, PasswordPolicy, Role, Username};
use crate::store::{self, Account, NewAccount, Tenant};

pub struct CreateAccount {
    pub username: Username,
    pub display_name: Option<DisplayName>,
    pub email: Option<EmailAddress>,
    pub reset_email: Option<EmailAddress>,
    pub password: Option<SecretString>,
    pub role: Role,
}

/// Profile fields to change; `None` keeps the current value, `Some(None)` clears an address.
#[derive(Default)]
pub struct AccountChanges {
    pub display_name: Option<DisplayName>,
    pub email: Option<Option<EmailAddress>>,
    pub reset_email: Option<Option<EmailAddress>>,
    pub role: Option<Role>,
}

/// Whether `actor` is the signed-in owner of `account`.
pub(crate) fn is_self(actor: &Actor, account: &Account) -> bool {
    matches!(actor, Actor::Account { id, .. } if *id == account.id)
}

/// Roles ordered by power, to tell a promotion from a demotion.
pub(crate) fn role_rank(role: Role) -> u8 {
    match role {
        Role::User => 0,
        Role::TenantAdmin => 1,
        Role::SystemAdmin => 2,
    }
}

/// The words a password of this account must not contain.
pub fn password_context(
    tenant: &Tenant,
    username: &str,
    display_name: &str,
    email: Option<&str>,
) -> PasswordContext {
    let mut ctx = PasswordContext::new();
    ctx.add("your username", username);
    for part in display_name.split_whitespace() {
        ctx.add("your name", part);
    }
    if let Some(e) = email.and_then(|e| EmailAddress::parse(e).ok()) {
        ctx.add("your e-mail address", e.local_part());
    }
    ctx.add("the organisation's name", &tenant.slug);
    ctx.add("the organisation's name", &tenant.display_name);
    ctx
}

impl Core {
    pub fn policy(&self, tenant: &Tenant) -> PasswordPolicy {
        PasswordPolicy::new(tenant.settings.password_min_length)
    }

    pub async fn create_account(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        new: CreateAccount,
    ) -> Result<Account> {
        self.create_account_with(actor, tenant, new, false, None)
            .await
    }

    /// [`Core::create_account`], optionally making the person replace the initial password at
    /// the first sign-in, and recording the client address in the audit trail.
    pub async fn create_account_with(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        new: CreateAccount,
        must_change_password: bool,
        ip: Option<&str>,
    ) -> Result<Account> {
        if new.role == Role::SystemAdmin && tenant.slug != self.config.raw.default_tenant {
            return Err(ServiceError::Invalid(format!(
                "system administrators belong to the default tenant `{}`",
                self.config.raw.default_tenant
            )));
        }
        let display = new.display_name.as_ref().map(|d| d.as_str()).unwrap_or("");
        let hash = match &new.password {
            Some(pw) => {
                let ctx = password_context(
                    tenant,
                    new.username.as_str(),
                    display,
                    new.email.as_ref().map(|e| e.as_str()),
                );
                let normalized = self.policy(tenant).check(pw, &ctx)?;
                Some(self.hasher.hash(normalized).await?)
            }
            None => None,
        };
        let account = store::accounts::create(
            &self.db,
            &NewAccount {
                tenant_id: tenant.id,
                username: new.username.as_str(),
                display_name: display,
                email: new.email.as_ref().map(|e| e.as_str()),
                reset_email: new.reset_email.as_ref().map(|e| e.as_str()),
                password_hash: hash.as_deref(),
                role: new.role,
                must_change_password: must_change_password && hash.is_some(),
            },
            self.now(),
        )
        .await?;
        self.audit(AuditEntry {
            tenant_id: Some(tenant.id),
            actor,
            action: "account.created",
            target: Some(&account.username),
            ip,
            outcome: "success",
            detail: serde_json::json!({ "role": account.role, "password_set": hash.is_some() }),
        })
        .await;
        Ok(account)
    }

    pub async fn account_by_username(&self, tenant: &Tenant, username: &str) -> Result<Account> {
        let u = Username::parse(username)?;
        store::accounts::by_username(&self.db, tenant.id, u.as_str())
            .await?
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "tenant `{}` has no user `{}`",
                    tenant.slug,
                    u.as_str()
                ))
            })
    }

    pub async fn update_account(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        account: Account,
        changes: AccountChanges,
    ) -> Result<Account> {
        self.update_account_from(actor, tenant, account, changes, None)
            .await
    }

    /// [`Core::update_account`], recording the client address in the audit trail. Nobody can
    /// lower their own role.
    pub async fn update_account_from(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        mut account: Account,
        changes: AccountChanges,
        ip: Option<&str>,
    ) -> Result<Account> {
        if let Some(role) = changes.role {
            if is_self(actor, &account) && role_rank(role) < role_rank(account.role) {
                return Err(ServiceError::Invalid(
                    "You can't lower your own role. Ask another administrator.".into(),
                ));
            }
        }
        if changes.role == Some(Role::SystemAdmin) && tenant.slug != self.config.raw.default_tenant
        {
            return Err(ServiceError::Invalid(format!(
                "system administrators belong to the default tenant `{}`",
                self.config.raw.default_tenant
            )));
        }
        let mut changed = Vec::new();
        if let Some(d) = changes.display_name {
            account.display_name = d.as_str().to_owned();
            changed.push("display_name");
        }
        if let Some(e) = changes.email {
            account.email = e.map(|e| e.as_str().to_owned());
            changed.push("email");
        }
        if let Some(e) = changes.reset_email {
            account.reset_email = e.map(|e| e.as_str().to_owned());
            changed.push("reset_email");
        }
        if let Some(r) = changes.role {
            account.role = r;
            changed.push("role");
        }
        store::accounts::update_profile(&self.db, &account, self.now()).await?;
        if changed.contains(&"reset_email") || changed.contains(&"email") {
            // Reset links are bound to the address they went to.
            store::reset::cancel_tokens(&self.db, account.id, self.now()).await?;
        }
        self.audit(AuditEntry {
            tenant_id: Some(tenant.id),
            actor,
            action: "account.updated",
            target: Some(&account.username),
            ip,
            outcome: "success",
            detail: serde_json::json!({ "changed": changed, "role": account.role }),
        })
        .await;
        Ok(account)
    }

    /// Sets a password chosen by an operator (CLI `user set --password-stdin`). Ends all sessions.
    pub async fn admin_set_password(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        account: &Account,
        password: &SecretString,
    ) -> Result<()> {
        let ctx = password_context(
            tenant,
            &account.username,
            &account.display_name,
            account.email.as_deref(),
        );
        let normalized = self.policy(tenant).check(password, &ctx)?;
        let hash = self.hasher.hash(normalized).await?;
        store::accounts::set_password(&self.db, account.id, &hash, false, None, self.now()).await?;
        self.password_changed_notice(tenant, account, None).await;
        self.audit(AuditEntry {
            tenant_id: Some(tenant.id),
            actor,
            action: "password.set_by_admin",
            target: Some(&account.username),
            ip: None,
            outcome: "success",
            detail: serde_json::json!({}),
        })
        .await;
        Ok(())
    }

    /// Enables or disables an account. Disabling ends every session at once.
    pub async fn set_account_status(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        account: &Account,
        status: AccountStatus,
    ) -> Result<()> {
        self.set_account_status_from(actor, tenant, account, status, None)
            .await
    }

    /// [`Core::set_account_status`], recording the client address. Nobody can disable their
    /// own account.
    pub async fn set_account_status_from(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        account: &Account,
        status: AccountStatus,
        ip: Option<&str>,
    ) -> Result<()> {
        if status == AccountStatus::Disabled && is_self(actor, account) {
            return Err(ServiceError::Invalid(
                "You can't disable your own account.".into(),
            ));
        }
        store::accounts::set_status(&self.db, account.id, status, self.now()).await?;
        self.audit(AuditEntry {
            tenant_id: Some(tenant.id),
            actor,
            action: if status == AccountStatus::Disabled {
                "account.disabled"
            } else {
                "account.enabled"
            },
            target: Some(&account.username),
            ip,
            outcome: "success",
            detail: serde_json::json!({}),
        })
        .await;
        Ok(())
    }
}
