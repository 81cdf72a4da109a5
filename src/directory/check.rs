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
use crate::i18n::{english, english_opt, Msg, Text};

mod ad;

#[derive(Debug, Clone, Serialize)]
pub struct CheckStep {
    /// The step's name (English in JSON, like every text here; pages translate it).
    #[serde(serialize_with = "english")]
    pub label: Msg,
    pub ok: bool,
    /// The server's answer (result code and text, quoted as it came), or what was found or went
    /// wrong, in Latchkey's words.
    #[serde(serialize_with = "english")]
    pub reply: Text,
    #[serde(serialize_with = "english_opt")]
    pub hint: Option<Text>,
    pub millis: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub steps: Vec<CheckStep>,
    #[serde(serialize_with = "english")]
    pub summary: Msg,
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
type Outcome<T> = Result<(T, Text), (Text, Option<Text>)>;

struct Run<'a> {
    dir: &'a ResolvedDirectory,
    steps: Vec<CheckStep>,
}

impl Run<'_> {
    async fn step<T>(&mut self, label: Msg, work: impl Future<Output = Outcome<T>>) -> Option<T> {
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
    fn note(&mut self, hint: impl Into<Text>) {
        if let Some(s) = self.steps.last_mut() {
            s.hint = Some(hint.into());
        }
    }
}

/// "result 49 (invalidCredentials): text" (the server's text quoted as it came).
fn reply_of(code: u32, text: &str) -> Msg {
    Msg::new("dir-reply-result")
        .arg("code", code)
        .arg("name", result_name(code))
        .arg("text", text)
}

/// A step's name: `dir-step-{name}`.
fn step(name: &str) -> Msg {
    Msg::new(format!("dir-step-{name}"))
}

/// The reply and hint for a client error during `step`.
fn failure(e: &DirectoryError, dir: &ResolvedDirectory, step: &str) -> (Text, Option<Text>) {
    let s = &dir.settings;
    match e {
        DirectoryError::ServiceBind { code, text } | DirectoryError::Ldap { code, text } => {
            let hint = if s.is_active_directory() {
                ad::hint(*code, text, dir, step).or_else(|| code_hint(*code, dir, step))
            } else {
                code_hint(*code, dir, step)
            };
            (reply_of(*code, text).into(), hint.map(Text::from))
        }
        DirectoryError::Tls(m) => (m.clone().into(), Some(tls_hint(m, dir).into())),
        DirectoryError::Unreachable(m) => (
            m.clone().into(),
            Some(
                Msg::new("dir-hint-unreachable")
                    .arg("url", s.url.trim())
                    .into(),
            ),
        ),
        DirectoryError::Config(m) => (m.clone().into(), Some(Msg::new("dir-hint-config").into())),
        other => (other.to_string().into(), None),
    }
}

fn tls_hint(m: &str, dir: &ResolvedDirectory) -> Msg {
    Msg::new(
        if m.contains("refused StartTLS") || m.contains("asked for StartTLS") {
            "dir-hint-no-starttls"
        } else if m.contains("not trusted") {
            "dir-hint-untrusted"
        } else if m.contains("host name") {
            "dir-hint-host-name"
        } else if m.contains("expired") {
            "dir-hint-expired"
        } else if dir.settings.security == Security::Ldaps {
            "dir-hint-not-tls"
        } else {
            "dir-hint-tls-failed"
        },
    )
}

fn code_hint(code: u32, dir: &ResolvedDirectory, step: &str) -> Option<Msg> {
    let s = &dir.settings;
    Some(match code {
        49 => Msg::new("dir-hint-49").arg("dn", s.bind_dn.trim()),
        32 if step == "base" => Msg::new("dir-hint-32-base").arg("dn", s.base_dn.trim()),
        32 if step == "group" => Msg::new("dir-hint-32-group").arg("dn", s.admin_group_dn.trim()),
        32 => Msg::new("dir-hint-32"),
        87 => Msg::new("dir-hint-87").arg("filter", s.user_filter.trim()),
        4 => Msg::new("dir-hint-4").arg("dn", s.bind_dn.trim()),
        11 => Msg::new("dir-hint-11"),
        3 => Msg::new("dir-hint-3"),
        13 | 8 => Msg::new("dir-hint-encryption"),
        50 => Msg::new("dir-hint-50"),
        34 => Msg::new("dir-hint-34"),
        51 | 52 => Msg::new("dir-hint-busy"),
        _ => return None,
    })
}

/// The value, or the message saying there is none.
fn or_else(value: &Option<String>, none: &'static str) -> Text {
    match value {
        Some(v) => v.as_str().into(),
        None => Msg::new(none).into(),
    }
}

