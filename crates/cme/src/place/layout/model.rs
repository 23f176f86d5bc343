//! The layout's data: every placed page, the names taken, and the facts
//! templates render with. The jobs that fill it live beside it (`tree`,
//! `templated`, `attachments`); lookups are in the layout's root module.
use super::dirs::Dirs;
use super::options::LayoutOptions;
use super::recorded::Recorded;
use crate::fs::paths::OutputPath;
use crate::place::names::Folder;
use cme_client::{Attachment, PageId, PageMeta, SpaceKey};
use std::collections::HashMap;

/// Folder (per space) holding attachments, by page id so a page move or rename
/// never re-downloads anything.
pub const ATTACHMENTS_DIR: &str = "_attachments";

/// Beyond this many bytes of folder path, deeper pages stay in their parent's
/// folder: paths must fit every platform's limit (4096 on Linux, 260 without
/// long-path support on Windows is already lost at this depth).
pub(super) const MAX_DIR_BYTES: usize = 1024;

/// The suffix of a file a page refers to that the listing does not have,
/// when its plain name belongs to a listed file.
pub(super) const UNLISTED: &str = "missing";

/// One page's place in the export.
#[derive(Debug, Clone)]
pub struct Placed {
    /// Listing data, boxed as the listing came in (see
    /// `sync::remote::gather`): placing a space moves each page into its
    /// place while the space's listing is held, and a large space's pages
    /// held inline were twice in memory then (~18 MB for 100,000 pages).
    pub meta: Box<PageMeta>,
    /// Space key of the page.
    pub space: SpaceKey,
    /// Its Markdown file.
    pub path: OutputPath,
    /// Child pages, in Confluence's order.
    pub children: Vec<PageId>,
}

/// The names of one page's attachments. Lists, not maps: most pages have
/// one or two files, and two small maps a page (with the names taken in
/// its folder, which the names on disk are) were ~11 MB at 100,000 pages.
#[derive(Debug, Default)]
pub(super) struct Files {
    /// (file name, name on disk), sorted by file name once all are in
    /// ([`Files::sort`]).
    pub(super) names: Vec<(String, String)>,
    /// Those whose name on disk is not their plain sanitised name.
    pub(super) renamed: Vec<(String, String)>,
}

impl Files {
    /// Sorts both lists; of a file name given twice, the last given stays
    /// (as in a map).
    pub(super) fn sort(&mut self) {
        self.names.reverse();
        self.names.sort_by(|a, b| a.0.cmp(&b.0));
        self.names.dedup_by(|a, b| a.0 == b.0);
        self.renamed.sort();
    }
    /// The name on disk of file `name`.
    pub(super) fn get(&self, name: &str) -> Option<&String> {
        let at = self
            .names
            .binary_search_by(|(f, _)| f.as_str().cmp(name))
            .ok()?;
        Some(&self.names[at].1)
    }
    /// The names taken in the folder: the names on disk.
    pub(super) fn folder(&self, shape: crate::place::names::Shape) -> Folder {
        let mut folder = Folder::default();
        for (_, name) in &self.names {
            folder.reserve(shape, name);
        }
        folder
    }
}

/// Every page's path, plus the indexes links need.
#[derive(Debug, Default)]
pub struct Layout {
    /// Every placed page, found by [`Layout::index`]: a list per space
    /// (and per space's blog posts), each made to size as it is placed.
    /// A map of whole pages left an eighth to a half of its ~400-byte
    /// slots empty, and room made for every page at once was held beside
    /// the listings they are moved from (~36 MB at 100,000 pages).
    pub(super) pages: Vec<Vec<Placed>>,
    /// Where each page is in [`Layout::pages`], found by its id: the table
    /// holds places only, hashed and compared by the page they point to (a
    /// map keyed by a copy of every id was ~4 MB at 100,000 pages).
    pub(super) index: hashbrown::HashTable<Place>,
    /// Pages by space and title ([`title_key`]), held the same way.
    pub(super) by_title: hashbrown::HashTable<Place>,
    /// Blog posts by space and title, with their posting days: titles are
    /// unique per space and day only.
    pub(super) by_blog: HashMap<(SpaceKey, String), Vec<(String, PageId)>>,
    /// Pages in a stable order (space, then tree order), as places in
    /// [`Layout::pages`].
    pub(super) order: Vec<Place>,
    pub(super) recorded: Recorded,
    /// Each space's folder, and the names taken in the output folder.
    pub(super) spaces: HashMap<SpaceKey, String>,
    pub(super) root: Folder,
    /// Attachment names, by owner page.
    pub(super) files: HashMap<PageId, Files>,
    /// Each space's home page, as the space listing names it.
    pub(super) homepages: HashMap<SpaceKey, PageId>,
    /// The site links to what is not exported go to (no trailing `/`).
    pub(super) site: Option<String>,
    pub(super) options: LayoutOptions,
    /// With templates: what each space's pages are rendered with.
    pub(super) spaces_seen: HashMap<SpaceKey, SpaceFacts>,
    /// With templates: each page's ancestors below the home page.
    pub(super) ancestry: HashMap<PageId, Ancestry>,
    /// With templates: every folder of the output, with the names in it.
    pub(super) dirs: Dirs,
    /// With templates: where each attachment goes, by (owner, file name).
    pub(super) att_paths: HashMap<(PageId, String), OutputPath>,
    /// Whether the page templates were applied.
    pub(super) templated: bool,
}

