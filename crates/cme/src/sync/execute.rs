//! The executor: applies a [`Plan`], deciding nothing of its own. Pages are
//! fetched in batches of 250 (the next batch is in flight while this one is
//! converted), converted, written atomically and journaled one by one;
//! attachments follow (their plan needs the pages' new Markdown); deletions
//! come last. An item that fails is reported and keeps its old entry, so
//! the next sync retries it; the run goes on.
use super::Cancel;
use super::deps::{INCOMPLETE, answers_hash};
use super::journal::{Record, Store};
use super::outcome::{Failure, Line, Outcome};
use super::plan::{
    AttachmentPlan, ChangeKind, LocalFacts, Plan, Reason, claimed_paths, plan_attachments,
};
use super::remote::{Remote, chain};
use crate::export::context::PageContext;
use crate::export::paths::OutputPath;
use crate::state::{
    AttachmentState, AttachmentUse, Durability, PageState, TrackedStatus, partial_path,
    write_atomic,
};
use anyhow::{Context as _, Result};
use cme_client::{Client, Flavor, PageBody, PageId, Version};
use cme_convert::Options;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Bodies fetched per request: the v2 `id` filter's maximum.
pub const BODY_BATCH: usize = 250;

/// Included bodies kept between batches, at most.
const INCLUDE_CACHE: usize = 1000;

/// What the executor works with.
pub struct Exec<'a> {
    pub client: &'a Client,
    pub output: &'a Path,
    pub options: &'a Options,
    pub jira_url: Option<&'a str>,
    pub cancel: &'a Cancel,
    pub progress: &'a dyn Fn(&str),
    /// This run's timestamp, recorded as `last_exported`.
    pub now: String,
}

/// Applies `plan` to the disk and the store; fills `out`.
pub async fn execute(
    ex: &Exec<'_>,
    remote: &Remote,
    plan: &Plan,
    local: &LocalFacts,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    let mut guard = PathGuard::new(ex.output);
    settle_pending(ex, store, out, &mut guard, true)?;
    write_pages(ex, remote, plan, store, out, &mut guard).await?;
    if out.interrupted {
        return Ok(());
    }
    let held = plan.hold.is_some();
    let atts = plan_attachments(remote, store.state(), local, held);
    out.missing_attachments = atts.missing.clone();
    out.refused
        .extend(atts.refused.iter().map(ToString::to_string));
    download(ex, &atts, store, out, &mut guard).await?;
    if out.interrupted {
        return Ok(());
    }
    // Deletions last: every write above has landed.
    remove_stale(ex, remote, plan, store, out, &mut guard)?;
    if !held {
        delete_pages(ex, remote, plan, store, out, &mut guard)?;
    }
    remove_attachments(ex, &atts, store, out, &mut guard)?;
    settle_pending(ex, store, out, &mut guard, false)?;
    Ok(())
}

/// Removes what earlier writes may have left behind (a run killed between
/// creating a folder and renaming its file into place): any pending path no
/// page or attachment records, its temporary sibling, and the folders that
/// leaves empty. After a normal run only unrecorded paths need a look (a
/// write that failed); after a killed one, recorded files may have a stale
/// temporary sibling too.
fn settle_pending(
    ex: &Exec<'_>,
    store: &mut Store,
    out: &mut Outcome,
    guard: &mut PathGuard,
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
            std::iter::once(p.output_path.as_str())
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
    for (path, keep) in leftovers {
        let Ok(target) = guard.check(&path) else {
            continue;
        };
        if let Some(partial) = partial_path(&target) {
            let _ = std::fs::remove_file(partial);
        }
        if !keep {
            remove_file(ex.output, guard, &path, out)?;
        } else if let Some(dir) = target.parent() {
            prune(ex.output, guard, dir);
        }
    }
    store.record(Record::Settled)
}

type Fetched = Result<Vec<PageBody>, cme_client::Error>;

fn spawn_fetch(client: &Client, ids: Vec<PageId>) -> tokio::task::JoinHandle<Fetched> {
    let client = client.clone();
    tokio::spawn(async move { client.pages_with_bodies(&ids).await })
}

