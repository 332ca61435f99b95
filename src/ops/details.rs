//! Rich details of an issue that are lists of their own: checklist items (acceptance criteria),
//! comments, links to other issues and linked pull requests.
//!
//! Invariants:
//! - Every change is one transaction through [`Store::mutate`]: validate the input first, then
//!   under the lock read the issue fresh, check `--if-version`, stage the new issue (which bumps
//!   `version`) and record one event with the before/after of the changed field.
//! - Checklist item and comment ids are short random tokens, stable across edits, so two branches
//!   that each add or check items merge by id. Items are addressed by their exact (trimmed) text.
//! - A link is stored on the issue that names it only (`links: [{kind, target}]`, target a full
//!   id); the other side learns of it by a scan ([`linked_from`], `issue list` views), never by a
//!   second write.
//! - A pull request is identified by its URL: linking the same URL again updates it in place.

use crate::error::{Error, Result};
use crate::model::EventKind;
use crate::model::{
    Actor, ChecklistItem, CiStatus, Comment, Issue, IssueId, Link, LinkKind, PrStatus, PullRequest,
    limits, validate_name, validate_text,
};
use crate::store::Store;
use crate::view::{IssueView, LinkRef};
use crate::workflow::view_in;
use serde::Serialize;
use serde_json::json;

/// Seeds a checklist from markdown task lines (`- [ ] text`, `* [x] text`) in a description,
/// each item with a fresh id.
pub fn checklist_from_markdown(description: &str) -> Vec<ChecklistItem> {
    crate::model::checklist_from_markdown(description, || crate::random::token(6))
}

/// Checks one line of user text: trimmed, non-blank, no control characters, bounded.
fn one_line(field: &str, t: &str, max_chars: usize) -> Result<String> {
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

/// What a checklist command did.
#[derive(Debug, Serialize)]
pub struct ChecklistOutcome {
    #[serde(flatten)]
    pub view: IssueView,
    /// The item added, checked or unchecked, as stored now.
    pub item: ChecklistItem,
    /// False when the item was already in the requested state (nothing written).
    pub changed: bool,
}

impl ChecklistOutcome {
    /// Checked items and all items of the issue's checklist.
    pub fn progress(&self) -> (usize, usize) {
        let c = &self.view.issue.checklist;
        (c.iter().filter(|i| i.checked).count(), c.len())
    }
}

/// `checklist add`: appends an unchecked item. An item with the same text is refused.
pub fn checklist_add(
    store: &Store,
    actor: &Actor,
    input: &str,
    text: &str,
    if_version: Option<u64>,
) -> Result<ChecklistOutcome> {
    let text = one_line("item", text, limits::TITLE)?;
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let id = before.id.clone();
        if let Some(existing) = before.checklist.iter().find(|i| i.text.trim() == text) {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::DuplicateItem,
                message: format!(
                    "issue `{}` already has the checklist item \"{}\"; use `jit checklist check` to tick it",
                    id.short(),
                    text.escape_debug()
                ),
                details: json!({ "id": id, "item": existing }),
            });
        }
        let item = ChecklistItem {
            id: crate::random::token(6),
            text: text.clone(),
            checked: false,
            checked_by: None,
            checked_at: None,
        };
        let mut after = before.clone();
        after.checklist.push(item.clone());
        let after = tx.edit(
            EventKind::ChecklistAdded,
            &before,
            after,
            json!({ "item": item.id, "text": item.text }),
        )?;
        let view = view_in(tx, after)?;
        Ok(ChecklistOutcome {
            view,
            item,
            changed: true,
        })
    })
}

