//! `jit import beads|just-in-time|backlog|jira|linear|github|csv PATH [--dry-run]`.

use super::render::{Style, clean_line};
use super::{Ctx, Reply};
use crate::error::Result;
use crate::ops::import::{self, ImportReport, Request, Source};
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import a beads store: `.beads/issues.jsonl` (or the directory holding it).
    Beads {
        /// The `issues.jsonl` file, or a directory with `.beads/issues.jsonl` or `issues.jsonl`.
        path: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Import a just-in-time store: its `.jit/` directory (issues, gates, events).
    #[command(name = "just-in-time")]
    JustInTime {
        /// The project directory (holding `.jit/`) or the `.jit/` directory.
        #[arg(value_name = "DIR")]
        directory: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Import a Backlog.md project: its `backlog/` directory of markdown tasks.
    Backlog {
        /// The project directory (holding `backlog/`) or the `backlog/` directory.
        #[arg(value_name = "DIR")]
        directory: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Import a Jira Cloud CSV export ("Export Excel CSV (all fields)").
    Jira {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Import a Linear CSV export ("Export issues as CSV").
    Linear {
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Import the JSON of `gh issue list --json ...` / `gh issue view --json ...` or of the
    /// REST issues API; issues imported before are updated, not duplicated.
    Github {
        /// The JSON file.
        file: PathBuf,
        /// The repository (OWNER/NAME) of issues whose JSON names none (no `url`).
        #[arg(long, value_name = "OWNER/NAME")]
        repo: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Import a CSV file with a header row: title (required), priority, labels, type,
    /// milestone, state, description; other columns with `--map COLUMN=field`.
    Csv {
        /// The CSV file.
        file: PathBuf,
        /// Map a column to a field: title, description, priority, labels, type, milestone,
        /// state, id, parent, depends_on, relates, duplicates, assignee, reporter, due,
        /// estimate, created, url, context.KEY, or ignore.
        #[arg(long = "map", value_name = "COLUMN=FIELD")]
        map: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
}

/// Flags every source takes.
#[derive(Debug, Args)]
pub struct Common {
    /// Plan and report (mapping, types, states, references), write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Map a source type to a jit type (`story=feature`); unknown types are otherwise added to
    /// the configured types.
    #[arg(long = "map-type", value_name = "FROM=TO")]
    map_type: Vec<String>,
    /// Map a source state to ready, in_progress, done, archived or held (`"In Review=in_progress"`).
    #[arg(long = "map-state", value_name = "FROM=TO")]
    map_state: Vec<String>,
}

fn pairs(flag: &str, v: &[String]) -> Result<Vec<(String, String)>> {
    v.iter().map(|s| import::pair(flag, s)).collect()
}

/// A beads path: the file, or a directory holding `.beads/issues.jsonl` or `issues.jsonl`.
fn beads_file(path: PathBuf) -> PathBuf {
    if path.is_dir() {
        for rel in [".beads/issues.jsonl", "issues.jsonl"] {
            let p = path.join(rel);
            if p.is_file() {
                return p;
            }
        }
    }
    path
}

pub fn run(ctx: &Ctx, cmd: ImportCommand) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let (source, path, common, map, repo) = match cmd {
        ImportCommand::Beads { path, common } => {
            (Source::Beads, beads_file(path), common, vec![], None)
        }
        ImportCommand::JustInTime { directory, common } => {
            (Source::JustInTime, directory, common, vec![], None)
        }
        ImportCommand::Backlog { directory, common } => {
            (Source::Backlog, directory, common, vec![], None)
        }
        ImportCommand::Jira { file, common } => (Source::Jira, file, common, vec![], None),
        ImportCommand::Linear { file, common } => (Source::Linear, file, common, vec![], None),
        ImportCommand::Github { file, repo, common } => {
            (Source::Github, file, common, vec![], repo)
        }
        ImportCommand::Csv { file, map, common } => (Source::Csv, file, common, map, None),
    };
    let req = Request {
        source,
        path,
        dry_run: common.dry_run,
        map_type: pairs("map-type", &common.map_type)?,
        map_state: pairs("map-state", &common.map_state)?,
        map: pairs("map", &map)?,
        repo,
    };
    let report = import::run(&store, &actor, &req, &*ctx.progress())?;
    Ok(Reply::new(report, human))
}

fn human(r: &ImportReport, _: &Style) -> String {
    let mut out = String::new();
    let list = |ids: &[String]| -> String {
        if ids.is_empty() {
            String::new()
        } else {
            let shown: Vec<String> = ids
                .iter()
                .take(20)
                .map(|i| crate::model::id::short_of(i))
                .collect();
            let more = if ids.len() > 20 {
                format!(", and {} more", ids.len() - 20)
            } else {
                String::new()
            };
            format!(" ({}{more})", shown.join(", "))
        }
    };
    if r.dry_run {
        out.push_str("dry run: nothing was written; this is what the import would do\n");
    }
    let verb = |done: &str, would: &str| {
        if r.dry_run {
            would.to_string()
        } else {
            done.to_string()
        }
    };
    out.push_str(&format!(
        "{} {}{}\n{} {}{}\nunchanged {}\n",
        verb("created", "would create"),
        r.created.len(),
        list(&r.created),
        verb("updated", "would update"),
        r.updated.len(),
        list(&r.updated),
        r.unchanged.len()
    ));
    if !r.cascaded.is_empty() {
        out.push_str(&format!(
            "{} readiness of {} other issue(s){}\n",
            verb("re-derived", "would re-derive"),
            r.cascaded.len(),
            list(&r.cascaded)
        ));
    }
    for s in &r.skipped {
        out.push_str(&format!(
            "skipped {} ({}): {}\n",
            clean_line(&s.source_id),
            clean_line(&s.place.to_string()),
            clean_line(&s.reason)
        ));
    }
    for d in &r.duplicates {
        out.push_str(&format!(
            "duplicate {}: kept {}, dropped {}\n",
            clean_line(&d.source_id),
            clean_line(&d.kept.to_string()),
            d.dropped
                .iter()
                .map(|p| clean_line(&p.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for n in &r.references {
        out.push_str(&format!(
            "reference {} -> {} ({}): {}: {}\n",
            clean_line(&n.from),
            clean_line(&n.to),
            clean_line(&n.via),
            n.outcome,
            clean_line(&n.note)
        ));
    }
    if !r.types_added.is_empty() {
        out.push_str(&format!(
            "types added to config.json: {}\n",
            r.types_added.join(", ")
        ));
    }
    if !r.gates_defined.is_empty() {
        out.push_str(&format!("gates defined: {}\n", r.gates_defined.join(", ")));
    }
    if !r.gates_kept.is_empty() {
        out.push_str(&format!(
            "gates already defined here (local definition kept): {}\n",
            r.gates_kept.join(", ")
        ));
    }
    for i in &r.ignored_files {
        out.push_str(&format!(
            "not read: {}: {}\n",
            clean_line(&i.path),
            clean_line(&i.reason)
        ));
    }
    for m in &r.remarks {
        out.push_str(&format!("note: {}\n", clean_line(m)));
    }
    if r.dry_run {
        out.push_str("\nstates:\n");
        for s in &r.states {
            out.push_str(&format!(
                "  {:<28} -> {} ({})\n",
                clean_line(&s.from),
                s.to,
                s.count
            ));
        }
        if !r.priorities.is_empty() {
            out.push_str("priorities:\n");
            for p in &r.priorities {
                out.push_str(&format!(
                    "  {:<28} -> {} ({})\n",
                    clean_line(&p.from),
                    p.to,
                    p.count
                ));
            }
        }
        out.push_str("types:\n");
        for t in &r.types {
            out.push_str(&format!(
                "  {:<28} -> {}{} ({})\n",
                clean_line(&t.from),
                t.to,
                if t.added { " (added)" } else { "" },
                t.count
            ));
        }
        out.push_str("fields:\n");
        for f in &r.fields {
            let target = match (f.action, &f.to, &f.why) {
                ("dropped", _, Some(w)) => format!("dropped: {w}"),
                (a, Some(to), Some(w)) => format!("{a} to {to} ({w})"),
                (a, Some(to), None) => format!("{a} to {to}"),
                (a, None, _) => a.to_string(),
            };
            out.push_str(&format!(
                "  {:<28} {} ({})\n",
                clean_line(&f.field),
                clean_line(&target),
                f.count
            ));
        }
    }
    out
}