/// Where a page is in [`Layout::pages`]: which list, and where in it.
pub(super) type Place = (u32, u32);

impl Layout {
    /// Starts the list the next `len` pages placed go to.
    pub(super) fn begin_list(&mut self, len: usize) {
        self.pages.push(Vec::with_capacity(len));
    }
    /// Adds `placed` to the current list; a page placed again takes its
    /// earlier place's data and is listed again, as when the pages were a
    /// map keyed by id beside a list of ids. Returns its place.
    pub(super) fn insert(&mut self, placed: Placed) -> Place {
        let at = match self.place_of(&placed.meta.id) {
            Some(at) => {
                self.pages[at.0 as usize][at.1 as usize] = placed;
                at
            }
            None => {
                if self.pages.is_empty() {
                    self.begin_list(0);
                }
                let list = self.pages.len() - 1;
                let n = |i: usize| u32::try_from(i).expect("fewer than 2^32 pages");
                let at = (n(list), n(self.pages[list].len()));
                let hash = id_hash(&placed.meta.id);
                self.pages[list].push(placed);
                let pages = &self.pages;
                self.index
                    .insert_unique(hash, at, |&q| id_hash(&slot(pages, q).meta.id));
                at
            }
        };
        self.order.push(at);
        at
    }
    /// Room for `n` more pages in the indexes.
    pub(super) fn reserve_indexes(&mut self, n: usize) {
        let pages = &self.pages;
        self.index.reserve(n, |&q| id_hash(&slot(pages, q).meta.id));
        self.by_title
            .reserve(n, |&q| placed_title_key(slot(pages, q)));
    }
    /// Where page `id` is.
    pub(super) fn place_of(&self, id: &PageId) -> Option<Place> {
        let pages = &self.pages;
        self.index
            .find(id_hash(id), |&q| slot(pages, q).meta.id == *id)
            .copied()
    }
    /// Indexes the page at `at` by its space and title; of two pages with
    /// the same, the later one is found.
    pub(super) fn index_title(&mut self, at: Place) {
        let pages = &self.pages;
        let p = slot(pages, at);
        match self.by_title.entry(
            placed_title_key(p),
            |&q| slot(pages, q).space == p.space && slot(pages, q).meta.title == p.meta.title,
            |&q| placed_title_key(slot(pages, q)),
        ) {
            hashbrown::hash_table::Entry::Occupied(mut e) => *e.get_mut() = at,
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(at);
            }
        }
    }
    /// The page titled `title` in `space`.
    pub(super) fn titled(&self, space: &SpaceKey, title: &str) -> Option<&Placed> {
        let pages = &self.pages;
        let at = self.by_title.find(title_key(space, title), |&q| {
            let p = slot(pages, q);
            p.space == *space && p.meta.title == title
        })?;
        self.at(*at)
    }
    /// The page at `at`.
    pub(super) fn at(&self, at: Place) -> Option<&Placed> {
        self.pages.get(at.0 as usize)?.get(at.1 as usize)
    }
    /// A placed page, to change.
    pub(super) fn get_mut(&mut self, id: &PageId) -> Option<&mut Placed> {
        let at = self.place_of(id)?;
        self.pages.get_mut(at.0 as usize)?.get_mut(at.1 as usize)
    }
}

/// What [`Layout::by_title`] is hashed by.
pub(super) fn title_key(space: &SpaceKey, title: &str) -> u64 {
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    h.update(space.as_str().as_bytes());
    h.update(&[0]);
    h.update(title.as_bytes());
    h.digest()
}

/// [`title_key`] of a placed page.
fn placed_title_key(p: &Placed) -> u64 {
    title_key(&p.space, &p.meta.title)
}

/// The page at `at`, a place an index holds (always one of `pages`'s):
/// a free function, so the indexes' hash and compare closures can read
/// the pages while an index is changed.
fn slot(pages: &[Vec<Placed>], at: Place) -> &Placed {
    &pages[at.0 as usize][at.1 as usize]
}

/// What [`Layout::index`] is hashed by.
fn id_hash(id: &PageId) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_str().as_bytes())
}

/// An attachment on its way to a name: owner, listing, folders, file name.
pub(super) type PlacedFile<'a> = (&'a PageId, &'a Attachment, Vec<String>, String);

/// A space's name and home page, for templates.
#[derive(Debug, Default, Clone)]
pub(super) struct SpaceFacts {
    pub(super) name: String,
    pub(super) home_id: String,
    pub(super) home_title: String,
}

/// A page's ancestors below the space's home page, for templates.
#[derive(Debug, Default, Clone)]
pub(super) struct Ancestry {
    /// Their folder names in the tree layout (unique among siblings).
    pub(super) names: Vec<String>,
    pub(super) ids: Vec<String>,
}
