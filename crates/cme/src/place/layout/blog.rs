//! Where blog posts go: `SPACE/Blog/{year}/{month}/{title}.md`, by their
//! posting day. Blog posts stand outside the page tree (no parent, no
//! children), so they get a folder of their own in the space's folder;
//! names come from the same allocator as pages, keeping the names the last
//! run recorded, so a clash or a hostile title is handled the same way.
use super::model::{Layout, Placed};
use crate::fs::paths::OutputPath;
use crate::place::names::{Candidate, Folder, Shape};
use cme_client::{PageMeta, Space};
use std::collections::BTreeMap;

/// The folder of a space's blog posts, beside its page tree.
pub const BLOG_DIR: &str = "Blog";

/// The folder of a post without a posting day (its listing carried no
/// creation date).
const UNDATED: &str = "undated";

/// The folders below [`BLOG_DIR`] a post with `posting_day` (`YYYY/MM/DD`)
/// goes in: `{year}/{month}`.
pub fn dated_dirs(posting_day: Option<&str>) -> Vec<String> {
    let Some(day) = posting_day else {
        return vec![UNDATED.to_owned()];
    };
    day.split('/').take(2).map(str::to_owned).collect()
}

impl Layout {
    /// Places the blog posts of `space` under `blog_dir` (the name the
    /// space's folder gave [`BLOG_DIR`]), after its pages.
    // Boxed as placed pages hold them (`Placed::meta`).
    #[allow(clippy::vec_box)]
    pub(super) fn add_blog_posts(
        &mut self,
        space: &Space,
        dir: &[String],
        posts: Vec<Box<PageMeta>>,
    ) {
        self.begin_list(posts.len());
        let mut by_month: BTreeMap<Vec<String>, Vec<Box<PageMeta>>> = BTreeMap::new();
        for p in posts {
            let mut d = dir.to_vec();
            d.extend(dated_dirs(p.posting_day().as_deref()));
            by_month.entry(d).or_default().push(p);
        }
        for (d, mut posts) in by_month {
            posts.sort_by(|a, b| {
                (a.posting_day(), &a.title, &a.id).cmp(&(b.posting_day(), &b.title, &b.id))
            });
            let dir_text = d.join("/");
            let recorded: Vec<Option<String>> = posts
                .iter()
                .map(|p| {
                    self.recorded
                        .page(&p.id)
                        .filter(|r| r.dir == dir_text)
                        .map(|r| r.stem.to_owned())
                })
                .collect();
            let cands: Vec<Candidate<'_>> = posts
                .iter()
                .zip(&recorded)
                .map(|(p, r)| Candidate::new(p.id.as_str(), &p.title, r.as_deref()))
                .collect();
            let names: Vec<String> = Folder::default()
                .allocate(Shape::Page, &cands)
                .into_iter()
                .map(std::borrow::Cow::into_owned)
                .collect();
            drop(cands);
            for (meta, name) in posts.into_iter().zip(names) {
                let mut file = d.clone();
                file.push(format!("{name}.md"));
                let day = meta.posting_day().unwrap_or_default();
                self.by_blog
                    .entry((space.key.clone(), meta.title.clone()))
                    .or_default()
                    .push((day, meta.id.clone()));
                let path = OutputPath::from_components_as(&file, self.recorded.path(&meta.id));
                self.insert(Placed {
                    meta,
                    space: space.key.clone(),
                    path,
                    children: Vec::new(),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_are_filed_by_year_and_month() {
        assert_eq!(dated_dirs(Some("2024/05/01")), ["2024", "05"]);
        assert_eq!(dated_dirs(None), [UNDATED]);
    }
}
