//! Issue ids: ULIDs, their short handles, and validation of user input before it touches disk.
//!
//! Invariants: an [`IssueId`] always holds 26 upper-case Crockford base32 characters, so it is
//! safe to join onto a path. The short id is the last 8 characters of the ULID's random part,
//! lower-cased: derived, never stored, so it cannot drift once shown.

use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Length of a full ULID in characters.
pub const ULID_LEN: usize = 26;
/// Length of a short id in characters.
pub const SHORT_LEN: usize = 8;

/// A validated issue id (a ULID in canonical upper-case form).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IssueId(String);

impl IssueId {
    /// Parses a full id; the input may be any case.
    pub fn parse(s: &str) -> Result<Self> {
        let up = s.trim().to_ascii_uppercase();
        if up.len() != ULID_LEN {
            return Err(Error::InvalidId {
                id: s.to_string(),
                reason: format!("a full id has {ULID_LEN} characters"),
            });
        }
        check_chars(s, &up)?;
        if ulid::Ulid::from_string(&up).is_err() {
            return Err(Error::InvalidId {
                id: s.to_string(),
                reason: "not a ULID".into(),
            });
        }
        Ok(IssueId(up))
    }

    /// The id of a file name [`issue_file_name`] accepted.
    pub fn from_listed(name: &[u8; ULID_LEN]) -> Self {
        IssueId(name.iter().map(|&b| char::from(b)).collect())
    }

    /// Builds an id from a ULID.
    pub fn from_ulid(u: ulid::Ulid) -> Self {
        IssueId(u.to_string())
    }

    /// The canonical (upper-case) form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The short handle shown to people: 8 lower-case characters.
    pub fn short(&self) -> String {
        short_of(&self.0)
    }

    /// Milliseconds since the epoch encoded in the ULID.
    pub fn timestamp_ms(&self) -> u64 {
        ulid::Ulid::from_string(&self.0)
            .map(|u| u.timestamp_ms())
            .unwrap_or(0)
    }
}

/// The short id of a canonical ULID string.
pub fn short_of(ulid: &str) -> String {
    ulid[ULID_LEN - SHORT_LEN..].to_ascii_lowercase()
}

fn check_chars(orig: &str, up: &str) -> Result<()> {
    if let Some(c) = up.chars().find(|c| !is_crockford(*c)) {
        return Err(Error::InvalidId {
            id: orig.to_string(),
            reason: format!("`{}` is not a base32 id character", c.escape_default()),
        });
    }
    Ok(())
}

pub(crate) fn is_crockford(c: char) -> bool {
    matches!(c, '0'..='9' | 'A'..='H' | 'J' | 'K' | 'M' | 'N' | 'P'..='T' | 'V'..='Z')
}

/// A validated id prefix as typed by a user: a full id, a short id, or a prefix of either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdPrefix {
    /// What the user typed, for messages.
    pub input: String,
    /// Upper-case form, compared against ULIDs.
    pub upper: String,
}

impl IdPrefix {
    /// Validates user input. Never touches the file system.
    pub fn parse(s: &str) -> Result<Self> {
        let t = s.trim();
        if t.is_empty() {
            return Err(Error::InvalidId {
                id: s.to_string(),
                reason: "empty id".into(),
            });
        }
        if t.len() > ULID_LEN {
            return Err(Error::InvalidId {
                id: s.to_string(),
                reason: format!("longer than {ULID_LEN} characters"),
            });
        }
        let upper = t.to_ascii_uppercase();
        check_chars(s, &upper)?;
        Ok(IdPrefix {
            input: t.to_string(),
            upper,
        })
    }

    /// True when this prefix is a complete id.
    pub fn is_full(&self) -> bool {
        self.upper.len() == ULID_LEN
    }

    /// Whether the canonical ULID `id` matches this prefix, by its full form or its short form.
    pub fn matches(&self, id: &str) -> bool {
        id.starts_with(&self.upper) || id[ULID_LEN - SHORT_LEN..].starts_with(&self.upper)
    }
}

impl std::borrow::Borrow<str> for IssueId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for IssueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for IssueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssueId({})", self.0)
    }
}

impl Serialize for IssueId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for IssueId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        IssueId::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for IssueId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IssueId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[0-9A-HJKMNP-TV-Z]{26}$",
            "description": "A full issue id: a ULID in upper-case Crockford base32. Its last 8 characters, lower-cased, are the short id."
        })
    }
}

