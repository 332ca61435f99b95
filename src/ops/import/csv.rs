//! CSV: the RFC 4180 parser shared by the CSV, Jira and Linear imports, the [`Table`] the
//! presets read columns from (repeated columns included), and the generic `jit import csv`
//! source with its `--map COLUMN=field` mapping.
//!
//! Invariant: a row is read by header name, case-insensitively; a row with more or fewer
//! fields than the header is an error naming its line; every column is mapped, kept or
//! refused, never silently ignored.

use super::convert;
use super::read::MAX_RECORDS;
use super::record::{Notes, Parsed, Place, Record, Ref, RefKind, Want, context_key};
use crate::error::Result;
use crate::model::{LinkKind, Priority, State};
use std::collections::{HashMap, HashSet};

/// One CSV record and the line it starts on.
#[derive(Debug, PartialEq, Clone)]
pub struct Row {
    pub line: usize,
    pub fields: Vec<String>,
}

/// Parses CSV (RFC 4180): fields separated by commas, records by LF or CRLF; a field in double
/// quotes may hold commas, line breaks and doubled quotes (`""`). Blank lines are skipped. A
/// quote inside an unquoted field is kept as a character. An unclosed quote is an error naming
/// the line it opened on. A leading byte-order mark is dropped.
pub fn parse(text: &str) -> std::result::Result<Vec<Row>, (usize, String)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let mut fields: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut line = 1;
    let mut start = 1;
    let mut in_quotes = false;
    let mut quote_line = 0;
    let mut field_start = true;
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    let mut end_record = |fields: &mut Vec<String>,
                          quoted: bool,
                          start: usize|
     -> std::result::Result<(), (usize, String)> {
        let blank = !quoted && fields.len() == 1 && fields[0].trim().is_empty();
        if !blank {
            if records.len() >= MAX_RECORDS {
                return Err((start, format!("more than {MAX_RECORDS} rows")));
            }
            records.push(Row {
                line: start,
                fields: std::mem::take(fields),
            });
        }
        fields.clear();
        Ok(())
    };
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                c => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field_start => {
                in_quotes = true;
                quoted = true;
                quote_line = line;
                field_start = false;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                field_start = true;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                fields.push(std::mem::take(&mut field));
                end_record(&mut fields, quoted, start)?;
                quoted = false;
                field_start = true;
                line += 1;
                start = line;
            }
            c => {
                field.push(c);
                field_start = false;
            }
        }
    }
    if in_quotes {
        return Err((
            quote_line,
            "a quoted field is never closed (a `\"` is missing)".into(),
        ));
    }
    if !fields.is_empty() || !field.is_empty() || quoted {
        fields.push(field);
        end_record(&mut fields, quoted, start)?;
    }
    Ok(records)
}

/// A parsed CSV file: the header and the rows, checked for width.
#[derive(Debug)]
pub struct Table {
    pub path: String,
    pub header: Vec<String>,
    /// Column positions by lower-cased, trimmed header name (repeated columns keep every one).
    columns: HashMap<String, Vec<usize>>,
    pub rows: Vec<Row>,
}

impl Table {
    /// Parses `text`; a problem is reported into `notes` (and `None` returned) with its line.
    pub fn read(path: &str, text: &str, notes: &mut Notes) -> Option<Table> {
        let rows = match parse(text) {
            Ok(r) => r,
            Err((line, message)) => {
                notes.error(&Place::line(path, line), None, "csv", message);
                return None;
            }
        };
        let mut rows = rows.into_iter();
        let Some(header) = rows.next() else {
            notes.error(
                &Place::file(path),
                None,
                "csv",
                "the file is empty; the first line must name the columns".into(),
            );
            return None;
        };
        let header: Vec<String> = header.fields.iter().map(|h| h.trim().to_string()).collect();
        let mut columns: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, h) in header.iter().enumerate() {
            columns.entry(h.to_lowercase()).or_default().push(i);
        }
        let rows: Vec<Row> = rows.collect();
        let mut ok = true;
        for r in &rows {
            if r.fields.len() != header.len() {
                ok = false;
                notes.error(
                    &Place::line(path, r.line),
                    None,
                    "csv",
                    format!(
                        "has {} field(s); the header has {}",
                        r.fields.len(),
                        header.len()
                    ),
                );
            }
        }
        ok.then(|| Table {
            path: path.to_string(),
            header,
            columns,
            rows,
        })
    }

    /// Positions of a column (any case), in header order.
    pub fn positions(&self, name: &str) -> &[usize] {
        self.columns
            .get(&name.to_lowercase())
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The first non-blank value of a column in a row.
    pub fn get<'a>(&self, row: &'a Row, name: &str) -> Option<&'a str> {
        self.positions(name)
            .iter()
            .map(|&i| row.fields[i].trim())
            .find(|v| !v.is_empty())
    }

    /// Every non-blank value of a (repeated) column in a row.
    pub fn all<'a>(&self, row: &'a Row, name: &str) -> Vec<&'a str> {
        self.positions(name)
            .iter()
            .map(|&i| row.fields[i].trim())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The distinct column names (first spelling, header order).
    pub fn names(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.header
            .iter()
            .filter(|h| seen.insert(h.to_lowercase()))
            .map(String::as_str)
            .collect()
    }
}

