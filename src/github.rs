//! The GitHub loop: `jit github event` applies a GitHub webhook or Actions event payload to the
//! issues it names (docs/github.md).
//!
//! - `pull_request` (`opened`, `reopened`, `ready_for_review`, `converted_to_draft`,
//!   `synchronize`, `edited`, `closed`): the pull request is linked to every issue it names (an
//!   id in its head branch, by the configured patterns, or `jit:<id>` / `Fixes <id>` in its
//!   title or body) and to every issue it is linked to already; an open pull request moves a
//!   `ready` issue to `in_progress`; a merge completes the issue (`gated` or `done` by its gates)
//!   and records the merge commit in `context.merge_commit`; closing without a merge comments.
//! - `check_run`, `check_suite`, `workflow_run` (`completed`): the linked pull request's CI
//!   status follows the checks of its head commit (any failing check: `failure`), a failure adds
//!   a comment with the check's URL, and an auto gate mapped to the check's name
//!   (`"github_check"` in gates.json) passes or fails by the conclusion.
//!
//! Invariants: every change goes through the core operations (`pr_link`, `issues::update`,
//! `comment`, `gates::set_status`), so their rules apply (a manual gate is never passed by
//! `ci:github`, a blocked issue is not completed). Every step first compares what it would write
//! with what is stored and does nothing when they agree, so the same delivery applied twice
//! changes nothing the second time, and a delivery applied after an earlier one failed midway
//! completes it. An event that names no issue is a no-op; a payload without the fields GitHub
//! sends is an `invalid_payload` error and changes nothing.

use crate::error::{Error, ErrorBody, Result};
use crate::model::{Actor, CiStatus, GateState, Issue, PrStatus, PullRequest, State};
use crate::ops::comment::comment;
use crate::ops::issues::{self, UpdateRequest};
use crate::ops::pr::{PrRequest, pr_link};
use crate::store::Store;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The key of the config section (`"github": {"branch_patterns": [...]}`).
pub const SECTION: &str = "github";
/// The context key holding the names of the checks failing on a pull request's head commit.
pub const FAILED_CHECKS_KEY: &str = "github_failed_checks";
/// The context key holding the merge commit of a merged pull request.
pub const MERGE_COMMIT_KEY: &str = "merge_commit";
/// Branch patterns used when the config names none; `{id}` is a short id or a full id.
pub const DEFAULT_BRANCH_PATTERNS: &[&str] = &[
    "{id}",
    "{id}-*",
    "*/{id}",
    "*/{id}-*",
    "jit-{id}",
    "jit-{id}-*",
    "*/jit-{id}",
    "*/jit-{id}-*",
];
/// Words that name an issue when an id follows them in a title or body (`Fixes 3kf9q2ab`).
pub const KEYWORDS: &[&str] = &[
    "fix", "fixes", "fixed", "close", "closes", "closed", "resolve", "resolves", "resolved",
];

/// The `github` section of config.json.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GithubConfig {
    /// Patterns a head branch is matched against; `{id}` stands for the issue id, `*` for any
    /// run of characters.
    #[serde(default)]
    pub branch_patterns: Option<Vec<String>>,
}

