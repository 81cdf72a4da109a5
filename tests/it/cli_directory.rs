//! `latchkey directory` as an operator uses it: the real binary against a real slapd, on both
//! backends.

use crate::cli::{json, latchkey, latchkey_stdin};
use crate::common;

use common::ldap::{self, Slapd};
use common::{Backend, TestDb};

on_both_backends!(connect_check_and_sync_from_the_command_line);

async fn connect_check_and_sync_from_the_command_line(backend: Backend) {
    let mut slapd = Slapd::start().await;
    let db = TestDb::new(backend).await;
    latchkey(&db, &["migrate"]).ok();
    latchkey(&db, &["tenant", "create", "acme"]).ok();
    let not = latchkey(&db, &["directory", "show", "--tenant", "acme"]).fails();
    assert!(not.contains("not connected"), "{not}");

    let ca = db.dir.path().join("ldap-ca.pem");
    std::fs::write(&ca, slapd.ca_pem()).unwrap();
    let url = slapd.url();
    let set = latchkey_stdin(
        &db,
        &[
            "directory",
            "set",
            "--tenant",
            "acme",
            "--url",
            &url,
            "--security",
            "starttls",
            "--ca-file",
            ca.to_str().unwrap(),
            "--bind-dn",
            ldap::SERVICE_DN,
            "--bind-password-stdin",
            "--base-dn",
            ldap::PEOPLE_DN,
            "--admin-group",
            ldap::ADMIN_GROUP_DN,
            "--json",
        ],
        ldap::SERVICE_PASSWORD,
    )
    .ok();
    assert!(
        !set.contains(ldap::SERVICE_PASSWORD),
        "the password is never printed"
    );
    let shown = json(&set);
    assert_eq!(shown["bind_password"], "set (encrypted)", "{shown}");
    assert_eq!(shown["url"], url.as_str());

    let check = latchkey(
        &db,
        &[
            "directory",
            "check",
            "--tenant",
            "acme",
            "--lookup",
            "alice",
        ],
    )
    .ok();
    assert!(check.contains("alice@example.org"), "{check}");

    let synced = json(&latchkey(&db, &["directory", "sync", "--tenant", "acme", "--json"]).ok());
    assert_eq!(synced["added"], 2, "{synced}");
    let users = latchkey(&db, &["user", "list", "--tenant", "acme"]).ok();
    assert!(users.contains("alice") && users.contains("bob"), "{users}");
    let alice = json(
        &latchkey(
            &db,
            &["user", "show", "--tenant", "acme", "alice", "--json"],
        )
        .ok(),
    );
    assert_eq!(alice["role"], "tenant-admin", "{alice}");

    // A new URL needs the password again; nothing changed.
    let moved = latchkey(
        &db,
        &[
            "directory",
            "set",
            "--tenant",
            "acme",
            "--url",
            "ldap://127.0.0.1:1",
        ],
    )
    .fails();
    assert!(
        moved.contains("enter the service password again"),
        "{moved}"
    );
    let shown = json(&latchkey(&db, &["directory", "show", "--tenant", "acme", "--json"]).ok());
    assert_eq!(shown["url"], url.as_str());
    assert_eq!(shown["last_sync"]["added"], 2);

    // The directory down: the check fails with status 1, the sync too, and nothing is disabled.
    slapd.stop();
    let failed = latchkey(&db, &["directory", "check", "--tenant", "acme"]).fails();
    assert!(failed.contains("the directory check failed"), "{failed}");
    latchkey(&db, &["directory", "sync", "--tenant", "acme"]).fails();
    let alice = json(
        &latchkey(
            &db,
            &["user", "show", "--tenant", "acme", "alice", "--json"],
        )
        .ok(),
    );
    assert_eq!(alice["status"], "active");

    let removed = latchkey(&db, &["directory", "remove", "--tenant", "acme"]).ok();
    assert!(removed.contains("no longer connected"), "{removed}");
    latchkey(&db, &["directory", "show", "--tenant", "acme"]).fails();
    // Removing it again changes nothing, says so, and records nothing.
    let again = latchkey(&db, &["directory", "remove", "--tenant", "acme", "--json"]).ok();
    assert_eq!(json(&again)["removed"], false, "{again}");
    let events = json(
        &latchkey(
            &db,
            &[
                "audit-log",
                "--tenant",
                "acme",
                "--action",
                "directory.removed",
                "--json",
            ],
        )
        .ok(),
    );
    assert_eq!(events.as_array().map(Vec::len), Some(1), "{events}");
}
