//! The claim ledger: one per git repository, shared by all its worktrees, holding the latest
//! claim and completion of every issue that changed hands, so that a claim made in one worktree
//! is seen at once in every other (the issue files are per worktree and meet only when branches
//! merge). It also remembers what each git remote's claim refs held when last seen.
//!
//! Location: `<git common dir>/jit/` (`.git/jit/` of the main checkout, which every linked
//! worktree shares): `claims.json` and its `lock`. A store outside git has no ledger and its
//! issue files alone decide, as before.
//!
//! Invariants:
//! - The ledger is written only under its lock, which every mutation of any worktree of the
//!   repository takes before the store lock (never the other way round), and replaced atomically,
//!   so readers need no lock.
//! - An entry mirrors the claim fields of an issue (`state`, `assignee`, `lease`, `claim`). It
//!   overrides what an issue file says when its key ([`rules::claim_key`]: fencing epoch, then
//!   lifecycle) is greater than the file's, or equal with the same holder. A file that is ahead,
//!   or that names another holder at the same key, arrived by a merge from another clone (the
//!   worktrees of one repository never fork a claim: they share this ledger), and it wins.
//! - Entries that add nothing are not kept: a finished or released claim in a repository with one
//!   worktree, unless a remote's state is attached to it.

use super::{StoreLock, to_pretty, write_atomic};
use crate::error::{Error, Result};
use crate::model::{ClaimStamp, Issue, IssueId, Lease, State, Timestamp};
use crate::rules;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The ledger's file name inside its directory.
pub const FILE: &str = "claims.json";
const LOCK: &str = "lock";
const FORMAT: u32 = 1;
/// Superseded holders remembered per issue.
const SUPERSEDED_KEPT: usize = 16;

/// One claim record as a git remote's claim ref holds it (see `gitops::remote`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimRecord {
    pub issue: IssueId,
    pub epoch: u64,
    /// The issue's state when the record was written (`in_progress`, `gated`, `done`, ...).
    pub state: State,
    /// Who holds the claim (for finished work: who did it); `null` once it was released.
    pub holder: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquired_at: Option<Timestamp>,
    /// The lease's expiry by the writer's clock (other clones trust it only within the
    /// tolerated clock skew).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    /// When and by whom the record was written (the writer's clock).
    pub at: Timestamp,
    pub by: String,
}

impl ClaimRecord {
    /// The record of an issue as it is about to be written.
    pub fn of(issue: &Issue, at: Timestamp, by: &str) -> Self {
        let lease = issue.lease.as_ref();
        ClaimRecord {
            issue: issue.id.clone(),
            epoch: issue.epoch(),
            state: issue.state,
            holder: issue.assignee.clone(),
            acquired_at: lease.map(|l| l.acquired_at),
            expires_at: lease.and_then(|l| l.expires_at),
            ttl_secs: lease.and_then(|l| l.ttl_secs),
            at,
            by: by.to_string(),
        }
    }

    /// The order of this record among the issue's claim records.
    pub fn key(&self) -> (u64, u8) {
        rules::claim_key(self.epoch, self.state, self.holder.is_some())
    }
}

/// What a git remote's claim ref held when this repository last saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteSeen {
    /// The remote's name.
    pub name: String,
    /// The commit the ref pointed at.
    pub sha: String,
    /// The record's epoch and lifecycle rank.
    pub epoch: u64,
    pub rank: u8,
    /// When this repository first saw the ref at this commit (its own clock, ms): expiry of a
    /// claim made elsewhere is measured from here, not from the other machine's clock.
    pub seen_ms: i64,
    /// The holder's lease expiry by the holder's clock, as recorded in the ref.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
}

/// A holder whose claim was taken over by a later epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Superseded {
    pub holder: String,
    pub epoch: u64,
}

/// The latest claim of one issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub epoch: u64,
    pub state: State,
    #[serde(default)]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
    /// The remote the claim is published on, if it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// What the remote's claim ref held when last seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seen: Option<RemoteSeen>,
    /// Holders that lost the claim to a later epoch, newest last.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<Superseded>,
    /// When the entry last changed, and by whom.
    pub at: Timestamp,
    pub by: String,
}

