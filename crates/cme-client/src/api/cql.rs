//! CQL searches (`/rest/api/content/search?cql=…`), the one listing that
//! filters by space, ancestor or id list on both flavours and can carry
//! labels and histories. Every query is built here, so values are quoted
//! one way and page sizes chosen in one place; answers come in v1 shapes.
use super::v1::{self, LISTING_EXPAND, V1Attachment, V1BodyOnly, V1Comment, V1Content};
use super::{Api, Body, List, encode};
use crate::error::Error;
use crate::flavor::Flavor;
use crate::ids::{PageId, SpaceKey};
use crate::model::{Attachment, Comment, CommentId, FoundPage, PageBody, PageMeta};
use std::collections::{HashMap, HashSet};

/// CQL answers at most 50 results when bodies are expanded.
const BODY_LIMIT: usize = 50;
/// Ids per `id in (…)` query without bodies, and its page size.
const ID_BATCH: usize = 100;
/// What a page listing expands, beyond [`LISTING_EXPAND`], when its pages
/// may come from several spaces.
const PAGES_EXPAND: &str = "space";
/// What a comment listing expands: where each sits, its thread and state.
const COMMENT_EXPAND: &str =
    "container,ancestors,version,history,extensions.inlineProperties,extensions.resolution";

/// Page size of a search with no bodies expanded: Data Center caps these
/// at 200 (Atlassian KB); Cloud is asked for v2's 250.
fn listing_limit(flavor: Flavor) -> usize {
    match flavor {
        Flavor::Cloud => 250,
        Flavor::DataCenter => 200,
    }
}

/// A CQL string literal: `value` in double quotes, with `\` and `"` escaped.
fn quote(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `id in (…)` clauses over `ids`, `per` ids a clause; `keep` drops ids
/// from their clause, and a clause left with none is skipped.
fn id_batches<'a>(
    ids: impl IntoIterator<Item = &'a str>,
    per: usize,
    keep: impl Fn(&str) -> bool,
) -> Vec<String> {
    let ids: Vec<&str> = ids.into_iter().collect();
    ids.chunks(per)
        .filter_map(|chunk| {
            let kept: Vec<&str> = chunk.iter().copied().filter(|i| keep(i)).collect();
            (!kept.is_empty()).then(|| format!("id in ({})", kept.join(",")))
        })
        .collect()
}

