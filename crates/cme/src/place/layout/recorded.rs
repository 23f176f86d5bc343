//! The names the last run gave, kept while they are still their owner's.
use super::options::LayoutOptions;
use crate::state::{State, TrackedStatus};
use cme_client::PageId;
use std::collections::HashMap;

/// Where the last run put each page and attachment. A name recorded there
/// is kept while it is still the page's (or file's) own, so a sibling that
/// appears later with a colliding name is the one suffixed.
#[derive(Debug, Default, Clone)]
pub struct Recorded {
    pub(super) pages: HashMap<PageId, RecordedPage>,
    /// (owner page, file name) → recorded path.
    pub(super) attachments: HashMap<(PageId, String), String>,
    /// Options of this run (not recorded: they travel with the names).
    pub(super) options: LayoutOptions,
}

/// One page's recorded place. Its folder is kept as a hash only: it is
/// only ever compared, and the folders are most of a path (a copy of
/// every path was ~30 MB at 100,000 pages, held while placing).
#[derive(Debug, Clone)]
pub(super) struct RecordedPage {
    dir: u128,
    pub(super) stem: Box<str>,
    pub(super) parent: Option<PageId>,
}

impl RecordedPage {
    /// Whether the page was in the folder `dir` (`/`-separated).
    pub(super) fn in_dir(&self, dir: &str) -> bool {
        self.dir == dir_key(dir)
    }
}

/// What [`RecordedPage`] keeps of a folder: two folders sharing a 128-bit
/// hash would only lose a recorded name.
fn dir_key(dir: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(dir.as_bytes())
}

impl Recorded {
    /// The names of the active pages and stored attachments of `state`.
    pub fn from_state(state: &State) -> Self {
        let mut out = Self::default();
        out.pages.reserve(state.pages.len());
        for (id, ps) in &state.pages {
            if ps.status != TrackedStatus::Active {
                continue;
            }
            // A template may put a page at the top of the output folder.
            let (dir, file) = ps
                .output_path
                .rsplit_once('/')
                .unwrap_or(("", &ps.output_path));
            if let Some(stem) = file.strip_suffix(".md") {
                out.pages.insert(
                    id.clone(),
                    RecordedPage {
                        dir: dir_key(dir),
                        stem: stem.into(),
                        parent: ps.parent.clone(),
                    },
                );
            }
            for (file, a) in &ps.attachments {
                out.attachments
                    .insert((id.clone(), file.clone()), a.output_path.clone());
            }
        }
        out
    }

    /// The same, for a run with `options`.
    pub fn with_options(mut self, options: LayoutOptions) -> Self {
        self.options = options;
        self
    }
}
