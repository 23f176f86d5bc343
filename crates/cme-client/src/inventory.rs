//! Cloud's page inventory of a space: lean, and partitioned when large.
//!
//! The structure (parent, position, status, title, version, creator and
//! last editor ids, dates) comes from v2 (`/spaces/{id}/pages`, ~0.7 KB a
//! page); labels, which change without a version, from a CQL search that
//! names only the labelled pages (`label in (…)`, the names taken from the
//! space's content labels listing), with nothing but labels expanded; and
//! display names, looked up in bulk once per run for the accounts that
//! appear ([`crate::Client::fill_names`]). The old CQL listing expanded
//! ancestors, history and version for every page (~8 KB a page).
//!
//! A space with more than [`crate::ClientConfig::partition_above`] pages
//! (a CQL count says, sent together with the first page of the plain
//! listing) is listed in parts, concurrently: its root pages, then each
//! root's direct children, each child's subtree through v2 `descendants`
//! (ids only) and the subtree's pages by id, 250 a request. The parts must
//! add up to the count; otherwise a page moved between parts while they
//! were listed, or hangs where no part reaches (a folder at the space
//! root), and the space is listed again, plainly. A plain listing short of
//! the count fails (v2 cursors announce no total). And a page a listing
//! misses is never deleted on that account alone: a sync confirms every
//! deletion by id first.
//!
//! Requests per space, N pages, L of them labelled, K label names:
//! - plain: 1 count (concurrent) + ⌈N/250⌉ pages + ⌈K/250⌉ label names +
//!   ⌈L/250⌉ labelled pages (per 100 names); critical path ⌈N/250⌉;
//! - partitioned: 1 count + ⌈R/250⌉ roots + one children listing per
//!   root, per part n pages ⌈n/250⌉ descendants (one more round per 10
//!   levels) and ⌈n/250⌉ pages by id, and the labels as above; critical
//!   path about 3 + 2⌈n/250⌉ for the largest part. At most 200 parts: a
//!   space with more root pages is searched whole in date slices (its
//!   pages then by id, its archived pages listed apart; plainly up to
//!   5,000 pages), and one whose roots have more children is cut by its
//!   roots instead (a large root's subtree searched in date slices).
//!
//! And once per run, ⌈U/100⌉ bulk name lookups for the U accounts named.
//!
//! A space the last run exported ([`KnownPages`]) is first checked by id
//! instead: every page the last run saw is looked up, 250 a request, all
//! sent together for every space (⌈P/250⌉ requests, critical path 1), and
//! the space's count asked beside them. When the pages found in the space
//! are exactly as many as the count, no page is missing from them: the
//! listing is done, whatever the shape of the tree (a space whose home page
//! has 100,000 children is a 400-request cursor chain otherwise). When the
//! numbers differ (a page was created, or moved in, or the count cannot be
//! read as the pages found), the space is listed as above, with the count
//! already known. Pages the last run saw that are not found are left out,
//! as a listing leaves them out: a sync confirms each by id before it
//! deletes anything.
use crate::api::Api;
use crate::api::cql::{self, PageCount};
use crate::api::v2::{self, Depth, TreeNode};
use crate::error::Error;
use crate::flavor::Flavor;
use crate::ids::PageId;
use crate::model::{PageMeta, ParentKind, Space};
use std::collections::{HashMap, HashSet};

/// A space's current and archived pages with their labels; display names
/// are left for [`crate::Client::fill_names`].
pub(crate) async fn space_pages(
    api: Api<'_>,
    space: &Space,
    partition_above: u64,
    known: &KnownPages,
) -> Result<Vec<PageMeta>, Error> {
    // The count, once structure has it, tells labels whether to split.
    let (counted, count) = tokio::sync::watch::channel(None);
    let (pages, labels) = tokio::join!(
        structure(api, space, partition_above, known, counted),
        labels(api, space, count, partition_above)
    );
    let mut pages = pages?;
    let mut labels = labels?;
    for p in &mut pages {
        p.info.labels = Some(labels.remove(&p.id).unwrap_or_default());
    }
    Ok(pages)
}

/// Labels by page, for the labelled pages of the space; split by label
/// name when the space's `count` (sent by the structure's listing; `None`
/// if it failed) is above `split_above`.
async fn labels(
    api: Api<'_>,
    space: &Space,
    mut count: tokio::sync::watch::Receiver<Option<u64>>,
    split_above: u64,
) -> Result<HashMap<PageId, Vec<String>>, Error> {
    let names = v2::content_labels(api, &space.id).await?;
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let total = count.wait_for(Option::is_some).await.ok().and_then(|c| *c);
    let split = total.is_some_and(|t| t > split_above);
    cql::labelled_pages(api, Flavor::Cloud, &space.key, &names, split).await
}

