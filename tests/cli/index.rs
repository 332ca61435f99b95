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

/// A filter only whole issues can answer (a text search reads descriptions and comments):
/// added to a command, it makes jit read every issue file instead of the summary index, while
/// matching every issue (no test writes these words).
const WHOLE: &str = "-text:\"no issue says this\"";

/// The reply of `args` with `filter`, answered from the summary index, and answered from every
/// issue file (the same filter plus [`WHOLE`]).
fn fast_and_slow(repo: &Repo, args: &[&str], filter: Option<&str>) -> (Value, Value) {
    let with = |f: Option<String>| {
        let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        if let Some(f) = f {
            a.push(format!("--filter={f}"));
        }
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        repo.ok(&a)
    };
    let slow = filter.map_or(WHOLE.to_string(), |f| format!("{f} {WHOLE}"));
    (with(filter.map(str::to_string)), with(Some(slow)))
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
        for shape in [&[][..], &["--full"]] {
            let args: Vec<&str> = ["query", "ready"].iter().chain(shape).copied().collect();
            let (fast, slow) = fast_and_slow(&repo, &args, None);
            assert_eq!(fast, slow, "index and full read disagree");
        }
    }
    assert!(repo.jit_dir().join("cache/summary.v7").is_file());
    let ids = ready_ids(&repo.ok(&["query", "ready"]));
    assert!(
        ids.contains(&a) && !ids.contains(&b) && !ids.contains(&d),
        "{ids:?}"
    );
    // Incoming links survive the index path.
    let a_view = repo.ok(&["query", "ready", "--full"])["issues"]
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
        repo.jit_dir().join("cache/summary.v7"),
        b"{\"version\":1,\"written_ms\":99999999999999}\n{garbage\n",
    )
    .unwrap();
    assert_eq!(repo.ok(&["query", "ready"]), before);
    std::fs::remove_dir_all(repo.jit_dir().join("cache")).unwrap();
    assert_eq!(repo.ok(&["query", "ready"]), before);
    // A lying short-id entry is ignored too, and so is a torn short-id file.
    let id = before["issues"][0]["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let lie = format!("jitshort {:026}\n{id} 01ARZ3NDEKTSV4RRFFQ69G5FAV\n", 1);
    std::fs::write(repo.jit_dir().join("cache/short.v2"), &lie).unwrap();
    assert_eq!(repo.show(&id)["short_id"], id.as_str());
    std::fs::write(repo.jit_dir().join("cache/short.v2"), &lie[..50]).unwrap();
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
        let labels: Vec<&str> = ["x", "y", "Été"]
            .into_iter()
            .filter(|_| rng.below(3) == 0)
            .collect();
        let milestone = (rng.below(3) == 0).then(|| pick(rng, &["Phase 1", "Phase 2", " "]));
        let estimate = (rng.below(3) == 0).then(|| rng.below(8));
        let kind = pick(rng, &["task", "task", "bug", "epic"]);
        let visibility = (rng.below(4) == 0).then(|| pick(rng, &["internal", "public"]));
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
            v["labels"] = json!(labels);
            v["type"] = json!(kind);
            let o = v.as_object_mut().unwrap();
            for (k, val) in [
                ("visibility", visibility.map(Value::from)),
                ("parent", parent.map(Value::from)),
                ("assignee", assignee.map(Value::from)),
                ("milestone", milestone.map(Value::from)),
                ("estimate", estimate.map(Value::from)),
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
            let (a, b) = fast_and_slow(&fast, &["query", "ready", "--full"], None);
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
            let whole = format!("--filter={WHOLE}");
            let (y, cy) = slow.json(&["issue", "claim-next", "--actor", "agent:z", &whole]);
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
    let (fast, slow) = fast_and_slow(&repo, &["query", "ready"], None);
    assert_eq!(fast, slow);
    assert_eq!(fast["total"], 20 + 16 - 16);
}

/// The inode of the summary index: a rewrite (temp file and rename) changes it.
fn index_inode(repo: &Repo) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(repo.jit_dir().join("cache/summary.v7"))
        .unwrap()
        .ino()
}