/// `checklist check` (`checked` true) and `checklist uncheck` (false): finds the item by its exact
/// text and sets it. An item already in that state is left alone (no write, no event).
pub fn checklist_set(
    store: &Store,
    actor: &Actor,
    input: &str,
    text: &str,
    checked: bool,
    if_version: Option<u64>,
) -> Result<ChecklistOutcome> {
    let text = one_line("item", text, limits::TITLE)?;
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let matches: Vec<usize> = before
            .checklist
            .iter()
            .enumerate()
            .filter(|(_, i)| i.text.trim() == text)
            .map(|(n, _)| n)
            .collect();
        // With repeated texts (hand edits, seeded descriptions), act on one not yet in the state.
        let pick = matches
            .iter()
            .copied()
            .find(|n| before.checklist[*n].checked != checked)
            .or_else(|| matches.first().copied());
        let Some(n) = pick else {
            return Err(no_such_item(&before, &text));
        };
        if before.checklist[n].checked == checked {
            let item = before.checklist[n].clone();
            let view = view_in(tx, before)?;
            return Ok(ChecklistOutcome {
                view,
                item,
                changed: false,
            });
        }
        let mut after = before.clone();
        let item = &mut after.checklist[n];
        item.checked = checked;
        if checked {
            item.checked_by = Some(tx.actor.to_string());
            item.checked_at = Some(tx.now);
        } else {
            item.checked_by = None;
            item.checked_at = None;
        }
        let item = item.clone();
        let kind = if checked {
            EventKind::ChecklistChecked
        } else {
            EventKind::ChecklistUnchecked
        };
        let after = tx.edit(
            kind,
            &before,
            after,
            json!({ "item": item.id, "text": item.text }),
        )?;
        let view = view_in(tx, after)?;
        Ok(ChecklistOutcome {
            view,
            item,
            changed: true,
        })
    })
}

fn no_such_item(issue: &Issue, text: &str) -> Error {
    let items: Vec<serde_json::Value> = issue
        .checklist
        .iter()
        .map(|i| json!({ "id": i.id, "text": i.text, "checked": i.checked }))
        .collect();
    let listed = if issue.checklist.is_empty() {
        format!(
            "it has no checklist items; add one with `jit checklist add {} --item TEXT`",
            issue.short_id()
        )
    } else {
        let texts: Vec<String> = issue
            .checklist
            .iter()
            .map(|i| format!("\"{}\"", i.text.escape_debug()))
            .collect();
        format!("its items are: {}", texts.join(", "))
    };
    Error::Refused {
        code: crate::error::ErrorCode::NoSuchItem,
        message: format!(
            "issue `{}` has no checklist item \"{}\"; {listed}",
            issue.short_id(),
            text.escape_debug()
        ),
        details: json!({ "id": issue.id, "item": text, "items": items }),
    }
}

/// What `issue comment` did.
#[derive(Debug, Serialize)]
pub struct CommentOutcome {
    #[serde(flatten)]
    pub view: IssueView,
    /// The comment as stored.
    pub comment: Comment,
}

/// `issue comment`: appends a comment by the acting actor.
pub fn comment(
    store: &Store,
    actor: &Actor,
    input: &str,
    body: &str,
    if_version: Option<u64>,
) -> Result<CommentOutcome> {
    let body = validate_text("body", body)?;
    let body = body.trim_end().to_string();
    if body.trim().is_empty() {
        return Err(Error::invalid("body", "is blank; say something"));
    }
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let comment = Comment {
            id: crate::random::token(8),
            author: tx.actor.to_string(),
            at: tx.now,
            body: body.clone(),
        };
        let mut after = before.clone();
        after.comments.push(comment.clone());
        let after = tx.edit(
            EventKind::CommentAdded,
            &before,
            after,
            json!({ "comment": comment.id }),
        )?;
        let view = view_in(tx, after)?;
        Ok(CommentOutcome { view, comment })
    })
}

/// What `link add` and `link rm` did.
#[derive(Debug, Serialize)]
pub struct LinkOutcome {
    #[serde(flatten)]
    pub view: IssueView,
    /// The link added or removed (`id` is the other issue).
    pub link: LinkRef,
    /// False when `link add` found the link already there (nothing written).
    pub changed: bool,
}

/// `link add`: stores a link from `input` to `target_input`. Refuses self links and missing
/// targets; adding a link that exists already changes nothing.
pub fn link_add(
    store: &Store,
    actor: &Actor,
    input: &str,
    kind: LinkKind,
    target_input: &str,
    if_version: Option<u64>,
) -> Result<LinkOutcome> {
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let id = before.id.clone();
        let target = tx.resolve(target_input)?;
        if target == id {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::SelfLink,
                message: format!("issue `{}` cannot link to itself", id.short()),
                details: json!({ "id": id, "kind": kind }),
            });
        }
        tx.get(&target)?;
        let link = Link {
            kind,
            target: target.to_string(),
        };
        let link_ref = LinkRef::new(kind, &target);
        if before.links.contains(&link) {
            let view = view_in(tx, before)?;
            return Ok(LinkOutcome {
                view,
                link: link_ref,
                changed: false,
            });
        }
        let mut after = before.clone();
        after.links.push(link);
        let after = tx.edit(
            EventKind::LinkAdded,
            &before,
            after,
            json!({ "kind": kind, "target": target }),
        )?;
        let view = view_in(tx, after)?;
        Ok(LinkOutcome {
            view,
            link: link_ref,
            changed: true,
        })
    })
}

