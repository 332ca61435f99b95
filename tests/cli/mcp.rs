//! `jit mcp`: the real binary as a Model Context Protocol server on stdio, driven with
//! newline-delimited JSON-RPC 2.0. Tools return exactly the CLI's `--json` output, as text and as
//! `structuredContent` that fits the tool's declared `outputSchema` (every successful call here
//! is checked with a JSON Schema validator); failures are tool errors carrying the CLI's error
//! object. Every read has a deadline, so a hang fails.

use crate::common::{Repo, jit_cmd, misfits, validator};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

const TOOLS: &[&str] = &[
    "dep_remove",
    "heartbeat",
    "reopen",
    "checklist_add",
    "link_add",
    "link_remove",
    "gate_list",
    "list",
    "ready",
    "show",
    "context",
    "create",
    "update",
    "claim",
    "claim_next",
    "release",
    "comment",
    "checklist_check",
    "pr_link",
    "gate_pass",
    "gate_fail",
    "gate_check",
    "dep_add",
];

/// A client speaking to one `jit mcp` process.
struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    next_id: u64,
    /// Each tool's validator for its `outputSchema`, from `tools/list` (fetched on first use).
    schemas: Option<HashMap<String, jsonschema::Validator>>,
    /// The tools whose results were checked against their `outputSchema`.
    checked: BTreeSet<String>,
}

impl Client {
    fn start(dir: &Path) -> Self {
        let mut child = jit_cmd(dir)
            .arg("mcp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("jit mcp starts");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Client {
            child,
            stdin,
            lines,
            next_id: 1,
            schemas: None,
            checked: BTreeSet::new(),
        }
    }

    fn send(&mut self, msg: &Value) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        writeln!(stdin, "{msg}").expect("write to jit mcp");
        stdin.flush().expect("flush");
    }

    /// The next line on stdout, which must be a JSON-RPC 2.0 message.
    fn read(&self, until: Instant) -> Option<Value> {
        let left = until.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                let v: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line:?}"));
                assert_eq!(v["jsonrpc"], "2.0", "not JSON-RPC 2.0: {line}");
                Some(v)
            }
            Err(RecvTimeoutError::Timeout) => panic!("no reply from jit mcp within {DEADLINE:?}"),
            Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        let until = Instant::now() + DEADLINE;
        loop {
            let msg = self
                .read(until)
                .unwrap_or_else(|| panic!("jit mcp closed stdout before answering {method}"));
            if msg["id"] == json!(id) {
                assert!(msg.get("error").is_none(), "{method} failed: {msg}");
                return msg["result"].clone();
            }
        }
    }

    fn notify(&mut self, method: &str) {
        self.send(&json!({"jsonrpc": "2.0", "method": method}));
    }

    /// Calls a tool; returns (isError, the JSON of its text content).
    fn call(&mut self, name: &str, args: Value) -> (bool, Value) {
        let r = self.request("tools/call", json!({"name": name, "arguments": args}));
        let text = r["content"][0]["text"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no text content: {r}"));
        let v: Value = serde_json::from_str(text).expect("tool text is JSON");
        assert_eq!(
            r["structuredContent"], v,
            "{name}: text and structuredContent differ"
        );
        (r["isError"] == json!(true), v)
    }

    /// Calls a tool that must succeed; its `structuredContent` must fit its `outputSchema`.
    fn ok(&mut self, name: &str, args: Value) -> Value {
        let (is_error, v) = self.call(name, args);
        assert!(!is_error, "{name} failed: {v:#}");
        if self.schemas.is_none() {
            let list = self.request("tools/list", json!({}));
            let schemas = list["tools"]
                .as_array()
                .expect("tools")
                .iter()
                .map(|t| {
                    let name = t["name"].as_str().expect("name").to_string();
                    (name, validator(&t["outputSchema"]))
                })
                .collect();
            self.schemas = Some(schemas);
        }
        let schema = &self.schemas.as_ref().unwrap()[name];
        let wrong = misfits(schema, &v);
        assert!(
            wrong.is_empty(),
            "{name}: the result does not fit its outputSchema:\n{}\n{v:#}",
            wrong.join("\n")
        );
        self.checked.insert(name.to_string());
        v
    }

    fn err(&mut self, name: &str, args: Value) -> String {
        let (is_error, v) = self.call(name, args);
        assert!(is_error, "{name} should fail: {v:#}");
        let e = crate::contract::ErrorReply::from_value(&v);
        e.error.code
    }

    fn initialize(&mut self) -> Value {
        let r = self.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "jit-test", "version": "1"}
            }),
        );
        self.notify("notifications/initialized");
        r
    }

    /// Closes stdin and waits for a clean exit; stdout must hold nothing more than JSON-RPC.
    fn finish(mut self) {
        drop(self.stdin.take());
        let until = Instant::now() + DEADLINE;
        while self.read(until).is_some() {}
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                assert!(status.success(), "jit mcp exited with {status}");
                return;
            }
            assert!(
                Instant::now() < until,
                "jit mcp did not exit after stdin closed"
            );
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

