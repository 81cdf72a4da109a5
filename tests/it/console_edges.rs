//! The console's small rough edges (issue 17): texts that said the wrong thing, and the
//! settings a first administrator looked for. HTTP and CLI level, on both backends.

use crate::cli::latchkey;
use crate::common;

use common::world::World;
use common::{Backend, TestDb, GOOD_PASSWORD};
use latchkey::domain::Role;
use latchkey::service::Actor;

on_both_backends!(
    a_tenant_name_ending_in_a_full_stop_gets_no_second_one,
    tenant_create_prints_the_login_address_people_use,
    system_smtp_page_says_the_check_tries_the_form,
);

async fn a_tenant_name_ending_in_a_full_stop_gets_no_second_one(backend: Backend) {
    let w = World::builder(backend)
        .user("acme", "boss", Role::TenantAdmin)
        .build()
        .await;
    let mut acme = w.acme.clone();
    let before = acme.settings.clone();
    acme.display_name = "Corp Inc.".into();
    w.app
        .core
        .update_tenant(&Actor::Cli, &acme, &before)
        .await
        .unwrap();
    let mut b = w.app.browser();
    assert_eq!(b.login("acme", "boss", GOOD_PASSWORD).await.status, 303);
    let page = b.get("/t/acme/admin/resets/new?all=1").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("users of Corp Inc. Disabled"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Corp Inc.."), "{}", page.body);
    w.app.stop().await;
}

async fn tenant_create_prints_the_login_address_people_use(backend: Backend) {
    let db = TestDb::new(backend).await;
    // The tenant's own public URL.
    let out = latchkey(
        &db,
        &[
            "tenant",
            "create",
            "acme",
            "--public-url",
            "https://id.acme.example",
        ],
    )
    .ok();
    assert!(
        out.contains("created tenant `acme`: https://id.acme.example/t/acme/login"),
        "{out}"
    );
    assert!(!out.contains("note:"), "{out}");
    // No public URL anywhere: the address is a guess from `listen`, and the output says so.
    let out = latchkey(&db, &["tenant", "create", "globex"]).ok();
    assert!(
        out.contains("http://127.0.0.1:8080/t/globex/login"),
        "{out}"
    );
    assert!(out.contains("note: public_url is not set"), "{out}");
    // The configured one (./latchkey.toml in the working directory).
    std::fs::write(
        db.dir.path().join("latchkey.toml"),
        "public_url = \"https://id.example.org\"\n",
    )
    .unwrap();
    let out = latchkey(&db, &["tenant", "create", "initech"]).ok();
    assert!(
        out.contains("created tenant `initech`: https://id.example.org/t/initech/login"),
        "{out}"
    );
    assert!(!out.contains("note:"), "{out}");
}

async fn system_smtp_page_says_the_check_tries_the_form(backend: Backend) {
    let w = World::builder(backend)
        .user("default", "root", Role::SystemAdmin)
        .build()
        .await;
    let mut b = w.app.browser();
    assert_eq!(b.login("default", "root", GOOD_PASSWORD).await.status, 303);
    let page = b.get("/admin/smtp").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("Save the settings, then press"),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("to try the values in the form before saving"),
        "{}",
        page.body
    );
    w.app.stop().await;
}
