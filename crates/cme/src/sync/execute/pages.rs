//! Writing pages: bodies fetched in batches, several ahead of the one being
//! converted (with the display names and comment bodies they need),
//! converted with a recording context, written atomically and journaled
//! one by one; each page's new attachments start downloading once its
//! body arrives (on a guess, confirmed once the page is written).
use super::attachments::{Downloads, land, own_files_named};
use super::ctx::{BODY_BATCH, Exec};
use super::remove::error_chain;
use super::sidecars::{comment_bodies, comment_ids, remove_stale_sidecar, write_sidecar};
use super::users::{Claimed, Lookup, Users, look_up};
use crate::deps::INCOMPLETE;
use crate::fs::hash::content_hash;
use crate::fs::outdir::Durability;
use crate::page::answers::answers_hash;
use crate::page::breadcrumbs;
use crate::page::front_matter::{FrontMatter, PageFacts, labels_hash, names_hash};
use crate::place::layout::{AttachmentMode, Placed};
use crate::state::Pending;
use crate::state::journal::{Record, Store};
use crate::sync::entry::{Written, attachment_uses, page_entry};
use crate::sync::outcome::{Failure, Line, Outcome};
use crate::sync::plan::{PageWrite, Plan, Reason, early_downloads, likely_downloads};
use crate::sync::progress::Phase;
use crate::sync::remote::{Remote, chain};
use anyhow::{Context as _, Result};
use cme_client::{Client, CommentId, ContentKind, PageBody, PageId, PageMeta};
use cme_convert::Converted;
use cme_convert::Options;
use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::ops::Range;
use tokio::sync::{mpsc, oneshot};

/// Included bodies kept between batches, at most.
const INCLUDE_CACHE: usize = 1000;
/// Body batches fetched ahead of the one converting, at most: converting
/// waits for the network only while every batch ahead is still on its way,
/// and no more than this many batches of bodies are held at once (about
/// 25 MB with 8 KB bodies). A 250-page batch with bodies takes ~0.8 s on
/// the simulator's `cloud` network (most of it bandwidth): 10,000 pages
/// took 8.9 s to fetch and convert with 6 ahead, 6.6 s with 12 (then the
/// conversion's CPU bounds it).
const BATCHES_AHEAD: usize = 12;
/// The plan's writes cut into the fewest batches (one request each), the
/// short one first: its answer comes soonest, so converting (and
/// downloading the first pages' files) starts early at no extra request.
fn batches(total: usize) -> Vec<Range<usize>> {
    let first = match total % BODY_BATCH {
        0 => BODY_BATCH,
        short => short,
    };
    let mut out = Vec::new();
    let mut at = 0;
    let mut n = first;
    while at < total {
        out.push(at..(at + n).min(total));
        at += n;
        n = BODY_BATCH;
    }
    out
}

/// `ids` split into pages and blog posts, as the layout placed them.
fn by_kind(remote: &Remote, ids: Vec<PageId>) -> (Vec<PageId>, Vec<PageId>) {
    let (posts, pages) = ids.into_iter().partition(|id| {
        remote
            .layout
            .get(id)
            .is_some_and(|p| p.meta.kind == ContentKind::BlogPost)
    });
    (pages, posts)
}

/// The bodies of `pages` and `posts`, fetched together: blog posts come
/// from their own endpoint on Cloud, so a batch holding both kinds costs
/// one more request (none when it holds only one).
async fn fetch_bodies(
    client: &Client,
    pages: &[PageId],
    posts: &[PageId],
) -> Result<Vec<PageBody>, cme_client::Error> {
    let (pages, posts) = tokio::join!(
        client.pages_with_bodies(pages),
        client.content_with_bodies(ContentKind::BlogPost, posts)
    );
    let mut pages = pages?;
    pages.extend(posts?);
    Ok(pages)
}

/// One batch's answers, fetched ahead of its conversion.
struct Batch {
    bodies: Result<Vec<PageBody>, cme_client::Error>,
    /// Display names of the users the bodies mention and of their authors
    /// (`None` when the bodies could not be fetched).
    users: Option<Lookup>,
    /// Bodies of the comments the batch's sidecars show (`None`: they could
    /// not be fetched).
    comments: Option<HashMap<CommentId, String>>,
}

/// A batch on its way; dropped (an interrupted run), its requests stop.
struct Ahead(tokio::task::JoinHandle<Batch>);

