//! The state entry of a page this run wrote: built here, by pure functions,
//! so the executor only gathers facts and the rules for what an entry keeps
//! (which old paths stay owed a removal, which files the page uses) are
//! written once and unit-tested without a disk or a network.
use crate::place::layout::{Layout, Placed};
use crate::state::{AttachmentUse, Digest, PageState, TrackedStatus};
use crate::sync::plan::{Plan, Reason};
use cme_client::Version;
use cme_convert::AttachmentRef;

/// A page's comments sidecar after a write: where it is, the hash of what
/// it shows, and the old sidecar still to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SidecarAfter {
    pub path: Option<String>,
    pub hash: Option<String>,
    pub stale: Option<String>,
}

/// What writing one page produced, besides its file.
#[derive(Debug, Clone)]
pub struct Written<'a> {
    pub placed: &'a Placed,
    pub reason: &'a Reason,
    /// The version the body was fetched at (the listing's when unknown).
    pub version: Version,
    /// This run's timestamp.
    pub now: &'a str,
    /// The questions the conversion asked, and the hash of their answers.
    pub deps: Vec<String>,
    pub deps_hash: String,
    /// The attachments the Markdown uses (see [`attachment_uses`]).
    pub uses: Vec<AttachmentUse>,
    /// Hash of the bytes written.
    pub hash: String,
    pub labels_hash: Option<String>,
    pub names_hash: Option<String>,
    pub sidecar: SidecarAfter,
}

/// The entry of a page written at `w.placed.path`, replacing `old`. Old
/// paths this write leaves behind (a move's, an old sidecar) are kept in
/// `previous_paths` until removed, unless a page claims them now: a crash
/// can then orphan nothing and remove nothing that is not ours.
pub fn page_entry(old: Option<&PageState>, w: Written<'_>, plan: &Plan) -> PageState {
    let mut previous_paths = old.map(|o| o.previous_paths.clone()).unwrap_or_default();
    if let Some(stale) = &w.sidecar.stale {
        owe_removal(&mut previous_paths, stale, plan);
    }
    if let Reason::Moved { from } = w.reason {
        owe_removal(&mut previous_paths, from, plan);
    }
    previous_paths.retain(|p| p != w.placed.path.as_str());
    PageState {
        version: w.version,
        last_exported: w.now.into(),
        output_path: w.placed.path.shared(),
        status: TrackedStatus::Active,
        title: Some(w.placed.meta.title.as_str().into()),
        kind: w.placed.meta.kind,
        parent: w.placed.meta.parent.as_ref().map(|(p, _)| p.clone()),
        deps: w.deps.into(),
        deps_hash: Some(w.deps_hash.into()),
        uses: w.uses,
        hash: Some(w.hash.into()),
        previous_paths,
        attachments: old.map(|o| o.attachments.clone()).unwrap_or_default(),
        labels_hash: w.labels_hash.map(Digest::from),
        names_hash: w.names_hash.map(Digest::from),
        comments_path: w.sidecar.path.map(Into::into),
        comments_hash: w.sidecar.hash.map(Digest::from),
    }
}

/// The entry of an unchanged page whose sidecar alone was rewritten.
pub fn sidecar_entry(old: &PageState, sidecar: SidecarAfter, plan: &Plan) -> PageState {
    let mut entry = old.clone();
    if let Some(stale) = &sidecar.stale {
        owe_removal(&mut entry.previous_paths, stale, plan);
    }
    entry.comments_path = sidecar.path.map(Into::into);
    entry.comments_hash = sidecar.hash.map(Digest::from);
    entry
}

/// Records `path` as still to remove, once, unless a page occupies it after
/// this run (then it is not ours to remove).
fn owe_removal(previous_paths: &mut Vec<String>, path: &str, plan: &Plan) {
    if !previous_paths.iter().any(|p| p == path) && !plan.claims(path) {
        previous_paths.push(path.to_owned());
    }
}

