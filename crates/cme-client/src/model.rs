//! What the exporter needs to know about spaces, pages, attachments and
//! comments, the same whichever flavour and API generation supplied it:
//! the wire shapes stay in `api`, so callers never branch on them.
use crate::ids::{AttachmentId, PageId, SpaceId, SpaceKey, Version};

/// A space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Space {
    /// v2 id; Data Center's v1 id is numeric too.
    pub id: SpaceId,
    /// The key, e.g. `DEMO`.
    pub key: SpaceKey,
    /// Display name.
    pub name: String,
    /// The space's home page, if it has one.
    pub homepage_id: Option<PageId>,
}

/// A page's lifecycle status as listings report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PageStatus {
    /// Live.
    Current,
    /// Archived: still readable.
    Archived,
    /// In the trash.
    Trashed,
    /// Anything else Confluence may add.
    Other,
}

impl PageStatus {
    /// A status as both API generations spell it.
    pub(crate) fn parse(s: &str) -> Self {
        match s {
            "current" => Self::Current,
            "archived" => Self::Archived,
            "trashed" => Self::Trashed,
            _ => Self::Other,
        }
    }
}

/// A page as a lookup by id finds it now: enough to tell whether a
/// listing should have named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPage {
    /// Content id.
    pub id: PageId,
    /// A page or a blog post.
    pub kind: ContentKind,
    /// Lifecycle status.
    pub status: PageStatus,
    /// The space it is in, when the answer named it.
    pub space: Option<SpaceKey>,
    /// Its ancestors' ids, highest first.
    pub ancestors: Vec<PageId>,
}

/// What a page hangs under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ParentKind {
    /// Another page.
    Page,
    /// A folder (not a page: fetch with `/folders/{id}`).
    Folder,
    /// Whiteboards, databases, embeds.
    Other(String),
}

impl ParentKind {
    /// A parent's content type as both API generations spell it (none: a page).
    pub(crate) fn parse(kind: Option<&str>) -> Self {
        match kind {
            None | Some("page") => ParentKind::Page,
            Some("folder") => ParentKind::Folder,
            Some(other) => ParentKind::Other(other.to_owned()),
        }
    }
}

/// Which kind of content a listing entry is. Pages and blog posts share
/// one id space, bodies, attachments and comments; only where they sit
/// (a tree, a posting date) and the endpoints that serve them differ.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum ContentKind {
    /// A page: it sits in the space's page tree.
    #[default]
    Page,
    /// A blog post: outside the tree, dated by its posting day.
    #[serde(rename = "blogpost")]
    BlogPost,
}

impl ContentKind {
    /// Whether this is a page (what a state entry leaves unsaid).
    pub fn is_page(&self) -> bool {
        *self == ContentKind::Page
    }

    /// The content type as both API generations spell it (`page`,
    /// `blogpost`); anything else is taken for a page.
    pub(crate) fn parse(kind: Option<&str>) -> Self {
        match kind {
            Some("blogpost") => ContentKind::BlogPost,
            _ => ContentKind::Page,
        }
    }
}

/// A page as an inventory listing reports it: no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageMeta {
    /// Content id.
    pub id: PageId,
    /// A page or a blog post.
    pub kind: ContentKind,
    /// Title (unique within its space).
    pub title: String,
    /// Owning space.
    pub space_id: SpaceId,
    /// Parent content, `None` at the space root.
    pub parent: Option<(PageId, ParentKind)>,
    /// Sparse sort key among siblings.
    pub position: Option<i64>,
    /// Lifecycle status.
    pub status: PageStatus,
    /// Current version number.
    pub version: Version,
    /// When the current version was made (ISO 8601 UTC).
    pub modified_at: crate::Timestamp,
    /// Who made it and when it began, and its labels, as far as the
    /// answer carried them (see [`PageInfo`]).
    /// Boxed: a listing's pages are moved into the layout's lists while
    /// the listing is still held, so what a page holds inline is held
    /// twice for a moment (~20 MB for a 100,000-page space).
    pub info: Box<PageInfo>,
}

/// Facts about a page for its front matter. Each is `None` when the answer
/// did not carry it, so a caller can tell "none" from "not asked".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageInfo {
    /// When the page was created (ISO 8601 UTC).
    pub created_at: Option<crate::Timestamp>,
    /// Who created it.
    pub author: Option<UserRef>,
    /// Who made the current version.
    pub last_editor: Option<UserRef>,
    /// Label names (global prefix, which is what the UI shows), sorted.
    pub labels: Option<Vec<String>>,
}

impl PageMeta {
    /// A blog post's posting day, `YYYY/MM/DD` as `ri:posting-day` and
    /// its web address write it: the day (UTC) it was created. `None` for
    /// a page, or when the listing carried no creation date.
    pub fn posting_day(&self) -> Option<String> {
        if self.kind != ContentKind::BlogPost {
            return None;
        }
        let created = self.info.created_at.as_ref()?.text();
        let day = created.get(..10)?;
        let b = day.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        (digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10))
            .then(|| day.replace('-', "/"))
    }
}

/// A user as a page answer names them: an id (Cloud account id or Data
/// Center user key) and, when the answer had it, the display name.
/// Shared text: a site's few hundred people are named by every page, and
/// a naming pass ([`crate::Client::fill_names_with`]) makes the pages share
/// one copy of each (at 100,000 pages, ~16 MB of copies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    /// Account id (Cloud) or user key (Data Center).
    pub id: std::sync::Arc<str>,
    /// Display name, when included.
    pub display_name: Option<std::sync::Arc<str>>,
}

/// A page with its storage-format body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageBody {
    /// Listing data.
    pub meta: PageMeta,
    /// The storage-format XHTML.
    pub storage: String,
}

/// An attachment of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Attachment id (`att…`).
    pub id: AttachmentId,
    /// File name as storage format refers to it.
    pub filename: String,
    /// MIME type.
    pub media_type: String,
    /// Size in bytes, when reported.
    pub file_size: Option<u64>,
    /// The page it belongs to.
    pub page_id: PageId,
    /// Attachment version.
    pub version: Version,
    /// Data Center's download link (relative to the context path).
    pub download_link: Option<String>,
}

/// A comment's id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CommentId(pub String);

/// Where a comment sits on its page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentLocation {
    /// Below the page.
    Footer,
    /// On highlighted text of the page.
    Inline {
        /// The highlighted text, as Confluence recorded it.
        selection: String,
    },
}

/// An inline thread's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResolutionStatus {
    /// Never resolved.
    Open,
    /// Resolved.
    Resolved,
    /// Resolved, then reopened.
    Reopened,
}

/// Who resolved or reopened an inline thread, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The thread's state.
    pub status: ResolutionStatus,
    /// Who changed it last, when reported.
    pub by: Option<UserRef>,
    /// When, when reported (ISO 8601).
    pub at: Option<String>,
}

/// One comment of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// The comment's id.
    pub id: CommentId,
    /// The page it is on.
    pub page: PageId,
    /// The comment it replies to.
    pub parent: Option<CommentId>,
    /// Footer or inline.
    pub location: CommentLocation,
    /// Who wrote it.
    pub author: Option<UserRef>,
    /// When it was written (ISO 8601).
    pub created: String,
    /// The comment's own version (edits raise it).
    pub version: u64,
    /// When its latest version was written (ISO 8601).
    pub modified: String,
    /// Inline comments only: the thread's resolution.
    pub resolution: Option<Resolution>,
    /// Storage-format body (empty from [`crate::Client::space_comments`]; see
    /// [`crate::Client::comment_bodies`]).
    pub body: String,
}