#[test]
fn handshake_and_tool_list() {
    let repo = Repo::new();
    let mut c = Client::start(repo.path());
    let init = c.initialize();
    assert_eq!(init["serverInfo"]["name"], "jit");
    assert!(init["serverInfo"]["version"].is_string());
    assert!(init["capabilities"]["tools"].is_object(), "{init}");
    assert!(init["protocolVersion"].is_string());

    let list = c.request("tools/list", json!({}));
    let tools = list["tools"].as_array().expect("tools");
    for name in TOOLS {
        let t = tools
            .iter()
            .find(|t| t["name"] == *name)
            .unwrap_or_else(|| panic!("tool `{name}` missing"));
        assert!(t["description"].as_str().is_some_and(|d| !d.is_empty()));
        assert_eq!(t["inputSchema"]["type"], "object", "{name}");
        // Every result is described: an object schema, itself valid JSON Schema 2020-12.
        let out = &t["outputSchema"];
        assert_eq!(out["type"], "object", "{name}: {out}");
        if let Err(e) = jsonschema::meta::validate(out) {
            panic!("{name}: outputSchema is not valid JSON Schema: {e}");
        }
        let props = t["inputSchema"]["properties"]
            .as_object()
            .expect("properties");
        assert!(props.contains_key("actor"), "{name} takes no actor");
        for (p, s) in props {
            assert!(
                s["description"].is_string(),
                "{name}.{p} has no description"
            );
        }
    }
    assert_eq!(tools.len(), TOOLS.len(), "a tool this test does not know");
    let create = tools.iter().find(|t| t["name"] == "create").unwrap();
    assert_eq!(create["inputSchema"]["required"], json!(["title"]));
    assert_eq!(
        create["inputSchema"]["properties"]["priority"]["enum"],
        json!(["low", "normal", "high", "critical", null])
    );
    c.finish();
}

#[test]
fn tools_return_the_cli_json_and_its_errors() {
    let repo = Repo::new();
    let mut c = Client::start(repo.path());
    c.initialize();

    let created = c.ok("create", json!({"title": "First task", "priority": "high"}));
    let id = created["short_id"].as_str().expect("short_id").to_string();
    assert_eq!(created["state"], "ready");
    assert_eq!(created["reporter"], "human:tester");
    let cli = repo.show(&id);
    assert_eq!(
        created.as_object().unwrap().keys().collect::<Vec<_>>(),
        cli.as_object().unwrap().keys().collect::<Vec<_>>()
    );

    let ready = c.ok("ready", json!({}));
    assert_eq!(ready["total"], 1);
    assert_eq!(ready["issues"][0]["short_id"], id.as_str());
    assert_eq!(ready, repo.ok(&["query", "ready"]));

    let claimed = c.ok("claim_next", json!({"actor": "agent:one"}));
    assert_eq!(claimed["short_id"], id.as_str());
    assert_eq!(claimed["state"], "in_progress");
    assert_eq!(claimed["assignee"], "agent:one");
    assert!(claimed["pending_gates"].is_array());

    let shown = c.ok("show", json!({"id": id}));
    assert_eq!(shown["state"], "in_progress");
    assert_eq!(
        shown,
        repo.show(&id),
        "the tool and `issue show --json` differ"
    );

    assert_eq!(c.err("show", json!({"id": "not/an/id"})), "invalid_id");
    assert_eq!(
        c.err("claim", json!({"id": id, "actor": "agent:two"})),
        "already_claimed"
    );
    assert_eq!(
        c.err("claim_next", json!({"actor": "agent:two"})),
        "no_ready_work"
    );
    assert_eq!(c.err("show", json!({"id": id, "bogus": 1})), "usage");
    assert_eq!(c.err("show", json!({})), "usage");
    assert_eq!(c.err("update", json!({"id": id, "state": "nope"})), "usage");

    let second = c.ok("create", json!({"title": "Second", "context": {"k": "v"}}));
    let second_id = second["short_id"].as_str().unwrap().to_string();
    assert_eq!(second["context"], json!({"k": "v"}));
    let dep = c.ok("dep_add", json!({"id": second_id, "on": id}));
    assert_eq!(dep["issue"]["state"], "backlog");
    assert_eq!(
        c.err("dep_add", json!({"id": id, "on": second_id})),
        "cycle"
    );

    let commented = c.ok(
        "comment",
        json!({"id": id, "body": "on it", "actor": "agent:one"}),
    );
    assert_eq!(commented["comment"]["author"], "agent:one");
    let released = c.ok("release", json!({"id": id, "actor": "agent:one"}));
    assert_eq!(released["state"], "ready");
    let done = c.ok("update", json!({"id": id, "state": "done", "estimate": 3}));
    assert_eq!(done["state"], "done");
    assert_eq!(done["estimate"], 3.0);
    assert_eq!(done["promoted"].as_array().map(Vec::len), Some(1));
    let listed = c.ok("list", json!({"limit": 1}));
    assert_eq!(listed["total"], 2);
    assert!(listed["next_cursor"].is_string());
    let ctx = c.ok("context", json!({"id": second_id}));
    assert!(
        ctx["markdown"]
            .as_str()
            .is_some_and(|m| m.contains("Second"))
    );
    c.finish();
}

