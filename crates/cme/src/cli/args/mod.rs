//! Flags shared by several commands, as clap sees them (no I/O): how the
//! Markdown is written, where files go, and how to reach Confluence.
pub mod connection;
pub mod layout;
pub mod markdown;
