//! The `confluence-markdown-exporter` command line (alias `cme`).
//!
//! The binary is thin: [`cli::main`] parses arguments, dispatches to one
//! function per command in [`cli::commands`], and renders errors in one
//! place ([`cli::report`]). Commands return errors; they never exit the
//! process. ARCHITECTURE.md shows the layers below and the data flow.
// The layers, lowest first; each uses only those above it in this list.
pub mod cli;

pub mod alloc;

pub mod deps;
pub mod fs;
#[cfg(test)]
mod layering;
pub mod options;
pub mod page;
pub mod place;
pub mod state;
pub mod sync;
pub mod terminal;
pub mod units;

// Converting a page allocates many small Markdown nodes; mimalloc makes that
// a fifth faster than the system allocator (cme-convert's `corpus` and
// `corpus_mimalloc` benchmarks). Set here, once, for both binaries and for
// this crate's tests and benchmarks, which then run as the program does.
// The cost is memory: the 10,000-page export bench peaks at ~182 MiB
// instead of ~121 MiB. The allocator is set in `alloc`, which can also
// count what is live per phase (feature `mem-stats`).
