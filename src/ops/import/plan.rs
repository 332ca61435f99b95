//! The shared core of every import: match records to existing issues by (source, source id),
//! map types against the configured ones, resolve references to jit ids in one pass, decide
//! states, validate the resulting graph, and stage it all in one transaction.
//!
//! Invariants:
//! - [`plan`] is pure: it reads a [`Snapshot`] and the parsed records and decides everything
//!   (a dry run stops there). [`apply`] only stages what the plan decided.
//! - An issue whose planned content equals what is stored is not staged: an unchanged
//!   re-import writes no file and appends no event.
//! - The import owns, on the issues it imported: title, description, labels, milestone, type,
//!   the provenance keys and its `<source>_` context keys, the checklist items and comments it
//!   created (ids starting `imp-`), the gates it placed (`context.source_gates`), and the
//!   dependencies, links and parent that point at issues of the same source. Everything else
//!   added in jit survives a re-import.

use super::record::{
    Duplicate, FieldNote, IMPORTED_ITEM_PREFIX, Ignored, Parsed, Place, Record, RefKind, RefNote,
    RowError, Skipped, ValueNote, Want, imported_item_id,
};
use super::{HELD_GATE, SOURCE, SOURCE_GATES, SOURCE_ID, SOURCE_PATH, SOURCE_URL, Source};
use crate::error::{Error, Result};
use crate::model::{
    Actor, ChecklistItem, Comment, Config, GateDef, GateStage, GateStatus, Issue, IssueId, Link,
    State, Timestamp, limits, validate_name, validate_text, validate_title,
};
use crate::model::{EventKind, Payload, payload};
use crate::progress::Progress;
use crate::store::{Store, Tx};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How the planner treats a source.
#[derive(Debug, Clone)]
pub struct Options {
    pub source: Source,
    pub map_type: Vec<(String, String)>,
}

/// What the store holds, read once (under the lock for a real import).
pub struct Snapshot {
    pub config: Config,
    pub gates: BTreeMap<String, GateDef>,
    pub issues: Vec<Issue>,
}

impl Snapshot {
    /// Reads config, gates and every issue; an unreadable issue file refuses the import (its
    /// provenance could not be matched).
    pub fn read(store: &Store) -> Result<Snapshot> {
        let config = store.config()?;
        let gates = store.gates()?;
        let (issues, problems) = store.load_all()?;
        if let Some(p) = problems.first() {
            return Err(Error::CorruptFile {
                path: p.path.clone(),
                message: format!(
                    "{}; an import needs every issue file readable to match issues it imported before (run `jit validate`)",
                    p.message
                ),
            });
        }
        Ok(Snapshot {
            config,
            gates,
            issues,
        })
    }
}

/// Why a plan failed.
#[derive(Debug)]
pub enum PlanError {
    Store(Error),
    Rows(Vec<RowError>),
    /// Dependency cycles, each as source ids (or short ids of issues not in the import).
    Cycles(Vec<Vec<String>>),
}

impl From<Error> for PlanError {
    fn from(e: Error) -> Self {
        PlanError::Store(e)
    }
}

