//! Shell completion and man pages, generated from the clap definitions.
//!
//! Completion runs through clap_complete's completion engine: the shell calls `jit` itself at
//! each TAB (`COMPLETE=bash jit -- jit issue show 3k<TAB>`), so values come from the store as
//! it is: issue ids (with their titles where the shell shows descriptions: zsh, fish), gate
//! keys, milestones, labels and types, and the fixed values of every enum option. `jit
//! completions SHELL` prints the script that registers this with the shell.
//!
//! Invariants: which values an argument completes is decided here, by the argument's name, for
//! the whole command tree (the command definitions stay free of completion code); a test walks
//! the tree so every argument that takes a value is either completed or listed as free text.
//! Completion never fails loudly: outside a jit repository, ids and keys simply complete to
//! nothing.

use super::Reply;
use crate::error::{Error, Result};
use crate::model::{CiStatus, GateStage, LinkKind, PrStatus, Priority, State, Visibility};
use crate::store::Store;
use clap::Args;
use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use serde::Serialize;
use std::collections::BTreeSet;
use std::path::PathBuf;

/// What an argument's values are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Issue,
    Gate,
    Milestone,
    Label,
    Type,
    State,
    Priority,
    Visibility,
    Stage,
    PrStatus,
    Ci,
    Link,
}

/// The kind of value an argument named `id` takes in the command `path` (`issue update`),
/// if it completes to something jit knows.
pub fn kind_of(path: &str, id: &str) -> Option<Kind> {
    Some(match id {
        "id" if path.starts_with("hook") => return None,
        "on" if !path.starts_with("dep") => return None,
        "issue" if !path.starts_with("events") => return None,
        "id" | "ids" | "deps" | "parent" | "on" | "relates" | "duplicates" | "issue" => Kind::Issue,
        "key" if path.starts_with("gate") => Kind::Gate,
        "gates" | "gate" => Kind::Gate,
        "milestone" => Kind::Milestone,
        "labels" | "add_labels" | "remove_labels" | "label" => Kind::Label,
        "kind" if path.starts_with("issue") => Kind::Type,
        "state" => Kind::State,
        "priority" => Kind::Priority,
        "visibility" => Kind::Visibility,
        "stage" => Kind::Stage,
        "status" if path.starts_with("pr") => Kind::PrStatus,
        "ci" => Kind::Ci,
        "kind" if path.starts_with("link") => Kind::Link,
        _ => return None,
    })
}

/// The command tree with a completer on every argument [`kind_of`] knows.
pub fn command() -> clap::Command {
    decorate(super::command(), "")
}

fn decorate(cmd: clap::Command, path: &str) -> clap::Command {
    let here = if path.is_empty() {
        String::new()
    } else {
        path.to_string()
    };
    let at = here.clone();
    let cmd = cmd.mut_args(move |a| match kind_of(&at, a.get_id().as_str()) {
        Some(k) => a.add(ArgValueCandidates::new(move || candidates(k))),
        None => a,
    });
    cmd.mut_subcommands(|sc| {
        let name = sc.get_name().to_string();
        let sub = if here.is_empty() {
            name
        } else {
            format!("{here} {name}")
        };
        decorate(sc, &sub)
    })
}

/// The store the completed command line names (`-C DIR`), else the one around the current
/// directory.
fn store() -> Option<Store> {
    let args: Vec<String> = std::env::args().collect();
    let mut dir = None;
    let mut it = args.iter().skip_while(|a| *a != "--").skip(1);
    while let Some(a) = it.next() {
        if a == "-C" {
            dir = it.next().cloned();
        } else if let Some(d) = a.strip_prefix("-C") {
            dir = Some(d.to_string());
        }
    }
    let start = dir.map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    Store::discover(&start).ok()
}

fn names<T: std::fmt::Display>(all: &[T]) -> Vec<CompletionCandidate> {
    all.iter()
        .map(|v| CompletionCandidate::new(v.to_string()))
        .collect()
}

