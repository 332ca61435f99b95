//! Integration tests for the `jit` binary: every test runs the built binary in a fresh temporary
//! git checkout (see `common`), so they exercise exactly what a user or an agent sees.

// The shared harness: not every area uses every helper.
#[allow(dead_code)]
mod common;
mod contract;
mod events;
mod rich;
