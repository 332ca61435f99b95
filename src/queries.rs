//! Named queries over the whole store: ready work, blocked work, and issues of one state,
//! priority or assignee. Each is a query string over the one query engine ([`crate::query`]):
//! `query ready` is `is:ready`, `query blocked` is `is:open blocked:true`, and so on
//! ([`Select::text`]); a page holds what matches both it and the `--filter`.
//!
//! Invariant: "ready" means claimable now by the one rule in [`rules`]; results are ordered by
//! priority (highest first), then age (oldest first), then id.

use crate::error::Result;
use crate::model::{Priority, State, Timestamp};
use crate::query::{Query, Subject};
use crate::rules::{self, Containers};
use crate::view::IssueView;
use std::cmp::Reverse;

/// Orders issues the way work should be picked: priority, then age.
pub fn work_order(views: &mut [IssueView]) {
    views.sort_by_key(|v| {
        (
            Reverse(v.issue.priority),
            v.issue.created_at,
            v.issue.id.clone(),
        )
    });
}

/// The issues a named query selects, in work order, `containers` left out of `is:ready`.
pub fn select(
    named: &Select,
    mut views: Vec<IssueView>,
    now: Timestamp,
    containers: &Containers,
) -> Result<Vec<IssueView>> {
    let q = named.query(now)?;
    views.retain(|v| q.matches_in(v, containers));
    work_order(&mut views);
    Ok(views)
}

/// Whether an issue can be picked up at `now`: the one rule, [`rules::claimable`].
pub fn is_claimable(v: &IssueView, now: Timestamp, containers: &Containers) -> bool {
    rules::claimable(&v.issue, v.blocked, now.millis(), containers).yes()
}

/// Which issues a named query (or `issue list`) draws from, before any filter: each stands for
/// a query string ([`Select::text`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Select {
    /// Every issue (`issue list`), in id order.
    All,
    /// Every issue not done or archived (`issue list` for people, `--open`), in id order.
    Open,
    /// Claimable now (`query ready`, `claim-next`).
    Ready,
    /// Open and blocked (`query blocked`).
    Blocked,
    /// In one state, as shown (`query state`).
    State(State),
    /// Of one priority (`query priority`).
    Priority(Priority),
    /// Assigned to actors matching a `*` pattern, or `none` (`query assignee`).
    Assignee(String),
}

impl Select {
    /// The query string this named query stands for (docs/query.md, "Named queries").
    pub fn text(&self) -> String {
        match self {
            Select::All => String::new(),
            Select::Open => "is:open".into(),
            Select::Ready => "is:ready".into(),
            Select::Blocked => "is:open blocked:true".into(),
            Select::State(s) => format!("state:{}", s.as_str()),
            Select::Priority(p) => format!("priority:{}", p.as_str()),
            // `none` asks for the unassigned; anything else is one pattern, quoted so that a
            // `|` or a space in it is text (a `*` stays a wildcard).
            Select::Assignee(a) if a == "none" => "assignee:none".into(),
            Select::Assignee(a) => format!("assignee:{}", quoted(a)),
        }
    }

    /// The named query, parsed at `now` (the `now` of `is:ready`).
    pub fn query(&self, now: Timestamp) -> Result<Query> {
        if let Select::Assignee(a) = self
            && a.trim().is_empty()
        {
            return Err(crate::error::Error::invalid(
                "assignee",
                "is blank; `none` lists the unassigned, `*` the assigned",
            ));
        }
        crate::query::parse(&self.text(), now)
    }

    /// Whether its results come in id order (`issue list`) rather than work order.
    pub fn in_id_order(&self) -> bool {
        matches!(self, Select::All | Select::Open)
    }
}

/// `s` as one quoted query value: `"` and `\` escaped, a `*` left a wildcard.
fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// The order work is picked in: priority (highest first), then age (oldest first), then id.
pub fn work_cmp(a: &impl Subject, b: &impl Subject) -> std::cmp::Ordering {
    (Reverse(a.priority()), a.created_ms(), a.id()).cmp(&(
        Reverse(b.priority()),
        b.created_ms(),
        b.id(),
    ))
}

