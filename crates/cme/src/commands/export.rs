//! `spaces` and `all-spaces`: full exports into an output folder.
use crate::export::{ExportReport, ExportRequest, export_spaces};
use crate::settings::ConnectionArgs;
use crate::state::{Scope, ScopeCommand};
use anyhow::Result;
use clap::Args;
use cme_client::{Client, SpaceKey};
use cme_convert::Options;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Options shared by every export command.
#[derive(Debug, Args, Clone)]
pub struct OutputArgs {
    /// Folder to export into (created if missing)
    #[arg(long, short = 'o', default_value = ".", value_name = "PATH")]
    pub output_path: PathBuf,
    /// Add this scope to an existing export instead of refusing
    #[arg(long)]
    pub append: bool,
}

/// Arguments of `spaces`.
#[derive(Debug, Args)]
pub struct SpacesArgs {
    /// Space keys to export
    #[arg(required = true, value_name = "SPACE_KEY")]
    keys: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Arguments of `all-spaces`.
#[derive(Debug, Args)]
pub struct AllSpacesArgs {
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    connection: ConnectionArgs,
}

/// Runs `spaces`.
pub fn run_spaces(args: &SpacesArgs) -> Result<()> {
    let client = args.connection.client()?;
    let keys: Vec<SpaceKey> = args.keys.iter().map(SpaceKey::new).collect();
    let scope = Scope {
        command: ScopeCommand::Spaces,
        args: args.keys.clone(),
    };
    run_export(&client, &keys, scope, &args.output)
}

/// Runs `all-spaces`.
pub fn run_all_spaces(args: &AllSpacesArgs) -> Result<()> {
    let client = args.connection.client()?;
    let scope = Scope {
        command: ScopeCommand::AllSpaces,
        args: Vec::new(),
    };
    run_export(&client, &[], scope, &args.output)
}

/// Runs one export on a fresh runtime and prints its summary.
pub fn run_export(
    client: &Client,
    keys: &[SpaceKey],
    scope: Scope,
    output: &OutputArgs,
) -> Result<()> {
    let cancel = Arc::new(AtomicBool::new(false));
    let req = ExportRequest {
        output: output.output_path.clone(),
        scope,
        append: output.append,
        options: Options::default(),
        cancel: cancel.clone(),
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    let rt = runtime()?;
    // First Ctrl+C: finish the current file, save state, stop. Second: the
    // default handler is back, so it kills the process (files and state are
    // written atomically, so even that loses nothing already recorded).
    rt.spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.store(true, Ordering::Relaxed);
        }
    });
    let report = rt.block_on(export_spaces(client, keys, req, &|msg| {
        bar.set_message(msg.to_owned());
    }));
    bar.finish_and_clear();
    print_report(&report?, &output.output_path);
    Ok(())
}

fn print_report(r: &ExportReport, out: &std::path::Path) {
    eprintln!(
        "Exported {} pages and {} attachments from {} space(s) to `{}` in {:.1}s",
        r.pages,
        r.attachments,
        r.spaces,
        out.display(),
        r.elapsed_secs
    );
    if r.warnings > 0 {
        eprintln!("{} conversion warning(s)", r.warnings);
    }
    for m in &r.missing_attachments {
        eprintln!("warning: referenced attachment not found: {m}");
    }
}

/// A small multi-threaded runtime: the work is I/O-bound.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}
