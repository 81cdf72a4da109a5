//! Durations: read from a person (`30m`), written back for forms (`30m`), written for prose
//! in mail and pages (`30 minutes`).

use std::time::Duration;

use super::{InvalidInput, Msg};

/// A duration typed by a person: `30m`, `24h`, `7days`. `what` names the field as the caller
/// shows it (`--valid-for`, `reset_link_ttl`): for the CLI and the API, whose names are not
/// translated.
pub fn parse_duration(what: &str, raw: &str) -> Result<Duration, InvalidInput> {
    parse_duration_as(Msg::new("domain-duration").arg("what", what), raw)
}

/// [`parse_duration`] for a form field with its own refusal, `refusal` with the typed text as
/// `value` ("Reset link validity: `…` is not a duration like 30m, 24h or 7d").
pub fn parse_duration_as(refusal: Msg, raw: &str) -> Result<Duration, InvalidInput> {
    humantime::parse_duration(raw.trim())
        .map_err(|_| refusal.arg("value", raw.escape_debug().to_string()).into())
}

/// Formats seconds as `30m`, `1h 30m`, `7days` for forms and listings (what
/// [`parse_duration`] reads back).
pub fn format_duration(secs: i64) -> String {
    humantime::format_duration(Duration::from_secs(secs.max(0) as u64)).to_string()
}

/// Seconds as prose for mail and pages: "30 minutes", "1 hour", "7 days". Whole days or hours
/// when they divide evenly, else minutes (rounded up).
pub fn human_duration(secs: i64) -> String {
    let (n, unit) = duration_parts(secs);
    let unit = match unit {
        DurationUnit::Days => "day",
        DurationUnit::Hours => "hour",
        DurationUnit::Minutes => "minute",
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// The unit a duration is said in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationUnit {
    Minutes,
    Hours,
    Days,
}

/// How a duration is said: whole days or hours when they divide evenly, else minutes (rounded
/// up). The words come from the reader's language.
pub fn duration_parts(secs: i64) -> (i64, DurationUnit) {
    match secs {
        s if s % 86_400 == 0 && s >= 86_400 => (s / 86_400, DurationUnit::Days),
        s if s % 3600 == 0 && s >= 3600 => (s / 3600, DurationUnit::Hours),
        s => ((s + 59) / 60, DurationUnit::Minutes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(1800), "30 minutes");
        assert_eq!(human_duration(60), "1 minute");
        assert_eq!(human_duration(61), "2 minutes");
        assert_eq!(human_duration(3600), "1 hour");
        assert_eq!(human_duration(7200), "2 hours");
        assert_eq!(human_duration(86_400), "1 day");
        assert_eq!(human_duration(7 * 86_400), "7 days");
        assert_eq!(human_duration(90 * 60), "90 minutes");
        assert_eq!(human_duration(36 * 3600), "36 hours");
    }

    #[test]
    fn form_durations_round_trip() {
        assert_eq!(format_duration(1800), "30m");
        assert_eq!(format_duration(5400), "1h 30m");
        assert_eq!(format_duration(-5), "0s");
        for secs in [60, 1800, 5400, 86_400, 7 * 86_400] {
            let back = parse_duration("x", &format_duration(secs)).unwrap();
            assert_eq!(back.as_secs() as i64, secs);
        }
        assert_eq!(parse_duration("x", " 24h ").unwrap().as_secs(), 86_400);
        assert!(parse_duration("validity", "soon")
            .unwrap_err()
            .to_string()
            .contains("validity: `soon` is not a duration"));
    }
}
