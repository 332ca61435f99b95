//! The dispatcher behind `jit-dispatch` (a client of the `jit` binary, not part of the library): reads `dispatch.toml`, claims ready work for agents
//! with free capacity through the `jit` binary, and runs each agent's command for its issue.
//!
//! Invariants: claims go through `jit issue claim-next --to <agent actor>`, so the dispatcher is
//! as race-free as jit itself (several dispatchers may share one repo, its worktrees, or, with
//! `remote` or the repository's `claims.remote`, clones of one git remote). An agent never runs more
//! than `max_concurrent` issues: capacity counts both children this dispatcher started and
//! in-progress issues already assigned to the agent's actor. An agent that exits non-zero has its
//! claim released so the work returns to the pool.

use jit::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `dispatch.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub dispatch: Settings,
    #[serde(default)]
    pub agents: Vec<AgentDef>,
}

/// `[dispatch]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    #[serde(default = "default_poll")]
    pub poll_interval_secs: u64,
    /// Lease length for claims, e.g. `30m` (default: the repo's `default_lease_ttl`).
    #[serde(default)]
    pub lease_ttl: Option<String>,
    /// Query narrowing the work this dispatcher takes (see docs/query.md).
    #[serde(default)]
    pub filter: Option<String>,
    /// Claim on this git remote (`jit issue claim-next --remote`), so dispatchers on several
    /// clones of one remote never hand one issue to two agents. Default: the repository's
    /// `claims.remote`.
    #[serde(default)]
    pub remote: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            poll_interval_secs: default_poll(),
            lease_ttl: None,
            filter: None,
            remote: None,
        }
    }
}

fn default_poll() -> u64 {
    10
}

fn default_max() -> usize {
    1
}

/// `[[agents]]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentDef {
    pub id: String,
    #[serde(rename = "type", default = "default_type")]
    pub kind: String,
    pub command: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default = "default_max")]
    pub max_concurrent: usize,
    /// Only issues matching this query go to this agent.
    #[serde(default)]
    pub filter: Option<String>,
}

fn default_type() -> String {
    "agent".into()
}

impl AgentDef {
    /// The actor this agent claims as: `<type>:<id>`.
    pub fn actor(&self) -> String {
        format!("{}:{}", self.kind, self.id)
    }
}

impl Config {
    /// Parses and checks a config. Errors name the line.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let cfg: Config = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| {
                text.as_bytes()[..s.start.min(text.len())]
                    .iter()
                    .filter(|b| **b == b'\n')
                    .count()
                    + 1
            });
            Error::invalid(
                "dispatch config",
                format!(
                    "`{}`{}: {}",
                    path.display(),
                    line.map(|l| format!(" line {l}")).unwrap_or_default(),
                    e.message()
                ),
            )
        })?;
        if cfg.agents.is_empty() {
            return Err(Error::invalid(
                "dispatch config",
                format!("`{}` defines no [[agents]]", path.display()),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for a in &cfg.agents {
            jit::model::Actor::parse(&a.actor()).map_err(|e| {
                Error::invalid(
                    "dispatch config",
                    format!("`{}`: agent `{}`: {e}", path.display(), a.id),
                )
            })?;
            if !seen.insert(a.id.clone()) {
                return Err(Error::invalid(
                    "dispatch config",
                    format!("`{}`: agent id `{}` appears twice", path.display(), a.id),
                ));
            }
            if a.max_concurrent == 0 {
                return Err(Error::invalid(
                    "dispatch config",
                    format!(
                        "`{}`: agent `{}` has max_concurrent = 0",
                        path.display(),
                        a.id
                    ),
                ));
            }
            if a.command.trim().is_empty() {
                return Err(Error::invalid(
                    "dispatch config",
                    format!(
                        "`{}`: agent `{}` has an empty command",
                        path.display(),
                        a.id
                    ),
                ));
            }
        }
        if cfg.dispatch.poll_interval_secs == 0 {
            return Err(Error::invalid(
                "dispatch config",
                format!(
                    "`{}`: poll_interval_secs must be at least 1",
                    path.display()
                ),
            ));
        }
        Ok(cfg)
    }

    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?;
        Config::parse(&text, path)
    }
}

/// Something the dispatcher did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Claimed an issue for an agent and started its command.
    Started {
        agent: String,
        issue: String,
        short_id: String,
        pid: u32,
    },
    /// An agent's command finished.
    Finished {
        agent: String,
        issue: String,
        exit_code: Option<i32>,
        released: bool,
    },
    /// An agent command could not start (its claim was released).
    Failed {
        agent: String,
        issue: String,
        error: String,
    },
}

struct Running {
    agent: String,
    actor: String,
    issue: String,
    child: Child,
}

