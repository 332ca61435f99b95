//! `jit sync`: exchanges the store with a git remote. Commits `.jit/`, pulls (rebase, or a merge
//! when the rebase stops on a conflict) through the jit merge driver, validates and repairs what
//! is safe, and pushes, pulling again when another clone pushed first.
//!
//! Invariants:
//! - Only `.jit/` and `.gitattributes` are ever staged or committed by sync; other changes in
//!   the checkout are left as they are (a rebase or merge stashes and restores them).
//! - Git runs as `git -C <root>` with the variables that would redirect it removed (see
//!   [`install`](super::install)); a failure carries git's own error output.
//! - The store lock is held while git rewrites files under `.jit/` (commit, rebase, merge), so a
//!   concurrent jit command in the same clone never writes into a half-applied pull.
//! - A pull that cannot be finished (a conflict the merge driver cannot resolve) is aborted: the
//!   checkout is left on the local commit, never in the middle of a rebase or merge.
//! - Nothing is pushed while validation errors remain after the repairs.

use super::install::{self, check_git_repo, config_get, git, git_failed};
use super::remote::GitPublisher;
use crate::error::{Error, Result};
use crate::model::{Actor, IssueId, State, id};
use crate::ops::validate::{self, Problem, Severity};
use crate::store::ledger::{self, ClaimRecord, Publisher};
use crate::store::{Store, StoreLock, journal};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;

/// How often a rejected push is retried by default.
pub const DEFAULT_MAX_RETRIES: u32 = 5;

/// What `jit sync` takes.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// The remote to pull from and push to (default: the branch's upstream remote, else
    /// `origin`, else the only remote).
    pub remote: Option<String>,
    /// The remote branch (default: the branch's upstream branch, else the current branch's name).
    pub branch: Option<String>,
    /// How many times a push rejected because the remote moved is retried.
    pub max_retries: u32,
}

impl Default for SyncRequest {
    fn default() -> Self {
        SyncRequest {
            remote: None,
            branch: None,
            max_retries: DEFAULT_MAX_RETRIES,
        }
    }
}

/// An issue named in a sync report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct IssueRef {
    pub id: String,
    pub short_id: String,
    /// `null` when the issue no longer exists (deleted) or cannot be read.
    pub title: Option<String>,
}

/// The commit sync made of local changes.
#[derive(Debug, Clone, Serialize)]
pub struct LocalCommit {
    pub commit: String,
    pub issues: Vec<IssueRef>,
}

/// What came in from the remote.
#[derive(Debug, Clone, Serialize)]
pub struct Incoming {
    /// `up_to_date` (nothing new), `rebase`, or `merge` (the rebase stopped on a conflict).
    pub strategy: &'static str,
    /// Remote commits that were not in this clone.
    pub commits: usize,
    /// Issues the pull changed here.
    pub issues: Vec<IssueRef>,
}

/// What went out to the remote.
#[derive(Debug, Clone, Serialize)]
pub struct Outgoing {
    /// Whether a push happened (false when there was nothing to push or errors remained).
    pub pushed: bool,
    /// Commits the push added to the remote branch.
    pub commits: usize,
    /// Issues those commits change.
    pub issues: Vec<IssueRef>,
    /// Push attempts made (more than 1 when another clone pushed first).
    pub attempts: u32,
}

/// An issue this clone's actor had claimed that the pull handed to someone else, or whose local
/// changes sync took back because another clone holds a later claim on the remote.
#[derive(Debug, Clone, Serialize)]
pub struct LostClaim {
    pub id: String,
    pub short_id: String,
    pub title: String,
    /// Who holds it now.
    pub holder: String,
    /// `earlier_claim` (the merge kept another clone's claim) or `superseded` (the remote holds
    /// a later epoch: this clone's changes under the old claim were not published).
    pub reason: &'static str,
}

/// An interrupted sync, recovered.
#[derive(Debug, Clone, Serialize)]
pub struct Recovered {
    /// The git operation it was in the middle of and that was aborted (`rebase`, `merge`), if
    /// any; the checkout is back on its own commit with the user's uncommitted changes.
    pub aborted: Option<&'static str>,
    /// Lock files its git left behind, removed (paths relative to the git directory).
    pub removed_locks: Vec<String>,
    /// When it started (this clone's clock, ms since the epoch).
    pub started_ms: i64,
}

/// What `jit sync` did.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub remote: String,
    pub branch: String,
    /// What was left by an earlier `jit sync` of this clone that was interrupted (killed) and
    /// recovered before this one ran; `null` when there was nothing.
    pub recovered: Option<Recovered>,
    /// True when sync had to register the merge driver in this clone first.
    pub driver_installed: bool,
    /// The commit of local changes, if there were any.
    pub committed: Option<LocalCommit>,
    pub incoming: Incoming,
    /// Problems `validate --fix` repaired after pulling (committed as their own commit).
    pub repaired: Vec<Problem>,
    /// Problems that remain. Errors among them stop the push.
    pub problems: Vec<Problem>,
    /// True when no validation error remains.
    pub ok: bool,
    pub outgoing: Outgoing,
    pub claims_lost: Vec<LostClaim>,
}

