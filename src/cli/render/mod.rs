//! Rendering for people: styles, safe text, tables and detail views. The only place that
//! decides how human output looks; commands hand typed data here.
//!
//! Invariant: every piece of user text passes through [`clean_line`] or [`clean_block`] before
//! it reaches a terminal, so escape sequences, control and bidi characters are shown, not obeyed.

pub mod human;
pub mod table;
pub mod term;

use std::io::IsTerminal;

/// Terminal colours used by jit.
#[derive(Clone, Copy, Debug)]
pub enum Color {
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Dim,
    Bold,
}

/// How to style human output.
#[derive(Clone, Debug)]
pub struct Style {
    /// Colour on: stdout is a terminal and `NO_COLOR` is not set.
    pub color: bool,
}

impl Style {
    /// Detects colour support for stdout.
    pub fn detect() -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Style {
            color: std::io::stdout().is_terminal() && !no_color && !dumb,
        }
    }

    /// Plain style (tests, files).
    pub fn plain() -> Self {
        Style { color: false }
    }

    /// Wraps text in a colour when colour is on.
    pub fn paint(&self, text: &str, c: Color) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match c {
            Color::Red => "31",
            Color::Green => "32",
            Color::Yellow => "33",
            Color::Blue => "34",
            Color::Magenta => "35",
            Color::Cyan => "36",
            Color::Dim => "2",
            Color::Bold => "1",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn escape(c: char, out: &mut String) {
    out.push_str(&format!("\\u{{{:x}}}", c as u32));
}

/// User text for one line: every control, bidi or zero-width character is shown escaped,
/// including line breaks.
pub fn clean_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_unsafe(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

/// User text for a block: keeps newlines and tabs, escapes everything else that is unsafe.
pub fn clean_block(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\n' || c == '\t' {
            out.push(c);
        } else if is_unsafe(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_terminal_attacks() {
        assert_eq!(clean_line("a\x1b[31mb"), "a\\u{1b}[31mb");
        assert_eq!(clean_line("x\u{202E}y\nz"), "x\\u{202e}y\\u{a}z");
        assert_eq!(clean_block("l1\nl2\t\x07"), "l1\nl2\t\\u{7}");
    }
}
