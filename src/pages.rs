//! Pages of issues: what `issue list`, the named queries and `claim-next` choose, and the
//! shapes a page is printed in (lean, chosen fields, full).
//!
//! Invariants:
//! - One selection for both sources. A page is answered from the summary index (each record
//!   checked against its file, the claim ledger applied) unless its filter needs more than the
//!   index holds (`text:`); then from every issue read in full. Both sources go through the
//!   same query evaluator ([`crate::query::Subject`]): the named query's own query string
//!   ([`Select::text`]) and the filter, the same readiness rule and the same orders, so they
//!   give the same page.
//! - Read only what is printed. A page from the index reads in full only the issues it prints
//!   in the full shape or with a field the index does not hold; the lean shape reads no issue
//!   file at all.
//! - The lean shape and `--fields` are projections of the full view: the same keys with the
//!   same values (a key the full view leaves out is left out), only fewer of them.
//! - The cursor is the full id of the last issue of a page. The next page starts after that
//!   issue's place in the order, taken from the store as it is now.

use crate::error::{Error, Result};
use crate::model::{GateDef, IssueId, Priority, State, Timestamp};
use crate::queries::{self, Select};
use crate::query::{Pattern, Query, Subject};
use crate::rules::{self, Containers, Facts};
use crate::store::index::{Effective, Summaries, Summary};
use crate::store::ledger::Ledger;
use crate::store::{FileProblem, Store};
use crate::view::{Blocker, DepInfo, IssueView, LinkRef, Progress};
use serde::ser::{SerializeMap, SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// The fields a page can be asked for (`--fields`), in the order they are printed, each with
/// whether the summary index holds it (a field it does not hold makes the page read the
/// issues it prints). The first [`LEAN`] of them are the lean shape.
pub const FIELDS: &[(&str, bool)] = &[
    ("id", true),
    ("short_id", true),
    ("title", true),
    ("state", true),
    ("priority", true),
    ("type", true),
    ("assignee", true),
    ("labels", true),
    ("blocked", true),
    ("version", true),
    ("parent", true),
    ("milestone", true),
    ("reporter", true),
    ("due", true),
    ("estimate", true),
    ("created_at", true),
    ("updated_at", true),
    ("dependencies", true),
    ("gates_required", true),
    ("blocked_by", true),
    ("progress", true),
    ("linked_from", true),
    ("description", false),
    ("lease", false),
    ("claim", false),
    ("gates_status", false),
    ("visibility", false),
    ("evidence", false),
    ("done_when", false),
    ("checklist", false),
    ("comments", false),
    ("links", false),
    ("prs", false),
    ("reopened", false),
    ("context", false),
];

/// How many of [`FIELDS`], from the first, make the lean shape.
pub const LEAN: usize = 9;

/// The `shape` every page (and `claim-next`) carries: its name and the version of its
/// definition, raised on any incompatible change to it.
pub const SHAPE_LEAN: &str = "lean/1";
pub const SHAPE_FIELDS: &str = "fields/1";
pub const SHAPE_FULL: &str = "full/1";

/// Pages longer than this that print whole issues read them while printing, a few hundred
/// at a time, instead of holding them all.
const HOLD_AT_MOST: usize = 1000;
/// Issues read at a time while a long page of whole issues is printed.
const CHUNK: usize = 1024;

/// What each issue of a page holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// The few fields an agent chooses by ([`LEAN`]).
    Lean,
    /// Exactly these fields (positions in [`FIELDS`], in order).
    Fields(Vec<usize>),
    /// The whole issue view.
    Full,
}

impl Shape {
    /// The shape `--fields a,b,c` and `--full` ask for (lean without either).
    pub fn parse(fields: Option<&str>, full: bool) -> Result<Shape> {
        Shape::of(fields.as_ref().map(std::slice::from_ref), full)
    }

    /// The shape of a list of field names (each may itself be `a,b`, as `--fields` gives
    /// them) and `full`: what a typed request's `fields` and `full` ask for.
    pub fn of<S: AsRef<str>>(fields: Option<&[S]>, full: bool) -> Result<Shape> {
        match (fields, full) {
            (Some(_), true) => Err(Error::invalid(
                "fields",
                "`--fields` and `--full` ask for different shapes; give one",
            )),
            (None, true) => Ok(Shape::Full),
            (None, false) => Ok(Shape::Lean),
            (Some(list), false) => {
                let mut picked = Vec::new();
                let names = list.iter().flat_map(|l| l.as_ref().split(','));
                for name in names.map(str::trim).filter(|n| !n.is_empty()) {
                    let Some(k) = FIELDS.iter().position(|(f, _)| *f == name) else {
                        return Err(Error::invalid(
                            "fields",
                            format!(
                                "`{}` is not a field; the fields are: {}",
                                name.escape_debug(),
                                FIELDS
                                    .iter()
                                    .map(|(f, _)| *f)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        ));
                    };
                    picked.push(k);
                }
                if picked.is_empty() {
                    return Err(Error::invalid("fields", "names no field"));
                }
                picked.sort_unstable();
                picked.dedup();
                Ok(Shape::Fields(picked))
            }
        }
    }

    /// The `shape` value printed with the page.
    pub fn name(&self) -> &'static str {
        match self {
            Shape::Lean => SHAPE_LEAN,
            Shape::Fields(_) => SHAPE_FIELDS,
            Shape::Full => SHAPE_FULL,
        }
    }

