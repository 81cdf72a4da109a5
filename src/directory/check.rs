//! "Check directory connection": runs the real client step by step (connect, TLS, bind as the
//! service account, read the base, count people, look one up, may it change passwords) and
//! reports each step with the server's answer, timing and a hint, stopping at the first failure.

use std::collections::HashSet;
use std::future::Future;
use std::time::Instant;

use ldap3::{Mod, Scope, SearchEntry};
use serde::Serialize;

use super::client::{
    check_settings, checked_url, host_port, identifier_entries, paged_search, people, read_group,
    result_name, server_text, values, Conn, DirectoryError, Person,
};
use super::settings::{ResolvedDirectory, Security};
use super::DomainPolicy;

mod ad;

#[derive(Debug, Clone, Serialize)]
pub struct CheckStep {
    pub label: &'static str,
    pub ok: bool,
    /// The server's answer (result code and text), or what went wrong locally.
    pub reply: String,
    pub hint: Option<String>,
    pub millis: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub steps: Vec<CheckStep>,
    pub summary: String,
    /// How many entries the filter matched under the base (when that step ran).
    pub people: Option<usize>,
    /// The looked-up person with their mapped attributes (when one was asked for and found).
    pub person: Option<Person>,
    /// Active Directory: the domain's password policy (when it was read).
    pub domain_policy: Option<DomainPolicy>,
}

/// The Password Modify extended operation (RFC 3062) in the rootDSE's `supportedExtension`.
const PASSWORD_MODIFY_OID: &str = "1.3.6.1.4.1.4203.1.11.1";

/// What a step found: the reply, or the reply and a hint when it failed.
type Outcome<T> = Result<(T, String), (String, Option<String>)>;

struct Run<'a> {
    dir: &'a ResolvedDirectory,
    steps: Vec<CheckStep>,
}

impl Run<'_> {
    async fn step<T>(
        &mut self,
        label: &'static str,
        work: impl Future<Output = Outcome<T>>,
    ) -> Option<T> {
        let started = Instant::now();
        let outcome = work.await;
        let millis = started.elapsed().as_millis() as u64;
        match outcome {
            Ok((value, reply)) => {
                self.steps.push(CheckStep {
                    label,
                    ok: true,
                    reply,
                    hint: None,
                    millis,
                });
                Some(value)
            }
            Err((reply, hint)) => {
                self.steps.push(CheckStep {
                    label,
                    ok: false,
                    reply,
                    hint,
                    millis,
                });
                None
            }
        }
    }

    /// Adds a hint to the last step (a warning on a step that passed).
    fn note(&mut self, hint: String) {
        if let Some(s) = self.steps.last_mut() {
            s.hint = Some(hint);
        }
    }
}

/// "result 49 (invalidCredentials): text".
fn reply_of(code: u32, text: &str) -> String {
    format!("result {code} ({}): {text}", result_name(code))
}

/// The reply and hint for a client error during `step`.
fn failure(e: &DirectoryError, dir: &ResolvedDirectory, step: &str) -> (String, Option<String>) {
    let s = &dir.settings;
    match e {
        DirectoryError::ServiceBind { code, text } | DirectoryError::Ldap { code, text } => {
            let hint = if s.is_active_directory() {
                ad::hint(*code, text, dir, step).or_else(|| code_hint(*code, dir, step))
            } else {
                code_hint(*code, dir, step)
            };
            (reply_of(*code, text), hint)
        }
        DirectoryError::Tls(m) => (m.clone(), Some(tls_hint(m, dir))),
        DirectoryError::Unreachable(m) => (
            m.clone(),
            Some(format!(
                "Nothing answered at {}. Check the host name and port, that the directory server runs, and that no firewall is in between.",
                s.url.trim()
            )),
        ),
        DirectoryError::Config(m) => (m.clone(), Some("Correct the directory settings.".into())),
        other => (other.to_string(), None),
    }
}

