//! The local outbox: deliveries waiting for an attempt, the ones that used up their attempts,
//! and the log of every attempt. Never committed: `.jit/outbox/` holds a `.gitignore` of its own
//! (`*`), so stores whose `.jit/.gitignore` predates hooks ignore it too.
//!
//! ```text
//! .jit/outbox/
//!   .gitignore            `*`
//!   lock                  held only to claim a delivery or record its result, never while sending
//!   pending/<ID>.json     a delivery waiting for its first attempt or a retry
//!   failed/<ID>.json      a delivery that used up its attempts (`jit hook replay ID` sends it again)
//!   log.jsonl             one line per attempt (and per cancelled or skipped delivery)
//!   log.1.jsonl           the previous log, once `log.jsonl` passed 4 MiB
//! ```
//!
//! Invariants: a delivery is one event for one hook, named by a ULID of its own (the `X-Jit-
//! Delivery` header); the event keeps its own id, the receiver's de-duplication key. Before an
//! attempt a process claims the delivery under the lock (it is then "in flight" until the
//! attempt's timeout plus a minute), so concurrent jit processes never send one delivery at the
//! same time; a process that dies mid-attempt leaves a claim that simply expires, and the
//! delivery is retried: at least once, never lost.

use super::config::{HookDef, MAX_BACKOFF_SECS};
use crate::error::{Error, Result};
use crate::model::{Event, Timestamp};
use crate::store::{Store, StoreLock, write_atomic};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The outbox directory under `.jit/`.
pub const DIR: &str = "outbox";
/// The log is rotated once it passes this size.
pub const LOG_ROTATE_BYTES: u64 = 4 * 1024 * 1024;
/// Characters of the answer (response body or command output) kept in the log.
pub const ANSWER_CHARS: usize = 200;

/// One event on its way to one hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    /// The delivery id (a ULID).
    pub id: String,
    pub hook: String,
    pub event: Event,
    pub created_at: Timestamp,
    /// Attempts made so far.
    pub attempts: u32,
    /// Not attempted before this time.
    pub next_at: Timestamp,
    /// A process is attempting it until this time.
    #[serde(default)]
    pub inflight_until: Option<Timestamp>,
    /// The delivery this one sends again (`jit hook replay`).
    #[serde(default)]
    pub replay_of: Option<String>,
    /// What went wrong last time.
    #[serde(default)]
    pub last_error: Option<String>,
}

/// How one attempt (or one delivery that was never attempted) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The receiver answered 2xx, or the command exited 0.
    Delivered,
    /// It failed; another attempt is scheduled (`next_attempt_at`).
    Retrying,
    /// It failed and that was the last attempt (or a one-off `hook test`).
    Failed,
    /// Dropped without an attempt: its hook was removed.
    Cancelled,
    /// Not queued: the event came from a hook nested too deep (see `JIT_HOOK_DEPTH`).
    Skipped,
}

/// One line of `log.jsonl`: what `jit hook log` shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LogEntry {
    /// When the attempt ended.
    pub at: Timestamp,
    /// The delivery id (`X-Jit-Delivery`).
    pub delivery: String,
    pub hook: String,
    /// The event's id: the receiver's de-duplication key.
    pub event_id: String,
    /// The event's type.
    pub event: String,
    #[serde(default)]
    pub issue: Option<String>,
    /// 1 for the first attempt.
    pub attempt: u32,
    pub outcome: Outcome,
    /// The HTTP status a URL hook answered with.
    #[serde(default)]
    pub status: Option<u16>,
    /// The exit code of a command hook (null when it was killed).
    #[serde(default)]
    pub exit_code: Option<i32>,
    #[serde(default)]
    pub timed_out: bool,
    #[serde(default)]
    pub duration_ms: u64,
    /// The start of the response body or of the command's output.
    #[serde(default)]
    pub answer: String,
    /// Why it failed, when it did.
    #[serde(default)]
    pub error: Option<String>,
    /// When the next attempt is due (outcome `retrying`).
    #[serde(default)]
    pub next_attempt_at: Option<Timestamp>,
    /// The delivery this one sent again.
    #[serde(default)]
    pub replay_of: Option<String>,
}

/// The result of one attempt, before it is recorded.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    pub ok: bool,
    pub status: Option<u16>,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: u64,
    pub answer: String,
    pub error: Option<String>,
}

/// A clock that starts at jit's "now" (`JIT_NOW` included) and moves with real time, so waiting
/// for a retry works even when the start is pinned.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    base: Timestamp,
    start: Instant,
}

