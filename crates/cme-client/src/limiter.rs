//! Adaptive concurrency (AIMD, as TCP does with its window): the number of
//! requests in flight halves when the server throttles us and grows back by
//! one after a run of successes, never above the configured maximum.
//!
//! A limiter may start below its maximum ([`Limiter::probing`]): then, while
//! requests queue behind the limit, it grows past the start in the same
//! steps, a slot per round of successes, towards the maximum. The requests
//! that 429 tell how many the server took at once: the limit never grows
//! past the fewest in flight when one of them was sent, so a site with a
//! cap on requests in flight is throttled about once, and a site without
//! one is used fully. (A slot per success, TCP's slow start, reached the
//! cap sooner but overshot it by as much again: 26 requests refused in a
//! 1,000-page export on the simulator's `cloud` model, where a slot per
//! round refused none, and one in a 10,000-page export.)
//!
//! Growing past the start also needs the answer to have come about as fast
//! as the fastest one yet (within [`QUEUED_ABOVE`] times it, as TCP Vegas
//! compares round trips with the least): then the time went to the
//! network, which more requests in flight overlap. A server that answers
//! slower as more requests wait (a busy one, or one on the same machine)
//! gains nothing from more of them, and each costs a connection's buffers.
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::Notify;

/// An answer this many times slower than the fastest one waited in a queue.
const QUEUED_ABOVE: u32 = 2;

/// Bounds requests in flight; shared by every clone of a client.
#[derive(Debug)]
pub(crate) struct Limiter {
    /// Where the limit starts; growing past it needs requests queued.
    start: usize,
    state: Mutex<State>,
    freed: Notify,
}

#[derive(Debug)]
struct State {
    limit: usize,
    /// The limit grows no higher: the maximum, lowered to just under where
    /// a probe past `start` was throttled.
    ceiling: usize,
    in_flight: usize,
    /// Requests waiting for a slot.
    waiting: usize,
    /// Successes since the limit last changed.
    successes: usize,
    /// The fastest answer yet (time to its headers).
    fastest: Option<Duration>,
    /// Bumped on every decrease, so one burst of 429s (all sent under the
    /// same limit) halves the limit once, not once per request.
    epoch: u64,
}

/// One request's slot; dropping it frees the slot.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    limiter: &'a Limiter,
    epoch: u64,
    /// Requests in flight with this one, when it was sent.
    nth: usize,
}

impl Limiter {
    /// A limit of `max`, lowered while the server throttles.
    #[cfg(test)]
    pub fn new(max: usize) -> Self {
        Self::probing(max, max)
    }

    /// A limit that starts at `start` and, while requests queue and the
    /// server does not throttle, grows towards `max`.
    pub fn probing(start: usize, max: usize) -> Self {
        let max = max.max(1);
        let start = start.clamp(1, max);
        Self {
            start,
            state: Mutex::new(State {
                limit: start,
                ceiling: max,
                in_flight: 0,
                waiting: 0,
                successes: 0,
                fastest: None,
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
                nth: s.in_flight,
            })
        } else {
            None
        }
    }

    /// Waits for a free slot.
    pub async fn acquire(&self) -> Permit<'_> {
        if let Some(p) = self.try_acquire() {
            return p;
        }
        let _queued = Queued::new(self);
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

/// Counts a request waiting for a slot while it waits (also if cancelled).
struct Queued<'a>(&'a Limiter);

impl<'a> Queued<'a> {
    fn new(limiter: &'a Limiter) -> Self {
        limiter.lock().waiting += 1;
        Self(limiter)
    }
}

impl Drop for Queued<'_> {
    fn drop(&mut self) {
        self.0.lock().waiting -= 1;
    }
}

