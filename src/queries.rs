//! Named queries over the whole store: ready work, blocked work, stale leases, and simple
//! filters by state, priority and assignee.
//!
//! Invariant: "ready" means claimable now by the one rule in [`rules`]; results are ordered by
//! priority (highest first), then age (oldest first), then id.

use crate::model::{GateDef, Priority, State, Timestamp};
use crate::rules::{self, Containers};
use crate::store::index::{Effective, Summaries, Summary};
use crate::store::ledger::Ledger;
use crate::view::IssueView;
use std::cmp::Reverse;
use std::collections::BTreeMap;

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

/// The claimable issues of the summary index at `now`, in work order: the rule of [`ready`],
/// answered without reading any issue file (the claim ledger applied).
pub fn ready_summaries<'a>(
    all: &'a Summaries,
    gates: &BTreeMap<String, GateDef>,
    ledger: &'a Ledger,
    now: Timestamp,
    containers: &Containers,
) -> Vec<Summary<'a>> {
    let mut out: Vec<Summary<'a>> = all
        .iter()
        .filter(|s| {
            let blocked = crate::view::summary_blocked(s, all, gates, ledger);
            rules::claimable(
                &Effective::of(*s, ledger),
                blocked,
                now.millis(),
                containers,
            )
            .yes()
        })
        .collect();
    out.sort_unstable_by_key(|s| (Reverse(s.priority()), s.created_ms(), s.id()));
    out
}

/// Open issues that something blocks.
pub fn blocked(mut views: Vec<IssueView>) -> Vec<IssueView> {
    views.retain(|v| v.blocked && !v.issue.state.is_closed());
    work_order(&mut views);
    views
}

/// Issues in one state.
pub fn by_state(mut views: Vec<IssueView>, s: State) -> Vec<IssueView> {
    views.retain(|v| v.issue.state == s);
    work_order(&mut views);
    views
}

/// Issues of one priority.
pub fn by_priority(mut views: Vec<IssueView>, p: Priority) -> Vec<IssueView> {
    views.retain(|v| v.issue.priority == p);
    work_order(&mut views);
    views
}

/// Issues assigned to an actor; `*` in the pattern matches any run of characters, `none`
/// matches unassigned issues.
pub fn by_assignee(mut views: Vec<IssueView>, pattern: &str) -> Vec<IssueView> {
    views.retain(|v| match v.issue.assignee.as_deref() {
        None => pattern == "none",
        Some(a) => wildcard(pattern, a),
    });
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
