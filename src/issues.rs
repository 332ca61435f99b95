//! Issue operations: create, show, list, update, delete. Each mutation is one transaction.
//!
//! Invariants: create/show/update touch only the issue and its direct dependencies (plus the
//! file-name listing for short-id checks and prefix resolution); only `list`, `delete` and
//! state changes that cascade read the whole store.

use crate::error::{Error, Result};
use crate::model::EventKind;
use crate::model::{
    self, Actor, Issue, IssueId, Priority, State, Timestamp, Visibility, validate_name,
    validate_text, validate_title,
};
use crate::store::{FileProblem, Store, Tx};
use crate::view::{IssueView, blockers, views_for};
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

/// What `issue create` takes.
#[derive(Debug, Clone, Default)]
pub struct CreateRequest {
    pub title: String,
    pub description: Option<String>,
    pub priority: Option<Priority>,
    pub kind: Option<String>,
    pub labels: Vec<String>,
    pub gates: Vec<String>,
    pub deps: Vec<String>,
    pub milestone: Option<String>,
    pub parent: Option<String>,
    pub due: Option<String>,
    pub estimate: Option<f64>,
    pub visibility: Option<Visibility>,
    pub evidence: Option<String>,
    pub done_when: Option<String>,
    pub context: Vec<(String, String)>,
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
    /// Move the issue although someone else holds it (human actors only; recorded).
    pub force: bool,
}

/// The result of a mutation that may move states: the issue and what the move did.
#[derive(Debug, Serialize)]
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

/// Builds the view of one issue inside a transaction (reads its dependencies only).
pub fn view_in(tx: &mut Tx<'_>, issue: Issue) -> Result<IssueView> {
    let infos = workflow::dep_infos(tx, &issue)?;
    let gates = tx.gates()?.clone();
    let b = blockers(&issue, |d| infos.get(d).cloned().flatten(), &gates);
    Ok(IssueView::new(issue, b))
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
        issue.context = req.context.iter().cloned().collect::<BTreeMap<_, _>>();
        issue.checklist =
            crate::model::checklist_from_markdown(&issue.description, || crate::random::token(6));
        issue.state = workflow::readiness(tx, &issue)?;
        let issue = tx.insert(issue)?;
        tx.record(
            EventKind::IssueCreated,
            None,
            &issue,
            json!({ "title": issue.title }),
        )?;
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

/// Every issue as a view, plus the files that could not be read. Takes no lock.
pub fn list_all(store: &Store) -> Result<(Vec<IssueView>, Vec<FileProblem>)> {
    list_all_reporting(store, &crate::progress::Silent)
}

/// [`list_all`], reporting each file read to `progress`.
pub fn list_all_reporting(
    store: &Store,
    progress: &dyn crate::progress::Progress,
) -> Result<(Vec<IssueView>, Vec<FileProblem>)> {
    let (issues, problems) = store.load_all_reporting(progress)?;
    let gates = store.gates()?;
    let mut views = views_for(issues, &gates);
    views.sort_by(|a, b| a.issue.id.cmp(&b.issue.id));
    Ok((views, problems))
}

/// Updates fields and, with `state`, moves the issue through the state machine.
pub fn update(store: &Store, actor: &Actor, input: &str, req: UpdateRequest) -> Result<Outcome> {
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
    store.mutate(actor, |tx| {
        if req.force {
            tx.force_moves();
        }
        let before = tx.open(input, req.if_version)?;
        let id = before.id.clone();
        let mut after = before.clone();
        if let Some(t) = &title {
            after.title = t.clone();
        }
        if let Some(d) = &description {
            after.description = d.clone();
        }
        if let Some(p) = req.priority {
            after.priority = p;
        }
        if let Some(k) = &kind {
            after.kind = k.clone();
        }
        after.labels.retain(|l| !remove.contains(l));
        after.labels.extend(add.iter().cloned());
        apply_patch(&mut after.milestone, &milestone);
        apply_patch(&mut after.due, &due);
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
        let mut transition = Transition::default();
        let was_done = before.state == State::Done;
        if let Some(target) = req.state {
            let (state, pending) = workflow::resolve_target(tx, &after, target)?;
            after.state = state;
            transition.pending_gates = pending;
        }
        let after = tx.put(after)?;
        let kind = if before.state != after.state && only_state_changed(&before, &after) {
            EventKind::IssueStateChanged
        } else {
            EventKind::IssueUpdated
        };
        tx.record(kind, Some(&before), &after, json!({}))?;
        if was_done != (after.state == State::Done) {
            workflow::cascade(tx, &id, &mut transition)?;
        }
        let view = view_in(tx, after)?;
        Ok(Outcome { view, transition })
    })
}

fn only_state_changed(a: &Issue, b: &Issue) -> bool {
    let mut x = a.clone();
    x.state = b.state;
    x.version = b.version;
    x.updated_at = b.updated_at;
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
#[derive(Debug, Serialize)]
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
            let after = tx.put(after)?;
            let kind = if before.dependencies != after.dependencies {
                EventKind::DepRemoved
            } else if before.links != after.links {
                EventKind::LinkRemoved
            } else {
                EventKind::IssueUpdated
            };
            tx.record(kind, Some(&before), &after, json!({ "cause": "issue.deleted", "dependency": id }))?;
            unlinked.push(r.id.to_string());
        }
        let view = view_in(tx, issue.clone())?;
        tx.delete(&id)?;
        tx.event(EventKind::IssueDeleted, Some(&id), Vec::new(), json!({ "title": issue.title }));
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

/// Time helper for callers that print relative ages.
pub fn age(now: Timestamp, then: Timestamp) -> String {
    let secs = (now.millis() - then.millis()).max(0) / 1000;
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86_400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}
