//! just-in-time (erankavija/just-in-time): a `.jit/` directory with `issues/<uuid>.json`,
//! `gates.json` and `events.jsonl`.
//!
//! - States: `backlog`/`ready` are derived here too; `in_progress`, `gated`, `done` carry
//!   over; `rejected` (closed, and it satisfies dependents there) becomes `done` with
//!   `context.just_in_time_state = rejected`; `archived` becomes `done` when it was archived
//!   from `done`/`rejected` (it still satisfies dependents there), else `archived`.
//! - A dependency on an issue that is not in the import counts as unmet in just-in-time: the
//!   issue gets the `held` gate (and the reference is reported).
//! - Labels `type:X` and `milestone:X` become the type and milestone; the rest stay labels.
//! - Gates become jit gates with their checkers (`exec` checkers; `working_dir` and `env` are
//!   folded into the command line); what jit has no place for is kept in the gate's
//!   `just_in_time` field and reported.
//! - The event history is kept as one comment per issue summarising its events (oldest first,
//!   the most recent kept when it is long), so `jit issue context` shows it.

use super::StateMap;
use super::convert;
use super::read::{self, Root};
use super::record::{Ignored, Notes, Parsed, Place, Record, Ref, RefKind, SourceComment, Want};
use crate::error::Result;
use crate::model::{Checker, GateDef, GateStage, GateState, Priority, limits, validate_gate_key};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// Issue keys this import maps or judges (everything else is kept).
const HANDLED: &[&str] = &[
    "id",
    "title",
    "description",
    "state",
    "priority",
    "assignee",
    "dependencies",
    "gates_required",
    "gates_status",
    "context",
    "documents",
    "labels",
    "created_at",
    "updated_at",
    "archived_from",
];

/// Finds the just-in-time store in `dir` (`dir/.jit` or `dir` itself) and refuses a jit store
/// of this tool's own format.
fn locate(dir: &Path) -> Result<Root> {
    let root = Root::open(dir)?;
    let store = match root.subdir(".jit")? {
        Some(r) => r,
        None => root,
    };
    if store.subdir("issues")?.is_none() {
        return Err(super::invalid(
            dir,
            "has no `.jit/issues/` (or `issues/`) directory; give the just-in-time project or its `.jit` directory".into(),
            json!({}),
        ));
    }
    Ok(store)
}

/// Reads a just-in-time store.
pub fn parse(dir: &Path, states: &StateMap) -> Result<Parsed> {
    let root = locate(dir)?;
    let mut notes = Notes::default();
    // `locate` found it; a directory removed since is an error, not a panic.
    let Some(issues_dir) = root.subdir("issues")? else {
        return Err(super::invalid(
            dir,
            "its `issues/` directory is gone; give the just-in-time project again".into(),
            json!({}),
        ));
    };
    let (files, dirs) = issues_dir.files()?;
    for d in dirs {
        notes.ignored.push(Ignored {
            path: format!("issues/{d}"),
            reason: "a directory; issues are files".into(),
        });
    }
    // Our own store has ULID names and a config.json: not a just-in-time store.
    if root.files()?.0.iter().any(|e| e.rel == "config.json")
        && files.iter().any(|f| {
            f.rel
                .strip_suffix(".json")
                .is_some_and(|s| crate::model::IssueId::parse(s).is_ok())
        })
    {
        return Err(super::invalid(
            dir,
            "is a store of this tool (jit), not of just-in-time; nothing to import".into(),
            json!({}),
        ));
    }
    // Gates.
    let gate_defs = read_gates(&root, &mut notes)?;
    // Events, per issue.
    let history = read_events(&root, &mut notes)?;
    let mut records = Vec::new();
    for f in files {
        let rel = format!("issues/{}", f.rel);
        let Some(stem) = f.rel.strip_suffix(".json") else {
            notes.ignored.push(Ignored {
                path: rel,
                reason: "not a `.json` file".into(),
            });
            continue;
        };
        if records.len() >= read::MAX_RECORDS {
            notes.error(
                &Place::file(&rel),
                None,
                "file",
                format!("more than {} issues", read::MAX_RECORDS),
            );
            break;
        }
        let place = Place::file(&rel);
        let text = read::text(&issues_dir.shown.join(&f.rel), issues_dir.read(&f)?)?;
        let obj = match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(o)) => o,
            Ok(_) => {
                notes.error(&place, None, "file", "is not a JSON object".into());
                continue;
            }
            Err(e) => {
                notes.error(
                    &Place::line(&rel, e.line()),
                    None,
                    "file",
                    format!("not JSON: {e}"),
                );
                continue;
            }
        };
        let id = obj
            .get("id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if id != stem {
            notes.error(
                &place,
                Some(&id),
                "id",
                format!("holds id `{id}` but is named for `{stem}`"),
            );
            continue;
        }
        let events = history.get(id.as_str());
        records.push(record(&obj, place, rel, events, states, &mut notes));
    }
    notes.gate_defs = gate_defs;
    Ok(Parsed { records, notes })
}

