//! `jit query ready|blocked|state|priority|assignee`.

use super::issue::{IssuePage, page_text, problem_warnings};
use super::{Ctx, Reply};
use crate::error::Result;
use crate::issues;
use crate::model::{Priority, State};
use crate::queries;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum QueryCommand {
    /// Ready, unassigned, unblocked issues, best first (priority, then age).
    Ready(Common),
    /// Open issues blocked by dependencies or gates, with reasons.
    Blocked(Common),
    /// Issues in one state.
    State(StateArgs),
    /// Issues of one priority.
    Priority(PriorityArgs),
    /// Issues assigned to an actor (`*` wildcards; `none` for unassigned).
    Assignee(AssigneeArgs),
}

#[derive(Debug, Args, Default)]
pub struct Common {
    /// At most this many issues.
    #[arg(long)]
    pub limit: Option<usize>,
}

#[derive(Debug, Args)]
pub struct StateArgs {
    pub state: State,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct PriorityArgs {
    pub priority: Priority,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub struct AssigneeArgs {
    pub assignee: String,
    #[command(flatten)]
    pub common: Common,
}

pub fn run(ctx: &Ctx, cmd: QueryCommand) -> Result<Reply> {
    let store = ctx.store()?;
    let (views, problems) = issues::list_all(&store)?;
    let warnings = problem_warnings(&problems);
    let (mut selected, common) = match cmd {
        QueryCommand::Ready(c) => (queries::ready(views), c),
        QueryCommand::Blocked(c) => (queries::blocked(views), c),
        QueryCommand::State(a) => (queries::by_state(views, a.state), a.common),
        QueryCommand::Priority(a) => (queries::by_priority(views, a.priority), a.common),
        QueryCommand::Assignee(a) => (queries::by_assignee(views, &a.assignee), a.common),
    };
    let total = selected.len();
    if let Some(n) = common.limit {
        if n == 0 {
            return Err(crate::error::Error::invalid("limit", "must be at least 1"));
        }
        selected.truncate(n);
    }
    let page = IssuePage { issues: selected, total, next_cursor: None, problems };
    Ok(Reply::new(page, page_text).warn(warnings))
}
