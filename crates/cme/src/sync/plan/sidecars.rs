//! What happens to each page's comments sidecar, decided once, with the
//! page: `--dry-run` reports these decisions and the executor applies them.
use super::types::{ChangeKind, PageWrite, Plan, Reason, SidecarPlan, SidecarWrite};
use crate::page::comments::{PageComments, sidecar_path};
use crate::state::{PageState, State};

/// The sidecar decision for the page `w` writes, from this run's comments
/// listing (`None`: comments are not exported) and its state entry.
pub fn decide(
    listing: Option<&PageComments>,
    old: Option<&PageState>,
    w: &PageWrite,
) -> SidecarPlan {
    if listing.is_some_and(|c| !c.complete) {
        return SidecarPlan::Keep;
    }
    let recorded = old.and_then(|p| p.comments_path.as_deref().map(str::to_owned));
    let hash = listing.and_then(|c| c.hash(&w.id));
    let target = hash.as_ref().and_then(|_| sidecar_path(&w.path));
    match (target, hash) {
        (Some(path), Some(hash)) => {
            let same_place = recorded.as_deref() == Some(path.as_str());
            let report = if !same_place {
                Some(ChangeKind::New)
            } else if !crate::fs::hash::same(
                old.and_then(|p| p.comments_hash.as_ref()),
                Some(hash.as_str()),
            ) || w.reason == Reason::Missing
            {
                Some(ChangeKind::Modified)
            } else {
                None
            };
            SidecarPlan::Write(Box::new(SidecarWrite {
                stale: recorded.filter(|r| r != path.as_str()),
                path,
                hash,
                report,
            }))
        }
        _ => SidecarPlan::Drop { stale: recorded },
    }
}

/// The sidecar lines a run reports, in the order the executor reaches them:
/// each written page's (a new or changed sidecar, then the old one
/// removed), then those of deleted pages unless deletions are held.
pub fn report_lines(plan: &Plan, state: &State) -> Vec<(ChangeKind, String)> {
    let mut out = Vec::new();
    for w in plan.writes.iter().chain(&plan.sidecars_only) {
        let stale = match &w.sidecar {
            SidecarPlan::Keep => continue,
            SidecarPlan::Write(w) => {
                let SidecarWrite {
                    path,
                    report,
                    stale,
                    ..
                } = &**w;
                if let Some(kind) = report {
                    out.push((*kind, path.to_string()));
                }
                stale
            }
            SidecarPlan::Drop { stale } => stale,
        };
        if let Some(s) = stale {
            out.push((ChangeKind::Deleted, s.clone()));
        }
    }
    if plan.hold.is_none() {
        for d in &plan.deletions {
            if let Some(c) = state
                .pages
                .get(&d.id)
                .and_then(|p| p.comments_path.as_deref().map(str::to_owned))
            {
                out.push((ChangeKind::Deleted, c));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sidecar a plan writes; panics on any other plan.
    fn written(p: &SidecarPlan) -> &SidecarWrite {
        match p {
            SidecarPlan::Write(w) => w,
            other => panic!("not a write: {other:?}"),
        }
    }
    use crate::fs::paths::OutputPath;
    use crate::options::CommentsMode;
    use cme_client::{Comment, CommentId, CommentLocation, PageId, Version};
    use std::collections::HashMap;

    fn listing(comments: usize, complete: bool) -> PageComments {
        let list = (0..comments)
            .map(|i| Comment {
                id: CommentId(i.to_string()),
                page: PageId::new("7"),
                parent: None,
                location: CommentLocation::Footer,
                author: None,
                created: format!("2026-01-0{i}T00:00:00Z"),
                version: 1,
                modified: String::new(),
                resolution: None,
                body: String::new(),
            })
            .collect();
        PageComments {
            mode: CommentsMode::All,
            by_page: HashMap::from([(PageId::new("7"), list)]),
            complete,
        }
    }

    fn write(path: &str, reason: Reason) -> PageWrite {
        PageWrite {
            id: PageId::new("7"),
            path: OutputPath::parse_recorded(path).unwrap(),
            reason,
            sidecar: SidecarPlan::Keep,
        }
    }

    fn entry(comments_path: Option<&str>, hash: Option<String>) -> PageState {
        PageState {
            comments_path: comments_path.map(Into::into),
            comments_hash: hash.map(Into::into),
            ..PageState::minimal(Version(1), "then", "A/P.md")
        }
    }

    #[test]
    fn an_incomplete_listing_keeps_the_sidecar() {
        let old = entry(Some("A/P.comments.md"), None);
        let d = decide(
            Some(&listing(1, false)),
            Some(&old),
            &write("A/P.md", Reason::Labels),
        );
        assert_eq!(d, SidecarPlan::Keep);
    }

    #[test]
    fn new_changed_same_and_moved_sidecars() {
        let l = listing(2, true);
        let hash = l.hash(&PageId::new("7")).unwrap();
        let new = decide(Some(&l), None, &write("A/P.md", Reason::New));
        let w = written(&new);
        assert!(
            w.report == Some(ChangeKind::New)
                && w.stale.is_none()
                && w.path.as_str() == "A/P.comments.md",
            "{new:?}"
        );
        let same = entry(Some("A/P.comments.md"), Some(hash.clone()));
        let d = decide(Some(&l), Some(&same), &write("A/P.md", Reason::Labels));
        assert_eq!(written(&d).report, None, "{d:?}");
        let d = decide(Some(&l), Some(&same), &write("A/P.md", Reason::Missing));
        assert_eq!(written(&d).report, Some(ChangeKind::Modified), "{d:?}");
        let changed = entry(Some("A/P.comments.md"), Some("old".into()));
        let d = decide(Some(&l), Some(&changed), &write("A/P.md", Reason::Comments));
        assert_eq!(written(&d).report, Some(ChangeKind::Modified), "{d:?}");
        let d = decide(
            Some(&l),
            Some(&same),
            &write(
                "B/P.md",
                Reason::Moved {
                    from: "A/P.md".into(),
                },
            ),
        );
        let w = written(&d);
        assert!(
            w.report == Some(ChangeKind::New) && w.stale.as_deref() == Some("A/P.comments.md"),
            "{d:?}"
        );
    }

    #[test]
    fn no_comments_or_no_listing_drops_the_recorded_sidecar() {
        let old = entry(Some("A/P.comments.md"), Some("h".into()));
        let gone = SidecarPlan::Drop {
            stale: Some("A/P.comments.md".into()),
        };
        assert_eq!(
            decide(
                Some(&listing(0, true)),
                Some(&old),
                &write("A/P.md", Reason::Comments)
            ),
            gone
        );
        assert_eq!(
            decide(None, Some(&old), &write("A/P.md", Reason::Forced)),
            gone
        );
        assert_eq!(
            decide(None, None, &write("A/P.md", Reason::New)),
            SidecarPlan::Drop { stale: None }
        );
    }
}
