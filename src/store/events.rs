//! The append-only event log, `.jit/events.jsonl`.
//!
//! Invariants: appends happen under the store lock, in one `write` of whole lines; if the file
//! does not end in a newline (a torn line from a crash), the append starts on a fresh line.
//! Readers tolerate torn and unparsable lines (reporting them), sort by event id and drop
//! duplicate ids, because a git `merge=union` may reorder or repeat lines.

use crate::error::{Error, Result};
use crate::model::Event;
use serde::Serialize;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::Path;

/// The longest event line read; a longer one is unreadable (jit never writes one: texts are
/// limited to 256 KiB).
pub const MAX_LINE: usize = 16 * 1024 * 1024;
/// How much of the log a reader holds at a time.
const BLOCK: usize = 64 * 1024;

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

/// What a [`scan`] found besides the events.
#[derive(Debug, Default)]
pub struct Scanned {
    /// Lines read (blank ones included), up to where the scan stopped.
    pub lines: usize,
    /// Lines that are not events.
    pub bad: Vec<BadLine>,
}

/// Calls `line` with each line of the log in file order (1-based number, bytes without the
/// newline, and whether it is an unterminated last line), holding one line at a time; a line
/// longer than [`MAX_LINE`] comes as `Err` with its length in bytes (newline included) and is
/// skipped. Stops when `line` breaks. Returns
/// the number of lines read.
pub fn for_each_line(
    path: &Path,
    mut line: impl FnMut(usize, std::result::Result<&[u8], usize>, bool) -> ControlFlow<()>,
) -> Result<usize> {
    let ctx = |e| Error::io(format!("reading `{}`", path.display()), e);
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(ctx(e)),
    };
    let mut reader = BufReader::with_capacity(BLOCK, file);
    let mut buf = Vec::with_capacity(4096);
    let mut n = 0;
    loop {
        buf.clear();
        let got = (&mut reader)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(ctx)?;
        if got == 0 {
            return Ok(n);
        }
        n += 1;
        let flow = if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
            // Too long: skip the rest of it without holding it.
            let skipped = reader.skip_until(b'\n').map_err(ctx)?;
            line(n, Err(buf.len() + skipped), false)
        } else {
            let terminated = buf.last() == Some(&b'\n');
            let text = if terminated {
                &buf[..buf.len() - 1]
            } else {
                &buf[..]
            };
            line(n, Ok(text), !terminated)
        };
        if flow.is_break() {
            return Ok(n);
        }
    }
}

/// Parses one line: `None` for a blank one.
fn parse_line(
    n: usize,
    line: std::result::Result<&[u8], usize>,
    torn: bool,
) -> Option<std::result::Result<Event, BadLine>> {
    match line {
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => None,
        Ok(bytes) => Some(serde_json::from_slice::<Event>(bytes).map_err(|e| BadLine {
            line: n,
            torn,
            message: e.to_string(),
        })),
        Err(len) => Some(Err(BadLine {
            line: n,
            torn: false,
            message: format!("a line of {len} bytes, longer than the {MAX_LINE} an event may be"),
        })),
    }
}

/// Reads the log a block at a time, in file order (not sorted, duplicates not dropped: the
/// caller does what it needs), calling `f` with each event; stops when `f` breaks.
pub fn scan(path: &Path, mut f: impl FnMut(Event) -> ControlFlow<()>) -> Result<Scanned> {
    let mut bad = Vec::new();
    let lines = for_each_line(path, |n, line, torn| match parse_line(n, line, torn) {
        Some(Ok(e)) => f(e),
        Some(Err(b)) => {
            bad.push(b);
            ControlFlow::Continue(())
        }
        None => ControlFlow::Continue(()),
    })?;
    Ok(Scanned { lines, bad })
}

/// The end of the log as [`tail`] read it.
#[derive(Debug, Default)]
pub struct Tail {
    /// The events found, sorted by id, duplicates dropped.
    pub events: Vec<Event>,
    /// Unreadable lines among those read (numbered from the start of the file).
    pub bad: Vec<BadLine>,
    /// The log's length when read: a follower continues from here.
    pub end: u64,
    /// The bytes after the last newline (a line being written, or torn by a crash).
    pub partial: Vec<u8>,
}

