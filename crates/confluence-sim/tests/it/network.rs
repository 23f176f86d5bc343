//! The network model (`PUT /__sim/network`, `SimConfig::network`,
//! `serve --network`): latency and jitter, bandwidth, per-item and
//! per-expansion server cost, the in-flight cap's 429s, and the statistics
//! benches read. Times are only bounded below by the model (a loaded
//! machine is slower, never faster); upper bounds are loose.

use crate::common;

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use common::{Sim, SimConfig, send};
use confluence_sim::NetworkModel;
use serde_json::{Value, json};

fn sim() -> Sim {
    common::cloud(SimConfig::demo())
}

/// A site whose listings are big: 300 pages of ~8 KB bodies.
fn big() -> Sim {
    common::cloud(common::generated(
        "pages=300,spaces=1,depth=3,attachments=0,body_kb=8,seed=7",
    ))
}

fn network(sim: &Sim, model: Value) -> Value {
    sim.control_ok("PUT", "/__sim/network", Some(model))
}

/// How long a GET takes, with its response.
fn timed(sim: &Sim, path: &str) -> (Duration, common::Resp) {
    let t = Instant::now();
    let r = sim.get(path);
    (t.elapsed(), r)
}

fn space_pages(sim: &Sim, query: &str) -> String {
    let spaces = sim.json(&sim.v2("/spaces"));
    let id = spaces["results"][0]["id"].as_str().unwrap().to_string();
    sim.v2(&format!("/spaces/{id}/pages?{query}"))
}

#[test]
fn every_request_waits_at_least_the_latency_and_jitter_stays_in_bounds() {
    let sim = sim();
    network(&sim, json!({"latency_ms": 60, "jitter_ms": 40, "seed": 3}));
    let mut times = Vec::new();
    for _ in 0..6 {
        let (t, r) = timed(&sim, &sim.v2("/spaces"));
        assert_eq!(r.status, 200);
        times.push(t);
    }
    for t in &times {
        assert!(*t >= Duration::from_millis(60), "below the latency: {t:?}");
        assert!(*t < Duration::from_secs(10), "absurdly slow: {t:?}");
    }
    // Off again: three requests do not wait a modelled second each.
    network(&sim, json!({"latency_ms": 1000}));
    sim.control_ok("DELETE", "/__sim/network", None);
    let t = Instant::now();
    for _ in 0..3 {
        assert_eq!(sim.get(&sim.v2("/spaces")).status, 200);
    }
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn a_wide_jitter_never_goes_below_the_latency() {
    // (The draws' seeding and range are unit-tested in `network.rs`.)
    let sim = sim();
    network(&sim, json!({"latency_ms": 20, "jitter_ms": 200, "seed": 9}));
    let t = Instant::now();
    for _ in 0..6 {
        sim.get(&sim.v2("/spaces"));
    }
    let total = t.elapsed();
    assert!(total >= Duration::from_millis(120), "{total:?}");
    assert!(total < Duration::from_secs(20), "{total:?}");
}

#[test]
fn bandwidth_makes_a_big_body_take_its_size_over_the_bandwidth() {
    let sim = big();
    let path = space_pages(&sim, "limit=100&body-format=storage");
    let (_, plain) = timed(&sim, &path);
    let bytes = plain.body.len() as u64;
    assert!(bytes > 500_000, "a big body: {bytes} bytes");
    network(&sim, json!({"bandwidth_kib_s": 1024}));
    let (t, slow) = timed(&sim, &path);
    assert_eq!(slow.body, plain.body, "same bytes, only slower");
    let floor = Duration::from_secs_f64(bytes as f64 / (1024.0 * 1024.0));
    // The first chunk may leave at once: allow one 16 KiB piece of slack.
    assert!(
        t + Duration::from_millis(20) >= floor,
        "{bytes} bytes at 1 MiB/s took {t:?}, model {floor:?}"
    );
}

#[test]
fn server_cost_grows_with_items_and_expansions() {
    let sim = big();
    network(&sim, json!({"per_item_us": 2000}));
    let (t, r) = timed(&sim, &space_pages(&sim, "limit=150"));
    assert_eq!(r.json()["results"].as_array().unwrap().len(), 150);
    assert!(t >= Duration::from_millis(300), "150 items × 2 ms: {t:?}");
    // Expansions only: nothing without one, 2 ms × weight per item with.
    network(&sim, json!({"per_expand_us": 2000}));
    let (t, _) = timed(&sim, &space_pages(&sim, "limit=50&body-format=storage"));
    assert!(
        t >= Duration::from_millis(200),
        "50 × 2 ms × 2 (body): {t:?}"
    );
    let (t, _) = timed(
        &sim,
        &sim.v1("/content?type=page&limit=50&expand=version,ancestors"),
    );
    assert!(
        t >= Duration::from_millis(200),
        "50 × 2 ms × 2 expansions: {t:?}"
    );
    let (t, _) = timed(
        &sim,
        &sim.v1("/content?type=page&limit=50&expand=body.view"),
    );
    assert!(
        t >= Duration::from_millis(400),
        "50 × 2 ms × 4 (view): {t:?}"
    );
}

/// Statuses of `n` GETs sent at once (0 = transport error), with the 429s.
fn concurrent(sim: &Sim, n: usize) -> (Vec<u16>, Vec<common::Resp>) {
    concurrent_at(sim, &sim.v2("/spaces"), n)
}

/// `n` GETs of `path` at once.
fn concurrent_at(sim: &Sim, path: &str, n: usize) -> (Vec<u16>, Vec<common::Resp>) {
    let url = sim.url(path);
    let auth = sim.auth();
    let gate = Arc::new(Barrier::new(n));
    let threads: Vec<_> = (0..n)
        .map(|_| {
            let (url, auth, gate) = (url.clone(), auth.clone(), gate.clone());
            std::thread::spawn(move || {
                let agent = common::agent();
                gate.wait();
                send(&agent, "GET", &url, &[("authorization", &auth)], None)
            })
        })
        .collect();
    let mut statuses = Vec::new();
    let mut limited = Vec::new();
    for t in threads {
        match t.join().unwrap() {
            Ok(r) => {
                statuses.push(r.status);
                if r.status == 429 {
                    limited.push(r);
                }
            }
            Err(_) => statuses.push(0),
        }
    }
    (statuses, limited)
}

#[test]
fn over_the_in_flight_cap_answers_429_with_retry_after() {
    let sim = sim();
    network(
        &sim,
        json!({"latency_ms": 400, "max_in_flight": 2, "retry_after_s": 3}),
    );
    sim.control_ok("POST", "/__sim/stats/reset", None);
    let (statuses, limited) = concurrent(&sim, 6);
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 200).count() >= 2,
        "{statuses:?}"
    );
    assert!(
        !limited.is_empty(),
        "six at once over a cap of two: {statuses:?}"
    );
    for r in &limited {
        assert_eq!(r.header("retry-after"), Some("3"));
        assert_eq!(r.header("x-ratelimit-limit"), Some("2"));
        assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
        assert!(r.header("x-ratelimit-reset").is_some());
        // A cap on requests in flight has no refill rate to pace to.
        assert_eq!(r.header("x-ratelimit-fillrate"), None);
        assert_eq!(r.header("ratelimit-reason"), Some("confluence-burst-based"));
        assert_eq!(r.json()["statusCode"], 429);
    }
    let stats = sim.control_ok("GET", "/__sim/stats", None);
    assert_eq!(stats["throttled"], limited.len() as u64);
    assert_eq!(stats["requests"], 6);
    let peak = stats["max_in_flight"].as_u64().unwrap();
    assert!((1..=2).contains(&peak), "peak {peak} within the cap");
}

