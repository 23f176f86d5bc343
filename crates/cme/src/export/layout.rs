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
                .map(|a| Candidate {
                    id: a.id.as_str(),
                    natural: sanitize_component(&a.filename),
                    recorded: self
                        .recorded
                        .attachments
                        .get(&(page.clone(), a.filename.clone()))
                        .and_then(|p| p.rsplit_once('/'))
                        .filter(|(d, _)| *d == dir_text)
                        .map(|(_, name)| name),
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
                .map(|&k| Candidate {
                    id: self.pages[k].id.as_str(),
                    natural: sanitize_component(&self.pages[k].title),
                    recorded: self.recorded_name(k, &dir_text),
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
}
