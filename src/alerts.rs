//! Alerts: conditions over the store, checked by `jit alert check` (from cron, CI or by hand)
//! and delivered through the hooks as `alert.fired` and `alert.resolved` events.
//!
//! An alert lives in the `alerts` section of `.jit/config.json`: a name, a condition (`when`)
//! and an optional query narrowing the issues it looks at (`filter`). Conditions:
//!
//! - `count(QUERY) OP N`: how many issues match (`QUERY` is `ready`, `blocked`, or a filter in
//!   the query language; `OP` one of `>`, `>=`, `<`, `<=`, `==`, `!=`): one store-wide subject;
//! - `lease_expired`: each open issue whose claim's lease has run out;
//! - `STATE > DURATION` (`in_progress > 2d`): each issue in that state for longer than that;
//! - `gate_failed` or `gate_failed(KEY)`: each open issue with a failed gate (that gate).
//!
//! Invariants: an alert fires once per condition change: for each (alert, subject) the last
//! `alert.fired` / `alert.resolved` event in the log is its state, so a check records
//! `alert.fired` only for subjects that newly hold and `alert.resolved` only for ones that
//! stopped holding, and a check that finds no change writes nothing. The comparison runs under
//! the store lock, so two checks at once cannot both fire. The state lives in the committed
//! event log, so it survives a fresh CI checkout.

use crate::error::{Error, Result};
use crate::hooks::config::{check_name, put_section, section};
use crate::model::{Actor, Event, GateState, IssueId, State, Timestamp};
use crate::model::{Payload, payload};
use crate::store::{Store, diff_values};
use crate::view::IssueView;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

/// The key of the section in `config.json`.
pub const SECTION: &str = "alerts";

/// One alert, as stored under its name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AlertDef {
    /// The condition (see the module docs and docs/hooks.md).
    pub when: String,
    /// A query the issues it looks at must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Op {
    fn holds(self, a: usize, b: usize) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// What `count(...)` counts.
#[derive(Clone, Debug, PartialEq)]
pub enum Counted {
    /// Claimable issues (`query ready`).
    Ready,
    /// Open issues something blocks (`query blocked`).
    Blocked,
    /// Issues matching a filter.
    Filter(String),
}

/// A parsed condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Condition {
    Count { what: Counted, op: Op, n: usize },
    LeaseExpired,
    InState { state: State, longer_than: Duration },
    GateFailed(Option<String>),
}

fn bad(when: &str, why: &str) -> Error {
    Error::invalid(
        "alert condition",
        format!(
            "`{}` {why}; use `count(QUERY) > N` (QUERY: `ready`, `blocked` or a filter), `lease_expired`, `STATE > DURATION` (e.g. `in_progress > 2d`) or `gate_failed` / `gate_failed(KEY)`",
            when.escape_debug()
        ),
    )
}

fn split_op(s: &str) -> Option<(Op, &str)> {
    let s = s.trim_start();
    for (text, op) in [
        (">=", Op::Ge),
        ("<=", Op::Le),
        ("==", Op::Eq),
        ("!=", Op::Ne),
        (">", Op::Gt),
        ("<", Op::Lt),
    ] {
        if let Some(rest) = s.strip_prefix(text) {
            return Some((op, rest.trim()));
        }
    }
    None
}

