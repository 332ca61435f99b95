//! The event-log benchmark: a store whose `events.jsonl` holds hundreds of megabytes (a long
//! life of many agents: updates, state changes, gate results, comments), then the commands that
//! read the log, each timed and its peak memory measured: `events tail --limit 2`, `events
//! query` (with a limit, and for one issue), `validate`, `metrics`, a `jit sync` with nothing
//! to exchange, and an `issue update` (which appends to the big log).
//!
//!   cargo build --release && cargo run --release --example bench_events -- --mb 300 --runs 3
//!
//! `--jit PATH` times another build (for a before/after comparison); `--keep DIR` leaves the
//! store there. Peak memory is the maximum resident set size of the command as `/usr/bin/time`
//! reports it (when present). Timings are for this machine only; docs/performance.md keeps the
//! measured numbers. No test asserts them.

mod common;
use common::{Rng, WORDS, median};

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn text(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

fn run(jit: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(jit)
        .args(args)
        .current_dir(dir)
        .env("JIT_ACTOR", "agent:bench")
        .env_remove("JIT_NOW")
        .output()
        .expect("jit runs");
    assert!(
        out.status.success(),
        "jit {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("git runs")
        .success();
    assert!(ok, "git {args:?} failed");
}

/// Makes the store: `issues` real issues, then appends synthetic events for them until the log
/// holds `mb` megabytes. Returns the issues' ids.
fn make_store(jit: &Path, root: &Path, mb: u64, issues: usize) -> Vec<String> {
    std::fs::create_dir_all(root).unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    git(root, &["config", "user.name", "bench"]);
    git(root, &["config", "user.email", "bench@example.com"]);
    run(jit, root, &["init"]);
    let mut ids = Vec::new();
    for k in 0..issues {
        let out = run(
            jit,
            root,
            &["issue", "create", "--title", &format!("Task {k}"), "--json"],
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let path = root.join(".jit/events.jsonl");
    let mut f = std::io::BufWriter::new(
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap(),
    );
    let mut rng = Rng(0xE7E7);
    // A year ago, one event every 50 ms or so: ULIDs and times in order.
    let mut ms: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        - 365 * 86_400_000;
    let mut written = std::fs::metadata(&path).unwrap().len();
    let target = mb * 1024 * 1024;
    let states = ["backlog", "ready", "in_progress", "gated", "done"];
    while written < target {
        ms += 1 + rng.below(100);
        let id = ulid::Ulid::from_parts(ms, u128::from(rng.next())).to_string();
        let ts = chrono::DateTime::from_timestamp_millis(ms as i64)
            .unwrap()
            .format("%Y-%m-%dT%H:%M:%S%.3fZ")
            .to_string();
        let issue = &ids[rng.below(ids.len() as u64) as usize];
        let actor = format!("agent:a{}", rng.below(16));
        let line = match rng.below(10) {
            0..=4 => {
                let (b, a) = (text(&mut rng, 8), text(&mut rng, 8));
                format!(
                    r#"{{"id":"{id}","ts":"{ts}","type":"issue.updated","issue":"{issue}","actor":"{actor}","changes":[{{"field":"description","before":"{b}","after":"{a}"}}]}}"#
                )
            }
            5..=6 => {
                let (b, a) = (states[rng.below(5) as usize], states[rng.below(5) as usize]);
                format!(
                    r#"{{"id":"{id}","ts":"{ts}","type":"issue.state_changed","issue":"{issue}","actor":"{actor}","changes":[{{"field":"state","before":"{b}","after":"{a}"}}]}}"#
                )
            }
            7 => {
                let kind = if rng.below(3) == 0 {
                    "gate.failed"
                } else {
                    "gate.passed"
                };
                let out = text(&mut rng, 30);
                format!(
                    r#"{{"id":"{id}","ts":"{ts}","type":"{kind}","issue":"{issue}","actor":"ci:bench","data":{{"gate":"tests","exit_code":1,"output":"{out}"}}}}"#
                )
            }
            _ => {
                let body = text(&mut rng, 40);
                format!(
                    r#"{{"id":"{id}","ts":"{ts}","type":"comment.added","issue":"{issue}","actor":"{actor}","data":{{"body":"{body}"}}}}"#
                )
            }
        };
        f.write_all(line.as_bytes()).unwrap();
        f.write_all(b"\n").unwrap();
        written += line.len() as u64 + 1;
    }
    f.flush().unwrap();
    drop(f);
    // A remote, and the store pushed once, so that the timed sync has nothing to exchange.
    let remote = root.with_extension("remote.git");
    git(
        root.parent().unwrap(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    git(root, &["remote", "add", "origin", remote.to_str().unwrap()]);
    run(jit, root, &["sync"]);
    ids
}

fn main() {
    let mut mb = 300u64;
    let mut runs = 3usize;
    let mut jit: Option<PathBuf> = None;
    let mut keep: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--mb" => mb = args.next().and_then(|s| s.parse().ok()).unwrap_or(mb),
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(runs)
                    .max(1)
            }
            "--jit" => jit = args.next().map(PathBuf::from),
            "--keep" => keep = args.next().map(PathBuf::from),
            _ => {
                println!("usage: bench_events [--mb 300] [--runs 3] [--jit PATH] [--keep DIR]");
                return;
            }
        }
    }
    let jit = common::jit_binary(jit);
    let tmp = tempfile::tempdir().unwrap();
    let root = keep.unwrap_or_else(|| tmp.path().join("store"));
    let t = Instant::now();
    let ids = make_store(&jit, &root, mb, 200);
    let size = std::fs::metadata(root.join(".jit/events.jsonl"))
        .unwrap()
        .len();
    println!(
        "jit event-log benchmark: {} ({} runs each, median)\n\nevents.jsonl: {:.0} MiB, {} issues (generated in {:.1} s)\n",
        jit.display(),
        runs,
        size as f64 / 1048576.0,
        ids.len(),
        t.elapsed().as_secs_f64()
    );
    println!("| command | median ms | peak memory MiB |\n|---|---:|---:|");
    let issue = ids[7].clone();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "events tail --limit 2",
            vec!["events", "tail", "--limit", "2", "--json"],
        ),
        (
            "events query --event gate.failed --limit 10",
            vec![
                "events",
                "query",
                "--event",
                "gate.failed",
                "--limit",
                "10",
                "--json",
            ],
        ),
        (
            "events query --issue ID --limit 20",
            vec![
                "events", "query", "--issue", &issue, "--limit", "20", "--json",
            ],
        ),
        ("validate", vec!["validate", "--json"]),
        ("metrics", vec!["metrics", "--json"]),
        ("sync (nothing to exchange)", vec!["sync", "--json"]),
        (
            "issue update (append to the log)",
            vec!["issue", "update", &issue, "--title", "bench", "--json"],
        ),
    ]
    .into_iter()
    .map(|(n, a)| (n, a.into_iter().map(String::from).collect()))
    .collect();
    for (name, args) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run(&jit, &root, &args); // warm
        let times: Vec<Duration> = (0..runs)
            .map(|r| {
                // Each update changes the title, so each appends an event.
                let title = format!("bench {r}");
                let a: Vec<&str> = args
                    .iter()
                    .enumerate()
                    .map(|(k, x)| {
                        if args[0] == "issue" && k == 4 {
                            title.as_str()
                        } else {
                            x
                        }
                    })
                    .collect();
                let t = Instant::now();
                run(&jit, &root, &a);
                t.elapsed()
            })
            .collect();
        let peak = common::peak_kib(&jit, &root, &args, Some("agent:bench"))
            .map(|k| format!("{:.1}", k as f64 / 1024.0))
            .unwrap_or_else(|| "?".into());
        println!(
            "| {name} | {:.1} | {peak} |",
            median(times).as_secs_f64() * 1000.0
        );
    }
}
