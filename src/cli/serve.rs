//! `jit serve`: the live web console (see docs/serve.md). Prints where it listens (under
//! `--json` one line `{"url": ..., "token": ...}`), optionally opens a browser, then serves until
//! Ctrl-C. Without the `serve` cargo feature the command exists and fails with
//! `feature_disabled` (exit 2).

use super::{Ctx, Reply};
use clap::Args;
use std::net::IpAddr;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The address to listen on. The default, 127.0.0.1, is reachable from this machine only;
    /// any other address (e.g. 0.0.0.0) exposes the console to the network, and then reads need
    /// the token too.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Refuse every write: a console to look at, not to change things with.
    #[arg(long)]
    pub read_only: bool,
    /// Serve only public issues (`visibility: internal` ones do not exist for this console), as
    /// `jit export web --public` does.
    #[arg(long)]
    pub public: bool,
    /// Open the console in a browser (`xdg-open` or `open`).
    #[arg(long)]
    pub open: bool,
}

#[cfg(not(feature = "serve"))]
pub fn run(_ctx: &Ctx, _a: ServeArgs) -> crate::error::Result<Reply> {
    Err(crate::error::Error::Refused {
        code: crate::error::ErrorCode::FeatureDisabled,
        message: "this jit was built without the `serve` feature; rebuild it with the default \
                  features (`cargo install --path .` or `cargo build --features serve`)"
            .into(),
        details: serde_json::json!({ "feature": "serve" }),
    })
}

/// Milliseconds from an environment variable (test hooks documented in docs/serve.md).
#[cfg(feature = "serve")]
fn env_ms(name: &str) -> Option<std::time::Duration> {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|n| *n > 0)
        .map(std::time::Duration::from_millis)
}

#[cfg(feature = "serve")]
pub fn run(ctx: &Ctx, a: ServeArgs) -> crate::error::Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let mut cfg = crate::serve::Config::new(actor.clone());
    cfg.bind = a.bind;
    cfg.port = a.port;
    cfg.read_only = a.read_only;
    cfg.public = a.public;
    if let Some(d) = env_ms("JIT_SERVE_KEEPALIVE_MS") {
        cfg.keep_alive = d;
    }
    let server = crate::serve::bind(store, cfg)?;
    let started = server.started();
    let json = ctx.global.json;
    server.run(|| announce(&started, json, &actor, &a))?;
    Ok(Reply::silent())
}

/// Prints where the server listens (and opens the browser with `--open`).
#[cfg(feature = "serve")]
fn announce(
    started: &crate::serve::Started,
    json: bool,
    actor: &crate::model::Actor,
    a: &ServeArgs,
) {
    use std::io::Write;
    {
        let mut out = std::io::stdout().lock();
        let line = if json {
            serde_json::to_string(&started).unwrap_or_default()
        } else {
            format!(
                "jit serve: listening on {}\n  acting as {}{}{}\n  open {}\n  stop with Ctrl-C",
                started.url.split("/?").next().unwrap_or(&started.url),
                super::render::clean_line(actor.as_str()),
                if a.read_only { ", read-only" } else { "" },
                if a.public { ", public issues only" } else { "" },
                started.url
            )
        };
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    if a.open {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        if let Err(e) = std::process::Command::new(opener)
            .arg(&started.url)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            eprintln!("warning: could not run `{opener}` to open the browser: {e}");
        }
    }
}
