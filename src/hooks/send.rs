//! One attempt of one delivery: run the hook's command, or POST to its URL.
//!
//! Invariants: the payload is the event exactly as `events.jsonl` stores it (the same bytes on
//! every attempt, so a signature is stable); an attempt never returns an error, it returns a
//! failed [`Attempt`] that says why; a command's output and a response body are read only up
//! to a bound.

use super::config::{self, HookDef};
use super::outbox::{ANSWER_CHARS, Attempt, Delivery};
use crate::store::Store;
use std::io::Read;
use std::time::{Duration, Instant};

/// Bytes of a command's output or a response body read for the log.
const READ_LIMIT: usize = 4096;

/// The headers every URL delivery carries, besides `Content-Type` and `User-Agent`.
pub const HEADER_SIGNATURE: &str = "X-Jit-Signature-256";
pub const HEADER_DELIVERY: &str = "X-Jit-Delivery";
pub const HEADER_EVENT: &str = "X-Jit-Event";
pub const HEADER_EVENT_ID: &str = "X-Jit-Event-Id";
pub const HEADER_HOOK: &str = "X-Jit-Hook";

/// The body sent for an event: its compact JSON, as stored in the log.
pub fn payload(d: &Delivery) -> Vec<u8> {
    serde_json::to_vec(&d.event).unwrap_or_default()
}

/// The first [`ANSWER_CHARS`] characters, one line, control characters removed.
fn snippet(text: &str) -> String {
    let mut s: String = text
        .trim()
        .chars()
        .map(|c| if c == '\n' || c == '\t' { ' ' } else { c })
        .filter(|c| !c.is_control())
        .take(ANSWER_CHARS)
        .collect();
    if text.trim().chars().count() > ANSWER_CHARS {
        s.push('…');
    }
    s
}

/// Attempts a delivery once.
pub fn attempt(store: &Store, d: &Delivery, hook: &HookDef) -> Attempt {
    match (&hook.command, &hook.url) {
        (Some(c), _) => run_command(store, d, hook, c),
        (None, Some(u)) => post(d, hook, u),
        (None, None) => Attempt {
            error: Some(format!(
                "hook `{}` has neither `command` nor `url` in config.json",
                d.hook
            )),
            ..Default::default()
        },
    }
}

fn run_command(store: &Store, d: &Delivery, hook: &HookDef, command: &str) -> Attempt {
    let body = {
        let mut b = payload(d);
        b.push(b'\n');
        b
    };
    let env = vec![
        ("JIT_EVENT", d.event.kind.clone()),
        ("JIT_EVENT_ID", d.event.id.clone()),
        ("JIT_ISSUE_ID", d.event.issue.clone().unwrap_or_default()),
        ("JIT_ACTOR", d.event.actor.clone()),
        ("JIT_DELIVERY", d.id.clone()),
        ("JIT_HOOK", d.hook.clone()),
        (super::DEPTH_ENV, (super::depth() + 1).to_string()),
    ];
    let shell = crate::process::Shell {
        command,
        cwd: store.root(),
        env,
        only_env: None,
        stdin: Some(&body),
        timeout: Duration::from_secs(hook.timeout_secs),
        what: format!("hook `{}`", d.hook),
    };
    match crate::process::run(&shell, READ_LIMIT) {
        Ok(f) => Attempt {
            ok: f.success(),
            status: None,
            exit_code: f.exit_code,
            timed_out: f.timed_out,
            duration_ms: f.duration_ms,
            answer: snippet(&f.output),
            error: if f.timed_out {
                Some(format!(
                    "timed out after {}s; its process group was killed",
                    hook.timeout_secs
                ))
            } else if f.exit_code == Some(0) {
                None
            } else {
                Some(match f.exit_code {
                    Some(c) => format!("exited with {c}"),
                    None => "killed by a signal".to_string(),
                })
            },
        },
        Err(e) => Attempt {
            error: Some(e.to_string()),
            ..Default::default()
        },
    }
}

fn post(d: &Delivery, hook: &HookDef, url: &str) -> Attempt {
    if url.starts_with("https://") && !cfg!(feature = "https") {
        return Attempt {
            error: Some(config::no_tls(url).to_string()),
            ..Default::default()
        };
    }
    let body = payload(d);
    let signature = match &hook.secret_env {
        None => None,
        Some(var) => match std::env::var(var) {
            Ok(secret) if !secret.is_empty() => {
                Some(super::sign::header_value(secret.as_bytes(), &body))
            }
            _ => {
                return Attempt {
                    error: Some(format!(
                        "the secret variable `{var}` is not set in this environment; the delivery was not sent unsigned"
                    )),
                    ..Default::default()
                };
            }
        },
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(hook.timeout_secs)))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(format!("jit/{}", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut req = agent
        .post(url)
        .header("Content-Type", "application/json")
        .header(HEADER_DELIVERY, &d.id)
        .header(HEADER_EVENT, &d.event.kind)
        .header(HEADER_EVENT_ID, &d.event.id)
        .header(HEADER_HOOK, &d.hook);
    if let Some(s) = &signature {
        req = req.header(HEADER_SIGNATURE, s);
    }
    let start = Instant::now();
    let result = req.send(&body[..]);
    let mut a = Attempt::default();
    match result {
        Ok(mut resp) => {
            let status = resp.status().as_u16();
            let mut buf = Vec::new();
            let _ = resp
                .body_mut()
                .as_reader()
                .take(READ_LIMIT as u64)
                .read_to_end(&mut buf);
            a.status = Some(status);
            a.answer = snippet(&String::from_utf8_lossy(&buf));
            a.ok = (200..300).contains(&status);
            if !a.ok {
                a.error = Some(format!("the receiver answered HTTP {status}"));
            }
        }
        Err(e) => {
            a.timed_out = matches!(e, ureq::Error::Timeout(_));
            a.error = Some(format!("could not deliver to `{url}`: {e}"));
        }
    }
    a.duration_ms = start.elapsed().as_millis() as u64;
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_one_bounded_line() {
        assert_eq!(snippet("  ok\n"), "ok");
        assert_eq!(snippet("a\nb\tc\u{1b}[31m"), "a b c[31m");
        let long = "x".repeat(300);
        let s = snippet(&long);
        assert_eq!(s.chars().count(), ANSWER_CHARS + 1);
        assert!(s.ends_with('…'));
    }
}
