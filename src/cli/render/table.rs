//! Tables that fit the terminal: aligned columns measured by display width, colour that does
//! not disturb the alignment, and, on a terminal only, columns dropped and the one flexible
//! column (a title) cut with an ellipsis so every row stays one line.
//!
//! Invariants: without a width (stdout is not a terminal) every column is printed and no cell
//! is cut, so a pipe or a file gets every character; the layout is that of the rest of jit's
//! tables (one leading space, two spaces between columns, no trailing spaces). Cell text is
//! already safe ([`super::clean_line`]).

use super::{Color, Style};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// One column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    /// When the terminal is too narrow, columns with a higher rank are dropped first; rank 0 is
    /// never dropped.
    pub drop: u8,
    /// The column that gives way: cut with an ellipsis down to `min` on a terminal.
    pub flex: bool,
    pub min: usize,
}

impl Column {
    /// A column that is always shown, at its full width.
    pub const fn keep(header: &'static str) -> Self {
        Column {
            header,
            drop: 0,
            flex: false,
            min: 0,
        }
    }

    /// A column dropped (highest `rank` first) when the terminal is too narrow.
    pub const fn optional(header: &'static str, rank: u8) -> Self {
        Column {
            header,
            drop: rank,
            flex: false,
            min: 0,
        }
    }

    /// The column that is cut to fit, never below `min` characters.
    pub const fn flex(header: &'static str, min: usize) -> Self {
        Column {
            header,
            drop: 0,
            flex: true,
            min,
        }
    }
}

/// One cell: its text, an optional colour, and a tail that is kept when the text is cut (such
/// as a parent's ` [2/3 done]`).
#[derive(Debug, Clone, Default)]
pub struct Cell {
    pub text: String,
    pub color: Option<Color>,
    pub tail: String,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Self {
        Cell {
            text: text.into(),
            ..Cell::default()
        }
    }

    pub fn painted(text: impl Into<String>, color: Option<Color>) -> Self {
        Cell {
            text: text.into(),
            color,
            tail: String::new(),
        }
    }

    pub fn with_tail(mut self, tail: impl Into<String>) -> Self {
        self.tail = tail.into();
        self
    }

    fn width(&self) -> usize {
        self.text.width() + self.tail.width()
    }
}

/// How to lay a table out.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    /// The width to fit, or `None` to print everything (not a terminal).
    pub width: Option<usize>,
    /// Print the header row.
    pub header: bool,
    /// Spaces before each line.
    pub indent: usize,
}

impl Layout {
    /// The layout for stdout: its width when it is a terminal.
    pub fn stdout() -> Self {
        Layout {
            width: super::term::width(),
            header: true,
            indent: 1,
        }
    }
}