    /// The fields printed, for a projection (`None`: the whole view).
    fn fields(&self) -> Option<Vec<usize>> {
        match self {
            Shape::Lean => Some((0..LEAN).collect()),
            Shape::Fields(f) => Some(f.clone()),
            Shape::Full => None,
        }
    }

    /// Whether printing it needs issues read in full.
    fn needs_whole_issues(&self) -> bool {
        match self {
            Shape::Lean => false,
            Shape::Fields(f) => f.iter().any(|&k| !FIELDS[k].1),
            Shape::Full => true,
        }
    }
}

/// The fields of a view picked by `fields` (positions in [`FIELDS`]), in [`FIELDS`] order; a
/// field the view leaves out stays out.
pub fn project(view: &IssueView, fields: &[usize]) -> Result<Vec<(&'static str, Value)>> {
    let v = serde_json::to_value(view).map_err(|e| Error::Internal(format!("serializing: {e}")))?;
    let Value::Object(mut m) = v else {
        return Err(Error::Internal("an issue view is not an object".into()));
    };
    Ok(fields
        .iter()
        .filter_map(|&k| {
            let name = FIELDS[k].0;
            m.remove(name).map(|v| (name, v))
        })
        .collect())
}

/// Which issues, filtered how, in which order, how many, and in what shape.
#[derive(Debug)]
pub struct Request<'a> {
    pub select: Select,
    pub filter: Option<&'a Query>,
    /// Only issues updated at or after this time.
    pub since: Option<Timestamp>,
    /// Continue after this cursor (a previous page's `next_cursor`).
    pub cursor: Option<&'a str>,
    pub limit: Option<usize>,
    pub shape: Shape,
    /// The containers [`Select::Ready`] leaves out (those the filter asks for let in).
    pub containers: &'a Containers,
}

/// The order of a page.
#[derive(Clone, Copy)]
enum Order<'a> {
    /// By id (`issue list`).
    Id,
    /// Work order (the named queries).
    Work,
    /// The filter's `sort:` keys.
    Sort(&'a Query),
}

impl<'a> Order<'a> {
    fn of(req: &Request<'a>) -> Self {
        match req.filter {
            Some(q) if q.has_sort() => Order::Sort(q),
            _ if req.select.in_id_order() => Order::Id,
            _ => Order::Work,
        }
    }

    fn cmp<S: Subject>(self, a: &S, b: &S) -> std::cmp::Ordering {
        match self {
            Order::Id => a.id().cmp(b.id()),
            Order::Work => queries::work_cmp(a, b),
            Order::Sort(q) => q.order(a, b),
        }
    }
}

/// A summarised issue as the rules and the query language see it: the claim ledger applied,
/// its state derived (`backlog`/`ready`) and whether it is blocked.
#[derive(Debug, Clone, Copy)]
pub struct Known<'a> {
    k: u32,
    eff: Effective<'a>,
    state: State,
    blocked: bool,
}

impl<'a> Known<'a> {
    /// The summary at position `k` of `all`, under `ledger`, with `gates` deciding which
    /// required gates block.
    pub fn of(
        all: &'a Summaries,
        k: usize,
        gates: &BTreeMap<String, GateDef>,
        ledger: &'a Ledger,
    ) -> Self {
        Self::with(all, k, Effective::of(all.at(k), ledger), gates, ledger)
    }

    /// [`Known::of`] for a summary already put under the ledger.
    fn with(
        all: &'a Summaries,
        k: usize,
        eff: Effective<'a>,
        gates: &BTreeMap<String, GateDef>,
        ledger: &'a Ledger,
    ) -> Self {
        let s = eff.summary;
        let stored = eff.state();
        let deps_done = s.dependencies().all(|d| {
            all.get(d)
                .is_some_and(|x| Effective::of(x, ledger).state() == State::Done)
        });
        let blocked = rules::blocked(
            stored,
            std::iter::once(deps_done),
            s.gates()
                .map(|(key, status)| (gates.get(key).map(|g| g.stage), status)),
        );
        Known {
            k: k as u32,
            eff,
            state: rules::derived_state(stored, deps_done),
            blocked,
        }
    }

    fn summary(&self) -> &Summary<'a> {
        &self.eff.summary
    }
}