/// Ids the server sent as decimals; anything else is refused rather than
/// spliced into a query.
fn is_decimal(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

/// The search URL for `cql`; `expand` empty asks for nothing expanded.
fn search(api: Api<'_>, cql: &str, limit: usize, expand: &str) -> String {
    let mut url = format!(
        "{}/rest/api/content/search?cql={}&limit={limit}",
        api.root,
        encode(cql)
    );
    if !expand.is_empty() {
        url.push_str("&expand=");
        url.push_str(expand);
    }
    url
}

fn space_pages_cql(space: &SpaceKey) -> String {
    format!("type = page and space = {}", quote(space.as_str()))
}

fn space_blog_posts_cql(space: &SpaceKey) -> String {
    format!("type = blogpost and space = {}", quote(space.as_str()))
}

fn space_attachments_cql(space: &SpaceKey) -> String {
    format!("type = attachment AND space = {}", quote(space.as_str()))
}

fn space_comments_cql(space: &SpaceKey) -> String {
    format!("type = comment AND space = {}", quote(space.as_str()))
}

/// A space's current and archived pages, without bodies, everything
/// expanded (~8 KB a page): the listing Cloud's lean inventory replaced,
/// kept as the oracle its tests compare it with.
#[cfg(test)]
pub(crate) async fn space_pages(
    api: Api<'_>,
    flavor: Flavor,
    space: &crate::model::Space,
) -> Result<Vec<PageMeta>, Error> {
    use crate::model::PageStatus;
    let url = search(
        api,
        &space_pages_cql(&space.key),
        listing_limit(flavor),
        LISTING_EXPAND,
    );
    v1::all_map(api, url, |p: V1Content| {
        Some(p.into_meta(Some(space)).0)
            .filter(|p| matches!(p.status, PageStatus::Current | PageStatus::Archived))
    })
    .await
}

/// A space's current blog posts, without bodies, everything expanded
/// (labels, creator, last editor): one listing, ⌈B/250⌉ requests on
/// Cloud, ⌈B/200⌉ on Data Center.
pub(crate) async fn space_blog_posts(
    api: Api<'_>,
    flavor: Flavor,
    space: &crate::model::Space,
) -> Result<Vec<PageMeta>, Error> {
    use crate::model::{ContentKind, PageStatus};
    let url = search(
        api,
        &space_blog_posts_cql(&space.key),
        listing_limit(flavor),
        LISTING_EXPAND,
    );
    let mut posts = v1::all_map(api, url, |p: V1Content| {
        let mut meta = p.into_meta(Some(space)).0;
        // A blog post has no place in the page tree, whatever the answer says.
        meta.kind = ContentKind::BlogPost;
        meta.parent = None;
        meta.position = None;
        Some(meta).filter(|p| p.status == PageStatus::Current)
    })
    .await?;
    // Offset paging over a changing space can show an item twice.
    let mut seen = HashSet::new();
    posts.retain(|p| seen.insert(p.id.clone()));
    Ok(posts)
}

/// Labels per `label in (…)` query: keeps its URL a few KB long.
const LABEL_BATCH: usize = 100;

/// Label names a large space's labelled pages are split by, one query
/// each (their `not in` lists keep the URLs short).
const LABEL_SPLIT: usize = 16;

/// How many pages a space has, as a search counts them (current ones;
/// `archived` when the server counts archived ones apart): one request
/// with no results (`/rest/api/search?limit=0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageCount {
    pub total: u64,
    pub archived: u64,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct CountOnly {
    #[serde(default)]
    total_size: u64,
    #[serde(default)]
    archived_result_count: u64,
}

/// The count of a space's pages: what decides whether its listing is
/// partitioned, and what a partitioned listing is checked against.
pub(crate) async fn page_count(api: Api<'_>, space: &SpaceKey) -> Result<PageCount, Error> {
    let c = counted(api, &space_pages_cql(space)).await?;
    Ok(PageCount {
        total: c.total_size,
        archived: c.archived_result_count,
    })
}

/// A page and its label names.
type Labelled = (PageId, Vec<String>);

/// The labels of a space's pages that carry any of `labels` (the names
/// its content labels listing gave): only labelled pages are sent, with
/// their labels and nothing else expanded. ⌈L/250⌉ requests per 100 label
/// names, the batches sent together. `split` (a large space): the first
/// [`LABEL_SPLIT`] names are asked one query each, each leaving out the
/// pages the queries before it name (`label = c and label not in (a, b)`),
/// so the parts are disjoint and run side by side: a chain of requests per
/// label instead of one through every labelled page.
pub(crate) async fn labelled_pages(
    api: Api<'_>,
    flavor: Flavor,
    space: &SpaceKey,
    labels: &[String],
    split: bool,
) -> Result<HashMap<PageId, Vec<String>>, Error> {
    let quoted: Vec<String> = labels.iter().map(|l| quote(l)).collect();
    let alone = if split {
        quoted.len().min(LABEL_SPLIT)
    } else {
        0
    };
    let (first, rest) = quoted.split_at(alone);
    // ` and label not in (…)` of the names split off before, if any.
    let excluding = |names: &[String]| {
        if names.is_empty() {
            String::new()
        } else {
            format!(" and label not in ({})", names.join(","))
        }
    };
    let filters: Vec<String> = first
        .iter()
        .enumerate()
        .map(|(i, name)| format!("label = {name}{}", excluding(&first[..i])))
        .chain(
            rest.chunks(LABEL_BATCH)
                .map(|chunk| format!("label in ({}){}", chunk.join(","), excluding(first))),
        )
        .collect();
    let requests = filters
        .iter()
        .map(
            |filter| -> crate::BoxFuture<'_, Result<Vec<Labelled>, Error>> {
                let cql = format!("{} and {filter}", space_pages_cql(space));
                let url = search(api, &cql, listing_limit(flavor), "metadata.labels");
                Box::pin(v1::all_map(api, url, |p: V1Content| Some(p.into_labels())))
            },
        )
        .collect();
    let mut out = HashMap::new();
    for answer in crate::join_all(requests).await {
        out.extend(answer?);
    }
    Ok(out)
}

