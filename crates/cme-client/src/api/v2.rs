//! Cloud's v2 API (`/wiki/api/v2/…`): spaces, page bodies by id,
//! attachments, ancestors and folders, with cursor pagination. Cloud only:
//! Data Center has no v2, so nothing here needs to know about flavours.
use super::{
    Api, Body, Keyed, Label, List, Pager, SharedText, Stub, encode, label_names, user_by_id,
};
use crate::error::Error;
use crate::ids::{AttachmentId, PageId, SpaceId, SpaceKey, Version};
use crate::model::{
    Attachment, ContentKind, PageBody, PageInfo, PageMeta, PageStatus, ParentKind, Space,
};
use crate::transport::seen_from;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// Page size for every v2 listing: the documented maximum.
const LIMIT: usize = 250;

/// Follows v2 `_links.next` (origin-relative, already including `/wiki`).
async fn all<T: DeserializeOwned + Keyed>(api: Api<'_>, first: String) -> Result<Vec<T>, Error> {
    up_to(api, first, usize::MAX).await
}

/// Like [`all`], but stops once `max` results are in: a full page still
/// carries a `next` link, and following it costs a request that can only
/// return nothing.
async fn up_to<T: DeserializeOwned + Keyed>(
    api: Api<'_>,
    first: String,
    max: usize,
) -> Result<Vec<T>, Error> {
    up_to_map(api, first, max, None, Some).await
}

/// A total announced for a listing by another request (v2 cursors carry
/// none), once it arrives: `u64::MAX` until then.
pub(crate) type Announced = std::sync::atomic::AtomicU64;

/// Like [`up_to`], keeping `f` of each result as its page arrives, so a
/// long listing is boiled down as it goes rather than held whole. With
/// `announced`, the listing is held to that total as a CQL listing is to
/// its own ([`Pager`]: not far more, not fewer).
async fn up_to_map<T: DeserializeOwned + Keyed, U>(
    api: Api<'_>,
    first: String,
    max: usize,
    announced: Option<&Announced>,
    f: impl Fn(T) -> Option<U>,
) -> Result<Vec<U>, Error> {
    let mut out = Vec::new();
    let mut pager = Pager::new(&first);
    let mut seen = seen_from(&first);
    let mut url = Some(first);
    while let Some(u) = url.take() {
        let mut page: List<T> = api.get_json(&u).await?;
        let elsewhere = announced
            .map(|a| a.load(std::sync::atomic::Ordering::Acquire))
            .filter(|&t| t != u64::MAX);
        pager.page(&mut page.results, page.total_size.or(elsewhere))?;
        // Room made once: filtered, the results would grow it one by one.
        out.reserve(page.results.len());
        out.extend(page.results.into_iter().filter_map(&f));
        // No stop on an empty page: Cloud may filter a whole page away
        // for permissions and still have more. `seen` stops loops.
        if out.len() >= max {
            break;
        }
        url = match page.links.next {
            Some(next) => Some(api.transport.next_page(api.origin, &next, &mut seen)?),
            None => None,
        };
    }
    if out.len() < max {
        pager.finish()?;
    }
    Ok(out)
}

/// Spaces by key; all visible spaces when `keys` is empty.
pub(crate) async fn spaces(api: Api<'_>, keys: &[SpaceKey]) -> Result<Vec<Space>, Error> {
    let mut url = format!("{}/api/v2/spaces?limit={LIMIT}", api.root);
    if !keys.is_empty() {
        let csv: Vec<&str> = keys.iter().map(SpaceKey::as_str).collect();
        url.push_str("&keys=");
        url.push_str(&encode(&csv.join(",")));
    }
    let spaces: Vec<V2Space> = all(api, url).await?;
    Ok(spaces.into_iter().map(Space::from).collect())
}

/// Spaces by id, 250 ids per request.
pub(crate) async fn spaces_by_id(api: Api<'_>, ids: &[SpaceId]) -> Result<Vec<Space>, Error> {
    let mut out = Vec::new();
    for chunk in ids.chunks(LIMIT) {
        let csv: Vec<&str> = chunk.iter().map(SpaceId::as_str).collect();
        let url = format!(
            "{}/api/v2/spaces?ids={}&limit={LIMIT}",
            api.root,
            encode(&csv.join(","))
        );
        let spaces: Vec<V2Space> = all(api, url).await?;
        out.extend(spaces.into_iter().map(Space::from));
    }
    Ok(out)
}

