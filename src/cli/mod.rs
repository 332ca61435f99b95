//! The command line: clap definitions (one file per command family), the run loop, and the
//! mapping of results to stdout/stderr and exit codes.
//!
//! Invariant: this is the only module that prints. Under `--json` stdout holds exactly one JSON
//! object, for success and for every error, usage errors included.

mod alert;
mod bulk;
mod close;
mod complete;
mod defer;
mod demo;
mod dep;
mod details;
pub(crate) mod edit;
mod events;
mod export;
mod filter;
mod gate;
mod git;
mod github;
mod graph;
mod hook;
mod import;
mod init;
mod issue;
mod mcp;
mod output;
mod progress;
mod query;
pub mod render;
mod schema;
mod serve;
mod tools;
mod validate;

pub use output::Reply;

use crate::error::{Error, Result, exit};
use crate::model::Actor;
use crate::store::Store;
use clap::{Args, Parser, Subcommand};
use render::Style;
use std::path::PathBuf;

/// jit: a repository-local issue tracker for developers, CI and AI agents.
#[derive(Debug, Parser)]
#[command(name = "jit", version, about, long_about = None, propagate_version = true, max_term_width = 100)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes.
#[derive(Debug, Args, Clone)]
pub struct Global {
    /// Print one JSON object on stdout (errors too) instead of human output.
    #[arg(long, global = true)]
    pub json: bool,
    /// Act as this actor (`type:identifier`); default `JIT_ACTOR`, else `human:<git user.name>`.
    #[arg(long, global = true, value_name = "ACTOR")]
    pub actor: Option<String>,
    /// Run as if started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create `.jit/` in the current git checkout (idempotent).
    Init(init::InitArgs),
    /// Build a sample repository with dependencies and gates, and show ready work.
    Demo(demo::DemoArgs),
    /// Check the store for broken references, cycles, contradictory states; --fix repairs.
    Validate(validate::ValidateArgs),
    /// Create, list, show, change and delete issues.
    #[command(subcommand)]
    Issue(Box<issue::IssueCommand>),
    /// List issues: `jit issue list` (open work unless --all).
    Ls(issue::ListArgs),
    /// Acceptance criteria: add, check and uncheck items by their text.
    #[command(subcommand)]
    Checklist(details::ChecklistCommand),
    /// Links between issues: relates, duplicates.
    #[command(subcommand)]
    Link(details::LinkCommand),
    /// Pull requests linked to an issue.
    #[command(subcommand)]
    Pr(details::PrCommand),
    /// Add and remove dependencies.
    #[command(subcommand)]
    Dep(dep::DepCommand),
    /// Quality gates: define, require, pass, fail, run checkers.
    #[command(subcommand)]
    Gate(gate::GateCommand),
    /// The dependency graph: trees, roots, order, critical path.
    #[command(subcommand)]
    Graph(graph::GraphCommand),
    /// Named queries: ready work, blocked work, by state, priority or assignee.
    #[command(subcommand)]
    Query(query::QueryCommand),
    /// The event log as history: query it, tail it, follow it.
    #[command(subcommand)]
    Events(events::EventsCommand),
    /// Export the store: graphs, JSON, CSV, markdown roadmap and changelog, a web site.
    Export(export::ExportArgs),
    /// Git integration: attributes and the field-level merge driver.
    #[command(subcommand)]
    Git(git::GitCommand),
    /// Shell completion (issue ids, gate keys, values): the script that registers it.
    Completions(complete::CompletionsArgs),
    /// Man pages (roff) from the command definitions; --out DIR writes one per command.
    Man(complete::ManArgs),
    /// The agent workflow for AGENTS.md / CLAUDE.md, with this repository's gates.
    Guide(tools::GuideArgs),
    /// Counts, cycle and dwell times, throughput and lease expiries (text, JSON or Prometheus).
    Metrics(tools::MetricsArgs),
    /// JSON Schemas of the stored files and the JSON output (without NAME: list them).
    Schema(schema::SchemaArgs),
    /// Serve the agent workflow as Model Context Protocol tools on stdio (see docs/mcp.md).
    Mcp,
    /// The live web console on 127.0.0.1: board, list, kanban, issues, agents, leases, events
    /// (see docs/serve.md).
    Serve(serve::ServeArgs),
    /// Exchange .jit/ with the git remote: commit, pull, validate, push (retried on a race).
    Sync(git::SyncArgs),
    /// Move in from beads, just-in-time, Backlog.md, Jira, Linear, GitHub or CSV.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// The field-level merge driver git calls for issue files (`jit merge-driver %O %A %B`).
    MergeDriver(git::MergeDriverArgs),
    /// Hooks: run a command or POST a signed webhook when events happen (see docs/hooks.md).
    #[command(subcommand)]
    Hook(hook::HookCommand),
    /// Alerts: conditions over the store, delivered through the hooks when they change.
    #[command(subcommand)]
    Alert(alert::AlertCommand),
    /// GitHub: apply webhook or Actions events (pull requests, checks) to issues.
    #[command(subcommand)]
    Github(github::GithubCommand),
}

