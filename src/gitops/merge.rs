//! The three-way, field-level merge of one issue file: the engine behind `jit merge-driver`.
//!
//! Git hands the driver three versions of `.jit/issues/<ULID>.json`: the common ancestor
//! (`base`), the current branch (`ours`) and the branch being merged (`theirs`). Each top-level
//! field is merged on its own, so two branches that edit different fields never conflict. The
//! rules, field by field, are in `docs/git.md`.
//!
//! Invariants:
//! - The result is always one valid, canonical issue file ([`Issue::to_file_bytes`]); it never
//!   holds conflict markers. Input that is not a readable issue is an error, and nothing is written.
//! - The merge is symmetric: swapping `ours` and `theirs` gives byte-identical output. Every tie
//!   is broken by content (timestamps, then the serialized values), never by which side is which.
//! - A change made on one side only is never lost. Where both sides changed the same thing
//!   differently, a fixed rule picks the survivor, and the discarded value is reported as a
//!   [`FieldConflict`] and recorded in the issue's `merge_conflicts` (structured records; an
//!   older file's records under `context.merge_conflicts` move there).
//! - If one side equals the base (or both sides are equal), the result is the other side,
//!   unchanged: no version bump, as git itself would resolve it.

use crate::error::{Error, Result};
use crate::model::{Issue, Timestamp};
use serde::Serialize;
use serde_json::{Map, Value, json};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// How [`Merger::merge_top`] combines one top-level field of an issue file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// The file's identity: both sides carry the same one.
    Identity,
    /// The later of the two `updated_at`.
    UpdatedAt,
    /// One more than the higher of the two versions.
    Version,
    /// The earlier creation time.
    CreatedAt,
    /// Merged together after the other fields: the claim, the state that travels with it, the
    /// context, and the merge-conflict records, which get this merge's conflicts.
    Claim,
    /// A set: additions and removals from both sides.
    Set,
    /// Gate statuses, gate by gate.
    GateMap,
    /// Comments, by id (a later edit wins), sorted by time.
    Comments,
    /// Checklist items, by id.
    Checklist,
    /// Pull requests, by URL.
    Prs,
    /// One value: the side that changed it, or the later edit when both did.
    Scalar,
}

/// The merge rule of every field of [`Issue`], under its serialized name.
///
/// The destructuring in `every_field_has_a_rule` names each field and has no `..`: a field
/// added to [`Issue`] does not compile until it is given a rule here (and in docs/git.md).
macro_rules! field_rules {
    ($($field:ident $(as $name:literal)? => $rule:ident),* $(,)?) => {
        const FIELD_RULES: &[(&str, Rule)] = &[
            $((field_rules!(@name $field $($name)?), Rule::$rule)),*
        ];

        #[allow(dead_code)]
        fn every_field_has_a_rule(issue: Issue) {
            let Issue { $($field: _,)* extra: _ } = issue;
        }
    };
    (@name $field:ident $name:literal) => { $name };
    (@name $field:ident) => { stringify!($field) };
}

field_rules! {
    id => Identity,
    title => Scalar,
    description => Scalar,
    state => Claim,
    priority => Scalar,
    kind as "type" => Scalar,
    assignee => Claim,
    lease => Claim,
    claim => Claim,
    dependencies => Set,
    gates_required => Set,
    gates_status => GateMap,
    labels => Set,
    milestone => Scalar,
    parent => Scalar,
    due => Scalar,
    estimate => Scalar,
    deferred_until => Scalar,
    visibility => Scalar,
    reporter => Scalar,
    evidence => Scalar,
    done_when => Scalar,
    checklist => Checklist,
    comments => Comments,
    links => Set,
    prs => Prs,
    reopened => Scalar,
    started_at => Scalar,
    finished_at => Scalar,
    context => Claim,
    merge_conflicts => Claim,
    created_at => CreatedAt,
    updated_at => UpdatedAt,
    version => Version,
}

/// The rule of a top-level key; a key this jit does not know (kept in [`Issue::extra`], written
/// by a newer jit) is one value.
fn rule_of(key: &str) -> Rule {
    FIELD_RULES
        .iter()
        .find(|(name, _)| *name == key)
        .map_or(Rule::Scalar, |(_, rule)| *rule)
}

/// The `context` key where earlier versions recorded what a merge discarded (one JSON string);
/// a merge moves those records into the issue's `merge_conflicts`.
pub const CONFLICTS_KEY: &str = crate::model::LEGACY_CONFLICTS_KEY;
/// At most this many merge-conflict records are kept; older ones are dropped.
pub const MAX_RECORDED_CONFLICTS: usize = 50;
/// A discarded value longer than this many characters is recorded truncated.
pub const MAX_DISCARDED_CHARS: usize = 200;

/// Why a [`FieldConflict`] was resolved the way it was.
pub mod reason {
    /// Both sides set different values; the later one (by the documented timestamp) was kept.
    pub const BOTH_CHANGED: &str = "both_changed";
    /// One side removed an entry that the other side changed; the changed entry was kept.
    pub const EDIT_VS_DELETE: &str = "edit_vs_delete";
    /// Both sides changed who holds the issue; the claim that wins by the claim rule (a
    /// published claim, then the later epoch, then the earlier claim) was kept, with its state.
    pub const CLAIM: &str = "claim";
}

/// The merged file and what had to be discarded to produce it.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The merged issue, canonical file bytes.
    pub bytes: Vec<u8>,
    /// Every place where both sides changed the same thing differently.
    pub conflicts: Vec<FieldConflict>,
}

/// One place where both sides changed the same thing differently, and which side was kept.
#[derive(Debug, Clone, Serialize)]
pub struct FieldConflict {
    /// The field: `title`, `context.<key>`, `gates_status.<key>`, `checklist[<id>].text`,
    /// `comments[<id>]`, `prs[<url>]`, `assignee` (the claim: assignee and lease together).
    pub field: String,
    /// Our value (`null` when our side removed it).
    pub ours: Value,
    /// Their value (`null` when their side removed it).
    pub theirs: Value,
    /// `"ours"` or `"theirs"`.
    pub kept: String,
    /// One of the [`reason`] codes.
    pub reason: String,
}

impl FieldConflict {
    /// The value that did not survive the merge.
    pub fn discarded(&self) -> &Value {
        if self.kept == Side::Ours.as_str() {
            &self.theirs
        } else {
            &self.ours
        }
    }
}

/// Merges three versions of one issue file. `base` is `None` (or empty) when the file was added
/// on both sides. The result is canonical and always a valid issue.
///
/// Errors: [`Error::CorruptFile`] when a side is not a readable issue (or the base is not a JSON
/// object); [`Error::Conflict`] with code `merge_failed` when the two sides hold different ids.
pub fn merge_issue(base: Option<&[u8]>, ours: &[u8], theirs: &[u8]) -> Result<MergeOutcome> {
    merge_named(
        base,
        ours,
        theirs,
        [Path::new("base"), Path::new("ours"), Path::new("theirs")],
    )
}

/// The merge driver: git's `%O %A %B`. Merges the three files and writes the result into `ours`
/// atomically. A missing or empty `base` means the file was added on both sides. On error
/// nothing is written, so `ours` keeps its content and git reports the file as conflicted.
pub fn merge_files(base: &Path, ours: &Path, theirs: &Path) -> Result<Vec<FieldConflict>> {
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| Error::io(format!("reading `{}`", p.display()), e));
    let base_bytes = match std::fs::read(base) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(format!("reading `{}`", base.display()), e)),
    };
    let ours_bytes = read(ours)?;
    let theirs_bytes = read(theirs)?;
    let outcome = merge_named(
        base_bytes.as_deref(),
        &ours_bytes,
        &theirs_bytes,
        [base, ours, theirs],
    )?;
    if outcome.bytes != ours_bytes {
        crate::store::write_atomic(ours, &outcome.bytes)?;
    }
    Ok(outcome.conflicts)
}

fn merge_named(
    base: Option<&[u8]>,
    ours: &[u8],
    theirs: &[u8],
    paths: [&Path; 3],
) -> Result<MergeOutcome> {
    let [base_path, ours_path, theirs_path] = paths;
    let base = parse_base(base, base_path)?;
    let (ours_issue, ours) = parse_side(ours, ours_path, "ours")?;
    let (theirs_issue, theirs) = parse_side(theirs, theirs_path, "theirs")?;
    if ours_issue.id != theirs_issue.id {
        return Err(Error::Conflict {
            code: crate::error::ErrorCode::MergeFailed,
            message: format!(
                "cannot merge two different issues: ours is `{}`, theirs is `{}`; an issue file keeps its id, so resolve this file by hand",
                ours_issue.id, theirs_issue.id
            ),
            details: json!({ "ours": ours_issue.id, "theirs": theirs_issue.id }),
        });
    }
    // Trivial merges, exactly as git would resolve them: the result is one side, unchanged.
    if ours == theirs || base == theirs {
        return Ok(MergeOutcome {
            bytes: ours_issue.to_file_bytes()?,
            conflicts: Vec::new(),
        });
    }
    if base == ours {
        return Ok(MergeOutcome {
            bytes: theirs_issue.to_file_bytes()?,
            conflicts: Vec::new(),
        });
    }
    let mut m = Merger {
        ours_updated: ours_issue.updated_at,
        theirs_updated: theirs_issue.updated_at,
        conflicts: Vec::new(),
    };
    let merged = m.merge_top(&base, &ours, &theirs, &ours_issue, &theirs_issue);
    let issue: Issue = serde_json::from_value(Value::Object(merged)).map_err(|e| {
        Error::Internal(format!(
            "the merged issue `{}` is not a valid issue: {e}",
            ours_issue.id
        ))
    })?;
    Ok(MergeOutcome {
        bytes: issue.to_file_bytes()?,
        conflicts: m.conflicts,
    })
}

