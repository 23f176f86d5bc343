//! The remote view: what every scope covers now, placed, with the
//! attachments of those pages. Listings only, no bodies: per space its
//! page inventory (see `inventory`), ⌈A/250⌉ (200 on Data Center) for
//! attachments and ⌈C/250⌉ for comments. Scopes, spaces, and each space's
//! pages, attachments and comments are listed concurrently (the client's
//! limiter bounds the requests in flight), so the time is set by the
//! longest chain of requests, not their number; answers are merged in scope
//! and space order, so the result does not depend on which came first.
pub mod confirm;
pub mod inventory;
use crate::deps::AttachmentIndex;
use crate::page::comments::{CommentsMode, PageComments};
use crate::place::layout::{Layout, Recorded, boxed};
use crate::state::Scope;
use crate::sync::progress::Progress;
use crate::sync::remote::inventory::{Listing, Selection, SpaceExtras, With, list};
use anyhow::Result;
use cme_client::{BoxFuture, Client, Error, PageId, PageMeta, Space, SpaceId, join_all};
use std::collections::{BTreeMap, HashSet};

/// What Confluence says now, for the tracked scopes.
#[derive(Debug, Default)]
pub struct Remote {
    /// Every page in scope, with its path.
    pub layout: Layout,
    /// Attachments of those pages, by page, in file-name order.
    pub attachments: AttachmentIndex,
    /// The pages' comments, when sidecars are written (`--comments`).
    pub comments: Option<PageComments>,
    /// Comment listings that failed: their sidecars are left as they are,
    /// and the run says so (deletions are not held for them).
    pub comment_problems: Vec<String>,
    /// Spaces covered.
    pub spaces: usize,
    /// Listings that failed: while any did, absence proves nothing.
    pub problems: Vec<String>,
    /// Per scope, the space keys or page ids it names that were not found.
    pub missing: Vec<(Scope, Vec<String>)>,
    /// Archived pages in scope that no scope exports (`SPACE: Title`),
    /// sorted: the summary names them.
    pub archived: Vec<String>,
    /// Jira's sites and answers (`page::jira`): refreshed before planning
    /// for the issues pages recorded, filled while pages convert.
    pub jira: crate::page::jira::Jira,
    /// The Cloud accounts the listed pages name (creators and last
    /// editors), sorted: recorded so the next run can ask their names early
    /// ([`cme_client::Client::prefetch_names`]).
    pub accounts: Vec<String>,
}

impl Remote {
    /// The file names of `page`'s listed attachments, in name order: what
    /// the converter is told the page has.
    pub fn attachment_names(&self, page: &PageId) -> Vec<String> {
        self.attachments
            .get(page)
            .map(|l| l.iter().map(|a| a.filename.clone()).collect())
            .unwrap_or_default()
    }

    /// Whether every listing completed.
    pub fn complete(&self) -> bool {
        self.problems.is_empty()
    }
}

/// What the last run saw, to ask for early: it shortens the listing's
/// critical path and is checked against it, never trusted in its place.
#[derive(Debug, Default)]
pub struct Hints {
    /// Accounts whose display names are asked while listing.
    pub accounts: Vec<String>,
    /// Pages looked up by id while listing ([`KnownPages`]).
    pub pages: cme_client::KnownPages,
}

