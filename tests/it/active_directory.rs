//! Active Directory tenants against a real domain controller — Samba's AD DC, provisioned once
//! per test process (tests/it/common/samba.rs) — a real SMTP server and both databases: the
//! presets, the check, sync (paging, nested admin group, disabled accounts, computers left out),
//! sign-in by sAMAccountName, userPrincipalName and mail, every way a password is set ending in
//! a bind against the DC, the domain's refusals in words, and the account states (must change,
//! expired, locked out, disabled). Nothing here is faked on OpenLDAP.

use crate::common;

use std::time::Duration;

use common::samba::{self, TestOu};
use common::smtp::SmtpServer;
use common::{link_in, mail_text, Backend, Browser, TestApp};
use latchkey::directory::{Directory, DirectoryKind, DirectorySettings, Security};
use latchkey::domain::{AccountStatus, Role};
use latchkey::service::admin_reset::{AdminReset, Recipients, ResetKind, When};
use latchkey::service::directory::DirectoryInput;
use latchkey::service::Actor;
use latchkey::store::Tenant;
use secrecy::SecretString;

const WAIT: Duration = Duration::from_secs(20);
/// Passwords meeting the domain's policy (10 characters, three kinds) and Latchkey's.
const ALICE_PASSWORD: &str = "Rabbit hole teatime 1";
const BOB_PASSWORD: &str = "Hammer and nails 42";
const NEW_PASSWORD: &str = "Velvet thunder marmalade 7";
const OTHER_PASSWORD: &str = "Quiet orange bicycle 42";

struct World {
    app: TestApp,
    srv: SmtpServer,
    ou: TestOu,
    tenant: Tenant,
}

/// Connects the tenant as a system administrator would in the console. The first time the
/// type is chosen with the attributes left as the form showed them (OpenLDAP's), so the presets
/// must fill them in; later the stored settings are changed.
async fn connect(
    app: &TestApp,
    tenant: &Tenant,
    ou: &TestOu,
    change: impl FnOnce(&mut DirectorySettings),
) {
    let stored = app.core.directory_settings(tenant).await.unwrap();
    let mut settings = stored.unwrap_or_else(|| DirectorySettings {
        kind: DirectoryKind::ActiveDirectory,
        url: samba::URL.into(),
        security: Security::Starttls,
        extra_ca_pem: ou.dc().ca_pem(),
        bind_dn: samba::SERVICE_DN.into(),
        base_dn: ou.dn.clone(),
        ..DirectorySettings::default()
    });
    settings.bind_password = None;
    change(&mut settings);
    app.core
        .save_directory(
            &Actor::Cli,
            tenant,
            DirectoryInput {
                settings,
                new_bind_password: Some(SecretString::from(samba::SERVICE_PASSWORD.to_owned())),
            },
        )
        .await
        .expect("connect the domain");
}

async fn world_with(backend: Backend, change: impl FnOnce(&mut DirectorySettings)) -> World {
    common::logs::init();
    let ou = TestOu::new().await;
    let app = TestApp::spawn_with(backend, |c| {
        c.mail_poll_interval = "100ms".into();
    })
    .await;
    let srv = common::plain_smtp(&app.core).await;
    // Reset mail goes to the directory's `mail` address.
    let tenant = app.enable_reset(true).await;
    ou.add_person("alice", ALICE_PASSWORD).await;
    ou.add_person("bob", BOB_PASSWORD).await;
    connect(&app, &tenant, &ou, change).await;
    World {
        app,
        srv,
        ou,
        tenant,
    }
}

async fn world(backend: Backend) -> World {
    world_with(backend, |_| {}).await
}

async fn sync(w: &World) -> latchkey::service::directory::SyncReport {
    let r = w
        .app
        .core
        .sync_directory(&Actor::Cli, &w.tenant)
        .await
        .expect("sync");
    assert!(r.ok, "{r:?}");
    r
}

