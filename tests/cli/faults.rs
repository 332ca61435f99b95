//! Faults one step further out: a full disk (a small tmpfs), `jit import` killed with its
//! process group at random moments, a checkout left in the middle of a rebase or merge, signals
//! to `gate check`. Each fault is a class: many trials, each checked against the promise in
//! docs/guarantees.md (a failed command changed nothing; a killed one left before or after).

use crate::common::{Repo, code, git, jit_cmd, parse_one_object, stderr, stdout};
use crate::safety::Rng;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Every file jit keeps (issues, gates, config, the log, the claim ledger), by path, with its
/// bytes: what must be identical before and after a command that failed. Local-only files
/// (the lock, caches, the hooks outbox) are left out.
pub fn store_bytes(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![root.join(".jit")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            let name = e.file_name().to_string_lossy().into_owned();
            if p.is_dir() {
                if name != "cache" && name != "outbox" {
                    dirs.push(p);
                }
            } else if name != "lock" {
                out.insert(
                    p.strip_prefix(root).unwrap().display().to_string(),
                    std::fs::read(&p).unwrap_or_default(),
                );
            }
        }
    }
    let ledger = root.join(".git/jit/claims.json");
    if let Ok(b) = std::fs::read(&ledger) {
        out.insert(".git/jit/claims.json".into(), b);
    }
    out
}

