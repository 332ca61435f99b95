//! The one error type of the core, with a stable machine code and an exit code per kind.
//!
//! Invariants: every variant maps to exactly one snake_case `code()` that scripts may rely on;
//! `exit_code()` is the single place that decides process exit codes (pinned by a test).

use serde_json::{Value, json};
use std::path::PathBuf;

/// Process exit codes. Stable: documented in docs/cli.md and pinned by a test.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Internal error: I/O failure, a bug.
    pub const INTERNAL: u8 = 1;
    /// Usage error or invalid input (bad flag, bad id, bad value, bad query).
    pub const USAGE: u8 = 2;
    /// Something named does not exist (issue, gate, jit repo).
    pub const NOT_FOUND: u8 = 3;
    /// A conflicting write: stale `--if-version`, a cycle, a lost claim.
    pub const CONFLICT: u8 = 4;
    /// The issue is held by another actor.
    pub const ALREADY_CLAIMED: u8 = 5;
    /// Refused because dependencies or gates block the transition.
    pub const BLOCKED: u8 = 6;
    /// `claim-next` found nothing to claim.
    pub const NO_READY_WORK: u8 = 7;
    /// A check failed: `validate` found problems, a gate checker failed, a file is corrupt.
    pub const CHECK_FAILED: u8 = 8;
    /// The git remote claims are published on could not be reached; nothing was changed.
    pub const REMOTE_UNAVAILABLE: u8 = 9;
    /// Interrupted by a signal (SIGTERM, SIGINT, SIGHUP) while running a command: 128 plus the
    /// signal's number, as shells report a process the signal ended.
    pub const SIGNAL_BASE: u8 = 128;
}

/// Every stable error code, with the exit status it ends a command with and a line of docs.
///
/// The one vocabulary of error codes: [`Error::code`] and [`Error::exit_code`] come from here,
/// and a test checks docs/cli.md's exit-code table against [`ErrorCode::ALL`].
macro_rules! error_codes {
    ($( #[doc = $doc:literal] $variant:ident = $name:literal, $exit:ident; )*) => {
        /// A stable snake_case error code (see the list in docs/cli.md).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $( #[doc = $doc] $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the order of docs/cli.md's table.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The code as printed under `--json`.
            pub const fn as_str(self) -> &'static str {
                match self { $(ErrorCode::$variant => $name,)* }
            }

            /// The process exit status of an error with this code (for `interrupted`, the base
            /// that the signal's number is added to).
            pub const fn exit(self) -> u8 {
                match self { $(ErrorCode::$variant => exit::$exit,)* }
            }

            /// One line on what the code means.
            pub const fn doc(self) -> &'static str {
                match self { $(ErrorCode::$variant => $doc.trim_ascii(),)* }
            }
        }
    };
}

