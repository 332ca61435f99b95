//! Events: one JSON line per mutation in `.jit/events.jsonl`.
//!
//! Invariant: event ids are ULIDs, so sorting by id orders events by time even after a
//! `merge=union` has reordered or repeated lines.

use super::{Timestamp, payload};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every event type this jit writes, as one typed vocabulary, each with the typed payload its
/// `data` holds ([`Payload`], the shapes in [`super::payload`]). The strings are the log's
/// `type` field and never change; a log may hold types a newer jit added, so [`Event::kind`]
/// stays a string when read, and [`Event::data`] stays JSON (read it typed with
/// [`Payload::read`]).
macro_rules! event_kinds {
    ($( #[doc = $doc:literal] $variant:ident = $name:literal => $ty:ident; )*) => {
        /// An event type (see [`EventKind::ALL`] and docs/format.md).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum EventKind {
            $( #[doc = $doc] $variant, )*
        }

        impl EventKind {
            /// Every type, in the order docs/format.md lists them.
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),*];

            /// The type as written in the log.
            pub const fn as_str(self) -> &'static str {
                match self { $(EventKind::$variant => $name,)* }
            }

            /// One line on what the event records.
            pub const fn doc(self) -> &'static str {
                match self { $(EventKind::$variant => $doc.trim_ascii(),)* }
            }

            /// The type named `s`, if this jit writes it.
            pub fn parse(s: &str) -> Option<EventKind> {
                match s { $($name => Some(EventKind::$variant),)* _ => None }
            }

            /// The schema of this type's `data`.
            pub fn data_schema(self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
                match self {
                    $(EventKind::$variant => generator.subschema_for::<payload::$ty>(),)*
                }
            }
        }

        /// An event's type with its typed `data`: what every writer stages (`Tx::event`,
        /// `Tx::edit`), so a type cannot be written with another type's payload.
        #[derive(Debug, Clone, PartialEq)]
        pub enum Payload {
            $( #[doc = $doc] $variant(payload::$ty), )*
        }

        impl Payload {
            /// The event type this payload is written under.
            pub const fn kind(&self) -> EventKind {
                match self { $(Payload::$variant(_) => EventKind::$variant,)* }
            }

            /// The payload as the log's `data` object.
            pub fn to_data(&self) -> Value {
                let data = match self { $(Payload::$variant(d) => serde_json::to_value(d),)* };
                // Plain structs of strings, numbers and flags always serialize.
                data.unwrap_or_else(|_| Value::Object(Default::default()))
            }

            /// Reads an event's `data` as the payload of its type: `None` for a type this jit
            /// does not write, or data that does not have the type's shape (a hand-edited log).
            pub fn read(event: &Event) -> Option<Payload> {
                use serde::Deserialize as _;
                let empty = Value::Object(Default::default());
                let data = if event.data.is_null() { &empty } else { &event.data };
                match event.kind.as_str() {
                    $($name => payload::$ty::deserialize(data).ok().map(Payload::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

event_kinds! {
    /// an issue was created
    IssueCreated = "issue.created" => Created;
    /// fields of an issue changed
    IssueUpdated = "issue.updated" => Updated;
    /// an issue moved to another state (`data.by` when a command other than an update moved it)
    IssueStateChanged = "issue.state_changed" => Updated;
    /// promoted to ready because its last dependency finished (`data.cause` names it)
    IssueUnblocked = "issue.unblocked" => Unblocked;
    /// an actor took the issue under a lease
    IssueClaimed = "issue.claimed" => Claimed;
    /// the holder (or a human with `--force`) gave the issue back
    IssueReleased = "issue.released" => Released;
    /// an assignee was set without a lease
    IssueAssigned = "issue.assigned" => Nothing;
    /// the assignee was cleared
    IssueUnassigned = "issue.unassigned" => Nothing;
    /// finished work was opened again
    IssueReopened = "issue.reopened" => Reopened;
    /// an issue was deleted (`data.title`)
    IssueDeleted = "issue.deleted" => Deleted;
    /// `validate --fix` repaired the issue (`data.by`)
    IssueRepaired = "issue.repaired" => Repaired;
    /// the issue was set aside until a time (`issue defer`; `data.until`)
    IssueDeferred = "issue.deferred" => Deferred;
    /// a deferral was ended before its time (`issue undefer`)
    IssueUndeferred = "issue.undeferred" => Nothing;
    /// a lease ran out and its issue was taken by another claim
    LeaseExpired = "lease.expired" => Expired;
    /// the holder extended its lease (heartbeat, or claiming again)
    LeaseRenewed = "lease.renewed" => Claimed;
    /// `sync` learned that another clone's claim won and took this one back
    ClaimSuperseded = "claim.superseded" => Superseded;
    /// a dependency was added
    DepAdded = "dep.added" => Dependency;
    /// a dependency was removed
    DepRemoved = "dep.removed" => Dependency;
    /// a gate was defined in the registry
    GateDefined = "gate.defined" => Gate;
    /// a gate's definition changed
    GateRedefined = "gate.redefined" => Gate;
    /// an issue now requires a gate
    GateAdded = "gate.added" => Gate;
    /// a gate passed on an issue
    GatePassed = "gate.passed" => GateRun;
    /// a gate failed on an issue
    GateFailed = "gate.failed" => GateRun;
    /// a checklist item was added
    ChecklistAdded = "checklist.added" => ChecklistItem;
    /// a checklist item was checked
    ChecklistChecked = "checklist.checked" => ChecklistItem;
    /// a checklist item was unchecked
    ChecklistUnchecked = "checklist.unchecked" => ChecklistItem;
    /// a comment was added
    CommentAdded = "comment.added" => Comment;
    /// a link was added
    LinkAdded = "link.added" => Link;
    /// a link was removed
    LinkRemoved = "link.removed" => Link;
    /// a pull request was linked
    PrLinked = "pr.linked" => PrLinked;
    /// the store's config changed
    ConfigUpdated = "config.updated" => ConfigUpdated;
    /// a hook was defined
    HookAdded = "hook.added" => Hook;
    /// a hook's definition changed
    HookUpdated = "hook.updated" => Hook;
    /// a hook was removed
    HookRemoved = "hook.removed" => Hook;
    /// `hook test` sent a test delivery
    HookTest = "hook.test" => Hook;
    /// an alert was defined
    AlertDefined = "alert.defined" => Alert;
    /// an alert's definition changed
    AlertRedefined = "alert.redefined" => Alert;
    /// an alert was removed
    AlertUndefined = "alert.undefined" => Alert;
    /// an alert's condition began to hold
    AlertFired = "alert.fired" => AlertFired;
    /// an alert's condition stopped holding
    AlertResolved = "alert.resolved" => AlertResolved;
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<EventKind> for String {
    fn eq(&self, other: &EventKind) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<EventKind> for &str {
    fn eq(&self, other: &EventKind) -> bool {
        *self == other.as_str()
    }
}

impl schemars::JsonSchema for EventKind {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "EventKind".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        schemars::json_schema!({
            "description": "The event type. These are the types this version writes; a log may also hold types a newer jit added, which readers should pass over.",
            "anyOf": [
                { "type": "string", "enum": names },
                { "type": "string", "pattern": "^[a-z_]+\\.[a-z_]+$" }
            ]
        })
    }
}

/// One field that a mutation changed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Change {
    pub field: String,
    pub before: Value,
    pub after: Value,
}

/// One line of the event log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[schemars(transform = data_by_type)]
pub struct Event {
    /// A ULID: unique, ordered by time; what a hook's receiver de-duplicates deliveries by.
    pub id: String,
    pub ts: Timestamp,
    /// The event type: `issue.created`, `issue.state_changed`, `gate.failed`, ... (docs/format.md
    /// lists them all). New types may be added.
    #[serde(rename = "type")]
    #[schemars(with = "EventKind")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue: Option<String>,
    pub actor: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    /// What the event records beyond its changes; its shape depends on `type` (the schema
    /// gives each type's, [`Payload`] is the same in Rust).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

impl Event {
    /// An event whose type and data are the payload's.
    pub fn new(
        id: String,
        ts: Timestamp,
        actor: &str,
        issue: Option<&str>,
        changes: Vec<Change>,
        payload: &Payload,
    ) -> Event {
        Event {
            id,
            ts,
            kind: payload.kind().as_str().to_string(),
            issue: issue.map(str::to_string),
            actor: actor.to_string(),
            changes,
            data: payload.to_data(),
        }
    }
}

/// Adds to the event schema the shape of `data` for each type this jit writes: one `if type is
/// T then data is T's payload` rule per type (types it does not know keep any object), each
/// payload allowing `forced_from`.
fn data_by_type(schema: &mut schemars::Schema) {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| {
            s.inline_subschemas = true;
            s.meta_schema = None;
        })
        .into_generator();
    let rules: Vec<Value> = EventKind::ALL
        .iter()
        .map(|kind| {
            let mut data = kind.data_schema(&mut generator).to_value();
            if let Some(obj) = data.as_object_mut() {
                obj.remove("title");
                let props = obj
                    .entry("properties")
                    .or_insert_with(|| Value::Object(Default::default()));
                if let Some(props) = props.as_object_mut() {
                    props.insert(
                        "forced_from".into(),
                        serde_json::json!({
                            "description": "The holder a human's `--force` moved the issue from.",
                            "type": "string"
                        }),
                    );
                }
            }
            if *kind == EventKind::LinkRemoved {
                // What older jits wrote when a deletion removed a link.
                let older = serde_json::json!({
                    "description": "A deletion's unlinking, as jit before typed payloads wrote it.",
                    "type": "object",
                    "properties": {
                        "cause": { "const": "issue.deleted" },
                        "dependency": { "type": "string" }
                    },
                    "required": ["cause", "dependency"]
                });
                data = serde_json::json!({ "anyOf": [data, older] });
            }
            serde_json::json!({
                "if": { "properties": { "type": { "const": kind.as_str() } }, "required": ["type"] },
                "then": { "properties": { "data": data }, "required": ["data"] }
            })
        })
        .collect();
    schema.insert("allOf".into(), Value::Array(rules));
}

#[cfg(test)]
mod tests {
    use super::EventKind;

    /// docs/format.md names every type this jit writes, and nothing else that looks like one.
    #[test]
    fn the_format_doc_lists_every_event_kind() {
        let doc = include_str!("../../docs/format.md");
        let para = doc
            .split("\nTypes: ")
            .nth(1)
            .and_then(|p| p.split("\n\n").next())
            .expect("docs/format.md lists the event types");
        let listed: std::collections::BTreeSet<&str> = para
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|t| {
                t.split_once('.').is_some_and(|(a, b)| {
                    !a.is_empty() && !b.is_empty() && !b.contains('.') && !a.starts_with("data")
                }) && t
                    .bytes()
                    .all(|b| b == b'_' || b == b'.' || b.is_ascii_lowercase())
            })
            .collect();
        let known: std::collections::BTreeSet<&str> =
            EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(listed, known);
    }

    /// A payload reads back from the event it makes, as itself; a payload of the wrong shape
    /// for its type does not.
    #[test]
    fn payloads_read_back() {
        use super::{Event, Payload, payload};
        use crate::model::{LinkKind, PrStatus, Timestamp};
        let samples = [
            Payload::IssueCreated(payload::Created {
                title: "t".into(),
                source: Some("beads".into()),
                source_id: Some("bd-1".into()),
            }),
            Payload::IssueStateChanged(payload::Updated {
                cause: Some("gates passed".into()),
                ..Default::default()
            }),
            Payload::IssueAssigned(payload::Nothing {}),
            Payload::LeaseExpired(payload::Expired { holder: None }),
            Payload::IssueDeferred(payload::Deferred {
                until: Timestamp::from_millis(1_700_000_000_000),
            }),
            Payload::LinkRemoved(payload::Link {
                kind: LinkKind::Duplicates,
                target: "01J9X2".into(),
                cause: Some("issue.deleted".into()),
            }),
            Payload::PrLinked(payload::PrLinked {
                url: "https://example.com/pr/1".into(),
                created: true,
                status: Some(PrStatus::Merged),
                ci: None,
            }),
            Payload::GateFailed(payload::GateRun {
                gate: "tests".into(),
                by: "ci:github".into(),
                exit_code: Some(1),
            }),
        ];
        let ts = Timestamp::from_millis(1_700_000_000_000);
        for p in samples {
            let e = Event::new("01J".into(), ts, "human:a", None, Vec::new(), &p);
            assert_eq!(e.kind, p.kind().as_str());
            let line = serde_json::to_string(&e).unwrap();
            let back: Event = serde_json::from_str(&line).unwrap();
            assert_eq!(Payload::read(&back), Some(p));
        }
        let mut e = Event::new(
            "01J".into(),
            ts,
            "human:a",
            None,
            Vec::new(),
            &Payload::CommentAdded(payload::Comment {
                comment: "c".into(),
            }),
        );
        e.kind = "gate.passed".into();
        assert_eq!(Payload::read(&e), None);
        e.kind = "issue.teleported".into();
        assert_eq!(Payload::read(&e), None);
    }

    #[test]
    fn kinds_parse_back_and_are_unique() {
        for k in EventKind::ALL {
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
            assert!(!k.doc().is_empty());
        }
        assert_eq!(EventKind::parse("issue.nope"), None);
        let read: String = "gate.failed".into();
        assert!(read == EventKind::GateFailed);
    }
}
