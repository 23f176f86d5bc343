//! Where each page and attachment lands on disk: `SPACE/Parent/Child.md`,
//! mirroring the page tree, and `SPACE/_attachments/<page id>/<file>`.
//! Decided once from the listings, before anything is fetched, so the
//! converter can link to pages that are not converted yet. Names come from
//! one allocator ([`crate::place::names`]) for pages and attachments alike.
//!
//! Path templates ([`crate::options::template`]) re-place the tree's pages after every
//! space is placed, and all names (pages, their folders, attachments) are
//! then allocated again in one namespace over the whole output folder, so a
//! template that flattens the tree, or puts two spaces in one folder, still
//! gives every page its own file.
mod attachments;
mod blog;
mod dirs;
mod model;
mod options;
mod recorded;
mod templated;
mod tree;

pub use crate::options::AttachmentMode;
pub use blog::BLOG_DIR;
pub use model::{ATTACHMENTS_DIR, Layout, Placed};
pub use options::LayoutOptions;
pub use recorded::Recorded;
pub use tree::boxed;

use crate::deps::RefKey;
use crate::fs::paths::OutputPath;
use cme_client::{PageId, SpaceKey};
use cme_convert::PageRef;
use std::collections::HashSet;

impl Layout {
    /// An empty layout that keeps the names `recorded` by the last run.
    pub fn new(recorded: Recorded) -> Self {
        Self {
            options: recorded.options.clone(),
            recorded,
            ..Self::default()
        }
    }
    /// Room for `pages` more pages in the indexes, made at once: growing a
    /// map as spaces are added holds the old table beside the new one, at
    /// the moment memory peaks. (The pages themselves are placed in a list
    /// per space, each made to size.)
    pub fn reserve(&mut self, pages: usize) {
        self.reserve_indexes(pages);
        self.order.reserve_exact(pages);
    }
    /// The options this layout was made with.
    pub fn options(&self) -> &LayoutOptions {
        &self.options
    }
    /// The link from the file at `from` to the file at `to`: relative, or
    /// from the output folder with `absolute_links`. Not yet URL-encoded.
    pub fn link(&self, from: &OutputPath, to: &OutputPath) -> String {
        if self.options.absolute_links {
            format!("/{to}")
        } else {
            from.relative_link_to(to)
        }
    }
    /// The exported ancestors of `page`, from the top (up to the first one
    /// not exported).
    pub fn ancestors(&self, page: &Placed) -> Vec<&Placed> {
        let mut out = Vec::new();
        let mut seen = HashSet::from([&page.meta.id]);
        let mut at = page.meta.parent.as_ref().map(|(id, _)| id);
        while let Some(p) = at.and_then(|id| self.get(id)) {
            if !seen.insert(&p.meta.id) {
                break;
            }
            out.push(p);
            at = p.meta.parent.as_ref().map(|(id, _)| id);
        }
        out.reverse();
        out
    }
    /// The exported home page of `space`.
    pub fn homepage(&self, space: &SpaceKey) -> Option<&Placed> {
        self.homepages.get(space).and_then(|id| self.get(id))
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
        self.at(self.place_of(id)?)
    }
    /// A page by space and exact title (titles are unique per space).
    pub fn find_title(&self, space: &SpaceKey, title: &str) -> Option<&Placed> {
        self.titled(space, title)
    }
    /// An exported blog post by space, exact title and posting day
    /// (`YYYY/MM/DD`); with no day given, the first post of that title.
    pub fn find_blog_post(&self, space: &SpaceKey, title: &str, day: &str) -> Option<&Placed> {
        let posts = self.by_blog.get(&(space.clone(), title.to_owned()))?;
        posts
            .iter()
            .find(|(d, _)| day.is_empty() || d == day)
            .and_then(|(_, id)| self.get(id))
    }
    /// The exported page or blog post a storage-format reference names; a
    /// title without a space means `current_space`.
    pub fn resolve(&self, current_space: &SpaceKey, page: &PageRef) -> Option<&Placed> {
        self.resolve_key(&RefKey::of(current_space, page)?)
    }
    /// The exported page or blog post a [`RefKey`] names.
    pub fn resolve_key(&self, key: &RefKey) -> Option<&Placed> {
        match key {
            RefKey::Id(id) => self.get(id),
            RefKey::Title(space, title) => self.find_title(space, title),
            RefKey::BlogPost { space, day, title } => self.find_blog_post(space, title, day),
        }
    }
    /// All pages, in a stable order.
    pub fn iter(&self) -> impl Iterator<Item = &Placed> {
        self.order.iter().filter_map(|&at| self.at(at))
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

#[cfg(test)]
mod tests;
