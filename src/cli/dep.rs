//! `jit dep add|rm ID --on DEP`.

use super::render::{Color, Style};
use super::{Ctx, Reply};
use crate::error::Result;
use crate::model::IssueId;
use crate::ops::Mutation;
use crate::ops::deps::{DepAddRequest, DepChange, DepRemoveRequest, DepRequest};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum DepCommand {
    /// Make ID depend on DEP (refused if it would close a cycle).
    Add(DepArgs),
    /// Remove the dependency of ID on DEP.
    Rm(DepArgs),
}

#[derive(Debug, Args)]
pub struct DepArgs {
    /// The issue that depends.
    pub id: String,
    /// The issue it depends on.
    #[arg(long)]
    pub on: String,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
}

pub fn run(ctx: &Ctx, cmd: DepCommand) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let request = |a: DepArgs| DepRequest {
        id: a.id,
        on: a.on,
        if_version: a.if_version,
    };
    let (change, verb) = match cmd {
        DepCommand::Add(a) => (
            DepAddRequest(request(a)).run(&store, &actor)?,
            "now depends on",
        ),
        DepCommand::Rm(a) => (
            DepRemoveRequest(request(a)).run(&store, &actor)?,
            "no longer depends on",
        ),
    };
    Ok(Reply::new(change, move |c: &DepChange, s: &Style| {
        let dep = IssueId::parse(&c.dependency)
            .map(|i| i.short())
            .unwrap_or_default();
        if !c.changed {
            return format!("{} already depends on {dep}\n", c.issue.short_id);
        }
        format!(
            "{} {verb} {dep} (state {})\n",
            s.paint(&c.issue.short_id, Color::Bold),
            s.paint(
                c.issue.issue.state.as_str(),
                super::render::human::state_color(c.issue.issue.state)
            )
        )
    }))
}
