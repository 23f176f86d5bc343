//! A full export: inventory → layout → batched bodies → convert → write
//! atomically → attachments → state. Every write goes through [`OutputPath`],
//! so nothing lands outside the output folder.
pub mod context;
pub mod inventory;
pub mod layout;
pub mod paths;

use crate::state::{AttachmentState, Durability, PageState, State, TrackedStatus, write_atomic};
use anyhow::{Context as _, Result, bail};
use cme_client::{Attachment, Client, Flavor, PageId, SpaceKey, Version};
use cme_convert::Options;
use context::PageContext;
pub use inventory::Selection;
use inventory::inventory;
use layout::Layout;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime};

/// What to export and where.
pub struct ExportRequest {
    /// Output folder (created if missing).
    pub output: PathBuf,
    /// Add to an existing export instead of refusing.
    pub append: bool,
    /// Converter options.
    pub options: Options,
    /// Jira base URL for Jira macros, if known.
    pub jira_url: Option<String>,
    /// Set (by Ctrl+C) to stop after the current file, with state saved.
    pub cancel: Arc<AtomicBool>,
}

/// What an export did.
#[derive(Debug, Default, serde::Serialize)]
pub struct ExportReport {
    pub spaces: usize,
    pub pages: usize,
    pub attachments: usize,
    pub warnings: usize,
    pub missing_attachments: Vec<String>,
    /// Pages listed but gone (deleted or restricted) by the time bodies were fetched.
    pub vanished: Vec<String>,
    pub elapsed_secs: f64,
}

/// Bodies fetched per request: the v2 `id` filter's maximum.
const BODY_BATCH: usize = 250;

/// Pages written between state saves: an interrupted run keeps at most this
/// many untracked files (which the next run overwrites).
const SAVE_EVERY: usize = 250;

/// Exports what `selection` covers into `req.output`.
pub async fn export(
    client: &Client,
    selection: &Selection,
    req: ExportRequest,
    progress: &dyn Fn(&str),
) -> Result<ExportReport> {
    let mut state = open_state(client, &req)?;
    // Recorded first, so an interrupted export is still a scope `sync` can finish.
    state.add_scope(selection.scope());
    match run(client, selection, &req, &mut state, progress).await {
        Ok(report) => Ok(report),
        Err(err) => {
            // Whatever failed (network, disk full), pages already written
            // stay recorded; a failing save is added to the report.
            if state.pages.is_empty() {
                return Err(err);
            }
            match state.save(&req.output) {
                Ok(()) => Err(err),
                Err(save) => {
                    Err(err.context(format!("and the state could not be saved: {save:#}")))
                }
            }
        }
    }
}

