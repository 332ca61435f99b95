//! `jit schema [NAME] [--write-docs]`: print the JSON Schemas from `crate::schema`, or refresh the
//! copies committed under `docs/schema/`.

use super::{Ctx, Reply};
use crate::error::{Error, Result};
use crate::schema::{self, DOCS_DIR, NAMES};
use clap::Args;
use serde::Serialize;
use serde_json::Value;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// The schema: issue, gates, config, event, issue-view, issue-list or error.
    pub name: Option<String>,
    /// Write every schema to `docs/schema/<NAME>.json` under the working directory (`-C`), as
    /// committed in jit's own source tree.
    #[arg(long, conflicts_with = "name")]
    pub write_docs: bool,
}

#[derive(Serialize)]
struct Entry {
    name: &'static str,
    description: &'static str,
    file: String,
}

#[derive(Serialize)]
struct Listing {
    schemas: Vec<Entry>,
}

#[derive(Serialize)]
struct Written {
    dir: PathBuf,
    written: Vec<String>,
    unchanged: Vec<String>,
}

pub fn run(ctx: &Ctx, a: SchemaArgs) -> Result<Reply> {
    if a.write_docs {
        return write_docs(ctx);
    }
    match a.name {
        Some(name) => {
            let value = schema::generate(&name)?;
            Ok(Reply::new(value, |v: &Value, _| {
                serde_json::to_string_pretty(v).unwrap_or_default()
            }))
        }
        None => {
            let schemas = NAMES
                .iter()
                .map(|(name, description)| Entry {
                    name,
                    description,
                    file: format!("{DOCS_DIR}/{name}.json"),
                })
                .collect();
            Ok(Reply::new(Listing { schemas }, |l: &Listing, _| {
                let mut out = String::new();
                for e in &l.schemas {
                    out.push_str(&format!("{:<12} {}\n", e.name, e.description));
                }
                out
            }))
        }
    }
}

fn write_docs(ctx: &Ctx) -> Result<Reply> {
    let dir = ctx.start_dir().join(DOCS_DIR);
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating `{}`", dir.display()), e))?;
    let mut out = Written {
        dir: dir.clone(),
        written: Vec::new(),
        unchanged: Vec::new(),
    };
    for (name, _) in NAMES {
        let text = schema::render(name)?;
        let path = dir.join(format!("{name}.json"));
        if std::fs::read_to_string(&path).ok().as_deref() == Some(text.as_str()) {
            out.unchanged.push(name.to_string());
            continue;
        }
        crate::store::write_atomic(&path, text.as_bytes())?;
        out.written.push(name.to_string());
    }
    Ok(Reply::new(out, |w: &Written, _| {
        format!(
            "{} schema(s) written, {} unchanged in `{}`\n",
            w.written.len(),
            w.unchanged.len(),
            w.dir.display()
        )
    }))
}
