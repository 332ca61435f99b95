//! Integration tests for the `jit` binary: every test runs the built binary in a fresh temporary
//! git checkout (see `common`), so they exercise exactly what a user or an agent sees.

mod agents;
mod authoring;
mod bulk;
mod common;
mod completion;
mod concurrency;
mod contract;
mod dag;
mod deferral;
mod events;
mod export;
mod faults;
mod fleet;
mod fuzz;
mod gates;
mod github;
mod hooks;
mod import;
mod import_sources;
mod index;
mod layers;
#[cfg(feature = "mcp")]
mod mcp;
mod rich;
mod safety;
mod schema;
#[cfg(feature = "serve")]
mod serve;
mod snapshots;
mod store;
mod sync;
mod terminal;
mod tools;
mod tour;
mod trust;
mod tty;
mod validate;