/// The attachments a page's Markdown uses, by owner page, sorted and
/// without repeats; files of pages the layout does not know are left out.
pub fn attachment_uses(
    refs: &[AttachmentRef],
    placed: &Placed,
    layout: &Layout,
) -> Vec<AttachmentUse> {
    let mut uses: Vec<AttachmentUse> = refs
        .iter()
        .filter_map(|a| {
            let owner = match &a.page {
                None => Some(placed),
                Some(r) => layout.resolve(&placed.space, r),
            }?;
            Some(AttachmentUse {
                page: owner.meta.id.clone(),
                file: a.filename.clone(),
            })
        })
        .collect();
    uses.sort();
    uses.dedup();
    uses
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::paths::OutputPath;
    use cme_client::{PageId, PageMeta, PageStatus, ParentKind, SpaceId, SpaceKey};

    fn placed(path: &str) -> Placed {
        Placed {
            meta: Box::new(PageMeta {
                id: PageId::new("7"),
                kind: cme_client::ContentKind::Page,
                title: "Seven".into(),
                space_id: SpaceId::new("1"),
                parent: Some((PageId::new("1"), ParentKind::Page)),
                position: None,
                status: PageStatus::Current,
                version: Version(3),
                modified_at: Default::default(),
                info: Default::default(),
            }),
            space: SpaceKey::new("ENG"),
            path: OutputPath::parse_recorded(path).unwrap(),
            children: vec![],
        }
    }

    fn written<'a>(p: &'a Placed, reason: &'a Reason, sidecar: SidecarAfter) -> Written<'a> {
        Written {
            placed: p,
            reason,
            version: Version(4),
            now: "2026-12-06T00:00:00Z",
            deps: vec!["L:id:9".into()],
            deps_hash: "d".into(),
            uses: vec![],
            hash: "h".into(),
            labels_hash: Some("l".into()),
            names_hash: None,
            sidecar,
        }
    }

    fn claiming(paths: &[&str]) -> Plan {
        Plan {
            claimed: paths.iter().map(|p| crate::sync::plan::claim(p)).collect(),
            ..Plan::default()
        }
    }

    #[test]
    fn a_new_page_gets_a_full_entry_from_what_was_written() {
        let p = placed("ENG/Seven.md");
        let e = page_entry(
            None,
            written(&p, &Reason::New, SidecarAfter::default()),
            &Plan::default(),
        );
        assert_eq!(e.version, Version(4));
        assert_eq!(&*e.output_path, "ENG/Seven.md");
        assert_eq!(e.status, TrackedStatus::Active);
        assert_eq!(e.title.as_deref(), Some("Seven"));
        assert_eq!(e.parent, Some(PageId::new("1")));
        assert_eq!(e.deps.iter().collect::<Vec<_>>(), ["L:id:9"]);
        assert_eq!(e.deps_hash, Some("d".into()));
        assert_eq!(e.hash, Some("h".into()));
        assert_eq!(e.labels_hash, Some("l".into()));
        assert_eq!(&*e.last_exported, "2026-12-06T00:00:00Z");
        assert!(e.previous_paths.is_empty() && e.attachments.is_empty());
    }

    #[test]
    fn a_move_owes_the_old_path_unless_another_page_claims_it() {
        let p = placed("ENG/New/Seven.md");
        let moved = Reason::Moved {
            from: "ENG/Seven.md".into(),
        };
        let e = page_entry(
            None,
            written(&p, &moved, SidecarAfter::default()),
            &Plan::default(),
        );
        assert_eq!(e.previous_paths, vec!["ENG/Seven.md".to_owned()]);
        // Another page lives at the old path now (any case on macOS/Windows).
        let e = page_entry(
            None,
            written(&p, &moved, SidecarAfter::default()),
            &claiming(&["eng/seven.md"]),
        );
        assert!(e.previous_paths.is_empty(), "{:?}", e.previous_paths);
    }

    #[test]
    fn old_paths_are_kept_once_and_the_current_path_is_never_owed() {
        let p = placed("ENG/Seven.md");
        let old = PageState {
            previous_paths: vec!["ENG/Seven.md".into(), "ENG/Old.comments.md".into()],
            attachments: [(
                "a.png".to_owned(),
                crate::state::AttachmentState {
                    id: "att1".into(),
                    version: Version(1),
                    output_path: "ENG/_attachments/7/a.png".into(),
                },
            )]
            .into(),
            ..PageState::minimal(Version(3), "then", "ENG/Old.md")
        };
        let sidecar = SidecarAfter {
            path: Some("ENG/Seven.comments.md".into()),
            hash: Some("c".into()),
            stale: Some("ENG/Old.comments.md".into()),
        };
        let e = page_entry(
            Some(&old),
            written(&p, &Reason::New, sidecar),
            &Plan::default(),
        );
        assert_eq!(e.previous_paths, vec!["ENG/Old.comments.md".to_owned()]);
        assert_eq!(e.comments_path.as_deref(), Some("ENG/Seven.comments.md"));
        assert_eq!(e.comments_hash, Some("c".into()));
        assert!(
            e.attachments.contains_key("a.png"),
            "attachments carried over"
        );
    }

    #[test]
    fn a_sidecar_only_change_keeps_the_rest_of_the_entry() {
        let old = PageState {
            comments_path: Some("ENG/Seven.comments.md".into()),
            ..PageState::minimal(Version(3), "then", "ENG/Seven.md")
        };
        let gone = SidecarAfter {
            stale: Some("ENG/Seven.comments.md".into()),
            ..SidecarAfter::default()
        };
        let e = sidecar_entry(&old, gone, &Plan::default());
        assert_eq!(e.comments_path, None);
        assert_eq!(e.previous_paths, vec!["ENG/Seven.comments.md".to_owned()]);
        assert_eq!(e.output_path, old.output_path);
        let e = sidecar_entry(
            &old,
            SidecarAfter::default(),
            &claiming(&["ENG/Seven.comments.md"]),
        );
        assert!(e.previous_paths.is_empty());
    }
}
