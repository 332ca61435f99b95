//! `jit validate [--fix]`.

use super::render::{Color, Style, clean_line};
use super::{Ctx, Reply};
use crate::error::{Result, exit};
use crate::ops::validate::{self, Report, Severity};
use clap::Args;

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Repair what is safe (derived states, dangling references, torn event lines, temp files).
    #[arg(long)]
    pub fix: bool,
}

pub fn run(ctx: &Ctx, a: ValidateArgs) -> Result<Reply> {
    // The one command that opens a store with symbolic links in it: to report them.
    let store = crate::store::Store::discover_unchecked(&ctx.start_dir())?;
    if store.links().is_empty() {
        store.config()?;
    }
    let actor = ctx.actor(&store)?;
    let report = validate::run(&store, &actor, a.fix, &*ctx.progress())?;
    let code = if report.ok {
        exit::OK
    } else {
        exit::CHECK_FAILED
    };
    Ok(Reply::new(report, text).exit(code))
}

fn text(r: &Report, s: &Style) -> String {
    let mut out = String::new();
    for p in &r.problems {
        let (label, color) = match (p.fixed, p.severity) {
            (true, _) => ("fixed", Color::Green),
            (false, Severity::Error) => ("error", Color::Red),
            (false, Severity::Warning) => ("warning", Color::Yellow),
        };
        let place = p
            .path
            .as_ref()
            .map(|p| format!(" ({})", p.display()))
            .unwrap_or_default();
        out.push_str(&format!(
            "{} [{}] {}{place}\n",
            s.paint(label, color),
            p.code,
            clean_line(&p.message)
        ));
    }
    let remaining = r.problems.iter().filter(|p| !p.fixed).count();
    let fixable = r.problems.iter().filter(|p| !p.fixed && p.fixable).count();
    out.push_str(&format!(
        "{}: {} issues, {} events checked; {} problem(s){}{}\n",
        if r.ok {
            s.paint("ok", Color::Green)
        } else {
            s.paint("invalid", Color::Red)
        },
        r.issues_checked,
        r.events_checked,
        remaining,
        if r.fixed > 0 {
            format!(", {} fixed", r.fixed)
        } else {
            String::new()
        },
        if fixable > 0 {
            format!("; `jit validate --fix` can repair {fixable}")
        } else {
            String::new()
        },
    ));
    out
}
