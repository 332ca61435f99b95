//! One issue's history and its LLM-ready context.
//!
//! Invariant: both read the event log without the lock and tolerate torn or duplicated lines.

use crate::error::Result;
use crate::model::{Event, GateState, IssueId};
use crate::store::{Store, events};
use crate::view::IssueView;
use serde::Serialize;

/// One issue's events, oldest first, plus how many log lines could not be read.
#[derive(Debug, Serialize)]
pub struct IssueLog {
    pub id: String,
    pub short_id: String,
    pub events: Vec<Event>,
    pub unreadable_lines: usize,
}

/// Reads one issue's events.
pub fn issue_log(store: &Store, id: &IssueId) -> Result<IssueLog> {
    // Streamed: only this issue's events are kept.
    let mut events: Vec<Event> = Vec::new();
    let scanned = events::scan(&store.events_path(), |e| {
        if e.issue.as_deref() == Some(id.as_str()) {
            events.push(e);
        }
        std::ops::ControlFlow::Continue(())
    })?;
    events.sort_by(|a, b| a.id.cmp(&b.id));
    events.dedup_by(|a, b| a.id == b.id);
    Ok(IssueLog {
        id: id.to_string(),
        short_id: id.short(),
        events,
        unreadable_lines: scanned.bad.len(),
    })
}

/// A one-line summary of an event: what changed.
pub fn describe(e: &Event) -> String {
    let fields: Vec<String> = e
        .changes
        .iter()
        .filter(|c| {
            !matches!(
                c.field.as_str(),
                "lease" | "claim" | "gates_status" | "started_at" | "finished_at"
            )
        })
        .map(|c| {
            // A title is one line and bounded: shown whole, so a search of the log finds it.
            let show = |v: &serde_json::Value| match (c.field.as_str(), v) {
                ("title", serde_json::Value::String(t)) => t.clone(),
                _ => short_json(v),
            };
            match (&c.before, &c.after) {
                (serde_json::Value::Null, a) => format!("{} = {}", c.field, show(a)),
                (b, a) => format!("{}: {} -> {}", c.field, show(b), show(a)),
            }
        })
        .collect();
    use crate::model::EventKind as K;
    let kind = crate::model::EventKind::parse(&e.kind);
    let extra = match kind {
        Some(K::GatePassed) | Some(K::GateFailed) => e
            .data
            .get("gate")
            .and_then(|g| g.as_str())
            .map(|g| format!("gate {g}")),
        Some(K::IssueReopened) | Some(K::IssueStateChanged) | Some(K::IssueUpdated) => e
            .data
            .get("reason")
            .and_then(|g| g.as_str())
            .map(|r| format!("reason: {r}")),
        Some(K::CommentAdded) => Some("comment".into()),
        Some(K::ChecklistAdded) | Some(K::ChecklistChecked) | Some(K::ChecklistUnchecked) => e
            .data
            .get("text")
            .and_then(|t| t.as_str())
            .map(|t| format!("item \"{}\"", short_str(t))),
        Some(K::LinkAdded) | Some(K::LinkRemoved) => {
            let kind = e.data.get("kind").and_then(|k| k.as_str());
            let target = e.data.get("target").and_then(|t| t.as_str());
            kind.zip(target)
                .map(|(k, t)| format!("{k} {}", crate::view::short_of_stored(t)))
        }
        Some(K::PrLinked) => e.data.get("url").and_then(|u| u.as_str()).map(|u| {
            let mut state = Vec::new();
            if let Some(s) = e.data.get("status").and_then(|v| v.as_str()) {
                state.push(s.to_string());
            }
            if let Some(c) = e.data.get("ci").and_then(|v| v.as_str()) {
                state.push(format!("ci {c}"));
            }
            let state = if state.is_empty() {
                String::new()
            } else {
                format!(" ({})", state.join(", "))
            };
            format!("pr {}{state}", short_str(u))
        }),
        _ => None,
    };
    let mut parts = Vec::new();
    let detail_only = kind.is_some_and(|k| DETAIL_EVENTS.contains(&k));
    if let Some(x) = extra {
        parts.push(x);
    }
    if !detail_only {
        parts.extend(fields);
    }
    parts.join("; ")
}

/// Event types whose summary is their detail (the item, link or PR), not the raw list diff.
const DETAIL_EVENTS: &[crate::model::EventKind] = &[
    crate::model::EventKind::CommentAdded,
    crate::model::EventKind::ChecklistAdded,
    crate::model::EventKind::ChecklistChecked,
    crate::model::EventKind::ChecklistUnchecked,
    crate::model::EventKind::LinkAdded,
    crate::model::EventKind::LinkRemoved,
    crate::model::EventKind::PrLinked,
];

/// A value for a summary: an issue id (or a list of them) as its short id, long text cut.
fn short_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    let id = |s: &str| IssueId::parse(s).ok().map(|i| i.short());
    match v {
        Value::String(s) => id(s).unwrap_or_else(|| short_str(s)),
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|x| x.as_str().and_then(id).is_some()) =>
        {
            let shorts: Vec<String> = items
                .iter()
                .filter_map(|x| x.as_str().and_then(id))
                .collect();
            format!("[{}]", shorts.join(", "))
        }
        other => short_str(&other.to_string()),
    }
}

fn short_str(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s.to_string()
    }
}

/// The issue as markdown made to paste into an agent's prompt.
/// A related issue as the context shows it: short id, title, state (or `missing`).
pub type Related = (String, String, String);

