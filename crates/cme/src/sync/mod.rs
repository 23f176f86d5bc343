//! One pipeline for export and sync:
//!
//! ```text
//! lock → state (+ journal replay) → remote (listings) → local facts
//!      → plan (pure) → [--dry-run stops here] → execute → fold state
//! ```
//!
//! An export command is "add this scope, then sync" from an empty (or, with
//! `--append`, the existing) state, so the two can never drift apart.
use crate::page;
use crate::page::front_matter::FrontMatter;
pub mod entry;
pub mod execute;
pub mod jira;
pub mod outcome;
pub mod plan;
pub mod progress;
pub mod remote;
pub mod request;

pub use remote::inventory::Selection;
pub use request::{Cancel, Start, SyncRequest};

use crate::place::layout::{LayoutOptions, Recorded};
use crate::state::journal::{self, Store};
use crate::state::{State, TrackedStatus};
use crate::sync::progress::{Phase, Progress};
use anyhow::{Context as _, Result, bail};
use cme_client::{Client, ContentKind};
use execute::{Exec, execute};
use outcome::Outcome;
use plan::{LocalFacts, PlanOptions};
use std::path::Path;
use std::time::{Instant, SystemTime};

/// Runs export or sync into `req.output`.
pub async fn run(client: &Client, req: SyncRequest, progress: &dyn Progress) -> Result<Outcome> {
    let started = Instant::now();
    let traffic_before = client.stats();
    let output = req.output.as_path();
    let is_export = matches!(req.start, Start::Export { .. });
    if is_export && !req.dry_run {
        std::fs::create_dir_all(output)
            .with_context(|| format!("cannot create `{}`", output.display()))?;
    } else if !output.is_dir() && !is_export {
        bail!(
            "`{}` is not a folder holding an export; run an export command first",
            output.display()
        );
    }
    // Every change below goes through this handle on the folder.
    let locked = if req.dry_run {
        None
    } else {
        let dir = crate::fs::outdir::OutDir::open(output)?;
        let lock = crate::state::lock::FolderLock::acquire_in(&dir)?;
        // A run killed while saving the state leaves its temporary copies.
        crate::state::remove_partials(&dir);
        Some((lock, dir))
    };
    crate::alloc::mark("start");
    let (mut state, replayed) = open_state(client, output, &req.start)?;
    crate::alloc::mark("state loaded");
    let new_scope = match &req.start {
        Start::Export { scope, .. } => {
            let fresh = !state.scopes.contains(scope);
            state.add_scope(scope.clone());
            fresh.then(|| scope.clone())
        }
        Start::Sync => None,
    };
    if state.scopes.is_empty() {
        bail!(
            "`{}` tracks no scope: nothing to sync",
            State::path(output).display()
        );
    }
    // Listing a large site takes a while (minutes when throttled): Ctrl+C
    // stops it at once, with nothing changed.
    progress.phase(Phase::Listing, 0);
    // The Markdown this run writes: the request's, else the folder's.
    let markdown = req
        .markdown
        .clone()
        .or_else(|| state.markdown.clone())
        .unwrap_or_default();
    let layout = LayoutOptions::new(req.layout.as_ref(), markdown.link_style);
    let comments = markdown.comments;
    // The names of the people the last run met, and its pages, are asked
    // while listing.
    let hints = remote::Hints {
        accounts: account_hint(&state.accounts),
        pages: known_pages(&state),
    };
    // The state's page entries are lent to the placing (the names the
    // last run gave), not copied, and taken back once everything is placed.
    let recorded = Recorded::new(std::mem::take(&mut state.pages)).with_options(layout);
    let mut remote = tokio::select! {
        r = remote::gather(client, &state.scopes, recorded, comments, &hints, progress) => r?,
        () = req.cancel.cancelled() => {
            return Ok(Outcome {
                interrupted: true,
                elapsed_secs: started.elapsed().as_secs_f64(),
                ..Outcome::default()
            });
        }
    };
    state.pages = remote.layout.take_recorded().into_pages();
    // Asked while listing only.
    drop(hints);
    // A new scope that names nothing is a mistake to report before any
    // write; in a sync the same absence means the pages were deleted.
    if let Some(scope) = &new_scope {
        if let Some((_, missing)) = remote.missing.iter().find(|(s, _)| s == scope) {
            bail!(
                "not found, or not visible to this account: `{}` (in `{}`)",
                missing.join("`, `"),
                scope
            );
        }
    }
    crate::alloc::mark("listed and placed");
    progress.status("checking files on disk");
    let local = local_facts(output, &state);
    remote.jira = jira_sites(client, &markdown, &state);
    // What Jira said of the issues the pages show, asked again in bulk
    // (nothing to ask: no request), so the plan sees what changed.
    let mut jira_warnings = Vec::new();
    if remote.jira.fetch {
        let asked = jira::recorded(state.pages.values().flat_map(|p| p.deps.iter()));
        if !asked.is_empty() {
            progress.status("fetching Jira issues");
            jira_warnings = jira::fetch(client, &remote.jira, asked, None).await;
        }
    }
    let now = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
    // Files written with other Markdown options: rewrite them all, so the
    // folder never mixes two styles.
    let restyle = req.markdown.is_some()
        && state.markdown.is_some()
        && state.markdown != req.markdown
        && !state.pages.is_empty()
        || state.layout != req.layout && !state.pages.is_empty();
    let force_before = if req.force || restyle {
        Some(now.clone())
    } else {
        state.min_export_timestamp.clone()
    };
    let mut plan = plan::plan(
        &remote,
        &state,
        &local,
        &PlanOptions {
            force_before: force_before.clone(),
            max_delete: req.max_delete,
        },
    );
    // Listings can lose pages: what would be deleted is confirmed gone by
    // id first (a dry run too, so it prints what a run would do).
    if plan.hold.is_none() && !plan.deletions.is_empty() {
        progress.status("confirming deletions");
        let confirmed = tokio::select! {
            r = confirm_deletions(client, &state, &plan) => r?,
            () = req.cancel.cancelled() => {
                return Ok(Outcome {
                    interrupted: true,
                    elapsed_secs: started.elapsed().as_secs_f64(),
                    ..Outcome::default()
                });
            }
        };
        if !confirmed.is_empty() {
            remote.problems.extend(confirmed);
            plan.hold = Some(plan::Hold::IncompleteListing {
                problems: remote.problems.clone(),
            });
        }
    }
    crate::alloc::mark("planned");
    let mut out = Outcome::begin(&plan, &remote);
    for message in jira_warnings {
        out.warn(
            &"(Jira)",
            &cme_convert::Warning {
                kind: cme_convert::WarningKind::Unresolved,
                message,
                count: 1,
            },
        );
    }
    if req.dry_run {
        // Attachments planned from the pages' recorded uses: a page about
        // to be rewritten may add or drop some.
        let atts = plan::plan_attachments(&remote, &state, &local, plan.hold.is_some());
        out.predict(&plan, &atts);
        out.elapsed_secs = started.elapsed().as_secs_f64();
        out.traffic = outcome::Traffic::since(&traffic_before, &client.stats());
        return Ok(out);
    }

    // The scope and the force marker are saved before any page is written,
    // so an interrupted run is finished by the next `sync`.
    let changed = replayed > 0
        || (req.markdown.is_some() && state.markdown != req.markdown)
        || state.layout != req.layout
        || new_scope.is_some()
        || state.min_export_timestamp != force_before
        || !State::path(output).exists();
    state.min_export_timestamp = force_before;
    if req.markdown.is_some() {
        state.markdown = req.markdown.clone();
    }
    state.layout = req.layout.clone();
    let Some((_, dir)) = &locked else {
        bail!("internal error: a run that writes has no handle on its folder");
    };
    let front_matter = if markdown.front_matter() {
        FrontMatter::On
    } else {
        FrontMatter::Off
    };
    let options = markdown.converter_options();
    let mut store = Store::open(dir, state, changed)?;
    let ex = Exec {
        client,
        dir,
        options: &options,
        front_matter,
        cancel: &req.cancel,
        progress,
        now,
        refused_before: traffic_before.refused,
        convert_threads: execute::convert_threads(req.convert_threads),
    };
    let result = execute(&ex, &remote, &plan, &local, &mut store, &mut out).await;
    if result.is_ok() && !remote.accounts.is_empty() && store.state().accounts != remote.accounts {
        store.state_mut().accounts = std::mem::take(&mut remote.accounts);
    }
    // Jira sites learnt while converting: the next run need not ask.
    let learnt = remote.jira.learned_sites();
    if learnt
        .iter()
        .any(|(k, v)| store.state().jira_sites.get(k) != Some(v))
    {
        store.state_mut().jira_sites.extend(learnt);
    }
    crate::alloc::mark("executed");
    // A forced run that wrote every page has nothing pending any more.
    if result.is_ok()
        && !out.interrupted
        && out.failures.is_empty()
        && store.state().min_export_timestamp.is_some()
    {
        store.state_mut().min_export_timestamp = None;
    }
    let closed = store.close();
    crate::alloc::mark("state saved");
    result?;
    closed?;
    out.elapsed_secs = started.elapsed().as_secs_f64();
    out.traffic = outcome::Traffic::since(&traffic_before, &client.stats());
    Ok(out)
}

