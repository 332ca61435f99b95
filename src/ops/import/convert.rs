//! Conversions every source shares: times in the formats trackers write, people as actors,
//! dates for `due`, labels and context values checked against jit's limits.

use crate::model::{Actor, Timestamp, limits, validate_name, validate_text};
use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Reads a time as trackers write it: RFC 3339 (`2024-05-14T08:53:33Z`), `YYYY-MM-DD HH:MM[:SS]`
/// and `YYYY-MM-DDTHH:MM` (UTC), a date (midnight UTC), Jira's `14/Feb/24 3:52 PM`, or a
/// JavaScript `Date` string (`Tue May 14 2024 08:53:33 GMT+0000 (Coordinated Universal Time)`).
pub fn time(s: &str) -> Option<Timestamp> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(ts) = Timestamp::parse(t) {
        return Some(ts);
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%d/%b/%y %I:%M %p",
        "%d/%b/%Y %I:%M %p",
        "%d/%b/%y %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, f) {
            return Some(Timestamp::from_datetime(Utc.from_utc_datetime(&n)));
        }
    }
    if let Some(d) = date_only(t) {
        return d
            .and_hms_opt(0, 0, 0)
            .map(|n| Timestamp::from_datetime(Utc.from_utc_datetime(&n)));
    }
    // JavaScript's Date#toString: drop the zone name in parentheses.
    let js = t.split(" (").next().unwrap_or(t);
    chrono::DateTime::parse_from_str(js, "%a %b %d %Y %H:%M:%S GMT%z")
        .ok()
        .map(|d| Timestamp::from_datetime(d.with_timezone(&Utc)))
}

fn date_only(t: &str) -> Option<NaiveDate> {
    ["%Y-%m-%d", "%d/%b/%y", "%d/%b/%Y", "%Y/%m/%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
}

/// A due date (`YYYY-MM-DD`) from a date or a time.
pub fn due(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if let Some(d) = date_only(t) {
        return Some(d.format("%Y-%m-%d").to_string());
    }
    time(t).map(|ts| ts.datetime().format("%Y-%m-%d").to_string())
}

/// A person as an actor: `type:identifier` stays as it is when valid; anything else becomes
/// `human:<name>` with whitespace folded to `-` (`Jane Doe` → `human:Jane-Doe`, `@alice` →
/// `human:alice`). `None` for blank input.
pub fn actor(s: &str) -> Option<String> {
    let t = s.trim().trim_start_matches('@').trim();
    if t.is_empty() {
        return None;
    }
    if t.contains(':')
        && let Ok(a) = Actor::parse(t)
    {
        return Some(a.to_string());
    }
    Actor::human_from_name(t).map(|a| a.to_string())
}

/// Checks a label or milestone name (trimmed, one line, at most 200 characters).
pub fn name(field: &str, s: &str) -> Result<String, String> {
    validate_name(field, s).map_err(message)
}

/// Checks a long text (description, comment body): bounded, no control characters but newline
/// and tab; CRLF becomes LF.
pub fn text(field: &str, s: &str) -> Result<String, String> {
    validate_text(field, s).map_err(message)
}

/// Checks a context value: at most 64 KiB, no control characters but newline and tab.
pub fn context_value(s: &str) -> Result<String, String> {
    if s.len() > limits::CONTEXT_VALUE {
        return Err(format!(
            "is {} bytes; a kept field may hold {} (context value limit)",
            s.len(),
            limits::CONTEXT_VALUE
        ));
    }
    validate_text("value", s).map_err(message)
}

/// The message of a validation error without its field prefix.
pub fn message(e: crate::error::Error) -> String {
    match e {
        crate::error::Error::InvalidValue { message, .. } => message,
        other => other.to_string(),
    }
}

/// A JSON value as a context string: strings as they are, anything else compact JSON.
pub fn json_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) if s.trim().is_empty() => None,
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Array(a) if a.is_empty() => None,
        serde_json::Value::Object(o) if o.is_empty() => None,
        other => Some(other.to_string()),
    }
}

/// Splits acceptance-criteria text into checklist items: each non-blank line is one item, list
/// markers (`- `, `* `, `+ `, `1. `) dropped, `[x]` checks it and `[ ]` leaves it open.
pub fn checklist_lines(text: &str) -> Vec<(String, bool)> {
    text.lines()
        .filter_map(|line| {
            let mut t = line.trim();
            for m in ["- ", "* ", "+ "] {
                if let Some(r) = t.strip_prefix(m) {
                    t = r.trim_start();
                    break;
                }
            }
            if let Some(pos) = t.find(". ")
                && pos > 0
                && t[..pos].chars().all(|c| c.is_ascii_digit())
            {
                t = t[pos + 2..].trim_start();
            }
            let (checked, t) = if let Some(r) = t.strip_prefix("[ ]") {
                (false, r)
            } else if let Some(r) = t.strip_prefix("[x]").or_else(|| t.strip_prefix("[X]")) {
                (true, r)
            } else {
                (false, t)
            };
            let t = t.trim();
            (!t.is_empty()).then(|| (t.chars().filter(|c| !c.is_control()).collect(), checked))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_tracker_formats() {
        let want = "2024-05-14T08:53:00.000Z";
        for s in [
            "2024-05-14T08:53:00Z",
            "2024-05-14 08:53",
            "2024-05-14T08:53",
            "14/May/24 8:53 AM",
            "Tue May 14 2024 08:53:00 GMT+0000 (Coordinated Universal Time)",
        ] {
            assert_eq!(time(s).map(|t| t.to_string()).as_deref(), Some(want), "{s}");
        }
        assert_eq!(
            time("2024-05-14").unwrap().to_string(),
            "2024-05-14T00:00:00.000Z"
        );
        assert!(time("next tuesday").is_none());
        assert_eq!(due("2024-05-14T23:00:00Z").as_deref(), Some("2024-05-14"));
        assert_eq!(due("14/May/24").as_deref(), Some("2024-05-14"));
    }

    #[test]
    fn actors() {
        assert_eq!(actor("Jane  Doe").as_deref(), Some("human:Jane-Doe"));
        assert_eq!(actor("@alice").as_deref(), Some("human:alice"));
        assert_eq!(actor("agent:copilot").as_deref(), Some("agent:copilot"));
        assert_eq!(actor("  ").as_deref(), None);
    }

    #[test]
    fn checklists() {
        assert_eq!(
            checklist_lines("- [ ] one\n* [x] two\n\n3. three\nplain"),
            [
                ("one".to_string(), false),
                ("two".to_string(), true),
                ("three".to_string(), false),
                ("plain".to_string(), false)
            ]
        );
    }
}
