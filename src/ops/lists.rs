//! Pages of issues as typed requests: `issue list` ([`ListRequest`]) and the named queries
//! ([`QueryRequest`]; `query ready` is MCP's `ready`), answered by [`crate::pages`].
//!
//! Invariant: a request names its filter, page and shape as text; parsing them here is the one
//! place both front-ends get their errors from, so a bad filter or field list is refused alike.

use crate::error::Result;
use crate::model::Timestamp;
use crate::pages::{self, Page, Shape};
use crate::queries::Select;
use crate::store::Store;
use serde::Deserialize;

/// Whatever a page's request holds in common, answered for `select`.
fn page(
    store: &Store,
    select: Select,
    filter: Option<&str>,
    since: Option<&str>,
    cursor: Option<&str>,
    limit: Option<usize>,
    shape: Shape,
) -> Result<Page> {
    let now = crate::clock::now()?;
    let config = store.config()?;
    let filter = filter
        .map(|f| crate::query::parse(f, now).map(|q| q.in_store(&config)))
        .transpose()?;
    let since = since
        .map(|s| Timestamp::parse_relative(s, now))
        .transpose()?;
    // What `is:ready` leaves out: the store's containers the filter does not name.
    let containers = config.containers(|t| filter.as_ref().is_some_and(|q| q.asks_for_type(t)));
    pages::page(
        store,
        &pages::Request {
            select,
            filter: filter.as_ref(),
            since,
            cursor,
            limit,
            shape,
            containers: &containers,
        },
    )
}

/// `issue list` (MCP `list`): issues in id order, a page at a time.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRequest {
    /// Only issues matching this query, e.g. `state:ready label:bug` (docs/query.md).
    #[serde(default)]
    pub filter: Option<String>,
    /// At most this many issues; the reply carries `next_cursor` when more remain.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Continue after this cursor (a previous reply's `next_cursor`).
    #[serde(default)]
    pub cursor: Option<String>,
    /// Only issues updated at or after this time (RFC 3339, YYYY-MM-DD, or a span back like `2h`).
    #[serde(default)]
    pub since: Option<String>,
    /// Print only these fields of each issue, e.g. `["id", "title", "description"]`.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Whole issues instead of the lean shape.
    #[serde(default)]
    pub full: Option<bool>,
    /// Only issues not done nor archived.
    #[serde(default)]
    pub open: bool,
}

impl ListRequest {
    /// The page of the issues `select` chooses (`All`, or `Open` for work still to do),
    /// counting in `closed_left_out` the finished issues an `Open` page passed over.
    pub fn page(self, store: &Store, select: Select) -> Result<Page> {
        let shape = Shape::of(self.fields.as_deref(), self.full.unwrap_or(false))?;
        page(
            store,
            select,
            self.filter.as_deref(),
            self.since.as_deref(),
            self.cursor.as_deref(),
            self.limit,
            shape,
        )
    }
}

impl super::Read for ListRequest {
    type Output = Page;
    fn run(self, store: &Store) -> Result<Page> {
        let open = self.open;
        let mut page = self.page(store, if open { Select::Open } else { Select::All })?;
        if open {
            page.closed_left_out = 0; // asked for: nothing to point out
        }
        Ok(page)
    }
}

/// A named query's page (MCP `ready` is `query ready`): best work first (priority, then age).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// Narrow the result with a query (docs/query.md).
    #[serde(default)]
    pub filter: Option<String>,
    /// At most this many issues; the reply carries `next_cursor` when more remain.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Continue after this cursor (a previous reply's `next_cursor`).
    #[serde(default)]
    pub cursor: Option<String>,
    /// Return only these fields of each issue, e.g. `["id", "title", "description"]`.
    #[serde(default)]
    pub fields: Option<Vec<String>>,
    /// Whole issues instead of the lean shape.
    #[serde(default)]
    pub full: Option<bool>,
}

impl QueryRequest {
    /// The page of the named query `select`.
    pub fn page(self, store: &Store, select: Select) -> Result<Page> {
        let shape = Shape::of(self.fields.as_deref(), self.full.unwrap_or(false))?;
        page(
            store,
            select,
            self.filter.as_deref(),
            None,
            self.cursor.as_deref(),
            self.limit,
            shape,
        )
    }
}

impl super::Read for QueryRequest {
    type Output = Page;
    /// `query ready`.
    fn run(self, store: &Store) -> Result<Page> {
        self.page(store, Select::Ready)
    }
}

/// A request for a page, whose `limit` a front-end may default (MCP's 50).
pub trait Paged {
    fn limit(&mut self) -> &mut Option<usize>;
}

impl Paged for ListRequest {
    fn limit(&mut self) -> &mut Option<usize> {
        &mut self.limit
    }
}

impl Paged for QueryRequest {
    fn limit(&mut self) -> &mut Option<usize> {
        &mut self.limit
    }
}
