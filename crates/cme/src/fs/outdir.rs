//! The output folder, opened once. Every file the export creates, replaces,
//! moves or deletes in it goes through this handle, one folder at a time and
//! never through a symbolic link: a link planted anywhere inside (even one
//! pointing back inside) is refused, so nothing outside the folder can be
//! written or deleted. The folder itself may be a link: the user chose it.
//!
//! Temporary files are created exclusively under an unpredictable name
//! (`.<name>.<16 hex>.cme-partial`, beside their target), so a link planted
//! at a guessed name cannot redirect a write either.
use crate::fs::paths::OutputPath;
use cap_fs_ext::{DirExt as _, FollowSymlinks, OpenOptionsFollowExt as _};
use cap_std::fs::{Dir, OpenOptions};
use std::fmt;
use std::io::{self, BufWriter, Seek as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Ending of every temporary file name (older versions wrote
/// `.<name>.cme-partial`; leftovers of both forms are cleaned).
pub use crate::fs::paths::PARTIAL_SUFFIX;

/// Whether a write is flushed to disk before it is renamed into place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync the file: for the state file.
    Fsync,
    /// Leave flushing to [`OutDir::flush`], one call per batch: an fsync per
    /// page doubled export time on ext4 (one journal commit each).
    Batched,
}

/// A handle on the output folder; cheap to clone (tasks share it).
#[derive(Clone)]
pub struct OutDir {
    root: Arc<Dir>,
    path: Arc<Path>,
}

impl fmt::Debug for OutDir {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("OutDir").field(&self.path).finish()
    }
}

/// What an operation was doing, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Write,
    Remove,
    Open,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Write => "write",
            Op::Remove => "remove",
            Op::Open => "open",
        })
    }
}

