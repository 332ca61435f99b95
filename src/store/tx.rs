//! A transaction: the one way to change the store.
//!
//! Invariants: a [`Tx`] exists only while the store lock is held. Issues are read from disk at
//! first access inside the lock (so checks see the latest state), changes are staged in memory,
//! and [`Tx::commit`] writes each changed file atomically, then appends the staged events in one
//! write. A staged issue whose content equals what was read is not rewritten and keeps its version.

use super::{Store, StoreLock, events, to_pretty, write_atomic};
use crate::error::{Error, Result};
use crate::model::{Actor, Change, Config, Event, GateDef, Issue, IssueId, Timestamp};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// A running transaction. See the module docs.
pub struct Tx<'a> {
    store: &'a Store,
    _lock: StoreLock,
    /// Who is acting.
    pub actor: Actor,
    /// The transaction's time: every timestamp it writes.
    pub now: Timestamp,
    originals: HashMap<IssueId, Option<Issue>>,
    staged: BTreeMap<IssueId, Option<Issue>>,
    gates: Option<BTreeMap<String, GateDef>>,
    gates_dirty: bool,
    config: Option<Config>,
    events: Vec<Event>,
    last_event: Option<ulid::Ulid>,
}

impl<'a> Tx<'a> {
    pub(super) fn new(store: &'a Store, lock: StoreLock, actor: Actor, now: Timestamp) -> Self {
        Tx {
            store,
            _lock: lock,
            actor,
            now,
            originals: HashMap::new(),
            staged: BTreeMap::new(),
            gates: None,
            gates_dirty: false,
            config: None,
            events: Vec::new(),
            last_event: None,
        }
    }

    /// The store this transaction writes.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Resolves user input to an id (under the lock).
    pub fn resolve(&self, input: &str) -> Result<IssueId> {
        self.store.resolve(input)
    }