impl SyncReport {
    /// The error to end with when claims were lost, carrying the whole report in its details.
    pub fn claim_lost_error(&self) -> Option<Error> {
        if self.claims_lost.is_empty() {
            return None;
        }
        let list: Vec<String> = self
            .claims_lost
            .iter()
            .map(|c| format!("`{}` (now held by `{}`)", c.short_id, c.holder))
            .collect();
        Some(Error::Conflict {
            code: crate::error::ErrorCode::ClaimLost,
            message: format!(
                "sync finished, but another clone claimed first: lost the claim on {} issue(s): {}; stop work on them",
                list.len(),
                list.join(", ")
            ),
            details: json!({ "lost": self.claims_lost, "sync": self }),
        })
    }
}

/// Commits local changes to the store, pulls, validates and pushes. See the module docs.
///
/// Returns the report; `ok: false` means validation errors remain and nothing was pushed. Lost
/// claims are in the report: [`SyncReport::claim_lost_error`] turns them into the error to exit
/// with.
pub fn sync(store: &Store, actor: &Actor, req: &SyncRequest) -> Result<SyncReport> {
    let root = store.root();
    check_git_repo(root)?;
    // One sync at a time in this clone (a second one waits), whatever its worktree: for the
    // whole sync, from the branch check to the push.
    let _sync = sync_lock(store)?;
    // A sync of this clone that was killed is recovered first (its rebase or merge undone,
    // the user's stashed changes back, the lock files its git left removed).
    let recovered = recover_interrupted(store)?;
    let _marker = Marker::start(store)?;
    let current = current_branch(root)?;
    let (remote, branch) = target(root, current.as_deref(), req)?;
    let driver_installed = if config_get(root, "merge.jit.driver")?.is_none() {
        install::install(root)?;
        true
    } else {
        false
    };
    // The repository's claim ledger (shared by its worktrees) is always locked before the
    // store; a transaction a killed jit left is finished first.
    let lock = || -> Result<(Option<StoreLock>, StoreLock)> { store.lock_for_write() };
    let claims = GitPublisher::new(store, &remote)?;

    let committed = {
        let _l = lock()?;
        commit_store(store, |n| format!("jit sync: {n} issue(s) changed"))?
    };
    let claimed = claimed_by(store, actor)?;

    let mut incoming_paths = BTreeSet::new();
    let mut incoming_commits = 0;
    let mut strategy = "up_to_date";
    let mut repaired = Vec::new();
    let mut superseded: Vec<LostClaim> = Vec::new();
    let mut attempts = 0;
    let (problems, outgoing) = loop {
        let remote_head = fetch(root, &remote, &branch)?;
        {
            let l = lock()?;
            let fenced = settle_claims(store, &l.1, actor, &claims, remote_head.as_deref())?;
            if !fenced.is_empty() {
                commit_store(store, |n| {
                    format!("jit sync: {n} issue(s) taken back under newer claims on `{remote}`")
                })?;
                superseded.extend(fenced);
            }
        }
        if let Some(r) = &remote_head {
            let _l = lock()?;
            let before = rev_parse(root, "HEAD")?;
            if !is_ancestor(root, r, &before)? {
                incoming_commits += count(root, &format!("{before}..{r}"))?;
                let how = integrate(root, r, &remote, &branch)?;
                if strategy != "merge" {
                    strategy = how;
                }
                let changed = changed_issue_files(root, &before, "HEAD")?;
                reconcile_ledger(store, actor, &changed)?;
                incoming_paths.extend(changed);
            }
        }
        let report = validate::run(store, actor, true, &crate::progress::Silent)?;
        if report.fixed > 0 {
            let _l = lock()?;
            commit_store(store, |_| {
                format!(
                    "jit sync: repaired {} problem(s) after pulling",
                    report.fixed
                )
            })?;
        }
        repaired.extend(report.problems.iter().filter(|p| p.fixed).cloned());
        let remaining: Vec<Problem> = report.problems.into_iter().filter(|p| !p.fixed).collect();
        let head = rev_parse(root, "HEAD")?;
        if remaining.iter().any(|p| p.severity == Severity::Error)
            || remote_head.as_deref() == Some(head.as_str())
        {
            let outgoing = Outgoing {
                pushed: false,
                commits: 0,
                issues: Vec::new(),
                attempts,
            };
            break (remaining, outgoing);
        }
        attempts += 1;
        match push(root, &remote, &branch)? {
            Pushed::Yes => {
                let (commits, paths) = match &remote_head {
                    Some(r) => (
                        count(root, &format!("{r}..{head}"))?,
                        changed_issue_files(root, r, &head)?,
                    ),
                    None => (count(root, &head)?, tracked_issue_files(root, &head)?),
                };
                let outgoing = Outgoing {
                    pushed: true,
                    commits,
                    issues: refs(store, paths),
                    attempts,
                };
                break (remaining, outgoing);
            }
            Pushed::Rejected(err) => {
                if remote_branch_head(root, &remote, &branch)? == remote_head {
                    // Refused, but not because another clone pushed first: retrying cannot help.
                    return Err(err);
                }
                if attempts > req.max_retries {
                    return Err(Error::Conflict {
                        code: crate::error::ErrorCode::PushRejected,
                        message: format!(
                            "pushing to `{remote}/{branch}` was rejected {attempts} time(s) because other clones kept pushing first; run `jit sync` again ({err})"
                        ),
                        details: json!({ "remote": remote, "branch": branch, "attempts": attempts }),
                    });
                }
                // Clones that keep colliding back off, each by a random share of a growing
                // wait, so their next tries spread out.
                let cap = 25u64 << attempts.min(4);
                let wait = (crate::random::u128() % u128::from(cap + 1)) as u64;
                std::thread::sleep(std::time::Duration::from_millis(wait));
            }
        }
    };
    let mut claims_lost = lost_claims(store, actor, &claimed)?;
    for s in superseded {
        if !claims_lost.iter().any(|c| c.id == s.id) {
            claims_lost.push(s);
        }
    }
    Ok(SyncReport {
        remote,
        branch,
        recovered,
        driver_installed,
        committed,
        incoming: Incoming {
            strategy,
            commits: incoming_commits,
            issues: refs(store, incoming_paths),
        },
        ok: !problems.iter().any(|p| p.severity == Severity::Error),
        repaired,
        problems,
        outgoing,
        claims_lost,
    })
}

