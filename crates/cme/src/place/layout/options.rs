//! What a run asks of the layout: templates, attachments, link style.
use crate::options::AttachmentMode;
use crate::options::template::PathTemplate;
use crate::options::{LayoutSettings, LinkStyle};

/// Where files go and how they link to each other, beyond the default
/// tree layout.
#[derive(Debug, Clone, Default)]
pub struct LayoutOptions {
    /// Template for pages (`None`: the page tree).
    pub page_path: Option<PathTemplate>,
    /// Template for pages with exported children (`None`: `page_path`).
    pub parent_page_path: Option<PathTemplate>,
    /// Template for each space's home page (`None`: as other pages).
    pub home_page_path: Option<PathTemplate>,
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
pub(super) const DEFAULT_ATTACHMENT_PATH: &str =
    "{space_key}/_attachments/{page_id}/{attachment_title}{attachment_extension}";

impl LayoutOptions {
    /// The options of a folder laid out by `s` whose links are written
    /// `link` (`None`: the defaults).
    pub fn new(s: Option<&LayoutSettings>, link: LinkStyle) -> Self {
        let s = s.cloned().unwrap_or_default();
        Self {
            attachments: s.attachment_mode(),
            page_path: s.page_path,
            parent_page_path: s.parent_page_path,
            home_page_path: s.home_page_path,
            attachment_path: s.attachment_path,
            absolute_links: link == LinkStyle::Absolute,
            breadcrumbs: s.breadcrumbs.unwrap_or(false),
        }
    }

    /// Whether any template is set (names are then allocated over the
    /// whole output folder).
    pub(super) fn templated(&self) -> bool {
        self.page_path.is_some()
            || self.parent_page_path.is_some()
            || self.home_page_path.is_some()
            || self.attachment_path.is_some()
    }
}
