//! Reading what a command is given: passwords on standard input, days, tenants.

use std::io::BufRead;

use secrecy::SecretString;

use crate::service::{Core, Tenant};

pub(super) fn read_password_stdin() -> anyhow::Result<SecretString> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let pw = line.strip_suffix('\n').unwrap_or(&line);
    let pw = pw.strip_suffix('\r').unwrap_or(pw);
    if pw.is_empty() {
        anyhow::bail!("--password-stdin: no password on standard input (pipe it in, e.g. `printf '%s' \"$PW\" | latchkey …`)");
    }
    Ok(SecretString::from(pw.to_owned()))
}

/// All of standard input as one secret (a PEM key, a JSON key file, or an `env:`/`file:`
/// reference), trimmed.
pub(super) fn read_secret_stdin(flag: &str) -> anyhow::Result<SecretString> {
    use std::io::Read;
    let mut all = String::new();
    std::io::stdin().lock().read_to_string(&mut all)?;
    let all = all.trim();
    if all.is_empty() {
        anyhow::bail!(
            "{flag}: nothing on standard input (pipe it in, e.g. `latchkey … {flag} < key.json`)"
        );
    }
    Ok(SecretString::from(all.to_owned()))
}

/// A `YYYY-MM-DD` day (UTC) as its first second, or with `end` its last one.
pub(super) fn parse_day(flag: &str, raw: Option<&str>, end: bool) -> anyhow::Result<Option<i64>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(raw, &format).map_err(|_| {
        anyhow::anyhow!(
            "{flag}: `{}` is not a date like 2026-11-22",
            raw.escape_debug()
        )
    })?;
    let start = day.midnight().assume_utc().unix_timestamp();
    Ok(Some(if end { start + 86_399 } else { start }))
}

/// `--tenant SLUG` as the tenant, or `None` for "any tenant".
pub(super) async fn optional_tenant(
    core: &Core,
    slug: Option<&str>,
) -> anyhow::Result<Option<Tenant>> {
    Ok(match slug {
        Some(s) => Some(core.tenant(s).await?),
        None => None,
    })
}

/// The tenant's slug for a task or log row, "-" for system mail (no tenant).
pub(super) async fn tenant_slug(core: &Core, id: Option<i64>) -> anyhow::Result<String> {
    Ok(match id {
        Some(id) => match core.tenant_by_id(id).await? {
            Some(t) => t.slug,
            None => format!("#{id} (deleted)"),
        },
        None => "-".into(),
    })
}

/// `--ca-file FILE` as the PEM it holds; an empty path (`--ca-file ""`) removes the CA.
pub(super) fn read_ca_file(path: &std::path::Path) -> anyhow::Result<String> {
    if path.as_os_str().is_empty() {
        return Ok(String::new());
    }
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("--ca-file {}: {e}", path.display()))
}

/// The password read from standard input when `wanted` (`--password-stdin` and kin).
pub(super) fn password_if(wanted: bool) -> anyhow::Result<Option<secrecy::SecretString>> {
    wanted.then(read_password_stdin).transpose()
}