impl Entry {
    /// The entry for an issue as it is now.
    pub fn of(issue: &Issue, at: Timestamp, by: &str) -> Self {
        Entry {
            epoch: issue.epoch(),
            state: issue.state,
            assignee: issue.assignee.clone(),
            lease: issue.lease.clone(),
            remote: issue.claim.as_ref().and_then(|c| c.remote.clone()),
            seen: None,
            superseded: Vec::new(),
            at,
            by: by.to_string(),
        }
    }

    /// The order of this record among the issue's claim records.
    pub fn key(&self) -> (u64, u8) {
        rules::claim_key(self.epoch, self.state, self.assignee.is_some())
    }

    /// Whether this entry overrides a file whose claim has `key` and `assignee`: it is ahead,
    /// or level and held by the same actor.
    pub fn outranks(&self, key: (u64, u8), assignee: Option<&str>) -> bool {
        let k = self.key();
        k > key || (k == key && self.assignee.as_deref() == assignee)
    }

    /// Whether the claim's lifecycle is over (released or finished).
    pub fn is_terminal(&self) -> bool {
        self.key().1 >= 3
    }

    /// Writes this entry's claim fields into `issue`.
    pub fn apply(&self, issue: &mut Issue) {
        issue.state = self.state;
        issue.assignee = self.assignee.clone();
        issue.lease = self.lease.clone();
        issue.claim = (self.epoch > 0).then(|| ClaimStamp {
            epoch: self.epoch,
            remote: self.remote.clone(),
        });
    }

    /// Whether `actor` held this issue under an earlier epoch and lost it to the current holder.
    pub fn superseded(&self, actor: &str) -> Option<&Superseded> {
        if self.assignee.as_deref() == Some(actor) {
            return None;
        }
        self.superseded.iter().rev().find(|s| s.holder == actor)
    }
}

/// The key of the claim an issue file records.
pub fn issue_key(issue: &Issue) -> (u64, u8) {
    rules::claim_key(issue.epoch(), issue.state, issue.assignee.is_some())
}

/// The ledger file's contents.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Ledger {
    #[serde(default)]
    pub format: u32,
    #[serde(default)]
    pub entries: BTreeMap<IssueId, Entry>,
    /// The empty tree object, once written (the claim refs' commits carry it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_tree: Option<String>,
    /// How many entries the ledger held after it was last compacted (see [`Ledger::compact`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub compacted_at: usize,
    /// Whether the repository has linked worktrees (decided when read; not stored).
    #[serde(skip)]
    pub shared: bool,
}

impl Ledger {
    /// The entry of one issue.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries.get(id)
    }

    /// The entry of one issue when it overrides a file whose claim has `key` and `assignee`.
    pub fn outranking(&self, id: &str, key: (u64, u8), assignee: Option<&str>) -> Option<&Entry> {
        self.entries.get(id).filter(|e| e.outranks(key, assignee))
    }

    /// Applies the ledger to an issue read from a file: the entry wins unless the file is ahead.
    /// Returns whether anything changed.
    pub fn overlay(&self, issue: &mut Issue) -> bool {
        match self.outranking(
            issue.id.as_str(),
            issue_key(issue),
            issue.assignee.as_deref(),
        ) {
            Some(e) => {
                let before = (
                    issue.state,
                    issue.assignee.clone(),
                    issue.lease.clone(),
                    issue.claim.clone(),
                );
                e.apply(issue);
                before
                    != (
                        issue.state,
                        issue.assignee.clone(),
                        issue.lease.clone(),
                        issue.claim.clone(),
                    )
            }
            None => false,
        }
    }

    /// Records an issue's new claim fields. `superseded` names a holder that lost the claim in
    /// this change. Keeps the remote state already known for the issue. Returns whether the
    /// ledger changed.
    pub fn record(
        &mut self,
        issue: &Issue,
        at: Timestamp,
        by: &str,
        superseded: Option<Superseded>,
    ) -> bool {
        let mut entry = Entry::of(issue, at, by);
        if let Some(old) = self.entries.get(&issue.id) {
            entry.seen = old.seen.clone();
            entry.superseded = old.superseded.clone();
        }
        if let Some(s) = superseded
            && !entry.superseded.contains(&s)
        {
            entry.superseded.push(s);
        }
        let n = entry.superseded.len();
        if n > SUPERSEDED_KEPT {
            entry.superseded.drain(..n - SUPERSEDED_KEPT);
        }
        let keep = self.shared
            || !entry.is_terminal()
            || entry.seen.is_some()
            || !entry.superseded.is_empty();
        if keep {
            self.entries.insert(issue.id.clone(), entry);
            true
        } else {
            self.entries.remove(&issue.id).is_some()
        }
    }
}