async fn run(
    client: &Client,
    selection: &Selection,
    req: &ExportRequest,
    state: &mut State,
    progress: &dyn Fn(&str),
) -> Result<ExportReport> {
    let started = Instant::now();
    let interrupted = |state: &State, report: &ExportReport| -> Result<ExportReport> {
        state.save(&req.output)?;
        bail!(
            "interrupted after {} pages and {} attachments; what was written is recorded in `{}`",
            report.pages,
            report.attachments,
            State::path(&req.output).display()
        )
    };

    let (space_count, layout) = inventory(client, selection, progress).await?;

    let ids: Vec<PageId> = layout.iter().map(|p| p.meta.id.clone()).collect();
    let mut bodies: HashMap<PageId, String> = HashMap::with_capacity(ids.len());
    // The version of the body actually fetched: an edit between listing and
    // fetch makes it newer than the listing's, and the state must say what
    // was written.
    let mut fetched: HashMap<PageId, Version> = HashMap::with_capacity(ids.len());
    for (i, chunk) in ids.chunks(BODY_BATCH).enumerate() {
        progress(&format!(
            "fetching pages {}-{} of {}",
            i * BODY_BATCH + 1,
            i * BODY_BATCH + chunk.len(),
            ids.len()
        ));
        for page in client
            .pages_with_bodies(chunk)
            .await
            .context("cannot fetch page bodies")?
        {
            fetched.insert(page.meta.id.clone(), page.meta.version);
            bodies.insert(page.meta.id, page.storage);
        }
    }

    let mut report = ExportReport {
        spaces: space_count,
        ..ExportReport::default()
    };
    progress("looking up users");
    let users = user_names(client, &bodies).await;
    // The attachments macro lists a page's files, so those pages need their
    // listing before conversion; it is kept for the download phase.
    let mut listings = list_attachments_for_macro(client, &bodies).await?;
    let now = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    // Attachments referenced by converted pages, per owning page.
    let mut wanted: BTreeMap<PageId, Vec<String>> = BTreeMap::new();
    for placed in layout.iter() {
        if req.cancel.load(Ordering::Relaxed) {
            return interrupted(state, &report);
        }
        // A page deleted or restricted between listing and fetch is not
        // exported, and said so.
        let Some(body) = bodies.get(&placed.meta.id) else {
            report.vanished.push(placed.path.to_string());
            continue;
        };
        let ctx = PageContext {
            layout: &layout,
            page: placed,
            bodies: &bodies,
            attachment_names: listings
                .get(&placed.meta.id)
                .map(|l| l.iter().map(|a| a.filename.clone()).collect()),
            users: &users,
            jira_url: req.jira_url.as_deref(),
        };
        let opts = Options {
            title: Some(placed.meta.title.clone()),
            ..req.options.clone()
        };
        let mut converted = cme_convert::convert(body, &ctx, &opts);
        drop_repeated_title(&mut converted.markdown);
        report.warnings += converted.warnings.len();
        write_atomic(
            &placed.path.under(&req.output),
            converted.markdown.as_bytes(),
            Durability::Batched,
        )?;
        for att in &converted.attachments {
            let owner = match &att.page {
                None => Some(placed),
                Some(r) => layout.resolve(&placed.space, r),
            };
            if let Some(owner) = owner {
                wanted
                    .entry(owner.meta.id.clone())
                    .or_default()
                    .push(att.filename.clone());
            }
        }
        state.pages.insert(
            placed.meta.id.clone(),
            PageState {
                version: fetched
                    .get(&placed.meta.id)
                    .copied()
                    .unwrap_or(placed.meta.version),
                last_exported: now.clone(),
                output_path: placed.path.to_string(),
                status: TrackedStatus::Active,
                attachments: BTreeMap::new(),
            },
        );
        report.pages += 1;
        progress(&format!("wrote {}", placed.path));
        if report.pages % SAVE_EVERY == 0 {
            state.save(&req.output)?;
        }
    }
    // Pages are on disk: record them before the slower attachment phase, so
    // an interruption there loses no page.
    state.save(&req.output)?;

    // Attachments, concurrently: the client's semaphore bounds requests in
    // flight, and each task writes its files before returning.
    let mut tasks = tokio::task::JoinSet::new();
    for (page_id, mut names) in wanted {
        names.sort();
        names.dedup();
        let Some(owner) = layout.get(&page_id) else {
            continue;
        };
        let listed = listings.remove(&page_id);
        tasks.spawn(page_attachments(
            client.clone(),
            listed,
            page_id,
            owner.space.clone(),
            owner.path.to_string(),
            names,
            req.output.clone(),
        ));
    }
    let total = tasks.len();
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        if req.cancel.load(Ordering::Relaxed) {
            tasks.abort_all();
            return interrupted(state, &report);
        }
        let fetched = joined.context("attachment task failed")??;
        done += 1;
        progress(&format!("attachments of {done}/{total} pages"));
        report.attachments += fetched.stored.len();
        report.missing_attachments.extend(fetched.missing);
        if let Some(ps) = state.pages.get_mut(&fetched.page_id) {
            ps.attachments.extend(fetched.stored);
        }
    }
    report.missing_attachments.sort();
    state.save(&req.output)?;
    report.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Attachment listings of the pages whose body uses the attachments macro.
async fn list_attachments_for_macro(
    client: &Client,
    bodies: &HashMap<PageId, String>,
) -> Result<HashMap<PageId, Vec<Attachment>>> {
    let mut tasks = tokio::task::JoinSet::new();
    for (id, body) in bodies {
        if body.contains("ac:name=\"attachments\"") {
            let (client, id) = (client.clone(), id.clone());
            tasks.spawn(async move {
                let listed = client.attachments(&id).await;
                (id, listed)
            });
        }
    }
    let mut out = HashMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (id, listed) = joined.context("attachment listing task failed")?;
        let listed = listed.with_context(|| format!("cannot list attachments of page {id}"))?;
        out.insert(id, listed);
    }
    Ok(out)
}

/// What one page's attachment task did.
struct FetchedAttachments {
    page_id: PageId,
    stored: Vec<(String, AttachmentState)>,
    missing: Vec<String>,
}

