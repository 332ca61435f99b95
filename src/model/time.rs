//! Timestamps and durations: RFC 3339 in UTC with millisecond precision, and `30m`-style spans.
//!
//! Invariants: a [`Timestamp`] always serializes as `YYYY-MM-DDTHH:MM:SS.mmmZ`, so files diff
//! cleanly and string order equals time order; it lies between [`Timestamp::MIN`] (year 0) and
//! [`Timestamp::MAX`] (the end of year 9999), the range RFC 3339 can write, so every time jit
//! writes reads back. Arithmetic saturates at those ends; it never wraps.

use crate::error::{Error, Result};
use chrono::{DateTime, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A point in time, UTC, millisecond precision.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Timestamp(DateTime<Utc>);

/// Milliseconds since the epoch of 0000-01-01T00:00:00.000Z.
const MIN_MS: i64 = -62_167_219_200_000;
/// Milliseconds since the epoch of 9999-12-31T23:59:59.999Z.
const MAX_MS: i64 = 253_402_300_799_999;

impl Timestamp {
    /// The earliest time: 0000-01-01T00:00:00.000Z.
    pub const MIN_MILLIS: i64 = MIN_MS;
    /// The latest time: 9999-12-31T23:59:59.999Z.
    pub const MAX_MILLIS: i64 = MAX_MS;

    /// The latest time RFC 3339 can write: 9999-12-31T23:59:59.999Z.
    pub fn max() -> Self {
        Timestamp::from_millis(MAX_MS)
    }

    /// Wraps a chrono time, truncated to milliseconds and held within [`Timestamp::MIN_MILLIS`]
    /// and [`Timestamp::MAX_MILLIS`].
    pub fn from_datetime(t: DateTime<Utc>) -> Self {
        Timestamp::from_millis(t.timestamp_millis())
    }

    /// From milliseconds since the epoch, held within the range (never wrapped).
    pub fn from_millis(ms: i64) -> Self {
        let ms = ms.clamp(MIN_MS, MAX_MS);
        Timestamp(
            Utc.timestamp_millis_opt(ms)
                .single()
                .expect("every millisecond of years 0 to 9999 is a valid time"),
        )
    }

    /// Parses RFC 3339 (any offset; stored as UTC).
    pub fn parse(s: &str) -> Result<Self> {
        DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Timestamp::from_datetime(t.with_timezone(&Utc)))
            .map_err(|e| Error::invalid("time", format!("`{s}` is not an RFC 3339 time ({e})")))
    }

    /// A time beyond what RFC 3339 writes, as chrono writes it (`+10240-08-21T11:05:41.617Z`,
    /// `-0001-...`): an earlier jit could write one. Read back as the nearest end of the range,
    /// so the file stays readable and `validate` can repair what it says.
    fn parse_out_of_range(s: &str) -> Option<Self> {
        let t = s.trim();
        let (sign, rest) = match t.as_bytes().first()? {
            b'+' => (1, &t[1..]),
            b'-' => (-1, &t[1..]),
            _ => return None,
        };
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let year_ok = digits >= 4 && rest.as_bytes().get(digits) == Some(&b'-');
        let tail = &rest[digits..];
        (year_ok && tail.len() >= 10 && tail.as_bytes()[6] == b'T').then(|| {
            if sign > 0 && digits > 4 {
                Timestamp::from_millis(MAX_MS)
            } else if sign > 0 {
                // `+2026-...`: an explicit sign on a year RFC 3339 can write.
                Timestamp::parse(rest).unwrap_or(Timestamp::from_millis(MAX_MS))
            } else {
                Timestamp::from_millis(MIN_MS)
            }
        })
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

    /// This time plus a duration, at most [`Timestamp::max`].
    pub fn plus(&self, d: std::time::Duration) -> Self {
        let add = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp::from_millis(self.millis().saturating_add(add))
    }

    /// This time minus a duration, at least year 0.
    pub fn minus(&self, d: std::time::Duration) -> Self {
        let sub = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp::from_millis(self.millis().saturating_sub(sub))
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
        Timestamp::parse(&s)
            .or_else(|e| Timestamp::parse_out_of_range(&s).ok_or(e))
            .map_err(serde::de::Error::custom)
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

/// How long ago `then` was at `now`, in the largest whole unit: `45s`, `12m`, `3h`, `2d` (the
/// span syntax `parse_duration` reads).
pub fn age(now: Timestamp, then: Timestamp) -> String {
    let secs = (now.millis() - then.millis()).max(0) / 1000;
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
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
    fn arithmetic_saturates_within_what_rfc3339_writes() {
        let now = Timestamp::parse("2026-12-01T00:00:00Z").unwrap();
        for secs in [259_200_000_000u64, 99_999_999_999_999 * 86_400, u64::MAX] {
            let t = now.plus(std::time::Duration::from_secs(secs));
            assert_eq!(t.to_string(), "9999-12-31T23:59:59.999Z");
            assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t, "reads back");
            let t = now.minus(std::time::Duration::from_secs(secs));
            assert_eq!(t.to_string(), "0000-01-01T00:00:00.000Z");
            assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        }
        assert_eq!(
            Timestamp::from_millis(i64::MIN),
            Timestamp::from_millis(i64::MIN + 1)
        );
        // What an earlier jit wrote for a year past 9999 reads back as the end of the range.
        let old: Timestamp = serde_json::from_str("\"+10240-08-21T11:05:41.617Z\"").unwrap();
        assert_eq!(old, Timestamp::max());
        let neg: Timestamp = serde_json::from_str("\"-0001-01-01T00:00:00.000Z\"").unwrap();
        assert_eq!(neg.millis(), Timestamp::MIN_MILLIS);
        assert!(serde_json::from_str::<Timestamp>("\"+1x\"").is_err());
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
