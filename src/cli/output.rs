//! What a command hands back to be printed: a typed payload plus how to show it to a person.
//!
//! Invariant: under `--json` stdout receives exactly one JSON object (the payload or the error);
//! the one exception is [`Reply::json_lines`] (`events tail`: one object per line). Warnings and
//! diagnostics always go to stderr.

use super::render::Style;
use serde::Serialize;
use std::io::{self, Write};

trait Body {
    fn json(&self, w: &mut dyn Write) -> io::Result<()>;
    fn human(&self, style: &Style) -> String;
    /// The payload as a JSON value: exactly what [`Body::json`] prints.
    fn value(&self) -> serde_json::Result<serde_json::Value>;
}

/// Nothing at all, in both modes: for commands whose output is a protocol stream (`jit mcp`).
struct Silent;

impl Body for Silent {
    fn json(&self, _: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    fn human(&self, _: &Style) -> String {
        String::new()
    }
    fn value(&self) -> serde_json::Result<serde_json::Value> {
        Ok(serde_json::Value::Null)
    }
}

struct Typed<T, F> {
    payload: T,
    human: F,
    /// Print each element of the top-level lists on one line (see [`ItemLines`]).
    item_lines: bool,
}

impl<T: Serialize, F: Fn(&T, &Style) -> String> Body for Typed<T, F> {
    fn json(&self, w: &mut dyn Write) -> io::Result<()> {
        if self.item_lines {
            let mut ser = serde_json::Serializer::with_formatter(&mut *w, ItemLines::default());
            self.payload.serialize(&mut ser).map_err(io::Error::other)?;
        } else {
            serde_json::to_writer_pretty(&mut *w, &self.payload).map_err(io::Error::other)?;
        }
        w.write_all(b"\n")
    }
    fn human(&self, style: &Style) -> String {
        (self.human)(&self.payload, style)
    }
    fn value(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::to_value(&self.payload)
    }
}

/// A list printed as JSON Lines under `--json`: one compact object per line (`events tail`).
struct Lines<T, F> {
    items: Vec<T>,
    human: F,
}

impl<T: Serialize, F: Fn(&[T], &Style) -> String> Body for Lines<T, F> {
    fn json(&self, w: &mut dyn Write) -> io::Result<()> {
        for item in &self.items {
            serde_json::to_writer(&mut *w, item).map_err(io::Error::other)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    }
    fn human(&self, style: &Style) -> String {
        (self.human)(&self.items, style)
    }
    fn value(&self) -> serde_json::Result<serde_json::Value> {
        serde_json::to_value(&self.items)
    }
}

/// A command's successful result.
pub struct Reply {
    body: Box<dyn Body>,
    /// Exit code (non-zero for reports of failure, e.g. `validate` finding problems).
    pub exit: u8,
    /// Printed to stderr, in both modes.
    pub warnings: Vec<String>,
}

impl Reply {
    /// A payload and its human rendering.
    pub fn new<T, F>(payload: T, human: F) -> Self
    where
        T: Serialize + 'static,
        F: Fn(&T, &Style) -> String + 'static,
    {
        Reply {
            body: Box::new(Typed {
                payload,
                human,
                item_lines: false,
            }),
            exit: 0,
            warnings: Vec::new(),
        }
    }

    /// A reply about one issue ([`crate::view::OneIssue`]): the issue flattened at the top,
    /// beside what the command did. Every command that changes or shows one issue replies
    /// through this (docs/cli.md); a debug build checks the flattening, so a reply that nests
    /// the issue, or shadows one of its keys, fails every test that runs the command.
    pub fn issue<T, F>(payload: T, human: F) -> Self
    where
        T: crate::view::OneIssue + 'static,
        F: Fn(&T, &Style) -> String + 'static,
    {
        if cfg!(debug_assertions) {
            let (whole, issue) = (
                serde_json::to_value(&payload),
                serde_json::to_value(payload.issue()),
            );
            if let (Ok(serde_json::Value::Object(whole)), Ok(serde_json::Value::Object(issue))) =
                (whole, issue)
            {
                for (k, v) in &issue {
                    assert!(
                        whole.get(k) == Some(v),
                        "`{}` replies about one issue without its `{k}` at the top",
                        std::any::type_name::<T>()
                    );
                }
            }
        }
        Reply::new(payload, human)
    }

    /// A payload whose top-level lists print one element per line under `--json` (the lean
    /// and `--fields` pages: a compact object per issue), the rest as pretty JSON.
    pub fn item_lines<T, F>(payload: T, human: F) -> Self
    where
        T: Serialize + 'static,
        F: Fn(&T, &Style) -> String + 'static,
    {
        Reply {
            body: Box::new(Typed {
                payload,
                human,
                item_lines: true,
            }),
            exit: 0,
            warnings: Vec::new(),
        }
    }

    /// A list printed as JSON Lines under `--json` (one compact object per line, no wrapper):
    /// the one documented exception to the one-object rule, used by `events tail`.
    pub fn json_lines<T, F>(items: Vec<T>, human: F) -> Self
    where
        T: Serialize + 'static,
        F: Fn(&[T], &Style) -> String + 'static,
    {
        Reply {
            body: Box::new(Lines { items, human }),
            exit: 0,
            warnings: Vec::new(),
        }
    }

    /// A reply that prints nothing on stdout (the command already spoke its own protocol).
    pub fn silent() -> Self {
        Reply {
            body: Box::new(Silent),
            exit: 0,
            warnings: Vec::new(),
        }
    }

