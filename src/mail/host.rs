//! The mail server's host and where a connection to it may go.
//!
//! A host is parsed strictly, once, for every face (pages, API, CLI, `LATCHKEY_SMTP_*`): a DNS
//! name or an IP literal in its usual form, nothing a resolver might read another way (no
//! brackets, ports, spaces, percent signs, non-ASCII, and no IPv4 address in the decimal, hex,
//! octal or short forms `inet_aton` accepts — a name whose last label is numeric is an IPv4
//! form, as in the WHATWG URL rules).
//!
//! [`resolve`] turns a host into the socket addresses a connection may use, resolving the name
//! once; with [`Destinations::PublicOnly`] every address must be public (see [`non_public`]),
//! and a failed lookup is a refusal. The client connects only to the addresses returned here,
//! so what was checked is what is connected to (no second lookup for DNS rebinding to change).
//! This module must never decide *when* internal hosts are allowed: the service does.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::domain::InvalidInput;
use crate::i18n::{Msg, Text};

/// A mail server's host, as typed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SmtpHost {
    /// A DNS name: ASCII letters, digits and dashes in dot-separated labels, lowercased, without
    /// a trailing dot (`absolute` says whether one was typed: then no search domain applies).
    Name {
        name: String,
        absolute: bool,
    },
    Ip(IpAddr),
}

/// Where a connection may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destinations {
    /// Anywhere the host resolves to (operators' choices: the system's server, a relay an
    /// operator set for a tenant, or `tenant_smtp_allow_private_hosts`).
    Any,
    /// Only public internet addresses: every resolved address must pass [`non_public`].
    PublicOnly,
}

/// `id`: the message saying what is wrong with `host` ("host: `…` is too long").
fn invalid(host: &str, id: &'static str) -> InvalidInput {
    InvalidInput(
        Msg::new(id)
            .arg("host", host.escape_debug().to_string())
            .into(),
    )
}

/// Whether a label is a number as the WHATWG URL parser (and `inet_aton`) reads one: decimal
/// digits, or `0x` followed by hex digits.
fn is_numeric_label(label: &str) -> bool {
    let hex = label
        .strip_prefix("0x")
        .or_else(|| label.strip_prefix("0X"));
    match hex {
        Some(h) => h.chars().all(|c| c.is_ascii_hexdigit()),
        None => !label.is_empty() && label.chars().all(|c| c.is_ascii_digit()),
    }
}

impl SmtpHost {
    /// Parses the host field. Surrounding whitespace is ignored; errors start with `host:` and
    /// say what to write instead.
    pub fn parse(raw: &str) -> Result<SmtpHost, InvalidInput> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(InvalidInput(Msg::new("smtp-host-empty").into()));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid(s, "smtp-host-spaces"));
        }
        if !s.is_ascii() {
            return Err(invalid(s, "smtp-host-not-ascii"));
        }
        if s.starts_with('[') || s.ends_with(']') {
            return Err(invalid(s, "smtp-host-brackets"));
        }
        if s.contains(':') {
            if let Ok(ip) = s.parse::<Ipv6Addr>() {
                return Ok(SmtpHost::Ip(IpAddr::V6(ip)));
            }
            let port_like = s
                .rsplit_once(':')
                .is_some_and(|(h, p)| !h.contains(':') && p.chars().all(|c| c.is_ascii_digit()));
            return Err(if port_like {
                invalid(s, "smtp-host-port")
            } else if s.contains('%') {
                invalid(s, "smtp-host-zone")
            } else if s.contains('/') {
                invalid(s, "smtp-host-url")
            } else {
                invalid(s, "smtp-host-bad-ipv6")
            });
        }
        if s.len() > 254 || (s.len() == 254 && !s.ends_with('.')) {
            return Err(invalid(s, "smtp-host-too-long"));
        }
        let absolute = s.ends_with('.');
        let name = s.strip_suffix('.').unwrap_or(s);
        let labels: Vec<&str> = name.split('.').collect();
        if labels.iter().any(|l| l.is_empty()) {
            return Err(invalid(s, "smtp-host-empty-label"));
        }
        if labels.last().is_some_and(|l| is_numeric_label(l)) {
            // An IPv4 form: only the usual four decimal numbers, each written once.
            return match name.parse::<Ipv4Addr>() {
                Ok(ip) if !absolute && ip.to_string() == name => Ok(SmtpHost::Ip(IpAddr::V4(ip))),
                _ => Err(invalid(s, "smtp-host-bad-ipv4")),
            };
        }
        for label in &labels {
            let ok = label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(invalid(s, "smtp-host-bad-name"));
            }
        }
        Ok(SmtpHost::Name {
            name: name.to_ascii_lowercase(),
            absolute,
        })
    }

    /// The name the TLS certificate must be valid for (SNI), or the IP address.
    pub fn tls_name(&self) -> String {
        match self {
            SmtpHost::Name { name, .. } => name.clone(),
            SmtpHost::Ip(ip) => ip.to_string(),
        }
    }
}