/// The dispatcher: config, the jit binary, and the children it runs.
pub struct Dispatcher {
    pub config: Config,
    jit: PathBuf,
    repo: PathBuf,
    running: Vec<Running>,
}

impl Dispatcher {
    /// A dispatcher for `repo` using the `jit` binary at `jit`.
    pub fn new(config: Config, jit: PathBuf, repo: PathBuf) -> Self {
        Dispatcher {
            config,
            jit,
            repo,
            running: Vec::new(),
        }
    }

    /// `--remote NAME` when the config names a remote.
    fn remote_args(&self) -> Vec<String> {
        match &self.config.dispatch.remote {
            Some(r) => vec!["--remote".into(), r.clone()],
            None => Vec::new(),
        }
    }

    fn jit_json(&self, args: &[&str]) -> Result<(i32, serde_json::Value)> {
        let out = Command::new(&self.jit)
            .args(args)
            .arg("--json")
            .current_dir(&self.repo)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| Error::io(format!("running `{}`", self.jit.display()), e))?;
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
            Error::Internal(format!(
                "`{}` printed something that is not JSON ({e}): {}",
                self.jit.display(),
                String::from_utf8_lossy(&out.stderr)
            ))
        })?;
        Ok((out.status.code().unwrap_or(-1), v))
    }

    /// In-progress issues already held by each agent actor (from earlier runs or dispatchers).
    fn held(&self) -> Result<BTreeMap<String, usize>> {
        let (code, v) = self.jit_json(&["query", "state", "in_progress"])?;
        if code != 0 {
            return Err(Error::Internal(format!(
                "`jit query state in_progress` failed: {v}"
            )));
        }
        let mut held = BTreeMap::new();
        for i in v["issues"].as_array().into_iter().flatten() {
            if let Some(a) = i["assignee"].as_str() {
                *held.entry(a.to_string()).or_insert(0) += 1;
            }
        }
        Ok(held)
    }

    /// Reaps finished children; releases the claims of agents that failed.
    pub fn reap(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        let mut still = Vec::new();
        let remote_args = self.remote_args();
        for mut r in self.running.drain(..) {
            match r.child.try_wait() {
                Ok(Some(status)) => {
                    let mut released = false;
                    if !status.success() {
                        released = Command::new(&self.jit)
                            .args(["issue", "release", &r.issue, "--actor", &r.actor, "--json"])
                            .args(&remote_args)
                            .current_dir(&self.repo)
                            .stdout(Stdio::null())
                            .stderr(Stdio::null())
                            .status()
                            .is_ok_and(|s| s.success());
                    }
                    actions.push(Action::Finished {
                        agent: r.agent,
                        issue: r.issue,
                        exit_code: status.code(),
                        released,
                    });
                }
                Ok(None) => still.push(r),
                Err(_) => still.push(r),
            }
        }
        self.running = still;
        actions
    }

    /// One cycle: reap, then fill every agent's free capacity with claimed work.
    pub fn cycle(&mut self) -> Result<Vec<Action>> {
        let mut actions = self.reap();
        let held = self.held()?;
        let agents = self.config.agents.clone();
        for agent in agents {
            let actor = agent.actor();
            let mine = self.running.iter().filter(|r| r.actor == actor).count();
            let busy = held.get(&actor).copied().unwrap_or(0).max(mine);
            let mut free = agent.max_concurrent.saturating_sub(busy);
            while free > 0 {
                let filter = combine(
                    self.config.dispatch.filter.as_deref(),
                    agent.filter.as_deref(),
                );
                let mut args = vec![
                    "issue",
                    "claim-next",
                    "--to",
                    actor.as_str(),
                    "--actor",
                    actor.as_str(),
                ];
                // `--filter=` keeps a query that starts with `-` (a negation) a value.
                let filter_arg = filter.as_ref().map(|f| format!("--filter={f}"));
                if let Some(f) = &filter_arg {
                    args.push(f.as_str());
                }
                if let Some(r) = &self.config.dispatch.remote {
                    args.extend(["--remote", r.as_str()]);
                }
                if let Some(t) = &self.config.dispatch.lease_ttl {
                    args.extend(["--ttl", t.as_str()]);
                }
                let (code, v) = self.jit_json(&args)?;
                if code == i32::from(jit::error::exit::NO_READY_WORK) {
                    break;
                }
                if code != 0 {
                    return Err(Error::Internal(format!(
                        "`jit issue claim-next` failed: {}",
                        v["error"]["message"]
                    )));
                }
                let issue = v["id"].as_str().unwrap_or_default().to_string();
                let short_id = v["short_id"].as_str().unwrap_or_default().to_string();
                let spawned = Command::new(&agent.command)
                    .args(&agent.args)
                    .current_dir(&self.repo)
                    .env("JIT_ISSUE_ID", &issue)
                    .env("JIT_ACTOR", &actor)
                    .stdin(Stdio::null())
                    .spawn();
                match spawned {
                    Ok(child) => {
                        actions.push(Action::Started {
                            agent: agent.id.clone(),
                            issue: issue.clone(),
                            short_id,
                            pid: child.id(),
                        });
                        self.running.push(Running {
                            agent: agent.id.clone(),
                            actor: actor.clone(),
                            issue,
                            child,
                        });
                    }
                    Err(e) => {
                        let _ = Command::new(&self.jit)
                            .args(["issue", "release", &issue, "--actor", &actor, "--json"])
                            .args(self.remote_args())
                            .current_dir(&self.repo)
                            .stdout(Stdio::null())
                            .status();
                        actions.push(Action::Failed {
                            agent: agent.id.clone(),
                            issue,
                            error: format!("could not start `{}`: {e}", agent.command),
                        });
                        break;
                    }
                }
                free -= 1;
            }
        }
        Ok(actions)
    }

    /// Waits for every child (polling), returning their finish actions.
    pub fn wait_all(&mut self, poll: Duration) -> Vec<Action> {
        let mut actions = Vec::new();
        let start = Instant::now();
        while !self.running.is_empty() {
            actions.extend(self.reap());
            if !self.running.is_empty() {
                std::thread::sleep(poll.min(Duration::from_millis(200)));
            }
            let _ = start;
        }
        actions
    }
}

