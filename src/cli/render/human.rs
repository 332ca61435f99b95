//! Human renderings of jit's data: issue tables and detail views, event tables and lines.

use super::{Color, Style, clean_block, clean_line};
use crate::model::{Event, GateState, State};
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

/// Shortens text to `max` characters with an ellipsis.
pub fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The state column text: the state, plus `(blocked)` when derived blocked.
pub fn state_cell(v: &IssueView) -> String {
    if v.blocked && !v.issue.state.is_closed() {
        format!("{} (blocked)", v.issue.state)
    } else {
        v.issue.state.to_string()
    }
}

/// A table of issues.
pub fn issue_table(views: &[IssueView], style: &Style) -> String {
    let lines: Vec<crate::pages::Line> = views.iter().map(crate::pages::Line::of_view).collect();
    line_table(&lines, style)
}

/// A table of issues from their table lines.
pub fn line_table(lines: &[crate::pages::Line], _style: &Style) -> String {
    if lines.is_empty() {
        return "no issues\n".to_string();
    }
    let mut t = table(&["ID", "STATE", "PRIORITY", "TYPE", "ASSIGNEE", "TITLE"]);
    for l in lines {
        let mut title = ellipsize(&clean_line(&l.title), 72);
        if let Some(p) = l.progress {
            title.push_str(&format!(" [{}/{} done]", p.done, p.total));
        }
        let state = if l.blocked && !l.state.is_closed() {
            format!("{} (blocked)", l.state)
        } else {
            l.state.to_string()
        };
        t.add_row(vec![
            l.short_id.clone(),
            state,
            l.priority.to_string(),
            clean_line(&l.kind),
            l.assignee
                .as_deref()
                .map(clean_line)
                .unwrap_or_else(|| "-".into()),
            title,
        ]);
    }
    table_string(&t)
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
        let exp = l
            .expires_at
            .map(|e| format!(" until {e}"))
            .unwrap_or_default();
        out.push_str(&kv("lease", format!("{}{exp}", clean_line(&l.holder))));
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
        out.push_str(&kv("due", clean_line(d)));
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
    out.push_str(&kv(
        "created",
        format!(
            "{}{}",
            i.created_at,
            i.reporter
                .as_deref()
                .map(|r| format!(" by {}", clean_line(r)))
                .unwrap_or_default()
        ),
    ));
    out.push_str(&kv(
        "updated",
        format!("{} (version {})", i.updated_at, i.version),
    ));
    if !i.description.trim().is_empty() {
        out.push('\n');
        out.push_str(&clean_block(i.description.trim_end()));
        out.push('\n');
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
            out.push_str(&format!("  {} {}:\n", c.at, clean_line(&c.author)));
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

/// A table of events: TIME, ACTOR, TYPE, ISSUE, WHAT.
pub fn event_table(events: &[Event]) -> String {
    if events.is_empty() {
        return "no events\n".to_string();
    }
    let mut t = table(&["TIME", "ACTOR", "TYPE", "ISSUE", "WHAT"]);
    for e in events {
        t.add_row(vec![
            e.ts.to_string(),
            clean_line(&e.actor),
            clean_line(&e.kind),
            event_issue(e),
            clean_line(&ellipsize(&crate::activity::describe(e), 80)),
        ]);
    }
    table_string(&t)
}

/// One event as one line, for a stream (`events tail`), where a table cannot be aligned.
pub fn event_line(e: &Event) -> String {
    let what = crate::activity::describe(e);
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