/// One imported issue in the report.
#[derive(Debug, Clone, Serialize)]
pub struct IssueLine {
    pub source_id: String,
    pub id: String,
    pub short_id: String,
    /// `create`, `update`, `unchanged` or `archive` (a tombstone archived an issue imported
    /// before).
    pub action: &'static str,
    pub title: String,
    pub state: State,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A source type and the jit type it became.
#[derive(Debug, Clone, Serialize)]
pub struct TypeNote {
    pub from: String,
    pub to: String,
    pub count: usize,
    /// True when the type was added to `config.json`.
    pub added: bool,
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub source: &'static str,
    pub dry_run: bool,
    /// Full ids, in input order.
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    /// Issues not in the import whose derived `ready`/`backlog` state changed with it.
    pub cascaded: Vec<String>,
    pub issues: Vec<IssueLine>,
    pub skipped: Vec<Skipped>,
    pub duplicates: Vec<Duplicate>,
    pub references: Vec<RefNote>,
    /// Every source field seen: mapped, kept (context key) or dropped (and why).
    pub fields: Vec<FieldNote>,
    pub states: Vec<ValueNote>,
    pub priorities: Vec<ValueNote>,
    pub types: Vec<TypeNote>,
    pub types_added: Vec<String>,
    pub gates_defined: Vec<String>,
    /// Source gates already defined here differently: the local definition was kept.
    pub gates_kept: Vec<String>,
    pub ignored_files: Vec<Ignored>,
    pub remarks: Vec<String>,
}

/// Everything to stage.
pub struct Plan {
    pub report: ImportReport,
    creates: Vec<Issue>,
    /// (before, after, event kind).
    updates: Vec<(Issue, Issue, crate::model::EventKind)>,
    config: Option<Config>,
    gates: Option<BTreeMap<String, GateDef>>,
    gate_events: Vec<(String, GateDef)>,
}

fn row_error(rec: &Record, field: &str, msg: impl Into<String>) -> RowError {
    let mut e = RowError::at(&rec.place, field, msg);
    if !rec.source_id.is_empty() {
        e.source_id = Some(rec.source_id.clone());
    }
    e
}

/// Problems every record can be checked for on its own (a title), so a refusal names them
/// together with the parser's.
pub fn record_errors(parsed: &Parsed) -> Vec<RowError> {
    parsed
        .records
        .iter()
        .filter(|r| r.deleted.is_none())
        .filter_map(|r| {
            validate_title(&r.title)
                .err()
                .map(|e| row_error(r, "title", super::convert::message(e)))
        })
        .collect()
}

/// A type name as jit stores it: lower case, whitespace as `-`.
fn normalize_type(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
        .to_lowercase()
}

fn valid_type(t: &str) -> bool {
    t.len() <= 64
        && t.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && t.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

/// A source's names for jit's own types.
fn synonym(source: Source, t: &str) -> Option<&'static str> {
    match (source, t) {
        (Source::Beads, "enhancement" | "feat") => Some("feature"),
        (Source::Jira, "new-feature") => Some("feature"),
        (Source::Jira, "sub-task" | "subtask") => Some("task"),
        (Source::Backlog, "enhancement") => Some("improvement"),
        _ => None,
    }
}

struct Types<'a> {
    opts: &'a Options,
    config: Config,
    added: Vec<String>,
    notes: BTreeMap<(String, String), (usize, bool)>,
}

impl Types<'_> {
    fn map(&mut self, raw: &str) -> std::result::Result<String, String> {
        let norm = normalize_type(raw);
        let mapped = self
            .opts
            .map_type
            .iter()
            .find(|(a, _)| a.trim().eq_ignore_ascii_case(raw.trim()) || normalize_type(a) == norm)
            .map(|(_, b)| normalize_type(b));
        let to = mapped.unwrap_or_else(|| {
            synonym(self.opts.source, &norm)
                .map(str::to_string)
                .unwrap_or(norm)
        });
        if !valid_type(&to) {
            return Err(format!(
                "type `{}` cannot be a jit type (lower-case letters, digits, `-`, `_`, `.`; starting with a letter); map it with `--map-type \"{}=TYPE\"`",
                raw.escape_debug(),
                raw.trim()
            ));
        }
        let mut added = false;
        if !self.config.types.contains(&to) {
            self.config.types.push(to.clone());
            self.added.push(to.clone());
            added = true;
        } else if self.added.contains(&to) {
            added = true;
        }
        let e = self
            .notes
            .entry((raw.trim().to_string(), to.clone()))
            .or_insert((0, added));
        e.0 += 1;
        Ok(to)
    }
}

