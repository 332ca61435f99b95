//! The JSON contract: test-side copies of every reply shape, with `deny_unknown_fields`, so a
//! renamed, retyped, added or dropped field fails here before it reaches scripts and agents.
//! Also: under `--json` every error is one `{"error": {...}}` object on stdout with a stable code
//! and the documented exit code.

// Fields of the shape structs exist to pin the contract even where no test reads them.
#![allow(dead_code)]

use crate::common::{MISSING_ID, Repo, code, jit_cmd, parse_one_object, stderr, stdout};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use std::collections::BTreeMap;

/// Deserializes a field that must be present even when it is `null`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    T::deserialize(d)
}

/// A timestamp: RFC 3339, UTC, milliseconds, `Z` (`2026-01-02T03:04:05.678Z`).
fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let s = String::deserialize(d)?;
    if is_timestamp(&s) {
        Ok(s)
    } else {
        Err(serde::de::Error::custom(format!(
            "`{s}` is not YYYY-MM-DDTHH:MM:SS.mmmZ"
        )))
    }
}

pub fn is_timestamp(s: &str) -> bool {
    let shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    s.len() == shape.len()
        && s.chars()
            .zip(shape.chars())
            .all(|(c, p)| if p == 'd' { c.is_ascii_digit() } else { c == p })
}

/// A full id: 26 upper-case Crockford base32 characters.
pub fn is_ulid(s: &str) -> bool {
    s.len() == 26
        && s.chars()
            .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Backlog,
    Ready,
    InProgress,
    Gated,
    Done,
    Archived,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Critical,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateState {
    Pending,
    Passed,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Precheck,
    Postcheck,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Internal,
    Public,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateStatus {
    pub status: GateState,
    pub by: Option<String>,
    pub recorded_by: Option<String>,
    #[serde(default, deserialize_with = "opt_timestamp")]
    pub at: Option<String>,
    pub note: Option<String>,
    pub exit_code: Option<i32>,
    pub duration_ms: Option<u64>,
    pub output: Option<String>,
}

fn opt_timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    timestamp(d).map(Some)
}

#[derive(Debug, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Blocker {
    Dependency {
        id: String,
        short_id: String,
        #[serde(deserialize_with = "present")]
        title: Option<String>,
        #[serde(deserialize_with = "present")]
        state: Option<State>,
    },
    Gate {
        key: String,
        #[serde(deserialize_with = "present")]
        stage: Option<Stage>,
        status: GateState,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistItem {
    pub id: String,
    pub text: String,
    pub checked: bool,
    pub checked_by: Option<String>,
    pub checked_at: Option<String>,
}

/// The fencing stamp of an issue's latest claim.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimStamp {
    pub epoch: u64,
    pub remote: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// An issue as every command prints it: stored fields plus `short_id`, `blocked`, `blocked_by`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueView {
    pub id: String,
    pub short_id: String,
    pub title: String,
    pub description: String,
    pub state: State,
    pub priority: Priority,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "present")]
    pub assignee: Option<String>,
    pub dependencies: Vec<String>,
    pub gates_required: Vec<String>,
    pub gates_status: BTreeMap<String, GateStatus>,
    pub context: BTreeMap<String, String>,
    #[serde(deserialize_with = "timestamp")]
    pub created_at: String,
    #[serde(deserialize_with = "timestamp")]
    pub updated_at: String,
    pub version: u64,
    pub reporter: String,
    pub blocked: bool,
    pub blocked_by: Vec<Blocker>,
    // Rich fields: present only when set.
    pub lease: Option<Value>,
    pub claim: Option<ClaimStamp>,
    pub labels: Option<Vec<String>>,
    pub milestone: Option<String>,
    pub parent: Option<String>,
    pub due: Option<String>,
    pub estimate: Option<f64>,
    pub visibility: Option<Visibility>,
    pub evidence: Option<String>,
    pub done_when: Option<String>,
    pub checklist: Option<Vec<ChecklistItem>>,
    pub comments: Option<Vec<Value>>,
    pub links: Option<Vec<Value>>,
    pub prs: Option<Vec<Value>>,
    pub reopened: Option<bool>,
    pub progress: Option<Progress>,
    pub linked_from: Option<Vec<Value>>,
    // Lifecycle stamps: present once work started, finished or was deferred.
    #[serde(default, deserialize_with = "opt_timestamp")]
    pub started_at: Option<String>,
    #[serde(default, deserialize_with = "opt_timestamp")]
    pub finished_at: Option<String>,
    #[serde(default, deserialize_with = "opt_timestamp")]
    pub deferred_until: Option<String>,
    /// `issue show` of a parent: its sub-tasks.
    pub subtasks: Option<Vec<SubTask>>,
}