    /// The current state of an issue: staged if this transaction changed it, else from disk.
    pub fn get(&mut self, id: &IssueId) -> Result<Issue> {
        if let Some(s) = self.staged.get(id) {
            return s
                .clone()
                .ok_or_else(|| Error::NotFound { id: id.to_string() });
        }
        if !self.originals.contains_key(id) {
            let loaded = match self.store.load(id) {
                Ok(i) => Some(i),
                Err(Error::NotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            self.originals.insert(id.clone(), loaded);
        }
        self.originals[id]
            .clone()
            .ok_or_else(|| Error::NotFound { id: id.to_string() })
    }

    /// Resolves user input, reads the issue and checks `--if-version`: how every mutation of
    /// one existing issue starts.
    pub fn open(&mut self, input: &str, if_version: Option<u64>) -> Result<Issue> {
        let id = self.resolve(input)?;
        let issue = self.get(&id)?;
        check_version(&issue, if_version)?;
        Ok(issue)
    }

    /// Whether an issue exists (staged or on disk).
    pub fn exists(&mut self, id: &IssueId) -> Result<bool> {
        match self.get(id) {
            Ok(_) => Ok(true),
            Err(Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Stages a new issue. Fails if the id is taken.
    pub fn insert(&mut self, mut issue: Issue) -> Result<Issue> {
        if self.exists(&issue.id)? {
            return Err(Error::Internal(format!(
                "issue `{}` already exists",
                issue.id
            )));
        }
        issue.normalize();
        issue.version = 1;
        issue.updated_at = self.now;
        self.staged.insert(issue.id.clone(), Some(issue.clone()));
        Ok(issue)
    }

    /// Stages a changed issue. Bumps `version` (once per transaction) and `updated_at` when its
    /// content differs from what was read; returns the issue as it will be written.
    pub fn put(&mut self, mut issue: Issue) -> Result<Issue> {
        issue.normalize();
        let original = match self.originals.get(&issue.id) {
            Some(o) => o.clone(),
            None => {
                self.get(&issue.id)?;
                self.originals.get(&issue.id).cloned().flatten()
            }
        };
        if let Some(orig) = original {
            let mut same = issue.clone();
            same.version = orig.version;
            same.updated_at = orig.updated_at;
            if same == orig {
                self.staged.insert(issue.id.clone(), Some(orig.clone()));
                return Ok(orig);
            }
            issue.version = orig.version + 1;
        }
        issue.updated_at = self.now;
        self.staged.insert(issue.id.clone(), Some(issue.clone()));
        Ok(issue)
    }

    /// Stages the removal of an issue.
    pub fn delete(&mut self, id: &IssueId) -> Result<Issue> {
        let issue = self.get(id)?;
        self.staged.insert(id.clone(), None);
        Ok(issue)
    }

    /// The gate registry as this transaction sees it.
    pub fn gates(&mut self) -> Result<&BTreeMap<String, GateDef>> {
        let gates = match self.gates.take() {
            Some(g) => g,
            None => self.store.gates()?,
        };
        Ok(self.gates.insert(gates))
    }

    /// Stages a new gate registry.
    pub fn put_gates(&mut self, gates: BTreeMap<String, GateDef>) {
        self.gates = Some(gates);
        self.gates_dirty = true;
    }

    /// Stages a new `config.json` (written after the gate registry, before the events).
    pub fn put_config(&mut self, config: Config) {
        self.config = Some(config);
    }

    /// Stages one event.
    pub fn event(
        &mut self,
        kind: &str,
        issue: Option<&IssueId>,
        changes: Vec<Change>,
        data: Value,
    ) {
        let id = match self.last_event.and_then(|u| u.increment().ok()) {
            Some(next) => next,
            None => crate::random::ulid(),
        };
        self.last_event = Some(id);
        self.events.push(Event {
            id: id.to_string(),
            ts: self.now,
            kind: kind.to_string(),
            issue: issue.map(|i| i.to_string()),
            actor: self.actor.to_string(),
            changes,
            data,
        });
    }

    /// Stages an event whose changes are the field differences between two versions of an issue.
    pub fn record(
        &mut self,
        kind: &str,
        before: Option<&Issue>,
        after: &Issue,
        data: Value,
    ) -> Result<()> {
        let b = match before {
            Some(b) => serde_json::to_value(b).map_err(|e| Error::Internal(e.to_string()))?,
            None => Value::Object(Default::default()),
        };
        let a = serde_json::to_value(after).map_err(|e| Error::Internal(e.to_string()))?;
        let mut changes = diff_values(&b, &a);
        if before.is_some() && changes.is_empty() {
            return Ok(()); // a no-op logs nothing
        }
        if before.is_none() {
            // A creation: record the fields that carry something, not every empty default.
            changes.retain(|c| {
                !is_empty_value(&c.after) && c.field != "id" && c.field != "created_at"
            });
        }
        self.event(kind, Some(&after.id), changes, data);
        Ok(())
    }

    /// Writes everything staged. Issue files first (each atomically), then the gate registry and
    /// the config, then all events in one append.
    pub(super) fn commit(self) -> Result<()> {
        // Many files (an import) are written as one batch with one flush; a few, one by one.
        let mut writes: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
        let mut created: Vec<&IssueId> = Vec::new();
        for (id, staged) in &self.staged {
            if let Some(issue) = staged {
                let original = self.originals.get(id).and_then(Option::as_ref);
                if Some(issue) != original {
                    writes.push((self.store.issue_path(id), issue.to_file_bytes()?));
                    if original.is_none() {
                        created.push(id);
                    }
                }
            }
        }
        if writes.len() >= super::atomic::BATCH {
            // The short-id cache is a hint: a batch leaves it to the next listing to fill.
            super::atomic::write_batch(&writes)?;
        } else {
            for (path, bytes) in &writes {
                write_atomic(path, bytes)?;
            }
            for id in created {
                super::short_cache::remember(self.store.dir(), id);
            }
        }
        for (id, staged) in &self.staged {
            match staged {
                Some(_) => {}
                None => {
                    let p = self.store.issue_path(id);
                    super::short_cache::forget(self.store.dir(), id);
                    match std::fs::remove_file(&p) {
                        Ok(()) => super::sync_dir(&self.store.issues_dir()),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(Error::io(format!("removing `{}`", p.display()), e)),
                    }
                }
            }
        }
        if self.gates_dirty
            && let Some(g) = &self.gates
        {
            write_atomic(&self.store.dir().join("gates.json"), &to_pretty(g)?)?;
        }
        if let Some(c) = &self.config {
            write_atomic(&self.store.dir().join("config.json"), &to_pretty(c)?)?;
        }
        events::append(&self.store.events_path(), &self.events)
    }
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Checks `--if-version` against the stored version.
pub fn check_version(issue: &Issue, expected: Option<u64>) -> Result<()> {
    match expected {
        Some(v) if v != issue.version => Err(Error::VersionConflict {
            id: issue.id.to_string(),
            expected: v,
            actual: issue.version,
        }),
        _ => Ok(()),
    }
}

/// Field-level differences between two JSON objects, ignoring bookkeeping fields.
pub fn diff_values(before: &Value, after: &Value) -> Vec<Change> {
    let empty = serde_json::Map::new();
    let b = before.as_object().unwrap_or(&empty);
    let a = after.as_object().unwrap_or(&empty);
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| !matches!(k.as_str(), "version" | "updated_at"))
        .filter_map(|k| {
            let bv = b.get(k).cloned().unwrap_or(Value::Null);
            let av = a.get(k).cloned().unwrap_or(Value::Null);
            (bv != av).then(|| Change {
                field: k.clone(),
                before: bv,
                after: av,
            })
        })
        .collect()
}