#[test]
fn a_dash_is_text_since_stdin_is_the_protocol() {
    let repo = Repo::new();
    let mut c = Client::start(repo.path());
    c.initialize();
    // `--desc -` reads stdin on the command line; here stdin carries the protocol.
    let dash = c.ok("create", json!({"title": "Dash", "description": "-"}));
    assert_eq!(dash["description"], "-");
    let id = dash["short_id"].as_str().unwrap().to_string();
    let v = c.ok("comment", json!({"id": id, "body": "-"}));
    assert_eq!(v["comment"]["body"], "-");
    c.finish();
}

#[test]
fn gates_checklist_and_prs() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    repo.define_gate("tests", &["--auto", "--checker", "true"]);
    let id = repo.create(
        "Gated",
        &["--gate", "review", "--gate", "tests", "--desc=- [ ] works"],
    );
    let mut c = Client::start(repo.path());
    c.initialize();
    let checked = c.ok("checklist_check", json!({"id": id, "item": "works"}));
    assert_eq!(checked["item"]["checked"], true);
    let pr = c.ok(
        "pr_link",
        json!({"id": id, "url": "https://example.com/pr/1", "status": "open"}),
    );
    assert_eq!(pr["pr"]["status"], "open");
    let report = c.ok("gate_check", json!({"id": id}));
    assert_eq!(report["passed"], 1);
    assert_eq!(
        c.err(
            "gate_pass",
            json!({"id": id, "key": "review", "actor": "agent:x"})
        ),
        "manual_gate"
    );
    let failed = c.ok(
        "gate_fail",
        json!({"id": id, "key": "review", "note": "no"}),
    );
    assert_eq!(failed["status"], "failed");
    let passed = c.ok("gate_pass", json!({"id": id, "key": "review"}));
    assert_eq!(passed["status"], "passed");
    c.finish();
}

#[test]
fn outside_a_repo_tools_fail_with_the_cli_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut c = Client::start(dir.path());
    c.initialize();
    assert_eq!(c.err("list", json!({})), "not_a_jit_repo");
    c.finish();
}

