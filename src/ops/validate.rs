//! `jit validate`: finds what hand edits and git merges can break, and repairs what is safe.
//!
//! Invariants: without `fix` nothing is written and no lock is taken. With `fix`, every repair
//! runs in one transaction under the lock and is recorded as an event; repairs are limited to
//! derived or dangling data (states derived from dependencies, dangling references, missing
//! pending gate entries, torn event-log lines, leftover temp files). Everything else is reported.

use crate::error::Result;
use crate::model::{Actor, GateState, GateStatus, IssueId, State};
use crate::model::{Payload, payload};
use crate::progress::Progress;
use crate::store::{Store, Tx, events};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// What `validate --fix` records as the author of its repairs (`data.by`).
const FIX: &str = "validate --fix";

/// How bad a problem is: errors make `validate` exit non-zero.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// One finding.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    pub code: &'static str,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    pub message: String,
    pub fixable: bool,
    pub fixed: bool,
}

/// What `validate` reports.
#[derive(Debug, Serialize)]
pub struct Report {
    /// True when no error remains.
    pub ok: bool,
    pub issues_checked: usize,
    pub events_checked: usize,
    pub problems: Vec<Problem>,
    pub fixed: usize,
}

fn problem(
    code: &'static str,
    severity: Severity,
    id: Option<&IssueId>,
    message: String,
    fixable: bool,
) -> Problem {
    Problem {
        code,
        severity,
        id: id.map(|i| i.to_string()),
        path: None,
        message,
        fixable,
        fixed: false,
    }
}

/// Checks the store; with `fix`, repairs what is safe under the lock. A store with a symbolic
/// link where jit needs a real file (see [`crate::store::GUARDED`]) is reported, link by link,
/// and nothing else is read or written until they are replaced.
pub fn run(store: &Store, actor: &Actor, fix: bool, progress: &dyn Progress) -> Result<Report> {
    let links = store.links();
    if !links.is_empty() {
        let problems = links
            .into_iter()
            .map(|path| {
                let message = crate::store::link_refused(&path).to_string();
                Problem {
                    code: "symlink",
                    severity: Severity::Error,
                    id: None,
                    path: Some(path),
                    message,
                    fixable: false,
                    fixed: false,
                }
            })
            .collect();
        return Ok(Report {
            ok: false,
            issues_checked: 0,
            events_checked: 0,
            problems,
            fixed: 0,
        });
    }
    if fix {
        let set_aside = set_aside_unreadable_ledger(store)?;
        store
            .mutate(actor, |tx| {
                let mut report = check(store, progress)?;
                apply_fixes(tx, &mut report)?;
                Ok(report)
            })
            .map(|mut r| {
                r.problems.extend(set_aside);
                // Report what remains after the repairs, plus what was fixed.
                if let Ok(after) = check(store, progress) {
                    let fixed: Vec<Problem> = r.problems.drain(..).filter(|p| p.fixed).collect();
                    r.fixed = fixed.len();
                    r.problems = fixed.into_iter().chain(after.problems).collect();
                    r.issues_checked = after.issues_checked;
                    r.events_checked = after.events_checked;
                }
                r.ok = !r
                    .problems
                    .iter()
                    .any(|p| p.severity == Severity::Error && !p.fixed);
                r
            })
    } else {
        check(store, progress)
    }
}

