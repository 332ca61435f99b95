//! Hooks, alerts and the event-driven dispatcher, end to end: real commands in the repository,
//! a real HTTP receiver on 127.0.0.1 that checks signatures and fails on purpose, real time
//! steps through `JIT_NOW` (never a timing assertion).

use crate::common::{Repo, code, jit_bin, parse_one_object, stderr, stdout};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "it is a secret to everybody";
const T0: &str = "2026-03-01T12:00:00Z";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Request {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    signature_ok: bool,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A webhook receiver on 127.0.0.1: it checks `X-Jit-Signature-256` (401 when it is wrong) and
/// answers the statuses it was given, one per request (the last one from then on).
struct Receiver {
    port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request {
        path,
        headers,
        body,
        signature_ok: false,
    })
}

impl Receiver {
    fn start(statuses: Vec<u16>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (reqs, stopping) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let Some(mut request) = read_request(&mut stream) else {
                    continue;
                };
                let sig = request.header("X-Jit-Signature-256").map(str::to_string);
                let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
                mac.update(&request.body);
                let want: String = mac
                    .finalize()
                    .into_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                let signature_ok = sig.as_deref() == Some(&format!("sha256={want}"));
                request.signature_ok = signature_ok;
                let n = {
                    let mut r = reqs.lock().unwrap();
                    r.push(request);
                    r.len()
                };
                let status = if !signature_ok {
                    401
                } else {
                    statuses
                        .get(n - 1)
                        .or(statuses.last())
                        .copied()
                        .unwrap_or(200)
                };
                let text = format!("request {n}: answered {status}");
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        Receiver {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}/hooks/jit", self.port)
    }

    fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Runs jit with the secret and a pinned time, and no proxy in the way of 127.0.0.1.
fn run_at(repo: &Repo, args: &[&str], now: Option<&str>) -> Output {
    let mut c = repo.cmd();
    for p in [
        "http_proxy",
        "HTTP_PROXY",
        "https_proxy",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ] {
        c.env_remove(p);
    }
    c.env("JIT_TEST_SECRET", SECRET);
    if let Some(t) = now {
        c.env("JIT_NOW", t);
    }
    c.args(args).output().expect("jit runs")
}

fn json_at(repo: &Repo, args: &[&str], now: Option<&str>) -> (Value, i32) {
    let mut a = args.to_vec();
    a.push("--json");
    let out = run_at(repo, &a, now);
    (parse_one_object(&out), code(&out))
}

fn millis(t: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t.as_str().expect("a time"))
        .expect("RFC 3339")
        .timestamp_millis()
}

