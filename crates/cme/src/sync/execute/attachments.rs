//! Attachments: a written page's new files download while later pages
//! convert (started on a guess from its body once the body arrives,
//! landed once the written page confirms them); the rest follows the pages
//! (their plan needs the pages' new Markdown). Each download is streamed
//! into a temporary file beside its place and renamed when complete; files
//! no page keeps are removed.
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
use anyhow::Result;
use cme_client::PageId;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use tokio::sync::Semaphore;
use tokio::task::{AbortHandle, Id, JoinError, JoinSet};

/// Files being downloaded (or waiting for a slot) at once, at most: each
/// holds a temporary file open, and the client's limit paces the requests.
/// A Cloud download is two requests (the site's redirect, then the media
/// host's bytes, each with up to 64 slots), so 128 keep both hosts busy: at
/// 100 ms a request, 64 open bound 12,000 downloads to 37 s.
const OPEN_AT_ONCE: usize = 128;

type Fetched = Result<(AtomicFile, String)>;
type Landed = (Download, Fetched);

/// The run's downloads: started as soon as they are known (a written page's
/// new files while later pages still convert, the rest after the pages),
/// each recorded when it lands; every download starts once, so a failure
/// is reported once. A download may also start on a guess, before its page
/// is converted ([`Downloads::guess`]): it lands only once confirmed.
pub(super) struct Downloads {
    tasks: JoinSet<Landed>,
    started: HashSet<(PageId, String)>,
    open: Arc<Semaphore>,
    /// Downloads started on a guess, by task, until joined.
    guesses: HashMap<Id, Guess>,
    /// The task guessing each file, until confirmed or dropped.
    guessing: HashMap<(PageId, String), Id>,
    /// Confirmed guesses that had already landed, to be recorded.
    ready: VecDeque<Landed>,
}

/// A download's file, as its owner names it: each starts once a run.
fn key(d: &Download) -> (PageId, String) {
    (d.owner.clone(), d.attachment.filename.clone())
}

/// Where a guessed download stands.
enum Guess {
    /// Not confirmed yet: what it fetches, and how it went once landed.
    Open {
        abort: AbortHandle,
        guessed: Download,
        landed: Option<Fetched>,
    },
    /// Confirmed by the plan's own record of it, which it lands as.
    Confirmed(Download),
    /// Wrong: aborted, and discarded if it lands anyway.
    Dropped,
}

impl Downloads {
    pub(super) fn new() -> Self {
        Self {
            tasks: JoinSet::new(),
            started: HashSet::new(),
            open: Arc::new(Semaphore::new(OPEN_AT_ONCE)),
            guesses: HashMap::new(),
            guessing: HashMap::new(),
            ready: VecDeque::new(),
        }
    }

    /// Starts the `downloads` not started before. Their places are
    /// journaled first (a kill mid-download leaves temporary files beside
    /// them; each file's hash is journaled before its rename), with `moved`.
    /// One started on a guess is confirmed instead, when it fetches the
    /// same file to the same place (else it is dropped and started anew).
    pub(super) fn start(
        &mut self,
        ex: &Exec<'_>,
        store: &mut Store,
        downloads: impl IntoIterator<Item = Download>,
        moved: Vec<Pending>,
    ) -> Result<()> {
        let mut fresh = Vec::new();
        for d in downloads {
            if self.guessing.contains_key(&key(&d)) {
                fresh.extend(self.confirm(d));
            } else if self.started.insert(key(&d)) {
                fresh.push(d);
            }
        }
        if fresh.is_empty() && moved.is_empty() {
            return Ok(());
        }
        self.spawn(ex, store, fresh, moved)?;
        Ok(())
    }