fn mails_to(srv: &SmtpServer, to: &str) -> Vec<String> {
    srv.messages()
        .into_iter()
        .filter(|m| m.rcpt_to.iter().any(|r| r == to))
        .map(|m| m.data)
        .collect()
}

async fn wait_mail(srv: &SmtpServer, to: &str, n: usize) -> String {
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        let mails = mails_to(srv, to);
        if mails.len() >= n {
            return mails[n - 1].clone();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {} mails to {to} arrived",
            mails.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn link_path(w: &World, mail: &str) -> String {
    let link = link_in(mail, "reset?token=").expect("a reset link in the mail");
    link.strip_prefix(w.app.core.config.public_url.as_str())
        .expect("link on the public URL")
        .to_owned()
}

async fn forgot(b: &mut Browser, identifier: &str) -> u16 {
    b.get("/t/default/forgot-password").await;
    b.post("/t/default/forgot-password", &[("identifier", identifier)])
        .await
        .status
}

async fn choose(b: &mut Browser, pw: &str) -> common::Page {
    b.post(
        "/t/default/reset",
        &[("new_password", pw), ("confirm_password", pw)],
    )
    .await
}

/// Asks for a link for `who`, waits for the mail to `to`, opens the link in a new browser.
async fn open_link(w: &World, who: &str, to: &str) -> Browser {
    let before = mails_to(&w.srv, to).len();
    assert_eq!(forgot(&mut w.app.browser(), who).await, 200);
    let mail = wait_mail(&w.srv, to, before + 1).await;
    let mut b = w.app.browser();
    assert_eq!(b.get(&link_path(w, &mail)).await.status, 303);
    b
}

async fn change_own(b: &mut Browser, current: &str, new: &str) -> common::Page {
    b.post(
        "/t/default/account/password",
        &[
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", new),
        ],
    )
    .await
}

on_both_backends!(
    presets_check_and_the_domain_policy,
    sync_pages_nested_admins_disabled_and_computers,
    sign_in_by_account_name_principal_name_and_mail,
    forgot_password_ends_in_a_bind_against_the_domain,
    admin_reset_and_temporary_password_must_be_changed,
    a_change_refused_by_the_history_is_shown_in_words,
    an_expired_password_leads_to_the_change_page,
    a_locked_out_person_resets_and_the_setting_unlocks,
    a_disabled_account_is_refused,
);

async fn presets_check_and_the_domain_policy(backend: Backend) {
    let w = world(backend).await;
    let core = &w.app.core;
    // The type filled in Active Directory's attributes and filter.
    let stored = core.directory_settings(&w.tenant).await.unwrap().unwrap();
    assert_eq!(stored.kind, DirectoryKind::ActiveDirectory);
    assert_eq!(stored.mapping.username, "sAMAccountName");
    assert_eq!(stored.mapping.stable_id, "objectGUID");
    assert_eq!(stored.mapping.sign_in_also, "userPrincipalName");
    assert_eq!(
        (
            stored.mapping.disabled.as_str(),
            stored.mapping.disabled_bits
        ),
        ("userAccountControl", 2)
    );
    assert_eq!(
        stored.user_filter,
        "(&(objectCategory=person)(objectClass=user))"
    );

    let sam = w.ou.sam("alice");
    let report = core
        .check_directory(&Actor::Cli, &w.tenant, Some(&sam), true)
        .await
        .unwrap();
    assert!(report.ok, "{report:#?}");
    let step = |label: &str| {
        report
            .steps
            .iter()
            .find(|s| s.label.to_string() == label)
            .unwrap_or_else(|| panic!("no step {label}: {report:#?}"))
    };
    assert!(
        step("Directory type")
            .reply
            .to_string()
            .contains("Active Directory domain controller"),
        "{report:#?}"
    );
    assert!(
        step("Domain password policy")
            .reply
            .to_string()
            .contains("at least 10 characters"),
        "{report:#?}"
    );
    let policy = report.domain_policy.as_ref().expect("the domain's policy");
    assert_eq!(
        (
            policy.min_length,
            policy.history,
            policy.complexity,
            policy.lockout_threshold
        ),
        (
            samba::MIN_LENGTH,
            samba::HISTORY,
            true,
            samba::LOCKOUT_THRESHOLD
        )
    );
    let may = step("May reset passwords");
    assert!(
        may.reply.to_string().contains("may reset the password")
            && may.reply.to_string().contains("may write pwdLastSet")
            && may.reply.to_string().contains("may write lockoutTime"),
        "{may:?}"
    );
    let person = report.person.as_ref().expect("alice looked up");
    assert_eq!(person.username, sam);
    assert_eq!(person.email.as_deref(), Some(w.ou.mail("alice").as_str()));
    // objectGUID in its canonical text form.
    let g = &person.stable_id;
    assert_eq!(
        g.split('-').map(str::len).collect::<Vec<_>>(),
        vec![8, 4, 4, 4, 12],
        "{g}"
    );
    // Alice, binding as the service account, has no Reset Password right: the check says so.
    let mut settings = core.directory_settings(&w.tenant).await.unwrap().unwrap();
    settings.bind_dn = w.ou.dn_of("alice");
    settings.bind_password = None;
    core.save_directory(
        &Actor::Cli,
        &w.tenant,
        DirectoryInput {
            settings,
            new_bind_password: Some(SecretString::from(ALICE_PASSWORD.to_owned())),
        },
    )
    .await
    .unwrap();
    let lacking = core
        .check_directory(&Actor::Cli, &w.tenant, Some(&w.ou.sam("bob")), true)
        .await
        .unwrap();
    assert!(!lacking.ok);
    let failed = lacking.steps.iter().find(|s| !s.ok).unwrap();
    assert_eq!(
        failed.label.to_string(),
        "May reset passwords",
        "{lacking:#?}"
    );
    assert!(
        failed
            .hint
            .as_ref()
            .is_some_and(|h| h.to_string().contains("Reset Password right")),
        "{failed:?}"
    );
    // The same server set up as OpenLDAP: the check points at the type.
    connect(&w.app, &w.tenant, &w.ou, |s| {
        s.kind = DirectoryKind::OpenLdap;
        s.bind_dn = samba::SERVICE_DN.into();
    })
    .await;
    let wrong_type = core
        .check_directory(&Actor::Cli, &w.tenant, None, false)
        .await
        .unwrap();
    assert!(
        wrong_type
            .steps
            .iter()
            .any(|s| s.hint.as_ref().is_some_and(|h| h
                .to_string()
                .contains("choose the directory type Active Directory"))),
        "{wrong_type:#?}"
    );
}

async fn sync_pages_nested_admins_disabled_and_computers(backend: Backend) {
    // Two people a page: eight people need four pages.
    let w = world_with(backend, |s| s.page_size = 2).await;
    for name in ["carol", "dave", "erin", "frank", "grace"] {
        w.ou.add_person(name, OTHER_PASSWORD).await;
    }
    w.ou.add_computer("ws01").await;
    // Alice is an administrator through a group inside the admin group.
    let inner = w.ou.add_group("helpdesk", &[&w.ou.dn_of("alice")]).await;
    let admins = w.ou.add_group("admins", &[&inner]).await;
    connect(&w.app, &w.tenant, &w.ou, |s| {
        s.page_size = 2;
        s.admin_group_dn = admins.clone();
    })
    .await;
    // Frank is disabled (userAccountControl 514 = 512 + ACCOUNTDISABLE).
    w.ou.dc()
        .set_attr(&w.ou.dn_of("frank"), "userAccountControl", "514")
        .await;
    let report = sync(&w).await;
    assert_eq!((report.people, report.added), (7, 7), "{report:?}");
    let core = &w.app.core;
    let alice = core
        .account_by_username(&w.tenant, &w.ou.sam("alice"))
        .await
        .unwrap();
    assert_eq!(alice.role, Role::TenantAdmin, "nested membership counts");
    assert_eq!(alice.display_name, "alice Example");
    let bob = core
        .account_by_username(&w.tenant, &w.ou.sam("bob"))
        .await
        .unwrap();
    assert_eq!(bob.role, Role::User);
    assert!(bob.in_directory());
    let frank = core
        .account_by_username(&w.tenant, &w.ou.sam("frank"))
        .await
        .unwrap();
    assert_eq!(frank.status, AccountStatus::Disabled);
    assert!(
        core.account_by_username(&w.tenant, &w.ou.sam("ws01"))
            .await
            .is_err(),
        "a computer is not a person"
    );
    // Locked out is not disabled; re-enabled comes back.
    w.ou.lock_out("grace").await;
    w.ou.dc()
        .set_attr(&w.ou.dn_of("frank"), "userAccountControl", "512")
        .await;
    let again = sync(&w).await;
    assert_eq!((again.changed, again.disabled), (1, 0), "{again:?}");
    let grace = core
        .account_by_username(&w.tenant, &w.ou.sam("grace"))
        .await
        .unwrap();
    assert_eq!(grace.status, AccountStatus::Active);
}

async fn sign_in_by_account_name_principal_name_and_mail(backend: Backend) {
    let w = world(backend).await;
    // Not synced: the first sign-in takes the person over.
    for id in [w.ou.sam("bob"), w.ou.upn("bob"), w.ou.mail("bob")] {
        let ok = w.app.browser().login("default", &id, BOB_PASSWORD).await;
        assert_eq!(ok.status, 303, "{id}: {}", ok.body);
    }
    let bob = w
        .app
        .core
        .account_by_username(&w.tenant, &w.ou.sam("bob"))
        .await
        .unwrap();
    assert!(bob.in_directory());
    let wrong = w
        .app
        .browser()
        .login("default", &w.ou.sam("bob"), "Not bobs password 1")
        .await;
    assert_eq!(wrong.status, 401);
    let empty = w.app.browser().login("default", &w.ou.sam("bob"), "").await;
    assert_ne!(empty.status, 303);
}

async fn forgot_password_ends_in_a_bind_against_the_domain(backend: Backend) {
    let w = world(backend).await;
    sync(&w).await;
    let mut b = open_link(&w, &w.ou.sam("bob"), &w.ou.mail("bob")).await;
    let done = choose(&mut b, NEW_PASSWORD).await;
    assert_eq!(
        (done.status, done.location()),
        (303, "/t/default/reset/done"),
        "{}",
        done.body
    );
    // Against the DC itself: the new password opens the domain, the old one doesn't.
    let dc = w.ou.dc();
    assert!(dc.bind_ok(&w.ou.upn("bob"), NEW_PASSWORD).await);
    assert!(dc.bind_ok(&w.ou.dn_of("bob"), NEW_PASSWORD).await);
    assert!(!dc.bind_ok(&w.ou.upn("bob"), BOB_PASSWORD).await);
    assert_eq!(
        w.app
            .browser()
            .login("default", &w.ou.sam("bob"), NEW_PASSWORD)
            .await
            .status,
        303
    );
    // The domain's complexity rule applies to a reset, in words; the link stays usable.
    let mut b = open_link(&w, &w.ou.sam("alice"), &w.ou.mail("alice")).await;
    let simple = choose(&mut b, "only small letters and spaces").await;
    assert_eq!(simple.status, 422, "{}", simple.body);
    assert!(
        simple.body.replace("&#x27;", "'").contains(
            "The domain refused the new password: it does not meet the domain's quality rules"
        ),
        "{}",
        simple.body
    );
    assert!(
        simple.body.contains("characters of three kinds"),
        "{}",
        simple.body
    );
    assert_eq!(choose(&mut b, OTHER_PASSWORD).await.status, 303);
    assert!(dc.bind_ok(&w.ou.upn("alice"), OTHER_PASSWORD).await);
}

async fn admin_reset_and_temporary_password_must_be_changed(backend: Backend) {
    let w = world(backend).await;
    sync(&w).await;
    let core = &w.app.core;
    let campaign = |kind: ResetKind, who: String| AdminReset {
        kind,
        when: When::Now,
        valid_for_secs: 86_400,
        recipients: Recipients::Identifiers(vec![who]),
        custom: None,
        may_reset_system_admins: true,
    };
    // A reset link from an administrator.
    core.create_campaign(
        &Actor::Cli,
        &w.tenant,
        campaign(ResetKind::Link, w.ou.sam("alice")),
        None,
    )
    .await
    .unwrap();
    let mail = wait_mail(&w.srv, &w.ou.mail("alice"), 1).await;
    let mut b = w.app.browser();
    assert_eq!(b.get(&link_path(&w, &mail)).await.status, 303);
    assert_eq!(choose(&mut b, NEW_PASSWORD).await.status, 303);
    assert!(w.ou.dc().bind_ok(&w.ou.upn("alice"), NEW_PASSWORD).await);

    // A temporary password: set with "must change at next logon".
    core.create_campaign(
        &Actor::Cli,
        &w.tenant,
        campaign(ResetKind::TemporaryPassword, w.ou.sam("bob")),
        None,
    )
    .await
    .unwrap();
    let text = mail_text(&wait_mail(&w.srv, &w.ou.mail("bob"), 1).await);
    let temp = text
        .split_whitespace()
        .find(|t| t.len() == 23 && t.matches('-').count() == 3)
        .unwrap_or_else(|| panic!("no temporary password in {text}"))
        .to_owned();
    let dn = w.ou.dn_of("bob");
    let dc = w.ou.dc();
    assert_eq!(dc.attr(&dn, "pwdLastSet").await, vec!["0".to_owned()]);
    let (rc, said) = dc.bind(&w.ou.upn("bob"), &temp).await;
    assert!(rc == 49 && said.contains("data 773"), "{rc} {said}");
    // Signing in with it leads to "change your password" (old and new), not a dead end.
    let mut b = w.app.browser();
    let signed = b.login("default", &w.ou.sam("bob"), &temp).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert!(
        signed.location().contains("must-change"),
        "{}",
        signed.location()
    );
    let changed = change_own(&mut b, &temp, NEW_PASSWORD).await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert!(dc.bind_ok(&w.ou.upn("bob"), NEW_PASSWORD).await);
    assert_ne!(dc.attr(&dn, "pwdLastSet").await, vec!["0".to_owned()]);
}

async fn a_change_refused_by_the_history_is_shown_in_words(backend: Backend) {
    let w = world(backend).await;
    sync(&w).await;
    let mut b = w.app.browser();
    assert_eq!(
        b.login("default", &w.ou.sam("alice"), ALICE_PASSWORD)
            .await
            .status,
        303
    );
    b.get("/t/default/account").await;
    let wrong = change_own(&mut b, "Not the password 1", NEW_PASSWORD).await;
    assert_eq!(wrong.status, 422, "{}", wrong.body);
    let ok = change_own(&mut b, ALICE_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let dc = w.ou.dc();
    assert!(dc.bind_ok(&w.ou.upn("alice"), NEW_PASSWORD).await);
    assert!(!dc.bind_ok(&w.ou.upn("alice"), ALICE_PASSWORD).await);
    // Back to the old one: the domain's history rule refuses it, shown in words with the policy.
    let again = change_own(&mut b, NEW_PASSWORD, ALICE_PASSWORD).await;
    assert_eq!(again.status, 422, "{}", again.body);
    // The apostrophe reads either way (escaped as a value, or as the catalogue's own text).
    let body = again.body.replace("&#x27;", "'");
    for words in [
        "The domain refused the new password: it was used recently",
        "The domain's policy: at least 10 characters",
        "not one of the last 3 passwords",
    ] {
        assert!(body.contains(words), "{words}: {}", again.body);
    }
    assert!(dc.bind_ok(&w.ou.upn("alice"), NEW_PASSWORD).await);
}

async fn an_expired_password_leads_to_the_change_page(backend: Backend) {
    let w = world(backend).await;
    sync(&w).await;
    let dc = w.ou.dc();
    dc.expire_password(&w.ou.dn_of("bob"));
    let (rc, said) = dc.bind(&w.ou.upn("bob"), BOB_PASSWORD).await;
    assert!(
        rc == 49 && said.contains("data 532"),
        "expired: {rc} {said}"
    );
    let mut b = w.app.browser();
    // A wrong password says nothing about the expiry.
    assert_eq!(
        b.login("default", &w.ou.sam("bob"), "Not bobs password 1")
            .await
            .status,
        401
    );
    let signed = b.login("default", &w.ou.sam("bob"), BOB_PASSWORD).await;
    assert_eq!(signed.status, 303, "{}", signed.body);
    assert!(
        signed.location().contains("must-change"),
        "{}",
        signed.location()
    );
    let changed = change_own(&mut b, BOB_PASSWORD, NEW_PASSWORD).await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    assert!(dc.bind_ok(&w.ou.upn("bob"), NEW_PASSWORD).await);
    assert!(!dc.bind_ok(&w.ou.upn("bob"), BOB_PASSWORD).await);
}

async fn a_locked_out_person_resets_and_the_setting_unlocks(backend: Backend) {
    let w = world(backend).await;
    sync(&w).await;
    let dc = w.ou.dc();
    w.ou.lock_out("bob").await;
    // Locked out: the right password doesn't sign in…
    let refused = w
        .app
        .browser()
        .login("default", &w.ou.sam("bob"), BOB_PASSWORD)
        .await;
    assert_eq!(refused.status, 401);
    // …but "Forgot password?" still works. Without "unlock on reset" the lockout stays.
    let mut b = open_link(&w, &w.ou.sam("bob"), &w.ou.mail("bob")).await;
    assert_eq!(choose(&mut b, NEW_PASSWORD).await.status, 303);
    let (_, said) = dc.bind(&w.ou.upn("bob"), NEW_PASSWORD).await;
    assert!(said.contains("data 775"), "still locked: {said}");

    // With the setting, a reset unlocks.
    connect(&w.app, &w.tenant, &w.ou, |s| s.unlock_on_reset = true).await;
    w.ou.lock_out("alice").await;
    let mut b = open_link(&w, &w.ou.mail("alice"), &w.ou.mail("alice")).await;
    assert_eq!(choose(&mut b, NEW_PASSWORD).await.status, 303);
    assert!(dc.bind_ok(&w.ou.upn("alice"), NEW_PASSWORD).await);
    assert_eq!(
        dc.attr(&w.ou.dn_of("alice"), "lockoutTime").await,
        vec!["0".to_owned()]
    );
    assert_eq!(
        w.app
            .browser()
            .login("default", &w.ou.upn("alice"), NEW_PASSWORD)
            .await
            .status,
        303
    );
}

async fn a_disabled_account_is_refused(backend: Backend) {
    let w = world(backend).await;
    sync(&w).await;
    // Disabled in the domain after the sync: the bind says so (533) and sign-in is refused.
    let dc = w.ou.dc();
    dc.set_attr(&w.ou.dn_of("bob"), "userAccountControl", "514")
        .await;
    let (_, said) = dc.bind(&w.ou.upn("bob"), BOB_PASSWORD).await;
    assert!(said.contains("data 533"), "{said}");
    let refused = w
        .app
        .browser()
        .login("default", &w.ou.sam("bob"), BOB_PASSWORD)
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    // No reset link for a disabled person (the worker reads the person again first).
    assert_eq!(forgot(&mut w.app.browser(), &w.ou.sam("bob")).await, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(mails_to(&w.srv, &w.ou.mail("bob")).is_empty());
    // The next sync disables the account.
    sync(&w).await;
    let bob = w
        .app
        .core
        .account_by_username(&w.tenant, &w.ou.sam("bob"))
        .await
        .unwrap();
    assert_eq!(bob.status, AccountStatus::Disabled);
}

/// Without encryption Active Directory takes no password: Latchkey refuses before trying, and
/// the check says what to do.
#[tokio::test]
async fn active_directory_passwords_need_an_encrypted_connection() {
    common::logs::init();
    let ou = TestOu::new().await;
    let dn = ou.add_person("henry", BOB_PASSWORD).await;
    let mut settings = ou.settings();
    settings.security = Security::None;
    let dir = Directory::new(samba::resolved(settings));
    let e = dir
        .set_password(&dn, &SecretString::from(NEW_PASSWORD.to_owned()), false)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("encrypted connection"), "{e}");
    let report = latchkey::directory::check::run(&dir.resolved, None, false).await;
    assert!(!report.ok);
    let failed = report.steps.iter().find(|s| !s.ok).unwrap();
    assert!(
        failed
            .hint
            .as_ref()
            .is_some_and(|h| h.to_string().contains("encrypted connection")),
        "{report:#?}"
    );
    // A service account locked out in the domain: the check reads the bind's sub-code.
    ou.add_person("ivy", OTHER_PASSWORD).await;
    ou.lock_out("ivy").await;
    let mut settings = ou.settings();
    settings.bind_dn = ou.dn_of("ivy");
    let locked = latchkey::directory::check::run(
        &latchkey::directory::ResolvedDirectory {
            settings,
            bind_password: Some(SecretString::from(OTHER_PASSWORD.to_owned())),
        },
        None,
        false,
    )
    .await;
    let failed = locked.steps.iter().find(|s| !s.ok).unwrap();
    assert_eq!(failed.label.to_string(), "Bind as service account");
    assert!(
        failed
            .hint
            .as_ref()
            .is_some_and(|h| h.to_string().contains("is locked out")),
        "{locked:#?}"
    );
    // Over LDAPS all works, the person's own change included.
    let mut settings = ou.settings();
    settings.url = samba::LDAPS_URL.into();
    settings.security = Security::Ldaps;
    let dir = Directory::new(samba::resolved(settings));
    dir.change_own_password(
        &dn,
        &SecretString::from(BOB_PASSWORD.to_owned()),
        &SecretString::from(NEW_PASSWORD.to_owned()),
    )
    .await
    .unwrap();
    assert!(ou.dc().bind_ok(&dn, NEW_PASSWORD).await);
    let wrong = dir
        .change_own_password(
            &dn,
            &SecretString::from(BOB_PASSWORD.to_owned()),
            &SecretString::from(OTHER_PASSWORD.to_owned()),
        )
        .await
        .unwrap_err();
    assert_eq!(wrong, latchkey::directory::DirectoryError::WrongPassword);
}

/// The faces stay thin: the command line and the console's Directory page choose the type and
/// the service fills in its presets; the check and a sync then work against the domain.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_and_the_console_connect_an_active_directory() {
    use crate::cli::{json, latchkey, latchkey_stdin};
    common::logs::init();
    let ou = TestOu::new().await;
    ou.add_person("alice", ALICE_PASSWORD).await;
    ou.add_person("bob", BOB_PASSWORD).await;

    let db = common::TestDb::new(Backend::Sqlite).await;
    latchkey(&db, &["migrate"]).ok();
    latchkey(&db, &["tenant", "create", "acme"]).ok();
    let ca = db.dir.path().join("dc-ca.pem");
    std::fs::write(&ca, ou.dc().ca_pem()).unwrap();
    let set = json(
        &latchkey_stdin(
            &db,
            &[
                "directory",
                "set",
                "--tenant",
                "acme",
                "--kind",
                "active_directory",
                "--url",
                samba::URL,
                "--ca-file",
                ca.to_str().unwrap(),
                "--bind-dn",
                samba::SERVICE_DN,
                "--bind-password-stdin",
                "--base-dn",
                &ou.dn,
                "--unlock-on-reset",
                "true",
                "--json",
            ],
            samba::SERVICE_PASSWORD,
        )
        .ok(),
    );
    assert_eq!(set["kind"], "active_directory", "{set}");
    assert_eq!(set["mapping"]["username"], "sAMAccountName", "{set}");
    assert_eq!(set["unlock_on_reset"], true, "{set}");
    let check = latchkey(
        &db,
        &[
            "directory",
            "check",
            "--tenant",
            "acme",
            "--lookup",
            &ou.upn("alice"),
        ],
    )
    .ok();
    for words in [
        "Active Directory domain controller",
        "at least 10 characters",
        &ou.mail("alice"),
    ] {
        assert!(check.contains(words), "{words}: {check}");
    }
    let synced = json(&latchkey(&db, &["directory", "sync", "--tenant", "acme", "--json"]).ok());
    assert_eq!(synced["added"], 2, "{synced}");

    // The console: a system administrator picks the type and leaves the attributes as shown.
    let app = TestApp::spawn(Backend::Sqlite).await;
    let tenant = app.default_tenant().await;
    app.user_with(&tenant, "root", common::GOOD_PASSWORD, Role::SystemAdmin)
        .await;
    let mut b = app.browser();
    assert_eq!(
        b.login("default", "root", common::GOOD_PASSWORD)
            .await
            .status,
        303
    );
    let page = b.get("/t/default/admin/directory").await;
    assert!(
        page.body.contains("Active Directory (or Samba AD)"),
        "{}",
        page.body
    );
    let d = DirectorySettings::default();
    let m = &d.mapping;
    let ca_pem = ou.dc().ca_pem();
    let saved = b
        .post(
            "/t/default/admin/directory",
            &[
                ("kind", "active_directory"),
                ("url", samba::URL),
                ("security", "starttls"),
                ("extra_ca_pem", ca_pem.as_str()),
                ("bind_dn", samba::SERVICE_DN),
                ("bind_password", samba::SERVICE_PASSWORD),
                ("base_dn", ou.dn.as_str()),
                ("user_filter", d.user_filter.as_str()),
                ("attr_username", m.username.as_str()),
                ("attr_email", m.email.as_str()),
                ("attr_reset_email", ""),
                ("attr_display_name", m.display_name.as_str()),
                ("attr_stable_id", m.stable_id.as_str()),
                ("attr_disabled", m.disabled.as_str()),
                ("attr_disabled_value", m.disabled_value.as_str()),
                ("attr_disabled_bits", "0"),
                ("attr_sign_in_also", ""),
                ("admin_group_dn", ""),
                ("sync_interval_mins", "60"),
                ("page_size", "500"),
                ("connect_timeout_secs", "5"),
                ("timeout_secs", "15"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let stored = app.core.directory_settings(&tenant).await.unwrap().unwrap();
    assert_eq!(stored.kind, DirectoryKind::ActiveDirectory);
    assert_eq!(
        stored.user_filter,
        "(&(objectCategory=person)(objectClass=user))"
    );
    assert_eq!(stored.mapping.username, "sAMAccountName");
    assert_eq!(stored.mapping.sign_in_also, "userPrincipalName");
    let shown = b.get("/t/default/admin/directory").await;
    assert!(
        shown.body.contains("value=\"active_directory\" selected"),
        "{}",
        shown.body
    );
    let ok = b.login("default", &ou.upn("bob"), BOB_PASSWORD).await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}
