//! Installs jit's git integration in a checkout: three `.gitattributes` lines, and the `jit`
//! merge driver in the repository's git config.
//!
//! Invariants:
//! - Idempotent: a second run changes nothing and says so.
//! - Lines of `.gitattributes` that are not jit's are kept byte for byte and in order; each of
//!   jit's lines ([`ATTRIBUTE_LINES`]) appears exactly once afterwards.
//! - Git is always run as `git -C <root>` on the root given, with the variables that would point
//!   it at another repository (`GIT_DIR`, `GIT_WORK_TREE`, ...) removed, so an inherited hook
//!   environment cannot redirect the write.

use crate::error::{Error, Result};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The lines jit needs in `.gitattributes`.
pub const ATTRIBUTE_LINES: [&str; 3] = [
    ".jit/events.jsonl merge=union",
    ".jit/issues/*.json merge=jit",
    ".jit/** eol=lf",
];
/// The comment written above jit's lines when none of them was there yet.
pub const ATTRIBUTES_HEADER: &str =
    "# jit: union-merge the event log, merge issue files field by field (`jit git install`)";
/// `merge.jit.name`.
pub const DRIVER_NAME: &str = "jit field-level issue merge";

/// Variables that make git use a repository other than the one found from `-C <root>`.
const REPO_ENV: [&str; 8] = [
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_COMMON_DIR",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_CONFIG",
];

/// What [`install`] did.
#[derive(Debug, Clone, Serialize)]
pub struct InstallReport {
    /// `<root>/.gitattributes`.
    pub attributes_path: PathBuf,
    /// Whether `.gitattributes` was written (false when it already held jit's lines once each).
    pub attributes_changed: bool,
    /// True on success: `merge.jit.name` and `merge.jit.driver` hold jit's values.
    pub driver_configured: bool,
    /// The command git runs to merge an issue file (`merge.jit.driver`).
    pub driver_command: String,
    /// Whether the git config was written (false when it already held these values).
    pub driver_changed: bool,
}

/// Installs the attributes and the merge driver in the git checkout at `repo_root` (the
/// directory holding `.jit/`). Safe to run again.
pub fn install(repo_root: &Path) -> Result<InstallReport> {
    check_git_repo(repo_root)?;
    let (attributes_path, attributes_changed) = write_attributes(repo_root)?;
    let driver_command = driver_command();
    let driver_changed = configure_driver(repo_root, &driver_command)?;
    Ok(InstallReport {
        attributes_path,
        attributes_changed,
        driver_configured: true,
        driver_command,
        driver_changed,
    })
}

/// What [`ensure_driver`] found in a checkout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DriverCheck {
    /// `.gitattributes` does not name the jit driver: nothing to do.
    NotNamed,
    /// The driver is registered (in the repository's config, or elsewhere git reads).
    Registered,
    /// It was missing and has just been registered in the repository's git config.
    RegisteredNow,
    /// It is missing and could not be registered: why.
    Missing(String),
}

/// The name of the stamp under `.jit/cache/` recording that git finds the driver outside the
/// repository's own config file (a global or included config), for that file's size and time.
const DRIVER_STAMP: &str = "merge-driver";

