//! What the client has been doing, for a progress display: cumulative
//! counters and events pushed as they happen.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Cumulative counters, cheap to read at any time (atomics inside).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// HTTP requests sent (every attempt and redirect hop).
    pub requests: u64,
    /// Attempts that were repeated after a transient failure.
    pub retries: u64,
    /// Time the client held requests back because the server throttled it
    /// (pauses after a 429, and pacing to the advertised rate).
    pub throttled: Duration,
    /// Response body bytes received.
    pub bytes: u64,
    /// Requests that failed for good (after any retries).
    pub failures: u64,
    /// Requests whose credentials were refused (401/403).
    pub refused: u64,
}

/// Something the user should see while it happens.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Event {
    /// The server throttles us; every request waits this long.
    Throttled {
        /// How long all requests pause.
        wait: Duration,
    },
    /// A transient failure; the request will be tried again after `wait`.
    Retrying {
        /// The HTTP status, or `None` for a network or body failure.
        status: Option<u16>,
        /// The wait before the next attempt.
        wait: Duration,
    },
}

/// A callback for [`Event`]s; it runs on the request's task, so keep it short.
pub type Observer = Arc<dyn Fn(&Event) + Send + Sync>;

/// The atomics behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    pub throttled_micros: AtomicU64,
    pub bytes: AtomicU64,
    pub failures: AtomicU64,
    pub refused: AtomicU64,
    /// The first refusal, as its error says it (the URL redacted).
    pub first_refusal: std::sync::Mutex<Option<String>>,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn add_throttled(&self, d: Duration) {
        let micros = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self.throttled_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// Counts a refused request, keeping the first refusal's message.
    pub fn refused(&self, e: &crate::Error) {
        self.refused.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut first) = self.first_refusal.lock() {
            first.get_or_insert_with(|| e.to_string());
        }
    }

    pub fn snapshot(&self) -> Stats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        Stats {
            requests: get(&self.requests),
            retries: get(&self.retries),
            throttled: Duration::from_micros(get(&self.throttled_micros)),
            bytes: get(&self.bytes),
            failures: get(&self.failures),
            refused: get(&self.refused),
        }
    }
}
