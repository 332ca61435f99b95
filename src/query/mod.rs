//! The query language used by `issue list --filter`, `claim-next`, `query`, exports and the web
//! filter: `state:ready priority:>=high -label:wontfix assignee:agent:* sort:-priority`.
//!
//! `lexer` splits the text into terms, `parser` validates them into typed conditions and
//! sort keys, `eval` matches issue views and sorts them. The grammar is documented in
//! `docs/query.md`.
//!
//! Invariants: parsing is the only step that can fail, and every failure is
//! [`Error::InvalidQuery`](crate::error::Error::InvalidQuery) with the 1-based character column
//! and the text of the offending token; no input makes parsing panic; a parsed [`Query`] is
//! immutable and evaluating it never fails; terms are ANDed, alternatives within a term ORed.

mod eval;
mod lexer;
mod parser;

pub use eval::Subject;
pub use parser::{Pattern, parse};

use crate::rules::Containers;
use parser::{Cond, IsWhat, SortKey, Term};
use std::cmp::Ordering;

/// A parsed query: conditions that must all hold, and the order to list results in.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Query {
    /// The terms, all of which must match.
    terms: Vec<Term>,
    /// Sort keys, most significant first.
    sort: Vec<SortKey>,
    /// When it was parsed (milliseconds since the epoch): the `now` of `is:ready`.
    now_ms: i64,
    /// The container types `is:ready` leaves out ([`Query::in_store`]).
    containers: Containers,
}

