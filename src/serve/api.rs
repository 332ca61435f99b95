//! The routes of `jit serve`: the page and its assets, and the JSON API under `/api/`.
//!
//! Every reply of an API route is what the matching CLI command prints under `--json` (the
//! same Rust value, serialized the same way); every write calls the core function that command
//! calls, with `If-Match` as its `--if-version` and the console's actor. Replies that describe
//! one issue carry its version as the `ETag`.

use super::Shared;
use super::auth::{self, Precondition};
use super::http::{
    self, Response, error_reply, http_error, insert, json_reply, parse_json, query_map, read_body,
};
use crate::error::{Error, Result};
use crate::export::site::{self, Mode, Options};
use crate::model::{
    Actor, GateState, IssueId, Priority, State, Timestamp, Visibility, time::parse_duration,
};
use crate::ops::issues::{CreateRequest, IssuePage, Patch, UpdateRequest};
use crate::view::IssueView;
use hyper::body::Incoming;
use hyper::{Method, Request, StatusCode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;

/// Answers one request.
pub async fn handle(req: Request<Incoming>, shared: Arc<Shared>) -> Result<Response, Infallible> {
    Ok(route(req, shared).await.unwrap_or_else(|r| r))
}

type Reply = std::result::Result<Response, Response>;

/// Runs a core operation on a blocking thread.
async fn blocking<T: Send + 'static>(
    shared: &Arc<Shared>,
    f: impl FnOnce(&Shared) -> Result<T> + Send + 'static,
) -> std::result::Result<T, Response> {
    let s = shared.clone();
    let done = tokio::task::spawn_blocking(move || f(&s)).await;
    // A write queued hook deliveries: attempt them now, off the request's path, as the CLI does
    // after printing its reply (a hook can neither fail nor delay the change).
    tokio::task::spawn_blocking(|| {
        for w in crate::hooks::flush() {
            eprintln!("jit serve: {w}");
        }
    });
    match done {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(error_reply(&e)),
        Err(_) => Err(error_reply(&Error::Internal(
            "a request handler failed; this is a bug in jit, please report it".into(),
        ))),
    }
}

fn not_found_route(method: &Method, path: &str) -> Response {
    http_error(
        "no_route",
        format!("no route `{method} {path}`; docs/serve.md lists the API"),
        json!({ "method": method.as_str(), "path": path }),
    )
}

fn wrong_method(method: &Method, path: &str, allowed: &str) -> Response {
    let mut r = http_error(
        "method_not_allowed",
        format!("`{path}` does not take {method}; it takes {allowed}"),
        json!({ "allowed": allowed }),
    );
    insert(r.headers_mut(), "allow", allowed);
    r
}

