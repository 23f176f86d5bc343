//! Inputs the fuzzer found, minimised by hand, plus the files committed in
//! tests/fuzz_regressions/ (hostile inputs, and libFuzzer artifacts worth
//! keeping): none may panic.

mod common;

use cme_convert::{OfflineContext, Options};
use common::convert;

fn run(s: &str) -> String {
    convert(s, &OfflineContext::default(), &Options::default()).markdown
}

/// A byte-order mark shifted quick-xml's positions off a character
/// boundary when rescanning after a `<` that did not start a valid tag.
#[test]
fn bom_then_invalid_tag_name_then_multibyte_text() {
    let md = run("\u{feff}<x y>a</x>\n<p>수 <a€b>수</p>");
    assert!(md.contains('수'));
    assert!(md.contains("€"));
    let md = run("\u{feff}<a€>수수수");
    assert!(md.contains("수수수"), "{md}");
}

/// Every file in tests/fuzz_regressions/ (hostile inputs written by hand:
/// deep nesting, unclosed and mismatched tags, odd entities, CDATA, control
/// characters; and any libFuzzer artifact worth keeping, copied there) goes
/// through the fuzz target's checks: no panic, and output linear in the
/// input. The folder is committed: an empty or missing one fails.
#[test]
fn saved_artifacts_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut panicked = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).unwrap();
        let s = String::from_utf8_lossy(&bytes);
        let r = std::panic::catch_unwind(|| {
            let out = cme_convert::convert(&s, &OfflineContext::default(), &Options::default());
            // The fuzz target's bound (fuzz/fuzz_targets/convert.rs).
            assert!(
                out.markdown.len() <= 64 * s.len() + 4096,
                "output {} bytes for {} bytes of input",
                out.markdown.len(),
                s.len()
            );
        });
        if r.is_err() {
            panicked.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    assert!(
        files.len() >= 10,
        "only {} saved inputs in {}",
        files.len(),
        dir.display()
    );
    assert!(panicked.is_empty(), "panicked on {panicked:?}");
}
