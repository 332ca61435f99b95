//! `jit issue close ID [--archive] [--reason TEXT]`: finishing work in one word.
//!
//! Invariant: a close is an `issue update --state done|archived` (the same transition rules,
//! gates and cascades), with the reason recorded in the event.

use super::issue::outcome_text;
use super::{Ctx, Reply};
use crate::error::{Error, Result};
use crate::model::State;
use crate::ops::issues::{self, Outcome, UpdateRequest};
use clap::Args;

#[derive(Debug, Args)]
pub struct CloseArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Archive it (set aside, not done) instead of finishing it; needs --reason.
    #[arg(long)]
    pub archive: bool,
    /// Why (recorded in the event log); `-` reads stdin.
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
    /// Close it although another actor holds it (human actors only; recorded as
    /// `forced_from`). Without it, only the holder closes a claimed issue.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

pub fn run(ctx: &Ctx, a: CloseArgs) -> Result<Reply> {
    let reason = super::edit::text_input("reason", a.reason, None)?
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    if a.archive && reason.is_none() {
        return Err(Error::invalid(
            "reason",
            "archiving sets work aside unfinished; say why with --reason",
        ));
    }
    let store = ctx.store_with(&a.remote)?;
    let actor = ctx.actor(&store)?;
    let req = UpdateRequest {
        state: Some(if a.archive {
            State::Archived
        } else {
            State::Done
        }),
        reason,
        if_version: a.if_version,
        force: a.force,
        ..Default::default()
    };
    let out = issues::update(&store, &actor, &a.id, req)?;
    Ok(Reply::issue(out, |o: &Outcome, s| outcome_text(o, s)))
}
