//! What a run asks of the layout: templates, attachments, link style.
use crate::options::AttachmentMode;
use crate::place::template::{Kind, PathTemplate, TemplateError};
use crate::state::{LayoutSettings, MarkdownSettings};

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
pub(super) const DEFAULT_ATTACHMENT_PATH: &str =
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
    pub(super) fn templated(&self) -> bool {
        self.page_path.is_some()
            || self.parent_page_path.is_some()
            || self.attachment_path.is_some()
    }
}
