//! jit: a repository-local issue tracker. Issues are JSON files under `.jit/` in a git checkout.
//!
//! The core (everything outside `cli`) takes typed requests and returns typed data or an
//! [`error::Error`]; it never prints and never parses command lines. The lints below keep it so:
//! only the front-ends (`cli`, and `serve`'s startup line) may print.

#![deny(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod alerts; // alerts: conditions over the store, fired and resolved as events for the hooks
pub mod clock; // the clock, overridable with JIT_NOW
pub mod context; // one issue's LLM-ready context
pub mod demo; // jit demo: a sample repository built with the real operations
pub mod error; // the error type, its stable codes and exit codes
pub mod export; // renderings of the store: dot, mermaid, json, csv, roadmap, changelog, web
pub mod github; // jit github event: pull requests and CI checks move the issues they name
pub mod gitops; // git integration: the field-level merge driver, its install, and sync
pub mod graph; // the petgraph dependency DAG: cycle refusal, trees, order, critical path
pub mod guide; // jit guide: the agent workflow for AGENTS.md, with this repo's gates
pub mod hierarchy; // parents and sub-tasks: a parent's sub-tasks from the summary index, the forest
pub mod history; // the event log as history: queries, one issue's log, summaries, tail and follow
pub mod hooks; // hooks: event-driven commands and signed webhooks through a local outbox
pub mod identity; // who is acting: --actor, JIT_ACTOR, git config
#[allow(clippy::print_stderr)] // a front-end: its diagnostics go to stderr, stdout is JSON-RPC
pub mod mcp; // jit mcp: the Model Context Protocol server, tools over the operations' typed requests
pub mod model; // issues, gates, config, events, ids, actors, timestamps
pub mod ops; // the operations, one module per command family: what every front-end calls
pub mod pages; // pages of issues from the summary index: list, queries, claim-next; lean, fields, full
pub mod process; // running shell commands (checkers, hooks) with a timeout that kills the group
pub mod progress; // progress of long work: a trait the core reports to, drawn by the CLI
pub mod queries; // named queries: ready, blocked, by state/priority/assignee
pub mod query; // the query language: lexer, parser, evaluator
pub mod random; // randomness for ids
pub mod rules; // the pure rules: blocked, ready, claimable, leases, gate stages (no I/O, no store)
pub mod schema; // JSON Schemas of the stored files and the JSON output, from the Rust types
#[cfg(feature = "serve")]
#[allow(clippy::print_stderr)] // a front-end: its warnings go to the terminal that started it
pub mod serve; // jit serve: the live web console, an HTTP API over the same operations
pub mod store; // the .jit layout, atomic writes, the lock, transactions, the event log
pub mod template; // the markdown an issue is written in with $EDITOR: front matter, body, task lines
pub mod times; // the stamps a move sets: started_at, finished_at, the end of a deferral (pure)
pub mod view; // derived fields: short_id, blocked, blocked_by, progress
pub mod workflow; // the state machine and readiness cascades
pub mod workspace; // opening the store a front-end works in: found, checked, claims published

#[allow(clippy::print_stdout, clippy::print_stderr)] // the front-end that prints
pub mod cli; // the command line: clap definitions, rendering (the only module that prints)
