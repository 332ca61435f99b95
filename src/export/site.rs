//! The data document of the web front-end: what `jit export web` embeds in `index.html` and
//! what `jit serve` answers at `/api/site`. One shape for both, so one script renders both.
//!
//! It holds every shown issue as the CLI prints it (`jit issue show --json`: stored fields plus
//! `short_id`, `blocked`, `blocked_by`, `progress`, `linked_from`), the gate registry, the
//! configured types, the latest events, the actors seen in the log, the metrics, and (for the
//! static export, which has no server to ask) the issues' descriptions and comments rendered by
//! the safe markdown renderer of [`super::html`].
//!
//! Invariants: with `public`, no issue with `visibility: internal` appears, and no id or title of
//! one appears anywhere in the document: references to it are removed from `dependencies`,
//! `links`, `linked_from` and `parent` (counted in `private_dependencies`, `private_links` and
//! `private_parent` instead), a `blocked_by` entry naming it reads `(private)`, and events of
//! internal issues are left out while every event keeps only its id, time, type, issue and actor
//! (its `changes` and `data` may name other issues). A redacted issue still tells the truth about
//! itself: `blocked` is computed with the internal issues known. Under `public` no issue carries
//! its `merge_conflicts` (what merges discarded is former content, and may name a hidden issue).

use super::html::markdown;
use crate::error::{Error, Result};
use crate::model::{Event, GateDef, Timestamp};
use crate::store::Store;
use crate::view::IssueView;
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The version of this document's shape.
pub const SCHEMA: u32 = 1;
/// How many of the latest events the document carries.
pub const EVENTS: usize = 500;

/// Where the document is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// `jit export web`: frozen, read-only, rendered markdown embedded.
    Static,
    /// `jit serve`: live; markdown is asked for per issue.
    Live,
}

/// One actor seen in the event log or holding an issue.
#[derive(Debug, Clone, Serialize)]
pub struct ActorSeen {
    pub actor: String,
    /// Events this actor recorded.
    pub events: usize,
    /// When it last recorded one (absent when it only appears as an assignee).
    pub last_at: Option<Timestamp>,
    /// The type of that event.
    pub last_event: Option<String>,
}

/// An issue's markdown rendered to safe HTML: the description and each comment, in order.
#[derive(Debug, Clone, Serialize)]
pub struct Rendered {
    pub description: String,
    pub comments: Vec<String>,
}

impl Rendered {
    /// Renders one issue's description and comments.
    pub fn of(v: &IssueView) -> Self {
        Rendered {
            description: markdown(&v.issue.description).into_string(),
            comments: v
                .issue
                .comments
                .iter()
                .map(|c| markdown(&c.body).into_string())
                .collect(),
        }
    }
}

/// The document.
#[derive(Debug, Serialize)]
pub struct SiteData {
    pub schema: u32,
    pub mode: Mode,
    pub project: String,
    pub public: bool,
    /// `jit serve --read-only` (always true for a static export).
    pub read_only: bool,
    /// Who the console acts as (live only).
    pub actor: Option<String>,
    pub generated_at: Timestamp,
    pub types: Vec<String>,
    /// The container types, which the filter's `is:ready` leaves out unless named.
    pub containers: Vec<String>,
    pub gates: BTreeMap<String, GateDef>,
    pub issues: Vec<Value>,
    /// The latest events, oldest first (at most [`EVENTS`]).
    pub events: Vec<Value>,
    /// The id of the newest event in the log: where a live page resumes its event stream.
    pub last_event_id: Option<String>,
    pub actors: Vec<ActorSeen>,
    /// `jit metrics` over the shown issues (absent under `public`: flow times come from the
    /// whole log).
    pub metrics: Option<crate::ops::metrics::Metrics>,
    /// Rendered markdown by short id (static only; a live page asks `/api/issues/ID/rendered`).
    pub rendered: Option<BTreeMap<String, Rendered>>,
}

/// What to build.
pub struct Options<'a> {
    pub mode: Mode,
    pub public: bool,
    pub read_only: bool,
    pub actor: Option<String>,
    /// Which issues are shown (a `--filter`); internal ones are dropped first under `public`.
    pub keep: &'a dyn Fn(&IssueView) -> bool,
}

/// The ids of the issues `public` hides.
pub fn private_ids(views: &[IssueView]) -> HashSet<String> {
    views
        .iter()
        .filter(|v| v.issue.is_internal())
        .map(|v| v.issue.id.to_string())
        .collect()
}

/// An issue view as JSON: exactly the CLI's, or under `public` [`redact`]ed (see the module
/// invariants).
pub fn issue_json(v: &IssueView, public: bool, private: &HashSet<String>) -> Result<Value> {
    let mut value = serde_json::to_value(v)
        .map_err(|e| Error::Internal(format!("serializing an issue: {e}")))?;
    if public {
        redact(&mut value, private);
    }
    Ok(value)
}

fn is_private(v: &Value, private: &HashSet<String>) -> bool {
    v.as_str().is_some_and(|s| private.contains(s))
}

/// Drops the items of the array `key` that `pick` selects, counting them in `name`.
fn drop_counted(
    obj: &mut Map<String, Value>,
    key: &str,
    name: &str,
    pick: &dyn Fn(&Value) -> bool,
) {
    if let Some(Value::Array(items)) = obj.get_mut(key) {
        let before = items.len();
        items.retain(|i| !pick(i));
        let gone = before - items.len();
        if gone > 0 {
            obj.insert(name.to_string(), json!(gone));
        }
    }
}

