//! Importing issues: the JSON that `gh issue list --json ...` (or `gh issue view --json ...`)
//! prints, and CSV files with a header row.
//!
//! Invariants:
//! - Every row is parsed and validated before anything is written. If any row is invalid,
//!   nothing is imported and the error lists every bad row (by index for JSON, by line for CSV).
//! - The whole import is one transaction: one event per created (`issue.created`) or changed
//!   (`issue.updated`) issue, all written or none.
//! - A GitHub issue is identified by `context.github_number`: importing it again updates the
//!   issue that carries that number instead of creating a second one, and an import that
//!   changes nothing writes nothing.

use crate::error::{Error, Result};
use crate::model::{
    self, Actor, Issue, IssueId, Priority, State, validate_name, validate_text, validate_title,
};
use crate::progress::Progress;
use crate::store::{Store, Tx};
use crate::workflow::{self, Transition};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

/// The context key holding the GitHub issue number.
pub const GITHUB_NUMBER: &str = "github_number";
/// The context key holding the GitHub issue URL.
pub const GITHUB_URL: &str = "github_url";
/// The context key holding the logins of the GitHub assignees after the first.
pub const GITHUB_ASSIGNEES: &str = "github_assignees";
/// The columns a CSV file may have (`title` is required).
pub const CSV_COLUMNS: [&str; 7] = [
    "title",
    "priority",
    "labels",
    "type",
    "milestone",
    "state",
    "description",
];
/// At most this many bad rows are named in the error message (the details list them all).
const MAX_ROWS_IN_MESSAGE: usize = 10;

/// What an import did, by full issue id.
#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
}

/// One problem with one row of the input.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    /// The row's position in a JSON array (0-based; 0 for a single object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<usize>,
    /// The CSV line the row starts on (1-based; the header is line 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub field: String,
    pub message: String,
}

impl RowError {
    fn place(&self) -> String {
        match (self.index, self.line) {
            (Some(i), _) => format!("row {i}"),
            (_, Some(l)) => format!("line {l}"),
            _ => "input".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Github,
    Csv,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Github => "github",
            Source::Csv => "csv",
        }
    }
}

/// A validated row: what to write. `None` means the input did not give the field.
#[derive(Debug, Default, Clone)]
struct Row {
    title: String,
    description: Option<String>,
    priority: Option<Priority>,
    kind: Option<String>,
    labels: Option<Vec<String>>,
    milestone: Option<String>,
    state: Option<State>,
    assignee: Option<String>,
    context: BTreeMap<String, String>,
    github_number: Option<u64>,
}

/// Imports the JSON printed by `gh issue list --json number,title,body,state,labels,assignees,milestone`
/// (an array) or by `gh issue view --json ...` (one object).
pub fn github(
    store: &Store,
    actor: &Actor,
    path: &Path,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    let bytes = read(path)?;
    let value: Value = serde_json::from_slice(&bytes).map_err(|e| {
        invalid_file(
            path,
            format!("not JSON: {e}; expected the output of `gh issue list --json ...`"),
            json!({}),
        )
    })?;
    let items = match value {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        _ => {
            return Err(invalid_file(
                path,
                "expected a JSON array of issues (or one issue object)".into(),
                json!({}),
            ));
        }
    };
    let mut rows = Vec::with_capacity(items.len());
    let mut errors = Vec::new();
    let mut numbers: HashMap<u64, usize> = HashMap::new();
    for (index, item) in items.iter().enumerate() {
        let mut errs = Vec::new();
        let row = github_row(item, &mut errs);
        if let Some(n) = row.github_number
            && let Some(first) = numbers.insert(n, index)
        {
            errs.push((
                "number".into(),
                format!("issue #{n} also appears at row {first}"),
            ));
        }
        errors.extend(errs.into_iter().map(|(field, message)| RowError {
            index: Some(index),
            line: None,
            field,
            message,
        }));
        rows.push(row);
    }
    finish(store, actor, path, rows, errors, Source::Github, progress)
}

