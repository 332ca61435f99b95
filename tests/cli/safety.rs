//! Nothing lost, nothing broken: processes killed with SIGKILL at random moments, a soak of
//! mixed concurrent mutations checked against the event log, hostile files and hostile text.

use crate::common::{Repo, code, jit_cmd, parse_one_object, stdout};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A small deterministic generator (splitmix64), so a failing run can be replayed by its seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Every file under `.jit/issues/` that is named like an issue parses as JSON.
fn assert_issue_files_parse(repo: &Repo) {
    for name in repo.issue_files() {
        if name.starts_with('.') {
            continue; // a temp file from a killed write: never read as an issue
        }
        let bytes = std::fs::read(repo.issues_dir().join(&name)).unwrap();
        serde_json::from_slice::<Value>(&bytes)
            .unwrap_or_else(|e| panic!("{name} is not valid JSON after a crash: {e}"));
    }
}

/// Runs a jit mutation with a deadline: the lock must never stay stuck.
fn run_with_deadline(repo: &Repo, args: &[&str]) -> std::process::Output {
    let mut child = jit_cmd(repo.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("jit {args:?} did not finish in 30 s: the store lock is stuck");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn sigkill_at_random_moments_loses_nothing_that_reported_success() {
    let repo = Repo::new();
    repo.ok(&[
        "gate",
        "define",
        "slow",
        "--title",
        "Slow check",
        "--auto",
        "--checker",
        "sleep 0.02",
    ]);
    let seeds: Vec<String> = (0..6)
        .map(|i| repo.create(&format!("seed {i}"), &[]))
        .collect();
    let gated = repo.create("gated work", &["--gate", "slow"]);
    repo.ok(&["issue", "update", &gated, "--state", "done"]);
    let mut rng = Rng::new(0x5EED_0001);
    let mut created: Vec<String> = Vec::new();
    let mut context: Vec<(String, String, String)> = Vec::new();
    let mut claimed: Vec<String> = Vec::new();
    let mut killed = 0;
    for round in 0..40 {
        let key = format!("k{round}");
        let val = format!("v{round}");
        let target = seeds[rng.below(seeds.len() as u64) as usize].clone();
        let title = format!("crash {round}");
        let args: Vec<String> = match rng.below(6) {
            5 => vec![
                "issue".into(),
                "claim-next".into(),
                "--actor".into(),
                "agent:crash".into(),
            ],
            0 | 1 => vec!["issue".into(), "create".into(), "--title".into(), title],
            2 => vec![
                "issue".into(),
                "update".into(),
                target.clone(),
                "--context".into(),
                format!("{key}={val}"),
            ],
            3 => {
                let other = seeds[rng.below(seeds.len() as u64) as usize].clone();
                vec![
                    "dep".into(),
                    "add".into(),
                    target.clone(),
                    "--on".into(),
                    other,
                ]
            }
            _ => vec!["gate".into(), "check".into(), gated.clone()],
        };
        let mut child = jit_cmd(repo.path())
            .args(&args)
            .arg("--json")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(25_000)));
        let was_running = child.try_wait().unwrap().is_none();
        if was_running {
            let _ = child.kill(); // SIGKILL
            killed += 1;
        }
        let out = child.wait_with_output().unwrap();
        if out.status.success() {
            let v: Value =
                serde_json::from_slice(&out.stdout).expect("a reported success printed its JSON");
            match args[1].as_str() {
                "create" => created.push(v["short_id"].as_str().unwrap().to_string()),
                "update" => context.push((target, key, val)),
                "claim-next" => claimed.push(v["short_id"].as_str().unwrap().to_string()),
                _ => {}
            }
        }
    }
    assert!(
        killed > 5,
        "the test should kill some processes mid-flight (killed {killed})"
    );
    assert_issue_files_parse(&repo);
    // The lock is free: a mutation completes.
    let out = run_with_deadline(
        &repo,
        &["issue", "create", "--title", "after the crashes", "--json"],
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    // Repair what a crash can leave (temp files, a torn event line, a half-done cascade), then clean.
    let out = run_with_deadline(&repo, &["validate", "--fix", "--json"]);
    assert!(matches!(code(&out), 0 | 8), "{}", stdout(&out));
    let (report, c) = repo.json(&["validate"]);
    assert_eq!(c, 0, "validate after --fix: {report:#}");
    assert_eq!(
        report["problems"].as_array().map(Vec::len),
        Some(0),
        "{report:#}"
    );
    // Every mutation that reported success is present.
    for s in &created {
        repo.show(s);
    }
    for c in &claimed {
        assert_eq!(repo.show(c)["assignee"], "agent:crash", "claim of {c}");
    }
    for (id, k, v) in &context {
        assert_eq!(repo.show(id)["context"][k], json!(v), "context {k} on {id}");
    }
}

/// Replays the event log: for every issue, the last recorded `after` of each field is what the
/// file holds. A write that skipped its event, or an event for a write that did not happen,
/// breaks this.
fn assert_events_account_for_files(repo: &Repo) {
    let mut replay: HashMap<String, BTreeMap<String, Value>> = HashMap::new();
    let mut events = repo.events();
    events.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    for e in &events {
        let Some(issue) = e["issue"].as_str() else {
            continue;
        };
        for c in e["changes"].as_array().into_iter().flatten() {
            replay
                .entry(issue.to_string())
                .or_default()
                .insert(c["field"].as_str().unwrap().to_string(), c["after"].clone());
        }
    }
    let mut checked = 0;
    for name in repo.issue_files() {
        let Some(id) = name.strip_suffix(".json") else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let file: Value =
            serde_json::from_slice(&std::fs::read(repo.issues_dir().join(&name)).unwrap()).unwrap();
        let fields = replay
            .get(id)
            .unwrap_or_else(|| panic!("issue {id} has no events"));
        for (field, after) in fields {
            let have = file.get(field).cloned().unwrap_or(Value::Null);
            let empty =
                |v: &Value| v.is_null() || v == &json!([]) || v == &json!({}) || v == &json!("");
            assert!(
                have == *after || (empty(&have) && empty(after)),
                "{id}.{field}: file has {have}, events say {after}"
            );
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn soak_of_mixed_mutations_is_accounted_for_by_the_event_log() {
    let repo = Repo::new();
    repo.ok(&[
        "gate",
        "define",
        "ok",
        "--title",
        "Passes",
        "--auto",
        "--checker",
        "true",
    ]);
    let ids: Vec<String> = (0..10)
        .map(|i| repo.create(&format!("soak {i}"), &["--gate", "ok"]))
        .collect();
    let root = repo.path().to_path_buf();
    let workers: Vec<_> = (0..6u64)
        .map(|w| {
            let root = root.clone();
            let ids = ids.clone();
            std::thread::spawn(move || {
                let mut rng = Rng::new(0xC0FFEE + w);
                let actor = format!("agent:w{w}");
                for n in 0..20 {
                    let id = ids[rng.below(ids.len() as u64) as usize].clone();
                    let other = ids[rng.below(ids.len() as u64) as usize].clone();
                    let args: Vec<String> = match rng.below(9) {
                        0 => vec![
                            "issue".into(),
                            "update".into(),
                            id,
                            "--title".into(),
                            format!("w{w} n{n}"),
                        ],
                        1 => vec![
                            "issue".into(),
                            "update".into(),
                            id,
                            "--priority".into(),
                            ["low", "normal", "high", "critical"][rng.below(4) as usize].into(),
                        ],
                        2 => vec![
                            "issue".into(),
                            "update".into(),
                            id,
                            "--add-label".into(),
                            format!("l{}", rng.below(4)),
                        ],
                        3 => vec!["issue".into(), "claim".into(), id],
                        4 => vec!["issue".into(), "release".into(), id],
                        5 => vec![
                            "issue".into(),
                            "comment".into(),
                            id,
                            "--body".into(),
                            format!("from w{w}"),
                        ],
                        6 => vec![
                            "checklist".into(),
                            "add".into(),
                            id,
                            "--item".into(),
                            format!("item w{w} n{n}"),
                        ],
                        7 => vec!["dep".into(), "add".into(), id, "--on".into(), other],
                        _ => vec![
                            "issue".into(),
                            "update".into(),
                            id,
                            "--context".into(),
                            format!("w{w}=n{n}"),
                        ],
                    };
                    let out = crate::common::jit_cmd(&root)
                        .args(&args)
                        .args(["--actor", &actor, "--json"])
                        .output()
                        .unwrap();
                    // Refusals (blocked, already claimed, cycle...) are fine; crashes are not.
                    assert!(
                        matches!(out.status.code(), Some(0 | 2 | 3 | 4 | 5 | 6)),
                        "{args:?}: {}",
                        String::from_utf8_lossy(&out.stdout)
                    );
                    parse_one_object(&out);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let (report, c) = repo.json(&["validate"]);
    assert_eq!(c, 0, "{report:#}");
    assert_events_account_for_files(&repo);
}

#[test]
fn hostile_files_are_named_and_the_rest_stays_usable() {
    let repo = Repo::new();
    let good = repo.create("good", &[]);
    let victims: Vec<String> = (0..5)
        .map(|i| repo.create(&format!("victim {i}"), &[]))
        .collect();
    let full: Vec<String> = victims.iter().map(|v| repo.full_id(v)).collect();
    // Wrong type, missing field, wrong id inside, a symlink out of the repo, invalid UTF-8.
    repo.edit_issue(&full[0], |v| v["priority"] = json!(7));
    repo.edit_issue(&full[1], |v| {
        v.as_object_mut().unwrap().remove("title");
    });
    let other = repo.full_id(&good);
    repo.edit_issue(&full[2], |v| v["id"] = json!(other));
    let outside = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(outside.path(), br#"{"secret": true}"#).unwrap();
    let link = repo.issues_dir().join(format!("{}.json", full[3]));
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(outside.path(), &link).unwrap();
    std::fs::write(
        repo.issues_dir().join(format!("{}.json", full[4])),
        b"{\"title\": \"\xff\xfe\"}",
    )
    .unwrap();
    for f in &full {
        let d = repo.err(&["issue", "show", f], "corrupt_file", 8);
        assert!(
            d["path"].as_str().unwrap().ends_with(&format!("{f}.json")),
            "{d}"
        );
    }
    let (v, c) = repo.json(&["issue", "show", &full[3]]);
    assert_eq!(c, 8);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("symbolic link"),
        "{v}"
    );
    // The rest of the store works and says what it skipped.
    let list = repo.ok(&["issue", "list"]);
    assert_eq!(list["total"], 1);
    assert_eq!(list["problems"].as_array().unwrap().len(), 5);
    repo.ok(&["issue", "update", &good, "--title", "still works"]);
    let (report, c) = repo.json(&["validate"]);
    assert_eq!(c, 8);
    assert_eq!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["code"] == "corrupt_file")
            .count(),
        5
    );
    // Extra fields are not an error: they are kept.
    repo.edit_issue(&good, |v| v["from_the_future"] = json!({"x": 1}));
    repo.ok(&["issue", "update", &good, "--priority", "high"]);
    assert_eq!(repo.read_issue(&good)["from_the_future"], json!({"x": 1}));
}

#[test]
fn unreadable_file_is_named_when_permissions_deny() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &[]);
    let path = repo.issue_path(&b);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Running as root: permissions do not apply, nothing to test here.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        return;
    }
    let list = repo.ok(&["issue", "list"]);
    assert_eq!(list["total"], 1);
    assert!(
        list["problems"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with(".json")
    );
    repo.show(&a);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
}

#[test]
fn hostile_text_never_reaches_the_terminal_raw() {
    let repo = Repo::new();
    let id = repo.create("plain", &[]);
    let evil = "\u{1b}[2J\u{1b}]0;owned\u{7}\u{202e}txet\u{0}<script>alert(1)</script>";
    repo.edit_issue(&id, |v| {
        v["title"] = json!(evil);
        v["description"] = json!(format!("line\n{evil}"));
        v["labels"] = json!([evil]);
        v["comments"] = json!([{"id": "c1", "author": "human:x", "at": "2026-01-01T00:00:00.000Z", "body": evil}]);
    });
    for args in [
        vec!["issue", "list"],
        vec!["issue", "show", &id],
        vec!["query", "ready"],
        vec!["issue", "context", &id],
    ] {
        let out = repo.jit(&args);
        assert_eq!(code(&out), 0, "{args:?}");
        let text = stdout(&out);
        for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{0}'] {
            if args[1] == "context" && bad == '\n' {
                continue;
            }
            assert!(!text.contains(bad), "{args:?} printed {bad:?} raw:\n{text}");
        }
        // JSON output stays valid and carries the text exactly.
        let (v, c) = repo.json(&args);
        assert_eq!(c, 0);
        assert!(v.to_string().contains("\\u001b"));
    }
}

#[test]
fn size_limits_give_clear_errors() {
    let repo = Repo::new();
    let long_title = "t".repeat(501);
    let d = repo.err(
        &["issue", "create", "--title", &long_title],
        "invalid_value",
        2,
    );
    assert_eq!(d["field"], "title");
    let id = repo.create("ok", &[]);
    let long_label = "l".repeat(201);
    repo.err(
        &["issue", "update", &id, "--add-label", &long_label],
        "invalid_value",
        2,
    );
    // The command line caps one argument at 128 KiB; the stored limit (256 KiB) is checked on
    // hand-edited files by `validate`-free reading: a 1 MB description is read and printed intact.
    let big = "x".repeat(1024 * 1024);
    repo.edit_issue(&id, |v| v["description"] = json!(big));
    let v = repo.show(&id);
    assert_eq!(v["description"].as_str().map(str::len), Some(1024 * 1024));
    let desc = "d".repeat(100 * 1024);
    repo.ok(&["issue", "update", &id, "--desc", &desc]);
    // A title with control characters or a line break is refused, not stored.
    repo.err(
        &["issue", "update", &id, "--title", "two\nlines"],
        "invalid_value",
        2,
    );
    repo.err(
        &["issue", "comment", &id, "--body", "bell\u{7}"],
        "invalid_value",
        2,
    );
}

/// A soak of hostile actors: agents, CI and a person race to claim, move, take and drop ten
/// issues. Replaying the event log afterwards, every move of an issue someone held was made by
/// its holder, or forced by a human and recorded as `forced_from`: the holder rule is never
/// walked around, whatever the interleaving.
#[test]
fn soak_of_hostile_actors_never_moves_a_held_issue_behind_its_holder() {
    let repo = Repo::new();
    let ids: Vec<String> = (0..10)
        .map(|i| repo.create(&format!("contested {i}"), &[]))
        .collect();
    let root = repo.path().to_path_buf();
    let actors = [
        "agent:a",
        "agent:b",
        "agent:intruder",
        "ci:github",
        "human:lead",
        "agent:c",
    ];
    let workers: Vec<_> = actors
        .iter()
        .enumerate()
        .map(|(w, actor)| {
            let (root, ids, actor) = (root.clone(), ids.clone(), actor.to_string());
            std::thread::spawn(move || {
                let mut rng = Rng::new(0xA11CE + w as u64);
                for _ in 0..25 {
                    let id = ids[rng.below(ids.len() as u64) as usize].clone();
                    let s = |v: &str| v.to_string();
                    let mut args: Vec<String> = match rng.below(9) {
                        0 | 1 => vec![s("issue"), s("claim"), id, s("--ttl"), s("1h")],
                        2 => vec![s("issue"), s("release"), id],
                        3 => vec![s("issue"), s("update"), id, s("--state"), s("done")],
                        4 => vec![s("issue"), s("update"), id, s("--state"), s("in_progress")],
                        5 => vec![s("issue"), s("assign"), id, s("--to"), actor.clone()],
                        6 => vec![s("issue"), s("unassign"), id],
                        7 => vec![s("issue"), s("reopen"), id, s("--reason"), s("again")],
                        _ => vec![s("issue"), s("heartbeat"), id],
                    };
                    if rng.below(3) == 0 {
                        args.push(s("--force"));
                    }
                    if args[1] == "heartbeat" || args[1] == "reopen" || args[1] == "claim" {
                        args.retain(|a| a != "--force");
                    }
                    let out = crate::common::jit_cmd(&root)
                        .args(&args)
                        .args(["--actor", &actor, "--json"])
                        .output()
                        .unwrap();
                    assert!(
                        matches!(out.status.code(), Some(0 | 2 | 4 | 5 | 6)),
                        "{args:?}: {}",
                        String::from_utf8_lossy(&out.stdout)
                    );
                    parse_one_object(&out);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    // Replay: who held each issue before each event, and whether the event moved it.
    let mut events = repo.events();
    events.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let mut holder: HashMap<String, Option<String>> = HashMap::new();
    let mut state: HashMap<String, String> = HashMap::new();
    let mut checked = 0;
    for e in &events {
        let Some(issue) = e["issue"].as_str() else {
            continue;
        };
        let change = |f: &str| {
            e["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["field"] == f)
                .map(|c| c["after"].clone())
        };
        let st = state.get(issue).cloned().unwrap_or_default();
        let held = holder
            .get(issue)
            .cloned()
            .flatten()
            .filter(|_| st != "done" && st != "archived");
        let new_state = change("state").and_then(|v| v.as_str().map(str::to_string));
        let derived = |s: &str| s == "backlog" || s == "ready";
        let moves = change("assignee").is_some()
            || change("lease").is_some()
            || new_state
                .as_deref()
                .is_some_and(|n| !(derived(n) && derived(&st)));
        if let Some(h) = &held
            && moves
            && e["actor"] != h.as_str()
        {
            checked += 1;
            assert!(
                e["actor"].as_str().unwrap().starts_with("human:"),
                "a non-human moved `{issue}` held by {h}: {e}"
            );
            assert_eq!(
                e["data"]["forced_from"],
                h.as_str(),
                "unrecorded force: {e}"
            );
        }
        if let Some(a) = change("assignee") {
            holder.insert(issue.to_string(), a.as_str().map(str::to_string));
        }
        if let Some(s) = new_state {
            state.insert(issue.to_string(), s);
        }
    }
    assert!(
        events.len() > 40,
        "the soak did something: {} events",
        events.len()
    );
    eprintln!("{checked} forced moves checked");
    let (report, c) = repo.json(&["validate"]);
    assert_eq!(c, 0, "{report:#}");
}
