//! `jit guide`, `jit metrics`: meeting users where they are (completions and man pages are in
//! `complete`).

use super::render::{Style, human};
use super::{Ctx, Reply};
use crate::error::Result;
use crate::ops::metrics::{self, Metrics};
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct GuideArgs {
    /// Insert or refresh the guide's marked section in this file (e.g. AGENTS.md, CLAUDE.md).
    #[arg(long)]
    pub write: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MetricsFormat {
    Text,
    Prometheus,
}

#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Output format for people (`text`) or scrapers (`prometheus`); `--json` for agents.
    #[arg(long, default_value = "text")]
    pub format: MetricsFormat,
}

#[derive(Serialize)]
struct GuideOut {
    markdown: String,
    written: Option<PathBuf>,
    changed: bool,
}

pub fn guide(ctx: &Ctx, a: GuideArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let markdown = crate::guide::render(&store)?;
    let (written, changed) = match a.write {
        Some(p) => {
            let path = if p.is_absolute() {
                p
            } else {
                ctx.start_dir().join(p)
            };
            let changed = crate::guide::write(&path, &markdown)?;
            (Some(path), changed)
        }
        None => (None, false),
    };
    Ok(Reply::new(
        GuideOut {
            markdown,
            written,
            changed,
        },
        |g: &GuideOut, _| match &g.written {
            Some(p) if g.changed => format!("wrote the jit guide into {}\n", p.display()),
            Some(p) => format!("{} already has the current jit guide\n", p.display()),
            None => super::render::clean_block(&g.markdown),
        },
    ))
}

pub fn metrics(ctx: &Ctx, a: MetricsArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let (views, problems) = crate::view::list_all(&store)?;
    let m = metrics::compute(&store, &views)?;
    let warnings = super::issue::problem_warnings(&problems);
    let reply = match a.format {
        MetricsFormat::Prometheus if !ctx.global.json => {
            Reply::new(m, |m: &Metrics, _| metrics::prometheus(m))
        }
        _ => Reply::new(m, metrics_text),
    };
    Ok(reply.warn(warnings))
}

fn fmt_secs(s: Option<f64>) -> String {
    match s {
        None => "-".into(),
        Some(s) if s < 120.0 => format!("{s:.0}s"),
        Some(s) if s < 7200.0 => format!("{:.0}m", s / 60.0),
        Some(s) if s < 172_800.0 => format!("{:.1}h", s / 3600.0),
        Some(s) => format!("{:.1}d", s / 86_400.0),
    }
}

fn metrics_text(m: &Metrics, _s: &Style) -> String {
    let mut out = format!(
        "{} issues, {} blocked, {} ready to claim, {} deferred\n\n",
        m.total, m.blocked, m.ready_unclaimed, m.deferred
    );
    let mut t = human::table(&["STATE", "ISSUES"]);
    for (k, v) in &m.by_state {
        t.add_row(vec![k.clone(), v.to_string()]);
    }
    out.push_str(&human::table_string(&t));
    let mut t = human::table(&["FLOW", "N", "P50", "P90", "P95"]);
    let mut row = |name: &str, s: &metrics::Spread| {
        t.add_row(vec![
            name.to_string(),
            s.count.to_string(),
            fmt_secs(s.p50),
            fmt_secs(s.p90),
            fmt_secs(s.p95),
        ]);
    };
    row("created -> done", &m.cycle_time_created_to_done);
    row("in_progress -> done", &m.cycle_time_in_progress_to_done);
    row("started -> finished", &m.work_time_started_to_finished);
    for (state, s) in &m.dwell {
        row(&format!("time in {state}"), s);
    }
    out.push('\n');
    out.push_str(&human::table_string(&t));
    if !m.throughput_per_week.is_empty() {
        out.push_str("\ndone per week: ");
        out.push_str(
            &m.throughput_per_week
                .iter()
                .map(|(w, n)| format!("{w} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
        );
        out.push('\n');
    }
    out.push_str(&format!("lease expiries: {}\n", m.lease_expiries));
    out
}
