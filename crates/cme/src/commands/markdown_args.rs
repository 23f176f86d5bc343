//! Markdown flavour flags shared by `convert` and the export commands.
use crate::config::Config;
use crate::export::layout::AttachmentMode;
use crate::export::template::{Kind, PathTemplate};
use crate::state::{LayoutSettings, MarkdownSettings};
use clap::{Args, ValueEnum};
use cme_convert::{AlertStyle, LinkStyle, Options};

/// How the Markdown is written.
#[derive(Debug, Args, Clone)]
pub struct MarkdownArgs {
    /// How links are written [default: relative]
    #[arg(long, value_enum)]
    link_style: Option<LinkStyleArg>,
    /// How info/note/warning/tip panels are written [default: gfm]
    #[arg(long, value_enum)]
    alert_style: Option<AlertStyleArg>,
    /// Jira base URL, so Jira macros become links (e.g. `https://example.atlassian.net`)
    #[arg(long, env = "CME_JIRA_URL", value_name = "URL")]
    pub jira_url: Option<String>,
    /// Start each page with YAML front matter (title, ids, authors, dates,
    /// labels as `tags`, URL, page properties) [default: on]
    #[arg(long, overrides_with = "no_front_matter")]
    front_matter: bool,
    /// Write pages without front matter
    #[arg(long, overrides_with = "front_matter")]
    no_front_matter: bool,
    /// Where pages go, with the Python exporter's placeholders: {space_key},
    /// {space_name}, {homepage_id}, {homepage_title}, {ancestor_ids},
    /// {ancestor_titles}, {page_id}, {page_title}; `default` for the page
    /// tree (e.g. `{space_key}/{ancestor_titles}/{page_title}.md`)
    #[arg(long, value_name = "TEMPLATE", value_parser = page_template)]
    page_path: Option<String>,
    /// Where pages with children go (e.g. `{space_key}/{ancestor_titles}/{page_title}/index.md`);
    /// `default` for the same as --page-path
    #[arg(long, value_name = "TEMPLATE", value_parser = page_template)]
    parent_page_path: Option<String>,
    /// Where attachments go: the page placeholders and {attachment_id},
    /// {attachment_file_id}, {attachment_title}, {attachment_extension};
    /// `default` for `SPACE/_attachments/<page id>/<file>`
    #[arg(long, value_name = "TEMPLATE", value_parser = attachment_template)]
    attachment_path: Option<String>,
    /// A ready layout: `mkdocs` (parents as `Parent/index.md`), `github`
    /// (`Parent/README.md`) or `tree` (the default); --page-path and
    /// --parent-page-path override it
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
enum LinkStyleArg {
    /// `[text](../path.md)`, relative to the page
    #[value(alias = "markdown")]
    Relative,
    /// `[text](/SPACE/path.md)`, from the output folder
    Absolute,
    /// Obsidian `[[path|text]]`
    Wiki,
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

#[derive(Debug, Clone, Copy, ValueEnum)]
enum AlertStyleArg {
    /// GitHub alerts (`> [!NOTE]`)
    Gfm,
    /// Plain block quotes with a bold label
    Blockquote,
}

impl MarkdownArgs {
    /// Converter options and Jira URL for these flags, with the settings file
    /// filling what they leave open (title left unset).
    pub fn resolve(&self, file: &Config) -> (Options, Option<String>) {
        let (options, jira, _) = self.resolve_for(file, None);
        (options, jira)
    }