fn log(repo: &Repo) -> Vec<Value> {
    repo.ok(&["hook", "log", "--limit", "1000"])["entries"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn a_url_hook_is_signed_retried_with_backoff_and_logged() {
    let repo = Repo::new();
    let rx = Receiver::start(vec![500, 500, 200]);
    repo.ok(&[
        "hook",
        "add",
        "web",
        "--on",
        "issue.created",
        "--url",
        &rx.url(),
        "--secret-env",
        "JIT_TEST_SECRET",
        "--max-attempts",
        "5",
        "--backoff",
        "10s",
    ]);
    let stored: Value =
        serde_json::from_slice(&std::fs::read(repo.jit_dir().join("config.json")).unwrap())
            .unwrap();
    assert_eq!(stored["hooks"]["web"]["secret_env"], "JIT_TEST_SECRET");
    assert!(
        !String::from_utf8_lossy(&std::fs::read(repo.jit_dir().join("config.json")).unwrap())
            .contains(SECRET)
    );

    // The command succeeds although the receiver fails; the failure is recorded.
    let out = run_at(
        &repo,
        &["issue", "create", "--title", "Webhook me", "--json"],
        Some(T0),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let issue = parse_one_object(&out);
    let warn = stderr(&out);
    assert!(
        warn.contains("hook `web`") && warn.contains("HTTP 500"),
        "{warn}"
    );
    let first = log(&repo);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["outcome"], "retrying");
    assert_eq!(first[0]["status"], 500);
    assert_eq!(first[0]["attempt"], 1);
    assert_eq!(first[0]["answer"], "request 1: answered 500");
    assert_eq!(first[0]["issue"], issue["id"]);
    let wait = millis(&first[0]["next_attempt_at"]) - millis(&first[0]["at"]);
    assert!(
        (5_000..=10_000).contains(&wait),
        "first retry after {wait} ms"
    );

    // Not due yet: nothing is sent.
    let (r, c) = json_at(&repo, &["hook", "deliver"], Some(T0));
    assert_eq!(
        (c, r["attempts"].as_array().unwrap().len()),
        (0, 0),
        "{r:#}"
    );
    assert_eq!(r["queue"]["pending"], 1);
    assert_eq!(rx.requests().len(), 1);

    // Due: the second attempt fails too and waits about twice as long.
    let (r, _) = json_at(&repo, &["hook", "deliver"], Some("2026-03-01T12:00:11Z"));
    let second = &r["attempts"][0];
    assert_eq!(
        (second["attempt"].as_u64(), second["status"].as_u64()),
        (Some(2), Some(500))
    );
    let wait = millis(&second["next_attempt_at"]) - millis(&second["at"]);
    assert!(
        (10_000..=20_000).contains(&wait),
        "second retry after {wait} ms"
    );

    // The third is delivered.
    let (r, c) = json_at(&repo, &["hook", "deliver"], Some("2026-03-01T12:01:00Z"));
    assert_eq!(c, 0);
    assert_eq!(r["delivered"], 1);
    assert_eq!(r["queue"]["pending"], 0);
    let entries = log(&repo);
    let outcomes: Vec<(&str, u64)> = entries
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["status"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("retrying", 500), ("retrying", 500), ("delivered", 200)]
    );
    assert!(
        entries
            .iter()
            .all(|e| e["delivery"] == entries[0]["delivery"])
    );

    // What the receiver saw: three signed POSTs of the same bytes, the event as stored.
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 3);
    let event = repo
        .events()
        .into_iter()
        .find(|e| e["type"] == "issue.created")
        .unwrap();
    for r in &reqs {
        assert!(r.signature_ok, "bad signature: {r:?}");
        assert_eq!(r.path, "/hooks/jit");
        assert_eq!(r.body, reqs[0].body);
        let body: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body, event);
        assert_eq!(r.header("X-Jit-Event"), Some("issue.created"));
        assert_eq!(r.header("X-Jit-Event-Id"), event["id"].as_str());
        assert_eq!(r.header("X-Jit-Delivery"), entries[0]["delivery"].as_str());
        assert_eq!(r.header("X-Jit-Hook"), Some("web"));
        assert_eq!(r.header("Content-Type"), Some("application/json"));
    }
    assert_eq!(repo.ok(&["hook", "list"])["hooks"][0]["pending"], 0);

    // Without the secret in the environment nothing is sent unsigned.
    let out = repo
        .cmd()
        .args(["hook", "test", "web", "--json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 8);
    let t = parse_one_object(&out);
    assert!(
        t["error"].as_str().unwrap().contains("JIT_TEST_SECRET"),
        "{t}"
    );
    assert_eq!(rx.requests().len(), 3);
    let (t, c) = json_at(&repo, &["hook", "test", "web"], None);
    assert_eq!((c, t["outcome"].as_str()), (0, Some("delivered")), "{t}");
    let test: Value = serde_json::from_slice(&rx.requests()[3].body).unwrap();
    assert_eq!(test["type"], "hook.test");
}

#[test]
fn deliver_wait_retries_until_failed_and_replay_sends_it_again() {
    let repo = Repo::new();
    let rx = Receiver::start(vec![503, 503, 503, 200]);
    repo.ok(&[
        "hook",
        "add",
        "web",
        "--on",
        "issue.*",
        "--url",
        &rx.url(),
        "--secret-env",
        "JIT_TEST_SECRET",
        "--max-attempts",
        "3",
        "--backoff",
        "1s",
    ]);
    let out = run_at(&repo, &["issue", "create", "--title", "T"], None);
    assert_eq!(code(&out), 0);
    let (r, c) = json_at(&repo, &["hook", "deliver", "--wait"], None);
    assert_eq!(c, 8, "a delivery ended failed: {r:#}");
    assert_eq!(r["failed"], 1);
    assert_eq!(r["queue"]["pending"], 0);
    assert_eq!(r["queue"]["failed"], 1);
    let entries = log(&repo);
    let outcomes: Vec<&str> = entries
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["retrying", "retrying", "failed"]);
    assert_eq!(rx.requests().len(), 3);
    assert_eq!(repo.ok(&["hook", "list"])["hooks"][0]["failed"], 1);
    let delivery = entries[2]["delivery"].as_str().unwrap().to_string();

    let (r, c) = json_at(&repo, &["hook", "replay", &delivery.to_lowercase()], None);
    assert_eq!(c, 0, "{r:#}");
    assert_eq!(r["outcome"], "delivered");
    assert_eq!(r["replay_of"], delivery.as_str());
    assert_ne!(r["delivery"], delivery.as_str());
    let reqs = rx.requests();
    assert_eq!(reqs.len(), 4);
    assert_eq!(
        reqs[3].header("X-Jit-Event-Id"),
        reqs[0].header("X-Jit-Event-Id")
    );
    assert_ne!(
        reqs[3].header("X-Jit-Delivery"),
        reqs[0].header("X-Jit-Delivery")
    );
    assert_eq!(repo.ok(&["hook", "list"])["hooks"][0]["failed"], 0);
    let page = repo.ok(&["hook", "log", "--delivery", &delivery]);
    assert_eq!(page["total"], 4, "the delivery and its replay: {page:#}");

    repo.err(
        &["hook", "replay", "01ARZ3NDEKTSV4RRFFQ69G5FAV"],
        "unknown_delivery",
        2,
    );
    repo.err(&["hook", "replay", "../../etc/passwd"], "invalid_value", 2);
}