fn record(
    o: &Map<String, Value>,
    place: Place,
    rel: String,
    events: Option<&Vec<(String, String)>>,
    states: &StateMap,
    notes: &mut Notes,
) -> Record {
    let id = o
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let str_of = |k: &str| o.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let mut rec = Record {
        place: place.clone(),
        source_id: id.clone(),
        path: Some(rel),
        title: str_of("title"),
        description: str_of("description"),
        ..Record::default()
    };
    notes.mapped("title", "title");
    notes.mapped("description", "description");
    // State.
    let st = str_of("state");
    let archived_from = o.get("archived_from").and_then(Value::as_str).unwrap_or("");
    let (want, hold) = match states.get(&st) {
        Some(m) => m,
        None => match st.as_str() {
            "backlog" | "ready" | "open" => (Want::Open, None),
            "in_progress" => (Want::InProgress, None),
            "gated" => (Want::Gated, None),
            "done" => (Want::Done, None),
            "rejected" => (Want::Done, None),
            "archived" if matches!(archived_from, "done" | "rejected") => (Want::Done, None),
            "archived" => (Want::Archived, None),
            other => {
                notes.error(
                    &place,
                    Some(&id),
                    "state",
                    format!("`{other}` is not a just-in-time state"),
                );
                (Want::Open, None)
            }
        },
    };
    if matches!(st.as_str(), "rejected" | "archived") {
        rec.context.insert("just_in_time_state".into(), st.clone());
        if !archived_from.is_empty() {
            rec.context.insert(
                "just_in_time_archived_from".into(),
                archived_from.to_string(),
            );
        }
    }
    notes.mapped("state", "state");
    if o.contains_key("archived_from") {
        notes.mapped_as(
            "archived_from",
            "state",
            "archived from done/rejected counts as done",
        );
    }
    notes.state(
        &if st == "archived" && !archived_from.is_empty() {
            format!("archived (from {archived_from})")
        } else {
            st.clone()
        },
        want.describe(),
    );
    rec.want = Some(want);
    rec.hold = hold;
    if let Some(p) = o.get("priority").and_then(Value::as_str) {
        match p.parse::<Priority>() {
            Ok(pr) => {
                rec.priority = Some(pr);
                notes.mapped("priority", "priority");
                notes.priority(p, pr.as_str());
            }
            Err(e) => notes.error(&place, Some(&id), "priority", convert::message(e)),
        }
    }
    if let Some(a) = o.get("assignee").and_then(Value::as_str) {
        rec.assignee = convert::actor(a);
        notes.mapped("assignee", "assignee");
    }
    for d in o
        .get("dependencies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(t) = d.as_str() {
            rec.refs.push(Ref {
                kind: RefKind::DependsOn,
                target: t.to_string(),
                via: "dependencies".into(),
            });
        }
    }
    notes.mapped("dependencies", "dependencies");
    // Gates.
    let status = o.get("gates_status").and_then(Value::as_object);
    for g in o
        .get("gates_required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(key) = g.as_str() else { continue };
        let st = status.and_then(|s| s.get(key));
        let state = match st.and_then(|s| s.get("status")).and_then(Value::as_str) {
            Some("passed") => GateState::Passed,
            Some("failed") => GateState::Failed,
            _ => GateState::Pending,
        };
        let by = st
            .and_then(|s| s.get("updated_by"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let at = st
            .and_then(|s| s.get("updated_at"))
            .and_then(Value::as_str)
            .and_then(convert::time);
        rec.gates.push((key.to_string(), state, by, at));
    }
    notes.mapped("gates_required", "gates_required");
    notes.mapped("gates_status", "gates_status");
    // Context: the same concept; the provenance keys jit writes itself are renamed.
    if let Some(ctx) = o.get("context").and_then(Value::as_object) {
        for (k, v) in ctx {
            if let Some(val) = convert::json_string(v) {
                let key = if [
                    super::SOURCE,
                    super::SOURCE_ID,
                    super::SOURCE_URL,
                    super::SOURCE_PATH,
                    super::SOURCE_GATES,
                ]
                .contains(&k.as_str())
                {
                    format!("just_in_time_{k}")
                } else {
                    k.clone()
                };
                rec.context.insert(key, val);
            }
        }
        notes.mapped("context", "context");
    }
    // Documents: a section of the description, and the references kept whole.
    if let Some(docs) = o
        .get("documents")
        .and_then(Value::as_array)
        .filter(|d| !d.is_empty())
    {
        let mut section = String::from("## Documents\n");
        for d in docs {
            let path = d.get("path").and_then(Value::as_str).unwrap_or("");
            let label = d.get("label").and_then(Value::as_str).unwrap_or(path);
            let kind = d.get("doc_type").and_then(Value::as_str);
            let commit = d.get("commit").and_then(Value::as_str);
            section.push_str(&format!(
                "\n- {label}: `{path}`{}{}",
                kind.map(|k| format!(" ({k})")).unwrap_or_default(),
                commit.map(|c| format!(" at {c}")).unwrap_or_default()
            ));
        }
        if !rec.description.trim().is_empty() {
            rec.description = format!("{}\n\n{section}", rec.description.trim_end());
        } else {
            rec.description = section;
        }
        rec.context.insert(
            "just_in_time_documents".into(),
            Value::Array(docs.clone()).to_string(),
        );
        notes.mapped_as(
            "documents",
            "description",
            "a `## Documents` section; the references kept in context.just_in_time_documents (paths are recorded, never opened)",
        );
    }
    // Labels: type:X and milestone:X are fields here.
    for l in o
        .get("labels")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(l) = l.as_str() else { continue };
        if let Some(t) = l.strip_prefix("type:") {
            if rec.kind.is_none() {
                rec.kind = Some(t.to_string());
                continue;
            }
        } else if let Some(m) = l.strip_prefix("milestone:")
            && rec.milestone.is_none()
        {
            rec.milestone = Some(m.to_string());
            continue;
        }
        rec.labels.push(l.to_string());
    }
    notes.mapped_as(
        "labels",
        "labels",
        "`type:X` → type, `milestone:X` → milestone, the rest stay labels",
    );
    if let Some(t) = o
        .get("created_at")
        .and_then(Value::as_str)
        .and_then(convert::time)
    {
        rec.created_at = Some(t);
        notes.mapped("created_at", "created_at");
    }
    if o.contains_key("updated_at") {
        notes.dropped("updated_at", "jit records its own update time");
    }
    for (k, v) in o {
        if HANDLED.contains(&k.as_str()) {
            continue;
        }
        if let Some(val) = convert::json_string(v) {
            let key = super::record::context_key("just_in_time", k);
            notes.kept(k, &format!("context.{key}"));
            rec.context.insert(key, val);
        }
    }
    // History: one comment.
    if let Some(events) = events.filter(|e| !e.is_empty()) {
        let head = format!("History from just-in-time ({} events):\n", events.len());
        let mut lines: Vec<&str> = Vec::new();
        let mut size = head.len() + 64;
        for (_, line) in events.iter().rev() {
            if size + line.len() + 1 > limits::TEXT {
                break;
            }
            size += line.len() + 1;
            lines.push(line);
        }
        let omitted = events.len() - lines.len();
        lines.reverse();
        let mut body = head;
        if omitted > 0 {
            body.push_str(&format!("… {omitted} earlier events omitted\n"));
        }
        body.push_str(&lines.join("\n"));
        rec.comments.push(SourceComment {
            author: String::new(),
            at: events.last().and_then(|(ts, _)| convert::time(ts)),
            body,
        });
    }
    rec
}

