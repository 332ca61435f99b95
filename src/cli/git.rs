//! `jit git install` and `jit merge-driver BASE OURS THEIRS`.

use super::{Ctx, Reply};
use crate::error::Result;
use crate::gitops::{self, FieldConflict, InstallReport};
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

pub fn run(ctx: &Ctx, cmd: GitCommand) -> Result<Reply> {
    match cmd {
        GitCommand::Install => {
            let store = ctx.store()?;
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
/// were resolved (they are recorded in the file's `context.merge_conflicts` and on stderr).
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
