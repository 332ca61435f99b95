//! The markdown an issue is written in with `$EDITOR` (`issue edit`, `issue create` without a
//! title): a small YAML front matter with the one-line fields, then the description as the
//! body, whose task lines (`- [ ] item`, `- [x] item`) are the checklist.
//!
//! Invariants:
//! - Rendering then parsing an issue gives back its values: [`changes`] of an unedited draft is
//!   empty, so saving without editing changes nothing.
//! - A draft names only the fields listed in [`FIELDS`]; any other key, a value of the wrong
//!   kind, or a file without front matter is an error naming the line or key, and nothing is
//!   applied. An empty value clears the field (the title cannot be cleared).
//! - Values are written so that YAML reads them back as the same text: anything that could be
//!   read as another type or as YAML syntax is double-quoted.

use crate::error::{Error, Result};
use crate::model::{ChecklistItem, Issue, Priority, Visibility};
use crate::ops::issues::{CreateRequest, Patch, UpdateRequest};
use serde_json::Value;

/// The keys of the front matter, in the order they are written.
pub const FIELDS: &[&str] = &[
    "title",
    "priority",
    "type",
    "labels",
    "milestone",
    "parent",
    "due",
    "estimate",
    "visibility",
    "evidence",
    "done_when",
];

/// An issue as written in the editor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    pub title: String,
    pub priority: Option<Priority>,
    pub kind: Option<String>,
    pub labels: Vec<String>,
    pub milestone: Option<String>,
    /// The parent as written (a short id when rendered from an issue).
    pub parent: Option<String>,
    pub due: Option<String>,
    pub estimate: Option<f64>,
    pub visibility: Option<Visibility>,
    pub evidence: Option<String>,
    pub done_when: Option<String>,
    /// The body, blank lines around it trimmed.
    pub description: String,
    /// The body's task lines: text and whether it is checked.
    pub checklist: Vec<(String, bool)>,
}

impl Draft {
    /// The draft of an existing issue: its body is the description with each task line's box
    /// showing its checklist item, and the checklist items the description does not hold
    /// appended as task lines.
    pub fn of_issue(i: &Issue) -> Draft {
        let description = body_of(&i.description, &i.checklist);
        Draft {
            title: i.title.clone(),
            priority: Some(i.priority),
            kind: Some(i.kind.clone()),
            labels: i.labels.clone(),
            milestone: i.milestone.clone(),
            parent: i.parent.as_ref().map(|p| p.short()),
            due: i.due.clone(),
            estimate: i.estimate,
            visibility: i.visibility,
            evidence: i.evidence.clone(),
            done_when: i.done_when.clone(),
            checklist: tasks(&description),
            description,
        }
    }

