//! `jit issue defer ID --until DATE|DURATION`, `jit issue undefer ID`, and the table of
//! `jit query deferred`.

use super::render::table::{self, Cell, Column, Layout};
use super::render::{Color, Style, clean_line, human, term};
use super::{Ctx, Reply};
use crate::error::Result;
use crate::ops::Mutation;
use crate::ops::defer::{self, Deferral};
use clap::Args;

#[derive(Debug, Args)]
pub struct DeferArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Until when: a date (`2026-03-01`, its start in UTC), an RFC 3339 time, or a span from
    /// now (`3d`, `2w`, `1h30m`).
    #[arg(long, value_name = "DATE|DURATION")]
    pub until: String,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
}

#[derive(Debug, Args)]
pub struct UndeferArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
}

fn text(d: &Deferral, s: &Style) -> String {
    let v = &d.view;
    let id = s.paint(&v.short_id, Color::Bold);
    match v.issue.deferred_until {
        Some(u) => format!(
            "{id} {} is deferred until {} ({}); it is not ready work until then\n",
            clean_line(&human::ellipsize(&v.issue.title, 60)),
            term::minute(u),
            term::relative(u)
        ),
        None if d.changed => format!("{id} is no longer deferred (now {})\n", v.issue.state),
        None => format!("{id} was not deferred\n"),
    }
}

pub fn defer(ctx: &Ctx, a: DeferArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let req = defer::DeferRequest {
        id: a.id,
        until: a.until,
        if_version: a.if_version,
    };
    let out = req.run(&store, &actor)?;
    Ok(Reply::issue(out, text))
}

pub fn undefer(ctx: &Ctx, a: UndeferArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let req = defer::UndeferRequest {
        id: a.id,
        if_version: a.if_version,
    };
    let out = req.run(&store, &actor)?;
    Ok(Reply::issue(out, text))
}

/// `query deferred` for people: when each issue comes back, soonest first.
pub fn page_text(issues: &[crate::view::IssueView], s: &Style) -> String {
    if issues.is_empty() {
        return "no deferred issues\n".into();
    }
    let cols = [
        Column::keep("ID"),
        Column::keep("UNTIL"),
        Column::optional("STATE", 2),
        Column::optional("PRIORITY", 1),
        Column::flex("TITLE", 20),
    ];
    let rows: Vec<Vec<Cell>> = issues
        .iter()
        .map(|v| {
            let i = &v.issue;
            vec![
                Cell::new(v.short_id.clone()),
                Cell::painted(
                    i.deferred_until.map(term::relative).unwrap_or_default(),
                    Some(Color::Magenta),
                ),
                Cell::painted(i.state.to_string(), Some(human::state_color(i.state))),
                Cell::painted(i.priority.to_string(), human::priority_color(i.priority)),
                Cell::new(clean_line(&i.title)),
            ]
        })
        .collect();
    table::render(&cols, &rows, s, Layout::stdout())
}
