//! Attachments: a written page's new files download while later pages
//! convert; the rest follows the pages (their plan needs the pages' new
//! Markdown). Each download is streamed into a temporary file beside its
//! place and renamed when complete; files no page keeps are removed.
use super::ctx::Exec;
use super::remove::{error_chain, remove_file};
use crate::fs::hash::ContentHasher;
use crate::fs::outdir::{AtomicFile, Durability};
use crate::state::journal::{Record, Store};
use crate::state::{AttachmentState, Pending, TrackedStatus};
use crate::sync::outcome::{Failure, Outcome};
use crate::sync::plan::{AttachmentPlan, ChangeKind, Download};
use crate::sync::progress::Phase;
use crate::sync::remote::chain;
use anyhow::{Context as _, Result};
use cme_client::PageId;
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// Files being downloaded (or waiting for a slot) at once, at most: each
/// holds a temporary file open, and the client's limit paces the requests.
/// A Cloud download is two requests (the site's redirect, then the media
/// host's bytes, each with up to 64 slots), so 128 keep both hosts busy: at
/// 100 ms a request, 64 open bound 12,000 downloads to 37 s.
const OPEN_AT_ONCE: usize = 128;

type Landed = (Download, Result<(AtomicFile, String)>);

/// The run's downloads: started as soon as they are known (a written page's
/// new files while later pages still convert, the rest after the pages),
/// each recorded when it lands; every download starts once, so a failure
/// is reported once.
pub(super) struct Downloads {
    tasks: JoinSet<Landed>,
    started: HashSet<(PageId, String)>,
    open: Arc<Semaphore>,
}

impl Downloads {
    pub(super) fn new() -> Self {
        Self {
            tasks: JoinSet::new(),
            started: HashSet::new(),
            open: Arc::new(Semaphore::new(OPEN_AT_ONCE)),
        }
    }

    /// Starts the `downloads` not started before. Their places are
    /// journaled first (a kill mid-download leaves temporary files beside
    /// them; each file's hash is journaled before its rename), with `moved`.
    pub(super) fn start(
        &mut self,
        ex: &Exec<'_>,
        store: &mut Store,
        downloads: impl IntoIterator<Item = Download>,
        moved: Vec<Pending>,
    ) -> Result<()> {
        let fresh: Vec<Download> = downloads
            .into_iter()
            .filter(|d| {
                self.started
                    .insert((d.owner.clone(), d.attachment.filename.clone()))
            })
            .collect();
        if fresh.is_empty() && moved.is_empty() {
            return Ok(());
        }
        store.record(Record::Intent {
            paths: fresh
                .iter()
                .map(|d| Pending::Path(d.path.to_string()))
                .chain(moved)
                .collect(),
        })?;
        for d in fresh {
            let (client, dir, open) = (ex.client.clone(), ex.dir.clone(), self.open.clone());
            self.tasks.spawn(async move {
                // Streamed to a temporary file beside its place, renamed there
                // when complete: a file's size never sits in memory.
                // Hashed as it arrives: the intent journaled before the rename
                // names what is renamed into place.
                let r = async {
                    let _slot = open.acquire_owned().await?;
                    let file = dir.begin_atomic(&d.path, Durability::Batched)?;
                    let mut sink = Hashing {
                        file,
                        hash: ContentHasher::default(),
                    };
                    client
                        .download_into(&d.attachment, &mut sink)
                        .await
                        .map_err(|e| anyhow::anyhow!("cannot download it: {}", chain(&e)))?;
                    anyhow::Ok((sink.file, sink.hash.finish()))
                }
                .await;
                (d, r)
            });
        }
        Ok(())
    }

    /// Records the downloads that have finished, without waiting.
    pub(super) fn land_finished(&mut self, store: &mut Store, out: &mut Outcome) -> Result<()> {
        while let Some(joined) = self.tasks.try_join_next() {
            land(joined.context("attachment task failed")?, store, out)?;
        }
        Ok(())
    }

    /// The next download to finish (`None` when none is under way: then it
    /// never resolves, so it can wait beside other work in a `select!`).
    pub(super) async fn next(&mut self) -> Result<Landed> {
        match self.tasks.join_next().await {
            Some(joined) => joined.context("attachment task failed"),
            None => std::future::pending().await,
        }
    }

