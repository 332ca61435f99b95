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

/// From this many files on, a transaction writes them as one batch: temp files in parallel,
/// one `syncfs` instead of one flush per file (see [`super::journal`]).
pub const BATCH: usize = 32;

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

impl StoreLock {
    /// The locked file itself (the store lock also holds the journal of the transaction in
    /// flight, see [`super::journal`]).
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Takes the lock if no other process holds it; `None` when one does.
    pub fn try_acquire(path: &Path) -> Result<Option<Self>> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(format!("opening lock file `{}`", path.display()), e))?;
        match file.try_lock() {
            Ok(()) => Ok(Some(StoreLock {
                file,
                path: path.to_path_buf(),
            })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(Error::io(format!("locking `{}`", path.display()), e))
            }
        }
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
