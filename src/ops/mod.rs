//! The operations: what a command does, one module per command family, called alike by every
//! front-end (the command line, MCP, `jit serve`, the importers and the demo). Each operation
//! validates its typed input before touching disk, then is one [`crate::store::Store::mutate`]
//! (a change, staged with its event through [`crate::store::Tx::edit`]) or a lock-free read,
//! and returns typed data; none prints or parses a command line.

pub mod claims; // atomic claims, leases, claim-next, release, assign, reopen
pub mod defer; // issue defer/undefer: work set aside until a date, and query deferred
pub mod details; // checklist items, comments, links, pull requests: add, check, link, upsert
pub mod gates; // the gate registry, passing/failing gates, running checkers
pub mod issues; // issue create/show/list/update/delete