/// Ids of a page's ancestors, highest first. v2 answers at most 250,
/// highest first, with no cursor: to go higher, ask again from the highest.
pub(crate) async fn ancestors(api: Api<'_>, page: &PageId) -> Result<Vec<PageId>, Error> {
    let mut chain: Vec<PageId> = Vec::new();
    let mut from = page.clone();
    loop {
        let url = format!(
            "{}/api/v2/pages/{}/ancestors?limit={LIMIT}",
            api.root,
            encode(from.as_str())
        );
        let list: List<Stub> = api.get_json(&url).await?;
        let n = list.results.len();
        let mut ids: Vec<PageId> = list
            .results
            .into_iter()
            .map(|a| PageId::new(a.id))
            .collect();
        ids.append(&mut chain);
        chain = ids;
        if n < LIMIT {
            return Ok(chain);
        }
        from = chain[0].clone();
    }
}

/// A folder, as listing data: it carries the same fields as a page.
pub(crate) async fn folder(api: Api<'_>, id: &PageId) -> Result<PageMeta, Error> {
    let url = format!("{}/api/v2/folders/{}", api.root, encode(id.as_str()));
    let folder: V2Page = api.get_json(&url).await?;
    Ok(folder.into_meta().0)
}

/// Pages (`/pages`) or blog posts (`/blogposts`) with storage bodies,
/// 250 ids per request.
pub(crate) async fn pages_with_bodies(
    api: Api<'_>,
    kind: ContentKind,
    ids: &[PageId],
) -> Result<Vec<PageBody>, Error> {
    let mut out = Vec::with_capacity(ids.len());
    let family = match kind {
        ContentKind::Page => "pages",
        ContentKind::BlogPost => "blogposts",
    };
    for chunk in ids.chunks(LIMIT) {
        let csv: Vec<&str> = chunk.iter().map(PageId::as_str).collect();
        let url = format!(
            "{}/api/v2/{family}?id={}&body-format=storage&limit={LIMIT}",
            api.root,
            encode(&csv.join(","))
        );
        let pages: Vec<V2Page> = up_to(api, url, chunk.len()).await?;
        out.extend(pages.into_iter().map(|p| {
            let (mut meta, body) = p.into_meta();
            meta.kind = kind;
            PageBody {
                meta,
                storage: body.unwrap_or_default(),
            }
        }));
    }
    Ok(out)
}

/// Which pages of a space a listing names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Depth {
    /// Every page.
    All,
    /// Only the pages at the space root.
    Root,
}

/// A space's current and archived pages without bodies or labels: ~0.7 KB
/// a page, 250 a request (v2 answers no display names: see
/// [`crate::Client::fill_names`]).
pub(crate) async fn space_pages(
    api: Api<'_>,
    space: &SpaceId,
    depth: Depth,
    announced: Option<&Announced>,
) -> Result<Vec<PageMeta>, Error> {
    let url = space_pages_url(api, space, depth);
    up_to_map(api, url, usize::MAX, announced, |p: V2Page| {
        Some(p.into_meta().0)
    })
    .await
}

/// The pages at a space's root, as [`space_pages`] lists them; once `max`
/// are in, no more pages of them are asked.
pub(crate) async fn space_roots(
    api: Api<'_>,
    space: &SpaceId,
    max: usize,
) -> Result<Vec<PageMeta>, Error> {
    let url = space_pages_url(api, space, Depth::Root);
    up_to_map(api, url, max, None, |p: V2Page| Some(p.into_meta().0)).await
}

/// A space's archived pages alone, as [`space_pages`] lists them (a search
/// need not find them).
pub(crate) async fn archived_pages(api: Api<'_>, space: &SpaceId) -> Result<Vec<PageMeta>, Error> {
    let url = format!(
        "{}/api/v2/spaces/{}/pages?depth=all&status=archived&limit={LIMIT}",
        api.root,
        encode(space.as_str())
    );
    up_to_map(api, url, usize::MAX, None, |p: V2Page| {
        Some(p.into_meta().0)
    })
    .await
}

/// The first URL of [`space_pages`].
pub(crate) fn space_pages_url(api: Api<'_>, space: &SpaceId, depth: Depth) -> String {
    let depth = match depth {
        Depth::All => "all",
        Depth::Root => "root",
    };
    format!(
        "{}/api/v2/spaces/{}/pages?depth={depth}&status=current&status=archived&limit={LIMIT}",
        api.root,
        encode(space.as_str())
    )
}

