//! The default layout: folders mirror the page tree, space by space.
use super::blog::BLOG_DIR;
use super::model::{ATTACHMENTS_DIR, Ancestry, Layout, MAX_DIR_BYTES, Placed, SpaceFacts};
use super::recorded::Recorded;
use crate::fs::paths::{OutputPath, sanitize_component};
use crate::place::names::{Candidate, Folder, Shape};
use cme_client::{ContentKind, PageId, PageMeta, Space};
use std::collections::{HashMap, HashSet};

impl Layout {
    /// Places the pages of `space`. Names are unique per folder (see
    /// [`crate::place::names`]): a clash suffixes the newcomer with its id.
    ///
    /// `context` pages (ancestors outside the scope) shape the folders but
    /// are not exported, so a page lands at the same path whichever scope
    /// exported it.
    ///
    /// Blog posts among `pages` go to the space's [`BLOG_DIR`] folder, by
    /// posting day (see `blog.rs`); that name is taken before the pages are
    /// named, so a page titled like it is the one suffixed.
    pub fn add_space<P: Into<Box<PageMeta>>>(
        &mut self,
        space: &Space,
        pages: Vec<P>,
        context: Vec<P>,
    ) {
        let (pages, context) = (boxed(pages), boxed(context));
        if let Some(home) = &space.homepage_id {
            self.homepages.insert(space.key.clone(), home.clone());
        }
        // Split only when there are posts, into lists made to size: always
        // split, a space's pages were held twice, in lists grown to twice
        // their size.
        let is_post = |p: &PageMeta| p.kind == ContentKind::BlogPost;
        let mut pages = pages;
        let mut posts = Vec::new();
        let n = pages.iter().filter(|p| is_post(p)).count();
        if n > 0 {
            posts.reserve_exact(n);
            let mut rest = Vec::with_capacity(pages.len() - n);
            for p in pages {
                if is_post(&p) {
                    posts.push(p)
                } else {
                    rest.push(p)
                }
            }
            pages = rest;
        }
        // The exported pages are the first `exported`; context pages
        // follow (a set of the exported ids was ~5 MB at 100,000 pages).
        let exported = pages.len();
        if !context.is_empty() {
            let listed: HashSet<&PageId> = pages.iter().map(|p| &p.id).collect();
            let context: Vec<Box<PageMeta>> = context
                .into_iter()
                .filter(|c| !listed.contains(&c.id))
                .collect();
            pages.extend(context);
        }
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
        // Let go before the walk, where a sync's memory peaks (~1 MB at
        // 100,000 pages).
        drop(ids);
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
            exported,
        };
        let mut root = Folder::default();
        root.reserve(Shape::Folder, ATTACHMENTS_DIR);
        if !posts.is_empty() {
            root.reserve(Shape::Folder, BLOG_DIR);
        }
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
        // Let go before the space's list is made (a large space's list is
        // the size of its listing).
        drop(children);
        if self.options.templated() {
            self.learn_ancestry(space, &pages, &placed);
        }
        let mut pages: Vec<Option<Box<PageMeta>>> = pages.into_iter().map(Some).collect();
        self.begin_list(exported);
        for k in visit_order {
            if k >= exported {
                continue;
            }
            let (Some(meta), Some((path, kids))) = (pages[k].take(), placed[k].take()) else {
                continue;
            };
            let at = self.insert(Placed {
                meta,
                space: space.key.clone(),
                path,
                children: kids,
            });
            self.index_title(at);
        }
        if !posts.is_empty() {
            let mut blog_dir = root_dir;
            blog_dir.push(BLOG_DIR.to_owned());
            self.add_blog_posts(space, &blog_dir, posts);
        }
    }
    /// The folder of `space`, allocated on first use (two keys that
    /// sanitise alike get distinct folders).
    pub(super) fn space_dir(&mut self, space: &Space) -> String {
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
    /// What templates need of `space`: its name, its home page, and each
    /// page's ancestors below the home page (as the Python tool counts
    /// them), named as the tree layout names their folders.
    pub(super) fn learn_ancestry(
        &mut self,
        space: &Space,
        pages: &[Box<PageMeta>],
        placed: &[Option<(OutputPath, Vec<PageId>)>],
    ) {
        let home = space.homepage_id.as_ref();
        let index: HashMap<&PageId, usize> =
            pages.iter().enumerate().map(|(i, p)| (&p.id, i)).collect();
        let home_title = home
            .and_then(|h| index.get(h))
            .map(|&i| pages[i].title.clone())
            .unwrap_or_default();
        self.spaces_seen.insert(
            space.key.clone(),
            SpaceFacts {
                name: space.name.clone(),
                home_id: home.map(ToString::to_string).unwrap_or_default(),
                home_title,
            },
        );
        let stem = |i: usize| -> Option<String> {
            let (path, _) = placed[i].as_ref()?;
            let file = path.components().last()?;
            Some(file.strip_suffix(".md").unwrap_or(file).to_owned())
        };
        // The home page's folder, when it is at the top of the space.
        let home_dir = home
            .and_then(|h| index.get(h))
            .filter(|&&i| {
                placed[i]
                    .as_ref()
                    .is_some_and(|(p, _)| p.components().count() == 2)
            })
            .and_then(|&i| stem(i));
        for (i, p) in pages.iter().enumerate() {
            let Some((path, _)) = &placed[i] else {
                continue;
            };
            let comps: Vec<&str> = path.components().collect();
            let mut names: Vec<String> = comps[1..comps.len() - 1]
                .iter()
                .map(|c| (*c).to_owned())
                .collect();
            // Ancestor ids, nearest last (a cycle is cut where it closes).
            let mut ids = Vec::new();
            let mut seen = HashSet::new();
            let mut at = p.parent.as_ref().map(|(id, _)| id);
            while let Some(&j) = at.and_then(|id| index.get(id)) {
                if !seen.insert(j) || j == i {
                    break;
                }
                ids.push(pages[j].id.to_string());
                at = pages[j].parent.as_ref().map(|(id, _)| id);
            }
            ids.reverse();
            if home.is_some_and(|h| ids.first() == Some(&h.to_string())) {
                ids.remove(0);
                if home_dir.is_some() && names.first() == home_dir.as_ref() {
                    names.remove(0);
                }
            }
            self.ancestry.insert(p.id.clone(), Ancestry { names, ids });
        }
    }
}

