//! The v1 REST API (`/rest/api/…`), which both flavours have: Data
//! Center's only API, and on Cloud the home of user lookups, lookups by
//! title and attachment downloads. Its content shapes are also what CQL
//! searches answer (`cql`), so they live here once.
use super::{Api, Body, Keyed, Label, List, Pager, Stub, encode, label_names, user};
use crate::error::Error;
use crate::ids::{AttachmentId, PageId, SpaceId, SpaceKey, Version};
use crate::model::{
    Attachment, Comment, CommentId, CommentLocation, ContentKind, FoundPage, PageInfo, PageMeta,
    PageStatus, ParentKind, Resolution, ResolutionStatus, Space, UserRef,
};
use crate::transport::seen_from;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// Page size for v1 listings: Data Center caps most at 100 or more.
pub(crate) const LIMIT: usize = 100;
/// What an inventory listing expands: labels, and the creator's and last
/// editor's names (`history`, `version`), ride along because they change
/// without a page version, so only the listing can tell a sync about them.
pub(crate) const LISTING_EXPAND: &str = "version,ancestors,metadata.labels,history";

/// Follows v1 `_links.next`, which is relative to the context root
/// (unlike v2's, which already includes `/wiki`).
pub(crate) async fn all<T: DeserializeOwned + Keyed>(
    api: Api<'_>,
    first: String,
) -> Result<Vec<T>, Error> {
    all_map(api, first, Some).await
}

/// Like [`all`], keeping `f` of each item as its answer arrives: a listing
/// of 100,000 pages with their ancestors, versions and labels is not held
/// whole before it is boiled down. The listing is checked as it goes
/// ([`Pager`]): repeats, announced totals, count and time caps.
pub(crate) async fn all_map<T: DeserializeOwned + Keyed, U>(
    api: Api<'_>,
    first: String,
    f: impl Fn(T) -> Option<U>,
) -> Result<Vec<U>, Error> {
    let page: List<T> = api.get_json(&first).await?;
    all_map_from(api, first, page, f).await
}

/// [`all_map`] from its first page, already answered (`page`, the answer
/// to `first`): for a caller that decides how to list from it.
pub(crate) async fn all_map_from<T: DeserializeOwned + Keyed, U>(
    api: Api<'_>,
    first: String,
    page: List<T>,
    f: impl Fn(T) -> Option<U>,
) -> Result<Vec<U>, Error> {
    let mut out = Vec::new();
    let mut pager = Pager::new(&first);
    let mut seen = seen_from(&first);
    let mut answered = Some(page);
    let mut url = Some(first);
    while let Some(u) = url.take() {
        let mut page: List<T> = match answered.take() {
            Some(p) => p,
            None => api.get_json(&u).await?,
        };
        let n = page.results.len();
        pager.page(&mut page.results, page.total_size)?;
        out.extend(page.results.into_iter().filter_map(&f));
        // `limit=0` answers `next` to the same page: never loop on an empty one.
        if n == 0 {
            break;
        }
        url = match page.links.next {
            Some(next) => Some(api.transport.next_page(api.root, &next, &mut seen)?),
            None => None,
        };
    }
    pager.finish()?;
    Ok(out)
}

/// Offset pages [`all_by_offset`] asks at once, at most.
const OFFSET_FAN_OUT: usize = 16;

