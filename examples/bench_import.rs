//! The import benchmark: writes N-issue sources in the tools' own formats (a beads
//! `issues.jsonl`, a Jira CSV export, a Backlog.md `backlog/` directory) with a realistic mix
//! (epics of 25 with sub-tasks and dependencies, a third closed, labels, descriptions,
//! acceptance criteria, comments), then times `jit import` into a fresh store, the unchanged
//! re-import (nothing written), and a `--dry-run`.
//!
//!   cargo build --release && cargo run --release --example bench_import -- --sizes 1000,10000 --runs 3
//!
//! Prints median wall times and peak memory (via /usr/bin/time when present). Timings are for
//! this machine only; docs/performance.md keeps the measured numbers.

mod common;
use common::{Rng, WORDS, median};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn text(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| WORDS[rng.below(WORDS.len() as u64) as usize])
        .collect::<Vec<_>>()
        .join(" ")
}

/// One synthetic issue, shared by every format.
struct Gen {
    id: usize,
    title: String,
    body: String,
    closed: bool,
    epic: bool,
    parent: Option<usize>,
    deps: Vec<usize>,
    labels: Vec<&'static str>,
    criteria: Vec<String>,
    comment: Option<String>,
    priority: u64,
}

fn issues(n: usize, seed: u64) -> Vec<Gen> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let epic = i % 25 == 0;
        let parent = (!epic).then_some(i - i % 25);
        // Dependencies inside the epic, on earlier issues only (no cycles).
        let mut deps = Vec::new();
        if !epic && i % 25 > 1 && rng.below(3) > 0 {
            deps.push(i - 1 - rng.below((i % 25 - 1) as u64) as usize);
        }
        let words = 40 + rng.below(80) as usize;
        let body = text(&mut rng, words);
        let criteria = (0..rng.below(4)).map(|_| text(&mut rng, 5)).collect();
        out.push(Gen {
            id: i,
            title: format!("{} {i}", text(&mut rng, 3)),
            body,
            closed: rng.below(3) == 0 && !epic,
            epic,
            parent,
            deps,
            labels: [WORDS[i % 20], WORDS[(i / 20) % 20]].to_vec(),
            criteria,
            comment: (rng.below(4) == 0).then(|| text(&mut rng, 12)),
            priority: rng.below(5),
        })
    }
    out
}

