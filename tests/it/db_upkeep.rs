//! PostgreSQL upkeep Latchkey does itself rather than wait for autovacuum (issue 20): the
//! accounts' planner statistics after an import, those of any table that changed much since its
//! last analysis, and the vacuum of tables with many dead rows. SQLite has nothing to do, so this runs on PostgreSQL only.

use crate::common;

use common::{Backend, TestApp};
use latchkey::service::Actor;

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(app.core.test_store().pool())
        .await
        .unwrap()
}

/// The planner's row count for `accounts`: -1 while it was never analysed.
async fn planned_accounts(app: &TestApp) -> i64 {
    scalar(
        app,
        "SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE oid = 'accounts'::regclass",
    )
    .await
}

/// Autovacuum kept away from `table`, so that what is counted is Latchkey's own doing.
async fn without_autovacuum(app: &TestApp, table: &str) {
    sqlx::query(&format!(
        "ALTER TABLE {table} SET (autovacuum_enabled = false)"
    ))
    .execute(app.core.test_store().pool())
    .await
    .unwrap();
}

/// Imports `n` accounts named `prefix0`, `prefix1` … into `tenant`; how many were imported.
async fn import(app: &TestApp, tenant: &latchkey::store::Tenant, prefix: &str, n: usize) -> usize {
    let mut csv = String::from("username,email\n");
    for i in 0..n {
        csv.push_str(&format!("{prefix}{i},{prefix}{i}@example.org\n"));
    }
    let report = app
        .core
        .import_users(&Actor::Cli, tenant, &csv, false, None)
        .await
        .unwrap();
    report.imported
}

/// A large import is analysed at once, so the reset worker's lookups of many names probe the
/// indexes instead of filtering the whole tenant (the plan for an "empty" table); a small one
/// leaves that to autovacuum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_of_many_accounts_refreshes_their_statistics() {
    let app = quiet_app().await;
    let tenant = app.enable_reset(true).await;
    without_autovacuum(&app, "accounts").await;
    assert_eq!(import(&app, &tenant, "few", 99).await, 99);
    assert_eq!(planned_accounts(&app).await, -1, "99 rows: not analysed");
    assert_eq!(import(&app, &tenant, "many", 150).await, 150);
    assert_eq!(planned_accounts(&app).await, 249, "analysed after 150 rows");
    app.stop().await;
}

/// A directory sync that wrote many accounts has them analysed at once too, as a large import
/// does (the reset worker then finds the people by index from the first request).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_of_many_people_refreshes_the_accounts_statistics() {
    use common::ldap::Slapd;
    common::logs::init();
    let slapd = Slapd::start().await;
    let app = quiet_app().await;
    let tenant = app.default_tenant().await;
    without_autovacuum(&app, "accounts").await;
    for i in 0..120 {
        let uid = format!("person{i:03}");
        slapd
            .add_person(
                &uid,
                &format!("{uid}@example.org"),
                "quiet orange bicycle lantern",
            )
            .await;
    }
    crate::directory::connect(&app, &tenant, slapd.settings()).await;
    let tenant = app.default_tenant().await;
    assert_eq!(
        planned_accounts(&app).await,
        -1,
        "not analysed before the sync"
    );
    let report = app.core.sync_directory(&Actor::Cli, &tenant).await.unwrap();
    // The 120 and the people slapd is seeded with.
    assert!(
        report.added >= 120 && report.errors.is_empty(),
        "{report:?}"
    );
    let planned = planned_accounts(&app).await;
    assert!(planned >= 120, "analysed after the sync: {planned}");
    app.stop().await;
}

/// Rows written to a table of Latchkey's schema by a connection that reports them to
/// PostgreSQL's statistics at once (a backend otherwise reports at most once a second).
async fn write_rows(app: &TestApp, n: i64) {
    run_reported(
        app,
        &format!("INSERT INTO upkeep_probe (n) SELECT g FROM generate_series(1, {n}) AS g"),
    )
    .await;
}

/// Runs `statement` on a connection that reports what it did to PostgreSQL's statistics at once.
async fn run_reported(app: &TestApp, statement: &str) {
    let mut conn = app.core.test_store().pool().acquire().await.unwrap();
    sqlx::query(statement).execute(&mut *conn).await.unwrap();
    sqlx::query("SELECT pg_stat_force_next_flush()")
        .execute(&mut *conn)
        .await
        .unwrap();
}

