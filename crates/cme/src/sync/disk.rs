//! The only code that removes files, and the guard every write and removal
//! goes through: nothing outside the output folder, nothing through a link.
use super::outcome::Outcome;
use crate::export::paths::OutputPath;
use anyhow::{Context as _, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Removes one file we wrote, then the folders its removal left empty (up
/// to, never including, the output folder). A file already gone is fine.
pub fn remove_file(
    root: &Path,
    guard: &mut PathGuard,
    path: &OutputPath,
    out: &mut Outcome,
) -> Result<()> {
    let target = match guard.check(path) {
        Ok(t) => t,
        Err(e) => {
            out.refused.push(e.to_string());
            return Ok(());
        }
    };
    match std::fs::remove_file(&target) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            return Err(e).with_context(|| format!("cannot remove `{}`", target.display()));
        }
    }
    if let Some(dir) = target.parent() {
        prune(root, guard, dir);
    }
    Ok(())
}

/// Removes `dir` and its parents while they are empty, up to (never
/// including) `root`.
pub fn prune(root: &Path, guard: &mut PathGuard, dir: &Path) {
    let mut dir = Some(dir);
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) {
            break;
        }
        match std::fs::remove_dir(d) {
            Ok(()) => guard.forget(d),
            // Never created (a run killed inside `create_dir_all`): its
            // parents may still be empty leftovers.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(_) => break,
        }
        dir = d.parent();
    }
}

/// Refuses any path whose folders lead through a symbolic link: a link
/// planted inside the output folder must not redirect a write or a delete
/// elsewhere. Folders already checked are remembered.
pub struct PathGuard {
    root: PathBuf,
    checked: HashSet<PathBuf>,
}

/// A path refused by [`PathGuard`].
#[derive(Debug, thiserror::Error)]
#[error("refusing to touch `{path}`: `{link}` is a symbolic link")]
pub struct ThroughSymlink {
    path: String,
    link: String,
}

impl PathGuard {
    /// A guard for the output folder `root` (itself may be a link: the
    /// user chose it).
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            checked: HashSet::new(),
        }
    }

    /// The absolute path of `path`, if no folder on the way is a link.
    pub fn check(&mut self, path: &OutputPath) -> Result<PathBuf, ThroughSymlink> {
        let full = path.under(&self.root);
        let mut dir = self.root.clone();
        let parts: Vec<&str> = path.components().collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            dir.push(part);
            if self.checked.contains(&dir) {
                continue;
            }
            match std::fs::symlink_metadata(&dir) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(ThroughSymlink {
                        path: path.to_string(),
                        link: dir
                            .strip_prefix(&self.root)
                            .unwrap_or(&dir)
                            .display()
                            .to_string(),
                    });
                }
                Ok(_) => {
                    self.checked.insert(dir.clone());
                }
                // Not there yet: it will be created as a real folder.
                Err(_) => break,
            }
        }
        Ok(full)
    }

    fn forget(&mut self, dir: &Path) {
        self.checked.remove(dir);
    }
}

/// Hash of a written file, to tell local edits later.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn paths_through_a_planted_link_are_refused() {
        let d = std::env::temp_dir().join(format!("cme-guard-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("out/S")).unwrap();
        std::fs::create_dir_all(d.join("elsewhere")).unwrap();
        std::os::unix::fs::symlink(d.join("elsewhere"), d.join("out/S/Home")).unwrap();
        let mut g = PathGuard::new(&d.join("out"));
        let bad = OutputPath::parse_recorded("S/Home/Child.md").unwrap();
        assert!(g.check(&bad).is_err());
        let ok = OutputPath::parse_recorded("S/Other/Child.md").unwrap();
        assert_eq!(g.check(&ok).unwrap(), d.join("out/S/Other/Child.md"));
        std::fs::remove_dir_all(&d).ok();
    }
}
