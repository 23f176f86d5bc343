//! When the next request may leave: a pause shared by every request after
//! the server throttled us, and pacing to the rate the server advertises
//! so that we rarely get throttled at all.
//!
//! Pacing is GCRA (the virtual-clock form of a token bucket): each request
//! moves a theoretical arrival time `tat` on by one emission interval; a
//! request may leave once `tat - tolerance` has passed, where the tolerance
//! is the server's burst. The server's `X-RateLimit-Remaining` only ever
//! corrects our estimate downwards, so we err on the slow side.
use crate::retry::RateHeaders;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

/// Pace a little under the advertised rate: a request that arrives a hair
/// early is answered 429 with a whole second of `Retry-After`.
const RATE_MARGIN: f64 = 0.95;

#[derive(Debug, Default)]
pub(crate) struct Gate {
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Nobody sends before this (set by a 429's wait).
    not_before: Option<Instant>,
    pace: Option<Pace>,
    /// Until when requests are already known to be held back, so that
    /// overlapping waits are counted once in `Stats::throttled`.
    held_until: Option<Instant>,
}

#[derive(Debug)]
struct Pace {
    /// Seconds between requests.
    interval: f64,
    /// Requests the server lets through at once.
    burst: f64,
    /// Theoretical arrival time of the next request.
    tat: Instant,
}

impl Pace {
    fn tolerance(&self) -> Duration {
        Duration::from_secs_f64(self.interval * (self.burst - 1.0).max(0.0))
    }
}

/// When one request may leave, and how much of its wait is new throttling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Admission {
    pub wait: Duration,
    pub newly_held: Duration,
}

impl Gate {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every request pauses until `now + wait`; returns how much later the
    /// pause now ends than before (zero when it already lasted that long).
    pub fn pause(&self, now: Instant, wait: Duration) -> Duration {
        let mut s = self.lock();
        let until = now + wait;
        let before = s.not_before.filter(|t| *t > now).unwrap_or(now);
        if until <= before {
            return Duration::ZERO;
        }
        s.not_before = Some(until);
        // Slots handed out before the pause are void (their holders take new
        // ones after it), and the server's bucket refills meanwhile: pacing
        // starts again from the end of the pause.
        if let Some(p) = s.pace.as_mut() {
            p.tat = until;
        }
        until - before
    }

    /// How long the shared pause still lasts.
    pub fn paused_for(&self, now: Instant) -> Duration {
        self.lock()
            .not_before
            .map_or(Duration::ZERO, |t| t.saturating_duration_since(now))
    }

    /// Takes a slot for one request: leave after `wait`. Pacing waits are
    /// bounded by `max_wait` so that an absurd advertised rate cannot hang.
    pub fn admit(&self, now: Instant, max_wait: Duration) -> Admission {
        let mut s = self.lock();
        let mut at = s.not_before.filter(|t| *t > now).unwrap_or(now);
        if let Some(p) = s.pace.as_mut() {
            let earliest = p.tat.checked_sub(p.tolerance()).unwrap_or(now);
            at = at.max(earliest).min(now + max_wait);
            p.tat = p.tat.max(at) + Duration::from_secs_f64(p.interval);
        }
        let held_from = s.held_until.filter(|t| *t > now).unwrap_or(now);
        let newly_held = at.saturating_duration_since(held_from);
        if at > held_from {
            s.held_until = Some(at);
        }
        Admission {
            wait: at - now,
            newly_held,
        }
    }

