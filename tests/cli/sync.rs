//! `jit sync` against a real bare remote with two clones: concurrent edits to one issue merge
//! field by field, the same field has one deterministic winner, label sets union, the earlier
//! claim wins and the loser learns it (`claim_lost`), a push race is retried, a cycle made by two
//! merges stops the push, and a pull that git cannot finish is undone.

use crate::common::{code, git, jit_cmd, parse_one_object, stderr, stdout};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

const T1: &str = "2030-01-01T01:00:00Z";
const T2: &str = "2030-01-01T02:00:00Z";

/// One clone of the shared remote, acting as its own actor.
struct Clone {
    dir: PathBuf,
    actor: &'static str,
}

impl Clone {
    fn cmd(&self, args: &[&str], now: Option<&str>) -> Command {
        let mut c = jit_cmd(&self.dir);
        c.args(args).env("JIT_ACTOR", self.actor);
        if let Some(n) = now {
            c.env("JIT_NOW", n);
        }
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args, None).output().expect("jit runs")
    }

    /// Runs with `--json`: the one object on stdout and the exit code.
    fn json_at(&self, args: &[&str], now: Option<&str>) -> (Value, i32) {
        let out = self
            .cmd(args, now)
            .arg("--json")
            .output()
            .expect("jit runs");
        (parse_one_object(&out), code(&out))
    }

    fn ok_at(&self, args: &[&str], now: &str) -> Value {
        let (v, c) = self.json_at(args, Some(now));
        assert_eq!(c, 0, "{} jit {args:?}: {v:#}", self.actor);
        v
    }

    fn ok(&self, args: &[&str]) -> Value {
        let (v, c) = self.json_at(args, None);
        assert_eq!(c, 0, "{} jit {args:?}: {v:#}", self.actor);
        v
    }

    /// `jit sync --json`, which must succeed.
    fn sync(&self) -> Value {
        self.ok(&["sync"])
    }

    fn show(&self, id: &str) -> Value {
        self.ok(&["issue", "show", id])
    }

    fn file(&self, id: &str) -> String {
        let full = self.show(id)["id"].as_str().unwrap().to_string();
        std::fs::read_to_string(self.dir.join(".jit/issues").join(format!("{full}.json"))).unwrap()
    }

    fn validate_ok(&self) {
        let v = self.ok(&["validate"]);
        assert_eq!(v["ok"], true, "{v:#}");
    }

    fn git_out(&self, args: &[&str]) -> String {
        git_stdout(&self.dir, args)
    }
}

fn git_stdout(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn identity(dir: &Path, name: &str) {
    git(dir, &["config", "user.name", name]);
    git(
        dir,
        &["config", "user.email", &format!("{name}@example.com")],
    );
}

/// A bare remote and two clones: `a` ran `jit init` and pushed the store with `jit sync`;
/// `b` cloned it afterwards and ran `jit git install`.
struct Net {
    tmp: TempDir,
    a: Clone,
    b: Clone,
}

impl Net {
    fn new() -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("jit-sync-")
            .tempdir()
            .unwrap();
        let root = tmp.path();
        git(root, &["init", "-q", "--bare", "-b", "main", "remote.git"]);
        git(root, &["init", "-q", "-b", "main", "a"]);
        let a = Clone {
            dir: root.join("a"),
            actor: "agent:a",
        };
        identity(&a.dir, "a");
        a.ok(&["init"]);
        git(&a.dir, &["remote", "add", "origin", "../remote.git"]);
        let first = a.sync();
        assert_eq!(first["outgoing"]["pushed"], true, "{first:#}");
        git(root, &["clone", "-q", "remote.git", "b"]);
        let b = Clone {
            dir: root.join("b"),
            actor: "agent:b",
        };
        identity(&b.dir, "b");
        let install = b.ok(&["git", "install"]);
        assert_eq!(install["driver_configured"], true);
        Net { tmp, a, b }
    }

    /// Creates an issue on `a` and brings it to `b`; returns its short id.
    fn shared_issue(&self, title: &str) -> String {
        let id = self.a.ok(&["issue", "create", "--title", title])["short_id"]
            .as_str()
            .unwrap()
            .to_string();
        self.a.sync();
        let got = self.b.sync();
        assert_eq!(got["incoming"]["issues"][0]["short_id"], id.as_str());
        id
    }
}

