//! The data model: issues, their enums, gate definitions, config and events.
//!
//! Invariants: field order in these structs is the on-disk order; sets are kept sorted and
//! deduplicated by [`Issue::normalize`]; unknown top-level fields of an issue file survive a
//! rewrite through [`Issue::extra`].

pub mod actor;
pub mod event;
pub mod id;
pub mod payload;
pub mod time;

pub use actor::Actor;
pub use event::{Change, Event, EventKind, Payload};
pub use id::{IdPrefix, IssueId};
pub use time::Timestamp;

use crate::error::{Error, Result};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// The schema version of the store this jit reads and writes.
pub const SCHEMA_VERSION: u64 = 1;

/// Size limits on user text, so a runaway script cannot write megabyte titles.
pub mod limits {
    /// Characters in a title.
    pub const TITLE: usize = 500;
    /// Bytes in a description, comment or other long text.
    pub const TEXT: usize = 256 * 1024;
    /// Characters in a label, milestone or other short name.
    pub const NAME: usize = 200;
    /// Bytes in a context value.
    pub const CONTEXT_VALUE: usize = 64 * 1024;
    /// The longest lease, in seconds (365 days): a claim is work in progress, not ownership
    /// (`issue assign` is that); and a lease ending further ahead than this was not written by
    /// a jit with a right clock (`query stale` and `validate` show it).
    pub const LEASE_TTL_SECS: u64 = 365 * 86_400;
}

macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident, $field:literal { $($variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize, JsonSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The string form used in files, flags and JSON.
            pub fn as_str(&self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                let t = s.trim().to_ascii_lowercase().replace('-', "_");
                match t.as_str() {
                    $($s => Ok($name::$variant),)+
                    _ => Err(Error::invalid($field, format!(
                        "`{}` is not one of: {}", s.escape_debug(),
                        [$($s),+].join(", ")
                    ))),
                }
            }
        }
    };
}

string_enum!(
    /// The stored lifecycle state of an issue.
    State, "state" {
        Backlog => "backlog",
        Ready => "ready",
        InProgress => "in_progress",
        Gated => "gated",
        Done => "done",
        Archived => "archived",
    }
);

string_enum!(
    /// How urgent an issue is; ordered low < normal < high < critical.
    Priority, "priority" {
        Low => "low",
        Normal => "normal",
        High => "high",
        Critical => "critical",
    }
);

string_enum!(
    /// The status of one required gate on one issue.
    GateState, "gate status" {
        Pending => "pending",
        Passed => "passed",
        Failed => "failed",
    }
);

string_enum!(
    /// When a gate applies: before work starts, or before work is done.
    GateStage, "stage" {
        Precheck => "precheck",
        Postcheck => "postcheck",
    }
);

string_enum!(
    /// Who may see an issue in exports.
    Visibility, "visibility" {
        Internal => "internal",
        Public => "public",
    }
);

string_enum!(
    /// The kind of a link between two issues.
    LinkKind, "link kind" {
        Relates => "relates",
        Duplicates => "duplicates",
    }
);

string_enum!(
    /// The status of a linked pull request.
    PrStatus, "pr status" {
        Open => "open",
        Draft => "draft",
        Merged => "merged",
        Closed => "closed",
    }
);

string_enum!(
    /// The CI status of a linked pull request.
    CiStatus, "ci status" {
        Pending => "pending",
        Success => "success",
        Failure => "failure",
        Cancelled => "cancelled",
    }
);

impl State {
    /// Finished states: nothing more to do.
    pub fn is_closed(&self) -> bool {
        matches!(self, State::Done | State::Archived)
    }
}

/// The status of one gate on one issue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GateStatus {
    pub status: GateState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// The actor that recorded the result, when a human recorded it for someone else (`--by`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recorded_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl GateStatus {
    /// A gate nobody has acted on yet.
    pub fn pending() -> Self {
        GateStatus {
            status: GateState::Pending,
            by: None,
            recorded_by: None,
            at: None,
            note: None,
            exit_code: None,
            duration_ms: None,
            output: None,
            extra: BTreeMap::new(),
        }
    }
}

/// A claim with an expiry: the holder keeps it alive with `issue heartbeat`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Lease {
    pub holder: String,
    pub acquired_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
}

/// The fencing stamp of an issue's latest claim: an epoch that grows with every new holder (and
/// whenever a claim's lifecycle starts over, as on reopen), and the git remote the claim was
/// published on. It stays after the lease ends, so a merge and the claim ledger can tell which
/// of two claims is the later one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClaimStamp {
    pub epoch: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
}

/// One acceptance criterion.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ChecklistItem {
    pub id: String,
    pub text: String,
    pub checked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<Timestamp>,
}

