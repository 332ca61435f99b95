//! Linear CSV exports ("Export issues as CSV"): `ID`, `Team`, `Title`, `Description`,
//! `Status`, `Estimate`, `Priority` (Urgent, High, Medium, Low, No priority), `Project`,
//! `Creator`, `Assignee`, `Labels` (joined by `, `), `Cycle Number`, `Cycle Name`, `Created`,
//! `Started`, `Completed`, `Canceled`, `Archived`, `Due Date`, `Parent issue`, and in the wider
//! shape `UUID`, `Related to`, `Blocked by`, `Duplicate of`.
//!
//! - State: a `Canceled` time archives, a `Completed` time is done, a `Started` time is in
//!   progress; otherwise the status name (Backlog, Triage, Todo are open); an unknown status is
//!   held and reported. Workflow names are per team, so `--map-state` settles the rest.
//! - Milestone: the cycle (`Cycle Name`, else `Cycle N`), else the project milestone.
//! - A leading `'` Linear adds before `=`, `+`, `-`, `@` (so a spreadsheet does not run it) is
//!   removed.

use super::StateMap;
use super::convert;
use super::csv::{Table, keep_rest};
use super::record::{Notes, Parsed, Place, Record, Ref, RefKind, Want};
use crate::model::{LinkKind, Priority};
use std::collections::HashSet;

fn unformula(s: &str) -> String {
    match s.strip_prefix('\'') {
        Some(r) if r.starts_with(['=', '+', '-', '@']) => r.to_string(),
        _ => s.to_string(),
    }
}