/// One sub-task as `issue show` of a parent lists it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubTask {
    pub id: String,
    pub short_id: String,
    pub title: String,
    pub state: State,
    pub blocked: bool,
    #[serde(deserialize_with = "present")]
    pub assignee: Option<String>,
}

impl IssueView {
    /// Deserializes and checks the invariants between fields.
    pub fn from_value(v: &Value) -> Self {
        let view: IssueView = serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("not an issue view: {e}\n{v:#}"));
        assert!(is_ulid(&view.id), "id {}", view.id);
        assert_eq!(
            view.short_id,
            view.id[18..].to_ascii_lowercase(),
            "short id is the last 8 characters, lower-cased"
        );
        assert_eq!(
            view.blocked,
            !view.blocked_by.is_empty(),
            "blocked iff blocked_by is non-empty"
        );
        assert!(view.version >= 1);
        assert!(view.updated_at >= view.created_at);
        if let (Some(s), Some(f)) = (&view.started_at, &view.finished_at) {
            assert!(f >= s, "finished before it started");
        }
        if view.finished_at.is_some() {
            assert!(
                matches!(view.state, State::Done | State::Archived),
                "only finished work has finished_at"
            );
        }
        for d in &view.dependencies {
            assert!(is_ulid(d), "dependency {d} is a full id");
        }
        for k in &view.gates_required {
            assert!(view.gates_status.contains_key(k), "gate {k} has a status");
        }
        if let Some(c) = &view.claim {
            assert!(c.epoch >= 1, "a claim stamp has an epoch");
        }
        if view.lease.is_some() {
            assert!(view.claim.is_some(), "a lease comes with its claim stamp");
        }
        view
    }
}

/// What a state-moving mutation adds to the issue.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transition {
    pub pending_gates: Vec<String>,
    pub promoted: Vec<String>,
    pub demoted: Vec<String>,
}

/// Splits the reply of `issue update` (an issue view plus a transition; `claim-next --full`
/// adds its `shape`).
pub fn outcome(v: &Value) -> (IssueView, Transition) {
    let (mut rest, t) = split(v, &["pending_gates", "promoted", "demoted"]);
    if let Some(shape) = rest.as_object_mut().and_then(|o| o.remove("shape")) {
        assert_eq!(shape, "full/1", "{v:#}");
    }
    let t: Transition =
        serde_json::from_value(t).unwrap_or_else(|e| panic!("not a transition: {e}\n{v:#}"));
    (IssueView::from_value(&rest), t)
}

/// Splits the reply of `gate pass|fail`: issue view, gate, status, transition.
pub fn gate_outcome(v: &Value) -> (IssueView, String, GateState, Transition) {
    let (rest, extra) = split(v, &["gate", "status"]);
    let (view, t) = outcome(&rest);
    let gate = extra["gate"].as_str().expect("gate").to_string();
    let status: GateState = serde_json::from_value(extra["status"].clone()).expect("status");
    (view, gate, status, t)
}

