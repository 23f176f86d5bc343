//! Hashes of bytes we wrote or answers we recorded: stable across runs and
//! platforms, so a hash in the state means the same thing next year.

/// Hash of a written file, to tell local edits later.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}
