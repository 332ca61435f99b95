//! The markdown roadmap: a status legend, one section per milestone in delivery order (each a
//! table of its issues and its exit gate: which issues must be done for it to close), and an
//! "Unplanned" section for the issues without a milestone.
//!
//! Invariants: no timestamps and no clock, so the output changes only when the store does and a
//! committed roadmap diffs cleanly; archived issues are left out and only counted; every cell is
//! one line with `|` escaped.

use super::plan::{self, BLOCKED_SYMBOL, Group};
use crate::model::State;
use crate::view::IssueView;

/// Escapes text for a markdown table cell: `|` and backslashes escaped, line breaks as `<br>`.
pub fn cell(s: &str) -> String {
    let s = s.trim();
    if s.is_empty() {
        return "—".to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut lines = s.lines().peekable();
    while let Some(line) = lines.next() {
        for c in line.chars() {
            match c {
                '|' => out.push_str("\\|"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push(' '),
                c => out.push(c),
            }
        }
        if lines.peek().is_some() {
            out.push_str("<br>");
        }
    }
    out
}

/// The status cell: symbol and state, plus the blocked marker.
pub fn status(v: &IssueView) -> String {
    let mut s = format!(
        "{} {}",
        plan::state_symbol(v.issue.state),
        plan::state_label(v.issue.state)
    );
    if v.blocked {
        s.push_str(&format!(" {BLOCKED_SYMBOL} blocked"));
    }
    s
}

fn legend(out: &mut String) {
    out.push_str("## Status legend\n\n| Symbol | Status |\n|---|---|\n");
    let rows: [(&str, &str); 7] = [
        (plan::state_symbol(State::Done), "done"),
        (plan::state_symbol(State::InProgress), "in progress"),
        (
            plan::state_symbol(State::Gated),
            "gated: work finished, waiting on its gates",
        ),
        (
            plan::state_symbol(State::Ready),
            "ready: every dependency done, can start",
        ),
        (
            plan::state_symbol(State::Backlog),
            "backlog: waiting on dependencies",
        ),
        (
            plan::state_symbol(State::Archived),
            "archived: left out, only counted",
        ),
        (
            BLOCKED_SYMBOL,
            "blocked: unfinished dependencies, or gates failed or pending",
        ),
    ];
    for (sym, text) in rows {
        out.push_str(&format!("| {sym} | {text} |\n"));
    }
    out.push('\n');
}

fn section(out: &mut String, g: &Group<'_>, archived: usize) {
    out.push_str(&format!("## {}\n\n", cell(g.name())));
    let live: Vec<&IssueView> = g
        .issues
        .iter()
        .copied()
        .filter(|v| v.issue.state != State::Archived)
        .collect();
    let done = live.iter().filter(|v| v.issue.state == State::Done).count();
    let mut facts = Vec::new();
    if let Some(d) = &g.due {
        facts.push(format!("Due {d}"));
    }
    facts.push(format!("{done} of {} done", live.len()));
    if archived > 0 {
        facts.push(format!("{archived} archived, not shown"));
    }
    out.push_str(&facts.join(" · "));
    out.push_str("\n\n");
    if live.is_empty() {
        return;
    }
    out.push_str("| ID | Task | Type | Status | Assignee | Evidence | Done when |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for v in &live {
        let i = &v.issue;
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            v.short_id,
            cell(&i.title),
            cell(&i.kind),
            status(v),
            cell(i.assignee.as_deref().unwrap_or("")),
            cell(i.evidence.as_deref().unwrap_or("")),
            cell(i.done_when.as_deref().unwrap_or("")),
        ));
    }
    out.push('\n');
    if g.milestone.is_none() {
        return;
    }
    if done == live.len() {
        out.push_str(&format!(
            "**Exit gate:** {done} of {} done. Closed: every issue is done.\n\n",
            live.len()
        ));
        return;
    }
    out.push_str(&format!(
        "**Exit gate:** {done} of {} done. Must be done to close:\n\n",
        live.len()
    ));
    for v in &live {
        let mark = if v.issue.state == State::Done {
            "x"
        } else {
            " "
        };
        let tail = if v.issue.state == State::Done {
            String::new()
        } else {
            format!(" ({})", status(v))
        };
        out.push_str(&format!(
            "- [{mark}] `{}` {}{tail}\n",
            v.short_id,
            cell(&v.issue.title)
        ));
    }
    out.push('\n');
}

/// Renders the roadmap of `views` (already filtered) for the project `project`.
pub fn render(project: &str, views: &[&IssueView]) -> String {
    let project = if project.trim().is_empty() {
        "Project"
    } else {
        project.trim()
    };
    let mut out = format!("# {} roadmap\n\n", cell(project));
    out.push_str(
        "Generated by `jit export roadmap` from the issues in `.jit/`; edit the issues, not this file.\n\n",
    );
    let live: Vec<&IssueView> = views
        .iter()
        .copied()
        .filter(|v| v.issue.state != State::Archived)
        .collect();
    let archived = views.len() - live.len();
    let stats = plan::Stats::of(live.iter().copied());
    let count = |s: State| live.iter().filter(|v| v.issue.state == s).count();
    let mut summary = format!(
        "**Progress:** {} of {} done · {} in progress · {} gated · {} ready · {} backlog · {} blocked",
        stats.done,
        stats.total,
        stats.in_progress,
        count(State::Gated),
        count(State::Ready),
        count(State::Backlog),
        stats.blocked
    );
    if archived > 0 {
        summary.push_str(&format!(" ({archived} archived, not shown)"));
    }
    out.push_str(&summary);
    out.push_str("\n\n");
    legend(&mut out);
    if views.is_empty() {
        out.push_str("No issues.\n");
        return out;
    }
    for g in plan::by_milestone(views) {
        let archived = g
            .issues
            .iter()
            .filter(|v| v.issue.state == State::Archived)
            .count();
        section(&mut out, &g, archived);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn cells_are_one_line_with_pipes_escaped() {
        assert_eq!(cell("a | b"), "a \\| b");
        assert_eq!(cell("one\ntwo"), "one<br>two");
        assert_eq!(cell("  "), "—");
    }
}