/// Imports a CSV file: a header row naming the columns (`title` required; `priority`, `labels`
/// separated by `;` or `,`, `type`, `milestone`, `state`, `description` optional), then one
/// issue per row.
pub fn csv(
    store: &Store,
    actor: &Actor,
    path: &Path,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    let bytes = read(path)?;
    let text = String::from_utf8(bytes)
        .map_err(|_| invalid_file(path, "not UTF-8 text".into(), json!({})))?;
    let records = parse_csv(&text).map_err(|(line, message)| {
        invalid_file(
            path,
            format!("line {line}: {message}"),
            json!({ "rows": [{ "line": line, "field": "csv", "message": message }] }),
        )
    })?;
    let mut records = records.into_iter();
    let Some(header) = records.next() else {
        return Err(invalid_file(
            path,
            "the file is empty; the first line must name the columns (title, priority, ...)".into(),
            json!({}),
        ));
    };
    let columns: Vec<String> = header
        .fields
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let unknown: Vec<&String> = columns
        .iter()
        .filter(|c| !CSV_COLUMNS.contains(&c.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(invalid_file(
            path,
            format!(
                "unknown column(s) {}; the columns are: {}",
                unknown
                    .iter()
                    .map(|c| format!("`{}`", c.escape_debug()))
                    .collect::<Vec<_>>()
                    .join(", "),
                CSV_COLUMNS.join(", ")
            ),
            json!({ "unknown_columns": unknown }),
        ));
    }
    let mut seen = HashSet::new();
    if let Some(dup) = columns.iter().find(|c| !seen.insert(c.as_str())) {
        return Err(invalid_file(
            path,
            format!("column `{dup}` appears twice in the header"),
            json!({ "duplicate_column": dup }),
        ));
    }
    if !columns.iter().any(|c| c == "title") {
        return Err(invalid_file(
            path,
            "the header has no `title` column".into(),
            json!({ "columns": columns }),
        ));
    }
    let config = store.config()?;
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for rec in records {
        let mut errs = Vec::new();
        if rec.fields.len() != columns.len() {
            errs.push((
                "csv".to_string(),
                format!(
                    "has {} field(s); the header has {}",
                    rec.fields.len(),
                    columns.len()
                ),
            ));
        }
        let cells: HashMap<&str, &str> = columns
            .iter()
            .map(String::as_str)
            .zip(rec.fields.iter().map(String::as_str))
            .collect();
        let row = csv_row(&cells, &config, &mut errs);
        errors.extend(errs.into_iter().map(|(field, message)| RowError {
            index: None,
            line: Some(rec.line),
            field,
            message,
        }));
        rows.push(row);
    }
    finish(store, actor, path, rows, errors, Source::Csv, progress)
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::invalid("file", format!("`{}` does not exist", path.display()))
        } else {
            Error::io(format!("reading `{}`", path.display()), e)
        }
    })
}

fn invalid_file(path: &Path, message: String, mut details: Value) -> Error {
    if let Value::Object(m) = &mut details {
        m.insert("file".into(), json!(path));
    }
    Error::Refused {
        code: "invalid_import",
        message: format!(
            "cannot import `{}`: {message}; nothing was imported",
            path.display()
        ),
        details,
    }
}

/// Writes the rows in one transaction, or reports every bad row and writes nothing.
fn finish(
    store: &Store,
    actor: &Actor,
    path: &Path,
    rows: Vec<Row>,
    errors: Vec<RowError>,
    source: Source,
    progress: &dyn Progress,
) -> Result<ImportReport> {
    if !errors.is_empty() {
        let mut bad: Vec<String> = Vec::new();
        for e in errors.iter().take(MAX_ROWS_IN_MESSAGE) {
            bad.push(format!("{}: {}: {}", e.place(), e.field, e.message));
        }
        if errors.len() > MAX_ROWS_IN_MESSAGE {
            bad.push(format!("and {} more", errors.len() - MAX_ROWS_IN_MESSAGE));
        }
        return Err(invalid_file(
            path,
            format!("{} problem(s): {}", errors.len(), bad.join("; ")),
            json!({ "rows": errors }),
        ));
    }
    let default_priority = store.config()?.default_priority;
    store.mutate(actor, |tx| {
        let existing = if source == Source::Github {
            by_github_number(tx)?
        } else {
            HashMap::new()
        };
        let (ids, _) = tx.store().list_ids()?;
        let mut shorts: HashSet<String> = ids.iter().map(IssueId::short).collect();
        let mut report = ImportReport::default();
        progress.start("importing", rows.len() as u64);
        for row in rows.iter().cloned() {
            progress.advance(1);
            match row.github_number.and_then(|n| existing.get(&n)) {
                Some(id) => {
                    let id = id.clone();
                    if update(tx, &id, row, source)? {
                        report.updated.push(id.to_string());
                    } else {
                        report.unchanged.push(id.to_string());
                    }
                }
                None => {
                    let id = fresh_id(&mut shorts)?;
                    create(tx, id.clone(), row, default_priority, source)?;
                    report.created.push(id.to_string());
                }
            }
        }
        progress.finish();
        Ok(report)
    })
}

