//! Where each page and attachment lands on disk: `SPACE/Parent/Child.md`,
//! mirroring the page tree, and `SPACE/_attachments/<page id>/<file>`.
//! Decided once from the listings, before anything is fetched, so the
//! converter can link to pages that are not converted yet. Names come from
//! one allocator ([`super::names`]) for pages and attachments alike.
//!
//! Path templates ([`super::template`]) re-place the tree's pages after every
//! space is placed, and all names (pages, their folders, attachments) are
//! then allocated again in one namespace over the whole output folder, so a
//! template that flattens the tree, or puts two spaces in one folder, still
//! gives every page its own file.
use super::names::{Candidate, Folder, Shape, key};
use super::template::{Kind, PathTemplate, Rendered, TemplateError, Values};
use crate::deps::RefKey;
use crate::fs::paths::{OutputPath, sanitize_component};
use crate::state::{LayoutSettings, MarkdownSettings, State, TrackedStatus};
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

pub use crate::options::AttachmentMode;

/// Where files go and how they link to each other, beyond the default
/// tree layout.
#[derive(Debug, Clone, Default)]
pub struct LayoutOptions {
    /// Template for pages (`None`: the page tree).
    pub page_path: Option<PathTemplate>,
    /// Template for pages with exported children (`None`: `page_path`).
    pub parent_page_path: Option<PathTemplate>,
    /// Template for attachments (`None`: `SPACE/_attachments/<page id>/`).
    pub attachment_path: Option<PathTemplate>,
    pub attachments: AttachmentMode,
    /// Links as paths from the output folder (`/SPACE/Page.md`), as the
    /// Python tool's `absolute` style, instead of relative ones.
    pub absolute_links: bool,
    /// A line of links to the page's ancestors under the front matter.
    pub breadcrumbs: bool,
}

/// The attachment template used when only page templates are given: the
/// default layout's folder, so pages and files still share one namespace.
const DEFAULT_ATTACHMENT_PATH: &str =
    "{space_key}/_attachments/{page_id}/{attachment_title}{attachment_extension}";

impl LayoutOptions {
    /// The options recorded as `s` and `markdown` (`None`: the defaults).
    pub fn from_settings(
        s: Option<&LayoutSettings>,
        markdown: Option<&MarkdownSettings>,
    ) -> Result<Self, TemplateError> {
        let absolute_links = markdown.is_some_and(|m| m.link_style == "absolute");
        let Some(s) = s else {
            return Ok(Self {
                absolute_links,
                ..Self::default()
            });
        };
        let tpl = |t: &Option<String>, kind| {
            t.as_deref()
                .map(|t| PathTemplate::parse(t, kind))
                .transpose()
        };
        Ok(Self {
            page_path: tpl(&s.page_path, Kind::Page)?,
            parent_page_path: tpl(&s.parent_page_path, Kind::Page)?,
            attachment_path: tpl(&s.attachment_path, Kind::Attachment)?,
            attachments: s
                .attachments
                .as_deref()
                .and_then(AttachmentMode::parse)
                .unwrap_or_default(),
            absolute_links,
            breadcrumbs: s.breadcrumbs.unwrap_or(false),
        })
    }

    /// Whether any template is set (names are then allocated over the
    /// whole output folder).
    fn templated(&self) -> bool {
        self.page_path.is_some()
            || self.parent_page_path.is_some()
            || self.attachment_path.is_some()
    }
}

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
    /// Options of this run (not recorded: they travel with the names).
    options: LayoutOptions,
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
            // A template may put a page at the top of the output folder.
            let (dir, file) = ps
                .output_path
                .rsplit_once('/')
                .unwrap_or(("", &ps.output_path));
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
    options: LayoutOptions,
    /// With templates: what each space's pages are rendered with.
    spaces_seen: HashMap<SpaceKey, SpaceFacts>,
    /// With templates: each page's ancestors below the home page.
    ancestry: HashMap<PageId, Ancestry>,
    /// With templates: every folder of the output, with the names in it.
    dirs: Dirs,
    /// With templates: where each attachment goes, by (owner, file name).
    att_paths: HashMap<(PageId, String), OutputPath>,
    /// Whether the page templates were applied.
    templated: bool,
}