/// Event types that never make work claimable (what a dispatcher's own claims record): they do
/// not wake [`Dispatcher::run_on_events`].
pub const QUIET_EVENTS: &[&str] = &["issue.claimed", "lease.renewed"];

impl Dispatcher {
    /// `start --on-events`: one cycle at once, then one whenever the event log gains an event
    /// that may make work claimable (`issue.unblocked` when a dependency finishes,
    /// `issue.created`, `issue.released`, ...; anything but [`QUIET_EVENTS`]), whenever an agent
    /// finishes, and at least every `poll_interval_secs` (a lease that runs out records no
    /// event). Between cycles it reads only the bytes appended to `events.jsonl`, every `watch`,
    /// and starts no process. `watching` is called once the log is being followed.
    pub fn run_on_events(
        &mut self,
        max_cycles: Option<u64>,
        watch: Duration,
        report: &mut dyn FnMut(&[Action]),
        watching: &mut dyn FnMut(),
    ) -> Result<()> {
        let store = jit::store::Store::discover(&self.repo)?;
        let mut follower = jit::history::tail(&store, None, Some(1))?.follower;
        let fallback = Duration::from_secs(self.config.dispatch.poll_interval_secs);
        report(&self.cycle()?);
        let mut cycles = 1u64;
        let mut last = Instant::now();
        watching();
        while max_cycles.is_none_or(|m| cycles < m) {
            std::thread::sleep(watch);
            let woke = follower
                .poll()?
                .events
                .iter()
                .any(|e| !QUIET_EVENTS.contains(&e.kind.as_str()));
            let finished = self.reap();
            report(&finished);
            if woke || !finished.is_empty() || last.elapsed() >= fallback {
                report(&self.cycle()?);
                cycles += 1;
                last = Instant::now();
            }
        }
        report(&self.wait_all(watch));
        Ok(())
    }
}

fn combine(a: Option<&str>, b: Option<&str>) -> Option<String> {
    match (a, b) {
        (Some(a), Some(b)) => Some(format!("{a} {b}")),
        (Some(x), None) | (None, Some(x)) => Some(x.to_string()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_design_example() {
        let text = r#"
[dispatch]
poll_interval_secs = 10

[[agents]]
id = "copilot-1"
type = "copilot"
command = "github-copilot-cli"
args = ["work-on"]
max_concurrent = 2

[[agents]]
id = "ci-runner"
type = "ci"
command = "./scripts/ci-agent.sh"
max_concurrent = 5
"#;
        let c = Config::parse(text, Path::new("dispatch.toml")).unwrap();
        assert_eq!(c.agents.len(), 2);
        assert_eq!(c.agents[0].actor(), "copilot:copilot-1");
        assert_eq!(c.agents[1].max_concurrent, 5);
    }

    #[test]
    fn bad_config_names_the_line() {
        let text = "[dispatch]\npoll_interval_secs = 10\n\n[[agents]]\nid = \"a\"\ncommand = 5\n";
        let e = Config::parse(text, Path::new("d.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("line 6"), "{e}");
        let e = Config::parse("[dispatch]\npoll_interval_secs = 1\n", Path::new("d.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no [[agents]]"), "{e}");
        let e = Config::parse(
            "[[agents]]\nid=\"x\"\ncommand=\"c\"\nmax_concurent=2\n",
            Path::new("d.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("line 4"), "{e}");
    }
}
