//! `.cme-state.json`: what the last export wrote, so `sync` can do only the
//! difference. Schema per `spec/incremental-sync.md` (version 1); fields the
//! spec does not name are optional, so files from other tools still load.
pub mod dep_list;
pub mod journal;
pub mod lock;
pub use crate::fs::hash::Digest;
pub use crate::fs::outdir::Durability;
use crate::fs::outdir::OutDir;
use crate::fs::paths::OutputPath;
use anyhow::{Context as _, Result, bail};
use cme_client::{ContentKind, PageId, Version};
pub use dep_list::DepList;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// File name inside the output folder.
pub const STATE_FILE: &str = ".cme-state.json";
/// The previous good state, kept by every save.
pub const BACKUP_FILE: &str = ".cme-state.json.bak";
/// The schema this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole state file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct State {
    pub schema_version: u32,
    pub confluence_url: String,
    pub scopes: Vec<Scope>,
    pub min_export_timestamp: Option<String>,
    /// Boxed: the map's nodes then hold 8 bytes a page instead of the
    /// ~350 of an entry (nodes filled one page at a time, in an export, are
    /// a third empty), and loading it builds a list of pointers first.
    #[serde(deserialize_with = "packed_pages")]
    pub pages: BTreeMap<PageId, Box<PageState>>,
    /// Files being written when the state was last saved: a run killed
    /// mid-write may have left them (or their folders) behind. The next run
    /// removes cme's temporary files beside them, and a file no page records
    /// only when its content is what cme wrote there (the hash recorded with
    /// it); anything else is reported and left alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Pending>,
    /// The Markdown options the files were written with: `sync` keeps using
    /// them unless a flag says otherwise, and a change rewrites every page,
    /// so a folder never mixes two styles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub markdown: Option<MarkdownSettings>,
    /// Path templates and attachment and breadcrumb options the files were
    /// written with (`None`: the defaults). Kept by `sync` like `markdown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<LayoutSettings>,
    /// `cloud` or `dc`: what the site turned out to be, so `sync` need not
    /// ask again when nothing else says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flavor: Option<String>,
    /// The Jira site of each Jira macro `serverId`, learnt once on Data
    /// Center (from a page's rendered view), so a sync need not ask again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub jira_sites: BTreeMap<String, String>,
    /// The Cloud accounts the last run's pages named (creators and last
    /// editors), sorted: the next run asks their display names while it
    /// lists, so naming the pages waits for no request. Only a hint of whom
    /// to ask: a name never comes from here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<String>,
}

/// The pages, read as a list and built into the map in one pass: the map
/// then has full nodes, where inserting one by one leaves them about half
/// empty (a quarter of the state's memory at 100,000 pages).
fn packed_pages<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<PageId, Box<PageState>>, D::Error> {
    struct Pages;
    impl<'de> serde::de::Visitor<'de> for Pages {
        type Value = Vec<(PageId, Box<PageState>)>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a map of page ids to pages")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0));
            while let Some(entry) = map.next_entry()? {
                out.push(entry);
            }
            Ok(out)
        }
    }
    // Later duplicates win, as with inserting one by one.
    Ok(d.deserialize_map(Pages)?.into_iter().collect())
}

/// What [`State::peek`] reads.
#[derive(Debug, Deserialize)]
pub struct StateHead {
    pub confluence_url: String,
    #[serde(default)]
    pub markdown: Option<MarkdownSettings>,
    #[serde(default)]
    pub layout: Option<LayoutSettings>,
    #[serde(default)]
    pub flavor: Option<String>,
}

pub use crate::options::{LayoutSettings, MarkdownSettings};
pub use crate::options::{Scope, ScopeCommand};

/// Whether a tracked page still exists.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum TrackedStatus {
    #[default]
    Active,
    Deleted,
}

