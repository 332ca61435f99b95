//! Jira Cloud CSV exports (Filters › Export › "Export Excel CSV (all fields)"), in both the
//! "Issue ..." and the newer "Work item ..." column names: `Summary`, `Issue key`, `Issue id`,
//! `Issue Type`, `Status`, `Status Category`, `Priority` (Highest … Lowest), one `Labels`
//! column per label, `Parent` (the parent's issue id) or `Parent key`, `Sprint` (one column per
//! sprint), `Fix versions`, `Inward issue link (Blocks)` / `Outward issue link (Blocks)` and
//! the other link types (one column per link), `Comment` (`date;author;body`), ...
//!
//! - State: `Status Category` (To Do, In Progress, Done) when the export has it, else the
//!   status name by a table; a status the table does not know is held and reported.
//! - Links: Blocks become dependencies (an outward link on A naming B makes B depend on A),
//!   Duplicate becomes `duplicates`, every other link type `relates` (its name kept in
//!   context).
//! - Milestone: the last sprint, else the first fix version (both kept in context).
//! - Every other non-empty column is kept as `context.jira_<column>`.

use super::StateMap;
use super::convert;
use super::csv::{Table, keep_rest};
use super::record::{Notes, Parsed, Place, Record, Ref, RefKind, RefNote, SourceComment, Want};
use crate::model::{LinkKind, Priority};
use std::collections::{HashMap, HashSet};

fn col<'a>(t: &Table, names: &[&'a str]) -> Option<&'a str> {
    names.iter().copied().find(|n| !t.positions(n).is_empty())
}

/// `Status` to a target when the export has no `Status Category`.
fn by_name(s: &str) -> Option<Want> {
    match s.trim().to_lowercase().as_str() {
        "to do"
        | "todo"
        | "open"
        | "backlog"
        | "new"
        | "selected for development"
        | "reopened"
        | "ready" => Some(Want::Open),
        "in progress" | "in review" | "review" | "code review" | "testing" | "qa"
        | "in development" | "in test" => Some(Want::InProgress),
        "done" | "closed" | "resolved" | "complete" | "completed" | "fixed" | "won't do"
        | "wont do" | "cancelled" | "canceled" | "released" => Some(Want::Done),
        _ => None,
    }
}

/// A link column: (inward?, link type).
fn link_column(name: &str) -> Option<(bool, String)> {
    let lower = name.to_lowercase();
    for (prefix, inward) in [
        ("inward issue link (", true),
        ("outward issue link (", false),
        ("inward work item link (", true),
        ("outward work item link (", false),
    ] {
        if let Some(rest) = lower.strip_prefix(prefix)
            && let Some(ty) = rest.strip_suffix(')')
        {
            let orig = &name[prefix.len()..name.len() - 1];
            let _ = ty;
            return Some((inward, orig.trim().to_string()));
        }
    }
    None
}