    /// The file: the front matter (after `notes` as `#` comment lines), then the body.
    pub fn render(&self, notes: &[String]) -> String {
        let mut out = String::from("---\n");
        for n in notes {
            for line in n.lines() {
                out.push_str("# ");
                out.push_str(line);
                out.push('\n');
            }
        }
        let opt = |v: &Option<String>| v.as_deref().map(scalar).unwrap_or_default();
        let mut field = |k: &str, v: String| {
            out.push_str(k);
            out.push(':');
            if !v.is_empty() {
                out.push(' ');
                out.push_str(&v);
            }
            out.push('\n');
        };
        field("title", scalar(&self.title));
        field(
            "priority",
            self.priority.map(|p| p.to_string()).unwrap_or_default(),
        );
        field("type", opt(&self.kind));
        field(
            "labels",
            format!(
                "[{}]",
                self.labels
                    .iter()
                    .map(|l| scalar(l))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
        field("milestone", opt(&self.milestone));
        field("parent", opt(&self.parent));
        field("due", opt(&self.due));
        field(
            "estimate",
            self.estimate.map(|e| e.to_string()).unwrap_or_default(),
        );
        field(
            "visibility",
            self.visibility.map(|v| v.to_string()).unwrap_or_default(),
        );
        field("evidence", opt(&self.evidence));
        field("done_when", opt(&self.done_when));
        out.push_str("---\n");
        if !self.description.is_empty() {
            out.push('\n');
            out.push_str(&self.description);
            out.push('\n');
        }
        out
    }

    /// Reads a draft back (see the module docs for what is refused).
    pub fn parse(text: &str) -> Result<Draft> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.split_inclusive('\n');
        let first = lines.next().unwrap_or("");
        if first.trim_end() != "---" {
            return Err(invalid(
                "the file does not start with a front matter: a `---` line, the fields, a `---` line",
            ));
        }
        let mut front = String::new();
        let mut closed = false;
        for line in lines.by_ref() {
            if line.trim_end() == "---" {
                closed = true;
                break;
            }
            front.push_str(line);
        }
        if !closed {
            return Err(invalid(
                "the front matter has no closing `---` line before the description",
            ));
        }
        let body: String = lines.collect();
        let value = yaml(&front)?;
        let map = match value {
            Value::Object(m) => m,
            Value::Null => Default::default(),
            _ => {
                return Err(invalid(
                    "the front matter is not a list of `key: value` lines",
                ));
            }
        };
        let mut d = Draft::default();
        for (k, v) in map {
            let text = || text_of(&k, &v);
            match k.as_str() {
                "title" => d.title = text()?.unwrap_or_default(),
                "priority" => d.priority = text()?.map(|p| p.parse()).transpose()?,
                "type" => d.kind = text()?,
                "labels" => d.labels = labels(&v)?,
                "milestone" => d.milestone = text()?,
                "parent" => d.parent = text()?,
                "due" => d.due = text()?,
                "estimate" => {
                    d.estimate = match &v {
                        Value::Null => None,
                        Value::Number(n) => n.as_f64(),
                        Value::String(s) if s.trim().is_empty() => None,
                        Value::String(s) => Some(s.trim().parse::<f64>().map_err(|_| {
                            Error::invalid(
                                "estimate",
                                format!("`{}` is not a number", s.escape_debug()),
                            )
                        })?),
                        _ => return Err(Error::invalid("estimate", "is not a number")),
                    }
                }
                "visibility" => d.visibility = text()?.map(|p| p.parse()).transpose()?,
                "evidence" => d.evidence = text()?,
                "done_when" => d.done_when = text()?,
                other => {
                    return Err(invalid(&format!(
                        "`{}` is not a field; the fields are: {}",
                        other.escape_debug(),
                        FIELDS.join(", ")
                    )));
                }
            }
        }
        let description = body.trim_start_matches(['\n', '\r']).trim_end().to_string();
        d.checklist = tasks(&description);
        d.description = description;
        Ok(d)
    }

    /// The fields of a draft for `issue create` (gates, dependencies and context come from the
    /// command line).
    pub fn into_create(self, mut base: CreateRequest) -> CreateRequest {
        base.title = self.title;
        base.description = Some(self.description).filter(|d| !d.is_empty());
        base.priority = self.priority;
        base.kind = self.kind;
        base.labels = self.labels;
        base.milestone = self.milestone;
        base.parent = self.parent;
        base.due = self.due;
        base.estimate = self.estimate;
        base.visibility = self.visibility;
        base.evidence = self.evidence;
        base.done_when = self.done_when;
        base
    }
}

/// The update that turns `old` (the draft the editor was opened on) into `new`, for `issue`
/// at its version: only what changed, with `if_version` set so a concurrent change is refused.
pub fn changes(issue: &Issue, old: &Draft, new: &Draft) -> UpdateRequest {
    fn patch(old: &Option<String>, new: &Option<String>) -> Patch<String> {
        let norm = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        match (norm(old), norm(new)) {
            (a, b) if a == b => Patch::Keep,
            (_, None) => Patch::Clear,
            (_, Some(v)) => Patch::Set(v),
        }
    }
    let mut req = UpdateRequest {
        if_version: Some(issue.version),
        ..Default::default()
    };
    if new.title.trim() != old.title.trim() {
        req.title = Some(new.title.clone());
    }
    if new.priority != old.priority {
        req.priority = new.priority;
    }
    if new.kind != old.kind {
        req.kind = new.kind.clone();
    }
    if new.labels != old.labels {
        req.add_labels = new
            .labels
            .iter()
            .filter(|l| !old.labels.contains(l))
            .cloned()
            .collect();
        req.remove_labels = old
            .labels
            .iter()
            .filter(|l| !new.labels.contains(l))
            .cloned()
            .collect();
    }
    req.milestone = patch(&old.milestone, &new.milestone);
    req.parent = patch(&old.parent, &new.parent);
    req.due = patch(&old.due, &new.due);
    req.evidence = patch(&old.evidence, &new.evidence);
    req.done_when = patch(&old.done_when, &new.done_when);
    req.estimate = match (old.estimate, new.estimate) {
        (a, b) if a == b => Patch::Keep,
        (_, None) => Patch::Clear,
        (_, Some(e)) => Patch::Set(e),
    };
    if new.visibility != old.visibility {
        req.visibility = Some(new.visibility.unwrap_or(Visibility::Internal));
    }
    if new.description != old.description {
        req.description = Some(new.description.clone());
    }
    if new.checklist != old.checklist {
        req.checklist = Some(new.checklist.clone());
    }
    req
}

/// Whether an update made by [`changes`] changes nothing.
pub fn is_empty(req: &UpdateRequest) -> bool {
    let keep = |p: &Patch<String>| *p == Patch::Keep;
    req.title.is_none()
        && req.priority.is_none()
        && req.kind.is_none()
        && req.add_labels.is_empty()
        && req.remove_labels.is_empty()
        && keep(&req.milestone)
        && keep(&req.parent)
        && keep(&req.due)
        && keep(&req.evidence)
        && keep(&req.done_when)
        && req.estimate == Patch::Keep
        && req.visibility.is_none()
        && req.description.is_none()
        && req.checklist.is_none()
}

fn invalid(message: &str) -> Error {
    Error::invalid("draft", message)
}

fn yaml(text: &str) -> Result<Value> {
    let mut b = serde_saphyr::Budget::default();
    b.max_nodes = 10_000;
    b.max_events = 50_000;
    b.max_aliases = 0;
    b.max_anchors = 0;
    b.max_depth = 8;
    b.max_documents = 1;
    b.max_total_scalar_bytes = crate::model::limits::TEXT;
    let mut o = serde_saphyr::Options::default();
    o.budget = Some(b);
    serde_saphyr::from_str_with_options::<Value>(text, o).map_err(|e| {
        // The front matter starts on the file's second line.
        let line = e.location().map(|l| l.line() as usize + 1).unwrap_or(2);
        let msg = e.without_snippet().to_string();
        invalid(&format!(
            "line {line} of the front matter: {}",
            msg.lines().next().unwrap_or("not valid YAML")
        ))
    })
}

/// A scalar value as text (numbers and booleans as written); `None` for an empty value.
fn text_of(key: &str, v: &Value) -> Result<Option<String>> {
    Ok(match v {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => {
            return Err(Error::invalid(
                key,
                "takes one value on its line (quote it if it holds `:`, `#`, `[` or `{`)",
            ));
        }
    })
}

fn labels(v: &Value) -> Result<Vec<String>> {
    let items: Vec<Value> = match v {
        Value::Null => Vec::new(),
        Value::Array(a) => a.clone(),
        Value::String(s) => s.split(',').map(|x| Value::String(x.to_string())).collect(),
        other => vec![other.clone()],
    };
    let mut out = Vec::new();
    for item in &items {
        if let Some(t) = text_of("labels", item)? {
            out.push(t);
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Text YAML reads back as the same string: plain when that is safe, else double-quoted.
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.trim() == s
        && s.chars().next().is_some_and(|c| c.is_alphanumeric())
        && s.chars()
            .all(|c| c.is_alphanumeric() || " _-./()'!?&+@".contains(c))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "null" | "y" | "n"
        )
        && s.parse::<f64>().is_err()
        && !looks_like_date(s);
    if plain {
        s.to_string()
    } else {
        serde_json::to_string(s).unwrap_or_default()
    }
}

fn looks_like_date(s: &str) -> bool {
    s.len() >= 8
        && s.chars().take(4).all(|c| c.is_ascii_digit())
        && s.as_bytes().get(4) == Some(&b'-')
}

/// The task lines of a body, as the checklist seeds them.
fn tasks(body: &str) -> Vec<(String, bool)> {
    crate::ops::checklist::checklist_from_markdown(body)
        .into_iter()
        .map(|i| (i.text, i.checked))
        .collect()
}

/// Where a task line's box is: the byte offset of `[` and whether it is checked, and its text.
fn task_line(line: &str) -> Option<(usize, &str)> {
    let start = line.len() - line.trim_start().len();
    let t = &line[start..];
    let rest = t.strip_prefix("- ").or_else(|| t.strip_prefix("* "))?;
    let at = start + 2;
    let text = rest
        .strip_prefix("[ ] ")
        .or_else(|| rest.strip_prefix("[x] "))
        .or_else(|| rest.strip_prefix("[X] "))?;
    Some((at, text.trim()))
}

/// The description with its task lines' boxes set from the checklist, and the items it does
/// not hold appended.
fn body_of(description: &str, checklist: &[ChecklistItem]) -> String {
    let mut used = vec![false; checklist.len()];
    let mut lines: Vec<String> = Vec::new();
    for line in description.trim_matches(['\n', '\r']).trim_end().lines() {
        let mut l = line.to_string();
        if let Some((at, text)) = task_line(line)
            && let Some(k) =
                (0..checklist.len()).find(|&k| !used[k] && checklist[k].text.trim() == text)
        {
            used[k] = true;
            let mark = if checklist[k].checked { "[x]" } else { "[ ]" };
            l.replace_range(at..at + 3, mark);
        }
        lines.push(l);
    }
    let missing: Vec<&ChecklistItem> = checklist
        .iter()
        .enumerate()
        .filter(|(k, _)| !used[*k])
        .map(|(_, c)| c)
        .collect();
    if !missing.is_empty() {
        if lines.iter().any(|l| !l.trim().is_empty()) {
            lines.push(String::new());
        }
        for c in missing {
            lines.push(format!(
                "- [{}] {}",
                if c.checked { "x" } else { " " },
                c.text.trim()
            ));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IssueId, Timestamp};

    fn issue() -> Issue {
        let mut i = Issue::new(
            IssueId::parse("01JABCDEFGHJKMNPQRSTVWXYZ0").unwrap(),
            "Fix: the login # page".into(),
            Timestamp::from_millis(0),
        );
        i.priority = Priority::High;
        i.labels = vec!["auth".into(), "needs review".into(), "true".into()];
        i.milestone = Some("1.0".into());
        i.due = Some("2026-02-01".into());
        i.estimate = Some(2.5);
        i.description = "Users cannot log in.\n\n- [ ] reproduce\n- [ ] fix".into();
        i.checklist = crate::ops::checklist::checklist_from_markdown(&i.description);
        i.checklist[0].checked = true;
        i.checklist.push(ChecklistItem {
            id: "x".into(),
            text: "add a test".into(),
            checked: false,
            checked_by: None,
            checked_at: None,
        });
        i
    }

    #[test]
    fn an_unedited_draft_changes_nothing() {
        let i = issue();
        let d = Draft::of_issue(&i);
        let text = d.render(&["note".into()]);
        let back = Draft::parse(&text).unwrap();
        assert_eq!(back, d, "{text}");
        assert!(is_empty(&changes(&i, &d, &back)));
        assert!(
            text.contains("- [x] reproduce\n- [ ] fix\n\n- [ ] add a test"),
            "{text}"
        );
        assert!(text.contains("title: \"Fix: the login # page\""), "{text}");
        assert!(text.contains("milestone: \"1.0\""), "{text}");
    }

    #[test]
    fn edits_become_one_update_of_what_changed() {
        let i = issue();
        let d = Draft::of_issue(&i);
        let text = d
            .render(&[])
            .replace("priority: high", "priority: low")
            .replace("labels: [auth,", "labels: [auth, ui,")
            .replace("estimate: 2.5", "estimate:")
            .replace("- [ ] fix", "- [x] fix");
        let new = Draft::parse(&text).unwrap();
        let req = changes(&i, &d, &new);
        assert_eq!(req.if_version, Some(i.version));
        assert_eq!(req.priority, Some(Priority::Low));
        assert_eq!(req.add_labels, ["ui"]);
        assert!(req.remove_labels.is_empty());
        assert_eq!(req.estimate, Patch::Clear);
        assert_eq!(req.milestone, Patch::Keep);
        let cl = req.checklist.unwrap();
        assert_eq!(
            cl,
            [
                ("reproduce".to_string(), true),
                ("fix".to_string(), true),
                ("add a test".to_string(), false)
            ]
        );
    }

    #[test]
    fn bad_drafts_are_refused_with_what_is_wrong() {
        let bad = |t: &str| Draft::parse(t).unwrap_err().to_string();
        assert!(bad("title: x\n").contains("front matter"));
        assert!(bad("---\ntitle: x\n").contains("closing"));
        assert!(bad("---\ntitel: x\n---\n").contains("`titel` is not a field"));
        assert!(bad("---\npriority: urgent\n---\n").contains("urgent"));
        assert!(bad("---\ntitle: [a\n---\n").contains("line"));
        assert!(bad("---\nestimate: lots\n---\n").contains("not a number"));
    }
}