/// Parses `ours` or `theirs`: it must be a readable issue. Returns the issue and its canonical
/// JSON object (defaults filled in, sets sorted), so equal issues compare equal.
fn parse_side(bytes: &[u8], path: &Path, side: &str) -> Result<(Issue, Map<String, Value>)> {
    let issue: Issue = serde_json::from_slice(bytes).map_err(|e| Error::CorruptFile {
        path: path.to_path_buf(),
        message: format!("the {side} version of the issue cannot be merged: {e}"),
    })?;
    let map = canonical_map(&issue)?;
    Ok((issue, map))
}

/// Parses the base. Missing or blank means "added on both sides": an empty object. A base that
/// is a JSON object but not a readable issue (an older or newer jit wrote it) is used as is.
fn parse_base(bytes: Option<&[u8]>, path: &Path) -> Result<Map<String, Value>> {
    let Some(bytes) = bytes.filter(|b| !b.iter().all(u8::is_ascii_whitespace)) else {
        return Ok(Map::new());
    };
    if let Ok(issue) = serde_json::from_slice::<Issue>(bytes) {
        return canonical_map(&issue);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::CorruptFile {
            path: path.to_path_buf(),
            message: "the base version of the issue is not a JSON object".into(),
        }),
        Err(e) => Err(Error::CorruptFile {
            path: path.to_path_buf(),
            message: format!("the base version of the issue is not valid JSON: {e}"),
        }),
    }
}

fn canonical_map(issue: &Issue) -> Result<Map<String, Value>> {
    let mut c = issue.clone();
    c.normalize();
    match serde_json::to_value(&c) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::Internal(
            "an issue did not serialize to a JSON object".into(),
        )),
        Err(e) => Err(Error::Internal(format!(
            "serializing issue `{}`: {e}",
            issue.id
        ))),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Side {
    Ours,
    Theirs,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Ours => "ours",
            Side::Theirs => "theirs",
        }
    }

    fn pick<T>(self, ours: T, theirs: T) -> T {
        match self {
            Side::Ours => ours,
            Side::Theirs => theirs,
        }
    }
}

/// The outcome of comparing one value across the three versions.
enum ThreeWay<'a> {
    /// At most one side changed it (or both made the same change): take this.
    Take(Option<&'a Value>),
    /// Both sides changed it, differently.
    Both,
}

/// Absent and `null` are the same value.
fn same(a: Option<&Value>, b: Option<&Value>) -> bool {
    match (a, b) {
        (None | Some(Value::Null), None | Some(Value::Null)) => true,
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn present(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null))
}

fn three_way<'a>(
    base: Option<&Value>,
    ours: Option<&'a Value>,
    theirs: Option<&'a Value>,
) -> ThreeWay<'a> {
    if same(ours, theirs) || same(base, theirs) {
        ThreeWay::Take(ours)
    } else if same(base, ours) {
        ThreeWay::Take(theirs)
    } else {
        ThreeWay::Both
    }
}

/// Compact serialization, the deterministic tie-breaker. Object keys are sorted.
fn ser(v: Option<&Value>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "null".into())
}

fn timestamp_at(v: &Value, key: &str) -> Option<Timestamp> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| Timestamp::parse(s).ok())
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Which side wins when `ours` compares greater: `Greater` keeps ours.
fn side_of(ord: Ordering) -> Option<Side> {
    match ord {
        Ordering::Greater => Some(Side::Ours),
        Ordering::Less => Some(Side::Theirs),
        Ordering::Equal => None,
    }
}

type Resolver = fn(&mut Merger, &str, Option<&Value>, &Value, &Value) -> Value;

struct Merger {
    ours_updated: Timestamp,
    theirs_updated: Timestamp,
    conflicts: Vec<FieldConflict>,
}

impl Merger {
    /// The side whose issue was updated later; on a tie, the side whose value serializes greater.
    fn later(&self, ours: Option<&Value>, theirs: Option<&Value>) -> Side {
        side_of(self.ours_updated.cmp(&self.theirs_updated))
            .unwrap_or_else(|| greater_value(ours, theirs))
    }

    fn record(
        &mut self,
        field: &str,
        ours: Option<&Value>,
        theirs: Option<&Value>,
        kept: Side,
        reason: &str,
    ) {
        self.conflicts.push(FieldConflict {
            field: field.to_string(),
            ours: ours.cloned().unwrap_or(Value::Null),
            theirs: theirs.cloned().unwrap_or(Value::Null),
            kept: kept.as_str().to_string(),
            reason: reason.to_string(),
        });
    }

    fn merge_top(
        &mut self,
        base: &Map<String, Value>,
        ours: &Map<String, Value>,
        theirs: &Map<String, Value>,
        ours_issue: &Issue,
        theirs_issue: &Issue,
    ) -> Map<String, Value> {
        let updated_at = ours_issue.updated_at.max(theirs_issue.updated_at);
        let mut out = Map::new();
        let keys: BTreeSet<&String> = base
            .keys()
            .chain(ours.keys())
            .chain(theirs.keys())
            .collect();
        for key in keys {
            let (b, o, t) = (base.get(key), ours.get(key), theirs.get(key));
            let merged = match rule_of(key) {
                Rule::Identity => o.cloned(),
                Rule::UpdatedAt => Some(Value::String(updated_at.to_string())),
                Rule::Version => Some(json!(
                    ours_issue
                        .version
                        .max(theirs_issue.version)
                        .saturating_add(1)
                )),
                Rule::CreatedAt => self.merge_created_at(b, o, t),
                Rule::Claim => continue, // merged together below
                Rule::Set => Some(merge_set(b, o, t)),
                Rule::GateMap => self.merge_map(key, b, o, t, Merger::resolve_gate),
                Rule::Comments => self
                    .merge_records(key, "id", b, o, t, Merger::resolve_later)
                    .map(sort_comments),
                Rule::Checklist => {
                    self.merge_records(key, "id", b, o, t, Merger::resolve_checklist_item)
                }
                Rule::Prs => self.merge_records(key, "url", b, o, t, Merger::resolve_pr),
                Rule::Scalar => self.merge_scalar(key, b, o, t),
            };
            if let Some(v) = merged {
                out.insert(key.clone(), v);
            }
        }
        let (claim_winner, fenced) =
            self.merge_claim(base, ours, theirs, ours_issue, theirs_issue, &mut out);
        if fenced && let Some(winner) = claim_winner {
            // The losing side worked under a superseded claim: its gate results do not count.
            let (o, t) = (ours.get("gates_status"), theirs.get("gates_status"));
            let kept = winner.pick(o, t);
            if !same(o, t) {
                self.record("gates_status", o, t, winner, reason::CLAIM);
            }
            match kept {
                Some(v) => out.insert("gates_status".into(), v.clone()),
                None => out.remove("gates_status"),
            };
        }
        if let Some(state) = self.merge_state(
            base.get("state"),
            ours.get("state"),
            theirs.get("state"),
            claim_winner,
        ) {
            out.insert("state".into(), state);
        }
        // Finished work holds no claim (as every transaction makes it): a lease renewed on one
        // side does not survive the other side's finish.
        if matches!(
            out.get("state").and_then(Value::as_str),
            Some("done" | "archived")
        ) {
            out.remove("lease");
        }
        fn side(v: &Map<String, Value>) -> (Option<&Value>, Option<&Value>) {
            (v.get("context"), v.get("merge_conflicts"))
        }
        let (context, recorded) =
            self.merge_context(side(base), side(ours), side(theirs), updated_at);
        out.insert("context".into(), context);
        match recorded {
            Some(r) => out.insert("merge_conflicts".into(), r),
            None => out.remove("merge_conflicts"),
        };
        out
    }

    /// A plain field: one side's change wins; both changed differently: the later update wins.
    fn merge_scalar(
        &mut self,
        field: &str,
        b: Option<&Value>,
        o: Option<&Value>,
        t: Option<&Value>,
    ) -> Option<Value> {
        match three_way(b, o, t) {
            ThreeWay::Take(v) => v.cloned(),
            ThreeWay::Both => {
                let kept = self.later(o, t);
                self.record(field, o, t, kept, reason::BOTH_CHANGED);
                kept.pick(o, t).cloned()
            }
        }
    }

    /// An issue is created once: if the sides disagree, the earlier time is kept.
    fn merge_created_at(
        &mut self,
        b: Option<&Value>,
        o: Option<&Value>,
        t: Option<&Value>,
    ) -> Option<Value> {
        match three_way(b, o, t) {
            ThreeWay::Take(v) => v.cloned(),
            ThreeWay::Both => {
                let time = |v: Option<&Value>| {
                    v.and_then(Value::as_str)
                        .and_then(|s| Timestamp::parse(s).ok())
                };
                // Earlier wins, so compare theirs against ours.
                let kept = side_of(time(t).cmp(&time(o))).unwrap_or_else(|| greater_value(o, t));
                self.record("created_at", o, t, kept, reason::BOTH_CHANGED);
                kept.pick(o, t).cloned()
            }
        }
    }

    /// One entry of a map or a record list. Both present and changed: `resolve` decides.
    fn merge_entry(
        &mut self,
        label: &str,
        b: Option<&Value>,
        o: Option<&Value>,
        t: Option<&Value>,
        resolve: Resolver,
    ) -> Option<Value> {
        match three_way(b, o, t) {
            ThreeWay::Take(v) => v.cloned(),
            ThreeWay::Both => match (o, t) {
                (Some(ov), Some(tv)) if present(o) && present(t) => {
                    Some(resolve(self, label, b, ov, tv))
                }
                _ => {
                    let kept = if present(o) { Side::Ours } else { Side::Theirs };
                    self.record(label, o, t, kept, reason::EDIT_VS_DELETE);
                    kept.pick(o, t).cloned()
                }
            },
        }
    }

