//! Several `latchkey serve` processes on one PostgreSQL behave as one system: sessions, reset
//! links and rate limits hold across instances, settings changed on one apply on the others
//! without a restart, and a campaign of 1,000 mails is delivered once per recipient while
//! instances are killed (SIGKILL) and started during delivery.

use crate::common;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{link_in, Browser, PgDatabase, GOOD_PASSWORD, OTHER_PASSWORD};
use latchkey::domain::{EmailAddress, Role, Username};
use latchkey::service::{Actor, CreateAccount};

const BIN: &str = env!("CARGO_BIN_EXE_latchkey");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One `latchkey serve` process. Killed with SIGKILL when dropped or `kill`ed.
pub(crate) struct Instance {
    child: Child,
    pub(crate) base: String,
    dir: PathBuf,
}

impl Instance {
    fn start(db_url: &str, data: &Path, key: &Path, public_url: &str) -> Self {
        Self::start_with(db_url, data, key, public_url, &[])
    }

    /// As [`Instance::start`], with `env` on top of the test defaults.
    pub(crate) fn start_with(
        db_url: &str,
        data: &Path,
        key: &Path,
        public_url: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let dir = data.join(format!("instance-{port}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = Command::new(BIN);
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("LATCHKEY_") {
                cmd.env_remove(k);
            }
        }
        let child = cmd
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--public-url",
                public_url,
            ])
            .env("LATCHKEY_DATABASE_URL", db_url)
            .env("LATCHKEY_DATA_DIR", &dir)
            .env("LATCHKEY_MASTER_KEY_FILE", key)
            .env("LATCHKEY_ARGON2_MEMORY_KIB", "1024")
            .env("LATCHKEY_ARGON2_ITERATIONS", "1")
            .env("LATCHKEY_MAIL_POLL_INTERVAL", "200ms")
            .env("LATCHKEY_MAIL_LEASE", "10s")
            .env("LATCHKEY_LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR", "3")
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("stderr.log")).unwrap())
            .spawn()
            .expect("start latchkey serve");
        Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            dir,
        }
    }

    pub(crate) async fn ready(self) -> Self {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status() == 200 {
                    return self;
                }
            }
            assert!(
                Instant::now() < deadline,
                "instance {} never became ready: {}",
                self.base,
                std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) fn kill(mut self) {
        let _ = self.child.kill(); // SIGKILL: no graceful shutdown, claimed mail is left behind
        let _ = self.child.wait();
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn session_cookie(page: &common::Page) -> String {
    page.set_cookies()
        .into_iter()
        .find(|c| c.starts_with("latchkey_session="))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .expect("a session cookie")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_one_postgres_behave_as_one_system() {
    let pg = PgDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    let key: PathBuf = dir.path().join("master.key");
    // The "load balancer" address people use: links point here; the test picks instances.
    let public = "http://latchkey.test";
    let a = Instance::start(&pg.url, dir.path(), &key, public)
        .ready()
        .await;
    let b = Instance::start(&pg.url, dir.path(), &key, public)
        .ready()
        .await;

    // The test's own view of the database, for setup and checks.
    let mut config = latchkey::Config {
        database_url: Some(pg.url.clone()),
        data_dir: dir.path().join("test-core"),
        master_key_file: Some(key.clone()),
        public_url: Some(public.into()),
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        mail_worker: false,
        ..latchkey::Config::default()
    };
    config.listen = "127.0.0.1:0".into();
    let core = latchkey::service::Core::open(
        config.validate().unwrap(),
        std::sync::Arc::new(latchkey::clock::SystemClock),
    )
    .await
    .unwrap();
    let mut tenant = core.tenant("default").await.unwrap();
    let new = |name: &str, role: Role, pw: Option<&str>| CreateAccount {
        username: Username::parse(name).unwrap(),
        display_name: None,
        email: Some(EmailAddress::parse(&format!("{name}@example.org")).unwrap()),
        reset_email: None,
        password: pw.map(|p| secrecy::SecretString::from(p.to_owned())),
        role,
    };
    core.create_account(
        &Actor::Cli,
        &tenant,
        new("boss", Role::TenantAdmin, Some(GOOD_PASSWORD)),
    )
    .await
    .unwrap();
    core.create_account(
        &Actor::Cli,
        &tenant,
        new("alice", Role::User, Some(GOOD_PASSWORD)),
    )
    .await
    .unwrap();

    // A session made on A is valid on B.
    let mut on_a = Browser::new(&a.base);
    let login = on_a.login("default", "alice", GOOD_PASSWORD).await;
    assert_eq!(login.status, 303);
    let cookie = session_cookie(&login);
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = plain
        .get(format!("{}/t/default/account", b.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the session from A works on B");

    // Rate limits hold across instances: 3 failures spread over A and B lock the 4th try.
    for base in [&a.base, &b.base, &a.base] {
        assert_eq!(
            Browser::new(base)
                .login("default", "alice", "wrong wrong wrong wrong")
                .await
                .status,
            401
        );
    }
    assert_eq!(
        Browser::new(&b.base)
            .login("default", "alice", GOOD_PASSWORD)
            .await
            .status,
        429
    );
    core.test_store()
        .clear_rate_limit(&format!(
            "login-fail:account:{}",
            core.account_by_username(&tenant, "alice").await.unwrap().id
        ))
        .await
        .unwrap();

    // Settings changed through one instance (here: the database) apply on all without restart.
    let srv = common::plain_smtp(&core).await;
    assert!(!Browser::new(&b.base)
        .get("/t/default/login")
        .await
        .body
        .contains("Forgot password?"));
    let mut boss = Browser::new(&a.base);
    assert_eq!(
        boss.login("default", "boss", GOOD_PASSWORD).await.status,
        303
    );
    let before = tenant.clone();
    tenant.settings.password_reset_enabled = true;
    tenant.settings.reset_fallback_to_primary = true;
    core.update_tenant(&Actor::Cli, &tenant, &before)
        .await
        .unwrap();
    // …within the tenant cache's bound (PostgreSQL: as soon as the NOTIFY arrives).
    for base in [&a.base, &b.base] {
        let took = until_within_bound(base, "/t/default/login", |p| {
            p.body.contains("Forgot password?")
        })
        .await;
        assert!(took <= bound(), "{base}: {took:?}");
    }

    // A reset link issued through A is used on B.
    let mut asker = Browser::new(&a.base);
    asker.get("/t/default/forgot-password").await;
    assert_eq!(
        asker
            .post("/t/default/forgot-password", &[("identifier", "alice")])
            .await
            .status,
        200
    );
    let mails = srv.wait_for_messages(1, Duration::from_secs(15)).await;
    let link = link_in(&mails[0].data, "reset?token=").expect("a reset link");
    let path = link.strip_prefix(public).unwrap().to_owned();
    let mut on_b = Browser::new(&b.base);
    assert_eq!(on_b.get(&path).await.status, 303);
    assert_eq!(
        on_b.post(
            "/t/default/reset",
            &[
                ("new_password", OTHER_PASSWORD),
                ("confirm_password", OTHER_PASSWORD)
            ]
        )
        .await
        .status,
        303
    );
    assert_eq!(
        Browser::new(&a.base)
            .login("default", "alice", OTHER_PASSWORD)
            .await
            .status,
        303
    );
    // …and the reset ended the session everywhere.
    let r = plain
        .get(format!("{}/t/default/account", a.base))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    // A campaign of 1,000 personal mails, delivered while instances die and start.
    let mut names = Vec::new();
    for i in 0..1000 {
        let name = format!("m{i:04}");
        core.create_account(&Actor::Cli, &tenant, new(&name, Role::User, None))
            .await
            .unwrap();
        names.push(name);
    }
    let already = srv.messages().len();
    boss.get("/t/default/admin/resets/new").await;
    let list = names.join("\n");
    let r = boss
        .post(
            "/t/default/admin/resets",
            &[
                ("identifiers", &list),
                ("kind", "request_link"),
                ("when", "now"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let wait_for = |n: usize| {
        let srv = &srv;
        async move {
            let deadline = Instant::now() + Duration::from_secs(90);
            while srv.messages().len() < already + n {
                assert!(
                    Instant::now() < deadline,
                    "only {} of {n} campaign mails arrived",
                    srv.messages().len() - already
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    wait_for(150).await;
    a.kill();
    let c = Instance::start(&pg.url, dir.path(), &key, public)
        .ready()
        .await;
    wait_for(500).await;
    b.kill();
    let d = Instance::start(&pg.url, dir.path(), &key, public)
        .ready()
        .await;
    // Everything arrives, including what the killed instances had claimed (after their lease).
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let counts = core.mail_counts(Some(&tenant), None).await.unwrap();
        let done = counts
            .iter()
            .find(|(s, _)| s == "done")
            .map(|(_, n)| *n)
            .unwrap_or(0);
        if done >= 1000 + already as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "not all delivered: {counts:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let campaign: Vec<_> = srv.messages().into_iter().skip(already).collect();
    let mut recipients: Vec<String> = campaign.iter().map(|m| m.rcpt_to[0].clone()).collect();
    recipients.sort();
    let total = recipients.len();
    recipients.dedup();
    assert_eq!(recipients.len(), 1000, "every recipient got their mail");
    // At most the one mail each killed instance had in flight can arrive twice.
    assert!(total - 1000 <= 2, "{} duplicates for 2 kills", total - 1000);
    drop((c, d));
    srv.stop().await;
    core.close().await;
}

/// How long a change made by another process may take to show: the tenant cache's bound, plus
/// slack for a request on a busy machine.
fn bound() -> Duration {
    latchkey::service::TENANT_CACHE_TTL + Duration::from_millis(1500)
}

/// Asks `path` of `base` until `ok` holds; how long it took. Fails after 10 s.
async fn until_within_bound(
    base: &str,
    path: &str,
    ok: impl Fn(&common::Page) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let page = Browser::new(base).get(path).await;
        if ok(&page) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{base}{path} never changed: {} {}",
            page.status,
            page.body
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Tenants are cached in memory (issue 20); a change made by another process — here the test's
/// own, as the CLI would — takes away access on a running `serve` within the cache's bound, and
/// on the process that made it at once.
async fn tenant_changes_reach_other_processes(db_url: &str, dir: &Path) {
    let key: PathBuf = dir.join("master.key");
    let public = "http://latchkey.test";
    let mut config = latchkey::Config {
        database_url: Some(db_url.to_owned()),
        data_dir: dir.join("test-core"),
        master_key_file: Some(key.clone()),
        public_url: Some(public.into()),
        argon2_memory_kib: 1024,
        argon2_iterations: 1,
        mail_worker: false,
        ..latchkey::Config::default()
    };
    config.listen = "127.0.0.1:0".into();
    let core = latchkey::service::Core::open(
        config.validate().unwrap(),
        std::sync::Arc::new(latchkey::clock::SystemClock),
    )
    .await
    .unwrap();
    let slug = latchkey::domain::TenantSlug::parse("acme").unwrap();
    core.create_tenant(&Actor::Cli, &slug, None, None)
        .await
        .unwrap();
    async fn change(core: &latchkey::service::Core, f: impl Fn(&mut latchkey::store::Tenant)) {
        let mut t = core.tenant("acme").await.unwrap();
        let before = t.clone();
        f(&mut t);
        core.update_tenant(&Actor::Cli, &t, &before).await.unwrap();
    }
    let set = |f: fn(&mut latchkey::store::Tenant)| change(&core, f);
    set(|t| t.settings.password_reset_enabled = true).await;
    let a = Instance::start(db_url, dir, &key, public).ready().await;
    let login = "/t/acme/login";
    let forgot = |p: &common::Page| p.body.contains("Forgot password?");
    // Warm: the instance has acme, reset on, in its cache now.
    until_within_bound(&a.base, login, forgot).await;
    assert!(
        core.enabled_tenant("acme")
            .await
            .unwrap()
            .unwrap()
            .settings
            .password_reset_enabled
    );

    // Reset switched off: at once here, within the bound there.
    set(|t| t.settings.password_reset_enabled = false).await;
    assert!(
        !core
            .enabled_tenant("acme")
            .await
            .unwrap()
            .unwrap()
            .settings
            .password_reset_enabled,
        "the process that made the change sees it at once"
    );
    let took = until_within_bound(&a.base, login, |p| p.status == 200 && !forgot(p)).await;
    assert!(took <= bound(), "reset off showed after {took:?}");
    let took = until_within_bound(&a.base, "/t/acme/forgot-password", |p| {
        !p.body.contains("name=\"identifier\"")
    })
    .await;
    assert!(took <= bound(), "the form still offered after {took:?}");

    // The tenant disabled: at once here, within the bound there.
    until_within_bound(&a.base, login, |p| p.status == 200).await;
    set(|t| t.enabled = false).await;
    assert!(core.enabled_tenant("acme").await.unwrap().is_none());
    let took = until_within_bound(&a.base, login, |p| p.status == 404).await;
    assert!(took <= bound(), "the disabled tenant answered for {took:?}");

    // And enabled again, with reset on (access given back also arrives).
    set(|t| {
        t.enabled = true;
        t.settings.password_reset_enabled = true;
    })
    .await;
    let took = until_within_bound(&a.base, login, forgot).await;
    assert!(took <= bound(), "{took:?}");
    drop(a);
    core.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_changes_reach_other_processes_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("latchkey.db").display()
    );
    tenant_changes_reach_other_processes(&url, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_changes_reach_other_processes_postgres() {
    let pg = PgDatabase::create().await;
    let dir = tempfile::tempdir().unwrap();
    tenant_changes_reach_other_processes(&pg.url, dir.path()).await;
}

/// An instance doesn't hear its own announcement of queued mail (it woke its worker directly;
/// hearing it again cost a whole idle worker round per mail, issue 20's profile of reset
/// completions), and still hears every other instance's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_mail_announcements_are_not_heard_back_postgres() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let pg = PgDatabase::create().await;
    let db = latchkey::store::Db::connect(&pg.url).await.unwrap();
    let heard = Arc::new(AtomicUsize::new(0));
    let listening = {
        let (url, heard) = (pg.url.clone(), heard.clone());
        tokio::spawn(async move {
            latchkey::store::mail::listen_for_mail(&url, "me", || {
                heard.fetch_add(1, Ordering::SeqCst);
            })
            .await
        })
    };
    let until = |n: usize| {
        let heard = heard.clone();
        async move {
            let start = Instant::now();
            while heard.load(Ordering::SeqCst) < n {
                assert!(start.elapsed() < Duration::from_secs(10), "heard nothing");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    // Another instance is heard (announced until the listener is there).
    let start = Instant::now();
    while heard.load(Ordering::SeqCst) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never heard another instance"
        );
        latchkey::store::mail::announce(&db, "other").await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    until(1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = heard.load(Ordering::SeqCst);
    // Its own, then another's: notifications arrive in order, so once the other one is heard
    // the own one has been passed over.
    latchkey::store::mail::announce(&db, "me").await.unwrap();
    latchkey::store::mail::announce(&db, "other").await.unwrap();
    until(before + 1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        heard.load(Ordering::SeqCst),
        before + 1,
        "heard its own announcement"
    );
    listening.abort();
    db.close().await;
}