impl fmt::Display for SmtpHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SmtpHost::Name { name, absolute } => {
                write!(f, "{name}{}", if *absolute { "." } else { "" })
            }
            SmtpHost::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn in_v6(ip: Ipv6Addr, net: [u16; 8], bits: u32) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u128::MAX << (128 - bits)
    };
    u128::from(ip) & mask == u128::from(Ipv6Addr::from(net)) & mask
}

/// The IPv4 address in the low 32 bits of `ip`.
fn low_v4(ip: Ipv6Addr) -> Ipv4Addr {
    Ipv4Addr::from((u128::from(ip) & 0xffff_ffff) as u32)
}

/// A kind of address that is not on the public internet, as a refusal names it: the kind's
/// name is a message (`smtp-range-loopback`: "loopback (this machine)"), so a page shows it in
/// the reader's language; the range, as the registries write it, is a value. `Display` is the
/// English the API, the CLI and the mail log keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Internal {
    /// The message naming the kind of address.
    pub id: &'static str,
    /// The range it falls in (`10.0.0.0/8`), when the name says it.
    pub range: Option<&'static str>,
}

impl Internal {
    const fn named(id: &'static str) -> Internal {
        Internal { id, range: None }
    }

    const fn range(id: &'static str, range: &'static str) -> Internal {
        Internal {
            id,
            range: Some(range),
        }
    }

    /// The kind's name as a message.
    pub fn msg(self) -> Msg {
        let m = Msg::new(self.id);
        match self.range {
            Some(r) => m.arg("range", r),
            None => m,
        }
    }
}

impl fmt::Display for Internal {
    /// English.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.msg().fmt(f)
    }
}

/// Why `ip` is not a public internet address, or `None` when it is one. The IANA special-purpose
/// registries, plus everything outside IPv6 global unicast (2000::/3); NAT64 (64:ff9b::/96) and
/// 6to4 (2002::/16) addresses are judged by the IPv4 address they carry.
pub fn non_public(ip: IpAddr) -> Option<Internal> {
    match ip {
        IpAddr::V4(v4) => non_public_v4(v4),
        IpAddr::V6(v6) => non_public_v6(v6),
    }
}

fn non_public_v4(ip: Ipv4Addr) -> Option<Internal> {
    use Internal as I;
    const RANGES: &[([u8; 4], u32, Internal)] = &[
        (
            [0, 0, 0, 0],
            8,
            I::range("smtp-range-this-network", "0.0.0.0/8"),
        ),
        (
            [10, 0, 0, 0],
            8,
            I::range("smtp-range-private", "10.0.0.0/8"),
        ),
        (
            [100, 64, 0, 0],
            10,
            I::range("smtp-range-cgnat", "100.64.0.0/10"),
        ),
        ([127, 0, 0, 0], 8, I::named("smtp-range-loopback")),
        (
            [169, 254, 0, 0],
            16,
            I::range("smtp-range-link-local", "169.254.0.0/16"),
        ),
        (
            [172, 16, 0, 0],
            12,
            I::range("smtp-range-private", "172.16.0.0/12"),
        ),
        (
            [192, 0, 0, 0],
            24,
            I::range("smtp-range-ietf", "192.0.0.0/24"),
        ),
        (
            [192, 0, 2, 0],
            24,
            I::range("smtp-range-documentation", "192.0.2.0/24"),
        ),
        (
            [192, 88, 99, 0],
            24,
            I::range("smtp-range-6to4-relay", "192.88.99.0/24"),
        ),
        (
            [192, 168, 0, 0],
            16,
            I::range("smtp-range-private", "192.168.0.0/16"),
        ),
        (
            [198, 18, 0, 0],
            15,
            I::range("smtp-range-benchmarking", "198.18.0.0/15"),
        ),
        (
            [198, 51, 100, 0],
            24,
            I::range("smtp-range-documentation", "198.51.100.0/24"),
        ),
        (
            [203, 0, 113, 0],
            24,
            I::range("smtp-range-documentation", "203.0.113.0/24"),
        ),
        (
            [224, 0, 0, 0],
            4,
            I::range("smtp-range-multicast", "224.0.0.0/4"),
        ),
        ([255, 255, 255, 255], 32, I::named("smtp-range-broadcast")),
        (
            [240, 0, 0, 0],
            4,
            I::range("smtp-range-reserved", "240.0.0.0/4"),
        ),
    ];
    RANGES
        .iter()
        .find(|(net, bits, _)| in_v4(ip, *net, *bits))
        .map(|(_, _, why)| *why)
}