/// `list` boxed, in a list made to size (a list of boxes is moved as it
/// is; collected, boxes of pages listed inline would be put in the pages'
/// own allocation, twenty times their size).
pub fn boxed<P: Into<Box<PageMeta>>>(list: Vec<P>) -> Vec<Box<PageMeta>> {
    let mut out = Vec::with_capacity(list.len());
    out.extend(list.into_iter().map(Into::into));
    out
}

/// One space's pages on their way to a place.
pub(super) struct Walk<'a> {
    pages: &'a [Box<PageMeta>],
    children: &'a HashMap<Option<PageId>, Vec<usize>>,
    recorded: &'a Recorded,
    placed: Vec<Option<(OutputPath, Vec<PageId>)>>,
    visit_order: Vec<usize>,
    /// Pages from this index on are context: they shape folders only.
    exported: usize,
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
            // Lent from the listing and the state, not from the walk, so
            // the names can be lent on while the walk records them.
            let (pages, recorded) = (self.pages, self.recorded);
            let cands: Vec<Candidate<'_>> = round
                .iter()
                .map(|&k| {
                    let p = &pages[k];
                    Candidate::new(
                        p.id.as_str(),
                        &p.title,
                        recorded_name(recorded, p, &dir_text),
                    )
                })
                .collect();
            let names = folder.allocate(Shape::Page, &cands);
            drop(cands);
            let mut next = Vec::new();
            for (&k, name) in round.iter().zip(names) {
                let mut file = dir.to_vec();
                file.push(format!("{name}.md"));
                let kids = self.kids(k);
                let kid_ids = kids
                    .iter()
                    .filter(|&&g| g < self.exported)
                    .map(|&g| self.pages[g].id.clone())
                    .collect();
                let recorded = self.recorded.path(&self.pages[k].id);
                let path = OutputPath::from_components_as(&file, recorded);
                self.placed[k] = Some((path, kid_ids));
                self.visit_order.push(k);
                if dir_text.len() + name.len() < MAX_DIR_BYTES {
                    // Only a page with children needs its folder's path
                    // (a leaf's would be held until the walk reaches it:
                    // every page of a wide folder at once).
                    if !kids.is_empty() {
                        let mut sub = dir.to_vec();
                        sub.push(name.into_owned());
                        subs.push((k, sub));
                    }
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
}

/// The name the last run gave page `p`, if it was in folder `dir` (or
/// under the same parent, whose folder may have been renamed since).
fn recorded_name<'a>(recorded: &'a Recorded, p: &PageMeta, dir: &str) -> Option<&'a str> {
    let r = recorded.page(&p.id)?;
    let parent = p.parent.as_ref().map(|(p, _)| p);
    let same_parent = r.parent.is_some() && r.parent == parent;
    (r.dir == dir || same_parent).then_some(r.stem)
}
