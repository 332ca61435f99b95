//! The transaction journal: how the many writes of one transaction become one all-or-nothing
//! step, whatever fails in the middle (a full disk, a crash, a kill).
//!
//! A commit writes, in this order:
//! 1. the **intent** into the store's lock file (`.jit/lock`, which the transaction holds
//!    locked): the files it will replace or remove, the event lines it will append and where
//!    the log ends now, and the claim-ledger entries it changes (before and after); synced;
//! 2. the claim ledger (`.git/jit/claims.json`), atomically: shared by every worktree, it may be
//!    ahead of the files, never behind (see [`super::ledger`]);
//! 3. each new file as a temp file beside its target (`.<name>.<tx>.new.tmp`), synced (one
//!    `syncfs` for a batch), and a hard link to each file it replaces or removes
//!    (`.<name>.<tx>.old.tmp`, the before image);
//! 4. the **commit point**: the event lines appended to `events.jsonl` in one write, synced (a
//!    transaction without events appends a `commit` line to the intent instead);
//! 5. the renames of the temp files over their targets and the removals, then one sync per
//!    directory; then the before images are removed and the intent cleared.
//!
//! Invariants:
//! - Before the commit point nothing a reader sees has changed but the claim ledger. A failure
//!   there (ENOSPC, EIO, ...) undoes everything: temp files and links removed, a partly
//!   appended log cut back to its old length, the ledger entries put back (each only if it
//!   still holds what this transaction wrote), the intent cleared. The command fails and the
//!   store is as before.
//! - A failure after the commit point (a rename refused) is undone too: the before images are
//!   renamed back, created files removed, the log cut back; the intent is marked `rollback`
//!   first, so a crash during the undo is finished by [`recover`].
//! - A process that dies anywhere leaves the intent in the lock file. The next process that
//!   takes the lock ([`recover`]) completes the transaction when its commit point was reached
//!   (its event lines are in the log, or it has a `commit` line) and undoes it otherwise. A
//!   torn intent means nothing after step 1 happened; it is dropped.
//! - Recovery is idempotent: a temp file that is gone was renamed, a target already removed
//!   is left alone, a log that already holds the lines is not appended to again.

use super::ledger::{self, Entry, Ledger};
use crate::error::{Error, Result};
use crate::model::{Event, IssueId};
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const FORMAT: u32 = 1;
const COMMIT: &str = "commit";
const ROLLBACK: &str = "rollback";

/// What one transaction writes, with paths relative to the store directory (`.jit/`).
#[derive(Debug, Default)]
pub struct Plan<'a> {
    /// Files to replace or create, with their new bytes.
    pub puts: Vec<(PathBuf, Vec<u8>)>,
    /// Files to remove.
    pub deletes: Vec<PathBuf>,
    /// Events to append to the log.
    pub events: &'a [Event],
    /// The claim ledger: its directory, what it held when the transaction read it, and what
    /// the transaction leaves in it.
    pub ledger: Option<(&'a Path, &'a Ledger, &'a Ledger)>,
}

impl Plan<'_> {
    /// Whether the plan writes nothing.
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty()
            && self.deletes.is_empty()
            && self.events.is_empty()
            && self.ledger.is_none()
    }
}

/// The intent as stored in the lock file (its first line).
#[derive(Debug, Serialize, Deserialize)]
struct Intent {
    jit_journal: u32,
    tx: String,
    /// The log's length before the append, and the bytes appended.
    log_offset: u64,
    log_bytes: String,
    puts: Vec<PutIntent>,
    #[serde(default)]
    deletes: Vec<String>,
    #[serde(default)]
    ledger: BTreeMap<IssueId, LedgerChange>,
}

#[derive(Debug, Serialize, Deserialize)]
struct PutIntent {
    target: String,
    /// Whether the target existed (so a before image was linked).
    replaces: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct LedgerChange {
    before: Option<Entry>,
    after: Option<Entry>,
}

/// What [`recover`] found and did.
#[derive(Debug)]
pub enum Recovered {
    /// The transaction had reached its commit point and is now complete; its events.
    Completed(Vec<Event>),
    /// The transaction had not reached its commit point and was undone.
    RolledBack,
    /// The intent was torn (the crash came while writing it): nothing else had been written.
    Dropped,
}

/// Failure injection for tests: the `n`-th write point (0-based) of a commit fails with ENOSPC;
/// with `crash`, the commit then stops where it is, as if the process had died.
#[derive(Debug, Default)]
pub struct Faults {
    pub fail_at: Option<usize>,
    pub crash: bool,
    seen: Cell<usize>,
    /// Names of the write points passed, in order.
    pub trace: std::cell::RefCell<Vec<&'static str>>,
}

impl Faults {
    /// No failures.
    pub fn none() -> Self {
        Faults::default()
    }