/// Why an operation in the output folder did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OutDirError {
    /// A symbolic link at the item or on the way: it is left alone, and
    /// only this item fails.
    #[error("refusing to {op} `{path}`: `{link}` is a symbolic link")]
    Symlink {
        op: Op,
        /// The item, relative to the output folder.
        path: String,
        /// The link, relative to the output folder.
        link: String,
    },
    /// The file system said no (disk full, permissions, …).
    #[error("cannot {op} `{}`", path.display())]
    Io {
        op: Op,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

impl OutDirError {
    /// Whether a link was refused (only this item is affected), rather
    /// than the disk failing.
    pub fn is_symlink(&self) -> bool {
        matches!(self, OutDirError::Symlink { .. })
    }
}

/// The folders of one path, opened from the root down.
struct Folders {
    opened: Vec<Dir>,
    /// Every folder exists (else `opened` stops at the first missing one).
    complete: bool,
}

impl OutDir {
    /// Opens the output folder (following a link there: the user's choice).
    pub fn open(path: &Path) -> Result<Self, OutDirError> {
        let root = Dir::open_ambient_dir(path, cap_std::ambient_authority()).map_err(|source| {
            OutDirError::Io {
                op: Op::Open,
                path: path.to_path_buf(),
                source,
            }
        })?;
        Ok(Self {
            root: Arc::new(root),
            path: Arc::from(path),
        })
    }

    /// The folder's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `bytes` to `rel` through a temporary sibling and a rename,
    /// creating its folders.
    pub fn write_atomic(
        &self,
        rel: &OutputPath,
        bytes: &[u8],
        durability: Durability,
    ) -> Result<(), OutDirError> {
        // No buffer: the bytes go to the file in one call.
        self.write_atomic_with(rel, durability, 0, |w| w.write_all(bytes))
    }

    /// [`Self::write_atomic`] for content produced by `write` into a writer
    /// with a buffer of `buffer` bytes. A link (or a folder) at `rel` or on
    /// the way is refused; the temporary file is removed on failure.
    pub fn write_atomic_with(
        &self,
        rel: &OutputPath,
        durability: Durability,
        buffer: usize,
        write: impl FnOnce(&mut BufWriter<std::fs::File>) -> io::Result<()>,
    ) -> Result<(), OutDirError> {
        let (dirs, name) = split(rel);
        let folder = self.parent(&dirs, true, Op::Write, rel)?.flatten();
        let parent = folder.as_ref().unwrap_or(&self.root);
        self.check_target(parent, name, Op::Write, rel)?;
        let io_err = |source| OutDirError::Io {
            op: Op::Write,
            path: rel.under(&self.path),
            source,
        };
        let (tmp, file) = create_partial(parent, name).map_err(io_err)?;
        let result = (|| -> io::Result<()> {
            let mut w = BufWriter::with_capacity(buffer, file);
            write(&mut w)?;
            let f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
            if durability == Durability::Fsync {
                f.sync_all()?;
            }
            drop(f);
            parent.rename(&tmp, parent, name)
        })();
        if result.is_err() {
            let _ = parent.remove_file(&tmp);
        }
        result.map_err(io_err)
    }

    /// Starts writing `rel` atomically in pieces (a download streamed to
    /// disk): the content goes to a temporary file beside it, which
    /// [`AtomicFile::commit`] renames into place; dropped uncommitted, the
    /// temporary file is removed. Links are refused as for
    /// [`Self::write_atomic`].
    pub fn begin_atomic(
        &self,
        rel: &OutputPath,
        durability: Durability,
    ) -> Result<AtomicFile, OutDirError> {
        let (dirs, name) = split(rel);
        let parent = match self.parent(&dirs, true, Op::Write, rel)?.flatten() {
            Some(d) => d,
            None => self.root.try_clone().map_err(|source| OutDirError::Io {
                op: Op::Write,
                path: rel.under(&self.path),
                source,
            })?,
        };
        self.check_target(&parent, name, Op::Write, rel)?;
        let (tmp, file) = create_partial(&parent, name).map_err(|source| OutDirError::Io {
            op: Op::Write,
            path: rel.under(&self.path),
            source,
        })?;
        Ok(AtomicFile {
            parent,
            tmp,
            name: name.to_owned(),
            path: rel.under(&self.path),
            file: Some(BufWriter::with_capacity(64 << 10, file)),
            durability,
            done: false,
        })
    }

    /// Keeps a copy of `from` as `to` (same folder or not): a hard link
    /// where the file system has them, so it costs no copy. Nothing to do
    /// when `from` does not exist.
    pub fn keep_copy(&self, from: &OutputPath, to: &OutputPath) -> Result<(), OutDirError> {
        let (from_dirs, from_name) = split(from);
        let Some(src) = self.parent(&from_dirs, false, Op::Open, from)? else {
            return Ok(());
        };
        let src_parent = src.as_ref().unwrap_or(&self.root);
        if !self.check_target(src_parent, from_name, Op::Open, from)? {
            return Ok(());
        }
        let (dirs, name) = split(to);
        let dst = self.parent(&dirs, true, Op::Write, to)?.flatten();
        let parent = dst.as_ref().unwrap_or(&self.root);
        self.check_target(parent, name, Op::Write, to)?;
        let io_err = |source| OutDirError::Io {
            op: Op::Write,
            path: to.under(&self.path),
            source,
        };
        let tmp = partial_name(name).map_err(io_err)?;
        let linked = src_parent.hard_link(from_name, parent, &tmp).is_ok();
        let result = (|| -> io::Result<()> {
            if !linked {
                let bytes = src_parent.read(from_name)?;
                let mut f = parent.open_with(&tmp, &exclusive())?;
                f.write_all(&bytes)?;
            }
            parent.rename(&tmp, parent, name)
        })();
        // When `to` already was `from` (both names one file), the rename
        // did nothing and the temporary name is still there.
        let _ = parent.remove_file(&tmp);
        result.map_err(io_err)
    }

    /// Removes the file `rel`, then the folders that leaves empty (never the
    /// output folder). A file already gone is fine; a link at `rel` or on
    /// the way is refused and left alone.
    pub fn remove_file(&self, rel: &OutputPath) -> Result<(), OutDirError> {
        let (dirs, name) = split(rel);
        let folders = self.folders(&dirs, false, Op::Remove, rel)?;
        if folders.complete {
            let parent = folders.opened.last().unwrap_or(&self.root);
            if self.check_target(parent, name, Op::Remove, rel)? {
                match parent.remove_file(name) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(source) => {
                        return Err(OutDirError::Io {
                            op: Op::Remove,
                            path: rel.under(&self.path),
                            source,
                        });
                    }
                }
            }
        }
        self.prune(&dirs, folders);
        Ok(())
    }

    /// The [`content_hash`](super::hash::content_hash) of the regular file
    /// `rel`, read in pieces and never through a link; `None` when there is
    /// no regular file there (gone, a folder, a link) or it cannot be read.
    pub fn hash_file(&self, rel: &OutputPath) -> Option<String> {
        let (dirs, name) = split(rel);
        let folder = self.parent(&dirs, false, Op::Open, rel).ok()??;
        let parent = folder.as_ref().unwrap_or(&self.root);
        let meta = parent.symlink_metadata(name).ok()?;
        if !meta.file_type().is_file() {
            return None;
        }
        let mut o = OpenOptions::new();
        o.read(true).follow(FollowSymlinks::No);
        let f = parent.open_with(name, &o).ok()?;
        super::hash::content_hash_of(f).ok()
    }

    /// Removes the folders of `rel` that are empty, from the deepest up
    /// (never the output folder). Folders never created are skipped: a run
    /// killed inside creating them may have left their parents empty.
    pub fn prune_beside(&self, rel: &OutputPath) {
        let (dirs, _) = split(rel);
        if let Ok(folders) = self.folders(&dirs, false, Op::Remove, rel) {
            self.prune(&dirs, folders);
        }
    }

    fn prune(&self, dirs: &[&str], folders: Folders) {
        let mut opened = folders.opened;
        while let Some(dir) = opened.pop() {
            drop(dir);
            let parent = opened.last().unwrap_or(&self.root);
            // Not empty (or no longer ours to judge): the folders above
            // are not empty either.
            if parent.remove_dir(dirs[opened.len()]).is_err() {
                break;
            }
        }
    }

    /// Removes temporary files left by a killed run in the folder holding
    /// `rel`: regular files only (a link at such a name stays). Best effort;
    /// returns how many were removed.
    pub fn remove_partials_beside(&self, rel: &OutputPath) -> usize {
        let (dirs, _) = split(rel);
        let Ok(folders) = self.folders(&dirs, false, Op::Remove, rel) else {
            return 0;
        };
        if !folders.complete {
            return 0;
        }
        let parent = folders.opened.last().unwrap_or(&self.root);
        let Ok(entries) = parent.entries() else {
            return 0;
        };
        let mut removed = 0;
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            // `file_type` does not follow links.
            let regular = e.file_type().is_ok_and(|t| t.is_file());
            if regular && partial_target(name).is_some() && parent.remove_file(name).is_ok() {
                removed += 1;
            }
        }
        removed
    }

    /// Opens (creating) `rel` for reading and writing, never through a
    /// link: for the journal and the lock.
    pub fn open_rw(&self, rel: &OutputPath) -> Result<std::fs::File, OutDirError> {
        let (dirs, name) = split(rel);
        let folder = self.parent(&dirs, true, Op::Open, rel)?.flatten();
        let parent = folder.as_ref().unwrap_or(&self.root);
        let mut o = OpenOptions::new();
        o.read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .follow(FollowSymlinks::No);
        match parent.open_with(name, &o) {
            Ok(f) => Ok(f.into_std()),
            Err(source) => {
                self.check_target(parent, name, Op::Open, rel)?;
                Err(OutDirError::Io {
                    op: Op::Open,
                    path: rel.under(&self.path),
                    source,
                })
            }
        }
    }

    /// Makes every file written so far durable with one `syncfs` (Linux).
    /// Other systems rely on the atomic rename alone, which already survives
    /// the process dying, just not a power cut.
    pub fn flush(&self) -> Result<(), OutDirError> {
        #[cfg(target_os = "linux")]
        {
            use std::os::fd::AsRawFd as _;
            let io_err = |source| OutDirError::Io {
                op: Op::Write,
                path: self.path.to_path_buf(),
                source,
            };
            // The folder's handle is `O_PATH`, which syncfs refuses: open
            // it for reading once more.
            let f = self.root.open(".").map_err(io_err)?;
            // SAFETY: syncfs only reads the descriptor, which `f` keeps open.
            if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
                return Err(io_err(io::Error::last_os_error()));
            }
        }
        Ok(())
    }

    /// The innermost of the folders `dirs` (`Some(None)`: the output folder
    /// itself), never reached through a link; created when missing and
    /// `create`, else `None` when one is missing. On Linux one `openat2`
    /// that refuses every link on the way opens an existing folder;
    /// anything else it meets (a missing folder, a link, an old kernel) is
    /// left to [`Self::folders`], one folder at a time, which creates and
    /// says which link it refused. An export writes tens of thousands of
    /// files, most into folders that exist: one system call each instead of
    /// one per level.
    fn parent(
        &self,
        dirs: &[&str],
        create: bool,
        op: Op,
        item: &OutputPath,
    ) -> Result<Option<Option<Dir>>, OutDirError> {
        if dirs.is_empty() {
            return Ok(Some(None));
        }
        #[cfg(target_os = "linux")]
        if let Some(dir) = open_beneath(&self.root, dirs) {
            return Ok(Some(Some(dir)));
        }
        let mut folders = self.folders(dirs, create, op, item)?;
        Ok(folders.complete.then(|| folders.opened.pop()))
    }

    /// Opens the folders `dirs` one at a time without following links,
    /// creating missing ones when `create`.
    fn folders(
        &self,
        dirs: &[&str],
        create: bool,
        op: Op,
        item: &OutputPath,
    ) -> Result<Folders, OutDirError> {
        let mut opened: Vec<Dir> = Vec::with_capacity(dirs.len());
        for (i, name) in dirs.iter().enumerate() {
            let parent = opened.last().unwrap_or(&self.root);
            let next = match parent.open_dir_nofollow(name) {
                Ok(d) => d,
                Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                    match parent.create_dir(name) {
                        Ok(()) => {}
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(e) => {
                            return Err(self.folder_error(parent, name, &dirs[..=i], op, item, e));
                        }
                    }
                    parent
                        .open_dir_nofollow(name)
                        .map_err(|e| self.folder_error(parent, name, &dirs[..=i], op, item, e))?
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Ok(Folders {
                        opened,
                        complete: false,
                    });
                }
                Err(e) => return Err(self.folder_error(parent, name, &dirs[..=i], op, item, e)),
            };
            opened.push(next);
        }
        Ok(Folders {
            opened,
            complete: true,
        })
    }

    /// Why the folder `name` in `parent` could not be opened or created:
    /// a link, or the disk.
    fn folder_error(
        &self,
        parent: &Dir,
        name: &str,
        at: &[&str],
        op: Op,
        item: &OutputPath,
        source: io::Error,
    ) -> OutDirError {
        match parent.symlink_metadata(name) {
            Ok(m) if m.file_type().is_symlink() => OutDirError::Symlink {
                op,
                path: item.to_string(),
                link: at.join("/"),
            },
            _ => OutDirError::Io {
                op,
                path: OutputPath::from_components(at).under(&self.path),
                source,
            },
        }
    }

    /// Whether `name` exists in `parent`; a link there is refused.
    fn check_target(
        &self,
        parent: &Dir,
        name: &str,
        op: Op,
        item: &OutputPath,
    ) -> Result<bool, OutDirError> {
        match parent.symlink_metadata(name) {
            Ok(m) if m.file_type().is_symlink() => Err(OutDirError::Symlink {
                op,
                path: item.to_string(),
                link: item.to_string(),
            }),
            Ok(_) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(OutDirError::Io {
                op,
                path: item.under(&self.path),
                source,
            }),
        }
    }
}

