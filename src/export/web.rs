//! The static web site: `index.html` (stats bar, roadmap board by milestone, list, kanban by
//! state, dependency graph as inline SVG, client-side filters), `app.js`, `style.css` and one
//! page per issue under `issues/<short_id>.html`. It opens from `file://` with no network.
//!
//! Invariants: every piece of user text passes through [`escape_html`] or the safe markdown
//! renderer; the embedded data is [`script_json`]; with `public`, an internal issue appears in
//! no file (not its page, title or id), and references to it read "(private)". Files are written
//! atomically; a manifest (`.jit-site`) lists them, and issue pages an earlier export wrote that
//! this one did not are removed, so a public export over an earlier full one leaves nothing
//! internal behind. Files no export wrote are never touched, and a directory holding some is
//! refused unless forced.

use super::html::{escape_html, is_safe_url, markdown, script_json};
use super::plan::{self, Stats};
use crate::error::{Error, Result};
use crate::model::{GateDef, GateState, IssueId, State};
use crate::progress::Progress;
use crate::view::{Blocker, IssueView};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The stylesheet, written as `style.css`.
const STYLE: &str = include_str!("web/style.css");
/// The client script (filters, view toggle), written as `app.js`.
const SCRIPT: &str = include_str!("web/app.js");

/// What a web export wrote.
#[derive(Debug, Serialize)]
pub struct SiteReport {
    pub dir: PathBuf,
    pub index: PathBuf,
    pub files: usize,
    pub issues: usize,
    pub public: bool,
}

/// One file of the site: its path under the output directory and its content.
pub struct SiteFile {
    pub path: String,
    pub content: String,
}

/// The issue data embedded for client-side filtering (only what the filters need).
#[derive(Serialize)]
struct ClientIssue<'a> {
    id: &'a str,
    title: &'a str,
    state: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    labels: &'a [String],
    milestone: Option<&'a str>,
    assignee: Option<&'a str>,
    priority: &'a str,
    blocked: bool,
    text: &'a str,
}

/// How the site names other issues.
struct Site<'a> {
    project: &'a str,
    /// Every loaded issue, by id (for dependency and link targets).
    all: HashMap<&'a IssueId, &'a IssueView>,
    /// Issues with a page, in id order.
    shown: Vec<&'a IssueView>,
    shown_ids: HashSet<&'a IssueId>,
    /// Internal issues hidden by `--public`.
    private: HashSet<String>,
    gates: &'a BTreeMap<String, GateDef>,
}

impl<'a> Site<'a> {
    /// A reference to another issue, from an issue page (`issues/`) or from the index.
    fn reference(&self, id: &str, from_issue_page: bool) -> String {
        if self.private.contains(id) {
            return "<span class=\"private\">(private)</span>".into();
        }
        let parsed = IssueId::parse(id).ok();
        let view = parsed.as_ref().and_then(|p| self.all.get(p).copied());
        let short = parsed
            .as_ref()
            .map(|p| p.short())
            .unwrap_or_else(|| id.to_string());
        match view {
            Some(v) if self.shown_ids.contains(&v.issue.id) => {
                let href = if from_issue_page {
                    format!("{}.html", v.short_id)
                } else {
                    format!("issues/{}.html", v.short_id)
                };
                format!(
                    "<a class=\"ref\" href=\"{}\"><code>{}</code> {}</a> {}",
                    escape_html(&href),
                    escape_html(&v.short_id),
                    escape_html(&v.issue.title),
                    state_badge(v)
                )
            }
            Some(v) => format!(
                "<code>{}</code> {} {}",
                escape_html(&v.short_id),
                escape_html(&v.issue.title),
                state_badge(v)
            ),
            None => format!("<code>{}</code> (missing)", escape_html(&short)),
        }
    }
}

fn state_class(s: State) -> &'static str {
    s.as_str()
}

fn state_badge(v: &IssueView) -> String {
    let s = v.issue.state;
    let mut out = format!(
        "<span class=\"badge st-{}\">{}</span>",
        state_class(s),
        plan::state_label(s)
    );
    if v.blocked {
        out.push_str(" <span class=\"badge blocked\">blocked</span>");
    }
    out
}