/// Seeds a checklist from markdown task lines (`- [ ] text`, `* [x] text`) in a description;
/// `new_id` gives each item its id.
pub fn checklist_from_markdown(
    description: &str,
    mut new_id: impl FnMut() -> String,
) -> Vec<ChecklistItem> {
    description
        .lines()
        .filter_map(|line| {
            let t = line.trim_start();
            let rest = t.strip_prefix("- ").or_else(|| t.strip_prefix("* "))?;
            let (checked, text) = if let Some(r) = rest.strip_prefix("[ ] ") {
                (false, r)
            } else if let Some(r) = rest
                .strip_prefix("[x] ")
                .or_else(|| rest.strip_prefix("[X] "))
            {
                (true, r)
            } else {
                return None;
            };
            let text = text.trim();
            (!text.is_empty()).then(|| ChecklistItem {
                id: new_id(),
                text: text.to_string(),
                checked,
                checked_by: None,
                checked_at: None,
            })
        })
        .collect()
}

/// One comment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Comment {
    pub id: String,
    pub author: String,
    pub at: Timestamp,
    pub body: String,
}

/// A link to another issue.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
pub struct Link {
    pub kind: LinkKind,
    pub target: String,
}

/// A linked pull request.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PullRequest {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<PrStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<CiStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<Timestamp>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One issue, exactly as stored in `.jit/issues/<id>.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Issue {
    /// The full id (a ULID).
    pub id: IssueId,
    /// One-line summary.
    pub title: String,
    /// Longer description, markdown.
    #[serde(default)]
    pub description: String,
    /// The stored lifecycle state.
    pub state: State,
    /// How urgent it is.
    pub priority: Priority,
    /// The issue type (`task`, `bug`, ...; the config lists the allowed ones).
    #[serde(default = "default_type", rename = "type")]
    pub kind: String,
    /// The actor working on it, if any.
    #[serde(default)]
    pub assignee: Option<String>,
    /// The claim's lease, while someone holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// The fencing stamp of the latest claim (absent until the issue is first claimed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim: Option<ClaimStamp>,
    /// Issues that must be done before this one is ready (sorted).
    #[serde(default)]
    pub dependencies: Vec<IssueId>,
    /// Gate keys from the registry that must pass (sorted).
    #[serde(default)]
    pub gates_required: Vec<String>,
    /// The status of each required gate, by key.
    #[serde(default)]
    pub gates_status: BTreeMap<String, GateStatus>,
    /// Labels (sorted).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Milestone name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub milestone: Option<String>,
    /// The parent issue, for a sub-task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<IssueId>,
    /// Due date, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// Estimate, in whatever unit the team uses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate: Option<f64>,
    /// Set aside until then (`issue defer`): not ready work before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_until: Option<Timestamp>,
    /// Who may see it in exports (absent: public; `--public` exports leave out `internal`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<Visibility>,
    /// Who created it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// What proves the work is done.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// The exit criterion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_when: Option<String>,
    /// Acceptance criteria.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checklist: Vec<ChecklistItem>,
    /// Comments, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<Comment>,
    /// Links to other issues (stored on this side only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<Link>,
    /// Linked pull requests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prs: Vec<PullRequest>,
    /// True once the issue has been reopened.
    #[serde(default, skip_serializing_if = "is_false")]
    pub reopened: bool,
    /// Free-form `key` to `value` entries for agents.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
    /// What merges of this file resolved and the values they discarded, oldest first (see
    /// docs/git.md); cleared with `issue update --clear-merge-conflicts`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merge_conflicts: Vec<MergeConflict>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When its content last changed.
    pub updated_at: Timestamp,
    /// When work on it started: it first entered `in_progress` (since creation or its last
    /// reopen).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Timestamp>,
    /// When it was finished: it entered `done` (cleared when it is reopened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Timestamp>,
    /// Bumped on every change; pass it back as `if_version` for optimistic concurrency.
    #[serde(default)]
    pub version: u64,
    /// Fields this version of jit does not know; written back unchanged.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

fn default_type() -> String {
    "task".to_string()
}

/// The `context` key where earlier versions of jit kept merge-conflict records, as one JSON
/// string (now [`Issue::merge_conflicts`]).
pub const LEGACY_CONFLICTS_KEY: &str = "merge_conflicts";

/// One field a merge of this issue's file resolved on its own, and the value it discarded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MergeConflict {
    /// When the merge ran.
    pub at: Timestamp,
    /// The field (for a map, `field.key`; for a record list, `field[id]`).
    pub field: String,
    /// The value that lost, cut to 200 characters (ending in `…`) when longer.
    pub discarded: Value,
    /// Why the kept value won: `both_changed`, `edit_vs_delete` or `claim`.
    pub reason: String,
}

