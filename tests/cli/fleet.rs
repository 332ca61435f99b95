//! Fleets beyond one checkout: agents in separate worktrees of one repository (one shared claim
//! ledger), and agents in separate clones of one git remote (claims published as refs).

use crate::common::{Repo, code, git, jit_cmd, parse_one_object};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Arc, Mutex};

fn run(dir: &Path, args: &[&str], actor: &str) -> Output {
    jit_cmd(dir)
        .args(args)
        .arg("--json")
        .env("JIT_ACTOR", actor)
        .output()
        .expect("jit runs")
}

fn ok(dir: &Path, args: &[&str], actor: &str) -> Value {
    let out = run(dir, args, actor);
    let v = parse_one_object(&out);
    assert_eq!(code(&out), 0, "jit {args:?} in {}: {v:#}", dir.display());
    v
}

/// A repository with `.jit/` committed and `n` linked worktrees beside it.
struct Worktrees {
    _repo: Repo,
    trees: Vec<PathBuf>,
    _dir: tempfile::TempDir,
}

impl Worktrees {
    fn new(n: usize, setup: impl FnOnce(&Repo)) -> Self {
        let repo = Repo::new();
        setup(&repo);
        git(repo.path(), &["add", "-A"]);
        git(repo.path(), &["commit", "-qm", "issues"]);
        let dir = tempfile::tempdir().expect("temp dir");
        let mut trees = vec![repo.path().to_path_buf()];
        for k in 0..n {
            let p = dir.path().join(format!("wt{k}"));
            let branch = format!("wt{k}");
            git(
                repo.path(),
                &["worktree", "add", "-q", "-b", &branch, p.to_str().unwrap()],
            );
            trees.push(p);
        }
        Worktrees {
            _repo: repo,
            trees,
            _dir: dir,
        }
    }
}

