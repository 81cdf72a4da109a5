//! The LDAP client: one connection per operation (directories are queried rarely and briefly),
//! always protected as the settings say, every value put into a filter or DN escaped
//! (RFC 4515 / RFC 4514).
//!
//! SKELETON: the signatures are the contract the service codes against; the bodies are filled in
//! by the directory-client work (see docs/decisions.md, "Directories").

use secrecy::SecretString;
use serde::Serialize;

use super::settings::ResolvedDirectory;

/// One person as the directory describes them, mapped by the tenant's [`super::Mapping`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub dn: String,
    /// The mapped stable id (`entryUUID`), as text (binary ids such as `objectGUID` in their
    /// canonical text form).
    pub stable_id: String,
    pub username: String,
    pub email: Option<String>,
    /// From the reset-address attribute when one is mapped.
    pub reset_email: Option<String>,
    pub display_name: String,
    pub disabled: bool,
    /// A member of the admin group (when one is set).
    pub is_admin: bool,
}

/// Why the directory refused a new password, in words a person can act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PasswordRefusal {
    TooShort,
    InHistory,
    InsufficientQuality,
    TooYoung,
    /// Anything else the server said (its diagnostic text).
    Other(String),
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum DirectoryError {
    /// No connection: refused, timed out, name not found.
    #[error("can't reach the directory: {0}")]
    Unreachable(String),
    /// TLS failed (certificate not trusted, StartTLS refused, handshake).
    #[error("secure connection to the directory failed: {0}")]
    Tls(String),
    /// The service account's bind failed (result code and server text).
    #[error("the directory refused the service account ({code}): {text}")]
    ServiceBind { code: u32, text: String },
    /// The directory refused a new password (policy).
    #[error("the directory refused the new password: {0:?}")]
    Refused(PasswordRefusal),
    /// The person's own credentials were wrong (change as the person).
    #[error("the current password is not correct")]
    WrongPassword,
    /// Any other LDAP result (code and server text).
    #[error("the directory answered {code}: {text}")]
    Ldap { code: u32, text: String },
    /// Settings can't work (bad URL, bad CA PEM, no service password).
    #[error("{0}")]
    Config(String),
}

impl DirectoryError {
    /// True when trying again later may help (the server is down or busy): mail and resets wait
    /// instead of failing.
    pub fn is_transient(&self) -> bool {
        match self {
            DirectoryError::Unreachable(_) => true,
            // busy (51), unavailable (52), unwilling (53) only when the server says so.
            DirectoryError::Ldap { code, .. } => matches!(code, 51 | 52),
            _ => false,
        }
    }
}

/// The outcome of checking a person's password by binding as them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindOutcome {
    Ok,
    /// Wrong password, no such DN, or an empty password (refused before any bind).
    Invalid,
    /// The password was right but has expired or must be changed (ppolicy).
    MustChange,
    /// The account is locked (ppolicy `pwdAccountLockedTime`).
    Locked,
}

/// A tenant's directory.
#[derive(Debug, Clone)]
pub struct Directory {
    pub resolved: ResolvedDirectory,
}

fn not_yet() -> DirectoryError {
    DirectoryError::Config("the directory client is not built yet".into())
}

impl Directory {
    pub fn new(resolved: ResolvedDirectory) -> Self {
        Self { resolved }
    }

    /// The person whose username attribute, or e-mail attribute, equals `identifier` (exactly one
    /// match; several = none). Binds as the service account.
    pub async fn find_person(&self, _identifier: &str) -> Result<Option<Person>, DirectoryError> {
        Err(not_yet())
    }

    /// The person at `dn` (re-read before a password write), or `None` when gone or no longer
    /// matched by the filter.
    pub async fn person_at(&self, _dn: &str) -> Result<Option<Person>, DirectoryError> {
        Err(not_yet())
    }

    /// Every person the filter matches under the base, read in pages (past the server's size
    /// limit), with `is_admin` from the admin group.
    pub async fn all_people(&self) -> Result<Vec<Person>, DirectoryError> {
        Err(not_yet())
    }

    /// Binds as `dn` with `password`. An empty password is `Invalid` without any bind (an
    /// LDAP unauthenticated bind would succeed).
    pub async fn verify_password(
        &self,
        _dn: &str,
        _password: &SecretString,
    ) -> Result<BindOutcome, DirectoryError> {
        Err(not_yet())
    }

    /// Sets `dn`'s password as the service account (Password Modify, RFC 3062). With
    /// `must_change`, also marks it for change at next sign-in (ppolicy `pwdReset`).
    pub async fn set_password(
        &self,
        _dn: &str,
        _new: &SecretString,
        _must_change: bool,
    ) -> Result<(), DirectoryError> {
        Err(not_yet())
    }

    /// Changes `dn`'s password as the person (bind with `old`, then Password Modify with the old
    /// and new value), so the directory's own policy for users applies.
    pub async fn change_own_password(
        &self,
        _dn: &str,
        _old: &SecretString,
        _new: &SecretString,
    ) -> Result<(), DirectoryError> {
        Err(not_yet())
    }
}
