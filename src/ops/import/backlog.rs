//! Backlog.md (MrLesk/Backlog.md): a `backlog/` directory of markdown task files with YAML
//! front matter — `tasks/` (the board), `completed/`, `archive/tasks/`, `drafts/`,
//! `archive/drafts/`, with `milestones/` and `config.yml` read for names.
//!
//! Front matter: `id`, `title`, `status` (the configured statuses, by default "To Do",
//! "In Progress", "Done": the first is open, the last done, the others in progress),
//! `assignee` (one or a list; `@name`), `reporter`, `labels`, `milestone`, `dependencies`,
//! `parent_task_id` (or the id's dotted form: `task-24.1` is a sub-task of `task-24`),
//! `priority` (high, medium, low), `due_date`, `created_date`, ... Body: the sections
//! Description, Acceptance Criteria (`- [ ] #1 ...` between `<!-- AC:BEGIN -->` and
//! `<!-- AC:END -->`), Definition of Done, Implementation Plan, Implementation Notes, Final
//! Summary and Comments, each between its markers or under its heading.
//!
//! Readiness: Backlog.md orders the board's tasks by the dependencies among them; a dependency
//! on a task that is not on the board (archived, a draft) does not hold a task back there, so
//! it becomes a `relates` link here (reported). Drafts are held (`held` gate); archived tasks
//! are archived. Ids are matched case-insensitively (`TASK-1` = `task-1`); the source id is
//! the lower-case id.

use super::StateMap;
use super::convert;
use super::read::{self, Root};
use super::record::{
    Duplicate, Ignored, Notes, Parsed, Place, Record, Ref, RefKind, RefNote, SourceComment, Want,
    context_key,
};
use crate::error::Result;
use crate::model::{LinkKind, Priority};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// The task folders and what a task in each is.
const FOLDERS: &[(&str, Folder)] = &[
    ("tasks", Folder::Board),
    ("completed", Folder::Completed),
    ("archive/tasks", Folder::Archived),
    ("drafts", Folder::Draft),
    ("archive/drafts", Folder::Archived),
];

#[derive(Debug, Clone, Copy, PartialEq)]
enum Folder {
    Board,
    Completed,
    Archived,
    Draft,
}

/// Front-matter keys this import maps or judges (everything else is kept).
const HANDLED: &[&str] = &[
    "id",
    "title",
    "status",
    "assignee",
    "reporter",
    "labels",
    "milestone",
    "dependencies",
    "parent_task_id",
    "parent",
    "subtasks",
    "priority",
    "due_date",
    "created_date",
    "updated_date",
    "type",
];

fn budget() -> serde_saphyr::Options {
    let mut b = serde_saphyr::Budget::default();
    b.max_nodes = 20_000;
    b.max_events = 100_000;
    b.max_aliases = 100;
    b.max_anchors = 100;
    b.max_depth = 32;
    b.max_documents = 1;
    b.max_total_scalar_bytes = 4 * 1024 * 1024;
    let mut o = serde_saphyr::Options::default();
    o.budget = Some(b);
    o
}

/// Parses YAML into JSON values; an error carries the 1-based line within the YAML.
fn yaml(text: &str) -> std::result::Result<Value, (usize, String)> {
    serde_saphyr::from_str_with_options::<Value>(text, budget()).map_err(|e| {
        let line = e.location().map(|l| l.line() as usize).unwrap_or(1);
        let msg = e.without_snippet().to_string();
        (
            line,
            msg.lines().next().unwrap_or("invalid YAML").to_string(),
        )
    })
}

