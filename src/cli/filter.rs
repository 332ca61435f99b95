//! The `--filter` flag shared by list, query, claim-next and exports.
//!
//! Invariant: one parser for every command (the query language in `crate::query`).

use crate::error::Result;
use crate::view::IssueView;

/// A parsed `--filter`, or none.
pub struct Filter(Option<crate::query::Query>);

impl Filter {
    /// Parses the flag's value, as `store` answers it (its container types, for `is:ready`).
    pub fn parse(q: Option<&str>, store: &crate::store::Store) -> Result<Self> {
        match q {
            None => Ok(Filter(None)),
            Some(q) => {
                let query = crate::query::parse(q, crate::clock::now()?)?;
                Ok(Filter(Some(query.in_store(&store.config()?))))
            }
        }
    }

    /// Whether a view passes the filter.
    pub fn matches(&self, v: &IssueView) -> bool {
        self.0.as_ref().is_none_or(|q| q.matches(v))
    }

    /// Keeps the matching views and applies the query's `sort:` terms, if any.
    pub fn apply(&self, views: &mut Vec<IssueView>) {
        if let Some(q) = &self.0 {
            views.retain(|v| q.matches(v));
            if q.has_sort() {
                q.sort(views);
            }
        }
    }
}
