//! What every source parser produces: one [`Record`] per source issue, in jit's terms but still
//! keyed by the source's own ids, plus the notes the report is made of ([`Notes`]).
//!
//! Invariant: a parser never touches the store. It maps what it can, keeps what jit has no
//! field for (under `context`, with the source's prefix), names what it drops and why, and
//! collects every problem as a [`RowError`] with the file and line (or index) it came from.

use crate::model::{GateState, LinkKind, Priority, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;

/// Where a record came from, for messages: the file (relative to what the user named) and the
/// line or the position in a JSON array.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// The file, as given or relative to the given directory.
    pub path: String,
    /// 1-based line (JSONL, CSV, markdown front matter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// 0-based position in a JSON array (0 for a single object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
}

impl Place {
    pub fn line(path: &str, line: usize) -> Self {
        Place {
            path: path.to_string(),
            line: Some(line),
            index: None,
        }
    }

    pub fn index(path: &str, index: usize) -> Self {
        Place {
            path: path.to_string(),
            line: None,
            index: Some(index),
        }
    }

    pub fn file(path: &str) -> Self {
        Place {
            path: path.to_string(),
            line: None,
            index: None,
        }
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.index, self.line) {
            (Some(i), _) => write!(f, "{} row {i}", self.path),
            (_, Some(l)) => write!(f, "{} line {l}", self.path),
            _ => write!(f, "{}", self.path),
        }
    }
}

/// One problem with one record of the input.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    /// The file.
    pub path: String,
    /// The record's position in a JSON array (0-based; 0 for a single object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The line the record starts on (1-based; a CSV header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// The record's id in the source, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<String>,
    pub field: String,
    pub message: String,
}

impl RowError {
    pub fn at(place: &Place, field: &str, message: impl Into<String>) -> Self {
        RowError {
            path: place.path.clone(),
            index: place.index,
            line: place.line,
            source_id: None,
            field: field.to_string(),
            message: message.into(),
        }
    }

    pub fn place(&self) -> String {
        Place {
            path: self.path.clone(),
            line: self.line,
            index: self.index,
        }
        .to_string()
    }
}

/// Where the source wants the issue to be. `Open` is derived by jit (`ready` when every
/// dependency is done, else `backlog`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Want {
    Open,
    InProgress,
    Gated,
    Done,
    Archived,
}

impl Want {
    /// How the report names the target state.
    pub fn describe(self) -> &'static str {
        match self {
            Want::Open => "ready or backlog (from dependencies)",
            Want::InProgress => "in_progress",
            Want::Gated => "gated (done once its gates pass)",
            Want::Done => "done",
            Want::Archived => "archived",
        }
    }
}

/// How a reference to another source issue is carried over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    /// A jit dependency: this issue waits for the target.
    DependsOn,
    /// The target is this parent.
    Parent,
    /// A `relates` or `duplicates` link stored on this issue.
    Link(LinkKind),
}

/// A reference by source id, with the source's name for the relation (for the report).
#[derive(Debug, Clone)]
pub struct Ref {
    pub kind: RefKind,
    pub target: String,
    /// The source's relation: `blocks`, `parent-child`, `Blocked by`, `dependencies`, ...
    pub via: String,
}

/// A comment from the source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceComment {
    pub author: String,
    pub at: Option<Timestamp>,
    pub body: String,
}

/// One source issue, mapped.
#[derive(Debug, Clone, Default)]
pub struct Record {
    pub place: Place,
    pub source_id: String,
    /// The address in the source (`context.source_url`).
    pub url: Option<String>,
    /// The file it was read from, relative to the given directory (`context.source_path`).
    pub path: Option<String>,
    pub title: String,
    pub description: String,
    pub want: Option<Want>,
    /// Why the source keeps this open issue out of its ready work (the `held` gate), if it does.
    pub hold: Option<String>,
    pub priority: Option<Priority>,
    /// The source's type, unmapped (mapped against the configured types when planned).
    pub kind: Option<String>,
    pub labels: Vec<String>,
    pub milestone: Option<String>,
    pub assignee: Option<String>,
    pub reporter: Option<String>,
    pub due: Option<String>,
    pub estimate: Option<f64>,
    pub created_at: Option<Timestamp>,
    pub refs: Vec<Ref>,
    /// Acceptance criteria: text and whether it is checked.
    pub checklist: Vec<(String, bool)>,
    pub comments: Vec<SourceComment>,
    /// Gates from the source (key, status, by, at).
    pub gates: Vec<(String, GateState, Option<String>, Option<Timestamp>)>,
    /// Kept fields and the source's own context.
    pub context: BTreeMap<String, String>,
    /// Set when the source has deleted the issue (a tombstone): not imported; an issue imported
    /// from it before is archived.
    pub deleted: Option<String>,
}