/// Makes sure the jit merge driver is registered in the checkout at `repo_root` when its
/// `.gitattributes` names it (`merge=jit`): git config is per clone and not versioned, so a fresh
/// clone has the attribute and not the driver, and git would merge issue files line by line
/// (conflict markers). Cheap on every command: it reads `.gitattributes` and the repository's
/// config file, and runs git only when the driver is not in that file (once; a stamp in `cache`
/// remembers a driver found in a global or included config until the config file changes).
pub fn ensure_driver(repo_root: &Path, cache: &Path) -> DriverCheck {
    let names_driver = std::fs::read(repo_root.join(".gitattributes")).is_ok_and(|b| {
        b.split(|c| *c == b'\n')
            .filter(|l| !l.trim_ascii_start().starts_with(b"#"))
            .any(|l| l.split(u8::is_ascii_whitespace).any(|t| t == b"merge=jit"))
    });
    if !names_driver {
        return DriverCheck::NotNamed;
    }
    let Some(config) = repo_config_file(repo_root) else {
        return DriverCheck::Missing("the repository's git config file was not found".into());
    };
    let text = std::fs::read(&config).unwrap_or_default();
    if config_has_driver(&String::from_utf8_lossy(&text)) {
        return DriverCheck::Registered;
    }
    let stamp = std::fs::metadata(&config)
        .ok()
        .map(|m| {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{} {t}\n", m.len())
        })
        .unwrap_or_default();
    let stamp_path = cache.join(DRIVER_STAMP);
    if !stamp.is_empty() && std::fs::read_to_string(&stamp_path).ok().as_deref() == Some(&stamp) {
        return DriverCheck::Registered;
    }
    match config_get(repo_root, "merge.jit.driver") {
        Ok(Some(_)) => {
            // Registered where git looks besides this file: remember, so git is not run again.
            if std::fs::create_dir_all(cache).is_ok() {
                let _ = crate::store::write_atomic(&stamp_path, stamp.as_bytes());
            }
            DriverCheck::Registered
        }
        Ok(None) => match configure_driver(repo_root, &driver_command()) {
            Ok(_) => DriverCheck::RegisteredNow,
            Err(e) => DriverCheck::Missing(e.to_string()),
        },
        Err(e) => DriverCheck::Missing(e.to_string()),
    }
}

/// The repository's own git config file: `.git/config`, or for a worktree (`.git` is a file
/// naming its git dir) the common dir's `config`.
fn repo_config_file(repo_root: &Path) -> Option<PathBuf> {
    let dot_git = repo_root.join(".git");
    let meta = std::fs::metadata(&dot_git).ok()?;
    let git_dir = if meta.is_dir() {
        dot_git
    } else {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let dir = PathBuf::from(text.trim().strip_prefix("gitdir:")?.trim());
        if dir.is_absolute() {
            dir
        } else {
            repo_root.join(dir)
        }
    };
    let common = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(c) => {
            let c = PathBuf::from(c.trim());
            if c.is_absolute() { c } else { git_dir.join(c) }
        }
        Err(_) => git_dir,
    };
    Some(common.join("config"))
}

/// Whether git config text sets `merge.jit.driver`: a `[merge "jit"]` section (or the old
/// `[merge.jit]` form) with a `driver` key. Section and key names are case-insensitive, the
/// subsection `jit` is not (git's rules).
fn config_has_driver(text: &str) -> bool {
    let mut in_section = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        let mut rest = line;
        if let Some(after) = line.strip_prefix('[') {
            let Some((header, tail)) = after.split_once(']') else {
                continue;
            };
            let header = header.trim();
            in_section = match header.split_once(char::is_whitespace) {
                Some((name, sub)) => name.eq_ignore_ascii_case("merge") && sub.trim() == "\"jit\"",
                None => header.eq_ignore_ascii_case("merge.jit"),
            };
            rest = tail.trim();
            if rest.is_empty() {
                continue;
            }
        }
        if in_section {
            let key = rest.split(['=', ' ', '\t']).next().unwrap_or("");
            if key.eq_ignore_ascii_case("driver") && rest.contains('=') {
                return true;
            }
        }
    }
    false
}

/// Adds jit's lines to `<root>/.gitattributes` where missing, removes duplicates of them, and
/// keeps everything else. Returns the path and whether the file changed.
pub fn write_attributes(repo_root: &Path) -> Result<(PathBuf, bool)> {
    let path = repo_root.join(".gitattributes");
    let old = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => return Err(Error::io(format!("reading `{}`", path.display()), e)),
    };
    let (new, changed) = ensure_lines(&old);
    if changed {
        crate::store::write_atomic(&path, &new)?;
    }
    Ok((path, changed))
}

