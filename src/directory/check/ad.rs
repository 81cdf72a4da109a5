//! The check's Active Directory steps: recognise the domain controller (rootDSE), show the
//! domain's password policy, and find out — without changing anything — whether the service
//! account may reset passwords (`unicodePwd`), force a change (`pwdLastSet`) and unlock
//! (`lockoutTime`).

use std::collections::HashSet;

use ldap3::{Mod, Scope, SearchEntry};

use super::{failure, reply_of, Outcome};
use crate::directory::client::ad::{self, DomainPolicy, AD_CAPABILITY};
use crate::directory::client::{op_error, server_text, values, Conn};
use crate::directory::settings::{ResolvedDirectory, Security};

/// What the rootDSE says about the server.
pub(super) struct RootDse {
    pub is_ad: bool,
    pub host: Option<String>,
    pub forest_level: Option<String>,
    pub naming_context: Option<String>,
}

fn first(e: &SearchEntry, attr: &str) -> Option<String> {
    values(e, attr).next().cloned()
}

/// Reads the rootDSE: Active Directory lists its capability OID in `supportedCapabilities`
/// and has `forestFunctionality` and `isGlobalCatalogReady`.
pub(super) async fn root_dse(conn: &mut Conn) -> Result<RootDse, crate::directory::DirectoryError> {
    let res = conn
        .root_dse(vec![
            "supportedCapabilities",
            "forestFunctionality",
            "isGlobalCatalogReady",
            "dnsHostName",
            "defaultNamingContext",
        ])
        .await
        .map_err(op_error)?;
    let entry = res.0.into_iter().next().map(SearchEntry::construct);
    let Some(e) = entry else {
        return Ok(RootDse {
            is_ad: false,
            host: None,
            forest_level: None,
            naming_context: None,
        });
    };
    let capable = values(&e, "supportedCapabilities").any(|v| v == AD_CAPABILITY);
    let forest_level = first(&e, "forestFunctionality");
    Ok(RootDse {
        is_ad: capable || (forest_level.is_some() && first(&e, "isGlobalCatalogReady").is_some()),
        host: first(&e, "dnsHostName"),
        forest_level,
        naming_context: first(&e, "defaultNamingContext"),
    })
}

/// Windows Server names of the forest functional levels.
fn level_name(level: &str) -> &'static str {
    match level.trim() {
        "0" => "2000",
        "1" => "2003 interim",
        "2" => "2003",
        "3" => "2008",
        "4" => "2008 R2",
        "5" => "2012",
        "6" => "2012 R2",
        "7" => "2016",
        "10" => "2025",
        _ => "unknown",
    }
}

/// "Directory type" for a directory set up as Active Directory.
pub(super) async fn recognise(conn: &mut Conn, dir: &ResolvedDirectory) -> Outcome<()> {
    let root = root_dse(conn)
        .await
        .map_err(|e| failure(&e, dir, "rootdse"))?;
    if !root.is_ad {
        return Err((
            "the rootDSE does not list the Active Directory capability (1.2.840.113556.1.4.800) in supportedCapabilities".into(),
            Some("This server does not look like Active Directory: choose the directory type OpenLDAP, or check the URL.".into()),
        ));
    }
    let mut reply = format!(
        "Active Directory domain controller {}",
        root.host.as_deref().unwrap_or("(no dnsHostName)")
    );
    if let Some(l) = &root.forest_level {
        reply.push_str(&format!(
            ", forest functional level {l} (Windows Server {})",
            level_name(l)
        ));
    }
    if let Some(nc) = &root.naming_context {
        reply.push_str(&format!(", domain {nc}"));
    }
    Ok(((), reply))
}

/// "Domain password policy": the domain object's rules, as new passwords will be checked.
pub(super) async fn policy(conn: &mut Conn, dir: &ResolvedDirectory) -> Outcome<DomainPolicy> {
    match ad::domain_policy(conn).await {
        Some(p) => {
            let reply = p.describe();
            Ok((p, reply))
        }
        None => Err((
            "the domain object's password policy could not be read".into(),
            Some(format!(
                "The service account `{}` may need read access to the domain object (Authenticated Users have it by default).",
                dir.settings.bind_dn.trim()
            )),
        )),
    }
}

/// Active Directory's own hint for a result, where it says more than the generic one: the
/// service account's bind sub-code, rights named as Active Directory names them.
pub(super) fn hint(code: u32, text: &str, dir: &ResolvedDirectory, step: &str) -> Option<String> {
    let bind_dn = dir.settings.bind_dn.trim();
    Some(match (code, step) {
        (49, "bind") => match ad::bind_subcode(text) {
            Some(0x775) => format!("The service account `{bind_dn}` is locked out after wrong passwords: wait for the domain's lockout duration or unlock it, and check the password stored here."),
            Some(0x532 | 0x773) => format!("The service account's password has expired or must be changed: set a new one for `{bind_dn}` (and here), or mark it \"password never expires\"."),
            Some(0x533 | 0x701) => format!("The service account `{bind_dn}` is disabled or expired in the domain: enable it."),
            Some(0x530 | 0x531) => format!("The service account `{bind_dn}` may not sign in at this time or from this machine (logon hours, workstations)."),
            _ => format!("Wrong bind DN or password: give the service account as its full DN (`CN=…,OU=…,DC=…`) or as user@domain (now `{bind_dn}`), and check its password."),
        },
        (8 | 13, _) => "Active Directory accepts simple binds and new passwords only over an encrypted connection: use security starttls (port 389) or ldaps (port 636).".into(),
        (50, _) => format!("The service account `{bind_dn}` lacks the rights for this: it needs read access to the people's OU and, to change passwords, the Reset Password right (Delegate Control…)."),
        (4 | 11, "find") => "Active Directory stops unpaged searches at 1000 entries and pages at most 1000 per page: keep the page size at 1000 or less.".into(),
        _ => return None,
    })
}

