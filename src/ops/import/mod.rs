//! Moving in from other trackers: beads, just-in-time, Backlog.md, Jira and Linear CSV exports,
//! GitHub (`gh` and REST JSON) and plain CSV.
//!
//! One file per source turns its format into [`record::Record`]s (jit's fields, keyed by the
//! source's ids) and the report's notes; the shared core ([`plan`]) does the rest the same way
//! for every source:
//! - provenance on every issue: `context.source`, `context.source_id`, and
//!   `context.source_url` or `context.source_path`;
//! - identity by (source, source id), for GitHub by repository and number, so importing again
//!   updates in place and an unchanged re-import writes nothing and appends no event;
//! - structure: dependencies, parents, links and acceptance criteria resolved to jit ids in one
//!   pass, references to issues outside the import reported;
//! - the graph (the store's issues with the import applied) validated before anything is
//!   written: cycles and bad rows refuse the whole import;
//! - unknown types added to the configured types (or mapped with `--map-type`);
//! - one transaction through [`Store::mutate`]: all issues or none, one event per change.
//!
//! Invariants: sources are read with bounded sizes ([`read`]); a source directory is never left
//! and no symbolic link in it is followed; paths named inside a source are recorded, never
//! opened. The core never prints.

pub mod backlog;
pub mod beads;
pub mod convert;
pub mod csv;
pub mod github;
pub mod jira;
pub mod just_in_time;
pub mod linear;
pub mod plan;
pub mod read;
pub mod record;

pub use plan::ImportReport;
pub use record::RowError;

use crate::error::{Error, Result};
use crate::model::Actor;
use crate::progress::Progress;
use crate::store::Store;
use record::Want;
use serde_json::{Value, json};
use std::path::Path;

/// The context key naming the source an issue was imported from.
pub const SOURCE: &str = "source";
/// The context key holding the id in its source.
pub const SOURCE_ID: &str = "source_id";
/// The context key holding the address in its source.
pub const SOURCE_URL: &str = "source_url";
/// The context key holding the file the issue was read from (directory sources).
pub const SOURCE_PATH: &str = "source_path";
/// The context key listing the gate keys the import placed on the issue (so it can remove them).
pub const SOURCE_GATES: &str = "source_gates";
/// The gate an import places on open issues the source keeps out of its ready work.
pub const HELD_GATE: &str = "held";
/// At most this many problems are named in the error message (the details list them all).
const MAX_ROWS_IN_MESSAGE: usize = 10;

/// Where issues come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    Beads,
    JustInTime,
    Backlog,
    Jira,
    Linear,
    Github,
    Csv,
}

impl Source {
    /// The name in `context.source`, events and the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Beads => "beads",
            Source::JustInTime => "just-in-time",
            Source::Backlog => "backlog",
            Source::Jira => "jira",
            Source::Linear => "linear",
            Source::Github => "github",
            Source::Csv => "csv",
        }
    }

    /// The prefix of context keys holding this source's kept fields.
    pub fn prefix(self) -> &'static str {
        match self {
            Source::JustInTime => "just_in_time",
            other => other.as_str(),
        }
    }
}

/// What `jit import` takes.
#[derive(Debug, Clone)]
pub struct Request {
    pub source: Source,
    pub path: std::path::PathBuf,
    /// Plan and report, write nothing.
    pub dry_run: bool,
    /// `--map-type a=b`: source type `a` becomes jit type `b`.
    pub map_type: Vec<(String, String)>,
    /// `--map-state a=b`: source state `a` becomes `b` (ready, in_progress, done, archived, held).
    pub map_state: Vec<(String, String)>,
    /// `--map COLUMN=field` (CSV).
    pub map: Vec<(String, String)>,
    /// `--repo OWNER/NAME` (GitHub files without issue URLs).
    pub repo: Option<String>,
}

/// `--map-state`: source states (case-insensitive) to targets.
#[derive(Debug, Default, Clone)]
pub struct StateMap(Vec<(String, Want, bool)>);

impl StateMap {
    /// Parses `a=b` pairs; `b` is `ready` (or `open`), `in_progress`, `done`, `archived` or
    /// `held` (open, behind the `held` gate).
    pub fn new(pairs: &[(String, String)]) -> Result<Self> {
        let mut out = Vec::new();
        for (from, to) in pairs {
            let (want, held) = match to.trim().to_ascii_lowercase().replace('-', "_").as_str() {
                "ready" | "open" | "backlog" => (Want::Open, false),
                "in_progress" => (Want::InProgress, false),
                "done" | "closed" => (Want::Done, false),
                "archived" => (Want::Archived, false),
                "held" => (Want::Open, true),
                _ => {
                    return Err(Error::invalid(
                        "map-state",
                        format!(
                            "`{from}={to}`: `{to}` is not one of ready, in_progress, done, archived, held"
                        ),
                    ));
                }
            };
            if from.trim().is_empty() {
                return Err(Error::invalid("map-state", "the source state is blank"));
            }
            out.push((from.trim().to_lowercase(), want, held));
        }
        Ok(StateMap(out))
    }

    /// The target for a source state, if `--map-state` names it.
    pub fn get(&self, state: &str) -> Option<(Want, Option<String>)> {
        let s = state.trim().to_lowercase();
        self.0.iter().find(|(f, ..)| *f == s).map(|(_, w, held)| {
            (
                *w,
                held.then(|| format!("state `{}` (held by --map-state)", state.trim())),
            )
        })
    }
}

