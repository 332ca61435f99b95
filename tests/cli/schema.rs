//! `jit schema`: the committed schemas under `docs/schema/` match what the code generates, and
//! the schemas describe what the commands really print.

use crate::common::{Repo, assert_ok, jit_cmd, misfits, stdout, validator};
use serde_json::Value;
use std::path::Path;

fn names() -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = jit_cmd(dir.path())
        .args(["schema", "--json"])
        .output()
        .expect("jit runs");
    assert_ok(&out);
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v["schemas"]
        .as_array()
        .expect("schemas")
        .iter()
        .map(|e| e["name"].as_str().expect("name").to_string())
        .collect()
}

fn generated(name: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = jit_cmd(dir.path())
        .args(["schema", name, "--json"])
        .output()
        .expect("jit runs");
    assert_ok(&out);
    stdout(&out)
}

#[test]
fn committed_schemas_are_up_to_date() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema");
    let names = names();
    assert_eq!(
        names,
        [
            "issue",
            "gates",
            "config",
            "event",
            "issue-view",
            "issue-list",
            "issue-list-lean",
            "error"
        ]
    );
    let mut stale = Vec::new();
    for name in &names {
        let path = docs.join(format!("{name}.json"));
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated(name) {
            stale.push(path.display().to_string());
        }
    }
    assert!(
        stale.is_empty(),
        "out of date: {stale:?}; regenerate with `cargo run -- schema --write-docs` and commit docs/schema/"
    );
}

#[test]
fn write_docs_writes_every_schema_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = || {
        let out = jit_cmd(dir.path())
            .args(["schema", "--write-docs", "--json"])
            .output()
            .expect("jit runs");
        assert_ok(&out);
        serde_json::from_slice::<Value>(&out.stdout).expect("JSON")
    };
    assert_eq!(run()["written"].as_array().map(Vec::len), Some(8));
    let again = run();
    assert_eq!(again["written"].as_array().map(Vec::len), Some(0));
    assert_eq!(again["unchanged"].as_array().map(Vec::len), Some(8));
    let issue = std::fs::read_to_string(dir.path().join("docs/schema/issue.json")).unwrap();
    assert_eq!(issue, generated("issue"));
}

#[test]
fn unknown_name_is_a_usage_error() {
    let repo = Repo::new();
    repo.err(&["schema", "nope"], "invalid_value", 2);
}

fn schema(name: &str) -> Value {
    serde_json::from_str(&generated(name)).expect("schema JSON")
}

/// Every key of `value` is a property of `schema` and every required property is present.
fn assert_fits(schema: &Value, value: &Value, what: &str) {
    let props = schema["properties"].as_object().expect("properties");
    let obj = value.as_object().expect("object");
    for k in obj.keys() {
        assert!(props.contains_key(k), "{what}: `{k}` is not in the schema");
    }
    for r in schema["required"].as_array().expect("required") {
        let r = r.as_str().unwrap();
        assert!(obj.contains_key(r), "{what}: required `{r}` is missing");
    }
}

#[test]
fn schemas_describe_real_output() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    let a = repo.create("Parent", &["--label", "x", "--gate", "review"]);
    let b = repo.create("Child", &["--dep", &a, "--parent", &a]);
    repo.ok(&["checklist", "add", &b, "--item", "works"]);
    repo.ok(&["issue", "comment", &b, "--body", "hi"]);
    repo.ok(&["issue", "claim", &a]);
    let view = repo.ok(&["issue", "show", &b, "--related"]);
    assert_fits(&schema("issue-view"), &view, "issue show");
    let stored = repo.read_issue(&b);
    assert_fits(&schema("issue"), &stored, "issue file");
    let list = repo.ok(&["issue", "list"]);
    assert_fits(&schema("issue-list"), &list, "issue list");
    for e in repo.events() {
        assert_fits(&schema("event"), &e, "event");
    }
    let cfg: Value =
        serde_json::from_slice(&std::fs::read(repo.jit_dir().join("config.json")).unwrap())
            .unwrap();
    assert_fits(&schema("config"), &cfg, "config");
    let gates: Value =
        serde_json::from_slice(&std::fs::read(repo.jit_dir().join("gates.json")).unwrap()).unwrap();
    let gate_schema = schema("gates");
    let def = &gate_schema["$defs"]["GateDef"];
    for g in gates.as_object().unwrap().values() {
        assert_fits(def, g, "gate");
    }
    let (err, _) = repo.json(&["issue", "show", "zzzz"]);
    assert_fits(&schema("error"), &err, "error");
    assert_fits(
        &schema("error")["$defs"]["ErrorBody"],
        &err["error"],
        "error body",
    );
}