async fn route(req: Request<Incoming>, shared: Arc<Shared>) -> Reply {
    auth::check_host(&shared, req.headers())?;
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = query_map(req.uri().query());
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(http::percent_decode)
        .collect();
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    if segs.first() != Some(&"api") {
        return page(&shared, &method, &path, &query, req.headers());
    }
    let write = !matches!(method, Method::GET | Method::HEAD);
    if write {
        auth::check_write(&shared, req.headers())?;
        let ct = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let has_body = req
            .headers()
            .get("content-length")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|l| l.trim() != "0")
            || req.headers().contains_key("transfer-encoding");
        if has_body && !ct.to_ascii_lowercase().starts_with("application/json") {
            return Err(http_error(
                "unsupported_media_type",
                "a request body must be JSON (`Content-Type: application/json`)",
                json!({ "content_type": ct }),
            ));
        }
    } else {
        auth::check_read(&shared, req.headers())?;
    }
    let headers = req.headers().clone();
    let body = if write {
        read_body(req.into_body()).await?
    } else {
        Default::default()
    };
    match (&method, &segs[1..]) {
        (&Method::GET, ["site"]) => {
            let data = blocking(&shared, |s| {
                let (views, _) = crate::view::list_all(&s.store)?;
                site::build(
                    &s.store,
                    &views,
                    &Options {
                        mode: Mode::Live,
                        public: s.public,
                        read_only: s.read_only,
                        actor: Some(s.actor.to_string()),
                        keep: &|_| true,
                    },
                )
            })
            .await?;
            ok(&data)
        }
        (&Method::GET, ["gates"]) => {
            let gates = blocking(&shared, |s| s.store.gates()).await?;
            ok(&json!({ "gates": gates.into_values().collect::<Vec<_>>() }))
        }
        (&Method::GET, ["events"]) => {
            let accept = headers
                .get("accept")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if accept.contains("text/event-stream") {
                let last = headers
                    .get("last-event-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
                    .filter(|s| !s.trim().is_empty())
                    .or_else(|| query.get("after").cloned());
                let tail = match query.get("tail").map(|t| t.parse::<usize>()) {
                    None => None,
                    Some(Ok(n)) => Some(n),
                    Some(Err(_)) => {
                        return Err(error_reply(&Error::invalid(
                            "tail",
                            "must be a number of events",
                        )));
                    }
                };
                return Ok(super::stream::events(shared, last, tail).await);
            }
            events_query(&shared, &query).await
        }
        (&Method::GET, ["issues"]) => list(&shared, &query).await,
        (&Method::POST, ["issues"]) => create(&shared, &body).await,
        (_, ["issues"]) => Err(wrong_method(&method, &path, "GET, POST")),
        (&Method::GET, ["issues", id]) => {
            let id = id.to_string();
            let related = query.get("related").is_some_and(|v| v != "false");
            let view = blocking(&shared, move |s| {
                let mut v = crate::ops::issues::show(&s.store, &id)?;
                hide_internal(s, &v)?;
                if related {
                    crate::ops::link::add_related(&s.store, &mut v)?;
                }
                Ok(v)
            })
            .await?;
            let etag = format!("\"{}\"", view.issue.version);
            if headers
                .get("if-none-match")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.trim() == etag)
            {
                let mut r = http::response(StatusCode::NOT_MODIFIED, "application/json", "");
                insert(r.headers_mut(), "etag", &etag);
                return Ok(r);
            }
            let value = issue_value(&shared, &view).await?;
            Ok(with_etag(json_reply(StatusCode::OK, &value), &value))
        }
        (&Method::PATCH, ["issues", id]) => {
            let pre = auth::if_match(&headers)?;
            update(&shared, id, pre, &body).await
        }
        (_, ["issues", _]) => Err(wrong_method(&method, &path, "GET, PATCH")),
        (&Method::GET, ["issues", id, "rendered"]) => {
            let id = id.to_string();
            let r = blocking(&shared, move |s| {
                let v = crate::ops::issues::show(&s.store, &id)?;
                hide_internal(s, &v)?;
                Ok(site::Rendered::of(&v))
            })
            .await?;
            ok(&r)
        }
        (&Method::POST, ["issues", id, action @ ..]) => {
            let pre = auth::if_match(&headers)?;
            let id = id.to_string();
            issue_action(&shared, id, action, pre, &body).await
        }
        (&Method::DELETE, ["issues", id, "deps", dep]) => {
            let pre = auth::if_match(&headers)?;
            let (id, dep) = (id.to_string(), dep.to_string());
            let v = blocking(&shared, move |s| {
                check_visible(s, &id)?;
                check_visible(s, &dep)?;
                crate::ops::deps::remove_dependency(&s.store, &s.actor, &id, &dep, pre.version())
            })
            .await?;
            reply_value(&shared, &v).await
        }
        _ => Err(not_found_route(&method, &path)),
    }
}

/// Serializes a reply, removing references to hidden issues under `--public`.
async fn redacted<T: serde::Serialize>(
    shared: &Arc<Shared>,
    v: &T,
) -> std::result::Result<Value, Response> {
    let mut value = serde_json::to_value(v)
        .map_err(|e| error_reply(&Error::Internal(format!("serializing a reply: {e}"))))?;
    if shared.public {
        let private = blocking(shared, |s| {
            let (views, _) = crate::view::list_all(&s.store)?;
            Ok(site::private_ids(&views))
        })
        .await?;
        redact_value(&mut value, &private);
    }
    Ok(value)
}

/// Redacts an issue reply: the issue itself, or the `issue` of a dependency change, or each
/// issue of a page.
fn redact_value(value: &mut Value, private: &HashSet<String>) {
    if let Some(items) = value.get_mut("issues").and_then(Value::as_array_mut) {
        for i in items {
            site::redact(i, private);
        }
        return;
    }
    if let Some(i) = value.get_mut("issue").filter(|i| i.is_object()) {
        site::redact(i, private);
    }
    site::redact(value, private);
}