impl MergeConflict {
    /// A record for something that does not read as one: `v` kept whole as the discarded
    /// value, reason `unreadable_record`, dated at the epoch (its time is unknown; a fixed date
    /// keeps two branches that each moved it from agreeing on one record).
    pub fn unreadable(v: Value) -> MergeConflict {
        MergeConflict {
            at: Timestamp::from_millis(0),
            field: LEGACY_CONFLICTS_KEY.to_string(),
            discarded: v,
            reason: "unreadable_record".to_string(),
        }
    }

    /// `v` read as a record, or kept whole as [`MergeConflict::unreadable`] when it is not one.
    pub fn from_value(v: Value) -> MergeConflict {
        serde_json::from_value(v.clone()).unwrap_or_else(|_| MergeConflict::unreadable(v))
    }

    /// The records an older jit kept as a JSON array in one context string; an entry that does
    /// not read as a record (a hand edit) is kept whole, so nothing it said is lost.
    pub fn from_legacy(text: &str) -> Vec<MergeConflict> {
        if text.trim().is_empty() {
            return Vec::new();
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(entries)) => {
                entries.into_iter().map(MergeConflict::from_value).collect()
            }
            _ => vec![MergeConflict::unreadable(Value::String(text.to_string()))],
        }
    }
}

impl Issue {
    /// A fresh issue with defaults.
    pub fn new(id: IssueId, title: String, now: Timestamp) -> Self {
        Issue {
            id,
            title,
            description: String::new(),
            state: State::Ready,
            priority: Priority::Normal,
            kind: default_type(),
            assignee: None,
            lease: None,
            claim: None,
            dependencies: Vec::new(),
            gates_required: Vec::new(),
            gates_status: BTreeMap::new(),
            labels: Vec::new(),
            milestone: None,
            parent: None,
            due: None,
            estimate: None,
            deferred_until: None,
            visibility: None,
            reporter: None,
            evidence: None,
            done_when: None,
            checklist: Vec::new(),
            comments: Vec::new(),
            links: Vec::new(),
            prs: Vec::new(),
            reopened: false,
            context: BTreeMap::new(),
            merge_conflicts: Vec::new(),
            created_at: now,
            updated_at: now,
            started_at: None,
            finished_at: None,
            version: 1,
            extra: BTreeMap::new(),
        }
    }

    /// Sorts and deduplicates the set-valued fields so output is canonical.
    pub fn normalize(&mut self) {
        // Records an older jit kept as a JSON string in `context` move to their own field.
        if let Some(legacy) = self.context.remove(LEGACY_CONFLICTS_KEY) {
            self.merge_conflicts
                .extend(MergeConflict::from_legacy(&legacy));
        }
        self.dependencies.sort();
        self.dependencies.dedup();
        self.gates_required.sort();
        self.gates_required.dedup();
        self.labels.sort();
        self.labels.dedup();
        self.links.sort();
        self.links.dedup();
    }

    /// The canonical file bytes: fixed field order, 2-space indent, trailing newline.
    pub fn to_file_bytes(&self) -> Result<Vec<u8>> {
        let mut c = self.clone();
        c.normalize();
        let mut out = serde_json::to_vec_pretty(&c)
            .map_err(|e| Error::Internal(format!("serializing issue: {e}")))?;
        out.push(b'\n');
        Ok(out)
    }

    /// Whether `--public` exports leave it out: its visibility is `internal` (absent is public).
    pub fn is_internal(&self) -> bool {
        self.visibility == Some(Visibility::Internal)
    }

    /// The short id.
    pub fn short_id(&self) -> String {
        self.id.short()
    }

    /// The fencing epoch of the latest claim (0: never claimed).
    pub fn epoch(&self) -> u64 {
        self.claim.as_ref().map_or(0, |c| c.epoch)
    }

    /// Gate keys required but not passed, in order.
    pub fn unpassed_gates(&self) -> Vec<String> {
        self.gates_required
            .iter()
            .filter(|k| {
                self.gates_status
                    .get(*k)
                    .is_none_or(|g| g.status != GateState::Passed)
            })
            .cloned()
            .collect()
    }
}

/// Checks a title: non-blank, single line, bounded, no control characters.
pub fn validate_title(t: &str) -> Result<String> {
    let t = t.trim();
    if t.is_empty() {
        return Err(Error::invalid(
            "title",
            "the title is blank; give the issue a one-line summary",
        ));
    }
    if t.chars().count() > limits::TITLE {
        return Err(Error::invalid(
            "title",
            format!("longer than {} characters", limits::TITLE),
        ));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(
            "title",
            "contains control characters or a line break; a title is one line",
        ));
    }
    Ok(t.to_string())
}

