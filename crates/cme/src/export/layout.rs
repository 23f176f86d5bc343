//! Where each page and attachment lands on disk: `SPACE/Parent/Child.md`,
//! mirroring the page tree, and `SPACE/_attachments/<page id>/<file>`.
//! Decided once from the listings, before anything is fetched, so the
//! converter can link to pages that are not converted yet. Names come from
//! one allocator ([`super::names`]) for pages and attachments alike.
use super::names::{Candidate, Folder, Shape};
use super::paths::{OutputPath, sanitize_component};
use crate::state::{State, TrackedStatus};
use crate::sync::deps::RefKey;
use cme_client::{Attachment, PageId, PageMeta, Space, SpaceKey};
use cme_convert::PageRef;
use std::collections::{HashMap, HashSet};

/// Folder (per space) holding attachments, by page id so a page move or rename
/// never re-downloads anything.
pub const ATTACHMENTS_DIR: &str = "_attachments";

/// Beyond this many bytes of folder path, deeper pages stay in their parent's
/// folder: paths must fit every platform's limit (4096 on Linux, 260 without
/// long-path support on Windows is already lost at this depth).
const MAX_DIR_BYTES: usize = 1024;

/// The suffix of a file a page refers to that the listing does not have,
/// when its plain name belongs to a listed file.
const UNLISTED: &str = "missing";

/// One page's place in the export.
#[derive(Debug, Clone)]
pub struct Placed {
    /// Listing data.
    pub meta: PageMeta,
    /// Space key of the page.
    pub space: SpaceKey,
    /// Its Markdown file.
    pub path: OutputPath,
    /// Child pages, in Confluence's order.
    pub children: Vec<PageId>,
}

/// Where the last run put each page and attachment. A name recorded there
/// is kept while it is still the page's (or file's) own, so a sibling that
/// appears later with a colliding name is the one suffixed.
#[derive(Debug, Default, Clone)]
pub struct Recorded {
    pages: HashMap<PageId, RecordedPage>,
    /// (owner page, file name) → recorded path.
    attachments: HashMap<(PageId, String), String>,
}

#[derive(Debug, Clone)]
struct RecordedPage {
    dir: String,
    stem: String,
    parent: Option<PageId>,
}

impl Recorded {
    /// The names of the active pages and stored attachments of `state`.
    pub fn from_state(state: &State) -> Self {
        let mut out = Self::default();
        for (id, ps) in &state.pages {
            if ps.status != TrackedStatus::Active {
                continue;
            }
            if let Some((dir, file)) = ps.output_path.rsplit_once('/') {
                if let Some(stem) = file.strip_suffix(".md") {
                    out.pages.insert(
                        id.clone(),
                        RecordedPage {
                            dir: dir.to_owned(),
                            stem: stem.to_owned(),
                            parent: ps.parent.clone(),
                        },
                    );
                }
            }
            for (file, a) in &ps.attachments {
                out.attachments
                    .insert((id.clone(), file.clone()), a.output_path.clone());
            }
        }
        out
    }
}

/// The names of one page's attachments.
#[derive(Debug, Default)]
struct Files {
    /// File name → name on disk.
    names: HashMap<String, String>,
    /// Those whose name on disk is not their plain sanitised name.
    renamed: Vec<(String, String)>,
    folder: Folder,
}

/// Every page's path, plus the indexes links need.
#[derive(Debug, Default)]
pub struct Layout {
    pages: HashMap<PageId, Placed>,
    by_title: HashMap<(SpaceKey, String), PageId>,
    /// Pages in a stable order (space, then tree order).
    order: Vec<PageId>,
    recorded: Recorded,
    /// Each space's folder, and the names taken in the output folder.
    spaces: HashMap<SpaceKey, String>,
    root: Folder,
    /// Attachment names, by owner page.
    files: HashMap<PageId, Files>,
    /// Each space's home page, as the space listing names it.
    homepages: HashMap<SpaceKey, PageId>,
    /// The site links to what is not exported go to (no trailing `/`).
    site: Option<String>,
}

impl Layout {
    /// An empty layout that keeps the names `recorded` by the last run.
    pub fn new(recorded: Recorded) -> Self {
        Self {
            recorded,
            ..Self::default()
        }
    }