/// A tmpfs of `size` mounted on a fresh directory, unmounted when dropped. `None` (with a
/// notice) where this process may not mount (not root): the unit tests of `store::journal`
/// then still fail every write point by injection.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Self> {
        let dir = tempfile::Builder::new()
            .prefix("jit-tmpfs-")
            .tempdir()
            .unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        match out {
            Ok(o) if o.status.success() => Some(Tmpfs { dir }),
            other => {
                eprintln!(
                    "notice: cannot mount a tmpfs here ({}); the full-disk test is skipped, the journal's unit tests inject ENOSPC instead",
                    other
                        .map(|o| String::from_utf8_lossy(&o.stderr).trim().to_string())
                        .unwrap_or_else(|e| e.to_string())
                );
                None
            }
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn free(&self) -> u64 {
        rustix::fs::statvfs(self.path())
            .map(|s| s.f_bavail * s.f_frsize)
            .unwrap_or(0)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

fn run_json(dir: &Path, args: &[&str]) -> (Value, i32) {
    let out = jit_cmd(dir).args(args).arg("--json").output().unwrap();
    (parse_one_object(&out), code(&out))
}

/// On a 2 MiB tmpfs filled to a few kilobytes of its end, every kind of mutation is tried
/// again and again with texts of random sizes: each one that fails (ENOSPC, exit 1) changed no
/// byte of the store; each one that succeeded is there whole with its event; the log never
/// holds a torn line; a script that retries a failed create until it succeeds creates the
/// issue once.
#[test]
fn a_full_disk_changes_nothing_a_command_reports_failed() {
    let Some(fs) = Tmpfs::mount("2m") else {
        return;
    };
    let root = fs.path().join("repo");
    std::fs::create_dir(&root).unwrap();
    git(&root, &["init", "-q"]);
    git(&root, &["config", "user.name", "T"]);
    git(&root, &["config", "user.email", "t@example.com"]);
    let (_, c) = run_json(&root, &["init"]);
    assert_eq!(c, 0);
    let mut ids = Vec::new();
    for k in 0..4 {
        let (v, c) = run_json(&root, &["issue", "create", "--title", &format!("seed {k}")]);
        assert_eq!(c, 0, "{v:#}");
        ids.push(v["short_id"].as_str().unwrap().to_string());
    }
    let (v, c) = run_json(&root, &["dep", "add", &ids[1], "--on", &ids[0]]);
    assert_eq!(c, 0, "{v:#}");
    // Fill the disk to its last few pages.
    let filler = fs.path().join("filler");
    let free = fs.free();
    std::fs::write(&filler, vec![b'x'; free.saturating_sub(48 * 1024) as usize]).unwrap();

    let mut rng = Rng::new(0xD15C_F011);
    let (mut failed, mut succeeded) = (0, 0);
    for round in 0..60 {
        // Make room now and then, so the attempts hit the disk's end at every write point.
        if round % 6 == 0 {
            let len = std::fs::metadata(&filler).unwrap().len();
            let room = (rng.below(40) + 4) * 1024;
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&filler)
                .unwrap();
            f.set_len(len.saturating_sub(room)).unwrap();
        }
        let size = (rng.below(64) * 1024 + rng.below(1024)) as usize;
        let text = "d".repeat(size.max(1));
        let target = ids[rng.below(ids.len() as u64) as usize].clone();
        let title = format!("full {round}");
        let args: Vec<&str> = match rng.below(5) {
            0 => vec!["issue", "create", "--title", &title, "--desc", &text],
            1 => vec!["issue", "update", &target, "--desc", &text],
            2 => vec!["issue", "comment", &target, "--body", &text],
            3 => vec!["issue", "claim", &target, "--actor", "agent:disk"],
            _ => vec!["issue", "update", &ids[0], "--state", "done"],
        };
        let before = store_bytes(&root);
        let events_before = line_count(&root);
        let (v, c) = run_json(&root, &args);
        if c == 0 {
            succeeded += 1;
            assert!(
                line_count(&root) > events_before || v["version"].is_number(),
                "{v:#}"
            );
        } else {
            let code = v["error"]["code"].as_str().unwrap_or_default().to_string();
            if code != "io" {
                // A refusal on the store's own terms (a claim of finished work): nothing changed.
                assert_eq!(store_bytes(&root), before, "refused {args:?}: {v:#}");
                continue;
            }
            failed += 1;
            assert_eq!(
                v["error"]["details"]["kind"], "StorageFull",
                "{args:?} failed for another reason: {v:#}"
            );
            let after = store_bytes(&root);
            let changed: Vec<&String> = after
                .keys()
                .chain(before.keys())
                .filter(|k| after.get(*k) != before.get(*k))
                .collect();
            assert!(
                changed.is_empty(),
                "a failed {:?} changed {changed:?}",
                &args[..2]
            );
        }
        assert_no_torn_line(&root);
    }
    assert!(failed >= 5, "the disk was never full: {failed} failed");
    assert!(succeeded >= 5, "nothing fit: {succeeded} succeeded");

    // A retrying script: create until it succeeds, making room after each failure.
    let title = "retried until it fit";
    loop {
        let (v, c) = run_json(
            &root,
            &[
                "issue",
                "create",
                "--title",
                title,
                "--desc",
                &"r".repeat(30_000),
            ],
        );
        if c == 0 {
            break;
        }
        assert_eq!(v["error"]["details"]["kind"], "StorageFull", "{v:#}");
        let len = std::fs::metadata(&filler).unwrap().len();
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(&filler)
            .unwrap();
        f.set_len(len.saturating_sub(8 * 1024)).unwrap();
    }
    std::fs::remove_file(&filler).unwrap();
    let (list, _) = run_json(&root, &["issue", "list", "--filter", "text:retried"]);
    assert_eq!(list["issues"].as_array().unwrap().len(), 1, "{list:#}");
    let (v, c) = run_json(&root, &["validate"]);
    assert_eq!((c, &v["ok"]), (0, &Value::Bool(true)), "{v:#}");
    // The log accounts for every issue: one `issue.created` per file.
    let created = events_of(&root)
        .iter()
        .filter(|e| e["type"] == "issue.created")
        .count();
    let files = std::fs::read_dir(root.join(".jit/issues"))
        .unwrap()
        .flatten()
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .count();
    assert_eq!(created, files);
}

fn line_count(root: &Path) -> usize {
    std::fs::read(root.join(".jit/events.jsonl"))
        .unwrap_or_default()
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count()
}

fn events_of(root: &Path) -> Vec<Value> {
    String::from_utf8(std::fs::read(root.join(".jit/events.jsonl")).unwrap())
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("torn event line {l:?}: {e}")))
        .collect()
}

fn assert_no_torn_line(root: &Path) {
    let bytes = std::fs::read(root.join(".jit/events.jsonl")).unwrap();
    assert!(
        bytes.is_empty() || bytes.ends_with(b"\n"),
        "the log ends in a torn line"
    );
    events_of(root);
}

/// Starts `cmd` in a process group of its own and kills the whole group with SIGKILL after
/// `ms`. Returns whether it had already finished (and how).
pub fn kill_group_after(mut cmd: Command, ms: u64) -> Option<std::process::ExitStatus> {
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_millis(ms);
    while Instant::now() < deadline {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    if let Some(pg) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pg, rustix::process::Signal::KILL);
    }
    let _ = child.wait();
    None
}