/// `link rm`: removes a stored link. The target may be gone (deleted): it is matched against the
/// stored links then.
pub fn link_remove(
    store: &Store,
    actor: &Actor,
    input: &str,
    kind: LinkKind,
    target_input: &str,
    if_version: Option<u64>,
) -> Result<LinkOutcome> {
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let id = before.id.clone();
        let target = match tx.resolve(target_input) {
            Ok(t) => t.to_string(),
            Err(Error::NotFound { .. }) => {
                let p = crate::model::IdPrefix::parse(target_input)?;
                let mut hits: Vec<&str> = before
                    .links
                    .iter()
                    // Only well-formed ids: a hand-edited target is not matched by prefix.
                    .filter(|l| l.kind == kind)
                    .filter(|l| IssueId::parse(&l.target).is_ok_and(|t| t.as_str() == l.target))
                    .filter(|l| p.matches(&l.target))
                    .map(|l| l.target.as_str())
                    .collect();
                hits.dedup();
                match hits.as_slice() {
                    [one] => one.to_string(),
                    _ => {
                        return Err(Error::NotFound {
                            id: target_input.to_string(),
                        });
                    }
                }
            }
            Err(e) => return Err(e),
        };
        let link = Link {
            kind,
            target: target.clone(),
        };
        if !before.links.contains(&link) {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::NotLinked,
                message: format!(
                    "issue `{}` has no `{kind}` link to `{}`",
                    id.short(),
                    crate::view::short_of_stored(&target)
                ),
                details: json!({ "id": id, "kind": kind, "target": target }),
            });
        }
        let mut after = before.clone();
        after.links.retain(|l| l != &link);
        let after = tx.edit(
            EventKind::LinkRemoved,
            &before,
            after,
            json!({ "kind": kind, "target": target }),
        )?;
        let view = view_in(tx, after)?;
        Ok(LinkOutcome {
            view,
            link: LinkRef::from_stored(kind, &target),
            changed: true,
        })
    })
}

/// Fills in what other issues say about this one: the links they hold to it (`linked_from`)
/// and, for a parent, the progress of its sub-tasks. Reads every issue.
pub fn add_related(store: &Store, view: &mut crate::view::IssueView) -> Result<()> {
    let (issues, _) = store.load_all()?;
    let id = &view.issue.id;
    view.linked_from = Some(
        crate::view::incoming_links(&issues)
            .remove(id.as_str())
            .unwrap_or_default(),
    );
    let children: Vec<&crate::model::Issue> = issues
        .iter()
        .filter(|i| i.parent.as_ref() == Some(id))
        .collect();
    if !children.is_empty() {
        view.progress = Some(crate::view::Progress {
            done: children
                .iter()
                .filter(|c| c.state == crate::model::State::Done)
                .count(),
            total: children.len(),
        });
    }
    Ok(())
}

/// What `pr link` takes: the URL identifies the pull request; every other field given replaces
/// the stored one, fields not given are kept.
#[derive(Debug, Clone, Default)]
pub struct PrRequest {
    pub url: String,
    pub number: Option<u64>,
    pub title: Option<String>,
    pub status: Option<PrStatus>,
    pub branch: Option<String>,
    pub commit: Option<String>,
    pub ci: Option<CiStatus>,
}

/// The longest URL accepted.
const MAX_URL: usize = 2048;

fn check_url(u: &str) -> Result<String> {
    let u = u.trim();
    let rest = u
        .strip_prefix("https://")
        .or_else(|| u.strip_prefix("http://"));
    let bad = |why: &str| {
        Error::invalid(
            "url",
            format!(
                "`{}` {why}; give the pull request's http(s) URL",
                u.escape_debug()
            ),
        )
    };
    match rest {
        None => return Err(bad("does not start with `http://` or `https://`")),
        Some("") => return Err(bad("has no host")),
        Some(_) => {}
    }
    if u.len() > MAX_URL {
        return Err(bad(&format!("is longer than {MAX_URL} bytes")));
    }
    if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains whitespace or control characters"));
    }
    Ok(u.to_string())
}

