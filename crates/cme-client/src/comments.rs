//! Page comments: every comment of a space in one CQL listing
//! (`type = comment AND space = "KEY"`) without bodies, so a sync learns
//! about new, edited (the comment's version rises), resolved and deleted
//! comments (none of which makes a page version) for ⌈C/250⌉ requests
//! instead of one per page; bodies are fetched by id, only for the pages
//! whose sidecar is written.
use crate::client::{Client, encode};
use crate::error::Error;
use crate::ids::{PageId, SpaceKey};
use crate::model::UserRef;
use serde::Deserialize;

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
    /// Storage-format body (empty from [`Client::space_comments`]; see
    /// [`Client::comment_bodies`]).
    pub body: String,
}

/// CQL answers at most 50 results when bodies are expanded.
const BODY_LIMIT: usize = 50;
/// CQL page size with other expansions (as for the page inventory).
const LIMIT_CLOUD: usize = 250;
const LIMIT_DC: usize = 200;
const EXPAND: &str =
    "container,ancestors,version,history,extensions.inlineProperties,extensions.resolution";

impl Client {
    /// Every comment on the current pages of a space that the caller can
    /// read, without bodies: ⌈C/250⌉ requests on Cloud, ⌈C/200⌉ on Data Center.
    pub async fn space_comments(&self, space: &SpaceKey) -> Result<Vec<Comment>, Error> {
        let limit = match self.flavor() {
            crate::Flavor::Cloud => LIMIT_CLOUD,
            crate::Flavor::DataCenter => LIMIT_DC,
        };
        let key = space.as_str().replace('\\', "\\\\").replace('"', "\\\"");
        let cql = format!("type = comment AND space = \"{key}\"");
        let url = format!(
            "{}/rest/api/content/search?cql={}&limit={limit}&expand={EXPAND}",
            self.root(),
            encode(&cql)
        );
        let found: Vec<WireComment> = self.v1_all(url).await?;
        let mut seen = std::collections::HashSet::new();
        Ok(found
            .into_iter()
            .filter_map(WireComment::into_comment)
            .filter(|c| seen.insert(c.id.clone()))
            .collect())
    }
}

impl Client {
    /// Storage-format bodies of comments by id (CQL `id in (…)`, 50 per
    /// request: bodies cap CQL pages at 50). Comments gone meanwhile are
    /// absent from the map.
    pub async fn comment_bodies(
        &self,
        ids: &[CommentId],
    ) -> Result<std::collections::HashMap<CommentId, String>, Error> {
        let mut out = std::collections::HashMap::new();
        for chunk in ids.chunks(BODY_LIMIT) {
            // Ids come from the server; anything but digits is refused
            // rather than spliced into a query.
            let csv: Vec<&str> = chunk
                .iter()
                .map(|c| c.0.as_str())
                .filter(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
                .collect();
            if csv.is_empty() {
                continue;
            }
            let cql = format!("type = comment AND id in ({})", csv.join(","));
            let url = format!(
                "{}/rest/api/content/search?cql={}&limit={BODY_LIMIT}&expand=body.storage",
                self.root(),
                encode(&cql)
            );
            let found: Vec<WireBodyOnly> = self.v1_all(url).await?;
            out.extend(found.into_iter().map(|b| {
                (
                    CommentId(b.id),
                    b.body
                        .and_then(|b| b.storage)
                        .map(|s| s.value)
                        .unwrap_or_default(),
                )
            }));
        }
        Ok(out)
    }
}

#[derive(Deserialize)]
struct WireBodyOnly {
    id: String,
    body: Option<WireBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireUser {
    account_id: Option<String>,
    user_key: Option<String>,
    display_name: Option<String>,
}

impl WireUser {
    fn into_ref(self) -> Option<UserRef> {
        Some(UserRef {
            id: self.account_id.or(self.user_key)?,
            display_name: self.display_name,
        })
    }
}

#[derive(Deserialize)]
struct WireRef {
    id: String,
}

#[derive(Deserialize)]
struct WireVersion {
    number: u64,
    #[serde(default)]
    when: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireHistory {
    created_by: Option<WireUser>,
    created_date: Option<String>,
}

#[derive(Deserialize)]
struct WireStorage {
    value: String,
}

#[derive(Deserialize)]
struct WireBody {
    storage: Option<WireStorage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireInline {
    original_selection: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireResolution {
    status: String,
    last_modifier: Option<WireUser>,
    last_modified_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireExtensions {
    location: Option<String>,
    inline_properties: Option<WireInline>,
    resolution: Option<WireResolution>,
}

#[derive(Deserialize)]
struct WireComment {
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    container: Option<WireRef>,
    #[serde(default)]
    ancestors: Vec<WireRef>,
    version: Option<WireVersion>,
    history: Option<WireHistory>,
    body: Option<WireBody>,
    extensions: Option<WireExtensions>,
}

impl WireComment {
    /// A comment, or `None` for anything that is not a comment on a page.
    fn into_comment(self) -> Option<Comment> {
        if self.kind != "comment" {
            return None;
        }
        let page = PageId::new(self.container?.id);
        let ext = self.extensions;
        let (location, resolution) = match ext {
            Some(WireExtensions {
                location: Some(l),
                inline_properties,
                resolution,
            }) if l == "inline" => (
                CommentLocation::Inline {
                    selection: inline_properties
                        .and_then(|p| p.original_selection)
                        .unwrap_or_default(),
                },
                Some(match resolution {
                    Some(r) => Resolution {
                        status: match r.status.as_str() {
                            "resolved" => ResolutionStatus::Resolved,
                            "reopened" => ResolutionStatus::Reopened,
                            _ => ResolutionStatus::Open,
                        },
                        by: r.last_modifier.and_then(WireUser::into_ref),
                        at: r.last_modified_date,
                    },
                    None => Resolution {
                        status: ResolutionStatus::Open,
                        by: None,
                        at: None,
                    },
                }),
            ),
            _ => (CommentLocation::Footer, None),
        };
        let (created, author) = match self.history {
            Some(h) => (
                h.created_date.unwrap_or_default(),
                h.created_by.and_then(WireUser::into_ref),
            ),
            None => (String::new(), None),
        };
        let (version, modified) = self
            .version
            .map_or((1, created.clone()), |v| (v.number, v.when));
        Some(Comment {
            id: CommentId(self.id),
            page,
            // Ancestors run root first: the parent is the last.
            parent: self.ancestors.last().map(|a| CommentId(a.id.clone())),
            location,
            author,
            created,
            version,
            modified,
            resolution,
            body: self
                .body
                .and_then(|b| b.storage)
                .map(|s| s.value)
                .unwrap_or_default(),
        })
    }
}
