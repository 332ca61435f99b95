//! The jit benchmark: generates N-issue stores with a realistic mix of dependencies, states,
//! gates and text, then times the commands agents call in a loop against the cost of merely
//! reading every issue file (`find .jit/issues -name '*.json' -print0 | xargs -0 cat`).
//!
//!   cargo run --release --example bench -- --sizes 1000,10000,100000 --runs 7
//!
//! Prints median wall times, the raw-read baseline, the ratios the targets are stated in, and
//! peak memory (via /usr/bin/time when present). Timings are for this machine only; the ratios
//! are what docs/performance.md compares.

use jit::model::{Actor, GateState, GateStatus, Issue, IssueId, Lease, Priority, State, Timestamp};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const WORDS: &[&str] = &[
    "store", "lock", "agent", "claim", "gate", "review", "index", "cache", "query", "render",
    "merge", "sync", "event", "parser", "schema", "roadmap", "export", "retry", "lease", "graph",
];

fn text(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Writes a store of `n` issues into `dir` (a new git checkout). Returns the issue ids.
fn generate(dir: &Path, n: usize, seed: u64) -> Vec<IssueId> {
    std::fs::create_dir_all(dir).expect("create bench dir");
    let ok = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .status()
        .map(|s| s.success());
    assert!(
        matches!(ok, Ok(true)),
        "git init failed in {}",
        dir.display()
    );
    jit::store::Store::init(dir, Some("bench".into())).expect("jit init");
    let gates = r#"{
  "review": {"key": "review", "title": "Code review", "auto": false, "stage": "postcheck"},
  "tests": {"key": "tests", "title": "Tests", "auto": true, "stage": "postcheck", "checker": {"command": "true", "timeout_secs": 60}}
}
"#;
    std::fs::write(dir.join(".jit/gates.json"), gates).expect("gates");
    let mut rng = Rng(seed);
    let base_ms: u64 = 1_750_000_000_000;
    let now = Timestamp::from_millis(base_ms as i64 + n as i64 * 60_000);
    let mut ids: Vec<IssueId> = Vec::with_capacity(n);
    let mut states: Vec<State> = Vec::with_capacity(n);
    let mut events = String::new();
    let agent = Actor::parse("agent:bench-1").expect("actor");
    for i in 0..n {
        let ms = base_ms + i as u64 * 60_000;
        let id = IssueId::from_ulid(ulid::Ulid::from_parts(
            ms,
            u128::from(rng.next()) << 16 | i as u128,
        ));
        let created = Timestamp::from_millis(ms as i64);
        let mut issue = Issue::new(id.clone(), format!("{} {}", text(&mut rng, 3), i), created);
        let words = 40 + rng.below(80) as usize;
        let body = text(&mut rng, words);
        let (c1, c2) = (text(&mut rng, 4), text(&mut rng, 4));
        issue.description = format!("{body}\n\n- [ ] {c1}\n- [ ] {c2}\n");
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
        let mut dep_idx = Vec::new();
        // Work comes in epics of 25 issues; dependencies stay inside an epic, as in a real backlog.
        let in_epic = i % 25;
        if in_epic > 0 {
            for _ in 0..rng.below(3) {
                let back = 1 + rng.below(in_epic as u64);
                dep_idx.push(i - back as usize);
                issue.dependencies.push(ids[i - back as usize].clone());
            }
        }
        if rng.below(5) == 0 {
            issue.gates_required = vec!["review".into(), "tests".into()];
            for g in &issue.gates_required {
                issue.gates_status.insert(g.clone(), GateStatus::pending());
            }
        }
        issue.normalize();
        let deps_done = dep_idx.iter().all(|&k| states[k] == State::Done);
        let roll = rng.below(100);
        issue.state = if !deps_done {
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
                expires_at: Some(now.plus(Duration::from_secs(86_400 * 365))),
                ttl_secs: Some(3600),
            });
        }
        issue.updated_at = created;
        let path = dir.join(".jit/issues").join(format!("{id}.json"));
        std::fs::write(&path, issue.to_file_bytes().expect("serialize")).expect("write issue");
        // A checked-out repository's files are old; only what a command changes is new.
        let an_hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(an_hour_ago))
            .expect("set mtime");
        events.push_str(&format!(
            "{{\"id\":\"{}\",\"ts\":\"{created}\",\"type\":\"issue.created\",\"issue\":\"{id}\",\"actor\":\"human:bench\"}}\n",
            ulid::Ulid::from_parts(ms, u128::from(rng.next()))
        ));
        states.push(issue.state);
        ids.push(id);
    }
    std::fs::write(dir.join(".jit/events.jsonl"), events).expect("events");
    ids
}