/// Starts `cmd` in a process group of its own and kills the whole group with SIGKILL the moment
/// `now` says so (polled every fraction of a millisecond), or when it has run for `limit`.
pub fn kill_group_when(mut cmd: Command, limit: Duration, now: impl Fn() -> bool) -> bool {
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let t = Instant::now();
    let mut hit = false;
    while t.elapsed() < limit {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if now() {
            hit = true;
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    if let Some(pg) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pg, rustix::process::Signal::KILL);
    }
    let _ = child.wait();
    hit
}

fn csv_source(dir: &Path, n: usize) -> PathBuf {
    let mut text = String::from("title,priority,labels,description\n");
    for k in 0..n {
        text.push_str(&format!(
            "Imported task {k},{},area-{},\"Steps for task {k}: {}\"\n",
            ["low", "normal", "high"][k % 3],
            k % 7,
            "lorem ipsum ".repeat(k % 20 + 1)
        ));
    }
    let p = dir.join("big.csv");
    std::fs::write(&p, text).unwrap();
    p
}

/// `jit import` killed with its whole process group at random moments, over many trials: the
/// store holds none of the import or all of it, every imported issue has its `issue.created`
/// event, readers never see half, validate is clean, and an import that left nothing is simply
/// run again.
#[test]
fn kill_9_during_import_leaves_none_or_all_of_it() {
    const N: usize = 400;
    let mut rng = Rng::new(0x1A9F_0E7E);
    let (mut none, mut all) = (0, 0);
    let probe = Repo::new();
    let src = csv_source(probe.path(), N);
    // How long one import takes here, to spread the kills over it.
    let t = Instant::now();
    probe.ok(&["import", "csv", src.to_str().unwrap()]);
    let full = t.elapsed().as_millis() as u64;
    for trial in 0..12 {
        let repo = Repo::new();
        let seed = repo.create("already here", &[]);
        let events_before = repo.event_count();
        let mut cmd = jit_cmd(repo.path());
        cmd.args(["import", "csv", src.to_str().unwrap(), "--json"]);
        // Half the trials at a random moment; half the moment the first imported file is in
        // place (the worst moment: the files are going in one by one).
        let (delay, finished) = if trial % 2 == 0 {
            let delay = rng.below(full + full / 4 + 1);
            (delay, kill_group_after(cmd, delay).map(|s| s.to_string()))
        } else {
            let issues = repo.issues_dir();
            let hit = kill_group_when(cmd, Duration::from_millis(full * 4 + 1000), || {
                std::fs::read_dir(&issues).is_ok_and(|rd| {
                    rd.flatten()
                        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                        .count()
                        > 1
                })
            });
            (0, (!hit).then(|| "before the first file".to_string()))
        };
        // A reader first: it must see none or all (it finishes or undoes the import).
        let list = repo.ok(&["issue", "list", "--limit", "10000"]);
        let n = list["issues"].as_array().unwrap().len() - 1;
        assert!(
            n == 0 || n == N,
            "trial {trial} (killed after {delay} ms, finished: {finished:?}): {n} of {N} issues"
        );
        let created: Vec<Value> = repo
            .events()
            .into_iter()
            .filter(|e| e["type"] == "issue.created")
            .collect();
        assert_eq!(
            created.len(),
            n + 1,
            "trial {trial}: one issue.created per issue"
        );
        if n == 0 {
            none += 1;
            assert_eq!(repo.event_count(), events_before);
        } else {
            all += 1;
        }
        let v = repo.ok(&["validate"]);
        assert_eq!(v["ok"], true, "trial {trial}: {v:#}");
        assert!(
            repo.issue_files().iter().all(|f| !f.ends_with(".tmp")),
            "trial {trial}: temp files left: {:?}",
            repo.issue_files()
        );
        // An import that left nothing is simply run again.
        if n == 0 {
            repo.ok(&["import", "csv", src.to_str().unwrap()]);
            let list = repo.ok(&["issue", "list", "--limit", "10000"]);
            assert_eq!(list["issues"].as_array().unwrap().len(), N + 1);
        }
        assert_eq!(repo.show(&seed)["title"], "already here");
    }
    eprintln!("kill -9 during import: {none} left nothing, {all} left all of it");
}