    /// Fails the `n`-th write point; `crash` stops without cleaning up.
    pub fn at(n: usize, crash: bool) -> Self {
        Faults {
            fail_at: Some(n),
            crash,
            ..Faults::default()
        }
    }

    /// How many write points a commit passed.
    pub fn points(&self) -> usize {
        self.seen.get()
    }

    fn point(&self, what: &'static str) -> std::io::Result<()> {
        let n = self.seen.get();
        self.seen.set(n + 1);
        self.trace.borrow_mut().push(what);
        if self.fail_at == Some(n) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                format!("no space left on device (injected at {what})"),
            ));
        }
        Ok(())
    }

    fn crashed(&self) -> bool {
        self.crash && self.fail_at.is_some_and(|f| self.seen.get() > f)
    }
}

fn name_of(target: &Path) -> String {
    target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file")
        .to_string()
}

fn temp_of(dir: &Path, target: &Path, tx: &str) -> PathBuf {
    let t = dir.join(target);
    t.with_file_name(format!(".{}.{tx}.new.tmp", name_of(target)))
}

fn old_of(dir: &Path, target: &Path, tx: &str) -> PathBuf {
    let t = dir.join(target);
    t.with_file_name(format!(".{}.{tx}.old.tmp", name_of(target)))
}

fn rel(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Whether the lock file holds an intent (one `stat`, no lock): a transaction is committing
/// right now, or one was interrupted.
pub fn pending(lock_path: &Path) -> bool {
    std::fs::metadata(lock_path).is_ok_and(|m| m.len() > 0)
}

/// The event lines of `events` as appended to a log of `len` bytes ending in `last`.
fn log_bytes(events: &[Event], starts_fresh: bool) -> Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(256 * events.len() + 1);
    if !starts_fresh {
        buf.push(b'\n');
    }
    for ev in events {
        serde_json::to_writer(&mut buf, ev).map_err(|e| Error::Internal(e.to_string()))?;
        buf.push(b'\n');
    }
    Ok(buf)
}

/// The log's length and whether it ends on a line boundary (or is empty).
fn log_end(path: &Path) -> Result<(u64, bool)> {
    let ctx = |e| Error::io(format!("reading `{}`", path.display()), e);
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((0, true)),
        Err(e) => return Err(ctx(e)),
    };
    let len = f.metadata().map_err(ctx)?.len();
    if len == 0 {
        return Ok((0, true));
    }
    let mut last = [0u8; 1];
    f.seek(SeekFrom::Start(len - 1)).map_err(ctx)?;
    f.read_exact(&mut last).map_err(ctx)?;
    Ok((len, last[0] == b'\n'))
}

/// Writes `plan` as one all-or-nothing step (see the module docs). `journal` is the store's
/// lock file, held locked, empty. On error the store is as before (unless `faults` simulated a
/// crash, which leaves everything where it stopped, for [`recover`]).
pub fn commit(store_dir: &Path, journal: &File, plan: &Plan<'_>, faults: &Faults) -> Result<()> {
    if plan.is_empty() {
        return Ok(());
    }
    if plan.puts.is_empty() && plan.deletes.is_empty() && plan.events.is_empty() {
        // Only the ledger: one file, replaced atomically on its own.
        if let Some((dir, _, after)) = plan.ledger {
            faults.point("ledger").map_err(io_at(format!(
                "writing the claim ledger in `{}`",
                dir.display()
            )))?;
            ledger::write(dir, after)?;
        }
        return Ok(());
    }
    let log_path = store_dir.join("events.jsonl");
    let tx = crate::random::ulid().to_string();
    let (offset, fresh) = log_end(&log_path)?;
    let events = log_bytes(plan.events, fresh)?;
    let ledger_changes = match plan.ledger {
        Some((_, before, after)) => ledger_diff(before, after),
        None => BTreeMap::new(),
    };
    let puts: Vec<PutIntent> = plan
        .puts
        .iter()
        .map(|(t, _)| PutIntent {
            target: rel(t),
            replaces: std::fs::symlink_metadata(store_dir.join(t)).is_ok(),
        })
        .collect();
    let intent = Intent {
        jit_journal: FORMAT,
        tx: tx.clone(),
        log_offset: offset,
        log_bytes: String::from_utf8(events.clone())
            .map_err(|e| Error::Internal(format!("event lines are not UTF-8: {e}")))?,
        puts,
        deletes: plan.deletes.iter().map(|d| rel(d)).collect(),
        ledger: ledger_changes.clone(),
    };
    let mut progress = Progress::default();
    let result = run(
        store_dir,
        journal,
        plan,
        &intent,
        &events,
        &log_path,
        faults,
        &mut progress,
    );
    match result {
        Ok(()) => Ok(()),
        Err(e) if faults.crashed() => Err(e),
        Err(e) => {
            // Undo what was done. If the undo fails too, the intent stays for `recover`.
            match undo(store_dir, journal, plan, &intent, &log_path, &progress) {
                Ok(()) => Err(e),
                Err(undo_err) => Err(Error::io(
                    format!(
                        "{e}; undoing the transaction failed too ({undo_err}): it stays in `.jit/lock`, and the next jit command completes it or undoes it (`jit validate` reports it meanwhile)"
                    ),
                    std::io::Error::other("transaction left for recovery"),
                )),
            }
        }
    }
}

