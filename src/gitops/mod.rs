//! Git integration: the field-level merge driver for issue files, its installation, and `sync`.
//!
//! Responsibility: everything jit needs from git to let many branches edit one store.
//! [`merge_issue`] is pure (three versions in, canonical bytes out); [`merge_files`] applies it to
//! the temporary files git hands a merge driver. [`install`](mod@install) is the only part that
//! touches the checkout's configuration: it writes `.gitattributes` and the repository's git
//! config. [`sync`](mod@sync) drives git itself: commit, pull, validate, push.
//! [`remote`](mod@remote) publishes claims on a git remote as refs moved by compare-and-swap.
//!
//! Invariants: a merge never writes conflict markers into an issue file (it produces a valid
//! issue or fails without writing); installing is idempotent.

pub mod install;
pub mod merge;
pub mod remote;
pub mod sync;

pub use install::{InstallReport, install};
pub use merge::{FieldConflict, MergeOutcome, merge_files, merge_issue};
pub use sync::{SyncReport, SyncRequest, sync};
