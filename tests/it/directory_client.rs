//! The LDAP client against a real OpenLDAP (`common::ldap::Slapd`): protection (StartTLS,
//! LDAPS, trust), the service account, finding people (escaping included), paging past the size
//! limit, the mapping, password checks and writes under the ppolicy overlay, and the directory
//! being down; then "Check directory connection" (`check::run`), its success and each failure.

use latchkey::directory::check::{self, CheckReport};
use latchkey::directory::{
    BindOutcome, Directory, DirectoryError, Mapping, PasswordRefusal, Security,
};
use secrecy::SecretString;

use crate::common::ldap::{
    self, Slapd, SlapdOptions, ALICE_PASSWORD, BOB_PASSWORD, PERSON_PASSWORD, SIZE_LIMIT,
};
use crate::common::smtp::TestCa;

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn with(slapd: &Slapd, f: impl FnOnce(&mut latchkey::directory::DirectorySettings)) -> Directory {
    let mut s = slapd.settings();
    f(&mut s);
    Directory::new(ldap::resolved(s))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_finds_people_by_username_and_by_address() {
    let slapd = Slapd::start().await;
    let dir = slapd.directory();
    let alice = dir.find_person("alice").await.unwrap().expect("alice");
    assert_eq!(alice.dn, Slapd::dn("alice"));
    assert_eq!(alice.username, "alice");
    assert_eq!(alice.email.as_deref(), Some("alice@example.org"));
    assert_eq!(alice.display_name, "alice Example");
    assert_eq!(
        alice.stable_id.len(),
        36,
        "entryUUID as text: {}",
        alice.stable_id
    );
    assert!(alice.is_admin, "alice is in the admin group");
    assert!(!alice.disabled);
    assert_eq!(alice.reset_email, None);

    let bob = dir
        .find_person("bob@example.org")
        .await
        .unwrap()
        .expect("bob by mail");
    assert_eq!(bob.username, "bob");
    assert!(!bob.is_admin);
    assert_ne!(bob.stable_id, alice.stable_id);
    assert_eq!(dir.find_person("nobody").await.unwrap(), None);
    assert_eq!(dir.find_person("").await.unwrap(), None);

    // The same entry by DN; gone or not a person = None.
    assert_eq!(dir.person_at(&alice.dn).await.unwrap(), Some(alice.clone()));
    assert_eq!(dir.person_at(ldap::SERVICE_DN).await.unwrap(), None);
    slapd.delete(&bob.dn).await;
    assert_eq!(dir.person_at(&bob.dn).await.unwrap(), None);
    assert_eq!(dir.find_person("bob").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ldaps_with_the_test_ca() {
    let slapd = Slapd::start().await;
    let dir = with(&slapd, |s| {
        s.url = slapd.ldaps_url();
        s.security = Security::Ldaps;
    });
    let alice = dir
        .find_person("alice")
        .await
        .unwrap()
        .expect("alice over LDAPS");
    assert_eq!(
        dir.verify_password(&alice.dn, &secret(ALICE_PASSWORD))
            .await
            .unwrap(),
        BindOutcome::Ok
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_from_an_untrusted_ca_fails_with_tls() {
    let slapd = Slapd::start().await;
    let other = TestCa::new();
    for (url, security) in [
        (slapd.url(), Security::Starttls),
        (slapd.ldaps_url(), Security::Ldaps),
    ] {
        let dir = with(&slapd, |s| {
            s.url = url.clone();
            s.security = security;
            s.extra_ca_pem = other.cert_pem.clone();
        });
        match dir.find_person("alice").await {
            Err(DirectoryError::Tls(m)) => assert!(m.contains("not trusted"), "{m}"),
            other => panic!("{security:?}: expected a TLS error, got {other:?}"),
        }
        // No extra CA at all: the system's roots don't know the test CA either.
        let dir = with(&slapd, |s| {
            s.url = url.clone();
            s.security = security;
            s.extra_ca_pem = String::new();
        });
        assert!(matches!(
            dir.find_person("alice").await,
            Err(DirectoryError::Tls(_))
        ));
    }
    // PEM that isn't a certificate: a settings error before any connection.
    let dir = with(&slapd, |s| {
        s.extra_ca_pem =
            "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n".into()
    });
    assert!(
        matches!(
            dir.find_person("alice").await,
            Err(DirectoryError::Config(_))
        ),
        "bad PEM is a settings error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_is_required_never_a_fallback() {
    let slapd = Slapd::start_with(SlapdOptions {
        tls: false,
        ..SlapdOptions::default()
    })
    .await;
    match slapd.directory().find_person("alice").await {
        Err(DirectoryError::Tls(m)) => assert!(m.contains("refused StartTLS"), "{m}"),
        other => panic!("a server without StartTLS must fail, got {other:?}"),
    }
    // Only when "none" is chosen does the plain connection work.
    let plain = with(&slapd, |s| s.security = Security::None);
    assert!(plain.find_person("alice").await.unwrap().is_some());
    // A URL that doesn't fit the security setting is refused before connecting.
    let mismatched = with(&slapd, |s| s.security = Security::Ldaps);
    assert!(matches!(
        mismatched.find_person("alice").await,
        Err(DirectoryError::Config(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_service_password_is_a_service_bind_error() {
    let slapd = Slapd::start().await;
    let mut resolved = slapd.resolved();
    resolved.bind_password = Some(secret("not the service password"));
    match Directory::new(resolved).find_person("alice").await {
        Err(DirectoryError::ServiceBind { code: 49, text }) => assert!(!text.is_empty()),
        other => panic!("expected ServiceBind 49, got {other:?}"),
    }
    let mut resolved = slapd.resolved();
    resolved.bind_password = None;
    assert!(matches!(
        Directory::new(resolved).all_people().await,
        Err(DirectoryError::Config(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injection_attempts_find_nothing_or_only_the_exact_person() {
    let slapd = Slapd::start().await;
    let star = slapd
        .add_person("star*man", "star@example.org", PERSON_PASSWORD)
        .await;
    let jurgen = slapd
        .add_person("jürgen", "juergen@example.org", PERSON_PASSWORD)
        .await;
    let comma = slapd
        .add_person("o,brien+x", "obrien@example.org", PERSON_PASSWORD)
        .await;
    let dir = slapd.directory();
    for attempt in [
        "*",
        "a*",
        "al*e",
        "alice)(uid=*",
        "*)(|(uid=*",
        "alice)(|(objectClass=*",
        "ali\\2a",
        "ali\\",
        "\\",
        "alice\0",
        "\0",
        "j*",
        "jurgen",
        "*@example.org",
        "star*",
    ] {
        assert_eq!(
            dir.find_person(attempt).await.unwrap(),
            None,
            "{attempt:?} must not widen the search"
        );
    }
    let found = dir
        .find_person("star*man")
        .await
        .unwrap()
        .expect("the literal uid");
    assert_eq!(found.dn, star);
    let found = dir
        .find_person("jürgen")
        .await
        .unwrap()
        .expect("non-ASCII uid");
    assert_eq!(
        (found.dn.as_str(), found.username.as_str()),
        (jurgen.as_str(), "jürgen")
    );
    let found = dir
        .find_person("o,brien+x")
        .await
        .unwrap()
        .expect("uid with DN specials");
    // The server answers with its own spelling of the escapes (`\2C` for `\2c`).
    assert!(
        found.dn.eq_ignore_ascii_case(&comma),
        "{} vs {comma}",
        found.dn
    );
    assert_eq!(
        found.dn,
        dir.person_at(&found.dn).await.unwrap().unwrap().dn
    );
    assert_eq!(
        dir.person_at(&comma).await.unwrap().map(|p| p.username),
        Some("o,brien+x".into())
    );
    // Two people with the same address: several matches are none.
    slapd
        .set_attr(&Slapd::dn("bob"), "mail", "alice@example.org")
        .await;
    assert_eq!(dir.find_person("alice@example.org").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_people_pages_past_the_size_limit() {
    let slapd = Slapd::start_with(SlapdOptions {
        people: 120,
        ..SlapdOptions::default()
    })
    .await;
    let dir = with(&slapd, |s| s.page_size = 7);
    let people = dir.all_people().await.unwrap();
    assert!(people.len() > SIZE_LIMIT);
    assert_eq!(people.len(), 122, "alice, bob and 120 more");
    let admins: Vec<_> = people
        .iter()
        .filter(|p| p.is_admin)
        .map(|p| p.username.as_str())
        .collect();
    assert_eq!(admins, vec!["alice"]);
    assert!(people.iter().any(|p| p.username == "person120"));
    let mut ids: Vec<_> = people.iter().map(|p| &p.stable_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 122, "every stable id is distinct");
    // The default page size (500) is above the limit: the server's paging total governs.
    assert_eq!(slapd.directory().all_people().await.unwrap().len(), 122);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_search_cut_short_by_the_server_is_an_error_not_a_partial_list() {
    let slapd = Slapd::start_with(SlapdOptions {
        people: 60,
        service_pages_unlimited: false,
        ..SlapdOptions::default()
    })
    .await;
    match with(&slapd, |s| s.page_size = 10).all_people().await {
        Err(DirectoryError::Ldap { code: 4, .. }) => {}
        other => panic!(
            "expected size limit exceeded (4), got {:?}",
            other.map(|p| p.len())
        ),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disabled_mapping_and_admin_group() {
    let slapd = Slapd::start().await;
    let bob = Slapd::dn("bob");
    // The default mapping: ppolicy's lock marks a person disabled.
    slapd
        .set_attr(&bob, "pwdAccountLockedTime", "000001010000Z")
        .await;
    let dir = slapd.directory();
    assert!(dir.find_person("bob").await.unwrap().unwrap().disabled);
    assert!(!dir.find_person("alice").await.unwrap().unwrap().disabled);
    assert_eq!(
        dir.verify_password(&bob, &secret(BOB_PASSWORD))
            .await
            .unwrap(),
        BindOutcome::Locked
    );
    // An attribute with a value: only that value (any case) disables.
    let by_value = with(&slapd, |s| {
        s.mapping = Mapping {
            disabled: "employeeType".into(),
            disabled_value: "Disabled".into(),
            reset_email: "description".into(),
            display_name: "displayName".into(),
            ..Mapping::default()
        }
    });
    let alice = Slapd::dn("alice");
    slapd.set_attr(&alice, "employeeType", "staff").await;
    slapd
        .set_attr(&alice, "description", "alice.private@example.net")
        .await;
    let a = by_value.find_person("alice").await.unwrap().unwrap();
    assert!(!a.disabled);
    assert_eq!(a.reset_email.as_deref(), Some("alice.private@example.net"));
    assert_eq!(a.display_name, "alice", "no displayName: the username");
    slapd.set_attr(&alice, "employeeType", "DISABLED").await;
    assert!(
        by_value
            .find_person("alice")
            .await
            .unwrap()
            .unwrap()
            .disabled
    );

    // Group members compare without case or spaces.
    slapd
        .add_value(
            ldap::ADMIN_GROUP_DN,
            "member",
            "UID=Bob, OU=People,dc=Example,dc=org",
        )
        .await;
    assert!(dir.find_person("bob").await.unwrap().unwrap().is_admin);
    let all = dir.all_people().await.unwrap();
    assert!(all.iter().all(|p| p.is_admin), "alice and bob");
    // No group set: nobody is an administrator; a group that doesn't exist has no members.
    let no_group = with(&slapd, |s| s.admin_group_dn = String::new());
    assert!(
        !no_group
            .find_person("alice")
            .await
            .unwrap()
            .unwrap()
            .is_admin
    );
    let gone = with(&slapd, |s| {
        s.admin_group_dn = "cn=nope,ou=groups,dc=example,dc=org".into()
    });
    assert!(!gone.find_person("alice").await.unwrap().unwrap().is_admin);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_password_outcomes() {
    let mut slapd = Slapd::start().await;
    let dir = slapd.directory();
    let alice = Slapd::dn("alice");
    assert_eq!(
        dir.verify_password(&alice, &secret(ALICE_PASSWORD))
            .await
            .unwrap(),
        BindOutcome::Ok
    );
    assert_eq!(
        dir.verify_password(&alice, &secret("wrong password!"))
            .await
            .unwrap(),
        BindOutcome::Invalid
    );
    assert_eq!(
        dir.verify_password(&Slapd::dn("nobody"), &secret(ALICE_PASSWORD))
            .await
            .unwrap(),
        BindOutcome::Invalid
    );
    assert_eq!(
        dir.verify_password("not a dn", &secret(ALICE_PASSWORD))
            .await
            .unwrap(),
        BindOutcome::Invalid
    );
    // An empty password never reaches the server (it would be an unauthenticated bind, which
    // succeeds): with the server stopped, still Invalid rather than Unreachable.
    slapd.stop();
    assert_eq!(
        dir.verify_password(&alice, &secret("")).await.unwrap(),
        BindOutcome::Invalid
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_password_opens_the_directory_with_the_new_password() {
    let slapd = Slapd::start().await;
    let dir = slapd.directory();
    let alice = Slapd::dn("alice");
    dir.set_password(&alice, &secret("a brand new password"), false)
        .await
        .unwrap();
    assert!(
        slapd.bind_ok(&alice, "a brand new password"),
        "ldapwhoami with the new password"
    );
    assert!(
        !slapd.bind_ok(&alice, ALICE_PASSWORD),
        "the old one no longer works"
    );
    assert!(slapd.attr(&alice, "pwdReset").await.is_empty());
    assert_eq!(
        dir.verify_password(&alice, &secret("a brand new password"))
            .await
            .unwrap(),
        BindOutcome::Ok
    );
    // The service account is not the rootdn: the policy applies to what it writes.
    assert_eq!(
        dir.set_password(&alice, &secret("short"), false).await,
        Err(DirectoryError::Refused(PasswordRefusal::TooShort))
    );
    assert_eq!(
        dir.set_password(&alice, &secret(ALICE_PASSWORD), false)
            .await,
        Err(DirectoryError::Refused(PasswordRefusal::InHistory))
    );
    assert!(
        slapd.bind_ok(&alice, "a brand new password"),
        "a refused write changes nothing"
    );
    let refused = DirectoryError::Refused(PasswordRefusal::InHistory).to_string();
    assert!(refused.contains("refused the new password"), "{refused}");
    assert!(refused.contains("used recently"), "in words: {refused}");
    let short = DirectoryError::Refused(PasswordRefusal::TooShort).to_string();
    assert!(short.contains("shorter than"), "in words: {short}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn must_change_sets_pwd_reset_and_a_change_clears_it() {
    let slapd = Slapd::start().await;
    let dir = slapd.directory();
    let bob = Slapd::dn("bob");
    dir.set_password(&bob, &secret("temporary password 1"), true)
        .await
        .unwrap();
    assert_eq!(slapd.attr(&bob, "pwdReset").await, vec!["TRUE".to_string()]);
    assert!(slapd.bind_ok(&bob, "temporary password 1"));
    assert_eq!(
        dir.verify_password(&bob, &secret("temporary password 1"))
            .await
            .unwrap(),
        BindOutcome::MustChange
    );
    dir.change_own_password(
        &bob,
        &secret("temporary password 1"),
        &secret("bob's own choice 2"),
    )
    .await
    .unwrap();
    assert!(slapd.attr(&bob, "pwdReset").await.is_empty());
    assert_eq!(
        dir.verify_password(&bob, &secret("bob's own choice 2"))
            .await
            .unwrap(),
        BindOutcome::Ok
    );
    // A reset by the service without must_change clears an earlier mark too.
    dir.set_password(&bob, &secret("temporary password 3"), true)
        .await
        .unwrap();
    dir.set_password(&bob, &secret("reset by link 44"), false)
        .await
        .unwrap();
    assert!(slapd.attr(&bob, "pwdReset").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_own_password_under_the_users_policy() {
    let slapd = Slapd::start().await;
    let dir = slapd.directory();
    let alice = Slapd::dn("alice");
    assert_eq!(
        dir.change_own_password(
            &alice,
            &secret("not my password"),
            &secret("something long enough")
        )
        .await,
        Err(DirectoryError::WrongPassword)
    );
    assert_eq!(
        dir.change_own_password(&alice, &secret(""), &secret("something long enough"))
            .await,
        Err(DirectoryError::WrongPassword)
    );
    assert_eq!(
        dir.change_own_password(&alice, &secret(ALICE_PASSWORD), &secret("tiny"))
            .await,
        Err(DirectoryError::Refused(PasswordRefusal::TooShort))
    );
    dir.change_own_password(
        &alice,
        &secret(ALICE_PASSWORD),
        &secret("alice chose this one"),
    )
    .await
    .unwrap();
    assert!(slapd.bind_ok(&alice, "alice chose this one"));
    assert_eq!(
        dir.change_own_password(
            &alice,
            &secret("alice chose this one"),
            &secret(ALICE_PASSWORD)
        )
        .await,
        Err(DirectoryError::Refused(PasswordRefusal::InHistory))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_server_is_unreachable_and_transient() {
    let mut slapd = Slapd::start().await;
    let dir = slapd.directory();
    assert!(dir.find_person("alice").await.unwrap().is_some());
    slapd.stop();
    let alice = Slapd::dn("alice");
    for err in [
        dir.find_person("alice").await.unwrap_err(),
        dir.all_people().await.unwrap_err(),
        dir.verify_password(&alice, &secret(ALICE_PASSWORD))
            .await
            .unwrap_err(),
        dir.set_password(&alice, &secret("a brand new password"), false)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(err, DirectoryError::Unreachable(_)), "{err:?}");
        assert!(err.is_transient());
    }
    // Back on the same port with the same data.
    slapd.restart().await;
    assert!(dir.find_person("alice").await.unwrap().is_some());
    // Nobody listening at all, and a name that doesn't resolve.
    let nowhere = with(&slapd, |s| s.url = "ldap://nonexistent.invalid:389".into());
    let err = nowhere.find_person("alice").await.unwrap_err();
    assert!(matches!(err, DirectoryError::Unreachable(_)), "{err:?}");
    assert!(!DirectoryError::WrongPassword.is_transient());
}

// --- "Check directory connection" ---------------------------------------------------------------

fn labels(r: &CheckReport) -> Vec<String> {
    r.steps.iter().map(|s| s.label.to_string()).collect()
}

/// The failed step (the last one) and its hint.
fn failed(r: &CheckReport) -> (String, String, String) {
    assert!(!r.ok, "the check should fail: {r:#?}");
    let s = r.steps.last().expect("a step");
    assert!(!s.ok, "the last step failed: {r:#?}");
    assert!(
        r.summary.to_string().starts_with("Failed at"),
        "{}",
        r.summary
    );
    (
        s.label.to_string(),
        s.reply.to_string(),
        s.hint.as_ref().map(ToString::to_string).unwrap_or_default(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_succeeds_step_by_step() {
    let slapd = Slapd::start_with(SlapdOptions {
        people: 60,
        ..SlapdOptions::default()
    })
    .await;
    let r = check::run(&slapd.resolved(), Some("alice@example.org"), true).await;
    assert!(r.ok, "{r:#?}");
    assert_eq!(
        labels(&r),
        vec![
            "Connect",
            "TLS (StartTLS)",
            "Bind as service account",
            "Read base DN",
            "Find people",
            "Read admin group",
            "Look up person",
            "May change passwords",
        ]
    );
    assert_eq!(r.people, Some(62), "past the size limit of {SIZE_LIMIT}");
    let alice = r.person.as_ref().expect("alice looked up");
    assert_eq!(alice.username, "alice");
    assert!(alice.is_admin);
    let look = r.steps[6].reply.to_string();
    assert!(
        look.contains("alice@example.org") && look.contains("administrator"),
        "{look}"
    );
    let write = r.steps[7].reply.to_string();
    assert!(write.contains("may write userPassword"), "{write}");
    assert!(
        write.contains("Not verified"),
        "says what it did not prove: {write}"
    );
    assert!(
        r.summary.to_string().contains("62 entries"),
        "{}",
        r.summary
    );
    // The probe changed nothing: the password still opens the directory, no failure counted.
    assert!(slapd.bind_ok(&Slapd::dn("alice"), ALICE_PASSWORD));
    assert!(slapd
        .attr(&Slapd::dn("alice"), "pwdFailureTime")
        .await
        .is_empty());

    // Without a lookup nor the write check: those steps don't run, and the summary says so.
    let r = check::run(&slapd.resolved(), None, false).await;
    assert!(r.ok);
    assert_eq!(r.steps.len(), 6);
    assert!(r.person.is_none());
    assert!(
        r.summary.to_string().contains("not checked"),
        "{}",
        r.summary
    );

    // LDAPS, and none (which says it is unencrypted).
    let mut ldaps = slapd.resolved();
    ldaps.settings.url = slapd.ldaps_url();
    ldaps.settings.security = Security::Ldaps;
    let r = check::run(&ldaps, None, false).await;
    assert!(r.ok, "{r:#?}");
    assert_eq!(r.steps[1].label.to_string(), "TLS (LDAPS)");
    let mut plain = slapd.resolved();
    plain.settings.security = Security::None;
    let r = check::run(&plain, None, false).await;
    assert!(r.ok);
    assert!(
        r.summary.to_string().contains("without encryption"),
        "{}",
        r.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_failures_have_hints() {
    let mut slapd = Slapd::start().await;
    let base = slapd.resolved();
    let run = |f: &dyn Fn(&mut latchkey::directory::ResolvedDirectory)| {
        let mut d = base.clone();
        f(&mut d);
        async move { check::run(&d, Some("alice"), true).await }
    };

    // Wrong service password: 49.
    let r = run(&|d| d.bind_password = Some(secret("wrong"))).await;
    let (label, reply, hint) = failed(&r);
    assert_eq!(label, "Bind as service account");
    assert!(reply.starts_with("result 49"), "{reply}");
    assert!(hint.contains("bind DN or password"), "{hint}");
    assert_eq!(r.steps.len(), 3);

    // Wrong base DN: 32.
    let r = run(&|d| d.settings.base_dn = "ou=nobody,dc=example,dc=org".into()).await;
    let (label, reply, hint) = failed(&r);
    assert_eq!(label, "Read base DN");
    assert!(reply.starts_with("result 32"), "{reply}");
    assert!(hint.contains("base DN"), "{hint}");

    // A broken filter: 87.
    let r = run(&|d| d.settings.user_filter = "(objectClass=inetOrgPerson".into()).await;
    let (label, reply, hint) = failed(&r);
    assert_eq!(label, "Find people");
    assert!(reply.contains("87"), "{reply}");
    assert!(hint.contains("user filter"), "{hint}");

    // Certificate not trusted.
    let r = run(&|d| d.settings.extra_ca_pem = TestCa::new().cert_pem).await;
    let (label, reply, hint) = failed(&r);
    assert_eq!(label, "TLS (StartTLS)");
    assert!(reply.contains("not trusted"), "{reply}");
    assert!(hint.contains("Extra CA certificate"), "{hint}");

    // LDAPS against the plain port: the port doesn't speak TLS.
    let r = run(&|d| {
        d.settings.url = format!("ldaps://127.0.0.1:{}", slapd.port());
        d.settings.security = Security::Ldaps;
    })
    .await;
    let (label, _, hint) = failed(&r);
    assert_eq!(label, "TLS (LDAPS)");
    assert!(hint.contains("starttls"), "{hint}");

    // An admin group that doesn't exist, and a person who doesn't.
    let r =
        run(&|d| d.settings.admin_group_dn = "cn=nope,ou=groups,dc=example,dc=org".into()).await;
    let (label, _, hint) = failed(&r);
    assert_eq!(label, "Read admin group");
    assert!(hint.contains("admin group"), "{hint}");
    let mut d = base.clone();
    d.settings.admin_group_dn = String::new();
    let r = check::run(&d, Some("nobody"), false).await;
    let (label, _, _) = failed(&r);
    assert_eq!(label, "Look up person");

    // The size limit: a service account not allowed to page past it.
    let limited = Slapd::start_with(SlapdOptions {
        people: 55,
        service_pages_unlimited: false,
        ..SlapdOptions::default()
    })
    .await;
    let mut d = limited.resolved();
    d.settings.page_size = 20;
    let r = check::run(&d, None, false).await;
    let (label, reply, hint) = failed(&r);
    assert_eq!(label, "Find people");
    assert!(reply.starts_with("result 4"), "{reply}");
    assert!(hint.contains("size limit"), "{hint}");

    // StartTLS refused by a server without TLS.
    let no_tls = Slapd::start_with(SlapdOptions {
        tls: false,
        ..SlapdOptions::default()
    })
    .await;
    let r = check::run(&no_tls.resolved(), None, false).await;
    let (label, reply, hint) = failed(&r);
    assert_eq!(label, "TLS (StartTLS)");
    assert!(reply.contains("refused StartTLS"), "{reply}");
    assert!(hint.contains("ldaps://"), "{hint}");

    // The server down: the first step fails.
    slapd.stop();
    let r = check::run(&base, None, false).await;
    let (label, reply, hint) = failed(&r);
    assert_eq!(label, "Connect");
    assert!(reply.contains("can't connect"), "{reply}");
    assert!(hint.contains("port"), "{hint}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_says_when_the_service_account_may_not_write_passwords() {
    let slapd = Slapd::start_with(SlapdOptions {
        service_writes_passwords: false,
        ..SlapdOptions::default()
    })
    .await;
    let r = check::run(&slapd.resolved(), Some("bob"), true).await;
    let (label, reply, hint) = failed(&r);
    assert_eq!(label, "May change passwords");
    assert!(reply.starts_with("result 50"), "{reply}");
    assert!(reply.contains(&Slapd::dn("bob")), "{reply}");
    assert!(hint.contains("write access to userPassword"), "{hint}");
    // Without a lookup the probe uses the first person found.
    let r = check::run(&slapd.resolved(), None, true).await;
    assert_eq!(failed(&r).0, "May change passwords");
    // And the client's write fails the same way, changing nothing.
    let bob = Slapd::dn("bob");
    match slapd
        .directory()
        .set_password(&bob, &secret("a brand new password"), false)
        .await
    {
        Err(DirectoryError::Ldap { code: 50, .. }) => {}
        other => panic!("expected insufficient access (50), got {other:?}"),
    }
    assert!(slapd.bind_ok(&bob, BOB_PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_failures_lock_the_account() {
    let slapd = Slapd::start().await;
    let dir = slapd.directory();
    let bob = Slapd::dn("bob");
    // The policy: locked after 5 failures; then even the right password is refused as locked.
    for _ in 0..5 {
        assert_eq!(
            dir.verify_password(&bob, &secret("guess")).await.unwrap(),
            BindOutcome::Invalid
        );
    }
    assert_eq!(
        dir.verify_password(&bob, &secret(BOB_PASSWORD))
            .await
            .unwrap(),
        BindOutcome::Locked
    );
    assert!(!slapd.attr(&bob, "pwdAccountLockedTime").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_as_unreachable() {
    // Accepts TCP connections (the kernel's backlog) but never says a word.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let slapd = Slapd::start().await;
    for security in [Security::Starttls, Security::None] {
        let dir = with(&slapd, |s| {
            s.url = format!("ldap://127.0.0.1:{port}");
            s.security = security;
            s.connect_timeout_secs = 1;
            s.timeout_secs = 1;
        });
        let started = std::time::Instant::now();
        let err = dir.find_person("alice").await.unwrap_err();
        assert!(
            matches!(err, DirectoryError::Unreachable(_)),
            "{security:?}: {err:?}"
        );
        assert!(err.is_transient());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "bounded by the timeouts: {:?}",
            started.elapsed()
        );
    }
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_password_must_be_changed() {
    let slapd = Slapd::start().await;
    let dir = slapd.directory();
    let alice = Slapd::dn("alice");
    // A fresh password (pwdChangedTime set), then a policy where it lives one second.
    dir.set_password(&alice, &secret("fresh password 123"), false)
        .await
        .unwrap();
    slapd.set_attr(ldap::POLICY_DN, "pwdMaxAge", "1").await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    assert_eq!(
        dir.verify_password(&alice, &secret("fresh password 123"))
            .await
            .unwrap(),
        BindOutcome::MustChange
    );
    assert_eq!(
        dir.verify_password(&alice, &secret("not the password"))
            .await
            .unwrap(),
        BindOutcome::Invalid,
        "a wrong password is still just wrong"
    );
}
