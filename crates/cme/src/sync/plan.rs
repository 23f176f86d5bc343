//! The planner: `(remote, synced, local, options) → Plan`, pure.
//!
//! Three views (after Dropbox's sync engine): *remote* is what the inventory
//! says now, *synced* is what the state says we last wrote, *local* is the
//! few facts about the disk the plan needs (which recorded files are
//! missing). Everything the executor does is decided here, so it can be
//! printed by `--dry-run` and tested without a network or a disk.
use super::deps::answers_hash;
use super::remote::Remote;
use crate::export::layout::{Layout, Placed};
use crate::export::paths::{OutputPath, UnsafePath};
use crate::state::{AttachmentUse, PageState, State, TrackedStatus};
use cme_client::{Attachment, PageId, Version};
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

/// What the disk looks like where the plan cares.
#[derive(Debug, Default)]
pub struct LocalFacts {
    /// Recorded output paths (pages and attachments) whose file is missing.
    pub missing: HashSet<String>,
}

/// Choices that are not facts.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// `--force`: pages last exported before this instant are stale.
    pub force_before: Option<String>,
    /// `--max-delete`: allow a mass deletion of up to this many pages.
    pub max_delete: Option<usize>,
}

/// Why a page is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "kebab-case")]
pub enum Reason {
    /// Not tracked yet.
    New,
    /// Tracked as deleted, and back (restored, or readable again).
    Restored,
    /// Its version rose.
    Version { from: Version, to: Version },
    /// Its path changed: its own rename, an ancestor's, or a move.
    Moved { from: String },
    /// A page it links to, includes or lists changed.
    Dependency,
    /// Its file is gone from the disk.
    Missing,
    /// `--force`.
    Forced,
}

/// One page to fetch, convert and write.
#[derive(Debug, Clone, Serialize)]
pub struct PageWrite {
    pub id: PageId,
    pub path: OutputPath,
    pub reason: Reason,
}

impl PageWrite {
    /// The report kind: `new`, `mod` or `mov`.
    pub fn kind(&self) -> ChangeKind {
        match self.reason {
            Reason::New | Reason::Restored => ChangeKind::New,
            Reason::Moved { .. } => ChangeKind::Moved,
            _ => ChangeKind::Modified,
        }
    }
}

/// The kinds of line in a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    New,
    Modified,
    Moved,
    Deleted,
}

/// A tracked page that is gone from Confluence (or no longer readable).
#[derive(Debug, Clone, Serialize)]
pub struct PageDeletion {
    pub id: PageId,
    /// Its recorded file; `None` when the recorded path is unsafe (then
    /// only the state entry is marked deleted, and the refusal reported).
    pub path: Option<OutputPath>,
}

/// Why deletions are held back this run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "why", rename_all = "kebab-case")]
pub enum Hold {
    /// A listing failed: absence proves nothing.
    IncompleteListing { problems: Vec<String> },
    /// More than half of the tracked pages would go.
    TooMany { deletions: usize, active: usize },
}

impl std::fmt::Display for Hold {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hold::IncompleteListing { problems } => write!(
                f,
                "nothing deleted: a listing did not complete ({}), so a missing page may only be unlisted",
                problems.join("; ")
            ),
            Hold::TooMany { deletions, active } => write!(
                f,
                "nothing deleted: {deletions} of {active} tracked pages would be deleted (more than half); \
                 if that is right, run again with `--max-delete {deletions}`"
            ),
        }
    }
}

/// Everything one run will do to pages.
#[derive(Debug, Default, Serialize)]
pub struct Plan {
    /// Pages to write, in layout order.
    pub writes: Vec<PageWrite>,
    /// Pages to leave alone.
    pub unchanged: usize,
    /// Pages to delete (applied last, unless held).
    pub deletions: Vec<PageDeletion>,
    /// Files left behind by earlier moves, to remove: (page, path).
    pub stale: Vec<(PageId, OutputPath)>,
    /// Why deletions are not applied, if they are not.
    pub hold: Option<Hold>,
    /// Recorded paths refused as unsafe.
    pub refused: Vec<UnsafePath>,
}