impl Subject for Known<'_> {
    fn id(&self) -> &str {
        self.summary().id()
    }
    fn title(&self) -> &str {
        self.summary().title()
    }
    fn state(&self) -> State {
        self.state
    }
    fn priority(&self) -> Priority {
        self.summary().priority()
    }
    fn kind(&self) -> &str {
        self.summary().kind()
    }
    fn labels(&self) -> impl Iterator<Item = &str> {
        self.summary().labels()
    }
    fn milestone(&self) -> Option<&str> {
        self.summary().milestone()
    }
    fn assignee(&self) -> Option<&str> {
        self.eff.assignee()
    }
    fn reporter(&self) -> Option<&str> {
        self.summary().reporter()
    }
    fn parent(&self) -> Option<&str> {
        self.summary().parent()
    }
    fn created_ms(&self) -> i64 {
        self.summary().created_ms()
    }
    fn updated_ms(&self) -> i64 {
        self.summary().updated_ms()
    }
    fn due(&self) -> Option<&str> {
        self.summary().due()
    }
    fn estimate(&self) -> Option<f64> {
        self.summary().estimate()
    }
    fn blocked(&self) -> bool {
        self.blocked
    }
    fn gates(&self) -> impl Iterator<Item = &str> {
        self.summary().gates().map(|(k, _)| k)
    }
    fn has_dependencies(&self) -> bool {
        self.summary().dependencies().next().is_some()
    }
    fn has_lease(&self) -> bool {
        self.eff.has_lease()
    }
    fn has_prs(&self) -> bool {
        self.summary().has_prs()
    }
    fn has_comments(&self) -> bool {
        self.summary().has_comments()
    }
    fn has_checklist(&self) -> bool {
        self.summary().has_checklist()
    }
    fn internal(&self) -> bool {
        self.summary().internal()
    }
    /// Never asked: a query with `text:` is answered from whole issues.
    fn text_matches(&self, _p: &Pattern) -> bool {
        false
    }
    fn claimable(&self, now_ms: i64, containers: &Containers) -> bool {
        rules::claimable(&self.eff, self.blocked, now_ms, containers).yes()
    }
}

/// The claimable summaries of the index at `now` that `filter` accepts, in work order: what
/// `claim-next` chooses from. `filter` must not need whole issues.
pub fn claimable<'a>(
    all: &'a Summaries,
    gates: &BTreeMap<String, GateDef>,
    ledger: &'a Ledger,
    filter: Option<&Query>,
    now: Timestamp,
    containers: &Containers,
    best: usize,
) -> Vec<Known<'a>> {
    let positions: Vec<usize> = (0..all.len()).collect();
    let mut out: Vec<Known<'a>> = crate::store::in_parallel(&positions, 4096, |part| {
        part.iter()
            .filter_map(|&k| {
                // Only open, unfinished work can be claimable: the rest is passed over before
                // its dependencies are looked up.
                let eff = Effective::of(all.at(k), ledger);
                if !may_be_claimable(&eff) {
                    return None;
                }
                let kn = Known::with(all, k, eff, gates, ledger);
                rules::claimable(&kn.eff, kn.blocked, now.millis(), containers)
                    .yes()
                    .then_some(kn)
            })
            .filter(|kn| filter.is_none_or(|q| q.matches(kn)))
            .collect()
    });
    best_in_work_order(&mut out, Some(best));
    out
}

/// Whether an issue's state leaves it any chance of being claimable ([`rules::claimable`]
/// decides): a cheap test that spares finished work the lookup of its dependencies.
fn may_be_claimable(eff: &Effective<'_>) -> bool {
    matches!(
        eff.state(),
        State::Backlog | State::Ready | State::InProgress
    )
}

/// Work order by its key: priority, age, then id (the index is in id order).
fn work_key(kn: &Known<'_>) -> (std::cmp::Reverse<Priority>, i64, u32) {
    (
        std::cmp::Reverse(kn.summary().priority()),
        kn.summary().created_ms(),
        kn.k,
    )
}

/// Sorts `items` into work order, keeping only the first `keep` when given: those are chosen
/// in one linear pass, and only they are sorted.
fn best_in_work_order(items: &mut Vec<Known<'_>>, keep: Option<usize>) {
    if let Some(n) = keep
        && n < items.len()
    {
        if n == 0 {
            items.clear();
            return;
        }
        items.select_nth_unstable_by_key(n, work_key);
        items.truncate(n);
    }
    items.sort_unstable_by_key(work_key);
}

/// One issue of a page chosen from the index: its place in the index, with what was derived.
#[derive(Debug, Clone, Copy)]
struct Row {
    k: u32,
    state: State,
    blocked: bool,
}

/// A page of issues, ready to print in its shape.
pub struct Page {
    shape: Shape,
    /// How many issues matched (before `--cursor` and `--limit`).
    pub total: usize,
    /// Pass this as `--cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Files that could not be read as issues (skipped).
    pub problems: Vec<FileProblem>,
    /// With [`Select::Open`]: how many finished issues matched everything else and were left
    /// out (what people are told `--all` would add).
    pub closed_left_out: usize,
    body: Body,
}

enum Body {
    /// Chosen from the summary index.
    Index(IndexBody),
    /// Chosen from every issue read in full.
    Views(Vec<IssueView>),
}

struct IndexBody {
    store: Store,
    all: Summaries,
    ledger: Arc<Ledger>,
    gates: BTreeMap<String, GateDef>,
    rows: Vec<Row>,
    /// The page's whole views, read before printing (short pages whose shape needs them).
    held: Option<Vec<IssueView>>,
}

/// One line of a page's table: what the human output shows.
#[derive(Debug, Clone)]
pub struct Line {
    pub short_id: String,
    pub state: State,
    pub blocked: bool,
    pub priority: Priority,
    pub kind: String,
    pub assignee: Option<String>,
    pub title: String,
    pub progress: Option<Progress>,
    pub updated_at: Timestamp,
    /// Until when the issue is set aside, if it is.
    pub deferred_until: Option<Timestamp>,
}

fn parse_cursor(c: &str) -> Result<IssueId> {
    IssueId::parse(c).map_err(|_| {
        Error::invalid(
            "cursor",
            format!("`{}` is not a cursor from `next_cursor`", c.escape_debug()),
        )
    })
}

