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
