//! Where each page lands on disk: `SPACE/Parent/Child.md`, mirroring the page
//! tree. Decided once from the inventory, before anything is fetched, so the
//! converter can link to pages that are not converted yet.
use super::paths::{OutputPath, sanitize_component};
use crate::sync::deps::RefKey;
use cme_client::{PageId, PageMeta, Space, SpaceKey};
use cme_convert::PageRef;
use std::collections::{HashMap, HashSet};

/// Folder (per space) holding attachments, by page id so a page move or rename
/// never re-downloads anything.
pub const ATTACHMENTS_DIR: &str = "_attachments";

/// Beyond this many bytes of folder path, deeper pages stay in their parent's
/// folder: paths must fit every platform's limit (4096 on Linux, 260 without
/// long-path support on Windows is already lost at this depth).
const MAX_DIR_BYTES: usize = 1024;

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

/// Every page's path, plus the indexes links need.
#[derive(Debug, Default)]
pub struct Layout {
    pages: HashMap<PageId, Placed>,
    by_title: HashMap<(SpaceKey, String), PageId>,
    /// Pages in a stable order (space, then tree order).
    order: Vec<PageId>,
}

impl Layout {
    /// Places the pages of `space`. Siblings whose names collide (also
    /// case-insensitively, for macOS and Windows) get ` (id)` appended.
    ///
    /// `context` pages (ancestors outside the scope) shape the folders but
    /// are not exported, so a page lands at the same path whichever scope
    /// exported it.
    pub fn add_space(&mut self, space: &Space, pages: Vec<PageMeta>, context: Vec<PageMeta>) {
        let exported: HashSet<PageId> = pages.iter().map(|p| p.id.clone()).collect();
        let mut pages = pages;
        pages.extend(context.into_iter().filter(|c| !exported.contains(&c.id)));
        let space_dir = sanitize_component(space.key.as_str());
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
        let mut placed: Vec<Option<(OutputPath, Vec<PageId>)>> = vec![None; pages.len()];
        let mut visit_order = Vec::with_capacity(pages.len());
        // Iterative walk: deep trees must not overflow the stack.
        let mut stack: Vec<(Option<PageId>, Vec<String>)> = vec![(None, vec![space_dir.clone()])];
        let mut roots_done = false;
        // Names in use per folder (lower-cased: macOS and Windows fold case).
        let mut taken: HashMap<String, HashSet<String>> = HashMap::new();
        taken
            .entry(space_dir.to_lowercase())
            .or_default()
            .insert(ATTACHMENTS_DIR.to_lowercase());
        loop {
            while let Some((parent, dir)) = stack.pop() {
                let kids = children.get(&parent).cloned().unwrap_or_default();
                let dir_key = dir.join("/").to_lowercase();
                let mut pushes = Vec::new();
                for &k in &kids {
                    if placed[k].is_some() {
                        continue;
                    }
                    let page = &pages[k];
                    let mut name = sanitize_component(&page.title);
                    let used = taken.entry(dir_key.clone()).or_default();
                    if !used.insert(name.to_lowercase()) {
                        name = format!("{name} ({})", page.id);
                        used.insert(name.to_lowercase());
                    }
                    let mut file = dir.clone();
                    file.push(format!("{name}.md"));
                    let mut sub = dir.clone();
                    if dir_key.len() + name.len() < MAX_DIR_BYTES {
                        sub.push(name);
                    }
                    let grandkids: Vec<PageId> = children
                        .get(&Some(page.id.clone()))
                        .map(|v| v.iter().map(|&g| pages[g].id.clone()).collect())
                        .unwrap_or_default();
                    placed[k] = Some((OutputPath::from_components(&file), grandkids));
                    visit_order.push(k);
                    pushes.push((Some(page.id.clone()), sub));
                }
                stack.extend(pushes.into_iter().rev());
            }
            // Pages in a parent cycle are unreachable from the root: place them
            // at the root rather than lose them.
            let orphans: Vec<usize> = (0..pages.len()).filter(|&i| placed[i].is_none()).collect();
            if orphans.is_empty() || roots_done {
                break;
            }
            roots_done = true;
            children.insert(None, orphans);
            stack.push((None, vec![space_dir.clone()]));
        }
        let mut pages: Vec<Option<PageMeta>> = pages.into_iter().map(Some).collect();
        for k in visit_order {
            let meta = pages[k].take().expect("each page placed once");
            let (path, mut kids) = placed[k].take().expect("placed");
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

    /// Where an attachment of `page` is stored.
    pub fn attachment_path(space: &SpaceKey, page: &PageId, filename: &str) -> OutputPath {
        OutputPath::from_components(&[
            sanitize_component(space.as_str()),
            ATTACHMENTS_DIR.to_owned(),
            sanitize_component(page.as_str()),
            sanitize_component(filename),
        ])
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
