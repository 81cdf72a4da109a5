//! The life of a reset link as the console tells it: sent, opened, password set, expired,
//! superseded — and whether its first opening looks like a mail scanner's. Pure rules over the
//! facts the store keeps; no I/O.

use serde::Serialize;

use crate::clock::Timestamp;

/// An opening this soon after delivery, with no password set afterwards, is marked as a likely
/// mail scanner: link-checking gateways (Defender Safe Links, Mimecast, Proofpoint) fetch a link
/// within a second or two of accepting the mail, a person reading it rarely within ten.
pub const SCANNER_WINDOW_SECS: i64 = 10;

/// Where a link (or temporary password) stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    /// Delivered; nothing happened since.
    Sent,
    /// Opened at least once; no password set with it yet, and still usable.
    Opened,
    /// A password was set with it (for a temporary password: the person chose their own).
    PasswordSet,
    /// Ran out before a password was set.
    Expired,
    /// A newer link for the same account replaced it.
    Superseded,
    /// Ended by something else: the password or the address changed, the account was disabled,
    /// a temporary password was sent, "Forgot password?" was switched off.
    Cancelled,
}

impl LinkState {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkState::Sent => "sent",
            LinkState::Opened => "opened",
            LinkState::PasswordSet => "password_set",
            LinkState::Expired => "expired",
            LinkState::Superseded => "superseded",
            LinkState::Cancelled => "cancelled",
        }
    }
}

/// What the store knows about one reset token.
#[derive(Debug, Clone, Default)]
pub struct LinkFacts {
    /// When the mail carrying it was delivered (`None`: not known to be delivered).
    pub delivered_at: Option<Timestamp>,
    pub expires_at: Timestamp,
    pub first_opened_at: Option<Timestamp>,
    pub open_count: i64,
    pub used_at: Option<Timestamp>,
    pub cancelled_at: Option<Timestamp>,
    pub superseded_at: Option<Timestamp>,
}

/// A link's (or temporary password's) life, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkLife {
    pub state: LinkState,
    pub sent_at: Option<Timestamp>,
    pub first_opened_at: Option<Timestamp>,
    pub open_count: i64,
    pub password_set_at: Option<Timestamp>,
    /// When it stops (or stopped) working: expiry, or the moment it was superseded or cancelled.
    pub ended_at: Option<Timestamp>,
    /// The first opening came within [`SCANNER_WINDOW_SECS`] of delivery and no password was
    /// set with the link: probably a mail scanner, not the person.
    pub likely_scanner: bool,
}

/// The life of a reset link at `now`. Whatever happened first decides: a link that expired and
/// was cancelled later (a newer link came) shows as expired.
pub fn link_life(f: &LinkFacts, now: Timestamp) -> LinkLife {
    let before_expiry = |t: Option<Timestamp>| t.filter(|&t| t < f.expires_at);
    let (state, ended_at) = if f.used_at.is_some() {
        (LinkState::PasswordSet, None)
    } else if let Some(t) = before_expiry(f.superseded_at) {
        (LinkState::Superseded, Some(t))
    } else if let Some(t) = before_expiry(f.cancelled_at) {
        (LinkState::Cancelled, Some(t))
    } else if f.expires_at <= now {
        (LinkState::Expired, Some(f.expires_at))
    } else if f.first_opened_at.is_some() {
        (LinkState::Opened, Some(f.expires_at))
    } else {
        (LinkState::Sent, Some(f.expires_at))
    };
    // A scanner may fetch the link before our worker has recorded the delivery: an opening
    // before `delivered_at` counts as within the window too.
    let likely_scanner = f.used_at.is_none()
        && matches!((f.first_opened_at, f.delivered_at),
            (Some(opened), Some(delivered)) if opened <= delivered + SCANNER_WINDOW_SECS);
    LinkLife {
        state,
        sent_at: f.delivered_at,
        first_opened_at: f.first_opened_at,
        open_count: f.open_count,
        password_set_at: f.used_at,
        ended_at,
        likely_scanner,
    }
}

/// The life of a temporary password: only "sent" and "password set" can be known (nobody opens
/// a password). `password_set_at` is when the person chose their own password after it.
pub fn temporary_password_life(
    delivered_at: Timestamp,
    password_set_at: Option<Timestamp>,
) -> LinkLife {
    LinkLife {
        state: if password_set_at.is_some() {
            LinkState::PasswordSet
        } else {
            LinkState::Sent
        },
        sent_at: Some(delivered_at),
        first_opened_at: None,
        open_count: 0,
        password_set_at,
        ended_at: None,
        likely_scanner: false,
    }
}

/// Why a person can't receive a "Forgot password?" mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoResetMail {
    /// Neither a reset address nor a primary one: no mail of any kind reaches them.
    NoAddress,
    /// No reset address, and the tenant sends self-service reset mail only to reset addresses.
    /// An administrator's mail (a link, an invitation) still goes to the primary address, but
    /// "Forgot password?" sends nothing.
    NoResetAddress,
}