/// Existing issues by their `context.github_number` (the oldest issue wins if several share one).
fn by_github_number(tx: &mut Tx<'_>) -> Result<HashMap<u64, IssueId>> {
    let (issues, _) = tx.store().load_all()?;
    let mut map = HashMap::new();
    let mut sorted: Vec<&Issue> = issues.iter().collect();
    sorted.sort_by(|a, b| a.id.cmp(&b.id));
    for i in sorted {
        if let Some(n) = i
            .context
            .get(GITHUB_NUMBER)
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            map.entry(n).or_insert_with(|| i.id.clone());
        }
    }
    Ok(map)
}

fn fresh_id(shorts: &mut HashSet<String>) -> Result<IssueId> {
    for _ in 0..64 {
        let id = IssueId::from_ulid(crate::random::ulid());
        if shorts.insert(id.short()) {
            return Ok(id);
        }
    }
    Err(Error::Internal("could not find a free short id".into()))
}

fn create(
    tx: &mut Tx<'_>,
    id: IssueId,
    row: Row,
    default_priority: Priority,
    source: Source,
) -> Result<()> {
    let mut issue = Issue::new(id, row.title, tx.now);
    issue.description = row.description.unwrap_or_default();
    issue.priority = row.priority.unwrap_or(default_priority);
    if let Some(k) = row.kind {
        issue.kind = k;
    }
    issue.labels = row.labels.unwrap_or_default();
    issue.milestone = row.milestone;
    issue.assignee = row.assignee;
    issue.reporter = Some(tx.actor.to_string());
    issue.context = row.context;
    issue.checklist = crate::details::checklist_from_markdown(&issue.description);
    issue.state = row.state.unwrap_or(State::Ready);
    let issue = tx.insert(issue)?;
    tx.record(
        "issue.created",
        None,
        &issue,
        json!({ "source": source.as_str(), "title": issue.title }),
    )
}

/// Applies an imported row to an existing issue; returns whether anything changed.
fn update(tx: &mut Tx<'_>, id: &IssueId, row: Row, source: Source) -> Result<bool> {
    let before = tx.get(id)?;
    let mut after = before.clone();
    after.title = row.title;
    if let Some(d) = row.description {
        after.description = d;
    }
    if let Some(p) = row.priority {
        after.priority = p;
    }
    if let Some(k) = row.kind {
        after.kind = k;
    }
    if let Some(l) = row.labels {
        after.labels = l;
    }
    if source == Source::Github {
        after.milestone = row.milestone;
        after.context.remove(GITHUB_URL);
        after.context.remove(GITHUB_ASSIGNEES);
    } else if row.milestone.is_some() {
        after.milestone = row.milestone;
    }
    if row.assignee.is_some() {
        after.assignee = row.assignee;
    }
    after.context.extend(row.context);
    let was_done = before.state == State::Done;
    match row.state {
        Some(State::Done) if !before.state.is_closed() => {
            after.state = if after.unpassed_gates().is_empty() {
                State::Done
            } else {
                State::Gated
            };
        }
        Some(State::Ready) if before.state == State::Done => {
            after.state = State::Ready;
            workflow::rederive(tx, &mut after)?;
        }
        _ => {}
    }
    let after = tx.put(after)?;
    if after == before {
        return Ok(false);
    }
    tx.record(
        "issue.updated",
        Some(&before),
        &after,
        json!({ "source": source.as_str() }),
    )?;
    if was_done != (after.state == State::Done) {
        workflow::cascade(tx, id, &mut Transition::default())?;
    }
    Ok(true)
}

type FieldErrors = Vec<(String, String)>;

/// Runs a validation, recording its error under `field`.
fn check<T>(errs: &mut FieldErrors, field: &str, r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            let message = match e {
                Error::InvalidValue { message, .. } => message,
                other => other.to_string(),
            };
            errs.push((field.to_string(), message));
            None
        }
    }
}

