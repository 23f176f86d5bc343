//! Identifier newtypes, so a page id can never be passed where a space id is meant.
use serde::{Deserialize, Serialize};
use std::fmt;

/// An id's text, held inline when it is short (every id Confluence
/// issues is: decimal ids, short keys): a sync holds about ten copies of
/// each page's id, and a heap block for each was a tenth of its memory.
/// Always inline up to [`INLINE`] bytes, so equal ids have equal bytes.
#[derive(Clone, PartialEq, Eq)]
enum IdText {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

/// The longest id held inline: the enum is then as small as a `String`.
const INLINE: usize = 22;

impl IdText {
    fn new(s: String) -> Self {
        if s.len() <= INLINE {
            Self::inline(&s)
        } else {
            IdText::Heap(s.into_boxed_str())
        }
    }

    fn from_str(s: &str) -> Self {
        if s.len() <= INLINE {
            Self::inline(s)
        } else {
            IdText::Heap(s.into())
        }
    }

    fn inline(s: &str) -> Self {
        let mut buf = [0; INLINE];
        buf[..s.len()].copy_from_slice(s.as_bytes());
        IdText::Inline {
            len: s.len() as u8,
            buf,
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            IdText::Inline { len, buf } => &buf[..usize::from(*len)],
            IdText::Heap(s) => s.as_bytes(),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // Only ever copied from a `String`, so always UTF-8.
            IdText::Inline { .. } => std::str::from_utf8(self.bytes()).unwrap_or_default(),
            IdText::Heap(s) => s,
        }
    }
}

/// Ordered and hashed as the text is, so maps keyed by ids (and the state
/// file they are saved from) keep the order they had as `String`s.
impl Ord for IdText {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.bytes().cmp(other.bytes())
    }
}

impl PartialOrd for IdText {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::hash::Hash for IdText {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// Reads an id from a JSON string without allocating for a short one.
struct IdVisitor;

impl serde::de::Visitor<'_> for IdVisitor {
    type Value = IdText;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IdText, E> {
        Ok(IdText::from_str(v))
    }
    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<IdText, E> {
        Ok(IdText::new(v))
    }
    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<IdText, E> {
        std::str::from_utf8(v)
            .map(IdText::from_str)
            .map_err(|_| E::invalid_value(serde::de::Unexpected::Bytes(v), &self))
    }
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(IdText);

        impl $name {
            /// Wraps an id as Confluence spells it.
            pub fn new(id: impl Into<String>) -> Self {
                Self(IdText::new(id.into()))
            }
            /// The id as Confluence spells it.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        /// As the `String` it was: the text, quoted.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_tuple(stringify!($name)).field(&self.as_str()).finish()
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_string(IdVisitor).map(Self)
            }
        }
    };
}

string_id!(
    /// A page's content id (a decimal string in every API).
    PageId
);
string_id!(
    /// A space's numeric id (v2 only; v1 names spaces by key).
    SpaceId
);
string_id!(
    /// A space key such as `DEMO`.
    SpaceKey
);
string_id!(
    /// An attachment id such as `att123`.
    AttachmentId
);

/// A page version number: monotonically increasing per page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(pub u64);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_as_small_as_a_string_and_behave_like_one() {
        assert_eq!(std::mem::size_of::<PageId>(), std::mem::size_of::<String>());
        assert_eq!(
            std::mem::size_of::<Option<PageId>>(),
            std::mem::size_of::<String>()
        );
        let texts = [
            "",
            "1",
            "10",
            "9",
            "1000000",
            "a\u{e9}b",
            &"7".repeat(22),
            &"7".repeat(23),
            &"8".repeat(40),
        ];
        for a in texts {
            let id = PageId::new(a);
            assert_eq!(id.as_str(), a);
            assert_eq!(format!("{id:?}"), format!("PageId({a:?})"));
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, serde_json::to_string(a).unwrap());
            assert_eq!(serde_json::from_str::<PageId>(&json).unwrap(), id);
            let hash = |v: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
                let mut h = std::collections::hash_map::DefaultHasher::new();
                v(&mut h);
                std::hash::Hasher::finish(&h)
            };
            assert_eq!(
                hash(&|h| std::hash::Hash::hash(&id, h)),
                hash(&|h| std::hash::Hash::hash(a, h))
            );
            for b in texts {
                assert_eq!(PageId::new(a).cmp(&PageId::new(b)), a.cmp(b), "{a} {b}");
                assert_eq!(PageId::new(a) == PageId::new(b), a == b);
            }
        }
    }
}