/// Like [`all_map`], for a listing paged by offset (`start`, Data Center's
/// content API): after the first page, the next ones are asked side by side
/// (2, then 4, … up to [`OFFSET_FAN_OUT`] at once) instead of each waiting
/// for the `next` link of the one before, until a page comes back short. A
/// space of 100,000 pages is then about 70 round trips instead of 1,000.
/// The step is the page size the server used (a server may cap `limit`);
/// a first page that is not exactly that full, a page longer than it, or a
/// page with results after a short one (the listing changed under it) sends
/// the listing back to the start, link by link, as [`all_map`] does. Pages
/// are checked in order like a chain's ([`Pager`]): repeats dropped, the
/// same caps.
pub(crate) async fn all_by_offset<T: DeserializeOwned + Keyed, U>(
    api: Api<'_>,
    first: String,
    f: impl Fn(T) -> Option<U>,
) -> Result<Vec<U>, Error> {
    let mut page: List<T> = api.get_json(&first).await?;
    let step = page.results.len();
    let full = step > 0 && page.limit.is_none_or(|l| l == step as u64);
    if page.links.next.is_none() || !full {
        // One page, or no step to trust: link by link from the one in hand.
        return all_map_from(api, first, page, f).await;
    }
    let mut pager = Pager::new(&first);
    pager.page(&mut page.results, page.total_size)?;
    let mut out: Vec<U> = page.results.into_iter().filter_map(&f).collect();
    let (mut start, mut wave) = (step, 2);
    loop {
        let answers = crate::join_all(
            (0..wave)
                .map(|i| -> crate::BoxFuture<'_, Result<List<T>, Error>> {
                    let url = format!("{first}&start={}", start + i * step);
                    Box::pin(async move { api.get_json(&url).await })
                })
                .collect(),
        )
        .await;
        let mut ended = false;
        for answer in answers {
            let mut page = answer?;
            let n = page.results.len();
            if n > step || (ended && n > 0) {
                tracing::debug!(url = %crate::error::redact(&first), "offset pages disagree: listing link by link");
                return all_map(api, first, f).await;
            }
            if ended {
                continue;
            }
            pager.page(&mut page.results, page.total_size)?;
            out.extend(page.results.into_iter().filter_map(&f));
            ended = n < step;
        }
        if ended {
            break;
        }
        start += wave * step;
        wave = (wave * 2).min(OFFSET_FAN_OUT);
    }
    pager.finish()?;
    Ok(out)
}

/// Spaces by key; all visible spaces when `keys` is empty.
pub(crate) async fn spaces(api: Api<'_>, keys: &[SpaceKey]) -> Result<Vec<Space>, Error> {
    let mut url = format!("{}/rest/api/space?limit={LIMIT}&expand=homepage", api.root);
    for k in keys {
        url.push_str("&spaceKey=");
        url.push_str(&encode(k.as_str()));
    }
    let spaces: Vec<V1Space> = all(api, url).await?;
    Ok(spaces.into_iter().map(Space::from).collect())
}

/// Spaces by id: v1 has no id filter, so all spaces, filtered.
pub(crate) async fn spaces_by_id(api: Api<'_>, ids: &[SpaceId]) -> Result<Vec<Space>, Error> {
    let all = spaces(api, &[]).await?;
    Ok(all.into_iter().filter(|s| ids.contains(&s.id)).collect())
}

/// A space's current pages and, `with_archived`, its archived ones (one
/// more listing, sent together with the first: the content API lists one
/// status at a time), current ones first.
pub(crate) async fn space_pages(
    api: Api<'_>,
    space: &Space,
    with_archived: bool,
) -> Result<Vec<PageMeta>, Error> {
    let statuses: &[&str] = if with_archived {
        &["current", "archived"]
    } else {
        &["current"]
    };
    let listings = crate::join_all(
        statuses
            .iter()
            .map(|status| -> crate::BoxFuture<'_, Result<Vec<PageMeta>, Error>> {
                let url = format!(
                    "{}/rest/api/content?type=page&status={status}&spaceKey={}&limit={LIMIT}&expand={LISTING_EXPAND}",
                    api.root,
                    encode(space.key.as_str())
                );
                Box::pin(all_by_offset(api, url, |p: V1Content| {
                    Some(p.into_meta(Some(space)).0)
                }))
            })
            .collect(),
    )
    .await;
    let mut out = Vec::new();
    for pages in listings {
        out.extend(pages?);
    }
    Ok(out)
}

