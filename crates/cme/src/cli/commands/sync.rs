//! `sync`: bring an export up to date, and the runner every export command
//! shares (progress, Ctrl+C, the report, the exit code).
use crate::cli::args::connection::ConnectionArgs;
use crate::cli::args::markdown::MarkdownArgs;
use crate::cli::args::run::RunArgs;
use crate::cli::config::Config;
use crate::cli::progress::{self, Display};
use crate::cli::report::shown::{NOTES_FILE, Shown};
use crate::cli::report::{Resume, Verbosity, View};
use crate::state::{State, StateHead};
use crate::sync::outcome::Outcome;
use crate::sync::{Cancel, Start, SyncRequest, run};
use anyhow::Result;
use clap::Args;
use cme_client::Client;
use std::path::PathBuf;

/// Arguments of `sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Output folder of a previous export
    #[arg(long, short = 'o', default_value = ".", value_name = "PATH")]
    pub output_path: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub markdown: MarkdownArgs,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

/// Runs `sync`. Returns the exit code.
pub fn run_sync(args: &SyncArgs) -> Result<u8> {
    let file = Config::load()?;
    // The state names its site: with no URL configured, that one is used.
    let recorded = State::peek(&args.output_path);
    // The folder first: a mistyped `-o` is the mistake, not a missing URL.
    if recorded.is_none() {
        check_holds_export(&args.output_path)?;
    }
    let client = args.connection.client_for_folder(
        &file,
        recorded.as_ref().map(|s| s.confluence_url.as_str()),
        recorded.as_ref().and_then(|s| s.flavor.as_deref()),
    )?;
    run_pipeline(
        &client,
        &args.output_path,
        Start::Sync,
        &args.run,
        &args.markdown,
        &file,
        recorded.as_ref(),
    )
}

/// Runs one export or sync on a fresh runtime, prints its report, and
/// returns the exit code (0 done, 1 done with failures, 130 interrupted).
pub fn run_pipeline(
    client: &Client,
    output: &std::path::Path,
    start: Start,
    run_args: &RunArgs,
    markdown: &MarkdownArgs,
    file: &Config,
    recorded: Option<&StateHead>,
) -> Result<u8> {
    // The folder's options (read once, by the caller) keep its style; flags
    // change it. A folder that recorded no Markdown options keeps no layout.
    let recorded_markdown = recorded.and_then(|h| h.markdown.as_ref());
    let settings = markdown.resolve_for(file, recorded_markdown);
    let recorded_layout =
        recorded_markdown.map(|_| recorded.and_then(|h| h.layout.clone()).unwrap_or_default());
    let layout = run_args.layout.layout_for(file, recorded_layout.as_ref())?;
    let cancel = Cancel::default();
    let req = SyncRequest {
        output: output.to_path_buf(),
        start,
        force: run_args.force,
        dry_run: run_args.dry_run,
        max_delete: run_args.max_delete,
        markdown: Some(settings),
        layout,
        cancel: cancel.clone(),
        convert_threads: None,
    };
    let display = if run_args.json && crate::cli::logging::display() == Display::Auto {
        // `--json` is for scripts: they read stdout, and a bar on stderr
        // only garbles their logs; plain lines are kept.
        Display::Lines
    } else {
        crate::cli::logging::display()
    };
    let progress = progress::for_stderr(display);
    progress::install(progress.clone());
    let rt = runtime()?;
    // First Ctrl+C: stop after the current file, state saved. Second: quit
    // at once (files and state are written atomically, and the journal
    // keeps what finished, so even that loses nothing recorded).
    rt.spawn(async move {
        let first = tokio::select! {
            r = tokio::signal::ctrl_c() => r.is_ok(),
            () = crate::cli::interrupt::pressed() => true,
        };
        if first {
            cancel.cancel();
            eprintln!("\nstopping after the current file (Ctrl+C again to quit now)");
            // On Unix the signal handler itself quits on a second press. A
            // listener made now could see the first press late (tokio reads
            // signals asynchronously) and quit a run that is stopping cleanly,
            // leaving its lock file.
            #[cfg(not(unix))]
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(130);
            }
        }
    });
    // `-v` and `--log-file`: a start and an end line around the requests.
    tracing::info!(
        "start: {} (cme {}), `{}` from {}",
        command_line(std::env::args(), None),
        env!("CARGO_PKG_VERSION"),
        output.display(),
        client.site_url()
    );
    let outcome = rt.block_on(run(client, req, progress.as_ref()));
    progress.finish();
    let outcome = match outcome {
        Ok(o) => o,
        Err(e) => {
            let e = crate::cli::diagnose::explain(client, e);
            tracing::info!("end: {}", e.to_string().lines().next().unwrap_or_default());
            return Err(e);
        }
    };
    tracing::info!(
        "end: {}; exit code {}",
        outcome.totals(),
        outcome.exit().code()
    );
    let recorded_now = output.join(crate::state::STATE_FILE).is_file();
    let verbosity = crate::cli::logging::verbosity();
    let shown = Shown::load(output);
    let view = View {
        // Stopped before the state was first saved: nothing for `sync` to finish.
        resume: if recorded_now {
            Resume::Sync
        } else {
            Resume::Again
        },
        verbosity,
        shown: Some(&shown),
        allow: outcome
            .held
            .as_ref()
            .map(|_| command_line(std::env::args(), Some(outcome.held_deletions))),
    };
    print(&outcome, run_args.json, &view)?;
    // A folder the Python exporter wrote: its files for the pages now
    // exported here go (only after a run that recorded them).
    // An export's dry run has no state yet: its plan says what cme would own.
    let adopting = if outcome.interrupted || outcome.exit().code() >= 2 {
        Ok(None)
    } else if recorded_now {
        crate::cli::adopt::adopt(output, outcome.dry_run)
    } else if outcome.dry_run {
        crate::cli::adopt::preview(output, &crate::cli::adopt::Claim::of_plan(&outcome))
    } else {
        Ok(None)
    };
    {
        match adopting {
            Ok(Some(a)) if verbosity != Verbosity::Quiet && !run_args.json => {
                let verb = if outcome.dry_run {
                    "would remove"
                } else {
                    "removed"
                };
                println!(
                    "{} a folder of the Python exporter: {verb} {} of its files ({} listed in {}){}",
                    if outcome.dry_run {
                        "would adopt"
                    } else {
                        "adopted"
                    },
                    crate::units::thousands(a.removed.len() as u64),
                    if a.kept > 0 {
                        format!(
                            "{} kept for pages not exported here",
                            crate::units::thousands(a.kept as u64)
                        )
                    } else {
                        "all".to_owned()
                    },
                    crate::cli::adopt::LOCK_FILE,
                    if a.lock_removed {
                        ", and the lock file"
                    } else {
                        ""
                    }
                );
                for path in &a.removed {
                    println!("  {verb}: {}", crate::terminal::escape(path));
                }
            }
            Ok(_) => {}
            Err(e) => tracing::warn!("cannot adopt the Python exporter's files: {e:#}"),
        }
    }
    // What was shown is not shown again (`-q` showed nothing).
    if verbosity != Verbosity::Quiet && !outcome.dry_run && recorded_now {
        let next = shown.after(&outcome);
        if next != shown
            && let Err(e) = next.save(output)
        {
            tracing::warn!("cannot save `{}`: {e:#}", NOTES_FILE);
        }
    }
    Ok(outcome.exit().code())
}