/// Runs git and returns its trimmed stdout, or an error holding git's stderr.
fn git_ok(root: &Path, args: &[&str]) -> Result<String> {
    let out = git(root, args)?;
    if !out.status.success() {
        return Err(classify(root, &args.join(" "), &out, None));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The error for a git command that failed, with its own code where the failure is one a sync
/// can expect: another git holding a lock of this clone (`git_busy`), a remote that cannot be
/// reached (`remote_unavailable`). Anything else is `io` with git's message.
fn classify(root: &Path, what: &str, out: &std::process::Output, remote: Option<&str>) -> Error {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lower = stderr.to_ascii_lowercase();
    // What the remote says (`remote: ...`) is about the remote's refs: a ref it could not
    // lock there is another clone's push winning a race, which the caller retries.
    let here: String = lower
        .lines()
        .filter(|l| !l.trim_start().starts_with("remote:"))
        .collect::<Vec<_>>()
        .join("\n");
    let locked = here.contains("cannot lock ref")
        || (here.contains(".lock") && here.contains("file exists"))
        || here.contains("unable to create") && here.contains(".lock");
    if locked {
        return Error::Conflict {
            code: crate::error::ErrorCode::GitBusy,
            message: format!(
                "another git command is using this clone (`git {what}` found a lock held: {}); wait for it to finish and run `jit sync` again",
                stderr.trim()
            ),
            details: json!({ "command": what, "git": stderr.trim() }),
        };
    }
    const UNREACHABLE: [&str; 8] = [
        "could not read from remote repository",
        "unable to access",
        "does not appear to be a git repository",
        "connection refused",
        "could not resolve host",
        "connection timed out",
        "operation timed out",
        "the remote end hung up",
    ];
    if let Some(remote) = remote
        && UNREACHABLE.iter().any(|p| lower.contains(p))
    {
        return Error::RemoteUnavailable {
            remote: remote.to_string(),
            reason: stderr.trim().to_string(),
        };
    }
    git_failed(root, what, out)
}

/// The checked-out branch, or `None` on a detached HEAD.
fn current_branch(root: &Path) -> Result<Option<String>> {
    let out = git(root, &["symbolic-ref", "-q", "--short", "HEAD"])?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
        .filter(|b| !b.is_empty()))
}

/// The remote and remote branch to sync with.
fn target(root: &Path, current: Option<&str>, req: &SyncRequest) -> Result<(String, String)> {
    let remotes: Vec<String> = git_ok(root, &["remote"])?
        .lines()
        .map(str::to_string)
        .collect();
    let upstream_remote = match current {
        Some(b) => config_get(root, &format!("branch.{b}.remote"))?.filter(|r| r != "."),
        None => None,
    };
    let remote = match &req.remote {
        Some(r) => r.clone(),
        None => match upstream_remote {
            Some(r) => r,
            None if remotes.iter().any(|r| r == "origin") => "origin".into(),
            None if remotes.len() == 1 => remotes[0].clone(),
            None => {
                return Err(Error::Refused {
                    code: crate::error::ErrorCode::NoRemote,
                    message: if remotes.is_empty() {
                        "this clone has no git remote to sync with; add one with `git remote add origin <url>`".into()
                    } else {
                        format!(
                            "this clone has several remotes ({}) and none is `origin` or the branch's upstream; pass --remote",
                            remotes.join(", ")
                        )
                    },
                    details: json!({ "remotes": remotes }),
                });
            }
        },
    };
    if !remotes.contains(&remote) {
        return Err(Error::Refused {
            code: crate::error::ErrorCode::NoRemote,
            message: format!(
                "no git remote named `{remote}`{}; add it with `git remote add {remote} <url>`",
                if remotes.is_empty() {
                    String::new()
                } else {
                    format!(" (remotes: {})", remotes.join(", "))
                }
            ),
            details: json!({ "remote": remote, "remotes": remotes }),
        });
    }
    let branch = match (&req.branch, current) {
        (Some(b), _) => b.clone(),
        (None, Some(cur)) => config_get(root, &format!("branch.{cur}.merge"))?
            .and_then(|m| m.strip_prefix("refs/heads/").map(str::to_string))
            .unwrap_or_else(|| cur.to_string()),
        (None, None) => {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::DetachedHead,
                message: "HEAD is detached; check out a branch or pass --branch".into(),
                details: json!({}),
            });
        }
    };
    let valid = git(root, &["check-ref-format", &format!("refs/heads/{branch}")])?;
    if !valid.status.success() {
        return Err(Error::invalid(
            "branch",
            format!("`{}` is not a valid branch name", branch.escape_debug()),
        ));
    }
    Ok((remote, branch))
}

