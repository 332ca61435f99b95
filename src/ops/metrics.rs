//! `jit metrics`: counts from the issue files, flow times from the event log.
//!
//! Invariants: counts describe the store as it is now; times come only from recorded state
//! changes (`changes` with field `state`), so they are reproducible from the committed files.
//! Percentiles use the nearest-rank method.

use crate::error::Result;
use crate::model::{Event, EventKind, State, Timestamp};
use crate::store::{Store, events};
use crate::view::IssueView;
use chrono::Datelike;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Percentiles of a set of durations, in seconds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Spread {
    pub count: usize,
    pub p50: Option<f64>,
    pub p90: Option<f64>,
    pub p95: Option<f64>,
    pub sum: f64,
}

impl Spread {
    fn of(mut secs: Vec<f64>) -> Self {
        secs.sort_by(|a, b| a.total_cmp(b));
        let rank = |q: f64| -> Option<f64> {
            if secs.is_empty() {
                return None;
            }
            let idx = ((q * secs.len() as f64).ceil() as usize).clamp(1, secs.len()) - 1;
            Some(secs[idx])
        };
        Spread {
            count: secs.len(),
            p50: rank(0.5),
            p90: rank(0.9),
            p95: rank(0.95),
            sum: secs.iter().sum(),
        }
    }
}

/// Everything `jit metrics` reports.
#[derive(Debug, Serialize)]
pub struct Metrics {
    pub total: usize,
    pub by_state: BTreeMap<String, usize>,
    pub by_type: BTreeMap<String, usize>,
    pub by_priority: BTreeMap<String, usize>,
    pub by_assignee: BTreeMap<String, usize>,
    pub blocked: usize,
    pub ready_unclaimed: usize,
    /// Seconds from creation to done, over issues that reached done.
    pub cycle_time_created_to_done: Spread,
    /// Seconds from first entering in_progress to done.
    pub cycle_time_in_progress_to_done: Spread,
    /// Seconds from `started_at` to `finished_at` over done issues that carry both: the latest
    /// run of work, read from the issue files (no event log needed).
    pub work_time_started_to_finished: Spread,
    /// Open issues set aside with `issue defer` (not ready work until their date).
    pub deferred: usize,
    /// Seconds spent in each state, over stays that ended.
    pub dwell: BTreeMap<String, Spread>,
    /// Issues reaching done per ISO week (`2026-W47`).
    pub throughput_per_week: BTreeMap<String, usize>,
    pub lease_expiries: usize,
    pub events: usize,
    pub unreadable_event_lines: usize,
}

fn state_after(e: &Event) -> Option<State> {
    e.changes
        .iter()
        .find(|c| c.field == "state")
        .and_then(|c| c.after.as_str())
        .and_then(|s| s.parse().ok())
}

