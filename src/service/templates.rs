//! A tenant's own mail templates: tenant administrators override the subject, text and HTML of
//! each mail kind per language, preview them with sample data, and send themselves a test.
//! Every template is checked by [`templates::validate`] before it is saved; previews and test
//! mails never contain a real secret (the secret variables show [`MASK`]).

use secrecy::SecretString;
use serde::Serialize;
use serde_json::{json, Value};

use super::{Actor, AuditEntry, Core, NewMail, Result, ServiceError};
use crate::clock::Timestamp;
use crate::domain::{EmailAddress, Language};
use crate::i18n::Msg;
use crate::mail::templates::{self, Fill, MailKind, Rendered, TemplateSource, MASK};
use crate::store::{self, Account, Tenant};

/// Test mails one administrator may send per hour.
const TESTS_PER_HOUR: i64 = 20;

/// The template a tenant's mail of one kind and language is sent with.
#[derive(Debug, Clone, Serialize)]
pub struct EffectiveTemplate {
    pub kind: MailKind,
    pub language: Language,
    pub source: TemplateSource,
    /// The tenant's own template rather than the built-in one.
    pub customised: bool,
    pub updated_at: Option<Timestamp>,
    pub updated_by: Option<String>,
}

/// The languages templates exist in.
pub const TEMPLATE_LANGUAGES: [Language; 2] = [Language::En, Language::De];

fn editable(kind: MailKind) -> Result<()> {
    if kind.editable() {
        Ok(())
    } else {
        Err(ServiceError::NotFound(
            Msg::new("console-template-not-editable")
                .arg("kind", kind.as_str())
                .into(),
        ))
    }
}

/// Browsers send text areas with CRLF line ends; templates are stored with LF.
fn normalise(src: &TemplateSource) -> TemplateSource {
    let lf = |s: &str| s.replace("\r\n", "\n").replace('\r', "\n");
    TemplateSource {
        subject: src.subject.trim().to_owned(),
        text: lf(&src.text),
        html: lf(&src.html),
    }
}

fn checked(kind: MailKind, src: &TemplateSource) -> Result<TemplateSource> {
    editable(kind)?;
    let src = normalise(src);
    templates::validate(kind, &src).map_err(|e| ServiceError::Invalid(e.text().into()))?;
    Ok(src)
}

impl Core {
    /// The template mail of `kind` in `lang` is sent with for `tenant`.
    pub async fn effective_template(
        &self,
        tenant: &Tenant,
        kind: MailKind,
        lang: Language,
    ) -> Result<EffectiveTemplate> {
        editable(kind)?;
        let stored = store::templates::get_stored(&self.db, tenant.id, kind, lang).await?;
        Ok(match stored {
            Some(t) => EffectiveTemplate {
                kind,
                language: lang,
                source: t.source(),
                customised: true,
                updated_at: Some(t.updated_at),
                updated_by: Some(t.updated_by),
            },
            None => EffectiveTemplate {
                kind,
                language: lang,
                source: templates::builtin(kind, lang).clone(),
                customised: false,
                updated_at: None,
                updated_by: None,
            },
        })
    }

    /// Every editable kind in every language, built-in or customised.
    pub async fn template_overview(&self, tenant: &Tenant) -> Result<Vec<EffectiveTemplate>> {
        let stored = store::templates::list_for_tenant(&self.db, tenant.id).await?;
        let mut all = Vec::new();
        for kind in MailKind::ALL.into_iter().filter(|k| k.editable()) {
            for lang in TEMPLATE_LANGUAGES {
                let own = stored
                    .iter()
                    .find(|t| t.kind == kind.as_str() && t.language == lang.as_str());
                all.push(EffectiveTemplate {
                    kind,
                    language: lang,
                    source: own
                        .map(|t| t.source())
                        .unwrap_or_else(|| templates::builtin(kind, lang).clone()),
                    customised: own.is_some(),
                    updated_at: own.map(|t| t.updated_at),
                    updated_by: own.map(|t| t.updated_by.clone()),
                });
            }
        }
        Ok(all)
    }

