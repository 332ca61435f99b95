//! Exports: `--format json|csv` (and dot/mermaid still there), the markdown roadmap with its
//! `--check` for CI, the changelog, and the static web site: its `--public` guarantee, its
//! escaping of hostile text, and (with chromium) what a browser renders from it.

use crate::common::{Repo, assert_ok, code, parse_one_object, stdout};
use serde_json::Value;

const NOW: &str = "2026-01-02T03:04:05Z";

/// Escapes regex metacharacters in a literal.
fn literal(s: &str) -> String {
    s.chars().fold(String::new(), |mut out, c| {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
        out
    })
}

/// A small fixed store: three milestones (one early, one later, one without a due date), an
/// unplanned issue, an archived one, and a title that needs CSV and markdown escaping.
struct Fixture {
    repo: Repo,
    ids: Vec<(String, String)>, // (name, short id)
}

impl Fixture {
    fn new() -> Self {
        let repo = Repo::git_only();
        assert_ok(&repo.jit(&["init", "--name", "acme"]));
        let mut ids = Vec::new();
        {
            let run = |args: &[&str]| {
                let out = repo.jit_env(&[args, &["--json"]].concat(), &[("JIT_NOW", NOW)]);
                assert_ok(&out);
                parse_one_object(&out)
            };
            let mut create = |name: &str, args: &[&str]| {
                let id = run(&[&["issue", "create"], args].concat())["short_id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                ids.push((name.to_string(), id.clone()));
                id
            };
            let alpha = create(
                "alpha",
                &[
                    "--title",
                    "alpha: design the schema",
                    "--type",
                    "feature",
                    "--milestone",
                    "M1: Core",
                    "--due",
                    "2026-03-01",
                    "--evidence",
                    "docs/format.md",
                    "--done-when",
                    "schema reviewed",
                ],
            );
            let bravo = create(
                "bravo",
                &[
                    "--title",
                    "bravo: write the store",
                    "--type",
                    "feature",
                    "--milestone",
                    "M1: Core",
                    "--dep",
                    &alpha,
                    "--label",
                    "core",
                    "--estimate",
                    "3",
                ],
            );
            let charlie = create(
                "charlie",
                &[
                    "--title",
                    "charlie: fix a | b, \"quoted\"",
                    "--type",
                    "bug",
                    "--milestone",
                    "M1: Core",
                    "--desc",
                    "line one, with a comma\nline \"two\"",
                    "--label",
                    "bug",
                    "--label",
                    "ui",
                ],
            );
            let delta = create(
                "delta",
                &[
                    "--title",
                    "delta: polish the docs",
                    "--type",
                    "chore",
                    "--milestone",
                    "M2: Polish",
                    "--dep",
                    &bravo,
                ],
            );
            let echo = create(
                "echo",
                &[
                    "--title",
                    "echo: spike the idea",
                    "--type",
                    "improvement",
                    "--milestone",
                    "M0: Spike",
                    "--due",
                    "2026-01-15",
                ],
            );
            create("foxtrot", &["--title", "foxtrot: someday maybe"]);
            let golf = create(
                "golf",
                &["--title", "golf: shelved", "--milestone", "M2: Polish"],
            );
            for done in [&alpha, &charlie, &echo] {
                run(&["issue", "update", done, "--state", "done"]);
            }
            run(&["issue", "update", &bravo, "--state", "in_progress"]);
            run(&["issue", "assign", &bravo, "--to", "agent:bot-1"]);
            run(&["issue", "update", &golf, "--state", "archived"]);
            let _ = delta;
        }
        Fixture { repo, ids }
    }

    fn id(&self, name: &str) -> String {
        self.ids.iter().find(|(n, _)| n == name).unwrap().1.clone()
    }

    fn filters(&self) -> Vec<(String, String)> {
        let mut f = Vec::new();
        for (name, short) in &self.ids {
            let full = self.repo.full_id(short);
            f.push((literal(&full), format!("[{name}-ULID]")));
            f.push((literal(short), format!("{name:_<8}")));
        }
        f.push((
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z".into(),
            "[TIME]".into(),
        ));
        f
    }

    /// Stdout of a successful command.
    fn text(&self, args: &[&str]) -> String {
        let out = self.repo.jit_env(args, &[("JIT_NOW", NOW)]);
        assert_ok(&out);
        stdout(&out)
    }
}

fn assert_snap(name: &str, filters: &[(String, String)], text: &str) {
    let filters: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false, omit_expression => true }, {
        insta::assert_snapshot!(name, text);
    });
}

/// Parses RFC 4180 CSV (CRLF records, quoted fields with doubled quotes).
fn parse_csv(s: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => quoted = false,
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                assert!(field.is_empty(), "quote inside an unquoted field: {s}");
                quoted = true;
            }
            ',' => row.push(std::mem::take(&mut field)),
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF outside quotes");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            '\n' => panic!("bare LF ends a record: {s:?}"),
            c => field.push(c),
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "unterminated"
    );
    rows
}

#[test]
fn roadmap_changelog_and_csv_are_stable() {
    let fx = Fixture::new();
    let f = fx.filters();
    assert_snap("export_roadmap", &f, &fx.text(&["export", "roadmap"]));
    assert_snap("export_changelog", &f, &fx.text(&["export", "changelog"]));
    assert_snap(
        "export_changelog_m1",
        &f,
        &fx.text(&["export", "changelog", "--milestone", "M1: Core"]),
    );
    assert_snap(
        "export_csv",
        &f,
        &fx.text(&["export", "--format", "csv"])
            .replace("\r\n", "⏎\n"),
    );
}

