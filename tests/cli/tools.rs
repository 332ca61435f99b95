//! Completions, man page, the agent guide, metrics, and the shipped examples, run for real.

use crate::common::{Repo, assert_ok, code, jit_bin, stdout};
use serde_json::Value;
use std::process::Command;

#[test]
fn completion_scripts_register_the_completion_engine() {
    let repo = Repo::new();
    // Each script hands the words to `jit` itself (`COMPLETE=<shell> jit -- ...`); the real
    // completion is tested in a real bash in tests/cli/completion.rs.
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = repo.jit(&["completions", shell]);
        assert_ok(&out);
        let script = stdout(&out);
        assert!(script.contains("COMPLETE"), "{shell}: {script}");
    }
    let v = repo.ok(&["completions", "fish"]);
    assert_eq!(v["kind"], "fish");
    repo.err(&["completions", "tcsh"], "usage", 2);
    // The engine answers subcommands from the same definitions.
    let out = repo
        .cmd()
        .env("COMPLETE", "fish")
        .args(["--", "jit", "issue", "claim-n"])
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(
        stdout(&out).lines().any(|l| l.starts_with("claim-next")),
        "{}",
        stdout(&out)
    );
}

#[test]
fn man_page_is_roff_for_jit() {
    let repo = Repo::new();
    let page = stdout(&repo.jit(&["man"]));
    assert!(
        page.contains(".TH jit 1"),
        "{}",
        &page[..page.len().min(300)]
    );
    assert!(page.contains("issue") && page.contains("validate"));
    let v = repo.ok(&["man"]);
    assert_eq!(v["kind"], "roff");
}