/// Reads the log backwards from its end until `n` distinct events that `keep` accepts are
/// found (or the start is reached): the last `n` such events appended to this file (after a
/// git merge, the merged-in lines come last). Holds a block and the events kept.
pub fn tail(path: &Path, n: usize, keep: impl Fn(&Event) -> bool) -> Result<Tail> {
    let ctx = |e| Error::io(format!("reading `{}`", path.display()), e);
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Tail::default()),
        Err(e) => return Err(ctx(e)),
    };
    let end = file.metadata().map_err(ctx)?.len();
    let mut out = Tail {
        end,
        ..Tail::default()
    };
    let mut found: std::collections::BTreeMap<String, Event> = Default::default();
    // Bytes before the first newline of what was read so far: the end of an earlier line.
    let mut head: Vec<u8> = Vec::new();
    let mut pos = end;
    let mut first = true;
    // Bad lines are numbered from the end here, and renumbered from the start once known.
    let mut bad_from_end: Vec<(usize, String)> = Vec::new();
    let mut from_end = 0usize;
    let mut too_long = false;
    while pos > 0 && found.len() < n {
        let from = pos.saturating_sub(BLOCK as u64);
        let mut block = vec![0u8; (pos - from) as usize];
        file.seek(SeekFrom::Start(from)).map_err(ctx)?;
        file.read_exact(&mut block).map_err(ctx)?;
        pos = from;
        block.extend_from_slice(&head);
        head.clear();
        let mut lines: Vec<&[u8]> = block.split(|b| *b == b'\n').collect();
        if first {
            // After the last newline: not a complete line yet.
            let last = lines.pop().unwrap_or_default();
            out.partial = last.to_vec();
            first = false;
        }
        if pos > 0 {
            let earliest = lines.remove(0);
            if earliest.len() > MAX_LINE {
                too_long = true; // skip it: held no longer than one block beyond the limit
            } else {
                head = earliest.to_vec();
            }
        }
        for line in lines.into_iter().rev() {
            if found.len() >= n {
                break;
            }
            from_end += 1;
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            match serde_json::from_slice::<Event>(line) {
                Ok(e) if keep(&e) => {
                    found.insert(e.id.clone(), e);
                }
                Ok(_) => {}
                Err(e) => bad_from_end.push((from_end, e.to_string())),
            }
        }
        if too_long {
            from_end += 1;
            bad_from_end.push((
                from_end,
                format!("a line longer than the {MAX_LINE} bytes an event may be"),
            ));
            too_long = false;
        }
    }
    if pos == 0 && !head.is_empty() && found.len() < n {
        from_end += 1;
        match serde_json::from_slice::<Event>(&head) {
            Ok(e) if keep(&e) => {
                found.insert(e.id.clone(), e);
            }
            Ok(_) => {}
            Err(e) => bad_from_end.push((from_end, e.to_string())),
        }
    }
    if !bad_from_end.is_empty() {
        // Rare: count the lines once to number them as an editor would.
        let total = for_each_line(path, |_, _, _| ControlFlow::Continue(()))?;
        let complete = total - usize::from(!out.partial.is_empty());
        for (k, message) in bad_from_end {
            out.bad.push(BadLine {
                line: complete + 1 - k,
                torn: false,
                message,
            });
        }
        out.bad.sort_by_key(|b| b.line);
    }
    out.events = found.into_values().collect();
    Ok(out)
}

