//! Identifier newtypes, so a page id can never be passed where a space id is meant.
use serde::{Deserialize, Serialize};
use smol_str::SmolStr;
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        ///
        /// Held inline up to 23 bytes (every id Confluence issues is that
        /// short): a sync holds about ten copies of each page's id, and a
        /// heap block for each was a tenth of its memory. Ordered, hashed,
        /// shown and saved as the text.
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(SmolStr);

        impl $name {
            /// Wraps an id as Confluence spells it.
            pub fn new(id: impl AsRef<str>) -> Self {
                Self(SmolStr::new(id))
            }
            /// The id as Confluence spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
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
