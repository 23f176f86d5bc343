//! The remote view: what every scope covers now, placed, with the
//! attachments of those pages. Listings only, no bodies: ⌈N/250⌉ calls per
//! space for pages and ⌈A/250⌉ (200 on Data Center) for attachments.
pub mod confirm;
pub mod inventory;
use crate::deps::AttachmentIndex;
use crate::page::comments::{CommentsMode, PageComments};
use crate::place::layout::{Layout, Recorded};
use crate::state::Scope;
use crate::sync::progress::Progress;
use crate::sync::remote::inventory::{Listing, Selection, includes_archived, list};
use anyhow::Result;
use cme_client::{Client, Error, PageId, PageMeta, Space, SpaceId};
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

/// Lists every scope, then places the union of their pages and their
/// attachments, keeping the names the last run `recorded`. A listing that
/// fails is recorded as a problem (nothing will be deleted), except refused
/// credentials, which end the run: nothing can be listed at all.
pub async fn gather(
    client: &Client,
    scopes: &[Scope],
    recorded: Recorded,
    comments: Option<CommentsMode>,
    progress: &dyn Progress,
) -> Result<Remote> {
    let mut remote = Remote {
        layout: Layout::new(recorded),
        ..Remote::default()
    };
    remote.layout.set_site(client.web_root());
    let mut spaces: BTreeMap<SpaceId, Space> = BTreeMap::new();
    let mut pages: BTreeMap<SpaceId, Vec<PageMeta>> = BTreeMap::new();
    let mut context: BTreeMap<SpaceId, Vec<PageMeta>> = BTreeMap::new();
    let mut archived: Vec<PageMeta> = Vec::new();
    for scope in scopes {
        let selection = Selection::from_scope(scope);
        match list(client, &selection, includes_archived(scope), progress).await {
            Ok(Listing {
                spaces: s,
                pages: p,
                context: c,
                missing,
                archived: a,
                problems,
            }) => {
                archived.extend(a);
                remote
                    .problems
                    .extend(problems.iter().map(|p| format!("listing `{scope}`: {p}")));
                for space in s {
                    spaces.insert(space.id.clone(), space);
                }
                for page in p {
                    pages.entry(page.space_id.clone()).or_default().push(page);
                }
                for page in c {
                    context.entry(page.space_id.clone()).or_default().push(page);
                }
                if !missing.is_empty() {
                    remote.missing.push((scope.clone(), missing));
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
    let exported: HashSet<&cme_client::PageId> = pages.values().flatten().map(|p| &p.id).collect();
    let mut skipped: Vec<String> = archived
        .iter()
        .filter(|p| !exported.contains(&p.id))
        .map(|p| {
            let key = spaces.get(&p.space_id).map_or("?", |s| s.key.as_str());
            format!("{key}: {}", p.title)
        })
        .collect();
    skipped.sort();
    skipped.dedup();
    remote.archived = skipped;
    for (space_id, space) in &spaces {
        let mut list = pages.remove(space_id).unwrap_or_default();
        let mut seen = HashSet::new();
        list.retain(|p| seen.insert(p.id.clone()));
        let ctx = context.remove(space_id).unwrap_or_default();
        remote.layout.add_space(space, list, ctx);
    }
    remote.spaces = spaces.len();
    for space in spaces.values() {
        progress.status(&format!("listing attachments of {}", space.key));
        match client.space_attachments(&space.key).await {
            Ok(atts) => {
                for a in atts {
                    if remote.layout.get(&a.page_id).is_some() {
                        remote
                            .attachments
                            .entry(a.page_id.clone())
                            .or_default()
                            .push(a);
                    }
                }
            }
            Err(e @ Error::Unauthorized { .. }) => return Err(e.into()),
            Err(e) => remote.problems.push(format!(
                "listing the attachments of `{}`: {}",
                space.key,
                chain(&e)
            )),
        }
    }
    remote
        .attachments
        .values_mut()
        .for_each(crate::deps::one_file_per_name);
    remote.layout.place_attachments(&remote.attachments);
    if let Some(mode) = comments.filter(|m| *m != CommentsMode::None) {
        let (comments, problems) =
            list_comments(client, &spaces, &remote.layout, mode, progress).await?;
        remote.comments = Some(comments);
        remote.comment_problems = problems;
    }
    Ok(remote)
}

/// Every comment of the spaces' pages in scope, without bodies: one CQL
/// listing per space (⌈C/250⌉ requests, ⌈C/200⌉ on Data Center). A failed
/// listing leaves sidecars as they are.
async fn list_comments(
    client: &Client,
    spaces: &BTreeMap<SpaceId, Space>,
    layout: &crate::place::layout::Layout,
    mode: CommentsMode,
    progress: &dyn Progress,
) -> Result<(PageComments, Vec<String>)> {
    let mut problems = Vec::new();
    let mut out = PageComments {
        mode,
        by_page: Default::default(),
        complete: true,
    };
    for space in spaces.values() {
        progress.status(&format!("listing comments of {}", space.key));
        match client.space_comments(&space.key).await {
            Ok(list) => {
                for c in list {
                    if layout.get(&c.page).is_some() {
                        out.by_page.entry(c.page.clone()).or_default().push(c);
                    }
                }
            }
            Err(e @ Error::Unauthorized { .. }) => return Err(e.into()),
            Err(e) => {
                problems.push(format!(
                    "listing the comments of `{}` (its comments files were left as they are): {}",
                    space.key,
                    chain(&e)
                ));
                out.complete = false;
            }
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