/// A checkout git is in the middle of rebasing (stopped on a conflict) or merging: every jit
/// mutation refuses (`git_in_progress`) and writes nothing; `validate` reports it; once git is
/// done, the same command works.
#[test]
fn mutations_refuse_a_checkout_in_the_middle_of_a_rebase_or_merge() {
    let repo = Repo::new();
    let id = repo.create("work", &[]);
    std::fs::write(repo.path().join("notes.txt"), "base\n").unwrap();
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "base"]);
    git(repo.path(), &["checkout", "-qb", "other"]);
    std::fs::write(repo.path().join("notes.txt"), "other\n").unwrap();
    git(repo.path(), &["commit", "-qam", "other"]);
    git(repo.path(), &["checkout", "-q", "-"]);
    std::fs::write(repo.path().join("notes.txt"), "mine\n").unwrap();
    git(repo.path(), &["commit", "-qam", "mine"]);
    for (op, start, abort) in [
        ("rebase", vec!["rebase", "other"], vec!["rebase", "--abort"]),
        ("merge", vec!["merge", "other"], vec!["merge", "--abort"]),
    ] {
        let out = Command::new("git")
            .current_dir(repo.path())
            .args(&start)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{op} should stop on the conflict");
        let before = store_bytes(repo.path());
        for args in [
            vec!["issue", "update", id.as_str(), "--title", "changed"],
            vec!["issue", "create", "--title", "new"],
            vec!["validate", "--fix"],
        ] {
            let d = repo.err(&args, "git_in_progress", 4);
            assert_eq!(d["operation"], op);
            assert_eq!(d["interrupted_sync"], false);
        }
        assert_eq!(store_bytes(repo.path()), before);
        let (v, c) = repo.json(&["validate"]);
        assert_eq!(c, 8, "{v:#}");
        assert!(
            v["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["code"] == "git_in_progress"),
            "{v:#}"
        );
        git(repo.path(), &abort);
        repo.ok(&["issue", "update", &id, "--title", &format!("after {op}")]);
    }
}

