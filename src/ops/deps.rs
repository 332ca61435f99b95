//! Dependencies: `dep add` (refusing self edges, missing issues and cycles, walking only what
//! the new dependency depends on) and `dep rm` (a dangling dependency is matched on what is
//! stored). Each is one transaction: the issue re-derived, staged with its event.

use crate::error::{Error, Result};
use crate::graph::cycle_if_added;
use crate::model::Actor;
use crate::model::{Issue, IssueId};
use crate::model::{Payload, payload};
use crate::store::{Store, Tx};
use crate::workflow;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// What a dependency change did.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct DepChange {
    pub issue: crate::view::IssueView,
    pub dependency: String,
    pub changed: bool,
}

/// What `dep add` and `dep rm` (MCP `dep_add`, `dep_remove`) take.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DepRequest {
    /// The issue that depends.
    pub id: String,
    /// The issue it depends on.
    pub on: String,
    /// Refuse unless `id` is at this version.
    #[serde(default)]
    pub if_version: Option<u64>,
}

/// `dep add` (MCP `dep_add`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct DepAddRequest(pub DepRequest);

impl super::Mutation for DepAddRequest {
    type Output = DepChange;
    fn run(self, store: &Store, actor: &Actor) -> Result<DepChange> {
        let r = self.0;
        add_dependency(store, actor, &r.id, &r.on, r.if_version)
    }
}

/// `dep rm` (MCP `dep_remove`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(transparent)]
pub struct DepRemoveRequest(pub DepRequest);

impl super::Mutation for DepRemoveRequest {
    type Output = DepChange;
    fn run(self, store: &Store, actor: &Actor) -> Result<DepChange> {
        let r = self.0;
        remove_dependency(store, actor, &r.id, &r.on, r.if_version)
    }
}

/// Makes `input` depend on `on_input`, refusing self edges, missing issues and cycles.
pub fn add_dependency(
    store: &Store,
    actor: &Actor,
    input: &str,
    on_input: &str,
    if_version: Option<u64>,
) -> Result<DepChange> {
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let id = before.id.clone();
        let dep = tx.resolve(on_input)?;
        if id == dep {
            return Err(Error::Cycle {
                path: vec![id.short(), id.short()],
            });
        }
        tx.get(&dep)?;
        if before.dependencies.contains(&dep) {
            let view = crate::view::view_in(tx, before)?;
            return Ok(DepChange {
                issue: view,
                dependency: dep.to_string(),
                changed: false,
            });
        }
        if let Some(path) = cycle_if_added(tx, &id, &dep)? {
            return Err(Error::Cycle {
                path: path.iter().map(|i| i.short()).collect(),
            });
        }
        let mut after = before.clone();
        after.dependencies.push(dep.clone());
        commit_dep_change(tx, Payload::DepAdded, &before, after, &dep)
    })
}

/// Stages an issue whose dependencies changed: re-derives its readiness, writes it, records the
/// event and returns what changed.
fn commit_dep_change(
    tx: &mut Tx<'_>,
    event: fn(payload::Dependency) -> Payload,
    before: &Issue,
    mut after: Issue,
    dep: &IssueId,
) -> Result<DepChange> {
    workflow::rederive(tx, &mut after)?;
    let changed = payload::Dependency {
        dependency: dep.to_string(),
        cause: None,
    };
    let after = tx.edit(before, after, event(changed))?;
    let view = crate::view::view_in(tx, after)?;
    Ok(DepChange {
        issue: view,
        dependency: dep.to_string(),
        changed: true,
    })
}

/// Removes the dependency of `input` on `on_input`.
pub fn remove_dependency(
    store: &Store,
    actor: &Actor,
    input: &str,
    on_input: &str,
    if_version: Option<u64>,
) -> Result<DepChange> {
    store.mutate(actor, |tx| {
        let before = tx.open(input, if_version)?;
        let id = before.id.clone();
        // The dependency may be dangling (its issue deleted by hand): match on what is stored.
        let dep = match tx.resolve(on_input) {
            Ok(d) => d,
            Err(Error::NotFound { .. }) => {
                let p = crate::model::IdPrefix::parse(on_input)?;
                let hits: Vec<&IssueId> = before
                    .dependencies
                    .iter()
                    .filter(|d| p.matches(d.as_str()))
                    .collect();
                match hits.as_slice() {
                    [one] => (*one).clone(),
                    _ => {
                        return Err(Error::NotFound {
                            id: on_input.to_string(),
                        });
                    }
                }
            }
            Err(e) => return Err(e),
        };
        if !before.dependencies.contains(&dep) {
            return Err(Error::Refused {
                code: crate::error::ErrorCode::NotADependency,
                message: format!(
                    "issue `{}` does not depend on `{}`",
                    id.short(),
                    dep.short()
                ),
                details: json!({ "id": id, "dependency": dep }),
            });
        }
        let mut after = before.clone();
        after.dependencies.retain(|d| d != &dep);
        commit_dep_change(tx, Payload::DepRemoved, &before, after, &dep)
    })
}