/// The pages without labels: plainly, or in parts when the count says the
/// space is large. The count is asked together with the plain listing's
/// first page, and every listing is checked against it: one that names
/// fewer pages than it (a dropped `next` link, a page of results left out)
/// fails, as a CQL listing short of its announced total always did.
async fn structure(
    api: Api<'_>,
    space: &Space,
    partition_above: u64,
    known: &KnownPages,
    counted: tokio::sync::watch::Sender<Option<u64>>,
) -> Result<Vec<PageMeta>, Error> {
    let url = v2::space_pages_url(api, &space.id, Depth::All);
    let count = || async {
        let c = cql::page_count(api, &space.key).await;
        if let Ok(c) = &c {
            counted.send_replace(Some(c.total));
        }
        c
    };
    if known.has_any() {
        let (count, found) = tokio::join!(count(), known.in_space(api, &space.id));
        let count = count?;
        if let Some(mut found) = found {
            if complete(&found, count) {
                return Ok(found);
            }
            tracing::debug!(
                space = %space.key,
                found = found.len(),
                count = count.total,
                "the pages found by id are not the whole space: listing it"
            );
            // Pages created since the last run, searched for: with them the
            // known pages may be the whole space again (held to the count),
            // and the listing is spared. A round trip first, for a space
            // that has new pages or counts a page no run exports; a failed
            // search only costs its request. (Raced against the listing
            // instead, it made a run's requests depend on which answered
            // first.)
            if let Some(since) = known.created_since
                && fewer_than_counted(&found, count)
            {
                match created_since(api, space, since, &found).await {
                    Ok(Some(new)) => {
                        found.extend(new);
                        if complete(&found, count) {
                            return Ok(found);
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::debug!(space = %space.key, error = %e, "the search for new pages failed");
                    }
                }
            }
        }
        return listed(api, space, partition_above, count, &url).await;
    }
    // The count, once in, holds the plain listing to it as it goes.
    let announced = v2::Announced::new(u64::MAX);
    let mut plain = Box::pin(v2::space_pages(
        api,
        &space.id,
        Depth::All,
        Some(&announced),
    ));
    let mut count = Box::pin(async {
        let c = count().await;
        if let Ok(c) = &c {
            announced.store(c.total, std::sync::atomic::Ordering::Release);
        }
        c
    });
    if partition_above == 0 {
        // Always in parts (tests): the plain listing is not raced.
        drop(plain);
        return listed(api, space, partition_above, count.await?, &url).await;
    }
    let (pages, count) = tokio::select! {
        biased;
        // A small space is listed before its count arrives.
        pages = &mut plain => (pages?, count.await?),
        c = &mut count => {
            let c = c?;
            if c.total > partition_above {
                // Its request, in flight or not, gives its slot back.
                drop(plain);
                return listed(api, space, partition_above, c, &url).await;
            } else {
                (plain.await?, c)
            }
        }
    };
    checked(pages, count, &url)
}

/// A space with a known `count`, listed: in parts when it is large,
/// else plainly.
async fn listed(
    api: Api<'_>,
    space: &Space,
    partition_above: u64,
    count: PageCount,
    url: &str,
) -> Result<Vec<PageMeta>, Error> {
    if (partition_above == 0 || count.total > partition_above)
        && let Some(pages) = partitioned(api, space, count).await?
    {
        return Ok(pages);
    }
    let announced = v2::Announced::new(count.total);
    let pages = v2::space_pages(api, &space.id, Depth::All, Some(&announced)).await?;
    checked(pages, count, url)
}

/// The pages of `space` created at or after `since` (seconds) that are not
/// among `found`, looked up by id; `None` when the search has more than
/// one page of them (then the space is listed).
async fn created_since(
    api: Api<'_>,
    space: &Space,
    since: i64,
    found: &[PageMeta],
) -> Result<Option<Vec<PageMeta>>, Error> {
    let Some(ids) = cql::space_page_ids_created_since(api, &space.key, since).await? else {
        return Ok(None);
    };
    let known: HashSet<&PageId> = found.iter().map(|p| &p.id).collect();
    let mut fresh: Vec<PageId> = ids.into_iter().filter(|id| !known.contains(id)).collect();
    fresh.sort_unstable();
    fresh.dedup();
    if fresh.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let mut pages = v2::pages_by_id(api, &fresh).await?;
    pages.retain(|p| p.space_id == space.id);
    Ok(Some(pages))
}

/// Whether the pages found by id in a space fall short of its `count` in
/// current pages only (the archived ones as counted): new pages would make
/// them whole, so searching for them may spare the listing.
fn fewer_than_counted(found: &[PageMeta], count: PageCount) -> bool {
    let (current, archived) = tally(found);
    count.archived == archived && current < count.total
}

/// How many of `pages` are current, and how many archived.
fn tally(pages: &[PageMeta]) -> (u64, u64) {
    let archived = pages
        .iter()
        .filter(|p| p.status == crate::model::PageStatus::Archived)
        .count() as u64;
    (pages.len() as u64 - archived, archived)
}

/// `pages` with a page listed twice (by two parts, or asked twice) kept once.
fn once_each(pages: &mut Vec<PageMeta>) {
    let mut seen = HashSet::new();
    pages.retain(|p| seen.insert(p.id.clone()));
}

/// Whether the pages found by id in a space are all of it: exactly as many
/// as its `count`, read both ways a server may count archived pages (in the
/// total, or apart in `archived`). When some found pages are archived and
/// the server reports none apart, the total may hold them or ignore them
/// (and then hide as many new pages): that case is never taken as whole.
fn complete(found: &[PageMeta], count: PageCount) -> bool {
    let (current, archived) = tally(found);
    count.archived == archived && count.total == current
}

/// The pages a sync's state says it exported last time, looked up by id
/// once for every space listed ([`crate::Client::space_inventory`]): a
/// space whose count they match is listed without walking its tree.
#[derive(Debug, Default)]
pub struct KnownPages {
    /// Taken by the lookup and let go once it is answered (held beside the
    /// pages placed, they were ~3 MB at 100,000 pages).
    ids: std::sync::Mutex<Vec<PageId>>,
    any: bool,
    /// Per space, the pages found there now; `None` when the lookup failed.
    found: tokio::sync::OnceCell<Option<std::sync::Mutex<Found>>>,
    /// Pages created since then (seconds) are searched for when the known
    /// ones fall short of a space's count ([`KnownPages::with_created_since`]).
    created_since: Option<i64>,
}

/// The lookup's answers as they came, each page taken out by the space it
/// is in now when that space asks; an answer is let go once all its pages
/// are taken. Sorting every page into a list per space at once held them
/// all twice at the listing's peak (~29 MB at 100,000 pages).
#[derive(Debug, Default)]
struct Found {
    answers: Vec<Vec<Option<PageMeta>>>,
    /// Per answer, its pages not taken yet.
    left: Vec<usize>,
    /// Per space, where its pages are: (answer, position), in answer order.
    by_space: HashMap<crate::SpaceId, Vec<(u32, u32)>>,
}

impl Found {
    fn new(answers: Vec<Vec<PageMeta>>) -> Self {
        let answers: Vec<Vec<Option<PageMeta>>> = answers
            .into_iter()
            .map(|a| a.into_iter().map(Some).collect())
            .collect();
        let mut by_space: HashMap<crate::SpaceId, Vec<(u32, u32)>> = HashMap::new();
        let n = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        for (a, answer) in answers.iter().enumerate() {
            for (i, p) in answer.iter().enumerate() {
                let Some(p) = p else { continue };
                by_space
                    .entry(p.space_id.clone())
                    .or_default()
                    .push((n(a), n(i)));
            }
        }
        Self {
            left: answers.iter().map(Vec::len).collect(),
            answers,
            by_space,
        }
    }

    /// The pages found in `space`, taken out; `None` when none is there.
    fn take(&mut self, space: &crate::SpaceId) -> Option<Vec<PageMeta>> {
        let at = self.by_space.remove(space)?;
        let mut pages = Vec::with_capacity(at.len());
        for (a, i) in at {
            let (a, i) = (a as usize, i as usize);
            let Some(page) = self.answers.get_mut(a).and_then(|l| l.get_mut(i)?.take()) else {
                continue;
            };
            pages.push(page);
            self.left[a] -= 1;
            if self.left[a] == 0 {
                self.answers[a] = Vec::new();
            }
        }
        Some(pages)
    }
}

impl KnownPages {
    /// At most this many ids are looked up (the state is untrusted input):
    /// a site larger than this is listed.
    pub const MAX: usize = 1_000_000;

    /// The pages with these ids; ids not shaped like page ids (digits) are
    /// dropped, and beyond [`Self::MAX`] none is looked up.
    pub fn new(ids: impl IntoIterator<Item = PageId>) -> Self {
        let ids: Vec<PageId> = ids
            .into_iter()
            .filter(|id| {
                let s = id.as_str();
                !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit())
            })
            .take(Self::MAX + 1)
            .collect();
        if ids.len() > Self::MAX {
            return Self::default();
        }
        Self {
            any: !ids.is_empty(),
            ids: std::sync::Mutex::new(ids),
            found: Default::default(),
            created_since: None,
        }
    }

    /// When the known pages fall short of a space's count, the pages
    /// created at or after `secs` (Unix time) are searched for (one
    /// request) and added; when they then make up the count, the space is
    /// not listed. A sync after a few new pages then costs two round trips
    /// instead of the space's listing. A wrong time (the state is untrusted
    /// input) only costs that search: the count still decides.
    pub fn with_created_since(mut self, secs: i64) -> Self {
        self.created_since = Some(secs);
        self
    }

    fn has_any(&self) -> bool {
        self.any
    }

    /// The pages found in `space` (taken: a space is checked this way
    /// once); `None` when none of the known pages is there now or the
    /// lookup failed. The first space to ask sends the lookup for all.
    async fn in_space(&self, api: Api<'_>, space: &crate::SpaceId) -> Option<Vec<PageMeta>> {
        let found = self
            .found
            .get_or_init(|| async {
                let ids = std::mem::take(&mut *self.ids.lock().unwrap_or_else(|e| e.into_inner()));
                match v2::pages_by_id_in_chunks(api, &ids).await {
                    Ok(answers) => Some(std::sync::Mutex::new(Found::new(answers))),
                    Err(e) => {
                        tracing::debug!(error = %e, "looking up the known pages failed: listing");
                        None
                    }
                }
            })
            .await
            .as_ref()?;
        let mut pages = found
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(space)?;
        // A page asked twice (ids repeated in the state) counts once.
        once_each(&mut pages);
        Some(pages)
    }
}

