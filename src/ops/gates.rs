//! Quality gates: the registry in `.jit/gates.json`, gates on issues, passing and failing them,
//! and running checker commands.
//!
//! Invariants: a gate key on an issue always names a registry entry; a manual gate
//! (`auto: false`) is passed only by a `human:` actor, and `--by` never lends a `ci:` or `agent:`
//! actor a human's authority (both decided by [`Tx::gate_authority`]); checkers run outside the store lock and
//! their results are recorded in a fresh transaction, so a slow checker never blocks writers.

use crate::error::{Error, Result};
use crate::model::{
    Actor, Checker, GateDef, GateStage, GateState, GateStatus, IssueId, State, validate_gate_key,
    validate_text, validate_title,
};
use crate::model::{Payload, payload};
use crate::store::{Store, Tx};
use crate::view::IssueView;
use crate::workflow::{self, Transition};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Bytes of checker output kept in the issue file.
pub const OUTPUT_TAIL: usize = 4096;

/// The key in a gate definition naming the GitHub check that decides it.
pub const GITHUB_CHECK: &str = "github_check";

/// The GitHub check a gate is mapped to, if any.
pub fn github_check(def: &GateDef) -> Option<&str> {
    def.extra
        .get(GITHUB_CHECK)
        .and_then(|v| v.as_str())
        .filter(|s| !s.is_empty())
}

/// What `gate define` takes.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DefineRequest {
    /// The gate's key (lower-case letters, digits, `-` and `_`).
    pub key: String,
    /// Its title.
    pub title: String,
    /// What it checks.
    #[serde(default)]
    pub description: Option<String>,
    /// Whether a checker or CI may pass it (else only a human).
    #[serde(default)]
    pub auto: bool,
    /// Before the work (`precheck`) or after it (`postcheck`).
    pub stage: GateStage,
    /// The command that runs it (`gate check`).
    #[serde(default)]
    pub checker: Option<String>,
    /// The checker's time limit in seconds.
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// The environment variables the checker gets (see [`Checker::env`]); `Some(vec![])` passes
    /// only `PATH` and jit's own variables, `None` jit's whole environment.
    #[serde(default)]
    pub env: Option<Vec<String>>,
    /// The GitHub check (check run, workflow or check suite app) whose conclusion passes or
    /// fails this gate in `jit github event` (`github_check` in gates.json); `Some("")` clears
    /// it, None keeps what the gate had.
    #[serde(default)]
    pub github_check: Option<String>,
}

impl super::Mutation for DefineRequest {
    type Output = GateDef;
    fn run(self, store: &Store, actor: &Actor) -> Result<GateDef> {
        define(store, actor, self)
    }
}

/// `gate add`: an issue now requires a gate.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The gate's key, from the registry.
    pub key: String,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for AddRequest {
    type Output = IssueView;
    fn run(self, store: &Store, actor: &Actor) -> Result<IssueView> {
        add(store, actor, &self.id, &self.key, self.if_version)
    }
}

/// `gate list` (MCP `gate_list`): the registry. It takes nothing.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListRequest {}

/// `gate list`'s reply: the registry.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GateList {
    /// Every gate defined, in key order.
    pub gates: Vec<GateDef>,
}

impl super::Read for ListRequest {
    type Output = GateList;
    fn run(self, store: &Store) -> Result<GateList> {
        Ok(GateList {
            gates: store.gates()?.into_values().collect(),
        })
    }
}