/// Parses a condition; a filter inside `count(...)` is checked against the query language.
pub fn parse(when: &str, now: Timestamp) -> Result<Condition> {
    let w = when.trim();
    if w.is_empty() {
        return Err(bad(when, "is blank"));
    }
    if let Some(rest) = w.strip_prefix("count(") {
        let close = rest
            .rfind(')')
            .ok_or_else(|| bad(when, "has no closing `)`"))?;
        let inner = rest[..close].trim();
        let (op, n) = split_op(&rest[close + 1..])
            .ok_or_else(|| bad(when, "needs a comparison after `count(...)`"))?;
        let n: usize = n
            .parse()
            .map_err(|_| bad(when, "must compare with a whole number"))?;
        let what = match inner {
            "ready" => Counted::Ready,
            "blocked" => Counted::Blocked,
            "" => return Err(bad(when, "counts nothing")),
            q => {
                crate::query::parse(q, now)?;
                Counted::Filter(q.to_string())
            }
        };
        return Ok(Condition::Count { what, op, n });
    }
    if w == "lease_expired" || w == "lease_expired()" {
        return Ok(Condition::LeaseExpired);
    }
    if w == "gate_failed" || w == "gate_failed()" {
        return Ok(Condition::GateFailed(None));
    }
    if let Some(rest) = w.strip_prefix("gate_failed(") {
        let key = rest
            .strip_suffix(')')
            .ok_or_else(|| bad(when, "has no closing `)`"))?;
        let key = crate::model::validate_gate_key(key.trim())?;
        return Ok(Condition::GateFailed(Some(key)));
    }
    let name_end = w
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(w.len());
    if let Ok(state) = w[..name_end].parse::<State>()
        && let Some((op, d)) = split_op(&w[name_end..])
    {
        if op != Op::Gt && op != Op::Ge {
            return Err(bad(when, "compares a state's age with `>` (longer than)"));
        }
        let longer_than = crate::model::time::parse_duration(d)?;
        return Ok(Condition::InState { state, longer_than });
    }
    Err(bad(when, "is not a condition jit knows"))
}

/// One thing an alert holds for: the store (no issue) or one issue.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Subject {
    pub issue: Option<String>,
    pub message: String,
    /// The measured value: a count, or seconds in the state.
    pub value: Value,
}

/// When each issue entered its current state, from the event log.
/// When each issue entered its current state, by the log (streamed: one entry per issue).
pub type Entered = HashMap<String, (State, Timestamp)>;

fn entered_state(log: &std::path::Path) -> Result<Entered> {
    let mut latest: HashMap<String, (String, State, Timestamp)> = HashMap::new();
    crate::store::events::scan(log, |e| {
        let Some(issue) = e.issue else {
            return std::ops::ControlFlow::Continue(());
        };
        if let Some(s) = e
            .changes
            .iter()
            .find(|c| c.field == "state")
            .and_then(|c| c.after.as_str())
            .and_then(|s| s.parse::<State>().ok())
        {
            // The latest by id wins, whatever order a merge left the lines in.
            match latest.get_mut(&issue) {
                Some(l) if l.0 >= e.id => {}
                Some(l) => *l = (e.id, s, e.ts),
                None => {
                    latest.insert(issue, (e.id, s, e.ts));
                }
            }
        }
        std::ops::ControlFlow::Continue(())
    })?;
    Ok(latest
        .into_iter()
        .map(|(k, (_, s, t))| (k, (s, t)))
        .collect())
}