async fn write_pages(
    ex: &Exec<'_>,
    remote: &Remote,
    plan: &Plan,
    store: &mut Store,
    out: &mut Outcome,
    guard: &mut PathGuard,
) -> Result<()> {
    let chunks: Vec<&[super::plan::PageWrite]> = plan.writes.chunks(BODY_BATCH).collect();
    let ids_of = |c: &[super::plan::PageWrite]| c.iter().map(|w| w.id.clone()).collect::<Vec<_>>();
    let mut next = None;
    let mut bodies: HashMap<PageId, String> = HashMap::new();
    let mut included: HashSet<PageId> = HashSet::new();
    let mut users = Users::default();
    let total = plan.writes.len();
    let mut done = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        (ex.progress)(&format!(
            "fetching pages {}-{} of {total}",
            done + 1,
            done + chunk.len()
        ));
        let handle = next
            .take()
            .unwrap_or_else(|| spawn_fetch(ex.client, ids_of(chunk)));
        let fetched = tokio::select! {
            r = handle => r.context("page fetch task failed")?,
            () = ex.cancel.cancelled() => {
                out.interrupted = true;
                return Ok(());
            }
        };
        if let Some(c) = chunks.get(i + 1) {
            next = Some(spawn_fetch(ex.client, ids_of(c)));
        }
        let fetched = match fetched {
            Ok(f) => f,
            Err(e) => {
                let reason = format!("cannot fetch its body: {}", chain(&e));
                for w in *chunk {
                    out.failures.push(Failure {
                        path: w.path.to_string(),
                        reason: reason.clone(),
                    });
                }
                done += chunk.len();
                continue;
            }
        };
        store.record(Record::Intent {
            paths: chunk.iter().map(|w| w.path.to_string()).collect(),
        })?;
        let mut versions: HashMap<PageId, Version> = HashMap::new();
        for page in fetched {
            versions.insert(page.meta.id.clone(), page.meta.version);
            bodies.insert(page.meta.id, page.storage);
        }
        users
            .learn(ex.client, chunk.iter().filter_map(|w| bodies.get(&w.id)))
            .await;
        for w in *chunk {
            if ex.cancel.is_cancelled() {
                out.interrupted = true;
                return Ok(());
            }
            done += 1;
            let Some(placed) = remote.layout.get(&w.id) else {
                continue;
            };
            if !bodies.contains_key(&w.id) {
                // Deleted or restricted between listing and fetch: the next
                // sync's listing will say which.
                out.vanished.push(w.path.to_string());
                continue;
            }
            let names: Vec<String> = remote
                .attachments
                .get(&w.id)
                .map(|l| l.iter().map(|a| a.filename.clone()).collect())
                .unwrap_or_default();
            let opts = Options {
                title: Some(placed.meta.title.clone()),
                ..ex.options.clone()
            };
            // Included pages outside this batch are fetched and the page
            // converted again (a few rounds at most: includes can nest).
            let mut round = 0;
            let attempt = loop {
                let ctx = PageContext::new(
                    &remote.layout,
                    placed,
                    &bodies,
                    names.clone(),
                    &users.names,
                    &users.failed,
                    ex.jira_url,
                );
                let converted = cme_convert::convert(&bodies[&w.id], &ctx, &opts);
                let misses: Vec<PageId> = ctx
                    .misses
                    .borrow()
                    .iter()
                    .filter(|m| !included.contains(*m))
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                if misses.is_empty() || round == 3 {
                    break Ok((converted, ctx.recorded(), ctx.incomplete.get()));
                }
                round += 1;
                included.extend(misses.iter().cloned());
                match ex.client.pages_with_bodies(&misses).await {
                    Ok(found) => {
                        // Included bodies mention users too.
                        users
                            .learn(ex.client, found.iter().map(|p| &p.storage))
                            .await;
                        for p in found {
                            bodies.insert(p.meta.id, p.storage);
                        }
                    }
                    // Written without its included page, the file would
                    // look complete and never be fixed: keep the old one.
                    Err(e) => {
                        for m in &misses {
                            included.remove(m);
                        }
                        break Err(chain(&e));
                    }
                }
            };
            let (converted, deps, incomplete) = match attempt {
                Ok(done) => done,
                Err(reason) => {
                    out.failures.push(Failure {
                        path: w.path.to_string(),
                        reason: format!("cannot fetch a page it includes: {reason}"),
                    });
                    continue;
                }
            };
            let mut markdown = converted.markdown;
            drop_repeated_title(&mut markdown);
            out.warnings += converted.warnings.len();
            let target = guard.check(&w.path)?;
            write_atomic(&target, markdown.as_bytes(), Durability::Batched)?;
            let old = store.state().pages.get(&w.id);
            let mut previous_paths = old.map(|o| o.previous_paths.clone()).unwrap_or_default();
            if let Reason::Moved { from } = &w.reason {
                if !previous_paths.contains(from) {
                    previous_paths.push(from.clone());
                }
            }
            previous_paths.retain(|p| p != w.path.as_str());
            let mut uses: Vec<AttachmentUse> = converted
                .attachments
                .iter()
                .filter_map(|a| {
                    let owner = match &a.page {
                        None => Some(placed),
                        Some(r) => remote.layout.resolve(&placed.space, r),
                    }?;
                    Some(AttachmentUse {
                        page: owner.meta.id.clone(),
                        file: a.filename.clone(),
                    })
                })
                .collect();
            uses.sort();
            uses.dedup();
            let deps_hash = if incomplete {
                INCOMPLETE.to_owned()
            } else {
                answers_hash(placed, &deps, &remote.layout, &remote.attachments)
            };
            let entry = PageState {
                version: versions.get(&w.id).copied().unwrap_or(placed.meta.version),
                last_exported: ex.now.clone(),
                output_path: w.path.to_string(),
                status: TrackedStatus::Active,
                title: Some(placed.meta.title.clone()),
                parent: placed.meta.parent.as_ref().map(|(p, _)| p.clone()),
                deps,
                deps_hash: Some(deps_hash),
                uses,
                hash: Some(content_hash(markdown.as_bytes())),
                previous_paths,
                attachments: old.map(|o| o.attachments.clone()).unwrap_or_default(),
            };
            store.record(Record::Page {
                id: w.id.clone(),
                entry: Box::new(entry),
            })?;
            out.push_line(Line {
                kind: w.kind(),
                path: w.path.to_string(),
                from: match &w.reason {
                    Reason::Moved { from } => Some(from.clone()),
                    _ => None,
                },
            });
            (ex.progress)(&format!("wrote {done}/{total}: {}", w.path));
        }
        // Keep only bodies other pages include, and not too many of them.
        bodies.retain(|id, _| included.contains(id));
        if bodies.len() > INCLUDE_CACHE {
            bodies.clear();
            included.clear();
        }
    }
    Ok(())
}

