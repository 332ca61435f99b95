//! Who is acting: `--actor`, else `JIT_ACTOR`, else `human:<git user.name>`, else `human:$USER`.

use crate::error::{Error, Result};
use crate::model::Actor;
use std::path::Path;
use std::process::Command;

/// Resolves the acting identity. `flag` is the `--actor` value, if any.
pub fn resolve(flag: Option<&str>, repo_root: &Path) -> Result<Actor> {
    if let Some(a) = flag {
        return Actor::parse(a);
    }
    if let Ok(a) = std::env::var("JIT_ACTOR")
        && !a.trim().is_empty()
    {
        return Actor::parse(a.trim()).map_err(|e| match e {
            Error::InvalidValue { message, .. } => Error::invalid("JIT_ACTOR", message),
            other => other,
        });
    }
    let git_name = Command::new("git")
        .arg("-C")
        .arg(repo_root)
        .args(["config", "user.name"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(actor) = git_name.as_deref().and_then(Actor::human_from_name) {
        return Ok(actor);
    }
    let user = std::env::var("USER").unwrap_or_default();
    Ok(Actor::human_from_name(&user)
        .unwrap_or_else(|| Actor::parse("human:unknown").expect("valid literal")))
}