fn non_public_v6(ip: Ipv6Addr) -> Option<Internal> {
    use Internal as I;
    if ip.is_unspecified() {
        return Some(I::named("smtp-range-unspecified"));
    }
    if ip.is_loopback() {
        return Some(I::named("smtp-range-loopback"));
    }
    if in_v6(ip, [0, 0, 0, 0, 0, 0xffff, 0, 0], 96) {
        return Some(I::named("smtp-range-ipv4-mapped"));
    }
    if in_v6(ip, [0x64, 0xff9b, 0, 0, 0, 0, 0, 0], 96) {
        // NAT64 with the well-known prefix: the IPv4 address it reaches decides.
        return non_public_v4(low_v4(ip)).map(|_| I::named("smtp-range-nat64-of-internal"));
    }
    if in_v6(ip, [0x2002, 0, 0, 0, 0, 0, 0, 0], 16) {
        let [_, a, b, ..] = ip.segments();
        let v4 = Ipv4Addr::from((u32::from(a) << 16) | u32::from(b));
        return non_public_v4(v4).map(|_| I::named("smtp-range-6to4-of-internal"));
    }
    const RANGES: &[([u16; 8], u32, Internal)] = &[
        (
            [0, 0, 0, 0, 0, 0, 0, 0],
            96,
            I::range("smtp-range-ipv4-compatible", "::/96"),
        ),
        (
            [0, 0, 0, 0, 0xffff, 0, 0, 0],
            96,
            I::range("smtp-range-ipv4-translated", "::ffff:0:0:0/96"),
        ),
        (
            [0x64, 0xff9b, 1, 0, 0, 0, 0, 0],
            48,
            I::range("smtp-range-local-nat64", "64:ff9b:1::/48"),
        ),
        (
            [0x100, 0, 0, 0, 0, 0, 0, 0],
            64,
            I::range("smtp-range-discard", "100::/64"),
        ),
        (
            [0x2001, 0, 0, 0, 0, 0, 0, 0],
            32,
            I::range("smtp-range-teredo", "2001::/32"),
        ),
        (
            [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0],
            32,
            I::range("smtp-range-documentation", "2001:db8::/32"),
        ),
        (
            [0x2001, 0, 0, 0, 0, 0, 0, 0],
            23,
            I::range("smtp-range-ietf", "2001::/23"),
        ),
        (
            [0x3fff, 0, 0, 0, 0, 0, 0, 0],
            20,
            I::range("smtp-range-documentation", "3fff::/20"),
        ),
        (
            [0x5f00, 0, 0, 0, 0, 0, 0, 0],
            16,
            I::range("smtp-range-segment-routing", "5f00::/16"),
        ),
        (
            [0xfc00, 0, 0, 0, 0, 0, 0, 0],
            7,
            I::range("smtp-range-unique-local", "fc00::/7"),
        ),
        (
            [0xfe80, 0, 0, 0, 0, 0, 0, 0],
            10,
            I::range("smtp-range-link-local", "fe80::/10"),
        ),
        (
            [0xfec0, 0, 0, 0, 0, 0, 0, 0],
            10,
            I::range("smtp-range-site-local", "fec0::/10"),
        ),
        (
            [0xff00, 0, 0, 0, 0, 0, 0, 0],
            8,
            I::range("smtp-range-multicast", "ff00::/8"),
        ),
    ];
    if let Some((_, _, why)) = RANGES.iter().find(|(net, bits, _)| in_v6(ip, *net, *bits)) {
        return Some(*why);
    }
    // Only 2000::/3 is allocated for global unicast; everything else is reserved.
    if !in_v6(ip, [0x2000, 0, 0, 0, 0, 0, 0, 0], 3) {
        return Some(I::named("smtp-range-reserved-v6"));
    }
    None
}

/// The longest a name lookup may take, whatever the connection's timeout.
const MAX_LOOKUP: Duration = Duration::from_secs(10);

/// Why [`resolve`] gave no address to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostError {
    /// The host field itself is not a host (settings saved before the strict parsing).
    Invalid(crate::i18n::Text),
    /// The name could not be resolved.
    Lookup(String),
    TimedOut,
    /// With [`Destinations::PublicOnly`]: an address is not public.
    NotPublic {
        ip: IpAddr,
        why: Internal,
    },
}

impl HostError {
    /// Whether the address policy refused the host (rather than, say, a DNS failure for
    /// operators' settings, which the check reports as a failed step).
    pub fn is_policy(&self, policy: Destinations) -> bool {
        matches!(self, HostError::NotPublic { .. } | HostError::Invalid(_))
            || policy == Destinations::PublicOnly
    }
}