async fn download(
    ex: &Exec<'_>,
    plan: &AttachmentPlan,
    store: &mut Store,
    out: &mut Outcome,
    guard: &mut PathGuard,
) -> Result<()> {
    if !plan.downloads.is_empty() {
        store.record(Record::Intent {
            paths: plan.downloads.iter().map(|d| d.path.to_string()).collect(),
        })?;
    }
    let mut tasks = tokio::task::JoinSet::new();
    for d in &plan.downloads {
        let target = match guard.check(&d.path) {
            Ok(t) => t,
            Err(e) => {
                out.refused.push(e.to_string());
                continue;
            }
        };
        let (client, d) = (ex.client.clone(), d.clone());
        tasks.spawn(async move {
            let r = match client.download(&d.attachment).await {
                Ok(bytes) => write_atomic(&target, &bytes, Durability::Batched),
                Err(e) => Err(anyhow::anyhow!("cannot download it: {}", chain(&e))),
            };
            (d, r)
        });
    }
    let total = tasks.len();
    let mut done = 0;
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
        done += 1;
        (ex.progress)(&format!("attachments {done}/{total}"));
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
        store.record(Record::Page {
            id: d.owner.clone(),
            entry: Box::new(entry),
        })?;
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

fn remove_stale(
    ex: &Exec<'_>,
    remote: &Remote,
    plan: &Plan,
    store: &mut Store,
    out: &mut Outcome,
    guard: &mut PathGuard,
) -> Result<()> {
    let claimed = claimed_paths(&remote.layout);
    for (id, path) in &plan.stale {
        if claimed.contains(&path.as_str().to_lowercase()) {
            continue;
        }
        remove_file(ex.output, guard, path, out)?;
        if let Some(mut entry) = store.state().pages.get(id).cloned() {
            entry.previous_paths.retain(|p| p != path.as_str());
            store.record(Record::Page {
                id: id.clone(),
                entry: Box::new(entry),
            })?;
        }
    }
    // Pages moved in this run: their old files go now.
    for w in &plan.writes {
        let Reason::Moved { .. } = &w.reason else {
            continue;
        };
        let Some(mut entry) = store.state().pages.get(&w.id).cloned() else {
            continue;
        };
        if entry.previous_paths.is_empty() {
            continue;
        }
        let mut kept = Vec::new();
        for old in std::mem::take(&mut entry.previous_paths) {
            match OutputPath::parse_recorded(&old) {
                Ok(p) if !claimed.contains(&old.to_lowercase()) => {
                    remove_file(ex.output, guard, &p, out)?;
                }
                Ok(_) => {}
                Err(e) => {
                    out.refused.push(e.to_string());
                    kept.push(old);
                }
            }
        }
        entry.previous_paths = kept;
        store.record(Record::Page {
            id: w.id.clone(),
            entry: Box::new(entry),
        })?;
    }
    Ok(())
}

fn delete_pages(
    ex: &Exec<'_>,
    remote: &Remote,
    plan: &Plan,
    store: &mut Store,
    out: &mut Outcome,
    guard: &mut PathGuard,
) -> Result<()> {
    let claimed = claimed_paths(&remote.layout);
    for d in &plan.deletions {
        let Some(mut entry) = store.state().pages.get(&d.id).cloned() else {
            continue;
        };
        if let Some(path) = &d.path {
            if !claimed.contains(&path.as_str().to_lowercase()) {
                remove_file(ex.output, guard, path, out)?;
            }
            out.push_line(Line {
                kind: ChangeKind::Deleted,
                path: path.to_string(),
                from: None,
            });
        }
        entry.status = TrackedStatus::Deleted;
        store.record(Record::Page {
            id: d.id.clone(),
            entry: Box::new(entry),
        })?;
    }
    Ok(())
}

fn remove_attachments(
    ex: &Exec<'_>,
    plan: &AttachmentPlan,
    store: &mut Store,
    out: &mut Outcome,
    guard: &mut PathGuard,
) -> Result<()> {
    for r in &plan.removals {
        if let Some(path) = &r.path {
            remove_file(ex.output, guard, path, out)?;
            out.attachment_line(ChangeKind::Deleted, path.to_string());
        }
        if let Some(mut entry) = store.state().pages.get(&r.owner).cloned() {
            entry.attachments.remove(&r.file);
            store.record(Record::Page {
                id: r.owner.clone(),
                entry: Box::new(entry),
            })?;
        }
    }
    Ok(())
}

/// Removes one file we wrote, then the folders its removal left empty (up
/// to, never including, the output folder). A file already gone is fine.
fn remove_file(
    root: &Path,
    guard: &mut PathGuard,
    path: &OutputPath,
    out: &mut Outcome,
) -> Result<()> {
    let target = match guard.check(path) {
        Ok(t) => t,
        Err(e) => {
            out.refused.push(e.to_string());
            return Ok(());
        }
    };
    match std::fs::remove_file(&target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot remove `{}`", target.display()));
        }
    }
    if let Some(dir) = target.parent() {
        prune(root, guard, dir);
    }
    Ok(())
}

