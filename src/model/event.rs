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
    pub id: String,
    pub ts: Timestamp,
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
