//! Reading source files with bounds: sizes are checked before anything is read into memory,
//! text must be UTF-8 (a byte-order mark is dropped; UTF-16 is named and refused), and a source
//! directory is walked without ever following a symbolic link or leaving the directory.
//!
//! Invariant: every refusal here is an `invalid_import` error that names the file (and the line
//! where there is one); nothing is written before these checks pass.

use super::invalid;
use crate::error::{Error, Result};
use serde_json::json;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest single source file read (a JSONL store, a CSV export, a `gh` dump).
pub const MAX_FILE: u64 = 256 * 1024 * 1024;
/// The largest file inside a source directory (one task, one issue).
pub const MAX_ENTRY: u64 = 16 * 1024 * 1024;
/// The most bytes read from a source directory in all.
pub const MAX_TOTAL: u64 = 512 * 1024 * 1024;
/// The most records one import takes.
pub const MAX_RECORDS: usize = 500_000;
/// The most entries listed in one source directory.
pub const MAX_ENTRIES: usize = 500_000;

/// Reads the file the user named, refusing anything larger than `limit`.
pub fn file(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let f = std::fs::File::open(path).map_err(|e| open_error(path, e))?;
    let meta = f
        .metadata()
        .map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?;
    if meta.is_dir() {
        return Err(invalid(
            path,
            "is a directory; give the file".into(),
            json!({}),
        ));
    }
    bounded(f, path, limit)
}

fn bounded(f: std::fs::File, path: &Path, limit: u64) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?;
    if buf.len() as u64 > limit {
        return Err(invalid(
            path,
            format!("is larger than the {limit} bytes an import reads"),
            json!({ "limit": limit }),
        ));
    }
    Ok(buf)
}

fn open_error(path: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::NotFound {
        Error::invalid("file", format!("`{}` does not exist", path.display()))
    } else {
        Error::io(format!("reading `{}`", path.display()), e)
    }
}

/// Decodes text: UTF-8, a leading byte-order mark dropped. Invalid bytes are refused with the
/// line they are on; UTF-16 (with its mark) is named.
pub fn text(path: &Path, bytes: Vec<u8>) -> Result<String> {
    if bytes.starts_with(&[0xff, 0xfe]) || bytes.starts_with(&[0xfe, 0xff]) {
        return Err(invalid(
            path,
            "is UTF-16 text; save it as UTF-8".into(),
            json!({}),
        ));
    }
    let bytes = match bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..at].iter().filter(|b| **b == b'\n').count() + 1;
        invalid(
            path,
            format!("line {line}: not UTF-8 text"),
            json!({ "rows": [{ "path": path, "line": line, "field": "encoding", "message": "not UTF-8 text" }] }),
        )
    })
}

/// A directory the import reads from: its canonical path, so nothing read can be outside it.
#[derive(Debug, Clone)]
pub struct Root {
    /// As the user gave it (for messages).
    pub shown: PathBuf,
    real: PathBuf,
    /// Bytes read so far from this root and its sub-directories (one budget).
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

/// One regular file found in a source directory.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The path relative to the root, `/`-separated (for messages and `context.source_path`).
    pub rel: String,
    pub path: PathBuf,
}

impl Root {
    /// Opens a directory the user named (it may itself be a symbolic link: the user chose it).
    pub fn open(dir: &Path) -> Result<Self> {
        let real = std::fs::canonicalize(dir).map_err(|e| open_error(dir, e))?;
        if !real.is_dir() {
            return Err(invalid(
                dir,
                "is not a directory; give the directory".into(),
                json!({}),
            ));
        }
        Ok(Root {
            shown: dir.to_path_buf(),
            real,
            read: Default::default(),
        })
    }