/// The values of one kind, from the store where they come from it.
pub fn candidates(k: Kind) -> Vec<CompletionCandidate> {
    match k {
        Kind::State => names(State::ALL),
        Kind::Priority => names(Priority::ALL),
        Kind::Visibility => names(Visibility::ALL),
        Kind::Stage => names(GateStage::ALL),
        Kind::PrStatus => names(PrStatus::ALL),
        Kind::Ci => names(CiStatus::ALL),
        Kind::Link => names(LinkKind::ALL),
        Kind::Type => store()
            .and_then(|s| s.config().ok())
            .map(|c| c.types)
            .unwrap_or_else(|| crate::model::Config::new(String::new()).types)
            .into_iter()
            .map(CompletionCandidate::new)
            .collect(),
        Kind::Gate => store()
            .and_then(|s| s.gates().ok())
            .map(|g| {
                g.values()
                    .map(|d| {
                        CompletionCandidate::new(d.key.clone())
                            .help(Some(super::render::clean_line(&d.title).into()))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        Kind::Issue => issues(),
        Kind::Milestone | Kind::Label => {
            let Some((all, _)) = store().and_then(|s| s.load_all().ok()) else {
                return Vec::new();
            };
            let set: BTreeSet<String> = if k == Kind::Milestone {
                all.into_iter().filter_map(|i| i.milestone).collect()
            } else {
                all.into_iter().flat_map(|i| i.labels).collect()
            };
            set.into_iter().map(CompletionCandidate::new).collect()
        }
    }
}

/// Issue short ids with their titles and states; open work first. From the summary index (a
/// `statx` per issue file, no reads of unchanged ones).
fn issues() -> Vec<CompletionCandidate> {
    let Some((all, _)) = store().and_then(|s| crate::store::index::load(&s).ok()) else {
        return Vec::new();
    };
    let mut rows: Vec<(bool, &str, &str, crate::model::State)> = all
        .iter()
        .map(|s| (s.state().is_closed(), s.id(), s.title(), s.state()))
        .collect();
    rows.sort_by_key(|r| (r.0, r.1));
    rows.into_iter()
        .enumerate()
        .map(|(n, (_, id, title, state))| {
            let help = format!("{} [{state}]", super::render::clean_line(title));
            CompletionCandidate::new(crate::model::id::short_of(id))
                .help(Some(help.into()))
                .display_order(Some(n))
        })
        .collect()
}

/// Answers a completion request (`COMPLETE=<shell>` is set) and exits; else returns.
pub fn complete_if_asked() {
    clap_complete::CompleteEnv::with_factory(command)
        .bin("jit")
        .complete();
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to register completion with (see docs/terminal.md for where to put it).
    pub shell: Shell,
}

#[derive(Serialize)]
struct Generated {
    kind: String,
    content: String,
}

/// `jit completions SHELL`: the registration script. It calls this same `jit` (as it was
/// started: by name from `PATH`, or by its path) for every completion.
pub fn completions(a: CompletionsArgs) -> Result<Reply> {
    use clap_complete::env::EnvCompleter;
    let shell: &dyn EnvCompleter = match a.shell {
        Shell::Bash => &clap_complete::env::Bash,
        Shell::Zsh => &clap_complete::env::Zsh,
        Shell::Fish => &clap_complete::env::Fish,
        Shell::Powershell => &clap_complete::env::Powershell,
        Shell::Elvish => &clap_complete::env::Elvish,
    };
    let arg0 = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("jit"));
    // `jit` found on PATH stays `jit`; a path is made absolute, so the script works from any
    // directory.
    let completer = if arg0.components().count() > 1 {
        std::env::current_dir()
            .map(|d| d.join(&arg0))
            .unwrap_or(arg0)
    } else {
        arg0
    };
    let mut buf = Vec::new();
    shell
        .write_registration(
            "COMPLETE",
            "jit",
            "jit",
            &completer.to_string_lossy(),
            &mut buf,
        )
        .map_err(|e| Error::io("writing the completion script", e))?;
    let content = String::from_utf8(buf).map_err(|e| Error::Internal(e.to_string()))?;
    Ok(Reply::new(
        Generated {
            kind: shell.name().to_string(),
            content,
        },
        |g: &Generated, _| g.content.clone(),
    ))
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command into DIR (`jit.1`, `jit-issue.1`, `jit-issue-create.1`, ...);
    /// without it, print the page of `jit` itself.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Serialize)]
struct ManPages {
    dir: PathBuf,
    pages: Vec<String>,
}

/// Renders the page of `cmd` (built: its subcommands carry their display names, such as
/// `jit-issue-create`) and its subcommands' pages.
fn pages(cmd: &clap::Command, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages(sub, out)?;
    }
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render(&mut buf)
        .map_err(|e| Error::io("rendering a man page", e))?;
    out.push((man.get_filename(), buf));
    Ok(())
}

/// `jit man [--out DIR]`.
pub fn man(a: ManArgs) -> Result<Reply> {
    let mut cmd = super::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = a.out else {
        let mut buf = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut buf)
            .map_err(|e| Error::io("rendering the man page", e))?;
        let content = String::from_utf8(buf).map_err(|e| Error::Internal(e.to_string()))?;
        return Ok(Reply::new(
            Generated {
                kind: "roff".into(),
                content,
            },
            |g: &Generated, _| g.content.clone(),
        ));
    };
    let mut all = Vec::new();
    pages(&cmd, &mut all)?;
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::io(format!("creating `{}`", dir.display()), e))?;
    for (name, bytes) in &all {
        crate::store::write_atomic(&dir.join(name), bytes)?;
    }
    let mut pages: Vec<String> = all.into_iter().map(|(n, _)| n).collect();
    pages.sort();
    Ok(Reply::new(ManPages { dir, pages }, |m: &ManPages, _| {
        format!(
            "wrote {} man pages to {} (try: man -l {}/jit.1)\n",
            m.pages.len(),
            m.dir.display(),
            m.dir.display()
        )
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Arguments whose values are free text, paths, numbers, times or other things jit does
    /// not list: everything else that takes a value must complete.
    const FREE: &[&str] = &[
        "title",
        "desc",
        "desc_file",
        "body",
        "body_file",
        "reason",
        "note",
        "by",
        "to",
        "actor",
        "dir",
        "ttl",
        "until",
        "filter",
        "limit",
        "cursor",
        "fields",
        "since",
        "after",
        "event",
        "on",
        "id",
        "context",
        "due",
        "estimate",
        "evidence",
        "done_when",
        "if_version",
        "from",
        "out",
        "remote",
        "url",
        "number",
        "branch",
        "commit",
        "item",
        "checker",
        "timeout",
        "days",
        "assignee",
        "shell",
        "format",
        "write",
        "port",
        "bind",
        "name",
        "command",
        "secret_env",
        "env",
        "when",
        "payload",
        "file",
        "path",
        "map",
        "base",
        "ours",
        "theirs",
        "wait",
        "kind",
        "check",
        "github_check",
        "max_retries",
        "map_type",
        "map_state",
        "directory",
        "repo",
        "backoff",
        "max_attempts",
        "delivery",
        "hook",
    ];

    fn walk(
        cmd: &clap::Command,
        path: &str,
        missing: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) {
        for a in cmd.get_arguments() {
            seen.insert(a.get_id().to_string());
            let takes_value =
                a.get_num_args().is_some_and(|n| n.takes_values()) || a.is_positional();
            if !takes_value || a.get_id() == "help" || a.get_id() == "version" {
                continue;
            }
            let id = a.get_id().as_str();
            let has_values = a.get_value_parser().possible_values().is_some();
            if kind_of(path, id).is_none() && !has_values && !FREE.contains(&id) {
                missing.push(format!("`{path}` --{id}"));
            }
        }
        for sc in cmd.get_subcommands() {
            let p = if path.is_empty() {
                sc.get_name().to_string()
            } else {
                format!("{path} {}", sc.get_name())
            };
            walk(sc, &p, missing, seen);
        }
    }

    #[test]
    fn every_argument_that_takes_a_value_completes_or_is_free_text() {
        let mut cmd = super::super::command();
        cmd.build();
        let mut missing = Vec::new();
        let mut seen = BTreeSet::new();
        walk(&cmd, "", &mut missing, &mut seen);
        assert!(missing.is_empty(), "classify these arguments: {missing:#?}");
        let stale: Vec<&&str> = FREE.iter().filter(|f| !seen.contains(**f)).collect();
        assert!(
            stale.is_empty(),
            "no argument is named {stale:?}: drop them from FREE"
        );
    }

    #[test]
    fn enum_options_complete_to_their_values() {
        let v = |k| {
            candidates(k)
                .iter()
                .map(|c| c.get_value().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            v(Kind::State),
            [
                "backlog",
                "ready",
                "in_progress",
                "gated",
                "done",
                "archived"
            ]
        );
        assert_eq!(v(Kind::Priority), ["low", "normal", "high", "critical"]);
        assert_eq!(v(Kind::Ci), ["pending", "success", "failure", "cancelled"]);
    }
}
