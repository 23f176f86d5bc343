//! What a conversion returns.

use crate::context::{AttachmentRef, PageRef};

/// A heading of the converted page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    /// 1–6.
    pub level: u8,
    /// Plain text.
    pub text: String,
    /// GitHub-style anchor (without `#`), unique within the page.
    pub anchor: String,
}

/// Why output is not a perfect rendition of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WarningKind {
    /// The input was not well-formed and was repaired.
    Parse,
    /// A macro the converter does not know; its body was kept.
    UnknownMacro,
    /// Something the context could not resolve (an offline fallback was used).
    Unresolved,
    /// An include cycle or include limit was hit.
    Include,
    /// Content that Markdown cannot express was simplified.
    Degraded,
}

impl WarningKind {
    /// The kind in words: `parse`, `unknown-macro`, `unresolved`,
    /// `include`, `degraded`.
    pub fn name(self) -> &'static str {
        match self {
            WarningKind::Parse => "parse",
            WarningKind::UnknownMacro => "unknown-macro",
            WarningKind::Unresolved => "unresolved",
            WarningKind::Include => "include",
            WarningKind::Degraded => "degraded",
        }
    }
}

/// One warning, listed once however often it was met.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Category.
    pub kind: WarningKind,
    /// Human-readable detail.
    pub message: String,
    /// How many times it was met on the page (at least 1).
    pub count: u64,
}

/// The result of [`crate::convert`].
#[derive(Debug, Clone, Default)]
pub struct Converted {
    /// The Markdown document.
    pub markdown: String,
    /// Pages referenced by links, includes and macros (deduplicated, in order).
    pub pages: Vec<PageRef>,
    /// Attachments referenced (deduplicated, in order): download only these.
    pub attachments: Vec<AttachmentRef>,
    /// Page properties from `details` macros, key → value as plain text.
    pub properties: Vec<(String, String)>,
    /// Labels named in the body (`contentbylabel`/`labels` parameters are
    /// queries and are not reported; page labels come from the API).
    pub labels: Vec<String>,
    /// Headings in document order.
    pub headings: Vec<Heading>,
    /// What was degraded.
    pub warnings: Vec<Warning>,
}
