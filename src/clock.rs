//! Time, injectable so tests can move it forward instead of sleeping.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Seconds since the Unix epoch, UTC. Every timestamp Latchkey stores is one of these.
pub type Timestamp = i64;

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        time::OffsetDateTime::now_utc().unix_timestamp()
    }
}

/// The wall clock plus an adjustable offset: tests use it to expire sessions and tokens.
#[derive(Debug, Default, Clone)]
pub struct OffsetClock {
    offset: Arc<AtomicI64>,
}

impl OffsetClock {
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> Timestamp {
        SystemClock.now() + self.offset.load(Ordering::SeqCst)
    }
}

/// A day written `YYYY-MM-DD` (UTC; blanks around it are ignored) as Unix time: its first
/// second, or with `end` its last one. `None` when `raw` is no such date.
pub fn parse_day(raw: &str, end: bool) -> Option<Timestamp> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(raw.trim(), &format).ok()?;
    let start = day.midnight().assume_utc().unix_timestamp();
    Some(if end { start + 86_399 } else { start })
}

/// Formats a timestamp for people: `2026-11-22 08:00 UTC`.
pub fn format_utc(ts: Timestamp) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(ts)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ts.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn days_parse_to_their_first_and_last_second() {
        assert_eq!(super::parse_day("2026-11-22", false), Some(1_795_305_600));
        assert_eq!(
            super::parse_day(" 2026-11-22 ", true),
            Some(1_795_305_600 + 86_399)
        );
        assert_eq!(super::parse_day("2026-13-01", false), None);
        assert_eq!(super::parse_day("22.11.2026", false), None);
    }
}