fn tls_hint(m: &str, dir: &ResolvedDirectory) -> String {
    if m.contains("refused StartTLS") || m.contains("asked for StartTLS") {
        "The server does not offer StartTLS. Use an ldaps:// URL with security ldaps, or enable TLS on the server (OpenLDAP: TLSCertificateFile and TLSCertificateKeyFile).".into()
    } else if m.contains("not trusted") {
        "The server's certificate is not signed by an authority this machine trusts. If the directory uses an internal CA, paste that CA's certificate (PEM) into \"Extra CA certificate\".".into()
    } else if m.contains("host name") {
        "Use the host name (or address) the server's certificate was issued for in the URL.".into()
    } else if m.contains("expired") {
        "The server's certificate has expired; its administrator must renew it.".into()
    } else if dir.settings.security == Security::Ldaps {
        "The port does not seem to speak TLS from the first byte. Port 636 usually does; for port 389 use an ldap:// URL with security starttls.".into()
    } else {
        "The secure connection could not be made; the server's log may say why.".into()
    }
}

fn code_hint(code: u32, dir: &ResolvedDirectory, step: &str) -> Option<String> {
    let s = &dir.settings;
    Some(match code {
        49 => format!(
            "Wrong bind DN or password: check the service account's full DN (now `{}`) and its password.",
            s.bind_dn.trim()
        ),
        32 if step == "base" => format!(
            "No such object: the base DN `{}` does not exist, or the service account may not see it. Check the base DN.",
            s.base_dn.trim()
        ),
        32 if step == "group" => format!(
            "No such object: the admin group `{}` does not exist. Check its DN, or leave it empty to keep roles in Latchkey.",
            s.admin_group_dn.trim()
        ),
        32 => "No such object: check the base DN.".into(),
        87 => format!(
            "Filter syntax error: check the user filter (now `{}`), e.g. (objectClass=inetOrgPerson).",
            s.user_filter.trim()
        ),
        4 => format!(
            "The server's size limit cut the search short. Allow the service account to page past it (OpenLDAP: limits dn.exact=\"{}\" size.prtotal=unlimited), or narrow the base DN or filter.",
            s.bind_dn.trim()
        ),
        11 => "The server's administrative limit stopped the search: ask its administrator to raise it for the service account.".into(),
        3 => "The server's time limit stopped the search: raise it for the service account, or narrow the base DN or filter.".into(),
        13 | 8 => "The server wants an encrypted connection: use security starttls or ldaps.".into(),
        50 => "The service account lacks the rights for this: grant it read access to the people (and write access to userPassword to change passwords).".into(),
        34 => "The DN is not valid LDAP syntax: check the bind DN, base DN and group DN.".into(),
        51 | 52 => "The server is busy or unavailable: try again later.".into(),
        _ => return None,
    })
}

fn describe(p: &Person) -> String {
    format!(
        "{} — username {}, e-mail {}, reset address {}, name {}, stable id {}, {}, {}",
        p.dn,
        p.username,
        p.email.as_deref().unwrap_or("(none)"),
        p.reset_email.as_deref().unwrap_or("(kept in Latchkey)"),
        p.display_name,
        p.stable_id,
        if p.disabled { "disabled" } else { "enabled" },
        if p.is_admin {
            "administrator"
        } else {
            "not an administrator"
        }
    )
}

/// Runs the check. `lookup`: a username or address to look up; `verify_write`: also check that
/// the service account may change passwords (without changing one).
pub async fn run(dir: &ResolvedDirectory, lookup: Option<&str>, verify_write: bool) -> CheckReport {
    let mut run = Run {
        dir,
        steps: Vec::new(),
    };
    let mut found = Found::default();
    let outcome = steps(
        &mut run,
        lookup.map(str::trim).filter(|l| !l.is_empty()),
        verify_write,
        &mut found,
    )
    .await;
    let Found {
        people: people_count,
        person,
        policy,
    } = found;
    let ok = outcome.is_some() && run.steps.iter().all(|s| s.ok);
    let summary = match run.steps.iter().find(|s| !s.ok) {
        Some(failed) => format!("Failed at \"{}\": {}", failed.label, failed.reply),
        None => {
            let mut s = match dir.settings.security {
                Security::None => {
                    "Connection and the service account work, without encryption (security = none)."
                        .to_string()
                }
                _ => "Connection, encryption and the service account work.".to_string(),
            };
            if let Some(n) = people_count {
                s.push_str(&format!(" The filter matches {n} entries."));
            }
            if let Some(p) = &person {
                s.push_str(&format!(" {} was found.", p.username));
            }
            if verify_write {
                s.push_str(if dir.settings.is_active_directory() {
                    " See \"May reset passwords\" for what was verified."
                } else {
                    " See \"May change passwords\" for what was verified."
                });
            } else {
                s.push_str(" Whether the service account may change passwords was not checked.");
            }
            s
        }
    };
    CheckReport {
        ok,
        steps: run.steps,
        summary,
        people: people_count,
        person,
        domain_policy: policy,
    }
}

