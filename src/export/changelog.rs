//! Release notes: the done issues grouped by milestone (in the roadmap's delivery order) and,
//! within one, by type: Features, Bug fixes, Improvements, Chores, Other.
//!
//! Invariant: no clock; the same store renders the same bytes.

use super::plan;
use super::roadmap::cell;
use crate::model::State;
use crate::view::IssueView;

/// Renders the release notes. `milestone` keeps only that milestone.
pub fn render(project: &str, views: &[&IssueView], milestone: Option<&str>) -> String {
    let project = if project.trim().is_empty() {
        "Project"
    } else {
        project.trim()
    };
    let mut out = format!("# {} changelog\n\n", cell(project));
    let mut any = false;
    for g in plan::by_milestone(views) {
        if milestone.is_some_and(|m| g.milestone.as_deref() != Some(m)) {
            continue;
        }
        let done: Vec<&IssueView> = g
            .issues
            .iter()
            .copied()
            .filter(|v| v.issue.state == State::Done)
            .collect();
        if done.is_empty() {
            continue;
        }
        any = true;
        out.push_str(&format!("## {}\n\n", cell(g.name())));
        let mut sections: Vec<&str> = plan::SECTIONS.iter().map(|(s, _)| *s).collect();
        sections.push("Other");
        for s in sections {
            let items: Vec<&&IssueView> = done
                .iter()
                .filter(|v| plan::section_of(&v.issue.kind) == s)
                .collect();
            if items.is_empty() {
                continue;
            }
            out.push_str(&format!("### {s}\n\n"));
            for v in items {
                out.push_str(&format!("- {} ({})\n", cell(&v.issue.title), v.short_id));
            }
            out.push('\n');
        }
    }
    if !any {
        match milestone {
            Some(m) => out.push_str(&format!("Nothing done in {} yet.\n", cell(m))),
            None => out.push_str("Nothing done yet.\n"),
        }
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}
