//! A derived cache from short ids to full ids, the one file `.jit/cache/short.v2`, so that
//! commands given a short id do not list the issues directory (the dominant cost of `show`,
//! `update` or `claim` in a large store).
//!
//! Invariants: an entry is only a hint. A short id is a function of the full id, so an entry is
//! trusted exactly when it names a full id whose short form is the one asked for and whose file
//! exists, and no other entry names a different issue for the same short id; anything else
//! (missing, stale, unreadable, torn, ambiguous) falls back to listing the directory. Writes
//! are best effort and never fsynced: deleting the cache changes no output.
//!
//! Layout: fixed-width lines of [`LINE`] bytes. The first is a header, `jitshort <count>\n`
//! (the count zero-padded to 26 digits); then `count` entries `<short> <ULID>\n` sorted by
//! short id, searched by binary search with positioned reads of single lines; then at most
//! [`TAIL`] lines appended since, in any order, read in one go: entries for issues created
//! since (`<short> <ULID>\n`) and deletions (`<short>-<ULID>\n`). A directory listing rewrites
//! the whole file (temp file and rename) from the names it found, and so does an append that
//! would make the tail longer than [`TAIL`] (then the tail is merged into the sorted part). A
//! write torn by a crash leaves a length that is not a whole number of lines: such a file is
//! not used, and the next write rewrites it.

use crate::model::IssueId;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

const FILE: &str = "short.v2";
/// `<8-char short> <26-char ULID>\n`.
const LINE: usize = 8 + 1 + 26 + 1;
const MAGIC: &[u8] = b"jitshort ";
/// Lines appended after the sorted part before the file is rewritten sorted.
const TAIL: u64 = 512;

fn path(jit_dir: &Path) -> PathBuf {
    jit_dir.join("cache").join(FILE)
}

/// What one line says.
enum Line<'a> {
    Entry(&'a [u8], &'a str),
    Deleted(&'a [u8], &'a str),
}

fn line(b: &[u8]) -> Option<Line<'_>> {
    if b.len() != LINE || b[LINE - 1] != b'\n' {
        return None;
    }
    let short = &b[..8];
    let full = std::str::from_utf8(&b[9..35]).ok()?;
    match b[8] {
        b' ' => Some(Line::Entry(short, full)),
        b'-' => Some(Line::Deleted(short, full)),
        _ => None,
    }
}

/// The number of sorted entries a header announces.
fn header(b: &[u8]) -> Option<u64> {
    if b.len() != LINE || !b.starts_with(MAGIC) || b[LINE - 1] != b'\n' {
        return None;
    }
    std::str::from_utf8(&b[MAGIC.len()..LINE - 1])
        .ok()?
        .parse()
        .ok()
}

/// The opened file's shape: how many sorted entries, how many lines in all.
fn layout(file: &std::fs::File) -> Option<(u64, u64)> {
    let len = file.metadata().ok()?.len();
    if len < LINE as u64 || len % LINE as u64 != 0 {
        return None;
    }
    let mut head = [0u8; LINE];
    file.read_exact_at(&mut head, 0).ok()?;
    let sorted = header(&head)?;
    let lines = len / LINE as u64;
    (sorted < lines).then_some((sorted, lines))
}