/// What the steps found on the way.
#[derive(Default)]
struct Found {
    people: Option<usize>,
    person: Option<Person>,
    policy: Option<DomainPolicy>,
}

/// The steps; `None` at the first failure (already recorded).
async fn steps(
    run: &mut Run<'_>,
    lookup: Option<&str>,
    verify_write: bool,
    found: &mut Found,
) -> Option<()> {
    let dir = run.dir;
    let s = &dir.settings;

    // Connect: TCP alone, so a wrong host or port is told apart from TLS trouble.
    run.step("Connect", async {
        let url = checked_url(dir).map_err(|e| failure(&e, dir, "connect"))?;
        let (host, port) = host_port(&url);
        match tokio::time::timeout(
            dir.connect_timeout(),
            tokio::net::TcpStream::connect((host.as_str(), port)),
        )
        .await
        {
            Ok(Ok(_)) => Ok(((), format!("TCP connection to {host}:{port}"))),
            Ok(Err(e)) => {
                let hint = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => format!(
                        "Nothing listens on {host}:{port}: check the port (389 for ldap://, 636 for ldaps://) and that the directory server runs."
                    ),
                    _ => format!(
                        "Check the host name `{host}` (does it resolve from this machine?) and the network path to it."
                    ),
                };
                Err((format!("can't connect to {host}:{port}: {e}"), Some(hint)))
            }
            Err(_) => Err((
                format!(
                    "no connection to {host}:{port} within {} s",
                    dir.connect_timeout().as_secs()
                ),
                Some("A firewall may drop the packets, or the host is down.".into()),
            )),
        }
    })
    .await?;

    // TLS (StartTLS or LDAPS); with security none the connection is just opened.
    let label = match s.security {
        Security::Starttls => "TLS (StartTLS)",
        Security::Ldaps => "TLS (LDAPS)",
        Security::None => "Open connection (no encryption)",
    };
    let mut conn = run
        .step(label, async {
            let conn = Conn::open(dir).await.map_err(|e| failure(&e, dir, "tls"))?;
            let reply = match s.security {
                Security::Starttls => "StartTLS accepted; the server's certificate is trusted",
                Security::Ldaps => "TLS handshake done; the server's certificate is trusted",
                Security::None => {
                    "connected without encryption: passwords cross the network readable"
                }
            };
            Ok((conn, reply.to_string()))
        })
        .await?;
    if s.security == Security::None {
        run.note("Use starttls or ldaps unless the directory is on this machine.".into());
    }

    let result = after_connect(run, &mut conn, lookup, verify_write, found).await;
    conn.close().await;
    result
}

