//! `jit events query|tail`: the event log as history.
//!
//! `events query` prints one object like every command. `events tail` prints events as a stream:
//! under `--json` one compact JSON object per line (JSON Lines), the documented exception to the
//! one-object rule, so a consumer can act on each event as it arrives. With `--follow` it keeps
//! polling the log every [`POLL`] and prints each new event until stopped.

use super::render::{Color, Style, human};
use super::{Ctx, Reply};
use crate::error::{Error, Result};
use crate::history::{self, Batch, EventPage, EventQuery};
use crate::model::Event;
use crate::store::events::BadLine;
use clap::{Args, Subcommand};
use std::io::Write;
use std::time::Duration;

/// How often `events tail --follow` looks for new lines.
pub const POLL: Duration = Duration::from_millis(200);

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Events matching every given filter, oldest first.
    Query(QueryArgs),
    /// The latest events, or those after an event id; --follow keeps printing new ones
    /// (under --json: JSON Lines, one event object per line).
    Tail(TailArgs),
}

#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Only events of this issue (id, short id or prefix; a deleted issue's id works too).
    #[arg(long, value_name = "ID")]
    pub issue: Option<String>,
    /// Only events by this actor, or a pattern with `*` such as `agent:*`.
    #[arg(long, value_name = "ACTOR")]
    pub actor: Option<String>,
    #[command(flatten)]
    pub filters: EventFilters,
}

/// The filters of `events query` and `issue log` (one query over the log). `issue log` names
/// the actor filter `--by`, since `--actor` there is the global flag (act as).
#[derive(Debug, Args)]
pub struct EventFilters {
    /// Only events at or after TIME (RFC 3339, YYYY-MM-DD, or a span back like `1h`, `7d`).
    #[arg(long)]
    pub since: Option<String>,
    /// Only this event type, or a pattern with `*` such as `gate.*`.
    #[arg(long = "event", value_name = "TYPE")]
    pub event: Option<String>,
    /// Only the most recent N matches (`total` still counts all of them).
    #[arg(long)]
    pub limit: Option<usize>,
}

impl EventFilters {
    /// The query these filters ask for, over every issue's events, by `actor` (a pattern).
    pub fn query(self, actor: Option<String>) -> EventQuery {
        EventQuery {
            since: self.since,
            kind: self.event,
            issue: None,
            actor,
            limit: self.limit,
        }
    }
}

#[derive(Debug, Args)]
pub struct TailArgs {
    /// Keep running and print each new event as it is appended.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Start after this event id (resume where a previous run stopped).
    #[arg(long, value_name = "EVENT_ID")]
    pub after: Option<String>,
    /// How many events to print first: the last N (default 20), or with --after the first N.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Only this event type, or a pattern with `*` such as `issue.unblocked` or `gate.*`
    /// (applied before --limit).
    #[arg(long = "event", value_name = "TYPE")]
    pub event: Option<String>,
}

pub fn run(ctx: &Ctx, cmd: EventsCommand) -> Result<Reply> {
    match cmd {
        EventsCommand::Query(a) => query(ctx, a),
        EventsCommand::Tail(a) => tail(ctx, a),
    }
}

pub fn unreadable_warning(n: usize) -> Option<String> {
    (n > 0).then(|| {
        format!("skipped {n} unreadable line(s) in events.jsonl; `jit validate --fix` repairs it")
    })
}

fn query(ctx: &Ctx, a: QueryArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let q = EventQuery {
        issue: a.issue,
        ..a.filters.query(a.actor)
    };
    let page = history::query(&store, &q)?;
    let warn = unreadable_warning(page.unreadable_lines);
    Ok(Reply::new(page, |p: &EventPage, _| {
        let mut out = human::event_table(&p.events);
        if p.events.len() < p.total {
            out.push_str(&format!(
                "(showing the last {} of {} matching events)\n",
                p.events.len(),
                p.total
            ));
        }
        out
    })
    .warn(warn))
}

fn bad_line_warnings(bad: &[BadLine]) -> Vec<String> {
    bad.iter()
        .map(|b| {
            format!(
                "skipped unreadable line {} of events.jsonl: {}",
                b.line, b.message
            )
        })
        .collect()
}

fn lines_text(events: &[Event], _s: &Style) -> String {
    events.iter().map(human::event_line).collect()
}

fn tail(ctx: &Ctx, a: TailArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let t = history::tail_matching(&store, a.after.as_deref(), a.limit, a.event.as_deref())?;
    if a.follow {
        return follow(ctx, t, a.event);
    }
    let mut warnings = bad_line_warnings(&t.bad);
    if t.incomplete_last_line {
        warnings.push(
            "the last line of events.jsonl is incomplete (a torn write); `jit validate --fix` repairs it"
                .into(),
        );
    }
    Ok(Reply::json_lines(t.events, lines_text).warn(warnings))
}

/// Prints one batch of a stream; false when stdout has gone away (the reader quit).
fn emit(ctx: &Ctx, batch: &Batch) -> Result<bool> {
    {
        let mut err = std::io::stderr().lock();
        for w in bad_line_warnings(&batch.bad) {
            let _ = writeln!(
                err,
                "{}: {}",
                ctx.style.paint("warning", Color::Yellow),
                super::render::clean_line(&w)
            );
        }
    }
    if batch.events.is_empty() {
        return Ok(true);
    }
    let mut text = Vec::new();
    for e in &batch.events {
        if ctx.global.json {
            serde_json::to_writer(&mut text, e).map_err(|e| Error::Internal(e.to_string()))?;
            text.push(b'\n');
        } else {
            text.extend_from_slice(human::event_line(e).as_bytes());
        }
    }
    let mut out = std::io::stdout().lock();
    match out.write_all(&text).and_then(|()| out.flush()) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(Error::io("writing to stdout", e)),
    }
}

/// `events tail --follow`: prints the first events, then polls for new ones until stdout closes
/// or the process is stopped.
fn follow(ctx: &Ctx, t: history::Tail, event: Option<String>) -> Result<Reply> {
    let mut follower = t.follower;
    let first = Batch {
        events: t.events,
        bad: t.bad,
    };
    if emit(ctx, &first)? {
        loop {
            std::thread::sleep(POLL);
            let mut batch = follower.poll()?;
            if let Some(p) = &event {
                batch
                    .events
                    .retain(|e| crate::queries::wildcard(p.trim(), &e.kind));
            }
            if !emit(ctx, &batch)? {
                break;
            }
        }
    }
    Ok(Reply::json_lines(Vec::<Event>::new(), lines_text))
}
