//! Hostile input: 100,000 levels of nesting (also through includes), long
//! titles full of control characters, huge and numerous attributes. None
//! may panic or overflow the default 2 MiB test-thread stack, and the text
//! must survive.

mod common;

use cme_convert::{
    ContentId, Context, CurrentPage, OfflineContext, Options, PageRef, SpaceKey, parse,
};
use common::convert;
use proptest::prelude::*;

fn run(s: &str) -> String {
    convert(s, &OfflineContext::default(), &Options::default()).markdown
}

#[test]
fn hundred_thousand_levels_keep_their_text() {
    let n = 100_000;
    for (open, close) in [
        ("<div>", "</div>"),
        ("<blockquote>", "</blockquote>"),
        ("<ul><li>", "</li></ul>"),
        ("<em><strong>", "</strong></em>"),
        ("<table><tr><td>", "</td></tr></table>"),
        (
            r#"<ac:structured-macro ac:name="panel"><ac:rich-text-body>"#,
            "</ac:rich-text-body></ac:structured-macro>",
        ),
        (
            r#"<ac:adf-extension><ac:adf-node type="panel"><ac:adf-content>"#,
            "</ac:adf-content></ac:adf-node></ac:adf-extension>",
        ),
        ("<a href=\"x\">", "</a>"),
        // Never closed.
        ("<ol><li><p>", ""),
        // Closed by the wrong tags.
        ("<section>", "</div>"),
    ] {
        let s = format!("{}deep text{}", open.repeat(n), close.repeat(n));
        let md = run(&s);
        assert!(md.contains("deep text"), "{open}: text lost");
        assert!(
            md.len() < s.len(),
            "{open}: {} bytes from {}",
            md.len(),
            s.len()
        );
    }
}

/// Every included page is nested almost as deep as the parser allows
/// (90 of 100 levels), and includes the next at the bottom: the render and
/// the writer recurse through all of them at once.
struct DeepIncludes;

impl Context for DeepIncludes {
    fn page_body(&self, page: &PageRef) -> Option<String> {
        let PageRef::Id(ContentId(id)) = page else {
            return None;
        };
        let next: u32 = id.parse().ok()?;
        let include = format!(
            r#"<ac:structured-macro ac:name="include"><ac:parameter ac:name=""><ac:link><ri:content-entity ri:content-id="{}"/></ac:link></ac:parameter></ac:structured-macro>"#,
            next + 1
        );
        let open = "<blockquote><ul><li>".repeat(30);
        let close = "</li></ul></blockquote>".repeat(30);
        Some(format!("{open}page {next}{include}{close}"))
    }
}

#[test]
fn includes_of_deeply_nested_pages_do_not_overflow() {
    let ctx = DeepIncludes;
    let s = ctx
        .page_body(&PageRef::Id(ContentId("1".into())))
        .unwrap_or_default();
    let out = convert(&s, &ctx, &Options::default());
    assert!(out.markdown.contains("page 1"));
    // Includes go four deep.
    for page in 2..=5 {
        assert!(
            out.markdown.contains(&format!("page {page}")),
            "page {page}"
        );
    }
}

/// A 500-character title of every control character, as the page's own
/// title, a heading, a link target and text.
#[test]
fn long_titles_with_control_characters() {
    let controls: String = (0u32..0x20)
        .chain(0x7f..0xa0)
        .chain([0x2028, 0x2029, 0xfeff, 0x200b])
        .filter_map(char::from_u32)
        .collect();
    let title: String = format!("Title {controls} end")
        .chars()
        .cycle()
        .take(500)
        .collect();
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('"', "&quot;")
        .chars()
        // XML allows no raw NUL; pages may still carry one.
        .collect::<String>();
    let storage = format!(
        r#"<h1>{escaped}</h1><p><ac:link><ri:page ri:content-title="{escaped}" ri:space-key="{escaped}"/><ac:plain-text-link-body><![CDATA[{title}]]></ac:plain-text-link-body></ac:link></p><p><a href="{escaped}" title="{escaped}">{escaped}</a><img src="{escaped}" alt="{escaped}"/></p><ac:structured-macro ac:name="code"><ac:parameter ac:name="language">{escaped}</ac:parameter><ac:parameter ac:name="title">{escaped}</ac:parameter><ac:plain-text-body><![CDATA[{title}]]></ac:plain-text-body></ac:structured-macro><ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">{escaped}</ac:parameter><ac:rich-text-body><p>x</p></ac:rich-text-body></ac:structured-macro><ac:structured-macro ac:name="anchor"><ac:parameter ac:name="">{escaped}</ac:parameter></ac:structured-macro><ac:structured-macro ac:name="toc"/>"#
    );
    struct Current(String);
    impl Context for Current {
        fn current_page(&self) -> Option<CurrentPage> {
            Some(CurrentPage {
                title: self.0.clone(),
                space: Some(SpaceKey(self.0.clone())),
                id: None,
            })
        }
    }
    let opts = Options {
        title: Some(title.clone()),
        ..Options::default()
    };
    for ctx in [
        &Current(title.clone()) as &dyn Context,
        &OfflineContext::default(),
    ] {
        let out = convert(&storage, ctx, &opts);
        let first = out.markdown.lines().next().unwrap_or_default();
        assert!(first.starts_with("# Title"), "{first:?}");
        assert!(first.ends_with("end") || first.contains("end"), "{first:?}");
        // The title stays one heading line: no control character survives
        // into it raw.
        assert!(!first.chars().any(|c| c.is_control()), "{first:?}");
        assert!(!out.headings.is_empty());
    }
}

