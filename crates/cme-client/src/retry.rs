//! When to try a failed request again, and for how long.
use reqwest::header::HeaderMap;
use std::time::{Duration, SystemTime};

/// Retry settings for transient failures (408, 429, 5xx, dropped
/// connections, bodies cut short). A complete body that does not parse and
/// other 4xx answers are permanent and never retried.
///
/// The budget is time, not a count of attempts: a long 429 storm or a flaky
/// proxy is ridden out as long as the request's first attempt is less than
/// [`Self::max_elapsed`] ago. Waits grow exponentially with a jitter factor
/// in [0.7, 1.3] (Atlassian's reference client), capped at
/// [`Self::max_delay`]. A server's `Retry-After` is honoured but clamped to
/// [`Self::max_retry_after`], because real Cloud has answered with
/// `Retry-After: 9223372036854775807`.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Give up once this much time has passed since the first attempt.
    pub max_elapsed: Duration,
    /// An optional cap on attempts as well (tests use it to stay
    /// deterministic); `None` in normal use.
    pub max_attempts: Option<u32>,
    /// Delay before the first retry when the server gives no wait.
    pub base_delay: Duration,
    /// Upper bound of the computed exponential delay.
    pub max_delay: Duration,
    /// Upper bound applied to any wait the server asks for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_elapsed: Duration::from_secs(300),
            max_attempts: None,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (for tests that want to see the first failure).
    pub fn none() -> Self {
        Self {
            max_elapsed: Duration::ZERO,
            max_attempts: Some(1),
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (0-based): the server's wait if
    /// it gave one (clamped), else capped exponential backoff with jitter.
    /// A zero wait (Data Center sends `Retry-After: 0`) counts as none, so
    /// a throttling server is not hammered.
    pub fn delay(&self, retry: u32, server_wait: Option<Duration>) -> Duration {
        if let Some(w) = server_wait.filter(|w| !w.is_zero()) {
            return self.clamp(w);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(retry.min(20)).unwrap_or(u32::MAX));
        let jitter = 0.7 + 0.6 * fastrand::f64();
        exp.min(self.max_delay).mul_f64(jitter)
    }

    /// A server-requested wait, bounded.
    pub(crate) fn clamp(&self, wait: Duration) -> Duration {
        wait.min(self.max_retry_after)
    }

    /// Whether another attempt fits: `attempts` made so far, and the time
    /// since the first one once the next wait is over.
    pub(crate) fn allows(&self, attempts: u32, elapsed_after_wait: Duration) -> bool {
        self.max_attempts.is_none_or(|m| attempts < m) && elapsed_after_wait <= self.max_elapsed
    }
}

/// What a response says about the server's rate limit.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct RateHeaders {
    /// `Retry-After` (seconds or HTTP-date), else `Beta-Retry-After`.
    pub retry_after: Option<Duration>,
    /// `X-RateLimit-Remaining`.
    pub remaining: Option<f64>,
    /// Time until `X-RateLimit-Reset` (ISO 8601), if in the future.
    pub reset_in: Option<Duration>,
    /// Requests per second the server refills
    /// (`X-RateLimit-FillRate` / `X-RateLimit-Interval-Seconds`).
    pub fill_rate: Option<f64>,
}

impl RateHeaders {
    /// Reads the rate-limit headers; garbage values are ignored.
    pub(crate) fn parse(h: &HeaderMap, now: SystemTime) -> Self {
        let text = |name: &str| h.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let number = |name: &str| {
            text(name)
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|n| n.is_finite() && *n >= 0.0)
        };
        let retry_after = text("retry-after")
            .and_then(|v| parse_retry_after(v, now))
            .or_else(|| text("beta-retry-after").and_then(|v| parse_retry_after(v, now)));
        let reset_in = text("x-ratelimit-reset")
            .and_then(|v| humantime::parse_rfc3339_weak(v).ok())
            .and_then(|t| t.duration_since(now).ok());
        let interval = number("x-ratelimit-interval-seconds")
            .filter(|i| *i > 0.0)
            .unwrap_or(1.0);
        let fill_rate = number("x-ratelimit-fillrate")
            .filter(|f| *f > 0.0)
            .map(|f| f / interval);
        Self {
            retry_after,
            remaining: number("x-ratelimit-remaining"),
            reset_in,
            fill_rate,
        }
    }

    /// How long a throttled (429) request should wait, if the server said.
    pub(crate) fn throttle_wait(&self) -> Option<Duration> {
        self.retry_after.or(self.reset_in)
    }
}