/// How far [`run`] got, for the undo.
#[derive(Debug, Default)]
struct Progress {
    journal: bool,
    ledger: bool,
    temps: Vec<PathBuf>,
    olds: Vec<PathBuf>,
    log_appended: bool,
    committed: bool,
    /// Targets renamed or removed.
    applied: usize,
    deleted: usize,
}

fn io_at(what: String) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::io(what, e)
}

#[allow(clippy::too_many_arguments)]
fn run(
    store_dir: &Path,
    journal: &File,
    plan: &Plan<'_>,
    intent: &Intent,
    events: &[u8],
    log_path: &Path,
    faults: &Faults,
    p: &mut Progress,
) -> Result<()> {
    // 1. The intent.
    let mut bytes = serde_json::to_vec(intent).map_err(|e| Error::Internal(e.to_string()))?;
    bytes.push(b'\n');
    p.journal = true;
    write_journal(journal, &bytes, faults)?;
    // 2. The claim ledger.
    if let Some((dir, _, after)) = plan.ledger {
        p.ledger = true;
        faults.point("ledger").map_err(io_at(format!(
            "writing the claim ledger in `{}`",
            dir.display()
        )))?;
        ledger::write(dir, after)?;
    }
    // 3. Temp files and before images.
    write_temps(store_dir, &intent.tx, &plan.puts, faults, p)?;
    for (target, put) in plan.puts.iter().map(|(t, _)| t).zip(&intent.puts) {
        if put.replaces {
            link_old(store_dir, target, &intent.tx, faults, p)?;
        }
    }
    for target in &plan.deletes {
        if std::fs::symlink_metadata(store_dir.join(target)).is_ok() {
            link_old(store_dir, target, &intent.tx, faults, p)?;
        }
    }
    // 4. The commit point.
    if events.is_empty() {
        append_marker(journal, COMMIT, faults)?;
    } else {
        p.log_appended = true;
        append_log(log_path, events, faults)?;
    }
    p.committed = true;
    // 5. Renames, removals, one sync per directory.
    let mut dirs = BTreeSet::new();
    for (target, _) in &plan.puts {
        faults
            .point("rename")
            .map_err(io_at(format!("replacing `{}`", target.display())))?;
        let to = store_dir.join(target);
        std::fs::rename(temp_of(store_dir, target, &intent.tx), &to)
            .map_err(io_at(format!("replacing `{}`", to.display())))?;
        p.applied += 1;
        dirs.insert(to.parent().map(Path::to_path_buf).unwrap_or_default());
    }
    for target in &plan.deletes {
        let to = store_dir.join(target);
        faults
            .point("remove")
            .map_err(io_at(format!("removing `{}`", to.display())))?;
        match std::fs::remove_file(&to) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(format!("removing `{}`", to.display()), e)),
        }
        p.deleted += 1;
        dirs.insert(to.parent().map(Path::to_path_buf).unwrap_or_default());
    }
    for d in &dirs {
        faults
            .point("sync directory")
            .map_err(io_at(format!("syncing `{}`", d.display())))?;
        super::sync_dir(d);
    }
    // Done: the before images and the intent go. Neither can lose anything now.
    for old in &p.olds {
        let _ = std::fs::remove_file(old);
    }
    clear(journal);
    Ok(())
}

fn write_journal(journal: &File, bytes: &[u8], faults: &Faults) -> Result<()> {
    let ctx = |e| Error::io("writing the transaction journal (`.jit/lock`)", e);
    faults.point("journal").map_err(ctx)?;
    let mut f = journal;
    f.set_len(0).map_err(ctx)?;
    f.seek(SeekFrom::Start(0)).map_err(ctx)?;
    f.write_all(bytes).map_err(ctx)?;
    faults.point("journal sync").map_err(ctx)?;
    f.sync_data().map_err(ctx)
}

fn append_marker(journal: &File, marker: &str, faults: &Faults) -> Result<()> {
    let ctx = |e| Error::io("writing the transaction journal (`.jit/lock`)", e);
    faults.point("journal mark").map_err(ctx)?;
    let mut f = journal;
    f.seek(SeekFrom::End(0)).map_err(ctx)?;
    f.write_all(format!("{marker}\n").as_bytes()).map_err(ctx)?;
    f.sync_data().map_err(ctx)
}