/// Stages `.jit/` (and `.gitattributes`) and commits them if anything changed. `header` gets the
/// number of changed issues; the body lists `<short id> <title>` per changed issue.
fn commit_store(store: &Store, header: impl Fn(usize) -> String) -> Result<Option<LocalCommit>> {
    let root = store.root();
    let mut paths = vec![".jit"];
    if root.join(".gitattributes").exists() {
        paths.push(".gitattributes");
    }
    let mut add = vec!["add", "-A", "--"];
    add.extend(&paths);
    git_ok(root, &add)?;
    let mut diff = vec![
        "diff",
        "--cached",
        "--name-only",
        "--no-renames",
        "-z",
        "--",
    ];
    diff.extend(&paths);
    let changed = nul_separated(&git_ok_raw(root, &diff)?);
    if changed.is_empty() {
        return Ok(None);
    }
    let issues = refs(store, changed.iter().cloned());
    let mut message = header(issues.len());
    if !issues.is_empty() {
        message.push_str("\n\n");
        for i in &issues {
            let title = i.title.as_deref().unwrap_or("(deleted)");
            let title: String = title.chars().filter(|c| !c.is_control()).collect();
            message.push_str(&format!("{} {title}\n", i.short_id));
        }
    }
    let mut commit = vec!["commit", "-q", "-m", &message, "--only", "--"];
    let committed: Vec<&str> = paths
        .iter()
        .copied()
        .filter(|p| *p == ".jit" || changed.iter().any(|c| c == p))
        .collect();
    commit.extend(&committed);
    git_ok(root, &commit)?;
    Ok(Some(LocalCommit {
        commit: rev_parse(root, "HEAD")?,
        issues,
    }))
}

fn git_ok_raw(root: &Path, args: &[&str]) -> Result<Vec<u8>> {
    let out = git(root, args)?;
    if !out.status.success() {
        return Err(git_failed(root, &args.join(" "), &out));
    }
    Ok(out.stdout)
}

