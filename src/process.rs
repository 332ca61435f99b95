//! Running a shell command for jit: gate checkers and command hooks.
//!
//! Invariants: the command runs through `sh -c` in the directory given, in a process group of
//! its own, with stdin from a file (never a pipe, so a child that does not read it cannot block
//! jit) or `/dev/null`; stdout and stderr go to one temporary file, of which only the tail is
//! kept; past the timeout the whole group is killed, so nothing the command started outlives
//! it. jit never waits on a pipe the child holds, so a child that leaves grandchildren running
//! cannot hang it.

use crate::error::{Error, Result};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One command to run.
#[derive(Debug, Clone)]
pub struct Shell<'a> {
    /// The `sh -c` text.
    pub command: &'a str,
    /// Working directory (the repository root).
    pub cwd: &'a Path,
    /// Extra environment variables.
    pub env: Vec<(&'static str, String)>,
    /// When set, the command starts from these variables (and `env`) only, not from jit's whole
    /// environment (a gate that declares what it passes on).
    pub only_env: Option<Vec<(String, String)>>,
    /// Bytes fed on stdin (None: `/dev/null`).
    pub stdin: Option<&'a [u8]>,
    /// Killed (with its whole process group) after this long.
    pub timeout: Duration,
    /// What it is, for error messages: "the checker of gate `tests`".
    pub what: String,
}

/// How it ended.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The exit code; None when it was killed by a signal or timed out.
    pub exit_code: Option<i32>,
    /// True when jit killed it at the timeout.
    pub timed_out: bool,
    pub duration_ms: u64,
    /// The last `tail` bytes of stdout and stderr combined, as text with control characters
    /// other than newline and tab removed.
    pub output: String,
}

impl Finished {
    /// Exit code 0, in time.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out
    }
}

/// Runs the command to completion or to its timeout; see the module docs.
pub fn run(shell: &Shell<'_>, tail: usize) -> Result<Finished> {
    let what = &shell.what;
    let temp = |e| Error::io(format!("creating a file for the output of {what}"), e);
    let mut out = tempfile::tempfile().map_err(temp)?;
    let stdin = match shell.stdin {
        Some(bytes) => {
            let mut f = tempfile::tempfile().map_err(temp)?;
            f.write_all(bytes)
                .and_then(|()| f.seek(SeekFrom::Start(0)).map(|_| ()))
                .map_err(|e| Error::io(format!("writing the input of {what}"), e))?;
            Stdio::from(f)
        }
        None => Stdio::null(),
    };
    let mut cmd = Command::new("sh");
    if let Some(vars) = &shell.only_env {
        cmd.env_clear().envs(vars.iter().map(|(k, v)| (k, v)));
    }
    cmd.arg("-c")
        .arg(shell.command)
        .current_dir(shell.cwd)
        .envs(shell.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(stdin)
        .stdout(Stdio::from(out.try_clone().map_err(temp)?))
        .stderr(Stdio::from(out.try_clone().map_err(temp)?));
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("starting {what}"), e))?;
    let limit = shell.timeout.max(Duration::from_millis(1));
    let mut timed_out = false;
    let status = loop {
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if start.elapsed() >= limit => {
                timed_out = true;
                kill_group(&mut child);
                break child.wait().ok();
            }
            // Quick commands are noticed within a millisecond; slow ones cost a wake-up per 10 ms.
            Ok(None) => std::thread::sleep(if start.elapsed() < Duration::from_millis(50) {
                Duration::from_millis(1)
            } else {
                Duration::from_millis(10)
            }),
            Err(e) => return Err(Error::io(format!("waiting for {what}"), e)),
        }
    };
    let duration_ms = start.elapsed().as_millis() as u64;
    let len = out.seek(SeekFrom::End(0)).unwrap_or(0);
    let from = len.saturating_sub(tail as u64);
    let mut buf = Vec::new();
    if out.seek(SeekFrom::Start(from)).is_ok() {
        let _ = out.read_to_end(&mut buf);
    }
    let mut output = String::from_utf8_lossy(&buf).into_owned();
    output.retain(|c| !c.is_control() || c == '\n' || c == '\t');
    Ok(Finished {
        exit_code: if timed_out {
            None
        } else {
            status.and_then(|s| s.code())
        },
        timed_out,
        duration_ms,
        output,
    })
}

/// Kills the child's whole process group (it leads one: `process_group(0)`), then the child.
pub fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        // The group id is the child's pid. `--` is essential: without it `kill` may read
        // `-<pgid>` as an option or a signal.
        let pgid = child.id();
        if pgid > 1 {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{pgid}")])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shell<'a>(command: &'a str, dir: &'a Path, stdin: Option<&'a [u8]>) -> Shell<'a> {
        Shell {
            command,
            cwd: dir,
            env: vec![("JIT_TEST_VALUE", "v1".into())],
            only_env: None,
            stdin,
            timeout: Duration::from_secs(20),
            what: "a test command".into(),
        }
    }

    #[test]
    fn feeds_stdin_sets_env_and_keeps_the_tail() {
        let dir = tempfile::tempdir().unwrap();
        let f = run(
            &shell(
                "cat; echo \" $JIT_TEST_VALUE $(pwd)\"; exit 3",
                dir.path(),
                Some(b"hello"),
            ),
            4096,
        )
        .unwrap();
        assert_eq!(f.exit_code, Some(3));
        assert!(!f.timed_out && !f.success());
        let canon = std::fs::canonicalize(dir.path()).unwrap();
        assert_eq!(f.output, format!("hello v1 {}\n", canon.display()));
        let f = run(&shell("printf 'abcdef'", dir.path(), None), 3).unwrap();
        assert_eq!(f.output, "def");
        assert!(f.success());
    }
}
