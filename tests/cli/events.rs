//! The event log as history: `events query` filters and its JSON shape, tolerance of a torn last
//! line, `events tail` (JSON Lines) and `events tail --follow` seeing another process's write.

// Fields of the shape structs exist to pin the contract even where no test reads them.
#![allow(dead_code)]

use crate::common::{ACTOR, Repo, assert_ok, code, jit_bin, parse_one_object, stderr, stdout};
use crate::contract::{is_timestamp, is_ulid};
use serde::Deserialize;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Change {
    field: String,
    before: Value,
    after: Value,
}

/// One event, as `events query` and `events tail` print it (the log line itself).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Event {
    id: String,
    ts: String,
    #[serde(rename = "type")]
    kind: String,
    issue: Option<String>,
    actor: String,
    #[serde(default)]
    changes: Vec<Change>,
    #[serde(default)]
    data: Value,
}

impl Event {
    fn from_value(v: &Value) -> Self {
        let e: Event = serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("not an event: {e}\n{v:#}"));
        assert!(is_ulid(&e.id), "event id {}", e.id);
        assert!(is_timestamp(&e.ts), "event ts {}", e.ts);
        e
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EventPage {
    events: Vec<Value>,
    total: usize,
    unreadable_lines: usize,
}

fn query(repo: &Repo, extra: &[&str]) -> (Vec<Event>, EventPage) {
    let mut args = vec!["events", "query"];
    args.extend_from_slice(extra);
    let page: EventPage =
        serde_json::from_value(repo.ok(&args)).unwrap_or_else(|e| panic!("not an event page: {e}"));
    let events: Vec<Event> = page.events.iter().map(Event::from_value).collect();
    let ids: Vec<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "events come oldest first");
    (events, page)
}

fn kinds(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.kind.as_str()).collect()
}

#[test]
fn query_filters_by_type_exact_or_prefix() {
    let repo = Repo::new();
    repo.define_gate("review", &["--auto"]);
    let id = repo.create("A", &[]);
    repo.ok(&["gate", "add", &id, "review"]);
    repo.ok(&["gate", "pass", &id, "review"]);
    repo.ok(&["issue", "comment", &id, "--body", "done"]);

    let (all, page) = query(&repo, &[]);
    assert_eq!(page.total, all.len());
    assert_eq!(page.unreadable_lines, 0);
    assert_eq!(
        kinds(&all),
        [
            "gate.defined",
            "issue.created",
            "gate.added",
            "gate.passed",
            "comment.added"
        ]
    );
    let (gates, page) = query(&repo, &["--event", "gate.*"]);
    assert_eq!(kinds(&gates), ["gate.defined", "gate.added", "gate.passed"]);
    assert_eq!(page.total, 3);
    let (passed, _) = query(&repo, &["--event", "gate.passed"]);
    assert_eq!(kinds(&passed), ["gate.passed"]);
    assert_eq!(passed[0].issue.as_deref(), Some(repo.full_id(&id).as_str()));
    assert_eq!(passed[0].actor, ACTOR);
    let (none, page) = query(&repo, &["--event", "gate"]);
    assert!(
        none.is_empty() && page.total == 0,
        "no prefix match without `*`"
    );
    repo.err(
        &["events", "query", "--event", "gate passed"],
        "invalid_value",
        2,
    );
}

#[test]
fn query_filters_by_issue_even_after_it_is_deleted() {
    let repo = Repo::new();
    let a = repo.create("A", &[]);
    let b = repo.create("B", &[]);
    repo.ok(&["issue", "update", &a, "--priority", "high"]);
    repo.ok(&["issue", "update", &b, "--priority", "low"]);
    let a_full = repo.full_id(&a);

    for form in [a.as_str(), &a[..5], a_full.as_str()] {
        let (evs, _) = query(&repo, &["--issue", form]);
        assert_eq!(kinds(&evs), ["issue.created", "issue.updated"], "{form}");
        assert!(
            evs.iter()
                .all(|e| e.issue.as_deref() == Some(a_full.as_str()))
        );
    }

    repo.ok(&["issue", "delete", &a]);
    for form in [a_full.as_str(), &a_full.to_lowercase(), a.as_str()] {
        let (evs, _) = query(&repo, &["--issue", form]);
        assert_eq!(
            kinds(&evs),
            ["issue.created", "issue.updated", "issue.deleted"],
            "{form}"
        );
    }
    repo.err(
        &["events", "query", "--issue", "00000000000000000000000000"],
        "not_found",
        3,
    );
    repo.err(&["events", "query", "--issue", "../x"], "invalid_id", 2);
}

