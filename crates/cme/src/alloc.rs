//! The program's allocator: mimalloc, and with the `mem-stats` feature a
//! count of the bytes live and their peak, which `mark` prints per phase
//! (`CME_MEM_STATS=1`) — what the heap holds, where the resident set also
//! shows what mimalloc keeps in reserve. Without the feature the counters
//! do not exist and `mark` does nothing, so the program pays nothing.
//! `mem-system` swaps mimalloc for the system allocator (to compare, or
//! for a heap profiler; `CME_MEM_EXIT_AT=<mark>` ends the run at a mark).
//!
//! mimalloc's defaults hold memory the program freed: arenas are committed
//! eagerly and freed pages go back to the system only after a second. A
//! sync's listings come and go in waves, so the resident set was about
//! twice the bytes live (an idle sync of 20,000 pages: 72 MB live, 166 MB
//! resident; the system allocator: 102 MB). [`tune`] commits on demand and
//! purges freed pages at once, before the first allocation: 98 MB.

#[cfg(not(feature = "mem-system"))]
type Inner = mimalloc::MiMalloc;
#[cfg(not(feature = "mem-system"))]
const INNER: Inner = mimalloc::MiMalloc;
#[cfg(feature = "mem-system")]
type Inner = std::alloc::System;
#[cfg(feature = "mem-system")]
const INNER: Inner = std::alloc::System;

/// mimalloc's `arena_eager_commit` and `purge_delay` (`mi_option_e`).
#[cfg(not(feature = "mem-system"))]
const EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;
#[cfg(not(feature = "mem-system"))]
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Commit arenas on demand and purge at once; a user's `MIMALLOC_*`
/// environment still wins. Run by the loader before `main` and before
/// anything is allocated, so the first arena is made this way too.
#[cfg(not(feature = "mem-system"))]
extern "C" fn tune() {
    // SAFETY: setting an option's default is allowed at any time.
    unsafe {
        libmimalloc_sys::mi_option_set_default(EAGER_COMMIT, 0);
        libmimalloc_sys::mi_option_set_default(PURGE_DELAY, 0);
    }
}

/// How long freed pages wait before they go back to the system once the
/// pages are being written, in milliseconds. Writing converts and drops
/// thousands of bodies a second: purged at once, their pages went back
/// and came again (at 10 ms, page faults and `madvise` were still 11% of
/// an export's CPU samples). Exporting 100,000 pages, kernel time 7.8 s at 0 ms,
/// 6.5 s at 10, 5.5 s at 100 (resident set +14 MB), 4.7 s at 1000 (+35
/// MB). The peak of a sync's memory is before, while it lists.
#[cfg(not(feature = "mem-system"))]
const WRITING_PURGE_DELAY_MS: std::ffi::c_long = 100;

/// Lets freed pages wait a moment before they go back to the system, for a
/// phase that frees and allocates at a high rate; a user's
/// `MIMALLOC_PURGE_DELAY` still wins.
pub fn purge_lazily() {
    #[cfg(not(feature = "mem-system"))]
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: setting an option is allowed at any time.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, WRITING_PURGE_DELAY_MS) };
    }
}

#[cfg(all(not(feature = "mem-system"), target_os = "linux"))]
#[used]
#[unsafe(link_section = ".init_array")]
static TUNE: extern "C" fn() = tune;

#[cfg(not(feature = "mem-stats"))]
mod imp {
    /// Nothing is counted without the `mem-stats` feature.
    pub fn mark(_label: &str) {}
}

#[cfg(feature = "mem-stats")]
mod imp {
    use super::{INNER, Inner};
    use std::alloc::{GlobalAlloc, Layout};
    use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

    static LIVE: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);

    /// Counts live bytes and their peak around the inner allocator.
    pub struct Counting(pub Inner);

    fn grew(by: usize) {
        let now = LIVE.fetch_add(by, Relaxed) + by;
        PEAK.fetch_max(now, Relaxed);
    }

    // SAFETY: every call is forwarded unchanged to the inner allocator.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let p = unsafe { self.0.alloc(l) };
            if !p.is_null() {
                grew(l.size());
            }
            p
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            let p = unsafe { self.0.alloc_zeroed(l) };
            if !p.is_null() {
                grew(l.size());
            }
            p
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            unsafe { self.0.dealloc(p, l) };
            LIVE.fetch_sub(l.size(), Relaxed);
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            let q = unsafe { self.0.realloc(p, l, new) };
            if !q.is_null() {
                if new >= l.size() {
                    grew(new - l.size());
                } else {
                    LIVE.fetch_sub(l.size() - new, Relaxed);
                }
            }
            q
        }
    }

    #[global_allocator]
    static GLOBAL: Counting = Counting(INNER);

    /// Prints (with `CME_MEM_STATS` set) the bytes live now and their peak
    /// since the previous mark, then starts the next phase's peak.
    pub fn mark(label: &str) {
        if std::env::var_os("CME_MEM_STATS").is_none() {
            return;
        }
        let live = LIVE.load(Relaxed);
        let peak = PEAK.swap(live, Relaxed);
        let rss = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
            })
            .unwrap_or_default();
        #[cfg(not(feature = "mem-system"))]
        if label == "start" {
            // SAFETY: reading an option is allowed at any time.
            let (eager, purge) = unsafe {
                (
                    libmimalloc_sys::mi_option_get(super::EAGER_COMMIT),
                    libmimalloc_sys::mi_option_get(super::PURGE_DELAY),
                )
            };
            eprintln!("mem: mimalloc arena_eager_commit={eager} purge_delay={purge}");
        }
        eprintln!(
            "mem: {label:<22} live {:>7.1} MB, peak {:>7.1} MB, peak RSS so far {rss}",
            live as f64 / 1e6,
            peak as f64 / 1e6
        );
        // A heap profiler's peak is the whole run's: ending the run at a
        // mark shows the peak of the phases before it.
        if std::env::var_os("CME_MEM_EXIT_AT").is_some_and(|at| at == label) {
            std::process::exit(0);
        }
    }
}

pub use imp::mark;

#[cfg(not(feature = "mem-stats"))]
#[global_allocator]
static GLOBAL: Inner = INNER;

#[cfg(all(test, not(feature = "mem-system"), target_os = "linux"))]
mod tests {
    use super::{EAGER_COMMIT, PURGE_DELAY};

    /// The loader ran [`super::tune`]: the linker kept the section.
    #[test]
    fn mimalloc_is_tuned_before_main() {
        for (option, var) in [
            (EAGER_COMMIT, "MIMALLOC_ARENA_EAGER_COMMIT"),
            (PURGE_DELAY, "MIMALLOC_PURGE_DELAY"),
        ] {
            if std::env::var_os(var).is_some() {
                continue;
            }
            // SAFETY: reading an option is allowed at any time.
            assert_eq!(
                unsafe { libmimalloc_sys::mi_option_get(option) },
                0,
                "{var}"
            );
        }
    }
}
