//! Writing pages: bodies fetched in batches of 250 (the next batch in
//! flight while this one is converted), converted with a recording context,
//! written atomically and journaled one by one.
use super::ctx::{BODY_BATCH, Exec};
use super::remove::error_chain;
use super::sidecars::{fetch_comment_bodies, remove_stale_sidecar, write_sidecar};
use super::users::Users;
use crate::deps::INCOMPLETE;
use crate::fs::hash::content_hash;
use crate::fs::outdir::Durability;
use crate::page::answers::answers_hash;
use crate::page::breadcrumbs;
use crate::page::context::PageContext;
use crate::page::front_matter::{FrontMatter, PageFacts, labels_hash, names_hash};
use crate::place::layout::Placed;
use crate::state::Pending;
use crate::state::journal::{Record, Store};
use crate::sync::entry::{Written, attachment_uses, page_entry};
use crate::sync::outcome::{Failure, Line, Outcome};
use crate::sync::plan::{Plan, Reason};
use crate::sync::progress::Phase;
use crate::sync::remote::{Remote, chain};
use anyhow::{Context as _, Result};
use cme_client::{Client, PageBody, PageId, PageMeta};
use cme_convert::Converted;
use cme_convert::Options;
use std::collections::{BTreeSet, HashMap, HashSet};

/// Included bodies kept between batches, at most.
const INCLUDE_CACHE: usize = 1000;
type Fetched = Result<Vec<PageBody>, cme_client::Error>;

fn spawn_fetch(client: &Client, ids: Vec<PageId>) -> tokio::task::JoinHandle<Fetched> {
    let client = client.clone();
    tokio::spawn(async move { client.pages_with_bodies(&ids).await })
}

pub async fn write_pages(
    ex: &Exec<'_>,
    remote: &Remote,
    plan: &Plan,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    let chunks: Vec<&[crate::sync::plan::PageWrite]> = plan.writes.chunks(BODY_BATCH).collect();
    let ids_of =
        |c: &[crate::sync::plan::PageWrite]| c.iter().map(|w| w.id.clone()).collect::<Vec<_>>();
    let mut next = None;
    let mut bodies: HashMap<PageId, String> = HashMap::new();
    let mut included: HashSet<PageId> = HashSet::new();
    let mut users = Users::default();
    let total = plan.writes.len();
    ex.progress.phase(Phase::Pages, total as u64);
    let mut done = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        ex.progress.status(&format!(
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
        let mut metas: HashMap<PageId, PageMeta> = HashMap::new();
        for page in fetched {
            bodies.insert(page.meta.id.clone(), page.storage);
            metas.insert(page.meta.id.clone(), page.meta);
        }
        // Authors the fetch named only by id (Cloud's v2 answer) are asked
        // along with mentions, for the front matter.
        let unnamed: Vec<String> = metas
            .values()
            .flat_map(|m| [&m.info.author, &m.info.last_editor])
            .flatten()
            .filter(|u| u.display_name.is_none())
            .map(|u| u.id.clone())
            .collect();
        users
            .learn(
                ex.client,
                chunk.iter().filter_map(|w| bodies.get(&w.id)),
                unnamed,
            )
            .await;
        let comment_bodies = fetch_comment_bodies(ex, remote, chunk).await;
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
            let names: Vec<String> = remote.attachment_names(&w.id);
            let opts = Options {
                title: Some(placed.meta.title.clone()),
                ..ex.options.clone()
            };
            let attempt = convert_page(
                ex,
                remote,
                placed,
                &opts,
                &names,
                &mut bodies,
                &mut included,
                &mut users,
            )
            .await;
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
                    &ex.client.page_url(&placed.space, &placed.meta.id),
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
                        .any(|u| users.failed.contains(&u.id))
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
                old.as_ref(),
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
                answers_hash(placed, &deps, &remote.layout, &remote.attachments)
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
            let entry = page_entry(store.state().pages.get(&w.id), written, plan);
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
    let mut reports = crate::page::context::Reports::new();
    loop {
        let ctx = PageContext::new(
            &remote.layout,
            placed,
            bodies,
            names.to_vec(),
            &users.names,
            &users.failed,
            ex.jira_url,
        )
        .with_reports(&reports);
        let converted = cme_convert::convert(&bodies[&placed.meta.id], &ctx, opts);
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
        if misses.is_empty() || round == 3 {
            return Ok((converted, ctx.recorded(), ctx.incomplete.get()));
        }
        round += 1;
        included.extend(misses.iter().cloned());
        match ex.client.pages_with_bodies(&misses).await {
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
