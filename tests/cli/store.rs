//! The store: `init`, finding the store, issue create/show/list/update/delete, id handling,
//! input validation, corrupt files, the event log, optimistic concurrency, canonical files and
//! paging.

use crate::common::{
    MISSING_ID, Repo, assert_ok, code, jit_cmd, short_ids, stderr, stdout, strings,
};
use crate::contract::{IssueView, ListPage, is_timestamp, is_ulid, outcome};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every file under `dir` with its bytes (directories as `None`).
fn tree(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                out.insert(p.clone(), None);
                stack.push(p);
            } else {
                out.insert(p.clone(), Some(std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

/// Checks canonical pretty JSON: 2-space indent per nesting level, one trailing newline.
fn assert_pretty(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
    assert!(
        text.ends_with("}\n") && !text.ends_with("\n\n"),
        "{} ends with exactly one newline",
        path.display()
    );
    assert!(!text.contains('\t'), "no tabs");
    let mut depth = 0usize;
    for line in text.lines() {
        let t = line.trim_start();
        if t.starts_with('}') || t.starts_with(']') {
            depth -= 1;
        }
        let indent = line.len() - t.len();
        assert_eq!(
            indent,
            2 * depth,
            "{}: bad indent on {line:?}",
            path.display()
        );
        if t.ends_with('{') || t.ends_with('[') {
            depth += 1;
        }
    }
    assert_eq!(depth, 0);
}

#[test]
fn init_creates_the_store_layout() {
    let repo = Repo::git_only();
    let out = repo.jit(&["init"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("initialised"), "{}", stdout(&out));
    let dir = repo.jit_dir();
    let config: Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["schema_version"], json!(1));
    let gates: Value =
        serde_json::from_slice(&std::fs::read(dir.join("gates.json")).unwrap()).unwrap();
    assert_eq!(gates, json!({}));
    assert!(dir.join("issues").is_dir());
    assert!(repo.issue_files().is_empty());
    assert_eq!(std::fs::read(dir.join("events.jsonl")).unwrap(), b"");
    let ignore = std::fs::read_to_string(dir.join(".gitignore")).unwrap();
    assert!(
        ignore.lines().any(|l| l.trim() == "lock"),
        "the lock file is ignored: {ignore}"
    );
    assert_pretty(&dir.join("config.json"));
    // The event log merges across branches by union.
    let attrs = std::fs::read_to_string(repo.path().join(".gitattributes")).unwrap();
    assert!(
        attrs
            .lines()
            .any(|l| l.contains("events.jsonl") && l.contains("merge=union")),
        "{attrs}"
    );
    // The fresh store is valid.
    assert!(repo.ok(&["validate"])["ok"].as_bool().unwrap());
}

#[test]
fn second_init_changes_nothing() {
    let repo = Repo::new();
    repo.create("keep me", &[]);
    let before = tree(&repo.jit_dir());
    let attrs = std::fs::read(repo.path().join(".gitattributes")).ok();
    let out = repo.jit(&["init"]);
    assert_ok(&out);
    assert_eq!(
        std::fs::read(repo.path().join(".gitattributes")).ok(),
        attrs
    );
    assert!(
        stdout(&out).contains("already initialised"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        tree(&repo.jit_dir()),
        before,
        "a second init changes no file"
    );
    // It restores a missing file without touching the others.
    std::fs::remove_file(repo.jit_dir().join(".gitignore")).unwrap();
    assert_ok(&repo.jit(&["init"]));
    assert_eq!(tree(&repo.jit_dir()), before);
}

#[test]
fn init_outside_a_git_checkout_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = jit_cmd(dir.path())
        .args(["init", "--json"])
        .output()
        .unwrap();
    let v = crate::common::parse_one_object(&out);
    assert_eq!(v["error"]["code"], "not_a_git_repo", "{v:#}");
    assert_eq!(code(&out), 3);
    assert!(!dir.path().join(".jit").exists(), "nothing was created");
}

const EVERY_COMMAND: &[&[&str]] = &[
    &["validate"],
    &["validate", "--fix"],
    &["issue", "create", "--title", "t"],
    &["issue", "list"],
    &["issue", "show", MISSING_ID],
    &["issue", "update", MISSING_ID, "--title", "t"],
    &["issue", "delete", MISSING_ID],
    &["issue", "claim", MISSING_ID],
    &["issue", "claim-next"],
    &["issue", "heartbeat", MISSING_ID],
    &["issue", "release", MISSING_ID],
    &["issue", "assign", MISSING_ID, "--to", "human:x"],
    &["issue", "unassign", MISSING_ID],
    &["issue", "reopen", MISSING_ID, "--reason", "r"],
    &["issue", "log", MISSING_ID],
    &["issue", "context", MISSING_ID],
    &["dep", "add", MISSING_ID, "--on", MISSING_ID],
    &["dep", "rm", MISSING_ID, "--on", MISSING_ID],
    &["gate", "define", "g", "--title", "t"],
    &["gate", "list"],
    &["gate", "add", MISSING_ID, "g"],
    &["gate", "pass", MISSING_ID, "g"],
    &["gate", "fail", MISSING_ID, "g"],
    &["gate", "check", MISSING_ID],
    &["graph", "show", MISSING_ID],
    &["graph", "downstream", MISSING_ID],
    &["graph", "roots"],
    &["graph", "order"],
    &["graph", "critical-path"],
    &["query", "ready"],
    &["query", "blocked"],
    &["query", "state", "ready"],
    &["query", "priority", "high"],
    &["query", "assignee", "none"],
    &["query", "stale"],
    &["export", "--format", "dot"],
    &["export", "--format", "mermaid"],
];

#[test]
fn every_command_outside_a_jit_repo_fails_with_not_a_jit_repo() {
    // A git checkout without `jit init`, and a plain directory.
    let git_only = Repo::git_only();
    let plain = tempfile::tempdir().unwrap();
    for dir in [git_only.path(), plain.path()] {
        for args in EVERY_COMMAND {
            let out = jit_cmd(dir).args(*args).arg("--json").output().unwrap();
            let v = crate::common::parse_one_object(&out);
            assert_eq!(
                (v["error"]["code"].as_str(), code(&out)),
                (Some("not_a_jit_repo"), 3),
                "jit {args:?}: {v:#}"
            );
        }
        assert!(
            !dir.join(".jit").exists(),
            "no store was created by accident"
        );
    }
}

#[test]
fn dash_c_runs_against_another_directory() {
    let repo = Repo::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let root = repo.path().to_str().unwrap();
    let out = jit_cmd(elsewhere.path())
        .args([
            "-C",
            root,
            "issue",
            "create",
            "--title",
            "from afar",
            "--json",
        ])
        .output()
        .unwrap();
    assert_ok(&out);
    let list = jit_cmd(elsewhere.path())
        .args(["issue", "list", "-C", root, "--json"])
        .output()
        .unwrap();
    assert_ok(&list);
    let page = ListPage::from_value(&crate::common::parse_one_object(&list));
    assert_eq!(page.total, 1);
    assert_eq!(repo.issue_files().len(), 1);
    assert!(!elsewhere.path().join(".jit").exists());
    // -C to a directory that does not exist is an error, not a crash.
    let out = jit_cmd(elsewhere.path())
        .args(["-C", "/nonexistent/jit-test", "issue", "list", "--json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2, "{}", stdout(&out));
}

#[test]
fn commands_work_from_a_subdirectory() {
    let repo = Repo::new();
    let sub = repo.path().join("src/deep/er");
    std::fs::create_dir_all(&sub).unwrap();
    let out = jit_cmd(&sub)
        .args(["issue", "create", "--title", "from below", "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    let short = crate::common::parse_one_object(&out)["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = jit_cmd(&sub)
        .args(["issue", "show", &short, "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    assert_eq!(
        repo.issue_files().len(),
        1,
        "the issue is in the root store"
    );
    assert!(!sub.join(".jit").exists() && !repo.path().join("src/.jit").exists());
    // `init` from a subdirectory finds the checkout root instead of nesting a store.
    let out = jit_cmd(&sub).args(["init"]).output().unwrap();
    assert_ok(&out);
    assert!(
        stdout(&out).contains("already initialised"),
        "{}",
        stdout(&out)
    );
    assert!(!sub.join(".jit").exists());
}

#[test]
fn create_show_list_update_delete_round_trip() {
    let repo = Repo::new();
    let v = repo.ok(&[
        "issue",
        "create",
        "--title",
        "  Fix the login  ",
        "--desc",
        "It breaks.\nOften.",
        "--priority",
        "high",
        "--type",
        "bug",
        "--label",
        "auth",
        "--context",
        "commit=abc123",
        "--milestone",
        "M1",
    ]);
    let created = IssueView::from_value(&v);
    assert_eq!(created.title, "Fix the login", "titles are trimmed");
    assert_eq!(created.description, "It breaks.\nOften.");
    let id = created.short_id.clone();
    assert!(repo.issue_path(&id).is_file());
    assert_eq!(repo.issue_files(), vec![format!("{}.json", created.id)]);

    let shown = IssueView::from_value(&repo.show(&id));
    assert_eq!(
        (shown.id.as_str(), shown.title.as_str(), shown.kind.as_str()),
        (created.id.as_str(), "Fix the login", "bug")
    );
    assert_eq!(shown.labels, Some(vec!["auth".to_string()]));

    let (u, _) = outcome(&repo.ok(&[
        "issue",
        "update",
        &id,
        "--title",
        "Fix login",
        "--desc",
        "",
        "--priority",
        "low",
        "--add-label",
        "ui",
        "--remove-label",
        "auth",
        "--context",
        "commit=",
        "--context",
        "pr_url=u",
        "--milestone",
        "",
    ]));
    assert_eq!(u.title, "Fix login");
    assert_eq!(u.description, "");
    assert_eq!(u.labels, Some(vec!["ui".to_string()]));
    assert_eq!(
        u.context,
        BTreeMap::from([("pr_url".to_string(), "u".to_string())])
    );
    assert_eq!(u.milestone, None);
    assert_eq!(u.version, 2);
    // The file holds what show prints.
    let stored = repo.read_issue(&id);
    assert_eq!(stored["title"], "Fix login");
    assert_eq!(stored["priority"], "low");
    assert_eq!(stored["version"], 2);

    let listed = repo.ok(&["issue", "list"]);
    assert_eq!(short_ids(&listed), vec![id.clone()]);

    let out = repo.jit(&["issue", "delete", &id]);
    assert_ok(&out);
    assert!(stdout(&out).contains("deleted"), "{}", stdout(&out));
    assert!(repo.issue_files().is_empty(), "the file is gone");
    repo.err(&["issue", "show", &id], "not_found", 3);
    assert_eq!(ListPage::from_value(&repo.ok(&["issue", "list"])).total, 0);
}

/// The shortest prefix of `s` that no other form in `others` starts with.
fn unique_prefix(s: &str, others: &[String]) -> String {
    (1..=s.len())
        .map(|n| s[..n].to_string())
        .find(|p| {
            others
                .iter()
                .all(|o| !o.to_ascii_uppercase().starts_with(&p.to_ascii_uppercase()))
        })
        .expect("some prefix is unique")
}

#[test]
fn show_accepts_full_short_any_case_and_unique_prefixes() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    let full_a = repo.full_id(&a);
    let full_b = repo.full_id(&b);
    let others = vec![full_b.clone(), b.clone()];
    let short_prefix = unique_prefix(&a, &others);
    let full_prefix = unique_prefix(&full_a, &others);
    assert!(full_prefix.len() < 26);
    for form in [
        full_a.clone(),
        full_a.to_ascii_lowercase(),
        a.clone(),
        a.to_ascii_uppercase(),
        short_prefix.clone(),
        full_prefix.clone(),
        full_prefix.to_ascii_lowercase(),
        format!(" {a} "),
    ] {
        let v = repo.show(&form);
        assert_eq!(
            v["id"].as_str(),
            Some(full_a.as_str()),
            "`{form}` resolves to a"
        );
    }
}

#[test]
fn an_ambiguous_prefix_lists_the_candidates() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    let (fa, fb) = (repo.full_id(&a), repo.full_id(&b));
    let common: String = fa
        .chars()
        .zip(fb.chars())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x)
        .collect();
    assert!(
        !common.is_empty(),
        "ULIDs made a moment apart share their time prefix"
    );
    let d = repo.err(&["issue", "show", &common], "ambiguous_id", 2);
    let mut candidates = strings(&d["candidates"]);
    candidates.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(candidates, want);
    assert_eq!(d["prefix"], common.as_str());
    // Mutations refuse it too, and change nothing.
    let before = repo.event_count();
    repo.err(
        &["issue", "update", &common, "--title", "x"],
        "ambiguous_id",
        2,
    );
    assert_eq!(repo.event_count(), before);
}

#[test]
fn an_unknown_id_is_not_found() {
    let repo = Repo::new();
    repo.create("a", &[]);
    let d = repo.err(&["issue", "show", MISSING_ID], "not_found", 3);
    assert_eq!(d["id"], MISSING_ID);
    repo.err(
        &["issue", "update", "zzzzzzzz", "--title", "x"],
        "not_found",
        3,
    );
    repo.err(&["issue", "delete", "zzzz"], "not_found", 3);
}

#[test]
fn malformed_ids_are_rejected_before_touching_the_file_system() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let too_long = format!("{}0", repo.full_id(&a));
    assert_eq!(too_long.len(), 27);
    let bad = [
        "../../etc/passwd",
        "a/b",
        "",
        &too_long,
        "..",
        "a\\b",
        "01ARZ3NDEKTSV4RRFFQ69G5FA.",
        "ÄÖ",
    ];
    let before = tree(repo.path());
    for id in bad {
        for args in [
            vec!["issue", "show", id],
            vec!["issue", "update", id, "--title", "x"],
            vec!["issue", "delete", id],
            vec!["dep", "add", &a, "--on", id],
            vec!["issue", "create", "--title", "x", "--dep", id],
            vec!["graph", "show", id],
        ] {
            let d = repo.err(&args, "invalid_id", 2);
            assert_eq!(d["id"], id, "details name the bad id");
        }
    }
    assert_eq!(tree(repo.path()), before, "nothing was written or created");
    for p in tree(repo.path()).keys() {
        assert!(!p.to_string_lossy().contains("passwd"), "{}", p.display());
    }
}

#[test]
fn invalid_enum_values_are_usage_errors() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    for args in [
        vec!["issue", "create", "--title", "t", "--priority", "urgent"],
        vec!["issue", "update", &a, "--state", "finished"],
        vec!["issue", "update", &a, "--priority", ""],
        vec!["issue", "create", "--title", "t", "--visibility", "secret"],
        vec!["query", "state", "nope"],
    ] {
        repo.err(&args, "usage", 2);
        let out = repo.jit(&args);
        assert_eq!(code(&out), 2);
        assert!(stdout(&out).is_empty());
        assert!(stderr(&out).contains("invalid value"), "{}", stderr(&out));
    }
    assert_eq!(repo.issue_files().len(), 1);
    // Values are case-insensitive where the CLI documents a fixed set.
    let v = repo.ok(&["issue", "update", &a, "--priority", "HIGH"]);
    assert_eq!(v["priority"], "high");
}

#[test]
fn blank_and_multi_line_titles_are_refused_and_write_nothing() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let files = repo.issue_files();
    let events = repo.event_count();
    let a_bytes = std::fs::read(repo.issue_path(&a)).unwrap();
    let long = "x".repeat(501);
    for title in [
        "",
        "   ",
        "a\nb",
        "line\r\nbreak",
        "tab\tinside",
        "bell\u{7}",
        long.as_str(),
    ] {
        let d = repo.err(&["issue", "create", "--title", title], "invalid_value", 2);
        assert_eq!(d["field"], "title");
        repo.err(
            &["issue", "update", &a, "--title", title],
            "invalid_value",
            2,
        );
    }
    repo.err(
        &[
            "issue",
            "create",
            "--title",
            "ok",
            "--desc",
            "esc\u{1b}[31m",
        ],
        "invalid_value",
        2,
    );
    assert_eq!(repo.issue_files(), files, "no issue file was written");
    assert_eq!(repo.event_count(), events, "no event was appended");
    assert_eq!(std::fs::read(repo.issue_path(&a)).unwrap(), a_bytes);
}

const GARBAGE_ID: &str = "01ARZ3NDEKTSV4RRFFQ69G5FAV";

#[test]
fn a_corrupt_issue_file_is_reported_and_the_rest_stays_usable() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    let bad = repo.issues_dir().join(format!("{GARBAGE_ID}.json"));
    std::fs::write(&bad, b"{ this is not json").unwrap();

    let (v, c) = repo.json(&["issue", "show", GARBAGE_ID]);
    assert_eq!(
        (v["error"]["code"].as_str(), c),
        (Some("corrupt_file"), 8),
        "{v:#}"
    );
    let path = v["error"]["details"]["path"].as_str().unwrap();
    assert!(path.ends_with(&format!("{GARBAGE_ID}.json")), "{path}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains(GARBAGE_ID),
        "the message names the file"
    );

    let out = repo
        .cmd()
        .args(["issue", "list", "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    let page = ListPage::from_value(&crate::common::parse_one_object(&out));
    let mut listed: Vec<String> = page
        .issues
        .iter()
        .map(|i| i["short_id"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(listed, want);
    assert_eq!(page.problems.len(), 1);
    assert_eq!(page.problems[0].code, "corrupt_file");
    assert!(
        page.problems[0]
            .path
            .ends_with(&format!("{GARBAGE_ID}.json"))
    );
    assert!(
        stderr(&out).contains("warning") && stderr(&out).contains(GARBAGE_ID),
        "stderr warns: {}",
        stderr(&out)
    );

    // Human output too: the table on stdout, the warning on stderr.
    let out = repo.jit(&["issue", "list"]);
    assert_ok(&out);
    assert!(stdout(&out).contains(&a) && !stdout(&out).contains(GARBAGE_ID));
    assert!(stderr(&out).contains(GARBAGE_ID));

    // A file whose id does not match its name is corrupt too.
    let mut moved = repo.read_issue(&a);
    moved["id"] = json!(MISSING_ID);
    std::fs::write(&bad, serde_json::to_vec_pretty(&moved).unwrap()).unwrap();
    repo.err(&["issue", "show", GARBAGE_ID], "corrupt_file", 8);
}

#[test]
fn deleting_an_issue_others_depend_on_needs_force() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    let c = repo.create("c", &["--parent", &a]);
    assert_eq!(repo.state(&b), "backlog");
    let d = repo.err(&["issue", "delete", &a], "has_dependents", 4);
    let mut deps = strings(&d["dependents"]);
    deps.sort();
    let mut want = vec![b.clone(), c.clone()];
    want.sort();
    assert_eq!(deps, want);
    assert!(repo.issue_path(&a).is_file(), "nothing was deleted");

    let full_a = repo.full_id(&a);
    let v = repo.ok(&["issue", "delete", &a, "--force"]);
    let d: crate::contract::Deleted = crate::contract::parse(&v);
    assert_eq!(d.unlinked.len(), 2);
    assert!(!repo.issues_dir().join(format!("{full_a}.json")).exists());
    let b_now = IssueView::from_value(&repo.show(&b));
    assert!(b_now.dependencies.is_empty(), "the link is gone");
    assert_eq!(
        b_now.state,
        crate::contract::State::Ready,
        "with no dependencies left it is ready"
    );
    assert_eq!(IssueView::from_value(&repo.show(&c)).parent, None);
    assert!(repo.ok(&["validate"])["ok"].as_bool().unwrap());
}

#[test]
fn every_mutation_appends_exactly_one_event_for_its_issue() {
    let repo = Repo::new();
    repo.define_gate("lint", &["--auto"]);
    let other = repo.create("other", &[]);
    let steps: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["issue", "create", "--title", "subject"],
            "issue.created",
        ),
        (
            vec!["issue", "update", "{id}", "--title", "renamed"],
            "issue.updated",
        ),
        (
            vec![
                "issue",
                "update",
                "{id}",
                "--context",
                "k=v",
                "--priority",
                "high",
            ],
            "issue.updated",
        ),
        (vec!["dep", "add", "{id}", "--on", &other], "dep.added"),
        (vec!["dep", "rm", "{id}", "--on", &other], "dep.removed"),
        (vec!["gate", "add", "{id}", "lint"], "gate.added"),
        (
            vec!["issue", "update", "{id}", "--state", "in_progress"],
            "issue.state_changed",
        ),
        (vec!["gate", "fail", "{id}", "lint"], "gate.failed"),
        (
            vec!["--actor", "ci:github", "gate", "pass", "{id}", "lint"],
            "gate.passed",
        ),
        (
            vec!["issue", "update", "{id}", "--state", "archived"],
            "issue.state_changed",
        ),
        (vec!["issue", "delete", "{id}"], "issue.deleted"),
    ];
    let mut id = String::new();
    for (args, kind) in steps {
        let args: Vec<String> = args.iter().map(|a| a.replace("{id}", &id)).collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let before = repo.event_count();
        let v = repo.ok(&args);
        if id.is_empty() {
            id = v["short_id"].as_str().unwrap().to_string();
        }
        let events = repo.events();
        assert_eq!(events.len(), before + 1, "jit {args:?} appends one event");
        let e = events.last().unwrap();
        assert_eq!(e["type"], kind, "jit {args:?}: {e}");
        assert!(
            e["issue"]
                .as_str()
                .is_some_and(|i| is_ulid(i) && i.ends_with(&id.to_ascii_uppercase())),
            "{e}"
        );
        assert!(is_ulid(e["id"].as_str().unwrap()), "{e}");
        assert!(is_timestamp(e["ts"].as_str().unwrap()), "{e}");
        let actor = if args.contains(&"ci:github") {
            "ci:github"
        } else {
            crate::common::ACTOR
        };
        assert_eq!(e["actor"], actor);
    }
    // The update event says what changed.
    let renamed = repo
        .events()
        .into_iter()
        .find(|e| e["type"] == "issue.updated")
        .unwrap();
    assert_eq!(
        renamed["changes"],
        json!([{ "field": "title", "before": "subject", "after": "renamed" }])
    );
    // Events are distinct and in order.
    let ids: Vec<String> = repo
        .events()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(ids, sorted);
}

#[test]
fn a_stale_if_version_is_refused_and_changes_nothing() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    repo.ok(&["issue", "update", &a, "--title", "a2", "--if-version", "1"]);
    let bytes = std::fs::read(repo.issue_path(&a)).unwrap();
    let events = repo.event_count();
    let d = repo.err(
        &["issue", "update", &a, "--title", "a3", "--if-version", "1"],
        "version_conflict",
        4,
    );
    assert_eq!(
        (d["expected"].as_u64(), d["actual"].as_u64()),
        (Some(1), Some(2))
    );
    repo.err(
        &["issue", "delete", &a, "--if-version", "1"],
        "version_conflict",
        4,
    );
    repo.err(
        &[
            "dep",
            "add",
            &a,
            "--on",
            &repo.create("b", &[]),
            "--if-version",
            "1",
        ],
        "version_conflict",
        4,
    );
    assert_eq!(
        std::fs::read(repo.issue_path(&a)).unwrap(),
        bytes,
        "the file is unchanged"
    );
    assert_eq!(
        repo.event_count(),
        events + 1,
        "only the create of b was logged"
    );
    let v = repo.ok(&["issue", "update", &a, "--title", "a3", "--if-version", "2"]);
    assert_eq!(v["version"], 3);
}

#[test]
fn unknown_fields_survive_an_update() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    repo.edit_issue(&a, |v| {
        v["x_future_field"] = json!({ "nested": [1, 2, 3], "s": "keep" });
        v["aaa_first"] = json!(true);
    });
    repo.ok(&["issue", "update", &a, "--title", "changed"]);
    let stored = repo.read_issue(&a);
    assert_eq!(stored["title"], "changed");
    assert_eq!(
        stored["x_future_field"],
        json!({ "nested": [1, 2, 3], "s": "keep" })
    );
    assert_eq!(stored["aaa_first"], json!(true));
    // And through a state change with a cascade.
    let b = repo.create("b", &["--dep", &a]);
    repo.edit_issue(&b, |v| v["x_other"] = json!("here"));
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    assert_eq!(repo.state(&b), "ready");
    assert_eq!(repo.read_issue(&b)["x_other"], "here");
}

