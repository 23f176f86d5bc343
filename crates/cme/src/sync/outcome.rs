//! What a run did (or, with `--dry-run`, would do), and how it is printed:
//! git-status lines and the contract's summary, or JSON.
use super::plan::{AttachmentPlan, ChangeKind, Hold, Plan, Reason};
use super::remote::{Remote, scope_text};
use crate::terminal::escape;
use serde::Serialize;
use std::fmt::Write as _;

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
    pub unchanged: usize,
    pub failures: Vec<Failure>,
    /// Why deletions were held back.
    pub held: Option<Hold>,
    /// Deletions the hold kept back.
    pub held_deletions: usize,
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
    pub warnings: usize,
    pub spaces: usize,
    pub interrupted: bool,
    pub elapsed_secs: f64,
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

    /// Adds an attachment line and counts it.
    pub fn attachment_line(&mut self, kind: ChangeKind, path: String) {
        self.attachment_counts.add(kind);
        self.attachments.push(Line {
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
            refused: plan.refused.iter().map(ToString::to_string).collect(),
            problems: remote.problems.clone(),
            not_found: remote
                .missing
                .iter()
                .map(|(s, m)| format!("`{}` in `{}`", m.join("`, `"), scope_text(s)))
                .collect(),
            spaces: remote.spaces,
            ..Outcome::default()
        }
    }

    /// Fills in the lines a plan predicts (`--dry-run`).
    pub fn predict(&mut self, plan: &Plan, atts: &AttachmentPlan) {
        self.dry_run = true;
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

    /// The git-status report for stdout: one line per changed file, then
    /// the summary `N new, N modified, N deleted, N unchanged`, followed
    /// (only when non-zero) by `, N moved`, `, N failed` and the
    /// attachments' counts, so a script reading the first four numbers
    /// keeps working.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for l in self.pages.iter().chain(&self.attachments) {
            match (&l.kind, &l.from) {
                (ChangeKind::Moved, Some(from)) => {
                    let _ = writeln!(s, "  mov:  {} -> {}", escape(from), escape(&l.path));
                }
                (kind, _) => {
                    let _ = writeln!(s, "  {}:  {}", tag(*kind), escape(&l.path));
                }
            }
        }
        for f in &self.failures {
            let _ = writeln!(s, "  err:  {} ({})", escape(&f.path), escape(&f.reason));
        }
        s.push_str(&self.summary());
        s.push('\n');
        s
    }

    /// The summary line.
    pub fn summary(&self) -> String {
        let c = &self.page_counts;
        let mut s = format!(
            "{} new, {} modified, {} deleted, {} unchanged",
            c.new, c.modified, c.deleted, self.unchanged
        );
        if c.moved > 0 {
            let _ = write!(s, ", {} moved", c.moved);
        }
        if !self.failures.is_empty() {
            let _ = write!(s, ", {} failed", self.failures.len());
        }
        let a = &self.attachment_counts;
        if a.new + a.modified + a.deleted > 0 {
            let _ = write!(
                s,
                "; attachments: {} new, {} modified, {} deleted",
                a.new, a.modified, a.deleted
            );
        }
        s
    }

    /// Warnings for stderr: holds, refusals, problems, vanished pages.
    pub fn notes(&self) -> String {
        crate::terminal::escape_text(&self.raw_notes()).into_owned()
    }

    fn raw_notes(&self) -> String {
        let mut s = String::new();
        if self.dry_run {
            s.push_str("dry run: nothing was written\n");
        }
        for p in &self.problems {
            let _ = writeln!(s, "warning: {p}");
        }
        if let Some(h) = &self.held {
            let _ = writeln!(s, "warning: {h}");
        }
        for r in &self.refused {
            let _ = writeln!(s, "warning: {r}");
        }
        for n in &self.not_found {
            let _ = writeln!(
                s,
                "warning: not found or not visible, nothing exported for it: {n}"
            );
        }
        for v in &self.vanished {
            let _ = writeln!(
                s,
                "warning: page gone before its body was fetched, not written: {v}"
            );
        }
        for m in &self.missing_attachments {
            let _ = writeln!(s, "warning: referenced attachment not found: {m}");
        }
        if self.warnings > 0 {
            let _ = writeln!(s, "{} conversion warning(s)", self.warnings);
        }
        if self.interrupted {
            s.push_str("interrupted: what was written is recorded; run `sync` to finish\n");
        }
        s
    }
}

fn tag(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::New => "new",
        ChangeKind::Modified => "mod",
        ChangeKind::Moved => "mov",
        ChangeKind::Deleted => "del",
    }
}
