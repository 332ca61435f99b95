//! The event log as history: filtered queries over `.jit/events.jsonl` (`events query`, and one
//! issue's log, `issue log`, which is the same query narrowed to that issue), one-line summaries
//! of events, and tailing the log, once or following new lines as other processes append them.
//!
//! Invariants: readers take no lock and never write. Events come out sorted by id (ULIDs, so by
//! time) with duplicate ids dropped, because a git `merge=union` may reorder or repeat lines.
//! Unreadable lines are counted and skipped, never fatal. A follower reads only the bytes
//! appended since its last poll; an incomplete last line is held back until its newline arrives.
//!
//! Memory stays bounded whatever the log's size: a query streams the log and keeps only its
//! matches (with `--limit`, only the newest `limit` of them); `tail` without `--after` reads
//! backwards from the end of the file and stops once it has the events it shows.

use crate::error::{Error, Result};
use crate::model::{Event, IdPrefix, IssueId, Payload, Timestamp};
use crate::queries::wildcard;
use crate::store::Store;
use crate::store::events::{self, BadLine};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::io::{Read, Seek, SeekFrom};
use std::ops::ControlFlow;
use std::path::PathBuf;

/// How many events `events tail` shows when neither `--after` nor `--limit` is given.
pub const DEFAULT_TAIL: usize = 20;

/// What `events query` takes, as typed by the user.
#[derive(Debug, Clone, Default)]
pub struct EventQuery {
    /// RFC 3339, a date, or a span back from now (`1h`).
    pub since: Option<String>,
    /// An event type, or a pattern with `*` (`gate.*`).
    pub kind: Option<String>,
    /// An issue id, short id or prefix; also a deleted issue's id.
    pub issue: Option<String>,
    /// An actor, or a pattern with `*` (`agent:*`).
    pub actor: Option<String>,
    /// Keep only the most recent N matches.
    pub limit: Option<usize>,
}

/// The reply of `events query`.
#[derive(Debug, Serialize)]
pub struct EventPage {
    /// Matching events, oldest first (the most recent `limit` of them).
    pub events: Vec<Event>,
    /// How many events matched before `limit`.
    pub total: usize,
    /// Lines of the log that could not be read (skipped).
    pub unreadable_lines: usize,
}

fn check_pattern(field: &str, p: &str) -> Result<String> {
    let p = p.trim();
    if p.is_empty() {
        return Err(Error::invalid(field, "is blank"));
    }
    if p.chars().count() > 200 {
        return Err(Error::invalid(field, "longer than 200 characters"));
    }
    if p.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::invalid(
            field,
            format!(
                "`{}` contains whitespace or control characters",
                p.escape_debug()
            ),
        ));
    }
    Ok(p.to_string())
}

fn check_limit(limit: Option<usize>) -> Result<Option<usize>> {
    match limit {
        Some(0) => Err(Error::invalid("limit", "must be at least 1")),
        other => Ok(other),
    }
}

/// Resolves `--issue`: an existing issue by any accepted form, else (a deleted issue) an id the
/// log mentions, matched by the same prefix rules (one pass over the log).
fn resolve_issue(store: &Store, input: &str) -> Result<String> {
    match store.resolve(input) {
        Ok(id) => return Ok(id.to_string()),
        Err(Error::NotFound { .. }) => {}
        Err(e) => return Err(e),
    }
    let prefix = IdPrefix::parse(input)?;
    let mut hits: std::collections::BTreeSet<String> = Default::default();
    events::scan(&store.events_path(), |e| {
        // Only canonical ids: a hand-edited value is not matched by prefix.
        if let Some(i) = e.issue
            && IssueId::parse(&i).is_ok_and(|p| p.as_str() == i)
            && prefix.matches(&i)
            && hits.len() <= 20
        {
            hits.insert(i);
        }
        ControlFlow::Continue(())
    })?;
    let hits: Vec<String> = hits.into_iter().collect();
    match hits.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(Error::NotFound {
            id: input.to_string(),
        }),
        many => Err(Error::AmbiguousId {
            prefix: input.to_string(),
            candidates: many
                .iter()
                .take(20)
                .map(|i| crate::view::short_of_stored(i))
                .collect(),
        }),
    }
}