/// Ids of a page's ancestors, highest first (v1 answers them all at once).
pub(crate) async fn ancestors(api: Api<'_>, page: &PageId) -> Result<Vec<PageId>, Error> {
    let url = format!(
        "{}/rest/api/content/{}?expand=ancestors",
        api.root,
        encode(page.as_str())
    );
    #[derive(Deserialize)]
    struct WithAncestors {
        #[serde(default)]
        ancestors: Vec<Stub>,
    }
    let c: WithAncestors = api.get_json(&url).await?;
    Ok(c.ancestors.into_iter().map(|a| PageId::new(a.id)).collect())
}

/// A page's body as Confluence renders it (`body.view`): where a Jira
/// macro's link shows the Jira site of its application link.
pub(crate) async fn page_view(api: Api<'_>, page: &PageId) -> Result<String, Error> {
    #[derive(serde::Deserialize)]
    struct W {
        body: B,
    }
    #[derive(serde::Deserialize)]
    struct B {
        view: V,
    }
    #[derive(serde::Deserialize)]
    struct V {
        value: String,
    }
    let url = format!(
        "{}/rest/api/content/{}?expand=body.view",
        api.root,
        encode(page.as_str())
    );
    let w: W = api.get_json(&url).await?;
    Ok(w.body.view.value)
}

/// A page's current attachments.
pub(crate) async fn attachments(api: Api<'_>, page: &PageId) -> Result<Vec<Attachment>, Error> {
    let url = format!(
        "{}/rest/api/content/{}/child/attachment?limit={LIMIT}&expand=version",
        api.root,
        encode(page.as_str())
    );
    let atts: Vec<V1Attachment> = all(api, url).await?;
    Ok(atts.into_iter().map(|a| a.into_attachment(page)).collect())
}

/// The id of the page titled exactly `title` in `space`, if visible.
pub(crate) async fn page_id_by_title(
    api: Api<'_>,
    space: &SpaceKey,
    title: &str,
) -> Result<Option<PageId>, Error> {
    let url = format!(
        "{}/rest/api/content?type=page&spaceKey={}&title={}&limit=1",
        api.root,
        encode(space.as_str()),
        encode(title)
    );
    let found: List<Stub> = api.get_json(&url).await?;
    Ok(found.results.into_iter().next().map(|p| PageId::new(p.id)))
}

/// Display names by Cloud account id (bulk, 100 per request). Unknown or
/// invisible users, and users without a name, are absent from the map.
pub(crate) async fn account_names(
    api: Api<'_>,
    ids: &[String],
) -> Result<HashMap<String, String>, Error> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(100) {
        let mut url = format!("{}/rest/api/user/bulk?limit=100", api.root);
        for id in chunk {
            url.push_str("&accountId=");
            url.push_str(&encode(id));
        }
        let users: Vec<V1User> = all(api, url).await?;
        out.extend(
            users
                .into_iter()
                .filter_map(|u| Some((u.account_id?, u.display_name?))),
        );
    }
    Ok(out)
}

