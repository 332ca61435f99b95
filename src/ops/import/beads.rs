//! beads (`bd`): `.beads/issues.jsonl`, one issue object per line, as beads exports it
//! (`internal/types/types.go`: `id`, `title`, `description`, `design`, `acceptance_criteria`,
//! `notes`, `status`, `priority` 0–4, `issue_type`, `assignee`, `owner`, `labels`,
//! `dependencies` with `{issue_id, depends_on_id, type}`, `comments`, tombstones, ...).
//!
//! Readiness is carried over so that jit's `query ready` holds what `bd ready` would hand out:
//! - a `blocks` (also `conditional-blocks`) dependency becomes a jit dependency unless its
//!   target is pinned (beads never lets a pinned bead block; kept as a `relates` link) or
//!   missing or deleted (beads ignores those; reported);
//! - `waits-for` waits for every child of the spawner: a dependency on each child;
//! - beads also holds back the sub-tasks of a blocked parent, to any depth; jit does not
//!   propagate through `parent`, so each issue gets its ancestors' blocking dependencies too
//!   (reported as `inherited`);
//! - open issues beads keeps out of `bd ready` (status `blocked`, `deferred`, `pinned` or a
//!   custom status, the `pinned` flag, a future `defer_until`, the workflow types `gate`,
//!   `molecule`, `message`, `agent`, `merge-request`) get the `held` precheck gate;
//! - tombstones (`status: tombstone` or `deleted_at`) and ephemeral wisps are not live work:
//!   skipped and reported (a tombstone archives an issue imported from it before).
//!
//! An id that appears on several lines (a merge of two branches' exports) keeps the line with
//! the latest `updated_at` (the later line on a tie); the others are reported as duplicates.

use super::StateMap;
use super::convert;
use super::read::{self, MAX_RECORDS};
use super::record::{
    Duplicate, Notes, Parsed, Place, Record, Ref, RefKind, RefNote, Skipped, SourceComment, Want,
    context_key,
};
use crate::model::{LinkKind, Priority, Timestamp};
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

/// beads types `bd ready` never hands out.
const WORKFLOW_TYPES: &[&str] = &["merge-request", "gate", "molecule", "message", "agent"];

/// Fields beads exports that this import maps or judges itself (everything else is kept).
const HANDLED: &[&str] = &[
    "id",
    "title",
    "description",
    "design",
    "acceptance_criteria",
    "notes",
    "status",
    "priority",
    "issue_type",
    "assignee",
    "created_by",
    "labels",
    "dependencies",
    "comments",
    "created_at",
    "updated_at",
    "estimated_minutes",
    "due_at",
    "defer_until",
    "pinned",
    "ephemeral",
    "deleted_at",
    "content_hash",
];

struct Line {
    place: Place,
    obj: Map<String, Value>,
}

fn s<'a>(o: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    o.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn is_tombstone(o: &Map<String, Value>) -> bool {
    s(o, "status") == Some("tombstone") || o.get("deleted_at").is_some_and(|v| !v.is_null())
}

/// The relations of one issue: (type, target, metadata).
fn deps(o: &Map<String, Value>) -> Vec<(String, String, Option<String>)> {
    o.get("dependencies")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|d| {
                    let target = d.get("depends_on_id")?.as_str()?.trim().to_string();
                    let ty = d
                        .get("type")
                        .and_then(Value::as_str)
                        .unwrap_or("blocks")
                        .trim()
                        .to_string();
                    let meta = d.get("metadata").and_then(convert::json_string);
                    (!target.is_empty()).then_some((ty, target, meta))
                })
                .collect()
        })
        .unwrap_or_default()
}

const BLOCKING: &[&str] = &["blocks", "conditional-blocks"];