/// The new content of `.gitattributes` and whether it differs from `old`.
fn ensure_lines(old: &[u8]) -> (Vec<u8>, bool) {
    let eol: &[u8] = if old.windows(2).any(|w| w == b"\r\n") {
        b"\r\n"
    } else {
        b"\n"
    };
    let mut out = Vec::with_capacity(old.len() + 200);
    let mut seen = [false; ATTRIBUTE_LINES.len()];
    let mut has_header = false;
    let mut changed = false;
    for line in old.split_inclusive(|&b| b == b'\n') {
        let normalized = normalize(line);
        has_header |= normalized.as_deref() == Some(ATTRIBUTES_HEADER);
        if let Some(i) = normalized.and_then(|n| ATTRIBUTE_LINES.iter().position(|l| *l == n)) {
            if seen[i] {
                changed = true; // a duplicate of one of jit's lines
                continue;
            }
            seen[i] = true;
        }
        out.extend_from_slice(line);
    }
    let missing: Vec<&str> = ATTRIBUTE_LINES
        .iter()
        .zip(seen)
        .filter(|(_, s)| !s)
        .map(|(l, _)| *l)
        .collect();
    if !missing.is_empty() {
        changed = true;
        if !out.is_empty() && !out.ends_with(b"\n") {
            out.extend_from_slice(eol);
        }
        if !has_header && !seen.iter().any(|s| *s) {
            out.extend_from_slice(ATTRIBUTES_HEADER.as_bytes());
            out.extend_from_slice(eol);
        }
        for line in missing {
            out.extend_from_slice(line.as_bytes());
            out.extend_from_slice(eol);
        }
    }
    (out, changed)
}

/// A line with runs of whitespace folded to one space and the ends trimmed; `None` if not UTF-8.
fn normalize(line: &[u8]) -> Option<String> {
    let s = std::str::from_utf8(line).ok()?;
    Some(s.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// The command git runs as the driver: `<jit> merge-driver %O %A %B`.
///
/// `<jit>` is an absolute path so the driver works when jit is not on the `PATH` git sees
/// (IDEs, GUI clients, CI steps): the `PATH` entry that leads to this executable if there is one
/// (stable across upgrades that swap the file behind a symlink), else the executable's own path.
/// It falls back to plain `jit` when the path cannot be determined, is not UTF-8, or holds a `%`
/// (which git would expand). Rerun `jit git install` after moving the binary.
pub fn driver_command() -> String {
    let program = jit_program()
        .filter(|p| !p.contains('%'))
        .map(|p| shell_quote(&p))
        .unwrap_or_else(|| "jit".to_string());
    format!("{program} merge-driver %O %A %B")
}

fn jit_program() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let real = std::fs::canonicalize(&exe).unwrap_or_else(|_| exe.clone());
    let name = exe.file_name()?.to_os_string();
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .filter(|dir| dir.is_absolute())
            .map(|dir| dir.join(&name))
            .find(|candidate| std::fs::canonicalize(candidate).is_ok_and(|c| c == real))
    });
    on_path.unwrap_or(exe).into_os_string().into_string().ok()
}

/// Quotes `s` for the POSIX shell git runs the driver with.
fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '+' | ':' | ',')
        });
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Sets `merge.jit.name` and `merge.jit.driver`; returns whether anything changed.
pub fn configure_driver(repo_root: &Path, command: &str) -> Result<bool> {
    let mut changed = false;
    for (key, value) in [
        ("merge.jit.name", DRIVER_NAME),
        ("merge.jit.driver", command),
    ] {
        if config_get(repo_root, key)?.as_deref() != Some(value) {
            let out = git(repo_root, &["config", "--replace-all", key, value])?;
            if !out.status.success() {
                return Err(git_failed(repo_root, &format!("config {key}"), &out));
            }
            changed = true;
        }
    }
    Ok(changed)
}

pub(super) fn config_get(repo_root: &Path, key: &str) -> Result<Option<String>> {
    let out = git(repo_root, &["config", "--get", key])?;
    match out.status.code() {
        Some(0) => Ok(Some(
            String::from_utf8_lossy(&out.stdout)
                .trim_end_matches(['\n', '\r'])
                .to_string(),
        )),
        Some(1) => Ok(None), // not set
        _ => Err(git_failed(repo_root, &format!("config --get {key}"), &out)),
    }
}

