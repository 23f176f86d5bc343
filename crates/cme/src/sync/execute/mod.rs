//! The executor: applies a [`Plan`], deciding nothing of its own. Pages are
//! fetched in batches of up to 250 (several batches in flight while one is
//! converted), converted, written atomically and journaled one by one; a
//! written page's new attachments download meanwhile, the rest after the
//! pages (their plan needs the pages' new Markdown); deletions come last,
//! once every download has landed. An item that fails is reported and keeps its old entry, so
//! the next sync retries it; the run goes on.
mod attachments;
mod ctx;
mod pages;
mod remove;
mod reports;
mod sidecars;
mod users;

use attachments::{Downloads, remove_attachments};
pub use ctx::{Exec, convert_threads};
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
use std::collections::{BTreeMap, HashSet};

/// Applies `plan` to the disk and the store; fills `out`.
pub async fn execute(
    ex: &Exec<'_>,
    remote: &Remote,
    plan: &Plan,
    local: &LocalFacts,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    if let Some(problem) = crate::state::State::backup_problem(ex.dir) {
        out.failures.push(crate::sync::outcome::Failure {
            path: crate::state::BACKUP_FILE.to_owned(),
            reason: problem,
        });
    }
    settle_pending(ex, store, out, true)?;
    // Dropped on the way out (an interruption, an error), the downloads
    // still under way stop.
    let mut downloads = Downloads::new();
    write_pages(ex, remote, plan, store, out, &mut downloads).await?;
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
    downloads.finish(ex, &atts, store, out).await?;
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
    drop_refused(store, out)?;
    settle_pending(ex, store, out, false)?;
    Ok(())
}

/// Removes what earlier writes may have left behind (a run killed between
/// creating a folder and renaming its file into place): cme's temporary
/// files beside each pending path, a pending file no page or attachment
/// records when its content is what cme recorded writing there (the hash of
/// its intent), and the folders that leaves empty. The pending list comes
/// from the state and the journal, which others can edit: a path that
/// names anything else (a file cme did not write, one of cme's own files,
/// a path out of the folder) is reported after a kill (`after_kill`: the
/// list is not this run's own) and left alone. After a normal run only
/// unrecorded paths need a look (a write that failed); after a killed one,
/// recorded files may have a stale temporary sibling too. A link found on
/// the way is left alone. The list is emptied either way: a refusal is
/// reported once.
fn settle_pending(
    ex: &Exec<'_>,
    store: &mut Store,
    out: &mut Outcome,
    after_kill: bool,
) -> Result<()> {
    if store.state().pending.is_empty() {
        return Ok(());
    }
    let recorded: HashSet<&str> = store
        .state()
        .pages
        .values()
        .filter(|p| p.status == TrackedStatus::Active)
        .flat_map(|p| {
            std::iter::once(&*p.output_path)
                .chain(p.comments_path.as_deref())
                .chain(p.attachments.values().map(|a| a.output_path.as_str()))
        })
        .collect();
    // A path may be listed more than once: any hash cme recorded for it.
    let mut by_path: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in &store.state().pending {
        let hashes = by_path.entry(p.path()).or_default();
        hashes.extend(p.hash());
    }
    let mut folders: HashSet<String> = HashSet::new();
    let mut removed = Vec::new();
    for (raw, hashes) in by_path {
        let path = match OutputPath::parse_recorded(raw) {
            Ok(p) => p,
            Err(e) => {
                if after_kill {
                    out.refused
                        .push(format!("{e} (listed as pending; left alone)"));
                }
                continue;
            }
        };
        let keep = recorded.contains(path.as_str());
        if keep && !after_kill {
            continue;
        }
        let folder = path.as_str().rsplit_once('/').map_or("", |(f, _)| f);
        if folders.insert(folder.to_owned()) {
            ex.dir.remove_partials_beside(&path);
        }
        if keep {
            ex.dir.prune_beside(&path);
            continue;
        }
        let Some(hash) = ex.dir.hash_file(&path) else {
            // Nothing there (or no regular file): only empty folders go,
            // never hidden ones (`.git/refs/tags` may be empty): cme names
            // nothing with a leading dot.
            if !path.components().any(|c| c.starts_with('.')) {
                ex.dir.prune_beside(&path);
            }
            continue;
        };
        if hashes.contains(&hash.as_str()) {
            removed.push(path);
        } else if after_kill {
            out.refused.push(format!(
                "refusing to remove `{raw}` listed as pending in the state: cme did not write what it holds (left alone)"
            ));
        }
    }
    for path in removed {
        remove_file(ex.dir, &path, out)?;
    }
    store.record(Record::Settled)
}

/// Forgets the recorded paths the plan refused (reported once, in
/// `out.refused`): old paths of moves, comments sidecars and attachments
/// whose recorded path is unsafe or names one of cme's own files. Kept,
/// they would fail every later sync the same way.
fn drop_refused(store: &mut Store, out: &mut Outcome) -> Result<()> {
    let bad = |p: &str| OutputPath::parse_recorded(p).is_err();
    let changed: Vec<_> = store
        .state()
        .pages
        .iter()
        .filter(|(_, e)| {
            e.previous_paths.iter().any(|p| bad(p))
                || e.comments_path.as_deref().is_some_and(bad)
                || e.attachments.values().any(|a| bad(&a.output_path))
        })
        .map(|(id, e)| (id.clone(), e.clone()))
        .collect();
    for (id, mut entry) in changed {
        let all = entry.previous_paths.iter().map(String::as_str);
        let all = all
            .chain(entry.comments_path.as_deref())
            .chain(entry.attachments.values().map(|a| a.output_path.as_str()));
        for p in all {
            if let Err(e) = OutputPath::parse_recorded(p) {
                let line = e.to_string();
                if !out.refused.contains(&line) {
                    out.refused.push(line);
                }
            }
        }
        entry.previous_paths.retain(|p| !bad(p));
        if entry.comments_path.as_deref().is_some_and(bad) {
            entry.comments_path = None;
            entry.comments_hash = None;
        }
        entry.attachments.retain(|_, a| !bad(&a.output_path));
        store.put(id, entry)?;
    }
    Ok(())
}
