//! What commands print: text for people, or one JSON document with `--json`.

use serde::Serialize;

use crate::clock::format_utc;

pub(super) fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub(super) fn onoff(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}

/// Longest reply or error shown in a list row; `task show` prints them whole.
pub(super) const LIST_TEXT_WIDTH: usize = 60;

/// On one line and at most `max` characters, for a list column.
pub(super) fn one_line(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        flat
    } else {
        let cut: String = flat.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

pub(super) fn opt_time(ts: Option<crate::clock::Timestamp>) -> String {
    ts.map(format_utc).unwrap_or_else(|| "-".into())
}