    /// Learns the server's rate and what is left of its burst from a
    /// response; `later` requests were sent after this one (the server's
    /// count cannot include them yet).
    pub fn observe(&self, now: Instant, h: &RateHeaders, later: usize) {
        let (Some(rate), Some(remaining)) = (h.fill_rate, h.remaining) else {
            return;
        };
        let interval = 1.0 / (rate * RATE_MARGIN);
        let mut s = self.lock();
        let p = s.pace.get_or_insert(Pace {
            interval,
            burst: 1.0,
            tat: now,
        });
        p.interval = interval;
        // The server had at least `remaining + 1` before answering us.
        p.burst = p.burst.max(remaining + 1.0);
        // `free` requests may leave now: tat = now + tolerance + (1 - free)·interval.
        let free = remaining - later as f64;
        let back = Duration::from_secs_f64(p.interval * (free - 1.0).abs());
        let base = now + p.tolerance();
        let implied = if free >= 1.0 {
            base.checked_sub(back).unwrap_or(now)
        } else {
            base + back
        };
        p.tat = p.tat.max(implied);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(remaining: f64, rate: f64) -> RateHeaders {
        RateHeaders {
            remaining: Some(remaining),
            fill_rate: Some(rate),
            ..RateHeaders::default()
        }
    }

    const LONG: Duration = Duration::from_secs(60);

    #[test]
    fn a_pause_holds_everyone_and_only_grows() {
        let g = Gate::default();
        let now = Instant::now();
        assert_eq!(g.pause(now, Duration::from_secs(2)), Duration::from_secs(2));
        assert_eq!(g.pause(now, Duration::from_secs(1)), Duration::ZERO);
        assert_eq!(g.paused_for(now), Duration::from_secs(2));
        assert_eq!(g.admit(now, LONG).wait, Duration::from_secs(2));
        assert_eq!(
            g.admit(now, LONG).newly_held,
            Duration::ZERO,
            "counted once"
        );
        let later = now + Duration::from_secs(3);
        assert_eq!(g.paused_for(later), Duration::ZERO);
        assert_eq!(g.admit(later, LONG).wait, Duration::ZERO);
    }

    #[test]
    fn without_rate_headers_nothing_is_paced() {
        let g = Gate::default();
        let now = Instant::now();
        g.observe(now, &RateHeaders::default(), 0);
        for _ in 0..100 {
            assert_eq!(g.admit(now, LONG).wait, Duration::ZERO);
        }
    }

    #[test]
    fn paces_below_the_advertised_rate_after_the_burst() {
        let g = Gate::default();
        let now = Instant::now();
        // The server has 4 left of a burst of 5, refilling 10/s.
        g.observe(now, &headers(4.0, 10.0), 0);
        let waits: Vec<Duration> = (0..8).map(|_| g.admit(now, LONG).wait).collect();
        assert!(waits[..4].iter().all(|w| w.is_zero()), "{waits:?}");
        // Then one request per 1/(10·RATE_MARGIN) s.
        let step = 1.0 / (10.0 * RATE_MARGIN);
        for (i, w) in waits[4..].iter().enumerate() {
            let want = step * (i + 1) as f64;
            assert!((w.as_secs_f64() - want).abs() < 1e-6, "{waits:?}");
        }
    }

    #[test]
    fn requests_sent_later_count_against_what_remains() {
        let g = Gate::default();
        let now = Instant::now();
        g.observe(now, &headers(2.0, 10.0), 2);
        assert!(g.admit(now, LONG).wait > Duration::ZERO);
    }

    /// Slots handed out before a pause are void: after it, the server's
    /// burst leaves at its end and the rest are paced from there, however
    /// many slots were reserved beyond it.
    #[test]
    fn a_pause_restarts_pacing_at_its_end() {
        let g = Gate::default();
        let now = Instant::now();
        // A burst of 10 at 40/s; 200 slots reach 5 s ahead.
        g.observe(now, &headers(9.0, 40.0), 0);
        for _ in 0..200 {
            g.admit(now, LONG);
        }
        let pause = Duration::from_secs(3);
        g.pause(now, pause);
        let end = now + pause;
        let waits: Vec<Duration> = (0..12).map(|_| g.admit(end, LONG).wait).collect();
        assert!(waits[..10].iter().all(|w| w.is_zero()), "{waits:?}");
        let step = 1.0 / (40.0 * RATE_MARGIN);
        assert!((waits[10].as_secs_f64() - step).abs() < 1e-6, "{waits:?}");
    }

    #[test]
    fn pacing_waits_are_bounded() {
        let g = Gate::default();
        let now = Instant::now();
        g.observe(now, &headers(0.0, 0.000_001), 0);
        let w = g.admit(now, Duration::from_millis(50)).wait;
        assert_eq!(w, Duration::from_millis(50));
    }
}
