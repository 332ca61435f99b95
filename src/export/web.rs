//! The static web site and the page of the web front-end: `index.html` (the app's shell with the
//! data document of [`super::site`] embedded), `app.js` (the one front-end, shared with
//! `jit serve`: board by milestone, list, kanban, graph, issue, agents, leases, events, stats),
//! `style.css`, and one plain page per issue under `issues/<short_id>.html` (no script; for
//! reading without JavaScript and for links). It opens from `file://` with no network.
//!
//! Invariants: every page is built of [`Html`] — user text escaped, markdown rendered safely,
//! template literals filled only with `Html` — so unescaped text cannot reach a page; the safe
//! markdown renderer (the script sets text, never markup, except the markdown rendered here); the
//! embedded data is [`script_json`]; with `public`, an internal issue appears in
//! no file (not its page, title or id), and references to it read "(private)". Files are written
//! atomically; a manifest (`.jit-site`) lists them, and issue pages an earlier export wrote that
//! this one did not are removed, so a public export over an earlier full one leaves nothing
//! internal behind. Files no export wrote are never touched, and a directory holding some is
//! refused unless forced.

use super::html::{Html, is_safe_url, markdown, script_json};
use super::plan;
use crate::error::{Error, Result};
use crate::html;
use crate::model::{GateDef, GateState, IssueId, State};
use crate::progress::Progress;
use crate::view::{Blocker, IssueView};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// The stylesheet, written as `style.css` (and served by `jit serve`).
pub const STYLE: &str = include_str!("web/style.css");
/// The front-end script, written as `app.js` (and served by `jit serve`).
pub const SCRIPT: &str = include_str!("web/app.js");

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
    fn reference(&self, id: &str, from_issue_page: bool) -> Html {
        if self.private.contains(id) {
            return html!("<span class=\"private\">(private)</span>");
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
                html!(
                    "<a class=\"ref\" href=\"{}\"><code>{}</code> {}</a> {}",
                    Html::text(&href),
                    Html::text(&v.short_id),
                    Html::text(&v.issue.title),
                    state_badge(v)
                )
            }
            Some(v) => html!(
                "<code>{}</code> {} {}",
                Html::text(&v.short_id),
                Html::text(&v.issue.title),
                state_badge(v)
            ),
            None => html!("<code>{}</code> (missing)", Html::text(&short)),
        }
    }
}

fn state_badge(v: &IssueView) -> Html {
    let s = v.issue.state;
    let mut out = html!(
        "<span class=\"badge st-{}\">{}</span>",
        Html::text(s.as_str()),
        Html::text(plan::state_label(s))
    );
    if v.blocked {
        out.push(html!(" <span class=\"badge blocked\">blocked</span>"));
    }
    out
}

fn page(title: &str, css: &str, body: Html, script: Html) -> String {
    html!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n\
<link rel=\"stylesheet\" href=\"{}\">\n</head>\n<body>\n{}{}</body>\n</html>\n",
        Html::text(title),
        Html::text(css),
        body,
        script
    )
    .into_string()
}

/// The app's page: the toolbar skeleton the script fills, the data element and the script.
/// `data` is the JSON for `<script type="application/json" id="data">` ([`script_json`]);
/// `assets` is the path prefix of `app.js` and `style.css`; `fallback` is shown without
/// JavaScript.
pub fn shell(project: &str, data: &Html, assets: &str, fallback: &Html) -> String {
    let body = html!(
        "<header class=\"top\"><div class=\"brand\"><a class=\"home\" href=\"#/board\">{}</a>\
<span class=\"sub\" id=\"mode\"></span></div>\
<div class=\"searchbox\"><input type=\"search\" id=\"q\" data-testid=\"search\" autocomplete=\"off\" spellcheck=\"false\" \
placeholder=\"Search: label:ui -type:bug\" aria-label=\"Search with the query language\"><kbd>/</kbd></div>\
<span class=\"live-dot\" id=\"live\" hidden></span></header>\n\
<nav class=\"tabs\" id=\"tabs\" aria-label=\"Views\"></nav>\n\
<div class=\"filters\" id=\"filters\"></div>\n<div class=\"qerror\" id=\"qerror\" role=\"alert\" hidden></div>\n\
<main id=\"app\"><noscript>{}</noscript></main>\n<div class=\"toasts\" id=\"toasts\" aria-live=\"polite\"></div>\n",
        Html::text(project),
        fallback.clone(),
    );
    let assets = Html::text(assets);
    page(
        &format!("{project} · issues"),
        &format!("{}style.css", assets.as_str()),
        body,
        html!(
            "<script type=\"application/json\" id=\"data\">{}</script>\n<script src=\"{}app.js\"></script>\n",
            data.clone(),
            assets
        ),
    )
}