/// One page as last exported. The spec's four fields come first; the rest
/// are optional additions the planner uses (a state in the spec's minimal
/// form still loads, and such a page is simply re-checked more often).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PageState {
    pub version: Version,
    /// Text without spare room (`Box<str>`, as `title` and `comments_path`):
    /// an entry of 320 bytes fits the allocator's 320-byte class, one of
    /// 344 took 384 (~6 MB at 100,000 pages).
    pub last_exported: Box<str>,
    /// Shared with the layout's path while the page keeps its place.
    pub output_path: std::sync::Arc<str>,
    pub status: TrackedStatus,
    /// Title when written: tells a rename from a move in reports.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<Box<str>>,
    /// A page or a blog post (they share one id space); omitted for a
    /// page, so entries written before blog posts were exported read as
    /// pages, which they are.
    #[serde(default, skip_serializing_if = "ContentKind::is_page")]
    pub kind: ContentKind,
    /// Parent page when written (`None` at the space root or unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<PageId>,
    /// Questions the conversion asked about other pages (see `sync::deps`).
    #[serde(default, skip_serializing_if = "DepList::is_empty")]
    pub deps: DepList,
    /// Hash of the answers to `deps` when written: a different answer now
    /// (a linked page renamed, an included page edited) means rewrite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deps_hash: Option<Digest>,
    /// Attachments the written Markdown uses (its own or other pages').
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "to_size"
    )]
    pub uses: Vec<AttachmentUse>,
    /// Hash of the written file, to tell local edits (`status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<Digest>,
    /// Files this page was written to before (a move or rename) that are
    /// still to be removed: kept until removed, so a crash cannot orphan them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_paths: Vec<String>,
    /// Attachments stored for this page (it owns them): file name → copy.
    #[serde(default, skip_serializing_if = "Stored::is_empty")]
    pub attachments: Stored,
    /// Hash of the labels the front matter shows: labels change without a
    /// version, so the planner compares the listing's against this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels_hash: Option<Digest>,
    /// Hash of the creator's and last editor's display names as listed
    /// when written (see `front_matter::names_hash`): a rename rewrites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub names_hash: Option<Digest>,
    /// The comments sidecar written beside the page, if any: removed when
    /// the page goes or moves, or its last comment goes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments_path: Option<Box<str>>,
    /// Hash of the comments the sidecar shows: comments change without a
    /// page version, so the planner compares the listing's against this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comments_hash: Option<Digest>,
}

impl PageState {
    /// An active entry with only the spec's four fields set.
    pub fn minimal(version: Version, last_exported: &str, output_path: &str) -> Self {
        Self {
            version,
            last_exported: last_exported.into(),
            output_path: output_path.into(),
            status: TrackedStatus::Active,
            title: None,
            kind: ContentKind::Page,
            parent: None,
            deps: DepList::default(),
            deps_hash: None,
            uses: Vec::new(),
            hash: None,
            previous_paths: Vec::new(),
            labels_hash: None,
            names_hash: None,
            comments_path: None,
            comments_hash: None,
            attachments: Stored::default(),
        }
    }
}

/// A list read from the state, held in exactly its room: read item by
/// item it grows to room for four (two thirds of a page's dependencies
/// were room).
fn to_size<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    let mut read = Vec::<T>::deserialize(d)?;
    if read.capacity() == read.len() {
        return Ok(read);
    }
    let mut out = Vec::with_capacity(read.len());
    out.append(&mut read);
    Ok(out)
}

/// A page's stored attachments by file name, in name order: a sorted list,
/// read and written as the JSON object a map was. Most pages own one or two
/// files, and a map's first node has room for eleven (~900 bytes a page
/// with attachments, ~11 MB of a 100,000-page state).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored(Vec<(String, AttachmentState)>);

impl Stored {
    fn find(&self, file: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(f, _)| f.as_str().cmp(file))
    }
    /// The copy of `file`.
    pub fn get(&self, file: &str) -> Option<&AttachmentState> {
        self.find(file).ok().map(|i| &self.0[i].1)
    }
    /// Whether a copy of `file` is stored.
    pub fn contains_key(&self, file: &str) -> bool {
        self.find(file).is_ok()
    }
    /// Records the copy of `file`, returning the one it replaces.
    pub fn insert(&mut self, file: String, copy: AttachmentState) -> Option<AttachmentState> {
        match self.find(&file) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, copy)),
            Err(i) => {
                self.0.insert(i, (file, copy));
                None
            }
        }
    }
    /// Forgets the copy of `file`, returning it.
    pub fn remove(&mut self, file: &str) -> Option<AttachmentState> {
        self.find(file).ok().map(|i| self.0.remove(i).1)
    }
    /// Keeps the copies `keep` says to.
    pub fn retain(&mut self, mut keep: impl FnMut(&String, &mut AttachmentState) -> bool) {
        self.0.retain_mut(|(f, a)| keep(f, a));
    }
    /// File names and copies, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &AttachmentState)> {
        self.0.iter().map(|(f, a)| (f, a))
    }
    /// The file names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(f, _)| f)
    }
    /// The copies, in file-name order.
    pub fn values(&self) -> impl Iterator<Item = &AttachmentState> {
        self.0.iter().map(|(_, a)| a)
    }
    /// How many copies are stored.
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The copy of a file, which must be stored (as a map's index is).
impl std::ops::Index<&str> for Stored {
    type Output = AttachmentState;
    fn index(&self, file: &str) -> &AttachmentState {
        self.get(file).expect("no copy of that file is stored")
    }
}

impl<const N: usize> From<[(String, AttachmentState); N]> for Stored {
    fn from(copies: [(String, AttachmentState); N]) -> Self {
        copies.into_iter().collect()
    }
}

/// A file named twice keeps its last copy, as in a map.
impl FromIterator<(String, AttachmentState)> for Stored {
    fn from_iter<I: IntoIterator<Item = (String, AttachmentState)>>(copies: I) -> Self {
        let mut out = Stored::default();
        for (file, copy) in copies {
            out.insert(file, copy);
        }
        out
    }
}

impl<'a> IntoIterator for &'a Stored {
    type Item = (&'a String, &'a AttachmentState);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, AttachmentState)>,
        fn(&'a (String, AttachmentState)) -> (&'a String, &'a AttachmentState),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(f, a)| (f, a))
    }
}

