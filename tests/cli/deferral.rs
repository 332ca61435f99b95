//! Setting work aside (`issue defer`/`undefer`, `query deferred`) under the one readiness rule
//! on every path (the summary index, views, `claim-next`, metrics); when work started and
//! finished; and the hierarchy in the roadmap.

use crate::common::{Repo, assert_ok, short_ids, stdout};
use serde_json::json;

const NOW: &str = "2026-03-02T12:00:00Z";

fn at(repo: &Repo, when: &str, args: &[&str]) -> serde_json::Value {
    let out = repo.jit_env(&[args, &["--json"]].concat(), &[("JIT_NOW", when)]);
    assert_ok(&out);
    crate::common::parse_one_object(&out)
}

#[test]
fn a_deferred_issue_is_not_ready_work_until_its_date_on_every_path() {
    let repo = Repo::new();
    let now = |args: &[&str]| at(&repo, NOW, args);
    let create = |title: &str, extra: &[&str]| {
        now(&[&["issue", "create", "--title", title], extra].concat())["short_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let best = create("best", &["--priority", "critical"]);
    let next = create("next", &[]);
    let v = now(&["issue", "defer", &best, "--until", "3d"]);
    assert_eq!(v["deferred_until"], "2026-03-05T12:00:00.000Z");
    assert_eq!(v["changed"], true);
    assert_eq!(repo.events().last().unwrap()["type"], "issue.deferred");
    // The summary index (twice: the second time from the index file), the full views (a
    // filter), claim-next and metrics all leave it out.
    for _ in 0..2 {
        assert_eq!(short_ids(&now(&["query", "ready"])), [next.as_str()]);
    }
    assert_eq!(
        short_ids(&now(&["query", "ready", "--filter", "type:task"])),
        [next.as_str()]
    );
    assert_eq!(short_ids(&now(&["query", "deferred"])), [best.as_str()]);
    let m = now(&["metrics"]);
    assert_eq!(
        (m["ready_unclaimed"].as_u64(), m["deferred"].as_u64()),
        (Some(1), Some(1))
    );
    let human = stdout(&repo.jit_env(&["query", "deferred"], &[("JIT_NOW", NOW)]));
    assert!(
        human.contains("UNTIL") && human.contains("in 3d"),
        "{human}"
    );
    let list = stdout(&repo.jit_env(&["issue", "list"], &[("JIT_NOW", NOW)]));
    assert!(list.contains("ready (deferred)"), "{list}");
    assert_eq!(
        now(&["issue", "claim-next", "--to", "agent:a", "--ttl", "30d"])["short_id"],
        next
    );
    // Once the date passes it is ready work again, with nothing written.
    let later = "2026-03-05T12:00:01Z";
    assert_eq!(
        short_ids(&at(&repo, later, &["query", "ready"])),
        [best.as_str()]
    );
    assert_eq!(
        short_ids(&at(&repo, later, &["query", "deferred"])),
        Vec::<String>::new()
    );
    // undefer ends it now; a second undefer changes nothing.
    let events = repo.event_count();
    assert_eq!(now(&["issue", "undefer", &best])["changed"], true);
    assert_eq!(repo.events().last().unwrap()["type"], "issue.undeferred");
    assert_eq!(short_ids(&now(&["query", "ready"])), [best.as_str()]);
    assert_eq!(now(&["issue", "undefer", &best])["changed"], false);
    assert_eq!(repo.event_count(), events + 1);
}

#[test]
fn deferring_takes_dates_and_spans_in_the_future_of_open_work_only() {
    let repo = Repo::new();
    let id = repo.create("x", &[]);
    let v = at(
        &repo,
        NOW,
        &["issue", "defer", &id, "--until", "2026-04-01"],
    );
    assert_eq!(v["deferred_until"], "2026-04-01T00:00:00.000Z");
    let v = at(&repo, NOW, &["issue", "defer", &id, "--until", "1w"]);
    assert_eq!(
        v["deferred_until"], "2026-03-09T12:00:00.000Z",
        "a new date replaces the old"
    );
    for bad in ["2026-03-01", "yesterday", "0d"] {
        let out = repo.jit_env(
            &["issue", "defer", &id, "--until", bad, "--json"],
            &[("JIT_NOW", NOW)],
        );
        assert_eq!(crate::common::code(&out), 2, "{bad}");
    }
    repo.ok(&["issue", "update", &id, "--state", "done"]);
    let done = repo.show(&id);
    assert!(
        done.get("deferred_until").is_none(),
        "finishing work ends a deferral"
    );
    repo.err(
        &["issue", "defer", &id, "--until", "3d"],
        "invalid_transition",
        2,
    );
    // Claiming deferred work by its id is a choice: it starts, and the deferral ends.
    let other = repo.create("y", &[]);
    repo.ok(&["issue", "defer", &other, "--until", "3d"]);
    let v = repo.ok(&["issue", "claim", &other]);
    assert_eq!(v["state"], "in_progress");
    assert!(v.get("deferred_until").is_none());
}

#[test]
fn work_is_timed_from_its_start_to_done_and_metrics_use_it() {
    let repo = Repo::new();
    let id = at(
        &repo,
        "2026-03-02T08:00:00Z",
        &["issue", "create", "--title", "timed"],
    )["short_id"]
        .as_str()
        .unwrap()
        .to_string();
    let v = at(
        &repo,
        "2026-03-02T09:00:00Z",
        &["issue", "claim", &id, "--to", "agent:a"],
    );
    assert_eq!(v["started_at"], "2026-03-02T09:00:00.000Z");
    // Given back and taken again: the start stays.
    at(
        &repo,
        "2026-03-02T09:30:00Z",
        &["issue", "release", &id, "--actor", "agent:a"],
    );
    let v = at(
        &repo,
        "2026-03-02T10:00:00Z",
        &["issue", "claim", &id, "--to", "agent:b"],
    );
    assert_eq!(v["started_at"], "2026-03-02T09:00:00.000Z");
    let v = at(
        &repo,
        "2026-03-02T12:00:00Z",
        &[
            "issue", "update", &id, "--state", "done", "--actor", "agent:b",
        ],
    );
    assert_eq!(v["finished_at"], "2026-03-02T12:00:00.000Z");
    // A move that stamps a time is still recorded as a state change.
    let plain = repo.create("plain", &[]);
    let v = at(
        &repo,
        NOW,
        &["issue", "update", &plain, "--state", "in_progress"],
    );
    assert_eq!(v["started_at"], "2026-03-02T12:00:00.000Z");
    assert_eq!(repo.events().last().unwrap()["type"], "issue.state_changed");
    let m = at(&repo, NOW, &["metrics"]);
    assert_eq!(m["work_time_started_to_finished"]["count"], 1);
    assert_eq!(m["work_time_started_to_finished"]["p50"], 3.0 * 3600.0);
    let text = stdout(&repo.jit_env(&["metrics"], &[("JIT_NOW", NOW)]));
    assert!(text.contains("started -> finished"), "{text}");
    let prom = stdout(&repo.jit_env(&["metrics", "--format", "prometheus"], &[("JIT_NOW", NOW)]));
    assert!(
        prom.contains(
            "jit_cycle_time_seconds{kind=\"started_to_finished\",quantile=\"0.5\"} 10800"
        ),
        "{prom}"
    );
    let shown = stdout(&repo.jit_env(&["issue", "show", &id], &[("JIT_NOW", NOW)]));
    assert!(
        shown.contains("finished:    just now, after 3h of work"),
        "{shown}"
    );
    // Reopened: the next run is timed anew.
    let v = at(
        &repo,
        NOW,
        &["issue", "reopen", &id, "--reason", "regression"],
    );
    assert!(
        v.get("started_at").is_none() && v.get("finished_at").is_none(),
        "{v:#}"
    );
}

#[test]
fn the_roadmap_lists_sub_tasks_under_their_epic() {
    let repo = Repo::new();
    let epic = repo.create("Epic", &["--type", "epic", "--milestone", "M1"]);
    let inherit = repo.create("Sub-task of the epic", &["--parent", &epic]);
    let nested = repo.create("Nested", &["--parent", &inherit]);
    let later = repo.create(
        "Planned for later",
        &["--parent", &epic, "--milestone", "M2"],
    );
    let loose = repo.create("Loose", &["--milestone", "M1"]);
    repo.ok(&["issue", "update", &nested, "--state", "done"]);
    let out = repo.jit(&["export", "roadmap"]);
    assert_ok(&out);
    let md = stdout(&out);
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with("| `")).collect();
    let pos = |id: &str| {
        rows.iter()
            .position(|r| r.starts_with(&format!("| `{id}`")))
            .unwrap()
    };
    // M1: the epic, then its sub-task (inheriting M1), then the nested one, then the rest.
    assert_eq!(
        (pos(&epic), pos(&inherit), pos(&nested), pos(&loose)),
        (0, 1, 2, 3),
        "{md}"
    );
    assert!(
        rows[0].contains("| Epic · 0 of 2 sub-tasks done |"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("| ↳ Sub-task of the epic · 1 of 1 sub-tasks done |"),
        "{}",
        rows[1]
    );
    assert!(rows[2].contains("| ↳ ↳ Nested |"), "{}", rows[2]);
    // A sub-task with a milestone of its own stays in it, and says where its epic is.
    assert!(
        rows[pos(&later)].contains(&format!("| Planned for later · part of `{epic}` |")),
        "{md}"
    );
    let m1 = md
        .split("## M1")
        .nth(1)
        .unwrap()
        .split("## M2")
        .next()
        .unwrap();
    assert!(m1.contains("1 of 4 done"), "{m1}");
    // Deterministic: --check passes on what it just wrote.
    let file = repo.path().join("ROADMAP.md");
    repo.ok(&["export", "roadmap", "--out", file.to_str().unwrap()]);
    repo.ok(&["export", "roadmap", "--check", file.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), md);
    let _ = json!({});
}