impl NoResetMail {
    /// The console's words for it (a catalogue id).
    pub fn message_id(self) -> &'static str {
        match self {
            NoResetMail::NoAddress => "links-no-reset-mail-no-address",
            NoResetMail::NoResetAddress => "links-no-reset-mail-no-reset-address",
        }
    }
}

/// Whether "Forgot password?" can reach a person, by the same rule the self-service flow uses
/// ([`super::reset_address`]): `None` when it can. Empty strings count as no address.
pub fn no_reset_mail(
    reset_email: Option<&str>,
    email: Option<&str>,
    fallback_to_primary: bool,
) -> Option<NoResetMail> {
    let reset_email = reset_email.filter(|a| !a.trim().is_empty());
    let email = email.filter(|a| !a.trim().is_empty());
    if super::reset_address(reset_email, email, fallback_to_primary).is_some() {
        None
    } else if email.is_none() && reset_email.is_none() {
        Some(NoResetMail::NoAddress)
    } else {
        Some(NoResetMail::NoResetAddress)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Timestamp = 1_800_000_000;

    fn facts() -> LinkFacts {
        LinkFacts {
            delivered_at: Some(T),
            expires_at: T + 3600,
            ..Default::default()
        }
    }

    #[test]
    fn a_delivered_link_is_sent_then_opened_then_password_set() {
        let mut f = facts();
        assert_eq!(link_life(&f, T + 60).state, LinkState::Sent);
        f.first_opened_at = Some(T + 120);
        f.open_count = 2;
        let life = link_life(&f, T + 130);
        assert_eq!(life.state, LinkState::Opened);
        assert!(!life.likely_scanner);
        f.used_at = Some(T + 200);
        assert_eq!(link_life(&f, T + 300).state, LinkState::PasswordSet);
    }

    #[test]
    fn expiry_and_supersession_whichever_came_first() {
        let mut f = facts();
        assert_eq!(link_life(&f, T + 3600).state, LinkState::Expired);
        f.superseded_at = Some(T + 100);
        f.cancelled_at = Some(T + 100);
        assert_eq!(link_life(&f, T + 5000).state, LinkState::Superseded);
        let mut late = facts();
        late.superseded_at = Some(T + 4000);
        late.cancelled_at = Some(T + 4000);
        assert_eq!(link_life(&late, T + 5000).state, LinkState::Expired);
        let mut cancelled = facts();
        cancelled.cancelled_at = Some(T + 10);
        assert_eq!(link_life(&cancelled, T + 20).state, LinkState::Cancelled);
    }

    #[test]
    fn an_opening_within_seconds_without_a_password_is_a_likely_scanner() {
        let mut f = facts();
        f.first_opened_at = Some(T + 1);
        assert!(link_life(&f, T + 60).likely_scanner);
        f.first_opened_at = Some(T - 1);
        assert!(
            link_life(&f, T + 60).likely_scanner,
            "before the delivery was recorded"
        );
        f.first_opened_at = Some(T + SCANNER_WINDOW_SECS + 1);
        assert!(!link_life(&f, T + 60).likely_scanner);
        // The person set a password after all: not a scanner (or the scanner didn't matter).
        f.first_opened_at = Some(T + 1);
        f.used_at = Some(T + 30);
        assert!(!link_life(&f, T + 60).likely_scanner);
        // Delivery not known: no judgement.
        let mut unknown = facts();
        unknown.delivered_at = None;
        unknown.first_opened_at = Some(T);
        assert!(!link_life(&unknown, T + 60).likely_scanner);
    }

    #[test]
    fn temporary_passwords_are_sent_or_password_set() {
        assert_eq!(temporary_password_life(T, None).state, LinkState::Sent);
        assert_eq!(
            temporary_password_life(T, Some(T + 5)).state,
            LinkState::PasswordSet
        );
    }

    #[test]
    fn who_cannot_receive_a_reset_mail_and_why() {
        let r = Some("r@example.org");
        let p = Some("p@example.org");
        assert_eq!(no_reset_mail(r, p, false), None);
        assert_eq!(no_reset_mail(r, None, false), None);
        assert_eq!(no_reset_mail(None, p, true), None);
        assert_eq!(
            no_reset_mail(None, p, false),
            Some(NoResetMail::NoResetAddress)
        );
        assert_eq!(
            no_reset_mail(Some(""), p, false),
            Some(NoResetMail::NoResetAddress)
        );
        assert_eq!(
            no_reset_mail(None, None, true),
            Some(NoResetMail::NoAddress)
        );
        assert_eq!(
            no_reset_mail(Some(" "), Some(""), false),
            Some(NoResetMail::NoAddress)
        );
    }
}
