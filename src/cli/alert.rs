//! `jit alert add|list|rm|check`: conditions over the store, delivered through the hooks.

use super::render::{Color, Style, clean_line, human};
use super::{Ctx, Reply};
use crate::alerts::{self, AlertDefChange, AlertList, CheckReport};
use crate::error::{Result, exit};
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum AlertCommand {
    /// Add an alert (or replace the one with this name).
    Add(AddArgs),
    /// The configured alerts and how many subjects each is firing for.
    List,
    /// Remove an alert (what it had fired is resolved).
    Rm(NameArgs),
    /// Evaluate every alert; record `alert.fired` / `alert.resolved` for what changed.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// The alert's name: lower-case letters, digits, `-`, `_`, `.`.
    pub name: String,
    /// The condition: `count(QUERY) > N`, `lease_expired`, `in_progress > 2d`,
    /// `gate_failed`, `gate_failed(KEY)`.
    #[arg(long, value_name = "CONDITION")]
    pub when: String,
    /// Only issues matching this query count.
    #[arg(long, value_name = "QUERY")]
    pub filter: Option<String>,
}

#[derive(Debug, Args)]
pub struct NameArgs {
    /// The alert's name.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Exit with 8 while any alert is firing (for CI).
    #[arg(long = "exit-code")]
    pub exit_code: bool,
}

pub fn run(ctx: &Ctx, cmd: AlertCommand) -> Result<Reply> {
    let store = ctx.store()?;
    match cmd {
        AlertCommand::Add(a) => {
            let actor = ctx.actor(&store)?;
            let out = alerts::add(&store, &actor, &a.name, &a.when, a.filter.as_deref())?;
            Ok(Reply::new(out, change_text))
        }
        AlertCommand::List => Ok(Reply::new(alerts::list(&store)?, list_text)),
        AlertCommand::Rm(a) => {
            let actor = ctx.actor(&store)?;
            Ok(Reply::new(
                alerts::remove(&store, &actor, &a.name)?,
                change_text,
            ))
        }
        AlertCommand::Check(a) => {
            let actor = ctx.actor(&store)?;
            let report = alerts::check(&store, &actor)?;
            let code = if a.exit_code && !report.firing.is_empty() {
                exit::CHECK_FAILED
            } else {
                exit::OK
            };
            Ok(Reply::new(report, check_text).exit(code))
        }
    }
}

fn change_text(c: &AlertDefChange, _: &Style) -> String {
    format!(
        "alert {} {}: when {}{}\n",
        clean_line(&c.name),
        c.change,
        clean_line(&c.alert.when),
        c.alert
            .filter
            .as_deref()
            .map(|f| format!(" (filter {})", clean_line(f)))
            .unwrap_or_default()
    )
}

fn list_text(l: &AlertList, _: &Style) -> String {
    if l.alerts.is_empty() {
        return "no alerts; add one with `jit alert add NAME --when 'count(blocked) > 5'`\n".into();
    }
    let mut t = human::table(&["NAME", "WHEN", "FILTER", "FIRING"]);
    for a in &l.alerts {
        t.add_row(vec![
            clean_line(&a.name),
            clean_line(&a.alert.when),
            clean_line(a.alert.filter.as_deref().unwrap_or("-")),
            a.firing.to_string(),
        ]);
    }
    human::table_string(&t)
}

fn check_text(r: &CheckReport, s: &Style) -> String {
    let mut out = String::new();
    for c in &r.fired {
        out.push_str(&format!(
            "{} {}: {}\n",
            s.paint("fired", Color::Red),
            clean_line(&c.alert),
            clean_line(&c.message)
        ));
    }
    for c in &r.resolved {
        out.push_str(&format!(
            "{} {}: {}\n",
            s.paint("resolved", Color::Green),
            clean_line(&c.alert),
            clean_line(&c.message)
        ));
    }
    out.push_str(&format!(
        "{} alert(s) checked: {} fired, {} resolved, {} firing\n",
        r.alerts,
        r.fired.len(),
        r.resolved.len(),
        r.firing.len()
    ));
    out
}
