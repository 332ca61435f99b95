//! `jit validate`: a clean store passes; each kind of hand or merge damage is reported with its
//! code and a non-zero exit; `--fix` repairs what is safe and reports what remains.

use crate::common::{MISSING_ID, Repo, code, stdout};
use crate::contract::ValidateReport;
use serde_json::json;

/// Runs `validate` (with `args`), returning the report and the exit code.
fn validate(repo: &Repo, args: &[&str]) -> (ValidateReport, i32) {
    let mut a = vec!["validate"];
    a.extend_from_slice(args);
    let (v, c) = repo.json(&a);
    (ValidateReport::from_value(&v), c)
}

/// Asserts that plain `validate` reports `want` (and only problems with codes in `allowed`
/// besides) and exits 8.
fn assert_reported(repo: &Repo, want: &str, allowed: &[&str]) -> ValidateReport {
    let (r, c) = validate(repo, &[]);
    assert!(
        r.problems.iter().any(|p| p.code == want),
        "`{want}` not reported: {r:#?}"
    );
    for p in &r.problems {
        assert!(
            p.code == want || allowed.contains(&p.code.as_str()),
            "unexpected problem {p:#?}"
        );
        assert!(!p.fixed);
        assert!(!p.message.is_empty());
    }
    assert_eq!((r.ok, c), (false, 8), "{r:#?}");
    r
}

#[test]
fn a_clean_store_is_ok() {
    let repo = Repo::new();
    repo.define_gate("g", &[]);
    let a = repo.create("a", &["--gate", "g"]);
    let b = repo.create("b", &["--dep", &a]);
    repo.create("c", &["--dep", &b, "--parent", &a]);
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    let (r, c) = validate(&repo, &[]);
    assert_eq!((r.ok, c), (true, 0), "{r:#?}");
    assert!(r.problems.is_empty());
    assert_eq!(r.issues_checked, 3);
    assert_eq!(r.events_checked, repo.event_count());
    let out = repo.jit(&["validate"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).starts_with("ok"), "{}", stdout(&out));
}

#[test]
fn a_dangling_dependency_is_reported_and_fixed() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    repo.edit_issue(&a, |v| v["dependencies"] = json!([MISSING_ID]));
    let r = assert_reported(&repo, "dangling_dependency", &["state_mismatch"]);
    let p = r
        .problems
        .iter()
        .find(|p| p.code == "dangling_dependency")
        .unwrap();
    assert_eq!(p.id.as_deref(), Some(repo.full_id(&a).as_str()));
    assert!(p.fixable);
    // Validation writes nothing.
    let bytes = std::fs::read(repo.issue_path(&a)).unwrap();
    validate(&repo, &[]);
    assert_eq!(std::fs::read(repo.issue_path(&a)).unwrap(), bytes);

    let (r, c) = validate(&repo, &["--fix"]);
    assert_eq!((r.ok, c), (true, 0), "{r:#?}");
    assert!(r.fixed >= 1);
    assert!(
        r.problems
            .iter()
            .any(|p| p.code == "dangling_dependency" && p.fixed)
    );
    assert!(
        repo.read_issue(&a)["dependencies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(repo.events().last().unwrap()["type"], "issue.repaired");
    assert_eq!(validate(&repo, &[]).1, 0);
}

#[test]
fn a_self_dependency_is_reported_and_fixed() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let full = repo.full_id(&a);
    repo.edit_issue(&a, |v| v["dependencies"] = json!([full]));
    assert_reported(&repo, "self_dependency", &["cycle", "state_mismatch"]);
    let (r, c) = validate(&repo, &["--fix"]);
    assert_eq!((r.ok, c), (true, 0), "{r:#?}");
    assert!(
        repo.read_issue(&a)["dependencies"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(validate(&repo, &[]).1, 0);
}

#[test]
fn a_hand_made_cycle_is_reported_and_not_fixed() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    let c = repo.create("c", &["--dep", &b]);
    let full_c = repo.full_id(&c);
    repo.edit_issue(&a, |v| {
        v["dependencies"] = json!([full_c]);
        v["state"] = json!("backlog");
    });
    let r = assert_reported(&repo, "cycle", &[]);
    let p = r.problems.iter().find(|p| p.code == "cycle").unwrap();
    for s in [&a, &b, &c] {
        assert!(
            p.message.contains(s.as_str()),
            "the message names every issue in the cycle: {}",
            p.message
        );
    }
    assert!(!p.fixable);
    let (r, code) = validate(&repo, &["--fix"]);
    assert_eq!((r.ok, code), (false, 8));
    assert!(r.open_codes().contains(&"cycle"));
    assert_eq!(
        repo.read_issue(&a)["dependencies"],
        json!([full_c]),
        "--fix does not guess which edge to drop"
    );
    // Graph commands that need an order report the cycle instead of looping.
    repo.err(&["graph", "order"], "cycle", 4);
    // Removing one edge by hand through jit repairs it.
    repo.ok(&["dep", "rm", &a, "--on", &c]);
    let (r, code) = validate(&repo, &[]);
    assert_eq!((r.ok, code), (true, 0), "{r:#?}");
}

#[test]
fn an_unknown_gate_is_reported_and_not_fixed() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    repo.edit_issue(&a, |v| {
        v["gates_required"] = json!(["ghost"]);
        v["gates_status"] = json!({ "ghost": { "status": "pending" } });
    });
    let r = assert_reported(&repo, "unknown_gate", &[]);
    assert!(!r.problems[0].fixable);
    let (r, c) = validate(&repo, &["--fix"]);
    assert_eq!((r.ok, c), (false, 8));
    assert_eq!(r.open_codes(), ["unknown_gate"]);
    // Defining the gate resolves it.
    repo.define_gate("ghost", &[]);
    assert_eq!(validate(&repo, &[]).1, 0);
}