/// Defines or redefines a gate.
pub fn define(store: &Store, actor: &Actor, req: DefineRequest) -> Result<GateDef> {
    let key = validate_gate_key(req.key.trim())?;
    let title = validate_title(&req.title)?;
    let description = validate_text("description", req.description.as_deref().unwrap_or(""))?;
    if req.timeout_secs == Some(0) {
        return Err(Error::invalid("timeout", "must be at least 1 second"));
    }
    if req.timeout_secs.is_some() && req.checker.is_none() {
        return Err(Error::invalid(
            "timeout",
            "only applies to a gate with --checker",
        ));
    }
    if req.env.is_some() && req.checker.is_none() {
        return Err(Error::invalid(
            "env",
            "only applies to a gate with --checker",
        ));
    }
    let env = req
        .env
        .map(|names| {
            names
                .iter()
                .map(|n| {
                    let n = n.trim();
                    let bare = n.strip_suffix('*').unwrap_or(n);
                    let ok = !bare.is_empty()
                        && !bare.contains('*')
                        && bare
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if ok {
                        Ok(n.to_string())
                    } else {
                        Err(Error::invalid(
                            "env",
                            format!(
                                "`{}` is not a variable name (letters, digits, `_`; a trailing `*` for a prefix)",
                                n.escape_debug()
                            ),
                        ))
                    }
                })
                .collect::<Result<Vec<_>>>()
        })
        .transpose()?;
    let checker = match req.checker {
        Some(c) if c.trim().is_empty() => {
            return Err(Error::invalid("checker", "the checker command is blank"));
        }
        Some(c) => Some(Checker {
            command: c,
            timeout_secs: req.timeout_secs.unwrap_or(300),
            env,
        }),
        None => None,
    };
    let github_check = req
        .github_check
        .as_deref()
        .map(|c| match c.trim() {
            "" => Ok(String::new()),
            c => crate::model::validate_name("github check", c),
        })
        .transpose()?;
    store.mutate(actor, |tx| {
        let mut gates = tx.gates()?.clone();
        let before = gates.get(&key).cloned();
        let mut extra = before.as_ref().map(|b| b.extra.clone()).unwrap_or_default();
        match github_check.as_deref() {
            Some("") => {
                extra.remove(GITHUB_CHECK);
            }
            Some(c) => {
                extra.insert(GITHUB_CHECK.into(), json!(c));
            }
            None => {}
        }
        let def = GateDef {
            key: key.clone(),
            title: title.clone(),
            description: description.clone(),
            auto: req.auto,
            stage: req.stage,
            checker: checker.clone(),
            extra,
        };
        if before.as_ref() == Some(&def) {
            return Ok(def);
        }
        gates.insert(key.clone(), def.clone());
        tx.put_gates(gates);
        let gate = payload::Gate {
            gate: key.clone(),
            source: None,
        };
        let event = if before.is_some() {
            Payload::GateRedefined(gate)
        } else {
            Payload::GateDefined(gate)
        };
        let b = serde_json::to_value(&before).unwrap_or_default();
        let a = serde_json::to_value(&def).unwrap_or_default();
        tx.event(None, crate::store::diff_values(&b, &a), event);
        Ok(def)
    })
}

/// Requires a gate on an issue.
pub fn add(
    store: &Store,
    actor: &Actor,
    input: &str,
    key: &str,
    if_version: Option<u64>,
) -> Result<IssueView> {
    let key = validate_gate_key(key.trim())?;
    store.mutate(actor, |tx| {
        if !tx.gates()?.contains_key(&key) {
            return Err(Error::UnknownGate { key: key.clone() });
        }
        let before = tx.open(input, if_version)?;
        let id = before.id.clone();
        if before.gates_required.contains(&key) {
            return crate::view::view_in(tx, before);
        }
        if before.state == State::Done {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::InvalidTransition,
                message: format!(
                    "issue `{}` is done; reopen it before adding gate `{key}`",
                    id.short()
                ),
                details: json!({ "id": id, "gate": key }),
            });
        }
        let mut after = before.clone();
        after.gates_required.push(key.clone());
        after
            .gates_status
            .entry(key.clone())
            .or_insert_with(GateStatus::pending);
        let added = payload::Gate {
            gate: key.clone(),
            source: None,
        };
        let after = tx.edit(&before, after, Payload::GateAdded(added))?;
        crate::view::view_in(tx, after)
    })
}

/// The result of passing or failing a gate.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct GateOutcome {
    #[serde(flatten)]
    pub view: IssueView,
    pub gate: String,
    pub status: GateState,
    #[serde(flatten)]
    pub transition: Transition,
}

/// Details of a checker run, recorded with the status.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RunDetails {
    pub exit_code: Option<i32>,
    pub duration_ms: Option<u64>,
    pub output: Option<String>,
}

/// What `gate pass` and `gate fail` (MCP `gate_pass`, `gate_fail`) take.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The gate key.
    pub key: String,
    /// Who passed or failed it (default: the acting actor).
    #[serde(default)]
    pub by: Option<String>,
    /// A note recorded with the status.
    #[serde(default)]
    pub note: Option<String>,
}

impl StatusRequest {
    fn record(self, store: &Store, actor: &Actor, status: GateState) -> Result<GateOutcome> {
        set_status(
            store,
            actor,
            &self.id,
            &self.key,
            status,
            self.by.as_deref(),
            self.note.as_deref(),
        )
    }
}

/// `gate pass` (MCP `gate_pass`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct PassRequest(pub StatusRequest);

impl super::Mutation for PassRequest {
    type Output = GateOutcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<GateOutcome> {
        self.0.record(store, actor, GateState::Passed)
    }
}

/// `gate fail` (MCP `gate_fail`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct FailRequest(pub StatusRequest);

impl super::Mutation for FailRequest {
    type Output = GateOutcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<GateOutcome> {
        self.0.record(store, actor, GateState::Failed)
    }
}

/// Records a gate as passed or failed. `by` (default: the actor) is checked by
/// [`Tx::gate_authority`]: only a human may record someone else.
pub fn set_status(
    store: &Store,
    actor: &Actor,
    input: &str,
    key: &str,
    status: GateState,
    by: Option<&str>,
    note: Option<&str>,
) -> Result<GateOutcome> {
    set_status_if_version(store, actor, input, key, status, by, note, None)
}

