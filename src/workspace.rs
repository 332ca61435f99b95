//! Opening the store a front-end works in: found from a directory (walking up), its schema
//! checked, the git merge driver made sure of in a clone whose `.gitattributes` names it, and
//! claim changes published on the remote the caller or the config names.
//!
//! Invariant: every front-end (the command line, MCP, `jit serve`) opens its store here, so a
//! claim made through any of them is published alike; nothing here prints: what a person
//! should hear comes back as [`Opened::notes`] and [`Opened::warnings`].

use crate::error::Result;
use crate::gitops::install::{DriverCheck, ensure_driver};
use crate::store::Store;
use std::path::Path;

/// Where claim changes are published.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Claims {
    /// On `claims.remote` of the config, if it names one.
    #[default]
    AsConfigured,
    /// On this git remote.
    On(String),
    /// In this repository only.
    Local,
}

/// A store, opened, with what opening it has to say.
pub struct Opened {
    pub store: Store,
    /// Things done on the way (the merge driver registered).
    pub notes: Vec<String>,
    /// Things wrong on the way (the merge driver missing).
    pub warnings: Vec<String>,
}

/// Finds the store from `start` and checks its config, nothing more: for `git install` and
/// `sync`, which register the merge driver themselves and report it.
pub fn find(start: &Path) -> Result<Store> {
    let store = Store::discover(start)?;
    store.config()?;
    Ok(store)
}

/// Opens the store from `start`, claims published as `claims` says.
pub fn open(start: &Path, claims: &Claims) -> Result<Opened> {
    let store = Store::discover(start)?;
    let config = store.config()?;
    let (mut notes, mut warnings) = (Vec::new(), Vec::new());
    match ensure_driver(store.root(), &store.dir().join("cache")) {
        DriverCheck::NotNamed | DriverCheck::Registered => {}
        DriverCheck::RegisteredNow => notes.push(
            "registered the jit merge driver in this clone's git config (`.gitattributes` names \
             it; git config is not cloned): issue files now merge field by field"
                .to_string(),
        ),
        DriverCheck::Missing(why) => warnings.push(format!(
            "`.gitattributes` names the jit merge driver but this clone's git config lacks it \
             ({why}): merges of issue files will leave conflict markers; run `jit git install` \
             (docs/git.md)"
        )),
    }
    let remote = match claims {
        Claims::Local => None,
        Claims::On(name) => Some(name.clone()),
        Claims::AsConfigured => config.claims.and_then(|c| c.remote),
    };
    let publisher = match remote {
        Some(name) => Some(
            std::sync::Arc::new(crate::gitops::remote::GitPublisher::new(&store, &name)?)
                as std::sync::Arc<dyn crate::store::ledger::Publisher>,
        ),
        None => None,
    };
    Ok(Opened {
        store: store.publishing(publisher),
        notes,
        warnings,
    })
}