impl Clock {
    pub fn start() -> Result<Self> {
        Ok(Clock {
            base: crate::clock::now()?,
            start: Instant::now(),
        })
    }

    pub fn now(&self) -> Timestamp {
        self.base.plus(self.start.elapsed())
    }
}

/// The paths of one store's outbox.
#[derive(Debug, Clone)]
pub struct Outbox {
    dir: PathBuf,
}

fn io(what: &str, p: &Path, e: std::io::Error) -> Error {
    Error::io(format!("{what} `{}`", p.display()), e)
}

impl Outbox {
    pub fn of(store: &Store) -> Self {
        Outbox {
            dir: store.dir().join(DIR),
        }
    }

    fn pending(&self) -> PathBuf {
        self.dir.join("pending")
    }

    fn failed(&self) -> PathBuf {
        self.dir.join("failed")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.join("log.jsonl")
    }

    fn old_log_path(&self) -> PathBuf {
        self.dir.join("log.1.jsonl")
    }

    /// Creates the directories and the `.gitignore` that keeps them out of git.
    fn ensure(&self) -> Result<()> {
        for d in [self.pending(), self.failed()] {
            if !d.is_dir() {
                std::fs::create_dir_all(&d).map_err(|e| io("creating", &d, e))?;
            }
        }
        let ignore = self.dir.join(".gitignore");
        if !ignore.is_file() {
            write_atomic(&ignore, b"# jit's local outbox: never committed\n*\n")?;
        }
        Ok(())
    }

    fn lock(&self) -> Result<StoreLock> {
        self.ensure()?;
        StoreLock::acquire(&self.dir.join("lock"))
    }

    fn read_record(path: &Path) -> Result<Option<Delivery>> {
        match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| Error::CorruptFile {
                    path: path.to_path_buf(),
                    message: format!("not a hook delivery: {e}"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io("reading", path, e)),
        }
    }

    /// Writes a record by rename (whole or not at all). `durable` also syncs it to disk: for a
    /// new delivery and a failed one, which a crash must not lose. Claims and reschedules are
    /// not synced: losing one to a crash only means the delivery is attempted again.
    fn write_record(dir: &Path, d: &Delivery, durable: bool) -> Result<()> {
        let mut bytes = serde_json::to_vec_pretty(d).map_err(|e| Error::Internal(e.to_string()))?;
        bytes.push(b'\n');
        let path = dir.join(format!("{}.json", d.id));
        if durable {
            return write_atomic(&path, &bytes);
        }
        let mut tmp = tempfile::Builder::new()
            .prefix(&format!(".{}.", d.id))
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| io("creating a temp file in", dir, e))?;
        tmp.write_all(&bytes).map_err(|e| io("writing", &path, e))?;
        tmp.persist(&path)
            .map_err(|e| io("replacing", &path, e.error))?;
        Ok(())
    }

    fn remove(path: &Path) -> Result<()> {
        match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io("removing", path, e)),
        }
    }

    /// Delivery ids in a directory, oldest first (ULIDs sort by time).
    fn ids(dir: &Path) -> Result<Vec<String>> {
        let rd = match std::fs::read_dir(dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io("listing", dir, e)),
        };
        let mut ids: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().to_str().map(str::to_string))
            .filter_map(|n| n.strip_suffix(".json").map(str::to_string))
            .filter(|n| valid_id(n))
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// Appends log lines (under the outbox lock the caller holds).
    fn append_log(&self, entries: &[LogEntry]) -> Result<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let path = self.log_path();
        if std::fs::metadata(&path).is_ok_and(|m| m.len() > LOG_ROTATE_BYTES) {
            std::fs::rename(&path, self.old_log_path()).map_err(|e| io("rotating", &path, e))?;
        }
        let mut buf = Vec::new();
        for e in entries {
            serde_json::to_writer(&mut buf, e).map_err(|e| Error::Internal(e.to_string()))?;
            buf.push(b'\n');
        }
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io("opening", &path, e))?;
        f.write_all(&buf)
            .map_err(|e| io("appending to", &path, e))?;
        Ok(())
    }

    /// Every log line, oldest first (the rotated log included).
    pub fn read_log(&self) -> Result<Vec<LogEntry>> {
        let mut out = Vec::new();
        for path in [self.old_log_path(), self.log_path()] {
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io("reading", &path, e)),
            };
            // A torn last line (a crash mid-append) is skipped, like the event log's.
            out.extend(
                text.lines()
                    .filter_map(|l| serde_json::from_str::<LogEntry>(l).ok()),
            );
        }
        Ok(out)
    }
}

