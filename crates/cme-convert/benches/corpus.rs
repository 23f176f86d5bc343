//! Throughput over the storage corpus: MB/s of storage input on one core.
//! `cargo bench -p cme-convert --bench corpus` (set `CME_SHARED_DIR` to
//! point elsewhere). Without the corpus a generated document is used.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use cme_convert::{OfflineContext, Options, convert, parse};

fn corpus() -> Vec<String> {
    let dir = std::env::var_os("CME_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
        .join("corpus/storage");
    let docs: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .collect()
        })
        .unwrap_or_default();
    if docs.is_empty() {
        println!(
            "corpus not found under {}; using a generated document",
            dir.display()
        );
        vec![generated()]
    } else {
        docs
    }
}

fn generated() -> String {
    let unit = r#"<h2>Section &amp; more</h2><p>Some <strong>bold</strong> text with <code>code</code> and a <a href="https://example.com">link</a>.</p>
<ul><li><p>one</p></li><li><p>two <em>it</em></p></li></ul>
<table><tbody><tr><th>Key</th><th>Value</th></tr><tr><td>a</td><td>b</td></tr></tbody></table>
<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">java</ac:parameter><ac:plain-text-body><![CDATA[class A { int x = 1; }]]></ac:plain-text-body></ac:structured-macro>
<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Heads up: <ac:link><ri:page ri:content-title="Other"/></ac:link></p></ac:rich-text-body></ac:structured-macro>"#;
    unit.repeat(200)
}

/// CPU time of this thread (Linux), so a busy shared machine does not
/// distort the per-core figure; falls back to wall time elsewhere.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn measure(name: &str, docs: &[String], f: impl Fn(&str) -> usize) {
    let bytes: usize = docs.iter().map(String::len).sum();
    // Warm up.
    for d in docs {
        black_box(f(d));
    }
    let round = || {
        for d in docs {
            black_box(f(black_box(d)));
        }
    };
    // CME_BENCH_ROUNDS fixes the work (for callgrind or `perf record`).
    if let Some(n) = std::env::var("CME_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse::<u32>().ok())
    {
        let cpu_start = cpu_time();
        let start = Instant::now();
        (0..n).for_each(|_| round());
        let cpu = cpu_start
            .zip(cpu_time())
            .map_or(start.elapsed(), |(a, b)| b - a);
        let mb = bytes as f64 * f64::from(n) / 1e6;
        println!(
            "{name:>8}: {:>7.1} MB/s per CPU-second ({n} rounds)",
            mb / cpu.as_secs_f64()
        );
        return;
    }
    // Otherwise about three seconds in samples of ~0.1 s of one core each.
    // A shared machine slows some samples down (another tenant, frequency
    // changes), so the median sample is the figure, with best and worst for
    // the spread. (Samples use wall time: the kernel's per-thread CPU time
    // is too coarse for 0.1 s; over the whole run it is the cross-check.)
    let mut rates = Vec::new();
    let cpu_start = cpu_time();
    let start = Instant::now();
    let mut total_rounds = 0u32;
    while start.elapsed() < Duration::from_secs(3) {
        let sample = Instant::now();
        let mut rounds = 0u32;
        while sample.elapsed() < Duration::from_millis(100) {
            round();
            rounds += 1;
        }
        let secs = sample.elapsed().as_secs_f64();
        rates.push(bytes as f64 * f64::from(rounds) / 1e6 / secs);
        total_rounds += rounds;
    }
    let cpu = cpu_start
        .zip(cpu_time())
        .map_or(start.elapsed(), |(a, b)| b - a);
    let overall = bytes as f64 * f64::from(total_rounds) / 1e6 / cpu.as_secs_f64();
    rates.sort_by(f64::total_cmp);
    println!(
        "{name:>8}: {:>7.1} MB/s on one core, median of {} samples (best {:.1}, worst {:.1}; {:.1} per CPU-second overall; {} docs, {:.2} MB per round)",
        rates[rates.len() / 2],
        rates.len(),
        rates[rates.len() - 1],
        rates[0],
        overall,
        docs.len(),
        bytes as f64 / 1e6
    );
}

#[allow(dead_code)] // Unused where `corpus_mimalloc.rs` includes this file.
fn main() {
    run("system allocator");
}

/// Measures both passes; `allocator` labels the output.
pub fn run(allocator: &str) {
    println!("allocator: {allocator}");
    let docs = corpus();
    let ctx = OfflineContext::default();
    let opts = Options::default();
    // CME_BENCH_ONLY=parse|convert runs one pass (for profiling).
    let only = std::env::var("CME_BENCH_ONLY").ok();
    let wanted = |name: &str| only.as_deref().is_none_or(|o| o == name);
    if wanted("parse") {
        measure("parse", &docs, |d| parse::parse(d).tree.len());
    }
    if wanted("convert") {
        measure("convert", &docs, |d| convert(d, &ctx, &opts).markdown.len());
    }
}