/// Rewrites the log without its unreadable lines, in the same order, a block at a time; the
/// lines taken out are kept in `events.jsonl.unreadable-<ms>` beside it, so nothing is lost.
/// Call under the lock. Returns how many lines were taken out.
pub fn repair(path: &Path) -> Result<usize> {
    let dir = path
        .parent()
        .ok_or_else(|| Error::Internal(format!("no parent for {}", path.display())))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".events.jsonl.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io(format!("creating a temp file in `{}`", dir.display()), e))?;
    let mut aside: Vec<u8> = Vec::new();
    let mut taken = 0;
    let mut werr: Option<std::io::Error> = None;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        for_each_line(path, |n, line, torn| {
            let good = match parse_line(n, line, torn) {
                None => return ControlFlow::Continue(()),
                Some(r) => r.is_ok(),
            };
            let res = match line {
                Ok(bytes) if good => w.write_all(bytes).and_then(|_| w.write_all(b"\n")),
                Ok(bytes) => {
                    taken += 1;
                    aside.extend_from_slice(format!("line {n}: ").as_bytes());
                    aside.extend_from_slice(bytes);
                    aside.push(b'\n');
                    Ok(())
                }
                Err(len) => {
                    taken += 1;
                    aside.extend_from_slice(
                        format!("line {n}: ({len} bytes, not kept)\n").as_bytes(),
                    );
                    Ok(())
                }
            };
            match res {
                Ok(()) => ControlFlow::Continue(()),
                Err(e) => {
                    werr = Some(e);
                    ControlFlow::Break(())
                }
            }
        })?;
        if let Some(e) = werr.take() {
            return Err(Error::io(format!("writing `{}`", path.display()), e));
        }
        w.flush()
            .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))?;
    }
    if taken == 0 {
        return Ok(0);
    }
    let keep = dir.join(format!(
        "events.jsonl.unreadable-{}",
        crate::clock::system_millis()
    ));
    super::write_atomic(&keep, &aside)?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io(format!("writing `{}`", path.display()), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io(format!("replacing `{}`", path.display()), e.error))?;
    super::sync_dir(dir);
    Ok(taken)
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

    fn line(n: u64, kind: &str) -> String {
        let id = ulid::Ulid::from_parts(1_800_000_000_000 + n, 0).to_string();
        format!(
            "{{\"id\":\"{id}\",\"ts\":\"2026-01-01T00:00:00.000Z\",\"type\":\"{kind}\",\"actor\":\"human:a\",\"data\":{{\"pad\":\"{}\"}}}}\n",
            "p".repeat((n % 300) as usize)
        )
    }

    #[test]
    fn tail_reads_from_the_end_across_blocks() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let mut text = String::new();
        for n in 0..2000 {
            text.push_str(&line(n, if n % 10 == 0 { "gate.failed" } else { "x" }));
            if n == 1500 {
                text.push_str("not json\n");
            }
        }
        assert!(text.len() > 4 * BLOCK);
        text.push_str("{\"id\":\"01");
        std::fs::write(&path, &text).unwrap();
        let t = tail(&path, 3, |_| true).unwrap();
        let ids: Vec<u64> = t
            .events
            .iter()
            .map(|e| ulid::Ulid::from_string(&e.id).unwrap().timestamp_ms() - 1_800_000_000_000)
            .collect();
        assert_eq!(ids, [1997, 1998, 1999]);
        assert_eq!(t.partial, b"{\"id\":\"01");
        assert_eq!(t.end, text.len() as u64);
        assert!(t.bad.is_empty());
        // A filter reads further back, past blocks and the bad line (numbered from the start).
        let t = tail(&path, 60, |e| e.kind == "gate.failed").unwrap();
        assert_eq!(t.events.len(), 60);
        assert!(t.events.iter().all(|e| e.kind == "gate.failed"));
        assert_eq!(t.bad.len(), 1);
        assert_eq!(t.bad[0].line, 1502, "{:?}", t.bad);
        // Everything, when fewer than asked for exist.
        assert_eq!(tail(&path, 5000, |_| true).unwrap().events.len(), 2000);
    }

    #[test]
    fn scan_holds_one_line_and_skips_an_overlong_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let mut text = line(1, "a");
        text.push_str(&"x".repeat(MAX_LINE + 10));
        text.push('\n');
        text.push_str(&line(2, "b"));
        text.push_str("{\"torn");
        std::fs::write(&path, &text).unwrap();
        let mut kinds = Vec::new();
        let s = scan(&path, |e| {
            kinds.push(e.kind);
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(kinds, ["a", "b"]);
        assert_eq!(s.lines, 4);
        assert_eq!(s.bad.len(), 2);
        assert_eq!((s.bad[0].line, s.bad[0].torn), (2, false));
        assert_eq!((s.bad[1].line, s.bad[1].torn), (4, true));
    }

    #[test]
    fn repair_keeps_the_order_and_sets_the_bad_lines_aside() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let text = format!(
            "{}<<<<<<< ours\n{}{}{{\"torn",
            line(5, "a"),
            line(3, "b"),
            line(5, "a")
        );
        std::fs::write(&path, &text).unwrap();
        assert_eq!(repair(&path).unwrap(), 2);
        let after = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            after,
            format!("{}{}{}", line(5, "a"), line(3, "b"), line(5, "a"))
        );
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .flatten()
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with("events.jsonl.unreadable-")
            })
            .collect();
        assert_eq!(aside.len(), 1);
        let kept = std::fs::read_to_string(aside[0].path()).unwrap();
        assert_eq!(kept, "line 2: <<<<<<< ours\nline 5: {\"torn\n");
        assert_eq!(repair(&path).unwrap(), 0, "a clean log is left alone");
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
