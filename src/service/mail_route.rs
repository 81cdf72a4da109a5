//! Whose mail server and templates carry a mail: the one rule that keeps administrators of a
//! tenant away from the mail of accounts they may not manage (SECURITY.md "Boundaries between
//! administrators").
//!
//! System administrators live in the default tenant, whose tenant administrators may give it
//! its own SMTP server and mail templates. Those must never carry a system administrator's
//! reset link, temporary password or security notice: whoever runs that server or writes that
//! template would read the link or hide the notice. So mail to a system administrator — every
//! kind, decided by the recipient's account when the mail is rendered and sent, not by who
//! asked for it — goes through the system's server (or `LATCHKEY_SMTP_*`) with the built-in
//! templates, whatever the tenant has configured. Everyone else's mail follows their tenant's
//! settings, set by people who may manage them.
//!
//! Tenant administrators of the default tenant may still set its SMTP server and templates;
//! they apply to everyone in it but the system administrators.

use std::collections::HashSet;

use super::{Core, Result};
use crate::store;

/// The route of one mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MailRoute {
    /// The tenant's own server and templates where it has them, else the system's.
    Tenant,
    /// The system's server and the built-in templates only.
    System,
}

impl MailRoute {
    /// The rule, given the recipient's account (if the mail is for one) and the ids of the system
    /// administrators' accounts.
    pub(crate) fn for_recipient(account_id: Option<i64>, system_admins: &HashSet<i64>) -> Self {
        match account_id {
            Some(id) if system_admins.contains(&id) => MailRoute::System,
            _ => MailRoute::Tenant,
        }
    }
}

impl Core {
    /// The ids of the system administrators' accounts, for [`MailRoute::for_recipient`].
    pub(crate) async fn system_admin_ids(&self) -> Result<HashSet<i64>> {
        Ok(store::accounts::system_admin_ids(&self.db)
            .await?
            .into_iter()
            .collect())
    }

    /// The route of a mail to `account_id`.
    pub(crate) async fn mail_route(&self, account_id: Option<i64>) -> Result<MailRoute> {
        if account_id.is_none() {
            return Ok(MailRoute::Tenant);
        }
        Ok(MailRoute::for_recipient(
            account_id,
            &self.system_admin_ids().await?,
        ))
    }
}
