//! The only code that removes files. Every removal goes through the output
//! folder's handle ([`OutDir`]), so a link planted inside the folder is
//! left alone and reported, never followed.
use crate::fs::outdir::OutDir;
use crate::fs::paths::OutputPath;
use crate::sync::outcome::{Failure, Outcome};
use anyhow::Result;

/// Removes one file we wrote, then the folders its removal left empty (up
/// to, never including, the output folder). A file already gone is fine.
/// A link at the file or on the way fails this item only (reported in
/// `out`); returns whether the file is gone.
pub fn remove_file(dir: &OutDir, path: &OutputPath, out: &mut Outcome) -> Result<bool> {
    match dir.remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.is_symlink() => {
            out.failures.push(Failure {
                path: path.to_string(),
                reason: e.to_string(),
            });
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
