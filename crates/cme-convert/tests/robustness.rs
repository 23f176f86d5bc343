//! No stack overflow on deep nesting; output size linear in input size.

mod common;

use cme_convert::{OfflineContext, Options};
use common::convert;

fn run(s: &str) -> String {
    convert(s, &OfflineContext::default(), &Options::default()).markdown
}

/// Runs on a thread with the default 2 MiB test stack (no special stack).
fn deep(open: &str, close: &str, n: usize) -> (usize, String) {
    let s = format!("{}deep text{}", open.repeat(n), close.repeat(n));
    let md = run(&s);
    (s.len(), md)
}

#[test]
fn ten_thousand_deep_nesting_keeps_text() {
    let cases: &[(&str, &str)] = &[
        ("<div>", "</div>"),
        ("<ul><li>", "</li></ul>"),
        ("<strong>", "</strong>"),
        ("<blockquote>", "</blockquote>"),
        ("<table><tr><td>", "</td></tr></table>"),
        (
            r#"<ac:structured-macro ac:name="expand"><ac:rich-text-body>"#,
            "</ac:rich-text-body></ac:structured-macro>",
        ),
        (
            r#"<ac:structured-macro ac:name="info"><ac:rich-text-body>"#,
            "</ac:rich-text-body></ac:structured-macro>",
        ),
        (
            "<ac:task-list><ac:task><ac:task-body>",
            "</ac:task-body></ac:task></ac:task-list>",
        ),
        // Unclosed: never closed at all.
        ("<p><em>", ""),
    ];
    for (open, close) in cases {
        let (len, md) = deep(open, close, 10_000);
        assert!(md.contains("deep text"), "{open}: text lost");
        assert!(md.len() < len * 4, "{open}: {} bytes from {len}", md.len());
    }
}

/// Output bytes per input byte for `n` nestings of `open`…`close`.
fn ratio(open: &str, close: &str, n: usize) -> f64 {
    let (len, md) = deep(open, close, n);
    md.len() as f64 / len as f64
}

#[test]
fn nested_macros_grow_linearly() {
    let cases: &[(&str, &str)] = &[
        (
            r#"<ac:structured-macro ac:name="expand"><ac:parameter ac:name="title">t</ac:parameter><ac:rich-text-body><p>x</p>"#,
            "</ac:rich-text-body></ac:structured-macro>",
        ),
        (
            r#"<ac:structured-macro ac:name="details"><ac:rich-text-body><table><tr><td><ul><li>"#,
            "</li></ul></td></tr></table></ac:rich-text-body></ac:structured-macro>",
        ),
        (
            r#"<ac:structured-macro ac:name="note"><ac:rich-text-body><ol><li><p>a</p>"#,
            "</li></ol></ac:rich-text-body></ac:structured-macro>",
        ),
    ];
    for (open, close) in cases {
        // Within the depth cap the ratio must not grow with depth.
        let small = ratio(open, close, 10);
        let large = ratio(open, close, 80);
        assert!(large < small * 3.0 + 1.0, "{open}: ratio {small} → {large}");
        // Beyond it (flattened) too.
        let huge = ratio(open, close, 2_000);
        assert!(huge < 8.0, "{open}: ratio {huge}");
    }
}

#[test]
fn repeated_siblings_are_linear() {
    let unit = r#"<ac:structured-macro ac:name="expand"><ac:rich-text-body><table><tr><td><ul><li>x</li></ul></td></tr></table></ac:rich-text-body></ac:structured-macro>"#;
    let a = run(&unit.repeat(100)).len();
    let b = run(&unit.repeat(1000)).len();
    assert!(b <= a * 11, "{a} → {b}");
}

/// Openers that never close (or close only at the very end) are recovered
/// from in one pass; their text is kept.
#[test]
fn unclosed_markup_keeps_text() {
    for unit in [
        "<![CDATA[x ",
        "<!--x ",
        "<?x ",
        "<!x ",
        "< x ",
        "<a€> x ",
        "<script>x ",
        "<a title=\"x <b>",
        "<a k<a k x",
        "<a k=v<a k=v x",
    ] {
        let s = format!("{}>end", unit.repeat(2_000));
        let md = run(&s);
        assert!(md.contains("end"), "{unit}: {}", &md[..md.len().min(200)]);
        assert!(md.matches('x').count() >= 1, "{unit}");
    }
}

#[test]
fn pathological_markup_does_not_panic() {
    for s in [
        "",
        "<",
        "&",
        "<![CDATA[",
        "<!--",
        "<a",
        "</",
        "<<<<>>>>",
        "<p>&#xFFFFFFFF;&#0;&#xD800;</p>",
        "<ac:structured-macro/>",
        "<ac:structured-macro ac:name=\"code\"><ac:plain-text-body/></ac:structured-macro>",
        "<table><tr><td rowspan=\"999999999999\">x</td></tr></table>",
        "<ol start=\"-5\"><li>x</li></ol>",
        "<h1></h1><h7>x</h7>",
        "<ac:link><ri:page/></ac:link><ac:image/>",
        "<a href=\"\u{0}\">\u{0}</a>",
        "<time/><br></br></br>",
    ] {
        let _ = run(s);
    }
}