pub(super) fn check_git_repo(repo_root: &Path) -> Result<()> {
    let ok = repo_root.is_dir()
        && git(repo_root, &["rev-parse", "--git-dir"])?
            .status
            .success();
    if ok {
        Ok(())
    } else {
        Err(Error::NotAGitRepo {
            path: repo_root.to_path_buf(),
        })
    }
}

/// Removes the variables that would point git at another repository than `-C <root>`.
pub(super) fn clean_env(cmd: &mut Command) {
    for var in REPO_ENV {
        cmd.env_remove(var);
    }
}

pub(super) fn git(repo_root: &Path, args: &[&str]) -> Result<Output> {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(repo_root).args(args);
    clean_env(&mut cmd);
    cmd.output().map_err(|e| {
        Error::io(
            format!(
                "running `git {}` in `{}`; is git installed and on the PATH?",
                args.join(" "),
                repo_root.display()
            ),
            e,
        )
    })
}

pub(super) fn git_failed(repo_root: &Path, what: &str, out: &Output) -> Error {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    Error::io(
        format!(
            "`git {what}` failed in `{}` ({})",
            repo_root.display(),
            out.status
        ),
        std::io::Error::other(if stderr.is_empty() {
            "no error output".to_string()
        } else {
            stderr
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gitops::merge::CONFLICTS_KEY;
    use crate::model::{Issue, IssueId, Priority, Timestamp};

    fn ensure(s: &str) -> (String, bool) {
        let (b, changed) = ensure_lines(s.as_bytes());
        (String::from_utf8(b).unwrap(), changed)
    }

    fn count(hay: &str, line: &str) -> usize {
        hay.lines()
            .filter(|l| normalize(l.as_bytes()).as_deref() == Some(line))
            .count()
    }

    #[test]
    fn attributes_are_added_once_and_other_lines_kept() {
        let (new, changed) = ensure("");
        assert!(changed);
        assert_eq!(
            new,
            format!("{ATTRIBUTES_HEADER}\n{}\n", ATTRIBUTE_LINES.join("\n"))
        );
        assert_eq!(ensure(&new), (new.clone(), false), "idempotent");

        let (new, _) = ensure("*.png binary\n.jit/issues/*.json   merge=jit\n*.sh text eol=lf");
        assert!(
            new.starts_with("*.png binary\n.jit/issues/*.json   merge=jit\n*.sh text eol=lf\n"),
            "{new}"
        );
        assert!(
            !new.contains(ATTRIBUTES_HEADER),
            "jit already had a line here"
        );
        for line in ATTRIBUTE_LINES {
            assert_eq!(count(&new, line), 1, "{line} in {new}");
        }
        assert!(!ensure(&new).1);
    }

    #[test]
    fn duplicates_of_jits_lines_are_removed() {
        let all = ATTRIBUTE_LINES.join("\n");
        let (new, changed) = ensure(&format!("{all}\n# mine\n{all}\n"));
        assert!(changed);
        assert_eq!(new, format!("{all}\n# mine\n"));
    }

    #[test]
    fn crlf_files_stay_crlf() {
        let (new, _) = ensure("*.png binary\r\n");
        assert!(new.starts_with("*.png binary\r\n"));
        assert!(
            new.lines().skip(1).all(|l| !l.is_empty()) && new.ends_with("eol=lf\r\n"),
            "{new:?}"
        );
        assert_eq!(new.matches('\n').count(), new.matches("\r\n").count());
    }

    #[test]
    fn the_driver_command_is_quoted_for_the_shell() {
        assert_eq!(shell_quote("/usr/local/bin/jit"), "/usr/local/bin/jit");
        assert_eq!(shell_quote("/Users/a b/jit"), "'/Users/a b/jit'");
        assert_eq!(shell_quote("/tmp/it's/jit"), r"'/tmp/it'\''s/jit'");
        let cmd = driver_command();
        assert!(cmd.ends_with(" merge-driver %O %A %B"), "{cmd}");
        assert!(
            cmd.starts_with('/') || cmd.starts_with('\'') || cmd.starts_with("jit "),
            "{cmd}"
        );
    }

    /// Runs git in `dir` with a fixed identity and no signing, isolated from hook variables.
    fn run_git(dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        cmd.arg("-C")
            .arg(dir)
            .args([
                "-c",
                "user.name=Test",
                "-c",
                "user.email=test@example.test",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args);
        for var in REPO_ENV {
            cmd.env_remove(var);
        }
        cmd.output().unwrap()
    }

    fn git_ok(dir: &Path, args: &[&str]) -> String {
        let out = run_git(dir, args);
        assert!(
            out.status.success(),
            "git {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn temp_repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        git_ok(dir.path(), &["init", "-q", "-b", "main"]);
        dir
    }

    #[test]
    fn install_twice_leaves_one_copy_of_each_line_and_sets_the_driver() {
        let repo = temp_repo();
        let root = repo.path();
        std::fs::write(root.join(".gitattributes"), "*.png binary\n").unwrap();
        let first = install(root).unwrap();
        assert!(first.attributes_changed && first.driver_configured && first.driver_changed);
        assert_eq!(first.attributes_path, root.join(".gitattributes"));
        let second = install(root).unwrap();
        assert!(!second.attributes_changed && second.driver_configured && !second.driver_changed);

        let text = std::fs::read_to_string(root.join(".gitattributes")).unwrap();
        assert!(text.starts_with("*.png binary\n"));
        for line in ATTRIBUTE_LINES {
            assert_eq!(count(&text, line), 1, "{line} in {text}");
        }
        assert_eq!(
            git_ok(root, &["config", "--get", "merge.jit.name"]),
            DRIVER_NAME
        );
        assert_eq!(
            git_ok(root, &["config", "--get", "merge.jit.driver"]),
            driver_command()
        );
        let attr = git_ok(
            root,
            &[
                "check-attr",
                "merge",
                "--",
                ".jit/issues/X.json",
                ".jit/events.jsonl",
            ],
        );
        assert_eq!(
            attr,
            ".jit/issues/X.json: merge: jit\n.jit/events.jsonl: merge: union"
        );
    }

    #[test]
    fn the_driver_is_found_in_git_config_text() {
        let yes = [
            "[merge \"jit\"]\n\tname = x\n\tdriver = jit merge-driver %O %A %B\n",
            "[core]\n\tbare = false\n[Merge \"jit\"]\n  Driver=jit\n",
            "[merge.jit]\ndriver = jit\n",
            "[merge \"jit\"] driver = jit\n",
        ];
        for t in yes {
            assert!(config_has_driver(t), "{t}");
        }
        let no = [
            "",
            "[merge \"jit\"]\n\tname = x\n",
            "[merge \"JIT\"]\n\tdriver = x\n",
            "[merge \"other\"]\n\tdriver = x\n[core]\n\tdriver = y\n",
            "# [merge \"jit\"]\n# driver = x\n",
        ];
        for t in no {
            assert!(!config_has_driver(t), "{t}");
        }
    }

    #[test]
    fn a_clone_whose_attributes_name_the_driver_gets_it_registered_once() {
        let repo = temp_repo();
        let root = repo.path();
        let cache = root.join(".jit/cache");
        assert_eq!(ensure_driver(root, &cache), DriverCheck::NotNamed);
        write_attributes(root).unwrap();
        assert_eq!(ensure_driver(root, &cache), DriverCheck::RegisteredNow);
        assert_eq!(
            git_ok(root, &["config", "--get", "merge.jit.driver"]),
            driver_command()
        );
        assert_eq!(ensure_driver(root, &cache), DriverCheck::Registered);
        assert!(
            !cache.join(DRIVER_STAMP).exists(),
            "found in .git/config: no stamp"
        );
    }

    #[test]
    fn install_outside_a_git_checkout_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = install(&dir.path().join("missing")).unwrap_err();
        assert_eq!(err.code(), "not_a_git_repo");
    }

    /// Run by git as the merge driver in [`git_merge_runs_the_driver_field_by_field`]: this test
    /// binary stands in for `jit merge-driver`, with git's `%O %A %B` passed in variables. Run
    /// without them (`cargo test -- --ignored`), it does nothing.
    #[test]
    #[ignore = "run by git as the merge driver"]
    fn merge_driver_shim() {
        let var = |k: &str| std::env::var_os(k).map(PathBuf::from);
        if let (Some(o), Some(a), Some(b)) = (
            var("JIT_TEST_MERGE_O"),
            var("JIT_TEST_MERGE_A"),
            var("JIT_TEST_MERGE_B"),
        ) {
            crate::gitops::merge_files(&o, &a, &b).unwrap();
        }
    }

    /// End to end: two branches edit different fields (and the same set) of one issue file; a
    /// real `git merge`, with the attributes and driver that `install` writes, merges it cleanly,
    /// where git's line merge of the same three versions conflicts.
    #[test]
    fn git_merge_runs_the_driver_field_by_field() {
        let repo = temp_repo();
        let root = repo.path();
        install(root).unwrap();
        let exe = std::env::current_exe().unwrap();
        let shim = format!(
            "JIT_TEST_MERGE_O=%O JIT_TEST_MERGE_A=%A JIT_TEST_MERGE_B=%B {} --exact gitops::install::tests::merge_driver_shim --ignored --quiet",
            shell_quote(exe.to_str().unwrap())
        );
        git_ok(root, &["config", "merge.jit.driver", &shim]);

        let t = |s: &str| Timestamp::parse(s).unwrap();
        let id = IssueId::parse("01J9X2ABCDEFGHJKMNPQRSTVWX").unwrap();
        let rel = format!(".jit/issues/{}.json", id.as_str());
        let path = root.join(&rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let write = |i: &Issue| std::fs::write(&path, i.to_file_bytes().unwrap()).unwrap();
        let mut base = Issue::new(id.clone(), "Fix login".into(), t("2026-01-01T00:00:00Z"));
        base.labels = vec!["bug".into()];
        write(&base);
        git_ok(root, &["add", "-A"]);
        git_ok(root, &["commit", "-q", "-m", "base"]);

        git_ok(root, &["checkout", "-q", "-b", "a"]);
        let mut a = base.clone();
        a.title = "Fix login on Safari".into();
        a.labels.push("safari".into());
        a.updated_at = t("2026-01-01T01:00:00Z");
        a.version = 2;
        write(&a);
        git_ok(root, &["commit", "-q", "-am", "a: title"]);

        git_ok(root, &["checkout", "-q", "main"]);
        git_ok(root, &["checkout", "-q", "-b", "b"]);
        let mut b = base.clone();
        b.priority = Priority::High;
        b.labels.push("urgent".into());
        b.updated_at = t("2026-01-01T02:00:00Z");
        b.version = 2;
        write(&b);
        git_ok(root, &["commit", "-q", "-am", "b: priority"]);

        // Without the driver, git's line merge of these three versions conflicts.
        let dir = tempfile::tempdir().unwrap();
        let stage = |rev: &str, name: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, git_ok(root, &["show", &format!("{rev}:{rel}")]) + "\n").unwrap();
            p.to_str().unwrap().to_string()
        };
        let (sb, sa, sbb) = (
            stage("main", "base"),
            stage("a", "ours"),
            stage("b", "theirs"),
        );
        assert!(
            !run_git(root, &["merge-file", "-p", &sa, &sb, &sbb])
                .status
                .success(),
            "line merge conflicts"
        );

        git_ok(root, &["checkout", "-q", "a"]);
        git_ok(root, &["merge", "-q", "--no-edit", "b"]);
        let merged: Issue = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(merged.title, "Fix login on Safari");
        assert_eq!(merged.priority, Priority::High);
        assert_eq!(merged.labels, ["bug", "safari", "urgent"]);
        assert_eq!(merged.version, 3);
        assert_eq!(merged.updated_at, t("2026-01-01T02:00:00Z"));
        assert!(!merged.context.contains_key(CONFLICTS_KEY));
        assert!(merged.merge_conflicts.is_empty());
        assert_eq!(
            std::fs::read(&path).unwrap(),
            merged.to_file_bytes().unwrap(),
            "canonical"
        );
        assert_eq!(
            git_ok(root, &["status", "--porcelain"]),
            "",
            "merged and committed cleanly"
        );
    }
}
