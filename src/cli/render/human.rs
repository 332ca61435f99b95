//! Human renderings of jit's data: issue tables and detail views, event tables and lines.

use super::table::{self, Cell, Column, Layout};
use super::term::{self, relative};
use super::{Color, Style, clean_block, clean_line};
use crate::hierarchy::SubTask;
use crate::model::{Event, GateState, Priority, State};
use crate::view::{Blocker, IssueView};
use comfy_table::{ContentArrangement, Table, presets};

/// A borderless table with a header row.
pub fn table(headers: &[&str]) -> Table {
    let mut t = Table::new();
    t.load_style(presets::NOTHING)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    t
}

/// Trims a table's trailing spaces per line.
pub fn table_string(t: &Table) -> String {
    let mut s: String = t
        .to_string()
        .lines()
        .map(|l| l.trim_end())
        .collect::<Vec<_>>()
        .join("\n");
    s.push('\n');
    s
}

/// Colour for a state.
pub fn state_color(s: State) -> Color {
    match s {
        State::Backlog => Color::Dim,
        State::Ready => Color::Green,
        State::InProgress => Color::Blue,
        State::Gated => Color::Yellow,
        State::Done => Color::Cyan,
        State::Archived => Color::Dim,
    }
}

/// Shortens text to `max` characters with an ellipsis, on a terminal only: output to a pipe or
/// a file keeps every character.
pub fn ellipsize(s: &str, max: usize) -> String {
    if term::width().is_none() || s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The state column text: the state, plus `(blocked)` when derived blocked and `(deferred)`
/// while set aside.
pub fn state_cell(v: &IssueView) -> String {
    let mut marks = Vec::new();
    if v.blocked && !v.issue.state.is_closed() {
        marks.push("blocked");
    }
    if crate::rules::deferred(&v.issue, super::term::now().millis()) {
        marks.push("deferred");
    }
    if marks.is_empty() {
        v.issue.state.to_string()
    } else {
        format!("{} ({})", v.issue.state, marks.join(", "))
    }
}

/// Colour for a priority: the urgent ones stand out, low recedes.
pub fn priority_color(p: Priority) -> Option<Color> {
    match p {
        Priority::Critical => Some(Color::Red),
        Priority::High => Some(Color::Yellow),
        Priority::Normal => None,
        Priority::Low => Some(Color::Dim),
    }
}

/// The columns of an issue table. When the terminal is narrow the title is cut first (down to
/// 20 characters), then UPDATED, TYPE, ASSIGNEE and PRIORITY are dropped, in that order.
const ISSUE_COLUMNS: [Column; 7] = [
    Column::keep("ID"),
    Column::keep("STATE"),
    Column::optional("PRIORITY", 1),
    Column::optional("TYPE", 3),
    Column::optional("ASSIGNEE", 2),
    Column::optional("UPDATED", 4),
    Column::flex("TITLE", 20),
];

/// A table of issues, fitted to the terminal (see [`super::table`]).
pub fn issue_table(views: &[IssueView], style: &Style) -> String {
    issue_table_in(views, style, Layout::stdout())
}

/// [`issue_table`] in a given layout.
pub fn issue_table_in(views: &[IssueView], style: &Style, layout: Layout) -> String {
    let lines: Vec<crate::pages::Line> = views.iter().map(crate::pages::Line::of_view).collect();
    line_table_in(&lines, style, layout)
}

/// A table of issues from their table lines (what a page prints), fitted to the terminal.
pub fn line_table(lines: &[crate::pages::Line], style: &Style) -> String {
    line_table_in(lines, style, Layout::stdout())
}

/// [`line_table`] in a given layout.
pub fn line_table_in(lines: &[crate::pages::Line], style: &Style, layout: Layout) -> String {
    if lines.is_empty() {
        return "no issues\n".to_string();
    }
    let now = super::term::now().millis();
    let rows: Vec<Vec<Cell>> = lines
        .iter()
        .map(|l| {
            let tail = l
                .progress
                .map(|p| format!(" [{}/{} done]", p.done, p.total))
                .unwrap_or_default();
            vec![
                Cell::new(l.short_id.clone()),
                Cell::painted(line_state_cell(l, now), Some(state_color(l.state))),
                Cell::painted(l.priority.to_string(), priority_color(l.priority)),
                Cell::new(clean_line(&l.kind)),
                Cell::new(
                    l.assignee
                        .as_deref()
                        .map(clean_line)
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::painted(super::term::relative(l.updated_at), Some(Color::Dim)),
                Cell::new(clean_line(&l.title)).with_tail(tail),
            ]
        })
        .collect();
    table::render(&ISSUE_COLUMNS, &rows, style, layout)
}

/// [`state_cell`] for a table line.
fn line_state_cell(l: &crate::pages::Line, now_ms: i64) -> String {
    let mut marks = Vec::new();
    if l.blocked && !l.state.is_closed() {
        marks.push("blocked");
    }
    if !l.state.is_closed() && l.deferred_until.is_some_and(|u| u.millis() > now_ms) {
        marks.push("deferred");
    }
    if marks.is_empty() {
        l.state.to_string()
    } else {
        format!("{} ({})", l.state, marks.join(", "))
    }
}

/// One line describing a blocker.
pub fn blocker_line(b: &Blocker) -> String {
    match b {
        Blocker::Dependency {
            short_id,
            title,
            state,
            ..
        } => format!(
            "dependency {short_id} {} ({})",
            title
                .as_deref()
                .map(|t| clean_line(&ellipsize(t, 50)))
                .unwrap_or_default(),
            state
                .map(|s| s.to_string())
                .unwrap_or_else(|| "missing".into())
        ),
        Blocker::Gate { key, stage, status } => format!(
            "gate {} ({}{})",
            clean_line(key),
            status,
            stage.map(|s| format!(", {s}")).unwrap_or_default()
        ),
    }
}

/// The full detail view of one issue.
pub fn issue_detail(v: &IssueView, style: &Style) -> String {
    issue_detail_with(v, &[], style)
}

/// The full detail view of one issue, with its sub-tasks (for a parent).
pub fn issue_detail_with(v: &IssueView, subtasks: &[SubTask], style: &Style) -> String {
    let now = term::now();
    let i = &v.issue;
    let mut out = String::new();
    let kv = |k: &str, v: String| format!("{:<13}{v}\n", format!("{k}:"));
    out.push_str(&format!(
        "{}  {}\n",
        style.paint(&v.short_id, Color::Bold),
        style.paint(&clean_line(&i.title), Color::Bold)
    ));
    out.push_str(&kv("id", i.id.to_string()));
    out.push_str(&kv(
        "state",
        style.paint(&state_cell(v), state_color(i.state)),
    ));
    out.push_str(&kv("priority", i.priority.to_string()));
    out.push_str(&kv("type", clean_line(&i.kind)));
    out.push_str(&kv(
        "assignee",
        i.assignee
            .as_deref()
            .map(clean_line)
            .unwrap_or_else(|| "-".into()),
    ));
    if let Some(l) = &i.lease {
        let exp = match l.expires_at {
            Some(e) if e <= now => format!(", expired {}", term::relative_to(e, now)),
            Some(e) => format!(", ends {} ({})", term::relative_to(e, now), term::minute(e)),
            None => String::new(),
        };
        out.push_str(&kv("lease", format!("{}{exp}", clean_line(&l.holder))));
    }
    if let Some(d) = i.deferred_until {
        let how = if crate::rules::deferred(i, now.millis()) {
            format!(
                "until {} ({}); not ready work until then",
                term::minute(d),
                term::relative_to(d, now)
            )
        } else {
            format!("until {} (passed)", term::minute(d))
        };
        out.push_str(&kv("deferred", style.paint(&how, Color::Magenta)));
    }
    if !i.labels.is_empty() {
        out.push_str(&kv(
            "labels",
            i.labels
                .iter()
                .map(|l| clean_line(l))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if let Some(m) = &i.milestone {
        out.push_str(&kv("milestone", clean_line(m)));
    }
    if let Some(p) = &i.parent {
        out.push_str(&kv("parent", p.short()));
    }
    if let Some(p) = v.progress {
        out.push_str(&kv("progress", format!("{}/{} done", p.done, p.total)));
    }
    if let Some(d) = &i.due {
        let when = term::due(d, now)
            .map(|w| format!(" ({w})"))
            .unwrap_or_default();
        out.push_str(&kv("due", format!("{}{when}", clean_line(d))));
    }
    if let Some(e) = i.estimate {
        out.push_str(&kv("estimate", format!("{e}")));
    }
    if let Some(vis) = i.visibility {
        out.push_str(&kv("visibility", vis.to_string()));
    }
    if !i.dependencies.is_empty() {
        out.push_str(&kv(
            "depends on",
            i.dependencies
                .iter()
                .map(|d| d.short())
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if !v.blocked_by.is_empty() {
        out.push_str("blocked by:\n");
        for b in &v.blocked_by {
            out.push_str(&format!(
                "  - {}\n",
                style.paint(&blocker_line(b), Color::Red)
            ));
        }
    }
    if !i.gates_required.is_empty() {
        out.push_str("gates:\n");
        for k in &i.gates_required {
            let st = i.gates_status.get(k);
            let status = st.map(|g| g.status).unwrap_or(GateState::Pending);
            let color = match status {
                GateState::Passed => Color::Green,
                GateState::Failed => Color::Red,
                GateState::Pending => Color::Yellow,
            };
            let by = st
                .and_then(|g| g.by.as_deref())
                .map(|b| format!(" by {}", clean_line(b)))
                .unwrap_or_default();
            out.push_str(&format!(
                "  - {:<20} {}{by}\n",
                clean_line(k),
                style.paint(status.as_str(), color)
            ));
        }
    }
    if let Some(e) = &i.evidence {
        out.push_str(&kv("evidence", clean_line(e)));
    }
    if let Some(d) = &i.done_when {
        out.push_str(&kv("done when", clean_line(d)));
    }
    if !i.context.is_empty() {
        out.push_str("context:\n");
        for (k, val) in &i.context {
            out.push_str(&format!("  {}: {}\n", clean_line(k), clean_line(val)));
        }
    }
    if !i.merge_conflicts.is_empty() {
        out.push_str(&format!(
            "merge conflicts ({}; `jit issue update {} --clear-merge-conflicts` once read):\n",
            i.merge_conflicts.len(),
            i.short_id()
        ));
        for c in &i.merge_conflicts {
            let discarded = match &c.discarded {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            out.push_str(&format!(
                "  {} {} ({}): discarded {}\n",
                term::relative_to(c.at, now),
                clean_line(&c.field),
                clean_line(&c.reason),
                clean_line(&discarded)
            ));
        }
    }
    out.push_str(&kv(
        "created",
        format!(
            "{}{}",
            term::relative_to(i.created_at, now),
            i.reporter
                .as_deref()
                .map(|r| format!(" by {}", clean_line(r)))
                .unwrap_or_default()
        ),
    ));
    if let Some(t) = i.started_at {
        out.push_str(&kv("started", term::relative_to(t, now)));
    }
    if let Some(t) = i.finished_at {
        let took = i
            .started_at
            .filter(|s| *s <= t)
            .map(|s| format!(", after {} of work", term::span(t.millis() - s.millis())))
            .unwrap_or_default();
        out.push_str(&kv(
            "finished",
            format!("{}{took}", term::relative_to(t, now)),
        ));
    }
    out.push_str(&kv(
        "updated",
        format!(
            "{} (version {})",
            term::relative_to(i.updated_at, now),
            i.version
        ),
    ));
    if !i.description.trim().is_empty() {
        out.push('\n');
        out.push_str(&clean_block(i.description.trim_end()));
        out.push('\n');
    }
    if !subtasks.is_empty() {
        let done = subtasks.iter().filter(|t| t.state == State::Done).count();
        out.push_str(&format!("\nsub-tasks ({done}/{} done):\n", subtasks.len()));
        out.push_str(&subtask_table(subtasks, style, Layout::stdout()));
    }
    if !i.checklist.is_empty() {
        out.push_str("\nchecklist:\n");
        for c in &i.checklist {
            out.push_str(&format!(
                "  [{}] {}\n",
                if c.checked { "x" } else { " " },
                clean_line(&c.text)
            ));
        }
    }
    if !i.links.is_empty() {
        out.push_str("\nlinks:\n");
        for l in &i.links {
            out.push_str(&format!(
                "  {:<11}{}\n",
                l.kind.as_str(),
                clean_line(&crate::view::short_of_stored(&l.target))
            ));
        }
    }
    if let Some(from) = v.linked_from.as_ref().filter(|f| !f.is_empty()) {
        out.push_str("\nlinked from:\n");
        for l in from {
            let how = match l.kind {
                crate::model::LinkKind::Relates => "relates to this",
                crate::model::LinkKind::Duplicates => "duplicates this",
            };
            out.push_str(&format!("  {} {how}\n", clean_line(&l.short_id)));
        }
    }
    if !i.prs.is_empty() {
        out.push_str("\npull requests:\n");
        for p in &i.prs {
            let status = p
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "-".into());
            let ci = p.ci.map(|s| format!(", ci {s}")).unwrap_or_default();
            out.push_str(&format!("  {} ({status}{ci})\n", clean_line(&p.url)));
        }
    }
    if !i.comments.is_empty() {
        out.push_str("\ncomments:\n");
        for c in &i.comments {
            out.push_str(&format!(
                "  {} {}:\n",
                term::relative_to(c.at, now),
                clean_line(&c.author)
            ));
            for line in clean_block(&c.body).lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
    }
    out
}

/// The short id an event names, or `-` for events about no issue (gate definitions).
fn event_issue(e: &Event) -> String {
    e.issue
        .as_deref()
        .map(|i| clean_line(&crate::view::short_of_stored(i)))
        .unwrap_or_else(|| "-".into())
}

/// A table of events: TIME (relative), ACTOR, TYPE, ISSUE, WHAT; fitted to the terminal (WHAT
/// is cut, then ISSUE and ACTOR dropped).
pub fn event_table(events: &[Event]) -> String {
    if events.is_empty() {
        return "no events\n".to_string();
    }
    let cols = [
        Column::keep("TIME"),
        Column::optional("ACTOR", 1),
        Column::keep("TYPE"),
        Column::optional("ISSUE", 2),
        Column::flex("WHAT", 16),
    ];
    let rows: Vec<Vec<Cell>> = events
        .iter()
        .map(|e| {
            vec![
                Cell::new(relative(e.ts)),
                Cell::new(clean_line(&e.actor)),
                Cell::new(clean_line(&e.kind)),
                Cell::new(event_issue(e)),
                Cell::new(clean_line(&crate::history::describe(e))),
            ]
        })
        .collect();
    table::render(&cols, &rows, &Style::plain(), Layout::stdout())
}

/// A parent's sub-tasks: ID, STATE, ASSIGNEE, TITLE, indented under the detail view.
pub fn subtask_table(subtasks: &[SubTask], style: &Style, mut layout: Layout) -> String {
    layout.header = false;
    layout.indent = 2;
    let cols = [
        Column::keep("ID"),
        Column::keep("STATE"),
        Column::optional("ASSIGNEE", 1),
        Column::flex("TITLE", 16),
    ];
    let rows: Vec<Vec<Cell>> = subtasks
        .iter()
        .map(|t| {
            let state = if t.blocked && !t.state.is_closed() {
                format!("{} (blocked)", t.state)
            } else {
                t.state.to_string()
            };
            vec![
                Cell::new(t.short_id.clone()),
                Cell::painted(state, Some(state_color(t.state))),
                Cell::new(
                    t.assignee
                        .as_deref()
                        .map(clean_line)
                        .unwrap_or_else(|| "-".into()),
                ),
                Cell::new(clean_line(&t.title)),
            ]
        })
        .collect();
    table::render(&cols, &rows, style, layout)
}

/// One event as one line, for a stream (`events tail`), where a table cannot be aligned.
pub fn event_line(e: &Event) -> String {
    let what = crate::history::describe(e);
    let mut line = format!(
        "{}  {:<18} {:<20} {:<8}  {}",
        e.ts,
        clean_line(&e.actor),
        clean_line(&e.kind),
        event_issue(e),
        clean_line(&ellipsize(&what, 100))
    );
    line.truncate(line.trim_end().len());
    line.push('\n');
    line
}

/// What an event did, as a few words: `issue.state_changed` is `state changed`, `gate.passed`
/// is `gate passed`.
pub fn event_verb(kind: &str) -> String {
    kind.strip_prefix("issue.")
        .unwrap_or(kind)
        .replace(['.', '_'], " ")
}

/// One issue's events as a timeline: a heading per day (with how long ago it was), then one
/// line per event with its time, actor, what happened and the details; fitted to the terminal.
pub fn timeline(events: &[Event], style: &Style) -> String {
    let now = term::now();
    let cols = [
        Column::keep("TIME"),
        Column::optional("ACTOR", 1),
        Column::keep("EVENT"),
        Column::flex("WHAT", 16),
    ];
    let rows: Vec<Vec<Cell>> = events
        .iter()
        .map(|e| {
            vec![
                Cell::painted(
                    e.ts.datetime().format("%H:%M:%S").to_string(),
                    Some(Color::Dim),
                ),
                Cell::new(clean_line(&e.actor)),
                Cell::painted(event_verb(&e.kind), Some(event_color(&e.kind))),
                Cell::new(clean_line(&crate::history::describe(e))),
            ]
        })
        .collect();
    let mut layout = Layout::stdout();
    layout.header = false;
    layout.indent = 2;
    let lines = table::lines(&cols, &rows, style, layout);
    let mut out = String::new();
    let mut day = None;
    for (e, line) in events.iter().zip(lines) {
        let d = e.ts.datetime().date_naive();
        if day != Some(d) {
            let start = crate::model::Timestamp::from_datetime(
                d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc(),
            );
            let ago = if d == now.datetime().date_naive() {
                "today".to_string()
            } else {
                term::relative_to(start.max(e.ts.min(now)), now)
            };
            out.push_str(
                &style.paint(&format!("{} · {ago}", d.format("%a %Y-%m-%d")), Color::Bold),
            );
            out.push('\n');
            day = Some(d);
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn event_color(kind: &str) -> Color {
    match kind {
        "issue.created" => Color::Green,
        "gate.failed" | "lease.expired" | "issue.deleted" => Color::Red,
        "gate.passed" | "issue.claimed" => Color::Cyan,
        "issue.state_changed" | "issue.reopened" => Color::Yellow,
        _ => Color::Blue,
    }
}
