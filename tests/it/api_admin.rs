//! `/api/v1` administration on both backends: changing, disabling, deleting and importing users,
//! creating tenants and reading the audit log. Each endpoint answers success, validation error
//! (with a clear message, nothing changed), unauthenticated, wrong scope and other tenant, and
//! records its changes in the audit log. Administrators' accounts need more than `users:write`.

use crate::common;

use common::{Backend, World, GOOD_PASSWORD};
use latchkey::domain::Role;
use latchkey::store::{self, audit::AuditEvent, Tenant};
use serde_json::{json, Value};

/// What the administration tests read besides the API.
trait Rows {
    async fn state(&self) -> Vec<String>;
    async fn events(&self, tenant: Option<&Tenant>) -> Vec<AuditEvent>;
    async fn sessions_of(&self, username: &str) -> i64;
}

impl Rows for World {
    /// Every tenant, and every account's fields: what a refused call must leave alone.
    async fn state(&self) -> Vec<String> {
        let pool = self.app.core.test_store().pool();
        let mut rows: Vec<String> =
            sqlx::query_scalar("SELECT slug || ' ' || display_name FROM tenants ORDER BY id")
                .fetch_all(pool)
                .await
                .unwrap();
        rows.extend(
            sqlx::query_scalar::<_, String>(
                "SELECT t.slug || ' ' || a.username || ' ' || COALESCE(a.email, '-') || ' ' \
                 || COALESCE(a.reset_email, '-') || ' ' || a.display_name || ' ' || a.role \
                 || ' ' || a.status FROM accounts a JOIN tenants t ON t.id = a.tenant_id ORDER BY a.id",
            )
            .fetch_all(pool)
            .await
            .unwrap(),
        );
        let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
            .fetch_one(pool)
            .await
            .unwrap();
        rows.push(format!("sessions {sessions}"));
        rows
    }

    /// The newest audit events of a tenant (or every one).
    async fn events(&self, tenant: Option<&Tenant>) -> Vec<AuditEvent> {
        self.app.core.recent_audit(tenant, 500).await.unwrap()
    }

    async fn sessions_of(&self, username: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE a.username = $1",
        )
        .bind(username)
        .fetch_one(self.app.core.test_store().pool())
        .await
        .unwrap()
    }
}

/// acme with alice (user, with a reset address) and bob (tenant administrator); other with
/// carol; the default tenant with root (system administrator).
async fn api(backend: Backend) -> World {
    World::builder(backend)
        .user("acme", "alice", Role::User)
        .reset_email("alice.reset@example.net")
        .user("acme", "bob", Role::TenantAdmin)
        .user("other", "carol", Role::User)
        .user("default", "root", Role::SystemAdmin)
        .build()
        .await
}

on_both_backends!(
    change_a_user,
    a_change_lands_whole_or_not_at_all,
    administrators_accounts_need_more_than_users_write,
    delete_a_user,
    import_users,
    create_a_tenant,
    read_the_audit_log,
);

fn code(body: &Value) -> &str {
    body["error"]["code"].as_str().unwrap_or("(no error code)")
}

fn message(body: &Value) -> &str {
    body["error"]["message"].as_str().unwrap_or("")
}

