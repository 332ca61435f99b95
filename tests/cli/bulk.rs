//! `issue update` of several issues: named ids and `--filter`, all in one transaction (all or
//! nothing), `--dry-run` that writes nothing, and the `--limit`/`--yes` guard.

use crate::common::{Repo, strings};
use serde_json::Value;

/// Every file under `.jit/` except caches, as bytes, to prove nothing was written.
fn snapshot(repo: &Repo) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for name in repo.issue_files() {
        out.push((
            name.clone(),
            std::fs::read(repo.issues_dir().join(&name)).unwrap(),
        ));
    }
    out.push((
        "events.jsonl".into(),
        std::fs::read(repo.jit_dir().join("events.jsonl")).unwrap(),
    ));
    out
}

fn ids_of(v: &Value) -> Vec<String> {
    v["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["short_id"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn several_ids_change_together_or_not_at_all() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    let blocker = repo.create("blocker", &[]);
    let c = repo.create("c", &["--dep", &blocker]);
    let v = repo.ok(&[
        "issue",
        "update",
        &a,
        &b,
        "--priority",
        "high",
        "--add-label",
        "ops",
    ]);
    assert_eq!(
        (v["total"].as_u64(), v["changed"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(ids_of(&v), [a.clone(), b.clone()]);
    let changes = &v["issues"][0]["changes"];
    let fields: Vec<&str> = changes
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["labels", "priority"], "{changes:#}");
    for id in [&a, &b] {
        let s = repo.show(id);
        assert_eq!(
            (s["priority"].as_str(), s["version"].as_u64()),
            (Some("high"), Some(2))
        );
    }
    // One of three cannot start (its dependency is open): none of them changes.
    let before = snapshot(&repo);
    repo.err(
        &["issue", "update", &a, &b, &c, "--state", "in_progress"],
        "blocked",
        6,
    );
    assert_eq!(snapshot(&repo), before, "nothing was written");
    // An update that holds already changes nothing and says so.
    let v = repo.ok(&["issue", "update", &a, &b, "--priority", "high"]);
    assert_eq!(v["changed"], 0);
    assert_eq!(v["issues"][0]["changes"], serde_json::json!([]));
    repo.err(
        &[
            "issue",
            "update",
            &a,
            &b,
            "--title",
            "x",
            "--if-version",
            "2",
        ],
        "invalid_value",
        2,
    );
}

#[test]
fn a_filtered_update_is_shown_by_dry_run_and_then_applied() {
    let repo = Repo::new();
    let bugs: Vec<String> = (0..3)
        .map(|n| repo.create(&format!("bug {n}"), &["--type", "bug"]))
        .collect();
    let other = repo.create("feature", &["--type", "feature"]);
    let before = snapshot(&repo);
    let v = repo.ok(&[
        "issue",
        "update",
        "--filter",
        "type:bug",
        "--milestone",
        "v2",
        "--dry-run",
    ]);
    assert_eq!(v["dry_run"], true);
    assert_eq!(ids_of(&v), bugs);
    assert_eq!(v["issues"][0]["changes"][0]["field"], "milestone");
    assert_eq!(v["issues"][0]["changes"][0]["after"], "v2");
    assert_eq!(snapshot(&repo), before, "a dry run writes nothing");
    let human = crate::common::stdout(&repo.jit(&[
        "issue",
        "update",
        "--filter",
        "type:bug",
        "--milestone",
        "v2",
        "--dry-run",
    ]));
    assert!(
        human.starts_with("would change 3 of 3 issue(s); nothing was written"),
        "{human}"
    );
    assert!(human.contains("milestone: - -> v2"), "{human}");
    let v = repo.ok(&[
        "issue",
        "update",
        "--filter",
        "type:bug",
        "--milestone",
        "v2",
    ]);
    assert_eq!(
        (v["dry_run"].as_bool(), v["changed"].as_u64()),
        (Some(false), Some(3))
    );
    for id in &bugs {
        assert_eq!(repo.show(id)["milestone"], "v2");
    }
    assert!(repo.show(&other).get("milestone").is_none());
    // A filter and named ids together: the union, each once.
    let v = repo.ok(&[
        "issue",
        "update",
        &other,
        &bugs[0],
        "--filter",
        "type:bug",
        "--priority",
        "low",
    ]);
    assert_eq!(v["total"], 4);
    repo.err(
        &[
            "issue",
            "update",
            "--filter",
            "state:nonsense",
            "--priority",
            "low",
        ],
        "invalid_query",
        2,
    );
}

#[test]
fn a_filter_that_matches_more_than_the_limit_needs_yes() {
    let repo = Repo::new();
    for n in 0..51 {
        repo.create(&format!("t{n}"), &["--label", "mass"]);
    }
    let before = snapshot(&repo);
    let d = repo.err(
        &[
            "issue",
            "update",
            "--filter",
            "label:mass",
            "--priority",
            "low",
        ],
        "too_many_matches",
        2,
    );
    assert_eq!(
        (d["matched"].as_u64(), d["limit"].as_u64()),
        (Some(51), Some(50))
    );
    repo.err(
        &[
            "issue",
            "update",
            "--filter",
            "label:mass",
            "--priority",
            "low",
            "--limit",
            "10",
        ],
        "too_many_matches",
        2,
    );
    assert_eq!(snapshot(&repo), before);
    let events = repo.event_count();
    let v = repo.ok(&[
        "issue",
        "update",
        "--filter",
        "label:mass",
        "--priority",
        "low",
        "--yes",
    ]);
    assert_eq!(v["changed"], 51);
    assert_eq!(
        repo.event_count(),
        events + 51,
        "one event per changed issue"
    );
    let v = repo.ok(&[
        "issue",
        "update",
        "--filter",
        "label:mass",
        "--add-label",
        "x",
        "--limit",
        "60",
    ]);
    assert_eq!(v["changed"], 51);
    assert_eq!(strings(&repo.show(&ids_of(&v)[0])["labels"]), ["mass", "x"]);
}