#[test]
fn the_first_sync_pushes_the_store_and_a_clone_gets_it() {
    let net = Net::new();
    let id = net.shared_issue("Shared work");
    assert_eq!(net.b.show(&id)["title"], "Shared work");
    let log = net.a.git_out(&["log", "--format=%B", "-1"]);
    assert!(
        log.starts_with(&format!("jit sync: 1 issue(s) changed\n\n{id} Shared work")),
        "{log}"
    );
    // Only `.jit/` and `.gitattributes` are committed; nothing is left over.
    assert_eq!(net.a.git_out(&["status", "--porcelain"]), "");
    let files = net.a.git_out(&["ls-tree", "-r", "--name-only", "HEAD"]);
    assert!(
        files
            .lines()
            .all(|f| f.starts_with(".jit/") || f == ".gitattributes"),
        "{files}"
    );
    // Syncing again with nothing new does nothing.
    let again = net.a.sync();
    assert!(again["committed"].is_null());
    assert_eq!(again["incoming"]["strategy"], "up_to_date");
    assert_eq!(again["outgoing"]["pushed"], false);
}

#[test]
fn edits_to_different_fields_of_one_issue_both_survive() {
    let net = Net::new();
    let id = net.shared_issue("Fix login");
    net.a
        .ok_at(&["issue", "update", &id, "--priority", "high"], T1);
    net.b.ok_at(
        &[
            "issue",
            "update",
            &id,
            "--desc",
            "Safari only",
            "--milestone",
            "M1",
        ],
        T2,
    );
    net.a.sync();
    let b = net.b.sync();
    assert_eq!(b["incoming"]["strategy"], "rebase");
    assert_eq!(b["incoming"]["commits"], 1);
    assert_eq!(b["incoming"]["issues"][0]["short_id"], id.as_str());
    assert_eq!(b["outgoing"]["pushed"], true);
    let a = net.a.sync();
    assert_eq!(a["incoming"]["issues"][0]["short_id"], id.as_str());
    for c in [&net.a, &net.b] {
        let i = c.show(&id);
        assert_eq!(i["priority"], "high", "{i:#}");
        assert_eq!(i["description"], "Safari only");
        assert_eq!(i["milestone"], "M1");
        assert!(i["context"].get("merge_conflicts").is_none(), "{i:#}");
        assert!(i.get("merge_conflicts").is_none(), "{i:#}");
        c.validate_ok();
    }
    assert_eq!(net.a.file(&id), net.b.file(&id));
}

/// Both clones retitle the issue; returns the title both end up with, and the files.
fn retitle(a_first: bool) -> (String, String, String) {
    let net = Net::new();
    let id = net.shared_issue("Original");
    net.a
        .ok_at(&["issue", "update", &id, "--title", "Title from a"], T1);
    net.b
        .ok_at(&["issue", "update", &id, "--title", "Title from b"], T2);
    let (first, second) = if a_first {
        (&net.a, &net.b)
    } else {
        (&net.b, &net.a)
    };
    first.sync();
    second.sync();
    first.sync();
    for c in [&net.a, &net.b] {
        c.validate_ok();
    }
    let (fa, fb) = (net.a.file(&id), net.b.file(&id));
    (net.a.show(&id)["title"].as_str().unwrap().into(), fa, fb)
}

