use super::*;
use crate::domain::{AccountStatus, Role};

fn person(id: &str, uid: &str, mail: Option<&str>) -> Person {
    Person {
        dn: format!("uid={uid},ou=people,dc=example,dc=org"),
        stable_id: id.into(),
        username: uid.into(),
        email: mail.map(Into::into),
        reset_email: None,
        display_name: uid.to_uppercase(),
        disabled: false,
        is_admin: false,
    }
}

fn account(id: i64, uid: &str, mail: Option<&str>, dir: Option<&str>) -> Account {
    Account {
        id,
        tenant_id: 1,
        username: uid.into(),
        display_name: uid.to_uppercase(),
        email: mail.map(Into::into),
        reset_email: None,
        password_hash: dir.is_none().then(|| "$argon2id$x".into()),
        status: AccountStatus::Active,
        must_change_password: false,
        role: Role::User,
        password_changed_at: None,
        temp_password_expires_at: None,
        directory_id: dir.map(Into::into),
        directory_dn: dir.map(|_| format!("uid={uid},ou=people,dc=example,dc=org")),
        language: None,
        time_zone: None,
        created_at: 0,
        updated_at: 0,
        last_login_at: None,
    }
}

const FULL: Rules = Rules {
    full: true,
    admin_group: false,
    keeps_reset_email: true,
};

#[test]
fn new_people_are_added_and_known_ones_left_alone() {
    let existing = [account(1, "alice", Some("alice@example.org"), Some("u-1"))];
    let people = [
        person("u-1", "alice", Some("alice@example.org")),
        person("u-2", "bob", Some("bob@example.org")),
    ];
    let plan = plan(&existing, &people, FULL);
    assert_eq!(
        (
            plan.report.added,
            plan.report.unchanged,
            plan.report.changed
        ),
        (1, 1, 0)
    );
    assert!(
        matches!(&plan.ops[..], [SyncOp::Insert(f)] if f.username == "bob" && f.directory_id == "u-2")
    );
}

#[test]
fn a_renamed_person_keeps_their_account_by_stable_id() {
    let existing = [account(1, "alice", Some("alice@example.org"), Some("u-1"))];
    let people = [person(
        "u-1",
        "alice.smith",
        Some("alice.smith@example.org"),
    )];
    let plan = plan(&existing, &people, FULL);
    assert_eq!(plan.report.changed, 1);
    match &plan.ops[..] {
        [SyncOp::Update {
            id: 1,
            fields,
            link: false,
            cancel_links: true,
            revoke_keys: false,
        }] => {
            assert_eq!(fields.username, "alice.smith");
            assert_eq!(fields.email.as_deref(), Some("alice.smith@example.org"));
        }
        other => panic!("unexpected plan {other:?}"),
    }
}

#[test]
fn people_gone_or_disabled_are_disabled_never_deleted() {
    let existing = [
        account(1, "alice", None, Some("u-1")),
        account(2, "bob", None, Some("u-2")),
        account(3, "local", None, None),
    ];
    let mut bob = person("u-2", "bob", None);
    bob.disabled = true;
    let plan = plan(&existing, &[bob], FULL);
    assert_eq!(plan.report.disabled, 2, "{:?}", plan.ops);
    assert!(plan.ops.contains(&SyncOp::Disable { id: 1 }));
    assert!(plan.ops.iter().any(|op| matches!(op, SyncOp::Update { id: 2, fields, .. } if fields.status == AccountStatus::Disabled)));
    // The local account is not the directory's to disable.
    assert!(!plan
        .ops
        .iter()
        .any(|op| matches!(op, SyncOp::Disable { id: 3 })));
    // A partial plan (one person looked up) disables nobody else.
    let partial = plan_partial(&existing);
    assert_eq!(partial.report.disabled, 0);
}

fn plan_partial(existing: &[Account]) -> Plan {
    plan(
        existing,
        &[person("u-2", "bob", None)],
        Rules {
            full: false,
            ..FULL
        },
    )
}

#[test]
fn a_local_account_is_linked_by_username_and_loses_its_local_hash() {
    let existing = [account(7, "carol", Some("carol@example.org"), None)];
    let plan = plan(
        &existing,
        &[person("u-3", "Carol", Some("carol@EXAMPLE.org"))],
        FULL,
    );
    match &plan.ops[..] {
        [SyncOp::Update {
            id: 7,
            link: true,
            cancel_links: false,
            revoke_keys: false,
            fields,
        }] => {
            assert_eq!(
                fields.username, "carol",
                "usernames are canonical (lowercase)"
            );
            assert_eq!(fields.email.as_deref(), Some("carol@example.org"));
        }
        other => panic!("unexpected plan {other:?}"),
    }
}

