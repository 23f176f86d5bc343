//! When and how long to wait before trying a failed request again.
use std::time::Duration;

/// Retry settings for transient failures (429, 5xx, dropped or truncated responses).
///
/// Defaults follow Atlassian's reference client: 4 retries, exponential
/// backoff with a jitter factor in [0.7, 1.3], capped at 30 s. A server's
/// `Retry-After` is honoured but clamped, because real Cloud has answered
/// with `Retry-After: 9223372036854775807`.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// Delay before the first retry when the server gives no `Retry-After`.
    pub base_delay: Duration,
    /// Upper bound of the computed exponential delay.
    pub max_delay: Duration,
    /// Upper bound applied to a server's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (for tests that want to see the first failure).
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }

    /// The wait before retry number `attempt` (0-based).
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after {
            return ra.min(self.max_retry_after);
        }
        let exp = self
            .base_delay
            .saturating_mul(1u32.checked_shl(attempt.min(20)).unwrap_or(u32::MAX));
        let jitter = 0.7 + 0.6 * fastrand::f64();
        exp.min(self.max_delay).mul_f64(jitter)
    }
}

/// Parses a `Retry-After` header given in seconds (the form Confluence uses).
/// Absurd values saturate instead of overflowing; the policy clamps them.
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_clamped() {
        let p = RetryPolicy::default();
        let huge = parse_retry_after("9223372036854775807").unwrap();
        assert_eq!(p.delay(0, Some(huge)), p.max_retry_after);
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        let absurd = parse_retry_after("99999999999999999999999").unwrap();
        assert_eq!(p.delay(0, Some(absurd)), p.max_retry_after);
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
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after(""), None);
        assert_eq!(parse_retry_after("-1"), None);
    }
}
