//! A run's report as people read it: git-status lines and the contract's
//! summary on stdout, notes and warnings on stderr.
use super::shown::{self, Shown};
use crate::sync::outcome::{Outcome, Warning};
use crate::sync::plan::{ChangeKind, Hold};
use crate::terminal::escape;
use crate::units::thousands;
use std::fmt::Write as _;

impl Outcome {
    /// The git-status report for stdout: one line per changed file, then
    /// the summary `N new, N modified, N deleted, N unchanged`, followed
    /// (only when non-zero) by `, N moved`, `, N failed` and the
    /// attachments' counts, so a script reading the first four numbers
    /// keeps working.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for l in self
            .pages
            .iter()
            .chain(&self.attachments)
            .chain(&self.sidecars)
        {
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

    /// [`Self::render`] as `-q` wants it: only the failures (the exit code
    /// tells the rest).
    pub fn render_for(&self, verbosity: Verbosity) -> String {
        if verbosity != Verbosity::Quiet {
            return self.render();
        }
        let mut s = String::new();
        for f in &self.failures {
            let _ = writeln!(s, "  err:  {} ({})", escape(&f.path), escape(&f.reason));
        }
        s
    }

    /// The summary line.
    pub fn summary(&self) -> String {
        let c = &self.page_counts;
        let n = |v: usize| thousands(v as u64);
        let mut s = format!(
            "{} new, {} modified, {} deleted, {} unchanged",
            n(c.new),
            n(c.modified),
            n(c.deleted),
            n(self.unchanged)
        );
        if c.moved > 0 {
            let _ = write!(s, ", {} moved", n(c.moved));
        }
        if !self.failures.is_empty() {
            let _ = write!(s, ", {} failed", n(self.failures.len()));
        }
        let a = &self.attachment_counts;
        if a.new + a.modified + a.deleted > 0 {
            let _ = write!(
                s,
                "; attachments: {} new, {} modified, {} deleted",
                n(a.new),
                n(a.modified),
                n(a.deleted)
            );
        }
        let c = &self.sidecar_counts;
        if c.new + c.modified + c.deleted > 0 {
            let _ = write!(
                s,
                "; comments: {} new, {} modified, {} deleted",
                n(c.new),
                n(c.modified),
                n(c.deleted)
            );
        }
        s
    }

    /// Warnings for stderr: holds, refusals, problems, vanished pages.
    pub fn notes(&self) -> String {
        self.notes_for(&View::default())
    }

    /// [`Self::notes`] as `view` wants them: `-q` keeps what needs action
    /// (problems, held deletions, refusals, an interruption); notes that need
    /// none are shown once (those in `view.shown` are left out) unless `-v`.
    pub fn notes_for(&self, view: &View<'_>) -> String {
        crate::terminal::escape_text(&self.raw_notes(view)).into_owned()
    }

    fn raw_notes(&self, view: &View<'_>) -> String {
        let quiet = view.verbosity == Verbosity::Quiet;
        // A note that needs no action: shown unless quiet, or already shown.
        let news = |item: &str, seen: fn(&Shown) -> &std::collections::BTreeSet<String>| {
            !quiet
                && (view.verbosity == Verbosity::Verbose
                    || view.shown.is_none_or(|sh| !seen(sh).contains(item)))
        };
        let mut s = String::new();
        if self.dry_run {
            s.push_str("dry run: nothing was written\n");
        }
        for p in &self.problems {
            let _ = writeln!(s, "warning: {p}");
        }
        if let Some(h) = &self.held {
            self.write_held(&mut s, h, view.allow.as_deref());
        }
        listed(&mut s, &self.refused, |r| format!("warning: {r}"));
        listed(&mut s, &self.not_found, |n| {
            format!("warning: not found or not visible, nothing exported for it: {n}")
        });
        let archived: Vec<&String> = self
            .archived
            .iter()
            .filter(|a| news(a, |sh| &sh.archived))
            .collect();
        if !archived.is_empty() {
            const NAMED: usize = 10;
            let _ = write!(
                s,
                "note: {} not exported (export with --include-archived to include them): {}",
                plural(archived.len(), "archived page"),
                archived
                    .iter()
                    .take(NAMED)
                    .map(|a| a.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            );
            if archived.len() > NAMED {
                let _ = write!(s, "; and {} more (see --json)", archived.len() - NAMED);
            }
            s.push('\n');
        }
        if !quiet {
            listed(&mut s, &self.vanished, |v| {
                format!("warning: page gone before its body was fetched, not written: {v}")
            });
        }
        let missing: Vec<String> = self
            .missing_attachments
            .iter()
            .filter(|m| news(m, |sh| &sh.missing_attachments))
            .cloned()
            .collect();
        listed(&mut s, &missing, |m| {
            format!("warning: referenced attachment not found: {m}")
        });
        if !quiet {
            let (outside, other): (Vec<&Warning>, Vec<&Warning>) = self
                .warnings
                .iter()
                .partition(|w| shown::outside_link(w).is_some());
            let outside: Vec<&Warning> = outside
                .into_iter()
                .filter(|w| {
                    let key = shown::link_key(w, shown::outside_link(w).unwrap_or_default());
                    news(&key, |sh| &sh.outside_links)
                })
                .collect();
            write_outside_links(&mut s, &outside);
            write_warnings(&mut s, &other);
        }
        if self.interrupted {
            s.push_str(match view.resume {
                Resume::Sync => "interrupted: what was written is recorded; run `sync` to finish\n",
                Resume::Again => {
                    "interrupted before anything was recorded; run the export command again\n"
                }
            });
        }
        if !self.dry_run && !quiet {
            s.push_str(&self.totals());
            s.push('\n');
        }
        s
    }

    /// A hold on deletions: why, what would go (the files, or per top
    /// folder when there are many), and the exact command that allows it.
    fn write_held(&self, s: &mut String, hold: &Hold, allow: Option<&str>) {
        let Hold::TooMany { deletions, active } = hold else {
            let _ = writeln!(s, "warning: {hold}");
            return;
        };
        let _ = writeln!(
            s,
            "warning: nothing deleted: {} of {} tracked pages would be deleted (more than half):",
            thousands(*deletions as u64),
            thousands(*active as u64)
        );
        const NAMED: usize = 10;
        if self.held_paths.len() <= NAMED {
            for p in &self.held_paths {
                let _ = writeln!(s, "  {p}");
            }
        } else {
            let mut folders: std::collections::BTreeMap<&str, usize> = Default::default();
            for p in &self.held_paths {
                let top = p.split_once('/').map_or(".", |(top, _)| top);
                *folders.entry(top).or_default() += 1;
            }
            for (top, n) in folders {
                let _ = writeln!(s, "  {} in `{top}/`", plural(n, "page"));
            }
        }
        match allow {
            Some(cmd) => {
                let _ = writeln!(s, "if that is right, allow it with: {cmd}");
            }
            None => {
                let _ = writeln!(
                    s,
                    "if that is right, run again with `--max-delete {deletions}`"
                );
            }
        }
    }

    /// What the run did and cost, in one line for people:
    /// `Done in 3.2 s: 36 pages (1 written, 35 unchanged), 2 attachments
    /// downloaded, 1.2 MiB in 57 requests (3 retries, 12 s throttled), 0 failures`.
    pub fn totals(&self) -> String {
        let c = &self.page_counts;
        let written = c.new + c.modified + c.moved;
        let pages = written + self.unchanged + self.failures.len();
        let mut s = format!(
            "{} in {}: {} ({} written, {} unchanged",
            if self.interrupted { "Stopped" } else { "Done" },
            crate::units::secs_precise(self.elapsed_secs),
            plural(pages, "page"),
            thousands(written as u64),
            thousands(self.unchanged as u64)
        );
        if c.deleted > 0 {
            let _ = write!(s, ", {} deleted", thousands(c.deleted as u64));
        }
        if !self.archived.is_empty() {
            let _ = write!(
                s,
                ", {} archived not exported",
                thousands(self.archived.len() as u64)
            );
        }
        s.push(')');
        let a = &self.attachment_counts;
        if a.new + a.modified + a.deleted > 0 {
            let _ = write!(
                s,
                ", {} downloaded",
                plural(a.new + a.modified, "attachment")
            );
            if a.deleted > 0 {
                let _ = write!(s, " ({} removed)", a.deleted);
            }
        }
        let t = &self.traffic;
        if t.requests > 0 {
            let _ = write!(
                s,
                ", {} in {}",
                crate::units::human_bytes(t.bytes),
                plural(t.requests as usize, "request")
            );
            let mut extra = Vec::new();
            if t.retries > 0 {
                extra.push(plural(t.retries as usize, "retry"));
            }
            if t.throttled_secs >= 0.5 {
                extra.push(format!(
                    "{} throttled",
                    crate::units::secs(std::time::Duration::from_secs_f64(t.throttled_secs))
                ));
            }
            if !extra.is_empty() {
                let _ = write!(s, " ({})", extra.join(", "));
            }
        }
        let _ = write!(s, ", {}", plural(self.failures.len(), "failure"));
        s
    }
}

/// How much the report says: `-q`, the default, `-v`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verbosity {
    /// Failures, held deletions and errors only.
    Quiet,
    /// Everything new.
    #[default]
    Normal,
    /// Everything, also notes shown before.
    Verbose,
}

/// What the notes are rendered for.
#[derive(Debug, Clone, Default)]
pub struct View<'a> {
    pub resume: Resume,
    pub verbosity: Verbosity,
    /// Notes earlier runs showed (none: show every note).
    pub shown: Option<&'a Shown>,
    /// The exact command that allows held deletions.
    pub allow: Option<String>,
}

