//! Checklist items (acceptance criteria): add, check, uncheck. Item ids are short random
//! tokens, stable across edits, so two branches that each add or check items merge by id; items
//! are addressed by their exact (trimmed) text. Every change is one transaction through
//! [`Store::mutate`]: the input checked first, then under the lock the issue read fresh,
//! `--if-version` checked, the issue and one event staged together ([`crate::store::Tx::edit`]).

use super::one_line;
use crate::error::{Error, Result};
use crate::model::{Actor, ChecklistItem, Issue, limits};
use crate::model::{Payload, payload};
use crate::store::Store;
use crate::view::IssueView;
use crate::view::view_in;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Seeds a checklist from markdown task lines (`- [ ] text`, `* [x] text`) in a description,
/// each item with a fresh id.
pub fn checklist_from_markdown(description: &str) -> Vec<ChecklistItem> {
    crate::model::checklist_from_markdown(description, || crate::random::token(6))
}

/// What a checklist command did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
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

/// `checklist add` (MCP `checklist_add`): a new, unchecked acceptance criterion.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistAddRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The item's text.
    pub item: String,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for ChecklistAddRequest {
    type Output = ChecklistOutcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<ChecklistOutcome> {
        checklist_add(store, actor, &self.id, &self.item, self.if_version)
    }
}

/// `checklist check` and `checklist uncheck` (MCP `checklist_check`): ticks or unticks the
/// item with this exact text.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChecklistCheckRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The item's text (matched exactly, ignoring surrounding spaces).
    pub item: String,
    /// false unticks the item (default true).
    #[serde(default)]
    pub checked: Option<bool>,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for ChecklistCheckRequest {
    type Output = ChecklistOutcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<ChecklistOutcome> {
        let checked = self.checked.unwrap_or(true);
        checklist_set(store, actor, &self.id, &self.item, checked, self.if_version)
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
        let added = payload::ChecklistItem {
            item: item.id.clone(),
            text: item.text.clone(),
        };
        let after = tx.edit(&before, after, Payload::ChecklistAdded(added))?;
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
        let ticked = payload::ChecklistItem {
            item: item.id.clone(),
            text: item.text.clone(),
        };
        let event = if checked {
            Payload::ChecklistChecked(ticked)
        } else {
            Payload::ChecklistUnchecked(ticked)
        };
        let after = tx.edit(&before, after, event)?;
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
}

crate::one_issue!(ChecklistOutcome);
