//! Rich details of an issue that are lists of their own: checklist items (acceptance criteria).
//!
//! Invariant: checklist item ids are short random tokens, stable across edits, so two branches
//! that each add or check items merge by id.

use crate::model::ChecklistItem;

/// Seeds a checklist from markdown task lines (`- [ ] text`, `* [x] text`) in a description.
pub fn checklist_from_markdown(description: &str) -> Vec<ChecklistItem> {
    description
        .lines()
        .filter_map(|line| {
            let t = line.trim_start();
            let rest = t.strip_prefix("- ").or_else(|| t.strip_prefix("* "))?;
            let (checked, text) = if let Some(r) = rest.strip_prefix("[ ] ") {
                (false, r)
            } else if let Some(r) = rest
                .strip_prefix("[x] ")
                .or_else(|| rest.strip_prefix("[X] "))
            {
                (true, r)
            } else {
                return None;
            };
            let text = text.trim();
            (!text.is_empty()).then(|| ChecklistItem {
                id: crate::random::token(6),
                text: text.to_string(),
                checked,
                checked_by: None,
                checked_at: None,
            })
        })
        .collect()
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
