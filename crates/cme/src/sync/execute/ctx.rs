//! What every step of the executor works with, built once per run.
use crate::fs::outdir::OutDir;
use crate::page::front_matter::FrontMatter;
use crate::sync::progress::Progress;
use crate::sync::request::Cancel;
use cme_client::Client;
use cme_convert::Options;

/// What the executor works with.
pub struct Exec<'a> {
    pub client: &'a Client,
    /// The output folder: every write and removal goes through it.
    pub dir: &'a OutDir,
    pub options: &'a Options,
    /// Whether pages start with YAML front matter.
    pub front_matter: FrontMatter,
    pub cancel: &'a Cancel,
    pub progress: &'a dyn Progress,
    /// This run's timestamp, recorded as `last_exported`.
    pub now: String,
    /// Refused requests the client had counted before this run: one more
    /// stops the run before deletions (`remote::confirm::stop_if_refused`).
    pub refused_before: u64,
    /// Pages converted at once, at most (1: one after another).
    pub convert_threads: usize,
}

/// Pages converted at once unless a request says: one per core, up to four
/// (converting is most of the page loop's CPU; more threads than cores
/// only take turns).
pub fn convert_threads(asked: Option<usize>) -> usize {
    asked
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
        .max(1)
}

/// Bodies fetched per request: the v2 `id` filter's maximum.
pub const BODY_BATCH: usize = 250;