/// Links to pages outside the export: they point to Confluence, which is
/// right, so this is a note, grouped by page.
fn write_outside_links(s: &mut String, links: &[&Warning]) {
    if links.is_empty() {
        return;
    }
    let total: u64 = links.iter().map(|w| w.count).sum();
    let _ = writeln!(
        s,
        "note: {} to pages outside the export, left pointing to Confluence:",
        plural_u64(total, "link")
    );
    for w in links.iter().take(WARNINGS_SHOWN) {
        let _ = writeln!(
            s,
            "    {}: {}",
            w.path,
            shown::outside_link(w).unwrap_or_default()
        );
    }
    if links.len() > WARNINGS_SHOWN {
        let _ = writeln!(
            s,
            "    … and {} more (all of them with --json or -v)",
            thousands((links.len() - WARNINGS_SHOWN) as u64)
        );
    }
}

/// What an interrupted run can be finished with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Resume {
    /// The state was saved: `sync` continues where it stopped.
    #[default]
    Sync,
    /// No state yet (stopped during the first listing): only the export
    /// command itself can start again.
    Again,
}

/// The first [`WARNINGS_SHOWN`] of `items` as lines, then how many more
/// there are: stderr stays short however many a hostile site causes.
fn listed(s: &mut String, items: &[String], line: impl Fn(&str) -> String) {
    for item in items.iter().take(WARNINGS_SHOWN) {
        s.push_str(&line(item));
        s.push('\n');
    }
    if items.len() > WARNINGS_SHOWN {
        let _ = writeln!(
            s,
            "  … and {} more like this (all of them with --json)",
            thousands((items.len() - WARNINGS_SHOWN) as u64)
        );
    }
}

