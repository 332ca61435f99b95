//! The state machine: derived readiness, transitions, gate enforcement, and the cascades that
//! keep dependents' `backlog`/`ready` states true.
//!
//! Invariants (checked by `validate`):
//! - an open, not-started issue is `ready` exactly when every dependency is `done`, else `backlog`;
//! - `in_progress` needs every dependency done and every precheck gate passed;
//! - `done` needs every required gate passed; completing with gates unpassed lands in `gated`.
//!
//! Cascades run in the same transaction (the same lock) as the change that causes them. The pure
//! rules (blocked, derived readiness, holders, claimability) are in [`rules`].

pub use crate::rules; // the pure rules, one level down (see `crate::rules`)

use crate::error::{Error, Result};
use crate::model::{GateDef, GateStage, Issue, IssueId, State};
use crate::model::{Payload, payload};
use crate::store::Tx;
use crate::view::{Blocker, blockers, dep_infos};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// The result of a requested transition.
#[derive(Debug, Clone, Serialize, Default, schemars::JsonSchema)]
pub struct Transition {
    /// Gates that must pass before the issue is done (non-empty when it landed in `gated`).
    pub pending_gates: Vec<String>,
    /// Dependents moved `backlog -> ready` by this change.
    pub promoted: Vec<String>,
    /// Dependents moved `ready -> backlog` by this change.
    pub demoted: Vec<String>,
}

/// `ready` when every dependency is done, else `backlog`.
pub fn readiness(tx: &mut Tx<'_>, issue: &Issue) -> Result<State> {
    let infos = dep_infos(tx, issue)?;
    Ok(
        if infos
            .values()
            .all(|i| i.as_ref().is_some_and(|i| i.state == State::Done))
        {
            State::Ready
        } else {
            State::Backlog
        },
    )
}

fn dep_blockers(tx: &mut Tx<'_>, issue: &Issue) -> Result<Vec<Blocker>> {
    let infos = dep_infos(tx, issue)?;
    let mut probe = issue.clone();
    probe.gates_required.clear();
    if probe.state.is_closed() {
        probe.state = State::Ready;
    }
    Ok(blockers(
        &probe,
        |d| infos.get(d).cloned().flatten(),
        &BTreeMap::new(),
    ))
}

fn precheck_blockers(issue: &Issue, gates: &BTreeMap<String, GateDef>) -> Vec<Blocker> {
    issue
        .gates_required
        .iter()
        .filter(|k| {
            gates
                .get(*k)
                .is_some_and(|g| g.stage == GateStage::Precheck)
        })
        .filter_map(|k| {
            let status = issue
                .gates_status
                .get(k)
                .map(|g| g.status)
                .unwrap_or(crate::model::GateState::Pending);
            (status != crate::model::GateState::Passed).then(|| Blocker::Gate {
                key: k.clone(),
                stage: Some(GateStage::Precheck),
                status,
            })
        })
        .collect()
}

fn blocked_error(issue: &Issue, target: State, blockers: Vec<Blocker>) -> Error {
    let what: Vec<String> = blockers
        .iter()
        .map(|b| match b {
            Blocker::Dependency {
                short_id, state, ..
            } => format!(
                "dependency `{short_id}` ({})",
                state
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "missing".into())
            ),
            Blocker::Gate { key, status, .. } => format!("gate `{key}` ({status})"),
        })
        .collect();
    Error::Blocked {
        id: issue.id.to_string(),
        message: format!(
            "issue `{}` cannot move to {target}: blocked by {}; finish those first or remove them",
            issue.short_id(),
            what.join(", ")
        ),
        blockers: serde_json::to_value(&blockers).unwrap_or_default(),
    }
}

fn refused(issue: &Issue, target: State, hint: &str) -> Error {
    Error::Refused {
        code: crate::error::ErrorCode::InvalidTransition,
        message: format!(
            "issue `{}` is {}; it cannot move to {target}: {hint}",
            issue.short_id(),
            issue.state
        ),
        details: json!({ "id": issue.id, "from": issue.state, "to": target }),
    }
}

/// Decides where a request to move `issue` to `target` lands, or why it is refused.
/// Returns the new state and the gates still pending.
pub fn resolve_target(
    tx: &mut Tx<'_>,
    issue: &Issue,
    target: State,
) -> Result<(State, Vec<String>)> {
    if issue.state == target && target != State::Backlog && target != State::Ready {
        let pending = if target == State::Gated {
            issue.unpassed_gates()
        } else {
            Vec::new()
        };
        return Ok((target, pending));
    }
    let gates = tx.gates()?.clone();
    match target {
        State::Archived => Ok((State::Archived, Vec::new())),
        State::Backlog | State::Ready => {
            if issue.state == State::Done {
                return Err(refused(
                    issue,
                    target,
                    "use `jit issue reopen ID --reason ...`",
                ));
            }
            let derived = readiness(tx, issue)?;
            if target == State::Ready && derived == State::Backlog {
                let b = dep_blockers(tx, issue)?;
                return Err(blocked_error(issue, target, b));
            }
            Ok((derived, Vec::new()))
        }
        State::InProgress => {
            if issue.state == State::Done {
                return Err(refused(
                    issue,
                    target,
                    "use `jit issue reopen ID --reason ...` first",
                ));
            }
            let mut b = dep_blockers(tx, issue)?;
            b.extend(precheck_blockers(issue, &gates));
            if !b.is_empty() {
                return Err(blocked_error(issue, target, b));
            }
            Ok((State::InProgress, Vec::new()))
        }
        State::Gated | State::Done => {
            if issue.state == State::Archived {
                return Err(refused(
                    issue,
                    target,
                    "unarchive it first with `--state ready`",
                ));
            }
            let mut b = dep_blockers(tx, issue)?;
            b.extend(precheck_blockers(issue, &gates));
            if !b.is_empty() {
                return Err(blocked_error(issue, target, b));
            }
            let pending = issue.unpassed_gates();
            if pending.is_empty() {
                Ok((State::Done, pending))
            } else {
                Ok((State::Gated, pending))
            }
        }
    }
}