/// A reference the import could not carry over as it stood, and what it did instead.
#[derive(Debug, Clone, Serialize)]
pub struct RefNote {
    /// The source id of the issue holding the reference.
    pub from: String,
    /// The source id it names.
    pub to: String,
    /// The source's relation (`blocks`, `parent-child`, `dependencies`, `Blocked by`, ...).
    pub via: String,
    /// `missing` (not in the import nor imported before), `deleted` (a tombstone), `self`,
    /// `as_link` (kept as a `relates` link), `inherited` (added: beads holds sub-tasks of a
    /// blocked parent), `second_parent` (jit has one parent: kept as a link), `held` (the
    /// source counts the missing dependency as unmet: the issue is held).
    pub outcome: &'static str,
    pub note: String,
}

/// What the report says about one source field.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FieldNote {
    /// The source's field (a JSON key, a front-matter key, a CSV column).
    pub field: String,
    /// `mapped`, `kept` or `dropped`.
    pub action: &'static str,
    /// The jit field (mapped) or context key (kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Why it was dropped, or how it was mapped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub why: Option<String>,
    /// How many records carried it.
    pub count: usize,
}

/// A value the source uses (a state, a priority) and what it became.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ValueNote {
    pub from: String,
    pub to: String,
    pub count: usize,
}

/// A record the import leaves out, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Skipped {
    pub source_id: String,
    #[serde(flatten)]
    pub place: Place,
    pub reason: String,
}

/// A source id that appeared more than once: which one was kept.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub source_id: String,
    pub kept: Place,
    pub dropped: Vec<Place>,
}

/// A file in a source directory that is not read, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Ignored {
    pub path: String,
    pub reason: String,
}

/// Everything a parser found, besides the records.
#[derive(Debug, Default)]
pub struct Notes {
    fields: BTreeMap<String, FieldNote>,
    states: BTreeMap<(String, String), usize>,
    priorities: BTreeMap<(String, String), usize>,
    pub skipped: Vec<Skipped>,
    pub duplicates: Vec<Duplicate>,
    pub ignored: Vec<Ignored>,
    pub errors: Vec<RowError>,
    /// Free-form facts about the input (events without an issue, ...).
    pub remarks: Vec<String>,
    /// CSV header columns nothing maps (named in the error's details).
    pub unknown_columns: Vec<String>,
    /// References the parser already judged (beads' inherited dependencies, ...).
    pub references: Vec<RefNote>,
    /// Gate definitions the source carries (just-in-time's `gates.json`).
    pub gate_defs: Vec<crate::model::GateDef>,
}

impl Notes {
    fn note(&mut self, field: &str, action: &'static str, to: Option<&str>, why: Option<&str>) {
        let e = self
            .fields
            .entry(field.to_string())
            .or_insert_with(|| FieldNote {
                field: field.to_string(),
                action,
                to: to.map(str::to_string),
                why: why.map(str::to_string),
                count: 0,
            });
        e.count += 1;
    }

    /// `field` was mapped to the jit field `to`.
    pub fn mapped(&mut self, field: &str, to: &str) {
        self.note(field, "mapped", Some(to), None);
    }

    /// `field` was mapped to `to`, with a note on how.
    pub fn mapped_as(&mut self, field: &str, to: &str, how: &str) {
        self.note(field, "mapped", Some(to), Some(how));
    }

    /// `field` was kept under the context key `key`.
    pub fn kept(&mut self, field: &str, key: &str) {
        self.note(field, "kept", Some(key), None);
    }