impl GithubConfig {
    fn patterns(&self) -> Vec<String> {
        match &self.branch_patterns {
            Some(p) if !p.is_empty() => p.clone(),
            _ => DEFAULT_BRANCH_PATTERNS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// One change (or decision not to change) made for one issue.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `pr_linked`, `started`, `completed`, `merge_commit`, `commented`, `ci_status`,
    /// `checks`, `gate_passed`, `gate_failed`.
    pub action: &'static str,
    /// False when the store already said so (nothing written).
    pub changed: bool,
    pub detail: String,
    /// Set when the core refused the step (the others still ran).
    pub error: Option<ErrorBody>,
}

/// What happened to one issue.
#[derive(Debug, Clone, Serialize)]
pub struct IssueReport {
    pub id: String,
    pub short_id: String,
    pub steps: Vec<Step>,
}

/// What `jit github event` reports.
#[derive(Debug, Clone, Serialize)]
pub struct EventReport {
    /// The event name (`pull_request`, `check_run`, ...).
    pub event: String,
    pub action: Option<String>,
    /// True when the event was applied to at least one issue.
    pub applied: bool,
    /// True when anything was written.
    pub changed: bool,
    /// What was done, or why nothing was.
    pub message: String,
    pub issues: Vec<IssueReport>,
}

impl EventReport {
    fn noop(event: &str, action: Option<&str>, message: String) -> Self {
        EventReport {
            event: event.to_string(),
            action: action.map(str::to_string),
            applied: false,
            changed: false,
            message,
            issues: Vec::new(),
        }
    }

    /// The exit code: that of the first refused step, else 0.
    pub fn exit_code(&self) -> u8 {
        self.issues
            .iter()
            .flat_map(|i| &i.steps)
            .find_map(|s| s.error.as_ref())
            .map(|e| exit_for_code(&e.code))
            .unwrap_or(crate::error::exit::OK)
    }
}

fn exit_for_code(code: &str) -> u8 {
    use crate::error::exit;
    match code {
        "blocked" | "gates_pending" => exit::BLOCKED,
        "already_claimed" => exit::ALREADY_CLAIMED,
        "version_conflict" | "cycle" => exit::CONFLICT,
        "not_found" => exit::NOT_FOUND,
        "io" | "internal" => exit::INTERNAL,
        _ => exit::USAGE,
    }
}

fn invalid(event: &str, message: String) -> Error {
    Error::Refused {
        code: crate::error::ErrorCode::InvalidPayload,
        message: format!("not a GitHub `{event}` payload: {message}; nothing was changed"),
        details: json!({ "event": event }),
    }
}

/// Typed access to a payload, with errors naming the missing field.
struct Payload<'a> {
    event: &'a str,
    root: &'a Value,
}

impl<'a> Payload<'a> {
    fn at(&self, path: &str) -> Option<&'a Value> {
        let mut v = self.root;
        for part in path.split('.') {
            v = v.get(part)?;
        }
        (!v.is_null()).then_some(v)
    }

    fn str(&self, path: &str) -> Result<&'a str> {
        self.at(path)
            .and_then(Value::as_str)
            .ok_or_else(|| invalid(self.event, format!("`{path}` is missing or not a string")))
    }

    fn opt_str(&self, path: &str) -> Result<Option<&'a str>> {
        match self.at(path) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(invalid(self.event, format!("`{path}` is not a string"))),
        }
    }

    fn u64(&self, path: &str) -> Result<u64> {
        self.at(path)
            .and_then(Value::as_u64)
            .ok_or_else(|| invalid(self.event, format!("`{path}` is missing or not a number")))
    }

    fn bool(&self, path: &str) -> Result<bool> {
        match self.at(path) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(_) => Err(invalid(
                self.event,
                format!("`{path}` is not true or false"),
            )),
        }
    }

    fn obj(&self, path: &str) -> Result<()> {
        match self.at(path) {
            Some(Value::Object(_)) => Ok(()),
            _ => Err(invalid(
                self.event,
                format!("`{path}` is missing or not an object"),
            )),
        }
    }
}

/// Reads a payload file: JSON, an object.
pub fn read_payload(path: &Path, event: &str) -> Result<Value> {
    let bytes = std::fs::read(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::invalid("payload", format!("`{}` does not exist", path.display()))
        } else {
            Error::io(format!("reading `{}`", path.display()), e)
        }
    })?;
    let v: Value = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(event, format!("`{}` is not JSON ({e})", path.display())))?;
    if !v.is_object() {
        return Err(invalid(
            event,
            format!("`{}` holds JSON but not an object", path.display()),
        ));
    }
    Ok(v)
}

/// Whether `c` can appear in an id (Crockford base32, either case).
fn id_char(c: char) -> bool {
    c.is_ascii_digit()
        || (c.is_ascii_alphabetic() && !matches!(c.to_ascii_lowercase(), 'i' | 'l' | 'o' | 'u'))
}

/// Finds the issues an id token names: a full id, or a short id of exactly one issue.
struct Ids<'a> {
    full: BTreeMap<String, &'a Issue>,
    short: BTreeMap<String, Vec<&'a Issue>>,
}