/// `pages`, unless they are fewer than the `count` (the listing at `url`
/// lost some).
fn checked(pages: Vec<PageMeta>, count: PageCount, url: &str) -> Result<Vec<PageMeta>, Error> {
    if !adds_up(&pages, count) {
        return Err(Error::Listing {
            url: crate::error::redact(url),
            problem: format!(
                "named {} pages, fewer than the {} a count announced",
                pages.len(),
                count.total
            ),
        });
    }
    Ok(pages)
}

/// Parts above which a space is not cut finer: each part costs at least
/// two requests (its subtree and its pages by id), so a space of many
/// small parts (20,000 pages at its root, or below one home page) took a
/// request or three a page instead of one per 250.
const MAX_PARTS: usize = 200;

/// The space's pages listed in parts, concurrently; `None` when they do
/// not add up to `count`.
///
/// The parts are the root pages' children, each with its subtree; when
/// those are more than [`MAX_PARTS`], the root pages themselves, each
/// subtree searched in date slices when it is large ([`pages_below`]); and
/// when the root pages are more than that, the space is [`flat`] (or, with
/// at most [`cql::PART_SLICED_ABOVE`] pages, `None`: one cursor).
async fn partitioned(
    api: Api<'_>,
    space: &Space,
    count: PageCount,
) -> Result<Option<Vec<PageMeta>>, Error> {
    // More than MAX_PARTS roots end it: the rest of them are not asked for.
    let roots = v2::space_roots(api, &space.id, MAX_PARTS + 1).await?;
    if roots.len() > MAX_PARTS {
        // A cursor of up to 20 requests is about as short as the search.
        if count.total <= cql::PART_SLICED_ABOVE {
            return Ok(None);
        }
        return flat(api, space, count).await;
    }
    let root_nodes: Vec<TreeNode> = roots
        .iter()
        .map(|r| TreeNode {
            id: r.id.clone(),
            kind: ParentKind::Page,
        })
        .collect();
    let children = crate::join_all(
        root_nodes
            .iter()
            .map(
                |node| -> crate::BoxFuture<'_, Result<Vec<TreeNode>, Error>> {
                    // A root with more children than parts are allowed is
                    // one part: the rest of its children are not asked for.
                    Box::pin(v2::direct_children(api, node, MAX_PARTS + 1))
                },
            )
            .collect(),
    )
    .await;
    let mut parts = Vec::new();
    for c in children {
        parts.extend(c?);
    }
    let whole_roots = parts.len() > MAX_PARTS;
    if whole_roots {
        parts = root_nodes;
    }
    // A part searched in date slices ([`pages_below`]) need not find its
    // archived pages: the space's are listed apart, beside the parts.
    let parts_listed = crate::join_all(
        parts
            .iter()
            .map(
                |part| -> crate::BoxFuture<'_, Result<Vec<PageMeta>, Error>> {
                    Box::pin(async move {
                        let mut ids: Vec<PageId> = Vec::new();
                        // A root is listed already.
                        if part.kind == ParentKind::Page && !whole_roots {
                            ids.push(part.id.clone());
                        }
                        ids.extend(pages_below(api, part).await?);
                        v2::pages_by_id(api, &ids).await
                    })
                },
            )
            .collect(),
    );
    let (answers, archived) = tokio::join!(parts_listed, v2::archived_pages(api, &space.id));
    let mut pages = roots;
    for a in answers {
        pages.extend(a?);
    }
    pages.extend(archived?);
    once_each(&mut pages);
    Ok(adds_up(&pages, count).then_some(pages))
}