impl Serialize for Stored {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.iter())
    }
}

/// Read as a map was: a file named twice keeps its last copy.
impl<'de> Deserialize<'de> for Stored {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, AttachmentState>::deserialize(d)?;
        let mut out = Vec::with_capacity(map.len());
        out.extend(map);
        Ok(Stored(out))
    }
}

/// A file about to be written, as the state and the journal record it: a
/// plain path (older versions, downloads), or the path and the hash of the
/// content cme is about to write there.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Pending {
    Path(String),
    Written { path: String, hash: String },
}

impl Pending {
    /// A path and the hash of the bytes about to be written there.
    pub fn written(path: &OutputPath, bytes: &[u8]) -> Self {
        Pending::Written {
            path: path.to_string(),
            hash: crate::fs::hash::content_hash(bytes),
        }
    }

    /// The path as recorded.
    pub fn path(&self) -> &str {
        match self {
            Pending::Path(p) | Pending::Written { path: p, .. } => p,
        }
    }

    /// The hash of what cme wrote there, if recorded.
    pub fn hash(&self) -> Option<&str> {
        match self {
            Pending::Path(_) => None,
            Pending::Written { hash, .. } => Some(hash),
        }
    }
}

/// An attachment a page's Markdown refers to: the owning page and file name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttachmentUse {
    pub page: PageId,
    pub file: String,
}

/// One downloaded attachment.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttachmentState {
    pub id: String,
    pub version: Version,
    pub output_path: String,
}