/// Pages matching `cql`, with version, parent and space.
async fn pages_where(api: Api<'_>, cql: &str) -> Result<Vec<PageMeta>, Error> {
    let url = search(
        api,
        cql,
        ID_BATCH,
        &format!("{LISTING_EXPAND},{PAGES_EXPAND}"),
    );
    v1::all_map(api, url, |p: V1Content| Some(p.into_meta(None).0)).await
}

/// Listing data of pages by id, 100 ids per query.
pub(crate) async fn pages(api: Api<'_>, ids: &[PageId]) -> Result<Vec<PageMeta>, Error> {
    let mut out = Vec::with_capacity(ids.len());
    for clause in id_batches(ids.iter().map(PageId::as_str), ID_BATCH, |_| true) {
        out.extend(pages_where(api, &format!("{clause} and type = page")).await?);
    }
    Ok(out)
}

/// Pages by id as found now, in any space, with their ancestors: 100 ids
/// per query. Ids that are not decimals cannot be Confluence's and are
/// not asked (nor spliced into a query); they are absent from the answer.
pub(crate) async fn pages_found(api: Api<'_>, ids: &[PageId]) -> Result<Vec<FoundPage>, Error> {
    let mut out = Vec::new();
    for clause in id_batches(ids.iter().map(PageId::as_str), ID_BATCH, is_decimal) {
        // Blog posts too: a sync confirms their deletions the same way.
        let url = search(
            api,
            &format!("{clause} and type in (page, blogpost)"),
            ID_BATCH,
            "space,ancestors",
        );
        out.extend(v1::all_map(api, url, |p: V1Content| Some(p.into_found())).await?);
    }
    Ok(out)
}

/// Every page below `root`, at any depth (`ancestor = id` has no depth cap).
pub(crate) async fn descendants(api: Api<'_>, root: &PageId) -> Result<Vec<PageMeta>, Error> {
    pages_where(
        api,
        &format!("ancestor = {} and type = page", root.as_str()),
    )
    .await
}

/// Pages (or blog posts: `kind`) with storage bodies by id, 50 per query
/// (bodies cap CQL pages at 50). Blog posts are asked by type, as a
/// search that names none may leave them out.
pub(crate) async fn pages_with_bodies(
    api: Api<'_>,
    kind: crate::model::ContentKind,
    ids: &[PageId],
) -> Result<Vec<PageBody>, Error> {
    let mut out = Vec::with_capacity(ids.len());
    for clause in id_batches(ids.iter().map(PageId::as_str), BODY_LIMIT, |_| true) {
        let clause = match kind {
            crate::model::ContentKind::Page => clause,
            crate::model::ContentKind::BlogPost => format!("{clause} and type = blogpost"),
        };
        let url = search(
            api,
            &clause,
            BODY_LIMIT,
            "body.storage,version,ancestors,space,history",
        );
        let pages: Vec<V1Content> = v1::all(api, url).await?;
        out.extend(pages.into_iter().map(|p| {
            let (meta, body) = p.into_meta(None);
            PageBody {
                meta,
                storage: body.unwrap_or_default(),
            }
        }));
    }
    Ok(out)
}

