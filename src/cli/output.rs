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
}

impl<T: Serialize, F: Fn(&T, &Style) -> String> Body for Typed<T, F> {
    fn json(&self, w: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *w, &self.payload).map_err(io::Error::other)?;
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
            body: Box::new(Typed { payload, human }),
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