#[test]
fn a_state_that_contradicts_the_dependencies_is_reported_and_fixed() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    let lone = repo.create("lone", &[]);
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    repo.edit_issue(&b, |v| v["state"] = json!("backlog"));
    repo.edit_issue(&lone, |v| v["state"] = json!("backlog"));
    let r = assert_reported(&repo, "state_mismatch", &[]);
    assert_eq!(r.problems.len(), 2, "{r:#?}");
    let (r, c) = validate(&repo, &["--fix"]);
    assert_eq!((r.ok, c), (true, 0), "{r:#?}");
    assert_eq!(repo.state(&b), "ready");
    assert_eq!(repo.state(&lone), "ready");
    // And the other way: ready while a dependency is open.
    let d = repo.create("d", &[]);
    let e = repo.create("e", &["--dep", &d]);
    repo.edit_issue(&e, |v| v["state"] = json!("ready"));
    assert_reported(&repo, "state_mismatch", &[]);
    validate(&repo, &["--fix"]);
    assert_eq!(repo.state(&e), "backlog");
    assert_eq!(validate(&repo, &[]).1, 0);
}

#[test]
fn a_torn_event_line_is_reported_and_fixed() {
    let repo = Repo::new();
    repo.create("a", &[]);
    let log = repo.jit_dir().join("events.jsonl");
    let good = repo.events();
    let mut bytes = std::fs::read(&log).unwrap();
    bytes.extend_from_slice(b"{\"id\":\"01K");
    std::fs::write(&log, &bytes).unwrap();
    let (r, _) = validate(&repo, &[]);
    let p = r
        .problems
        .iter()
        .find(|p| p.code == "torn_event")
        .unwrap_or_else(|| panic!("{r:#?}"));
    assert!(p.fixable);
    assert!(p.path.as_deref().unwrap().ends_with("events.jsonl"));
    assert_eq!(
        r.events_checked,
        good.len(),
        "the good lines are still read"
    );
    let (r, c) = validate(&repo, &["--fix"]);
    assert_eq!((r.ok, c), (true, 0), "{r:#?}");
    assert!(r.problems.iter().any(|p| p.code == "torn_event" && p.fixed));
    assert_eq!(
        repo.events(),
        good,
        "every good line is kept, the torn one is gone"
    );
    assert!(validate(&repo, &[]).0.problems.is_empty());
}

#[test]
fn an_append_after_a_torn_line_starts_a_fresh_line() {
    let repo = Repo::new();
    repo.create("a", &[]);
    let log = repo.jit_dir().join("events.jsonl");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes.extend_from_slice(b"{\"id\":\"01K");
    std::fs::write(&log, &bytes).unwrap();
    let b = repo.create("b", &[]);
    assert_eq!(
        repo.ok(&["issue", "list"])["total"],
        2,
        "readers tolerate the broken line"
    );
    let text = std::fs::read_to_string(&log).unwrap();
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().unwrap()).expect("the new event is a whole line");
    assert_eq!(last["type"], "issue.created");
    assert_eq!(last["issue"].as_str(), Some(repo.full_id(&b).as_str()));
    // The broken line is now in the middle: still reported, still repaired.
    let (r, _) = validate(&repo, &[]);
    assert!(
        r.problems
            .iter()
            .any(|p| p.code == "bad_event" || p.code == "torn_event"),
        "{r:#?}"
    );
    validate(&repo, &["--fix"]);
    assert_eq!(repo.event_count(), 2);
    assert!(validate(&repo, &[]).0.problems.is_empty());
}

