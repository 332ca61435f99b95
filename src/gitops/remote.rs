//! Claims published on a git remote: one ref per claimed issue, `refs/jit/claims/<ULID>`, moved
//! only by a compare-and-swap that the remote performs (`git push --atomic
//! --force-with-lease=<ref>:<expected>`), so exactly one clone wins each change of a claim,
//! whichever machine it runs on. No server of jit's own: any git remote that accepts refs under
//! `refs/jit/` (a bare repository, ssh, GitHub) will do.
//!
//! Each ref points at a commit (on the empty tree) whose message holds the claim record as JSON
//! after a one-line summary; its parent is the record it replaced, so `git log
//! refs/jit/claims/<ULID>` is the claim's history. Fetched refs land under
//! `refs/jit/remotes/<remote>/claims/`.
//!
//! Invariants:
//! - A push names the exact commit it replaces (none for a new ref): it fails, changing nothing,
//!   if any ref it touches moved since; the refs of one push change together or not at all.
//! - A failure to reach the remote is [`Error`] code `remote_unavailable` and a refusal by the
//!   remote (a hook, a protected namespace) `remote_refused`; both leave the local store as it
//!   was. Every git call has a deadline, after which git is killed.
//! - The local copies of the claim refs are written by one git at a time per repository (the
//!   [`remote_lock`], taken after the ledger and store locks, never before them).

use super::install::{self, git};
use crate::error::{Error, Result};
use crate::model::IssueId;
use crate::store::Store;
use crate::store::ledger::{Ledger, Publisher};
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// Where claim refs live on the remote.
pub const REF_PREFIX: &str = "refs/jit/claims/";

/// The local copies of a remote's claim refs.
pub fn tracking_prefix(remote: &str) -> String {
    format!("refs/jit/remotes/{remote}/claims/")
}

pub use crate::store::ledger::ClaimRecord as Record;

/// A claim record as a commit message: a summary line, a blank line, the record as JSON.
trait Message: Sized {
    fn message(&self) -> Result<String>;
    fn parse(message: &str) -> Option<Self>;
}

impl Message for Record {
    fn message(&self) -> Result<String> {
        let what = match (&self.holder, self.state) {
            (_, s) if s.is_closed() => format!("{s}"),
            (Some(h), _) => format!("claimed by {h}"),
            (None, _) => "released".to_string(),
        };
        let body = serde_json::to_string(self).map_err(|e| Error::Internal(e.to_string()))?;
        Ok(format!(
            "jit claim {} epoch {}: {what}\n\n{body}\n",
            self.issue.short(),
            self.epoch
        ))
    }

    fn parse(message: &str) -> Option<Record> {
        let body = message.split_once("\n\n")?.1;
        serde_json::from_str(body.trim()).ok()
    }
}

/// A claim ref as fetched: the issue, the commit, and its record.
#[derive(Debug, Clone)]
pub struct Seen {
    pub id: IssueId,
    pub sha: String,
    pub record: Record,
}

/// One ref change of a push: the commit it must replace (`None`: the ref must not exist yet).
#[derive(Debug, Clone)]
pub struct Update {
    pub expected: Option<String>,
    pub record: Record,
}

/// What a push did.
#[derive(Debug)]
pub enum Pushed {
    /// Every ref moved: the new commit of each update, in order.
    Yes(Vec<String>),
    /// A ref had moved since it was read: nothing changed on the remote.
    Raced,
}

/// How git is run for remote work: the deadline, and no prompt that could hang a script.
#[derive(Debug, Clone, Copy)]
pub struct Net {
    pub timeout: Duration,
}

impl Default for Net {
    fn default() -> Self {
        Net {
            timeout: Duration::from_secs(60),
        }
    }
}

/// Runs git in `root` with a deadline. A git that outlives it is killed and the call fails with
/// `remote_unavailable`.
fn git_net(root: &Path, args: &[&str], net: Net, remote: &str) -> Result<Output> {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(root)
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    install::clean_env(&mut cmd);
    let child = cmd.spawn().map_err(|e| {
        Error::io(
            format!("running `git {}`; is git installed?", args.join(" ")),
            e,
        )
    })?;
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let deadline = net.timeout;
    let watcher = std::thread::spawn(move || {
        if rx.recv_timeout(deadline).is_err() {
            if let Some(p) = i32::try_from(pid)
                .ok()
                .and_then(rustix::process::Pid::from_raw)
            {
                let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
            }
            return true;
        }
        false
    });
    let out = child.wait_with_output();
    let _ = tx.send(());
    let timed_out = watcher.join().unwrap_or(false);
    let out = out.map_err(|e| Error::io(format!("running `git {}`", args.join(" ")), e))?;
    if timed_out {
        return Err(unavailable(
            remote,
            &format!("git did not finish within {}s", deadline.as_secs()),
        ));
    }
    Ok(out)
}