#[test]
fn the_same_field_changed_on_both_clones_has_one_deterministic_winner() {
    for a_first in [true, false] {
        let (title, fa, fb) = retitle(a_first);
        assert_eq!(
            title, "Title from b",
            "the later update wins (a first: {a_first})"
        );
        assert_eq!(fa, fb, "both clones hold the same bytes");
        assert!(!fa.contains("<<<<<<<") && !fa.contains(">>>>>>>"));
        let v: Value = serde_json::from_str(&fa).expect("valid JSON");
        let recorded = &v["merge_conflicts"];
        assert_eq!(recorded[0]["field"], "title", "{v:#}");
        assert_eq!(recorded[0]["discarded"], "Title from a");
        assert_eq!(recorded[0]["reason"], "both_changed");
        assert!(v["context"].get("merge_conflicts").is_none());
    }
}

/// The records of a merge are read in `issue show`, and cleared once read; an older file's
/// records (a JSON string under `context.merge_conflicts`) are cleared the same way, and move
/// to their field when the file is next written.
#[test]
fn merge_conflict_records_are_shown_and_cleared() {
    let net = Net::new();
    let id = net.shared_issue("Original");
    net.a
        .ok_at(&["issue", "update", &id, "--title", "Title from a"], T1);
    net.b
        .ok_at(&["issue", "update", &id, "--title", "Title from b"], T2);
    net.a.sync();
    net.b.sync();
    let shown = net.b.show(&id);
    assert_eq!(shown["merge_conflicts"][0]["field"], "title", "{shown:#}");
    let human = net.b.run(&["issue", "show", &id]);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("merge conflicts (1;") && text.contains("discarded Title from a"),
        "{text}"
    );
    let cleared = net
        .b
        .ok(&["issue", "update", &id, "--clear-merge-conflicts"]);
    assert!(cleared.get("merge_conflicts").is_none(), "{cleared:#}");
    // A file written by an older jit.
    let full = shown["id"].as_str().unwrap().to_string();
    let path = net.b.dir.join(".jit/issues").join(format!("{full}.json"));
    let mut v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    v["context"]["merge_conflicts"] = Value::String(
        r#"[{"at":"2026-01-01T00:00:00.000Z","field":"title","discarded":"Old","reason":"both_changed"}]"#.into(),
    );
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let moved = net.b.ok(&["issue", "update", &id, "--priority", "high"]);
    assert!(
        moved["context"].get("merge_conflicts").is_none(),
        "{moved:#}"
    );
    assert_eq!(moved["merge_conflicts"][0]["discarded"], "Old", "{moved:#}");
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    let cleared = net
        .b
        .ok(&["issue", "update", &id, "--clear-merge-conflicts"]);
    assert!(cleared.get("merge_conflicts").is_none(), "{cleared:#}");
    assert!(
        cleared["context"].get("merge_conflicts").is_none(),
        "{cleared:#}"
    );
    net.b.validate_ok();
}

#[test]
fn labels_added_on_both_clones_are_united() {
    let net = Net::new();
    let id = net.shared_issue("Labels");
    net.a
        .ok_at(&["issue", "update", &id, "--add-label", "frontend"], T1);
    net.b.ok_at(
        &[
            "issue",
            "update",
            &id,
            "--add-label",
            "urgent",
            "--add-label",
            "bug",
        ],
        T2,
    );
    net.b.sync();
    net.a.sync();
    net.b.sync();
    for c in [&net.a, &net.b] {
        assert_eq!(
            c.show(&id)["labels"],
            serde_json::json!(["bug", "frontend", "urgent"])
        );
        c.validate_ok();
    }
}

/// Both clones claim one issue, `a` earlier than `b`; the clones sync in the order given.
/// Returns the net, the issue, and each sync's (reply, exit code).
fn double_claim(order: &[&str]) -> (Net, String, Vec<(String, Value, i32)>) {
    let net = Net::new();
    let id = net.shared_issue("Contested");
    net.a.ok_at(&["issue", "claim", &id, "--ttl", "365d"], T1);
    net.b.ok_at(&["issue", "claim", &id, "--ttl", "365d"], T2);
    let mut results = Vec::new();
    for who in order {
        let c = if *who == "a" { &net.a } else { &net.b };
        let (v, code) = c.json_at(&["sync"], None);
        results.push((who.to_string(), v, code));
    }
    (net, id, results)
}

