//! Agent coordination: claims, leases, claim-next, optimistic concurrency, context, the claim
//! race between many processes, and jit-dispatch end to end.

use crate::common::{Repo, assert_ok, code, parse_one_object, short_ids};
use std::collections::HashSet;

fn events_of(repo: &Repo, kind: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(repo.jit_dir().join("events.jsonl"))
        .expect("events")
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("event JSON"))
        .filter(|e| e["type"] == kind)
        .collect()
}

#[test]
fn claim_moves_ready_to_in_progress_with_a_lease() {
    let repo = Repo::new();
    let id = repo.create("Work", &[]);
    let v = repo.ok(&["issue", "claim", &id, "--actor", "agent:a1", "--ttl", "30m"]);
    assert_eq!(v["state"], "in_progress");
    assert_eq!(v["assignee"], "agent:a1");
    assert_eq!(v["lease"]["holder"], "agent:a1");
    assert_eq!(v["lease"]["ttl_secs"], 1800);
    assert!(v["lease"]["expires_at"].is_string());
    // Claiming again as the holder renews; as anyone else is refused with the holder named.
    repo.ok(&["issue", "claim", &id, "--actor", "agent:a1"]);
    let d = repo.err(
        &["issue", "claim", &id, "--actor", "agent:a2"],
        "already_claimed",
        5,
    );
    assert_eq!(d["holder"], "agent:a1");
    assert!(d["lease_expires_at"].is_string());
    assert_eq!(repo.show(&id)["assignee"], "agent:a1");
}

#[test]
fn claim_of_blocked_issue_is_refused() {
    let repo = Repo::new();
    let dep = repo.create("Dep", &[]);
    let id = repo.create("Needs dep", &["--dep", &dep]);
    let d = repo.err(
        &["issue", "claim", &id, "--actor", "agent:a1"],
        "blocked",
        6,
    );
    assert_eq!(d["blockers"][0]["kind"], "dependency");
    assert!(repo.show(&id)["assignee"].is_null());
}

#[test]
fn invalid_actor_is_refused() {
    let repo = Repo::new();
    let id = repo.create("Work", &[]);
    for bad in ["alice", "Agent:x", "agent:", "agent:a b"] {
        repo.err(&["issue", "claim", &id, "--to", bad], "invalid_value", 2);
    }
    let out = repo.jit_env(
        &["issue", "claim", &id, "--json"],
        &[("JIT_ACTOR", "nobody")],
    );
    assert_eq!(code(&out), 2);
    assert_eq!(
        parse_one_object(&out)["error"]["details"]["field"],
        "JIT_ACTOR"
    );
}

#[test]
fn claim_next_takes_priority_then_age_and_honours_filter() {
    let repo = Repo::new();
    let low = repo.create("Low", &["--priority", "low"]);
    let high1 = repo.create("High one", &["--priority", "high", "--label", "api"]);
    let high2 = repo.create("High two", &["--priority", "high"]);
    let crit = repo.create("Critical", &["--priority", "critical", "--label", "ui"]);
    let first = repo.ok(&["issue", "claim-next", "--actor", "agent:a"]);
    assert_eq!(first["short_id"], crit.as_str());
    let f = repo.ok(&[
        "issue",
        "claim-next",
        "--actor",
        "agent:a",
        "--filter",
        "label:api",
    ]);
    assert_eq!(f["short_id"], high1.as_str());
    let next = repo.ok(&["issue", "claim-next", "--actor", "agent:a"]);
    assert_eq!(next["short_id"], high2.as_str());
    repo.err(
        &[
            "issue",
            "claim-next",
            "--actor",
            "agent:a",
            "--filter",
            "label:nothing",
        ],
        "no_ready_work",
        7,
    );
    repo.err(
        &["issue", "claim-next", "--filter", "state:"],
        "invalid_query",
        2,
    );
    let last = repo.ok(&["issue", "claim-next", "--to", "agent:b"]);
    assert_eq!(last["short_id"], low.as_str());
    assert_eq!(last["assignee"], "agent:b");
    repo.err(
        &["issue", "claim-next", "--actor", "agent:a"],
        "no_ready_work",
        7,
    );
}

