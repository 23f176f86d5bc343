//! The scopes `sync` replays: an export command and its arguments.
use serde::{Deserialize, Serialize};
use std::fmt;

/// One export command and its arguments, replayed by `sync`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Scope {
    pub command: ScopeCommand,
    pub args: Vec<String>,
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