#[test]
fn a_leftover_temp_file_is_reported_and_removed() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let tmp = repo
        .issues_dir()
        .join(format!(".{}.json.x1y2z3.tmp", repo.full_id(&a)));
    std::fs::write(&tmp, b"{\"partial\":").unwrap();
    let (r, _) = validate(&repo, &[]);
    let p = r
        .problems
        .iter()
        .find(|p| p.code == "temp_file")
        .unwrap_or_else(|| panic!("{r:#?}"));
    assert!(p.fixable);
    // It is never read as an issue.
    assert_eq!(repo.ok(&["issue", "list"])["total"], 1);
    let (r, c) = validate(&repo, &["--fix"]);
    assert_eq!((r.ok, c), (true, 0));
    assert!(!tmp.exists());
    assert!(validate(&repo, &[]).0.problems.is_empty());
}

#[test]
fn a_leftover_temp_file_is_a_warning_and_a_torn_event_line_an_error() {
    let repo = Repo::new();
    repo.create("a", &[]);
    std::fs::write(repo.issues_dir().join(".X.json.tmp"), b"").unwrap();
    let (r, c) = validate(&repo, &[]);
    assert_eq!((r.ok, c), (true, 0), "{r:#?}");
    assert!(r.problems.iter().any(|p| p.code == "temp_file"));
    let mut log = std::fs::read(repo.jit_dir().join("events.jsonl")).unwrap();
    log.extend_from_slice(b"{\"torn");
    std::fs::write(repo.jit_dir().join("events.jsonl"), log).unwrap();
    let (r, c) = validate(&repo, &[]);
    assert_eq!((r.ok, c), (false, 8), "{r:#?}");
}

#[test]
fn a_directory_named_like_an_issue_is_reported() {
    let repo = Repo::new();
    repo.create("a", &[]);
    let dir = repo.issues_dir().join("01ARZ3NDEKTSV4RRFFQ69G5FAV.json");
    std::fs::create_dir(&dir).unwrap();
    let r = assert_reported(&repo, "stray_file", &[]);
    assert!(
        r.problems[0]
            .path
            .as_deref()
            .unwrap()
            .ends_with("01ARZ3NDEKTSV4RRFFQ69G5FAV.json")
    );
    // Other commands keep working and say so.
    let page = crate::contract::ListPage::from_value(&repo.ok(&["issue", "list"]));
    assert_eq!((page.total, page.problems.len()), (1, 1));
    // --fix does not delete a directory it does not understand.
    let (r, c) = validate(&repo, &["--fix"]);
    assert_eq!((r.ok, c), (false, 8));
    assert!(dir.is_dir());
}

#[test]
fn fix_repairs_everything_fixable_at_once_and_reports_the_rest() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let b = repo.create("b", &["--dep", &a]);
    let c = repo.create("c", &[]);
    let d = repo.create("d", &["--dep", &c]);
    let e = repo.create("e", &[]);
    let (fb, fd) = (repo.full_id(&b), repo.full_id(&d));
    repo.edit_issue(&a, |v| v["dependencies"] = json!([fb])); // cycle a <-> b
    repo.edit_issue(&c, |v| v["dependencies"] = json!([MISSING_ID])); // dangling
    repo.edit_issue(&d, |v| v["dependencies"] = json!([fd])); // self
    repo.edit_issue(&e, |v| {
        v["gates_required"] = json!(["ghost"]);
        v["gates_status"] = json!({});
    });
    std::fs::write(repo.issues_dir().join(".junk.json.tmp"), b"").unwrap();
    let log = repo.jit_dir().join("events.jsonl");
    let mut bytes = std::fs::read(&log).unwrap();
    bytes.extend_from_slice(b"{\"torn");
    std::fs::write(&log, bytes).unwrap();

    let (r, c1) = validate(&repo, &[]);
    assert_eq!(c1, 8);
    let mut codes: Vec<&str> = r.problems.iter().map(|p| p.code.as_str()).collect();
    codes.sort();
    codes.dedup();
    for want in [
        "cycle",
        "dangling_dependency",
        "missing_gate_status",
        "self_dependency",
        "temp_file",
        "torn_event",
        "unknown_gate",
    ] {
        assert!(codes.contains(&want), "{want} missing from {codes:?}");
    }

    let (r, c2) = validate(&repo, &["--fix"]);
    assert_eq!(c2, 8, "unfixable problems remain");
    let mut open = r.open_codes();
    open.sort();
    open.dedup();
    assert_eq!(open, ["cycle", "unknown_gate"], "{r:#?}");
    assert!(r.fixed >= 5, "{r:#?}");
    let (after, c3) = validate(&repo, &[]);
    assert_eq!(c3, 8);
    let mut left: Vec<&str> = after.problems.iter().map(|p| p.code.as_str()).collect();
    left.sort();
    left.dedup();
    assert_eq!(left, ["cycle", "unknown_gate"], "{after:#?}");
    assert_eq!(
        repo.read_issue(&e)["gates_status"]["ghost"]["status"],
        "pending"
    );
    assert_eq!(repo.read_issue(&a)["dependencies"], json!([fb]));
}

