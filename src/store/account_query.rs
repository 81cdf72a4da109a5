//! Which of a tenant's accounts a list shows, and in which order: the users list's search,
//! filters and sorting (`accounts::search`, `accounts::count_matching`).

use crate::clock::Timestamp;
use crate::domain::{AccountStatus, Role};

/// A filter on the last sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedIn {
    /// Never signed in (since Latchkey records it).
    Never,
    /// Signed in at or after this moment.
    Since(Timestamp),
    /// Not signed in since this moment (never, or before it).
    NotSince(Timestamp),
}

/// What a list is sorted by; the username breaks ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    #[default]
    Username,
    Name,
    Role,
    Status,
    LastSignIn,
    Created,
}

impl SortBy {
    pub const ALL: [SortBy; 6] = [
        SortBy::Username,
        SortBy::Name,
        SortBy::Role,
        SortBy::Status,
        SortBy::LastSignIn,
        SortBy::Created,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Username => "username",
            SortBy::Name => "name",
            SortBy::Role => "role",
            SortBy::Status => "status",
            SortBy::LastSignIn => "last-sign-in",
            SortBy::Created => "created",
        }
    }

    pub fn parse(s: &str) -> Option<SortBy> {
        SortBy::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn column(self) -> &'static str {
        match self {
            SortBy::Username => "username",
            // The name the list shows: the username where there is none.
            SortBy::Name => {
                "LOWER(CASE WHEN display_name = '' THEN username ELSE display_name END)"
            }
            SortBy::Role => "role",
            SortBy::Status => "status",
            // NULL (never) as the oldest, the same on both backends.
            SortBy::LastSignIn => "COALESCE(last_login_at, 0)",
            SortBy::Created => "created_at",
        }
    }
}

/// The accounts a list asks for. The default is every account, by username.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountQuery {
    /// Part of the username, the name or an address (any case); empty: no condition.
    pub text: String,
    pub status: Option<AccountStatus>,
    pub role: Option<Role>,
    /// Whether the account has a reset address of its own.
    pub reset_address: Option<bool>,
    pub signed_in: Option<SignedIn>,
    pub sort: SortBy,
    pub descending: bool,
}

impl AccountQuery {
    /// Everything whose username, name or an address contains `text`, by username.
    pub fn text(text: &str) -> Self {
        AccountQuery {
            text: text.to_owned(),
            ..Default::default()
        }
    }

    /// The SQL conditions (after `tenant_id = $1`) and the value for `$2`, the text pattern.
    /// Everything but the text is a fixed word or a number, written into the SQL.
    pub(super) fn conditions(&self) -> (String, String) {
        let pattern = super::contains_pattern(&self.text.to_lowercase());
        let mut c = vec!["($2 = '%%' OR LOWER(username) LIKE $2 ESCAPE '\\' \
             OR LOWER(display_name) LIKE $2 ESCAPE '\\' \
             OR LOWER(COALESCE(email, '')) LIKE $2 ESCAPE '\\' \
             OR LOWER(COALESCE(reset_email, '')) LIKE $2 ESCAPE '\\')"
            .to_owned()];
        if let Some(s) = self.status {
            c.push(format!("status = '{}'", s.as_str()));
        }
        if let Some(r) = self.role {
            c.push(format!("role = '{}'", r.as_str()));
        }
        match self.reset_address {
            Some(true) => c.push("reset_email IS NOT NULL AND reset_email <> ''".into()),
            Some(false) => c.push("(reset_email IS NULL OR reset_email = '')".into()),
            None => {}
        }
        match self.signed_in {
            Some(SignedIn::Never) => c.push("last_login_at IS NULL".into()),
            Some(SignedIn::Since(t)) => c.push(format!("last_login_at >= {t}")),
            Some(SignedIn::NotSince(t)) => {
                c.push(format!("(last_login_at IS NULL OR last_login_at < {t})"))
            }
            None => {}
        }
        (c.join(" AND "), pattern)
    }

    pub(super) fn order_by(&self) -> String {
        let dir = if self.descending { "DESC" } else { "ASC" };
        match self.sort {
            SortBy::Username => format!("username {dir}"),
            other => format!("{} {dir}, username ASC", other.column()),
        }
    }
}