fn check_commit(c: &str) -> Result<String> {
    let c = c.trim();
    if !(7..=64).contains(&c.len()) || !c.chars().all(|ch| ch.is_ascii_hexdigit()) {
        return Err(Error::invalid(
            "commit",
            format!(
                "`{}` is not a commit sha (7 to 64 hex characters)",
                c.escape_debug()
            ),
        ));
    }
    Ok(c.to_ascii_lowercase())
}

/// What `pr link` did.
#[derive(Debug, Serialize)]
pub struct PrOutcome {
    #[serde(flatten)]
    pub view: IssueView,
    /// The pull request as stored now.
    pub pr: PullRequest,
    /// True when the URL was new to the issue, false when an existing entry was updated.
    pub created: bool,
}

/// `pr link`: adds a pull request to an issue, or updates the one with the same URL.
pub fn pr_link(
    store: &Store,
    actor: &Actor,
    input: &str,
    req: PrRequest,
    if_version: Option<u64>,
) -> Result<PrOutcome> {
    let url = check_url(&req.url)?;
    let title = req
        .title
        .as_deref()
        .map(|t| one_line("title", t, limits::TITLE))
        .transpose()?;
    let branch = req
        .branch
        .as_deref()
        .map(|b| validate_name("branch", b))
        .transpose()?;
    if branch
        .as_deref()
        .is_some_and(|b| b.chars().any(char::is_whitespace))
    {
        return Err(Error::invalid("branch", "a branch name has no whitespace"));
    }
    let commit = req.commit.as_deref().map(check_commit).transpose()?;
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let mut after = before.clone();
        let pos = after.prs.iter().position(|p| p.url == url);
        let created = pos.is_none();
        let n = match pos {
            Some(n) => n,
            None => {
                after.prs.push(PullRequest {
                    url: url.clone(),
                    number: None,
                    title: None,
                    status: None,
                    branch: None,
                    commit: None,
                    ci: None,
                    updated_at: None,
                });
                after.prs.len() - 1
            }
        };
        let pr = &mut after.prs[n];
        if let Some(v) = req.number {
            pr.number = Some(v);
        }
        if let Some(v) = &title {
            pr.title = Some(v.clone());
        }
        if let Some(v) = req.status {
            pr.status = Some(v);
        }
        if let Some(v) = &branch {
            pr.branch = Some(v.clone());
        }
        if let Some(v) = &commit {
            pr.commit = Some(v.clone());
        }
        if let Some(v) = req.ci {
            pr.ci = Some(v);
        }
        pr.updated_at = Some(tx.now);
        let pr = pr.clone();
        let after = tx.edit(
            EventKind::PrLinked,
            &before,
            after,
            json!({ "url": pr.url, "created": created, "status": pr.status, "ci": pr.ci }),
        )?;
        let view = view_in(tx, after)?;
        Ok(PrOutcome { view, pr, created })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_from_task_lines() {
        let items =
            checklist_from_markdown("Intro\n- [ ] first\n  * [x] second\n- [ ]   \n- plain\n");
        let got: Vec<(bool, &str)> = items.iter().map(|i| (i.checked, i.text.as_str())).collect();
        assert_eq!(got, [(false, "first"), (true, "second")]);
    }

    #[test]
    fn urls() {
        assert_eq!(
            check_url(" https://github.com/o/r/pull/1 ").unwrap(),
            "https://github.com/o/r/pull/1"
        );
        assert!(check_url("http://x").is_ok());
        for bad in [
            "",
            "github.com/o/r/pull/1",
            "ftp://x",
            "https://",
            "https://a b",
            "https://a\u{1b}[31m",
            "javascript:alert(1)",
        ] {
            assert_eq!(check_url(bad).unwrap_err().code(), "invalid_value", "{bad}");
        }
    }

    #[test]
    fn commits() {
        assert_eq!(check_commit("ABCDEF1").unwrap(), "abcdef1");
        assert!(check_commit(&"a".repeat(64)).is_ok());
        for bad in ["abc123", "abcdefg", &"a".repeat(65), "", "abc def1"] {
            assert!(check_commit(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn item_text() {
        assert_eq!(one_line("item", "  works  ", 10).unwrap(), "works");
        assert!(one_line("item", "   ", 10).is_err());
        assert!(one_line("item", "a\nb", 10).is_err());
        assert!(one_line("item", "abcdefghijk", 10).is_err());
    }
}