/// One issue's log, `issue log`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueLog {
    id: String,
    short_id: String,
    events: Vec<Value>,
    total: usize,
    unreadable_lines: usize,
}

/// `issue log ID` is `events query --issue ID`: the same events, the same filters, the same
/// id forms (a deleted issue's too), in its own envelope.
#[test]
fn issue_log_is_the_events_query_of_one_issue() {
    let repo = Repo::new();
    let a = repo.create("A", &[]);
    let b = repo.create("B", &[]);
    repo.ok(&["issue", "update", &a, "--priority", "high"]);
    repo.ok(&["issue", "comment", &a, "--body", "first"]);
    repo.ok(&["issue", "update", &b, "--priority", "low"]);
    repo.ok(&["issue", "comment", &a, "--body", "second"]);
    let a_full = repo.full_id(&a);
    let log = |extra: &[&str]| -> (IssueLog, Vec<Event>) {
        let mut args = vec!["issue", "log", a.as_str()];
        args.extend_from_slice(extra);
        let log: IssueLog = serde_json::from_value(repo.ok(&args))
            .unwrap_or_else(|e| panic!("not an issue log: {e}"));
        let events = log.events.iter().map(Event::from_value).collect();
        (log, events)
    };
    for extra in [
        &[][..],
        &["--event", "comment.*"],
        &["--limit", "2"],
        &["--by", "human:*"],
        &["--since", "1h"],
    ] {
        let (l, evs) = log(extra);
        let mut q = vec!["--issue", a.as_str()];
        q.extend(
            extra
                .iter()
                .map(|f| if *f == "--by" { "--actor" } else { f }),
        );
        let (want, page) = query(&repo, &q);
        let ids = |e: &[Event]| e.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&evs), ids(&want), "{extra:?}");
        assert_eq!((l.total, l.id.as_str()), (page.total, a_full.as_str()));
        assert_eq!(l.short_id, a);
    }
    let (l, evs) = log(&["--event", "comment.added", "--limit", "1"]);
    assert_eq!((kinds(&evs), l.total), (vec!["comment.added"], 2));
    assert_eq!(evs[0].data["comment"].as_str().map(str::len), Some(8));
    let human = stdout(&repo.jit(&["issue", "log", &a, "--limit", "1"]));
    assert!(
        human.contains("(showing the last 1 of 4 matching events)"),
        "{human}"
    );
    // `--actor` before the command is still the global flag: who acts, not a filter.
    let (l, _) = log(&["--by", "agent:*"]);
    assert_eq!(l.total, 0);
    let acting = repo.ok(&["--actor", "agent:someone", "issue", "log", &a]);
    assert_eq!(acting["total"], 4);

    repo.ok(&["issue", "delete", &a]);
    let (_, evs) = log(&[]);
    assert_eq!(evs.last().map(|e| e.kind.as_str()), Some("issue.deleted"));
    repo.err(&["issue", "log", &a, "--limit", "0"], "invalid_value", 2);
    repo.err(
        &["issue", "log", "00000000000000000000000000"],
        "not_found",
        3,
    );
}

#[test]
fn query_filters_by_actor_with_wildcards() {
    let repo = Repo::new();
    let id = repo.create("A", &["--actor", "agent:a1"]);
    repo.ok(&[
        "issue", "comment", &id, "--body", "x", "--actor", "agent:a2",
    ]);
    repo.ok(&[
        "issue",
        "comment",
        &id,
        "--body",
        "y",
        "--actor",
        "human:alice",
    ]);

    let actors = |pattern: &str| -> Vec<String> {
        let (evs, _) = query(&repo, &["--actor", pattern]);
        evs.into_iter().map(|e| e.actor).collect()
    };
    assert_eq!(actors("agent:*"), ["agent:a1", "agent:a2"]);
    assert_eq!(actors("agent:a2"), ["agent:a2"]);
    assert_eq!(actors("*:alice"), ["human:alice"]);
    assert!(actors("ci:*").is_empty());
    // Filters combine.
    let (evs, _) = query(
        &repo,
        &["--actor", "agent:*", "--event", "comment.*", "--issue", &id],
    );
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].actor, "agent:a2");
}