/// Current and archived pages by id, without bodies: 250 ids a request,
/// the requests sent together. Ids not found are absent.
pub(crate) async fn pages_by_id(api: Api<'_>, ids: &[PageId]) -> Result<Vec<PageMeta>, Error> {
    let answers = pages_by_id_in_chunks(api, ids).await?;
    let mut out = Vec::with_capacity(answers.iter().map(Vec::len).sum());
    for answer in answers {
        out.extend(answer);
    }
    Ok(out)
}

/// [`pages_by_id`], each request's pages apart (in the order asked), for a
/// caller that sorts them without holding them twice.
pub(crate) async fn pages_by_id_in_chunks(
    api: Api<'_>,
    ids: &[PageId],
) -> Result<Vec<Vec<PageMeta>>, Error> {
    let requests = ids
        .chunks(LIMIT)
        .map(
            |chunk| -> crate::BoxFuture<'_, Result<Vec<PageMeta>, Error>> {
                let csv: Vec<&str> = chunk.iter().map(PageId::as_str).collect();
                let url = format!(
                    "{}/api/v2/pages?id={}&status=current&status=archived&limit={LIMIT}",
                    api.root,
                    encode(&csv.join(","))
                );
                let n = chunk.len();
                Box::pin(async move {
                    up_to_map(api, url, n, None, |p: V2Page| Some(p.into_meta().0)).await
                })
            },
        )
        .collect();
    crate::join_all(requests).await.into_iter().collect()
}

/// A node of the page tree as v2's tree listings name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeNode {
    /// Content id.
    pub id: PageId,
    /// Page, folder or other content.
    pub kind: ParentKind,
}

#[derive(Deserialize)]
struct V2TreeItem {
    id: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    depth: Option<u32>,
}

impl Keyed for V2TreeItem {
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// Where a tree node's own listings live (`pages` or `folders`).
fn tree_base(kind: &ParentKind) -> Option<&'static str> {
    match kind {
        ParentKind::Page => Some("pages"),
        ParentKind::Folder => Some("folders"),
        ParentKind::Other(_) => None,
    }
}

/// The direct children of a page or folder (pages, folders and other
/// content); once `max` are in, no more pages of them are asked.
pub(crate) async fn direct_children(
    api: Api<'_>,
    node: &TreeNode,
    max: usize,
) -> Result<Vec<TreeNode>, Error> {
    let Some(base) = tree_base(&node.kind) else {
        return Ok(Vec::new());
    };
    let url = format!(
        "{}/api/v2/{base}/{}/direct-children?limit={LIMIT}",
        api.root,
        encode(node.id.as_str())
    );
    up_to_map(api, url, max, None, |c: V2TreeItem| {
        Some(TreeNode {
            id: PageId::new(c.id),
            kind: ParentKind::parse(c.kind.as_deref()),
        })
    })
    .await
}

/// Deepest level one descendants request reaches (v2 caps `depth` at 10).
const TREE_DEPTH: u32 = 10;

/// Everything below a page or folder, at any depth: v2 `descendants`
/// reaches 10 levels a listing, so the nodes at the 10th level are asked
/// again, together.
pub(crate) async fn descendants(api: Api<'_>, node: &TreeNode) -> Result<Vec<TreeNode>, Error> {
    let mut out = Vec::new();
    let mut frontier = vec![node.clone()];
    // Bounded: a malformed tree must not loop forever.
    let mut rounds = 0;
    while !frontier.is_empty() && rounds < 1000 {
        rounds += 1;
        let requests = frontier
            .iter()
            .filter_map(|n| Some((tree_base(&n.kind)?, n)))
            .map(
                |(base, n)| -> crate::BoxFuture<'_, Result<Vec<(TreeNode, bool)>, Error>> {
                    let url = format!(
                        "{}/api/v2/{base}/{}/descendants?depth={TREE_DEPTH}&limit={LIMIT}",
                        api.root,
                        encode(n.id.as_str())
                    );
                    Box::pin(up_to_map(api, url, usize::MAX, None, |c: V2TreeItem| {
                        let deepest = c.depth == Some(TREE_DEPTH);
                        Some((
                            TreeNode {
                                id: PageId::new(c.id),
                                kind: ParentKind::parse(c.kind.as_deref()),
                            },
                            deepest,
                        ))
                    }))
                },
            )
            .collect();
        let mut next = Vec::new();
        for answer in crate::join_all(requests).await {
            for (n, deepest) in answer? {
                if deepest {
                    next.push(n.clone());
                }
                out.push(n);
            }
        }
        frontier = next;
    }
    Ok(out)
}

