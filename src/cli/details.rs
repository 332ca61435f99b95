//! `jit checklist add|check|uncheck`, `jit link add|rm`, `jit pr link`: the rich details of an
//! issue. Each command is one mutation (`crate::ops::checklist`, `link`, `pr`) and prints one line.

use super::render::{Color, Style, clean_line};
use super::{Ctx, Reply};
use crate::error::Result;
use crate::model::{CiStatus, LinkKind, PrStatus};
use crate::ops::Mutation;
use crate::ops::checklist::{ChecklistAddRequest, ChecklistCheckRequest, ChecklistOutcome};
use crate::ops::link::{LinkAddRequest, LinkOutcome, LinkRemoveRequest, LinkRequest};
use crate::ops::pr::{PrLinkRequest, PrOutcome};
use clap::{ArgGroup, Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum ChecklistCommand {
    /// Add an acceptance criterion (unchecked).
    Add(ItemArgs),
    /// Tick the item with this exact text.
    Check(ItemArgs),
    /// Untick the item with this exact text.
    Uncheck(ItemArgs),
}

#[derive(Debug, Args)]
pub struct ItemArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The item's text (matched exactly, ignoring surrounding spaces).
    #[arg(long)]
    pub item: String,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum LinkCommand {
    /// Link ID to another issue (stored on ID; `issue show --links` shows it from both sides).
    Add(LinkArgs),
    /// Remove a link from ID.
    Rm(LinkArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["relates", "duplicates"])))]
pub struct LinkArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The issue ID relates to.
    #[arg(long, value_name = "ID")]
    pub relates: Option<String>,
    /// The issue ID duplicates.
    #[arg(long, value_name = "ID")]
    pub duplicates: Option<String>,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
}

impl LinkArgs {
    /// The request these flags stand for (clap's required group gives exactly one target).
    fn into_request(self) -> LinkRequest {
        LinkRequest {
            id: self.id,
            relates: self.relates,
            duplicates: self.duplicates,
            if_version: self.if_version,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum PrCommand {
    /// Link a pull request to an issue, or update the one with the same URL.
    Link(PrArgs),
}

#[derive(Debug, Args)]
pub struct PrArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The pull request's URL (http or https); it identifies the PR on this issue.
    #[arg(long)]
    pub url: String,
    #[arg(long)]
    pub number: Option<u64>,
    #[arg(long)]
    pub title: Option<String>,
    /// open, draft, merged or closed.
    #[arg(long)]
    pub status: Option<PrStatus>,
    #[arg(long)]
    pub branch: Option<String>,
    /// The head commit sha (7 to 64 hex characters).
    #[arg(long)]
    pub commit: Option<String>,
    /// pending, success, failure or cancelled.
    #[arg(long)]
    pub ci: Option<CiStatus>,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
}

pub fn checklist(ctx: &Ctx, cmd: ChecklistCommand) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let set = |a: ItemArgs, checked: bool| ChecklistCheckRequest {
        id: a.id,
        item: a.item,
        checked: Some(checked),
        if_version: a.if_version,
    };
    let (out, verb) = match cmd {
        ChecklistCommand::Add(a) => {
            let req = ChecklistAddRequest {
                id: a.id,
                item: a.item,
                if_version: a.if_version,
            };
            (req.run(&store, &actor)?, "added")
        }
        ChecklistCommand::Check(a) => (set(a, true).run(&store, &actor)?, "checked"),
        ChecklistCommand::Uncheck(a) => (set(a, false).run(&store, &actor)?, "unchecked"),
    };
    Ok(Reply::issue(out, move |o: &ChecklistOutcome, s: &Style| {
        let (done, total) = o.progress();
        let verb = if o.changed {
            verb.to_string()
        } else {
            format!("already {verb}")
        };
        format!(
            "{verb} \"{}\" on {} ({done}/{total} done)\n",
            clean_line(&o.item.text),
            s.paint(&o.view.short_id, Color::Bold)
        )
    }))
}

pub fn link(ctx: &Ctx, cmd: LinkCommand) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let (out, verb) = match cmd {
        LinkCommand::Add(a) => (LinkAddRequest(a.into_request()).run(&store, &actor)?, "now"),
        LinkCommand::Rm(a) => (
            LinkRemoveRequest(a.into_request()).run(&store, &actor)?,
            "no longer",
        ),
    };
    Ok(Reply::issue(out, move |o: &LinkOutcome, s: &Style| {
        let verb = if o.changed { verb } else { "already" };
        let kind = match o.link.kind {
            LinkKind::Relates => "relates to",
            LinkKind::Duplicates => "duplicates",
        };
        format!(
            "{} {verb} {kind} {}\n",
            s.paint(&o.view.short_id, Color::Bold),
            clean_line(&o.link.short_id)
        )
    }))
}

pub fn pr(ctx: &Ctx, cmd: PrCommand) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let PrCommand::Link(a) = cmd;
    let req = PrLinkRequest {
        id: a.id,
        url: a.url,
        number: a.number,
        title: a.title,
        status: a.status,
        branch: a.branch,
        commit: a.commit,
        ci: a.ci,
        if_version: a.if_version,
    };
    let out = req.run(&store, &actor)?;
    Ok(Reply::issue(out, |o: &PrOutcome, s: &Style| {
        let p = &o.pr;
        let mut state = Vec::new();
        if let Some(st) = p.status {
            state.push(st.to_string());
        }
        if let Some(ci) = p.ci {
            state.push(format!("ci {ci}"));
        }
        let state = if state.is_empty() {
            String::new()
        } else {
            format!(" ({})", state.join(", "))
        };
        format!(
            "{} pr {}{state} on {}\n",
            if o.created { "linked" } else { "updated" },
            clean_line(&p.url),
            s.paint(&o.view.short_id, Color::Bold)
        )
    }))
}
