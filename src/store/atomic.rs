//! Atomic file replacement and the advisory store lock.
//!
//! Invariants: a file written through [`write_atomic`] is either its old or its new content,
//! never a mix; temp files start with `.` and end with `.tmp`, so no reader takes them for an
//! issue. The [`StoreLock`] is an OS advisory lock, released by the kernel if the process dies.

use crate::error::{Error, Result};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename, fsync dir.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Internal(format!("no parent for {}", path.display())))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(format!("creating a temp file in `{}`", dir.display()), e))?;
    let mode = match std::fs::metadata(path) {
        Ok(m) => m.permissions(),
        Err(_) => default_permissions(tmp.as_file())
            .map_err(|e| Error::io(format!("reading `{}`", dir.display()), e))?,
    };
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().set_permissions(mode))
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(format!("replacing `{}`", path.display()), e.error))?;
    sync_dir(dir);
    Ok(())
}

/// Opens `path` without following a symbolic link at its end (`O_NOFOLLOW`): a link is
/// refused as `corrupt_file` naming it, never opened, whatever it points to.
pub fn open_no_follow(path: &Path, opts: &mut OpenOptions) -> Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    opts.open(path).map_err(|e| {
        let looped = e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error());
        let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
        if looped || link {
            super::link_refused(path)
        } else {
            Error::io(format!("opening `{}`", path.display()), e)
        }
    })
}

/// From this many files on, a transaction writes them with [`write_batch`].
pub const BATCH: usize = 32;

/// Writes many files atomically with one flush instead of one per file: each goes to a temp file
/// in its directory (in parallel), then one `syncfs` makes them all durable (a `sync_all` per file
/// where there is no `syncfs`), then each is renamed over its target and each directory synced
/// once. A reader sees every file old or new, never torn, as with [`write_atomic`].
pub fn write_batch(files: &[(PathBuf, Vec<u8>)]) -> Result<()> {
    let temps = super::in_parallel(files, 64, |part| {
        part.iter()
            .map(|(path, bytes)| -> Result<(tempfile::TempPath, PathBuf)> {
                let dir = path
                    .parent()
                    .ok_or_else(|| Error::Internal(format!("no parent for {}", path.display())))?;
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
                let mut tmp = tempfile::Builder::new()
                    .prefix(&format!(".{name}."))
                    .suffix(".tmp")
                    .tempfile_in(dir)
                    .map_err(|e| {
                        Error::io(format!("creating a temp file in `{}`", dir.display()), e)
                    })?;
                let mode = match std::fs::metadata(path) {
                    Ok(m) => m.permissions(),
                    Err(_) => default_permissions(tmp.as_file())
                        .map_err(|e| Error::io(format!("reading `{}`", dir.display()), e))?,
                };
                tmp.write_all(bytes)
                    .and_then(|_| tmp.as_file().set_permissions(mode))
                    .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))?;
                #[cfg(not(target_os = "linux"))]
                tmp.as_file()
                    .sync_all()
                    .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))?;
                Ok((tmp.into_temp_path(), path.clone()))
            })
            .collect::<Vec<_>>()
    })
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    let mut dirs: Vec<&Path> = files.iter().filter_map(|(p, _)| p.parent()).collect();
    dirs.sort();
    dirs.dedup();
    #[cfg(target_os = "linux")]
    if let Some(dir) = dirs.first() {
        let d =
            File::open(dir).map_err(|e| Error::io(format!("opening `{}`", dir.display()), e))?;
        rustix::fs::syncfs(&d).map_err(|e| {
            Error::io(
                format!("flushing `{}`", dir.display()),
                std::io::Error::from_raw_os_error(e.raw_os_error()),
            )
        })?;
    }
    for (tmp, path) in temps {
        tmp.persist(&path)
            .map_err(|e| Error::io(format!("replacing `{}`", path.display()), e.error))?;
    }
    for d in dirs {
        sync_dir(d);
    }
    Ok(())
}

/// Permissions for a new file: `rw-r--r--` on Unix (a temp file starts as `rw-------`).
#[cfg(unix)]
fn default_permissions(_tmp: &File) -> std::io::Result<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::Permissions::from_mode(0o644))
}

/// Permissions for a new file: as the platform creates them.
#[cfg(not(unix))]
fn default_permissions(tmp: &File) -> std::io::Result<std::fs::Permissions> {
    tmp.metadata().map(|m| m.permissions())
}

/// Flushes a directory entry change (rename, unlink) to disk. Best effort: not every file
/// system supports syncing a directory.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// The exclusive advisory lock on `.jit/lock`, held for a whole read-check-write.
#[derive(Debug)]
pub struct StoreLock {
    file: File,
    path: PathBuf,
}

impl StoreLock {
    /// Blocks until the lock is ours.
    pub fn acquire(path: &Path) -> Result<Self> {
        let file = open_no_follow(
            path,
            OpenOptions::new()
                .create(true)
                .truncate(false)
                .read(true)
                .write(true),
        )?;
        file.lock()
            .map_err(|e| Error::io(format!("locking `{}`", path.display()), e))?;
        Ok(StoreLock {
            file,
            path: path.to_path_buf(),
        })
    }
}

impl Drop for StoreLock {
    fn drop(&mut self) {
        if let Err(e) = self.file.unlock() {
            // The kernel releases it when the file closes anyway; say so only in debug builds.
            debug_assert!(false, "unlock {}: {e}", self.path.display());
        }
    }
}
