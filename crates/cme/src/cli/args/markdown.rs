//! Markdown flavour flags shared by `convert` and the export commands.
use crate::cli::config::Config;
use crate::options::{AlertStyle, LinkStyle, MarkdownSettings};
use crate::page::comments::CommentsMode;
use clap::{Args, ValueEnum};
use cme_convert::Options;

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
    /// Ask Jira (with the same credentials) for the summary and status of
    /// each issue, and the issues of each list, so they are written as
    /// text and tables [default: on]
    #[arg(long, overrides_with = "no_jira_fetch")]
    jira_fetch: bool,
    /// Do not ask Jira: issues are written as links, lists as a link to
    /// their search
    #[arg(long, overrides_with = "jira_fetch")]
    no_jira_fetch: bool,
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

impl From<LinkStyleArg> for LinkStyle {
    fn from(a: LinkStyleArg) -> Self {
        match a {
            LinkStyleArg::Relative => LinkStyle::Relative,
            LinkStyleArg::Absolute => LinkStyle::Absolute,
            LinkStyleArg::Wiki => LinkStyle::Wiki,
        }
    }
}

impl From<AlertStyleArg> for AlertStyle {
    fn from(a: AlertStyleArg) -> Self {
        match a {
            AlertStyleArg::Gfm => AlertStyle::Gfm,
            AlertStyleArg::Blockquote => AlertStyle::Blockquote,
        }
    }
}

impl MarkdownArgs {
    /// Converter options and Jira URL for these flags, with the settings file
    /// filling what they leave open (title left unset).
    pub fn resolve(&self, file: &Config) -> (Options, Option<String>) {
        let settings = self.resolve_for(file, None);
        (settings.converter_options(), settings.jira_url)
    }

    /// The Markdown settings of a run into a folder whose files were written
    /// with `recorded`: a flag wins, then what the folder recorded, then the
    /// settings file, then the default.
    pub fn resolve_for(
        &self,
        file: &Config,
        recorded: Option<&MarkdownSettings>,
    ) -> MarkdownSettings {
        let link_style = self
            .link_style
            .map(LinkStyle::from)
            .or(recorded.map(|r| r.link_style))
            .or(file.link_style.as_deref().and_then(LinkStyle::parse))
            .unwrap_or_default();
        let alert_style = self
            .alert_style
            .map(AlertStyle::from)
            .or(recorded.map(|r| r.alert_style))
            .or(file.alert_style.as_deref().and_then(AlertStyle::parse))
            .unwrap_or_default();
        let jira_url = self
            .jira_url
            .clone()
            .or_else(|| recorded.and_then(|r| r.jira_url.clone()))
            .or_else(|| file.jira_url.clone());
        MarkdownSettings {
            link_style,
            alert_style,
            jira_url,
            front_matter: Some(self.front_matter_for(recorded)),
            jira_fetch: self.jira_fetch_for(file, recorded),
            comments: self
                .comments
                .or(recorded.and_then(|r| r.comments))
                .filter(|c| *c != CommentsMode::None),
        }
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

    /// Whether to ask Jira: a flag wins, then what the folder recorded,
    /// then the settings file, then on. Recorded only when off, so folders
    /// written before the setting existed keep their state.
    fn jira_fetch_for(&self, file: &Config, recorded: Option<&MarkdownSettings>) -> Option<bool> {
        let on = if self.jira_fetch {
            true
        } else if self.no_jira_fetch {
            false
        } else {
            recorded
                .map(MarkdownSettings::jira_fetch)
                .or(file.jira_fetch)
                .unwrap_or(true)
        };
        (!on).then_some(false)
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
            jira_fetch: false,
            no_jira_fetch: false,
            front_matter: false,
            no_front_matter: false,
            comments: None,
        }
    }
}