#[test]
fn an_update_that_changes_nothing_rewrites_nothing() {
    let repo = Repo::new();
    let a = repo.create("same", &["--priority", "high", "--label", "x"]);
    let bytes = std::fs::read(repo.issue_path(&a)).unwrap();
    for args in [
        vec!["issue", "update", &a, "--title", "same"],
        vec![
            "issue",
            "update",
            &a,
            "--priority",
            "high",
            "--add-label",
            "x",
        ],
        vec!["issue", "update", &a, "--remove-label", "absent"],
        vec!["issue", "update", &a, "--state", "ready"],
        vec!["dep", "rm", &a, "--on", &a],
    ] {
        let (v, _) = repo.json(&args);
        if v.get("error").is_none() {
            assert_eq!(v["version"], 1, "jit {args:?} does not bump the version");
        }
        assert_eq!(
            std::fs::read(repo.issue_path(&a)).unwrap(),
            bytes,
            "jit {args:?} changes no byte"
        );
    }
}

#[test]
fn an_update_that_changes_nothing_logs_nothing() {
    let repo = Repo::new();
    let a = repo.create("same", &[]);
    let events = repo.event_count();
    repo.ok(&["issue", "update", &a, "--title", "same"]);
    assert_eq!(
        repo.event_count(),
        events,
        "events.jsonl churns on a no-op: {:#?}",
        repo.events().last()
    );
}

