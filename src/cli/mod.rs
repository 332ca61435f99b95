//! The command line: clap definitions (one file per command family), the run loop, and the
//! mapping of results to stdout/stderr and exit codes.
//!
//! Invariant: this is the only module that prints. Under `--json` stdout holds exactly one JSON
//! object, for success and for every error, usage errors included.

mod alert;
mod args;
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
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
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
        let claims = match (&r.remote, r.no_remote) {
            (_, true) => crate::workspace::Claims::Local,
            (Some(name), false) => crate::workspace::Claims::On(name.clone()),
            (None, false) => crate::workspace::Claims::AsConfigured,
        };
        self.open(&claims)
    }

    /// The store, with claims kept in this repository whatever the config says. In a clone
    /// whose `.gitattributes` names the jit merge driver, makes sure git config registers it
    /// (see [`crate::gitops::install::ensure_driver`]), saying so on stderr.
    pub fn local_store(&self) -> Result<Store> {
        self.open(&crate::workspace::Claims::Local)
    }

    /// The store opened by [`crate::workspace::open`], its notes and warnings on stderr.
    fn open(&self, claims: &crate::workspace::Claims) -> Result<Store> {
        let opened = crate::workspace::open(&self.start_dir(), claims)?;
        print_notes(&opened.notes);
        print_warnings(&opened.warnings);
        Ok(opened.store)
    }

    /// [`Ctx::local_store`] without the merge driver check: for `git install` and `sync`, which
    /// register the driver themselves and report it.
    pub fn local_store_as_is(&self) -> Result<Store> {
        crate::workspace::find(&self.start_dir())
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

/// Options whose value is a query or free text: a value starting with `-` is still their value
/// (`--filter '-label:bug'`, `--body "-1 from me"`), never taken for a flag.
const TEXT_OPTIONS: &[&str] = &[
    "filter",
    "title",
    "desc",
    "body",
    "note",
    "reason",
    "item",
    "evidence",
    "done-when",
];

/// The command line definition every parse, completion and man page uses: the clap derive,
/// with [`TEXT_OPTIONS`] taking values that start with `-` in every subcommand.
pub fn command() -> clap::Command {
    fn texts(cmd: clap::Command) -> clap::Command {
        cmd.mut_args(|a| {
            let text = a.get_long().is_some_and(|l| TEXT_OPTIONS.contains(&l));
            if text { a.allow_hyphen_values(true) } else { a }
        })
        .mut_subcommands(texts)
    }
    texts(Cli::command())
}

/// Parses the arguments with [`command`]. A text option written without its value, right
/// before a flag (`--filter --json`), is a usage error rather than a filter named `--json`: a
/// value that is exactly one of jit's flags must be written `--filter=--json`.
fn parse(args: &[std::ffi::OsString]) -> std::result::Result<Cli, clap::Error> {
    let cmd = command();
    let mut flags = std::collections::BTreeSet::new();
    fn longs(c: &clap::Command, out: &mut std::collections::BTreeSet<String>) {
        for a in c.get_arguments() {
            if let Some(l) = a.get_long() {
                out.insert(format!("--{l}"));
            }
            if let Some(s) = a.get_short() {
                out.insert(format!("-{s}"));
            }
        }
        for s in c.get_subcommands() {
            longs(s, out);
        }
    }
    longs(&cmd, &mut flags);
    flags.extend(["--help", "-h", "--version", "-V"].map(String::from));
    for pair in args.windows(2).take_while(|w| w[0] != "--") {
        let (opt, next) = (pair[0].to_string_lossy(), pair[1].to_string_lossy());
        let text = opt
            .strip_prefix("--")
            .is_some_and(|o| TEXT_OPTIONS.contains(&o));
        if text && flags.contains(next.as_ref()) {
            let mut cmd = cmd;
            return Err(cmd.error(
                clap::error::ErrorKind::InvalidValue,
                format!(
                    "`{opt}` needs a value, and `{next}` is a flag; write `{opt}=VALUE` to \
                     give a value that is exactly `{next}`"
                ),
            ));
        }
    }
    let matches = cmd.try_get_matches_from(args)?;
    Cli::from_arg_matches(&matches)
}

/// A clap error as the one JSON object `--json` prints: the whole message (every missing or
/// invalid argument named), its kind, the arguments it is about and the usage line.
fn usage_error(e: &clap::error::Error) -> Error {
    use clap::error::{ContextKind, ContextValue};
    let text = e.render().to_string();
    let message = text
        .trim()
        .trim_start_matches("error: ")
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    let strings = |kind: ContextKind| -> Vec<String> {
        match e.get(kind) {
            Some(ContextValue::String(s)) => vec![s.clone()],
            Some(ContextValue::Strings(v)) => v.clone(),
            Some(ContextValue::StyledStr(s)) => vec![s.to_string()],
            Some(ContextValue::StyledStrs(v)) => v.iter().map(|s| s.to_string()).collect(),
            Some(ContextValue::Number(n)) => vec![n.to_string()],
            _ => Vec::new(),
        }
    };
    let mut details = serde_json::Map::new();
    let kind = format!("{:?}", e.kind());
    let mut snake = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            snake.push('_');
        }
        snake.push(c.to_ascii_lowercase());
    }
    details.insert("kind".into(), snake.into());
    let mut arguments = strings(ContextKind::InvalidArg);
    arguments.extend(strings(ContextKind::InvalidSubcommand));
    details.insert("arguments".into(), arguments.into());
    for (key, kind) in [
        ("value", ContextKind::InvalidValue),
        ("valid_values", ContextKind::ValidValue),
        ("valid_subcommands", ContextKind::ValidSubcommand),
        ("suggested", ContextKind::SuggestedArg),
        ("suggested_subcommands", ContextKind::SuggestedSubcommand),
        ("usage", ContextKind::Usage),
    ] {
        let v = strings(kind);
        match (key, v.len()) {
            (_, 0) => {}
            ("valid_values" | "valid_subcommands" | "suggested" | "suggested_subcommands", _) => {
                details.insert(key.into(), v.into());
            }
            _ => {
                details.insert(key.into(), v.join(" ").trim().to_string().into());
            }
        }
    }
    Error::Refused {
        code: crate::error::ErrorCode::Usage,
        message,
        details: serde_json::Value::Object(details),
    }
}

