//! Flags of every run that writes: `sync` and the export commands.
use clap::Args;

/// Options of every run that writes (sync and the export commands).
#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Re-export every page, even unchanged ones (after changing Markdown options)
    #[arg(long)]
    pub force: bool,
    /// Print what would change; write, delete and record nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Allow deleting up to N pages when more than half would go [default: refuse]
    #[arg(long, value_name = "N")]
    pub max_delete: Option<usize>,
    /// Print the report as JSON on stdout instead of lines
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub layout: super::layout::LayoutArgs,
}
