//! Identifier newtypes, so a page id can never be passed where a space id is meant.
use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id as Confluence spells it.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
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
