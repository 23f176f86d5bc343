//! Attachments, after the pages (their plan needs the pages' new Markdown):
//! each download streamed into a temporary file beside its place and
//! renamed when complete; files no page keeps are removed.
use super::ctx::Exec;
use super::remove::{error_chain, remove_file};
use crate::fs::hash::ContentHasher;
use crate::fs::outdir::{AtomicFile, Durability};
use crate::state::journal::{Record, Store};
use crate::state::{AttachmentState, Pending, TrackedStatus};
use crate::sync::outcome::{Failure, Outcome};
use crate::sync::plan::{AttachmentPlan, ChangeKind};
use crate::sync::progress::Phase;
use crate::sync::remote::chain;
use anyhow::{Context as _, Result};

pub(super) async fn download(
    ex: &Exec<'_>,
    plan: &AttachmentPlan,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    if !plan.downloads.is_empty() {
        // The places first (a kill mid-download leaves temporary files
        // beside them; each file's hash is journaled before its rename).
        // Old paths of moved files too, with the hash of what they hold
        // now (the state records them as this attachment's): once no record
        // names them, the pending check removes them (also after a kill)
        // while they still hold that. A live page's file never goes this way.
        let pages = live_page_files(store);
        let moved: Vec<Pending> = plan
            .moved_from
            .iter()
            .filter(|p| !pages.contains(p.as_str()))
            .filter_map(|p| {
                Some(Pending::Written {
                    path: p.to_string(),
                    hash: ex.dir.hash_file(p)?,
                })
            })
            .collect();
        store.record(Record::Intent {
            paths: plan
                .downloads
                .iter()
                .map(|d| Pending::Path(d.path.to_string()))
                .chain(moved)
                .collect(),
        })?;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for d in &plan.downloads {
        let (client, dir, d) = (ex.client.clone(), ex.dir.clone(), d.clone());
        tasks.spawn(async move {
            // Streamed to a temporary file beside its place, renamed there
            // when complete: a file's size never sits in memory.
            // Hashed as it arrives: the intent journaled before the rename
            // names what is renamed into place.
            let r = async {
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
        let (file, hash) = match r {
            Ok(done) => done,
            Err(e) => {
                out.failures.push(Failure {
                    path: d.path.to_string(),
                    reason: format!("{e:#}"),
                });
                continue;
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

pub(super) fn remove_attachments(
    ex: &Exec<'_>,
    plan: &AttachmentPlan,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
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
fn live_page_files(store: &Store) -> std::collections::HashSet<String> {
    store
        .state()
        .pages
        .values()
        .filter(|p| p.status == TrackedStatus::Active)
        .flat_map(|p| std::iter::once(p.output_path.clone()).chain(p.comments_path.clone()))
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
