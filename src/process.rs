//! Running a shell command for jit: gate checkers and command hooks.
//!
//! Invariants: the command runs through `sh -c` in the directory given, in a process group of
//! its own, with stdin from a file (never a pipe, so a child that does not read it cannot block
//! jit) or `/dev/null`; stdout and stderr go to one temporary file, of which only the tail is
//! kept; past the timeout the whole group is killed, so nothing the command started outlives
//! it. jit never waits on a pipe the child holds, so a child that leaves grandchildren running
//! cannot hang it.
//!
//! The group does not outlive jit either:
//! - SIGTERM, SIGINT or SIGHUP to jit while a command runs is forwarded to the command's group
//!   (which may clean up); what is still running after a grace period is killed, and [`run`]
//!   returns [`Error::Interrupted`]. Outside a command those signals act as they always do.
//! - If jit dies in any way, SIGKILL included, the group is killed: a watchdog in the group (a
//!   subshell of the command's own `sh`) holds the read end of a pipe whose only writer is jit;
//!   when jit's end closes without the all-clear line jit writes after a normal finish, the
//!   watchdog kills its process group. (A process that left the group with `setsid` is beyond
//!   its reach.)

use crate::error::{Error, Result};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a command has to stop after a forwarded signal before its group is killed.
const GRACE: Duration = Duration::from_secs(3);

/// The wrapper every command runs in (`sh -c WRAPPER jit-command COMMAND`): fd 2 arrives as the
/// read end of jit's guard pipe. It is moved to fd 3 for the watchdog, stderr joins stdout, and
/// the command replaces the wrapper (same pid, same exit status).
#[cfg(unix)]
const WRAPPER: &str = "exec 3<&2 2>&1
( trap '' INT TERM HUP; read -r _ <&3 || kill -9 0 ) &
exec 3<&-
exec sh -c \"$1\"";

/// Signals received while a command runs (the number of the last), and whether one runs now.
struct Signals {
    got: Arc<AtomicUsize>,
    /// True while no command runs: a signal then acts as it would without jit's handler.
    idle: Arc<AtomicBool>,
}

/// The handlers for SIGTERM, SIGINT and SIGHUP, installed once per process on first use.
#[cfg(unix)]
fn signals() -> Option<&'static Signals> {
    static S: std::sync::OnceLock<Option<Signals>> = std::sync::OnceLock::new();
    S.get_or_init(|| {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let s = Signals {
            got: Arc::new(AtomicUsize::new(0)),
            idle: Arc::new(AtomicBool::new(true)),
        };
        for sig in [SIGTERM, SIGINT, SIGHUP] {
            // First the default action when idle (jit ends as it always did), then the note.
            signal_hook::flag::register_conditional_default(sig, s.idle.clone()).ok()?;
            signal_hook::flag::register_usize(sig, s.got.clone(), sig as usize).ok()?;
        }
        Some(s)
    })
    .as_ref()
}

#[cfg(not(unix))]
fn signals() -> Option<&'static Signals> {
    None
}

