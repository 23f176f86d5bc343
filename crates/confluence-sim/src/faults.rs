//! Fault injection (`PUT /__sim/faults`): a token-bucket rate limiter with
//! Confluence's 429 headers, random 5xx, latency, dropped connections and
//! truncated bodies. One seeded stream of draws, so a sequential client sees
//! the same faults on every run.

use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::Deserialize;

use crate::http::Resp;
use crate::model::time;
use crate::site::rng::SplitMix64;

/// The JSON accepted by `PUT /__sim/faults` (every field optional).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultSpec {
    pub rate_limit_per_sec: Option<f64>,
    pub burst: Option<f64>,
    pub error_rate: f64,
    pub error_statuses: Vec<u16>,
    pub latency_ms: u64,
    pub drop_connection_rate: f64,
    pub truncate_body_rate: f64,
    /// A listing answer loses its last result and its `next` link (a short
    /// but well-formed listing, as proxies and overloaded servers give),
    /// its announced `totalSize` kept.
    pub short_listing_rate: f64,
    /// `"seconds"` (default), `"absent"`, `"huge"` (Long.MAX) or a number of seconds.
    pub retry_after: Option<String>,
    pub seed: u64,
    /// Only requests whose decoded path and query contain this text are
    /// faulted (e.g. `type = comment`): one endpoint failing while the rest
    /// of the site answers.
    pub only_matching: Option<String>,
}

impl FaultSpec {
    pub fn validate(&self) -> Result<(), String> {
        let unit = |name: &str, v: f64| {
            if (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(format!("{name} must be within 0..=1"))
            }
        };
        unit("error_rate", self.error_rate)?;
        unit("drop_connection_rate", self.drop_connection_rate)?;
        unit("truncate_body_rate", self.truncate_body_rate)?;
        unit("short_listing_rate", self.short_listing_rate)?;
        if let Some(r) = self.rate_limit_per_sec {
            if !(r > 0.0 && r.is_finite()) {
                return Err("rate_limit_per_sec must be positive".into());
            }
        }
        if let Some(b) = self.burst {
            if !(b >= 1.0 && b.is_finite()) {
                return Err("burst must be at least 1".into());
            }
        }
        // 401 and 403 too: credentials refused at one endpoint
        // (`only_matching`) while the rest of the site answers.
        for s in &self.error_statuses {
            if !(500..=599).contains(s) && !matches!(*s, 429 | 401 | 403) {
                return Err(format!("error_statuses: {s} is not a 5xx, 429, 401 or 403"));
            }
        }
        match self.retry_after.as_deref() {
            None | Some("seconds") | Some("absent") | Some("huge") => Ok(()),
            Some(n) if n.parse::<u64>().is_ok() => Ok(()),
            Some(o) => Err(format!(
                "retry_after: {o:?} is not seconds|absent|huge|<number>"
            )),
        }
    }
}

struct Active {
    spec: FaultSpec,
    rng: SplitMix64,
    tokens: f64,
    last: Instant,
}

#[derive(Default)]
pub struct Faults {
    active: Mutex<Option<Active>>,
}

/// What to do with one API request.
pub enum Decision {
    /// Serve it (after `latency`), maybe truncating the body or shortening
    /// a listing; `headers` are rate-limit headers to add.
    Serve {
        latency: Duration,
        truncate: bool,
        shorten: bool,
        headers: Vec<(String, String)>,
    },
    /// Answer with this response instead (429 / 5xx).
    Reject { latency: Duration, resp: Resp },
    /// Close the connection without answering.
    Drop { latency: Duration },
}

const LONG_MAX: &str = "9223372036854775807";

impl Faults {
    pub fn set(&self, spec: FaultSpec) {
        let tokens = spec
            .burst
            .or(spec.rate_limit_per_sec)
            .unwrap_or(1.0)
            .max(1.0);
        *self.active.lock() = Some(Active {
            rng: SplitMix64::new(spec.seed),
            spec,
            tokens,
            last: Instant::now(),
        });
    }