fn beads(dir: &Path, gens: &[Gen]) -> PathBuf {
    let path = dir.join(".beads/issues.jsonl");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut s = String::new();
    for g in gens {
        let mut deps: Vec<String> = g
            .deps
            .iter()
            .map(|d| {
                format!(r#"{{"issue_id":"bd-{}","depends_on_id":"bd-{d}","type":"blocks","created_at":"2025-10-01T00:00:00Z","created_by":"bench"}}"#, g.id)
            })
            .collect();
        if let Some(p) = g.parent {
            deps.push(format!(r#"{{"issue_id":"bd-{}","depends_on_id":"bd-{p}","type":"parent-child","created_at":"2025-10-01T00:00:00Z","created_by":"bench"}}"#, g.id));
        }
        let comments = g
            .comment
            .as_ref()
            .map(|c| format!(r#","comments":[{{"id":"c{}","issue_id":"bd-{}","author":"bench","text":"{c}","created_at":"2025-10-02T00:00:00Z"}}]"#, g.id, g.id))
            .unwrap_or_default();
        let ac = if g.criteria.is_empty() {
            String::new()
        } else {
            format!(
                r#","acceptance_criteria":"{}""#,
                g.criteria
                    .iter()
                    .map(|c| format!("- [ ] {c}"))
                    .collect::<Vec<_>>()
                    .join("\\n")
            )
        };
        let _ = writeln!(
            s,
            r#"{{"id":"bd-{}","title":"{}","description":"{}","status":"{}","priority":{},"issue_type":"{}","created_at":"2025-10-01T00:00:00Z","updated_at":"2025-10-01T00:00:00Z","labels":["{}","{}"]{}{}{}}}"#,
            g.id,
            g.title,
            g.body,
            if g.closed { "closed" } else { "open" },
            g.priority,
            if g.epic { "epic" } else { "task" },
            g.labels[0],
            g.labels[1],
            if deps.is_empty() {
                String::new()
            } else {
                format!(r#","dependencies":[{}]"#, deps.join(","))
            },
            comments,
            ac,
        );
    }
    std::fs::write(&path, s).unwrap();
    path
}

fn jira(dir: &Path, gens: &[Gen]) -> PathBuf {
    let path = dir.join("jira.csv");
    let mut s = String::from(
        "Summary,Issue key,Issue id,Issue Type,Status,Status Category,Priority,Labels,Labels,Description,Parent,Inward issue link (Blocks),Created,Comment\r\n",
    );
    for g in gens {
        let _ = write!(
            s,
            "{},P-{},{},{},{},{},{},{},{},\"{}\",{},{},14/Feb/24 3:52 PM,{}\r\n",
            g.title,
            g.id,
            10_000 + g.id,
            if g.epic { "Epic" } else { "Task" },
            if g.closed { "Done" } else { "To Do" },
            if g.closed { "Done" } else { "To Do" },
            ["Highest", "High", "Medium", "Low", "Lowest"][g.priority as usize],
            g.labels[0],
            g.labels[1],
            g.body,
            g.parent
                .map(|p| (10_000 + p).to_string())
                .unwrap_or_default(),
            g.deps.first().map(|d| format!("P-{d}")).unwrap_or_default(),
            g.comment
                .as_ref()
                .map(|c| format!("15/Feb/24 9:00 AM;bench;{c}"))
                .unwrap_or_default(),
        );
    }
    std::fs::write(&path, s).unwrap();
    path
}

fn backlog(dir: &Path, gens: &[Gen]) -> PathBuf {
    let root = dir.join("backlog");
    std::fs::create_dir_all(root.join("tasks")).unwrap();
    std::fs::write(
        root.join("config.yml"),
        "statuses: [To Do, In Progress, Done]\n",
    )
    .unwrap();
    for g in gens {
        let mut s = format!(
            "---\nid: task-{}\ntitle: {}\nstatus: {}\nassignee: []\ncreated_date: '2025-06-10 12:00'\nlabels: [{}, {}]\ndependencies: [{}]\n",
            g.id,
            g.title,
            if g.closed { "Done" } else { "To Do" },
            g.labels[0],
            g.labels[1],
            g.deps
                .iter()
                .map(|d| format!("task-{d}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if let Some(p) = g.parent {
            let _ = writeln!(s, "parent_task_id: task-{p}");
        }
        let _ = write!(
            s,
            "---\n\n## Description\n\n<!-- SECTION:DESCRIPTION:BEGIN -->\n{}\n<!-- SECTION:DESCRIPTION:END -->\n",
            g.body
        );
        if !g.criteria.is_empty() {
            s.push_str("\n## Acceptance Criteria\n<!-- AC:BEGIN -->\n");
            for (k, c) in g.criteria.iter().enumerate() {
                let _ = writeln!(s, "- [ ] #{} {c}", k + 1);
            }
            s.push_str("<!-- AC:END -->\n");
        }
        std::fs::write(root.join("tasks").join(format!("task-{} - t.md", g.id)), s).unwrap();
    }
    root
}

fn fresh_store(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let ok = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .status()
        .map(|s| s.success());
    assert!(matches!(ok, Ok(true)), "git init in {}", dir.display());
    jit::store::Store::init(dir, Some("bench".into())).expect("jit init");
}

fn run(jit: &Path, dir: &Path, args: &[&str]) -> Duration {
    let t = Instant::now();
    let out = Command::new(jit)
        .args(args)
        .current_dir(dir)
        .env("JIT_ACTOR", "human:bench")
        .stdout(Stdio::null())
        .output()
        .expect("run jit");
    let d = t.elapsed();
    assert!(
        out.status.success(),
        "jit {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    d
}

fn main() {
    let mut sizes = vec![1000usize, 10_000];
    let mut runs = 3usize;
    let mut jit: Option<PathBuf> = None;
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
            "--runs" => runs = args.next().and_then(|s| s.parse().ok()).unwrap_or(3).max(1),
            "--jit" => jit = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("usage: bench_import [--sizes 1000,10000] [--runs 3] [--jit PATH]");
                return;
            }
            other => {
                eprintln!("bench_import: unknown argument `{other}`");
                std::process::exit(2);
            }
        }
    }
    let jit = common::jit_binary(jit);
    let tmp = tempfile::tempdir().expect("temp dir");
    println!(
        "jit import benchmark: {} ({runs} runs each, median)\n",
        jit.display()
    );
    for &n in &sizes {
        let src = tmp.path().join(format!("src-{n}"));
        std::fs::create_dir_all(&src).unwrap();
        let gens = issues(n, 7 + n as u64);
        let sources: Vec<(&str, PathBuf)> = vec![
            ("beads", beads(&src, &gens)),
            ("jira", jira(&src, &gens)),
            ("backlog", backlog(&src, &gens)),
        ];
        println!("### {n} issues\n");
        println!(
            "| source | import into an empty store | re-import, unchanged | --dry-run | peak memory (import) |"
        );
        println!("|---|---:|---:|---:|---:|");
        for (name, path) in &sources {
            let p = path.to_str().unwrap().to_string();
            let store = tmp.path().join(format!("store-{name}-{n}"));
            let mut first = Vec::new();
            for _ in 0..runs {
                fresh_store(&store);
                first.push(run(&jit, &store, &["import", name, &p, "--json"]));
            }
            let again: Vec<Duration> = (0..runs)
                .map(|_| run(&jit, &store, &["import", name, &p, "--json"]))
                .collect();
            let dry: Vec<Duration> = (0..runs)
                .map(|_| run(&jit, &store, &["import", name, &p, "--dry-run", "--json"]))
                .collect();
            fresh_store(&store);
            let peak = common::peak_kib(
                &jit,
                &store,
                &["import", name, &p, "--json"],
                Some("human:bench"),
            );
            println!(
                "| {name} | {:.2} s | {:.2} s | {:.2} s | {} |",
                median(first).as_secs_f64(),
                median(again).as_secs_f64(),
                median(dry).as_secs_f64(),
                peak.map(|k| format!("{:.0} MiB", k as f64 / 1024.0))
                    .unwrap_or_else(|| "n/a".into())
            );
        }
        println!();
    }
}
