//! `jit gate define|list|add|pass|fail|check`.

use super::render::{Color, Style, clean_line, human};
use super::{Ctx, Reply};
use crate::error::{Result, exit};
use crate::model::{GateDef, GateStage, GateState};
use crate::ops::gates::{self, CheckReport, DefineRequest, GateList, GateOutcome};
use crate::ops::{Mutation, Read};
use crate::view::IssueView;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum GateCommand {
    /// Define (or redefine) a gate in the registry.
    Define(DefineArgs),
    /// List the gate registry.
    List,
    /// Require a gate on an issue.
    Add(AddArgs),
    /// Record a gate as passed.
    Pass(StatusArgs),
    /// Record a gate as failed.
    Fail(StatusArgs),
    /// Run the checker commands of an issue's gates and record the results.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub struct DefineArgs {
    /// Gate key: lower-case letters, digits, `-`, `_`, `.`.
    pub key: String,
    #[arg(long)]
    pub title: String,
    /// What the gate checks; `-` reads stdin.
    #[arg(long = "desc", visible_alias = "description")]
    pub desc: Option<String>,
    /// Read the description from this file (`-`: stdin).
    #[arg(long = "desc-file", value_name = "PATH", conflicts_with = "desc")]
    pub desc_file: Option<std::path::PathBuf>,
    /// Automation may pass it (otherwise only a `human:` actor may).
    #[arg(long)]
    pub auto: bool,
    /// precheck (blocks starting work) or postcheck (blocks done; the default).
    #[arg(long, default_value = "postcheck")]
    pub stage: GateStage,
    /// A shell command run by `gate check`; exit 0 passes the gate.
    #[arg(long)]
    pub checker: Option<String>,
    /// Seconds before the checker is killed (default 300).
    #[arg(long)]
    pub timeout: Option<u64>,
    /// Pass only this variable of jit's environment to the checker (repeatable; `CARGO_*`
    /// matches a prefix); PATH and JIT_ISSUE_ID, JIT_GATE_KEY, JIT_ACTOR always. Without
    /// --env or --clear-env the checker inherits jit's whole environment, tokens included.
    #[arg(long = "env", value_name = "VAR")]
    pub env: Vec<String>,
    /// Pass nothing of jit's environment but PATH (and jit's own variables) to the checker.
    #[arg(long = "clear-env", conflicts_with = "env")]
    pub clear_env: bool,
    /// The GitHub check (check run or workflow name) whose conclusion passes or fails this
    /// gate in `jit github event`; an empty value removes the mapping.
    #[arg(long = "github-check", value_name = "NAME")]
    pub github_check: Option<String>,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    pub id: String,
    pub key: String,
    #[arg(long = "if-version", value_name = "N", help = super::args::IF_VERSION)]
    pub if_version: Option<u64>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    pub id: String,
    pub key: String,
    /// Who passed or failed it (default: the acting actor).
    #[arg(long)]
    pub by: Option<String>,
    #[arg(long)]
    pub note: Option<String>,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    pub id: String,
    /// Only this gate (default: every required gate with a checker).
    pub key: Option<String>,
    #[command(flatten)]
    pub remote: super::RemoteArgs,
}

