//! The jit benchmark: generates N-issue stores with a realistic mix of dependencies, states,
//! gates and text, then times the commands agents call in a loop against the cost of merely
//! reading every issue file (`find .jit/issues -name '*.json' -print0 | xargs -0 cat`).
//!
//!   cargo run --release --example bench -- --sizes 100,10000,100000 --runs 7
//!
//! Prints median wall times, the raw-read baseline, the ratios the targets are stated in, peak
//! memory of the read commands (via /usr/bin/time when present), the bytes per issue of the
//! list replies and the disk `.jit/cache` takes, and, for the largest size, each target of
//! docs/performance.md with whether it is met. Timings are for this machine only; the ratios
//! are what docs/performance.md compares.

mod common;
use common::{Rng, WORDS, median};

use jit::model::{Actor, GateState, GateStatus, Issue, IssueId, Lease, Priority, State, Timestamp};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

struct Row {
    name: String,
    time: Duration,
}

/// The bytes of a command's stdout and the number of issues in it.
fn reply_size(jit: &Path, dir: &Path, args: &[&str]) -> (usize, usize) {
    let out = Command::new(jit)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run jit");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("reply is JSON");
    let n = v["issues"].as_array().map_or(0, Vec::len);
    (out.stdout.len(), n)
}

/// Bytes a directory tree takes on disk (allocated blocks) and its files' apparent size.
fn du(dir: &Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let (mut disk, mut apparent) = (0u64, 0u64);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let Ok(m) = e.metadata() else { continue };
            if m.is_dir() {
                stack.push(e.path());
            } else {
                disk += m.blocks() * 512;
                apparent += m.len();
            }
        }
    }
    (disk, apparent)
}

