//! Issue operations: create, show, list, update, delete. Each mutation is one transaction.
//!
//! Invariants: create/show/update touch only the issue and its direct dependencies (plus the
//! file-name listing for short-id checks and prefix resolution); only `list`, `delete` and
//! state changes that cascade read the whole store.

use crate::error::{Error, ErrorCode, Result};
use crate::model::{
    self, Actor, Issue, IssueId, Priority, State, Timestamp, Visibility, validate_name,
    validate_text, validate_title,
};
use crate::model::{EventKind, Payload, payload};
use crate::store::{FileProblem, Store, Tx};
use crate::view::view_in;
use crate::view::{IssueView, blockers};
use crate::workflow::{self, Transition};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// A page of whole issues without a `shape` (what `jit serve`'s API returns; the command line
/// prints [`crate::pages::Page`]).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct IssuePage {
    /// The issues on this page.
    pub issues: Vec<IssueView>,
    /// How many issues matched (before `--cursor` and `--limit`).
    pub total: usize,
    /// Pass this as `--cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Files that could not be read as issues (skipped).
    pub problems: Vec<FileProblem>,
}

/// What `issue create` takes (MCP `create`, `POST /api/issues`).
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// One-line summary.
    pub title: String,
    /// Longer description (markdown; `- [ ] item` lines seed the checklist).
    #[serde(default)]
    pub description: Option<String>,
    /// How urgent it is.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Issue type: task, bug, feature, improvement, chore, epic, milestone (configurable).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: Vec<String>,
    /// Required gate keys from the registry.
    #[serde(default)]
    pub gates: Vec<String>,
    /// Issues this one depends on.
    #[serde(default)]
    pub deps: Vec<String>,
    /// Milestone name.
    #[serde(default)]
    pub milestone: Option<String>,
    /// Parent issue (this becomes a sub-task).
    #[serde(default)]
    pub parent: Option<String>,
    /// Due date, YYYY-MM-DD.
    #[serde(default)]
    pub due: Option<String>,
    /// Estimate (any unit your team uses).
    #[serde(default)]
    pub estimate: Option<f64>,
    /// internal or public (public issues appear in public exports).
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// What proves the work is done.
    #[serde(default)]
    pub evidence: Option<String>,
    /// The exit criterion.
    #[serde(default)]
    pub done_when: Option<String>,
    /// Context entries for agent data, `key` to `value`.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
}

impl super::Mutation for CreateRequest {
    type Output = IssueView;
    fn run(self, store: &Store, actor: &Actor) -> Result<IssueView> {
        create(store, actor, self)
    }
}

/// A field update: leave alone, set, or clear.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

/// What `issue update` takes.
#[derive(Debug, Clone, Default)]
pub struct UpdateRequest {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<Priority>,
    pub state: Option<State>,
    pub kind: Option<String>,
    pub add_labels: Vec<String>,
    pub remove_labels: Vec<String>,
    pub milestone: Patch<String>,
    pub parent: Patch<String>,
    pub due: Patch<String>,
    pub estimate: Patch<f64>,
    pub visibility: Option<Visibility>,
    pub evidence: Patch<String>,
    pub done_when: Patch<String>,
    pub context: Vec<(String, Option<String>)>,
    pub if_version: Option<u64>,
    /// Replace the checklist with these items (text, checked), matched to the current items by
    /// text (`issue edit`).
    pub checklist: Option<Vec<(String, bool)>>,
    /// Why, recorded in the event (`issue close`).
    pub reason: Option<String>,
    /// Move the issue although someone else holds it (human actors only; recorded).
    pub force: bool,
    /// Drop the records of what merges discarded (`merge_conflicts`), once they were read.
    pub clear_merge_conflicts: bool,
}

/// `issue delete`: an issue removed, and unlinked from the issues that name it.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Delete it although other issues depend on it or have it as their parent.
    #[serde(default)]
    pub force: bool,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for DeleteRequest {
    type Output = Deleted;
    fn run(self, store: &Store, actor: &Actor) -> Result<Deleted> {
        delete(store, actor, &self.id, self.force, self.if_version)
    }
}

