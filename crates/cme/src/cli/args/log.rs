//! `-q`, `-v`/`-vv` and `--log-file`, as clap sees them; `cli::logging`
//! acts on them.
use clap::{ArgAction, Args};
use std::path::PathBuf;

/// Flags every command accepts.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Progress and logging")]
pub struct LogArgs {
    /// Only failures, held deletions and errors (the exit code tells the rest)
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Log on stderr: -v each request, retry and warning (and repeats notes
    /// shown before); -vv everything
    /// (or set CME_LOG / RUST_LOG, e.g. `CME_LOG=cme_client=debug`)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// Append the log to FILE instead of stderr (at -v level unless -vv)
    #[arg(long, global = true, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
}
