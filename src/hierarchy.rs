//! Parents and sub-tasks: the sub-tasks of one issue (for `issue show`), and the hierarchy of
//! the store as a forest with each issue's dependencies (`graph tree`).
//!
//! Invariants: [`subtasks`] reads the summary index (each record checked against its file, the
//! claim ledger applied) to find the children, and reads in full only the children it returns;
//! it never reads every issue. States are the ones every view shows (the derived
//! `backlog`/`ready`), and a parent chain that loops (a hand edit) is cut where it repeats.

use crate::error::Result;
use crate::model::{IssueId, State};
use crate::rules::{self, Facts};
use crate::store::index::Effective;
use crate::store::{FileProblem, Store};
use crate::view::{IssueView, Progress};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// One sub-task as a parent lists it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct SubTask {
    pub id: String,
    pub short_id: String,
    pub title: String,
    /// The state every view shows (an open issue that has not started is `ready` exactly when
    /// its dependencies are done).
    pub state: State,
    pub blocked: bool,
    pub assignee: Option<String>,
}

/// The sub-tasks of `parent` (in id order, which is creation order) and their progress, with
/// the files that could not be read.
pub fn subtasks(
    store: &Store,
    parent: &IssueId,
) -> Result<(Vec<SubTask>, Progress, Vec<FileProblem>)> {
    let (all, mut problems) = crate::store::index::load(store)?;
    let (ledger, ledger_problem) = store.ledger();
    problems.extend(ledger_problem);
    let gates = store.gates()?;
    let mut found: Vec<(IssueId, State, bool)> = Vec::new();
    for s in all.iter().filter(|s| s.parent() == Some(parent.as_str())) {
        let deps_done = s.dependencies().all(|d| {
            all.get(d)
                .is_some_and(|x| Effective::of(x, &ledger).state() == State::Done)
        });
        let state = rules::derived_state(Effective::of(s, &ledger).state(), deps_done);
        let blocked = crate::view::summary_blocked(&s, &all, &gates, &ledger);
        found.push((IssueId::parse(s.id())?, state, blocked));
    }
    let ids: Vec<IssueId> = found.iter().map(|f| f.0.clone()).collect();
    let (full, more) = store.load_many(&ids, &crate::progress::Silent);
    problems.extend(more);
    let mut full: HashMap<IssueId, crate::model::Issue> =
        full.into_iter().map(|i| (i.id.clone(), i)).collect();
    let mut out = Vec::with_capacity(found.len());
    for (id, state, blocked) in found {
        // Deleted or unreadable since its summary was checked: left out.
        let Some(issue) = full.remove(&id) else {
            continue;
        };
        out.push(SubTask {
            short_id: id.short(),
            id: id.to_string(),
            title: issue.title,
            state,
            blocked,
            assignee: issue.assignee,
        });
    }
    let progress = Progress {
        done: out.iter().filter(|s| s.state == State::Done).count(),
        total: out.len(),
    };
    Ok((out, progress, problems))
}

/// One dependency of a node in the hierarchy.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct DepRef {
    pub id: String,
    pub short_id: String,
    /// `None` when the dependency does not exist.
    pub state: Option<State>,
}

/// One issue in the hierarchy, with its sub-tasks.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Node {
    pub id: String,
    pub short_id: String,
    pub title: String,
    pub state: State,
    #[serde(rename = "type")]
    pub kind: String,
    pub blocked: bool,
    /// Over its sub-tasks, for a parent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    /// What it depends on, in id order.
    pub dependencies: Vec<DepRef>,
    pub children: Vec<Node>,
}

/// The hierarchy of `views`: every issue without a (known) parent as a root, each with its
/// sub-tasks, in id order. With `root`, only that issue's subtree. Closed issues (done,
/// archived) are left out unless `closed`, except where they lead to open sub-tasks.
pub fn forest(views: &[IssueView], root: Option<&IssueId>, closed: bool) -> Vec<Node> {
    let by_id: HashMap<&IssueId, &IssueView> = views.iter().map(|v| (&v.issue.id, v)).collect();
    let mut children: BTreeMap<&IssueId, Vec<&IssueView>> = BTreeMap::new();
    for v in views {
        if let Some(p) = v.issue.parent.as_ref().filter(|p| by_id.contains_key(p)) {
            children.entry(p).or_default().push(v);
        }
    }
    for c in children.values_mut() {
        c.sort_by(|a, b| a.issue.id.cmp(&b.issue.id));
    }
    let roots: Vec<&IssueView> = match root {
        Some(r) => by_id.get(r).copied().into_iter().collect(),
        None => {
            let mut r: Vec<&IssueView> = views
                .iter()
                .filter(|v| {
                    v.issue
                        .parent
                        .as_ref()
                        .is_none_or(|p| !by_id.contains_key(p))
                })
                .collect();
            r.sort_by(|a, b| a.issue.id.cmp(&b.issue.id));
            r
        }
    };
    let mut seen = HashSet::new();
    roots
        .into_iter()
        .filter_map(|v| node(v, &by_id, &children, closed, root.is_some(), &mut seen))
        .collect()
}

fn node<'a>(
    v: &'a IssueView,
    by_id: &HashMap<&IssueId, &'a IssueView>,
    children: &BTreeMap<&IssueId, Vec<&'a IssueView>>,
    closed: bool,
    keep: bool,
    seen: &mut HashSet<&'a IssueId>,
) -> Option<Node> {
    if !seen.insert(&v.issue.id) {
        return None;
    }
    let kids = children.get(&v.issue.id).map(Vec::as_slice).unwrap_or(&[]);
    let progress = (!kids.is_empty()).then(|| Progress {
        done: kids.iter().filter(|k| k.issue.state == State::Done).count(),
        total: kids.len(),
    });
    let sub: Vec<Node> = kids
        .iter()
        .filter_map(|k| node(k, by_id, children, closed, false, seen))
        .collect();
    if !keep && !closed && v.issue.state.is_closed() && sub.is_empty() {
        return None;
    }
    let i = &v.issue;
    Some(Node {
        id: i.id.to_string(),
        short_id: v.short_id.clone(),
        title: i.title.clone(),
        state: i.state,
        kind: i.kind.clone(),
        blocked: v.blocked,
        progress,
        dependencies: i
            .dependencies
            .iter()
            .map(|d| DepRef {
                id: d.to_string(),
                short_id: d.short(),
                state: by_id.get(d).map(|x| x.issue.state),
            })
            .collect(),
        children: sub,
    })
}