#[test]
fn expired_lease_is_claimable_and_recorded() {
    let repo = Repo::new();
    let id = repo.create("Work", &[]);
    let t0 = [("JIT_NOW", "2030-01-01T00:00:00Z")];
    assert_ok(&repo.jit_env(
        &["issue", "claim", &id, "--actor", "agent:a1", "--ttl", "1m"],
        &t0,
    ));
    let early = [("JIT_NOW", "2030-01-01T00:00:30Z")];
    let out = repo.jit_env(
        &["issue", "claim", &id, "--actor", "agent:a2", "--json"],
        &early,
    );
    assert_eq!(code(&out), 5);
    let stale = repo.jit_env(
        &["query", "stale", "--json"],
        &[("JIT_NOW", "2030-01-01T00:05:00Z")],
    );
    let stale = parse_one_object(&stale);
    assert_eq!(stale["issues"][0]["reason"], "lease_expired");
    let late = [("JIT_NOW", "2030-01-01T00:02:00Z")];
    let out = repo.jit_env(
        &["issue", "claim", &id, "--actor", "agent:a2", "--json"],
        &late,
    );
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(parse_one_object(&out)["assignee"], "agent:a2");
    let kinds: Vec<String> = std::fs::read_to_string(repo.jit_dir().join("events.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let n = kinds.len();
    assert_eq!(&kinds[n - 2..], ["lease.expired", "issue.claimed"]);
}

#[test]
fn claim_next_takes_over_expired_in_progress_work() {
    let repo = Repo::new();
    let id = repo.create("Abandoned", &[]);
    assert_ok(&repo.jit_env(
        &["issue", "claim", &id, "--actor", "agent:a1", "--ttl", "1m"],
        &[("JIT_NOW", "2030-01-01T00:00:00Z")],
    ));
    let out = repo.jit_env(
        &["issue", "claim-next", "--actor", "agent:a2", "--json"],
        &[("JIT_NOW", "2030-01-01T01:00:00Z")],
    );
    assert_eq!(code(&out), 0);
    assert_eq!(parse_one_object(&out)["short_id"], id.as_str());
}

#[test]
fn heartbeat_release_assign() {
    let repo = Repo::new();
    let id = repo.create("Work", &[]);
    assert_ok(&repo.jit_env(
        &["issue", "claim", &id, "--actor", "agent:a1", "--ttl", "10m"],
        &[("JIT_NOW", "2030-01-01T00:00:00Z")],
    ));
    let out = repo.jit_env(
        &["issue", "heartbeat", &id, "--actor", "agent:a1", "--json"],
        &[("JIT_NOW", "2030-01-01T00:08:00Z")],
    );
    assert_eq!(
        parse_one_object(&out)["lease"]["expires_at"],
        "2030-01-01T00:18:00.000Z"
    );
    repo.err(
        &["issue", "heartbeat", &id, "--actor", "agent:other"],
        "already_claimed",
        5,
    );
    repo.err(
        &["issue", "release", &id, "--actor", "agent:other"],
        "already_claimed",
        5,
    );
    let v = repo.ok(&["issue", "release", &id, "--actor", "agent:a1"]);
    assert_eq!(v["state"], "ready");
    assert!(v["assignee"].is_null() && v["lease"].is_null());
    repo.err(
        &["issue", "release", &id, "--actor", "agent:a1"],
        "not_claimed",
        2,
    );
    repo.ok(&["issue", "claim", &id, "--actor", "agent:a1"]);
    let v = repo.ok(&["issue", "release", &id, "--force", "--actor", "human:boss"]);
    assert!(v["assignee"].is_null());
    let v = repo.ok(&["issue", "assign", &id, "--to", "human:alice"]);
    assert_eq!(
        (v["assignee"].as_str(), v["state"].as_str()),
        (Some("human:alice"), Some("ready"))
    );
    // Taking it from the assignee is a move: only the holder, or a human with --force.
    repo.err(&["issue", "unassign", &id], "already_claimed", 5);
    let v = repo.ok(&["issue", "unassign", &id, "--force"]);
    assert!(v["assignee"].is_null());
    assert_eq!(events_of(&repo, "issue.released").len(), 2);
}

#[test]
fn stale_if_version_is_refused_everywhere() {
    let repo = Repo::new();
    let id = repo.create("Work", &[]);
    let v = repo.show(&id)["version"].as_u64().unwrap();
    repo.ok(&[
        "issue",
        "update",
        &id,
        "--title",
        "Renamed",
        "--if-version",
        &v.to_string(),
    ]);
    let before = std::fs::read(repo.issue_path(&id)).unwrap();
    let d = repo.err(
        &[
            "issue",
            "update",
            &id,
            "--title",
            "Lost",
            "--if-version",
            &v.to_string(),
        ],
        "version_conflict",
        4,
    );
    assert_eq!(
        (d["expected"].as_u64(), d["actual"].as_u64()),
        (Some(v), Some(v + 1))
    );
    repo.err(
        &["issue", "claim", &id, "--if-version", &v.to_string()],
        "version_conflict",
        4,
    );
    repo.err(
        &[
            "issue",
            "assign",
            &id,
            "--to",
            "human:x",
            "--if-version",
            "99",
        ],
        "version_conflict",
        4,
    );
    repo.err(
        &["issue", "delete", &id, "--if-version", "99"],
        "version_conflict",
        4,
    );
    assert_eq!(std::fs::read(repo.issue_path(&id)).unwrap(), before);
}

#[test]
fn reopen_demotes_dependents_that_have_not_started() {
    let repo = Repo::new();
    let dep = repo.create("Dep", &[]);
    let a = repo.create("A", &["--dep", &dep]);
    repo.ok(&["issue", "update", &dep, "--state", "done"]);
    assert_eq!(repo.state(&a), "ready");
    repo.err(
        &["issue", "reopen", &a, "--reason", "x"],
        "invalid_transition",
        2,
    );
    let v = repo.ok(&["issue", "reopen", &dep, "--reason", "regression found"]);
    assert_eq!(v["state"], "ready");
    assert_eq!(v["demoted"][0], repo.full_id(&a));
    assert_eq!(repo.state(&a), "backlog");
    assert_eq!(
        events_of(&repo, "issue.reopened")[0]["data"]["reason"],
        "regression found"
    );
}

#[test]
fn context_is_markdown_with_dependencies_gates_and_activity() {
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
    let dep = repo.create("Design schema", &[]);
    let id = repo.create(
        "Build API",
        &[
            "--dep",
            &dep,
            "--gate",
            "tests",
            "--desc",
            "Do it.\n\n- [ ] endpoint works\n",
        ],
    );
    let v = repo.ok(&["issue", "context", &id]);
    let md = v["markdown"].as_str().unwrap();
    assert!(md.starts_with("# Build API"), "{md}");
    assert!(
        md.contains("## Acceptance criteria") && md.contains("- [ ] endpoint works"),
        "{md}"
    );
    assert!(
        md.contains(&format!("- {dep} Design schema (ready)")),
        "{md}"
    );
    assert!(md.contains("tests (Tests): **pending**"), "{md}");
    assert!(
        md.contains("## Recent activity") && md.contains("issue.created"),
        "{md}"
    );
    let log = repo.ok(&["issue", "log", &id]);
    assert_eq!(log["events"][0]["type"], "issue.created");
}

/// 8 processes loop `claim-next` over 200 issues: every issue is claimed exactly once.
#[test]
fn claim_race_every_issue_claimed_exactly_once() {
    let repo = Repo::new();
    let ids: Vec<String> = (0..200)
        .map(|i| repo.create(&format!("Task {i}"), &[]))
        .collect();
    let root = repo.path().to_path_buf();
    let workers: Vec<_> = (0..8)
        .map(|w| {
            let root = root.clone();
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                loop {
                    let out = crate::common::jit_cmd(&root)
                        .args([
                            "issue",
                            "claim-next",
                            "--json",
                            "--actor",
                            &format!("agent:w{w}"),
                        ])
                        .output()
                        .expect("jit runs");
                    match code(&out) {
                        0 => mine.push(
                            parse_one_object(&out)["short_id"]
                                .as_str()
                                .unwrap()
                                .to_string(),
                        ),
                        7 => break,
                        c => panic!(
                            "claim-next exited {c}: {}",
                            String::from_utf8_lossy(&out.stdout)
                        ),
                    }
                }
                mine
            })
        })
        .collect();
    let claimed: Vec<String> = workers
        .into_iter()
        .flat_map(|h| h.join().expect("worker"))
        .collect();
    assert_eq!(claimed.len(), 200, "claims reported");
    let unique: HashSet<&String> = claimed.iter().collect();
    assert_eq!(unique.len(), 200, "an issue was claimed twice");
    assert_eq!(unique, ids.iter().collect::<HashSet<_>>());
    assert_eq!(events_of(&repo, "issue.claimed").len(), 200);
    let v = repo.ok(&["query", "state", "in_progress"]);
    assert_eq!(v["total"], 200);
    repo.ok(&["validate"]);
}