impl Drop for Ahead {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// The files each page of a batch names in its body, told as soon as the
/// bodies arrive (see [`guess_downloads`]).
type Named = Vec<(PageId, Vec<String>)>;

/// Fetches a batch's bodies (telling `foresee` the files they name), then
/// (after the batch before it, `after`) the names its pages need and its
/// comments' bodies.
fn spawn_batch(
    client: &Client,
    remote: &Remote,
    chunk: &[PageWrite],
    claimed: &Claimed,
    (after, done): (Option<oneshot::Receiver<()>>, oneshot::Sender<()>),
    foresee: Option<mpsc::UnboundedSender<Named>>,
) -> Ahead {
    let client = client.clone();
    let ids: Vec<PageId> = chunk.iter().map(|w| w.id.clone()).collect();
    let (pages, posts) = by_kind(remote, ids);
    let comments = comment_ids(remote, chunk);
    let claimed = claimed.clone();
    Ahead(tokio::spawn(async move {
        let bodies = fetch_bodies(&client, &pages, &posts).await;
        let Ok(pages) = &bodies else {
            // No lookup here: the next batch's waits for the earlier ones.
            if let Some(after) = after {
                let _ = after.await;
            }
            drop(done);
            return Batch {
                bodies,
                users: None,
                comments: None,
            };
        };
        if let Some(foresee) = foresee {
            let named: Named = pages
                .iter()
                .map(|p| {
                    let files = own_files_named(&p.storage);
                    (
                        p.meta.id.clone(),
                        files.into_iter().map(str::to_owned).collect(),
                    )
                })
                .collect();
            // The run may be over already.
            let _ = foresee.send(named);
        }
        // Authors the fetch named only by id (Cloud's v2 answer) are asked
        // along with mentions, for the front matter.
        let unnamed: Vec<String> = pages
            .iter()
            .flat_map(|p| [&p.meta.info.author, &p.meta.info.last_editor])
            .flatten()
            .filter(|u| u.display_name.is_none())
            .map(|u| u.id.to_string())
            .collect();
        let (users, comments) = tokio::join!(
            look_up(
                &client,
                &claimed,
                pages.iter().map(|p| &p.storage),
                unnamed,
                after,
                done
            ),
            comment_bodies(&client, comments)
        );
        Batch {
            bodies,
            users: Some(users),
            comments,
        }
    }))
}

pub async fn write_pages(
    ex: &Exec<'_>,
    remote: &Remote,
    plan: &Plan,
    store: &mut Store,
    out: &mut Outcome,
    downloads: &mut Downloads,
) -> Result<()> {
    let total = plan.writes.len();
    let ranges = batches(total);
    let mut ahead: VecDeque<Ahead> = VecDeque::new();
    let mut spawned = 0;
    let mut bodies: HashMap<PageId, String> = HashMap::new();
    let mut included: HashSet<PageId> = HashSet::new();
    let mut users = Users::default();
    // The lookup of the last batch sent: the next one's waits for it.
    let mut last_lookup = None;
    // Files the bodies name start downloading while their pages wait for
    // names and conversion (the names are a round trip): taken while this
    // loop waits for a batch. Not while it writes pages: the guesses of
    // every batch ahead held ~20 MB more in queued downloads at 100,000
    // pages, and gained nothing measurable at 100 ms.
    let (foresee, mut named) = mpsc::unbounded_channel::<Named>();
    let guessing = remote.layout.options().attachments != AttachmentMode::None;
    ex.progress.phase(Phase::Pages, total as u64);
    if total > 0 {
        crate::alloc::purge_lazily();
    }
    for range in &ranges {
        while spawned < ranges.len() && ahead.len() < BATCHES_AHEAD {
            let chunk = &plan.writes[ranges[spawned].clone()];
            let (done, next) = oneshot::channel();
            let after = last_lookup.replace(next);
            ahead.push_back(spawn_batch(
                ex.client,
                remote,
                chunk,
                &users.claimed,
                (after, done),
                guessing.then(|| foresee.clone()),
            ));
            spawned += 1;
        }
        let chunk = &plan.writes[range.clone()];
        ex.progress.status(&format!(
            "fetching pages {}-{} of {total}",
            range.start + 1,
            range.end
        ));
        let Some(mut next) = ahead.pop_front() else {
            break;
        };
        // Downloads that land meanwhile are recorded as they do.
        let batch = loop {
            tokio::select! {
                r = &mut next.0 => break r.context("page fetch task failed")?,
                landed = downloads.next() => land(landed?, store, out)?,
                Some(files) = named.recv() => guess_downloads(ex, remote, store, downloads, files)?,
                () = ex.cancel.cancelled() => {
                    out.interrupted = true;
                    return Ok(());
                }
            }
        };
        let fetched = match batch.bodies {
            Ok(f) => f,
            Err(e) => {
                let reason = format!("cannot fetch its body: {}", chain(&e));
                for w in chunk {
                    out.failures.push(Failure {
                        path: w.path.to_string(),
                        reason: reason.clone(),
                    });
                }
                continue;
            }
        };
        if let Some(found) = batch.users {
            users.absorb(found);
        }
        let comment_bodies = batch.comments;
        let mut metas: HashMap<PageId, PageMeta> = HashMap::new();
        for page in fetched {
            bodies.insert(page.meta.id.clone(), page.storage);
            metas.insert(page.meta.id.clone(), page.meta);
        }
        // Converted side by side from the batch's bodies and names as they
        // are now. A page converted so asked for no body, issue or report
        // that was not at hand, so bodies fetched since (a page converting
        // in turn adds an include's) do not change it; names learned since
        // might: then the pages after convert in turn, as they always did.
        let mut ahead_of_turn = convert_side_by_side(ex, remote, chunk, &bodies, &users);
        let names_then = users.known();
        for (k, w) in chunk.iter().enumerate() {
            if ex.cancel.is_cancelled() {
                out.interrupted = true;
                return Ok(());
            }
            let Some(placed) = remote.layout.get(&w.id) else {
                continue;
            };
            if !bodies.contains_key(&w.id) {
                // Deleted or restricted between listing and fetch: the next
                // sync's listing will say which.
                out.vanished.push(w.path.to_string());
                continue;
            }
            let names: Vec<String> = remote.attachment_names(&w.id);
            let opts = page_options(ex.options, placed);
            let early = ahead_of_turn
                .get_mut(k)
                .and_then(Option::take)
                .filter(|_| users.known() == names_then);
            let attempt = match early {
                Some(done) => Ok(done),
                None => {
                    convert_page(
                        ex,
                        remote,
                        placed,
                        &opts,
                        &names,
                        &mut bodies,
                        &mut included,
                        &mut users,
                    )
                    .await
                }
            };
            let (converted, deps, mut incomplete) = match attempt {
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
            let mut deps = deps;
            if remote.layout.options().breadcrumbs {
                let style = ex.options.link_style;
                if let Some((line, asked)) = breadcrumbs::line(&remote.layout, placed, style) {
                    markdown.insert_str(0, &line);
                    deps.extend(asked);
                    deps.sort();
                    deps.dedup();
                }
            }
            let mut labels = None;
            let mut names_seen = None;
            if ex.front_matter == FrontMatter::On {
                let facts = PageFacts::new(
                    &placed.meta,
                    metas.get(&w.id),
                    placed.space.as_str(),
                    &ex.client.content_url(&placed.space, &placed.meta),
                    &users.names,
                    &converted.properties,
                );
                match facts.render() {
                    Ok(head) => markdown.insert_str(0, &head),
                    Err(e) => {
                        out.failures.push(Failure {
                            path: w.path.to_string(),
                            reason: format!("cannot write its front matter: {e}"),
                        });
                        continue;
                    }
                }
                labels = labels_hash(&placed.meta);
                names_seen = names_hash(&placed.meta);
                // An author whose name lookup failed is written by id for now;
                // the next sync rewrites the page, as for mentions.
                incomplete |= metas.get(&w.id).is_some_and(|m| {
                    [&m.info.author, &m.info.last_editor]
                        .into_iter()
                        .flatten()
                        .any(|u| users.failed.contains(&*u.id))
                });
            }
            for warning in &converted.warnings {
                out.warn(&w.path, warning);
            }
            // With the hash of what is written: after a kill, the file is
            // removed only while it holds exactly that.
            let hash = content_hash(markdown.as_bytes());
            store.record(Record::Intent {
                paths: vec![Pending::Written {
                    path: w.path.to_string(),
                    hash: hash.clone(),
                }],
            })?;
            match ex
                .dir
                .write_atomic(&w.path, markdown.as_bytes(), Durability::Batched)
            {
                Ok(()) => {}
                // A link at the file or on the way, a folder where the file
                // goes, a permission: this page fails and keeps its old
                // entry (the next sync tries again); the run goes on.
                Err(e) => {
                    out.failures.push(Failure {
                        path: w.path.to_string(),
                        reason: error_chain(&e),
                    });
                    continue;
                }
            }
            let old = store.state().pages.get(&w.id).cloned();
            let sidecar = write_sidecar(
                ex,
                remote,
                placed,
                w,
                old.as_deref(),
                comment_bodies.as_ref(),
                &bodies,
                names,
                &mut users,
                store,
                out,
            )
            .await?;
            let deps_hash = if incomplete {
                INCOMPLETE.to_owned()
            } else {
                answers_hash(
                    placed,
                    &deps,
                    &remote.layout,
                    &remote.attachments,
                    &remote.jira,
                )
            };
            let written = Written {
                placed,
                reason: &w.reason,
                version: metas.get(&w.id).map_or(placed.meta.version, |m| m.version),
                now: &ex.now,
                deps,
                deps_hash,
                uses: attachment_uses(&converted.attachments, placed, &remote.layout),
                hash,
                labels_hash: labels,
                names_hash: names_seen,
                sidecar: sidecar.clone(),
            };
            let entry = page_entry(store.state().pages.get(&w.id).map(|e| &**e), written, plan);
            store.put(w.id.clone(), entry.clone())?;
            if let Some(stale) = sidecar.stale {
                remove_stale_sidecar(ex, store, &w.id, entry, &stale, out)?;
            }
            out.push_line(Line {
                kind: w.kind(),
                path: w.path.to_string(),
                from: match &w.reason {
                    Reason::Moved { from } => Some(from.clone()),
                    _ => None,
                },
            });
            ex.progress.advance(1, markdown.len() as u64);
            // Its new files need no other page: they download meanwhile.
            let early = early_downloads(remote, store.state(), &w.id);
            downloads.start(ex, store, early, Vec::new())?;
            downloads.land_finished(store, out)?;
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

/// Starts, on a guess, the downloads the pages of a batch will likely start
/// once written ([`likely_downloads`]): the files their bodies `named`.
fn guess_downloads(
    ex: &Exec<'_>,
    remote: &Remote,
    store: &mut Store,
    downloads: &mut Downloads,
    named: Named,
) -> Result<()> {
    let mut likely = Vec::new();
    for (page, files) in &named {
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        likely.extend(likely_downloads(remote, store.state(), page, &files));
    }
    downloads.guess(ex, store, likely)
}

/// The converter's options for `placed`: the run's, with its title.
fn page_options(options: &Options, placed: &Placed) -> Options {
    Options {
        title: Some(placed.meta.title.clone()),
        ..options.clone()
    }
}

/// A page converted ahead of its turn: what [`convert_page`] returns.
type Converted1 = (Converted, Vec<String>, bool);

/// The pages of `chunk` converted side by side (on `ex.convert_threads`
/// threads), each as [`convert_page`]'s first round converts it, from the
/// `bodies` and names at hand; `None` for a page that round does not finish
/// (an include, a Jira issue or a report to fetch), which converts in turn.
/// Converting is most of the page loop's time, which otherwise runs on one
/// core while the other waits.
fn convert_side_by_side(
    ex: &Exec<'_>,
    remote: &Remote,
    chunk: &[PageWrite],
    bodies: &HashMap<PageId, String>,
    users: &Users,
) -> Vec<Option<Converted1>> {
    let threads = ex.convert_threads;
    if threads < 2 || chunk.len() < 8 {
        return Vec::new();
    }
    let todo: Vec<(usize, &PageWrite, &Placed)> = chunk
        .iter()
        .enumerate()
        .filter(|(_, w)| bodies.contains_key(&w.id))
        .filter_map(|(k, w)| Some((k, w, remote.layout.get(&w.id)?)))
        .collect();
    let one = |w: &PageWrite, placed: &Placed| -> Option<Converted1> {
        let opts = page_options(ex.options, placed);
        let reports = crate::page::context::Reports::new();
        let ctx = users
            .context(remote, placed, bodies, remote.attachment_names(&w.id))
            .with_reports(&reports);
        let converted = cme_convert::convert(&bodies[&placed.meta.id], &ctx, &opts);
        let waits = !ctx.misses.borrow().is_empty()
            || !ctx.jira_misses.borrow().is_empty()
            || !ctx.report_misses.borrow().is_empty();
        (!waits).then(|| (converted, ctx.recorded(), ctx.incomplete.get()))
    };
    let convert_part = |part: &[(usize, &PageWrite, &Placed)]| -> Vec<(usize, Option<Converted1>)> {
        part.iter()
            .map(|(k, w, placed)| (*k, one(w, placed)))
            .collect()
    };
    let mut out: Vec<Option<Converted1>> = Vec::new();
    out.resize_with(chunk.len(), || None);
    let share = todo.len().div_ceil(threads);
    let mut parts = todo.chunks(share.max(1));
    // The first part converts on this thread, which would only wait: its
    // memory is warm, where a new thread's is fresh pages (page faults).
    let first = parts.next().unwrap_or_default();
    std::thread::scope(|scope| {
        let handles: Vec<_> = parts
            .map(|part| scope.spawn(|| convert_part(part)))
            .collect();
        // A converter panic is a bug; the page then converts in turn.
        let here = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| convert_part(first)));
        for done in std::iter::once(here.ok()).chain(handles.into_iter().map(|h| h.join().ok())) {
            for (k, c) in done.into_iter().flatten() {
                out[k] = c;
            }
        }
    });
    out
}

/// Converts one page. Included pages not at hand are fetched and the page
/// converted again (a few rounds at most: includes can nest). Returns the
/// Markdown, the questions asked about other pages, and whether an answer
/// was missing for a reason that may pass; `Err` when an included page could
/// not be fetched.
#[allow(clippy::too_many_arguments)]
async fn convert_page(
    ex: &Exec<'_>,
    remote: &Remote,
    placed: &Placed,
    opts: &Options,
    names: &[String],
    bodies: &mut HashMap<PageId, String>,
    included: &mut HashSet<PageId>,
    users: &mut Users,
) -> Result<(Converted, Vec<String>, bool), String> {
    let mut round = 0;
    // Each round of included bodies reaches one level deeper: as many
    // rounds as the converter inlines levels, so a page converts the same
    // whatever bodies happened to be at hand (a fresh export has more).
    let mut include_rounds = 0;
    let mut reports = crate::page::context::Reports::new();
    let mut jira_warnings = Vec::new();
    loop {
        let ctx = users
            .context(remote, placed, bodies, names.to_vec())
            .with_reports(&reports);
        let mut converted = cme_convert::convert(&bodies[&placed.meta.id], &ctx, opts);
        let jira_misses = std::mem::take(&mut *ctx.jira_misses.borrow_mut());
        if !jira_misses.is_empty() && round < 3 {
            drop(ctx);
            round += 1;
            // All of the page's issues and lists in one go: its keys in
            // one search per server, each list once.
            jira_warnings.extend(
                crate::sync::jira::fetch(
                    ex.client,
                    &remote.jira,
                    jira_misses,
                    Some(&placed.meta.id),
                )
                .await,
            );
            continue;
        }

        let report_misses = std::mem::take(&mut *ctx.report_misses.borrow_mut());
        if !report_misses.is_empty() && round < 3 {
            drop(ctx);
            round += 1;
            // Written without its report rows, the file would look
            // complete and never be fixed: on failure the old one stays.
            super::reports::fetch(ex, placed, report_misses, &mut reports).await?;
            continue;
        }
        let misses: Vec<PageId> = ctx
            .misses
            .borrow()
            .iter()
            .filter(|m| !included.contains(*m))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if misses.is_empty() || include_rounds > cme_convert::MAX_INCLUDE_DEPTH {
            converted
                .warnings
                .extend(jira_warnings.drain(..).map(|message| cme_convert::Warning {
                    kind: cme_convert::WarningKind::Unresolved,
                    message,
                    count: 1,
                }));
            return Ok((converted, ctx.recorded(), ctx.incomplete.get()));
        }
        include_rounds += 1;
        included.extend(misses.iter().cloned());
        let (pages, posts) = by_kind(remote, misses.clone());
        match fetch_bodies(ex.client, &pages, &posts).await {
            Ok(found) => {
                // Included bodies mention users too.
                users
                    .learn(ex.client, found.iter().map(|p| &p.storage), Vec::new())
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
                return Err(chain(&e));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_as_few_as_one_per_250_with_the_short_one_first() {
        let sizes = |n| batches(n).iter().map(|r| r.len()).collect::<Vec<_>>();
        assert!(batches(0).is_empty());
        assert_eq!(sizes(100), vec![100]);
        assert_eq!(sizes(250), vec![250]);
        assert_eq!(sizes(500), vec![250, 250]);
        assert_eq!(sizes(600), vec![100, 250, 250]);
        for n in [1, 249, 251, 999, 1000, 1001, 12_345] {
            let b = batches(n);
            assert_eq!(b.len(), n.div_ceil(BODY_BATCH), "{n}");
            assert_eq!(b[0].start, 0);
            assert_eq!(b.last().unwrap().end, n);
            assert!(b.windows(2).all(|w| w[0].end == w[1].start));
            assert!(b.iter().all(|r| !r.is_empty() && r.len() <= BODY_BATCH));
        }
    }
}
