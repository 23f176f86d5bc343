//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use cme_convert::parse::{self, Kind, NodeId, Tree};
use cme_convert::{Context, Converted, Options as ConvertOptions};
use pulldown_cmark::{Event, Options, Parser, Tag};

/// `shared/` beside the repository (override with `CME_SHARED_DIR`).
pub fn shared_dir() -> PathBuf {
    std::env::var_os("CME_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// The corpus, or `None` after printing why the calling test skips.
pub fn corpus_or_skip() -> Option<Vec<(String, String)>> {
    let docs = corpus();
    if docs.is_none() {
        println!(
            "note: corpus not found under {}; skipping",
            shared_dir().display()
        );
    }
    docs
}

/// All corpus documents as (file name, content); `None` when absent.
pub fn corpus() -> Option<Vec<(String, String)>> {
    let dir = shared_dir().join("corpus/storage");
    let mut docs: Vec<(String, String)> = std::fs::read_dir(&dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            std::fs::read_to_string(e.path()).ok().map(|s| (name, s))
        })
        .collect();
    docs.sort();
    Some(docs)
}

/// Elements whose text is metadata, not something a reader sees.
const METADATA: &[&str] = &[
    "ac:parameter",
    "ac:default-parameter",
    "ac:placeholder",
    "ac:task-id",
    "ac:task-uuid",
    "ac:task-status",
    "ac:adf-attribute",
    "at:declarations",
    "colgroup",
];

/// Visible text of a storage body (iterative walk).
pub fn visible_text(storage: &str) -> String {
    let t = parse::parse(storage).tree;
    let mut out = String::new();
    let mut stack: Vec<NodeId> = vec![Tree::ROOT];
    while let Some(n) = stack.pop() {
        match t.kind(n) {
            Kind::Text(_) => {
                out.push_str(t.text(n).unwrap_or_default());
                out.push(' ');
            }
            Kind::Element { .. } => {
                let name = t.name(n);
                if METADATA.contains(&name) {
                    continue;
                }
                // The fallback duplicates the ADF node's content.
                if name == "ac:adf-fallback" {
                    continue;
                }
                // A hidden excerpt is shown only where it is included.
                if name == "ac:structured-macro"
                    && t.attr(n, "ac:name") == Some("excerpt")
                    && t.children(n).any(|c| {
                        t.name(c) == "ac:parameter"
                            && t.attr(c, "ac:name") == Some("hidden")
                            && t.text_content(c).trim().eq_ignore_ascii_case("true")
                    })
                {
                    continue;
                }
                stack.extend(t.children(n).collect::<Vec<_>>().into_iter().rev());
            }
            Kind::Root => stack.extend(t.children(n).collect::<Vec<_>>().into_iter().rev()),
        }
    }
    out
}

fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    parse::entities::decode(&out).into_owned()
}

/// Plain text of Markdown as a GFM reader sees it (HTML tags stripped).
pub fn markdown_text(md: &str) -> String {
    let mut out = String::new();
    let opts = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH;
    for ev in Parser::new_ext(md, opts) {
        match ev {
            Event::Text(t) | Event::Code(t) => {
                out.push_str(&t);
                out.push(' ');
            }
            Event::Html(h) | Event::InlineHtml(h) => out.push_str(&strip_tags(&h)),
            Event::Start(Tag::Link { dest_url, .. }) => {
                out.push(' ');
                out.push_str(&dest_url);
                out.push(' ');
            }
            Event::Start(_) | Event::End(_) => out.push(' '),
            Event::SoftBreak | Event::HardBreak => out.push(' '),
            _ => {}
        }
    }
    out
}

/// Words: maximal runs of alphanumeric characters.
pub fn words(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Words of `storage` missing from the Markdown's plain text.
pub fn lost_words(storage: &str, markdown: &str) -> Vec<String> {
    let have = words(&markdown_text(markdown));
    words(&visible_text(storage))
        .into_iter()
        .filter(|w| !have.contains(w))
        .collect()
}

/// `cme_convert::convert`, checked against the comrak reference writer: the
/// direct Markdown writer must render exactly as comrak's output does.
pub fn convert(storage: &str, ctx: &dyn Context, opts: &ConvertOptions) -> Converted {
    let out = cme_convert::convert(storage, ctx, opts);
    let reference = cme_convert::convert_via_comrak(storage, ctx, opts);
    assert_matches_comrak(storage, ctx, opts, &out.markdown, &reference.markdown);
    out
}

/// The direct writer against comrak's formatter: with comrak's escaping,
/// the same bytes (the writer's structure is comrak's); with its own, the
/// same rendering (it escapes only what would change it).
pub fn assert_matches_comrak(
    storage: &str,
    ctx: &dyn Context,
    opts: &ConvertOptions,
    direct: &str,
    reference: &str,
) {
    let port = cme_convert::convert_with_comrak_escapes(storage, ctx, opts);
    assert!(
        port.markdown == reference,
        "direct writer (comrak escapes) differs from comrak\nstorage: {storage:?}\ndirect:\n{}\ncomrak:\n{reference}",
        port.markdown
    );
    assert_same_rendering(direct, reference, storage);
}

/// Panics unless `direct` and `reference` render to the same HTML.
pub fn assert_same_rendering(direct: &str, reference: &str, storage: &str) {
    let (a, b) = (
        cme_convert::render_html(direct),
        cme_convert::render_html(reference),
    );
    assert!(
        a == b,
        "direct writer renders unlike comrak\nstorage: {storage:?}\ndirect:\n{direct}\ncomrak:\n{reference}\ndirect html:\n{a}\ncomrak html:\n{b}"
    );
}