/// Empties the lock file: no transaction pending. Not synced: an intent that reappears after
/// a power loss describes a finished transaction, and recovering it again changes nothing.
fn clear(journal: &File) {
    let _ = journal.set_len(0);
}

fn append_log(path: &Path, bytes: &[u8], faults: &Faults) -> Result<()> {
    let ctx = |e| Error::io(format!("appending to `{}`", path.display()), e);
    faults.point("log append").map_err(ctx)?;
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(ctx)?;
    // Half a write is what a full disk leaves: simulated by writing half before failing.
    if faults.fail_at == Some(faults.points()) {
        let _ = f.write_all(&bytes[..bytes.len() / 2]);
    }
    faults.point("log write").map_err(ctx)?;
    f.write_all(bytes).map_err(ctx)?;
    faults.point("log sync").map_err(ctx)?;
    f.sync_data().map_err(ctx)
}

/// Permissions for a file that replaces `target` (its own) or is new (`rw-r--r--` on Unix).
fn mode_for(target: &Path) -> Option<std::fs::Permissions> {
    match std::fs::metadata(target) {
        Ok(m) => Some(m.permissions()),
        Err(_) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                Some(std::fs::Permissions::from_mode(0o644))
            }
            #[cfg(not(unix))]
            None
        }
    }
}

fn write_temp(path: &Path, target: &Path, bytes: &[u8], sync: bool) -> std::io::Result<()> {
    let mut f = OpenOptions::new().write(true).create_new(true).open(path)?;
    f.write_all(bytes)?;
    if let Some(mode) = mode_for(target) {
        f.set_permissions(mode)?;
    }
    if sync {
        f.sync_all()?;
    }
    Ok(())
}

fn write_temps(
    store_dir: &Path,
    tx: &str,
    puts: &[(PathBuf, Vec<u8>)],
    faults: &Faults,
    p: &mut Progress,
) -> Result<()> {
    if puts.len() < super::atomic::BATCH {
        for (target, bytes) in puts {
            let temp = temp_of(store_dir, target, tx);
            let to = store_dir.join(target);
            faults
                .point("temp file")
                .map_err(io_at(format!("writing `{}`", to.display())))?;
            p.temps.push(temp.clone());
            write_temp(&temp, &to, bytes, true)
                .map_err(io_at(format!("writing `{}`", to.display())))?;
        }
        return Ok(());
    }
    // Many files (an import): written in parallel, then made durable by one flush.
    faults
        .point("temp files")
        .map_err(io_at(format!("writing {} files", puts.len())))?;
    p.temps
        .extend(puts.iter().map(|(t, _)| temp_of(store_dir, t, tx)));
    let sync_each = !cfg!(target_os = "linux");
    let results = super::in_parallel(puts, 64, |part| {
        part.iter()
            .map(|(target, bytes)| {
                let to = store_dir.join(target);
                write_temp(&temp_of(store_dir, target, tx), &to, bytes, sync_each)
                    .map_err(io_at(format!("writing `{}`", to.display())))
            })
            .collect::<Vec<_>>()
    });
    results.into_iter().collect::<Result<Vec<()>>>()?;
    faults
        .point("flush")
        .map_err(io_at(format!("flushing `{}`", store_dir.display())))?;
    #[cfg(target_os = "linux")]
    {
        let d =
            File::open(store_dir).map_err(io_at(format!("opening `{}`", store_dir.display())))?;
        rustix::fs::syncfs(&d).map_err(|e| {
            Error::io(
                format!("flushing `{}`", store_dir.display()),
                std::io::Error::from_raw_os_error(e.raw_os_error()),
            )
        })?;
    }
    Ok(())
}

fn link_old(
    store_dir: &Path,
    target: &Path,
    tx: &str,
    faults: &Faults,
    p: &mut Progress,
) -> Result<()> {
    let from = store_dir.join(target);
    let old = old_of(store_dir, target, tx);
    let ctx = io_at(format!("keeping the old `{}`", from.display()));
    faults.point("before image").map_err(ctx)?;
    p.olds.push(old.clone());
    match std::fs::hard_link(&from, &old) {
        Ok(()) => Ok(()),
        // A file system without hard links: a copy does the same job.
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::Unsupported | std::io::ErrorKind::PermissionDenied
            ) =>
        {
            std::fs::copy(&from, &old)
                .map(|_| ())
                .map_err(io_at(format!("keeping the old `{}`", from.display())))
        }
        Err(e) => Err(Error::io(
            format!("keeping the old `{}`", from.display()),
            e,
        )),
    }
}