/// What a public issue's JSON keeps: references to hidden issues are removed, and so are its
/// merge-conflict records (values merges discarded: former content, as the `changes` public
/// events leave out, and a discarded `parent` may name a hidden issue).
pub fn redact(value: &mut Value, private: &HashSet<String>) {
    let Some(obj) = value.as_object_mut() else {
        return;
    };
    obj.remove("merge_conflicts");
    drop_counted(obj, "dependencies", "private_dependencies", &|d| {
        is_private(d, private)
    });
    drop_counted(obj, "links", "private_links", &|l| {
        is_private(&l["target"], private)
    });
    drop_counted(obj, "linked_from", "private_linked_from", &|l| {
        is_private(&l["id"], private)
    });
    if obj.get("parent").is_some_and(|p| is_private(p, private)) {
        obj.remove("parent");
        obj.insert("private_parent".into(), json!(true));
    }
    if let Some(Value::Array(blockers)) = obj.get_mut("blocked_by") {
        for b in blockers {
            if b["kind"] == "dependency" && is_private(&b["id"], private) {
                *b = json!({ "kind": "dependency", "id": null, "short_id": "(private)", "title": null, "state": null, "private": true });
            }
        }
    }
}

/// An event as the document carries it: whole, or under `public` only its id, time, type, issue
/// and actor (`None` when it concerns a hidden issue).
pub fn event_json(e: &Event, public: bool, private: &HashSet<String>) -> Option<Value> {
    if !public {
        return serde_json::to_value(e).ok();
    }
    if e.issue.as_deref().is_some_and(|i| private.contains(i)) {
        return None;
    }
    let mut v = json!({ "id": e.id, "ts": e.ts, "type": e.kind, "actor": e.actor });
    if let Some(i) = &e.issue {
        v["issue"] = json!(i);
    }
    Some(v)
}

/// Who appears in the log (and who holds an issue), busiest last-active first.
pub fn actors_seen(events: &[Event], views: &[&IssueView]) -> Vec<ActorSeen> {
    let mut by: HashMap<&str, ActorSeen> = HashMap::new();
    for e in events {
        let a = by.entry(e.actor.as_str()).or_insert_with(|| ActorSeen {
            actor: e.actor.clone(),
            events: 0,
            last_at: None,
            last_event: None,
        });
        a.events += 1;
        if a.last_at.is_none_or(|t| e.ts >= t) {
            a.last_at = Some(e.ts);
            a.last_event = Some(e.kind.clone());
        }
    }
    for v in views {
        if let Some(h) = v.issue.assignee.as_deref() {
            by.entry(h).or_insert_with(|| ActorSeen {
                actor: h.to_string(),
                events: 0,
                last_at: None,
                last_event: None,
            });
        }
    }
    let mut out: Vec<ActorSeen> = by.into_values().collect();
    out.sort_by(|a, b| {
        b.last_at
            .cmp(&a.last_at)
            .then_with(|| a.actor.cmp(&b.actor))
    });
    out
}

/// Builds the document from every issue in the store (`views`, sorted by id).
pub fn build(store: &Store, views: &[IssueView], opts: &Options<'_>) -> Result<SiteData> {
    let config = store.config()?;
    let gates = store.gates()?;
    let private = if opts.public {
        private_ids(views)
    } else {
        HashSet::new()
    };
    let shown: Vec<&IssueView> = views
        .iter()
        .filter(|v| !private.contains(v.issue.id.as_str()) && (opts.keep)(v))
        .collect();
    let issues = shown
        .iter()
        .map(|v| issue_json(v, opts.public, &private))
        .collect::<Result<Vec<_>>>()?;
    let log = crate::history::query(store, &crate::history::EventQuery::default())?.events;
    let shown_ids: HashSet<&str> = shown.iter().map(|v| v.issue.id.as_str()).collect();
    let visible: Vec<&Event> = log
        .iter()
        .filter(|e| !opts.public || e.issue.as_deref().is_none_or(|i| shown_ids.contains(i)))
        .collect();
    let events: Vec<Value> = visible
        .iter()
        .skip(visible.len().saturating_sub(EVENTS))
        .filter_map(|e| event_json(e, opts.public, &private))
        .collect();
    let visible_owned: Vec<Event> = visible.iter().map(|e| (*e).clone()).collect();
    let actors = actors_seen(&visible_owned, &shown);
    let metrics = if opts.public {
        None
    } else {
        let owned: Vec<IssueView> = shown.iter().map(|v| (*v).clone()).collect();
        Some(crate::ops::metrics::compute(store, &owned)?)
    };
    let rendered = (opts.mode == Mode::Static).then(|| {
        shown
            .iter()
            .map(|v| (v.short_id.clone(), Rendered::of(v)))
            .collect()
    });
    Ok(SiteData {
        schema: SCHEMA,
        mode: opts.mode,
        project: if config.project.trim().is_empty() {
            "Project".into()
        } else {
            config.project.trim().to_string()
        },
        public: opts.public,
        read_only: opts.read_only || opts.mode == Mode::Static,
        actor: opts.actor.clone(),
        generated_at: crate::clock::now()?,
        types: config.types.clone(),
        containers: config.container_types(),
        gates,
        issues,
        events,
        last_event_id: log.last().map(|e| e.id.clone()),
        actors,
        metrics,
        rendered,
    })
}
