//! A real OpenLDAP server for integration tests: Debian's `slapd` (installed by
//! `scripts/test.sh`), started per test on free loopback ports with a generated `slapd.conf` in a
//! temporary directory: an mdb database seeded with `slapadd` before start, the ppolicy overlay
//! (minimum length 12, history 3, quality checked, must change after reset, lockout), a small
//! size limit (50) so paging is really needed, and StartTLS and LDAPS with a certificate from a
//! CA made at test time.
//!
//! ```text
//! let slapd = Slapd::start().await;                    // alice (admin group) and bob
//! let dir = slapd.directory();                         // a client: StartTLS, the test CA
//! assert!(slapd.bind_ok(&Slapd::dn("alice"), ALICE_PASSWORD));  // ldapwhoami, not our client
//! ```
//!
//! The tree: `dc=example,dc=org` with `ou=people` (people: `uid=…`, inetOrgPerson, `userPassword`
//! hashed `{SSHA}`), `ou=groups` (`cn=latchkey-admins`, groupOfNames, member alice),
//! `ou=services` (`cn=latchkey`, the service account: not the rootdn, so the password policy
//! applies to what it writes; may read the people and write `userPassword` and `pwdReset`; may
//! page past the size limit), `ou=policies` (`cn=default`, the default policy).
//!
//! Nothing is shared between tests: own directory, own ports, own process, killed on drop.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use latchkey::directory::{Directory, DirectorySettings, ResolvedDirectory, Security};
use ldap3::{LdapConnAsync, Mod, Scope, SearchEntry};
use secrecy::SecretString;
use tokio_rustls::rustls::pki_types::PrivateKeyDer;

use super::smtp::TestCa;

pub const SLAPD: &str = "/usr/sbin/slapd";
pub const SLAPADD: &str = "/usr/sbin/slapadd";
pub const BASE_DN: &str = "dc=example,dc=org";
pub const PEOPLE_DN: &str = "ou=people,dc=example,dc=org";
pub const ROOT_DN: &str = "cn=admin,dc=example,dc=org";
pub const ROOT_PASSWORD: &str = "root-secret-for-tests";
pub const SERVICE_DN: &str = "cn=latchkey,ou=services,dc=example,dc=org";
pub const SERVICE_PASSWORD: &str = "service-secret-for-tests";
pub const ADMIN_GROUP_DN: &str = "cn=latchkey-admins,ou=groups,dc=example,dc=org";
pub const POLICY_DN: &str = "cn=default,ou=policies,dc=example,dc=org";
/// The server's size limit: searches without paging stop at this many entries.
pub const SIZE_LIMIT: usize = 50;
/// The policy's minimum length.
pub const MIN_LENGTH: usize = 12;
pub const ALICE_PASSWORD: &str = "alice-in-wonderland";
pub const BOB_PASSWORD: &str = "bob-the-builder-42";
/// The password of the people seeded with [`SlapdOptions::people`].
pub const PERSON_PASSWORD: &str = "seeded-person-password";

#[derive(Debug, Clone)]
pub struct SlapdOptions {
    /// StartTLS and LDAPS (false: plain `ldap://` only, StartTLS refused).
    pub tls: bool,
    /// This many more people, `person001`… (`person001@example.org`, [`PERSON_PASSWORD`]).
    pub people: usize,
    /// The service account may page past the size limit (`limits … size.prtotal=unlimited`).
    pub service_pages_unlimited: bool,
    /// The service account may write `userPassword` (false: it may only read it).
    pub service_writes_passwords: bool,
    /// The service account may write `pwdReset` (false: it may only read it, as where an
    /// administrator granted `userPassword` alone).
    pub service_marks_resets: bool,
}

impl Default for SlapdOptions {
    fn default() -> Self {
        SlapdOptions {
            tls: true,
            people: 0,
            service_pages_unlimited: true,
            service_writes_passwords: true,
            service_marks_resets: true,
        }
    }
}

pub struct Slapd {
    dir: tempfile::TempDir,
    port: u16,
    ldaps_port: u16,
    ca: Arc<TestCa>,
    opts: SlapdOptions,
    child: Option<Child>,
}