/// [`set_status`] refusing a stale write: `if_version` is checked against the issue under the
/// same lock (`version_conflict`), as `--if-version` does for other mutations.
#[allow(clippy::too_many_arguments)]
pub fn set_status_if_version(
    store: &Store,
    actor: &Actor,
    input: &str,
    key: &str,
    status: GateState,
    by: Option<&str>,
    note: Option<&str>,
    if_version: Option<u64>,
) -> Result<GateOutcome> {
    let key = validate_gate_key(key.trim())?;
    let by = by.map(Actor::parse).transpose()?;
    let note = note.map(|n| validate_text("note", n)).transpose()?;
    store.mutate(actor, |tx| {
        if if_version.is_some() {
            tx.open(input, if_version)?;
        }
        record_status(
            tx,
            input,
            &key,
            status,
            by.as_ref(),
            note.as_deref(),
            RunDetails::default(),
        )
    })
}

fn record_status(
    tx: &mut Tx<'_>,
    input: &str,
    key: &str,
    status: GateState,
    by: Option<&Actor>,
    note: Option<&str>,
    run: RunDetails,
) -> Result<GateOutcome> {
    let def = tx
        .gates()?
        .get(key)
        .cloned()
        .ok_or_else(|| Error::UnknownGate {
            key: key.to_string(),
        })?;
    let id = tx.resolve(input)?;
    let before = tx.get(&id)?;
    if !before.gates_required.iter().any(|k| k == key) {
        return Err(Error::Refused {
            code: crate::error::ErrorCode::GateNotRequired,
            message: format!(
                "issue `{}` does not require gate `{key}`; add it with `jit gate add {} {key}`",
                id.short(),
                id.short()
            ),
            details: json!({ "id": id, "gate": key }),
        });
    }
    let by = tx.gate_authority(&id, &def, status, by)?;
    let recorded_by = (by != tx.actor).then(|| tx.actor.to_string());
    if matches!(before.state, State::Done | State::Archived) {
        return Err(Error::Refused {
            code: crate::error::ErrorCode::InvalidTransition,
            message: format!(
                "issue `{}` is {}; its gates are closed",
                id.short(),
                before.state
            ),
            details: json!({ "id": id, "gate": key, "state": before.state }),
        });
    }
    let mut after = before.clone();
    after.gates_status.insert(
        key.to_string(),
        GateStatus {
            status,
            by: Some(by.to_string()),
            recorded_by,
            at: Some(tx.now),
            note: note.map(str::to_string),
            exit_code: run.exit_code,
            duration_ms: run.duration_ms,
            output: run.output.clone(),
            extra: BTreeMap::new(),
        },
    );
    let ran = payload::GateRun {
        gate: key.to_string(),
        by: by.to_string(),
        exit_code: run.exit_code,
    };
    let event = if status == GateState::Passed {
        Payload::GatePassed(ran)
    } else {
        Payload::GateFailed(ran)
    };
    tx.edit(&before, after, event)?;
    let mut transition = Transition::default();
    workflow::finish_if_gates_passed(tx, &id, &mut transition)?;
    let current = tx.get(&id)?;
    transition.pending_gates = if current.state == State::Gated {
        current.unpassed_gates()
    } else {
        Vec::new()
    };
    let view = crate::view::view_in(tx, current)?;
    Ok(GateOutcome {
        view,
        gate: key.to_string(),
        status,
        transition,
    })
}

/// One checker's result.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CheckResult {
    pub gate: String,
    /// passed, failed, or skipped (no checker, manual gate without a human actor).
    pub status: String,
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
    pub timed_out: bool,
    pub output: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What `gate check` reports.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct CheckReport {
    pub id: String,
    pub short_id: String,
    pub results: Vec<CheckResult>,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub issue: IssueView,
    #[serde(flatten)]
    pub transition: Transition,
}

/// `gate check` (MCP `gate_check`): runs the checkers and records the results; a failing gate
/// is in the report's `failed`, not an error.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Only this gate (default: every required gate with a checker).
    #[serde(default)]
    pub key: Option<String>,
}

impl super::Mutation for CheckRequest {
    type Output = CheckReport;
    fn run(self, store: &Store, actor: &Actor) -> Result<CheckReport> {
        check(store, actor, &self.id, self.key.as_deref())
    }
}