/// Moves `keys` out of object `v` into a second object.
fn split(v: &Value, keys: &[&str]) -> (Value, Value) {
    let mut rest = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .clone();
    let mut taken = serde_json::Map::new();
    for k in keys {
        let val = rest
            .remove(*k)
            .unwrap_or_else(|| panic!("missing `{k}` in {v:#}"));
        taken.insert(k.to_string(), val);
    }
    (Value::Object(rest), Value::Object(taken))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorReply {
    pub error: ErrorBody,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    pub details: Value,
}

impl ErrorReply {
    pub fn from_value(v: &Value) -> Self {
        let e: ErrorReply = serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("not an error object: {e}\n{v:#}"));
        assert!(
            !e.error.code.is_empty()
                && e.error
                    .code
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_'),
            "code `{}` is snake_case",
            e.error.code
        );
        assert!(!e.error.message.trim().is_empty(), "message is not empty");
        assert!(e.error.details.is_object(), "details is an object: {v}");
        e
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileProblem {
    pub code: String,
    pub path: String,
    pub message: String,
}

/// `issue list` and the named queries: `shape` says what each issue holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListPage {
    pub shape: String,
    pub issues: Vec<Value>,
    pub total: usize,
    #[serde(deserialize_with = "present")]
    pub next_cursor: Option<String>,
    pub problems: Vec<FileProblem>,
}

impl ListPage {
    /// Deserializes a page and checks every issue against its shape: `lean/1` (the default),
    /// `full/1` (`--full`) or `fields/1` (`--fields`: some fields of the full view).
    pub fn from_value(v: &Value) -> Self {
        let p: ListPage = serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("not a list page: {e}\n{v:#}"));
        for i in &p.issues {
            match p.shape.as_str() {
                "full/1" => {
                    IssueView::from_value(i);
                }
                "lean/1" => {
                    LeanIssue::from_value(i);
                }
                "fields/1" => assert!(i.is_object(), "{i}"),
                other => panic!("unknown shape `{other}`: {v:#}"),
            }
        }
        p
    }
}

/// One issue in the lean shape (docs/schema/issue-list-lean.json).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeanIssue {
    pub id: String,
    pub short_id: String,
    pub title: String,
    pub state: State,
    pub priority: Priority,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "present")]
    pub assignee: Option<String>,
    /// Present only when the issue has labels.
    pub labels: Option<Vec<String>>,
    pub blocked: bool,
}

impl LeanIssue {
    pub fn from_value(v: &Value) -> Self {
        let i: LeanIssue = serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("not a lean issue: {e}\n{v:#}"));
        assert!(is_ulid(&i.id), "id {}", i.id);
        assert_eq!(i.short_id, i.id[18..].to_ascii_lowercase());
        assert!(i.labels.as_ref().is_none_or(|l| !l.is_empty()), "{v}");
        i
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checker {
    pub command: String,
    pub timeout_secs: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateDef {
    pub key: String,
    pub title: String,
    pub description: String,
    pub auto: bool,
    pub stage: Stage,
    pub checker: Option<Checker>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateList {
    pub gates: Vec<GateDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckResult {
    pub gate: String,
    pub status: String,
    #[serde(deserialize_with = "present")]
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub timed_out: bool,
    pub output: String,
    pub reason: Option<String>,
}

/// `gate check`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckReport {
    pub id: String,
    pub short_id: String,
    pub results: Vec<CheckResult>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub issue: Value,
    pub pending_gates: Vec<String>,
    pub promoted: Vec<String>,
    pub demoted: Vec<String>,
}

impl CheckReport {
    pub fn from_value(v: &Value) -> Self {
        let r: CheckReport = serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("not a check report: {e}\n{v:#}"));
        IssueView::from_value(&r.issue);
        assert_eq!(r.passed + r.failed + r.skipped, r.results.len());
        r
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateProblem {
    pub code: String,
    pub severity: String,
    pub id: Option<String>,
    pub path: Option<String>,
    pub message: String,
    pub fixable: bool,
    pub fixed: bool,
}

/// `validate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidateReport {
    pub ok: bool,
    pub issues_checked: usize,
    pub events_checked: usize,
    pub problems: Vec<ValidateProblem>,
    pub fixed: usize,
}

impl ValidateReport {
    pub fn from_value(v: &Value) -> Self {
        serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("not a validate report: {e}\n{v:#}"))
    }

    /// The codes of the problems not fixed.
    pub fn open_codes(&self) -> Vec<&str> {
        self.problems
            .iter()
            .filter(|p| !p.fixed)
            .map(|p| p.code.as_str())
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub id: String,
    pub short_id: String,
    pub title: String,
    pub state: State,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Edge {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeNode {
    pub id: String,
    pub children: Vec<TreeNode>,
    #[serde(default)]
    pub repeated: bool,
}

/// `graph show` and `graph downstream`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeReply {
    pub root: String,
    pub direction: String,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
    pub tree: TreeNode,
}

/// `graph roots|order|critical-path`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeList {
    pub issues: Vec<Node>,
    pub total: usize,
}

/// `dep add|rm`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepChange {
    pub issue: Value,
    pub dependency: String,
    pub changed: bool,
}

/// `issue delete`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deleted {
    pub deleted: Value,
    pub unlinked: Vec<String>,
}

/// `init`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitReport {
    pub root: String,
    pub created: bool,
    pub wrote: Vec<String>,
}

