//! `jit export`: `--format dot|mermaid|json|csv`, and the `roadmap`, `changelog` and `web`
//! subcommands. Exactly one of `--format` and a subcommand is given.

use super::filter::Filter;
use super::{Ctx, Reply};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::view::IssueView;
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
    Json,
    Csv,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ExportArgs {
    #[command(subcommand)]
    pub command: Option<ExportCommand>,
    /// Output format: a graph (dot, mermaid), the whole store as one JSON document, or CSV.
    #[arg(long)]
    pub format: Option<Format>,
    #[arg(long, value_name = "QUERY", help = super::args::FILTER)]
    pub filter: Option<String>,
    /// Leave out `visibility: internal` issues and every reference to them.
    #[arg(long)]
    pub public: bool,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// A markdown roadmap: one table per milestone with its exit gate (no timestamps).
    Roadmap(RoadmapArgs),
    /// Release notes: done issues by milestone, then by type.
    Changelog(ChangelogArgs),
    /// A static web site (board, list, kanban, graph, one page per issue) that opens from file://.
    Web(WebArgs),
}

#[derive(Debug, Args)]
pub struct RoadmapArgs {
    #[arg(long, value_name = "QUERY", help = super::args::FILTER)]
    pub filter: Option<String>,
    /// Write the roadmap to FILE (atomically) instead of printing it.
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    pub out: Option<PathBuf>,
    /// Compare FILE with the roadmap the store renders now; exit 8 (`out_of_date`) if it differs.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
    /// Leave out `visibility: internal` issues and every reference to them.
    #[arg(long)]
    pub public: bool,
}

#[derive(Debug, Args)]
pub struct ChangelogArgs {
    /// Only this milestone.
    #[arg(long, value_name = "M")]
    pub milestone: Option<String>,
    /// Write the notes to FILE (atomically) instead of printing them.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Leave out `visibility: internal` issues and every reference to them.
    #[arg(long)]
    pub public: bool,
}

#[derive(Debug, Args)]
pub struct WebArgs {
    /// The directory to write the site into (created if missing; files jit writes are replaced).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Leave out `visibility: internal` issues entirely (references to them show as "(private)").
    #[arg(long)]
    pub public: bool,
    #[arg(long, value_name = "QUERY", help = super::args::FILTER)]
    pub filter: Option<String>,
    /// Write into a directory that holds files a jit export did not write (they are left alone).
    #[arg(long)]
    pub force: bool,
}

/// A text export printed (under `--json`, wrapped with its format name).
#[derive(Serialize)]
struct Exported {
    format: &'static str,
    content: String,
}

/// A text export written to or checked against a file.
#[derive(Serialize)]
struct FileOut {
    format: &'static str,
    path: PathBuf,
    /// `written` or `up_to_date`.
    result: &'static str,
}

pub fn run(ctx: &Ctx, a: ExportArgs) -> Result<Reply> {
    match (a.command, a.format) {
        (Some(ExportCommand::Roadmap(r)), None) => roadmap(ctx, r),
        (Some(ExportCommand::Changelog(c)), None) => changelog(ctx, c),
        (Some(ExportCommand::Web(w)), None) => web(ctx, w),
        (None, Some(f)) => format(ctx, f, a.filter.as_deref(), a.public),
        (None, None) => Err(Error::Usage {
            message: "give `--format dot|mermaid|json|csv` or a subcommand (`roadmap`, \
                      `changelog`, `web`); see `jit export --help`"
                .into(),
        }),
        (Some(_), Some(_)) => Err(Error::Usage {
            message: "give either `--format` or a subcommand, not both".into(),
        }),
    }
}

/// The store's views that pass the filter, in id order (with `public`, what
/// [`crate::export::public`] leaves), and the warnings for unreadable files.
fn load(
    ctx: &Ctx,
    filter: Option<&str>,
    public: bool,
) -> Result<(Store, Vec<IssueView>, Vec<String>)> {
    let store = ctx.store()?;
    let filter = Filter::parse(filter, &store)?;
    let (views, problems) = crate::view::list_all(&store)?;
    crate::export::refuse_unreadable(&store, &problems)?;
    let mut views: Vec<IssueView> = views.into_iter().filter(|v| filter.matches(v)).collect();
    if public {
        views = crate::export::public(views);
    }
    Ok((store, views, super::issue::problem_warnings(&problems)))
}