impl Permit<'_> {
    /// The request succeeded, its headers `took` after it was sent: after
    /// `limit` successes in a row, one more slot. Past `start`, only while
    /// requests queue and answers come about as fast as the fastest; never
    /// above the ceiling.
    pub fn success(&self, took: Duration) {
        let grew = {
            let mut s = self.limiter.lock();
            let fastest = s.fastest.map_or(took, |f| f.min(took));
            s.fastest = Some(fastest);
            let wanted =
                s.limit < self.limiter.start || (s.waiting > 0 && took <= fastest * QUEUED_ABOVE);
            // Only successes while more slots would be used count.
            if wanted {
                s.successes += 1;
            }
            if s.successes >= s.limit && s.limit < s.ceiling {
                s.limit += 1;
                s.successes = 0;
                true
            } else {
                false
            }
        };
        if grew {
            self.limiter.freed.notify_one();
        }
    }

    /// The server throttled this request: halve the limit (at least 1), once
    /// per limit epoch. A request sent past `start` also lowers the ceiling
    /// to just under the number in flight when it was sent.
    pub fn throttled(&self) {
        let mut s = self.limiter.lock();
        s.successes = 0;
        if self.nth > self.limiter.start {
            s.ceiling = s.ceiling.min(self.nth - 1);
        }
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

    /// A round trip the network sets.
    const RTT: Duration = Duration::from_millis(100);

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
        p.success(RTT);
        drop(p);
        assert_eq!(l.limit(), 2);
        succeed(&l, 2, RTT).await;
        assert_eq!(l.limit(), 3);
        succeed(&l, 100, RTT).await;
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

    #[tokio::test]
    async fn a_probing_limit_grows_a_slot_per_round_only_while_requests_queue() {
        let l = std::sync::Arc::new(Limiter::probing(2, 10));
        succeed(&l, 10, RTT).await;
        assert_eq!(l.limit(), 2, "nothing queued: no reason to grow");
        let a = l.acquire().await;
        let b = l.acquire().await;
        let l2 = l.clone();
        let queued = tokio::spawn(async move {
            let _p = l2.acquire().await;
        });
        tokio::task::yield_now().await;
        assert!(!queued.is_finished());
        a.success(RTT);
        assert_eq!(l.limit(), 2, "one success of a round of two");
        b.success(RTT);
        assert_eq!(l.limit(), 3, "a round of successes while one waited");
        queued.await.expect("the new slot wakes the queued request");
        succeed(&l, 10, RTT).await;
        assert_eq!(l.limit(), 3);
    }

    #[tokio::test]
    async fn a_throttled_probe_halves_and_grows_back_only_to_under_the_first_refused() {
        let l = Limiter::probing(2, 10);
        l.lock().limit = 6;
        let sent = futures_join(&l, 6).await;
        // The server took four at once: the fifth and sixth are refused.
        sent[5].throttled();
        sent[4].throttled();
        drop(sent);
        assert_eq!(l.limit(), 3, "halved once for the burst");
        l.lock().waiting = 1;
        succeed(&l, 3, RTT).await;
        assert_eq!(l.limit(), 4, "a slot per round");
        succeed(&l, 100, RTT).await;
        assert_eq!(
            l.limit(),
            4,
            "never past the fewest in flight refused, less one"
        );
    }

    #[tokio::test]
    async fn a_probe_does_not_grow_while_answers_wait_in_a_queue() {
        let l = Limiter::probing(2, 10);
        l.lock().waiting = 1;
        succeed(&l, 2, Duration::from_millis(1)).await;
        assert_eq!(l.limit(), 3, "as fast as the fastest: the network's time");
        succeed(&l, 10, Duration::from_millis(20)).await;
        assert_eq!(l.limit(), 3, "twenty times the fastest: a queue's time");
        succeed(&l, 3, Duration::from_millis(2)).await;
        assert_eq!(l.limit(), 4);
    }

    #[tokio::test]
    async fn a_fixed_limit_keeps_its_ceiling_whatever_was_refused() {
        let l = Limiter::new(4);
        let sent = futures_join(&l, 4).await;
        sent[3].throttled();
        drop(sent);
        assert_eq!(l.limit(), 2);
        succeed(&l, 20, RTT).await;
        assert_eq!(
            l.limit(),
            4,
            "recovers to its maximum without anything queued"
        );
    }

    /// `n` requests in a row, each succeeding after `took`.
    async fn succeed(l: &Limiter, n: usize, took: Duration) {
        for _ in 0..n {
            l.acquire().await.success(took);
        }
    }

    async fn futures_join(l: &Limiter, n: usize) -> Vec<Permit<'_>> {
        let mut v = Vec::new();
        for _ in 0..n {
            v.push(l.acquire().await);
        }
        v
    }
}