impl<'a> Ids<'a> {
    fn new(issues: &'a [Issue]) -> Self {
        let mut full = BTreeMap::new();
        let mut short: BTreeMap<String, Vec<&Issue>> = BTreeMap::new();
        for i in issues {
            full.insert(i.id.to_string(), i);
            short.entry(i.short_id()).or_default().push(i);
        }
        Ids { full, short }
    }

    fn lookup(&self, token: &str) -> Option<&'a Issue> {
        if !token.chars().all(id_char) {
            return None;
        }
        match token.len() {
            26 => self.full.get(&token.to_ascii_uppercase()).copied(),
            8 => match self
                .short
                .get(&token.to_ascii_lowercase())
                .map(Vec::as_slice)
            {
                Some([one]) => Some(*one),
                _ => None,
            },
            _ => None,
        }
    }
}

/// The issues a branch name names, by the patterns.
fn named_by_branch<'a>(branch: &str, patterns: &[String], ids: &Ids<'a>) -> Vec<&'a Issue> {
    let mut out: Vec<&Issue> = Vec::new();
    let chars: Vec<(usize, char)> = branch.char_indices().collect();
    for pattern in patterns {
        let Some((pre, post)) = pattern.split_once("{id}") else {
            continue;
        };
        for (k, &(start, _)) in chars.iter().enumerate() {
            for len in [8usize, 26] {
                let Some(&(end_char, _)) = chars.get(k + len - 1) else {
                    continue;
                };
                let end = end_char + branch[end_char..].chars().next().map_or(0, char::len_utf8);
                let token = &branch[start..end];
                if crate::queries::wildcard(pre, &branch[..start])
                    && crate::queries::wildcard(post, &branch[end..])
                    && let Some(i) = ids.lookup(token)
                    && !out.iter().any(|o| o.id == i.id)
                {
                    out.push(i);
                }
            }
        }
    }
    out
}

fn trim_token(w: &str) -> &str {
    w.trim_matches(|c: char| !c.is_ascii_alphanumeric())
}

/// The issues a title or body names: `jit:<id>`, or a closing keyword and an id.
fn named_by_text<'a>(text: &str, ids: &Ids<'a>) -> Vec<&'a Issue> {
    let mut out: Vec<&Issue> = Vec::new();
    let mut push = |i: &'a Issue| {
        if !out.iter().any(|o| o.id == i.id) {
            out.push(i);
        }
    };
    let words: Vec<&str> = text.split_whitespace().collect();
    for (n, w) in words.iter().enumerate() {
        let lower = w.to_ascii_lowercase();
        if let Some(pos) = lower.find("jit:") {
            let rest = trim_token(&w[pos + 4..]);
            if let Some(i) = ids.lookup(rest) {
                push(i);
            }
        }
        let word = trim_token(&lower);
        if KEYWORDS.contains(&word)
            && let Some(next) = words.get(n + 1)
            && let Some(i) = ids.lookup(trim_token(next))
        {
            push(i);
        }
    }
    out
}

fn step(action: &'static str, changed: bool, detail: String) -> Step {
    Step {
        action,
        changed,
        detail,
        error: None,
    }
}

fn refused(action: &'static str, detail: String, e: &Error) -> Step {
    Step {
        action,
        changed: false,
        detail,
        error: Some(e.reply().error),
    }
}

/// One line of user text for jit: control characters become spaces.
fn one_line(s: &str) -> String {
    let t: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    t.trim().chars().take(crate::model::limits::TITLE).collect()
}

/// Applies one event. `name` is the event name (`GITHUB_EVENT_NAME`), `payload` its JSON.
pub fn apply(store: &Store, actor: &Actor, name: &str, payload: &Value) -> Result<EventReport> {
    let name = name.trim();
    let p = Payload {
        event: name,
        root: payload,
    };
    match name {
        "pull_request" | "pull_request_target" => pull_request(store, actor, &p),
        "check_run" | "check_suite" | "workflow_run" => check(store, actor, &p),
        "" => Err(Error::Usage {
            message: "no event name: pass `--name` or set GITHUB_EVENT_NAME".into(),
        }),
        other => Ok(EventReport::noop(
            other,
            p.opt_str("action")?,
            format!(
                "jit does not act on `{other}` events (only pull_request, check_run, check_suite and workflow_run); nothing to do"
            ),
        )),
    }
}

