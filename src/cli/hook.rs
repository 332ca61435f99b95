//! `jit hook add|list|rm|test|deliver|log|replay`: hooks on events (docs/hooks.md).

use super::render::{Color, Style, clean_line, human};
use super::{Ctx, Reply};
use crate::error::{Result, exit};
use crate::hooks::{self, AddRequest, HookChange, HookList, LogEntry, Outcome};
use clap::{ArgGroup, Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Add a hook (or replace the one with this name): a command or a URL for matching events.
    Add(AddArgs),
    /// The configured hooks, with their queued and failed deliveries.
    List,
    /// Remove a hook; its queued deliveries are dropped.
    Rm(NameArgs),
    /// Send a `hook.test` event to the hook now, once, and show how it answered.
    Test(NameArgs),
    /// Attempt the deliveries that are due; --wait keeps retrying until none is pending.
    Deliver(DeliverArgs),
    /// Every delivery attempt: time, hook, event, status or exit code, duration, answer.
    Log(LogArgs),
    /// Send a delivery's event to its hook again (an id from `jit hook log`).
    Replay(ReplayArgs),
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("target").required(true).args(["command", "url"])))]
pub struct AddArgs {
    /// The hook's name: lower-case letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// Event types it wants; `*` matches any run (`gate.*`, `*`). Repeat or separate with `,`.
    #[arg(long = "on", value_name = "PATTERN", required = true)]
    pub on: Vec<String>,
    /// Only events whose issue matches this query (docs/query.md).
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,
    /// A shell command, run in the repository root with the event as JSON on stdin.
    #[arg(long, value_name = "CMD")]
    pub command: Option<String>,
    /// An http(s) URL that receives the event as a JSON POST.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// The environment variable holding the signing secret (only its name is stored).
    #[arg(long = "secret-env", value_name = "VAR")]
    pub secret_env: Option<String>,
    /// Seconds one attempt may take (default 10).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
    /// Attempts before a delivery is marked failed (default 8).
    #[arg(long = "max-attempts", value_name = "N")]
    pub max_attempts: Option<u32>,
    /// The wait before the first retry (default 10s), doubled for each next one, with jitter.
    #[arg(long, value_name = "DURATION")]
    pub backoff: Option<String>,
}

#[derive(Debug, Args)]
pub struct NameArgs {
    /// The hook's name.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct DeliverArgs {
    /// Keep going (sleeping until each retry is due) until every delivery is delivered or failed.
    #[arg(long)]
    pub wait: bool,
}

#[derive(Debug, Args)]
pub struct LogArgs {
    /// Only this hook's attempts.
    #[arg(long, value_name = "NAME")]
    pub hook: Option<String>,
    /// Only this delivery (and its replays).
    #[arg(long, value_name = "ID")]
    pub delivery: Option<String>,
    /// Only the most recent N (default 50; `total` still counts all).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The delivery id (`delivery` in `jit hook log`).
    pub id: String,
}

pub fn run(ctx: &Ctx, cmd: HookCommand) -> Result<Reply> {
    let store = ctx.store()?;
    match cmd {
        HookCommand::Add(a) => {
            let actor = ctx.actor(&store)?;
            let backoff_secs = a
                .backoff
                .as_deref()
                .map(|b| crate::model::time::parse_duration(b).map(|d| d.as_secs()))
                .transpose()?;
            let out = hooks::add(
                &store,
                &actor,
                AddRequest {
                    name: a.name,
                    on: a.on,
                    filter: a.filter,
                    command: a.command,
                    url: a.url,
                    secret_env: a.secret_env,
                    timeout_secs: a.timeout,
                    max_attempts: a.max_attempts,
                    backoff_secs,
                },
            )?;
            Ok(Reply::new(out, change_text))
        }
        HookCommand::List => Ok(Reply::new(hooks::list(&store)?, list_text)),
        HookCommand::Rm(a) => {
            let actor = ctx.actor(&store)?;
            Ok(Reply::new(
                hooks::remove(&store, &actor, &a.name)?,
                change_text,
            ))
        }
        HookCommand::Test(a) => {
            let actor = ctx.actor(&store)?;
            let line = hooks::test(&store, &actor, &a.name)?;
            let code = if line.outcome == Outcome::Delivered {
                exit::OK
            } else {
                exit::CHECK_FAILED
            };
            Ok(Reply::new(line, |l: &LogEntry, s: &Style| attempt_text(l, s)).exit(code))
        }
        HookCommand::Deliver(a) => {
            let report = hooks::deliver(&store, a.wait)?;
            let code = if report.failed > 0 {
                exit::CHECK_FAILED
            } else {
                exit::OK
            };
            Ok(Reply::new(report, |r: &hooks::DeliverReport, s: &Style| {
                let mut out: String = r.attempts.iter().map(|l| attempt_text(l, s)).collect();
                out.push_str(&format!(
                    "{} delivered, {} retrying, {} failed; {} pending, {} failed in all{}\n",
                    r.delivered,
                    r.retrying,
                    r.failed,
                    r.queue.pending,
                    r.queue.failed,
                    r.queue
                        .next_attempt_at
                        .map(|t| format!("; next attempt at {t}"))
                        .unwrap_or_default()
                ));
                out
            })
            .exit(code))
        }
        HookCommand::Log(a) => {
            let page = hooks::log(
                &store,
                a.hook.as_deref(),
                a.delivery.as_deref(),
                Some(a.limit),
            )?;
            Ok(Reply::new(page, log_text))
        }
        HookCommand::Replay(a) => {
            let line = hooks::replay(&store, &a.id)?;
            let code = if line.outcome == Outcome::Delivered {
                exit::OK
            } else {
                exit::CHECK_FAILED
            };
            Ok(Reply::new(line, |l: &LogEntry, s: &Style| attempt_text(l, s)).exit(code))
        }
    }
}

