//! Typed page forms: a form's fields read into a serde struct (`FormFields::decode`), each field
//! with one of the readers below, so a handler names no field by a string. The checks of
//! [`FormFields::parse`](super::extract::FormFields::parse) come first: a repeated field, a NUL
//! or a line break in a one-line field is refused before any struct is filled. A field the
//! browser did not send reads as empty (`#[serde(default)]` on the struct).

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

/// The value without the white space around it.
pub fn trimmed<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(String::deserialize(d)?.trim().to_owned())
}

/// The trimmed value, `None` when blank.
pub fn filled<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Some(trimmed(d)?).filter(|s| !s.is_empty()))
}

/// A check box: ticked when the browser sends `on`.
pub fn ticked<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(String::deserialize(d)? == "on")
}

/// Sent with any value that is not blank (a check box whose value the page sets).
pub fn present<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(filled(d)?.is_some())
}

/// A password or token, as typed (not trimmed).
#[derive(Default)]
pub struct Secret(String);

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

impl Secret {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The two fields hold the same text (a password and its confirmation).
    pub fn matches(&self, other: &Secret) -> bool {
        self.0 == other.0
    }

    pub fn take(self) -> SecretString {
        SecretString::from(self.0)
    }
}

/// A password change: the new password twice, and the current one where the page asks for it
/// (the account page; a reset link or the setup page stands in for it elsewhere).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    pub current_password: Secret,
    pub new_password: Secret,
    pub confirm_password: Secret,
}

/// A form whose one field is the username or e-mail address someone typed.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct IdentifierForm {
    #[serde(deserialize_with = "trimmed")]
    pub identifier: String,
}
