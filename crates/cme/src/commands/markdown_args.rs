//! Markdown flavour flags shared by `convert` and the export commands.
use crate::config::Config;
use clap::{Args, ValueEnum};
use cme_convert::{AlertStyle, LinkStyle, Options};

/// How the Markdown is written.
#[derive(Debug, Args, Clone)]
pub struct MarkdownArgs {
    /// How page links are written [default: markdown]
    #[arg(long, value_enum)]
    link_style: Option<LinkStyleArg>,
    /// How info/note/warning/tip panels are written [default: gfm]
    #[arg(long, value_enum)]
    alert_style: Option<AlertStyleArg>,
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
    /// Converter options and Jira URL for these flags, with the settings file
    /// filling what they leave open (title left unset).
    pub fn resolve(&self, file: &Config) -> (Options, Option<String>) {
        let link = self.link_style.or(match file.link_style.as_deref() {
            Some("wiki") => Some(LinkStyleArg::Wiki),
            _ => None,
        });
        let alert = self.alert_style.or(match file.alert_style.as_deref() {
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
        let jira = self.jira_url.clone().or_else(|| file.jira_url.clone());
        (options, jira)
    }

    /// No flag given.
    pub fn defaults() -> Self {
        Self {
            link_style: None,
            alert_style: None,
            jira_url: None,
        }
    }
}
