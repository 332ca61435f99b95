//! `jit github event`: apply a GitHub webhook or Actions event payload (docs/github.md).

use super::render::{Color, Style, clean_line};
use super::{Ctx, Reply};
use crate::error::{Error, Result};
use crate::github::{self, EventReport};
use crate::model::Actor;
use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum GithubCommand {
    /// Apply one event: pull requests link and move the issues they name, checks set CI status
    /// and decide mapped gates.
    Event(EventArgs),
}

#[derive(Debug, Args)]
pub struct EventArgs {
    /// The event name (`pull_request`, `check_run`, `check_suite`, `workflow_run`).
    #[arg(long, env = "GITHUB_EVENT_NAME", value_name = "N")]
    pub name: Option<String>,
    /// The payload file (GitHub Actions sets GITHUB_EVENT_PATH).
    #[arg(long, env = "GITHUB_EVENT_PATH", value_name = "FILE")]
    pub payload: Option<PathBuf>,
}

/// The default actor: `ci:github`, unless `--actor` or `JIT_ACTOR` says otherwise.
fn actor(ctx: &Ctx) -> Result<Actor> {
    if let Some(a) = &ctx.global.actor {
        return Actor::parse(a);
    }
    match std::env::var("JIT_ACTOR") {
        Ok(a) if !a.trim().is_empty() => Actor::parse(a.trim()),
        _ => Actor::parse("ci:github"),
    }
}

pub fn run(ctx: &Ctx, cmd: GithubCommand) -> Result<Reply> {
    match cmd {
        GithubCommand::Event(a) => {
            let name = a
                .name
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| Error::Usage {
                    message: "no event name: pass `--name` or set GITHUB_EVENT_NAME".into(),
                })?;
            let path = a.payload.ok_or_else(|| Error::Usage {
                message: "no payload: pass `--payload FILE` or set GITHUB_EVENT_PATH".into(),
            })?;
            let store = ctx.store()?;
            let payload = github::read_payload(&path, name.trim())?;
            let report = github::apply(&store, &actor(ctx)?, &name, &payload)?;
            let code = report.exit_code();
            Ok(Reply::new(report, text).exit(code))
        }
    }
}

fn text(r: &EventReport, s: &Style) -> String {
    let mut out = format!("{}\n", clean_line(&r.message));
    for i in &r.issues {
        for st in &i.steps {
            let (mark, color) = match (&st.error, st.changed) {
                (Some(_), _) => ("refused", Color::Red),
                (None, true) => ("done", Color::Green),
                (None, false) => ("unchanged", Color::Dim),
            };
            out.push_str(&format!(
                "  {} {} {}: {}\n",
                i.short_id,
                s.paint(mark, color),
                st.action,
                clean_line(&st.detail)
            ));
            if let Some(e) = &st.error {
                out.push_str(&format!("    {}\n", clean_line(&e.message)));
            }
        }
    }
    out
}
