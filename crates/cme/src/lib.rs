//! The `confluence-markdown-exporter` command line (alias `cme`).
pub mod cli;