fn describe(p: &Person) -> Msg {
    Msg::new("dir-reply-person")
        .arg("dn", p.dn.as_str())
        .arg("username", p.username.as_str())
        .arg("email", or_else(&p.email, "dir-reply-person-no-email"))
        .arg(
            "reset",
            or_else(&p.reset_email, "dir-reply-person-reset-kept"),
        )
        .arg("name", p.display_name.as_str())
        .arg("stable", p.stable_id.as_str())
        .arg("disabled", if p.disabled { "yes" } else { "no" })
        .arg("admin", if p.is_admin { "yes" } else { "no" })
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
        Some(failed) => Msg::new("dir-summary-failed")
            .arg("step", failed.label.clone())
            .arg("reply", &failed.reply),
        None => {
            let mut said = vec![Msg::new(match dir.settings.security {
                Security::None => "dir-summary-works-plain",
                _ => "dir-summary-works",
            })];
            if let Some(n) = people_count {
                said.push(Msg::new("dir-summary-matches").arg("n", n));
            }
            if let Some(p) = &person {
                said.push(Msg::new("dir-summary-found").arg("username", p.username.as_str()));
            }
            said.push(match verify_write {
                true if dir.settings.is_active_directory() => {
                    Msg::new("dir-summary-see").arg("step", step("may-reset"))
                }
                true => Msg::new("dir-summary-see").arg("step", step("may-change")),
                false => Msg::new("dir-summary-write-not-checked"),
            });
            crate::i18n::sentences(said).expect("at least one sentence")
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
    run.step(step("connect"), async {
        let url = checked_url(dir).map_err(|e| failure(&e, dir, "connect"))?;
        let (host, port) = host_port(&url);
        match tokio::time::timeout(
            dir.connect_timeout(),
            tokio::net::TcpStream::connect((host.as_str(), port)),
        )
        .await
        {
            Ok(Ok(_)) => Ok((
                (),
                Msg::new("dir-reply-tcp")
                    .arg("address", format!("{host}:{port}"))
                    .into(),
            )),
            Ok(Err(e)) => {
                let hint = match e.kind() {
                    std::io::ErrorKind::ConnectionRefused => {
                        Msg::new("dir-hint-refused").arg("address", format!("{host}:{port}"))
                    }
                    _ => Msg::new("dir-hint-host").arg("host", host.as_str()),
                };
                Err((
                    Msg::new("dir-reply-cant-connect")
                        .arg("address", format!("{host}:{port}"))
                        .arg("error", e.to_string())
                        .into(),
                    Some(hint.into()),
                ))
            }
            Err(_) => Err((
                Msg::new("dir-reply-connect-timeout")
                    .arg("address", format!("{host}:{port}"))
                    .arg("secs", dir.connect_timeout().as_secs() as i64)
                    .into(),
                Some(Msg::new("dir-hint-timeout").into()),
            )),
        }
    })
    .await?;

    // TLS (StartTLS or LDAPS); with security none the connection is just opened.
    let label = step(match s.security {
        Security::Starttls => "starttls",
        Security::Ldaps => "ldaps",
        Security::None => "open",
    });
    let mut conn = run
        .step(label, async {
            let conn = Conn::open(dir).await.map_err(|e| failure(&e, dir, "tls"))?;
            let reply = match s.security {
                Security::Starttls => "dir-reply-starttls",
                Security::Ldaps => "dir-reply-ldaps",
                Security::None => "dir-reply-plain",
            };
            Ok((conn, Msg::new(reply).into()))
        })
        .await?;
    if s.security == Security::None {
        run.note(Msg::new("dir-hint-plain"));
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

    run.step(step("bind"), async {
        conn.bind_service(dir)
            .await
            .map_err(|e| failure(&e, dir, "bind"))?;
        Ok((
            (),
            Msg::new("dir-reply-bound")
                .arg("dn", s.bind_dn.trim())
                .into(),
        ))
    })
    .await?;

    if s.is_active_directory() {
        run.step(step("kind"), ad::recognise(conn, dir)).await?;
        if let Some(h) = ad::encryption_hint(dir) {
            run.note(h);
        }
        found.policy = Some(run.step(step("policy"), ad::policy(conn, dir)).await?);
    } else if ad::root_dse(conn).await.is_ok_and(|r| r.is_ad) {
        run.note(Msg::new("dir-hint-is-ad"));
    }

    run.step(step("base"), async {
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
                reply_of(res.1.rc, &server_text(&res.1)).into(),
                code_hint(res.1.rc, dir, "base").map(Text::from),
            ));
        }
        Ok((
            (),
            Msg::new("dir-reply-base-exists")
                .arg("dn", s.base_dn.trim())
                .into(),
        ))
    })
    .await?;

    // Count the people (paged, as the sync reads them), keeping one DN for the write probe.
    let mut first_dn: Option<String> = None;
    run.step(step("find"), async {
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
            let reply = Msg::new("dir-reply-after")
                .arg("reply", reply)
                .arg("n", total);
            (reply.into(), hint)
        })?;
        let reply = Msg::new("dir-reply-found")
            .arg("n", total)
            .arg("filter", s.user_filter.trim())
            .arg("base", s.base_dn.trim())
            .arg("unusable", unusable)
            .arg("username", s.mapping.username.as_str())
            .arg("stable", s.mapping.stable_id.as_str());
        Ok((total, reply.into()))
    })
    .await
    .map(|n| *people_count = Some(n))?;
    if *people_count == Some(0) {
        run.note(Msg::new("dir-hint-no-match"));
    }

    // The admin group, when one is set.
    let mut admins: Option<HashSet<String>> = None;
    if !s.admin_group_dn.trim().is_empty() {
        admins = Some(
            run.step(step("group"), async {
                let group = s.admin_group_dn.trim();
                match read_group(conn, group).await {
                    Ok(Some(_)) if s.is_active_directory() => {
                        let members = super::client::ad::nested_members(conn, dir, group)
                            .await
                            .map_err(|e| failure(&e, dir, "group"))?;
                        let n = members.len();
                        let reply = Msg::new("dir-reply-group-nested")
                            .arg("group", group)
                            .arg("n", n);
                        Ok((members, reply.into()))
                    }
                    Ok(Some(members)) => {
                        let n = members.len();
                        let reply = Msg::new("dir-reply-group").arg("group", group).arg("n", n);
                        Ok((members, reply.into()))
                    }
                    Ok(None) => Err((
                        reply_of(32, "noSuchObject").into(),
                        code_hint(32, dir, "group").map(Text::from),
                    )),
                    Err(e) => Err(failure(&e, dir, "group")),
                }
            })
            .await?,
        );
    }

    if let Some(identifier) = lookup {
        let person = run
            .step(step("lookup"), async {
                let entries = identifier_entries(conn, dir, identifier)
                    .await
                    .map_err(|e| failure(&e, dir, "lookup"))?;
                match entries.len() {
                    0 => Err((
                        Msg::new("dir-reply-no-person")
                            .arg("username", s.mapping.username.as_str())
                            .arg("email", s.mapping.email.as_str())
                            .arg("identifier", identifier)
                            .into(),
                        Some(Msg::new("dir-hint-no-person").into()),
                    )),
                    1 => match people::person_from(&entries[0], &s.mapping, admins.as_ref()) {
                        Some(p) => {
                            let reply = describe(&p);
                            Ok((p, reply.into()))
                        }
                        None => Err((
                            Msg::new("dir-reply-no-attributes")
                                .arg("dn", entries[0].dn.as_str())
                                .arg("username", s.mapping.username.as_str())
                                .arg("stable", s.mapping.stable_id.as_str())
                                .into(),
                            Some(Msg::new("dir-hint-mapping").into()),
                        )),
                    },
                    _ => Err((
                        Msg::new("dir-reply-several")
                            .arg("identifier", identifier)
                            .into(),
                        Some(Msg::new("dir-hint-several").into()),
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
                .step(step("may-reset"), ad::may_write(conn, dir, target))
                .await?
            {
                run.note(hint);
            }
        } else {
            run.step(step("may-change"), may_write(conn, dir, target))
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
            Msg::new("dir-reply-no-password-modify")
                .arg("oid", PASSWORD_MODIFY_OID)
                .into(),
            Some(Msg::new("dir-hint-password-modify").into()),
        ));
    }
    let Some(dn) = target else {
        return Ok(((), Msg::new("dir-reply-write-no-target").into()));
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
    let said = |id: &'static str| Msg::new(id).arg("dn", dn.as_str());
    match res.rc {
        16 => Ok(((), said("dir-reply-write-ok").into())),
        50 => Err((
            said("dir-reply-write-denied")
                .arg("reply", reply_of(50, &server_text(&res)))
                .into(),
            Some(
                Msg::new("dir-hint-grant-write")
                    .arg("dn", dir.settings.bind_dn.trim())
                    .into(),
            ),
        )),
        0 => Ok(((), said("dir-reply-write-accepted").into())),
        rc => Ok((
            (),
            said("dir-reply-write-unknown")
                .arg("reply", reply_of(rc, &server_text(&res)))
                .into(),
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
        assert_eq!(r.steps[0].label.to_string(), "Connect");
        assert!(
            r.summary.to_string().starts_with("Failed at \"Connect\""),
            "{}",
            r.summary
        );
    }

    #[test]
    fn hints_for_the_common_codes() {
        let d = dir("ldap://h");
        let hint = |code| code_hint(code, &d, "find").unwrap().to_string();
        assert!(code_hint(49, &d, "bind")
            .unwrap()
            .to_string()
            .contains("bind DN or password"));
        assert!(code_hint(32, &d, "base")
            .unwrap()
            .to_string()
            .contains("base DN"));
        assert!(hint(87).contains("user filter"));
        assert!(hint(4).contains("size limit"));
        let tls = |m| tls_hint(m, &d).to_string();
        assert!(tls("the server refused StartTLS (2): x").contains("ldaps://"));
        assert!(tls("the server's certificate is not trusted (x)").contains("Extra CA"));
    }
}