fn run(jit: &Path, dir: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(jit)
        .args(args)
        .current_dir(dir)
        .env("JIT_ACTOR", "human:bench")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .expect("run jit");
    let took = start.elapsed();
    assert!(
        matches!(out.status.code(), Some(0) | Some(8)),
        "jit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn raw_read(dir: &Path) -> Duration {
    let start = Instant::now();
    let st = Command::new("sh")
        .arg("-c")
        .arg("find .jit/issues -name '*.json' -print0 | xargs -0 cat >/dev/null")
        .current_dir(dir)
        .status()
        .expect("sh");
    assert!(st.success());
    start.elapsed()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn peak_kib(jit: &Path, dir: &Path, args: &[&str]) -> Option<u64> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let out = Command::new("/usr/bin/time")
        .arg("-f")
        .arg("%M")
        .arg(jit)
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

struct Row {
    name: String,
    time: Duration,
}

fn main() {
    let mut sizes = vec![1000usize, 10_000];
    let mut runs = 5usize;
    let mut jit: Option<PathBuf> = None;
    let mut keep: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--sizes" => {
                sizes = args
                    .next()
                    .unwrap_or_default()
                    .split(',')
                    .filter_map(|s| s.trim().parse().ok())
                    .collect()
            }
            "--runs" => runs = args.next().and_then(|s| s.parse().ok()).unwrap_or(5).max(1),
            "--jit" => jit = args.next().map(PathBuf::from),
            "--keep" => keep = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("usage: bench [--sizes 1000,10000] [--runs 5] [--jit PATH] [--keep DIR]");
                return;
            }
            other => {
                eprintln!("bench: unknown argument `{other}`");
                std::process::exit(2);
            }
        }
    }
    let jit = jit.unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current exe");
        exe.parent()
            .and_then(Path::parent)
            .map(|d| d.join("jit"))
            .expect("target dir")
    });
    assert!(
        jit.is_file(),
        "no jit binary at {} (build it: cargo build --release)",
        jit.display()
    );
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    println!(
        "jit benchmark: {} ({} runs each, median)\n",
        jit.display(),
        runs
    );
    let mut per_issue_base: Vec<(String, Duration)> = Vec::new();
    for (si, &n) in sizes.iter().enumerate() {
        let dir = root.join(format!("store-{n}"));
        let t = Instant::now();
        let ids = generate(&dir, n, 42 + n as u64);
        println!(
            "## {n} issues (generated in {:.1} s)\n",
            t.elapsed().as_secs_f64()
        );
        // Let the kernel write the generated files back first: otherwise the writeback runs
        // under the timings (it made single-issue commands look slower at 100,000 issues).
        let _ = Command::new("sync").status();
        // Warm the page cache the same way for everyone.
        raw_read(&dir);
        run(&jit, &dir, &["issue", "list", "--json"]);
        let raw = median((0..runs).map(|_| raw_read(&dir)).collect());
        let show_id = ids[n / 2].short();
        // Agents use the full `id` from the JSON they read; people type short ids.
        let ready: Vec<String> = {
            let out = Command::new(&jit)
                .args(["query", "ready", "--json", "--limit", "1000"])
                .current_dir(&dir)
                .output()
                .expect("ready");
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ready json");
            v["issues"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|i| i["short_id"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut rows = vec![Row {
            name: "raw read (find + xargs cat)".into(),
            time: raw,
        }];
        let mut time = |name: &str, f: &mut dyn FnMut(usize) -> Duration| {
            // Nothing an earlier command left unwritten may be flushed under this one's timing,
            // and one untimed run first, so no command pays for being the first to touch a file.
            let _ = Command::new("sync").status();
            f(runs);
            let t = median((0..runs).map(&mut *f).collect());
            rows.push(Row {
                name: name.into(),
                time: t,
            });
        };
        time("query ready --json", &mut |_| {
            run(&jit, &dir, &["query", "ready", "--json"])
        });
        time("issue list --json", &mut |_| {
            run(&jit, &dir, &["issue", "list", "--json"])
        });
        time("validate --json", &mut |_| {
            run(&jit, &dir, &["validate", "--json"])
        });
        // An agent loop: something changed since the last query (the summary index re-reads
        // that file and is rewritten). Only the query is timed.
        time("query ready --json after an update", &mut |r| {
            run(
                &jit,
                &dir,
                &["issue", "update", &show_id, "--title", &format!("loop {r}")],
            );
            run(&jit, &dir, &["query", "ready", "--json"])
        });
        time("issue show", &mut |_| {
            run(&jit, &dir, &["issue", "show", &show_id, "--json"])
        });
        // People: `issue show` finds a parent's sub-tasks through the summary index (a statx of
        // every file); `--json` above does not.
        time("issue show (for people)", &mut |_| {
            run(&jit, &dir, &["issue", "show", &show_id])
        });
        // People: the open-work table in a pipe (every issue read, nothing cut).
        time("issue list (table)", &mut |_| {
            run(&jit, &dir, &["issue", "list"])
        });
        // A TAB after `jit issue show `: the completion engine lists every issue with its title.
        time("complete issue ids", &mut |_| {
            let start = Instant::now();
            let out = Command::new(&jit)
                .args(["--", "jit", "issue", "show", ""])
                .env("COMPLETE", "fish")
                .current_dir(&dir)
                .stdout(Stdio::null())
                .output()
                .expect("complete");
            assert!(out.status.success(), "completion failed");
            start.elapsed()
        });
        time("issue create", &mut |_| {
            run(
                &jit,
                &dir,
                &["issue", "create", "--title", "bench", "--json"],
            )
        });
        time("issue update", &mut |r| {
            run(
                &jit,
                &dir,
                &[
                    "issue",
                    "update",
                    &show_id,
                    "--title",
                    &format!("renamed {r}"),
                    "--json",
                ],
            )
        });
        time("issue claim", &mut |r| {
            let id = ready.get(r).cloned().unwrap_or_else(|| show_id.clone());
            run(
                &jit,
                &dir,
                &[
                    "issue",
                    "claim",
                    &id,
                    "--to",
                    &format!("agent:b{r}"),
                    "--json",
                ],
            )
        });
        let newest: Vec<String> = {
            let out = Command::new(&jit)
                .args(["issue", "list", "--json", "--filter", "title:bench"])
                .current_dir(&dir)
                .output()
                .expect("list");
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            v["issues"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|i| i["short_id"].as_str().map(String::from))
                        .collect()
                })
                .unwrap_or_default()
        };
        time("dep add", &mut |r| {
            let from = newest
                .get(r % newest.len().max(1))
                .cloned()
                .unwrap_or_else(|| show_id.clone());
            let on = ids[(r * 7919) % n].to_string();
            run(&jit, &dir, &["dep", "add", &from, "--on", &on, "--json"])
        });
        let mem = peak_kib(&jit, &dir, &["query", "ready", "--json"]);
        println!(
            "| command | median ms | vs raw read | vs {} issues |",
            sizes[0]
        );
        println!("|---|---:|---:|---:|");
        for r in &rows {
            let vs_raw = r.time.as_secs_f64() / raw.as_secs_f64();
            let base = per_issue_base
                .iter()
                .find(|(k, _)| k == &r.name)
                .map(|(_, d)| *d);
            let vs_small = match base {
                Some(b) if si > 0 => format!("{:.2}x", r.time.as_secs_f64() / b.as_secs_f64()),
                _ => "—".into(),
            };
            println!(
                "| {} | {} | {:.2}x | {vs_small} |",
                r.name,
                ms(r.time),
                vs_raw
            );
            if si == 0 {
                per_issue_base.push((r.name.clone(), r.time));
            }
        }
        match mem {
            Some(k) => println!(
                "\npeak memory of `query ready --json`: {:.1} MiB\n",
                k as f64 / 1024.0
            ),
            None => println!("\npeak memory: /usr/bin/time not found\n"),
        }
    }
}
