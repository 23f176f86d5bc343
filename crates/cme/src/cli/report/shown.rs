//! `.cme-notes.json`: the notes that need no action (archived pages left
//! out, attachments Confluence does not have, links to pages outside the
//! export) that a run has already shown, so the next runs stay quiet about
//! them unless `-v`. A `.cme-` name: the exporter never takes it for a page.
//! Losing the file only shows those notes once more.
use crate::fs::outdir::OutDir;
use crate::fs::paths::OutputPath;
use crate::sync::outcome::{Outcome, Warning};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// The file's name in the output folder.
pub const NOTES_FILE: &str = ".cme-notes.json";

/// What was shown, by the note's own text.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    #[serde(default)]
    pub archived: BTreeSet<String>,
    #[serde(default)]
    pub missing_attachments: BTreeSet<String>,
    /// `path: target` of each link to a page outside the export.
    #[serde(default)]
    pub outside_links: BTreeSet<String>,
}

/// A conversion warning that only says a link points to Confluence because
/// its page is not in the export: its target, e.g. `` `ENG:Title` ``.
pub fn outside_link(w: &Warning) -> Option<&str> {
    if w.kind != "unresolved" {
        return None;
    }
    w.message
        .strip_prefix("link to page ")?
        .strip_suffix(" not resolved")
}

/// The memory key of an outside link.
pub fn link_key(w: &Warning, target: &str) -> String {
    format!("{}: {target}", w.path)
}

impl Shown {
    /// The folder's memory; none (or an unreadable file) is an empty one.
    pub fn load(output: &Path) -> Self {
        std::fs::read(output.join(NOTES_FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// The memory after a run that showed its notes: archived pages and
    /// missing attachments are listed whole by every complete run, so they
    /// are replaced (one that goes and comes back is news again); links are
    /// only met on pages rewritten, so they add up.
    pub fn after(&self, o: &Outcome) -> Shown {
        let complete = o.problems.is_empty() && !o.interrupted;
        let mut next = self.clone();
        if complete {
            next.archived.clear();
            next.missing_attachments.clear();
        }
        next.archived.extend(o.archived.iter().cloned());
        next.missing_attachments
            .extend(o.missing_attachments.iter().cloned());
        for w in &o.warnings {
            if let Some(target) = outside_link(w) {
                next.outside_links.insert(link_key(w, target));
            }
        }
        next
    }

    /// Writes the memory into the output folder, through the folder's
    /// handle like every other file there (never through a link). In place,
    /// not by a temporary file and a rename: a run killed while writing
    /// leaves a file that does not parse (read as empty: the notes are shown
    /// once more), never a temporary file the state does not know.
    pub fn save(&self, output: &Path) -> anyhow::Result<()> {
        use std::io::Write as _;
        let dir = OutDir::open(output)?;
        let bytes = serde_json::to_vec_pretty(self)?;
        let mut file = dir.open_rw(&OutputPath::from_components(&[NOTES_FILE]))?;
        file.set_len(0)?;
        file.write_all(&bytes)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(path: &str, target: &str) -> Warning {
        Warning {
            path: path.into(),
            kind: "unresolved",
            message: format!("link to page {target} not resolved"),
            count: 1,
        }
    }

    #[test]
    fn lists_are_replaced_and_links_add_up() {
        let first = Outcome {
            archived: vec!["ENG: Old".into()],
            missing_attachments: vec!["a.png (ENG/A.md)".into()],
            warnings: vec![link("ENG/A.md", "`OPS:Runbook`")],
            ..Outcome::default()
        };
        let shown = Shown::default().after(&first);
        assert!(shown.archived.contains("ENG: Old"));
        assert!(shown.outside_links.contains("ENG/A.md: `OPS:Runbook`"));
        let second = Outcome::default();
        let shown = shown.after(&second);
        assert!(shown.archived.is_empty() && shown.missing_attachments.is_empty());
        assert_eq!(shown.outside_links.len(), 1);
        // An incomplete listing proves nothing gone.
        let partial = Outcome {
            problems: vec!["listing failed".into()],
            ..Outcome::default()
        };
        let kept = Shown::default().after(&first).after(&partial);
        assert!(kept.archived.contains("ENG: Old"));
    }

    #[test]
    fn only_links_to_pages_outside_are_taken_for_them() {
        assert_eq!(outside_link(&link("A.md", "`X`")), Some("`X`"));
        let anchor = Warning {
            message: "anchor `x` is not on this page; link text kept".into(),
            ..link("A.md", "`X`")
        };
        assert_eq!(outside_link(&anchor), None);
    }
}
