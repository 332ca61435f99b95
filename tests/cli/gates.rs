//! Quality gates: the registry, requiring gates, `gated` on completion, manual versus automatic
//! gates, precheck gates blocking the start, and checkers run by `gate check` (exit codes,
//! environment, timeouts, bounded output).

use crate::common::{Repo, code, stderr};
use crate::contract::{
    CheckReport, GateList, GateState, IssueView, Stage, State, gate_outcome, outcome, parse,
};

#[test]
fn gates_are_defined_and_listed() {
    let repo = Repo::new();
    let empty: GateList = parse(&repo.ok(&["gate", "list"]));
    assert!(empty.gates.is_empty());
    repo.ok(&[
        "gate",
        "define",
        "unit",
        "--title",
        "Unit tests",
        "--desc",
        "cargo test",
        "--auto",
        "--checker",
        "cargo test",
        "--timeout",
        "60",
    ]);
    repo.ok(&[
        "gate",
        "define",
        "design",
        "--title",
        "Design review",
        "--stage",
        "precheck",
    ]);
    let list: GateList = parse(&repo.ok(&["gate", "list"]));
    let keys: Vec<&str> = list.gates.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(keys, ["design", "unit"], "sorted by key");
    let design = &list.gates[0];
    assert_eq!(
        (design.auto, design.stage, design.checker.is_none()),
        (false, Stage::Precheck, true)
    );
    let unit = &list.gates[1];
    assert_eq!(
        (
            unit.title.as_str(),
            unit.description.as_str(),
            unit.auto,
            unit.stage
        ),
        ("Unit tests", "cargo test", true, Stage::Postcheck)
    );
    let checker = unit.checker.as_ref().unwrap();
    assert_eq!(
        (checker.command.as_str(), checker.timeout_secs),
        ("cargo test", 60)
    );
    // The registry file holds them.
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(repo.jit_dir().join("gates.json")).unwrap()).unwrap();
    assert_eq!(file["unit"]["checker"]["command"], "cargo test");

    // Redefining replaces; redefining identically logs nothing.
    repo.ok(&[
        "gate",
        "define",
        "design",
        "--title",
        "Design review",
        "--stage",
        "postcheck",
    ]);
    let list: GateList = parse(&repo.ok(&["gate", "list"]));
    assert_eq!(list.gates[0].stage, Stage::Postcheck);
    let events = repo.event_count();
    repo.ok(&[
        "gate",
        "define",
        "design",
        "--title",
        "Design review",
        "--stage",
        "postcheck",
    ]);
    assert_eq!(repo.event_count(), events);

    for (args, field) in [
        (vec!["gate", "define", "Bad", "--title", "t"], "gate key"),
        (vec!["gate", "define", "ok", "--title", " "], "title"),
        (
            vec!["gate", "define", "ok", "--title", "t", "--timeout", "5"],
            "timeout",
        ),
        (
            vec![
                "gate",
                "define",
                "ok",
                "--title",
                "t",
                "--checker",
                "true",
                "--timeout",
                "0",
            ],
            "timeout",
        ),
    ] {
        let d = repo.err(&args, "invalid_value", 2);
        assert_eq!(d["field"], field);
    }
}

#[test]
fn an_unknown_gate_key_is_refused() {
    let repo = Repo::new();
    repo.define_gate("known", &[]);
    let d = repo.err(
        &["issue", "create", "--title", "t", "--gate", "ghost"],
        "unknown_gate",
        2,
    );
    assert_eq!(d["key"], "ghost");
    assert!(repo.issue_files().is_empty());
    let a = repo.create("a", &[]);
    let bytes = std::fs::read(repo.issue_path(&a)).unwrap();
    repo.err(&["gate", "add", &a, "ghost"], "unknown_gate", 2);
    repo.err(&["gate", "pass", &a, "ghost"], "unknown_gate", 2);
    repo.err(&["gate", "check", &a, "ghost"], "unknown_gate", 2);
    assert_eq!(std::fs::read(repo.issue_path(&a)).unwrap(), bytes);
    // A known gate the issue does not require.
    repo.err(&["gate", "pass", &a, "known"], "gate_not_required", 2);
    let v = IssueView::from_value(&repo.ok(&["gate", "add", &a, "known"]));
    assert_eq!(v.gates_required, ["known"]);
    assert_eq!(v.gates_status["known"].status, GateState::Pending);
}

