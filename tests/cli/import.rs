//! `jit import github` and `jit import csv`: field mapping, idempotent re-import of GitHub
//! issues, a CSV parser that handles quotes, and all-or-nothing validation that names each bad
//! row.

use crate::common::{Repo, strings};
use serde_json::{Value, json};

fn gh_fixture() -> Value {
    json!([
        {
            "number": 12,
            "title": "Login fails on Safari",
            "body": "Steps:\n- [ ] open the page\n- [ ] log in",
            "state": "OPEN",
            "labels": [{"name": "bug"}, {"name": "frontend"}],
            "assignees": [{"login": "alice"}, {"login": "bob"}],
            "milestone": {"title": "v1.0"},
            "url": "https://github.com/o/r/issues/12"
        },
        {
            "number": 13,
            "title": "Old crash",
            "body": "",
            "state": "CLOSED",
            "labels": [],
            "assignees": [],
            "milestone": null
        },
        {
            "number": 14,
            "title": "Docs",
            "body": null,
            "state": "OPEN",
            "labels": [{"name": "docs"}],
            "assignees": [],
            "milestone": null
        }
    ])
}

fn write(repo: &Repo, name: &str, text: &str) -> String {
    let p = repo.path().join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

/// The issue carrying `context.github_number == n`.
fn by_number(repo: &Repo, n: u64) -> Value {
    let list = repo.ok(&["issue", "list", "--full"]);
    let hits: Vec<&Value> = list["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["context"]["github_number"].as_str() == Some(n.to_string().as_str()))
        .collect();
    assert_eq!(hits.len(), 1, "one issue for #{n}: {list:#}");
    hits[0].clone()
}

#[test]
fn github_issues_are_imported_with_their_fields() {
    let repo = Repo::new();
    let file = write(&repo, "gh.json", &gh_fixture().to_string());
    let r = repo.ok(&["import", "github", &file]);
    assert_eq!(r["created"].as_array().unwrap().len(), 3, "{r:#}");
    assert_eq!(
        (r["updated"].clone(), r["unchanged"].clone()),
        (json!([]), json!([]))
    );

    let a = by_number(&repo, 12);
    assert_eq!(a["title"], "Login fails on Safari");
    assert_eq!(
        a["description"],
        "Steps:\n- [ ] open the page\n- [ ] log in"
    );
    assert_eq!(a["state"], "ready");
    assert_eq!(strings(&a["labels"]), ["bug", "frontend"]);
    assert_eq!(a["assignee"], "human:alice");
    assert_eq!(a["milestone"], "v1.0");
    assert_eq!(a["context"]["github_assignees"], "bob");
    assert_eq!(
        a["context"]["github_url"],
        "https://github.com/o/r/issues/12"
    );
    assert_eq!(a["checklist"].as_array().unwrap().len(), 2);
    let b = by_number(&repo, 13);
    assert_eq!(b["state"], "done");
    assert!(b["assignee"].is_null());
    let c = by_number(&repo, 14);
    assert_eq!(
        (c["description"].as_str(), c["state"].as_str()),
        (Some(""), Some("ready"))
    );

    let created: Vec<Value> = repo
        .events()
        .into_iter()
        .filter(|e| e["type"] == "issue.created")
        .collect();
    assert_eq!(created.len(), 3);
    assert!(created.iter().all(|e| e["data"]["source"] == "github"));
    let v = repo.ok(&["validate"]);
    assert_eq!(v["ok"], true, "{v:#}");
}

#[test]
fn importing_github_issues_again_updates_instead_of_duplicating() {
    let repo = Repo::new();
    let file = write(&repo, "gh.json", &gh_fixture().to_string());
    let first = repo.ok(&["import", "github", &file]);
    let events = repo.event_count();
    let again = repo.ok(&["import", "github", &file]);
    assert_eq!(again["created"], json!([]));
    assert_eq!(again["updated"], json!([]));
    let mut unchanged = strings(&again["unchanged"]);
    let mut created = strings(&first["created"]);
    unchanged.sort();
    created.sort();
    assert_eq!(unchanged, created);
    assert_eq!(
        repo.event_count(),
        events,
        "an unchanged import writes nothing"
    );

    // A changed title and a reopened issue update the existing issues.
    let mut changed = gh_fixture();
    changed[0]["title"] = json!("Login fails on Safari 17");
    changed[1]["state"] = json!("OPEN");
    let file = write(&repo, "gh2.json", &changed.to_string());
    let r = repo.ok(&["import", "github", &file]);
    assert_eq!(r["created"], json!([]));
    assert_eq!(r["updated"].as_array().unwrap().len(), 2, "{r:#}");
    assert_eq!(r["unchanged"].as_array().unwrap().len(), 1);
    assert_eq!(repo.ok(&["issue", "list"])["total"], 3);
    assert_eq!(by_number(&repo, 12)["title"], "Login fails on Safari 17");
    assert_eq!(by_number(&repo, 13)["state"], "ready");

    // One object, as `gh issue view --json` prints it.
    let one = write(&repo, "one.json", &gh_fixture()[2].to_string());
    let r = repo.ok(&["import", "github", &one]);
    assert_eq!(r["unchanged"].as_array().unwrap().len(), 1, "{r:#}");
}

#[test]
fn a_bad_github_row_imports_nothing_and_is_named_by_index() {
    let repo = Repo::new();
    let mut rows = gh_fixture();
    rows[1]["title"] = json!("   ");
    rows[2]["state"] = json!("MERGED");
    let file = write(&repo, "gh.json", &rows.to_string());
    let d = repo.err(&["import", "github", &file], "invalid_import", 2);
    let bad: Vec<(u64, String)> = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(bad, [(1, "title".to_string()), (2, "state".to_string())]);
    assert_eq!(repo.ok(&["issue", "list"])["total"], 0);
    let not_json = write(&repo, "x.json", "{not json");
    repo.err(&["import", "github", &not_json], "invalid_import", 2);
}

#[test]
fn csv_with_quoted_commas_and_line_breaks_is_imported() {
    let repo = Repo::new();
    let text = "Title,Priority,Labels,Type,Milestone,State,Description\n\
                \"Parse \"\"quoted\"\" titles, too\",high,\"a;b,c\",bug,\"Phase 1\",,\"line one\nline two, with comma\"\n\
                Plain,,,,,done,\n";
    let file = write(&repo, "in.csv", text);
    let r = repo.ok(&["import", "csv", &file]);
    let created = strings(&r["created"]);
    assert_eq!(created.len(), 2, "{r:#}");
    let a = repo.show(&created[0]);
    assert_eq!(a["title"], "Parse \"quoted\" titles, too");
    assert_eq!(a["priority"], "high");
    assert_eq!(strings(&a["labels"]), ["a", "b", "c"]);
    assert_eq!(a["type"], "bug");
    assert_eq!(a["milestone"], "Phase 1");
    assert_eq!(a["state"], "ready");
    assert_eq!(a["description"], "line one\nline two, with comma");
    let b = repo.show(&created[1]);
    assert_eq!(
        (b["title"].as_str(), b["state"].as_str()),
        (Some("Plain"), Some("done"))
    );
    assert_eq!(b["priority"], "normal");
    let v = repo.ok(&["validate"]);
    assert_eq!(v["ok"], true, "{v:#}");
}

#[test]
fn bad_csv_rows_are_named_by_line_and_nothing_is_imported() {
    let repo = Repo::new();
    let text = "title,priority\nfine,low\nbad priority,urgent-ish\n ,high\nalso fine,\n";
    let file = write(&repo, "bad.csv", text);
    let d = repo.err(&["import", "csv", &file], "invalid_import", 2);
    let lines: Vec<(u64, String)> = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [(3, "priority".to_string()), (4, "title".to_string())]
    );
    assert_eq!(repo.ok(&["issue", "list"])["total"], 0);
    let out = repo.jit(&["import", "csv", &file]);
    let msg = crate::common::stderr(&out);
    assert!(msg.contains("line 3") && msg.contains("line 4"), "{msg}");

    let unknown = write(&repo, "u.csv", "title,owner,size\nx,y,z\n");
    let d = repo.err(&["import", "csv", &unknown], "invalid_import", 2);
    assert_eq!(d["unknown_columns"], json!(["owner", "size"]));
    let no_title = write(&repo, "n.csv", "priority\nhigh\n");
    repo.err(&["import", "csv", &no_title], "invalid_import", 2);
    let open_quote = write(&repo, "q.csv", "title\n\"never closed\n");
    let d = repo.err(&["import", "csv", &open_quote], "invalid_import", 2);
    assert_eq!(d["rows"][0]["line"], 2);
    assert_eq!(repo.ok(&["issue", "list"])["total"], 0);
}
