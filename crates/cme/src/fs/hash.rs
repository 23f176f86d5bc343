//! Hashes of bytes we wrote or answers we recorded: stable across runs and
//! platforms, so a hash in the state means the same thing next year.

/// Hash of a written file, to tell local edits later.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// [`content_hash`] of bytes that arrive in pieces (a download).
#[derive(Default)]
pub struct ContentHasher(xxhash_rust::xxh3::Xxh3);

impl ContentHasher {
    /// Adds the next piece.
    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    /// Forgets everything added (the download starts over).
    pub fn reset(&mut self) {
        self.0.reset();
    }

    /// The hash of everything added, as [`content_hash`] gives it.
    pub fn finish(&self) -> String {
        format!("{:032x}", self.0.digest128())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_hash_like_the_whole() {
        let mut h = ContentHasher::default();
        h.update(b"thrown ");
        h.reset();
        h.update(b"hello, ");
        h.update(b"world");
        assert_eq!(h.finish(), content_hash(b"hello, world"));
    }
}

/// [`content_hash`] of everything `r` yields, read in pieces: files of any
/// size hash in constant memory.
pub fn content_hash_of(mut r: impl std::io::Read) -> std::io::Result<String> {
    let mut h = ContentHasher::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return Ok(h.finish()),
            Ok(n) => h.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod streamed {
    use super::*;

    #[test]
    fn the_streamed_hash_is_the_hash_of_the_bytes() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert_eq!(content_hash_of(&bytes[..]).unwrap(), content_hash(&bytes));
        assert_eq!(content_hash_of(&b""[..]).unwrap(), content_hash(b""));
    }
}