/// The addresses a connection to `host`:`port` may use: the literal, or the name resolved once
/// (within `timeout`), each address checked against `policy`. One non-public address refuses
/// the whole host: a name that resolves both ways is not a mail server's, it is a probe.
pub async fn resolve(
    host: &SmtpHost,
    port: u16,
    policy: Destinations,
    timeout: Duration,
) -> Result<Vec<SocketAddr>, HostError> {
    let mut addrs: Vec<SocketAddr> = match host {
        SmtpHost::Ip(ip) => vec![SocketAddr::new(*ip, port)],
        SmtpHost::Name { name, .. } => {
            // Special-use names (RFC 6761) never leave this machine: `invalid` names fail at
            // once, and every `localhost` name is what the system calls `localhost`.
            if name == "invalid" || name.ends_with(".invalid") {
                return Err(HostError::Lookup(
                    "names under .invalid never resolve (RFC 6761)".into(),
                ));
            }
            let lookup = if name == "localhost" || name.ends_with(".localhost") {
                "localhost".to_owned()
            } else if policy == Destinations::PublicOnly {
                // A name on the internet is looked up as it is, absolutely: search domains
                // (`relay` → `relay.corp.internal`) are this network's names, not the internet's.
                let bare = name.trim_end_matches('.');
                if !bare.contains('.') {
                    return Err(HostError::Lookup(
                        "a mail server on the internet has a full name (like mail.example.org)"
                            .into(),
                    ));
                }
                format!("{bare}.")
            } else {
                host.to_string()
            };
            // However long the connection may take, the lookup doesn't block the worker for
            // long: a slow DNS server would otherwise hold up everyone's mail.
            let answer = tokio::time::timeout(
                timeout.min(MAX_LOOKUP),
                tokio::net::lookup_host((lookup.as_str(), port)),
            )
            .await;
            match answer {
                Ok(Ok(a)) => a.collect(),
                Ok(Err(e)) => return Err(HostError::Lookup(e.to_string())),
                Err(_) => return Err(HostError::TimedOut),
            }
        }
    };
    addrs.dedup();
    if addrs.is_empty() {
        return Err(HostError::Lookup("no addresses".into()));
    }
    if policy == Destinations::PublicOnly {
        if let Some((ip, why)) = addrs
            .iter()
            .find_map(|a| non_public(a.ip()).map(|why| (a.ip(), why)))
        {
            return Err(HostError::NotPublic { ip, why });
        }
    }
    Ok(addrs)
}

/// The sentence for a host that `policy` refused or that could not be resolved, and a hint, as
/// messages (`Display` gives the English the mail log keeps): our sentence and the kind of
/// internal address are translated, what the resolver said (`detail`) stays as it came.
pub fn explain_msg(host: &str, e: &HostError, policy: Destinations) -> (Text, Msg) {
    let host = host.trim().escape_debug().to_string();
    let internet = || Msg::new("smtp-hint-internet");
    match e {
        HostError::Invalid(m) => (m.clone(), Msg::new("smtp-hint-correct-host")),
        HostError::NotPublic { ip, why } if host == ip.to_string() => (
            Msg::new("smtp-host-internal-address")
                .arg("host", host)
                .arg("ip", ip.to_string())
                .arg("why", why.msg())
                .into(),
            internet(),
        ),
        // For a name, one answer whatever the reason: saying which internal address a name
        // has, or whether it exists, would let a tenant administrator map this network.
        HostError::NotPublic { .. } | HostError::Lookup(_) | HostError::TimedOut
            if policy == Destinations::PublicOnly =>
        {
            (
                Msg::new("smtp-host-not-on-internet")
                    .arg("host", host)
                    .into(),
                internet(),
            )
        }
        HostError::NotPublic { ip, why } => (
            Msg::new("smtp-host-resolves-internal")
                .arg("host", host)
                .arg("ip", ip.to_string())
                .arg("why", why.msg())
                .into(),
            internet(),
        ),
        HostError::Lookup(detail) => {
            let hint = Msg::new(match policy {
                Destinations::PublicOnly => "smtp-hint-lookup-internet",
                Destinations::Any => "smtp-hint-lookup",
            });
            (
                Msg::new("smtp-host-lookup-failed")
                    .arg("host", host)
                    .arg("detail", detail.as_str())
                    .into(),
                hint,
            )
        }
        HostError::TimedOut => (
            Msg::new("smtp-host-lookup-timed-out")
                .arg("host", host)
                .into(),
            Msg::new("smtp-hint-dns"),
        ),
    }
}
