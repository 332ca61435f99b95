//! Timestamps and durations: RFC 3339 in UTC with millisecond precision, and `30m`-style spans.
//!
//! Invariant: a [`Timestamp`] always serializes as `YYYY-MM-DDTHH:MM:SS.mmmZ`, so files diff
//! cleanly and string order equals time order.

use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A point in time, UTC, millisecond precision.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// Wraps a chrono time, truncated to milliseconds.
    pub fn from_datetime(t: DateTime<Utc>) -> Self {
        let ms = t.timestamp_millis();
        Timestamp(Utc.timestamp_millis_opt(ms).single().unwrap_or(t))
    }

    /// From milliseconds since the epoch.
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(Utc.timestamp_millis_opt(ms).single().unwrap_or_default())
    }

    /// Parses RFC 3339 (any offset; stored as UTC).
    pub fn parse(s: &str) -> Result<Self> {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Timestamp::from_datetime(t.with_timezone(&Utc)))
            .map_err(|e| Error::invalid("time", format!("`{s}` is not an RFC 3339 time ({e})")))
    }

    /// Parses a point in time given as RFC 3339, a date `YYYY-MM-DD` (midnight UTC), or a span
    /// back from `now` such as `2h`, `7d`, `30m`.
    pub fn parse_relative(s: &str, now: Timestamp) -> Result<Self> {
        let t = s.trim();
        if let Ok(d) = parse_duration(t) {
            return Ok(now.minus(d));
        }
        if let Ok(date) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            let dt = date.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
            if let Some(dt) = dt {
                return Ok(Timestamp::from_datetime(dt));
            }
        }
        Timestamp::parse(t).map_err(|_| {
            Error::invalid(
                "time",
                format!(
                    "`{s}` is neither RFC 3339, a date (YYYY-MM-DD) nor a span like `2h` or `7d`"
                ),
            )
        })
    }

    /// Milliseconds since the epoch.
    pub fn millis(&self) -> i64 {
        self.0.timestamp_millis()
    }

    /// The underlying chrono time.
    pub fn datetime(&self) -> DateTime<Utc> {
        self.0
    }

    /// This time plus a duration.
    pub fn plus(&self, d: std::time::Duration) -> Self {
        Timestamp::from_millis(self.millis().saturating_add(d.as_millis() as i64))
    }

    /// This time minus a duration.
    pub fn minus(&self, d: std::time::Duration) -> Self {
        Timestamp::from_millis(self.millis().saturating_sub(d.as_millis() as i64))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Timestamp {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Timestamp".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "format": "date-time",
            "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$",
            "description": "A UTC time in RFC 3339 with milliseconds, e.g. `2026-01-02T03:04:05.678Z`."
        })
    }
}

/// Parses a span: a positive whole number followed by `s`, `m`, `h`, `d` or `w` (`90s`, `30m`,
/// `2h`, `7d`, `1w`), or several concatenated (`1h30m`).
pub fn parse_duration(s: &str) -> Result<std::time::Duration> {
    let bad = || {
        Error::invalid(
            "duration",
            format!("`{s}` is not a duration like `90s`, `30m`, `2h`, `7d` or `1h30m`"),
        )
    };
    let t = s.trim();
    if t.is_empty() {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    for c in t.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(bad()),
        };
        let n: u64 = num.parse().map_err(|_| bad())?;
        num.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !num.is_empty() || total == 0 {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_millis() {
        let t = Timestamp::parse("2026-01-02T03:04:05.678+02:00").unwrap();
        assert_eq!(t.to_string(), "2026-01-02T01:04:05.678Z");
        let j = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Timestamp>(&j).unwrap(), t);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30m").unwrap().as_secs(), 1800);
        assert_eq!(parse_duration("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("2d").unwrap().as_secs(), 172_800);
        for bad in ["", "m", "30", "0m", "5x", "-5m", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relative() {
        let now = Timestamp::parse("2026-01-10T00:00:00Z").unwrap();
        assert_eq!(
            Timestamp::parse_relative("2d", now).unwrap().to_string(),
            "2026-01-08T00:00:00.000Z"
        );
        assert_eq!(
            Timestamp::parse_relative("2026-01-01", now)
                .unwrap()
                .to_string(),
            "2026-01-01T00:00:00.000Z"
        );
        assert!(Timestamp::parse_relative("yesterday", now).is_err());
    }
}