#[test]
fn the_earlier_claim_holds_and_the_later_clone_learns_it_lost() {
    let (net, id, results) = double_claim(&["a", "b", "a"]);
    assert_eq!(results[0].2, 0, "{:#}", results[0].1);
    let (_, lost, c) = &results[1];
    assert_eq!(*c, 4, "{lost:#}");
    assert_eq!(lost["error"]["code"], "claim_lost");
    let details = &lost["error"]["details"];
    assert_eq!(details["lost"][0]["short_id"], id.as_str());
    assert_eq!(details["lost"][0]["holder"], "agent:a");
    assert_eq!(
        details["sync"]["outgoing"]["pushed"], true,
        "the sync completed"
    );
    assert!(
        lost["error"]["message"].as_str().unwrap().contains(&id),
        "{lost:#}"
    );
    assert_eq!(results[2].2, 0, "{:#}", results[2].1);
    for c in [&net.a, &net.b] {
        let i = c.show(&id);
        assert_eq!(i["assignee"], "agent:a", "{i:#}");
        assert_eq!(i["state"], "in_progress");
        c.validate_ok();
    }
    // The loser's next sync has nothing more to report.
    let (v, c) = net.b.json_at(&["sync"], None);
    assert_eq!((c, v["claims_lost"].as_array().unwrap().len()), (0, 0));
}

#[test]
fn the_earlier_claim_holds_even_when_the_later_claimant_pushes_first() {
    let (net, id, results) = double_claim(&["b", "a", "b"]);
    assert_eq!(results[0].2, 0, "{:#}", results[0].1);
    assert_eq!(results[1].2, 0, "a keeps its claim: {:#}", results[1].1);
    assert_eq!(results[2].2, 4, "{:#}", results[2].1);
    assert_eq!(results[2].1["error"]["code"], "claim_lost");
    // Human output says it too.
    assert_eq!(net.b.show(&id)["assignee"], "agent:a");
    assert_eq!(net.a.show(&id)["assignee"], "agent:a");
}

#[test]
fn a_push_race_is_retried_until_both_changes_are_on_the_remote() {
    let net = Net::new();
    let id = net.shared_issue("Race");
    // When `a` is about to push, `b` syncs first: a's push is rejected and must be retried.
    let jit = crate::common::jit_bin();
    let hook = net.a.dir.join(".git/hooks/pre-push");
    let mark = net.tmp.path().join("raced");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nif [ ! -e '{mark}' ]; then touch '{mark}'; cd '{b}' && JIT_ACTOR=agent:b '{jit}' sync >/dev/null 2>&1 || exit 1; fi\nexit 0\n",
            mark = mark.display(),
            b = net.b.dir.display(),
            jit = jit.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    net.a
        .ok_at(&["issue", "update", &id, "--priority", "high"], T1);
    net.b.ok_at(&["issue", "create", "--title", "From b"], T2);
    let a = net.a.sync();
    assert!(mark.exists(), "the hook ran");
    assert_eq!(a["outgoing"]["attempts"], 2, "{a:#}");
    assert_eq!(a["outgoing"]["pushed"], true);
    assert_eq!(
        a["incoming"]["issues"].as_array().unwrap().len(),
        1,
        "{a:#}"
    );
    std::fs::remove_file(&hook).unwrap();
    net.b.sync();
    for c in [&net.a, &net.b] {
        let list = c.ok(&["issue", "list"]);
        assert_eq!(list["total"], 2, "{list:#}");
        assert_eq!(c.show(&id)["priority"], "high");
        c.validate_ok();
    }
}