/// `issue show` (MCP `show`): one issue with its derived fields.
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Also compute incoming links (`linked_from`) and a parent's sub-task `progress`.
    #[serde(default)]
    pub related: bool,
}

impl super::Read for ShowRequest {
    type Output = Shown;
    fn run(self, store: &Store) -> Result<Shown> {
        Ok(show_with(store, &self.id, self.related, self.related)?.0)
    }
}

/// `issue show`: the issue, and a parent's sub-tasks.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Shown {
    #[serde(flatten)]
    pub view: IssueView,
    /// A parent's sub-tasks (absent for an issue without any).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subtasks: Vec<crate::hierarchy::SubTask>,
}

/// One issue, with a parent's sub-tasks and `progress` when `subtasks` (read through the
/// summary index), and its incoming links when `related`; plus the files the sub-task lookup
/// could not read.
pub fn show_with(
    store: &Store,
    input: &str,
    subtasks: bool,
    related: bool,
) -> Result<(Shown, Vec<FileProblem>)> {
    let mut view = show(store, input)?;
    let (subtasks, progress, problems) = if subtasks {
        crate::hierarchy::subtasks(store, &view.issue.id)?
    } else {
        Default::default()
    };
    if !subtasks.is_empty() {
        view.progress = Some(progress);
    }
    if related {
        crate::ops::link::add_related(store, &mut view)?;
    }
    Ok((Shown { view, subtasks }, problems))
}

/// `issue update ID` as one JSON object (MCP `update`): what changes, an empty string clearing
/// an optional text field; turned into the [`UpdateRequest`] the command line builds from its
/// flags, and run by the same [`update`].
#[derive(Debug, Clone, Default, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateIssueRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// New one-line summary.
    #[serde(default)]
    pub title: Option<String>,
    /// New description (markdown).
    #[serde(default)]
    pub description: Option<String>,
    /// New priority.
    #[serde(default)]
    pub priority: Option<Priority>,
    /// Move to this state; refused with `blocked` or `gates_pending` when not allowed.
    #[serde(default)]
    pub state: Option<State>,
    /// New issue type.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Labels to add.
    #[serde(default)]
    pub add_labels: Vec<String>,
    /// Labels to remove.
    #[serde(default)]
    pub remove_labels: Vec<String>,
    /// Milestone name; empty string clears it.
    #[serde(default)]
    pub milestone: Option<String>,
    /// Parent issue; empty string clears it.
    #[serde(default)]
    pub parent: Option<String>,
    /// Due date YYYY-MM-DD; empty string clears it.
    #[serde(default)]
    pub due: Option<String>,
    /// Estimate; empty string clears it.
    #[serde(default)]
    pub estimate: Option<EstimateValue>,
    /// internal or public.
    #[serde(default)]
    pub visibility: Option<Visibility>,
    /// Evidence text; empty string clears it.
    #[serde(default)]
    pub evidence: Option<String>,
    /// Exit criterion; empty string clears it.
    #[serde(default)]
    pub done_when: Option<String>,
    /// Context entries to set, `key` to `value`; an empty value removes the key.
    #[serde(default)]
    pub context: BTreeMap<String, String>,
    /// True drops the records of what merges of this issue discarded (`merge_conflicts`).
    #[serde(default)]
    pub clear_merge_conflicts: Option<bool>,
    /// Refuse the write unless the issue is at this version (`version_conflict`).
    #[serde(default)]
    pub if_version: Option<u64>,
}

/// An estimate as JSON gives it: a number, or a string (empty clears it).
#[derive(Debug, Clone, PartialEq, serde::Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum EstimateValue {
    Number(f64),
    Text(String),
}

/// A text field's change as the command line and JSON give it: absent keeps it, blank clears
/// it, anything else sets it.
pub fn patch(v: Option<String>) -> Patch<String> {
    match v {
        None => Patch::Keep,
        Some(s) if s.trim().is_empty() => Patch::Clear,
        Some(s) => Patch::Set(s),
    }
}

