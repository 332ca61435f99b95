//! Exports rendered from the store: graph formats (dot, mermaid).
//!
//! Invariant: output is deterministic (issues by id, edges sorted) and every piece of user text
//! is escaped for the target format.

use crate::model::Issue;
use std::collections::HashSet;

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
