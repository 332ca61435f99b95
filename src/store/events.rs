//! The append-only event log, `.jit/events.jsonl`.
//!
//! Invariants: appends happen under the store lock, in one `write` of whole lines; if the file
//! does not end in a newline (a torn line from a crash), the append starts on a fresh line.
//! Readers tolerate torn and unparsable lines (reporting them), sort by event id and drop
//! duplicate ids, because a git `merge=union` may reorder or repeat lines.

use crate::error::{Error, Result};
use crate::model::Event;
use serde::Serialize;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

/// A line of the log that could not be read.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: usize,
    /// True when it is the last line and has no newline: a crash mid-append.
    pub torn: bool,
    pub message: String,
}

/// Appends events as JSON lines.
pub fn append(path: &Path, events: &[Event]) -> Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let ctx = |e| Error::io(format!("appending to `{}`", path.display()), e);
    // Never through a symbolic link: a cloned repository could point the log at any file.
    let mut f = super::open_no_follow(
        path,
        OpenOptions::new().create(true).read(true).append(true),
    )?;
    let len = f.metadata().map_err(ctx)?.len();
    let mut buf = Vec::with_capacity(256 * events.len());
    if len > 0 {
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(len - 1)).map_err(ctx)?;
        f.read_exact(&mut last).map_err(ctx)?;
        if last[0] != b'\n' {
            buf.push(b'\n');
        }
    }
    for ev in events {
        serde_json::to_writer(&mut buf, ev).map_err(|e| Error::Internal(e.to_string()))?;
        buf.push(b'\n');
    }
    f.write_all(&buf).map_err(ctx)?;
    f.sync_data().map_err(ctx)?;
    Ok(())
}

/// Parses log bytes: events sorted by id with duplicates dropped, plus the lines that failed.
pub fn parse(bytes: &[u8]) -> (Vec<Event>, Vec<BadLine>) {
    let mut events = Vec::new();
    let mut bad = Vec::new();
    let ends_clean = bytes.last().is_none_or(|b| *b == b'\n');
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let n = lines.len();
    for (i, line) in lines.into_iter().enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Event>(line) {
            Ok(e) => events.push(e),
            Err(e) => bad.push(BadLine {
                line: i + 1,
                torn: i + 1 == n && !ends_clean,
                message: e.to_string(),
            }),
        }
    }
    events.sort_by(|a, b| a.id.cmp(&b.id));
    events.dedup_by(|a, b| a.id == b.id);
    (events, bad)
}

/// Reads the whole log (never through a symbolic link).
pub fn read(path: &Path) -> Result<(Vec<Event>, Vec<BadLine>)> {
    let mut f = match super::open_no_follow(path, OpenOptions::new().read(true)) {
        Ok(f) => f,
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Vec::new(), Vec::new()));
        }
        Err(e) => return Err(e),
    };
    let mut b = Vec::new();
    f.read_to_end(&mut b)
        .map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?;
    Ok(parse(&b))
}

/// Rewrites the log without its unreadable lines (sorted, deduplicated). Call under the lock.
pub fn repair(path: &Path) -> Result<usize> {
    let (events, bad) = read(path)?;
    if bad.is_empty() {
        return Ok(0);
    }
    let mut buf = Vec::new();
    for ev in &events {
        serde_json::to_writer(&mut buf, ev).map_err(|e| Error::Internal(e.to_string()))?;
        buf.push(b'\n');
    }
    super::write_atomic(path, &buf)?;
    Ok(bad.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torn_last_line_is_reported_not_fatal() {
        let good = r#"{"id":"01A","ts":"2026-01-01T00:00:00.000Z","type":"issue.created","actor":"human:a"}"#;
        let input = format!("{good}\n{{\"id\":\"01B\",\"ts");
        let (ev, bad) = parse(input.as_bytes());
        assert_eq!(ev.len(), 1);
        assert_eq!(bad.len(), 1);
        assert!(bad[0].torn);
    }

    #[test]
    fn duplicates_and_order() {
        let a = r#"{"id":"01B","ts":"2026-01-01T00:00:00.000Z","type":"x","actor":"human:a"}"#;
        let b = r#"{"id":"01A","ts":"2026-01-01T00:00:00.000Z","type":"y","actor":"human:a"}"#;
        let (ev, bad) = parse(format!("{a}\n{b}\n{a}\n").as_bytes());
        assert!(bad.is_empty());
        assert_eq!(
            ev.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["01A", "01B"]
        );
    }
}