#[test]
fn concurrent_syncs_both_succeed() {
    let net = Net::new();
    for round in 0..3 {
        net.a
            .ok(&["issue", "create", "--title", &format!("a{round}")]);
        net.b
            .ok(&["issue", "create", "--title", &format!("b{round}")]);
        let results: Vec<(Value, i32)> = std::thread::scope(|s| {
            let ha = s.spawn(|| net.a.json_at(&["sync", "--max-retries", "10"], None));
            let hb = s.spawn(|| net.b.json_at(&["sync", "--max-retries", "10"], None));
            vec![ha.join().unwrap(), hb.join().unwrap()]
        });
        for (v, c) in &results {
            assert_eq!(*c, 0, "round {round}: {v:#}");
        }
    }
    net.a.sync();
    net.b.sync();
    for c in [&net.a, &net.b] {
        assert_eq!(c.ok(&["issue", "list"])["total"], 6);
        c.validate_ok();
    }
    let remote = net.tmp.path().join("remote.git");
    let files = git_stdout(
        &remote,
        &["ls-tree", "-r", "--name-only", "main", ".jit/issues"],
    );
    assert_eq!(files.lines().count(), 6, "{files}");
}

#[test]
fn a_cycle_made_by_two_merges_is_reported_and_not_pushed() {
    let net = Net::new();
    let x = net.shared_issue("x");
    let y = net.a.ok(&["issue", "create", "--title", "y"])["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    net.a.sync();
    net.b.sync();
    net.a.ok(&["dep", "add", &x, "--on", &y]);
    net.b.ok(&["dep", "add", &y, "--on", &x]);
    net.a.sync();
    let remote_before = git_stdout(&net.tmp.path().join("remote.git"), &["rev-parse", "main"]);
    let (v, c) = net.b.json_at(&["sync"], None);
    assert_eq!(c, 8, "{v:#}");
    assert_eq!(v["ok"], false);
    assert_eq!(v["outgoing"]["pushed"], false);
    assert!(
        v["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "cycle"),
        "{v:#}"
    );
    let remote_after = git_stdout(&net.tmp.path().join("remote.git"), &["rev-parse", "main"]);
    assert_eq!(remote_before, remote_after, "nothing was pushed");
    let human = net.b.run(&["sync"]);
    assert_eq!(code(&human), 8);
    assert!(stdout(&human).contains("not pushed"), "{}", stdout(&human));
    // Removing one edge lets the sync go through.
    net.b.ok(&["dep", "rm", &y, "--on", &x]);
    assert_eq!(net.b.sync()["outgoing"]["pushed"], true);
}

#[test]
fn a_rebase_that_stops_falls_back_to_a_merge() {
    let net = Net::new();
    let notes = |c: &Clone, text: &str, msg: &str| {
        std::fs::write(c.dir.join("notes.txt"), text).unwrap();
        git(&c.dir, &["add", "notes.txt"]);
        git(&c.dir, &["commit", "-q", "-m", msg]);
    };
    notes(&net.a, "base\n", "notes");
    net.a.sync();
    net.b.sync();
    // a changes the line and changes it back: replaying the first commit conflicts, the merge
    // of the two tips does not.
    notes(&net.a, "from a\n", "a1");
    notes(&net.a, "base\n", "a2");
    notes(&net.b, "from b\n", "b1");
    git(&net.b.dir, &["push", "-q", "origin", "main"]);
    let id = net.a.ok(&["issue", "create", "--title", "after"])["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = net.a.sync();
    assert_eq!(v["incoming"]["strategy"], "merge", "{v:#}");
    assert_eq!(v["outgoing"]["pushed"], true);
    assert_eq!(
        std::fs::read_to_string(net.a.dir.join("notes.txt")).unwrap(),
        "from b\n"
    );
    net.b.sync();
    assert_eq!(net.b.show(&id)["title"], "after");
}

#[test]
fn a_pull_that_conflicts_is_undone_and_reported() {
    let net = Net::new();
    let notes = |c: &Clone, text: &str| {
        std::fs::write(c.dir.join("notes.txt"), text).unwrap();
        git(&c.dir, &["add", "notes.txt"]);
        git(&c.dir, &["commit", "-q", "-m", "notes"]);
    };
    notes(&net.b, "from b\n");
    git(&net.b.dir, &["push", "-q", "origin", "main"]);
    notes(&net.a, "from a\n");
    let head = net.a.git_out(&["rev-parse", "HEAD"]);
    let (v, c) = net.a.json_at(&["sync"], None);
    assert_eq!(
        (v["error"]["code"].as_str(), c),
        (Some("sync_conflict"), 4),
        "{v:#}"
    );
    assert_eq!(v["error"]["details"]["files"][0], "notes.txt");
    assert_eq!(
        net.a.git_out(&["rev-parse", "HEAD"]),
        head,
        "the pull was undone"
    );
    assert_eq!(net.a.git_out(&["status", "--porcelain"]), "");
}

#[test]
fn sync_without_a_remote_is_refused() {
    let repo = crate::common::Repo::new();
    let d = repo.err(&["sync"], "no_remote", 2);
    assert_eq!(d["remotes"], serde_json::json!([]));
    let out = repo.jit(&["sync"]);
    assert!(stderr(&out).contains("git remote add"), "{}", stderr(&out));
    let tmp = tempfile::tempdir().unwrap();
    git(tmp.path(), &["init", "-q", "--bare", "r.git"]);
    git(
        repo.path(),
        &[
            "remote",
            "add",
            "up",
            tmp.path().join("r.git").to_str().unwrap(),
        ],
    );
    repo.err(&["sync", "--remote", "origin"], "no_remote", 2);
}

#[test]
fn sync_registers_the_merge_driver_when_missing() {
    let net = Net::new();
    git(&net.b.dir, &["config", "--unset", "merge.jit.driver"]);
    let v = net.b.sync();
    assert_eq!(v["driver_installed"], true);
    assert!(
        net.b
            .git_out(&["config", "--get", "merge.jit.driver"])
            .contains("merge-driver")
    );
}

/// Two agents per clone, two clones: each agent edits and syncs in a loop at the same time as
/// the other three. Every sync succeeds (the per-clone sync lock serialises the two of a clone
/// from the branch check to the push; a push race is retried); none fails with `io`,
/// `internal` or `detached_head`; both clones end with the same issues and validate.
#[test]
fn racing_syncs_in_one_clone_and_across_clones_all_succeed() {
    let net = Net::new();
    let ids: Vec<String> = (0..4)
        .map(|k| {
            net.a
                .ok(&["issue", "create", "--title", &format!("shared {k}")])["short_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    net.a.sync();
    net.b.sync();
    let failures = std::sync::Mutex::new(Vec::new());
    let syncs = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for (c, clone) in [&net.a, &net.b].into_iter().enumerate() {
            for agent in 0..2 {
                let (ids, failures, syncs) = (&ids, &failures, &syncs);
                s.spawn(move || {
                    for round in 0..4 {
                        let id = &ids[(c * 2 + agent + round) % ids.len()];
                        let key = format!("c{c}a{agent}r{round}=x");
                        let (v, code) =
                            clone.json_at(&["issue", "update", id, "--context", &key], None);
                        assert_eq!(code, 0, "{v:#}");
                        let (v, code) = clone.json_at(&["sync", "--max-retries", "20"], None);
                        syncs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        if code != 0 {
                            failures.lock().unwrap().push(v);
                        }
                    }
                });
            }
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} syncs failed: {:#}",
        failures.len(),
        syncs.load(std::sync::atomic::Ordering::SeqCst),
        Value::Array(failures)
    );
    net.a.sync();
    net.b.sync();
    net.a.sync();
    for id in &ids {
        assert_eq!(net.a.file(id), net.b.file(id));
        // Every agent's context key arrived.
        let ctx = net.a.show(id)["context"].clone();
        assert_eq!(ctx.as_object().unwrap().len(), 4, "{ctx:#}");
    }
    net.a.validate_ok();
    net.b.validate_ok();
}

/// Starts `jit sync` in its own process group and kills the group (jit and its git) with
/// SIGKILL after `ms`, or the moment a rebase or merge of the checkout is in progress when
/// `ms` is `None`. Returns whether the kill came before the sync finished.
fn kill_sync(clone: &Clone, ms: Option<u64>) -> bool {
    use std::os::unix::process::CommandExt;
    let mut child = clone
        .cmd(&["sync"], None)
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let t = std::time::Instant::now();
    let git = clone.dir.join(".git");
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        let now = match ms {
            Some(ms) => t.elapsed().as_millis() as u64 >= ms,
            None => {
                ["rebase-merge", "rebase-apply", "MERGE_HEAD"]
                    .iter()
                    .any(|f| git.join(f).exists())
                    || t.elapsed().as_secs() > 20
            }
        };
        if now {
            break;
        }
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    if let Some(pg) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pg, rustix::process::Signal::KILL);
    }
    let _ = child.wait();
    true
}

/// `jit sync` killed with its whole process group at random moments (and the moment its
/// rebase is under way), over many trials, with incoming and local changes and an uncommitted
/// change of the user's in the checkout. After each kill: a jit mutation either works or is
/// refused with `git_in_progress` (never `io`); the next `jit sync` recovers (the rebase or
/// merge aborted, stale git locks removed), succeeds, and the user's change is back;
/// `validate` is clean and no issue file is missing; both clones end identical.
#[test]
fn kill_9_during_sync_is_recovered_by_the_next_sync() {
    let net = Net::new();
    let ids: Vec<String> = (0..3)
        .map(|k| {
            net.a.ok(&["issue", "create", "--title", &format!("t{k}")])["short_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    std::fs::write(net.a.dir.join("notes.txt"), "committed\n").unwrap();
    git(&net.a.dir, &["add", "notes.txt"]);
    git(&net.a.dir, &["commit", "-qm", "notes"]);
    net.a.sync();
    net.b.sync();
    // How long one sync with a rebase takes here.
    net.b
        .ok(&["issue", "update", &ids[0], "--priority", "high"]);
    net.b.sync();
    net.a.ok(&["issue", "update", &ids[1], "--priority", "low"]);
    let t = std::time::Instant::now();
    net.a.sync();
    let full = t.elapsed().as_millis() as u64;
    let mut seed = 0x5EED_5EC5_u64;
    let (mut mid_git, mut killed, mut recovered) = (0, 0, 0);
    for trial in 0..14 {
        // Incoming changes from b, local ones on a, and the user's uncommitted edit.
        let title = format!("from b {trial}");
        net.b.ok(&["issue", "create", "--title", &title]);
        net.b.ok(&[
            "issue",
            "update",
            &ids[trial % 3],
            "--context",
            &format!("b{trial}=1"),
        ]);
        net.b.sync();
        net.a.ok(&[
            "issue",
            "update",
            &ids[(trial + 1) % 3],
            "--context",
            &format!("a{trial}=1"),
        ]);
        let mine = format!("uncommitted {trial}\n");
        std::fs::write(net.a.dir.join("notes.txt"), &mine).unwrap();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let ms = if trial % 3 == 0 {
            None
        } else {
            Some((seed >> 33) % (full + 1))
        };
        if kill_sync(&net.a, ms) {
            killed += 1;
        }
        let left_mid_git = ["rebase-merge", "rebase-apply", "MERGE_HEAD"]
            .iter()
            .any(|f| net.a.dir.join(".git").join(f).exists());
        if left_mid_git {
            mid_git += 1;
            let (v, c) = net
                .a
                .json_at(&["issue", "update", &ids[2], "--title", "x"], None);
            assert_eq!(
                (c, v["error"]["code"].as_str()),
                (4, Some("git_in_progress")),
                "{v:#}"
            );
            assert_eq!(v["error"]["details"]["interrupted_sync"], true, "{v:#}");
            let (v, c) = net.a.json_at(&["validate"], None);
            assert_eq!(c, 8, "validate must not say ok mid-rebase: {v:#}");
        } else {
            // Writing into a clean checkout works; it is synced below.
            let (v, c) = net.a.json_at(
                &[
                    "issue",
                    "update",
                    &ids[2],
                    "--context",
                    &format!("w{trial}=1"),
                ],
                None,
            );
            assert_eq!(c, 0, "trial {trial}: {v:#}");
        }
        let (v, c) = net.a.json_at(&["sync"], None);
        assert_eq!(
            c, 0,
            "trial {trial} (kill after {ms:?} ms): the next sync failed: {v:#}"
        );
        if !v["recovered"].is_null() {
            recovered += 1;
        }
        assert_eq!(
            std::fs::read_to_string(net.a.dir.join("notes.txt")).unwrap(),
            mine,
            "trial {trial}: the user's uncommitted change was not restored"
        );
        net.a.validate_ok();
        let list = net.a.ok(&["issue", "list", "--limit", "1000"]);
        assert_eq!(list["total"], 3 + trial + 1, "trial {trial}: {list:#}");
        for id in &ids {
            net.a.show(id);
        }
    }
    net.b.sync();
    net.a.sync();
    for id in &ids {
        assert_eq!(net.a.file(id), net.b.file(id));
    }
    net.b.validate_ok();
    eprintln!(
        "kill -9 during sync: {killed} killed mid-sync, {mid_git} left mid-rebase or mid-merge, {recovered} recovered by the next sync"
    );
}

/// A ref lock a killed push left in a remote on this machine (receive-pack killed mid-update)
/// is removed once it is old enough that no running git can hold it, and the push goes through;
/// a lock elsewhere in the filesystem is never touched.
#[test]
fn a_ref_lock_a_killed_push_left_in_a_local_remote_is_cleared() {
    let net = Net::new();
    let remote = net.tmp.path().join("remote.git");
    let lock = remote.join("refs/heads/main.lock");
    // Killed while updating the branch `HEAD` names, a push leaves `HEAD`'s lock too.
    let head_lock = remote.join("HEAD.lock");
    let elsewhere = net.tmp.path().join("unrelated.lock");
    for (path, ago) in [
        (&lock, "10 seconds ago"),
        (&head_lock, "10 seconds ago"),
        (&elsewhere, "10 seconds ago"),
    ] {
        std::fs::write(path, "0000000000000000000000000000000000000000\n").unwrap();
        let st = std::process::Command::new("touch")
            .args(["-d", ago])
            .arg(path)
            .status()
            .unwrap();
        assert!(st.success());
    }
    net.a
        .ok(&["issue", "create", "--title", "after a killed push"]);
    let v = net.a.sync();
    assert_eq!(v["outgoing"]["pushed"], true, "{v:#}");
    assert!(!lock.exists(), "the stale ref lock was removed");
    assert!(!head_lock.exists(), "and HEAD's");
    assert!(elsewhere.exists(), "nothing outside the remote is touched");

    // A fresh lock is waited for until it is old enough, then removed: the sync still lands.
    std::fs::write(&lock, "0000000000000000000000000000000000000000\n").unwrap();
    net.a
        .ok(&["issue", "create", "--title", "after a fresh lock"]);
    let v = net.a.sync();
    assert_eq!(v["outgoing"]["pushed"], true, "{v:#}");
    assert!(!lock.exists());
    let got = net.b.sync();
    assert_eq!(
        got["incoming"]["issues"].as_array().unwrap().len(),
        2,
        "{got:#}"
    );
}