/// Where each Jira server is: `--jira-url`, else on Cloud the site itself.
/// On Data Center, each server's site as the state recorded it, and learnt
/// from a page's rendered view when it did not.
fn jira_sites(
    client: &Client,
    markdown: &crate::options::MarkdownSettings,
    state: &State,
) -> page::jira::Jira {
    let cloud = client.flavor() == cme_client::Flavor::Cloud;
    page::jira::Jira::new(
        markdown.jira_url.clone(),
        cloud.then(|| client.site_url().to_owned()),
        state.jira_sites.clone(),
        markdown.jira_fetch(),
        !cloud && markdown.jira_url.is_none(),
    )
}

/// Problems to report when pages `plan` would delete are still readable in
/// a scope's reach (their listing missed them), or cannot be confirmed
/// gone; refused credentials end the run.
async fn confirm_deletions(
    client: &Client,
    state: &State,
    plan: &plan::Plan,
) -> Result<Vec<String>> {
    let ids: Vec<cme_client::PageId> = plan.deletions.iter().map(|d| d.id.clone()).collect();
    let path = |id: &cme_client::PageId| {
        state
            .pages
            .get(id)
            .map_or_else(String::new, |p| p.output_path.to_string())
    };
    match remote::confirm::missed(client, &state.scopes, &ids, path).await {
        Ok(missed) => Ok(missed),
        Err(e @ cme_client::Error::Unauthorized { .. }) => Err(e.into()),
        Err(e) => Ok(vec![format!(
            "confirming that {} page(s) are gone: {}",
            ids.len(),
            remote::chain(&e)
        )]),
    }
}