    /// A map merged key by key (`context`, `gates_status`).
    fn merge_map(
        &mut self,
        field: &str,
        b: Option<&Value>,
        o: Option<&Value>,
        t: Option<&Value>,
        resolve: Resolver,
    ) -> Option<Value> {
        if let ThreeWay::Take(v) = three_way(b, o, t) {
            return v.cloned();
        }
        let empty = Map::new();
        let (bm, om, tm) = (object(b, &empty), object(o, &empty), object(t, &empty));
        let keys: BTreeSet<&String> = bm.keys().chain(om.keys()).chain(tm.keys()).collect();
        let mut out = Map::new();
        for k in keys {
            let label = format!("{field}.{k}");
            if let Some(v) = self.merge_entry(&label, bm.get(k), om.get(k), tm.get(k), resolve) {
                out.insert(k.clone(), v);
            }
        }
        Some(Value::Object(out))
    }

    /// A list of records identified by `key_field` (`comments`, `checklist` by `id`, `prs` by
    /// `url`), merged record by record. Order: the base's surviving records in base order, then
    /// the records added by the side updated earlier, then those added by the other side.
    fn merge_records(
        &mut self,
        field: &str,
        key_field: &str,
        b: Option<&Value>,
        o: Option<&Value>,
        t: Option<&Value>,
        resolve: Resolver,
    ) -> Option<Value> {
        if let ThreeWay::Take(v) = three_way(b, o, t) {
            return v.cloned();
        }
        let (bl, ol, tl) = (
            keyed(b, key_field),
            keyed(o, key_field),
            keyed(t, key_field),
        );
        let index =
            |l: &[(String, Value)]| -> BTreeMap<String, Value> { l.iter().cloned().collect() };
        let (bm, om, tm) = (index(&bl), index(&ol), index(&tl));
        let added = |l: &[(String, Value)]| -> Vec<(String, Value)> {
            l.iter()
                .filter(|(k, _)| !bm.contains_key(k))
                .cloned()
                .collect()
        };
        let (ours_added, theirs_added) = (added(&ol), added(&tl));
        let ours_first = match side_of(self.theirs_updated.cmp(&self.ours_updated)) {
            Some(side) => side == Side::Ours,
            None => ser_list(&ours_added) <= ser_list(&theirs_added),
        };
        let (first, second) = if ours_first {
            (ours_added, theirs_added)
        } else {
            (theirs_added, ours_added)
        };
        let mut seen = BTreeSet::new();
        let order: Vec<String> = bl
            .into_iter()
            .chain(first)
            .chain(second)
            .map(|(k, _)| k)
            .filter(|k| seen.insert(k.clone()))
            .collect();
        let mut out = Vec::with_capacity(order.len());
        for k in order {
            let label = format!("{field}[{k}]");
            if let Some(v) = self.merge_entry(&label, bm.get(&k), om.get(&k), tm.get(&k), resolve) {
                out.push(v);
            }
        }
        Some(Value::Array(out))
    }

    /// Both changed a record or a context value: the later update wins.
    fn resolve_later(&mut self, label: &str, _b: Option<&Value>, o: &Value, t: &Value) -> Value {
        let kept = self.later(Some(o), Some(t));
        self.record(label, Some(o), Some(t), kept, reason::BOTH_CHANGED);
        kept.pick(o, t).clone()
    }

    /// Both changed one gate's status: the later `at` wins (no `at` is oldest), then `passed`
    /// over `failed` over `pending`. Recorded only when the two statuses differ.
    fn resolve_gate(&mut self, label: &str, _b: Option<&Value>, o: &Value, t: &Value) -> Value {
        let rank = |v: &Value| match str_at(v, "status") {
            Some("passed") => 2,
            Some("failed") => 1,
            _ => 0,
        };
        let kept = side_of(timestamp_at(o, "at").cmp(&timestamp_at(t, "at")))
            .or_else(|| side_of(rank(o).cmp(&rank(t))))
            .unwrap_or_else(|| self.later(Some(o), Some(t)));
        if o.get("status") != t.get("status") {
            self.record(label, Some(o), Some(t), kept, reason::BOTH_CHANGED);
        }
        kept.pick(o, t).clone()
    }

    /// Both changed one pull request: the later `updated_at` of the PR wins (none is oldest),
    /// then the later issue update.
    fn resolve_pr(&mut self, label: &str, _b: Option<&Value>, o: &Value, t: &Value) -> Value {
        let kept = side_of(timestamp_at(o, "updated_at").cmp(&timestamp_at(t, "updated_at")))
            .unwrap_or_else(|| self.later(Some(o), Some(t)));
        self.record(label, Some(o), Some(t), kept, reason::BOTH_CHANGED);
        kept.pick(o, t).clone()
    }

    /// Both changed one checklist item: merged field by field. `checked`, `checked_by` and
    /// `checked_at` move together; if both changed them, the later `checked_at` wins (none is
    /// oldest), then checked over unchecked. Other fields (`text`): the later issue update wins.
    fn resolve_checklist_item(
        &mut self,
        label: &str,
        b: Option<&Value>,
        o: &Value,
        t: &Value,
    ) -> Value {
        const CHECK: [&str; 3] = ["checked", "checked_by", "checked_at"];
        let empty = Map::new();
        let (bm, om, tm) = (
            object(b, &empty),
            object(Some(o), &empty),
            object(Some(t), &empty),
        );
        let group = |m: &Map<String, Value>| -> Value {
            Value::Object(
                CHECK
                    .iter()
                    .map(|k| (k.to_string(), m.get(*k).cloned().unwrap_or(Value::Null)))
                    .collect(),
            )
        };
        let (gb, go, gt) = (group(bm), group(om), group(tm));
        let check = match three_way(Some(&gb), Some(&go), Some(&gt)) {
            ThreeWay::Take(v) => v.cloned().unwrap_or(Value::Null),
            ThreeWay::Both => {
                let checked =
                    |v: &Value| v.get("checked").and_then(Value::as_bool).unwrap_or(false);
                let kept =
                    side_of(timestamp_at(&go, "checked_at").cmp(&timestamp_at(&gt, "checked_at")))
                        .or_else(|| side_of(checked(&go).cmp(&checked(&gt))))
                        .unwrap_or_else(|| self.later(Some(&go), Some(&gt)));
                if checked(&go) != checked(&gt) {
                    self.record(
                        &format!("{label}.checked"),
                        Some(&go),
                        Some(&gt),
                        kept,
                        reason::BOTH_CHANGED,
                    );
                }
                kept.pick(go, gt)
            }
        };
        let mut out = Map::new();
        if let Value::Object(check) = check {
            out.extend(check.into_iter().filter(|(_, v)| !v.is_null()));
        }
        let keys: BTreeSet<&String> = bm.keys().chain(om.keys()).chain(tm.keys()).collect();
        for k in keys.into_iter().filter(|k| !CHECK.contains(&k.as_str())) {
            let field = format!("{label}.{k}");
            if let Some(v) = self.merge_scalar(&field, bm.get(k), om.get(k), tm.get(k)) {
                out.insert(k.clone(), v);
            }
        }
        Value::Object(out)
    }

    /// `assignee`, `lease` and `claim` (the fencing stamp) as one unit, the claim. Returns the
    /// winning side when both sides changed the claim differently (the state travels with it),
    /// and whether it won by the fencing rule: a claim published on a remote beats one that was
    /// not, and among those alike the later epoch wins. Only claims alike in both are decided by
    /// the older rules (the earlier claim stands).
    fn merge_claim(
        &mut self,
        base: &Map<String, Value>,
        ours: &Map<String, Value>,
        theirs: &Map<String, Value>,
        ours_issue: &Issue,
        theirs_issue: &Issue,
        out: &mut Map<String, Value>,
    ) -> (Option<Side>, bool) {
        let unit = |m: &Map<String, Value>| {
            json!({
                "assignee": m.get("assignee").cloned().unwrap_or(Value::Null),
                "lease": m.get("lease").cloned().unwrap_or(Value::Null),
                "claim": m.get("claim").cloned().unwrap_or(Value::Null),
            })
        };
        let fence = |i: &Issue| {
            (
                i.claim.as_ref().is_some_and(|c| c.remote.is_some()),
                i.epoch(),
            )
        };
        let (ub, uo, ut) = (unit(base), unit(ours), unit(theirs));
        let mut fenced = false;
        let (chosen, winner) = match three_way(Some(&ub), Some(&uo), Some(&ut)) {
            ThreeWay::Take(v) => (v.cloned().unwrap_or(Value::Null), None),
            ThreeWay::Both => {
                let base_holder = str_at(&ub, "assignee");
                // A release never undoes a finish: giving work back and finishing it on two
                // branches leaves it finished (a later claim by someone else is a contest,
                // decided by the fencing rule below).
                let finish_over_release = |a: &Issue, b: &Issue| {
                    a.state.is_closed() && b.assignee.is_none() && !b.state.is_closed()
                };
                let by_finish = if finish_over_release(ours_issue, theirs_issue) {
                    Some(Side::Ours)
                } else if finish_over_release(theirs_issue, ours_issue) {
                    Some(Side::Theirs)
                } else {
                    None
                };
                let by_fence = match by_finish {
                    Some(_) => None,
                    None => side_of(fence(ours_issue).cmp(&fence(theirs_issue))),
                };
                fenced = by_fence.is_some();
                let kept = match (
                    by_finish.or(by_fence),
                    ours_issue.assignee.as_deref(),
                    theirs_issue.assignee.as_deref(),
                ) {
                    (Some(side), _, _) => Some(side),
                    // Two different claims: the earlier one stands.
                    (None, Some(a), Some(b)) if a != b => {
                        let claimed_at = |i: &Issue| {
                            i.lease
                                .as_ref()
                                .map(|l| l.acquired_at)
                                .unwrap_or(i.updated_at)
                        };
                        let kept = side_of(claimed_at(theirs_issue).cmp(&claimed_at(ours_issue)))
                            .unwrap_or_else(|| greater_value(Some(&uo), Some(&ut)));
                        Some(kept)
                    }
                    // A new claim against a release: the claim stands.
                    (None, Some(a), None) if Some(a) != base_holder => Some(Side::Ours),
                    (None, None, Some(b)) if Some(b) != base_holder => Some(Side::Theirs),
                    // The holder renewed on one side and released on the other: the later wins.
                    (None, Some(_), None) | (None, None, Some(_)) => {
                        Some(self.later(Some(&uo), Some(&ut)))
                    }
                    // Same holder (or nobody) on both sides, leases differ: not a contest.
                    _ => None,
                };
                match kept {
                    Some(side) => {
                        self.record("assignee", Some(&uo), Some(&ut), side, reason::CLAIM);
                        (side.pick(&uo, &ut).clone(), Some(side))
                    }
                    None => (
                        self.later(Some(&uo), Some(&ut)).pick(&uo, &ut).clone(),
                        None,
                    ),
                }
            }
        };
        out.insert(
            "assignee".into(),
            chosen.get("assignee").cloned().unwrap_or(Value::Null),
        );
        for key in ["lease", "claim"] {
            if let Some(v) = chosen.get(key).filter(|l| !l.is_null()) {
                out.insert(key.into(), v.clone());
            }
        }
        (winner, fenced)
    }