fn gone_cursor(c: &IssueId) -> Error {
    Error::invalid(
        "cursor",
        format!(
            "the issue `{}` this cursor continues after no longer exists; start again without --cursor",
            c.short()
        ),
    )
}

/// Applies the cursor and the limit to matches in page order: the page, and the next cursor.
fn cut<T>(
    mut items: Vec<T>,
    order: Order<'_>,
    cursor: Option<(&IssueId, Option<&T>)>,
    limit: Option<usize>,
    id_of: impl Fn(&T) -> &str,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Result<(Vec<T>, Option<String>)> {
    if let Some((c, at)) = cursor {
        let skip = match (order, at) {
            (Order::Id, _) => items.partition_point(|x| id_of(x) <= c.as_str()),
            (_, Some(at)) => items.partition_point(|x| cmp(x, at) != std::cmp::Ordering::Greater),
            (_, None) => return Err(gone_cursor(c)),
        };
        items.drain(..skip);
    }
    let mut next = None;
    if let Some(n) = limit {
        if n == 0 {
            return Err(Error::invalid("limit", "must be at least 1"));
        }
        if items.len() > n {
            items.truncate(n);
            next = items.last().map(|x| id_of(x).to_string());
        }
    }
    Ok((items, next))
}

/// A page: chosen from the summary index when the filter allows, else from every issue.
pub fn page(store: &Store, req: &Request<'_>) -> Result<Page> {
    let cursor = req.cursor.map(parse_cursor).transpose()?;
    if req.limit == Some(0) {
        return Err(Error::invalid("limit", "must be at least 1"));
    }
    let now = crate::clock::now()?;
    let selection = req.select.query(now)?;
    if req.filter.is_some_and(Query::needs_whole_issues) {
        return from_views(store, req, &selection, cursor.as_ref());
    }
    from_index(store, req, &selection, cursor.as_ref())
}

/// Whether `s` is on the page: chosen by the named query and matching the filter (and
/// `--since`), `is:ready` in either leaving out the containers the filter does not ask for.
/// The second answer: whether it matched everything but the named query.
fn chosen(
    req: &Request<'_>,
    selection: &Query,
    since: Option<i64>,
    s: &impl Subject,
) -> (bool, bool) {
    let rest = req.filter.is_none_or(|q| q.matches_in(s, req.containers))
        && since.is_none_or(|t| s.updated_ms() >= t);
    (rest && selection.matches_in(s, req.containers), rest)
}

fn from_index(
    store: &Store,
    req: &Request<'_>,
    selection: &Query,
    cursor: Option<&IssueId>,
) -> Result<Page> {
    let (all, mut problems) = crate::store::index::load(store)?;
    let gates = store.gates()?;
    let (ledger, ledger_problem) = store.ledger();
    problems.extend(ledger_problem);
    let order = Order::of(req);
    let since = req.since.map(|t| t.millis());
    let left_out = std::sync::atomic::AtomicUsize::new(0);
    let (rows, total, next_cursor) = {
        let every = req.select == Select::All && req.filter.is_none() && since.is_none();
        let mut matched: Vec<Known<'_>> = if every {
            // Every issue in id order: only the page's own summaries need deriving. The page
            // is the first `limit` ids after the cursor (one more tells whether more remain).
            let from: usize = cursor.map_or(0, |c| all.after(c.as_str()));
            let upto = req
                .limit
                .map_or(all.len(), |n| from.saturating_add(n + 1).min(all.len()));
            (from..upto)
                .map(|k| Known::of(&all, k, &gates, &ledger))
                .collect()
        } else {
            let positions: Vec<usize> = (0..all.len()).collect();
            let ready = selection.requires_ready() || req.filter.is_some_and(Query::requires_ready);
            crate::store::in_parallel(&positions, 4096, |part| {
                part.iter()
                    .filter_map(|&k| {
                        let eff = Effective::of(all.at(k), &ledger);
                        // A ready page holds claimable issues only.
                        (!ready || may_be_claimable(&eff))
                            .then(|| Known::with(&all, k, eff, &gates, &ledger))
                    })
                    .filter(|kn| {
                        let (chosen, rest) = chosen(req, selection, since, kn);
                        if rest && !chosen && req.select == Select::Open {
                            left_out.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        chosen
                    })
                    .collect()
            })
        };
        match order {
            Order::Id => {}
            // Work order by its key: priority, age, then id (the index is in id order).
            Order::Work => {}
            Order::Sort(_) => matched.sort_by(|a, b| order.cmp(a, b)),
        }
        let total = if every { all.len() } else { matched.len() };
        // The page of every issue already starts after the cursor.
        let cursor = if every { None } else { cursor };
        let at = cursor.and_then(|c| {
            all.position(c.as_str())
                .map(|k| Known::of(&all, k, &gates, &ledger))
        });
        if let Order::Work = order {
            // Only the page is sorted: the matches after the cursor, then the best `limit` of
            // them and one more (which tells whether more remain).
            if let Some(at) = &at {
                let key = work_key(at);
                matched.retain(|kn| work_key(kn) > key);
            }
            best_in_work_order(&mut matched, req.limit.map(|n| n.saturating_add(1)));
        }
        let (page, next) = cut(
            matched,
            order,
            cursor.map(|c| (c, at.as_ref())),
            req.limit,
            |x| x.summary().id(),
            |a, b| order.cmp(a, b),
        )?;
        let rows: Vec<Row> = page
            .iter()
            .map(|kn| Row {
                k: kn.k,
                state: kn.state,
                blocked: kn.blocked,
            })
            .collect();
        (rows, total, next)
    };
    let mut body = IndexBody {
        store: store.clone(),
        all,
        ledger,
        gates,
        rows,
        held: None,
    };
    let mut total = total;
    if req.shape.needs_whole_issues() && body.rows.len() <= HOLD_AT_MOST {
        let mut related = body.related(&body.rows);
        // Read whole, each issue is checked again: its file may have changed since its
        // summary was (a claim, say).
        let (views, more, dropped) = body.read(&body.rows, &mut related, |v| {
            chosen(req, selection, since, v).0
        });
        problems.extend(more);
        // Deleted, unreadable or no longer claimable since their summaries were checked.
        total -= dropped;
        body.held = Some(views);
    }
    Ok(Page {
        shape: req.shape.clone(),
        total,
        next_cursor,
        problems,
        closed_left_out: left_out.into_inner(),
        body: Body::Index(body),
    })
}

fn from_views(
    store: &Store,
    req: &Request<'_>,
    selection: &Query,
    cursor: Option<&IssueId>,
) -> Result<Page> {
    let (views, problems) = crate::view::list_all(store)?;
    let order = Order::of(req);
    let at = cursor.and_then(|c| views.iter().find(|v| v.issue.id == *c).cloned());
    let since = req.since.map(|t| t.millis());
    let mut left_out = 0;
    let mut matched: Vec<IssueView> = views
        .into_iter()
        .filter(|v| {
            let (chosen, rest) = chosen(req, selection, since, v);
            left_out += usize::from(rest && !chosen && req.select == Select::Open);
            chosen
        })
        .collect();
    match order {
        Order::Id => {}
        _ => matched.sort_by(|a, b| order.cmp(a, b)),
    }
    let total = matched.len();
    let (page, next_cursor) = cut(
        matched,
        order,
        cursor.map(|c| (c, at.as_ref())),
        req.limit,
        |v| v.issue.id.as_str(),
        |a, b| order.cmp(a, b),
    )?;
    Ok(Page {
        shape: req.shape.clone(),
        total,
        next_cursor,
        problems,
        closed_left_out: left_out,
        body: Body::Views(page),
    })
}

impl IndexBody {
    fn known(&self, r: &Row) -> Known<'_> {
        let s = self.all.at(r.k as usize);
        Known {
            k: r.k,
            eff: Effective::of(s, &self.ledger),
            state: r.state,
            blocked: r.blocked,
        }
    }

    /// Sub-task progress and incoming links of the issues at positions `wanted`, from every
    /// summary (the claim ledger applied to the sub-tasks' states).
    fn related(&self, wanted: &[Row]) -> Related {
        let ids: HashSet<&str> = wanted
            .iter()
            .map(|r| self.all.at(r.k as usize).id())
            .collect();
        let mut progress: HashMap<String, Progress> = HashMap::new();
        let mut incoming: HashMap<String, Vec<LinkRef>> = HashMap::new();
        for s in self.all.iter() {
            if let Some(p) = s.parent().filter(|p| ids.contains(p)) {
                let e = progress.entry(p.to_string()).or_default();
                e.total += 1;
                e.done += usize::from(Effective::of(s, &self.ledger).state() == State::Done);
            }
            for (kind, target) in s.links() {
                if ids.contains(target) {
                    incoming
                        .entry(target.to_string())
                        .or_default()
                        .push(LinkRef::from_stored(kind, s.id()));
                }
            }
        }
        for v in incoming.values_mut() {
            v.sort();
            v.dedup();
        }
        Related { progress, incoming }
    }

    /// What blocks a summarised issue, with its dependencies' titles: the rule of
    /// [`crate::view::blockers`], from the index.
    fn blocked_by(&self, kn: &Known<'_>) -> Vec<Blocker> {
        let s = kn.summary();
        let state = kn.eff.state();
        if state.is_closed() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for d in s.dependencies() {
            let dep = self.all.get(d);
            let dep_state = dep.map(|x| Effective::of(x, &self.ledger).state());
            if dep_state == Some(State::Done) {
                continue;
            }
            out.push(Blocker::Dependency {
                id: d.to_string(),
                short_id: crate::model::id::short_of(d),
                title: dep.map(|x| x.title().to_string()),
                state: dep_state,
            });
        }
        for (key, status) in s.gates() {
            let stage = self.gates.get(key).map(|g| g.stage);
            if rules::gate_blocks(state, stage, status) {
                out.push(Blocker::Gate {
                    key: key.to_string(),
                    stage,
                    status,
                });
            }
        }
        out
    }

    /// Reads the issues of `rows` in full and builds their views (dependencies, progress and
    /// incoming links from the index). Returns the views `keep` accepts, the files that could
    /// not be read, and how many rows were left out.
    fn read(
        &self,
        rows: &[Row],
        related: &mut Related,
        keep: impl Fn(&IssueView) -> bool,
    ) -> (Vec<IssueView>, Vec<FileProblem>, usize) {
        let ids: Vec<IssueId> = rows
            .iter()
            .filter_map(|r| IssueId::parse(self.all.at(r.k as usize).id()).ok())
            .collect();
        let (issues, problems) = self.store.load_many(&ids, &crate::progress::Silent);
        let mut out = Vec::with_capacity(issues.len());
        for issue in issues {
            let b = crate::view::blockers(
                &issue,
                |d| {
                    self.all.get(d.as_str()).map(|s| DepInfo {
                        state: Effective::of(s, &self.ledger).state(),
                        title: s.title().to_string(),
                    })
                },
                &self.gates,
            );
            let key = issue.id.to_string();
            let mut v = IssueView::new(issue, b);
            v.progress = related.progress.get(&key).copied();
            v.linked_from = related.incoming.remove(&key);
            if keep(&v) {
                out.push(v);
            }
        }
        let dropped = rows.len() - out.len();
        (out, problems, dropped)
    }
}