/// The list tools are bounded: 50 lean issues unless asked otherwise, a cursor that walks the
/// rest, `fields` and `full` for more, and descriptions that say so.
#[test]
fn list_tools_return_lean_pages_of_fifty_with_a_cursor() {
    let repo = Repo::new();
    for k in 0..53 {
        repo.create(
            &format!("task {k}"),
            &["--desc", "a long description of the work"],
        );
    }
    let mut c = Client::start(repo.path());
    c.initialize();
    let list = c.request("tools/list", json!({}));
    for name in ["list", "ready", "claim_next"] {
        let t = list["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap();
        let d = t["description"].as_str().unwrap();
        assert!(d.contains("lean shape"), "{name}: {d}");
        let props = t["inputSchema"]["properties"].as_object().unwrap();
        assert!(
            props.contains_key("fields") && props.contains_key("full"),
            "{name}"
        );
        if name != "claim_next" {
            assert!(
                d.contains("default 50") && d.contains("cursor"),
                "{name}: {d}"
            );
            assert!(props.contains_key("cursor"), "{name}");
        }
    }
    for tool in ["list", "ready"] {
        let first = c.ok(tool, json!({}));
        assert_eq!(first["shape"], "lean/1");
        assert_eq!(
            (
                first["total"].as_u64(),
                first["issues"].as_array().map(Vec::len)
            ),
            (Some(53), Some(50))
        );
        for i in first["issues"].as_array().unwrap() {
            crate::contract::LeanIssue::from_value(i);
        }
        let cursor = first["next_cursor"]
            .as_str()
            .expect("more remain")
            .to_string();
        let rest = c.ok(tool, json!({"cursor": cursor}));
        assert_eq!(rest["issues"].as_array().map(Vec::len), Some(3));
        assert!(rest["next_cursor"].is_null());
        let mut ids: Vec<String> = crate::common::short_ids(&first);
        ids.extend(crate::common::short_ids(&rest));
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 53, "{tool}: the two pages hold every issue once");
        // The same JSON as the command line with the same limit.
        let cli_cmd: &[&str] = if tool == "list" {
            &["issue", "list", "--limit", "50"]
        } else {
            &["query", "ready", "--limit", "50"]
        };
        assert_eq!(first, repo.ok(cli_cmd));
        let some = c.ok(tool, json!({"limit": 2, "fields": ["id", "description"]}));
        assert_eq!(some["shape"], "fields/1");
        assert_eq!(
            some["issues"][0]
                .as_object()
                .unwrap()
                .keys()
                .collect::<Vec<_>>(),
            ["description", "id"]
        );
        let full = c.ok(tool, json!({"limit": 1, "full": true}));
        assert_eq!(full["shape"], "full/1");
        crate::contract::IssueView::from_value(&full["issues"][0]);
        assert_eq!(c.err(tool, json!({"fields": ["nope"]})), "invalid_value");
    }
    let claimed = c.ok("claim_next", json!({"actor": "agent:one"}));
    assert_eq!(claimed["shape"], "lean/1");
    assert!(claimed.get("description").is_none() && claimed["assignee"] == "agent:one");
    c.finish();
}

#[test]
fn the_rest_of_an_agents_loop_and_protocol_errors() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    let a = repo.create("First", &[]);
    let b = repo.create("Second", &["--dep", &a]);
    let mut c = Client::start(repo.path());
    c.initialize();

    // Tools are annotated: reads are read-only, overwrites destructive, all in a closed world.
    let list = c.request("tools/list", json!({}));
    let hints = |name: &str| {
        list["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))["annotations"]
            .clone()
    };
    assert_eq!(hints("ready")["readOnlyHint"], true);
    assert_eq!(hints("gate_list")["readOnlyHint"], true);
    assert_eq!(hints("claim")["readOnlyHint"], false);
    assert_eq!(hints("update")["destructiveHint"], true);
    assert_eq!(hints("comment")["destructiveHint"], false);
    assert_eq!(hints("dep_remove")["openWorldHint"], false);

    // Dependencies, links, checklist, claims, heartbeat and reopen, each as the CLI does them.
    let gates = c.ok("gate_list", json!({}));
    assert!(gates.to_string().contains("review"), "{gates}");
    let removed = c.ok("dep_remove", json!({"id": b, "on": a}));
    assert_eq!(removed["issue"]["state"], "ready", "{removed}");
    assert_eq!(
        c.err("dep_remove", json!({"id": b, "on": a})),
        "not_a_dependency"
    );
    c.ok("link_add", json!({"id": b, "relates": a}));
    assert_eq!(repo.read_issue(&b)["links"].as_array().unwrap().len(), 1);
    c.ok("link_remove", json!({"id": b, "relates": a}));
    assert!(repo.read_issue(&b).get("links").is_none());
    c.ok("checklist_add", json!({"id": a, "item": "it works"}));
    assert_eq!(
        c.err("checklist_add", json!({"id": a, "item": "it works"})),
        "duplicate_item"
    );
    assert_eq!(
        c.err("heartbeat", json!({"id": a, "actor": "agent:x"})),
        "not_claimed"
    );
    c.ok("claim", json!({"id": a, "actor": "agent:x", "ttl": "1h"}));
    let beat = c.ok(
        "heartbeat",
        json!({"id": a, "actor": "agent:x", "ttl": "2h"}),
    );
    assert!(beat.to_string().contains("expires_at"), "{beat}");
    assert_eq!(
        c.err("heartbeat", json!({"id": a, "actor": "agent:y"})),
        "already_claimed"
    );
    c.ok(
        "update",
        json!({"id": a, "state": "done", "actor": "agent:x"}),
    );
    c.ok("reopen", json!({"id": a, "reason": "regressed"}));
    assert_ne!(repo.state(&a), "done");

    // A tool that does not exist is a JSON-RPC error -32602, not a tool result.
    let id = 999;
    c.send(&json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
        "params": {"name": "no_such_tool", "arguments": {}}}));
    let until = Instant::now() + DEADLINE;
    let reply = loop {
        let m = c.read(until).expect("a reply");
        if m["id"] == json!(id) {
            break m;
        }
    };
    assert_eq!(reply["error"]["code"], -32602, "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no_such_tool")
    );
    c.finish();
}