/// Checks a long text (description, comment): bounded, no NUL and no control characters other
/// than newline and tab.
pub fn validate_text(field: &str, t: &str) -> Result<String> {
    if t.len() > limits::TEXT {
        return Err(Error::invalid(
            field,
            format!("longer than {} bytes", limits::TEXT),
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        return Err(Error::invalid(
            field,
            "contains control characters (only newline and tab are allowed)",
        ));
    }
    Ok(t.replace("\r\n", "\n"))
}

/// Checks a short name (label, milestone, gate key part): non-blank, one line, bounded.
pub fn validate_name(field: &str, t: &str) -> Result<String> {
    let t = t.trim();
    if t.is_empty() {
        return Err(Error::invalid(field, "is blank"));
    }
    if t.chars().count() > limits::NAME {
        return Err(Error::invalid(
            field,
            format!("longer than {} characters", limits::NAME),
        ));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(field, "contains control characters"));
    }
    Ok(t.to_string())
}

/// A gate definition in `.jit/gates.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct GateDef {
    pub key: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub auto: bool,
    #[serde(default = "default_stage")]
    pub stage: GateStage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checker: Option<Checker>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

fn default_stage() -> GateStage {
    GateStage::Postcheck
}

/// A command that decides a gate: exit 0 passes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Checker {
    pub command: String,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// The environment the checker gets: these variable names (a trailing `*` matches a prefix,
    /// `CARGO_*`), plus `PATH` and jit's `JIT_ISSUE_ID`, `JIT_GATE_KEY`, `JIT_ACTOR`. Absent: jit's
    /// whole environment (tokens included).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Vec<String>>,
}

impl Checker {
    /// The variables of `vars` (jit's environment) a checker that declares `env` passes on:
    /// the names it lists (`PREFIX*` patterns too) and `PATH`. `None` when it declares nothing
    /// (it inherits everything).
    pub fn passed_env(
        &self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Option<Vec<(String, String)>> {
        let names = self.env.as_ref()?;
        let wanted = |k: &str| {
            k == "PATH"
                || names.iter().any(|n| match n.strip_suffix('*') {
                    Some(prefix) => k.starts_with(prefix),
                    None => n == k,
                })
        };
        Some(vars.into_iter().filter(|(k, _)| wanted(k)).collect())
    }
}

fn default_timeout() -> u64 {
    300
}

/// Validates a gate key: lower-case letters, digits, `-`, `_`, `.`; starts with a letter.
pub fn validate_gate_key(k: &str) -> Result<String> {
    let ok = k.len() <= 64
        && k.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(Error::invalid(
            "gate key",
            format!(
                "`{}` must start with a lower-case letter and hold only a-z, 0-9, `-`, `_`, `.` (64 at most)",
                k.escape_debug()
            ),
        ));
    }
    Ok(k.to_string())
}

/// How claims are coordinated beyond one checkout (`claims` in `config.json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ClaimsConfig {
    /// Publish claims on this git remote unless a command says otherwise (`--remote NAME`,
    /// `--no-remote`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// How far two machines' clocks may disagree before a claim made on one could be taken
    /// over early on the other (a span such as `5m`; default `5m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_skew: Option<String>,
    /// How long one git command talking to the remote may take before it is killed (default
    /// `60s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

/// The store's `config.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Config {
    pub schema_version: u64,
    #[serde(default)]
    pub project: String,
    #[serde(default = "default_types")]
    pub types: Vec<String>,
    #[serde(default = "default_priority")]
    pub default_priority: Priority,
    #[serde(default = "default_ttl")]
    pub default_lease_ttl: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<ClaimsConfig>,
    /// Issue types that group work rather than being work: never handed out by `query ready`
    /// or `claim-next` unless a filter asks for the type (absent: `epic`, `milestone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub containers: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

fn default_types() -> Vec<String> {
    [
        "task",
        "bug",
        "feature",
        "improvement",
        "chore",
        "epic",
        "milestone",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn default_priority() -> Priority {
    Priority::Normal
}

fn default_ttl() -> String {
    "2h".to_string()
}

impl Config {
    /// The config `jit init` writes.
    pub fn new(project: String) -> Self {
        Config {
            schema_version: SCHEMA_VERSION,
            project,
            types: default_types(),
            default_priority: default_priority(),
            default_lease_ttl: default_ttl(),
            claims: None,
            containers: None,
            extra: BTreeMap::new(),
        }
    }

    /// The container types (`containers`, else `epic` and `milestone`).
    pub fn container_types(&self) -> Vec<String> {
        self.containers
            .clone()
            .unwrap_or_else(|| vec!["epic".to_string(), "milestone".to_string()])
    }
}
