//! Markdown flavour flags shared by `convert` and the export commands.
use clap::{Args, ValueEnum};
use cme_convert::{AlertStyle, LinkStyle, Options};

/// How the Markdown is written.
#[derive(Debug, Args, Clone)]
pub struct MarkdownArgs {
    /// How page links are written
    #[arg(long, value_enum, default_value_t = LinkStyleArg::Markdown)]
    link_style: LinkStyleArg,
    /// How info/note/warning/tip panels are written
    #[arg(long, value_enum, default_value_t = AlertStyleArg::Gfm)]
    alert_style: AlertStyleArg,
    /// Jira base URL, so Jira macros become links (e.g. `https://example.atlassian.net`)
    #[arg(long, env = "CME_JIRA_URL", value_name = "URL")]
    pub jira_url: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LinkStyleArg {
    /// `[text](path.md)`
    Markdown,
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
    /// Converter options for these flags (title left unset).
    pub fn options(&self) -> Options {
        Options {
            link_style: match self.link_style {
                LinkStyleArg::Markdown => LinkStyle::Markdown,
                LinkStyleArg::Wiki => LinkStyle::Wiki,
            },
            alert_style: match self.alert_style {
                AlertStyleArg::Gfm => AlertStyle::Gfm,
                AlertStyleArg::Blockquote => AlertStyle::Blockquote,
            },
            ..Options::default()
        }
    }

    /// Defaults, as if no flag was given.
    pub fn defaults() -> Self {
        Self {
            link_style: LinkStyleArg::Markdown,
            alert_style: AlertStyleArg::Gfm,
            jira_url: None,
        }
    }
}