/// Every current attachment of a space's current pages, each with its page.
pub(crate) async fn space_attachments(
    api: Api<'_>,
    flavor: Flavor,
    space: &SpaceKey,
) -> Result<Vec<Attachment>, Error> {
    // The page of each attachment is read from its unexpanded `container`
    // link (~1.5 KB less per attachment), and its version from its download
    // link (~1 KB less: the expanded version names its author in full); a
    // server whose answers lack either is asked again with both expanded,
    // so no attachment is ever taken for deleted for want of its page, nor
    // for unchanged for want of its version.
    let cql = space_attachments_cql(space);
    let mut found = attachments_where(api, flavor, &cql, "").await?;
    if found
        .iter()
        .any(|a| a.owner().is_none() || a.version_number().is_none())
    {
        found = attachments_where(api, flavor, &cql, "version,container").await?;
    }
    // Offset paging over a changing space can show an item twice.
    let mut seen = HashSet::new();
    Ok(found
        .into_iter()
        .filter_map(V1Attachment::into_contained_attachment)
        .filter(|a| seen.insert(a.id.clone()))
        .collect())
}

/// Attachments a search finds: on Data Center by offset pages side by side
/// ([`v1::all_by_offset`]); on Cloud, whose searches page by cursor, one
/// chain, unless its first page has a next one and a count (asked then,
/// beside the second page) says more than [`SLICE_ABOVE`], when it is asked
/// in disjoint slices by creation date side by side ([`sliced`]). A space
/// with one page of attachments costs one request.
async fn attachments_where(
    api: Api<'_>,
    flavor: Flavor,
    cql: &str,
    expand: &str,
) -> Result<Vec<V1Attachment>, Error> {
    let url = search(api, cql, listing_limit(flavor), expand);
    if flavor == Flavor::DataCenter {
        return v1::all_by_offset(api, url, Some).await;
    }
    let first: List<V1Attachment> = api.get_json(&url).await?;
    if first.links.next.is_none() || first.results.is_empty() {
        return v1::all_map_from(api, url, first, Some).await;
    }
    let mut plain = Box::pin(v1::all_map_from(api, url, first, Some));
    let count = count_where(api, cql);
    tokio::select! {
        biased;
        all = &mut plain => all,
        n = count => match n {
            Ok(n) if n > SLICE_ABOVE => {
                // Its request, in flight or not, gives its slot back.
                drop(plain);
                sliced(api, cql, expand).await
            }
            _ => plain.await,
        },
    }
}

/// Results above which a Cloud attachment search is sliced by date: below,
/// its chain (at most 20 requests) is about as short as counting the
/// slices and listing them.
const SLICE_ABOVE: u64 = 5_000;
/// Results above which a slice is cut again: a slice is one chain of
/// requests (250 results each), and another round of cutting costs one
/// round trip (its counts, side by side). At [`SLICE_ABOVE`], a slice of
/// 2,500 pages below a part of a 10,000-page space was a chain of 10
/// requests, a second on the listing's critical path at 100 ms a request.
const RECUT_ABOVE: u64 = 1_000;
/// Slices one date range is cut into, per round.
const SLICES: i64 = 16;
/// Rounds of cutting at most (16⁴ slices of the busiest range).
const SLICE_ROUNDS: usize = 4;
/// Where the first round's even cuts start (older content falls in the
/// first slice, which is open below).
const SLICE_FLOOR_SECS: i64 = 946_684_800; // 2000-01-01

/// A range of creation dates, in seconds, minute-aligned; `None`: open.
type Slice = (Option<i64>, Option<i64>);

/// A search in disjoint slices by creation date, side by side (cut by
/// [`cut_by_counts`]); then every slice is listed at once. The first slice
/// is open below and the last above, and each cut is `created >= a and
/// created < b` at minute precision (CQL's), so the slices hold every
/// result exactly once whatever the counts say (they only guide the
/// cutting) and whatever time zone the server reads the dates in.
async fn sliced<T: serde::de::DeserializeOwned + super::Keyed + Send>(
    api: Api<'_>,
    cql: &str,
    expand: &str,
) -> Result<Vec<T>, Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let slices = cut_by_counts(now, |s| {
        let q = format!("{cql}{}", within(s));
        Box::pin(async move { count_where(api, &q).await })
    })
    .await?;
    // Every slice is listed, those counted empty too: a count comes from
    // the search index and only guides the cutting.
    let lists = crate::join_all(
        slices
            .iter()
            .map(|s| -> crate::BoxFuture<'_, Result<Vec<T>, Error>> {
                let url = search(
                    api,
                    &format!("{cql}{}", within(*s)),
                    listing_limit(Flavor::Cloud),
                    expand,
                );
                Box::pin(async move { v1::all(api, url).await })
            })
            .collect(),
    )
    .await;
    let mut out = Vec::new();
    for l in lists {
        out.extend(l?);
    }
    Ok(out)
}