error_codes! {
    /// an I/O operation failed (`details.context`, `details.kind`)
    Io = "io", INTERNAL;
    /// a bug in jit
    Internal = "internal", INTERNAL;
    /// a bad command line: unknown flag, missing argument, wrong combination
    Usage = "usage", USAGE;
    /// a string that is not an issue id or prefix
    InvalidId = "invalid_id", USAGE;
    /// a value a field does not accept (`details.field`)
    InvalidValue = "invalid_value", USAGE;
    /// a query that does not parse (`details.position`, `details.token`)
    InvalidQuery = "invalid_query", USAGE;
    /// an id prefix that matches several issues (`details.candidates`)
    AmbiguousId = "ambiguous_id", USAGE;
    /// a gate key the registry does not define
    UnknownGate = "unknown_gate", USAGE;
    /// a state change the state machine does not allow
    InvalidTransition = "invalid_transition", USAGE;
    /// `export web --out DIR` holds files no jit export wrote
    OutDirNotEmpty = "out_dir_not_empty", USAGE;
    /// `gate check` of a gate people pass
    ManualGate = "manual_gate", USAGE;
    /// `gate pass|fail --by` someone else, by an actor that is not `human:`
    ByNotAllowed = "by_not_allowed", USAGE;
    /// a gate the issue does not require
    GateNotRequired = "gate_not_required", USAGE;
    /// `dep rm` of an edge that does not exist
    NotADependency = "not_a_dependency", USAGE;
    /// heartbeat or release of an issue nobody holds
    NotClaimed = "not_claimed", USAGE;
    /// a checklist item that does not exist (`details.items`)
    NoSuchItem = "no_such_item", USAGE;
    /// a checklist item that already exists
    DuplicateItem = "duplicate_item", USAGE;
    /// `issue update --filter` matches more issues than `--limit` (`details.matched`)
    TooManyMatches = "too_many_matches", USAGE;
    /// the editor of `issue edit` exited non-zero; nothing changed
    EditorFailed = "editor_failed", USAGE;
    /// the edited file was emptied, or a new issue got no title
    Aborted = "aborted", USAGE;
    /// a link from an issue to itself
    SelfLink = "self_link", USAGE;
    /// removing a link that does not exist
    NotLinked = "not_linked", USAGE;
    /// `sync` or `--remote` without a remote to use
    NoRemote = "no_remote", USAGE;
    /// the remote refuses pushes to `refs/jit/claims/*`
    RemoteRefused = "remote_refused", USAGE;
    /// a feature this build was compiled without
    FeatureDisabled = "feature_disabled", USAGE;
    /// `sync` on a detached HEAD
    DetachedHead = "detached_head", USAGE;
    /// an import source with bad rows (`details.rows`) or cycles (`details.cycles`)
    InvalidImport = "invalid_import", USAGE;
    /// a hook name the config does not define
    UnknownHook = "unknown_hook", USAGE;
    /// a hook delivery id that does not exist
    UnknownDelivery = "unknown_delivery", USAGE;
    /// hooks are switched off (`JIT_HOOKS=off`)
    HooksDisabled = "hooks_disabled", USAGE;
    /// an alert name the config does not define
    UnknownAlert = "unknown_alert", USAGE;
    /// `github event`: the payload is not the JSON GitHub sends
    InvalidPayload = "invalid_payload", USAGE;
    /// no issue matches the id
    NotFound = "not_found", NOT_FOUND;
    /// no `.jit/` above the working directory
    NotAJitRepo = "not_a_jit_repo", NOT_FOUND;
    /// the path is not inside a git checkout
    NotAGitRepo = "not_a_git_repo", NOT_FOUND;
    /// a stale `--if-version`
    VersionConflict = "version_conflict", CONFLICT;
    /// a dependency that would close a cycle (`details.path`)
    Cycle = "cycle", CONFLICT;
    /// deleting an issue others depend on
    HasDependents = "has_dependents", CONFLICT;
    /// `sync` finished, but another clone's claim won (`details.lost`)
    ClaimLost = "claim_lost", CONFLICT;
    /// the pull could not be merged and was undone
    SyncConflict = "sync_conflict", CONFLICT;
    /// other clones kept pushing first
    PushRejected = "push_rejected", CONFLICT;
    /// the checkout is in the middle of a git rebase, merge, cherry-pick or revert
    GitInProgress = "git_in_progress", CONFLICT;
    /// another git holds a lock of this clone
    GitBusy = "git_busy", CONFLICT;
    /// `sync` could not undo what a killed sync left
    SyncInterrupted = "sync_interrupted", CONFLICT;
    /// the merge driver could not merge an issue file (git keeps the conflict)
    MergeFailed = "merge_failed", CONFLICT;
    /// a claim lost a race on the remote; retried at once, never shown unless it repeats
    RemoteRace = "remote_race", CONFLICT;
    /// the issue is held by another actor
    AlreadyClaimed = "already_claimed", ALREADY_CLAIMED;
    /// your lease ran out and another holder took the issue at a later epoch
    ClaimSuperseded = "claim_superseded", ALREADY_CLAIMED;
    /// dependencies block the transition (`details.blockers`)
    Blocked = "blocked", BLOCKED;
    /// gates still pending (`details.gates`)
    GatesPending = "gates_pending", BLOCKED;
    /// `claim-next` found nothing to claim
    NoReadyWork = "no_ready_work", NO_READY_WORK;
    /// a file jit cannot parse (`details.path`)
    CorruptFile = "corrupt_file", CHECK_FAILED;
    /// a store written by a newer or older jit
    SchemaVersion = "schema_version", CHECK_FAILED;
    /// `export roadmap --check`: the file differs from the store
    OutOfDate = "out_of_date", CHECK_FAILED;
    /// the git remote could not be reached; nothing was changed
    RemoteUnavailable = "remote_unavailable", REMOTE_UNAVAILABLE;
    /// interrupted by a signal; the exit status is 128 plus its number
    Interrupted = "interrupted", SIGNAL_BASE;
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Every way a jit operation can fail.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("not inside a jit repository (searched upward from `{}`); run `jit init` in a git checkout", .start.display())]
    NotAJitRepo { start: PathBuf },

    #[error("`{}` is not inside a git checkout; run `git init` first or pass `-C` to a checkout", .path.display())]
    NotAGitRepo { path: PathBuf },

    #[error("no issue matches `{id}`; `jit issue list` shows the ids")]
    NotFound { id: String },

    #[error("`{prefix}` is ambiguous: it matches {} issues ({}); type more characters", .candidates.len(), .candidates.join(", "))]
    AmbiguousId {
        prefix: String,
        candidates: Vec<String>,
    },

    #[error("`{id}` is not a valid issue id: {reason}")]
    InvalidId { id: String, reason: String },

    #[error("invalid {field}: {message}")]
    InvalidValue { field: String, message: String },

    #[error("{message}")]
    Usage { message: String },

    #[error("issue `{}` is at version {actual}, not {expected}; re-read it and retry", short(.id))]
    VersionConflict {
        id: String,
        expected: u64,
        actual: u64,
    },

    #[error("adding that dependency would close a cycle: {}", .path.join(" -> "))]
    Cycle { path: Vec<String> },

    #[error("{message}")]
    Blocked {
        id: String,
        message: String,
        blockers: Value,
    },

    #[error("issue `{}` cannot finish: gates pending: {}", short(.id), .gates.join(", "))]
    GatesPending { id: String, gates: Vec<String> },

    #[error("issue `{}` is claimed by `{holder}`{}", short(.id), .expires.as_ref().map(|e| format!(" until {e}")).unwrap_or_default())]
    AlreadyClaimed {
        id: String,
        holder: String,
        expires: Option<String>,
    },

    #[error("your claim on `{}` (epoch {yours}) was superseded: it is held by `{}` under epoch {epoch}; stop work on it", short(.id), .holder.as_deref().unwrap_or("nobody"))]
    ClaimSuperseded {
        id: String,
        holder: Option<String>,
        epoch: u64,
        yours: u64,
    },

    #[error(
        "cannot reach the git remote `{remote}`: {reason}; nothing was changed here. Check the network or the remote's URL and try again"
    )]
    RemoteUnavailable { remote: String, reason: String },

    #[error("no ready, unclaimed issue{}", .filter.as_ref().map(|f| format!(" matches `{f}`")).unwrap_or_default())]
    NoReadyWork { filter: Option<String> },

    #[error("invalid query at {position}: {message} (`{token}`)")]
    InvalidQuery {
        position: usize,
        token: String,
        message: String,
    },

    #[error("corrupt file `{}`: {message}", .path.display())]
    CorruptFile { path: PathBuf, message: String },

    #[error("`{}` is out of date: {summary}; regenerate it with `{command}`", .path.display())]
    OutOfDate {
        path: PathBuf,
        summary: String,
        command: String,
        details: Value,
    },

    #[error("unknown gate `{key}`; define it with `jit gate define {key} --title ...`")]
    UnknownGate { key: String },

    #[error("{message}")]
    Conflict {
        code: ErrorCode,
        message: String,
        details: Value,
    },

    #[error("{message}")]
    Refused {
        code: ErrorCode,
        message: String,
        details: Value,
    },

    #[error(
        "store schema version {found} is newer than this jit supports ({supported}); upgrade jit"
    )]
    SchemaTooNew { found: u64, supported: u64 },

    #[error("store schema version {found} is older than {supported}; run `jit migrate`")]
    SchemaTooOld { found: u64, supported: u64 },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{message}")]
    Interrupted { signal: i32, message: String },

    #[error("internal error: {0}")]
    Internal(String),
}

