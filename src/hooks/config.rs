//! The `hooks` section of `.jit/config.json`: what each hook wants and where it goes.
//!
//! Invariants: a hook has exactly one target (a `command` or a `url`); a secret is never
//! stored, only the name of the environment variable that holds it; the section is changed only
//! through [`Store::mutate`] (the whole config re-read under the lock, rewritten atomically, one
//! `hook.added`, `hook.updated` or `hook.removed` event), and every other key of the config is
//! kept as it was.

use crate::error::{Error, Result};
use crate::model::{Actor, Config};
use crate::model::{Payload, payload};
use crate::store::{Store, diff_values, to_pretty};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The key of the section in `config.json`.
pub const SECTION: &str = "hooks";
/// Seconds a delivery may take by default.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;
/// Attempts per delivery by default (the first one included).
pub const DEFAULT_MAX_ATTEMPTS: u32 = 8;
/// The first retry waits about this long; each next one twice as long.
pub const DEFAULT_BACKOFF_SECS: u64 = 10;
/// No retry waits longer than this.
pub const MAX_BACKOFF_SECS: u64 = 3600;
/// The most attempts a hook may ask for.
pub const MAX_ATTEMPTS_LIMIT: u32 = 50;
/// The longest timeout a hook may ask for.
pub const MAX_TIMEOUT_SECS: u64 = 3600;

fn default_timeout() -> u64 {
    DEFAULT_TIMEOUT_SECS
}
fn default_attempts() -> u32 {
    DEFAULT_MAX_ATTEMPTS
}
fn default_backoff() -> u64 {
    DEFAULT_BACKOFF_SECS
}

/// One hook, as stored under its name in the `hooks` section.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HookDef {
    /// Event type patterns it wants (`*` matches any run of characters: `gate.*`, `*`).
    pub on: Vec<String>,
    /// A query (docs/query.md) the event's issue must match; events without an issue never do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    /// A shell command run in the repository root with the event as JSON on stdin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// An `http://` or `https://` URL that receives the event as a JSON POST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The environment variable holding the HMAC-SHA256 secret for `url` (never the secret).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    /// Seconds one attempt may take before it is abandoned (a command: killed).
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Attempts before the delivery is marked failed.
    #[serde(default = "default_attempts")]
    pub max_attempts: u32,
    /// The wait before the first retry, in seconds; it doubles each time (with jitter).
    #[serde(default = "default_backoff")]
    pub backoff_secs: u64,
    /// Fields this version of jit does not know; written back unchanged.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl HookDef {
    /// Whether the hook wants events of this type.
    pub fn wants(&self, kind: &str) -> bool {
        self.on.iter().any(|p| crate::queries::wildcard(p, kind))
    }

    /// `command` or `url`, for display.
    pub fn target(&self) -> String {
        match (&self.command, &self.url) {
            (Some(c), _) => c.clone(),
            (None, Some(u)) => u.clone(),
            (None, None) => String::new(),
        }
    }

    /// `command` or `url`.
    pub fn kind(&self) -> &'static str {
        if self.command.is_some() {
            "command"
        } else {
            "url"
        }
    }
}

#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    hooks: BTreeMap<String, HookDef>,
}

/// Reads the hooks from `config.json`: one read of one small file, no other file touched.
pub fn read(store: &Store) -> Result<BTreeMap<String, HookDef>> {
    let path = store.dir().join("config.json");
    let bytes =
        std::fs::read(&path).map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?;
    let s: Section = serde_json::from_slice(&bytes).map_err(|e| Error::CorruptFile {
        path: path.clone(),
        message: format!("its `{SECTION}` section is not valid: {e}"),
    })?;
    Ok(s.hooks)
}

/// Checks a hook name: lower-case letters, digits, `-`, `_`, `.`; starts with a letter.
pub fn check_name(name: &str) -> Result<String> {
    let n = name.trim();
    let ok = n.len() <= 64
        && n.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && n.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'));
    if !ok {
        return Err(Error::invalid(
            "hook name",
            format!(
                "`{}` must start with a lower-case letter and hold only a-z, 0-9, `-`, `_`, `.` (64 at most)",
                name.escape_debug()
            ),
        ));
    }
    Ok(n.to_string())
}