/// The subjects a condition holds for now. `count(ready)` counts what `query ready` lists:
/// `containers` (with those the filter asks for let in) are not work.
pub fn evaluate(
    cond: &Condition,
    filter: Option<&crate::query::Query>,
    views: &[IssueView],
    entered: &Entered,
    now: Timestamp,
    containers: &crate::rules::Containers,
) -> Result<Vec<Subject>> {
    let in_scope = |v: &&IssueView| filter.is_none_or(|q| q.matches_in(*v, containers));
    let per_issue = |v: &IssueView, message: String, value: Value| Subject {
        issue: Some(v.issue.id.to_string()),
        message,
        value,
    };
    Ok(match cond {
        Condition::Count { what, op, n } => {
            let q = match what {
                Counted::Filter(f) => Some(crate::query::parse(f, now)?),
                _ => None,
            };
            let count = views
                .iter()
                .filter(in_scope)
                .filter(|v| match what {
                    Counted::Ready => crate::queries::is_claimable(v, now, containers),
                    Counted::Blocked => v.blocked && !v.issue.state.is_closed(),
                    Counted::Filter(_) => q.as_ref().is_some_and(|q| q.matches_in(*v, containers)),
                })
                .count();
            let label = match what {
                Counted::Ready => "ready".to_string(),
                Counted::Blocked => "blocked".to_string(),
                Counted::Filter(f) => f.clone(),
            };
            if op.holds(count, *n) {
                vec![Subject {
                    issue: None,
                    message: format!("count({label}) is {count} ({} {n})", op.as_str()),
                    value: json!(count),
                }]
            } else {
                Vec::new()
            }
        }
        Condition::LeaseExpired => views
            .iter()
            .filter(in_scope)
            .filter(|v| {
                !v.issue.state.is_closed() && crate::ops::claims::lease_expired(&v.issue, now)
            })
            .map(|v| {
                let lease = v.issue.lease.as_ref();
                per_issue(
                    v,
                    format!(
                        "the lease of `{}` on `{}` expired at {}",
                        lease.map(|l| l.holder.as_str()).unwrap_or("?"),
                        v.short_id,
                        lease
                            .and_then(|l| l.expires_at)
                            .map(|t| t.to_string())
                            .unwrap_or_default()
                    ),
                    json!(lease.and_then(|l| l.expires_at)),
                )
            })
            .collect(),
        Condition::InState { state, longer_than } => views
            .iter()
            .filter(in_scope)
            .filter(|v| v.issue.state == *state)
            .filter_map(|v| {
                let since = match entered.get(v.issue.id.as_str()) {
                    Some((s, t)) if s == state => *t,
                    _ => v.issue.created_at.min(v.issue.updated_at),
                };
                let secs = (now.millis() - since.millis()).max(0) / 1000;
                (secs as u64 > longer_than.as_secs()).then(|| {
                    per_issue(
                        v,
                        format!(
                            "`{}` has been {state} since {since} ({})",
                            v.short_id,
                            crate::model::time::age(now, since)
                        ),
                        json!(secs),
                    )
                })
            })
            .collect(),
        Condition::GateFailed(key) => views
            .iter()
            .filter(in_scope)
            .filter(|v| !v.issue.state.is_closed())
            .filter_map(|v| {
                let failed: Vec<&String> = v
                    .issue
                    .gates_status
                    .iter()
                    .filter(|(k, g)| {
                        g.status == GateState::Failed
                            && v.issue.gates_required.contains(k)
                            && key.as_ref().is_none_or(|want| want == *k)
                    })
                    .map(|(k, _)| k)
                    .collect();
                (!failed.is_empty()).then(|| {
                    let names: Vec<&str> = failed.iter().map(|k| k.as_str()).collect();
                    per_issue(
                        v,
                        format!("`{}` has failed gate(s): {}", v.short_id, names.join(", ")),
                        json!(names),
                    )
                })
            })
            .collect(),
    })
}

/// One alert firing or resolving, as `alert check` reports it.
#[derive(Clone, Debug, Serialize)]
pub struct AlertChange {
    pub alert: String,
    pub issue: Option<String>,
    pub short_id: Option<String>,
    pub message: String,
    /// The `alert.fired` / `alert.resolved` event recorded (absent for `firing`).
    pub event_id: Option<String>,
}

/// What `alert check` reports.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CheckReport {
    /// Alerts evaluated.
    pub alerts: usize,
    /// Newly holding: an `alert.fired` event was recorded for each.
    pub fired: Vec<AlertChange>,
    /// No longer holding: an `alert.resolved` event was recorded for each.
    pub resolved: Vec<AlertChange>,
    /// Everything holding now (fired now or earlier).
    pub firing: Vec<AlertChange>,
}

/// Key of one (alert, subject) pair.
type Key = (String, Option<String>);

