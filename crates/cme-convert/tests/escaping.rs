//! Escaping only where it matters: text written by the converter reads the
//! same once rendered (a GFM renderer gives back exactly the text, in every
//! position), and characters that mean nothing where they stand keep no
//! backslash. `differential.rs` checks the same over the corpus against
//! comrak's formatter, which escapes everything.

mod common;

use cme_convert::{OfflineContext, Options};
use common::convert;
use proptest::prelude::*;

fn markdown(storage: &str) -> String {
    convert(storage, &OfflineContext::default(), &Options::default()).markdown
}

/// The visible text of rendered HTML: tags dropped, the renderer's
/// entities decoded, whitespace dropped.
fn text_of_html(html: &str) -> String {
    let out = strip_tags(html)
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    squash(&out)
}

/// Without whitespace: the converter trims and joins spaces (link text,
/// line ends) by design; what is checked here is every other character.
fn squash(s: &str) -> String {
    s.split_whitespace().collect()
}

/// `text` as XML character data.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Where text can stand: each wraps `{}` (the escaped text).
const PLACES: &[&str] = &[
    "<p>{}</p>",
    "<p>a {} b</p>",
    "<h2>{}</h2>",
    "<ul><li>{}</li></ul>",
    "<ol><li><p>{}</p></li></ol>",
    "<p><strong>{}</strong> x</p>",
    "<p>x <em>{}</em></p>",
    "<blockquote><p>{}</p></blockquote>",
    "<table><tr><th>k</th></tr><tr><td>{}</td></tr></table>",
    "<p>see <a href=\"https://e.test/p\">{}</a>!</p>",
    "<p>{}<a href=\"https://e.test/p\">link</a></p>",
    "<p>{}<br/>{}</p>",
];

/// Text a reader sees: at least one character that is not a space (a
/// link with blank text shows its address instead, by design).
fn hostile() -> impl Strategy<Value = String> {
    hostile_any().prop_filter("some visible text", |s| !s.trim().is_empty())
}

fn hostile_any() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z0-9 *_#`\\[\\]<>|!&~+.=:;()\\\\\"'/?@$%^{}-]{1,16}",
        1 => "&[a-z]{1,6};?[a-z ]{0,3}",
        1 => "&#[0-9x]{1,4};?",
        1 => "[0-9]{1,3}[.)] [a-z]{1,3}",
        1 => "[-+=>#] [a-z]{1,3}",
        1 => "[a-z]{1,4}_[a-z]{1,4}(_[a-z]{1,3})?",
        1 => "<[a-z/!?][a-z]{0,4}>?",
        1 => "!\\[?[a-z]{0,3}",
        1 => "[a-z ]{0,3}#{1,3} ?",
        1 => "[a-z]{1,3}\\\\[a-z!*]{0,2}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Whatever the text and wherever it stands, rendering the Markdown
    /// gives back the text (the converter's `common::convert` also checks
    /// that it renders as comrak's fully escaped output does).
    #[test]
    fn rendered_text_is_the_source_text(
        a in hostile(),
        b in hostile(),
        place in 0..PLACES.len(),
    ) {
        let template = PLACES[place];
        let storage = fill(template, &xml(&a), &xml(&b));
        let md = markdown(&storage);
        let got = text_of_html(&cme_convert::render_html(&md));
        let want = expected_text(template, &a, &b);
        prop_assert_eq!(got, want, "storage: {}\nmarkdown: {}", storage, md);
    }
}

/// `template` with its first hole filled with `a`, its second with `b`.
fn fill(template: &str, a: &str, b: &str) -> String {
    let mut holes = [a, b].into_iter();
    let mut out = String::new();
    for (i, part) in template.split("{}").enumerate() {
        if i > 0 {
            out.push_str(holes.next().unwrap_or(""));
        }
        out.push_str(part);
    }
    out
}

/// The text a reader sees for `template` filled with `a` and `b`: the
/// template's words plus the texts, whitespace collapsed.
fn expected_text(template: &str, a: &str, b: &str) -> String {
    let parts: Vec<String> = template.split("{}").map(strip_tags).collect();
    squash(&fill(&parts.join("{}"), a, b))
}

/// Tags dropped: block tags (and line breaks) become a space, inline
/// ones (links, emphasis) nothing. Only tags the renderer or the
/// templates write are met (text `<` is `&lt;` in both).
fn strip_tags(s: &str) -> String {
    const INLINE: &[&str] = &["a", "strong", "em", "del", "code"];
    let mut out = String::new();
    let mut rest = s;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(len) = rest[open..].find('>') else {
            rest = &rest[open..];
            break;
        };
        let tag = &rest[open + 1..open + len];
        let name = tag
            .trim_start_matches('/')
            .split(|c: char| c.is_whitespace() || c == '/')
            .next()
            .unwrap_or("");
        if !INLINE.contains(&name) {
            out.push(' ');
        }
        rest = &rest[open + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The reader's complaints, each written without a backslash now.
#[test]
fn characters_that_mean_nothing_where_they_stand_keep_no_backslash() {
    for (storage, want) in [
        ("<p>Thanks!</p>", "Thanks!\n"),
        ("<p>status != Done</p>", "status != Done\n"),
        (
            "<p><em>Architecture &gt; overview</em></p>",
            "*Architecture > overview*\n",
        ),
        ("<p>Q&amp;A: edge #1?</p>", "Q&A: edge #1?\n"),
        (
            "<p>snake_case_name and C:\\Users</p>",
            "snake_case_name and C:\\Users\n",
        ),
        ("<p>a &lt; b and b &gt; a</p>", "a < b and b > a\n"),
    ] {
        assert_eq!(markdown(storage), want, "{storage}");
    }
}

/// Where a character would change the rendering, it keeps its backslash.
#[test]
fn characters_that_would_mean_something_are_escaped() {
    for (storage, want) in [
        ("<p>&lt;Edge&gt; tag</p>", "\\<Edge> tag\n"),
        ("<p># not a heading</p>", "\\# not a heading\n"),
        ("<p>&gt; not a quote</p>", "\\> not a quote\n"),
        ("<p>AT&amp;T; &amp;amp;</p>", "AT\\&T; \\&amp;\n"),
        ("<p>_em_ and *strong*</p>", "\\_em\\_ and \\*strong\\*\n"),
        ("<p>1. not a list</p>", "1\\. not a list\n"),
        (
            "<p>wow!<a href=\"https://e.test/\">x</a></p>",
            "wow\\![x](https://e.test/)\n",
        ),
        ("<h2>C #</h2>", "## C \\#\n"),
    ] {
        assert_eq!(markdown(storage), want, "{storage}");
    }
}