struct Related {
    progress: HashMap<String, Progress>,
    incoming: HashMap<String, Vec<LinkRef>>,
}

impl Page {
    /// How many issues the page holds.
    pub fn len(&self) -> usize {
        match &self.body {
            Body::Index(b) => b.held.as_ref().map_or(b.rows.len(), Vec::len),
            Body::Views(v) => v.len(),
        }
    }

    /// Whether the page is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The shape the page prints in.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// The page as table lines (the human output).
    pub fn lines(&self) -> Vec<Line> {
        match &self.body {
            Body::Views(views) => views.iter().map(line_of_view).collect(),
            Body::Index(b) => {
                if let Some(views) = &b.held {
                    return views.iter().map(line_of_view).collect();
                }
                let related = b.related(&b.rows);
                b.rows
                    .iter()
                    .map(|r| {
                        let kn = b.known(r);
                        Line {
                            short_id: crate::model::id::short_of(kn.id()),
                            state: kn.state,
                            blocked: kn.blocked,
                            priority: kn.priority(),
                            kind: kn.kind().to_string(),
                            assignee: kn.assignee().map(str::to_string),
                            title: kn.title().to_string(),
                            progress: related.progress.get(kn.id()).copied(),
                            updated_at: Timestamp::from_millis(kn.updated_ms()),
                            deferred_until: kn
                                .summary()
                                .deferred_until_ms()
                                .map(Timestamp::from_millis),
                        }
                    })
                    .collect()
            }
        }
    }
}

