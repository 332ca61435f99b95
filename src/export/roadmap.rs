//! The markdown roadmap: a status legend, one section per milestone in delivery order (each a
//! table of its issues and its exit gate: which issues must be done for it to close), and an
//! "Unplanned" section for the issues without a milestone.
//!
//! Sub-tasks sit under their parent: a sub-task without a milestone of its own belongs to its
//! parent's section, and in a section each parent is followed by its sub-tasks (`↳`, once per
//! level), the parent's row saying how many of them are done.
//!
//! Invariants: no timestamps and no clock, so the output changes only when the store does and a
//! committed roadmap diffs cleanly (rows are in id order within the hierarchy); archived issues
//! are left out and only counted; every cell is one line with `|` escaped.

use super::plan::{self, BLOCKED_SYMBOL, Group};
use crate::model::{IssueId, State};
use crate::view::IssueView;
use std::collections::{BTreeMap, HashMap, HashSet};

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

/// A section's rows in hierarchy order: each issue followed by its sub-tasks of the same
/// section (depth-first, in id order), with each row's depth. A parent chain that loops (a
/// hand edit) is cut where it repeats.
fn nested<'a>(live: &[&'a IssueView]) -> Vec<(&'a IssueView, usize)> {
    let here: HashSet<&IssueId> = live.iter().map(|v| &v.issue.id).collect();
    let mut kids: BTreeMap<&IssueId, Vec<&'a IssueView>> = BTreeMap::new();
    let mut tops = Vec::new();
    for v in live {
        match v
            .issue
            .parent
            .as_ref()
            .filter(|p| here.contains(p) && **p != v.issue.id)
        {
            Some(p) => kids.entry(p).or_default().push(v),
            None => tops.push(*v),
        }
    }
    fn walk<'a>(
        v: &'a IssueView,
        depth: usize,
        kids: &BTreeMap<&IssueId, Vec<&'a IssueView>>,
        seen: &mut HashSet<IssueId>,
        out: &mut Vec<(&'a IssueView, usize)>,
    ) {
        if !seen.insert(v.issue.id.clone()) {
            return;
        }
        out.push((v, depth));
        for k in kids.get(&v.issue.id).map(Vec::as_slice).unwrap_or(&[]) {
            walk(k, depth + 1, kids, seen, out);
        }
    }
    let mut out = Vec::with_capacity(live.len());
    let mut seen = HashSet::new();
    for v in tops {
        walk(v, 0, &kids, &mut seen, &mut out);
    }
    // Rows only reachable through a loop of parents: shown at the top level.
    for v in live {
        if !seen.contains(&v.issue.id) {
            walk(v, 0, &kids, &mut seen, &mut out);
        }
    }
    out
}

/// The task cell: `↳` per level, the title, a parent's sub-task progress, and where a
/// sub-task's parent is when it is in another section.
fn task(v: &IssueView, depth: usize, parent_elsewhere: bool) -> String {
    let mut t = format!("{}{}", "↳ ".repeat(depth), cell(&v.issue.title));
    if let Some(p) = v.progress {
        t.push_str(&format!(" · {} of {} sub-tasks done", p.done, p.total));
    }
    if parent_elsewhere && let Some(p) = &v.issue.parent {
        t.push_str(&format!(" · part of `{}`", p.short()));
    }
    t
}

fn section(out: &mut String, g: &Group<'_>, archived: usize, known: &HashSet<&IssueId>) {
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
    let rows = nested(&live);
    let here: HashSet<&IssueId> = live.iter().map(|v| &v.issue.id).collect();
    out.push_str("| ID | Task | Type | Status | Assignee | Evidence | Done when |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    for (v, depth) in &rows {
        let i = &v.issue;
        let elsewhere = i
            .parent
            .as_ref()
            .is_some_and(|p| !here.contains(p) && known.contains(p));
        out.push_str(&format!(
            "| `{}` | {} | {} | {} | {} | {} | {} |\n",
            v.short_id,
            task(v, *depth, elsewhere),
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
    for (v, _) in &rows {
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
    let known: HashSet<&IssueId> = views.iter().map(|v| &v.issue.id).collect();
    let placed = under_parents(views);
    let placed: Vec<&IssueView> = placed.iter().collect();
    for g in plan::by_milestone(&placed) {
        let archived = g
            .issues
            .iter()
            .filter(|v| v.issue.state == State::Archived)
            .count();
        section(&mut out, &g, archived, &known);
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// The views with each sub-task that has no milestone of its own given its parent's (the
/// nearest ancestor's that has one), so it is listed in its parent's section; and each parent's
/// progress over its sub-tasks (archived ones left out).
fn under_parents(views: &[&IssueView]) -> Vec<IssueView> {
    let by_id: HashMap<&IssueId, &IssueView> = views.iter().map(|v| (&v.issue.id, *v)).collect();
    let mut progress: HashMap<&IssueId, crate::view::Progress> = HashMap::new();
    for v in views {
        if let Some(p) = &v.issue.parent
            && by_id.contains_key(p)
            && v.issue.state != State::Archived
        {
            let e = progress.entry(p).or_default();
            e.total += 1;
            e.done += usize::from(v.issue.state == State::Done);
        }
    }
    views
        .iter()
        .map(|v| {
            let mut c = (*v).clone();
            let mut cur = v;
            let mut steps = 0;
            while c.issue.milestone.is_none()
                && steps < views.len()
                && let Some(p) = cur.issue.parent.as_ref().and_then(|p| by_id.get(p))
            {
                c.issue.milestone = p.issue.milestone.clone();
                cur = p;
                steps += 1;
            }
            c.progress = progress.get(&v.issue.id).copied();
            c
        })
        .collect()
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
