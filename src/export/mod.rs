//! Exports rendered from the store: graph formats (dot, mermaid, here), a JSON document, CSV,
//! the markdown roadmap and changelog, and the static web site.
//!
//! Invariants: output is deterministic (issues by id, edges sorted) and every piece of user text
//! is escaped for the target format. Files are written atomically.

pub mod changelog;
pub mod csv;
pub mod document;
pub mod html;
pub mod plan;
pub mod roadmap;
pub mod site;
pub mod web;

use crate::error::{Error, Result};
use crate::model::Issue;
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// Refuses to export a store with issue files that could not be read: an export that silently
/// leaves issues out is a wrong document (a committed roadmap, a published site). Stray files
/// (not named like issues) and an unreadable claim ledger do not count.
pub fn refuse_unreadable(
    store: &crate::store::Store,
    problems: &[crate::store::FileProblem],
) -> Result<()> {
    let issues = store.issues_dir();
    let bad: Vec<&crate::store::FileProblem> = problems
        .iter()
        .filter(|p| p.code != "stray_file" && p.path.starts_with(&issues))
        .collect();
    let Some(first) = bad.first() else {
        return Ok(());
    };
    let more = match bad.len() {
        1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    Err(Error::CorruptFile {
        path: first.path.clone(),
        message: format!(
            "{}{more}; the export would leave it out, so nothing was exported: repair or remove \
             it (`jit validate` lists every one)",
            first.message
        ),
    })
}

/// What `--public` leaves of the views: internal issues (`visibility: internal`) are gone, and
/// so is every reference to one in what remains (dependencies, parent, links, blockers,
/// incoming links), so no file names an internal issue by id or title. Merge-conflict records
/// are left out too: what merges discarded is former content, not what the issue says (and a
/// discarded `parent` may name an internal issue). The web site does the same with "(private)"
/// placeholders ([`web`]).
pub fn public(views: Vec<crate::view::IssueView>) -> Vec<crate::view::IssueView> {
    let private: HashSet<String> = views
        .iter()
        .filter(|v| v.issue.is_internal())
        .map(|v| v.issue.id.to_string())
        .collect();
    let hidden = |id: &str| private.contains(id);
    views
        .into_iter()
        .filter(|v| !v.issue.is_internal())
        .map(|mut v| {
            let i = &mut v.issue;
            i.merge_conflicts.clear();
            i.dependencies.retain(|d| !hidden(d.as_str()));
            if i.parent.as_ref().is_some_and(|p| hidden(p.as_str())) {
                i.parent = None;
            }
            i.links.retain(|l| !hidden(&l.target));
            v.blocked_by.retain(|b| match b {
                crate::view::Blocker::Dependency { id, .. } => !hidden(id),
                _ => true,
            });
            if let Some(l) = v.linked_from.as_mut() {
                l.retain(|r| !hidden(&r.id));
            }
            v
        })
        .collect()
}

/// Writes an export to `path` atomically (creating its directory).
pub fn write_file(path: &Path, content: &str) -> Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating `{}`", dir.display()), e))?;
    }
    crate::store::write_atomic(path, content.as_bytes())
}

/// Compares a committed export with what the store renders now. `command` is how to
/// regenerate it, for the message. Fails with `out_of_date` (and a short diff summary in the
/// details) when the file is missing or differs.
pub fn check_file(path: &Path, expected: &str, command: &str) -> Result<()> {
    let found = match std::fs::read(path) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::OutOfDate {
                path: path.to_path_buf(),
                summary: "the file does not exist".into(),
                command: command.to_string(),
                details: json!({ "path": path, "missing": true }),
            });
        }
        Err(e) => return Err(Error::io(format!("reading `{}`", path.display()), e)),
    };
    if found == expected {
        return Ok(());
    }
    let want: Vec<&str> = expected.lines().collect();
    let have: Vec<&str> = found.lines().collect();
    let first = want
        .iter()
        .zip(have.iter())
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(have.len()));
    // Lines the file lacks and lines it holds that the export no longer has (as multisets).
    let mut counts: HashMap<&str, i64> = HashMap::new();
    for l in &want {
        *counts.entry(l).or_default() += 1;
    }
    for l in &have {
        *counts.entry(l).or_default() -= 1;
    }
    let missing: Vec<&str> = want
        .iter()
        .copied()
        .filter(|l| counts.get(l).is_some_and(|c| *c > 0))
        .collect();
    let stale: Vec<&str> = have
        .iter()
        .copied()
        .filter(|l| counts.get(l).is_some_and(|c| *c < 0))
        .collect();
    let summary = format!(
        "first difference at line {}; {} line(s) to add, {} to remove",
        first + 1,
        missing.len(),
        stale.len()
    );
    Err(Error::OutOfDate {
        path: path.to_path_buf(),
        summary,
        command: command.to_string(),
        details: json!({
            "path": path,
            "missing": false,
            "first_difference": {
                "line": first + 1,
                "expected": want.get(first),
                "found": have.get(first),
            },
            "lines_to_add": missing.len(),
            "lines_to_remove": stale.len(),
            "sample_to_add": missing.iter().take(5).collect::<Vec<_>>(),
            "sample_to_remove": stale.iter().take(5).collect::<Vec<_>>(),
        }),
    })
}

fn dot_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

fn mermaid_escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '"' => "#quot;".to_string(),
            '<' => "#lt;".to_string(),
            '>' => "#gt;".to_string(),
            '#' => "#35;".to_string(),
            c if c.is_control() => " ".to_string(),
            c => c.to_string(),
        })
        .collect()
}

fn edges(issues: &[Issue]) -> Vec<(String, String)> {
    let present: HashSet<&str> = issues.iter().map(|i| i.id.as_str()).collect();
    let mut e: Vec<(String, String)> = issues
        .iter()
        .flat_map(|i| {
            i.dependencies
                .iter()
                .filter(|d| present.contains(d.as_str()))
                .map(move |d| (i.short_id(), d.short()))
        })
        .collect();
    e.sort();
    e
}

/// Graphviz: an edge `A -> B` means A depends on B.
pub fn dot(issues: &[Issue]) -> String {
    let mut out =
        String::from("digraph jit {\n  rankdir=LR;\n  node [shape=box, style=rounded];\n");
    for i in issues {
        out.push_str(&format!(
            "  \"{}\" [label=\"{}\\n{}\\n[{}]\"];\n",
            i.short_id(),
            i.short_id(),
            dot_escape(&i.title),
            i.state
        ));
    }
    for (a, b) in edges(issues) {
        out.push_str(&format!("  \"{a}\" -> \"{b}\";\n"));
    }
    out.push_str("}\n");
    out
}

/// Mermaid flowchart: an edge `A --> B` means A depends on B.
pub fn mermaid(issues: &[Issue]) -> String {
    let mut out = String::from("flowchart LR\n");
    for i in issues {
        out.push_str(&format!(
            "  i_{}[\"{}: {} ({})\"]\n",
            i.short_id(),
            i.short_id(),
            mermaid_escape(&i.title),
            i.state
        ));
    }
    for (a, b) in edges(issues) {
        out.push_str(&format!("  i_{a} --> i_{b}\n"));
    }
    out
}
