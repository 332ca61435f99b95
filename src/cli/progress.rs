//! The progress line drawn on stderr for long work: `\r`, what, a percentage and a count,
//! redrawn at most ten times a second and erased when the phase ends.
//!
//! Invariant: drawn only when stderr is a terminal and `--json` is not given; otherwise the core
//! gets [`crate::progress::Silent`] and nothing is written.

use crate::progress::{Progress, Silent};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often the line may be redrawn.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// The reporter for a command: a line on stderr, or nothing.
pub fn for_stderr(json: bool) -> Box<dyn Progress> {
    if !json && std::io::stderr().is_terminal() {
        Box::new(Line::new(std::io::stderr(), INTERVAL))
    } else {
        Box::new(Silent)
    }
}

/// A progress line on a terminal writer.
pub struct Line<W: Write + Send> {
    state: Mutex<State<W>>,
}

struct State<W> {
    out: W,
    interval: Duration,
    what: String,
    total: u64,
    done: u64,
    last_draw: Option<Instant>,
    /// Width of what is on screen now (0: nothing drawn).
    width: usize,
}

impl<W: Write + Send> Line<W> {
    /// A line on `out`, redrawn at most once per `interval`.
    pub fn new(out: W, interval: Duration) -> Self {
        Line {
            state: Mutex::new(State {
                out,
                interval,
                what: String::new(),
                total: 0,
                done: 0,
                last_draw: None,
                width: 0,
            }),
        }
    }

    /// The writer, once the work is over.
    #[cfg(test)]
    pub fn into_inner(self) -> W {
        match self.state.into_inner() {
            Ok(s) => s.out,
            Err(poisoned) => poisoned.into_inner().out,
        }
    }

    fn with(&self, f: impl FnOnce(&mut State<W>)) {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }
}

impl<W: Write> State<W> {
    fn draw(&mut self, now: Instant) {
        let pct = (self.done.min(self.total) * 100)
            .checked_div(self.total)
            .unwrap_or(100);
        let text = format!("{} {pct:>3}% ({}/{})", self.what, self.done, self.total);
        let pad = self.width.saturating_sub(text.chars().count());
        // Errors on stderr are not worth failing the work for.
        let _ = write!(self.out, "\r{text}{}", " ".repeat(pad));
        let _ = self.out.flush();
        self.width = text.chars().count();
        self.last_draw = Some(now);
    }

    fn clear(&mut self) {
        if self.width > 0 {
            let _ = write!(self.out, "\r{}\r", " ".repeat(self.width));
            let _ = self.out.flush();
            self.width = 0;
        }
        self.last_draw = None;
    }
}

impl<W: Write + Send> Progress for Line<W> {
    fn start(&self, what: &str, total: u64) {
        self.with(|s| {
            s.clear();
            s.what = what.to_string();
            s.total = total;
            s.done = 0;
        });
    }

    fn advance(&self, n: u64) {
        self.with(|s| {
            s.done = s.done.saturating_add(n);
            let now = Instant::now();
            if s.last_draw
                .is_none_or(|t| now.duration_since(t) >= s.interval)
            {
                s.draw(now);
            }
        });
    }

    fn finish(&self) {
        self.with(|s| s.clear());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_percentage_and_count_then_clears() {
        let line = Line::new(Vec::new(), Duration::ZERO);
        line.start("reading issues", 4);
        line.advance(1);
        line.advance(1);
        line.advance(2);
        line.finish();
        let out = String::from_utf8(line.into_inner()).unwrap();
        assert_eq!(
            out,
            "\rreading issues  25% (1/4)\
             \rreading issues  50% (2/4)\
             \rreading issues 100% (4/4)\
             \r                         \r"
        );
    }

    #[test]
    fn throttles_redraws() {
        let line = Line::new(Vec::new(), Duration::from_secs(3600));
        line.start("importing", 1000);
        for _ in 0..1000 {
            line.advance(1);
        }
        line.finish();
        let out = String::from_utf8(line.into_inner()).unwrap();
        // The first step draws; the rest fall inside the interval; the end erases the line.
        assert_eq!(out.matches("importing").count(), 1, "{out:?}");
        assert!(out.starts_with("\rimporting   0% (1/1000)"));
        assert!(out.ends_with("\r"));
    }

    #[test]
    fn a_shorter_line_overwrites_a_longer_one_and_nothing_is_drawn_without_steps() {
        let line = Line::new(Vec::new(), Duration::ZERO);
        line.start("x", 0);
        line.finish();
        line.start("writing site", 10);
        line.advance(10);
        line.start("ab", 2);
        line.advance(1);
        line.finish();
        let out = String::from_utf8(line.into_inner()).unwrap();
        assert_eq!(
            out,
            "\rwriting site 100% (10/10)\r                         \r\rab  50% (1/2)\r             \r"
        );
    }
}