/// An estimate's change from its text: blank clears it, a number sets it.
pub fn estimate_patch(v: Option<&str>) -> Result<Patch<f64>> {
    Ok(match v {
        None => Patch::Keep,
        Some(s) if s.trim().is_empty() => Patch::Clear,
        Some(s) => Patch::Set(s.trim().parse::<f64>().map_err(|_| {
            Error::invalid(
                "estimate",
                format!("`{}` is not a number", s.escape_debug()),
            )
        })?),
    })
}

impl super::Mutation for UpdateIssueRequest {
    type Output = Outcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<Outcome> {
        let estimate = match &self.estimate {
            Some(EstimateValue::Number(n)) => Patch::Set(*n),
            Some(EstimateValue::Text(t)) => estimate_patch(Some(t))?,
            None => Patch::Keep,
        };
        let context = self
            .context
            .into_iter()
            .map(|(k, v)| (k, Some(v).filter(|v| !v.is_empty())))
            .collect();
        let req = UpdateRequest {
            title: self.title,
            description: self.description,
            priority: self.priority,
            state: self.state,
            kind: self.kind,
            add_labels: self.add_labels,
            remove_labels: self.remove_labels,
            milestone: patch(self.milestone),
            parent: patch(self.parent),
            due: patch(self.due),
            estimate,
            visibility: self.visibility,
            evidence: patch(self.evidence),
            done_when: patch(self.done_when),
            context,
            if_version: self.if_version,
            clear_merge_conflicts: self.clear_merge_conflicts.unwrap_or(false),
            ..Default::default()
        };
        update(store, actor, &self.id, req)
    }
}

/// The result of a mutation that may move states: the issue and what the move did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Outcome {
    #[serde(flatten)]
    pub view: IssueView,
    #[serde(flatten)]
    pub transition: Transition,
}

/// Checks an issue type against the configured types; returns it lower-cased.
pub(crate) fn check_kind(cfg: &crate::model::Config, kind: &str) -> Result<String> {
    let k = kind.trim().to_ascii_lowercase();
    if !cfg.types.iter().any(|t| t == &k) {
        return Err(Error::invalid(
            "type",
            format!(
                "`{}` is not one of: {}",
                kind.escape_debug(),
                cfg.types.join(", ")
            ),
        ));
    }
    Ok(k)
}

fn check_due(d: &str) -> Result<String> {
    chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
        .map(|_| d.trim().to_string())
        .map_err(|_| {
            Error::invalid(
                "due",
                format!("`{}` is not a date like 2026-12-01", d.escape_debug()),
            )
        })
}

fn check_estimate(e: f64) -> Result<f64> {
    if !e.is_finite() || e < 0.0 {
        return Err(Error::invalid("estimate", "must be a non-negative number"));
    }
    Ok(e)
}

fn check_context(k: &str, v: Option<&str>) -> Result<()> {
    validate_name("context key", k)?;
    if k.contains('=') {
        return Err(Error::invalid("context key", "must not contain `=`"));
    }
    if let Some(v) = v {
        if v.len() > model::limits::CONTEXT_VALUE {
            return Err(Error::invalid(
                "context value",
                format!("longer than {} bytes", model::limits::CONTEXT_VALUE),
            ));
        }
        validate_text("context value", v)?;
    }
    Ok(())
}

