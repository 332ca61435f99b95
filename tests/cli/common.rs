//! The harness: a temporary git checkout with `jit init` run in it, and small helpers to run the
//! built binary there with a fixed environment (`JIT_ACTOR=human:tester`, `NO_COLOR=1`, no
//! `JIT_NOW`) and to read and hand-edit the files under `.jit/`.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// The actor every command runs as unless a test says otherwise.
pub const ACTOR: &str = "human:tester";

/// The built `jit` binary.
pub fn jit_bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("jit")
}

/// A `jit` command started in `dir` with the test environment.
pub fn jit_cmd(dir: &Path) -> Command {
    let mut c = Command::new(jit_bin());
    c.current_dir(dir)
        .env("JIT_ACTOR", ACTOR)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("JIT_NOW")
        .env_remove("CLICOLOR_FORCE");
    c
}

/// The exit code of a finished process (panics if it was killed by a signal).
pub fn code(out: &Output) -> i32 {
    out.status.code().expect("jit was killed by a signal")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Panics with the whole output unless the command exited 0.
pub fn assert_ok(out: &Output) {
    assert_eq!(
        code(out),
        0,
        "expected success\nstdout:\n{}\nstderr:\n{}",
        stdout(out),
        stderr(out)
    );
}

/// Parses stdout as exactly one JSON object with nothing else around it.
pub fn parse_one_object(out: &Output) -> Value {
    let mut values = serde_json::Deserializer::from_slice(&out.stdout).into_iter::<Value>();
    let first = match values.next() {
        Some(Ok(v)) => v,
        other => panic!(
            "stdout is not JSON ({other:?})\nstdout:\n{}\nstderr:\n{}",
            stdout(out),
            stderr(out)
        ),
    };
    assert!(
        values.next().is_none(),
        "stdout holds more than one JSON value:\n{}",
        stdout(out)
    );
    assert!(
        first.is_object(),
        "stdout is JSON but not an object: {first}"
    );
    first
}

/// Runs `git` in `dir`, panicking on failure.
pub fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A temporary git checkout, deleted when dropped.
pub struct Repo {
    dir: TempDir,
}

impl Repo {
    /// A git checkout with `jit init` run in it.
    pub fn new() -> Self {
        let repo = Self::git_only();
        assert_ok(&repo.jit(&["init"]));
        repo
    }

    /// A git checkout without a jit store.
    pub fn git_only() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("jit-test-")
            .tempdir()
            .expect("temp dir");
        git(dir.path(), &["init", "-q"]);
        git(dir.path(), &["config", "user.name", "Tester"]);
        git(dir.path(), &["config", "user.email", "tester@example.com"]);
        Repo { dir }
    }

    /// The checkout root.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `.jit/`.
    pub fn jit_dir(&self) -> PathBuf {
        self.path().join(".jit")
    }

    /// `.jit/issues/`.
    pub fn issues_dir(&self) -> PathBuf {
        self.jit_dir().join("issues")
    }

    /// A `jit` command started in the checkout root.
    pub fn cmd(&self) -> Command {
        jit_cmd(self.path())
    }

    /// Runs jit with `args` in the checkout root.
    pub fn jit(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("jit runs")
    }

    /// Runs jit with extra environment variables.
    pub fn jit_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        self.cmd()
            .args(args)
            .envs(env.iter().copied())
            .output()
            .expect("jit runs")
    }

    /// Runs jit with `--json` appended: the one JSON object on stdout and the exit code.
    pub fn json(&self, args: &[&str]) -> (Value, i32) {
        let out = self
            .cmd()
            .args(args)
            .arg("--json")
            .output()
            .expect("jit runs");
        (parse_one_object(&out), code(&out))
    }

    /// Like [`Repo::json`], but the command must succeed.
    pub fn ok(&self, args: &[&str]) -> Value {
        let (v, c) = self.json(args);
        assert_eq!(c, 0, "jit {args:?} failed: {v:#}");
        v
    }

    /// Like [`Repo::json`], but the command must fail with `code` and exit code `exit`; checks the
    /// error object's shape and returns its `details`.
    pub fn err(&self, args: &[&str], code: &str, exit: i32) -> Value {
        let (v, c) = self.json(args);
        let e = crate::contract::ErrorReply::from_value(&v);
        assert_eq!(
            (e.error.code.as_str(), c),
            (code, exit),
            "jit {args:?}: {v:#}"
        );
        e.error.details
    }

    /// Creates an issue and returns its short id.
    pub fn create(&self, title: &str, extra: &[&str]) -> String {
        let mut args = vec!["issue", "create", "--title", title];
        args.extend_from_slice(extra);
        let v = self.ok(&args);
        v["short_id"].as_str().expect("short_id").to_string()
    }

    /// The issue as `issue show --json` prints it.
    pub fn show(&self, id: &str) -> Value {
        self.ok(&["issue", "show", id])
    }

    /// The full id of an issue given any accepted form.
    pub fn full_id(&self, id: &str) -> String {
        self.show(id)["id"].as_str().expect("id").to_string()
    }

    /// The state of an issue.
    pub fn state(&self, id: &str) -> String {
        self.show(id)["state"].as_str().expect("state").to_string()
    }

    /// The file of an issue, by any accepted id form.
    pub fn issue_path(&self, id: &str) -> PathBuf {
        let full = if id.len() == 26 {
            id.to_ascii_uppercase()
        } else {
            self.full_id(id)
        };
        self.issues_dir().join(format!("{full}.json"))
    }

    /// The stored JSON of an issue.
    pub fn read_issue(&self, id: &str) -> Value {
        serde_json::from_slice(&std::fs::read(self.issue_path(id)).expect("issue file"))
            .expect("issue JSON")
    }

    /// Edits an issue file by hand.
    pub fn edit_issue(&self, id: &str, f: impl FnOnce(&mut Value)) {
        let path = self.issue_path(id);
        let mut v: Value =
            serde_json::from_slice(&std::fs::read(&path).expect("issue file")).expect("issue JSON");
        f(&mut v);
        let mut bytes = serde_json::to_vec_pretty(&v).expect("serialize");
        bytes.push(b'\n');
        std::fs::write(path, bytes).expect("write issue");
    }

    /// Names of the entries in `.jit/issues/`, sorted.
    pub fn issue_files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.issues_dir())
            .expect("issues dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// Every event line, parsed; each one is held to the event schema (`jit schema event`: the
    /// data its type's payload gives).
    pub fn events(&self) -> Vec<Value> {
        let text =
            std::fs::read_to_string(self.jit_dir().join("events.jsonl")).expect("events.jsonl");
        let events: Vec<Value> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("event line"))
            .collect();
        let schema = event_schema();
        for e in &events {
            let why = misfits(schema, e);
            assert!(
                why.is_empty(),
                "an event does not fit the event schema: {why:?}\n{e:#}"
            );
        }
        events
    }

    /// The number of event lines.
    pub fn event_count(&self) -> usize {
        self.events().len()
    }

    /// Defines a gate: `extra` adds flags such as `--auto`, `--stage precheck`, `--checker CMD`.
    pub fn define_gate(&self, key: &str, extra: &[&str]) {
        let mut args = vec!["gate", "define", key, "--title", key];
        args.extend_from_slice(extra);
        self.ok(&args);
    }
}