/// `events query`: the events matching every given filter.
pub fn query(store: &Store, q: &EventQuery) -> Result<EventPage> {
    let issue = q
        .issue
        .as_deref()
        .map(|i| resolve_issue(store, i))
        .transpose()?;
    query_of(store, q, issue)
}

/// [`query`] with `q.issue` already resolved to `issue`.
fn query_of(store: &Store, q: &EventQuery, issue: Option<String>) -> Result<EventPage> {
    let since = q
        .since
        .as_deref()
        .map(|s| Timestamp::parse_relative(s, crate::clock::now()?))
        .transpose()?;
    let kind = q
        .kind
        .as_deref()
        .map(|k| check_pattern("event", k))
        .transpose()?;
    let actor = q
        .actor
        .as_deref()
        .map(|a| check_pattern("actor", a))
        .transpose()?;
    let limit = check_limit(q.limit)?;
    // The matches by id: all of them, or with a limit only the newest `limit` (plus the ids
    // of all, to count them once each).
    let mut kept: BTreeMap<String, Event> = BTreeMap::new();
    let mut seen: HashSet<u128> = HashSet::new();
    let mut total = 0;
    let scanned = events::scan(&store.events_path(), |e| {
        let matches = since.is_none_or(|t| e.ts >= t)
            && kind.as_deref().is_none_or(|k| wildcard(k, &e.kind))
            && actor.as_deref().is_none_or(|a| wildcard(a, &e.actor))
            && issue
                .as_deref()
                .is_none_or(|i| e.issue.as_deref() == Some(i));
        if !matches {
            return ControlFlow::Continue(());
        }
        let fresh = match ulid::Ulid::from_string(&e.id) {
            Ok(u) => seen.insert(u.0),
            Err(_) => !kept.contains_key(&e.id),
        };
        if fresh {
            total += 1;
        }
        kept.insert(e.id.clone(), e);
        if let Some(n) = limit
            && kept.len() > n
        {
            kept.pop_first();
        }
        ControlFlow::Continue(())
    })?;
    Ok(EventPage {
        events: kept.into_values().collect(),
        total,
        unreadable_lines: scanned.bad.len(),
    })
}

/// One issue's events (`issue log`), oldest first: [`query`] narrowed to the issue.
#[derive(Debug, Serialize)]
pub struct IssueLog {
    pub id: String,
    pub short_id: String,
    /// Its matching events, oldest first (the most recent `limit` of them).
    pub events: Vec<Event>,
    /// How many events matched before `limit`.
    pub total: usize,
    /// Lines of the log that could not be read (skipped).
    pub unreadable_lines: usize,
}

/// `issue log`: the events of one issue (any form of its id; a deleted issue's id works too,
/// as with `events query --issue`) that match the other filters of `q` (its `issue` is
/// replaced).
pub fn issue_log(store: &Store, input: &str, q: EventQuery) -> Result<IssueLog> {
    let id = resolve_issue(store, input)?;
    let page = query_of(store, &q, Some(id.clone()))?;
    Ok(IssueLog {
        short_id: crate::view::short_of_stored(&id),
        id,
        events: page.events,
        total: page.total,
        unreadable_lines: page.unreadable_lines,
    })
}