/// Creates an issue.
pub fn create(store: &Store, actor: &Actor, req: CreateRequest) -> Result<IssueView> {
    let config = store.config()?;
    let title = validate_title(&req.title)?;
    let description = validate_text("description", req.description.as_deref().unwrap_or(""))?;
    let kind = req
        .kind
        .as_deref()
        .map(|k| check_kind(&config, k))
        .transpose()?;
    let labels = req
        .labels
        .iter()
        .map(|l| validate_name("label", l))
        .collect::<Result<Vec<_>>>()?;
    let gate_keys = req
        .gates
        .iter()
        .map(|g| model::validate_gate_key(g.trim()))
        .collect::<Result<Vec<_>>>()?;
    let milestone = req
        .milestone
        .as_deref()
        .map(|m| validate_name("milestone", m))
        .transpose()?;
    let due = req.due.as_deref().map(check_due).transpose()?;
    let estimate = req.estimate.map(check_estimate).transpose()?;
    let evidence = req
        .evidence
        .as_deref()
        .map(|t| validate_text("evidence", t))
        .transpose()?;
    let done_when = req
        .done_when
        .as_deref()
        .map(|t| validate_text("done_when", t))
        .transpose()?;
    for (k, v) in &req.context {
        check_context(k, Some(v))?;
    }
    let default_priority = config.default_priority;
    store.mutate(actor, |tx| {
        let gates = tx.gates()?.clone();
        for g in &gate_keys {
            if !gates.contains_key(g) {
                return Err(Error::UnknownGate { key: g.clone() });
            }
        }
        let mut deps = Vec::new();
        for d in &req.deps {
            deps.push(tx.resolve(d)?);
        }
        let parent = req.parent.as_deref().map(|p| tx.resolve(p)).transpose()?;
        let id = new_id(tx.store())?;
        let mut issue = Issue::new(id, title.clone(), tx.now);
        issue.description = description.clone();
        issue.priority = req.priority.unwrap_or(default_priority);
        if let Some(k) = &kind {
            issue.kind = k.clone();
        }
        issue.labels = labels.clone();
        issue.gates_required = gate_keys.clone();
        issue.gates_status = gate_keys
            .iter()
            .map(|k| (k.clone(), model::GateStatus::pending()))
            .collect();
        issue.dependencies = deps;
        issue.milestone = milestone.clone();
        issue.parent = parent;
        issue.due = due.clone();
        issue.estimate = estimate;
        issue.visibility = req.visibility;
        issue.evidence = evidence.clone();
        issue.done_when = done_when.clone();
        issue.reporter = Some(tx.actor.to_string());
        issue.context = req.context.clone();
        issue.checklist =
            crate::model::checklist_from_markdown(&issue.description, || crate::random::token(6));
        issue.state = workflow::readiness(tx, &issue)?;
        let issue = tx.insert(issue)?;
        let created = payload::Created {
            title: issue.title.clone(),
            ..Default::default()
        };
        tx.record(None, &issue, Payload::IssueCreated(created))?;
        view_in(tx, issue)
    })
}

/// A new id whose short form collides with no existing issue (checked by file names only).
fn new_id(store: &Store) -> Result<IssueId> {
    // Listing every file name to prove uniqueness would make creation O(issues). A clash needs
    // 40 random bits to repeat; the short-id cache catches the issues this clone knows of, and
    // `validate` reports a clash that arrives by merge (`duplicate_short_id`).
    for _ in 0..64 {
        let id = IssueId::from_ulid(crate::random::ulid());
        let known =
            crate::store::short_cache::lookup(store.dir(), &store.issues_dir(), &id.short());
        if known.is_none() && !store.issue_path(&id).exists() {
            return Ok(id);
        }
    }
    Err(Error::Internal("could not find a free short id".into()))
}