#[test]
fn huge_attributes_and_many_of_them() {
    let big = "v".repeat(8 << 20);
    let md = run(&format!(
        r#"<p><a href="https://e.test/{big}">link</a> after</p><p><ac:link><ri:page ri:content-title="{big}"/></ac:link></p><ac:structured-macro ac:name="{big}"><ac:rich-text-body><p>body</p></ac:rich-text-body></ac:structured-macro>"#
    ));
    assert!(md.contains("after"));
    assert!(md.contains("body"));
    // A huge name is no name: the markup is text, kept.
    let name = "n".repeat(1 << 20);
    let md = run(&format!("<{name} x=\"1\">inside</{name}><p>next</p>"));
    assert!(md.contains("inside") && md.contains("next"));
    // 200,000 attributes on one element.
    let attrs: String = (0..200_000).map(|i| format!(" a{i}=\"{i}\"")).collect();
    let md = run(&format!("<p{attrs}>text</p><p>more</p>"));
    assert!(md.contains("text") && md.contains("more"));
    // A quote left open across megabytes of markup.
    let md = run(&format!("<a href=\"{}", "<p>x</p>".repeat(200_000)));
    assert!(md.contains('x'));
}

/// Texts made of what breaks things: control characters, lone surrogates'
/// replacements, markup characters, long runs.
fn hostile_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[\u{0}-\u{1f}\u{7f}-\u{9f}]{1,20}",
        "[\u{2028}\u{2029}\u{feff}\u{200b}\u{fffd}]{1,10}",
        "[<>&\"'`*_|#!\\[\\]()~-]{1,20}",
        "&[a-zA-Z#0-9]{0,45};?",
        "[a-z]{1,8}".prop_map(|w| w.repeat(64)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Control characters and markup characters in text, attributes and
    /// titles: no panic, one heading line, and the same bytes as comrak.
    #[test]
    fn control_characters_anywhere(
        parts in prop::collection::vec(hostile_text(), 1..6),
        title in hostile_text(),
    ) {
        let t = parts.concat();
        let attr = t.replace('&', "&amp;").replace('<', "&lt;").replace('"', "&quot;");
        let storage = format!(
            r#"<h2>{t}</h2><p>{t}<a href="{attr}" title="{attr}">{t}</a></p><table><tr><td>{t}</td></tr></table><ac:link><ri:page ri:content-title="{attr}"/></ac:link><ac:structured-macro ac:name="code"><ac:parameter ac:name="language">{t}</ac:parameter><ac:plain-text-body><![CDATA[{t}]]></ac:plain-text-body></ac:structured-macro>"#
        );
        let opts = Options { title: Some(title.clone()), ..Options::default() };
        let out = convert(&storage, &OfflineContext::default(), &opts);
        if let Some(first) = out.markdown.lines().next().filter(|l| l.starts_with("# ")) {
            prop_assert!(!first.chars().any(|c| c == '\n' || c == '\r'));
        }
        // Parsing alone agrees on what the tree holds.
        let tree = parse::parse(&storage).tree;
        prop_assert!(tree.len() > 1);
    }
}

/// 100,000 identical warnings are one entry counted 100,000 times; past
/// 1,000 different ones the rest are counted, not listed, and not lost.
#[test]
fn warning_floods_are_grouped_and_counted() {
    let out = convert(
        &"<p><a href=\"#nowhere\">x</a></p>".repeat(100_000),
        &OfflineContext::default(),
        &Options::default(),
    );
    assert_eq!(
        out.warnings.len(),
        1,
        "{:?}",
        &out.warnings[..3.min(out.warnings.len())]
    );
    assert_eq!(out.warnings[0].count, 100_000);
    let storage: String = (0..3000)
        .map(|i| format!("<p><a href=\"#nowhere{i}\">x</a><a href=\"#nowhere{i}\">y</a></p>"))
        .collect();
    let out = convert(&storage, &OfflineContext::default(), &Options::default());
    assert_eq!(out.warnings.len(), 1001);
    assert!(out.warnings[..1000].iter().all(|w| w.count == 2));
    assert_eq!(out.warnings[1000].count, 4000);
    assert_eq!(
        out.warnings[1000].message,
        "more unresolved warnings on this page, not listed one by one"
    );
    assert_eq!(out.warnings.iter().map(|w| w.count).sum::<u64>(), 6000);
}