fn nul_separated(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|b| *b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// Issue ids named by paths of the form `.jit/issues/<ULID>.json`, with their current titles.
fn refs(store: &Store, paths: impl IntoIterator<Item = String>) -> Vec<IssueRef> {
    let ids: BTreeSet<IssueId> = paths
        .into_iter()
        .filter_map(|p| {
            let name = p.strip_prefix(".jit/issues/")?;
            IssueId::parse(id::issue_file_stem(name)?).ok()
        })
        .collect();
    ids.into_iter()
        .map(|i| IssueRef {
            title: store.load(&i).ok().map(|x| x.title),
            short_id: i.short(),
            id: i.to_string(),
        })
        .collect()
}

/// The issues `actor` holds and is working on.
fn claimed_by(store: &Store, actor: &Actor) -> Result<Vec<IssueId>> {
    let (issues, _) = store.load_all()?;
    Ok(issues
        .into_iter()
        .filter(|i| i.assignee.as_deref() == Some(actor.as_str()) && i.state == State::InProgress)
        .map(|i| i.id)
        .collect())
}

fn lost_claims(store: &Store, actor: &Actor, claimed: &[IssueId]) -> Result<Vec<LostClaim>> {
    let mut lost = Vec::new();
    for id in claimed {
        let issue = match store.load(id) {
            Ok(i) => i,
            Err(Error::NotFound { .. }) => continue,
            Err(e) => return Err(e),
        };
        if let Some(holder) = issue.assignee.as_deref()
            && holder != actor.as_str()
        {
            lost.push(LostClaim {
                id: id.to_string(),
                short_id: id.short(),
                title: issue.title.clone(),
                holder: holder.to_string(),
                reason: "earlier_claim",
            });
        }
    }
    Ok(lost)
}

fn rev_parse(root: &Path, rev: &str) -> Result<String> {
    git_ok(
        root,
        &["rev-parse", "--verify", "-q", &format!("{rev}^{{commit}}")],
    )
}

fn is_ancestor(root: &Path, ancestor: &str, of: &str) -> Result<bool> {
    let out = git(root, &["merge-base", "--is-ancestor", ancestor, of])?;
    match out.status.code() {
        Some(0) => Ok(true),
        Some(1) => Ok(false),
        _ => Err(git_failed(root, "merge-base --is-ancestor", &out)),
    }
}

fn count(root: &Path, range: &str) -> Result<usize> {
    let n = git_ok(root, &["rev-list", "--count", range])?;
    n.parse()
        .map_err(|_| Error::Internal(format!("`git rev-list --count` printed `{n}`")))
}

fn changed_issue_files(root: &Path, from: &str, to: &str) -> Result<Vec<String>> {
    let out = git_ok_raw(
        root,
        &[
            "diff",
            "--name-only",
            "--no-renames",
            "-z",
            from,
            to,
            "--",
            ".jit/issues",
        ],
    )?;
    Ok(nul_separated(&out))
}

fn tracked_issue_files(root: &Path, rev: &str) -> Result<Vec<String>> {
    let out = git_ok_raw(
        root,
        &[
            "ls-tree",
            "-r",
            "-z",
            "--name-only",
            rev,
            "--",
            ".jit/issues",
        ],
    )?;
    Ok(nul_separated(&out))
}

/// The commit the remote branch points at, asked of the remote; `None` if it has no such branch.
fn remote_branch_head(root: &Path, remote: &str, branch: &str) -> Result<Option<String>> {
    let args = ["ls-remote", remote, &format!("refs/heads/{branch}")];
    let out = git(root, &args)?;
    if !out.status.success() {
        return Err(classify(root, &args.join(" "), &out, Some(remote)));
    }
    let out = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok(out
        .lines()
        .find_map(|l| l.split_whitespace().next().map(str::to_string)))
}

/// Fetches the remote branch into `refs/remotes/<remote>/<branch>`; `None` when the remote has
/// no such branch yet (the push will create it).
fn fetch(root: &Path, remote: &str, branch: &str) -> Result<Option<String>> {
    let tracking = format!("refs/remotes/{remote}/{branch}");
    let refspec = format!("+refs/heads/{branch}:{tracking}");
    // The claim refs come along in the same round trip.
    let claims = format!(
        "+{}*:{}*",
        super::remote::REF_PREFIX,
        super::remote::tracking_prefix(remote)
    );
    let out = {
        let _lock = super::remote::remote_lock(root)?;
        git(
            root,
            &[
                "fetch",
                "-q",
                "--no-tags",
                "--prune",
                remote,
                &refspec,
                &claims,
            ],
        )?
    };
    if out.status.success() {
        return rev_parse(root, &tracking).map(Some);
    }
    match remote_branch_head(root, remote, branch) {
        Ok(None) => Ok(None),
        _ => Err(classify(
            root,
            &format!("fetch {remote} {branch}"),
            &out,
            Some(remote),
        )),
    }
}

fn in_progress(root: &Path, what: &str) -> Result<bool> {
    let p = git_ok(root, &["rev-parse", "--git-path", what])?;
    Ok(root.join(p).exists())
}

/// Brings `remote_head` into the checked-out branch: a rebase, or a merge if the rebase stops on
/// a conflict. A merge that conflicts too is aborted and reported.
fn integrate(root: &Path, remote_head: &str, remote: &str, branch: &str) -> Result<&'static str> {
    let out = git(root, &["rebase", "-q", "--autostash", remote_head])?;
    if out.status.success() {
        return Ok("rebase");
    }
    let stopped = in_progress(root, "rebase-merge")? || in_progress(root, "rebase-apply")?;
    if !stopped {
        return Err(classify(
            root,
            &format!("rebase {remote}/{branch}"),
            &out,
            None,
        ));
    }
    git_ok(root, &["rebase", "--abort"])?;
    let message = format!("jit sync: merge {remote}/{branch}");
    let out = git(
        root,
        &[
            "merge",
            "-q",
            "--no-edit",
            "--autostash",
            "-m",
            &message,
            remote_head,
        ],
    )?;
    if out.status.success() {
        return Ok("merge");
    }
    if !in_progress(root, "MERGE_HEAD")? {
        return Err(classify(
            root,
            &format!("merge {remote}/{branch}"),
            &out,
            None,
        ));
    }
    let files = nul_separated(&git_ok_raw(
        root,
        &["diff", "--name-only", "-z", "--diff-filter=U"],
    )?);
    let _ = git(root, &["merge", "--abort"]);
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Err(Error::Conflict {
        code: crate::error::ErrorCode::SyncConflict,
        message: format!(
            "pulling `{remote}/{branch}` conflicts in {}; the pull was undone and your commit kept. Run `git pull {remote} {branch}`, resolve the files, commit, and run `jit sync` again ({stderr})",
            if files.is_empty() {
                "some files".to_string()
            } else {
                files
                    .iter()
                    .map(|f| format!("`{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ),
        details: json!({ "remote": remote, "branch": branch, "files": files }),
    })
}

enum Pushed {
    Yes,
    /// Refused by the remote; the error holds git's output.
    Rejected(Error),
}

fn push(root: &Path, remote: &str, branch: &str) -> Result<Pushed> {
    let dest = format!("HEAD:refs/heads/{branch}");
    let mut out = git(root, &["push", "-q", "--porcelain", remote, &dest])?;
    // A killed push can leave more than one lock (the branch's and `HEAD`'s): one retry each.
    for _ in 0..STALE_LOCKS_AT_MOST {
        if out.status.success() || !cleared_stale_remote_lock(root, remote, &out) {
            break;
        }
        out = git(root, &["push", "-q", "--porcelain", remote, &dest])?;
    }
    if out.status.success() {
        return Ok(Pushed::Yes);
    }
    let mut err = classify(root, &format!("push {remote} {dest}"), &out, Some(remote));
    if err.code() != "io" {
        return Err(err);
    }
    let report = String::from_utf8_lossy(&out.stdout);
    if let Error::Io { context, .. } = &mut err
        && let Some(line) = report.lines().find(|l| l.starts_with('!'))
    {
        context.push_str(&format!(": {}", line.trim_start_matches('!').trim()));
    }
    Ok(Pushed::Rejected(err))
}

/// How old a ref lock in a remote on this machine must be to count as left by a killed git: a
/// running git holds one for the milliseconds of one ref update.
const STALE_REMOTE_LOCK: std::time::Duration = std::time::Duration::from_secs(2);

/// How many stale locks one push clears (each followed by a retry): a killed push holds the lock
/// of every ref it was updating, and of `HEAD` when that names one of them.
pub(super) const STALE_LOCKS_AT_MOST: usize = 4;

/// When a push failed because a ref lock exists in a remote that is a directory on this
/// machine (a bare repository a killed push, receive-pack and all, left mid-update), waits until
/// that lock is [`STALE_REMOTE_LOCK`] old and removes it. True when the push is worth one more
/// try: the lock was removed, or went away while waiting. A lock outside the remote's
/// directory, or a remote elsewhere, is never touched.
pub(super) fn cleared_stale_remote_lock(
    root: &Path,
    remote: &str,
    out: &std::process::Output,
) -> bool {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let Some(lock) = stderr
        .split("Unable to create '")
        .nth(1)
        .and_then(|rest| rest.split("': File exists").next())
        .filter(|p| p.ends_with(".lock"))
        .map(std::path::PathBuf::from)
    else {
        return false;
    };
    let Ok(url) = git_ok(root, &["remote", "get-url", remote]) else {
        return false;
    };
    let url = url.trim();
    let url = url.strip_prefix("file://").unwrap_or(url);
    if url.contains("://") || url.contains('@') && !Path::new(url).exists() {
        return false; // not a directory on this machine
    }
    let (Ok(dir), Some(parent), Some(name)) = (
        std::fs::canonicalize(root.join(url)),
        lock.parent(),
        lock.file_name(),
    ) else {
        return false;
    };
    let Ok(lock) = std::fs::canonicalize(parent).map(|p| p.join(name)) else {
        return false;
    };
    if !lock.starts_with(&dir) {
        return false;
    }
    let give_up = std::time::Instant::now() + STALE_REMOTE_LOCK * 2;
    loop {
        let Ok(meta) = std::fs::symlink_metadata(&lock) else {
            return true; // gone: whoever held it finished
        };
        let age = meta
            .modified()
            .ok()
            .and_then(|m| m.elapsed().ok())
            .unwrap_or_default();
        if age >= STALE_REMOTE_LOCK {
            return meta.is_file() && std::fs::remove_file(&lock).is_ok();
        }
        if std::time::Instant::now() >= give_up {
            return false;
        }
        std::thread::sleep((STALE_REMOTE_LOCK - age).min(std::time::Duration::from_millis(100)));
    }
}

/// What the marker of a running sync holds (`<git dir>/jit-sync.json`).
#[derive(Debug, Default, Serialize, serde::Deserialize)]
struct MarkerData {
    pid: u32,
    started_ms: i64,
    /// The branch checked out when the sync started.
    branch: Option<String>,
}

/// The marker of the sync running in this checkout: written when it starts, removed when it
/// ends with the checkout clean. Found at the start of a sync, it says the last one was killed.
struct Marker(Option<std::path::PathBuf>);

impl Marker {
    fn start(store: &Store) -> Result<Self> {
        let Some(dir) = ledger::git_dir(store.root()) else {
            return Ok(Marker(None));
        };
        let data = MarkerData {
            pid: std::process::id(),
            started_ms: crate::clock::system_millis() as i64,
            branch: current_branch(store.root())?,
        };
        let path = dir.join(crate::store::SYNC_MARKER);
        let bytes = serde_json::to_vec(&data).map_err(|e| Error::Internal(e.to_string()))?;
        crate::store::write_atomic(&path, &bytes)?;
        Ok(Marker(Some(path)))
    }
}

impl Drop for Marker {
    fn drop(&mut self) {
        // Left in place while git is still in the middle of something: the next sync (and
        // every jit mutation's refusal) then knows whose it is.
        if let Some(p) = &self.0 {
            let busy = p.parent().is_some_and(|gitdir| {
                ["rebase-merge", "rebase-apply", "MERGE_HEAD"]
                    .iter()
                    .any(|f| gitdir.join(f).exists())
            });
            if !busy {
                let _ = std::fs::remove_file(p);
            }
        }
    }
}

/// Recovers what a killed `jit sync` of this checkout left (its marker is there): removes the
/// lock files its git left behind (those made since it started; the sync lock is ours, so no
/// sync of jit's holds them), aborts the rebase or merge it was in the middle of (which
/// restores the user's autostashed changes) and returns to the branch it started on.
fn recover_interrupted(store: &Store) -> Result<Option<Recovered>> {
    let root = store.root();
    let Some(gitdir) = ledger::git_dir(root) else {
        return Ok(None);
    };
    let marker = gitdir.join(crate::store::SYNC_MARKER);
    let Ok(bytes) = std::fs::read(&marker) else {
        return Ok(None);
    };
    let data: MarkerData = serde_json::from_slice(&bytes).unwrap_or_default();
    let common = store
        .ledger_dir()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| gitdir.clone());
    let since = data.started_ms - 2_000;
    let mut removed = Vec::new();
    let mut candidates: Vec<std::path::PathBuf> = [
        "index.lock",
        "HEAD.lock",
        "ORIG_HEAD.lock",
        "AUTO_MERGE.lock",
        "MERGE_HEAD.lock",
    ]
    .iter()
    .map(|f| gitdir.join(f))
    .collect();
    candidates.push(common.join("packed-refs.lock"));
    for sub in ["refs/heads", "refs/remotes"] {
        lock_files(&common.join(sub), &mut candidates);
    }
    for c in candidates {
        let made = std::fs::metadata(&c)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64);
        if made.is_some_and(|m| m >= since) && std::fs::remove_file(&c).is_ok() {
            let shown = c
                .strip_prefix(&common)
                .or_else(|_| c.strip_prefix(&gitdir))
                .unwrap_or(&c);
            removed.push(shown.display().to_string());
        }
    }
    let aborted = match ledger::git_operation(root) {
        Some(op @ ("rebase" | "merge")) => {
            let mut out = git(root, &[op, "--abort"])?;
            if !out.status.success() && op == "rebase" {
                // Killed before git had written its whole state (no `head-name` yet): git
                // cannot abort it, but nothing was committed either. Drop the state, go back
                // to the branch (its ref is untouched until a rebase finishes) and put the
                // autostash back.
                out = quit_rebase(root, &gitdir, data.branch.as_deref())?;
            }
            if !out.status.success() {
                return Err(Error::Conflict {
                    code: crate::error::ErrorCode::SyncInterrupted,
                    message: format!(
                        "an interrupted `jit sync` left this checkout in the middle of a git {op}, and `git {op} --abort` failed ({}); resolve it with git, then run `jit sync` again",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ),
                    details: json!({ "operation": op }),
                });
            }
            Some(op)
        }
        _ => None,
    };
    // Back on the branch it started from, if the abort left HEAD detached.
    if current_branch(root)?.is_none()
        && let Some(b) = &data.branch
    {
        let _ = git(root, &["checkout", "-q", b]);
    }
    let _ = std::fs::remove_file(&marker);
    Ok(Some(Recovered {
        aborted,
        removed_locks: removed,
        started_ms: data.started_ms,
    }))
}

/// Ends a rebase that `git rebase --abort` cannot undo (its state half written): `git rebase
/// --quit`, back to `branch` if HEAD was detached, and the autostash applied again.
fn quit_rebase(root: &Path, gitdir: &Path, branch: Option<&str>) -> Result<std::process::Output> {
    let autostash = ["rebase-merge", "rebase-apply"]
        .iter()
        .find_map(|d| std::fs::read_to_string(gitdir.join(d).join("autostash")).ok())
        .map(|s| s.trim().to_string())
        // Written only once git has made it (and before it resets the working tree): an
        // empty or unreadable one means the user's changes are still in the working tree.
        .filter(|s| {
            !s.is_empty()
                && git(
                    root,
                    &["rev-parse", "-q", "--verify", &format!("{s}^{{commit}}")],
                )
                .is_ok_and(|o| o.status.success())
        });
    let out = git(root, &["rebase", "--quit"])?;
    if !out.status.success() {
        return Ok(out);
    }
    if current_branch(root)?.is_none()
        && let Some(b) = branch
    {
        // HEAD is detached only after git stashed the user's changes: nothing of theirs is in
        // the working tree but what the rebase itself checked out.
        let out = git(root, &["checkout", "-q", "-f", b])?;
        if !out.status.success() {
            return Ok(out);
        }
    }
    if let Some(stash) = autostash {
        // `--quit` keeps the autostash in the stash list: apply it and drop it from there.
        let top = git(root, &["rev-parse", "-q", "--verify", "refs/stash"])?;
        // Killed after git stashed the changes but before it reset the working tree: they
        // are still there, and applying them again is not needed.
        let already = git(root, &["diff", "--quiet", &stash, "--"])?
            .status
            .success();
        if !already {
            let out = git(root, &["stash", "apply", "-q", &stash])?;
            if !out.status.success() {
                return Ok(out);
            }
        }
        if String::from_utf8_lossy(&top.stdout).trim() == stash {
            let _ = git(root, &["stash", "drop", "-q"]);
        }
    }
    Ok(out)
}

/// Adds the `*.lock` files below `dir` to `out`.
fn lock_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => lock_files(&p, out),
            Ok(t) if t.is_file() && p.extension().is_some_and(|x| x == "lock") => out.push(p),
            _ => {}
        }
    }
}