/// A space with more root pages than parts, listed as a whole: its pages
/// found by the search the count makes, cut into date slices side by side,
/// and looked up by id, 250 a request, side by side; its archived pages,
/// which a search need not find, listed apart. `None` when they do not add
/// up to `count`. One cursor was a chain of ⌈N/250⌉ requests (20,000 pages
/// at the root: 80 round trips).
async fn flat(
    api: Api<'_>,
    space: &Space,
    count: PageCount,
) -> Result<Option<Vec<PageMeta>>, Error> {
    let (ids, archived) = tokio::join!(
        cql::space_page_ids(api, &space.key),
        v2::archived_pages(api, &space.id)
    );
    let mut pages = v2::pages_by_id(api, &ids?).await?;
    pages.extend(archived?);
    once_each(&mut pages);
    Ok(adds_up(&pages, count).then_some(pages))
}

/// The ids of the pages below `part`: its tree walked, or, for a page the
/// search counts more than [`cql::PART_SLICED_ABOVE`] pages below (asked
/// while the walk starts), the search in slices side by side. A wide
/// folder's walk is one chain of requests, 250 pages each. What either
/// misses fails the space's count, and the space is walked whole.
async fn pages_below(api: Api<'_>, part: &TreeNode) -> Result<Vec<PageId>, Error> {
    let pages = |nodes: Vec<TreeNode>| -> Vec<PageId> {
        nodes
            .into_iter()
            .filter(|n| n.kind == ParentKind::Page)
            .map(|n| n.id)
            .collect()
    };
    let mut walk = Box::pin(v2::descendants(api, part));
    if part.kind != ParentKind::Page {
        return Ok(pages(walk.await?));
    }
    let count = cql::count_below(api, &part.id);
    tokio::select! {
        biased;
        all = &mut walk => Ok(pages(all?)),
        n = count => match n {
            Ok(n) if n > cql::PART_SLICED_ABOVE => {
                // Its request, in flight or not, gives its slot back.
                drop(walk);
                cql::ids_below(api, &part.id).await
            }
            _ => Ok(pages(walk.await?)),
        },
    }
}