/// At most this many warnings of one kind are listed at the end of a run;
/// `--json` and `-v` show them all.
const WARNINGS_SHOWN: usize = 10;

/// Conversion warnings grouped by kind, with the pages they concern. The
/// counts are of every warning met: an entry stands for all its identical
/// ones (`×N`), so a page with 100,000 identical warnings is one line.
fn write_warnings(s: &mut String, warnings: &[&Warning]) {
    if warnings.is_empty() {
        return;
    }
    let total: u64 = warnings.iter().map(|w| w.count).sum();
    let _ = writeln!(
        s,
        "{} (the pages were written as well as they could be):",
        plural_u64(total, "conversion warning")
    );
    let mut kinds: Vec<&'static str> = warnings.iter().map(|w| w.kind).collect();
    kinds.sort_unstable();
    kinds.dedup();
    for kind in kinds {
        let of_kind: Vec<&Warning> = warnings
            .iter()
            .copied()
            .filter(|w| w.kind == kind)
            .collect();
        let count: u64 = of_kind.iter().map(|w| w.count).sum();
        let _ = writeln!(s, "  {kind} ({}):", thousands(count));
        let mut shown = 0;
        for w in of_kind.iter().take(WARNINGS_SHOWN) {
            let _ = write!(s, "    {}: {}", w.path, w.message);
            if w.count > 1 {
                let _ = write!(s, " (×{})", thousands(w.count));
            }
            s.push('\n');
            shown += w.count;
        }
        if count > shown {
            let _ = writeln!(
                s,
                "    … and {} more (all of them with --json or -v)",
                thousands(count - shown)
            );
        }
    }
}