/// The folders and the file name of `rel`.
/// A file being written in pieces (see [`OutDir::begin_atomic`]).
pub struct AtomicFile {
    parent: Dir,
    tmp: String,
    name: String,
    path: PathBuf,
    file: Option<BufWriter<std::fs::File>>,
    durability: Durability,
    /// Renamed into place: nothing to clean up.
    done: bool,
}

impl AtomicFile {
    fn writer(&mut self) -> io::Result<&mut BufWriter<std::fs::File>> {
        self.file
            .as_mut()
            .ok_or_else(|| io::Error::other("the file was already committed"))
    }

    /// Appends `bytes`.
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer()?.write_all(bytes)
    }

    /// Empties the file, to start over (a retried download).
    pub fn restart(&mut self) -> io::Result<()> {
        let w = self.writer()?;
        w.flush()?;
        let f = w.get_mut();
        f.set_len(0)?;
        f.seek(io::SeekFrom::Start(0))?;
        Ok(())
    }

    /// Renames the written file into place.
    pub fn commit(mut self) -> Result<(), OutDirError> {
        let result = (|| -> io::Result<()> {
            let w = self
                .file
                .take()
                .ok_or_else(|| io::Error::other("the file was already committed"))?;
            let f = w.into_inner().map_err(io::IntoInnerError::into_error)?;
            if self.durability == Durability::Fsync {
                f.sync_all()?;
            }
            drop(f);
            self.parent.rename(&self.tmp, &self.parent, &self.name)?;
            self.done = true;
            Ok(())
        })();
        result.map_err(|source| OutDirError::Io {
            op: Op::Write,
            path: self.path.clone(),
            source,
        })
    }
}

