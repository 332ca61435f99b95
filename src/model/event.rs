//! Events: one JSON line per mutation in `.jit/events.jsonl`.
//!
//! Invariant: event ids are ULIDs, so sorting by id orders events by time even after a
//! `merge=union` has reordered or repeated lines.

use super::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every event type this jit writes, as one typed vocabulary. The strings are the log's
/// `type` field and never change; a log may hold types a newer jit added, so [`Event::kind`]
/// stays a string when read.
macro_rules! event_kinds {
    ($( #[doc = $doc:literal] $variant:ident = $name:literal; )*) => {
        /// An event type (see [`EventKind::ALL`] and docs/format.md).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $( #[doc = $doc] $variant, )*
        }

        impl EventKind {
            /// Every type, in the order docs/format.md lists them.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),*];

            /// The type as written in the log.
            pub const fn as_str(self) -> &'static str {
                match self { $(EventKind::$variant => $name,)* }
            }

            /// One line on what the event records.
            pub const fn doc(self) -> &'static str {
                match self { $(EventKind::$variant => $doc.trim_ascii(),)* }
            }

            /// The type named `s`, if this jit writes it.
            pub fn parse(s: &str) -> Option<EventKind> {
                match s { $($name => Some(EventKind::$variant),)* _ => None }
            }
        }
    };
}

event_kinds! {
    /// an issue was created
    IssueCreated = "issue.created";
    /// fields of an issue changed
    IssueUpdated = "issue.updated";
    /// an issue moved to another state (`data.by` when a command other than an update moved it)
    IssueStateChanged = "issue.state_changed";
    /// promoted to ready because its last dependency finished (`data.cause` names it)
    IssueUnblocked = "issue.unblocked";
    /// an actor took the issue under a lease
    IssueClaimed = "issue.claimed";
    /// the holder (or a human with `--force`) gave the issue back
    IssueReleased = "issue.released";
    /// an assignee was set without a lease
    IssueAssigned = "issue.assigned";
    /// the assignee was cleared
    IssueUnassigned = "issue.unassigned";
    /// finished work was opened again
    IssueReopened = "issue.reopened";
    /// an issue was deleted (`data.title`)
    IssueDeleted = "issue.deleted";
    /// `validate --fix` repaired the issue (`data.by`)
    IssueRepaired = "issue.repaired";
    /// the issue was set aside until a time (`issue defer`; `data.until`)
    IssueDeferred = "issue.deferred";
    /// a deferral was ended before its time (`issue undefer`)
    IssueUndeferred = "issue.undeferred";
    /// a lease ran out and its issue was taken by another claim
    LeaseExpired = "lease.expired";
    /// the holder extended its lease (heartbeat, or claiming again)
    LeaseRenewed = "lease.renewed";
    /// `sync` learned that another clone's claim won and took this one back
    ClaimSuperseded = "claim.superseded";
    /// a dependency was added
    DepAdded = "dep.added";
    /// a dependency was removed
    DepRemoved = "dep.removed";
    /// a gate was defined in the registry
    GateDefined = "gate.defined";
    /// a gate's definition changed
    GateRedefined = "gate.redefined";
    /// an issue now requires a gate
    GateAdded = "gate.added";
    /// a gate passed on an issue
    GatePassed = "gate.passed";
    /// a gate failed on an issue
    GateFailed = "gate.failed";
    /// a checklist item was added
    ChecklistAdded = "checklist.added";
    /// a checklist item was checked
    ChecklistChecked = "checklist.checked";
    /// a checklist item was unchecked
    ChecklistUnchecked = "checklist.unchecked";
    /// a comment was added
    CommentAdded = "comment.added";
    /// a link was added
    LinkAdded = "link.added";
    /// a link was removed
    LinkRemoved = "link.removed";
    /// a pull request was linked
    PrLinked = "pr.linked";
    /// the store's config changed
    ConfigUpdated = "config.updated";
    /// a hook was defined
    HookAdded = "hook.added";
    /// a hook's definition changed
    HookUpdated = "hook.updated";
    /// a hook was removed
    HookRemoved = "hook.removed";
    /// `hook test` sent a test delivery
    HookTest = "hook.test";
    /// an alert was defined
    AlertDefined = "alert.defined";
    /// an alert's definition changed
    AlertRedefined = "alert.redefined";
    /// an alert was removed
    AlertUndefined = "alert.undefined";
    /// an alert's condition began to hold
    AlertFired = "alert.fired";
    /// an alert's condition stopped holding
    AlertResolved = "alert.resolved";
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<EventKind> for String {
    fn eq(&self, other: &EventKind) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<EventKind> for &str {
    fn eq(&self, other: &EventKind) -> bool {
        *self == other.as_str()
    }
}

impl schemars::JsonSchema for EventKind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventKind".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        schemars::json_schema!({
            "description": "The event type. These are the types this version writes; a log may also hold types a newer jit added, which readers should pass over.",
            "anyOf": [
                { "type": "string", "enum": names },
                { "type": "string", "pattern": "^[a-z_]+\\.[a-z_]+$" }
            ]
        })
    }
}

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
    /// The event type: `issue.created`, `issue.state_changed`, `gate.failed`, ... (docs/format.md
    /// lists them all). New types may be added.
    #[serde(rename = "type")]
    #[schemars(with = "EventKind")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    /// docs/format.md names every type this jit writes, and nothing else that looks like one.
    #[test]
    fn the_format_doc_lists_every_event_kind() {
        let doc = include_str!("../../docs/format.md");
        let para = doc
            .split("\nTypes: ")
            .nth(1)
            .and_then(|p| p.split("\n\n").next())
            .expect("docs/format.md lists the event types");
        let listed: std::collections::BTreeSet<&str> = para
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| {
                t.split_once('.').is_some_and(|(a, b)| {
                    !a.is_empty() && !b.is_empty() && !b.contains('.') && !a.starts_with("data")
                }) && t
                    .bytes()
                    .all(|b| b == b'_' || b == b'.' || b.is_ascii_lowercase())
            })
            .collect();
        let known: std::collections::BTreeSet<&str> =
            EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(listed, known);
    }

    #[test]
    fn kinds_parse_back_and_are_unique() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
            assert!(!k.doc().is_empty());
        }
        assert_eq!(EventKind::parse("issue.nope"), None);
        let read: String = "gate.failed".into();
        assert!(read == EventKind::GateFailed);
    }
}