/// Backdates the issues directory, as a checkout's is: the index then vouches for its names.
fn age_dir(repo: &Repo) {
    let st = Command::new("touch")
        .args(["-d", "1 hour ago", ".jit/issues"])
        .current_dir(repo.path())
        .status()
        .unwrap();
    assert!(st.success());
}

#[test]
fn the_index_is_rewritten_only_when_that_pays() {
    let repo = Repo::new();
    let ids: Vec<String> = (0..70)
        .map(|k| repo.create(&format!("i{k}"), &[]))
        .collect();
    // Files modified "now" (here: in the future) are re-read every time, never trusted.
    touch_issues(&repo, "1 hour");
    age_dir(&repo);
    let first = repo.ok(&["query", "ready"]);
    let ino = index_inode(&repo);
    assert_eq!(repo.ok(&["query", "ready"]), first);
    assert_eq!(
        index_inode(&repo),
        ino,
        "re-read but unchanged: not rewritten"
    );
    // A few changed files are read again by each command rather than rewriting the index.
    for id in &ids[..3] {
        repo.edit_issue(id, |v| v["title"] = json!("edited"));
    }
    let edited = repo.ok(&["query", "ready"]);
    assert_ne!(edited, first);
    assert_eq!(repo.ok(&["query", "ready"]), edited);
    assert_eq!(
        index_inode(&repo),
        ino,
        "three stale records: not rewritten"
    );
    // New stamps on every file are many new records: rewritten once, then trusted as they are.
    age_files(&repo);
    assert_eq!(repo.ok(&["query", "ready"]), edited);
    let aged = index_inode(&repo);
    assert_ne!(aged, ino);
    assert_eq!(repo.ok(&["query", "ready"]), edited);
    assert_eq!(index_inode(&repo), aged);
}

