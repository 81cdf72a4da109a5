//! A local date and time in a named time zone (IANA, e.g. `Europe/Berlin`) as the moment it
//! means, with the time-zone database built in (jiff). A time that doesn't exist (clocks jump
//! forward over it) or exists twice (clocks go back) is refused with the reason, never guessed.

use jiff::civil::DateTime;
use jiff::tz::{AmbiguousOffset, TimeZone};

use super::{InvalidInput, Msg};

/// Time zones offered in forms, besides any IANA name typed.
pub const COMMON_ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Berlin",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/Paris",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Prague",
    "Europe/Helsinki",
    "Europe/Athens",
    "Europe/Istanbul",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
];

/// Every zone name of the built-in database, sorted (for the API's list of accepted values).
pub fn zone_names() -> &'static [String] {
    static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
        let mut names: Vec<String> = jiff::tz::db()
            .available()
            .map(|n| n.as_str().to_owned())
            .collect();
        names.sort();
        names
    });
    &NAMES
}

/// A fixed offset such as `+01:00` or `-05:30` (forms made before zones had names).
fn fixed_offset(name: &str) -> Option<TimeZone> {
    let (sign, rest) = match name.as_bytes().first()? {
        b'+' => (1, &name[1..]),
        b'-' => (-1, &name[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
    if h > 14 || m > 59 {
        return None;
    }
    let offset = jiff::tz::Offset::from_seconds(sign * (h * 3600 + m * 60)).ok()?;
    Some(TimeZone::fixed(offset))
}

/// The time zone named `name` (IANA, `UTC`, or a fixed offset like `+01:00`).
pub fn zone(name: &str) -> Result<TimeZone, InvalidInput> {
    let name = name.trim();
    if let Some(tz) = fixed_offset(name) {
        return Ok(tz);
    }
    if name.is_empty() || name.len() > 64 || name.chars().any(|c| c.is_control()) {
        return Err(Msg::new("console-people-dom-zone-empty").into());
    }
    TimeZone::get(name).map_err(|_| {
        Msg::new("console-people-dom-zone")
            .arg("value", name.escape_debug().to_string())
            .into()
    })
}

/// `local` (`2027-03-28T08:00`, seconds optional, a space instead of `T` accepted) in the time
/// zone `zone_name`, as Unix seconds.
pub fn local_to_unix(local: &str, zone_name: &str) -> Result<i64, InvalidInput> {
    let raw = local.trim();
    let civil: DateTime = raw.replacen(' ', "T", 1).parse().map_err(|_| {
        InvalidInput::from(
            Msg::new("console-reset-bad-date")
                .arg("value", raw.escape_debug().to_string())
                .arg("example", "2027-03-28T08:00"),
        )
    })?;
    let tz = zone(zone_name)?;
    let name = zone_name.trim();
    let ambiguous = tz.to_ambiguous_zoned(civil);
    match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => {}
        AmbiguousOffset::Gap { before, after } => {
            return Err(Msg::new("console-reset-gap")
                .arg("time", civil.strftime("%Y-%m-%d %H:%M").to_string())
                .arg("time_de", civil.strftime("%d.%m.%Y %H:%M").to_string())
                .arg("zone", name)
                .arg("before", before.to_string())
                .arg("after", after.to_string())
                .into())
        }
        AmbiguousOffset::Fold { before, after } => {
            return Err(Msg::new("console-reset-fold")
                .arg("time", civil.strftime("%Y-%m-%d %H:%M").to_string())
                .arg("time_de", civil.strftime("%d.%m.%Y %H:%M").to_string())
                .arg("zone", name)
                .arg("before", before.to_string())
                .arg("after", after.to_string())
                .into())
        }
    }
    let zoned = ambiguous.unambiguous().map_err(|e| {
        InvalidInput::from(Msg::new("domain-start-time").arg("error", e.to_string()))
    })?;
    Ok(zoned.timestamp().as_second())
}

/// Unix seconds as a local date and time in `zone_name` with its abbreviation
/// (`2027-03-28 08:00 CEST`); UTC when the zone is unknown.
pub fn format_in(unix: i64, zone_name: &str) -> String {
    let tz = zone(zone_name).unwrap_or(TimeZone::UTC);
    match jiff::Timestamp::from_second(unix) {
        Ok(ts) => ts.to_zoned(tz).strftime("%Y-%m-%d %H:%M %Z").to_string(),
        Err(_) => unix.to_string(),
    }
}

/// Unix seconds for a page: the date and time with seconds in `zone_name`, written the way
/// `lang` writes dates (`2027-03-28 08:00:05 CEST`, `28.03.2027 08:00:05 CEST`).
pub fn format_for(unix: i64, zone_name: &str, lang: super::Language) -> String {
    let tz = zone(zone_name).unwrap_or(TimeZone::UTC);
    let pattern = match lang {
        super::Language::En => "%Y-%m-%d %H:%M:%S %Z",
        super::Language::De => "%d.%m.%Y %H:%M:%S %Z",
    };
    match jiff::Timestamp::from_second(unix) {
        Ok(ts) => ts.to_zoned(tz).strftime(pattern).to_string(),
        Err(_) => unix.to_string(),
    }
}

/// A day written `YYYY-MM-DD` (the spelling [`crate::clock::parse_day`] accepts) as a day in
/// the time zone `zone_name` (UTC when the zone is unknown): its first second there as Unix
/// seconds, or with `end` its last one. A list that shows times in the reader's zone filters by
/// the reader's days, so an event shown on the 4th is found from the 4th. Days the clocks change
/// on have 23 or 25 hours. `None` when `raw` is no such date.
pub fn day_in(raw: &str, zone_name: &str, end: bool) -> Option<i64> {
    let utc_start = crate::clock::parse_day(raw, false)?;
    let date = jiff::Timestamp::from_second(utc_start)
        .ok()?
        .to_zoned(TimeZone::UTC)
        .date();
    let tz = zone(zone_name).unwrap_or(TimeZone::UTC);
    let start = |d: jiff::civil::Date| {
        d.to_zoned(tz.clone())
            .and_then(|z| z.start_of_day())
            .ok()
            .map(|z| z.timestamp().as_second())
    };
    if end {
        Some(start(date.tomorrow().ok()?)? - 1)
    } else {
        start(date)
    }
}

/// Unix seconds as RFC 3339 UTC (`2027-03-28T06:00:05Z`), for machines.
pub fn rfc3339(unix: i64) -> String {
    jiff::Timestamp::from_second(unix)
        .map(|ts| ts.to_string())
        .unwrap_or_else(|_| unix.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> i64 {
        s.parse::<jiff::Timestamp>().unwrap().as_second()
    }

    #[test]
    fn eight_in_berlin_on_the_days_the_clocks_change() {
        // Summer time starts on 2027-03-28 (02:00 → 03:00), ends on 2027-10-31 (03:00 → 02:00).
        assert_eq!(
            local_to_unix("2027-03-28T08:00", "Europe/Berlin").unwrap(),
            utc("2027-03-28T06:00:00Z")
        );
        assert_eq!(
            local_to_unix("2027-10-31 08:00", "Europe/Berlin").unwrap(),
            utc("2027-10-31T07:00:00Z")
        );
        assert_eq!(
            local_to_unix("2027-03-27T08:00:00", "Europe/Berlin").unwrap(),
            utc("2027-03-27T07:00:00Z")
        );
        let gap = local_to_unix("2027-03-28T02:30", "Europe/Berlin").unwrap_err();
        assert!(gap.to_string().contains("does not exist"), "{gap:?}");
        let fold = local_to_unix("2027-10-31T02:30", "Europe/Berlin").unwrap_err();
        assert!(fold.to_string().contains("happens twice"), "{fold:?}");
        assert_eq!(
            local_to_unix("2027-03-28T02:30", "UTC").unwrap(),
            utc("2027-03-28T02:30:00Z")
        );
    }

    #[test]
    fn bad_input_names_the_field() {
        assert!(local_to_unix("tomorrow", "UTC")
            .unwrap_err()
            .to_string()
            .starts_with("start time"));
        assert!(local_to_unix("2027-02-30T08:00", "UTC").is_err());
        for bad in ["", "Mars/Olympus", "Europe/Ber\u{0}lin", "../../etc/passwd"] {
            assert!(
                local_to_unix("2027-03-28T08:00", bad)
                    .unwrap_err()
                    .to_string()
                    .starts_with("time zone"),
                "{bad:?}"
            );
        }
        assert_eq!(
            local_to_unix("2027-03-28T08:00", "+01:00").unwrap(),
            utc("2027-03-28T07:00:00Z")
        );
        assert!(zone("+15:00").is_err() && zone("+1:00").is_err());
        for z in COMMON_ZONES {
            assert!(zone(z).is_ok(), "{z}");
        }
    }

    #[test]
    fn days_are_the_zones_days() {
        // 00:30 on 4 December in Berlin is 23:30 UTC on the 3rd.
        assert_eq!(
            day_in("2026-12-04", "Europe/Berlin", false),
            Some(utc("2026-12-03T23:00:00Z"))
        );
        assert_eq!(
            day_in(" 2026-12-03 ", "Europe/Berlin", true),
            Some(utc("2026-12-03T22:59:59Z"))
        );
        assert_eq!(
            day_in("2026-12-04", "UTC", false),
            crate::clock::parse_day("2026-12-04", false)
        );
        assert_eq!(
            day_in("2026-12-04", "Nowhere/Else", true),
            crate::clock::parse_day("2026-12-04", true)
        );
        // The day summer time starts has 23 hours, the day it ends 25.
        let (from, to) = (
            day_in("2027-03-28", "Europe/Berlin", false).unwrap(),
            day_in("2027-03-28", "Europe/Berlin", true).unwrap(),
        );
        assert_eq!(
            (from, to - from + 1),
            (utc("2027-03-27T23:00:00Z"), 23 * 3600)
        );
        let (from, to) = (
            day_in("2027-10-31", "Europe/Berlin", false).unwrap(),
            day_in("2027-10-31", "Europe/Berlin", true).unwrap(),
        );
        assert_eq!(
            (from, to - from + 1),
            (utc("2027-10-30T22:00:00Z"), 25 * 3600)
        );
        assert_eq!(
            day_in("2027-01-05", "America/New_York", false),
            Some(utc("2027-01-05T05:00:00Z"))
        );
        for bad in ["", "2026-13-01", "22.11.2026", "tomorrow"] {
            assert_eq!(day_in(bad, "Europe/Berlin", false), None, "{bad:?}");
        }
    }

    #[test]
    fn times_are_shown_in_the_zone() {
        assert_eq!(
            format_in(utc("2027-03-28T06:00:00Z"), "Europe/Berlin"),
            "2027-03-28 08:00 CEST"
        );
        assert_eq!(
            format_in(utc("2027-01-05T06:00:00Z"), "Nowhere/Else"),
            "2027-01-05 06:00 UTC"
        );
        let t = utc("2027-03-28T06:00:05Z");
        use crate::domain::Language;
        assert_eq!(
            format_for(t, "Europe/Berlin", Language::En),
            "2027-03-28 08:00:05 CEST"
        );
        assert_eq!(
            format_for(t, "Europe/Berlin", Language::De),
            "28.03.2027 08:00:05 CEST"
        );
        assert_eq!(
            format_for(t, "UTC", Language::En),
            "2027-03-28 06:00:05 UTC"
        );
        assert_eq!(rfc3339(t), "2027-03-28T06:00:05Z");
    }
}