/// Runs the checkers of an issue's gates (all required gates, or one) and records each result.
pub fn check(store: &Store, actor: &Actor, input: &str, only: Option<&str>) -> Result<CheckReport> {
    let id = store.resolve(input)?;
    let issue = store.load(&id)?;
    let gates = store.gates()?;
    let keys: Vec<String> = match only {
        Some(k) => {
            let k = validate_gate_key(k.trim())?;
            if !gates.contains_key(&k) {
                return Err(Error::UnknownGate { key: k });
            }
            if !issue.gates_required.contains(&k) {
                return Err(Error::Refused {
                    code: crate::error::ErrorCode::GateNotRequired,
                    message: format!("issue `{}` does not require gate `{k}`", id.short()),
                    details: json!({ "id": id, "gate": k }),
                });
            }
            vec![k]
        }
        None => issue.gates_required.clone(),
    };
    if issue.state.is_closed() {
        // A re-check of finished work (a CI job on every push) is a report, not a failure:
        // nothing runs, nothing is written, each gate shows what was recorded.
        let results: Vec<CheckResult> = keys
            .iter()
            .map(|key| {
                let recorded = issue
                    .gates_status
                    .get(key)
                    .map(|g| g.status)
                    .unwrap_or(GateState::Pending);
                CheckResult {
                    gate: key.clone(),
                    status: "skipped".into(),
                    exit_code: None,
                    duration_ms: 0,
                    timed_out: false,
                    output: String::new(),
                    reason: Some(format!(
                        "issue is {}: its gates are closed (recorded: {recorded})",
                        issue.state
                    )),
                }
            })
            .collect();
        let skipped = results.len();
        let view = crate::ops::issues::show(store, id.as_str())?;
        return Ok(CheckReport {
            id: id.to_string(),
            short_id: id.short(),
            results,
            passed: 0,
            failed: 0,
            skipped,
            issue: view,
            transition: Transition::default(),
        });
    }
    let mut results = Vec::new();
    for key in keys {
        let def = gates
            .get(&key)
            .ok_or_else(|| Error::UnknownGate { key: key.clone() })?;
        let skip = |reason: &str| CheckResult {
            gate: key.clone(),
            status: "skipped".into(),
            exit_code: None,
            duration_ms: 0,
            timed_out: false,
            output: String::new(),
            reason: Some(reason.to_string()),
        };
        let Some(checker) = &def.checker else {
            results.push(skip("no checker defined"));
            continue;
        };
        if !def.auto && !actor.is_human() {
            results.push(skip("manual gate: only a human may pass it"));
            continue;
        }
        let run = run_checker(store.root(), checker, &id, &key, actor)?;
        let passed = run.exit_code == Some(0) && !run.timed_out;
        let status = if passed {
            GateState::Passed
        } else {
            GateState::Failed
        };
        let details = RunDetails {
            exit_code: run.exit_code,
            duration_ms: Some(run.duration_ms),
            output: Some(run.output.clone()),
        };
        store.mutate(actor, |tx| {
            record_status(tx, id.as_str(), &key, status, None, None, details.clone())
        })?;
        results.push(CheckResult {
            status: status.to_string(),
            ..run
        });
    }
    let issue = crate::ops::issues::show(store, id.as_str())?;
    let passed = results.iter().filter(|r| r.status == "passed").count();
    let failed = results.iter().filter(|r| r.status == "failed").count();
    let skipped = results.len() - passed - failed;
    let transition = Transition {
        pending_gates: if issue.issue.state == State::Gated {
            issue.issue.unpassed_gates()
        } else {
            Vec::new()
        },
        ..Default::default()
    };
    Ok(CheckReport {
        id: id.to_string(),
        short_id: id.short(),
        results,
        passed,
        failed,
        skipped,
        issue,
        transition,
    })
}

/// Runs one checker through `sh -c` in the repo root with a timeout (see [`crate::process`]);
/// output is the tail of stdout and stderr combined.
fn run_checker(
    root: &Path,
    checker: &Checker,
    id: &IssueId,
    key: &str,
    actor: &Actor,
) -> Result<CheckResult> {
    let limit = Duration::from_secs(checker.timeout_secs.max(1));
    let run = crate::process::run(
        &crate::process::Shell {
            command: &checker.command,
            cwd: root,
            env: vec![
                ("JIT_ISSUE_ID", id.to_string()),
                ("JIT_GATE_KEY", key.to_string()),
                ("JIT_ACTOR", actor.to_string()),
            ],
            only_env: checker.passed_env(
                std::env::vars_os()
                    .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
            ),
            stdin: None,
            timeout: limit,
            what: format!("the checker of gate `{key}`"),
        },
        OUTPUT_TAIL,
    )?;
    let mut output = run.output;
    if run.timed_out {
        output.push_str(&format!(
            "\n[jit: checker timed out after {}s and was killed]",
            limit.as_secs()
        ));
    }
    Ok(CheckResult {
        gate: key.to_string(),
        status: String::new(),
        exit_code: run.exit_code,
        duration_ms: run.duration_ms,
        timed_out: run.timed_out,
        output,
        reason: None,
    })
}

crate::one_issue!(GateOutcome);
