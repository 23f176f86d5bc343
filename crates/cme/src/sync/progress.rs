//! What the sync engine tells about its work while it runs. The engine only
//! calls this trait; how it is shown (bars, plain lines, nothing) is the
//! command line's choice (`cli::progress`).
use std::time::Duration;

/// The steps of a run, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Listing spaces, pages and attachments (totals unknown yet).
    Listing,
    /// Fetching, converting and writing pages.
    Pages,
    /// Downloading attachments.
    Attachments,
    /// Removing what vanished.
    Cleanup,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Listing => "listing",
            Phase::Pages => "pages",
            Phase::Attachments => "attachments",
            Phase::Cleanup => "cleanup",
        }
    }
}

/// Receives what the run is doing. Calls are cheap; displays rate-limit.
pub trait Progress {
    /// A phase starts, with `total` items (0 when unknown).
    fn phase(&self, phase: Phase, total: u64);
    /// What is being done right now (free text, may quote titles).
    fn status(&self, text: &str);
    /// `items` more items of the phase are done, `bytes` more bytes written.
    fn advance(&self, items: u64, bytes: u64);
    /// The server throttles us: every request waits `wait`.
    fn throttled(&self, wait: Duration);
    /// The run is over: clear or close the display.
    fn finish(&self);
}

/// Shows nothing (`-q`, `--json`, tests).
#[derive(Debug, Default)]
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: Phase, _: u64) {}
    fn status(&self, _: &str) {}
    fn advance(&self, _: u64, _: u64) {}
    fn throttled(&self, _: Duration) {}
    fn finish(&self) {}
}
