//! The direct Markdown writer must render exactly as comrak's formatter's
//! output for the same model does (same HTML from a GFM renderer): every
//! corpus document under several option sets. comrak escapes every
//! character that could mean something anywhere; the direct writer only
//! where it would. (Every other integration test converts through
//! `common::convert`, which makes the same check; `src/render/write.rs` has a
//! proptest over generated models.)

mod common;

use cme_convert::{AlertStyle, DynamicMacro, LinkStyle, OfflineContext, Options};

#[test]
fn corpus_direct_writer_matches_comrak() {
    let Some(docs) = common::corpus_or_skip() else {
        return;
    };
    assert!(!docs.is_empty());
    let variants = [
        Options::default(),
        Options {
            title: Some("Title *with* [marks] & 1. things".into()),
            link_style: LinkStyle::Wiki,
            alert_style: AlertStyle::Blockquote,
            toc: DynamicMacro::Omit,
            children: DynamicMacro::Omit,
        },
    ];
    for (_name, storage) in &docs {
        for opts in &variants {
            let direct = cme_convert::convert(storage, &OfflineContext::default(), opts);
            let comrak = cme_convert::convert_via_comrak(storage, &OfflineContext::default(), opts);
            let ctx = OfflineContext::default();
            common::assert_matches_comrak(storage, &ctx, opts, &direct.markdown, &comrak.markdown);
        }
    }
}

/// Top-level pieces whose ends depend on what follows (lists before lists
/// or code), blocks that show nothing, wrappers that are transparent, and a
/// late toc: enough of them that the direct writer writes the document in
/// several pieces while comrak formats it whole.
const PIECES: &[&str] = &[
    "<p>para *x*</p>",
    "<p>&nbsp;</p>",
    "<ul><li>a</li><li>b</li></ul>",
    "<ol start=\"3\"><li>one</li></ol>",
    "<pre>code\nblock</pre>",
    "<h2>Heading</h2>",
    "<hr/>",
    "<blockquote><p>q</p></blockquote>",
    "<table><tr><th>k</th></tr><tr><td>v | w</td></tr></table>",
    "<table><tr><td colspan=\"2\"><ul><li>x</li></ul></td></tr></table>",
    "loose text ",
    "<span>span <p>inside</p></span>",
    "<section><p>sectioned</p><ul><li>l</li></ul></section>",
    "<ac:structured-macro ac:name=\"info\"><ac:rich-text-body><p>i</p></ac:rich-text-body></ac:structured-macro>",
    "<ac:structured-macro ac:name=\"code\"><ac:plain-text-body><![CDATA[let x;]]></ac:plain-text-body></ac:structured-macro>",
    "<ac:structured-macro ac:name=\"expand\"><ac:rich-text-body><p>e</p></ac:rich-text-body></ac:structured-macro>",
    "<ac:task-list><ac:task><ac:task-status>complete</ac:task-status><ac:task-body>t</ac:task-body></ac:task></ac:task-list>",
    "<ac:structured-macro ac:name=\"toc\"/>",
    "<ac:structured-macro ac:name=\"note\"><ac:parameter ac:name=\"title\">Heads *up*</ac:parameter><ac:rich-text-body><ul><li>l</li></ul></ac:rich-text-body></ac:structured-macro>",
    "<ac:structured-macro ac:name=\"tip\"><ac:rich-text-body></ac:rich-text-body></ac:structured-macro>",
    "<ac:structured-macro ac:name=\"WARNING\"><ac:rich-text-body><ac:structured-macro ac:name=\"info\"><ac:rich-text-body><p>inner</p><pre>c</pre></ac:rich-text-body></ac:structured-macro><ol><li>o</li></ol></ac:rich-text-body></ac:structured-macro>",
    "<p>&nbsp;</p><ac:structured-macro ac:name=\"info\"><ac:rich-text-body><p>&nbsp;</p></ac:rich-text-body></ac:structured-macro>",
    "<ac:structured-macro ac:name=\"info\"><ac:rich-text-body><ac:structured-macro ac:name=\"toc\"/><h3>In a panel</h3></ac:rich-text-body></ac:structured-macro>",
    "<ol><li><p>first <strong>b</strong></p></li><li>second<ol start=\"7\"><li>n</li><li><p>m</p></li></ol></li></ol>",
    "<ul><li><p>loose</p><p>two</p></li><li>x</li></ul>",
    "<ul>stray<li>s</li></ul>",
    "<ul><li>a<p>b</p></li></ul>",
    "<ul><li><pre>code in item</pre></li></ul>",
    "<ul>\n<li>\n<p>&nbsp;</p>\n</li>\n<li><a href=\"https://e.test\">https://e.test</a><br/></li></ul>",
    "<ol start=\"99999\"><li><ac:link><ri:page ri:content-title=\"T\"/></ac:link></li></ol>",
];

