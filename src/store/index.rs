//! A derived summary index, `.jit/cache/summary.v1`, so that `query ready` and `claim-next` need
//! not read every issue file: each entry holds the fields readiness depends on, and only the
//! issues that match are read in full.
//!
//! Invariants (the files stay the source of truth):
//! - An entry is used only while its file's size, modification time and inode are unchanged,
//!   and only if the file was last modified well before the index was written (a change within
//!   the file system's timestamp granularity could otherwise go unseen, as git's "racily clean"
//!   rule guards against). Anything else is read from the file, so a hand edit or a `git pull`
//!   is seen by the next command.
//! - Writes are best effort and atomic (temp file and rename); deleting the index changes no
//!   output, only speed.

use super::{FileProblem, Store};
use crate::error::Result;
use crate::model::{
    GateState, GateStatus, Issue, IssueId, Lease, Link, Priority, State, Timestamp,
};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

const FILE: &str = "summary.v2";
/// Files modified this close to the index's writing are always re-read.
const RACY_MS: i64 = 2000;

/// What readiness, work order, progress and incoming links need of an issue. Serialized as an
/// array (no field names) with times in milliseconds: the index is read on every `query ready`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Summary(
    State,
    Priority,
    String,
    Option<String>,
    Option<Lease>,
    Vec<IssueId>,
    BTreeMap<String, GateState>,
    Vec<String>,
    Option<IssueId>,
    Vec<Link>,
    i64,
    i64,
);

impl Summary {
    fn of(i: &Issue) -> Self {
        Summary(
            i.state,
            i.priority,
            i.kind.clone(),
            i.assignee.clone(),
            i.lease.clone(),
            i.dependencies.clone(),
            i.gates_status
                .iter()
                .map(|(k, g)| (k.clone(), g.status))
                .collect(),
            i.gates_required.clone(),
            i.parent.clone(),
            i.links.clone(),
            i.created_at.millis(),
            i.updated_at.millis(),
        )
    }

    /// An issue holding only the summarised fields; its text fields are empty.
    fn skeleton(&self, id: &IssueId) -> Issue {
        let Summary(
            state,
            priority,
            kind,
            assignee,
            lease,
            deps,
            gates,
            required,
            parent,
            links,
            created,
            updated,
        ) = self;
        let mut i = Issue::new(id.clone(), String::new(), Timestamp::from_millis(*created));
        i.state = *state;
        i.priority = *priority;
        i.kind = kind.clone();
        i.assignee = assignee.clone();
        i.lease = lease.clone();
        i.dependencies = deps.clone();
        i.gates_required = required.clone();
        i.gates_status = gates
            .iter()
            .map(|(k, s)| {
                let mut g = GateStatus::pending();
                g.status = *s;
                (k.clone(), g)
            })
            .collect();
        i.parent = parent.clone();
        i.links = links.clone();
        i.updated_at = Timestamp::from_millis(*updated);
        i
    }
}

/// One issue's entry: id, file length, mtime (seconds, nanoseconds), inode, summary.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Entry(IssueId, u64, (i64, i64), u64, Summary);

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    version: u32,
    written_ms: i64,
}

fn path(store: &Store) -> PathBuf {
    store.dir().join("cache").join(FILE)
}

fn read_index(store: &Store) -> (i64, HashMap<IssueId, Entry>) {
    let Ok(bytes) = std::fs::read(path(store)) else {
        return (0, HashMap::new());
    };
    let mut lines = bytes.split(|b| *b == b'\n');
    let Some(Ok(h)) = lines.next().map(serde_json::from_slice::<Header>) else {
        return (0, HashMap::new());
    };
    if h.version != 1 {
        return (0, HashMap::new());
    }
    let entries = lines
        .filter_map(|l| serde_json::from_slice::<Entry>(l).ok())
        .map(|e| (e.0.clone(), e))
        .collect();
    (h.written_ms, entries)
}