    /// Exactly the text `--json` prints (field order and trailing newline included).
    pub fn json_text(&self) -> io::Result<String> {
        let mut buf = Vec::new();
        self.body.json(&mut buf)?;
        String::from_utf8(buf).map_err(io::Error::other)
    }

    /// The payload as the JSON value `--json` prints.
    pub fn json_value(&self) -> serde_json::Result<serde_json::Value> {
        self.body.value()
    }

    /// Sets the exit code.
    pub fn exit(mut self, code: u8) -> Self {
        self.exit = code;
        self
    }

    /// Adds warnings for stderr.
    pub fn warn(mut self, w: impl IntoIterator<Item = String>) -> Self {
        self.warnings.extend(w);
        self
    }

    /// Prints the reply. Returns an error only if stdout is gone.
    pub fn print(&self, json: bool, style: &Style) -> io::Result<()> {
        let mut err = io::stderr().lock();
        for w in &self.warnings {
            let _ = writeln!(
                err,
                "{}: {}",
                style.paint("warning", super::render::Color::Yellow),
                super::render::clean_line(w)
            );
        }
        // Buffered: stdout is line-buffered, and a long pretty-printed list would otherwise cost
        // one system call per line.
        let mut out = io::BufWriter::with_capacity(64 * 1024, io::stdout().lock());
        if json {
            self.body.json(&mut out)?;
        } else {
            let text = self.body.human(style);
            out.write_all(text.as_bytes())?;
            if !text.is_empty() && !text.ends_with('\n') {
                out.write_all(b"\n")?;
            }
        }
        out.flush()
    }
}

/// JSON laid out like `to_writer_pretty` at the top two levels (the reply object and its
/// fields, 2-space indent), with every value nested deeper written compactly on one line: a
/// list of issues prints one issue per line, which keeps a page small and lets line tools
/// (`grep`, `head`, `wc -l`) work on it. The output is ordinary JSON.
#[derive(Default)]
pub struct ItemLines {
    depth: usize,
    has_value: bool,
}

impl ItemLines {
    /// Containers opened deeper than this are written compactly.
    const PRETTY_DEPTH: usize = 2;

    fn pretty(&self) -> bool {
        self.depth <= Self::PRETTY_DEPTH
    }

    fn indent<W: ?Sized + Write>(&self, w: &mut W) -> io::Result<()> {
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, c: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(c)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, c: &[u8]) -> io::Result<()> {
        let pretty = self.pretty();
        self.depth -= 1;
        if pretty && self.has_value {
            w.write_all(b"\n")?;
            self.indent(w)?;
        }
        w.write_all(c)
    }

    fn item<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.pretty() {
            w.write_all(if first { b"\n" } else { b",\n" })?;
            self.indent(w)
        } else if first {
            Ok(())
        } else {
            w.write_all(b",")
        }
    }
}

impl serde_json::ser::Formatter for ItemLines {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.item(w, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(if self.pretty() { b": " } else { b":" })
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    mod one_issue {
        use super::super::Reply;
        use crate::model::{Issue, IssueId, Timestamp};
        use crate::view::{IssueView, OneIssue};
        use serde::Serialize;

        fn view() -> IssueView {
            let id = IssueId::parse("01J00000000000000000000001").unwrap();
            let now = Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
            IssueView::new(Issue::new(id, "t".into(), now), vec![])
        }

        #[derive(Serialize)]
        struct Flat {
            #[serde(flatten)]
            view: IssueView,
            changed: bool,
        }
        crate::one_issue!(Flat);

        #[derive(Serialize)]
        struct Nested {
            issue: IssueView,
        }
        impl OneIssue for Nested {
            fn issue(&self) -> &IssueView {
                &self.issue
            }
        }

        #[derive(Serialize)]
        struct Shadowed {
            #[serde(flatten)]
            view: IssueView,
            #[serde(rename = "state")]
            moved_to: &'static str,
        }
        crate::one_issue!(Shadowed);

        #[test]
        fn a_flattened_issue_is_the_reply() {
            let r = Reply::issue(
                Flat {
                    view: view(),
                    changed: true,
                },
                |_, _| String::new(),
            );
            let v = r.json_value().unwrap();
            assert_eq!(
                (v["short_id"].as_str(), v["changed"].as_bool()),
                (Some("00000001"), Some(true))
            );
        }

        #[test]
        #[should_panic(expected = "replies about one issue without its")]
        fn a_nested_issue_is_refused() {
            let _ = Reply::issue(Nested { issue: view() }, |_, _| String::new());
        }

        #[test]
        #[should_panic(expected = "without its `state` at the top")]
        fn a_key_that_shadows_the_issues_is_refused() {
            let _ = Reply::issue(
                Shadowed {
                    view: view(),
                    moved_to: "x",
                },
                |_, _| String::new(),
            );
        }
    }

    use super::ItemLines;

    fn lines(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::with_formatter(&mut out, ItemLines::default());
        serde::Serialize::serialize(v, &mut ser).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn items_of_top_level_lists_take_one_line_each() {
        let v = serde_json::json!({
            "issues": [{"id": "a", "labels": ["x", "y"], "n": {"k": 1}}, {"id": "b"}],
            "none": [],
            "empty": {},
            "total": 2
        });
        let text = lines(&v);
        assert_eq!(
            text,
            "{\n  \"empty\": {},\n  \"issues\": [\n    {\"id\":\"a\",\"labels\":[\"x\",\"y\"],\"n\":{\"k\":1}},\n    {\"id\":\"b\"}\n  ],\n  \"none\": [],\n  \"total\": 2\n}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
