//! Which pages a scope covers, from listings only (no bodies): per space
//! the client's inventory (Cloud: see `cme_client::Client::space_inventory`
//! for its request budget), or a few CQL calls for page scopes. Spaces are
//! listed concurrently, and with each space its attachments and (with
//! `--comments`) its comments; answers are merged in the order of the
//! spaces, never in the order they arrive.
use crate::state::{Scope, ScopeCommand};
use crate::sync::progress::Progress;
use cme_client::{
    Attachment, BoxFuture, Client, Comment, Error, KnownPages, PageId, PageMeta, PageStatus,
    ParentKind, Space, SpaceId, SpaceKey, join_all,
};
use std::collections::{BTreeMap, HashSet};

/// What an export command asked for.
#[derive(Debug, Clone)]
pub enum Selection {
    /// These spaces, whole.
    Spaces(Vec<SpaceKey>),
    /// Every space the account can see.
    AllSpaces,
    /// These pages, and with `descendants` everything below them.
    Pages {
        /// Page ids as given.
        roots: Vec<PageId>,
        /// Include every descendant.
        descendants: bool,
    },
}

impl Selection {
    /// The scope `sync` replays for this selection.
    pub fn scope(&self) -> Scope {
        let (command, args) = match self {
            Selection::Spaces(keys) => (
                ScopeCommand::Spaces,
                keys.iter().map(|k| k.as_str().to_owned()).collect(),
            ),
            Selection::AllSpaces => (ScopeCommand::AllSpaces, Vec::new()),
            Selection::Pages { roots, descendants } => (
                if *descendants {
                    ScopeCommand::PagesWithDescendants
                } else {
                    ScopeCommand::Pages
                },
                roots.iter().map(|r| r.as_str().to_owned()).collect(),
            ),
        };
        Scope {
            command,
            args,
            blog_posts: false,
        }
    }
}

/// The scope argument that exports archived pages too: recorded with the
/// scope's other arguments, as the user typed it, so `sync` replays it.
pub const INCLUDE_ARCHIVED: &str = "--include-archived";

/// Whether a recorded scope exports archived pages.
pub fn includes_archived(scope: &Scope) -> bool {
    scope.args.iter().any(|a| a == INCLUDE_ARCHIVED)
}

/// What one scope covers, from listings only.
#[derive(Debug, Default)]
pub struct Listing {
    /// Spaces the pages belong to.
    pub spaces: Vec<Space>,
    /// Pages the scope exports, in the lists they were listed in (a
    /// space's; for page scopes, one list of any spaces'): moved on as
    /// they are, never copied into one list (at 100,000 pages each copy
    /// held ~30 MB twice while it was made).
    pub pages: Vec<Vec<PageMeta>>,
    /// Ancestors and folders outside the scope: they name folders on disk
    /// but are not exported.
    pub context: Vec<PageMeta>,
    /// Space keys or page ids the scope names that were not found (deleted,
    /// or not visible to this account).
    pub missing: Vec<String>,
    /// Archived pages in scope that are not exported (no `--include-archived`):
    /// they still name folders (they are in `context` too), and the summary
    /// counts them so nothing is skipped silently.
    pub archived: Vec<PageMeta>,
    /// What the listings got wrong though they ended (a space's listing
    /// without its home page): their pages are kept, but absence from them
    /// proves nothing, so deletions are held.
    pub problems: Vec<String>,
    /// Per space listed whole, its attachments and comments, listed
    /// together with its pages.
    pub extras: BTreeMap<SpaceId, SpaceExtras>,
}

/// A space's other listings, sent together with its page listing.
#[derive(Debug)]
pub struct SpaceExtras {
    /// Every attachment of the space's pages.
    pub attachments: Result<Vec<Attachment>, Error>,
    /// Every comment of the space's pages, when asked for.
    pub comments: Option<Result<Vec<Comment>, Error>>,
}

impl SpaceExtras {
    /// Lists a space's attachments and, `with_comments`, its comments,
    /// together.
    pub async fn list(client: &Client, space: &SpaceKey, with_comments: bool) -> Self {
        let comments = async {
            if with_comments {
                Some(client.space_comments(space).await)
            } else {
                None
            }
        };
        let (attachments, comments) = tokio::join!(client.space_attachments(space), comments);
        Self {
            attachments,
            comments,
        }
    }
}

impl Selection {
    /// The selection a recorded scope stands for.
    pub fn from_scope(scope: &Scope) -> Self {
        // Options (`--include-archived`) are recorded among the arguments.
        let names = scope.args.iter().filter(|a| !a.starts_with("--"));
        match scope.command {
            ScopeCommand::Spaces => Selection::Spaces(names.map(SpaceKey::new).collect()),
            ScopeCommand::AllSpaces => Selection::AllSpaces,
            ScopeCommand::Pages | ScopeCommand::PagesWithDescendants => Selection::Pages {
                roots: names.map(PageId::new).collect(),
                descendants: scope.command == ScopeCommand::PagesWithDescendants,
            },
        }
    }
}