#[test]
fn guide_names_this_repos_gates_and_write_refreshes_a_marked_section() {
    let repo = Repo::new();
    repo.ok(&[
        "gate",
        "define",
        "unit-tests",
        "--title",
        "Unit tests",
        "--auto",
        "--checker",
        "true",
    ]);
    repo.ok(&["gate", "define", "review", "--title", "Code review"]);
    let md = repo.ok(&["guide"])["markdown"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(md.contains("jit gate check <id> unit-tests"), "{md}");
    assert!(md.contains("`review`") && md.contains("human:"), "{md}");
    assert!(md.contains("claim-next"));
    let agents = repo.path().join("AGENTS.md");
    std::fs::write(&agents, "# Agents\n\nOur own rules.\n").unwrap();
    let v = repo.ok(&["guide", "--write", "AGENTS.md"]);
    assert_eq!(v["changed"], true);
    let once = std::fs::read_to_string(&agents).unwrap();
    assert!(
        once.starts_with("# Agents\n\nOur own rules.\n") && once.contains("<!-- jit:guide:start"),
        "{once}"
    );
    assert_eq!(
        repo.ok(&["guide", "--write", "AGENTS.md"])["changed"],
        false
    );
    // A new gate refreshes the section in place; the rest of the file is untouched.
    repo.ok(&["gate", "define", "lint", "--title", "Lint", "--auto"]);
    std::fs::write(&agents, format!("{once}\nTrailing notes.\n")).unwrap();
    assert_eq!(repo.ok(&["guide", "--write", "AGENTS.md"])["changed"], true);
    let twice = std::fs::read_to_string(&agents).unwrap();
    assert!(
        twice.contains("`lint`") && twice.ends_with("\nTrailing notes.\n"),
        "{twice}"
    );
    assert_eq!(twice.matches("jit:guide:start").count(), 1);
}

#[test]
fn metrics_measure_flow_from_the_event_log() {
    let repo = Repo::new();
    fn at(t: &str) -> [(&str, &str); 1] {
        [("JIT_NOW", t)]
    }
    let a = stdout(&repo.jit_env(
        &["issue", "create", "--title", "a", "--type", "bug", "--json"],
        &at("2026-01-05T00:00:00Z"),
    ));
    let a: Value = serde_json::from_str(&a).unwrap();
    let a = a["short_id"].as_str().unwrap().to_string();
    repo.jit_env(
        &["issue", "create", "--title", "b"],
        &at("2026-01-05T00:00:00Z"),
    );
    assert_ok(&repo.jit_env(
        &["issue", "claim", &a, "--actor", "agent:x", "--ttl", "1h"],
        &at("2026-01-05T02:00:00Z"),
    ));
    assert_ok(&repo.jit_env(
        &["issue", "update", &a, "--state", "done"],
        &at("2026-01-05T05:00:00Z"),
    ));
    let m = repo.ok(&["metrics"]);
    assert_eq!(
        (
            m["total"].as_u64(),
            m["by_state"]["done"].as_u64(),
            m["by_state"]["ready"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(m["by_type"]["bug"], 1);
    assert_eq!(m["cycle_time_created_to_done"]["p50"], 5.0 * 3600.0);
    assert_eq!(m["cycle_time_in_progress_to_done"]["p50"], 3.0 * 3600.0);
    assert_eq!(m["dwell"]["ready"]["p50"], 2.0 * 3600.0);
    assert_eq!(m["dwell"]["in_progress"]["p50"], 3.0 * 3600.0);
    assert_eq!(m["throughput_per_week"]["2026-W02"], 1);
    let prom = stdout(&repo.jit(&["metrics", "--format", "prometheus"]));
    assert!(
        prom.contains("# TYPE jit_issues gauge") && prom.contains("jit_issues{state=\"done\"} 1"),
        "{prom}"
    );
    assert!(
        prom.contains("jit_cycle_time_seconds{kind=\"created_to_done\",quantile=\"0.5\"} 18000"),
        "{prom}"
    );
    for line in prom.lines().filter(|l| !l.starts_with('#')) {
        let (name, value) = line.rsplit_once(' ').unwrap();
        assert!(name.starts_with("jit_"), "{line}");
        value
            .parse::<f64>()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
    }
}

fn with_jit_on_path(cmd: &mut Command) {
    let dir = jit_bin().parent().unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.env("PATH", path);
}

#[test]
fn the_example_agent_loop_drains_ready_work() {
    if Command::new("jq").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "jq must be installed in CI (.ci/run)"
        );
        eprintln!("skipped: jq is not installed");
        return;
    }
    let repo = Repo::new();
    repo.ok(&[
        "gate",
        "define",
        "tests",
        "--title",
        "Tests",
        "--auto",
        "--checker",
        "true",
    ]);
    for i in 0..3 {
        repo.create(&format!("task {i}"), &["--gate", "tests"]);
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/agent-loop.sh");
    let mut cmd = Command::new("sh");
    cmd.arg(&script)
        .current_dir(repo.path())
        .env("JIT_ACTOR", "agent:loop");
    with_jit_on_path(&mut cmd);
    let out = cmd.output().unwrap();
    assert_eq!(
        code(&out),
        0,
        "{}{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(repo.ok(&["query", "state", "done"])["total"], 3);
}

#[test]
fn the_example_pre_commit_hook_refuses_a_broken_store() {
    let repo = Repo::new();
    let id = repo.create("a", &[]);
    let hook = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pre-commit");
    let run = || {
        let mut cmd = Command::new("sh");
        cmd.arg(&hook).current_dir(repo.path());
        with_jit_on_path(&mut cmd);
        cmd.output().unwrap()
    };
    crate::common::git(repo.path(), &["add", "-A"]);
    assert_eq!(code(&run()), 0);
    repo.edit_issue(&id, |v| {
        v["dependencies"] = serde_json::json!(["01ARZ3NDEKTSV4RRFFQ69G5FAV"])
    });
    crate::common::git(repo.path(), &["add", "-A"]);
    assert_eq!(code(&run()), 1);
}

/// Built without the `mcp` feature (`cargo test --no-default-features`), `jit mcp` still exists
/// and says why it cannot serve.
#[cfg(not(feature = "mcp"))]
#[test]
fn mcp_without_the_feature_is_refused() {
    let repo = crate::common::Repo::new();
    let details = repo.err(&["mcp"], "feature_disabled", 2);
    assert_eq!(details["feature"], "mcp");
}