    pub fn clear(&self) {
        *self.active.lock() = None;
    }

    pub fn current(&self) -> Option<FaultSpec> {
        self.active.lock().as_ref().map(|a| a.spec.clone())
    }

    /// What to do with the request for `target` (its decoded path and query).
    pub fn decide(&self, target: &str) -> Decision {
        let mut g = self.active.lock();
        let Some(a) = g.as_mut().filter(|a| {
            a.spec
                .only_matching
                .as_deref()
                .is_none_or(|m| target.contains(m))
        }) else {
            return Decision::Serve {
                latency: Duration::ZERO,
                truncate: false,
                shorten: false,
                headers: Vec::new(),
            };
        };
        let latency = Duration::from_millis(a.spec.latency_ms);
        // Always three draws per request so the stream stays aligned.
        let (d_drop, d_err, d_trunc) = (a.rng.unit(), a.rng.unit(), a.rng.unit());
        let pick = a.rng.next_u64();
        // Drawn only when asked for, so older specs keep their streams.
        let shorten = a.spec.short_listing_rate > 0.0 && a.rng.unit() < a.spec.short_listing_rate;
        let mut headers = Vec::new();
        if let Some(rate) = a.spec.rate_limit_per_sec {
            let burst = a.spec.burst.unwrap_or(rate).max(1.0);
            let now = Instant::now();
            a.tokens = (a.tokens + now.duration_since(a.last).as_secs_f64() * rate).min(burst);
            a.last = now;
            let full_in = (burst - a.tokens).max(0.0) / rate;
            let reset = time::iso(time::now() + (full_in * 1000.0) as i64);
            let base =
                |remaining: f64| rate_limit_headers(rate, remaining, burst, &reset, Some(rate));
            if a.tokens < 1.0 {
                let wait = ((1.0 - a.tokens) / rate).ceil().max(1.0) as u64;
                let resp = too_many_requests(base(0.0), retry_after(&a.spec, wait));
                return Decision::Reject { latency, resp };
            }
            a.tokens -= 1.0;
            headers = base(a.tokens);
        }
        if d_drop < a.spec.drop_connection_rate {
            return Decision::Drop { latency };
        }
        if d_err < a.spec.error_rate {
            let statuses = if a.spec.error_statuses.is_empty() {
                &[500u16, 502, 503][..]
            } else {
                &a.spec.error_statuses[..]
            };
            let status = statuses[(pick % statuses.len() as u64) as usize];
            let reason = match status {
                500 => "Internal Server Error",
                502 => "Bad Gateway",
                503 => "Service Unavailable",
                504 => "Gateway Timeout",
                429 => "Too Many Requests",
                401 => "Unauthorized",
                403 => "Forbidden",
                _ => "Server Error",
            };
            let mut resp = Resp::json(
                status,
                &serde_json::json!({"statusCode": status, "message": reason}),
            );
            if status == 503 || status == 429 {
                if let Some(v) = retry_after(&a.spec, 1) {
                    resp.set("Retry-After", &v);
                }
            }
            return Decision::Reject { latency, resp };
        }
        Decision::Serve {
            latency,
            truncate: d_trunc < a.spec.truncate_body_rate,
            shorten,
            headers,
        }
    }
}

/// Confluence Cloud's rate-limit headers for a limit of `limit` with
/// `remaining` of `burst` left, full again at `reset` (ISO 8601), refilled
/// at `refill` requests a second when the limit is a rate (a cap on
/// requests in flight has none, and says none: a client paces to it).
pub fn rate_limit_headers(
    limit: f64,
    remaining: f64,
    burst: f64,
    reset: &str,
    refill: Option<f64>,
) -> Vec<(String, String)> {
    let mut headers = vec![
        (
            "X-RateLimit-Limit".to_string(),
            format!("{}", limit.ceil() as u64),
        ),
        (
            "X-RateLimit-Remaining".to_string(),
            format!("{}", remaining.floor() as u64),
        ),
        ("X-RateLimit-Reset".to_string(), reset.to_string()),
        (
            "X-RateLimit-NearLimit".to_string(),
            (remaining < 0.2 * burst).to_string(),
        ),
    ];
    if let Some(rate) = refill {
        headers.push((
            "X-RateLimit-FillRate".to_string(),
            format!("{}", rate.ceil() as u64),
        ));
        headers.push(("X-RateLimit-Interval-Seconds".to_string(), "1".to_string()));
    }
    headers
}