/// Parses `a=b` (for `--map`, `--map-type`, `--map-state`).
pub fn pair(flag: &str, s: &str) -> Result<(String, String)> {
    match s.split_once('=') {
        Some((a, b)) if !a.trim().is_empty() && !b.trim().is_empty() => {
            Ok((a.trim().to_string(), b.trim().to_string()))
        }
        _ => Err(Error::invalid(
            flag,
            format!("`{}` is not `FROM=TO`", s.escape_debug()),
        )),
    }
}

/// Runs an import: parse the source, plan against the store, and (unless a dry run) write the
/// plan in one transaction.
pub fn run(
    store: &Store,
    actor: &Actor,
    req: &Request,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    let states = StateMap::new(&req.map_state)?;
    let path = req.path.as_path();
    let shown = path.display().to_string();
    let parsed = match req.source {
        Source::Beads => {
            let text = read::text(path, read::file(path, read::MAX_FILE)?)?;
            beads::parse(&shown, &text, &states, crate::clock::now()?)
        }
        Source::Github => {
            let text = read::text(path, read::file(path, read::MAX_FILE)?)?;
            github::parse(&shown, &text, req.repo.as_deref())?
        }
        Source::Csv => {
            let text = read::text(path, read::file(path, read::MAX_FILE)?)?;
            csv::source(&shown, &text, &req.map, &states)?
        }
        Source::Jira => {
            let text = read::text(path, read::file(path, read::MAX_FILE)?)?;
            jira::parse(&shown, &text, &states)
        }
        Source::Linear => {
            let text = read::text(path, read::file(path, read::MAX_FILE)?)?;
            linear::parse(&shown, &text, &states)
        }
        Source::JustInTime => just_in_time::parse(path, &states)?,
        Source::Backlog => backlog::parse(path, &states)?,
    };
    let mut parsed = parsed;
    if let Some(label) = file_label(req.source, path) {
        for r in &mut parsed.records {
            r.path.get_or_insert_with(|| label.clone());
        }
    }
    if !parsed.notes.errors.is_empty() {
        let more = plan::record_errors(&parsed);
        parsed.notes.errors.extend(more);
        parsed
            .notes
            .errors
            .sort_by(|a, b| (&a.path, a.index, a.line).cmp(&(&b.path, b.index, b.line)));
        return Err(refuse(path, &parsed.notes));
    }
    if parsed.records.len() > read::MAX_RECORDS {
        return Err(invalid(
            path,
            format!("holds more than {} issues", read::MAX_RECORDS),
            json!({}),
        ));
    }
    let opts = plan::Options {
        source: req.source,
        map_type: req.map_type.clone(),
    };
    if req.dry_run {
        let now = crate::clock::now()?;
        let snapshot = plan::Snapshot::read(store)?;
        let plan =
            plan::plan(&snapshot, &parsed, &opts, now, actor).map_err(|e| plan_error(path, e))?;
        let mut report = plan.report;
        report.dry_run = true;
        return Ok(report);
    }
    store.mutate(actor, |tx| {
        let snapshot = plan::Snapshot::read(tx.store())?;
        let plan = plan::plan(&snapshot, &parsed, &opts, tx.now, &tx.actor)
            .map_err(|e| plan_error(path, e))?;
        plan::apply(tx, plan, progress)
    })
}

/// Where a file source's issues live, for `context.source_path`: `.beads/issues.jsonl` for a
/// beads store, the export's file name for Jira, Linear and CSV. GitHub issues have their URL.
fn file_label(source: Source, path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?.to_string();
    match source {
        Source::Beads => {
            let parent = path
                .parent()
                .and_then(Path::file_name)
                .and_then(|n| n.to_str());
            Some(match parent {
                Some(".beads") => format!(".beads/{name}"),
                _ => name,
            })
        }
        Source::Jira | Source::Linear | Source::Csv => Some(name),
        _ => None,
    }
}

/// An `invalid_import` error about `path`.
pub(crate) fn invalid(path: &Path, message: String, mut details: Value) -> Error {
    if let Value::Object(m) = &mut details {
        m.insert("file".into(), json!(path));
    }
    Error::Refused {
        code: crate::error::ErrorCode::InvalidImport,
        message: format!(
            "cannot import `{}`: {message}; nothing was imported",
            path.display()
        ),
        details,
    }
}

/// The error for bad rows: every problem in `details.rows`, the first few in the message.
fn refuse(path: &Path, notes: &record::Notes) -> Error {
    let errors = &notes.errors;
    let mut bad: Vec<String> = Vec::new();
    for e in errors.iter().take(MAX_ROWS_IN_MESSAGE) {
        bad.push(format!("{}: {}: {}", e.place(), e.field, e.message));
    }
    if errors.len() > MAX_ROWS_IN_MESSAGE {
        bad.push(format!("and {} more", errors.len() - MAX_ROWS_IN_MESSAGE));
    }
    let mut details = json!({ "rows": errors });
    if !notes.unknown_columns.is_empty() {
        details["unknown_columns"] = json!(notes.unknown_columns);
    }
    invalid(
        path,
        format!("{} problem(s): {}", errors.len(), bad.join("; ")),
        details,
    )
}

fn plan_error(path: &Path, e: plan::PlanError) -> Error {
    match e {
        plan::PlanError::Store(e) => e,
        plan::PlanError::Rows(errors) => {
            let mut notes = record::Notes::default();
            notes.errors = errors;
            refuse(path, &notes)
        }
        plan::PlanError::Cycles(cycles) => {
            let shown: Vec<String> = cycles.iter().map(|c| c.join(" -> ")).collect();
            invalid(
                path,
                format!(
                    "the dependencies would form {} cycle(s): {}; remove one dependency of each in the source",
                    cycles.len(),
                    shown.join("; ")
                ),
                json!({ "cycles": cycles }),
            )
        }
    }
}