async fn after_connect(
    run: &mut Run<'_>,
    conn: &mut Conn,
    lookup: Option<&str>,
    verify_write: bool,
    found: &mut Found,
) -> Option<()> {
    let dir = run.dir;
    let s = &dir.settings;
    let people_count = &mut found.people;

    run.step("Bind as service account", async {
        conn.bind_service(dir)
            .await
            .map_err(|e| failure(&e, dir, "bind"))?;
        Ok(((), format!("bound as {}", s.bind_dn.trim())))
    })
    .await?;

    if s.is_active_directory() {
        run.step("Directory type", ad::recognise(conn, dir)).await?;
        if let Some(h) = ad::encryption_hint(dir) {
            run.note(h);
        }
        found.policy = Some(
            run.step("Domain password policy", ad::policy(conn, dir))
                .await?,
        );
    } else if ad::root_dse(conn).await.is_ok_and(|r| r.is_ad) {
        run.note("This server is Active Directory: choose the directory type Active Directory (its attributes, nested groups and password writes differ).".into());
    }

    run.step("Read base DN", async {
        let res = conn
            .op()
            .search(
                s.base_dn.trim(),
                Scope::Base,
                "(objectClass=*)",
                vec!["1.1"],
            )
            .await
            .map_err(|e| failure(&super::client::op_error(e), dir, "base"))?;
        if res.1.rc != 0 {
            return Err((
                reply_of(res.1.rc, &server_text(&res.1)),
                code_hint(res.1.rc, dir, "base"),
            ));
        }
        Ok(((), format!("{} exists", s.base_dn.trim())))
    })
    .await?;

    // Count the people (paged, as the sync reads them), keeping one DN for the write probe.
    let mut first_dn: Option<String> = None;
    run.step("Find people", async {
        check_settings(dir).map_err(|e| failure(&e, dir, "find"))?;
        let mut total = 0usize;
        let mut unusable = 0usize;
        paged_search(
            conn,
            dir,
            people::wanted_attributes(&s.mapping),
            |e: SearchEntry| {
                total += 1;
                if people::person_from(&e, &s.mapping, None).is_none() {
                    unusable += 1;
                } else if first_dn.is_none() {
                    first_dn = Some(e.dn.clone());
                }
            },
        )
        .await
        .map_err(|e| {
            let (reply, hint) = failure(&e, dir, "find");
            (format!("{reply} (after {total} entries)"), hint)
        })?;
        let mut reply = format!("{total} entries match {} under {}", s.user_filter.trim(), s.base_dn.trim());
        if unusable > 0 {
            reply.push_str(&format!(
                "; {unusable} of them lack the username ({}) or stable id ({}) attribute and will be left out",
                s.mapping.username, s.mapping.stable_id
            ));
        }
        Ok((total, reply))
    })
    .await
    .map(|n| *people_count = Some(n))?;
    if *people_count == Some(0) {
        run.note("No entry matches: check the base DN and the user filter.".into());
    }

    // The admin group, when one is set.
    let mut admins: Option<HashSet<String>> = None;
    if !s.admin_group_dn.trim().is_empty() {
        admins = Some(
            run.step("Read admin group", async {
                let group = s.admin_group_dn.trim();
                match read_group(conn, group).await {
                    Ok(Some(_)) if s.is_active_directory() => {
                        let members = super::client::ad::nested_members(conn, dir, group)
                            .await
                            .map_err(|e| failure(&e, dir, "group"))?;
                        let n = members.len();
                        Ok((
                            members,
                            format!(
                                "{group} has {n} members under the base DN, nested groups included"
                            ),
                        ))
                    }
                    Ok(Some(members)) => {
                        let n = members.len();
                        Ok((
                            members,
                            format!("{group} has {n} members (member / uniqueMember)"),
                        ))
                    }
                    Ok(None) => Err((reply_of(32, "noSuchObject"), code_hint(32, dir, "group"))),
                    Err(e) => Err(failure(&e, dir, "group")),
                }
            })
            .await?,
        );
    }

    if let Some(identifier) = lookup {
        let label = "Look up person";
        let person = run
            .step(label, async {
                let entries = identifier_entries(conn, dir, identifier)
                    .await
                    .map_err(|e| failure(&e, dir, "lookup"))?;
                match entries.len() {
                    0 => Err((
                        format!("no person has {} or {} equal to `{identifier}`", s.mapping.username, s.mapping.email),
                        Some("Check the spelling, the base DN, the user filter and the username and e-mail attributes.".into()),
                    )),
                    1 => match people::person_from(&entries[0], &s.mapping, admins.as_ref()) {
                        Some(p) => {
                            let reply = describe(&p);
                            Ok((p, reply))
                        }
                        None => Err((
                            format!("{} was found but has no {} or no {} attribute", entries[0].dn, s.mapping.username, s.mapping.stable_id),
                            Some("Check the attribute mapping (username and stable id).".into()),
                        )),
                    },
                    _ => Err((
                        format!("several entries match `{identifier}`"),
                        Some("A sign-in name must match exactly one person: several share this username or address.".into()),
                    )),
                }
            })
            .await?;
        found.person = Some(person);
    }

    if verify_write {
        let target = found.person.as_ref().map(|p| p.dn.clone()).or(first_dn);
        if s.is_active_directory() {
            if let Some(hint) = run
                .step("May reset passwords", ad::may_write(conn, dir, target))
                .await?
            {
                run.note(hint);
            }
        } else {
            run.step("May change passwords", may_write(conn, dir, target))
                .await?;
        }
    }
    Some(())
}

