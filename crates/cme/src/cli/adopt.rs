//! Taking over a folder the Python confluence-markdown-exporter wrote:
//! after an export into it, the files its `confluence-lock.json` lists for
//! pages that cme now exports (at cme's own paths) are removed, so nothing
//! of the old tool's is left orphaned; then the lock file goes too. Only
//! what the lock lists, inside the folder, for pages this export wrote, and
//! never a path cme itself writes: a page that failed here keeps its old
//! file (and the lock stays, for the next run to finish).
use crate::fs::outdir::OutDir;
use crate::fs::paths::OutputPath;
use crate::state::{State, TrackedStatus};
use crate::sync::outcome::Outcome;
use anyhow::{Context as _, Result};
use serde_json::Value;
use std::collections::{BTreeSet, HashSet};
use std::path::Path;

/// The Python exporter's lock file.
pub const LOCK_FILE: &str = "confluence-lock.json";

/// What adopting did (or, in a dry run, would do).
#[derive(Debug, Default)]
pub struct Adopted {
    /// Old files removed (or to remove).
    pub removed: Vec<String>,
    /// Old files kept: their page was not exported here (yet).
    pub kept: usize,
    /// Paths the lock names that are not safe inside the folder: ignored.
    pub refused: usize,
    /// Whether the lock file itself was removed (everything adopted).
    pub lock_removed: bool,
}

/// What cme has (or, in a dry run, would have) in the folder: the paths it
/// writes, never removed whoever lists them, and the pages it exports.
#[derive(Debug, Default)]
pub struct Claim {
    pub ours: HashSet<String>,
    pub exported: HashSet<String>,
}

impl Claim {
    /// What the folder's state records.
    pub fn of_state(state: &State) -> Self {
        let ours = state
            .pages
            .values()
            .flat_map(|p| {
                std::iter::once(p.output_path.to_string())
                    .chain(p.comments_path.as_deref().map(str::to_owned))
                    .chain(p.attachments.values().map(|a| a.output_path.clone()))
            })
            .collect();
        let exported = state
            .pages
            .iter()
            .filter(|(_, p)| p.status == TrackedStatus::Active)
            .map(|(id, _)| id.as_str().to_owned())
            .collect();
        Claim { ours, exported }
    }

    /// What a dry run would write: before a first export there is no
    /// state, so its plan says.
    pub fn of_plan(outcome: &Outcome) -> Self {
        let ours = outcome
            .pages
            .iter()
            .chain(&outcome.attachments)
            .chain(&outcome.sidecars)
            .map(|l| l.path.clone())
            .collect();
        let exported = outcome
            .written_ids
            .iter()
            .map(|id| id.as_str().to_owned())
            .collect();
        Claim { ours, exported }
    }
}

/// Adopts the Python exporter's files in `dir`, if it has a lock file and
/// a state; `dry_run` only reports.
pub fn adopt(dir: &Path, dry_run: bool) -> Result<Option<Adopted>> {
    if !dir.join(LOCK_FILE).is_file() {
        return Ok(None);
    }
    let Some(state) = State::load(dir)? else {
        return Ok(None);
    };
    adopt_claimed(dir, &Claim::of_state(&state), dry_run)
}

/// What adopting `dir` would do once `claim` is written (a dry run).
pub fn preview(dir: &Path, claim: &Claim) -> Result<Option<Adopted>> {
    adopt_claimed(dir, claim, true)
}

fn adopt_claimed(dir: &Path, claim: &Claim, dry_run: bool) -> Result<Option<Adopted>> {
    let lock_path = dir.join(LOCK_FILE);
    if !lock_path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&lock_path)
        .with_context(|| format!("cannot read {}", lock_path.display()))?;
    let lock: Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not the Python exporter's JSON lock file", LOCK_FILE))?;
    let (ours, exported) = (&claim.ours, &claim.exported);
    let mut out = Adopted::default();
    let mut remove: BTreeSet<String> = BTreeSet::new();
    let pages = lock["orgs"]
        .as_object()
        .into_iter()
        .flat_map(|orgs| orgs.values())
        .flat_map(|org| {
            org["spaces"]
                .as_object()
                .into_iter()
                .flat_map(|s| s.values())
        })
        .flat_map(|space| space["pages"].as_object().into_iter().flatten());
    for (id, page) in pages {
        let files = std::iter::once(&page["export_path"]).chain(
            page["attachments"]
                .as_object()
                .into_iter()
                .flat_map(|a| a.values().map(|e| &e["path"])),
        );
        for path in files.filter_map(Value::as_str) {
            let path = path.trim_start_matches("./");
            if ours.contains(path) {
                continue;
            }
            if OutputPath::parse_recorded(path).is_err() {
                out.refused += 1;
                continue;
            }
            if exported.contains(id) {
                remove.insert(path.to_owned());
            } else {
                out.kept += 1;
            }
        }
    }
    let outdir = OutDir::open(dir)?;
    for path in remove {
        let rel = OutputPath::parse_recorded(&path).expect("checked above");
        if !dir.join(&path).is_file() {
            continue;
        }
        if !dry_run {
            outdir.remove_file(&rel)?;
            outdir.prune_beside(&rel);
        }
        out.removed.push(path);
    }
    if out.kept == 0 {
        if !dry_run {
            std::fs::remove_file(&lock_path)
                .with_context(|| format!("cannot remove {}", lock_path.display()))?;
        }
        out.lock_removed = true;
    }
    Ok(Some(out))
}
