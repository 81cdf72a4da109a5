//! A tenant's own mail templates (`mail_templates`): at most one per (kind, language). A row
//! overrides the built-in template; deleting it goes back to the built-in one. Rows are stored
//! as written and validated by the service before they get here.

use serde::Serialize;

use super::sql;
use super::{Db, Result};
use crate::clock::Timestamp;
use crate::domain::Language;
use crate::mail::templates::{MailKind, TemplateSource};

/// One stored override, with who changed it last and when.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredTemplate {
    pub tenant_id: i64,
    pub kind: String,
    pub language: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub updated_at: Timestamp,
    pub updated_by: String,
}

impl StoredTemplate {
    pub fn source(&self) -> TemplateSource {
        TemplateSource {
            subject: self.subject.clone(),
            text: self.text_body.clone(),
            html: self.html_body.clone(),
        }
    }
}

const COLUMNS: &str =
    "tenant_id, kind, language, subject, text_body, html_body, updated_at, updated_by";

/// The stored override for `kind` in `lang`, with its metadata.
pub async fn get_stored(
    db: &Db,
    tenant_id: i64,
    kind: MailKind,
    lang: Language,
) -> Result<Option<StoredTemplate>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mail_templates WHERE tenant_id = $1 AND kind = $2 AND language = $3"
    );
    sql::fetch_optional(&db.read, &sql, (tenant_id, kind.as_str(), lang.as_str())).await
}

/// The tenant's template for `kind` in `lang`, if it has its own.
pub async fn get(
    db: &Db,
    tenant_id: i64,
    kind: MailKind,
    lang: Language,
) -> Result<Option<TemplateSource>> {
    Ok(get_stored(db, tenant_id, kind, lang)
        .await?
        .map(|t| t.source()))
}

/// Stores (inserts or replaces) the tenant's template for `kind` in `lang`.
pub async fn put(
    db: &Db,
    tenant_id: i64,
    kind: MailKind,
    lang: Language,
    src: &TemplateSource,
    updated_by: &str,
    now: Timestamp,
) -> Result<()> {
    sql::execute(
        &db.write,
        "INSERT INTO mail_templates (tenant_id, kind, language, subject, text_body, html_body, updated_at, updated_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (tenant_id, kind, language) DO UPDATE SET subject = excluded.subject, \
         text_body = excluded.text_body, html_body = excluded.html_body, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        (
            tenant_id,
            kind.as_str(),
            lang.as_str(),
            &src.subject,
            &src.text,
            &src.html,
            now,
            updated_by,
        ),
    )
    .await?;
    Ok(())
}

/// Removes the tenant's template for `kind` in `lang` (back to the built-in one). Returns
/// whether there was one.
pub async fn delete(db: &Db, tenant_id: i64, kind: MailKind, lang: Language) -> Result<bool> {
    let done = sql::execute(
        &db.write,
        "DELETE FROM mail_templates WHERE tenant_id = $1 AND kind = $2 AND language = $3",
        (tenant_id, kind.as_str(), lang.as_str()),
    )
    .await?;
    Ok(done > 0)
}

/// Every override the tenant has, by kind and language.
pub async fn list_for_tenant(db: &Db, tenant_id: i64) -> Result<Vec<StoredTemplate>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM mail_templates WHERE tenant_id = $1 ORDER BY kind, language"
    );
    sql::fetch_all(&db.read, &sql, (tenant_id,)).await
}