/// `--remote NAME` / `--no-remote`: where a command publishes the claim changes it makes.
#[derive(Debug, Args, Default, Clone)]
pub struct RemoteArgs {
    /// Publish the claim change on this git remote before anything is written here, so exactly
    /// one clone wins it (default: `claims.remote` in .jit/config.json; see docs/agents.md).
    #[arg(long, value_name = "NAME", conflicts_with = "no_remote")]
    pub remote: Option<String>,
    /// Keep the claim change in this repository only, even when `claims.remote` is set.
    #[arg(long)]
    pub no_remote: bool,
}

/// Everything a command needs from the invocation.
pub struct Ctx {
    pub global: Global,
    pub style: Style,
}

impl Ctx {
    /// The directory the command runs in.
    pub fn start_dir(&self) -> PathBuf {
        self.global
            .dir
            .clone()
            .unwrap_or_else(|| PathBuf::from("."))
    }

    /// Finds the store (walking up) and checks its schema version. Claim changes are
    /// published on the remote `claims.remote` of the config names, if any.
    pub fn store(&self) -> Result<Store> {
        self.store_with(&RemoteArgs::default())
    }

    /// [`Ctx::store`], publishing claim changes where `r` says (or the config, by default).
    pub fn store_with(&self, r: &RemoteArgs) -> Result<Store> {
        let store = self.local_store()?;
        let remote = match (&r.remote, r.no_remote) {
            (_, true) => None,
            (Some(name), false) => Some(name.clone()),
            (None, false) => store.config()?.claims.and_then(|c| c.remote),
        };
        let publisher = match remote {
            Some(name) => Some(
                std::sync::Arc::new(crate::gitops::remote::GitPublisher::new(&store, &name)?)
                    as std::sync::Arc<dyn crate::store::ledger::Publisher>,
            ),
            None => None,
        };
        Ok(store.publishing(publisher))
    }

    /// The store, with claims kept in this repository whatever the config says.
    pub fn local_store(&self) -> Result<Store> {
        let store = Store::discover(&self.start_dir())?;
        store.config()?;
        Ok(store)
    }

    /// The progress reporter for long work: a line on stderr when it is a terminal and `--json`
    /// is not given, else silence.
    pub fn progress(&self) -> Box<dyn crate::progress::Progress> {
        progress::for_stderr(self.global.json)
    }

    /// The acting identity.
    pub fn actor(&self, store: &Store) -> Result<Actor> {
        crate::identity::resolve(self.global.actor.as_deref(), store.root())
    }
}

fn wants_json(args: &[std::ffi::OsString]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}

/// Runs jit with the process arguments; returns the exit code. A shell asking for completions
/// (`COMPLETE=<shell>`) is answered instead, and the process exits.
pub fn main() -> u8 {
    complete::complete_if_asked();
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    run(args)
}

