//! The corpus benchmark with mimalloc, the allocator the CLI binaries ship
//! with: a third of the conversion's instructions are small allocations
//! and frees of the Markdown model, which mimalloc makes cheaper.
//! `cargo bench -p cme-convert --bench corpus_mimalloc`.

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "corpus.rs"]
mod corpus;

fn main() {
    corpus::run("mimalloc");
}