#[test]
fn system_administrators_are_never_linked_or_disabled() {
    let mut admin = account(1, "root", Some("root@example.org"), None);
    admin.role = Role::SystemAdmin;
    let plan = plan(&[admin], &[person("u-9", "root", None)], FULL);
    assert!(plan.ops.is_empty(), "{:?}", plan.ops);
    assert_eq!(plan.report.errors.len(), 1);
    assert!(plan.report.errors[0].contains("system administrator"));
}

#[test]
fn conflicts_are_reported_per_person_and_the_rest_goes_on() {
    let existing = [account(1, "alice", Some("shared@example.org"), Some("u-1"))];
    let people = [
        person("u-1", "alice", Some("shared@example.org")),
        person("u-2", "bob", Some("shared@example.org")),
        person("u-3", "bob", None),
        person("", "nobody", None),
        person("u-5", "has space", None),
        person("u-6", "dave", None),
    ];
    let plan = plan(&existing, &people, FULL);
    // bob's address is alice's; the second "bob" is a duplicate name in the directory; one
    // has no stable id; one has a name Latchkey can't take. dave is added all the same.
    assert_eq!(plan.report.errors.len(), 4, "{:?}", plan.report.errors);
    assert!(plan
        .report
        .errors
        .iter()
        .any(|e| e.contains("shared@example.org")));
    assert!(plan
        .report
        .errors
        .iter()
        .any(|e| e.contains("same username")));
    assert_eq!(plan.report.added, 1, "{:?}", plan.ops);
    assert!(matches!(&plan.ops[..], [SyncOp::Insert(f)] if f.username == "dave"));
    assert!(plan.report.ok, "the sync as a whole ran");
}

#[test]
fn the_admin_group_decides_roles_when_set() {
    let existing = [account(1, "alice", None, Some("u-1"))];
    let mut alice = person("u-1", "alice", None);
    alice.is_admin = true;
    let rules = Rules {
        admin_group: true,
        ..FULL
    };
    let plan = plan(&existing, &[alice.clone()], rules);
    assert!(
        matches!(&plan.ops[..], [SyncOp::Update { fields, .. }] if fields.role == Role::TenantAdmin)
    );
    // Without a group the role stays Latchkey's.
    let mut admin_acct = account(1, "alice", None, Some("u-1"));
    admin_acct.role = Role::TenantAdmin;
    alice.is_admin = false;
    let plan = plan_with(&[admin_acct], &[alice], FULL);
    assert!(plan.ops.is_empty(), "{:?}", plan.ops);
}

fn plan_with(existing: &[Account], people: &[Person], rules: Rules) -> Plan {
    plan(existing, people, rules)
}

#[test]
fn a_mapped_reset_address_is_copied_and_an_unmapped_one_kept() {
    let mut existing = account(1, "alice", None, Some("u-1"));
    existing.reset_email = Some("private@example.net".into());
    let mut alice = person("u-1", "alice", None);
    alice.reset_email = Some("other@example.net".into());
    let kept = plan(&[existing.clone()], &[alice.clone()], FULL);
    assert!(kept.ops.is_empty(), "unmapped: Latchkey's address stays");
    let copied = plan(
        &[existing],
        &[alice],
        Rules {
            keeps_reset_email: false,
            ..FULL
        },
    );
    assert!(
        matches!(&copied.ops[..], [SyncOp::Update { fields, cancel_links: true, .. }]
        if fields.reset_email == Some(Some("other@example.net".into())))
    );
}

#[test]
fn an_empty_answer_disables_nobody() {
    let existing = [account(1, "alice", None, Some("u-1"))];
    let plan = plan(&existing, &[], FULL);
    assert!(plan.ops.is_empty(), "{:?}", plan.ops);
    assert!(plan.report.errors[0].contains("nobody was disabled"));
}

// ---- Attacks found by a review (each failed before its fix) ----

/// "Per-person problems ... skip that person only": a linked person whose entry has a problem
/// this sync (here a duplicate entry with the same uid that the server returned first) must not
/// be disabled. Today the linked account is not `matched` and the full sync disables it.
#[test]
fn review_a_per_person_problem_does_not_disable_the_linked_account() {
    let existing = [account(1, "alice", Some("alice@example.org"), Some("u-1"))];
    // Someone able to add an entry under the base (another OU the filter matches) with alice's uid.
    let impostor = person("u-evil", "alice", None);
    let alice = person("u-1", "alice", Some("alice@example.org"));
    let plan = plan(&existing, &[impostor, alice], FULL);
    assert!(
        !plan
            .ops
            .iter()
            .any(|op| matches!(op, SyncOp::Disable { id: 1 })),
        "alice was disabled because of a conflict: {:?} / {:?}",
        plan.ops,
        plan.report.errors
    );
}