#[test]
fn a_claim_in_one_worktree_is_seen_at_once_in_every_other() {
    let mut first = String::new();
    let mut second = String::new();
    let wt = Worktrees::new(1, |r| {
        first = r.create("First", &[]);
        second = r.create("Second", &["--dep", &first]);
    });
    let (main, other) = (&wt.trees[0], &wt.trees[1]);
    ok(other, &["issue", "claim", &first], "agent:one");

    // The main checkout sees the claim without any merge.
    let shown = ok(main, &["issue", "show", &first], "agent:two");
    assert_eq!(shown["assignee"], "agent:one", "{shown:#}");
    assert_eq!(shown["state"], "in_progress");
    assert_eq!(shown["claim"]["epoch"], 1);
    let ready = ok(main, &["query", "ready"], "agent:two");
    assert_eq!(ready["total"], 0, "{ready:#}");
    let out = run(main, &["issue", "claim", &first], "agent:two");
    assert_eq!(code(&out), 5, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(parse_one_object(&out)["error"]["code"], "already_claimed");
    let out = run(main, &["issue", "claim-next"], "agent:two");
    assert_eq!(code(&out), 7, "{}", String::from_utf8_lossy(&out.stdout));

    // The holder renews from the other checkout; exports agree.
    ok(main, &["issue", "heartbeat", &first], "agent:one");
    let exported = ok(main, &["export", "--format", "json"], "agent:two");
    let row = exported["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == shown["id"])
        .cloned()
        .unwrap();
    assert_eq!(row["assignee"], "agent:one", "{row:#}");

    // Finishing in one worktree finishes it everywhere and readies its dependent.
    ok(
        other,
        &["issue", "update", &first, "--state", "done"],
        "agent:one",
    );
    let shown = ok(main, &["issue", "show", &first], "agent:two");
    assert_eq!(shown["state"], "done");
    assert_eq!(
        shown["assignee"], "agent:one",
        "who did the work stays on record"
    );
    assert_eq!(shown["lease"], Value::Null, "finishing ends the lease");
    let out = run(main, &["issue", "claim", &first], "agent:two");
    assert_eq!(code(&out), 2, "{}", String::from_utf8_lossy(&out.stdout));
    let ready = ok(main, &["query", "ready"], "agent:two");
    assert_eq!(ready["issues"][0]["short_id"], second.as_str(), "{ready:#}");
    let claimed = ok(main, &["issue", "claim-next"], "agent:two");
    assert_eq!(claimed["short_id"], second.as_str());
    assert_eq!(claimed["blocked"], false);
    ok(main, &["validate"], "agent:two");
    ok(other, &["validate"], "agent:two");
}

/// Backdates a checkout's issue files and issues directory, as a checkout's are: the summary
/// index then trusts its records and vouches for the directory's names.
fn age_checkout(dir: &Path) {
    let st = std::process::Command::new("sh")
        .arg("-c")
        .arg("touch -d '1 hour ago' .jit/issues/*.json .jit/issues")
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(st.success());
}

/// A claim made in another worktree is recorded in the shared ledger only; this checkout's file
/// and its summary index still say the issue is free. Every page answered from the index
/// (lean and full lists, filters, `query ready` with a limit, `claim-next`) follows the ledger.
#[test]
fn pages_from_the_summary_index_follow_a_claim_made_in_another_worktree() {
    let mut ids = Vec::new();
    let wt = Worktrees::new(1, |r| {
        ids.push(r.create("Urgent", &["--priority", "critical"]));
        ids.push(r.create("Next", &["--priority", "high"]));
        ids.push(r.create("Later", &[]));
    });
    let (main, other) = (&wt.trees[0], &wt.trees[1]);
    for dir in [main, other] {
        age_checkout(dir);
        // Twice: the first writes the index, the second finds it trusted and vouching.
        ok(dir, &["issue", "list"], "agent:x");
        ok(dir, &["issue", "list"], "agent:x");
    }
    let urgent = ids[0].as_str();
    let file = main.join(".jit/issues").join(format!(
        "{}.json",
        ok(main, &["issue", "show", urgent], "agent:x")["id"]
            .as_str()
            .unwrap()
    ));
    let before = std::fs::read(&file).unwrap();
    ok(other, &["issue", "claim", urgent], "agent:one");
    assert_eq!(
        std::fs::read(&file).unwrap(),
        before,
        "the main checkout's file is untouched: only the ledger knows the claim"
    );

    let short = |v: &Value| -> Vec<String> {
        v["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["short_id"].as_str().unwrap().to_string())
            .collect()
    };
    let ready = ok(main, &["query", "ready"], "agent:two");
    assert_eq!(ready["shape"], "lean/1");
    assert_eq!(
        short(&ready),
        [ids[1].as_str(), ids[2].as_str()],
        "{ready:#}"
    );
    assert_eq!(ready["total"], 2);
    let first = ok(main, &["query", "ready", "--limit", "1"], "agent:two");
    assert_eq!(short(&first), [ids[1].as_str()], "{first:#}");
    assert_eq!(first["total"], 2);
    let full = ok(main, &["query", "ready", "--full"], "agent:two");
    assert_eq!(short(&full), [ids[1].as_str(), ids[2].as_str()], "{full:#}");

    let listed = ok(main, &["issue", "list", "--limit", "20"], "agent:two");
    let row = listed["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["short_id"] == urgent)
        .cloned()
        .unwrap();
    assert_eq!(row["state"], "in_progress", "{row:#}");
    assert_eq!(row["assignee"], "agent:one", "{row:#}");
    let mine = ok(
        main,
        &[
            "issue",
            "list",
            "--filter",
            "assignee:agent:one state:in_progress",
        ],
        "agent:two",
    );
    assert_eq!(short(&mine), [urgent], "{mine:#}");
    let held = ok(main, &["query", "assignee", "agent:one"], "agent:two");
    assert_eq!(short(&held), [urgent], "{held:#}");
    let fields = ok(
        main,
        &[
            "query",
            "state",
            "in_progress",
            "--fields",
            "id,assignee,lease",
        ],
        "agent:two",
    );
    assert_eq!(fields["issues"][0]["assignee"], "agent:one", "{fields:#}");
    assert_eq!(fields["issues"][0]["lease"]["holder"], "agent:one");

    // claim-next passes over the issue held elsewhere and takes the next one.
    let claimed = ok(main, &["issue", "claim-next"], "agent:two");
    assert_eq!(claimed["short_id"], ids[1].as_str(), "{claimed:#}");
    let out = run(main, &["issue", "claim", urgent], "agent:two");
    assert_eq!(code(&out), 5, "{}", String::from_utf8_lossy(&out.stdout));
    // ...and the other worktree sees that claim in its pages as well.
    let there = ok(other, &["query", "ready"], "agent:one");
    assert_eq!(short(&there), [ids[2].as_str()], "{there:#}");
}

/// Eight agents, two in each of a checkout and three worktrees, drain a 40-issue DAG with
/// claim-next and done, no merges between them: each issue is claimed once, after its
/// dependencies were done, and every checkout sees all of it done.
#[test]
fn eight_agents_in_four_worktrees_claim_each_issue_once() {
    let mut titles = Vec::new();
    let wt = Worktrees::new(3, |r| {
        let mut ids: Vec<String> = Vec::new();
        for k in 0..40 {
            let mut extra = Vec::new();
            if k >= 5 {
                extra.push("--dep".to_string());
                extra.push(ids[(k * 7) % (k - 1).max(1)].clone());
            }
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            ids.push(r.create(&format!("Task {k}"), &extra));
        }
        titles = ids;
    });
    let claims: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let dir = wt.trees[w % 4].clone();
            let claims = claims.clone();
            std::thread::spawn(move || {
                let actor = format!("agent:w{w}");
                let mut idle = 0;
                loop {
                    let out = run(&dir, &["issue", "claim-next", "--ttl", "1h"], &actor);
                    match code(&out) {
                        0 => {
                            idle = 0;
                            let v = parse_one_object(&out);
                            assert_eq!(v["blocked"], false, "claimed blocked work: {v:#}");
                            let id = v["short_id"].as_str().unwrap().to_string();
                            claims.lock().unwrap().push((id.clone(), actor.clone()));
                            ok(&dir, &["issue", "update", &id, "--state", "done"], &actor);
                        }
                        7 => {
                            let done = ok(&dir, &["query", "state", "done"], &actor);
                            if done["total"] == 40 {
                                break;
                            }
                            idle += 1;
                            assert!(idle < 400, "no progress: {done:#}");
                            std::thread::sleep(std::time::Duration::from_millis(25));
                        }
                        c => panic!(
                            "claim-next exited {c}: {}",
                            String::from_utf8_lossy(&out.stdout)
                        ),
                    }
                }
            })
        })
        .collect();
    for h in workers {
        h.join().expect("agent");
    }
    let claims = claims.lock().unwrap();
    let mut per_issue: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, who) in claims.iter() {
        per_issue.entry(id).or_default().push(who);
    }
    let twice: BTreeMap<_, _> = per_issue.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(twice.is_empty(), "worked twice: {twice:?}");
    assert_eq!(per_issue.len(), 40);
    for t in &wt.trees {
        let done = ok(t, &["query", "state", "done"], "agent:check");
        assert_eq!(done["total"], 40, "in {}", t.display());
        ok(t, &["validate"], "agent:check");
    }
    assert_eq!(titles.len(), 40);
}

/// A bare remote and clones of it. The first clone ran `jit init`, made the issues `setup`
/// makes and pushed; the others cloned it afterwards.
struct Clones {
    root: tempfile::TempDir,
    clones: Vec<PathBuf>,
}

impl Clones {
    fn new(n: usize, setup: impl FnOnce(&Path)) -> Self {
        let root = tempfile::Builder::new()
            .prefix("jit-fleet-")
            .tempdir()
            .expect("temp dir");
        let r = root.path();
        git(r, &["init", "-q", "--bare", "-b", "main", "remote.git"]);
        let first = r.join("c0");
        git(r, &["clone", "-q", "remote.git", "c0"]);
        identity(&first, "c0");
        git(&first, &["checkout", "-q", "-b", "main"]);
        ok(&first, &["init"], "human:setup");
        setup(&first);
        git(&first, &["add", "-A"]);
        git(&first, &["commit", "-qm", "issues"]);
        git(&first, &["push", "-q", "origin", "main"]);
        let mut clones = vec![first];
        for k in 1..n {
            let name = format!("c{k}");
            git(r, &["clone", "-q", "remote.git", &name]);
            let dir = r.join(&name);
            identity(&dir, &name);
            clones.push(dir);
        }
        Clones { root, clones }
    }

    fn remote(&self) -> PathBuf {
        self.root.path().join("remote.git")
    }

    /// The claim refs on the remote: ref name -> commit.
    fn claim_refs(&self) -> BTreeMap<String, String> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(self.remote())
            .args([
                "for-each-ref",
                "--format=%(refname) %(objectname)",
                "refs/jit/claims/",
            ])
            .output()
            .expect("git runs");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once(' '))
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// The claim record the remote holds for an issue (by full id).
    fn record(&self, full_id: &str) -> Option<Value> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(self.remote())
            .args([
                "log",
                "-1",
                "--format=%B",
                &format!("refs/jit/claims/{full_id}"),
            ])
            .output()
            .expect("git runs");
        if !out.status.success() {
            return None;
        }
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let body = text.split_once("\n\n")?.1;
        serde_json::from_str(body.trim()).ok()
    }
}