impl Ledger {
    /// Learns what `remote`'s claim ref for `id` holds (commit `sha`), seen at `now_ms` by this
    /// repository's clock. The record replaces the entry's claim when it is later (by key), or
    /// as late and either the same holder's or against a claim never published; a holder it
    /// displaces is remembered as superseded. A claim made elsewhere expires here, at the
    /// earliest, when it has been seen unchanged for its TTL, or `max_skew_ms` after its
    /// writer's own expiry: never by trusting another machine's clock further than that.
    /// Returns whether the ledger changed.
    pub fn learn(
        &mut self,
        remote: &str,
        sha: &str,
        rec: &ClaimRecord,
        now_ms: i64,
        max_skew_ms: i64,
    ) -> bool {
        let old = self.entries.get(&rec.issue);
        if old
            .and_then(|e| e.seen.as_ref())
            .is_some_and(|s| s.name == remote && s.sha == sha)
        {
            return false;
        }
        let key = rec.key();
        let take = old.is_none_or(|e| {
            key > e.key() || (key == e.key() && (e.remote.is_none() || e.assignee == rec.holder))
        });
        let mut entry = match old {
            Some(e) => e.clone(),
            None => Entry {
                epoch: 0,
                state: rec.state,
                assignee: None,
                lease: None,
                remote: None,
                seen: None,
                superseded: Vec::new(),
                at: Timestamp::from_millis(now_ms),
                by: rec.by.clone(),
            },
        };
        if take {
            if let Some(prev) = entry.assignee.clone()
                && entry.key().1 < 3
                && rec.holder.as_deref() != Some(prev.as_str())
            {
                let lost = Superseded {
                    holder: prev,
                    epoch: entry.epoch,
                };
                if !entry.superseded.contains(&lost) {
                    entry.superseded.push(lost);
                }
            }
            entry.epoch = rec.epoch;
            entry.state = rec.state;
            entry.assignee = rec.holder.clone();
            entry.lease = match (&rec.holder, rec.acquired_at) {
                (Some(h), Some(acquired_at)) if !rec.state.is_closed() => {
                    let by_sight = rec.ttl_secs.map(|t| {
                        now_ms.saturating_add(
                            i64::try_from(t)
                                .unwrap_or(i64::MAX / 2)
                                .saturating_mul(1000),
                        )
                    });
                    let by_clock = rec
                        .expires_at
                        .map(|e| e.millis().saturating_add(max_skew_ms));
                    let expires = match (by_sight, by_clock) {
                        (Some(a), Some(b)) => Some(a.min(b)),
                        (a, b) => a.or(b),
                    };
                    Some(Lease {
                        holder: h.clone(),
                        acquired_at,
                        expires_at: expires.map(Timestamp::from_millis),
                        ttl_secs: rec.ttl_secs,
                    })
                }
                _ => None,
            };
            entry.remote = Some(remote.to_string());
            entry.at = Timestamp::from_millis(now_ms);
            entry.by = rec.by.clone();
        }
        entry.seen = Some(RemoteSeen {
            name: remote.to_string(),
            sha: sha.to_string(),
            epoch: rec.epoch,
            rank: key.1,
            seen_ms: now_ms,
            expires_at: rec.expires_at,
        });
        let n = entry.superseded.len();
        if n > SUPERSEDED_KEPT {
            entry.superseded.drain(..n - SUPERSEDED_KEPT);
        }
        self.entries.insert(rec.issue.clone(), entry);
        true
    }

    /// Forgets what `remote` held for issues whose claim refs are gone from it.
    pub fn forget_missing(
        &mut self,
        remote: &str,
        present: &std::collections::HashSet<IssueId>,
    ) -> bool {
        let mut changed = false;
        for (id, e) in self.entries.iter_mut() {
            if e.seen.as_ref().is_some_and(|s| s.name == remote) && !present.contains(id) {
                e.seen = None;
                changed = true;
            }
        }
        changed
    }