/// Every page the summary index answers (lists, named queries, filters, sorts, shapes,
/// cursors) equals the page read from every issue file, on random hand-edited stores.
#[test]
fn pages_from_summaries_equal_a_full_read_on_random_stores() {
    let commands: &[&[&str]] = &[
        &["issue", "list"],
        &["query", "ready"],
        &["query", "blocked"],
        &["query", "state", "backlog"],
        &["query", "priority", "high"],
        &["query", "assignee", "agent:a1"],
        &["query", "assignee", "none"],
    ];
    let filters: &[Option<&str>] = &[
        None,
        Some("state:ready|in_progress priority:>=high"),
        Some("-label:x has:labels"),
        Some("blocked:true has:deps"),
        Some("parent:01 milestone:\"phase *\""),
        Some("assignee:agent:* has:lease sort:-priority sort:title"),
        Some("gate:pre|post -has:estimate"),
        Some("estimate:>=3 sort:estimate"),
        Some("is:closed sort:state sort:-created"),
        Some("visibility:internal"),
        Some("-visibility:internal type:epic|bug"),
        Some("is:ready"),
        Some("-is:ready type:epic|task"),
    ];
    let fields = "id,state,blocked,blocked_by,progress,linked_from,parent,dependencies,\
                  gates_required,version,updated_at,created_at,milestone,estimate,reporter,labels";
    let mut ready_seen = 0;
    for seed in [7u64, 8] {
        let mut rng = Rng::new(seed);
        let repo = Repo::new();
        random_store(&repo, &mut rng, 40);
        age_files(&repo);
        let (ledger_entries, _) = repo.json(&["issue", "claim-next", "--actor", "agent:q"]);
        assert!(ledger_entries.is_object());
        let mut nonempty = 0;
        for cmd in commands {
            for filter in filters {
                for shape in [&[][..], &["--full"], &["--fields", fields]] {
                    let args: Vec<&str> = cmd.iter().chain(shape).copied().collect();
                    let (fast, slow) = fast_and_slow(&repo, &args, *filter);
                    assert_eq!(fast, slow, "seed {seed}: jit {args:?} --filter {filter:?}");
                    nonempty += usize::from(fast["total"].as_u64().unwrap() > 0);
                }
            }
        }
        assert!(
            nonempty > 60,
            "seed {seed}: too few pages had issues ({nonempty})"
        );
        // `query ready` is the query `is:ready`: the same issues through `issue list`, in id
        // order, containers left out unless the filter names their type.
        for (named, filter) in [("", "is:ready"), ("type:epic", "is:ready type:epic")] {
            let mut ready_cmd = vec!["query", "ready"];
            if !named.is_empty() {
                ready_cmd.extend(["--filter", named]);
            }
            let mut want = ready_ids(&repo.ok(&ready_cmd));
            want.sort();
            let mut listed = ready_ids(&repo.ok(&["issue", "list", "--filter", filter]));
            listed.sort();
            assert_eq!(listed, want, "seed {seed}: {filter}");
            // A bulk update through the same filter changes those same issues.
            let preview = repo.ok(&[
                "issue",
                "update",
                "--filter",
                filter,
                "--priority",
                "low",
                "--dry-run",
            ]);
            let mut changed = ready_ids(&preview);
            changed.sort();
            assert_eq!(changed, want, "seed {seed}: update --filter {filter}");
            ready_seen += want.len();
        }
        // Walking the pages with a cursor gives the whole answer, in order, either way.
        for cmd in [&["issue", "list"][..], &["query", "ready"]] {
            for filter in [None, Some("sort:title")] {
                let (whole, _) = fast_and_slow(&repo, cmd, filter);
                let mut walked: Vec<String> = Vec::new();
                let mut cursor: Option<String> = None;
                loop {
                    let mut args: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
                    args.extend(["--limit".into(), "7".into()]);
                    if let Some(c) = &cursor {
                        args.extend(["--cursor".into(), c.clone()]);
                    }
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let (fast, slow) = fast_and_slow(&repo, &args, filter);
                    assert_eq!(fast, slow, "seed {seed}: jit {args:?} --filter {filter:?}");
                    assert_eq!(fast["total"], whole["total"]);
                    walked.extend(ready_ids(&fast));
                    match fast["next_cursor"].as_str() {
                        Some(c) => cursor = Some(c.to_string()),
                        None => break,
                    }
                }
                assert_eq!(walked, ready_ids(&whole), "seed {seed}: {cmd:?} {filter:?}");
            }
        }
    }
    assert!(ready_seen > 0, "no seed had ready work");
}

/// The short-id cache is one file: creating issues appends to it (no file per issue), a
/// lookup by short id lists no directory, and it never holds more than a line per issue.
#[test]
fn the_short_id_cache_is_one_file() {
    let repo = Repo::new();
    let ids: Vec<String> = (0..30)
        .map(|k| repo.create(&format!("i{k}"), &[]))
        .collect();
    let cache = repo.jit_dir().join("cache");
    let names: Vec<String> = std::fs::read_dir(&cache)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n == "short.v2" || n.starts_with("summary.")),
        "{names:?}"
    );
    let len = std::fs::metadata(cache.join("short.v2")).unwrap().len();
    assert_eq!(len, 36 * 31, "a header and one line per created issue");
    for id in &ids {
        assert_eq!(repo.show(id)["short_id"], id.as_str());
    }
    // A deleted issue's short id is not found, from the cache or the listing.
    repo.ok(&["issue", "delete", &ids[3]]);
    repo.err(&["issue", "show", &ids[3]], "not_found", 3);
    // Deleting the cache changes nothing; the next short-id lookup rebuilds it from a listing.
    std::fs::remove_dir_all(&cache).unwrap();
    assert_eq!(repo.show(&ids[4])["short_id"], ids[4].as_str());
    let len = std::fs::metadata(cache.join("short.v2")).unwrap().len();
    assert_eq!(len, 36 * 30, "rebuilt from the 29 issue files");
}