/// What a listing takes in beyond the live pages.
#[derive(Debug, Clone, Copy, Default)]
pub struct With {
    /// Archived pages.
    pub archived: bool,
    /// Every comment of the spaces listed whole.
    pub comments: bool,
    /// The blog posts of the spaces listed whole.
    pub blog_posts: bool,
}

impl With {
    /// What `scope` exports, and comments when they are written.
    pub fn of(scope: &Scope, comments: bool) -> Self {
        Self {
            archived: includes_archived(scope),
            comments,
            blog_posts: scope.blog_posts,
        }
    }
}

/// Lists what `selection` covers (no bodies); archived pages are exported
/// only `with.archived`. The spaces it lists whole come with their
/// attachments, `with.comments` their comments ([`Listing::extras`]), and
/// `with.blog_posts` their blog posts among the pages (one more listing per
/// space, sent with the others; if it fails, the space's listing fails).
///
/// `known`: the pages the last run exported, looked up by id to spare
/// walking the spaces they account for ([`KnownPages`]).
pub async fn list(
    client: &Client,
    selection: &Selection,
    with: With,
    known: &KnownPages,
    progress: &dyn Progress,
) -> Result<Listing, Error> {
    let with_archived = with.archived;
    let mut listing = match selection {
        Selection::Spaces(keys) => spaces(client, keys, with, known, progress).await?,
        Selection::AllSpaces => spaces(client, &[], with, known, progress).await?,
        Selection::Pages { roots, descendants } => {
            pages(client, roots, *descendants, progress).await?
        }
    };
    if !with_archived {
        // Archived pages are left out, but keep naming the folders of any
        // live pages below them, so those keep their paths. Taken out in
        // place: they are few, the live pages many.
        let mut archived = Vec::new();
        for list in &mut listing.pages {
            list.retain(|p| {
                let live = p.status != PageStatus::Archived;
                if !live {
                    archived.push(p.clone());
                }
                live
            });
        }
        listing.context.extend(archived.iter().cloned());
        listing.archived = archived;
    }
    Ok(listing)
}

/// Whether a listed page is exported: live, or archived when asked for.
fn exportable(p: &PageMeta) -> bool {
    matches!(p.status, PageStatus::Current | PageStatus::Archived)
}