    /// Starts what the attachment plan still needs and records every
    /// download as it lands.
    pub(super) async fn finish(
        &mut self,
        ex: &Exec<'_>,
        plan: &AttachmentPlan,
        store: &mut Store,
        out: &mut Outcome,
    ) -> Result<()> {
        if !plan.downloads.is_empty() {
            // Old paths of moved files too, with the hash of what they hold
            // now (the state records them as this attachment's): once no
            // record names them, the pending check removes them (also after
            // a kill) while they still hold that. A live page's file never
            // goes this way.
            let moved: Vec<Pending> = if plan.moved_from.is_empty() {
                Vec::new()
            } else {
                let pages = live_page_files(store);
                plan.moved_from
                    .iter()
                    .filter(|p| !pages.contains(p.as_str()))
                    .filter_map(|p| {
                        Some(Pending::Written {
                            path: p.to_string(),
                            hash: ex.dir.hash_file(p)?,
                        })
                    })
                    .collect()
            };
            self.start(ex, store, plan.downloads.iter().cloned(), moved)?;
        }
        ex.progress
            .phase(Phase::Attachments, self.tasks.len() as u64);
        loop {
            if self.tasks.is_empty() {
                return Ok(());
            }
            let landed = tokio::select! {
                l = self.next() => l?,
                () = ex.cancel.cancelled() => {
                    self.tasks.abort_all();
                    out.interrupted = true;
                    return Ok(());
                }
            };
            ex.progress.advance(1, 0);
            land(landed, store, out)?;
        }
    }
}

/// Records one finished download: renamed into place after its hash is
/// journaled, then kept in its owner's entry; a failure is reported.
pub(super) fn land(landed: Landed, store: &mut Store, out: &mut Outcome) -> Result<()> {
    let (d, r) = landed;
    let (file, hash) = match r {
        Ok(done) => done,
        Err(e) => {
            out.failures.push(Failure {
                path: d.path.to_string(),
                reason: format!("{e:#}"),
            });
            return Ok(());
        }
    };
    store.record(Record::Intent {
        paths: vec![Pending::Written {
            path: d.path.to_string(),
            hash,
        }],
    })?;
    if let Err(e) = file.commit() {
        out.failures.push(Failure {
            path: d.path.to_string(),
            reason: error_chain(&e),
        });
        return Ok(());
    }
    let Some(mut entry) = store.state().pages.get(&d.owner).cloned() else {
        return Ok(());
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
    Ok(())
}

pub(super) fn remove_attachments(
    ex: &Exec<'_>,
    plan: &AttachmentPlan,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    if plan.removals.is_empty() {
        return Ok(());
    }
    let pages = live_page_files(store);
    for r in &plan.removals {
        if let Some(path) = &r.path {
            if pages.contains(path.as_str()) {
                // A page's file recorded as an attachment: the page keeps
                // it; the attachment's record is dropped below.
                out.refused.push(format!(
                    "refusing to remove `{path}` through an attachment record: it is a page's file"
                ));
            } else if !remove_file(ex.dir, path, out)? {
                continue;
            } else {
                out.attachment_line(ChangeKind::Deleted, path.to_string());
            }
        }
        if let Some(mut entry) = store.state().pages.get(&r.owner).cloned() {
            entry.attachments.remove(&r.file);
            store.put(r.owner.clone(), entry)?;
        }
    }
    Ok(())
}

/// The files live pages and their comments sidecars are recorded at.
fn live_page_files(store: &Store) -> HashSet<String> {
    store
        .state()
        .pages
        .values()
        .filter(|p| p.status == TrackedStatus::Active)
        .flat_map(|p| {
            std::iter::once(p.output_path.to_string())
                .chain(p.comments_path.as_deref().map(str::to_owned))
        })
        .collect()
}

/// A download's file, hashing what it is given.
struct Hashing {
    file: AtomicFile,
    hash: ContentHasher,
}

impl cme_client::Sink for Hashing {
    fn restart(&mut self) -> std::io::Result<()> {
        self.hash.reset();
        self.file.restart()
    }

    fn write(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.hash.update(chunk);
        self.file.write(chunk)
    }
}