fn page(title: &str, css: &str, body: &str, script: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n\
<link rel=\"stylesheet\" href=\"{}\">\n</head>\n<body>\n{}{}</body>\n</html>\n",
        escape_html(title),
        css,
        body,
        script
    )
}

fn card(v: &IssueView) -> String {
    let i = &v.issue;
    let mut meta = format!(
        "<span class=\"chip type\">{}</span><span class=\"chip prio p-{}\">{}</span>",
        escape_html(&i.kind),
        i.priority.as_str(),
        i.priority.as_str()
    );
    for l in &i.labels {
        meta.push_str(&format!(
            "<span class=\"chip label\">{}</span>",
            escape_html(l)
        ));
    }
    let who = i
        .assignee
        .as_deref()
        .map(|a| format!("<span class=\"who\">{}</span>", escape_html(a)))
        .unwrap_or_default();
    format!(
        "<a class=\"card st-{}{}\" href=\"issues/{}.html\" data-id=\"{}\">\
<span class=\"card-top\"><code class=\"sid\">{}</code>{}</span>\
<span class=\"card-title\">{}</span><span class=\"card-meta\">{}{}</span></a>\n",
        state_class(i.state),
        if v.blocked { " is-blocked" } else { "" },
        escape_html(&v.short_id),
        escape_html(&v.short_id),
        escape_html(&v.short_id),
        state_badge(v),
        escape_html(&i.title),
        meta,
        who
    )
}

fn stats_bar(s: &Stats) -> String {
    let items = [
        ("total", "Total", s.total),
        ("ready", "Ready", s.ready),
        ("in_progress", "In progress", s.in_progress),
        ("blocked", "Blocked", s.blocked),
        ("done", "Done", s.done),
    ];
    let mut out =
        String::from("<section class=\"stats\" id=\"stats\" aria-label=\"Statistics\">\n");
    for (key, label, n) in items {
        out.push_str(&format!(
            "<div class=\"stat stat-{key}\"><span class=\"num\" data-stat=\"{key}\">{n}</span><span class=\"lbl\">{label}</span></div>\n"
        ));
    }
    let pct = (s.done * 100).checked_div(s.total).unwrap_or(0);
    out.push_str(&format!(
        "<div class=\"stat stat-progress\"><span class=\"num\" data-stat=\"percent\">{pct}%</span><span class=\"lbl\">Complete</span>\
<span class=\"bar\"><span class=\"fill\" style=\"width:{pct}%\"></span></span></div>\n</section>\n"
    ));
    out
}

fn board(live: &[&IssueView]) -> String {
    let mut out = String::from(
        "<section class=\"view\" id=\"view-roadmap\" data-view=\"roadmap\">\n<div class=\"board\">\n",
    );
    for g in plan::by_milestone(live) {
        let done = g
            .issues
            .iter()
            .filter(|v| v.issue.state == State::Done)
            .count();
        let total = g.issues.len();
        let pct = (done * 100).checked_div(total).unwrap_or(0);
        let due = g
            .due
            .as_deref()
            .map(|d| format!("<span class=\"due\">due {}</span>", escape_html(d)))
            .unwrap_or_default();
        out.push_str(&format!(
            "<div class=\"column milestone\"><header><h2>{}</h2><div class=\"col-meta\">{due}<span class=\"count\">{done} of {total} done</span></div>\
<span class=\"bar\"><span class=\"fill\" style=\"width:{pct}%\"></span></span></header>\n<div class=\"cards\">\n",
            escape_html(g.name())
        ));
        for v in &g.issues {
            out.push_str(&card(v));
        }
        out.push_str("</div></div>\n");
    }
    if live.is_empty() {
        out.push_str("<p class=\"empty\">No issues.</p>\n");
    }
    out.push_str("</div>\n</section>\n");
    out
}

