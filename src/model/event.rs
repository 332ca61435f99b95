//! Events: one JSON line per mutation in `.jit/events.jsonl`.
//!
//! Invariant: event ids are ULIDs, so sorting by id orders events by time even after a
//! `merge=union` has reordered or repeated lines.

use super::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One field that a mutation changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// One line of the event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Event {
    /// A ULID: unique, ordered by time; what a hook's receiver de-duplicates deliveries by.
    pub id: String,
    pub ts: Timestamp,
    /// The event type: `issue.created`, `issue.updated`, `issue.state_changed`,
    /// `issue.unblocked` (promoted to ready because its last dependency finished; `data.cause`
    /// names it), `issue.claimed`, `issue.released`, `issue.assigned`, `issue.unassigned`,
    /// `issue.reopened`, `issue.deleted`, `issue.repaired`, `lease.expired`, `lease.renewed`,
    /// `dep.added`, `dep.removed`, `gate.defined`, `gate.redefined`, `gate.added`,
    /// `gate.passed`, `gate.failed`, `checklist.added`, `checklist.checked`,
    /// `checklist.unchecked`, `comment.added`, `link.added`, `link.removed`, `pr.linked`,
    /// `hook.added`, `hook.updated`, `hook.removed`, `alert.defined`, `alert.redefined`,
    /// `alert.undefined`, `alert.fired`, `alert.resolved`. New types may be added.
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}