/// One agent's session through every tool, each successful result checked against the tool's
/// declared `outputSchema` by [`Client::ok`] (and equal to its text content, by
/// [`Client::call`]); the list tools and `claim_next` in all three shapes.
#[test]
fn every_tool_result_fits_its_output_schema() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    repo.define_gate("tests", &["--auto", "--checker", "true"]);
    let mut c = Client::start(repo.path());
    c.initialize();

    let gates = c.ok("gate_list", json!({}));
    assert_eq!(gates["gates"].as_array().map(Vec::len), Some(2));
    let epic = c.ok(
        "create",
        json!({"title": "Ship search", "type": "epic", "labels": ["search", "q3"],
               "priority": "high", "gates": ["review", "tests"],
               "description": "Index and query.\n\n- [ ] works", "due": "2030-01-31",
               "estimate": 5, "done_when": "queries answer", "context": {"area": "api"}}),
    )["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let sub = c.ok("create", json!({"title": "Tokenizer", "parent": epic}))["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let after = c.ok("create", json!({"title": "Ranking", "deps": [epic]}))["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    for k in 0..3 {
        c.ok(
            "create",
            json!({"title": format!("chore {k}"), "priority": "low"}),
        );
    }

    // The three shapes of a page, from both list tools.
    for tool in ["list", "ready"] {
        let lean = c.ok(tool, json!({}));
        assert_eq!(lean["shape"], "lean/1");
        let fields = c.ok(
            tool,
            json!({"fields": ["id", "labels", "progress", "description", "blocked_by", "lease"]}),
        );
        assert_eq!(fields["shape"], "fields/1");
        let full = c.ok(tool, json!({"full": true, "limit": 2}));
        assert_eq!(full["shape"], "full/1");
        assert!(full["next_cursor"].is_string());
    }
    let shown = c.ok("show", json!({"id": epic, "related": true}));
    assert_eq!(shown["subtasks"][0]["short_id"], sub.as_str());
    assert_eq!(shown["progress"], json!({"done": 0, "total": 1}));
    c.ok("context", json!({"id": epic}));
    c.ok(
        "update",
        json!({"id": epic, "title": "Ship search v1", "add_labels": ["core"],
               "context": {"owner": "agent:one"}}),
    );

    // The agent's loop on the epic.
    c.ok(
        "claim",
        json!({"id": epic, "actor": "agent:one", "ttl": "1h"}),
    );
    c.ok(
        "heartbeat",
        json!({"id": epic, "actor": "agent:one", "ttl": "2h"}),
    );
    c.ok(
        "comment",
        json!({"id": epic, "body": "Started on **the index**.", "actor": "agent:one"}),
    );
    c.ok("checklist_add", json!({"id": epic, "item": "documented"}));
    c.ok("checklist_check", json!({"id": epic, "item": "works"}));
    c.ok(
        "checklist_check",
        json!({"id": epic, "item": "documented", "checked": false}),
    );
    c.ok(
        "pr_link",
        json!({"id": epic, "url": "https://example.com/pr/7", "number": 7, "title": "Search",
               "status": "open", "branch": "search", "commit": "abc1234", "ci": "success"}),
    );
    c.ok("link_add", json!({"id": after, "relates": sub}));
    c.ok("show", json!({"id": sub, "related": true}));
    c.ok("link_remove", json!({"id": after, "relates": sub}));
    c.ok("dep_add", json!({"id": sub, "on": after}));
    c.ok("dep_remove", json!({"id": sub, "on": after}));
    let report = c.ok("gate_check", json!({"id": epic}));
    assert_eq!(report["passed"], 1);
    c.ok(
        "gate_fail",
        json!({"id": epic, "key": "review", "note": "needs tests"}),
    );
    c.ok("gate_pass", json!({"id": epic, "key": "review"}));
    c.ok("release", json!({"id": epic, "actor": "agent:one"}));
    let done = c.ok("update", json!({"id": epic, "state": "done"}));
    assert_eq!(done["state"], "done");
    assert_eq!(done["promoted"].as_array().map(Vec::len), Some(1));
    c.ok("reopen", json!({"id": epic, "reason": "ranking regressed"}));

    // `claim_next` in each shape.
    let lean = c.ok("claim_next", json!({"actor": "agent:two"}));
    assert_eq!(lean["shape"], "lean/1");
    let some = c.ok(
        "claim_next",
        json!({"actor": "agent:three", "fields": ["id", "state", "lease", "comments"]}),
    );
    assert_eq!(some["shape"], "fields/1");
    let whole = c.ok("claim_next", json!({"actor": "agent:four", "full": true}));
    assert_eq!(whole["shape"], "full/1");
    assert!(whole["lease"].is_object());

    let unchecked: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| !c.checked.contains(*t))
        .collect();
    assert!(unchecked.is_empty(), "never called: {unchecked:?}");
    c.finish();
}

