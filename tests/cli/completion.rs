//! Shell completion in a real bash under tmux (keys typed, the screen read back), the zsh and
//! fish protocols with descriptions, and the man pages. Under `CI` tmux must be there; elsewhere
//! the tmux test is skipped with a notice when it is missing.

use crate::common::{Repo, assert_ok, jit_bin, stdout};
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(dir: &std::path::Path) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var_os("CI").is_none(),
                "tmux is required under CI (.ci/run installs it)"
            );
            eprintln!("skipping the bash completion test: tmux is not installed");
            return None;
        }
        let socket = format!("jit-test-{}-{}", std::process::id(), rand_suffix());
        let bin_dir = jit_bin().parent().unwrap();
        let path = format!(
            "{}:{}",
            bin_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let st = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                "200",
                "-y",
                "50",
            ])
            .args(["-c", dir.to_str().unwrap()])
            .args([
                "env",
                &format!("PATH={path}"),
                "JIT_ACTOR=human:tester",
                "HOME=/nonexistent",
                "INPUTRC=/dev/null",
                "PS1=$ ",
                "bash",
                "--norc",
                "--noprofile",
            ])
            .status()
            .expect("tmux runs");
        assert!(st.success());
        Some(Tmux { socket })
    }

    fn keys(&self, keys: &[&str]) {
        let st = Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "0"])
            .args(keys)
            .status()
            .unwrap();
        assert!(st.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "0"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows every one of `want`.
    fn wait_for(&self, want: &[&str]) -> String {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if want.iter().all(|w| s.contains(w)) {
                return s;
            }
            assert!(
                Instant::now() < end,
                "the screen never showed {want:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// An empty line on a clear screen.
    fn fresh(&self) {
        self.keys(&["C-u", "C-l"]);
        let end = Instant::now() + Duration::from_secs(20);
        while self.screen().trim_end() != "$" {
            assert!(
                Instant::now() < end,
                "the screen never cleared:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `line`, presses TAB twice (bash lists every candidate), and waits for `want`.
    fn complete(&self, line: &str, want: &[&str]) -> String {
        self.fresh();
        self.keys(&["-l", line]);
        self.keys(&["Tab"]);
        std::thread::sleep(Duration::from_millis(300));
        self.keys(&["Tab"]);
        self.wait_for(want)
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0)
}

fn store() -> (Repo, String, String) {
    let repo = Repo::new();
    repo.define_gate("unit-tests", &["--auto"]);
    repo.define_gate("review", &[]);
    let a = repo.create(
        "Alpha task",
        &["--milestone", "spring-release", "--label", "backend"],
    );
    let b = repo.create("Bravo task", &["--label", "frontend", "--gate", "review"]);
    (repo, a, b)
}

#[test]
fn bash_completes_ids_values_gate_keys_milestones_and_labels() {
    let (repo, a, b) = store();
    let Some(t) = Tmux::start(repo.path()) else {
        return;
    };
    t.keys(&["-l", "source <(jit completions bash) && complete -p jit"]);
    t.keys(&["Enter"]);
    t.wait_for(&["-F _clap_complete_jit jit"]);
    t.complete("jit issue show ", &[&a, &b]);
    t.complete(
        &format!("jit issue update {a} --state "),
        &["backlog", "in_progress", "archived"],
    );
    t.complete(
        &format!("jit issue update {a} --priority "),
        &["low", "normal", "high", "critical"],
    );
    t.complete(&format!("jit gate pass {b} "), &["unit-tests", "review"]);
    t.complete(
        &format!("jit issue update {a} --milestone "),
        &["spring-release"],
    );
    t.complete(
        &format!("jit issue update {a} --add-label "),
        &["backend", "frontend"],
    );
    t.complete(&format!("jit dep add {a} --on "), &[&b]);
    t.complete("jit issue create --visibility ", &["internal", "public"]);
    t.complete("jit issue create --type ", &["feature", "epic"]);
    // A unique prefix completes in place with one TAB.
    t.fresh();
    t.keys(&["-l", &format!("jit issue show {}", &b[..5])]);
    t.keys(&["Tab"]);
    t.wait_for(&[&format!("$ jit issue show {b}")]);
    // Subcommands and flags complete too.
    t.complete("jit issue cl", &["claim", "claim-next", "close"]);
}

#[test]
fn zsh_and_fish_get_titles_as_descriptions() {
    let (repo, a, b) = store();
    let run = |shell: &str, words: &[&str], index: &str| {
        let out = repo
            .cmd()
            .env("COMPLETE", shell)
            .env("_CLAP_IFS", "\n")
            .env("_CLAP_COMPLETE_INDEX", index)
            .arg("--")
            .args(words)
            .output()
            .unwrap();
        assert_ok(&out);
        stdout(&out)
    };
    let fish = run("fish", &["jit", "issue", "show", ""], "3");
    assert!(
        fish.lines()
            .any(|l| l == format!("{a}\tAlpha task [ready]")),
        "{fish}"
    );
    assert!(
        fish.lines()
            .any(|l| l == format!("{b}\tBravo task [ready]")),
        "{fish}"
    );
    let zsh = run("zsh", &["jit", "issue", "show", ""], "3");
    assert!(
        zsh.lines().any(|l| l == format!("{a}:Alpha task [ready]")),
        "{zsh}"
    );
    let gates = run("fish", &["jit", "gate", "add", &a, ""], "4");
    assert!(gates.lines().any(|l| l == "review\treview"), "{gates}");
    // Outside a repository ids complete to nothing, and nothing fails.
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(jit_bin())
        .current_dir(dir.path())
        .env("COMPLETE", "fish")
        .args(["--", "jit", "issue", "show", ""])
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(
        !stdout(&out).lines().any(|l| !l.starts_with('-')),
        "{}",
        stdout(&out)
    );
}

#[test]
fn man_writes_one_page_per_command_and_every_reference_resolves() {
    let repo = Repo::new();
    let dir = repo.path().join("man");
    let v = repo.ok(&["man", "--out", dir.to_str().unwrap()]);
    let pages: Vec<String> = crate::common::strings(&v["pages"]);
    for want in [
        "jit.1",
        "jit-issue.1",
        "jit-issue-create.1",
        "jit-issue-edit.1",
        "jit-graph-tree.1",
        "jit-ls.1",
    ] {
        assert!(pages.iter().any(|p| p == want), "{want} in {pages:?}");
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    assert_eq!(on_disk, pages);
    // Every `jit-...(1)` a page names is a page that exists.
    for p in &pages {
        let text = std::fs::read_to_string(dir.join(p)).unwrap();
        assert!(
            text.starts_with(".ie") || text.contains(".TH "),
            "{p} is roff"
        );
        for word in text.split(|c: char| c.is_whitespace() || c == '\\' || c == '"') {
            if let Some(name) = word.strip_suffix("(1)").filter(|n| n.starts_with("jit")) {
                assert!(
                    pages.contains(&format!("{name}.1")),
                    "{p} names {name}(1), which was not written"
                );
            }
        }
    }
    // man itself renders one (where man is installed).
    if Command::new("man").arg("--version").output().is_ok() {
        let out = Command::new("man")
            .args(["-l", "-P", "cat"])
            .arg(dir.join("jit-issue-defer.1"))
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("--until"), "{text}");
    }
}