/// The targets of docs/performance.md, computed from this run at its largest size.
#[allow(clippy::too_many_arguments)]
fn targets(
    rows: &[Row],
    base: &[(String, Duration)],
    raw: Duration,
    mems: &[(String, Option<u64>)],
    sizes: &[(String, usize, usize)],
    cache: (u64, u64),
    issue_files: (u64, u64),
    n: usize,
) {
    let t = |name: &str| rows.iter().find(|r| r.name == name).map(|r| r.time);
    let vs_raw = |name: &str| t(name).map_or(f64::NAN, |x| x.as_secs_f64() / raw.as_secs_f64());
    let vs_base = |name: &str| {
        let b = base.iter().find(|(k, _)| k == name).map(|(_, d)| *d);
        match (t(name), b) {
            (Some(x), Some(b)) => x.as_secs_f64() / b.as_secs_f64(),
            _ => f64::NAN,
        }
    };
    let mark = |ok: bool| if ok { "met" } else { "NOT met" };
    println!("## Targets at {n} issues\n\n| target | measured | |\n|---|---|---|");
    for (name, limit) in [
        ("query ready --limit 20 --json", 0.1),
        ("issue list --limit 20 --json", 0.1),
        ("issue claim-next --json", 0.1),
        ("query ready --json", 0.25),
    ] {
        let r = vs_raw(name);
        println!(
            "| `{name}` <= {limit}x raw read | {r:.3}x ({} vs {} ms) | {} |",
            t(name).map_or("?".into(), ms),
            ms(raw),
            mark(r <= limit)
        );
    }
    for name in [
        "issue create",
        "issue show",
        "issue update",
        "issue claim",
        "dep add",
    ] {
        let r = vs_base(name);
        println!(
            "| `{name}` <= 1.2x its cost at the smallest size | {r:.2}x | {} |",
            mark(r <= 1.2)
        );
    }
    for (name, bytes, issues) in sizes.iter().filter(|(n, ..)| !n.contains("--full")) {
        let per = *bytes as f64 / (*issues).max(1) as f64;
        println!(
            "| bytes per issue of `{name}` <= 250 | {per:.0} | {} |",
            mark(per <= 250.0)
        );
    }
    let worst = mems
        .iter()
        .filter_map(|(name, k)| k.map(|k| (name, k)))
        .max_by_key(|(_, k)| *k);
    if let Some((name, k)) = worst {
        let mib = k as f64 / 1024.0;
        println!(
            "| peak memory of every read command < 64 MiB | {mib:.1} MiB (the most: `{name}`) | {} |",
            mark(mib < 64.0)
        );
    }
    let ratio = cache.0 as f64 / issue_files.1.max(1) as f64;
    println!(
        "| `.jit/cache` on disk <= 2x the issue files' size | {ratio:.2}x ({} vs {} bytes) | {} |\n",
        cache.0,
        issue_files.1,
        mark(ratio <= 2.0)
    );
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
    let jit = common::jit_binary(jit);
    let tmp = tempfile::tempdir().expect("temp dir");
    let root = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
    println!(
        "jit benchmark: {} ({} runs each, median)\n",
        jit.display(),
        runs
    );
    // Every store is generated first; then each command is timed on every store in turn, run
    // by run, so that a change in the machine's load (other work on shared cores, the disk)
    // falls on every size alike and the ratios between sizes stay fair.
    let mut stores: Vec<Bench> = Vec::new();
    for &n in &sizes {
        let dir = root.join(format!("store-{n}"));
        let t = Instant::now();
        let ids = generate(&dir, n, 42 + n as u64);
        eprintln!("generated {n} issues in {:.1} s", t.elapsed().as_secs_f64());
        stores.push(Bench {
            n,
            dir,
            show_id: ids[n / 2].short(),
            ids,
            ready: Vec::new(),
            newest: Vec::new(),
            rows: Vec::new(),
            raw: Duration::ZERO,
        });
    }
    // Let the kernel write the generated files back first: otherwise the writeback runs under
    // the timings (it made single-issue commands look slower at 100,000 issues).
    let _ = Command::new("sync").status();
    for b in &mut stores {
        // Warm the page cache the same way for everyone.
        raw_read(&b.dir);
        run(&jit, &b.dir, &["issue", "list", "--json"]);
        // Agents use the full `id` from the JSON they read; people type short ids.
        b.ready = short_ids_of(
            &jit,
            &b.dir,
            &["query", "ready", "--json", "--limit", "1000"],
        );
    }
    let mut raws: Vec<Vec<Duration>> = vec![Vec::new(); stores.len()];
    for _ in 0..runs {
        for (k, b) in stores.iter().enumerate() {
            raws[k].push(raw_read(&b.dir));
        }
    }
    for (b, r) in stores.iter_mut().zip(raws) {
        b.raw = median(r);
        b.rows.push(Row {
            name: "raw read (find + xargs cat)".into(),
            time: b.raw,
        });
    }
    type Step = dyn Fn(&Path, &Bench, usize) -> Duration;
    let steps: Vec<(&str, Box<Step>)> = vec![
        (
            "query ready --limit 20 --json",
            Box::new(|jit: &Path, b: &Bench, _| {
                run(jit, &b.dir, &["query", "ready", "--limit", "20", "--json"])
            }),
        ),
        (
            "issue list --limit 20 --json",
            Box::new(|jit: &Path, b: &Bench, _| {
                run(jit, &b.dir, &["issue", "list", "--limit", "20", "--json"])
            }),
        ),
        (
            "issue list --limit 20 --filter state:ready --json",
            Box::new(|jit: &Path, b: &Bench, _| {
                run(
                    jit,
                    &b.dir,
                    &[
                        "issue",
                        "list",
                        "--limit",
                        "20",
                        "--filter",
                        "state:ready",
                        "--json",
                    ],
                )
            }),
        ),
        (
            "issue claim-next --json",
            Box::new(|jit: &Path, b: &Bench, r| {
                run(
                    jit,
                    &b.dir,
                    &[
                        "issue",
                        "claim-next",
                        "--to",
                        &format!("agent:n{r}"),
                        "--json",
                    ],
                )
            }),
        ),
        (
            "query ready --json",
            Box::new(|jit: &Path, b: &Bench, _| run(jit, &b.dir, &["query", "ready", "--json"])),
        ),
        (
            "query ready --json --full",
            Box::new(|jit: &Path, b: &Bench, _| {
                run(jit, &b.dir, &["query", "ready", "--json", "--full"])
            }),
        ),
        (
            "issue list --json",
            Box::new(|jit: &Path, b: &Bench, _| run(jit, &b.dir, &["issue", "list", "--json"])),
        ),
        (
            "issue list --json --full",
            Box::new(|jit: &Path, b: &Bench, _| {
                run(jit, &b.dir, &["issue", "list", "--json", "--full"])
            }),
        ),
        (
            "validate --json",
            Box::new(|jit: &Path, b: &Bench, _| run(jit, &b.dir, &["validate", "--json"])),
        ),
        // An agent loop: something changed since the last query (the summary index re-reads
        // that file). Only the query is timed.
        (
            "query ready --limit 20 --json after an update",
            Box::new(|jit: &Path, b: &Bench, r| {
                run(
                    jit,
                    &b.dir,
                    &[
                        "issue",
                        "update",
                        &b.show_id,
                        "--title",
                        &format!("loop {r}"),
                    ],
                );
                run(jit, &b.dir, &["query", "ready", "--limit", "20", "--json"])
            }),
        ),
        (
            "issue show",
            Box::new(|jit: &Path, b: &Bench, _| {
                run(jit, &b.dir, &["issue", "show", &b.show_id, "--json"])
            }),
        ),
        // People: `issue show` finds a parent's sub-tasks through the summary index (a statx of
        // every file); `--json` above does not.
        (
            "issue show (for people)",
            Box::new(|jit: &Path, b: &Bench, _| run(jit, &b.dir, &["issue", "show", &b.show_id])),
        ),
        // People: the open-work table in a pipe (from the summary index, nothing cut).
        (
            "issue list (table)",
            Box::new(|jit: &Path, b: &Bench, _| run(jit, &b.dir, &["issue", "list"])),
        ),
        // A TAB after `jit issue show `: the completion engine lists every issue with its title.
        (
            "complete issue ids",
            Box::new(|jit: &Path, b: &Bench, _| {
                let start = Instant::now();
                let out = Command::new(jit)
                    .args(["--", "jit", "issue", "show", ""])
                    .env("COMPLETE", "fish")
                    .current_dir(&b.dir)
                    .stdout(Stdio::null())
                    .output()
                    .expect("complete");
                assert!(out.status.success(), "completion failed");
                start.elapsed()
            }),
        ),
        (
            "issue create",
            Box::new(|jit: &Path, b: &Bench, _| {
                run(
                    jit,
                    &b.dir,
                    &["issue", "create", "--title", "bench", "--json"],
                )
            }),
        ),
        (
            "issue update",
            Box::new(|jit: &Path, b: &Bench, r| {
                run(
                    jit,
                    &b.dir,
                    &[
                        "issue",
                        "update",
                        &b.show_id,
                        "--title",
                        &format!("renamed {r}"),
                        "--json",
                    ],
                )
            }),
        ),
        (
            "issue claim",
            Box::new(|jit: &Path, b: &Bench, r| {
                // From the end of the ready list: `claim-next` took the best ones.
                let id = b
                    .ready
                    .len()
                    .checked_sub(r + 1)
                    .and_then(|k| b.ready.get(k))
                    .cloned()
                    .unwrap_or_else(|| b.show_id.clone());
                run(
                    jit,
                    &b.dir,
                    &[
                        "issue",
                        "claim",
                        &id,
                        "--to",
                        &format!("agent:b{r}"),
                        "--json",
                    ],
                )
            }),
        ),
        (
            "dep add",
            Box::new(|jit: &Path, b: &Bench, r| {
                let from = b
                    .newest
                    .get(r % b.newest.len().max(1))
                    .cloned()
                    .unwrap_or_else(|| b.show_id.clone());
                let on = b.ids[(r * 7919) % b.n].to_string();
                run(jit, &b.dir, &["dep", "add", &from, "--on", &on, "--json"])
            }),
        ),
    ];
    for (name, step) in &steps {
        if *name == "dep add" {
            for b in &mut stores {
                b.newest = short_ids_of(
                    &jit,
                    &b.dir,
                    &["issue", "list", "--json", "--filter", "title:bench"],
                );
            }
        }
        // Nothing an earlier command left unwritten may be flushed under this one's timing,
        // and one untimed run first, so no command pays for being the first to touch a file.
        let _ = Command::new("sync").status();
        for b in &stores {
            step(&jit, b, runs);
        }
        let mut times: Vec<Vec<Duration>> = vec![Vec::new(); stores.len()];
        for r in 0..runs {
            for (k, b) in stores.iter().enumerate() {
                times[k].push(step(&jit, b, r));
            }
        }
        for (b, t) in stores.iter_mut().zip(times) {
            b.rows.push(Row {
                name: name.to_string(),
                time: median(t),
            });
        }
    }
    let base: Vec<(String, Duration)> = stores[0]
        .rows
        .iter()
        .map(|r| (r.name.clone(), r.time))
        .collect();
    let last = stores.len() - 1;
    for (si, b) in stores.iter().enumerate() {
        let (n, dir, raw) = (b.n, &b.dir, b.raw);
        println!("## {n} issues\n");
        // Peak memory of the read commands, and the bytes of their replies.
        let reads: &[&[&str]] = &[
            &["query", "ready", "--json"],
            &["query", "ready", "--json", "--full"],
            &["query", "ready", "--limit", "20", "--json"],
            &["issue", "list", "--json"],
            &["issue", "list", "--json", "--full"],
            &["issue", "list", "--limit", "20", "--json"],
            &["issue", "show", &b.show_id, "--json"],
            &["validate", "--json"],
        ];
        let mems: Vec<(String, Option<u64>)> = reads
            .iter()
            .map(|a| (a.join(" "), common::peak_kib(&jit, dir, a, None)))
            .collect();
        let sizes_of: Vec<(String, usize, usize)> = [
            &["query", "ready", "--json"][..],
            &["query", "ready", "--json", "--full"],
            &["issue", "list", "--json"],
            &["issue", "list", "--json", "--full"],
        ]
        .iter()
        .map(|a| {
            let (bytes, issues) = reply_size(&jit, dir, a);
            (a.join(" "), bytes, issues)
        })
        .collect();
        let cache = du(&dir.join(".jit/cache"));
        let issue_files = du(&dir.join(".jit/issues"));
        println!(
            "| command | median ms | vs raw read | vs {} issues |",
            sizes[0]
        );
        println!("|---|---:|---:|---:|");
        for r in &b.rows {
            let vs_raw = r.time.as_secs_f64() / raw.as_secs_f64();
            let small = base.iter().find(|(k, _)| k == &r.name).map(|(_, d)| *d);
            let vs_small = match small {
                Some(x) if si > 0 => format!("{:.2}x", r.time.as_secs_f64() / x.as_secs_f64()),
                _ => "—".into(),
            };
            println!(
                "| {} | {} | {:.2}x | {vs_small} |",
                r.name,
                ms(r.time),
                vs_raw
            );
        }
        println!("\n| read command | peak memory |\n|---|---:|");
        for (name, k) in &mems {
            match k {
                Some(k) => println!("| {name} | {:.1} MiB |", *k as f64 / 1024.0),
                None => println!("| {name} | /usr/bin/time not found |"),
            }
        }
        println!("\n| reply | bytes | issues | bytes per issue |\n|---|---:|---:|---:|");
        for (name, bytes, issues) in &sizes_of {
            println!(
                "| {name} | {bytes} | {issues} | {:.0} |",
                *bytes as f64 / (*issues).max(1) as f64
            );
        }
        println!(
            "\n`.jit/cache`: {} bytes on disk ({} apparent); the issue files: {} bytes on disk ({} apparent); cache on disk / issue files' apparent size: {:.2}x\n",
            cache.0,
            cache.1,
            issue_files.0,
            issue_files.1,
            cache.0 as f64 / issue_files.1.max(1) as f64
        );
        if si == last && si > 0 {
            targets(&b.rows, &base, raw, &mems, &sizes_of, cache, issue_files, n);
        }
    }
}

/// One generated store and what was measured on it.
struct Bench {
    n: usize,
    dir: PathBuf,
    ids: Vec<IssueId>,
    show_id: String,
    ready: Vec<String>,
    newest: Vec<String>,
    rows: Vec<Row>,
    raw: Duration,
}

/// The `short_id`s of the issues a list command prints.
fn short_ids_of(jit: &Path, dir: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::new(jit)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run jit");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("reply is JSON");
    v["issues"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["short_id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}