fn list(live: &[&IssueView]) -> String {
    let mut out = String::from(
        "<section class=\"view\" id=\"view-list\" data-view=\"list\" hidden>\n<table class=\"list\">\n<thead><tr>\
<th>ID</th><th>Title</th><th>Status</th><th>Type</th><th>Priority</th><th>Milestone</th><th>Assignee</th><th>Labels</th><th>Due</th></tr></thead>\n<tbody>\n",
    );
    for v in live {
        let i = &v.issue;
        out.push_str(&format!(
            "<tr data-id=\"{sid}\"><td><a href=\"issues/{sid}.html\"><code>{sid}</code></a></td><td><a href=\"issues/{sid}.html\">{}</a></td>\
<td>{}</td><td>{}</td><td><span class=\"chip prio p-{p}\">{p}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            escape_html(&i.title),
            state_badge(v),
            escape_html(&i.kind),
            escape_html(i.milestone.as_deref().unwrap_or("")),
            escape_html(i.assignee.as_deref().unwrap_or("")),
            i.labels
                .iter()
                .map(|l| format!("<span class=\"chip label\">{}</span>", escape_html(l)))
                .collect::<String>(),
            escape_html(i.due.as_deref().unwrap_or("")),
            sid = escape_html(&v.short_id),
            p = i.priority.as_str(),
        ));
    }
    out.push_str("</tbody>\n</table>\n</section>\n");
    out
}

fn kanban(live: &[&IssueView]) -> String {
    let mut out = String::from(
        "<section class=\"view\" id=\"view-kanban\" data-view=\"kanban\" hidden>\n<div class=\"board kanban\">\n",
    );
    for s in [
        State::Backlog,
        State::Ready,
        State::InProgress,
        State::Gated,
        State::Done,
    ] {
        let items: Vec<&&IssueView> = live.iter().filter(|v| v.issue.state == s).collect();
        out.push_str(&format!(
            "<div class=\"column lane st-{}\"><header><h2>{}</h2><div class=\"col-meta\"><span class=\"count\">{}</span></div></header>\n<div class=\"cards\">\n",
            state_class(s),
            plan::state_label(s),
            items.len()
        ));
        for v in items {
            out.push_str(&card(v));
        }
        out.push_str("</div></div>\n");
    }
    out.push_str("</div>\n</section>\n");
    out
}

/// Truncates to `n` characters with an ellipsis.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The dependency graph as inline SVG: columns by topological depth (an issue sits one column
/// right of its deepest dependency), edges from a dependency to its dependent.
fn graph_svg(live: &[&IssueView]) -> String {
    const W: usize = 230;
    const H: usize = 58;
    const GAP_X: usize = 80;
    const GAP_Y: usize = 18;
    const PAD: usize = 20;
    let issues: Vec<crate::model::Issue> = live.iter().map(|v| v.issue.clone()).collect();
    let index: HashMap<&IssueId, usize> = live
        .iter()
        .enumerate()
        .map(|(n, v)| (&v.issue.id, n))
        .collect();
    let mut depth = vec![0usize; live.len()];
    if let Ok(order) = crate::graph::Graph::build(&issues).order() {
        for id in order {
            let Some(&n) = index.get(&id) else { continue };
            let d = live[n]
                .issue
                .dependencies
                .iter()
                .filter_map(|d| index.get(d))
                .map(|&m| depth[m] + 1)
                .max()
                .unwrap_or(0);
            depth[n] = d;
        }
    }
    let layers = depth.iter().copied().max().map(|m| m + 1).unwrap_or(0);
    let mut rows = vec![0usize; layers];
    let mut pos = vec![(0usize, 0usize); live.len()];
    for (n, &d) in depth.iter().enumerate() {
        pos[n] = (PAD + d * (W + GAP_X), PAD + rows[d] * (H + GAP_Y));
        rows[d] += 1;
    }
    let width = PAD * 2 + layers.max(1) * (W + GAP_X) - GAP_X;
    let height = PAD * 2 + rows.iter().copied().max().unwrap_or(1).max(1) * (H + GAP_Y) - GAP_Y;
    let mut out = format!(
        "<svg class=\"graph\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"Dependency graph\">\n\
<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" class=\"arrowhead\"/></marker></defs>\n"
    );
    let mut edges = Vec::new();
    for (n, v) in live.iter().enumerate() {
        for d in &v.issue.dependencies {
            if let Some(&m) = index.get(d) {
                edges.push((m, n));
            }
        }
    }
    edges.sort();
    for (from, to) in edges {
        let (x1, y1) = (pos[from].0 + W, pos[from].1 + H / 2);
        let (x2, y2) = (pos[to].0, pos[to].1 + H / 2);
        let dx = (x2.saturating_sub(x1) / 2).max(20);
        out.push_str(&format!(
            "<path class=\"edge\" data-from=\"{}\" data-to=\"{}\" d=\"M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}\" marker-end=\"url(#arrow)\"/>\n",
            escape_html(&live[from].short_id),
            escape_html(&live[to].short_id),
            x1 + dx,
            x2.saturating_sub(dx),
        ));
    }
    for (n, v) in live.iter().enumerate() {
        let (x, y) = pos[n];
        out.push_str(&format!(
            "<a class=\"node st-{}{}\" href=\"issues/{sid}.html\" data-id=\"{sid}\"><title>{}</title>\
<rect x=\"{x}\" y=\"{y}\" width=\"{W}\" height=\"{H}\" rx=\"8\"/>\
<text x=\"{}\" y=\"{}\" class=\"nid\">{sid} · {}{}</text>\
<text x=\"{}\" y=\"{}\" class=\"ntitle\">{}</text></a>\n",
            state_class(v.issue.state),
            if v.blocked { " is-blocked" } else { "" },
            escape_html(&v.issue.title),
            x + 12,
            y + 22,
            plan::state_label(v.issue.state),
            if v.blocked { " · blocked" } else { "" },
            x + 12,
            y + 43,
            escape_html(&clip(&v.issue.title, 30)),
            sid = escape_html(&v.short_id),
        ));
    }
    out.push_str("</svg>\n");
    out
}