fn unavailable(remote: &str, why: &str) -> Error {
    Error::RemoteUnavailable {
        remote: remote.to_string(),
        reason: if why.is_empty() {
            "git reported no error".into()
        } else {
            why.lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or(why)
                .trim()
                .to_string()
        },
    }
}

fn refused(remote: &str, why: &str) -> Error {
    Error::Refused {
        code: crate::error::ErrorCode::RemoteRefused,
        message: format!(
            "the git remote `{remote}` refused jit's claim refs ({why}); remote claims need a remote that accepts pushes to `refs/jit/claims/*` (a bare repository, GitHub, or a server whose hooks allow that namespace); nothing was changed here"
        ),
        details: json!({ "remote": remote, "reason": why }),
    }
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

/// The lock serializing the git commands of one repository that write its local copies of a
/// remote's refs (fetches, and the pushes that update them), so two never collide on a ref.
/// Holding it, no git of jit's is writing those refs: a ref lock file left under
/// `refs/jit/remotes/` is what a git killed mid-write left behind, and is removed.
pub fn remote_lock(root: &Path) -> Result<Option<crate::store::StoreLock>> {
    match crate::store::ledger::locate(root) {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .map_err(|e| Error::io(format!("creating `{}`", dir.display()), e))?;
            let lock = crate::store::StoreLock::acquire(&dir.join("remote.lock"))?;
            if let Some(common) = dir.parent() {
                remove_stale_ref_locks(&common.join("refs/jit/remotes"));
            }
            Ok(Some(lock))
        }
        None => Ok(None),
    }
}

/// Removes `*.lock` files below `dir` (best effort; a tree of a few directories per remote).
fn remove_stale_ref_locks(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => remove_stale_ref_locks(&path),
            Ok(t) if t.is_file() && path.extension().is_some_and(|x| x == "lock") => {
                let _ = std::fs::remove_file(&path);
            }
            _ => {}
        }
    }
}

/// Checks that `remote` is a configured remote of the checkout.
pub fn check_remote(root: &Path, remote: &str) -> Result<()> {
    let out = git(root, &["remote"])?;
    let names = String::from_utf8_lossy(&out.stdout);
    if names.lines().any(|r| r == remote) {
        return Ok(());
    }
    let list: Vec<&str> = names.lines().collect();
    Err(Error::Refused {
        code: crate::error::ErrorCode::NoRemote,
        message: format!(
            "no git remote named `{remote}`{}; add it with `git remote add {remote} <url>` or name another with --remote",
            if list.is_empty() {
                String::new()
            } else {
                format!(" (remotes: {})", list.join(", "))
            }
        ),
        details: json!({ "remote": remote, "remotes": list }),
    })
}

/// Fetches every claim ref of `remote` and returns what they hold. Refs whose record cannot be
/// read are skipped by their id only if the ref name is not an issue id; otherwise an error.
pub fn fetch(root: &Path, remote: &str, net: Net) -> Result<Vec<Seen>> {
    let _lock = remote_lock(root)?;
    let tracking = tracking_prefix(remote);
    let refspec = format!("+{REF_PREFIX}*:{tracking}*");
    let out = git_net(
        root,
        &[
            "fetch",
            "-q",
            "--no-tags",
            "--no-write-fetch-head",
            "--prune",
            remote,
            &refspec,
        ],
        net,
        remote,
    )?;
    if !out.status.success() {
        return Err(unavailable(remote, &stderr_of(&out)));
    }
    list_tracking(root, remote)
}