/// Every issue that depends on `id`. Reads the whole store (under the caller's lock).
pub fn dependents(tx: &mut Tx<'_>, id: &IssueId) -> Result<Vec<IssueId>> {
    let (all, _) = tx.store().load_all()?;
    Ok(all
        .into_iter()
        .filter(|i| i.dependencies.contains(id))
        .map(|i| i.id)
        .collect())
}

/// After `id` moved between done and not done, brings its dependents' derived states up to
/// date: promotes `backlog -> ready` when all their dependencies are done, demotes not-started
/// `ready -> backlog` when one is not. Each change is staged with its own event.
pub fn cascade(tx: &mut Tx<'_>, id: &IssueId, out: &mut Transition) -> Result<()> {
    for d in dependents(tx, id)? {
        let dep = tx.get(&d)?;
        if !matches!(dep.state, State::Backlog | State::Ready) {
            continue;
        }
        let derived = readiness(tx, &dep)?;
        if derived == dep.state {
            continue;
        }
        let before = dep.clone();
        let mut after = dep;
        after.state = derived;
        // A promotion is `issue.unblocked`: the wake-up call for whoever waits on this work
        // (hooks, `events tail --follow --event issue.unblocked`, `jit-dispatch start
        // --on-events`), distinct from the state changes every other move records.
        let event = if derived == State::Ready {
            Payload::IssueUnblocked(payload::Unblocked {
                cause: id.to_string(),
            })
        } else {
            Payload::IssueStateChanged(payload::Updated {
                cause: Some(id.to_string()),
                ..Default::default()
            })
        };
        tx.edit_derived(&before, after, event)?;
        if derived == State::Ready {
            out.promoted.push(d.to_string());
        } else {
            out.demoted.push(d.to_string());
        }
    }
    Ok(())
}

/// Re-derives an issue's own `backlog`/`ready` state after its dependencies changed.
pub fn rederive(tx: &mut Tx<'_>, issue: &mut Issue) -> Result<()> {
    if matches!(issue.state, State::Backlog | State::Ready) {
        issue.state = readiness(tx, issue)?;
    }
    Ok(())
}