/// Whether a listing names at least as many pages as the space's count
/// (archived ones included: a server may count them or not; more is
/// pages created meanwhile).
fn adds_up(pages: &[PageMeta], count: PageCount) -> bool {
    pages.len() as u64 >= count.total
}

#[cfg(test)]
mod tests {
    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A simulator serving the site `spec` generates.
    fn generated(spec: &str) -> confluence_sim::SimHandle {
        confluence_sim::spawn(confluence_sim::SimConfig::generate(spec).unwrap()).unwrap()
    }

    /// A client of the simulator's Cloud account that lists in parts
    /// spaces above `partition_above` pages.
    fn sim_client(url: &str, partition_above: u64) -> crate::Client {
        use crate::{Client, ClientConfig, Credentials, Secret};
        let mut cfg = ClientConfig::new(
            url,
            Flavor::Cloud,
            Credentials::Basic {
                email: "sim@example.com".into(),
                token: Secret::new("sim-token"),
            },
        );
        cfg.partition_above = partition_above;
        Client::new(cfg).unwrap()
    }

    use super::*;
    use crate::ids::{SpaceId, Version};
    use crate::model::PageStatus;

    fn page(id: &str, status: PageStatus) -> PageMeta {
        PageMeta {
            id: PageId::new(id),
            kind: crate::ContentKind::Page,
            title: id.to_owned(),
            space_id: SpaceId::new("1"),
            parent: None,
            position: None,
            status,
            version: Version(1),
            modified_at: Default::default(),
            info: Default::default(),
        }
    }

    /// The lean listing, plain and partitioned, gives every page exactly
    /// what the fully expanded CQL listing gave.
    #[test]
    fn lean_listings_equal_the_expanded_one() {
        use confluence_sim::{SimConfig, spawn};
        let rt = runtime();
        for config in [
            SimConfig::demo(),
            SimConfig::generate("pages=700,spaces=2,depth=4,attachments=0,body_kb=1,seed=3")
                .unwrap(),
        ] {
            let sim = spawn(config).unwrap();
            let client = |partition_above| sim_client(&sim.url(), partition_above);
            let (plain, parts) = (client(u64::MAX), client(0));
            rt.block_on(async {
                let spaces = plain.spaces(&[]).await.unwrap();
                assert!(!spaces.is_empty());
                for space in &spaces {
                    let mut old = cql::space_pages(plain.api(), Flavor::Cloud, space)
                        .await
                        .unwrap();
                    old.sort_by(|a, b| a.id.cmp(&b.id));
                    assert!(!old.is_empty(), "{}", space.key);
                    for c in [&plain, &parts] {
                        let mut new = c.space_pages(space, true).await.unwrap();
                        new.sort_by(|a, b| a.id.cmp(&b.id));
                        assert_eq!(new.len(), old.len(), "{}", space.key);
                        for (n, o) in new.iter().zip(&old) {
                            assert_eq!(n, o, "{}", space.key);
                        }
                    }
                }
            });
        }
    }

