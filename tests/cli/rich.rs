//! Rich details: checklist items, comments, links (seen from both sides) and linked pull
//! requests. Each is one mutation with `--if-version`, one event with before/after, a pinned
//! JSON shape, and a refusal for every bad input that writes nothing.

use crate::common::{ACTOR, MISSING_ID, Repo, assert_ok, code, stderr, stdout};
use crate::contract::{IssueView, is_timestamp};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    id: String,
    text: String,
    checked: bool,
    checked_by: Option<String>,
    checked_at: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Comment {
    id: String,
    author: String,
    at: String,
    body: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct LinkRef {
    kind: String,
    id: String,
    short_id: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct StoredLink {
    kind: String,
    target: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pr {
    url: String,
    number: Option<u64>,
    title: Option<String>,
    status: Option<String>,
    branch: Option<String>,
    commit: Option<String>,
    ci: Option<String>,
    updated_at: String,
}

/// Splits a detail reply into the issue view (checked against the contract) and its extra keys.
fn split<T: for<'de> Deserialize<'de>>(v: &Value, keys: &[&str]) -> (IssueView, T) {
    let mut rest = v.as_object().expect("an object").clone();
    let mut taken = serde_json::Map::new();
    for k in keys {
        let val = rest
            .remove(*k)
            .unwrap_or_else(|| panic!("missing `{k}` in {v:#}"));
        taken.insert(k.to_string(), val);
    }
    let view = IssueView::from_value(&Value::Object(rest));
    let extra = serde_json::from_value(Value::Object(taken))
        .unwrap_or_else(|e| panic!("unexpected shape: {e}\n{v:#}"));
    (view, extra)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemReply {
    item: Item,
    changed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentReply {
    comment: Comment,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkReply {
    link: LinkRef,
    changed: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PrReply {
    pr: Pr,
    created: bool,
}

fn item_reply(v: &Value) -> (IssueView, ItemReply) {
    split(v, &["item", "changed"])
}

fn last_event(repo: &Repo) -> Value {
    repo.events().pop().expect("an event")
}

/// The one change an event records for `field`: (before, after).
fn change(ev: &Value, field: &str) -> (Value, Value) {
    let changes = ev["changes"].as_array().expect("changes");
    let c = changes
        .iter()
        .find(|c| c["field"] == field)
        .unwrap_or_else(|| panic!("no change of `{field}` in {ev:#}"));
    (c["before"].clone(), c["after"].clone())
}

fn texts(items: &Value) -> Vec<String> {
    items
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {items}"))
        .iter()
        .map(|i| i["text"].as_str().expect("text").to_string())
        .collect()
}

#[test]
fn checklist_add_check_uncheck_record_who_and_when() {
    let repo = Repo::new();
    let id = repo.create("Login", &["--desc=- [ ] endpoint works"]);

    let (view, r) = item_reply(&repo.ok(&["checklist", "add", &id, "--item", "  docs written "]));
    assert!(r.changed);
    assert_eq!(r.item.text, "docs written", "text is trimmed");
    assert_eq!(r.item.id.len(), 6);
    assert!(!r.item.checked && r.item.checked_by.is_none() && r.item.checked_at.is_none());
    assert_eq!(view.version, 2);
    let names: Vec<&str> = view
        .checklist
        .as_ref()
        .expect("checklist")
        .iter()
        .map(|i| i.text.as_str())
        .collect();
    assert_eq!(names, ["endpoint works", "docs written"]);
    let ev = last_event(&repo);
    assert_eq!(ev["type"], "checklist.added");
    let (before, after) = change(&ev, "checklist");
    assert_eq!(texts(&before), ["endpoint works"]);
    assert_eq!(texts(&after), ["endpoint works", "docs written"]);

    let (view, r) = item_reply(&repo.ok(&[
        "checklist",
        "check",
        &id,
        "--item",
        "endpoint works",
        "--actor",
        "agent:a1",
    ]));
    assert!(r.changed && r.item.checked);
    assert_eq!(r.item.checked_by.as_deref(), Some("agent:a1"));
    assert!(is_timestamp(
        r.item.checked_at.as_deref().expect("checked_at")
    ));
    assert_eq!(view.version, 3);
    let ev = last_event(&repo);
    assert_eq!(ev["type"], "checklist.checked");
    assert_eq!(ev["actor"], "agent:a1");
    let (before, after) = change(&ev, "checklist");
    assert_eq!(before[0]["checked"], false);
    assert_eq!(after[0]["checked"], true);
    assert_eq!(after[0]["checked_by"], "agent:a1");

    // Checking a checked item changes nothing: no write, no event, same checker.
    let events = repo.event_count();
    let (view, r) = item_reply(&repo.ok(&["checklist", "check", &id, "--item", "endpoint works"]));
    assert!(!r.changed);
    assert_eq!(r.item.checked_by.as_deref(), Some("agent:a1"));
    assert_eq!(view.version, 3);
    assert_eq!(repo.event_count(), events);

    let (view, r) =
        item_reply(&repo.ok(&["checklist", "uncheck", &id, "--item", "endpoint works"]));
    assert!(r.changed && !r.item.checked);
    assert!(r.item.checked_by.is_none() && r.item.checked_at.is_none());
    assert_eq!(view.version, 4);
    assert_eq!(last_event(&repo)["type"], "checklist.unchecked");
    let stored = repo.read_issue(&id);
    assert_eq!(stored["checklist"][0]["checked"], false);
    assert!(stored["checklist"][0].get("checked_by").is_none());
}

#[test]
fn checklist_human_line_shows_progress() {
    let repo = Repo::new();
    let id = repo.create("Login", &[]);
    for item in ["endpoint works", "docs", "tests"] {
        assert_ok(&repo.jit(&["checklist", "add", &id, "--item", item]));
    }
    let out = repo.jit(&["checklist", "check", &id, "--item", "endpoint works"]);
    assert_ok(&out);
    assert_eq!(
        stdout(&out),
        format!("checked \"endpoint works\" on {id} (1/3 done)\n")
    );
    let out = repo.jit(&["checklist", "check", &id, "--item", "endpoint works"]);
    assert_eq!(
        stdout(&out),
        format!("already checked \"endpoint works\" on {id} (1/3 done)\n")
    );
    // User text is escaped on the terminal.
    let out = repo.jit(&["checklist", "add", &id, "--item", "rtl \u{202E}evil"]);
    assert_ok(&out);
    assert!(stdout(&out).contains("\\u{202e}"), "{}", stdout(&out));
}

#[test]
fn checklist_unknown_item_lists_the_items() {
    let repo = Repo::new();
    let id = repo.create("Login", &[]);
    let d = repo.err(
        &["checklist", "check", &id, "--item", "anything"],
        "no_such_item",
        2,
    );
    assert_eq!(d["items"], serde_json::json!([]));
    repo.ok(&["checklist", "add", &id, "--item", "endpoint works"]);
    repo.ok(&["checklist", "add", &id, "--item", "docs"]);
    let events = repo.event_count();
    for verb in ["check", "uncheck"] {
        let d = repo.err(
            &["checklist", verb, &id, "--item", "endpoint"],
            "no_such_item",
            2,
        );
        assert_eq!(texts(&d["items"]), ["endpoint works", "docs"]);
        assert_eq!(d["item"], "endpoint");
    }
    let out = repo.jit(&["checklist", "check", &id, "--item", "Docs"]);
    assert_eq!(code(&out), 2);
    assert!(stdout(&out).is_empty());
    let msg = stderr(&out);
    assert!(
        msg.contains("\"endpoint works\"") && msg.contains("\"docs\""),
        "the message lists the items: {msg}"
    );
    assert_eq!(repo.event_count(), events, "a refusal writes no event");
}

#[test]
fn checklist_refuses_duplicates_and_bad_text() {
    let repo = Repo::new();
    let id = repo.create("Login", &[]);
    repo.ok(&["checklist", "add", &id, "--item", "docs"]);
    let events = repo.event_count();
    let d = repo.err(
        &["checklist", "add", &id, "--item", " docs "],
        "duplicate_item",
        2,
    );
    assert_eq!(d["item"]["text"], "docs");
    for bad in ["", "   ", "two\nlines", "bell\u{7}"] {
        repo.err(
            &["checklist", "add", &id, "--item", bad],
            "invalid_value",
            2,
        );
    }
    repo.err(
        &["checklist", "add", MISSING_ID, "--item", "x"],
        "not_found",
        3,
    );
    repo.err(
        &["checklist", "add", "../etc/passwd", "--item", "x"],
        "invalid_id",
        2,
    );
    assert_eq!(repo.event_count(), events);
    assert_eq!(
        repo.show(&id)["checklist"].as_array().map(Vec::len),
        Some(1)
    );
}

#[test]
fn comment_appends_with_author_time_and_event() {
    let repo = Repo::new();
    let id = repo.create("Login", &[]);
    let v = repo.ok(&[
        "issue",
        "comment",
        &id,
        "--body",
        "Looks good.\n\n- one\n- two\n",
    ]);
    let (view, r): (IssueView, CommentReply) = split(&v, &["comment"]);
    assert_eq!(r.comment.id.len(), 8);
    assert_eq!(r.comment.author, ACTOR);
    assert!(is_timestamp(&r.comment.at));
    assert_eq!(r.comment.body, "Looks good.\n\n- one\n- two");
    assert_eq!(view.version, 2);
    assert_eq!(view.comments.as_ref().map(Vec::len), Some(1));

    repo.ok(&[
        "issue",
        "comment",
        &id,
        "--body",
        "second",
        "--actor",
        "agent:bot",
    ]);
    let stored = repo.read_issue(&id);
    let authors: Vec<&str> = stored["comments"]
        .as_array()
        .expect("comments")
        .iter()
        .map(|c| c["author"].as_str().expect("author"))
        .collect();
    assert_eq!(authors, [ACTOR, "agent:bot"], "appended in order");
    let ev = last_event(&repo);
    assert_eq!(ev["type"], "comment.added");
    assert_eq!(ev["issue"], repo.full_id(&id));
    let (before, after) = change(&ev, "comments");
    assert_eq!(before.as_array().map(Vec::len), Some(1));
    assert_eq!(after.as_array().map(Vec::len), Some(2));

    let out = repo.jit(&["issue", "comment", &id, "--body", "third"]);
    assert_ok(&out);
    assert!(stdout(&out).starts_with(&format!("commented on {id}")));
}

#[test]
fn comment_refuses_blank_and_control_text() {
    let repo = Repo::new();
    let id = repo.create("Login", &[]);
    let events = repo.event_count();
    for bad in ["", "  \n\t ", "esc \u{1b}[31m"] {
        let d = repo.err(
            &["issue", "comment", &id, "--body", bad],
            "invalid_value",
            2,
        );
        assert_eq!(d["field"], "body");
    }
    repo.err(
        &["issue", "comment", MISSING_ID, "--body", "x"],
        "not_found",
        3,
    );
    assert_eq!(repo.event_count(), events);
    assert!(repo.read_issue(&id).get("comments").is_none());
}

#[test]
fn links_are_stored_on_one_side_and_shown_from_both() {
    let repo = Repo::new();
    let a = repo.create("A", &[]);
    let b = repo.create("B", &[]);
    let (a_full, b_full) = (repo.full_id(&a), repo.full_id(&b));

    let v = repo.ok(&["link", "add", &a, "--relates", &b]);
    let (view, r): (IssueView, LinkReply) = split(&v, &["link", "changed"]);
    assert!(r.changed);
    assert_eq!(
        r.link,
        LinkRef {
            kind: "relates".into(),
            id: b_full.clone(),
            short_id: b.clone()
        }
    );
    assert_eq!(view.version, 2);
    let ev = last_event(&repo);
    assert_eq!(ev["type"], "link.added");
    let (before, after) = change(&ev, "links");
    assert_eq!(before, Value::Null);
    assert_eq!(
        after,
        serde_json::json!([{ "kind": "relates", "target": b_full }])
    );

    // Stored on A only: B's file is untouched.
    let stored: Vec<StoredLink> =
        serde_json::from_value(repo.read_issue(&a)["links"].clone()).expect("links");
    assert_eq!(
        stored,
        [StoredLink {
            kind: "relates".into(),
            target: b_full.clone()
        }]
    );
    assert!(repo.read_issue(&b).get("links").is_none());
    assert_eq!(repo.read_issue(&b)["version"], 1);

    // `issue show` stays a one-file read; `--links` scans and shows the incoming link.
    assert!(repo.show(&b).get("linked_from").is_none());
    let shown = repo.ok(&["issue", "show", &b, "--links"]);
    IssueView::from_value(&shown);
    let from: Vec<LinkRef> =
        serde_json::from_value(shown["linked_from"].clone()).expect("linked_from");
    assert_eq!(
        from,
        [LinkRef {
            kind: "relates".into(),
            id: a_full.clone(),
            short_id: a.clone()
        }]
    );
    // With --links and nothing incoming, the field is present and empty.
    assert_eq!(
        repo.ok(&["issue", "show", &a, "--links"])["linked_from"],
        serde_json::json!([])
    );
    let out = repo.jit(&["issue", "show", &b, "--links"]);
    assert!(
        stdout(&out).contains(&format!("linked from:\n  {a} relates to this\n")),
        "{}",
        stdout(&out)
    );
    let out = repo.jit(&["issue", "show", &a]);
    assert!(
        stdout(&out).contains(&format!("links:\n  relates    {b}\n")),
        "{}",
        stdout(&out)
    );

    // Whole issues in lists carry `linked_from` where there is one (from the summary index).
    let page = repo.ok(&["issue", "list", "--full"]);
    for i in page["issues"].as_array().expect("issues") {
        IssueView::from_value(i);
        if i["short_id"] == b.as_str() {
            assert_eq!(i["linked_from"][0]["id"], a_full.as_str());
        } else {
            assert!(i.get("linked_from").is_none(), "{i:#}");
        }
    }

    // Adding it again changes nothing; a second kind is a second link.
    let events = repo.event_count();
    let (_, r): (IssueView, LinkReply) = split(
        &repo.ok(&["link", "add", &a, "--relates", &b]),
        &["link", "changed"],
    );
    assert!(!r.changed);
    assert_eq!(repo.event_count(), events);
    repo.ok(&["link", "add", &a, "--duplicates", &b]);
    assert_eq!(
        repo.read_issue(&a)["links"].as_array().map(Vec::len),
        Some(2)
    );

    let out = repo.jit(&["link", "add", &b, "--duplicates", &a]);
    assert_eq!(stdout(&out), format!("{b} now duplicates {a}\n"));
}

#[test]
fn link_rm_removes_and_refuses_what_is_not_there() {
    let repo = Repo::new();
    let a = repo.create("A", &[]);
    let b = repo.create("B", &[]);
    repo.ok(&["link", "add", &a, "--duplicates", &b]);
    repo.err(&["link", "rm", &a, "--relates", &b], "not_linked", 2);
    let v = repo.ok(&["link", "rm", &a, "--duplicates", &b]);
    let (view, r): (IssueView, LinkReply) = split(&v, &["link", "changed"]);
    assert!(r.changed && view.links.is_none());
    assert_eq!(r.link.kind, "duplicates");
    let ev = last_event(&repo);
    assert_eq!(ev["type"], "link.removed");
    let (before, after) = change(&ev, "links");
    assert_eq!(before.as_array().map(Vec::len), Some(1));
    assert_eq!(after, Value::Null);
    repo.err(&["link", "rm", &a, "--duplicates", &b], "not_linked", 2);

    // A link to an issue removed behind jit's back (a hand edit, a merge) can still be removed
    // by its id. (`issue delete` drops incoming links itself.)
    repo.ok(&["link", "add", &a, "--relates", &b]);
    let b_full = repo.full_id(&b);
    std::fs::remove_file(repo.issue_path(&b_full)).unwrap();
    repo.ok(&["link", "rm", &a, "--relates", &b_full]);
    assert!(repo.read_issue(&a).get("links").is_none());
}

#[test]
fn link_refuses_self_missing_and_bad_flags() {
    let repo = Repo::new();
    let a = repo.create("A", &[]);
    let b = repo.create("B", &[]);
    let events = repo.event_count();
    repo.err(&["link", "add", &a, "--relates", &a], "self_link", 2);
    repo.err(
        &["link", "add", &a, "--duplicates", &repo.full_id(&a)],
        "self_link",
        2,
    );
    let d = repo.err(
        &["link", "add", &a, "--relates", MISSING_ID],
        "not_found",
        3,
    );
    assert_eq!(d["id"], MISSING_ID);
    repo.err(&["link", "add", &a, "--relates", "../x"], "invalid_id", 2);
    // Exactly one of --relates and --duplicates.
    repo.err(&["link", "add", &a], "usage", 2);
    repo.err(
        &["link", "add", &a, "--relates", &b, "--duplicates", &b],
        "usage",
        2,
    );
    assert_eq!(repo.event_count(), events);
    assert!(repo.read_issue(&a).get("links").is_none());
}

#[test]
fn pr_link_twice_updates_the_same_entry() {
    let repo = Repo::new();
    let id = repo.create("Login", &[]);
    let url = "https://github.com/acme/app/pull/42";
    let v = repo.ok(&[
        "pr",
        "link",
        &id,
        "--url",
        url,
        "--number",
        "42",
        "--title",
        "Add login",
        "--status",
        "open",
        "--branch",
        "feat/login",
        "--commit",
        "ABCDEF1234",
        "--ci",
        "pending",
    ]);
    let (view, r): (IssueView, PrReply) = split(&v, &["pr", "created"]);
    assert!(r.created);
    assert_eq!(r.pr.url, url);
    assert_eq!(r.pr.number, Some(42));
    assert_eq!(r.pr.title.as_deref(), Some("Add login"));
    assert_eq!(r.pr.status.as_deref(), Some("open"));
    assert_eq!(r.pr.branch.as_deref(), Some("feat/login"));
    assert_eq!(
        r.pr.commit.as_deref(),
        Some("abcdef1234"),
        "stored lower-case"
    );
    assert_eq!(r.pr.ci.as_deref(), Some("pending"));
    assert!(is_timestamp(&r.pr.updated_at));
    assert_eq!(view.version, 2);
    assert_eq!(last_event(&repo)["type"], "pr.linked");

    let v = repo.ok(&[
        "pr", "link", &id, "--url", url, "--status", "merged", "--ci", "success",
    ]);
    let (view, r): (IssueView, PrReply) = split(&v, &["pr", "created"]);
    assert!(!r.created);
    assert_eq!(view.version, 3);
    let prs: Vec<Pr> = serde_json::from_value(repo.read_issue(&id)["prs"].clone()).expect("prs");
    assert_eq!(prs.len(), 1, "one entry per URL");
    let pr = &prs[0];
    assert_eq!(pr.status.as_deref(), Some("merged"));
    assert_eq!(pr.ci.as_deref(), Some("success"));
    assert_eq!(pr.number, Some(42), "fields not given are kept");
    assert_eq!(pr.title.as_deref(), Some("Add login"));
    assert_eq!(pr.branch.as_deref(), Some("feat/login"));
    let ev = last_event(&repo);
    assert_eq!(ev["type"], "pr.linked");
    let (before, after) = change(&ev, "prs");
    assert_eq!(before[0]["status"], "open");
    assert_eq!(after[0]["status"], "merged");

    // Another URL is another entry.
    let out = repo.jit(&["pr", "link", &id, "--url", "http://git.example/pr/7"]);
    assert_eq!(
        stdout(&out),
        format!("linked pr http://git.example/pr/7 on {id}\n")
    );
    assert_eq!(
        repo.read_issue(&id)["prs"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn pr_link_refuses_bad_input() {
    let repo = Repo::new();
    let id = repo.create("Login", &[]);
    let events = repo.event_count();
    for bad in [
        "github.com/acme/app/pull/1",
        "ftp://example.com/x",
        "https://",
        "https://example.com/a b",
        "https://example.com/\u{1b}[2J",
        "javascript:alert(1)",
    ] {
        let d = repo.err(&["pr", "link", &id, "--url", bad], "invalid_value", 2);
        assert_eq!(d["field"], "url", "{bad}");
    }
    let url = "https://example.com/pr/1";
    for bad in ["abc12", "xyz1234", &"a".repeat(65)] {
        let d = repo.err(
            &["pr", "link", &id, "--url", url, "--commit", bad],
            "invalid_value",
            2,
        );
        assert_eq!(d["field"], "commit", "{bad}");
    }
    repo.err(
        &["pr", "link", &id, "--url", url, "--status", "approved"],
        "usage",
        2,
    );
    repo.err(
        &["pr", "link", &id, "--url", url, "--ci", "green"],
        "usage",
        2,
    );
    repo.err(
        &["pr", "link", &id, "--url", url, "--number", "-1"],
        "usage",
        2,
    );
    repo.err(
        &["pr", "link", &id, "--url", url, "--branch", "a b"],
        "invalid_value",
        2,
    );
    repo.err(&["pr", "link", MISSING_ID, "--url", url], "not_found", 3);
    assert_eq!(repo.event_count(), events);
    assert!(repo.read_issue(&id).get("prs").is_none());
}

#[test]
fn every_detail_command_honours_if_version_and_writes_one_event() {
    let repo = Repo::new();
    let id = repo.create("Login", &[]);
    let other = repo.create("Other", &[]);
    repo.ok(&["checklist", "add", &id, "--item", "seed"]);
    repo.ok(&["link", "add", &id, "--relates", &other]);
    let url = "https://example.com/pr/1";
    let commands: Vec<(Vec<&str>, &str, &str)> = vec![
        (
            vec!["checklist", "add", &id, "--item", "new"],
            "checklist.added",
            "checklist",
        ),
        (
            vec!["checklist", "check", &id, "--item", "seed"],
            "checklist.checked",
            "checklist",
        ),
        (
            vec!["checklist", "uncheck", &id, "--item", "seed"],
            "checklist.unchecked",
            "checklist",
        ),
        (
            vec!["issue", "comment", &id, "--body", "hi"],
            "comment.added",
            "comments",
        ),
        (
            vec!["link", "add", &id, "--duplicates", &other],
            "link.added",
            "links",
        ),
        (
            vec!["link", "rm", &id, "--relates", &other],
            "link.removed",
            "links",
        ),
        (vec!["pr", "link", &id, "--url", url], "pr.linked", "prs"),
    ];
    for (args, kind, field) in commands {
        let version = repo.read_issue(&id)["version"].as_u64().expect("version");
        let events = repo.event_count();

        let mut stale = args.clone();
        let old = (version - 1).to_string();
        stale.extend(["--if-version", &old]);
        let d = repo.err(&stale, "version_conflict", 4);
        assert_eq!(d["actual"], version, "{args:?}");
        assert_eq!(repo.event_count(), events, "{args:?}: refused, no event");
        assert_eq!(repo.read_issue(&id)["version"], version);

        let mut fresh = args.clone();
        let cur = version.to_string();
        fresh.extend(["--if-version", &cur]);
        let v = repo.ok(&fresh);
        assert_eq!(v["version"], version + 1, "{args:?} bumps the version");
        assert_eq!(repo.event_count(), events + 1, "{args:?}: one event");
        let ev = last_event(&repo);
        assert_eq!(ev["type"], kind);
        assert_eq!(ev["issue"], repo.full_id(&id));
        assert_eq!(ev["actor"], ACTOR);
        let (before, after) = change(&ev, field);
        assert_ne!(before, after, "{args:?}");
    }
}

#[test]
fn delete_drops_incoming_links_and_validate_repairs_dangling_ones() {
    let repo = Repo::new();
    let a = repo.create("holder", &[]);
    let b = repo.create("target", &[]);
    let c = repo.create("other target", &[]);
    repo.ok(&["link", "add", &a, "--relates", &b]);
    repo.ok(&["link", "add", &a, "--duplicates", &c]);
    // A plain link does not need --force: it goes with the deleted issue.
    let d = repo.ok(&["issue", "delete", &b]);
    assert_eq!(d["unlinked"][0], repo.full_id(&a));
    let links = repo.show(&a)["links"].clone();
    assert_eq!(links.as_array().map(Vec::len), Some(1), "{links}");
    assert_eq!(last_event(&repo)["type"], "issue.deleted");
    // A link broken by hand is reported and repaired.
    let c_full = repo.full_id(&c);
    std::fs::remove_file(repo.issue_path(&c_full)).unwrap();
    let (r, code_) = repo.json(&["validate"]);
    assert_eq!(code_, 0, "a dangling link is a warning: {r:#}");
    assert!(
        r["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["code"] == "dangling_link"),
        "{r:#}"
    );
    repo.ok(&["validate", "--fix"]);
    assert!(repo.show(&a).get("links").is_none());
    let (r, _) = repo.json(&["validate"]);
    assert_eq!(r["problems"].as_array().map(Vec::len), Some(0), "{r:#}");
}

#[test]
fn context_lists_links_with_their_targets() {
    let repo = Repo::new();
    let a = repo.create("Login fails", &[]);
    let b = repo.create("Session bug", &[]);
    repo.ok(&["link", "add", &a, "--duplicates", &b]);
    let md = repo.ok(&["issue", "context", &a])["markdown"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        md.contains("## Links") && md.contains(&format!("- duplicates {b} Session bug (ready)")),
        "{md}"
    );
}

/// Pages fetched while another process keeps creating issues: every issue that existed when
/// paging began is seen exactly once, and no issue is ever seen twice.
#[test]
fn paging_sees_every_issue_once_while_issues_are_created() {
    let repo = Repo::new();
    let originals: Vec<String> = (0..12)
        .map(|n| repo.create(&format!("old {n}"), &[]))
        .collect();
    let root = repo.path().to_path_buf();
    let writer = std::thread::spawn(move || {
        for n in 0..15 {
            let out = crate::common::jit_cmd(&root)
                .args(["issue", "create", "--title", &format!("new {n}")])
                .output()
                .unwrap();
            assert!(out.status.success());
        }
    });
    let mut seen: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..100 {
        let mut args = vec!["issue", "list", "--limit", "3"];
        if let Some(c) = &cursor {
            args.extend(["--cursor", c]);
        }
        let v = repo.ok(&args);
        seen.extend(
            v["issues"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["short_id"].as_str().unwrap().to_string()),
        );
        match v["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    writer.join().unwrap();
    let unique: std::collections::HashSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "an issue was seen twice: {seen:?}"
    );
    for o in &originals {
        assert!(unique.contains(o), "{o} was never seen");
    }
}
