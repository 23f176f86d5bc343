//! Where a page's `#anchor` links can land: anchor macro names and the slugs
//! its headings get. Found before rendering (a link may come before the
//! heading), and for other pages from their storage alone, so a link to a
//! section of another exported page keeps its `#fragment` exactly when the
//! written file has it.
use std::collections::{HashMap, HashSet};

use comrak::Anchorizer;

use super::macros;
use crate::parse::{NodeId, Tree};

/// One page's link targets.
#[derive(Debug, Default)]
pub(crate) struct Anchors {
    /// Names defined by anchor macros.
    names: HashSet<String>,
    /// The slugs headings get, as GitHub computes them (title first).
    slugs: HashSet<String>,
    /// Heading text with whitespace removed → its slug: Confluence's own
    /// anchors (`Title-HeadingText`) are spelled so.
    squashed: HashMap<String, String>,
    /// The page title, whose squashed form prefixes Confluence's anchors.
    title: Option<String>,
}

impl Anchors {
    /// The anchors of the page `t` with `title`, and whether anything on
    /// the page waits for the rest of it (a toc, an include).
    pub(crate) fn scan(t: &Tree, title: Option<&str>) -> (Self, bool) {
        let mut out = Anchors {
            title: title.map(str::to_owned),
            ..Anchors::default()
        };
        let mut waits = false;
        // Mirrors how headings are anchored while rendering: the title first,
        // then every heading in document order.
        let mut slugs = Anchorizer::new();
        if let Some(title) = title.filter(|t| !t.is_empty()) {
            out.slugs.insert(slugs.anchorize(title));
        }
        for i in 0..t.len() as NodeId {
            let name = t.name(i);
            if matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
                let text = crate::render::inline::collapse(&t.text_content(i));
                let slug = slugs.anchorize(text.trim());
                let squashed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                out.squashed.entry(squashed).or_insert_with(|| slug.clone());
                out.slugs.insert(slug);
                continue;
            }
            if name != "ac:structured-macro" && name != "ac:macro" {
                continue;
            }
            let m = t.attr(i, "ac:name").unwrap_or("");
            if name == "ac:structured-macro" && m == "anchor" {
                let p = macros::Params::of(t, i);
                if let Some(a) = p.text(t, "") {
                    out.names.insert(a);
                }
            }
            waits |= ["toc", "toc-zone", "include", "excerpt-include"]
                .iter()
                .any(|w| m.eq_ignore_ascii_case(w));
        }
        (out, waits)
    }

    /// The title Confluence's `Title-Heading` anchors start with.
    pub(crate) fn set_title(&mut self, title: Option<String>) {
        self.title = title;
    }

    /// A Confluence anchor as it exists in the written Markdown (encoded
    /// for a link): an anchor macro's name or a heading's slug; `None` when
    /// the page has no such anchor.
    pub(crate) fn resolve(&self, anchor: &str) -> Option<String> {
        if self.names.contains(anchor) {
            return Some(crate::url::encode_component(anchor));
        }
        let mut tries = vec![anchor];
        // Old links are `PageTitle-HeadingText` with spaces removed.
        if let Some(t) = &self.title {
            let prefix: String = t.chars().filter(|c| !c.is_whitespace()).collect();
            if let Some(rest) = anchor.strip_prefix(&format!("{prefix}-")) {
                tries.insert(0, rest);
            }
        }
        tries.into_iter().find_map(|a| {
            if self.names.contains(a) {
                return Some(crate::url::encode_component(a));
            }
            if let Some(slug) = self.squashed.get(a) {
                return Some(crate::url::encode_fragment(slug));
            }
            let slug = Anchorizer::new().anchorize(a);
            self.slugs
                .contains(&slug)
                .then(|| crate::url::encode_fragment(&slug))
        })
    }
}