/// [`plural`] of a `u64` count.
fn plural_u64(n: u64, noun: &str) -> String {
    match usize::try_from(n) {
        Ok(n) => plural(n, noun),
        Err(_) => format!("{} {noun}s", thousands(n)),
    }
}

/// `1 page`, `2 pages`: English plurals of the nouns we count.
pub fn plural(n: usize, noun: &str) -> String {
    let count = crate::units::thousands(n as u64);
    if n == 1 {
        format!("1 {noun}")
    } else if noun.ends_with('y') && !noun.ends_with("ey") {
        format!("{count} {}ies", &noun[..noun.len() - 1])
    } else {
        format!("{count} {noun}s")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::outcome::{Failure, Line, Traffic};

    fn warning(kind: cme_convert::WarningKind, message: &str) -> cme_convert::Warning {
        cme_convert::Warning {
            kind,
            message: message.into(),
            count: 1,
        }
    }

    /// 100,000 identical warnings on each of 3 pages, and 5,000 missing
    /// attachments: a few lines, whose counts are every warning met.
    #[test]
    fn floods_are_grouped_and_counted_truthfully() {
        use cme_convert::WarningKind as K;
        let mut o = Outcome::default();
        for p in ["A", "B", "C"] {
            let mut w = warning(K::Unresolved, "anchor `x` is not on this page");
            w.count = 100_000;
            o.warn(&format!("ENG/{p}.md"), &w);
        }
        o.warn(&"ENG/D.md", &warning(K::Parse, "repaired"));
        o.missing_attachments = (0..5000).map(|i| format!("f{i}.png (ENG/A.md)")).collect();
        let notes = o.notes();
        assert!(notes.len() < 4000, "{} bytes:\n{notes}", notes.len());
        assert!(notes.contains("300,001 conversion warnings"), "{notes}");
        assert!(notes.contains("  unresolved (300,000):\n"), "{notes}");
        assert!(
            notes.contains("    ENG/A.md: anchor `x` is not on this page (×100,000)\n"),
            "{notes}"
        );
        assert!(
            notes.contains("  parse (1):\n    ENG/D.md: repaired\n"),
            "{notes}"
        );
        assert!(notes.contains("… and 4,990 more like this"), "{notes}");
        let json = serde_json::to_value(&o).unwrap();
        let counted: u64 = json["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["count"].as_u64().unwrap())
            .sum();
        assert_eq!(counted, 300_001);
    }

    fn eventful() -> Outcome {
        let mut o = Outcome {
            unchanged: 5,
            held: Some(Hold::TooMany {
                deletions: 12,
                active: 20,
            }),
            held_deletions: 12,
            held_paths: (0..12)
                .map(|i| format!("{}/P{i}.md", ["ENG", "OPS"][i % 3 / 2]))
                .collect(),
            archived: vec!["ENG: Old".into()],
            missing_attachments: vec!["a.png (ENG/A.md)".into()],
            ..Outcome::default()
        };
        o.push_line(Line {
            kind: ChangeKind::New,
            path: "ENG/A.md".into(),
            from: None,
        });
        o.warn(
            &"ENG/A.md",
            &warning(
                cme_convert::WarningKind::Unresolved,
                "link to page `OPS:Runbook` not resolved",
            ),
        );
        o.failures.push(Failure {
            path: "ENG/B.md".into(),
            reason: "HTTP 500".into(),
        });
        o
    }

    #[test]
    fn quiet_keeps_only_failures_held_deletions_and_errors() {
        let o = eventful();
        assert_eq!(
            o.render_for(Verbosity::Quiet),
            "  err:  ENG/B.md (HTTP 500)\n"
        );
        let view = View {
            verbosity: Verbosity::Quiet,
            allow: Some("cme sync -o docs -q --max-delete 12".into()),
            ..View::default()
        };
        assert_eq!(
            o.notes_for(&view),
            "warning: nothing deleted: 12 of 20 tracked pages would be deleted (more than half):\n\
             \x20 8 pages in `ENG/`\n\
             \x20 4 pages in `OPS/`\n\
             if that is right, allow it with: cme sync -o docs -q --max-delete 12\n"
        );
        let interrupted = Outcome {
            interrupted: true,
            ..Outcome::default()
        };
        let again = View {
            verbosity: Verbosity::Quiet,
            resume: Resume::Again,
            ..View::default()
        };
        assert_eq!(
            interrupted.notes_for(&again),
            "interrupted before anything was recorded; run the export command again\n"
        );
    }

    #[test]
    fn notes_already_shown_wait_for_v() {
        let o = eventful();
        let normal = o.notes_for(&View::default());
        for note in [
            "note: 1 archived page not exported",
            "warning: referenced attachment not found: a.png (ENG/A.md)\n",
            "note: 1 link to pages outside the export, left pointing to Confluence:\n    ENG/A.md: `OPS:Runbook`\n",
            "Done in ",
        ] {
            assert!(normal.contains(note), "{note} in:\n{normal}");
        }
        let shown = Shown::default().after(&o);
        let seen = View {
            shown: Some(&shown),
            ..View::default()
        };
        let again = o.notes_for(&seen);
        assert!(!again.contains("archived page"), "{again}");
        assert!(!again.contains("a.png"), "{again}");
        assert!(!again.contains("OPS:Runbook"), "{again}");
        assert!(again.contains("Done in "), "{again}");
        let verbose = View {
            verbosity: Verbosity::Verbose,
            ..seen
        };
        let all = o.notes_for(&verbose);
        assert!(
            all.contains("archived page") && all.contains("a.png") && all.contains("OPS:Runbook")
        );
    }

    #[test]
    fn plurals_are_english() {
        assert_eq!(plural(1, "page"), "1 page");
        assert_eq!(plural(0, "failure"), "0 failures");
        assert_eq!(plural(2, "retry"), "2 retries");
        assert_eq!(plural(1, "retry"), "1 retry");
        assert_eq!(plural(6000, "page"), "6,000 pages");
    }

    #[test]
    fn warnings_are_listed_by_kind_with_their_pages() {
        use cme_convert::WarningKind as K;
        let mut o = Outcome::default();
        o.warn(
            &"ENG/A.md",
            &warning(K::UnknownMacro, "unknown macro `foo`"),
        );
        o.warn(&"ENG/B.md", &warning(K::Parse, "repaired an unclosed <p>"));
        for i in 0..12 {
            o.warn(
                &format!("ENG/C{i}.md"),
                &warning(K::UnknownMacro, "unknown macro `bar`"),
            );
        }
        let notes = o.notes();
        assert!(notes.contains("14 conversion warnings"), "{notes}");
        assert!(
            notes.contains("  parse (1):\n    ENG/B.md: repaired an unclosed <p>\n"),
            "{notes}"
        );
        assert!(
            notes.contains("  unknown-macro (13):\n    ENG/A.md: unknown macro `foo`\n"),
            "{notes}"
        );
        assert!(notes.contains("… and 3 more"), "{notes}");
        let json = serde_json::to_value(&o).unwrap();
        assert_eq!(json["warnings"].as_array().unwrap().len(), 14);
        assert_eq!(json["warnings"][0]["path"], "ENG/A.md");
        assert_eq!(json["warnings"][0]["kind"], "unknown-macro");
    }

    #[test]
    fn totals_count_pages_attachments_traffic_and_failures() {
        let mut o = Outcome {
            unchanged: 35,
            elapsed_secs: 3.21,
            traffic: Traffic {
                requests: 57,
                retries: 1,
                throttled_secs: 12.0,
                bytes: 3 * 1024 * 1024,
            },
            ..Outcome::default()
        };
        o.push_line(Line {
            kind: ChangeKind::Modified,
            path: "ENG/A.md".into(),
            from: None,
        });
        o.attachment_line(ChangeKind::New, "ENG/_attachments/1/x.png".into());
        assert_eq!(
            o.totals(),
            "Done in 3.2 s: 36 pages (1 written, 35 unchanged), 1 attachment downloaded, \
             3.0 MiB in 57 requests (1 retry, 12 s throttled), 0 failures"
        );
        o.failures.push(Failure {
            path: "ENG/B.md".into(),
            reason: "HTTP 500".into(),
        });
        assert!(o.totals().ends_with(", 1 failure"), "{}", o.totals());
    }
}