    /// Saves the tenant's own template for `kind` in `lang`, after checking it.
    pub async fn save_template(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        kind: MailKind,
        lang: Language,
        src: &TemplateSource,
        ip: Option<&str>,
    ) -> Result<()> {
        let src = checked(kind, src)?;
        store::templates::put(
            &self.db,
            tenant.id,
            kind,
            lang,
            &src,
            &actor.label(),
            self.now(),
        )
        .await?;
        self.audit_template(actor, tenant, "template.saved", kind, lang, ip)
            .await;
        Ok(())
    }

    /// Goes back to the built-in template for `kind` in `lang`.
    pub async fn reset_template(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        kind: MailKind,
        lang: Language,
        ip: Option<&str>,
    ) -> Result<()> {
        editable(kind)?;
        if store::templates::delete(&self.db, tenant.id, kind, lang).await? {
            self.audit_template(actor, tenant, "template.reset", kind, lang, ip)
                .await;
        }
        Ok(())
    }

    /// `src` rendered with sample data, after checking it; secrets show as [`MASK`].
    pub fn preview_template(&self, kind: MailKind, src: &TemplateSource) -> Result<Rendered> {
        let src = checked(kind, src)?;
        templates::render_mail(kind, &src, &templates::sample_data(kind), Fill::Masked)
            .map_err(|e| ServiceError::Invalid(e.text().into()))
    }

    /// Queues `src` (checked first) as a test mail to the administrator's own address (their
    /// reset address, else their primary one), with sample data. The secret variables carry
    /// [`MASK`]: a test never creates a real token or password. Returns the task id and the
    /// address.
    #[allow(clippy::too_many_arguments)]
    pub async fn send_template_test(
        &self,
        actor: &Actor,
        admin: &Account,
        tenant: &Tenant,
        kind: MailKind,
        lang: Language,
        src: &TemplateSource,
        ip: Option<&str>,
    ) -> Result<(i64, String)> {
        let src = checked(kind, src)?;
        let address = admin
            .reset_email
            .as_deref()
            .or(admin.email.as_deref())
            .filter(|a| !a.trim().is_empty())
            .ok_or_else(|| ServiceError::Invalid(Msg::new("console-template-no-address").into()))?;
        let to = EmailAddress::parse(address)?;
        let refusal = Msg::new("console-template-tests-per-hour").arg("max", TESTS_PER_HOUR);
        self.hourly_quota(
            &format!("template-test:{}", admin.id),
            TESTS_PER_HOUR,
            refusal,
        )
        .await?;
        // The kind's own sample values; the common ones (name, tenant, links) are the real ones.
        let mut data = templates::sample_data(kind);
        if let Some(obj) = data.as_object_mut() {
            for key in [
                "name",
                "tenant_name",
                "login_link",
                "forgot_link",
                "support",
            ]
            .iter()
            .chain(kind.secret_variables())
            {
                obj.remove(*key);
            }
            obj.insert("username".into(), Value::String(admin.username.clone()));
        }
        let secret = (!kind.secret_variables().is_empty()).then(|| SecretString::from(MASK));
        let created_by = actor.label();
        let id = self
            .enqueue_mail(NewMail {
                tenant: Some(tenant),
                account_id: None,
                kind,
                to: &to,
                to_name: admin.name(),
                language: lang,
                data,
                secret,
                scheduled_at: None,
                campaign_id: None,
                created_by: &created_by,
                template: Some(src),
            })
            .await?;
        self.audit_template(actor, tenant, "template.test_sent", kind, lang, ip)
            .await;
        Ok((id, to.as_str().to_owned()))
    }

    async fn audit_template(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        action: &str,
        kind: MailKind,
        lang: Language,
        ip: Option<&str>,
    ) {
        self.audit(AuditEntry {
            tenant_id: Some(tenant.id),
            actor,
            action,
            target: None,
            ip,
            outcome: "success",
            detail: json!({ "kind": kind.as_str(), "language": lang.as_str() }),
        })
        .await;
    }
}