/// Keeps every column of `table` not in `handled` (lower-case names) under `prefix_<column>` in
/// the record's context; repeated columns are joined with newlines.
pub fn keep_rest(
    table: &Table,
    row: &Row,
    handled: &HashSet<&str>,
    prefix: &str,
    rec: &mut Record,
    notes: &mut Notes,
) {
    for name in table.names() {
        if handled.contains(name.to_lowercase().as_str()) {
            continue;
        }
        let values = table.all(row, name);
        if values.is_empty() {
            continue;
        }
        let key = context_key(prefix, name);
        let joined = values.join("\n");
        match convert::context_value(&joined) {
            Ok(v) => {
                notes.kept(name, &format!("context.{key}"));
                rec.context.insert(key, v);
            }
            Err(m) => notes.error(&rec.place, Some(&rec.source_id), name, m),
        }
    }
}

/// The jit fields a CSV column can be mapped to with `--map COLUMN=field`.
pub const MAP_FIELDS: &[&str] = &[
    "title",
    "description",
    "priority",
    "labels",
    "type",
    "milestone",
    "state",
    "id",
    "parent",
    "depends_on",
    "relates",
    "duplicates",
    "assignee",
    "reporter",
    "due",
    "estimate",
    "created",
    "url",
    "context.KEY",
    "ignore",
];

/// The columns a plain CSV may have without `--map` (`title` is required).
pub const CSV_COLUMNS: [&str; 7] = [
    "title",
    "priority",
    "labels",
    "type",
    "milestone",
    "state",
    "description",
];