/// A one-line summary of an event: what changed.
pub fn describe(e: &Event) -> String {
    let fields: Vec<String> = e
        .changes
        .iter()
        .filter(|c| {
            !matches!(
                c.field.as_str(),
                "lease" | "claim" | "gates_status" | "started_at" | "finished_at"
            )
        })
        .map(|c| {
            // A title is one line and bounded: shown whole, so a search of the log finds it.
            let show = |v: &serde_json::Value| match (c.field.as_str(), v) {
                ("title", serde_json::Value::String(t)) => t.clone(),
                _ => short_json(v),
            };
            match (&c.before, &c.after) {
                (serde_json::Value::Null, a) => format!("{} = {}", c.field, show(a)),
                (b, a) => format!("{}: {} -> {}", c.field, show(b), show(a)),
            }
        })
        .collect();
    use crate::model::Payload as P;
    let kind = crate::model::EventKind::parse(&e.kind);
    let extra = match Payload::read(e) {
        Some(P::GatePassed(g) | P::GateFailed(g)) => Some(format!("gate {}", g.gate)),
        Some(P::IssueReopened(r)) => Some(format!("reason: {}", r.reason)),
        Some(P::IssueStateChanged(u) | P::IssueUpdated(u)) => {
            u.reason.map(|r| format!("reason: {r}"))
        }
        Some(P::CommentAdded(_)) => Some("comment".into()),
        Some(P::ChecklistAdded(i) | P::ChecklistChecked(i) | P::ChecklistUnchecked(i)) => {
            Some(format!("item \"{}\"", short_str(&i.text)))
        }
        Some(P::LinkAdded(l) | P::LinkRemoved(l)) => Some(format!(
            "{} {}",
            l.kind.as_str(),
            crate::view::short_of_stored(&l.target)
        )),
        Some(P::PrLinked(pr)) => {
            let mut state = Vec::new();
            if let Some(s) = pr.status {
                state.push(s.as_str().to_string());
            }
            if let Some(c) = pr.ci {
                state.push(format!("ci {}", c.as_str()));
            }
            let state = if state.is_empty() {
                String::new()
            } else {
                format!(" ({})", state.join(", "))
            };
            Some(format!("pr {}{state}", short_str(&pr.url)))
        }
        _ => None,
    };
    let mut parts = Vec::new();
    let detail_only = kind.is_some_and(|k| DETAIL_EVENTS.contains(&k));
    if let Some(x) = extra {
        parts.push(x);
    }
    if !detail_only {
        parts.extend(fields);
    }
    parts.join("; ")
}

/// Event types whose summary is their detail (the item, link or PR), not the raw list diff.
const DETAIL_EVENTS: &[crate::model::EventKind] = &[
    crate::model::EventKind::CommentAdded,
    crate::model::EventKind::ChecklistAdded,
    crate::model::EventKind::ChecklistChecked,
    crate::model::EventKind::ChecklistUnchecked,
    crate::model::EventKind::LinkAdded,
    crate::model::EventKind::LinkRemoved,
    crate::model::EventKind::PrLinked,
];

/// A value for a summary: an issue id (or a list of them) as its short id, long text cut.
fn short_json(v: &serde_json::Value) -> String {
    use serde_json::Value;
    let id = |s: &str| IssueId::parse(s).ok().map(|i| i.short());
    match v {
        Value::String(s) => id(s).unwrap_or_else(|| short_str(s)),
        Value::Array(items)
            if !items.is_empty() && items.iter().all(|x| x.as_str().and_then(id).is_some()) =>
        {
            let shorts: Vec<String> = items
                .iter()
                .filter_map(|x| x.as_str().and_then(id))
                .collect();
            format!("[{}]", shorts.join(", "))
        }
        other => short_str(&other.to_string()),
    }
}

fn short_str(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}…", s.chars().take(59).collect::<String>())
    } else {
        s.to_string()
    }
}

/// Parses `--after`: an event id (a ULID, any case), in its canonical form. Text that only
/// decodes by overflowing (a first character above `7`) is refused, not silently wrapped.
pub fn parse_event_id(s: &str) -> Result<String> {
    let upper = s.trim().to_ascii_uppercase();
    match ulid::Ulid::from_string(&upper) {
        Ok(u) if u.to_string() == upper => Ok(upper),
        _ => Err(Error::invalid(
            "after",
            format!(
                "`{}` is not an event id (a 26-character ULID from an event's `id`)",
                s.escape_debug()
            ),
        )),
    }
}

/// The first read of `events tail`, and a [`Follower`] that continues from where it stopped.
pub struct Tail {
    /// The events to show first, oldest first.
    pub events: Vec<Event>,
    /// Lines that could not be read.
    pub bad: Vec<BadLine>,
    /// True when the log ends in a line without its newline: torn by a crash, or being written
    /// right now (a follower picks it up once complete).
    pub incomplete_last_line: bool,
    /// Continues reading after what was read here.
    pub follower: Follower,
}

/// `events tail`: with `after`, the events after that id (the first `limit` of them); without,
/// the last `limit` (default [`DEFAULT_TAIL`]) appended to the log, read from its end.
pub fn tail(store: &Store, after: Option<&str>, limit: Option<usize>) -> Result<Tail> {
    tail_where(store, after, limit, |_| true)
}

