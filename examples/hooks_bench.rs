//! What hooks cost: the check every committed change makes when no hook is configured, and a
//! whole `jit issue update` with no hook, a hook that wants other events, a command hook and a
//! URL hook (to a receiver on 127.0.0.1 in this process).
//!
//!   cargo build --release && cargo run --release --example hooks_bench -- --runs 31
//!
//! Prints medians for this machine; docs/performance.md records them. No timing is asserted.

mod common;
use common::median;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

fn jit(bin: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new(bin)
        .current_dir(dir)
        .env("JIT_ACTOR", "human:bench")
        .env_remove("JIT_NOW")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .args(args)
        .output()
        .expect("jit runs");
    assert!(
        out.status.success(),
        "jit {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Answers every POST with 204, forever (the process exits at the end of the benchmark).
fn receiver() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    break;
                }
                let l = line.trim_end().to_ascii_lowercase();
                if let Some(v) = l.strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
                if l.is_empty() {
                    break;
                }
            }
            let mut body = vec![0; len];
            let _ = r.read_exact(&mut body);
            let _ = s.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        }
    });
    port
}

fn main() {
    let mut runs = 31usize;
    let mut bin: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            "--jit" => bin = args.next().map(PathBuf::from),
            other => {
                eprintln!("hooks_bench: unknown argument `{other}` (use --runs N, --jit PATH)");
                std::process::exit(2);
            }
        }
    }
    let runs = runs.max(1);
    let bin = common::jit_binary(bin);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path();
    assert!(
        Command::new("git")
            .args(["init", "-q"])
            .current_dir(dir)
            .status()
            .is_ok_and(|s| s.success())
    );
    jit(&bin, dir, &["init"]);
    jit(&bin, dir, &["issue", "create", "--title", "Benchmarked"]);
    let store = jit::store::Store::discover(dir).expect("store");
    let (events, _) = jit::store::events::read(&store.events_path()).expect("events");

    // 1. The per-commit check with no hooks: one read of config.json.
    let n = 20_000u32;
    let t = Instant::now();
    for _ in 0..n {
        jit::hooks::committed(&store, &events[..1]);
    }
    let check = t.elapsed() / n;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(std::fs::read(store.dir().join("config.json")).expect("read"));
    }
    let read = t.elapsed() / n;
    println!("hooks check after a commit, no hooks configured: {check:?} per commit");
    println!("  (reading config.json alone: {read:?})\n");

    // 2. Whole commands.
    let id = {
        let (issues, _) = store.load_all().expect("load");
        issues[0].id.short()
    };
    let port = receiver();
    let time_updates = |label: &str| {
        let mut times = Vec::with_capacity(runs);
        for i in 0..=runs {
            let p = if i % 2 == 0 { "high" } else { "low" };
            let t = Instant::now();
            jit(&bin, dir, &["issue", "update", &id, "--priority", p]);
            if i > 0 {
                times.push(t.elapsed()); // the first run warms the caches
            }
        }
        let m = median(times);
        println!("| {label} | {:.2} |", m.as_secs_f64() * 1000.0);
        m
    };
    println!("| `jit issue update` with | median ms |\n|---|---:|");
    time_updates("no hooks");
    jit(
        &bin,
        dir,
        &[
            "hook",
            "add",
            "other",
            "--on",
            "gate.*",
            "--command",
            "true",
        ],
    );
    time_updates("a hook on other events (`gate.*`)");
    jit(&bin, dir, &["hook", "rm", "other"]);
    jit(
        &bin,
        dir,
        &["hook", "add", "cmd", "--on", "issue.*", "--command", "true"],
    );
    time_updates("a command hook (`true`)");
    jit(&bin, dir, &["hook", "rm", "cmd"]);
    let url = format!("http://127.0.0.1:{port}/hook");
    jit(
        &bin,
        dir,
        &["hook", "add", "web", "--on", "issue.*", "--url", &url],
    );
    time_updates("a URL hook (local receiver)");
    println!("\n({runs} runs each, after one warm-up run)");
}
