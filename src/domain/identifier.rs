//! What a person types to name their account (a username or an e-mail address), parsed once
//! for every face: the sign-in page, "Forgot password?", the API's credential check and
//! self-service endpoints, and the administrators' reset lists.
//!
//! It must never be stored as typed in a counter: [`Identifier::digest`] is what per-identifier
//! rate limits hold (SECURITY.md: anonymous requests can't write unbounded rows).

use std::fmt;

use super::msg::Msg;
use super::token::TokenHash;
use super::types::{EmailAddress, InvalidInput, Username};

/// The longest identifier accepted, in characters: the longest e-mail address (RFC 5321).
pub const MAX_IDENTIFIER_CHARS: usize = 254;

/// How an identifier is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentifierKind {
    Email(EmailAddress),
    Username(Username),
    /// Neither a valid e-mail address nor a valid username: it matches no account, but is
    /// counted and answered exactly like one that might.
    Unmatchable,
}

/// A username or e-mail address as typed, at most [`MAX_IDENTIFIER_CHARS`] characters, on one
/// line. Its canonical form is the one a lookup uses: usernames lowercased, e-mail domains
/// lowercased (the local part as typed), anything else trimmed.
#[derive(Clone, PartialEq, Eq)]
pub struct Identifier {
    typed: String,
    canonical: String,
    kind: IdentifierKind,
}

impl Identifier {
    /// Refuses empty, over-long and multi-line input with a message for the person who typed it.
    /// The refusal depends on the text alone, never on whether an account exists.
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(Msg::new("identifier-empty").into());
        }
        if s.chars().count() > MAX_IDENTIFIER_CHARS {
            return Err(Msg::new("identifier-too-long")
                .arg("max", MAX_IDENTIFIER_CHARS)
                .into());
        }
        if s.chars().any(char::is_control) {
            return Err(Msg::new("identifier-one-line").into());
        }
        let kind = if s.contains('@') {
            EmailAddress::parse(s).map_or(IdentifierKind::Unmatchable, IdentifierKind::Email)
        } else {
            Username::parse(s).map_or(IdentifierKind::Unmatchable, IdentifierKind::Username)
        };
        let canonical = match &kind {
            IdentifierKind::Email(e) => e.as_str().to_owned(),
            IdentifierKind::Username(u) => u.as_str().to_owned(),
            IdentifierKind::Unmatchable => s.to_owned(),
        };
        Ok(Self {
            typed: s.to_owned(),
            canonical,
            kind,
        })
    }

    /// As typed, trimmed (for the audit trail and queued requests).
    pub fn as_typed(&self) -> &str {
        &self.typed
    }

    pub fn canonical(&self) -> &str {
        &self.canonical
    }

    pub fn kind(&self) -> &IdentifierKind {
        &self.kind
    }

    /// The hex SHA-256 of the canonical form: 64 characters whatever was typed, and the same
    /// for every spelling that finds the same account.
    pub fn digest(&self) -> String {
        TokenHash::of(&self.canonical).0
    }
}

impl fmt::Debug for Identifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Identifier").field(&self.canonical).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn canonical_forms() {
        let cases = [
            ("  Alice ", "alice"),
            ("Alice@Example.ORG", "Alice@example.org"),
            ("not@an@address", "not@an@address"),
            ("two words", "two words"),
        ];
        for (typed, canonical) in cases {
            let id = Identifier::parse(typed).unwrap();
            assert_eq!(id.canonical(), canonical, "{typed}");
            assert_eq!(id.as_typed(), typed.trim());
        }
        assert!(matches!(
            Identifier::parse("ALICE").unwrap().kind(),
            IdentifierKind::Username(_)
        ));
        assert_eq!(
            Identifier::parse("ALICE").unwrap().digest(),
            Identifier::parse("alice").unwrap().digest()
        );
    }

    #[test]
    fn length_counts_characters() {
        assert!(Identifier::parse(&"é".repeat(254)).is_ok());
        let e = Identifier::parse(&"é".repeat(255)).unwrap_err();
        assert!(e.to_string().contains("at most 254 characters"), "{e}");
        assert!(Identifier::parse(&format!("  {}  ", "a".repeat(254))).is_ok());
        for bad in ["", "   ", "ali\tce", "ali\r\nce", "a\0b"] {
            assert!(Identifier::parse(bad).is_err(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_digests_are_short(s in "\\PC{0,300}") {
            if let Ok(id) = Identifier::parse(&s) {
                prop_assert!(id.as_typed().chars().count() <= MAX_IDENTIFIER_CHARS);
                prop_assert_eq!(id.digest().len(), 64);
                let again = Identifier::parse(id.canonical()).unwrap();
                prop_assert_eq!(again.canonical(), id.canonical());
            }
        }
    }
}