/// Parses `Retry-After`: delay-seconds or an HTTP-date. Absurd numbers
/// saturate instead of overflowing; the policy clamps them.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn now() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    #[test]
    fn retry_after_is_clamped() {
        let p = RetryPolicy::default();
        let huge = parse_retry_after("9223372036854775807", now()).unwrap();
        assert_eq!(p.delay(0, Some(huge)), p.max_retry_after);
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        let absurd = parse_retry_after("99999999999999999999999", now()).unwrap();
        assert_eq!(p.delay(0, Some(absurd)), p.max_retry_after);
        assert!(p.delay(0, Some(Duration::ZERO)) >= p.base_delay.mul_f64(0.7));
    }

    #[test]
    fn retry_after_reads_http_dates() {
        let later = httpdate::fmt_http_date(now() + Duration::from_secs(7));
        assert_eq!(
            parse_retry_after(&later, now()),
            Some(Duration::from_secs(7))
        );
        let past = httpdate::fmt_http_date(now() - Duration::from_secs(7));
        assert_eq!(parse_retry_after(&past, now()), Some(Duration::ZERO));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        let first = p.delay(0, None);
        assert!(first >= Duration::from_millis(350) && first <= Duration::from_millis(650));
        let late = p.delay(30, None);
        assert!(late <= p.max_delay.mul_f64(1.3));
        assert!(late >= p.max_delay.mul_f64(0.7));
    }

    #[test]
    fn garbage_retry_after_is_ignored() {
        assert_eq!(parse_retry_after("soon", now()), None);
        assert_eq!(parse_retry_after("", now()), None);
        assert_eq!(parse_retry_after("-1", now()), None);
    }

    #[test]
    fn budget_is_time_and_optional_attempts() {
        let p = RetryPolicy::default();
        assert!(p.allows(1000, Duration::from_secs(299)));
        assert!(!p.allows(2, Duration::from_secs(301)));
        assert!(!RetryPolicy::none().allows(1, Duration::ZERO));
    }

    #[test]
    fn rate_headers_are_read() {
        let mut h = HeaderMap::new();
        h.insert("x-ratelimit-remaining", HeaderValue::from_static("3"));
        h.insert("x-ratelimit-fillrate", HeaderValue::from_static("20"));
        h.insert(
            "x-ratelimit-interval-seconds",
            HeaderValue::from_static("2"),
        );
        let reset = humantime::format_rfc3339_millis(now() + Duration::from_millis(1500));
        h.insert(
            "x-ratelimit-reset",
            HeaderValue::from_str(&reset.to_string()).unwrap(),
        );
        h.insert("beta-retry-after", HeaderValue::from_static("4"));
        let r = RateHeaders::parse(&h, now());
        assert_eq!(r.remaining, Some(3.0));
        assert_eq!(r.fill_rate, Some(10.0));
        assert_eq!(r.reset_in, Some(Duration::from_millis(1500)));
        assert_eq!(r.retry_after, Some(Duration::from_secs(4)));
        h.insert("retry-after", HeaderValue::from_static("2"));
        let r = RateHeaders::parse(&h, now());
        assert_eq!(r.throttle_wait(), Some(Duration::from_secs(2)));
        h.insert("x-ratelimit-fillrate", HeaderValue::from_static("NaN"));
        assert_eq!(RateHeaders::parse(&h, now()).fill_rate, None);
    }
}