#[test]
fn concurrent_deliverers_send_each_delivery_once() {
    let repo = Repo::new();
    // Queue deliveries against a port nothing listens on: each create fails its first attempt.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_url = format!("http://127.0.0.1:{}/", closed.local_addr().unwrap().port());
    drop(closed);
    repo.ok(&[
        "hook",
        "add",
        "web",
        "--on",
        "issue.created",
        "--url",
        &dead_url,
    ]);
    for i in 0..12 {
        let out = run_at(
            &repo,
            &["issue", "create", "--title", &format!("T{i}")],
            Some(T0),
        );
        assert_eq!(code(&out), 0);
    }
    assert_eq!(repo.ok(&["hook", "list"])["hooks"][0]["pending"], 12);
    // The receiver comes up; six processes deliver at once, an hour later (everything due).
    let rx = Receiver::start(vec![200]);
    // (At T0, so that this command's own delivery pass finds nothing due yet.)
    let out = run_at(
        &repo,
        &[
            "hook",
            "add",
            "web",
            "--on",
            "issue.created",
            "--url",
            &rx.url(),
            "--secret-env",
            "JIT_TEST_SECRET",
        ],
        Some(T0),
    );
    assert_eq!(code(&out), 0);
    assert!(rx.requests().is_empty());
    let children: Vec<_> = (0..6)
        .map(|_| {
            repo.cmd()
                .env("JIT_NOW", "2026-03-01T13:00:00Z")
                .env("JIT_TEST_SECRET", SECRET)
                .env_remove("http_proxy")
                .env_remove("HTTP_PROXY")
                .args(["hook", "deliver", "--json"])
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        assert!(c.wait_with_output().unwrap().status.success());
    }
    let mut ids: Vec<String> = rx
        .requests()
        .iter()
        .map(|r| r.header("X-Jit-Delivery").unwrap().to_string())
        .collect();
    ids.sort();
    let n = ids.len();
    ids.dedup();
    assert_eq!(
        (n, ids.len()),
        (12, 12),
        "each delivery sent exactly once: {:#?}",
        log(&repo)
            .iter()
            .filter(|e| e["outcome"] != "delivered")
            .map(|e| e["error"].clone())
            .collect::<Vec<_>>()
    );
    assert_eq!(repo.ok(&["hook", "list"])["hooks"][0]["pending"], 0);
}

fn write_script(repo: &Repo, name: &str, text: &str) {
    let p = repo.path().join(name);
    std::fs::write(&p, text).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn a_command_hook_gets_the_event_on_stdin_its_env_and_the_repo_root() {
    let repo = Repo::new();
    repo.ok(&[
        "hook",
        "add",
        "record",
        "--on",
        "issue.created",
        "--command",
        "cat > event.json; printf '%s\\n' \"$JIT_EVENT\" \"$JIT_ISSUE_ID\" \"$JIT_ACTOR\" \"$(pwd)\" \"$JIT_HOOK_DEPTH\" > env.txt",
    ]);
    let sub = repo.path().join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    let out = crate::common::jit_cmd(&sub)
        .env("JIT_ACTOR", "agent:bot-7")
        .args(["issue", "create", "--title", "Hooked", "--json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v = parse_one_object(&out);
    let stdin: Value =
        serde_json::from_slice(&std::fs::read(repo.path().join("event.json")).unwrap()).unwrap();
    let stored = repo.events().last().unwrap().clone();
    assert_eq!(stdin, stored);
    assert_eq!(stdin["type"], "issue.created");
    let env = std::fs::read_to_string(repo.path().join("env.txt")).unwrap();
    let root = std::fs::canonicalize(repo.path()).unwrap();
    assert_eq!(
        env.lines().collect::<Vec<_>>(),
        [
            "issue.created",
            v["id"].as_str().unwrap(),
            "agent:bot-7",
            root.to_str().unwrap(),
            "1"
        ]
    );
    let e = &log(&repo)[0];
    assert_eq!(
        (e["outcome"].as_str(), e["exit_code"].as_i64()),
        (Some("delivered"), Some(0))
    );
}

#[test]
fn a_hanging_command_hook_is_killed_with_its_group_and_the_mutation_stays() {
    let repo = Repo::new();
    repo.ok(&[
        "hook",
        "add",
        "slow",
        "--on",
        "issue.created",
        "--command",
        "sleep 30 & echo $! > bg.pid; wait",
        "--timeout",
        "1",
    ]);
    let out = repo.jit_env(&["issue", "create", "--title", "Still here", "--json"], &[]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let id = parse_one_object(&out)["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(repo.state(&id), "ready", "the issue was created");
    let e = &log(&repo)[0];
    assert_eq!(e["timed_out"], true);
    assert!(e["exit_code"].is_null());
    assert_eq!(e["outcome"], "retrying");
    assert!(e["error"].as_str().unwrap().contains("timed out"), "{e}");
    let pid = crate::common::pid_in(&repo.path().join("bg.pid"));
    assert!(
        crate::common::dies(pid),
        "the hook's background process {pid} outlived the timeout"
    );
}

#[test]
fn a_failing_command_hook_never_fails_the_mutation() {
    let repo = Repo::new();
    let id = repo.create("Finish me", &[]);
    repo.ok(&[
        "hook",
        "add",
        "broken",
        "--on",
        "issue.*",
        "--command",
        "echo nope >&2; exit 3",
    ]);
    let out = repo
        .cmd()
        .args(["issue", "update", &id, "--state", "done", "--json"])
        .output()
        .unwrap();
    assert_eq!(code(&out), 0);
    assert_eq!(parse_one_object(&out)["state"], "done");
    let warn = stderr(&out);
    assert!(
        warn.contains("hook `broken`") && warn.contains("exited with 3"),
        "{warn}"
    );
    assert_eq!(repo.state(&id), "done");
    let e = log(&repo).pop().unwrap();
    assert_eq!(
        (e["exit_code"].as_i64(), e["answer"].as_str()),
        (Some(3), Some("nope"))
    );
    assert_eq!(e["outcome"], "retrying");
}

#[test]
fn a_hook_with_a_filter_gets_only_the_issues_that_match() {
    let repo = Repo::new();
    repo.ok(&[
        "hook",
        "add",
        "ui",
        "--on",
        "issue.created",
        "--filter",
        "label:ui priority:>=high",
        "--command",
        "cat >> ui.log; echo >> ui.log",
    ]);
    let hit = repo.create("Button", &["--label", "ui", "--priority", "high"]);
    repo.create("Font", &["--label", "ui", "--priority", "low"]);
    repo.create(
        "Database",
        &["--label", "backend", "--priority", "critical"],
    );
    let text = std::fs::read_to_string(repo.path().join("ui.log")).unwrap();
    let got: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got.len(), 1, "{text}");
    assert_eq!(got[0]["issue"].as_str(), Some(repo.full_id(&hit).as_str()));
    assert_eq!(log(&repo).len(), 1);
    repo.err(
        &[
            "hook",
            "add",
            "bad",
            "--on",
            "*",
            "--filter",
            "priority:>=urgent",
            "--command",
            "true",
        ],
        "invalid_query",
        2,
    );
}

#[test]
fn without_hooks_nothing_is_queued_and_the_outbox_stays_out_of_git() {
    let repo = Repo::new();
    let id = repo.create("Plain", &[]);
    repo.ok(&["issue", "update", &id, "--priority", "high"]);
    assert!(
        !repo.jit_dir().join("outbox").exists(),
        "no hooks: no outbox"
    );

    // A store whose .gitignore predates hooks still keeps the outbox out of git.
    std::fs::write(repo.jit_dir().join(".gitignore"), "lock\ncache/\n*.tmp\n").unwrap();
    repo.ok(&["hook", "add", "h", "--on", "*", "--command", "exit 1"]);
    repo.ok(&["issue", "update", &id, "--priority", "low"]);
    assert!(repo.jit_dir().join("outbox/pending").is_dir());
    let out = Command::new("git")
        .current_dir(repo.path())
        .args(["status", "--porcelain", "--untracked-files=all"])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&out.stdout);
    assert!(!status.contains("outbox"), "{status}");
    assert!(status.contains(".jit/config.json"), "{status}");

    // JIT_HOOKS=off: nothing queued, and the commands that send refuse.
    let before = log(&repo).len();
    let out = repo.jit_env(
        &["issue", "update", &id, "--priority", "high"],
        &[("JIT_HOOKS", "off")],
    );
    assert_eq!(code(&out), 0);
    assert_eq!(log(&repo).len(), before);
    let out = repo.jit_env(&["hook", "deliver", "--json"], &[("JIT_HOOKS", "off")]);
    assert_eq!(parse_one_object(&out)["error"]["code"], "hooks_disabled");
}

#[test]
fn hooks_are_validated_replaced_and_removed_with_their_queue() {
    let repo = Repo::new();
    repo.err(
        &[
            "hook",
            "add",
            "x",
            "--on",
            "*",
            "--command",
            "true",
            "--url",
            "http://127.0.0.1:1/",
        ],
        "usage",
        2,
    );
    repo.err(
        &["hook", "add", "x", "--on", "Gate.*", "--command", "true"],
        "invalid_value",
        2,
    );
    repo.err(
        &["hook", "add", "X Y", "--on", "*", "--command", "true"],
        "invalid_value",
        2,
    );
    repo.err(
        &["hook", "add", "x", "--on", "*", "--url", "ftp://h/"],
        "invalid_value",
        2,
    );
    repo.err(
        &[
            "hook",
            "add",
            "x",
            "--on",
            "*",
            "--command",
            "true",
            "--secret-env",
            "S",
        ],
        "invalid_value",
        2,
    );
    repo.err(&["hook", "rm", "nothing"], "unknown_hook", 2);
    let events = repo.event_count();
    let a = repo.ok(&["hook", "add", "h", "--on", "issue.*", "--command", "exit 1"]);
    assert_eq!(a["change"], "added");
    let again = repo.ok(&["hook", "add", "h", "--on", "issue.*", "--command", "exit 1"]);
    assert_eq!(again["change"], "unchanged");
    let upd = repo.ok(&["hook", "add", "h", "--on", "issue.*", "--command", "exit 2"]);
    assert_eq!(upd["change"], "updated");
    let kinds: Vec<String> = repo.events()[events..]
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["hook.added", "hook.updated"]);
    repo.create("Queued", &[]);
    assert_eq!(repo.ok(&["hook", "list"])["hooks"][0]["pending"], 1);
    let rm = repo.ok(&["hook", "rm", "h"]);
    assert_eq!(rm["dropped_deliveries"], 1);
    let last = log(&repo).pop().unwrap();
    assert_eq!(last["outcome"], "cancelled");
    let cfg: Value =
        serde_json::from_slice(&std::fs::read(repo.jit_dir().join("config.json")).unwrap())
            .unwrap();
    assert!(cfg.get("hooks").is_none(), "{cfg:#}");
    assert_eq!(
        cfg["default_lease_ttl"], "2h",
        "the rest of the config is kept"
    );
}

#[test]
fn hooks_that_trigger_each_other_stop_at_the_depth_limit() {
    let repo = Repo::new();
    let id = repo.create("Echo chamber", &[]);
    repo.ok(&[
        "hook",
        "add",
        "echo",
        "--on",
        "comment.added",
        "--command",
        &format!(
            "'{}' issue comment \"$JIT_ISSUE_ID\" --body \"echo at depth $JIT_HOOK_DEPTH\" >/dev/null",
            jit_bin().display()
        ),
    ]);
    let out = repo.jit(&["issue", "comment", &id, "--body", "hello"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let comments: Vec<String> = repo.show(&id)["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["body"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        comments,
        [
            "hello",
            "echo at depth 1",
            "echo at depth 2",
            "echo at depth 3"
        ]
    );
    let skipped: Vec<Value> = log(&repo)
        .into_iter()
        .filter(|e| e["outcome"] == "skipped")
        .collect();
    assert_eq!(skipped.len(), 1);
    assert!(
        skipped[0]["error"]
            .as_str()
            .unwrap()
            .contains("JIT_HOOK_DEPTH=3")
    );
}

#[test]
fn alerts_fire_once_per_condition_change_through_the_hooks() {
    let repo = Repo::new();
    repo.ok(&[
        "hook",
        "add",
        "pager",
        "--on",
        "alert.fired,alert.resolved",
        "--command",
        "cat >> alerts.log; echo >> alerts.log",
    ]);
    repo.ok(&["alert", "add", "pileup", "--when", "count(blocked) > 1"]);
    repo.ok(&["alert", "add", "stalled", "--when", "in_progress > 1d"]);
    repo.err(
        &["alert", "add", "bad", "--when", "count(blocked)"],
        "invalid_value",
        2,
    );
    let a = repo.create("Foundation", &[]);
    repo.create("Walls", &["--dep", &a]);
    repo.create("Roof", &["--dep", &a]);
    let alerts_log = || -> Vec<Value> {
        std::fs::read_to_string(repo.path().join("alerts.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };

    let r = repo.ok(&["alert", "check"]);
    assert_eq!(r["fired"].as_array().unwrap().len(), 1, "{r:#}");
    assert!(
        r["fired"][0]["message"]
            .as_str()
            .unwrap()
            .contains("count(blocked) is 2")
    );
    assert_eq!(alerts_log().len(), 1);
    let events = repo.event_count();
    let r = repo.ok(&["alert", "check"]);
    assert_eq!(
        (
            r["fired"].as_array().unwrap().len(),
            r["firing"].as_array().unwrap().len()
        ),
        (0, 1)
    );
    assert_eq!(repo.event_count(), events, "no change: nothing written");
    assert_eq!(alerts_log().len(), 1, "fired once");
    let (_, c) = repo.json(&["alert", "check", "--exit-code"]);
    assert_eq!(c, 8);

    // Finishing the foundation unblocks both: resolved, once.
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    let r = repo.ok(&["alert", "check"]);
    assert_eq!(r["resolved"].as_array().unwrap().len(), 1, "{r:#}");
    repo.ok(&["alert", "check"]);
    let got = alerts_log();
    let kinds: Vec<&str> = got.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["alert.fired", "alert.resolved"]);
    assert_eq!(got[0]["data"]["alert"], "pileup");
    assert!(got[0]["issue"].is_null());

    // A per-issue condition, in time: an issue in progress for more than a day.
    let walls = repo.ok(&["query", "ready"])["issues"][0]["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = repo.jit_env(
        &["issue", "update", &walls, "--state", "in_progress"],
        &[("JIT_NOW", T0)],
    );
    assert_eq!(code(&out), 0);
    let check_at = |t: &str| {
        let out = repo.jit_env(&["alert", "check", "--json"], &[("JIT_NOW", t)]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        parse_one_object(&out)
    };
    assert!(
        check_at("2026-03-02T11:00:00Z")["fired"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let r = check_at("2026-03-02T13:00:00Z");
    assert_eq!(r["fired"][0]["alert"], "stalled");
    assert_eq!(r["fired"][0]["short_id"], walls.as_str());
    assert!(
        check_at("2026-03-03T13:00:00Z")["fired"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let got = alerts_log();
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[2]["issue"].as_str(),
        Some(repo.full_id(&walls).as_str())
    );
    assert_eq!(repo.ok(&["alert", "list"])["alerts"][1]["firing"], 1);
    // Removing the alert resolves what it had fired.
    repo.ok(&["alert", "rm", "stalled"]);
    assert_eq!(alerts_log().last().unwrap()["type"], "alert.resolved");
}

#[test]
fn alerts_on_expired_leases_and_failed_gates() {
    let repo = Repo::new();
    repo.define_gate("tests", &["--auto"]);
    repo.ok(&["alert", "add", "expired", "--when", "lease_expired"]);
    repo.ok(&[
        "alert",
        "add",
        "red",
        "--when",
        "gate_failed(tests)",
        "--filter",
        "label:api",
    ]);
    // Created on the clock it is claimed on: a lease never starts before the issue's last change.
    let out = repo.jit_env(
        &["issue", "create", "--title", "Claimed", "--json"],
        &[("JIT_NOW", T0)],
    );
    let claimed = parse_one_object(&out)["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let api = repo.create("API", &["--gate", "tests", "--label", "api"]);
    let ui = repo.create("UI", &["--gate", "tests", "--label", "ui"]);
    let out = repo.jit_env(
        &[
            "issue",
            "claim",
            &claimed,
            "--to",
            "agent:bot",
            "--ttl",
            "1m",
        ],
        &[("JIT_NOW", T0)],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    repo.ok(&["gate", "fail", &api, "tests"]);
    repo.ok(&["gate", "fail", &ui, "tests"]);
    let check_at = |t: &str| {
        let out = repo.jit_env(&["alert", "check", "--json"], &[("JIT_NOW", t)]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        parse_one_object(&out)
    };
    let subjects = |r: &Value, key: &str| -> Vec<(String, String)> {
        r[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["alert"].as_str().unwrap().to_string(),
                    c["short_id"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    // Before the lease runs out only the failed gate of the api issue holds (the filter).
    let r = check_at("2026-03-01T12:00:30Z");
    assert_eq!(subjects(&r, "fired"), [("red".to_string(), api.clone())]);
    let r = check_at("2026-03-01T12:02:00Z");
    assert_eq!(
        subjects(&r, "fired"),
        [("expired".to_string(), claimed.clone())]
    );
    assert!(
        r["fired"][0]["message"]
            .as_str()
            .unwrap()
            .contains("agent:bot")
    );
    repo.ok(&["gate", "pass", &api, "tests"]);
    let r = check_at("2026-03-01T12:03:00Z");
    assert_eq!(subjects(&r, "resolved"), [("red".to_string(), api.clone())]);
    assert_eq!(
        subjects(&r, "firing"),
        [("expired".to_string(), claimed.clone())]
    );
    let fired = repo
        .events()
        .iter()
        .filter(|e| e["type"] == "alert.fired")
        .count();
    assert_eq!(fired, 2);
}

#[test]
fn events_tail_follows_only_the_unblocked_events() {
    let repo = Repo::new();
    let a = repo.create("First", &[]);
    let b = repo.create("Second", &["--dep", &a]);
    let mut child = repo
        .cmd()
        .args([
            "events",
            "tail",
            "--follow",
            "--event",
            "issue.unblocked",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    // Give the follower time to start; it prints nothing until an unblocked event arrives.
    std::thread::sleep(Duration::from_millis(300));
    repo.ok(&["issue", "update", &a, "--state", "done"]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(lines.next());
    });
    let line = rx.recv_timeout(Duration::from_secs(30));
    let _ = child.kill();
    let _ = child.wait();
    let line = line.expect("a line within 30 s").expect("a line").unwrap();
    let e: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(e["type"], "issue.unblocked");
    assert_eq!(e["issue"].as_str(), Some(repo.full_id(&b).as_str()));
    assert_eq!(e["data"]["cause"].as_str(), Some(repo.full_id(&a).as_str()));
    // Without --follow, the filter applies before --limit.
    let out = repo.jit(&[
        "events", "tail", "--event", "issue.*", "--limit", "1", "--json",
    ]);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("issue.unblocked"), "{text}");
}

fn dispatch_bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("jit-dispatch")
}

#[test]
fn the_event_driven_dispatcher_starts_an_agent_when_a_dependency_finishes() {
    let repo = Repo::new();
    let a = repo.create("Schema", &[]);
    repo.ok(&["issue", "claim", &a, "--to", "human:tester"]);
    let b = repo.create("API", &["--dep", &a]);
    write_script(
        &repo,
        "agent.sh",
        "#!/bin/sh\necho \"$JIT_ACTOR $JIT_ISSUE_ID\" >> agent.log\n",
    );
    // A poll interval of an hour: only an event can explain a start within the test.
    std::fs::write(
        repo.path().join("dispatch.toml"),
        "[dispatch]\npoll_interval_secs = 3600\n\n[[agents]]\nid = \"bot\"\ncommand = \"./agent.sh\"\n",
    )
    .unwrap();
    let mut child = Command::new(dispatch_bin())
        .current_dir(repo.path())
        .args([
            "start",
            "--on-events",
            "--max-cycles",
            "2",
            "--config",
            "dispatch.toml",
            "--json",
            "--jit-path",
        ])
        .arg(jit_bin())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    err.read_line(&mut first).unwrap();
    assert!(first.contains("watching the event log"), "{first}");
    assert!(
        !repo.path().join("agent.log").exists(),
        "no work before the dependency finishes"
    );

    repo.ok(&["issue", "update", &a, "--state", "done"]);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(out) => out.unwrap(),
        Err(_) => panic!("the dispatcher did not start the agent within 60 s"),
    };
    assert!(out.status.success());
    let started: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &Value| v["action"] == "started")
        .collect();
    assert_eq!(started.len(), 1, "{}", stdout(&out));
    let full_b = repo.full_id(&b);
    assert_eq!(started[0]["issue"].as_str(), Some(full_b.as_str()));
    let log = std::fs::read_to_string(repo.path().join("agent.log")).unwrap();
    assert_eq!(log.trim(), format!("agent:bot {full_b}"));
    assert_eq!(repo.show(&b)["assignee"], "agent:bot");
}