    /// The commit `remote`'s claim ref for `id` was last seen at.
    pub fn seen_sha(&self, id: &str, remote: &str) -> Option<&str> {
        self.entries
            .get(id)
            .and_then(|e| e.seen.as_ref())
            .filter(|s| s.name == remote)
            .map(|s| s.sha.as_str())
    }

    /// Notes that this repository itself moved `remote`'s claim ref for `rec.issue` to `sha`.
    pub fn published(&mut self, remote: &str, sha: &str, rec: &ClaimRecord, now_ms: i64) {
        if let Some(e) = self.entries.get_mut(&rec.issue) {
            e.seen = Some(RemoteSeen {
                name: remote.to_string(),
                sha: sha.to_string(),
                epoch: rec.epoch,
                rank: rec.key().1,
                seen_ms: now_ms,
                expires_at: rec.expires_at,
            });
        }
    }
}

/// Publishes claim changes somewhere beyond this repository (a git remote) before a
/// transaction commits, and learns what is there.
pub trait Publisher: std::fmt::Debug + Send + Sync {
    /// The remote's name.
    fn remote(&self) -> &str;
    /// Publishes the claim records in one all-or-nothing step, each replacing the commit the
    /// ledger last saw for it. On success returns each record's new commit, in order; `None`
    /// when another clone moved one of them first (nothing was published).
    fn publish(
        &self,
        root: &Path,
        ledger: &mut Ledger,
        records: &[ClaimRecord],
    ) -> Result<Option<Vec<String>>>;
    /// Reads every claim the remote holds into `ledger`, at `now_ms` by this clock.
    fn fetch(&self, root: &Path, ledger: &mut Ledger, now_ms: i64) -> Result<()>;
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Entries past which a change compacts the ledger (and past twice what the last compaction
/// left, so a ledger that cannot shrink is not rescanned on every change).
pub const COMPACT_AT: usize = 1024;

impl Ledger {
    /// Whether the ledger has grown enough since its last compaction to try again.
    pub fn wants_compaction(&self) -> bool {
        self.entries.len() > COMPACT_AT.max(self.compacted_at.saturating_mul(2))
    }

    /// Drops the entries that add nothing any more: a released or finished claim, not tied to
    /// a remote's ref and with nobody superseded, whose issue every worktree of the repository
    /// (`dir` is the ledger's directory) either records at least as far along or does not have.
    /// Returns how many went.
    pub fn compact(&mut self, dir: &Path) -> usize {
        let trees = worktrees(dir);
        let before = self.entries.len();
        self.entries.retain(|id, e| {
            if !e.is_terminal() || e.seen.is_some() || !e.superseded.is_empty() {
                return true;
            }
            let caught_up = trees.iter().all(|t| {
                let path = t
                    .join(super::DIR)
                    .join("issues")
                    .join(format!("{}.json", id.as_str()));
                match std::fs::read(&path) {
                    Err(err) => err.kind() == std::io::ErrorKind::NotFound,
                    Ok(bytes) => super::parse_issue(&path, id.as_str(), &bytes)
                        .is_ok_and(|i| issue_key(&i) >= e.key()),
                }
            });
            !caught_up
        });
        self.compacted_at = self.entries.len();
        before - self.entries.len()
    }
}

/// Where the ledger of the checkout at `root` lives, if `root` is in git: `<common dir>/jit`.
/// Resolved from the files git itself reads (`.git`, `gitdir:`, `commondir`), without running git.
pub fn locate(root: &Path) -> Option<PathBuf> {
    let gitdir = git_dir(root)?;
    let common = match std::fs::read_to_string(gitdir.join("commondir")) {
        Ok(c) => {
            let p = Path::new(c.trim());
            if p.is_relative() {
                gitdir.join(p)
            } else {
                p.to_path_buf()
            }
        }
        Err(_) => gitdir,
    };
    // `commondir` is usually relative (`../..`): resolve it, so every worktree names the same
    // directory and the main checkout is found beside it.
    let common = std::fs::canonicalize(&common).unwrap_or(common);
    Some(common.join("jit"))
}

/// The git directory of the checkout at `root` itself (`.git`, or for a linked worktree the
/// directory its `.git` file names): where git keeps `HEAD`, the index and the state of a
/// rebase or merge in progress.
pub fn git_dir(root: &Path) -> Option<PathBuf> {
    let dotgit = root.join(".git");
    let meta = std::fs::metadata(&dotgit).ok()?;
    let gitdir = if meta.is_dir() {
        dotgit
    } else if meta.is_file() {
        let text = std::fs::read_to_string(&dotgit).ok()?;
        let p = text.lines().find_map(|l| l.strip_prefix("gitdir:"))?.trim();
        let p = Path::new(p);
        if p.is_relative() {
            root.join(p)
        } else {
            p.to_path_buf()
        }
    } else {
        return None;
    };
    Some(gitdir)
}

/// The git operation the checkout at `root` is in the middle of, if any: `rebase`, `merge`,
/// `cherry-pick` or `revert` (a file or directory git keeps in the checkout's git directory
/// while one is stopped or running).
pub fn git_operation(root: &Path) -> Option<&'static str> {
    let dir = git_dir(root)?;
    [
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("MERGE_HEAD", "merge"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ]
    .into_iter()
    .find(|(f, _)| std::fs::symlink_metadata(dir.join(f)).is_ok())
    .map(|(_, op)| op)
}

/// The common git directory a ledger directory belongs to.
fn common_dir(ledger_dir: &Path) -> Option<&Path> {
    ledger_dir.parent()
}

/// Whether the repository has linked worktrees (`<common>/worktrees/` holds any).
pub fn has_worktrees(ledger_dir: &Path) -> bool {
    common_dir(ledger_dir)
        .and_then(|c| std::fs::read_dir(c.join("worktrees")).ok())
        .is_some_and(|mut rd| rd.next().is_some())
}

/// The top directories of every worktree of the repository: the main one (when the repository
/// is not bare) and each linked one git lists under `<common>/worktrees/`.
pub fn worktrees(ledger_dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Some(common) = common_dir(ledger_dir) else {
        return out;
    };
    if common.file_name().is_some_and(|n| n == ".git")
        && let Some(main) = common.parent()
    {
        out.push(main.to_path_buf());
    }
    if let Ok(rd) = std::fs::read_dir(common.join("worktrees")) {
        for e in rd.flatten() {
            // `gitdir` holds the path of the worktree's `.git` file.
            if let Ok(text) = std::fs::read_to_string(e.path().join("gitdir"))
                && let Some(top) = Path::new(text.trim()).parent()
            {
                out.push(top.to_path_buf());
            }
        }
    }
    out
}

/// Reads the ledger in `dir` (an empty one when there is none yet).
pub fn read(dir: &Path) -> Result<Ledger> {
    let path = dir.join(FILE);
    let mut ledger = match std::fs::read(&path) {
        Ok(bytes) => {
            let l: Ledger = serde_json::from_slice(&bytes).map_err(|e| Error::CorruptFile {
                path: path.clone(),
                message: format!(
                    "the claim ledger is not readable ({e}); `jit validate --fix` rebuilds it"
                ),
            })?;
            if l.format > FORMAT {
                return Err(Error::CorruptFile {
                    path,
                    message: format!(
                        "the claim ledger has format {}, newer than this jit reads ({FORMAT}); upgrade jit",
                        l.format
                    ),
                });
            }
            l
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ledger::default(),
        Err(e) => return Err(Error::io(format!("reading `{}`", path.display()), e)),
    };
    ledger.shared = has_worktrees(dir);
    Ok(ledger)
}

/// Replaces the ledger in `dir` atomically (the caller holds its lock).
pub fn write(dir: &Path, ledger: &Ledger) -> Result<()> {
    let mut l = ledger.clone();
    l.format = FORMAT;
    write_atomic(&dir.join(FILE), &to_pretty(&l)?)
}

/// Takes the ledger's lock if no other process holds it (`None` when one does).
pub fn try_lock(dir: &Path) -> Result<Option<StoreLock>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating `{}`", dir.display()), e))?;
    StoreLock::try_acquire(&dir.join(LOCK))
}

/// Takes the ledger's lock, creating its directory on first use.
pub fn lock(dir: &Path) -> Result<StoreLock> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::io(format!("creating `{}`", dir.display()), e))?;
    StoreLock::acquire(&dir.join(LOCK))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Issue;

