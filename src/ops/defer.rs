//! Setting work aside until a date: `issue defer`, `issue undefer`, `query deferred`.
//!
//! Invariants: a deferral is the stored `deferred_until` of an open issue; the one readiness
//! rule (`rules::claimable`) treats an issue deferred past `now` as not ready work, on
//! every path (views, the summary index, `claim-next`, metrics). A deferral that has passed
//! defers nothing and needs no clean-up; starting or closing the work ends it
//! (`crate::times`). Each change is one transaction with one event.

use crate::error::{Error, ErrorCode, Result};
use crate::model::time::parse_duration;
use crate::model::{Actor, Payload, Timestamp, payload};
use crate::rules;
use crate::store::Store;
use crate::view::IssueView;
use crate::view::view_in;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Parses `--until`: a span forward from `now` (`3d`, `2w`, `1h30m`), a date `YYYY-MM-DD`
/// (its start, UTC) or an RFC 3339 time. The time must be after `now`.
pub fn parse_until(s: &str, now: Timestamp) -> Result<Timestamp> {
    let t = s.trim();
    let until = if let Ok(d) = parse_duration(t) {
        now.plus(d)
    } else if let Ok(date) = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        let start = date
            .and_hms_opt(0, 0, 0)
            .ok_or_else(|| Error::invalid("until", format!("`{}` has no start", t)))?;
        Timestamp::from_datetime(start.and_utc())
    } else {
        Timestamp::parse(t).map_err(|_| {
            Error::invalid(
                "until",
                format!(
                    "`{}` is neither a span like `3d` or `2w`, a date (YYYY-MM-DD) nor an RFC 3339 time",
                    s.escape_debug()
                ),
            )
        })?
    };
    if until <= now {
        return Err(Error::invalid(
            "until",
            format!("`{}` ({until}) is not in the future", s.escape_debug()),
        ));
    }
    Ok(until)
}

/// What `issue defer` and `issue undefer` report.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Deferral {
    #[serde(flatten)]
    pub view: IssueView,
    /// Whether this command changed anything (an undefer of an issue that is not deferred does
    /// not).
    pub changed: bool,
}

/// `issue defer`: an open issue set aside until a time.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeferRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Until when: a date (`YYYY-MM-DD`), a time (RFC 3339) or a span from now (`3d`).
    pub until: String,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for DeferRequest {
    type Output = Deferral;
    fn run(self, store: &Store, actor: &Actor) -> Result<Deferral> {
        let until = parse_until(&self.until, crate::clock::now()?)?;
        defer(store, actor, &self.id, until, self.if_version)
    }
}

/// `issue undefer`: a deferral ended now.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UndeferRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for UndeferRequest {
    type Output = Deferral;
    fn run(self, store: &Store, actor: &Actor) -> Result<Deferral> {
        undefer(store, actor, &self.id, self.if_version)
    }
}

/// Sets an open issue aside until `until` (replacing an earlier deferral).
pub fn defer(
    store: &Store,
    actor: &Actor,
    input: &str,
    until: Timestamp,
    if_version: Option<u64>,
) -> Result<Deferral> {
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        if before.state.is_closed() {
            return Err(Error::Refused {
                code: ErrorCode::InvalidTransition,
                message: format!(
                    "issue `{}` is {}; only open work can be deferred",
                    before.short_id(),
                    before.state
                ),
                details: json!({ "id": before.id, "state": before.state }),
            });
        }
        let mut after = before.clone();
        after.deferred_until = Some(until);
        let after = tx.edit(
            &before,
            after,
            Payload::IssueDeferred(payload::Deferred { until }),
        )?;
        let changed = after.version != before.version;
        Ok(Deferral {
            view: view_in(tx, after)?,
            changed,
        })
    })
}

/// Ends a deferral now: the issue is ready work again (if nothing else holds it back).
pub fn undefer(
    store: &Store,
    actor: &Actor,
    input: &str,
    if_version: Option<u64>,
) -> Result<Deferral> {
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let mut after = before.clone();
        after.deferred_until = None;
        let undeferred = Payload::IssueUndeferred(payload::Nothing {});
        let after = tx.edit(&before, after, undeferred)?;
        let changed = after.version != before.version;
        Ok(Deferral {
            view: view_in(tx, after)?,
            changed,
        })
    })
}

/// Open issues deferred past `now`, soonest back first (then by priority and age).
pub fn deferred(mut views: Vec<IssueView>, now: Timestamp) -> Vec<IssueView> {
    views.retain(|v| rules::deferred(&v.issue, now.millis()));
    crate::queries::work_order(&mut views);
    views.sort_by_key(|v| v.issue.deferred_until);
    views
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn until_takes_spans_dates_and_times_in_the_future() {
        let now = Timestamp::parse("2026-01-10T12:00:00Z").unwrap();
        let p = |s| parse_until(s, now).map(|t| t.to_string());
        assert_eq!(p("3d").unwrap(), "2026-01-13T12:00:00.000Z");
        assert_eq!(p("2026-02-01").unwrap(), "2026-02-01T00:00:00.000Z");
        assert_eq!(
            p("2026-01-10T13:00:00+01:00").unwrap_err().code(),
            "invalid_value"
        );
        assert_eq!(
            p("2026-01-10T13:00:00Z").unwrap(),
            "2026-01-10T13:00:00.000Z"
        );
        for bad in ["2026-01-10", "2025-12-31", "tomorrow", "", "-3d"] {
            assert!(p(bad).is_err(), "{bad}");
        }
    }
}

crate::one_issue!(Deferral);