fn dispatch_bin() -> &'static std::path::Path {
    assert_cmd::cargo::cargo_bin!("jit-dispatch")
}

#[test]
fn dispatch_runs_agents_on_claimed_work() {
    let repo = Repo::new();
    for i in 0..5 {
        repo.create(&format!("Task {i}"), &[]);
    }
    let jit = crate::common::jit_bin();
    let agent = repo.path().join("agent.sh");
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\necho \"$JIT_ACTOR $JIT_ISSUE_ID\" >> agent.log\n\"{}\" issue update \"$JIT_ISSUE_ID\" --state done --actor \"$JIT_ACTOR\" >/dev/null\n",
            jit.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&agent, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    std::fs::write(
        repo.path().join("dispatch.toml"),
        "[dispatch]\npoll_interval_secs = 1\n\n[[agents]]\nid = \"bot\"\ntype = \"agent\"\ncommand = \"./agent.sh\"\nmax_concurrent = 2\n",
    )
    .unwrap();
    let mut rounds = 0;
    loop {
        let out = std::process::Command::new(dispatch_bin())
            .current_dir(repo.path())
            .args(["once", "--config", "dispatch.toml", "--json", "--jit-path"])
            .arg(jit)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let started = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| l.contains("\"started\""))
            .count();
        assert!(started <= 2, "max_concurrent exceeded: {started}");
        rounds += 1;
        if started == 0 || rounds > 10 {
            break;
        }
    }
    let log = std::fs::read_to_string(repo.path().join("agent.log")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(lines.len(), 5, "{log}");
    assert!(lines.iter().all(|l| l.starts_with("agent:bot ")));
    assert_eq!(lines.iter().collect::<HashSet<_>>().len(), 5);
    assert_eq!(repo.ok(&["query", "state", "done"])["total"], 5);
}

