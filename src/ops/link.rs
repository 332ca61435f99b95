//! Links between issues (`relates`, `duplicates`, ...). A link is stored on the issue that
//! names it only (`links: [{kind, target}]`, target a full id); the other side learns of it by a
//! scan ([`add_related`], `issue list` views), never by a second write. Each change is one
//! transaction through [`Store::mutate`].

use crate::error::{Error, Result};
use crate::model::{Actor, IssueId, Link, LinkKind};
use crate::model::{Payload, payload};
use crate::store::Store;
use crate::view::view_in;
use crate::view::{IssueView, LinkRef};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What `link add` and `link rm` did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct LinkOutcome {
    #[serde(flatten)]
    pub view: IssueView,
    /// The link added or removed (`id` is the other issue).
    pub link: LinkRef,
    /// False when `link add` found the link already there (nothing written).
    pub changed: bool,
}

/// What `link add` and `link rm` (MCP `link_add`, `link_remove`) take: the issue and the other
/// side, named by exactly one of `relates` and `duplicates`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkRequest {
    /// The issue the link is stored on.
    pub id: String,
    /// The issue `id` relates to.
    #[serde(default)]
    pub relates: Option<String>,
    /// The issue `id` duplicates.
    #[serde(default)]
    pub duplicates: Option<String>,
    /// Refuse unless `id` is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

impl LinkRequest {
    /// The link's kind and target: `relates` when given, else `duplicates`; with neither the
    /// empty target is refused as an invalid id.
    fn target(&self) -> (LinkKind, &str) {
        match (&self.relates, &self.duplicates) {
            (Some(r), _) => (LinkKind::Relates, r),
            (None, Some(d)) => (LinkKind::Duplicates, d),
            (None, None) => (LinkKind::Relates, ""),
        }
    }
}

/// `link add` (MCP `link_add`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct LinkAddRequest(pub LinkRequest);

impl super::Mutation for LinkAddRequest {
    type Output = LinkOutcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<LinkOutcome> {
        let r = &self.0;
        let (kind, target) = r.target();
        link_add(store, actor, &r.id, kind, target, r.if_version)
    }
}

/// `link rm` (MCP `link_remove`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct LinkRemoveRequest(pub LinkRequest);

impl super::Mutation for LinkRemoveRequest {
    type Output = LinkOutcome;
    fn run(self, store: &Store, actor: &Actor) -> Result<LinkOutcome> {
        let r = &self.0;
        let (kind, target) = r.target();
        link_remove(store, actor, &r.id, kind, target, r.if_version)
    }
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
        let added = payload::Link {
            kind,
            target: target.to_string(),
            cause: None,
        };
        let after = tx.edit(&before, after, Payload::LinkAdded(added))?;
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
        let removed = payload::Link {
            kind,
            target: target.to_string(),
            cause: None,
        };
        let after = tx.edit(&before, after, Payload::LinkRemoved(removed))?;
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

crate::one_issue!(LinkOutcome);