/// Reads everything and lists the problems. Writes nothing.
pub fn check(store: &Store, progress: &dyn Progress) -> Result<Report> {
    let mut problems = Vec::new();
    let gates = match store.gates() {
        Ok(g) => g,
        Err(e) => {
            problems.push(Problem {
                code: e.code(),
                severity: Severity::Error,
                id: None,
                path: Some(store.dir().join("gates.json")),
                message: e.to_string(),
                fixable: false,
                fixed: false,
            });
            BTreeMap::new()
        }
    };
    // Leftover temp files from interrupted writes.
    if let Ok(rd) = std::fs::read_dir(store.issues_dir()) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') && name.ends_with(".tmp") {
                problems.push(Problem {
                    code: "temp_file",
                    severity: Severity::Warning,
                    id: None,
                    path: Some(e.path()),
                    message: "leftover temp file from an interrupted write".into(),
                    fixable: true,
                    fixed: false,
                });
            }
        }
    }
    // A checkout in the middle of a rebase or merge holds half of each side.
    if let Some(op) = crate::store::ledger::git_operation(store.root()) {
        let by_sync = crate::store::ledger::git_dir(store.root())
            .is_some_and(|d| d.join(crate::store::SYNC_MARKER).exists());
        problems.push(Problem {
            code: "git_in_progress",
            severity: Severity::Error,
            id: None,
            path: None,
            message: if by_sync {
                format!("the checkout is in the middle of a git {op} left by an interrupted `jit sync`: its files are half merged; run `jit sync` to recover it")
            } else {
                format!("the checkout is in the middle of a git {op}: its files are half merged; finish or abort it with git")
            },
            fixable: false,
            fixed: false,
        });
    }
    // A transaction that a process left half done (no writer holds the lock now).
    if store.transaction_pending()
        && crate::store::StoreLock::try_acquire(&store.dir().join("lock"))
            .ok()
            .flatten()
            .is_some()
    {
        problems.push(Problem {
            code: "interrupted_transaction",
            severity: Severity::Error,
            id: None,
            path: Some(store.dir().join("lock")),
            message: "a transaction was interrupted and could not be finished yet; the next jit command that can write the store finishes or undoes it (`jit validate --fix`)".into(),
            fixable: true,
            fixed: false,
        });
    }
    // Every issue file is read and checked on its own, a chunk at a time, and only what the
    // checks across issues need is kept (`Brief`): memory stays proportional to the
    // references, not to the text of the store.
    let (ids, file_problems) = store.list_ids()?;
    progress.start("reading issues", ids.len() as u64);
    let (ledger, unreadable_ledger) = store.ledger();
    let now = crate::clock::now()?;
    let mut briefs: Vec<Brief> = Vec::with_capacity(ids.len());
    let mut more_file_problems = Vec::new();
    for part in ids.chunks(CHUNK) {
        let (issues, unreadable) = store.load_many(part, progress);
        more_file_problems.extend(unreadable);
        for i in issues {
            problems.extend(issue_problems(
                store,
                &i,
                &gates,
                &ledger,
                unreadable_ledger.is_some(),
                now,
            ));
            briefs.push(Brief::of(i));
        }
    }
    progress.finish();
    drop(ids);
    if let Some(fp) = unreadable_ledger
        && store.ledger_dir().is_some()
    {
        problems.push(Problem {
            code: "ledger_corrupt",
            severity: Severity::Error,
            id: None,
            path: Some(fp.path),
            message: format!(
                "{}; `jit validate --fix` sets it aside and rebuilds it from the issue files",
                fp.message
            ),
            fixable: true,
            fixed: false,
        });
    }
    for fp in file_problems.into_iter().chain(more_file_problems) {
        let is_dir = fp.path.is_dir();
        problems.push(Problem {
            code: if is_dir { "stray_file" } else { fp.code },
            severity: Severity::Error,
            id: None,
            path: Some(fp.path.clone()),
            message: if is_dir {
                "a directory in .jit/issues/; only issue files belong there".into()
            } else {
                fp.message
            },
            fixable: false,
            fixed: false,
        });
    }
    // The log is streamed: only the ids are kept, to count distinct events.
    let mut ids: Vec<u128> = Vec::new();
    let mut odd: std::collections::HashSet<String> = Default::default();
    let scanned = events::scan(&store.events_path(), |e| {
        match ulid::Ulid::from_string(&e.id) {
            Ok(u) => ids.push(u.0),
            Err(_) => {
                odd.insert(e.id);
            }
        }
        std::ops::ControlFlow::Continue(())
    })?;
    ids.sort_unstable();
    ids.dedup();
    let events_checked = ids.len() + odd.len();
    drop(ids);
    let bad = scanned.bad;
    for b in &bad {
        problems.push(Problem {
            code: if b.torn { "torn_event" } else { "bad_event" },
            severity: Severity::Error,
            id: None,
            path: Some(store.events_path()),
            message: format!("line {}: {}", b.line, b.message),
            fixable: true,
            fixed: false,
        });
    }
    let issues = &briefs;
    // Positions by id, shared by every check below and the cycle search (no id is cloned).
    let pos: HashMap<&IssueId, usize> =
        issues.iter().enumerate().map(|(k, i)| (&i.id, k)).collect();
    let by_id = |id: &IssueId| pos.get(id).map(|&k| &issues[k]);
    // A short id is the id's last characters: count issues per suffix without allocating.
    let mut shorts: HashMap<&str, (usize, &IssueId)> = HashMap::new();
    for i in issues {
        let s = &i.id.as_str()[crate::model::id::ULID_LEN - crate::model::id::SHORT_LEN..];
        shorts.entry(s).or_insert((0, &i.id)).0 += 1;
    }
    let mut shared: Vec<_> = shorts.into_values().filter(|(n, _)| *n > 1).collect();
    shared.sort_by_key(|(_, id)| *id);
    for (n, first) in shared {
        problems.push(problem(
            "duplicate_short_id",
            Severity::Error,
            Some(first),
            format!("short id `{}` is shared by {n} issues", first.short()),
            false,
        ));
    }
    for i in issues {
        for d in &i.dependencies {
            if d != &i.id && !pos.contains_key(d) {
                problems.push(problem(
                    "dangling_dependency",
                    Severity::Error,
                    Some(&i.id),
                    format!(
                        "`{}` depends on `{}`, which does not exist",
                        i.id.short(),
                        d.short()
                    ),
                    true,
                ));
            }
        }
        for l in &i.links {
            let exists = IssueId::parse(&l.target).is_ok_and(|t| pos.contains_key(&t));
            if !exists {
                problems.push(problem(
                    "dangling_link",
                    Severity::Warning,
                    Some(&i.id),
                    format!(
                        "`{}` {} `{}`, which does not exist",
                        i.id.short(),
                        l.kind,
                        l.target
                    ),
                    true,
                ));
            }
        }
        if let Some(p) = &i.parent
            && !pos.contains_key(p)
        {
            problems.push(problem(
                "dangling_parent",
                Severity::Error,
                Some(&i.id),
                format!(
                    "`{}` names parent `{}`, which does not exist",
                    i.id.short(),
                    p.short()
                ),
                true,
            ));
        }
        let deps_done = i
            .dependencies
            .iter()
            .filter(|d| *d != &i.id)
            .all(|d| by_id(d).is_some_and(|x| x.state == State::Done));
        let real_deps_done = i
            .dependencies
            .iter()
            .filter_map(|d| (d != &i.id).then(|| by_id(d)).flatten())
            .all(|x| x.state == State::Done);
        match i.state {
            State::Backlog if real_deps_done => problems.push(problem(
                "state_mismatch",
                Severity::Error,
                Some(&i.id),
                format!(
                    "`{}` is backlog but every dependency is done: it should be ready",
                    i.id.short()
                ),
                true,
            )),
            State::Ready if !real_deps_done => problems.push(problem(
                "state_mismatch",
                Severity::Error,
                Some(&i.id),
                format!(
                    "`{}` is ready but a dependency is not done: it should be backlog",
                    i.id.short()
                ),
                true,
            )),
            State::InProgress | State::Gated | State::Done if !deps_done => problems.push(problem(
                "unfinished_dependencies",
                Severity::Warning,
                Some(&i.id),
                format!(
                    "`{}` is {} while a dependency is not done",
                    i.id.short(),
                    i.state
                ),
                false,
            )),
            _ => {}
        }
    }
    for cycle in cycles(issues, &pos) {
        let path: Vec<String> = cycle.iter().map(|i| i.short()).collect();
        problems.push(problem(
            "cycle",
            Severity::Error,
            cycle.first(),
            format!(
                "dependency cycle among {}; remove one edge with `jit dep rm`",
                path.join(", ")
            ),
            false,
        ));
    }
    problems.sort_by(|a, b| a.id.cmp(&b.id).then(a.code.cmp(b.code)));
    let ok = !problems.iter().any(|p| p.severity == Severity::Error);
    Ok(Report {
        ok,
        issues_checked: issues.len(),
        events_checked,
        problems,
        fixed: 0,
    })
}