#[test]
fn query_since_takes_times_dates_and_spans() {
    let repo = Repo::new();
    let old = repo.jit_env(
        &["issue", "create", "--title", "old", "--json"],
        &[("JIT_NOW", "2020-01-01T00:00:00Z")],
    );
    assert_ok(&old);
    repo.create("new", &[]);

    let titles = |since: &str| -> Vec<String> {
        let (evs, _) = query(&repo, &["--since", since]);
        evs.iter()
            .map(|e| e.data["title"].as_str().expect("title").to_string())
            .collect()
    };
    assert_eq!(titles("1h"), ["new"]);
    assert_eq!(titles("2021-06-01"), ["new"]);
    assert_eq!(titles("2019-12-31T23:00:00Z"), ["old", "new"]);
    assert_eq!(
        titles("2020-01-01T00:00:00+00:00"),
        ["old", "new"],
        "inclusive"
    );
    // Spans count back from JIT_NOW when it is set.
    let out = repo.jit_env(
        &["events", "query", "--since", "1d", "--json"],
        &[("JIT_NOW", "2020-01-01T12:00:00Z")],
    );
    let page = parse_one_object(&out);
    assert_eq!(page["total"], 2, "both are after 2019-12-31T12:00");
    for bad in ["yesterday", "1x", ""] {
        let d = repo.err(&["events", "query", "--since", bad], "invalid_value", 2);
        assert_eq!(d["field"], "time", "{bad}");
    }
}

#[test]
fn query_limit_keeps_the_most_recent() {
    let repo = Repo::new();
    for t in ["one", "two", "three"] {
        repo.create(t, &[]);
    }
    let (evs, page) = query(&repo, &["--limit", "2"]);
    assert_eq!(page.total, 3);
    let titles: Vec<&str> = evs
        .iter()
        .map(|e| e.data["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["two", "three"]);
    repo.err(&["events", "query", "--limit", "0"], "invalid_value", 2);
    repo.err(&["events", "query", "--limit", "x"], "usage", 2);
}

#[test]
fn query_human_table() {
    let repo = Repo::new();
    let id = repo.create("A", &[]);
    repo.ok(&["checklist", "add", &id, "--item", "works"]);
    let out = repo.jit(&["events", "query", "--event", "checklist.*"]);
    assert_ok(&out);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(header, ["TIME", "ACTOR", "TYPE", "ISSUE", "WHAT"]);
    // People read times relative to now; `--json` has the timestamps.
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(&row[..2], ["just", "now"], "{text}");
    assert_eq!(
        &row[2..],
        [ACTOR, "checklist.added", &id, "item", "\"works\""]
    );
    let later = repo.jit_env(
        &["events", "query", "--event", "checklist.*"],
        &[("JIT_NOW", "2099-01-01T00:00:00Z")],
    );
    // More than a year away, a time is shown as its date.
    let ts = repo.events().last().unwrap()["ts"]
        .as_str()
        .unwrap()
        .to_string();
    let row = stdout(&later)
        .lines()
        .nth(1)
        .unwrap()
        .trim_start()
        .to_string();
    assert!(row.starts_with(&ts[..10]), "{row}");
    let out = repo.jit(&["events", "query", "--event", "nothing"]);
    assert_eq!(stdout(&out), "no events\n");
}

#[test]
fn a_torn_last_line_is_tolerated() {
    let repo = Repo::new();
    let id = repo.create("A", &[]);
    let log = repo.jit_dir().join("events.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .expect("open log");
    f.write_all(b"{\"id\":\"01JZZZ").expect("append");
    drop(f);

    let (evs, page) = query(&repo, &[]);
    assert_eq!(kinds(&evs), ["issue.created"]);
    assert_eq!(page.unreadable_lines, 1);
    let out = repo.jit(&["events", "query"]);
    assert_ok(&out);
    assert!(stderr(&out).contains("unreadable"), "{}", stderr(&out));

    // Writers start on a fresh line; the torn one stays unreadable, nothing else is lost.
    repo.ok(&["issue", "comment", &id, "--body", "after the crash"]);
    let (evs, page) = query(&repo, &[]);
    assert_eq!(kinds(&evs), ["issue.created", "comment.added"]);
    assert_eq!(page.unreadable_lines, 1);

    let out = repo.jit(&["events", "tail", "--json"]);
    assert_ok(&out);
    assert_eq!(json_lines(&out).len(), 2);
    assert!(
        stderr(&out).contains("unreadable line 2"),
        "{}",
        stderr(&out)
    );
}

/// Every stdout line as one JSON object (JSON Lines).
fn json_lines(out: &std::process::Output) -> Vec<Event> {
    stdout(out)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("line is not one JSON value ({e}): {l}"));
            assert!(v.is_object(), "{l}");
            Event::from_value(&v)
        })
        .collect()
}