fn load(store: &Store) -> Result<(Vec<Issue>, GithubConfig)> {
    let config = store.config()?;
    let gh: GithubConfig =
        crate::hooks::config::section(&config, SECTION, &store.dir().join("config.json"))?;
    let (issues, _) = store.load_all()?;
    Ok((issues, gh))
}

const OPEN_ACTIONS: &[&str] = &[
    "opened",
    "reopened",
    "ready_for_review",
    "converted_to_draft",
    "synchronize",
    "edited",
];

fn pull_request(store: &Store, actor: &Actor, p: &Payload<'_>) -> Result<EventReport> {
    let action = p.str("action")?;
    p.obj("pull_request")?;
    let number = p.u64("pull_request.number")?;
    let url = p.str("pull_request.html_url")?;
    let title = one_line(p.str("pull_request.title")?);
    let body = p.opt_str("pull_request.body")?.unwrap_or_default();
    let branch = p.str("pull_request.head.ref")?;
    let head = p.str("pull_request.head.sha")?;
    let draft = p.bool("pull_request.draft")?;
    let merged = p.bool("pull_request.merged")?;
    let merge_commit = p.opt_str("pull_request.merge_commit_sha")?;
    if action != "closed" && !OPEN_ACTIONS.contains(&action) {
        return Ok(EventReport::noop(
            p.event,
            Some(action),
            format!("jit does not act on `pull_request` `{action}`; nothing to do"),
        ));
    }
    let status = if action == "closed" {
        if merged {
            PrStatus::Merged
        } else {
            PrStatus::Closed
        }
    } else if draft {
        PrStatus::Draft
    } else {
        PrStatus::Open
    };
    let (issues, gh) = load(store)?;
    let ids = Ids::new(&issues);
    let mut targets = named_by_branch(branch, &gh.patterns(), &ids);
    for i in named_by_text(&title, &ids)
        .into_iter()
        .chain(named_by_text(body, &ids))
        .chain(
            issues
                .iter()
                .filter(|i| i.prs.iter().any(|pr| pr.url == url)),
        )
    {
        if !targets.iter().any(|t| t.id == i.id) {
            targets.push(i);
        }
    }
    if targets.is_empty() {
        return Ok(EventReport::noop(
            p.event,
            Some(action),
            format!(
                "pull request #{number} names no jit issue (branch `{branch}`, title and body searched for an id); nothing to do"
            ),
        ));
    }
    let mut report = EventReport {
        event: p.event.to_string(),
        action: Some(action.to_string()),
        applied: true,
        changed: false,
        message: String::new(),
        issues: Vec::new(),
    };
    for issue in targets {
        let mut steps = Vec::new();
        let id = issue.id.to_string();
        let before = issue.prs.iter().find(|pr| pr.url == url).cloned();
        // 1. The link, with what GitHub says now. A new head commit restarts CI.
        let new_head = before.as_ref().and_then(|b| b.commit.as_deref()) != Some(head);
        let ci = if new_head && status != PrStatus::Merged && status != PrStatus::Closed {
            Some(CiStatus::Pending)
        } else {
            None
        };
        let branch_ok = crate::model::validate_name("branch", branch).is_ok()
            && !branch.chars().any(char::is_whitespace);
        let want = PrRequest {
            url: url.to_string(),
            number: Some(number),
            title: (!title.is_empty()).then(|| title.clone()),
            status: Some(status),
            branch: branch_ok.then(|| branch.to_string()),
            commit: Some(head.to_ascii_lowercase()),
            ci,
        };
        if new_head && issue.context.contains_key(FAILED_CHECKS_KEY) {
            let r = issues::update(
                store,
                actor,
                &id,
                UpdateRequest {
                    context: vec![(FAILED_CHECKS_KEY.into(), None)],
                    ..Default::default()
                },
            );
            if let Err(e) = r {
                steps.push(refused("checks", "clearing the failed checks".into(), &e));
            }
        }
        if pr_matches(before.as_ref(), &want) {
            steps.push(step(
                "pr_linked",
                false,
                format!("#{number} already linked ({status})"),
            ));
        } else {
            match pr_link(store, actor, &id, want, None) {
                Ok(_) => steps.push(step(
                    "pr_linked",
                    true,
                    format!(
                        "#{number} {url} ({status}, {branch} at {})",
                        short_sha(head)
                    ),
                )),
                Err(e) => steps.push(refused("pr_linked", format!("#{number}"), &e)),
            }
        }
        // 2. What the action means for the issue.
        let current = store.load(&issue.id)?;
        match status {
            PrStatus::Open | PrStatus::Draft => {
                if current.state == State::Ready {
                    match set_state(store, actor, &id, State::InProgress, None) {
                        Ok(_) => steps.push(step(
                            "started",
                            true,
                            format!("ready -> in_progress: pull request #{number} is open"),
                        )),
                        Err(e) => steps.push(refused("started", "ready -> in_progress".into(), &e)),
                    }
                }
            }
            PrStatus::Merged => {
                let commit = merge_commit.map(str::to_ascii_lowercase);
                let commit_known = commit
                    .as_ref()
                    .is_none_or(|c| current.context.get(MERGE_COMMIT_KEY) == Some(c));
                if matches!(current.state, State::Done | State::Gated | State::Archived) {
                    if !commit_known && current.state != State::Archived {
                        match set_state(store, actor, &id, current.state, commit.as_deref()) {
                            Ok(_) => steps.push(step(
                                "merge_commit",
                                true,
                                format!(
                                    "merge commit {}",
                                    short_sha(commit.as_deref().unwrap_or(""))
                                ),
                            )),
                            Err(e) => steps.push(refused("merge_commit", String::new(), &e)),
                        }
                    }
                } else {
                    match set_state(store, actor, &id, State::Done, commit.as_deref()) {
                        Ok(o) => steps.push(step(
                            "completed",
                            true,
                            if o.transition.pending_gates.is_empty() {
                                format!("{} -> done: pull request #{number} merged", current.state)
                            } else {
                                format!(
                                    "{} -> gated: pull request #{number} merged; waiting on {}",
                                    current.state,
                                    o.transition.pending_gates.join(", ")
                                )
                            },
                        )),
                        Err(e) => steps.push(refused(
                            "completed",
                            format!("pull request #{number} merged"),
                            &e,
                        )),
                    }
                }
            }
            PrStatus::Closed => {
                if before.as_ref().and_then(|b| b.status) != Some(PrStatus::Closed) {
                    let text = format!("Pull request #{number} was closed without merging: {url}");
                    match comment(store, actor, &id, &text, None) {
                        Ok(_) => steps.push(step("commented", true, text)),
                        Err(e) => steps.push(refused("commented", text, &e)),
                    }
                }
            }
        }
        report.issues.push(IssueReport {
            id: id.clone(),
            short_id: issue.short_id(),
            steps,
        });
    }
    finish(&mut report, &format!("pull request #{number} {action}"));
    Ok(report)
}