/// The short form of a full issue id, for messages (other text is returned unchanged).
fn short(id: &str) -> String {
    // An issue id is a 26-character ULID; its short form is the last 8, lower case (the rule
    // of `IssueId::short`, restated here so that this module depends on nothing in the crate).
    if id.len() == 26 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        id[18..].to_ascii_lowercase()
    } else {
        id.to_string()
    }
}

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with what was being done and to which path.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    /// An invalid value for a named field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::InvalidValue {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The stable snake_case code of this error, as printed under `--json`.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }

    /// The typed code of this error.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            Error::NotAJitRepo { .. } => ErrorCode::NotAJitRepo,
            Error::NotAGitRepo { .. } => ErrorCode::NotAGitRepo,
            Error::NotFound { .. } => ErrorCode::NotFound,
            Error::AmbiguousId { .. } => ErrorCode::AmbiguousId,
            Error::InvalidId { .. } => ErrorCode::InvalidId,
            Error::InvalidValue { .. } => ErrorCode::InvalidValue,
            Error::Usage { .. } => ErrorCode::Usage,
            Error::VersionConflict { .. } => ErrorCode::VersionConflict,
            Error::Cycle { .. } => ErrorCode::Cycle,
            Error::Blocked { .. } => ErrorCode::Blocked,
            Error::GatesPending { .. } => ErrorCode::GatesPending,
            Error::AlreadyClaimed { .. } => ErrorCode::AlreadyClaimed,
            Error::ClaimSuperseded { .. } => ErrorCode::ClaimSuperseded,
            Error::RemoteUnavailable { .. } => ErrorCode::RemoteUnavailable,
            Error::NoReadyWork { .. } => ErrorCode::NoReadyWork,
            Error::InvalidQuery { .. } => ErrorCode::InvalidQuery,
            Error::CorruptFile { .. } => ErrorCode::CorruptFile,
            Error::UnknownGate { .. } => ErrorCode::UnknownGate,
            Error::OutOfDate { .. } => ErrorCode::OutOfDate,
            Error::Conflict { code, .. } | Error::Refused { code, .. } => *code,
            Error::SchemaTooNew { .. } | Error::SchemaTooOld { .. } => ErrorCode::SchemaVersion,
            Error::Io { .. } => ErrorCode::Io,
            Error::Interrupted { .. } => ErrorCode::Interrupted,
            Error::Internal(_) => ErrorCode::Internal,
        }
    }

    /// Machine-readable details for the JSON error object.
    pub fn details(&self) -> Value {
        match self {
            Error::NotAJitRepo { start } => json!({ "start": start }),
            Error::NotAGitRepo { path } => json!({ "path": path }),
            Error::NotFound { id } => json!({ "id": id }),
            Error::AmbiguousId { prefix, candidates } => {
                json!({ "prefix": prefix, "candidates": candidates })
            }
            Error::InvalidId { id, reason } => json!({ "id": id, "reason": reason }),
            Error::InvalidValue { field, .. } => json!({ "field": field }),
            Error::Usage { .. } => json!({}),
            Error::VersionConflict {
                id,
                expected,
                actual,
            } => {
                json!({ "id": id, "expected": expected, "actual": actual })
            }
            Error::Cycle { path } => json!({ "path": path }),
            Error::Blocked { id, blockers, .. } => json!({ "id": id, "blockers": blockers }),
            Error::GatesPending { id, gates } => json!({ "id": id, "gates": gates }),
            Error::AlreadyClaimed {
                id,
                holder,
                expires,
            } => {
                json!({ "id": id, "holder": holder, "lease_expires_at": expires })
            }
            Error::ClaimSuperseded {
                id,
                holder,
                epoch,
                yours,
            } => json!({ "id": id, "holder": holder, "epoch": epoch, "your_epoch": yours }),
            Error::RemoteUnavailable { remote, reason } => {
                json!({ "remote": remote, "reason": reason })
            }
            Error::NoReadyWork { filter } => json!({ "filter": filter }),
            Error::InvalidQuery {
                position, token, ..
            } => {
                json!({ "position": position, "token": token })
            }
            Error::CorruptFile { path, .. } => json!({ "path": path }),
            Error::UnknownGate { key } => json!({ "key": key }),
            Error::OutOfDate { details, .. } => details.clone(),
            Error::Conflict { details, .. } | Error::Refused { details, .. } => details.clone(),
            Error::SchemaTooNew { found, supported } | Error::SchemaTooOld { found, supported } => {
                json!({ "found": found, "supported": supported })
            }
            Error::Io { context, source } => {
                json!({ "context": context, "kind": format!("{:?}", source.kind()) })
            }
            Error::Interrupted { signal, .. } => json!({
                "signal": signal,
                "name": signal_hook::low_level::signal_name(*signal),
            }),
            Error::Internal(_) => json!({}),
        }
    }

    /// The process exit code for this error: its code's ([`ErrorCode::exit`]), and for a signal
    /// 128 plus the signal's number.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Interrupted { signal, .. } => {
                exit::SIGNAL_BASE.saturating_add(u8::try_from(*signal).unwrap_or(0))
            }
            e => e.error_code().exit(),
        }
    }

    /// The JSON error object printed under `--json`.
    pub fn to_json(&self) -> Value {
        serde_json::to_value(self.reply()).unwrap_or_else(
            |_| json!({ "error": { "code": self.code(), "message": self.to_string(), "details": {} } }),
        )
    }

    /// The error as the typed reply behind [`Error::to_json`].
    pub fn reply(&self) -> ErrorReply {
        let details = match self.details() {
            Value::Object(m) => m,
            Value::Null => serde_json::Map::new(),
            other => serde_json::Map::from_iter([("value".to_string(), other)]),
        };
        ErrorReply {
            error: ErrorBody {
                code: self.code().to_string(),
                message: self.to_string(),
                details,
            },
        }
    }
}