/// Issue files read at a time.
const CHUNK: usize = 1024;

/// What the checks across issues need of one issue.
struct Brief {
    id: IssueId,
    state: State,
    dependencies: Vec<IssueId>,
    parent: Option<IssueId>,
    links: Vec<crate::model::Link>,
}

impl Brief {
    fn of(i: crate::model::Issue) -> Self {
        Brief {
            id: i.id,
            state: i.state,
            dependencies: i.dependencies,
            parent: i.parent,
            links: i.links,
        }
    }
}

/// States that contradict an issue's claim, as a merge can leave them: work not started
/// (`backlog`, `ready`) that someone holds a live lease on, finished work that still carries a
/// lease, a lease held by someone other than the assignee.
fn claim_contradictions(i: &crate::model::Issue, now_ms: i64) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(lease) = &i.lease else {
        return out;
    };
    let live = !crate::rules::lease_expired(crate::rules::Facts::lease_expires_ms(i), now_ms);
    match i.state {
        State::Backlog | State::Ready if live => out.push(problem(
            "lease_on_unstarted",
            Severity::Error,
            Some(&i.id),
            format!(
                "`{}` is {} but `{}` holds a live lease on it{}: a merge kept a derived state over the claim. Its holder continues with `jit issue update {} --state in_progress`, or gives it back with `jit issue release {}`",
                i.short_id(),
                i.state,
                lease.holder,
                lease.expires_at.map(|e| format!(" (until {e})")).unwrap_or_default(),
                i.short_id(),
                i.short_id(),
            ),
            false,
        )),
        State::Done | State::Archived => out.push(problem(
            "lease_on_closed",
            Severity::Warning,
            Some(&i.id),
            format!(
                "`{}` is {} but still carries `{}`'s lease; finished work holds no claim, and `jit validate --fix` drops it",
                i.short_id(),
                i.state,
                lease.holder
            ),
            true,
        )),
        _ => {}
    }
    if i.assignee.as_deref() != Some(lease.holder.as_str()) && !i.state.is_closed() {
        out.push(problem(
            "lease_holder_mismatch",
            Severity::Error,
            Some(&i.id),
            format!(
                "`{}` is assigned to `{}` but its lease is held by `{}`: a merge combined two claims; release it and claim it again",
                i.short_id(),
                i.assignee.as_deref().unwrap_or("nobody"),
                lease.holder
            ),
            false,
        ));
    }
    out
}