/// Hints every Active Directory check gives, whatever passed.
pub(super) fn encryption_hint(dir: &ResolvedDirectory) -> Option<String> {
    (dir.settings.security == Security::None).then(|| {
        "Active Directory takes new passwords (unicodePwd) only over an encrypted connection, and refuses simple binds without one: use security starttls (port 389) or ldaps (port 636).".into()
    })
}

/// "May reset passwords" for Active Directory, changing nothing: a `unicodePwd` replace with a
/// value that can't be a password (one byte) is refused after the access check — "insufficient
/// access" (50) means the service account lacks the Reset Password right; a refusal of the
/// value (53, 19) means it has it. `allowedAttributesEffective` says whether it may write
/// `pwdLastSet` (temporary passwords) and `lockoutTime` (unlock).
/// Passes with a hint when only `pwdLastSet` or `lockoutTime` may not be written.
pub(super) async fn may_write(
    conn: &mut Conn,
    dir: &ResolvedDirectory,
    target: Option<String>,
) -> Outcome<Option<String>> {
    let bind_dn = dir.settings.bind_dn.trim();
    if let Some(h) = encryption_hint(dir) {
        // Without encryption the domain refuses any unicodePwd write: the probe would say nothing.
        return Err((
            "not checked: unicodePwd can only be written over an encrypted connection".into(),
            Some(h),
        ));
    }
    let Some(dn) = target else {
        return Ok((
            None,
            "Not verified: no person was found to probe (enter a username to look up).".into(),
        ));
    };
    let probe: Vec<Mod<Vec<u8>>> = vec![Mod::Replace(
        b"unicodePwd".to_vec(),
        HashSet::from([b"x".to_vec()]),
    )];
    let res = conn
        .op()
        .modify(&dn, probe)
        .await
        .map_err(|e| failure(&op_error(e), dir, "write"))?;
    match res.rc {
        50 => {
            return Err((
                format!(
                    "{} — the service account may not reset the password of {dn}",
                    reply_of(50, &server_text(&res))
                ),
                Some(format!(
                    "The service account lacks the Reset Password right on this OU: delegate \"Reset password\" (and write access to pwdLastSet and lockoutTime) on the people's OU to `{bind_dn}` (Active Directory Users and Computers: Delegate Control…)."
                )),
            ))
        }
        // The probe value itself was accepted: nothing sensible can be said.
        0 => {
            return Err((
                format!("the probe on {dn} was accepted; the password of {dn} must be reset"),
                Some("This server does not behave like Active Directory for unicodePwd.".into()),
            ))
        }
        _ => {}
    }
    let allowed = allowed_attributes(conn, &dn).await;
    let may = |a: &str| allowed.iter().any(|x| x.eq_ignore_ascii_case(a));
    let mut reply = format!(
        "the service account may reset the password of {dn} (probe: a unicodePwd value that can't be a password was refused after the access check: {}; nothing was changed)",
        reply_of(res.rc, &server_text(&res))
    );
    let mut missing = Vec::new();
    for (attr, what) in [
        (
            "pwdLastSet",
            "temporary passwords (must change at next logon)",
        ),
        ("lockoutTime", "unlock on reset"),
    ] {
        if may(attr) {
            reply.push_str(&format!("; may write {attr} ({what})"));
        } else {
            reply.push_str(&format!("; may NOT write {attr} ({what})"));
            missing.push(attr);
        }
    }
    let hint = (!missing.is_empty()).then(|| {
        format!(
            "Grant `{bind_dn}` write access to {} on the people's OU (Delegate Control…, or samba-tool dsacl), or temporary passwords and unlocking will fail.",
            missing.join(" and ")
        )
    });
    Ok((hint, reply))
}

/// The attributes the bound account may write on `dn` (`allowedAttributesEffective`).
async fn allowed_attributes(conn: &mut Conn, dn: &str) -> Vec<String> {
    let Ok(res) = conn
        .op()
        .search(
            dn,
            Scope::Base,
            "(objectClass=*)",
            vec!["allowedAttributesEffective"],
        )
        .await
    else {
        return Vec::new();
    };
    res.0
        .into_iter()
        .next()
        .map(|e| {
            values(&SearchEntry::construct(e), "allowedAttributesEffective")
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}
