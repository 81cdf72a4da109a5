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
use crate::i18n::{Msg, Text};

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
            Msg::new("dir-reply-not-ad")
                .arg("oid", AD_CAPABILITY)
                .into(),
            Some(Msg::new("dir-hint-not-ad").into()),
        ));
    }
    // What the rootDSE didn't say is left out.
    let host: Text = match root.host {
        Some(h) => h.into(),
        None => Msg::new("dir-reply-ad-no-host").into(),
    };
    let level: Text = match &root.forest_level {
        Some(l) => Msg::new("dir-reply-ad-level")
            .arg("level", l.as_str())
            .arg("windows", level_name(l))
            .into(),
        None => "".into(),
    };
    let domain: Text = match &root.naming_context {
        Some(nc) => Msg::new("dir-reply-ad-domain")
            .arg("dn", nc.as_str())
            .into(),
        None => "".into(),
    };
    let reply = Msg::new("dir-reply-ad")
        .arg("host", host)
        .arg("level", level)
        .arg("domain", domain);
    Ok(((), reply.into()))
}

/// "Domain password policy": the domain object's rules, as new passwords will be checked.
pub(super) async fn policy(conn: &mut Conn, dir: &ResolvedDirectory) -> Outcome<DomainPolicy> {
    match ad::domain_policy(conn).await {
        Some(p) => {
            // The policy's rules as a message (the JSON for the API and CLI gives it in English).
            let reply = p.describe_msg();
            Ok((p, reply.into()))
        }
        None => Err((
            Msg::new("dir-reply-no-policy").into(),
            Some(
                Msg::new("dir-hint-policy")
                    .arg("dn", dir.settings.bind_dn.trim())
                    .into(),
            ),
        )),
    }
}

/// Active Directory's own hint for a result, where it says more than the generic one: the
/// service account's bind sub-code, rights named as Active Directory names them.
pub(super) fn hint(code: u32, text: &str, dir: &ResolvedDirectory, step: &str) -> Option<Msg> {
    let id = match (code, step) {
        (49, "bind") => match ad::bind_subcode(text) {
            Some(0x775) => "dir-hint-ad-locked",
            Some(0x532 | 0x773) => "dir-hint-ad-expired-password",
            Some(0x533 | 0x701) => "dir-hint-ad-disabled",
            Some(0x530 | 0x531) => "dir-hint-ad-logon-hours",
            _ => "dir-hint-ad-49",
        },
        (8 | 13, _) => "dir-hint-ad-encryption",
        (50, _) => "dir-hint-ad-50",
        (4 | 11, "find") => "dir-hint-ad-paging",
        _ => return None,
    };
    Some(Msg::new(id).arg("dn", dir.settings.bind_dn.trim()))
}

/// Hints every Active Directory check gives, whatever passed.
pub(super) fn encryption_hint(dir: &ResolvedDirectory) -> Option<Msg> {
    (dir.settings.security == Security::None).then(|| Msg::new("dir-hint-ad-unencrypted"))
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
) -> Outcome<Option<Msg>> {
    let bind_dn = dir.settings.bind_dn.trim();
    if let Some(h) = encryption_hint(dir) {
        // Without encryption the domain refuses any unicodePwd write: the probe would say nothing.
        return Err((Msg::new("dir-reply-ad-unencrypted").into(), Some(h.into())));
    }
    let Some(dn) = target else {
        return Ok((None, Msg::new("dir-reply-ad-no-target").into()));
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
                Msg::new("dir-reply-ad-denied")
                    .arg("reply", reply_of(50, &server_text(&res)))
                    .arg("dn", dn.as_str())
                    .into(),
                Some(
                    Msg::new("dir-hint-ad-reset-right")
                        .arg("dn", bind_dn)
                        .into(),
                ),
            ))
        }
        // The probe value itself was accepted: nothing sensible can be said.
        0 => {
            return Err((
                Msg::new("dir-reply-ad-accepted")
                    .arg("dn", dn.as_str())
                    .into(),
                Some(Msg::new("dir-hint-ad-unlike").into()),
            ))
        }
        _ => {}
    }
    let allowed = allowed_attributes(conn, &dn).await;
    let may = |a: &str| allowed.iter().any(|x| x.eq_ignore_ascii_case(a));
    let yes_no = |a: &str| if may(a) { "yes" } else { "no" };
    let reply = Msg::new("dir-reply-ad-may-reset")
        .arg("dn", dn.as_str())
        .arg("reply", reply_of(res.rc, &server_text(&res)))
        .arg("pwdlastset", yes_no("pwdLastSet"))
        .arg("lockouttime", yes_no("lockoutTime"));
    let missing: Vec<&str> = ["pwdLastSet", "lockoutTime"]
        .into_iter()
        .filter(|a| !may(a))
        .collect();
    let hint = (!missing.is_empty()).then(|| {
        Msg::new("dir-hint-ad-grant").arg("dn", bind_dn).arg(
            "missing",
            if missing.len() == 2 {
                "both"
            } else {
                missing[0]
            },
        )
    });
    Ok((hint, reply.into()))
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