/// Loads (and replays) the state, or starts one, enforcing the `--append`
/// and site rules. The last good state is kept as `.cme-state.json.bak`.
fn open_state(client: &Client, output: &Path, start: &Start) -> Result<(State, usize)> {
    let loaded = State::load(output)?;
    let mut state = match (loaded, start) {
        (None, Start::Sync) => bail!(
            "`{}` holds no export (no `{}`); run an export command (`spaces`, `pages`, …) first",
            output.display(),
            crate::state::STATE_FILE
        ),
        (None, Start::Export { .. }) => State::new(client.site_url()),
        (Some(_), Start::Export { append: false, .. }) => bail!(
            "`{}` already holds an export; run `sync` to update it, or pass `--append` to add this scope",
            State::path(output).display()
        ),
        (Some(s), _) => s,
    };
    if state.confluence_url != client.site_url() {
        bail!(
            "`{}` was exported from `{}`, not `{}`; refusing to mix sites",
            output.display(),
            state.confluence_url,
            client.site_url()
        );
    }
    state.flavor = Some(client.flavor().to_string());
    let replayed = journal::replay(output, &mut state)?;
    Ok((state, replayed))
}

/// Which recorded files are missing on disk: one `lstat` per tracked file.
fn local_facts(output: &Path, state: &State) -> LocalFacts {
    let mut facts = LocalFacts::default();
    let mut check = |p: &str| {
        if crate::fs::paths::OutputPath::parse_recorded(p).is_ok()
            && std::fs::symlink_metadata(output.join(p)).is_err()
        {
            facts.missing.insert(p.to_owned());
        }
    };
    for ps in state.pages.values() {
        if ps.status != TrackedStatus::Active {
            continue;
        }
        check(&ps.output_path);
        if let Some(c) = &ps.comments_path {
            check(c);
        }
        for a in ps.attachments.values() {
            check(&a.output_path);
        }
    }
    facts
}

/// The accounts a state names that look like Cloud account ids, at most
/// 10,000: the state is untrusted, and this only decides whom to ask.
fn account_hint(recorded: &[String]) -> Vec<String> {
    recorded
        .iter()
        .filter(|a| {
            !a.is_empty()
                && a.len() <= 128
                && a.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'-' | b'_'))
        })
        .take(10_000)
        .cloned()
        .collect()
}

/// The pages the last run exported, to look up by id while listing; where
/// they fall short of a space's count, the pages created since it ran are
/// searched for: since two days before the last page it wrote (a margin for
/// a long run, the clocks and the server's time zone, which CQL's dates are
/// read in).
fn known_pages(state: &State) -> cme_client::KnownPages {
    let active = || {
        state
            .pages
            .iter()
            .filter(|(_, p)| p.status == TrackedStatus::Active && p.kind == ContentKind::Page)
    };
    let known = cme_client::KnownPages::new(active().map(|(id, _)| id.clone()));
    let last = active()
        .filter_map(|(_, p)| humantime::parse_rfc3339_weak(&p.last_exported).ok())
        .max();
    match last.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()) {
        Some(t) => known.with_created_since(t.as_secs() as i64 - 2 * 86_400),
        None => known,
    }
}