/// Marks a command as running for the signal handlers while it lives.
struct Running(Option<&'static Signals>);

impl Running {
    fn start() -> Self {
        let s = signals();
        if let Some(s) = s {
            s.got.store(0, Ordering::SeqCst);
            s.idle.store(false, Ordering::SeqCst);
        }
        Running(s)
    }

    /// The signal received since the command started, if any.
    fn received(&self) -> Option<i32> {
        self.0
            .map(|s| s.got.load(Ordering::SeqCst))
            .filter(|n| *n != 0)
            .map(|n| n as i32)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(s) = self.0 {
            s.idle.store(true, Ordering::SeqCst);
            // A signal that came while the command ran ends jit now, as it would have.
            let n = s.got.swap(0, Ordering::SeqCst);
            if n != 0 && !std::thread::panicking() {
                let _ = signal_hook::low_level::emulate_default_handler(n as i32);
            }
        }
    }
}

/// Sends `sig` to the process group led by the child.
#[cfg(unix)]
fn signal_group(child: &std::process::Child, sig: i32) {
    if let (Some(pg), Some(sig)) = (
        rustix::process::Pid::from_raw(child.id() as i32),
        rustix::process::Signal::from_named_raw(sig),
    ) {
        let _ = rustix::process::kill_process_group(pg, sig);
    }
}

#[cfg(not(unix))]
fn signal_group(_child: &std::process::Child, _sig: i32) {}

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

/// The signal that interrupted a command of this process, if one did: later commands are not
/// started (jit is on its way out).
static INTERRUPTED: AtomicUsize = AtomicUsize::new(0);

fn interrupted_error(sig: i32, what: &str) -> Error {
    let name = signal_hook::low_level::signal_name(sig).unwrap_or("a signal");
    Error::Interrupted {
        signal: sig,
        message: format!(
            "{what} was stopped: jit received {name}; it was forwarded to the command's process group and nothing was recorded"
        ),
    }
}

/// Runs the command to completion or to its timeout; see the module docs.
pub fn run(shell: &Shell<'_>, tail: usize) -> Result<Finished> {
    let what = &shell.what;
    let earlier = INTERRUPTED.load(Ordering::SeqCst);
    if earlier != 0 {
        return Err(interrupted_error(earlier as i32, what));
    }
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
    cmd.current_dir(shell.cwd)
        .envs(shell.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(stdin)
        .stdout(Stdio::from(out.try_clone().map_err(temp)?));
    // The guard pipe: its read end goes to the wrapper as fd 2; jit keeps the write end
    // (close-on-exec, so no other child inherits it).
    #[cfg(unix)]
    let guard = {
        use std::os::unix::process::CommandExt;
        let (read, write) =
            std::io::pipe().map_err(|e| Error::io(format!("starting {what}"), e))?;
        cmd.arg("-c")
            .arg(WRAPPER)
            .arg("jit-command")
            .arg(shell.command)
            .stderr(Stdio::from(read))
            .process_group(0);
        Some(write)
    };
    #[cfg(not(unix))]
    let guard: Option<std::fs::File> = {
        cmd.arg("-c")
            .arg(shell.command)
            .stderr(Stdio::from(out.try_clone().map_err(temp)?));
        None
    };
    let running = Running::start();
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::io(format!("starting {what}"), e))?;
    drop(cmd); // the parent's copy of the pipe's read end
    let limit = shell.timeout.max(Duration::from_millis(1));
    let mut timed_out = false;
    let mut interrupted: Option<(i32, Instant)> = None;
    let status = loop {
        if interrupted.is_none()
            && let Some(sig) = running.received()
        {
            signal_group(&child, sig);
            interrupted = Some((sig, Instant::now()));
        }
        match child.try_wait() {
            Ok(Some(s)) => break Some(s),
            Ok(None) if interrupted.is_some_and(|(_, at)| at.elapsed() >= GRACE) => {
                kill_group(&mut child);
                break child.wait().ok();
            }
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
    if let Some((sig, _)) = interrupted {
        // Closing the guard without the all-clear: the watchdog kills whatever of the group
        // is left (background jobs of the command included).
        drop(guard);
        kill_group(&mut child);
        // The signal has been dealt with: jit ends through the error, not the default action.
        INTERRUPTED.store(sig as usize, Ordering::SeqCst);
        if let Some(s) = running.0 {
            s.got.store(0, Ordering::SeqCst);
        }
        drop(running);
        return Err(interrupted_error(sig, what));
    }
    drop(running);
    // The all-clear: the watchdog exits and leaves whatever the command left running alone.
    if let Some(mut g) = guard {
        let _ = g.write_all(b"done\n");
    }
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
///
/// A system call, never a `kill` program: no process to start, and no command-line parsing
/// that could read the negative group id as something else.
pub fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    if let Some(pg) = i32::try_from(child.id())
        .ok()
        .filter(|&pid| pid > 1)
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pg, rustix::process::Signal::KILL);
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