    /// The state: travels with the winner of a claim contest; otherwise a plain field.
    fn merge_state(
        &mut self,
        b: Option<&Value>,
        o: Option<&Value>,
        t: Option<&Value>,
        claim_winner: Option<Side>,
    ) -> Option<Value> {
        let Some(winner) = claim_winner else {
            // `backlog` and `ready` are derived from the dependencies: a state someone set
            // (started, finished, archived) beats them, and the derived one is worked out
            // again from the merged dependencies (`jit validate --fix`, which sync runs).
            let derived =
                |v: Option<&Value>| matches!(v.and_then(Value::as_str), Some("backlog" | "ready"));
            if let ThreeWay::Both = three_way(b, o, t)
                && derived(o) != derived(t)
            {
                let kept = if derived(o) { Side::Theirs } else { Side::Ours };
                self.record("state", o, t, kept, reason::BOTH_CHANGED);
                return kept.pick(o, t).cloned();
            }
            return self.merge_scalar("state", b, o, t);
        };
        if !same(o, t) && !same(b, winner.pick(t, o)) {
            self.record("state", o, t, winner, reason::CLAIM);
        }
        winner.pick(o, t).cloned()
    }

    /// The context, merged key by key, and the merge-conflict records: those both sides already
    /// had (a set; records an older jit kept under `context.merge_conflicts` count with them),
    /// plus this merge's conflicts. Each side is `(context, merge_conflicts)`.
    fn merge_context(
        &mut self,
        b: (Option<&Value>, Option<&Value>),
        o: (Option<&Value>, Option<&Value>),
        t: (Option<&Value>, Option<&Value>),
        at: Timestamp,
    ) -> (Value, Option<Value>) {
        let split = |(context, records): (Option<&Value>, Option<&Value>)| -> (Value, Value) {
            let mut m = context
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            let mut recorded = entries(m.remove(CONFLICTS_KEY).as_ref());
            recorded.extend(entries(records));
            (Value::Object(m), Value::Array(recorded))
        };
        let ((bc, be), (oc, oe), (tc, te)) = (split(b), split(o), split(t));
        let merged = self.merge_map(
            "context",
            Some(&bc),
            Some(&oc),
            Some(&tc),
            Merger::resolve_later,
        );
        let context = match merged {
            Some(Value::Object(m)) => m,
            _ => Map::new(),
        };
        let mut recorded = match merge_set(Some(&be), Some(&oe), Some(&te)) {
            Value::Array(a) => a,
            _ => Vec::new(),
        };
        let at = at.to_string();
        recorded.extend(self.conflicts.iter().map(|c| {
            json!({ "at": at, "field": c.field, "discarded": brief(c.discarded()), "reason": c.reason })
        }));
        (Value::Object(context), kept_entries(recorded))
    }
}

/// The side whose value serializes greater (ours on equality, when the values are the same).
fn greater_value(ours: Option<&Value>, theirs: Option<&Value>) -> Side {
    if ser(ours) >= ser(theirs) {
        Side::Ours
    } else {
        Side::Theirs
    }
}

/// The object inside `v`, or `empty` when `v` is absent or not an object.
fn object<'a>(v: Option<&'a Value>, empty: &'a Map<String, Value>) -> &'a Map<String, Value> {
    v.and_then(Value::as_object).unwrap_or(empty)
}