#[test]
fn completing_with_pending_gates_lands_in_gated_and_the_last_pass_finishes() {
    let repo = Repo::new();
    repo.define_gate("tests", &["--auto"]);
    repo.define_gate("review", &[]);
    let a = repo.create("a", &["--gate", "tests", "--gate", "review"]);
    let b = repo.create("b", &["--dep", &a]);
    repo.ok(&["issue", "update", &a, "--state", "in_progress"]);

    let (view, t) = outcome(&repo.ok(&["issue", "update", &a, "--state", "done"]));
    assert_eq!(view.state, State::Gated);
    assert_eq!(t.pending_gates, ["review", "tests"]);
    assert!(t.promoted.is_empty());
    assert!(
        view.blocked,
        "a gated issue is blocked by its pending gates"
    );
    assert_eq!(repo.state(&b), "backlog");
    // Human output says what it waits for.
    let out = repo.jit(&["issue", "update", &a, "--state", "done"]);
    assert_eq!(code(&out), 0);
    assert!(
        crate::common::stdout(&out).contains("review"),
        "{}",
        crate::common::stdout(&out)
    );

    let (view, gate, status, t) =
        gate_outcome(&repo.ok(&["--actor", "ci:github", "gate", "pass", &a, "tests"]));
    assert_eq!(
        (gate.as_str(), status, view.state),
        ("tests", GateState::Passed, State::Gated)
    );
    assert_eq!(t.pending_gates, ["review"]);
    assert_eq!(view.gates_status["tests"].by.as_deref(), Some("ci:github"));

    let events = repo.event_count();
    let (view, _, _, t) = gate_outcome(&repo.ok(&["gate", "pass", &a, "review", "--note", "LGTM"]));
    assert_eq!(view.state, State::Done);
    assert!(t.pending_gates.is_empty());
    assert_eq!(t.promoted, vec![repo.full_id(&b)]);
    assert_eq!(view.gates_status["review"].note.as_deref(), Some("LGTM"));
    assert_eq!(
        view.gates_status["review"].by.as_deref(),
        Some(crate::common::ACTOR)
    );
    assert_eq!(repo.state(&b), "ready");
    let kinds: Vec<String> = repo.events()[events..]
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        kinds,
        ["gate.passed", "issue.state_changed", "issue.unblocked"]
    );
    // The gates of a done issue are closed.
    repo.err(&["gate", "fail", &a, "tests"], "invalid_transition", 2);
}

#[test]
fn without_gates_completion_goes_straight_to_done() {
    let repo = Repo::new();
    let a = repo.create("a", &[]);
    let (view, t) = outcome(&repo.ok(&["issue", "update", &a, "--state", "gated"]));
    assert_eq!(view.state, State::Done);
    assert!(t.pending_gates.is_empty());
}

#[test]
fn a_manual_gate_is_passed_only_by_a_human() {
    let repo = Repo::new();
    repo.define_gate("signoff", &[]);
    let a = repo.create("a", &["--gate", "signoff"]);
    let bytes = std::fs::read(repo.issue_path(&a)).unwrap();
    let d = repo.err(
        &["--actor", "agent:x", "gate", "pass", &a, "signoff"],
        "manual_gate",
        2,
    );
    assert_eq!(d["gate"], "signoff");
    repo.err(
        &["gate", "pass", &a, "signoff", "--by", "ci:github"],
        "manual_gate",
        2,
    );
    assert_eq!(
        std::fs::read(repo.issue_path(&a)).unwrap(),
        bytes,
        "a refused pass writes nothing"
    );
    // An agent may still record a failure.
    repo.ok(&["--actor", "agent:x", "gate", "fail", &a, "signoff"]);
    let (view, _, status, _) =
        gate_outcome(&repo.ok(&["--actor", "human:x", "gate", "pass", &a, "signoff"]));
    assert_eq!(status, GateState::Passed);
    assert_eq!(view.gates_status["signoff"].by.as_deref(), Some("human:x"));
    // An automatic gate may be passed by anyone.
    repo.define_gate("lint", &["--auto"]);
    repo.ok(&["gate", "add", &a, "lint"]);
    repo.ok(&["--actor", "agent:x", "gate", "pass", &a, "lint"]);
}

#[test]
fn a_precheck_gate_blocks_starting_work() {
    let repo = Repo::new();
    repo.define_gate("design", &["--stage", "precheck"]);
    let a = repo.create("a", &["--gate", "design"]);
    let v = IssueView::from_value(&repo.show(&a));
    assert_eq!(v.state, State::Ready);
    assert!(v.blocked, "a pending precheck gate blocks a ready issue");
    let d = repo.err(
        &["issue", "update", &a, "--state", "in_progress"],
        "blocked",
        6,
    );
    let blockers = d["blockers"].as_array().unwrap();
    assert_eq!(blockers.len(), 1, "{d:#}");
    assert_eq!(blockers[0]["kind"], "gate");
    assert_eq!(blockers[0]["key"], "design");
    assert_eq!(blockers[0]["stage"], "precheck");
    assert_eq!(blockers[0]["status"], "pending");
    repo.err(&["issue", "update", &a, "--state", "done"], "blocked", 6);
    assert_eq!(repo.state(&a), "ready");
    repo.ok(&["gate", "pass", &a, "design"]);
    let (v, _) = outcome(&repo.ok(&["issue", "update", &a, "--state", "in_progress"]));
    assert_eq!(v.state, State::InProgress);
    assert!(!v.blocked);
}