/// The full id the cache names for `short`, if the cache is readable, names exactly one
/// issue for it, and that issue's file exists.
pub fn lookup(jit_dir: &Path, issues_dir: &Path, short: &str) -> Option<IssueId> {
    if short.len() != crate::model::id::SHORT_LEN
        || !short.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let file = std::fs::File::open(path(jit_dir)).ok()?;
    let (sorted, lines) = layout(&file)?;
    let key = short.as_bytes();
    let mut found: Vec<String> = Vec::new();
    let mut buf = [0u8; LINE];
    let read = |k: u64, buf: &mut [u8; LINE]| file.read_exact_at(buf, k * LINE as u64).ok();
    // The sorted part: lines 1..=sorted.
    let (mut lo, mut hi) = (1u64, 1 + sorted);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        read(mid, &mut buf)?;
        let Some(Line::Entry(s, _)) = line(&buf) else {
            return None; // not a file this version wrote
        };
        match s.cmp(key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            _ => hi = mid,
        }
    }
    // `lo` is the first entry not below the key: collect every entry equal to it.
    let mut k = lo;
    while k < 1 + sorted {
        read(k, &mut buf)?;
        match line(&buf)? {
            Line::Entry(s, full) if s == key => found.push(full.to_string()),
            _ => break,
        }
        k += 1;
    }
    // The tail, in one read.
    let tail_lines = lines - 1 - sorted;
    let mut deleted: Vec<String> = Vec::new();
    if tail_lines > 0 {
        let mut tail = vec![0u8; (tail_lines as usize) * LINE];
        file.read_exact_at(&mut tail, (1 + sorted) * LINE as u64)
            .ok()?;
        for b in tail.chunks_exact(LINE) {
            match line(b)? {
                Line::Entry(s, full) if s == key => found.push(full.to_string()),
                Line::Deleted(s, full) if s == key => deleted.push(full.to_string()),
                _ => {}
            }
        }
    }
    found.retain(|f| !deleted.contains(f));
    found.sort();
    found.dedup();
    // Two issues sharing a short id (a merge can bring that): the directory listing answers,
    // and reports the ambiguity.
    let [full] = found.as_slice() else {
        return None;
    };
    let id = IssueId::parse(full).ok()?;
    (id.short() == short && issues_dir.join(format!("{id}.json")).is_file()).then_some(id)
}

fn entry_line(id: &IssueId, sep: u8) -> Vec<u8> {
    let mut l = Vec::with_capacity(LINE);
    l.extend_from_slice(id.short().as_bytes());
    l.push(sep);
    l.extend_from_slice(id.as_str().as_bytes());
    l.push(b'\n');
    l
}

