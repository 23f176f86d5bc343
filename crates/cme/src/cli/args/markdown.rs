//! Markdown flavour flags shared by `convert` and the export commands.
use crate::cli::config::Config;
use crate::page::comments::CommentsMode;
use crate::state::MarkdownSettings;
use clap::{Args, ValueEnum};
use cme_convert::{AlertStyle, LinkStyle, Options};

/// How the Markdown is written.
#[derive(Debug, Args, Clone)]
#[command(next_help_heading = "Markdown")]
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
    /// Write each page's comments to a `<page>.comments.md` sidecar:
    /// footer comments, inline comments (with the highlighted text), or
    /// all, with replies, authors, dates and resolved state [default: none]
    #[arg(long, value_enum, value_name = "WHICH")]
    comments: Option<CommentsMode>,
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
            comments: self
                .comments
                .or(recorded.and_then(|r| r.comments))
                .filter(|c| *c != CommentsMode::None),
        };
        (options, jira, settings)
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

    /// Whether `--comments` was given: it means nothing to `convert`, which
    /// reads one document and no comments.
    pub fn asks_for_comments(&self) -> bool {
        self.comments.is_some()
    }

    /// No flag given.
    pub fn defaults() -> Self {
        Self {
            link_style: None,
            alert_style: None,
            jira_url: None,
            front_matter: false,
            no_front_matter: false,
            comments: None,
        }
    }
}
