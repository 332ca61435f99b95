//! `jit import github FILE` and `jit import csv FILE`.

use super::{Ctx, Reply};
use crate::error::Result;
use crate::import::{self, ImportReport};
use crate::model::id::short_of;
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import the JSON of `gh issue list --json number,title,body,state,labels,assignees,milestone`
    /// (or `gh issue view --json ...`); issues imported before are updated, not duplicated.
    Github {
        /// The JSON file.
        file: PathBuf,
    },
    /// Import a CSV file with a header row: title (required), priority, labels, type, milestone,
    /// state, description.
    Csv {
        /// The CSV file.
        file: PathBuf,
    },
}

pub fn run(ctx: &Ctx, cmd: ImportCommand) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let report = match cmd {
        ImportCommand::Github { file } => import::github(&store, &actor, &file, &*ctx.progress())?,
        ImportCommand::Csv { file } => import::csv(&store, &actor, &file, &*ctx.progress())?,
    };
    Ok(Reply::new(report, |r: &ImportReport, _| {
        let list = |ids: &[String]| -> String {
            if ids.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    ids.iter()
                        .map(|i| short_of(i))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        };
        format!(
            "created {}{}\nupdated {}{}\nunchanged {}\n",
            r.created.len(),
            list(&r.created),
            r.updated.len(),
            list(&r.updated),
            r.unchanged.len()
        )
    }))
}