/// Takes the clone's sync lock (waiting for a sync already running in any worktree of it).
fn sync_lock(store: &Store) -> Result<StoreLock> {
    match store.ledger_dir() {
        Some(d) => {
            std::fs::create_dir_all(d)
                .map_err(|e| Error::io(format!("creating `{}`", d.display()), e))?;
            StoreLock::acquire(&d.join("sync.lock"))
        }
        None => StoreLock::acquire(&store.dir().join("lock")),
    }
}

/// Brings this clone's claims and the remote's claim refs together, before anything is
/// committed or pushed (the caller holds the ledger and store locks, and has just fetched):
/// - learns what every claim ref holds;
/// - publishes what this clone did under claims it published and the remote does not know yet
///   (a claim finished or released without `--remote`), by compare-and-swap;
/// - takes back local changes to issues the remote has since given to a later claim of another
///   holder: the file returns to what the remote branch holds (or stays, if it has none), with
///   the newer claim on it, so they are never published over the newer holder's.
///
/// Returns the issues taken back.
fn settle_claims(
    store: &Store,
    lock: &StoreLock,
    actor: &Actor,
    claims: &GitPublisher,
    remote_head: Option<&str>,
) -> Result<Vec<LostClaim>> {
    let root = store.root();
    let Some(dir) = store.ledger_dir() else {
        return Ok(Vec::new());
    };
    let now = crate::clock::now()?;
    let base = ledger::read(dir)?;
    let mut ledger = base.clone();
    let seen = super::remote::list_tracking(root, claims.remote())?;
    let present = seen.iter().map(|s| s.id.clone()).collect();
    let max_skew = claims.max_skew_ms();
    for s in &seen {
        ledger.learn(claims.remote(), &s.sha, &s.record, now.millis(), max_skew);
    }
    ledger.forget_missing(claims.remote(), &present);

    // Claims this clone published, which it has moved on from locally.
    let mut pending = Vec::new();
    for (id, e) in &ledger.entries {
        let Some(seen) = e.seen.as_ref().filter(|s| s.name == claims.remote()) else {
            continue;
        };
        if e.remote.as_deref() != Some(claims.remote()) || seen.epoch != e.epoch {
            continue;
        }
        if (e.epoch, e.key().1) > (seen.epoch, seen.rank) {
            let mut issue = match store.load_raw(id) {
                Ok(i) => i,
                Err(Error::NotFound { .. }) => continue,
                Err(err) => return Err(err),
            };
            e.apply(&mut issue);
            pending.push(ClaimRecord::of(&issue, now, &e.by));
        }
    }
    if !pending.is_empty() {
        match claims.publish(root, &mut ledger, &pending)? {
            Some(shas) => {
                for (r, sha) in pending.iter().zip(shas) {
                    ledger.published(claims.remote(), &sha, r, now.millis());
                }
            }
            // Another clone moved one first: what it holds now is learned, and taken back below.
            None => claims.fetch(root, &mut ledger, now.millis())?,
        }
    }

    // Local changes made under claims the remote has since given to someone else.
    let mut taken = Vec::new();
    let mut events = Vec::new();
    let mut puts = Vec::new();
    let ids: Vec<IssueId> = ledger.entries.keys().cloned().collect();
    for id in ids {
        let e = ledger.entries[&id].clone();
        if e.seen.as_ref().is_none_or(|s| s.name != claims.remote()) {
            continue;
        }
        let file = match store.load_raw(&id) {
            Ok(i) => i,
            Err(Error::NotFound { .. }) => continue,
            Err(err) => return Err(err),
        };
        // Only work recorded under someone else's older claim is taken back.
        let Some(old_holder) = file.assignee.clone() else {
            continue;
        };
        if e.key() <= ledger::issue_key(&file) || e.assignee.as_deref() == Some(&old_holder) {
            continue;
        }
        let published = remote_head.and_then(|head| {
            let path = format!("{head}:.jit/issues/{}.json", id.as_str());
            let out = git(root, &["show", &path]).ok()?;
            out.status.success().then_some(out.stdout)
        });
        let Some(published) = published else {
            continue;
        };
        let mut issue = crate::store::parse_issue(&store.issue_path(&id), id.as_str(), &published)?;
        if issue == file {
            continue; // nothing of this clone's to take back
        }
        e.apply(&mut issue);
        issue.version = issue.version.max(file.version).saturating_add(1);
        issue.updated_at = now;
        puts.push((
            std::path::PathBuf::from(format!("issues/{}.json", id.as_str())),
            issue.to_file_bytes()?,
        ));
        let changes = crate::store::diff_values(
            &serde_json::to_value(&file).unwrap_or_default(),
            &serde_json::to_value(&issue).unwrap_or_default(),
        );
        let superseded = crate::model::payload::Superseded {
            remote: claims.remote().to_string(),
            holder: e.assignee.clone(),
            epoch: e.epoch,
            superseded: old_holder.clone(),
        };
        events.push(crate::model::Event::new(
            crate::random::ulid().to_string(),
            now,
            actor.as_str(),
            Some(id.as_str()),
            changes,
            &crate::model::Payload::ClaimSuperseded(superseded),
        ));
        taken.push(LostClaim {
            short_id: id.short(),
            title: issue.title.clone(),
            holder: e.assignee.clone().unwrap_or_default(),
            id: id.to_string(),
            reason: "superseded",
        });
    }
    // What was learned, the files taken back and their events: one transaction.
    let plan = journal::Plan {
        puts,
        deletes: Vec::new(),
        events: &events,
        ledger: Some((dir, &base, &ledger)),
    };
    journal::commit(store.dir(), lock.file(), &plan, &journal::Faults::none())?;
    store.set_ledger(std::sync::Arc::new(ledger));
    Ok(taken)
}

