//! The page title, written once. With [`Options::title`](crate::Options)
//! the converter opens the document with `# Title`; many pages already open
//! with an `h1` equal to their title, which would then read twice. The rule
//! lives here, next to the heading it protects, so a conversion on its own
//! (`cme convert --title`) and an export give the same Markdown.

/// Drops the first line of `md` when it is a level-1 heading and the next
/// block is the very same line (the page's own `h1` repeating the title
/// heading written before it). The body's copy is the one kept, so only the
/// first line and the blank line after it go.
///
/// Only [`convert`](super::convert) calls it, and only when it wrote the
/// title heading. Same rule, byte for byte, as the exporter's former
/// post-processing step (`drop_repeated_title` in `cme`'s `sync/pages.rs`).
pub(crate) fn drop_repeated(md: &mut String) {
    let Some(first) = md.lines().next() else {
        return;
    };
    if first.starts_with("# ") && md[first.len()..].starts_with(&format!("\n\n{first}\n")) {
        md.drain(..first.len() + 2);
    }
}

#[cfg(test)]
mod tests {
    use super::drop_repeated;
    use crate::{OfflineContext, Options, convert};

    /// Ported from `cme`'s `a_title_repeated_by_the_body_is_written_once`.
    #[test]
    fn a_title_repeated_by_the_body_is_written_once() {
        let mut md = "# Setup\n\n# Setup\n\nText\n".to_owned();
        drop_repeated(&mut md);
        assert_eq!(md, "# Setup\n\nText\n");
        let mut other = "# Setup\n\n# Setup guide\n\nText\n".to_owned();
        drop_repeated(&mut other);
        assert_eq!(other, "# Setup\n\n# Setup guide\n\nText\n");
    }

    #[test]
    fn only_an_exact_repeat_of_the_first_line_goes() {
        for (md, want) in [
            ("", ""),
            ("# A\n", "# A\n"),
            ("# A\n\n# A", "# A\n\n# A"),
            ("# A\n\n# A\n", "# A\n"),
            ("# A\n\n## A\n", "# A\n\n## A\n"),
            ("# A\n# A\n", "# A\n# A\n"),
            ("## A\n\n## A\n", "## A\n\n## A\n"),
            ("# A\n\n# A\n\n# A\n", "# A\n\n# A\n"),
        ] {
            let mut got = md.to_owned();
            drop_repeated(&mut got);
            assert_eq!(got, want, "{md:?}");
        }
    }

    fn titled(storage: &str, title: Option<&str>) -> String {
        let opts = Options {
            title: title.map(str::to_owned),
            ..Options::default()
        };
        convert(storage, &OfflineContext::default(), &opts).markdown
    }

    #[test]
    fn the_converter_writes_a_repeated_title_once() {
        assert_eq!(
            titled("<h1>Setup</h1><p>Text</p>", Some("Setup")),
            "# Setup\n\nText\n"
        );
        // Escaped alike, so still the same line.
        assert_eq!(
            titled("<h1>a *b* [c]</h1><p>x</p>", Some("a *b* [c]")),
            "# a \\*b\\* \\[c\\]\n\nx\n"
        );
        // Not the same line: both stay.
        assert_eq!(
            titled("<h1>a <em>b</em></h1>", Some("a *b*")),
            "# a \\*b\\*\n\n# a *b*\n"
        );
        assert_eq!(
            titled("<h1>Setup guide</h1>", Some("Setup")),
            "# Setup\n\n# Setup guide\n"
        );
        assert_eq!(
            titled("<h2>Setup</h2>", Some("Setup")),
            "# Setup\n\n## Setup\n"
        );
        // Without a title heading nothing is dropped.
        assert_eq!(titled("<h1>A</h1><h1>A</h1>", None), "# A\n\n# A\n");
    }

    #[test]
    fn the_headings_found_are_unchanged() {
        let opts = Options {
            title: Some("Setup".into()),
            ..Options::default()
        };
        let out = convert("<h1>Setup</h1>", &OfflineContext::default(), &opts);
        let anchors: Vec<_> = out.headings.iter().map(|h| h.anchor.as_str()).collect();
        assert_eq!(anchors, ["setup", "setup-1"]);
    }
}