/// `export`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exported {
    pub format: String,
    pub content: String,
}

pub fn parse<T: for<'de> Deserialize<'de>>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| {
        panic!(
            "unexpected shape for {}: {e}\n{v:#}",
            std::any::type_name::<T>()
        )
    })
}

#[test]
fn issue_view_from_every_issue_command() {
    let repo = Repo::new();
    let a = repo.create("plain", &[]);
    let created = repo.ok(&["issue", "create", "--title", "with dep", "--dep", &a]);
    let b = IssueView::from_value(&created);
    assert_eq!(b.title, "with dep");
    assert_eq!(b.state, State::Backlog);
    assert_eq!(b.priority, Priority::Normal);
    assert_eq!(b.kind, "task");
    assert_eq!(b.assignee, None);
    assert_eq!(b.reporter, crate::common::ACTOR);
    assert_eq!(b.version, 1);
    assert_eq!(b.created_at, b.updated_at);
    assert_eq!(b.dependencies, vec![repo.full_id(&a)]);
    assert!(b.blocked);
    assert_eq!(
        b.blocked_by,
        vec![Blocker::Dependency {
            id: repo.full_id(&a),
            short_id: a.clone(),
            title: Some("plain".into()),
            state: Some(State::Ready),
        }]
    );
    // None of the optional rich fields appear on a plain issue.
    assert!(
        b.labels.is_none()
            && b.milestone.is_none()
            && b.checklist.is_none()
            && b.progress.is_none()
    );

    let shown = IssueView::from_value(&repo.show(&b.short_id));
    assert_eq!(shown.id, b.id);

    let (updated, t) = outcome(&repo.ok(&["issue", "update", &a, "--priority", "high"]));
    assert_eq!(updated.priority, Priority::High);
    assert_eq!(updated.version, 2);
    assert!(t.pending_gates.is_empty() && t.promoted.is_empty() && t.demoted.is_empty());

    let (done, t) = outcome(&repo.ok(&["issue", "update", &a, "--state", "done"]));
    assert_eq!(done.state, State::Done);
    assert_eq!(t.promoted, vec![b.id.clone()]);

    let page = ListPage::from_value(&repo.ok(&["issue", "list"]));
    assert_eq!((page.shape.as_str(), page.total), ("lean/1", 2));
    assert_eq!(page.next_cursor, None);
    assert!(page.problems.is_empty());
    let page = ListPage::from_value(&repo.ok(&["issue", "list", "--full"]));
    assert_eq!((page.shape.as_str(), page.total), ("full/1", 2));

    let dc: DepChange = parse(&repo.ok(&["dep", "rm", &b.short_id, "--on", &a]));
    IssueView::from_value(&dc.issue);
    assert_eq!(dc.dependency, repo.full_id(&a));
    assert!(dc.changed);

    for q in [
        &["query", "ready"][..],
        &["query", "blocked"],
        &["query", "state", "done"],
        &["query", "priority", "high"],
        &["query", "assignee", "none"],
    ] {
        for shape in [&[][..], &["--full"], &["--fields", "id,description"]] {
            let args: Vec<&str> = q.iter().chain(shape).copied().collect();
            ListPage::from_value(&repo.ok(&args));
        }
    }

    let d: Deleted = parse(&repo.ok(&["issue", "delete", &b.short_id]));
    assert_eq!(IssueView::from_value(&d.deleted).id, b.id);
    assert!(d.unlinked.is_empty());
}