/// The whole range cut into slices: cut in [`SLICES`], the new slices'
/// results counted (`count`, side by side), and a slice counted above
/// [`RECUT_ABOVE`] cut again (into as many as would hold its count evenly,
/// at most [`SLICES`]), up to [`SLICE_ROUNDS`] rounds.
async fn cut_by_counts<'a>(
    now: i64,
    count: impl Fn(Slice) -> crate::BoxFuture<'a, Result<u64, Error>>,
) -> Result<Vec<Slice>, Error> {
    let mut slices: Vec<(Slice, u64)> = vec![((None, None), u64::MAX)];
    for _ in 0..SLICE_ROUNDS {
        let mut next = Vec::with_capacity(slices.len());
        // Where `next` holds the slices cut this round, to be counted.
        let mut fresh = Vec::new();
        for (slice, n) in slices {
            let parts = if n > RECUT_ABOVE {
                // As many pieces as would hold the count evenly (at most
                // SLICES; an uneven one is cut again next round).
                let pieces = n.div_ceil(RECUT_ABOVE).min(SLICES as u64) as i64;
                cut(slice, now, pieces.max(2))
            } else {
                Vec::new()
            };
            if parts.len() > 1 {
                for part in parts {
                    fresh.push(next.len());
                    next.push((part, 0));
                }
            } else {
                next.push((slice, n));
            }
        }
        slices = next;
        if fresh.is_empty() {
            break;
        }
        let asked = crate::join_all(fresh.iter().map(|&i| count(slices[i].0)).collect()).await;
        for (i, n) in fresh.into_iter().zip(asked) {
            slices[i].1 = n?;
        }
    }
    Ok(slices.into_iter().map(|(s, _)| s).collect())
}

/// Pages below a page counted above which a partitioned listing searches
/// that part in slices ([`ids_below`]) instead of walking its tree: a
/// folder of 100,000 pages was one chain of 400 requests.
pub(crate) const PART_SLICED_ABOVE: u64 = SLICE_ABOVE;

/// The search for the pages below page `id`, folders included on the way.
fn below_cql(id: &PageId) -> String {
    format!("type = page and ancestor = {}", quote(id.as_str()))
}

/// How many pages the search finds below page `id`.
pub(crate) async fn count_below(api: Api<'_>, id: &PageId) -> Result<u64, Error> {
    count_where(api, &below_cql(id)).await
}

/// The ids of the pages below page `id` (Cloud), from the search cut into
/// slices by creation date, listed side by side ([`sliced`]).
pub(crate) async fn ids_below(api: Api<'_>, id: &PageId) -> Result<Vec<PageId>, Error> {
    sliced_ids(api, &below_cql(id)).await
}

/// The ids of the pages a search finds, cut into date slices ([`sliced`]).
async fn sliced_ids(api: Api<'_>, cql: &str) -> Result<Vec<PageId>, Error> {
    let found: Vec<super::Stub> = sliced(api, cql, "").await?;
    Ok(found.into_iter().map(|s| PageId::new(s.id)).collect())
}

/// The ids of a space's pages (as its count counts them: [`page_count`]),
/// from the search cut into slices by creation date, listed side by side
/// ([`sliced`]).
pub(crate) async fn space_page_ids(api: Api<'_>, space: &SpaceKey) -> Result<Vec<PageId>, Error> {
    sliced_ids(api, &space_pages_cql(space)).await
}