/// Whether `b` is written the way jit writes an id: 26 upper-case Crockford base32 digits.
pub fn is_canonical(b: &[u8]) -> bool {
    /// Which bytes are Crockford base32 digits (upper case), by value.
    const DIGIT: [bool; 256] = {
        let mut t = [false; 256];
        let digits = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let mut k = 0;
        while k < digits.len() {
            t[digits[k] as usize] = true;
            k += 1;
        }
        t
    };
    b.len() == ULID_LEN && b.iter().all(|&c| DIGIT[usize::from(c)])
}

/// The id of an issue file named `<ULID>.json` (upper case, as jit writes them), checked
/// without allocating: exactly the names whose stem [`IssueId::parse`] accepts unchanged.
pub fn issue_file_name(name: &[u8]) -> Option<[u8; ULID_LEN]> {
    let stem: [u8; ULID_LEN] = name.strip_suffix(b".json")?.try_into().ok()?;
    is_canonical(&stem).then_some(stem)
}

/// True when a file name is exactly `<ULID>.json`: the only names read as issues.
pub fn issue_file_stem(name: &str) -> Option<&str> {
    let stem = name.strip_suffix(".json")?;
    (stem.len() == ULID_LEN && stem.chars().all(is_crockford)).then_some(stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_path_traversal() {
        assert_eq!(
            IdPrefix::parse("../../etc/passwd").unwrap_err().code(),
            "invalid_id"
        );
        assert_eq!(IdPrefix::parse("a/b").unwrap_err().code(), "invalid_id");
        assert_eq!(IdPrefix::parse("").unwrap_err().code(), "invalid_id");
        assert_eq!(
            IdPrefix::parse(&"0".repeat(27)).unwrap_err().code(),
            "invalid_id"
        );
    }

    #[test]
    fn short_and_prefix() {
        let id = IssueId::parse("01jabcdefghjkmnpqrstvwxyz0").unwrap();
        assert_eq!(id.as_str(), "01JABCDEFGHJKMNPQRSTVWXYZ0");
        assert_eq!(id.short(), "stvwxyz0");
        let p = IdPrefix::parse("stvw").unwrap();
        assert!(p.matches(id.as_str()));
        let p = IdPrefix::parse("01JA").unwrap();
        assert!(p.matches(id.as_str()));
        assert!(!IdPrefix::parse("zz").unwrap().matches(id.as_str()));
    }

    #[test]
    fn file_names() {
        assert!(issue_file_stem("01JABCDEFGHJKMNPQRSTVWXYZ0.json").is_some());
        assert!(issue_file_stem(".01JABCDEFGHJKMNPQRSTVWXYZ0.json.tmp").is_none());
        assert!(issue_file_stem("01JABCDEFGHJKMNPQRSTVWXYZ0.json.bak").is_none());
        assert!(issue_file_stem("notes.json").is_none());
    }

    /// The listing's check accepts exactly the names whose stem parses as an id and is
    /// written the way jit writes it.
    #[test]
    fn listed_names_are_canonical_ulids() {
        let ok = b"01JABCDEFGHJKMNPQRSTVWXYZ0.json";
        let stem = issue_file_name(ok).unwrap();
        assert_eq!(
            IssueId::from_listed(&stem).as_str(),
            "01JABCDEFGHJKMNPQRSTVWXYZ0"
        );
        for bad in [
            &b"01jabcdefghjkmnpqrstvwxyz0.json"[..],
            b"01JABCDEFGHJKMNPQRSTVWXYZ0.JSON",
            b"01JABCDEFGHJKMNPQRSTVWXYZ.json",
            b"01JABCDEFGHJKMNPQRSTVWXYZ00.json",
            b"01JABCDEFGHJKMNPQRSTVWXYZI.json",
            b".01JABCDEFGHJKMNPQRSTVWXYZ0.json.tmp",
            b"01JABCDEFGHJKMNPQRSTVWXYZ0.json\xff",
        ] {
            assert!(
                issue_file_name(bad).is_none(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        for first in 0..=255u8 {
            let mut name = *ok;
            name[0] = first;
            let text = String::from_utf8_lossy(&name[..ULID_LEN]).into_owned();
            let parses = IssueId::parse(&text).is_ok() && !first.is_ascii_lowercase();
            assert_eq!(issue_file_name(&name).is_some(), parses, "{first}");
        }
    }
}