#[test]
fn gate_states_that_contradict_the_gates_are_reported() {
    let repo = Repo::new();
    repo.define_gate("g", &["--auto"]);
    let a = repo.create("a", &["--gate", "g"]);
    let b = repo.create("b", &["--dep", &a]);
    let c = repo.create("c", &["--gate", "g"]);
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    assert_eq!(repo.state(&a), "gated");
    // A merge marked the gate passed but left the issue gated: fixable, and it cascades.
    repo.edit_issue(&a, |v| v["gates_status"]["g"]["status"] = json!("passed"));
    assert_reported(&repo, "state_mismatch", &[]);
    let (r, code) = validate(&repo, &["--fix"]);
    assert_eq!((r.ok, code), (true, 0), "{r:#?}");
    assert_eq!(repo.state(&a), "done");
    assert_eq!(
        repo.state(&b),
        "ready",
        "the repair promotes dependents too"
    );
    // Done with a gate not passed: reported, not guessed at.
    repo.edit_issue(&c, |v| v["state"] = json!("done"));
    let r = assert_reported(&repo, "gates_not_passed", &[]);
    assert!(!r.problems[0].fixable);
}

/// The progress line is for terminals only: piped, long work on a big store writes nothing to
/// stderr (and stdout stays the command's output).
#[test]
fn piped_long_work_draws_no_progress() {
    let repo = crate::common::Repo::new();
    let mut csv = String::from("title,priority\n");
    for i in 0..2000 {
        csv.push_str(&format!("Imported issue {i},normal\n"));
    }
    let file = repo.path().join("many.csv");
    std::fs::write(&file, csv).unwrap();
    let file = file.to_str().unwrap();
    let site = repo.path().join("site");
    let site = site.to_str().unwrap();
    for args in [
        vec!["import", "csv", file],
        vec!["validate"],
        vec!["validate", "--fix"],
        vec!["export", "web", "--out", site],
    ] {
        let out = repo.jit(&args);
        crate::common::assert_ok(&out);
        assert_eq!(
            crate::common::stderr(&out),
            "",
            "jit {args:?} wrote to a piped stderr"
        );
        assert!(!crate::common::stdout(&out).contains('\r'), "jit {args:?}");
    }
    let report = repo.ok(&["validate"]);
    assert_eq!(report["issues_checked"], 2000);
}

#[test]
fn two_issues_sharing_a_short_id_are_reported_once() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    repo.create("b", &[]);
    // As a merge could bring in: another issue whose id ends like `a`'s.
    let full = repo.full_id(&a);
    let twin = format!("01ARZ3NDEK{}", &full[10..]);
    assert_ne!(twin, full);
    let mut v = repo.read_issue(&a);
    v["id"] = json!(twin);
    std::fs::write(
        repo.issues_dir().join(format!("{twin}.json")),
        serde_json::to_vec_pretty(&v).unwrap(),
    )
    .unwrap();
    let r = assert_reported(&repo, "duplicate_short_id", &[]);
    let dup: Vec<_> = r
        .problems
        .iter()
        .filter(|p| p.code == "duplicate_short_id")
        .collect();
    assert_eq!(dup.len(), 1, "{r:#?}");
    assert_eq!(
        dup[0].message,
        format!("short id `{a}` is shared by 2 issues")
    );
}