/// Cloud serves attachment bytes from its media service, another host:
/// Confluence's cap neither refuses nor counts them.
#[test]
fn media_downloads_are_not_held_to_confluences_cap() {
    let sim = sim();
    // One of the demo's attachments, through the REST download's redirect.
    let page = "1001";
    let att = sim.json(&sim.v2(&format!("/pages/{page}/attachments?limit=1")));
    let id = att["results"][0]["id"].as_str().unwrap().to_owned();
    let r = sim.get(&sim.v1(&format!("/content/{page}/child/attachment/{id}/download")));
    assert_eq!(r.status, 302);
    let location = r.header("location").unwrap().to_owned();
    let path = location
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_owned()))
        .unwrap_or(location);
    network(&sim, json!({"latency_ms": 300, "max_in_flight": 1}));
    sim.control_ok("POST", "/__sim/stats/reset", None);
    let (statuses, _) = concurrent_at(&sim, &path, 4);
    assert_eq!(statuses, vec![200; 4]);
    let stats = sim.control_ok("GET", "/__sim/stats", None);
    assert_eq!(stats["throttled"], 0);
    assert_eq!(stats["max_in_flight"], 0, "media is not Confluence's load");
    // Confluence's own requests are still capped.
    let (statuses, _) = concurrent(&sim, 4);
    assert!(statuses.contains(&429), "{statuses:?}");
}

#[test]
fn at_the_in_flight_cap_nothing_is_refused() {
    let sim = sim();
    network(&sim, json!({"latency_ms": 300, "max_in_flight": 4}));
    sim.control_ok("POST", "/__sim/stats/reset", None);
    let (statuses, _) = concurrent(&sim, 4);
    assert_eq!(statuses, vec![200; 4]);
    let stats = sim.control_ok("GET", "/__sim/stats", None);
    assert_eq!(stats["throttled"], 0);
    let peak = stats["max_in_flight"].as_u64().unwrap();
    assert!((2..=4).contains(&peak), "four overlapping requests: {peak}");
    // Sequential ones never overlap.
    sim.control_ok("POST", "/__sim/stats/reset", None);
    sim.control_ok("DELETE", "/__sim/network", None);
    for _ in 0..3 {
        sim.get(&sim.v2("/spaces"));
    }
    assert_eq!(
        sim.control_ok("GET", "/__sim/stats", None)["max_in_flight"],
        1
    );
}