#[test]
fn rich_fields_appear_when_set() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    let parent = repo.create("parent", &[]);
    let v = repo.ok(&[
        "issue",
        "create",
        "--title",
        "rich",
        "--desc",
        "Steps:\n- [ ] first\n- [ ] second",
        "--priority",
        "critical",
        "--type",
        "bug",
        "--label",
        "b",
        "--label",
        "a",
        "--gate",
        "review",
        "--milestone",
        "Phase 1",
        "--parent",
        &parent,
        "--due",
        "2030-01-31",
        "--estimate",
        "2.5",
        "--visibility",
        "public",
        "--evidence",
        "ci run",
        "--done-when",
        "green",
        "--context",
        "pr_url=https://example.com/1",
    ]);
    let i = IssueView::from_value(&v);
    assert_eq!(i.priority, Priority::Critical);
    assert_eq!(i.kind, "bug");
    assert_eq!(
        i.labels,
        Some(vec!["a".to_string(), "b".to_string()]),
        "labels are sorted"
    );
    assert_eq!(i.milestone.as_deref(), Some("Phase 1"));
    assert_eq!(i.parent, Some(repo.full_id(&parent)));
    assert_eq!(i.due.as_deref(), Some("2030-01-31"));
    assert_eq!(i.estimate, Some(2.5));
    assert_eq!(i.visibility, Some(Visibility::Public));
    assert_eq!(i.evidence.as_deref(), Some("ci run"));
    assert_eq!(i.done_when.as_deref(), Some("green"));
    assert_eq!(
        i.context.get("pr_url").map(String::as_str),
        Some("https://example.com/1")
    );
    assert_eq!(i.gates_required, vec!["review".to_string()]);
    assert_eq!(i.gates_status["review"].status, GateState::Pending);
    let items: Vec<&str> = i
        .checklist
        .as_ref()
        .expect("checklist from the description")
        .iter()
        .map(|c| c.text.as_str())
        .collect();
    assert_eq!(items, ["first", "second"]);
    // The parent shows its sub-task progress in list output.
    let page = ListPage::from_value(&repo.ok(&["issue", "list", "--full"]));
    let p = page
        .issues
        .iter()
        .map(IssueView::from_value)
        .find(|x| x.short_id == parent)
        .expect("parent listed");
    let progress = p.progress.expect("parent has progress");
    assert_eq!((progress.done, progress.total), (0, 1));
}