#[test]
fn csv_quotes_commas_quotes_and_newlines() {
    let fx = Fixture::new();
    let text = fx.text(&["export", "--format", "csv"]);
    let rows = parse_csv(&text);
    let header = &rows[0];
    assert_eq!(header[0], "id");
    assert_eq!(header.len(), 16);
    assert!(rows.iter().all(|r| r.len() == 16), "ragged rows: {rows:?}");
    assert_eq!(rows.len(), 1 + fx.ids.len());
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let charlie = rows
        .iter()
        .find(|r| r[col("short_id")] == fx.id("charlie"))
        .unwrap();
    assert_eq!(charlie[col("title")], "charlie: fix a | b, \"quoted\"");
    assert_eq!(
        charlie[col("description")],
        "line one, with a comma\nline \"two\""
    );
    assert_eq!(charlie[col("labels")], "bug;ui");
    let bravo = rows
        .iter()
        .find(|r| r[col("short_id")] == fx.id("bravo"))
        .unwrap();
    assert_eq!(bravo[col("dependencies")], fx.id("alpha"));
    assert_eq!(bravo[col("estimate")], "3");
    assert_eq!(bravo[col("assignee")], "agent:bot-1");
    // The raw text doubles the quotes inside a quoted field.
    assert!(text.contains("\"charlie: fix a | b, \"\"quoted\"\"\""));
    // Under --json the CSV is wrapped with its format name.
    let v = fx.repo.ok(&["export", "--format", "csv"]);
    assert_eq!(v["format"], "csv");
    assert_eq!(v["content"].as_str().unwrap(), text);
}

#[test]
fn json_export_is_one_document_with_every_issue() {
    let fx = Fixture::new();
    let human: Value = serde_json::from_str(&fx.text(&["export", "--format", "json"])).unwrap();
    let doc = fx.repo.ok(&["export", "--format", "json"]);
    for d in [&human, &doc] {
        assert_eq!(d["schema_version"], 1);
        assert!(d["exported_at"].is_string());
        assert_eq!(d["config"]["project"], "acme");
        assert!(d["gates"].is_object());
        let ids: Vec<String> = d["issues"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        let mut files: Vec<String> = fx
            .repo
            .issue_files()
            .iter()
            .map(|f| f.trim_end_matches(".json").to_string())
            .collect();
        files.sort();
        assert_eq!(ids, files, "every issue, sorted by id");
    }
    // Stored objects, not views: no derived fields; equal to the files.
    let first = &doc["issues"][0];
    assert!(first.get("short_id").is_none() && first.get("blocked").is_none());
    let id = first["id"].as_str().unwrap();
    assert_eq!(first, &fx.repo.read_issue(id));
    // A filter narrows the issues.
    let some = fx
        .repo
        .ok(&["export", "--format", "json", "--filter", "state:done"]);
    assert_eq!(some["issues"].as_array().unwrap().len(), 3);
    // The graph formats still work, wrapped under --json.
    let dot = fx.repo.ok(&["export", "--format", "dot"]);
    assert_eq!(dot["format"], "dot");
    assert!(dot["content"].as_str().unwrap().starts_with("digraph"));
}

#[test]
fn export_needs_exactly_one_of_format_and_subcommand() {
    let fx = Fixture::new();
    let d = fx.repo.err(&["export"], "usage", 2);
    assert!(d.is_object());
    let out = fx.repo.jit(&["export", "--format", "csv", "roadmap"]);
    assert_eq!(code(&out), 2);
}

#[test]
fn roadmap_check_passes_when_current_and_fails_with_8_when_stale() {
    let fx = Fixture::new();
    let v = fx
        .repo
        .ok(&["export", "roadmap", "--out", "docs/ROADMAP.md"]);
    assert_eq!(v["result"], "written");
    let path = fx.repo.path().join("docs/ROADMAP.md");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        fx.text(&["export", "roadmap"])
    );
    let ok = fx
        .repo
        .ok(&["export", "roadmap", "--check", "docs/ROADMAP.md"]);
    assert_eq!(ok["result"], "up_to_date");
    let human = fx
        .repo
        .jit(&["export", "roadmap", "--check", "docs/ROADMAP.md"]);
    assert_eq!(code(&human), 0);

    // Finishing an issue makes the committed roadmap stale.
    fx.repo
        .ok(&["issue", "update", &fx.id("foxtrot"), "--state", "done"]);
    let d = fx.repo.err(
        &["export", "roadmap", "--check", "docs/ROADMAP.md"],
        "out_of_date",
        8,
    );
    assert_eq!(d["missing"], false);
    assert!(d["first_difference"]["line"].as_u64().unwrap() > 1);
    assert!(d["lines_to_add"].as_u64().unwrap() >= 1);
    let human = fx
        .repo
        .jit(&["export", "roadmap", "--check", "docs/ROADMAP.md"]);
    assert_eq!(code(&human), 8);
    assert!(crate::common::stderr(&human).contains("out of date"));

    // A missing file is out of date too.
    let d = fx.repo.err(
        &["export", "roadmap", "--check", "nope.md"],
        "out_of_date",
        8,
    );
    assert_eq!(d["missing"], true);
}