/// A download streams straight into the file.
impl cme_client::Sink for AtomicFile {
    fn restart(&mut self) -> io::Result<()> {
        AtomicFile::restart(self)
    }

    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        AtomicFile::write(self, chunk)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Not committed (or the rename failed): the partial file goes.
        if !self.done {
            let _ = self.parent.remove_file(&self.tmp);
        }
    }
}

/// The existing folder `dirs` below `root`, opened in one call that fails
/// on any link on the way (`RESOLVE_NO_SYMLINKS`) or anything that would
/// leave `root` (`RESOLVE_BENEATH`); `None` when it cannot (missing, a
/// link, no `openat2`), for the caller to walk instead.
#[cfg(target_os = "linux")]
fn open_beneath(root: &Dir, dirs: &[&str]) -> Option<Dir> {
    use rustix::fs::{Mode, OFlags, ResolveFlags, openat2};
    let path = dirs.join("/");
    let fd = openat2(
        root,
        path.as_str(),
        OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS,
    )
    .ok()?;
    Some(Dir::from(fd))
}

fn split(rel: &OutputPath) -> (Vec<&str>, &str) {
    let mut dirs: Vec<&str> = rel.components().collect();
    // An `OutputPath` always has at least one component.
    let name = dirs.pop().unwrap_or_default();
    (dirs, name)
}