/// An attachment on its way to a name: owner, listing, folders, file name.
type PlacedFile<'a> = (&'a PageId, &'a Attachment, Vec<String>, String);

/// A space's name and home page, for templates.
#[derive(Debug, Default, Clone)]
struct SpaceFacts {
    name: String,
    home_id: String,
    home_title: String,
}

/// A page's ancestors below the space's home page, for templates.
#[derive(Debug, Default, Clone)]
struct Ancestry {
    /// Their folder names in the tree layout (unique among siblings).
    names: Vec<String>,
    ids: Vec<String>,
}

/// Every folder a templated layout uses, and the names taken in each: one
/// namespace for the whole output folder.
#[derive(Debug, Default)]
struct Dirs {
    /// Folder path (`/`-joined, `""` for the top) → names taken in it.
    folders: HashMap<String, Folder>,
    /// (parent folder, name key) → the folder's name: two spellings the
    /// file system takes for one folder are one folder.
    subdirs: HashMap<(String, String), String>,
}

impl Dirs {
    /// The folders `comps` as they are (or will be) named on disk, opened
    /// on first use. A folder whose name a file took gets `tag` appended.
    fn open(&mut self, comps: &[String], tag: &str) -> Vec<String> {
        let mut path = String::new();
        let mut out = Vec::with_capacity(comps.len());
        for c in comps {
            let slot = (path.clone(), key(c));
            let name = match self.subdirs.get(&slot) {
                Some(n) => n.clone(),
                None => {
                    let f = self.folders.entry(path.clone()).or_default();
                    let n = if f.clashes(Shape::Folder, c) {
                        f.claim_suffixed(Shape::Folder, c, tag)
                    } else {
                        f.reserve(Shape::Folder, c);
                        c.clone()
                    };
                    self.subdirs.insert(slot, n.clone());
                    n
                }
            };
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(&name);
            out.push(name);
        }
        out
    }

    /// The folders `comps` would be, without opening any.
    fn peek(&self, comps: &[String]) -> Vec<String> {
        let mut path = String::new();
        let mut out = Vec::with_capacity(comps.len());
        for c in comps {
            let name = self
                .subdirs
                .get(&(path.clone(), key(c)))
                .cloned()
                .unwrap_or_else(|| c.clone());
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(&name);
            out.push(name);
        }
        out
    }
}

impl Layout {
    /// An empty layout that keeps the names `recorded` by the last run.
    pub fn new(recorded: Recorded) -> Self {
        Self {
            options: recorded.options.clone(),
            recorded,
            ..Self::default()
        }
    }

    /// The options this layout was made with.
    pub fn options(&self) -> &LayoutOptions {
        &self.options
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
        if self.options.templated() {
            self.learn_ancestry(space, &pages, &placed);
        }
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

    /// What templates need of `space`: its name, its home page, and each
    /// page's ancestors below the home page (as the Python tool counts
    /// them), named as the tree layout names their folders.
    fn learn_ancestry(
        &mut self,
        space: &Space,
        pages: &[PageMeta],
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

    /// Re-places every page by the templates, then allocates every page's
    /// folders and file in one namespace over the output folder. Pages are
    /// taken in an order that depends only on what they are, so a fresh
    /// export and a sync agree.
    fn apply_templates(&mut self) {
        if self.templated || !self.options.templated() {
            return;
        }
        self.templated = true;
        let mut wanted: Vec<(PageId, Rendered)> = Vec::with_capacity(self.order.len());
        for id in &self.order {
            let p = &self.pages[id];
            let tpl = if p.children.is_empty() {
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
                        .pages
                        .get(id)
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
                        natural: format!("{}.md", group[i].2.file),
                        exact: true,
                        recorded: recorded[i].as_deref(),
                    })
                    .collect();
                for (&i, n) in idx.iter().zip(folder.allocate(Shape::PageFile, &cands)) {
                    names[i] = Some(n);
                }
            }
            for ((id, mut dirs, _), name) in group.into_iter().zip(names) {
                dirs.push(name.unwrap_or_default());
                if let Some(p) = self.pages.get_mut(&id) {
                    p.path = OutputPath::from_components(&dirs);
                }
            }
        }
    }