impl Line {
    /// The line of a whole view.
    pub fn of_view(v: &IssueView) -> Line {
        line_of_view(v)
    }
}

fn line_of_view(v: &IssueView) -> Line {
    Line {
        short_id: v.short_id.clone(),
        state: v.issue.state,
        blocked: v.blocked,
        priority: v.issue.priority,
        kind: v.issue.kind.clone(),
        assignee: v.issue.assignee.clone(),
        title: v.issue.title.clone(),
        progress: v.progress,
        updated_at: v.issue.updated_at,
        deferred_until: v.issue.deferred_until,
    }
}

impl Serialize for Page {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        let found = RefCell::new(Vec::new());
        let mut st = ser.serialize_struct("IssuePage", 5)?;
        st.serialize_field("shape", self.shape.name())?;
        st.serialize_field(
            "issues",
            &Items {
                page: self,
                found: &found,
            },
        )?;
        st.serialize_field("total", &self.total)?;
        st.serialize_field("next_cursor", &self.next_cursor)?;
        let found = found.borrow();
        let problems: Vec<&FileProblem> = self.problems.iter().chain(found.iter()).collect();
        st.serialize_field("problems", &problems)?;
        st.end()
    }
}

/// The issues of a page, serialized in its shape; files found unreadable while printing are
/// collected in `found`.
struct Items<'p> {
    page: &'p Page,
    found: &'p RefCell<Vec<FileProblem>>,
}

/// One issue, projected on some fields.
struct Projected(Vec<(&'static str, Value)>);

impl Serialize for Projected {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = ser.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

fn view_item<S: SerializeSeq>(
    seq: &mut S,
    v: &IssueView,
    fields: Option<&[usize]>,
) -> std::result::Result<(), S::Error> {
    match fields {
        None => seq.serialize_element(v),
        Some(f) => {
            let p = project(v, f).map_err(serde::ser::Error::custom)?;
            seq.serialize_element(&Projected(p))
        }
    }
}

impl Serialize for Items<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        let fields = self.page.shape.fields();
        let fields = fields.as_deref();
        let mut seq = ser.serialize_seq(Some(self.page.len()))?;
        match &self.page.body {
            Body::Views(views) => {
                for v in views {
                    view_item(&mut seq, v, fields)?;
                }
            }
            Body::Index(b) => {
                if let Some(views) = &b.held {
                    for v in views {
                        view_item(&mut seq, v, fields)?;
                    }
                } else if self.page.shape.needs_whole_issues() {
                    let mut related = b.related(&b.rows);
                    for part in b.rows.chunks(CHUNK) {
                        let (views, problems, _) = b.read(part, &mut related, |_| true);
                        self.found.borrow_mut().extend(problems);
                        for v in &views {
                            view_item(&mut seq, v, fields)?;
                        }
                    }
                } else {
                    let fields = fields.unwrap_or_default();
                    let wants_related = fields
                        .iter()
                        .any(|&k| matches!(FIELDS[k].0, "progress" | "linked_from"));
                    let related = wants_related.then(|| b.related(&b.rows));
                    for r in &b.rows {
                        seq.serialize_element(&Lean {
                            body: b,
                            kn: b.known(r),
                            fields,
                            related: related.as_ref(),
                        })?;
                    }
                }
            }
        }
        seq.end()
    }
}

/// One issue of a page from the index, printed from its summary: the fields asked for, as the
/// full view would print them.
struct Lean<'a> {
    body: &'a IndexBody,
    kn: Known<'a>,
    fields: &'a [usize],
    related: Option<&'a Related>,
}