    /// Places the pages of `space`. Names are unique per folder (see
    /// [`super::names`]): a clash suffixes the newcomer with its id.
    ///
    /// `context` pages (ancestors outside the scope) shape the folders but
    /// are not exported, so a page lands at the same path whichever scope
    /// exported it.
    pub fn add_space(&mut self, space: &Space, pages: Vec<PageMeta>, context: Vec<PageMeta>) {
        if let Some(home) = &space.homepage_id {
            self.homepages.insert(space.key.clone(), home.clone());
        }
        let exported: HashSet<PageId> = pages.iter().map(|p| p.id.clone()).collect();
        let mut pages = pages;
        pages.extend(context.into_iter().filter(|c| !exported.contains(&c.id)));
        let space_dir = self.space_dir(space);
        let ids: HashSet<&PageId> = pages.iter().map(|p| &p.id).collect();
        let mut children: HashMap<Option<PageId>, Vec<usize>> = HashMap::new();
        for (i, p) in pages.iter().enumerate() {
            // A parent outside the listing (a folder, or a page out of scope)
            // puts the page at the space root.
            let parent = p
                .parent
                .as_ref()
                .map(|(id, _)| id.clone())
                .filter(|id| ids.contains(id) && *id != p.id);
            children.entry(parent).or_default().push(i);
        }
        for list in children.values_mut() {
            list.sort_by(|&a, &b| {
                let (a, b) = (&pages[a], &pages[b]);
                (a.position, &a.title, &a.id).cmp(&(b.position, &b.title, &b.id))
            });
        }
        let mut walk = Walk {
            pages: &pages,
            children: &children,
            recorded: &self.recorded,
            placed: vec![None; pages.len()],
            visit_order: Vec::with_capacity(pages.len()),
        };
        let mut root = Folder::default();
        root.reserve(Shape::Folder, ATTACHMENTS_DIR);
        let root_dir = vec![space_dir];
        let top = children.get(&None).cloned().unwrap_or_default();
        walk.place_tree(&mut root, &root_dir, top);
        // Pages in a parent cycle are unreachable from the root: place them
        // at the root rather than lose them.
        let orphans: Vec<usize> = (0..pages.len())
            .filter(|&i| walk.placed[i].is_none())
            .collect();
        walk.place_tree(&mut root, &root_dir, orphans);
        let Walk {
            mut placed,
            visit_order,
            ..
        } = walk;
        let mut pages: Vec<Option<PageMeta>> = pages.into_iter().map(Some).collect();
        for k in visit_order {
            let (Some(meta), Some((path, mut kids))) = (pages[k].take(), placed[k].take()) else {
                continue;
            };
            if !exported.contains(&meta.id) {
                continue;
            }
            kids.retain(|id| exported.contains(id));
            self.by_title
                .insert((space.key.clone(), meta.title.clone()), meta.id.clone());
            self.order.push(meta.id.clone());
            self.pages.insert(
                meta.id.clone(),
                Placed {
                    meta,
                    space: space.key.clone(),
                    path,
                    children: kids,
                },
            );
        }
    }

    /// The folder of `space`, allocated on first use (two keys that
    /// sanitise alike get distinct folders).
    fn space_dir(&mut self, space: &Space) -> String {
        if let Some(d) = self.spaces.get(&space.key) {
            return d.clone();
        }
        let natural = sanitize_component(space.key.as_str());
        let name = if self.root.clashes(Shape::Folder, &natural) {
            self.root
                .claim_suffixed(Shape::Folder, &natural, space.id.as_str())
        } else {
            self.root.reserve(Shape::Folder, &natural);
            natural
        };
        self.spaces.insert(space.key.clone(), name.clone());
        name
    }

