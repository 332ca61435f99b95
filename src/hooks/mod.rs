//! Hooks: react to events. Each hook in the `hooks` section of `.jit/config.json` names the
//! event types it wants, an optional query its issue must match, and a command to run or a URL
//! to POST to (see docs/hooks.md).
//!
//! The flow, with no daemon:
//! 1. [`committed`] is called by `Store::mutate` after a transaction committed (the lock is
//!    released). It reads the hooks (one read of `config.json`; nothing else when there are
//!    none) and queues one delivery per matching hook and event in the local outbox
//!    ([`outbox`]).
//! 2. [`flush`], called once the command has printed its reply, attempts every due delivery:
//!    the new ones, and the retries earlier commands left behind. `jit hook deliver [--wait]`
//!    does the same on demand.
//! 3. A failed attempt is retried with exponential backoff and jitter, up to the hook's
//!    `max_attempts`, then kept as failed (`jit hook log`, `jit hook replay`).
//!
//! Invariants: nothing here can fail or undo a mutation: problems become log lines or warnings.
//! Each event reaches each matching hook at least once, carrying its event id for
//! de-duplication. A hook's own jit commands run with `JIT_HOOK_DEPTH` one higher; events made
//! at depth [`MAX_DEPTH`] are logged as skipped instead of queued, so hooks that trigger each
//! other cannot loop forever.

pub mod config;
pub mod outbox;
mod send;
pub mod sign;

pub use config::{AddRequest, HookChange, HookDef, HookList, add, list, remove};
pub use outbox::{Clock, LogEntry, Outcome, Queue};
pub use send::{HEADER_DELIVERY, HEADER_EVENT, HEADER_EVENT_ID, HEADER_HOOK, HEADER_SIGNATURE};

use crate::error::{Error, Result};
use crate::model::{Actor, Event};
use crate::store::Store;
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

/// Set in a hook command's environment: how deep in hook-triggered commands it runs.
pub const DEPTH_ENV: &str = "JIT_HOOK_DEPTH";
/// `JIT_HOOKS=off` (or `0`, `false`, `no`) turns hooks off for a process.
pub const SWITCH_ENV: &str = "JIT_HOOKS";
/// Events made this deep in hook-triggered commands are not delivered.
pub const MAX_DEPTH: u32 = 3;
/// Deliveries attempted after one command, at most.
pub const AFTER_COMMAND_LIMIT: usize = 50;

/// Stores this process queued deliveries for, to be flushed after the command.
static TOUCHED: Mutex<Vec<Store>> = Mutex::new(Vec::new());
/// Problems met while queueing, reported by [`flush`].
static WARNINGS: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Whether hooks are turned off for this process (`JIT_HOOKS=off`).
pub fn disabled() -> bool {
    std::env::var(SWITCH_ENV).is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "off" | "0" | "false" | "no"
        )
    })
}

