//! What the benchmarks share: a seeded generator, filler words, the jit binary next to the
//! example, medians and peak memory. Each benchmark uses part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A small seeded generator (splitmix64): the same store for the same seed on every machine.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// One of the filler words.
    pub fn word(&mut self) -> &'static str {
        WORDS[self.below(WORDS.len() as u64) as usize]
    }

    /// `n` filler words joined by spaces.
    pub fn words(&mut self, n: usize) -> String {
        (0..n).map(|_| self.word()).collect::<Vec<_>>().join(" ")
    }
}

/// Filler words for titles and descriptions.
pub const WORDS: &[&str] = &[
    "store", "lock", "agent", "claim", "gate", "review", "index", "cache", "query", "render",
    "merge", "sync", "event", "parser", "schema", "roadmap", "export", "retry", "lease", "graph",
];

/// The jit binary to time: `given`, or the one built beside this example (`target/<profile>/jit`).
pub fn jit_binary(given: Option<PathBuf>) -> PathBuf {
    let jit = given.unwrap_or_else(|| {
        let exe = std::env::current_exe().expect("current exe");
        exe.parent()
            .and_then(Path::parent)
            .map(|d| d.join("jit"))
            .expect("target dir")
    });
    assert!(
        jit.is_file(),
        "no jit binary at {} (build it first: cargo build --release, or pass --jit)",
        jit.display()
    );
    // Absolute: the benchmarks run it from inside the stores they make.
    std::fs::canonicalize(&jit).expect("the jit binary's path")
}

/// The median of some timings.
pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak resident memory of one jit command in KiB, by `/usr/bin/time` (None without it), run
/// as `actor` when one is given.
pub fn peak_kib(jit: &Path, dir: &Path, args: &[&str], actor: Option<&str>) -> Option<u64> {
    if !Path::new("/usr/bin/time").exists() {
        return None;
    }
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f").arg("%M").arg(jit).args(args).current_dir(dir);
    if let Some(a) = actor {
        cmd.env("JIT_ACTOR", a);
    }
    let out = cmd.stdout(Stdio::null()).output().ok()?;
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .last()?
        .trim()
        .parse()
        .ok()
}
