//! Trust under hostile use: each guarantee of docs/guarantees.md ("Authority", "Hostile input",
//! "Numbers and clocks") tested the way a careless agent, a CI job, an MCP client or an attacker
//! leans on it, through the real binary in temp repositories.

use crate::common::{Repo, assert_ok, code, parse_one_object, short_ids, stderr, stdout};
use serde_json::{Value, json};

/// Runs `args --json` with `JIT_NOW` pinned to `t`: the JSON object and the exit code.
fn json_at(repo: &Repo, args: &[&str], t: &str) -> (Value, i32) {
    let mut a = args.to_vec();
    a.push("--json");
    let out = repo.jit_env(&a, &[("JIT_NOW", t)]);
    (parse_one_object(&out), code(&out))
}

/// The gate status of `key` on an issue, as stored.
fn gate(repo: &Repo, id: &str, key: &str) -> Value {
    repo.read_issue(id)["gates_status"][key].clone()
}

// ---- 1. Gate authority comes from the acting actor ----

#[test]
fn manual_gates_take_their_authority_from_the_acting_actor() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    repo.define_gate("tests", &["--auto"]);
    let id = repo.create("Gated", &["--gate", "review", "--gate", "tests"]);
    repo.ok(&["issue", "update", &id, "--state", "done"]);
    assert_eq!(repo.state(&id), "gated");
    let events = repo.event_count();

    // Automation cannot borrow a human's name, for a manual gate or an auto one.
    for actor in ["ci:github", "agent:bot"] {
        for key in ["review", "tests"] {
            let d = repo.err(
                &[
                    "gate",
                    "pass",
                    &id,
                    key,
                    "--actor",
                    actor,
                    "--by",
                    "human:alice",
                ],
                "by_not_allowed",
                2,
            );
            assert_eq!(d["by"], "human:alice");
        }
        repo.err(
            &["gate", "pass", &id, "review", "--actor", actor],
            "manual_gate",
            2,
        );
    }
    // A human cannot record a manual gate as passed by automation either.
    repo.err(
        &[
            "gate",
            "pass",
            &id,
            "review",
            "--actor",
            "human:alice",
            "--by",
            "ci:github",
        ],
        "manual_gate",
        2,
    );
    assert_eq!(repo.state(&id), "gated");
    assert_eq!(gate(&repo, &id, "review")["status"], "pending");
    assert_eq!(repo.event_count(), events, "refusals write nothing");

    // A human may record an auto gate's result for CI: the file says who did both.
    repo.ok(&[
        "gate",
        "pass",
        &id,
        "tests",
        "--actor",
        "human:alice",
        "--by",
        "ci:github",
    ]);
    let tests = gate(&repo, &id, "tests");
    assert_eq!(tests["by"], "ci:github");
    assert_eq!(tests["recorded_by"], "human:alice");
    // And the manual gate, as themselves: done.
    let done = repo.ok(&["gate", "pass", &id, "review", "--actor", "human:alice"]);
    assert_eq!(done["state"], "done");
    let review = gate(&repo, &id, "review");
    assert_eq!(review["by"], "human:alice");
    assert!(review.get("recorded_by").is_none(), "{review}");
}

/// The same through MCP: `gate_pass` with `by` is checked like `--by`.
#[cfg(feature = "mcp")]
#[test]
fn mcp_gate_pass_cannot_borrow_a_human_name() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    let id = repo.create("Gated", &["--gate", "review"]);
    repo.ok(&["issue", "update", &id, "--state", "done"]);
    let mut c = mcp::Client::start(&repo);
    c.initialize();
    let r = c.call(
        "gate_pass",
        json!({"id": id, "key": "review", "actor": "ci:github", "by": "human:alice"}),
    );
    assert_eq!(r["result"]["isError"], true, "{r}");
    assert_eq!(
        r["result"]["structuredContent"]["error"]["code"],
        "by_not_allowed"
    );
    assert_eq!(repo.state(&id), "gated");
}

