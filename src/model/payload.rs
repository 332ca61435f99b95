//! The typed `data` of each event type: what an event records beyond its field changes.
//!
//! Invariants: one struct per shape, each named by the [`Payload`](super::event::Payload)
//! variants that carry it, so a writer cannot put a gate's payload on a comment event. Fields
//! that every writer of a type sets are required; the others are omitted when absent, never
//! written as `null` (except where the log has always held `null`: a lease's missing holder, a
//! gate run's missing exit code). Readers accept fields they do not know (older or newer jits),
//! so none of these structs denies unknown fields.
//!
//! Any issue event may also carry `forced_from` (the holder a human's `--force` moved the issue
//! from); the transaction adds it, and the event schema allows it on every type.

use super::{CiStatus, LinkKind, PrStatus, Timestamp};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// No payload beyond the changes (`{}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Nothing {}

/// `issue.created`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Created {
    /// The new issue's title.
    pub title: String,
    /// The tracker it was imported from (`jit import`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Its id in that tracker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
}

/// `issue.updated` and `issue.state_changed`: why the fields or the state changed, when a
/// reason is known.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Updated {
    /// The reason the user gave (`issue update --reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// What caused a change nobody asked for: the dependency whose state moved this issue, `gates
    /// passed`, `import`, or `issue.deleted` (with `dependency`, the deleted issue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    /// The issue a deletion unlinked this one from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dependency: Option<String>,
    /// The command other than an update that made the change (`validate --fix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The tracker an import read the change from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The id in that tracker.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
}

/// `issue.unblocked`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Unblocked {
    /// The dependency whose finishing unblocked the issue.
    pub cause: String,
}

/// `issue.claimed` and `lease.renewed`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Claimed {
    /// The actor the issue was claimed for (`--to`, else the claimer); absent on a heartbeat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// The lease's length in seconds.
    pub ttl_secs: u64,
}

/// `lease.expired`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Expired {
    /// The holder whose lease ran out.
    pub holder: Option<String>,
}

/// `issue.released`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Released {
    /// Whether a human took the issue back from its holder (`--force`).
    pub forced: bool,
}

/// `issue.reopened`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Reopened {
    /// Why the finished work was opened again.
    pub reason: String,
}

/// `issue.deleted`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Deleted {
    /// The deleted issue's title (its file is gone; the log keeps its name).
    pub title: String,
}

/// `issue.repaired`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Repaired {
    /// The command that repaired it (`validate --fix`).
    pub by: String,
    /// What the repair was taken from (`claim ledger`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// `issue.deferred`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Deferred {
    /// When the issue comes back.
    pub until: Timestamp,
}

/// `claim.superseded`: `sync` learned that another clone's claim won.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Superseded {
    /// The remote whose claim ledger decided.
    pub remote: String,
    /// The winning holder.
    pub holder: Option<String>,
    /// The winning claim's epoch.
    pub epoch: u64,
    /// The holder this clone had, now taken back.
    pub superseded: String,
}

/// `dep.added` and `dep.removed`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Dependency {
    /// The issue depended on.
    pub dependency: String,
    /// `issue.deleted` when the dependency went because that issue was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// `gate.defined`, `gate.redefined` and `gate.added`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Gate {
    /// The gate's key.
    pub gate: String,
    /// The tracker an import read the gate from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// `gate.passed` and `gate.failed`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GateRun {
    /// The gate's key.
    pub gate: String,
    /// Who the result is recorded for (the checker, a CI job, a reviewer).
    pub by: String,
    /// The checker's exit code, when a command ran.
    pub exit_code: Option<i32>,
}

/// `checklist.added`, `checklist.checked` and `checklist.unchecked`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChecklistItem {
    /// The item's id.
    pub item: String,
    /// Its text.
    pub text: String,
}

/// `comment.added`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comment {
    /// The comment's id.
    pub comment: String,
}

/// `link.added` and `link.removed`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    /// The link's kind.
    pub kind: LinkKind,
    /// The linked issue.
    pub target: String,
    /// `issue.deleted` when the link went because its target was deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
}

/// `pr.linked`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PrLinked {
    /// The pull request's URL.
    pub url: String,
    /// Whether this linked a new pull request (else it updated the one with this URL).
    pub created: bool,
    /// Its status, when known.
    pub status: Option<PrStatus>,
    /// Its CI status, when known.
    pub ci: Option<CiStatus>,
}

/// `config.updated`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConfigUpdated {
    /// The tracker an import read the change from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Issue types the change added.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types_added: Vec<String>,
}

/// `hook.added`, `hook.updated`, `hook.removed` and `hook.test`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Hook {
    /// The hook's name.
    pub hook: String,
    /// A test delivery's note (`hook.test`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `alert.defined`, `alert.redefined` and `alert.undefined`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Alert {
    /// The alert's name.
    pub alert: String,
}

/// `alert.fired`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertFired {
    /// The alert's name.
    pub alert: String,
    /// Its condition, as configured.
    pub when: String,
    /// What holds, in words.
    pub message: String,
    /// The value the condition measured.
    pub value: Value,
}

/// `alert.resolved`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AlertResolved {
    /// The alert's name.
    pub alert: String,
    /// What had held.
    pub message: String,
    /// Why it stopped holding.
    pub reason: String,
}