/// What the local copies of `remote`'s claim refs hold.
pub fn list_tracking(root: &Path, remote: &str) -> Result<Vec<Seen>> {
    let tracking = tracking_prefix(remote);
    let out = git(
        root,
        &[
            "for-each-ref",
            "--format=%(objectname)%00%(refname)%00%(contents)%00",
            &tracking,
        ],
    )?;
    if !out.status.success() {
        return Err(install::git_failed(root, "for-each-ref", &out));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut fields = text.split('\0');
    let mut seen = Vec::new();
    while let (Some(sha), Some(name), Some(message)) = (fields.next(), fields.next(), fields.next())
    {
        let sha = sha.trim_start_matches('\n').trim();
        let Some(stem) = name.strip_prefix(&tracking) else {
            continue;
        };
        let Ok(id) = IssueId::parse(stem) else {
            continue; // not one of jit's refs
        };
        let record = Record::parse(message)
            .filter(|r| r.issue == id)
            .ok_or_else(|| Error::CorruptFile {
                path: format!("{remote}:{REF_PREFIX}{stem}").into(),
                message: format!(
                    "the claim ref's commit `{sha}` holds no readable claim record for `{id}`"
                ),
            })?;
        seen.push(Seen {
            id,
            sha: sha.to_string(),
            record,
        });
    }
    Ok(seen)
}

/// Writes the empty tree object (the tree every claim commit carries) and returns its id.
pub fn empty_tree(root: &Path) -> Result<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["hash-object", "-w", "-t", "tree", "--stdin"])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io("running `git hash-object`", e))?;
    if !out.status.success() {
        return Err(install::git_failed(root, "hash-object -t tree", &out));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Makes the commit of one record on top of `parent`.
fn commit(root: &Path, tree: &str, parent: Option<&str>, record: &Record) -> Result<String> {
    let message = record.message()?;
    let date = format!("{} +0000", record.at.millis().div_euclid(1000));
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(root).args(["commit-tree", tree]);
    if let Some(p) = parent {
        cmd.args(["-p", p]);
    }
    cmd.args(["-m", &message]);
    install::clean_env(&mut cmd);
    for (k, v) in [
        ("GIT_AUTHOR_NAME", record.by.as_str()),
        ("GIT_AUTHOR_EMAIL", "jit@localhost"),
        ("GIT_AUTHOR_DATE", date.as_str()),
        ("GIT_COMMITTER_NAME", record.by.as_str()),
        ("GIT_COMMITTER_EMAIL", "jit@localhost"),
        ("GIT_COMMITTER_DATE", date.as_str()),
    ] {
        cmd.env(k, v);
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| Error::io("running `git commit-tree`", e))?;
    if !out.status.success() {
        return Err(install::git_failed(root, "commit-tree", &out));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Publishes `updates` on `remote` in one atomic push, each ref moved only if it still points
/// at the commit the update expects.
pub fn publish(
    root: &Path,
    remote: &str,
    tree: &str,
    updates: &[Update],
    net: Net,
) -> Result<Pushed> {
    let mut shas = Vec::with_capacity(updates.len());
    // With a fetch refspec for the claim refs given for this one command, git itself moves the
    // local copies of the refs it pushed (no second git to run).
    let mut args: Vec<String> = vec![
        "-c".into(),
        format!(
            "remote.{remote}.fetch=+{REF_PREFIX}*:{}*",
            tracking_prefix(remote)
        ),
        "push".into(),
        "--porcelain".into(),
        "--atomic".into(),
        "--no-verify".into(),
    ];
    let mut specs = Vec::new();
    for u in updates {
        let sha = commit(root, tree, u.expected.as_deref(), &u.record)?;
        let name = format!("{REF_PREFIX}{}", u.record.issue);
        args.push(format!(
            "--force-with-lease={name}:{}",
            u.expected.as_deref().unwrap_or("")
        ));
        specs.push(format!("{sha}:{name}"));
        shas.push(sha);
    }
    args.push(remote.to_string());
    args.extend(specs);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let _lock = remote_lock(root)?;
    let mut out = git_net(root, &refs, net, remote)?;
    for _ in 0..super::sync::STALE_LOCKS_AT_MOST {
        if out.status.success() || !super::sync::cleared_stale_remote_lock(root, remote, &out) {
            break;
        }
        out = git_net(root, &refs, net, remote)?;
    }
    if out.status.success() {
        return Ok(Pushed::Yes(shas));
    }
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    let rejected: Vec<&str> = report.lines().filter(|l| l.starts_with('!')).collect();
    if rejected.is_empty() {
        return Err(unavailable(remote, &stderr_of(&out)));
    }
    // The remote compares each ref's old value under its own lock: another clone's push that
    // got there first shows as a stale lease, a failed ref update, or (for the other refs of an
    // atomic push) a failed transaction. Anything else it rejects is a refusal.
    let reason = |l: &str| l.rsplit('\t').next().unwrap_or(l).trim().to_string();
    let raced = |l: &str| {
        [
            "stale info",
            "fetch first",
            "non-fast-forward",
            "already exists",
            "atomic",
            "cannot lock",
            "failed to lock",
            "failed to update",
            "incorrect old value",
            "but expected",
        ]
        .iter()
        .any(|w| l.contains(w))
    };
    match rejected.iter().find(|l| !raced(l)) {
        Some(line) => Err(refused(remote, &reason(line))),
        None => Ok(Pushed::Raced),
    }
}

/// Publishes claims on a git remote: the [`Publisher`] a store gets with `--remote NAME` or
/// `claims.remote` in `config.json`.
#[derive(Debug, Clone)]
pub struct GitPublisher {
    remote: String,
    net: Net,
    max_skew_ms: i64,
}

/// The default tolerated clock skew between machines.
pub const DEFAULT_MAX_SKEW: &str = "5m";
/// The default deadline of one git command talking to the remote.
pub const DEFAULT_TIMEOUT: &str = "60s";

impl GitPublisher {
    /// A publisher for `remote` of the store's checkout, with the store's claim settings.
    /// Cheap: the remote is first contacted when a claim changes.
    pub fn new(store: &Store, remote: &str) -> Result<Self> {
        if store.ledger_dir().is_none() {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::NoRemote,
                message: format!(
                    "remote claims need a git checkout; `{}` is not in one",
                    store.root().display()
                ),
                details: json!({ "remote": remote }),
            });
        }
        let valid = remote
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            && !remote.is_empty()
            && !remote.starts_with(['-', '.']);
        if !valid {
            return Err(Error::invalid(
                "remote",
                format!("`{}` is not a git remote name", remote.escape_debug()),
            ));
        }
        let cfg = store.config()?.claims.unwrap_or_default();
        let span = |v: Option<String>, default: &str, field: &str| {
            let text = v.unwrap_or_else(|| default.to_string());
            crate::model::time::parse_duration(&text)
                .map_err(|_| Error::invalid(field, format!("`{text}` is not a span such as `5m`")))
        };
        let skew = span(cfg.max_skew, DEFAULT_MAX_SKEW, "claims.max_skew")?;
        let timeout = span(cfg.timeout, DEFAULT_TIMEOUT, "claims.timeout")?;
        Ok(GitPublisher {
            remote: remote.to_string(),
            net: Net {
                timeout: timeout.max(Duration::from_secs(1)),
            },
            max_skew_ms: i64::try_from(skew.as_millis()).unwrap_or(i64::MAX / 4),
        })
    }

    /// The clock skew tolerated between machines, in milliseconds.
    pub fn max_skew_ms(&self) -> i64 {
        self.max_skew_ms
    }

    /// A failure to reach the remote, or `no_remote` when the checkout has no such remote.
    fn explain(&self, root: &Path, e: Error) -> Error {
        if e.code() == "remote_unavailable"
            && let Err(missing) = check_remote(root, &self.remote)
        {
            return missing;
        }
        e
    }
}

impl Publisher for GitPublisher {
    fn remote(&self) -> &str {
        &self.remote
    }

    fn publish(
        &self,
        root: &Path,
        ledger: &mut Ledger,
        records: &[Record],
    ) -> Result<Option<Vec<String>>> {
        // Written once per repository; the ledger remembers it (it is referenced by every
        // claim commit from then on, so no garbage collection removes it).
        let tree = match ledger.empty_tree.clone() {
            Some(t) => t,
            None => {
                let t = empty_tree(root)?;
                ledger.empty_tree = Some(t.clone());
                t
            }
        };
        let updates: Vec<Update> = records
            .iter()
            .map(|r| Update {
                expected: ledger
                    .seen_sha(r.issue.as_str(), &self.remote)
                    .map(str::to_string),
                record: r.clone(),
            })
            .collect();
        match publish(root, &self.remote, &tree, &updates, self.net) {
            Ok(Pushed::Yes(shas)) => Ok(Some(shas)),
            Ok(Pushed::Raced) => Ok(None),
            Err(e) => Err(self.explain(root, e)),
        }
    }

    fn fetch(&self, root: &Path, ledger: &mut Ledger, now_ms: i64) -> Result<()> {
        let seen = fetch(root, &self.remote, self.net).map_err(|e| self.explain(root, e))?;
        let present: std::collections::HashSet<IssueId> =
            seen.iter().map(|s| s.id.clone()).collect();
        for s in &seen {
            ledger.learn(&self.remote, &s.sha, &s.record, now_ms, self.max_skew_ms);
        }
        ledger.forget_missing(&self.remote, &present);
        Ok(())
    }
}