/// Whether text is a canonical ULID (the only names outbox files have).
pub fn valid_id(s: &str) -> bool {
    s.len() == 26 && ulid::Ulid::from_string(s).is_ok_and(|u| u.to_string() == s)
}

fn entry(d: &Delivery, at: Timestamp, outcome: Outcome, a: &Attempt) -> LogEntry {
    LogEntry {
        at,
        delivery: d.id.clone(),
        hook: d.hook.clone(),
        event_id: d.event.id.clone(),
        event: d.event.kind.clone(),
        issue: d.event.issue.clone(),
        attempt: d.attempts,
        outcome,
        status: a.status,
        exit_code: a.exit_code,
        timed_out: a.timed_out,
        duration_ms: a.duration_ms,
        answer: a.answer.clone(),
        error: a.error.clone(),
        next_attempt_at: None,
        replay_of: d.replay_of.clone(),
    }
}

/// A new delivery of `event` to `hook`, due at once.
pub fn new_delivery(hook: &str, event: &Event, now: Timestamp) -> Delivery {
    Delivery {
        id: crate::random::ulid().to_string(),
        hook: hook.to_string(),
        event: event.clone(),
        created_at: now,
        attempts: 0,
        next_at: now,
        inflight_until: None,
        replay_of: None,
        last_error: None,
    }
}

/// Queues deliveries (one file each). No lock: each file is new and written atomically.
pub fn enqueue(store: &Store, deliveries: &[Delivery]) -> Result<()> {
    if deliveries.is_empty() {
        return Ok(());
    }
    let ob = Outbox::of(store);
    ob.ensure()?;
    for d in deliveries {
        Outbox::write_record(&ob.pending(), d, true)?;
    }
    Ok(())
}

/// Logs deliveries that were not queued (`Skipped`).
pub fn log_skipped(
    store: &Store,
    deliveries: &[Delivery],
    now: Timestamp,
    why: &str,
) -> Result<()> {
    let ob = Outbox::of(store);
    let _lock = ob.lock()?;
    let entries: Vec<LogEntry> = deliveries
        .iter()
        .map(|d| {
            entry(
                d,
                now,
                Outcome::Skipped,
                &Attempt {
                    error: Some(why.to_string()),
                    ..Default::default()
                },
            )
        })
        .collect();
    ob.append_log(&entries)
}

/// Pending and failed deliveries per hook.
pub fn counts(store: &Store) -> Result<BTreeMap<String, (usize, usize)>> {
    let ob = Outbox::of(store);
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (dir, failed) in [(ob.pending(), false), (ob.failed(), true)] {
        for id in Outbox::ids(&dir)? {
            if let Some(d) = Outbox::read_record(&dir.join(format!("{id}.json")))? {
                let e = out.entry(d.hook).or_default();
                if failed {
                    e.1 += 1;
                } else {
                    e.0 += 1;
                }
            }
        }
    }
    Ok(out)
}

/// Drops the queued and failed deliveries of a removed hook, logging each as cancelled.
pub fn drop_hook(store: &Store, name: &str, now: Timestamp) -> Result<usize> {
    let ob = Outbox::of(store);
    if !ob.dir.is_dir() {
        return Ok(0);
    }
    let _lock = ob.lock()?;
    let mut entries = Vec::new();
    for dir in [ob.pending(), ob.failed()] {
        for id in Outbox::ids(&dir)? {
            let path = dir.join(format!("{id}.json"));
            if let Some(d) = Outbox::read_record(&path)?
                && d.hook == name
            {
                Outbox::remove(&path)?;
                entries.push(entry(
                    &d,
                    now,
                    Outcome::Cancelled,
                    &Attempt {
                        error: Some(format!("hook `{name}` was removed")),
                        ..Default::default()
                    },
                ));
            }
        }
    }
    ob.append_log(&entries)?;
    Ok(entries.len())
}

/// The wait before retry number `attempts` (1 after the first failure): `backoff * 2^(n-1)`,
/// capped at an hour, then a random point in its upper half (jitter, so many clients that failed
/// together do not retry together).
pub fn backoff(hook: &HookDef, attempts: u32) -> Duration {
    let exp = attempts.saturating_sub(1).min(20);
    let full = hook
        .backoff_secs
        .saturating_mul(1u64 << exp)
        .clamp(1, MAX_BACKOFF_SECS);
    let ms = full * 1000;
    let jitter = (crate::random::u128() % u128::from(ms / 2 + 1)) as u64;
    Duration::from_millis(ms / 2 + jitter)
}

