//! What the markdown and web exports share: state symbols, the grouping of issues into
//! milestones in delivery order, and the release-note sections by type.
//!
//! Invariant: every ordering here is total and depends only on the issues (no clock, no map
//! iteration order), so the same store always renders the same bytes.

use crate::model::State;
use crate::view::IssueView;
use std::collections::BTreeMap;

/// The symbol shown for a state in roadmaps and on the web.
pub fn state_symbol(s: State) -> &'static str {
    match s {
        State::Done => "✅",
        State::InProgress => "🔄",
        State::Gated => "🟡",
        State::Ready => "🟢",
        State::Backlog => "⏳",
        State::Archived => "🗄",
    }
}

/// The marker added to the status of a blocked issue.
pub const BLOCKED_SYMBOL: &str = "⛔";

/// A state as people read it: `in progress` rather than `in_progress`.
pub fn state_label(s: State) -> &'static str {
    match s {
        State::InProgress => "in progress",
        other => other.as_str(),
    }
}

/// One milestone and its issues (in id order, which is creation order).
pub struct Group<'a> {
    /// `None` for the issues without a milestone ("Unplanned").
    pub milestone: Option<String>,
    /// The earliest due date among the milestone's issues.
    pub due: Option<String>,
    pub issues: Vec<&'a IssueView>,
}

impl Group<'_> {
    /// The heading of the group.
    pub fn name(&self) -> &str {
        self.milestone.as_deref().unwrap_or("Unplanned")
    }
}

/// Groups issues by milestone: milestones with a due date first, earliest first; then the ones
/// without, by name; the issues without a milestone last. Issues keep their given order.
pub fn by_milestone<'a>(views: &[&'a IssueView]) -> Vec<Group<'a>> {
    let mut named: BTreeMap<String, Vec<&'a IssueView>> = BTreeMap::new();
    let mut unplanned = Vec::new();
    for v in views {
        match &v.issue.milestone {
            Some(m) => named.entry(m.clone()).or_default().push(v),
            None => unplanned.push(*v),
        }
    }
    let mut groups: Vec<Group<'a>> = named
        .into_iter()
        .map(|(m, issues)| Group {
            due: issues.iter().filter_map(|v| v.issue.due.clone()).min(),
            milestone: Some(m),
            issues,
        })
        .collect();
    groups.sort_by(|a, b| match (&a.due, &b.due) {
        (Some(x), Some(y)) => x.cmp(y).then_with(|| a.milestone.cmp(&b.milestone)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.milestone.cmp(&b.milestone),
    });
    if !unplanned.is_empty() {
        groups.push(Group {
            milestone: None,
            due: None,
            issues: unplanned,
        });
    }
    groups
}

/// The release-note sections, in order, and the types each holds.
pub const SECTIONS: &[(&str, &[&str])] = &[
    ("Features", &["feature"]),
    ("Bug fixes", &["bug"]),
    ("Improvements", &["improvement"]),
    ("Chores", &["chore"]),
];

/// The section heading for a type: one of [`SECTIONS`], else "Other".
pub fn section_of(kind: &str) -> &'static str {
    SECTIONS
        .iter()
        .find(|(_, kinds)| kinds.contains(&kind))
        .map(|(name, _)| *name)
        .unwrap_or("Other")
}

/// Counts of the stats bar.
#[derive(Debug, Clone, Copy, Default, serde::Serialize, PartialEq)]
pub struct Stats {
    pub total: usize,
    pub ready: usize,
    pub in_progress: usize,
    pub blocked: usize,
    pub done: usize,
}

impl Stats {
    /// Counts over views (archived issues are not counted).
    pub fn of<'a>(views: impl IntoIterator<Item = &'a IssueView>) -> Stats {
        let mut s = Stats::default();
        for v in views {
            if v.issue.state == State::Archived {
                continue;
            }
            s.total += 1;
            match v.issue.state {
                State::Ready if !v.blocked => s.ready += 1,
                State::InProgress => s.in_progress += 1,
                State::Done => s.done += 1,
                _ => {}
            }
            if v.blocked {
                s.blocked += 1;
            }
        }
        s
    }
}