/// A panel holding more blocks than are held before writing (the last a
/// list before a code block, the end of the panel after it).
fn big_panel() -> String {
    let mut s = String::from("<ac:structured-macro ac:name=\"info\"><ac:rich-text-body>");
    for i in 0..40 {
        s.push_str(&format!("<p>p{i}</p><ul><li>{i}</li></ul>"));
    }
    s.push_str("<pre>code</pre><ul><li>last</li></ul></ac:rich-text-body></ac:structured-macro>");
    s
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

    #[test]
    fn written_in_pieces_matches_comrak_whole(
        picks in proptest::collection::vec(0..=PIECES.len(), 30..160),
        wrap in 0usize..3,
    ) {
        let big = big_panel();
        let body: String = picks
            .iter()
            .map(|&i| PIECES.get(i).copied().unwrap_or(&big))
            .collect();
        let storage = match wrap {
            0 => body,
            1 => format!("<ac:layout><ac:layout-section><ac:layout-cell>{body}</ac:layout-cell></ac:layout-section></ac:layout>"),
            _ => format!("<div><unknown-wrapper>{body}</unknown-wrapper></div>"),
        };
        for opts in [
            Options::default(),
            Options { title: Some("T".into()), alert_style: AlertStyle::Blockquote, ..Options::default() },
        ] {
            let direct = cme_convert::convert(&storage, &OfflineContext::default(), &opts);
            let comrak = cme_convert::convert_via_comrak(&storage, &OfflineContext::default(), &opts);
            let port = cme_convert::convert_with_comrak_escapes(&storage, &OfflineContext::default(), &opts);
            proptest::prop_assert_eq!(&port.markdown, &comrak.markdown, "storage: {}", storage);
            proptest::prop_assert_eq!(
                cme_convert::render_html(&direct.markdown),
                cme_convert::render_html(&comrak.markdown),
                "storage: {}", storage
            );
        }
    }
}

/// Cell contents: escapes (`|`, backticks, `*`), breaks, links whose title
/// holds a line break (so the cell is not one line), empty cells.
const CELLS: &[&str] = &[
    "plain",
    "",
    "a | b",
    "<p>one</p><p>two</p>",
    "<strong>bold</strong> <em> it </em>",
    "<code>a|b`c</code>",
    "x<br/>y<br/>",
    "<a href=\"https://e.test/a b\">https://e.test/a b</a>",
    "<a href=\"https://e.test\" title=\"line\nbreak\">t</a>",
    "1. not a list",
    "# not a heading",
    "<span>&amp;lt; &nbsp; </span>",
    "<ac:link><ri:page ri:content-title=\"Other page\"/></ac:link>",
    "<u>under</u><sup>2</sup>",
    "<img src=\"i.png\" title=\"two\nlines\" alt=\"alt\"/>",
];