/// Fails the test, clearly, when OpenLDAP is not installed (scripts/test.sh installs it).
fn require_tools() {
    for tool in [
        SLAPD,
        SLAPADD,
        "/usr/sbin/slappasswd",
        "/usr/bin/ldapwhoami",
    ] {
        assert!(
            Path::new(tool).exists(),
            "{tool} is missing: the directory tests need OpenLDAP's slapd and ldap-utils \
             (scripts/test.sh installs them: apt-get install slapd ldap-utils)"
        );
    }
}

/// A free loopback port below the range the kernel gives outgoing connections (32768 and up on
/// Linux, which is also where port 0 lands): while a test has slapd stopped, a client
/// connection of another test (to PostgreSQL, say) could take its port as its own end, and
/// [`Slapd::restart`] could not bind it again (seen in CI: "slapd did not restart").
fn free_port() -> u16 {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    for _ in 0..1000 {
        if let Ok(l) = TcpListener::bind((Ipv4Addr::LOCALHOST, rng.gen_range(20_000..32_000))) {
            return l.local_addr().expect("local address").port();
        }
    }
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .expect("a free loopback port")
        .local_addr()
        .expect("local address")
        .port()
}

fn pem(label: &str, der: &[u8]) -> String {
    let mut out = format!("-----BEGIN {label}-----\n");
    let b64 = B64.encode(der);
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

/// `{SSHA}` of a password, by OpenLDAP's own tool.
pub fn ssha(password: &str) -> String {
    let out = Command::new("/usr/sbin/slappasswd")
        .args(["-h", "{SSHA}", "-s", password])
        .output()
        .expect("run slappasswd");
    assert!(out.status.success(), "slappasswd failed: {out:?}");
    String::from_utf8(out.stdout)
        .expect("slappasswd prints text")
        .trim()
        .to_owned()
}

fn person_ldif(uid: &str, mail: &str, hashed_password: &str) -> String {
    format!(
        "dn: uid={uid},{PEOPLE_DN}\nobjectClass: inetOrgPerson\nuid: {uid}\ncn: {uid} Example\nsn: Example\nmail: {mail}\nuserPassword: {hashed_password}\n\n"
    )
}

impl Slapd {
    /// The DN of the person with this uid (escaped for a DN).
    pub fn dn(uid: &str) -> String {
        format!("uid={},{PEOPLE_DN}", ldap3::dn_escape(uid))
    }

    /// A server with alice (in the admin group) and bob, TLS on.
    pub async fn start() -> Slapd {
        Self::start_with(SlapdOptions::default()).await
    }

    pub async fn start_with(opts: SlapdOptions) -> Slapd {
        require_tools();
        let dir = tempfile::tempdir().expect("temp dir for slapd");
        let ca = Arc::new(TestCa::new());
        let mut slapd = Slapd {
            dir,
            port: 0,
            ldaps_port: 0,
            ca,
            opts,
            child: None,
        };
        slapd.write_files();
        slapd.write_config();
        let (dir_path, opts) = (slapd.path().to_owned(), slapd.opts.clone());
        tokio::task::spawn_blocking(move || seed(&dir_path, &opts))
            .await
            .expect("seed task");
        // A port can be taken between choosing it and slapd binding it: try again with others.
        for attempt in 0.. {
            slapd.port = free_port();
            slapd.ldaps_port = free_port();
            match slapd.launch().await {
                Ok(()) => return slapd,
                Err(e) if attempt < 4 => eprintln!("slapd did not start ({e}); trying other ports"),
                Err(e) => panic!("slapd did not start: {e}"),
            }
        }
        unreachable!()
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write_files(&self) {
        let p = self.path();
        std::fs::create_dir_all(p.join("db")).expect("db dir");
        let (chain, key) = self
            .ca
            .issue(&["127.0.0.1".to_string(), "localhost".to_string()]);
        let key_der = match &key {
            PrivateKeyDer::Pkcs8(k) => k.secret_pkcs8_der().to_vec(),
            _ => panic!("TestCa issues PKCS#8 keys"),
        };
        std::fs::write(p.join("cert.pem"), pem("CERTIFICATE", &chain[0])).expect("cert");
        std::fs::write(p.join("key.pem"), pem("PRIVATE KEY", &key_der)).expect("key");
        std::fs::write(p.join("ca.pem"), &self.ca.cert_pem).expect("ca");
    }

    fn write_config(&self) {
        let p = self.path().display().to_string();
        let service_limits = if self.opts.service_pages_unlimited {
            format!("limits dn.exact=\"{SERVICE_DN}\" size.soft={SIZE_LIMIT} size.hard={SIZE_LIMIT} size.prtotal=unlimited\n")
        } else {
            String::new()
        };
        let tls = if self.opts.tls {
            format!(
                "TLSCACertificateFile {p}/ca.pem\nTLSCertificateFile {p}/cert.pem\nTLSCertificateKeyFile {p}/key.pem\n"
            )
        } else {
            String::new()
        };
        let service_password_access = if self.opts.service_writes_passwords {
            "write"
        } else {
            "read"
        };
        let service_reset_access = if self.opts.service_marks_resets {
            "write"
        } else {
            "read"
        };
        let conf = format!(
            r#"include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/nis.schema
include /etc/ldap/schema/inetorgperson.schema
pidfile {p}/slapd.pid
argsfile {p}/slapd.args
modulepath /usr/lib/ldap
moduleload back_mdb.la
moduleload ppolicy.la
sizelimit {SIZE_LIMIT}
password-hash {{SSHA}}
{tls}
database mdb
suffix "{BASE_DN}"
rootdn "{ROOT_DN}"
rootpw {ROOT_PASSWORD}
directory {p}/db
maxsize 1073741824
dbnosync
index objectClass eq
index uid,mail,cn eq
{service_limits}
overlay ppolicy
ppolicy_default "{POLICY_DN}"
ppolicy_hash_cleartext
ppolicy_use_lockout

access to attrs=userPassword
  by dn.exact="{SERVICE_DN}" {service_password_access}
  by self write
  by anonymous auth
  by * none
access to attrs=pwdReset
  by dn.exact="{SERVICE_DN}" {service_reset_access}
  by * read
access to *
  by dn.exact="{SERVICE_DN}" read
  by self read
  by * none
"#
        );
        std::fs::write(self.path().join("slapd.conf"), conf).expect("slapd.conf");
    }

    /// Starts slapd on the chosen ports and waits until it answers.
    async fn launch(&mut self) -> Result<(), String> {
        let p = self.path().to_owned();
        let mut urls = format!("ldap://127.0.0.1:{}/", self.port);
        if self.opts.tls {
            let _ = write!(urls, " ldaps://127.0.0.1:{}/", self.ldaps_port);
        }
        let log = std::fs::File::create(p.join("slapd.log")).expect("slapd log");
        let child = Command::new(SLAPD)
            .arg("-f")
            .arg(p.join("slapd.conf"))
            .args(["-h", &urls, "-d", "0"])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .map_err(|e| format!("can't run {SLAPD}: {e}"))?;
        self.child = Some(child);
        let started = Instant::now();
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                return Err(format!("slapd exited ({status}): {}", self.log()));
            }
            // Answering the root bind proves it is this slapd: a port that merely accepts a
            // connection may be another test's listener that took it meanwhile (a free port
            // chosen elsewhere at the same moment).
            if self.answers_root_bind().await {
                return Ok(());
            }
            if started.elapsed() > Duration::from_secs(20) {
                self.kill();
                return Err(format!("slapd did not answer within 20 s: {}", self.log()));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Whether the server on this port takes this slapd's root password.
    async fn answers_root_bind(&self) -> bool {
        let attempt = async {
            let (conn, mut ldap) = LdapConnAsync::new(&self.url()).await.ok()?;
            ldap3::drive!(conn);
            let ok = ldap
                .simple_bind(ROOT_DN, ROOT_PASSWORD)
                .await
                .ok()?
                .success()
                .is_ok();
            let _ = ldap.unbind().await;
            Some(ok)
        };
        matches!(
            tokio::time::timeout(Duration::from_secs(2), attempt).await,
            Ok(Some(true))
        )
    }

    /// What slapd wrote (configuration errors, failed binds of its ports).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.path().join("slapd.log")).unwrap_or_default()
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the server: while frozen the kernel still
    /// accepts connections on its ports, and nothing is answered — a directory that hangs.
    pub fn pause(&self, frozen: bool) {
        let pid = self.child.as_ref().expect("slapd runs").id();
        let signal = if frozen { "-STOP" } else { "-CONT" };
        let status = Command::new("kill")
            .args([signal, &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} {pid}");
    }

    /// Stops the server (the data stays; [`Slapd::restart`] brings it back on the same ports).
    pub fn stop(&mut self) {
        self.kill();
    }

    pub async fn restart(&mut self) {
        self.kill();
        let started = Instant::now();
        // The old process's ports are released when it is reaped; slapd reuses them.
        loop {
            match self.launch().await {
                Ok(()) => return,
                Err(e) if started.elapsed() < Duration::from_secs(10) => {
                    eprintln!("slapd restart: {e}; again");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("slapd did not restart: {e}"),
            }
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }
    pub fn ldaps_port(&self) -> u16 {
        self.ldaps_port
    }
    pub fn url(&self) -> String {
        format!("ldap://127.0.0.1:{}", self.port)
    }
    pub fn ldaps_url(&self) -> String {
        format!("ldaps://127.0.0.1:{}", self.ldaps_port)
    }
    /// The PEM of the CA that signed the server's certificate (what `extra_ca_pem` must hold).
    pub fn ca_pem(&self) -> String {
        self.ca.cert_pem.clone()
    }

    /// Settings for this server: StartTLS with the test CA, the service account (password not
    /// set: store [`SERVICE_PASSWORD`] the way the test needs, or use [`Slapd::resolved`]),
    /// people under `ou=people`, the admin group, page size 500.
    pub fn settings(&self) -> DirectorySettings {
        DirectorySettings {
            url: self.url(),
            security: Security::Starttls,
            extra_ca_pem: self.ca_pem(),
            bind_dn: SERVICE_DN.into(),
            bind_password: None,
            base_dn: PEOPLE_DN.into(),
            user_filter: "(objectClass=inetOrgPerson)".into(),
            admin_group_dn: ADMIN_GROUP_DN.into(),
            connect_timeout_secs: 5,
            timeout_secs: 10,
            ..DirectorySettings::default()
        }
    }

    /// [`Slapd::settings`] with the service password in clear, as the client gets them.
    pub fn resolved(&self) -> ResolvedDirectory {
        resolved(self.settings())
    }

    /// A client for this server with [`Slapd::settings`].
    pub fn directory(&self) -> Directory {
        Directory::new(self.resolved())
    }

    /// Binds as `dn` with `password` using OpenLDAP's `ldapwhoami` (not Latchkey's client): the
    /// independent proof that a password opens the directory.
    pub fn bind_ok(&self, dn: &str, password: &str) -> bool {
        let out = Command::new("/usr/bin/ldapwhoami")
            .env("LDAPNOINIT", "1")
            .args(["-x", "-H", &self.url(), "-D", dn, "-w", password])
            .stdin(Stdio::null())
            .output()
            .expect("run ldapwhoami");
        out.status.success()
    }

    /// A connection bound as the rootdn (bypasses ACLs and most of the policy): for arranging
    /// and inspecting the directory.
    async fn root(&self) -> ldap3::Ldap {
        let (conn, mut ldap) = LdapConnAsync::new(&self.url())
            .await
            .expect("connect to slapd");
        ldap3::drive!(conn);
        ldap.simple_bind(ROOT_DN, ROOT_PASSWORD)
            .await
            .expect("root bind")
            .success()
            .expect("root bind accepted");
        ldap
    }

    /// Adds a person under `ou=people` (inetOrgPerson, `cn` "<uid> Example"); the password is
    /// stored hashed. Returns the DN.
    pub async fn add_person(&self, uid: &str, mail: &str, password: &str) -> String {
        let dn = Self::dn(uid);
        let hashed = ssha(password);
        let cn = format!("{uid} Example");
        let mut ldap = self.root().await;
        let mut attrs: Vec<(&str, HashSet<&str>)> = vec![
            ("objectClass", HashSet::from(["inetOrgPerson"])),
            ("uid", HashSet::from([uid])),
            ("cn", HashSet::from([cn.as_str()])),
            ("sn", HashSet::from(["Example"])),
            ("userPassword", HashSet::from([hashed.as_str()])),
        ];
        if !mail.is_empty() {
            attrs.push(("mail", HashSet::from([mail])));
        }
        ldap.add(&dn, attrs)
            .await
            .expect("add")
            .success()
            .unwrap_or_else(|e| panic!("add {dn}: {e}"));
        let _ = ldap.unbind().await;
        dn
    }

    /// Replaces `attr` of `dn` with `value` (an empty value deletes the attribute).
    pub async fn set_attr(&self, dn: &str, attr: &str, value: &str) {
        let m = if value.is_empty() {
            Mod::Delete(attr, HashSet::new())
        } else {
            Mod::Replace(attr, HashSet::from([value]))
        };
        self.modify(dn, vec![m]).await;
    }

    /// Adds `value` to `attr` of `dn`.
    pub async fn add_value(&self, dn: &str, attr: &str, value: &str) {
        self.modify(dn, vec![Mod::Add(attr, HashSet::from([value]))])
            .await;
    }

    async fn modify(&self, dn: &str, mods: Vec<Mod<&str>>) {
        let mut ldap = self.root().await;
        ldap.modify(dn, mods)
            .await
            .expect("modify")
            .success()
            .unwrap_or_else(|e| panic!("modify {dn}: {e}"));
        let _ = ldap.unbind().await;
    }

    pub async fn delete(&self, dn: &str) {
        let mut ldap = self.root().await;
        ldap.delete(dn)
            .await
            .expect("delete")
            .success()
            .unwrap_or_else(|e| panic!("delete {dn}: {e}"));
        let _ = ldap.unbind().await;
    }

    /// The values of `attr` of `dn` (operational attributes too), read as the rootdn.
    pub async fn attr(&self, dn: &str, attr: &str) -> Vec<String> {
        let mut ldap = self.root().await;
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
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Settings with [`SERVICE_PASSWORD`] as the resolved service password.
pub fn resolved(settings: DirectorySettings) -> ResolvedDirectory {
    ResolvedDirectory {
        settings,
        bind_password: Some(SecretString::from(SERVICE_PASSWORD.to_owned())),
    }
}

/// Writes the seed LDIF and loads it with `slapadd` (before slapd runs: the fastest way).
fn seed(dir: &Path, opts: &SlapdOptions) {
    // slapadd reads slapd's own configuration (the ports are slapd's arguments, not in it).
    let conf: PathBuf = dir.join("slapd.conf");
    let mut ldif = format!(
        "dn: {BASE_DN}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n\n\
         dn: {PEOPLE_DN}\nobjectClass: organizationalUnit\nou: people\n\n\
         dn: ou=groups,{BASE_DN}\nobjectClass: organizationalUnit\nou: groups\n\n\
         dn: ou=services,{BASE_DN}\nobjectClass: organizationalUnit\nou: services\n\n\
         dn: ou=policies,{BASE_DN}\nobjectClass: organizationalUnit\nou: policies\n\n\
         dn: {POLICY_DN}\nobjectClass: organizationalRole\nobjectClass: pwdPolicy\ncn: default\n\
         pwdAttribute: userPassword\npwdMinLength: {MIN_LENGTH}\npwdInHistory: 3\npwdCheckQuality: 2\n\
         pwdMustChange: TRUE\npwdLockout: TRUE\npwdMaxFailure: 5\n\n\
         dn: {SERVICE_DN}\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\n\
         cn: latchkey\nuserPassword: {}\n\n",
        ssha(SERVICE_PASSWORD)
    );
    ldif.push_str(&person_ldif(
        "alice",
        "alice@example.org",
        &ssha(ALICE_PASSWORD),
    ));
    ldif.push_str(&person_ldif("bob", "bob@example.org", &ssha(BOB_PASSWORD)));
    if opts.people > 0 {
        let hashed = ssha(PERSON_PASSWORD);
        for i in 1..=opts.people {
            let uid = format!("person{i:03}");
            ldif.push_str(&person_ldif(&uid, &format!("{uid}@example.org"), &hashed));
        }
    }
    let _ = write!(
        ldif,
        "dn: {ADMIN_GROUP_DN}\nobjectClass: groupOfNames\ncn: latchkey-admins\nmember: {}\n\n",
        Slapd::dn("alice")
    );
    let ldif_path = dir.join("seed.ldif");
    std::fs::write(&ldif_path, ldif).expect("seed.ldif");
    let out = Command::new(SLAPADD)
        .arg("-f")
        .arg(&conf)
        .arg("-l")
        .arg(&ldif_path)
        .arg("-q")
        .stdin(Stdio::null())
        .output()
        .expect("run slapadd");
    assert!(
        out.status.success(),
        "slapadd failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
