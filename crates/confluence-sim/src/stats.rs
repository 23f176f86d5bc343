//! Request counters for `/__sim/stats`: benchmarks and tests assert how many
//! Confluence calls a client made, per route pattern.

use std::collections::BTreeMap;
use std::collections::HashMap;

use parking_lot::Mutex;
use serde_json::json;

#[derive(Default)]
pub struct Stats {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    requests: u64,
    by_route: HashMap<(&'static str, &'static str), u64>,
}

impl Stats {
    /// Counts one Confluence API request (`/__sim` calls are never counted).
    pub fn record(&self, method: &'static str, pattern: &'static str) {
        let mut g = self.inner.lock();
        g.requests += 1;
        *g.by_route.entry((method, pattern)).or_default() += 1;
    }

    pub fn reset(&self) {
        *self.inner.lock() = Inner::default();
    }

    /// `{"requests": N, "by_route": {"GET /wiki/api/v2/pages": n, ...}}`;
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
        json!({ "requests": g.requests, "by_route": by })
    }
}
