//! `cargo run --example convert -- FILE` prints the Markdown (offline context).
use std::io::Read;

fn main() {
    let mut s = String::new();
    match std::env::args().nth(1) {
        Some(p) if p != "-" => s = std::fs::read_to_string(p).expect("read input"),
        _ => {
            std::io::stdin().read_to_string(&mut s).expect("read stdin");
        }
    }
    let out = cme_convert::convert(
        &s,
        &cme_convert::OfflineContext::default(),
        &Default::default(),
    );
    print!("{}", out.markdown);
    for w in &out.warnings {
        eprintln!("warning: {:?}: {}", w.kind, w.message);
    }
}
