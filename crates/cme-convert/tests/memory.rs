//! Memory proportional to the page: converting a big generated body must
//! not allocate more than a few times its size at any moment. Counted by a
//! wrapper around the system allocator (this test binary only), so the
//! bound holds in bytes, not time. `benches/memory.rs` reports the figures
//! for 45 MB bodies.

#[path = "support/counting.rs"]
mod counting;

use counting::{CURRENT, PEAK, repeat as body};
use std::sync::atomic::Ordering;

use cme_convert::{OfflineContext, Options, convert};

/// Bytes allocated at the peak of one conversion, beyond what was live
/// before it, and the Markdown's length.
fn peak_of(storage: &str) -> (usize, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let out = convert(storage, &OfflineContext::default(), &Options::default());
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(base);
    (peak, out.markdown.len())
}

const SIZE: usize = 5_000_000;

/// One test function: the counters are global, and tests in a binary run
/// in parallel.
#[test]
fn peak_heap_stays_under_four_times_the_body() {
    let shapes = [
        (
            "paragraphs",
            body(
                "",
                "<p>Paragraph {} has <strong>bold</strong>, <em>emphasis</em> and <code>code</code> in it.</p>\n",
                "",
                SIZE,
            ),
        ),
        (
            "one paragraph",
            body(
                "<p>",
                "word{} and more text &amp; an entity, ",
                "</p>",
                SIZE,
            ),
        ),
        (
            "table",
            body(
                "<table><tbody><tr><th>Key</th><th>Value</th><th>Notes</th></tr>",
                "<tr><td>key {}</td><td><p>value</p></td><td>a | b *c*</td></tr>",
                "</tbody></table>",
                SIZE,
            ),
        ),
        (
            "table in a panel",
            body(
                r#"<ac:structured-macro ac:name="info"><ac:rich-text-body><table><tbody>"#,
                "<tr><td>key {}</td><td><a href=\"https://e.test/{}\">link</a></td></tr>",
                "</tbody></table></ac:rich-text-body></ac:structured-macro>",
                SIZE,
            ),
        ),
        (
            "nested lists and quotes",
            body(
                "",
                &format!(
                    "{}item {{}}{}",
                    "<ul><li><blockquote>".repeat(20),
                    "</blockquote></li></ul>".repeat(20)
                ),
                "",
                SIZE,
            ),
        ),
        (
            "list",
            body(
                "<ul>",
                "<li><p>item {} with <strong>bold</strong> text</p></li>",
                "</ul>",
                SIZE,
            ),
        ),
        (
            "paragraphs in a panel",
            body(
                r#"<ac:structured-macro ac:name="info"><ac:rich-text-body>"#,
                "<p>Paragraph {} has <strong>bold</strong> and <em>more</em>.</p>",
                "</ac:rich-text-body></ac:structured-macro>",
                SIZE,
            ),
        ),
        (
            "macros and links",
            body(
                "<ac:layout><ac:layout-section><ac:layout-cell>",
                concat!(
                    r#"<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[fn f{}() {}]]></ac:plain-text-body></ac:structured-macro>"#,
                    r#"<p>See <ac:link><ri:page ri:content-title="Page {}"/></ac:link>.</p>"#,
                    r#"<ac:structured-macro ac:name="expand"><ac:rich-text-body><p>Note {}</p></ac:rich-text-body></ac:structured-macro>"#,
                ),
                "</ac:layout-cell></ac:layout-section></ac:layout>",
                SIZE,
            ),
        ),
    ];
    let mut report = String::new();
    let mut over = Vec::new();
    for (name, storage) in &shapes {
        let (peak, md) = peak_of(storage);
        let ratio = peak as f64 / storage.len() as f64;
        report.push_str(&format!(
            "{name}: {} bytes in, {md} out, peak {peak} ({ratio:.2}x)\n",
            storage.len()
        ));
        // The Markdown must be there: a conversion that drops the page
        // would pass any bound.
        assert!(md > storage.len() / 20, "{name}: only {md} bytes out");
        if peak >= 4 * storage.len() {
            over.push(*name);
        }
    }
    println!("{report}");
    assert!(over.is_empty(), "over 4x the body: {over:?}\n{report}");
}
