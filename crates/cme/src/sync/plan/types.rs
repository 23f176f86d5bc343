//! The planner's vocabulary: why a page is written, what a run will do,
//! and why deletions wait. Data only, so the planner's parts and the
//! executor share it without importing each other.
use crate::fs::paths::{OutputPath, UnsafePath};
use crate::place::names::key;
use cme_client::{PageId, Version};
use serde::Serialize;
use std::collections::HashSet;

/// What the disk looks like where the plan cares.
#[derive(Debug, Default)]
pub struct LocalFacts {
    /// Recorded output paths (pages and attachments) whose file is missing.
    pub missing: HashSet<String>,
}

/// Choices that are not facts.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// `--force`: pages last exported before this instant are stale.
    pub force_before: Option<String>,
    /// `--max-delete`: allow a mass deletion of up to this many pages.
    pub max_delete: Option<usize>,
}

/// Why a page is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// Not tracked yet.
    New,
    /// Tracked as deleted, and back (restored, or readable again).
    Restored,
    /// Its version rose.
    Version { from: Version, to: Version },
    /// Its path changed: its own rename, an ancestor's, or a move.
    Moved { from: String },
    /// A page it links to, includes or lists changed.
    Dependency,
    /// Its labels changed (no new version: Confluence does not make one).
    Labels,
    /// Its creator or last editor changed their display name.
    Names,
    /// Its comments changed (no new version either): the sidecar is rewritten.
    Comments,
    /// Its file is gone from the disk.
    Missing,
    /// `--force`.
    Forced,
}

/// One page to fetch, convert and write.
#[derive(Debug, Clone, Serialize)]
pub struct PageWrite {
    pub id: PageId,
    pub path: OutputPath,
    pub reason: Reason,
    /// What happens to its comments sidecar.
    #[serde(skip)]
    pub sidecar: SidecarPlan,
}

impl PageWrite {
    /// The report kind: `new`, `mod` or `mov`.
    pub fn kind(&self) -> ChangeKind {
        match self.reason {
            Reason::New | Reason::Restored => ChangeKind::New,
            Reason::Moved { .. } => ChangeKind::Moved,
            _ => ChangeKind::Modified,
        }
    }
}

/// The kinds of line in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    New,
    Modified,
    Moved,
    Deleted,
}

/// A tracked page that is gone from Confluence (or no longer readable).
#[derive(Debug, Clone, Serialize)]
pub struct PageDeletion {
    pub id: PageId,
    /// Its recorded file; `None` when the recorded path is unsafe (then
    /// only the state entry is marked deleted, and the refusal reported).
    pub path: Option<OutputPath>,
    /// Another page occupies `path` after this run (a file system that folds
    /// case or forms): the file is that page's now and stays.
    #[serde(skip)]
    pub claimed: bool,
}

/// Why deletions are held back this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Hold {
    /// A listing failed: absence proves nothing.
    IncompleteListing { problems: Vec<String> },
    /// More than half of the tracked pages would go.
    TooMany { deletions: usize, active: usize },
}

impl std::fmt::Display for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hold::IncompleteListing { problems } => write!(
                f,
                "nothing deleted: {} listing(s) did not complete, so a page missing from them may only be unlisted",
                problems.len()
            ),
            Hold::TooMany { deletions, active } => write!(
                f,
                "nothing deleted: {deletions} of {active} tracked pages would be deleted (more than half); \
                 if that is right, run again with `--max-delete {deletions}`"
            ),
        }
    }
}

/// Everything one run will do to pages.
#[derive(Debug, Default, Serialize)]
pub struct Plan {
    /// Pages to write, in layout order.
    pub writes: Vec<PageWrite>,
    /// Pages to leave alone.
    pub unchanged: usize,
    /// Unchanged pages whose comments changed: only their sidecar is
    /// rewritten (or removed).
    pub sidecars_only: Vec<PageWrite>,
    /// Pages to delete (applied last, unless held).
    pub deletions: Vec<PageDeletion>,
    /// Old files of moves, this run's and earlier ones', to remove once
    /// the page is written elsewhere: (page, path). Never a claimed path.
    pub stale: Vec<(PageId, OutputPath)>,
    /// Paths pages occupy after this run, as hashes of their [`key`]s
    /// (macOS and Windows fold case, macOS the normalisation form): see
    /// [`Plan::claims`]. 16 bytes a page where the keys took ~200; two
    /// paths sharing a 128-bit hash would only keep a file.
    #[serde(skip)]
    pub claimed: HashSet<u128>,
    /// Why deletions are not applied, if they are not.
    pub hold: Option<Hold>,
    /// Recorded paths refused as unsafe.
    pub refused: Vec<UnsafePath>,
    /// Comment sidecars this run writes or removes (for `--dry-run`; the
    /// executor reports what it did).
    pub sidecars: Vec<(ChangeKind, String)>,
}

impl Plan {
    /// Whether a page occupies `path` (or a name the file system takes for
    /// the same) after this run: a file there is never removed.
    pub fn claims(&self, path: &str) -> bool {
        self.claimed.contains(&claim(path))
    }
}

/// What [`Plan::claimed`] holds for `path`.
pub fn claim(path: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(key(path).as_bytes())
}

/// A sidecar at `path` showing the comments hashed `hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SidecarWrite {
    pub path: OutputPath,
    pub hash: String,
    /// The report line (`None`: rewritten with the page, but the same).
    pub report: Option<ChangeKind>,
    /// The old sidecar to remove (the page moved).
    pub stale: Option<String>,
}

/// One page's sidecar after this run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SidecarPlan {
    /// The comments listing did not complete: a missing comment proves
    /// nothing, so the sidecar stays as recorded.
    #[default]
    Keep,
    /// The page has a sidecar (boxed: a plan holds one of these per page
    /// it writes, and most pages have no comments).
    Write(Box<SidecarWrite>),
    /// The page has no sidecar after this run (no comments kept, or no
    /// `--comments`); `stale` is the old one to remove.
    Drop { stale: Option<String> },
}
