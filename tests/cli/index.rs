//! The derived caches under `.jit/cache/` change speed, never output: a hand edit or a pull is
//! seen by the next command, and deleting the cache changes nothing.

use crate::common::Repo;
use crate::safety::Rng;
use serde_json::{Value, json};
use std::process::Command;

/// Sets every issue file's mtime to `when` (as `touch -d` reads it).
fn touch_issues(repo: &Repo, when: &str) {
    let st = Command::new("sh")
        .arg("-c")
        .arg(format!("touch -d '{when}' .jit/issues/*.json"))
        .current_dir(repo.path())
        .status()
        .unwrap();
    assert!(st.success());
}

/// Backdates every issue file so the summary index trusts its entries (it re-reads files
/// modified within two seconds of its writing).
fn age_files(repo: &Repo) {
    touch_issues(repo, "1 hour ago");
}

fn ready_ids(v: &Value) -> Vec<String> {
    v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["short_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn ready_from_the_index_equals_ready_from_the_files() {
    let repo = Repo::new();
    repo.ok(&[
        "gate", "define", "pre", "--title", "Pre", "--stage", "precheck",
    ]);
    let a = repo.create("a", &["--priority", "high"]);
    let b = repo.create("b", &["--dep", &a]);
    repo.create("c", &["--gate", "pre"]);
    let d = repo.create("d", &["--priority", "critical"]);
    repo.create("e", &["--parent", &d]);
    let f = repo.create("f", &[]);
    repo.ok(&["link", "add", &f, "--relates", &a]);
    repo.ok(&["issue", "claim", &d, "--actor", "agent:x"]);
    age_files(&repo);
    for _ in 0..2 {
        // First run builds the index, the second uses it.
        let fast = repo.ok(&["query", "ready"]);
        let slow = repo.ok(&["query", "ready", "--filter", "is:open"]);
        assert_eq!(fast, slow, "index and full read disagree");
    }
    assert!(repo.jit_dir().join("cache/summary.v5").is_file());
    let ids = ready_ids(&repo.ok(&["query", "ready"]));
    assert!(
        ids.contains(&a) && !ids.contains(&b) && !ids.contains(&d),
        "{ids:?}"
    );
    // Incoming links survive the index path.
    let a_view = repo.ok(&["query", "ready"])["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["short_id"] == a.as_str())
        .cloned()
        .unwrap();
    assert_eq!(a_view["linked_from"][0]["short_id"], f.as_str());
}

#[test]
fn a_hand_edit_is_seen_through_the_index() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    age_files(&repo);
    repo.ok(&["query", "ready"]);
    repo.ok(&["query", "ready"]);
    // As an editor or `git pull` would: the file changes under jit.
    repo.edit_issue(&a, |v| v["state"] = json!("done"));
    assert_eq!(ready_ids(&repo.ok(&["query", "ready"])), vec![b.clone()]);
    // claim-next reads the same index and sees it too.
    let v = repo.ok(&["issue", "claim-next", "--actor", "agent:x"]);
    assert_eq!(v["short_id"], b.as_str());
    repo.err(
        &["issue", "claim-next", "--actor", "agent:y"],
        "no_ready_work",
        7,
    );
}

#[test]
fn a_corrupt_or_deleted_cache_changes_no_output() {
    let repo = Repo::new();
    for i in 0..5 {
        repo.create(&format!("i{i}"), &[]);
    }
    age_files(&repo);
    let before = repo.ok(&["query", "ready"]);
    repo.ok(&["query", "ready"]);
    std::fs::write(
        repo.jit_dir().join("cache/summary.v5"),
        b"{\"version\":1,\"written_ms\":99999999999999}\n{garbage\n",
    )
    .unwrap();
    assert_eq!(repo.ok(&["query", "ready"]), before);
    std::fs::remove_dir_all(repo.jit_dir().join("cache")).unwrap();
    assert_eq!(repo.ok(&["query", "ready"]), before);
    // A lying short-id entry is ignored too.
    let id = before["issues"][0]["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    std::fs::create_dir_all(repo.jit_dir().join("cache/short")).unwrap();
    std::fs::write(
        repo.jit_dir().join("cache/short").join(&id),
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    )
    .unwrap();
    assert_eq!(repo.show(&id)["short_id"], id.as_str());
}

#[test]
fn a_file_deleted_behind_jits_back_leaves_the_index() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    age_files(&repo);
    repo.ok(&["query", "ready"]);
    std::fs::remove_file(repo.issue_path(&a)).unwrap();
    assert_eq!(ready_ids(&repo.ok(&["query", "ready"])), vec![b]);
}

/// Fills a store with random hand-edited issues: every state, priority, assignment, lease
/// (expired, running, none), dependency (present, missing), gate (precheck, postcheck,
/// unknown; any status), parent and link (to an issue, to a malformed target).
fn random_store(repo: &Repo, rng: &mut Rng, n: usize) -> Vec<String> {
    repo.define_gate("pre", &["--stage", "precheck"]);
    repo.define_gate("post", &["--stage", "postcheck"]);
    let ids: Vec<String> = (0..n).map(|k| repo.create(&format!("t{k}"), &[])).collect();
    let full: Vec<String> = ids.iter().map(|s| repo.full_id(s)).collect();
    let pick = |rng: &mut Rng, v: &[&str]| v[rng.below(v.len() as u64) as usize].to_string();
    for id in &ids {
        let other = |rng: &mut Rng| {
            if rng.below(10) == 0 {
                "01ARZ3NDEKTSV4RRFFQ69G5FAV".to_string() // no such issue
            } else {
                full[rng.below(n as u64) as usize].clone()
            }
        };
        let state = pick(
            rng,
            &[
                "backlog",
                "ready",
                "ready",
                "ready",
                "in_progress",
                "gated",
                "done",
                "done",
                "archived",
            ],
        );
        let priority = pick(rng, &["low", "normal", "high", "critical"]);
        let deps: Vec<String> = (0..rng.below(3)).map(|_| other(rng)).collect();
        let parent = (rng.below(4) == 0).then(|| other(rng));
        let links: Vec<Value> = (0..rng.below(3))
            .map(|_| {
                let target = if rng.below(8) == 0 {
                    "not-an-id".to_string()
                } else {
                    other(rng)
                };
                json!({"kind": pick(rng, &["relates", "duplicates"]), "target": target})
            })
            .collect();
        let required: Vec<String> = ["pre", "post", "unknown"]
            .iter()
            .filter(|_| rng.below(3) == 0)
            .map(|g| g.to_string())
            .collect();
        let mut status = serde_json::Map::new();
        for g in &required {
            if rng.below(4) != 0 {
                status.insert(
                    g.clone(),
                    json!({"status": pick(rng, &["pending", "passed", "passed", "failed"])}),
                );
            }
        }
        let assignee = (rng.below(3) == 0).then(|| format!("agent:a{}", rng.below(3)));
        let lease = match (assignee.as_ref(), rng.below(3)) {
            (Some(h), 0) => json!({"holder": h, "acquired_at": "2026-01-01T00:00:00Z",
                                   "expires_at": "2026-01-01T01:00:00Z"}),
            (Some(h), 1) => json!({"holder": h, "acquired_at": "2026-01-01T00:00:00Z",
                                   "expires_at": "2999-01-01T00:00:00Z"}),
            _ => Value::Null,
        };
        repo.edit_issue(id, |v| {
            v["state"] = json!(state);
            v["priority"] = json!(priority);
            v["dependencies"] = json!(deps);
            v["links"] = json!(links);
            v["gates_required"] = json!(required);
            v["gates_status"] = Value::Object(status);
            let o = v.as_object_mut().unwrap();
            for (k, val) in [
                ("parent", parent.map(Value::from)),
                ("assignee", assignee.map(Value::from)),
            ] {
                match val {
                    Some(x) => {
                        o.insert(k.into(), x);
                    }
                    None => {
                        o.remove(k);
                    }
                }
            }
            if lease.is_null() {
                o.remove("lease");
            } else {
                o.insert("lease".into(), lease);
            }
        });
    }
    ids
}

/// Copies every issue file of `from` into `to` (which has the same gates).
fn copy_issues(from: &Repo, to: &Repo) {
    for name in from.issue_files() {
        std::fs::copy(from.issues_dir().join(&name), to.issues_dir().join(&name)).unwrap();
    }
}

#[test]
fn ready_and_claim_next_from_summaries_equal_a_full_read_on_random_stores() {
    for seed in [1u64, 2, 3] {
        let mut rng = Rng::new(seed);
        let fast = Repo::new();
        random_store(&fast, &mut rng, 40);
        let slow = Repo::new();
        slow.define_gate("pre", &["--stage", "precheck"]);
        slow.define_gate("post", &["--stage", "postcheck"]);
        copy_issues(&fast, &slow);
        age_files(&fast);
        age_files(&slow);
        for round in 0..2 {
            // The first round builds the index, the second trusts it.
            let a = fast.ok(&["query", "ready"]);
            let b = fast.ok(&["query", "ready", "--filter", "is:open"]);
            assert_eq!(a, b, "seed {seed} round {round}: query ready differs");
            let limited = fast.ok(&["query", "ready", "--limit", "3"]);
            assert_eq!(limited["total"], a["total"], "seed {seed}");
            assert_eq!(
                ready_ids(&limited),
                ready_ids(&a).into_iter().take(3).collect::<Vec<_>>()
            );
        }
        assert!(
            fast.ok(&["query", "ready"])["total"].as_u64().unwrap() > 0,
            "seed {seed}: nothing ready"
        );
        // claim-next picks the same issues, in the same order, either way.
        let mut claims = 0;
        loop {
            let (x, cx) = fast.json(&["issue", "claim-next", "--actor", "agent:z"]);
            let (y, cy) = slow.json(&[
                "issue",
                "claim-next",
                "--actor",
                "agent:z",
                "--filter",
                "is:open",
            ]);
            assert_eq!(cx, cy, "seed {seed}: {x} vs {y}");
            if cx != 0 {
                assert_eq!(x["error"]["code"], "no_ready_work");
                break;
            }
            assert_eq!(x["short_id"], y["short_id"], "seed {seed}");
            claims += 1;
        }
        assert!(claims > 0, "seed {seed}: nothing claimed");
    }
}

#[test]
fn readers_racing_writers_always_see_a_consistent_store() {
    let repo = Repo::new();
    let first: Vec<String> = (0..20)
        .map(|k| repo.create(&format!("i{k}"), &[]))
        .collect();
    age_files(&repo);
    repo.ok(&["query", "ready"]);
    std::thread::scope(|s| {
        for w in 0..2 {
            let (repo, first) = (&repo, &first);
            s.spawn(move || {
                for k in 0..8 {
                    repo.create(&format!("w{w}-{k}"), &[]);
                    repo.ok(&["issue", "update", &first[w * 8 + k], "--state", "done"]);
                }
            });
        }
        for _ in 0..3 {
            let repo = &repo;
            s.spawn(move || {
                for _ in 0..8 {
                    let v = repo.ok(&["query", "ready"]);
                    let n = v["issues"].as_array().unwrap().len() as u64;
                    assert_eq!(v["total"].as_u64().unwrap(), n, "{v}");
                    assert!(v["problems"].as_array().unwrap().is_empty(), "{v}");
                }
            });
        }
    });
    let fast = repo.ok(&["query", "ready"]);
    assert_eq!(fast, repo.ok(&["query", "ready", "--filter", "is:open"]));
    assert_eq!(fast["total"], 20 + 16 - 16);
}

/// The inode of the summary index: a rewrite (temp file and rename) changes it.
fn index_inode(repo: &Repo) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(repo.jit_dir().join("cache/summary.v5"))
        .unwrap()
        .ino()
}

#[test]
fn the_index_is_rewritten_only_when_a_record_changes() {
    let repo = Repo::new();
    for k in 0..3 {
        repo.create(&format!("i{k}"), &[]);
    }
    // Files modified "now" (here: in the future) are re-read every time, never trusted.
    touch_issues(&repo, "1 hour");
    let first = repo.ok(&["query", "ready"]);
    let ino = index_inode(&repo);
    assert_eq!(repo.ok(&["query", "ready"]), first);
    assert_eq!(
        index_inode(&repo),
        ino,
        "re-read but unchanged: not rewritten"
    );
    // New stamps are new records: rewritten once, then trusted as they are.
    age_files(&repo);
    assert_eq!(repo.ok(&["query", "ready"]), first);
    let aged = index_inode(&repo);
    assert_ne!(aged, ino);
    assert_eq!(repo.ok(&["query", "ready"]), first);
    assert_eq!(index_inode(&repo), aged);
}