/// The command line that was run, quoted for a shell, with `--max-delete
/// N` instead of any earlier one when `max_delete` is given. Secrets given
/// as flags are not repeated.
pub fn command_line(args: impl IntoIterator<Item = String>, max_delete: Option<usize>) -> String {
    let mut args = args.into_iter();
    let program = args
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "cme".to_owned());
    let mut out = vec![program];
    let mut skip = false;
    let mut secret = false;
    for a in args {
        if std::mem::take(&mut skip) {
            continue;
        }
        if std::mem::take(&mut secret) {
            out.push("…".to_owned());
            continue;
        }
        match a.as_str() {
            "--max-delete" if max_delete.is_some() => skip = true,
            "--token" | "--pat" => {
                secret = true;
                out.push(a);
            }
            _ if max_delete.is_some() && a.starts_with("--max-delete=") => {}
            _ if a.starts_with("--token=") || a.starts_with("--pat=") => {
                let flag = a.split('=').next().unwrap_or_default();
                out.push(format!("{flag}=…"));
            }
            _ => out.push(a),
        }
    }
    if let Some(n) = max_delete {
        out.push("--max-delete".to_owned());
        out.push(n.to_string());
    }
    out.iter()
        .map(|a| shell_quote(a))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `a` as a POSIX shell word.
fn shell_quote(a: &str) -> String {
    let plain = !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+…%".contains(c));
    if plain {
        a.to_owned()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}

/// Fails, naming the folder, when `output` holds no export for `sync`.
fn check_holds_export(output: &std::path::Path) -> Result<()> {
    if !output.is_dir() {
        anyhow::bail!(
            "`{}` is not a folder holding an export; check the path, or run an export command (`spaces`, `pages`, …) first",
            output.display()
        );
    }
    if !output.join(crate::state::STATE_FILE).exists() {
        anyhow::bail!(
            "`{}` holds no export (no `{}`); check the path, or run an export command (`spaces`, `pages`, …) first",
            output.display(),
            crate::state::STATE_FILE
        );
    }
    Ok(())
}

/// The report: lines and summary (or JSON) on stdout, warnings on stderr.
pub fn print(outcome: &Outcome, json: bool, view: &View<'_>) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(outcome)?);
    } else {
        print!("{}", outcome.render_for(view.verbosity));
    }
    eprint!("{}", outcome.notes_for(view));
    Ok(())
}

/// A small multi-threaded runtime: the work is I/O-bound.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allowing_command_is_the_one_run_with_max_delete() {
        let args = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            command_line(
                args(&["/usr/bin/cme", "sync", "-o", "my docs", "-q"]),
                Some(24)
            ),
            "cme sync -o 'my docs' -q --max-delete 24"
        );
        assert_eq!(
            command_line(
                args(&[
                    "cme",
                    "sync",
                    "--max-delete",
                    "3",
                    "--token",
                    "s3cret",
                    "--pat=x"
                ]),
                Some(24)
            ),
            "cme sync --token … --pat=… --max-delete 24"
        );
        assert_eq!(
            command_line(args(&["cme", "sync", "--max-delete", "3"]), None),
            "cme sync --max-delete 3"
        );
    }
}