    /// Confirms the guess fetching `d`'s file: it lands as `d`. A guess
    /// that fetches another version or to another place is dropped, and
    /// `d` is given back to be started anew.
    fn confirm(&mut self, d: Download) -> Option<Download> {
        let id = self.guessing.remove(&key(&d))?;
        let Some(Guess::Open {
            abort,
            guessed,
            landed,
        }) = self.guesses.remove(&id)
        else {
            // Only open guesses are in `guessing`.
            return Some(d);
        };
        let same = guessed.path == d.path
            && guessed.attachment.id == d.attachment.id
            && guessed.attachment.version == d.attachment.version;
        match (same, landed) {
            (true, Some(fetched)) => self.ready.push_back((d, fetched)),
            (true, None) => {
                self.guesses.insert(id, Guess::Confirmed(d));
            }
            // Landed: its temporary file goes with it.
            (false, Some(_)) => return Some(d),
            (false, None) => {
                abort.abort();
                // Whatever it lands anyway is discarded.
                self.guesses.insert(id, Guess::Dropped);
                return Some(d);
            }
        }
        None
    }

    /// Starts `downloads` on a guess (see [`likely_downloads`]): fetched
    /// meanwhile, landed only if [`Downloads::start`] confirms them.
    ///
    /// [`likely_downloads`]: crate::sync::plan::likely_downloads
    pub(super) fn guess(
        &mut self,
        ex: &Exec<'_>,
        store: &mut Store,
        downloads: Vec<Download>,
    ) -> Result<()> {
        let fresh: Vec<Download> = downloads
            .into_iter()
            .filter(|d| self.started.insert(key(d)))
            .collect();
        if fresh.is_empty() {
            return Ok(());
        }
        let guessed = fresh.clone();
        let tasks = self.spawn(ex, store, fresh, Vec::new())?;
        for (guessed, abort) in guessed.into_iter().zip(tasks) {
            self.guessing.insert(key(&guessed), abort.id());
            self.guesses.insert(
                abort.id(),
                Guess::Open {
                    abort,
                    guessed,
                    landed: None,
                },
            );
        }
        Ok(())
    }

    /// Drops every guess not confirmed: what the pages and the plan did not
    /// ask for is not landed (its temporary file goes).
    fn drop_guesses(&mut self) {
        for (_, id) in self.guessing.drain() {
            if let Some(Guess::Open { abort, landed, .. }) = self.guesses.remove(&id) {
                abort.abort();
                if landed.is_none() {
                    self.guesses.insert(id, Guess::Dropped);
                }
            }
        }
    }

