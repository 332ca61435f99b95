//! `jit issue edit` and `jit issue create` in `$VISUAL`/`$EDITOR`, and the `--desc -` /
//! `--desc-file` inputs.
//!
//! Invariants: the edit is applied as one update with `--if-version` set to the version the
//! editor was opened on, so a change made meanwhile is refused (`version_conflict`) and never
//! overwritten; whenever the edited text is not applied (a conflict, a refused value, a failed
//! editor) the file is kept and its path reported, so no typing is lost. An unchanged file
//! changes nothing.

use super::issue::{CreateArgs, create_reply, create_request};
use super::render::{Style, clean_line};
use super::{Ctx, Reply};
use crate::error::{Error, ErrorCode, Result};
use crate::ops::issues::{self, Outcome};
use crate::template::{self, Draft};
use clap::Args;
use serde::Serialize;
use serde_json::json;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct EditArgs {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// Start from this file instead of the issue as it is (such as the text a conflict kept).
    #[arg(long, value_name = "PATH")]
    pub from: Option<PathBuf>,
}

/// Reads a long text flag: the value itself, `-` for stdin, or a file (`-`: stdin).
pub fn text_input(
    field: &str,
    value: Option<String>,
    file: Option<PathBuf>,
) -> Result<Option<String>> {
    let limit = crate::model::limits::TEXT;
    let read = |mut r: Box<dyn Read>, what: &str| -> Result<String> {
        let mut buf = Vec::new();
        r.by_ref()
            .take(limit as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| Error::io(format!("reading the {field} from {what}"), e))?;
        if buf.len() > limit {
            return Err(Error::invalid(field, format!("longer than {limit} bytes")));
        }
        String::from_utf8(buf)
            .map_err(|_| Error::invalid(field, format!("{what} is not UTF-8 text")))
    };
    match (value, file) {
        (Some(v), _) if v == "-" => read(Box::new(std::io::stdin()), "stdin").map(Some),
        (Some(v), _) => Ok(Some(v)),
        (None, Some(p)) if p.as_os_str() == "-" => {
            read(Box::new(std::io::stdin()), "stdin").map(Some)
        }
        (None, Some(p)) => {
            let f = std::fs::File::open(&p)
                .map_err(|e| Error::io(format!("opening `{}`", p.display()), e))?;
            read(Box::new(f), &format!("`{}`", p.display())).map(Some)
        }
        (None, None) => Ok(None),
    }
}

/// The editor command: `$VISUAL`, else `$EDITOR`, else `vi`.
fn editor() -> String {
    ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".to_string())
}

/// The file the editor works on, in the temporary directory; removed unless kept.
struct Buffer {
    file: Option<tempfile::TempPath>,
    path: PathBuf,
}

impl Buffer {
    fn new(name: &str, text: &str) -> Result<Buffer> {
        let f = tempfile::Builder::new()
            .prefix(&format!("jit-{name}-"))
            .suffix(".md")
            .tempfile()
            .map_err(|e| Error::io("creating the file to edit", e))?;
        std::fs::write(f.path(), text).map_err(|e| Error::io("writing the file to edit", e))?;
        let path = f.path().to_path_buf();
        Ok(Buffer {
            file: Some(f.into_temp_path()),
            path,
        })
    }

    fn read(&self) -> Result<String> {
        std::fs::read_to_string(&self.path)
            .map_err(|e| Error::io(format!("reading `{}`", self.path.display()), e))
    }

    /// Keeps the file and returns its path.
    fn keep(mut self) -> PathBuf {
        if let Some(f) = self.file.take() {
            let _ = f.keep();
        }
        self.path.clone()
    }
}

/// Runs the editor on `path` with the terminal; an editor that fails applies nothing.
fn run_editor(path: &Path) -> Result<()> {
    let cmd = editor();
    // Through the shell, as git does, so `EDITOR="code --wait"` works.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{cmd} \"$@\""))
        .arg("jit-editor")
        .arg(path)
        .status()
        .map_err(|e| Error::io("starting the editor through `sh`", e))?;
    if status.success() {
        return Ok(());
    }
    Err(Error::Refused {
        code: ErrorCode::EditorFailed,
        message: format!(
            "the editor `{}` exited with {}; nothing was changed (set $VISUAL or $EDITOR to choose another)",
            clean_line(&cmd),
            status
                .code()
                .map(|c| format!("status {c}"))
                .unwrap_or_else(|| "a signal".into())
        ),
        details: json!({ "editor": cmd, "status": status.code() }),
    })
}

/// Explains what the editor shows, as comment lines of the front matter.
fn notes(head: &str, config: &crate::model::Config) -> Vec<String> {
    vec![
        head.to_string(),
        "Save and quit to apply; an unchanged file changes nothing, an empty one aborts.".into(),
        format!(
            "priority: {} · type: {}",
            crate::model::Priority::ALL
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            config.types.join(", ")
        ),
        "due: YYYY-MM-DD · visibility: internal or public · an empty value clears a field".into(),
        "The description follows the front matter; its `- [ ]` lines are the checklist.".into(),
    ]
}

/// What `issue edit` reports: the issue (after the change), what the change moved, and
/// whether anything changed.
#[derive(Serialize)]
struct Edited {
    #[serde(flatten)]
    outcome: Outcome,
    changed: bool,
}

impl crate::view::OneIssue for Edited {
    fn issue(&self) -> &crate::view::IssueView {
        &self.outcome.view
    }
}

