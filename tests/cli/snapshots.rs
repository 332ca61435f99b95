//! Snapshots of what people read: `--help` and the human output of the main commands on a small
//! fixed store. Ids, times and temp paths are redacted; issues are named by their titles' first
//! word so a reviewer can tell the rows apart.

use crate::common::{Repo, assert_ok, jit_cmd, stdout};

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

/// A small fixed store and the filters that name its ids.
struct Fixture {
    repo: Repo,
    ids: Vec<(String, String)>, // (name, short id)
}

impl Fixture {
    fn new() -> Self {
        let repo = Repo::new();
        let run = |args: &[&str]| {
            let out = repo.jit_env(&[args, &["--json"]].concat(), &[("JIT_NOW", NOW)]);
            assert_ok(&out);
            crate::common::parse_one_object(&out)
        };
        let create = |args: &[&str]| {
            run(&[&["issue", "create"], args].concat())["short_id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        run(&["gate", "define", "review", "--title", "Code review"]);
        run(&[
            "gate",
            "define",
            "unit",
            "--title",
            "Unit tests",
            "--auto",
            "--checker",
            "cargo test",
        ]);
        let alpha = create(&[
            "--title",
            "alpha: design the schema",
            "--priority",
            "high",
            "--type",
            "feature",
            "--label",
            "design",
        ]);
        let bravo = create(&[
            "--title",
            "bravo: write the store",
            "--dep",
            &alpha,
            "--gate",
            "unit",
            "--desc",
            "Atomic writes.\n- [ ] fsync",
        ]);
        let delta = create(&[
            "--title",
            "delta: ship it",
            "--dep",
            &bravo,
            "--gate",
            "review",
            "--milestone",
            "v1",
        ]);
        let gamma = create(&[
            "--title",
            "gamma: fix typo in README",
            "--type",
            "bug",
            "--priority",
            "low",
        ]);
        run(&["issue", "update", &alpha, "--state", "done"]);
        run(&[
            "issue",
            "update",
            &bravo,
            "--state",
            "in_progress",
            "--context",
            "branch=store",
        ]);
        let ids = [
            ("alpha", alpha),
            ("bravo", bravo),
            ("delta", delta),
            ("gamma", gamma),
        ]
        .into_iter()
        .map(|(n, s)| (n.to_string(), s))
        .collect();
        Fixture { repo, ids }
    }

    /// Human output of a command, redacted.
    fn human(&self, args: &[&str]) -> String {
        let out = self.repo.jit_env(args, &[("JIT_NOW", NOW)]);
        assert_ok(&out);
        stdout(&out)
    }

    fn filters(&self) -> Vec<(String, String)> {
        let mut f = Vec::new();
        for (name, short) in &self.ids {
            let full = self.repo.full_id(short);
            f.push((literal(&full), format!("[{name}-ULID]")));
            // Same width as a short id, so tables stay aligned.
            f.push((literal(short), format!("{name:_<8}")));
        }
        let root = self.repo.path();
        let canonical = std::fs::canonicalize(root).unwrap();
        f.push((literal(&canonical.to_string_lossy()), "[REPO]".into()));
        f.push((literal(&root.to_string_lossy()), "[REPO]".into()));
        f.extend(generic_filters());
        f
    }
}

fn generic_filters() -> Vec<(String, String)> {
    vec![
        (r"\b[0-9A-HJKMNP-TV-Z]{26}\b".into(), "[ULID]".into()),
        (
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z".into(),
            "[TIME]".into(),
        ),
    ]
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

fn help(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = jit_cmd(dir.path()).args(args).output().unwrap();
    assert_ok(&out);
    stdout(&out)
}

#[test]
fn help_texts() {
    let none = Vec::new();
    assert_snap("help", &none, &help(&["--help"]));
    assert_snap("help_issue", &none, &help(&["issue", "--help"]));
    assert_snap(
        "help_issue_create",
        &none,
        &help(&["issue", "create", "--help"]),
    );
}

#[test]
fn human_output_of_a_small_store() {
    let fx = Fixture::new();
    let f = fx.filters();
    let id = |name: &str| fx.ids.iter().find(|(n, _)| n == name).unwrap().1.clone();
    assert_snap("issue_list", &f, &fx.human(&["issue", "list"]));
    assert_snap(
        "issue_show",
        &f,
        &fx.human(&["issue", "show", &id("bravo")]),
    );
    assert_snap(
        "issue_show_blocked",
        &f,
        &fx.human(&["issue", "show", &id("delta")]),
    );
    assert_snap(
        "graph_show",
        &f,
        &fx.human(&["graph", "show", &id("delta")]),
    );
    assert_snap(
        "graph_downstream",
        &f,
        &fx.human(&["graph", "downstream", &id("alpha")]),
    );
    assert_snap("graph_order", &f, &fx.human(&["graph", "order"]));
    assert_snap("gate_list", &f, &fx.human(&["gate", "list"]));
    assert_snap("validate", &f, &fx.human(&["validate"]));
}

#[test]
fn human_output_of_validate_with_problems() {
    let fx = Fixture::new();
    let gamma = fx.ids.iter().find(|(n, _)| n == "gamma").unwrap().1.clone();
    fx.repo.edit_issue(&gamma, |v| {
        v["dependencies"] = serde_json::json!(["00000000000000000000000000"]);
        v["gates_required"] = serde_json::json!(["ghost"]);
    });
    let out = fx.repo.jit_env(&["validate"], &[("JIT_NOW", NOW)]);
    assert_eq!(crate::common::code(&out), 8);
    assert_snap("validate_problems", &fx.filters(), &stdout(&out));
}