/// What a page without JavaScript shows: a plain list of links to the issue pages.
fn fallback(live: &[&IssueView]) -> Html {
    let mut out = html!(
        "<p class=\"empty\">This view needs JavaScript. Every issue also has a plain page:</p><ul class=\"plain\">"
    );
    for v in live {
        out.push(html!(
            "<li><a href=\"issues/{0}.html\"><code>{0}</code> {1}</a> ({2})</li>",
            Html::text(&v.short_id),
            Html::text(&v.issue.title),
            Html::text(plan::state_label(v.issue.state)),
        ));
    }
    out.push(html!("</ul>"));
    out
}

/// A timestamp as people read it: `2026-01-02 03:04 UTC`.
fn when(t: &crate::model::Timestamp) -> String {
    t.datetime().format("%Y-%m-%d %H:%M UTC").to_string()
}

/// A row of the details table; nothing for an empty value.
fn row(label: &str, value: Html) -> Html {
    if value.is_empty() {
        return Html::empty();
    }
    html!(
        "<tr><th>{}</th><td>{}</td></tr>\n",
        Html::text(label),
        value
    )
}

/// An optional text field as a row.
fn text_row(label: &str, value: Option<&str>) -> Html {
    row(label, Html::text(value.unwrap_or("")))
}

fn issue_page(site: &Site<'_>, v: &IssueView, dependents: &[&IssueView]) -> String {
    let i = &v.issue;
    let mut b = html!(
        "<header class=\"top\"><div class=\"brand\"><a class=\"back\" href=\"../index.html\">← {}</a></div></header>\n<main class=\"issue\">\n\
<div class=\"issue-head st-{}\"><code class=\"sid\">{}</code> {} <span class=\"chip type\">{}</span> <span class=\"chip prio p-{5}\">{5}</span>\n<h1>{6}</h1></div>\n",
        Html::text(site.project),
        Html::text(i.state.as_str()),
        Html::text(&v.short_id),
        state_badge(v),
        Html::text(&i.kind),
        Html::text(i.priority.as_str()),
        Html::text(&i.title),
    );
    b.push(html!(
        "<div class=\"issue-grid\">\n<div class=\"issue-main\">\n<section class=\"box\"><h2>Description</h2>\n"
    ));
    if i.description.trim().is_empty() {
        b.push(html!("<p class=\"empty\">No description.</p>\n"));
    } else {
        b.push(html!(
            "<div class=\"md\">{}</div>\n",
            markdown(&i.description)
        ));
    }
    b.push(html!("</section>\n"));
    if !i.checklist.is_empty() {
        let done = i.checklist.iter().filter(|c| c.checked).count();
        b.push(html!(
            "<section class=\"box\"><h2>Checklist <span class=\"count\">{} of {}</span></h2>\n<ul class=\"checklist\">\n",
            Html::text(&done.to_string()),
            Html::text(&i.checklist.len().to_string())
        ));
        for c in &i.checklist {
            b.push(html!(
                "<li class=\"{}\"><span class=\"tick\">{}</span> {}</li>\n",
                Html::text(if c.checked { "checked" } else { "open" }),
                Html::text(if c.checked { "☑" } else { "☐" }),
                Html::text(&c.text)
            ));
        }
        b.push(html!("</ul></section>\n"));
    }
    if !i.comments.is_empty() {
        b.push(html!(
            "<section class=\"box\"><h2>Comments <span class=\"count\">{}</span></h2>\n",
            Html::text(&i.comments.len().to_string())
        ));
        for c in &i.comments {
            b.push(html!(
                "<article class=\"comment\"><div class=\"comment-head\"><strong>{}</strong> <span class=\"muted\">{}</span></div><div class=\"md\">{}</div></article>\n",
                Html::text(&c.author),
                Html::text(&when(&c.at)),
                markdown(&c.body)
            ));
        }
        b.push(html!("</section>\n"));
    }
    b.push(html!(
        "</div>\n<aside class=\"issue-side\">\n<section class=\"box\"><h2>Details</h2><table class=\"facts\">\n"
    ));
    b.push(text_row("Assignee", i.assignee.as_deref()));
    b.push(text_row("Milestone", i.milestone.as_deref()));
    b.push(text_row("Due", i.due.as_deref()));
    b.push(text_row(
        "Estimate",
        i.estimate.map(|e| e.to_string()).as_deref(),
    ));
    b.push(row(
        "Labels",
        i.labels
            .iter()
            .map(|l| html!("<span class=\"chip label\">{}</span>", Html::text(l)))
            .collect(),
    ));
    b.push(row(
        "Parent",
        i.parent
            .as_ref()
            .map(|p| site.reference(p.as_str(), true))
            .unwrap_or_default(),
    ));
    if let Some(p) = &v.progress {
        b.push(text_row(
            "Sub-tasks",
            Some(&format!("{} of {} done", p.done, p.total)),
        ));
    }
    b.push(text_row("Evidence", i.evidence.as_deref()));
    b.push(text_row("Done when", i.done_when.as_deref()));
    b.push(text_row("Reporter", i.reporter.as_deref()));
    b.push(text_row("Created", Some(&when(&i.created_at))));
    b.push(text_row("Updated", Some(&when(&i.updated_at))));
    b.push(html!("</table></section>\n"));

    if !v.blocked_by.is_empty() {
        b.push(html!(
            "<section class=\"box warn\"><h2>Blocked by</h2><ul>\n"
        ));
        for bl in &v.blocked_by {
            match bl {
                Blocker::Dependency { id, .. } => {
                    b.push(html!("<li>{}</li>\n", site.reference(id, true)))
                }
                Blocker::Gate { key, status, .. } => b.push(html!(
                    "<li>gate <code>{}</code> {}</li>\n",
                    Html::text(key),
                    Html::text(status.as_str())
                )),
            }
        }
        b.push(html!("</ul></section>\n"));
    }
    if !i.gates_required.is_empty() {
        b.push(html!(
            "<section class=\"box\"><h2>Gates</h2><ul class=\"gates\">\n"
        ));
        for key in &i.gates_required {
            let st = i.gates_status.get(key);
            let status = st.map(|g| g.status).unwrap_or(GateState::Pending);
            let title = site.gates.get(key).map(|g| g.title.as_str()).unwrap_or("");
            let mut extra = Html::empty();
            if let Some(g) = st {
                if let Some(by) = &g.by {
                    extra.push(html!(" by {}", Html::text(by)));
                }
                if let Some(n) = &g.note {
                    extra.push(html!(" — {}", Html::text(n)));
                }
            }
            b.push(html!(
                "<li class=\"gate g-{0}\"><span class=\"badge g-{0}\">{0}</span> <code>{1}</code> {2}<span class=\"muted\">{3}</span></li>\n",
                Html::text(status.as_str()),
                Html::text(key),
                Html::text(title),
                extra,
            ));
        }
        b.push(html!("</ul></section>\n"));
    }
    let deps: Vec<Html> = i
        .dependencies
        .iter()
        .map(|d| site.reference(d.as_str(), true))
        .collect();
    let downs: Vec<Html> = dependents
        .iter()
        .map(|d| site.reference(d.issue.id.as_str(), true))
        .collect();
    for (title, items) in [("Depends on", deps), ("Needed by", downs)] {
        if items.is_empty() {
            continue;
        }
        b.push(html!(
            "<section class=\"box\"><h2>{}</h2><ul class=\"refs\">\n",
            Html::text(title)
        ));
        for it in items {
            b.push(html!("<li>{}</li>\n", it));
        }
        b.push(html!("</ul></section>\n"));
    }
    let mut links: Vec<Html> = i
        .links
        .iter()
        .map(|l| {
            html!(
                "{} {}",
                Html::text(l.kind.as_str()),
                site.reference(&l.target, true)
            )
        })
        .collect();
    for l in v.linked_from.iter().flatten() {
        let verb = match l.kind {
            crate::model::LinkKind::Relates => "related from",
            crate::model::LinkKind::Duplicates => "duplicated by",
        };
        links.push(html!(
            "{} {}",
            Html::text(verb),
            site.reference(&l.id, true)
        ));
    }
    if !links.is_empty() {
        b.push(html!(
            "<section class=\"box\"><h2>Links</h2><ul class=\"refs\">\n"
        ));
        for l in links {
            b.push(html!("<li>{}</li>\n", l));
        }
        b.push(html!("</ul></section>\n"));
    }
    if !i.prs.is_empty() {
        b.push(html!(
            "<section class=\"box\"><h2>Pull requests</h2><ul class=\"prs\">\n"
        ));
        for pr in &i.prs {
            let name = match (pr.number, &pr.title) {
                (Some(n), Some(t)) => format!("#{n} {t}"),
                (Some(n), None) => format!("#{n}"),
                (None, Some(t)) => t.clone(),
                (None, None) => pr.url.clone(),
            };
            let name = Html::text(&name);
            let link = if is_safe_url(&pr.url) {
                html!(
                    "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                    Html::text(&pr.url),
                    name
                )
            } else {
                name
            };
            let mut tags = Html::empty();
            if let Some(s) = pr.status {
                tags.push(html!(
                    " <span class=\"chip\">{}</span>",
                    Html::text(s.as_str())
                ));
            }
            if let Some(c) = pr.ci {
                tags.push(html!(
                    " <span class=\"chip ci-{0}\">CI {0}</span>",
                    Html::text(c.as_str())
                ));
            }
            if let Some(br) = &pr.branch {
                tags.push(html!(" <code>{}</code>", Html::text(br)));
            }
            b.push(html!("<li>{}{}</li>\n", link, tags));
        }
        b.push(html!("</ul></section>\n"));
    }
    b.push(html!("</aside>\n</div>\n</main>\n"));
    page(
        &format!("{} · {}", v.short_id, i.title),
        "../style.css",
        b,
        Html::empty(),
    )
}

