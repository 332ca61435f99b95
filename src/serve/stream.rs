//! `GET /api/events` as Server-Sent Events.
//!
//! One thread follows `.jit/events.jsonl` (the [`crate::history::Follower`], which reads only
//! the bytes appended since its last poll, whoever appended them: this server, another `jit`, a
//! `git pull`) and broadcasts each new event, encoded once, to every open stream. It also
//! watches the issues directory and the gate registry: a change that brings no event (a hand
//! edit, a checkout that rewrote files) is announced as `event: changed`, so a page reloads its
//! data.
//!
//! Each stream starts with `retry:`, then replays what the client missed (the events after
//! `Last-Event-ID` or `?after=`, or the last `?tail=N`), then sends new events as they come,
//! never one twice and never out of order, with a `: keep-alive` comment when idle.
//!
//! Invariants: every event frame carries `id:` (the event's id), so a reconnecting
//! `EventSource` resumes where it stopped; under `--public`, events of internal issues are never
//! sent and the others carry no `changes` or `data`.

use super::Shared;
use super::http::{Body, Response, http_error, insert};
use crate::error::Result;
use crate::history;
use crate::model::{Event, IssueId, Visibility};
use hyper::StatusCode;
use hyper::body::Bytes;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

/// One message for the streams: an event (with its id) or a change notice (no id).
#[derive(Clone, Debug)]
pub struct Frame {
    pub id: Option<String>,
    pub bytes: Bytes,
}

/// Whether an event may be shown under `--public` (its issue exists and is not internal).
fn visible(shared: &Shared, e: &Event) -> bool {
    let Some(issue) = e.issue.as_deref() else {
        return true;
    };
    let Ok(id) = IssueId::parse(issue) else {
        return false;
    };
    matches!(shared.store.load(&id), Ok(i) if i.visibility != Some(Visibility::Internal))
}

/// The SSE frame of one event, or none when `--public` hides it.
pub fn event_frame(shared: &Shared, e: &Event) -> Option<Frame> {
    if shared.public && !visible(shared, e) {
        return None;
    }
    let value = crate::export::site::event_json(e, shared.public, &HashSet::new())?;
    let data = serde_json::to_string(&value).ok()?;
    Some(Frame {
        id: Some(e.id.clone()),
        bytes: Bytes::from(format!("id: {}\ndata: {data}\n\n", e.id)),
    })
}

fn changed_frame() -> Frame {
    Frame {
        id: None,
        bytes: Bytes::from_static(b"event: changed\ndata: {}\n\n"),
    }
}

/// What the watched files look like now: the issues directory and the gate registry.
fn stamp(shared: &Shared) -> (Option<SystemTime>, Option<SystemTime>, Option<u64>) {
    let m = |p: std::path::PathBuf| std::fs::metadata(p).ok();
    let dir = m(shared.store.issues_dir());
    let gates = m(shared.store.dir().join("gates.json"));
    (
        dir.and_then(|d| d.modified().ok()),
        gates.as_ref().and_then(|g| g.modified().ok()),
        gates.map(|g| g.len()),
    )
}

/// Starts the follower thread; it stops when the server does.
pub fn spawn_follower(shared: Arc<Shared>, poll: Duration) -> Result<std::thread::JoinHandle<()>> {
    let start = history::tail(&shared.store, None, Some(1))?;
    let mut follower = start.follower;
    std::thread::Builder::new()
        .name("jit-serve-events".into())
        .spawn(move || {
            let mut last = stamp(&shared);
            // Polls since the files changed without an event (a change notice waits one poll
            // for the events a writer appends right after its files).
            let mut quiet_change = 0u32;
            while !shared.stopping.load(Ordering::SeqCst) {
                std::thread::sleep(poll);
                let batch = follower.poll().unwrap_or_default();
                let now = stamp(&shared);
                if now != last {
                    last = now;
                    quiet_change = quiet_change.max(1);
                }
                if !batch.events.is_empty() {
                    quiet_change = 0;
                    for e in &batch.events {
                        if let Some(f) = event_frame(&shared, e) {
                            let _ = shared.events.send(f);
                        }
                    }
                } else if quiet_change > 0 {
                    quiet_change += 1;
                    if quiet_change > 2 {
                        quiet_change = 0;
                        let _ = shared.events.send(changed_frame());
                    }
                }
            }
        })
        .map_err(|e| crate::error::Error::io("starting the event follower", e))
}

/// The events to replay first: after `after`, or the last `tail`.
fn replay(shared: &Shared, after: Option<&str>, tail: Option<usize>) -> Result<Vec<Frame>> {
    let events = match (after, tail) {
        (Some(a), _) => history::tail(&shared.store, Some(a), None)?.events,
        (None, Some(n)) if n > 0 => history::tail(&shared.store, None, Some(n))?.events,
        _ => Vec::new(),
    };
    Ok(events
        .iter()
        .filter_map(|e| event_frame(shared, e))
        .collect())
}

/// Answers `GET /api/events` with an event stream.
pub async fn events(
    shared: Arc<Shared>,
    last_event_id: Option<String>,
    tail: Option<usize>,
) -> Response {
    let after = match last_event_id.as_deref().map(history::parse_event_id) {
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => return super::http::error_reply(&e),
        None => None,
    };
    // Subscribe before reading the log, so nothing appended in between is missed.
    let mut rx = shared.events.subscribe();
    let first = {
        let shared = shared.clone();
        let after = after.clone();
        tokio::task::spawn_blocking(move || replay(&shared, after.as_deref(), tail)).await
    };
    let first = match first {
        Ok(Ok(f)) => f,
        Ok(Err(e)) => return super::http::error_reply(&e),
        Err(_) => {
            return http_error("internal", "the event replay failed", json!({}));
        }
    };
    let (tx, body_rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let keep_alive = shared.keep_alive;
    tokio::spawn(async move {
        let mut newest = after;
        if tx
            .send(Bytes::from_static(b"retry: 2000\n\n"))
            .await
            .is_err()
        {
            return;
        }
        for f in first {
            newest = f.id.clone().or(newest);
            if tx.send(f.bytes).await.is_err() {
                return;
            }
        }
        let mut tick = tokio::time::interval(keep_alive);
        tick.tick().await;
        loop {
            tokio::select! {
                got = rx.recv() => match got {
                    Ok(f) => {
                        if let (Some(id), Some(n)) = (&f.id, &newest)
                            && id <= n
                        {
                            continue;
                        }
                        if f.id.is_some() {
                            newest = f.id.clone();
                        }
                        if tx.send(f.bytes).await.is_err() {
                            return;
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        // Too slow to keep up: read what was missed from the log itself.
                        let s = shared.clone();
                        let from = newest.clone();
                        let Ok(Ok(missed)) = tokio::task::spawn_blocking(move || {
                            match from.as_deref() {
                                Some(a) => replay(&s, Some(a), None),
                                None => Ok(vec![changed_frame()]),
                            }
                        })
                        .await
                        else {
                            return;
                        };
                        for f in missed {
                            newest = f.id.clone().or(newest);
                            if tx.send(f.bytes).await.is_err() {
                                return;
                            }
                        }
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick() => {
                    if tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
    let mut r = hyper::Response::new(Body::Stream(body_rx));
    *r.status_mut() = StatusCode::OK;
    let h = r.headers_mut();
    insert(h, "content-type", "text/event-stream");
    insert(h, "cache-control", "no-store");
    insert(h, "x-accel-buffering", "no");
    r
}