fn change_text(c: &HookChange, _: &Style) -> String {
    let mut t = format!(
        "hook {} {}: {} {} on {}\n",
        clean_line(&c.name),
        c.change,
        c.hook.kind(),
        clean_line(&c.hook.target()),
        clean_line(&c.hook.on.join(", "))
    );
    if let Some(n) = c.dropped_deliveries.filter(|n| *n > 0) {
        t.push_str(&format!("{n} queued deliveries dropped\n"));
    }
    t
}

fn list_text(l: &HookList, _: &Style) -> String {
    let mut out = String::new();
    if l.disabled {
        out.push_str("hooks are turned off in this environment (JIT_HOOKS=off)\n");
    }
    if l.hooks.is_empty() {
        out.push_str("no hooks; add one with `jit hook add NAME --on PATTERN --command CMD`\n");
        return out;
    }
    let mut t = human::table(&["NAME", "ON", "FILTER", "TARGET", "PENDING", "FAILED"]);
    for h in &l.hooks {
        t.add_row(vec![
            clean_line(&h.name),
            clean_line(&h.hook.on.join(", ")),
            clean_line(h.hook.filter.as_deref().unwrap_or("-")),
            clean_line(&human::ellipsize(
                &format!("{} {}", h.hook.kind(), h.hook.target()),
                50,
            )),
            h.pending.to_string(),
            h.failed.to_string(),
        ]);
    }
    out.push_str(&human::table_string(&t));
    out
}

fn outcome_color(o: Outcome) -> Color {
    match o {
        Outcome::Delivered => Color::Green,
        Outcome::Retrying => Color::Yellow,
        Outcome::Failed => Color::Red,
        Outcome::Cancelled | Outcome::Skipped => Color::Dim,
    }
}

fn result_cell(l: &LogEntry) -> String {
    match (l.status, l.exit_code, l.timed_out) {
        (Some(s), _, _) => format!("HTTP {s}"),
        (_, _, true) => "timed out".into(),
        (_, Some(c), _) => format!("exit {c}"),
        _ if l.outcome == Outcome::Delivered => "ok".into(),
        _ => "-".into(),
    }
}

fn attempt_text(l: &LogEntry, s: &Style) -> String {
    let mut t = format!(
        "{} {} {} ({}) attempt {}: {} in {} ms\n",
        s.paint(
            &format!("{:?}", l.outcome).to_lowercase(),
            outcome_color(l.outcome)
        ),
        clean_line(&l.hook),
        clean_line(&l.event),
        l.delivery,
        l.attempt,
        result_cell(l),
        l.duration_ms
    );
    if let Some(e) = &l.error {
        t.push_str(&format!("  {}\n", clean_line(e)));
    }
    if !l.answer.is_empty() {
        t.push_str(&format!("  answer: {}\n", clean_line(&l.answer)));
    }
    if let Some(n) = l.next_attempt_at {
        t.push_str(&format!("  next attempt at {n}\n"));
    }
    t
}

fn log_text(p: &hooks::LogPage, s: &Style) -> String {
    if p.entries.is_empty() {
        return "no deliveries yet\n".into();
    }
    let mut t = human::table(&[
        "TIME", "HOOK", "EVENT", "OUTCOME", "RESULT", "MS", "TRY", "DELIVERY", "ANSWER",
    ]);
    for l in &p.entries {
        t.add_row(vec![
            l.at.to_string(),
            clean_line(&l.hook),
            clean_line(&l.event),
            s.paint(
                &format!("{:?}", l.outcome).to_lowercase(),
                outcome_color(l.outcome),
            ),
            result_cell(l),
            l.duration_ms.to_string(),
            l.attempt.to_string(),
            l.delivery.clone(),
            clean_line(&human::ellipsize(
                l.error
                    .as_deref()
                    .filter(|_| l.answer.is_empty())
                    .unwrap_or(&l.answer),
                40,
            )),
        ]);
    }
    let mut out = human::table_string(&t);
    if p.entries.len() < p.total {
        out.push_str(&format!(
            "(showing the last {} of {} attempts)\n",
            p.entries.len(),
            p.total
        ));
    }
    out
}