/// Every event a session of ordinary work writes has the `data` its type's schema gives (the
/// event schema's per-type rules, from the payload types the writers use), and a wrong payload
/// is caught.
#[test]
fn events_carry_the_data_their_type_gives() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    repo.define_gate("review", &["--desc", "looked at by a person"]);
    let dep = repo.create("Dependency", &[]);
    let a = repo.create("Work", &["--dep", &dep, "--gate", "review"]);
    let b = repo.create("Other", &[]);
    repo.ok(&["issue", "update", &b, "--title", "Other, renamed"]);
    repo.ok(&["issue", "update", &b, "--state", "in_progress"]);
    repo.ok(&["checklist", "add", &a, "--item", "works"]);
    repo.ok(&["checklist", "check", &a, "--item", "works"]);
    repo.ok(&["checklist", "uncheck", &a, "--item", "works"]);
    repo.ok(&["issue", "comment", &a, "--body", "a note"]);
    repo.ok(&["link", "add", &a, "--relates", &b]);
    repo.ok(&["link", "rm", &a, "--relates", &b]);
    repo.ok(&["link", "add", &b, "--duplicates", &a]);
    repo.ok(&[
        "pr",
        "link",
        &a,
        "--url",
        "https://example.com/pr/1",
        "--status",
        "open",
    ]);
    repo.ok(&["issue", "claim", &dep]);
    repo.ok(&["issue", "heartbeat", &dep, "--ttl", "1h"]);
    repo.ok(&["issue", "update", &dep, "--state", "done"]);
    repo.ok(&["issue", "reopen", &dep, "--reason", "not quite"]);
    repo.ok(&["issue", "assign", &b, "--to", "human:tester"]);
    repo.ok(&["issue", "unassign", &b]);
    repo.ok(&["issue", "release", &dep, "--force"]);
    repo.ok(&["gate", "add", &b, "review"]);
    repo.ok(&["gate", "fail", &a, "review"]);
    repo.ok(&["gate", "pass", &a, "review"]);
    repo.ok(&["issue", "defer", &b, "--until", "2d"]);
    repo.ok(&["issue", "undefer", &b]);
    repo.ok(&["dep", "add", &b, "--on", &dep]);
    repo.ok(&["dep", "rm", &b, "--on", &dep]);
    repo.ok(&["hook", "add", "log", "--on", "*", "--command", "true"]);
    repo.ok(&["hook", "add", "log", "--on", "issue.*", "--command", "true"]);
    repo.ok(&["hook", "rm", "log"]);
    repo.ok(&["alert", "add", "stuck", "--when", "count(blocked) > 0"]);
    repo.ok(&[
        "alert",
        "add",
        "stuck",
        "--when",
        "count(blocked) > 0",
        "--filter",
        "-label:x",
    ]);
    repo.ok(&["alert", "check"]);
    repo.ok(&["alert", "rm", "stuck"]);
    repo.ok(&["issue", "delete", &b]);

    let v = validator(&schema("event"));
    let fits = |e: &Value| misfits(&v, e).is_empty();
    let events = repo.events();
    let mut types = std::collections::BTreeSet::new();
    for e in &events {
        let why = misfits(&v, e);
        assert!(why.is_empty(), "{why:?}\n{e:#}");
        types.insert(e["type"].as_str().unwrap().to_string());
    }
    // The session reached most types; the others (sync, import, expiry, repairs, hook tests)
    // are checked wherever a test reads the log: `Repo::events` holds every event to the rules.
    assert!(types.len() >= 34, "only {} types: {types:?}", types.len());

    // A payload of the wrong shape is refused by the rules.
    let passed = events.iter().find(|e| e["type"] == "gate.passed").unwrap();
    let mut wrong = passed.clone();
    wrong["data"].as_object_mut().unwrap().remove("gate");
    assert!(!fits(&wrong));
    let mut wrong = passed.clone();
    wrong["data"]["exit_code"] = Value::from("zero");
    assert!(!fits(&wrong));
    let mut wrong = events
        .iter()
        .find(|e| e["type"] == "issue.created")
        .unwrap()
        .clone();
    wrong["data"] = serde_json::json!({});
    assert!(!fits(&wrong));
    // A type a newer jit added passes with any data.
    let mut newer = passed.clone();
    newer["type"] = Value::from("issue.teleported");
    newer["data"] = serde_json::json!({ "to": 3 });
    assert!(fits(&newer));
}

/// What the commands print fits the published schemas, checked by a JSON Schema validator
/// (types, enums, patterns, formats and `$ref`s, where `assert_fits` looks at keys only).
#[test]
fn real_output_validates_against_the_schemas() {
    let repo = Repo::new();
    repo.define_gate("review", &[]);
    let a = repo.create("Parent", &["--label", "x", "--gate", "review"]);
    let b = repo.create("Child", &["--dep", &a, "--parent", &a]);
    repo.ok(&["issue", "claim", &a]);
    let fits = |name: &str, value: &Value| {
        let wrong = misfits(&validator(&schema(name)), value);
        assert!(wrong.is_empty(), "{name}: {}\n{value:#}", wrong.join("\n"));
    };
    // The lean page holds a claimed issue and an unassigned one (`assignee: null`).
    fits("issue-list-lean", &repo.ok(&["issue", "list"]));
    fits("issue-list", &repo.ok(&["issue", "list", "--full"]));
    fits("issue-view", &repo.ok(&["issue", "show", &b, "--related"]));
    fits("issue", &repo.read_issue(&a));
    let (err, _) = repo.json(&["issue", "show", "zzzz"]);
    fits("error", &err);
}
