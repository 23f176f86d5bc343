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

/// A hash as the state records it. The 32 lowercase hex digits every hash
/// cme makes are held as their 16 bytes (a 100,000-page state holds half a
/// million of them); anything else a state file says (another tool's, a
/// hand edit) is kept as written. Either way it is written back as the
/// same string, so a state loads and saves byte for byte.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum Digest {
    /// 32 lowercase hex digits, as bytes.
    Bytes([u8; 16]),
    /// Any other text, verbatim.
    Text(Box<str>),
}

impl Digest {
    /// The digest `s` writes.
    pub fn new(s: &str) -> Self {
        match canonical(s) {
            Some(b) => Digest::Bytes(b),
            None => Digest::Text(s.into()),
        }
    }
}

/// Whether a recorded digest says `now` (neither recorded nor now: the same).
pub fn same(recorded: Option<&Digest>, now: Option<&str>) -> bool {
    match (recorded, now) {
        (Some(r), Some(n)) => *r == *n,
        (None, None) => true,
        _ => false,
    }
}

/// The bytes of 32 lowercase hex digits (only that form: it is the one
/// that prints back the same).
fn canonical(s: &str) -> Option<[u8; 16]> {
    if s.len() != 32 || !s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    u128::from_str_radix(s, 16).ok().map(u128::to_be_bytes)
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Digest::Bytes(b) => write!(f, "{:032x}", u128::from_be_bytes(*b)),
            Digest::Text(t) => f.write_str(t),
        }
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.to_string(), f)
    }
}

impl From<String> for Digest {
    fn from(s: String) -> Self {
        match canonical(&s) {
            Some(b) => Digest::Bytes(b),
            None => Digest::Text(s.into_boxed_str()),
        }
    }
}

impl From<&str> for Digest {
    fn from(s: &str) -> Self {
        Digest::new(s)
    }
}

impl PartialEq<str> for Digest {
    fn eq(&self, other: &str) -> bool {
        match self {
            Digest::Bytes(b) => canonical(other) == Some(*b),
            Digest::Text(t) => **t == *other,
        }
    }
}

impl PartialEq<String> for Digest {
    fn eq(&self, other: &String) -> bool {
        *self == **other
    }
}

impl PartialEq<&str> for Digest {
    fn eq(&self, other: &&str) -> bool {
        *self == **other
    }
}

impl serde::Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Digest;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a hash (a string)")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Digest, E> {
                Ok(Digest::new(s))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Digest, E> {
                Ok(Digest::from(s))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_writes_back_what_it_read() {
        let hex = content_hash(b"x");
        for text in [
            hex.as_str(),
            "00000000000000000000000000000000",
            "0123456789abcdef0123456789abcdef",
            // Not the canonical form: kept as text.
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcde",
            "+123456789abcdef0123456789abcdef",
            "",
            "h",
            "été",
        ] {
            let json = serde_json::to_string(text).unwrap();
            let d: Digest = serde_json::from_str(&json).unwrap();
            assert_eq!(serde_json::to_string(&d).unwrap(), json, "{text}");
            assert_eq!(d, Digest::from(text.to_owned()));
            assert_eq!(d.to_string(), text);
            let owned: String = text.to_owned();
            assert!(d == text && d == owned, "{text}");
        }
        assert!(matches!(Digest::new(&hex), Digest::Bytes(_)));
        assert!(matches!(
            Digest::new("0123456789ABCDEF0123456789abcdef"),
            Digest::Text(_)
        ));
        assert!(Digest::new(&hex) != "0123456789abcdef0123456789abcdef");
        assert!(Digest::new("x") != "y");
        // A number where a hash belongs is an error, not a panic.
        assert!(serde_json::from_str::<Digest>("12").is_err());
    }

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
