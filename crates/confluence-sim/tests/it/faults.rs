//! Fault injection (`PUT /__sim/faults`): token-bucket 429s with the Cloud
//! rate-limit headers, random 5xx, latency, dropped connections and truncated
//! bodies, all deterministic per seed, and `DELETE` restores normal service.

use crate::common;

use std::time::{Duration, Instant};

use common::{Sim, SimConfig, send};
use serde_json::{Value, json};

fn sim() -> Sim {
    common::cloud(SimConfig::demo())
}

fn faults(sim: &Sim, cfg: Value) {
    sim.control_ok("PUT", "/__sim/faults", Some(cfg));
}

fn clear(sim: &Sim) {
    sim.control_ok("DELETE", "/__sim/faults", None);
}

/// Status codes of `n` sequential GETs (0 = transport error).
fn statuses(sim: &Sim, n: usize) -> Vec<u16> {
    let agent = common::agent();
    let url = sim.url(&sim.v2("/spaces"));
    let auth = sim.auth();
    (0..n)
        .map(|_| {
            send(&agent, "GET", &url, &[("authorization", &auth)], None)
                .map(|r| r.status)
                .unwrap_or(0)
        })
        .collect()
}

#[test]
fn token_bucket_429_with_headers() {
    let sim = sim();
    faults(
        &sim,
        json!({"rate_limit_per_sec": 0.5, "burst": 3, "retry_after": "seconds", "seed": 1}),
    );
    let mut ok = 0;
    let mut limited = None;
    for _ in 0..10 {
        let r = sim.get(&sim.v2("/spaces"));
        match r.status {
            200 => ok += 1,
            429 => {
                limited = Some(r);
                break;
            }
            s => panic!("unexpected status {s}"),
        }
    }
    assert_eq!(ok, 3, "the burst of 3 is served before throttling");
    let r = limited.expect("a 429 after the burst");
    let retry: u64 = r
        .header("retry-after")
        .expect("Retry-After on 429")
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    let limit = r.header("x-ratelimit-limit").expect("X-RateLimit-Limit");
    assert!(limit.parse::<f64>().is_ok(), "{limit}");
    // Documented companions (api notes section 9): ISO 8601 reset time,
    // near-limit flag below 20% remaining, and the reason.
    let reset = r.header("x-ratelimit-reset").expect("X-RateLimit-Reset");
    let b = reset.as_bytes();
    assert!(
        b.len() >= 20 && b[4] == b'-' && b[10] == b'T' && reset.ends_with('Z'),
        "ISO 8601 reset: {reset}"
    );
    assert_eq!(r.header("x-ratelimit-nearlimit"), Some("true"));
    let reason = r.header("ratelimit-reason").unwrap_or("");
    assert!(
        [
            "confluence-burst-based",
            "confluence-quota-global-based",
            "confluence-quota-tenant-based"
        ]
        .contains(&reason),
        "RateLimit-Reason {reason:?}"
    );
    // The bucket refills one token every 2 s (slow enough that a loaded CI
    // machine still sends the burst before the first refill).
    std::thread::sleep(Duration::from_millis(2200));
    assert_eq!(sim.get(&sim.v2("/spaces")).status, 200, "refilled");
    clear(&sim);
    assert!(
        statuses(&sim, 20).iter().all(|s| *s == 200),
        "DELETE clears"
    );
}

#[test]
fn retry_after_modes() {
    let sim = sim();
    faults(
        &sim,
        json!({"rate_limit_per_sec": 0.001, "burst": 1, "retry_after": "absent", "seed": 1}),
    );
    let s = statuses(&sim, 2);
    assert_eq!(s, vec![200, 429]);
    let r = sim.get(&sim.v2("/spaces"));
    assert_eq!(r.status, 429);
    assert_eq!(r.header("retry-after"), None, "absent mode");

    faults(
        &sim,
        json!({"rate_limit_per_sec": 0.001, "burst": 1, "retry_after": "huge", "seed": 1}),
    );
    let _ = statuses(&sim, 1);
    let r = sim.get(&sim.v2("/spaces"));
    assert_eq!(r.status, 429);
    let v: u128 = r
        .header("retry-after")
        .expect("huge Retry-After")
        .parse()
        .unwrap();
    assert!(v >= 1_000_000_000, "pathological Retry-After, got {v}");
    clear(&sim);
}

