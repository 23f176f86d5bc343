//! Durable progress at O(1) per page: each finished item is one line
//! appended to `.cme-state.journal`; every few seconds and at the end the
//! journal is folded into `.cme-state.json` (atomic rename) and emptied.
//! A run that dies at any moment leaves a state that loads: the last folded
//! state plus the journal lines that made it to the disk, replayed on start
//! (a torn last line is ignored; replaying a line twice is harmless).
use crate::fs::outdir::OutDir;
use crate::fs::paths::OutputPath;
use crate::state::{PageState, Pending, State};
use anyhow::{Context as _, Result};
use cme_client::PageId;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{BufRead as _, BufReader, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// File name of the journal inside the output folder.
pub const JOURNAL_FILE: &str = ".cme-state.journal";

/// How often the journal is folded into the state file during a run.
const FOLD_EVERY: Duration = Duration::from_secs(5);

/// One journal line.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Record {
    /// A page's entry as it now is (written, moved, deleted, attachments).
    Page { id: PageId, entry: Box<PageState> },
    /// Files about to be written (logged before the first byte), with the
    /// hash of the content when it is known.
    Intent { paths: Vec<Pending> },
    /// Every pending file is now either recorded or removed.
    Settled,
}

impl Record {
    fn apply(self, state: &mut State) {
        match self {
            Record::Page { id, entry } => {
                state.pages.insert(id, entry);
            }
            // A path may be listed more than once (another hash, or none):
            // the settling groups them.
            Record::Intent { paths } => state.pending.extend(paths),
            Record::Settled => state.pending.clear(),
        }
    }
}

/// Path of the journal in `output`.
pub fn path(output: &Path) -> PathBuf {
    output.join(JOURNAL_FILE)
}

fn journal_file() -> OutputPath {
    OutputPath::from_components(&[JOURNAL_FILE])
}

/// Applies the journal of `output` to `state`, in memory. Returns how many
/// records were applied.
pub fn replay(output: &Path, state: &mut State) -> Result<usize> {
    let p = path(output);
    let f = match File::open(&p) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", p.display())),
    };
    let mut n = 0;
    for line in BufReader::new(f).split(b'\n') {
        let line = line.with_context(|| format!("cannot read `{}`", p.display()))?;
        // A line cut short by a crash is the last one: stop there.
        let Ok(rec) = serde_json::from_slice::<Record>(&line) else {
            break;
        };
        rec.apply(state);
        n += 1;
    }
    Ok(n)
}

/// The state of a run in progress: in memory, journaled, folded.
pub struct Store {
    dir: OutDir,
    state: State,
    journal: File,
    last_fold: Instant,
    pending: usize,
}

impl Store {
    /// Takes over `state` (already replayed). When it differs from the file
    /// (`changed`: a replayed journal, a new scope, a force mark) it is
    /// folded at once, so the journal starts empty and the state on disk has
    /// this run's scopes; an unchanged state is not rewritten at all.
    pub fn open(dir: &OutDir, state: State, changed: bool) -> Result<Self> {
        let journal = dir.open_rw(&journal_file())?;
        let mut store = Self {
            dir: dir.clone(),
            state,
            journal,
            last_fold: Instant::now(),
            pending: 0,
        };
        if changed {
            store.fold()?;
        }
        Ok(store)
    }

    /// The state as it now is.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Changes the state outside the journal (scopes, the force marker);
    /// saved by the next fold.
    pub fn state_mut(&mut self) -> &mut State {
        self.pending += 1;
        &mut self.state
    }

    /// Records a finished item: applied in memory, appended to the journal,
    /// folded when the last fold is a few seconds old.
    pub fn record(&mut self, rec: Record) -> Result<()> {
        let mut line = serde_json::to_vec(&rec).expect("records serialise");
        line.push(b'\n');
        self.journal
            .write_all(&line)
            .with_context(|| format!("cannot write `{}`", path(self.dir.path()).display()))?;
        rec.apply(&mut self.state);
        self.pending += 1;
        if self.last_fold.elapsed() >= FOLD_EVERY {
            self.fold()?;
        }
        Ok(())
    }

    /// Records a page's entry as it now is.
    pub fn put(&mut self, id: PageId, entry: impl Into<Box<PageState>>) -> Result<()> {
        self.record(Record::Page {
            id,
            entry: entry.into(),
        })
    }

    /// Writes the state file (after making the files it names durable) and
    /// empties the journal.
    pub fn fold(&mut self) -> Result<()> {
        self.state.save_in(&self.dir)?;
        self.journal.set_len(0)?;
        self.journal.seek(SeekFrom::Start(0))?;
        self.last_fold = Instant::now();
        self.pending = 0;
        Ok(())
    }

    /// Folds and removes the journal: the run is over.
    pub fn close(mut self) -> Result<State> {
        if self.pending > 0 {
            self.fold()?;
        }
        drop(self.journal);
        let _ = self.dir.remove_file(&journal_file());
        Ok(self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cme_client::Version;

    fn entry(v: u64) -> Box<PageState> {
        Box::new(PageState::minimal(
            Version(v),
            "2026-01-01T00:00:00Z",
            &format!("S/p{v}.md"),
        ))
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_earlier_lines_replay() {
        let d = std::env::temp_dir().join(format!("cme-journal-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        let rec = |id: &str, v| {
            serde_json::to_string(&Record::Page {
                id: PageId::new(id),
                entry: entry(v),
            })
            .unwrap()
        };
        let text = format!("{}\n{}\n{}", rec("1", 1), rec("2", 2), &rec("3", 3)[..20]);
        std::fs::write(path(&d), text).unwrap();
        let mut s = State::new("http://x");
        assert_eq!(replay(&d, &mut s).unwrap(), 2);
        assert_eq!(s.pages.len(), 2);
        assert_eq!(s.pages[&PageId::new("2")].version, Version(2));

        // Opening a store folds the replayed state and empties the journal.
        let mut store = Store::open(&OutDir::open(&d).unwrap(), s, true).unwrap();
        assert_eq!(std::fs::metadata(path(&d)).unwrap().len(), 0);
        store
            .record(Record::Page {
                id: PageId::new("9"),
                entry: entry(9),
            })
            .unwrap();
        // Not folded yet: the journal holds it, the state file does not.
        let on_disk = State::load(&d).unwrap().unwrap();
        assert!(!on_disk.pages.contains_key(&PageId::new("9")));
        let mut again = on_disk.clone();
        assert_eq!(replay(&d, &mut again).unwrap(), 1);
        assert!(again.pages.contains_key(&PageId::new("9")));
        let closed = store.close().unwrap();
        assert_eq!(State::load(&d).unwrap().unwrap(), closed);
        assert!(!path(&d).exists());
        std::fs::remove_dir_all(&d).ok();
    }
}