    /// Journals the places of `downloads` (with `moved`) and starts them.
    fn spawn(
        &mut self,
        ex: &Exec<'_>,
        store: &mut Store,
        downloads: Vec<Download>,
        moved: Vec<Pending>,
    ) -> Result<Vec<AbortHandle>> {
        store.record(Record::Intent {
            paths: downloads
                .iter()
                .map(|d| Pending::Path(d.path.to_string()))
                .chain(moved)
                .collect(),
        })?;
        let mut handles = Vec::with_capacity(downloads.len());
        for d in downloads {
            let (client, dir, open) = (ex.client.clone(), ex.dir.clone(), self.open.clone());
            handles.push(self.tasks.spawn(async move {
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
                    // Boxed: a task waiting for its slot holds only the
                    // small future around it (the request's is kilobytes).
                    Box::pin(client.download_into(&d.attachment, &mut sink))
                        .await
                        .map_err(|e| anyhow::anyhow!("cannot download it: {}", chain(&e)))?;
                    anyhow::Ok((sink.file, sink.hash.finish()))
                }
                .await;
                (d, r)
            }));
        }
        Ok(handles)
    }

    /// A joined task's download, when it is to be recorded now: a guess
    /// not confirmed yet is held, a dropped one discarded.
    fn sort_out(&mut self, joined: Result<(Id, Landed), JoinError>) -> Result<Option<Landed>> {
        let (id, landed) = match joined {
            Ok(done) => done,
            // An aborted guess.
            Err(e) if e.is_cancelled() => {
                self.guesses.remove(&e.id());
                return Ok(None);
            }
            Err(e) => return Err(anyhow::Error::new(e).context("attachment task failed")),
        };
        Ok(match self.guesses.remove(&id) {
            None => Some(landed),
            Some(Guess::Confirmed(d)) => Some((d, landed.1)),
            Some(Guess::Open { abort, guessed, .. }) => {
                self.guesses.insert(
                    id,
                    Guess::Open {
                        abort,
                        guessed,
                        landed: Some(landed.1),
                    },
                );
                None
            }
            Some(Guess::Dropped) => None,
        })
    }

    /// Records the downloads that have finished, without waiting.
    pub(super) fn land_finished(&mut self, store: &mut Store, out: &mut Outcome) -> Result<()> {
        while let Some(landed) = self.ready.pop_front() {
            land(landed, store, out)?;
        }
        while let Some(joined) = self.tasks.try_join_next_with_id() {
            if let Some(landed) = self.sort_out(joined)? {
                land(landed, store, out)?;
            }
        }
        Ok(())
    }

    /// The next download to record (when none is under way, it never
    /// resolves, so it can wait beside other work in a `select!`).
    pub(super) async fn next(&mut self) -> Result<Landed> {
        match self.next_or_none().await? {
            Some(landed) => Ok(landed),
            None => std::future::pending().await,
        }
    }

    /// The next download to record; `None` when none is under way.
    async fn next_or_none(&mut self) -> Result<Option<Landed>> {
        loop {
            if let Some(landed) = self.ready.pop_front() {
                return Ok(Some(landed));
            }
            match self.tasks.join_next_with_id().await {
                Some(joined) => {
                    if let Some(landed) = self.sort_out(joined)? {
                        return Ok(Some(landed));
                    }
                }
                None => return Ok(None),
            }
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
        self.drop_guesses();
        let dropped = self
            .guesses
            .values()
            .filter(|g| matches!(g, Guess::Dropped))
            .count();
        ex.progress.phase(
            Phase::Attachments,
            (self.tasks.len() + self.ready.len()).saturating_sub(dropped) as u64,
        );
        loop {
            let landed = tokio::select! {
                l = self.next_or_none() => match l? {
                    Some(landed) => landed,
                    None => return Ok(()),
                },
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

/// The page's own files its storage body names: every self-closing
/// `<ri:attachment ri:filename="…"/>` (one with children names another
/// page's file). Found by plain text search, for a guess: a name with an
/// entity in it is left out, and one the page turns out not to use is
/// fetched for nothing, never landed.
pub(super) fn own_files_named(body: &str) -> Vec<&str> {
    const TAG: &[u8] = b"<ri:attachment ";
    const NAME: &str = "ri:filename=\"";
    let mut out: Vec<&str> = Vec::new();
    for i in memchr::memmem::find_iter(body.as_bytes(), TAG) {
        let rest = &body[i + TAG.len()..];
        let Some(end) = rest.find('>') else {
            break;
        };
        let tag = &rest[..end];
        let Some(attrs) = tag.strip_suffix('/') else {
            continue;
        };
        let Some(at) = attrs.find(NAME) else {
            continue;
        };
        let value = &attrs[at + NAME.len()..];
        let Some(name) = value.find('"').map(|e| &value[..e]) else {
            continue;
        };
        if !name.is_empty() && !name.contains('&') && !out.contains(&name) {
            out.push(name);
        }
    }
    out
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

#[cfg(test)]
mod tests {
    use super::own_files_named;

    #[test]
    fn a_body_names_its_own_files_in_self_closing_references_only() {
        let body = concat!(
            r#"<ac:image><ri:attachment ri:filename="a.png" ri:version-at-save="1"/></ac:image>"#,
            r#"<ac:link><ri:attachment ri:version-at-save="2" ri:filename="b c.pdf" /></ac:link>"#,
            r#"<ac:image><ri:attachment ri:filename="other.png"><ri:page ri:content-title="X"/></ri:attachment></ac:image>"#,
            r#"<ri:attachment ri:filename="a.png"/><ri:attachment ri:filename="x&amp;y.png"/>"#,
            r#"<ri:attachment ri:filename=""/><ri:attachment ri:filename="cut"#,
        );
        assert_eq!(own_files_named(body), ["a.png", "b c.pdf"]);
        assert!(own_files_named("<p>no files</p>").is_empty());
    }
}
