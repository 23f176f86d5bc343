//! Adaptive concurrency (AIMD, as TCP does with its window): the number of
//! requests in flight halves when the server throttles us and grows back by
//! one after a run of successes, never above the configured maximum.
use std::sync::Mutex;
use tokio::sync::Notify;

/// Bounds requests in flight; shared by every clone of a client.
#[derive(Debug)]
pub(crate) struct Limiter {
    max: usize,
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug)]
struct State {
    limit: usize,
    in_flight: usize,
    /// Successes since the limit last changed.
    successes: usize,
    /// Bumped on every decrease, so one burst of 429s (all sent under the
    /// same limit) halves the limit once, not once per request.
    epoch: u64,
}

/// One request's slot; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    epoch: u64,
}

impl Limiter {
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            max,
            state: Mutex::new(State {
                limit: max,
                in_flight: 0,
                successes: 0,
                epoch: 0,
            }),
            freed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a few integers: a panic elsewhere cannot leave it torn.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current limit on requests in flight.
    pub fn limit(&self) -> usize {
        self.lock().limit
    }

    fn try_acquire(&self) -> Option<Permit<'_>> {
        let mut s = self.lock();
        if s.in_flight < s.limit {
            s.in_flight += 1;
            Some(Permit {
                limiter: self,
                epoch: s.epoch,
            })
        } else {
            None
        }
    }

    /// Waits for a free slot.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let freed = self.freed.notified();
            tokio::pin!(freed);
            // Registered before the check, so a slot freed in between wakes us.
            freed.as_mut().enable();
            if let Some(p) = self.try_acquire() {
                return p;
            }
            freed.await;
        }
    }

    fn release(&self) {
        let free = {
            let mut s = self.lock();
            s.in_flight -= 1;
            s.limit.saturating_sub(s.in_flight)
        };
        for _ in 0..free {
            self.freed.notify_one();
        }
    }
}

impl Permit<'_> {
    /// The request succeeded: after `limit` successes in a row, one more slot.
    pub fn success(&self) {
        let mut s = self.limiter.lock();
        s.successes += 1;
        if s.successes >= s.limit && s.limit < self.limiter.max {
            s.limit += 1;
            s.successes = 0;
        }
    }

    /// The server throttled this request: halve the limit (at least 1), once
    /// per limit epoch.
    pub fn throttled(&self) {
        let mut s = self.limiter.lock();
        s.successes = 0;
        if self.epoch == s.epoch {
            s.limit = (s.limit / 2).max(1);
            s.epoch += 1;
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.limiter.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn halves_on_throttle_once_per_burst_and_recovers_slowly() {
        let l = Limiter::new(8);
        assert_eq!(l.limit(), 8);
        // A burst of four requests, all throttled: one halving.
        let burst: Vec<_> = futures_join(&l, 4).await;
        for p in &burst {
            p.throttled();
        }
        drop(burst);
        assert_eq!(l.limit(), 4);
        // Requests sent under the new limit can halve it again.
        let p = l.acquire().await;
        p.throttled();
        drop(p);
        assert_eq!(l.limit(), 2);
        let p = l.acquire().await;
        p.throttled();
        drop(p);
        let p = l.acquire().await;
        p.throttled();
        drop(p);
        assert_eq!(l.limit(), 1, "never below one");
        // Growth: +1 after `limit` successes in a row.
        let p = l.acquire().await;
        p.success();
        drop(p);
        assert_eq!(l.limit(), 2);
        for _ in 0..2 {
            let p = l.acquire().await;
            p.success();
        }
        assert_eq!(l.limit(), 3);
        for _ in 0..100 {
            let p = l.acquire().await;
            p.success();
        }
        assert_eq!(l.limit(), 8, "never above the maximum");
    }

    #[tokio::test]
    async fn no_more_than_limit_in_flight() {
        let l = Limiter::new(2);
        let a = l.acquire().await;
        let _b = l.acquire().await;
        assert!(l.try_acquire().is_none());
        drop(a);
        let c = l.try_acquire();
        assert!(c.is_some());
    }

    #[tokio::test]
    async fn a_waiter_wakes_when_a_slot_frees() {
        let l = std::sync::Arc::new(Limiter::new(1));
        let held = l.acquire().await;
        let l2 = l.clone();
        let waiter = tokio::spawn(async move {
            let _p = l2.acquire().await;
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(held);
        waiter.await.unwrap();
    }

    async fn futures_join(l: &Limiter, n: usize) -> Vec<Permit<'_>> {
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(l.acquire().await);
        }
        v
    }
}