/// Backlog.md writes `assignee: @alice` and `[@a, @b]`, which YAML reserves: quote them first,
/// as Backlog.md itself does.
fn preprocess(front: &str) -> String {
    front
        .lines()
        .map(|line| {
            let trimmed = line.trim_start();
            let Some((key, value)) = trimmed.split_once(':') else {
                return line.to_string();
            };
            if !matches!(key.trim(), "assignee" | "reporter") {
                return line.to_string();
            }
            let indent = &line[..line.len() - trimmed.len()];
            let v = value.trim();
            let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
            if let Some(body) = v.strip_prefix('[').and_then(|b| b.strip_suffix(']')) {
                let items: Vec<String> = body
                    .split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        if s.starts_with('@') {
                            quote(s)
                        } else {
                            s.to_string()
                        }
                    })
                    .collect();
                return format!("{indent}{key}: [{}]", items.join(", "));
            }
            if !v.is_empty() && !v.starts_with(['[', '\'', '"', '-']) {
                return format!("{indent}{key}: {}", quote(v));
            }
            line.to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Splits a task file into its front matter (with the line the YAML starts on) and body.
fn split(text: &str) -> Option<(&str, usize, &str)> {
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut pos = 0;
    for line in rest.split_inclusive('\n') {
        let l = line.trim_end_matches(['\n', '\r']);
        if l == "---" {
            return Some((&rest[..pos], 2, &rest[pos + line.len()..]));
        }
        pos += line.len();
    }
    if rest[pos..].trim_end() == "---" {
        return Some((&rest[..pos], 2, ""));
    }
    None
}

/// The body's sections: known ones by title (markers stripped), the rest kept as text.
#[derive(Default, Debug)]
struct Body {
    description: String,
    plan: String,
    notes: String,
    summary: String,
    ac: Vec<(String, bool)>,
    dod: Vec<(String, bool)>,
    comments: Vec<SourceComment>,
    other: String,
    structured: bool,
}

const KNOWN: &[&str] = &[
    "description",
    "acceptance criteria",
    "acceptance criteria (optional)",
    "definition of done",
    "implementation plan",
    "implementation notes",
    "final summary",
    "comments",
];

fn heading(line: &str) -> Option<String> {
    let t = line.trim_end();
    let title = t.strip_prefix("## ")?.trim();
    let lower = title.to_lowercase();
    KNOWN.contains(&lower.as_str()).then_some(lower)
}

fn parse_body(body: &str) -> Body {
    let text = body.replace("\r\n", "\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut b = Body::default();
    let mut i = 0;
    let mut other: Vec<&str> = Vec::new();
    while i < lines.len() {
        let Some(title) = heading(lines[i]) else {
            other.push(lines[i]);
            i += 1;
            continue;
        };
        b.structured = true;
        i += 1;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        let mut content: Vec<&str> = Vec::new();
        let begin = lines.get(i).map(|l| l.trim()).unwrap_or("");
        let marked =
            begin.starts_with("<!--") && begin.contains(":BEGIN") && begin.ends_with("-->");
        if marked {
            let end = begin.replace(":BEGIN", ":END");
            i += 1;
            while i < lines.len() && lines[i].trim() != end {
                content.push(lines[i]);
                i += 1;
            }
            i += 1; // the end marker
        } else {
            while i < lines.len() && heading(lines[i]).is_none() {
                content.push(lines[i]);
                i += 1;
            }
        }
        let joined = content.join("\n").trim().to_string();
        match title.as_str() {
            "description" => b.description = joined,
            "implementation plan" => b.plan = joined,
            "implementation notes" => b.notes = joined,
            "final summary" => b.summary = joined,
            "acceptance criteria" | "acceptance criteria (optional)" => {
                b.ac.extend(items(&content))
            }
            "definition of done" => b.dod.extend(items(&content)),
            _ => b.comments = comments(&content),
        }
    }
    b.other = other.join("\n").trim().to_string();
    b
}

/// `- [ ] #1 text` (or `- [x] text`) lines.
fn items(lines: &[&str]) -> Vec<(String, bool)> {
    lines
        .iter()
        .filter_map(|l| {
            let t = l.trim();
            let (checked, rest) = if let Some(r) = t.strip_prefix("- [ ]") {
                (false, r)
            } else if let Some(r) = t.strip_prefix("- [x]").or_else(|| t.strip_prefix("- [X]")) {
                (true, r)
            } else {
                return None;
            };
            let rest = rest.trim_start();
            let rest = match rest.strip_prefix('#') {
                Some(r) if r.chars().next().is_some_and(|c| c.is_ascii_digit()) => r
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .trim_start(),
                _ => rest,
            };
            (!rest.is_empty()).then(|| (rest.to_string(), checked))
        })
        .collect()
}

/// `<!-- COMMENT:BEGIN -->` blocks: `index:`, `author:`, `created:` lines, a blank line, the body.
fn comments(lines: &[&str]) -> Vec<SourceComment> {
    let mut out = Vec::new();
    let mut cur: Option<Vec<&str>> = None;
    for l in lines {
        match l.trim() {
            "<!-- COMMENT:BEGIN -->" => cur = Some(Vec::new()),
            "<!-- COMMENT:END -->" => {
                if let Some(block) = cur.take() {
                    let mut author = String::new();
                    let mut at = None;
                    let mut k = 0;
                    while k < block.len() && !block[k].trim().is_empty() {
                        if let Some((key, v)) = block[k].split_once(':') {
                            match key.trim().to_lowercase().as_str() {
                                "author" => author = v.trim().to_string(),
                                "created" => at = convert::time(v.trim()),
                                _ => {}
                            }
                        }
                        k += 1;
                    }
                    let body = block[k..].join("\n").trim().to_string();
                    if !body.is_empty() {
                        out.push(SourceComment { author, at, body });
                    }
                }
            }
            _ => {
                if let Some(b) = cur.as_mut() {
                    b.push(l);
                }
            }
        }
    }
    out
}

/// Finds the backlog directory: `DIR` itself (it has `tasks/` or `config.yml`), or
/// `DIR/backlog`, or `DIR/.backlog`.
fn locate(dir: &Path) -> Result<Root> {
    let root = Root::open(dir)?;
    let has = |r: &Root| -> Result<bool> {
        Ok(r.subdir("tasks")?.is_some()
            || r.files()?
                .0
                .iter()
                .any(|e| e.rel == "config.yml" || e.rel == "config.yaml"))
    };
    if has(&root)? {
        return Ok(root);
    }
    for name in ["backlog", ".backlog"] {
        if let Some(r) = root.subdir(name)?
            && has(&r)?
        {
            return Ok(r);
        }
    }
    Err(super::invalid(
        dir,
        "holds no Backlog.md project (no `tasks/` or `config.yml`, nor a `backlog/` directory with one)".into(),
        json!({}),
    ))
}

fn value_str(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn value_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a.iter().filter_map(value_str).collect(),
        Some(v) => value_str(v)
            .map(|s| {
                s.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

/// A task id as matched here: lower case.
fn norm_id(s: &str) -> String {
    s.trim().to_lowercase()
}

/// A dependency as written (`task-3`, `TASK-3`, `3`) against the referring task's prefix.
fn ref_id(s: &str, own: &str) -> String {
    let t = norm_id(s);
    if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.') {
        let prefix = own.rsplit_once('-').map(|(p, _)| p).unwrap_or("task");
        return format!("{prefix}-{t}");
    }
    t
}

struct Task {
    place: Place,
    rel: String,
    folder: Folder,
    front: Map<String, Value>,
    body: Body,
}

/// Reads a Backlog.md project.
pub fn parse(dir: &Path, states: &StateMap) -> Result<Parsed> {
    let root = locate(dir)?;
    let mut notes = Notes::default();
    // Statuses from config.yml.
    let mut statuses: Vec<String> = vec!["To Do".into(), "In Progress".into(), "Done".into()];
    let (top, _) = root.files()?;
    if let Some(cfg) = top
        .iter()
        .find(|e| e.rel == "config.yml" || e.rel == "config.yaml")
    {
        let text = read::text(&root.shown.join(&cfg.rel), root.read(cfg)?)?;
        match yaml(&text) {
            Ok(v) => {
                let list = value_list(v.get("statuses"));
                if !list.is_empty() {
                    statuses = list;
                }
            }
            Err((line, m)) => notes.error(&Place::line(&cfg.rel, line), None, "config", m),
        }
    }
    // Milestone ids to titles.
    let mut milestones: HashMap<String, String> = HashMap::new();
    if let Some(m) = root.subdir("milestones")? {
        for e in m.files()?.0.iter().filter(|e| e.rel.ends_with(".md")) {
            let rel = format!("milestones/{}", e.rel);
            let text = read::text(&m.shown.join(&e.rel), m.read(e)?)?;
            if let Some((front, _, _)) = split(&text)
                && let Ok(Value::Object(o)) = yaml(&preprocess(front))
                && let (Some(id), Some(title)) = (
                    o.get("id").and_then(value_str),
                    o.get("title").and_then(value_str),
                )
            {
                milestones.insert(norm_id(&id), title);
            } else {
                notes.ignored.push(Ignored {
                    path: rel,
                    reason: "a milestone file without `id` and `title` front matter".into(),
                });
            }
        }
    }
    // Task files.
    let mut tasks: Vec<Task> = Vec::new();
    for (folder_name, folder) in FOLDERS {
        let Some(sub) = root.subdir(folder_name)? else {
            continue;
        };
        let (files, dirs) = sub.files()?;
        for d in dirs {
            notes.ignored.push(Ignored {
                path: format!("{folder_name}/{d}"),
                reason: "a directory inside a task folder; tasks are files".into(),
            });
        }
        for e in files {
            let rel = format!("{folder_name}/{}", e.rel);
            if !e.rel.ends_with(".md") {
                notes.ignored.push(Ignored {
                    path: rel,
                    reason: "not a `.md` task file".into(),
                });
                continue;
            }
            if tasks.len() >= read::MAX_RECORDS {
                notes.error(
                    &Place::file(&rel),
                    None,
                    "file",
                    format!("more than {} tasks", read::MAX_RECORDS),
                );
                break;
            }
            let text = read::text(&sub.shown.join(&e.rel), sub.read(&e)?)?;
            let Some((front, first, body)) = split(&text) else {
                notes.error(
                    &Place::line(&rel, 1),
                    None,
                    "front matter",
                    "has no YAML front matter (`---` lines)".into(),
                );
                continue;
            };
            let front = match yaml(&preprocess(front)) {
                Ok(Value::Object(o)) => o,
                Ok(Value::Null) => Map::new(),
                Ok(_) => {
                    notes.error(
                        &Place::line(&rel, first),
                        None,
                        "front matter",
                        "is not a YAML mapping".into(),
                    );
                    continue;
                }
                Err((line, m)) => {
                    notes.error(
                        &Place::line(&rel, line + first - 1),
                        None,
                        "front matter",
                        m,
                    );
                    continue;
                }
            };
            if front.get("id").and_then(value_str).is_none() {
                notes.error(
                    &Place::line(&rel, first),
                    None,
                    "id",
                    "the front matter has no `id`".into(),
                );
                continue;
            }
            tasks.push(Task {
                place: Place::line(&rel, first),
                rel,
                folder: *folder,
                front,
                body: parse_body(body),
            });
        }
    }
    // Duplicate ids (Backlog.md repairs these itself): the board beats completed, archive and
    // drafts; then the latest `updated_date`; then the later path.
    let id_of = |t: &Task| norm_id(&t.front.get("id").and_then(value_str).unwrap_or_default());
    let rank = |t: &Task| {
        let f = match t.folder {
            Folder::Board => 3,
            Folder::Completed => 2,
            Folder::Draft => 1,
            Folder::Archived => 0,
        };
        let u = t
            .front
            .get("updated_date")
            .and_then(value_str)
            .and_then(|s| convert::time(&s));
        (f, u)
    };
    let mut best: HashMap<String, usize> = HashMap::new();
    let mut losers: HashMap<String, Vec<Place>> = HashMap::new();
    for k in 0..tasks.len() {
        let id = id_of(&tasks[k]);
        match best.get(&id).copied() {
            None => {
                best.insert(id, k);
            }
            Some(j) => {
                let (win, lose) = if rank(&tasks[k]) >= rank(&tasks[j]) {
                    (k, j)
                } else {
                    (j, k)
                };
                losers
                    .entry(id.clone())
                    .or_default()
                    .push(tasks[lose].place.clone());
                best.insert(id, win);
            }
        }
    }
    for (id, dropped) in losers {
        notes.duplicates.push(Duplicate {
            kept: tasks[best[&id]].place.clone(),
            source_id: id,
            dropped,
        });
    }
    notes
        .duplicates
        .sort_by(|a, b| a.source_id.cmp(&b.source_id));
    let keep: HashSet<usize> = best.values().copied().collect();
    let folder_of: HashMap<String, Folder> = keep
        .iter()
        .map(|&k| (id_of(&tasks[k]), tasks[k].folder))
        .collect();
    let lower_statuses: Vec<String> = statuses.iter().map(|s| s.to_lowercase()).collect();
    let mut records = Vec::new();
    for (k, t) in tasks.iter().enumerate() {
        if !keep.contains(&k) {
            continue;
        }
        records.push(task(
            t,
            &id_of(t),
            &folder_of,
            &lower_statuses,
            &milestones,
            states,
            &mut notes,
        ));
    }
    Ok(Parsed { records, notes })
}

fn task(
    t: &Task,
    id: &str,
    folder_of: &HashMap<String, Folder>,
    statuses: &[String],
    milestones: &HashMap<String, String>,
    states: &StateMap,
    notes: &mut Notes,
) -> Record {
    let f = &t.front;
    let get = |k: &str| f.get(k).and_then(value_str);
    let mut rec = Record {
        place: t.place.clone(),
        source_id: id.to_string(),
        path: Some(t.rel.clone()),
        title: get("title").unwrap_or_default(),
        ..Record::default()
    };
    notes.mapped("id", "context.source_id (lower case)");
    notes.mapped("title", "title");
    // State: the folder, then the status.
    let status = get("status").unwrap_or_else(|| statuses.first().cloned().unwrap_or_default());
    let lower = status.to_lowercase();
    let (want, hold) = match (t.folder, states.get(&status)) {
        (Folder::Archived, _) => (Want::Archived, None),
        (_, Some(m)) => m,
        (Folder::Completed, None) => (Want::Done, None),
        (folder, None) => {
            let pos = statuses.iter().position(|s| *s == lower);
            let w = match pos {
                Some(0) => Want::Open,
                Some(p) if p + 1 == statuses.len() => Want::Done,
                Some(_) => Want::InProgress,
                None => Want::Open,
            };
            let hold = if folder == Folder::Draft {
                Some("a draft in Backlog.md (not on the board)".to_string())
            } else if pos.is_none() {
                Some(format!(
                    "status `{status}` is not one of the configured statuses"
                ))
            } else {
                None
            };
            (w, hold)
        }
    };
    let from = match t.folder {
        Folder::Board => status.clone(),
        Folder::Completed => format!("{status} (completed/)"),
        Folder::Archived => format!("{status} (archive/)"),
        Folder::Draft => format!("{status} (drafts/)"),
    };
    notes.set_state(&mut rec, &from, want, hold);
    notes.mapped_as(
        "status",
        "state",
        "the first configured status is open, the last done, the others in progress",
    );
    // People.
    let assignees = value_list(f.get("assignee"));
    if let Some(first) = assignees.first() {
        rec.assignee = convert::actor(first);
        if assignees.len() > 1 {
            rec.context
                .insert("backlog_assignees".into(), assignees[1..].join(","));
        }
        notes.mapped_as(
            "assignee",
            "assignee",
            "the first as human:<name>; the others in context.backlog_assignees",
        );
    }
    if let Some(r) = get("reporter") {
        rec.reporter = convert::actor(&r);
        notes.mapped("reporter", "reporter");
    }
    rec.labels = value_list(f.get("labels"));
    if f.contains_key("labels") {
        notes.mapped("labels", "labels");
    }
    if let Some(m) = get("milestone") {
        rec.milestone = Some(milestones.get(&norm_id(&m)).cloned().unwrap_or(m));
        notes.mapped_as("milestone", "milestone", "a milestone id becomes its title");
    }
    if let Some(p) = get("priority").map(|p| p.to_lowercase()) {
        let to = match p.as_str() {
            "high" => Some(Priority::High),
            "medium" => Some(Priority::Normal),
            "low" => Some(Priority::Low),
            _ => None,
        };
        match to {
            Some(to) => {
                rec.priority = Some(to);
                notes.priority(&p, to.as_str());
                notes.mapped("priority", "priority");
            }
            None => {
                rec.context.insert("backlog_priority".into(), p.clone());
                notes.priority(&p, "the default (kept in context.backlog_priority)");
            }
        }
    }
    if let Some(ty) = get("type") {
        rec.kind = Some(ty);
        notes.mapped("type", "type");
    }
    if let Some(d) = get("due_date") {
        rec.due = convert::due(&d);
        notes.mapped("due_date", "due");
    }
    if let Some(c) = get("created_date") {
        rec.created_at = convert::time(&c);
        notes.mapped("created_date", "created_at");
    }
    if f.contains_key("updated_date") {
        notes.dropped("updated_date", "jit records its own update time");
    }
    if f.contains_key("subtasks") {
        notes.dropped("subtasks", "derived: each sub-task names its parent");
    }
    // Structure.
    for d in value_list(f.get("dependencies")) {
        let target = ref_id(&d, id);
        match folder_of.get(&target) {
            Some(Folder::Archived | Folder::Draft) => {
                rec.refs.push(Ref {
                    kind: RefKind::Link(LinkKind::Relates),
                    target: target.clone(),
                    via: "dependencies".into(),
                });
                notes.references.push(RefNote {
                    from: id.to_string(),
                    to: target,
                    via: "dependencies".into(),
                    outcome: "as_link",
                    note: "the task is archived or a draft, which Backlog.md does not wait for; kept as a `relates` link".into(),
                });
            }
            _ => rec.refs.push(Ref {
                kind: RefKind::DependsOn,
                target,
                via: "dependencies".into(),
            }),
        }
    }
    if f.contains_key("dependencies") {
        notes.mapped("dependencies", "dependencies");
    }
    let parent = get("parent_task_id")
        .or_else(|| get("parent"))
        .map(|p| ref_id(&p, id))
        .or_else(|| {
            let (base, tail) = id.rsplit_once('.')?;
            (!tail.is_empty() && tail.chars().all(|c| c.is_ascii_digit())).then(|| base.to_string())
        });
    if let Some(p) = parent {
        rec.refs.push(Ref {
            kind: RefKind::Parent,
            target: p,
            via: if f.contains_key("parent_task_id") {
                "parent_task_id"
            } else {
                "dotted id"
            }
            .into(),
        });
        notes.mapped_as(
            "parent_task_id",
            "parent",
            "or the dotted id: task-24.1 is a sub-task of task-24",
        );
    }
    // Body.
    let b = &t.body;
    let mut desc = if b.structured {
        b.description.clone()
    } else {
        b.other.clone()
    };
    let mut append = |title: &str, text: &str| {
        if text.trim().is_empty() {
            return;
        }
        if !desc.is_empty() {
            desc.push_str("\n\n");
        }
        desc.push_str(&format!("## {title}\n\n{}", text.trim()));
    };
    append("Implementation Plan", &b.plan);
    append("Implementation Notes", &b.notes);
    append("Final Summary", &b.summary);
    if b.structured {
        append("Other notes", &b.other);
    }
    rec.description = desc;
    notes.mapped_as(
        "body",
        "description",
        "Description; Implementation Plan, Implementation Notes and Final Summary as sections",
    );
    rec.checklist = b.ac.clone();
    rec.checklist
        .extend(b.dod.iter().map(|(t, c)| (format!("DoD: {t}"), *c)));
    if !b.ac.is_empty() {
        notes.mapped("Acceptance Criteria", "checklist");
    }
    if !b.dod.is_empty() {
        notes.mapped_as("Definition of Done", "checklist", "items prefixed `DoD: `");
    }
    rec.comments = b.comments.clone();
    if !b.comments.is_empty() {
        notes.mapped("Comments", "comments");
    }
    // The rest of the front matter is kept.
    for (k, v) in f {
        if HANDLED.contains(&k.as_str()) {
            continue;
        }
        let val = match v {
            Value::Array(a) => {
                let items: Vec<String> = a.iter().filter_map(value_str).collect();
                if items.len() == a.len() {
                    (!items.is_empty()).then(|| items.join("\n"))
                } else {
                    convert::json_string(v)
                }
            }
            other => convert::json_string(other),
        };
        if let Some(val) = val {
            let key = context_key("backlog", k);
            notes.kept(k, &format!("context.{key}"));
            rec.context.insert(key, val);
        }
    }
    rec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn front_matter_and_sections() {
        let text = "---\r\nid: task-2\r\ntitle: X\r\nassignee: @alice\r\n---\r\n\r\n## Description\r\n\r\n<!-- SECTION:DESCRIPTION:BEGIN -->\r\nHello\r\n## not a section\r\n<!-- SECTION:DESCRIPTION:END -->\r\n\r\n## Acceptance Criteria\r\n<!-- AC:BEGIN -->\r\n- [ ] #1 First\r\n- [x] #2 Second\r\n<!-- AC:END -->\r\n";
        let (front, first, body) = split(text).unwrap();
        assert_eq!(first, 2);
        let v = yaml(&preprocess(front)).unwrap();
        assert_eq!(v["assignee"], "@alice");
        let b = parse_body(body);
        assert_eq!(b.description, "Hello\n## not a section");
        assert_eq!(
            b.ac,
            [("First".to_string(), false), ("Second".to_string(), true)]
        );
    }

    #[test]
    fn hostile_yaml_is_refused_not_expanded() {
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n";
        assert!(yaml(bomb).is_err());
    }

    #[test]
    fn ids() {
        assert_eq!(ref_id("TASK-3", "task-1"), "task-3");
        assert_eq!(ref_id("3", "task-1"), "task-3");
        assert_eq!(ref_id("7.1", "proj-1"), "proj-7.1");
    }
}
