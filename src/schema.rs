//! JSON Schemas of the files jit stores and the JSON it prints, generated from the Rust types
//! with `schemars`, so they cannot drift from what the code reads and writes.
//!
//! Invariants: [`NAMES`] is the one list of published schemas; [`render`] is deterministic (keys
//! sorted, 2-space indent, trailing newline), so the copies committed under `docs/schema/` can be
//! compared byte for byte (a test does, and `jit schema --write-docs` refreshes them). The
//! schemas of replies ([`reply`], the `outputSchema` of each `jit mcp` tool) come from the same
//! generator, so a type has the same schema wherever jit publishes it.

use crate::error::ErrorReply;
use crate::error::{Error, Result};
use crate::model::{Config, Event, GateDef, Issue};
use crate::pages::{FullPage, LeanPage};
use crate::view::IssueView;
use schemars::{JsonSchema, Schema, SchemaGenerator, generate::SchemaSettings};
use std::collections::BTreeMap;

/// The published schemas: name (as `jit schema NAME` takes it) and what it describes.
pub const NAMES: &[(&str, &str)] = &[
    ("issue", "one issue file, `.jit/issues/<ID>.json`"),
    ("gates", "the gate registry, `.jit/gates.json`"),
    ("config", "the store's settings, `.jit/config.json`"),
    ("event", "one line of the event log, `.jit/events.jsonl`"),
    (
        "issue-view",
        "an issue as `issue show --json` prints it: stored fields plus derived ones",
    ),
    (
        "issue-list",
        "a page of whole issues as `issue list --json --full` and `query ... --json --full` print it",
    ),
    (
        "issue-list-lean",
        "a page of issues in the lean shape: what `issue list --json` and `query ... --json` print",
    ),
    (
        "error",
        "the error object every command prints under `--json` when it fails",
    ),
];

/// The directory, relative to a source checkout, that holds the committed copies.
pub const DOCS_DIR: &str = "docs/schema";

/// The command that regenerates the committed copies.
pub const WRITE_COMMAND: &str = "cargo run -- schema --write-docs";

/// The generator of every schema jit publishes: draft 2020-12, shared parts under `$defs`.
fn generator() -> SchemaGenerator {
    SchemaGenerator::new(SchemaSettings::draft2020_12())
}

fn schema_of<T: JsonSchema>(title: &str, description: &str) -> Schema {
    let mut schema = generator().into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    schema.insert("description".into(), description.into());
    schema
}

/// The schema of a reply type, from the generator of the published schemas: what a `jit mcp`
/// tool declares as its `outputSchema`. Compact: without the `title`s and `description`s
/// (the fields are documented in docs/schema; the tool's description says what it returns),
/// because a client may hand every tool's schemas to a model, which pays for each byte.
pub fn reply<T: JsonSchema>() -> serde_json::Map<String, serde_json::Value> {
    let mut schema = generator().into_root_schema_for::<T>().to_value();
    without_annotations(&mut schema);
    match schema {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    }
}

/// Drops the `title` and `description` annotations of a schema and its subschemas. A property
/// named `title` or `description` is a schema (an object), not an annotation (a string), and
/// stays.
fn without_annotations(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            m.retain(|k, v| !(matches!(k.as_str(), "title" | "description") && v.is_string()));
            m.values_mut().for_each(without_annotations);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_annotations),
        _ => {}
    }
}

/// The schema with this name, or an error naming the known ones.
pub fn generate(name: &str) -> Result<serde_json::Value> {
    let description = NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, d)| *d)
        .ok_or_else(|| {
            Error::invalid(
                "schema",
                format!(
                    "`{}` is not a schema; the names are: {}",
                    name.escape_debug(),
                    NAMES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
                ),
            )
        })?;
    let title = format!("jit {name}");
    let schema = match name {
        "issue" => schema_of::<Issue>(&title, description),
        "gates" => schema_of::<BTreeMap<String, GateDef>>(&title, description),
        "config" => schema_of::<Config>(&title, description),
        "event" => schema_of::<Event>(&title, description),
        "issue-view" => schema_of::<IssueView>(&title, description),
        "issue-list" => schema_of::<FullPage>(&title, description),
        "issue-list-lean" => schema_of::<LeanPage>(&title, description),
        _ => schema_of::<ErrorReply>(&title, description),
    };
    Ok(schema.to_value())
}

/// The canonical text of a schema: pretty JSON with a trailing newline.
pub fn render(name: &str) -> Result<String> {
    let value = generate(name)?;
    let mut text = serde_json::to_string_pretty(&value)
        .map_err(|e| Error::Internal(format!("serializing schema `{name}`: {e}")))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_generates_an_object_schema() {
        for (name, _) in NAMES {
            let v = generate(name).unwrap();
            assert_eq!(v["$schema"], "https://json-schema.org/draft/2020-12/schema");
            assert_eq!(v["title"], format!("jit {name}"));
            assert!(v["type"] == "object", "{name}: {v}");
        }
        assert_eq!(generate("nope").unwrap_err().code(), "invalid_value");
    }

    #[test]
    fn custom_types_have_patterns() {
        let v = generate("issue").unwrap();
        let defs = &v["$defs"];
        assert_eq!(defs["IssueId"]["pattern"], "^[0-9A-HJKMNP-TV-Z]{26}$");
        assert_eq!(defs["Timestamp"]["format"], "date-time");
        assert_eq!(v["properties"]["state"]["$ref"], "#/$defs/State");
        assert!(v["required"].as_array().unwrap().contains(&"title".into()));
    }
}
