#![no_main]
//! Any input: no panic, and output size stays linear in input size.

use cme_convert::{convert, OfflineContext, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    let out = convert(s, &OfflineContext::default(), &Options::default());
    // Generous bound: escaping and HTML wrappers add a constant factor.
    assert!(
        out.markdown.len() <= 64 * s.len() + 4096,
        "output {} bytes for {} bytes of input",
        out.markdown.len(),
        s.len()
    );
});