/// What every failing command prints under `--json` (and what `jit mcp` tools return as an error).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ErrorReply {
    pub error: ErrorBody,
}

/// The error itself.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    /// A stable snake_case code scripts may rely on (`not_found`, `invalid_id`, `already_claimed`,
    /// `blocked`, ...; docs/cli.md lists them with their exit codes).
    pub code: String,
    /// What happened, to what, and what to do; for people.
    pub message: String,
    /// Machine-readable specifics of this code (ids, paths, candidates, blockers).
    pub details: serde_json::Map<String, Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_stable() {
        let table: Vec<(Error, &str, u8)> = vec![
            (
                Error::Usage {
                    message: "x".into(),
                },
                "usage",
                2,
            ),
            (
                Error::InvalidId {
                    id: "x".into(),
                    reason: "r".into(),
                },
                "invalid_id",
                2,
            ),
            (Error::invalid("f", "m"), "invalid_value", 2),
            (
                Error::InvalidQuery {
                    position: 1,
                    token: "t".into(),
                    message: "m".into(),
                },
                "invalid_query",
                2,
            ),
            (
                Error::AmbiguousId {
                    prefix: "a".into(),
                    candidates: vec![],
                },
                "ambiguous_id",
                2,
            ),
            (Error::UnknownGate { key: "k".into() }, "unknown_gate", 2),
            (Error::NotFound { id: "x".into() }, "not_found", 3),
            (
                Error::NotAJitRepo {
                    start: PathBuf::new(),
                },
                "not_a_jit_repo",
                3,
            ),
            (
                Error::VersionConflict {
                    id: "x".into(),
                    expected: 1,
                    actual: 2,
                },
                "version_conflict",
                4,
            ),
            (Error::Cycle { path: vec![] }, "cycle", 4),
            (
                Error::AlreadyClaimed {
                    id: "x".into(),
                    holder: "h".into(),
                    expires: None,
                },
                "already_claimed",
                5,
            ),
            (
                Error::Blocked {
                    id: "x".into(),
                    message: "m".into(),
                    blockers: Value::Null,
                },
                "blocked",
                6,
            ),
            (
                Error::GatesPending {
                    id: "x".into(),
                    gates: vec![],
                },
                "gates_pending",
                6,
            ),
            (Error::NoReadyWork { filter: None }, "no_ready_work", 7),
            (
                Error::Conflict {
                    code: ErrorCode::ClaimLost,
                    message: "m".into(),
                    details: json!({}),
                },
                "claim_lost",
                4,
            ),
            (
                Error::Refused {
                    code: ErrorCode::NoRemote,
                    message: "m".into(),
                    details: json!({}),
                },
                "no_remote",
                2,
            ),
            (
                Error::CorruptFile {
                    path: PathBuf::new(),
                    message: "m".into(),
                },
                "corrupt_file",
                8,
            ),
            (
                Error::OutOfDate {
                    path: PathBuf::new(),
                    summary: "s".into(),
                    command: "c".into(),
                    details: json!({}),
                },
                "out_of_date",
                8,
            ),
            (
                Error::ClaimSuperseded {
                    id: "x".into(),
                    holder: Some("agent:b".into()),
                    epoch: 2,
                    yours: 1,
                },
                "claim_superseded",
                5,
            ),
            (
                Error::RemoteUnavailable {
                    remote: "origin".into(),
                    reason: "r".into(),
                },
                "remote_unavailable",
                9,
            ),
            (Error::Internal("x".into()), "internal", 1),
            (
                Error::Interrupted {
                    signal: 15,
                    message: "m".into(),
                },
                "interrupted",
                143,
            ),
        ];
        for (e, code, exit) in table {
            assert_eq!(e.code(), code);
            assert_eq!(e.exit_code(), exit, "{code}");
            let j = e.to_json();
            assert_eq!(j["error"]["code"], code);
            assert!(j["error"]["message"].is_string() && j["error"]["details"].is_object());
        }
    }

    /// docs/cli.md's exit-code table lists every code in the row of its exit status.
    #[test]
    fn docs_list_every_code_with_its_exit_status() {
        let doc = include_str!("../docs/cli.md");
        let table = doc
            .split("## Exit codes")
            .nth(1)
            .and_then(|t| t.split("\n## ").next())
            .expect("docs/cli.md has an exit-code section");
        let mut documented: std::collections::BTreeMap<&str, Vec<u8>> = Default::default();
        for row in table.lines().filter(|l| l.starts_with('|')) {
            let cells: Vec<&str> = row.split(" | ").collect();
            let status = cells[0].trim_start_matches('|').trim();
            let status = if status.starts_with("128") {
                exit::SIGNAL_BASE
            } else if let Ok(n) = status.parse::<u8>() {
                n
            } else {
                continue;
            };
            let codes = cells.last().copied().unwrap_or_default();
            for token in codes.split('`').skip(1).step_by(2) {
                if ErrorCode::ALL.iter().any(|c| c.as_str() == token) {
                    documented.entry(token).or_default().push(status);
                }
            }
        }
        for code in ErrorCode::ALL {
            assert_eq!(
                documented.get(code.as_str()).map(Vec::as_slice),
                Some(&[code.exit()][..]),
                "docs/cli.md must list `{code}` once, under exit status {}",
                code.exit()
            );
            assert!(!code.doc().is_empty());
        }
        let names: std::collections::HashSet<&str> =
            ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), ErrorCode::ALL.len(), "codes are unique");
    }
}
