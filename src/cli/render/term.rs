//! What the terminal is: its width (when stdout is one), and times relative to now for people.
//!
//! Invariants: output that is not a terminal has no width, so nothing is ever cut or dropped in
//! a pipe or a file; on a terminal the width is `COLUMNS` when it holds a positive number, else
//! the terminal's own, else 80. Relative times are for human output only (JSON carries the full
//! timestamps) and take "now" from the one clock (`JIT_NOW` in tests).

use crate::model::Timestamp;
use std::io::IsTerminal;
use std::sync::OnceLock;

/// The width human output must fit, or `None` when stdout is not a terminal.
pub fn width() -> Option<usize> {
    static W: OnceLock<Option<usize>> = OnceLock::new();
    *W.get_or_init(|| {
        let out = std::io::stdout();
        if !out.is_terminal() {
            return None;
        }
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|&c| c > 0);
        Some(
            columns
                .or_else(|| terminal_size::terminal_size_of(&out).map(|(w, _)| usize::from(w.0)))
                .filter(|&c| c > 0)
                .unwrap_or(80),
        )
    })
}

/// Now, for relative times (the command's clock; the system clock if `JIT_NOW` is unreadable,
/// which the command itself reports).
pub fn now() -> Timestamp {
    static NOW: OnceLock<Timestamp> = OnceLock::new();
    *NOW.get_or_init(|| {
        crate::clock::now()
            .unwrap_or_else(|_| Timestamp::from_millis(crate::clock::system_millis() as i64))
    })
}

/// A span in the largest unit that fits, rounded to the nearest: `45s`, `12m`, `3h`, `5d`,
/// `7w` (a lease of `30m` taken a moment ago still reads `30m`).
pub fn span(ms: i64) -> String {
    let ms = ms.unsigned_abs();
    let round = |unit: u64| (ms + unit / 2) / unit;
    const S: u64 = 1000;
    match ms {
        m if m < 60 * S - S / 2 => format!("{}s", round(S)),
        m if m < 3600 * S - 30 * S => format!("{}m", round(60 * S)),
        m if m < 86_400 * S - 1800 * S => format!("{}h", round(3600 * S)),
        m if m < 14 * 86_400 * S => format!("{}d", round(86_400 * S)),
        _ => format!("{}w", round(7 * 86_400 * S)),
    }
}

/// `3h ago`, `in 2d`, `just now`, relative to `now`; beyond a year, the date.
pub fn relative_to(t: Timestamp, now: Timestamp) -> String {
    let d = t.millis() - now.millis();
    if d.abs() < 1000 {
        return "just now".into();
    }
    if d.abs() > 365 * 86_400_000 {
        return t.datetime().format("%Y-%m-%d").to_string();
    }
    if d < 0 {
        format!("{} ago", span(d))
    } else {
        format!("in {}", span(d))
    }
}

/// [`relative_to`] the command's now.
pub fn relative(t: Timestamp) -> String {
    relative_to(t, now())
}

/// A time for people, to the minute: `2026-01-02 03:04 UTC`.
pub fn minute(t: Timestamp) -> String {
    t.datetime().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A due date (`YYYY-MM-DD`) relative to today: `in 3d`, `today`, `2d overdue`; `None` for
/// text that is not a date.
pub fn due(date: &str, now: Timestamp) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let today = now.datetime().date_naive();
    let days = (d - today).num_days();
    Some(match days {
        0 => "today".into(),
        1 => "tomorrow".into(),
        n if n > 0 => format!("in {n}d"),
        n => format!("{}d overdue", -n),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times_read_like_speech() {
        let now = Timestamp::parse("2026-01-10T12:00:00Z").unwrap();
        let at = |s| relative_to(Timestamp::parse(s).unwrap(), now);
        assert_eq!(at("2026-01-10T12:00:00Z"), "just now");
        assert_eq!(at("2026-01-10T11:59:15Z"), "45s ago");
        assert_eq!(at("2026-01-10T09:00:00Z"), "3h ago");
        assert_eq!(at("2026-01-12T12:00:00Z"), "in 2d");
        assert_eq!(at("2026-01-10T12:30:00Z"), "in 30m");
        assert_eq!(at("2025-12-01T12:00:00Z"), "6w ago");
        assert_eq!(at("2026-01-13T11:59:59.990Z"), "in 3d");
        assert_eq!(at("2026-01-10T12:59:50Z"), "in 1h");
        assert_eq!(at("2026-01-10T12:00:59.700Z"), "in 1m");
        assert_eq!(at("2024-01-01T00:00:00Z"), "2024-01-01");
        assert_eq!(due("2026-01-13", now).unwrap(), "in 3d");
        assert_eq!(due("2026-01-10", now).unwrap(), "today");
        assert_eq!(due("2026-01-08", now).unwrap(), "2d overdue");
        assert!(due("soon", now).is_none());
    }
}
