//! The README's short tour, run exactly as README.md writes it: the block is read from the
//! file, so the two cannot drift apart. It runs in bash with `set -euo pipefail` from a
//! directory whose `target/debug` holds the jit under test (as a checkout does after
//! `cargo run`), with a git identity and nothing else from the test environment.

use crate::common::jit_bin;
use std::process::Command;

/// The first ```sh block after the `## A short tour` heading.
fn tour() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## A short tour\n")
        .nth(1)
        .expect("README.md has a `## A short tour` section");
    let block = section
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the tour is a ```sh block");
    block.to_string()
}

#[test]
fn the_readme_tour_runs_as_written() {
    let script = tour();
    assert!(script.lines().count() > 20, "{script}");
    // The tour puts `$PWD/target/debug` on PATH: run it where that is the jit under test.
    let bin_dir = jit_bin().parent().unwrap().canonicalize().unwrap();
    assert_eq!(
        bin_dir.file_name().unwrap(),
        "debug",
        "{}",
        bin_dir.display()
    );
    let checkout = bin_dir.parent().unwrap().parent().unwrap();
    assert_eq!(
        checkout.join("target/debug").canonicalize().unwrap(),
        bin_dir,
        "the test binary is not under <dir>/target/debug"
    );
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join(".gitconfig"),
        "[user]\n\tname = Tour Taker\n\temail = tour@example.com\n[init]\n\tdefaultBranch = main\n",
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -euo pipefail\n{script}\necho TOUR-DONE \"$PWD\""
        ))
        .current_dir(checkout)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("TMPDIR", tmp.path())
        .env("LANG", "C.UTF-8")
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the tour failed ({}):\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    let done = stdout
        .lines()
        .find_map(|l| l.strip_prefix("TOUR-DONE "))
        .expect("the tour ran to its end");
    let work = std::path::Path::new(done);
    assert!(work.starts_with(tmp.path().canonicalize().unwrap()) || work.starts_with(tmp.path()));
    // What the tour promises happened.
    assert!(
        stdout.contains("(issue is done)"),
        "the last gate finished the issue:\n{stdout}"
    );
    assert!(stdout.contains("now ready: "), "{stdout}");
    assert!(
        stdout.contains("would change 1 of 1 issue(s); nothing was written"),
        "{stdout}"
    );
    assert!(work.join("ROADMAP.md").is_file() && work.join("site/index.html").is_file());
    let issues = std::fs::read_dir(work.join(".jit/issues")).unwrap().count();
    assert_eq!(issues, 4, "three created, one imported");
    // The remote received the claims and the synced store.
    let log = Command::new("git")
        .args(["log", "--oneline", "origin/main"])
        .current_dir(work)
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(
        log.status.success(),
        "{}",
        String::from_utf8_lossy(&log.stderr)
    );
}

#[test]
fn the_demo_says_how_to_put_jit_on_path_when_it_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::jit_cmd(dir.path())
        .args(["demo", "--dir"])
        .arg(dir.path().join("demo"))
        .output()
        .unwrap();
    crate::common::assert_ok(&out);
    let text = crate::common::stdout(&out);
    let bin_dir = jit_bin().parent().unwrap().canonicalize().unwrap();
    assert!(
        text.contains(&format!("export PATH=\"{}:$PATH\"", bin_dir.display())),
        "{text}"
    );
    // With this jit on PATH, the hint is not needed.
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = crate::common::jit_cmd(dir.path())
        .args(["demo", "--dir"])
        .arg(dir.path().join("demo2"))
        .env("PATH", path)
        .output()
        .unwrap();
    crate::common::assert_ok(&out);
    assert!(!crate::common::stdout(&out).contains("not on your PATH"));
}
