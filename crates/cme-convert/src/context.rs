//! What the converter asks the outside world, and the references it finds.

use std::fmt;

use crate::url::encode_title;

/// A Confluence content id (pages, blog posts, attachments are numeric).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentId(pub String);

/// A space key such as `DOC` or `~accountid`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpaceKey(pub String);

impl fmt::Display for ContentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for SpaceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reference to a page or blog post, as storage format spells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PageRef {
    /// By content id (`ri:content-entity`, hard-coded `pageId=` URLs).
    Id(ContentId),
    /// A page by title; `space: None` means the current page's space.
    Title {
        /// Space key, if given.
        space: Option<SpaceKey>,
        /// Page title.
        title: String,
    },
    /// A blog post: titles are only unique per posting day.
    BlogPost {
        /// Space key, if given.
        space: Option<SpaceKey>,
        /// Post title.
        title: String,
        /// `YYYY/MM/DD`, as in `ri:posting-day`.
        posting_day: String,
    },
}

impl fmt::Display for PageRef {
    /// How a user would name the page: `SPACE:Title`, `Title`, or `id 123`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PageRef::Id(id) => write!(f, "id {id}"),
            PageRef::Title {
                space: Some(s),
                title,
            } => write!(f, "`{s}:{title}`"),
            PageRef::Title { space: None, title } => write!(f, "`{title}`"),
            PageRef::BlogPost {
                space,
                title,
                posting_day,
            } => match space {
                Some(s) => write!(f, "blog post `{s}:{posting_day}/{title}`"),
                None => write!(f, "blog post `{posting_day}/{title}`"),
            },
        }
    }
}

impl PageRef {
    /// The title, when the reference carries one.
    pub fn title(&self) -> Option<&str> {
        match self {
            PageRef::Id(_) => None,
            PageRef::Title { title, .. } | PageRef::BlogPost { title, .. } => Some(title),
        }
    }
}

/// An attachment: a file name on the current page or on another page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttachmentRef {
    /// File name as attached.
    pub filename: String,
    /// Owning page; `None` means the page being converted.
    pub page: Option<PageRef>,
}

/// A user, by whichever identifier the content carries.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRef {
    /// Cloud account id.
    AccountId(String),
    /// Server/Data Center user key.
    UserKey(String),
    /// Legacy user name.
    Username(String),
}

impl UserRef {
    /// The raw identifier.
    pub fn id(&self) -> &str {
        match self {
            UserRef::AccountId(s) | UserRef::UserKey(s) | UserRef::Username(s) => s,
        }
    }
}

/// A page in the tree below the current page, for children/pagetree macros,
/// listed in Confluence's page order (the order of the page tree).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildPage {
    /// Its title (link text).
    pub title: String,
    /// Its reference; resolved to a link through [`Context::page_link`].
    pub page: PageRef,
    /// When it was created (ISO 8601), if known; `sort=creation` falls back
    /// to the numeric content id, which Confluence allocates in order.
    pub created: Option<String>,
    /// When it was last modified (ISO 8601), if known: `sort=modified`.
    pub modified: Option<String>,
    /// Its own children, if known (depth limits apply when rendering).
    pub children: Vec<ChildPage>,
}

/// What the children macro asks for: how deep, and which facts it sorts
/// by, so a context that records its answers knows what the output depends
/// on. The converter does the sorting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChildQuery {
    /// The sort the macro asks for.
    pub order: ChildOrder,
    /// Levels shown: 1 is the children only.
    pub depth: usize,
}

/// The children macro's `sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ChildOrder {
    /// Confluence's page order (the macro's default).
    #[default]
    Tree,
    /// By title.
    Title,
    /// By creation (date, else content id).
    Created,
    /// By last modification date.
    Modified,
}

/// The page being converted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CurrentPage {
    /// Title.
    pub title: String,
    /// Space key.
    pub space: Option<SpaceKey>,
    /// Content id: Confluence URLs of its attachments need it.
    pub id: Option<ContentId>,
}

