//! What the exporter needs to know about spaces, pages and attachments,
//! the same whichever API generation supplied it.
use crate::ids::{AttachmentId, PageId, SpaceId, SpaceKey, Version};
use serde::Deserialize;

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
    fn parse(s: &str) -> Self {
        match s {
            "current" => Self::Current,
            "archived" => Self::Archived,
            "trashed" => Self::Trashed,
            _ => Self::Other,
        }
    }
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

/// A page as an inventory listing reports it: no body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageMeta {
    /// Content id.
    pub id: PageId,
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
    pub modified_at: String,
    /// Who made it and when it began, and its labels, as far as the
    /// answer carried them (see [`PageInfo`]).
    pub info: PageInfo,
}

/// Facts about a page for its front matter. Each is `None` when the answer
/// did not carry it, so a caller can tell "none" from "not asked".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageInfo {
    /// When the page was created (ISO 8601 UTC).
    pub created_at: Option<String>,
    /// Who created it.
    pub author: Option<UserRef>,
    /// Who made the current version.
    pub last_editor: Option<UserRef>,
    /// Label names (global prefix, which is what the UI shows), sorted.
    pub labels: Option<Vec<String>>,
}

/// A user as a page answer names them: an id (Cloud account id or Data
/// Center user key) and, when the answer had it, the display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRef {
    /// Account id (Cloud) or user key (Data Center).
    pub id: String,
    /// Display name, when included.
    pub display_name: Option<String>,
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

// ---- v2 wire shapes (only the fields we read) ----

#[derive(Deserialize)]
pub(crate) struct V2List<T> {
    pub results: Vec<T>,
    #[serde(default, rename = "_links")]
    pub links: Links,
}