/// The markdown context of one issue, ready for an agent's prompt.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Context {
    /// The full id (a ULID).
    pub id: String,
    /// The last 8 characters of the id, lower-cased: the handle people type.
    pub short_id: String,
    /// The issue as markdown: description, checklist, dependencies, gates, recent activity.
    pub markdown: String,
}

fn related(store: &Store, id: &IssueId) -> Related {
    match store.load(id) {
        Ok(i) => (i.short_id(), i.title, i.state.to_string()),
        Err(_) => (id.short(), "(missing)".into(), "missing".into()),
    }
}

/// Builds the context of one issue: reads it, its dependencies, its link targets and its events.
pub fn context(store: &Store, input: &str) -> Result<Context> {
    let view = crate::ops::issues::show(store, input)?;
    let deps: Vec<Related> = view
        .issue
        .dependencies
        .iter()
        .map(|d| related(store, d))
        .collect();
    let links: Vec<(String, Related)> = view
        .issue
        .links
        .iter()
        .map(|l| match IssueId::parse(&l.target) {
            Ok(t) => (l.kind.to_string(), related(store, &t)),
            Err(_) => (
                l.kind.to_string(),
                (l.target.clone(), "(missing)".into(), "missing".into()),
            ),
        })
        .collect();
    let log = issue_log(store, &view.issue.id)?;
    let recent: Vec<Event> = log.events.iter().rev().take(10).rev().cloned().collect();
    let markdown = context_markdown(store, &view, &deps, &links, &recent);
    Ok(Context {
        id: view.issue.id.to_string(),
        short_id: view.short_id.clone(),
        markdown,
    })
}

/// Renders the context markdown.
pub fn context_markdown(
    store: &Store,
    v: &IssueView,
    deps: &[Related],
    links: &[(String, Related)],
    recent: &[Event],
) -> String {
    let i = &v.issue;
    let mut md = format!("# {} ({})\n\n", one_line(&i.title), v.short_id);
    md.push_str(&format!(
        "- **State:** {}{}\n",
        i.state,
        if v.blocked { " (blocked)" } else { "" }
    ));
    md.push_str(&format!(
        "- **Priority:** {}\n- **Type:** {}\n",
        i.priority, i.kind
    ));
    md.push_str(&format!(
        "- **Assignee:** {}\n",
        i.assignee.as_deref().unwrap_or("unassigned")
    ));
    if let Some(l) = &i.lease
        && let Some(e) = l.expires_at
    {
        md.push_str(&format!("- **Lease:** held by {} until {e}\n", l.holder));
    }
    if !i.labels.is_empty() {
        md.push_str(&format!("- **Labels:** {}\n", i.labels.join(", ")));
    }
    if let Some(m) = &i.milestone {
        md.push_str(&format!("- **Milestone:** {}\n", one_line(m)));
    }
    md.push_str(&format!("- **Id:** {}\n", i.id));
    if !i.description.trim().is_empty() {
        md.push_str(&format!(
            "\n## Description\n\n{}\n",
            i.description.trim_end()
        ));
    }
    if !i.checklist.is_empty() || i.done_when.is_some() {
        md.push_str("\n## Acceptance criteria\n\n");
        if let Some(d) = &i.done_when {
            md.push_str(&format!("Done when: {}\n\n", one_line(d)));
        }
        for c in &i.checklist {
            md.push_str(&format!(
                "- [{}] {}\n",
                if c.checked { "x" } else { " " },
                one_line(&c.text)
            ));
        }
    }
    if !deps.is_empty() {
        md.push_str("\n## Dependencies\n\n");
        for (short, title, state) in deps {
            md.push_str(&format!("- {short} {} ({state})\n", one_line(title)));
        }
    }
    if !links.is_empty() {
        md.push_str("\n## Links\n\n");
        for (kind, (short, title, state)) in links {
            md.push_str(&format!("- {kind} {short} {} ({state})\n", one_line(title)));
        }
    }
    if !i.gates_required.is_empty() {
        md.push_str("\n## Gates\n\n");
        let defs = store.gates().unwrap_or_default();
        for k in &i.gates_required {
            let st = i.gates_status.get(k);
            let status = st.map(|g| g.status).unwrap_or(GateState::Pending);
            let def = defs.get(k);
            let how = match def {
                Some(d) if d.checker.is_some() => {
                    format!(" — run `jit gate check {} {k}`", v.short_id)
                }
                Some(d) if !d.auto => " — manual: a human passes it".to_string(),
                _ => format!(" — `jit gate pass {} {k}` when satisfied", v.short_id),
            };
            let title = def
                .map(|d| format!(" ({})", one_line(&d.title)))
                .unwrap_or_default();
            md.push_str(&format!("- {k}{title}: **{status}**{how}\n"));
        }
    }
    if !i.prs.is_empty() {
        md.push_str("\n## Pull requests\n\n");
        for p in &i.prs {
            let status = p
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "unknown".into());
            let ci = p.ci.map(|c| format!(", CI {c}")).unwrap_or_default();
            md.push_str(&format!("- {} ({status}{ci})\n", p.url));
        }
    }
    if !i.comments.is_empty() {
        md.push_str("\n## Comments\n\n");
        for c in &i.comments {
            md.push_str(&format!(
                "**{}** at {}:\n\n{}\n\n",
                c.author,
                c.at,
                c.body.trim_end()
            ));
        }
    }
    if !recent.is_empty() {
        md.push_str("\n## Recent activity\n\n");
        for e in recent {
            let what = describe(e);
            md.push_str(&format!(
                "- {} {} {}{}\n",
                e.ts,
                e.actor,
                e.kind,
                if what.is_empty() {
                    String::new()
                } else {
                    format!(": {}", one_line(&what))
                }
            ));
        }
    }
    md
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