/// The ids of a space's pages (as its count counts them) created at or
/// after `since` (seconds; compared at CQL's minute, in the server's time
/// zone), from one request; `None` when they are more than one page of
/// results.
pub(crate) async fn space_page_ids_created_since(
    api: Api<'_>,
    space: &SpaceKey,
    since: i64,
) -> Result<Option<Vec<PageId>>, Error> {
    let cql = format!("{}{}", space_pages_cql(space), within((Some(since), None)));
    let url = search(api, &cql, listing_limit(Flavor::Cloud), "");
    let first: List<super::Stub> = api.get_json(&url).await?;
    if first.links.next.is_some() {
        return Ok(None);
    }
    Ok(Some(
        first
            .results
            .into_iter()
            .map(|s| PageId::new(s.id))
            .collect(),
    ))
}

/// `slice` cut into `pieces` even parts that cover it exactly; an open
/// end is cut from [`SLICE_FLOOR_SECS`] below or up to a day past `now`
/// above, its outer part staying open. A slice too short to cut is kept.
fn cut(slice: Slice, now: i64, pieces: i64) -> Vec<Slice> {
    let lo = slice.0.unwrap_or(SLICE_FLOOR_SECS.min(now));
    let hi = slice.1.unwrap_or(now + 86_400);
    let step = ((hi - lo) / pieces.max(1)) / 60 * 60;
    if step < 60 {
        return vec![slice];
    }
    let mut out = Vec::new();
    let mut from = slice.0;
    for i in 1..pieces {
        // On a minute (CQL's precision): a cut is one instant to both sides.
        let at = (lo + i * step) / 60 * 60;
        out.push((from, Some(at)));
        from = Some(at);
    }
    out.push((from, slice.1));
    out
}

/// The CQL that keeps a search to `slice` (empty for the whole range).
fn within(slice: Slice) -> String {
    let at = |secs: i64| {
        let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs.max(0) as u64);
        // `2021-03-04T05:06:00Z` → `2021-03-04 05:06`.
        let iso = humantime::format_rfc3339_seconds(t).to_string();
        format!("\"{} {}\"", &iso[..10], &iso[11..16])
    };
    let mut out = String::new();
    if let Some(from) = slice.0 {
        out.push_str(&format!(" and created >= {}", at(from)));
    }
    if let Some(to) = slice.1 {
        out.push_str(&format!(" and created < {}", at(to)));
    }
    out
}

/// How many results a search has (`/rest/api/search?limit=0`).
async fn count_where(api: Api<'_>, cql: &str) -> Result<u64, Error> {
    Ok(counted(api, cql).await?.total_size)
}

/// A search's counts, with no results.
async fn counted(api: Api<'_>, cql: &str) -> Result<CountOnly, Error> {
    let url = format!("{}/rest/api/search?cql={}&limit=0", api.root, encode(cql));
    api.get_json(&url).await
}

/// Every comment on a space's current pages, without bodies.
pub(crate) async fn space_comments(
    api: Api<'_>,
    flavor: Flavor,
    space: &SpaceKey,
) -> Result<Vec<Comment>, Error> {
    let url = search(
        api,
        &space_comments_cql(space),
        listing_limit(flavor),
        COMMENT_EXPAND,
    );
    let found: Vec<V1Comment> = v1::all(api, url).await?;
    let mut seen = HashSet::new();
    Ok(found
        .into_iter()
        .filter_map(V1Comment::into_comment)
        .filter(|c| seen.insert(c.id.clone()))
        .collect())
}

