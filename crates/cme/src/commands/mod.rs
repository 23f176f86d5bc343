//! One module per subcommand; each exposes `*Args` and `run`.
pub mod config;
pub mod convert;
pub mod demo;
pub mod export;
pub mod layout_args;
pub mod markdown_args;
pub mod status;
pub mod sync;

/// Ctrl+C during a lookup before the pipeline (a flavour probe, a title
/// lookup): nothing was written. `cli::main` exits with 130 for it.
#[derive(Debug, thiserror::Error)]
#[error("interrupted; nothing was changed")]
pub struct Interrupted;

/// Runs `fut` on `rt` to its end, unless Ctrl+C comes first. (Once one
/// listener exists the default Ctrl+C no longer ends the process, so every
/// wait before the pipeline's own handler goes through here.)
pub fn until_interrupted<F: std::future::Future>(
    rt: &tokio::runtime::Runtime,
    fut: F,
) -> Result<F::Output, Interrupted> {
    let out = rt.block_on(async {
        tokio::select! {
            out = fut => Ok(out),
            _ = tokio::signal::ctrl_c() => Err(Interrupted),
            () = crate::interrupt::pressed() => Err(Interrupted),
        }
    })?;
    if crate::interrupt::requested() {
        return Err(Interrupted);
    }
    Ok(out)
}