/// Lists every scope, then places the union of their pages and their
/// attachments, keeping the names the last run `recorded` (left in the
/// layout: [`Layout::take_recorded`]), with what the last run saw asked
/// early (`hints`). A listing that fails is recorded as a problem (nothing
/// will be deleted), except refused credentials, which end the run:
/// nothing can be listed at all.
pub async fn gather(
    client: &Client,
    scopes: &[Scope],
    recorded: Recorded,
    comments: Option<CommentsMode>,
    hints: &Hints,
    progress: &dyn Progress,
) -> Result<Remote> {
    let mut remote = Remote::default();
    let mut spaces: BTreeMap<SpaceId, Space> = BTreeMap::new();
    // Boxed as they come in, a list at a time, while little else is held:
    // placing then moves boxes (see `Placed::meta`).
    let mut pages: BTreeMap<SpaceId, Vec<Box<PageMeta>>> = BTreeMap::new();
    let mut context: BTreeMap<SpaceId, Vec<Box<PageMeta>>> = BTreeMap::new();
    let mut archived: Vec<PageMeta> = Vec::new();
    let mut extras: BTreeMap<SpaceId, SpaceExtras> = BTreeMap::new();
    let with_comments = comments.is_some_and(|m| m != CommentsMode::None);
    // The names of the people the last run met (`accounts`) are asked
    // while listing; the listings' pages are named after, asking only for
    // the accounts that answer left out.
    let listings = join_all(
        scopes
            .iter()
            .map(|scope| -> BoxFuture<'_, _> {
                Box::pin(async move {
                    let selection = Selection::from_scope(scope);
                    let with = With::of(scope, with_comments);
                    list(client, &selection, with, &hints.pages, progress).await
                })
            })
            .collect(),
    );
    let (mut listings, known) = tokio::join!(listings, client.names_of(&hints.accounts));
    for listing in &mut listings {
        if let Ok(l) = listing
            && let Err(e) = client
                .fill_names_in(
                    &mut l
                        .pages
                        .iter_mut()
                        .map(Vec::as_mut_slice)
                        .collect::<Vec<_>>(),
                    &known,
                )
                .await
        {
            *listing = Err(e);
        }
    }
    // Refused credentials end the run, whichever scope met them.
    let refused = listings
        .iter()
        .position(|l| matches!(l, Err(Error::Unauthorized { .. })));
    if let Some(Err(e)) = refused.map(|i| listings.swap_remove(i)) {
        return Err(e.into());
    }
    for (scope, listing) in scopes.iter().zip(listings) {
        match listing {
            Ok(Listing {
                spaces: s,
                pages: p,
                context: c,
                missing,
                archived: a,
                problems,
                extras: x,
            }) => {
                archived.extend(a);
                remote
                    .problems
                    .extend(problems.iter().map(|p| format!("listing `{scope}`: {p}")));
                for space in s {
                    spaces.insert(space.id.clone(), space);
                }
                for list in p {
                    // A space's own list is taken as it is (a second scope
                    // listing the space adds to it).
                    let one_space = list
                        .first()
                        .is_some_and(|first| list.iter().all(|p| p.space_id == first.space_id));
                    match list.first().map(|p| pages.entry(p.space_id.clone())) {
                        Some(std::collections::btree_map::Entry::Vacant(e)) if one_space => {
                            e.insert(boxed(list));
                        }
                        _ => {
                            for page in list {
                                pages
                                    .entry(page.space_id.clone())
                                    .or_default()
                                    .push(Box::new(page));
                            }
                        }
                    }
                }
                for page in c {
                    context
                        .entry(page.space_id.clone())
                        .or_default()
                        .push(Box::new(page));
                }
                if !missing.is_empty() {
                    remote.missing.push((scope.clone(), missing));
                }
                for (id, x) in x {
                    extras.entry(id).or_insert(x);
                }
            }
            Err(e @ Error::Unauthorized { .. }) => return Err(e.into()),
            // Nothing listed at all: there is nothing to do but say why.
            Err(e) if remote.problems.len() + 1 == scopes.len() && spaces.is_empty() => {
                return Err(anyhow::Error::new(e)
                    .context(format!("cannot list `{}`; nothing was changed", scope)));
            }
            Err(e) => remote
                .problems
                .push(format!("listing `{}`: {}", scope, chain(&e))),
        }
    }
    crate::alloc::mark("listings in");
    if client.flavor() == cme_client::Flavor::Cloud {
        // One by one: collected, a set first lists every page's two.
        let mut named: std::collections::BTreeSet<&str> = Default::default();
        for u in pages
            .values()
            .flatten()
            .flat_map(|p| [&p.info.author, &p.info.last_editor])
            .flatten()
        {
            named.insert(&u.id);
        }
        remote.accounts = named.into_iter().map(str::to_owned).collect();
    }
    let exported: HashSet<&cme_client::PageId> = pages.values().flatten().map(|p| &p.id).collect();
    let mut skipped: Vec<String> = archived
        .iter()
        .filter(|p| !exported.contains(&p.id))
        .map(|p| {
            let key = spaces.get(&p.space_id).map_or("?", |s| s.key.as_str());
            format!("{key}: {}", p.title)
        })
        .collect();
    // Let go before the pages are placed, where memory peaks.
    drop(exported);
    skipped.sort();
    skipped.dedup();
    remote.archived = skipped;
    remote.layout = Layout::new(recorded);
    remote.layout.set_site(client.web_root());
    remote
        .layout
        .reserve(pages.values().map(Vec::len).sum::<usize>());
    for (space_id, space) in &spaces {
        let mut list = pages.remove(space_id).unwrap_or_default();
        // A page listed twice is placed once. The ids seen are let go
        // before the pages are placed, where memory peaks (~3 MB at
        // 100,000 pages).
        {
            let mut seen = HashSet::with_capacity(list.len());
            list.retain(|p| seen.insert(p.id.clone()));
        }
        let ctx = context.remove(space_id).unwrap_or_default();
        remote.layout.add_space(space, list, ctx);
    }
    remote.spaces = spaces.len();
    // Spaces only page scopes reached are listed now, together.
    let later: Vec<&Space> = spaces
        .values()
        .filter(|s| !extras.contains_key(&s.id))
        .collect();
    if !later.is_empty() {
        progress.status(&format!(
            "listing the attachments of {} spaces",
            later.len()
        ));
    }
    let listed = join_all(
        later
            .iter()
            .map(|s| -> BoxFuture<'_, _> {
                Box::pin(SpaceExtras::list(client, &s.key, with_comments))
            })
            .collect(),
    )
    .await;
    for (space, x) in later.iter().zip(listed) {
        extras.insert(space.id.clone(), x);
    }
    let mut comment_lists = Vec::new();
    for space in spaces.values() {
        let Some(x) = extras.remove(&space.id) else {
            continue;
        };
        match x.attachments {
            Ok(mut atts) => {
                // Grouped by page into lists made to size: pushed one by
                // one, a page's list had room for four (most pages have one
                // or two files; ~9 MB at 12,000 files).
                atts.retain(|a| remote.layout.get(&a.page_id).is_some());
                atts.sort_by(|a, b| a.page_id.cmp(&b.page_id));
                while let Some(last) = atts.last().map(|a| a.page_id.clone()) {
                    let from = atts.partition_point(|a| a.page_id < last);
                    let mut list = atts.split_off(from);
                    remote
                        .attachments
                        .entry(last)
                        .and_modify(|l| l.append(&mut list))
                        .or_insert(list);
                }
            }
            Err(e @ Error::Unauthorized { .. }) => return Err(e.into()),
            Err(e) => remote.problems.push(format!(
                "listing the attachments of `{}`: {}",
                space.key,
                chain(&e)
            )),
        }
        comment_lists.push((space, x.comments));
    }
    remote
        .attachments
        .values_mut()
        .for_each(crate::deps::one_file_per_name);
    remote.layout.place_attachments(&remote.attachments);
    if let Some(mode) = comments.filter(|m| *m != CommentsMode::None) {
        let (comments, problems) = merge_comments(comment_lists, &remote.layout, mode)?;
        remote.comments = Some(comments);
        remote.comment_problems = problems;
    }
    Ok(remote)
}