fn graph_view(live: &[&IssueView]) -> String {
    format!(
        "<section class=\"view\" id=\"view-graph\" data-view=\"graph\" hidden>\n<p class=\"hint\">Arrows run from a dependency to the issue that waits on it; columns are dependency depth.</p>\n<div class=\"graph-wrap\">\n{}</div>\n</section>\n",
        graph_svg(live)
    )
}

fn options(values: impl IntoIterator<Item = (String, String)>) -> String {
    values
        .into_iter()
        .map(|(v, label)| {
            format!(
                "<option value=\"{}\">{}</option>",
                escape_html(&v),
                escape_html(&label)
            )
        })
        .collect()
}

fn index(site: &Site<'_>, live: &[&IssueView]) -> Result<String> {
    let stats = Stats::of(live.iter().copied());
    let types: std::collections::BTreeSet<String> =
        live.iter().map(|v| v.issue.kind.clone()).collect();
    let labels: std::collections::BTreeSet<String> = live
        .iter()
        .flat_map(|v| v.issue.labels.iter().cloned())
        .collect();
    let states = [
        State::Backlog,
        State::Ready,
        State::InProgress,
        State::Gated,
        State::Done,
    ];
    let mut body = format!(
        "<header class=\"top\"><div class=\"brand\"><h1>{}</h1><span class=\"sub\">Roadmap and issues</span></div></header>\n",
        escape_html(site.project)
    );
    body.push_str(&stats_bar(&stats));
    body.push_str(&format!(
        "<nav class=\"toolbar\">\n<div class=\"tabs\" role=\"tablist\">\
<button type=\"button\" class=\"tab active\" data-show=\"roadmap\">Roadmap</button>\
<button type=\"button\" class=\"tab\" data-show=\"list\">List</button>\
<button type=\"button\" class=\"tab\" data-show=\"kanban\">Kanban</button>\
<button type=\"button\" class=\"tab\" data-show=\"graph\">Graph</button></div>\n\
<div class=\"filters\"><input type=\"search\" id=\"f-text\" placeholder=\"Search titles and descriptions\" aria-label=\"Search\">\
<select id=\"f-type\" aria-label=\"Type\"><option value=\"\">All types</option>{}</select>\
<select id=\"f-label\" aria-label=\"Label\"><option value=\"\">All labels</option>{}</select>\
<select id=\"f-state\" aria-label=\"State\"><option value=\"\">All states</option>{}<option value=\"blocked\">blocked</option></select>\
<span class=\"shown\" id=\"shown\"></span></div>\n</nav>\n<main>\n",
        options(types.into_iter().map(|t| (t.clone(), t))),
        options(labels.into_iter().map(|l| (l.clone(), l))),
        options(states.iter().map(|s| (
            s.as_str().to_string(),
            plan::state_label(*s).to_string()
        ))),
    ));
    body.push_str(&board(live));
    body.push_str(&list(live));
    body.push_str(&kanban(live));
    body.push_str(&graph_view(live));
    body.push_str("</main>\n<footer>Rendered by <code>jit export web</code> from the issues in <code>.jit/</code>.</footer>\n");
    let data: Vec<ClientIssue<'_>> = live
        .iter()
        .map(|v| ClientIssue {
            id: &v.short_id,
            title: &v.issue.title,
            state: v.issue.state.as_str(),
            kind: &v.issue.kind,
            labels: &v.issue.labels,
            milestone: v.issue.milestone.as_deref(),
            assignee: v.issue.assignee.as_deref(),
            priority: v.issue.priority.as_str(),
            blocked: v.blocked,
            text: &v.issue.description,
        })
        .collect();
    let script = format!(
        "<script type=\"application/json\" id=\"data\">{}</script>\n<script src=\"app.js\"></script>\n",
        script_json(&serde_json::json!({ "issues": data }))?
    );
    Ok(page(
        &format!("{} · roadmap", site.project),
        "style.css",
        &body,
        &script,
    ))
}

