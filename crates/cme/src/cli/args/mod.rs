//! Flags shared by several commands, as clap sees them (no I/O): how the
//! Markdown is written, where files go, how to reach Confluence, and what
//! a run that writes may do. The commands' own flags sit with each command.
pub mod connection;
pub mod layout;
pub mod log;
pub mod markdown;
pub mod run;