async fn issue_value(shared: &Arc<Shared>, v: &IssueView) -> std::result::Result<Value, Response> {
    redacted(shared, v).await
}

/// The version of the issue a reply describes, as an `ETag`.
fn with_etag(mut r: Response, v: &Value) -> Response {
    let version = v
        .get("version")
        .or_else(|| v.get("issue").and_then(|i| i.get("version")))
        .and_then(Value::as_u64);
    if let Some(n) = version {
        insert(r.headers_mut(), "etag", &format!("\"{n}\""));
    }
    r
}

async fn reply_value<T: serde::Serialize>(shared: &Arc<Shared>, v: &T) -> Reply {
    let value = redacted(shared, v).await?;
    Ok(with_etag(json_reply(StatusCode::OK, &value), &value))
}

fn ok<T: serde::Serialize>(v: &T) -> Reply {
    let value = serde_json::to_value(v)
        .map_err(|e| error_reply(&Error::Internal(format!("serializing a reply: {e}"))))?;
    Ok(json_reply(StatusCode::OK, &value))
}

/// Under `--public`, an internal issue does not exist.
fn hide_internal(s: &Shared, v: &IssueView) -> Result<()> {
    if s.public && v.issue.visibility == Some(Visibility::Internal) {
        return Err(Error::NotFound {
            id: v.short_id.clone(),
        });
    }
    Ok(())
}

/// Under `--public`, refuses to act on (or point at) an internal issue, as if it did not exist.
fn check_visible(s: &Shared, input: &str) -> Result<()> {
    if !s.public {
        return Ok(());
    }
    let id = s.store.resolve(input)?;
    let issue = s.store.load(&id)?;
    if issue.visibility == Some(Visibility::Internal) {
        return Err(Error::NotFound {
            id: input.to_string(),
        });
    }
    Ok(())
}

/// `GET /api/events` without `Accept: text/event-stream`: `jit events query`.
async fn events_query(shared: &Arc<Shared>, q: &BTreeMapLike) -> Reply {
    let limit = parse_limit(q.get("limit"))?;
    let query = crate::history::EventQuery {
        since: q.get("since").cloned(),
        kind: q.get("event").cloned(),
        issue: q.get("issue").cloned(),
        actor: q.get("actor").cloned(),
        limit,
    };
    let page = blocking(shared, move |s| {
        let mut page = crate::history::query(&s.store, &query)?;
        if s.public {
            let (views, _) = crate::view::list_all(&s.store)?;
            let shown: HashSet<String> = views
                .iter()
                .filter(|v| v.issue.visibility != Some(Visibility::Internal))
                .map(|v| v.issue.id.to_string())
                .collect();
            page.events
                .retain(|e| e.issue.as_deref().is_none_or(|i| shown.contains(i)));
            let events: Vec<Value> = page
                .events
                .iter()
                .filter_map(|e| site::event_json(e, true, &HashSet::new()))
                .collect();
            return Ok(json!({ "events": events, "total": events.len(), "unreadable_lines": page.unreadable_lines }));
        }
        serde_json::to_value(&page).map_err(|e| Error::Internal(e.to_string()))
    })
    .await?;
    Ok(json_reply(StatusCode::OK, &page))
}

type BTreeMapLike = std::collections::HashMap<String, String>;

fn parse_limit(v: Option<&String>) -> std::result::Result<Option<usize>, Response> {
    match v.map(|l| l.trim().parse::<usize>()) {
        None => Ok(None),
        Some(Ok(n)) => Ok(Some(n)),
        Some(Err(_)) => Err(error_reply(&Error::invalid(
            "limit",
            "must be a whole number",
        ))),
    }
}

/// `GET /api/issues`: `jit issue list --filter Q --limit N --cursor C --since T`.
async fn list(shared: &Arc<Shared>, q: &BTreeMapLike) -> Reply {
    let filter = q.get("filter").cloned().filter(|f| !f.is_empty());
    let limit = parse_limit(q.get("limit"))?;
    let cursor = q.get("cursor").cloned().filter(|c| !c.is_empty());
    let since = q.get("since").cloned().filter(|c| !c.is_empty());
    let page = blocking(shared, move |s| {
        let query = filter
            .as_deref()
            .map(|f| -> Result<_> {
                let q = crate::query::parse(f, crate::clock::now()?)?;
                Ok(q.in_store(&s.store.config()?))
            })
            .transpose()?;
        let (mut views, problems) = crate::view::list_all(&s.store)?;
        if s.public {
            views.retain(|v| v.issue.visibility != Some(Visibility::Internal));
        }
        if let Some(q) = &query {
            views.retain(|v| q.matches(v));
            if q.has_sort() {
                q.sort(&mut views);
            }
        }
        paged(views, since.as_deref(), cursor.as_deref(), limit, problems)
    })
    .await?;
    let value = redacted(shared, &page).await?;
    Ok(json_reply(StatusCode::OK, &value))
}

