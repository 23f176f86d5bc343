//! Request counters for `/__sim/stats`: benchmarks and tests assert how many
//! Confluence calls a client made, per route pattern, how many bytes it
//! read, and how many it had in flight at once.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

use parking_lot::Mutex;
use serde_json::json;

#[derive(Default)]
pub struct Stats {
    inner: Mutex<Inner>,
    /// Shared with the guards of requests being served, which outlive the
    /// handler (a paced body is still being sent).
    flight: Arc<Flight>,
    /// The media service's requests (attachment bytes): another host, so
    /// counted apart from Confluence's cap and peak.
    media: Arc<Flight>,
    bytes: AtomicU64,
    throttled: AtomicU64,
}

#[derive(Default)]
struct Inner {
    requests: u64,
    by_route: HashMap<(&'static str, &'static str), u64>,
}

#[derive(Default)]
struct Flight {
    now: AtomicU32,
    peak: AtomicU32,
}

/// One API request being served: counted in flight until dropped (after
/// its body is sent or the connection closes).
pub struct InFlight(Arc<Flight>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.now.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Stats {
    /// Counts one Confluence API request (`/__sim` calls are never counted).
    pub fn record(&self, method: &'static str, pattern: &'static str) {
        let mut g = self.inner.lock();
        g.requests += 1;
        *g.by_route.entry((method, pattern)).or_default() += 1;
    }

    /// Admits a request into service unless `cap` requests already are
    /// (then counts it throttled and returns `None`).
    pub fn enter(&self, cap: Option<u32>) -> Option<InFlight> {
        let f = &self.flight;
        let admitted = f
            .now
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| match cap {
                Some(c) if n >= c => None,
                _ => Some(n + 1),
            });
        match admitted {
            Ok(before) => {
                f.peak.fetch_max(before + 1, Ordering::AcqRel);
                Some(InFlight(f.clone()))
            }
            Err(_) => {
                self.throttled.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Admits a request to the media service: never refused, and never
    /// counted against Confluence's in-flight cap or peak.
    pub fn enter_media(&self) -> InFlight {
        self.media.now.fetch_add(1, Ordering::AcqRel);
        InFlight(self.media.clone())
    }

    /// Counts response body bytes sent for an API request.
    pub fn add_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// Zeroes the counters; the in-flight peak restarts from the requests
    /// being served now.
    pub fn reset(&self) {
        *self.inner.lock() = Inner::default();
        self.bytes.store(0, Ordering::Relaxed);
        self.throttled.store(0, Ordering::Relaxed);
        let now = self.flight.now.load(Ordering::Acquire);
        self.flight.peak.store(now, Ordering::Release);
    }

    /// `{"requests": N, "by_route": {"GET /wiki/api/v2/pages": n, ...},
    /// "bytes": B, "throttled": T, "max_in_flight": P}`;
    /// `prefix` is `/wiki` on Cloud, the context path on Data Center.
    pub fn snapshot(&self, prefix: &str) -> serde_json::Value {
        let g = self.inner.lock();
        let by: BTreeMap<String, u64> = g
            .by_route
            .iter()
            .map(|((m, p), n)| {
                let full = if p.starts_with("/rest")
                    || p.starts_with("/api")
                    || p.starts_with("/download")
                {
                    format!("{m} {prefix}{p}")
                } else {
                    format!("{m} {p}")
                };
                (full, *n)
            })
            .collect();
        json!({
            "requests": g.requests,
            "by_route": by,
            "bytes": self.bytes.load(Ordering::Relaxed),
            "throttled": self.throttled.load(Ordering::Relaxed),
            "max_in_flight": self.flight.peak.load(Ordering::Acquire),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_admits_up_to_it_and_the_peak_is_kept() {
        let s = Stats::default();
        let a = s.enter(Some(2)).expect("first admitted");
        let b = s.enter(Some(2)).expect("second admitted");
        assert!(s.enter(Some(2)).is_none(), "third refused");
        drop(a);
        let c = s.enter(Some(2)).expect("a slot freed");
        let v = s.snapshot("");
        assert_eq!(v["throttled"], 1);
        assert_eq!(v["max_in_flight"], 2);
        drop((b, c));
        s.reset();
        assert_eq!(s.snapshot("")["max_in_flight"], 0);
        assert_eq!(s.snapshot("")["throttled"], 0);
    }
}
