//! The scopes `sync` replays: an export command and its arguments.
use serde::{Deserialize, Serialize};
use std::fmt;

/// One export command and its arguments, replayed by `sync`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Scope {
    pub command: ScopeCommand,
    pub args: Vec<String>,
    /// Whether the spaces' blog posts are exported too (space scopes only).
    /// A scope recorded before blog posts were exported has no such field
    /// and keeps exporting none, so an existing folder's sync does not
    /// change on its own; `spaces` and `all-spaces` record it on unless
    /// `--no-blog-posts`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blog_posts: bool,
}

impl Scope {
    /// The scope, exporting its spaces' blog posts when `on` (a page scope
    /// exports none: blog posts are not in any page tree).
    pub fn with_blog_posts(mut self, on: bool) -> Self {
        self.blog_posts =
            on && matches!(self.command, ScopeCommand::Spaces | ScopeCommand::AllSpaces);
        self
    }
}

/// The export commands a scope can name.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeCommand {
    Pages,
    PagesWithDescendants,
    Spaces,
    AllSpaces,
}

impl fmt::Display for Scope {
    /// The command line that made the scope: `spaces ENG --include-archived`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cmd = serde_json::to_value(self.command).unwrap_or_default();
        f.write_str(cmd.as_str().unwrap_or("?"))?;
        for a in &self.args {
            write!(f, " {a}")?;
        }
        Ok(())
    }
}