/// Computes the metrics of a store.
pub fn compute(store: &Store, views: &[IssueView]) -> Result<Metrics> {
    let now = crate::clock::now()?;
    let containers = store.config()?.containers(|_| false);
    let mut by_state = BTreeMap::new();
    for s in State::ALL {
        by_state.insert(s.to_string(), 0);
    }
    let (mut by_type, mut by_priority, mut by_assignee) =
        (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for v in views {
        let i = &v.issue;
        *by_state.entry(i.state.to_string()).or_insert(0) += 1;
        *by_type.entry(i.kind.clone()).or_insert(0) += 1;
        *by_priority.entry(i.priority.to_string()).or_insert(0) += 1;
        *by_assignee
            .entry(i.assignee.clone().unwrap_or_else(|| "unassigned".into()))
            .or_insert(0) += 1;
    }
    let blocked = views
        .iter()
        .filter(|v| v.blocked && !v.issue.state.is_closed())
        .count();
    let ready_unclaimed = views
        .iter()
        .filter(|v| crate::queries::is_claimable(v, now, &containers))
        .count();
    let deferred = views
        .iter()
        .filter(|v| crate::rules::deferred(&v.issue, now.millis()))
        .count();
    let work: Vec<f64> = views
        .iter()
        .filter(|v| v.issue.state == State::Done)
        .filter_map(|v| Some((v.issue.started_at?, v.issue.finished_at?)))
        .filter(|(s, f)| f >= s)
        .map(|(s, f)| (f.millis() - s.millis()) as f64 / 1000.0)
        .collect();

    // The log is streamed; of each creation and state change only what the metrics need is
    // kept (a few dozen bytes), then sorted by id with duplicates dropped; of other events only
    // their id (to count them once each).
    struct Step {
        id: u128,
        issue: u32,
        ts: Timestamp,
        created: bool,
        state: Option<State>,
    }
    let mut issue_index: HashMap<String, u32> = HashMap::new();
    let mut steps: Vec<Step> = Vec::new();
    let mut expiries: Vec<u128> = Vec::new();
    let mut all: Vec<u128> = Vec::new();
    let mut odd = std::collections::HashSet::new();
    let scanned = events::scan(&store.events_path(), |e| {
        let id = match ulid::Ulid::from_string(&e.id) {
            Ok(u) => u.0,
            Err(_) => {
                // Not a ULID (a hand edit): counted once by its text, ordered last.
                odd.insert(e.id.clone());
                u128::MAX
            }
        };
        if id != u128::MAX {
            all.push(id);
        }
        if e.kind == EventKind::LeaseExpired {
            expiries.push(id);
        }
        let created = e.kind == EventKind::IssueCreated;
        let state = state_after(&e);
        // Only creations and state changes count for cycle times, dwell and throughput.
        if let Some(i) = e.issue.as_deref()
            && (created || state.is_some())
        {
            let next = issue_index.len() as u32;
            let issue = *issue_index.entry(i.to_string()).or_insert(next);
            steps.push(Step {
                id,
                issue,
                ts: e.ts,
                created,
                state,
            });
        }
        std::ops::ControlFlow::Continue(())
    })?;
    let bad = scanned.bad;
    all.sort_unstable();
    all.dedup();
    let event_count = all.len() + odd.len();
    drop(all);
    expiries.sort_unstable();
    expiries.dedup();
    steps.sort_by_key(|s| (s.issue, s.id));
    steps.dedup_by(|a, b| a.issue == b.issue && a.id == b.id && a.id != u128::MAX);
    let mut per_issue: Vec<&[Step]> = Vec::new();
    let mut rest: &[Step] = &steps;
    while let Some(first) = rest.first() {
        let n = rest.iter().take_while(|s| s.issue == first.issue).count();
        let (group, tail) = rest.split_at(n);
        per_issue.push(group);
        rest = tail;
    }
    let (mut c2d, mut p2d) = (Vec::new(), Vec::new());
    let mut dwell: HashMap<String, Vec<f64>> = HashMap::new();
    let mut weekly: BTreeMap<String, usize> = BTreeMap::new();
    let secs = |a: Timestamp, b: Timestamp| (b.millis() - a.millis()) as f64 / 1000.0;
    for list in per_issue {
        let mut created: Option<Timestamp> = None;
        let mut started: Option<Timestamp> = None;
        let mut current: Option<(State, Timestamp)> = None;
        for e in list {
            if e.created {
                created = Some(e.ts);
            }
            let Some(next) = e.state else { continue };
            if let Some((prev, since)) = current
                && prev != next
            {
                dwell
                    .entry(prev.to_string())
                    .or_default()
                    .push(secs(since, e.ts));
            }
            if current.is_none_or(|(prev, _)| prev != next) {
                current = Some((next, e.ts));
            }
            if next == State::InProgress && started.is_none() {
                started = Some(e.ts);
            }
            if next == State::Done && !e.created {
                if let Some(c) = created {
                    c2d.push(secs(c, e.ts));
                }
                if let Some(s) = started {
                    p2d.push(secs(s, e.ts));
                }
                let d = e.ts.datetime().iso_week();
                *weekly
                    .entry(format!("{}-W{:02}", d.year(), d.week()))
                    .or_insert(0) += 1;
            }
        }
    }
    Ok(Metrics {
        total: views.len(),
        by_state,
        by_type,
        by_priority,
        by_assignee,
        blocked,
        ready_unclaimed,
        cycle_time_created_to_done: Spread::of(c2d),
        cycle_time_in_progress_to_done: Spread::of(p2d),
        work_time_started_to_finished: Spread::of(work),
        deferred,
        dwell: dwell.into_iter().map(|(k, v)| (k, Spread::of(v))).collect(),
        throughput_per_week: weekly,
        lease_expiries: expiries.len(),
        events: event_count,
        unreadable_event_lines: bad.len(),
    })
}

fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The Prometheus text exposition format (`# HELP`, `# TYPE`, `jit_` prefix).
pub fn prometheus(m: &Metrics) -> String {
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, String)>| {
        out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n"));
        for (labels, value) in samples {
            out.push_str(&format!("{name}{labels} {value}\n"));
        }
    };
    let by = |key: &str, map: &BTreeMap<String, usize>| -> Vec<(String, String)> {
        map.iter()
            .map(|(k, v)| (format!("{{{key}=\"{}\"}}", label(k)), v.to_string()))
            .collect()
    };
    family(
        "jit_issues",
        "gauge",
        "Issues by state.",
        by("state", &m.by_state),
    );
    family(
        "jit_issues_by_type",
        "gauge",
        "Issues by type.",
        by("type", &m.by_type),
    );
    family(
        "jit_issues_by_priority",
        "gauge",
        "Issues by priority.",
        by("priority", &m.by_priority),
    );
    family(
        "jit_issues_by_assignee",
        "gauge",
        "Issues by assignee.",
        by("assignee", &m.by_assignee),
    );
    family(
        "jit_issues_blocked",
        "gauge",
        "Open issues blocked by dependencies or gates.",
        vec![(String::new(), m.blocked.to_string())],
    );
    family(
        "jit_issues_deferred",
        "gauge",
        "Open issues deferred until a later date.",
        vec![(String::new(), m.deferred.to_string())],
    );
    family(
        "jit_issues_ready_unclaimed",
        "gauge",
        "Issues ready to be claimed.",
        vec![(String::new(), m.ready_unclaimed.to_string())],
    );
    let summary = |kind: &str, s: &Spread| -> Vec<(String, String)> {
        let mut v = Vec::new();
        for (q, val) in [("0.5", s.p50), ("0.9", s.p90), ("0.95", s.p95)] {
            if let Some(x) = val {
                v.push((
                    format!("{{kind=\"{kind}\",quantile=\"{q}\"}}"),
                    format!("{x}"),
                ));
            }
        }
        v
    };
    let mut cycle = summary("created_to_done", &m.cycle_time_created_to_done);
    cycle.extend(summary(
        "in_progress_to_done",
        &m.cycle_time_in_progress_to_done,
    ));
    cycle.extend(summary(
        "started_to_finished",
        &m.work_time_started_to_finished,
    ));
    for (kind, s) in [
        ("created_to_done", &m.cycle_time_created_to_done),
        ("in_progress_to_done", &m.cycle_time_in_progress_to_done),
        ("started_to_finished", &m.work_time_started_to_finished),
    ] {
        cycle.push((format!("_sum{{kind=\"{kind}\"}}"), format!("{}", s.sum)));
        cycle.push((format!("_count{{kind=\"{kind}\"}}"), s.count.to_string()));
    }
    family(
        "jit_cycle_time_seconds",
        "summary",
        "Seconds from creation (or start) to done.",
        cycle,
    );
    let mut dwell = Vec::new();
    for (state, s) in &m.dwell {
        for (q, val) in [("0.5", s.p50), ("0.9", s.p90), ("0.95", s.p95)] {
            if let Some(x) = val {
                dwell.push((
                    format!("{{state=\"{}\",quantile=\"{q}\"}}", label(state)),
                    format!("{x}"),
                ));
            }
        }
        dwell.push((
            format!("_sum{{state=\"{}\"}}", label(state)),
            format!("{}", s.sum),
        ));
        dwell.push((
            format!("_count{{state=\"{}\"}}", label(state)),
            s.count.to_string(),
        ));
    }
    family(
        "jit_state_dwell_seconds",
        "summary",
        "Seconds an issue stayed in a state before leaving it.",
        dwell,
    );
    family(
        "jit_done_per_week",
        "gauge",
        "Issues reaching done per ISO week.",
        by("week", &m.throughput_per_week),
    );
    family(
        "jit_lease_expiries_total",
        "counter",
        "Claims whose lease expired and were taken over.",
        vec![(String::new(), m.lease_expiries.to_string())],
    );
    family(
        "jit_events_total",
        "counter",
        "Lines in the event log.",
        vec![(String::new(), m.events.to_string())],
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let s = Spread::of((1..=10).map(f64::from).collect());
        assert_eq!(
            (s.p50, s.p90, s.p95, s.count, s.sum),
            (Some(5.0), Some(9.0), Some(10.0), 10, 55.0)
        );
        assert_eq!(Spread::of(vec![]).p50, None);
    }
}