/// `gates.json`: `{"gates": {key: def}}` (or the bare map).
fn read_gates(root: &Root, notes: &mut Notes) -> Result<Vec<GateDef>> {
    let (files, _) = root.files()?;
    let Some(entry) = files.iter().find(|e| e.rel == "gates.json") else {
        return Ok(Vec::new());
    };
    let text = read::text(&root.shown.join("gates.json"), root.read(entry)?)?;
    let value: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            notes.error(
                &Place::line("gates.json", e.line()),
                None,
                "gates",
                format!("not JSON: {e}"),
            );
            return Ok(Vec::new());
        }
    };
    let map = match value
        .get("gates")
        .and_then(Value::as_object)
        .or(value.as_object())
    {
        Some(m) => m.clone(),
        None => return Ok(Vec::new()),
    };
    let mut out = Vec::new();
    let mut keys: Vec<&String> = map.keys().collect();
    keys.sort();
    for key in keys {
        let g = &map[key];
        let place = Place::file("gates.json");
        let key = match validate_gate_key(key) {
            Ok(k) => k,
            Err(e) => {
                notes.error(&place, Some(key), "gates", convert::message(e));
                continue;
            }
        };
        let s = |k: &str| g.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let stage = if s("stage") == "precheck" {
            GateStage::Precheck
        } else {
            GateStage::Postcheck
        };
        let auto = s("mode") == "auto" || g.get("auto").and_then(Value::as_bool) == Some(true);
        let mut extra = BTreeMap::new();
        let checker = g.get("checker").and_then(|c| {
            let ty = c.get("type").and_then(Value::as_str).unwrap_or("exec");
            if ty != "exec" {
                extra.insert("just_in_time_checker".into(), c.clone());
                notes.remarks.push(format!(
                    "gate `{key}`: checker type `{ty}` runs inside just-in-time; kept in the gate's `just_in_time_checker`, the gate is manual here"
                ));
                return None;
            }
            let command = c.get("command").and_then(Value::as_str)?.to_string();
            let timeout = c.get("timeout_seconds").and_then(Value::as_u64).unwrap_or(300).max(1);
            let mut line = String::new();
            if let Some(d) = c.get("working_dir").and_then(Value::as_str).filter(|d| !d.is_empty()) {
                line.push_str(&format!("cd {} && ", shell_quote(d)));
            }
            let env: Vec<(String, String)> = c
                .get("env")
                .and_then(Value::as_object)
                .map(|e| {
                    e.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            if env.is_empty() {
                line.push_str(&command);
            } else {
                line.push_str("env ");
                for (k, v) in &env {
                    line.push_str(&format!("{k}={} ", shell_quote(v)));
                }
                line.push_str(&format!("sh -c {}", shell_quote(&command)));
            }
            let kept: Map<String, Value> = c
                .as_object()
                .map(|o| {
                    o.iter()
                        .filter(|(k, v)| {
                            matches!(k.as_str(), "pass_context" | "prompt" | "prompt_file")
                                && !v.is_null()
                                && *v != &Value::Bool(false)
                        })
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            if !kept.is_empty() {
                notes.remarks.push(format!(
                    "gate `{key}`: {} kept in the gate's `just_in_time_checker` (jit passes no context file to checkers)",
                    kept.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
                extra.insert("just_in_time_checker".into(), Value::Object(kept));
            }
            Some(Checker {
                command: line,
                timeout_secs: timeout,
                env: None,
            })
        });
        let title = match s("title") {
            t if t.trim().is_empty() => key.clone(),
            t => t,
        };
        out.push(GateDef {
            key: key.clone(),
            title,
            description: s("description"),
            auto,
            stage,
            checker,
            extra,
        });
    }
    notes.mapped_as(
        "gates.json",
        "gates.json",
        "key, title, description, stage; mode auto → auto; exec checkers → checker",
    );
    Ok(out)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `events.jsonl`: per issue, (timestamp, one summary line), oldest first.
fn read_events(root: &Root, notes: &mut Notes) -> Result<HashMap<String, Vec<(String, String)>>> {
    let mut out: HashMap<String, Vec<(String, String)>> = HashMap::new();
    let (files, _) = root.files()?;
    let Some(entry) = files.iter().find(|e| e.rel == "events.jsonl") else {
        return Ok(out);
    };
    let text = read::text(&root.shown.join("events.jsonl"), root.read(entry)?)?;
    let mut without_issue = 0usize;
    for (n, l) in read::lines(&text) {
        let v: Value = match serde_json::from_str(l) {
            Ok(v) => v,
            Err(e) => {
                notes.error(
                    &Place::line("events.jsonl", n),
                    None,
                    "event",
                    format!("not JSON: {e}"),
                );
                continue;
            }
        };
        let Some(issue) = v.get("issue_id").and_then(Value::as_str) else {
            without_issue += 1;
            continue;
        };
        let ts = v
            .get("timestamp")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let ty = v.get("type").and_then(Value::as_str).unwrap_or("event");
        let mut detail: Vec<String> = Vec::new();
        if let Some(o) = v.as_object() {
            for (k, val) in o {
                if matches!(k.as_str(), "type" | "id" | "issue_id" | "timestamp") {
                    continue;
                }
                if let Some(s) = convert::json_string(val) {
                    let s: String = s.chars().filter(|c| !c.is_control()).take(200).collect();
                    detail.push(format!("{k}={s}"));
                }
            }
        }
        let line = format!(
            "- {ts} {ty}{}{}",
            if detail.is_empty() { "" } else { " " },
            detail.join(" ")
        );
        out.entry(issue.to_string()).or_default().push((ts, line));
    }
    for v in out.values_mut() {
        v.sort_by(|a, b| a.0.cmp(&b.0));
    }
    if without_issue > 0 {
        notes.remarks.push(format!(
            "events.jsonl: {without_issue} event(s) name no issue (document and registry events); not imported"
        ));
    }
    notes.mapped_as(
        "events.jsonl",
        "comments",
        "one comment per issue summarising its events",
    );
    Ok(out)
}