#[test]
fn other_replies_have_their_documented_shapes() {
    let repo = Repo::git_only();
    let init: InitReport = parse(&repo.ok(&["init"]));
    assert!(init.created);
    assert!(
        init.wrote.contains(&".jit/config.json".to_string()),
        "{:?}",
        init.wrote
    );
    let again: InitReport = parse(&repo.ok(&["init"]));
    assert!(!again.created && again.wrote.is_empty());

    let def: GateDef = parse(&repo.ok(&[
        "gate",
        "define",
        "unit",
        "--title",
        "Unit tests",
        "--auto",
        "--checker",
        "true",
        "--timeout",
        "7",
    ]));
    assert_eq!(def.key, "unit");
    assert_eq!(
        def.checker
            .as_ref()
            .map(|c| (c.command.as_str(), c.timeout_secs)),
        Some(("true", 7))
    );
    let list: GateList = parse(&repo.ok(&["gate", "list"]));
    assert_eq!(list.gates.len(), 1);

    let a = repo.create("a", &["--gate", "unit"]);
    let check = CheckReport::from_value(&repo.ok(&["gate", "check", &a]));
    assert_eq!((check.passed, check.failed, check.skipped), (1, 0, 0));
    assert_eq!(check.short_id, a);

    let (view, gate, status, _) =
        gate_outcome(&repo.ok(&["gate", "fail", &a, "unit", "--note", "flaky"]));
    assert_eq!((gate.as_str(), status), ("unit", GateState::Failed));
    assert_eq!(view.gates_status["unit"].note.as_deref(), Some("flaky"));

    let report = ValidateReport::from_value(&repo.ok(&["validate"]));
    assert!(report.ok);
    assert_eq!(report.issues_checked, 1);

    let tree: TreeReply = parse(&repo.ok(&["graph", "show", &a]));
    assert_eq!(tree.direction, "upstream");
    for cmd in ["roots", "order", "critical-path"] {
        let l: NodeList = parse(&repo.ok(&["graph", cmd]));
        assert_eq!(l.total, l.issues.len());
    }
    for f in ["dot", "mermaid"] {
        let e: Exported = parse(&repo.ok(&["export", "--format", f]));
        assert_eq!(e.format, f);
    }
}

/// (arguments, expected code, expected exit code). `{a}` is an existing issue, `{b}` one that
/// depends on it, `{gated}` an issue requiring the manual gate `review`.
const ERRORS: &[(&[&str], &str, i32)] = &[
    (&["issue", "show", MISSING_ID], "not_found", 3),
    (&["issue", "show", "zzzzzzzz"], "not_found", 3),
    (&["issue", "show", "../../etc/passwd"], "invalid_id", 2),
    (&["issue", "show", "0"], "ambiguous_id", 2),
    (&["issue", "create", "--title", " "], "invalid_value", 2),
    (
        &["issue", "create", "--title", "t", "--gate", "nope"],
        "unknown_gate",
        2,
    ),
    (
        &["issue", "create", "--title", "t", "--type", "saga"],
        "invalid_value",
        2,
    ),
    (
        &["issue", "create", "--title", "t", "--due", "tomorrow"],
        "invalid_value",
        2,
    ),
    (
        &["issue", "create", "--title", "t", "--priority", "urgent"],
        "usage",
        2,
    ),
    (&["issue", "create"], "usage", 2),
    (&["issue", "frobnicate"], "usage", 2),
    (
        &[
            "issue",
            "update",
            "{a}",
            "--if-version",
            "99",
            "--title",
            "x",
        ],
        "version_conflict",
        4,
    ),
    (
        &["issue", "update", "{b}", "--state", "in_progress"],
        "blocked",
        6,
    ),
    (
        &["issue", "update", "{b}", "--state", "ready"],
        "blocked",
        6,
    ),
    (&["issue", "delete", "{a}"], "has_dependents", 4),
    (&["issue", "list", "--limit", "0"], "invalid_value", 2),
    (&["issue", "list", "--cursor", "nope"], "invalid_value", 2),
    (
        &["issue", "list", "--fields", "id,nope"],
        "invalid_value",
        2,
    ),
    (&["issue", "list", "--fields", ","], "invalid_value", 2),
    (&["issue", "list", "--fields", "id", "--full"], "usage", 2),
    (&["query", "ready", "--cursor", "nope"], "invalid_value", 2),
    (
        &["query", "ready", "--cursor", MISSING_ID],
        "invalid_value",
        2,
    ),
    (&["query", "ready", "--limit", "0"], "invalid_value", 2),
    (
        &["issue", "claim-next", "--fields", "nope"],
        "invalid_value",
        2,
    ),
    (
        &["issue", "list", "--since", "yesterday"],
        "invalid_value",
        2,
    ),
    (&["dep", "add", "{a}", "--on", "{b}"], "cycle", 4),
    (&["dep", "add", "{a}", "--on", "{a}"], "cycle", 4),
    (&["dep", "add", "{a}", "--on", MISSING_ID], "not_found", 3),
    (&["dep", "rm", "{a}", "--on", "{b}"], "not_a_dependency", 2),
    (&["gate", "add", "{a}", "nope"], "unknown_gate", 2),
    (
        &["gate", "define", "Bad Key", "--title", "t"],
        "invalid_value",
        2,
    ),
    (&["gate", "pass", "{a}", "review"], "gate_not_required", 2),
    (
        &["gate", "pass", "{gated}", "review", "--by", "agent:bot"],
        "manual_gate",
        2,
    ),
    (&["graph", "show", MISSING_ID], "not_found", 3),
    (&["export", "--format", "svg"], "usage", 2),
    (
        &["--actor", "nobody", "issue", "create", "--title", "t"],
        "invalid_value",
        2,
    ),
];

