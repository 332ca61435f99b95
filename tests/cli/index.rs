//! The derived caches under `.jit/cache/` change speed, never output: a hand edit or a pull is
//! seen by the next command, and deleting the cache changes nothing.

use crate::common::Repo;
use serde_json::{Value, json};
use std::process::Command;

/// Backdates every issue file so the summary index trusts its entries (it re-reads files
/// modified within two seconds of its writing).
fn age_files(repo: &Repo) {
    let st = Command::new("sh")
        .arg("-c")
        .arg("touch -d '1 hour ago' .jit/issues/*.json")
        .current_dir(repo.path())
        .status()
        .unwrap();
    assert!(st.success());
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
    assert!(repo.jit_dir().join("cache/summary.v3").is_file());
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
        repo.jit_dir().join("cache/summary.v3"),
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