/// Checks an event type pattern: `a-z 0-9 . _ - *`, non-blank.
pub fn check_pattern(p: &str) -> Result<String> {
    let p = p.trim();
    let ok = !p.is_empty()
        && p.len() <= 100
        && p.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-' | '*')
        });
    if !ok {
        return Err(Error::invalid(
            "on",
            format!(
                "`{}` is not an event type pattern (a-z, 0-9, `.`, `_`, `-`, and `*` for any run: `gate.*`)",
                p.escape_debug()
            ),
        ));
    }
    Ok(p.to_string())
}

/// Checks an environment variable name.
pub fn check_env_name(v: &str) -> Result<String> {
    let v = v.trim();
    let ok = !v.is_empty()
        && v.len() <= 128
        && v.chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(Error::invalid(
            "secret-env",
            format!(
                "`{}` is not an environment variable name (letters, digits, `_`); give the variable's name, never the secret",
                v.escape_debug()
            ),
        ));
    }
    Ok(v.to_string())
}

/// Checks a hook URL: `http://` or `https://` (the latter only in a build with TLS), a host, no
/// whitespace.
pub fn check_url(u: &str) -> Result<String> {
    let u = u.trim();
    let bad = |why: &str| Error::invalid("url", format!("`{}` {why}", u.escape_debug()));
    let rest = if let Some(r) = u.strip_prefix("http://") {
        r
    } else if let Some(r) = u.strip_prefix("https://") {
        if !cfg!(feature = "https") {
            return Err(no_tls(u));
        }
        r
    } else {
        return Err(bad("does not start with `http://` or `https://`"));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(bad("has no host"));
    }
    if u.len() > 2048 {
        return Err(bad("is longer than 2048 bytes"));
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains whitespace or control characters"));
    }
    Ok(u.to_string())
}

/// The error for an `https://` URL in a build without TLS.
pub fn no_tls(url: &str) -> Error {
    Error::Refused {
        code: crate::error::ErrorCode::FeatureDisabled,
        message: format!(
            "`{}` needs TLS, and this jit was built without the `https` feature; rebuild with `--features https` or use an `http://` URL",
            url.escape_debug()
        ),
        details: json!({ "feature": "https", "url": url }),
    }
}

/// What `hook add` takes.
#[derive(Debug, Clone, Default)]
pub struct AddRequest {
    pub name: String,
    pub on: Vec<String>,
    pub filter: Option<String>,
    pub command: Option<String>,
    pub url: Option<String>,
    pub secret_env: Option<String>,
    pub timeout_secs: Option<u64>,
    pub max_attempts: Option<u32>,
    pub backoff_secs: Option<u64>,
}

/// What `hook add` and `hook rm` did.
#[derive(Debug, Clone, Serialize)]
pub struct HookChange {
    pub name: String,
    /// The hook as stored now (for `rm`: as it was).
    pub hook: HookDef,
    /// `added`, `updated`, `unchanged` or `removed`.
    pub change: &'static str,
    /// Deliveries of a removed hook dropped from the outbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dropped_deliveries: Option<usize>,
}

