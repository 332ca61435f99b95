//! The fleet benchmark: what a claim costs when it is published on a git remote, against a
//! local claim and against the push round trip it rests on, and how long a fleet of agents on
//! several clones takes to drain a dependency graph.
//!
//!   cargo build --release && cargo run --release --example bench_fleet -- --runs 15 --issues 100
//!
//! Everything runs on this machine against a local bare remote, with the release `jit`. Prints
//! medians; docs/performance.md holds the results.

mod common;
use common::median;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn jit(bin: &Path, dir: &Path, actor: &str, args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(bin)
        .current_dir(dir)
        .args(args)
        .arg("--json")
        .env("JIT_ACTOR", actor)
        .stdin(Stdio::null())
        .output()
        .expect("jit runs");
    let v = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.status.code().unwrap_or(-1), v)
}

fn timed(f: impl FnOnce()) -> Duration {
    let t = Instant::now();
    f();
    t.elapsed()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// A bare remote and `clones` clones of it, holding `issues` issues created in the first clone
/// and pushed; with `graph`, issue k depends on two earlier ones.
fn network(root: &Path, bin: &Path, clones: usize, issues: usize, graph: bool) -> Vec<PathBuf> {
    git(root, &["init", "-q", "--bare", "-b", "main", "remote.git"]);
    let mut dirs = Vec::new();
    for k in 0..clones {
        let name = format!("c{k}");
        git(root, &["clone", "-q", "remote.git", &name]);
        let d = root.join(&name);
        git(&d, &["config", "user.name", &name]);
        git(&d, &["config", "user.email", "bench@example.com"]);
        if k == 0 {
            git(&d, &["checkout", "-q", "-b", "main"]);
            jit(bin, &d, "human:bench", &["init"]);
            let mut ids: Vec<String> = Vec::new();
            for i in 0..issues {
                let mut args = vec![
                    "issue".to_string(),
                    "create".into(),
                    "--title".into(),
                    format!("Task {i}"),
                ];
                if graph && i >= 4 {
                    for p in [(i * 7) % (i - 1), i / 2] {
                        args.push("--dep".into());
                        args.push(ids[p].clone());
                    }
                }
                let a: Vec<&str> = args.iter().map(String::as_str).collect();
                let (_, v) = jit(bin, &d, "human:bench", &a);
                ids.push(v["id"].as_str().expect("created").to_string());
            }
            git(&d, &["add", "-A"]);
            git(&d, &["commit", "-qm", "issues"]);
            git(&d, &["push", "-q", "origin", "main"]);
        } else {
            git(&d, &["pull", "-q", "origin", "main"]);
        }
        dirs.push(d);
    }
    dirs
}

/// `agents` agents spread over `dirs` loop claim-next then done until every issue is done.
/// Returns the wall time and how many claims were made.
fn drain(
    bin: &Path,
    dirs: &[PathBuf],
    agents: usize,
    remote: bool,
    issues: usize,
) -> (Duration, usize) {
    let claimed = Arc::new(Mutex::new(0usize));
    let start = Instant::now();
    let handles: Vec<_> = (0..agents)
        .map(|w| {
            let dir = dirs[w % dirs.len()].clone();
            let bin = bin.to_path_buf();
            let claimed = claimed.clone();
            std::thread::spawn(move || {
                let actor = format!("agent:w{w}");
                let flag = if remote { "--remote" } else { "--no-remote" };
                let mut idle = 0;
                loop {
                    let mut args = vec!["issue", "claim-next", "--ttl", "1h", flag];
                    if remote {
                        args.push("origin");
                    }
                    let (code, v) = jit(&bin, &dir, &actor, &args);
                    match code {
                        0 => {
                            idle = 0;
                            *claimed.lock().unwrap() += 1;
                            let id = v["id"].as_str().unwrap_or_default().to_string();
                            let mut done = vec!["issue", "update", &id, "--state", "done", flag];
                            if remote {
                                done.push("origin");
                            }
                            jit(&bin, &dir, &actor, &done);
                        }
                        7 => {
                            let (_, d) = jit(&bin, &dir, &actor, &["query", "state", "done"]);
                            if d["total"].as_u64() == Some(issues as u64) {
                                break;
                            }
                            idle += 1;
                            if idle > 2000 {
                                panic!("no progress");
                            }
                            std::thread::sleep(Duration::from_millis(10));
                        }
                        c => panic!("claim-next exited {c}: {v}"),
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("agent");
    }
    let n = *claimed.lock().unwrap();
    (start.elapsed(), n)
}

fn main() {
    let mut runs = 15usize;
    let mut issues = 100usize;
    let mut bin: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => {
                runs = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(15)
                    .max(3)
            }
            "--issues" => {
                issues = args
                    .next()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(100)
                    .max(8)
            }
            "--jit" => bin = args.next().map(PathBuf::from),
            "-h" | "--help" => {
                println!("usage: bench_fleet [--runs 15] [--issues 100] [--jit PATH]");
                return;
            }
            other => {
                eprintln!("bench_fleet: unknown argument `{other}`");
                std::process::exit(2);
            }
        }
    }
    let bin = common::jit_binary(bin);
    println!(
        "jit fleet benchmark: {} ({runs} runs each, median)\n",
        bin.display()
    );

    // Latency: one clone claims issues one by one.
    let tmp = tempfile::tempdir().expect("temp dir");
    let dirs = network(tmp.path(), &bin, 2, 3 * runs + 4, false);
    let a = &dirs[0];
    let (_, ready) = jit(
        &bin,
        a,
        "agent:bench",
        &["query", "ready", "--limit", "1000"],
    );
    let mut ready: Vec<String> = ready["issues"]
        .as_array()
        .expect("ready issues")
        .iter()
        .filter_map(|i| i["id"].as_str().map(String::from))
        .collect();
    assert!(ready.len() >= 2 * runs, "not enough ready issues");
    let tree = git(a, &["hash-object", "-w", "-t", "tree", "/dev/null"]);
    let push = median(
        (0..runs)
            .map(|k| {
                let c = git(a, &["commit-tree", &tree, "-m", &format!("bench {k}")]);
                timed(|| {
                    git(
                        a,
                        &[
                            "push",
                            "-q",
                            "--atomic",
                            "origin",
                            &format!("{c}:refs/bench/r{k}"),
                        ],
                    );
                })
            })
            .collect(),
    );
    let local = median(
        (0..runs)
            .map(|_| {
                let id = ready.pop().expect("issue");
                timed(|| {
                    let (c, v) = jit(
                        &bin,
                        a,
                        "agent:bench",
                        &["issue", "claim", &id, "--no-remote"],
                    );
                    assert_eq!(c, 0, "{v}");
                })
            })
            .collect(),
    );
    let remote = median(
        (0..runs)
            .map(|_| {
                let id = ready.pop().expect("issue");
                timed(|| {
                    let (c, v) = jit(
                        &bin,
                        a,
                        "agent:bench",
                        &["issue", "claim", &id, "--remote", "origin"],
                    );
                    assert_eq!(c, 0, "{v}");
                })
            })
            .collect(),
    );
    let next = median(
        (0..runs)
            .map(|_| {
                timed(|| {
                    let (c, v) = jit(
                        &bin,
                        a,
                        "agent:bench",
                        &["issue", "claim-next", "--remote", "origin"],
                    );
                    assert_eq!(c, 0, "{v}");
                })
            })
            .collect(),
    );
    let b = &dirs[1];
    let taken = ready.pop().expect("issue");
    jit(
        &bin,
        a,
        "agent:bench",
        &["issue", "claim", &taken, "--remote", "origin"],
    );
    let refused = median(
        (0..runs)
            .map(|_| {
                timed(|| {
                    let (c, _) = jit(
                        &bin,
                        b,
                        "agent:other",
                        &["issue", "claim", &taken, "--remote", "origin"],
                    );
                    assert_eq!(c, 5);
                })
            })
            .collect(),
    );
    println!("| operation | median ms |");
    println!("|---|---:|");
    println!(
        "| `git push` creating one ref on the bare remote (the round trip) | {} |",
        ms(push)
    );
    println!("| `jit issue claim ID --no-remote` | {} |", ms(local));
    println!("| `jit issue claim ID --remote origin` | {} |", ms(remote));
    println!(
        "| `jit issue claim-next --remote origin` (fetch, then claim) | {} |",
        ms(next)
    );
    println!(
        "| refused claim from another clone (`already_claimed`, push then fetch) | {} |",
        ms(refused)
    );
    let over = remote.saturating_sub(push);
    println!(
        "\nremote claim = push round trip + {} ms (target: + 20 ms or less: {})\n",
        ms(over),
        if over <= Duration::from_millis(20) {
            "met"
        } else {
            "NOT met"
        }
    );

    // Drain: the same graph, once by 8 agents in one checkout, once by 8 agents on 4 clones.
    for (label, clones, remote) in [
        ("8 agents, one checkout, local claims", 1usize, false),
        ("8 agents on 4 clones, claims on the remote", 4, true),
    ] {
        let tmp = tempfile::tempdir().expect("temp dir");
        let dirs = network(tmp.path(), &bin, clones, issues, true);
        let (t, n) = drain(&bin, &dirs, 8, remote, issues);
        println!(
            "drain of a {issues}-issue graph, {label}: {:.2} s, {n} claims ({:.1} claims/s)",
            t.as_secs_f64(),
            n as f64 / t.as_secs_f64()
        );
    }
}