    fn issue(n: u32, state: State, epoch: u64) -> Issue {
        let id = IssueId::parse(&format!("01JAAAAAAAAAAAAAAAAAAA{n:04}")).unwrap();
        let mut i = Issue::new(id, format!("t{n}"), Timestamp::from_millis(0));
        i.state = state;
        i.claim = (epoch > 0).then_some(ClaimStamp {
            epoch,
            remote: None,
        });
        i
    }

    fn write_issue(top: &Path, i: &Issue) {
        let d = top.join(".jit/issues");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("{}.json", i.id)), i.to_file_bytes().unwrap()).unwrap();
    }

    /// A main checkout and one linked worktree, as git lays them out.
    fn repo() -> (tempfile::TempDir, PathBuf, PathBuf, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let main = t.path().join("main");
        let wt = t.path().join("wt");
        std::fs::create_dir_all(main.join(".git/worktrees/wt")).unwrap();
        std::fs::create_dir_all(&wt).unwrap();
        std::fs::write(
            main.join(".git/worktrees/wt/gitdir"),
            format!("{}\n", wt.join(".git").display()),
        )
        .unwrap();
        std::fs::write(main.join(".git/worktrees/wt/commondir"), "../..\n").unwrap();
        std::fs::write(
            wt.join(".git"),
            format!("gitdir: {}\n", main.join(".git/worktrees/wt").display()),
        )
        .unwrap();
        let dir = locate(&wt).unwrap();
        (t, main, wt, dir)
    }

    #[test]
    fn a_linked_worktree_finds_the_shared_ledger() {
        let (_t, main, _wt, dir) = repo();
        assert_eq!(
            dir,
            std::fs::canonicalize(main.join(".git"))
                .unwrap()
                .join("jit")
        );
        assert_eq!(
            locate(&main).map(|d| std::fs::canonicalize(d.parent().unwrap()).unwrap()),
            Some(std::fs::canonicalize(main.join(".git")).unwrap())
        );
        assert!(has_worktrees(&dir));
        assert_eq!(worktrees(&dir).len(), 2);
    }

    #[test]
    fn compaction_keeps_what_a_worktree_still_needs() {
        let (_t, main, wt, dir) = repo();
        let mut l = Ledger {
            shared: true,
            ..Ledger::default()
        };
        let at = Timestamp::from_millis(0);
        // 1: finished, and both worktrees' files say so: goes.
        let done = issue(1, State::Done, 1);
        write_issue(&main, &done);
        write_issue(&wt, &done);
        l.record(&done, at, "agent:a", None);
        // 2: finished here, but the worktree's file still shows it claimed: stays.
        let two = issue(2, State::Done, 1);
        write_issue(&main, &two);
        let mut behind = issue(2, State::InProgress, 1);
        behind.assignee = Some("agent:a".into());
        write_issue(&wt, &behind);
        l.record(&two, at, "agent:a", None);
        // 3: finished, absent from the worktree's branch: goes.
        let three = issue(3, State::Done, 2);
        write_issue(&main, &three);
        l.record(&three, at, "agent:a", None);
        // 5: finished in the worktree, the main checkout's file lags: stays.
        let five = issue(5, State::Done, 1);
        write_issue(&wt, &five);
        write_issue(&main, &issue(5, State::Ready, 0));
        l.record(&five, at, "agent:a", None);
        // 4: a live claim: stays.
        let mut four = issue(4, State::InProgress, 1);
        four.assignee = Some("agent:b".into());
        l.record(&four, at, "agent:b", None);
        assert_eq!(l.entries.len(), 5);
        assert_eq!(l.compact(&dir), 2);
        let left: Vec<&str> = l.entries.keys().map(|k| &k.as_str()[22..]).collect();
        assert_eq!(left, ["0002", "0004", "0005"]);
        assert_eq!(l.compacted_at, 3);
        assert!(!l.wants_compaction());
    }
}
