//! A derived cache from short ids to full ids, under `.jit/cache/short/<short id>`, so that
//! commands given a short id do not list the issues directory (the dominant cost of `show`,
//! `update` or `claim` in a large store).
//!
//! Invariants: an entry is only a hint. A short id is a function of the full id, so an entry is
//! trusted exactly when it names a full id whose short form is the one asked for and whose file
//! exists; anything else (missing, stale, unreadable, torn) falls back to listing the directory.
//! Writes are best effort and never fsynced: deleting the cache changes no output.
//!
//! Besides one entry per issue created or looked up here, `short.table` holds every short id a
//! directory listing found (fixed-width sorted lines `<short> <ULID>\n`), rewritten whenever a
//! short-id lookup had to list the directory, so later lookups of any listed issue are a binary
//! search. Its entries are verified exactly like the per-issue ones.

use crate::model::IssueId;
use std::path::{Path, PathBuf};

fn dir(jit_dir: &Path) -> PathBuf {
    jit_dir.join("cache").join("short")
}

/// The full id an entry names, if the entry is present and still true.
pub fn lookup(jit_dir: &Path, issues_dir: &Path, short: &str) -> Option<IssueId> {
    if short.len() != crate::model::id::SHORT_LEN
        || !short.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let text = std::fs::read_to_string(dir(jit_dir).join(short)).ok()?;
    let id = IssueId::parse(text.trim()).ok()?;
    (id.short() == short && issues_dir.join(format!("{id}.json")).is_file()).then_some(id)
}

const TABLE: &str = "short.table";
/// `<8-char short> <26-char ULID>\n`.
const LINE: usize = 8 + 1 + 26 + 1;

/// Looks `short` up in the table written by the last directory listing: a binary search by
/// positioned reads of single lines, so a lookup reads O(log n) lines, not the table.
pub fn lookup_table(jit_dir: &Path, issues_dir: &Path, short: &str) -> Option<IssueId> {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(jit_dir.join("cache").join(TABLE)).ok()?;
    let len = file.metadata().ok()?.len();
    if len % LINE as u64 != 0 {
        return None;
    }
    let key = short.as_bytes();
    let mut line = [0u8; LINE];
    let (mut lo, mut hi) = (0u64, len / LINE as u64);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        file.read_exact_at(&mut line, mid * LINE as u64).ok()?;
        if line[8] != b' ' || line[LINE - 1] != b'\n' {
            return None; // not a table this version wrote
        }
        match line[..8].cmp(key) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => {
                // Two issues sharing a short id (a merge can bring that): let the directory
                // listing answer, which reports the ambiguity.
                let mut other = [0u8; LINE];
                for k in [mid.checked_sub(1), Some(mid + 1)].into_iter().flatten() {
                    if file.read_exact_at(&mut other, k * LINE as u64).is_ok()
                        && other[..8] == line[..8]
                    {
                        return None;
                    }
                }
                let full = std::str::from_utf8(&line[9..35]).ok()?;
                let id = IssueId::parse(full).ok()?;
                return (id.short() == short && issues_dir.join(format!("{id}.json")).is_file())
                    .then_some(id);
            }
        }
    }
    None
}