/// A repo with one issue requiring gate `g` whose checker is `cmd`.
fn checker_repo(cmd: &str, extra: &[&str]) -> (Repo, String) {
    let repo = Repo::new();
    let mut args = vec!["--auto", "--checker", cmd];
    args.extend_from_slice(extra);
    repo.define_gate("g", &args);
    let a = repo.create("a", &["--gate", "g"]);
    (repo, a)
}

#[test]
fn a_passing_checker_passes_the_gate_and_finishes_a_gated_issue() {
    let (repo, a) = checker_repo("true", &[]);
    let b = repo.create("b", &["--dep", &a]);
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    assert_eq!(repo.state(&a), "gated");
    let (v, c) = repo.json(&["gate", "check", &a]);
    assert_eq!(c, 0, "{v:#}");
    let r = CheckReport::from_value(&v);
    assert_eq!((r.passed, r.failed, r.skipped), (1, 0, 0));
    assert_eq!(r.results[0].status, "passed");
    assert_eq!(r.results[0].exit_code, Some(0));
    assert!(!r.results[0].timed_out);
    let issue = IssueView::from_value(&r.issue);
    assert_eq!(issue.state, State::Done);
    let g = &issue.gates_status["g"];
    assert_eq!((g.status, g.exit_code), (GateState::Passed, Some(0)));
    assert_eq!(
        repo.state(&b),
        "ready",
        "finishing through a checker promotes dependents"
    );
}

#[test]
fn a_failing_checker_records_its_exit_code_and_jit_exits_8() {
    let (repo, a) = checker_repo("echo boom >&2; exit 3", &[]);
    let (v, c) = repo.json(&["gate", "check", &a, "g"]);
    assert_eq!(c, 8, "{v:#}");
    let r = CheckReport::from_value(&v);
    assert_eq!((r.passed, r.failed), (0, 1));
    assert_eq!(r.results[0].exit_code, Some(3));
    assert!(
        r.results[0].output.contains("boom"),
        "stderr is captured: {:?}",
        r.results[0].output
    );
    let stored = IssueView::from_value(&repo.show(&a));
    let g = &stored.gates_status["g"];
    assert_eq!((g.status, g.exit_code), (GateState::Failed, Some(3)));
    assert!(g.output.as_deref().unwrap().contains("boom"));
    assert!(stored.blocked, "a failed gate blocks");
    let last = repo.events().pop().unwrap();
    assert_eq!(last["type"], "gate.failed");
    // Human output exits 8 too and shows the output tail.
    let out = repo.jit(&["gate", "check", &a]);
    assert_eq!(code(&out), 8);
    assert!(
        crate::common::stdout(&out).contains("boom"),
        "{}{}",
        crate::common::stdout(&out),
        stderr(&out)
    );
}

#[test]
fn a_checker_sees_the_issue_id_and_runs_in_the_repo_root() {
    let (repo, a) = checker_repo(
        "echo \"id=$JIT_ISSUE_ID gate=$JIT_GATE_KEY\"; pwd; test -d .jit",
        &[],
    );
    let full = repo.full_id(&a);
    let sub = repo.path().join("nested");
    std::fs::create_dir(&sub).unwrap();
    let out = crate::common::jit_cmd(&sub)
        .args(["gate", "check", &a, "--json"])
        .output()
        .unwrap();
    let v = crate::common::parse_one_object(&out);
    assert_eq!(code(&out), 0, "{v:#}");
    let stored = repo.read_issue(&a);
    let output = stored["gates_status"]["g"]["output"].as_str().unwrap();
    assert!(output.contains(&format!("id={full} gate=g")), "{output:?}");
    let root = std::fs::canonicalize(repo.path()).unwrap();
    assert!(
        output
            .lines()
            .any(|l| std::path::Path::new(l.trim()) == root),
        "ran in {root:?}: {output:?}"
    );
}

