//! The executor: applies a [`Plan`], deciding nothing of its own. Pages are
//! fetched in batches of 250 (the next batch is in flight while this one is
//! converted), converted, written atomically and journaled one by one;
//! attachments follow (their plan needs the pages' new Markdown); deletions
//! come last. An item that fails is reported and keeps its old entry, so
//! the next sync retries it; the run goes on.
mod ctx;
pub mod pages;
mod remove;

pub use ctx::Exec;
pub use remove::remove_file;

use crate::fs::outdir::Durability;
use crate::fs::paths::OutputPath;
use crate::state::journal::{Record, Store};
use crate::state::{AttachmentState, TrackedStatus};
use crate::sync::outcome::{Failure, Line, Outcome};
use crate::sync::plan::{AttachmentPlan, ChangeKind, LocalFacts, Plan, plan_attachments};
use crate::sync::progress::Phase;
use crate::sync::remote::{Remote, chain};
use anyhow::{Context as _, Result};
use pages::{write_pages, write_sidecars_only};
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
async fn download(
    ex: &Exec<'_>,
    plan: &AttachmentPlan,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    if !plan.downloads.is_empty() {
        // Old paths of moved files too: once no record names them, the
        // pending check removes them (also after a kill).
        store.record(Record::Intent {
            paths: plan
                .downloads
                .iter()
                .map(|d| &d.path)
                .chain(&plan.moved_from)
                .map(ToString::to_string)
                .collect(),
        })?;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for d in &plan.downloads {
        let (client, dir, d) = (ex.client.clone(), ex.dir.clone(), d.clone());
        tasks.spawn(async move {
            // Streamed to a temporary file beside its place, renamed there
            // when complete: a file's size never sits in memory.
            let r = async {
                let mut file = dir.begin_atomic(&d.path, Durability::Batched)?;
                client
                    .download_into(&d.attachment, &mut file)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot download it: {}", chain(&e)))?;
                file.commit()?;
                anyhow::Ok(())
            }
            .await;
            (d, r)
        });
    }
    let total = tasks.len();
    ex.progress.phase(Phase::Attachments, total as u64);
    loop {
        let joined = tokio::select! {
            j = tasks.join_next() => j,
            () = ex.cancel.cancelled() => {
                tasks.abort_all();
                out.interrupted = true;
                return Ok(());
            }
        };
        let Some(joined) = joined else { break };
        let (d, r) = joined.context("attachment task failed")?;
        ex.progress.advance(1, 0);
        if let Err(e) = r {
            out.failures.push(Failure {
                path: d.path.to_string(),
                reason: format!("{e:#}"),
            });
            continue;
        }
        let Some(mut entry) = store.state().pages.get(&d.owner).cloned() else {
            continue;
        };
        entry.attachments.insert(
            d.attachment.filename.clone(),
            AttachmentState {
                id: d.attachment.id.to_string(),
                version: d.attachment.version,
                output_path: d.path.to_string(),
            },
        );
        store.put(d.owner.clone(), entry)?;
        out.attachment_line(
            if d.replaces {
                ChangeKind::Modified
            } else {
                ChangeKind::New
            },
            d.path.to_string(),
        );
    }
    Ok(())
}

/// Removes the old files of moves, once the page's entry says it was
/// written elsewhere (its `previous_paths` holds the old path): a move whose
/// write failed keeps its old file.
fn remove_stale(ex: &Exec<'_>, plan: &Plan, store: &mut Store, out: &mut Outcome) -> Result<()> {
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

fn delete_pages(ex: &Exec<'_>, plan: &Plan, store: &mut Store, out: &mut Outcome) -> Result<()> {
    for d in &plan.deletions {
        let Some(mut entry) = store.state().pages.get(&d.id).cloned() else {
            continue;
        };
        if let Some(path) = &d.path {
            if !plan.claims(path.as_str()) && !remove_file(ex.dir, path, out)? {
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
                out.sidecar_line(ChangeKind::Deleted, c);
            }
            entry.comments_hash = None;
        }
        entry.status = TrackedStatus::Deleted;
        store.put(d.id.clone(), entry)?;
    }
    Ok(())
}

fn remove_attachments(
    ex: &Exec<'_>,
    plan: &AttachmentPlan,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    for r in &plan.removals {
        if let Some(path) = &r.path {
            if !remove_file(ex.dir, path, out)? {
                continue;
            }
            out.attachment_line(ChangeKind::Deleted, path.to_string());
        }
        if let Some(mut entry) = store.state().pages.get(&r.owner).cloned() {
            entry.attachments.remove(&r.file);
            store.put(r.owner.clone(), entry)?;
        }
    }
    Ok(())
}