/// Strings of a JSON array.
pub fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("not an array: {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("not a string: {s}"))
                .to_string()
        })
        .collect()
}

/// A JSON Schema validator (draft 2020-12, formats such as `date-time` asserted) for a schema
/// jit publishes: a `docs/schema/` file or an MCP tool's `outputSchema`.
pub fn validator(schema: &Value) -> jsonschema::Validator {
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(schema)
        .unwrap_or_else(|e| panic!("not a usable JSON Schema ({e}): {schema}"))
}

/// Why `value` does not fit the schema of `v`: one line per error, none when it fits.
pub fn misfits(v: &jsonschema::Validator, value: &Value) -> Vec<String> {
    v.iter_errors(value)
        .map(|e| format!("{e} at `{}`", e.instance_path()))
        .collect()
}

/// The `short_id`s of the issues in a list reply.
pub fn short_ids(reply: &Value) -> Vec<String> {
    reply["issues"]
        .as_array()
        .unwrap_or_else(|| panic!("no issues array: {reply}"))
        .iter()
        .map(|i| i["short_id"].as_str().expect("short_id").to_string())
        .collect()
}

/// A syntactically valid ULID that no test creates (its time part is in 1970).
pub const MISSING_ID: &str = "00000000000000000000000000";

/// Whether process `pid` is gone (or a zombie nobody reaped) within a few seconds: a kill is
/// asynchronous, so this waits for the kernel; it asserts no duration.
pub fn dies(pid: u32) -> bool {
    let gone = || match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    };
    for _ in 0..250 {
        if gone() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    gone()
}

/// The process id a test's shell command wrote into `path` (`echo $! > bg.pid`).
pub fn pid_in(path: &Path) -> u32 {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .parse()
        .expect("a pid")
}

/// The event schema, as `jit schema event` prints it (read once per test run).
fn event_schema() -> &'static jsonschema::Validator {
    static SCHEMA: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = jit_cmd(dir.path())
            .args(["schema", "event", "--json"])
            .output()
            .expect("jit runs");
        assert_ok(&out);
        validator(&serde_json::from_slice(&out.stdout).expect("schema JSON"))
    })
}