/// The checks every key-protected endpoint shares: no key, a made-up key, a key without the
/// scope and another tenant's key are refused, and change nothing.
async fn refused_without_the_right_key(
    a: &World,
    method: &str,
    path: &str,
    body: Option<&Value>,
    wrong_scope: &str,
    other_tenant: &str,
) {
    let before = a.state().await;
    let (status, err) = a.call(method, path, None, body).await;
    assert_eq!(
        (status, code(&err)),
        (401, "unauthorized"),
        "{method} {path}"
    );
    let (status, _) = a
        .call(
            method,
            path,
            Some("lk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            body,
        )
        .await;
    assert_eq!(status, 401, "{method} {path}");
    let (status, err) = a.call(method, path, Some(wrong_scope), body).await;
    assert_eq!(
        (status, code(&err)),
        (403, "insufficient_scope"),
        "{method} {path}"
    );
    let (status, err) = a.call(method, path, Some(other_tenant), body).await;
    assert_eq!((status, code(&err)), (404, "not_found"), "{method} {path}");
    assert_eq!(
        a.state().await,
        before,
        "a refused {method} {path} changed something"
    );
}

async fn change_a_user(backend: Backend) {
    let a = api(backend).await;
    let (key, actor) = a
        .key_and_actor(Some(&a.acme), &["users:read", "users:write"])
        .await;
    let reader = a.key(Some(&a.acme), &["users:read", "resets:send"]).await;
    let other = a
        .key(
            Some(&a.other),
            &["users:read", "users:write", "settings:write"],
        )
        .await;
    let path = "/api/v1/tenants/acme/users/alice";
    refused_without_the_right_key(
        &a,
        "PATCH",
        path,
        Some(&json!({"display_name": "Mallory"})),
        &reader,
        &other,
    )
    .await;
    // Another tenant's user, through the path, is not found either.
    let (status, _) = a
        .call(
            "PATCH",
            "/api/v1/tenants/other/users/carol",
            Some(&key),
            Some(&json!({"display_name": "X"})),
        )
        .await;
    assert_eq!(status, 404);
    for unknown in ["nobody", "bad%20user"] {
        let (status, err) = a
            .call(
                "PATCH",
                &format!("/api/v1/tenants/acme/users/{unknown}"),
                Some(&key),
                Some(&json!({"display_name": "X"})),
            )
            .await;
        assert_eq!((status, code(&err)), (404, "not_found"), "{unknown}");
    }

    // Success: only the fields given change; null removes the reset address.
    let (status, user) = a
        .call(
            "PATCH",
            path,
            Some(&key),
            Some(&json!({"display_name": "Alice Smith", "email": "alice.smith@example.org", "reset_email": null})),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["display_name"], "Alice Smith");
    assert_eq!(user["email"], "alice.smith@example.org");
    assert!(user["reset_email"].is_null());
    assert_eq!(user["role"], "user");
    assert_eq!(user["status"], "active");
    let (_, read) = a.call("GET", path, Some(&reader), None).await;
    assert_eq!(read, user, "PATCH answers the user as GET does");
    // The old reset address is told, as when an administrator changes it in the console.
    let notices = a
        .app
        .core
        .mail_tasks(&store::mail::Filter {
            tenant_id: Some(a.acme.id),
            recipient: Some("alice.reset@example.net".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(notices.len(), 1, "{notices:?}");
    let (status, user) = a
        .call(
            "PATCH",
            path,
            Some(&key),
            Some(&json!({"reset_email": "alice.new@example.net"})),
        )
        .await;
    assert_eq!(
        (status, user["reset_email"].as_str()),
        (200, Some("alice.new@example.net"))
    );
    assert_eq!(user["display_name"], "Alice Smith", "untouched fields stay");

    // Disable (her sessions end) and enable again.
    assert_eq!(
        a.app
            .browser()
            .login("acme", "alice", GOOD_PASSWORD)
            .await
            .status,
        303
    );
    assert_eq!(a.sessions_of("alice").await, 1);
    let (status, user) = a
        .call("PATCH", path, Some(&key), Some(&json!({"disabled": true})))
        .await;
    assert_eq!((status, user["status"].as_str()), (200, Some("disabled")));
    assert_eq!(a.sessions_of("alice").await, 0);
    assert_ne!(
        a.app
            .browser()
            .login("acme", "alice", GOOD_PASSWORD)
            .await
            .status,
        303,
        "a disabled account can't sign in"
    );
    let (status, user) = a
        .call("PATCH", path, Some(&key), Some(&json!({"disabled": false})))
        .await;
    assert_eq!((status, user["status"].as_str()), (200, Some("active")));
    // An empty change changes nothing and writes nothing to the audit log.
    let events_before = a.events(Some(&a.acme)).await.len();
    let (status, same) = a.call("PATCH", path, Some(&key), Some(&json!({}))).await;
    assert_eq!((status, &same), (200, &user));
    let (status, _) = a
        .call(
            "PATCH",
            path,
            Some(&key),
            Some(&json!({"role": "user", "display_name": "Alice Smith"})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(a.events(Some(&a.acme)).await.len(), events_before);

    // Validation errors: a clear message, and nothing changed.
    let before = a.state().await;
    for (bad, status, expected) in [
        (
            json!({"email": "not-an-address"}),
            422,
            "email: `not-an-address` is not a valid e-mail address",
        ),
        (json!({"reset_email": "x@"}), 422, "reset_email:"),
        (
            json!({"display_name": "two\nlines", "email": "ok@example.org"}),
            422,
            "display_name:",
        ),
        (
            json!({"role": "system-admin"}),
            422,
            "role `system-admin` is not user or tenant-admin",
        ),
        (json!({"role": "boss"}), 422, "is not user or tenant-admin"),
        (json!({"nickname": "x"}), 400, "unknown field `nickname`"),
        (json!({"disabled": "yes"}), 400, "invalid type"),
        (json!({"email": ["a@b.c"]}), 400, "invalid type"),
        (json!([]), 400, "Failed to deserialize the JSON body"),
    ] {
        let (got, err) = a.call("PATCH", path, Some(&key), Some(&bad)).await;
        assert_eq!(got, status, "{bad}: {err}");
        assert!(message(&err).contains(expected), "{bad}: {err}");
    }
    // Someone else's address: a conflict.
    let (status, err) = a
        .call(
            "PATCH",
            path,
            Some(&key),
            Some(&json!({"email": "bob@example.org", "disabled": true})),
        )
        .await;
    assert_eq!((status, code(&err)), (409, "conflict"), "{err}");
    assert_eq!(a.state().await, before);

    // Audited with the key as actor and the client address.
    let events = a.events(Some(&a.acme)).await;
    let mine: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| e.actor == actor && e.target.as_deref() == Some("alice"))
        .collect();
    for action in ["account.updated", "account.disabled", "account.enabled"] {
        let e = mine
            .iter()
            .find(|e| e.action == action)
            .unwrap_or_else(|| panic!("{action} is audited: {events:?}"));
        assert_eq!(e.outcome, "success");
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
    }
    a.app.stop().await;
}

/// A PATCH that changes the profile and the status is one write: when the database refuses part
/// of it (here a trigger refuses disabling), nothing of it lands.
async fn a_change_lands_whole_or_not_at_all(backend: Backend) {
    let a = api(backend).await;
    let key = a.key(Some(&a.acme), &["users:read", "users:write"]).await;
    let pool = a.app.core.test_store().pool();
    let ddl: &[&str] = match backend {
        Backend::Sqlite => &["CREATE TRIGGER refuse_disable BEFORE UPDATE OF status ON accounts \
             WHEN NEW.status = 'disabled' BEGIN SELECT RAISE(ABORT, 'disabling refused by the test'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION refuse_disable() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'disabling refused by the test'; END $$",
            "CREATE TRIGGER refuse_disable BEFORE UPDATE OF status ON accounts FOR EACH ROW \
             WHEN (NEW.status = 'disabled') EXECUTE FUNCTION refuse_disable()",
        ],
    };
    for sql in ddl {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    let path = "/api/v1/tenants/acme/users/alice";
    let before = a.state().await;
    let events_before = a.events(Some(&a.acme)).await.len();
    let (status, err) = a
        .call(
            "PATCH",
            path,
            Some(&key),
            Some(&json!({"display_name": "Mallory", "reset_email": "mallory@example.net", "disabled": true})),
        )
        .await;
    assert_eq!((status, code(&err)), (500, "internal"), "{err}");
    assert_eq!(a.state().await, before, "nothing of the change landed");
    assert_eq!(a.events(Some(&a.acme)).await.len(), events_before);
    let (_, user) = a.call("GET", path, Some(&key), None).await;
    assert_eq!(
        (&user["display_name"], &user["reset_email"], &user["status"]),
        (
            &json!(""),
            &json!("alice.reset@example.net"),
            &json!("active")
        ),
        "{user}"
    );
    // What the database allows still lands whole.
    let (status, user) = a
        .call(
            "PATCH",
            path,
            Some(&key),
            Some(&json!({"display_name": "Alice Smith", "disabled": false})),
        )
        .await;
    assert_eq!(
        (status, &user["display_name"], &user["status"]),
        (200, &json!("Alice Smith"), &json!("active")),
        "{user}"
    );
    a.app.stop().await;
}

async fn administrators_accounts_need_more_than_users_write(backend: Backend) {
    let a = api(backend).await;
    let default = a.app.default_tenant().await;
    let writer = a.key(Some(&a.acme), &["users:read", "users:write"]).await;
    let admin = a
        .key(Some(&a.acme), &["users:write", "settings:write"])
        .await;
    let default_admin = a
        .key(Some(&default), &["users:write", "settings:write"])
        .await;
    let all_writer = a.key(None, &["users:write"]).await;
    let all_admin = a.key(None, &["users:write", "settings:write"]).await;
    let before = a.state().await;
    // users:write alone can't make, change, disable or delete a tenant administrator.
    for (method, path, body) in [
        (
            "PATCH",
            "/api/v1/tenants/acme/users/alice",
            Some(json!({"role": "tenant-admin"})),
        ),
        (
            "PATCH",
            "/api/v1/tenants/acme/users/bob",
            Some(json!({"reset_email": "attacker@example.com"})),
        ),
        (
            "PATCH",
            "/api/v1/tenants/acme/users/bob",
            Some(json!({"disabled": true})),
        ),
        (
            "PATCH",
            "/api/v1/tenants/acme/users/bob",
            Some(json!({"role": "user"})),
        ),
        ("DELETE", "/api/v1/tenants/acme/users/bob", None),
        (
            "POST",
            "/api/v1/tenants/acme/users",
            Some(json!({"username": "dave", "role": "tenant-admin"})),
        ),
    ] {
        for key in [&writer, &all_writer] {
            let (status, err) = a.call(method, path, Some(key), body.as_ref()).await;
            assert_eq!(
                (status, code(&err)),
                (403, "insufficient_scope"),
                "{method} {path} {body:?}"
            );
            assert!(message(&err).contains("settings:write"), "{err}");
        }
    }
    // A system administrator's account: only all-tenants keys (with settings:write).
    for (method, body) in [
        ("PATCH", Some(json!({"email": "attacker@example.com"}))),
        ("PATCH", Some(json!({"disabled": true}))),
        ("DELETE", None),
    ] {
        let path = "/api/v1/tenants/default/users/root";
        let (status, err) = a
            .call(method, path, Some(&default_admin), body.as_ref())
            .await;
        assert_eq!(
            (status, code(&err)),
            (403, "all_tenants_key_required"),
            "{method} {body:?}"
        );
        let (status, err) = a.call(method, path, Some(&all_writer), body.as_ref()).await;
        assert_eq!((status, code(&err)), (403, "insufficient_scope"));
    }
    // Nobody makes a system administrator through the API.
    for key in [&admin, &all_admin] {
        let (status, err) = a
            .call(
                "PATCH",
                "/api/v1/tenants/acme/users/alice",
                Some(key),
                Some(&json!({"role": "system-admin"})),
            )
            .await;
        assert_eq!((status, code(&err)), (422, "validation_failed"));
    }
    let (status, _) = a
        .call(
            "PATCH",
            "/api/v1/tenants/default/users/root",
            Some(&all_admin),
            Some(&json!({"role": "system-admin"})),
        )
        .await;
    assert_eq!(status, 200, "naming the current role is no change");
    assert_eq!(a.state().await, before);
    // With settings:write it works.
    let (status, user) = a
        .call(
            "PATCH",
            "/api/v1/tenants/acme/users/alice",
            Some(&admin),
            Some(&json!({"role": "tenant-admin"})),
        )
        .await;
    assert_eq!((status, user["role"].as_str()), (200, Some("tenant-admin")));
    let (status, user) = a
        .call(
            "PATCH",
            "/api/v1/tenants/acme/users/bob",
            Some(&admin),
            Some(&json!({"role": "user"})),
        )
        .await;
    assert_eq!((status, user["role"].as_str()), (200, Some("user")));
    let (status, user) = a
        .call(
            "PATCH",
            "/api/v1/tenants/default/users/root",
            Some(&all_admin),
            Some(&json!({"display_name": "Root"})),
        )
        .await;
    assert_eq!((status, user["display_name"].as_str()), (200, Some("Root")));
    let events = a.events(Some(&a.acme)).await;
    assert!(events.iter().any(|e| e.action == "account.updated"
        && e.target.as_deref() == Some("alice")
        && e.detail.contains("tenant-admin")));
    a.app.stop().await;
}

async fn delete_a_user(backend: Backend) {
    let a = api(backend).await;
    let (key, actor) = a
        .key_and_actor(Some(&a.acme), &["users:read", "users:write"])
        .await;
    let reader = a.key(Some(&a.acme), &["users:read"]).await;
    let other = a.key(Some(&a.other), &["users:write"]).await;
    let path = "/api/v1/tenants/acme/users/alice";
    refused_without_the_right_key(&a, "DELETE", path, None, &reader, &other).await;
    let (status, far) = a
        .call(
            "GET",
            "/api/v1/tenants/acme/users?offset=9223372036854775807",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!(status, 200, "a far-out offset is an empty page: {far}");
    for unknown in ["nobody", "bad%20user", "carol"] {
        let before = a.state().await;
        let (status, err) = a
            .call(
                "DELETE",
                &format!("/api/v1/tenants/acme/users/{unknown}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!((status, code(&err)), (404, "not_found"), "{unknown}");
        assert_eq!(a.state().await, before);
    }
    assert_eq!(
        a.app
            .browser()
            .login("acme", "alice", GOOD_PASSWORD)
            .await
            .status,
        303
    );
    assert_eq!(a.sessions_of("alice").await, 1);
    let (status, body) = a.call("DELETE", path, Some(&key), None).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(body, Value::String(String::new()), "no body");
    assert_eq!(a.call("GET", path, Some(&reader), None).await.0, 404);
    assert!(
        a.state().await.contains(&"sessions 0".to_owned()),
        "her session ended with the account"
    );
    let (status, err) = a.call("DELETE", path, Some(&key), None).await;
    assert_eq!((status, code(&err)), (404, "not_found"));
    let events = a.events(Some(&a.acme)).await;
    let e = events
        .iter()
        .find(|e| e.action == "account.deleted")
        .expect("the deletion is audited");
    assert_eq!(
        (e.actor.as_str(), e.target.as_deref(), e.outcome.as_str()),
        (actor.as_str(), Some("alice"), "success")
    );
    a.app.stop().await;
}

async fn import_users(backend: Backend) {
    let a = api(backend).await;
    let (key, actor) = a
        .key_and_actor(Some(&a.acme), &["users:read", "users:write"])
        .await;
    let admin = a
        .key(Some(&a.acme), &["users:write", "settings:write"])
        .await;
    let reader = a.key(Some(&a.acme), &["users:read"]).await;
    let other = a.key(Some(&a.other), &["users:write"]).await;
    let path = "/api/v1/tenants/acme/users/import";
    let csv = "username,email,display_name\r\nDan,dan@example.org,\"Dan, the Man\"\r\neve,,Eve\r\n";
    refused_without_the_right_key(
        &a,
        "POST",
        path,
        Some(&json!({"csv": csv})),
        &reader,
        &other,
    )
    .await;

    // A dry run checks and changes nothing (and isn't audited).
    let before = a.state().await;
    let events_before = a.events(Some(&a.acme)).await.len();
    let (status, report) = a
        .call(
            "POST",
            path,
            Some(&key),
            Some(&json!({"csv": csv, "dry_run": true})),
        )
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["dry_run"], true);
    assert_eq!(report["imported"], 0);
    assert_eq!(report["rows"].as_array().unwrap().len(), 2);
    assert_eq!(report["rows"][0]["line"], 2);
    assert_eq!(report["rows"][0]["display_name"], "Dan, the Man");
    assert!(report["rows"][0]["errors"].as_array().unwrap().is_empty());
    assert_eq!(a.state().await, before);
    assert_eq!(a.events(Some(&a.acme)).await.len(), events_before);

    // Errors: nothing is imported, and each bad row says why.
    for (bad, expected_row, expected) in [
        (
            "username,email\nfrank,frank@example.org\ngina,not-an-address\n",
            Some(1),
            "email:",
        ),
        (
            "username,email\nfrank,frank@example.org\nalice,\n",
            Some(1),
            "a user `alice` already exists",
        ),
        (
            "username\nfrank\nfrank\n",
            Some(1),
            "already on line 2 of the file",
        ),
        (
            "username,role\nfrank,user\nroot2,system-admin\n",
            Some(1),
            "can't be imported",
        ),
        // A tenant administrator needs settings:write as well.
        (
            "username,role\nfrank,user\nhelen,tenant-admin\n",
            Some(1),
            "settings:write",
        ),
        ("", None, "empty"),
        ("nickname\nfrank\n", None, "`nickname` is not one of"),
    ] {
        let (status, res) = a
            .call("POST", path, Some(&key), Some(&json!({"csv": bad})))
            .await;
        assert_eq!(
            (status, code(&res)),
            (422, "validation_failed"),
            "{bad}: {res}"
        );
        assert!(message(&res).starts_with("Nothing was imported"), "{res}");
        assert_eq!(res["report"]["imported"], 0);
        match expected_row {
            Some(i) => {
                let errors = res["report"]["rows"][i]["errors"].to_string();
                assert!(errors.contains(expected), "{bad}: {res}");
                assert!(res["report"]["rows"][0]["errors"]
                    .as_array()
                    .unwrap()
                    .is_empty());
            }
            None => assert!(
                res["report"]["file_error"]
                    .as_str()
                    .unwrap()
                    .contains(expected),
                "{bad}: {res}"
            ),
        }
    }
    for (bad, expected) in [
        (json!({"csv": csv, "dry_run": "no"}), "invalid type"),
        (json!({"csv": csv, "tenant": "other"}), "unknown field"),
        (json!({"dry_run": true}), "missing field `csv`"),
        (json!({"csv": ["username", "x"]}), "invalid type"),
    ] {
        let (status, err) = a.call("POST", path, Some(&key), Some(&bad)).await;
        assert_eq!((status, code(&err)), (400, "invalid_json"), "{bad}");
        assert!(message(&err).contains(expected), "{bad}: {err}");
    }
    // The request size limit bounds the file.
    let mut big = String::from("username\n");
    for i in 0..8000 {
        big.push_str(&format!("user{i}\n"));
    }
    let (status, err) = a
        .call("POST", path, Some(&key), Some(&json!({"csv": big})))
        .await;
    assert_eq!((status, code(&err)), (413, "invalid_json"));
    assert_eq!(a.state().await, before);

    // Success: all rows.
    let (status, report) = a
        .call("POST", path, Some(&key), Some(&json!({"csv": csv})))
        .await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (report["dry_run"].as_bool(), report["imported"].as_i64()),
        (Some(false), Some(2))
    );
    let (_, dan) = a
        .call("GET", "/api/v1/tenants/acme/users/dan", Some(&reader), None)
        .await;
    assert_eq!(dan["email"], "dan@example.org");
    let (status, report) = a
        .call(
            "POST",
            path,
            Some(&admin),
            Some(&json!({"csv": "username,role\nhelen,tenant-admin\n"})),
        )
        .await;
    assert_eq!((status, report["imported"].as_i64()), (200, Some(1)));
    // A user called `import` is reached with its first letter percent-encoded (as in the
    // console): `…/users/import` itself is the import route.
    a.app.user(&a.acme, "import", GOOD_PASSWORD).await;
    let (status, user) = a
        .call(
            "GET",
            "/api/v1/tenants/acme/users/%69mport",
            Some(&reader),
            None,
        )
        .await;
    assert_eq!((status, user["username"].as_str()), (200, Some("import")));
    let events = a.events(Some(&a.acme)).await;
    let imports: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| e.action == "account.imported")
        .collect();
    assert!(imports
        .iter()
        .any(|e| e.actor == actor && e.outcome == "success" && e.detail.contains("\"count\":2")));
    assert!(
        imports.iter().any(|e| e.outcome == "failure"),
        "refused imports are audited too: {imports:?}"
    );
    a.app.stop().await;
}

async fn create_a_tenant(backend: Backend) {
    let a = api(backend).await;
    let (key, actor) = a.key_and_actor(None, &["settings:write"]).await;
    let tenant_key = a
        .key(Some(&a.acme), &["settings:write", "users:write"])
        .await;
    let all_reader = a.key(None, &["users:read", "users:write"]).await;
    let path = "/api/v1/tenants";
    let body = json!({"slug": "beta", "name": "Beta Corp"});
    let before = a.state().await;
    let (status, err) = a.call("POST", path, None, Some(&body)).await;
    assert_eq!((status, code(&err)), (401, "unauthorized"));
    let (status, err) = a.call("POST", path, Some(&all_reader), Some(&body)).await;
    assert_eq!((status, code(&err)), (403, "insufficient_scope"));
    let (status, err) = a.call("POST", path, Some(&tenant_key), Some(&body)).await;
    assert_eq!(
        (status, code(&err)),
        (403, "all_tenants_key_required"),
        "a tenant's key can't create tenants"
    );
    assert!(message(&err).contains("--all-tenants"), "{err}");
    // Validation errors: clear, and nothing created.
    for (bad, status, expected) in [
        (
            json!({"slug": "Beta Corp"}),
            422,
            "tenant name `Beta Corp` is not valid",
        ),
        (json!({"slug": "-beta"}), 422, "is not valid"),
        (json!({"slug": "beta", "name": "two\nlines"}), 422, "name:"),
        (json!({"name": "Beta"}), 400, "missing field `slug`"),
        (
            json!({"slug": "beta", "public_url": "https://evil.example"}),
            400,
            "unknown field `public_url`",
        ),
        (json!({"slug": 7}), 400, "invalid type"),
    ] {
        let (got, err) = a.call("POST", path, Some(&key), Some(&bad)).await;
        assert_eq!(got, status, "{bad}: {err}");
        assert!(message(&err).contains(expected), "{bad}: {err}");
    }
    assert_eq!(a.state().await, before);
    // Success.
    let (status, t) = a.call("POST", path, Some(&key), Some(&body)).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(
        t,
        json!({"slug": "beta", "display_name": "Beta Corp", "enabled": true, "password_reset_enabled": false})
    );
    let (_, t) = a
        .call("POST", path, Some(&key), Some(&json!({"slug": "gamma"})))
        .await;
    assert_eq!(t["display_name"], "gamma", "the name defaults to the slug");
    let (_, listed) = a.call("GET", path, Some(&key), None).await;
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["slug"] == "beta"));
    let beta = a.app.core.tenant("beta").await.unwrap();
    assert!(beta.public_url.is_none());
    // The slug is taken now.
    let before = a.state().await;
    let (status, err) = a.call("POST", path, Some(&key), Some(&body)).await;
    assert_eq!((status, code(&err)), (409, "conflict"));
    assert!(message(&err).contains("beta"), "{err}");
    assert_eq!(a.state().await, before);
    let events = a.events(Some(&beta)).await;
    assert!(
        events.iter().any(|e| e.action == "tenant.created"
            && e.actor == actor
            && e.target.as_deref() == Some("beta")
            && e.ip.is_some()),
        "{events:?}"
    );
    a.app.stop().await;
}

async fn read_the_audit_log(backend: Backend) {
    let a = api(backend).await;
    let (writer, writer_actor) = a.key_and_actor(Some(&a.acme), &["users:write"]).await;
    let auditor = a.key(Some(&a.acme), &["audit:read"]).await;
    let no_scope = a.key(Some(&a.acme), &["users:read", "mail:read"]).await;
    let other = a.key(Some(&a.other), &["audit:read"]).await;
    let all = a.key(None, &["audit:read"]).await;
    let all_without = a.key(None, &["users:read"]).await;
    // Something to read: a user made and changed through the API, and one in the other tenant.
    a.call(
        "POST",
        "/api/v1/tenants/acme/users",
        Some(&writer),
        Some(&json!({"username": "zed"})),
    )
    .await;
    a.call(
        "PATCH",
        "/api/v1/tenants/acme/users/zed",
        Some(&writer),
        Some(&json!({"display_name": "Zed"})),
    )
    .await;
    a.app.user(&a.other, "yves", GOOD_PASSWORD).await;
    let path = "/api/v1/tenants/acme/audit-log";
    refused_without_the_right_key(&a, "GET", path, None, &no_scope, &other).await;

    let before = a.state().await;
    let (status, log) = a.call("GET", path, Some(&auditor), None).await;
    assert_eq!(status, 200, "{log}");
    let events = log["events"].as_array().unwrap();
    assert!(events.iter().all(|e| e["tenant"] == "acme"), "{log}");
    assert!(
        !log.to_string().contains("yves"),
        "no other tenant's events"
    );
    assert!(
        events[0]["id"].as_i64() > events[1]["id"].as_i64(),
        "newest first"
    );
    let updated = events
        .iter()
        .find(|e| e["action"] == "account.updated" && e["target"] == "zed")
        .expect("the change is in the log");
    assert_eq!(updated["actor"], writer_actor);
    assert_eq!(updated["outcome"], "success");
    assert_eq!(updated["ip"], "127.0.0.1");
    assert_eq!(updated["detail"]["changed"], json!(["display_name"]));
    assert!(updated["at"].as_i64().unwrap() > 0);
    assert_eq!(a.state().await, before, "reading changes nothing");

    // The console's filters.
    let get = |query: &str| {
        let path = format!("{path}?{query}");
        let auditor = auditor.clone();
        let a = &a;
        async move { a.call("GET", &path, Some(&auditor), None).await }
    };
    let (_, log) = get("action=account.&target=ZED").await;
    let actions: Vec<&str> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["account.updated", "account.created"], "{log}");
    let (_, log) = get(&format!(
        "actor={}&outcome=success",
        writer_actor.to_uppercase()
    ))
    .await;
    assert_eq!(log["events"].as_array().unwrap().len(), 2, "{log}");
    let (_, page1) = get("limit=1").await;
    assert_eq!(page1["events"].as_array().unwrap().len(), 1);
    assert_eq!(page1["next_offset"], 1);
    let (_, page2) = get("limit=1&offset=1").await;
    assert_ne!(page1["events"][0]["id"], page2["events"][0]["id"]);
    // Far-out offsets are empty pages, not overflows.
    let (status, far) = get("offset=9223372036854775807").await;
    assert_eq!(status, 200, "{far}");
    assert!(far["events"].as_array().unwrap().is_empty());
    let (_, all_of_it) = get("limit=500").await;
    assert!(all_of_it["next_offset"].is_null());
    let (_, future) = get("since=2100-01-01").await;
    assert!(future["events"].as_array().unwrap().is_empty());
    let (_, past) = get("until=2000-01-01T00:00:00Z").await;
    assert!(past["events"].as_array().unwrap().is_empty());
    let (_, today) = get(&format!(
        "since={}&until={}",
        time::OffsetDateTime::from_unix_timestamp(a.app.core.now())
            .unwrap()
            .date(),
        time::OffsetDateTime::from_unix_timestamp(a.app.core.now())
            .unwrap()
            .date()
    ))
    .await;
    assert_eq!(
        today["events"].as_array().unwrap().len(),
        all_of_it["events"].as_array().unwrap().len()
    );
    for (bad, status, expected) in [
        ("since=yesterday", 422, "since: `yesterday` is not a date"),
        ("until=2026-13-01", 422, "until:"),
        ("outcome=maybe", 422, "outcome `maybe` is not one of"),
        ("limit=0", 422, "limit must be 1–500"),
        ("limit=501", 422, "limit must be 1–500"),
        ("offset=-1", 422, "offset at least 0"),
        ("limit=abc", 400, "limit"),
        ("tenant=other", 400, "unknown field"),
    ] {
        let (got, err) = get(bad).await;
        assert_eq!(got, status, "{bad}: {err}");
        assert!(message(&err).contains(expected), "{bad}: {err}");
    }

    // The system-wide log: all-tenants keys with audit:read only.
    let system = "/api/v1/audit-log";
    let (status, err) = a.call("GET", system, None, None).await;
    assert_eq!((status, code(&err)), (401, "unauthorized"));
    let (status, err) = a.call("GET", system, Some(&auditor), None).await;
    assert_eq!((status, code(&err)), (403, "all_tenants_key_required"));
    let (status, err) = a.call("GET", system, Some(&all_without), None).await;
    assert_eq!((status, code(&err)), (403, "insufficient_scope"));
    let (status, log) = a
        .call("GET", &format!("{system}?limit=500"), Some(&all), None)
        .await;
    assert_eq!(status, 200, "{log}");
    let tenants: Vec<&Value> = log["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["tenant"])
        .collect();
    assert!(tenants.contains(&&json!("acme")));
    assert!(tenants.contains(&&json!("other")));
    assert!(tenants.contains(&&Value::Null), "system events too");
    let (_, log) = a
        .call("GET", &format!("{system}?tenant=other"), Some(&all), None)
        .await;
    assert!(log["events"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["tenant"] == "other"));
    assert!(log.to_string().contains("yves"));
    let (status, err) = a
        .call("GET", &format!("{system}?tenant=nope"), Some(&all), None)
        .await;
    assert_eq!((status, code(&err)), (404, "not_found"));
    // No key ever appears in the log.
    let (_, everything) = a
        .call("GET", &format!("{system}?limit=500"), Some(&all), None)
        .await;
    for k in [&writer, &auditor, &all] {
        assert!(!everything.to_string().contains(&k[3..]));
    }
    a.app.stop().await;
}