/// The output schemas are strict enough to catch a lie: each shape of a page fits its own branch
/// of the `list` schema and no other, a field of the wrong type or a `fields/1` issue with a key
/// outside the field list is refused, and so is a reply missing what the schema requires.
#[test]
fn output_schemas_refuse_what_the_tools_do_not_return() {
    let repo = Repo::new();
    let id = repo.create("One", &["--label", "x", "--desc", "text"]);
    let mut c = Client::start(repo.path());
    c.initialize();
    let list = c.request("tools/list", json!({}));
    let schema_of = |name: &str| {
        list["tools"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()["outputSchema"]
            .clone()
    };
    let page = schema_of("list");
    let replies = [
        c.ok("list", json!({})),
        c.ok("list", json!({"fields": ["id", "description"]})),
        c.ok("list", json!({"full": true})),
    ];
    let branches = page["anyOf"].as_array().expect("anyOf").clone();
    assert_eq!(branches.len(), 3);
    for (i, reply) in replies.iter().enumerate() {
        for (j, branch) in branches.iter().enumerate() {
            let mut only = page.clone();
            only["anyOf"] = json!([branch]);
            let fits = misfits(&validator(&only), reply).is_empty();
            assert_eq!(
                fits,
                i == j,
                "shape {} against branch {branch}",
                reply["shape"]
            );
        }
    }
    let all = validator(&page);
    let mut wrong = replies[1].clone();
    wrong["issues"][0]["bogus"] = json!(1);
    assert!(!misfits(&all, &wrong).is_empty(), "an unknown field");
    let mut wrong = replies[0].clone();
    wrong["shape"] = json!("lean/2");
    assert!(!misfits(&all, &wrong).is_empty(), "an unknown shape");

    let show = schema_of("show");
    let shown = c.ok("show", json!({"id": id}));
    for (field, value) in [
        ("blocked", json!("no")),
        ("state", json!("nope")),
        ("created_at", json!("yesterday")),
        ("id", json!("not-an-id")),
    ] {
        let mut wrong = shown.clone();
        wrong[field] = value;
        assert!(
            !misfits(&validator(&show), &wrong).is_empty(),
            "show with a wrong `{field}`"
        );
    }
    let mut stricter = show.clone();
    stricter["required"]
        .as_array_mut()
        .unwrap()
        .push(json!("no_such_field"));
    assert!(!misfits(&validator(&stricter), &shown).is_empty());

    let claimed = c.ok("claim_next", json!({"fields": ["id"]}));
    let mut wrong = claimed.clone();
    wrong["bogus"] = json!(true);
    assert!(!misfits(&validator(&schema_of("claim_next")), &wrong).is_empty());
    c.finish();
}