/// Where a table stands: each wrapper a writer context (line prefix, list
/// item, flattened inline content, page properties).
const WRAPS: &[(&str, &str)] = &[
    ("", ""),
    ("<blockquote>", "</blockquote>"),
    ("<ul><li><p>item</p>", "</li></ul><ul><li>after</li></ul>"),
    (
        "<ac:structured-macro ac:name=\"info\"><ac:rich-text-body>",
        "</ac:rich-text-body></ac:structured-macro>",
    ),
    (
        "<ac:structured-macro ac:name=\"expand\"><ac:rich-text-body>",
        "</ac:rich-text-body></ac:structured-macro>",
    ),
    ("<p><strong>", "</strong></p>"),
    (
        "<ac:structured-macro ac:name=\"details\"><ac:rich-text-body>",
        "</ac:rich-text-body></ac:structured-macro>",
    ),
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, ..Default::default() })]

    /// Big tables are written as they are rendered: the same bytes as
    /// comrak formatting the whole model.
    #[test]
    fn big_tables_match_comrak(
        rows in proptest::collection::vec(
            proptest::collection::vec(0..CELLS.len(), 0..5), 700..900),
        wrap in 0..WRAPS.len(),
        header in proptest::bool::ANY,
        stray in proptest::bool::ANY,
        spanned in 0usize..40,
    ) {
        let mut s = String::from("<table>");
        if header {
            s.push_str("<thead><tr><th>K</th><th>V</th></tr></thead>");
        }
        s.push_str("<tbody>");
        for (i, r) in rows.iter().enumerate() {
            s.push_str("<tr>");
            for &c in r {
                // Now and then a span, which makes it an HTML table.
                let attr = if i == spanned && c == 0 { " colspan=\"2\"" } else { "" };
                s.push_str(&format!("<td{attr}>{}</td>", CELLS[c]));
            }
            s.push_str("</tr>");
            if stray && i == 3 {
                s.push_str("stray text");
            }
        }
        s.push_str("</tbody></table>");
        let (open, close) = WRAPS[wrap];
        let storage = format!("<p>before</p>{open}{s}{close}<ol><li>x</li></ol>");
        let direct = cme_convert::convert(&storage, &OfflineContext::default(), &Options::default());
        let comrak = cme_convert::convert_via_comrak(&storage, &OfflineContext::default(), &Options::default());
        let port = cme_convert::convert_with_comrak_escapes(&storage, &OfflineContext::default(), &Options::default());
        proptest::prop_assert!(port.markdown == comrak.markdown, "differ; storage: {}", storage);
        proptest::prop_assert!(
            cme_convert::render_html(&direct.markdown) == cme_convert::render_html(&comrak.markdown),
            "renders differently; storage: {}", storage
        );
        proptest::prop_assert_eq!(direct.properties, comrak.properties);
    }
}

/// A key-value table (header cells down the first column) gets an empty
/// header row instead of promoting its first pair to column titles, whether
/// it is small (kept in the model) or big enough to be streamed cell by cell.
#[test]
fn key_value_tables_have_an_empty_header_row_at_any_size() {
    for rows in [2, 3000] {
        let mut storage = String::from("<table><tbody>");
        for i in 0..rows {
            storage.push_str(&format!(
                "<tr><th><p>k{i}</p></th><td><p>v{i}</p></td></tr>"
            ));
        }
        storage.push_str("</tbody></table>");
        let opts = Options::default();
        let direct = cme_convert::convert(&storage, &OfflineContext::default(), &opts);
        let comrak = cme_convert::convert_via_comrak(&storage, &OfflineContext::default(), &opts);
        common::assert_matches_comrak(
            &storage,
            &OfflineContext::default(),
            &opts,
            &direct.markdown,
            &comrak.markdown,
        );
        assert!(
            direct
                .markdown
                .starts_with("|  |  |\n| --- | --- |\n| k0 | v0 |\n| k1 | v1 |\n"),
            "{rows} rows: {:?}",
            &direct.markdown[..direct.markdown.len().min(80)]
        );
    }
}