/// Shows one issue: reads its file, its dependencies' files and the gate registry.
pub fn show(store: &Store, input: &str) -> Result<IssueView> {
    let id = store.resolve(input)?;
    let issue = store.load(&id)?;
    let gates = store.gates()?;
    let mut infos = BTreeMap::new();
    for d in &issue.dependencies {
        let info = match store.load(d) {
            Ok(i) => Some(crate::view::DepInfo {
                state: i.state,
                title: i.title,
            }),
            Err(Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        infos.insert(d.clone(), info);
    }
    let b = blockers(&issue, |d| infos.get(d).cloned().flatten(), &gates);
    Ok(IssueView::new(issue, b))
}

/// Updates fields and, with `state`, moves the issue through the state machine.
pub fn update(store: &Store, actor: &Actor, input: &str, req: UpdateRequest) -> Result<Outcome> {
    let checked = check_update(store, req)?;
    store.mutate(actor, |tx| apply_update(tx, input, &checked))
}

/// An [`UpdateRequest`] whose values are checked, ready to apply to any number of issues.
#[derive(Debug, Clone)]
pub struct CheckedUpdate {
    req: UpdateRequest,
    title: Option<String>,
    description: Option<String>,
    kind: Option<String>,
    add: Vec<String>,
    remove: Vec<String>,
    milestone: Patch<String>,
    due: Patch<String>,
    checklist: Option<Vec<(String, bool)>>,
}

impl CheckedUpdate {
    /// The `--if-version` the update carries.
    pub fn if_version(&self) -> Option<u64> {
        self.req.if_version
    }
}

/// Checks every value of an update before any lock is taken.
pub fn check_update(store: &Store, req: UpdateRequest) -> Result<CheckedUpdate> {
    let title = req.title.as_deref().map(validate_title).transpose()?;
    let description = req
        .description
        .as_deref()
        .map(|d| validate_text("description", d))
        .transpose()?;
    let kind = req
        .kind
        .as_deref()
        .map(|k| check_kind(&store.config()?, k))
        .transpose()?;
    let add = req
        .add_labels
        .iter()
        .map(|l| validate_name("label", l))
        .collect::<Result<Vec<_>>>()?;
    let remove = req
        .remove_labels
        .iter()
        .map(|l| l.trim().to_string())
        .collect::<Vec<_>>();
    for (k, v) in &req.context {
        check_context(k, v.as_deref())?;
    }
    let milestone = match &req.milestone {
        Patch::Set(m) => Patch::Set(validate_name("milestone", m)?),
        other => other.clone(),
    };
    let due = match &req.due {
        Patch::Set(d) => Patch::Set(check_due(d)?),
        other => other.clone(),
    };
    if let Patch::Set(e) = req.estimate {
        check_estimate(e)?;
    }
    let checklist = req.checklist.as_deref().map(check_checklist).transpose()?;
    if let Some(r) = &req.reason {
        validate_text("reason", r)?;
    }
    Ok(CheckedUpdate {
        title,
        description,
        kind,
        add,
        remove,
        milestone,
        due,
        checklist,
        req,
    })
}

/// Checks the items of a whole checklist: one line each, no two alike.
fn check_checklist(items: &[(String, bool)]) -> Result<Vec<(String, bool)>> {
    let mut out: Vec<(String, bool)> = Vec::with_capacity(items.len());
    for (text, checked) in items {
        let t = text.trim();
        if t.is_empty() {
            return Err(Error::invalid("checklist", "an item is blank"));
        }
        if t.chars().count() > model::limits::TITLE {
            return Err(Error::invalid(
                "checklist",
                format!("an item is longer than {} characters", model::limits::TITLE),
            ));
        }
        if t.chars().any(|c| c.is_control()) {
            return Err(Error::invalid(
                "checklist",
                "an item contains control characters; each item is one line",
            ));
        }
        if out.iter().any(|(o, _)| o == t) {
            return Err(Error::invalid(
                "checklist",
                format!("the item \"{}\" is there twice", t.escape_debug()),
            ));
        }
        out.push((t.to_string(), *checked));
    }
    Ok(out)
}

/// Applies a checked update to one issue inside a transaction: the change, its event and the
/// cascade of a move into or out of `done`.
pub fn apply_update(tx: &mut Tx<'_>, input: &str, c: &CheckedUpdate) -> Result<Outcome> {
    let req = &c.req;
    if req.force {
        tx.force_moves();
    }
    let before = tx.open(input, req.if_version)?;
    let id = before.id.clone();
    let mut after = before.clone();
    if let Some(t) = &c.title {
        after.title = t.clone();
    }
    if let Some(d) = &c.description {
        after.description = d.clone();
    }
    if let Some(p) = req.priority {
        after.priority = p;
    }
    if let Some(k) = &c.kind {
        after.kind = k.clone();
    }
    after.labels.retain(|l| !c.remove.contains(l));
    after.labels.extend(c.add.iter().cloned());
    apply_patch(&mut after.milestone, &c.milestone);
    apply_patch(&mut after.due, &c.due);
    apply_patch(&mut after.estimate, &req.estimate);
    apply_patch(&mut after.evidence, &req.evidence);
    apply_patch(&mut after.done_when, &req.done_when);
    if let Some(v) = req.visibility {
        after.visibility = Some(v);
    }
    match &req.parent {
        Patch::Keep => {}
        Patch::Clear => after.parent = None,
        Patch::Set(p) => {
            let pid = tx.resolve(p)?;
            if pid == id {
                return Err(Error::invalid(
                    "parent",
                    "an issue cannot be its own parent",
                ));
            }
            check_parent_chain(tx, &id, &pid)?;
            after.parent = Some(pid);
        }
    }
    for (k, v) in &req.context {
        match v {
            Some(v) => after.context.insert(k.clone(), v.clone()),
            None => after.context.remove(k),
        };
    }
    if req.clear_merge_conflicts {
        after.merge_conflicts.clear();
        // An older file's records, not yet moved out of the context.
        after.context.remove(crate::model::LEGACY_CONFLICTS_KEY);
    }
    if let Some(items) = &c.checklist {
        after.checklist = replace_checklist(&after.checklist, items, tx.actor.as_str(), tx.now);
    }
    let mut transition = Transition::default();
    let was_done = before.state == State::Done;
    if let Some(target) = req.state {
        let (state, pending) = workflow::resolve_target(tx, &after, target)?;
        after.state = state;
        transition.pending_gates = pending;
    }
    let why = payload::Updated {
        reason: req.reason.clone(),
        ..Default::default()
    };
    let after = tx.edit_as(&before, after, |after| {
        if before.state != after.state && only_state_changed(&before, after) {
            Payload::IssueStateChanged(why)
        } else {
            Payload::IssueUpdated(why)
        }
    })?;
    if was_done != (after.state == State::Done) {
        workflow::cascade(tx, &id, &mut transition)?;
    }
    let view = view_in(tx, after)?;
    Ok(Outcome { view, transition })
}

/// A new checklist from `items` (text, checked): an item whose text was there keeps its id and
/// who checked it; one checked now is recorded as checked by `actor` at `now`.
fn replace_checklist(
    old: &[model::ChecklistItem],
    items: &[(String, bool)],
    actor: &str,
    now: Timestamp,
) -> Vec<model::ChecklistItem> {
    let mut old = old.to_vec();
    items
        .iter()
        .map(|(text, checked)| {
            let mut item = match old.iter().position(|i| i.text.trim() == text) {
                Some(k) => old.remove(k),
                None => model::ChecklistItem {
                    id: crate::random::token(6),
                    text: text.clone(),
                    checked: false,
                    checked_by: None,
                    checked_at: None,
                },
            };
            if item.checked != *checked {
                item.checked = *checked;
                item.checked_by = checked.then(|| actor.to_string());
                item.checked_at = checked.then_some(now);
            }
            item
        })
        .collect()
}

/// One issue of a bulk update: the issue after the change, what the change moved, and the
/// fields it changed.
#[derive(Debug, Serialize)]
pub struct BulkItem {
    #[serde(flatten)]
    pub outcome: Outcome,
    /// Field, before and after, for each field the update changes (empty: already so).
    pub changes: Vec<crate::model::Change>,
}

/// What a bulk update did (or, with `dry_run`, would do): every issue it names or matches, in
/// id order.
#[derive(Debug, Serialize)]
pub struct BulkOutcome {
    /// The issues the update names or its filter matched, after the change.
    pub issues: Vec<BulkItem>,
    /// How many of them the update changed (the others already held the values).
    pub changed: usize,
    /// How many issues were named or matched.
    pub total: usize,
    /// True when nothing was written.
    pub dry_run: bool,
}

/// Which issues a bulk update changes.
pub struct BulkTargets<'a> {
    /// Issues named on the command line (ids, short ids, prefixes).
    pub ids: &'a [String],
    /// Issues a filter matches (checked on every issue as the transaction reads it), if any.
    pub filter: Option<&'a dyn Fn(&IssueView) -> bool>,
    /// Refuse (`too_many_matches`) when the filter matches more issues than this.
    pub limit: Option<usize>,
}

/// Applies one update to several issues in one transaction: all of them change or none does.
/// The issues are chosen under the lock. With `dry_run` the same checks run and the results
/// are returned, but nothing is written.
pub fn update_many(
    store: &Store,
    actor: &Actor,
    targets: &BulkTargets<'_>,
    req: UpdateRequest,
    dry_run: bool,
) -> Result<BulkOutcome> {
    if req.if_version.is_some() {
        return Err(Error::invalid(
            "if-version",
            "`--if-version` names the version of one issue; update several without it",
        ));
    }
    let checked = check_update(store, req)?;
    let run = |tx: &mut Tx<'_>| -> Result<BulkOutcome> {
        let mut ids: Vec<IssueId> = Vec::new();
        for input in targets.ids {
            let id = tx.resolve(input)?;
            tx.get(&id)?;
            ids.push(id);
        }
        let mut matched = 0;
        if let Some(accept) = targets.filter {
            let (issues, problems) = tx.store().load_all()?;
            if let Some(p) = problems.first() {
                // A file the filter cannot see could be one it should match: refuse rather
                // than update a subset.
                return Err(Error::CorruptFile {
                    path: p.path.clone(),
                    message: p.message.clone(),
                });
            }
            let gates = tx.gates()?.clone();
            let before = ids.len();
            ids.extend(
                crate::view::views_for(issues, &gates)
                    .into_iter()
                    .filter(|v| accept(v))
                    .map(|v| v.issue.id),
            );
            matched = ids.len() - before;
        }
        if let Some(limit) = targets.limit
            && matched > limit
        {
            return Err(Error::Refused {
                code: ErrorCode::TooManyMatches,
                message: format!(
                    "the filter matches {matched} issues, more than the limit of {limit}; check them with --dry-run, then pass --yes (or a higher --limit)"
                ),
                details: json!({ "matched": matched, "limit": limit }),
            });
        }
        ids.sort();
        ids.dedup();
        let mut issues = Vec::with_capacity(ids.len());
        let mut changed = 0;
        for id in &ids {
            let before = tx.get(id)?;
            let outcome = apply_update(tx, id.as_str(), &checked)?;
            let after = tx.get(id)?;
            let as_json =
                |i: &Issue| serde_json::to_value(i).map_err(|e| Error::Internal(e.to_string()));
            let changes = crate::store::tx::diff_values(&as_json(&before)?, &as_json(&after)?);
            changed += usize::from(!changes.is_empty());
            issues.push(BulkItem { outcome, changes });
        }
        Ok(BulkOutcome {
            total: issues.len(),
            issues,
            changed,
            dry_run,
        })
    };
    if dry_run {
        store.preview(actor, run)
    } else {
        store.mutate(actor, run)
    }
}