#[test]
fn dispatch_releases_work_when_the_agent_fails_and_reports_bad_config() {
    let repo = Repo::new();
    let id = repo.create("Task", &[]);
    std::fs::write(
        repo.path().join("d.toml"),
        "[[agents]]\nid = \"bot\"\ncommand = \"false\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(dispatch_bin())
        .current_dir(repo.path())
        .args(["once", "--config", "d.toml", "--jit-path"])
        .arg(crate::common::jit_bin())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("claim released"));
    let v = repo.show(&id);
    assert_eq!(
        (v["state"].as_str(), v["assignee"].is_null()),
        (Some("ready"), true)
    );
    std::fs::write(
        repo.path().join("bad.toml"),
        "[dispatch]\npoll_interval_secs = \"often\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(dispatch_bin())
        .current_dir(repo.path())
        .args(["once", "--config", "bad.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml") && err.contains("line 2"), "{err}");
}

#[test]
fn dispatch_start_polls_until_its_cycle_limit() {
    let repo = Repo::new();
    let id = repo.create("Task", &[]);
    std::fs::write(
        repo.path().join("d.toml"),
        "[dispatch]\npoll_interval_secs = 1\n\n[[agents]]\nid = \"bot\"\ncommand = \"true\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(dispatch_bin())
        .current_dir(repo.path())
        .args([
            "start",
            "--config",
            "d.toml",
            "--max-cycles",
            "2",
            "--json",
            "--jit-path",
        ])
        .arg(crate::common::jit_bin())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.iter().filter(|l| l["action"] == "started").count(),
        1,
        "{lines:?}"
    );
    assert_eq!(
        lines
            .iter()
            .filter(|l| l["action"] == "finished" && l["exit_code"] == 0)
            .count(),
        1,
        "{lines:?}"
    );
    // The agent exited 0 without finishing: the claim stays with it.
    assert_eq!(repo.show(&id)["assignee"], "agent:bot");
}

/// One readiness rule: with an expired lease, `query ready` (from the index and through a
/// filter), `metrics` and `claim-next` all see the issue as claimable.
#[test]
fn an_expired_lease_is_ready_work_in_every_view() {
    let repo = Repo::new();
    let id = repo.create("Abandoned", &[]);
    let other = repo.create("Held", &[]);
    let t0 = [("JIT_NOW", "2030-01-01T00:00:00Z")];
    assert_ok(&repo.jit_env(
        &["issue", "claim", &id, "--actor", "agent:a1", "--ttl", "1m"],
        &t0,
    ));
    assert_ok(&repo.jit_env(
        &[
            "issue", "claim", &other, "--actor", "agent:a3", "--ttl", "10h",
        ],
        &t0,
    ));
    let later = [("JIT_NOW", "2030-01-01T01:00:00Z")];
    let json = |args: &[&str]| {
        let mut a = args.to_vec();
        a.push("--json");
        let out = repo.jit_env(&a, &later);
        assert_ok(&out);
        parse_one_object(&out)
    };
    assert_eq!(short_ids(&json(&["query", "ready"])), vec![id.clone()]);
    assert_eq!(
        short_ids(&json(&["query", "ready", "--filter", "state:in_progress"])),
        vec![id.clone()]
    );
    assert_eq!(
        short_ids(&json(&["issue", "list", "--filter", "state:in_progress"])).len(),
        2
    );
    assert_eq!(json(&["metrics"])["ready_unclaimed"], 1);
    let claimed = json(&["issue", "claim-next", "--actor", "agent:a2"]);
    assert_eq!(claimed["short_id"], id.as_str());
}
