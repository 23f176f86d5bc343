//! The integration tests of `cme`, one binary: each module was a test
//! binary of its own, and each of those linked the whole program again.
//! `cargo test -p cme --test it MODULE::` runs one module's tests.
//!
//! The convergence property test stays a binary of its own
//! (`tests/convergence.rs`): it is long, tuned by environment variables,
//! and run on its own as `cargo test -p cme --test convergence`.

#[path = "../common/mod.rs"]
mod common;

mod adopt;
mod archived;
mod blog;
mod cli_config;
mod cli_convert;
mod cli_demo;
mod comments;
mod export;
mod front_matter;
mod hostile;
mod jira;
mod layouts;
mod links;
mod messages;
mod mirror;
mod names;
mod partition;
mod pipeline;
mod python_forms;
mod quiet;
mod readme;
mod reports;
mod symlinks;
mod sync;
mod terminal;
mod throttle;
mod trust_state;
mod urls;
mod warnings;
mod yaml_readers;