/// Writes the whole file atomically: a header and `entries` (sorted here).
fn rewrite(jit_dir: &Path, mut entries: Vec<Vec<u8>>) {
    let d = jit_dir.join("cache");
    if std::fs::create_dir_all(&d).is_err() {
        return;
    }
    entries.sort();
    entries.dedup();
    let mut bytes = Vec::with_capacity((entries.len() + 1) * LINE);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(format!("{:026}\n", entries.len()).as_bytes());
    for e in &entries {
        bytes.extend_from_slice(e);
    }
    let tmp = d.join(format!(".{FILE}.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, &bytes).is_ok() && std::fs::rename(&tmp, path(jit_dir)).is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Rewrites the file from a directory listing (best effort). Also drops the cache layouts of
/// older versions (one file per issue under `short/`, and `short.table`).
pub fn remember_all(jit_dir: &Path, ids: &[IssueId]) {
    rewrite(jit_dir, ids.iter().map(|id| entry_line(id, b' ')).collect());
    let d = jit_dir.join("cache");
    let _ = std::fs::remove_file(d.join("short.table"));
    if d.join("short").is_dir() {
        let _ = std::fs::remove_dir_all(d.join("short"));
    }
}

/// Appends one line, or rewrites the file with the tail merged when it is long, torn or
/// missing (best effort: a failure only costs a directory listing later).
fn append(jit_dir: &Path, new: Vec<u8>) {
    let p = path(jit_dir);
    if let Ok(mut f) = std::fs::OpenOptions::new().append(true).read(true).open(&p)
        && let Some((sorted, lines)) = layout(&f)
        && lines - 1 - sorted < TAIL
    {
        // One write of one whole line: appends never interleave inside a line.
        let _ = f.write_all(&new);
        return;
    }
    let mut entries: Vec<Vec<u8>> = Vec::new();
    let mut deleted: Vec<Vec<u8>> = Vec::new();
    if let Ok(bytes) = std::fs::read(&p)
        && bytes.len() % LINE == 0
        && bytes.len() >= LINE
        && header(&bytes[..LINE]).is_some()
    {
        for b in bytes[LINE..].chunks_exact(LINE) {
            match line(b) {
                Some(Line::Entry(..)) => entries.push(b.to_vec()),
                Some(Line::Deleted(..)) => deleted.push(b.to_vec()),
                None => {}
            }
        }
    }
    match line(&new) {
        Some(Line::Entry(..)) => entries.push(new),
        Some(Line::Deleted(..)) => deleted.push(new),
        None => {}
    }
    // A deletion cancels the entry with the same short id and full id.
    let gone = |e: &Vec<u8>| deleted.iter().any(|d| d[..8] == e[..8] && d[9..] == e[9..]);
    entries.retain(|e| !gone(e));
    rewrite(jit_dir, entries);
}

/// Records an entry for an issue just created or found (best effort).
pub fn remember(jit_dir: &Path, id: &IssueId) {
    append(jit_dir, entry_line(id, b' '));
}

/// Records that an issue was deleted, so its entry is no longer used (best effort).
pub fn forget(jit_dir: &Path, id: &IssueId) {
    if path(jit_dir).is_file() {
        append(jit_dir, entry_line(id, b'-'));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: u128) -> Vec<IssueId> {
        (0..n)
            .map(|k| {
                IssueId::from_ulid(ulid::Ulid::from_parts(
                    1,
                    k.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                ))
            })
            .collect()
    }

    fn touch(issues: &Path, id: &IssueId) {
        std::fs::write(issues.join(format!("{id}.json")), "{}").unwrap();
    }

    #[test]
    fn entries_are_trusted_only_when_true() {
        let tmp = tempfile::tempdir().unwrap();
        let jit = tmp.path();
        let issues = jit.join("issues");
        std::fs::create_dir_all(&issues).unwrap();
        let id = IssueId::parse("01JABCDEFGHJKMNPQRSTVWXYZ0").unwrap();
        remember(jit, &id);
        assert_eq!(
            lookup(jit, &issues, &id.short()),
            None,
            "no file: not trusted"
        );
        touch(&issues, &id);
        assert_eq!(lookup(jit, &issues, &id.short()), Some(id.clone()));
        assert_eq!(lookup(jit, &issues, "../../x"), None);
        assert_eq!(lookup(jit, &issues, "zzzzzzzz"), None);
        // A deletion hides the entry, even while a file of that name is still there.
        forget(jit, &id);
        assert_eq!(lookup(jit, &issues, &id.short()), None);
        // Torn or foreign files are not used, and the next write starts them over.
        std::fs::write(path(jit), "torn").unwrap();
        assert_eq!(lookup(jit, &issues, &id.short()), None);
        remember(jit, &id);
        assert_eq!(lookup(jit, &issues, &id.short()), Some(id.clone()));
        let mut bytes = std::fs::read(path(jit)).unwrap();
        bytes.push(b'x');
        std::fs::write(path(jit), &bytes).unwrap();
        assert_eq!(lookup(jit, &issues, &id.short()), None);
    }

    #[test]
    fn a_listing_and_many_appends_stay_searchable() {
        let tmp = tempfile::tempdir().unwrap();
        let jit = tmp.path();
        let issues = jit.join("issues");
        std::fs::create_dir_all(&issues).unwrap();
        let all = ids(2000);
        for id in &all {
            touch(&issues, id);
        }
        // The old layouts go when a listing rewrites the file.
        std::fs::create_dir_all(jit.join("cache/short")).unwrap();
        std::fs::write(jit.join("cache/short.table"), "x").unwrap();
        remember_all(jit, &all[..777]);
        assert!(!jit.join("cache/short").exists() && !jit.join("cache/short.table").exists());
        // Appends past the tail's limit merge it into the sorted part.
        for id in &all[777..] {
            remember(jit, id);
        }
        let len = std::fs::metadata(path(jit)).unwrap().len();
        assert_eq!(len, 2001 * LINE as u64, "one line per issue and a header");
        let file = std::fs::File::open(path(jit)).unwrap();
        let (sorted, lines) = layout(&file).unwrap();
        assert!(
            lines - 1 - sorted < TAIL && sorted > 777,
            "{sorted} {lines}"
        );
        for id in &all {
            assert_eq!(lookup(jit, &issues, &id.short()), Some(id.clone()));
        }
        // A short id two issues share is not answered from the cache.
        let twin = IssueId::parse(&format!("01ARZ3NDEK{}", &all[5].as_str()[10..])).unwrap();
        touch(&issues, &twin);
        remember(jit, &twin);
        assert_eq!(lookup(jit, &issues, &all[5].short()), None);
        assert_eq!(lookup(jit, &issues, &all[6].short()), Some(all[6].clone()));
        // After a deletion is merged in, the entry is gone from the sorted part too.
        forget(jit, &all[9]);
        for id in &all[..TAIL as usize] {
            remember(jit, id);
        }
        assert_eq!(lookup(jit, &issues, &all[9].short()), None);
        assert_eq!(lookup(jit, &issues, &all[8].short()), Some(all[8].clone()));
    }
}