/// Once the issues directory has been still for a while, the index vouches for its names and
/// jit skips listing it; any entry created, removed or renamed since changes the directory and
/// is seen at once: a file copied in by hand, a stray file, a deleted one.
#[test]
fn names_the_index_vouches_for_are_checked_against_the_directory() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    age_files(&repo);
    let age_dir = || age_dir(&repo);
    age_dir();
    // The first read lists and vouches for the names, the second trusts them.
    let first = repo.ok(&["issue", "list"]);
    assert_eq!(repo.ok(&["issue", "list"]), first);
    assert_eq!(first["total"], 2);
    // A file copied in by hand, as git would write it.
    let mut c = repo.read_issue(&a);
    let c_id = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    c["id"] = json!(c_id);
    c["title"] = json!("copied");
    std::fs::write(
        repo.issues_dir().join(format!("{c_id}.json")),
        serde_json::to_vec_pretty(&c).unwrap(),
    )
    .unwrap();
    let listed = repo.ok(&["issue", "list", "--fields", "id,title"]);
    assert_eq!(listed["total"], 3, "{listed:#}");
    assert_eq!(listed["issues"][0]["title"], "copied");
    age_files(&repo);
    age_dir();
    repo.ok(&["issue", "list"]);
    assert_eq!(repo.ok(&["issue", "list"])["total"], 3);
    // A stray file is reported, a deleted file is gone.
    std::fs::write(repo.issues_dir().join("notes.txt"), "hi").unwrap();
    let listed = repo.ok(&["issue", "list"]);
    assert_eq!(listed["problems"][0]["code"], "stray_file", "{listed:#}");
    std::fs::remove_file(repo.issues_dir().join("notes.txt")).unwrap();
    std::fs::remove_file(repo.issue_path(&b)).unwrap();
    age_dir();
    let listed = repo.ok(&["query", "ready"]);
    assert_eq!(listed["total"], 2, "{listed:#}");
    assert!(listed["problems"].as_array().unwrap().is_empty());
    assert!(!ready_ids(&listed).contains(&b));
}

/// An indexed issue file replaced by a symbolic link or a directory is one problem each, named
/// once (the listing and the stamp check run side by side and must not both report it), and
/// the issue is not read through the link.
#[test]
fn an_indexed_file_replaced_by_a_link_or_a_directory_is_one_problem() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    let c = repo.create("c", &[]);
    age_files(&repo);
    age_dir(&repo);
    assert_eq!(repo.ok(&["issue", "list"])["total"], 3);
    let (path_a, path_b) = (repo.issue_path(&a), repo.issue_path(&b));
    let elsewhere = repo.path().join("outside.json");
    std::fs::copy(&path_a, &elsewhere).unwrap();
    std::fs::remove_file(&path_a).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path_a).unwrap();
    std::fs::remove_file(&path_b).unwrap();
    std::fs::create_dir(&path_b).unwrap();
    let (a, b) = (
        path_a.file_stem().unwrap().to_string_lossy().into_owned(),
        path_b.file_stem().unwrap().to_string_lossy().into_owned(),
    );
    for args in [
        &["issue", "list"][..],
        &["query", "ready"],
        &["query", "ready", "--limit", "1"],
    ] {
        let listed = repo.ok(args);
        assert_eq!(listed["total"], 1, "{args:?}: {listed:#}");
        assert_eq!(ready_ids(&listed), vec![c.clone()]);
        let mut problems: Vec<(String, String)> = listed["problems"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let path = p["path"].as_str().unwrap();
                let id = if path.contains(&a) {
                    "a"
                } else if path.contains(&b) {
                    "b"
                } else {
                    path
                };
                (id.to_string(), p["code"].as_str().unwrap().to_string())
            })
            .collect();
        problems.sort();
        assert_eq!(
            problems,
            [
                ("a".into(), "corrupt_file".into()),
                ("b".into(), "stray_file".into())
            ],
            "{args:?}: {listed:#}"
        );
    }
}