fn github_row(item: &Value, errs: &mut FieldErrors) -> Row {
    let mut row = Row::default();
    let Some(obj) = item.as_object() else {
        errs.push(("row".into(), "is not a JSON object".into()));
        return row;
    };
    let wrong = |errs: &mut FieldErrors, field: &str, want: &str| {
        errs.push((field.to_string(), format!("must be {want}")));
    };
    match obj.get("number").and_then(Value::as_u64) {
        Some(n) if n > 0 => {
            row.github_number = Some(n);
            row.context.insert(GITHUB_NUMBER.into(), n.to_string());
        }
        _ => wrong(
            errs,
            "number",
            "a positive integer (the GitHub issue number)",
        ),
    }
    match obj.get("title") {
        Some(Value::String(t)) => {
            if let Some(t) = check(errs, "title", validate_title(t)) {
                row.title = t;
            }
        }
        _ => wrong(errs, "title", "a string"),
    }
    match obj.get("body") {
        None | Some(Value::Null) => row.description = Some(String::new()),
        Some(Value::String(b)) => row.description = check(errs, "body", validate_text("body", b)),
        _ => wrong(errs, "body", "a string or null"),
    }
    match obj.get("state") {
        None | Some(Value::Null) => row.state = Some(State::Ready),
        Some(Value::String(s)) => match s.trim().to_ascii_uppercase().as_str() {
            "OPEN" => row.state = Some(State::Ready),
            "CLOSED" => row.state = Some(State::Done),
            _ => errs.push((
                "state".into(),
                format!("`{}` is not OPEN or CLOSED", s.escape_debug()),
            )),
        },
        _ => wrong(errs, "state", "\"OPEN\" or \"CLOSED\""),
    }
    match obj.get("labels") {
        None | Some(Value::Null) => row.labels = Some(Vec::new()),
        Some(Value::Array(ls)) => {
            let mut labels = Vec::new();
            for l in ls {
                let name = match l {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => o.get("name").and_then(Value::as_str),
                    _ => None,
                };
                match name {
                    Some(n) => labels.extend(check(errs, "labels", validate_name("label", n))),
                    None => wrong(errs, "labels", "an array of {\"name\": ...} objects"),
                }
            }
            row.labels = Some(labels);
        }
        _ => wrong(errs, "labels", "an array of {\"name\": ...} objects"),
    }
    match obj.get("assignees") {
        None | Some(Value::Null) => {}
        Some(Value::Array(a)) => {
            let mut logins = Vec::new();
            for x in a {
                let login = match x {
                    Value::String(s) => Some(s.as_str()),
                    Value::Object(o) => o.get("login").and_then(Value::as_str),
                    _ => None,
                };
                match login {
                    Some(l) => logins.push(l.trim().to_string()),
                    None => wrong(errs, "assignees", "an array of {\"login\": ...} objects"),
                }
            }
            if let Some(first) = logins.first() {
                row.assignee = check(
                    errs,
                    "assignees",
                    Actor::parse(&format!("human:{first}")).map(|a| a.to_string()),
                );
            }
            if logins.len() > 1 {
                let rest = logins[1..].join(",");
                if check(
                    errs,
                    "assignees",
                    validate_text("assignees", &rest).and_then(|r| {
                        if r.len() > model::limits::CONTEXT_VALUE {
                            Err(Error::invalid("assignees", "too many assignees"))
                        } else {
                            Ok(r)
                        }
                    }),
                )
                .is_some()
                {
                    row.context.insert(GITHUB_ASSIGNEES.into(), rest);
                }
            }
        }
        _ => wrong(errs, "assignees", "an array of {\"login\": ...} objects"),
    }
    match obj.get("milestone") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => match m.get("title").and_then(Value::as_str) {
            Some(t) => row.milestone = check(errs, "milestone", validate_name("milestone", t)),
            None => wrong(
                errs,
                "milestone",
                "an object with a \"title\" string, or null",
            ),
        },
        _ => wrong(
            errs,
            "milestone",
            "an object with a \"title\" string, or null",
        ),
    }
    match obj.get("url") {
        None | Some(Value::Null) => {}
        Some(Value::String(u)) if u.len() <= 2048 && !u.chars().any(char::is_control) => {
            row.context.insert(GITHUB_URL.into(), u.trim().to_string());
        }
        _ => wrong(errs, "url", "a URL string"),
    }
    row
}