/// The names of the labels on a space's content (each once). They only
/// name what the labelled-pages search asks for (its answers carry each
/// page's labels with their real prefixes, filtered as [`label_names`]
/// does), so a name too many costs nothing and one too few would lose a
/// page's labels: v2 calls the labels everyone sees `team` where v1 says
/// `global`, so both are kept, with unprefixed ones.
pub(crate) async fn content_labels(api: Api<'_>, space: &SpaceId) -> Result<Vec<String>, Error> {
    let url = format!(
        "{}/api/v2/spaces/{}/content/labels?limit={LIMIT}",
        api.root,
        encode(space.as_str())
    );
    let labels: Vec<V2Label> = all(api, url).await?;
    let mut names: Vec<String> = labels
        .into_iter()
        .filter(|l| matches!(l.label.prefix(), "" | "global" | "team"))
        .map(|l| l.label.into_name())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

#[derive(Deserialize)]
struct V2Label {
    id: String,
    #[serde(flatten)]
    label: Label,
}

impl Keyed for V2Label {
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
}

/// A page's current attachments.
pub(crate) async fn attachments(api: Api<'_>, page: &PageId) -> Result<Vec<Attachment>, Error> {
    let url = format!(
        "{}/api/v2/pages/{}/attachments?limit={LIMIT}",
        api.root,
        encode(page.as_str())
    );
    let atts: Vec<V2Attachment> = all(api, url).await?;
    Ok(atts.into_iter().map(|a| a.into_attachment(page)).collect())
}

// ---- Wire shapes (only the fields we read) ----

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Space {
    id: String,
    key: String,
    name: String,
    homepage_id: Option<String>,
}

impl Keyed for V2Space {
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
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
struct V2Page {
    // What is not kept is read inline or shared: texts made for each page
    // and let go at once left a large listing's memory in holes.
    id: PageId,
    title: String,
    space_id: SpaceId,
    parent_id: Option<PageId>,
    parent_type: Option<smol_str::SmolStr>,
    position: Option<i64>,
    status: smol_str::SmolStr,
    version: V2Version,
    #[serde(default)]
    body: Option<Body>,
    author_id: Option<SharedText>,
    created_at: Option<crate::Timestamp>,
    labels: Option<V2Labels>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Version {
    number: u64,
    #[serde(default)]
    created_at: crate::Timestamp,
    author_id: Option<SharedText>,
}

/// `include-labels`: at most 50, with `meta.hasMore` beyond.
#[derive(Deserialize)]
struct V2Labels {
    #[serde(default)]
    results: Vec<Label>,
}

impl Keyed for V2Page {
    fn key(&self) -> Option<&str> {
        Some(self.id.as_str())
    }
}

impl V2Page {
    fn into_meta(self) -> (PageMeta, Option<String>) {
        let parent = self
            .parent_id
            .map(|pid| (pid, ParentKind::parse(self.parent_type.as_deref())));
        let body = self.body.and_then(Body::into_storage);
        (
            PageMeta {
                id: self.id,
                kind: ContentKind::Page,
                title: self.title,
                space_id: self.space_id,
                parent,
                position: self.position,
                status: PageStatus::parse(&self.status),
                version: Version(self.version.number),
                modified_at: self.version.created_at,
                info: Box::new(PageInfo {
                    created_at: self.created_at,
                    author: user_by_id(self.author_id),
                    last_editor: user_by_id(self.version.author_id),
                    labels: self.labels.map(|l| label_names(l.results)),
                }),
            },
            body,
        )
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V2Attachment {
    id: String,
    title: String,
    #[serde(default)]
    media_type: String,
    file_size: Option<u64>,
    page_id: Option<String>,
    version: Option<V2Version>,
    download_link: Option<String>,
}

impl Keyed for V2Attachment {
    fn key(&self) -> Option<&str> {
        Some(&self.id)
    }
}

impl V2Attachment {
    fn into_attachment(self, owner: &PageId) -> Attachment {
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