/// The (alert, subject) pairs whose last alert event is `alert.fired`.
fn firing_now(log: &std::path::Path) -> Result<BTreeMap<Key, String>> {
    // Streamed: only the alert events are kept, then taken in id order.
    let mut events: Vec<Event> = Vec::new();
    crate::store::events::scan(log, |e| {
        if matches!(e.kind.as_str(), "alert.fired" | "alert.resolved") {
            events.push(e);
        }
        std::ops::ControlFlow::Continue(())
    })?;
    events.sort_by(|a, b| a.id.cmp(&b.id));
    events.dedup_by(|a, b| a.id == b.id);
    let mut state: BTreeMap<Key, (bool, String)> = BTreeMap::new();
    for e in &events {
        let (fired, name, message) = match Payload::read(e) {
            Some(Payload::AlertFired(f)) => (true, f.alert, f.message),
            Some(Payload::AlertResolved(r)) => (false, r.alert, r.message),
            _ => continue,
        };
        state.insert((name, e.issue.clone()), (fired, message));
    }
    Ok(state
        .into_iter()
        .filter(|(_, (f, _))| *f)
        .map(|(k, (_, m))| (k, m))
        .collect())
}

fn short(issue: &Option<String>) -> Option<String> {
    issue.as_deref().map(crate::view::short_of_stored)
}

fn read_alerts(config: &crate::model::Config, store: &Store) -> Result<BTreeMap<String, AlertDef>> {
    section(config, SECTION, &store.dir().join("config.json"))
}

/// `alert check`: evaluates every alert and records what changed (see the module docs).
pub fn check(store: &Store, actor: &Actor) -> Result<CheckReport> {
    store.mutate(actor, |tx| {
        let now = tx.now;
        let config = tx.store().config()?;
        let alerts = read_alerts(&config, tx.store())?;
        let (issues, _) = tx.store().load_all()?;
        let gates = tx.gates()?.clone();
        let views = crate::view::views_for(issues, &gates);
        let before = firing_now(&tx.store().events_path())?;
        let entered = entered_state(&tx.store().events_path())?;
        let mut report = CheckReport {
            alerts: alerts.len(),
            ..Default::default()
        };
        let mut holding: BTreeSet<Key> = BTreeSet::new();
        for (name, def) in &alerts {
            let cond = parse(&def.when, now).map_err(|e| in_alert(name, e))?;
            let filter = def
                .filter
                .as_deref()
                .map(|f| crate::query::parse(f, now))
                .transpose()
                .map_err(|e| in_alert(name, e))?;
            let containers =
                config.containers(|t| filter.as_ref().is_some_and(|q| q.asks_for_type(t)));
            for s in evaluate(&cond, filter.as_ref(), &views, &entered, now, &containers)? {
                let key = (name.clone(), s.issue.clone());
                holding.insert(key.clone());
                let mut change = AlertChange {
                    alert: name.clone(),
                    issue: s.issue.clone(),
                    short_id: short(&s.issue),
                    message: s.message.clone(),
                    event_id: None,
                };
                if !before.contains_key(&key) {
                    let issue = s.issue.as_deref().map(IssueId::parse).transpose()?;
                    let fired = payload::AlertFired {
                        alert: name.clone(),
                        when: def.when.clone(),
                        message: s.message.clone(),
                        value: s.value.clone(),
                    };
                    tx.event(issue.as_ref(), Vec::new(), Payload::AlertFired(fired));
                    change.event_id = tx_last_event(tx);
                    report.fired.push(change.clone());
                    change.event_id = None;
                }
                report.firing.push(change);
            }
        }
        for ((name, issue), message) in &before {
            if holding.contains(&(name.clone(), issue.clone())) {
                continue;
            }
            let reason = if alerts.contains_key(name) {
                "the condition no longer holds"
            } else {
                "the alert is no longer configured"
            };
            let id = issue.as_deref().and_then(|i| IssueId::parse(i).ok());
            let resolved = payload::AlertResolved {
                alert: name.clone(),
                message: message.clone(),
                reason: reason.into(),
            };
            tx.event(id.as_ref(), Vec::new(), Payload::AlertResolved(resolved));
            report.resolved.push(AlertChange {
                alert: name.clone(),
                issue: issue.clone(),
                short_id: short(issue),
                message: format!("{message} (resolved: {reason})"),
                event_id: tx_last_event(tx),
            });
        }
        Ok(report)
    })
}