/// `issue create` without `--title` where no editor can be opened: clap's own missing-argument
/// error (the same `details` as any missing argument, the message on one line), with how to use
/// the editor.
pub(crate) fn missing_title() -> Error {
    let cmd = command().mut_subcommand("issue", |c| {
        c.mut_subcommand("create", |c| c.mut_arg("title", |a| a.required(true)))
    });
    match cmd.try_get_matches_from(["jit", "issue", "create"]) {
        Err(e) => match usage_error(&e) {
            Error::Refused {
                code,
                message,
                details,
            } => Error::Refused {
                code,
                message: format!(
                    "{}; run it on a terminal, or pass --edit, to write the issue in $EDITOR",
                    message
                        .split("\n\n")
                        .next()
                        .unwrap_or(&message)
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" ")
                ),
                details,
            },
            other => other,
        },
        Ok(_) => Error::Usage {
            message: "`issue create` needs --title".into(),
        },
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

/// Runs jit with explicit arguments; returns the exit code. Under `--json` everything it
/// prints on stdout is one JSON object: replies, errors, usage errors, `--help` and `--version`.
pub fn run(args: Vec<std::ffi::OsString>) -> u8 {
    // Every committed change queues the hooks that want its events.
    crate::store::on_commit(crate::hooks::committed);
    let json = wants_json(&args);
    let cli = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            let shown = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
            if json && shown {
                // Help and version are replies too: one JSON object.
                let text = e.render().to_string();
                let v = if e.kind() == ErrorKind::DisplayVersion {
                    serde_json::json!({
                        "name": env!("CARGO_PKG_NAME"),
                        "version": env!("CARGO_PKG_VERSION"),
                    })
                } else {
                    serde_json::json!({ "help": text })
                };
                print_json(&v);
                return exit::OK;
            }
            if let Some(hint) = did_you_mean(&e) {
                print_error(&hint, json);
                return exit::USAGE;
            }
            if json {
                print_error(&usage_error(&e), true);
                return exit::USAGE;
            }
            let _ = e.print();
            return if shown { exit::OK } else { exit::USAGE };
        }
    };
    let ctx = Ctx {
        style: Style::detect(),
        global: cli.global.clone(),
    };
    // A `JIT_NOW` that is set is a valid time for every command, or the command fails.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::clock::now()?;
        dispatch(&ctx, cli.command)
    }));
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

/// Prints notes on stderr (both modes): things jit did on its own that a person should know.
pub fn print_notes(notes: &[String]) {
    for n in notes {
        eprintln!("note: {}", render::clean_line(n));
    }
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

/// Prints one JSON value on stdout; a reader that went away (a closed pipe) is not an error.
fn print_json(v: &serde_json::Value) {
    use std::io::Write;
    let text = serde_json::to_string_pretty(v).unwrap_or_default();
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

/// Prints an error: JSON on stdout under `--json`, else a message on stderr.
pub fn print_error(e: &Error, json: bool) {
    if json {
        print_json(&e.to_json());
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
        Command::Mcp => {
            crate::mcp::run(crate::mcp::Session {
                dir: ctx.start_dir(),
                actor: ctx.global.actor.clone(),
            })?;
            Ok(Reply::silent())
        }
        Command::Serve(a) => serve::run(ctx, a),
        Command::Sync(a) => git::sync(ctx, a),
        Command::Import(c) => import::run(ctx, c),
        Command::Hook(c) => hook::run(ctx, c),
        Command::Alert(c) => alert::run(ctx, c),
        Command::Github(c) => github::run(ctx, c),
    }
}

#[cfg(test)]
mod tests {
    /// clap's own consistency checks over every command, flag and alias (conflicting names,
    /// missing values, bad defaults), so a definition error fails a test, not a user.
    #[test]
    fn the_command_line_definition_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }

    /// Every command's help, in one reviewed file (`src/cli/snapshots/`): a flag renamed, a help
    /// text changed or a command added shows up in review. `cargo insta review` accepts a change.
    #[test]
    fn the_whole_command_line_reference() {
        use clap::CommandFactory;
        fn walk(cmd: &mut clap::Command, path: &str, out: &mut String) {
            let path = if path.is_empty() {
                cmd.get_name().to_string()
            } else {
                format!("{path} {}", cmd.get_name())
            };
            out.push_str(&format!("==== {path}\n"));
            out.push_str(&cmd.render_help().to_string());
            out.push('\n');
            let mut subs: Vec<clap::Command> = cmd
                .get_subcommands()
                .filter(|c| c.get_name() != "help")
                .cloned()
                .collect();
            for sub in &mut subs {
                walk(sub, &path, out);
            }
        }
        let mut cmd = super::Cli::command().term_width(100);
        cmd.build();
        let mut out = String::new();
        walk(&mut cmd, "", &mut out);
        insta::assert_snapshot!("cli_reference", out);
    }
}