#[test]
fn files_are_canonical_pretty_json() {
    let repo = Repo::new();
    repo.define_gate("review", &["--checker", "true"]);
    let x = repo.create("x", &[]);
    let y = repo.create("y", &[]);
    let a = repo.create(
        "a",
        &[
            "--dep",
            &y,
            "--dep",
            &x,
            "--label",
            "zeta",
            "--label",
            "alpha",
            "--gate",
            "review",
            "--context",
            "b=2",
            "--context",
            "a=1",
        ],
    );
    for p in [
        repo.issue_path(&a),
        repo.jit_dir().join("config.json"),
        repo.jit_dir().join("gates.json"),
    ] {
        assert_pretty(&p);
    }
    let text = std::fs::read_to_string(repo.issue_path(&a)).unwrap();
    assert!(
        text.starts_with("{\n  \"id\": \""),
        "the id comes first:\n{text}"
    );
    let stored = repo.read_issue(&a);
    let deps = strings(&stored["dependencies"]);
    let mut sorted = deps.clone();
    sorted.sort();
    assert_eq!(deps, sorted, "dependencies are stored sorted");
    assert_eq!(strings(&stored["labels"]), ["alpha", "zeta"]);
    assert!(
        text.find("\"a\": \"1\"").unwrap() < text.find("\"b\": \"2\"").unwrap(),
        "context keys are sorted"
    );
    // Every event is one line of JSON.
    let log = std::fs::read_to_string(repo.jit_dir().join("events.jsonl")).unwrap();
    assert!(log.ends_with('\n'));
    for line in log.lines() {
        assert!(serde_json::from_str::<Value>(line).unwrap().is_object());
    }
}

