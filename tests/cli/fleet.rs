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