fn ids(v: &str) -> Vec<String> {
    v.split([',', ';', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Parses a Linear CSV export.
pub fn parse(path: &str, text: &str, states: &StateMap) -> Parsed {
    let mut notes = Notes::default();
    let mut records: Vec<Record> = Vec::new();
    let Some(t) = Table::read(path, text, &mut notes) else {
        return Parsed { records, notes };
    };
    for need in ["ID", "Title"] {
        if t.positions(need).is_empty() {
            notes.error(
                &Place::line(path, 1),
                None,
                "header",
                format!("has no `{need}` column; is this a Linear export?"),
            );
        }
    }
    if !notes.errors.is_empty() {
        return Parsed { records, notes };
    }
    let handled: HashSet<&str> = [
        "id",
        "title",
        "description",
        "status",
        "estimate",
        "priority",
        "creator",
        "assignee",
        "labels",
        "cycle number",
        "cycle name",
        "created",
        "updated",
        "started",
        "completed",
        "canceled",
        "archived",
        "due date",
        "parent issue",
        "related to",
        "blocked by",
        "blocks",
        "duplicate of",
        "project milestone",
        "time in status (minutes)",
    ]
    .into_iter()
    .collect();
    let mut pending: Vec<(String, Ref)> = Vec::new();
    for row in &t.rows {
        let place = Place::line(path, row.line);
        let get = |c: &str| t.get(row, c).map(unformula);
        let Some(id) = get("ID") else {
            notes.error(&place, None, "ID", "is blank".into());
            continue;
        };
        let mut rec = Record {
            place: place.clone(),
            source_id: id.clone(),
            title: get("Title").unwrap_or_default(),
            description: t.get(row, "Description").map(unformula).unwrap_or_default(),
            ..Record::default()
        };
        // State.
        let status = get("Status").unwrap_or_default();
        let by_time = if get("Canceled").is_some() {
            Some(Want::Archived)
        } else if get("Completed").is_some() {
            Some(Want::Done)
        } else if get("Started").is_some() {
            Some(Want::InProgress)
        } else {
            None
        };
        let (want, hold) = match states.get(&status) {
            Some(m) => m,
            None => match by_time {
                Some(w) => (w, None),
                None => match status.to_lowercase().as_str() {
                    "backlog" | "triage" | "todo" | "to do" | "unstarted" | "" => {
                        (Want::Open, None)
                    }
                    "in progress" | "in review" | "started" => (Want::InProgress, None),
                    "done" | "completed" => (Want::Done, None),
                    "canceled" | "cancelled" | "duplicate" => (Want::Archived, None),
                    _ => (
                        Want::Open,
                        Some(format!(
                            "status `{status}` (no start, completion or cancel time in the export)"
                        )),
                    ),
                },
            },
        };
        if !status.is_empty() {
            rec.context.insert("linear_status".into(), status.clone());
        }
        notes.set_state(&mut rec, &status, want, hold);
        if let Some(p) = get("Priority") {
            let to = match p.to_lowercase().as_str() {
                "urgent" => Some(Priority::Critical),
                "high" => Some(Priority::High),
                "medium" => Some(Priority::Normal),
                "low" => Some(Priority::Low),
                _ => None,
            };
            match to {
                Some(to) => {
                    rec.priority = Some(to);
                    notes.priority(&p, to.as_str());
                }
                None => notes.priority(&p, "the default"),
            }
        }
        if let Some(e) = get("Estimate") {
            match e.parse::<f64>() {
                Ok(v) if v.is_finite() && v >= 0.0 => rec.estimate = Some(v),
                _ => notes.error(
                    &place,
                    Some(&id),
                    "Estimate",
                    format!("`{e}` is not a number"),
                ),
            }
        }
        rec.assignee = get("Assignee").as_deref().and_then(convert::actor);
        rec.reporter = get("Creator").as_deref().and_then(convert::actor);
        rec.labels = get("Labels")
            .map(|l| {
                l.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        rec.milestone = get("Cycle Name")
            .or_else(|| get("Cycle Number").map(|n| format!("Cycle {n}")))
            .or_else(|| get("Project Milestone"));
        for (c, key) in [
            ("Cycle Number", "linear_cycle_number"),
            ("Cycle Name", "linear_cycle_name"),
            ("Project Milestone", "linear_project_milestone"),
            ("Started", "linear_started"),
            ("Completed", "linear_completed"),
            ("Canceled", "linear_canceled"),
            ("Archived", "linear_archived"),
        ] {
            if let Some(v) = get(c) {
                rec.context.insert(key.into(), v);
            }
        }
        rec.created_at = get("Created").as_deref().and_then(convert::time);
        rec.due = get("Due Date").as_deref().and_then(convert::due);
        if let Some(p) = get("Parent issue") {
            rec.refs.push(Ref {
                kind: RefKind::Parent,
                target: p,
                via: "Parent issue".into(),
            });
        }
        for (c, kind) in [
            ("Blocked by", RefKind::DependsOn),
            ("Related to", RefKind::Link(LinkKind::Relates)),
            ("Duplicate of", RefKind::Link(LinkKind::Duplicates)),
        ] {
            for target in get(c).map(|v| ids(&v)).unwrap_or_default() {
                rec.refs.push(Ref {
                    kind,
                    target,
                    via: c.into(),
                });
            }
        }
        for other in get("Blocks").map(|v| ids(&v)).unwrap_or_default() {
            pending.push((
                other,
                Ref {
                    kind: RefKind::DependsOn,
                    target: id.clone(),
                    via: "Blocks".into(),
                },
            ));
        }
        keep_rest(&t, row, &handled, "linear", &mut rec, &mut notes);
        records.push(rec);
    }
    for (owner, r) in pending {
        if let Some(rec) = records.iter_mut().find(|x| x.source_id == owner) {
            if !rec
                .refs
                .iter()
                .any(|x| x.kind == r.kind && x.target == r.target)
            {
                rec.refs.push(r);
            }
        } else {
            notes.references.push(super::record::RefNote {
                from: r.target.clone(),
                to: owner,
                via: r.via,
                outcome: "missing",
                note: "the dependency belongs on an issue that is not in the export; dropped"
                    .into(),
            });
        }
    }
    for (field, to) in [
        ("ID", "context.source_id"),
        ("Title", "title"),
        ("Description", "description"),
        (
            "Status",
            "state (with Started/Completed/Canceled), context.linear_status",
        ),
        ("Estimate", "estimate"),
        ("Priority", "priority"),
        ("Creator", "reporter"),
        ("Assignee", "assignee"),
        ("Labels", "labels"),
        ("Cycle Name", "milestone"),
        ("Cycle Number", "milestone (when the cycle has no name)"),
        ("Project Milestone", "milestone (when there is no cycle)"),
        ("Created", "created_at"),
        ("Started", "state, context.linear_started"),
        ("Completed", "state, context.linear_completed"),
        ("Canceled", "state (archived), context.linear_canceled"),
        ("Archived", "context.linear_archived"),
        ("Due Date", "due"),
        ("Parent issue", "parent"),
        ("Blocked by", "dependencies"),
        ("Blocks", "dependencies (of the other issue)"),
        ("Related to", "links (relates)"),
        ("Duplicate of", "links (duplicates)"),
    ] {
        if !t.positions(field).is_empty() {
            notes.mapped(field, to);
        }
    }
    for (c, why) in [
        ("Updated", "jit records its own update time"),
        ("Time in status (minutes)", "derived from the history"),
    ] {
        if !t.positions(c).is_empty() {
            notes.dropped(c, why);
        }
    }
    Parsed { records, notes }
}
