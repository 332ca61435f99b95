//! One issue's LLM-ready context: the issue, what it depends on and links to, its gates, pull
//! requests, comments and recent activity, as markdown made to paste into an agent's prompt.
//!
//! Invariant: reads without the lock; the recent activity comes from [`crate::history`], which
//! tolerates torn or duplicated log lines.

use crate::error::Result;
use crate::history::{self, describe};
use crate::model::{Event, GateState, IssueId};
use crate::store::Store;
use crate::view::IssueView;
use serde::{Deserialize, Serialize};

/// `issue context` (MCP `context`): one issue as LLM-ready markdown.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ContextRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
}

impl crate::ops::Read for ContextRequest {
    type Output = Context;
    fn run(self, store: &Store) -> Result<Context> {
        context(store, &self.id)
    }
}

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
    let last_ten = history::EventQuery {
        limit: Some(10),
        ..Default::default()
    };
    let recent: Vec<Event> = history::issue_log(store, view.issue.id.as_str(), last_ten)?.events;
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