fn finish(report: &mut EventReport, what: &str) {
    report.changed = report
        .issues
        .iter()
        .any(|i| i.steps.iter().any(|s| s.changed));
    let shorts: Vec<&str> = report.issues.iter().map(|i| i.short_id.as_str()).collect();
    report.message = if report.changed {
        format!("{what}: applied to {}", shorts.join(", "))
    } else {
        format!(
            "{what}: {} already up to date; nothing changed",
            shorts.join(", ")
        )
    };
}

fn short_sha(s: &str) -> &str {
    s.get(..7).unwrap_or(s)
}

/// Whether the stored entry already says everything `want` says.
fn pr_matches(have: Option<&PullRequest>, want: &PrRequest) -> bool {
    let Some(h) = have else {
        return false;
    };
    (want.number.is_none() || h.number == want.number)
        && (want.title.is_none() || h.title == want.title)
        && (want.status.is_none() || h.status == want.status)
        && (want.branch.is_none() || h.branch == want.branch)
        && (want.commit.is_none() || h.commit == want.commit)
        && (want.ci.is_none() || h.ci == want.ci)
}

fn set_state(
    store: &Store,
    actor: &Actor,
    id: &str,
    state: State,
    merge_commit: Option<&str>,
) -> Result<issues::Outcome> {
    issues::update(
        store,
        actor,
        id,
        UpdateRequest {
            state: Some(state),
            context: merge_commit
                .map(|c| vec![(MERGE_COMMIT_KEY.to_string(), Some(c.to_string()))])
                .unwrap_or_default(),
            ..Default::default()
        },
    )
}

