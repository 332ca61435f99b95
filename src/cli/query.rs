//! `jit query ready|blocked|state|priority|assignee`.

use super::filter::Filter;
use super::issue::{IssuePage, page_text, problem_warnings};
use super::{Ctx, Reply};
use crate::claims::{self, Stale};
use crate::error::Result;
use crate::issues;
use crate::model::{Priority, State};
use crate::queries;
use clap::{Args, Subcommand};
use serde::Serialize;

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
    /// Claims whose lease expired; with --days N also in-progress issues idle N days.
    Stale(StaleArgs),
    /// Issues set aside with `issue defer`, soonest back first.
    Deferred(Common),
}

#[derive(Debug, Args)]
pub struct StaleArgs {
    /// Also list in-progress issues not updated for this many days.
    #[arg(long)]
    pub days: Option<u64>,
    #[command(flatten)]
    pub common: Common,
}

/// The list shape of every query (`issues`, `total`, `next_cursor`, `problems`), with each
/// issue's `reason`.
#[derive(Serialize)]
struct StalePage {
    issues: Vec<Stale>,
    total: usize,
    /// Always null: `query stale` has no `--cursor` (the list schema's field, present).
    next_cursor: Option<String>,
    problems: Vec<crate::store::FileProblem>,
}

#[derive(Debug, Args, Default)]
pub struct Common {
    /// Narrow the result with a query (see docs/query.md).
    #[arg(long)]
    pub filter: Option<String>,
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
    if let QueryCommand::Ready(c) = &cmd
        && c.filter.is_none()
    {
        if c.limit == Some(0) {
            return Err(crate::error::Error::invalid("limit", "must be at least 1"));
        }
        let (selected, total, problems) = issues::ready(&store, c.limit)?;
        let warnings = problem_warnings(&problems);
        let page = IssuePage {
            issues: selected,
            total,
            next_cursor: None,
            problems,
        };
        return Ok(Reply::new(page, page_text).warn(warnings));
    }
    let (views, problems) = issues::list_all(&store)?;
    let warnings = problem_warnings(&problems);
    if let QueryCommand::Stale(a) = cmd {
        let filter = Filter::parse(a.common.filter.as_deref())?;
        let mut views = views;
        filter.apply(&mut views);
        let mut issues = claims::stale(views, crate::clock::now()?, a.days);
        let total = issues.len();
        if let Some(n) = a.common.limit {
            issues.truncate(n.max(1));
        }
        let page = StalePage {
            issues,
            total,
            next_cursor: None,
            problems,
        };
        return Ok(Reply::new(page, |p: &StalePage, s| {
            if p.issues.is_empty() {
                return "no stale claims\n".into();
            }
            let views: Vec<_> = p.issues.iter().map(|x| x.view.clone()).collect();
            let mut out = super::render::human::issue_table(&views, s);
            for x in &p.issues {
                let exp = x
                    .view
                    .issue
                    .lease
                    .as_ref()
                    .and_then(|l| l.expires_at)
                    .map(|e| match x.reason {
                        "lease_in_future" => format!(" (lease until {e}: dated in the future)"),
                        _ => format!(" (lease expired {e})"),
                    })
                    .unwrap_or_default();
                out.push_str(&format!("{}: {}{exp}\n", x.view.short_id, x.reason));
            }
            out
        })
        .warn(warnings));
    }
    let deferred_table = matches!(cmd, QueryCommand::Deferred(_));
    let (mut selected, common) = match cmd {
        QueryCommand::Ready(c) => {
            let containers = Filter::parse(c.filter.as_deref())?.containers(&store.config()?);
            (queries::ready(views, crate::clock::now()?, &containers), c)
        }
        QueryCommand::Blocked(c) => (queries::blocked(views), c),
        QueryCommand::State(a) => (queries::by_state(views, a.state), a.common),
        QueryCommand::Priority(a) => (queries::by_priority(views, a.priority), a.common),
        QueryCommand::Assignee(a) => (queries::by_assignee(views, &a.assignee), a.common),
        QueryCommand::Deferred(c) => (crate::defer::deferred(views, crate::clock::now()?), c),
        QueryCommand::Stale(_) => unreachable!("handled above"),
    };

    Filter::parse(common.filter.as_deref())?.apply(&mut selected);
    let total = selected.len();
    if let Some(n) = common.limit {
        if n == 0 {
            return Err(crate::error::Error::invalid("limit", "must be at least 1"));
        }
        selected.truncate(n);
    }
    let page = IssuePage {
        issues: selected,
        total,
        next_cursor: None,
        problems,
    };
    if deferred_table {
        return Ok(Reply::new(page, super::defer::page_text).warn(warnings));
    }
    Ok(Reply::new(page, page_text).warn(warnings))
}
