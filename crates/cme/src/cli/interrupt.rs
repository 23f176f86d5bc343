//! Ctrl+C from the first instant of the process, not only once the
//! pipeline listens: a press while the client is being set up (a flavour
//! check, a title lookup) must end the run with 130 and nothing changed,
//! never kill it half-way or be lost.
//!
//! A plain signal handler, installed first thing, records the press. Until
//! a command says it stops gracefully ([`graceful`]), a press ends the
//! process at once, as the default action would; after that, the first
//! press only raises the flag the command polls ([`requested`]) and the
//! second ends the process. tokio's own handler, installed later, chains
//! to this one, so both see every press.
use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static GRACEFUL: AtomicBool = AtomicBool::new(false);

/// Whether Ctrl+C was pressed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Resolves once Ctrl+C was pressed, also for a press that came before
/// any async listener existed (it is only in the flag then).
pub async fn pressed() {
    while !requested() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// From now on the first Ctrl+C asks the command to stop; it does not
/// end the process.
pub fn graceful() {
    GRACEFUL.store(true, Ordering::SeqCst);
}

/// Installs the handler (Unix; elsewhere tokio's Ctrl+C listener is all).
pub fn install() {
    #[cfg(unix)]
    {
        let handler = on_sigint as extern "C" fn(libc::c_int);
        // SAFETY: the handler only touches atomics and calls `_exit`, both
        // async-signal-safe.
        unsafe {
            libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        }
    }
}

#[cfg(unix)]
extern "C" fn on_sigint(_: libc::c_int) {
    let again = REQUESTED.swap(true, Ordering::SeqCst);
    if again || !GRACEFUL.load(Ordering::SeqCst) {
        // SAFETY: `_exit` is async-signal-safe; files are written
        // atomically and the journal keeps what finished.
        unsafe { libc::_exit(130) };
    }
}

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
            () = pressed() => Err(Interrupted),
        }
    })?;
    if requested() {
        return Err(Interrupted);
    }
    Ok(out)
}