/// Options that create a new file and fail if anything (a link included)
/// already has the name.
fn exclusive() -> OpenOptions {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true).follow(FollowSymlinks::No);
    o
}

/// A fresh temporary name for `name`: `.<name>.<16 hex>.cme-partial`.
fn partial_name(name: &str) -> io::Result<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!(".{name}.{hex}{PARTIAL_SUFFIX}"))
}

/// Creates a temporary file for `name` in `parent`, exclusively.
fn create_partial(parent: &Dir, name: &str) -> io::Result<(String, std::fs::File)> {
    let mut last = None;
    for _ in 0..4 {
        let tmp = partial_name(name)?;
        match parent.open_with(&tmp, &exclusive()) {
            Ok(f) => return Ok((tmp, f.into_std())),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

/// The file name a temporary file name is for (either form), if it is one.
pub fn partial_target(name: &str) -> Option<&str> {
    let inner = name.strip_prefix('.')?.strip_suffix(PARTIAL_SUFFIX)?;
    let target = match inner.rsplit_once('.') {
        Some((t, hex)) if hex.len() == 16 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => t,
        _ => inner,
    };
    (!target.is_empty()).then_some(target)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A sandbox holding `out/` and `outside/` (with one file).
    fn sandbox(name: &str) -> (PathBuf, OutDir) {
        let d = std::env::temp_dir().join(format!("cme-outdir-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("out")).unwrap();
        std::fs::create_dir_all(d.join("outside")).unwrap();
        std::fs::write(d.join("outside/keep.md"), "outside").unwrap();
        let dir = OutDir::open(&d.join("out")).unwrap();
        (d, dir)
    }

    fn p(s: &str) -> OutputPath {
        OutputPath::parse_recorded(s).unwrap()
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_create_folders_and_leave_no_temporary_file() {
        let (d, dir) = sandbox("write");
        dir.write_atomic(&p("S/A/B.md"), b"one", Durability::Batched)
            .unwrap();
        dir.write_atomic(&p("S/A/B.md"), b"two", Durability::Fsync)
            .unwrap();
        assert_eq!(std::fs::read(d.join("out/S/A/B.md")).unwrap(), b"two");
        assert_eq!(names(&d.join("out/S/A")), ["B.md"]);
        dir.flush().unwrap();
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn a_link_on_the_way_or_at_the_target_is_refused_and_left_alone() {
        let (d, dir) = sandbox("links");
        let outside = d.join("outside");
        std::fs::create_dir_all(d.join("out/S")).unwrap();
        // A link to a folder outside, and one pointing back inside.
        symlink(&outside, d.join("out/S/Out")).unwrap();
        symlink(d.join("out/S"), d.join("out/S/In")).unwrap();
        symlink(outside.join("keep.md"), d.join("out/S/Page.md")).unwrap();
        for (path, at) in [
            ("S/Out/keep.md", "S/Out"),
            ("S/Out/New/x.md", "S/Out"),
            ("S/In/x.md", "S/In"),
            ("S/Page.md", "S/Page.md"),
        ] {
            let e = dir
                .write_atomic(&p(path), b"evil", Durability::Batched)
                .unwrap_err();
            assert!(e.is_symlink(), "{path}: {e}");
            assert!(
                e.to_string()
                    .contains(&format!("`{at}` is a symbolic link")),
                "{e}"
            );
            let e = dir.remove_file(&p(path)).unwrap_err();
            assert!(e.is_symlink(), "{path}: {e}");
        }
        assert_eq!(names(&outside), ["keep.md"]);
        assert_eq!(std::fs::read(outside.join("keep.md")).unwrap(), b"outside");
        assert_eq!(names(&d.join("out/S")), ["In", "Out", "Page.md"]);
        // A file where a folder is needed, and a folder where a file is:
        // the disk's errors, not links.
        std::fs::write(d.join("out/S/File"), "f").unwrap();
        let e = dir
            .write_atomic(&p("S/File/x.md"), b"x", Durability::Batched)
            .unwrap_err();
        assert!(!e.is_symlink(), "{e}");
        let e = dir
            .write_atomic(&p("S"), b"x", Durability::Batched)
            .unwrap_err();
        assert!(!e.is_symlink(), "{e}");
        assert_eq!(names(&d.join("out/S")), ["File", "In", "Out", "Page.md"]);
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn a_link_at_a_temporary_name_is_never_written_through() {
        let (d, dir) = sandbox("partial");
        let outside = d.join("outside/keep.md");
        std::fs::create_dir_all(d.join("out/S")).unwrap();
        // The names older versions used, planted.
        symlink(&outside, d.join("out/S/.A.md.cme-partial")).unwrap();
        symlink(&outside, d.join("out/.state.json.cme-partial")).unwrap();
        dir.write_atomic(&p("S/A.md"), b"mine", Durability::Batched)
            .unwrap();
        dir.write_atomic(&p("state.json"), b"mine", Durability::Fsync)
            .unwrap();
        assert_eq!(std::fs::read(&outside).unwrap(), b"outside");
        assert_eq!(std::fs::read(d.join("out/S/A.md")).unwrap(), b"mine");
        // Two temporary names for one file differ.
        assert_ne!(partial_name("A.md").unwrap(), partial_name("A.md").unwrap());
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn removal_prunes_empty_folders_up_to_the_root_and_no_further() {
        let (d, dir) = sandbox("prune");
        dir.write_atomic(&p("S/A/B/x.md"), b"x", Durability::Batched)
            .unwrap();
        dir.write_atomic(&p("S/y.md"), b"y", Durability::Batched)
            .unwrap();
        dir.remove_file(&p("S/A/B/x.md")).unwrap();
        assert_eq!(names(&d.join("out/S")), ["y.md"]);
        dir.remove_file(&p("S/A/B/x.md")).unwrap();
        dir.remove_file(&p("S/y.md")).unwrap();
        assert!(names(&d.join("out")).is_empty());
        assert!(d.join("out").is_dir(), "the output folder stays");
        // Folders a killed run created but never filled.
        std::fs::create_dir_all(d.join("out/T/U")).unwrap();
        dir.prune_beside(&p("T/U/V/W/x.md"));
        assert!(names(&d.join("out")).is_empty());
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn leftover_temporary_files_are_removed_but_links_at_their_names_stay() {
        let (d, dir) = sandbox("leftovers");
        std::fs::create_dir_all(d.join("out/S")).unwrap();
        std::fs::write(d.join("out/S/.A.md.cme-partial"), "old form").unwrap();
        std::fs::write(d.join("out/S/.A.md.0123456789abcdef.cme-partial"), "new").unwrap();
        std::fs::write(d.join("out/S/A.md"), "page").unwrap();
        symlink(d.join("outside/keep.md"), d.join("out/S/.B.md.cme-partial")).unwrap();
        assert_eq!(dir.remove_partials_beside(&p("S/A.md")), 2);
        assert_eq!(names(&d.join("out/S")), [".B.md.cme-partial", "A.md"]);
        assert_eq!(
            std::fs::read(d.join("outside/keep.md")).unwrap(),
            b"outside"
        );
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn a_copy_is_kept_beside_and_links_are_refused() {
        let (d, dir) = sandbox("copy");
        let (from, to) = (p("state.json"), p("state.json.bak"));
        dir.keep_copy(&from, &to).unwrap();
        assert_eq!(names(&d.join("out")), Vec::<String>::new());
        dir.write_atomic(&from, b"one", Durability::Fsync).unwrap();
        dir.keep_copy(&from, &to).unwrap();
        // Twice: the second finds both names one file.
        dir.keep_copy(&from, &to).unwrap();
        assert_eq!(names(&d.join("out")), ["state.json", "state.json.bak"]);
        std::fs::remove_file(d.join("out/state.json.bak")).unwrap();
        symlink(d.join("outside/keep.md"), d.join("out/state.json.bak")).unwrap();
        assert!(dir.keep_copy(&from, &to).unwrap_err().is_symlink());
        assert_eq!(
            std::fs::read(d.join("outside/keep.md")).unwrap(),
            b"outside"
        );
        std::fs::remove_dir_all(&d).ok();
    }

    /// The one-call folder open finds existing folders, and refuses links
    /// anywhere on the way (even ones pointing back inside), `..` and
    /// missing folders, leaving them to the walk.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_folder_opens_in_one_call_only_when_no_link_is_on_the_way() {
        let (d, dir) = sandbox("beneath");
        std::fs::create_dir_all(d.join("out/A/B/C")).unwrap();
        symlink(d.join("out/A"), d.join("out/L")).unwrap();
        symlink(d.join("outside"), d.join("out/A/O")).unwrap();
        let open = |dirs: &[&str]| open_beneath(&dir.root, dirs);
        let c = open(&["A", "B", "C"]).expect("an existing folder");
        c.create_dir("D").unwrap();
        assert!(d.join("out/A/B/C/D").is_dir());
        for refused in [
            &["L", "B"][..],
            &["A", "O"],
            &["A", "..", "..", "outside"],
            &["A", "missing"],
        ] {
            assert!(open(refused).is_none(), "{refused:?}");
        }
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn files_are_opened_only_when_not_links() {
        let (d, dir) = sandbox("open");
        dir.open_rw(&p(".lock")).unwrap();
        symlink(d.join("outside/keep.md"), d.join("out/.journal")).unwrap();
        assert!(dir.open_rw(&p(".journal")).unwrap_err().is_symlink());
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn temporary_names_map_back_to_their_file() {
        assert_eq!(partial_target(".A.md.cme-partial"), Some("A.md"));
        assert_eq!(
            partial_target(".A.md.0123456789abcdef.cme-partial"),
            Some("A.md")
        );
        assert_eq!(partial_target("A.md.cme-partial"), None);
        assert_eq!(partial_target(".A.md"), None);
        assert_eq!(partial_target("..cme-partial"), None);
    }
}
