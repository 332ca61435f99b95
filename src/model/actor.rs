//! Actors: who did something, as `type:identifier` (`human:alice`, `agent:copilot-1`, `ci:github`).
//!
//! Invariant: an [`Actor`] has a lower-case type of `[a-z][a-z0-9_-]*` and a non-empty identifier
//! without whitespace or control characters.

use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A validated actor.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Actor(String);

impl Actor {
    /// Parses `type:identifier`.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &str| {
            Error::invalid(
                "actor",
                format!(
                    "`{}` {why}; use `type:identifier`, e.g. `human:alice` or `agent:copilot-1`",
                    s.escape_debug()
                ),
            )
        };
        let (ty, ident) = s.split_once(':').ok_or_else(|| bad("has no `:`"))?;
        let mut chars = ty.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        if !first_ok
            || !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
        {
            return Err(bad(
                "has a type that is not lower-case letters, digits, `-` or `_`",
            ));
        }
        if ident.is_empty() {
            return Err(bad("has an empty identifier"));
        }
        if ident.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad(
                "has whitespace or control characters in its identifier",
            ));
        }
        if s.len() > 200 {
            return Err(bad("is longer than 200 characters"));
        }
        Ok(Actor(s.to_string()))
    }

    /// The actor for a person named in git config: `human:<name>` with whitespace folded to `-`.
    pub fn human_from_name(name: &str) -> Option<Self> {
        let ident: String = name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        Actor::parse(&format!("human:{ident}")).ok()
    }

    /// The full `type:identifier` string.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The type part (`human`, `agent`, `ci`, ...).
    pub fn kind(&self) -> &str {
        self.0.split_once(':').map(|(t, _)| t).unwrap_or("")
    }

    /// True for `human:` actors, the only ones allowed to pass manual gates.
    pub fn is_human(&self) -> bool {
        self.kind() == "human"
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Actor {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Actor {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Actor::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Actor {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Actor".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[a-z][a-z0-9_-]*:[^\\s]+$",
            "maxLength": 200,
            "description": "Who acts, as `type:identifier`, e.g. `human:alice`, `agent:copilot-1`, `ci:github`."
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert!(Actor::parse("human:alice").unwrap().is_human());
        assert_eq!(Actor::parse("agent:copilot-1").unwrap().kind(), "agent");
        assert!(Actor::parse("ci:github:actions").is_ok());
        for bad in [
            "alice",
            ":x",
            "Human:x",
            "human:",
            "human:a b",
            "1x:y",
            "hu man:x",
        ] {
            assert!(Actor::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Actor::human_from_name(" Jane  Doe ").unwrap().as_str(),
            "human:Jane-Doe"
        );
    }
}
