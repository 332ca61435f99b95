//! The `jit serve` benchmark: generates an N-issue store (epics of 25 with dependencies inside,
//! about half done, leases, gates, 300–800 bytes of description), starts `jit serve` on it,
//! times the API the page loads from, writes the static export, and then (with node and
//! tests/browser/node_modules) has headless chromium load the list view, search it, and wait for
//! an event from a terminal's `jit issue create` (tests/browser/bench.mjs).
//!
//!   cargo build --release && cargo run --release --example bench_serve -- --issues 10000 --runs 5
//!
//! Prints medians. Timings are for this machine; docs/performance.md records them.

mod common;
use common::{Rng, WORDS, median};

use jit::model::{Actor, GateState, GateStatus, Issue, IssueId, Lease, Priority, State, Timestamp};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn words(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes an `n`-issue store into `dir` (a new git checkout).
fn generate(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).expect("bench dir");
    let ok = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "git init failed in {}", dir.display());
    jit::store::Store::init(dir, Some("bench".into())).expect("jit init");
    std::fs::write(
        dir.join(".jit/gates.json"),
        r#"{
  "review": {"key": "review", "title": "Code review", "auto": false, "stage": "postcheck"},
  "tests": {"key": "tests", "title": "Tests", "auto": true, "stage": "postcheck"}
}
"#,
    )
    .expect("gates");
    let mut rng = Rng(7);
    let base: u64 = 1_750_000_000_000;
    let agent = Actor::parse("agent:bench-1").expect("actor");
    let mut ids: Vec<IssueId> = Vec::with_capacity(n);
    let mut states: Vec<State> = Vec::with_capacity(n);
    let mut events = String::new();
    for i in 0..n {
        let ms = base + i as u64 * 60_000;
        let id = IssueId::from_ulid(ulid::Ulid::from_parts(
            ms,
            u128::from(rng.next()) << 16 | i as u128,
        ));
        let created = Timestamp::from_millis(ms as i64);
        let mut issue = Issue::new(id.clone(), format!("{} {i}", words(&mut rng, 3)), created);
        let len = 40 + rng.below(80) as usize;
        let body = words(&mut rng, len);
        issue.description = format!("{body}\n\n- [ ] {}\n", words(&mut rng, 4));
        issue.priority = [
            Priority::Low,
            Priority::Normal,
            Priority::Normal,
            Priority::High,
            Priority::Critical,
        ][rng.below(5) as usize];
        issue.kind = ["task", "bug", "feature", "chore"][rng.below(4) as usize].into();
        issue.labels = (0..rng.below(3))
            .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize].to_string())
            .collect();
        issue.milestone = Some(format!("Phase {}", 1 + i * 5 / n.max(1)));
        let mut deps = Vec::new();
        if i % 25 > 0 {
            for _ in 0..rng.below(3) {
                let k = i - 1 - rng.below((i % 25) as u64) as usize;
                deps.push(k);
                issue.dependencies.push(ids[k].clone());
            }
        }
        if rng.below(5) == 0 {
            issue.gates_required = vec!["review".into(), "tests".into()];
            for g in &issue.gates_required {
                issue.gates_status.insert(g.clone(), GateStatus::pending());
            }
        }
        issue.normalize();
        let roll = rng.below(100);
        issue.state = if !deps.iter().all(|&k| states[k] == State::Done) {
            State::Backlog
        } else if roll < 55 && i < n * 8 / 10 {
            State::Done
        } else if roll < 65 {
            State::InProgress
        } else {
            State::Ready
        };
        if issue.state == State::Done {
            for s in issue.gates_status.values_mut() {
                s.status = GateState::Passed;
            }
        }
        if issue.state == State::InProgress {
            issue.assignee = Some(agent.to_string());
            issue.lease = Some(Lease {
                holder: agent.to_string(),
                acquired_at: created,
                expires_at: Some(created.plus(Duration::from_secs(86_400 * 3650))),
                ttl_secs: Some(3600),
            });
        }
        let path = dir.join(".jit/issues").join(format!("{id}.json"));
        std::fs::write(&path, issue.to_file_bytes().expect("serialize")).expect("issue");
        events.push_str(&format!(
            "{{\"id\":\"{}\",\"ts\":\"{created}\",\"type\":\"issue.created\",\"issue\":\"{id}\",\"actor\":\"human:bench\"}}\n",
            ulid::Ulid::from_parts(ms, u128::from(rng.next()))
        ));
        states.push(issue.state);
        ids.push(id);
    }
    std::fs::write(dir.join(".jit/events.jsonl"), events).expect("events");
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let (mut n, mut runs, mut jit, mut keep) =
        (10_000usize, 5usize, None::<PathBuf>, None::<PathBuf>);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--issues" => n = args.next().and_then(|s| s.parse().ok()).unwrap_or(n),
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(runs)
                    .max(1)
            }
            "--jit" => jit = args.next().map(PathBuf::from),
            "--keep" => keep = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!(
                    "usage: bench_serve [--issues 10000] [--runs 5] [--jit PATH] [--keep DIR]"
                );
                return;
            }
            other => {
                eprintln!("bench_serve: unknown argument `{other}`");
                std::process::exit(2);
            }
        }
    }
    let jit = common::jit_binary(jit);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = keep.clone().unwrap_or_else(|| tmp.path().join("store"));
    let t = Instant::now();
    generate(&dir, n);
    println!(
        "# jit serve at {n} issues ({} to generate)\n",
        ms(t.elapsed())
    );

    /// Stops the server however `main` ends (a failed step panics).
    struct Reap(std::process::Child);
    impl Drop for Reap {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut child = Reap(
        Command::new(&jit)
            .args(["serve", "--json", "--port", "0"])
            .current_dir(&dir)
            .env("JIT_ACTOR", "human:bench")
            .stdout(Stdio::piped())
            .spawn()
            .expect("jit serve"),
    );
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("startup line");
    let started: serde_json::Value = serde_json::from_str(&line).expect("startup JSON");
    let base = started["url"]
        .as_str()
        .expect("url")
        .split("/?")
        .next()
        .unwrap()
        .to_string();
    let agent: ureq::Agent = ureq::Agent::config_builder().build().into();
    let time_get = |path: &str| -> (Duration, usize) {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..runs.max(3) {
            let t = Instant::now();
            let body = agent
                .get(format!("{base}{path}"))
                .call()
                .expect("GET")
                .body_mut()
                .with_config()
                .limit(1 << 30)
                .read_to_vec()
                .expect("body");
            times.push(t.elapsed());
            size = body.len();
        }
        (median(times), size)
    };
    println!("| request | median ms | bytes |\n|---|---:|---:|");
    for path in [
        "/api/site",
        "/api/issues?limit=50",
        "/api/issues?filter=label%3Acache%20-type%3Abug",
    ] {
        let (d, size) = time_get(path);
        println!("| GET {path} | {} | {size} |", ms(d));
    }
    let t = Instant::now();
    let out = Command::new(&jit)
        .args(["export", "web", "--out", "site"])
        .current_dir(&dir)
        .output()
        .expect("export web");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let index = dir.join("site/index.html");
    println!(
        "| jit export web | {} | {} (index.html) |\n",
        ms(t.elapsed()),
        std::fs::metadata(&index).map(|m| m.len()).unwrap_or(0)
    );

    let browser_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    if Path::new("/usr/bin/chromium").exists()
        && browser_dir.join("node_modules/playwright-core").is_dir()
    {
        let out = Command::new("node")
            .arg(browser_dir.join("bench.mjs"))
            .args(["--base", &base, "--dir"])
            .arg(&dir)
            .arg("--static")
            .arg(&index)
            .args(["--runs", &runs.to_string()])
            .env("JIT_BIN", &jit)
            .output()
            .expect("node runs");
        assert!(
            out.status.success(),
            "bench.mjs failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("bench.mjs JSON");
        let f = |x: &serde_json::Value| {
            x.as_f64()
                .map(|m| format!("{m:.0}"))
                .unwrap_or_else(|| "-".into())
        };
        println!(
            "| in chromium (median of {runs}) | live console | static export |\n|---|---:|---:|"
        );
        for (label, key) in [
            ("first contentful paint, ms", "first_contentful_paint_ms"),
            (
                "list drawn (interactive), ms from navigation",
                "list_drawn_ms",
            ),
            ("page load, wall ms", "load_wall_ms"),
            ("search over every issue, ms", "search_ms"),
        ] {
            println!(
                "| {label} | {} | {} |",
                f(&v["live"][key]),
                f(&v["static"][key])
            );
        }
        println!(
            "\nlist rows drawn: {} (the list draws only the rows near the screen)\nevent from `jit issue create` to the page: median {} ms, max {} ms",
            v["rows_drawn"],
            f(&v["event_to_page_ms"]["median"]),
            f(&v["event_to_page_ms"]["max"])
        );
    } else {
        println!(
            "(browser timings skipped: needs /usr/bin/chromium and `npm ci` in tests/browser)"
        );
    }
    drop(child);
}
