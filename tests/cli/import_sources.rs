//! Moving in from beads, just-in-time, Backlog.md, Jira, Linear and GitHub's REST API: the
//! fixtures under `tests/fixtures/import/` are in each tool's own format (messy cases
//! included); imported issues are checked field by field, re-imports are idempotent, the ready
//! set equals the source's own notion of ready work, and bad or hostile input writes nothing.

use crate::common::{Repo, strings};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/import")
        .join(name)
}

/// Copies a fixture next to the repository (never imported from inside this source tree).
fn copy(repo: &Repo, name: &str) -> PathBuf {
    fn walk(src: &Path, dst: &Path) {
        if src.is_dir() {
            std::fs::create_dir_all(dst).unwrap();
            for e in std::fs::read_dir(src).unwrap() {
                let e = e.unwrap();
                walk(&e.path(), &dst.join(e.file_name()));
            }
        } else {
            std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
            std::fs::copy(src, dst).unwrap();
        }
    }
    let dst = repo.path().join("in").join(name);
    walk(&fixture(name), &dst);
    dst
}

fn arg(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// Every issue, by `context.source_id`.
fn by_source(repo: &Repo) -> HashMap<String, Value> {
    let list = repo.ok(&["issue", "list", "--full"]);
    list["issues"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| {
            i["context"]["source_id"]
                .as_str()
                .map(|s| (s.to_string(), i.clone()))
        })
        .collect()
}

/// The source ids of `query ready`.
fn ready(repo: &Repo, all: &HashMap<String, Value>) -> BTreeSet<String> {
    let ids: BTreeSet<String> = repo.ok(&["query", "ready"])["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    all.iter()
        .filter(|(_, i)| ids.contains(i["id"].as_str().unwrap()))
        .map(|(s, _)| s.clone())
        .collect()
}

fn id(all: &HashMap<String, Value>, sid: &str) -> String {
    all.get(sid)
        .unwrap_or_else(|| panic!("no issue from {sid}"))["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn held(i: &Value) -> bool {
    strings(&i["gates_required"]).contains(&"held".to_string())
        && i["gates_status"]["held"]["status"] == "pending"
}

fn links(i: &Value) -> Vec<(String, String)> {
    i["links"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|l| {
                    (
                        l["kind"].as_str().unwrap().to_string(),
                        l["target"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn outcomes(report: &Value) -> Vec<(String, String, String)> {
    report["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["from"].as_str().unwrap().to_string(),
                r["to"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn beads_issues_keep_their_fields_structure_and_history() {
    let repo = Repo::new();
    let src = copy(&repo, "beads");
    let r = repo.ok(&["import", "beads", &arg(&src)]);
    assert_eq!(r["created"].as_array().unwrap().len(), 23, "{r:#}");
    let all = by_source(&repo);
    let g = |s: &str| all.get(s).unwrap_or_else(|| panic!("{s}"));

    let a1 = g("bd-a1");
    assert_eq!(a1["title"], "Set up storage");
    assert_eq!(a1["priority"], "high");
    assert_eq!(strings(&a1["labels"]), ["storage"]);
    assert_eq!(a1["state"], "ready");
    assert_eq!(a1["created_at"], "2025-10-01T09:00:00.000Z");
    assert_eq!(a1["context"]["source"], "beads");
    assert_eq!(a1["context"]["source_path"], ".beads/issues.jsonl");
    assert_eq!(g("bd-a2")["state"], "backlog");
    assert_eq!(strings(&g("bd-a2")["dependencies"]), [id(&all, "bd-a1")]);
    assert_eq!(g("bd-a3")["state"], "done");
    assert_eq!(g("bd-a3")["type"], "bug");
    assert_eq!(g("bd-a3")["context"]["beads_close_reason"], "fixed in v1");
    assert_eq!(g("bd-a4")["state"], "ready");
    let e1 = g("bd-e1");
    assert_eq!(
        (e1["type"].as_str(), e1["priority"].as_str()),
        (Some("epic"), Some("critical"))
    );
    // Sub-tasks of a blocked parent wait for what the parent waits for (inherited).
    for child in ["bd-e1.1", "bd-e1.2"] {
        let c = g(child);
        assert_eq!(c["state"], "backlog", "{child}");
        assert!(
            strings(&c["dependencies"]).contains(&id(&all, "bd-a1")),
            "{child}"
        );
    }
    assert_eq!(g("bd-e1.1")["parent"], id(&all, "bd-e1"));
    assert_eq!(g("bd-e1.2")["parent"], id(&all, "bd-e1.1"));
    // Open issues beads keeps out of `bd ready` are held.
    for s in ["bd-b1", "bd-d1", "bd-p1", "bd-c1", "bd-m1", "bd-f1"] {
        assert!(held(g(s)), "{s}: {:#}", g(s));
        assert!(g(s)["context"]["beads_held"].is_string(), "{s}");
    }
    assert_eq!(g("bd-d1")["priority"], "low");
    // A pinned bead never blocks: a link.
    assert_eq!(links(g("bd-a5")), [("relates".into(), id(&all, "bd-p1"))]);
    assert!(strings(&g("bd-a5")["dependencies"]).is_empty());
    assert_eq!(g("bd-h1")["state"], "in_progress");
    assert_eq!(g("bd-h1")["assignee"], "human:polecat-1");
    assert_eq!(g("bd-in1")["state"], "in_progress");
    assert_eq!(g("bd-s1")["type"], "spike");
    let cfg: Value =
        serde_json::from_slice(&std::fs::read(repo.jit_dir().join("config.json")).unwrap())
            .unwrap();
    for t in ["spike", "molecule"] {
        assert!(strings(&cfg["types"]).contains(&t.to_string()), "{cfg:#}");
    }
    assert_eq!(strings(&r["types_added"]), ["molecule", "spike"]);
    // Tombstones and wisps are not live work; references to them and to missing issues are
    // reported.
    assert!(!all.contains_key("bd-t1") && !all.contains_key("bd-w1"));
    let skipped: Vec<&str> = r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["source_id"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["bd-t1", "bd-w1"]);
    let refs = outcomes(&r);
    for want in [
        ("bd-a6", "bd-t1", "deleted"),
        ("bd-x1", "bd-gone", "missing"),
        ("bd-a5", "bd-p1", "as_link"),
        ("bd-e1.1", "bd-a1", "inherited"),
    ] {
        assert!(
            refs.contains(&(want.0.into(), want.1.into(), want.2.into())),
            "{want:?} in {refs:?}"
        );
    }
    assert!(strings(&g("bd-a6")["dependencies"]).is_empty());
    assert!(strings(&g("bd-x1")["dependencies"]).is_empty());
    // The duplicated id keeps its newest line.
    assert_eq!(g("bd-dup1")["title"], "Duplicate id, newer line");
    assert_eq!(r["duplicates"][0]["source_id"], "bd-dup1");
    assert_eq!(r["duplicates"][0]["dropped"][0]["line"], 20);
    // Other relation kinds are links, their kind kept.
    let r1 = g("bd-r1");
    let mut l = links(r1);
    l.sort();
    let mut want = vec![
        ("relates".to_string(), id(&all, "bd-a1")),
        ("relates".to_string(), id(&all, "bd-a2")),
        ("duplicates".to_string(), id(&all, "bd-a3")),
        ("relates".to_string(), id(&all, "bd-a4")),
    ];
    want.sort();
    assert_eq!(l, want);
    assert_eq!(r1["context"]["beads_dep_discovered_from"], "bd-a2");
    assert_eq!(r1["context"]["beads_dep_supersedes"], "bd-a4");
    // Long text, acceptance criteria, comments, people and kept fields.
    let ac = g("bd-ac1");
    assert_eq!(
        ac["description"],
        "The **body**.\n\n## Design\n\nUse a B-tree.\n\n## Notes\n\nTalked to Bob."
    );
    let items: Vec<(String, bool)> = ac["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["text"].as_str().unwrap().to_string(),
                i["checked"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        items,
        [
            ("reads are O(log n)".into(), false),
            ("writes are atomic".into(), true)
        ]
    );
    assert_eq!(ac["comments"][0]["author"], "human:bob");
    assert_eq!(ac["comments"][0]["body"], "Looks good");
    assert_eq!(ac["comments"][0]["at"], "2025-10-15T10:00:00.000Z");
    assert_eq!(ac["assignee"], "human:alice");
    assert_eq!(ac["reporter"], "human:carol");
    assert_eq!(ac["estimate"], 90.0);
    assert_eq!(ac["context"]["beads_owner"], "alice@example.com");
    assert_eq!(ac["context"]["beads_external_ref"], "gh-9");
    assert_eq!(
        ac["context"]["beads_metadata"],
        r#"{"files":["src/store.rs"]}"#
    );
    // The report names every field: mapped, kept or dropped.
    let fields: HashMap<&str, &str> = r["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["action"].as_str().unwrap()))
        .collect();
    assert_eq!(fields["status"], "mapped");
    assert_eq!(fields["owner"], "kept");
    assert_eq!(fields["updated_at"], "dropped");
    let v = repo.ok(&["validate"]);
    assert_eq!(v["ok"], true, "{v:#}");
    let created = repo
        .events()
        .into_iter()
        .filter(|e| e["type"] == "issue.created")
        .count();
    assert_eq!(created, 23);
}

/// `bd ready --unassigned` over the fixture, computed from beads' own rules
/// (`GetReadyWork` and the blocked computation): status open, not pinned, not ephemeral, not a
/// workflow type, not deferred into the future, and not blocked — a `blocks` dependency on an
/// existing issue that is neither closed nor pinned, or a blocked parent (`parent-child`), to
/// any depth. Work in progress is left out: jit never hands out started work.
fn bd_ready(jsonl: &str) -> BTreeSet<String> {
    let mut rows: Vec<Value> = Vec::new();
    for l in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        rows.push(serde_json::from_str(l).unwrap());
    }
    let mut by_id: HashMap<String, Value> = HashMap::new();
    for r in rows {
        let id = r["id"].as_str().unwrap().to_string();
        let newer = by_id
            .get(&id)
            .is_none_or(|o| r["updated_at"].as_str() >= o["updated_at"].as_str());
        if newer {
            by_id.insert(id, r);
        }
    }
    let live = |o: &Value| {
        o["status"] != "tombstone" && o["deleted_at"].is_null() && o["ephemeral"] != true
    };
    let deps = |o: &Value, ty: &str| -> Vec<String> {
        o["dependencies"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|d| d["type"] == ty)
                    .map(|d| d["depends_on_id"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    };
    fn blocked(
        id: &str,
        by_id: &HashMap<String, Value>,
        live: &dyn Fn(&Value) -> bool,
        deps: &dyn Fn(&Value, &str) -> Vec<String>,
        depth: usize,
    ) -> bool {
        let o = &by_id[id];
        let direct = deps(o, "blocks").iter().any(|t| {
            by_id.get(t).is_some_and(|b| {
                live(b) && b["status"] != "closed" && b["status"] != "pinned" && b["pinned"] != true
            })
        });
        direct
            || (depth < 50
                && deps(o, "parent-child")
                    .iter()
                    .any(|p| by_id.contains_key(p) && blocked(p, by_id, live, deps, depth + 1)))
    }
    let workflow = ["merge-request", "gate", "molecule", "message", "agent"];
    by_id
        .iter()
        .filter(|(_, o)| live(o))
        .filter(|(_, o)| o["status"] == "open" && o["pinned"] != true)
        .filter(|(_, o)| o["assignee"].as_str().unwrap_or("").is_empty())
        .filter(|(_, o)| !workflow.contains(&o["issue_type"].as_str().unwrap_or("task")))
        .filter(|(_, o)| o["defer_until"].as_str().is_none_or(|d| d < "2026-01-01"))
        .filter(|(id, _)| !blocked(id, &by_id, &live, &deps, 0))
        .map(|(id, _)| id.clone())
        .collect()
}

#[test]
fn beads_ready_work_is_what_bd_ready_hands_out() {
    let repo = Repo::new();
    let src = copy(&repo, "beads");
    repo.ok(&["import", "beads", &arg(&src)]);
    let all = by_source(&repo);
    let text = std::fs::read_to_string(src.join(".beads/issues.jsonl")).unwrap();
    let want = bd_ready(&text);
    assert!(want.len() >= 6, "the fixture has ready work: {want:?}");
    assert_eq!(ready(&repo, &all), want);
}

#[test]
fn beads_reimport_writes_nothing_when_unchanged_and_updates_in_place() {
    let repo = Repo::new();
    let src = copy(&repo, "beads");
    let file = src.join(".beads/issues.jsonl");
    let first = repo.ok(&["import", "beads", &arg(&file)]);
    let before = by_source(&repo);
    let events = repo.event_count();
    let stamp = |r: &Repo| -> Vec<(String, std::time::SystemTime)> {
        r.issue_files()
            .into_iter()
            .map(|f| {
                let m = std::fs::metadata(r.issues_dir().join(&f))
                    .unwrap()
                    .modified()
                    .unwrap();
                (f, m)
            })
            .collect()
    };
    let files = stamp(&repo);
    let again = repo.ok(&["import", "beads", &arg(&file)]);
    assert_eq!(
        (again["created"].clone(), again["updated"].clone()),
        (json!([]), json!([]))
    );
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 23);
    assert_eq!(
        repo.event_count(),
        events,
        "an unchanged re-import appends no event"
    );
    assert_eq!(stamp(&repo), files, "and rewrites no file");
    // A changed export: a title, a closed blocker, a tombstone.
    let text = std::fs::read_to_string(&file).unwrap();
    let text = text
        .replace("\"Write schema\"", "\"Write the schema\"")
        .replace(
            r#""id":"bd-a1","title":"Set up storage","description":"","status":"open""#,
            r#""id":"bd-a1","title":"Set up storage","description":"","status":"closed""#,
        )
        .replace(
            r#""id":"bd-a4","title":"Depends on a closed bug","description":"","status":"open""#,
            r#""id":"bd-a4","title":"Depends on a closed bug","description":"","status":"tombstone","deleted_at":"2025-10-20T00:00:00Z""#,
        );
    std::fs::write(&file, text).unwrap();
    let r = repo.ok(&["import", "beads", &arg(&file)]);
    assert_eq!(r["created"], json!([]), "{r:#}");
    let after = by_source(&repo);
    assert_eq!(after.len(), before.len());
    for (s, i) in &before {
        assert_eq!(after[s]["id"], i["id"], "{s} keeps its id");
    }
    assert_eq!(after["bd-a2"]["title"], "Write the schema");
    assert_eq!(after["bd-a1"]["state"], "done");
    // Its dependents are ready now; the tombstone archived what was imported from it.
    assert_eq!(after["bd-a2"]["state"], "ready");
    assert_eq!(after["bd-e1.1"]["state"], "ready");
    assert_eq!(after["bd-a4"]["state"], "archived");
    let updated = r["updated"].as_array().unwrap().len();
    assert!(updated >= 5, "{r:#}");
    assert_eq!(
        repo.event_count(),
        events + updated,
        "one event per changed issue"
    );
    assert_eq!(first["source"], "beads");
}

#[test]
fn bad_beads_input_is_named_and_nothing_is_written() {
    let repo = Repo::new();
    let src = copy(&repo, "beads");
    let file = src.join(".beads/issues.jsonl");
    let good = std::fs::read_to_string(&file).unwrap();
    let events = repo.event_count();
    // A malformed line.
    let mut lines: Vec<&str> = good.lines().collect();
    lines.insert(2, "{\"id\":\"bd-zz\",\"title\": oops}");
    let bad = repo.path().join("bad.jsonl");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let d = repo.err(&["import", "beads", &arg(&bad)], "invalid_import", 2);
    assert_eq!(d["rows"][0]["line"], 3, "{d:#}");
    assert!(
        d["rows"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("bad.jsonl")
    );
    let out = repo.jit(&["import", "beads", &arg(&bad)]);
    assert!(crate::common::stderr(&out).contains("bad.jsonl line 3"));
    // A cycle in the source.
    let cyc = repo.path().join("cycle.jsonl");
    std::fs::write(
        &cyc,
        concat!(
            r#"{"id":"c-1","title":"one","status":"open","priority":2,"issue_type":"task","dependencies":[{"issue_id":"c-1","depends_on_id":"c-2","type":"blocks"}]}"#,
            "\n",
            r#"{"id":"c-2","title":"two","status":"open","priority":2,"issue_type":"task","dependencies":[{"issue_id":"c-2","depends_on_id":"c-1","type":"blocks"}]}"#,
            "\n"
        ),
    )
    .unwrap();
    let d = repo.err(&["import", "beads", &arg(&cyc)], "invalid_import", 2);
    assert_eq!(d["cycles"], json!([["c-1", "c-2"]]), "{d:#}");
    // A blank title and a bad priority: both named, nothing written.
    let rows = repo.path().join("rows.jsonl");
    std::fs::write(
        &rows,
        "{\"id\":\"r-1\",\"title\":\"  \",\"status\":\"open\",\"priority\":2}\n{\"id\":\"r-2\",\"title\":\"x\",\"status\":\"open\",\"priority\":9}\n",
    )
    .unwrap();
    let d = repo.err(&["import", "beads", &arg(&rows)], "invalid_import", 2);
    let named: Vec<(u64, &str)> = d["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["field"].as_str().unwrap()))
        .collect();
    assert_eq!(named, [(1, "title"), (2, "priority")]);
    assert!(repo.issue_files().is_empty());
    assert_eq!(repo.event_count(), events);
    // CRLF line ends and a byte-order mark read the same.
    let crlf = repo.path().join("crlf.jsonl");
    let mut bytes = b"\xef\xbb\xbf".to_vec();
    bytes.extend(good.replace('\n', "\r\n").into_bytes());
    std::fs::write(&crlf, bytes).unwrap();
    let r = repo.ok(&["import", "beads", &arg(&crlf)]);
    assert_eq!(r["created"].as_array().unwrap().len(), 23);
}

/// just-in-time's own `query_ready` over the fixture: state `ready`, unassigned, every
/// dependency met (done, rejected, or archived from one of them; a missing one is unmet).
fn jit_ready(dir: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut issues: HashMap<String, Value> = HashMap::new();
    for e in std::fs::read_dir(dir.join(".jit/issues")).unwrap() {
        let v: Value = serde_json::from_slice(&std::fs::read(e.unwrap().path()).unwrap()).unwrap();
        issues.insert(v["id"].as_str().unwrap().to_string(), v);
    }
    let met = |d: &str| {
        issues.get(d).is_some_and(|i| {
            matches!(i["state"].as_str(), Some("done" | "rejected"))
                || (i["state"] == "archived"
                    && matches!(i["archived_from"].as_str(), Some("done" | "rejected")))
        })
    };
    let ready: BTreeSet<String> = issues
        .values()
        .filter(|i| i["state"] == "ready" && i["assignee"].is_null())
        .filter(|i| strings(&i["dependencies"]).iter().all(|d| met(d)))
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    // Issues waiting on a precheck gate: just-in-time lists them and checks the gate when work
    // starts; jit keeps them out of ready work until the gate passes.
    let precheck: BTreeSet<String> = issues
        .values()
        .filter(|i| i["gates_status"]["tdd-reminder"]["status"] == "pending")
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect();
    (ready, precheck)
}

#[test]
fn just_in_time_store_with_gates_checkers_and_history() {
    let repo = Repo::new();
    let src = copy(&repo, "just-in-time");
    let r = repo.ok(&["import", "just-in-time", &arg(&src)]);
    assert_eq!(r["created"].as_array().unwrap().len(), 17, "{r:#}");
    let all = by_source(&repo);
    let u = |n: u32| format!("{n:08}-1111-4111-8111-{n:012}");
    let g = |n: u32| all.get(&u(n)).unwrap_or_else(|| panic!("{n}"));
    let one = g(1);
    assert_eq!(one["title"], "Storage engine");
    assert_eq!(one["priority"], "high");
    assert_eq!(one["type"], "task");
    assert_eq!(one["milestone"], "v1.0");
    assert_eq!(strings(&one["labels"]), ["epic:storage"]);
    assert_eq!(one["context"]["pr_url"], "https://github.com/o/r/pull/7");
    assert_eq!(one["context"]["just_in_time_source"], "someone else's key");
    assert_eq!(one["context"]["source"], "just-in-time");
    assert_eq!(
        one["context"]["source_path"],
        format!("issues/{}.json", u(1))
    );
    assert_eq!(strings(&one["gates_required"]), ["tests"]);
    assert_eq!(one["gates_status"]["tests"]["status"], "pending");
    assert!(
        one["comments"][0]["body"]
            .as_str()
            .unwrap()
            .starts_with("History from just-in-time (2 events):")
    );
    assert!(
        one["comments"][0]["body"]
            .as_str()
            .unwrap()
            .contains("gate_added gate_key=tests")
    );
    assert_eq!(g(2)["state"], "backlog");
    assert!(
        g(2)["description"]
            .as_str()
            .unwrap()
            .contains("## Documents\n\n- Query design: `dev/active/query.md` (design)")
    );
    assert_eq!(g(3)["state"], "done");
    assert_eq!(g(3)["gates_status"]["tests"]["by"], "ci:github");
    // Rejected and archived-from-done issues satisfy their dependents, as there.
    assert_eq!(
        (
            g(5)["state"].as_str(),
            g(5)["context"]["just_in_time_state"].as_str()
        ),
        (Some("done"), Some("rejected"))
    );
    assert_eq!(g(6)["state"], "ready");
    assert_eq!(g(7)["state"], "done");
    assert_eq!(g(8)["state"], "ready");
    assert_eq!(g(9)["state"], "archived");
    assert_eq!(g(10)["state"], "backlog");
    // A dependency outside the import is unmet there: held here.
    assert!(held(g(11)));
    assert_eq!(
        outcomes(&r),
        [(
            u(11),
            "99999999-0000-4000-8000-000000000000".to_string(),
            "held".to_string()
        )]
    );
    assert_eq!(g(12)["state"], "in_progress");
    assert_eq!(g(12)["assignee"], "agent:copilot-1");
    assert_eq!(g(13)["state"], "gated");
    assert_eq!(g(16)["type"], "epic");
    assert_eq!(g(17)["type"], "planning");
    // Gates with their checkers.
    let gates: Value =
        serde_json::from_slice(&std::fs::read(repo.jit_dir().join("gates.json")).unwrap()).unwrap();
    assert_eq!(gates["tests"]["checker"]["command"], "cargo test --lib");
    assert_eq!(gates["tests"]["checker"]["timeout_secs"], 300);
    assert_eq!(gates["tests"]["auto"], true);
    assert_eq!(gates["tdd-reminder"]["stage"], "precheck");
    assert_eq!(gates["review"]["auto"], false);
    assert_eq!(
        gates["code-review"]["checker"]["command"],
        "cd 'tools' && env REVIEWER_AGENT='codex exec' sh -c './scripts/ai-review.sh'"
    );
    assert_eq!(
        gates["code-review"]["just_in_time_checker"]["prompt_file"],
        "./scripts/code-review-prompt.md"
    );
    assert!(gates["jit-validate"]["checker"].is_null());
    assert_eq!(
        gates["jit-validate"]["just_in_time_checker"]["type"],
        "repository_validation"
    );
    assert_eq!(repo.ok(&["validate"])["ok"], true);
    // Again: nothing changes.
    let events = repo.event_count();
    let again = repo.ok(&["import", "just-in-time", &arg(&src.join(".jit"))]);
    assert_eq!(
        again["unchanged"].as_array().unwrap().len(),
        17,
        "{again:#}"
    );
    assert_eq!(repo.event_count(), events);
}

#[test]
fn just_in_time_ready_work_matches_its_query_ready() {
    let repo = Repo::new();
    let src = copy(&repo, "just-in-time");
    repo.ok(&["import", "just-in-time", &arg(&src)]);
    let all = by_source(&repo);
    let (theirs, precheck) = jit_ready(&src);
    assert!(!precheck.is_empty() && precheck.is_subset(&theirs));
    let want: BTreeSet<String> = theirs.difference(&precheck).cloned().collect();
    assert_eq!(ready(&repo, &all), want);
}

#[test]
fn a_jit_store_of_this_tool_is_not_a_just_in_time_store() {
    let repo = Repo::new();
    repo.create("mine", &[]);
    let d = repo.err(
        &["import", "just-in-time", &arg(repo.path())],
        "invalid_import",
        2,
    );
    assert!(d["file"].is_string());
}

/// Backlog.md's ready work: a board task in the first status, unassigned, whose dependencies
/// on the board or in `completed/` are all done (Backlog.md orders only the tasks it has).
#[test]
fn backlog_tasks_keep_fields_sections_and_ready_work() {
    let repo = Repo::new();
    let src = copy(&repo, "backlog");
    let r = repo.ok(&["import", "backlog", &arg(&src)]);
    assert_eq!(r["created"].as_array().unwrap().len(), 13, "{r:#}");
    let all = by_source(&repo);
    let g = |s: &str| all.get(s).unwrap_or_else(|| panic!("{s}"));
    let t1 = g("task-1");
    assert_eq!(t1["title"], "Set up CI");
    assert_eq!(t1["description"], "Run the tests on every push.");
    assert_eq!(t1["priority"], "high");
    assert_eq!(t1["milestone"], "Release 1");
    assert_eq!(t1["created_at"], "2025-06-10T12:00:00.000Z");
    assert_eq!(t1["context"]["source_path"], "tasks/task-1 - Set-up-CI.md");
    let t2 = g("task-2");
    assert_eq!(t2["assignee"], "human:alice");
    assert_eq!(t2["context"]["backlog_assignees"], "@bob");
    assert_eq!(t2["reporter"], "human:carol");
    assert_eq!(strings(&t2["labels"]), ["auth", "frontend"]);
    assert_eq!(strings(&t2["dependencies"]), [id(&all, "task-1")]);
    assert_eq!(r["duplicates"][0]["source_id"], "task-2");
    assert_eq!(g("task-3")["description"], "Plain body without sections.");
    assert_eq!(g("task-4")["state"], "in_progress");
    assert_eq!(g("task-4.1")["parent"], id(&all, "task-4"));
    let t5 = g("task-5");
    let mut deps = strings(&t5["dependencies"]);
    deps.sort();
    let mut want = vec![id(&all, "task-1"), id(&all, "task-2")];
    want.sort();
    assert_eq!(deps, want, "TASK-2 and `1` name task-2 and task-1");
    let t6 = g("task-6");
    assert_eq!(
        t6["state"], "in_progress",
        "Review sits between the first and last status"
    );
    assert_eq!(t6["priority"], "low");
    assert_eq!(t6["due"], "2025-07-01");
    assert_eq!(
        t6["description"],
        "Expose the API.\n\nWith a second paragraph.\n\n## Implementation Plan\n\n1. Routes\n2. Handlers\n\n## Implementation Notes\n\nUsed axum."
    );
    let items: Vec<(String, bool)> = t6["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["text"].as_str().unwrap().to_string(),
                i["checked"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        items,
        [
            ("GET /items returns 200".into(), false),
            ("POST /items validates input".into(), true),
            ("DoD: Docs updated".into(), false)
        ]
    );
    assert_eq!(t6["comments"][0]["author"], "human:erin");
    assert_eq!(t6["comments"][0]["body"], "Should we paginate?");
    assert_eq!(
        t6["context"]["backlog_references"],
        "https://example.com/spec"
    );
    assert_eq!(links(g("task-7")), [("relates".into(), id(&all, "task-8"))]);
    assert_eq!(g("task-8")["state"], "archived");
    assert_eq!(g("task-9")["state"], "done");
    assert_eq!(g("task-10")["state"], "ready");
    assert!(held(g("draft-1")));
    assert!(held(g("task-11")));
    assert_eq!(r["ignored_files"][0]["path"], "tasks/notes.txt");
    let refs = outcomes(&r);
    assert!(refs.contains(&("task-3".into(), "task-99".into(), "missing".into())));
    // Ready work, as Backlog.md would order it.
    let want: BTreeSet<String> = ["task-1", "task-3", "task-4.1", "task-7", "task-10"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(ready(&repo, &all), want);
    assert_eq!(repo.ok(&["validate"])["ok"], true);
    let events = repo.event_count();
    let again = repo.ok(&["import", "backlog", &arg(&src.join("backlog"))]);
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 13);
    assert_eq!(repo.event_count(), events);
}

#[test]
fn a_source_directory_is_never_left_and_hostile_files_are_refused() {
    let repo = Repo::new();
    let outside = repo.path().join("outside");
    std::fs::create_dir_all(outside.join("tasks")).unwrap();
    std::fs::write(
        outside.join("tasks/task-1 - x.md"),
        "---\nid: task-1\ntitle: from outside\nstatus: To Do\n---\n",
    )
    .unwrap();
    // A linked folder.
    let a = repo.path().join("a/backlog");
    std::fs::create_dir_all(&a).unwrap();
    std::os::unix::fs::symlink(outside.join("tasks"), a.join("tasks")).unwrap();
    std::fs::write(a.join("config.yml"), "statuses: [To Do, Done]\n").unwrap();
    let d = repo.err(&["import", "backlog", &arg(&a)], "invalid_import", 2);
    assert!(d["path"].as_str().unwrap().ends_with("tasks"), "{d:#}");
    // A linked file.
    let b = repo.path().join("b/backlog/tasks");
    std::fs::create_dir_all(&b).unwrap();
    std::os::unix::fs::symlink(outside.join("tasks/task-1 - x.md"), b.join("task-1 - x.md"))
        .unwrap();
    repo.err(
        &["import", "backlog", &arg(&b.join(".."))],
        "invalid_import",
        2,
    );
    // A task file over the size limit.
    let c = repo.path().join("c/backlog/tasks");
    std::fs::create_dir_all(&c).unwrap();
    let mut big = b"---\nid: task-1\ntitle: big\n---\n".to_vec();
    big.resize(17 * 1024 * 1024, b'x');
    std::fs::write(c.join("task-1 - big.md"), big).unwrap();
    let out = repo.jit(&["import", "backlog", &arg(&c.join(".."))]);
    assert!(
        crate::common::stderr(&out).contains("larger than"),
        "{}",
        crate::common::stderr(&out)
    );
    // A YAML alias bomb in front matter.
    let e = repo.path().join("e/backlog/tasks");
    std::fs::create_dir_all(&e).unwrap();
    let mut bomb =
        String::from("---\nid: task-1\ntitle: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for k in 1..9 {
        bomb.push_str(&format!(
            "a{k}: &a{k} [{}]\n",
            vec![format!("*a{}", k - 1); 10].join(", ")
        ));
    }
    bomb.push_str("---\n");
    std::fs::write(e.join("task-1 - bomb.md"), bomb).unwrap();
    let d = repo.err(
        &["import", "backlog", &arg(&e.join(".."))],
        "invalid_import",
        2,
    );
    assert_eq!(d["rows"][0]["path"], "tasks/task-1 - bomb.md", "{d:#}");
    assert!(repo.issue_files().is_empty());
    assert_eq!(repo.event_count(), 0);
}

#[test]
fn jira_export_columns_links_and_sprints() {
    let repo = Repo::new();
    let src = copy(&repo, "jira.csv");
    let r = repo.ok(&["import", "jira", &arg(&src)]);
    assert_eq!(r["created"].as_array().unwrap().len(), 6, "{r:#}");
    let all = by_source(&repo);
    let g = |s: &str| all.get(s).unwrap_or_else(|| panic!("{s}"));
    let p2 = g("PROJ-2");
    assert_eq!(p2["title"], "Pay with card");
    assert_eq!(
        p2["description"],
        "Card form.\n\nSupports \"3-D Secure\", commas, and line breaks."
    );
    assert_eq!(p2["priority"], "critical");
    assert_eq!(p2["type"], "story");
    assert_eq!(strings(&p2["labels"]), ["frontend", "payments"]);
    assert_eq!(p2["assignee"], "human:Jane-Doe");
    assert_eq!(p2["milestone"], "Sprint 2");
    assert_eq!(p2["estimate"], 5.0);
    assert_eq!(p2["due"], "2024-03-01");
    assert_eq!(p2["created_at"], "2024-02-15T10:00:00.000Z");
    assert_eq!(p2["parent"], id(&all, "PROJ-1"));
    assert_eq!(p2["context"]["jira_sprint"], "Sprint 1\nSprint 2");
    assert_eq!(p2["context"]["jira_fix_versions"], "1.0");
    assert_eq!(p2["context"]["jira_issue_id"], "10002");
    let mut deps = strings(&p2["dependencies"]);
    deps.sort();
    let mut want = vec![id(&all, "PROJ-3"), id(&all, "PROJ-4")];
    want.sort();
    assert_eq!(
        deps, want,
        "inward Blocks from PROJ-3, outward Blocks on PROJ-4"
    );
    assert_eq!(p2["comments"].as_array().unwrap().len(), 2);
    assert_eq!(p2["comments"][0]["body"], "Looks good");
    assert_eq!(p2["comments"][0]["at"], "2024-02-16T11:15:00.000Z");
    assert_eq!(p2["state"], "backlog");
    assert_eq!(g("PROJ-1")["state"], "in_progress");
    assert_eq!(g("PROJ-3")["state"], "done");
    assert_eq!(g("PROJ-4")["state"], "in_progress");
    let p5 = g("PROJ-5");
    assert_eq!(p5["type"], "task", "Sub-task is a task here");
    assert!(held(p5), "a status without a category is held");
    assert_eq!(p5["parent"], id(&all, "PROJ-2"));
    let mut l = links(p5);
    l.sort();
    assert_eq!(
        l,
        [
            ("duplicates".into(), id(&all, "PROJ-6")),
            ("relates".into(), id(&all, "PROJ-3"))
        ]
    );
    assert_eq!(p5["context"]["jira_link_cloners"], "outward:PROJ-3");
    assert_eq!(
        outcomes(&r),
        [("PROJ-4".into(), "PROJ-9".into(), "missing".into())]
    );
    let fields: HashMap<&str, &str> = r["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["field"].as_str().unwrap(), f["action"].as_str().unwrap()))
        .collect();
    assert_eq!(fields["Watchers"], "dropped");
    assert_eq!(fields["Resolution"], "kept");
    assert_eq!(fields["Inward issue link (Blocks)"], "mapped");
    assert_eq!(strings(&r["types_added"]), ["story"]);
    assert_eq!(repo.ok(&["validate"])["ok"], true);

    // --map-type maps instead of adding.
    let other = Repo::new();
    let src = copy(&other, "jira.csv");
    let r = other.ok(&["import", "jira", &arg(&src), "--map-type", "Story=feature"]);
    assert_eq!(r["types_added"], json!([]));
    assert_eq!(by_source(&other)["PROJ-2"]["type"], "feature");
}

#[test]
fn linear_export_states_cycles_and_relations() {
    let repo = Repo::new();
    let src = copy(&repo, "linear.csv");
    let r = repo.ok(&["import", "linear", &arg(&src)]);
    assert_eq!(r["created"].as_array().unwrap().len(), 6, "{r:#}");
    let all = by_source(&repo);
    let g = |s: &str| all.get(s).unwrap_or_else(|| panic!("{s}"));
    let e1 = g("ENG-1");
    assert_eq!(
        (e1["state"].as_str(), e1["priority"].as_str()),
        (Some("ready"), Some("high"))
    );
    assert_eq!(e1["milestone"], "Cycle 12");
    assert_eq!(e1["reporter"], "human:ann@example.com");
    assert_eq!(
        e1["context"]["linear_uuid"],
        "6f1c0d7e-0000-4000-8000-000000000001"
    );
    assert_eq!(e1["context"]["linear_team"], "Engineering");
    let e2 = g("ENG-2");
    assert_eq!(e2["state"], "in_progress");
    assert_eq!(e2["priority"], "critical");
    assert_eq!(e2["estimate"], 3.0);
    assert_eq!(e2["assignee"], "human:bob@example.com");
    assert_eq!(strings(&e2["labels"]), ["Bug", "Frontend"]);
    assert_eq!(
        e2["description"],
        "Multi-line\n\"quoted\" text, with a comma."
    );
    assert_eq!(strings(&e2["dependencies"]), [id(&all, "ENG-1")]);
    assert_eq!(e2["parent"], id(&all, "ENG-5"));
    assert_eq!(g("ENG-3")["state"], "done");
    assert_eq!(links(g("ENG-3")), [("relates".into(), id(&all, "ENG-1"))]);
    assert_eq!(g("ENG-4")["state"], "archived");
    assert_eq!(
        links(g("ENG-4")),
        [("duplicates".into(), id(&all, "ENG-2"))]
    );
    let e5 = g("ENG-5");
    assert_eq!(e5["title"], "=Login epic", "the formula guard is removed");
    assert_eq!(e5["due"], "2024-06-30");
    assert_eq!(e5["milestone"], "Beta");
    assert_eq!(e5["priority"], "normal");
    assert!(held(g("ENG-6")));
    assert_eq!(
        outcomes(&r),
        [("ENG-3".into(), "ENG-404".into(), "missing".into())]
    );
    // A team's own status name, mapped.
    let other = Repo::new();
    let src = copy(&other, "linear.csv");
    other.ok(&[
        "import",
        "linear",
        &arg(&src),
        "--map-state",
        "Needs Design=in_progress",
    ]);
    assert_eq!(by_source(&other)["ENG-6"]["state"], "in_progress");
}

#[test]
fn github_rest_issues_are_keyed_by_repository_and_number() {
    let repo = Repo::new();
    let src = copy(&repo, "github-rest.json");
    let r = repo.ok(&["import", "github", &arg(&src)]);
    assert_eq!(r["created"].as_array().unwrap().len(), 3, "{r:#}");
    assert_eq!(
        r["skipped"][0]["source_id"], "acme/shop#3",
        "the pull request"
    );
    let all = by_source(&repo);
    assert!(!all.contains_key("acme/shop#3"));
    let one = &all["acme/shop#1"];
    assert_eq!(one["title"], "Cart loses items");
    assert_eq!(
        one["context"]["source_url"],
        "https://github.com/acme/shop/issues/1"
    );
    assert_eq!(
        one["context"]["github_url"],
        "https://github.com/acme/shop/issues/1"
    );
    assert_eq!(one["context"]["github_number"], "1");
    assert_eq!(one["assignee"], "human:alice");
    assert_eq!(one["context"]["github_assignees"], "bob");
    assert_eq!(one["reporter"], "human:octocat");
    assert_eq!(one["milestone"], "v2.0");
    assert_eq!(strings(&one["labels"]), ["bug"]);
    assert_eq!(one["checklist"].as_array().unwrap().len(), 2);
    assert_eq!(one["created_at"], "2024-03-01T10:00:00.000Z");
    assert_eq!(all["acme/shop#2"]["state"], "done");
    assert_eq!(
        all["acme/shop#2"]["context"]["github_state_reason"],
        "completed"
    );
    // The same number in another repository is another issue.
    assert_eq!(
        all["acme/docs#1"]["title"],
        "Same number, another repository"
    );
    assert_ne!(all["acme/docs#1"]["id"], one["id"]);
    let events = repo.event_count();
    let again = repo.ok(&["import", "github", &arg(&src)]);
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 3);
    assert_eq!(repo.event_count(), events);
}

#[test]
fn issues_imported_by_number_only_are_adopted_by_repository() {
    let repo = Repo::new();
    // As an earlier jit wrote them: `github_number` (and maybe `github_url`), no source keys.
    let a = repo.create("Cart loses items (old import)", &[]);
    repo.edit_issue(&a, |v| {
        v["context"] =
            json!({"github_number": "1", "github_url": "https://github.com/acme/shop/issues/1"});
    });
    let b = repo.create("Add dark mode (old import)", &[]);
    repo.edit_issue(&b, |v| v["context"] = json!({"github_number": "2"}));
    let src = copy(&repo, "github-rest.json");
    let r = repo.ok(&["import", "github", &arg(&src)]);
    assert_eq!(
        r["created"].as_array().unwrap().len(),
        1,
        "only acme/docs#1 is new: {r:#}"
    );
    assert_eq!(r["updated"].as_array().unwrap().len(), 2);
    let all = by_source(&repo);
    assert_eq!(all["acme/shop#1"]["id"], repo.full_id(&a));
    assert_eq!(all["acme/shop#2"]["id"], repo.full_id(&b));
    assert_eq!(all["acme/shop#2"]["context"]["source_id"], "acme/shop#2");
}

#[test]
fn csv_with_map_has_identity_and_structure() {
    let repo = Repo::new();
    let file = repo.path().join("sheet.csv");
    std::fs::write(
        &file,
        "Key,Summary,Blocked By,Owner,Size,Kind,Notes\r\nK-1,First,,ann,S,story,\r\nK-2,Second,K-1,bob,M,task,\"line one\r\nline two\"\r\n",
    )
    .unwrap();
    let args = [
        "import",
        "csv",
        file.to_str().unwrap(),
        "--map",
        "Key=id",
        "--map",
        "Summary=title",
        "--map",
        "Blocked By=depends_on",
        "--map",
        "Owner=assignee",
        "--map",
        "Size=context.size",
        "--map",
        "Kind=type",
        "--map",
        "Notes=description",
    ];
    let r = repo.ok(&args);
    assert_eq!(r["created"].as_array().unwrap().len(), 2, "{r:#}");
    let all = by_source(&repo);
    assert_eq!(all["K-2"]["title"], "Second");
    assert_eq!(strings(&all["K-2"]["dependencies"]), [id(&all, "K-1")]);
    assert_eq!(all["K-2"]["state"], "backlog");
    assert_eq!(all["K-2"]["assignee"], "human:bob");
    assert_eq!(all["K-2"]["context"]["size"], "M");
    assert_eq!(all["K-2"]["description"], "line one\nline two");
    assert_eq!(
        all["K-1"]["type"], "story",
        "an unknown type is added, not refused"
    );
    let events = repo.event_count();
    let again = repo.ok(&args);
    assert_eq!(again["unchanged"].as_array().unwrap().len(), 2);
    assert_eq!(repo.event_count(), events);
    let d = repo.err(
        &[
            "import",
            "csv",
            file.to_str().unwrap(),
            "--map",
            "Key=colour",
        ],
        "invalid_import",
        2,
    );
    assert!(d["rows"][0]["message"].as_str().unwrap().contains("colour"));
}

#[test]
fn a_dry_run_reports_the_plan_and_writes_nothing() {
    let repo = Repo::new();
    let src = copy(&repo, "beads");
    let jit = repo.jit_dir();
    let read = |p: &str| std::fs::read(jit.join(p)).unwrap();
    let (config, gates, events) = (
        read("config.json"),
        read("gates.json"),
        read("events.jsonl"),
    );
    let r = repo.ok(&["import", "beads", &arg(&src), "--dry-run"]);
    assert_eq!(r["dry_run"], true);
    assert_eq!(r["created"].as_array().unwrap().len(), 23);
    assert_eq!(strings(&r["types_added"]), ["molecule", "spike"]);
    assert!(
        r["states"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["from"] == "hooked" && s["to"] == "in_progress")
    );
    assert!(repo.issue_files().is_empty());
    assert_eq!(
        (
            read("config.json"),
            read("gates.json"),
            read("events.jsonl")
        ),
        (config, gates, events)
    );
    let out = repo.jit(&["import", "beads", &arg(&src), "--dry-run"]);
    let text = crate::common::stdout(&out);
    assert!(
        text.contains("dry run: nothing was written") && text.contains("fields:"),
        "{text}"
    );
}