async fn spaces(
    client: &Client,
    keys: &[SpaceKey],
    with: With,
    known: &KnownPages,
    progress: &dyn Progress,
) -> Result<Listing, Error> {
    progress.status("listing spaces");
    let spaces = client.spaces(keys).await?;
    let missing = keys
        .iter()
        .filter(|k| !spaces.iter().any(|s| &s.key == *k))
        .map(|k| k.as_str().to_owned())
        .collect();
    let mut out = Listing {
        missing,
        ..Listing::default()
    };
    progress.status(&format!("listing the pages of {} spaces", spaces.len()));
    let listed = join_all(
        spaces
            .iter()
            .map(|space| -> BoxFuture<'_, _> {
                Box::pin(async move {
                    let posts = async {
                        if with.blog_posts {
                            client.space_blog_posts(space).await
                        } else {
                            Ok(Vec::new())
                        }
                    };
                    let (pages, posts, extras) = tokio::join!(
                        space_pages(client, space, with.archived, known, progress),
                        posts,
                        SpaceExtras::list(client, &space.key, with.comments)
                    );
                    // A failed blog listing fails the space's, as a page
                    // listing's does: absence then proves nothing.
                    let pages = pages.and_then(|(mut pages, folders, problem)| {
                        let posts = posts?;
                        pages.reserve_exact(posts.len());
                        pages.extend(posts);
                        Ok((pages, folders, problem))
                    });
                    (pages, extras)
                })
            })
            .collect(),
    )
    .await;
    let mut first_error = None;
    for (space, (pages, extras)) in spaces.iter().zip(listed) {
        match pages {
            Ok((pages, folders, problem)) => {
                out.problems.extend(problem);
                out.pages.push(pages);
                out.context.extend(folders);
                out.extras.insert(space.id.clone(), extras);
            }
            // Refused credentials end the run, wherever they came.
            Err(e @ Error::Unauthorized { .. }) => return Err(e),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    // Cloud's listings name people by id: the caller names them, in one
    // bulk lookup for every scope.
    out.spaces = spaces;
    Ok(out)
}

/// One space's exportable pages, the folders above them, and a problem
/// when its listing left out its home page.
async fn space_pages(
    client: &Client,
    space: &Space,
    with_archived: bool,
    known: &KnownPages,
    progress: &dyn Progress,
) -> Result<(Vec<PageMeta>, Vec<PageMeta>, Option<String>), Error> {
    let mut pages = client.space_inventory(space, with_archived, known).await?;
    let problem = home_page_missing(client, space, &pages).await?;
    pages.retain(exportable);
    // Held until every space is listed: without the room it grew into.
    pages.shrink_to_fit();
    progress.status(&format!("listed the pages of {}", space.key));
    progress.advance(pages.len() as u64, 0);
    let folders = folders_above(client, &pages, &[]).await?;
    Ok((pages, folders, problem))
}

async fn pages(
    client: &Client,
    roots: &[PageId],
    with_descendants: bool,
    progress: &dyn Progress,
) -> Result<Listing, Error> {
    progress.status("looking up pages");
    let mut pages = client.pages_meta(roots).await?;
    // Only live (or archived) pages: a trashed or draft root counts as gone.
    pages.retain(exportable);
    let found: HashSet<PageId> = pages.iter().map(|p| p.id.clone()).collect();
    let missing = roots
        .iter()
        .filter(|r| !found.contains(r))
        .map(|r| r.as_str().to_owned())
        .collect();
    if with_descendants {
        progress.status("listing the pages below them");
        let below = join_all(
            roots
                .iter()
                .filter(|r| found.contains(r))
                .map(|root| -> BoxFuture<'_, _> { Box::pin(client.descendants(root)) })
                .collect(),
        )
        .await;
        for b in below {
            pages.extend(b?.into_iter().filter(exportable));
        }
    }
    let mut seen = HashSet::new();
    pages.retain(|p| seen.insert(p.id.clone()));

    // Ancestors outside the selection still name the folders, so a page has
    // the same path whichever scope exports it.
    let mut context_ids: Vec<PageId> = Vec::new();
    let outside: Vec<&PageMeta> = pages
        .iter()
        .filter(|p| {
            let parent_inside = p.parent.as_ref().is_some_and(|(id, _)| seen.contains(id));
            p.parent.is_some() && !parent_inside
        })
        .collect();
    if !outside.is_empty() {
        progress.status("looking up ancestors");
    }
    let ancestors = join_all(
        outside
            .iter()
            .map(|p| -> BoxFuture<'_, _> { Box::pin(client.ancestors(&p.id)) })
            .collect(),
    )
    .await;
    for chain in ancestors {
        for a in chain? {
            if !seen.contains(&a) && !context_ids.contains(&a) {
                context_ids.push(a);
            }
        }
    }
    let mut context = if context_ids.is_empty() {
        Vec::new()
    } else {
        client.pages_meta(&context_ids).await?
    };
    let folders = folders_above(client, &pages, &context).await?;
    context.extend(folders);

    let mut space_ids: Vec<SpaceId> = pages.iter().map(|p| p.space_id.clone()).collect();
    space_ids.sort();
    space_ids.dedup();
    let spaces = if space_ids.is_empty() {
        Vec::new()
    } else {
        client.spaces_by_id(&space_ids).await?
    };
    Ok(Listing {
        spaces,
        pages: vec![pages],
        context,
        missing,
        archived: Vec::new(),
        problems: Vec::new(),
        extras: BTreeMap::new(),
    })
}

/// A space's listing must name its home page (the space listing says
/// which it is): one that does not has lost pages on the way, unless the
/// home page is not readable by id either (restricted, or gone meanwhile),
/// which costs one request, only then.
async fn home_page_missing(
    client: &Client,
    space: &Space,
    listed: &[PageMeta],
) -> Result<Option<String>, Error> {
    let Some(home) = &space.homepage_id else {
        return Ok(None);
    };
    if listed.iter().any(|p| &p.id == home) {
        return Ok(None);
    }
    let found = client.pages_found(std::slice::from_ref(home)).await?;
    let readable = found
        .iter()
        .any(|f| &f.id == home && f.status == PageStatus::Current);
    Ok(readable.then(|| {
        format!(
            "the page listing of `{}` does not name its home page {}, which is readable by id",
            space.key, home
        )
    }))
}

/// Folders that pages (or their known ancestors) hang under, up to the first
/// page or the space root. They name folders on disk like pages do, so the
/// export mirrors the tree Confluence shows, but are not exported themselves.
async fn folders_above(
    client: &Client,
    pages: &[PageMeta],
    known: &[PageMeta],
) -> Result<Vec<PageMeta>, Error> {
    let mut seen: HashSet<PageId> = pages.iter().chain(known).map(|p| p.id.clone()).collect();
    let mut todo: Vec<PageId> = pages
        .iter()
        .chain(known)
        .filter_map(|p| match &p.parent {
            Some((id, ParentKind::Folder)) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let mut folders = Vec::new();
    // Bounded: a malformed parent chain must not loop forever.
    while let Some(id) = todo.pop() {
        if !seen.insert(id.clone()) || folders.len() >= 10_000 {
            continue;
        }
        match client.folder(&id).await {
            Ok(f) => {
                if let Some((parent, ParentKind::Folder)) = &f.parent {
                    todo.push(parent.clone());
                }
                folders.push(f);
            }
            // A folder we may not read: its pages stay at the space root.
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(folders)
}