/// Same, with the linked person renamed in the directory to a name Latchkey can't take.
#[test]
fn review_an_unacceptable_new_username_does_not_disable_the_linked_account() {
    let existing = [account(1, "alice", None, Some("u-1"))];
    let plan = plan(&existing, &[person("u-1", "alice smith", None)], FULL);
    assert!(
        !plan
            .ops
            .iter()
            .any(|op| matches!(op, SyncOp::Disable { id: 1 })),
        "{:?}",
        plan.ops
    );
}

/// A local tenant administrator (the "break-glass" account the decisions mention) is linked by
/// username to whichever directory person has that uid, and keeps its administrator role.
#[test]
fn review_linking_by_username_does_not_hand_over_an_administrator_role() {
    let mut local_admin = account(1, "admin", Some("it@example.org"), None);
    local_admin.role = Role::TenantAdmin;
    let plan = plan(&[local_admin], &[person("u-7", "admin", None)], FULL);
    assert!(
        !plan.ops.iter().any(|op| matches!(op,
            SyncOp::Update { id: 1, link: true, fields, .. } if fields.role == Role::TenantAdmin)),
        "a directory person took over the local tenant administrator: {:?}",
        plan.ops
    );
}

/// A username reused in the directory (the old person gone, a new hire with the same uid) is
/// never taken over: the old, disabled account keeps the name and every sync reports an error.
#[test]
fn review_a_reused_username_is_taken_over_eventually() {
    let mut old = account(1, "alice", None, Some("u-old"));
    old.status = AccountStatus::Disabled;
    let plan = plan(&[old], &[person("u-new", "alice", None)], FULL);
    assert!(
        plan.report.errors.is_empty(),
        "the new alice can never get an account: {:?}",
        plan.report.errors
    );
}

/// "System administrators are never linked, renamed, disabled or demoted by a sync": a linked
/// account that became a system administrator (accounts.rs allows promoting a directory account
/// in the default tenant) is disabled when the directory says so.
#[test]
fn review_a_linked_system_administrator_is_never_disabled_by_the_directory() {
    let mut root = account(1, "root", None, Some("u-1"));
    root.role = Role::SystemAdmin;
    let mut p = person("u-1", "root", None);
    p.disabled = true;
    let plan = plan(&[root], &[p], FULL);
    assert!(plan.ops.is_empty(), "{:?}", plan.ops);
}

#[test]
fn errors_are_messages_kept_with_the_stored_report_and_english_elsewhere() {
    let existing = [account(1, "alice", Some("shared@example.org"), Some("u-1"))];
    let people = [
        person("u-1", "alice", Some("shared@example.org")),
        person("u-2", "bob", Some("shared@example.org")),
    ];
    let report = plan(&existing, &people, FULL).report;
    let english = "bob: the e-mail address shared@example.org is already another account's";
    assert_eq!(report.errors, vec![english.to_owned()]);
    let Text::Msg(m) = &report.texts()[0] else {
        panic!("{:?}", report.texts())
    };
    assert_eq!(m.id, "dir-sync-err-email-taken");
    assert!(m
        .in_lang(crate::domain::Language::De)
        .starts_with("bob: die E-Mail-Adresse shared@example.org gehört"));
    // The API and the CLI see the English only.
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["errors"], serde_json::json!([english]));
    assert!(json.get("error_texts").is_none() && json.get("error_msgs").is_none());
    // Stored and read back: the messages come back.
    let back = SyncReport::from_stored(&report.stored().unwrap()).unwrap();
    assert_eq!(back, report);
    // A report stored before the messages, or with one this build doesn't know: its English.
    let old = serde_json::to_string(&report).unwrap();
    let unknown = old.replace(
        "\"ok\":true",
        "\"ok\":true,\"error_msgs\":[{\"id\":\"no-such-message\",\"args\":{}}]",
    );
    for stored in [old, unknown] {
        let back = SyncReport::from_stored(&stored).unwrap();
        assert_eq!(back.errors, vec![english.to_owned()]);
        assert_eq!(back.texts(), vec![Text::from(english)], "{stored}");
    }
}
