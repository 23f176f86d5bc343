//! `-q`, `-v`/`-vv` and `--log-file`: how much the program says while it
//! works, and where. Logs go through `tracing`; the progress display is
//! chosen here too, so bars and log lines never fight over stderr.
pub use crate::cli::args::log::LogArgs;
use crate::cli::progress::Display;
use crate::cli::report::Verbosity;
use anyhow::{Context as _, Result};
use std::str::FromStr as _;
use std::sync::OnceLock;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

static DISPLAY: OnceLock<Display> = OnceLock::new();
static VERBOSITY: OnceLock<Verbosity> = OnceLock::new();

/// How much the report says (`-q`, default, `-v`).
pub fn verbosity() -> Verbosity {
    VERBOSITY.get().copied().unwrap_or_default()
}

/// The progress display the flags ask for (bars or lines by default).
pub fn display() -> Display {
    DISPLAY.get().copied().unwrap_or(Display::Auto)
}

impl LogArgs {
    /// Installs the log subscriber (if any logging is asked for) and
    /// remembers the progress display for the commands.
    pub fn init(&self) -> Result<()> {
        let env = ["CME_LOG", "RUST_LOG"]
            .iter()
            .find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
        let level = match (self.verbose, &self.log_file) {
            (0, None) => None,
            (0 | 1, _) => Some("warn,cme=info,cme_client=info"),
            (2, _) => Some("info,cme=debug,cme_client=debug"),
            _ => Some("trace"),
        };
        let filter = match (&env, level) {
            (Some(spec), _) => Some(Targets::from_str(spec).with_context(|| {
                format!("CME_LOG/RUST_LOG `{spec}` is not a log filter (try `cme=debug`)")
            })?),
            (None, Some(spec)) => Some(Targets::from_str(spec).expect("built-in filter parses")),
            (None, None) => None,
        };
        let logs_on_stderr = filter.is_some() && self.log_file.is_none();
        let display = if self.quiet {
            Display::Quiet
        } else if logs_on_stderr {
            Display::Lines
        } else {
            Display::Auto
        };
        let _ = DISPLAY.set(display);
        let _ = VERBOSITY.set(match (self.quiet, self.verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, _) => Verbosity::Verbose,
        });
        let Some(filter) = filter else {
            return Ok(());
        };
        let fmt = tracing_subscriber::fmt::layer().with_target(true);
        // No `ansi` feature: log lines carry no colour codes.
        match &self.log_file {
            Some(path) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .with_context(|| format!("cannot open the log file `{}`", path.display()))?;
                tracing_subscriber::registry()
                    .with(
                        fmt.with_ansi(false)
                            .with_writer(std::sync::Mutex::new(file)),
                    )
                    .with(filter)
                    .try_init()
                    .ok();
            }
            None => {
                tracing_subscriber::registry()
                    .with(fmt.with_writer(std::io::stderr))
                    .with(filter)
                    .try_init()
                    .ok();
            }
        }
        Ok(())
    }
}