fn tx_last_event(tx: &crate::store::Tx<'_>) -> Option<String> {
    tx.staged_events().last().map(|e| e.id.clone())
}

fn in_alert(name: &str, e: Error) -> Error {
    match e {
        Error::InvalidValue { field, message } => {
            Error::invalid(field, format!("alert `{name}` in config.json: {message}"))
        }
        Error::InvalidQuery {
            position,
            token,
            message,
        } => Error::InvalidQuery {
            position,
            token,
            message: format!("alert `{name}` in config.json: {message}"),
        },
        other => other,
    }
}

/// What `alert add` and `alert rm` did.
#[derive(Clone, Debug, Serialize)]
pub struct AlertDefChange {
    pub name: String,
    pub alert: AlertDef,
    /// `added`, `updated`, `unchanged` or `removed`.
    pub change: &'static str,
}

/// `alert add NAME --when COND [--filter Q]`: adds or replaces an alert.
pub fn add(
    store: &Store,
    actor: &Actor,
    name: &str,
    when: &str,
    filter: Option<&str>,
) -> Result<AlertDefChange> {
    let name = check_name(name)?;
    let now = crate::clock::now()?;
    parse(when, now)?;
    let filter = match filter.map(str::trim) {
        None | Some("") => None,
        Some(f) => {
            crate::query::parse(f, now)?;
            Some(f.to_string())
        }
    };
    store.mutate(actor, |tx| {
        let config = tx.store().config()?;
        let mut alerts = read_alerts(&config, tx.store())?;
        let before = alerts.get(&name).cloned();
        let def = AlertDef {
            when: when.trim().to_string(),
            filter: filter.clone(),
            extra: before.as_ref().map(|b| b.extra.clone()).unwrap_or_default(),
        };
        if before.as_ref() == Some(&def) {
            return Ok(AlertDefChange {
                name: name.clone(),
                alert: def,
                change: "unchanged",
            });
        }
        alerts.insert(name.clone(), def.clone());
        put_section(tx, config, SECTION, &alerts, false)?;
        let b = serde_json::to_value(&before).unwrap_or_default();
        let a = serde_json::to_value(&def).unwrap_or_default();
        let alert = payload::Alert {
            alert: name.clone(),
        };
        let (event, change) = if before.is_some() {
            (Payload::AlertRedefined(alert), "updated")
        } else {
            (Payload::AlertDefined(alert), "added")
        };
        tx.event(None, diff_values(&b, &a), event);
        Ok(AlertDefChange {
            name: name.clone(),
            alert: def,
            change,
        })
    })
}

