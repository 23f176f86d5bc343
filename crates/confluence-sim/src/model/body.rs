//! Page bodies: stored text, or generated on demand from a seed so a
//! 100,000-page synthetic site does not hold 100,000 bodies in memory.

use std::sync::Arc;

/// Seed that (with the site's generator) determines a generated body.
pub type GenBody = u64;

#[derive(Clone, Debug)]
pub enum Body {
    /// Storage-format XHTML held in memory (demo, `--site`, control API edits).
    Stored(Arc<str>),
    /// Regenerated from this seed by `site::generate` each time it is needed.
    Generated(GenBody),
}

impl Body {
    pub fn stored(s: impl Into<Arc<str>>) -> Body {
        Body::Stored(s.into())
    }
}