impl Serialize for Lean<'_> {
    fn serialize<S: Serializer>(&self, ser: S) -> std::result::Result<S::Ok, S::Error> {
        let kn = &self.kn;
        let s = kn.summary();
        let mut m = ser.serialize_map(None)?;
        for &k in self.fields {
            let name = FIELDS[k].0;
            match name {
                "id" => m.serialize_entry(name, s.id())?,
                "short_id" => m.serialize_entry(name, &crate::model::id::short_of(s.id()))?,
                "title" => m.serialize_entry(name, s.title())?,
                "state" => m.serialize_entry(name, &kn.state)?,
                "priority" => m.serialize_entry(name, &s.priority())?,
                "type" => m.serialize_entry(name, s.kind())?,
                "assignee" => m.serialize_entry(name, &kn.eff.assignee())?,
                "labels" => {
                    let labels: Vec<&str> = s.labels().collect();
                    if !labels.is_empty() {
                        m.serialize_entry(name, &labels)?;
                    }
                }
                "blocked" => m.serialize_entry(name, &kn.blocked)?,
                "version" => m.serialize_entry(name, &s.version())?,
                "parent" => {
                    if let Some(p) = s.parent() {
                        m.serialize_entry(name, p)?;
                    }
                }
                "milestone" => {
                    if let Some(x) = s.milestone() {
                        m.serialize_entry(name, x)?;
                    }
                }
                "reporter" => {
                    if let Some(x) = s.reporter() {
                        m.serialize_entry(name, x)?;
                    }
                }
                "due" => {
                    if let Some(x) = s.due() {
                        m.serialize_entry(name, x)?;
                    }
                }
                "estimate" => {
                    if let Some(x) = s.estimate() {
                        m.serialize_entry(name, &x)?;
                    }
                }
                "created_at" => m.serialize_entry(name, &Timestamp::from_millis(s.created_ms()))?,
                "updated_at" => m.serialize_entry(name, &Timestamp::from_millis(s.updated_ms()))?,
                "dependencies" => {
                    let deps: Vec<&str> = s.dependencies().collect();
                    m.serialize_entry(name, &deps)?;
                }
                "gates_required" => {
                    let keys: Vec<&str> = s.gates().map(|(k, _)| k).collect();
                    m.serialize_entry(name, &keys)?;
                }
                "blocked_by" => m.serialize_entry(name, &self.body.blocked_by(kn))?,
                "progress" => {
                    if let Some(p) = self.related.and_then(|r| r.progress.get(s.id())) {
                        m.serialize_entry(name, p)?;
                    }
                }
                "linked_from" => {
                    if let Some(l) = self.related.and_then(|r| r.incoming.get(s.id())) {
                        m.serialize_entry(name, l)?;
                    }
                }
                // Fields the index does not hold are printed from whole issues.
                _ => {}
            }
        }
        m.end()
    }
}

/// The schema of a page in the lean shape (`jit schema issue-list-lean`).
#[derive(Serialize, schemars::JsonSchema)]
pub struct LeanPage {
    /// `lean/1`: the lean shape, version 1.
    pub shape: LeanTag,
    /// The issues on this page.
    pub issues: Vec<LeanIssue>,
    /// How many issues matched (before `--cursor` and `--limit`).
    pub total: usize,
    /// Pass this as `--cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Files that could not be read as issues (skipped).
    pub problems: Vec<FileProblem>,
}

/// The `shape` of a lean page.
#[derive(Serialize, schemars::JsonSchema)]
pub enum LeanTag {
    #[serde(rename = "lean/1")]
    Lean,
}

/// The `shape` of a full page.
#[derive(Serialize, schemars::JsonSchema)]
pub enum FullTag {
    #[serde(rename = "full/1")]
    Full,
}

/// One issue in the lean shape: the fields an agent chooses by, each exactly as the full
/// issue view prints it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct LeanIssue {
    /// The full id (a ULID).
    pub id: IssueId,
    /// The last 8 characters of the id, lower-cased: the handle people type.
    pub short_id: String,
    /// One-line summary.
    pub title: String,
    /// The state, with `backlog`/`ready` derived from the dependencies.
    pub state: State,
    /// How urgent it is.
    pub priority: Priority,
    /// The issue type.
    #[serde(rename = "type")]
    pub kind: String,
    /// The actor working on it, if any (the claim ledger applied); null when none.
    #[schemars(required, transform = or_null)]
    pub assignee: Option<String>,
    /// Labels (sorted); absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// Whether unfinished dependencies or gates hold it.
    pub blocked: bool,
}