/// Validates a request into a hook definition.
pub fn build(req: &AddRequest, previous: Option<&HookDef>) -> Result<HookDef> {
    if req.on.is_empty() {
        return Err(Error::invalid(
            "on",
            "give at least one `--on PATTERN` (an event type such as `gate.failed`, or `gate.*`, or `*`)",
        ));
    }
    let on = req
        .on
        .iter()
        .flat_map(|p| p.split(','))
        .map(check_pattern)
        .collect::<Result<Vec<_>>>()?;
    let filter = match req.filter.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(f) => {
            crate::query::parse(f, crate::clock::now()?)?;
            Some(f.to_string())
        }
    };
    let (command, url) = match (&req.command, &req.url) {
        (Some(_), Some(_)) | (None, None) => {
            return Err(Error::Usage {
                message: "give exactly one of `--command CMD` and `--url URL`".into(),
            });
        }
        (Some(c), None) => {
            if c.trim().is_empty() {
                return Err(Error::invalid("command", "the command is blank"));
            }
            if c.contains('\0') {
                return Err(Error::invalid("command", "contains a NUL character"));
            }
            (Some(c.clone()), None)
        }
        (None, Some(u)) => (None, Some(check_url(u)?)),
    };
    let secret_env = req.secret_env.as_deref().map(check_env_name).transpose()?;
    if secret_env.is_some() && url.is_none() {
        return Err(Error::invalid(
            "secret-env",
            "only applies to a `--url` hook (a command hook gets the event on stdin)",
        ));
    }
    let timeout_secs = req.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(1..=MAX_TIMEOUT_SECS).contains(&timeout_secs) {
        return Err(Error::invalid(
            "timeout",
            format!("must be 1 to {MAX_TIMEOUT_SECS} seconds"),
        ));
    }
    let max_attempts = req.max_attempts.unwrap_or(DEFAULT_MAX_ATTEMPTS);
    if !(1..=MAX_ATTEMPTS_LIMIT).contains(&max_attempts) {
        return Err(Error::invalid(
            "max-attempts",
            format!("must be 1 to {MAX_ATTEMPTS_LIMIT}"),
        ));
    }
    let backoff_secs = req.backoff_secs.unwrap_or(DEFAULT_BACKOFF_SECS);
    if !(1..=MAX_BACKOFF_SECS).contains(&backoff_secs) {
        return Err(Error::invalid(
            "backoff",
            format!("must be 1 second to {MAX_BACKOFF_SECS} seconds"),
        ));
    }
    Ok(HookDef {
        on,
        filter,
        command,
        url,
        secret_env,
        timeout_secs,
        max_attempts,
        backoff_secs,
        extra: previous.map(|p| p.extra.clone()).unwrap_or_default(),
    })
}

/// Reads a section of the config under the transaction's lock.
pub(crate) fn section<T: serde::de::DeserializeOwned + Default>(
    config: &Config,
    key: &str,
    path: &std::path::Path,
) -> Result<T> {
    match config.extra.get(key) {
        None => Ok(T::default()),
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| Error::CorruptFile {
            path: path.to_path_buf(),
            message: format!("its `{key}` section is not valid: {e}"),
        }),
    }
}

/// Writes a section back into the config (removing it when empty) and stages the file.
pub(crate) fn put_section<T: Serialize>(
    tx: &mut crate::store::Tx<'_>,
    mut config: Config,
    key: &str,
    value: &T,
    empty: bool,
) -> Result<()> {
    if empty {
        config.extra.remove(key);
    } else {
        let v = serde_json::to_value(value).map_err(|e| Error::Internal(e.to_string()))?;
        config.extra.insert(key.to_string(), v);
    }
    tx.put_file("config.json", to_pretty(&config)?);
    Ok(())
}

/// `hook add`: adds the hook, or replaces the one with that name.
pub fn add(store: &Store, actor: &Actor, req: AddRequest) -> Result<HookChange> {
    let name = check_name(&req.name)?;
    build(&req, None)?; // every input checked before the lock is taken
    let path = store.dir().join("config.json");
    store.mutate(actor, |tx| {
        let config = tx.store().config()?;
        let mut hooks: BTreeMap<String, HookDef> = section(&config, SECTION, &path)?;
        let before = hooks.get(&name).cloned();
        let def = build(&req, before.as_ref())?;
        if before.as_ref() == Some(&def) {
            return Ok(HookChange {
                name: name.clone(),
                hook: def,
                change: "unchanged",
                dropped_deliveries: None,
            });
        }
        hooks.insert(name.clone(), def.clone());
        put_section(tx, config, SECTION, &hooks, false)?;
        let b = serde_json::to_value(&before).unwrap_or_default();
        let a = serde_json::to_value(&def).unwrap_or_default();
        let hook = payload::Hook {
            hook: name.clone(),
            message: None,
        };
        let event = if before.is_some() {
            Payload::HookUpdated(hook)
        } else {
            Payload::HookAdded(hook)
        };
        tx.event(None, diff_values(&b, &a), event);
        Ok(HookChange {
            name: name.clone(),
            hook: def,
            change: if before.is_some() { "updated" } else { "added" },
            dropped_deliveries: None,
        })
    })
}