#[test]
fn every_error_is_one_json_object_with_a_stable_code_and_exit_code() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    let gated = repo.create("gated", &["--gate", "review"]);
    // `0` is ambiguous: every ULID made before the year 10889 starts with 0.
    for (args, want_code, want_exit) in ERRORS {
        let args: Vec<String> = args
            .iter()
            .map(|s| {
                s.replace("{a}", &a)
                    .replace("{b}", &b)
                    .replace("{gated}", &gated)
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let before = std::fs::read(repo.jit_dir().join("events.jsonl")).unwrap();
        let out = repo.cmd().args(&args).arg("--json").output().unwrap();
        let v = parse_one_object(&out);
        let e = ErrorReply::from_value(&v);
        assert_eq!(
            (e.error.code.as_str(), code(&out)),
            (*want_code, *want_exit),
            "jit {args:?}: {v:#}"
        );
        let after = std::fs::read(repo.jit_dir().join("events.jsonl")).unwrap();
        assert_eq!(
            before, after,
            "a refused command appends no event: jit {args:?}"
        );
    }
}

#[test]
fn errors_without_json_go_to_stderr_only() {
    let repo = Repo::new();
    for args in [
        &["issue", "show", MISSING_ID][..],
        &["issue", "create", "--priority", "x", "--title", "t"],
        &["issue", "show", "a/b"],
    ] {
        let out = repo.jit(args);
        assert_ne!(code(&out), 0);
        assert!(
            stdout(&out).is_empty(),
            "stdout is empty on error: {}",
            stdout(&out)
        );
        assert!(
            stderr(&out).contains("error"),
            "stderr says error: {}",
            stderr(&out)
        );
    }
}

#[test]
fn errors_outside_a_repo_are_json_too() {
    let dir = tempfile::tempdir().unwrap();
    let out = jit_cmd(dir.path())
        .args(["issue", "list", "--json"])
        .output()
        .unwrap();
    let e = ErrorReply::from_value(&parse_one_object(&out));
    assert_eq!((e.error.code.as_str(), code(&out)), ("not_a_jit_repo", 3));
}

#[test]
fn help_and_version_exit_zero() {
    let repo = Repo::new();
    for args in [&["--help"][..], &["--version"], &["issue", "--help"]] {
        let out = repo.jit(args);
        assert_eq!(code(&out), 0, "{args:?}");
        assert!(!stdout(&out).is_empty());
    }
    // A missing subcommand is a usage error.
    assert_eq!(code(&repo.jit(&["issue"])), 2);
}

#[test]
fn claim_errors_have_their_own_exit_codes() {
    let repo = Repo::new();
    let d = repo.err(&["issue", "claim-next"], "no_ready_work", 7);
    assert!(d.is_object());
    let a = repo.create("a", &[]);
    repo.ok(&["--actor", "agent:one", "issue", "claim", &a]);
    let d = repo.err(
        &["--actor", "agent:two", "issue", "claim", &a],
        "already_claimed",
        5,
    );
    assert_eq!(d["holder"], "agent:one");
    // The claimed issue is still a valid issue view, with its lease.
    let v = IssueView::from_value(&repo.show(&a));
    assert_eq!(v.assignee.as_deref(), Some("agent:one"));
    assert!(v.lease.is_some());
}

/// The lean shape and `--fields` are projections of the full view: every key they print is
/// the full view's, with the same value; the lean shape has exactly the documented keys (and
/// `labels` only when there are labels); `claim-next` is shaped the same way.
#[test]
fn lean_and_fields_are_projections_of_the_full_view() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    let a = repo.create("a", &["--label", "ui", "--priority", "high"]);
    let b = repo.create("b", &["--dep", &a, "--gate", "review", "--milestone", "M1"]);
    repo.create("c", &["--parent", &b]);
    repo.ok(&["link", "add", &b, "--relates", &a]);
    let lean_keys = [
        "id", "short_id", "title", "state", "priority", "type", "assignee", "labels", "blocked",
    ];
    for cmd in [
        &["issue", "list"][..],
        &["query", "ready"],
        &["query", "blocked"],
        &["query", "state", "backlog"],
    ] {
        let full = ListPage::from_value(&repo.ok(&[cmd, &["--full"]].concat()));
        let lean = ListPage::from_value(&repo.ok(cmd));
        let some = ListPage::from_value(
            &repo.ok(&[
                cmd,
                &[
                    "--fields",
                    "linked_from,progress,blocked_by,parent,milestone,id",
                ],
            ]
            .concat()),
        );
        assert_eq!(
            (lean.total, some.total),
            (full.total, full.total),
            "{cmd:?}"
        );
        for ((l, s), f) in lean.issues.iter().zip(&some.issues).zip(&full.issues) {
            let f = f.as_object().unwrap();
            for (k, v) in l.as_object().unwrap().iter().chain(s.as_object().unwrap()) {
                assert_eq!(
                    Some(v),
                    f.get(k),
                    "{cmd:?}: `{k}` differs from the full view"
                );
            }
            for k in lean_keys {
                assert_eq!(l.get(k).is_some(), f.contains_key(k), "{cmd:?}: `{k}`");
            }
            for k in [
                "linked_from",
                "progress",
                "blocked_by",
                "parent",
                "milestone",
                "id",
            ] {
                assert_eq!(s.get(k).is_some(), f.contains_key(k), "{cmd:?}: `{k}`");
            }
        }
    }
    let full = ListPage::from_value(&repo.ok(&["issue", "list", "--full"]));
    assert!(full.issues.iter().any(|i| i.get("linked_from").is_some()));
    assert!(full.issues.iter().any(|i| i.get("progress").is_some()));
    let claimed = repo.ok(&["issue", "claim-next", "--fields", "id,state,description"]);
    assert_eq!(claimed["shape"], "fields/1");
    assert_eq!(claimed["id"], repo.full_id(&a).as_str());
    let mut keys: Vec<&str> = claimed
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "demoted",
            "description",
            "id",
            "pending_gates",
            "promoted",
            "shape",
            "state"
        ]
    );
    repo.ok(&["issue", "release", &a]);
    let (view, t) = outcome(&repo.ok(&["issue", "claim-next", "--full"]));
    assert_eq!(
        (view.short_id.as_str(), t.pending_gates.len()),
        (a.as_str(), 0)
    );
    repo.ok(&["issue", "release", &a]);
    let lean = repo.ok(&["issue", "claim-next"]);
    let (rest, _) = split(&lean, &["pending_gates", "promoted", "demoted", "shape"]);
    LeanIssue::from_value(&rest);
}
