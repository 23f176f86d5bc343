//! What a run did (or, with `--dry-run`, would do), as data: the lines,
//! counts, warnings and exit code. JSON is this data; the text people read
//! is written by `cli::report`.
use super::plan::{AttachmentPlan, ChangeKind, Hold, Plan, Reason};
use super::remote::Remote;
use cme_client::PageId;
use serde::Serialize;

/// One report line.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub kind: ChangeKind,
    pub path: String,
    /// For a move, where the file was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
}

/// An item that failed; its old file and state entry are kept.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub path: String,
    pub reason: String,
}

/// A conversion warning: the page was written, but not perfectly.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    /// The page's file.
    pub path: String,
    /// What kind of imperfection (`parse`, `unknown-macro`, `unresolved`,
    /// `include`, `degraded`).
    pub kind: &'static str,
    pub message: String,
    /// How many times the page met it (identical warnings are one entry).
    pub count: u64,
}

/// What the run cost on the network, from the client's counters.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct Traffic {
    pub requests: u64,
    pub retries: u64,
    /// Time spent waiting because the server throttled us.
    pub throttled_secs: f64,
    /// Bytes received.
    pub bytes: u64,
}

impl Traffic {
    /// What a run cost, between two readings of the client's counters
    /// (a client may have served lookups before the run).
    pub fn since(before: &cme_client::Stats, after: &cme_client::Stats) -> Self {
        Self {
            requests: after.requests.saturating_sub(before.requests),
            retries: after.retries.saturating_sub(before.retries),
            throttled_secs: after
                .throttled
                .saturating_sub(before.throttled)
                .as_secs_f64(),
            bytes: after.bytes.saturating_sub(before.bytes),
        }
    }
}

/// Counts of one kind of file.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Counts {
    pub new: usize,
    pub modified: usize,
    pub moved: usize,
    pub deleted: usize,
}

impl Counts {
    fn add(&mut self, kind: ChangeKind) {
        match kind {
            ChangeKind::New => self.new += 1,
            ChangeKind::Modified => self.modified += 1,
            ChangeKind::Moved => self.moved += 1,
            ChangeKind::Deleted => self.deleted += 1,
        }
    }
}

/// The result of a run.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    /// Nothing was written: the plan only.
    pub dry_run: bool,
    /// Page lines, in the order applied.
    pub pages: Vec<Line>,
    /// Attachment file lines.
    pub attachments: Vec<Line>,
    pub page_counts: Counts,
    pub attachment_counts: Counts,
    /// Comment sidecar lines (`--comments`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sidecars: Vec<Line>,
    pub sidecar_counts: Counts,
    pub unchanged: usize,
    pub failures: Vec<Failure>,
    /// Why deletions were held back.
    pub held: Option<Hold>,
    /// Deletions the hold kept back.
    pub held_deletions: usize,
    /// The files of the deletions held back, so the report can name them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub held_paths: Vec<String>,
    /// Recorded paths refused as unsafe.
    pub refused: Vec<String>,
    /// Listings that did not complete.
    pub problems: Vec<String>,
    /// Pages listed but gone before their body was fetched.
    pub vanished: Vec<String>,
    /// Attachments the Markdown uses that Confluence does not have.
    pub missing_attachments: Vec<String>,
    /// Scope entries (space keys, page ids) not found.
    pub not_found: Vec<String>,
    /// Archived pages in scope, not exported (`SPACE: Title`).
    pub archived: Vec<String>,
    /// Conversion warnings, in the order met.
    pub warnings: Vec<Warning>,
    pub spaces: usize,
    pub traffic: Traffic,
    pub interrupted: bool,
    pub elapsed_secs: f64,
    /// The pages a dry run would write: an export's dry run previews
    /// adopting a folder with them, before any state exists.
    #[serde(skip)]
    pub written_ids: Vec<PageId>,
}

/// How a run ended, for the exit code (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything done.
    Done,
    /// Done, but some items failed or a listing did not complete.
    Partial,
    /// Stopped by Ctrl+C.
    Interrupted,
}

impl Exit {
    /// The process exit code: 0, 1, or 130 (2 is for errors that did nothing).
    pub fn code(self) -> u8 {
        match self {
            Exit::Done => 0,
            Exit::Partial => 1,
            Exit::Interrupted => 130,
        }
    }
}