/// `hook rm`: removes the hook; its queued deliveries are dropped (each logged as cancelled).
pub fn remove(store: &Store, actor: &Actor, name: &str) -> Result<HookChange> {
    let name = check_name(name)?;
    let path = store.dir().join("config.json");
    let removed = store.mutate(actor, |tx| {
        let config = tx.store().config()?;
        let mut hooks: BTreeMap<String, HookDef> = section(&config, SECTION, &path)?;
        let Some(old) = hooks.remove(&name) else {
            return Err(unknown(&name, &hooks));
        };
        let empty = hooks.is_empty();
        put_section(tx, config, SECTION, &hooks, empty)?;
        let b = serde_json::to_value(&old).unwrap_or_default();
        let removed = payload::Hook {
            hook: name.clone(),
            message: None,
        };
        tx.event(
            None,
            diff_values(&b, &Value::Object(Default::default())),
            Payload::HookRemoved(removed),
        );
        Ok(old)
    })?;
    let dropped = super::outbox::drop_hook(store, &name, crate::clock::now()?)?;
    Ok(HookChange {
        name,
        hook: removed,
        change: "removed",
        dropped_deliveries: Some(dropped),
    })
}

/// The error for a hook name that is not configured.
pub fn unknown(name: &str, hooks: &BTreeMap<String, HookDef>) -> Error {
    let known: Vec<&str> = hooks.keys().map(String::as_str).collect();
    Error::Refused {
        code: crate::error::ErrorCode::UnknownHook,
        message: if known.is_empty() {
            format!(
                "no hook is named `{name}`; no hooks are configured (add one with `jit hook add`)"
            )
        } else {
            format!(
                "no hook is named `{name}`; the hooks are: {}",
                known.join(", ")
            )
        },
        details: json!({ "name": name, "hooks": known }),
    }
}

/// One hook and its queue, as `hook list` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct HookEntry {
    pub name: String,
    #[serde(flatten)]
    pub hook: HookDef,
    /// Deliveries waiting for an attempt or a retry.
    pub pending: usize,
    /// Deliveries that used up their attempts (see `jit hook log`, `jit hook replay`).
    pub failed: usize,
}

/// What `hook list` prints.
#[derive(Debug, Clone, Serialize)]
pub struct HookList {
    pub hooks: Vec<HookEntry>,
    /// Whether `JIT_HOOKS=off` disables them for this process.
    pub disabled: bool,
}

/// `hook list`.
pub fn list(store: &Store) -> Result<HookList> {
    let hooks = read(store)?;
    let counts = super::outbox::counts(store)?;
    Ok(HookList {
        hooks: hooks
            .into_iter()
            .map(|(name, hook)| {
                let (pending, failed) = counts.get(&name).copied().unwrap_or((0, 0));
                HookEntry {
                    name,
                    hook,
                    pending,
                    failed,
                }
            })
            .collect(),
        disabled: super::disabled(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req() -> AddRequest {
        AddRequest {
            name: "n".into(),
            on: vec!["gate.*,issue.created".into()],
            command: Some("true".into()),
            ..Default::default()
        }
    }

    #[test]
    fn builds_and_checks() {
        let d = build(&req(), None).unwrap();
        assert_eq!(d.on, ["gate.*", "issue.created"]);
        assert!(d.wants("gate.failed") && d.wants("issue.created") && !d.wants("issue.updated"));
        assert_eq!(
            (d.timeout_secs, d.max_attempts, d.backoff_secs),
            (10, 8, 10)
        );
        let both = AddRequest {
            url: Some("http://x".into()),
            ..req()
        };
        assert_eq!(build(&both, None).unwrap_err().code(), "usage");
        let secret_on_command = AddRequest {
            secret_env: Some("S".into()),
            ..req()
        };
        assert_eq!(
            build(&secret_on_command, None).unwrap_err().code(),
            "invalid_value"
        );
        for bad in ["", "Gate.*", "a b", "gate;rm"] {
            assert!(check_pattern(bad).is_err(), "{bad}");
        }
        for bad in ["", "1X", "A-B", "s3cr3t value"] {
            assert!(check_env_name(bad).is_err(), "{bad}");
        }
        for bad in ["ftp://x", "http://", "http:///x", "http://a b"] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        let bad_filter = AddRequest {
            filter: Some("priority:>=urgent".into()),
            ..req()
        };
        assert_eq!(
            build(&bad_filter, None).unwrap_err().code(),
            "invalid_query"
        );
    }
}
