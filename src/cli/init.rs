//! `jit init`.

use super::{Ctx, Reply};
use crate::error::Result;
use crate::store::{InitReport, Store};
use clap::Args;

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Project name recorded in config.json (default: the checkout's directory name).
    #[arg(long)]
    pub name: Option<String>,
}

pub fn run(ctx: &Ctx, a: InitArgs) -> Result<Reply> {
    let mut report = Store::init(&ctx.start_dir(), a.name)?;
    let git = crate::gitops::install(&report.root)?;
    if git.attributes_changed {
        report.wrote.push(".gitattributes".into());
    }
    Ok(Reply::new(report, |r: &InitReport, _| {
        if r.created {
            format!("initialised jit in {}\n", r.root.join(".jit").display())
        } else if r.wrote.is_empty() {
            format!("already initialised: {}\n", r.root.join(".jit").display())
        } else {
            format!(
                "already initialised: {} (restored {})\n",
                r.root.join(".jit").display(),
                r.wrote.join(", ")
            )
        }
    }))
}