    /// A part of a partitioned listing with more pages below it than
    /// [`cql::PART_SLICED_ABOVE`] (here a folder of about 12,000) is found
    /// by the search in date slices, not by walking its tree, and the
    /// space's pages are exactly what one cursor lists.
    #[test]
    fn a_wide_part_is_searched_in_slices_and_lists_what_one_cursor_does() {
        let rt = runtime();
        let sim = generated("pages=12000,spaces=1,depth=4,attachments=0,body_kb=1,seed=6");
        let client = |partition_above| sim_client(&sim.url(), partition_above);
        let (plain, parts) = (client(u64::MAX), client(0));
        rt.block_on(async {
            let space = plain.spaces(&[]).await.unwrap().remove(0);
            let mut want = plain.space_pages(&space, false).await.unwrap();
            assert!(want.len() as u64 > cql::PART_SLICED_ABOVE, "{}", want.len());
            sim.control("POST", "/__sim/stats/reset", None);
            let mut got = parts.space_pages(&space, false).await.unwrap();
            let (_, stats) = sim.control("GET", "/__sim/stats", None);
            let route = |r: &str| stats["by_route"][r].as_u64().unwrap_or(0);
            // Slices were counted and searched.
            assert!(route("GET /wiki/rest/api/search") > 1, "{stats}");
            assert!(route("GET /wiki/rest/api/content/search") > 1, "{stats}");
            // And used: the space was not walked whole after all (its
            // cursor is 48 requests; its top level, one).
            assert!(route("GET /wiki/api/v2/spaces/{id}/pages") < 5, "{stats}");
            want.sort_by(|a, b| a.id.cmp(&b.id));
            got.sort_by(|a, b| a.id.cmp(&b.id));
            assert_eq!(got.len(), want.len());
            assert!(got == want, "the sliced listing differs from one cursor's");
        });
    }

    /// A space of many small parts, 1,500 pages at its root or 1,500
    /// below its one home page, is not cut into a part a page: listed in
    /// parts it takes a few requests per 250 pages (it took two or three a
    /// page), and names exactly the pages one cursor does.
    #[test]
    fn a_space_of_many_small_parts_is_listed_in_few_requests() {
        let rt = runtime();
        // depth=1: every page at the root; depth=2: every page below the home.
        for depth in [1, 2] {
            let sim = generated(&format!(
                "pages=1500,spaces=1,depth={depth},attachments=0,body_kb=1,seed=6"
            ));
            let client = |partition_above| sim_client(&sim.url(), partition_above);
            let (plain, parts) = (client(u64::MAX), client(0));
            rt.block_on(async {
                let space = plain.spaces(&[]).await.unwrap().remove(0);
                let mut want = plain.space_pages(&space, false).await.unwrap();
                assert!(want.len() > MAX_PARTS * 5, "{}", want.len());
                let before = parts.stats();
                sim.control("POST", "/__sim/stats/reset", None);
                let mut got = parts.space_pages(&space, false).await.unwrap();
                let requests = parts.stats().requests - before.requests;
                assert!(requests < 40, "depth {depth}: {requests} requests");
                // The home page's 1,499 children: one page of them asked
                // (enough to know they are too many parts), not six.
                let (_, stats) = sim.control("GET", "/__sim/stats", None);
                let route = |r: &str| stats["by_route"][r].as_u64().unwrap_or(0);
                let children = route("GET /wiki/api/v2/pages/{id}/direct-children");
                assert!(
                    children <= 1,
                    "depth {depth}: {children} children pages asked"
                );
                // 1,500 pages at the root: one page of roots (enough to know
                // they are too many parts), then the cursor's six.
                let listed = route("GET /wiki/api/v2/spaces/{id}/pages");
                assert!(
                    depth != 1 || listed <= 7,
                    "depth {depth}: {listed} listing pages asked"
                );
                want.sort_by(|a, b| a.id.cmp(&b.id));
                got.sort_by(|a, b| a.id.cmp(&b.id));
                assert!(
                    got == want,
                    "depth {depth}: the listing differs from one cursor's"
                );
            });
        }
    }