/// Lets the schema of a field be null too: `#[schemars(required)]` makes an `Option` field
/// present and non-null, and a field that is always printed, null when empty, needs both.
fn or_null(schema: &mut schemars::Schema) {
    match schema.get("type").cloned() {
        Some(Value::String(t)) => {
            schema.insert("type".into(), serde_json::json!([t, "null"]));
        }
        _ => {
            let inner = schema.clone();
            *schema = schemars::json_schema!({"anyOf": [inner, {"type": "null"}]});
        }
    }
}

/// The schema of a page in the full shape (`jit schema issue-list`).
#[derive(Serialize, schemars::JsonSchema)]
pub struct FullPage {
    /// `full/1`: the full shape, version 1.
    pub shape: FullTag,
    /// The issues on this page.
    pub issues: Vec<IssueView>,
    /// How many issues matched (before `--cursor` and `--limit`).
    pub total: usize,
    /// Pass this as `--cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Files that could not be read as issues (skipped).
    pub problems: Vec<FileProblem>,
}

/// The `shape` of a page of chosen fields.
#[derive(Serialize, schemars::JsonSchema)]
pub enum FieldsTag {
    #[serde(rename = "fields/1")]
    Fields,
}

/// A page in the shape of chosen fields (`--fields`).
#[derive(schemars::JsonSchema)]
pub struct FieldsPage {
    /// `fields/1`: chosen fields, version 1.
    pub shape: FieldsTag,
    /// The issues on this page, each with the fields asked for.
    pub issues: Vec<FieldsIssue>,
    /// How many issues matched (before `--cursor` and `--limit`).
    pub total: usize,
    /// Pass this as `--cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// Files that could not be read as issues (skipped).
    pub problems: Vec<FileProblem>,
}

/// One issue in the shape of chosen fields: any of [`FIELDS`] and no other key,
/// each with the schema the full issue view gives it (a projection of the view, so the two
/// cannot disagree); none is required, since a field the view leaves out stays out.
pub struct FieldsIssue;

impl schemars::JsonSchema for FieldsIssue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "FieldsIssue".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let view = <IssueView as schemars::JsonSchema>::json_schema(g);
        let of_view = view.get("properties").and_then(Value::as_object);
        let properties: serde_json::Map<String, Value> = FIELDS
            .iter()
            .filter_map(|(name, _)| Some((name.to_string(), of_view?.get(*name)?.clone())))
            .collect();
        schemars::json_schema!({
            "description": "One issue with the fields asked for, each exactly as the full issue view prints it.",
            "type": "object",
            "properties": properties,
            "additionalProperties": false,
        })
    }
}

/// The schema of an object printed in one of the three shapes, told apart by its `shape`: the
/// lean one `L`, the one of chosen fields `F`, the full one `U`.
pub fn shapes_schema<L, F, U>(
    g: &mut schemars::SchemaGenerator,
    description: &str,
) -> schemars::Schema
where
    L: schemars::JsonSchema,
    F: schemars::JsonSchema,
    U: schemars::JsonSchema,
{
    let shapes = [
        g.subschema_for::<L>(),
        g.subschema_for::<F>(),
        g.subschema_for::<U>(),
    ];
    schemars::json_schema!({
        "description": description,
        "type": "object",
        "anyOf": shapes,
    })
}

/// A page's schema: [`LeanPage`], [`FieldsPage`] or [`FullPage`], as its `shape` says.
impl schemars::JsonSchema for Page {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Page".into()
    }

    fn json_schema(g: &mut schemars::SchemaGenerator) -> schemars::Schema {
        shapes_schema::<LeanPage, FieldsPage, FullPage>(
            g,
            "A page of issues in the shape asked for, named by `shape`: `lean/1` (the default), \
             `fields/1` (`fields`) or `full/1` (`full`).",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_and_name_themselves() {
        assert_eq!(Shape::parse(None, false).unwrap(), Shape::Lean);
        assert_eq!(Shape::parse(None, true).unwrap(), Shape::Full);
        let s = Shape::parse(Some("title, id,title"), false).unwrap();
        assert_eq!(s, Shape::Fields(vec![0, 2]));
        assert_eq!(s.name(), SHAPE_FIELDS);
        assert!(!s.needs_whole_issues());
        assert!(
            Shape::parse(Some("description"), false)
                .unwrap()
                .needs_whole_issues()
        );
        for bad in [Some("nope"), Some(" , ")] {
            assert_eq!(
                Shape::parse(bad, false).unwrap_err().code(),
                "invalid_value"
            );
        }
        assert!(Shape::parse(Some("id"), true).is_err());
        // The lean fields are the first ones, all held by the index.
        assert_eq!(&FIELDS[LEAN - 1].0, &"blocked");
        assert!(FIELDS[..LEAN].iter().all(|(_, held)| *held));
    }

    #[test]
    fn every_field_has_the_schema_of_the_full_view() {
        let schema = crate::schema::reply::<FieldsIssue>();
        let props = schema["properties"].as_object().unwrap();
        let names: Vec<&str> = props.keys().map(String::as_str).collect();
        let mut fields: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
        fields.sort_unstable();
        assert_eq!(names, fields, "a field the issue view does not have");
        let view = crate::schema::reply::<IssueView>();
        assert_eq!(props["blocked_by"], view["properties"]["blocked_by"]);
        assert_eq!(schema["additionalProperties"], false);
    }
}