/// A space's comment listing, when comments are listed.
type SpaceComments = Option<Result<Vec<cme_client::Comment>, Error>>;

/// Every comment of the spaces' pages in scope, from one CQL listing per
/// space without bodies (⌈C/250⌉ requests, ⌈C/200⌉ on Data Center), in
/// space order. A failed listing leaves sidecars as they are.
fn merge_comments(
    lists: Vec<(&Space, SpaceComments)>,
    layout: &crate::place::layout::Layout,
    mode: CommentsMode,
) -> Result<(PageComments, Vec<String>)> {
    let mut problems = Vec::new();
    let mut out = PageComments {
        mode,
        by_page: Default::default(),
        complete: true,
    };
    for (space, list) in lists {
        match list {
            Some(Ok(list)) => {
                for c in list {
                    if layout.get(&c.page).is_some() {
                        out.by_page.entry(c.page.clone()).or_default().push(c);
                    }
                }
            }
            Some(Err(e @ Error::Unauthorized { .. })) => return Err(e.into()),
            Some(Err(e)) => {
                problems.push(format!(
                    "listing the comments of `{}` (its comments files were left as they are): {}",
                    space.key,
                    chain(&e)
                ));
                out.complete = false;
            }
            // Not asked for: only when comments are off, never merged then.
            None => {}
        }
    }
    Ok((out, problems))
}

/// An error and its causes on one line.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}
