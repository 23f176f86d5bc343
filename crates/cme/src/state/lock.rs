//! One run per output folder. The lock is an advisory `flock` on
//! `.cme-state.lock`, which the kernel releases when the process dies, so a
//! lock left by a killed run is simply taken over. The file holds the
//! holder's pid, for the message a second run prints.
use crate::fs::outdir::OutDir;
use crate::fs::paths::OutputPath;
use anyhow::{Context as _, Result, bail};
use std::fs::File;
use std::io::{Read as _, Seek as _, Write as _};
use std::path::Path;

/// File name of the lock inside the output folder.
pub const LOCK_FILE: &str = ".cme-state.lock";

/// Held for the whole run; released on drop (or by the kernel on death).
#[derive(Debug)]
pub struct FolderLock {
    dir: OutDir,
    _file: File,
}

impl FolderLock {
    /// Takes the lock of the folder at `output`; see [`Self::acquire_in`].
    pub fn acquire(output: &Path) -> Result<Self> {
        Self::acquire_in(&OutDir::open(output)?)
    }

    /// Takes the lock of `dir`, or fails at once naming the holder.
    pub fn acquire_in(dir: &OutDir) -> Result<Self> {
        let mut file = dir
            .open_rw(&lock_path())
            .context("cannot create the lock")?;
        if !try_lock(&file)? {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            bail!(
                "another cme run is working on `{}`{}; wait for it to finish",
                dir.path().display(),
                if holder.is_empty() {
                    String::new()
                } else {
                    format!(" (process {holder})")
                }
            );
        }
        file.set_len(0)?;
        file.rewind()?;
        write!(file, "{}", std::process::id())?;
        Ok(Self {
            dir: dir.clone(),
            _file: file,
        })
    }
}

fn lock_path() -> OutputPath {
    OutputPath::from_components(&[LOCK_FILE])
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Removed while still held, so no other run can hold this inode.
        let _ = self.dir.remove_file(&lock_path());
    }
}

#[cfg(unix)]
fn try_lock(f: &File) -> Result<bool> {
    use std::os::fd::AsRawFd as _;
    // SAFETY: flock only reads the descriptor, which `f` keeps open.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    if err.kind() == std::io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(err).context("cannot lock the output folder")
    }
}

#[cfg(not(unix))]
fn try_lock(_f: &File) -> Result<bool> {
    // Elsewhere the lock file's existence is all we have; the pid inside
    // tells the user whom to wait for.
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_fails_and_the_first_is_released_on_drop() {
        let d = std::env::temp_dir().join(format!("cme-lock-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let first = FolderLock::acquire(&d).unwrap();
        let err = FolderLock::acquire(&d).unwrap_err().to_string();
        assert!(err.contains("another cme run"), "{err}");
        assert!(err.contains(&std::process::id().to_string()), "{err}");
        drop(first);
        assert!(!d.join(LOCK_FILE).exists());
        let again = FolderLock::acquire(&d).unwrap();
        drop(again);
        std::fs::remove_dir_all(&d).ok();
    }
}