/// Plans the page changes.
pub fn plan(remote: &Remote, state: &State, local: &LocalFacts, opts: &PlanOptions) -> Plan {
    let mut plan = Plan::default();
    let layout = &remote.layout;
    for placed in layout.iter() {
        match reason(
            placed,
            state.pages.get(&placed.meta.id),
            remote,
            local,
            opts,
        ) {
            Some(reason) => plan.writes.push(PageWrite {
                id: placed.meta.id.clone(),
                path: placed.path.clone(),
                reason,
            }),
            None => plan.unchanged += 1,
        }
    }
    let claimed = claimed_paths(layout);
    let mut active = 0;
    for (id, ps) in &state.pages {
        if ps.status != TrackedStatus::Active {
            continue;
        }
        active += 1;
        if layout.get(id).is_none() {
            let path = match OutputPath::parse_recorded(&ps.output_path) {
                Ok(p) => Some(p),
                Err(e) => {
                    plan.refused.push(e);
                    None
                }
            };
            plan.deletions.push(PageDeletion {
                id: id.clone(),
                path,
            });
        }
    }
    // Files an earlier move left behind (a run stopped before removing
    // them), unless a page lives there now.
    for (id, ps) in &state.pages {
        for old in &ps.previous_paths {
            match OutputPath::parse_recorded(old) {
                Ok(p) if !claimed.contains(&p.as_str().to_lowercase()) => {
                    plan.stale.push((id.clone(), p));
                }
                Ok(_) => {}
                Err(e) => plan.refused.push(e),
            }
        }
    }
    if !remote.complete() {
        plan.hold = Some(Hold::IncompleteListing {
            problems: remote.problems.clone(),
        });
    } else {
        let n = plan.deletions.len();
        let allowed = opts.max_delete.is_some_and(|m| n <= m);
        if n >= 10 && n * 2 > active && !allowed {
            plan.hold = Some(Hold::TooMany {
                deletions: n,
                active,
            });
        }
    }
    plan
}

/// Paths pages will occupy, lower-cased (macOS and Windows fold case): a
/// file there is never removed as stale.
pub fn claimed_paths(layout: &Layout) -> HashSet<String> {
    layout
        .iter()
        .map(|p| p.path.as_str().to_lowercase())
        .collect()
}

fn reason(
    placed: &Placed,
    synced: Option<&PageState>,
    remote: &Remote,
    local: &LocalFacts,
    opts: &PlanOptions,
) -> Option<Reason> {
    let Some(ps) = synced else {
        return Some(Reason::New);
    };
    if ps.status == TrackedStatus::Deleted {
        return Some(Reason::Restored);
    }
    if placed.path.as_str() != ps.output_path {
        return Some(Reason::Moved {
            from: ps.output_path.clone(),
        });
    }
    if placed.meta.version > ps.version {
        return Some(Reason::Version {
            from: ps.version,
            to: placed.meta.version,
        });
    }
    if opts
        .force_before
        .as_deref()
        .is_some_and(|t| before(&ps.last_exported, t))
    {
        return Some(Reason::Forced);
    }
    if local.missing.contains(&ps.output_path) {
        return Some(Reason::Missing);
    }
    // A state in the spec's minimal form has no dependency record: its
    // versions are all we can go by.
    if let Some(recorded) = &ps.deps_hash {
        if *recorded != answers_hash(placed, &ps.deps, &remote.layout, &remote.attachments) {
            return Some(Reason::Dependency);
        }
    }
    None
}

/// Whether timestamp `a` is before `b` (RFC 3339; anything unparsable
/// counts as before, so a damaged entry is re-exported, not trusted).
pub fn before(a: &str, b: &str) -> bool {
    match (
        humantime::parse_rfc3339_weak(a.trim_end_matches('Z')),
        humantime::parse_rfc3339_weak(b.trim_end_matches('Z')),
    ) {
        (Ok(a), Ok(b)) => a < b,
        (Err(_), _) => true,
        (Ok(_), Err(_)) => false,
    }
}