fn tail_where(
    store: &Store,
    after: Option<&str>,
    limit: Option<usize>,
    keep: impl Fn(&Event) -> bool,
) -> Result<Tail> {
    let after = after.map(parse_event_id).transpose()?;
    let limit = check_limit(limit)?;
    let path = store.events_path();
    let mut follower = Follower::new(path.clone());
    let (events, bad) = match &after {
        Some(a) => {
            // Everything after `a` (the first `limit` by id), one pass from the start; the
            // follower continues from where the pass ended.
            let mut kept: BTreeMap<String, Event> = BTreeMap::new();
            let (found, bad) = follower.read_from_start_with(|e| {
                if &e.id > a && keep(&e) {
                    kept.insert(e.id.clone(), e);
                    if let Some(n) = limit
                        && kept.len() > n
                    {
                        kept.pop_last();
                    }
                }
            })?;
            let _ = found;
            (kept.into_values().collect::<Vec<_>>(), bad)
        }
        None => {
            let n = limit.unwrap_or(DEFAULT_TAIL);
            let t = events::tail(&path, n, &keep)?;
            follower.start_at(t.end, t.partial);
            (t.events, t.bad)
        }
    };
    follower.remember(&events);
    Ok(Tail {
        events,
        bad,
        incomplete_last_line: !follower.partial.is_empty(),
        follower,
    })
}

/// [`tail`] keeping only events whose type matches `kind` (a type, or a pattern with `*`),
/// before `limit` is applied.
pub fn tail_matching(
    store: &Store,
    after: Option<&str>,
    limit: Option<usize>,
    kind: Option<&str>,
) -> Result<Tail> {
    let Some(kind) = kind else {
        return tail(store, after, limit);
    };
    let kind = check_pattern("event", kind)?;
    tail_where(store, after, limit, |e| wildcard(&kind, &e.kind))
}

/// What one poll of a [`Follower`] found.
#[derive(Debug, Default)]
pub struct Batch {
    /// New events, sorted by id.
    pub events: Vec<Event>,
    /// New lines that could not be read (their line numbers count from the start of the file).
    pub bad: Vec<BadLine>,
}

/// Follows the event log: each [`Follower::poll`] returns the events appended since the last one.
///
/// It remembers its byte offset and reads only what lies beyond it. If the file was replaced or
/// shrank (a `validate --fix` repair, a git checkout or merge), it reads the file again from the
/// start and returns only events it has not seen, newer than the newest it had seen.
pub struct Follower {
    path: PathBuf,
    offset: u64,
    /// Bytes after the last newline read: a line still being written.
    partial: Vec<u8>,
    /// Complete lines consumed so far (for line numbers in warnings); counted when first
    /// needed after a start from the end.
    lines: Option<usize>,
    seen: HashSet<String>,
    newest: Option<String>,
    file_id: Option<u64>,
}

#[cfg(unix)]
fn file_id(m: &std::fs::Metadata) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    Some(m.ino())
}

#[cfg(not(unix))]
fn file_id(_m: &std::fs::Metadata) -> Option<u64> {
    None
}

impl Follower {
    fn new(path: PathBuf) -> Self {
        Follower {
            path,
            offset: 0,
            partial: Vec::new(),
            lines: Some(0),
            seen: HashSet::new(),
            newest: None,
            file_id: None,
        }
    }

    fn io_err(&self, e: std::io::Error) -> Error {
        Error::io(format!("reading `{}`", self.path.display()), e)
    }

    /// Reads the whole file, remembering where it stopped; returns every event in it.
    #[cfg(test)]
    fn read_from_start(&mut self) -> Result<(Vec<Event>, Vec<BadLine>)> {
        self.offset = 0;
        self.partial.clear();
        self.lines = Some(0);
        self.file_id = None;
        self.read_new()
    }

