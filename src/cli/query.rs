//! `jit query ready|blocked|state|priority|assignee`.

use super::filter::Filter;
use super::issue::{ShapeArgs, page_reply, problem_warnings};
use super::{Ctx, Reply};
use crate::error::Result;
use crate::model::{Priority, State};
use crate::ops::claims::{self, Stale};
use crate::queries::Select;
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
    #[arg(long, value_name = "QUERY", help = super::args::FILTER)]
    pub filter: Option<String>,
    /// At most this many issues.
    #[arg(long)]
    pub limit: Option<usize>,
}

/// The list shape of every query (`issues`, `total`, `next_cursor`, `problems`), with each
/// issue's `reason`.
#[derive(Serialize)]
struct StalePage {
    /// Whole issues (each with its `reason`): the full shape.
    shape: &'static str,
    issues: Vec<Stale>,
    total: usize,
    /// Always null: `query stale` has no `--cursor` (the list schema's field, present).
    next_cursor: Option<String>,
    problems: Vec<crate::store::FileProblem>,
}

#[derive(Debug, Args, Default)]
pub struct Common {
    #[arg(long, value_name = "QUERY", help = super::args::FILTER)]
    pub filter: Option<String>,
    /// At most this many issues; the reply carries `next_cursor` when more remain.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Continue after this cursor (from a previous `next_cursor`).
    #[arg(long)]
    pub cursor: Option<String>,
    #[command(flatten)]
    pub shape: ShapeArgs,
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
    let (select, common) = match cmd {
        QueryCommand::Stale(a) => return stale(ctx, a),
        QueryCommand::Deferred(c) => return deferred(ctx, c),
        QueryCommand::Ready(c) => (Select::Ready, c),
        QueryCommand::Blocked(c) => (Select::Blocked, c),
        QueryCommand::State(a) => (Select::State(a.state), a.common),
        QueryCommand::Priority(a) => (Select::Priority(a.priority), a.common),
        QueryCommand::Assignee(a) => (Select::Assignee(a.assignee), a.common),
    };
    let req = crate::ops::lists::QueryRequest {
        filter: common.filter,
        limit: common.limit,
        cursor: common.cursor,
        fields: (common.shape.fields).map(|f| f.split(',').map(str::to_string).collect()),
        full: Some(common.shape.full),
    };
    Ok(page_reply(req.page(&store, select)?))
}

/// `query deferred`: issues set aside, soonest back first. Whole issues (the full shape): a
/// deferral list is short, and people see when each comes back.
fn deferred(ctx: &Ctx, c: Common) -> Result<Reply> {
    let store = ctx.store()?;
    let (views, problems) = crate::view::list_all(&store)?;
    let warnings = problem_warnings(&problems);
    let mut selected = crate::ops::defer::deferred(views, crate::clock::now()?);
    Filter::parse(c.filter.as_deref(), &store)?.apply(&mut selected);
    let total = selected.len();
    if let Some(n) = c.limit {
        if n == 0 {
            return Err(crate::error::Error::invalid("limit", "must be at least 1"));
        }
        selected.truncate(n);
    }
    let page = crate::pages::FullPage {
        shape: crate::pages::FullTag::Full,
        issues: selected,
        total,
        next_cursor: None,
        problems,
    };
    Ok(Reply::new(page, |p: &crate::pages::FullPage, s| {
        super::defer::page_text(&p.issues, s)
    })
    .warn(warnings))
}

fn stale(ctx: &Ctx, a: StaleArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let (views, problems) = crate::view::list_all(&store)?;
    let warnings = problem_warnings(&problems);
    let filter = Filter::parse(a.filter.as_deref(), &store)?;
    let mut views = views;
    filter.apply(&mut views);
    let mut issues = claims::stale(views, crate::clock::now()?, a.days);
    let total = issues.len();
    if let Some(n) = a.limit {
        issues.truncate(n.max(1));
    }
    let page = StalePage {
        shape: crate::pages::SHAPE_FULL,
        issues,
        total,
        next_cursor: None,
        problems,
    };
    Ok(Reply::new(page, |p: &StalePage, s| {
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
    .warn(warnings))
}