#[test]
fn stats_count_the_body_bytes_of_api_answers_only() {
    let sim = sim();
    sim.control_ok("POST", "/__sim/stats/reset", None);
    let a = sim.get(&sim.v2("/spaces"));
    let b = sim.get(&sim.v2("/pages?limit=5&body-format=storage"));
    let c = sim.get(&sim.v2("/pages/999999999"));
    sim.control_ok("GET", "/__sim/info", None);
    let stats = sim.control_ok("GET", "/__sim/stats", None);
    let want = (a.body.len() + b.body.len() + c.body.len()) as u64;
    assert_eq!(stats["bytes"], want);
    assert_eq!(stats["requests"], 3);
    sim.control_ok("POST", "/__sim/stats/reset", None);
    assert_eq!(sim.control_ok("GET", "/__sim/stats", None)["bytes"], 0);
}

#[test]
fn control_api_round_trips_and_refuses_bad_input() {
    let sim = sim();
    let off = sim.control_ok("GET", "/__sim/network", None);
    assert_eq!(off, serde_json::to_value(NetworkModel::off()).unwrap());
    let set = network(&sim, json!({"preset": "cloud", "latency_ms": 200}));
    let mut want = NetworkModel::preset("cloud").unwrap();
    want.latency_ms = 200;
    assert_eq!(set, serde_json::to_value(want).unwrap());
    assert_eq!(sim.control_ok("GET", "/__sim/network", None), set);
    // Every field optional: the rest are off.
    let only = network(&sim, json!({"max_in_flight": 7}));
    assert_eq!(only["max_in_flight"], 7);
    assert_eq!(only["latency_ms"], 0);
    assert_eq!(only["retry_after_s"], 1);
    sim.control_ok("DELETE", "/__sim/network", None);
    assert_eq!(sim.control_ok("GET", "/__sim/network", None), off);
    for bad in [
        json!({"preset": "moon"}),
        json!({"latency": 5}),
        json!({"latency_ms": -1}),
        json!({"latency_ms": "fast"}),
        json!({"max_in_flight": 0}),
        json!({"bandwidth_kib_s": 0}),
        json!([1, 2]),
    ] {
        let r = sim.control("PUT", "/__sim/network", Some(bad.clone()));
        assert_eq!(r.status, 400, "{bad} → {}", r.text());
        let msg = r.json()["error"].as_str().unwrap_or_default().to_string();
        assert!(!msg.is_empty(), "{bad}: a message");
    }
    let r = send(
        &common::agent(),
        "PUT",
        &sim.url("/__sim/network"),
        &[("content-type", "application/json")],
        None,
    )
    .unwrap();
    assert_eq!(r.status, 400, "no body");
    // A refused PUT left the model as it was.
    assert_eq!(sim.control_ok("GET", "/__sim/network", None), off);
}

#[test]
fn the_control_api_is_not_delayed() {
    let sim = sim();
    network(&sim, json!({"latency_ms": 5000}));
    let t = Instant::now();
    sim.control_ok("GET", "/__sim/stats", None);
    sim.control_ok("GET", "/__sim/network", None);
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn the_builder_applies_from_the_start_and_composes_with_fault_latency() {
    let sim =
        common::cloud(SimConfig::demo().network(NetworkModel::preset("latency-100").unwrap()));
    assert_eq!(
        sim.control_ok("GET", "/__sim/network", None)["latency_ms"],
        100
    );
    let (t, r) = timed(&sim, &sim.v2("/spaces"));
    assert_eq!(r.status, 200);
    assert!(t >= Duration::from_millis(100), "{t:?}");
    sim.control_ok("PUT", "/__sim/faults", Some(json!({"latency_ms": 150})));
    let (t, r) = timed(&sim, &sim.v2("/spaces"));
    assert_eq!(r.status, 200);
    assert!(t >= Duration::from_millis(250), "both latencies: {t:?}");
    // The fault injector's own 429s still answer under the model.
    sim.control_ok(
        "PUT",
        "/__sim/faults",
        Some(json!({"error_rate": 1.0, "error_statuses": [503]})),
    );
    let (t, r) = timed(&sim, &sim.v2("/spaces"));
    assert_eq!(r.status, 503);
    assert!(t >= Duration::from_millis(100), "{t:?}");
}

#[test]
fn presets_have_the_documented_numbers() {
    let cloud = NetworkModel::preset("cloud").unwrap();
    assert_eq!(cloud.latency_ms, 100);
    assert_eq!(cloud.max_in_flight, Some(30));
    assert!(cloud.bandwidth_kib_s.is_some());
    assert_eq!(NetworkModel::preset("lan").unwrap().latency_ms, 20);
    assert_eq!(
        NetworkModel::preset("latency-100").unwrap(),
        NetworkModel {
            latency_ms: 100,
            ..NetworkModel::off()
        }
    );
    assert_eq!(
        NetworkModel::preset("off").unwrap(),
        NetworkModel::default()
    );
    assert!(NetworkModel::preset("Cloud").is_none());
    assert_eq!(
        NetworkModel::parse("cloud,latency_ms=200").unwrap(),
        NetworkModel {
            latency_ms: 200,
            ..cloud
        }
    );
}