    /// The sub-directory `rel` (plain names only), if it is a real directory inside the root.
    /// A symbolic link there is refused, never followed.
    pub fn subdir(&self, rel: &str) -> Result<Option<Root>> {
        let mut path = self.real.clone();
        for part in rel.split('/') {
            if part.is_empty() || part == "." || part == ".." {
                return Err(Error::Internal(format!("bad source sub-directory `{rel}`")));
            }
            path.push(part);
            match std::fs::symlink_metadata(&path) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(invalid(
                        &self.shown.join(rel),
                        "is a symbolic link; an import never follows links out of the directory it is given".into(),
                        json!({ "path": self.shown.join(rel) }),
                    ));
                }
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Ok(None),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                Err(e) => return Err(Error::io(format!("reading `{}`", path.display()), e)),
            }
        }
        Ok(Some(Root {
            shown: self.shown.join(rel),
            real: path,
            read: self.read.clone(),
        }))
    }

    /// The regular files directly in this directory, sorted by name. Symbolic links are refused
    /// (an error naming them); sub-directories are returned separately for the caller to judge.
    pub fn files(&self) -> Result<(Vec<Entry>, Vec<String>)> {
        let rd = std::fs::read_dir(&self.real)
            .map_err(|e| Error::io(format!("listing `{}`", self.shown.display()), e))?;
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        for (n, entry) in rd.enumerate() {
            if n >= MAX_ENTRIES {
                return Err(invalid(
                    &self.shown,
                    format!("has more than {MAX_ENTRIES} entries"),
                    json!({}),
                ));
            }
            let entry =
                entry.map_err(|e| Error::io(format!("listing `{}`", self.shown.display()), e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str().map(str::to_string) else {
                return Err(invalid(
                    &self.shown.join(&name),
                    "has a file name that is not UTF-8".into(),
                    json!({}),
                ));
            };
            let ty = entry
                .file_type()
                .map_err(|e| Error::io(format!("reading `{}`", entry.path().display()), e))?;
            if ty.is_symlink() {
                return Err(invalid(
                    &self.shown.join(&name),
                    "is a symbolic link; an import never follows links out of the directory it is given".into(),
                    json!({ "path": self.shown.join(&name) }),
                ));
            }
            if ty.is_dir() {
                dirs.push(name);
            } else if ty.is_file() {
                files.push(Entry {
                    rel: name.clone(),
                    path: self.real.join(&name),
                });
            } else {
                dirs.push(name); // sockets, fifos: reported by the caller like a directory
            }
        }
        files.sort_by(|a, b| a.rel.cmp(&b.rel));
        dirs.sort();
        Ok((files, dirs))
    }

    /// The path of `rel` relative to `base` for messages (`tasks/task-1 - x.md`).
    pub fn rel(&self, base: &Root, name: &str) -> String {
        let sub = self
            .real
            .strip_prefix(&base.real)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if sub.is_empty() {
            name.to_string()
        } else {
            format!("{sub}/{name}")
        }
    }

    /// Reads one file found by [`Root::files`], bounded per file and in total (one budget for
    /// the root and its sub-directories).
    pub fn read(&self, entry: &Entry) -> Result<Vec<u8>> {
        // Opened without following a link: an entry replaced by a symlink since the listing is
        // refused by the kernel.
        let f = open_nofollow(&entry.path).map_err(|e| {
            if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
                invalid(
                    &self.shown.join(&entry.rel),
                    "is a symbolic link; an import never follows links".into(),
                    json!({}),
                )
            } else {
                open_error(&entry.path, e)
            }
        })?;
        let bytes = bounded(f, &self.shown.join(&entry.rel), MAX_ENTRY)?;
        let total = self.read.get() + bytes.len() as u64;
        self.read.set(total);
        if total > MAX_TOTAL {
            return Err(invalid(
                &self.shown,
                format!("holds more than the {MAX_TOTAL} bytes an import reads"),
                json!({ "limit": MAX_TOTAL }),
            ));
        }
        Ok(bytes)
    }
}

#[cfg(unix)]
fn open_nofollow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
}

#[cfg(not(unix))]
fn open_nofollow(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The lines of a JSON Lines text: (1-based line number, line without its `\r\n`), skipping
/// blank lines.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.split('\n').enumerate().filter_map(|(i, l)| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        (!l.trim().is_empty()).then_some((i + 1, l))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_drops_a_bom_and_names_the_bad_line() {
        let p = Path::new("x");
        assert_eq!(text(p, b"\xef\xbb\xbfa\nb".to_vec()).unwrap(), "a\nb");
        let e = text(p, b"a\nb\n\xffc".to_vec()).unwrap_err();
        assert!(e.to_string().contains("line 3"), "{e}");
        assert!(
            text(p, b"\xff\xfea\0".to_vec())
                .unwrap_err()
                .to_string()
                .contains("UTF-16")
        );
    }

    #[test]
    fn lines_skip_blanks_and_strip_cr() {
        let v: Vec<_> = lines("a\r\n\n  \nb").collect();
        assert_eq!(v, [(1, "a"), (4, "b")]);
    }
}