/// Undoes a commit that failed while this process still runs (see the module docs).
fn undo(
    store_dir: &Path,
    journal: &File,
    plan: &Plan<'_>,
    intent: &Intent,
    log_path: &Path,
    p: &Progress,
) -> Result<()> {
    if !p.journal {
        return Ok(());
    }
    if p.committed {
        // Past the commit point: make the before images durable, then say so before touching
        // anything, so a crash during the undo is finished by `recover`.
        let mut dirs = BTreeSet::new();
        for o in &p.olds {
            if let Some(d) = o.parent() {
                dirs.insert(d.to_path_buf());
            }
        }
        for d in &dirs {
            super::sync_dir(d);
        }
        append_marker(journal, ROLLBACK, &Faults::none())?;
        restore(store_dir, intent)?;
    }
    for t in &p.temps {
        remove_if_exists(t)?;
    }
    for o in &p.olds {
        remove_if_exists(o)?;
    }
    if p.log_appended {
        cut_log(log_path, intent.log_offset, intent.log_bytes.as_bytes())?;
    }
    if p.ledger
        && let Some((dir, _, _)) = plan.ledger
    {
        rollback_ledger(dir, &intent.ledger)?;
    }
    clear(journal);
    Ok(())
}

fn remove_if_exists(p: &Path) -> Result<()> {
    match std::fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(format!("removing `{}`", p.display()), e)),
    }
}

/// Puts back every target from its before image (renamed back), and removes created targets.
fn restore(store_dir: &Path, intent: &Intent) -> Result<()> {
    let mut dirs = BTreeSet::new();
    for put in &intent.puts {
        let target = Path::new(&put.target);
        let to = store_dir.join(target);
        let old = old_of(store_dir, target, &intent.tx);
        if put.replaces {
            if old.exists() {
                std::fs::rename(&old, &to)
                    .map_err(io_at(format!("restoring `{}`", to.display())))?;
            }
        } else {
            remove_if_exists(&to)?;
        }
        dirs.insert(to.parent().map(Path::to_path_buf).unwrap_or_default());
    }
    for d in &intent.deletes {
        let target = Path::new(d);
        let to = store_dir.join(target);
        let old = old_of(store_dir, target, &intent.tx);
        if old.exists() {
            std::fs::rename(&old, &to).map_err(io_at(format!("restoring `{}`", to.display())))?;
        }
        dirs.insert(to.parent().map(Path::to_path_buf).unwrap_or_default());
    }
    for d in &dirs {
        super::sync_dir(d);
    }
    Ok(())
}

/// Cuts the log back to `offset` when what follows it is this transaction's lines (or a part
/// of them); a log changed since by something else is left alone.
fn cut_log(path: &Path, offset: u64, ours: &[u8]) -> Result<()> {
    let ctx = |e| Error::io(format!("cutting back `{}`", path.display()), e);
    let mut f = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(ctx(e)),
    };
    let len = f.metadata().map_err(ctx)?.len();
    if len <= offset || len - offset > ours.len() as u64 {
        return Ok(());
    }
    let mut tail = Vec::with_capacity((len - offset) as usize);
    f.seek(SeekFrom::Start(offset)).map_err(ctx)?;
    f.read_to_end(&mut tail).map_err(ctx)?;
    if !ours.starts_with(&tail) {
        return Ok(());
    }
    f.set_len(offset).map_err(ctx)?;
    f.sync_data().map_err(ctx)
}

/// Whether the log holds `ours` at `offset`: the transaction reached its commit point.
fn log_holds(path: &Path, offset: u64, ours: &[u8]) -> Result<bool> {
    if ours.is_empty() {
        return Ok(false);
    }
    let ctx = |e| Error::io(format!("reading `{}`", path.display()), e);
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(ctx(e)),
    };
    let len = f.metadata().map_err(ctx)?.len();
    if len < offset + ours.len() as u64 {
        return Ok(false);
    }
    let mut got = vec![0u8; ours.len()];
    f.seek(SeekFrom::Start(offset)).map_err(ctx)?;
    f.read_exact(&mut got).map_err(ctx)?;
    Ok(got == ours)
}

fn ledger_diff(before: &Ledger, after: &Ledger) -> BTreeMap<IssueId, LedgerChange> {
    let ids: BTreeSet<&IssueId> = before.entries.keys().chain(after.entries.keys()).collect();
    ids.into_iter()
        .filter_map(|id| {
            let (b, a) = (before.entries.get(id), after.entries.get(id));
            (b != a).then(|| {
                (
                    id.clone(),
                    LedgerChange {
                        before: b.cloned(),
                        after: a.cloned(),
                    },
                )
            })
        })
        .collect()
}