/// Parses a Jira CSV export.
pub fn parse(path: &str, text: &str, states: &StateMap) -> Parsed {
    let mut notes = Notes::default();
    let mut records: Vec<Record> = Vec::new();
    let Some(t) = Table::read(path, text, &mut notes) else {
        return Parsed { records, notes };
    };
    let key_col = col(&t, &["Issue key", "Work item key", "Key"]);
    let Some(key_col) = key_col else {
        notes.error(
            &Place::line(path, 1),
            None,
            "header",
            "has no `Issue key` (or `Work item key`) column; is this a Jira export?".into(),
        );
        return Parsed { records, notes };
    };
    let id_col = col(&t, &["Issue id", "Work item id"]);
    let type_col = col(&t, &["Issue Type", "Work item Type"]);
    let summary = col(&t, &["Summary"]);
    if summary.is_none() {
        notes.error(
            &Place::line(path, 1),
            None,
            "header",
            "has no `Summary` column".into(),
        );
        return Parsed { records, notes };
    }
    let fix_col = col(&t, &["Fix versions", "Fix Version/s"]);
    let points_col = col(
        &t,
        &[
            "Custom field (Story Points)",
            "Custom field (Story point estimate)",
            "Story Points",
            "Story point estimate",
        ],
    );
    let due_col = col(&t, &["Due date", "Due Date"]);
    // Issue ids to keys (Parent holds the parent's id).
    let mut key_of_id: HashMap<String, String> = HashMap::new();
    if let Some(ic) = id_col {
        for r in &t.rows {
            if let (Some(id), Some(key)) = (t.get(r, ic), t.get(r, key_col)) {
                key_of_id.insert(id.to_string(), key.to_string());
            }
        }
    }
    let resolve = |v: &str| key_of_id.get(v).cloned().unwrap_or_else(|| v.to_string());
    let links: Vec<(String, bool, String)> = t
        .names()
        .into_iter()
        .filter_map(|n| link_column(n).map(|(inward, ty)| (n.to_string(), inward, ty)))
        .collect();
    let mut handled: HashSet<String> = [
        key_col,
        "summary",
        "description",
        "status",
        "status category",
        "priority",
        "labels",
        "assignee",
        "reporter",
        "created",
        "updated",
        "last viewed",
        "parent",
        "parent id",
        "parent key",
        "parent summary",
        "sprint",
        "comment",
        "custom field (epic link)",
        "watchers",
        "watchers id",
        "votes",
        "work ratio",
        "project lead",
        "project lead id",
        "project description",
        "project url",
        "project type",
        "status category changed",
    ]
    .iter()
    .map(|s| s.to_lowercase())
    .collect();
    for c in [id_col, type_col, fix_col, points_col, due_col]
        .into_iter()
        .flatten()
    {
        handled.insert(c.to_lowercase());
    }
    for name in t.names() {
        let l = name.to_lowercase();
        if l.starts_with('σ') || l.starts_with("Σ") {
            handled.insert(l);
        }
    }
    for (n, ..) in &links {
        handled.insert(n.to_lowercase());
    }
    let handled_ref: HashSet<&str> = handled.iter().map(String::as_str).collect();
    // Links that belong on another row: (row key, ref).
    let mut pending: Vec<(String, Ref)> = Vec::new();
    let mut related: HashSet<(String, String)> = HashSet::new();
    for row in &t.rows {
        let place = Place::line(path, row.line);
        let Some(key) = t.get(row, key_col) else {
            notes.error(&place, None, key_col, "is blank".into());
            continue;
        };
        let mut rec = Record {
            place: place.clone(),
            source_id: key.to_string(),
            title: t
                .get(row, summary.unwrap_or("Summary"))
                .unwrap_or("")
                .to_string(),
            description: t.get(row, "Description").unwrap_or("").to_string(),
            ..Record::default()
        };
        if let Some(ic) = id_col
            && let Some(v) = t.get(row, ic)
        {
            rec.context.insert("jira_issue_id".into(), v.to_string());
        }
        rec.kind = type_col.and_then(|c| t.get(row, c)).map(str::to_string);
        // State.
        let status = t.get(row, "Status").unwrap_or("");
        let category = t.get(row, "Status Category");
        let (want, hold) = match states.get(status) {
            Some(m) => m,
            None => match category.map(|c| c.to_lowercase()) {
                Some(c) if c == "done" || c == "complete" => (Want::Done, None),
                Some(c) if c == "in progress" => (Want::InProgress, None),
                Some(c) if c == "to do" || c == "new" => (Want::Open, None),
                _ => match by_name(status) {
                    Some(w) => (w, None),
                    None => (
                        Want::Open,
                        Some(format!(
                            "status `{status}` (the export has no status category for it)"
                        )),
                    ),
                },
            },
        };
        if !status.is_empty() {
            rec.context.insert("jira_status".into(), status.to_string());
        }
        let from = match category {
            Some(c) => format!("{status} ({c})"),
            None => status.to_string(),
        };
        notes.set_state(&mut rec, &from, want, hold);
        if let Some(p) = t.get(row, "Priority") {
            let to = match p.to_lowercase().as_str() {
                "highest" | "blocker" | "critical" => Some(Priority::Critical),
                "high" | "major" => Some(Priority::High),
                "medium" => Some(Priority::Normal),
                "low" | "lowest" | "minor" | "trivial" => Some(Priority::Low),
                _ => None,
            };
            match to {
                Some(to) => {
                    rec.priority = Some(to);
                    notes.priority(p, to.as_str());
                }
                None => {
                    rec.context.insert("jira_priority".into(), p.to_string());
                    notes.priority(p, "the default (kept in context.jira_priority)");
                }
            }
        }
        rec.labels = t.all(row, "Labels").iter().map(|s| s.to_string()).collect();
        rec.assignee = t.get(row, "Assignee").and_then(convert::actor);
        rec.reporter = t.get(row, "Reporter").and_then(convert::actor);
        rec.created_at = t.get(row, "Created").and_then(convert::time);
        rec.due = due_col.and_then(|c| t.get(row, c)).and_then(convert::due);
        if let Some(sp) = points_col.and_then(|c| t.get(row, c)) {
            match sp.parse::<f64>() {
                Ok(e) if e.is_finite() && e >= 0.0 => rec.estimate = Some(e),
                _ => notes.error(
                    &place,
                    Some(key),
                    "story points",
                    format!("`{sp}` is not a number"),
                ),
            }
        }
        let sprints = t.all(row, "Sprint");
        let fixes = fix_col.map(|c| t.all(row, c)).unwrap_or_default();
        rec.milestone = sprints.last().or(fixes.first()).map(|s| s.to_string());
        if !sprints.is_empty() {
            rec.context.insert("jira_sprint".into(), sprints.join("\n"));
        }
        if !fixes.is_empty() {
            rec.context
                .insert("jira_fix_versions".into(), fixes.join("\n"));
        }
        // Parent: the id (or key) of the parent; the legacy Epic Link names a key.
        let parent = t
            .get(row, "Parent")
            .or_else(|| t.get(row, "Parent id"))
            .or_else(|| t.get(row, "Parent key"))
            .or_else(|| t.get(row, "Custom field (Epic Link)"))
            .map(resolve);
        if let Some(p) = parent {
            rec.refs.push(Ref {
                kind: RefKind::Parent,
                target: p,
                via: "Parent".into(),
            });
        }
        for (colname, inward, ty) in &links {
            for v in t.all(row, colname) {
                for other in v.split([',', ';']).map(str::trim).filter(|s| !s.is_empty()) {
                    let other = resolve(other);
                    let lower = ty.to_lowercase();
                    if lower.starts_with("block") {
                        if *inward {
                            rec.refs.push(Ref {
                                kind: RefKind::DependsOn,
                                target: other,
                                via: colname.clone(),
                            });
                        } else {
                            pending.push((
                                other,
                                Ref {
                                    kind: RefKind::DependsOn,
                                    target: key.to_string(),
                                    via: colname.clone(),
                                },
                            ));
                        }
                    } else if lower.starts_with("duplicat") {
                        if *inward {
                            pending.push((
                                other,
                                Ref {
                                    kind: RefKind::Link(LinkKind::Duplicates),
                                    target: key.to_string(),
                                    via: colname.clone(),
                                },
                            ));
                        } else {
                            rec.refs.push(Ref {
                                kind: RefKind::Link(LinkKind::Duplicates),
                                target: other,
                                via: colname.clone(),
                            });
                        }
                    } else {
                        let pair = if key < other.as_str() {
                            (key.to_string(), other.clone())
                        } else {
                            (other.clone(), key.to_string())
                        };
                        if related.insert(pair) {
                            rec.refs.push(Ref {
                                kind: RefKind::Link(LinkKind::Relates),
                                target: other.clone(),
                                via: colname.clone(),
                            });
                        }
                        if !lower.starts_with("relat") {
                            let k = super::record::context_key("jira_link", ty);
                            let entry = rec.context.entry(k).or_default();
                            if !entry.is_empty() {
                                entry.push(',');
                            }
                            entry.push_str(&format!(
                                "{}:{other}",
                                if *inward { "inward" } else { "outward" }
                            ));
                        }
                    }
                }
            }
        }
        for c in t.all(row, "Comment") {
            let mut parts = c.splitn(3, ';');
            let (d, a, b) = (parts.next(), parts.next(), parts.next());
            let comment = match (d.and_then(convert::time), a, b) {
                (Some(at), Some(author), Some(body)) => SourceComment {
                    author: author.to_string(),
                    at: Some(at),
                    body: body.to_string(),
                },
                _ => SourceComment {
                    author: String::new(),
                    at: None,
                    body: c.to_string(),
                },
            };
            rec.comments.push(comment);
        }
        keep_rest(&t, row, &handled_ref, "jira", &mut rec, &mut notes);
        records.push(rec);
    }
    // Links stored on the other row.
    let index: HashMap<String, usize> = records
        .iter()
        .enumerate()
        .map(|(k, r)| (r.source_id.clone(), k))
        .collect();
    for (owner, r) in pending {
        match index.get(&owner) {
            Some(&k) => {
                if !records[k]
                    .refs
                    .iter()
                    .any(|x| x.kind == r.kind && x.target == r.target)
                {
                    records[k].refs.push(r);
                }
            }
            None => notes.references.push(RefNote {
                from: r.target.clone(),
                to: owner,
                via: r.via,
                outcome: "missing",
                note: "the link belongs on an issue that is not in the export; dropped".into(),
            }),
        }
    }
    for (field, to) in [
        (key_col, "context.source_id"),
        ("Summary", "title"),
        ("Description", "description"),
        (
            "Status",
            "state (with Status Category), context.jira_status",
        ),
        ("Priority", "priority"),
        ("Labels", "labels (one column per label)"),
        ("Assignee", "assignee"),
        ("Reporter", "reporter"),
        ("Created", "created_at"),
        ("Parent", "parent"),
        ("Sprint", "milestone (the last sprint), context.jira_sprint"),
        ("Comment", "comments"),
    ] {
        if !t.positions(field).is_empty() {
            notes.mapped(field, to);
        }
    }
    for (c, to) in [
        (type_col, "type"),
        (id_col, "context.jira_issue_id (resolves Parent)"),
        (
            fix_col,
            "milestone when there is no sprint, context.jira_fix_versions",
        ),
        (points_col, "estimate"),
        (due_col, "due"),
    ] {
        if let Some(c) = c {
            notes.mapped(c, to);
        }
    }
    for (n, ..) in &links {
        notes.mapped_as(
            n,
            "dependencies, links",
            "Blocks → dependency, Duplicate → duplicates, others → relates",
        );
    }
    for (c, why) in [
        ("Status Category", "used to map Status"),
        ("Updated", "jit records its own update time"),
        ("Last Viewed", "the exporting user's view time"),
        ("Parent summary", "derived from the parent"),
        ("Parent id", "used to resolve the parent"),
        ("Parent key", "used to resolve the parent"),
        (
            "Custom field (Epic Link)",
            "used as the parent when there is no Parent",
        ),
        ("Watchers", "who watches is not part of the issue"),
        ("Watchers Id", "who watches is not part of the issue"),
        ("Votes", "a count"),
        ("Work Ratio", "derived from the time fields"),
        ("Project lead", "describes the project, not the issue"),
        ("Project lead id", "describes the project, not the issue"),
        (
            "Project description",
            "describes the project, not the issue",
        ),
        ("Project url", "describes the project, not the issue"),
        ("Project type", "describes the project, not the issue"),
        ("Status Category Changed", "derived from the history"),
    ] {
        if !t.positions(c).is_empty() {
            notes.dropped(c, why);
        }
    }
    for name in t.names() {
        if name.starts_with('Σ') {
            notes.dropped(name, "a sum over sub-tasks, derived");
        }
    }
    Parsed { records, notes }
}