/// `--since`, `--cursor` and `--limit` as `jit issue list` applies them.
fn paged(
    mut views: Vec<IssueView>,
    since: Option<&str>,
    cursor: Option<&str>,
    limit: Option<usize>,
    problems: Vec<crate::store::FileProblem>,
) -> Result<IssuePage> {
    if let Some(s) = since {
        let t = Timestamp::parse_relative(s, crate::clock::now()?)?;
        views.retain(|v| v.issue.updated_at >= t);
    }
    let total = views.len();
    if let Some(c) = cursor {
        let after = IssueId::parse(c).map_err(|_| {
            Error::invalid(
                "cursor",
                format!("`{}` is not a cursor from `next_cursor`", c.escape_debug()),
            )
        })?;
        views.retain(|v| v.issue.id > after);
    }
    let mut next_cursor = None;
    if let Some(n) = limit {
        if n == 0 {
            return Err(Error::invalid("limit", "must be at least 1"));
        }
        if views.len() > n {
            views.truncate(n);
            next_cursor = views.last().map(|v| v.issue.id.to_string());
        }
    }
    Ok(IssuePage {
        issues: views,
        total,
        next_cursor,
        problems,
    })
}

/// A field that may be absent (keep), `null` (clear) or a value (set).
fn patch_field<'de, D, T>(d: D) -> std::result::Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// `POST /api/issues`: the flags of `jit issue create`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    title: String,
    #[serde(default, alias = "desc")]
    description: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    gates: Vec<String>,
    #[serde(default, alias = "dependencies")]
    deps: Vec<String>,
    #[serde(default)]
    milestone: Option<String>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    due: Option<String>,
    #[serde(default)]
    estimate: Option<f64>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default)]
    evidence: Option<String>,
    #[serde(default)]
    done_when: Option<String>,
    #[serde(default)]
    context: BTreeMap<String, String>,
}

fn parse_enum<T: std::str::FromStr<Err = Error>>(v: Option<&str>) -> Result<Option<T>> {
    v.map(str::parse).transpose()
}

async fn create(shared: &Arc<Shared>, body: &[u8]) -> Reply {
    let b: CreateBody = parse_json(body)?;
    let view = blocking(shared, move |s| {
        for r in b.deps.iter().chain(b.parent.iter()) {
            check_visible(s, r)?;
        }
        let req = CreateRequest {
            title: b.title,
            description: b.description,
            priority: parse_enum::<Priority>(b.priority.as_deref())?,
            kind: b.kind,
            labels: b.labels,
            gates: b.gates,
            deps: b.deps,
            milestone: b.milestone,
            parent: b.parent,
            due: b.due,
            estimate: b.estimate,
            visibility: parse_enum::<Visibility>(b.visibility.as_deref())?,
            evidence: b.evidence,
            done_when: b.done_when,
            context: b.context.into_iter().collect(),
        };
        crate::ops::issues::create(&s.store, &s.actor, req)
    })
    .await?;
    let value = redacted(shared, &view).await?;
    let mut r = with_etag(json_reply(StatusCode::CREATED, &value), &value);
    insert(
        r.headers_mut(),
        "location",
        &format!("/api/issues/{}", view.issue.id),
    );
    Ok(r)
}

/// `PATCH /api/issues/ID`: the flags of `jit issue update` (`labels` replaces the whole set).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UpdateBody {
    #[serde(default)]
    title: Option<String>,
    #[serde(default, alias = "desc")]
    description: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    labels: Option<Vec<String>>,
    #[serde(default)]
    add_labels: Vec<String>,
    #[serde(default)]
    remove_labels: Vec<String>,
    #[serde(default, deserialize_with = "patch_field")]
    milestone: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    parent: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    due: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    estimate: Option<Option<f64>>,
    #[serde(default)]
    visibility: Option<String>,
    #[serde(default, deserialize_with = "patch_field")]
    evidence: Option<Option<String>>,
    #[serde(default, deserialize_with = "patch_field")]
    done_when: Option<Option<String>>,
    #[serde(default)]
    context: BTreeMap<String, Option<String>>,
    /// True drops the merge-conflict records (`issue update --clear-merge-conflicts`).
    #[serde(default)]
    clear_merge_conflicts: bool,
}

