//! Comments on an issue: appended by the acting actor, each with a short random id, in one
//! transaction through [`Store::mutate`] (the issue and its event staged together).

use crate::error::{Error, Result};
use crate::model::{Actor, Comment, validate_text};
use crate::model::{Payload, payload};
use crate::store::Store;
use crate::view::IssueView;
use crate::view::view_in;
use serde::{Deserialize, Serialize};

/// `issue comment` (MCP `comment`): a comment (markdown) on an issue.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentRequest {
    /// Issue id, short id, or a unique prefix.
    pub id: String,
    /// The comment (markdown).
    pub body: String,
    /// Refuse unless the issue is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl super::Mutation for CommentRequest {
    type Output = CommentOutcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<CommentOutcome> {
        comment(store, actor, &self.id, &self.body, self.if_version)
    }
}

/// What `issue comment` did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
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
        let added = payload::Comment {
            comment: comment.id.clone(),
        };
        let after = tx.edit(&before, after, Payload::CommentAdded(added))?;
        let view = view_in(tx, after)?;
        Ok(CommentOutcome { view, comment })
    })
}

crate::one_issue!(CommentOutcome);
