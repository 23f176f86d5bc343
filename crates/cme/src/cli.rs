//! Argument definitions and dispatch. Parsing does no I/O; each command
//! resolves its own settings when it runs.
use crate::commands;
use crate::report::render_error;
use clap::{Parser, Subcommand};
use std::io::Write as _;
use std::process::ExitCode;

/// Export Confluence pages and spaces to Markdown, incrementally.
#[derive(Debug, Parser)]
#[command(name = "confluence-markdown-exporter", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    log: crate::logging::LogArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Convert one storage-format document to Markdown on stdout (no network)
    Convert(commands::convert::ConvertArgs),
    /// Export pages by id or URL
    Pages(commands::export::PagesArgs),
    /// Export pages by id or URL, with every page below them
    PagesWithDescendants(commands::export::PagesArgs),
    /// Export whole spaces
    Spaces(commands::export::SpacesArgs),
    /// Export every space visible to the account
    AllSpaces(commands::export::AllSpacesArgs),
    /// Bring an export up to date: fetch and rewrite only what changed
    Sync(commands::sync::SyncArgs),
    /// Show what an output folder tracks (reads only the state file)
    Status(commands::status::StatusArgs),
    /// Read or change the settings file (defaults for flags; never tokens)
    Config(commands::config::ConfigArgs),
    /// Export the bundled demo site from an in-process simulator (no setup)
    Demo(commands::demo::DemoArgs),
}

/// Entry point shared by both binary names (`confluence-markdown-exporter` and `cme`).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(err) = cli.log.init() {
        let _ = std::io::stderr().write_all(render_error(&err).as_bytes());
        return ExitCode::from(2);
    }
    let done = |r: anyhow::Result<()>| r.map(|()| 0);
    let result = match cli.command {
        Command::Convert(args) => done(commands::convert::run(&args)),
        Command::Pages(args) => commands::export::run_pages(&args, false),
        Command::PagesWithDescendants(args) => commands::export::run_pages(&args, true),
        Command::Spaces(args) => commands::export::run_spaces(&args),
        Command::AllSpaces(args) => commands::export::run_all_spaces(&args),
        Command::Sync(args) => commands::sync::run_sync(&args),
        Command::Status(args) => done(commands::status::run(&args)),
        Command::Config(args) => done(commands::config::run(&args)),
        Command::Demo(args) => commands::demo::run_demo(&args),
    };
    // 0: done; 1: done, but some items failed (listed); 2: nothing done (an
    // error); 130: interrupted.
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            let _ = std::io::stderr().write_all(render_error(&err).as_bytes());
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