/// The pid written by a checker into `file` once it runs.
fn wait_for_pid(file: &Path) -> i32 {
    let t = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(file)
            && let Ok(p) = s.trim().parse()
        {
            return p;
        }
        assert!(
            t.elapsed() < Duration::from_secs(20),
            "the checker never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn alive(pid: i32) -> bool {
    // A zombie is dead for this purpose: its state in /proc is `Z`.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => s
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

fn gone_within(pid: i32, limit: Duration) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// `gate check` interrupted by SIGTERM, SIGINT (Ctrl-C) or SIGKILL: the checker and what it
/// started (a grandchild in the background) do not outlive jit, and nothing is recorded for
/// the interrupted gate. SIGTERM and SIGINT are forwarded to the checker's group (it may clean
/// up) and jit exits with 128 + the signal number and `interrupted`.
#[test]
fn signals_to_gate_check_stop_the_checkers_process_group() {
    use rustix::process::{Pid, Signal, kill_process, kill_process_group};
    for (sig, name) in [
        (Signal::TERM, "TERM"),
        (Signal::INT, "INT"),
        (Signal::KILL, "KILL"),
    ] {
        let repo = Repo::new();
        let pids = repo.path().join("pids");
        let trapped = repo.path().join("trapped");
        // The checker starts a grandchild (a long sleep in the background), notes both pids,
        // and cleans up on SIGTERM/SIGINT by leaving a file.
        let checker = format!(
            "sleep 300 & echo $! > {g}; trap 'echo $$ > {t}; kill $!; exit 1' TERM INT; echo $$ > {p}; wait",
            g = repo.path().join("grandchild").display(),
            t = trapped.display(),
            p = pids.display()
        );
        repo.define_gate(
            "long",
            &["--auto", "--checker", &checker, "--timeout", "600"],
        );
        let id = repo.create("gated", &["--gate", "long"]);
        let mut cmd = jit_cmd(repo.path());
        cmd.args(["gate", "check", &id, "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cmd.spawn().unwrap();
        let checker_pid = wait_for_pid(&pids);
        let grandchild = wait_for_pid(&repo.path().join("grandchild"));
        assert!(alive(checker_pid) && alive(grandchild));
        let jit_pid = Pid::from_raw(child.id() as i32).unwrap();
        if sig == Signal::INT {
            // Ctrl-C reaches the terminal's foreground group: jit, not the checker's own group.
            kill_process_group(jit_pid, sig)
                .unwrap_or_else(|_| kill_process(jit_pid, sig).unwrap());
        } else {
            kill_process(jit_pid, sig).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            gone_within(checker_pid, Duration::from_secs(10)),
            "SIG{name}: the checker outlived jit"
        );
        assert!(
            gone_within(grandchild, Duration::from_secs(10)),
            "SIG{name}: the checker's background job outlived jit"
        );
        if sig != Signal::KILL {
            let v = parse_one_object(&out);
            assert_eq!(v["error"]["code"], "interrupted", "SIG{name}: {v:#}");
            let n = if sig == Signal::TERM { 15 } else { 2 };
            assert_eq!(code(&out), 128 + n, "{}", stderr(&out));
            assert!(trapped.exists(), "SIG{name} was forwarded to the checker");
        } else {
            assert!(out.status.code().is_none(), "{}", stdout(&out));
        }
        // Nothing was recorded for the interrupted check.
        let shown = repo.show(&id);
        assert_eq!(
            shown["gates_status"]["long"]["status"], "pending",
            "{shown:#}"
        );
        repo.ok(&["validate"]);
    }
}

/// The merge that undid finished work, through git and the merge driver: one branch finishes
/// an issue its agent held, the other adds a dependency to it (and renews nothing). The merge
/// keeps `done`, drops the lease, and `validate` is clean; an issue whose state contradicts a
/// live lease (as an older driver or a hand edit leaves it) is flagged.
#[test]
fn a_merge_keeps_finished_work_and_validate_flags_claim_contradictions() {
    let repo = Repo::new();
    repo.ok(&["git", "install"]);
    let work = repo.create("work", &[]);
    let other = repo.create("other", &[]);
    repo.ok(&["issue", "claim", &work, "--actor", "agent:a", "--ttl", "1h"]);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "claimed"]);
    git(repo.path(), &["checkout", "-qb", "deps"]);
    repo.ok(&["dep", "add", &work, "--on", &other]);
    git(repo.path(), &["commit", "-qam", "dep"]);
    git(repo.path(), &["checkout", "-q", "-"]);
    repo.ok(&[
        "issue", "update", &work, "--state", "done", "--actor", "agent:a",
    ]);
    git(repo.path(), &["commit", "-qam", "done"]);
    let out = Command::new("git")
        .current_dir(repo.path())
        .args(["merge", "-q", "--no-edit", "deps"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = repo.read_issue(&work);
    assert_eq!(merged["state"], "done", "{merged:#}");
    assert!(merged.get("lease").is_none_or(Value::is_null), "{merged:#}");
    assert_eq!(merged["dependencies"].as_array().unwrap().len(), 1);
    // Done with an unfinished dependency is a warning (the work was finished), not an error.
    let v = repo.ok(&["validate"]);
    assert_eq!(v["ok"], true, "{v:#}");

    // Hand-made contradictions: backlog with a live lease; done with a lease.
    let stuck = repo.create("stuck", &[]);
    repo.ok(&[
        "issue", "claim", &stuck, "--actor", "agent:b", "--ttl", "1h",
    ]);
    repo.edit_issue(&stuck, |i| i["state"] = "backlog".into());
    let finished = repo.create("finished", &[]);
    repo.ok(&[
        "issue", "claim", &finished, "--actor", "agent:c", "--ttl", "1h",
    ]);
    repo.ok(&[
        "issue", "update", &finished, "--state", "done", "--actor", "agent:c",
    ]);
    repo.edit_issue(&finished, |i| {
        i["lease"] = serde_json::json!({ "holder": "agent:c", "acquired_at": "2026-01-01T00:00:00.000Z", "expires_at": "2099-01-01T00:00:00.000Z" })
    });
    // The claim ledger agrees with the files (a merge brought them, not a claim here).
    let _ = std::fs::remove_file(repo.path().join(".git/jit/claims.json"));
    let (v, c) = repo.json(&["validate"]);
    assert_eq!(c, 8, "{v:#}");
    let codes: Vec<(&str, &str)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["code"].as_str().unwrap(), p["severity"].as_str().unwrap()))
        .collect();
    assert!(codes.contains(&("lease_on_unstarted", "error")), "{v:#}");
    assert!(codes.contains(&("lease_on_closed", "warning")), "{v:#}");
    let (v, _) = repo.json(&["validate", "--fix"]);
    assert!(
        repo.read_issue(&finished)
            .get("lease")
            .is_none_or(Value::is_null),
        "{v:#}"
    );
    // The live lease on unstarted work is for a person to resolve: it stays reported.
    let (v, c) = repo.json(&["validate"]);
    assert_eq!(c, 8, "{v:#}");
    assert!(
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["code"] != "lease_on_closed"),
        "{v:#}"
    );
    repo.ok(&["issue", "release", &stuck, "--actor", "agent:b"]);
    let v = repo.ok(&["validate"]);
    assert_eq!(v["ok"], true, "{v:#}");
}