/// Case-insensitive glob match with `*` only.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0usize, 0usize, None::<usize>, 0usize);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            pi += 1;
            mark = ti;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::{Select, wildcard};
    use crate::model::{Issue, IssueId, Lease, Priority, State, Timestamp};
    use crate::rules::Containers;
    use crate::view::IssueView;

    /// Each named query is its query string, and selects what its name says.
    #[test]
    fn named_queries_are_query_strings() {
        let now = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
        let issue = |n: u32, state: State| {
            let id = IssueId::parse(&format!("01J{n:023}")).unwrap();
            let mut i = Issue::new(id, format!("issue {n}"), now);
            i.state = state;
            i
        };
        let ready = issue(1, State::Ready);
        let mut held = issue(2, State::InProgress);
        held.assignee = Some("agent:a|b".into());
        let mut lapsed = issue(3, State::InProgress);
        lapsed.assignee = Some("agent:x".into());
        lapsed.lease = Some(Lease {
            holder: "agent:x".into(),
            acquired_at: now,
            expires_at: Some(Timestamp::from_millis(now.millis() - 1)),
            ttl_secs: Some(60),
        });
        let mut epic = issue(4, State::Ready);
        epic.kind = "epic".into();
        let mut urgent = issue(5, State::Backlog);
        urgent.priority = Priority::Critical;
        let done = issue(6, State::Done);
        let views: Vec<IssueView> = [ready, held, lapsed, epic, urgent, done]
            .into_iter()
            .map(|i| {
                let blocked = i.state == State::Backlog;
                let mut v = IssueView::new(i, vec![]);
                v.blocked = blocked;
                v
            })
            .collect();
        let containers = Containers::new(&["epic".to_string()], |_| false);
        let pick = |s: Select| -> Vec<u32> {
            let q = s.query(now).unwrap();
            views
                .iter()
                .filter(|v| q.matches_in(*v, &containers))
                .map(|v| v.issue.id.as_str()[3..].parse().unwrap())
                .collect()
        };
        assert_eq!(Select::Ready.text(), "is:ready");
        assert_eq!(pick(Select::Ready), [1, 3]); // the lapsed lease too, not the epic
        assert_eq!(pick(Select::Blocked), [5]);
        assert_eq!(pick(Select::Open), [1, 2, 3, 4, 5]);
        assert_eq!(pick(Select::All).len(), 6);
        assert_eq!(pick(Select::State(State::InProgress)), [2, 3]);
        assert_eq!(pick(Select::Priority(Priority::Critical)), [5]);
        assert_eq!(pick(Select::Assignee("none".into())), [1, 4, 5, 6]);
        assert_eq!(pick(Select::Assignee("AGENT:*".into())), [2, 3]);
        // A `|` in an actor is text, not an alternative; quotes and backslashes are escaped.
        assert_eq!(pick(Select::Assignee("agent:a|b".into())), [2]);
        assert_eq!(pick(Select::Assignee("agent:a".into())), Vec::<u32>::new());
        let odd = Select::Assignee("x\"y\\z".into());
        assert_eq!(odd.text(), "assignee:\"x\\\"y\\\\z\"");
        assert!(odd.query(now).is_ok());
        let blank = Select::Assignee(" ".into()).query(now).unwrap_err();
        assert_eq!(blank.code(), "invalid_value");
    }

    #[test]
    fn globs() {
        assert!(wildcard("agent:*", "agent:copilot-1"));
        assert!(wildcard("*:alice", "human:Alice"));
        assert!(!wildcard("agent:*", "human:alice"));
        assert!(wildcard("a*b*c", "axxbyyc"));
        assert!(!wildcard("a*b*c", "axxbyy"));
    }
}