/// Cuts `s` to at most `max` display columns, ending in `…` when anything was cut.
pub fn cut(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > max - 1 {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out
}

/// Renders rows under `cols`, one line each (see the module docs). Returns the lines, header
/// first when asked for; each ends without trailing spaces.
pub fn lines(cols: &[Column], rows: &[Vec<Cell>], style: &Style, layout: Layout) -> Vec<String> {
    let n = cols.len();
    let natural: Vec<usize> = (0..n)
        .map(|k| {
            let head = if layout.header {
                cols[k].header.width()
            } else {
                0
            };
            rows.iter()
                .map(|r| r.get(k).map_or(0, Cell::width))
                .max()
                .unwrap_or(0)
                .max(head)
        })
        .collect();
    let mut shown: Vec<bool> = vec![true; n];
    let mut widths = natural.clone();
    if let Some(total) = layout.width {
        let used = |shown: &[bool], widths: &[usize]| -> usize {
            let visible: Vec<usize> = (0..n).filter(|&k| shown[k]).collect();
            layout.indent
                + visible.iter().map(|&k| widths[k]).sum::<usize>()
                + 2 * visible.len().saturating_sub(1)
        };
        let floor = |k: usize| {
            if cols[k].flex {
                natural[k].min(cols[k].min.max(cols[k].header.width()))
            } else {
                natural[k]
            }
        };
        loop {
            let at_floor: Vec<usize> = (0..n).map(floor).collect();
            if used(&shown, &at_floor) <= total {
                break;
            }
            let next = (0..n)
                .filter(|&k| shown[k] && cols[k].drop > 0)
                .max_by_key(|&k| (cols[k].drop, k));
            match next {
                Some(k) => shown[k] = false,
                None => break,
            }
        }
        for k in (0..n).filter(|&k| cols[k].flex && shown[k]) {
            let others: usize = used(&shown, &widths) - widths[k];
            widths[k] = natural[k].min(total.saturating_sub(others).max(floor(k)));
        }
    }
    let visible: Vec<usize> = (0..n).filter(|&k| shown[k]).collect();
    let mut out = Vec::with_capacity(rows.len() + 1);
    let pad = " ".repeat(layout.indent);
    let render = |cells: Vec<(String, usize, Option<Color>)>| -> String {
        let mut line = pad.clone();
        let last = cells.len().saturating_sub(1);
        for (j, (text, w, color)) in cells.into_iter().enumerate() {
            let visible_w = text.width();
            match color {
                Some(c) => line.push_str(&style.paint(&text, c)),
                None => line.push_str(&text),
            }
            if j < last {
                line.push_str(&" ".repeat(w.saturating_sub(visible_w) + 2));
            }
        }
        line.truncate(line.trim_end().len());
        line
    };
    if layout.header {
        out.push(render(
            visible
                .iter()
                .map(|&k| (cols[k].header.to_string(), widths[k], None))
                .collect(),
        ));
    }
    for r in rows {
        out.push(render(
            visible
                .iter()
                .map(|&k| {
                    let cell = r.get(k).cloned().unwrap_or_default();
                    let w = widths[k];
                    let text = if cell.width() > w {
                        let room = w.saturating_sub(cell.tail.width());
                        if room == 0 {
                            cut(&format!("{}{}", cell.text, cell.tail), w)
                        } else {
                            format!("{}{}", cut(&cell.text, room), cell.tail)
                        }
                    } else {
                        format!("{}{}", cell.text, cell.tail)
                    };
                    (text, w, cell.color)
                })
                .collect(),
        ));
    }
    out
}

/// [`lines`] joined, each line ending in a newline.
pub fn render(cols: &[Column], rows: &[Vec<Cell>], style: &Style, layout: Layout) -> String {
    let mut s = String::new();
    for l in lines(cols, rows, style, layout) {
        s.push_str(&l);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols() -> Vec<Column> {
        vec![
            Column::keep("ID"),
            Column::optional("TYPE", 2),
            Column::optional("WHO", 1),
            Column::flex("TITLE", 16),
        ]
    }

    fn rows() -> Vec<Vec<Cell>> {
        vec![vec![
            Cell::new("a1"),
            Cell::new("feature"),
            Cell::new("human:alice"),
            Cell::new("A rather long title that goes on").with_tail(" [1/2 done]"),
        ]]
    }

    fn at(width: Option<usize>) -> Vec<String> {
        let layout = Layout {
            width,
            header: true,
            indent: 1,
        };
        lines(&cols(), &rows(), &Style::plain(), layout)
    }

    #[test]
    fn without_a_width_nothing_is_cut_or_dropped() {
        let l = at(None);
        assert_eq!(l[0], " ID  TYPE     WHO          TITLE");
        assert_eq!(
            l[1],
            " a1  feature  human:alice  A rather long title that goes on [1/2 done]"
        );
    }

    #[test]
    fn narrow_terminals_cut_the_title_then_drop_columns_in_rank_order() {
        for w in [20, 30, 40, 50, 60, 70, 200] {
            for line in at(Some(w)) {
                assert!(line.width() <= w.max(22), "{w}: `{line}`");
            }
        }
        // The title gives way first, keeping its tail.
        let l = at(Some(50));
        assert_eq!(l[1], " a1  feature  human:alice  A rather lo… [1/2 done]");
        // Then TYPE goes (the highest rank), then WHO.
        let l = at(Some(40));
        assert_eq!(l[0], " ID  WHO          TITLE");
        assert_eq!(l[1], " a1  human:alice  A rather l… [1/2 done]");
        let l = at(Some(30));
        assert_eq!(l[0], " ID  TITLE");
        assert_eq!(l[1], " a1  A rather long… [1/2 done]");
    }

    #[test]
    fn colour_does_not_move_the_columns() {
        let style = Style { color: true };
        let rows = vec![
            vec![Cell::painted("ready", Some(Color::Green)), Cell::new("x")],
            vec![Cell::new("in_progress"), Cell::new("y")],
        ];
        let cols = [Column::keep("STATE"), Column::flex("T", 1)];
        let l = lines(&cols, &rows, &style, Layout::stdout_for_tests());
        assert_eq!(l[1], " \u{1b}[32mready\u{1b}[0m        x");
        assert_eq!(l[2], " in_progress  y");
    }

    #[test]
    fn cut_counts_display_columns() {
        assert_eq!(cut("日本語のタイトル", 7), "日本語…");
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("abcdef", 4), "abc…");
    }

    impl Layout {
        fn stdout_for_tests() -> Self {
            Layout {
                width: None,
                header: true,
                indent: 1,
            }
        }
    }
}