    /// Names the attachments of every placed page, from the listing (by
    /// owner page; a file name listed twice is one file).
    pub fn place_attachments<'a>(
        &mut self,
        listing: impl IntoIterator<Item = (&'a PageId, &'a Vec<Attachment>)>,
    ) {
        for (page, atts) in listing {
            let Some(dir) = self.attachment_dir(page) else {
                continue;
            };
            let dir_text = dir.join("/");
            let mut seen = HashSet::new();
            let atts: Vec<&Attachment> = atts
                .iter()
                .filter(|a| seen.insert(a.filename.as_str()))
                .collect();
            let cands: Vec<Candidate<'_>> = atts
                .iter()
                .map(|a| {
                    let recorded = self
                        .recorded
                        .attachments
                        .get(&(page.clone(), a.filename.clone()))
                        .and_then(|p| p.rsplit_once('/'))
                        .filter(|(d, _)| *d == dir_text)
                        .map(|(_, name)| name);
                    Candidate::new(a.id.as_str(), &a.filename, recorded)
                })
                .collect();
            let mut files = Files::default();
            let names = files.folder.allocate(Shape::File, &cands);
            for ((a, c), name) in atts.iter().zip(&cands).zip(names) {
                if name != c.natural {
                    files.renamed.push((a.filename.clone(), name.clone()));
                }
                files.names.insert(a.filename.clone(), name);
            }
            files.renamed.sort();
            self.files.insert(page.clone(), files);
        }
    }

    /// `SPACE/_attachments/<page id>`, for a placed page.
    fn attachment_dir(&self, page: &PageId) -> Option<[String; 3]> {
        let placed = self.pages.get(page)?;
        Some([
            self.spaces.get(&placed.space)?.clone(),
            ATTACHMENTS_DIR.to_owned(),
            sanitize_component(page.as_str()),
        ])
    }

    /// Where attachment `filename` of `page` is stored; `None` when the page
    /// is not exported. A file the listing lacks gets the name it would get
    /// as a newcomer, so a link to it never opens another file.
    pub fn attachment_path(&self, page: &PageId, filename: &str) -> Option<OutputPath> {
        let [space, dir, owner] = self.attachment_dir(page)?;
        let name = match self.files.get(page) {
            Some(f) => match f.names.get(filename) {
                Some(n) => n.clone(),
                None => f
                    .folder
                    .peek(Shape::File, &sanitize_component(filename), UNLISTED),
            },
            None => sanitize_component(filename),
        };
        Some(OutputPath::from_components(&[space, dir, owner, name]))
    }

    /// The attachments of `page` not stored under their plain sanitised
    /// name, as (file name, name on disk), sorted: what links to them
    /// depend on beyond the owner's folder.
    pub fn renamed_attachments(&self, page: &PageId) -> &[(String, String)] {
        self.files.get(page).map_or(&[], |f| f.renamed.as_slice())
    }

    /// Whether the listing has attachment `filename` on `page` (an
    /// exported page): only such files are downloaded and linked locally.
    pub fn has_attachment(&self, page: &PageId, filename: &str) -> bool {
        self.files
            .get(page)
            .is_some_and(|f| f.names.contains_key(filename))
    }

    /// The exported home page of `space`.
    pub fn homepage(&self, space: &SpaceKey) -> Option<&Placed> {
        self.homepages.get(space).and_then(|id| self.pages.get(id))
    }

    /// Sets the site URL links to what is not exported go to.
    pub fn set_site(&mut self, url: &str) {
        self.site = Some(url.trim_end_matches('/').to_owned());
    }

    /// The site URL, if set.
    pub fn site(&self) -> Option<&str> {
        self.site.as_deref()
    }

    /// A page's placement.
    pub fn get(&self, id: &PageId) -> Option<&Placed> {
        self.pages.get(id)
    }

    /// A page by space and exact title (titles are unique per space).
    pub fn find_title(&self, space: &SpaceKey, title: &str) -> Option<&Placed> {
        self.by_title
            .get(&(space.clone(), title.to_owned()))
            .and_then(|id| self.pages.get(id))
    }

    /// The exported page a storage-format reference names; a title without
    /// a space means `current_space`. Blog posts are not exported.
    pub fn resolve(&self, current_space: &SpaceKey, page: &PageRef) -> Option<&Placed> {
        match page {
            PageRef::Id(id) => self.get(&PageId::new(id.0.clone())),
            PageRef::Title { space, title } => {
                let space = space
                    .as_ref()
                    .map_or_else(|| current_space.clone(), |s| SpaceKey::new(s.0.clone()));
                self.find_title(&space, title)
            }
            PageRef::BlogPost { .. } => None,
        }
    }

    /// The exported page a [`RefKey`] names.
    pub fn resolve_key(&self, key: &RefKey) -> Option<&Placed> {
        match key {
            RefKey::Id(id) => self.get(id),
            RefKey::Title(space, title) => self.find_title(space, title),
        }
    }

    /// All pages, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = &Placed> {
        self.order.iter().filter_map(|id| self.pages.get(id))
    }

    /// Number of pages placed.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no page is placed.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// One space's pages on their way to a place.