/// Answers the questions conversion needs. Every method has a default of
/// "unknown", so an offline context is `impl Context for X {}`; the converter
/// then falls back to Confluence-shaped targets (see [`OfflineContext`]).
pub trait Context {
    /// The Markdown link target for a page: a URL or relative path, already
    /// percent-encoded where a destination needs it (spaces, `%`, `#`, `?`),
    /// since it is written as is. Wiki-style links decode it again.
    fn page_link(&self, _page: &PageRef) -> Option<String> {
        None
    }
    /// The Confluence site links fall back to, e.g.
    /// `https://example.atlassian.net/wiki` (no trailing `/`): what is not
    /// exported is linked there, never as a host-less path. `None` offline,
    /// where fallbacks stay relative to the site.
    fn site_url(&self) -> Option<String> {
        None
    }
    /// The link target for a space: its exported home page, percent-encoded
    /// like [`Context::page_link`].
    fn space_link(&self, _space: &SpaceKey) -> Option<String> {
        None
    }
    /// The local path (relative to the Markdown file) of an attachment that
    /// is exported, percent-encoded like [`Context::page_link`]; `None` when
    /// the file is not exported (or does not exist): it is then linked on
    /// Confluence.
    fn attachment_path(&self, _attachment: &AttachmentRef) -> Option<String> {
        None
    }
    /// A user's display name.
    fn user_name(&self, _user: &UserRef) -> Option<String> {
        None
    }
    /// Base URL of the Jira site a macro's `serverId` names (empty: the
    /// macro names none), e.g. `https://jira.example.com`.
    fn jira_base_url(&self, _server: &str) -> Option<String> {
        None
    }
    /// One issue's summary and status, as Jira answers them; `None` when
    /// not known (offline, not fetched, or Jira did not answer): the issue
    /// is then written as a link alone.
    fn jira_issue(&self, _server: &str, _key: &str) -> Option<JiraIssue> {
        None
    }
    /// The issues a JQL macro lists, as Jira answers its search; `None`
    /// when not known: the macro is then written as a link to the search.
    fn jira_issues(&self, _query: &JiraQuery) -> Option<JiraIssues> {
        None
    }
    /// The storage body of a page, for include and excerpt-include.
    fn page_body(&self, _page: &PageRef) -> Option<String> {
        None
    }
    /// Children of the current page, in Confluence's page order, for
    /// children/pagetree macros, at least `query.depth` levels deep.
    fn children(&self, _query: ChildQuery) -> Option<Vec<ChildPage>> {
        None
    }
    /// File names attached to the current page, for the attachments macro.
    fn attachments(&self) -> Option<Vec<String>> {
        None
    }
    /// The rows of a page-properties report (`detailssummary`), as
    /// Confluence computes them; `None` when not known (offline, or not
    /// fetched yet): the report is then written as a one-line summary.
    fn page_properties_report(&self, _query: &ReportQuery) -> Option<Report> {
        None
    }
    /// The page being converted.
    fn current_page(&self) -> Option<CurrentPage> {
        None
    }
}

/// A Jira issue: its key and the fields a macro shows, as text, by the
/// macro's column names (`summary`, `status`, `type`, `assignee`, …).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JiraIssue {
    /// The issue key, e.g. `CME-42`.
    pub key: String,
    /// Field values by column name; a missing one is an empty cell.
    pub fields: std::collections::BTreeMap<String, String>,
}

/// What a Jira issue-list macro asks Jira: the caller runs the search (the
/// converter never evaluates JQL).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JiraQuery {
    /// The macro's `serverId` (empty when it names none).
    pub server: String,
    /// The JQL, as written.
    pub jql: String,
    /// Columns shown, lower-case (`key`, `summary`, `status`, …), as the
    /// macro names them (see [`JiraQuery::DEFAULT_COLUMNS`]).
    pub columns: Vec<String>,
    /// The most issues shown (the macro's `maximumIssues`).
    pub max: u32,
}

impl JiraQuery {
    /// The columns of a macro that names none.
    pub const DEFAULT_COLUMNS: [&'static str; 3] = ["key", "summary", "status"];
    /// Confluence's default `maximumIssues`.
    pub const DEFAULT_MAX: u32 = 20;
    /// The most issues a list shows, whatever the macro says.
    pub const MAX: u32 = 1000;
}

/// A JQL search's answer: how many issues match, and the first ones.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JiraIssues {
    /// Issues matching (at least `issues.len()`).
    pub total: u64,
    /// The issues, in Jira's order, at most the query's `max`.
    pub issues: Vec<JiraIssue>,
}