impl Query {
    /// True when the query has no conditions and no sort keys: it matches everything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty() && self.sort.is_empty()
    }

    /// Whether the issue satisfies every term; `is:ready` leaves out the container types of
    /// the store the query was set in ([`Query::in_store`]; none before that).
    pub fn matches(&self, v: &impl Subject) -> bool {
        self.matches_in(v, &self.containers)
    }

    /// The query as a store with `config` answers it: `is:ready` leaves out its container
    /// types, except those the query names (`is:ready type:epic`), as `query ready` does.
    pub fn in_store(mut self, config: &crate::model::Config) -> Query {
        self.containers = config.containers(|t| self.asks_for_type(t));
        self
    }

    /// Whether the issue satisfies every term, `is:ready` leaving out the issues `containers`
    /// excludes (the store's container types the query does not ask for).
    pub fn matches_in(&self, v: &impl Subject, containers: &Containers) -> bool {
        let env = eval::Env {
            now_ms: self.now_ms,
            containers,
        };
        eval::matches_all(&self.terms, v, &env)
    }

    /// Whether only issues claimable now can match: a plain `is:ready` term. Lets a reader pass
    /// over finished work before it derives anything else.
    pub fn requires_ready(&self) -> bool {
        self.terms
            .iter()
            .any(|t| !t.negated && t.any == [Cond::Is(IsWhat::Ready)])
    }

    /// Whether some term needs more of an issue than the summary index holds (`text:` reads
    /// descriptions and comments), so the query must be answered from whole issues.
    pub fn needs_whole_issues(&self) -> bool {
        self.terms
            .iter()
            .any(|t| t.any.iter().any(eval::needs_whole_issue))
    }

    /// True when the query has at least one `sort:` term.
    pub fn has_sort(&self) -> bool {
        !self.sort.is_empty()
    }

    /// Sorts by the query's sort keys in order; stable, ties broken by id ascending.
    pub fn sort<S: Subject>(&self, items: &mut [S]) {
        eval::sort(&self.sort, items);
    }

    /// How two issues compare under the query's sort keys, ties broken by id ascending.
    pub fn order<S: Subject>(&self, a: &S, b: &S) -> Ordering {
        eval::order(&self.sort, a, b)
    }

    /// Whether the query asks for issues of type `kind` by name: a term that is not negated
    /// and holds a `type:` alternative matching `kind` (`type:epic`, `type:epic|task`,
    /// `type:*`). How containers get into `query ready` and `claim-next`.
    pub fn asks_for_type(&self, kind: &str) -> bool {
        self.terms.iter().any(|t| {
            !t.negated
                && t.any
                    .iter()
                    .any(|c| matches!(c, Cond::Type(p) if p.matches(kind)))
        })
    }

    /// True when a `blocked:` term is present (negated or not).
    pub fn mentions_blocked(&self) -> bool {
        self.terms
            .iter()
            .any(|t| t.any.iter().any(|c| matches!(c, Cond::Blocked(_))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::model::{Issue, IssueId, Priority, State, Timestamp};
    use crate::view::IssueView;

    fn now() -> Timestamp {
        Timestamp::parse("2026-06-01T00:00:00Z").unwrap()
    }

    fn view(n: u32, title: &str) -> IssueView {
        let id = IssueId::parse(&format!("01J{n:023}")).unwrap();
        IssueView::new(Issue::new(id, title.to_string(), now()), vec![])
    }

    #[test]
    fn empty_and_sort_flags() {
        let q = parse("", now()).unwrap();
        assert!(q.is_empty() && !q.has_sort() && !q.mentions_blocked());
        assert!(q.matches(&view(1, "t")));
        let q = parse("sort:-priority", now()).unwrap();
        assert!(!q.is_empty() && q.has_sort());
        let q = parse("state:ready", now()).unwrap();
        assert!(!q.is_empty() && !q.has_sort());
    }

    #[test]
    fn only_text_needs_whole_issues() {
        for s in [
            "login",
            "text:x",
            "state:ready text:\"a b\"",
            "-text:x|state:done",
        ] {
            assert!(parse(s, now()).unwrap().needs_whole_issues(), "{s}");
        }
        for s in [
            "",
            "title:login",
            "state:ready priority:>=high -label:wontfix assignee:agent:*",
            "milestone:none reporter:human:* parent:01J id:01J created:>7d updated:<1h",
            "due:<2026-12-01 estimate:>2 blocked:true gate:unit is:open sort:-priority",
            "has:pr has:assignee has:labels has:deps has:gates has:milestone has:due",
            "has:parent has:comments has:checklist has:lease has:estimate type:bug",
        ] {
            assert!(!parse(s, now()).unwrap().needs_whole_issues(), "{s}");
        }
    }

    #[test]
    fn mentions_blocked() {
        for s in [
            "blocked:true",
            "-blocked:false",
            "state:ready blocked:true|false",
        ] {
            assert!(parse(s, now()).unwrap().mentions_blocked(), "{s}");
        }
        for s in [
            "state:ready",
            "blocked",
            "text:blocked:true",
            "\"blocked:true\"",
            "has:deps",
        ] {
            assert!(!parse(s, now()).unwrap().mentions_blocked(), "{s}");
        }
    }

    /// The examples in docs/query.md that agents copy.
    #[test]
    fn documented_examples() {
        let mut v = view(1, "Login bug on the settings page");
        v.issue.priority = Priority::Critical;
        v.issue.assignee = Some("agent:copilot-1".into());
        v.issue.updated_at = Timestamp::parse("2026-05-31T23:30:00Z").unwrap();
        v.issue.labels = vec!["bug".into()];
        for s in [
            "state:ready priority:>=high -label:wontfix",
            "assignee:agent:* updated:<1h",
            "text:\"login bug\" sort:-priority",
            "state:ready|in_progress priority:high|critical",
            "label:bug -label:wontfix type:task created:<7d is:open -blocked:true",
        ] {
            let q = parse(s, now()).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert!(q.matches(&v), "{s}");
        }
        v.issue.state = State::Done;
        assert!(
            !parse("state:ready priority:>=high -label:wontfix", now())
                .unwrap()
                .matches(&v)
        );
        for s in [
            "milestone:\"Phase 1\" created:>7d",
            "due:<2026-12-01 sort:due",
            "assignee:none is:open sort:-priority sort:created",
            "has:pr -has:assignee",
            "gate:unit-tests state:gated",
            "parent:3kf9q2 estimate:>3",
            "created:>2026-01-01 updated:<=2026-05-01T12:00:00Z",
            "is:open updated:>2w",
            "is:open due:<2026-06-01 sort:due",
            "blocked:true gate:unit-tests",
            "type:bug label:ui-*",
            "parent:3kf9q2 -has:estimate",
        ] {
            assert!(parse(s, now()).is_ok(), "{s}");
        }
    }

    /// The error table in docs/query.md is what the parser does.
    #[test]
    fn documented_errors() {
        let doc = include_str!("../../docs/query.md");
        let table = doc
            .split("What is an error:")
            .nth(1)
            .and_then(|rest| rest.split("Unknown keys are errors").next())
            .expect("docs/query.md has the error table");
        let code = |cell: &str| -> Vec<String> {
            cell.split('`')
                .skip(1)
                .step_by(2)
                .map(|s| s.replace("\\|", "|"))
                .collect()
        };
        let mut rows = 0;
        for line in table.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = line.split(" | ").collect();
            let (inputs, tokens) = (code(cells[0]), code(cells[2]));
            assert_eq!(inputs.len(), tokens.len(), "{line}");
            for (input, token) in inputs.iter().zip(&tokens) {
                match parse(input, now()) {
                    Err(Error::InvalidQuery { token: got, .. }) => {
                        assert_eq!(&got, token, "{input}")
                    }
                    other => panic!("{input}: expected invalid_query, got {other:?}"),
                }
                rows += 1;
            }
        }
        assert!(rows >= 20, "only {rows} documented errors found");
    }

    #[test]
    fn case_folding_that_changes_length() {
        let mut v = view(1, "t");
        v.issue.labels = vec!["İstanbul".into(), "Straße".into()];
        for s in [
            "label:İSTANBUL",
            "label:i̇stanbul",
            "label:İ*",
            "label:STRAßE",
            "label:*ße",
        ] {
            assert!(parse(s, now()).unwrap().matches(&v), "{s}");
        }
        assert!(!parse("label:istanbul", now()).unwrap().matches(&v));
    }

    /// Property: no input makes `parse`, `matches` or `sort` panic, and every error's token is
    /// exactly the text found at its position.
    #[test]
    fn never_panics_and_errors_point_at_their_token() {
        const FRAGMENTS: &[&str] = &[
            "",
            " ",
            "\t",
            ":",
            "|",
            "\"",
            "\\",
            "-",
            "*",
            ">",
            ">=",
            "<",
            "<=",
            "=",
            "state",
            "ready",
            "label",
            "assignee:agent:*",
            "created:>7d",
            "updated:<",
            "due:",
            "2026-01-01",
            "none",
            "sort:",
            "-priority",
            "has:",
            "pr",
            "is:open",
            "blocked:true",
            "estimate:",
            "3.5",
            "id:",
            "parent:",
            "01J",
            "text:",
            "\"a b\"",
            "\\\"",
            "é",
            "日本",
            "🦀",
            "\u{0}",
            "\u{301}",
            "İ",
            "ß",
            "99999999999999999999w",
        ];
        let mut views = vec![view(2, "İß 日本"), view(1, "a b")];
        views[0].blocked = true;
        views[1].issue.due = Some("2026-01-01".into());
        views[1].issue.estimate = Some(3.5);
        views[1].issue.assignee = Some("agent:x".into());
        let mut inputs = Vec::new();
        for a in FRAGMENTS {
            for b in FRAGMENTS {
                inputs.push(format!("{a} {b}"));
                for c in FRAGMENTS {
                    inputs.push(format!("{a}{b}{c}"));
                }
            }
        }
        let (mut ok, mut failed) = (0, 0);
        for input in &inputs {
            match parse(input, now()) {
                Ok(q) => {
                    ok += 1;
                    for v in &views {
                        q.matches(v);
                    }
                    q.sort(&mut views);
                }
                Err(Error::InvalidQuery {
                    position,
                    token,
                    message,
                }) => {
                    failed += 1;
                    assert!(!message.is_empty(), "{input:?}");
                    assert!(!token.is_empty(), "{input:?}");
                    let at: String = input.chars().skip(position.saturating_sub(1)).collect();
                    assert!(position >= 1, "{input:?}");
                    assert!(
                        at.starts_with(&token),
                        "{input:?}: token {token:?} not at {position}"
                    );
                }
                Err(other) => panic!("{input:?}: not an invalid_query error: {other:?}"),
            }
        }
        // The fragments exercise both outcomes.
        assert!(ok > 1000 && failed > 1000, "ok {ok}, failed {failed}");
    }
}
