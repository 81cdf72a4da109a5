//! Security notices about an account (its password or reset address changed): one mail to
//! each distinct address, in the person's language and time zone.

use serde_json::Value;

use super::NewMail;
use crate::domain::EmailAddress;
use crate::mail::templates::MailKind;
use crate::service::{Core, Result};
use crate::store::{self, Tenant};

use super::PreparedMail;

impl Core {
    /// Sends a security notice about `account` to each distinct address in `to`.
    pub async fn notify_account(
        &self,
        tenant: &Tenant,
        account: &crate::store::Account,
        kind: MailKind,
        data: Value,
        to: &[Option<&str>],
    ) -> Result<()> {
        let notices = self
            .prepare_notices(tenant, account, kind, data, to)
            .await?;
        if !notices.is_empty() {
            // All of them or none, in one statement.
            let tasks: Vec<_> = notices.iter().map(PreparedMail::task).collect();
            store::mail::enqueue_many(&self.db, &tasks, self.now()).await?;
            self.wake_workers().await;
        }
        Ok(())
    }

    /// The mails of [`Core::notify_account`], ready to be written (in the caller's transaction).
    pub(crate) async fn prepare_notices(
        &self,
        tenant: &Tenant,
        account: &crate::store::Account,
        kind: MailKind,
        data: Value,
        to: &[Option<&str>],
    ) -> Result<Vec<PreparedMail>> {
        let mut prepared = Vec::new();
        let mut sent: Vec<String> = Vec::new();
        for address in to.iter().flatten() {
            let Ok(addr) = EmailAddress::parse(address) else {
                continue;
            };
            if sent.iter().any(|s| s.eq_ignore_ascii_case(addr.as_str())) {
                continue;
            }
            // "The reset address changed" goes to the old address. When the last mail there
            // bounced (the usual reason to change it: a mistyped address), nobody reads it, and
            // a mistyped address may belong to a stranger once it exists.
            if kind == MailKind::ResetEmailChanged
                && store::mail::last_attempt_bounced(&self.db, account.id, addr.as_str()).await?
            {
                tracing::info!(
                    tenant = %tenant.slug,
                    account = %account.username,
                    "no reset-address notice to the old address: its last mail bounced"
                );
                continue;
            }
            let language = mail_language(tenant, account);
            let mut d = data.clone();
            if let Some(o) = d.as_object_mut() {
                o.insert("username".into(), Value::String(account.username.clone()));
                // A reset address removed (`null`): said so in the person's language.
                if o.get("new_address") == Some(&Value::Null) {
                    o.insert(
                        "new_address".into(),
                        Value::String(crate::i18n::tr(language, "mail-address-removed")),
                    );
                }
                // When it happened, in the person's language and time zone.
                o.insert(
                    "changed_at".into(),
                    Value::String(crate::domain::local_time::format_for(
                        self.now(),
                        mail_zone(tenant, account),
                        language,
                    )),
                );
            }
            prepared.push(
                self.prepare_mail(NewMail {
                    tenant: Some(tenant),
                    account_id: Some(account.id),
                    kind,
                    to: &addr,
                    to_name: account.name(),
                    language,
                    data: d,
                    secret: None,
                    scheduled_at: None,
                    campaign_id: None,
                    created_by: "system",
                    template: None,
                })
                .await?,
            );
            sent.push(addr.as_str().to_owned());
        }
        Ok(prepared)
    }
}

/// The language of mail to a person: their own choice, else their organisation's.
pub(in crate::service) fn mail_language(
    tenant: &Tenant,
    account: &crate::store::Account,
) -> crate::domain::Language {
    account.language.unwrap_or(tenant.settings.default_language)
}

/// The time zone of times in mail to a person: their own, else their organisation's.
fn mail_zone<'a>(tenant: &'a Tenant, account: &'a crate::store::Account) -> &'a str {
    account
        .time_zone
        .as_ref()
        .unwrap_or(&tenant.settings.time_zone)
        .as_str()
}