fn only_state_changed(a: &Issue, b: &Issue) -> bool {
    let mut x = a.clone();
    x.state = b.state;
    x.version = b.version;
    x.updated_at = b.updated_at;
    // What a move stamps by itself (crate::times) is part of the state change.
    x.started_at = b.started_at;
    x.finished_at = b.finished_at;
    x.deferred_until = b.deferred_until;
    &x == b
}

fn apply_patch<T: Clone>(field: &mut Option<T>, p: &Patch<T>) {
    match p {
        Patch::Keep => {}
        Patch::Set(v) => *field = Some(v.clone()),
        Patch::Clear => *field = None,
    }
}

/// Refuses a parent chain that loops back to `id`.
fn check_parent_chain(tx: &mut Tx<'_>, id: &IssueId, parent: &IssueId) -> Result<()> {
    let mut cur = Some(parent.clone());
    let mut path = vec![id.short(), parent.short()];
    let mut steps = 0;
    while let Some(p) = cur {
        if &p == id {
            return Err(Error::invalid(
                "parent",
                format!("that would make a loop of parents: {}", path.join(" -> ")),
            ));
        }
        steps += 1;
        if steps > 10_000 {
            break;
        }
        cur = tx.get(&p)?.parent;
        if let Some(n) = &cur {
            path.push(n.short());
        }
    }
    Ok(())
}