#[derive(Deserialize, Default)]
pub(crate) struct Links {
    pub next: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct V2Space {
    id: String,
    key: String,
    name: String,
    homepage_id: Option<String>,
}

impl From<V2Space> for Space {
    fn from(s: V2Space) -> Self {
        Space {
            id: SpaceId::new(s.id),
            key: SpaceKey::new(s.key),
            name: s.name,
            homepage_id: s.homepage_id.map(PageId::new),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct V2Page {
    id: String,
    title: String,
    space_id: String,
    parent_id: Option<String>,
    parent_type: Option<String>,
    position: Option<i64>,
    status: String,
    version: V2Version,
    #[serde(default)]
    body: Option<V2Body>,
    author_id: Option<String>,
    created_at: Option<String>,
    labels: Option<V2Labels>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Version {
    number: u64,
    #[serde(default)]
    created_at: String,
    author_id: Option<String>,
}

/// `include-labels`: at most 50, with `meta.hasMore` beyond.
#[derive(Deserialize)]
struct V2Labels {
    #[serde(default)]
    results: Vec<LabelJson>,
}

#[derive(Deserialize)]
pub(crate) struct LabelJson {
    name: String,
    #[serde(default)]
    prefix: String,
}

/// Label names as users see them: only the `global` prefix (personal
/// `my:` labels are private to their owner), sorted, no repeats.
fn label_names(labels: Vec<LabelJson>) -> Vec<String> {
    let mut names: Vec<String> = labels
        .into_iter()
        .filter(|l| l.prefix.is_empty() || l.prefix == "global")
        .map(|l| l.name)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn user(id: Option<String>, name: Option<String>) -> Option<UserRef> {
    id.filter(|i| !i.is_empty()).map(|id| UserRef {
        id,
        display_name: name.filter(|n| !n.is_empty()),
    })
}

#[derive(Deserialize)]
struct V2Body {
    storage: Option<V2Storage>,
}

#[derive(Deserialize)]
struct V2Storage {
    value: String,
}

impl V2Page {
    pub(crate) fn into_meta(self) -> (PageMeta, Option<String>) {
        let parent = self.parent_id.map(|pid| {
            let kind = match self.parent_type.as_deref() {
                None | Some("page") => ParentKind::Page,
                Some("folder") => ParentKind::Folder,
                Some(other) => ParentKind::Other(other.to_owned()),
            };
            (PageId::new(pid), kind)
        });
        let body = self.body.and_then(|b| b.storage).map(|s| s.value);
        (
            PageMeta {
                id: PageId::new(self.id),
                title: self.title,
                space_id: SpaceId::new(self.space_id),
                parent,
                position: self.position,
                status: PageStatus::parse(&self.status),
                version: Version(self.version.number),
                modified_at: self.version.created_at,
                info: PageInfo {
                    created_at: self.created_at,
                    author: user(self.author_id, None),
                    last_editor: user(self.version.author_id, None),
                    labels: self.labels.map(|l| label_names(l.results)),
                },
            },
            body,
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct V2Attachment {
    id: String,
    title: String,
    #[serde(default)]
    media_type: String,
    file_size: Option<u64>,
    page_id: Option<String>,
    version: Option<V2Version>,
    download_link: Option<String>,
}

impl V2Attachment {
    pub(crate) fn into_attachment(self, owner: &PageId) -> Attachment {
        Attachment {
            id: AttachmentId::new(self.id),
            filename: self.title,
            media_type: self.media_type,
            file_size: self.file_size,
            page_id: self
                .page_id
                .map(PageId::new)
                .unwrap_or_else(|| owner.clone()),
            version: Version(self.version.map_or(1, |v| v.number)),
            download_link: self.download_link,
        }
    }
}

// ---- v1 wire shapes (Data Center) ----

#[derive(Deserialize)]
pub(crate) struct V1Ref {
    id: String,
    /// `page`, `folder`, … when the answer carries it (ancestors do).
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// v1 numbers some ids (space ids) and strings others.
fn id_string(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[derive(Deserialize)]
pub(crate) struct V1Space {
    #[serde(default)]
    id: serde_json::Value,
    key: String,
    #[serde(default)]
    name: String,
    homepage: Option<V1Ref>,
}

impl From<V1Space> for Space {
    fn from(s: V1Space) -> Self {
        Space {
            id: SpaceId::new(id_string(&s.id).unwrap_or_else(|| s.key.clone())),
            key: SpaceKey::new(s.key),
            name: s.name,
            homepage_id: s.homepage.map(|h| PageId::new(h.id)),
        }
    }
}

#[derive(Deserialize)]
pub(crate) struct V1Content {
    id: String,
    title: String,
    #[serde(default)]
    status: String,
    space: Option<V1Space>,
    version: Option<V1Version>,
    #[serde(default)]
    ancestors: Vec<V1Ref>,
    body: Option<V2Body>,
    extensions: Option<V1Extensions>,
    history: Option<V1History>,
    metadata: Option<V1Metadata>,
}

#[derive(Deserialize)]
struct V1Version {
    number: u64,
    #[serde(default)]
    when: String,
    by: Option<V1User>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1User {
    account_id: Option<String>,
    user_key: Option<String>,
    display_name: Option<String>,
}

impl V1User {
    fn into_ref(self) -> Option<UserRef> {
        user(self.account_id.or(self.user_key), self.display_name)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1History {
    created_by: Option<V1User>,
    created_date: Option<String>,
}

#[derive(Deserialize)]
struct V1Metadata {
    labels: Option<V1Labels>,
}

#[derive(Deserialize)]
struct V1Labels {
    #[serde(default)]
    results: Vec<LabelJson>,
}

#[derive(Deserialize)]
struct V1Extensions {
    #[serde(default)]
    position: serde_json::Value,
}

impl V1Content {
    /// `space` names the space when the listing was per space and did not expand it.
    pub(crate) fn into_meta(self, space: Option<&Space>) -> (PageMeta, Option<String>) {
        let space_id = self
            .space
            .map(|s| Space::from(s).id)
            .or_else(|| space.map(|s| s.id.clone()))
            .unwrap_or_else(|| SpaceId::new(""));
        let version = self.version.unwrap_or(V1Version {
            number: 1,
            when: String::new(),
            by: None,
        });
        let (created_at, author) = self.history.map_or((None, None), |h| {
            (h.created_date, h.created_by.and_then(V1User::into_ref))
        });
        let info = PageInfo {
            created_at,
            author,
            last_editor: version.by.and_then(V1User::into_ref),
            labels: self
                .metadata
                .and_then(|m| m.labels)
                .map(|l| label_names(l.results)),
        };
        (
            PageMeta {
                id: PageId::new(self.id),
                title: self.title,
                space_id,
                // v1 ancestors run root first, immediate parent last.
                parent: self.ancestors.last().map(|a| {
                    let kind = match a.kind.as_deref() {
                        None | Some("page") => ParentKind::Page,
                        Some("folder") => ParentKind::Folder,
                        Some(other) => ParentKind::Other(other.to_owned()),
                    };
                    (PageId::new(a.id.clone()), kind)
                }),
                position: self.extensions.and_then(|e| e.position.as_i64()),
                status: PageStatus::parse(&self.status),
                version: Version(version.number),
                modified_at: version.when,
                info,
            },
            self.body.and_then(|b| b.storage).map(|s| s.value),
        )
    }
}

#[derive(Deserialize)]
pub(crate) struct V1Attachment {
    id: String,
    title: String,
    extensions: Option<V1AttachmentExt>,
    version: Option<V1Version>,
    #[serde(rename = "_links")]
    links: Option<V1AttachmentLinks>,
    /// The owning page, when `expand=container` (CQL search results).
    container: Option<V1Ref>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1AttachmentExt {
    #[serde(default)]
    media_type: String,
    file_size: Option<u64>,
}

#[derive(Deserialize)]
struct V1AttachmentLinks {
    download: Option<String>,
}

impl V1Attachment {
    /// An attachment found by CQL: its page is its expanded `container`
    /// (`None` when the answer lacks one).
    pub(crate) fn into_contained_attachment(mut self) -> Option<Attachment> {
        let page = PageId::new(self.container.take()?.id);
        Some(self.into_attachment(&page))
    }

    pub(crate) fn into_attachment(self, owner: &PageId) -> Attachment {
        let (media_type, file_size) = self
            .extensions
            .map_or((String::new(), None), |e| (e.media_type, e.file_size));
        Attachment {
            id: AttachmentId::new(self.id),
            filename: self.title,
            media_type,
            file_size,
            page_id: owner.clone(),
            version: Version(self.version.map_or(1, |v| v.number)),
            download_link: self.links.and_then(|l| l.download),
        }
    }
}
