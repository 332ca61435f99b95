//! The clock. `JIT_NOW` (RFC 3339) pins "now" for reproducible tests and demos.
//!
//! Invariant: a `JIT_NOW` that is set and not empty is either a valid time or an error
//! (`invalid_value`, naming `JIT_NOW`) for every command; it is never silently ignored.

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// The current time, or `JIT_NOW` when set (an empty value counts as unset).
pub fn now() -> Result<Timestamp> {
    match std::env::var("JIT_NOW") {
        Ok(s) if !s.trim().is_empty() => Timestamp::parse(&s).map_err(|_| {
            Error::invalid(
                "JIT_NOW",
                format!(
                    "`{}` is not an RFC 3339 time (like 2026-01-02T03:04:05Z); fix or unset it",
                    s.escape_debug()
                ),
            )
        }),
        Err(std::env::VarError::NotUnicode(s)) => Err(Error::invalid(
            "JIT_NOW",
            format!(
                "`{}` is not UTF-8, so not an RFC 3339 time; fix or unset it",
                s.to_string_lossy().escape_debug()
            ),
        )),
        _ => Ok(Timestamp::from_datetime(chrono::Utc::now())),
    }
}

/// Wall-clock milliseconds, used for ULID ordering even when `JIT_NOW` is pinned.
pub fn system_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
