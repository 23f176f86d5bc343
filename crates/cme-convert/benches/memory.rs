//! Peak heap of one conversion, relative to the size of the body, for big
//! generated bodies of several shapes.
//! `cargo bench -p cme-convert --bench memory` (`CME_MEMORY_MB=45` sets
//! the body size; `CME_MEMORY_SHAPE=table` runs one shape).
//!
//! The heap is counted by a wrapper around the system allocator that keeps
//! the bytes currently allocated and their high-water mark; the input
//! itself is allocated before the mark is reset, so "peak" is what the
//! conversion adds on top of the body it was given.

#[path = "../tests/support/counting.rs"]
mod counting;

use counting::{CURRENT, PEAK, repeat};
use std::hint::black_box;
use std::sync::atomic::Ordering;
use std::time::Instant;

use cme_convert::{OfflineContext, Options, convert, parse};

/// The shapes: name and body of about `size` bytes.
fn shapes(size: usize) -> Vec<(&'static str, String)> {
    vec![
        (
            "one paragraph",
            repeat(
                "<p>",
                "word{} with some more text &amp; an entity, ",
                "</p>",
                size,
            ),
        ),
        (
            "paragraphs",
            repeat(
                "",
                "<p>Paragraph {} has <strong>bold</strong>, <em>emphasis</em> and <code>code</code> in it.</p>\n",
                "",
                size,
            ),
        ),
        (
            "table",
            repeat(
                "<table><tbody><tr><th>Key</th><th>Value</th><th>Notes</th></tr>",
                "<tr><td>key {}</td><td><p>value</p></td><td>a | b *c*</td></tr>",
                "</tbody></table>",
                size,
            ),
        ),
        (
            "nesting",
            // 40 levels of lists and quotes, over and over (the parser
            // flattens beyond 100).
            repeat(
                "",
                &format!(
                    "{}item {{}}{}",
                    "<ul><li><blockquote>".repeat(20),
                    "</blockquote></li></ul>".repeat(20)
                ),
                "",
                size,
            ),
        ),
        (
            "deep 100k",
            // One opener after another, never closed.
            repeat("", "<div>x{} ", "", size),
        ),
        (
            "list",
            repeat(
                "<ul>",
                "<li><p>item {} with <strong>bold</strong> text</p></li>",
                "</ul>",
                size,
            ),
        ),
        (
            "expand",
            repeat(
                r#"<ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">All</ac:parameter><ac:rich-text-body>"#,
                "<p>Paragraph {} has <strong>bold</strong> and <a href=\"https://e.test/{}\">a link</a>.</p>",
                "</ac:rich-text-body></ac:structured-macro>",
                size,
            ),
        ),
        (
            "panel",
            repeat(
                r#"<ac:structured-macro ac:name="info"><ac:rich-text-body>"#,
                "<p>Paragraph {} has <strong>bold</strong> and <a href=\"https://e.test/{}\">a link</a>.</p>",
                "</ac:rich-text-body></ac:structured-macro>",
                size,
            ),
        ),
        (
            "code block",
            repeat(
                r#"<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA["#,
                "line {} of a log: GET /x?y=1 200 <ok> & done\n",
                "]]></ac:plain-text-body></ac:structured-macro>",
                size,
            ),
        ),
        (
            "macros",
            repeat(
                "",
                concat!(
                    r#"<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">rust</ac:parameter>"#,
                    r#"<ac:plain-text-body><![CDATA[fn f{}() -> u32 { 1 }]]></ac:plain-text-body></ac:structured-macro>"#,
                    r#"<p>See <ac:link><ri:page ri:content-title="Page {}"/></ac:link> and "#,
                    r#"<a href="https://example.com/{}">a link</a>.</p>"#,
                    r#"<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Note {}</p></ac:rich-text-body></ac:structured-macro>"#,
                    "\n"
                ),
                "",
                size,
            ),
        ),
    ]
}

fn main() {
    let mb = std::env::var("CME_MEMORY_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(45);
    let only = std::env::var("CME_MEMORY_SHAPE").ok();
    let ctx = OfflineContext::default();
    let opts = Options::default();
    println!(
        "{:<14} {:>9} {:>9} {:>10} {:>8} {:>10} {:>9}",
        "shape", "input MB", "parse MB", "peak MB", "peak/in", "output MB", "seconds"
    );
    for (name, body) in shapes(mb * 1_000_000) {
        if only.as_deref().is_some_and(|o| !name.starts_with(o)) {
            continue;
        }
        let base = CURRENT.load(Ordering::Relaxed);
        PEAK.store(base, Ordering::Relaxed);
        // The parse tree alone (built again inside `convert`).
        drop(black_box(parse::parse(&body)));
        let parse_peak = PEAK.load(Ordering::Relaxed) - base;
        PEAK.store(base, Ordering::Relaxed);
        let start = Instant::now();
        let out = convert(black_box(&body), &ctx, &opts);
        let secs = start.elapsed().as_secs_f64();
        let peak = PEAK.load(Ordering::Relaxed) - base;
        println!(
            "{:<14} {:>9.1} {:>9.1} {:>10.1} {:>8.2} {:>10.1} {:>9.2}",
            name,
            body.len() as f64 / 1e6,
            parse_peak as f64 / 1e6,
            peak as f64 / 1e6,
            peak as f64 / body.len() as f64,
            out.markdown.len() as f64 / 1e6,
            secs
        );
        drop(out);
    }
}
