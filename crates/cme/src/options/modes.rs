//! Which comments and attachments an export writes.
use cme_client::{Comment, CommentLocation};
use serde::{Deserialize, Serialize};

/// Which comments get a sidecar (`--comments`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum CommentsMode {
    /// No sidecars.
    None,
    /// Comments below the page.
    Footer,
    /// Comments on highlighted text.
    Inline,
    /// Both.
    All,
}

impl CommentsMode {
    pub(crate) fn keeps(self, c: &Comment) -> bool {
        matches!(
            (self, &c.location),
            (CommentsMode::All, _)
                | (CommentsMode::Footer, CommentLocation::Footer)
                | (CommentsMode::Inline, CommentLocation::Inline { .. })
        )
    }
}

/// Which attachments are downloaded (the Python tool's
/// `export.attachments_export`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AttachmentMode {
    /// Those a page's Markdown uses.
    #[default]
    Referenced,
    /// Every listed attachment of every exported page.
    All,
    /// None: links go to the files on the site.
    None,
}

impl AttachmentMode {
    /// Its name in the state, flags and settings file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referenced => "referenced",
            Self::All => "all",
            Self::None => "none",
        }
    }

    /// From its name (`disabled`, the Python tool's, means `none`).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "referenced" => Some(Self::Referenced),
            "all" => Some(Self::All),
            "none" | "disabled" => Some(Self::None),
            _ => None,
        }
    }
}