/// The dependency cycles among the briefs (ids sorted within each cycle).
fn cycles(issues: &[Brief], pos: &HashMap<&IssueId, usize>) -> Vec<Vec<IssueId>> {
    use petgraph::graph::{DiGraph, NodeIndex};
    let edges: usize = issues.iter().map(|i| i.dependencies.len()).sum();
    let mut g: DiGraph<(), ()> = DiGraph::with_capacity(issues.len(), edges);
    for _ in issues {
        g.add_node(());
    }
    for (k, i) in issues.iter().enumerate() {
        for d in &i.dependencies {
            if let Some(&to) = pos.get(d) {
                g.add_edge(NodeIndex::new(k), NodeIndex::new(to), ());
            }
        }
    }
    crate::graph::sorted_cycles(&g, |n| issues[n.index()].id.clone())
}

/// The problems of one issue that need nothing but the issue (and, for the claim ledger, its
/// raw file): self-dependencies, gates, states that contradict the gates, the ledger.
fn issue_problems(
    store: &Store,
    i: &crate::model::Issue,
    gates: &BTreeMap<String, crate::model::GateDef>,
    ledger: &crate::store::ledger::Ledger,
    ledger_unreadable: bool,
    now: crate::model::Timestamp,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    for d in &i.dependencies {
        if d == &i.id {
            problems.push(problem(
                "self_dependency",
                Severity::Error,
                Some(&i.id),
                format!("`{}` depends on itself", i.short_id()),
                true,
            ));
        }
    }
    for k in &i.gates_required {
        if !gates.contains_key(k) {
            problems.push(problem("unknown_gate", Severity::Error, Some(&i.id), format!("`{}` requires gate `{k}`, which is not in gates.json; define it with `jit gate define`", i.short_id()), false));
        }
        if !i.gates_status.contains_key(k) {
            problems.push(problem(
                "missing_gate_status",
                Severity::Warning,
                Some(&i.id),
                format!(
                    "`{}` requires gate `{k}` but has no status for it",
                    i.short_id()
                ),
                true,
            ));
        }
    }
    let unpassed = i.unpassed_gates();
    if i.state == State::Done && !unpassed.is_empty() {
        problems.push(problem(
            "gates_not_passed",
            Severity::Error,
            Some(&i.id),
            format!(
                "`{}` is done but gates are not passed: {}",
                i.short_id(),
                unpassed.join(", ")
            ),
            false,
        ));
    }
    if i.state == State::Gated && unpassed.is_empty() {
        problems.push(problem(
            "state_mismatch",
            Severity::Error,
            Some(&i.id),
            format!(
                "`{}` is gated but every gate has passed: it should be done",
                i.short_id()
            ),
            true,
        ));
    }
    problems.extend(claim_contradictions(i, now.millis()));
    // Leases no right clock writes.
    if !i.state.is_closed() && crate::ops::claims::lease_in_future(i, now) {
        let l = i.lease.as_ref().map(|l| (l.acquired_at, l.expires_at));
        problems.push(problem(
            "lease_in_future",
            Severity::Warning,
            Some(&i.id),
            format!(
                "`{}` is held by `{}` under a lease dated in the future (from {}, until {}): a clock far ahead, or a lease an older jit overflowed; it blocks the issue until then. jit never ends a claim because of a clock; if nobody works on it, a human ends it with `jit issue release {} --force`",
                i.short_id(),
                i.assignee.as_deref().unwrap_or("?"),
                l.map(|l| l.0.to_string()).unwrap_or_default(),
                l.and_then(|l| l.1).map(|e| e.to_string()).unwrap_or_else(|| "-".into()),
                i.short_id(),
            ),
            false,
        ));
    }
    if store.ledger_dir().is_some() && !ledger_unreadable {
        problems.extend(ledger_problem(store, i, ledger, now));
    }
    problems
}