/// Runs jit with explicit arguments; returns the exit code.
pub fn run(args: Vec<std::ffi::OsString>) -> u8 {
    let json = wants_json(&args);
    let cli = match Cli::try_parse_from(&args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = e.print();
                return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    exit::USAGE
                } else {
                    exit::OK
                };
            }
            if let Some(hint) = did_you_mean(&e) {
                print_error(&hint, json);
                return exit::USAGE;
            }
            if json {
                let msg = e.render().to_string();
                let first = msg
                    .lines()
                    .next()
                    .unwrap_or("usage error")
                    .trim_start_matches("error: ")
                    .to_string();
                let err = Error::Usage { message: first };
                println!(
                    "{}",
                    serde_json::to_string_pretty(&err.to_json()).unwrap_or_default()
                );
            } else {
                let _ = e.print();
            }
            return exit::USAGE;
        }
    };
    let ctx = Ctx {
        style: Style::detect(),
        global: cli.global.clone(),
    };
    let result =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| dispatch(&ctx, cli.command)));
    let result = match result {
        Ok(r) => r,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panic".into());
            Err(Error::Internal(format!(
                "{msg}; this is a bug in jit, please report it"
            )))
        }
    };
    let code = match result {
        Ok(reply) => match reply.print(ctx.global.json, &ctx.style) {
            Ok(()) => reply.exit,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => reply.exit,
            Err(_) => exit::INTERNAL,
        },
        Err(e) => {
            print_error(&e, ctx.global.json);
            e.exit_code()
        }
    };
    // Hook deliveries queued by this command's changes, once its reply is out.
    print_warnings(&crate::hooks::flush());
    code
}

/// A top-level word that is an `issue` subcommand (`jit show ID`, `jit new`): the error that
/// says which command was meant.
fn did_you_mean(e: &clap::Error) -> Option<Error> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::InvalidSubcommand {
        return None;
    }
    let Some(ContextValue::String(word)) = e.get(ContextKind::InvalidSubcommand) else {
        return None;
    };
    let cmd = <Cli as clap::CommandFactory>::command();
    let issue = cmd.find_subcommand("issue")?;
    let sub = issue
        .get_subcommands()
        .find(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))?;
    let meant = if sub.get_name() == "list" {
        "`jit ls` or `jit issue list`".to_string()
    } else {
        format!("`jit issue {word}`")
    };
    Some(Error::Usage {
        message: format!("`{word}` is not a jit command; did you mean {meant}?"),
    })
}

/// Prints warnings on stderr (both modes).
pub fn print_warnings(warnings: &[String]) {
    if warnings.is_empty() {
        return;
    }
    let style = Style {
        color: std::io::IsTerminal::is_terminal(&std::io::stderr())
            && std::env::var_os("NO_COLOR").is_none(),
    };
    for w in warnings {
        eprintln!(
            "{}: {}",
            style.paint("warning", render::Color::Yellow),
            render::clean_line(w)
        );
    }
}

/// Prints an error: JSON on stdout under `--json`, else a message on stderr.
pub fn print_error(e: &Error, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&e.to_json()).unwrap_or_default()
        );
    } else {
        let style = Style {
            color: std::io::IsTerminal::is_terminal(&std::io::stderr())
                && std::env::var_os("NO_COLOR").is_none(),
        };
        eprintln!(
            "{}: {}",
            style.paint("error", render::Color::Red),
            render::clean_line(&e.to_string())
        );
    }
}

fn dispatch(ctx: &Ctx, cmd: Command) -> Result<Reply> {
    match cmd {
        Command::Init(a) => init::run(ctx, a),
        Command::Demo(a) => demo::run(ctx, a),
        Command::Validate(a) => validate::run(ctx, a),
        Command::Issue(c) => issue::run(ctx, *c),
        Command::Checklist(c) => details::checklist(ctx, c),
        Command::Link(c) => details::link(ctx, c),
        Command::Pr(c) => details::pr(ctx, c),
        Command::Dep(c) => dep::run(ctx, c),
        Command::Gate(c) => gate::run(ctx, c),
        Command::Graph(c) => graph::run(ctx, c),
        Command::Query(c) => query::run(ctx, c),
        Command::Events(c) => events::run(ctx, c),
        Command::Export(a) => export::run(ctx, a),
        Command::Git(c) => git::run(ctx, c),
        Command::MergeDriver(a) => git::merge_driver(ctx, a),
        Command::Ls(a) => issue::list(ctx, a),
        Command::Completions(a) => complete::completions(a),
        Command::Man(a) => complete::man(a),
        Command::Guide(a) => tools::guide(ctx, a),
        Command::Metrics(a) => tools::metrics(ctx, a),
        Command::Schema(a) => schema::run(ctx, a),
        Command::Mcp => mcp::run(ctx),
        Command::Serve(a) => serve::run(ctx, a),
        Command::Sync(a) => git::sync(ctx, a),
        Command::Import(c) => import::run(ctx, c),
        Command::Hook(c) => hook::run(ctx, c),
        Command::Alert(c) => alert::run(ctx, c),
        Command::Github(c) => github::run(ctx, c),
    }
}