/// A table that changed by more than 50 rows and a tenth of its rows since its last analysis
/// is analysed again by the upkeep `serve` runs every ten seconds; one that changed less is
/// left to autovacuum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tables_that_changed_much_are_analysed_again() {
    let app = quiet_app().await;
    sqlx::query("CREATE TABLE upkeep_probe (n BIGINT) WITH (autovacuum_enabled = false)")
        .execute(app.core.test_store().pool())
        .await
        .unwrap();
    let planned = || {
        scalar(
            &app,
            "SELECT CAST(reltuples AS BIGINT) FROM pg_class WHERE oid = 'upkeep_probe'::regclass",
        )
    };
    let analysed = || async {
        app.core
            .table_upkeep()
            .await
            .analysed
            .contains(&"upkeep_probe".to_string())
    };
    write_rows(&app, 40).await;
    assert!(!analysed().await, "40 rows: under the threshold");
    assert_eq!(planned().await, -1);
    write_rows(&app, 200).await;
    assert!(analysed().await, "240 changed rows since never");
    assert_eq!(planned().await, 240);
    write_rows(&app, 60).await;
    assert!(!analysed().await, "60 rows: under 50 + 24");
    assert_eq!(planned().await, 240);
    write_rows(&app, 20).await;
    assert!(analysed().await, "80 rows since the last analysis");
    assert_eq!(planned().await, 320);
    // A role that may not analyse the table (it owns neither the table nor the database) leaves
    // it alone: PostgreSQL would only skip its ANALYZE with a warning, every ten seconds.
    write_rows(&app, 100).await;
    let tables = guest_upkeep(&app).await.analysed;
    assert!(!tables.contains(&"upkeep_probe".to_string()), "{tables:?}");
    assert_eq!(planned().await, 320);
    assert!(analysed().await, "the owner's role still does");
    app.stop().await;
}

/// A table of those whose rows come and go (here the counters) with more dead rows than 50 and a
/// fifth of its rows is vacuumed by the same upkeep; one with fewer is left to autovacuum, and so
/// is one the role may not vacuum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn churning_tables_with_many_dead_rows_are_vacuumed() {
    let app = quiet_app().await;
    without_autovacuum(&app, "rate_limits").await;
    let dead = || {
        scalar(
            &app,
            "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'rate_limits'",
        )
    };
    let vacuumed = || async {
        app.core
            .table_upkeep()
            .await
            .vacuumed
            .contains(&"rate_limits".to_string())
    };
    run_reported(
        &app,
        "INSERT INTO rate_limits (key, window_start, count) \
         SELECT 'probe:' || g, g, 1 FROM generate_series(1, 500) AS g",
    )
    .await;
    assert!(!vacuumed().await, "no dead rows");
    // Analysed now: 500 rows, so the threshold is 50 + 100 dead rows.
    let delete = |n: i64| {
        format!("DELETE FROM rate_limits WHERE key LIKE 'probe:%' AND window_start <= {n}")
    };
    run_reported(&app, &delete(100)).await;
    assert_eq!(dead().await, 100);
    assert!(!vacuumed().await, "100 dead rows: under 150");
    assert_eq!(dead().await, 100);
    // A role that may not vacuum the table leaves it alone.
    run_reported(&app, &delete(200)).await;
    let tables = guest_upkeep(&app).await.vacuumed;
    assert!(!tables.contains(&"rate_limits".to_string()), "{tables:?}");
    assert_eq!(dead().await, 200);
    assert!(vacuumed().await, "200 dead rows");
    assert_eq!(dead().await, 0, "the dead rows are taken back");
    // A table that doesn't churn is left to autovacuum, however many dead rows it has.
    sqlx::query("CREATE TABLE upkeep_probe (n BIGINT) WITH (autovacuum_enabled = false)")
        .execute(app.core.test_store().pool())
        .await
        .unwrap();
    write_rows(&app, 500).await;
    run_reported(&app, "DELETE FROM upkeep_probe").await;
    let done = app.core.table_upkeep().await;
    assert!(
        !done.vacuumed.contains(&"upkeep_probe".to_string()),
        "{done:?}"
    );
    assert!(
        done.analysed.contains(&"upkeep_probe".to_string()),
        "{done:?}"
    );
    app.stop().await;
}

/// A PostgreSQL app whose `serve` doesn't run the upkeep itself, so that only the test's calls
/// do (a tick of its own between a test's writes and its call would find nothing left).
async fn quiet_app() -> TestApp {
    TestApp::spawn_with(Backend::Postgres, |c| c.table_upkeep_interval = "0s".into()).await
}

/// What the upkeep does when run as a role of its own that owns nothing in the test's database.
async fn guest_upkeep(app: &TestApp) -> latchkey::store::TableUpkeep {
    let guest = as_guest(app).await;
    let done = guest.table_upkeep().await.unwrap();
    guest.close().await;
    done
}

/// The test's database as a role of its own that owns nothing there.
async fn as_guest(app: &TestApp) -> latchkey::store::Db {
    // The role outlives the test (roles belong to the server): made once, then reused.
    let made = sqlx::query("CREATE ROLE upkeep_guest LOGIN")
        .execute(app.core.test_store().pool())
        .await;
    if let Err(e) = made {
        // Or another run's test made it at the same moment.
        let e = e.to_string();
        assert!(
            e.contains("already exists") || e.contains("duplicate key"),
            "{e}"
        );
    }
    let mut url = url::Url::parse(&app.core.config.database_url).unwrap();
    url.set_username("upkeep_guest").unwrap();
    latchkey::store::Db::connect(url.as_str()).await.unwrap()
}