    /// Like [`Self::resolve`] for an output folder whose files were written
    /// with `recorded`: a flag wins, then what the folder recorded, then the
    /// settings file. Also returns the settings to record.
    pub fn resolve_for(
        &self,
        file: &Config,
        recorded: Option<&MarkdownSettings>,
    ) -> (Options, Option<String>, MarkdownSettings) {
        let link = self
            .link_style
            .or(match recorded.map(|r| r.link_style.as_str()) {
                Some("wiki") => Some(LinkStyleArg::Wiki),
                Some("absolute") => Some(LinkStyleArg::Absolute),
                Some(_) => Some(LinkStyleArg::Relative),
                None => None,
            })
            .or(match file.link_style.as_deref() {
                Some("wiki") => Some(LinkStyleArg::Wiki),
                Some("absolute") => Some(LinkStyleArg::Absolute),
                _ => None,
            });
        let alert = self
            .alert_style
            .or(match recorded.map(|r| r.alert_style.as_str()) {
                Some("blockquote") => Some(AlertStyleArg::Blockquote),
                Some(_) => Some(AlertStyleArg::Gfm),
                None => None,
            })
            .or(match file.alert_style.as_deref() {
                Some("blockquote") => Some(AlertStyleArg::Blockquote),
                _ => None,
            });
        let options = Options {
            link_style: match link {
                Some(LinkStyleArg::Wiki) => LinkStyle::Wiki,
                _ => LinkStyle::Markdown,
            },
            alert_style: match alert {
                Some(AlertStyleArg::Blockquote) => AlertStyle::Blockquote,
                _ => AlertStyle::Gfm,
            },
            ..Options::default()
        };
        let jira = self
            .jira_url
            .clone()
            .or_else(|| recorded.and_then(|r| r.jira_url.clone()))
            .or_else(|| file.jira_url.clone());
        let settings = MarkdownSettings {
            link_style: match link {
                Some(LinkStyleArg::Wiki) => "wiki",
                Some(LinkStyleArg::Absolute) => "absolute",
                _ => "markdown",
            }
            .to_owned(),
            alert_style: match options.alert_style {
                AlertStyle::Blockquote => "blockquote",
                _ => "gfm",
            }
            .to_owned(),
            jira_url: jira.clone(),
            front_matter: Some(self.front_matter_for(recorded)),
        };
        (options, jira, settings)
    }

    /// The layout options for a folder whose files were placed with
    /// `recorded`: a flag wins, then what the folder recorded, then the
    /// settings file. `None`: the defaults.
    pub fn layout_for(
        &self,
        file: &Config,
        recorded: Option<&LayoutSettings>,
    ) -> Option<LayoutSettings> {
        let preset = self.layout.map(|l| match l {
            LayoutArg::Mkdocs => (
                Some(LEAF_PAGE_PATH),
                Some("{space_key}/{ancestor_titles}/{page_title}/index.md"),
            ),
            LayoutArg::Github => (
                Some(LEAF_PAGE_PATH),
                Some("{space_key}/{ancestor_titles}/{page_title}/README.md"),
            ),
            LayoutArg::Tree => (None, None),
        });
        // A flag (or preset) wins; `default` clears.
        let pick = |flag: Option<&String>,
                    preset: Option<Option<&str>>,
                    rec: Option<&String>,
                    conf: Option<&String>| {
            match flag
                .map(String::as_str)
                .or(preset.map(|p| p.unwrap_or("default")))
            {
                Some("default") => None,
                Some(t) => Some(t.to_owned()),
                None if recorded.is_some() => rec.cloned(),
                None => conf.filter(|t| t.as_str() != "default").cloned(),
            }
        };
        let settings = LayoutSettings {
            page_path: pick(
                self.page_path.as_ref(),
                preset.map(|p| p.0),
                recorded.and_then(|r| r.page_path.as_ref()),
                file.page_path.as_ref(),
            ),
            parent_page_path: pick(
                self.parent_page_path.as_ref(),
                preset.map(|p| p.1),
                recorded.and_then(|r| r.parent_page_path.as_ref()),
                file.parent_page_path.as_ref(),
            ),
            attachment_path: pick(
                self.attachment_path.as_ref(),
                None,
                recorded.and_then(|r| r.attachment_path.as_ref()),
                file.attachment_path.as_ref(),
            ),
            attachments: match self.attachments {
                Some(AttachmentsArg::Referenced) => None,
                Some(AttachmentsArg::All) => Some("all".to_owned()),
                Some(AttachmentsArg::None) => Some("none".to_owned()),
                None if recorded.is_some() => recorded.and_then(|r| r.attachments.clone()),
                None => file
                    .attachments
                    .as_deref()
                    .and_then(AttachmentMode::parse)
                    .filter(|m| *m != AttachmentMode::Referenced)
                    .map(|m| m.as_str().to_owned()),
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
        settings.non_default()
    }

    /// Whether to write front matter: a flag wins, then what the folder
    /// recorded, then on.
    fn front_matter_for(&self, recorded: Option<&MarkdownSettings>) -> bool {
        if self.front_matter {
            return true;
        }
        if self.no_front_matter {
            return false;
        }
        recorded.and_then(|r| r.front_matter).unwrap_or(true)
    }

    /// No flag given.
    pub fn defaults() -> Self {
        Self {
            link_style: None,
            alert_style: None,
            jira_url: None,
            front_matter: false,
            no_front_matter: false,
            page_path: None,
            parent_page_path: None,
            attachment_path: None,
            layout: None,
            attachments: None,
            breadcrumbs: false,
            no_breadcrumbs: false,
        }
    }
}