    /// A large flat space (6,000 pages at its root, some archived) is found
    /// by the search in date slices and its pages by id, its archived pages
    /// listed apart: the same pages as one cursor, without its chain of 24.
    #[test]
    fn a_large_flat_space_is_searched_in_slices_with_its_archived_pages() {
        let rt = runtime();
        let sim = generated("pages=6000,spaces=1,depth=1,attachments=0,body_kb=1,seed=6");
        for id in [1_000_100, 1_003_000, 1_005_999] {
            let (status, answer) = sim.control(
                "PATCH",
                &format!("/__sim/pages/{id}"),
                Some(serde_json::json!({"status": "archived"})),
            );
            assert_eq!(status, 200, "{answer}");
        }
        let client = |partition_above| sim_client(&sim.url(), partition_above);
        let (plain, parts) = (client(u64::MAX), client(0));
        rt.block_on(async {
            let space = plain.spaces(&[]).await.unwrap().remove(0);
            let mut want = plain.space_pages(&space, true).await.unwrap();
            assert!(want.len() as u64 > cql::PART_SLICED_ABOVE, "{}", want.len());
            let archived = |pages: &[PageMeta]| {
                pages
                    .iter()
                    .filter(|p| p.status == crate::model::PageStatus::Archived)
                    .count()
            };
            assert_eq!(archived(&want), 3);
            sim.control("POST", "/__sim/stats/reset", None);
            let mut got = parts.space_pages(&space, true).await.unwrap();
            let (_, stats) = sim.control("GET", "/__sim/stats", None);
            let route = |r: &str| stats["by_route"][r].as_u64().unwrap_or(0);
            // One page of roots, one of archived pages: not the cursor.
            let listed = route("GET /wiki/api/v2/spaces/{id}/pages");
            assert!(listed <= 2, "{stats}");
            assert!(route("GET /wiki/rest/api/content/search") > 1, "{stats}");
            want.sort_by(|a, b| a.id.cmp(&b.id));
            got.sort_by(|a, b| a.id.cmp(&b.id));
            assert_eq!(got.len(), want.len());
            assert!(got == want, "the flat listing differs from one cursor's");
        });
    }

    /// Bytes a page costs a sync's listing (what an idle sync downloads):
    /// the lean listing at most 1.5 KB, plain or in parts; the expanded
    /// CQL listing it replaced, several times that.
    #[test]
    fn the_lean_listing_transfers_at_most_1_5_kb_a_page() {
        use crate::Client;
        let rt = runtime();
        let sim = generated("pages=2000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7");
        let client = |partition_above| sim_client(&sim.url(), partition_above);
        let per_page = |c: &Client, old: bool| -> (f64, u64) {
            rt.block_on(async {
                let space = c.spaces(&[]).await.unwrap().remove(0);
                let before = c.stats();
                let n = if old {
                    cql::space_pages(c.api(), Flavor::Cloud, &space)
                        .await
                        .unwrap()
                        .len()
                } else {
                    c.space_pages(&space, false).await.unwrap().len()
                };
                let after = c.stats();
                assert_eq!(n, 2000);
                (
                    (after.bytes - before.bytes) as f64 / n as f64,
                    after.requests - before.requests,
                )
            })
        };
        let (old, old_requests) = per_page(&client(u64::MAX), true);
        let (plain, plain_requests) = per_page(&client(u64::MAX), false);
        let (parts, parts_requests) = per_page(&client(0), false);
        eprintln!(
            "bytes a page: expanded CQL {old:.0} ({old_requests} requests), lean {plain:.0} \
             ({plain_requests}), lean in parts {parts:.0} ({parts_requests})"
        );
        assert!(old > 5000.0, "{old}");
        assert!(plain <= 1536.0, "{plain}");
        assert!(parts <= 1536.0, "{parts}");
    }

