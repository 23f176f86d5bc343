//! The `confluence-markdown-exporter` command line (alias `cme`).
//!
//! The binary is thin: [`cli::main`] parses arguments, dispatches to one
//! function per command in [`commands`], and renders errors in one place
//! ([`report`]). Commands return errors; they never exit the process.
pub mod cli;
pub mod commands;
pub mod config;
pub mod export;
pub mod interrupt;
pub mod logging;
pub mod outdir;
pub mod progress;
pub mod report;
pub mod settings;
pub mod state;
pub mod sync;
pub mod terminal;
pub mod urls;

// Converting a page allocates many small Markdown nodes; mimalloc makes that
// a fifth faster than the system allocator (cme-convert's `corpus` and
// `corpus_mimalloc` benchmarks). Set here, once, for both binaries and for
// this crate's tests and benchmarks, which then run as the program does.
// The cost is memory: the 10,000-page export bench peaks at ~182 MiB
// instead of ~121 MiB.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
