//! The planner: `(remote, synced, local, options) → Plan`, pure.
//!
//! Three views (after Dropbox's sync engine): *remote* is what the inventory
//! says now, *synced* is what the state says we last wrote, *local* is the
//! few facts about the disk the plan needs (which recorded files are
//! missing). Everything the executor does is decided here, so it can be
//! printed by `--dry-run` and tested without a network or a disk.
use crate::fs::paths::{OutputPath, UnsafePath};
use crate::page::answers::answers_hash;
use crate::page::front_matter::{labels_hash, names_hash};
use crate::place::layout::{AttachmentMode, Placed};
use crate::place::names::key;
use crate::state::{AttachmentUse, State, TrackedStatus};
use crate::sync::remote::Remote;
use cme_client::{Attachment, PageId};
use serde::Serialize;
use std::collections::{BTreeSet, HashSet};

mod sidecars;
mod types;
pub use types::{
    ChangeKind, Hold, LocalFacts, PageDeletion, PageWrite, Plan, PlanOptions, Reason, SidecarPlan,
    SidecarWrite, claim,
};

/// Plans the page changes.
pub fn plan(remote: &Remote, state: &State, local: &LocalFacts, opts: &PlanOptions) -> Plan {
    let layout = &remote.layout;
    let mut plan = Plan {
        claimed: layout.iter().map(|p| claim(p.path.as_str())).collect(),
        ..Plan::default()
    };
    for placed in layout.iter() {
        match reason(placed, state, remote, local, opts) {
            // Only its comments changed: the page stays, its sidecar is rewritten.
            Some(Reason::Comments) => {
                plan.unchanged += 1;
                plan.sidecars_only.push(PageWrite {
                    id: placed.meta.id.clone(),
                    path: placed.path.clone(),
                    reason: Reason::Comments,
                    sidecar: SidecarPlan::Keep,
                });
            }
            Some(reason) => plan.writes.push(PageWrite {
                id: placed.meta.id.clone(),
                path: placed.path.clone(),
                reason,
                sidecar: SidecarPlan::Keep,
            }),
            None => plan.unchanged += 1,
        }
    }
    let mut active = 0;
    for (id, ps) in &state.pages {
        if ps.status != TrackedStatus::Active {
            continue;
        }
        active += 1;
        if layout.get(id).is_none() {
            let path = checked(&ps.output_path, &mut plan.refused);
            plan.deletions.push(PageDeletion {
                id: id.clone(),
                claimed: path.as_ref().is_some_and(|p| plan.claims(p.as_str())),
                path,
            });
        }
    }
    // Old files of this run's moves, and of earlier moves a run stopped
    // before removing, unless a page lives there now.
    let moved = plan.writes.iter().filter_map(|w| match &w.reason {
        Reason::Moved { from } => Some((&w.id, from)),
        _ => None,
    });
    let earlier = state
        .pages
        .iter()
        .flat_map(|(id, ps)| ps.previous_paths.iter().map(move |p| (id, p)));
    let mut stale = Vec::new();
    for (id, old) in moved.chain(earlier) {
        if let Some(p) = checked(old, &mut plan.refused) {
            if !plan.claims(p.as_str()) {
                stale.push((id.clone(), p));
            }
        }
    }
    stale.sort();
    stale.dedup();
    plan.stale = stale;
    for w in plan.writes.iter_mut().chain(&mut plan.sidecars_only) {
        let old = state.pages.get(&w.id).map(|e| &**e);
        w.sidecar = sidecars::decide(remote.comments.as_ref(), old, w);
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
    plan.sidecars = sidecars::report_lines(&plan, state);
    plan
}

/// A recorded path, if it is safe; a refusal is noted, never followed.
fn checked(recorded: &str, refused: &mut Vec<UnsafePath>) -> Option<OutputPath> {
    OutputPath::parse_recorded(recorded)
        .map_err(|e| refused.push(e))
        .ok()
}

fn reason(
    placed: &Placed,
    state: &State,
    remote: &Remote,
    local: &LocalFacts,
    opts: &PlanOptions,
) -> Option<Reason> {
    let Some(ps) = state.pages.get(&placed.meta.id) else {
        return Some(Reason::New);
    };
    if ps.status == TrackedStatus::Deleted {
        return Some(Reason::Restored);
    }
    if placed.path.as_str() != &*ps.output_path {
        return Some(Reason::Moved {
            from: ps.output_path.to_string(),
        });
    }
    // Versions only rise; any difference (a site restored from a backup)
    // means the file no longer shows what Confluence has.
    if placed.meta.version != ps.version {
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
    if local.missing.contains(&*ps.output_path)
        || ps
            .comments_path
            .as_ref()
            .is_some_and(|c| local.missing.contains(&**c))
    {
        return Some(Reason::Missing);
    }
    if ps.uses.iter().any(|u| attachment_moves(u, state, remote)) {
        return Some(Reason::Dependency);
    }
    // A new parent where the path stays (a path template that does not show
    // it): the breadcrumbs line names the parent, and the entry records it.
    // Entries not written by cme (no title recorded) never recorded one.
    if ps.title.is_some() && ps.parent.as_ref() != placed.meta.parent.as_ref().map(|(p, _)| p) {
        return Some(Reason::Dependency);
    }
    // Labels are in the front matter but change without a version; only
    // pages written with front matter recorded them.
    if let (Some(recorded), Some(now)) = (&ps.labels_hash, labels_hash(&placed.meta)) {
        if *recorded != now {
            return Some(Reason::Labels);
        }
    }
    if let (Some(recorded), Some(now)) = (&ps.names_hash, names_hash(&placed.meta)) {
        if *recorded != now {
            return Some(Reason::Names);
        }
    }
    // A state in the spec's minimal form has no dependency record: its
    // versions are all we can go by.
    // A page that shows issues of a Jira that did not answer this run keeps
    // its file (its answers cannot be compared); the next sync that reaches
    // that Jira compares them all.
    if let Some(recorded) = ps
        .deps_hash
        .as_ref()
        .filter(|_| !remote.jira.unanswered(&ps.deps))
    {
        if *recorded
            != answers_hash(
                placed,
                &ps.deps,
                &remote.layout,
                &remote.attachments,
                &remote.jira,
            )
        {
            return Some(Reason::Dependency);
        }
    }
    // Last: comments change without a version too, and only the sidecar is
    // rewritten for them (every reason above rewrites it along with the
    // page). A listing that did not complete leaves sidecars alone.
    if let Some(pc) = remote.comments.as_ref().filter(|c| c.complete) {
        let now = pc.hash(&placed.meta.id);
        if !crate::fs::hash::same(ps.comments_hash.as_ref(), now.as_deref()) {
            return Some(Reason::Comments);
        }
    }
    None
}

/// Whether a stored file this page links to is about to get another name
/// (a name two files once shared, made unique): the link must follow it.
fn attachment_moves(u: &AttachmentUse, state: &State, remote: &Remote) -> bool {
    let stored = state
        .pages
        .get(&u.page)
        .and_then(|o| o.attachments.get(&u.file));
    match (stored, remote.layout.attachment_path(&u.page, &u.file)) {
        (Some(s), Some(now)) => s.output_path != now.as_str(),
        _ => false,
    }
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
    /// Where files downloaded to a new path were stored before (a path
    /// template moved them): removed once no record names them.
    pub moved_from: Vec<OutputPath>,
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

/// Every listed attachment of the active, exported pages.
fn all_listed(remote: &Remote, state: &State) -> Vec<AttachmentUse> {
    let mut out = Vec::new();
    for (id, ps) in &state.pages {
        if ps.status != TrackedStatus::Active || remote.layout.get(id).is_none() {
            continue;
        }
        for a in remote.attachments.get(id).into_iter().flatten() {
            out.push(AttachmentUse {
                page: id.clone(),
                file: a.filename.clone(),
            });
        }
    }
    out
}

/// Downloads that can start as soon as `page` is written, before the pages
/// after it: the files its entry in `state` uses (with `--attachments all`,
/// also every file listed for it) that no page has a copy of, owned by a
/// page the state has an entry for (where the download is recorded).
/// [`plan_attachments`] would plan each of them the same way: a file with
/// no stored copy is always downloaded, as new, to the layout's path, so
/// starting it early changes only when. The rest (new versions, moves,
/// files of pages not written yet) waits for the plan after all pages.
pub fn early_downloads(remote: &Remote, state: &State, page: &PageId) -> Vec<Download> {
    let mode = remote.layout.options().attachments;
    let Some(ps) = state.pages.get(page) else {
        return Vec::new();
    };
    if mode == AttachmentMode::None
        || ps.status != TrackedStatus::Active
        || remote.layout.get(page).is_none()
    {
        return Vec::new();
    }
    let listed = match mode {
        AttachmentMode::All => remote.attachments.get(page).map_or(&[][..], Vec::as_slice),
        _ => &[],
    };
    let own = listed.iter().map(|a| (page, a.filename.as_str()));
    let uses = ps.uses.iter().map(|u| (&u.page, u.file.as_str()));
    let mut out: Vec<Download> = Vec::new();
    for (owner, file) in own.chain(uses) {
        let Some(stored) = state.pages.get(owner) else {
            continue;
        };
        if stored.attachments.contains_key(file)
            || out
                .iter()
                .any(|d| &d.owner == owner && d.attachment.filename == file)
        {
            continue;
        }
        out.extend(new_download(remote, owner, file));
    }
    out
}

/// Downloads `page` will most likely start once written, guessed before it
/// is converted: the files of its own that its body names (`named`; with
/// `--attachments all`, every file listed for it) and no page has a copy
/// of. A guess starts a download early, on the network's time; only
/// [`early_downloads`] (or the plan after the pages) lets one land.
pub fn likely_downloads(
    remote: &Remote,
    state: &State,
    page: &PageId,
    named: &[&str],
) -> Vec<Download> {
    let mode = remote.layout.options().attachments;
    let listed = remote.attachments.get(page).map_or(&[][..], Vec::as_slice);
    let stored = state.pages.get(page).map(|ps| &ps.attachments);
    listed
        .iter()
        .filter(|a| match mode {
            AttachmentMode::All => true,
            AttachmentMode::Referenced => named.contains(&a.filename.as_str()),
            AttachmentMode::None => false,
        })
        .filter(|a| stored.is_none_or(|s| !s.contains_key(&a.filename)))
        .filter_map(|a| new_download(remote, page, &a.filename))
        .collect()
}

/// `owner`'s listed `file` downloaded as new to the layout's path.
fn new_download(remote: &Remote, owner: &PageId, file: &str) -> Option<Download> {
    let att = find(remote, owner, file)?;
    let placed = remote.layout.get(owner)?;
    let path = remote
        .layout
        .attachment_path(&placed.meta.id, &att.filename)?;
    Some(Download {
        owner: owner.clone(),
        attachment: att.clone(),
        path,
        replaces: false,
    })
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
    // `--attachments all`: every listed file of every exported page.
    let every: Vec<AttachmentUse> = match remote.layout.options().attachments {
        AttachmentMode::All => all_listed(remote, state),
        _ => Vec::new(),
    };
    wanted.extend(&every);
    for (id, ps) in &state.pages {
        if remote.layout.options().attachments == AttachmentMode::None {
            break;
        }
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
    // A path two stored files share (written before names were made
    // unique) holds one of them: neither copy can be trusted.
    let mut seen = HashSet::new();
    let shared: HashSet<String> = state
        .pages
        .values()
        .flat_map(|p| p.attachments.values())
        .map(|a| key(&a.output_path))
        .filter(|p| !seen.insert(p.clone()))
        .collect();
    // Files that stay: a removal never takes one with them (on macOS and
    // Windows `A.png` is `a.png`).
    let mut in_use: HashSet<String> = HashSet::new();
    for u in &wanted {
        let (Some(att), Some(owner)) = (find(remote, &u.page, &u.file), remote.layout.get(&u.page))
        else {
            continue;
        };
        let Some(path) = remote.layout.attachment_path(&owner.meta.id, &att.filename) else {
            continue;
        };
        let stored = state
            .pages
            .get(&u.page)
            .and_then(|p| p.attachments.get(&u.file));
        let current = stored.is_some_and(|s| {
            s.id == att.id.as_str()
                && s.version == att.version
                && s.output_path == path.as_str()
                && !shared.contains(&key(&s.output_path))
                && !local.missing.contains(&s.output_path)
        });
        in_use.insert(key(path.as_str()));
        if let Some(s) = stored.filter(|s| s.output_path != path.as_str()) {
            out.moved_from
                .extend(checked(&s.output_path, &mut out.refused));
        }
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
            out.removals.push(Removal {
                owner: id.clone(),
                file: file.clone(),
                path: checked(&st.output_path, &mut out.refused)
                    .filter(|p| !in_use.contains(&key(p.as_str()))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deps::{Dep, RefKey};
    use crate::state::{AttachmentState, PageState};
    use cme_client::Version;
    use cme_client::{AttachmentId, PageMeta, PageStatus, ParentKind, Space, SpaceId, SpaceKey};

    fn meta(id: &str, title: &str, parent: Option<&str>, version: u64) -> PageMeta {
        PageMeta {
            id: PageId::new(id),
            kind: cme_client::ContentKind::Page,
            title: title.into(),
            space_id: SpaceId::new("1"),
            parent: parent.map(|p| (PageId::new(p), ParentKind::Page)),
            position: Some(id.parse().unwrap()),
            status: PageStatus::Current,
            version: Version(version),
            modified_at: Default::default(),
            info: Default::default(),
        }
    }

    fn remote(pages: Vec<PageMeta>, atts: Vec<(&str, &str, u64)>) -> Remote {
        let mut r = Remote::default();
        let space = Space {
            id: SpaceId::new("1"),
            key: SpaceKey::new("S"),
            name: "S".into(),
            homepage_id: None,
        };
        r.layout.add_space(&space, pages, Vec::new());
        for (page, file, version) in atts {
            r.attachments
                .entry(PageId::new(page))
                .or_default()
                .push(Attachment {
                    id: AttachmentId::new(format!("att-{page}-{file}")),
                    filename: file.into(),
                    media_type: "image/png".into(),
                    file_size: None,
                    page_id: PageId::new(page),
                    version: Version(version),
                    download_link: None,
                });
        }
        r.layout.place_attachments(&r.attachments);
        r
    }

    /// The state a complete run over `r` would leave, with `deps` per page.
    fn synced(r: &Remote, deps: &[(&str, Vec<Dep>)]) -> State {
        let mut s = State::new("http://x");
        for p in r.layout.iter() {
            let d: Vec<String> = deps
                .iter()
                .find(|(id, _)| *id == p.meta.id.as_str())
                .map(|(_, d)| d.iter().map(Dep::encode).collect())
                .unwrap_or_default();
            let hash = answers_hash(p, &d, &r.layout, &r.attachments, &r.jira);
            s.pages.insert(
                p.meta.id.clone(),
                PageState {
                    title: Some(p.meta.title.as_str().into()),
                    parent: p.meta.parent.as_ref().map(|(id, _)| id.clone()),
                    deps: d.into(),
                    deps_hash: Some(hash.into()),
                    ..PageState::minimal(p.meta.version, "2026-01-01T00:00:00Z", p.path.as_str())
                }
                .into(),
            );
        }
        s
    }

    fn site() -> Vec<PageMeta> {
        vec![
            meta("1", "Home", None, 1),
            meta("2", "Guide", Some("1"), 1),
            meta("3", "Setup", Some("2"), 1),
            meta("4", "Links", Some("1"), 1),
        ]
    }

    fn reasons(p: &Plan) -> Vec<(String, Reason)> {
        p.writes
            .iter()
            .map(|w| (w.id.to_string(), w.reason.clone()))
            .collect()
    }

    fn go(r: &Remote, s: &State) -> Plan {
        plan(r, s, &LocalFacts::default(), &PlanOptions::default())
    }

    #[test]
    fn a_new_folder_writes_every_page_and_an_unchanged_site_nothing() {
        let r = remote(site(), vec![]);
        let p = go(&r, &State::new("http://x"));
        assert_eq!(p.writes.len(), 4);
        assert!(p.writes.iter().all(|w| w.reason == Reason::New));
        let s = synced(&r, &[]);
        let again = go(&r, &s);
        assert!(again.writes.is_empty() && again.deletions.is_empty());
        assert_eq!(again.unchanged, 4);
    }

    #[test]
    fn a_higher_version_is_modified() {
        let s = synced(&remote(site(), vec![]), &[]);
        let mut pages = site();
        pages[2].version = Version(2);
        let p = go(&remote(pages, vec![]), &s);
        assert_eq!(
            reasons(&p),
            vec![(
                "3".into(),
                Reason::Version {
                    from: Version(1),
                    to: Version(2)
                }
            )]
        );
    }

    #[test]
    fn a_move_without_a_version_bump_moves_the_page_and_its_subtree() {
        let s = synced(&remote(site(), vec![]), &[]);
        let mut pages = site();
        pages[1].parent = Some((PageId::new("4"), ParentKind::Page)); // Guide under Links
        let p = go(&remote(pages, vec![]), &s);
        assert_eq!(
            reasons(&p),
            vec![
                (
                    "2".into(),
                    Reason::Moved {
                        from: "S/Home/Guide.md".into()
                    }
                ),
                (
                    "3".into(),
                    Reason::Moved {
                        from: "S/Home/Guide/Setup.md".into()
                    }
                ),
            ]
        );
        assert_eq!(p.writes[1].path.as_str(), "S/Home/Links/Guide/Setup.md");
        assert!(p.writes.iter().all(|w| w.kind() == ChangeKind::Moved));
    }

    #[test]
    fn renaming_a_linked_page_rewrites_the_pages_that_link_to_it() {
        let link = Dep::Link(RefKey::Title(SpaceKey::new("S"), "Setup".into()));
        let by_id = Dep::Link(RefKey::Id(PageId::new("2")));
        let s = synced(
            &remote(site(), vec![]),
            &[("4", vec![link]), ("1", vec![by_id])],
        );
        let mut pages = site();
        pages[2].title = "Installation".into();
        pages[2].version = Version(2);
        let p = go(&remote(pages.clone(), vec![]), &s);
        let mut got = reasons(&p);
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(got[0].0, "3");
        assert_eq!(got[1], ("4".into(), Reason::Dependency));
        assert_eq!(got.len(), 2, "the page linking to Guide by id is untouched");

        // Renaming the parent changes the linked-by-id page's path too.
        pages[1].title = "Handbook".into();
        let p = go(&remote(pages, vec![]), &s);
        assert!(reasons(&p).contains(&("1".into(), Reason::Dependency)));
    }

    #[test]
    fn children_and_attachment_lists_are_dependencies() {
        let s = synced(
            &remote(site(), vec![("4", "a.png", 1)]),
            &[("1", vec![Dep::Children]), ("4", vec![Dep::AttachmentList])],
        );
        let mut pages = site();
        pages.push(meta("5", "New child", Some("1"), 1));
        let p = go(
            &remote(pages, vec![("4", "a.png", 1), ("4", "b.png", 1)]),
            &s,
        );
        let mut got = reasons(&p);
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            vec![
                ("1".into(), Reason::Dependency),
                ("4".into(), Reason::Dependency),
                ("5".into(), Reason::New),
            ]
        );
    }

    #[test]
    fn an_included_page_edit_rewrites_the_includer() {
        let inc = Dep::Include(RefKey::Id(PageId::new("3")));
        let s = synced(&remote(site(), vec![]), &[("4", vec![inc])]);
        let mut pages = site();
        pages[2].version = Version(5);
        let got = reasons(&go(&remote(pages, vec![]), &s));
        assert!(got.contains(&("4".into(), Reason::Dependency)), "{got:?}");
    }

    #[test]
    fn missing_files_forced_runs_and_minimal_states() {
        let r = remote(site(), vec![]);
        let mut s = synced(&r, &[]);
        let local = LocalFacts {
            missing: ["S/Home/Links.md".to_owned()].into(),
        };
        let p = plan(&r, &s, &local, &PlanOptions::default());
        assert_eq!(reasons(&p), vec![("4".into(), Reason::Missing)]);

        s.pages.get_mut(&PageId::new("2")).unwrap().last_exported = "2026-03-01T00:00:00Z".into();
        let opts = PlanOptions {
            force_before: Some("2026-02-01T00:00:00Z".into()),
            max_delete: None,
        };
        let p = plan(&r, &s, &LocalFacts::default(), &opts);
        let mut ids: Vec<String> = reasons(&p).into_iter().map(|(id, _)| id).collect();
        ids.sort();
        assert_eq!(
            ids,
            vec!["1", "3", "4"],
            "a page written after the mark is done"
        );

        // The spec's minimal form: versions alone decide.
        for ps in s.pages.values_mut() {
            ps.deps_hash = None;
            ps.deps.clear();
        }
        assert!(go(&r, &s).writes.is_empty());
    }

    #[test]
    fn gone_pages_are_deleted_unless_a_listing_failed_or_too_many_go() {
        let s = synced(&remote(site(), vec![]), &[]);
        let p = go(&remote(site()[..3].to_vec(), vec![]), &s);
        assert_eq!(p.deletions.len(), 1);
        assert_eq!(
            p.deletions[0].path.as_ref().unwrap().as_str(),
            "S/Home/Links.md"
        );
        assert!(p.hold.is_none());

        let mut partial = remote(site()[..3].to_vec(), vec![]);
        partial.problems.push("listing `spaces S`: HTTP 500".into());
        let p = go(&partial, &s);
        assert!(matches!(p.hold, Some(Hold::IncompleteListing { .. })));

        // Twenty tracked pages, eleven gone: held, unless allowed.
        let many: Vec<PageMeta> = (1..=20)
            .map(|i| meta(&i.to_string(), &format!("P{i}"), None, 1))
            .collect();
        let s = synced(&remote(many.clone(), vec![]), &[]);
        let r = remote(many[..9].to_vec(), vec![]);
        let p = go(&r, &s);
        assert_eq!(
            p.hold,
            Some(Hold::TooMany {
                deletions: 11,
                active: 20
            })
        );
        let allowed = plan(
            &r,
            &s,
            &LocalFacts::default(),
            &PlanOptions {
                force_before: None,
                max_delete: Some(11),
            },
        );
        assert!(allowed.hold.is_none());
        assert_eq!(allowed.deletions.len(), 11);
    }

    #[test]
    fn unsafe_recorded_paths_are_refused_not_followed() {
        let r = remote(site(), vec![]);
        let mut s = synced(&r, &[]);
        s.pages.insert(
            PageId::new("99"),
            PageState {
                output_path: "../../etc/passwd".into(),
                ..(*s.pages[&PageId::new("1")]).clone()
            }
            .into(),
        );
        s.pages.get_mut(&PageId::new("3")).unwrap().previous_paths = vec!["/abs.md".into()];
        let p = go(&r, &s);
        assert_eq!(p.deletions.len(), 1);
        assert!(p.deletions[0].path.is_none());
        assert_eq!(p.refused.len(), 2);
        assert!(p.stale.is_empty());
    }

    #[test]
    fn a_label_change_without_a_version_rewrites_the_page() {
        let mut pages = site();
        pages[1].info.labels = Some(vec!["ops".into()]);
        let r = remote(pages.clone(), vec![]);
        let mut s = synced(&r, &[]);
        for (id, ps) in s.pages.iter_mut() {
            let meta = pages.iter().find(|p| &p.id == id).unwrap();
            ps.labels_hash = labels_hash(meta).map(Into::into);
        }
        assert!(go(&r, &s).writes.is_empty());
        pages[1].info.labels = Some(vec!["ops".into(), "new".into()]);
        let r = remote(pages, vec![]);
        let p = go(&r, &s);
        assert_eq!(p.writes.len(), 1);
        assert_eq!(p.writes[0].id, PageId::new("2"));
        assert_eq!(p.writes[0].reason, Reason::Labels);
    }

    #[test]
    fn a_page_tracked_as_deleted_that_returns_is_new() {
        let r = remote(site(), vec![]);
        let mut s = synced(&r, &[]);
        s.pages.get_mut(&PageId::new("2")).unwrap().status = TrackedStatus::Deleted;
        let p = go(&r, &s);
        assert_eq!(reasons(&p), vec![("2".into(), Reason::Restored)]);
        assert_eq!(p.writes[0].kind(), ChangeKind::New);
    }

    #[test]
    fn early_downloads_are_new_files_of_recorded_pages_as_the_full_plan_has_them() {
        let r = remote(
            site(),
            vec![("2", "a.png", 2), ("2", "b.png", 1), ("3", "c.png", 1)],
        );
        let mut s = synced(&r, &[]);
        let use_of = |page: &str, file: &str| AttachmentUse {
            page: PageId::new(page),
            file: file.into(),
        };
        // Page 4 was just written: it uses Guide's a.png and b.png, page 3's
        // c.png, and a file Confluence does not have.
        s.pages.get_mut(&PageId::new("4")).unwrap().uses = vec![
            use_of("2", "a.png"),
            use_of("2", "b.png"),
            use_of("3", "c.png"),
            use_of("2", "gone.png"),
        ];
        // Guide has a copy of b.png (a new version is for the full plan);
        // page 3 has no entry yet (its download would have no record).
        s.pages
            .get_mut(&PageId::new("2"))
            .unwrap()
            .attachments
            .insert(
                "b.png".into(),
                AttachmentState {
                    id: "att-2-b.png".into(),
                    version: Version(0),
                    output_path: "S/_attachments/2/b.png".into(),
                },
            );
        s.pages.remove(&PageId::new("3"));
        let early = early_downloads(&r, &s, &PageId::new("4"));
        let got: Vec<(&str, &str, bool)> = early
            .iter()
            .map(|d| (d.owner.as_str(), d.attachment.filename.as_str(), d.replaces))
            .collect();
        assert_eq!(got, vec![("2", "a.png", false)]);
        // The full plan downloads the same file, to the same place.
        let full = plan_attachments(&r, &s, &LocalFacts::default(), false);
        let same = full
            .downloads
            .iter()
            .find(|d| d.attachment.filename == "a.png")
            .unwrap();
        assert_eq!(same.path, early[0].path);
        assert_eq!(same.replaces, early[0].replaces);
        // A page not in the state starts nothing.
        assert!(early_downloads(&r, &s, &PageId::new("3")).is_empty());
    }

    #[test]
    fn attachments_follow_versions_and_use() {
        let r = remote(site(), vec![("2", "a.png", 2), ("2", "b.png", 1)]);
        let mut s = synced(&r, &[]);
        let store = |file: &str, v: u64| AttachmentState {
            id: format!("att-2-{file}"),
            version: Version(v),
            output_path: format!("S/_attachments/2/{file}"),
        };
        {
            let guide = s.pages.get_mut(&PageId::new("2")).unwrap();
            guide.attachments.insert("a.png".into(), store("a.png", 1));
            guide.attachments.insert("b.png".into(), store("b.png", 1));
            guide
                .attachments
                .insert("old.png".into(), store("old.png", 1));
        }
        // Page 4 uses Guide's a.png; b.png and old.png are used by nobody.
        s.pages.get_mut(&PageId::new("4")).unwrap().uses = vec![
            AttachmentUse {
                page: PageId::new("2"),
                file: "a.png".into(),
            },
            AttachmentUse {
                page: PageId::new("2"),
                file: "gone.png".into(),
            },
        ];
        let p = plan_attachments(&r, &s, &LocalFacts::default(), false);
        assert_eq!(p.downloads.len(), 1, "a new version is fetched again");
        assert!(p.downloads[0].replaces);
        assert_eq!(p.downloads[0].path.as_str(), "S/_attachments/2/a.png");
        let removed: Vec<&str> = p.removals.iter().map(|r| r.file.as_str()).collect();
        assert_eq!(removed, vec!["b.png", "old.png"]);
        assert_eq!(p.missing, vec!["gone.png (S/Home/Guide.md)"]);

        let held = plan_attachments(&r, &s, &LocalFacts::default(), true);
        assert!(held.removals.is_empty());
        assert_eq!(held.downloads.len(), 1);

        // A missing file is fetched again even at the same version.
        s.pages
            .get_mut(&PageId::new("2"))
            .unwrap()
            .attachments
            .insert("a.png".into(), store("a.png", 2));
        let local = LocalFacts {
            missing: ["S/_attachments/2/a.png".to_owned()].into(),
        };
        assert_eq!(plan_attachments(&r, &s, &local, false).downloads.len(), 1);
        assert!(
            plan_attachments(&r, &s, &LocalFacts::default(), false)
                .downloads
                .is_empty()
        );
    }

    #[test]
    fn files_an_old_export_stored_at_one_path_get_their_own_and_links_follow() {
        let r = remote(site(), vec![("2", "a:b.txt", 1), ("2", "a_b.txt", 1)]);
        let mut s = synced(&r, &[]);
        let shared = |file: &str| AttachmentState {
            id: format!("att-2-{file}"),
            version: Version(1),
            output_path: "S/_attachments/2/a_b.txt".into(),
        };
        let guide = s.pages.get_mut(&PageId::new("2")).unwrap();
        guide
            .attachments
            .insert("a:b.txt".into(), shared("a:b.txt"));
        guide
            .attachments
            .insert("a_b.txt".into(), shared("a_b.txt"));
        s.pages.get_mut(&PageId::new("4")).unwrap().uses = ["a:b.txt", "a_b.txt"]
            .map(|f| AttachmentUse {
                page: PageId::new("2"),
                file: f.into(),
            })
            .into();
        // The page linking to them is rewritten: one of its links moves.
        assert_eq!(reasons(&go(&r, &s)), vec![("4".into(), Reason::Dependency)]);
        // Both are fetched again: the shared file holds only one of them.
        let p = plan_attachments(&r, &s, &LocalFacts::default(), false);
        let mut got: Vec<(&str, &str)> = p
            .downloads
            .iter()
            .map(|d| (d.attachment.filename.as_str(), d.path.as_str()))
            .collect();
        got.sort();
        assert_eq!(
            got,
            vec![
                ("a:b.txt", "S/_attachments/2/a_b (att-2-a_b.txt).txt"),
                ("a_b.txt", "S/_attachments/2/a_b.txt"),
            ]
        );
    }

    #[test]
    fn nothing_is_removed_from_a_path_that_is_the_same_file_to_macos_or_windows() {
        // A page whose recorded path differs from its new one only in
        // Unicode form (an export before names were NFC) and an attachment
        // replaced by one differing only in case.
        let r = remote(site(), vec![("2", "a.png", 1)]);
        let mut s = synced(&r, &[]);
        s.pages.get_mut(&PageId::new("3")).unwrap().output_path =
            "S/Home/Guide/Setup\u{200B}.md".into();
        let guide = s.pages.get_mut(&PageId::new("2")).unwrap();
        guide.attachments.insert(
            "A.png".into(),
            AttachmentState {
                id: "att-old".into(),
                version: Version(1),
                output_path: "S/_attachments/2/A.png".into(),
            },
        );
        s.pages.get_mut(&PageId::new("4")).unwrap().uses = vec![AttachmentUse {
            page: PageId::new("2"),
            file: "a.png".into(),
        }];
        let p = go(&r, &s);
        assert!(matches!(p.writes[0].reason, Reason::Moved { .. }));
        assert!(p.stale.is_empty(), "{:?}", p.stale);
        let a = plan_attachments(&r, &s, &LocalFacts::default(), false);
        assert_eq!(a.removals.len(), 1);
        assert_eq!(a.removals[0].file, "A.png");
        assert!(
            a.removals[0].path.is_none(),
            "the record goes, the file stays"
        );
    }
}