fn identity(dir: &Path, name: &str) {
    git(dir, &["config", "user.name", name]);
    git(
        dir,
        &["config", "user.email", &format!("{name}@example.com")],
    );
}

fn create(dir: &Path, title: &str, extra: &[&str]) -> String {
    let mut args = vec!["issue", "create", "--title", title];
    args.extend_from_slice(extra);
    ok(dir, &args, "human:setup")["short_id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn run_at(dir: &Path, args: &[&str], actor: &str, now: &str) -> Output {
    jit_cmd(dir)
        .args(args)
        .arg("--json")
        .env("JIT_ACTOR", actor)
        .env("JIT_NOW", now)
        .output()
        .expect("jit runs")
}

fn err_code(out: &Output) -> (i32, String) {
    let v = parse_one_object(out);
    (
        code(out),
        v["error"]["code"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn a_remote_claim_has_exactly_one_winner_at_once() {
    let mut ids = Vec::new();
    let net = Clones::new(2, |d| {
        ids.push(create(d, "First", &["--priority", "high"]));
        ids.push(create(d, "Second", &[]));
    });
    let (a, b) = (&net.clones[0], &net.clones[1]);
    let won = ok(
        a,
        &["issue", "claim", &ids[0], "--remote", "origin"],
        "agent:a",
    );
    assert_eq!(
        won["claim"],
        serde_json::json!({"epoch": 1, "remote": "origin"})
    );
    let full = won["id"].as_str().unwrap().to_string();
    let rec = net.record(&full).expect("the claim is on the remote");
    assert_eq!(
        (rec["holder"].clone(), rec["epoch"].clone()),
        ("agent:a".into(), 1.into())
    );

    // The other clone has not fetched or pulled anything, and is refused at once.
    let out = run(
        b,
        &["issue", "claim", &ids[0], "--remote", "origin"],
        "agent:b",
    );
    assert_eq!(err_code(&out), (5, "already_claimed".into()));
    assert_eq!(
        parse_one_object(&out)["error"]["details"]["holder"],
        "agent:a"
    );
    // claim-next there takes the next issue instead.
    let next = ok(b, &["issue", "claim-next", "--remote", "origin"], "agent:b");
    assert_eq!(next["short_id"], ids[1].as_str());
    assert_eq!(net.claim_refs().len(), 2);
    // What the remote holds is seen in every view of the other clone.
    let shown = ok(b, &["issue", "show", &ids[0]], "agent:b");
    assert_eq!(shown["assignee"], "agent:a");
    assert_eq!(ok(b, &["query", "ready"], "agent:b")["total"], 0);
    ok(a, &["validate"], "agent:a");
    ok(b, &["validate"], "agent:b");
}

#[test]
fn an_issue_finished_in_another_clone_cannot_be_claimed_again() {
    let mut id = String::new();
    let mut dependent = String::new();
    let net = Clones::new(2, |d| {
        id = create(d, "Finish me", &[]);
        dependent = create(d, "After it", &["--dep", &id]);
    });
    let (a, b) = (&net.clones[0], &net.clones[1]);
    ok(a, &["issue", "claim", &id, "--remote", "origin"], "agent:a");
    ok(
        a,
        &[
            "issue", "update", &id, "--state", "done", "--remote", "origin",
        ],
        "agent:a",
    );
    // `b` never pulled: the remote still says the issue is done.
    let out = run(b, &["issue", "claim", &id, "--remote", "origin"], "agent:b");
    assert_eq!(err_code(&out), (2, "invalid_transition".into()));
    // claim-next in `b` skips it and, knowing it is done, takes its dependent.
    let next = ok(b, &["issue", "claim-next", "--remote", "origin"], "agent:b");
    assert_eq!(next["short_id"], dependent.as_str(), "{next:#}");
    assert_eq!(next["blocked"], false);
}

#[test]
fn an_expired_remote_claim_is_taken_over_and_the_old_holder_is_fenced() {
    let mut id = String::new();
    let net = Clones::new(3, |d| {
        id = create(d, "Abandoned", &[]);
    });
    let (a, b, c) = (&net.clones[0], &net.clones[1], &net.clones[2]);
    let t0 = "2030-01-01T00:00:00Z";
    let later = "2030-01-01T01:00:00Z";
    let out = run_at(
        a,
        &["issue", "claim", &id, "--remote", "origin", "--ttl", "10m"],
        "agent:a",
        t0,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    // Before expiry nobody else gets it.
    let out = run_at(
        b,
        &["issue", "claim-next", "--remote", "origin"],
        "agent:b",
        t0,
    );
    assert_eq!(err_code(&out), (7, "no_ready_work".into()));
    // An hour later `b` takes it over, by compare-and-swap on `a`'s record.
    let out = run_at(
        b,
        &["issue", "claim-next", "--remote", "origin", "--full"],
        "agent:b",
        later,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let taken = parse_one_object(&out);
    assert_eq!(taken["short_id"], id.as_str());
    assert_eq!(taken["claim"]["epoch"], 2);
    let full = taken["id"].as_str().unwrap().to_string();
    assert_eq!(net.record(&full).unwrap()["holder"], "agent:b");
    let events = std::fs::read_to_string(b.join(".jit/events.jsonl")).unwrap();
    assert!(events.contains("\"lease.expired\""), "{events}");

    // `a` comes back: its late done cannot reach the remote, and it is told who holds it.
    let out = run_at(
        a,
        &[
            "issue", "update", &id, "--state", "done", "--remote", "origin",
        ],
        "agent:a",
        later,
    );
    assert_eq!(err_code(&out), (5, "claim_superseded".into()));
    let details = &parse_one_object(&out)["error"]["details"];
    assert_eq!(
        (details["holder"].clone(), details["epoch"].clone()),
        ("agent:b".into(), 2.into())
    );
    // Nor a comment, a heartbeat, or a gate: every change under the old claim is refused.
    let out = run_at(
        a,
        &["issue", "comment", &id, "--body", "late"],
        "agent:a",
        later,
    );
    assert_eq!(err_code(&out), (5, "claim_superseded".into()));
    let out = run_at(
        a,
        &["issue", "heartbeat", &id, "--remote", "origin"],
        "agent:a",
        later,
    );
    assert_eq!(err_code(&out), (5, "claim_superseded".into()));
    assert_eq!(net.record(&full).unwrap()["holder"], "agent:b");

    // A third clone that only knows the old claim, finishing it locally (no --remote), gets
    // nothing onto the remote branch: its sync takes the change back and says so.
    let out = run_at(
        c,
        &["issue", "claim", &id, "--no-remote", "--actor", "agent:a"],
        "agent:a",
        t0,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let out = run_at(
        c,
        &["issue", "update", &id, "--state", "done"],
        "agent:a",
        later,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    let out = run_at(c, &["sync"], "agent:a", later);
    assert_eq!(err_code(&out), (4, "claim_lost".into()));
    let lost = &parse_one_object(&out)["error"]["details"]["lost"][0];
    assert_eq!(
        (lost["holder"].clone(), lost["reason"].clone()),
        ("agent:b".into(), "superseded".into())
    );
    let pushed = git_show(&net.remote(), &format!("main:.jit/issues/{full}.json"));
    assert!(
        !pushed.contains("\"done\""),
        "the stale done was published: {pushed}"
    );
    let mine = ok(c, &["issue", "show", &id], "agent:a");
    assert_eq!(
        (mine["state"].clone(), mine["assignee"].clone()),
        ("in_progress".into(), "agent:b".into())
    );

    // The new holder finishes; everyone ends up agreeing.
    let out = run_at(
        b,
        &[
            "issue", "update", &id, "--state", "done", "--remote", "origin",
        ],
        "agent:b",
        later,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    for d in [b, a, c, b] {
        let out = run_at(d, &["sync"], "agent:sync", later);
        assert!(
            matches!(code(&out), 0 | 4),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    for d in [a, b, c] {
        let shown = ok(d, &["issue", "show", &id], "agent:check");
        assert_eq!(shown["state"], "done", "in {}", d.display());
        ok(d, &["validate"], "agent:check");
    }
}

fn git_show(dir: &Path, what: &str) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["show", what])
        .output()
        .expect("git runs");
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[test]
fn an_unreachable_or_refusing_remote_changes_nothing_here() {
    let mut id = String::new();
    let net = Clones::new(1, |d| {
        id = create(d, "Somewhere", &[]);
    });
    let a = &net.clones[0];
    let before = std::fs::read_dir(a.join(".jit/issues"))
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect::<Vec<_>>();
    let events = std::fs::read(a.join(".jit/events.jsonl")).unwrap();
    let unchanged = || {
        let now = std::fs::read_dir(a.join(".jit/issues"))
            .unwrap()
            .map(|e| std::fs::read(e.unwrap().path()).unwrap())
            .collect::<Vec<_>>();
        assert_eq!(now, before, "an issue file changed");
        assert_eq!(std::fs::read(a.join(".jit/events.jsonl")).unwrap(), events);
    };

    git(a, &["remote", "add", "gone", "/nonexistent/remote.git"]);
    let out = run(a, &["issue", "claim", &id, "--remote", "gone"], "agent:a");
    assert_eq!(err_code(&out), (9, "remote_unavailable".into()));
    let out = run(a, &["issue", "claim-next", "--remote", "gone"], "agent:a");
    assert_eq!(err_code(&out), (9, "remote_unavailable".into()));
    unchanged();

    let out = run(a, &["issue", "claim", &id, "--remote", "nosuch"], "agent:a");
    assert_eq!(err_code(&out), (2, "no_remote".into()));
    unchanged();

    // A remote whose hook refuses jit's refs.
    let hook = net.remote().join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nwhile read old new ref; do case \"$ref\" in refs/jit/*) echo \"refs/jit is not allowed here\" >&2; exit 1;; esac; done\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let out = run(a, &["issue", "claim", &id, "--remote", "origin"], "agent:a");
    assert_eq!(err_code(&out), (2, "remote_refused".into()));
    let msg = parse_one_object(&out)["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("refs/jit/claims"), "{msg}");
    unchanged();
    assert!(net.claim_refs().is_empty());
}

#[test]
fn the_config_makes_remote_claims_the_default() {
    let mut ids = Vec::new();
    let net = Clones::new(2, |d| {
        ids.push(create(d, "One", &[]));
        ids.push(create(d, "Two", &[]));
        let path = d.join(".jit/config.json");
        let mut cfg: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        cfg["claims"] = serde_json::json!({ "remote": "origin" });
        std::fs::write(&path, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    });
    let (a, b) = (&net.clones[0], &net.clones[1]);
    let v = ok(a, &["issue", "claim", &ids[0]], "agent:a");
    assert_eq!(v["claim"]["remote"], "origin");
    let out = run(b, &["issue", "claim", &ids[0]], "agent:b");
    assert_eq!(err_code(&out), (5, "already_claimed".into()));
    // --no-remote keeps a claim local.
    let v = ok(a, &["issue", "claim", &ids[1], "--no-remote"], "agent:a");
    assert_eq!(v["claim"], serde_json::json!({"epoch": 1}));
    assert_eq!(net.claim_refs().len(), 1);
}

impl Clones {
    /// Every record an issue's claim ref has held on the remote, oldest first.
    fn history(&self, full_id: &str) -> Vec<Value> {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(self.remote())
            .args([
                "log",
                "--reverse",
                "--format=%B%x00",
                &format!("refs/jit/claims/{full_id}"),
            ])
            .output()
            .expect("git runs");
        String::from_utf8_lossy(&out.stdout)
            .split('\0')
            .filter_map(|m| m.split_once("\n\n").map(|(_, b)| b.trim().to_string()))
            .filter(|b| !b.is_empty())
            .map(|b| serde_json::from_str(&b).expect("a claim record"))
            .collect()
    }
}

/// Eight agents, two on each of four clones of one bare remote, drain a 40-issue DAG:
/// claim-next --remote, done --remote, sync. No issue is worked by two agents, none is left
/// undone, none is started before its dependencies are done, and afterwards every clone holds
/// the same issues and validates.
#[test]
fn eight_agents_on_four_clones_drain_a_dag_without_double_work() {
    let mut ids: Vec<String> = Vec::new();
    let mut deps: Vec<Vec<usize>> = Vec::new();
    let net = Clones::new(4, |d| {
        for k in 0..40usize {
            let mine: Vec<usize> = if k >= 4 {
                vec![(k * 7) % (k - 1), k / 2]
            } else {
                vec![]
            };
            let mut mine = mine;
            mine.sort_unstable();
            mine.dedup();
            let mut extra = Vec::new();
            for &p in &mine {
                extra.push("--dep".to_string());
                extra.push(ids[p].clone());
            }
            let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
            ids.push(create(d, &format!("Task {k}"), &extra));
            deps.push(mine);
        }
    });
    let remote = net.remote();
    let done_on_remote = move || {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(&remote)
            .args(["for-each-ref", "--format=%(contents)", "refs/jit/claims/"])
            .output()
            .expect("git runs");
        String::from_utf8_lossy(&out.stdout)
            .matches("\"state\":\"done\"")
            .count()
    };
    let claims: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let failed_syncs: Arc<Mutex<Vec<String>>> = Arc::default();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let dir = net.clones[w % 4].clone();
            let claims = claims.clone();
            let failed_syncs = failed_syncs.clone();
            let done_on_remote = done_on_remote.clone();
            std::thread::spawn(move || {
                let actor = format!("agent:w{w}");
                let mut idle = 0;
                loop {
                    let out = run(
                        &dir,
                        &["issue", "claim-next", "--remote", "origin", "--ttl", "1h"],
                        &actor,
                    );
                    match code(&out) {
                        0 => {
                            idle = 0;
                            let v = parse_one_object(&out);
                            assert_eq!(v["blocked"], false, "claimed blocked work: {v:#}");
                            let id = v["short_id"].as_str().unwrap().to_string();
                            claims.lock().unwrap().push((id.clone(), actor.clone()));
                            ok(
                                &dir,
                                &[
                                    "issue", "update", &id, "--state", "done", "--remote", "origin",
                                ],
                                &actor,
                            );
                        }
                        7 => {
                            if done_on_remote() == 40 {
                                break;
                            }
                            idle += 1;
                            assert!(idle < 600, "no progress");
                            std::thread::sleep(std::time::Duration::from_millis(20));
                        }
                        c => panic!(
                            "claim-next exited {c}: {}",
                            String::from_utf8_lossy(&out.stdout)
                        ),
                    }
                    let out = run(&dir, &["sync"], &actor);
                    if code(&out) != 0 {
                        failed_syncs
                            .lock()
                            .unwrap()
                            .push(String::from_utf8_lossy(&out.stdout).to_string());
                    }
                }
            })
        })
        .collect();
    for h in workers {
        h.join().expect("agent");
    }
    let claims = claims.lock().unwrap();
    let mut per_issue: HashMap<&str, Vec<&str>> = HashMap::new();
    for (id, who) in claims.iter() {
        per_issue.entry(id).or_default().push(who);
    }
    let twice: BTreeMap<_, _> = per_issue.iter().filter(|(_, v)| v.len() > 1).collect();
    assert!(twice.is_empty(), "worked twice: {twice:?}");
    assert_eq!(per_issue.len(), 40, "every issue was worked");

    // Settle: each clone syncs until nothing moves.
    for _ in 0..2 {
        for d in &net.clones {
            let out = run(d, &["sync"], "agent:settle");
            assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
        }
    }
    let files = |d: &Path| -> BTreeMap<String, Vec<u8>> {
        std::fs::read_dir(d.join(".jit/issues"))
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap(),
                )
            })
            .collect()
    };
    let first = files(&net.clones[0]);
    assert_eq!(first.len(), 40);
    for d in &net.clones {
        assert_eq!(
            files(d),
            first,
            "{} differs from the first clone",
            d.display()
        );
        let done = ok(d, &["query", "state", "done"], "agent:check");
        assert_eq!(done["total"], 40);
        ok(d, &["validate"], "agent:check");
    }
    // Order: each issue was claimed no earlier than its dependencies were finished, as the
    // remote's claim histories record it.
    let full: Vec<String> = ids
        .iter()
        .map(|s| {
            ok(&net.clones[0], &["issue", "show", s], "agent:check")["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let at = |v: &Value| v["at"].as_str().unwrap().to_string();
    for (k, id) in full.iter().enumerate() {
        let h = net.history(id);
        let claimed = h
            .iter()
            .find(|r| r["state"] == "in_progress")
            .map(at)
            .expect("claimed");
        for &d in &deps[k] {
            let dh = net.history(&full[d]);
            let finished = dh
                .iter()
                .find(|r| r["state"] == "done")
                .map(at)
                .expect("finished");
            assert!(
                claimed >= finished,
                "task {k} claimed at {claimed}, before task {d} was done at {finished}"
            );
        }
    }
    let failed = failed_syncs.lock().unwrap();
    eprintln!("{} sync(s) failed during the drain", failed.len());
    for f in failed.iter().take(3) {
        eprintln!("{f}");
    }
}

/// Starts jit in a process group of its own (as an agent's sandbox runs it) and, after `ms`,
/// kills the whole group with SIGKILL: jit and the git it was running die together.
fn kill_group_after(mut cmd: std::process::Command, ms: u64) {
    use std::os::unix::process::CommandExt;
    let mut child = cmd
        .process_group(0)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("jit starts");
    std::thread::sleep(std::time::Duration::from_millis(ms));
    if let Some(pg) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pg, rustix::process::Signal::KILL);
    }
    let _ = child.wait();
}

/// What a git server does after a crash: a remote on this machine is served by a
/// `git-receive-pack` that the group kill took down too, possibly holding a ref lock. A real
/// server recovers its own locks; here the test does it for the bare repository.
fn recover_remote(remote: &Path) {
    fn walk(d: &Path) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p);
            } else if p.extension().is_some_and(|x| x == "lock") {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
    walk(&remote.join("refs"));
    let _ = std::fs::remove_file(remote.join("packed-refs.lock"));
}

/// kill -9 of the whole process group at any point of a remote claim or heartbeat leaves either
/// no claim or a whole one: the remote's record and every view agree, the holder can carry on,
/// and validate passes.
#[test]
fn kill_9_during_remote_claims_and_heartbeats_leaves_no_claim_or_a_whole_one() {
    let mut ids = Vec::new();
    let net = Clones::new(2, |d| {
        for k in 0..16 {
            ids.push(create(d, &format!("Task {k}"), &[]));
        }
    });
    let (a, b) = (&net.clones[0], &net.clones[1]);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next_delay = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) % 70
    };
    let (mut whole, mut none) = (0, 0);
    for (k, id) in ids.iter().enumerate().take(12) {
        let actor = format!("agent:k{k}");
        let mut cmd = jit_cmd(a);
        cmd.args(["issue", "claim", id, "--remote", "origin", "--json"])
            .env("JIT_ACTOR", &actor);
        kill_group_after(cmd, next_delay());
        let full = ok(a, &["issue", "show", id], "agent:check")["id"]
            .as_str()
            .unwrap()
            .to_string();
        match net.record(&full) {
            Some(rec) => {
                whole += 1;
                assert_eq!(rec["holder"], actor.as_str());
                // Another clone is refused; the holder carries on under the same epoch.
                let out = run(
                    b,
                    &["issue", "claim", id, "--remote", "origin"],
                    "agent:other",
                );
                assert_eq!(err_code(&out), (5, "already_claimed".into()));
                let again = ok(a, &["issue", "claim", id, "--remote", "origin"], &actor);
                assert_eq!(again["claim"]["epoch"], rec["epoch"]);
                assert_eq!(again["assignee"], actor.as_str());
            }
            None => {
                none += 1;
                let shown = ok(a, &["issue", "show", id], "agent:check");
                assert_eq!(
                    shown["assignee"],
                    Value::Null,
                    "a claim that is not on the remote: {shown:#}"
                );
                let got = ok(
                    b,
                    &["issue", "claim", id, "--remote", "origin"],
                    "agent:other",
                );
                assert_eq!(got["assignee"], "agent:other");
            }
        }
        ok(a, &["validate"], "agent:check");
        ok(b, &["validate"], "agent:check");
    }
    eprintln!("killed claims: {whole} whole, {none} never made");

    // Heartbeats killed at random: the lease is the old one or the renewed one, never broken.
    let id = &ids[15];
    ok(
        a,
        &["issue", "claim", id, "--remote", "origin", "--ttl", "1h"],
        "agent:h",
    );
    for _ in 0..8 {
        let mut cmd = jit_cmd(a);
        cmd.args(["issue", "heartbeat", id, "--remote", "origin", "--json"])
            .env("JIT_ACTOR", "agent:h");
        kill_group_after(cmd, next_delay());
        recover_remote(&net.remote());
        let out = run(
            b,
            &["issue", "claim", id, "--remote", "origin"],
            "agent:other",
        );
        assert_eq!(err_code(&out), (5, "already_claimed".into()));
        ok(a, &["validate"], "agent:check");
    }
    let beat = ok(
        a,
        &["issue", "heartbeat", id, "--remote", "origin"],
        "agent:h",
    );
    assert_eq!(beat["claim"]["epoch"], 1);
    let full = beat["id"].as_str().unwrap().to_string();
    assert_eq!(net.record(&full).unwrap()["holder"], "agent:h");
}

/// `validate` reports where the shared claim ledger and a worktree's files disagree, and
/// `--fix` brings them together; an unreadable ledger is set aside and rebuilt from the files.
#[test]
fn validate_reports_and_fixes_a_ledger_that_disagrees_with_the_files() {
    let mut id = String::new();
    let wt = Worktrees::new(1, |r| {
        id = r.create("Shared", &[]);
    });
    let (main, other) = (&wt.trees[0], &wt.trees[1]);
    ok(other, &["issue", "claim", &id], "agent:one");
    let v = ok(main, &["validate"], "agent:check");
    let codes: Vec<&str> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["ledger_ahead"], "{v:#}");
    let fixed = ok(main, &["validate", "--fix"], "agent:check");
    assert_eq!(fixed["fixed"], 1, "{fixed:#}");
    let file: Value = {
        let full = ok(main, &["issue", "show", &id], "agent:check")["id"]
            .as_str()
            .unwrap()
            .to_string();
        serde_json::from_slice(
            &std::fs::read(main.join(format!(".jit/issues/{full}.json"))).unwrap(),
        )
        .unwrap()
    };
    assert_eq!(
        file["assignee"], "agent:one",
        "the file caught up: {file:#}"
    );
    let v = ok(main, &["validate"], "agent:check");
    assert_eq!(v["problems"].as_array().unwrap().len(), 0, "{v:#}");

    // An unreadable ledger: reads go on from the files (and say so), writes refuse, and
    // validate --fix rebuilds it from the claims the files hold.
    let ledger = main.join(".git/jit/claims.json");
    std::fs::write(&ledger, b"{ not json").unwrap();
    let listed = ok(other, &["issue", "list"], "agent:check");
    assert_eq!(listed["problems"][0]["code"], "corrupt_file", "{listed:#}");
    let out = run(other, &["issue", "release", &id], "agent:one");
    assert_eq!(err_code(&out), (8, "corrupt_file".into()));
    let out = run(other, &["validate"], "agent:check");
    assert_eq!(code(&out), 8);
    assert!(stdout_has(&out, "ledger_corrupt"));
    let fixed = ok(other, &["validate", "--fix"], "agent:check");
    assert_eq!(fixed["ok"], true, "{fixed:#}");
    // The claim the worktree's file holds is in the ledger again: the main checkout's sees it
    // even after its own file is put back to what was committed.
    git(main, &["checkout", "-q", "--", ".jit/issues"]);
    let shown = ok(main, &["issue", "show", &id], "agent:check");
    assert_eq!(shown["assignee"], "agent:one", "{shown:#}");
    let out = run(main, &["issue", "claim", &id], "agent:two");
    assert_eq!(err_code(&out), (5, "already_claimed".into()));
}

fn stdout_has(out: &Output, what: &str) -> bool {
    String::from_utf8_lossy(&out.stdout).contains(what)
}

/// Dispatchers on two clones of one remote, claiming with `remote = "origin"`, never hand one
/// issue to two agents; a query starting with `-` passes through as a filter.
#[test]
fn dispatchers_on_two_clones_never_dispatch_one_issue_twice() {
    let net = Clones::new(2, |d| {
        for k in 0..12 {
            create(d, &format!("Task {k}"), &[]);
        }
        create(d, "Manual step", &["--label", "manual"]);
    });
    let log = net.root.path().join("dispatched.log");
    let agent = net.root.path().join("agent.sh");
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\necho \"$JIT_ACTOR $JIT_ISSUE_ID\" >> '{}'\n",
            log.display()
        ),
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for (k, d) in net.clones.iter().enumerate() {
        std::fs::write(
            d.join("dispatch.toml"),
            format!(
                "[dispatch]\npoll_interval_secs = 1\nremote = \"origin\"\nfilter = \"-label:manual\"\n\n[[agents]]\nid = \"bot{k}\"\ncommand = \"{}\"\nmax_concurrent = 20\n",
                agent.display()
            ),
        )
        .unwrap();
    }
    let dispatch = assert_cmd::cargo::cargo_bin!("jit-dispatch");
    let handles: Vec<_> = net
        .clones
        .iter()
        .map(|d| {
            let d = d.clone();
            std::thread::spawn(move || {
                std::process::Command::new(dispatch)
                    .current_dir(&d)
                    .args(["once", "--config", "dispatch.toml", "--json", "--jit-path"])
                    .arg(crate::common::jit_bin())
                    .output()
                    .expect("jit-dispatch runs")
            })
        })
        .collect();
    for h in handles {
        let out = h.join().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The agents run detached from `once`: wait for their lines.
    let mut lines = Vec::new();
    for _ in 0..200 {
        lines = std::fs::read_to_string(&log)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect();
        if lines.len() >= 12 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    let ids: std::collections::HashSet<&str> =
        lines.iter().filter_map(|l| l.split(' ').nth(1)).collect();
    assert_eq!(lines.len(), 12, "{lines:?}");
    assert_eq!(ids.len(), 12, "an issue was dispatched twice: {lines:?}");
    assert_eq!(
        net.claim_refs().len(),
        12,
        "the manual issue was left alone"
    );
}