/// Display names by Data Center user key (one request each; unknown keys
/// are absent from the map).
pub(crate) async fn user_key_names(
    api: Api<'_>,
    keys: &[String],
) -> Result<HashMap<String, String>, Error> {
    let mut out = HashMap::new();
    for key in keys {
        let url = format!("{}/rest/api/user?key={}", api.root, encode(key));
        match api.get_json::<V1User>(&url).await {
            Ok(u) => {
                if let Some(name) = u.display_name {
                    out.insert(key.clone(), name);
                }
            }
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// The REST download endpoint of an attachment (Cloud answers it with a
/// 302 to a media URL that authenticates by its own token).
pub(crate) fn download_endpoint(api: Api<'_>, att: &Attachment) -> String {
    format!(
        "{}/rest/api/content/{}/child/attachment/{}/download",
        api.root,
        encode(att.page_id.as_str()),
        encode(att.id.as_str())
    )
}

/// The download link a listing gave, made absolute (Data Center).
pub(crate) fn download_link(api: Api<'_>, att: &Attachment) -> Result<String, Error> {
    match &att.download_link {
        Some(link) => Ok(format!("{}{link}", api.root)),
        None => Err(Error::Status {
            status: 0,
            url: api.root.to_owned(),
            message: format!("attachment `{}` has no download link", att.filename),
        }),
    }
}

// ---- Wire shapes (only the fields we read) ----

#[derive(Deserialize)]
struct V1Ref {
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
struct V1Space {
    #[serde(default)]
    id: serde_json::Value,
    key: String,
    #[serde(default)]
    name: String,
    homepage: Option<V1Ref>,
}

impl Keyed for V1Space {
    fn key(&self) -> Option<&str> {
        Some(&self.key)
    }
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

/// A user as v1 answers name them: in page and comment histories, and
/// from the user endpoints.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1User {
    account_id: Option<String>,
    user_key: Option<String>,
    display_name: Option<String>,
}

impl Keyed for V1User {
    fn key(&self) -> Option<&str> {
        self.account_id.as_deref().or(self.user_key.as_deref())
    }
}

impl V1User {
    /// For pages: empty ids and names count as absent.
    fn into_ref(self) -> Option<UserRef> {
        user(self.account_id.or(self.user_key), self.display_name)
    }

    /// For comments, which have always taken the answer as it is.
    fn into_raw_ref(self) -> Option<UserRef> {
        Some(UserRef {
            id: self.account_id.or(self.user_key)?.into(),
            display_name: self.display_name.map(Into::into),
        })
    }
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
    results: Vec<Label>,
}

#[derive(Deserialize)]
struct V1ContentExtensions {
    #[serde(default)]
    position: serde_json::Value,
}

/// A page (or other content) from a v1 listing or a CQL search.
#[derive(Deserialize)]
pub(crate) struct V1Content {
    id: String,
    /// `page`, `blogpost`, …
    #[serde(rename = "type")]
    content_type: Option<String>,
    title: String,
    #[serde(default)]
    status: String,
    space: Option<V1Space>,
    version: Option<V1Version>,
    #[serde(default)]
    ancestors: Vec<V1Ref>,
    body: Option<Body>,
    extensions: Option<V1ContentExtensions>,
    history: Option<V1History>,
    metadata: Option<V1Metadata>,
}

impl Keyed for V1Content {
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl V1Content {
    /// The page as a lookup by id found it (`space` and `ancestors` expanded).
    pub(crate) fn into_found(self) -> FoundPage {
        FoundPage {
            kind: ContentKind::parse(self.content_type.as_deref()),
            id: PageId::new(self.id),
            status: PageStatus::parse(&self.status),
            space: self.space.map(|s| SpaceKey::new(s.key)),
            ancestors: self
                .ancestors
                .into_iter()
                .map(|a| PageId::new(a.id))
                .collect(),
        }
    }

    /// The page's id and label names (`metadata.labels` expanded).
    pub(crate) fn into_labels(self) -> (PageId, Vec<String>) {
        let labels = self
            .metadata
            .and_then(|m| m.labels)
            .map(|l| label_names(l.results))
            .unwrap_or_default();
        (PageId::new(self.id), labels)
    }

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
            (
                h.created_date.map(crate::Timestamp::from),
                h.created_by.and_then(V1User::into_ref),
            )
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
                kind: ContentKind::parse(self.content_type.as_deref()),
                title: self.title,
                space_id,
                // v1 ancestors run root first, immediate parent last.
                parent: self.ancestors.last().map(|a| {
                    (
                        PageId::new(a.id.clone()),
                        ParentKind::parse(a.kind.as_deref()),
                    )
                }),
                position: self.extensions.and_then(|e| e.position.as_i64()),
                status: PageStatus::parse(&self.status),
                version: Version(version.number),
                modified_at: version.when.into(),
                info: Box::new(info),
            },
            self.body.and_then(Body::into_storage),
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
    /// Where the unexpanded parts are: `container` names the owning page
    /// (`/rest/api/content/ID`) without the page itself.
    #[serde(rename = "_expandable")]
    expandable: Option<V1Expandable>,
}

#[derive(Deserialize)]
struct V1Expandable {
    container: Option<String>,
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

impl Keyed for V1Attachment {
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl V1Attachment {
    /// The id of the page an attachment found by CQL belongs to: its
    /// expanded `container`, else the content id its unexpanded
    /// `container` link names (`/rest/api/content/ID`), which saves
    /// expanding the whole page on every attachment. `None`: neither.
    pub(crate) fn owner(&self) -> Option<String> {
        if let Some(c) = &self.container {
            return Some(c.id.clone());
        }
        let link = self.expandable.as_ref()?.container.as_deref()?;
        let id = link.trim_end_matches('/').rsplit('/').next()?;
        (link.contains("/content/") && !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
            .then(|| id.to_owned())
    }

    /// An attachment found by CQL, with its page ([`Self::owner`]; `None`
    /// when the answer names none).
    pub(crate) fn into_contained_attachment(self) -> Option<Attachment> {
        let page = PageId::new(self.owner()?);
        Some(self.into_attachment(&page))
    }

    /// The attachment's version: its expanded `version`, else the
    /// `version=` of its download link (Confluence's links carry the
    /// version they download, which the download needs). `None`: neither.
    pub(crate) fn version_number(&self) -> Option<u64> {
        if let Some(v) = &self.version {
            return Some(v.number);
        }
        let link = self.links.as_ref()?.download.as_deref()?;
        let (_, query) = link.split_once('?')?;
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix("version="))
            .and_then(|n| n.parse::<u64>().ok())
            .filter(|n| *n >= 1)
    }

    fn into_attachment(self, owner: &PageId) -> Attachment {
        let version = Version(self.version_number().unwrap_or(1));
        let (media_type, file_size) = self
            .extensions
            .map_or((String::new(), None), |e| (e.media_type, e.file_size));
        Attachment {
            id: AttachmentId::new(self.id),
            filename: self.title,
            media_type,
            file_size,
            page_id: owner.clone(),
            version,
            download_link: self.links.and_then(|l| l.download),
        }
    }
}

/// Just a content's id and body (comment bodies by id).
#[derive(Deserialize)]
pub(crate) struct V1BodyOnly {
    pub id: String,
    pub body: Option<Body>,
}

impl Keyed for V1BodyOnly {
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Inline {
    original_selection: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1Resolution {
    status: String,
    last_modifier: Option<V1User>,
    last_modified_date: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1CommentExtensions {
    location: Option<String>,
    inline_properties: Option<V1Inline>,
    resolution: Option<V1Resolution>,
}

/// A comment from a CQL search.
#[derive(Deserialize)]
pub(crate) struct V1Comment {
    id: String,
    #[serde(rename = "type", default)]
    kind: String,
    container: Option<V1Ref>,
    #[serde(default)]
    ancestors: Vec<V1Ref>,
    version: Option<V1Version>,
    history: Option<V1History>,
    body: Option<Body>,
    extensions: Option<V1CommentExtensions>,
}

impl Keyed for V1Comment {
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl V1Comment {
    /// A comment, or `None` for anything that is not a comment on a page.
    pub(crate) fn into_comment(self) -> Option<Comment> {
        if self.kind != "comment" {
            return None;
        }
        let page = PageId::new(self.container?.id);
        let (location, resolution) = match self.extensions {
            Some(V1CommentExtensions {
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
                        by: r.last_modifier.and_then(V1User::into_raw_ref),
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
                h.created_by.and_then(V1User::into_raw_ref),
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
            body: self.body.and_then(Body::into_storage).unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::V1Attachment;

    /// Offset pages asked side by side give what following the links
    /// gives, in fewer rounds: on a Data Center site of 950 pages (ten
    /// pages of 100, the last short), and when the server caps `limit`.
    #[test]
    fn offset_pages_side_by_side_list_what_the_links_list() {
        use crate::{Client, ClientConfig, Credentials, Flavor, Secret};
        use confluence_sim::{SimConfig, spawn};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let sim = spawn(
            SimConfig::generate("pages=950,spaces=1,depth=3,attachments=0,body_kb=1,seed=4")
                .unwrap()
                .flavor(confluence_sim::Flavor::DataCenter),
        )
        .unwrap();
        let client = Client::new(ClientConfig::new(
            sim.url(),
            Flavor::DataCenter,
            Credentials::Bearer(Secret::new("sim-pat")),
        ))
        .unwrap();
        let api = client.api();
        let id = |p: super::V1Content| Some(p.into_meta(None).0.id);
        rt.block_on(async {
            for limit in [100, 37] {
                let url = format!(
                    "{}/rest/api/content?type=page&status=current&spaceKey=GEN0&limit={limit}&expand=version",
                    api.root
                );
                let before = client.stats().requests;
                let mut linked = super::all_map(api, url.clone(), id).await.unwrap();
                let chained = client.stats().requests - before;
                let before = client.stats().requests;
                sim.control("POST", "/__sim/stats/reset", None);
                // Some latency, so requests sent together overlap visibly.
                sim.control("PUT", "/__sim/network", Some(serde_json::json!({"latency_ms": 20})));
                let mut fanned = super::all_by_offset(api, url, id).await.unwrap();
                sim.control("DELETE", "/__sim/network", None);
                let fanned_requests = client.stats().requests - before;
                let (_, stats) = sim.control("GET", "/__sim/stats", None);
                let at_once = stats["max_in_flight"].as_u64().unwrap();
                assert!(at_once > 1, "{limit}: never more than {at_once} in flight");
                assert_eq!(linked.len(), 950, "{limit}");
                linked.sort();
                fanned.sort();
                assert_eq!(fanned, linked, "{limit}");
                // At most one wave's worth of empty pages past the end.
                assert!(fanned_requests <= chained + 16, "{fanned_requests} vs {chained}");
            }
        });
    }

    fn owner(json: &str) -> Option<String> {
        serde_json::from_str::<V1Attachment>(json).unwrap().owner()
    }

    /// The page comes from the expanded container, else from the
    /// unexpanded link; an answer with neither names no page (and the
    /// listing is asked again, expanded).
    #[test]
    fn an_attachments_page_is_read_from_either_container_form() {
        let base = r#""id":"att7","title":"a.png""#;
        assert_eq!(
            owner(&format!(r#"{{{base},"container":{{"id":"42"}}}}"#)).as_deref(),
            Some("42")
        );
        assert_eq!(
            owner(&format!(
                r#"{{{base},"_expandable":{{"container":"/rest/api/content/1001"}}}}"#
            ))
            .as_deref(),
            Some("1001")
        );
        assert_eq!(owner(&format!(r#"{{{base}}}"#)), None);
        assert_eq!(
            owner(&format!(
                r#"{{{base},"_expandable":{{"container":"/rest/api/space/DEMO"}}}}"#
            )),
            None
        );
        assert_eq!(
            owner(&format!(r#"{{{base},"_expandable":{{"container":""}}}}"#)),
            None
        );
    }

    /// The version comes from the expanded `version`, else from the
    /// download link's `version=`; an answer with neither has none (and
    /// the listing is asked again, expanded).
    #[test]
    fn an_attachments_version_is_read_from_either_form() {
        let version = |json: &str| {
            serde_json::from_str::<V1Attachment>(json)
                .unwrap()
                .version_number()
        };
        let base = r#""id":"att7","title":"a.png""#;
        let link = |q: &str| {
            format!(r#"{{{base},"_links":{{"download":"/download/attachments/1/a.png{q}"}}}}"#)
        };
        assert_eq!(
            version(&format!(r#"{{{base},"version":{{"number":3}}}}"#)),
            Some(3)
        );
        assert_eq!(
            version(&link("?version=12&modificationDate=1721652427731&api=v2")),
            Some(12)
        );
        assert_eq!(
            version(&link("?modificationDate=1&cacheVersion=1&version=2")),
            Some(2)
        );
        for q in [
            "",
            "?cacheVersion=4",
            "?version=",
            "?version=0",
            "?version=x",
        ] {
            assert_eq!(version(&link(q)), None, "{q}");
        }
        assert_eq!(version(&format!(r#"{{{base}}}"#)), None);
    }
}