/// What `issue delete` reports.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Deleted {
    pub deleted: IssueView,
    /// Issues whose dependency on the deleted one was removed (`--force`).
    pub unlinked: Vec<String>,
}

/// Deletes an issue. Refuses while other issues depend on it or name it as parent, unless
/// `force`, which removes those references (each with its own event); an issue someone else
/// holds is deleted only by its holder, or by a human with `force` (the holder rule).
pub fn delete(
    store: &Store,
    actor: &Actor,
    input: &str,
    force: bool,
    if_version: Option<u64>,
) -> Result<Deleted> {
    store.mutate(actor, |tx| {
        if force {
            tx.force_moves();
        }
        let issue = tx.open(input, if_version)?;
        let id = issue.id.clone();
        let (all, _) = tx.store().load_all()?;
        let holds_link = |i: &Issue| i.links.iter().any(|l| l.target == id.as_str());
        let (referrers, link_holders): (Vec<Issue>, Vec<Issue>) = all
            .into_iter()
            .filter(|i| i.id != id)
            .filter(|i| i.dependencies.contains(&id) || i.parent.as_ref() == Some(&id) || holds_link(i))
            .partition(|i| i.dependencies.contains(&id) || i.parent.as_ref() == Some(&id));
        if !referrers.is_empty() && !force {
            let shorts: Vec<String> = referrers.iter().map(|i| i.short_id()).collect();
            return Err(Error::Conflict {
                code: crate::error::ErrorCode::HasDependents,
                message: format!(
                    "issue `{}` is referenced by {} issue(s) ({}); remove those links or pass --force",
                    issue.short_id(),
                    shorts.len(),
                    shorts.join(", ")
                ),
                details: json!({ "id": id, "dependents": shorts }),
            });
        }
        // Dependencies and parent links need --force; plain links (relates, duplicates) are
        // informational and go with the issue.
        let mut unlinked = Vec::new();
        for r in referrers.iter().chain(&link_holders) {
            let before = tx.get(&r.id)?;
            let mut after = before.clone();
            after.dependencies.retain(|d| d != &id);
            if after.parent.as_ref() == Some(&id) {
                after.parent = None;
            }
            after.links.retain(|l| l.target != id.as_str());
            workflow::rederive(tx, &mut after)?;
            tx.edit_as(&before, after, |after| {
                let cause = Some(EventKind::IssueDeleted.as_str().to_string());
                let unlinked = before.links.iter().find(|l| !after.links.contains(l));
                if before.dependencies != after.dependencies {
                    Payload::DepRemoved(payload::Dependency {
                        dependency: id.to_string(),
                        cause,
                    })
                } else if let Some(link) = unlinked {
                    Payload::LinkRemoved(payload::Link {
                        kind: link.kind,
                        target: id.to_string(),
                        cause,
                    })
                } else {
                    Payload::IssueUpdated(payload::Updated {
                        cause,
                        dependency: Some(id.to_string()),
                        ..Default::default()
                    })
                }
            })?;
            unlinked.push(r.id.to_string());
        }
        let view = view_in(tx, issue.clone())?;
        tx.delete(&id)?;
        let deleted = payload::Deleted {
            title: issue.title.clone(),
        };
        tx.event(Some(&id), Vec::new(), Payload::IssueDeleted(deleted));
        Ok(Deleted { deleted: view, unlinked })
    })
}

/// Parses `key=value` (set) or `key=` / `key` with `-` prefix handled by the caller (clear).
pub fn parse_context(s: &str) -> Result<(String, Option<String>)> {
    match s.split_once('=') {
        Some((k, "")) => Ok((k.trim().to_string(), None)),
        Some((k, v)) => Ok((k.trim().to_string(), Some(v.to_string()))),
        None => Err(Error::invalid(
            "context",
            format!(
                "`{}` is not `key=value` (use `key=` to remove a key)",
                s.escape_debug()
            ),
        )),
    }
}

crate::one_issue!(Outcome, Shown);
