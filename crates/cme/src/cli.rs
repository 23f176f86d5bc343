//! Argument parsing and dispatch. Kept thin: real work lives in library code.
use clap::Parser;
use std::process::ExitCode;

/// Export Confluence pages and spaces to Markdown, incrementally.
#[derive(Debug, Parser)]
#[command(name = "confluence-markdown-exporter", version, about)]
pub struct Cli {}

/// Entry point shared by both binary names.
pub fn main() -> ExitCode {
    let _cli = Cli::parse();
    ExitCode::SUCCESS
}