/// Moves a `gated` issue to `done` once every gate has passed, and cascades. Returns whether it
/// finished.
pub fn finish_if_gates_passed(tx: &mut Tx<'_>, id: &IssueId, out: &mut Transition) -> Result<bool> {
    let issue = tx.get(id)?;
    if issue.state != State::Gated || !issue.unpassed_gates().is_empty() {
        return Ok(false);
    }
    let before = issue.clone();
    let mut after = issue;
    after.state = State::Done;
    // The last gate's result decided this (with the gate's own authority), not the actor.
    let finished = payload::Updated {
        cause: Some("gates passed".into()),
        ..Default::default()
    };
    tx.edit_derived(&before, after, Payload::IssueStateChanged(finished))?;
    cascade(tx, id, out)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    //! The state machine, table-driven: where a request to move an issue lands, or the code it
    //! is refused with, for every kind of start, dependency and gate.

    use super::*;
    use crate::model::{Actor, GateDef, GateStage, GateState, GateStatus, Timestamp};
    use std::collections::BTreeMap;

    const SUBJECT: &str = "01JABCDEFGHJKMNPQRSTVWXYZ1";
    const DEP: &str = "01JABCDEFGHJKMNPQRSTVWXYZ2";

    /// The dependency the subject has, if any.
    #[derive(Clone, Copy, Debug)]
    enum Dep {
        None,
        Open,
        Done,
    }

    /// The gate the subject requires, if any.
    #[derive(Clone, Copy, Debug)]
    enum Gate {
        None,
        PostPending,
        PostPassed,
        PrePending,
    }

    fn id(s: &str) -> IssueId {
        IssueId::parse(s).unwrap()
    }

    /// Where `from` + `dep` + `gate` asked to move to `target` lands: the state, or the code.
    fn land(from: State, dep: Dep, gate: Gate, target: State) -> Result<State, &'static str> {
        let (_tmp, store) = crate::store::temp_store();
        let actor = Actor::parse("human:tester").unwrap();
        let now = Timestamp::from_millis(1_000);
        store
            .mutate(&actor, |tx| {
                let mut gates = BTreeMap::new();
                for (key, stage) in [
                    ("review", GateStage::Postcheck),
                    ("design", GateStage::Precheck),
                ] {
                    gates.insert(
                        key.to_string(),
                        GateDef {
                            key: key.into(),
                            title: key.into(),
                            description: String::new(),
                            auto: false,
                            stage,
                            checker: None,
                            extra: BTreeMap::new(),
                        },
                    );
                }
                tx.put_gates(gates);
                let mut subject = Issue::new(id(SUBJECT), "subject".into(), now);
                subject.state = from;
                match dep {
                    Dep::None => {}
                    Dep::Open | Dep::Done => {
                        let mut d = Issue::new(id(DEP), "dependency".into(), now);
                        d.state = if matches!(dep, Dep::Done) {
                            State::Done
                        } else {
                            State::InProgress
                        };
                        let d = tx.insert(d)?;
                        let created = payload::Created {
                            title: d.title.clone(),
                            ..Default::default()
                        };
                        tx.record(None, &d, Payload::IssueCreated(created))?;
                        subject.dependencies.push(id(DEP));
                    }
                }
                let (key, status) = match gate {
                    Gate::None => ("", GateState::Pending),
                    Gate::PostPending => ("review", GateState::Pending),
                    Gate::PostPassed => ("review", GateState::Passed),
                    Gate::PrePending => ("design", GateState::Pending),
                };
                if !key.is_empty() {
                    subject.gates_required.push(key.into());
                    let mut s = GateStatus::pending();
                    s.status = status;
                    subject.gates_status.insert(key.into(), s);
                }
                let subject = tx.insert(subject)?;
                let created = payload::Created {
                    title: subject.title.clone(),
                    ..Default::default()
                };
                tx.record(None, &subject, Payload::IssueCreated(created))?;
                Ok(())
            })
            .unwrap();
        store
            .mutate(&actor, |tx| {
                let subject = tx.get(&id(SUBJECT))?;
                resolve_target(tx, &subject, target).map(|(s, _)| s)
            })
            .map_err(|e| e.code())
    }

    /// From, dependency, gate, the state asked for, and where it lands.
    type Move = (State, Dep, Gate, State, Result<State, &'static str>);

    #[test]
    fn where_each_move_lands() {
        use Dep as D;
        use Gate as G;
        use State::*;
        #[rustfmt::skip]
        let table: &[Move] = &[
            // Readiness is derived: asking for ready or backlog lands where the dependencies say.
            (Backlog, D::None, G::None, Ready, Ok(Ready)),
            (Ready, D::None, G::None, Backlog, Ok(Ready)),
            (Backlog, D::Open, G::None, Ready, Err("blocked")),
            (Ready, D::Open, G::None, Backlog, Ok(Backlog)),
            (Backlog, D::Done, G::None, Ready, Ok(Ready)),
            (InProgress, D::None, G::None, Ready, Ok(Ready)),
            (Archived, D::None, G::None, Ready, Ok(Ready)),
            // Starting work needs finished dependencies and passed prechecks.
            (Ready, D::None, G::None, InProgress, Ok(InProgress)),
            (Backlog, D::Open, G::None, InProgress, Err("blocked")),
            (Ready, D::None, G::PrePending, InProgress, Err("blocked")),
            (Ready, D::None, G::PostPending, InProgress, Ok(InProgress)),
            // Finishing: done when every gate passed, gated while one is pending.
            (InProgress, D::None, G::None, Done, Ok(Done)),
            (InProgress, D::None, G::PostPending, Done, Ok(Gated)),
            (InProgress, D::None, G::PostPassed, Done, Ok(Done)),
            (InProgress, D::None, G::PostPending, Gated, Ok(Gated)),
            (Gated, D::None, G::PostPending, Gated, Ok(Gated)),
            (InProgress, D::Open, G::None, Done, Err("blocked")),
            (Ready, D::None, G::PrePending, Done, Err("blocked")),
            // Finished work reopens only through `issue reopen`; archived work is unarchived first.
            (Done, D::None, G::None, Ready, Err("invalid_transition")),
            (Done, D::None, G::None, Backlog, Err("invalid_transition")),
            (Done, D::None, G::None, InProgress, Err("invalid_transition")),
            (Archived, D::None, G::None, Done, Err("invalid_transition")),
            (Archived, D::None, G::None, Gated, Err("invalid_transition")),
            // Archiving is always allowed; staying put is a no-op.
            (Done, D::None, G::None, Archived, Ok(Archived)),
            (Backlog, D::Open, G::PrePending, Archived, Ok(Archived)),
            (Done, D::None, G::None, Done, Ok(Done)),
            (InProgress, D::Open, G::None, InProgress, Ok(InProgress)),
        ];
        for (from, dep, gate, target, want) in table {
            assert_eq!(
                land(*from, *dep, *gate, *target),
                *want,
                "{from} with dependency {dep:?} and gate {gate:?}, asked for {target}"
            );
        }
    }
}