/// Confluence's 429 answer: JSON body, `headers` (from
/// [`rate_limit_headers`]), the burst reason and `Retry-After` when given.
pub fn too_many_requests(headers: Vec<(String, String)>, retry_after: Option<String>) -> Resp {
    let mut resp = Resp::json(
        429,
        &serde_json::json!({"statusCode": 429, "message": "Rate limit exceeded"}),
    );
    for (k, v) in headers {
        resp.set(&k, &v);
    }
    resp.set("RateLimit-Reason", "confluence-burst-based");
    if let Some(v) = retry_after {
        resp.set("Retry-After", &v);
    }
    resp
}

fn retry_after(spec: &FaultSpec, secs: u64) -> Option<String> {
    match spec.retry_after.as_deref() {
        None | Some("seconds") => Some(secs.to_string()),
        Some("absent") => None,
        Some("huge") => Some(LONG_MAX.to_string()),
        Some(n) => Some(n.to_string()),
    }
}

/// `resp` as a short listing: its last result and its `next` link gone
/// (`size` follows, `totalSize` stays as announced). Other answers are
/// returned as they are.
pub fn shortened(resp: Resp) -> Resp {
    let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&resp.body_bytes()) else {
        return resp;
    };
    let Some(results) = v.get_mut("results").and_then(|r| r.as_array_mut()) else {
        return resp;
    };
    if results.pop().is_none() {
        return resp;
    }
    let left = results.len();
    if let Some(size) = v.get_mut("size") {
        *size = left.into();
    }
    if let Some(links) = v.get_mut("_links").and_then(|l| l.as_object_mut()) {
        links.remove("next");
    }
    let mut out = Resp::json(resp.status.as_u16(), &v);
    out.items = Some(left as u64);
    for (k, val) in &resp.headers {
        let name = k.as_str();
        if !name.eq_ignore_ascii_case("link") && !name.eq_ignore_ascii_case("content-type") {
            if let Ok(val) = val.to_str() {
                out.set(name, val);
            }
        }
    }
    out
}

#[cfg(test)]
mod short_listing_tests {
    use super::*;

    #[test]
    fn a_shortened_listing_loses_its_last_result_and_next_link_only() {
        let resp = Resp::json(
            200,
            &serde_json::json!({
                "results": [{"id": "1"}, {"id": "2"}],
                "size": 2,
                "totalSize": 5,
                "_links": {"next": "/next?cursor=x", "base": "http://h"},
            }),
        )
        .with("Link", "</next?cursor=x>; rel=\"next\"")
        .with("X-Other", "kept");
        let short = shortened(resp);
        let v: serde_json::Value = serde_json::from_slice(&short.body_bytes()).unwrap();
        assert_eq!(v["results"], serde_json::json!([{"id": "1"}]));
        assert_eq!(v["size"], 1);
        assert_eq!(v["totalSize"], 5);
        assert!(v["_links"].get("next").is_none());
        assert_eq!(v["_links"]["base"], "http://h");
        assert!(short.headers.iter().all(|(k, _)| k.as_str() != "link"));
        assert!(short.headers.iter().any(|(k, _)| k.as_str() == "x-other"));
        // Not a listing: as it was.
        let other = shortened(Resp::json(200, &serde_json::json!({"id": "1"})));
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&other.body_bytes()).unwrap(),
            serde_json::json!({"id": "1"})
        );
    }
}