fn write_index(store: &Store, entries: &[Entry]) {
    let dir = store.dir().join("cache");
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let written_ms = crate::clock::system_millis() as i64;
    let mut out = match serde_json::to_vec(&Header {
        version: 1,
        written_ms,
    }) {
        Ok(v) => v,
        Err(_) => return,
    };
    out.push(b'\n');
    for e in entries {
        if serde_json::to_writer(&mut out, e).is_err() {
            return;
        }
        out.push(b'\n');
    }
    // An index of an older format is dead weight once this one is written.
    let _ = std::fs::remove_file(dir.join("summary.v1"));
    let tmp = dir.join(format!(".{FILE}.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, &out).is_ok() && std::fs::rename(&tmp, path(store)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Every issue as a skeleton (state, priority, type, assignee, lease, dependencies, gates,
/// parent, times; text fields empty), with the files that could not be read. Reads only the
/// files the index does not vouch for, and refreshes the index when it read any.
pub fn skeletons(store: &Store) -> Result<(Vec<Issue>, Vec<FileProblem>)> {
    let (ids, mut problems) = store.list_ids()?;
    let (written_ms, cached) = read_index(store);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let chunk = ids.len().div_ceil(threads).max(1);
    type Part = Vec<(Option<Entry>, bool, Option<FileProblem>)>;
    let parts: Vec<Part> = std::thread::scope(|s| {
        let handles: Vec<_> = ids
            .chunks(chunk)
            .map(|part| {
                let cached = &cached;
                s.spawn(move || {
                    let mut buf = Vec::with_capacity(16 * 1024);
                    part.iter()
                        .map(|id| {
                            let p = store.issue_path(id);
                            let Ok(meta) = std::fs::metadata(&p) else {
                                return (None, false, None); // deleted since the listing
                            };
                            let (len, mtime, ino) =
                                (meta.len(), (meta.mtime(), meta.mtime_nsec()), meta.ino());
                            let settled = mtime.0.saturating_mul(1000) + mtime.1 / 1_000_000
                                < written_ms - RACY_MS;
                            if let Some(e) = cached.get(id)
                                && settled
                                && e.1 == len
                                && e.2 == mtime
                                && e.3 == ino
                            {
                                return (Some(e.clone()), false, None);
                            }
                            match store.load_listed(id, &mut buf) {
                                Ok(issue) => (
                                    Some(Entry(id.clone(), len, mtime, ino, Summary::of(&issue))),
                                    true,
                                    None,
                                ),
                                Err(crate::error::Error::NotFound { .. }) => (None, false, None),
                                Err(e) => (None, false, Some(FileProblem::from_error(&p, &e))),
                            }
                        })
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut entries = Vec::with_capacity(ids.len());
    let mut refreshed = false;
    for (entry, read, problem) in parts.into_iter().flatten() {
        refreshed |= read;
        if let Some(p) = problem {
            problems.push(p);
        }
        if let Some(e) = entry {
            entries.push(e);
        }
    }
    if refreshed || entries.len() != cached.len() {
        write_index(store, &entries);
    }
    let issues = entries.iter().map(|e| e.4.skeleton(&e.0)).collect();
    Ok((issues, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_keeps_what_readiness_needs() {
        let now = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let id = IssueId::parse("01JABCDEFGHJKMNPQRSTVWXYZ0").unwrap();
        let mut i = Issue::new(id.clone(), "title".into(), now);
        i.state = State::Backlog;
        i.priority = Priority::High;
        i.dependencies = vec![IssueId::parse("01JABCDEFGHJKMNPQRSTVWXYZ1").unwrap()];
        i.gates_required = vec!["review".into()];
        i.gates_status
            .insert("review".into(), GateStatus::pending());
        i.assignee = Some("agent:a".into());
        let s = Summary::of(&i).skeleton(&id);
        assert_eq!(
            (s.state, s.priority, &s.dependencies, &s.gates_required),
            (i.state, i.priority, &i.dependencies, &i.gates_required)
        );
        assert_eq!(s.unpassed_gates(), i.unpassed_gates());
        assert_eq!(
            (s.assignee, s.created_at),
            (i.assignee.clone(), i.created_at)
        );
        let round: Summary =
            serde_json::from_str(&serde_json::to_string(&Summary::of(&i)).unwrap()).unwrap();
        assert_eq!(round, Summary::of(&i));
        assert!(s.title.is_empty() && s.description.is_empty());
    }
}