fn log_ids(repo: &Repo) -> Vec<String> {
    let mut ids: Vec<String> = repo
        .events()
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    ids
}

#[test]
fn tail_after_prints_exactly_the_later_events() {
    let repo = Repo::new();
    for t in ["one", "two", "three", "four"] {
        repo.create(t, &[]);
    }
    let ids = log_ids(&repo);
    let out = repo.jit(&["events", "tail", "--after", &ids[1], "--json"]);
    assert_ok(&out);
    let got: Vec<String> = json_lines(&out).into_iter().map(|e| e.id).collect();
    assert_eq!(got, ids[2..]);
    // Any case; --limit takes the first N after.
    let out = repo.jit(&[
        "events",
        "tail",
        "--after",
        &ids[0].to_lowercase(),
        "--limit",
        "2",
        "--json",
    ]);
    let got: Vec<String> = json_lines(&out).into_iter().map(|e| e.id).collect();
    assert_eq!(got, ids[1..3]);
    // After the newest: nothing, successfully.
    let out = repo.jit(&["events", "tail", "--after", &ids[3], "--json"]);
    assert_ok(&out);
    assert!(stdout(&out).is_empty());
    // Human lines: one per event.
    let out = repo.jit(&["events", "tail", "--after", &ids[2]]);
    let text = stdout(&out);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(
        text.contains("issue.created") && text.contains(ACTOR),
        "{text}"
    );

    for bad in ["nope", "../../etc/passwd", "01J"] {
        let out = repo.jit(&["events", "tail", "--after", bad, "--json"]);
        assert_eq!(code(&out), 2, "{bad}");
        let e = parse_one_object(&out);
        assert_eq!(e["error"]["code"], "invalid_value");
        assert_eq!(e["error"]["details"]["field"], "after");
    }
}

#[test]
fn tail_without_after_prints_the_last_twenty() {
    let repo = Repo::new();
    let id = repo.create("A", &[]);
    for n in 0..22 {
        repo.ok(&["issue", "comment", &id, "--body", &format!("c{n}")]);
    }
    let ids = log_ids(&repo);
    assert_eq!(ids.len(), 23);
    let out = repo.jit(&["events", "tail", "--json"]);
    let got: Vec<String> = json_lines(&out).into_iter().map(|e| e.id).collect();
    assert_eq!(got, ids[3..]);
    let out = repo.jit(&["events", "tail", "--limit", "2", "--json"]);
    let got: Vec<String> = json_lines(&out).into_iter().map(|e| e.id).collect();
    assert_eq!(got, ids[21..]);
}

/// Kills the child when dropped, so a failed assertion never leaves a follower running.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn tail_follow_sees_another_process_append() {
    let repo = Repo::new();
    repo.create("before", &[]);
    let last = log_ids(&repo).pop().expect("an event");
    let mut child = Child(
        Command::new(jit_bin())
            .current_dir(repo.path())
            .env("JIT_ACTOR", ACTOR)
            .env("NO_COLOR", "1")
            .env_remove("JIT_NOW")
            .args(["events", "tail", "--follow", "--json", "--after", &last])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn jit events tail --follow"),
    );
    let stdout = child.0.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            match line {
                Ok(l) => {
                    if tx.send(l).is_err() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
    });

    let new = repo.create("after", &[]);
    let new_full = repo.full_id(&new);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "no issue.created line for {new} within 10 s; saw {seen:?}"
        );
        let Ok(line) = rx.recv_timeout(left) else {
            continue;
        };
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("follow prints JSON Lines ({e}): {line}"));
        let e = Event::from_value(&v);
        assert!(e.id > last, "only events after --after: {line}");
        let hit = e.kind == "issue.created" && e.issue.as_deref() == Some(new_full.as_str());
        seen.push(line);
        if hit {
            break;
        }
    }
    assert_eq!(seen.len(), 1, "exactly the new event: {seen:?}");
}