/// After a pull, brings the ledger's entries of the issues it changed in line with the merged
/// files: a file that is ahead of its entry, or names another holder at the same point (another
/// clone's claim won the merge), is what the ledger records from now on.
fn reconcile_ledger(store: &Store, actor: &Actor, paths: &[String]) -> Result<()> {
    let Some(dir) = store.ledger_dir() else {
        return Ok(());
    };
    let mut ledger = ledger::read(dir)?;
    let now = crate::clock::now()?;
    let mut changed = false;
    for p in paths {
        let Some(id) = p
            .strip_prefix(".jit/issues/")
            .and_then(id::issue_file_stem)
            .and_then(|s| IssueId::parse(s).ok())
        else {
            continue;
        };
        let Some(e) = ledger.get(id.as_str()).cloned() else {
            continue;
        };
        let file = match store.load_raw(&id) {
            Ok(i) => i,
            Err(_) => continue,
        };
        let fk = ledger::issue_key(&file);
        if fk > e.key() || (fk == e.key() && file.assignee != e.assignee) {
            let lost = e
                .assignee
                .clone()
                .filter(|h| file.assignee.as_deref() != Some(h.as_str()) && e.key().1 < 3)
                .map(|holder| ledger::Superseded {
                    holder,
                    epoch: e.epoch,
                });
            changed |= ledger.record(&file, now, actor.as_str(), lost);
        }
    }
    if changed {
        ledger::write(dir, &ledger)?;
        store.set_ledger(std::sync::Arc::new(ledger));
    }
    Ok(())
}