/// What a page-properties report (`detailssummary`) asks for, as its macro
/// states it. The caller answers with [`Report`] rows (Confluence's own
/// evaluation of the CQL), so the converter never evaluates CQL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReportQuery {
    /// The CQL, as written (it may use `currentSpace()` and `currentContent()`).
    pub cql: String,
    /// Headings to show, comma-separated as written; empty: all.
    pub headings: String,
    /// The heading rows are sorted by; empty: Confluence's default (newest first).
    pub sort_by: String,
    /// Reverse the sort.
    pub reverse: bool,
}

/// A page-properties report's rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Column headings after the title column, in Confluence's order.
    pub headings: Vec<String>,
    /// Rows in Confluence's order.
    pub rows: Vec<ReportRow>,
}

/// One page of a report: its id and title, and one cell per heading (the
/// value as Confluence renders it: view-format HTML, empty when the page
/// has no such property).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// The page the row is about.
    pub page: ContentId,
    /// Its title, the row's link text.
    pub title: String,
    /// One value per heading.
    pub cells: Vec<String>,
}

/// A context with no network: every link stays a Confluence target.
///
/// Fallback targets (chosen so a reader can still find the page on the
/// site; relative to the Confluence base URL here, and absolute on it when a
/// context answers [`Context::site_url`]):
/// - page by title: `/display/SPACE/Title+With+Pluses` (or
///   `/pages/viewpage.action?title=…` when the space is unknown);
/// - page by id: `/pages/viewpage.action?pageId=ID`;
/// - blog post: `/display/SPACE/YYYY/MM/DD/Title`;
/// - attachment: its file name (another page's attachment becomes
///   `Page Title/filename`); with a site URL, its download URL
///   (`/download/attachments/ID/file`) or, owner known only by title, the
///   owner page;
/// - space: `/display/SPACE`; tiny links (`/x/CODE`) are decoded to page ids;
/// - user: `@` + the raw id.
#[derive(Debug, Clone, Default)]
pub struct OfflineContext {
    /// The page being converted, if known.
    pub current: Option<CurrentPage>,
}

impl Context for OfflineContext {
    fn current_page(&self) -> Option<CurrentPage> {
        self.current.clone()
    }
}

/// The offline target for a page.
pub(crate) fn fallback_page_link(page: &PageRef, current_space: Option<&SpaceKey>) -> String {
    match page {
        PageRef::Id(id) => format!("/pages/viewpage.action?pageId={id}"),
        PageRef::Title { space, title } => match space.as_ref().or(current_space) {
            Some(s) => format!("/display/{}/{}", encode_title(&s.0), encode_title(title)),
            None => format!("/pages/viewpage.action?title={}", encode_title(title)),
        },
        PageRef::BlogPost {
            space,
            title,
            posting_day,
        } => {
            let s = space
                .as_ref()
                .or(current_space)
                .map_or("", |s| s.0.as_str());
            format!(
                "/display/{}/{}/{}",
                encode_title(s),
                posting_day,
                encode_title(title)
            )
        }
    }
}

/// The offline target for an attachment.
pub(crate) fn fallback_attachment_path(att: &AttachmentRef) -> String {
    match att.page.as_ref().and_then(PageRef::title) {
        Some(t) => format!("{t}/{}", att.filename),
        None => att.filename.clone(),
    }
}

/// An attachment on the site (relative to the site URL): its download URL
/// when the owner's id is known, else the owner page, which lists it.
pub(crate) fn site_attachment_link(
    att: &AttachmentRef,
    current: Option<&ContentId>,
    current_space: Option<&SpaceKey>,
) -> Option<String> {
    let owner = match &att.page {
        None => current.cloned().map(PageRef::Id)?,
        Some(p) => p.clone(),
    };
    Some(match owner {
        PageRef::Id(id) => format!(
            "/download/attachments/{}/{}",
            crate::url::encode_component(&id.0),
            crate::url::encode_component(&att.filename)
        ),
        other => fallback_page_link(&other, current_space),
    })
}