    /// `field` was dropped, for `why`.
    pub fn dropped(&mut self, field: &str, why: &str) {
        self.note(field, "dropped", None, Some(why));
    }

    /// The source state `from` became `to`.
    pub fn state(&mut self, from: &str, to: &str) {
        *self
            .states
            .entry((from.to_string(), to.to_string()))
            .or_default() += 1;
    }

    /// Sets the state `rec` asks for (and why it is held, if it is) and notes the source
    /// state `from` as mapped to it.
    pub fn set_state(&mut self, rec: &mut Record, from: &str, want: Want, hold: Option<String>) {
        let to = format!(
            "{}{}",
            want.describe(),
            if hold.is_some() { ", held" } else { "" }
        );
        self.state(from, &to);
        rec.want = Some(want);
        rec.hold = hold;
    }

    /// The source priority `from` became `to`.
    pub fn priority(&mut self, from: &str, to: &str) {
        *self
            .priorities
            .entry((from.to_string(), to.to_string()))
            .or_default() += 1;
    }

    /// Records a problem.
    pub fn error(&mut self, place: &Place, source_id: Option<&str>, field: &str, msg: String) {
        let mut e = RowError::at(place, field, msg);
        e.source_id = source_id.map(str::to_string);
        self.errors.push(e);
    }

    pub fn fields(&self) -> Vec<FieldNote> {
        self.fields.values().cloned().collect()
    }

    pub fn states(&self) -> Vec<ValueNote> {
        values(&self.states)
    }

    pub fn priorities(&self) -> Vec<ValueNote> {
        values(&self.priorities)
    }
}

fn values(m: &BTreeMap<(String, String), usize>) -> Vec<ValueNote> {
    m.iter()
        .map(|((from, to), count)| ValueNote {
            from: from.clone(),
            to: to.clone(),
            count: *count,
        })
        .collect()
}

/// What a parser hands to the planner.
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<Record>,
    pub notes: Notes,
}

/// A context key for a source field: the source's prefix and the field name in snake case
/// (`Custom field (Story Points)` → `jira_custom_field_story_points`).
pub fn context_key(prefix: &str, field: &str) -> String {
    let mut out = String::with_capacity(prefix.len() + field.len() + 1);
    out.push_str(prefix);
    out.push('_');
    let mut last_us = true;
    for c in field.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
            last_us = false;
        } else if !last_us {
            out.push('_');
            last_us = true;
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out.chars().take(crate::model::limits::NAME).collect()
}

/// A 64-bit FNV-1a hash: stable across runs and versions, for the ids of imported checklist
/// items and comments (so an unchanged re-import produces identical issues).
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// The id of an item the import owns: `imp-` and 8 base32 characters of a stable hash. Random
/// item ids never contain `-`, so the prefix tells imported items from ones added in jit.
pub fn imported_item_id(parts: &[&str]) -> String {
    const ALPHABET: &[u8] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut v = stable_hash(parts);
    let mut id = String::from(IMPORTED_ITEM_PREFIX);
    for _ in 0..8 {
        id.push(ALPHABET[(v & 31) as usize] as char);
        v >>= 5;
    }
    id
}

/// The prefix of checklist item and comment ids the import owns.
pub const IMPORTED_ITEM_PREFIX: &str = "imp-";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_keys_are_snake_case() {
        assert_eq!(
            context_key("jira", "Custom field (Story Points)"),
            "jira_custom_field_story_points"
        );
        assert_eq!(context_key("beads", "close_reason"), "beads_close_reason");
        assert_eq!(context_key("linear", "Σ Time"), "linear_σ_time");
    }

    #[test]
    fn item_ids_are_stable_and_distinct() {
        let a = imported_item_id(&["beads", "bd-1", "0", "x"]);
        assert_eq!(a, imported_item_id(&["beads", "bd-1", "0", "x"]));
        assert_ne!(a, imported_item_id(&["beads", "bd-1", "1", "x"]));
        assert!(a.starts_with(IMPORTED_ITEM_PREFIX) && a.len() == 12);
    }
}
