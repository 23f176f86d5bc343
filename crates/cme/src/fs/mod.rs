//! The output folder, and nothing above it: the only handle that changes it
//! ([`outdir`]), the relative paths that can never leave it ([`paths`]), and
//! the hashes of what we wrote there ([`hash`]). Every other layer builds on
//! these; they know nothing of Confluence, the state or the sync.
pub mod hash;
pub mod outdir;
pub mod paths;
