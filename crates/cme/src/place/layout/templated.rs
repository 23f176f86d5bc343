//! Path templates: pages re-placed after every space is listed, and every
//! name allocated again in one namespace over the whole output folder.
use super::model::{Layout, Placed, PlacedFile, UNLISTED};
use super::options::DEFAULT_ATTACHMENT_PATH;
use crate::fs::paths::OutputPath;
use crate::options::template::{Kind, PathTemplate, Rendered, Values};
use crate::place::names::{Candidate, Shape};
use cme_client::{Attachment, PageId};

impl Layout {
    /// Re-places every page by the templates, then allocates every page's
    /// folders and file in one namespace over the output folder. Pages are
    /// taken in an order that depends only on what they are, so a fresh
    /// export and a sync agree.
    pub(super) fn apply_templates(&mut self) {
        if self.templated || !self.options.templated() {
            return;
        }
        self.templated = true;
        let mut wanted: Vec<(PageId, Rendered)> = Vec::with_capacity(self.order.len());
        for &at in &self.order {
            let Some(p) = self.at(at) else {
                continue;
            };
            let id = &p.meta.id;
            let home = self.options.home_page_path.as_ref().filter(|_| {
                self.spaces_seen
                    .get(&p.space)
                    .is_some_and(|s| s.home_id == p.meta.id.as_str())
            });
            // Blog posts keep their dated place: page templates speak of
            // a page tree they are not in.
            let tpl = if p.meta.kind == cme_client::ContentKind::BlogPost {
                None
            } else if let Some(home) = home {
                Some(home)
            } else if p.children.is_empty() {
                self.options.page_path.as_ref()
            } else {
                self.options
                    .parent_page_path
                    .as_ref()
                    .or(self.options.page_path.as_ref())
            };
            let rendered = match tpl {
                Some(t) => self.render(t, p, None),
                None => {
                    let mut dirs: Vec<String> = p.path.components().map(str::to_owned).collect();
                    let file = dirs.pop().unwrap_or_default();
                    Rendered {
                        dirs,
                        file: file.strip_suffix(".md").unwrap_or(&file).to_owned(),
                        fixed: false,
                    }
                }
            };
            wanted.push((id.clone(), rendered));
        }
        wanted.sort_by(|(a, x), (b, y)| {
            (&x.dirs, &x.file, a.as_str().len(), a).cmp(&(&y.dirs, &y.file, b.as_str().len(), b))
        });
        // Folders first, so a file never takes a folder's name.
        let mut by_dir: std::collections::BTreeMap<String, Vec<(PageId, Vec<String>, Rendered)>> =
            Default::default();
        for (id, r) in wanted {
            let dirs = self.dirs.open(&r.dirs, "files");
            by_dir
                .entry(dirs.join("/"))
                .or_default()
                .push((id, dirs, r));
        }
        for (dir, group) in by_dir {
            let folder = self.dirs.folders.entry(dir.clone()).or_default();
            let recorded: Vec<Option<String>> = group
                .iter()
                .map(|(id, _, _)| {
                    self.recorded
                        .page(id)
                        .filter(|r| r.dir == dir)
                        .map(|r| format!("{}.md", r.stem))
                })
                .collect();
            // A name the template fixes (`index.md`) goes first: a child
            // titled `index` is the one suffixed.
            let mut names: Vec<Option<String>> = vec![None; group.len()];
            for fixed in [true, false] {
                let idx: Vec<usize> = (0..group.len())
                    .filter(|&i| group[i].2.fixed == fixed)
                    .collect();
                let cands: Vec<Candidate<'_>> = idx
                    .iter()
                    .map(|&i| Candidate {
                        id: group[i].0.as_str(),
                        natural: format!("{}.md", group[i].2.file).into(),
                        exact: true,
                        recorded: recorded[i].as_deref(),
                    })
                    .collect();
                for (&i, n) in idx.iter().zip(folder.allocate(Shape::PageFile, &cands)) {
                    names[i] = Some(n.into_owned());
                }
            }
            for ((id, mut dirs, _), name) in group.into_iter().zip(names) {
                dirs.push(name.unwrap_or_default());
                let path = OutputPath::from_components_as(&dirs, self.recorded.path(&id));
                if let Some(p) = self.get_mut(&id) {
                    p.path = path;
                }
            }
        }
    }
    /// `t` rendered for page `p` (and an attachment of it).
    pub(super) fn render(
        &self,
        t: &PathTemplate,
        p: &Placed,
        att: Option<(&str, &str)>,
    ) -> Rendered {
        let facts = self.spaces_seen.get(&p.space).cloned().unwrap_or_default();
        let anc = self.ancestry.get(&p.meta.id).cloned().unwrap_or_default();
        t.render(&Values {
            space_key: self.spaces.get(&p.space).map_or("_", String::as_str),
            space_name: &facts.name,
            homepage_id: &facts.home_id,
            homepage_title: &facts.home_title,
            ancestor_ids: &anc.ids,
            ancestor_titles: &anc.names,
            page_id: p.meta.id.as_str(),
            page_title: &p.meta.title,
            attachment: att,
        })
    }
    /// Names the attachments by the attachment template, in the namespace
    /// the pages took.
    pub(super) fn place_attachments_by_template<'a>(
        &mut self,
        listing: impl IntoIterator<Item = (&'a PageId, &'a Vec<Attachment>)>,
    ) {
        let tpl = self.options.attachment_path.clone().unwrap_or_else(|| {
            PathTemplate::parse(DEFAULT_ATTACHMENT_PATH, Kind::Attachment)
                .expect("the built-in template is valid")
        });
        let mut wanted: Vec<(&PageId, &Attachment, Rendered)> = Vec::new();
        for (page, atts) in listing {
            let Some(p) = self.get(page) else {
                continue;
            };
            for a in atts {
                let r = self.render(&tpl, p, Some((a.id.as_str(), &a.filename)));
                wanted.push((page, a, r));
            }
        }
        wanted.sort_by(|(p, a, x), (q, b, y)| {
            (&x.dirs, &x.file, p.as_str(), a.id.as_str()).cmp(&(
                &y.dirs,
                &y.file,
                q.as_str(),
                b.id.as_str(),
            ))
        });
        let mut by_dir: std::collections::BTreeMap<String, Vec<PlacedFile<'_>>> =
            Default::default();
        for (page, a, r) in wanted {
            let dirs = self.dirs.open(&r.dirs, "files");
            by_dir
                .entry(dirs.join("/"))
                .or_default()
                .push((page, a, dirs, r.file));
        }
        for (dir, group) in by_dir {
            let folder = self.dirs.folders.entry(dir.clone()).or_default();
            let cands: Vec<Candidate<'_>> = group
                .iter()
                .map(|(page, a, _, file)| Candidate {
                    id: a.id.as_str(),
                    natural: file.clone().into(),
                    exact: true,
                    recorded: self
                        .recorded
                        .attachment(page, &a.filename)
                        .and_then(|p| p.rsplit_once('/'))
                        .filter(|(d, _)| *d == dir)
                        .map(|(_, name)| name),
                })
                .collect();
            let names: Vec<String> = folder
                .allocate(Shape::File, &cands)
                .into_iter()
                .map(std::borrow::Cow::into_owned)
                .collect();
            for ((page, a, mut dirs, _), name) in group.into_iter().zip(names) {
                dirs.push(name.clone());
                let path = OutputPath::from_components(&dirs);
                let files = self.files.entry(page.clone()).or_default();
                files.names.push((a.filename.clone(), name));
                // Links to any file change with its path.
                files
                    .renamed
                    .push((a.filename.clone(), path.as_str().to_owned()));
                self.att_paths
                    .insert((page.clone(), a.filename.clone()), path);
            }
        }
        for f in self.files.values_mut() {
            f.sort();
        }
    }
    pub(super) fn templated_attachment_path(
        &self,
        page: &PageId,
        filename: &str,
    ) -> Option<OutputPath> {
        let p = self.get(page)?;
        if let Some(path) = self.att_paths.get(&(page.clone(), filename.to_owned())) {
            return Some(path.clone());
        }
        let tpl = self.options.attachment_path.clone().unwrap_or_else(|| {
            PathTemplate::parse(DEFAULT_ATTACHMENT_PATH, Kind::Attachment)
                .expect("the built-in template is valid")
        });
        let r = self.render(&tpl, p, Some(("missing", filename)));
        let mut dirs = self.dirs.peek(&r.dirs);
        let name = match self.dirs.folders.get(&dirs.join("/")) {
            Some(f) => f.peek(Shape::File, &r.file, UNLISTED),
            None => r.file,
        };
        dirs.push(name);
        Some(OutputPath::from_components(&dirs))
    }
}