struct Walk<'a> {
    pages: &'a [PageMeta],
    children: &'a HashMap<Option<PageId>, Vec<usize>>,
    recorded: &'a Recorded,
    placed: Vec<Option<(OutputPath, Vec<PageId>)>>,
    visit_order: Vec<usize>,
}

impl Walk<'_> {
    /// Places `members` in the folder `dir` (names taken there: `folder`)
    /// and everything below them. Iterative: deep trees must not overflow
    /// the stack.
    fn place_tree(&mut self, folder: &mut Folder, dir: &[String], members: Vec<usize>) {
        let mut stack: Vec<(usize, Vec<String>)> = Vec::new();
        stack.extend(self.place_folder(folder, dir, members).into_iter().rev());
        while let Some((k, sub)) = stack.pop() {
            let kids = self.kids(k);
            let mut f = Folder::default();
            stack.extend(self.place_folder(&mut f, &sub, kids).into_iter().rev());
        }
    }

    /// Names `members` in `dir`; returns the pages that get a folder of
    /// their own, with it. Children of a page too deep for one stay in
    /// this folder, named in a later round against everything taken.
    fn place_folder(
        &mut self,
        folder: &mut Folder,
        dir: &[String],
        members: Vec<usize>,
    ) -> Vec<(usize, Vec<String>)> {
        let dir_text = dir.join("/");
        let mut subs = Vec::new();
        let mut round = members;
        loop {
            round.retain(|&k| self.placed[k].is_none());
            if round.is_empty() {
                return subs;
            }
            let cands: Vec<Candidate<'_>> = round
                .iter()
                .map(|&k| {
                    let p = &self.pages[k];
                    Candidate::new(p.id.as_str(), &p.title, self.recorded_name(k, &dir_text))
                })
                .collect();
            let names = folder.allocate(Shape::Page, &cands);
            let mut next = Vec::new();
            for (&k, name) in round.iter().zip(names) {
                let mut file = dir.to_vec();
                file.push(format!("{name}.md"));
                let kids = self.kids(k);
                let kid_ids = kids.iter().map(|&g| self.pages[g].id.clone()).collect();
                self.placed[k] = Some((OutputPath::from_components(&file), kid_ids));
                self.visit_order.push(k);
                if dir_text.len() + name.len() < MAX_DIR_BYTES {
                    let mut sub = dir.to_vec();
                    sub.push(name);
                    subs.push((k, sub));
                } else {
                    next.extend(kids);
                }
            }
            round = next;
        }
    }

    fn kids(&self, k: usize) -> Vec<usize> {
        self.children
            .get(&Some(self.pages[k].id.clone()))
            .cloned()
            .unwrap_or_default()
    }

    /// The name the last run gave page `k`, if it was in this folder (or
    /// under the same parent, whose folder may have been renamed since).
    fn recorded_name(&self, k: usize, dir: &str) -> Option<&'_ str> {
        let r = self.recorded.pages.get(&self.pages[k].id)?;
        let parent = self.pages[k].parent.as_ref().map(|(p, _)| p);
        let same_parent = r.parent.is_some() && r.parent.as_ref() == parent;
        (r.dir == dir || same_parent).then_some(r.stem.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cme_client::{PageStatus, ParentKind, SpaceId, Version};
    use proptest::prelude::*;
    use unicode_normalization::UnicodeNormalization as _;

    fn page(id: &str, title: &str, parent: Option<&str>, pos: i64) -> PageMeta {
        PageMeta {
            id: PageId::new(id),
            title: title.into(),
            space_id: SpaceId::new("1"),
            parent: parent.map(|p| (PageId::new(p), ParentKind::Page)),
            position: Some(pos),
            status: PageStatus::Current,
            version: Version(1),
            modified_at: String::new(),
            info: Default::default(),
        }
    }

    fn space() -> Space {
        Space {
            id: SpaceId::new("1"),
            key: SpaceKey::new("DEMO"),
            name: "Demo".into(),
            homepage_id: Some(PageId::new("10")),
        }
    }

    fn path_of(l: &Layout, id: &str) -> String {
        l.get(&PageId::new(id)).unwrap().path.to_string()
    }

    #[test]
    fn mirrors_the_tree_and_disambiguates_collisions() {
        let mut l = Layout::default();
        l.add_space(
            &space(),
            vec![
                page("10", "Home", None, 0),
                page("11", "Guide", Some("10"), 1),
                page("12", "guide", Some("10"), 2),
                page("13", "Step: 1/2", Some("11"), 0),
                page("14", "Under a folder", Some("999"), 0),
                page("15", "_attachments", None, 5),
            ],
            vec![],
        );
        assert_eq!(l.len(), 6);
        assert_eq!(path_of(&l, "10"), "DEMO/Home.md");
        assert_eq!(path_of(&l, "11"), "DEMO/Home/Guide.md");
        assert_eq!(path_of(&l, "12"), "DEMO/Home/guide (12).md");
        assert_eq!(path_of(&l, "13"), "DEMO/Home/Guide/Step_ 1_2.md");
        assert_eq!(path_of(&l, "14"), "DEMO/Under a folder.md");
        assert_eq!(path_of(&l, "15"), "DEMO/_attachments (15).md");
        assert_eq!(
            l.get(&PageId::new("10")).unwrap().children,
            vec![PageId::new("11"), PageId::new("12")]
        );
        assert_eq!(
            l.find_title(&SpaceKey::new("DEMO"), "Step: 1/2")
                .unwrap()
                .meta
                .id,
            PageId::new("13")
        );
    }

    #[test]
    fn context_ancestors_shape_paths_but_are_not_exported() {
        let mut l = Layout::default();
        l.add_space(
            &space(),
            vec![page("13", "Leaf", Some("11"), 0)],
            vec![
                page("10", "Home", None, 0),
                page("11", "Guide", Some("10"), 0),
            ],
        );
        assert_eq!(l.len(), 1);
        assert_eq!(path_of(&l, "13"), "DEMO/Home/Guide/Leaf.md");
        assert!(l.get(&PageId::new("11")).is_none());
    }

    #[test]
    fn parent_cycles_do_not_lose_pages() {
        let mut l = Layout::default();
        l.add_space(
            &space(),
            vec![page("1", "A", Some("2"), 0), page("2", "B", Some("1"), 0)],
            vec![],
        );
        assert_eq!(l.len(), 2);
    }

    #[test]
    fn deep_trees_do_not_overflow() {
        let mut pages = vec![page("0", "p", None, 0)];
        for i in 1..5000 {
            pages.push(page(&i.to_string(), "p", Some(&(i - 1).to_string()), 0));
        }
        let mut l = Layout::default();
        l.add_space(&space(), pages, vec![]);
        assert_eq!(l.len(), 5000);
        let deepest = path_of(&l, "4999");
        assert!(deepest.len() < MAX_DIR_BYTES + 200, "{}", deepest.len());
        let all: HashSet<String> = l
            .iter()
            .map(|p| p.path.to_string().to_lowercase())
            .collect();
        assert_eq!(all.len(), 5000, "flattened pages must not share a file");
    }

    #[test]
    fn the_reproduced_clashes_get_their_own_names() {
        let mut l = Layout::default();
        l.add_space(
            &space(),
            vec![
                page("1", "Coll", None, 0),
                page("2", "coll", None, 1),
                page("3", "coll (2)", None, 2),
                page("4", "Clash", None, 3),
                page("5", "Clash.md", None, 4),
                page("6", "Child", Some("5"), 0),
                page("7", "_attachments", None, 5),
                page("8", "Under", Some("7"), 0),
            ],
            vec![],
        );
        assert_eq!(path_of(&l, "1"), "DEMO/Coll.md");
        assert_eq!(path_of(&l, "2"), "DEMO/coll (2-2).md");
        assert_eq!(path_of(&l, "3"), "DEMO/coll (2).md");
        assert_eq!(path_of(&l, "4"), "DEMO/Clash.md");
        assert_eq!(path_of(&l, "5"), "DEMO/Clash.md (5).md");
        assert_eq!(path_of(&l, "6"), "DEMO/Clash.md (5)/Child.md");
        assert_eq!(path_of(&l, "7"), "DEMO/_attachments (7).md");
        assert_eq!(path_of(&l, "8"), "DEMO/_attachments (7)/Under.md");
    }

    fn attachment(page: &str, id: &str, filename: &str) -> Attachment {
        Attachment {
            id: cme_client::AttachmentId::new(id),
            filename: filename.into(),
            media_type: "text/plain".into(),
            file_size: None,
            page_id: PageId::new(page),
            version: Version(1),
            download_link: None,
        }
    }

    #[test]
    fn attachments_that_sanitise_alike_get_their_own_files() {
        let mut l = Layout::default();
        l.add_space(&space(), vec![page("10", "Home", None, 0)], vec![]);
        let listing: HashMap<PageId, Vec<Attachment>> = [(
            PageId::new("10"),
            vec![
                attachment("10", "att3", "a_b.txt"),
                attachment("10", "att1", "a:b.txt"),
                attachment("10", "att2", "a?b.txt"),
            ],
        )]
        .into();
        l.place_attachments(&listing);
        let at = |f: &str| {
            l.attachment_path(&PageId::new("10"), f)
                .unwrap()
                .to_string()
        };
        // The one whose name needed no change keeps it.
        assert_eq!(at("a_b.txt"), "DEMO/_attachments/10/a_b.txt");
        assert_eq!(at("a:b.txt"), "DEMO/_attachments/10/a_b (att1).txt");
        assert_eq!(at("a?b.txt"), "DEMO/_attachments/10/a_b (att2).txt");
        // Not listed: its plain name belongs to another file.
        assert_eq!(at("a*b.txt"), "DEMO/_attachments/10/a_b (missing).txt");
        assert_eq!(at("c.png"), "DEMO/_attachments/10/c.png");
        assert_eq!(
            l.renamed_attachments(&PageId::new("10")),
            &[
                ("a:b.txt".to_owned(), "a_b (att1).txt".to_owned()),
                ("a?b.txt".to_owned(), "a_b (att2).txt".to_owned())
            ]
        );
        assert!(l.attachment_path(&PageId::new("99"), "x").is_none());
    }

    /// The state a run over `l` would leave, as the next run reads it.
    fn recorded(l: &Layout) -> Recorded {
        let mut s = State::new("http://x");
        for p in l.iter() {
            let mut ps = crate::state::PageState::minimal(Version(1), "", p.path.as_str());
            ps.parent = p.meta.parent.as_ref().map(|(id, _)| id.clone());
            s.pages.insert(p.meta.id.clone(), ps);
        }
        Recorded::from_state(&s)
    }

    #[test]
    fn a_page_keeps_its_name_when_a_colliding_sibling_appears() {
        let site = vec![page("1", "Alpha", None, 0), page("2", "Report", None, 1)];
        let mut before = Layout::default();
        before.add_space(&space(), site.clone(), vec![]);
        // Page 1 is renamed so its name clashes; it sorts first by id, so a
        // fresh export gives it the plain name, but page 2 was there first.
        let mut now = site;
        now[0].title = "report".into();
        let mut fresh = Layout::default();
        fresh.add_space(&space(), now.clone(), vec![]);
        assert_eq!(path_of(&fresh, "1"), "DEMO/report.md");
        let mut synced = Layout::new(recorded(&before));
        synced.add_space(&space(), now, vec![]);
        assert_eq!(path_of(&synced, "2"), "DEMO/Report.md");
        assert_eq!(path_of(&synced, "1"), "DEMO/report (1).md");
    }

    /// Titles from an alphabet of everything that breaks file names.
    fn hostile_title() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("/"),
            Just("\\"),
            Just(":"),
            Just("*"),
            Just("?"),
            Just("\""),
            Just("<"),
            Just(">"),
            Just("|"),
            Just("."),
            Just(" "),
            Just(".."),
            Just("\u{0}"),
            Just("\u{7}"),
            Just("\n"),
            Just("CON"),
            Just("con"),
            Just("LPT¹"),
            Just("CONIN$"),
            Just(".md"),
            Just(".txt"),
            Just("_attachments"),
            Just("e\u{301}"),
            Just("\u{e9}"),
            Just("\u{c9}"),
            Just("\u{200B}"),
            Just("\u{200D}"),
            Just("\u{202E}"),
            Just("\u{2066}"),
            Just("\u{FEFF}"),
            Just("a"),
            Just("A"),
            Just("b"),
            Just(" (1)"),
            Just(" (2-2)"),
            Just("ß"),
        ];
        // Few letters and the suffixes ids 1..=3 give, so names collide often.
        let clashing = (
            prop_oneof![
                3 => Just("a"),
                3 => Just("A"),
                1 => Just("a\u{301}"),
                1 => Just("\u{e1}"),
            ],
            prop_oneof![
                3 => Just(String::new()),
                3 => (2..6u8).prop_map(|i| format!(" ({i})")),
                1 => (0..4u8).prop_map(|i| format!(" (att{i})")),
                1 => Just(" (2-2)".to_owned()),
                1 => Just(".md".to_owned()),
            ],
        )
            .prop_map(|(a, b)| vec![a.to_owned(), b]);
        prop_oneof![
            5 => prop::collection::vec(piece, 0..6).prop_map(|v| v.concat()),
            4 => clashing.prop_map(|v| v.concat()),
            1 => (1usize..400).prop_map(|n| "é".repeat(n)),
        ]
    }

    /// Pages 1..=n: titles, and a parent among the pages before (or none).
    fn site_pages() -> impl Strategy<Value = Vec<PageMeta>> {
        prop::collection::vec(
            (hostile_title(), any::<prop::sample::Index>(), 0u8..3),
            1..25,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (title, parent, pos))| {
                    // Few parents, so most pages have siblings.
                    let p = parent.index(4.min(i + 1));
                    let parent = (p > 0).then(|| p.to_string());
                    page(&(i + 1).to_string(), &title, parent.as_deref(), pos.into())
                })
                .collect()
        })
    }

    fn shuffled<T: Clone>(v: &[T], seed: u64) -> Vec<T> {
        let mut v = v.to_vec();
        let mut x = seed | 1;
        for i in (1..v.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v.swap(i, (x % (i as u64 + 1)) as usize);
        }
        v
    }

    fn paths(l: &Layout) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = l
            .iter()
            .map(|p| (p.meta.id.to_string(), p.path.to_string()))
            .collect();
        v.sort();
        v
    }

    /// Every component is one a file system accepts as is, and no two
    /// names in a folder (files and folders alike) are the same to macOS
    /// or Windows.
    fn check_unique_and_safe(l: &Layout, extra: &[OutputPath]) -> Result<(), TestCaseError> {
        // Not `names::key`: the check must not share the allocator's bugs.
        let key = |name: &str| -> String {
            let visible: String = name
                .chars()
                .filter(|c| !matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}'))
                .collect();
            visible.nfc().collect::<String>().to_lowercase()
        };
        // Folder → (name key → name); a page claims its file and its folder.
        let mut folders: HashMap<String, HashMap<String, String>> = HashMap::new();
        let mut claim = |dir: &str, name: String| -> Result<(), TestCaseError> {
            let prev = folders
                .entry(dir.to_owned())
                .or_default()
                .insert(key(&name), name.clone());
            prop_assert!(prev.is_none(), "{dir}: {prev:?} and {name:?} clash");
            Ok(())
        };
        for p in l.iter() {
            let (dir, file) = p.path.as_str().rsplit_once('/').unwrap();
            let stem = file.strip_suffix(".md").unwrap();
            claim(dir, file.to_owned())?;
            claim(&format!("{dir}/"), stem.to_owned())?;
        }
        // Folders and files are one namespace: a folder key may not be a
        // file key of the same directory.
        for (dir, names) in &folders {
            if let Some(files) = dir.strip_suffix('/').and_then(|d| folders.get(d)) {
                for k in names.keys() {
                    prop_assert!(!files.contains_key(k), "{dir}{k} is a file and a folder");
                }
            }
        }
        for p in l.iter().map(|p| &p.path).chain(extra) {
            for c in p.components() {
                prop_assert!(!c.is_empty() && c != "." && c != "..", "{p}");
                prop_assert!(
                    !c.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']),
                    "{p}"
                );
                prop_assert!(!c.chars().any(crate::export::paths::is_invisible), "{p:?}");
                prop_assert!(!c.ends_with(['.', ' ']) && !c.starts_with(' '), "{p:?}");
                prop_assert!(unicode_normalization::is_nfc(c), "{p:?}");
                prop_assert!(c.len() <= 255, "{p:?} is too long");
                if c.len() <= crate::export::paths::MAX_COMPONENT_BYTES {
                    prop_assert!(sanitize_component(c) == c, "{p:?} is not stable");
                }
            }
            prop_assert!(p.under(std::path::Path::new("/out")).starts_with("/out"));
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn names_are_unique_safe_and_independent_of_listing_order(
            pages in site_pages(),
            seed in any::<u64>(),
        ) {
            let mut a = Layout::default();
            a.add_space(&space(), pages.clone(), vec![]);
            let mut b = Layout::default();
            b.add_space(&space(), shuffled(&pages, seed), vec![]);
            prop_assert_eq!(a.len(), pages.len());
            prop_assert_eq!(paths(&a), paths(&b));
            let at_root = a.iter().any(|p| p.path.as_str().starts_with("DEMO/_attachments."));
            prop_assert!(!at_root || a.iter().all(|p| !p.path.as_str().starts_with("DEMO/_attachments/")));
            check_unique_and_safe(&a, &[])?;

            // The next run over the same site keeps every name, and a run
            // after more pages appear moves none of the old ones.
            let mut again = Layout::new(recorded(&a));
            again.add_space(&space(), shuffled(&pages, seed ^ 7), vec![]);
            prop_assert_eq!(paths(&a), paths(&again));
            let mut grown = pages.clone();
            let n = grown.len();
            for (i, p) in pages.iter().take(5).enumerate() {
                let parent = p.parent.as_ref().map(|(id, _)| id.to_string());
                grown.push(page(&(n + i + 1).to_string(), &p.title.to_uppercase(), parent.as_deref(), 0));
            }
            // Page 1 (the lowest id, which wins a clash in a fresh export)
            // is renamed like another: it moves, and nothing else does.
            grown[0].title = pages[n - 1].title.to_uppercase();
            let moved = path_of(&a, "1").strip_suffix(".md").unwrap().to_owned() + "/";
            let mut after = Layout::new(recorded(&a));
            after.add_space(&space(), shuffled(&grown, seed), vec![]);
            for (id, path) in paths(&a) {
                if id != "1" && !path.starts_with(&moved) {
                    prop_assert_eq!(path_of(&after, &id), path);
                }
            }
            check_unique_and_safe(&after, &[])?;

            // Pages titled like the suffixed names others were given.
            let mut mimics = pages.clone();
            for p in a.iter() {
                let stem = p.path.as_str().rsplit_once('/').unwrap().1.strip_suffix(".md").unwrap();
                if stem != sanitize_component(&p.meta.title) {
                    let parent = p.meta.parent.as_ref().map(|(id, _)| id.to_string());
                    let id = (mimics.len() + 1).to_string();
                    mimics.push(page(&id, stem, parent.as_deref(), 0));
                }
            }
            let mut l = Layout::default();
            l.add_space(&space(), shuffled(&mimics, seed), vec![]);
            prop_assert_eq!(l.len(), mimics.len());
            check_unique_and_safe(&l, &[])?;
        }

        #[test]
        fn attachment_names_are_unique_safe_and_independent_of_listing_order(
            files in prop::collection::vec(hostile_title(), 1..25),
            seed in any::<u64>(),
        ) {
            let mut l = Layout::default();
            l.add_space(&space(), vec![page("10", "Home", None, 0)], vec![]);
            let atts: Vec<Attachment> = files
                .iter()
                .enumerate()
                .map(|(i, f)| attachment("10", &format!("att{i}"), f))
                .collect();
            let mut seen = HashSet::new();
            let distinct: Vec<&String> = files.iter().filter(|f| seen.insert(*f)).collect();
            let mut out = Vec::new();
            for order in [atts.clone(), shuffled(&atts, seed)] {
                let mut l2 = Layout::default();
                l2.add_space(&space(), vec![page("10", "Home", None, 0)], vec![]);
                l2.place_attachments(&HashMap::from([(PageId::new("10"), order)]));
                let got: Vec<OutputPath> = distinct
                    .iter()
                    .map(|f| l2.attachment_path(&PageId::new("10"), f).unwrap())
                    .collect();
                out.push(got);
            }
            // Shuffling changes which of two same-named listings is dropped:
            // compare only when no file name repeats.
            if distinct.len() == files.len() {
                prop_assert_eq!(&out[0], &out[1]);
            }
            let keys: HashSet<String> = out[0]
                .iter()
                .map(|p| p.as_str().nfc().collect::<String>().to_lowercase())
                .collect();
            prop_assert_eq!(keys.len(), distinct.len());
            l.place_attachments(&HashMap::from([(PageId::new("10"), atts)]));
            check_unique_and_safe(&l, &out[0])?;
        }
    }
}