/// Lists one page's attachments and downloads the named ones.
async fn page_attachments(
    client: Client,
    listed: Option<Vec<Attachment>>,
    page_id: PageId,
    space: SpaceKey,
    page_path: String,
    names: Vec<String>,
    output: PathBuf,
) -> Result<FetchedAttachments> {
    let listed = match listed {
        Some(l) => l,
        None => client
            .attachments(&page_id)
            .await
            .with_context(|| format!("cannot list attachments of page {page_id}"))?,
    };
    let mut out = FetchedAttachments {
        page_id,
        stored: Vec::new(),
        missing: Vec::new(),
    };
    for name in names {
        let Some(att) = listed.iter().find(|a| a.filename == name) else {
            out.missing.push(format!("{name} ({page_path})"));
            continue;
        };
        let path = Layout::attachment_path(&space, &out.page_id, &att.filename);
        let bytes = client
            .download(att)
            .await
            .with_context(|| format!("cannot download `{}`", att.filename))?;
        write_atomic(&path.under(&output), &bytes, Durability::Batched)?;
        out.stored.push((
            att.filename.clone(),
            AttachmentState {
                id: att.id.to_string(),
                version: att.version,
                output_path: path.to_string(),
            },
        ));
    }
    Ok(out)
}

/// Many pages open with an `h1` equal to their title; the title heading we
/// add would then read twice.
fn drop_repeated_title(md: &mut String) {
    let Some(first) = md.lines().next() else {
        return;
    };
    if first.starts_with("# ") && md[first.len()..].starts_with(&format!("\n\n{first}\n")) {
        md.drain(..first.len() + 2);
    }
}

/// Display names of every user the bodies mention. A failed lookup only
/// costs names (mentions fall back to ids), never the export.
async fn user_names(client: &Client, bodies: &HashMap<PageId, String>) -> HashMap<String, String> {
    let mut account_ids = BTreeSet::new();
    let mut user_keys = BTreeSet::new();
    for body in bodies.values() {
        account_ids.extend(attribute_values(body, "ri:account-id=\""));
        user_keys.extend(attribute_values(body, "ri:userkey=\""));
    }
    let mut names = HashMap::new();
    let ids: Vec<String> = account_ids.into_iter().collect();
    let keys: Vec<String> = user_keys.into_iter().collect();
    let lookups = match client.flavor() {
        Flavor::Cloud if !ids.is_empty() => vec![client.account_names(&ids).await],
        // Data Center has no account ids, but content migrated from Cloud can
        // carry them; asking by key costs a 404 at worst.
        Flavor::DataCenter if !keys.is_empty() || !ids.is_empty() => {
            let all: Vec<String> = keys.iter().chain(&ids).cloned().collect();
            vec![client.user_key_names(&all).await]
        }
        _ => Vec::new(),
    };
    for found in lookups.into_iter().flatten() {
        names.extend(found);
    }
    names
}

/// Values of an attribute, found by plain text search: cheaper than parsing
/// every body twice, and a miss only costs a display name.
fn attribute_values<'a>(body: &'a str, prefix: &'a str) -> impl Iterator<Item = String> + 'a {
    body.match_indices(prefix).filter_map(move |(i, _)| {
        let rest = &body[i + prefix.len()..];
        rest.find('"').map(|end| rest[..end].to_owned())
    })
}

/// Loads or creates the state, enforcing the `--append` and URL rules.
fn open_state(client: &Client, req: &ExportRequest) -> Result<State> {
    std::fs::create_dir_all(&req.output)
        .with_context(|| format!("cannot create `{}`", req.output.display()))?;
    match State::load(&req.output)? {
        None => Ok(State::new(client.site_url())),
        Some(_) if !req.append => bail!(
            "`{}` already holds an export; run `sync` to update it, or pass `--append` to add this scope",
            State::path(&req.output).display()
        ),
        Some(s) if s.confluence_url != client.site_url() => bail!(
            "`{}` was exported from `{}`, not `{}`; refusing to mix sites",
            req.output.display(),
            s.confluence_url,
            client.site_url()
        ),
        Some(s) => Ok(s),
    }
}

#[cfg(test)]
mod tests {
    use super::drop_repeated_title;

    #[test]
    fn a_title_repeated_by_the_body_is_written_once() {
        let mut md = "# Setup\n\n# Setup\n\nText\n".to_owned();
        drop_repeated_title(&mut md);
        assert_eq!(md, "# Setup\n\nText\n");
        let mut other = "# Setup\n\n# Setup guide\n\nText\n".to_owned();
        drop_repeated_title(&mut other);
        assert_eq!(other, "# Setup\n\n# Setup guide\n\nText\n");
        let mut single = "# Setup\n".to_owned();
        drop_repeated_title(&mut single);
        assert_eq!(single, "# Setup\n");
    }
}