/// Attachment work, planned after the pages are written (their new
/// Markdown says which files they use).
#[derive(Debug, Default, Serialize)]
pub struct AttachmentPlan {
    /// Files to download: owner page, attachment, where it goes.
    pub downloads: Vec<Download>,
    /// Stored files no page uses any more, or gone from Confluence.
    pub removals: Vec<Removal>,
    /// Used attachments that Confluence does not have: "file (page path)".
    pub missing: Vec<String>,
    /// Recorded attachment paths refused as unsafe.
    pub refused: Vec<UnsafePath>,
}

/// One attachment to download.
#[derive(Debug, Clone, Serialize)]
pub struct Download {
    pub owner: PageId,
    #[serde(skip)]
    pub attachment: Attachment,
    pub path: OutputPath,
    /// Whether a copy was stored before (a new version, or a missing file).
    pub replaces: bool,
}

/// One stored attachment to remove.
#[derive(Debug, Clone, Serialize)]
pub struct Removal {
    pub owner: PageId,
    pub file: String,
    /// `None` when the recorded path is unsafe: only the record goes.
    pub path: Option<OutputPath>,
}

/// Plans attachment downloads and removals from what every active page
/// uses. `hold` keeps removals back (a listing did not complete).
pub fn plan_attachments(
    remote: &Remote,
    state: &State,
    local: &LocalFacts,
    hold: bool,
) -> AttachmentPlan {
    let mut out = AttachmentPlan::default();
    let mut wanted: BTreeSet<&AttachmentUse> = BTreeSet::new();
    for (id, ps) in &state.pages {
        if ps.status != TrackedStatus::Active || remote.layout.get(id).is_none() {
            continue;
        }
        for u in &ps.uses {
            let Some(owner) = remote.layout.get(&u.page) else {
                continue;
            };
            if find(remote, &u.page, &u.file).is_some() {
                wanted.insert(u);
            } else {
                out.missing.push(format!("{} ({})", u.file, owner.path));
            }
        }
    }
    out.missing.sort();
    out.missing.dedup();
    for u in &wanted {
        let (Some(att), Some(owner)) = (find(remote, &u.page, &u.file), remote.layout.get(&u.page))
        else {
            continue;
        };
        let path = Layout::attachment_path(&owner.space, &owner.meta.id, &att.filename);
        let stored = state
            .pages
            .get(&u.page)
            .and_then(|p| p.attachments.get(&u.file));
        let current = stored.is_some_and(|s| {
            s.id == att.id.as_str()
                && s.version == att.version
                && s.output_path == path.as_str()
                && !local.missing.contains(&s.output_path)
        });
        if !current {
            out.downloads.push(Download {
                owner: u.page.clone(),
                attachment: att.clone(),
                path,
                replaces: stored.is_some(),
            });
        }
    }
    if hold {
        return out;
    }
    let wanted: HashSet<(&PageId, &str)> =
        wanted.iter().map(|u| (&u.page, u.file.as_str())).collect();
    for (id, ps) in &state.pages {
        for (file, st) in &ps.attachments {
            if wanted.contains(&(id, file.as_str())) {
                continue;
            }
            let path = match OutputPath::parse_recorded(&st.output_path) {
                Ok(p) => Some(p),
                Err(e) => {
                    out.refused.push(e);
                    None
                }
            };
            out.removals.push(Removal {
                owner: id.clone(),
                file: file.clone(),
                path,
            });
        }
    }
    out
}

fn find<'a>(remote: &'a Remote, page: &PageId, file: &str) -> Option<&'a Attachment> {
    remote
        .attachments
        .get(page)?
        .iter()
        .find(|a| a.filename == file)
}
