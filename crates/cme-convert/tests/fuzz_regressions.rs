//! Inputs the fuzzer found, minimised by hand, plus any files saved in
//! tests/fuzz_regressions/ (libFuzzer artifacts): none may panic.

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

#[test]
fn saved_artifacts_do_not_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for e in entries.flatten() {
        let bytes = std::fs::read(e.path()).unwrap_or_default();
        let s = String::from_utf8_lossy(&bytes);
        let _ = run(&s);
    }
}