/// A raw MCP client: writes bytes to `jit mcp`, reads its stdout line by line with a deadline.
#[cfg(feature = "mcp")]
pub mod mcp {
    use crate::common::{Repo, jit_cmd};
    use serde_json::{Value, json};
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Child, ChildStdin, Stdio};
    use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
    use std::time::Duration;

    /// How long a reply may take before the test fails (a missing reply is the bug).
    pub const DEADLINE: Duration = Duration::from_secs(20);

    pub struct Client {
        child: Child,
        stdin: Option<ChildStdin>,
        lines: Receiver<Vec<u8>>,
        next_id: u64,
    }

    impl Client {
        pub fn start(repo: &Repo) -> Self {
            let mut child = jit_cmd(repo.path())
                .arg("mcp")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("jit mcp starts");
            let stdout = child.stdout.take().expect("stdout");
            let (tx, lines) = channel();
            std::thread::spawn(move || {
                let mut r = BufReader::new(stdout);
                loop {
                    let mut line = Vec::new();
                    match r.read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            if tx.send(line).is_err() {
                                break;
                            }
                        }
                    }
                }
            });
            let stdin = child.stdin.take();
            Client {
                child,
                stdin,
                lines,
                next_id: 1,
            }
        }

        /// Writes raw bytes (a message, a broken one, or part of one).
        pub fn write(&mut self, bytes: &[u8]) {
            let stdin = self.stdin.as_mut().expect("stdin open");
            stdin.write_all(bytes).expect("write to jit mcp");
            stdin.flush().expect("flush");
        }

        /// The next message on stdout: it must be one JSON-RPC 2.0 object on one line.
        pub fn read(&self) -> Value {
            match self.lines.recv_timeout(DEADLINE) {
                Ok(line) => {
                    let v: Value = serde_json::from_slice(&line).unwrap_or_else(|e| {
                        panic!(
                            "stdout line is not JSON ({e}): {:?}",
                            String::from_utf8_lossy(&line)
                        )
                    });
                    assert_eq!(v["jsonrpc"], "2.0", "not JSON-RPC 2.0: {v}");
                    v
                }
                Err(RecvTimeoutError::Timeout) => {
                    panic!("no reply from jit mcp within {DEADLINE:?}")
                }
                Err(RecvTimeoutError::Disconnected) => panic!("jit mcp closed stdout"),
            }
        }

        /// Sends a request and returns the whole reply with its id.
        pub fn request(&mut self, method: &str, params: Value) -> Value {
            let id = self.next_id;
            self.next_id += 1;
            let msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
            self.write(format!("{msg}\n").as_bytes());
            loop {
                let v = self.read();
                if v["id"] == json!(id) {
                    return v;
                }
            }
        }

        pub fn initialize(&mut self) {
            let r = self.request(
                "initialize",
                json!({
                    "protocolVersion": "2025-06-18",
                    "capabilities": {},
                    "clientInfo": {"name": "jit-trust-test", "version": "1"}
                }),
            );
            assert!(r.get("result").is_some(), "{r}");
            self.write(b"{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n");
        }

        /// Calls a tool; returns the whole JSON-RPC reply.
        pub fn call(&mut self, name: &str, args: Value) -> Value {
            self.request("tools/call", json!({"name": name, "arguments": args}))
        }

        /// Closes stdin and returns the next message (what the server said to the last bytes).
        pub fn close_and_read(&mut self) -> Value {
            drop(self.stdin.take());
            self.read()
        }

        /// Closes stdin; the server must exit 0.
        pub fn finish(mut self) {
            drop(self.stdin.take());
            let until = std::time::Instant::now() + DEADLINE;
            loop {
                if let Some(status) = self.child.try_wait().expect("wait") {
                    assert!(status.success(), "jit mcp exited with {status}");
                    return;
                }
                assert!(std::time::Instant::now() < until, "jit mcp did not exit");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    impl Drop for Client {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---- 2. Moves of a claimed issue are its holder's ----

/// Runs `jit github event` as GitHub Actions does (no JIT_ACTOR: the actor is `ci:github`).
fn github_event(repo: &Repo, name: &str, payload: &Value) -> (Value, i32) {
    let path = repo.path().join(format!("event-{name}.json"));
    std::fs::write(&path, serde_json::to_vec(payload).unwrap()).unwrap();
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

fn merged_pr(branch: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/github/pull_request.closed.merged.json");
    let mut v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    v["pull_request"]["head"]["ref"] = json!(branch);
    v
}

#[test]
fn only_the_holder_moves_a_claimed_issue_and_a_human_forces_it_on_the_record() {
    let repo = Repo::new();
    let id = repo.create("Held by claude-1", &[]);
    repo.ok(&["issue", "claim", &id, "--actor", "agent:claude-1"]);
    let before = repo.read_issue(&id);
    let events = repo.event_count();

    // Every way another actor could move it, take it or drop it is refused alike.
    let moves: &[&[&str]] = &[
        &["issue", "update", &id, "--state", "done"],
        &["issue", "update", &id, "--state", "archived"],
        &["issue", "update", &id, "--state", "ready"],
        &["issue", "assign", &id, "--to", "agent:intruder"],
        &["issue", "unassign", &id],
        &["issue", "release", &id],
        &["issue", "heartbeat", &id],
        &["issue", "delete", &id],
    ];
    for args in moves {
        for actor in ["agent:intruder", "ci:github", "human:alice"] {
            let mut a = args.to_vec();
            a.extend(["--actor", actor]);
            let d = repo.err(&a, "already_claimed", 5);
            assert_eq!(d["holder"], "agent:claude-1", "{args:?} as {actor}");
        }
    }
    // --force lends nothing to automation.
    repo.err(
        &[
            "issue",
            "update",
            &id,
            "--state",
            "done",
            "--force",
            "--actor",
            "agent:intruder",
        ],
        "already_claimed",
        5,
    );
    assert_eq!(repo.read_issue(&id), before, "nothing moved");
    assert_eq!(repo.event_count(), events, "nothing recorded");

    // What is not a move stays open to everyone: a comment, a label.
    repo.ok(&[
        "issue",
        "comment",
        &id,
        "--body",
        "looks stuck",
        "--actor",
        "agent:intruder",
    ]);
    repo.ok(&[
        "issue",
        "update",
        &id,
        "--add-label",
        "triage",
        "--actor",
        "ci:github",
    ]);

    // A human forces it, and the log says whose claim was overridden.
    let done = repo.ok(&[
        "issue",
        "update",
        &id,
        "--state",
        "done",
        "--force",
        "--actor",
        "human:alice",
    ]);
    assert_eq!(done["state"], "done");
    assert!(done.get("lease").is_none(), "{done}");
    let last = repo.events().pop().unwrap();
    assert_eq!(last["actor"], "human:alice");
    assert_eq!(last["data"]["forced_from"], "agent:claude-1", "{last}");

    // The holder moves its own issue; a lease that ran out holds nothing.
    let own = repo.create("Own", &[]);
    repo.ok(&["issue", "claim", &own, "--actor", "agent:claude-1"]);
    repo.ok(&[
        "issue",
        "update",
        &own,
        "--state",
        "done",
        "--actor",
        "agent:claude-1",
    ]);
    let lapsed = repo.create("Lapsed", &[]);
    let t0 = [("JIT_NOW", "2030-01-01T00:00:00Z")];
    let t1 = [("JIT_NOW", "2030-01-01T02:00:00Z")];
    assert_ok(&repo.jit_env(
        &[
            "issue",
            "claim",
            &lapsed,
            "--ttl",
            "1h",
            "--actor",
            "agent:claude-1",
        ],
        &t0,
    ));
    assert_ok(&repo.jit_env(
        &[
            "issue",
            "update",
            &lapsed,
            "--state",
            "ready",
            "--actor",
            "agent:other",
        ],
        &t1,
    ));
}

/// `jit github event` acts as `ci:github`: a merged pull request completes an issue nobody
/// holds, and for one an agent holds the step is refused, named and exit 5; nothing moves.
#[test]
fn github_events_respect_the_holder_and_say_so() {
    let repo = Repo::new();
    let free = repo.create("Free", &[]);
    let (r, c) = github_event(&repo, "pull_request", &merged_pr(&format!("feat/{free}-x")));
    assert_eq!(c, 0, "{r:#}");
    assert_eq!(repo.state(&free), "done");

    let held = repo.create("Held", &[]);
    repo.ok(&["issue", "claim", &held, "--actor", "agent:claude-1"]);
    let (r, c) = github_event(&repo, "pull_request", &merged_pr(&format!("feat/{held}-y")));
    assert_eq!(c, 5, "{r:#}");
    let step = r["issues"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["action"] == "completed")
        .cloned()
        .unwrap_or_else(|| panic!("no completed step: {r:#}"));
    assert_eq!(step["error"]["code"], "already_claimed", "{step}");
    assert_eq!(step["error"]["details"]["holder"], "agent:claude-1");
    assert_eq!(repo.state(&held), "in_progress");
    // The pull request is still linked: that is not a move.
    assert_eq!(repo.show(&held)["prs"][0]["status"], "merged");
}

/// A check run passing the last auto gate finishes a gated issue an agent holds: the gate's
/// authority decides that, not the holder rule.
#[test]
fn an_auto_gate_passed_by_ci_finishes_an_issue_its_holder_handed_to_the_gates() {
    let repo = Repo::new();
    repo.define_gate("tests", &["--auto"]);
    let id = repo.create("Gated", &["--gate", "tests"]);
    repo.ok(&["issue", "claim", &id, "--actor", "agent:claude-1"]);
    repo.ok(&[
        "issue",
        "update",
        &id,
        "--state",
        "done",
        "--actor",
        "agent:claude-1",
    ]);
    assert_eq!(repo.state(&id), "gated");
    let done = repo.ok(&["gate", "pass", &id, "tests", "--actor", "ci:github"]);
    assert_eq!(done["state"], "done");
}

// ---- 3. Finishing ends the lease ----

#[test]
fn finished_work_holds_no_lease_is_never_claimed_and_never_stale() {
    let repo = Repo::new();
    let id = repo.create("Short job", &[]);
    let run = |args: &[&str], t: &str| json_at(&repo, args, t);
    let (_, c) = run(
        &["issue", "claim", &id, "--actor", "agent:a", "--ttl", "1h"],
        "2030-01-01T00:00:00Z",
    );
    assert_eq!(c, 0);
    let (done, c) = run(
        &[
            "issue", "update", &id, "--state", "done", "--actor", "agent:a",
        ],
        "2030-01-01T00:10:00Z",
    );
    assert_eq!(c, 0, "{done}");
    assert!(done.get("lease").is_none(), "{done}");
    assert!(repo.read_issue(&id).get("lease").is_none());
    assert_eq!(repo.show(&id)["assignee"], "agent:a", "who did it stays");
    let (e, c) = run(
        &["issue", "claim", &id, "--actor", "agent:b"],
        "2030-01-01T03:00:00Z",
    );
    assert_eq!(
        (e["error"]["code"].as_str(), c),
        (Some("invalid_transition"), 2)
    );
    let (stale, _) = run(&["query", "stale"], "2030-01-01T03:00:00Z");
    assert_eq!(stale["total"], 0, "{stale}");
    // A file an older jit wrote (done, lease still there) is not stale either.
    repo.edit_issue(&id, |v| {
        v["lease"] = json!({"holder": "agent:a", "acquired_at": "2030-01-01T00:00:00.000Z",
            "expires_at": "2030-01-01T01:00:00.000Z", "ttl_secs": 3600});
    });
    let (stale, _) = run(&["query", "stale"], "2030-01-01T03:00:00Z");
    assert_eq!(stale["total"], 0, "{stale}");
    let (e, c) = run(
        &["issue", "claim", &id, "--actor", "agent:b"],
        "2030-01-01T03:00:00Z",
    );
    assert_eq!(
        (e["error"]["code"].as_str(), c),
        (Some("invalid_transition"), 2)
    );
    // validate names the leftover lease and --fix removes it.
    let (report, _) = run(&["validate"], "2030-01-01T03:00:00Z");
    assert_eq!(report["problems"][0]["code"], "lease_on_closed", "{report}");
    let (fixed, _) = run(&["validate", "--fix"], "2030-01-01T03:00:00Z");
    assert_eq!(fixed["fixed"], 1, "{fixed}");
    assert!(repo.read_issue(&id).get("lease").is_none());
}

// ---- 5. Containers are not work ----

#[test]
fn epics_and_milestones_are_never_handed_out_unless_a_filter_asks() {
    let repo = Repo::new();
    let epic = repo.create(
        "Epic: Payments platform",
        &["--type", "epic", "--priority", "critical"],
    );
    let ms = repo.create(
        "Milestone 1",
        &["--type", "milestone", "--priority", "critical"],
    );
    let task = repo.create("Charge a card", &["--parent", &epic]);
    // Every view of ready work agrees: the index path, a filter, metrics, alerts.
    assert_eq!(short_ids(&repo.ok(&["query", "ready"])), vec![task.clone()]);
    assert_eq!(
        short_ids(&repo.ok(&["query", "ready", "--filter", "priority:>=low"])),
        vec![task.clone()]
    );
    assert_eq!(repo.ok(&["metrics"])["ready_unclaimed"], 1);
    repo.ok(&["alert", "add", "idle", "--when", "count(ready) >= 2"]);
    assert_eq!(
        repo.ok(&["alert", "check"])["fired"]
            .as_array()
            .map(Vec::len),
        Some(0)
    );
    // claim-next takes the task, then finds nothing: the epic is not work.
    assert_eq!(repo.ok(&["issue", "claim-next"])["short_id"], task.as_str());
    repo.err(&["issue", "claim-next"], "no_ready_work", 7);
    repo.err(
        &["issue", "claim-next", "--filter", "label:x"],
        "no_ready_work",
        7,
    );
    // A filter that asks for the type lets it in.
    assert_eq!(
        short_ids(&repo.ok(&["query", "ready", "--filter", "type:epic"])),
        vec![epic.clone()]
    );
    assert_eq!(
        repo.ok(&["issue", "claim-next", "--filter", "type:milestone|epic"])["short_id"],
        epic.as_str(),
        "the older of the two"
    );
    assert_eq!(
        repo.ok(&["issue", "claim-next", "--filter", "type:milestone|epic"])["short_id"],
        ms.as_str()
    );
    // Which types are containers is configurable.
    let cfg_path = repo.jit_dir().join("config.json");
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
    cfg["containers"] = json!(["milestone"]);
    std::fs::write(&cfg_path, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    repo.ok(&["issue", "release", &epic]);
    assert_eq!(short_ids(&repo.ok(&["query", "ready"])), vec![epic.clone()]);
}

// ---- 6. A negated filter is a value, wherever --filter is taken ----

#[test]
fn a_negated_filter_is_a_value_everywhere_and_jit_dispatch_can_use_it() {
    let repo = Repo::new();
    let manual = repo.create("Needs a person", &["--label", "manual"]);
    let auto = repo.create("Anyone can", &[]);
    let every: &[&[&str]] = &[
        &["issue", "list", "--filter"],
        &["query", "ready", "--filter"],
        &["query", "blocked", "--filter"],
        &["query", "stale", "--filter"],
        &["export", "--format", "csv", "--filter"],
        &["export", "roadmap", "--filter"],
    ];
    for args in every {
        let mut a = args.to_vec();
        a.push("-label:manual");
        repo.ok(&a);
    }
    // A forgotten value before a flag is still a usage error, not a filter named `--json`.
    let (v, c) = repo.json(&["issue", "list", "--filter"]);
    assert_eq!((v["error"]["code"].as_str(), c), (Some("usage"), 2), "{v}");
    let ready = repo.ok(&["query", "ready", "--filter", "-label:manual"]);
    assert_eq!(short_ids(&ready), vec![auto.clone()]);
    // Free text may start with `-` too.
    repo.ok(&["issue", "comment", &manual, "--body", "-1: not for agents"]);
    assert_eq!(
        repo.show(&manual)["comments"][0]["body"],
        "-1: not for agents"
    );
    // The documented dispatch.toml filter, run by jit-dispatch.
    let toml = repo.path().join("dispatch.toml");
    std::fs::write(
        &toml,
        "[dispatch]\nfilter = \"-label:manual\"\n\n[[agents]]\nid = \"bot\"\ntype = \"agent\"\ncommand = \"true\"\n",
    )
    .unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin!("jit-dispatch"))
        .current_dir(repo.path())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .args(["once", "--config"])
        .arg(&toml)
        .arg("--jit-path")
        .arg(crate::common::jit_bin())
        .output()
        .unwrap();
    assert_ok(&out);
    assert_eq!(
        repo.show(&auto)["assignee"],
        "agent:bot",
        "{}",
        stdout(&out)
    );
    assert!(repo.show(&manual)["assignee"].is_null());
}

// ---- 8. Agents get the whole error, and --help / --version as JSON ----

#[test]
fn usage_errors_help_and_version_are_whole_json_objects() {
    let repo = Repo::new();
    let (v, c) = repo.json(&["issue", "create"]);
    assert_eq!(c, 2);
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(
        msg.contains("--title <TITLE>"),
        "the argument is named: {msg}"
    );
    assert_eq!(v["error"]["code"], "usage");
    assert_eq!(v["error"]["details"]["kind"], "missing_required_argument");
    assert_eq!(
        v["error"]["details"]["arguments"],
        json!(["--title <TITLE>"])
    );
    assert!(
        v["error"]["details"]["usage"]
            .as_str()
            .unwrap()
            .contains("jit issue create")
    );

    let (v, c) = repo.json(&["issue", "update", "x", "--priority", "urgent"]);
    assert_eq!(c, 2);
    assert_eq!(v["error"]["details"]["value"], "urgent");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("critical"),
        "{v}"
    );

    let (v, c) = repo.json(&["issue", "craete"]);
    assert_eq!(c, 2);
    assert_eq!(v["error"]["details"]["arguments"], json!(["craete"]));
    assert!(
        v["error"]["details"]["suggested_subcommands"]
            .as_array()
            .unwrap()
            .contains(&json!("create")),
        "{v}"
    );

    for args in [
        &["--help"][..],
        &["issue", "create", "--help"],
        &["issue", "-h"],
    ] {
        let (v, c) = repo.json(args);
        assert_eq!(c, 0);
        assert!(v["help"].as_str().unwrap().contains("Usage: jit"), "{v}");
    }
    let (v, c) = repo.json(&["--version"]);
    assert_eq!(c, 0);
    assert_eq!(
        v,
        json!({"name": "jit", "version": env!("CARGO_PKG_VERSION")})
    );
    // Without --json, people get clap's text as before.
    let out = repo.jit(&["--version"]);
    assert_eq!(
        stdout(&out).trim(),
        format!("jit {}", env!("CARGO_PKG_VERSION"))
    );
    let out = repo.jit(&["issue", "create"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--title <TITLE>"));
}

/// Every `--filter` (and free-text option) of every subcommand takes a value starting with `-`:
/// a command added later cannot forget it.
#[test]
fn every_filter_option_accepts_a_leading_dash() {
    fn walk(cmd: &clap::Command, path: &str, seen: &mut usize) {
        for a in cmd.get_arguments() {
            if a.get_long() == Some("filter") {
                *seen += 1;
                assert!(a.is_allow_hyphen_values_set(), "{path} --filter");
            }
        }
        for s in cmd.get_subcommands() {
            walk(s, &format!("{path} {}", s.get_name()), seen);
        }
    }
    let mut seen = 0;
    walk(&jit::cli::command(), "jit", &mut seen);
    assert!(seen >= 10, "only {seen} --filter options found");
}

// ---- 7. Internal work stays internal in every export ----

#[test]
fn every_export_takes_public_and_visibility_is_a_query_key() {
    let repo = Repo::new();
    let secret = repo.create(
        "Secret: acquire Acme",
        &["--visibility", "internal", "--milestone", "Q3"],
    );
    let secret_full = repo.full_id(&secret);
    let shown = repo.create(
        "Public launch",
        &[
            "--dep",
            &secret,
            "--parent",
            &secret,
            "--milestone",
            "Q3",
            "--visibility",
            "public",
        ],
    );
    let plain = repo.create("Docs", &["--milestone", "Q3"]);
    repo.ok(&["link", "add", &plain, "--relates", &secret]);
    repo.ok(&["issue", "update", &secret, "--state", "done"]);
    repo.ok(&["issue", "update", &plain, "--state", "done"]);

    let exports: &[&[&str]] = &[
        &["export", "--format", "dot"],
        &["export", "--format", "mermaid"],
        &["export", "--format", "json"],
        &["export", "--format", "csv"],
        &["export", "roadmap"],
        &["export", "changelog"],
    ];
    for args in exports {
        let full = stdout(&repo.jit(args));
        assert!(
            full.contains("Secret: acquire Acme"),
            "{args:?} without --public"
        );
        let mut a = args.to_vec();
        a.push("--public");
        let out = repo.jit(&a);
        assert_ok(&out);
        let text = stdout(&out);
        for leak in ["Secret", "Acme", secret.as_str(), secret_full.as_str()] {
            assert!(
                !text.contains(leak),
                "{args:?} --public leaks `{leak}`:\n{text}"
            );
        }
        assert!(
            text.contains("Docs"),
            "{args:?} --public keeps public work:\n{text}"
        );
    }
    let site = repo.path().join("site");
    repo.ok(&["export", "web", "--out", site.to_str().unwrap(), "--public"]);

    // The query language knows visibility (absent counts as public, as exports treat it).
    let ids = |q: &str| short_ids(&repo.ok(&["issue", "list", "--filter", q]));
    assert_eq!(ids("visibility:internal"), vec![secret.clone()]);
    let mut public = ids("visibility:public");
    public.sort();
    let mut want = vec![shown.clone(), plain.clone()];
    want.sort();
    assert_eq!(public, want);
    assert_eq!(ids("-visibility:internal").len(), 2);
    repo.err(
        &["issue", "list", "--filter", "visibility:secret"],
        "invalid_query",
        2,
    );
}

// ---- 9. Re-checking finished work reports and exits 0 ----

#[test]
fn gate_check_of_finished_work_reports_and_exits_zero() {
    let repo = Repo::new();
    let marker = repo.path().join("ran");
    repo.define_gate(
        "tests",
        &[
            "--auto",
            "--checker",
            &format!("touch '{}'", marker.display()),
        ],
    );
    let id = repo.create("Shipped", &["--gate", "tests"]);
    repo.ok(&["issue", "update", &id, "--state", "done"]);
    let first = repo.ok(&["gate", "check", &id]);
    assert_eq!(
        (first["passed"].as_u64(), first["issue"]["state"].as_str()),
        (Some(1), Some("done"))
    );
    std::fs::remove_file(&marker).unwrap();
    let events = repo.event_count();
    // The job re-runs on the next push: a report, exit 0, nothing run, nothing written.
    for args in [
        &["gate", "check", &id][..],
        &["gate", "check", &id, "tests"],
    ] {
        let again = repo.ok(args);
        assert_eq!(again["skipped"], 1, "{again}");
        assert_eq!(again["failed"], 0);
        assert_eq!(again["results"][0]["status"], "skipped");
        assert!(
            again["results"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("recorded: passed"),
            "{again}"
        );
    }
    assert!(!marker.exists(), "the checker did not run again");
    assert_eq!(repo.event_count(), events);
    repo.ok(&["issue", "update", &id, "--state", "archived"]);
    let out = repo.jit(&["gate", "check", &id]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("skipped"), "{}", stdout(&out));
}

// ---- 13. query stale --json has the list shape ----

#[test]
fn query_stale_has_the_list_shape_it_claims() {
    let repo = Repo::new();
    let id = repo.create("Abandoned", &[]);
    assert_ok(&repo.jit_env(
        &["issue", "claim", &id, "--ttl", "1m", "--actor", "agent:a"],
        &[("JIT_NOW", "2030-01-01T00:00:00Z")],
    ));
    std::fs::write(repo.issues_dir().join("notes.txt"), "stray").unwrap();
    let (page, c) = json_at(&repo, &["query", "stale"], "2030-01-01T01:00:00Z");
    assert_eq!(c, 0);
    let schema: Value =
        serde_json::from_str(&stdout(&repo.jit(&["schema", "issue-list"]))).unwrap();
    for key in schema["required"].as_array().unwrap() {
        assert!(
            page.get(key.as_str().unwrap()).is_some(),
            "`{key}` missing: {page}"
        );
    }
    for key in page.as_object().unwrap().keys() {
        assert!(
            schema["properties"].get(key).is_some(),
            "`{key}` not in the schema"
        );
    }
    assert_eq!(page["issues"][0]["reason"], "lease_expired");
    assert!(page["next_cursor"].is_null());
    assert_eq!(page["problems"][0]["code"], "stray_file", "{page}");
    // The same shape as `query ready`.
    let ready = repo.ok(&["query", "ready"]);
    let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&page), keys(&ready));
}

// ---- 15. Numbers that overflow are refused or saturate; nothing unreadable is written ----

#[test]
fn huge_leases_and_versions_are_refused_and_nothing_unreadable_is_written() {
    let repo = Repo::new();
    let id = repo.create("Work", &[]);
    let before = repo.read_issue(&id);
    for ttl in ["3000000d", "99999999999999d", "366d"] {
        let d = repo.err(&["issue", "claim", &id, "--ttl", ttl], "invalid_value", 2);
        assert_eq!(d["field"], "ttl", "{ttl}");
    }
    repo.err(
        &["issue", "claim", &id, "--ttl", "99999999999999999999d"],
        "invalid_value",
        2,
    );
    assert_eq!(repo.read_issue(&id), before, "nothing written");
    repo.ok(&["issue", "claim", &id, "--ttl", "365d"]);
    repo.err(
        &["issue", "heartbeat", &id, "--ttl", "400d"],
        "invalid_value",
        2,
    );
    repo.ok(&["issue", "release", &id]);
    // A default from config.json is held to the same limit.
    let cfg_path = repo.jit_dir().join("config.json");
    let mut cfg: Value = serde_json::from_slice(&std::fs::read(&cfg_path).unwrap()).unwrap();
    cfg["default_lease_ttl"] = json!("3000000d");
    std::fs::write(&cfg_path, serde_json::to_vec_pretty(&cfg).unwrap()).unwrap();
    let d = repo.err(&["issue", "claim", &id], "invalid_value", 2);
    assert_eq!(d["field"], "default_lease_ttl");

    // A version that cannot grow is refused, naming the file, not wrapped to 0.
    repo.edit_issue(&id, |v| v["version"] = json!(u64::MAX));
    let d = repo.err(
        &["issue", "update", &id, "--title", "Next"],
        "corrupt_file",
        8,
    );
    assert!(d["path"].as_str().unwrap().ends_with(".json"));
    assert_eq!(repo.read_issue(&id)["version"], json!(u64::MAX));
    assert_eq!(repo.read_issue(&id)["title"], "Work");
    // A span that overflows days is no panic.
    repo.ok(&["query", "stale", "--days", "18446744073709551615"]);
}

#[test]
fn a_lease_an_older_jit_overflowed_reads_back_and_is_reported() {
    let repo = Repo::new();
    let id = repo.create("Vanished", &[]);
    repo.ok(&["issue", "claim", &id, "--actor", "agent:a"]);
    // What `claim --ttl 3000000d` used to write: a year RFC 3339 cannot hold.
    let path = repo.issue_path(&id);
    let text = std::fs::read_to_string(&path).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let exp = v["lease"]["expires_at"].as_str().unwrap().to_string();
    std::fs::write(&path, text.replace(&exp, "+10240-08-21T11:05:41.617Z")).unwrap();
    let ledger = repo.path().join(".git/jit/claims.json");
    if ledger.exists() {
        let l = std::fs::read_to_string(&ledger).unwrap();
        std::fs::write(&ledger, l.replace(&exp, "+10240-08-21T11:05:41.617Z")).unwrap();
    }
    // Still an issue, in every command.
    assert_eq!(
        repo.show(&id)["lease"]["expires_at"],
        "9999-12-31T23:59:59.999Z"
    );
    assert_eq!(repo.ok(&["issue", "list"])["total"], 1);
    let stale = repo.ok(&["query", "stale"]);
    assert_eq!(stale["issues"][0]["reason"], "lease_in_future", "{stale}");
    let (report, c) = repo.json(&["validate"]);
    assert_eq!(c, 0, "a warning: {report}");
    assert!(
        report["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "lease_in_future"),
        "{report}"
    );
    // Nothing ends a claim because of a clock; a human does, on the record.
    repo.ok(&["validate", "--fix"]);
    assert_eq!(repo.show(&id)["assignee"], "agent:a");
    repo.ok(&["issue", "release", &id, "--force", "--actor", "human:lead"]);
    assert!(repo.read_issue(&id).get("lease").is_none());
    assert_eq!(
        repo.ok(&["issue", "claim", &id, "--actor", "agent:b"])["assignee"],
        "agent:b"
    );
    let (clean, _) = repo.json(&["validate"]);
    assert_eq!(clean["problems"], json!([]), "{clean}");
}

// ---- 16. Clocks that lie ----

#[test]
fn an_invalid_jit_now_is_an_error_for_every_command() {
    let repo = Repo::new();
    let id = repo.create("Work", &[]);
    for args in [
        &["issue", "list"][..],
        &["issue", "show", &id],
        &["query", "ready"],
        &["issue", "claim", &id],
        &["export", "--format", "csv"],
    ] {
        let mut a = args.to_vec();
        a.push("--json");
        let out = repo.jit_env(&a, &[("JIT_NOW", "garbage")]);
        assert_eq!(code(&out), 2, "{args:?}");
        let v = parse_one_object(&out);
        assert_eq!(v["error"]["details"]["field"], "JIT_NOW", "{args:?}: {v}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let out = repo
            .cmd()
            .args(["issue", "list", "--json"])
            .env("JIT_NOW", std::ffi::OsStr::from_bytes(b"2030-01-01\xff"))
            .output()
            .unwrap();
        assert_eq!(code(&out), 2);
        assert_eq!(
            parse_one_object(&out)["error"]["details"]["field"],
            "JIT_NOW"
        );
    }
    assert!(repo.show(&id)["assignee"].is_null(), "nothing claimed");
    // Empty counts as unset.
    assert_ok(&repo.jit_env(&["issue", "list"], &[("JIT_NOW", "")]));
}

#[test]
fn leases_are_never_dated_before_the_last_change_and_future_ones_are_visible() {
    let repo = Repo::new();
    // A clock far behind: the lease starts at the issue's last change, not in 2000.
    let past = repo.create("Claimed with a clock in 2000", &[]);
    let created = repo.read_issue(&past)["updated_at"]
        .as_str()
        .unwrap()
        .to_string();
    let (v, c) = json_at(
        &repo,
        &["issue", "claim", &past, "--ttl", "1h", "--actor", "agent:a"],
        "2000-01-01T00:00:00Z",
    );
    assert_eq!(c, 0, "{v}");
    assert!(
        v["lease"]["acquired_at"].as_str().unwrap() >= created.as_str(),
        "{v}"
    );
    // So it is not expired at birth: another agent, on the real clock, cannot take it.
    repo.err(
        &["issue", "claim", &past, "--actor", "agent:b"],
        "already_claimed",
        5,
    );

    // A clock far ahead: the lease is visible as such, in `query stale` and `validate`.
    let ahead = repo.create("Claimed with a clock in 2099", &[]);
    let (_, c) = json_at(
        &repo,
        &["issue", "claim", &ahead, "--actor", "agent:a"],
        "2099-01-01T00:00:00Z",
    );
    assert_eq!(c, 0);
    let stale = repo.ok(&["query", "stale"]);
    let ahead_row = stale["issues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["short_id"] == ahead.as_str())
        .cloned()
        .unwrap_or_else(|| panic!("not listed: {stale}"));
    assert_eq!(ahead_row["reason"], "lease_in_future");
    assert!(
        stale["issues"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["short_id"] != past.as_str()),
        "a real lease is not stale: {stale}"
    );
    let (report, _) = repo.json(&["validate"]);
    let flagged: Vec<&Value> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == "lease_in_future")
        .collect();
    assert_eq!(flagged.len(), 1, "{report}");
    assert_eq!(flagged[0]["id"], repo.full_id(&ahead));
}

// ---- 14. A cloned repository cannot make jit write outside it ----

#[cfg(unix)]
#[test]
fn a_committed_symlink_in_jit_is_refused_by_name_and_nothing_is_written_through_it() {
    use std::os::unix::fs::symlink;
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("bashrc");
    std::fs::write(&victim, "export PS1='$ '\n").unwrap();
    // An attacker's repository: events.jsonl committed as a link to the victim's file.
    let evil = Repo::new();
    let t = evil.create("$(touch /tmp/pwned)", &[]);
    assert!(!t.is_empty());
    let events = evil.jit_dir().join("events.jsonl");
    std::fs::remove_file(&events).unwrap();
    symlink(&victim, &events).unwrap();
    crate::common::git(evil.path(), &["add", "-A"]);
    crate::common::git(evil.path(), &["commit", "-qm", "innocent"]);
    let clone = outside.path().join("clone");
    crate::common::git(
        outside.path(),
        &[
            "clone",
            "-q",
            evil.path().to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    assert!(
        std::fs::symlink_metadata(clone.join(".jit/events.jsonl"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let run = |args: &[&str]| {
        let out = crate::common::jit_cmd(&clone)
            .args(args)
            .arg("--json")
            .output()
            .unwrap();
        (parse_one_object(&out), code(&out))
    };
    for args in [
        &["issue", "create", "--title", "x"][..],
        &["issue", "list"],
        &["query", "ready"],
        &["events", "query"],
    ] {
        let (v, c) = run(args);
        assert_eq!(
            (v["error"]["code"].as_str(), c),
            (Some("corrupt_file"), 8),
            "{args:?}: {v}"
        );
        assert!(
            v["error"]["details"]["path"]
                .as_str()
                .unwrap()
                .ends_with(".jit/events.jsonl")
        );
    }
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "export PS1='$ '\n",
        "untouched"
    );
    let (report, c) = run(&["validate"]);
    assert_eq!(c, 8);
    assert_eq!(report["problems"][0]["code"], "symlink", "{report}");

    // Every guarded path, one at a time, in a fresh store.
    for (rel, dir) in [
        (".jit/issues", true),
        (".jit/config.json", false),
        (".jit/gates.json", false),
        (".jit/lock", false),
        (".jit/cache", true),
        (".jit/outbox", true),
        (".jit", true),
    ] {
        let repo = Repo::new();
        repo.create("Work", &[]);
        let path = repo.path().join(rel);
        let target = outside
            .path()
            .join(format!("target-{}", rel.replace('/', "_")));
        if path.exists() {
            std::fs::rename(&path, &target).unwrap();
        } else if dir {
            std::fs::create_dir_all(&target).unwrap();
        }
        symlink(&target, &path).unwrap();
        let before = std::fs::read_dir(outside.path()).unwrap().count();
        let (v, c) = repo.json(&["issue", "create", "--title", "through the link"]);
        assert_eq!(
            (v["error"]["code"].as_str(), c),
            (Some("corrupt_file"), 8),
            "{rel}: {v}"
        );
        let named = v["error"]["details"]["path"].as_str().unwrap().to_string();
        assert!(named.ends_with(rel), "{rel}: {named}");
        assert_eq!(
            std::fs::read_dir(outside.path()).unwrap().count(),
            before,
            "{rel}"
        );
        if target.is_dir() {
            let n = std::fs::read_dir(&target).unwrap().count();
            let (v2, _) = repo.json(&["issue", "list"]);
            assert_eq!(v2["error"]["code"], "corrupt_file", "{rel}");
            assert_eq!(
                std::fs::read_dir(&target).unwrap().count(),
                n,
                "{rel}: nothing added"
            );
        }
        let (report, c) = repo.json(&["validate"]);
        assert_eq!(c, 8, "{rel}");
        assert!(
            report["problems"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["code"] == "symlink" && p["path"].as_str().unwrap().ends_with(rel)),
            "{rel}: {report}"
        );
    }
}

/// The files themselves are opened without following a link (defence in depth, below the
/// check every command makes first).
#[cfg(unix)]
#[test]
fn the_event_log_and_the_lock_are_opened_without_following_links() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "keep\n").unwrap();
    let link = outside.path().join("events.jsonl");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let e: jit::model::Event = serde_json::from_value(json!({
        "id": "01J9X2ABCDEFGHJKMNPQRSTVWX", "ts": "2030-01-01T00:00:00.000Z",
        "type": "issue.updated", "actor": "human:a"
    }))
    .unwrap();
    let err = jit::store::events::append(&link, &[e]).unwrap_err();
    assert_eq!(err.code(), "corrupt_file");
    assert_eq!(
        jit::store::events::read(&link).unwrap_err().code(),
        "corrupt_file"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "keep\n");
    let lock = outside.path().join("lock");
    let made = outside.path().join("made-by-lock");
    std::os::unix::fs::symlink(&made, &lock).unwrap();
    assert_eq!(
        jit::store::StoreLock::acquire(&lock).unwrap_err().code(),
        "corrupt_file"
    );
    assert!(
        !made.exists(),
        "the lock created nothing at the link's target"
    );
}

// ---- 12. A fresh clone registers the merge driver the repository names ----

#[test]
fn a_fresh_clone_merges_issue_files_field_by_field_without_git_install() {
    use crate::common::git;
    let tmp = tempfile::tempdir().unwrap();
    let a = Repo::new();
    let id = a.create("Two edits", &[]);
    git(a.path(), &["add", "-A"]);
    git(a.path(), &["commit", "-qm", "issue"]);
    let bare = tmp.path().join("origin.git");
    git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--bare",
            a.path().to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    git(
        a.path(),
        &["remote", "add", "origin", bare.to_str().unwrap()],
    );
    let b = tmp.path().join("b");
    git(
        tmp.path(),
        &["clone", "-q", bare.to_str().unwrap(), b.to_str().unwrap()],
    );
    git(&b, &["config", "user.name", "B"]);
    git(&b, &["config", "user.email", "b@example.com"]);
    let driver = |dir: &std::path::Path| {
        std::process::Command::new("git")
            .current_dir(dir)
            .args(["config", "--get", "merge.jit.driver"])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(!driver(&b), "git config is not cloned");

    // A changes the title and pushes; B, never having run `jit git install`, changes the
    // priority: its first jit command registers the driver, and says so.
    a.ok(&["issue", "update", &id, "--title", "Two edits, merged"]);
    git(a.path(), &["commit", "-qam", "title"]);
    git(a.path(), &["push", "-q", "origin", "HEAD"]);
    let out = crate::common::jit_cmd(&b)
        .args(["issue", "update", &id, "--priority", "high", "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(
        stderr(&out).contains("registered the jit merge driver"),
        "{}",
        stderr(&out)
    );
    assert!(driver(&b));
    git(&b, &["commit", "-qam", "priority"]);
    git(
        &b,
        &["pull", "-q", "--no-rebase", "--no-edit", "origin", "HEAD"],
    );
    let out = crate::common::jit_cmd(&b)
        .args(["issue", "show", &id, "--json"])
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(
        stderr(&out).is_empty(),
        "once registered, nothing more is said: {}",
        stderr(&out)
    );
    let v = parse_one_object(&out);
    assert_eq!(v["title"], "Two edits, merged");
    assert_eq!(v["priority"], "high");
}

// ---- 17. MCP answers every request ----

#[cfg(feature = "mcp")]
#[test]
fn mcp_answers_every_malformed_message_and_keeps_serving() {
    let repo = Repo::new();
    let id = repo.create("Still served", &[]);
    let mut c = mcp::Client::start(&repo);
    c.initialize();
    let expect = |c: &mut mcp::Client, bytes: &[u8], code: i64, id: Value| {
        c.write(bytes);
        let v = c.read();
        assert_eq!(v["error"]["code"], code, "{v}");
        assert_eq!(v["id"], id, "{v}");
        v
    };
    expect(
        &mut c,
        b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\n",
        -32700,
        Value::Null,
    );
    expect(
        &mut c,
        b"{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\xff\"}\n",
        -32700,
        Value::Null,
    );
    let mut deep = "[".repeat(100_000).into_bytes();
    deep.push(b'\n');
    expect(&mut c, &deep, -32700, Value::Null);
    expect(
        &mut c,
        b"{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/call\",\"params\":{\"name\":5}}\n",
        -32602,
        json!(4),
    );
    expect(
        &mut c,
        b"{\"jsonrpc\":\"2.0\",\"id\":\"five\",\"method\":\"tools/call\",\"params\":{\"name\":\"nope\",\"arguments\":{}}}\n",
        -32602,
        json!("five"),
    );
    expect(
        &mut c,
        b"{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"show\",\"arguments\":[]}}\n",
        -32602,
        json!(6),
    );
    expect(
        &mut c,
        b"[{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}]\n",
        -32600,
        Value::Null,
    );
    // 16 MiB in one message: answered without being held in memory whole.
    let mut big = b"{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\",\"pad\":\"".to_vec();
    big.resize(16 * 1024 * 1024 + 10, b'a');
    big.extend_from_slice(b"\"}\n");
    let v = expect(&mut c, &big, -32600, Value::Null);
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("too large"),
        "{v}"
    );
    assert_eq!(v["error"]["data"]["limit"], 16 * 1024 * 1024 - 1);
    // The server still answers, and a well-formed call still works.
    let pong = c.request("ping", json!({}));
    assert!(pong.get("result").is_some(), "{pong}");
    let shown = c.call("show", json!({"id": id}));
    assert_eq!(
        shown["result"]["structuredContent"]["short_id"],
        id.as_str(),
        "{shown}"
    );
    // A last, unterminated fragment before the client hangs up is answered too.
    c.write(b"{\"jsonrpc\":");
    let last = c.close_and_read();
    assert_eq!(last["error"]["code"], -32700, "{last}");
    c.finish();
}

// ---- 18. Smaller: BOMs, odd files, silent skips, foreign files, checker environments ----

#[test]
fn an_issue_file_saved_with_a_byte_order_mark_is_read_and_rewritten_without_it() {
    let repo = Repo::new();
    let id = repo.create("Edited in Notepad", &[]);
    let path = repo.issue_path(&id);
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(&path).unwrap());
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(repo.show(&id)["title"], "Edited in Notepad");
    assert_eq!(repo.ok(&["issue", "list"])["problems"], json!([]));
    let (report, c) = repo.json(&["validate"]);
    assert_eq!(c, 0, "{report}");
    repo.ok(&["issue", "update", &id, "--priority", "high"]);
    assert!(!std::fs::read(&path).unwrap().starts_with(b"\xEF\xBB\xBF"));
    // config.json too.
    let cfg = repo.jit_dir().join("config.json");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(std::fs::read(&cfg).unwrap());
    std::fs::write(&cfg, &bytes).unwrap();
    repo.ok(&["issue", "list"]);
}

#[cfg(unix)]
#[test]
fn show_of_a_fifo_a_directory_or_a_link_answers_one_code_and_never_blocks() {
    let repo = Repo::new();
    let ids = [
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "01ARZ3NDEKTSV4RRFFQ69G5FAW",
        "01ARZ3NDEKTSV4RRFFQ69G5FAX",
    ];
    let p = |i: &str| repo.issues_dir().join(format!("{i}.json"));
    let made = std::process::Command::new("mkfifo")
        .arg(p(ids[0]))
        .status()
        .unwrap();
    assert!(made.success());
    std::fs::create_dir(p(ids[1])).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", p(ids[2])).unwrap();
    for id in ids {
        for form in [id.to_string(), id[18..].to_ascii_lowercase()] {
            let d = repo.err(&["issue", "show", &form], "corrupt_file", 8);
            assert!(
                d["path"].as_str().unwrap().ends_with(&format!("{id}.json")),
                "{form}"
            );
        }
    }
}

#[test]
fn exports_refuse_a_store_with_unreadable_issue_files_instead_of_skipping_them() {
    let repo = Repo::new();
    repo.create("Fine", &[]);
    let bad = repo.create("Broken by a merge", &[]);
    let path = repo.issue_path(&bad);
    std::fs::write(&path, "<<<<<<< ours\n{}\n=======\n").unwrap();
    let site = repo.path().join("site");
    for args in [
        &["export", "--format", "json"][..],
        &["export", "--format", "csv"],
        &["export", "roadmap"],
        &["export", "changelog"],
        &["export", "web", "--out", site.to_str().unwrap()],
    ] {
        let d = repo.err(args, "corrupt_file", 8);
        assert_eq!(d["path"], path.to_str().unwrap(), "{args:?}");
    }
    assert!(!site.exists(), "nothing written");
    // Listing still works and says what it skipped.
    let list = repo.ok(&["issue", "list"]);
    assert_eq!(list["problems"][0]["path"], path.to_str().unwrap());
}

#[test]
fn export_web_never_deletes_or_overwrites_files_it_did_not_write() {
    let repo = Repo::new();
    let a = repo.create("First", &[]);
    let docs = repo.path().join("docs");
    std::fs::create_dir_all(docs.join("issues")).unwrap();
    std::fs::write(docs.join("index.html"), "my own docs").unwrap();
    std::fs::write(docs.join("issues/notes.html"), "mine too").unwrap();
    let out = docs.to_str().unwrap();
    let d = repo.err(&["export", "web", "--out", out], "out_dir_not_empty", 2);
    assert_eq!(d["count"], 2, "{d}");
    assert_eq!(
        std::fs::read_to_string(docs.join("index.html")).unwrap(),
        "my own docs"
    );
    // `--out .` in the checkout is refused the same way.
    repo.err(&["export", "web", "--out", "."], "out_dir_not_empty", 2);

    // A directory of its own: written, then re-exported over freely; stale pages go.
    let site = repo.path().join("site");
    let s = site.to_str().unwrap();
    repo.ok(&["export", "web", "--out", s]);
    let b = repo.create("Second", &[]);
    repo.ok(&["export", "web", "--out", s]);
    assert!(site.join(format!("issues/{b}.html")).is_file());
    repo.ok(&["issue", "delete", &a]);
    std::fs::write(site.join("issues/mine.html"), "kept").unwrap();
    repo.err(&["export", "web", "--out", s], "out_dir_not_empty", 2);
    repo.ok(&["export", "web", "--out", s, "--force"]);
    assert!(
        !site.join(format!("issues/{a}.html")).exists(),
        "its own stale page removed"
    );
    assert_eq!(
        std::fs::read_to_string(site.join("issues/mine.html")).unwrap(),
        "kept"
    );
    // --force beside foreign files leaves them alone.
    repo.ok(&["export", "web", "--out", out, "--force"]);
    assert_eq!(
        std::fs::read_to_string(docs.join("issues/notes.html")).unwrap(),
        "mine too"
    );
}

#[test]
fn a_gate_declares_the_environment_its_checker_gets() {
    let repo = Repo::new();
    let dump = |name: &str| format!("env > '{}'", repo.path().join(name).display());
    repo.define_gate("open", &["--auto", "--checker", &dump("open.env")]);
    repo.define_gate(
        "tight",
        &[
            "--auto",
            "--checker",
            &dump("tight.env"),
            "--env",
            "CARGO_*",
            "--env",
            "LANG",
        ],
    );
    repo.define_gate(
        "bare",
        &["--auto", "--checker", &dump("bare.env"), "--clear-env"],
    );
    let id = repo.create(
        "Checked",
        &["--gate", "open", "--gate", "tight", "--gate", "bare"],
    );
    let out = repo.jit_env(
        &["gate", "check", &id, "--json"],
        &[
            ("GITHUB_TOKEN", "ghp_secret"),
            ("CARGO_HOME", "/opt/cargo"),
            ("LANG", "C.UTF-8"),
        ],
    );
    assert_ok(&out);
    let read = |n: &str| std::fs::read_to_string(repo.path().join(n)).unwrap();
    assert!(
        read("open.env").contains("GITHUB_TOKEN=ghp_secret"),
        "the default inherits all"
    );
    let tight = read("tight.env");
    assert!(!tight.contains("GITHUB_TOKEN"), "{tight}");
    assert!(
        tight.contains("CARGO_HOME=/opt/cargo") && tight.contains("LANG=C.UTF-8"),
        "{tight}"
    );
    assert!(
        tight.contains("JIT_ISSUE_ID=") && tight.contains("PATH="),
        "{tight}"
    );
    let bare = read("bare.env");
    assert!(
        !bare.contains("GITHUB_TOKEN") && !bare.contains("CARGO_HOME"),
        "{bare}"
    );
    assert!(bare.contains("JIT_GATE_KEY=bare"), "{bare}");
    let gates: Value =
        serde_json::from_slice(&std::fs::read(repo.jit_dir().join("gates.json")).unwrap()).unwrap();
    assert_eq!(gates["tight"]["checker"]["env"], json!(["CARGO_*", "LANG"]));
    assert_eq!(gates["bare"]["checker"]["env"], json!([]));
    assert!(gates["open"]["checker"].get("env").is_none());
    let d = repo.err(
        &[
            "gate",
            "define",
            "x",
            "--title",
            "x",
            "--checker",
            "true",
            "--env",
            "A B",
        ],
        "invalid_value",
        2,
    );
    assert_eq!(d["field"], "env");
}
