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
}

#[derive(Serialize)]
struct Exported {
    format: &'static str,
    content: String,
}

pub fn run(ctx: &Ctx, a: ExportArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let (mut issues, problems) = store.load_all()?;
    issues.sort_by(|a, b| a.id.cmp(&b.id));
    let (format, content) = match a.format {
        Format::Dot => ("dot", crate::export::dot(&issues)),
        Format::Mermaid => ("mermaid", crate::export::mermaid(&issues)),
    };
    Ok(Reply::new(Exported { format, content }, |e: &Exported, _| e.content.clone()).warn(super::issue::problem_warnings(&problems)))
}