/// The error for text that could not be applied, with where it is kept.
fn kept(e: Error, saved: &Path, id: &str) -> Error {
    let retry = format!("jit issue edit {id} --from {}", saved.display());
    match e {
        Error::VersionConflict {
            id: full,
            expected,
            actual,
        } => Error::Conflict {
            code: ErrorCode::VersionConflict,
            message: format!(
                "issue `{id}` changed while you were editing it (version {expected}, now {actual}); nothing was written. Your text is kept in `{}`: see what changed with `jit issue show {id}`, then `{retry}`",
                saved.display()
            ),
            details: json!({
                "id": full, "expected": expected, "actual": actual, "saved": saved,
            }),
        },
        other => {
            super::print_warnings(&[format!(
                "your text is kept in `{}`; fix it and run `{retry}`",
                saved.display()
            )]);
            other
        }
    }
}

/// `issue edit ID`.
pub fn edit(ctx: &Ctx, a: EditArgs) -> Result<Reply> {
    let store = ctx.store()?;
    let actor = ctx.actor(&store)?;
    let config = store.config()?;
    let shown = issues::show(&store, &a.id)?;
    let current = shown.issue.clone();
    let short = current.short_id();
    let draft = Draft::of_issue(&current);
    let start = match &a.from {
        Some(p) => text_input("draft", None, Some(p.clone()))?.unwrap_or_default(),
        None => draft.render(&notes(
            &format!(
                "Editing {short} ({}, version {}).",
                current.state, current.version
            ),
            &config,
        )),
    };
    let buffer = Buffer::new(&short, &start)?;
    if let Err(e) = run_editor(&buffer.path) {
        return Err(
            if buffer.read().ok().as_deref() == Some(&start) || a.from.is_some() {
                e
            } else {
                kept(e, &buffer.keep(), &short)
            },
        );
    }
    let text = buffer.read()?;
    if text.trim().is_empty() {
        return Err(Error::Refused {
            code: ErrorCode::Aborted,
            message: format!("the file was emptied; issue `{short}` is unchanged"),
            details: json!({ "id": current.id }),
        });
    }
    let edited = match Draft::parse(&text) {
        Ok(d) => d,
        Err(e) => return Err(kept(e, &buffer.keep(), &short)),
    };
    let req = template::changes(&current, &draft, &edited);
    if template::is_empty(&req) {
        let outcome = Outcome {
            view: shown,
            transition: Default::default(),
        };
        return Ok(Reply::issue(
            Edited {
                outcome,
                changed: false,
            },
            |e: &Edited, _| format!("no changes to {}\n", e.outcome.view.short_id),
        ));
    }
    match issues::update(&store, &actor, current.id.as_str(), req) {
        Ok(outcome) => Ok(Reply::issue(
            Edited {
                outcome,
                changed: true,
            },
            |e: &Edited, s: &Style| super::issue::outcome_text(&e.outcome, s),
        )),
        Err(e) => Err(kept(e, &buffer.keep(), &short)),
    }
}

/// `issue create` without `--title` (on a terminal) or with `--edit`: the template, filled
/// with the values given as flags, written in the editor.
pub fn create_in_editor(ctx: &Ctx, a: CreateArgs, desc: Option<String>) -> Result<Reply> {
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if !a.edit && a.from.is_none() && (ctx.global.json || !interactive) {
        return Err(super::missing_title());
    }
    let store = ctx.store()?;
    let config = store.config()?;
    let draft = Draft {
        title: a.title.clone().unwrap_or_default(),
        priority: Some(a.priority.unwrap_or(config.default_priority)),
        kind: Some(a.kind.clone().unwrap_or_else(|| "task".into())),
        labels: a.labels.clone(),
        milestone: a.milestone.clone(),
        parent: a.parent.clone(),
        due: a.due.clone(),
        estimate: a.estimate,
        visibility: a.visibility,
        evidence: a.evidence.clone(),
        done_when: a.done_when.clone(),
        description: desc.clone().unwrap_or_default(),
        checklist: Vec::new(),
    };
    let start = match &a.from {
        Some(p) => text_input("draft", None, Some(p.clone()))?.unwrap_or_default(),
        None => draft.render(&notes("A new issue: give it a title.", &config)),
    };
    let buffer = Buffer::new("new", &start)?;
    if let Err(e) = run_editor(&buffer.path) {
        return Err(
            if buffer.read().ok().as_deref() == Some(&start) || a.from.is_some() {
                e
            } else {
                kept_new(e, &buffer.keep())
            },
        );
    }
    let text = buffer.read()?;
    let parsed = if text.trim().is_empty() {
        None
    } else {
        match Draft::parse(&text) {
            Ok(d) => Some(d),
            Err(e) => return Err(kept_new(e, &buffer.keep())),
        }
    };
    let Some(edited) = parsed.filter(|d| !d.title.trim().is_empty()) else {
        return Err(Error::Refused {
            code: ErrorCode::Aborted,
            message: "no title was given; nothing was created".into(),
            details: json!({}),
        });
    };
    let base = create_request(a, None)?;
    let req = edited.into_create(base);
    match create_reply(ctx, req) {
        Ok(r) => Ok(r),
        Err(e) => Err(kept_new(e, &buffer.keep())),
    }
}

fn kept_new(e: Error, saved: &Path) -> Error {
    super::print_warnings(&[format!(
        "your text is kept in `{}`; fix it with `jit issue create --from {}`",
        saved.display(),
        saved.display()
    )]);
    e
}
