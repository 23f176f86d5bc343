//! The only code that removes files: old files of moves, deleted pages
//! (with their sidecars). Every removal goes through the output
//! folder's handle ([`OutDir`]), so a link planted inside the folder is
//! left alone and reported, never followed.
use super::ctx::Exec;
use crate::fs::outdir::OutDir;
use crate::fs::paths::OutputPath;
use crate::state::TrackedStatus;
use crate::state::journal::Store;
use crate::sync::outcome::{Failure, Line, Outcome};
use crate::sync::plan::{ChangeKind, Plan};
use anyhow::Result;

/// Removes one file we wrote, then the folders its removal left empty (up
/// to, never including, the output folder). A file already gone is fine.
/// Anything that stops the removal (a link at the file or on the way, a
/// folder where the file was, a permission) fails this item only (reported
/// in `out`; the next sync tries again); returns whether the file is gone.
pub fn remove_file(dir: &OutDir, path: &OutputPath, out: &mut Outcome) -> Result<bool> {
    match dir.remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) => {
            out.failures.push(Failure {
                path: path.to_string(),
                reason: error_chain(&e),
            });
            Ok(false)
        }
    }
}

/// An error and its causes on one line.
pub(super) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let more = c.to_string();
        if !s.contains(&more) {
            s.push_str(": ");
            s.push_str(&more);
        }
        cur = c.source();
    }
    s
}

/// Removes the old files of moves, once the page's entry says it was
/// written elsewhere (its `previous_paths` holds the old path): a move whose
/// write failed keeps its old file.
pub(super) fn remove_stale(
    ex: &Exec<'_>,
    plan: &Plan,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    for (id, path) in &plan.stale {
        let Some(mut entry) = store.state().pages.get(id).cloned() else {
            continue;
        };
        if !entry.previous_paths.iter().any(|p| p == path.as_str()) {
            continue;
        }
        if !remove_file(ex.dir, path, out)? {
            // Kept in `previous_paths`: the next sync tries again.
            continue;
        }
        entry.previous_paths.retain(|p| p != path.as_str());
        store.put(id.clone(), entry)?;
    }
    Ok(())
}

pub(super) fn delete_pages(
    ex: &Exec<'_>,
    plan: &Plan,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    for d in &plan.deletions {
        let Some(mut entry) = store.state().pages.get(&d.id).cloned() else {
            continue;
        };
        if let Some(path) = &d.path {
            if !d.claimed && !remove_file(ex.dir, path, out)? {
                // Still tracked: the next sync tries again.
                continue;
            }
            out.push_line(Line {
                kind: ChangeKind::Deleted,
                path: path.to_string(),
                from: None,
            });
        }
        // Its comments sidecar goes with it.
        if let Some(c) = entry.comments_path.take() {
            if let Ok(path) = OutputPath::parse_recorded(&c) {
                if !remove_file(ex.dir, &path, out)? {
                    continue;
                }
                out.sidecar_line(ChangeKind::Deleted, c.into());
            }
            entry.comments_hash = None;
        }
        entry.status = TrackedStatus::Deleted;
        store.put(d.id.clone(), entry)?;
    }
    Ok(())
}