/// Parses `issues.jsonl`.
pub fn parse(path: &str, text: &str, states: &StateMap, now: Timestamp) -> Parsed {
    let mut notes = Notes::default();
    let mut lines: Vec<Line> = Vec::new();
    for (n, l) in read::lines(text) {
        let place = Place::line(path, n);
        if lines.len() >= MAX_RECORDS {
            notes.error(
                &place,
                None,
                "file",
                format!("more than {MAX_RECORDS} issues"),
            );
            break;
        }
        match serde_json::from_str::<Value>(l) {
            Ok(Value::Object(obj)) => {
                if s(&obj, "id").is_none() {
                    notes.error(&place, None, "id", "has no `id` string".into());
                    continue;
                }
                lines.push(Line { place, obj });
            }
            Ok(_) => notes.error(&place, None, "line", "is not a JSON object".into()),
            Err(e) => notes.error(&place, None, "line", format!("not JSON: {e}")),
        }
    }
    // Duplicates: the latest `updated_at` wins.
    let mut by_id: HashMap<String, usize> = HashMap::new();
    let mut dropped: HashMap<String, Vec<Place>> = HashMap::new();
    let updated = |l: &Line| s(&l.obj, "updated_at").and_then(convert::time);
    let mut keep: Vec<bool> = vec![true; lines.len()];
    for k in 0..lines.len() {
        let id = s(&lines[k].obj, "id").unwrap_or_default().to_string();
        match by_id.get(&id).copied() {
            None => {
                by_id.insert(id, k);
            }
            Some(j) => {
                let (win, lose) = if updated(&lines[k]) >= updated(&lines[j]) {
                    (k, j)
                } else {
                    (j, k)
                };
                keep[lose] = false;
                dropped
                    .entry(id.clone())
                    .or_default()
                    .push(lines[lose].place.clone());
                by_id.insert(id, win);
            }
        }
    }
    for (id, d) in dropped {
        notes.duplicates.push(Duplicate {
            kept: lines[by_id[&id]].place.clone(),
            source_id: id,
            dropped: d,
        });
    }
    notes
        .duplicates
        .sort_by(|a, b| a.source_id.cmp(&b.source_id));
    let live: Vec<&Line> = lines
        .iter()
        .zip(&keep)
        .filter(|(_, k)| **k)
        .map(|(l, _)| l)
        .collect();
    let obj_of: HashMap<&str, &Map<String, Value>> = live
        .iter()
        .map(|l| (s(&l.obj, "id").unwrap_or_default(), &l.obj))
        .collect();
    let pinned = |id: &str| {
        obj_of.get(id).is_some_and(|o| {
            s(o, "status") == Some("pinned")
                || o.get("pinned").and_then(Value::as_bool) == Some(true)
        })
    };
    let exists = |id: &str| {
        obj_of
            .get(id)
            .is_some_and(|o| !is_tombstone(o) && !ephemeral(o))
    };
    // Parents and children (parent-child: the issue depends on its parent).
    let mut parent_of: HashMap<&str, &str> = HashMap::new();
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for l in &live {
        let id = s(&l.obj, "id").unwrap_or_default();
        for (ty, target, _) in deps(&l.obj) {
            if ty == "parent-child" && exists(&target) {
                let t = obj_of
                    .get_key_value(target.as_str())
                    .map(|(k, _)| *k)
                    .unwrap_or("");
                parent_of.entry(id).or_insert(t);
                children.entry(t).or_default().push(id);
            }
        }
    }
    // An issue's own blocking targets (those that can block in beads).
    let blocking_of = |id: &str| -> Vec<(String, String)> {
        let Some(o) = obj_of.get(id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (ty, target, _) in deps(o) {
            if BLOCKING.contains(&ty.as_str()) && exists(&target) && !pinned(&target) {
                out.push((ty, target));
            } else if ty == "waits-for" && exists(&target) {
                for c in children.get(target.as_str()).into_iter().flatten() {
                    out.push((ty.clone(), c.to_string()));
                }
            }
        }
        out
    };

    let mut records = Vec::with_capacity(live.len());
    for l in &live {
        let o = &l.obj;
        let id = s(o, "id").unwrap_or_default().to_string();
        let place = l.place.clone();
        if ephemeral(o) {
            notes.skipped.push(Skipped {
                source_id: id,
                place,
                reason: "ephemeral (a wisp): beads itself does not sync it; not imported".into(),
            });
            notes.dropped("ephemeral", "ephemeral wisps are not imported");
            continue;
        }
        let mut rec = Record {
            place: place.clone(),
            source_id: id.clone(),
            path: None,
            ..Record::default()
        };
        if is_tombstone(o) {
            let why = s(o, "delete_reason").unwrap_or("deleted in beads");
            notes.skipped.push(Skipped {
                source_id: id.clone(),
                place,
                reason: format!("a tombstone ({why}): not live work; an issue imported from it before is archived"),
            });
            notes.mapped_as(
                "deleted_at",
                "state",
                "a tombstone is not imported (an earlier import is archived)",
            );
            rec.deleted = Some(why.to_string());
            records.push(rec);
            continue;
        }
        rec.title = s(o, "title").unwrap_or("").to_string();
        if o.contains_key("title") {
            notes.mapped("title", "title");
        }
        // Description with design and notes as sections.
        let mut desc = o
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim_end()
            .to_string();
        if o.contains_key("description") {
            notes.mapped("description", "description");
        }
        for (key, heading) in [("design", "Design"), ("notes", "Notes")] {
            if let Some(t) = s(o, key) {
                if !desc.is_empty() {
                    desc.push_str("\n\n");
                }
                desc.push_str(&format!("## {heading}\n\n{}", t.trim_end()));
                notes.mapped_as(key, "description", &format!("a `## {heading}` section"));
            }
        }
        rec.description = desc;
        if let Some(ac) = s(o, "acceptance_criteria") {
            rec.checklist = convert::checklist_lines(ac);
            notes.mapped_as("acceptance_criteria", "checklist", "one item per line");
        }
        // Status.
        let st = s(o, "status").unwrap_or("open");
        let is_pinned = st == "pinned" || o.get("pinned").and_then(Value::as_bool) == Some(true);
        notes.mapped("status", "state");
        let (want, mut hold) = match states.get(st) {
            Some(m) => m,
            None => match st {
                "open" => (Want::Open, None),
                "in_progress" | "hooked" => (Want::InProgress, None),
                "closed" => (Want::Done, None),
                "blocked" | "deferred" | "pinned" => {
                    (Want::Open, Some(format!("status `{st}` in beads")))
                }
                other => (
                    Want::Open,
                    Some(format!(
                        "custom status `{other}` in beads (not in `bd ready`)"
                    )),
                ),
            },
        };
        if is_pinned && hold.is_none() && want == Want::Open {
            hold = Some("pinned in beads (a persistent bead, not work)".into());
        }
        if o.contains_key("pinned") {
            notes.mapped_as("pinned", "gates_required", "a pinned bead is held");
        }
        let ty = s(o, "issue_type").unwrap_or("task");
        if want == Want::Open && hold.is_none() && WORKFLOW_TYPES.contains(&ty) {
            hold = Some(format!(
                "type `{ty}` is a beads workflow item, never in `bd ready`"
            ));
        }
        if let Some(d) = s(o, "defer_until") {
            notes.mapped_as(
                "defer_until",
                "gates_required",
                "held while in the future; kept in context",
            );
            rec.context
                .insert("beads_defer_until".into(), d.to_string());
            if want == Want::Open && hold.is_none() && convert::time(d).is_some_and(|t| t > now) {
                hold = Some(format!("deferred until {d} in beads"));
            }
        }
        notes.set_state(&mut rec, st, want, hold);
        // Priority 0-4.
        match o.get("priority") {
            None | Some(Value::Null) => {}
            Some(p) => match p.as_i64() {
                Some(n @ 0..=4) => {
                    let to = match n {
                        0 => Priority::Critical,
                        1 => Priority::High,
                        2 => Priority::Normal,
                        _ => Priority::Low,
                    };
                    rec.priority = Some(to);
                    notes.mapped("priority", "priority");
                    notes.priority(&format!("{n}"), to.as_str());
                }
                _ => notes.error(
                    &place,
                    Some(&id),
                    "priority",
                    format!("`{p}` is not 0 to 4"),
                ),
            },
        }
        rec.kind = Some(ty.to_string());
        if o.contains_key("issue_type") {
            notes.mapped("issue_type", "type");
        }
        if let Some(a) = s(o, "assignee") {
            rec.assignee = convert::actor(a);
            notes.mapped_as(
                "assignee",
                "assignee",
                "human:<name> unless already type:identifier",
            );
        }
        if let Some(c) = s(o, "created_by") {
            rec.reporter = convert::actor(c);
            notes.mapped("created_by", "reporter");
        }
        if let Some(ls) = o.get("labels").and_then(Value::as_array) {
            rec.labels = ls
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect();
            notes.mapped("labels", "labels");
        }
        if let Some(cs) = o.get("comments").and_then(Value::as_array) {
            for c in cs {
                rec.comments.push(SourceComment {
                    author: c
                        .get("author")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                    at: c
                        .get("created_at")
                        .and_then(Value::as_str)
                        .and_then(convert::time),
                    body: c
                        .get("text")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string(),
                });
            }
            notes.mapped("comments", "comments");
        }
        if let Some(t) = s(o, "created_at").and_then(convert::time) {
            rec.created_at = Some(t);
            notes.mapped("created_at", "created_at");
        }
        if o.contains_key("updated_at") {
            notes.dropped("updated_at", "jit records its own update time");
        }
        if let Some(m) = o.get("estimated_minutes").and_then(Value::as_f64) {
            rec.estimate = Some(m);
            notes.mapped_as("estimated_minutes", "estimate", "in minutes");
        }
        if let Some(d) = s(o, "due_at") {
            rec.due = convert::due(d);
            notes.mapped("due_at", "due");
        }
        // Relations.
        let mut ctx_rel: HashMap<String, Vec<String>> = HashMap::new();
        for (ty, target, _) in deps(o) {
            let relate = |rec: &mut Record, via: &str| {
                rec.refs.push(Ref {
                    kind: RefKind::Link(LinkKind::Relates),
                    target: target.clone(),
                    via: via.to_string(),
                })
            };
            match ty.as_str() {
                "blocks" | "conditional-blocks" => {
                    if exists(&target) && pinned(&target) {
                        relate(&mut rec, &ty);
                        notes.references.push(RefNote {
                            from: id.clone(),
                            to: target.clone(),
                            via: ty.clone(),
                            outcome: "as_link",
                            note: "a pinned bead never blocks in beads; kept as a `relates` link"
                                .into(),
                        });
                    } else {
                        if ty == "conditional-blocks" {
                            ctx_rel.entry(ty.clone()).or_default().push(target.clone());
                        }
                        rec.refs.push(Ref {
                            kind: RefKind::DependsOn,
                            target: target.clone(),
                            via: ty.clone(),
                        });
                    }
                }
                "waits-for" => {
                    ctx_rel.entry(ty.clone()).or_default().push(target.clone());
                    for c in children.get(target.as_str()).into_iter().flatten() {
                        rec.refs.push(Ref {
                            kind: RefKind::DependsOn,
                            target: c.to_string(),
                            via: format!("waits-for {target}"),
                        });
                    }
                }
                "parent-child" => rec.refs.push(Ref {
                    kind: RefKind::Parent,
                    target: target.clone(),
                    via: ty.clone(),
                }),
                "duplicates" => rec.refs.push(Ref {
                    kind: RefKind::Link(LinkKind::Duplicates),
                    target: target.clone(),
                    via: ty.clone(),
                }),
                "related" | "relates-to" => relate(&mut rec, &ty),
                other => {
                    // supersedes, discovered-from, replies-to, tracks, ... and custom types:
                    // a `relates` link, and the kind kept in context.
                    ctx_rel
                        .entry(other.to_string())
                        .or_default()
                        .push(target.clone());
                    relate(&mut rec, other);
                }
            }
        }
        if o.contains_key("dependencies") {
            notes.mapped_as(
                "dependencies",
                "dependencies, parent, links",
                "blocks → dependency; parent-child → parent; related/relates-to → relates; duplicates → duplicates; other kinds → relates, with the kind in context.beads_dep_<kind>",
            );
        }
        for (ty, targets) in ctx_rel {
            rec.context
                .insert(context_key("beads_dep", &ty), targets.join(","));
        }
        // Inherited: what the ancestors wait for.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut cur = id.as_str();
        let own: HashSet<String> = rec
            .refs
            .iter()
            .filter(|r| r.kind == RefKind::DependsOn)
            .map(|r| r.target.clone())
            .collect();
        let mut depth = 0;
        while let Some(p) = parent_of.get(cur).copied() {
            if !seen.insert(p) || depth >= 50 {
                break;
            }
            depth += 1;
            for (ty, target) in blocking_of(p) {
                if target == id || own.contains(&target) {
                    continue;
                }
                rec.refs.push(Ref {
                    kind: RefKind::DependsOn,
                    target: target.clone(),
                    via: format!("{ty} of ancestor {p}"),
                });
                notes.references.push(RefNote {
                    from: id.clone(),
                    to: target,
                    via: format!("{ty} of ancestor {p}"),
                    outcome: "inherited",
                    note: "beads holds the sub-tasks of a blocked parent; jit does not propagate through `parent`, so the dependency is carried to the sub-task".into(),
                });
            }
            cur = p;
        }
        // Everything else is kept.
        for (k, v) in o {
            if HANDLED.contains(&k.as_str()) {
                if k == "content_hash" {
                    notes.dropped(k, "beads' own checksum");
                }
                continue;
            }
            if let Some(val) = convert::json_string(v) {
                let key = context_key("beads", k);
                notes.kept(k, &format!("context.{key}"));
                rec.context.insert(key, val);
            }
        }
        records.push(rec);
    }
    Parsed { records, notes }
}

fn ephemeral(o: &Map<String, Value>) -> bool {
    o.get("ephemeral").and_then(Value::as_bool) == Some(true)
}