/// A timestamp as people read it: `2026-01-02 03:04 UTC`.
fn when(t: &crate::model::Timestamp) -> String {
    t.datetime().format("%Y-%m-%d %H:%M UTC").to_string()
}

fn row(label: &str, value: String) -> String {
    if value.is_empty() {
        return String::new();
    }
    format!(
        "<tr><th>{}</th><td>{}</td></tr>\n",
        escape_html(label),
        value
    )
}

fn issue_page(site: &Site<'_>, v: &IssueView, dependents: &[&IssueView]) -> String {
    let i = &v.issue;
    let mut b = format!(
        "<header class=\"top\"><div class=\"brand\"><a class=\"back\" href=\"../index.html\">← {}</a></div></header>\n<main class=\"issue\">\n\
<div class=\"issue-head st-{}\"><code class=\"sid\">{}</code> {} <span class=\"chip type\">{}</span> <span class=\"chip prio p-{p}\">{p}</span>\n<h1>{}</h1></div>\n",
        escape_html(site.project),
        state_class(i.state),
        escape_html(&v.short_id),
        state_badge(v),
        escape_html(&i.kind),
        escape_html(&i.title),
        p = i.priority.as_str(),
    );
    b.push_str("<div class=\"issue-grid\">\n<div class=\"issue-main\">\n");
    b.push_str("<section class=\"box\"><h2>Description</h2>\n");
    if i.description.trim().is_empty() {
        b.push_str("<p class=\"empty\">No description.</p>\n");
    } else {
        b.push_str(&format!(
            "<div class=\"md\">{}</div>\n",
            markdown(&i.description)
        ));
    }
    b.push_str("</section>\n");
    if !i.checklist.is_empty() {
        let done = i.checklist.iter().filter(|c| c.checked).count();
        b.push_str(&format!(
            "<section class=\"box\"><h2>Checklist <span class=\"count\">{done} of {}</span></h2>\n<ul class=\"checklist\">\n",
            i.checklist.len()
        ));
        for c in &i.checklist {
            b.push_str(&format!(
                "<li class=\"{}\"><span class=\"tick\">{}</span> {}</li>\n",
                if c.checked { "checked" } else { "open" },
                if c.checked { "☑" } else { "☐" },
                escape_html(&c.text)
            ));
        }
        b.push_str("</ul></section>\n");
    }
    if !i.comments.is_empty() {
        b.push_str(&format!(
            "<section class=\"box\"><h2>Comments <span class=\"count\">{}</span></h2>\n",
            i.comments.len()
        ));
        for c in &i.comments {
            b.push_str(&format!(
                "<article class=\"comment\"><div class=\"comment-head\"><strong>{}</strong> <span class=\"muted\">{}</span></div><div class=\"md\">{}</div></article>\n",
                escape_html(&c.author),
                escape_html(&when(&c.at)),
                markdown(&c.body)
            ));
        }
        b.push_str("</section>\n");
    }
    b.push_str("</div>\n<aside class=\"issue-side\">\n<section class=\"box\"><h2>Details</h2><table class=\"facts\">\n");
    b.push_str(&row(
        "Assignee",
        escape_html(i.assignee.as_deref().unwrap_or("")),
    ));
    b.push_str(&row(
        "Milestone",
        escape_html(i.milestone.as_deref().unwrap_or("")),
    ));
    b.push_str(&row("Due", escape_html(i.due.as_deref().unwrap_or(""))));
    b.push_str(&row(
        "Estimate",
        i.estimate.map(|e| e.to_string()).unwrap_or_default(),
    ));
    b.push_str(&row(
        "Labels",
        i.labels
            .iter()
            .map(|l| format!("<span class=\"chip label\">{}</span>", escape_html(l)))
            .collect(),
    ));
    b.push_str(&row(
        "Parent",
        i.parent
            .as_ref()
            .map(|p| site.reference(p.as_str(), true))
            .unwrap_or_default(),
    ));
    if let Some(p) = &v.progress {
        b.push_str(&row("Sub-tasks", format!("{} of {} done", p.done, p.total)));
    }
    b.push_str(&row(
        "Evidence",
        escape_html(i.evidence.as_deref().unwrap_or("")),
    ));
    b.push_str(&row(
        "Done when",
        escape_html(i.done_when.as_deref().unwrap_or("")),
    ));
    b.push_str(&row(
        "Reporter",
        escape_html(i.reporter.as_deref().unwrap_or("")),
    ));
    b.push_str(&row("Created", escape_html(&when(&i.created_at))));
    b.push_str(&row("Updated", escape_html(&when(&i.updated_at))));
    b.push_str("</table></section>\n");

    if !v.blocked_by.is_empty() {
        b.push_str("<section class=\"box warn\"><h2>Blocked by</h2><ul>\n");
        for bl in &v.blocked_by {
            match bl {
                Blocker::Dependency { id, .. } => {
                    b.push_str(&format!("<li>{}</li>\n", site.reference(id, true)))
                }
                Blocker::Gate { key, status, .. } => b.push_str(&format!(
                    "<li>gate <code>{}</code> {}</li>\n",
                    escape_html(key),
                    status.as_str()
                )),
            }
        }
        b.push_str("</ul></section>\n");
    }
    if !i.gates_required.is_empty() {
        b.push_str("<section class=\"box\"><h2>Gates</h2><ul class=\"gates\">\n");
        for key in &i.gates_required {
            let st = i.gates_status.get(key);
            let status = st.map(|g| g.status).unwrap_or(GateState::Pending);
            let title = site.gates.get(key).map(|g| g.title.as_str()).unwrap_or("");
            let mut extra = String::new();
            if let Some(g) = st {
                if let Some(by) = &g.by {
                    extra.push_str(&format!(" by {}", escape_html(by)));
                }
                if let Some(n) = &g.note {
                    extra.push_str(&format!(" — {}", escape_html(n)));
                }
            }
            b.push_str(&format!(
                "<li class=\"gate g-{s}\"><span class=\"badge g-{s}\">{s}</span> <code>{}</code> {}<span class=\"muted\">{}</span></li>\n",
                escape_html(key),
                escape_html(title),
                extra,
                s = status.as_str()
            ));
        }
        b.push_str("</ul></section>\n");
    }
    let deps: Vec<String> = i
        .dependencies
        .iter()
        .map(|d| site.reference(d.as_str(), true))
        .collect();
    let downs: Vec<String> = dependents
        .iter()
        .map(|d| site.reference(d.issue.id.as_str(), true))
        .collect();
    for (title, items) in [("Depends on", deps), ("Needed by", downs)] {
        if items.is_empty() {
            continue;
        }
        b.push_str(&format!(
            "<section class=\"box\"><h2>{title}</h2><ul class=\"refs\">\n"
        ));
        for it in items {
            b.push_str(&format!("<li>{it}</li>\n"));
        }
        b.push_str("</ul></section>\n");
    }
    let mut links: Vec<String> = i
        .links
        .iter()
        .map(|l| format!("{} {}", l.kind.as_str(), site.reference(&l.target, true)))
        .collect();
    for l in v.linked_from.iter().flatten() {
        let verb = match l.kind {
            crate::model::LinkKind::Relates => "related from",
            crate::model::LinkKind::Duplicates => "duplicated by",
        };
        links.push(format!("{verb} {}", site.reference(&l.id, true)));
    }
    if !links.is_empty() {
        b.push_str("<section class=\"box\"><h2>Links</h2><ul class=\"refs\">\n");
        for l in links {
            b.push_str(&format!("<li>{l}</li>\n"));
        }
        b.push_str("</ul></section>\n");
    }
    if !i.prs.is_empty() {
        b.push_str("<section class=\"box\"><h2>Pull requests</h2><ul class=\"prs\">\n");
        for pr in &i.prs {
            let name = match (pr.number, &pr.title) {
                (Some(n), Some(t)) => format!("#{n} {t}"),
                (Some(n), None) => format!("#{n}"),
                (None, Some(t)) => t.clone(),
                (None, None) => pr.url.clone(),
            };
            let name = escape_html(&name);
            let link = if is_safe_url(&pr.url) {
                format!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\">{name}</a>",
                    escape_html(&pr.url)
                )
            } else {
                name
            };
            let mut tags = String::new();
            if let Some(s) = pr.status {
                tags.push_str(&format!(" <span class=\"chip\">{}</span>", s.as_str()));
            }
            if let Some(c) = pr.ci {
                tags.push_str(&format!(
                    " <span class=\"chip ci-{c}\">CI {c}</span>",
                    c = c.as_str()
                ));
            }
            if let Some(br) = &pr.branch {
                tags.push_str(&format!(" <code>{}</code>", escape_html(br)));
            }
            b.push_str(&format!("<li>{link}{tags}</li>\n"));
        }
        b.push_str("</ul></section>\n");
    }
    b.push_str("</aside>\n</div>\n</main>\n");
    page(
        &format!("{} · {}", v.short_id, i.title),
        "../style.css",
        &b,
        "",
    )
}

