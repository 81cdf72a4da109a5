//! From directory entries to [`Person`]s: the tenant's attribute mapping, binary stable ids
//! (Active Directory's `objectGUID`) in text form, and admin-group membership by DN.

use std::collections::HashSet;

use ldap3::SearchEntry;

use super::Person;
use crate::directory::settings::Mapping;

/// The attributes to ask for: the mapped ones (operational ones such as `entryUUID` and
/// `pwdAccountLockedTime` are only returned when named).
pub(crate) fn wanted_attributes(m: &Mapping) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in [
        &m.username,
        &m.email,
        &m.reset_email,
        &m.display_name,
        &m.stable_id,
        &m.disabled,
    ] {
        let a = a.trim();
        if !a.is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(a)) {
            out.push(a.to_owned());
        }
    }
    out
}

/// The text values of `attr` (attribute names compare case-insensitively).
fn text_values<'e>(e: &'e SearchEntry, attr: &str) -> Option<&'e Vec<String>> {
    let attr = attr.trim();
    if attr.is_empty() {
        return None;
    }
    e.attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .map(|(_, v)| v)
}

fn binary_values<'e>(e: &'e SearchEntry, attr: &str) -> Option<&'e Vec<Vec<u8>>> {
    let attr = attr.trim();
    if attr.is_empty() {
        return None;
    }
    e.bin_attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(attr))
        .map(|(_, v)| v)
}

fn first_text(e: &SearchEntry, attr: &str) -> Option<String> {
    text_values(e, attr)?
        .iter()
        .map(|v| v.trim())
        .find(|v| !v.is_empty())
        .map(str::to_owned)
}

/// A binary id as text: 16 bytes are a GUID in Microsoft's canonical form (the first three
/// fields little-endian), anything else lower-case hex.
pub(crate) fn binary_id_text(b: &[u8]) -> String {
    if b.len() == 16 {
        format!(
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13],
            b[14], b[15]
        )
    } else {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
}

/// Attributes that hold a GUID in binary (16 bytes), whatever bytes it has.
fn is_binary_guid(attr: &str) -> bool {
    ["objectGUID", "mS-DS-ConsistencyGuid"]
        .iter()
        .any(|a| a.eq_ignore_ascii_case(attr.trim()))
}

fn stable_id(e: &SearchEntry, attr: &str) -> Option<String> {
    if is_binary_guid(attr) {
        // ldap3 hands a value over as text when its bytes happen to be valid UTF-8 (one GUID in
        // tens of thousands): the same bytes either way, so the same canonical form.
        let text = text_values(e, attr)
            .into_iter()
            .flatten()
            .map(|v| v.as_bytes().to_vec());
        let binary = binary_values(e, attr).into_iter().flatten().cloned();
        return text
            .chain(binary)
            .find(|v| !v.is_empty())
            .map(|v| binary_id_text(&v));
    }
    if let Some(t) = first_text(e, attr) {
        return Some(t);
    }
    binary_values(e, attr)?
        .iter()
        .find(|v| !v.is_empty())
        .map(|v| binary_id_text(v))
}

fn is_disabled(e: &SearchEntry, m: &Mapping) -> bool {
    let attr = m.disabled.trim();
    if attr.is_empty() {
        return false;
    }
    if m.disabled_bits != 0 {
        // A number of flags (AD's userAccountControl): disabled when one of the bits is set.
        return text_values(e, attr).is_some_and(|values| {
            values.iter().any(|v| {
                v.trim()
                    .parse::<i64>()
                    .is_ok_and(|n| (n as u64) & u64::from(m.disabled_bits) != 0)
            })
        });
    }
    let wanted = m.disabled_value.trim();
    if let Some(values) = text_values(e, attr) {
        if wanted.is_empty() {
            return true;
        }
        return values.iter().any(|v| v.trim().eq_ignore_ascii_case(wanted));
    }
    // A binary value can't equal a text value; present is enough only without one.
    binary_values(e, attr).is_some() && wanted.is_empty()
}

/// The person an entry describes, or `None` when it lacks the username or the stable id (such
/// an entry can't be signed in with nor linked).
pub(crate) fn person_from(
    e: &SearchEntry,
    m: &Mapping,
    admins: Option<&HashSet<String>>,
) -> Option<Person> {
    let username = first_text(e, &m.username)?;
    let stable_id = stable_id(e, &m.stable_id)?;
    let display_name = first_text(e, &m.display_name).unwrap_or_else(|| username.clone());
    Some(Person {
        dn: e.dn.clone(),
        stable_id,
        email: first_text(e, &m.email),
        reset_email: if m.reset_email.trim().is_empty() {
            None
        } else {
            first_text(e, &m.reset_email)
        },
        display_name,
        disabled: is_disabled(e, m),
        is_admin: admins.is_some_and(|a| a.contains(&normalize_dn(&e.dn))),
        username,
    })
}

/// A DN for comparison: lower case, no spaces around the `,` between RDNs nor around `=` and
/// `+` (escaped characters are kept as they are).
pub(crate) fn normalize_dn(dn: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in dn.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' => {
                cur.push(c);
                escaped = true;
            }
            ',' | ';' | '=' | '+' => {
                parts.push(cur.trim().to_owned());
                parts.push(c.to_string());
                cur.clear();
            }
            _ => cur.push(c),
        }
    }
    parts.push(cur.trim().to_owned());
    parts.concat().replace(';', ",").to_lowercase()
}