fn format(ctx: &Ctx, f: Format, filter: Option<&str>, public: bool) -> Result<Reply> {
    let (store, views, warnings) = load(ctx, filter, public)?;
    let (format, content) = match f {
        Format::Dot | Format::Mermaid => {
            let issues: Vec<crate::model::Issue> = views.into_iter().map(|v| v.issue).collect();
            match f {
                Format::Dot => ("dot", crate::export::dot(&issues)),
                _ => ("mermaid", crate::export::mermaid(&issues)),
            }
        }
        Format::Csv => {
            let refs: Vec<&IssueView> = views.iter().collect();
            ("csv", crate::export::csv::render(&refs))
        }
        Format::Json => {
            let doc = crate::export::document::build(
                store.config()?,
                store.gates()?,
                views.into_iter().map(|v| v.issue).collect(),
                crate::clock::now()?,
            );
            return Ok(Reply::new(doc, |d, _| {
                let mut s = serde_json::to_string_pretty(d).unwrap_or_default();
                s.push('\n');
                s
            })
            .warn(warnings));
        }
    };
    Ok(Reply::new(Exported { format, content }, |e: &Exported, _| {
        e.content.clone()
    })
    .warn(warnings))
}

/// Prints `content`, or writes it to `out`, or checks it against `check`.
fn deliver(
    format: &'static str,
    content: String,
    out: Option<PathBuf>,
    check: Option<PathBuf>,
    command: &str,
    base: &Path,
    warnings: Vec<String>,
) -> Result<Reply> {
    let resolve = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
    let file_reply = |path: PathBuf, result: &'static str| {
        Reply::new(
            FileOut {
                format,
                path,
                result,
            },
            |o: &FileOut, _| match o.result {
                "written" => format!("wrote the {} to {}\n", o.format, o.path.display()),
                _ => format!("{} is up to date\n", o.path.display()),
            },
        )
    };
    let reply = if let Some(path) = check {
        let path = resolve(path);
        crate::export::check_file(&path, &content, command)?;
        file_reply(path, "up_to_date")
    } else if let Some(path) = out {
        let path = resolve(path);
        crate::export::write_file(&path, &content)?;
        file_reply(path, "written")
    } else {
        Reply::new(Exported { format, content }, |e: &Exported, _| {
            e.content.clone()
        })
    };
    Ok(reply.warn(warnings))
}

fn roadmap(ctx: &Ctx, a: RoadmapArgs) -> Result<Reply> {
    let (store, views, warnings) = load(ctx, a.filter.as_deref(), a.public)?;
    let refs: Vec<&IssueView> = views.iter().collect();
    let content = crate::export::roadmap::render(&store.config()?.project, &refs);
    let public = if a.public { " --public" } else { "" };
    let command = match &a.check {
        Some(p) => format!("jit export roadmap{public} --out {}", p.display()),
        None => format!("jit export roadmap{public} --out FILE"),
    };
    deliver(
        "roadmap",
        content,
        a.out,
        a.check,
        &command,
        &ctx.start_dir(),
        warnings,
    )
}

fn changelog(ctx: &Ctx, a: ChangelogArgs) -> Result<Reply> {
    let (store, views, warnings) = load(ctx, None, a.public)?;
    let refs: Vec<&IssueView> = views.iter().collect();
    let content =
        crate::export::changelog::render(&store.config()?.project, &refs, a.milestone.as_deref());
    deliver(
        "changelog",
        content,
        a.out,
        None,
        "jit export changelog --out FILE",
        &ctx.start_dir(),
        warnings,
    )
}

fn web(ctx: &Ctx, a: WebArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let filter = Filter::parse(a.filter.as_deref(), &store)?;
    let dir = if a.out.is_absolute() {
        a.out
    } else {
        ctx.start_dir().join(a.out)
    };
    let report = crate::export::web::export(
        &store,
        &dir,
        a.public,
        a.force,
        |v| filter.matches(v),
        &*ctx.progress(),
    )?;
    Ok(Reply::new(
        report,
        |r: &crate::export::web::SiteReport, _| format!("{}\n", r.index.display()),
    ))
}
