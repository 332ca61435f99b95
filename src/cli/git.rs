//! `jit git install`, `jit merge-driver BASE OURS THEIRS` and `jit sync`.

use super::render::{Color, Style, clean_line};
use super::{Ctx, Reply};
use crate::error::{Result, exit};
use crate::gitops::sync::{DEFAULT_MAX_RETRIES, IssueRef};
use crate::gitops::{self, FieldConflict, InstallReport, SyncReport, SyncRequest};
use clap::{Args, Subcommand};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum GitCommand {
    /// Write .gitattributes and register the jit merge driver in this clone's git config.
    Install,
}

#[derive(Debug, Args)]
pub struct MergeDriverArgs {
    /// The common ancestor (git's %O).
    pub base: PathBuf,
    /// Our version; the merged result is written here (git's %A).
    pub ours: PathBuf,
    /// Their version (git's %B).
    pub theirs: PathBuf,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// The remote to sync with [default: the branch's upstream remote, else `origin`].
    #[arg(long, value_name = "R")]
    pub remote: Option<String>,
    /// The remote branch [default: the branch's upstream, else the current branch's name].
    #[arg(long, value_name = "B")]
    pub branch: Option<String>,
    /// How often to pull and push again when another clone pushed first.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_RETRIES)]
    pub max_retries: u32,
}

/// `jit sync`: commit `.jit/`, pull, validate, push. Exit 8 when validation errors remain (then
/// nothing is pushed); the `claim_lost` error (exit 4) when another clone's claim won.
pub fn sync(ctx: &Ctx, a: SyncArgs) -> Result<Reply> {
    let store = ctx.local_store_as_is()?;
    let actor = ctx.actor(&store)?;
    let req = SyncRequest {
        remote: a.remote,
        branch: a.branch,
        max_retries: a.max_retries,
    };
    let report = gitops::sync(&store, &actor, &req)?;
    if !report.ok {
        return Ok(Reply::new(report, sync_text).exit(exit::CHECK_FAILED));
    }
    if let Some(e) = report.claim_lost_error() {
        return Err(e);
    }
    Ok(Reply::new(report, sync_text))
}

fn issue_lines(out: &mut String, issues: &[IssueRef]) {
    for i in issues {
        let title = i.title.as_deref().map(clean_line);
        out.push_str(&format!(
            "  {} {}\n",
            i.short_id,
            title.as_deref().unwrap_or("(deleted)")
        ));
    }
}

fn sync_text(r: &SyncReport, s: &Style) -> String {
    let mut out = String::new();
    let at = format!("{}/{}", clean_line(&r.remote), clean_line(&r.branch));
    if r.driver_installed {
        out.push_str("registered the jit merge driver in this clone\n");
    }
    match &r.committed {
        Some(c) => {
            out.push_str(&format!(
                "committed {} issue(s) ({})\n",
                c.issues.len(),
                &c.commit[..c.commit.len().min(10)]
            ));
            issue_lines(&mut out, &c.issues);
        }
        None => out.push_str("nothing to commit\n"),
    }
    if r.incoming.commits == 0 {
        out.push_str(&format!("pulled from {at}: up to date\n"));
    } else {
        out.push_str(&format!(
            "pulled {} commit(s) from {at} ({}): {} issue(s) changed\n",
            r.incoming.commits,
            r.incoming.strategy,
            r.incoming.issues.len()
        ));
        issue_lines(&mut out, &r.incoming.issues);
    }
    for p in &r.repaired {
        out.push_str(&format!(
            "{} [{}] {}\n",
            s.paint("repaired", Color::Green),
            p.code,
            clean_line(&p.message)
        ));
    }
    for p in &r.problems {
        let (label, color) = match p.severity {
            crate::ops::validate::Severity::Error => ("error", Color::Red),
            crate::ops::validate::Severity::Warning => ("warning", Color::Yellow),
        };
        out.push_str(&format!(
            "{} [{}] {}\n",
            s.paint(label, color),
            p.code,
            clean_line(&p.message)
        ));
    }
    if !r.ok {
        out.push_str(&format!(
            "{}: validation errors remain after pulling; not pushed. Fix them, then run `jit sync` again\n",
            s.paint("not pushed", Color::Red)
        ));
    } else if r.outgoing.pushed {
        out.push_str(&format!(
            "pushed {} commit(s) to {at}: {} issue(s) changed{}\n",
            r.outgoing.commits,
            r.outgoing.issues.len(),
            if r.outgoing.attempts > 1 {
                format!(" ({} attempts)", r.outgoing.attempts)
            } else {
                String::new()
            }
        ));
        issue_lines(&mut out, &r.outgoing.issues);
    } else {
        out.push_str(&format!("nothing to push to {at}\n"));
    }
    for c in &r.claims_lost {
        out.push_str(&format!(
            "{} {} {} (now held by {})\n",
            s.paint("claim lost:", Color::Red),
            c.short_id,
            clean_line(&c.title),
            clean_line(&c.holder)
        ));
    }
    out
}

pub fn run(ctx: &Ctx, cmd: GitCommand) -> Result<Reply> {
    match cmd {
        GitCommand::Install => {
            let store = ctx.local_store_as_is()?;
            let report = gitops::install(store.root())?;
            Ok(Reply::new(report, |r: &InstallReport, _| {
                format!(
                    "{} {}\nmerge driver `jit`: {}\n",
                    if r.attributes_changed {
                        "updated"
                    } else {
                        "up to date:"
                    },
                    r.attributes_path.display(),
                    if r.driver_changed {
                        format!("registered ({})", r.driver_command)
                    } else {
                        "already registered".into()
                    }
                )
            }))
        }
    }
}

#[derive(Serialize)]
struct Merged {
    merged: PathBuf,
    conflicts: Vec<FieldConflict>,
}

/// Runs as git's merge driver. Exit 0 with the merged file in OURS, even when scalar conflicts
/// were resolved (they are recorded in the file's `merge_conflicts` and on stderr).
pub fn merge_driver(_ctx: &Ctx, a: MergeDriverArgs) -> Result<Reply> {
    let conflicts = gitops::merge_files(&a.base, &a.ours, &a.theirs)?;
    let warnings: Vec<String> = conflicts
        .iter()
        .map(|c| {
            format!(
                "jit merge: `{}` changed on both sides ({}); kept {}",
                c.field, c.reason, c.kept
            )
        })
        .collect();
    Ok(Reply::new(
        Merged {
            merged: a.ours,
            conflicts,
        },
        |_: &Merged, _| String::new(),
    )
    .warn(warnings))
}