/// Storage-format bodies of comments by id, 50 per query.
pub(crate) async fn comment_bodies(
    api: Api<'_>,
    ids: &[CommentId],
) -> Result<HashMap<CommentId, String>, Error> {
    let mut out = HashMap::new();
    for clause in id_batches(ids.iter().map(|c| c.0.as_str()), BODY_LIMIT, is_decimal) {
        let cql = format!("type = comment AND {clause}");
        let url = search(api, &cql, BODY_LIMIT, "body.storage");
        let found: Vec<V1BodyOnly> = v1::all(api, url).await?;
        out.extend(found.into_iter().map(|b| {
            (
                CommentId(b.id),
                b.body.and_then(Body::into_storage).unwrap_or_default(),
            )
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_with_backslash_and_quote_escaped() {
        assert_eq!(quote("DEMO"), r#""DEMO""#);
        assert_eq!(quote(r#"A"B"#), r#""A\"B""#);
        assert_eq!(quote(r"A\B"), r#""A\\B""#);
        // A trailing backslash cannot swallow the closing quote.
        assert_eq!(quote(r"A\"), r#""A\\""#);
    }

    #[test]
    fn space_keys_are_quoted_in_every_space_query() {
        let key = SpaceKey::new(r#"X" or space = "Y"#);
        let quoted = r#""X\" or space = \"Y""#;
        assert_eq!(
            space_pages_cql(&key),
            format!("type = page and space = {quoted}")
        );
        assert_eq!(
            space_attachments_cql(&key),
            format!("type = attachment AND space = {quoted}")
        );
        assert_eq!(
            space_comments_cql(&key),
            format!("type = comment AND space = {quoted}")
        );
        assert_eq!(
            space_pages_cql(&SpaceKey::new("DEMO")),
            r#"type = page and space = "DEMO""#
        );
    }

    #[test]
    fn ids_are_batched_in_order_and_filtered_within_their_batch() {
        let ids = ["1", "2", "3", "4", "5"];
        assert_eq!(
            id_batches(ids, 2, |_| true),
            ["id in (1,2)", "id in (3,4)", "id in (5)"]
        );
        assert!(id_batches([], 2, |_| true).is_empty());
        // A batch is cut before it is filtered, and one left empty is skipped.
        let mixed = ["1", "x", "y", "z", "5", "6"];
        assert_eq!(
            id_batches(mixed, 2, is_decimal),
            ["id in (1)", "id in (5,6)"]
        );
    }

    #[test]
    fn only_decimal_ids_are_kept() {
        assert!(is_decimal("12345"));
        assert!(!is_decimal(""));
        assert!(!is_decimal("1) or (type = page"));
    }

    #[test]
    fn page_sizes_follow_the_flavour() {
        assert_eq!(listing_limit(Flavor::Cloud), 250);
        assert_eq!(listing_limit(Flavor::DataCenter), 200);
        assert_eq!(BODY_LIMIT, 50);
        assert_eq!(ID_BATCH, 100);
    }

    #[test]
    fn search_urls_encode_the_query() {
        let client = crate::Client::new(crate::ClientConfig::new(
            "https://x.atlassian.net",
            Flavor::Cloud,
            crate::Credentials::Anonymous,
        ))
        .unwrap();
        let url = search(client.api(), r#"space = "A&B""#, 250, "version");
        assert_eq!(
            url,
            "https://x.atlassian.net/wiki/rest/api/content/search?cql=space%20%3D%20%22A%26B%22&limit=250&expand=version"
        );
    }

    /// Cuts cover their slice exactly, in order, the outer ones staying
    /// open; a slice shorter than the cuts is kept whole.
    #[test]
    fn date_slices_cover_their_range_exactly() {
        let now = 1_780_000_000;
        for slice in [
            (None, None),
            (None, Some(1_600_000_020)),
            (Some(1_600_000_020), Some(1_700_000_000)),
            (Some(1_700_000_000), None),
        ] {
            let parts = cut(slice, now, SLICES);
            assert_eq!(parts.len(), SLICES as usize, "{slice:?}");
            assert_eq!(cut(slice, now, 3).len(), 3, "{slice:?}");
            assert_eq!(parts[0].0, slice.0);
            assert_eq!(parts.last().unwrap().1, slice.1);
            for w in parts.windows(2) {
                assert_eq!(w[0].1, w[1].0, "{parts:?}");
                assert_eq!(w[0].1.unwrap() % 60, 0, "{parts:?}");
                assert!(
                    w[0].0.is_none_or(|from| from < w[0].1.unwrap()),
                    "{parts:?}"
                );
            }
        }
        assert_eq!(
            cut((Some(600), Some(660)), now, SLICES),
            vec![(Some(600), Some(660))]
        );
        assert_eq!(within((None, None)), "");
        assert_eq!(
            within((Some(1_600_000_020), Some(1_700_000_000))),
            " and created >= \"2020-09-13 12:27\" and created < \"2023-11-14 22:13\""
        );
    }

    /// The cutting ends with every slice at most [`RECUT_ABOVE`] (a listing
    /// chain of 4 requests), covers each result exactly once, counts only
    /// the slices it has just cut, and cuts a slice only as finely as its
    /// count asks. 9,000 results created over two
    /// years fell in two slices of ~4,500 at the first round, which were
    /// left whole (two chains of 18 requests) while only slices above
    /// [`SLICE_ABOVE`] were cut again.
    #[test]
    fn slices_are_cut_until_each_is_a_short_chain() {
        let now = 1_790_000_000; // 2026-09
        let start = 1_720_000_000; // 2024-07
        let created: Vec<i64> = (0..9_000).map(|i| start + i * 7_000 + i % 59).collect();
        let inside = |s: Slice, t: i64| s.0.is_none_or(|a| t >= a) && s.1.is_none_or(|b| t < b);
        let asked = std::sync::Mutex::new(Vec::new());
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let slices = rt
            .block_on(cut_by_counts(now, |s| {
                asked.lock().unwrap().push(s);
                let n = created.iter().filter(|&&t| inside(s, t)).count() as u64;
                Box::pin(async move { Ok(n) })
            }))
            .unwrap();
        for &t in &created {
            assert_eq!(slices.iter().filter(|&&s| inside(s, t)).count(), 1, "{t}");
        }
        let sizes: Vec<usize> = slices
            .iter()
            .map(|&s| created.iter().filter(|&&t| inside(s, t)).count())
            .collect();
        // Four listing requests of 250 at most.
        assert!(sizes.iter().all(|&n| n <= 1_000), "{sizes:?}");
        // Each slice is counted once, and a slice is cut in as many pieces
        // as its count needs: 41 counts (16 pieces each time, 48;
        // recounting every slice each round, 64).
        let asked = asked.into_inner().unwrap();
        let distinct: std::collections::HashSet<&Slice> = asked.iter().collect();
        assert_eq!(distinct.len(), asked.len(), "{asked:?}");
        assert!(asked.len() < 48, "{} counts: {sizes:?}", asked.len());
    }

    /// A Cloud space with more attachments than [`SLICE_ABOVE`] is listed in
    /// date slices side by side, and they hold exactly what one search holds.
    #[test]
    fn a_large_attachment_search_in_date_slices_finds_what_one_search_finds() {
        use confluence_sim::{SimConfig, spawn};
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let sim = spawn(
            SimConfig::generate("pages=12000,spaces=1,depth=4,attachments=0.5,body_kb=1,seed=6")
                .unwrap(),
        )
        .unwrap();
        let client = crate::Client::new(crate::ClientConfig::new(
            sim.url(),
            Flavor::Cloud,
            crate::Credentials::Basic {
                email: "sim@example.com".into(),
                token: crate::Secret::new("sim-token"),
            },
        ))
        .unwrap();
        let api = client.api();
        let space = SpaceKey::new("GEN0");
        rt.block_on(async {
            let cql = space_attachments_cql(&space);
            let one: Vec<V1Attachment> = v1::all(api, search(api, &cql, 250, "")).await.unwrap();
            assert!(one.len() as u64 > SLICE_ABOVE, "{}", one.len());
            sim.control("POST", "/__sim/stats/reset", None);
            let got = space_attachments(api, Flavor::Cloud, &space).await.unwrap();
            let (_, stats) = sim.control("GET", "/__sim/stats", None);
            // The slices were counted: more counts than the one beside the
            // first page.
            let counts = stats["by_route"]["GET /wiki/rest/api/search"].as_u64();
            assert!(counts.unwrap_or(0) > 1, "{stats}");
            use crate::api::Keyed as _;
            let mut want: Vec<String> = one
                .iter()
                .filter_map(|a| a.key().map(str::to_owned))
                .collect();
            let mut got: Vec<String> = got.iter().map(|a| a.id.as_str().to_owned()).collect();
            want.sort();
            got.sort();
            assert_eq!(got, want);
        });
    }
}
