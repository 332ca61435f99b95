//! Named queries over the whole store: ready work, blocked work, stale leases, and simple
//! filters by state, priority and assignee.
//!
//! Invariant: "ready" means claimable now by the one rule in [`rules`]; results are ordered by
//! priority (highest first), then age (oldest first), then id.

use crate::model::{Priority, State, Timestamp};
use crate::query::Subject;
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

/// Claimable issues in work order: open, unblocked and unheld, or held under a lease that ran
/// out at `now`, containers left out unless asked for (see [`rules::claimable`]).
pub fn ready(mut views: Vec<IssueView>, now: Timestamp, containers: &Containers) -> Vec<IssueView> {
    views.retain(|v| is_claimable(v, now, containers));
    work_order(&mut views);
    views
}

/// Whether an issue can be picked up at `now`: the one rule, [`rules::claimable`].
pub fn is_claimable(v: &IssueView, now: Timestamp, containers: &Containers) -> bool {
    rules::claimable(&v.issue, v.blocked, now.millis(), containers).yes()
}

/// Which issues a named query (or `issue list`) draws from, before any filter.
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
    /// Whether `s` is selected; [`Select::Ready`] needs the claim rule as well, which the
    /// caller answers (`claimable`).
    pub fn selects(&self, s: &impl Subject, claimable: impl FnOnce() -> bool) -> bool {
        match self {
            Select::All => true,
            Select::Open => !s.state().is_closed(),
            Select::Ready => claimable(),
            Select::Blocked => s.blocked() && !s.state().is_closed(),
            Select::State(st) => s.state() == *st,
            Select::Priority(p) => s.priority() == *p,
            Select::Assignee(pattern) => match s.assignee() {
                None => pattern == "none",
                Some(a) => wildcard(pattern, a),
            },
        }
    }
}

/// The order work is picked in: priority (highest first), then age (oldest first), then id.
pub fn work_cmp(a: &impl Subject, b: &impl Subject) -> std::cmp::Ordering {
    (Reverse(a.priority()), a.created_ms(), a.id()).cmp(&(
        Reverse(b.priority()),
        b.created_ms(),
        b.id(),
    ))
}

/// Open issues that something blocks.
pub fn blocked(mut views: Vec<IssueView>) -> Vec<IssueView> {
    views.retain(|v| v.blocked && !v.issue.state.is_closed());
    work_order(&mut views);
    views
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
    use super::wildcard;

    #[test]
    fn globs() {
        assert!(wildcard("agent:*", "agent:copilot-1"));
        assert!(wildcard("*:alice", "human:Alice"));
        assert!(!wildcard("agent:*", "human:alice"));
        assert!(wildcard("a*b*c", "axxbyyc"));
        assert!(!wildcard("a*b*c", "axxbyy"));
    }
}