/// Absent: keep; `null` or blank: clear (as an empty flag value clears in the CLI); else set.
fn to_patch<T>(v: Option<Option<T>>, blank: impl Fn(&T) -> bool) -> Patch<T> {
    match v {
        None => Patch::Keep,
        Some(None) => Patch::Clear,
        Some(Some(x)) if blank(&x) => Patch::Clear,
        Some(Some(x)) => Patch::Set(x),
    }
}

async fn update(shared: &Arc<Shared>, id: &str, pre: Precondition, body: &[u8]) -> Reply {
    let b: UpdateBody = parse_json(body)?;
    let id = id.to_string();
    let out = blocking(shared, move |s| {
        check_visible(s, &id)?;
        if let Some(Some(p)) = &b.parent
            && !p.trim().is_empty()
        {
            check_visible(s, p)?;
        }
        let mut if_version = pre.version();
        let (mut add, mut remove) = (b.add_labels, b.remove_labels);
        if let Some(want) = &b.labels {
            // The whole set: the difference from the version being replaced. With `If-Match: *`
            // that version is pinned here, so a concurrent change still fails cleanly.
            let current = crate::ops::issues::show(&s.store, &id)?;
            if_version = if_version.or(Some(current.issue.version));
            let want: Vec<String> = want.iter().map(|l| l.trim().to_string()).collect();
            remove.extend(
                current
                    .issue
                    .labels
                    .iter()
                    .filter(|l| !want.contains(l))
                    .cloned(),
            );
            add.extend(
                want.iter()
                    .filter(|l| !current.issue.labels.contains(l))
                    .cloned(),
            );
        }
        let req = UpdateRequest {
            title: b.title,
            description: b.description,
            priority: parse_enum::<Priority>(b.priority.as_deref())?,
            state: parse_enum::<State>(b.state.as_deref())?,
            kind: b.kind,
            add_labels: add,
            remove_labels: remove,
            milestone: to_patch(b.milestone, |m: &String| m.trim().is_empty()),
            parent: to_patch(b.parent, |p: &String| p.trim().is_empty()),
            due: to_patch(b.due, |d: &String| d.trim().is_empty()),
            estimate: to_patch(b.estimate, |_| false),
            visibility: parse_enum::<Visibility>(b.visibility.as_deref())?,
            evidence: to_patch(b.evidence, |e: &String| e.trim().is_empty()),
            done_when: to_patch(b.done_when, |e: &String| e.trim().is_empty()),
            context: b.context.into_iter().collect(),
            clear_merge_conflicts: b.clear_merge_conflicts,
            if_version,
            ..Default::default()
        };
        crate::ops::issues::update(&s.store, &s.actor, &id, req)
    })
    .await?;
    reply_value(shared, &out).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimBody {
    #[serde(default)]
    to: Option<String>,
    #[serde(default)]
    ttl: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseBody {
    #[serde(default)]
    force: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemBody {
    item: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GateBody {
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    by: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepBody {
    on: String,
}

/// Runs a core operation on one issue (checked visible first) and replies with its result.
async fn act<B, T, F>(shared: &Arc<Shared>, id: String, body: &[u8], f: F) -> Reply
where
    B: DeserializeOwned + Send + 'static,
    T: serde::Serialize + Send + 'static,
    F: FnOnce(&Shared, &str, B) -> Result<T> + Send + 'static,
{
    let b: B = parse_json(body)?;
    let out = blocking(shared, move |s| {
        check_visible(s, &id)?;
        f(s, &id, b)
    })
    .await?;
    reply_value(shared, &out).await
}

/// `POST /api/issues/ID/...`: claim, release, comments, checklist, gates, deps.
async fn issue_action(
    shared: &Arc<Shared>,
    id: String,
    action: &[&str],
    pre: Precondition,
    body: &[u8],
) -> Reply {
    let v = pre.version();
    match action {
        ["claim"] => {
            act(shared, id, body, move |s, id, b: ClaimBody| {
                let to = b.to.as_deref().map(Actor::parse).transpose()?;
                let ttl = b.ttl.as_deref().map(parse_duration).transpose()?;
                crate::ops::claims::claim(&s.store, &s.actor, id, to.as_ref(), ttl, v)
            })
            .await
        }
        ["release"] => {
            act(shared, id, body, move |s, id, b: ReleaseBody| {
                crate::ops::claims::release(&s.store, &s.actor, id, b.force, v)
            })
            .await
        }
        ["comments"] => {
            act(shared, id, body, move |s, id, b: CommentBody| {
                crate::ops::comment::comment(&s.store, &s.actor, id, &b.body, v)
            })
            .await
        }
        ["checklist"] => {
            act(shared, id, body, move |s, id, b: ItemBody| {
                crate::ops::checklist::checklist_add(&s.store, &s.actor, id, &b.item, v)
            })
            .await
        }
        ["checklist", which @ ("check" | "uncheck")] => {
            let checked = *which == "check";
            act(shared, id, body, move |s, id, b: ItemBody| {
                crate::ops::checklist::checklist_set(&s.store, &s.actor, id, &b.item, checked, v)
            })
            .await
        }
        ["gates", key, which @ ("pass" | "fail")] => {
            let status = if *which == "pass" {
                GateState::Passed
            } else {
                GateState::Failed
            };
            let key = key.to_string();
            act(shared, id, body, move |s, id, b: GateBody| {
                crate::ops::gates::set_status_if_version(
                    &s.store,
                    &s.actor,
                    id,
                    &key,
                    status,
                    b.by.as_deref(),
                    b.note.as_deref(),
                    v,
                )
            })
            .await
        }
        ["deps"] => {
            act(shared, id, body, move |s, id, b: DepBody| {
                check_visible(s, &b.on)?;
                crate::ops::deps::add_dependency(&s.store, &s.actor, id, &b.on, v)
            })
            .await
        }
        _ => Err(not_found_route(
            &Method::POST,
            &format!("/api/issues/{id}/{}", action.join("/")),
        )),
    }
}

/// The page and its assets. `/?token=T` sets the cookie and sends the browser on to `/`.
fn page(
    shared: &Arc<Shared>,
    method: &Method,
    path: &str,
    query: &BTreeMapLike,
    headers: &hyper::HeaderMap,
) -> Reply {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return Err(wrong_method(method, path, "GET"));
    }
    match path {
        "/" | "/index.html" => {
            if let Some(t) = query.get("token") {
                if !auth::is_token(shared, t) {
                    return Err(http::response(
                        StatusCode::UNAUTHORIZED,
                        "text/plain; charset=utf-8",
                        "This link's token is not this server's (was `jit serve` restarted?). \
                         Open the URL it printed last.\n",
                    ));
                }
                let mut r = http::response(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", "");
                insert(r.headers_mut(), "location", "/");
                insert(
                    r.headers_mut(),
                    "set-cookie",
                    &format!(
                        "{}={}; Path=/; HttpOnly; SameSite=Strict",
                        shared.cookie_name(),
                        shared.token
                    ),
                );
                return Ok(r);
            }
            auth::check_read(shared, headers)?;
            let project = shared.store.config().map(|c| c.project).unwrap_or_default();
            let project = if project.trim().is_empty() {
                "Project".to_string()
            } else {
                project
            };
            let boot = json!({
                "mode": "live",
                "writable": !shared.read_only && auth::has_token(shared, headers),
            });
            let html = crate::export::web::shell(
                &project,
                &crate::export::html::script_json(&boot).map_err(|e| error_reply(&e))?,
                "/",
                &crate::html!("<p>This console needs JavaScript.</p>"),
            );
            let mut r = http::response(StatusCode::OK, "text/html; charset=utf-8", html);
            insert(
                r.headers_mut(),
                "content-security-policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
                 img-src 'self' https: http: data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
            );
            Ok(r)
        }
        "/app.js" => Ok(http::response(
            StatusCode::OK,
            "text/javascript; charset=utf-8",
            crate::export::web::SCRIPT,
        )),
        "/style.css" => Ok(http::response(
            StatusCode::OK,
            "text/css; charset=utf-8",
            crate::export::web::STYLE,
        )),
        "/favicon.ico" => Ok(http::response(StatusCode::NO_CONTENT, "image/x-icon", "")),
        _ => Err(not_found_route(method, path)),
    }
}
