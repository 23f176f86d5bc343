// Converting a page allocates many small Markdown nodes; mimalloc makes
// that a fifth faster than the system allocator (cme-convert's
// `corpus` and `corpus_mimalloc` benchmarks).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cme::cli::main()
}
