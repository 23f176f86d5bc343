//! Comments sidecars: written with their page, or alone when only the
//! comments changed, as the plan decided ([`SidecarPlan`]).
use super::ctx::{BODY_BATCH, Exec};
use super::remove::{error_chain, remove_file};
use super::users::Users;
use crate::fs::outdir::Durability;
use crate::fs::paths::OutputPath;
use crate::page::comments;
use crate::place::layout::Placed;
use crate::state::journal::{Record, Store};
use crate::state::{PageState, Pending};
use crate::sync::entry::{SidecarAfter, sidecar_entry};
use crate::sync::outcome::{Failure, Outcome};
use crate::sync::plan::{ChangeKind, PageWrite, Plan, SidecarPlan};
use crate::sync::remote::{Remote, chain};
use anyhow::Result;
use cme_client::{Comment, CommentId, PageId};
use cme_convert::Options;
use std::collections::HashMap;

/// Rewrites (or removes) the sidecars of pages whose comments alone
/// changed: no page body is fetched and no page file touched.
pub async fn write_sidecars_only(
    ex: &Exec<'_>,
    remote: &Remote,
    plan: &Plan,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<()> {
    let mut users = Users::default();
    let no_bodies = HashMap::new();
    for chunk in plan.sidecars_only.chunks(BODY_BATCH) {
        if ex.cancel.is_cancelled() {
            out.interrupted = true;
            return Ok(());
        }
        let comment_bodies = fetch_comment_bodies(ex, remote, chunk).await;
        for w in chunk {
            let (Some(placed), Some(old)) = (
                remote.layout.get(&w.id),
                store.state().pages.get(&w.id).cloned(),
            ) else {
                continue;
            };
            let names: Vec<String> = remote.attachment_names(&w.id);
            let sidecar = write_sidecar(
                ex,
                remote,
                placed,
                w,
                Some(&old),
                comment_bodies.as_ref(),
                &no_bodies,
                names,
                &mut users,
                store,
                out,
            )
            .await?;
            let entry = sidecar_entry(&old, sidecar.clone(), plan);
            store.put(w.id.clone(), entry.clone())?;
            if let Some(stale) = sidecar.stale {
                remove_stale_sidecar(ex, store, &w.id, entry, &stale, out)?;
            }
        }
    }
    Ok(())
}

/// Writes (or drops) the comments sidecar of the page `w` places. Without
/// a complete comments listing the old one is kept as is.
#[allow(clippy::too_many_arguments)]
pub(super) async fn write_sidecar(
    ex: &Exec<'_>,
    remote: &Remote,
    placed: &Placed,
    w: &PageWrite,
    old: Option<&PageState>,
    comment_bodies: Option<&HashMap<CommentId, String>>,
    bodies: &HashMap<PageId, String>,
    names: Vec<String>,
    users: &mut Users,
    store: &mut Store,
    out: &mut Outcome,
) -> Result<SidecarAfter> {
    let keep = SidecarAfter {
        path: old.and_then(|o| o.comments_path.as_deref().map(str::to_owned)),
        hash: old.and_then(|o| o.comments_hash.as_ref().map(|h| h.to_string())),
        stale: None,
    };
    let (target, hash, report, stale) = match &w.sidecar {
        SidecarPlan::Keep => return Ok(keep),
        SidecarPlan::Drop { stale } => {
            return Ok(SidecarAfter {
                path: None,
                hash: None,
                stale: stale.clone(),
            });
        }
        SidecarPlan::Write(w) => (&w.path, &w.hash, &w.report, &w.stale),
    };
    let kept = remote
        .comments
        .as_ref()
        .map_or_else(Vec::new, |pc| pc.kept(&placed.meta.id));
    let Some(comment_bodies) = comment_bodies else {
        out.failures.push(Failure {
            path: target.to_string(),
            reason: "cannot fetch its comments' bodies".to_owned(),
        });
        // No hash: the next sync tries again.
        return Ok(SidecarAfter { hash: None, ..keep });
    };
    let filled: Vec<Comment> = kept
        .iter()
        .map(|c| Comment {
            body: comment_bodies.get(&c.id).cloned().unwrap_or_default(),
            ..(*c).clone()
        })
        .collect();
    let kept_filled: Vec<&Comment> = filled.iter().collect();
    users
        .learn(ex.client, filled.iter().map(|c| &c.body), Vec::new())
        .await;
    let ctx = users.context(remote, placed, bodies, names);
    let opts = Options {
        title: None,
        ..ex.options.clone()
    };
    let text = comments::render(&placed.meta.title, &kept_filled, &|s| {
        cme_convert::convert(s, &ctx, &opts).markdown
    });
    // With the hash of what is written: after a kill, the file is removed
    // only while it holds exactly that.
    store.record(Record::Intent {
        paths: vec![Pending::written(target, text.as_bytes())],
    })?;
    match ex
        .dir
        .write_atomic(target, text.as_bytes(), Durability::Batched)
    {
        Ok(()) => {}
        // Whatever stops this one file (a link, a folder, a permission).
        Err(e) => {
            out.failures.push(Failure {
                path: target.to_string(),
                reason: error_chain(&e),
            });
            // No hash: the next sync tries again.
            return Ok(SidecarAfter { hash: None, ..keep });
        }
    }
    if let Some(kind) = report {
        out.sidecar_line(*kind, target.to_string());
    }
    Ok(SidecarAfter {
        path: Some(target.to_string()),
        hash: Some(hash.clone()),
        stale: stale.clone(),
    })
}

/// The bodies of the comments the chunk's sidecars show (50 per request);
/// `None` when they could not be fetched.
pub(super) async fn fetch_comment_bodies(
    ex: &Exec<'_>,
    remote: &Remote,
    chunk: &[PageWrite],
) -> Option<HashMap<CommentId, String>> {
    comment_bodies(ex.client, comment_ids(remote, chunk)).await
}

/// The comments whose bodies the chunk's sidecars show (`None`: no
/// complete comments listing, so none are shown anew).
pub(super) fn comment_ids(remote: &Remote, chunk: &[PageWrite]) -> Option<Vec<CommentId>> {
    let pc = remote.comments.as_ref().filter(|c| c.complete)?;
    Some(
        chunk
            .iter()
            .flat_map(|w| pc.kept(&w.id))
            .map(|c| c.id.clone())
            .collect(),
    )
}

/// The bodies of `ids` (50 per request); `None` when they could not be
/// fetched.
pub(super) async fn comment_bodies(
    client: &cme_client::Client,
    ids: Option<Vec<CommentId>>,
) -> Option<HashMap<CommentId, String>> {
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Some(HashMap::new());
    }
    match client.comment_bodies(&ids).await {
        Ok(b) => Some(b),
        Err(e) => {
            tracing::warn!("cannot fetch comment bodies: {}", chain(&e));
            None
        }
    }
}

/// Removes a page's old sidecar (moved with the page, or its last comment
/// gone), then forgets it.
pub(super) fn remove_stale_sidecar(
    ex: &Exec<'_>,
    store: &mut Store,
    id: &PageId,
    mut entry: PageState,
    stale: &str,
    out: &mut Outcome,
) -> Result<()> {
    let Ok(path) = OutputPath::parse_recorded(stale) else {
        return Ok(());
    };
    if !remove_file(ex.dir, &path, out)? {
        return Ok(());
    }
    out.sidecar_line(ChangeKind::Deleted, stale.to_owned());
    entry.previous_paths.retain(|p| p != stale);
    store.put(id.clone(), entry)
}