/// Claims a due delivery for an attempt: under the lock, re-read, check, count the attempt, mark
/// it in flight. None when it is gone, not due, or another process holds it.
fn claim(ob: &Outbox, id: &str, now: Timestamp, hold: Duration) -> Result<Option<Delivery>> {
    let _lock = ob.lock()?;
    let path = ob.pending().join(format!("{id}.json"));
    let Some(mut d) = Outbox::read_record(&path)? else {
        return Ok(None);
    };
    if d.next_at > now || d.inflight_until.is_some_and(|t| t > now) {
        return Ok(None);
    }
    d.attempts += 1;
    d.inflight_until = Some(now.plus(hold));
    Outbox::write_record(&ob.pending(), &d, false)?;
    Ok(Some(d))
}

/// Records an attempt's result: delivered (removed), retrying (rescheduled), or failed (moved to
/// `failed/`). Returns the log line.
fn finish(
    ob: &Outbox,
    mut d: Delivery,
    hook: &HookDef,
    a: &Attempt,
    now: Timestamp,
) -> Result<LogEntry> {
    let _lock = ob.lock()?;
    let path = ob.pending().join(format!("{}.json", d.id));
    let mut line;
    if a.ok {
        Outbox::remove(&path)?;
        line = entry(&d, now, Outcome::Delivered, a);
    } else if d.attempts >= hook.max_attempts {
        d.inflight_until = None;
        d.last_error = a.error.clone();
        Outbox::write_record(&ob.failed(), &d, true)?;
        Outbox::remove(&path)?;
        line = entry(&d, now, Outcome::Failed, a);
    } else {
        let next = now.plus(backoff(hook, d.attempts));
        d.inflight_until = None;
        d.next_at = next;
        d.last_error = a.error.clone();
        Outbox::write_record(&ob.pending(), &d, false)?;
        line = entry(&d, now, Outcome::Retrying, a);
        line.next_attempt_at = Some(next);
    }
    ob.append_log(std::slice::from_ref(&line))?;
    Ok(line)
}

/// Cancels a queued delivery whose hook is gone.
fn cancel(ob: &Outbox, id: &str, now: Timestamp) -> Result<Option<LogEntry>> {
    let _lock = ob.lock()?;
    let path = ob.pending().join(format!("{id}.json"));
    let Some(d) = Outbox::read_record(&path)? else {
        return Ok(None);
    };
    Outbox::remove(&path)?;
    let line = entry(
        &d,
        now,
        Outcome::Cancelled,
        &Attempt {
            error: Some(format!("hook `{}` is no longer configured", d.hook)),
            ..Default::default()
        },
    );
    ob.append_log(std::slice::from_ref(&line))?;
    Ok(Some(line))
}

/// What is left in the outbox after a pass.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Queue {
    /// Deliveries waiting for an attempt or a retry.
    pub pending: usize,
    /// Deliveries that used up their attempts.
    pub failed: usize,
    /// When the earliest pending delivery is due.
    pub next_attempt_at: Option<Timestamp>,
}

/// Counts what is queued.
pub fn queue(store: &Store) -> Result<Queue> {
    let ob = Outbox::of(store);
    let mut q = Queue::default();
    for id in Outbox::ids(&ob.pending())? {
        if let Some(d) = Outbox::read_record(&ob.pending().join(format!("{id}.json")))? {
            q.pending += 1;
            let due = d.inflight_until.map_or(d.next_at, |t| t.max(d.next_at));
            if q.next_attempt_at.is_none_or(|n| due < n) {
                q.next_attempt_at = Some(due);
            }
        }
    }
    q.failed = Outbox::ids(&ob.failed())?.len();
    Ok(q)
}