    /// Reads the whole file a block at a time, handing each event to `f` and remembering it as
    /// seen; continues from the end of what it read. Returns how many events it read.
    fn read_from_start_with(&mut self, mut f: impl FnMut(Event)) -> Result<(usize, Vec<BadLine>)> {
        self.offset = 0;
        self.partial.clear();
        self.file_id = std::fs::metadata(&self.path).ok().and_then(|m| file_id(&m));
        let mut n = 0;
        let mut bytes = 0u64;
        let mut bad = Vec::new();
        let mut partial = Vec::new();
        let mut newest: Option<String> = None;
        let lines = events::for_each_line(&self.path, |k, line, unterminated| {
            if let Err(len) = line {
                bytes += len as u64; // the skipped line and its newline
            }
            if let Ok(b) = line {
                bytes += b.len() as u64 + u64::from(!unterminated);
                if unterminated {
                    // Held back until its newline arrives.
                    partial = b.to_vec();
                    return ControlFlow::Continue(());
                }
            }
            let one = match line {
                Ok(b) if b.iter().all(u8::is_ascii_whitespace) => return ControlFlow::Continue(()),
                Ok(b) => serde_json::from_slice::<Event>(b).map_err(|e| e.to_string()),
                Err(len) => Err(format!(
                    "a line of {len} bytes, longer than an event may be"
                )),
            };
            match one {
                Ok(e) => {
                    n += 1;
                    if newest.as_ref().is_none_or(|x| &e.id > x) {
                        newest = Some(e.id.clone());
                    }
                    f(e);
                }
                Err(message) => bad.push(BadLine {
                    line: k,
                    torn: false,
                    message,
                }),
            }
            ControlFlow::Continue(())
        })?;
        self.offset = bytes;
        self.lines = Some(lines - usize::from(!partial.is_empty()));
        self.partial = partial;
        if newest.as_ref() > self.newest.as_ref() {
            self.newest = newest;
        }
        Ok((n, bad))
    }

    /// Continues from byte `end` of the file (read by [`events::tail`]), with `partial` the
    /// bytes after its last newline.
    fn start_at(&mut self, end: u64, partial: Vec<u8>) {
        self.file_id = std::fs::metadata(&self.path).ok().and_then(|m| file_id(&m));
        self.offset = end;
        self.partial = partial;
        self.lines = None;
    }