/// How a check's conclusion counts.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Verdict {
    Passed,
    /// `neutral`, `skipped`: not a failure, but not evidence for a gate either.
    Neutral,
    Failed,
    Cancelled,
}

fn verdict(conclusion: &str) -> Option<Verdict> {
    Some(match conclusion {
        "success" => Verdict::Passed,
        "neutral" | "skipped" => Verdict::Neutral,
        "failure" | "timed_out" | "action_required" | "startup_failure" => Verdict::Failed,
        "cancelled" => Verdict::Cancelled,
        _ => return None, // `stale` and anything new: not a result
    })
}

fn check(store: &Store, actor: &Actor, p: &Payload<'_>) -> Result<EventReport> {
    let action = p.str("action")?;
    let object = p.event;
    p.obj(object)?;
    if action != "completed" {
        return Ok(EventReport::noop(
            object,
            Some(action),
            format!(
                "jit acts on `{object}` only when it is completed (this one is `{action}`); nothing to do"
            ),
        ));
    }
    let (check_name, url, branch_path) = match object {
        "check_run" => (
            p.str("check_run.name")?.to_string(),
            p.opt_str("check_run.html_url")?.map(str::to_string),
            "check_run.check_suite.head_branch",
        ),
        "check_suite" => (
            p.str("check_suite.app.name")?.to_string(),
            None,
            "check_suite.head_branch",
        ),
        _ => (
            match p.opt_str("workflow_run.name")? {
                Some(n) if !n.is_empty() => n.to_string(),
                _ => p.str("workflow.name")?.to_string(),
            },
            p.opt_str("workflow_run.html_url")?.map(str::to_string),
            "workflow_run.head_branch",
        ),
    };
    let head = p.str(&format!("{object}.head_sha"))?.to_ascii_lowercase();
    let branch = p.opt_str(branch_path)?.unwrap_or_default();
    let conclusion = p.str(&format!("{object}.conclusion"))?;
    let repo_url = p.opt_str("repository.html_url")?.unwrap_or_default();
    let url = url.unwrap_or_else(|| {
        if repo_url.is_empty() {
            String::new()
        } else {
            format!("{repo_url}/commit/{head}/checks")
        }
    });
    let numbers: Vec<u64> = match p.at(&format!("{object}.pull_requests")) {
        None => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|pr| {
                pr.get("number").and_then(Value::as_u64).ok_or_else(|| {
                    invalid(
                        object,
                        format!("an entry of `{object}.pull_requests` has no `number`"),
                    )
                })
            })
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(invalid(
                object,
                format!("`{object}.pull_requests` is not a list"),
            ));
        }
    };
    let Some(verdict) = verdict(conclusion) else {
        return Ok(EventReport::noop(
            object,
            Some(action),
            format!(
                "check `{check_name}` concluded `{conclusion}`, which is not a result; nothing to do"
            ),
        ));
    };
    let (issues, _) = load(store)?;
    let gates = store.gates()?;
    // The linked pull requests this check is about: by number in this repository, by head
    // commit, or (an open one) by head branch.
    let mut targets: Vec<(&Issue, PullRequest)> = Vec::new();
    for i in &issues {
        let hit = i.prs.iter().find(|pr| {
            let by_number = pr.number.is_some_and(|n| numbers.contains(&n))
                && !repo_url.is_empty()
                && pr.url.starts_with(&format!("{repo_url}/pull/"));
            let by_commit = pr.commit.as_deref() == Some(head.as_str());
            let by_branch = !branch.is_empty()
                && pr.branch.as_deref() == Some(branch)
                && matches!(pr.status, Some(PrStatus::Open | PrStatus::Draft) | None);
            by_number || by_commit || by_branch
        });
        if let Some(pr) = hit {
            targets.push((i, pr.clone()));
        }
    }
    if targets.is_empty() {
        return Ok(EventReport::noop(
            object,
            Some(action),
            format!(
                "check `{check_name}` ({conclusion}) on {} names no linked pull request of a jit issue{}; nothing to do",
                short_sha(&head),
                if branch.is_empty() {
                    String::new()
                } else {
                    format!(" (branch `{branch}`)")
                }
            ),
        ));
    }
    let mut report = EventReport {
        event: object.to_string(),
        action: Some(action.to_string()),
        applied: true,
        changed: false,
        message: String::new(),
        issues: Vec::new(),
    };
    for (issue, pr) in targets {
        let id = issue.id.to_string();
        let mut steps = Vec::new();
        if pr.commit.as_deref().is_some_and(|c| c != head) {
            steps.push(step(
                "ci_status",
                false,
                format!(
                    "check `{check_name}` ran on {}, but pull request #{} is at {}; ignored",
                    short_sha(&head),
                    pr.number.unwrap_or_default(),
                    short_sha(pr.commit.as_deref().unwrap_or(""))
                ),
            ));
            report.issues.push(IssueReport {
                id,
                short_id: issue.short_id(),
                steps,
            });
            continue;
        }
        // 1. Which checks fail on this commit.
        let mut failing: BTreeSet<String> = issue
            .context
            .get(FAILED_CHECKS_KEY)
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let newly_failed = verdict == Verdict::Failed && failing.insert(check_name.clone());
        let recovered = verdict != Verdict::Failed && failing.remove(&check_name);
        if newly_failed || recovered {
            let value = failing.iter().cloned().collect::<Vec<_>>().join(",");
            let r = issues::update(
                store,
                actor,
                &id,
                UpdateRequest {
                    context: vec![(
                        FAILED_CHECKS_KEY.into(),
                        (!value.is_empty()).then_some(value.clone()),
                    )],
                    ..Default::default()
                },
            );
            match r {
                Ok(_) => steps.push(step(
                    "checks",
                    true,
                    if value.is_empty() {
                        "no failing checks".into()
                    } else {
                        format!("failing checks: {value}")
                    },
                )),
                Err(e) => steps.push(refused("checks", String::new(), &e)),
            }
        }
        // 2. The pull request's CI status.
        let ci = if !failing.is_empty() {
            CiStatus::Failure
        } else if verdict == Verdict::Cancelled {
            CiStatus::Cancelled
        } else {
            CiStatus::Success
        };
        if pr.ci == Some(ci) {
            steps.push(step("ci_status", false, format!("CI already {ci}")));
        } else {
            let req = PrRequest {
                url: pr.url.clone(),
                ci: Some(ci),
                ..Default::default()
            };
            match pr_link(store, actor, &id, req, None) {
                Ok(_) => steps.push(step(
                    "ci_status",
                    true,
                    format!(
                        "CI {} -> {ci} (check `{check_name}`: {conclusion})",
                        pr.ci
                            .map(|c| c.to_string())
                            .unwrap_or_else(|| "unknown".into())
                    ),
                )),
                Err(e) => steps.push(refused("ci_status", String::new(), &e)),
            }
        }
        // 3. A failure is worth a comment, once per check and commit.
        if newly_failed {
            let text = format!(
                "CI check `{check_name}` {conclusion} on {} (pull request #{}): {url}",
                short_sha(&head),
                pr.number.unwrap_or_default()
            );
            match comment(store, actor, &id, &text, None) {
                Ok(_) => steps.push(step("commented", true, text)),
                Err(e) => steps.push(refused("commented", text, &e)),
            }
        }
        // 4. Gates mapped to this check.
        let target = match verdict {
            Verdict::Passed => Some(GateState::Passed),
            Verdict::Failed => Some(GateState::Failed),
            Verdict::Neutral | Verdict::Cancelled => None,
        };
        if let Some(target) = target {
            let current = store.load(&issue.id)?;
            for (key, def) in &gates {
                if crate::ops::gates::github_check(def) != Some(check_name.as_str())
                    || !current.gates_required.contains(key)
                {
                    continue;
                }
                let action = if target == GateState::Passed {
                    "gate_passed"
                } else {
                    "gate_failed"
                };
                let status = current.gates_status.get(key);
                if status
                    .is_some_and(|s| s.status == target && s.by.as_deref() == Some(actor.as_str()))
                {
                    steps.push(step(
                        action,
                        false,
                        format!("gate `{key}` already {target}"),
                    ));
                    continue;
                }
                if current.state.is_closed() {
                    steps.push(step(
                        action,
                        false,
                        format!("gate `{key}` left alone: the issue is {}", current.state),
                    ));
                    continue;
                }
                let note = format!("check `{check_name}` {conclusion}: {url}");
                match crate::ops::gates::set_status(
                    store,
                    actor,
                    &id,
                    key,
                    target,
                    None,
                    Some(&note),
                ) {
                    Ok(o) => steps.push(step(
                        action,
                        true,
                        format!("gate `{key}` {target}; the issue is {}", o.view.issue.state),
                    )),
                    Err(e) => steps.push(refused(action, format!("gate `{key}`"), &e)),
                }
            }
        }
        report.issues.push(IssueReport {
            id,
            short_id: issue.short_id(),
            steps,
        });
    }
    finish(
        &mut report,
        &format!("check `{check_name}` {conclusion} on {}", short_sha(&head)),
    );
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{IssueId, Timestamp};

    fn issue(n: u32) -> Issue {
        let id = IssueId::parse(&format!("01JAAAAAAAAAAAAAAAAA{n:06}")).unwrap();
        Issue::new(id, format!("issue {n}"), Timestamp::from_millis(0))
    }

    #[test]
    fn names_issues_in_branches_titles_and_bodies() {
        let issues = vec![issue(1), issue(2), issue(3)];
        let ids = Ids::new(&issues);
        let s1 = issues[0].short_id();
        let s2 = issues[1].short_id();
        let pats: Vec<String> = DEFAULT_BRANCH_PATTERNS
            .iter()
            .map(|s| s.to_string())
            .collect();
        let got = |b: &str| {
            named_by_branch(b, &pats, &ids)
                .iter()
                .map(|i| i.short_id())
                .collect::<Vec<_>>()
        };
        assert_eq!(got(&format!("feat/{s1}-login-page")), [s1.as_str()]);
        assert_eq!(got(&format!("jit-{s2}")), [s2.as_str()]);
        assert_eq!(got(&format!("{}", issues[0].id)), [s1.as_str()]);
        assert_eq!(got(&format!("feat/{}", s1.to_uppercase())), [s1.as_str()]);
        assert!(got("feat/database-migration").is_empty());
        assert!(got(&format!("feat/x{s1}-y")).is_empty());
        let custom = vec!["users/*/{id}".to_string()];
        assert_eq!(
            named_by_branch(&format!("users/bob/{s2}"), &custom, &ids).len(),
            1
        );
        assert!(named_by_branch(&format!("feat/{s2}-x"), &custom, &ids).is_empty());

        let text = |t: &str| {
            named_by_text(t, &ids)
                .iter()
                .map(|i| i.short_id())
                .collect::<Vec<_>>()
        };
        assert_eq!(text(&format!("Login page (jit:{s1})")), [s1.as_str()]);
        assert_eq!(
            text(&format!("Fixes {s2}, closes #{s1}.")),
            [s2.as_str(), s1.as_str()]
        );
        assert!(text(&format!("mentions {s1} without a keyword")).is_empty());
    }

    #[test]
    fn conclusions() {
        assert_eq!(verdict("success"), Some(Verdict::Passed));
        assert_eq!(verdict("timed_out"), Some(Verdict::Failed));
        assert_eq!(verdict("skipped"), Some(Verdict::Neutral));
        assert_eq!(verdict("cancelled"), Some(Verdict::Cancelled));
        assert_eq!(verdict("stale"), None);
    }
}
