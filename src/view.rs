//! Derived views of issues: what every output adds to the stored fields.
//!
//! Invariant: `blocked`, `blocked_by` and `short_id` are computed on every read and never stored.
//! `linked_from` (the links other issues hold to this one) needs every issue, so it is filled
//! only where every issue is loaded anyway (`views_for`) or when asked for (`issue show --related`, which also fills a parent's `progress`).

use crate::error::Result;
use crate::model::{GateDef, GateStage, GateState, Issue, IssueId, LinkKind, State};
use crate::store::index::{Effective, Summaries, Summary};
use crate::store::ledger::Ledger;
use crate::store::{FileProblem, Store};
use schemars::JsonSchema;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// One reason an issue cannot move on.
#[derive(Debug, Clone, Serialize, PartialEq, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Blocker {
    /// A dependency that is not done (or is missing).
    Dependency {
        id: String,
        short_id: String,
        title: Option<String>,
        state: Option<State>,
    },
    /// A required gate that is not passed at the point where it applies.
    Gate {
        key: String,
        stage: Option<GateStage>,
        status: GateState,
    },
}

/// The little the view needs to know about a dependency.
#[derive(Debug, Clone)]
pub struct DepInfo {
    pub state: State,
    pub title: String,
}

/// What blocks `issue` now. `deps` answers for dependency ids (None: missing).
pub fn blockers(
    issue: &Issue,
    mut deps: impl FnMut(&IssueId) -> Option<DepInfo>,
    gates: &BTreeMap<String, GateDef>,
) -> Vec<Blocker> {
    if issue.state.is_closed() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for d in &issue.dependencies {
        let info = deps(d);
        if info.as_ref().is_some_and(|i| i.state == State::Done) {
            continue;
        }
        out.push(Blocker::Dependency {
            id: d.to_string(),
            short_id: d.short(),
            title: info.as_ref().map(|i| i.title.clone()),
            state: info.map(|i| i.state),
        });
    }
    for key in &issue.gates_required {
        let status = issue
            .gates_status
            .get(key)
            .map(|g| g.status)
            .unwrap_or(GateState::Pending);
        let stage = gates.get(key).map(|g| g.stage);
        if gate_blocks(issue.state, stage, status) {
            out.push(Blocker::Gate {
                key: key.clone(),
                stage,
                status,
            });
        }
    }
    out
}

pub use crate::rules::gate_blocks;

/// Whether a summarised issue is blocked: the rule of [`blockers`], answered from the summary
/// index (`all` gives the dependencies' states) without reading any issue file, with the claim
/// ledger applied to the issue and its dependencies.
pub fn summary_blocked(
    s: &Summary<'_>,
    all: &Summaries,
    gates: &BTreeMap<String, GateDef>,
    ledger: &Ledger,
) -> bool {
    use crate::rules::Facts;
    let state = Effective::of(*s, ledger).state();
    crate::rules::blocked(
        state,
        s.dependencies().map(|d| {
            all.get(d)
                .is_some_and(|x| Effective::of(x, ledger).state() == State::Done)
        }),
        s.gates()
            .map(|(key, status)| (gates.get(key).map(|g| g.stage), status)),
    )
}

/// Progress of a parent over its sub-tasks.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Default, JsonSchema)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// One end of a link between two issues: the kind and the other issue.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord, JsonSchema)]
pub struct LinkRef {
    pub kind: LinkKind,
    /// The other issue's full id.
    pub id: String,
    pub short_id: String,
}

impl LinkRef {
    /// A link end naming a known issue.
    pub fn new(kind: LinkKind, id: &IssueId) -> Self {
        LinkRef {
            kind,
            id: id.to_string(),
            short_id: id.short(),
        }
    }

    /// A link end from a stored target, which a hand edit may have made malformed.
    pub fn from_stored(kind: LinkKind, target: &str) -> Self {
        LinkRef {
            kind,
            id: target.to_string(),
            short_id: short_of_stored(target),
        }
    }
}

/// The short id of a stored id string; malformed text is returned as it is.
pub fn short_of_stored(id: &str) -> String {
    IssueId::parse(id)
        .map(|i| i.short())
        .unwrap_or_else(|_| id.to_string())
}

/// Incoming links by target id: for every link `A -kind-> B`, `B -> [(kind, A)]`, sorted.
pub fn incoming_links(issues: &[Issue]) -> HashMap<String, Vec<LinkRef>> {
    let mut by_target: HashMap<String, Vec<LinkRef>> = HashMap::new();
    for i in issues {
        for l in &i.links {
            by_target
                .entry(l.target.clone())
                .or_default()
                .push(LinkRef::new(l.kind, &i.id));
        }
    }
    for v in by_target.values_mut() {
        v.sort();
        v.dedup();
    }
    by_target
}

