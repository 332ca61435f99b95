//! CSV export: a header row and one row per issue, RFC 4180 (CRLF line ends; a field holding a
//! comma, a quote, CR or LF is quoted, with quotes doubled).

use crate::view::IssueView;

/// The header row, in column order.
pub const COLUMNS: &[&str] = &[
    "id",
    "short_id",
    "title",
    "state",
    "priority",
    "type",
    "assignee",
    "labels",
    "milestone",
    "parent",
    "due",
    "estimate",
    "dependencies",
    "created_at",
    "updated_at",
    "description",
];

/// One field, quoted when it must be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn row(cells: &[String]) -> String {
    let mut line = cells.iter().map(|c| field(c)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// The CSV document of `views`, in the order given.
pub fn render(views: &[&IssueView]) -> String {
    let header: Vec<String> = COLUMNS.iter().map(|c| c.to_string()).collect();
    let mut out = row(&header);
    for v in views {
        let i = &v.issue;
        let cells = vec![
            i.id.to_string(),
            v.short_id.clone(),
            i.title.clone(),
            i.state.to_string(),
            i.priority.to_string(),
            i.kind.clone(),
            i.assignee.clone().unwrap_or_default(),
            i.labels.join(";"),
            i.milestone.clone().unwrap_or_default(),
            i.parent.as_ref().map(|p| p.short()).unwrap_or_default(),
            i.due.clone().unwrap_or_default(),
            i.estimate.map(|e| e.to_string()).unwrap_or_default(),
            i.dependencies
                .iter()
                .map(|d| d.short())
                .collect::<Vec<_>>()
                .join(";"),
            i.created_at.to_string(),
            i.updated_at.to_string(),
            i.description.clone(),
        ];
        out.push_str(&row(&cells));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(""), "");
    }
}
