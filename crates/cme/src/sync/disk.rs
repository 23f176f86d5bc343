//! The only code that removes files. Every removal goes through the output
//! folder's handle ([`OutDir`]), so a link planted inside the folder is
//! left alone and reported, never followed.
use super::outcome::{Failure, Outcome};
use crate::export::paths::OutputPath;
use crate::outdir::OutDir;
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

/// Hash of a written file, to tell local edits later.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}