/// Whether the service account may change passwords, without changing one: the rootDSE must
/// offer Password Modify, and deleting a `userPassword` value that isn't there must fail with
/// "no such attribute" (16, the server checked write access first and found nothing to delete)
/// rather than "insufficient access" (50).
async fn may_write(
    conn: &mut Conn,
    dir: &ResolvedDirectory,
    target: Option<String>,
) -> Outcome<()> {
    let res = conn
        .root_dse(vec!["supportedExtension"])
        .await
        .map_err(|e| failure(&super::client::op_error(e), dir, "write"))?;
    let offers = res.0.into_iter().next().is_some_and(|e| {
        values(&SearchEntry::construct(e), "supportedExtension").any(|v| v == PASSWORD_MODIFY_OID)
    });
    if !offers {
        return Err((
            format!("the server's rootDSE does not list Password Modify ({PASSWORD_MODIFY_OID}) in supportedExtension"),
            Some("Latchkey changes passwords with the Password Modify extended operation (RFC 3062); this server does not offer it (or hides its rootDSE).".into()),
        ));
    }
    let Some(dn) = target else {
        return Ok((
            (),
            "Password Modify is offered. Not verified: write access, as no person was found to probe (enter a username to look up).".into(),
        ));
    };
    let probe = format!("latchkey-write-probe-{:032x}", rand::random::<u128>());
    let res = conn
        .op()
        .modify(
            &dn,
            vec![Mod::Delete("userPassword", HashSet::from([probe.as_str()]))],
        )
        .await
        .map_err(|e| failure(&super::client::op_error(e), dir, "write"))?;
    let not_verified = "Not verified: that the password policy accepts a given new password, and write access to pwdReset (temporary passwords need it).";
    match res.rc {
        16 => Ok((
            (),
            format!(
                "Password Modify is offered, and the service account may write userPassword of {dn} (probe: deleting a value that isn't there answered 16 noSuchAttribute; nothing was changed). {not_verified}"
            ),
        )),
        50 => Err((
            format!(
                "{} — the service account may not write userPassword of {dn}",
                reply_of(50, &server_text(&res))
            ),
            Some(format!(
                "Grant the service account write access to userPassword (OpenLDAP: access to attrs=userPassword by dn.exact=\"{}\" write …).",
                dir.settings.bind_dn.trim()
            )),
        )),
        0 => Ok((
            (),
            format!("Password Modify is offered; the write probe on {dn} was accepted (the server reported success for deleting a value that wasn't there). {not_verified}"),
        )),
        rc => Ok((
            (),
            format!(
                "Password Modify is offered. Not verified: write access — the probe on {dn} answered {} (this server doesn't answer the probe the way OpenLDAP does). {not_verified}",
                reply_of(rc, &server_text(&res))
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::DirectorySettings;

    fn dir(url: &str) -> ResolvedDirectory {
        ResolvedDirectory {
            settings: DirectorySettings {
                url: url.into(),
                base_dn: "dc=example,dc=org".into(),
                bind_dn: "cn=svc,dc=example,dc=org".into(),
                ..DirectorySettings::default()
            },
            bind_password: Some("x".to_string().into()),
        }
    }

    #[tokio::test]
    async fn a_url_that_does_not_fit_stops_at_connect() {
        let r = run(&dir("ldaps://127.0.0.1:1"), None, false).await;
        assert!(!r.ok);
        assert_eq!(r.steps.len(), 1);
        assert_eq!(r.steps[0].label, "Connect");
        assert!(
            r.summary.starts_with("Failed at \"Connect\""),
            "{}",
            r.summary
        );
    }

    #[test]
    fn hints_for_the_common_codes() {
        let d = dir("ldap://h");
        assert!(code_hint(49, &d, "bind")
            .unwrap()
            .contains("bind DN or password"));
        assert!(code_hint(32, &d, "base").unwrap().contains("base DN"));
        assert!(code_hint(87, &d, "find").unwrap().contains("user filter"));
        assert!(code_hint(4, &d, "find").unwrap().contains("size limit"));
        assert!(tls_hint("the server refused StartTLS (2): x", &d).contains("ldaps://"));
        assert!(tls_hint("the server's certificate is not trusted (x)", &d).contains("Extra CA"));
    }
}