#[test]
fn list_pages_through_every_issue_exactly_once() {
    let repo = Repo::new();
    let all: Vec<String> = (0..5)
        .map(|n| repo.create(&format!("issue {n}"), &[]))
        .collect();
    let full = repo.ok(&["issue", "list"]);
    assert_eq!(short_ids(&full), all, "list is oldest first");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut args = vec!["issue", "list", "--limit", "2"];
        if let Some(c) = &cursor {
            args.extend(["--cursor", c]);
        }
        let v = repo.ok(&args);
        let page = ListPage::from_value(&v);
        assert_eq!(page.total, 5);
        assert!(page.issues.len() <= 2);
        seen.extend(short_ids(&v));
        pages += 1;
        assert!(pages <= 5, "paging terminates");
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, all);
    // The human output says how to continue.
    let out = repo.jit(&["issue", "list", "--limit", "2"]);
    assert!(stdout(&out).contains("--cursor"), "{}", stdout(&out));
}

#[test]
fn list_since_filters_by_update_time() {
    let repo = Repo::new();
    let old_env = [("JIT_NOW", "2020-01-01T00:00:00Z")];
    let mut old = Vec::new();
    for t in ["old 1", "old 2"] {
        let out = repo.jit_env(&["issue", "create", "--title", t, "--json"], &old_env);
        assert_ok(&out);
        old.push(
            crate::common::parse_one_object(&out)["short_id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(repo.show(&old[0])["updated_at"], "2020-01-01T00:00:00.000Z");
    let new = repo.create("new", &[]);
    assert_eq!(
        short_ids(&repo.ok(&["issue", "list", "--since", "2021-01-01"])),
        vec![new.clone()]
    );
    assert_eq!(
        short_ids(&repo.ok(&["issue", "list", "--since", "2021-01-01T00:00:00Z"])),
        vec![new.clone()]
    );
    assert_eq!(
        short_ids(&repo.ok(&["issue", "list", "--since", "2019-12-31"])).len(),
        3
    );
    // Relative spans count back from JIT_NOW.
    let at_2020 = |args: &[&str]| {
        let mut a = args.to_vec();
        a.push("--json");
        let out = repo.jit_env(&a, &[("JIT_NOW", "2020-01-02T00:00:00Z")]);
        assert_ok(&out);
        crate::common::parse_one_object(&out)
    };
    assert_eq!(
        short_ids(&at_2020(&["issue", "list", "--since", "2d"])).len(),
        3
    );
    assert_eq!(
        short_ids(&at_2020(&["issue", "list", "--since", "1h"])),
        vec![new.clone()]
    );
    // Updating an old issue brings it into the window.
    repo.ok(&["issue", "update", &old[1], "--title", "old 2, touched"]);
    assert_eq!(
        short_ids(&repo.ok(&["issue", "list", "--since", "2021-01-01"])),
        vec![old[1].clone(), new.clone()]
    );
    // `--since` and `--limit` compose: total counts the filtered set.
    let v = repo.ok(&["issue", "list", "--since", "2021-01-01", "--limit", "1"]);
    assert_eq!(v["total"], 2);
    assert_eq!(short_ids(&v), vec![old[1].clone()]);
}

#[test]
fn control_characters_in_user_text_never_reach_the_terminal_raw() {
    let repo = Repo::new();
    let a = repo.create(
        "ctl",
        &[
            "--desc",
            "line1\rOVERWRITTEN",
            "--context",
            "k=a\rb\nfake: line",
        ],
    );
    // Stored as given (JSON escapes them)...
    assert_eq!(repo.show(&a)["description"], "line1\rOVERWRITTEN");
    // ...but the human view shows them escaped.
    let out = repo.jit(&["issue", "show", &a]);
    assert_ok(&out);
    let text = stdout(&out);
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "raw control character in {text:?}"
    );
    assert!(
        !text.lines().any(|l| l.starts_with("fake: line")),
        "a context value cannot forge a line: {text}"
    );
}

#[test]
fn show_related_of_a_parent_includes_its_progress() {
    let repo = Repo::new();
    let parent = repo.create("parent", &[]);
    let child = repo.create("child", &["--parent", &parent]);
    repo.create("child 2", &["--parent", &parent]);
    repo.ok(&["issue", "update", &child, "--state", "done"]);
    let listed = repo.ok(&["issue", "list", "--full"])["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["short_id"] == parent.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["progress"], json!({ "done": 1, "total": 2 }));
    assert_eq!(
        repo.ok(&["issue", "show", &parent, "--related"])["progress"],
        json!({ "done": 1, "total": 2 }),
        "show --related agrees with list"
    );
    // --related also lists the sub-tasks (found through the summary index).
    let related = repo.ok(&["issue", "show", &parent, "--related"]);
    assert_eq!(related["subtasks"].as_array().map(Vec::len), Some(2));
    assert_eq!(related["subtasks"][0]["state"], "done");
    // Plain `show --json` reads one file: no progress; people see the sub-tasks (terminal.rs).
    let shown = repo.show(&parent);
    assert!(shown.get("progress").is_none() && shown.get("subtasks").is_none());
    assert!(stdout(&repo.jit(&["issue", "show", &parent])).contains("sub-tasks (1/2 done):"));
    assert!(
        repo.ok(&["issue", "show", &child, "--related"])
            .get("progress")
            .is_none()
    );
}

#[test]
fn a_store_with_another_schema_version_is_refused() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let config = repo.jit_dir().join("config.json");
    let original = std::fs::read(&config).unwrap();
    for version in [99, 0] {
        let mut v: Value = serde_json::from_slice(&original).unwrap();
        v["schema_version"] = json!(version);
        std::fs::write(&config, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
        let before = tree(&repo.jit_dir());
        let d = repo.err(&["issue", "list"], "schema_version", 8);
        assert_eq!(d["found"], version);
        repo.err(
            &["issue", "update", &a, "--title", "x"],
            "schema_version",
            8,
        );
        repo.err(&["init"], "schema_version", 8);
        assert_eq!(
            tree(&repo.jit_dir()),
            before,
            "nothing is migrated silently"
        );
    }
    std::fs::write(&config, b"{ not json").unwrap();
    let d = repo.err(&["issue", "list"], "corrupt_file", 8);
    assert!(d["path"].as_str().unwrap().ends_with("config.json"));
}

/// `JIT_SEED` with `JIT_NOW` makes ids reproducible: two fresh stores get the same issue ids.
#[test]
fn a_seed_and_a_pinned_clock_give_the_same_ids_every_run() {
    let env = [("JIT_SEED", "demo"), ("JIT_NOW", "2030-01-01T00:00:00Z")];
    let ids: Vec<String> = (0..2)
        .map(|_| {
            let repo = Repo::new();
            let out = repo.jit_env(&["issue", "create", "--title", "Same", "--json"], &env);
            assert_ok(&out);
            crate::common::parse_one_object(&out)["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids[0], ids[1]);
    let other = Repo::new();
    let out = other.jit_env(
        &["issue", "create", "--title", "Other", "--json"],
        &[("JIT_NOW", "2030-01-01T00:00:00Z")],
    );
    assert_ne!(
        crate::common::parse_one_object(&out)["id"]
            .as_str()
            .unwrap(),
        ids[0],
        "without a seed ids stay random"
    );
}
