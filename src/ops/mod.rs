//! The operations: what a command does, one module per command family, called alike by every
//! front-end (the command line, MCP, `jit serve`, the importers and the demo). Each operation
//! validates its typed input before touching disk, then is one [`crate::store::Store::mutate`]
//! (a change, staged with its event through [`crate::store::Tx::edit`]) or a lock-free read,
//! and returns typed data; none prints or parses a command line.
//!
//! The operations an agent calls take one typed request each (`ClaimRequest`, ...): a
//! [`Mutation`] or a [`Read`], with serde and a JSON Schema, so the MCP server deserializes a
//! tool's arguments straight into it and the command line builds the same value from its
//! flags; both then call its `run`.

pub mod checklist; // checklist items: add, check, uncheck
pub mod claims; // atomic claims, leases, claim-next, release, assign, reopen
pub mod comment; // comments
pub mod defer; // issue defer/undefer: work set aside until a date, and query deferred
pub mod deps; // dependencies: dep add (cycles refused), dep rm
pub mod gates; // the gate registry, passing/failing gates, running checkers
pub mod import; // moving in: beads, just-in-time, Backlog.md, Jira, Linear, GitHub, CSV; all issues or none
pub mod issues; // issue create/show/list/update/delete
pub mod link; // links between issues, and what other issues say about one (`--related`)
pub mod lists; // issue list and the named queries as requests
pub mod metrics; // jit metrics: counts, cycle and dwell times, throughput, Prometheus text
pub mod pr; // linked pull requests: link or update by URL
pub mod validate; // integrity checks and safe repairs

use crate::error::{Error, Result};
use crate::model::Actor;
use crate::store::Store;

/// An operation that changes the store, as one typed request.
pub trait Mutation {
    /// What it replies with (the JSON of `--json` and of the MCP tool).
    type Output: serde::Serialize + schemars::JsonSchema + 'static;
    /// Runs it as `actor`.
    fn run(self, store: &Store, actor: &Actor) -> Result<Self::Output>;
}

/// An operation that only reads, as one typed request.
pub trait Read {
    /// What it replies with.
    type Output: serde::Serialize + schemars::JsonSchema + 'static;
    /// Runs it (no lock, nothing written).
    fn run(self, store: &Store) -> Result<Self::Output>;
}

/// Checks one line of user text: trimmed, non-blank, no control characters, bounded.
pub(crate) fn one_line(field: &str, t: &str, max_chars: usize) -> Result<String> {
    let t = t.trim();
    if t.is_empty() {
        return Err(Error::invalid(field, "is blank"));
    }
    if t.chars().count() > max_chars {
        return Err(Error::invalid(
            field,
            format!("longer than {max_chars} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(Error::invalid(
            field,
            "contains control characters or a line break; it is one line",
        ));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    /// The typed requests read the JSON a front-end sends: their fields by name, defaults for
    /// what is left out, and nothing else.
    #[test]
    fn requests_read_json_and_refuse_unknown_fields() {
        use serde_json::json;
        let assign: super::claims::AssignRequest =
            serde_json::from_value(json!({ "id": "abc", "to": "agent:a" })).unwrap();
        assert_eq!(
            (assign.to.as_deref(), assign.force),
            (Some("agent:a"), false)
        );
        let defer: super::defer::DeferRequest =
            serde_json::from_value(json!({ "id": "abc", "until": "3d", "if_version": 4 })).unwrap();
        assert_eq!((defer.until.as_str(), defer.if_version), ("3d", Some(4)));
        let define: super::gates::DefineRequest = serde_json::from_value(
            json!({ "key": "tests", "title": "Tests", "stage": "postcheck", "auto": true }),
        )
        .unwrap();
        assert!(define.auto && define.checker.is_none());
        let update: super::issues::UpdateIssueRequest = serde_json::from_value(
            json!({ "id": "abc", "estimate": "", "milestone": "", "context": { "k": "" } }),
        )
        .unwrap();
        assert_eq!(
            update.estimate,
            Some(super::issues::EstimateValue::Text(String::new()))
        );
        for bad in [
            serde_json::from_value::<super::claims::AssignRequest>(json!({ "id": "a", "too": 1 }))
                .is_err(),
            serde_json::from_value::<super::issues::DeleteRequest>(json!({ "force": true }))
                .is_err(),
            serde_json::from_value::<super::gates::AddRequest>(json!({ "id": "a", "key": 3 }))
                .is_err(),
            serde_json::from_value::<super::defer::UndeferRequest>(json!({ "id": "a", "x": 0 }))
                .is_err(),
        ] {
            assert!(bad);
        }
    }

    use super::*;

    #[test]
    fn item_text() {
        assert_eq!(one_line("item", "  works  ", 10).unwrap(), "works");
        assert!(one_line("item", "   ", 10).is_err());
        assert!(one_line("item", "a\nb", 10).is_err());
        assert!(one_line("item", "abcdefghijk", 10).is_err());
    }
}