impl Outcome {
    /// Adds a page line and counts it.
    pub fn push_line(&mut self, line: Line) {
        self.page_counts.add(line.kind);
        self.pages.push(line);
    }

    /// Records a conversion warning of the page at `path` (and logs it, so
    /// `-v` shows each as it happens).
    pub fn warn(&mut self, path: &impl std::fmt::Display, w: &cme_convert::Warning) {
        let kind = warning_kind(w.kind);
        tracing::info!(target: "cme::convert", path = %path, kind, count = w.count, "{}", w.message);
        self.warnings.push(Warning {
            path: path.to_string(),
            kind,
            message: w.message.clone(),
            count: w.count,
        });
    }

    /// Adds an attachment line and counts it.
    pub fn attachment_line(&mut self, kind: ChangeKind, path: String) {
        self.attachment_counts.add(kind);
        self.attachments.push(Line {
            kind,
            path,
            from: None,
        });
    }

    /// Adds a comments sidecar line and counts it.
    pub fn sidecar_line(&mut self, kind: ChangeKind, path: String) {
        self.sidecar_counts.add(kind);
        self.sidecars.push(Line {
            kind,
            path,
            from: None,
        });
    }

    /// What every run reports before it does anything: the plan's counts
    /// and holds, and what the listings found wrong.
    pub fn begin(plan: &Plan, remote: &Remote) -> Self {
        Outcome {
            unchanged: plan.unchanged,
            held: plan.hold.clone(),
            held_deletions: if plan.hold.is_some() {
                plan.deletions.len()
            } else {
                0
            },
            held_paths: if plan.hold.is_some() {
                let paths = plan.deletions.iter().filter_map(|d| d.path.as_ref());
                paths.map(ToString::to_string).collect()
            } else {
                Vec::new()
            },
            refused: plan.refused.iter().map(ToString::to_string).collect(),
            problems: remote
                .problems
                .iter()
                .chain(&remote.comment_problems)
                .cloned()
                .collect(),
            not_found: remote
                .missing
                .iter()
                .map(|(s, m)| format!("`{}` in `{}`", m.join("`, `"), s))
                .collect(),
            archived: remote.archived.clone(),
            spaces: remote.spaces,
            ..Outcome::default()
        }
    }

    /// Fills in the lines a plan predicts (`--dry-run`).
    pub fn predict(&mut self, plan: &Plan, atts: &AttachmentPlan) {
        self.dry_run = true;
        self.written_ids = plan.writes.iter().map(|w| w.id.clone()).collect();
        for w in &plan.writes {
            self.push_line(Line {
                kind: w.kind(),
                path: w.path.to_string(),
                from: match &w.reason {
                    Reason::Moved { from } => Some(from.clone()),
                    _ => None,
                },
            });
        }
        if plan.hold.is_none() {
            for p in plan.deletions.iter().filter_map(|d| d.path.as_ref()) {
                self.push_line(Line {
                    kind: ChangeKind::Deleted,
                    path: p.to_string(),
                    from: None,
                });
            }
        }
        for d in &atts.downloads {
            let kind = if d.replaces {
                ChangeKind::Modified
            } else {
                ChangeKind::New
            };
            self.attachment_line(kind, d.path.to_string());
        }
        for p in atts.removals.iter().filter_map(|r| r.path.as_ref()) {
            self.attachment_line(ChangeKind::Deleted, p.to_string());
        }
        for (kind, path) in &plan.sidecars {
            self.sidecar_line(*kind, path.clone());
        }
    }

    /// How the run ended.
    pub fn exit(&self) -> Exit {
        if self.interrupted {
            Exit::Interrupted
        } else if !self.failures.is_empty()
            || !self.problems.is_empty()
            || !self.refused.is_empty()
            || self.held.is_some()
        {
            Exit::Partial
        } else {
            Exit::Done
        }
    }
}

/// The word a conversion warning is recorded and reported by.
fn warning_kind(kind: cme_convert::WarningKind) -> &'static str {
    use cme_convert::WarningKind as K;
    match kind {
        K::Parse => "parse",
        K::UnknownMacro => "unknown-macro",
        K::Unresolved => "unresolved",
        K::Include => "include",
        K::Degraded => "degraded",
    }
}
