//! The clock. `JIT_NOW` (RFC 3339) pins "now" for reproducible tests and demos.

use crate::error::{Error, Result};
use crate::model::Timestamp;

/// The current time, or `JIT_NOW` when set.
pub fn now() -> Result<Timestamp> {
    match std::env::var("JIT_NOW") {
        Ok(s) if !s.trim().is_empty() => Timestamp::parse(&s)
            .map_err(|_| Error::invalid("JIT_NOW", format!("`{s}` is not an RFC 3339 time"))),
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