    /// `t` rendered for page `p` (and an attachment of it).
    fn render(&self, t: &PathTemplate, p: &Placed, att: Option<(&str, &str)>) -> Rendered {
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
    fn place_attachments_by_template<'a>(
        &mut self,
        listing: impl IntoIterator<Item = (&'a PageId, &'a Vec<Attachment>)>,
    ) {
        let tpl = self.options.attachment_path.clone().unwrap_or_else(|| {
            PathTemplate::parse(DEFAULT_ATTACHMENT_PATH, Kind::Attachment)
                .expect("the built-in template is valid")
        });
        let mut wanted: Vec<(&PageId, &Attachment, Rendered)> = Vec::new();
        for (page, atts) in listing {
            let Some(p) = self.pages.get(page) else {
                continue;
            };
            let mut seen = HashSet::new();
            for a in atts.iter().filter(|a| seen.insert(a.filename.as_str())) {
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
                    natural: file.clone(),
                    exact: true,
                    recorded: self
                        .recorded
                        .attachments
                        .get(&((*page).clone(), a.filename.clone()))
                        .and_then(|p| p.rsplit_once('/'))
                        .filter(|(d, _)| *d == dir)
                        .map(|(_, name)| name),
                })
                .collect();
            let names = folder.allocate(Shape::File, &cands);
            for ((page, a, mut dirs, _), name) in group.into_iter().zip(names) {
                dirs.push(name.clone());
                let path = OutputPath::from_components(&dirs);
                let files = self.files.entry(page.clone()).or_default();
                files.names.insert(a.filename.clone(), name);
                // Links to any file change with its path.
                files
                    .renamed
                    .push((a.filename.clone(), path.as_str().to_owned()));
                self.att_paths
                    .insert((page.clone(), a.filename.clone()), path);
            }
        }
        for f in self.files.values_mut() {
            f.renamed.sort();
        }
    }

    /// Names the attachments of every placed page, from the listing (by
    /// owner page; a file name listed twice is one file). With templates,
    /// first places the pages by them: every space is known by now.
    pub fn place_attachments<'a>(
        &mut self,
        listing: impl IntoIterator<Item = (&'a PageId, &'a Vec<Attachment>)>,
    ) {
        if self.options.templated() {
            self.apply_templates();
            self.place_attachments_by_template(listing);
            return;
        }
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
        if self.templated {
            return self.templated_attachment_path(page, filename);
        }
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

    fn templated_attachment_path(&self, page: &PageId, filename: &str) -> Option<OutputPath> {
        let p = self.pages.get(page)?;
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
        while let Some(p) = at.and_then(|id| self.pages.get(id)) {
            if !seen.insert(&p.meta.id) {
                break;
            }
            out.push(p);
            at = p.meta.parent.as_ref().map(|(id, _)| id);
        }
        out.reverse();
        out
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
        self.options.attachments != AttachmentMode::None
            && self
                .files
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
                prop_assert!(!c.chars().any(crate::fs::paths::is_invisible), "{p:?}");
                prop_assert!(!c.ends_with(['.', ' ']) && !c.starts_with(' '), "{p:?}");
                prop_assert!(unicode_normalization::is_nfc(c), "{p:?}");
                prop_assert!(c.len() <= 255, "{p:?} is too long");
                if c.len() <= crate::fs::paths::MAX_COMPONENT_BYTES {
                    prop_assert!(sanitize_component(c) == c, "{p:?} is not stable");
                }
            }
            prop_assert!(p.under(std::path::Path::new("/out")).starts_with("/out"));
        }
        Ok(())
    }

    fn templated(page: &str, parent: Option<&str>, att: Option<&str>) -> Layout {
        let options = LayoutOptions {
            page_path: Some(PathTemplate::parse(page, Kind::Page).unwrap()),
            parent_page_path: parent.map(|t| PathTemplate::parse(t, Kind::Page).unwrap()),
            attachment_path: att.map(|t| PathTemplate::parse(t, Kind::Attachment).unwrap()),
            ..LayoutOptions::default()
        };
        Layout::new(Recorded::default().with_options(options))
    }

    fn place(l: &mut Layout, pages: Vec<PageMeta>, atts: &HashMap<PageId, Vec<Attachment>>) {
        l.add_space(&space(), pages, vec![]);
        l.place_attachments(atts);
    }

    const MKDOCS_PAGE: &str = "{space_key}/{ancestor_titles}/{page_title}.md";
    const MKDOCS_PARENT: &str = "{space_key}/{ancestor_titles}/{page_title}/index.md";

    #[test]
    fn mkdocs_parents_are_index_files_and_a_child_called_index_is_suffixed() {
        let mut l = templated(MKDOCS_PAGE, Some(MKDOCS_PARENT), None);
        let atts: HashMap<PageId, Vec<Attachment>> = [(
            PageId::new("11"),
            vec![attachment("11", "att1", "index.md")],
        )]
        .into();
        place(
            &mut l,
            vec![
                page("10", "Home", None, 0),
                page("11", "Guide", Some("10"), 0),
                page("12", "index", Some("11"), 0),
                page("13", "Leaf", Some("10"), 1),
                page("14", "Other root", None, 1),
            ],
            &atts,
        );
        assert_eq!(path_of(&l, "10"), "DEMO/Home/index.md");
        assert_eq!(path_of(&l, "11"), "DEMO/Guide/index.md");
        assert_eq!(path_of(&l, "12"), "DEMO/Guide/index (12).md");
        assert_eq!(path_of(&l, "13"), "DEMO/Leaf.md");
        assert_eq!(path_of(&l, "14"), "DEMO/Other root.md");
        assert_eq!(
            l.attachment_path(&PageId::new("11"), "index.md")
                .unwrap()
                .as_str(),
            "DEMO/_attachments/11/index.md"
        );
    }

    #[test]
    fn a_flat_template_gives_duplicate_titles_their_own_files() {
        let mut l = templated(
            "{page_title}.md",
            None,
            Some("{page_title}/{attachment_title}{attachment_extension}"),
        );
        let atts: HashMap<PageId, Vec<Attachment>> = [
            (PageId::new("2"), vec![attachment("2", "a1", "x.png")]),
            (PageId::new("4"), vec![attachment("4", "a2", "x.png")]),
        ]
        .into();
        place(
            &mut l,
            vec![
                page("1", "Notes", None, 0),
                page("2", "Notes", Some("1"), 0),
                page("3", "notes", Some("2"), 0),
                page("4", "Notes.md", None, 1),
            ],
            &atts,
        );
        assert_eq!(path_of(&l, "1"), "Notes.md");
        assert_eq!(path_of(&l, "2"), "Notes (2).md");
        assert_eq!(path_of(&l, "3"), "notes (3).md");
        assert_eq!(path_of(&l, "4"), "Notes.md.md");
        // The folder of page 4's files would be page 1's file.
        assert_eq!(
            l.attachment_path(&PageId::new("4"), "x.png")
                .unwrap()
                .as_str(),
            "Notes.md (files)/x.png"
        );
        assert_eq!(
            l.attachment_path(&PageId::new("2"), "x.png")
                .unwrap()
                .as_str(),
            "Notes/x.png"
        );
    }

    #[test]
    fn the_python_tools_default_template_places_below_the_home_page() {
        let mut l = templated(
            "{space_name}/{homepage_title}/{ancestor_titles}/{page_title}.md",
            None,
            Some("{space_name}/attachments/{attachment_file_id}{attachment_extension}"),
        );
        let atts: HashMap<PageId, Vec<Attachment>> =
            [(PageId::new("12"), vec![attachment("12", "att5", "a.txt")])].into();
        place(
            &mut l,
            vec![
                page("10", "Home", None, 0),
                page("11", "Guide", Some("10"), 0),
                page("12", "Step", Some("11"), 0),
            ],
            &atts,
        );
        assert_eq!(path_of(&l, "10"), "Demo/Home/Home.md");
        assert_eq!(path_of(&l, "11"), "Demo/Home/Guide.md");
        assert_eq!(path_of(&l, "12"), "Demo/Home/Guide/Step.md");
        assert_eq!(
            l.attachment_path(&PageId::new("12"), "a.txt")
                .unwrap()
                .as_str(),
            "Demo/attachments/att5.txt"
        );
    }

    #[test]
    fn templated_names_stick_when_a_colliding_page_appears() {
        let site = vec![page("5", "Alpha", None, 0), page("9", "Report", None, 1)];
        let mut before = templated("{page_title}.md", None, None);
        place(&mut before, site.clone(), &HashMap::new());
        let mut now = site;
        now[0].title = "report".into();
        let mut s = State::new("http://x");
        for p in before.iter() {
            s.pages.insert(
                p.meta.id.clone(),
                crate::state::PageState::minimal(Version(1), "", p.path.as_str()),
            );
        }
        let mut after =
            Layout::new(Recorded::from_state(&s).with_options(before.options().clone()));
        place(&mut after, now, &HashMap::new());
        assert_eq!(path_of(&after, "9"), "Report.md");
        assert_eq!(path_of(&after, "5"), "report (5).md");
    }

    /// Every page and attachment path is unique as macOS and Windows compare
    /// names, none is a folder of another, and every name is safe.
    fn check_templated(l: &Layout, atts: &[OutputPath]) -> Result<(), TestCaseError> {
        let key = |p: &str| p.nfc().collect::<String>().to_lowercase();
        let files: Vec<&OutputPath> = l.iter().map(|p| &p.path).chain(atts).collect();
        let mut seen = HashSet::new();
        let mut folders = HashSet::new();
        for p in &files {
            prop_assert!(seen.insert(key(p.as_str())), "{p} twice");
            let comps: Vec<&str> = p.components().collect();
            for i in 1..comps.len() {
                folders.insert(key(&comps[..i].join("/")));
            }
            for c in &comps {
                prop_assert!(!c.is_empty() && *c != "." && *c != "..", "{p}");
                prop_assert!(
                    !c.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']),
                    "{p}"
                );
                prop_assert!(!c.ends_with(['.', ' ']) && !c.starts_with(' '), "{p:?}");
            }
        }
        for p in &files {
            prop_assert!(
                !folders.contains(&key(p.as_str())),
                "{p} is a file and a folder"
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        #[test]
        fn templated_names_are_unique_safe_and_independent_of_listing_order(
            pages in site_pages(),
            files in prop::collection::vec(hostile_title(), 0..6),
            which in 0..4usize,
            seed in any::<u64>(),
        ) {
            let (page, parent, att) = [
                ("{page_title}.md", None, Some("{page_title}/{attachment_title}{attachment_extension}")),
                (MKDOCS_PAGE, Some(MKDOCS_PARENT), None),
                ("{space_key}/{ancestor_titles}/{page_title}.md", Some("{space_key}/{ancestor_titles}/{page_title}/README.md"), Some("{ancestor_titles}/{page_title}.md")),
                ("{page_id} {page_title}/{page_title}.md", Some("{ancestor_ids}/index.md"), Some("{attachment_title}.md")),
            ][which];
            let n = pages.len();
            let atts: HashMap<PageId, Vec<Attachment>> = (1..=n.min(3))
                .map(|i| {
                    let id = i.to_string();
                    let list = files.iter().enumerate()
                        .map(|(j, f)| attachment(&id, &format!("att{i}-{j}"), f))
                        .collect();
                    (PageId::new(&id), list)
                })
                .collect();
            let mut a = templated(page, parent, att);
            place(&mut a, pages.clone(), &atts);
            let mut b = templated(page, parent, att);
            place(&mut b, shuffled(&pages, seed), &atts);
            prop_assert_eq!(a.len(), n);
            prop_assert_eq!(paths(&a), paths(&b));
            let mut stored = Vec::new();
            for (id, list) in &atts {
                let mut seen = HashSet::new();
                for f in list.iter().filter(|f| seen.insert(f.filename.clone())) {
                    stored.push(a.attachment_path(id, &f.filename).unwrap());
                }
            }
            check_templated(&a, &stored)?;
        }
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