/// Removes `dir` and its parents while they are empty, up to (never
/// including) `root`.
fn prune(root: &Path, guard: &mut PathGuard, dir: &Path) {
    let mut dir = Some(dir);
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(d).is_err() {
            break;
        }
        guard.forget(d);
        dir = d.parent();
    }
}

/// Refuses any path whose folders lead through a symbolic link: a link
/// planted inside the output folder must not redirect a write or a delete
/// elsewhere. Folders already checked are remembered.
pub struct PathGuard {
    root: PathBuf,
    checked: HashSet<PathBuf>,
}

/// A path refused by [`PathGuard`].
#[derive(Debug, thiserror::Error)]
#[error("refusing to touch `{path}`: `{link}` is a symbolic link")]
pub struct ThroughSymlink {
    path: String,
    link: String,
}

impl PathGuard {
    /// A guard for the output folder `root` (itself may be a link: the
    /// user chose it).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            checked: HashSet::new(),
        }
    }

    /// The absolute path of `path`, if no folder on the way is a link.
    pub fn check(&mut self, path: &OutputPath) -> Result<PathBuf, ThroughSymlink> {
        let full = path.under(&self.root);
        let mut dir = self.root.clone();
        let parts: Vec<&str> = path.components().collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            dir.push(part);
            if self.checked.contains(&dir) {
                continue;
            }
            match std::fs::symlink_metadata(&dir) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(ThroughSymlink {
                        path: path.to_string(),
                        link: dir
                            .strip_prefix(&self.root)
                            .unwrap_or(&dir)
                            .display()
                            .to_string(),
                    });
                }
                Ok(_) => {
                    self.checked.insert(dir.clone());
                }
                // Not there yet: it will be created as a real folder.
                Err(_) => break,
            }
        }
        Ok(full)
    }

    fn forget(&mut self, dir: &Path) {
        self.checked.remove(dir);
    }
}

