//! Layout flags of the export commands and `sync`: path templates with the
//! Python exporter's placeholders, ready layouts, which attachments are
//! downloaded, breadcrumbs.
use crate::cli::config::Config;
use crate::options::template::{Kind, PathTemplate, TemplateError};
use crate::options::{AttachmentMode, LayoutSettings};
use clap::{Args, ValueEnum};

/// Where files go, beyond the Markdown itself.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Layout")]
pub struct LayoutArgs {
    /// Where pages go (e.g. `{space_key}/{page_id} {page_title}.md`), with the
    /// Python exporter's placeholders: {space_key}, {space_name},
    /// {homepage_id}, {homepage_title}, {ancestor_ids}, {ancestor_titles},
    /// {page_id}, {page_title}; `default`: the page tree
    #[arg(long, value_name = "TEMPLATE", value_parser = page_template)]
    page_path: Option<String>,
    /// Where pages with children go (e.g.
    /// `{space_key}/{ancestor_titles}/{page_title}/index.md`); `default`: as
    /// --page-path
    #[arg(long, value_name = "TEMPLATE", value_parser = page_template)]
    parent_page_path: Option<String>,
    /// Where each space's home page goes (e.g. `{space_key}/index.md`);
    /// `default`: as --page-path and --parent-page-path
    #[arg(long, value_name = "TEMPLATE", value_parser = page_template)]
    home_page_path: Option<String>,
    /// Where attachments go: the page placeholders and {attachment_id},
    /// {attachment_file_id}, {attachment_title}, {attachment_extension};
    /// `default`: `SPACE/_attachments/<page id>/<file>`
    #[arg(long, value_name = "TEMPLATE", value_parser = attachment_template)]
    attachment_path: Option<String>,
    /// A ready layout: `mkdocs` (parents as `Parent/index.md`, the home page
    /// as `SPACE/index.md`), `github` (`Parent/README.md`, `SPACE/README.md`)
    /// or `tree` (the default); --page-path, --parent-page-path and
    /// --home-page-path override it
    #[arg(long, value_enum)]
    layout: Option<LayoutArg>,
    /// Which attachments are downloaded [default: referenced]
    #[arg(long, value_enum)]
    attachments: Option<AttachmentsArg>,
    /// A line of links to the page's ancestors under the front matter
    #[arg(long, overrides_with = "no_breadcrumbs")]
    breadcrumbs: bool,
    /// No breadcrumbs line
    #[arg(long, overrides_with = "breadcrumbs")]
    no_breadcrumbs: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LayoutArg {
    /// Pages with children as `Parent/index.md`
    Mkdocs,
    /// Pages with children as `Parent/README.md`
    Github,
    /// The page tree: `SPACE/Parent.md`, `SPACE/Parent/Child.md`
    Tree,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AttachmentsArg {
    /// Those the pages use
    Referenced,
    /// Every attachment of every exported page
    All,
    /// None: links go to the files on Confluence
    #[value(alias = "disabled")]
    None,
}

/// The `--page-path` of the MkDocs and GitHub layouts.
pub const LEAF_PAGE_PATH: &str = "{space_key}/{ancestor_titles}/{page_title}.md";

/// Checks a page template (or `default`).
fn page_template(s: &str) -> Result<String, String> {
    template(s, Kind::Page)
}

/// Checks an attachment template (or `default`).
fn attachment_template(s: &str) -> Result<String, String> {
    template(s, Kind::Attachment)
}

fn template(s: &str, kind: Kind) -> Result<String, String> {
    if s == "default" {
        return Ok(s.to_owned());
    }
    PathTemplate::parse(s, kind)
        .map(|t| t.as_str().to_owned())
        .map_err(|e| e.why)
}

impl LayoutArgs {
    /// The layout options for a folder whose files were placed with
    /// `recorded`: a flag wins, then what the folder recorded, then the
    /// settings file. `None`: the defaults. A settings file's template that
    /// does not parse is an error.
    pub fn layout_for(
        &self,
        file: &Config,
        recorded: Option<&LayoutSettings>,
    ) -> Result<Option<LayoutSettings>, TemplateError> {
        let preset = self.layout.map(|l| match l {
            LayoutArg::Mkdocs => (
                Some(LEAF_PAGE_PATH),
                Some("{space_key}/{ancestor_titles}/{page_title}/index.md"),
                Some("{space_key}/index.md"),
            ),
            LayoutArg::Github => (
                Some(LEAF_PAGE_PATH),
                Some("{space_key}/{ancestor_titles}/{page_title}/README.md"),
                Some("{space_key}/README.md"),
            ),
            LayoutArg::Tree => (None, None, None),
        });
        // A flag (or preset) wins; `default` clears.
        let pick = |flag: Option<&String>,
                    preset: Option<Option<&str>>,
                    rec: Option<&PathTemplate>,
                    conf: Option<&String>,
                    kind: Kind| {
            let text = match flag
                .map(String::as_str)
                .or(preset.map(|p| p.unwrap_or("default")))
            {
                Some("default") => None,
                Some(t) => Some(t),
                None if recorded.is_some() => return Ok(rec.cloned()),
                None => conf.map(String::as_str).filter(|t| *t != "default"),
            };
            text.map(|t| PathTemplate::parse(t, kind)).transpose()
        };
        let settings = LayoutSettings {
            page_path: pick(
                self.page_path.as_ref(),
                preset.map(|p| p.0),
                recorded.and_then(|r| r.page_path.as_ref()),
                file.page_path.as_ref(),
                Kind::Page,
            )?,
            parent_page_path: pick(
                self.parent_page_path.as_ref(),
                preset.map(|p| p.1),
                recorded.and_then(|r| r.parent_page_path.as_ref()),
                file.parent_page_path.as_ref(),
                Kind::Page,
            )?,
            home_page_path: pick(
                self.home_page_path.as_ref(),
                preset.map(|p| p.2),
                recorded.and_then(|r| r.home_page_path.as_ref()),
                file.home_page_path.as_ref(),
                Kind::Page,
            )?,
            attachment_path: pick(
                self.attachment_path.as_ref(),
                None,
                recorded.and_then(|r| r.attachment_path.as_ref()),
                file.attachment_path.as_ref(),
                Kind::Attachment,
            )?,
            attachments: match self.attachments {
                Some(AttachmentsArg::Referenced) => None,
                Some(AttachmentsArg::All) => Some(AttachmentMode::All),
                Some(AttachmentsArg::None) => Some(AttachmentMode::None),
                None if recorded.is_some() => recorded.and_then(|r| r.attachments),
                None => file
                    .attachments
                    .as_deref()
                    .and_then(AttachmentMode::parse)
                    .filter(|m| *m != AttachmentMode::Referenced),
            },
            breadcrumbs: if self.breadcrumbs {
                Some(true)
            } else if self.no_breadcrumbs {
                None
            } else if recorded.is_some() {
                recorded.and_then(|r| r.breadcrumbs)
            } else {
                file.breadcrumbs.filter(|b| *b)
            },
        };
        Ok(settings.non_default())
    }
}
