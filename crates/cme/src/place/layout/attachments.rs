//! Where each attachment lands, and the names links to it use.
use super::model::{ATTACHMENTS_DIR, Files, Layout, UNLISTED};
use super::recorded::Recorded;
use crate::fs::paths::{OutputPath, sanitize_component};
use crate::options::AttachmentMode;
use crate::place::names::{Candidate, Folder, Shape};
use cme_client::{Attachment, PageId};

impl Layout {
    /// Names the attachments of every placed page, from the listing (by
    /// owner page, one file per name: see [`crate::deps::one_file_per_name`]). With templates,
    /// first places the pages by them: every space is known by now. The
    /// last step of placing: the recorded names can be taken back after it
    /// ([`Layout::take_recorded`]).
    pub fn place_attachments<'a>(
        &mut self,
        listing: impl IntoIterator<Item = (&'a PageId, &'a Vec<Attachment>)>,
    ) {
        if self.options.templated() {
            self.apply_templates();
            self.place_attachments_by_template(listing);
        } else {
            self.place_attachments_in_tree(listing);
        }
    }

    /// The recorded names the layout was made with (the state's entries,
    /// lent): everything is placed once the attachments are, and nothing
    /// asks them again.
    pub fn take_recorded(&mut self) -> Recorded {
        std::mem::take(&mut self.recorded)
    }

    fn place_attachments_in_tree<'a>(
        &mut self,
        listing: impl IntoIterator<Item = (&'a PageId, &'a Vec<Attachment>)>,
    ) {
        for (page, atts) in listing {
            let Some(dir) = self.attachment_dir(page) else {
                continue;
            };
            let dir_text = dir.join("/");
            let atts: Vec<&Attachment> = atts.iter().collect();
            let cands: Vec<Candidate<'_>> = atts
                .iter()
                .map(|a| {
                    let recorded = self
                        .recorded
                        .attachment(page, &a.filename)
                        .and_then(|p| p.rsplit_once('/'))
                        .filter(|(d, _)| *d == dir_text)
                        .map(|(_, name)| name);
                    Candidate::new(a.id.as_str(), &a.filename, recorded)
                })
                .collect();
            let mut files = Files {
                names: Vec::with_capacity(atts.len()),
                renamed: Vec::new(),
            };
            let names = Folder::default().allocate(Shape::File, &cands);
            for ((a, c), name) in atts.iter().zip(&cands).zip(names) {
                if *name != *c.natural {
                    files.renamed.push((a.filename.clone(), name.to_string()));
                }
                files.names.push((a.filename.clone(), name.into_owned()));
            }
            files.sort();
            self.files.insert(page.clone(), files);
        }
    }
    /// `SPACE/_attachments/<page id>`, for a placed page.
    pub(super) fn attachment_dir(&self, page: &PageId) -> Option<[String; 3]> {
        let placed = self.get(page)?;
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
            Some(f) => match f.get(filename) {
                Some(n) => n.clone(),
                None => {
                    f.folder(Shape::File)
                        .peek(Shape::File, &sanitize_component(filename), UNLISTED)
                }
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
        self.options.attachments != AttachmentMode::None
            && self
                .files
                .get(page)
                .is_some_and(|f| f.get(filename).is_some())
    }
}
