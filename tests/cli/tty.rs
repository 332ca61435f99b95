//! Running `jit` on a real pseudo-terminal of a given size: what a person at a terminal sees
//! (tables fitted to the width, colour, the editor started with the terminal).

use rustix::fs::OFlags;
use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
use rustix::termios::{Winsize, tcsetwinsize};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::process::Command;

/// What a process printed on the terminal (stdout and stderr together, line ends as `\n`) and
/// its exit code.
pub struct Screen {
    pub text: String,
    pub code: i32,
}

/// Runs `cmd` with stdin, stdout and stderr on a new pseudo-terminal `cols` wide.
pub fn run(mut cmd: Command, cols: u16) -> Screen {
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(OFlags::NOCTTY.bits() as i32)
        .open(name.to_str().expect("pty name"))
        .expect("open the pty");
    tcsetwinsize(
        &slave,
        Winsize {
            ws_row: 40,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )
    .expect("set the window size");
    cmd.stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave.try_clone().unwrap());
    let mut child = cmd.spawn().expect("jit starts");
    drop(slave);
    drop(cmd);
    let mut reader = std::fs::File::from(master);
    let collect = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        // Reading the master ends with EIO once every holder of the terminal has exited.
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    });
    let status = child.wait().expect("jit runs");
    let bytes = collect.join().expect("reader");
    Screen {
        text: String::from_utf8_lossy(&bytes).replace("\r\n", "\n"),
        code: status.code().expect("jit was killed by a signal"),
    }
}