impl State {
    /// A fresh state for a site.
    pub fn new(confluence_url: &str) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            confluence_url: confluence_url.to_owned(),
            scopes: Vec::new(),
            min_export_timestamp: None,
            pending: Vec::new(),
            markdown: None,
            layout: None,
            flavor: None,
            jira_sites: BTreeMap::new(),
            accounts: Vec::new(),
            pages: BTreeMap::new(),
        }
    }

    /// Path of the state file in `output`.
    pub fn path(output: &Path) -> PathBuf {
        output.join(STATE_FILE)
    }

    /// Loads the state of `output`, if there is one. A file that does not
    /// parse is an error, never silently replaced: it may be all that records
    /// what was exported.
    pub fn load(output: &Path) -> Result<Option<Self>> {
        let path = Self::path(output);
        let file = match std::fs::File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        };
        // Parsed as it is read: at 100,000 pages the file is ~65 MB, and
        // holding it beside the state it becomes would double the peak.
        let parsed: serde_json::Result<State> =
            serde_json::from_reader(std::io::BufReader::with_capacity(1 << 18, file));
        let newer = |version: u32| {
            anyhow::anyhow!(
                "`{}` was written by a newer cme (state schema {version}; this build reads {SCHEMA_VERSION}); upgrade cme, nothing was changed",
                path.display()
            )
        };
        let state = match parsed {
            Ok(state) if state.schema_version > SCHEMA_VERSION => {
                return Err(newer(state.schema_version));
            }
            Ok(state) => state,
            Err(e) => {
                // A newer schema must not be misread as corrupt: its
                // version, if it says one, decides the message.
                #[derive(Deserialize)]
                struct Head {
                    schema_version: u32,
                }
                let head = std::fs::File::open(&path).ok().and_then(|f| {
                    serde_json::from_reader::<_, Head>(std::io::BufReader::new(f)).ok()
                });
                if let Some(head) = head.filter(|h| h.schema_version > SCHEMA_VERSION) {
                    return Err(newer(head.schema_version));
                }
                let backup = Self::backup_path(output);
                let hint = if backup.exists() {
                    format!(
                        "the previous good state is `{}`: move it to `{}` to resume from it",
                        backup.display(),
                        path.display()
                    )
                } else {
                    "move it away to start a fresh export".to_owned()
                };
                bail!(
                    "`{}` is not a valid state file ({e}); nothing was changed; {hint}",
                    path.display()
                );
            }
        };
        if state.schema_version != SCHEMA_VERSION {
            bail!(
                "`{}` has schema version {}, this build understands {SCHEMA_VERSION}",
                path.display(),
                state.schema_version
            );
        }
        Ok(Some(state))
    }

    /// The site and Markdown options of the state in `output`, for the
    /// command line to pick defaults before the run loads the state under
    /// its lock. Skips the pages instead of building them; a damaged file
    /// is left to the load, which reports it.
    pub fn peek(output: &Path) -> Option<StateHead> {
        let file = std::fs::File::open(Self::path(output)).ok()?;
        serde_json::from_reader(std::io::BufReader::with_capacity(1 << 18, file)).ok()
    }

    /// Writes the state into the output folder at `output`; see [`Self::save_in`].
    pub fn save(&self, output: &Path) -> Result<()> {
        self.save_in(&OutDir::open(output)?)
    }

    /// Writes atomically (temporary file, fsync, rename), so the file on disk
    /// is always either the old or the new state, whenever the process dies.
    /// Files written before are made durable first, so the state never names
    /// a file that a power cut could still lose.
    /// The state it replaces is kept as `.cme-state.json.bak` (a hard link,
    /// so it costs no copy): the last good state, should this one be damaged.
    /// A link at either name is refused, never written through.
    pub fn save_in(&self, dir: &OutDir) -> Result<()> {
        dir.flush()?;
        let path = OutputPath::from_components(&[STATE_FILE]);
        // Only a convenience: the new state matters more. A link at the
        // backup's name is left alone (never written through); the sync
        // reports it as a failed item (see `backup_problem`).
        let _ = dir.keep_copy(&path, &OutputPath::from_components(&[BACKUP_FILE]));
        // Streamed: at 100,000 pages the JSON is ~50 MB, not worth holding.
        dir.write_atomic_with(&path, Durability::Fsync, 64 * 1024, |w| {
            serde_json::to_writer_pretty(&mut *w, self).map_err(std::io::Error::other)
        })?;
        Ok(())
    }

    /// Why the backup of the previous state cannot be kept in `dir`, if it
    /// cannot: something other than a regular file (a link, a folder) has
    /// its name. Reported as a failed item; the state itself is still saved.
    pub fn backup_problem(dir: &OutDir) -> Option<String> {
        let meta = std::fs::symlink_metadata(Self::backup_path(dir.path())).ok()?;
        let what = if meta.file_type().is_symlink() {
            "a symbolic link"
        } else if meta.is_dir() {
            "a folder"
        } else if meta.is_file() {
            return None;
        } else {
            "not a regular file"
        };
        Some(format!(
            "is {what}, so the previous state is not kept there (left alone; remove it)"
        ))
    }

    /// Path of the backup of the previous state.
    pub fn backup_path(output: &Path) -> PathBuf {
        output.join(BACKUP_FILE)
    }

    /// Adds a scope unless the same one is already tracked. The same
    /// command and arguments with another blog-post choice is that scope,
    /// now with this choice (an older scope gains blog posts by being
    /// exported again with `--append`, instead of being listed twice).
    pub fn add_scope(&mut self, scope: Scope) {
        match self
            .scopes
            .iter_mut()
            .find(|s| s.command == scope.command && s.args == scope.args)
        {
            Some(s) => s.blog_posts = scope.blog_posts,
            None => self.scopes.push(scope),
        }
    }
}

/// Removes the temporary files a run killed while saving the state left.
pub fn remove_partials(dir: &OutDir) {
    dir.remove_partials_beside(&OutputPath::from_components(&[STATE_FILE]));
}

