//! The harness: a temporary git checkout with `jit init` run in it, and small helpers to run the
//! built binary there with a fixed environment (`JIT_ACTOR=human:tester`, `NO_COLOR=1`, no
//! `JIT_NOW`) and to read and hand-edit the files under `.jit/`.
//!
//! Safety: every jit started here finds a `kill` shim first on its `PATH` (see [`shim_dir`]).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use tempfile::TempDir;

/// The actor every command runs as unless a test says otherwise.
pub const ACTOR: &str = "human:tester";

/// The built `jit` binary.
pub fn jit_bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("jit")
}

/// The environment variable that makes the `kill` shim log each call's arguments to a file.
pub const KILL_LOG_ENV: &str = "JIT_TEST_KILL_LOG";

/// A directory holding a `kill` shim, put first on the `PATH` of every jit the tests start.
///
/// Why: on a checker timeout jit runs `kill -KILL -<pgid>`. procps-ng 4.x `kill` misparses a
/// negative pid that is not preceded by `--` and may call `kill(-1, SIGKILL)`, which kills every
/// process of the user (the test runner, the shell, the editor). The shim logs its arguments
/// (to `$JIT_TEST_KILL_LOG` when set, so a test can check them) and delivers the signal to the
/// named process or group with the unambiguous `kill -s SIG -- <pid>`.
pub fn shim_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("jit-test-shims");
        std::fs::create_dir_all(&dir).expect("shim dir");
        let real = std::env::var_os("PATH")
            .map(|p| {
                std::env::split_paths(&p)
                    .map(|d| d.join("kill"))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .find(|k| k.is_file() && !k.starts_with(&dir))
            .unwrap_or_else(|| PathBuf::from("/bin/kill"));
        let script = format!(
            r#"#!/bin/sh
# Test shim for `kill` (tests/cli/common.rs): log the call, then signal unambiguously.
if [ -n "${KILL_LOG_ENV}" ]; then printf '%s\n' "$*" >> "${KILL_LOG_ENV}"; fi
sig=TERM
case "$1" in -[A-Z]*) sig="${{1#-}}" ;; esac
last=""
for a in "$@"; do last="$a"; done
case "$last" in
  -[0-9]*|[0-9]*) exec '{real}' -s "$sig" -- "$last" ;;
esac
exit 0
"#,
            real = real.display(),
        );
        let path = dir.join("kill");
        if std::fs::read_to_string(&path).ok().as_deref() != Some(script.as_str()) {
            // Write aside and rename, so a jit running the old shim never sees a partial file.
            let tmp = dir.join(format!("kill.{}.tmp", std::process::id()));
            std::fs::write(&tmp, &script).expect("write shim");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
                    .expect("chmod shim");
            }
            std::fs::rename(&tmp, &path).expect("install shim");
        }
        dir
    })
}

/// `PATH` with the shim directory first.
fn shimmed_path() -> std::ffi::OsString {
    let mut dirs = vec![shim_dir().to_path_buf()];
    if let Some(p) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&p));
    }
    std::env::join_paths(dirs).expect("PATH")
}

/// A `jit` command started in `dir` with the test environment.
pub fn jit_cmd(dir: &Path) -> Command {
    let mut c = Command::new(jit_bin());
    c.current_dir(dir)
        .env("PATH", shimmed_path())
        .env_remove(KILL_LOG_ENV)
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

    /// Every event line, parsed.
    pub fn events(&self) -> Vec<Value> {
        let text =
            std::fs::read_to_string(self.jit_dir().join("events.jsonl")).expect("events.jsonl");
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).expect("event line"))
            .collect()
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
