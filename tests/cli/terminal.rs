//! What people read at a terminal: tables that fit 60, 100 and 200 columns on a real
//! pseudo-terminal and are never cut in a pipe, colour only on a terminal, relative times, a
//! parent's sub-tasks, the hierarchy tree and the timeline of one issue. Snapshots redact ids
//! (each issue is named by its title's first word, at the width of a short id) and RFC 3339
//! times; every other time is relative to a fixed `JIT_NOW`.

use crate::common::{Repo, assert_ok, parse_one_object, stdout};
use crate::tty;
use unicode_width::UnicodeWidthStr;

const T0: &str = "2026-03-02T09:00:00Z";
const T1: &str = "2026-03-02T10:00:00Z";
const T2: &str = "2026-03-02T11:50:00Z";
/// "Now" for every command that prints.
const NOW: &str = "2026-03-02T12:00:00Z";

pub struct Fixture {
    pub repo: Repo,
    pub ids: Vec<(&'static str, String)>,
}

impl Fixture {
    pub fn new() -> Self {
        let repo = Repo::new();
        let at = |when: &str, args: &[&str]| {
            let out = repo.jit_env(&[args, &["--json"]].concat(), &[("JIT_NOW", when)]);
            assert_ok(&out);
            parse_one_object(&out)
        };
        let create = |when: &str, args: &[&str]| {
            at(when, &[&["issue", "create"], args].concat())["short_id"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let epic = create(
            T0,
            &[
                "--title",
                "Storage engine: a durable, crash-safe store for every issue and its history",
                "--type",
                "epic",
                "--priority",
                "high",
                "--label",
                "storage",
                "--milestone",
                "v1",
            ],
        );
        let wal = create(T0, &["--title", "Write-ahead log", "--parent", &epic]);
        let compaction = create(
            T0,
            &[
                "--title",
                "Compaction of old segments into one file, with a title long enough to be cut",
                "--parent",
                &epic,
                "--dep",
                &wal,
            ],
        );
        let crash = create(
            T0,
            &[
                "--title",
                "Crash when a title holds 日本語 (wide characters)",
                "--type",
                "bug",
                "--priority",
                "critical",
            ],
        );
        let docs = create(
            T0,
            &["--title", "Docs for the file format", "--priority", "low"],
        );
        at(T1, &["issue", "update", &wal, "--state", "done"]);
        at(
            T2,
            &[
                "issue",
                "claim",
                &compaction,
                "--to",
                "agent:bot-1",
                "--ttl",
                "30m",
            ],
        );
        at(T1, &["issue", "defer", &docs, "--until", "2026-03-10"]);
        Fixture {
            repo,
            ids: vec![
                ("storage", epic),
                ("write", wal),
                ("compact", compaction),
                ("crash", crash),
                ("docs", docs),
            ],
        }
    }

    pub fn id(&self, name: &str) -> String {
        self.ids.iter().find(|(n, _)| *n == name).unwrap().1.clone()
    }

    /// The command as a person at a terminal `cols` wide runs it (no `COLUMNS`: the width is
    /// the terminal's).
    pub fn tty(&self, args: &[&str], cols: u16, color: bool) -> String {
        let mut cmd = self.repo.cmd();
        cmd.args(args)
            .env("JIT_NOW", NOW)
            .env("TERM", "xterm-256color")
            .env_remove("COLUMNS");
        if color {
            cmd.env_remove("NO_COLOR");
        }
        let s = tty::run(cmd, cols);
        assert_eq!(s.code, 0, "{args:?}:\n{}", s.text);
        s.text
    }

    /// The command's output in a pipe.
    pub fn pipe(&self, args: &[&str]) -> String {
        let out = self.repo.jit_env(args, &[("JIT_NOW", NOW)]);
        assert_ok(&out);
        stdout(&out)
    }

    fn filters(&self) -> Vec<(String, String)> {
        let mut f = Vec::new();
        for (name, short) in &self.ids {
            let full = self.repo.full_id(short);
            f.push((full, format!("[{name}-ULID]")));
            f.push((short.clone(), format!("{name:_<8}")));
        }
        f.push((
            r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z".into(),
            "[TIME]".into(),
        ));
        f
    }

    pub fn snap(&self, name: &str, text: &str) {
        let filters = self.filters();
        let filters: Vec<(&str, &str)> = filters
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false, omit_expression => true }, {
            insta::assert_snapshot!(name, text);
        });
    }
}

fn widest(text: &str) -> usize {
    text.lines().map(UnicodeWidthStr::width).max().unwrap_or(0)
}

#[test]
fn issue_tables_fit_60_100_and_200_columns_and_are_never_cut_in_a_pipe() {
    let fx = Fixture::new();
    for cols in [60u16, 100, 200] {
        let text = fx.tty(&["issue", "list"], cols, false);
        assert!(
            widest(&text) <= cols as usize,
            "a line is wider than {cols} columns:\n{text}"
        );
        fx.snap(&format!("terminal_issue_list_{cols}"), &text);
    }
    let narrow = fx.tty(&["issue", "list"], 60, false);
    assert!(
        narrow.contains('…'),
        "60 columns cut the long titles:\n{narrow}"
    );
    assert!(
        !narrow.contains("UPDATED") && !narrow.contains("TYPE"),
        "60 columns drop UPDATED and TYPE first:\n{narrow}"
    );
    let wide = fx.tty(&["issue", "list"], 200, false);
    assert!(!wide.contains('…'), "200 columns cut nothing:\n{wide}");
    // In a pipe (and COLUMNS=100 is set here): every column, every character, one line each.
    let piped = fx.pipe(&["issue", "list"]);
    for title in [
        "Storage engine: a durable, crash-safe store for every issue and its history [1/2 done]",
        "Compaction of old segments into one file, with a title long enough to be cut",
        "Crash when a title holds 日本語 (wide characters)",
    ] {
        assert!(
            piped.lines().any(|l| l.ends_with(title)),
            "`{title}` whole in the pipe:\n{piped}"
        );
    }
    assert!(!piped.contains('…') && piped.contains("UPDATED"));
    assert!(
        !piped.contains("Write-ahead log"),
        "done work is left out unless --all:\n{piped}"
    );
    assert!(piped.contains("(1 done or archived not shown; --all lists them)"));
    fx.snap("terminal_issue_list_pipe", &piped);
    let all = fx.pipe(&["issue", "list", "--all"]);
    assert!(all.contains("Write-ahead log") && !all.contains("not shown"));
}

#[test]
fn colour_marks_state_and_priority_on_a_terminal_only() {
    let fx = Fixture::new();
    let coloured = fx.tty(&["issue", "list"], 200, true);
    // Ready in green, critical in red, low dimmed, in_progress in blue.
    for painted in [
        "\x1b[32mready\x1b[0m",
        "\x1b[31mcritical\x1b[0m",
        "\x1b[2mlow\x1b[0m",
        "\x1b[34min_progress\x1b[0m",
    ] {
        assert!(coloured.contains(painted), "{painted:?} in:\n{coloured:?}");
    }
    // Colour does not move the columns: without the escapes it is the plain table.
    let plain = fx.tty(&["issue", "list"], 200, false);
    assert!(
        !plain.contains('\x1b'),
        "NO_COLOR turns colour off:\n{plain:?}"
    );
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, plain);
    // A pipe gets no colour even without NO_COLOR.
    let out = fx
        .repo
        .cmd()
        .args(["issue", "list"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .output()
        .unwrap();
    assert!(!stdout(&out).contains('\x1b'));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\x1b' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_parent_lists_its_sub_tasks_with_relative_times() {
    let fx = Fixture::new();
    let epic = fx.id("storage");
    let narrow = fx.tty(&["issue", "show", &epic], 60, false);
    // The heading keeps the whole title (the terminal wraps it); the sub-task table fits.
    let (heading, rest) = narrow.split_once('\n').unwrap();
    assert!(
        heading.ends_with("for every issue and its history"),
        "{heading}"
    );
    assert!(widest(rest) <= 60, "{narrow}");
    assert!(rest.contains("Compaction of old seg…"), "{narrow}");
    fx.snap("terminal_issue_show_parent_60", &narrow);
    let piped = fx.pipe(&["issue", "show", &epic]);
    assert!(piped.contains("sub-tasks (1/2 done):"), "{piped}");
    assert!(piped.contains("progress:    1/2 done"), "{piped}");
    assert!(
        piped.contains("created:     3h ago by human:tester"),
        "{piped}"
    );
    fx.snap("terminal_issue_show_parent_pipe", &piped);
    let sub = fx.pipe(&["issue", "show", &fx.id("compact")]);
    assert!(
        sub.contains("lease:       agent:bot-1, ends in 20m (2026-03-02 12:20 UTC)"),
        "{sub}"
    );
    let docs = fx.pipe(&["issue", "show", &fx.id("docs")]);
    assert!(
        docs.contains("deferred:    until 2026-03-10 00:00 UTC (in 8d); not ready work until then"),
        "{docs}"
    );
    let done = fx.pipe(&["issue", "show", &fx.id("write")]);
    assert!(done.contains("finished:    2h ago"), "{done}");
}

#[test]
fn the_tree_draws_parents_sub_tasks_and_dependencies() {
    let fx = Fixture::new();
    let piped = fx.pipe(&["graph", "tree"]);
    fx.snap("terminal_graph_tree_pipe", &piped);
    let narrow = fx.tty(&["graph", "tree", "--all"], 60, false);
    assert!(widest(&narrow) <= 60, "{narrow}");
    fx.snap("terminal_graph_tree_all_60", &narrow);
    let v = fx.repo.ok(&["graph", "tree", &fx.id("storage"), "--all"]);
    let root = &v["roots"][0];
    assert_eq!(
        root["progress"],
        serde_json::json!({ "done": 1, "total": 2 })
    );
    let kids: Vec<&str> = root["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["short_id"].as_str().unwrap())
        .collect();
    assert_eq!(kids, [fx.id("write"), fx.id("compact")]);
    assert_eq!(
        root["children"][1]["dependencies"][0]["state"], "done",
        "{v:#}"
    );
}

#[test]
fn the_log_reads_as_a_timeline() {
    let fx = Fixture::new();
    let text = fx.tty(&["issue", "log", &fx.id("compact")], 100, false);
    assert!(widest(&text) <= 100, "{text}");
    assert!(text.starts_with("Mon 2026-03-02 · today\n"), "{text}");
    let piped = fx.pipe(&["issue", "log", &fx.id("compact")]);
    assert!(
        piped.contains(&format!("dependencies = [{}]", fx.id("write"))),
        "ids as short ids:\n{piped}"
    );
    fx.snap("terminal_issue_log_pipe", &piped);
}