/// Decides everything an import will do.
pub fn plan(
    snap: &Snapshot,
    parsed: &Parsed,
    opts: &Options,
    now: Timestamp,
    actor: &Actor,
) -> std::result::Result<Plan, PlanError> {
    let source = opts.source;
    let src = source.as_str();
    let mut errors: Vec<RowError> = Vec::new();
    let mut report = ImportReport {
        source: src,
        fields: parsed.notes.fields(),
        states: parsed.notes.states(),
        priorities: parsed.notes.priorities(),
        skipped: parsed.notes.skipped.clone(),
        duplicates: parsed.notes.duplicates.clone(),
        ignored_files: parsed.notes.ignored.clone(),
        remarks: parsed.notes.remarks.clone(),
        references: parsed.notes.references.clone(),
        ..ImportReport::default()
    };

    // Existing issues of this source, by source id (GitHub also adopts issues a jit before
    // source ids imported: `context.github_number` and maybe `github_url`).
    let mut by_source_id: HashMap<String, usize> = HashMap::new();
    let mut legacy: HashMap<(Option<String>, u64), usize> = HashMap::new();
    let mut order: Vec<usize> = (0..snap.issues.len()).collect();
    order.sort_by(|a, b| snap.issues[*a].id.cmp(&snap.issues[*b].id));
    for k in order {
        let i = &snap.issues[k];
        match i.context.get(SOURCE) {
            Some(s) if s == src => {
                if let Some(sid) = i.context.get(SOURCE_ID) {
                    by_source_id.entry(sid.clone()).or_insert(k);
                }
            }
            None if source == Source::Github => {
                if let Some(n) = i
                    .context
                    .get(super::github::NUMBER)
                    .and_then(|v| v.trim().parse::<u64>().ok())
                {
                    let repo = i
                        .context
                        .get(super::github::URL)
                        .and_then(|u| super::github::repo_of_url(u));
                    legacy.entry((repo, n)).or_insert(k);
                }
            }
            _ => {}
        }
    }
    // How many rows of this import carry each GitHub number (a legacy issue known only by its
    // number is adopted by the one row with that number).
    let mut rows_with: HashMap<u64, usize> = HashMap::new();
    if source == Source::Github {
        for r in &parsed.records {
            if let (_, Some(n)) = super::github::split_id(&r.source_id) {
                *rows_with.entry(n).or_default() += 1;
            }
        }
    }

    // Duplicate ids the parser let through are an error (exports have none).
    let mut seen: HashMap<&str, &Place> = HashMap::new();
    for r in &parsed.records {
        if r.source_id.is_empty() {
            continue;
        }
        if let Some(first) = seen.insert(r.source_id.as_str(), &r.place) {
            errors.push(row_error(
                r,
                "id",
                format!("`{}` also appears at {first}", r.source_id),
            ));
        }
    }

    let mut types = Types {
        opts,
        config: snap.config.clone(),
        added: Vec::new(),
        notes: BTreeMap::new(),
    };
    let mut shorts: HashSet<String> = snap.issues.iter().map(|i| i.id.short()).collect();

    // Pass 1: ids. A record matches an existing issue or gets a fresh id.
    let mut matched: Vec<Option<usize>> = Vec::with_capacity(parsed.records.len());
    let mut ids: Vec<IssueId> = Vec::with_capacity(parsed.records.len());
    let mut id_of: HashMap<&str, IssueId> = HashMap::new();
    let mut adopted: HashSet<usize> = HashSet::new();
    // The source id a matched issue keeps (a GitHub row that names no repository keeps the
    // repository the issue was imported with).
    let mut sid_of: Vec<String> = Vec::with_capacity(parsed.records.len());
    // GitHub issues imported here, by number.
    let mut by_number: HashMap<u64, Vec<usize>> = HashMap::new();
    if source == Source::Github {
        for (sid, k) in &by_source_id {
            if let (_, Some(n)) = super::github::split_id(sid) {
                by_number.entry(n).or_default().push(*k);
            }
        }
    }
    for r in &parsed.records {
        let mut sid = r.source_id.clone();
        let mut m = (!r.source_id.is_empty())
            .then(|| by_source_id.get(&r.source_id).copied())
            .flatten();
        if m.is_none() && source == Source::Github {
            let (repo, n) = super::github::split_id(&r.source_id);
            if let Some(n) = n {
                match &repo {
                    // Imported before without a repository: adopt it.
                    Some(_) => m = by_source_id.get(&format!("#{n}")).copied(),
                    // No repository in this row: the one issue with this number, if one.
                    None => match by_number.get(&n).map(Vec::as_slice) {
                        Some([k]) => {
                            m = Some(*k);
                            sid = snap.issues[*k].context[SOURCE_ID].clone();
                        }
                        Some(several) if several.len() > 1 => errors.push(row_error(
                            r,
                            "url",
                            format!(
                                "names no repository, and issue #{n} was imported here from {} repositories; pass `--repo OWNER/NAME`",
                                several.len()
                            ),
                        )),
                        _ => {}
                    },
                }
                if m.is_none() {
                    m = legacy.get(&(repo.clone(), n)).copied().or_else(|| {
                        (repo.is_none() || rows_with.get(&n) == Some(&1))
                            .then(|| legacy.get(&(None, n)).copied())
                            .flatten()
                    });
                }
                if let Some(k) = m
                    && !adopted.insert(k)
                {
                    m = None; // one issue is matched by one row only
                }
            }
        }
        let id = match m {
            Some(k) => snap.issues[k].id.clone(),
            None => fresh_id(&mut shorts, r.created_at.unwrap_or(now))?,
        };
        if !r.source_id.is_empty() {
            id_of.insert(r.source_id.as_str(), id.clone());
        }
        matched.push(m);
        ids.push(id);
        sid_of.push(sid);
    }
    // Issues of this source, by jit id: references to them are the import's to own.
    let mut source_ids: HashSet<IssueId> = by_source_id
        .values()
        .map(|k| snap.issues[*k].id.clone())
        .collect();
    source_ids.extend(ids.iter().cloned());
    let deleted: HashSet<&str> = parsed
        .records
        .iter()
        .filter(|r| r.deleted.is_some())
        .map(|r| r.source_id.as_str())
        .chain(parsed.notes.skipped.iter().map(|s| s.source_id.as_str()))
        .collect();
    let resolve = |t: &str| -> Option<IssueId> {
        if deleted.contains(t) {
            return None;
        }
        id_of
            .get(t)
            .cloned()
            .or_else(|| by_source_id.get(t).map(|k| snap.issues[*k].id.clone()))
    };

    // Pass 2: build every issue.
    let mut finals: Vec<Option<Issue>> = Vec::with_capacity(parsed.records.len());
    let mut wants: Vec<Option<Want>> = Vec::with_capacity(parsed.records.len());
    let mut gates = snap.gates.clone();
    let mut gates_changed = false;
    let mut gate_events = Vec::new();
    // Gates the source defines (just-in-time).
    for def in parsed.notes.gate_defs.iter().cloned() {
        match gates.get(&def.key) {
            None => {
                gates.insert(def.key.clone(), def.clone());
                gates_changed = true;
                report.gates_defined.push(def.key.clone());
                gate_events.push((def.key.clone(), def));
            }
            Some(existing) if same_gate(existing, &def) => {}
            Some(_) => report.gates_kept.push(def.key.clone()),
        }
    }
    for (k, r) in parsed.records.iter().enumerate() {
        let before = matched[k].map(|m| &snap.issues[m]);
        if r.deleted.is_some() {
            // A tombstone: archive what was imported from it before; otherwise it is skipped.
            match before {
                Some(b) if b.state != State::Archived => {
                    let mut after = b.clone();
                    after.state = State::Archived;
                    finals.push(Some(after));
                }
                Some(b) => finals.push(Some(b.clone())),
                None => finals.push(None),
            }
            wants.push(Some(Want::Archived));
            continue;
        }
        let errs_before = errors.len();
        let title = match validate_title(&r.title) {
            Ok(t) => t,
            Err(e) => {
                errors.push(row_error(r, "title", super::convert::message(e)));
                String::new()
            }
        };
        let mut issue = match before {
            Some(b) => b.clone(),
            None => {
                let mut i = Issue::new(ids[k].clone(), title.clone(), r.created_at.unwrap_or(now));
                i.priority = snap.config.default_priority;
                i.reporter = Some(actor.to_string());
                i
            }
        };
        issue.title = title;
        match validate_text("description", &r.description) {
            Ok(d) => issue.description = d,
            Err(e) => errors.push(row_error(r, "description", super::convert::message(e))),
        }
        if let Some(p) = r.priority {
            issue.priority = p;
        }
        match &r.kind {
            Some(raw) => match types.map(raw) {
                Ok(t) => issue.kind = t,
                Err(m) => errors.push(row_error(r, "type", m)),
            },
            None if before.is_none() => issue.kind = "task".into(),
            None => {}
        }
        issue.labels.clear();
        for l in &r.labels {
            match validate_name("label", l) {
                Ok(l) => issue.labels.push(l),
                Err(e) => errors.push(row_error(r, "labels", super::convert::message(e))),
            }
        }
        issue.milestone = None;
        if let Some(m) = &r.milestone {
            match validate_name("milestone", m) {
                Ok(m) => issue.milestone = Some(m),
                Err(e) => errors.push(row_error(r, "milestone", super::convert::message(e))),
            }
        }
        if r.assignee.is_some() {
            issue.assignee = r.assignee.clone();
        }
        if r.reporter.is_some() {
            issue.reporter = r.reporter.clone();
        }
        if r.due.is_some() {
            issue.due = r.due.clone();
        }
        if r.estimate.is_some() {
            issue.estimate = r.estimate;
        }
        if let Some(t) = r.created_at {
            issue.created_at = t;
        }
        // Context: the import's keys are replaced, the rest kept.
        let prefix = format!("{}_", source.prefix());
        let provenance_keys = [SOURCE, SOURCE_ID, SOURCE_URL, SOURCE_PATH];
        let old_gates: Vec<String> = issue
            .context
            .get(SOURCE_GATES)
            .map(|g| {
                g.split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        issue.context.retain(|key, _| {
            !provenance_keys.contains(&key.as_str())
                && !key.starts_with(&prefix)
                && key != SOURCE_GATES
        });
        for (key, v) in &r.context {
            if let Err(m) = check_context(key, v) {
                errors.push(row_error(r, key, m));
                continue;
            }
            issue.context.insert(key.clone(), v.clone());
        }
        issue.context.insert(SOURCE.into(), src.into());
        if !sid_of[k].is_empty() {
            issue.context.insert(SOURCE_ID.into(), sid_of[k].clone());
        }
        if let Some(u) = &r.url {
            issue.context.insert(SOURCE_URL.into(), u.clone());
        }
        if let Some(p) = &r.path {
            issue.context.insert(SOURCE_PATH.into(), p.clone());
        }
        // Checklist: the import's items (stable ids), then the ones added in jit.
        let mut occurrences: HashMap<&str, usize> = HashMap::new();
        let mut items = Vec::with_capacity(r.checklist.len());
        for (text, checked) in &r.checklist {
            let t = text.trim();
            if t.is_empty() {
                continue;
            }
            if t.chars().count() > limits::TITLE || t.chars().any(char::is_control) {
                errors.push(row_error(
                    r,
                    "checklist",
                    format!(
                        "an acceptance criterion is longer than {} characters or holds control characters",
                        limits::TITLE
                    ),
                ));
                continue;
            }
            let n = occurrences.entry(t).or_default();
            let id = imported_item_id(&[src, &r.source_id, "check", t, &n.to_string()]);
            *n += 1;
            let old = issue.checklist.iter().find(|i| i.id == id);
            let (by, at) = match old {
                Some(o) if o.checked == *checked => (o.checked_by.clone(), o.checked_at),
                _ => (None, None),
            };
            items.push(ChecklistItem {
                id,
                text: t.to_string(),
                checked: *checked,
                checked_by: by,
                checked_at: at,
            });
        }
        items.extend(
            issue
                .checklist
                .iter()
                .filter(|i| !i.id.starts_with(IMPORTED_ITEM_PREFIX))
                .cloned(),
        );
        issue.checklist = items;
        // Comments: the import's (stable ids), merged with jit's, oldest first.
        let mut comments: Vec<Comment> = issue
            .comments
            .iter()
            .filter(|c| !c.id.starts_with(IMPORTED_ITEM_PREFIX))
            .cloned()
            .collect();
        for (n, c) in r.comments.iter().enumerate() {
            match validate_text("comment", &c.body) {
                Ok(body) if !body.trim().is_empty() => comments.push(Comment {
                    id: imported_item_id(&[src, &r.source_id, "comment", &n.to_string()]),
                    author: super::convert::actor(&c.author).unwrap_or_else(|| actor.to_string()),
                    at: c.at.unwrap_or(issue.created_at),
                    body: body.trim_end().to_string(),
                }),
                Ok(_) => {}
                Err(e) => errors.push(row_error(r, "comments", super::convert::message(e))),
            }
        }
        comments.sort_by_key(|c| c.at);
        issue.comments = comments;
        // References.
        let mut deps: Vec<IssueId> = issue
            .dependencies
            .iter()
            .filter(|d| !source_ids.contains(*d))
            .cloned()
            .collect();
        let mut links: Vec<Link> = issue
            .links
            .iter()
            .filter(|l| IssueId::parse(&l.target).map_or(true, |t| !source_ids.contains(&t)))
            .cloned()
            .collect();
        let mut parent: Option<IssueId> = issue.parent.clone().filter(|p| !source_ids.contains(p));
        let mut parent_set = false;
        let mut hold = r.hold.clone();
        for rf in &r.refs {
            let note = |outcome: &'static str, note: String| RefNote {
                from: r.source_id.clone(),
                to: rf.target.clone(),
                via: rf.via.clone(),
                outcome,
                note,
            };
            if rf.target == r.source_id {
                report.references.push(note(
                    "self",
                    "an issue cannot refer to itself; dropped".into(),
                ));
                continue;
            }
            let Some(target) = resolve(&rf.target) else {
                if deleted.contains(rf.target.as_str()) {
                    report.references.push(note(
                        "deleted",
                        "names an issue the import skips (deleted in the source, or not live work there); dropped".into(),
                    ));
                } else if rf.kind == RefKind::DependsOn && source == Source::JustInTime {
                    hold.get_or_insert_with(|| {
                        format!("depends on `{}`, which is not in the import", rf.target)
                    });
                    report.references.push(note(
                        "held",
                        "names an issue that is not in the import nor imported before; just-in-time counts it as unmet, so the issue is held".into(),
                    ));
                } else {
                    report.references.push(note(
                        "missing",
                        "names an issue that is not in the import nor imported before; dropped"
                            .into(),
                    ));
                }
                continue;
            };
            match rf.kind {
                RefKind::DependsOn => deps.push(target),
                RefKind::Parent if !parent_set => {
                    parent = Some(target);
                    parent_set = true;
                }
                RefKind::Parent => {
                    links.push(Link {
                        kind: crate::model::LinkKind::Relates,
                        target: target.to_string(),
                    });
                    report.references.push(note(
                        "second_parent",
                        "jit has one parent; kept as a `relates` link".into(),
                    ));
                }
                RefKind::Link(kind) => links.push(Link {
                    kind,
                    target: target.to_string(),
                }),
            }
        }
        issue.dependencies = deps;
        issue.links = links;
        issue.parent = parent;
        // Gates: the source's and `held`, tracked in `context.source_gates`.
        let mut placed: Vec<String> = Vec::new();
        for (key, status, by, at) in &r.gates {
            if !gates.contains_key(key) {
                errors.push(row_error(
                    r,
                    "gates_required",
                    format!("requires gate `{key}`, which the source does not define"),
                ));
                continue;
            }
            placed.push(key.clone());
            let entry = issue
                .gates_status
                .entry(key.clone())
                .or_insert_with(GateStatus::pending);
            entry.status = *status;
            entry.by = by.clone();
            entry.at = *at;
        }
        if hold.is_some() {
            if !gates.contains_key(HELD_GATE) {
                let def = held_gate();
                gates.insert(HELD_GATE.into(), def.clone());
                gates_changed = true;
                gate_events.push((HELD_GATE.to_string(), def));
                report.gates_defined.push(HELD_GATE.into());
            }
            placed.push(HELD_GATE.into());
            issue
                .gates_status
                .entry(HELD_GATE.into())
                .or_insert_with(GateStatus::pending);
        }
        for g in &old_gates {
            if !placed.contains(g) {
                issue.gates_required.retain(|k| k != g);
                issue.gates_status.remove(g);
            }
        }
        for g in &placed {
            if !issue.gates_required.contains(g) {
                issue.gates_required.push(g.clone());
            }
        }
        if !placed.is_empty() {
            placed.sort();
            placed.dedup();
            issue.context.insert(SOURCE_GATES.into(), placed.join(","));
        }
        if let Some(h) = &hold {
            issue
                .context
                .insert(format!("{}_held", source.prefix()), h.clone());
        }
        issue.normalize();
        wants.push(r.want.or(if before.is_none() {
            Some(Want::Open)
        } else {
            None
        }));
        finals.push((errors.len() == errs_before).then_some(issue));
    }
    if !errors.is_empty() {
        return Err(PlanError::Rows(errors));
    }

    // Pass 3: states. Fixed states first, then the derived ones from final dependency states.
    let mut state_of: HashMap<IssueId, State> = snap
        .issues
        .iter()
        .map(|i| (i.id.clone(), i.state))
        .collect();
    let mut derive: Vec<usize> = Vec::new();
    for (k, f) in finals.iter_mut().enumerate() {
        let Some(issue) = f else { continue };
        if parsed.records[k].deleted.is_some() {
            state_of.insert(issue.id.clone(), issue.state);
            continue;
        }
        let before = matched[k].map(|m| snap.issues[m].state);
        let s = target_state(before, wants[k], issue);
        match s {
            Some(s) => issue.state = s,
            None => derive.push(k),
        }
        state_of.insert(issue.id.clone(), issue.state);
    }
    for &k in &derive {
        if let Some(issue) = finals[k].as_mut() {
            let ready = issue
                .dependencies
                .iter()
                .all(|d| state_of.get(d) == Some(&State::Done));
            issue.state = if ready { State::Ready } else { State::Backlog };
            state_of.insert(issue.id.clone(), issue.state);
        }
    }

    // Pass 4: the graph with the import applied must have no cycle through an imported issue.
    let imported: HashMap<IssueId, usize> = finals
        .iter()
        .enumerate()
        .filter_map(|(k, f)| f.as_ref().map(|i| (i.id.clone(), k)))
        .collect();
    let mut all: Vec<Issue> = snap
        .issues
        .iter()
        .filter(|i| !imported.contains_key(&i.id))
        .cloned()
        .collect();
    let existing_len = all.len();
    all.extend(finals.iter().flatten().cloned());
    let at: HashMap<&IssueId, usize> = all.iter().enumerate().map(|(k, i)| (&i.id, k)).collect();
    let cycles: Vec<Vec<String>> = crate::graph::cycles_among(&all, |id| at.get(id).copied())
        .into_iter()
        .filter(|c| c.iter().any(|id| imported.contains_key(id)))
        .map(|c| {
            let mut names: Vec<String> = c
                .iter()
                .map(|id| match imported.get(id) {
                    Some(k) => parsed.records[*k].source_id.clone(),
                    None => id.short(),
                })
                .collect();
            names.sort();
            names
        })
        .collect();
    let mut cycles = cycles;
    cycles.sort();
    if !cycles.is_empty() {
        return Err(PlanError::Cycles(cycles));
    }

    // Pass 5: issues outside the import whose readiness the import changed.
    let mut cascades: Vec<(Issue, Issue)> = Vec::new();
    for i in &all[..existing_len] {
        if !matches!(i.state, State::Backlog | State::Ready) {
            continue;
        }
        if !i.dependencies.iter().any(|d| imported.contains_key(d)) {
            continue;
        }
        let ready = i
            .dependencies
            .iter()
            .all(|d| state_of.get(d) == Some(&State::Done));
        let s = if ready { State::Ready } else { State::Backlog };
        if s != i.state {
            let mut after = i.clone();
            after.state = s;
            cascades.push((i.clone(), after));
        }
    }

    // The plan and its report.
    let mut creates = Vec::new();
    let mut updates = Vec::new();
    for (k, f) in finals.into_iter().enumerate() {
        let r = &parsed.records[k];
        let Some(after) = f else { continue };
        let action = match matched[k].map(|m| &snap.issues[m]) {
            None => {
                report.created.push(after.id.to_string());
                "create"
            }
            Some(b) => {
                let mut b_norm = b.clone();
                b_norm.normalize();
                if b_norm == after {
                    report.unchanged.push(after.id.to_string());
                    "unchanged"
                } else {
                    report.updated.push(after.id.to_string());
                    if r.deleted.is_some() {
                        "archive"
                    } else {
                        "update"
                    }
                }
            }
        };
        report.issues.push(IssueLine {
            source_id: r.source_id.clone(),
            id: after.id.to_string(),
            short_id: after.id.short(),
            action,
            title: after.title.clone(),
            state: after.state,
            kind: after.kind.clone(),
        });
        match action {
            "create" => creates.push(after),
            "update" | "archive" => {
                let before = snap.issues[matched[k].expect("matched")].clone();
                updates.push((before, after, EventKind::IssueUpdated));
            }
            _ => {}
        }
    }
    for (b, a) in cascades {
        report.cascaded.push(a.id.to_string());
        updates.push((b, a, EventKind::IssueStateChanged));
    }
    report.types = types
        .notes
        .iter()
        .map(|((from, to), (count, added))| TypeNote {
            from: from.clone(),
            to: to.clone(),
            count: *count,
            added: *added,
        })
        .collect();
    report.types_added = types.added.clone();
    let config = (!types.added.is_empty()).then_some(types.config);
    Ok(Plan {
        report,
        creates,
        updates,
        config,
        gates: gates_changed.then_some(gates),
        gate_events,
    })
}

/// The state a record lands in, or `None` when it is derived (ready or backlog).
fn target_state(before: Option<State>, want: Option<Want>, issue: &Issue) -> Option<State> {
    let done_or_gated = || {
        if issue.unpassed_gates().is_empty() {
            State::Done
        } else {
            State::Gated
        }
    };
    match (before, want) {
        (Some(b), None) => match b {
            State::Backlog | State::Ready => None,
            other => Some(other),
        },
        (None, None) | (None, Some(Want::Open)) => None,
        (None, Some(Want::InProgress)) => Some(State::InProgress),
        (None, Some(Want::Gated | Want::Done)) => Some(done_or_gated()),
        (None, Some(Want::Archived)) => Some(State::Archived),
        // The source reopened it: back to ready/backlog. Work started here is not reset.
        (Some(b), Some(Want::Open)) => match b {
            State::Done | State::Archived | State::Backlog | State::Ready => None,
            other => Some(other),
        },
        (Some(b), Some(Want::InProgress)) => match b {
            State::Gated => Some(State::Gated),
            _ => Some(State::InProgress),
        },
        // Closed at the source: closes an open issue (gated while gates are pending).
        (Some(b), Some(Want::Gated | Want::Done)) => match b {
            State::Done | State::Archived => Some(b),
            _ => Some(done_or_gated()),
        },
        (Some(_), Some(Want::Archived)) => Some(State::Archived),
    }
}

fn check_context(key: &str, v: &str) -> std::result::Result<(), String> {
    validate_name("context key", key).map_err(super::convert::message)?;
    if key.contains('=') {
        return Err("a context key must not contain `=`".into());
    }
    super::convert::context_value(v).map(|_| ())
}

fn fresh_id(shorts: &mut HashSet<String>, at: Timestamp) -> Result<IssueId> {
    let ms = u64::try_from(at.millis()).unwrap_or(0);
    for _ in 0..64 {
        let id = IssueId::from_ulid(ulid::Ulid::from_parts(ms, crate::random::u128()));
        if shorts.insert(id.short()) {
            return Ok(id);
        }
    }
    Err(Error::Internal("could not find a free short id".into()))
}

/// The gate an import places on open issues its source keeps out of ready work.
pub fn held_gate() -> GateDef {
    GateDef {
        key: HELD_GATE.into(),
        title: "Released from hold".into(),
        description: "Placed by `jit import` on open issues the source tracker kept out of its ready work (blocked, deferred, pinned, a custom state, a dependency outside the import); `context.<source>_held` says why. A person passes it to release the issue.".into(),
        auto: false,
        stage: GateStage::Precheck,
        checker: None,
        extra: BTreeMap::new(),
    }
}

fn same_gate(a: &GateDef, b: &GateDef) -> bool {
    a.title == b.title
        && a.description == b.description
        && a.auto == b.auto
        && a.stage == b.stage
        && a.checker == b.checker
}

/// Stages a plan: creations, updates, cascades, the gate registry and the config, one event
/// each.
pub fn apply(tx: &mut Tx<'_>, plan: Plan, progress: &dyn Progress) -> Result<ImportReport> {
    let src = plan.report.source;
    let ids_by: HashMap<String, String> = plan
        .report
        .issues
        .iter()
        .map(|l| (l.id.clone(), l.source_id.clone()))
        .collect();
    let total = plan.creates.len() + plan.updates.len();
    progress.start("importing", total as u64);
    if let Some(gates) = plan.gates {
        tx.put_gates(gates);
        for (key, def) in &plan.gate_events {
            let a = serde_json::to_value(def).unwrap_or_default();
            let defined = payload::Gate {
                gate: key.clone(),
                source: Some(src.to_string()),
            };
            tx.event(
                None,
                crate::store::diff_values(&json!({}), &a),
                Payload::GateDefined(defined),
            );
        }
    }
    if let Some(config) = plan.config {
        let before = tx.store().config()?;
        let b = serde_json::to_value(&before).unwrap_or_default();
        let a = serde_json::to_value(&config).unwrap_or_default();
        let updated = payload::ConfigUpdated {
            source: Some(src.to_string()),
            types_added: plan.report.types_added.clone(),
        };
        tx.event(
            None,
            crate::store::diff_values(&b, &a),
            Payload::ConfigUpdated(updated),
        );
        tx.put_config(config)?;
    }
    for issue in plan.creates {
        progress.advance(1);
        let sid = ids_by.get(issue.id.as_str()).cloned().unwrap_or_default();
        let issue = tx.insert(issue)?;
        let created = payload::Created {
            title: issue.title.clone(),
            source: Some(src.to_string()),
            source_id: Some(sid),
        };
        tx.record(None, &issue, Payload::IssueCreated(created))?;
    }
    for (before, after, kind) in plan.updates {
        progress.advance(1);
        let event = if kind == EventKind::IssueStateChanged {
            Payload::IssueStateChanged(payload::Updated {
                cause: Some("import".into()),
                source: Some(src.to_string()),
                ..Default::default()
            })
        } else {
            Payload::IssueUpdated(payload::Updated {
                source: Some(src.to_string()),
                source_id: ids_by.get(after.id.as_str()).cloned(),
                ..Default::default()
            })
        };
        tx.edit(&before, after, event)?;
    }
    progress.finish();
    Ok(plan.report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_normalize_and_validate() {
        assert_eq!(normalize_type(" User  Story "), "user-story");
        assert!(valid_type("user-story"));
        assert!(!valid_type("1x"));
        assert!(!valid_type("bug🐛"));
    }

    #[test]
    fn states_follow_the_source_but_keep_work_in_progress() {
        let i = Issue::new(
            IssueId::from_ulid(ulid::Ulid::from_parts(1, 1)),
            "x".into(),
            Timestamp::from_millis(0),
        );
        assert_eq!(target_state(None, Some(Want::Open), &i), None);
        assert_eq!(
            target_state(Some(State::InProgress), Some(Want::Open), &i),
            Some(State::InProgress)
        );
        assert_eq!(target_state(Some(State::Done), Some(Want::Open), &i), None);
        assert_eq!(
            target_state(Some(State::Ready), Some(Want::Done), &i),
            Some(State::Done)
        );
        assert_eq!(
            target_state(Some(State::Archived), Some(Want::Done), &i),
            Some(State::Archived)
        );
    }
}
