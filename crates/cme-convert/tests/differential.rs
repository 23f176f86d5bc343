//! The direct Markdown writer must produce exactly what comrak's formatter
//! produces from the same model: every corpus document under several option
//! sets, byte for byte. (Every other integration test converts through
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
    for (name, storage) in &docs {
        for opts in &variants {
            let direct = cme_convert::convert(storage, &OfflineContext::default(), opts);
            let comrak = cme_convert::convert_via_comrak(storage, &OfflineContext::default(), opts);
            if direct.markdown != comrak.markdown {
                let at = direct
                    .markdown
                    .bytes()
                    .zip(comrak.markdown.bytes())
                    .position(|(a, b)| a != b)
                    .unwrap_or(direct.markdown.len().min(comrak.markdown.len()));
                let lo = at.saturating_sub(80);
                panic!(
                    "{name}: outputs differ at byte {at}\ndirect: {:?}\ncomrak: {:?}",
                    direct
                        .markdown
                        .get(lo..(at + 80).min(direct.markdown.len())),
                    comrak
                        .markdown
                        .get(lo..(at + 80).min(comrak.markdown.len())),
                );
            }
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
];

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 200, ..Default::default() })]

    #[test]
    fn written_in_pieces_matches_comrak_whole(
        picks in proptest::collection::vec(0..PIECES.len(), 30..160),
        wrap in 0usize..3,
    ) {
        let body: String = picks.iter().map(|&i| PIECES[i]).collect();
        let storage = match wrap {
            0 => body,
            1 => format!("<ac:layout><ac:layout-section><ac:layout-cell>{body}</ac:layout-cell></ac:layout-section></ac:layout>"),
            _ => format!("<div><unknown-wrapper>{body}</unknown-wrapper></div>"),
        };
        for opts in [Options::default(), Options { title: Some("T".into()), ..Options::default() }] {
            let direct = cme_convert::convert(&storage, &OfflineContext::default(), &opts);
            let comrak = cme_convert::convert_via_comrak(&storage, &OfflineContext::default(), &opts);
            proptest::prop_assert_eq!(&direct.markdown, &comrak.markdown, "storage: {}", storage);
        }
    }
}