/// Renders the site. `views` is every issue in the store (references are resolved against it);
/// `keep` says which of them get pages (a `--filter`); `public` hides internal issues.
pub fn render(
    project: &str,
    views: &[IssueView],
    gates: &BTreeMap<String, GateDef>,
    public: bool,
    keep: impl Fn(&IssueView) -> bool,
) -> Result<Vec<SiteFile>> {
    let private: HashSet<String> = if public {
        views
            .iter()
            .filter(|v| v.issue.is_internal())
            .map(|v| v.issue.id.to_string())
            .collect()
    } else {
        HashSet::new()
    };
    let shown: Vec<&IssueView> = views
        .iter()
        .filter(|v| !private.contains(v.issue.id.as_str()) && keep(v))
        .collect();
    let site = Site {
        project: if project.trim().is_empty() {
            "Project"
        } else {
            project.trim()
        },
        all: views.iter().map(|v| (&v.issue.id, v)).collect(),
        shown_ids: shown.iter().map(|v| &v.issue.id).collect(),
        shown,
        private,
        gates,
    };
    let live: Vec<&IssueView> = site
        .shown
        .iter()
        .copied()
        .filter(|v| v.issue.state != State::Archived)
        .collect();
    let mut dependents: HashMap<&IssueId, Vec<&IssueView>> = HashMap::new();
    for v in &site.shown {
        for d in &v.issue.dependencies {
            dependents.entry(d).or_default().push(v);
        }
    }
    let mut files = vec![
        SiteFile {
            path: "index.html".into(),
            content: index(&site, &live)?,
        },
        SiteFile {
            path: "style.css".into(),
            content: STYLE.into(),
        },
        SiteFile {
            path: "app.js".into(),
            content: SCRIPT.into(),
        },
    ];
    for v in &site.shown {
        let downs = dependents
            .get(&v.issue.id)
            .map(|d| d.as_slice())
            .unwrap_or(&[]);
        files.push(SiteFile {
            path: format!("issues/{}.html", v.short_id),
            content: issue_page(&site, v, downs),
        });
    }
    Ok(files)
}