#[test]
fn random_5xx_at_rate_and_deterministic() {
    let sim = sim();
    let cfg = json!({"error_rate": 0.3, "error_statuses": [500, 502, 503], "seed": 42});
    faults(&sim, cfg.clone());
    let first = statuses(&sim, 300);
    let errors = first.iter().filter(|s| **s >= 500).count();
    assert!(
        (60..=120).contains(&errors),
        "about 30% of 300 should fail, got {errors}"
    );
    assert!(
        first.iter().all(|s| [200, 500, 502, 503].contains(s)),
        "{first:?}"
    );
    for want in [500, 502, 503] {
        assert!(first.contains(&want), "status {want} never drawn");
    }
    // 503 carries Retry-After.
    faults(
        &sim,
        json!({"error_rate": 1.0, "error_statuses": [503], "seed": 3}),
    );
    let r = sim.get(&sim.v2("/spaces"));
    assert_eq!(r.status, 503);
    assert!(r.header("retry-after").is_some(), "503 carries Retry-After");

    // Same seed, same sequence; another seed, another sequence.
    faults(&sim, cfg.clone());
    assert_eq!(statuses(&sim, 300), first, "same seed, same sequence");
    let mut other = cfg;
    other["seed"] = json!(43);
    faults(&sim, other);
    assert_ne!(statuses(&sim, 300), first, "seed changes the sequence");
    clear(&sim);
    assert!(statuses(&sim, 30).iter().all(|s| *s == 200));
}

#[test]
fn latency_is_added() {
    let sim = sim();
    faults(&sim, json!({"latency_ms": 250, "seed": 1}));
    let t = Instant::now();
    assert_eq!(sim.get(&sim.v2("/spaces")).status, 200);
    assert!(
        t.elapsed() >= Duration::from_millis(240),
        "latency not applied: {:?}",
        t.elapsed()
    );
    clear(&sim);
}

#[test]
fn dropped_connections_and_truncated_bodies() {
    let sim = sim();
    let url = sim.url(&sim.v2("/pages?limit=50&body-format=storage"));
    let auth = sim.auth();
    let h = [("authorization", auth.as_str())];

    faults(&sim, json!({"drop_connection_rate": 1.0, "seed": 1}));
    for _ in 0..3 {
        let r = send(&common::agent(), "GET", &url, &h, None);
        assert!(
            r.is_err(),
            "dropped connection must be a client error: {:?}",
            r.map(|r| r.status)
        );
    }
    // The control API is never faulted.
    clear(&sim);
    assert_eq!(sim.get(&sim.v2("/spaces")).status, 200);

    faults(&sim, json!({"truncate_body_rate": 1.0, "seed": 1}));
    for _ in 0..3 {
        match send(&common::agent(), "GET", &url, &h, None) {
            Err(_) => {}
            Ok(r) => {
                // A client that does not detect the short read gets invalid JSON.
                assert!(
                    serde_json::from_slice::<Value>(&r.body).is_err(),
                    "truncated body parsed as complete JSON ({} bytes)",
                    r.body.len()
                );
            }
        }
    }
    clear(&sim);
    let full = sim.get(&sim.v2("/pages?limit=50&body-format=storage"));
    assert_eq!(full.status, 200);
    full.json();
}

#[test]
fn partial_rates_mix_faults_deterministically() {
    let sim = sim();
    let cfg = json!({"drop_connection_rate": 0.2, "truncate_body_rate": 0.2, "seed": 9});
    faults(&sim, cfg.clone());
    let a = statuses(&sim, 100);
    faults(&sim, cfg);
    let b = statuses(&sim, 100);
    assert_eq!(a, b, "same seed, same fault pattern");
    let failed = a.iter().filter(|s| **s == 0).count();
    assert!(
        (15..=60).contains(&failed),
        "about 36% failures expected, got {failed}"
    );
    clear(&sim);
}