/// What the repository's claim ledger and this worktree's file of one issue disagree on.
/// Issues are read with the ledger applied, so an entry that overrides a file is found by
/// reading that file raw.
fn ledger_problem(
    store: &Store,
    i: &crate::model::Issue,
    ledger: &crate::store::ledger::Ledger,
    now: crate::model::Timestamp,
) -> Option<Problem> {
    match ledger.get(i.id.as_str()) {
        Some(_) => {
            let raw = store.load_raw(&i.id).ok()?;
            (raw != *i).then(|| problem(
                "ledger_ahead",
                Severity::Warning,
                Some(&i.id),
                format!(
                    "the claim ledger holds a later claim of `{}` than its file ({}, {}; the file says {}, {}): made in another worktree or clone, or the file was not written after it; every command already follows the ledger, and `jit validate --fix` writes it into the file",
                    i.short_id(),
                    i.state,
                    i.assignee.as_deref().unwrap_or("unassigned"),
                    raw.state,
                    raw.assignee.as_deref().unwrap_or("unassigned"),
                ),
                true,
            ))
        }
        None => (crate::rules::held(i, now.millis()) && i.lease.is_some()).then(|| {
            problem(
                "ledger_missing",
                Severity::Warning,
                Some(&i.id),
                format!(
                    "`{}` is claimed by `{}` in its file but the claim ledger does not know it, so other worktrees of this repository do not see the claim; `jit validate --fix` records it",
                    i.short_id(),
                    i.assignee.as_deref().unwrap_or("?")
                ),
                true,
            )
        }),
    }
}

/// Moves an unreadable claim ledger aside (`claims.json.unreadable-<time>`), so the repair that
/// follows starts from an empty one and rebuilds it from the files.
fn set_aside_unreadable_ledger(store: &Store) -> Result<Vec<Problem>> {
    let Some(dir) = store.ledger_dir() else {
        return Ok(Vec::new());
    };
    let _lock = crate::store::ledger::lock(dir)?;
    let path = dir.join(crate::store::ledger::FILE);
    let Err(e) = crate::store::ledger::read(dir) else {
        return Ok(Vec::new());
    };
    let aside = dir.join(format!(
        "{}.unreadable-{}",
        crate::store::ledger::FILE,
        crate::clock::system_millis()
    ));
    std::fs::rename(&path, &aside).map_err(|err| {
        crate::error::Error::io(format!("moving `{}` aside", path.display()), err)
    })?;
    store.set_ledger(std::sync::Arc::new(crate::store::ledger::read(dir)?));
    Ok(vec![Problem {
        code: "ledger_corrupt",
        severity: Severity::Error,
        id: None,
        path: Some(path),
        message: format!(
            "{e}; moved to `{}` and rebuilt from the issue files",
            aside.display()
        ),
        fixable: true,
        fixed: true,
    }])
}

