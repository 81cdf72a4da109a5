//! A real Active Directory domain controller for integration tests: Samba's AD DC (Debian's
//! `samba`, installed by `scripts/test.sh`), provisioned once per test process and shared by
//! every AD test (provisioning takes seconds; each test makes its own OU and people with unique
//! names, so tests run in parallel).
//!
//! ```text
//! let ou = samba::TestOu::new().await;                  // OU=t-<tag>,DC=latchkey,DC=test
//! let bob = ou.add_person("bob", "Bob-Passw0rd-1").await;  // sAMAccountName bob-<tag>
//! let settings = ou.settings();                         // AD presets, StartTLS, the test CA
//! assert!(ou.dc().bind_ok(&bob, "Bob-Passw0rd-1").await);  // a bind against the DC itself
//! ```
//!
//! The domain: realm `LATCHKEY.TEST` (`DC=latchkey,DC=test`), on 127.0.0.1 ports 389 (StartTLS)
//! and 636 (LDAPS) — Samba has no setting for other LDAP ports, so two test processes can't
//! run AD tests at once — with a certificate from a CA made at test time (`tls certfile`…),
//! only the LDAP service (`server services = ldap`), and a password policy made for tests:
//! at least 10 characters, complexity on, history 3, no minimum age, locked out after 3 wrong
//! passwords for 30 minutes, the previous password refused at once (`old password allowed
//! period = 0`). The service account `latchkey-svc` was delegated "Reset password" and write
//! access to `pwdLastSet` and `lockoutTime` on user objects of the whole domain, as an
//! administrator would on an OU.
//!
//! Samba runs in the foreground (`samba -i`) with its standard input a pipe held by this
//! process: when the test process ends, however it ends, the pipe closes and Samba stops
//! ("EOF on stdin"). Data directories of earlier processes are removed at start.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use latchkey::directory::{DirectoryKind, DirectorySettings, ResolvedDirectory, Security};
use ldap3::{LdapConnAsync, LdapConnSettings, Mod, Scope, SearchEntry};
use secrecy::SecretString;
use tokio::sync::OnceCell;
use tokio_rustls::rustls::pki_types::PrivateKeyDer;
use tokio_rustls::rustls::{self, ClientConfig};

use super::smtp::TestCa;

pub const SAMBA: &str = "/usr/sbin/samba";
pub const SAMBA_TOOL: &str = "/usr/bin/samba-tool";
pub const REALM: &str = "LATCHKEY.TEST";
pub const DOMAIN_DN: &str = "DC=latchkey,DC=test";
pub const ADMIN_UPN: &str = "Administrator@latchkey.test";
pub const ADMIN_PASSWORD: &str = "Admin-Passw0rd-for-tests";
pub const SERVICE_DN: &str = "CN=latchkey-svc,CN=Users,DC=latchkey,DC=test";
pub const SERVICE_PASSWORD: &str = "Service-Passw0rd-for-tests";
/// The domain's minimum length, history and lockout threshold.
pub const MIN_LENGTH: u32 = 10;
pub const HISTORY: u32 = 3;
pub const LOCKOUT_THRESHOLD: u32 = 3;
pub const URL: &str = "ldap://127.0.0.1:389";
pub const LDAPS_URL: &str = "ldaps://127.0.0.1:636";

pub struct SambaDc {
    dir: PathBuf,
    ca: TestCa,
    /// Holds Samba's standard input open: Samba stops when this process ends.
    _child: Mutex<Child>,
}

static DC: OnceCell<SambaDc> = OnceCell::const_new();

/// Fails the test, clearly, when Samba is not installed (scripts/test.sh installs it).
fn require_tools() {
    for tool in [SAMBA, SAMBA_TOOL, "/usr/bin/python3"] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: the Active Directory tests need Samba's AD DC \
             (scripts/test.sh installs it: apt-get install samba samba-ad-dc)"
        );
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd.stdin(Stdio::null()).output().expect("run a samba tool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    text
}