#[derive(Debug, Clone, PartialEq)]
enum Target {
    Field(&'static str),
    Context(String),
    Ignore,
}

fn target(field: &str) -> std::result::Result<Target, String> {
    let f = field.trim();
    if let Some(key) = f.strip_prefix("context.") {
        let key = key.trim();
        if key.is_empty() || key.contains('=') || key.chars().any(char::is_control) {
            return Err(format!("`{f}`: the context key is blank or holds `=`"));
        }
        return Ok(Target::Context(key.to_string()));
    }
    let lower = f.to_ascii_lowercase();
    let lower = match lower.as_str() {
        "dependencies" | "deps" | "blocked_by" => "depends_on".to_string(),
        "body" => "description".to_string(),
        "status" => "state".to_string(),
        "label" => "labels".to_string(),
        other => other.to_string(),
    };
    if lower == "ignore" {
        return Ok(Target::Ignore);
    }
    MAP_FIELDS
        .iter()
        .find(|m| **m == lower && **m != "context.KEY")
        .map(|m| Target::Field(m))
        .ok_or_else(|| {
            format!(
                "`{f}` is not a field a column can be mapped to; the fields are: {}",
                MAP_FIELDS.join(", ")
            )
        })
}

/// A CSV `state`: `ready`, `in_progress`, `done` or `archived` (`open` and `closed` are
/// accepted for ready and done). `backlog` and `gated` are derived from dependencies and
/// gates, which a CSV row does not set.
pub fn state(s: &str) -> std::result::Result<Want, String> {
    let st = match s.trim().to_ascii_lowercase().as_str() {
        "open" => State::Ready,
        "closed" => State::Done,
        _ => s.parse::<State>().map_err(convert::message)?,
    };
    match st {
        State::Backlog | State::Gated => Err(format!(
            "`{st}` is derived from dependencies and gates; use ready, in_progress, done or archived"
        )),
        State::Ready => Ok(Want::Open),
        State::InProgress => Ok(Want::InProgress),
        State::Done => Ok(Want::Done),
        State::Archived => Ok(Want::Archived),
    }
}

/// `jit import csv FILE [--map COLUMN=field]...`.
pub fn source(
    path: &str,
    text: &str,
    map: &[(String, String)],
    state_map: &super::StateMap,
) -> Result<Parsed> {
    let mut notes = Notes::default();
    let mut records = Vec::new();
    let Some(table) = Table::read(path, text, &mut notes) else {
        return Ok(Parsed { records, notes });
    };
    // Column → target: --map first, then the plain column names.
    let mut targets: Vec<Option<Target>> = vec![None; table.header.len()];
    for (col, field) in map {
        let pos = table.positions(col.trim());
        if pos.is_empty() {
            notes.error(
                &Place::line(path, 1),
                None,
                "map",
                format!(
                    "`--map {col}={field}` names a column the header does not have; the columns are: {}",
                    table.header.join(", ")
                ),
            );
            continue;
        }
        match target(field) {
            Ok(t) => {
                for &i in pos {
                    targets[i] = Some(t.clone());
                }
            }
            Err(m) => notes.error(&Place::line(path, 1), None, "map", m),
        }
    }
    let mut unknown = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, h) in table.header.iter().enumerate() {
        if targets[i].is_none() {
            let lower = h.to_lowercase();
            if let Some(c) = CSV_COLUMNS.iter().find(|c| **c == lower) {
                targets[i] = Some(Target::Field(c));
            } else {
                unknown.push(lower);
                continue;
            }
        }
        if let Some(Target::Field(f)) = &targets[i] {
            let n = seen.entry(f.to_string()).or_default();
            *n += 1;
            if *n > 1 && *f != "labels" {
                notes.error(
                    &Place::line(path, 1),
                    None,
                    "header",
                    format!("column `{h}` maps to `{f}` a second time; a field takes one column"),
                );
            }
        }
    }
    if !unknown.is_empty() {
        notes.error(
            &Place::line(path, 1),
            None,
            "header",
            format!(
                "unknown column(s) {}; the columns are: {} (or map others with `--map COLUMN=field`, `--map COLUMN=ignore`)",
                unknown
                    .iter()
                    .map(|c| format!("`{}`", c.escape_debug()))
                    .collect::<Vec<_>>()
                    .join(", "),
                CSV_COLUMNS.join(", ")
            ),
        );
        notes.unknown_columns = unknown.clone();
    }
    if !targets.contains(&Some(Target::Field("title"))) {
        notes.error(
            &Place::line(path, 1),
            None,
            "header",
            "the header has no `title` column (or map one with `--map COLUMN=title`)".into(),
        );
    }
    if !notes.errors.is_empty() {
        return Ok(Parsed { records, notes });
    }
    for h in &table.header {
        let i = table.positions(h)[0];
        match &targets[i] {
            Some(Target::Field(f)) => notes.mapped(h, f),
            Some(Target::Context(k)) => notes.kept(h, &format!("context.{k}")),
            _ => notes.dropped(h, "mapped to `ignore`"),
        }
    }
    for row in &table.rows {
        let place = Place::line(path, row.line);
        let mut rec = Record {
            place: place.clone(),
            ..Record::default()
        };
        let mut id = None;
        for (i, t) in targets.iter().enumerate() {
            let raw = row.fields[i].as_str();
            let v = raw.trim();
            let col = &table.header[i];
            let mut err = |field: &str, m: String| notes.error(&place, None, field, m);
            match t {
                Some(Target::Field("title")) => rec.title = raw.to_string(),
                Some(Target::Field("description")) if !v.is_empty() => {
                    match convert::text("description", raw) {
                        Ok(d) => rec.description = d,
                        Err(m) => err("description", m),
                    }
                }
                Some(Target::Field("priority")) if !v.is_empty() => match v.parse::<Priority>() {
                    Ok(p) => rec.priority = Some(p),
                    Err(e) => err("priority", convert::message(e)),
                },
                Some(Target::Field("labels")) if !v.is_empty() => {
                    for l in v.split([';', ',']).map(str::trim).filter(|x| !x.is_empty()) {
                        match convert::name("label", l) {
                            Ok(l) => rec.labels.push(l),
                            Err(m) => err("labels", m),
                        }
                    }
                }
                Some(Target::Field("type")) if !v.is_empty() => rec.kind = Some(v.to_string()),
                Some(Target::Field("milestone")) if !v.is_empty() => {
                    match convert::name("milestone", v) {
                        Ok(m) => rec.milestone = Some(m),
                        Err(m) => err("milestone", m),
                    }
                }
                Some(Target::Field("state")) if !v.is_empty() => {
                    match state_map
                        .get(v)
                        .map(Ok)
                        .unwrap_or_else(|| state(v).map(|w| (w, None)))
                    {
                        Ok((w, hold)) => {
                            notes.state(v, w.describe());
                            rec.want = Some(w);
                            rec.hold = hold;
                        }
                        Err(m) => err("state", m),
                    }
                }
                Some(Target::Field("id")) if !v.is_empty() => id = Some(v.to_string()),
                Some(Target::Field(f @ ("parent" | "depends_on" | "relates" | "duplicates")))
                    if !v.is_empty() =>
                {
                    let kind = match *f {
                        "parent" => RefKind::Parent,
                        "depends_on" => RefKind::DependsOn,
                        "relates" => RefKind::Link(LinkKind::Relates),
                        _ => RefKind::Link(LinkKind::Duplicates),
                    };
                    for t in v.split([';', ',']).map(str::trim).filter(|x| !x.is_empty()) {
                        rec.refs.push(Ref {
                            kind,
                            target: t.to_string(),
                            via: col.clone(),
                        });
                    }
                }
                Some(Target::Field("assignee")) if !v.is_empty() => {
                    rec.assignee = convert::actor(v)
                }
                Some(Target::Field("reporter")) if !v.is_empty() => {
                    rec.reporter = convert::actor(v)
                }
                Some(Target::Field("due")) if !v.is_empty() => match convert::due(v) {
                    Some(d) => rec.due = Some(d),
                    None => err("due", format!("`{v}` is not a date like 2026-12-01")),
                },
                Some(Target::Field("estimate")) if !v.is_empty() => match v.parse::<f64>() {
                    Ok(e) if e.is_finite() && e >= 0.0 => rec.estimate = Some(e),
                    _ => err("estimate", format!("`{v}` is not a non-negative number")),
                },
                Some(Target::Field("created")) if !v.is_empty() => match convert::time(v) {
                    Some(t) => rec.created_at = Some(t),
                    None => err("created", format!("`{v}` is not a time jit can read")),
                },
                Some(Target::Field("url")) if !v.is_empty() => rec.url = Some(v.to_string()),
                Some(Target::Context(k)) if !v.is_empty() => match convert::context_value(raw) {
                    Ok(val) => {
                        rec.context.insert(k.clone(), val);
                    }
                    Err(m) => err(col, m),
                },
                _ => {}
            }
        }
        rec.source_id = id.unwrap_or_default();
        records.push(rec);
    }
    Ok(Parsed { records, notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: usize, fields: &[&str]) -> Row {
        Row {
            line,
            fields: fields.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn csv_handles_quotes_commas_and_line_breaks() {
        let text = "title,description\r\n\"a, b\",\"say \"\"hi\"\"\nsecond line\"\n\nplain,x\n";
        assert_eq!(
            parse(text).unwrap(),
            vec![
                rec(1, &["title", "description"]),
                rec(2, &["a, b", "say \"hi\"\nsecond line"]),
                rec(5, &["plain", "x"]),
            ]
        );
    }

    #[test]
    fn csv_edge_cases() {
        assert_eq!(parse("").unwrap(), vec![]);
        assert_eq!(parse("\u{feff}a,b").unwrap(), vec![rec(1, &["a", "b"])]);
        assert_eq!(parse("a,\n").unwrap(), vec![rec(1, &["a", ""])]);
        assert_eq!(parse("\"\"\n").unwrap(), vec![rec(1, &[""])]);
        assert_eq!(parse("a\"b,c").unwrap(), vec![rec(1, &["a\"b", "c"])]);
        assert_eq!(
            parse("x\r\ny\rz").unwrap(),
            vec![rec(1, &["x"]), rec(2, &["y"]), rec(3, &["z"])]
        );
        assert_eq!(parse("t\n\"open\nstill").unwrap_err().0, 2);
    }

    #[test]
    fn csv_states() {
        assert_eq!(state("closed").unwrap(), Want::Done);
        assert_eq!(state("In-Progress").unwrap(), Want::InProgress);
        assert!(state("gated").is_err());
        assert!(state("nope").is_err());
    }

    #[test]
    fn repeated_columns_are_all_read() {
        let mut notes = Notes::default();
        let t = Table::read(
            "x.csv",
            "Summary,Labels,Labels,Labels\nA,a,,c\n",
            &mut notes,
        )
        .unwrap();
        assert_eq!(t.all(&t.rows[0], "labels"), ["a", "c"]);
        assert_eq!(t.get(&t.rows[0], "SUMMARY"), Some("A"));
        assert_eq!(t.names(), ["Summary", "Labels"]);
    }
}
