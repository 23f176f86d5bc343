//! Which pages a scope covers, from listings only (no bodies): ⌈N/250⌉
//! calls per space, or a few CQL calls for page scopes.
use super::layout::Layout;
use crate::state::{Scope, ScopeCommand};
use anyhow::{Context as _, Result, bail};
use cme_client::{Client, PageId, PageMeta, ParentKind, SpaceId, SpaceKey};
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
        Scope { command, args }
    }
}

/// Lists what `selection` covers and places it. Returns the number of spaces.
pub async fn inventory(
    client: &Client,
    selection: &Selection,
    progress: &dyn Fn(&str),
) -> Result<(usize, Layout)> {
    match selection {
        Selection::Spaces(keys) => spaces(client, keys, progress).await,
        Selection::AllSpaces => spaces(client, &[], progress).await,
        Selection::Pages { roots, descendants } => {
            pages(client, roots, *descendants, progress).await
        }
    }
}

async fn spaces(
    client: &Client,
    keys: &[SpaceKey],
    progress: &dyn Fn(&str),
) -> Result<(usize, Layout)> {
    progress("listing spaces");
    let spaces = client.spaces(keys).await.context("cannot list spaces")?;
    let missing: Vec<&str> = keys
        .iter()
        .filter(|k| !spaces.iter().any(|s| &s.key == *k))
        .map(SpaceKey::as_str)
        .collect();
    if !missing.is_empty() {
        bail!(
            "space(s) not found or not visible to this account: `{}`",
            missing.join("`, `")
        );
    }
    let mut layout = Layout::default();
    for space in &spaces {
        progress(&format!("listing pages of {}", space.key));
        let pages = client
            .space_pages(space)
            .await
            .with_context(|| format!("cannot list the pages of space `{}`", space.key))?;
        let folders = folders_above(client, &pages, &[]).await?;
        layout.add_space(space, pages, folders);
    }
    Ok((spaces.len(), layout))
}

async fn pages(
    client: &Client,
    roots: &[PageId],
    with_descendants: bool,
    progress: &dyn Fn(&str),
) -> Result<(usize, Layout)> {
    progress("looking up pages");
    let mut pages = client
        .pages_meta(roots)
        .await
        .context("cannot look up pages")?;
    let found: HashSet<&PageId> = pages.iter().map(|p| &p.id).collect();
    let missing: Vec<&str> = roots
        .iter()
        .filter(|r| !found.contains(r))
        .map(PageId::as_str)
        .collect();
    if !missing.is_empty() {
        bail!(
            "page(s) not found or not visible to this account: `{}`",
            missing.join("`, `")
        );
    }
    if with_descendants {
        for root in roots {
            progress(&format!("listing pages below {root}"));
            let below = client
                .descendants(root)
                .await
                .with_context(|| format!("cannot list the pages below {root}"))?;
            pages.extend(below);
        }
    }
    let mut seen = HashSet::new();
    pages.retain(|p| seen.insert(p.id.clone()));

    // Ancestors outside the selection still name the folders, so a page has
    // the same path whichever scope exports it.
    let mut context_ids: Vec<PageId> = Vec::new();
    for p in &pages {
        let parent_inside = p.parent.as_ref().is_some_and(|(id, _)| seen.contains(id));
        if p.parent.is_some() && !parent_inside {
            progress(&format!("looking up the ancestors of {}", p.id));
            for a in client
                .ancestors(&p.id)
                .await
                .context("cannot list ancestors")?
            {
                if !seen.contains(&a) && !context_ids.contains(&a) {
                    context_ids.push(a);
                }
            }
        }
    }
    let mut context = if context_ids.is_empty() {
        Vec::new()
    } else {
        client
            .pages_meta(&context_ids)
            .await
            .context("cannot look up ancestors")?
    };
    let folders = folders_above(client, &pages, &context).await?;
    context.extend(folders);

    let mut by_space: BTreeMap<SpaceId, (Vec<PageMeta>, Vec<PageMeta>)> = BTreeMap::new();
    for p in pages {
        by_space.entry(p.space_id.clone()).or_default().0.push(p);
    }
    for c in context {
        if let Some(entry) = by_space.get_mut(&c.space_id) {
            entry.1.push(c);
        }
    }
    let space_ids: Vec<SpaceId> = by_space.keys().cloned().collect();
    let spaces = client
        .spaces_by_id(&space_ids)
        .await
        .context("cannot look up spaces")?;
    let mut layout = Layout::default();
    for space in &spaces {
        if let Some((pages, context)) = by_space.remove(&space.id) {
            layout.add_space(space, pages, context);
        }
    }
    if let Some(orphan) = by_space.keys().next() {
        bail!("space {orphan} of a selected page is not visible to this account");
    }
    Ok((spaces.len(), layout))
}

/// Folders that pages (or their known ancestors) hang under, up to the first
/// page or the space root. They name folders on disk like pages do, so the
/// export mirrors the tree Confluence shows, but are not exported themselves.
async fn folders_above(
    client: &Client,
    pages: &[PageMeta],
    known: &[PageMeta],
) -> Result<Vec<PageMeta>> {
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
            Err(cme_client::Error::NotFound { .. }) => {}
            Err(e) => return Err(e).context(format!("cannot look up folder {id}")),
        }
    }
    Ok(folders)
}