/// Rewrites the table from a directory listing (best effort).
pub fn remember_all(jit_dir: &Path, ids: &[IssueId]) {
    let d = jit_dir.join("cache");
    if std::fs::create_dir_all(&d).is_err() {
        return;
    }
    let mut lines: Vec<String> = ids
        .iter()
        .map(|id| format!("{} {}\n", id.short(), id))
        .collect();
    lines.sort();
    let tmp = d.join(format!(".{TABLE}.{}.tmp", std::process::id()));
    if std::fs::write(&tmp, lines.concat()).is_ok() && std::fs::rename(&tmp, d.join(TABLE)).is_err()
    {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Records an entry (best effort: a failure only costs a directory listing later).
pub fn remember(jit_dir: &Path, id: &IssueId) {
    let d = dir(jit_dir);
    if std::fs::create_dir_all(&d).is_err() {
        return;
    }
    let tmp = d.join(format!(".{}.{}.tmp", id.short(), std::process::id()));
    if std::fs::write(&tmp, id.as_str()).is_ok()
        && std::fs::rename(&tmp, d.join(id.short())).is_err()
    {
        let _ = std::fs::remove_file(&tmp);
    }
}

/// Drops an entry (best effort).
pub fn forget(jit_dir: &Path, id: &IssueId) {
    let _ = std::fs::remove_file(dir(jit_dir).join(id.short()));
}

#[cfg(test)]
mod tests {
    use super::*;

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
        std::fs::write(issues.join(format!("{id}.json")), "{}").unwrap();
        assert_eq!(lookup(jit, &issues, &id.short()), Some(id.clone()));
        // A lying entry (another id under this short name) is ignored.
        std::fs::write(dir(jit).join(id.short()), "01JABCDEFGHJKMNPQRSTVWXYZ1").unwrap();
        assert_eq!(lookup(jit, &issues, &id.short()), None);
        std::fs::write(dir(jit).join(id.short()), "garbage").unwrap();
        assert_eq!(lookup(jit, &issues, &id.short()), None);
        assert_eq!(lookup(jit, &issues, "../../x"), None);
        forget(jit, &id);
        assert!(!dir(jit).join(id.short()).exists());
    }

    #[test]
    fn table_lookups_are_verified() {
        let tmp = tempfile::tempdir().unwrap();
        let jit = tmp.path();
        let issues = jit.join("issues");
        std::fs::create_dir_all(&issues).unwrap();
        let ids: Vec<IssueId> = [
            "01JABCDEFGHJKMNPQRSTVWXYZ0",
            "01JABCDEFGHJKMNPQRSTVWXY10",
            "01JABCDEFGHJKMNPQRSTV00000",
        ]
        .iter()
        .map(|s| IssueId::parse(s).unwrap())
        .collect();
        for id in &ids[..2] {
            std::fs::write(issues.join(format!("{id}.json")), "{}").unwrap();
        }
        remember_all(jit, &ids);
        assert_eq!(
            lookup_table(jit, &issues, &ids[0].short()),
            Some(ids[0].clone())
        );
        assert_eq!(
            lookup_table(jit, &issues, &ids[1].short()),
            Some(ids[1].clone())
        );
        assert_eq!(
            lookup_table(jit, &issues, &ids[2].short()),
            None,
            "no file: not trusted"
        );
        assert_eq!(lookup_table(jit, &issues, "zzzzzzzz"), None);
        std::fs::write(jit.join("cache").join(TABLE), "torn").unwrap();
        assert_eq!(lookup_table(jit, &issues, &ids[0].short()), None);
        // Every one of many listed issues is found by the binary search.
        let many: Vec<IssueId> = (0..777u128)
            .map(|k| {
                IssueId::from_ulid(ulid::Ulid::from_parts(
                    1,
                    k.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                ))
            })
            .collect();
        for id in &many {
            std::fs::write(issues.join(format!("{id}.json")), "{}").unwrap();
        }
        remember_all(jit, &many);
        for id in &many {
            assert_eq!(lookup_table(jit, &issues, &id.short()), Some(id.clone()));
        }
        // A short id two issues share is not answered from the table.
        let twin = IssueId::parse(&format!("01ARZ3NDEK{}", &many[5].as_str()[10..])).unwrap();
        std::fs::write(issues.join(format!("{twin}.json")), "{}").unwrap();
        let mut with_twin = many.clone();
        with_twin.push(twin);
        remember_all(jit, &with_twin);
        assert_eq!(lookup_table(jit, &issues, &many[5].short()), None);
        assert_eq!(
            lookup_table(jit, &issues, &many[6].short()),
            Some(many[6].clone())
        );
    }
}
