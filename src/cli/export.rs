//! `jit export --format dot|mermaid`.

use super::{Ctx, Reply};
use crate::error::Result;
use clap::{Args, ValueEnum};
use serde::Serialize;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Dot,
    Mermaid,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Output format.
    #[arg(long)]
    pub format: Format,
    /// Export only issues matching this query (see docs/query.md).
    #[arg(long)]
    pub filter: Option<String>,
}

#[derive(Serialize)]
struct Exported {
    format: &'static str,
    content: String,
}

pub fn run(ctx: &Ctx, a: ExportArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let filter = super::filter::Filter::parse(a.filter.as_deref())?;
    let (views, problems) = crate::issues::list_all(&store)?;
    let issues: Vec<crate::model::Issue> = views
        .into_iter()
        .filter(|v| filter.matches(v))
        .map(|v| v.issue)
        .collect();
    let (format, content) = match a.format {
        Format::Dot => ("dot", crate::export::dot(&issues)),
        Format::Mermaid => ("mermaid", crate::export::mermaid(&issues)),
    };
    Ok(Reply::new(Exported { format, content }, |e: &Exported, _| {
        e.content.clone()
    })
    .warn(super::issue::problem_warnings(&problems)))
}
