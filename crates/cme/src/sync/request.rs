//! What a run is asked to do, and how it is asked to stop: the only input
//! of `sync::run` besides the client and the progress display.
use crate::options::Scope;
use crate::state::{LayoutSettings, MarkdownSettings};
use std::path::PathBuf;

/// How a run begins.
#[derive(Debug, Clone)]
pub enum Start {
    /// `sync`: replay the recorded scopes; a state must exist.
    Sync,
    /// An export command: add `scope` (to an existing state only with
    /// `append`), then sync.
    Export { scope: Scope, append: bool },
}

/// One run.
pub struct SyncRequest {
    pub output: PathBuf,
    pub start: Start,
    /// Re-export every page (`--force`).
    pub force: bool,
    /// Print the plan, change nothing.
    pub dry_run: bool,
    /// Allow a mass deletion of up to this many pages.
    pub max_delete: Option<usize>,
    /// How pages are written (`None`: as the folder recorded, or the
    /// defaults); when the state recorded other settings, every page is
    /// rewritten.
    pub markdown: Option<MarkdownSettings>,
    /// Path templates, attachments, breadcrumbs (`None`: the defaults); a
    /// change from the recorded ones re-places and rewrites every page.
    pub layout: Option<LayoutSettings>,
    pub cancel: Cancel,
    /// Pages converted at once, at most (`None`: one per core, up to four;
    /// `Some(1)`: one after another). The files are the same either way.
    pub convert_threads: Option<usize>,
}

impl SyncRequest {
    /// A run with the default options: no force, no dry run, no
    /// `--max-delete`, default Markdown.
    pub fn new(output: impl Into<PathBuf>, start: Start) -> Self {
        Self {
            output: output.into(),
            start,
            force: false,
            dry_run: false,
            max_delete: None,
            markdown: None,
            layout: None,
            cancel: Cancel::default(),
            convert_threads: None,
        }
    }
}

/// Ctrl+C, as something a run can both poll and await.
#[derive(Clone, Debug)]
pub struct Cancel(std::sync::Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Cancel {
    fn default() -> Self {
        Self(std::sync::Arc::new(tokio::sync::watch::channel(false).0))
    }
}

impl Cancel {
    /// Asks the run to stop (after the current file, with state saved).
    pub fn cancel(&self) {
        self.0.send_replace(true);
    }

    /// Whether a stop was asked for.
    pub fn is_cancelled(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once a stop is asked for.
    pub async fn cancelled(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|v| *v).await;
    }
}