pub fn run(ctx: &Ctx, cmd: GateCommand) -> Result<Reply> {
    let store = ctx.store()?;
    match cmd {
        GateCommand::Define(a) => {
            let desc = super::edit::text_input("description", a.desc, a.desc_file)?;
            let actor = ctx.actor(&store)?;
            let def = Mutation::run(
                DefineRequest {
                    key: a.key,
                    title: a.title,
                    description: desc,
                    auto: a.auto,
                    stage: a.stage,
                    checker: a.checker,
                    timeout_secs: a.timeout,
                    env: (a.clear_env || !a.env.is_empty()).then_some(a.env),
                    github_check: a.github_check,
                },
                &store,
                &actor,
            )?;
            Ok(Reply::new(def, |d: &GateDef, _| {
                format!(
                    "gate {} defined ({}, {})\n",
                    clean_line(&d.key),
                    d.stage,
                    if d.auto { "auto" } else { "manual" }
                )
            }))
        }
        GateCommand::List => {
            let list = gates::ListRequest {}.run(&store)?;
            Ok(Reply::new(list, |l: &GateList, _| {
                if l.gates.is_empty() {
                    return "no gates defined; add one with `jit gate define KEY --title ...`\n"
                        .into();
                }
                let mut t = human::table(&["KEY", "STAGE", "MODE", "CHECKER", "TITLE"]);
                for g in &l.gates {
                    t.add_row(vec![
                        clean_line(&g.key),
                        g.stage.to_string(),
                        if g.auto {
                            "auto".into()
                        } else {
                            "manual".into()
                        },
                        g.checker
                            .as_ref()
                            .map(|c| clean_line(&human::ellipsize(&c.command, 40)))
                            .unwrap_or_else(|| "-".into()),
                        clean_line(&g.title),
                    ]);
                }
                human::table_string(&t)
            }))
        }
        GateCommand::Add(a) => {
            let actor = ctx.actor(&store)?;
            let key = a.key.clone();
            let req = gates::AddRequest {
                id: a.id,
                key: a.key,
                if_version: a.if_version,
            };
            let view = req.run(&store, &actor)?;
            Ok(Reply::issue(view, move |v: &IssueView, _| {
                format!("{} now requires gate {}\n", v.short_id, clean_line(&key))
            }))
        }
        GateCommand::Pass(a) => {
            let store = ctx.store_with(&a.remote)?;
            let actor = ctx.actor(&store)?;
            let out = gates::PassRequest(a.into_request()).run(&store, &actor)?;
            Ok(Reply::issue(out, status_text))
        }
        GateCommand::Fail(a) => {
            let store = ctx.store_with(&a.remote)?;
            let actor = ctx.actor(&store)?;
            let out = gates::FailRequest(a.into_request()).run(&store, &actor)?;
            Ok(Reply::issue(out, status_text))
        }
        GateCommand::Check(a) => {
            let store = ctx.store_with(&a.remote)?;
            let actor = ctx.actor(&store)?;
            let req = gates::CheckRequest {
                id: a.id,
                key: a.key,
            };
            let report = req.run(&store, &actor)?;
            let code = if report.failed > 0 {
                exit::CHECK_FAILED
            } else {
                exit::OK
            };
            Ok(Reply::new(report, check_text).exit(code))
        }
    }
}

impl StatusArgs {
    /// The request these flags stand for (`--remote` only picks the store).
    fn into_request(self) -> gates::StatusRequest {
        gates::StatusRequest {
            id: self.id,
            key: self.key,
            by: self.by,
            note: self.note,
        }
    }
}

fn status_text(o: &GateOutcome, s: &Style) -> String {
    let color = if o.status == GateState::Passed {
        Color::Green
    } else {
        Color::Red
    };
    let mut t = format!(
        "gate {} {} on {} (issue is {})\n",
        clean_line(&o.gate),
        s.paint(o.status.as_str(), color),
        o.view.short_id,
        o.view.issue.state
    );
    if !o.transition.pending_gates.is_empty() {
        t.push_str(&format!(
            "still waiting on: {}\n",
            o.transition.pending_gates.join(", ")
        ));
    }
    for p in &o.transition.promoted {
        t.push_str(&format!(
            "now ready: {}\n",
            crate::model::IssueId::parse(p)
                .map(|i| i.short())
                .unwrap_or_default()
        ));
    }
    t
}

fn check_text(r: &CheckReport, s: &Style) -> String {
    let mut out = String::new();
    for res in &r.results {
        let color = match res.status.as_str() {
            "passed" => Color::Green,
            "failed" => Color::Red,
            _ => Color::Dim,
        };
        let detail = match (&res.reason, res.exit_code, res.timed_out) {
            (Some(reason), _, _) => reason.clone(),
            (_, _, true) => format!("timed out after {} ms", res.duration_ms),
            (_, Some(c), _) => format!("exit {c} in {} ms", res.duration_ms),
            _ => format!("killed after {} ms", res.duration_ms),
        };
        out.push_str(&format!(
            "{:<20} {:<8} {detail}\n",
            clean_line(&res.gate),
            s.paint(&res.status, color)
        ));
        if res.status == "failed" && !res.output.trim().is_empty() {
            for line in res
                .output
                .trim_end()
                .lines()
                .rev()
                .take(10)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
            {
                out.push_str(&format!("    {}\n", clean_line(line)));
            }
        }
    }
    if r.results.is_empty() {
        out.push_str("no gates to check\n");
    }
    out.push_str(&format!(
        "{} is {} ({} passed, {} failed, {} skipped)\n",
        r.short_id, r.issue.issue.state, r.passed, r.failed, r.skipped
    ));
    out
}
