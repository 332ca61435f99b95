//! Progress of long work (reading a big store, importing thousands of rows, writing a site), as
//! a trait the core reports to and the command line draws.
//!
//! Invariant: the core never prints; it only calls a [`Progress`] it was handed. [`Silent`] is
//! what callers pass when nobody watches (tests, `--json`, piped stderr, `jit mcp`).

/// Receives progress reports. Shared across the threads that read the store, hence `Sync`.
pub trait Progress: Sync {
    /// A phase begins: `what` names it for people, `total` counts its steps.
    fn start(&self, what: &str, total: u64);
    /// `n` more steps of the current phase are done.
    fn advance(&self, n: u64);
    /// The current phase is over.
    fn finish(&self);
}

/// Reports to nobody.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: &str, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}