/// Removes the data directories of earlier test processes that are gone.
fn remove_stale(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix("dc-") {
            if !Path::new("/proc").join(pid).exists() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
}

/// `samba-tool` against the data directory's database (no server needed).
fn tool(dir: &Path, args: &[&str]) -> String {
    let conf = dir.join("etc/smb.conf");
    let db = dir.join("private/sam.ldb");
    run(Command::new(SAMBA_TOOL)
        .args(args)
        .arg("-s")
        .arg(&conf)
        .arg("-H")
        .arg(&db))
}

fn provision(dir: &Path, ca: &TestCa) {
    let target = format!("--targetdir={}", dir.display());
    run(Command::new(SAMBA_TOOL).args([
        "domain",
        "provision",
        "--server-role=dc",
        "--dns-backend=NONE",
        &target,
        &format!("--realm={REALM}"),
        "--domain=LATCHKEY",
        &format!("--adminpass={ADMIN_PASSWORD}"),
        "--option=interfaces = lo",
        "--option=bind interfaces only = yes",
        "--option=server services = ldap",
    ]));
    // Our own certificate (for 127.0.0.1) instead of Samba's self-signed one for the host name.
    let (chain, key) = ca.issue(&["127.0.0.1".to_string(), "localhost".to_string()]);
    let key_der = match &key {
        PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
        _ => panic!("TestCa issues PKCS#8 keys"),
    };
    let tls = dir.join("tls");
    std::fs::create_dir_all(&tls).expect("tls dir");
    std::fs::write(tls.join("cert.pem"), pem("CERTIFICATE", &chain[0])).expect("cert");
    std::fs::write(tls.join("key.pem"), pem("PRIVATE KEY", &key_der)).expect("key");
    std::fs::write(tls.join("ca.pem"), &ca.cert_pem).expect("ca");
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(tls.join("key.pem"), std::fs::Permissions::from_mode(0o600))
        .expect("key mode");
    let conf_path = dir.join("etc/smb.conf");
    let conf = std::fs::read_to_string(&conf_path).expect("smb.conf");
    let extra = format!(
        "[global]\n\tpid directory = {d}/run\n\ttls enabled = yes\n\ttls certfile = {d}/tls/cert.pem\n\
         \ttls keyfile = {d}/tls/key.pem\n\ttls cafile = {d}/tls/ca.pem\n\
         \told password allowed period = 0\n\tlog level = 1\n\tlogging = stderr\n",
        d = dir.display()
    );
    std::fs::create_dir_all(dir.join("run")).expect("run dir");
    std::fs::write(&conf_path, conf.replacen("[global]\n", &extra, 1)).expect("smb.conf");

    tool(
        dir,
        &[
            "domain",
            "passwordsettings",
            "set",
            "--complexity=on",
            &format!("--min-pwd-length={MIN_LENGTH}"),
            &format!("--history-length={HISTORY}"),
            "--min-pwd-age=0",
            "--max-pwd-age=42",
            &format!("--account-lockout-threshold={LOCKOUT_THRESHOLD}"),
            "--account-lockout-duration=30",
            "--reset-account-lockout-after=30",
        ],
    );
    tool(dir, &["user", "create", "latchkey-svc", SERVICE_PASSWORD]);
    let shown = tool(
        dir,
        &["user", "show", "latchkey-svc", "--attributes=objectSid"],
    );
    let sid = shown
        .lines()
        .find_map(|l| l.strip_prefix("objectSid: "))
        .expect("the service account's SID")
        .trim()
        .to_owned();
    // Reset Password (a control access right), write pwdLastSet and lockoutTime, on users.
    const USER: &str = "bf967aba-0de6-11d0-a285-00aa003049e2";
    let sddl = format!(
        "(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;{USER};{sid})\
         (OA;CIIO;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;{USER};{sid})\
         (OA;CIIO;WP;28630ebf-41d5-11d1-a9c1-0000f80367c1;{USER};{sid})"
    );
    tool(
        dir,
        &[
            "dsacl",
            "set",
            &format!("--objectdn={DOMAIN_DN}"),
            "--action=allow",
            &format!("--sddl={sddl}"),
        ],
    );
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

async fn start() -> SambaDc {
    require_tools();
    let parent = std::env::temp_dir().join("latchkey-test-samba");
    std::fs::create_dir_all(&parent).expect("samba parent dir");
    remove_stale(&parent);
    let dir = parent.join(format!("dc-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("samba dir");
    let ca = TestCa::new();
    let started = Instant::now();
    let (dir, ca) = tokio::task::spawn_blocking(move || {
        provision(&dir, &ca);
        (dir, ca)
    })
    .await
    .expect("provision");
    let log = std::fs::File::create(dir.join("samba.log")).expect("samba log");
    let child = Command::new(SAMBA)
        .arg("-i")
        .arg("-s")
        .arg(dir.join("etc/smb.conf"))
        .stdin(Stdio::piped())
        .stdout(log.try_clone().expect("log"))
        .stderr(log)
        .spawn()
        .expect("run samba");
    let dc = SambaDc {
        dir,
        ca,
        _child: Mutex::new(child),
    };
    loop {
        if let Some(status) = dc._child.lock().unwrap().try_wait().expect("samba status") {
            panic!(
                "samba exited ({status}) — is something else listening on 127.0.0.1:389/636 \
                 (another test run)? {}",
                dc.log()
            );
        }
        if dc.admin_try().await.is_some() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "samba did not answer within 90 s: {}",
            dc.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!(
        "Samba AD DC ready in {} ms ({})",
        started.elapsed().as_millis(),
        dc.dir.display()
    );
    dc
}

impl SambaDc {
    /// The DC shared by this test process (provisioned and started by the first caller).
    pub async fn shared() -> &'static SambaDc {
        DC.get_or_init(start).await
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("samba.log")).unwrap_or_default()
    }

    /// The PEM of the CA that signed the DC's certificate (what `extra_ca_pem` must hold).
    pub fn ca_pem(&self) -> String {
        self.ca.cert_pem.clone()
    }

    fn tls(&self) -> Arc<ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        Arc::new(
            ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("tls versions")
                .with_root_certificates(self.ca.root_store())
                .with_no_client_auth(),
        )
    }

    /// A StartTLS connection (not Latchkey's client) bound as `who` (a DN or a UPN): the
    /// bind's result code and diagnostic text.
    pub async fn bind(&self, who: &str, password: &str) -> (u32, String) {
        let settings = LdapConnSettings::new()
            .set_config(self.tls())
            .set_starttls(true)
            .set_conn_timeout(Duration::from_secs(10));
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, URL)
            .await
            .expect("connect to samba");
        ldap3::drive!(conn);
        let res = ldap.simple_bind(who, password).await.expect("bind");
        let _ = ldap.unbind().await;
        (res.rc, res.text)
    }

    /// Whether `who`'s password opens the domain: a bind against the DC itself.
    pub async fn bind_ok(&self, who: &str, password: &str) -> bool {
        self.bind(who, password).await.0 == 0
    }

    async fn admin_try(&self) -> Option<ldap3::Ldap> {
        let settings = LdapConnSettings::new()
            .set_config(self.tls())
            .set_starttls(true)
            .set_conn_timeout(Duration::from_secs(5));
        let (conn, mut ldap) = LdapConnAsync::with_settings(settings, URL).await.ok()?;
        ldap3::drive!(conn);
        let res = ldap.simple_bind(ADMIN_UPN, ADMIN_PASSWORD).await.ok()?;
        (res.rc == 0).then_some(ldap)
    }

    /// A connection bound as the domain's Administrator, for arranging and inspecting.
    pub async fn admin(&self) -> ldap3::Ldap {
        for _ in 0..20 {
            if let Some(l) = self.admin_try().await {
                return l;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("can't bind as the domain's Administrator: {}", self.log())
    }

    /// Applies `mods` to `dn` as Administrator.
    pub async fn modify(&self, dn: &str, mods: Vec<Mod<Vec<u8>>>) {
        let mut ldap = self.admin().await;
        ldap.modify(dn, mods)
            .await
            .expect("modify")
            .success()
            .unwrap_or_else(|e| panic!("modify {dn}: {e}"));
        let _ = ldap.unbind().await;
    }

    /// Replaces `attr` of `dn` with `value`.
    pub async fn set_attr(&self, dn: &str, attr: &str, value: &str) {
        self.modify(
            dn,
            vec![Mod::Replace(
                attr.as_bytes().to_vec(),
                HashSet::from([value.as_bytes().to_vec()]),
            )],
        )
        .await;
    }

    /// The text values of `attr` of `dn`, read as Administrator.
    pub async fn attr(&self, dn: &str, attr: &str) -> Vec<String> {
        let mut ldap = self.admin().await;
        let (entries, _) = ldap
            .search(dn, Scope::Base, "(objectClass=*)", vec![attr])
            .await
            .expect("search")
            .success()
            .unwrap_or_else(|e| panic!("read {dn}: {e}"));
        let _ = ldap.unbind().await;
        entries
            .into_iter()
            .next()
            .map(SearchEntry::construct)
            .and_then(|e| {
                e.attrs
                    .into_iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(attr))
                    .map(|(_, v)| v)
            })
            .unwrap_or_default()
    }

    /// Makes `dn`'s password expired: `pwdLastSet` far in the past (the domain's maximum age is
    /// 42 days). LDAP only takes 0 or -1 for it, so this goes through Samba's own database
    /// with the DSDB control that lets a local caller set the time (what a restore does).
    pub fn expire_password(&self, dn: &str) {
        let script = r#"
import sys, ldb
from samba.samdb import SamDB
from samba.param import LoadParm
from samba.auth import system_session
lp = LoadParm(); lp.load(sys.argv[1])
db = SamDB(url=sys.argv[2], lp=lp, session_info=system_session())
m = ldb.Message(); m.dn = ldb.Dn(db, sys.argv[3])
m["pwdLastSet"] = ldb.MessageElement("116444736000000000", ldb.FLAG_MOD_REPLACE, "pwdLastSet")
db.modify(m, controls=["local_oid:1.3.6.1.4.1.7165.4.3.20:0"])
"#;
        run(Command::new("/usr/bin/python3")
            .arg("-c")
            .arg(script)
            .arg(self.dir.join("etc/smb.conf"))
            .arg(self.dir.join("private/sam.ldb"))
            .arg(dn));
    }
}

/// A test's own OU with people and groups named `<name>-<tag>`.
pub struct TestOu {
    pub dn: String,
    pub tag: String,
    dc: &'static SambaDc,
}

/// The quoted UTF-16LE form `unicodePwd` takes (written here independently of Latchkey's).
fn unicode_pwd(password: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for u in format!("\"{password}\"").encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

fn attrs(pairs: Vec<(&str, Vec<Vec<u8>>)>) -> Vec<(Vec<u8>, HashSet<Vec<u8>>)> {
    pairs
        .into_iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.into_iter().collect()))
        .collect()
}

impl TestOu {
    /// A fresh OU under the domain (the shared DC started if needed).
    pub async fn new() -> TestOu {
        let dc = SambaDc::shared().await;
        let tag: String = (0..5)
            .map(|_| {
                let c = rand::random::<u8>() % 36;
                (if c < 10 { b'0' + c } else { b'a' + c - 10 }) as char
            })
            .collect();
        let dn = format!("OU=t-{tag},{DOMAIN_DN}");
        let mut ldap = dc.admin().await;
        ldap.add(
            &dn,
            attrs(vec![(
                "objectClass",
                vec![b"top".to_vec(), b"organizationalUnit".to_vec()],
            )]),
        )
        .await
        .expect("add OU")
        .success()
        .unwrap_or_else(|e| panic!("add {dn}: {e}"));
        let _ = ldap.unbind().await;
        TestOu { dn, tag, dc }
    }

    pub fn dc(&self) -> &'static SambaDc {
        self.dc
    }

    /// `name-<tag>`: the sAMAccountName (and Latchkey username) of `name` in this OU.
    pub fn sam(&self, name: &str) -> String {
        format!("{name}-{}", self.tag)
    }
    pub fn upn(&self, name: &str) -> String {
        format!("{}@latchkey.test", self.sam(name))
    }
    pub fn mail(&self, name: &str) -> String {
        format!("{}@example.org", self.sam(name))
    }
    pub fn dn_of(&self, name: &str) -> String {
        format!("CN={},{}", self.sam(name), self.dn)
    }

    /// Adds an enabled person (user) with a password, mail and display name. Returns the DN.
    pub async fn add_person(&self, name: &str, password: &str) -> String {
        let dn = self.dn_of(name);
        let (sam, upn, mail) = (self.sam(name), self.upn(name), self.mail(name));
        let display = format!("{name} Example");
        let mut ldap = self.dc.admin().await;
        ldap.add(
            &dn,
            attrs(vec![
                (
                    "objectClass",
                    vec![
                        b"top".to_vec(),
                        b"person".to_vec(),
                        b"organizationalPerson".to_vec(),
                        b"user".to_vec(),
                    ],
                ),
                ("sAMAccountName", vec![sam.into_bytes()]),
                ("userPrincipalName", vec![upn.into_bytes()]),
                ("mail", vec![mail.into_bytes()]),
                ("displayName", vec![display.into_bytes()]),
                ("unicodePwd", vec![unicode_pwd(password)]),
                // A normal, enabled account.
                ("userAccountControl", vec![b"512".to_vec()]),
            ]),
        )
        .await
        .expect("add person")
        .success()
        .unwrap_or_else(|e| panic!("add {dn}: {e}"));
        let _ = ldap.unbind().await;
        dn
    }

    /// Adds a group with these members (DNs of people or groups). Returns its DN.
    pub async fn add_group(&self, name: &str, members: &[&str]) -> String {
        let dn = self.dn_of(name);
        let mut pairs = vec![
            ("objectClass", vec![b"top".to_vec(), b"group".to_vec()]),
            ("sAMAccountName", vec![self.sam(name).into_bytes()]),
        ];
        if !members.is_empty() {
            pairs.push((
                "member",
                members.iter().map(|m| m.as_bytes().to_vec()).collect(),
            ));
        }
        let mut ldap = self.dc.admin().await;
        ldap.add(&dn, attrs(pairs))
            .await
            .expect("add group")
            .success()
            .unwrap_or_else(|e| panic!("add {dn}: {e}"));
        let _ = ldap.unbind().await;
        dn
    }

    /// Adds a computer account (a user object that is not a person: the filter leaves it out).
    pub async fn add_computer(&self, name: &str) -> String {
        let dn = self.dn_of(name);
        let mut ldap = self.dc.admin().await;
        ldap.add(
            &dn,
            attrs(vec![
                ("objectClass", vec![b"top".to_vec(), b"computer".to_vec()]),
                (
                    "sAMAccountName",
                    vec![format!("{}$", self.sam(name)).into_bytes()],
                ),
            ]),
        )
        .await
        .expect("add computer")
        .success()
        .unwrap_or_else(|e| panic!("add {dn}: {e}"));
        let _ = ldap.unbind().await;
        dn
    }

    /// Locks `name` out: wrong passwords up to the domain's threshold.
    pub async fn lock_out(&self, name: &str) {
        for i in 0..LOCKOUT_THRESHOLD {
            let (rc, _) = self
                .dc
                .bind(&self.upn(name), &format!("Wrong-Passw0rd-{i}"))
                .await;
            assert_eq!(rc, 49);
        }
        let (_, text) = self.dc.bind(&self.upn(name), "Wrong-Passw0rd-x").await;
        assert!(text.contains("data 775"), "locked out: {text}");
    }

    /// Settings for this OU: Active Directory presets, StartTLS with the test CA, the service
    /// account (password not set: see [`resolved`]), base DN this OU.
    pub fn settings(&self) -> DirectorySettings {
        DirectorySettings {
            url: URL.into(),
            security: Security::Starttls,
            extra_ca_pem: self.dc.ca_pem(),
            bind_dn: SERVICE_DN.into(),
            bind_password: None,
            base_dn: self.dn.clone(),
            connect_timeout_secs: 5,
            timeout_secs: 15,
            ..DirectorySettings::preset(DirectoryKind::ActiveDirectory)
        }
    }
}

/// Settings with [`SERVICE_PASSWORD`] as the resolved service password.
pub fn resolved(settings: DirectorySettings) -> ResolvedDirectory {
    ResolvedDirectory {
        settings,
        bind_password: Some(SecretString::from(SERVICE_PASSWORD.to_owned())),
    }
}
