//! Export under a rate limit, against the best any client could do.
//!
//! Exports a generated site once unthrottled (to count the requests it
//! needs, N) and once with the simulator's token bucket at `RATE` requests/s
//! and `BURST`. No client can beat `(N - BURST) / RATE` seconds; the bench
//! prints the throttled wall time, that ideal and their ratio (goal: within
//! 1.3x), plus how many requests were answered 429.
//!
//! `cargo bench -p cme --bench throttle`; `CME_BENCH_SPEC` picks the site
//! (default `pages=2000,spaces=1,depth=5,attachments=0.2,body_kb=1,seed=21`),
//! `CME_BENCH_RATE` and `CME_BENCH_BURST` the limit (default 20 and 10);
//! `CME_BENCH_429_RATE` (default 0) adds that share of random 429s with
//! `Retry-After: CME_BENCH_RETRY_AFTER` seconds (default 3), on top of the limit.
use cme::sync::Selection;
use cme::sync::{Start, SyncRequest};
use cme_client::{Client, ClientConfig, Credentials, Flavor, Secret, Stats};
use confluence_sim::SimHandle;
use std::time::{Duration, Instant};

const DEFAULT_SPEC: &str = "pages=2000,spaces=1,depth=5,attachments=0.2,body_kb=1,seed=21";

fn env_f64(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One export into a fresh folder: wall time, the client's stats and the
/// requests the simulator counted.
fn export(sim: &SimHandle, name: &str) -> (Duration, Stats, u64) {
    sim.control("POST", "/__sim/stats/reset", None);
    let out =
        std::env::temp_dir().join(format!("cme-bench-throttle-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let client = Client::new(ClientConfig::new(
        sim.url(),
        Flavor::Cloud,
        Credentials::Basic {
            email: "sim@example.com".into(),
            token: Secret::new("sim-token"),
        },
    ))
    .expect("client");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let start = Start::Export {
        scope: Selection::AllSpaces.scope(),
        append: false,
    };
    let began = Instant::now();
    let outcome = rt
        .block_on(cme::sync::run(
            &client,
            SyncRequest::new(&out, start),
            &cme::cli::progress::Silent,
        ))
        .expect("export succeeds");
    let wall = began.elapsed();
    assert!(outcome.failures.is_empty(), "{}", outcome.render());
    let _ = std::fs::remove_dir_all(&out);
    let requests = sim.control("GET", "/__sim/stats", None).1["requests"]
        .as_u64()
        .unwrap_or(0);
    (wall, client.stats(), requests)
}

fn main() {
    let spec = std::env::var("CME_BENCH_SPEC").unwrap_or_else(|_| DEFAULT_SPEC.into());
    let rate = env_f64("CME_BENCH_RATE", 20.0);
    let burst = env_f64("CME_BENCH_BURST", 10.0);
    let injected = env_f64("CME_BENCH_429_RATE", 0.0);
    let retry_after = env_f64("CME_BENCH_RETRY_AFTER", 3.0);
    let sim = confluence_sim::spawn(
        confluence_sim::SimConfig::generate(&spec).expect("valid CME_BENCH_SPEC"),
    )
    .expect("simulator starts");

    let (free_wall, _, needed) = export(&sim, "free");
    let (status, body) = sim.control(
        "PUT",
        "/__sim/faults",
        Some(if injected > 0.0 {
            serde_json::json!({"rate_limit_per_sec": rate, "burst": burst,
                "error_rate": injected, "error_statuses": [429],
                "retry_after": retry_after.to_string(), "seed": 7})
        } else {
            serde_json::json!({"rate_limit_per_sec": rate, "burst": burst})
        }),
    );
    assert_eq!(status, 200, "{body}");
    let (wall, stats, sent) = export(&sim, "limited");

    let ideal = (needed as f64 - burst).max(0.0) / rate;
    let floor = ideal.max(free_wall.as_secs_f64());
    println!(
        "export of `{spec}` at {rate} requests/s, burst {burst}, {injected} random 429s (Retry-After {retry_after} s)"
    );
    println!(
        "  unthrottled: {:.2} s, {needed} requests",
        free_wall.as_secs_f64()
    );
    println!(
        "  throttled:   {:.2} s, {sent} requests ({} answered 429), client held requests back {:.2} s, {} retries",
        wall.as_secs_f64(),
        sent.saturating_sub(needed),
        stats.throttled.as_secs_f64(),
        stats.retries
    );
    println!(
        "  ideal (({needed} - {burst}) / {rate}): {ideal:.2} s; ratio {:.2}x (goal <= 1.3x); vs max(ideal, unthrottled): {:.2}x",
        wall.as_secs_f64() / ideal,
        wall.as_secs_f64() / floor
    );
}