    /// A space the last run's pages account for is not walked, and lists
    /// what the walk lists; a page trashed since is left out without a
    /// walk; a page created since is found by walking, as is a space when
    /// the lookup names none of its pages. Ids not shaped like page ids are
    /// never sent.
    #[test]
    fn known_pages_spare_the_walk_only_while_they_are_the_whole_space() {
        let rt = runtime();
        let sim = generated("pages=600,spaces=2,depth=4,attachments=0,body_kb=1,seed=5");
        let client = sim_client(&sim.url(), u64::MAX);
        let walks = || {
            let (_, stats) = sim.control("GET", "/__sim/stats", None);
            stats["by_route"]["GET /wiki/api/v2/spaces/{id}/pages"]
                .as_u64()
                .unwrap_or(0)
        };
        let ids = |pages: &[PageMeta]| {
            let mut ids: Vec<PageId> = pages.iter().map(|p| p.id.clone()).collect();
            ids.sort();
            ids
        };
        rt.block_on(async {
            let spaces = client.spaces(&[]).await.unwrap();
            let none = KnownPages::default();
            let mut walked = Vec::new();
            for space in &spaces {
                walked.push(client.space_inventory(space, true, &none).await.unwrap());
            }
            assert!(walks() > 0);
            let everything: Vec<PageId> = walked.iter().flat_map(|p| ids(p)).collect();
            let hint = || {
                let junk = ["", "abc", "../1", "1 OR 1=1"].map(PageId::new);
                KnownPages::new(everything.iter().cloned().chain(junk))
            };

            // Accounted for: no walk, the same pages, field for field.
            sim.control("POST", "/__sim/stats/reset", None);
            let known = hint();
            for (space, want) in spaces.iter().zip(&walked) {
                let mut got = client.space_inventory(space, true, &known).await.unwrap();
                got.sort_by(|a, b| a.id.cmp(&b.id));
                let mut want = want.clone();
                want.sort_by(|a, b| a.id.cmp(&b.id));
                assert_eq!(got, want, "{}", space.key);
            }
            assert_eq!(walks(), 0);

            // A page trashed: left out, still without a walk.
            let gone = walked[0].iter().find(|p| p.parent.is_some()).unwrap();
            let (status, _) = sim.control(
                "DELETE",
                &format!("/__sim/pages/{}", gone.id.as_str()),
                None,
            );
            assert_eq!(status, 204);
            sim.control("POST", "/__sim/stats/reset", None);
            let got = client
                .space_inventory(&spaces[0], true, &hint())
                .await
                .unwrap();
            assert_eq!(got.len(), walked[0].len() - 1);
            assert!(got.iter().all(|p| p.id != gone.id));
            assert_eq!(walks(), 0);

            // A page created: the count says so, and the walk finds it.
            let home = spaces[0].homepage_id.clone().unwrap();
            let (status, made) = sim.control(
                "POST",
                "/__sim/pages",
                Some(serde_json::json!({"space": spaces[0].key.as_str(),
                    "parent_id": home.as_str(), "title": "Made since", "body": "<p>x</p>"})),
            );
            assert_eq!(status, 200, "{made}");
            let made = made["id"].as_str().unwrap().to_owned();
            sim.control("POST", "/__sim/stats/reset", None);
            let got = client
                .space_inventory(&spaces[0], true, &hint())
                .await
                .unwrap();
            assert!(got.iter().any(|p| p.id.as_str() == made));
            assert_eq!(got.len(), walked[0].len());
            assert!(walks() > 0);

            // The other space's pages only: this one is walked.
            sim.control("POST", "/__sim/stats/reset", None);
            let others = KnownPages::new(ids(&walked[1]));
            let got = client
                .space_inventory(&spaces[0], true, &others)
                .await
                .unwrap();
            assert_eq!(got.len(), walked[0].len());
            assert!(walks() > 0);
        });
    }

    #[test]
    fn pages_found_by_id_are_the_whole_space_only_when_the_count_says_so() {
        let count = |total, archived| PageCount { total, archived };
        let current = [
            page("1", PageStatus::Current),
            page("2", PageStatus::Current),
        ];
        assert!(complete(&current, count(2, 0)));
        // A page created (or moved in) since; or one more than counted.
        assert!(!complete(&current, count(3, 0)));
        assert!(!complete(&current, count(1, 0)));
        let mixed = [
            page("1", PageStatus::Current),
            page("2", PageStatus::Current),
            page("3", PageStatus::Archived),
        ];
        // Archived counted apart: exact on both.
        assert!(complete(&mixed, count(2, 1)));
        assert!(!complete(&mixed, count(3, 1)));
        assert!(!complete(&mixed, count(2, 2)));
        // None counted apart: the total may or may not hold the archived
        // page, so 3 could be 2 current + 1 new one: never whole.
        assert!(!complete(&mixed, count(3, 0)));
        assert!(!complete(&mixed, count(2, 0)));
    }

    #[test]
    fn a_listing_adds_up_when_it_names_at_least_the_count() {
        let pages = [
            page("1", PageStatus::Current),
            page("2", PageStatus::Current),
            page("3", PageStatus::Archived),
        ];
        let count = |total| PageCount { total, archived: 0 };
        assert!(adds_up(&pages, count(3)));
        // Archived pages not counted, or pages created meanwhile.
        assert!(adds_up(&pages, count(2)));
        // A page missed: short.
        assert!(!adds_up(&pages, count(4)));
        assert!(!adds_up(&pages[..2], count(3)));
    }
}