/// `alert rm NAME`: removes an alert; what it had fired is resolved in the same transaction.
pub fn remove(store: &Store, actor: &Actor, name: &str) -> Result<AlertDefChange> {
    let name = check_name(name)?;
    store.mutate(actor, |tx| {
        let config = tx.store().config()?;
        let mut alerts = read_alerts(&config, tx.store())?;
        let Some(old) = alerts.remove(&name) else {
            let known: Vec<&String> = alerts.keys().collect();
            return Err(Error::Refused {
                code: crate::error::ErrorCode::UnknownAlert,
                message: format!(
                    "no alert is named `{name}`{}",
                    if known.is_empty() {
                        "; no alerts are configured".to_string()
                    } else {
                        format!(
                            "; the alerts are: {}",
                            known
                                .iter()
                                .map(|k| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ),
                details: json!({ "name": name, "alerts": known }),
            });
        };
        let empty = alerts.is_empty();
        put_section(tx, config, SECTION, &alerts, empty)?;
        let b = serde_json::to_value(&old).unwrap_or_default();
        tx.event(
            None,
            diff_values(&b, &Value::Object(Default::default())),
            Payload::AlertUndefined(payload::Alert {
                alert: name.clone(),
            }),
        );
        for ((alert, issue), message) in firing_now(&tx.store().events_path())? {
            if alert != name {
                continue;
            }
            let id = issue.as_deref().and_then(|i| IssueId::parse(i).ok());
            let resolved = payload::AlertResolved {
                alert: name.clone(),
                message,
                reason: "the alert was removed".into(),
            };
            tx.event(id.as_ref(), Vec::new(), Payload::AlertResolved(resolved));
        }
        Ok(AlertDefChange {
            name: name.clone(),
            alert: old,
            change: "removed",
        })
    })
}

/// One alert as `alert list` shows it, with whether it is firing.
#[derive(Clone, Debug, Serialize)]
pub struct AlertEntry {
    pub name: String,
    #[serde(flatten)]
    pub alert: AlertDef,
    /// Subjects it is firing for, per the event log (`alert check` updates it).
    pub firing: usize,
}

/// What `alert list` prints.
#[derive(Clone, Debug, Serialize)]
pub struct AlertList {
    pub alerts: Vec<AlertEntry>,
}

/// `alert list`.
pub fn list(store: &Store) -> Result<AlertList> {
    let config = store.config()?;
    let alerts = read_alerts(&config, store)?;
    let firing = firing_now(&store.events_path())?;
    Ok(AlertList {
        alerts: alerts
            .into_iter()
            .map(|(name, alert)| AlertEntry {
                firing: firing.keys().filter(|(n, _)| *n == name).count(),
                name,
                alert,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        Timestamp::parse("2026-06-01T00:00:00Z").unwrap()
    }

    #[test]
    fn parses_conditions() {
        assert_eq!(
            parse("count(blocked) > 5", now()).unwrap(),
            Condition::Count {
                what: Counted::Blocked,
                op: Op::Gt,
                n: 5
            }
        );
        assert_eq!(
            parse(" count(state:ready label:ui)>=2 ", now()).unwrap(),
            Condition::Count {
                what: Counted::Filter("state:ready label:ui".into()),
                op: Op::Ge,
                n: 2
            }
        );
        assert_eq!(
            parse("count(ready) == 0", now()).unwrap(),
            Condition::Count {
                what: Counted::Ready,
                op: Op::Eq,
                n: 0
            }
        );
        assert_eq!(
            parse("lease_expired", now()).unwrap(),
            Condition::LeaseExpired
        );
        assert_eq!(
            parse("in_progress > 2d", now()).unwrap(),
            Condition::InState {
                state: State::InProgress,
                longer_than: Duration::from_secs(172_800)
            }
        );
        assert_eq!(
            parse("gate_failed(tests)", now()).unwrap(),
            Condition::GateFailed(Some("tests".into()))
        );
        for bad in [
            "",
            "count(blocked)",
            "count(blocked) > x",
            "count() > 1",
            "count(priority:>=urgent) > 1",
            "in_progress < 2d",
            "in_progress > soon",
            "sideways > 2d",
            "gate_failed(Bad Key)",
            "always",
        ] {
            assert!(parse(bad, now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn firing_state_is_the_last_alert_event_per_subject() {
        let ev = |id: &str, kind: &str, issue: Option<&str>| Event {
            id: id.into(),
            ts: now(),
            kind: kind.into(),
            issue: issue.map(str::to_string),
            actor: "human:a".into(),
            changes: vec![],
            data: json!({ "alert": "a", "message": "m", "when": "lease_expired", "value": 1,
                          "reason": "the condition no longer holds" }),
        };
        let events = [
            ev("1", "alert.fired", None),
            ev("2", "alert.fired", Some("X")),
            ev("3", "alert.resolved", None),
            ev("4", "issue.updated", Some("X")),
        ];
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("events.jsonl");
        let mut text = String::new();
        // Written out of order, as a git merge may leave them: the id decides.
        for e in [&events[2], &events[0], &events[3], &events[1]] {
            text.push_str(&serde_json::to_string(e).unwrap());
            text.push('\n');
        }
        std::fs::write(&log, text).unwrap();
        let f = firing_now(&log).unwrap();
        assert_eq!(
            f.keys().cloned().collect::<Vec<_>>(),
            [("a".to_string(), Some("X".to_string()))]
        );
    }
}