    /// Reads from the offset to the end of the file; returns the events of the complete lines.
    fn read_new(&mut self) -> Result<(Vec<Event>, Vec<BadLine>)> {
        let mut f = match std::fs::File::open(&self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok((Vec::new(), Vec::new()));
            }
            Err(e) => return Err(self.io_err(e)),
        };
        let meta = f.metadata().map_err(|e| self.io_err(e))?;
        if self.file_id.is_none() {
            self.file_id = file_id(&meta);
        }
        f.seek(SeekFrom::Start(self.offset))
            .map_err(|e| self.io_err(e))?;
        let mut fresh = Vec::new();
        f.read_to_end(&mut fresh).map_err(|e| self.io_err(e))?;
        let buf_start = self.offset - self.partial.len() as u64;
        self.offset += fresh.len() as u64;
        let mut buf = std::mem::take(&mut self.partial);
        buf.extend_from_slice(&fresh);
        let complete = match buf.iter().rposition(|b| *b == b'\n') {
            Some(nl) => {
                self.partial = buf.split_off(nl + 1);
                buf
            }
            None => {
                self.partial = buf;
                Vec::new()
            }
        };
        let (events, mut bad) = events::parse(&complete);
        let before = if bad.is_empty() {
            self.lines.unwrap_or(0)
        } else {
            self.lines_before(buf_start)?
        };
        for b in &mut bad {
            b.line += before;
        }
        let added = complete.iter().filter(|b| **b == b'\n').count();
        self.lines = self.lines.map(|l| l + added);
        Ok((events, bad))
    }

    /// The number of complete lines before the current offset (counted once, on the first
    /// bad line after a start from the end).
    fn lines_before(&mut self, upto: u64) -> Result<usize> {
        if let Some(l) = self.lines {
            return Ok(l);
        }
        let mut count = 0usize;
        let mut f = std::fs::File::open(&self.path).map_err(|e| self.io_err(e))?;
        let mut left = upto;
        let mut buf = vec![0u8; 64 * 1024];
        while left > 0 {
            let want = buf.len().min(left as usize);
            let got = f.read(&mut buf[..want]).map_err(|e| self.io_err(e))?;
            if got == 0 {
                break;
            }
            count += buf[..got].iter().filter(|b| **b == b'\n').count();
            left -= got as u64;
        }
        self.lines = Some(count);
        Ok(count)
    }

    /// Notes events as seen, so a later poll never returns them again.
    fn remember(&mut self, events: &[Event]) {
        for e in events {
            self.seen.insert(e.id.clone());
            if self.newest.as_ref().is_none_or(|n| &e.id > n) {
                self.newest = Some(e.id.clone());
            }
        }
    }

    /// The events appended since the last poll (none when nothing changed).
    pub fn poll(&mut self) -> Result<Batch> {
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Batch::default()),
            Err(e) => return Err(self.io_err(e)),
        };
        let replaced =
            meta.len() < self.offset || (self.file_id.is_some() && file_id(&meta) != self.file_id);
        if !replaced && meta.len() == self.offset {
            return Ok(Batch::default());
        }
        let newest_before = self.newest.clone();
        let (events, bad) = if replaced {
            // Read again a block at a time, keeping only what is newer than what was seen.
            let mut newer = Vec::new();
            let (_, bad) = self.read_from_start_with(|e| {
                if newest_before.as_ref().is_none_or(|n| &e.id > n) {
                    newer.push(e);
                }
            })?;
            newer.sort_by(|a, b| a.id.cmp(&b.id));
            newer.dedup_by(|a, b| a.id == b.id);
            (newer, bad)
        } else {
            self.read_new()?
        };
        let events: Vec<Event> = events
            .into_iter()
            .filter(|e| !self.seen.contains(&e.id))
            .filter(|e| !replaced || newest_before.as_ref().is_none_or(|n| &e.id > n))
            .collect();
        self.remember(&events);
        Ok(Batch { events, bad })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn line(id: &str, kind: &str) -> String {
        format!(
            "{{\"id\":\"{id}\",\"ts\":\"2026-01-01T00:00:00.000Z\",\"type\":\"{kind}\",\"actor\":\"human:a\"}}\n"
        )
    }

    const A: &str = "01JAAAAAAAAAAAAAAAAAAAAAAA";
    const B: &str = "01JBBBBBBBBBBBBBBBBBBBBBBB";
    const C: &str = "01JCCCCCCCCCCCCCCCCCCCCCCC";

    #[test]
    fn follower_waits_for_the_newline_and_reads_only_new_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, line(A, "x")).unwrap();
        let mut f = Follower::new(path.clone());
        let (first, _) = f.read_from_start().unwrap();
        f.remember(&first);
        assert_eq!(first.len(), 1);
        assert!(f.poll().unwrap().events.is_empty());

        let b = line(B, "y");
        let (head, rest) = b.split_at(20);
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        file.write_all(head.as_bytes()).unwrap();
        let got = f.poll().unwrap();
        assert!(got.events.is_empty() && got.bad.is_empty(), "{got:?}");
        file.write_all(rest.as_bytes()).unwrap();
        file.write_all(b"garbage\n").unwrap();
        let got = f.poll().unwrap();
        assert_eq!(got.events.len(), 1);
        assert_eq!(got.events[0].id, B);
        assert_eq!(got.bad.len(), 1);
        assert_eq!(got.bad[0].line, 3);
    }

    #[test]
    fn follower_survives_a_rewrite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        std::fs::write(&path, format!("{}{}", line(A, "x"), line(B, "y"))).unwrap();
        let mut f = Follower::new(path.clone());
        let (first, _) = f.read_from_start().unwrap();
        f.remember(&first);
        // Replaced (a new file, as a repair or a git checkout writes) by one old event and a new one.
        let tmp = dir.path().join("new");
        std::fs::write(&tmp, format!("{}{}", line(B, "y"), line(C, "z"))).unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let got = f.poll().unwrap();
        assert_eq!(
            got.events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            [C]
        );
        assert!(f.poll().unwrap().events.is_empty());
    }

    #[test]
    fn event_ids() {
        assert_eq!(parse_event_id(&A.to_lowercase()).unwrap(), A);
        for bad in ["", "x", "../etc", &"Z".repeat(26), &"0".repeat(27)] {
            assert_eq!(parse_event_id(bad).unwrap_err().code(), "invalid_value");
        }
    }
}