/// One pass over the queue: every due delivery is attempted once, oldest first, at most `limit`
/// of them. After a hook fails, its other deliveries wait for a later pass, so an unreachable
/// receiver costs one timeout per pass, not one per delivery.
pub fn pass(
    store: &Store,
    hooks: &BTreeMap<String, HookDef>,
    clock: &Clock,
    limit: Option<usize>,
) -> Result<Vec<LogEntry>> {
    let ob = Outbox::of(store);
    let mut lines = Vec::new();
    let mut failing: HashSet<String> = HashSet::new();
    let mut attempted = 0usize;
    for id in Outbox::ids(&ob.pending())? {
        if limit.is_some_and(|l| attempted >= l) {
            break;
        }
        let now = clock.now();
        let Some(peek) = Outbox::read_record(&ob.pending().join(format!("{id}.json")))? else {
            continue;
        };
        if failing.contains(&peek.hook)
            || peek.next_at > now
            || peek.inflight_until.is_some_and(|t| t > now)
        {
            continue;
        }
        let Some(hook) = hooks.get(&peek.hook) else {
            lines.extend(cancel(&ob, &id, now)?);
            continue;
        };
        let hold = Duration::from_secs(hook.timeout_secs + 60);
        let Some(d) = claim(&ob, &id, now, hold)? else {
            continue;
        };
        attempted += 1;
        let a = super::send::attempt(store, &d, hook);
        let line = finish(&ob, d, hook, &a, clock.now())?;
        if !a.ok {
            failing.insert(line.hook.clone());
        }
        lines.push(line);
    }
    Ok(lines)
}

/// Sends one delivery now, once, whatever its schedule (`hook test`, `hook replay`): queued
/// first (so a crash mid-attempt leaves it to be retried), then attempted and recorded.
pub fn send_now(store: &Store, mut d: Delivery, hook: &HookDef, clock: &Clock) -> Result<LogEntry> {
    let ob = Outbox::of(store);
    let now = clock.now();
    d.next_at = now;
    d.inflight_until = None;
    {
        let _lock = ob.lock()?;
        Outbox::write_record(&ob.pending(), &d, true)?;
    }
    let hold = Duration::from_secs(hook.timeout_secs + 60);
    let Some(d) = claim(&ob, &d.id, now, hold)? else {
        return Err(Error::Internal(format!(
            "delivery `{}` was taken by another process",
            d.id
        )));
    };
    let a = super::send::attempt(store, &d, hook);
    finish(&ob, d, hook, &a, clock.now())
}

/// A one-off attempt that is logged but never queued or retried (`hook test`).
pub fn send_once(
    store: &Store,
    mut d: Delivery,
    hook: &HookDef,
    clock: &Clock,
) -> Result<LogEntry> {
    let ob = Outbox::of(store);
    d.attempts = 1;
    let a = super::send::attempt(store, &d, hook);
    let line = entry(
        &d,
        clock.now(),
        if a.ok {
            Outcome::Delivered
        } else {
            Outcome::Failed
        },
        &a,
    );
    let _lock = ob.lock()?;
    ob.append_log(std::slice::from_ref(&line))?;
    Ok(line)
}

/// A failed delivery, if `id` names one.
pub fn peek_failed(store: &Store, id: &str) -> Result<Option<Delivery>> {
    if !valid_id(id) {
        return Ok(None);
    }
    Outbox::read_record(&Outbox::of(store).failed().join(format!("{id}.json")))
}

/// A failed delivery, taken out of `failed/` (for `hook replay`).
pub fn take_failed(store: &Store, id: &str) -> Result<Option<Delivery>> {
    if !valid_id(id) {
        return Ok(None);
    }
    let ob = Outbox::of(store);
    if !ob.dir.is_dir() {
        return Ok(None);
    }
    let _lock = ob.lock()?;
    let path = ob.failed().join(format!("{id}.json"));
    let d = Outbox::read_record(&path)?;
    if d.is_some() {
        Outbox::remove(&path)?;
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(backoff_secs: u64) -> HookDef {
        HookDef {
            on: vec!["*".into()],
            filter: None,
            command: Some("true".into()),
            url: None,
            secret_env: None,
            timeout_secs: 10,
            max_attempts: 8,
            backoff_secs,
            extra: BTreeMap::new(),
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_in_the_upper_half_and_is_capped() {
        let h = hook(10);
        for n in 1..=6u32 {
            let full = 10_000u64 << (n - 1);
            for _ in 0..50 {
                let ms = backoff(&h, n).as_millis() as u64;
                assert!((full / 2..=full).contains(&ms), "attempt {n}: {ms} ms");
            }
        }
        for _ in 0..50 {
            let ms = backoff(&h, 30).as_millis() as u64;
            assert!((1_800_000..=3_600_000).contains(&ms), "{ms}");
        }
    }

    #[test]
    fn ids_are_canonical_ulids() {
        assert!(valid_id("01JAAAAAAAAAAAAAAAAAAAAAAA"));
        for bad in [
            "",
            "../../etc/passwd",
            "01jaaaaaaaaaaaaaaaaaaaaaaa",
            "01JAAAA",
        ] {
            assert!(!valid_id(bad), "{bad}");
        }
    }
}