/// An issue as shown: every stored field plus the derived ones.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct IssueView {
    #[serde(flatten)]
    pub issue: Issue,
    /// The last 8 characters of the id, lower-cased: the handle people type.
    pub short_id: String,
    /// True when `blocked_by` is not empty.
    pub blocked: bool,
    /// What keeps the issue from moving on: unfinished dependencies, gates not passed.
    pub blocked_by: Vec<Blocker>,
    /// For a parent: how many of its sub-tasks are done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<Progress>,
    /// Links other issues hold to this one. Absent when not computed (`issue show` without
    /// `--links`) and, in lists, when there are none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linked_from: Option<Vec<LinkRef>>,
}

impl IssueView {
    /// Builds a view from an issue and its blockers.
    /// An open issue that has not started shows its derived state (`ready` exactly when every
    /// dependency is done), whatever a stale file says.
    pub fn new(mut issue: Issue, blocked_by: Vec<Blocker>) -> Self {
        let deps_done = !blocked_by
            .iter()
            .any(|b| matches!(b, Blocker::Dependency { .. }));
        issue.state = crate::rules::derived_state(issue.state, deps_done);
        IssueView {
            short_id: issue.short_id(),
            blocked: !blocked_by.is_empty(),
            blocked_by,
            issue,
            progress: None,
            linked_from: None,
        }
    }
}

/// Builds views for a set of issues loaded together (dependency states come from the set).
pub fn views_for(issues: Vec<Issue>, gates: &BTreeMap<String, GateDef>) -> Vec<IssueView> {
    let mut incoming = incoming_links(&issues);
    let by_id: HashMap<IssueId, DepInfo> = issues
        .iter()
        .map(|i| {
            (
                i.id.clone(),
                DepInfo {
                    state: i.state,
                    title: i.title.clone(),
                },
            )
        })
        .collect();
    let mut children: HashMap<IssueId, Progress> = HashMap::new();
    for i in &issues {
        if let Some(p) = &i.parent {
            let e = children.entry(p.clone()).or_default();
            e.total += 1;
            if i.state == State::Done {
                e.done += 1;
            }
        }
    }
    issues
        .into_iter()
        .map(|i| {
            let b = blockers(&i, |d| by_id.get(d).cloned(), gates);
            let progress = children.get(&i.id).copied();
            let linked_from = incoming.remove(i.id.as_str());
            let mut v = IssueView::new(i, b);
            v.progress = progress;
            v.linked_from = linked_from;
            v
        })
        .collect()
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

/// A reply about one issue: the issue object flattened at the top of the reply, with what the
/// command did beside it (`comment`, `item`, `pending_gates`, `changed`, ...). The one reply
/// rule of docs/cli.md, which the command line's `Reply::issue` checks: every key of the issue
/// is a key of the reply, with the same value.
pub trait OneIssue: serde::Serialize {
    /// The issue the reply is about.
    fn issue(&self) -> &IssueView;
}

impl OneIssue for IssueView {
    fn issue(&self) -> &IssueView {
        self
    }
}

/// Implements [`OneIssue`] for replies that hold the issue as `view`.
#[macro_export]
macro_rules! one_issue {
    ($($t:ty),+ $(,)?) => {
        $(impl $crate::view::OneIssue for $t {
            fn issue(&self) -> &$crate::view::IssueView {
                &self.view
            }
        })+
    };
}

/// Builds the view of one issue inside a transaction (reads its dependencies only).
pub fn view_in(tx: &mut crate::store::Tx<'_>, issue: Issue) -> crate::error::Result<IssueView> {
    let infos = dep_infos(tx, &issue)?;
    let gates = tx.gates()?.clone();
    let b = blockers(&issue, |d| infos.get(d).cloned().flatten(), &gates);
    Ok(IssueView::new(issue, b))
}

/// Loads what the view needs about each dependency of `issue`.
pub fn dep_infos(
    tx: &mut crate::store::Tx<'_>,
    issue: &Issue,
) -> crate::error::Result<BTreeMap<IssueId, Option<DepInfo>>> {
    let mut out = BTreeMap::new();
    for d in &issue.dependencies {
        let info = match tx.get(d) {
            Ok(i) => Some(DepInfo {
                state: i.state,
                title: i.title,
            }),
            Err(crate::error::Error::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        out.insert(d.clone(), info);
    }
    Ok(out)
}
