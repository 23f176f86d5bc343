//! Page comments. Footer comments sit under the page, inline comments on a
//! highlighted selection of its text; replies share their thread's
//! location. A comment is content of its own: adding, editing, resolving
//! or deleting one never makes a new page version.
use std::sync::Arc;

use super::{Id, Millis};

/// Where a comment is anchored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    Footer,
    /// On a highlighted selection: `marker_ref` names the `ac:inline-comment-marker`
    /// in the page body, `selection` is the highlighted text.
    Inline {
        marker_ref: Arc<str>,
        selection: Arc<str>,
    },
}

impl Location {
    pub fn as_str(&self) -> &'static str {
        match self {
            Location::Footer => "footer",
            Location::Inline { .. } => "inline",
        }
    }
}

/// An inline thread's resolution, as Confluence reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolution {
    Open,
    Resolved,
    Reopened,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Open => "open",
            Resolution::Resolved => "resolved",
            Resolution::Reopened => "reopened",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Comment {
    pub id: Id,
    pub page_id: Id,
    /// The comment this one replies to.
    pub parent: Option<Id>,
    pub location: Location,
    pub author_id: Arc<str>,
    pub created_ms: Millis,
    /// Edits raise the comment's own version.
    pub version: u32,
    pub modified_ms: Millis,
    pub modifier_id: Arc<str>,
    /// Storage-format body of the latest version.
    pub body: Arc<str>,
    /// Inline top-level comments only; changed by resolve/reopen.
    pub resolution: Resolution,
    pub resolution_by: Option<Arc<str>>,
    pub resolution_ms: Option<Millis>,
}

impl Comment {
    /// Confluence's comment title: `Re: <page title>`.
    pub fn title(page_title: &str) -> String {
        format!("Re: {page_title}")
    }
}