/// Hash of a written file, to tell local edits later.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Many pages open with an `h1` equal to their title; the title heading we
/// add would then read twice.
pub fn drop_repeated_title(md: &mut String) {
    let Some(first) = md.lines().next() else {
        return;
    };
    if first.starts_with("# ") && md[first.len()..].starts_with(&format!("\n\n{first}\n")) {
        md.drain(..first.len() + 2);
    }
}

/// Display names of the users pages mention, looked up once each. A failed
/// lookup only costs names (mentions fall back to ids), never the run.
#[derive(Default)]
struct Users {
    names: HashMap<String, String>,
    asked: HashSet<String>,
    /// Ids whose lookup failed: asked again by a later batch, and the
    /// pages mentioning them are rewritten by the next sync.
    failed: HashSet<String>,
}

impl Users {
    async fn learn<'b>(&mut self, client: &Client, bodies: impl Iterator<Item = &'b String>) {
        let mut account_ids = BTreeSet::new();
        let mut user_keys = BTreeSet::new();
        for body in bodies {
            account_ids.extend(attribute_values(body, "ri:account-id=\""));
            user_keys.extend(attribute_values(body, "ri:userkey=\""));
        }
        let ids: Vec<String> = account_ids
            .into_iter()
            .filter(|i| self.asked.insert(i.clone()))
            .collect();
        let keys: Vec<String> = user_keys
            .into_iter()
            .filter(|k| self.asked.insert(k.clone()))
            .collect();
        let asked: Vec<String> = match client.flavor() {
            Flavor::Cloud => ids,
            // Data Center has no account ids, but content migrated from Cloud
            // can carry them; asking by key costs a 404 at worst.
            Flavor::DataCenter => keys.into_iter().chain(ids).collect(),
        };
        if asked.is_empty() {
            return;
        }
        let found = match client.flavor() {
            Flavor::Cloud => client.account_names(&asked).await,
            Flavor::DataCenter => client.user_key_names(&asked).await,
        };
        match found {
            Ok(names) => {
                for a in &asked {
                    self.failed.remove(a);
                }
                self.names.extend(names);
            }
            Err(_) => {
                for a in asked {
                    self.asked.remove(&a);
                    self.failed.insert(a);
                }
            }
        }
    }
}

/// Values of an attribute, found by plain text search: cheaper than parsing
/// every body twice, and a miss only costs a display name.
fn attribute_values<'a>(body: &'a str, prefix: &'a str) -> impl Iterator<Item = String> + 'a {
    body.match_indices(prefix).filter_map(move |(i, _)| {
        let rest = &body[i + prefix.len()..];
        rest.find('"').map(|end| rest[..end].to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_title_repeated_by_the_body_is_written_once() {
        let mut md = "# Setup\n\n# Setup\n\nText\n".to_owned();
        drop_repeated_title(&mut md);
        assert_eq!(md, "# Setup\n\nText\n");
        let mut other = "# Setup\n\n# Setup guide\n\nText\n".to_owned();
        drop_repeated_title(&mut other);
        assert_eq!(other, "# Setup\n\n# Setup guide\n\nText\n");
    }

    #[cfg(unix)]
    #[test]
    fn paths_through_a_planted_link_are_refused() {
        let d = std::env::temp_dir().join(format!("cme-guard-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("out/S")).unwrap();
        std::fs::create_dir_all(d.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(d.join("elsewhere"), d.join("out/S/Home")).unwrap();
        let mut g = PathGuard::new(&d.join("out"));
        let bad = OutputPath::parse_recorded("S/Home/Child.md").unwrap();
        assert!(g.check(&bad).is_err());
        let ok = OutputPath::parse_recorded("S/Other/Child.md").unwrap();
        assert_eq!(g.check(&ok).unwrap(), d.join("out/S/Other/Child.md"));
        std::fs::remove_dir_all(&d).ok();
    }
}
