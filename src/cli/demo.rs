//! `jit demo`: builds a sample repository and shows what jit does with it.

use super::render::{Color, Style, human};
use super::{Ctx, Reply};
use crate::error::Result;
use crate::store::Store;
use crate::view::IssueView;
use clap::Args;
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to build the sample repository (a new or empty directory).
    #[arg(long, default_value = "jit-demo")]
    pub dir: PathBuf,
}

#[derive(Serialize)]
struct DemoOut {
    #[serde(flatten)]
    report: crate::demo::DemoReport,
    ready: Vec<IssueView>,
    blocked: Vec<IssueView>,
    all: Vec<IssueView>,
    critical_path: Vec<String>,
}

pub fn run(ctx: &Ctx, a: DemoArgs) -> Result<Reply> {
    let dir = if a.dir.is_absolute() {
        a.dir
    } else {
        ctx.start_dir().join(a.dir)
    };
    let report = crate::demo::build(&dir)?;
    let store = Store::discover(&report.dir)?;
    let (views, _) = crate::view::list_all(&store)?;
    let containers = store.config()?.containers(|_| false);
    let now = crate::clock::now()?;
    let named = |q| crate::queries::select(&q, views.clone(), now, &containers);
    let ready = named(crate::queries::Select::Ready)?;
    let blocked = named(crate::queries::Select::Blocked)?;
    let issues: Vec<_> = views.iter().map(|v| v.issue.clone()).collect();
    let graph = crate::graph::Graph::build(&issues);
    let state_of = |id: &crate::model::IssueId| {
        issues
            .iter()
            .find(|i| &i.id == id)
            .map(|i| i.state)
            .unwrap_or(crate::model::State::Done)
    };
    let critical_path = graph
        .critical_path(state_of)?
        .iter()
        .map(|i| i.short())
        .collect();
    let out = DemoOut {
        report,
        ready,
        blocked,
        all: views,
        critical_path,
    };
    Ok(Reply::new(out, text))
}

fn text(o: &DemoOut, s: &Style) -> String {
    let d = o.report.dir.display();
    let mut t = format!(
        "{} sample repository in {d}: {} issues, {} gates\n\n",
        s.paint("built", Color::Green),
        o.report.issues,
        o.report.gates
    );
    t.push_str(&s.paint("All issues (jit issue list):\n", Color::Bold));
    t.push_str(&human::issue_table(&o.all, s));
    t.push_str(&s.paint(
        "\nReady to work on, best first (jit query ready):\n",
        Color::Bold,
    ));
    t.push_str(&human::issue_table(&o.ready, s));
    t.push_str(&s.paint("\nBlocked, and why (jit query blocked):\n", Color::Bold));
    for v in &o.blocked {
        let why: Vec<String> = v.blocked_by.iter().map(human::blocker_line).collect();
        t.push_str(&format!(
            "  {} {}: {}\n",
            v.short_id,
            super::render::clean_line(&v.issue.title),
            why.join("; ")
        ));
    }
    t.push_str(&format!(
        "\nCritical path of open work (jit graph critical-path): {}\n",
        o.critical_path.join(" -> ")
    ));
    t.push_str(&format!(
        "\nThe web site (jit export web): {}\n",
        o.report.site.display()
    ));
    if let Some(hint) = path_hint() {
        t.push_str(&format!("\n{hint}"));
    }
    t.push_str(&format!(
        "\nTry: cd {d} && jit graph show {} && jit issue context {}\n",
        o.critical_path.last().cloned().unwrap_or_default(),
        o.ready
            .first()
            .map(|v| v.short_id.clone())
            .unwrap_or_default()
    ));
    t
}

/// When the `jit` that runs is not the one `PATH` finds (as under `cargo run`), how to put it
/// there, so the commands the demo suggests work as typed.
fn path_hint() -> Option<String> {
    let exe = std::env::current_exe().ok()?;
    let exe = std::fs::canonicalize(&exe).unwrap_or(exe);
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .any(|d| std::fs::canonicalize(d.join("jit")).is_ok_and(|found| found == exe))
        })
        .unwrap_or(false);
    if on_path {
        return None;
    }
    let dir = exe.parent()?;
    Some(format!(
        "jit is not on your PATH yet: `export PATH=\"{}:$PATH\"` puts this one there for this shell (`cargo install --locked --path .` for good).\n",
        dir.display()
    ))
}