/// How deep in hook-triggered commands this process runs (0: not started by a hook).
pub fn depth() -> u32 {
    std::env::var(DEPTH_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

fn warn(w: String) {
    if let Ok(mut v) = WARNINGS.lock() {
        v.push(w);
    }
}

fn remember(store: &Store) {
    if let Ok(mut v) = TOUCHED.lock()
        && !v.iter().any(|s| s.dir() == store.dir())
    {
        v.push(store.clone());
    }
}

/// Called after every committed transaction with the events it appended. See the module docs.
pub fn committed(store: &Store, events: &[Event]) {
    if events.is_empty() || disabled() {
        return;
    }
    let hooks = match config::read(store) {
        Ok(h) => h,
        Err(e) => {
            warn(format!("hooks were not run for this change: {e}"));
            return;
        }
    };
    if hooks.is_empty() {
        return;
    }
    remember(store);
    if let Err(e) = queue_for(store, &hooks, events) {
        warn(format!(
            "hook deliveries for this change could not be queued: {e}"
        ));
    }
}

fn queue_for(store: &Store, hooks: &BTreeMap<String, HookDef>, events: &[Event]) -> Result<()> {
    let now = crate::clock::now()?;
    let mut filters: HashMap<&str, Result<crate::query::Query>> = HashMap::new();
    let mut views: HashMap<String, Option<crate::view::IssueView>> = HashMap::new();
    let mut queued = Vec::new();
    let mut broken = Vec::new();
    for e in events {
        for (name, h) in hooks {
            if !h.wants(&e.kind) {
                continue;
            }
            if let Some(f) = &h.filter {
                let q = filters.entry(name.as_str()).or_insert_with(|| {
                    let q = crate::query::parse(f, now)?;
                    Ok(q.in_store(&store.config()?))
                });
                let q = match q {
                    Ok(q) => q,
                    Err(err) => {
                        broken.push((
                            outbox::new_delivery(name, e, now),
                            format!("the filter of hook `{name}` is invalid: {err}"),
                        ));
                        continue;
                    }
                };
                let Some(issue) = &e.issue else {
                    continue;
                };
                let view = views
                    .entry(issue.clone())
                    .or_insert_with(|| crate::ops::issues::show(store, issue).ok());
                if !view.as_ref().is_some_and(|v| q.matches(v)) {
                    continue;
                }
            }
            queued.push(outbox::new_delivery(name, e, now));
        }
    }
    for (d, why) in &broken {
        warn(format!(
            "{why}; event `{}` was not delivered to it",
            d.event.id
        ));
        outbox::log_skipped(store, std::slice::from_ref(d), now, why)?;
    }
    if queued.is_empty() {
        return Ok(());
    }
    let depth = depth();
    if depth >= MAX_DEPTH {
        let why = format!(
            "made by a command {depth} hooks deep ({DEPTH_ENV}={depth}); events this deep are not delivered, so hooks cannot trigger each other forever"
        );
        warn(format!("{} hook deliveries skipped: {why}", queued.len()));
        return outbox::log_skipped(store, &queued, now, &why);
    }
    outbox::enqueue(store, &queued)
}

/// Attempts the due deliveries of every store this process queued for, after the command has
/// printed its reply; returns warnings for stderr (problems, and attempts that failed).
pub fn flush() -> Vec<String> {
    let stores: Vec<Store> = TOUCHED
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default();
    let mut warnings: Vec<String> = WARNINGS
        .lock()
        .map(|mut v| std::mem::take(&mut *v))
        .unwrap_or_default();
    for store in stores {
        let result = config::read(&store).and_then(|hooks| {
            let clock = Clock::start()?;
            outbox::pass(&store, &hooks, &clock, Some(AFTER_COMMAND_LIMIT))
        });
        match result {
            Ok(lines) => warnings.extend(lines.iter().filter_map(describe_failure)),
            Err(e) => warnings.push(format!("hook deliveries were not attempted: {e}")),
        }
    }
    warnings
}

/// A warning line for an attempt that did not deliver.
pub fn describe_failure(l: &LogEntry) -> Option<String> {
    let why = l.error.as_deref().unwrap_or("failed");
    match l.outcome {
        Outcome::Delivered | Outcome::Skipped => None,
        Outcome::Retrying => Some(format!(
            "hook `{}`: {} ({}, attempt {}); retrying after {} (`jit hook log`)",
            l.hook,
            why,
            l.event,
            l.attempt,
            l.next_attempt_at.map(|t| t.to_string()).unwrap_or_default()
        )),
        Outcome::Failed => Some(format!(
            "hook `{}`: {} ({}, attempt {}); no attempts left: `jit hook replay {}` sends it again",
            l.hook, why, l.event, l.attempt, l.delivery
        )),
        Outcome::Cancelled => Some(format!(
            "hook `{}`: delivery {} cancelled: {why}",
            l.hook, l.delivery
        )),
    }
}

fn refuse_if_disabled() -> Result<()> {
    if disabled() {
        return Err(Error::Refused {
            code: crate::error::ErrorCode::HooksDisabled,
            message: format!("hooks are turned off in this environment ({SWITCH_ENV}=off)"),
            details: json!({ "variable": SWITCH_ENV }),
        });
    }
    Ok(())
}

/// What `hook deliver` did.
#[derive(Debug, Clone, Serialize)]
pub struct DeliverReport {
    /// Every attempt made, in order.
    pub attempts: Vec<LogEntry>,
    pub delivered: usize,
    pub retrying: usize,
    pub failed: usize,
    pub cancelled: usize,
    /// What is left in the outbox.
    pub queue: Queue,
}

/// `hook deliver`: one pass over the due deliveries; with `wait`, passes until nothing is
/// pending (every delivery delivered or failed), sleeping until the next retry is due.
pub fn deliver(store: &Store, wait: bool) -> Result<DeliverReport> {
    refuse_if_disabled()?;
    let clock = Clock::start()?;
    let mut attempts = Vec::new();
    loop {
        let hooks = config::read(store)?;
        attempts.extend(outbox::pass(store, &hooks, &clock, None)?);
        if !wait {
            break;
        }
        let q = outbox::queue(store)?;
        let Some(due) = q.next_attempt_at else {
            break;
        };
        let wait_ms = (due.millis() - clock.now().millis()).clamp(20, 5_000);
        std::thread::sleep(Duration::from_millis(wait_ms as u64));
    }
    let count = |o: Outcome| attempts.iter().filter(|l| l.outcome == o).count();
    Ok(DeliverReport {
        delivered: count(Outcome::Delivered),
        retrying: count(Outcome::Retrying),
        failed: count(Outcome::Failed),
        cancelled: count(Outcome::Cancelled),
        queue: outbox::queue(store)?,
        attempts,
    })
}

/// `hook test NAME`: sends a `hook.test` event to the hook once, now, and logs the attempt
/// (never retried).
pub fn test(store: &Store, actor: &Actor, name: &str) -> Result<LogEntry> {
    refuse_if_disabled()?;
    let name = config::check_name(name)?;
    let hooks = config::read(store)?;
    let hook = hooks
        .get(&name)
        .ok_or_else(|| config::unknown(&name, &hooks))?;
    let clock = Clock::start()?;
    let test = crate::model::payload::Hook {
        hook: name.clone(),
        message: Some("a test delivery from `jit hook test`".into()),
    };
    let event = Event::new(
        crate::random::ulid().to_string(),
        clock.now(),
        actor.as_str(),
        None,
        Vec::new(),
        &crate::model::Payload::HookTest(test),
    );
    let d = outbox::new_delivery(&name, &event, clock.now());
    outbox::send_once(store, d, hook, &clock)
}

/// Parses a delivery id as the user typed it.
fn parse_delivery_id(input: &str) -> Result<String> {
    let id = input.trim().to_ascii_uppercase();
    if !outbox::valid_id(&id) {
        return Err(Error::invalid(
            "delivery",
            format!(
                "`{}` is not a delivery id (the 26-character `delivery` of `jit hook log`)",
                input.escape_debug()
            ),
        ));
    }
    Ok(id)
}

/// `hook replay ID`: sends a delivery's event to its hook again, now, as a new delivery
/// (`replay_of` names the old one; the event keeps its id). A failed delivery leaves the failed
/// list; if the new attempt fails too it is retried like any other.
pub fn replay(store: &Store, input: &str) -> Result<LogEntry> {
    refuse_if_disabled()?;
    let id = parse_delivery_id(input)?;
    let hooks = config::read(store)?;
    let clock = Clock::start()?;
    let failed = outbox::peek_failed(store, &id)?;
    let (hook_name, event) = if let Some(old) = &failed {
        (old.hook.clone(), old.event.clone())
    } else {
        let log = outbox::Outbox::of(store).read_log()?;
        let Some(line) = log.iter().rev().find(|l| l.delivery == id) else {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::UnknownDelivery,
                message: format!("no delivery `{id}` in the hook log; `jit hook log` lists them"),
                details: json!({ "delivery": id }),
            });
        };
        if line.event == "hook.test" {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::UnknownDelivery,
                message: format!(
                    "delivery `{id}` was a `jit hook test`; run `jit hook test {}` again",
                    line.hook
                ),
                details: json!({ "delivery": id }),
            });
        }
        let mut found = None;
        crate::store::events::scan(&store.events_path(), |e| {
            if e.id == line.event_id {
                found = Some(e);
                return std::ops::ControlFlow::Break(());
            }
            std::ops::ControlFlow::Continue(())
        })?;
        let Some(event) = found else {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::UnknownDelivery,
                message: format!(
                    "the event `{}` of delivery `{id}` is no longer in events.jsonl",
                    line.event_id
                ),
                details: json!({ "delivery": id, "event_id": line.event_id }),
            });
        };
        (line.hook.clone(), event)
    };
    let hook = hooks
        .get(&hook_name)
        .ok_or_else(|| config::unknown(&hook_name, &hooks))?;
    let mut d = outbox::new_delivery(&hook_name, &event, clock.now());
    d.replay_of = Some(id.clone());
    // The new delivery is queued before the failed one is dropped: a crash in between leaves
    // both, never neither.
    let line = outbox::send_now(store, d, hook, &clock)?;
    if failed.is_some() {
        outbox::take_failed(store, &id)?;
    }
    Ok(line)
}

/// What `hook log` prints.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct LogPage {
    /// Attempts, oldest first (the most recent `limit` of them).
    pub entries: Vec<LogEntry>,
    /// How many matched before `limit`.
    pub total: usize,
}

/// `hook log`: the attempts, optionally of one hook or one delivery, the last `limit`.
pub fn log(
    store: &Store,
    hook: Option<&str>,
    delivery: Option<&str>,
    limit: Option<usize>,
) -> Result<LogPage> {
    let hook = hook.map(config::check_name).transpose()?;
    let delivery = delivery.map(parse_delivery_id).transpose()?;
    if limit == Some(0) {
        return Err(Error::invalid("limit", "must be at least 1"));
    }
    let mut entries: Vec<LogEntry> = outbox::Outbox::of(store)
        .read_log()?
        .into_iter()
        .filter(|l| hook.as_deref().is_none_or(|h| l.hook == h))
        .filter(|l| {
            delivery
                .as_deref()
                .is_none_or(|d| l.delivery == d || l.replay_of.as_deref() == Some(d))
        })
        .collect();
    let total = entries.len();
    if let Some(n) = limit
        && entries.len() > n
    {
        entries.drain(..entries.len() - n);
    }
    Ok(LogPage { entries, total })
}