/// Puts back the ledger entries a transaction changed, each only where the ledger still holds
/// what the transaction wrote (another worktree may have moved it on since). The caller holds
/// the ledger lock.
fn rollback_ledger(dir: &Path, changes: &BTreeMap<IssueId, LedgerChange>) -> Result<()> {
    if changes.is_empty() {
        return Ok(());
    }
    let mut current = match ledger::read(dir) {
        Ok(l) => l,
        // An unreadable ledger is `validate --fix`'s to rebuild from the files.
        Err(Error::CorruptFile { .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut changed = false;
    for (id, c) in changes {
        if current.entries.get(id) == c.after.as_ref() {
            match &c.before {
                Some(b) => current.entries.insert(id.clone(), b.clone()),
                None => current.entries.remove(id),
            };
            changed = true;
        }
    }
    if changed {
        ledger::write(dir, &current)?;
    }
    Ok(())
}

/// Finishes or undoes a transaction left in the lock file by a process that died. Call with
/// the store lock (and, in git, the ledger lock) held. `None` when nothing was pending.
pub fn recover(
    store_dir: &Path,
    ledger_dir: Option<&Path>,
    journal: &File,
) -> Result<Option<Recovered>> {
    let mut text = Vec::new();
    (&*journal)
        .seek(SeekFrom::Start(0))
        .and_then(|_| (&*journal).read_to_end(&mut text))
        .map_err(|e| Error::io("reading the transaction journal (`.jit/lock`)", e))?;
    if text.is_empty() {
        return Ok(None);
    }
    let mut lines = text.split(|b| *b == b'\n');
    let head = lines.next().unwrap_or_default();
    let intent: Intent = match (text.contains(&b'\n'), serde_json::from_slice(head)) {
        (true, Ok(i)) => i,
        _ => {
            clear(journal);
            return Ok(Some(Recovered::Dropped));
        }
    };
    if intent.jit_journal > FORMAT {
        return Err(Error::CorruptFile {
            path: store_dir.join("lock"),
            message: format!(
                "holds a transaction journal of format {}, newer than this jit reads ({FORMAT}); finish it with a newer jit",
                intent.jit_journal
            ),
        });
    }
    let marks: Vec<&[u8]> = lines.filter(|l| !l.is_empty()).collect();
    let rolling_back = marks.iter().any(|m| *m == ROLLBACK.as_bytes());
    let log_path = store_dir.join("events.jsonl");
    let events = intent.log_bytes.as_bytes();
    let committed = !rolling_back
        && (marks.iter().any(|m| *m == COMMIT.as_bytes())
            || log_holds(&log_path, intent.log_offset, events)?);
    let tx = &intent.tx;
    let olds = || {
        intent
            .puts
            .iter()
            .filter(|p| p.replaces)
            .map(|p| old_of(store_dir, Path::new(&p.target), tx))
            .chain(
                intent
                    .deletes
                    .iter()
                    .map(|d| old_of(store_dir, Path::new(d), tx)),
            )
            .collect::<Vec<_>>()
    };
    if committed {
        let mut dirs = BTreeSet::new();
        for put in &intent.puts {
            let target = Path::new(&put.target);
            let temp = temp_of(store_dir, target, tx);
            let to = store_dir.join(target);
            if temp.exists() {
                std::fs::rename(&temp, &to)
                    .map_err(io_at(format!("replacing `{}`", to.display())))?;
            }
            dirs.insert(to.parent().map(Path::to_path_buf).unwrap_or_default());
        }
        for d in &intent.deletes {
            let to = store_dir.join(d);
            remove_if_exists(&to)?;
            dirs.insert(to.parent().map(Path::to_path_buf).unwrap_or_default());
        }
        for d in &dirs {
            super::sync_dir(d);
        }
        for o in olds() {
            remove_if_exists(&o)?;
        }
        clear(journal);
        let (evs, _) = super::events::parse(events);
        return Ok(Some(Recovered::Completed(evs)));
    }
    if rolling_back {
        restore(store_dir, &intent)?;
    }
    for put in &intent.puts {
        remove_if_exists(&temp_of(store_dir, Path::new(&put.target), tx))?;
    }
    for o in olds() {
        remove_if_exists(&o)?;
    }
    cut_log(&log_path, intent.log_offset, events)?;
    if let Some(dir) = ledger_dir {
        rollback_ledger(dir, &intent.ledger)?;
    }
    clear(journal);
    Ok(Some(Recovered::RolledBack))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{State, Timestamp};

    fn ev(n: u32) -> Event {
        Event {
            id: ulid::Ulid::from_parts(1_800_000_000_000 + u64::from(n), 7).to_string(),
            ts: Timestamp::from_millis(1_800_000_000_000),
            kind: "issue.updated".into(),
            issue: None,
            actor: "human:t".into(),
            changes: Vec::new(),
            data: serde_json::Value::Null,
        }
    }

    fn id(n: u32) -> IssueId {
        IssueId::parse(&ulid::Ulid::from_parts(1_700_000_000_000, u128::from(n)).to_string())
            .unwrap()
    }

    fn entry(holder: &str) -> Entry {
        Entry {
            epoch: 1,
            state: State::InProgress,
            assignee: Some(holder.into()),
            lease: None,
            remote: None,
            seen: None,
            superseded: Vec::new(),
            at: Timestamp::from_millis(1_800_000_000_000),
            by: holder.into(),
        }
    }

    /// A store directory with three issue files, a log ending in a torn line, and a ledger.
    struct Fixture {
        tmp: tempfile::TempDir,
    }

    impl Fixture {
        fn new(batch: bool) -> Self {
            // On a memory file system where there is one: a batch's `syncfs` then flushes
            // nothing else of the machine's (the test checks what is written, not the flush).
            let tmp = match std::path::Path::new("/dev/shm").is_dir() {
                true => tempfile::tempdir_in("/dev/shm").unwrap(),
                false => tempfile::tempdir().unwrap(),
            };
            let store = tmp.path().join(".jit");
            std::fs::create_dir_all(store.join("issues")).unwrap();
            std::fs::create_dir_all(tmp.path().join("ledger")).unwrap();
            let n = if batch { 40 } else { 3 };
            for i in 0..n {
                std::fs::write(
                    store.join(format!("issues/{}.json", id(i).as_str())),
                    format!("old {i}\n"),
                )
                .unwrap();
            }
            std::fs::write(store.join("gates.json"), "{}\n").unwrap();
            let mut log = serde_json::to_vec(&ev(0)).unwrap();
            log.extend_from_slice(b"\n{\"id\":\"torn");
            std::fs::write(store.join("events.jsonl"), log).unwrap();
            let mut l = Ledger::default();
            l.entries.insert(id(0), entry("agent:old"));
            ledger::write(&tmp.path().join("ledger"), &l).unwrap();
            std::fs::write(store.join("lock"), b"").unwrap();
            Fixture { tmp }
        }

        fn store(&self) -> PathBuf {
            self.tmp.path().join(".jit")
        }

        fn ledger_dir(&self) -> PathBuf {
            self.tmp.path().join("ledger")
        }

        fn lock(&self) -> File {
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(self.store().join("lock"))
                .unwrap()
        }

        /// Every file's bytes (the lock file aside) and the ledger's entries.
        fn snapshot(&self) -> (BTreeMap<String, Vec<u8>>, BTreeMap<IssueId, Entry>) {
            let mut files = BTreeMap::new();
            let mut dirs = vec![self.store()];
            while let Some(d) = dirs.pop() {
                for e in std::fs::read_dir(&d).unwrap().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        dirs.push(p);
                    } else if p.file_name().unwrap() != "lock" {
                        files.insert(
                            p.strip_prefix(self.store()).unwrap().display().to_string(),
                            std::fs::read(&p).unwrap(),
                        );
                    }
                }
            }
            let l = ledger::read(&self.ledger_dir()).unwrap();
            (files, l.entries)
        }

        /// Runs the plan of this fixture with `faults`.
        fn commit(&self, batch: bool, faults: &Faults) -> Result<()> {
            let events: Vec<Event> = (1..=3).map(ev).collect();
            let mut puts = Vec::new();
            let n = if batch { 40 } else { 2 };
            for i in 0..n {
                puts.push((
                    PathBuf::from(format!("issues/{}.json", id(i).as_str())),
                    format!("new {i}\n").into_bytes(),
                ));
            }
            puts.push((
                PathBuf::from(format!("issues/{}.json", id(99).as_str())),
                b"created\n".to_vec(),
            ));
            puts.push(("gates.json".into(), b"{\"g\":1}\n".to_vec()));
            let deletes = vec![PathBuf::from(format!(
                "issues/{}.json",
                id(if batch { 39 } else { 2 }).as_str()
            ))];
            let puts: Vec<_> = puts
                .into_iter()
                .filter(|(p, _)| !deletes.contains(p))
                .collect();
            let before = ledger::read(&self.ledger_dir()).unwrap();
            let mut after = before.clone();
            after.entries.insert(id(0), entry("agent:new"));
            after.entries.insert(id(1), entry("agent:new"));
            let ldir = self.ledger_dir();
            let plan = Plan {
                puts,
                deletes,
                events: &events,
                ledger: Some((&ldir, &before, &after)),
            };
            commit(&self.store(), &self.lock(), &plan, faults)
        }
    }

    fn no_leftovers(f: &Fixture) {
        let (files, _) = f.snapshot();
        let stray: Vec<_> = files.keys().filter(|k| k.ends_with(".tmp")).collect();
        assert!(stray.is_empty(), "{stray:?}");
        assert_eq!(std::fs::metadata(f.store().join("lock")).unwrap().len(), 0);
    }

    fn every_write_point(batch: bool) {
        // What the store looks like before and after the whole transaction.
        let f = Fixture::new(batch);
        let before = f.snapshot();
        let faults = Faults::none();
        f.commit(batch, &faults).unwrap();
        let after = f.snapshot();
        no_leftovers(&f);
        assert_ne!(before, after);
        let points = faults.points();
        let trace = faults.trace.borrow().clone();
        // Once the event lines are written the transaction is committed (a crash then completes it).
        let commit_at = trace.iter().position(|p| *p == "log write").unwrap();
        assert!(points > 8, "{trace:?}");
        for (n, point) in trace.iter().enumerate().take(points) {
            // A full disk at point n: the command fails and nothing changed.
            let f = Fixture::new(batch);
            let err = f.commit(batch, &Faults::at(n, false)).unwrap_err();
            assert_eq!(err.code(), "io", "{err}");
            assert_eq!(f.snapshot(), before, "ENOSPC at {point} ({n})");
            no_leftovers(&f);
            // The same store takes the transaction whole afterwards.
            f.commit(batch, &Faults::none()).unwrap();
            assert_eq!(f.snapshot(), after);

            // A crash at point n: the next process finds it and finishes or undoes it.
            let f = Fixture::new(batch);
            f.commit(batch, &Faults::at(n, true)).unwrap_err();
            let got = recover(&f.store(), Some(&f.ledger_dir()), &f.lock()).unwrap();
            let want = if n > commit_at { &after } else { &before };
            assert_eq!(&f.snapshot(), want, "crash at {point} ({n}): {got:?}");
            no_leftovers(&f);
            if n > commit_at {
                assert!(matches!(got, Some(Recovered::Completed(ref e)) if e.len() == 3));
            }
            assert!(
                recover(&f.store(), Some(&f.ledger_dir()), &f.lock())
                    .unwrap()
                    .is_none()
            );
        }
    }

    #[test]
    fn enospc_or_a_crash_at_every_write_point_leaves_before_or_after() {
        every_write_point(false);
    }

    #[test]
    fn a_batch_is_all_or_nothing_at_every_write_point() {
        every_write_point(true);
    }

    #[test]
    fn an_undo_after_the_commit_point_is_finished_by_recovery() {
        // A rename fails (past the commit point); the undo is marked first. A crash in the
        // middle of the undo: recovery finishes it, it does not redo the transaction.
        let f = Fixture::new(false);
        let before = f.snapshot();
        let faults = Faults::none();
        f.commit(false, &faults).unwrap();
        let rename = faults
            .trace
            .borrow()
            .iter()
            .position(|p| *p == "rename")
            .unwrap();
        let f = Fixture::new(false);
        let lock = f.lock();
        // Reach the rename, fail there, and mark the undo as the live path does; then "crash".
        f.commit(false, &Faults::at(rename + 1, true)).unwrap_err();
        append_marker(&lock, ROLLBACK, &Faults::none()).unwrap();
        let got = recover(&f.store(), Some(&f.ledger_dir()), &lock).unwrap();
        assert!(matches!(got, Some(Recovered::RolledBack)), "{got:?}");
        assert_eq!(f.snapshot(), before);
        no_leftovers(&f);
    }

    #[test]
    fn a_torn_intent_is_dropped_and_a_moved_on_ledger_entry_is_kept() {
        let f = Fixture::new(false);
        let before = f.snapshot();
        std::fs::write(f.store().join("lock"), b"{\"jit_journal\":1,\"tx").unwrap();
        let got = recover(&f.store(), Some(&f.ledger_dir()), &f.lock()).unwrap();
        assert!(matches!(got, Some(Recovered::Dropped)));
        assert_eq!(f.snapshot(), before);

        // Crash after the ledger was written; another worktree then moves one entry on.
        let faults = Faults::none();
        Fixture::new(false).commit(false, &faults).unwrap();
        let after_ledger = faults
            .trace
            .borrow()
            .iter()
            .position(|p| *p == "ledger")
            .unwrap()
            + 1;
        f.commit(false, &Faults::at(after_ledger, true))
            .unwrap_err();
        let mut l = ledger::read(&f.ledger_dir()).unwrap();
        l.entries.insert(id(1), entry("agent:elsewhere"));
        ledger::write(&f.ledger_dir(), &l).unwrap();
        recover(&f.store(), Some(&f.ledger_dir()), &f.lock()).unwrap();
        let l = ledger::read(&f.ledger_dir()).unwrap();
        assert_eq!(l.entries[&id(0)], entry("agent:old"), "put back");
        assert_eq!(
            l.entries[&id(1)],
            entry("agent:elsewhere"),
            "not ours to undo"
        );
    }
}
