//! The executor: applies a [`Plan`], deciding nothing of its own. Pages are
//! fetched in batches of 250 (the next batch is in flight while this one is
//! converted), converted, written atomically and journaled one by one;
//! attachments follow (their plan needs the pages' new Markdown); deletions
//! come last. An item that fails is reported and keeps its old entry, so
//! the next sync retries it; the run goes on.
mod attachments;
mod ctx;
mod pages;
mod remove;
mod sidecars;
mod users;

use attachments::{download, remove_attachments};
pub use ctx::Exec;
pub use remove::remove_file;
use remove::{delete_pages, remove_stale};

use crate::fs::paths::OutputPath;
use crate::state::TrackedStatus;
use crate::state::journal::{Record, Store};
use crate::sync::outcome::Outcome;
use crate::sync::plan::{LocalFacts, Plan, plan_attachments};
use crate::sync::progress::Phase;
use crate::sync::remote::Remote;
use anyhow::Result;
use pages::write_pages;
use sidecars::write_sidecars_only;
use std::collections::HashSet;

/// Applies `plan` to the disk and the store; fills `out`.
pub async fn execute(
    ex: &Exec<'_>,
    remote: &Remote,
    plan: &Plan,
    local: &LocalFacts,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    settle_pending(ex, store, true)?;
    write_pages(ex, remote, plan, store, out).await?;
    if out.interrupted {
        return Ok(());
    }
    crate::sync::remote::confirm::stop_if_refused(ex.client, ex.refused_before)?;
    write_sidecars_only(ex, remote, plan, store, out).await?;
    if out.interrupted {
        return Ok(());
    }
    let held = plan.hold.is_some();
    let atts = plan_attachments(remote, store.state(), local, held);
    out.missing_attachments = atts.missing.clone();
    out.refused
        .extend(atts.refused.iter().map(ToString::to_string));
    download(ex, &atts, store, out).await?;
    if out.interrupted {
        return Ok(());
    }
    // Refused credentials anywhere (bodies, downloads, user names): stop
    // before deleting anything.
    crate::sync::remote::confirm::stop_if_refused(ex.client, ex.refused_before)?;
    // Deletions last: every write above has landed.
    ex.progress.phase(Phase::Cleanup, 0);
    remove_stale(ex, plan, store, out)?;
    if !held {
        delete_pages(ex, plan, store, out)?;
    }
    remove_attachments(ex, &atts, store, out)?;
    settle_pending(ex, store, false)?;
    Ok(())
}

/// Removes what earlier writes may have left behind (a run killed between
/// creating a folder and renaming its file into place): any pending path no
/// page or attachment records, its temporary sibling, and the folders that
/// leaves empty. After a normal run only unrecorded paths need a look (a
/// write that failed); after a killed one, recorded files may have a stale
/// temporary sibling too. A link found on the way is left alone.
fn settle_pending(ex: &Exec<'_>, store: &mut Store, after_kill: bool) -> Result<()> {
    if store.state().pending.is_empty() {
        return Ok(());
    }
    let recorded: HashSet<&str> = store
        .state()
        .pages
        .values()
        .filter(|p| p.status == TrackedStatus::Active)
        .flat_map(|p| {
            std::iter::once(p.output_path.as_str())
                .chain(p.comments_path.as_deref())
                .chain(p.attachments.values().map(|a| a.output_path.as_str()))
        })
        .collect();
    let leftovers: Vec<(OutputPath, bool)> = store
        .state()
        .pending
        .iter()
        .filter_map(|p| OutputPath::parse_recorded(p).ok())
        .map(|p| {
            let keep = recorded.contains(p.as_str());
            (p, keep)
        })
        .filter(|(_, keep)| after_kill || !keep)
        .collect();
    let mut folders: HashSet<String> = HashSet::new();
    for (path, keep) in leftovers {
        let folder = path.as_str().rsplit_once('/').map_or("", |(f, _)| f);
        if folders.insert(folder.to_owned()) {
            ex.dir.remove_partials_beside(&path);
        }
        if keep {
            ex.dir.prune_beside(&path);
            continue;
        }
        match ex.dir.remove_file(&path) {
            Err(e) if !e.is_symlink() => return Err(e.into()),
            _ => {}
        }
    }
    store.record(Record::Settled)
}
