//! `jit issue update` of several issues (`ID ID ...`, `--filter QUERY`): one transaction for
//! all of them, `--dry-run`, and the `--limit`/`--yes` guard against a filter that matches far
//! more than meant.

use super::Reply;
use super::render::table::{self, Cell, Column, Layout};
use super::render::{Color, Style, clean_line, human};
use crate::error::Result;
use crate::model::{Actor, Change};
use crate::ops::issues::{self, BulkOutcome, BulkTargets, UpdateRequest};
use crate::store::Store;

/// The default `--limit` of a filtered update.
pub const DEFAULT_LIMIT: usize = 50;

/// Which issues a bulk update names and how far it may go.
pub struct Target {
    pub ids: Vec<String>,
    pub filter: Option<String>,
    pub limit: Option<usize>,
    pub yes: bool,
    pub dry_run: bool,
}

pub fn run(store: &Store, actor: &Actor, t: Target, req: UpdateRequest) -> Result<Reply> {
    let filter = super::filter::Filter::parse(t.filter.as_deref(), store)?;
    if t.limit == Some(0) {
        return Err(crate::error::Error::invalid("limit", "must be at least 1"));
    }
    let accept = |v: &crate::view::IssueView| filter.matches(v);
    let targets = BulkTargets {
        ids: &t.ids,
        filter: t
            .filter
            .is_some()
            .then_some(&accept as &dyn Fn(&crate::view::IssueView) -> bool),
        limit: (!t.yes).then(|| t.limit.unwrap_or(DEFAULT_LIMIT)),
    };
    let out = issues::update_many(store, actor, &targets, req, t.dry_run)?;
    Ok(Reply::new(out, text))
}

fn short_value(v: &serde_json::Value) -> String {
    let s = match v {
        serde_json::Value::Null => "-".to_string(),
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    human::ellipsize(&clean_line(&s), 40)
}

fn change_text(c: &[Change]) -> String {
    if c.is_empty() {
        return "(already so)".into();
    }
    c.iter()
        .map(|c| {
            format!(
                "{}: {} -> {}",
                c.field,
                short_value(&c.before),
                short_value(&c.after)
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn text(o: &BulkOutcome, s: &Style) -> String {
    let mut out = if o.dry_run {
        format!(
            "would change {} of {} issue(s); nothing was written (dry run)\n",
            o.changed, o.total
        )
    } else {
        format!("changed {} of {} issue(s)\n", o.changed, o.total)
    };
    if o.issues.is_empty() {
        return out;
    }
    let cols = [
        Column::keep("ID"),
        Column::keep("STATE"),
        Column::optional("TITLE", 1),
        Column::flex("CHANGES", 24),
    ];
    let rows: Vec<Vec<Cell>> = o
        .issues
        .iter()
        .map(|i| {
            let v = &i.outcome.view;
            vec![
                Cell::new(v.short_id.clone()),
                Cell::painted(
                    human::state_cell(v),
                    Some(human::state_color(v.issue.state)),
                ),
                Cell::new(human::ellipsize(&clean_line(&v.issue.title), 30)),
                Cell::painted(
                    change_text(&i.changes),
                    (!i.changes.is_empty()).then_some(Color::Yellow),
                ),
            ]
        })
        .collect();
    out.push_str(&table::render(&cols, &rows, s, Layout::stdout()));
    for i in &o.issues {
        let t = &i.outcome.transition;
        if !t.pending_gates.is_empty() {
            out.push_str(&format!(
                "{} waits on gates: {}\n",
                i.outcome.view.short_id,
                t.pending_gates.join(", ")
            ));
        }
        for p in &t.promoted {
            out.push_str(&format!(
                "now ready: {}\n",
                crate::model::IssueId::parse(p)
                    .map(|x| x.short())
                    .unwrap_or_default()
            ));
        }
    }
    out
}
