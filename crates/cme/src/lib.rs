//! The `confluence-markdown-exporter` command line (alias `cme`).
//!
//! The binary is thin: [`cli::main`] parses arguments, dispatches to one
//! function per command in [`commands`], and renders errors in one place
//! ([`report`]). Commands return errors; they never exit the process.
pub mod cli;
pub mod commands;
pub mod config;
pub mod export;
pub mod report;
pub mod settings;
pub mod state;