fn csv_row(cells: &HashMap<&str, &str>, config: &model::Config, errs: &mut FieldErrors) -> Row {
    let cell = |k: &str| cells.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let mut row = Row::default();
    if let Some(t) = check(
        errs,
        "title",
        validate_title(cells.get("title").copied().unwrap_or("")),
    ) {
        row.title = t;
    }
    if let Some(p) = cell("priority") {
        row.priority = check(errs, "priority", p.parse::<Priority>());
    }
    if let Some(t) = cell("type") {
        row.kind = check(errs, "type", crate::issues::check_kind(config, t));
    }
    if let Some(m) = cell("milestone") {
        row.milestone = check(errs, "milestone", validate_name("milestone", m));
    }
    if let Some(l) = cell("labels") {
        let labels: Vec<String> = l
            .split([';', ','])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .filter_map(|x| check(errs, "labels", validate_name("label", x)))
            .collect();
        row.labels = Some(labels);
    }
    if let Some(s) = cell("state") {
        row.state = check(errs, "state", csv_state(s));
    }
    if let Some(d) = cells.get("description").filter(|d| !d.trim().is_empty()) {
        row.description = check(errs, "description", validate_text("description", d));
    }
    row
}

/// A CSV `state`: `ready`, `in_progress`, `done` or `archived` (`open` and `closed` are
/// accepted for ready and done). `backlog` and `gated` are derived from dependencies and
/// gates, which an import does not set.
fn csv_state(s: &str) -> Result<State> {
    let state = match s.trim().to_ascii_lowercase().as_str() {
        "open" => State::Ready,
        "closed" => State::Done,
        _ => s.parse::<State>()?,
    };
    match state {
        State::Backlog | State::Gated => Err(Error::invalid(
            "state",
            format!(
                "`{state}` is derived from dependencies and gates; use ready, in_progress, done or archived"
            ),
        )),
        s => Ok(s),
    }
}

/// One CSV record and the line it starts on.
#[derive(Debug, PartialEq)]
struct Record {
    line: usize,
    fields: Vec<String>,
}

/// Parses CSV (RFC 4180): fields separated by commas, records by LF or CRLF; a field in double
/// quotes may hold commas, line breaks and doubled quotes (`""`). Blank lines are skipped. A
/// quote inside an unquoted field is kept as a character. An unclosed quote is an error naming
/// the line it opened on.
fn parse_csv(text: &str) -> std::result::Result<Vec<Record>, (usize, String)> {
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
    let mut end_record = |fields: &mut Vec<String>, quoted: bool, start: usize| {
        let blank = !quoted && fields.len() == 1 && fields[0].trim().is_empty();
        if !blank {
            records.push(Record {
                line: start,
                fields: std::mem::take(fields),
            });
        }
        fields.clear();
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
                end_record(&mut fields, quoted, start);
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
        end_record(&mut fields, quoted, start);
    }
    Ok(records)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(line: usize, fields: &[&str]) -> Record {
        Record {
            line,
            fields: fields.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn csv_handles_quotes_commas_and_line_breaks() {
        let text = "title,description\r\n\"a, b\",\"say \"\"hi\"\"\nsecond line\"\n\nplain,x\n";
        assert_eq!(
            parse_csv(text).unwrap(),
            vec![
                rec(1, &["title", "description"]),
                rec(2, &["a, b", "say \"hi\"\nsecond line"]),
                rec(5, &["plain", "x"]),
            ]
        );
    }

    #[test]
    fn csv_edge_cases() {
        assert_eq!(parse_csv("").unwrap(), vec![]);
        assert_eq!(parse_csv("\u{feff}a,b").unwrap(), vec![rec(1, &["a", "b"])]);
        assert_eq!(parse_csv("a,\n").unwrap(), vec![rec(1, &["a", ""])]);
        assert_eq!(parse_csv("\"\"\n").unwrap(), vec![rec(1, &[""])]);
        assert_eq!(parse_csv("a\"b,c").unwrap(), vec![rec(1, &["a\"b", "c"])]);
        assert_eq!(
            parse_csv("x\r\ny\rz").unwrap(),
            vec![rec(1, &["x"]), rec(2, &["y"]), rec(3, &["z"])]
        );
        assert_eq!(parse_csv("t\n\"open\nstill").unwrap_err().0, 2);
    }

    #[test]
    fn csv_states() {
        assert_eq!(csv_state("closed").unwrap(), State::Done);
        assert_eq!(csv_state("In-Progress").unwrap(), State::InProgress);
        assert!(csv_state("gated").is_err());
        assert!(csv_state("nope").is_err());
    }
}