/// Writes `path` (anywhere, e.g. the config file) atomically, through a
/// handle on its folder, which is created if needed.
pub fn write_atomic(path: &Path, bytes: &[u8], durability: Durability) -> Result<()> {
    let dir = path.parent().context("path has no parent folder")?;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .context("path has no file name")?;
    let name = OutputPath::parse_relative(name)?;
    OutDir::open(dir)?.write_atomic(&name, bytes, durability)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("cme-state-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn round_trips_the_documented_schema() {
        let doc = r#"{
          "schema_version": 1,
          "confluence_url": "https://mycompany.atlassian.net",
          "scopes": [
            {"command": "spaces", "args": ["ENGINEERING"]},
            {"command": "pages", "args": ["645208921"]}
          ],
          "min_export_timestamp": null,
          "pages": {
            "12345": {
              "version": 42,
              "last_exported": "2026-02-05T14:30:00Z",
              "output_path": "Engineering/Architecture/design-doc.md",
              "status": "active"
            }
          }
        }"#;
        let s: State = serde_json::from_str(doc).unwrap();
        assert_eq!(s.scopes[0].command, ScopeCommand::Spaces);
        assert_eq!(s.pages[&PageId::new("12345")].version, Version(42));
        let again: State = serde_json::from_slice(&serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(s, again);
        let v: serde_json::Value = serde_json::to_value(&s).unwrap();
        assert!(v["pages"]["12345"].get("attachments").is_none());
    }

    /// Hashes are held as bytes when they are cme's own 32 hex digits, and
    /// as written otherwise: either way the file saves back byte for byte.
    #[test]
    fn a_saved_state_loads_and_saves_byte_for_byte() {
        let d = tmpdir("bytes");
        let mut s = State::new("http://x");
        for (id, hash) in [
            ("1", crate::fs::hash::content_hash(b"one")),
            ("2", "0123456789ABCDEF0123456789abcdef".to_owned()),
            ("3", "from another tool".to_owned()),
        ] {
            let mut p = PageState::minimal(Version(1), "2026-01-01T00:00:00Z", "S/p.md");
            p.deps_hash = Some(Digest::from(hash.clone()));
            p.hash = Some(hash.as_str().into());
            p.labels_hash = Some(Digest::new(&hash));
            p.names_hash = Some(Digest::new(&hash));
            p.comments_hash = Some(Digest::new(&hash));
            p.deps = ["L:t:S:b", "L:t:S:a"].iter().collect();
            for file in ["b.png", "a.png", "c d.png"] {
                let copy = AttachmentState {
                    id: format!("att{file}"),
                    version: Version(1),
                    output_path: format!("S/_attachments/{id}/{file}"),
                };
                p.attachments.insert(file.into(), copy);
            }
            s.pages.insert(PageId::new(id), Box::new(p));
        }
        s.save(&d).unwrap();
        let first = std::fs::read(State::path(&d)).unwrap();
        let text = String::from_utf8(first.clone()).unwrap();
        assert!(text.contains("0123456789ABCDEF0123456789abcdef"));
        assert!(text.contains("from another tool"));
        // Stored files are written in name order, as a map wrote them.
        let (a, b) = (
            text.find("\"a.png\"").unwrap(),
            text.find("\"b.png\"").unwrap(),
        );
        assert!(a < b);
        let loaded = State::load(&d).unwrap().unwrap();
        assert_eq!(loaded, s);
        let p1 = &loaded.pages[&PageId::new("1")];
        assert!(matches!(p1.hash, Some(Digest::Bytes(_))));
        loaded.save(&d).unwrap();
        assert_eq!(std::fs::read(State::path(&d)).unwrap(), first);
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn pending_paths_load_plain_or_with_their_hash() {
        let doc = r#"{"schema_version": 1, "confluence_url": "x", "scopes": [],
            "min_export_timestamp": null, "pages": {},
            "pending": ["S/a.md", {"path": "S/b.md", "hash": "12ab"}]}"#;
        let s: State = serde_json::from_str(doc).unwrap();
        assert_eq!(s.pending[0], Pending::Path("S/a.md".into()));
        assert_eq!(
            (s.pending[1].path(), s.pending[1].hash()),
            ("S/b.md", Some("12ab"))
        );
        let again: State = serde_json::from_slice(&serde_json::to_vec(&s).unwrap()).unwrap();
        assert_eq!(s, again);
    }

    #[test]
    fn a_page_listed_twice_loads_as_its_last_entry() {
        let page = |v: u64| {
            format!(
                r#"{{"version": {v}, "last_exported": "t", "output_path": "S/p{v}.md", "status": "active"}}"#
            )
        };
        let doc = format!(
            r#"{{"schema_version": 1, "confluence_url": "x", "scopes": [],
            "min_export_timestamp": null,
            "pages": {{"2": {}, "1": {}, "2": {}}}}}"#,
            page(1),
            page(2),
            page(3)
        );
        let s: State = serde_json::from_str(&doc).unwrap();
        assert_eq!(s.pages.len(), 2);
        assert_eq!(s.pages[&PageId::new("2")].version, Version(3));
        assert_eq!(s.pages[&PageId::new("1")].output_path, "S/p2.md".into());
    }

    #[test]
    fn corrupt_state_is_an_error_and_is_left_alone() {
        let d = tmpdir("corrupt");
        std::fs::write(State::path(&d), b"{\"schema_version\": 1, \"pages\": {").unwrap();
        let err = format!("{:#}", State::load(&d).unwrap_err());
        assert!(err.contains("not a valid state file"), "{err}");
        std::fs::write(
            State::path(&d),
            br#"{"schema_version": 2, "confluence_url": "x", "scopes": [], "pages": {}}"#,
        )
        .unwrap();
        let err = format!("{:#}", State::load(&d).unwrap_err());
        assert!(err.contains("newer cme"), "{err}");
        std::fs::write(State::path(&d), b"{\"schema_version\": 1, \"pages\": {").unwrap();
        assert_eq!(
            std::fs::read(State::path(&d)).unwrap(),
            b"{\"schema_version\": 1, \"pages\": {"
        );
        std::fs::remove_dir_all(&d).ok();
    }

    #[cfg(unix)]
    #[test]
    fn a_link_at_the_state_or_its_backup_is_refused_and_its_target_kept() {
        let d = tmpdir("links");
        let outside = d.with_extension("outside");
        std::fs::write(&outside, b"precious").unwrap();
        let s = State::new("http://x");
        s.save(&d).unwrap();
        for name in [BACKUP_FILE, STATE_FILE] {
            std::fs::remove_file(d.join(name)).ok();
            std::os::unix::fs::symlink(&outside, d.join(name)).unwrap();
            if name == BACKUP_FILE {
                // Not fatal: the state is saved, the link left alone.
                s.save(&d).unwrap();
                let problem = State::backup_problem(&OutDir::open(&d).unwrap()).unwrap();
                assert!(problem.contains("symbolic link"), "{problem}");
            } else {
                let err = format!("{:#}", s.save(&d).unwrap_err());
                assert!(err.contains("is a symbolic link"), "{err}");
            }
            assert_eq!(std::fs::read(&outside).unwrap(), b"precious");
            assert!(d.join(name).is_symlink());
        }
        std::fs::remove_file(&outside).ok();
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn save_then_load_and_no_partial_file_remains() {
        let d = tmpdir("save");
        let mut s = State::new("http://x");
        s.add_scope(Scope {
            command: ScopeCommand::AllSpaces,
            args: vec![],
            blog_posts: false,
        });
        s.add_scope(Scope {
            command: ScopeCommand::AllSpaces,
            args: vec![],
            blog_posts: false,
        });
        s.save(&d).unwrap();
        assert_eq!(State::load(&d).unwrap().unwrap(), s);
        assert_eq!(s.scopes.len(), 1, "duplicate scopes are ignored");
        // The same scope with blog posts: that scope, now with them.
        let mut t = s.clone();
        t.add_scope(
            Scope {
                command: ScopeCommand::AllSpaces,
                args: vec![],
                blog_posts: false,
            }
            .with_blog_posts(true),
        );
        assert_eq!(t.scopes.len(), 1);
        assert!(t.scopes[0].blog_posts);
        let names: Vec<_> = std::fs::read_dir(&d)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from(STATE_FILE)]);
        // A second save keeps the first as the backup.
        let mut s2 = s.clone();
        s2.min_export_timestamp = Some("2026-01-01T00:00:00Z".into());
        s2.save(&d).unwrap();
        let backup: State =
            serde_json::from_slice(&std::fs::read(State::backup_path(&d)).unwrap()).unwrap();
        assert_eq!(backup, s);
        assert_eq!(State::load(&d).unwrap().unwrap(), s2);
        std::fs::remove_dir_all(&d).ok();
    }
}
#[cfg(test)]
mod size {
    /// A state holds one entry per page: at 100,000 pages each byte over
    /// the allocator's 320-byte class costs 64 (the next class is 384).
    #[test]
    fn a_page_entry_fits_the_320_byte_class() {
        assert!(std::mem::size_of::<super::PageState>() <= 320);
    }
}