fn apply_fixes(tx: &mut Tx<'_>, report: &mut Report) -> Result<()> {
    for p in report.problems.iter_mut().filter(|p| p.fixable) {
        match p.code {
            "temp_file" => {
                if let Some(path) = &p.path {
                    p.fixed = std::fs::remove_file(path).is_ok();
                }
            }
            "torn_event" | "bad_event" => {
                events::repair(&tx.store().events_path())?;
                p.fixed = true;
            }
            _ => {}
        }
    }
    // The claim ledger and the files: files catch up with the ledger; live claims only a file
    // holds go into the ledger.
    for p in report.problems.iter_mut() {
        let Some(id) = p.id.as_deref().and_then(|i| IssueId::parse(i).ok()) else {
            continue;
        };
        match p.code {
            "ledger_ahead" => {
                if tx.rewrite_from_ledger(&id)? {
                    // The file catches up with the claim the ledger holds: recorded against
                    // what the file said.
                    let file = tx.store().load_raw(&id)?;
                    let after = tx.get(&id)?;
                    let repaired = payload::Repaired {
                        by: FIX.into(),
                        from: Some("claim ledger".into()),
                    };
                    tx.record(Some(&file), &after, Payload::IssueRepaired(repaired))?;
                }
                p.fixed = true;
            }
            "ledger_missing" => {
                let issue = tx.get(&id)?;
                let (now, by) = (tx.now, tx.actor.to_string());
                tx.ledger_mut().record(&issue, now, &by, None);
                p.fixed = true;
            }
            _ => {}
        }
    }
    let (issues, _) = tx.store().load_all()?;
    let existing: std::collections::HashSet<IssueId> =
        issues.iter().map(|i| i.id.clone()).collect();
    // Reference repairs.
    for i in &issues {
        let before = tx.get(&i.id)?;
        let mut after = before.clone();
        after
            .dependencies
            .retain(|d| d != &i.id && existing.contains(d));
        if after.parent.as_ref().is_some_and(|p| !existing.contains(p)) {
            after.parent = None;
        }
        after
            .links
            .retain(|l| IssueId::parse(&l.target).is_ok_and(|t| existing.contains(&t)));
        for k in &before.gates_required {
            after
                .gates_status
                .entry(k.clone())
                .or_insert_with(GateStatus::pending);
        }
        if after.state.is_closed() {
            after.lease = None; // finished work holds no claim
        }
        if after != before {
            let repaired = payload::Repaired {
                by: FIX.into(),
                from: None,
            };
            tx.edit(&before, after, Payload::IssueRepaired(repaired))?;
        }
    }
    // Derived states, to a fixpoint (finishing a gated issue can make others ready).
    let ids: Vec<IssueId> = issues.iter().map(|i| i.id.clone()).collect();
    for _ in 0..ids.len().max(1) {
        let mut changed = false;
        for id in &ids {
            let before = tx.get(id)?;
            let mut after = before.clone();
            if after.state == State::Gated && after.unpassed_gates().is_empty() {
                after.state = State::Done;
            }
            crate::workflow::rederive(tx, &mut after)?;
            if after.state != before.state {
                let rederived = payload::Updated {
                    by: Some(FIX.into()),
                    ..Default::default()
                };
                tx.edit_derived(&before, after, Payload::IssueStateChanged(rederived))?;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    for p in report.problems.iter_mut() {
        if matches!(
            p.code,
            "dangling_dependency"
                | "self_dependency"
                | "dangling_parent"
                | "dangling_link"
                | "missing_gate_status"
                | "state_mismatch"
                | "lease_on_closed"
                | "interrupted_transaction"
        ) {
            p.fixed = true;
        }
    }
    let _ = GateState::Pending;
    Ok(())
}
