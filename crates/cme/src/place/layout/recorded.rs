//! The names the last run gave, kept while they are still their owner's.
use super::options::LayoutOptions;
use crate::state::{PageState, State, TrackedStatus};
use cme_client::PageId;
use std::collections::BTreeMap;

/// The state's page entries, as [`State::pages`] holds them.
pub type RecordedPages = BTreeMap<PageId, Box<PageState>>;

/// Where the last run put each page and attachment. A name recorded there
/// is kept while it is still the page's (or file's) own, so a sibling that
/// appears later with a colliding name is the one suffixed.
///
/// Read from the state's own entries, lent for the placing (moved in,
/// handed back by [`Recorded::into_pages`]): a copy of every page's path,
/// even as hashes and names, was 17-30 MB at 100,000 pages, held while
/// memory peaks.
#[derive(Debug, Default, Clone)]
pub struct Recorded {
    pages: RecordedPages,
    /// Options of this run (not recorded: they travel with the names).
    pub(super) options: LayoutOptions,
}

/// One active page's recorded place.
pub(super) struct RecordedPage<'a> {
    /// Its folder, `/`-separated (empty at the top of the output folder).
    pub(super) dir: &'a str,
    /// Its file name without `.md`.
    pub(super) stem: &'a str,
    pub(super) parent: Option<&'a PageId>,
}

impl Recorded {
    /// The names of the active pages and stored attachments in `pages`
    /// (the state's entries, handed back by [`Self::into_pages`]).
    pub fn new(pages: RecordedPages) -> Self {
        Self {
            pages,
            options: LayoutOptions::default(),
        }
    }

    /// [`Self::new`] with a copy of the entries of `state`.
    pub fn from_state(state: &State) -> Self {
        Self::new(state.pages.clone())
    }

    /// The same, for a run with `options`.
    pub fn with_options(mut self, options: LayoutOptions) -> Self {
        self.options = options;
        self
    }

    /// The entries lent.
    pub fn into_pages(self) -> RecordedPages {
        self.pages
    }

    fn active(&self, id: &PageId) -> Option<&PageState> {
        self.pages
            .get(id)
            .map(|ps| &**ps)
            .filter(|ps| ps.status == TrackedStatus::Active)
    }

    /// Where page `id` was, if it is active and was a Markdown file.
    pub(super) fn page(&self, id: &PageId) -> Option<RecordedPage<'_>> {
        let ps = self.active(id)?;
        // A template may put a page at the top of the output folder.
        let (dir, file) = ps
            .output_path
            .rsplit_once('/')
            .unwrap_or(("", &ps.output_path));
        Some(RecordedPage {
            dir,
            stem: file.strip_suffix(".md")?,
            parent: ps.parent.as_ref(),
        })
    }

    /// Page `id`'s recorded path, to share when it is placed there again.
    pub(super) fn path(&self, id: &PageId) -> Option<&std::sync::Arc<str>> {
        self.active(id).map(|ps| &ps.output_path)
    }

    /// Where attachment `file` of active page `page` was stored.
    pub(super) fn attachment(&self, page: &PageId, file: &str) -> Option<&str> {
        self.active(page)?
            .attachments
            .get(file)
            .map(|a| a.output_path.as_str())
    }
}
