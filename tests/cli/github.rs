//! `jit github event`: GitHub's pull_request, check_run, check_suite and workflow_run payloads
//! (fixtures in tests/fixtures/github/, in the shape GitHub documents) applied to a real store.

use crate::common::{Repo, code, parse_one_object, stderr};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

const HEAD: &str = "9f2c1e4b7a6d5c3b2a1908f7e6d5c4b3a2918070";
const MERGE: &str = "c0ffee1234567890abcdef1234567890abcdef12";
const PR_URL: &str = "https://github.com/octo-org/octo-repo/pull/42";

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github")
        .join(name);
    serde_json::from_slice(&std::fs::read(&path).expect("fixture")).expect("fixture JSON")
}

/// A pull_request payload whose head branch is `branch`.
fn pr(file: &str, branch: &str) -> Value {
    let mut v = fixture(file);
    v["pull_request"]["head"]["ref"] = json!(branch);
    v
}

/// A check payload (`check_run`, `check_suite`, `workflow_run`) with this conclusion.
fn check(event: &str, conclusion: &str) -> Value {
    let mut v = fixture(&format!("{event}.completed.json"));
    v[event]["conclusion"] = json!(conclusion);
    v
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Writes a payload where GitHub Actions would (`GITHUB_EVENT_PATH`): a file outside `.jit/`.
fn write_payload(repo: &Repo, v: &Value) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let path = repo.path().join(format!("event-{n}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    path
}

/// Runs `jit github event --json` as GitHub Actions would (no JIT_ACTOR: the actor is ci:github).
fn event(repo: &Repo, name: &str, v: &Value) -> (Value, i32) {
    let path = write_payload(repo, v);
    let out = repo
        .cmd()
        .env_remove("JIT_ACTOR")
        .env_remove("GITHUB_EVENT_NAME")
        .env_remove("GITHUB_EVENT_PATH")
        .args(["github", "event", "--name", name, "--payload"])
        .arg(&path)
        .arg("--json")
        .output()
        .unwrap();
    (parse_one_object(&out), code(&out))
}

fn ok_event(repo: &Repo, name: &str, v: &Value) -> Value {
    let (r, c) = event(repo, name, v);
    assert_eq!(c, 0, "{r:#}");
    r
}

/// Every file under .jit/ that git would commit, with its bytes.
fn snapshot(repo: &Repo) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![repo.jit_dir()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            let rel = p
                .strip_prefix(repo.jit_dir())
                .unwrap()
                .display()
                .to_string();
            if rel.starts_with("cache") || rel.starts_with("outbox") || rel == "lock" {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out.sort();
    out
}

fn steps(r: &Value) -> Vec<(String, bool)> {
    r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|i| i["steps"].as_array().unwrap().clone())
        .map(|s| {
            (
                s["action"].as_str().unwrap().to_string(),
                s["changed"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_pull_request_links_starts_and_its_merge_completes_the_issue() {
    let repo = Repo::new();
    let id = repo.create("Login page", &[]);
    let branch = format!("feat/{id}-login-page");

    let r = ok_event(
        &repo,
        "pull_request",
        &pr("pull_request.opened.json", &branch),
    );
    assert_eq!(r["applied"], true);
    assert_eq!(
        steps(&r),
        [("pr_linked".into(), true), ("started".into(), true)]
    );
    let v = repo.show(&id);
    assert_eq!(v["state"], "in_progress");
    let pr0 = &v["prs"][0];
    assert_eq!(pr0["url"], PR_URL);
    assert_eq!(pr0["number"], 42);
    assert_eq!(pr0["title"], "Add the login page");
    assert_eq!(pr0["branch"], branch);
    assert_eq!(pr0["commit"], HEAD);
    assert_eq!(pr0["status"], "open");
    assert_eq!(pr0["ci"], "pending");
    let linked = repo
        .events()
        .iter()
        .filter(|e| e["type"] == "pr.linked")
        .count();
    assert_eq!(linked, 1);
    for e in repo.events().iter().rev().take(2) {
        assert_eq!(e["actor"], "ci:github", "{e}");
    }

    // The same delivery again changes nothing at all.
    let before = snapshot(&repo);
    let again = ok_event(
        &repo,
        "pull_request",
        &pr("pull_request.opened.json", &branch),
    );
    assert_eq!(again["changed"], false, "{again:#}");
    assert!(
        again["message"]
            .as_str()
            .unwrap()
            .contains("nothing changed")
    );
    assert_eq!(snapshot(&repo), before);

    // Merged: completed (no gates: done), merge commit recorded.
    let merged = pr("pull_request.closed.merged.json", &branch);
    let r = ok_event(&repo, "pull_request", &merged);
    assert_eq!(
        steps(&r),
        [("pr_linked".into(), true), ("completed".into(), true)]
    );
    let v = repo.show(&id);
    assert_eq!(v["state"], "done");
    assert_eq!(v["prs"][0]["status"], "merged");
    assert_eq!(v["context"]["merge_commit"], MERGE);
    assert_eq!(v["prs"].as_array().unwrap().len(), 1, "one entry per URL");
    let before = snapshot(&repo);
    let again = ok_event(&repo, "pull_request", &merged);
    assert_eq!(again["changed"], false);
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn a_merge_with_gates_pending_lands_in_gated_and_a_check_run_passes_the_mapped_gate() {
    let repo = Repo::new();
    repo.define_gate("tests", &["--auto", "--github-check", "test"]);
    repo.define_gate("review", &[]);
    let gates = repo.ok(&["gate", "list"]);
    assert_eq!(gates["gates"][1]["github_check"], "test", "{gates:#}");
    let id = repo.create("Login page", &["--gate", "tests", "--gate", "review"]);
    let branch = format!("jit-{id}");
    ok_event(
        &repo,
        "pull_request",
        &pr("pull_request.opened.json", &branch),
    );

    // check_run success on the PR's head commit: CI success, the mapped gate passes.
    let r = ok_event(&repo, "check_run", &check("check_run", "success"));
    assert_eq!(
        steps(&r),
        [("ci_status".into(), true), ("gate_passed".into(), true)]
    );
    let v = repo.show(&id);
    assert_eq!(v["prs"][0]["ci"], "success");
    assert_eq!(v["gates_status"]["tests"]["status"], "passed");
    assert_eq!(v["gates_status"]["tests"]["by"], "ci:github");
    assert!(
        v["gates_status"]["tests"]["note"]
            .as_str()
            .unwrap()
            .contains("/actions/runs/")
    );
    assert_eq!(v["gates_status"]["review"]["status"], "pending");
    let before = snapshot(&repo);
    let again = ok_event(&repo, "check_run", &check("check_run", "success"));
    assert_eq!(again["changed"], false, "{again:#}");
    assert_eq!(snapshot(&repo), before);

    // Merged with the manual review pending: gated, waiting on review.
    let r = ok_event(
        &repo,
        "pull_request",
        &pr("pull_request.closed.merged.json", &branch),
    );
    let detail = r["issues"][0]["steps"][1]["detail"].as_str().unwrap();
    assert!(
        detail.contains("gated") && detail.contains("review"),
        "{detail}"
    );
    assert_eq!(repo.state(&id), "gated");
    repo.ok(&["gate", "pass", &id, "review"]);
    assert_eq!(repo.state(&id), "done");
}

#[test]
fn a_failing_check_comments_once_fails_the_gate_and_a_rerun_recovers() {
    let repo = Repo::new();
    repo.define_gate("tests", &["--auto", "--github-check", "test"]);
    let id = repo.create("Login page", &["--gate", "tests"]);
    let branch = format!("feat/{id}-login");
    ok_event(
        &repo,
        "pull_request",
        &pr("pull_request.opened.json", &branch),
    );

    let failed = check("check_run", "failure");
    let r = ok_event(&repo, "check_run", &failed);
    assert_eq!(
        steps(&r),
        [
            ("checks".into(), true),
            ("ci_status".into(), true),
            ("commented".into(), true),
            ("gate_failed".into(), true)
        ]
    );
    let v = repo.show(&id);
    assert_eq!(v["prs"][0]["ci"], "failure");
    assert_eq!(v["gates_status"]["tests"]["status"], "failed");
    let comments = v["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1);
    let body = comments[0]["body"].as_str().unwrap();
    assert!(
        body.contains("`test` failure")
            && body.contains(
                "https://github.com/octo-org/octo-repo/actions/runs/7361210011/job/18992712345"
            ),
        "{body}"
    );
    assert_eq!(comments[0]["author"], "ci:github");
    let before = snapshot(&repo);
    assert_eq!(ok_event(&repo, "check_run", &failed)["changed"], false);
    assert_eq!(
        snapshot(&repo),
        before,
        "a redelivered failure adds no comment"
    );

    // Another check fails while `test` is re-run and passes: CI stays red until both pass.
    let mut lint = check("check_run", "failure");
    lint["check_run"]["name"] = json!("lint");
    ok_event(&repo, "check_run", &lint);
    let r = ok_event(&repo, "check_run", &check("check_run", "success"));
    assert!(steps(&r).contains(&("gate_passed".into(), true)), "{r:#}");
    let v = repo.show(&id);
    assert_eq!(v["prs"][0]["ci"], "failure");
    assert_eq!(v["context"]["github_failed_checks"], "lint");
    assert_eq!(v["gates_status"]["tests"]["status"], "passed");
    lint["check_run"]["conclusion"] = json!("success");
    ok_event(&repo, "check_run", &lint);
    let v = repo.show(&id);
    assert_eq!(v["prs"][0]["ci"], "success");
    assert!(v["context"].get("github_failed_checks").is_none());
    assert_eq!(v["comments"].as_array().unwrap().len(), 2);

    // A check of an older commit does not touch the PR at its new head.
    let mut newer = pr("pull_request.synchronize.json", &branch);
    newer["pull_request"]["head"]["sha"] = json!("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
    let r = ok_event(&repo, "pull_request", &newer);
    assert_eq!(steps(&r), [("pr_linked".into(), true)]);
    assert_eq!(repo.show(&id)["prs"][0]["ci"], "pending");
    let before = snapshot(&repo);
    let mut stale = check("check_run", "failure");
    stale["check_run"]["check_suite"]["head_branch"] = json!("other");
    let r = ok_event(&repo, "check_run", &stale);
    assert_eq!(r["changed"], false, "{r:#}");
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn workflow_runs_and_check_suites_set_the_ci_status_of_the_linked_pull_request() {
    let repo = Repo::new();
    repo.define_gate("ci", &["--auto", "--github-check", "test"]);
    let id = repo.create("Login page", &["--gate", "ci"]);
    // Linked by hand first (no branch naming the issue): found by its number and URL.
    repo.ok(&[
        "pr", "link", &id, "--url", PR_URL, "--number", "42", "--commit", HEAD,
    ]);
    let r = ok_event(&repo, "workflow_run", &check("workflow_run", "failure"));
    assert!(steps(&r).contains(&("gate_failed".into(), true)), "{r:#}");
    let v = repo.show(&id);
    assert_eq!(v["prs"][0]["ci"], "failure");
    assert!(
        v["comments"][0]["body"]
            .as_str()
            .unwrap()
            .contains("https://github.com/octo-org/octo-repo/actions/runs/7361210011")
    );
    let r = ok_event(&repo, "workflow_run", &check("workflow_run", "success"));
    assert!(steps(&r).contains(&("gate_passed".into(), true)), "{r:#}");
    assert_eq!(repo.show(&id)["prs"][0]["ci"], "success");
    // A check suite (app "GitHub Actions") cancelled: CI cancelled, no gate is mapped to it.
    let r = ok_event(&repo, "check_suite", &check("check_suite", "cancelled"));
    assert_eq!(steps(&r), [("ci_status".into(), true)]);
    let v = repo.show(&id);
    assert_eq!(v["prs"][0]["ci"], "cancelled");
    assert_eq!(v["gates_status"]["ci"]["status"], "passed");
    // Not completed yet: nothing to do.
    let mut requested = check("check_suite", "success");
    requested["action"] = json!("requested");
    let r = ok_event(&repo, "check_suite", &requested);
    assert_eq!(r["applied"], false);
}

#[test]
fn titles_and_bodies_name_issues_and_closing_without_merge_only_comments() {
    let repo = Repo::new();
    let a = repo.create("First", &[]);
    let b = repo.create("Second", &[]);
    let mut v = pr("pull_request.opened.json", "feature");
    v["pull_request"]["title"] = json!(format!("Login (jit:{a})"));
    v["pull_request"]["body"] = json!(format!("Also fixes {b}.\n\nDetails follow."));
    v["pull_request"]["draft"] = json!(true);
    let r = ok_event(&repo, "pull_request", &v);
    let ids: Vec<&str> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["short_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str(), b.as_str()]);
    for id in [&a, &b] {
        let s = repo.show(id);
        assert_eq!(s["state"], "in_progress");
        assert_eq!(s["prs"][0]["status"], "draft");
    }
    let mut closed = pr("pull_request.closed.unmerged.json", "feature");
    closed["pull_request"]["title"] = v["pull_request"]["title"].clone();
    closed["pull_request"]["body"] = v["pull_request"]["body"].clone();
    let r = ok_event(&repo, "pull_request", &closed);
    assert_eq!(
        steps(&r),
        [
            ("pr_linked".into(), true),
            ("commented".into(), true),
            ("pr_linked".into(), true),
            ("commented".into(), true)
        ]
    );
    let s = repo.show(&a);
    assert_eq!(s["state"], "in_progress", "closing changes no state");
    assert_eq!(s["prs"][0]["status"], "closed");
    assert!(
        s["comments"][0]["body"]
            .as_str()
            .unwrap()
            .contains("closed without merging")
    );
    let before = snapshot(&repo);
    assert_eq!(ok_event(&repo, "pull_request", &closed)["changed"], false);
    assert_eq!(snapshot(&repo), before, "one comment per closing");
}

#[test]
fn events_naming_no_issue_are_no_ops_and_malformed_payloads_are_errors() {
    let repo = Repo::new();
    let id = repo.create("Something", &[]);
    let before = snapshot(&repo);
    let r = ok_event(
        &repo,
        "pull_request",
        &pr("pull_request.opened.json", "main-cleanup"),
    );
    assert_eq!(r["applied"], false);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("names no jit issue"),
        "{r}"
    );
    let r = ok_event(&repo, "check_run", &check("check_run", "success"));
    assert_eq!(r["applied"], false);
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("no linked pull request"),
        "{r}"
    );
    let r = ok_event(&repo, "push", &json!({"ref": "refs/heads/main"}));
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("does not act on `push`")
    );
    let mut labeled = pr("pull_request.opened.json", &format!("feat/{id}-x"));
    labeled["action"] = json!("labeled");
    assert_eq!(ok_event(&repo, "pull_request", &labeled)["applied"], false);
    assert_eq!(snapshot(&repo), before);

    // Malformed: not JSON, not an object, a field GitHub always sends missing or mistyped.
    let bad_file = repo.path().join("bad.json");
    std::fs::write(&bad_file, "{\"action\": \"opened\", ").unwrap();
    let out = repo
        .cmd()
        .args(["github", "event", "--name", "pull_request", "--payload"])
        .arg(&bad_file)
        .arg("--json")
        .output()
        .unwrap();
    let e = parse_one_object(&out);
    assert_eq!(
        (e["error"]["code"].as_str(), code(&out)),
        (Some("invalid_payload"), 2)
    );
    assert!(e["error"]["message"].as_str().unwrap().contains("not JSON"));
    let (e, c) = event(&repo, "pull_request", &json!([1, 2]));
    assert_eq!(
        (e["error"]["code"].as_str(), c),
        (Some("invalid_payload"), 2)
    );
    let mut missing = pr("pull_request.opened.json", &format!("feat/{id}-x"));
    missing["pull_request"]
        .as_object_mut()
        .unwrap()
        .remove("number");
    let (e, c) = event(&repo, "pull_request", &missing);
    assert_eq!(
        (e["error"]["code"].as_str(), c),
        (Some("invalid_payload"), 2)
    );
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("pull_request.number")
    );
    let mut wrong = check("check_run", "success");
    wrong["check_run"]["pull_requests"] = json!("42");
    let (e, _) = event(&repo, "check_run", &wrong);
    assert_eq!(e["error"]["code"], "invalid_payload");
    assert_eq!(snapshot(&repo), before, "errors change nothing");

    // No name and no payload: usage errors.
    let out = repo
        .cmd()
        .env_remove("GITHUB_EVENT_NAME")
        .env_remove("GITHUB_EVENT_PATH")
        .args(["github", "event", "--json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert_eq!(parse_one_object(&out)["error"]["code"], "usage");
}

#[test]
fn github_actions_variables_are_the_defaults_and_branch_patterns_are_configurable() {
    let repo = Repo::new();
    let id = repo.create("Login page", &[]);
    // Custom patterns in config.json replace the defaults.
    let cfg_path = repo.jit_dir().join("config.json");
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
    cfg["github"] = json!({ "branch_patterns": ["users/*/{id}"] });
    std::fs::write(&cfg_path, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    let path = write_payload(
        &repo,
        &pr("pull_request.opened.json", &format!("feat/{id}-x")),
    );
    let run = |path: &Path| {
        repo.cmd()
            .env_remove("JIT_ACTOR")
            .env("GITHUB_EVENT_NAME", "pull_request")
            .env("GITHUB_EVENT_PATH", path)
            .args(["github", "event", "--json"])
            .output()
            .unwrap()
    };
    let out = run(&path);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(parse_one_object(&out)["applied"], false);
    let path = write_payload(
        &repo,
        &pr("pull_request.opened.json", &format!("users/bob/{id}")),
    );
    let out = run(&path);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let r = parse_one_object(&out);
    assert_eq!(r["applied"], true, "{r:#}");
    assert_eq!(repo.state(&id), "in_progress");
    // Human output says what it did.
    let out = repo
        .cmd()
        .env_remove("JIT_ACTOR")
        .args(["github", "event", "--name", "pull_request", "--payload"])
        .arg(&path)
        .output()
        .unwrap();
    let text = crate::common::stdout(&out);
    assert!(
        text.contains("already up to date") && text.contains(&id),
        "{text}"
    );
}

#[test]
fn a_refused_step_is_reported_with_its_exit_code_and_the_rest_still_applies() {
    let repo = Repo::new();
    let dep = repo.create("Dependency", &[]);
    let id = repo.create("Blocked work", &["--dep", &dep]);
    let r = event(
        &repo,
        "pull_request",
        &pr("pull_request.closed.merged.json", &format!("feat/{id}-x")),
    );
    let (r, c) = r;
    assert_eq!(c, 6, "blocked: {r:#}");
    let steps = r["issues"][0]["steps"].as_array().unwrap();
    assert_eq!(steps[0]["action"], "pr_linked");
    assert_eq!(steps[0]["changed"], true);
    assert_eq!(steps[1]["action"], "completed");
    assert_eq!(steps[1]["error"]["code"], "blocked");
    let v = repo.show(&id);
    assert_eq!(v["state"], "backlog");
    assert_eq!(v["prs"][0]["status"], "merged");
    // A manual gate mapped to a check is never passed by ci:github.
    repo.define_gate("signoff", &["--github-check", "test"]);
    let other = repo.create("Other", &["--gate", "signoff"]);
    repo.ok(&[
        "pr",
        "link",
        &other,
        "--url",
        "https://github.com/octo-org/octo-repo/pull/7",
        "--commit",
        HEAD,
    ]);
    let (r, c) = event(&repo, "check_run", &check("check_run", "success"));
    assert_eq!(c, 2, "{r:#}");
    let issue = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["short_id"] == other.as_str())
        .unwrap();
    let gate = issue["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["action"] == "gate_passed")
        .unwrap();
    assert_eq!(gate["error"]["code"], "manual_gate");
    assert_eq!(
        repo.show(&other)["gates_status"]["signoff"]["status"],
        "pending"
    );
}