/// The normalised DNs of a group's `member` and `uniqueMember` values (a `uniqueMember`'s
/// optional `#'…'B` unique id is dropped).
pub(crate) fn group_members(e: &SearchEntry) -> HashSet<String> {
    let mut out = HashSet::new();
    for attr in ["member", "uniqueMember"] {
        if let Some(values) = text_values(e, attr) {
            for v in values {
                let v = if attr == "uniqueMember" {
                    strip_unique_id(v)
                } else {
                    v.as_str()
                };
                out.insert(normalize_dn(v));
            }
        }
    }
    out
}

fn strip_unique_id(v: &str) -> &str {
    match v.rfind("#'") {
        Some(at) if v.ends_with("'B") && !v[..at].ends_with('\\') => &v[..at],
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn entry(dn: &str, attrs: &[(&str, &[&str])]) -> SearchEntry {
        SearchEntry {
            dn: dn.into(),
            attrs: attrs
                .iter()
                .map(|(k, v)| (k.to_string(), v.iter().map(|s| s.to_string()).collect()))
                .collect(),
            bin_attrs: HashMap::new(),
        }
    }

    #[test]
    fn guid_in_canonical_form() {
        let b: Vec<u8> = (0u8..16).collect();
        assert_eq!(binary_id_text(&b), "03020100-0504-0706-0809-0a0b0c0d0e0f");
        assert_eq!(binary_id_text(&[0xab, 0x01]), "ab01");
    }

    #[test]
    fn binary_stable_id_becomes_text() {
        let mut e = entry("uid=a,dc=x", &[("uid", &["a"])]);
        e.bin_attrs
            .insert("objectGUID".into(), vec![vec![0xff; 16]]);
        let m = Mapping {
            stable_id: "objectguid".into(),
            ..Mapping::default()
        };
        let p = person_from(&e, &m, None).unwrap();
        assert_eq!(p.stable_id, "ffffffff-ffff-ffff-ffff-ffffffffffff");
        assert_eq!(p.display_name, "a");
    }

    #[test]
    fn a_guid_that_happens_to_be_text_is_still_a_guid() {
        // 16 ASCII bytes: ldap3 returns them as a text value.
        let e = entry(
            "CN=a,DC=x",
            &[
                ("sAMAccountName", &["a"]),
                ("objectGUID", &["ABCDEFGHIJKLMNOP"]),
            ],
        );
        let p = person_from(&e, &Mapping::active_directory(), None).unwrap();
        assert_eq!(p.stable_id, "44434241-4645-4847-494a-4b4c4d4e4f50");
    }

    #[test]
    fn mapping_and_disabled() {
        let m = Mapping::default();
        let e = entry(
            "uid=a,ou=people,dc=x",
            &[
                ("uid", &["a"]),
                ("mail", &["a@x.org"]),
                ("cn", &["A A"]),
                ("entryUUID", &["u-1"]),
            ],
        );
        let p = person_from(&e, &m, None).unwrap();
        assert_eq!(p.email.as_deref(), Some("a@x.org"));
        assert!(!p.disabled);
        assert!(!p.is_admin);
        let locked = entry(
            "uid=a,ou=people,dc=x",
            &[
                ("uid", &["a"]),
                ("entryUUID", &["u-1"]),
                ("pwdAccountLockedTime", &["000001010000Z"]),
            ],
        );
        assert!(person_from(&locked, &m, None).unwrap().disabled);
        let valued = Mapping {
            disabled: "employeeType".into(),
            disabled_value: "Disabled".into(),
            ..Mapping::default()
        };
        let yes = entry(
            "uid=a",
            &[
                ("uid", &["a"]),
                ("entryUUID", &["1"]),
                ("employeeType", &["staff", "DISABLED"]),
            ],
        );
        let no = entry(
            "uid=a",
            &[
                ("uid", &["a"]),
                ("entryUUID", &["1"]),
                ("employeeType", &["staff"]),
            ],
        );
        assert!(person_from(&yes, &valued, None).unwrap().disabled);
        assert!(!person_from(&no, &valued, None).unwrap().disabled);
        // No username or no stable id: not a person.
        assert!(person_from(&entry("uid=a", &[("entryUUID", &["1"])]), &m, None).is_none());
        assert!(person_from(&entry("uid=a", &[("uid", &["a"])]), &m, None).is_none());
    }

    #[test]
    fn disabled_by_a_bit_of_user_account_control() {
        let m = Mapping::active_directory();
        let person = |uac: &str| {
            let mut e = entry(
                "CN=a,DC=x",
                &[("sAMAccountName", &["a"]), ("userAccountControl", &[uac])],
            );
            e.bin_attrs.insert("objectGUID".into(), vec![vec![1; 16]]);
            person_from(&e, &m, None).unwrap()
        };
        assert!(!person("512").disabled);
        assert!(person("514").disabled);
        // Locked out (16) or "password never expires" (65536) is not disabled.
        assert!(!person("66064").disabled);
        assert!(!person("not a number").disabled);
    }

    #[test]
    fn dns_compare_without_case_and_spaces() {
        assert_eq!(
            normalize_dn("UID=Alice , OU=People,dc=Example, dc=org"),
            "uid=alice,ou=people,dc=example,dc=org"
        );
        assert_eq!(normalize_dn("cn=a\\, b,dc=x"), "cn=a\\, b,dc=x");
        let g = entry(
            "cn=admins",
            &[
                ("member", &["uid=Alice, ou=people,dc=example,dc=org"]),
                (
                    "uniqueMember",
                    &["uid=bob,ou=people,dc=example,dc=org#'0101'B"],
                ),
            ],
        );
        let members = group_members(&g);
        assert!(members.contains("uid=alice,ou=people,dc=example,dc=org"));
        assert!(members.contains("uid=bob,ou=people,dc=example,dc=org"));
    }
}