/// The file in a site directory listing what the last export wrote there (one path per line,
/// relative to the directory). Only files it lists are ever replaced or removed.
pub const MANIFEST: &str = ".jit-site";

/// The files the last export wrote into `dir`, from its manifest (empty when there is none).
fn manifest(dir: &Path) -> HashSet<String> {
    std::fs::read_to_string(dir.join(MANIFEST))
        .map(|t| t.lines().map(str::to_string).collect())
        .unwrap_or_default()
}

/// What `dir` holds that no jit export wrote there: files (and directories, and links) other
/// than the manifest's and the manifest itself, relative to `dir`, sorted.
fn foreign(dir: &Path, ours: &HashSet<String>) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((d, rel)) = stack.pop() {
        let rd = match std::fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(format!("listing `{}`", d.display()), e)),
        };
        for entry in rd.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = format!("{rel}{name}");
            let kind = entry.file_type().ok();
            if kind.is_some_and(|k| k.is_dir()) && path == "issues" {
                stack.push((entry.path(), "issues/".into()));
            } else if kind.is_some_and(|k| k.is_file())
                && (path == MANIFEST || ours.contains(&path))
            {
                continue;
            } else {
                let dir_mark = if kind.is_some_and(|k| k.is_dir()) {
                    "/"
                } else {
                    ""
                };
                out.push(format!("{path}{dir_mark}"));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Writes the site into `dir`: every file atomically, then the manifest. Pages an earlier
/// export wrote (by its manifest) that this one did not are removed; nothing jit did not write
/// is ever touched. A `dir` holding files no jit export wrote (`--out .`, `--out docs`) is
/// refused (`out_dir_not_empty`) unless `force`, which writes the site beside them.
pub fn write(dir: &Path, files: &[SiteFile], force: bool, progress: &dyn Progress) -> Result<()> {
    let before = manifest(dir);
    let strangers = foreign(dir, &before)?;
    if !strangers.is_empty() && !force {
        let shown: Vec<&str> = strangers.iter().take(10).map(String::as_str).collect();
        return Err(Error::Refused {
            code: "out_dir_not_empty",
            message: format!(
                "`{}` holds files a jit export did not write ({}{}); writing the site there could \
                 replace them: choose an empty or new directory, or pass --force to write beside \
                 them (they are left alone)",
                dir.display(),
                shown.join(", "),
                if strangers.len() > shown.len() {
                    ", ..."
                } else {
                    ""
                }
            ),
            details: serde_json::json!({ "dir": dir, "files": shown, "count": strangers.len() }),
        });
    }
    let pages = dir.join("issues");
    std::fs::create_dir_all(&pages)
        .map_err(|e| Error::io(format!("creating `{}`", pages.display()), e))?;
    progress.start("writing site", files.len() as u64);
    for f in files {
        crate::store::write_atomic(&dir.join(&f.path), f.content.as_bytes())?;
        progress.advance(1);
    }
    progress.finish();
    let written: HashSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut gone = false;
    for old in &before {
        let ours = old
            .strip_prefix("issues/")
            .is_some_and(|n| n.ends_with(".html") && !n.contains('/') && !n.starts_with('.'));
        if ours && !written.contains(old.as_str()) {
            let p = dir.join(old);
            match std::fs::remove_file(&p) {
                Ok(()) => gone = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(format!("removing `{}`", p.display()), e)),
            }
        }
    }
    if gone {
        crate::store::sync_dir(&pages);
    }
    let mut list: Vec<&str> = written.into_iter().collect();
    list.sort_unstable();
    let mut text = list.join("\n");
    text.push('\n');
    crate::store::write_atomic(&dir.join(MANIFEST), text.as_bytes())
}

/// Renders the store's site into `dir`. `keep` is the `--filter`.
pub fn export(
    store: &crate::store::Store,
    dir: &Path,
    public: bool,
    force: bool,
    keep: impl Fn(&IssueView) -> bool,
    progress: &dyn Progress,
) -> Result<SiteReport> {
    let (views, problems) = crate::issues::list_all_reporting(store, progress)?;
    super::refuse_unreadable(store, &problems)?;
    let config = store.config()?;
    let gates = store.gates()?;
    let files = render(&config.project, &views, &gates, public, keep)?;
    write(dir, &files, force, progress)?;
    Ok(SiteReport {
        dir: dir.to_path_buf(),
        index: dir.join("index.html"),
        files: files.len(),
        issues: files.len() - 3,
        public,
    })
}