fn ser_list(l: &[(String, Value)]) -> String {
    l.iter()
        .map(|(_, v)| v.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A list of records as (key, record), first occurrence of a key winning; records without a
/// string key are skipped.
fn keyed(v: Option<&Value>, key_field: &str) -> Vec<(String, Value)> {
    let mut seen = BTreeSet::new();
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|r| str_at(r, key_field).map(|k| (k.to_string(), r.clone())))
                .filter(|(k, _)| seen.insert(k.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// A set merged three ways: what both kept, plus what either added, minus what either removed.
/// Elements compare by their serialized form; the result is sorted by it.
fn merge_set(b: Option<&Value>, o: Option<&Value>, t: Option<&Value>) -> Value {
    let elements = |v: Option<&Value>| -> BTreeMap<String, Value> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().map(|x| (x.to_string(), x.clone())).collect())
            .unwrap_or_default()
    };
    let (b, o, t) = (elements(b), elements(o), elements(t));
    let keep = |k: &String| {
        let (in_b, in_o, in_t) = (b.contains_key(k), o.contains_key(k), t.contains_key(k));
        // On some side, and either new or kept by both.
        (in_o || in_t) && (!in_b || (in_o && in_t))
    };
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in o.iter().chain(t.iter()) {
        if keep(k) {
            out.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    Value::Array(out.into_values().collect())
}

fn sort_comments(v: Value) -> Value {
    match v {
        Value::Array(mut a) => {
            a.sort_by(|x, y| {
                (str_at(x, "at"), str_at(x, "id")).cmp(&(str_at(y, "at"), str_at(y, "id")))
            });
            Value::Array(a)
        }
        other => other,
    }
}

/// The merge-conflict records a side holds: the array of its `merge_conflicts`, or the JSON
/// string an older jit kept under `context.merge_conflicts`. Anything that does not read as a
/// record (a hand edit) is kept whole ([`crate::model::MergeConflict::unreadable`]).
fn entries(v: Option<&Value>) -> Vec<Value> {
    use crate::model::MergeConflict;
    let records = match v {
        Some(Value::Array(a)) => a.iter().cloned().map(MergeConflict::from_value).collect(),
        Some(Value::String(s)) => MergeConflict::from_legacy(s),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![MergeConflict::unreadable(other.clone())],
    };
    records
        .into_iter()
        .filter_map(|c| serde_json::to_value(c).ok())
        .collect()
}

/// A discarded value as recorded: long values are cut to
/// [`MAX_DISCARDED_CHARS`] characters and end with `…`.
fn brief(v: &Value) -> Value {
    let cut = |s: &str| -> Option<String> {
        (s.chars().count() > MAX_DISCARDED_CHARS).then(|| {
            s.chars()
                .take(MAX_DISCARDED_CHARS)
                .chain(std::iter::once('…'))
                .collect()
        })
    };
    match v {
        Value::String(s) => cut(s).map(Value::String).unwrap_or_else(|| v.clone()),
        other => cut(&other.to_string())
            .map(Value::String)
            .unwrap_or_else(|| other.clone()),
    }
}

/// The records to keep: sorted by time then content, deduplicated, the newest
/// [`MAX_RECORDED_CONFLICTS`]. `None` when there are none.
fn kept_entries(recorded: Vec<Value>) -> Option<Value> {
    let mut keyed: Vec<((String, String), Value)> = recorded
        .into_iter()
        .map(|e| {
            (
                (str_at(&e, "at").unwrap_or("").to_string(), e.to_string()),
                e,
            )
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    let mut kept: Vec<Value> = keyed.into_iter().map(|(_, e)| e).collect();
    if kept.len() > MAX_RECORDED_CONFLICTS {
        kept.drain(..kept.len() - MAX_RECORDED_CONFLICTS);
    }
    (!kept.is_empty()).then_some(Value::Array(kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::State;

    /// The rule table names exactly the fields an issue file has (the schema's properties).
    #[test]
    fn every_issue_field_has_one_merge_rule() {
        let schema = serde_json::to_value(schemars::schema_for!(Issue)).unwrap();
        let props: BTreeSet<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let named: BTreeSet<&str> = FIELD_RULES.iter().map(|(n, _)| *n).collect();
        assert_eq!(named.len(), FIELD_RULES.len(), "one rule per field");
        assert_eq!(named, props);
        assert_eq!(rule_of("type"), Rule::Scalar);
        assert_eq!(rule_of("labels"), Rule::Set);
        assert_eq!(rule_of("a_field_from_a_newer_jit"), Rule::Scalar);
    }

    const ID: &str = "01J9X2ABCDEFGHJKMNPQRSTVWX";
    const DEP1: &str = "01J9X2ABCDEFGHJKMNPQRSTVW1";
    const DEP2: &str = "01J9X2ABCDEFGHJKMNPQRSTVW2";
    const DEP3: &str = "01J9X2ABCDEFGHJKMNPQRSTVW3";
    const T0: &str = "2026-01-01T00:00:00.000Z";
    const T1: &str = "2026-01-01T01:00:00.000Z";
    const T2: &str = "2026-01-01T02:00:00.000Z";
    const T3: &str = "2026-01-01T03:00:00.000Z";

    fn base() -> Value {
        json!({
            "id": ID, "title": "Fix login", "description": "Users cannot log in.",
            "state": "ready", "priority": "normal", "type": "task", "assignee": null,
            "dependencies": [], "gates_required": [], "gates_status": {}, "context": {},
            "created_at": T0, "updated_at": T0, "version": 1
        })
    }

    /// `v` with the top-level keys of `patch` replaced (a `null` in the patch removes the key).
    fn with(v: &Value, patch: Value) -> Value {
        let mut out = v.as_object().cloned().unwrap();
        for (k, p) in patch.as_object().cloned().unwrap() {
            if p.is_null() && k != "assignee" {
                out.remove(&k);
            } else {
                out.insert(k, p);
            }
        }
        Value::Object(out)
    }

    /// An edit made at `at`: the patch plus a bumped `updated_at` and `version`.
    fn edit(v: &Value, at: &str, patch: Value) -> Value {
        let version = v["version"].as_u64().unwrap() + 1;
        with(
            &with(v, patch),
            json!({ "updated_at": at, "version": version }),
        )
    }

    fn bytes(v: &Value) -> Vec<u8> {
        serde_json::to_vec_pretty(v).unwrap()
    }

    /// Merges both ways round and checks what must hold for every merge: the same bytes either
    /// way, a valid canonical issue, and the same conflicts with `kept` swapped.
    fn merge3(b: Option<&Value>, o: &Value, t: &Value) -> (Issue, Vec<FieldConflict>) {
        let bb = b.map(bytes);
        let one = merge_issue(bb.as_deref(), &bytes(o), &bytes(t)).unwrap();
        let two = merge_issue(bb.as_deref(), &bytes(t), &bytes(o)).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&one.bytes),
            String::from_utf8_lossy(&two.bytes),
            "merge is not symmetric"
        );
        let issue: Issue = serde_json::from_slice(&one.bytes).unwrap();
        assert_eq!(
            issue.to_file_bytes().unwrap(),
            one.bytes,
            "merge output is not canonical"
        );
        let fields = |c: &[FieldConflict]| {
            let mut f: Vec<(String, String)> = c
                .iter()
                .map(|c| (c.field.clone(), c.discarded().to_string()))
                .collect();
            f.sort();
            f
        };
        assert_eq!(
            fields(&one.conflicts),
            fields(&two.conflicts),
            "conflicts differ by side"
        );
        (issue, one.conflicts)
    }

    fn merge(b: &Value, o: &Value, t: &Value) -> (Issue, Vec<FieldConflict>) {
        merge3(Some(b), o, t)
    }

    fn recorded(i: &Issue) -> Vec<Value> {
        assert!(
            !i.context.contains_key(CONFLICTS_KEY),
            "records left in the context"
        );
        i.merge_conflicts
            .iter()
            .map(|c| serde_json::to_value(c).unwrap())
            .collect()
    }

    #[test]
    fn different_fields_on_each_side_merge_cleanly() {
        let b = base();
        let o = edit(&b, T1, json!({ "title": "Fix login on Safari" }));
        let t = edit(
            &b,
            T2,
            json!({ "priority": "high", "description": "Safari only." }),
        );
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.title, "Fix login on Safari");
        assert_eq!(m.priority.as_str(), "high");
        assert_eq!(m.description, "Safari only.");
        assert_eq!(m.version, 3, "max(2, 2) + 1");
        assert_eq!(m.updated_at.to_string(), T2);
        assert!(conflicts.is_empty(), "{conflicts:?}");
        assert!(recorded(&m).is_empty());
    }

    #[test]
    fn same_field_on_both_sides_later_update_wins_and_is_recorded() {
        let b = base();
        let o = edit(&b, T2, json!({ "title": "Ours, later" }));
        let t = edit(&b, T1, json!({ "title": "Theirs, earlier" }));
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.title, "Ours, later");
        assert_eq!(conflicts.len(), 1);
        let c = &conflicts[0];
        assert_eq!(
            (c.field.as_str(), c.kept.as_str(), c.reason.as_str()),
            ("title", "ours", "both_changed")
        );
        assert_eq!(c.theirs, json!("Theirs, earlier"));
        assert_eq!(
            recorded(&m),
            vec![
                json!({ "at": T2, "field": "title", "discarded": "Theirs, earlier", "reason": "both_changed" })
            ]
        );
    }

    #[test]
    fn a_tie_on_updated_at_is_broken_by_content() {
        let b = base();
        let o = edit(&b, T1, json!({ "title": "Alpha" }));
        let t = edit(&b, T1, json!({ "title": "Beta" }));
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.title, "Beta", "the greater serialized value");
        assert_eq!(conflicts.len(), 1);
    }

    #[test]
    fn labels_merge_as_sets() {
        let b = with(&base(), json!({ "labels": ["api", "bug", "ui"] }));
        let o = edit(&b, T1, json!({ "labels": ["bug", "ui", "urgent"] })); // -api +urgent
        let t = edit(&b, T2, json!({ "labels": ["api", "bug", "security"] })); // -ui +security
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.labels, ["bug", "security", "urgent"]);
        assert!(conflicts.is_empty());
    }

    #[test]
    fn dependencies_and_links_merge_as_sets() {
        let link = |k: &str, t: &str| json!({ "kind": k, "target": t });
        let b = with(
            &base(),
            json!({ "dependencies": [DEP1], "links": [link("relates", DEP1)] }),
        );
        let o = edit(&b, T1, json!({ "dependencies": [DEP1, DEP2], "links": [] }));
        let t = edit(
            &b,
            T2,
            json!({ "dependencies": [DEP3], "links": [link("relates", DEP1), link("duplicates", DEP3)] }),
        );
        let (m, conflicts) = merge(&b, &o, &t);
        let deps: Vec<&str> = m.dependencies.iter().map(|d| d.as_str()).collect();
        assert_eq!(deps, [DEP2, DEP3]);
        assert_eq!(m.links.len(), 1);
        assert_eq!(m.links[0].target.as_str(), DEP3);
        assert!(conflicts.is_empty());
    }

    #[test]
    fn context_merges_per_key() {
        let b = with(
            &base(),
            json!({ "context": { "keep": "1", "drop": "x", "edit_vs_drop": "old", "both": "b" } }),
        );
        let o = edit(
            &b,
            T1,
            json!({ "context": {
            "keep": "1", "edit_vs_drop": "edited", "pr_url": "https://example.test/pr/1", "both": "ours"
        } }),
        );
        let t = edit(
            &b,
            T2,
            json!({ "context": { "keep": "1", "commit": "abc123", "both": "theirs" } }),
        );
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.context.get("keep").map(String::as_str), Some("1"));
        assert_eq!(
            m.context.get("pr_url").map(String::as_str),
            Some("https://example.test/pr/1")
        );
        assert_eq!(m.context.get("commit").map(String::as_str), Some("abc123"));
        assert!(!m.context.contains_key("drop"), "removed on both sides");
        assert_eq!(
            m.context.get("edit_vs_drop").map(String::as_str),
            Some("edited")
        );
        assert_eq!(
            m.context.get("both").map(String::as_str),
            Some("theirs"),
            "later update"
        );
        let mut got: Vec<(&str, &str)> = conflicts
            .iter()
            .map(|c| (c.field.as_str(), c.reason.as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("context.both", "both_changed"),
                ("context.edit_vs_drop", "edit_vs_delete")
            ]
        );
        assert_eq!(recorded(&m).len(), 2);
    }

    #[test]
    fn a_pass_is_not_lost_to_an_older_pending() {
        let b = with(
            &base(),
            json!({ "gates_required": ["review", "tests"], "gates_status": {
            "review": { "status": "pending" }, "tests": { "status": "pending" }
        } }),
        );
        let o = edit(
            &b,
            T2,
            json!({ "gates_status": {
            "review": { "status": "pending", "note": "asked alice" },
            "tests": { "status": "passed", "by": "ci:github", "at": T1 }
        } }),
        );
        let t = edit(
            &b,
            T3,
            json!({ "gates_status": {
            "review": { "status": "passed", "by": "human:alice", "at": T2 },
            "tests": { "status": "pending", "note": "re-run queued" }
        } }),
        );
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(
            m.gates_status["tests"].status.as_str(),
            "passed",
            "theirs is later, but its pending has no time"
        );
        assert_eq!(m.gates_status["review"].status.as_str(), "passed");
        assert_eq!(m.gates_status["review"].by.as_deref(), Some("human:alice"));
        assert_eq!(conflicts.len(), 2);
        assert!(
            conflicts
                .iter()
                .all(|c| c.field.starts_with("gates_status."))
        );
    }

    #[test]
    fn a_later_failure_beats_an_older_pass() {
        let b = with(
            &base(),
            json!({ "gates_required": ["tests"], "gates_status": { "tests": { "status": "pending" } } }),
        );
        let o = edit(
            &b,
            T3,
            json!({ "gates_status": { "tests": { "status": "passed", "at": T1 } } }),
        );
        let t = edit(
            &b,
            T2,
            json!({ "gates_status": { "tests": { "status": "failed", "at": T2, "exit_code": 1 } } }),
        );
        let (m, _) = merge(&b, &o, &t);
        assert_eq!(m.gates_status["tests"].status.as_str(), "failed");
        assert_eq!(m.gates_status["tests"].exit_code, Some(1));
    }

    #[test]
    fn a_gate_decided_at_the_same_time_prefers_passed() {
        let b = with(
            &base(),
            json!({ "gates_required": ["tests"], "gates_status": { "tests": { "status": "pending" } } }),
        );
        let o = edit(
            &b,
            T3,
            json!({ "gates_status": { "tests": { "status": "failed", "at": T1 } } }),
        );
        let t = edit(
            &b,
            T2,
            json!({ "gates_status": { "tests": { "status": "passed", "at": T1 } } }),
        );
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.gates_status["tests"].status.as_str(), "passed");
        assert_eq!(conflicts[0].kept, "theirs");
    }

    #[test]
    fn a_record_removed_on_one_side_and_edited_on_the_other_is_kept() {
        let c = |body: &str| json!([{ "id": "c1", "author": "human:a", "at": T0, "body": body }]);
        let b = with(&base(), json!({ "comments": c("typo") }));
        let o = edit(&b, T1, json!({ "comments": [] }));
        let t = edit(&b, T2, json!({ "comments": c("fixed") }));
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.comments[0].body, "fixed");
        assert_eq!(
            (conflicts[0].field.as_str(), conflicts[0].reason.as_str()),
            ("comments[c1]", "edit_vs_delete")
        );
        assert_eq!(recorded(&m)[0]["discarded"], Value::Null);
    }

    #[test]
    fn created_at_disagreeing_keeps_the_earlier() {
        let o = edit(&base(), T2, json!({ "created_at": T1 }));
        let t = edit(
            &base(),
            T1,
            json!({ "created_at": "2025-12-31T00:00:00.000Z" }),
        );
        let (m, _) = merge(&base(), &o, &t);
        assert_eq!(m.created_at.to_string(), "2025-12-31T00:00:00.000Z");
    }

    #[test]
    fn comments_added_on_both_sides_are_all_kept_in_time_order() {
        let c = |id: &str, at: &str, body: &str| json!({ "id": id, "author": "human:alice", "at": at, "body": body });
        let b = with(&base(), json!({ "comments": [c("c0", T0, "first")] }));
        let o = edit(
            &b,
            T3,
            json!({ "comments": [c("c0", T0, "first"), c("c3", T3, "ours late")] }),
        );
        let t = edit(
            &b,
            T2,
            json!({ "comments": [c("c0", T0, "first"), c("c1", T1, "theirs"), c("c2", T2, "x")] }),
        );
        let (m, conflicts) = merge(&b, &o, &t);
        let ids: Vec<&str> = m.comments.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, ["c0", "c1", "c2", "c3"]);
        assert!(conflicts.is_empty());
    }

    #[test]
    fn checklist_item_checked_on_one_side_and_reworded_on_the_other_keeps_both() {
        let item = |id: &str, text: &str| json!({ "id": id, "text": text, "checked": false });
        let b = with(
            &base(),
            json!({ "checklist": [item("a1", "Write tests"), item("a2", "Update docs")] }),
        );
        let o = edit(
            &b,
            T1,
            json!({ "checklist": [
            { "id": "a1", "text": "Write tests", "checked": true, "checked_by": "agent:x", "checked_at": T1 },
            item("a2", "Update docs"), item("o1", "Ours added")
        ] }),
        );
        let t = edit(
            &b,
            T2,
            json!({ "checklist": [
            item("a1", "Write unit tests"), item("a2", "Update docs"), item("t1", "Theirs added")
        ] }),
        );
        let (m, conflicts) = merge(&b, &o, &t);
        let a1 = &m.checklist[0];
        assert_eq!(
            (a1.id.as_str(), a1.text.as_str(), a1.checked),
            ("a1", "Write unit tests", true)
        );
        assert_eq!(a1.checked_by.as_deref(), Some("agent:x"));
        let ids: Vec<&str> = m.checklist.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(
            ids,
            ["a1", "a2", "o1", "t1"],
            "base order, then additions of the side updated first"
        );
        assert!(conflicts.is_empty(), "{conflicts:?}");
    }

    #[test]
    fn checklist_check_state_changed_on_both_sides_later_check_wins() {
        let b = with(
            &base(),
            json!({ "checklist": [
            { "id": "a1", "text": "Ship", "checked": true, "checked_by": "human:bob", "checked_at": T0 }
        ] }),
        );
        let o = edit(
            &b,
            T3,
            json!({ "checklist": [
            { "id": "a1", "text": "Ship", "checked": false, "checked_by": "human:ann", "checked_at": T1 }
        ] }),
        );
        let t = edit(
            &b,
            T2,
            json!({ "checklist": [
            { "id": "a1", "text": "Ship it", "checked": true, "checked_by": "human:cy", "checked_at": T2 }
        ] }),
        );
        let (m, conflicts) = merge(&b, &o, &t);
        let a1 = &m.checklist[0];
        assert!(a1.checked, "re-checked at T2, after the uncheck at T1");
        assert_eq!(a1.checked_by.as_deref(), Some("human:cy"));
        assert_eq!(a1.text, "Ship it");
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].field, "checklist[a1].checked");
    }

    #[test]
    fn checklist_text_edited_on_both_sides_later_wins() {
        let item = |text: &str| json!([{ "id": "a1", "text": text, "checked": false }]);
        let b = with(&base(), json!({ "checklist": item("Ship") }));
        let o = edit(&b, T1, json!({ "checklist": item("Ship v1") }));
        let t = edit(&b, T2, json!({ "checklist": item("Ship v2") }));
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.checklist[0].text, "Ship v2");
        assert_eq!(conflicts[0].field, "checklist[a1].text");
    }

    #[test]
    fn prs_merge_by_url_later_update_wins() {
        let pr = |url: &str, status: &str, at: &str| json!({ "url": url, "status": status, "updated_at": at });
        let b = with(
            &base(),
            json!({ "prs": [pr("https://x.test/pr/1", "open", T0)] }),
        );
        let o = edit(
            &b,
            T3,
            json!({ "prs": [pr("https://x.test/pr/1", "draft", T1), pr("https://x.test/pr/2", "open", T3)] }),
        );
        let t = edit(
            &b,
            T2,
            json!({ "prs": [pr("https://x.test/pr/1", "merged", T2)] }),
        );
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.prs.len(), 2);
        assert_eq!(m.prs[0].status.map(|s| s.as_str()), Some("merged"));
        assert_eq!(conflicts.len(), 1);
        assert_eq!(conflicts[0].field, "prs[https://x.test/pr/1]");
    }

    #[test]
    fn both_claimed_the_earlier_claim_is_kept_with_its_state() {
        let b = base();
        let claim = |who: &str, at: &str| {
            json!({ "assignee": who, "state": "in_progress",
                    "lease": { "holder": who, "acquired_at": at, "expires_at": T3 } })
        };
        let o = edit(&b, T3, claim("agent:late", T2)); // updated later, claimed later
        let t = edit(&b, T1, claim("agent:early", T1));
        let t = edit(&t, T2, json!({ "state": "gated" }));
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.assignee.as_deref(), Some("agent:early"));
        assert_eq!(
            m.lease.as_ref().map(|l| l.holder.as_str()),
            Some("agent:early")
        );
        assert_eq!(m.state, State::Gated, "the state travels with the claim");
        let c: Vec<(&str, &str, &str)> = conflicts
            .iter()
            .map(|c| (c.field.as_str(), c.kept.as_str(), c.reason.as_str()))
            .collect();
        assert_eq!(
            c,
            [
                ("assignee", "theirs", "claim"),
                ("state", "theirs", "claim")
            ]
        );
    }

    #[test]
    fn a_published_claim_beats_an_unpublished_one_and_a_later_epoch_an_earlier() {
        let b = base();
        let claim = |who: &str, at: &str, epoch: u64, remote: Option<&str>| {
            let mut stamp = json!({ "epoch": epoch });
            if let Some(r) = remote {
                stamp["remote"] = json!(r);
            }
            json!({ "assignee": who, "state": "in_progress", "claim": stamp,
                    "lease": { "holder": who, "acquired_at": at, "expires_at": T3 } })
        };
        // Claimed earlier but never published, against published: the published one stands.
        let o = edit(&b, T1, claim("agent:early", T1, 1, None));
        let t = edit(&b, T2, claim("agent:pub", T2, 1, Some("origin")));
        let (m, _) = merge(&b, &o, &t);
        assert_eq!(m.assignee.as_deref(), Some("agent:pub"));
        assert_eq!(
            m.claim.as_ref().and_then(|c| c.remote.as_deref()),
            Some("origin")
        );

        // Both published: the later epoch stands, even against a finish under the older one,
        // and the older holder's gate results are not kept.
        let gated = with(
            &b,
            json!({ "gates_required": ["review"],
            "gates_status": { "review": { "status": "pending" } } }),
        );
        let old = edit(&gated, T1, claim("agent:old", T1, 1, Some("origin")));
        let finished = edit(
            &old,
            T3,
            json!({ "state": "done", "lease": null,
            "gates_status": { "review": { "status": "passed", "by": "agent:old", "at": T3 } } }),
        );
        let taken = edit(&old, T2, claim("agent:new", T2, 2, Some("origin")));
        let (m, conflicts) = merge(&old, &finished, &taken);
        assert_eq!(m.assignee.as_deref(), Some("agent:new"));
        assert_eq!(m.epoch(), 2);
        assert_eq!(
            m.state,
            State::InProgress,
            "the superseded finish is not kept"
        );
        assert_eq!(
            m.gates_status["review"].status,
            crate::model::GateState::Pending
        );
        let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
        assert!(
            fields.contains(&"assignee") && fields.contains(&"gates_status"),
            "{fields:?}"
        );
    }

    #[test]
    fn an_explicit_state_beats_a_derived_one() {
        let b = with(&base(), json!({ "state": "backlog" }));
        // One side finished the issue; the other added a dependency (derived: backlog stays,
        // or a cascade made it ready later).
        let done = edit(&b, T1, json!({ "state": "done" }));
        let derived = edit(&b, T2, json!({ "state": "ready", "dependencies": [DEP1] }));
        let (m, _) = merge(&b, &done, &derived);
        assert_eq!(
            m.state,
            State::Done,
            "the later derived state does not undo done"
        );
        assert_eq!(m.dependencies.len(), 1);
    }

    /// The merge class of item "merges of finished work": from every starting state, every
    /// pair of the state changes jit makes (claims, heartbeats, releases, finishing, gating,
    /// archiving, reopening, and the derived moves a dependency change causes), each on one
    /// side at each of two times, merged both ways round. Always: an explicit state beats a
    /// derived one unless a claim contest carried the state with its winner; the result never
    /// contradicts its claim (a live lease only on started work, held by the assignee; no lease
    /// on finished work); and the same whichever side is ours.
    #[test]
    fn every_pair_of_state_changes_merges_explicit_over_derived_without_contradictions() {
        const FAR: &str = "2099-01-01T00:00:00.000Z";
        let lease = |who: &str, at: &str| json!({ "holder": who, "acquired_at": at, "expires_at": FAR, "ttl_secs": 1800 });
        let held = |state: &str| {
            with(
                &base(),
                json!({ "state": state, "assignee": "agent:a", "lease": lease("agent:a", T0), "claim": { "epoch": 1 } }),
            )
        };
        let bases = [
            (
                "backlog",
                with(
                    &base(),
                    json!({ "state": "backlog", "dependencies": [DEP1] }),
                ),
            ),
            ("ready", base()),
            ("in_progress", held("in_progress")),
            ("gated", held("gated")),
            (
                "done",
                with(
                    &base(),
                    json!({ "state": "done", "assignee": "agent:a", "claim": { "epoch": 1 } }),
                ),
            ),
            ("archived", with(&base(), json!({ "state": "archived" }))),
        ];
        // (name, derived?, the patch jit writes for that change from `b`), for one base.
        let changes = |b: &Value| -> Vec<(&'static str, bool, Value)> {
            let holder = b["assignee"].as_str().map(str::to_string);
            let open = !matches!(b["state"].as_str(), Some("done" | "archived"));
            let mut v = Vec::new();
            if open {
                for who in ["agent:a", "agent:b"] {
                    if holder.as_deref().is_none_or(|h| h == who) {
                        // A claim starts work not started; the holder's own claim renews.
                        let state = match b["state"].as_str() {
                            Some("backlog" | "ready") => json!("in_progress"),
                            _ => b["state"].clone(),
                        };
                        let epoch = if holder.is_some() { 1 } else { 2 };
                        v.push((
                            if who == "agent:a" { "claim a" } else { "claim b" },
                            false,
                            json!({ "state": state, "assignee": who, "lease": lease(who, T1), "claim": { "epoch": epoch } }),
                        ));
                    }
                }
                if let Some(h) = &holder {
                    v.push(("heartbeat", false, json!({ "lease": lease(h, T2) })));
                    v.push(("release", true, json!({ "state": "ready", "assignee": null, "lease": null, "claim": { "epoch": 2 } })));
                }
                v.push(("finish", false, json!({ "state": "done", "lease": null })));
                v.push(("gate", false, json!({ "state": "gated" })));
                v.push((
                    "archive",
                    false,
                    json!({ "state": "archived", "lease": null }),
                ));
            } else {
                v.push((
                    "reopen",
                    true,
                    json!({ "state": "ready", "assignee": null, "lease": null, "reopened": true }),
                ));
            }
            if matches!(b["state"].as_str(), Some("backlog" | "ready")) {
                v.push((
                    "dep added",
                    true,
                    json!({ "state": "backlog", "dependencies": [DEP1, DEP2] }),
                ));
                v.push(("dep done", true, json!({ "state": "ready" })));
            } else {
                // A dependency added to started or finished work leaves its state alone.
                v.push(("dep added", false, json!({ "dependencies": [DEP3] })));
            }
            v.push(("retitle", false, json!({ "title": "Renamed" })));
            v
        };
        let mut merges = 0;
        for (bname, b) in &bases {
            let cs = changes(b);
            for (i, (on, o_derived, op)) in cs.iter().enumerate() {
                for (tn, t_derived, tp) in cs.iter().skip(i) {
                    for (at_o, at_t) in [(T1, T2), (T2, T1)] {
                        let o = edit(b, at_o, op.clone());
                        let t = edit(b, at_t, tp.clone());
                        let (m, _) = merge(b, &o, &t);
                        merges += 1;
                        let what = format!("from {bname}: `{on}` at {at_o} with `{tn}` at {at_t}");
                        let state = |v: &Value| v["state"].as_str().unwrap().to_string();
                        let (so, st) = (state(&o), state(&t));
                        let claim_changed = |v: &Value| {
                            (&v["assignee"], &v["claim"], &v["lease"])
                                != (&b["assignee"], &b["claim"], &b["lease"])
                        };
                        // A claim contest carries the state with its winner.
                        let contest = claim_changed(&o) && claim_changed(&t);
                        // Explicit beats derived otherwise.
                        if so != st
                            && o_derived != t_derived
                            && so != state(b)
                            && st != state(b)
                            && !contest
                        {
                            let explicit = if *o_derived { &st } else { &so };
                            assert_eq!(&m.state.to_string(), explicit, "{what}: {m:?}");
                        }
                        let live = m.lease.is_some();
                        if live {
                            assert!(
                                !matches!(
                                    m.state,
                                    State::Backlog | State::Ready | State::Done | State::Archived
                                ),
                                "{what}: a lease on {} work: {m:?}",
                                m.state
                            );
                            assert_eq!(
                                m.assignee.as_deref(),
                                m.lease.as_ref().map(|l| l.holder.as_str()),
                                "{what}: the lease is not the assignee's"
                            );
                        }
                        // Finished work stays finished against a derived change (a release or a
                        // dependency change), unless that side handed the work to a new holder.
                        let new_holder =
                            |v: &Value| !v["assignee"].is_null() && v["assignee"] != b["assignee"];
                        let finished = |v: &str| v == "done" && state(b) != "done";
                        if (finished(&so) && *t_derived && st != "done" && !new_holder(&t))
                            || (finished(&st) && *o_derived && so != "done" && !new_holder(&o))
                        {
                            assert_eq!(m.state, State::Done, "{what}: finished work undone");
                        }
                    }
                }
            }
        }
        assert!(merges > 150, "{merges}");
    }

    #[test]
    fn both_claimed_without_leases_the_earlier_update_wins() {
        let b = base();
        let o = edit(
            &b,
            T1,
            json!({ "assignee": "human:ann", "state": "in_progress" }),
        );
        let t = edit(&b, T2, json!({ "assignee": "human:bob" }));
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.assignee.as_deref(), Some("human:ann"));
        assert_eq!(m.state, State::InProgress);
        assert_eq!(
            conflicts.len(),
            1,
            "state changed only on the winning side: {conflicts:?}"
        );
    }

    #[test]
    fn a_new_claim_beats_a_release_and_a_renewal_vs_release_goes_to_the_later() {
        let held = edit(
            &base(),
            T1,
            json!({ "assignee": "agent:a", "state": "in_progress",
            "lease": { "holder": "agent:a", "acquired_at": T1, "expires_at": T2 } }),
        );
        let released = edit(
            &held,
            T3,
            json!({ "assignee": null, "lease": null, "state": "ready" }),
        );
        let taken = edit(
            &held,
            T2,
            json!({ "assignee": "agent:b",
            "lease": { "holder": "agent:b", "acquired_at": T2, "expires_at": T3 } }),
        );
        let (m, _) = merge(&held, &released, &taken);
        assert_eq!(m.assignee.as_deref(), Some("agent:b"));
        assert_eq!(m.state, State::InProgress);

        let renewed = edit(
            &held,
            T2,
            json!({ "lease": { "holder": "agent:a", "acquired_at": T1, "expires_at": T3 } }),
        );
        let (m, conflicts) = merge(&held, &released, &renewed);
        assert_eq!(m.assignee, None, "the release came later");
        assert!(m.lease.is_none());
        assert_eq!(m.state, State::Ready);
        assert_eq!(conflicts[0].reason, "claim");
    }

    #[test]
    fn same_holder_on_both_sides_is_not_a_claim_conflict() {
        let held = edit(
            &base(),
            T1,
            json!({ "assignee": "agent:a",
            "lease": { "holder": "agent:a", "acquired_at": T1, "expires_at": T2 } }),
        );
        let o = edit(
            &held,
            T2,
            json!({ "lease": { "holder": "agent:a", "acquired_at": T1, "expires_at": T3 }, "title": "x" }),
        );
        let t = edit(
            &held,
            T3,
            json!({ "lease": { "holder": "agent:a", "acquired_at": T1, "expires_at": T0 }, "priority": "low" }),
        );
        let (m, conflicts) = merge(&held, &o, &t);
        assert_eq!(m.assignee.as_deref(), Some("agent:a"));
        assert!(conflicts.is_empty());
    }

    #[test]
    fn state_changed_on_both_sides_later_wins() {
        let b = base();
        let o = edit(&b, T1, json!({ "state": "archived" }));
        let t = edit(&b, T2, json!({ "state": "done" }));
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.state, State::Done);
        assert_eq!(conflicts[0].field, "state");
    }

    #[test]
    fn no_base_merges_an_issue_added_on_both_sides() {
        let o = edit(&base(), T1, json!({ "labels": ["a"], "title": "Ours" }));
        let t = edit(&base(), T2, json!({ "labels": ["b"], "milestone": "M1" }));
        for empty in [None, Some(&b""[..]), Some(&b"\n"[..])] {
            let out = merge_issue(empty, &bytes(&o), &bytes(&t)).unwrap();
            let m: Issue = serde_json::from_slice(&out.bytes).unwrap();
            assert_eq!(m.labels, ["a", "b"]);
            assert_eq!(m.milestone.as_deref(), Some("M1"));
            assert_eq!(
                m.title, "Fix login",
                "both 'added' a title; the later one stands"
            );
        }
        merge3(None, &o, &t);
    }

    #[test]
    fn unknown_fields_from_both_sides_survive() {
        let b = with(
            &base(),
            json!({ "x_shared": 1, "gates_status": { "g": { "status": "pending", "x_nested": true } } }),
        );
        let o = edit(&b, T1, json!({ "x_ours": { "a": [1, 2] }, "x_shared": 2 }));
        let t = edit(&b, T2, json!({ "x_theirs": "t" }));
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(m.extra.get("x_ours"), Some(&json!({ "a": [1, 2] })));
        assert_eq!(m.extra.get("x_theirs"), Some(&json!("t")));
        assert_eq!(m.extra.get("x_shared"), Some(&json!(2)));
        assert_eq!(
            m.gates_status["g"].extra.get("x_nested"),
            Some(&json!(true))
        );
        assert!(conflicts.is_empty());
    }

    #[test]
    fn malformed_input_is_an_error() {
        let good = bytes(&edit(&base(), T1, json!({ "title": "ok" })));
        let other = bytes(&edit(&base(), T2, json!({ "priority": "low" })));
        let b = bytes(&base());
        let missing_title = bytes(&with(&base(), json!({ "title": null })));
        for (base, ours, theirs) in [
            (Some(&b[..]), &b"{ not json"[..], &other[..]),
            (Some(&b[..]), &good[..], &b"<<<<<<< ours\n"[..]),
            (Some(&b"{\"id\": "[..]), &good[..], &other[..]),
            (Some(&b"[1, 2]"[..]), &good[..], &other[..]),
            (Some(&b[..]), &missing_title[..], &other[..]),
            (Some(&b[..]), &b""[..], &other[..]),
        ] {
            match merge_issue(base, ours, theirs) {
                Err(e @ Error::CorruptFile { .. }) => assert_eq!(e.code(), "corrupt_file"),
                other => panic!("expected corrupt_file, got {other:?}"),
            }
        }
    }

    #[test]
    fn different_ids_refuse_to_merge() {
        let o = edit(&base(), T1, json!({ "title": "a" }));
        let t = edit(
            &with(&base(), json!({ "id": DEP1 })),
            T2,
            json!({ "title": "b" }),
        );
        let err = merge_issue(Some(&bytes(&base())), &bytes(&o), &bytes(&t)).unwrap_err();
        assert_eq!(err.code(), "merge_failed");
    }

    #[test]
    fn one_side_unchanged_gives_the_other_side_unchanged() {
        let b = base();
        let t = edit(&b, T1, json!({ "title": "Theirs" }));
        let out = merge_issue(Some(&bytes(&b)), &bytes(&b), &bytes(&t)).unwrap();
        let expected: Issue = serde_json::from_value(t.clone()).unwrap();
        assert_eq!(
            out.bytes,
            expected.to_file_bytes().unwrap(),
            "no version bump"
        );
        let same = merge_issue(Some(&bytes(&b)), &bytes(&t), &bytes(&t)).unwrap();
        assert_eq!(same.bytes, out.bytes);
    }

    #[test]
    fn recorded_conflicts_merge_as_a_set_and_stay_bounded() {
        let b = base();
        let o = edit(&b, T2, json!({ "title": "O" }));
        let t = edit(&b, T1, json!({ "title": "T" }));
        let (first, _) = merge(&b, &o, &t);
        let first = serde_json::to_value(&first).unwrap();
        // Both branches carry the record forward and conflict again on another field.
        let o2 = edit(&first, T3, json!({ "description": "o2" }));
        let t2 = edit(&first, T2, json!({ "description": "t2" }));
        let (second, _) = merge(&first, &o2, &t2);
        let second = serde_json::to_value(&second).unwrap();
        let second_issue: Issue = serde_json::from_value(second.clone()).unwrap();
        let fields: Vec<String> = recorded(&second_issue)
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["title", "description"], "oldest first");
        // Clearing the record on one side clears it.
        let mut cleared = edit(&second, T3, json!({ "priority": "low" }));
        cleared.as_object_mut().unwrap().remove("merge_conflicts");
        let other = edit(&second, T3, json!({ "estimate": 2.0 }));
        let (third, _) = merge(&second, &cleared, &other);
        assert!(recorded(&third).is_empty());
        // Many conflicts: the newest are kept.
        let huge: Vec<Value> = (0..200)
            .map(|i| {
                let at = format!("2026-01-01T00:00:00.{i:03}Z");
                json!({ "at": at, "field": "x", "discarded": "y".repeat(1000), "reason": "both_changed" })
            })
            .collect();
        let kept = match kept_entries(huge).unwrap() {
            Value::Array(a) => a,
            other => panic!("{other}"),
        };
        assert_eq!(kept.len(), MAX_RECORDED_CONFLICTS);
        assert_eq!(
            kept.last().unwrap()["at"],
            json!("2026-01-01T00:00:00.199Z")
        );
    }

    /// Records an older jit kept as a JSON string in `context.merge_conflicts` move to the
    /// `merge_conflicts` field on the next merge (with this merge's own), and a hand-edited
    /// entry that is not a record is kept whole rather than lost or left unparseable.
    #[test]
    fn records_kept_in_the_context_by_an_older_jit_move_to_their_field() {
        let mut b = base();
        b["context"] = json!({
            "branch": "fix",
            "merge_conflicts": r#"[{"at":"2026-01-01T00:00:00.000Z","field":"title","discarded":"Old","reason":"both_changed"},"a note"]"#,
        });
        let o = edit(&b, T2, json!({ "title": "O" }));
        let t = edit(&b, T1, json!({ "title": "T" }));
        let (m, _) = merge(&b, &o, &t);
        assert_eq!(m.context.get("branch").map(String::as_str), Some("fix"));
        let got: Vec<(String, String)> = recorded(&m)
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_string(),
                    e["reason"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(got.len(), 3, "{:#?}", m.merge_conflicts);
        assert!(got.contains(&("title".into(), "both_changed".into())));
        assert!(got.contains(&(CONFLICTS_KEY.into(), "unreadable_record".into())));
        let note = m
            .merge_conflicts
            .iter()
            .find(|c| c.reason == "unreadable_record")
            .unwrap();
        assert_eq!(note.discarded, json!("a note"));
        // The file reads back: every record is a typed one.
        let again: Issue = serde_json::from_slice(&m.to_file_bytes().unwrap()).unwrap();
        assert_eq!(again.merge_conflicts, m.merge_conflicts);
    }

    #[test]
    fn long_discarded_values_are_recorded_truncated() {
        let b = base();
        let long = "x".repeat(5000);
        let o = edit(&b, T1, json!({ "description": long }));
        let t = edit(&b, T2, json!({ "description": "short" }));
        let (m, conflicts) = merge(&b, &o, &t);
        assert_eq!(
            conflicts[0].ours,
            json!(long),
            "the report keeps the full value"
        );
        let d = recorded(&m)[0]["discarded"].as_str().unwrap().to_string();
        assert_eq!(d.chars().count(), MAX_DISCARDED_CHARS + 1);
        assert!(d.ends_with('…'));
    }

    /// Every pair of a set of edits, both ways round: symmetric, valid and canonical.
    #[test]
    fn every_pair_of_edits_merges_symmetrically() {
        let b = with(
            &base(),
            json!({ "labels": ["a"], "context": { "k": "v" },
            "checklist": [{ "id": "i1", "text": "t", "checked": false }],
            "gates_required": ["tests"], "gates_status": { "tests": { "status": "pending" } } }),
        );
        let claim = |who: &str, at: &str| {
            json!({ "assignee": who, "state": "in_progress",
            "lease": { "holder": who, "acquired_at": at } })
        };
        let patches = [
            json!({ "title": "one" }),
            json!({ "title": "two", "labels": ["b"] }),
            json!({ "labels": ["a", "c"], "context": { "k": "w", "n": "1" } }),
            json!({ "context": {} }),
            json!({ "state": "done" }),
            claim("agent:a", T1),
            claim("agent:b", T2),
            json!({ "checklist": [{ "id": "i1", "text": "t", "checked": true, "checked_at": T1 }] }),
            json!({ "checklist": [{ "id": "i1", "text": "t2", "checked": false }, { "id": "i2", "text": "n", "checked": false }] }),
            json!({ "checklist": [] }),
            json!({ "gates_status": { "tests": { "status": "passed", "at": T1 } } }),
            json!({ "gates_status": { "tests": { "status": "failed", "at": T2 } } }),
            json!({ "x_unknown": [1] }),
            json!({ "comments": [{ "id": "c1", "author": "human:a", "at": T1, "body": "hi" }] }),
        ];
        let times = [T1, T2, T3];
        let mut merges = 0;
        for (i, p) in patches.iter().enumerate() {
            for (j, q) in patches.iter().enumerate() {
                let o = edit(&b, times[i % 3], p.clone());
                let t = edit(&b, times[j % 2], q.clone());
                merge(&b, &o, &t);
                merge3(None, &o, &t);
                merges += 2;
            }
        }
        assert_eq!(merges, 2 * patches.len() * patches.len());
    }

    #[test]
    fn merge_files_writes_the_result_into_ours() {
        let dir = tempfile::tempdir().unwrap();
        let (bp, op, tp) = (
            dir.path().join("base"),
            dir.path().join("ours"),
            dir.path().join("theirs"),
        );
        let b = base();
        std::fs::write(&bp, bytes(&b)).unwrap();
        std::fs::write(&op, bytes(&edit(&b, T1, json!({ "title": "Ours" })))).unwrap();
        std::fs::write(&tp, bytes(&edit(&b, T2, json!({ "priority": "high" })))).unwrap();
        let conflicts = merge_files(&bp, &op, &tp).unwrap();
        assert!(conflicts.is_empty());
        let m: Issue = serde_json::from_slice(&std::fs::read(&op).unwrap()).unwrap();
        assert_eq!((m.title.as_str(), m.priority.as_str()), ("Ours", "high"));

        // A missing base: added on both sides.
        merge_files(&dir.path().join("absent"), &op, &tp).unwrap();

        // Corrupt theirs: an error, and ours is left exactly as it was.
        let before = std::fs::read(&op).unwrap();
        std::fs::write(&tp, b"{ broken").unwrap();
        let err = merge_files(&bp, &op, &tp).unwrap_err();
        assert_eq!(err.code(), "corrupt_file");
        assert!(err.to_string().contains("theirs"), "{err}");
        assert_eq!(std::fs::read(&op).unwrap(), before);
    }
}