/// Renders the site. `views` is every issue in the store (references are resolved against it);
/// `keep` says which of them get pages (a `--filter`); `public` hides internal issues; `data` is
/// the front-end's document ([`super::site`]) for the same choice.
pub fn render(
    project: &str,
    views: &[IssueView],
    gates: &BTreeMap<String, GateDef>,
    public: bool,
    keep: impl Fn(&IssueView) -> bool,
    data: &super::site::SiteData,
) -> Result<Vec<SiteFile>> {
    let private: HashSet<String> = if public {
        super::site::private_ids(views)
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
            content: shell(site.project, &script_json(data)?, "", &fallback(&live)),
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
            code: crate::error::ErrorCode::OutDirNotEmpty,
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
    let (views, problems) = crate::view::list_all_reporting(store, progress)?;
    super::refuse_unreadable(store, &problems)?;
    let config = store.config()?;
    let gates = store.gates()?;
    let data = super::site::build(
        store,
        &views,
        &super::site::Options {
            mode: super::site::Mode::Static,
            public,
            read_only: true,
            actor: None,
            keep: &keep,
        },
    )?;
    let files = render(&config.project, &views, &gates, public, &keep, &data)?;
    write(dir, &files, force, progress)?;
    Ok(SiteReport {
        dir: dir.to_path_buf(),
        index: dir.join("index.html"),
        files: files.len(),
        issues: files.len() - 3,
        public,
    })
}
