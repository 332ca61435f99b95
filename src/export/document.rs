//! The JSON export: one document holding the config, the gate registry and every stored issue,
//! shaped so a later import can read it back (docs/export.md).
//!
//! Invariant: issues appear exactly as stored (no derived fields), sorted by id.

use crate::model::{Config, GateDef, Issue, Timestamp};
use serde::Serialize;
use std::collections::BTreeMap;

/// The version of this document's shape.
pub const SCHEMA_VERSION: u64 = 1;

/// The exported document.
#[derive(Debug, Serialize)]
pub struct Document {
    pub schema_version: u64,
    pub exported_at: Timestamp,
    pub config: Config,
    pub gates: BTreeMap<String, GateDef>,
    pub issues: Vec<Issue>,
}

/// Builds the document; sorts the issues by id.
pub fn build(
    config: Config,
    gates: BTreeMap<String, GateDef>,
    mut issues: Vec<Issue>,
    now: Timestamp,
) -> Document {
    issues.sort_by(|a, b| a.id.cmp(&b.id));
    for i in &mut issues {
        i.normalize();
    }
    Document {
        schema_version: SCHEMA_VERSION,
        exported_at: now,
        config,
        gates,
        issues,
    }
}
