//! `jit-dispatch`: runs agents on ready work. `once` does one cycle and waits for the agents it
//! started; `start` keeps polling until interrupted.

use clap::{Parser, Subcommand};
mod dispatch;

use dispatch::{Action, Config, Dispatcher};
use std::path::PathBuf;
use std::time::Duration;

/// Dispatch ready jit issues to agent commands.
#[derive(Parser)]
#[command(name = "jit-dispatch", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// The dispatch config (TOML).
    #[arg(long, default_value = "dispatch.toml")]
    config: PathBuf,
    /// The jit binary (default: the one next to jit-dispatch, else `jit` on PATH).
    #[arg(long = "jit-path")]
    jit_path: Option<PathBuf>,
    /// The repository to work in (default: the current directory).
    #[arg(short = 'C')]
    dir: Option<PathBuf>,
    /// Print one JSON object per action instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run one dispatch cycle, then wait for the agents it started.
    Once {
        #[command(flatten)]
        common: Common,
        /// Do not wait for the started agents to finish.
        #[arg(long)]
        no_wait: bool,
    },
    /// Poll for work until interrupted (with --on-events: wake on new events instead).
    Start {
        #[command(flatten)]
        common: Common,
        /// Stop after this many cycles (default: run until interrupted).
        #[arg(long)]
        max_cycles: Option<u64>,
        /// Run a cycle when the event log gains an event (an issue unblocked, created,
        /// released...) or an agent finishes, instead of every poll interval; the interval
        /// remains a fallback.
        #[arg(long = "on-events")]
        on_events: bool,
    },
}

fn default_jit() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("jit")))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from("jit"))
}

fn report(actions: &[Action], json: bool) {
    for a in actions {
        if json {
            println!("{}", serde_json::to_string(a).unwrap_or_default());
        } else {
            match a {
                Action::Started {
                    agent,
                    short_id,
                    pid,
                    ..
                } => println!("started {agent} on {short_id} (pid {pid})"),
                Action::Finished {
                    agent,
                    issue,
                    exit_code,
                    released,
                } => println!(
                    "{agent} finished {} with exit {}{}",
                    jit::model::IssueId::parse(issue)
                        .map(|i| i.short())
                        .unwrap_or_default(),
                    exit_code
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "signal".into()),
                    if *released { " (claim released)" } else { "" }
                ),
                Action::Failed { agent, error, .. } => eprintln!("{agent}: {error}"),
            }
        }
    }
}

fn setup(c: &Common) -> Result<Dispatcher, jit::error::Error> {
    let config = Config::load(&c.config)?;
    let jit = c.jit_path.clone().unwrap_or_else(default_jit);
    let repo = c.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    Ok(Dispatcher::new(config, jit, repo))
}

fn run(cli: Cli) -> Result<(), jit::error::Error> {
    match cli.command {
        Cmd::Once { common, no_wait } => {
            let mut d = setup(&common)?;
            let actions = d.cycle()?;
            report(&actions, common.json);
            if !no_wait {
                let done = d.wait_all(Duration::from_millis(50));
                report(&done, common.json);
            }
            if !common.json && actions.is_empty() {
                println!("no ready work");
            }
        }
        Cmd::Start {
            common,
            max_cycles,
            on_events: true,
        } => {
            let mut d = setup(&common)?;
            let json = common.json;
            let poll = d.config.dispatch.poll_interval_secs;
            d.run_on_events(
                max_cycles,
                Duration::from_millis(200),
                &mut |a| report(a, json),
                &mut || {
                    eprintln!("jit-dispatch: watching the event log (fallback cycle every {poll}s)")
                },
            )?;
        }
        Cmd::Start {
            common, max_cycles, ..
        } => {
            let mut d = setup(&common)?;
            let poll = Duration::from_secs(d.config.dispatch.poll_interval_secs);
            let mut n = 0u64;
            loop {
                let actions = d.cycle()?;
                report(&actions, common.json);
                n += 1;
                if max_cycles.is_some_and(|m| n >= m) {
                    let done = d.wait_all(Duration::from_millis(50));
                    report(&done, common.json);
                    break;
                }
                std::thread::sleep(poll);
            }
        }
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jit-dispatch: {e}");
            std::process::ExitCode::from(e.exit_code())
        }
    }
}