#[test]
fn a_checker_that_times_out_is_recorded_as_failed() {
    let (repo, a) = checker_repo("sleep 5", &["--timeout", "1"]);
    let (v, c) = repo.json(&["gate", "check", &a]);
    assert_eq!(c, 8, "{v:#}");
    let r = CheckReport::from_value(&v);
    assert_eq!(r.results[0].status, "failed");
    assert!(r.results[0].timed_out);
    assert_eq!(r.results[0].exit_code, None);
    let g = &IssueView::from_value(&repo.show(&a)).gates_status["g"];
    assert_eq!(g.status, GateState::Failed);
    assert!(
        g.output.as_deref().unwrap().contains("timed out"),
        "{:?}",
        g.output
    );
}

#[test]
fn checker_output_is_stored_as_a_bounded_tail() {
    let (repo, a) = checker_repo("yes x | head -c 102400; echo THE-END", &[]);
    let (v, c) = repo.json(&["gate", "check", &a]);
    assert_eq!(c, 0, "{v:#}");
    let stored = repo.read_issue(&a);
    let output = stored["gates_status"]["g"]["output"].as_str().unwrap();
    assert!(output.len() <= 4096 + 64, "stored {} bytes", output.len());
    assert!(output.len() >= 1024, "a useful amount is kept");
    assert!(
        output.trim_end().ends_with("THE-END"),
        "the tail is kept, not the head"
    );
    assert!(std::fs::metadata(repo.issue_path(&a)).unwrap().len() < 16 * 1024);
    let r = CheckReport::from_value(&v);
    assert!(r.results[0].output.len() <= 4096 + 64);
}

#[test]
fn gates_without_checkers_or_for_humans_are_skipped() {
    let repo = Repo::new();
    repo.define_gate("manual", &[]);
    repo.define_gate("human-check", &["--checker", "true"]);
    let a = repo.create("a", &["--gate", "manual", "--gate", "human-check"]);
    let (v, c) = repo.json(&["--actor", "agent:bot", "gate", "check", &a]);
    assert_eq!(c, 0, "{v:#}");
    let r = CheckReport::from_value(&v);
    assert_eq!((r.passed, r.failed, r.skipped), (0, 0, 2));
    assert!(r.results.iter().all(|x| x.reason.is_some()));
    assert_eq!(
        IssueView::from_value(&repo.show(&a)).gates_status["human-check"].status,
        GateState::Pending
    );
    // A human may run a manual gate's checker.
    let r = CheckReport::from_value(&repo.ok(&["gate", "check", &a, "human-check"]));
    assert_eq!(r.passed, 1);
}

#[test]
fn checker_output_is_stored_without_control_characters() {
    let (repo, a) = checker_repo(
        "printf 'red \\033[31mALERT\\033[0m\\000 bell\\007 done\\n'",
        &[],
    );
    let (v, c) = repo.json(&["gate", "check", &a]);
    assert_eq!(c, 0, "{v:#}");
    let stored = repo.read_issue(&a);
    let output = stored["gates_status"]["g"]["output"].as_str().unwrap();
    assert!(
        output.contains("ALERT") && output.contains("done"),
        "{output:?}"
    );
    assert!(
        !output
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{output:?}"
    );
}

#[test]
fn a_timed_out_checker_is_killed_with_its_children() {
    let (repo, a) = checker_repo("sleep 30 & echo $! > bg.pid; wait", &["--timeout", "1"]);
    let (v, c) = repo.json(&["gate", "check", &a]);
    assert_eq!(c, 8, "{v:#}");
    assert!(CheckReport::from_value(&v).results[0].timed_out);
    let pid = crate::common::pid_in(&repo.path().join("bg.pid"));
    assert!(
        crate::common::dies(pid),
        "the checker's background process {pid} outlived the timeout"
    );
}

#[test]
fn the_timeout_kill_is_a_system_call_not_a_kill_program() {
    // A `kill` first on the PATH that only leaves a mark: jit must never run it (a `kill`
    // program may misread a negative group id), and the checker's group must die all the same.
    let (repo, a) = checker_repo("sleep 30 & echo $! > bg.pid; wait", &["--timeout", "1"]);
    let bin = repo.path().join("fake-bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mark = repo.path().join("kill-was-run");
    let fake = bin.join("kill");
    std::fs::write(
        &fake,
        format!("#!/bin/sh\necho \"$*\" >> '{}'\n", mark.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();
    let out = repo.jit_env(&["gate", "check", &a], &[("PATH", path.to_str().unwrap())]);
    assert_eq!(code(&out), 8);
    let pid = crate::common::pid_in(&repo.path().join("bg.pid"));
    assert!(
        crate::common::dies(pid),
        "the checker's group outlived the timeout"
    );
    assert!(
        !mark.exists(),
        "jit ran a `kill` program: {:?}",
        std::fs::read_to_string(&mark)
    );
}
