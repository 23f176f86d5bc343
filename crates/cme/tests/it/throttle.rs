//! Exports of a generated 2,000-page site through the simulator's faults:
//! a rate limit, 5xx, dropped connections, truncated bodies and absurd
//! `Retry-After` values. Every run must complete with no failed item and
//! write the tree an unthrottled export writes.

use crate::common;

use cme::sync::outcome::Outcome;
use cme_client::{Client, ClientConfig, Credentials, Event, Flavor, RetryPolicy, Secret, Stats};
use common::{all_spaces, content, request, run, tmp};
use confluence_sim::{SimConfig, SimHandle, spawn};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// 27 requests: listings, bodies and attachment downloads.
const SPEC: &str = "pages=2000,spaces=1,depth=5,attachments=0.01,body_kb=1,seed=21";

fn site() -> SimHandle {
    spawn(SimConfig::generate(SPEC).unwrap()).unwrap()
}

/// The retries the client announced, by cause (from its observer).
#[derive(Debug, Default)]
struct Seen {
    /// After a dropped connection or a body cut short (no status).
    network: AtomicU64,
    /// After a 5xx.
    server_error: AtomicU64,
    /// Pauses after a 429.
    throttled: AtomicU64,
}

impl Seen {
    fn get(c: &AtomicU64) -> u64 {
        c.load(Ordering::Relaxed)
    }
}

/// A client with the real defaults, except shorter backoff (so 5xx runs
/// stay quick) and `Retry-After` clamped at `max_wait`; its observer counts
/// retries into the returned [`Seen`].
fn client(sim: &SimHandle, max_wait: Duration) -> (Client, Arc<Seen>) {
    let mut cfg = ClientConfig::new(
        sim.url(),
        Flavor::Cloud,
        Credentials::Basic {
            email: "sim@example.com".into(),
            token: Secret::new("sim-token"),
        },
    );
    cfg.retry = RetryPolicy {
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(500),
        max_retry_after: max_wait,
        ..RetryPolicy::default()
    };
    let seen = Arc::new(Seen::default());
    let s = seen.clone();
    cfg.observer = Some(Arc::new(move |e: &Event| {
        let counter = match e {
            Event::Retrying { status: None, .. } => &s.network,
            Event::Retrying {
                status: Some(500..=599),
                ..
            } => &s.server_error,
            Event::Throttled { .. } => &s.throttled,
            _ => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }));
    (Client::new(cfg).unwrap(), seen)
}

/// API requests the simulator answered (or refused, or dropped).
fn sim_requests(sim: &SimHandle) -> u64 {
    let (status, v) = sim.control("GET", "/__sim/stats", None);
    assert_eq!(status, 200, "{v}");
    v["requests"].as_u64().unwrap()
}

/// A control call that must succeed.
fn ctl(sim: &SimHandle, method: &str, path: &str, body: Option<Value>) {
    let (status, v) = sim.control(method, path, body);
    assert_eq!(status, 200, "{method} {path} refused: {v}");
}

struct Reference {
    tree: BTreeMap<String, Vec<u8>>,
    /// Requests the simulator saw for the unfaulted export.
    requests: u64,
}

/// The unthrottled export's files and request count, computed once.
fn reference() -> &'static Reference {
    static REF: OnceLock<Reference> = OnceLock::new();
    REF.get_or_init(|| {
        let sim = site();
        let out = tmp("throttle-reference");
        let (c, seen) = client(&sim, Duration::from_secs(60));
        let o = run(&c, request(&out, all_spaces())).unwrap();
        assert_clean(&o);
        assert_eq!(c.stats().retries, 0, "no faults, no retries: {seen:?}");
        let tree = content(&out);
        std::fs::remove_dir_all(&out).ok();
        assert!(tree.len() > 2000, "{} files", tree.len());
        Reference {
            tree,
            requests: sim_requests(&sim),
        }
    })
}

fn assert_clean(o: &Outcome) {
    assert!(o.failures.is_empty(), "failed items: {}", o.render());
    assert!(o.problems.is_empty(), "problems: {:?}", o.problems);
}

/// What an export under faults saw.
struct Faulted {
    /// The client's counters.
    stats: Stats,
    /// Its retries by cause.
    seen: Arc<Seen>,
    /// Requests the simulator saw beyond the unfaulted export's.
    extra_requests: u64,
}

/// Exports under `faults` and checks the result against the reference.
fn export_under(name: &str, faults: Value, max_wait: Duration) -> Faulted {
    let expected = reference();
    let sim = site();
    ctl(&sim, "PUT", "/__sim/faults", Some(faults.clone()));
    let out = tmp(&format!("throttle-{name}"));
    let (c, seen) = client(&sim, max_wait);
    let o = run(&c, request(&out, all_spaces()))
        .unwrap_or_else(|e| panic!("export under {faults} failed: {e:#}"));
    assert_clean(&o);
    let got = content(&out);
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        expected.tree.keys().collect::<Vec<_>>(),
        "the same files under {faults}"
    );
    for (k, v) in &expected.tree {
        assert_eq!(v, &got[k], "{k} differs under {faults}");
    }
    std::fs::remove_dir_all(&out).ok();
    ctl(&sim, "DELETE", "/__sim/faults", None);
    let stats = c.stats();
    assert_eq!(stats.failures, 0, "{stats:?}");
    let requests = sim_requests(&sim);
    eprintln!(
        "{name}: {stats:?} {seen:?}; simulator: {requests} requests, {} unfaulted",
        expected.requests
    );
    Faulted {
        stats,
        seen,
        extra_requests: requests.saturating_sub(expected.requests),
    }
}

/// Every retry the client made reached the simulator as one more request
/// than the unfaulted export made (a retried download through the media
/// host's redirect is two).
fn assert_retries_reached_the_server(f: &Faulted) {
    assert!(
        f.extra_requests >= f.stats.retries,
        "{} retries but the simulator saw {} extra requests",
        f.stats.retries,
        f.extra_requests
    );
}

/// Ten requests a second after a burst of three: the listings come faster,
/// so the client must have held some back. (Twenty a second after a burst
/// of ten never bit: the export's 27 requests came slower than that.)
#[test]
fn a_rate_limit_loses_nothing() {
    let f = export_under(
        "rate",
        json!({"rate_limit_per_sec": 10, "burst": 3}),
        Duration::from_secs(60),
    );
    assert!(
        f.stats.throttled > Duration::ZERO,
        "never throttled: {:?}",
        f.stats
    );
    assert_retries_reached_the_server(&f);
}

/// One request at a time, five a second: the listings alone come faster,
/// so the client must hold requests back (and it does so by pacing itself
/// from the rate-limit headers, not by collecting 429s).
#[test]
fn a_tight_rate_limit_is_paced_and_loses_nothing() {
    let f = export_under(
        "rate5",
        json!({"rate_limit_per_sec": 5, "burst": 1}),
        Duration::from_secs(60),
    );
    assert!(f.stats.throttled > Duration::ZERO, "{:?}", f.stats);
}

#[test]
fn server_errors_are_retried() {
    let f = export_under(
        "5xx",
        json!({"error_rate": 0.3, "seed": 5}),
        Duration::from_secs(2),
    );
    assert!(Seen::get(&f.seen.server_error) > 0, "{:?}", f.seen);
    assert_retries_reached_the_server(&f);
}

/// Only connections dropped: every retry is one after a dropped
/// connection, and each reached the simulator again.
#[test]
fn dropped_connections_are_retried() {
    let f = export_under(
        "drop",
        json!({"drop_connection_rate": 0.05, "seed": 6}),
        Duration::from_secs(2),
    );
    let dropped = Seen::get(&f.seen.network);
    assert!(
        dropped > 0,
        "no dropped connection was retried: {:?}",
        f.seen
    );
    assert_eq!(f.stats.retries, dropped, "{:?} {:?}", f.stats, f.seen);
    assert_retries_reached_the_server(&f);
}

#[test]
fn truncated_bodies_are_retried() {
    let f = export_under(
        "truncate",
        json!({"truncate_body_rate": 0.1, "seed": 7}),
        Duration::from_secs(2),
    );
    assert!(Seen::get(&f.seen.network) > 0, "{:?}", f.seen);
    assert_retries_reached_the_server(&f);
}

/// `Retry-After: 9223372036854775807` on 429s: clamped (here to 500 ms),
/// so the export completes. Pacing avoids the rate limiter's 429s, so 429s
/// are also injected at random (about 10 of the ~30 requests).
#[test]
fn a_huge_retry_after_does_not_hang() {
    let f = export_under(
        "huge",
        json!({"rate_limit_per_sec": 20, "burst": 10, "retry_after": "huge",
               "error_rate": 0.3, "error_statuses": [429], "seed": 9}),
        Duration::from_millis(500),
    );
    assert!(
        f.stats.throttled >= Duration::from_millis(400),
        "{:?}",
        f.stats
    );
}

/// Everything at once, under a tighter limit: each kind of fault happened
/// and was retried (dropped or cut short, 5xx), and the limit throttled.
#[test]
fn all_faults_together() {
    let f = export_under(
        "all",
        json!({"rate_limit_per_sec": 30, "burst": 5, "error_rate": 0.2,
               "drop_connection_rate": 0.05, "truncate_body_rate": 0.05, "seed": 8}),
        Duration::from_secs(2),
    );
    assert!(Seen::get(&f.seen.network) > 0, "{:?}", f.seen);
    assert!(Seen::get(&f.seen.server_error) > 0, "{:?}", f.seen);
    assert!(f.stats.throttled > Duration::ZERO, "{:?}", f.stats);
    assert_retries_reached_the_server(&f);
}

/// A pause after a 429 must not end in a stampede: requests that were
/// waiting for their paced slot when it began take new slots after it,
/// instead of all leaving the moment it ends and overflowing the server's
/// bucket (which answers 429 again, pausing again: a run ten times slower).
/// Hundreds of downloads are queued at once here, with random 429s on top
/// of a rate limit; the only 429s should be the injected ones.
#[test]
fn a_pause_does_not_end_in_a_stampede() {
    let sim = spawn(
        SimConfig::generate("pages=300,spaces=1,depth=4,attachments=1.0,body_kb=1,seed=5").unwrap(),
    )
    .unwrap();
    let faults = json!({"rate_limit_per_sec": 200, "burst": 10, "error_rate": 0.02,
        "error_statuses": [429], "retry_after": "1", "seed": 11});
    let (status, body) = sim.control("PUT", "/__sim/faults", Some(faults));
    assert_eq!(status, 200, "faults refused: {body}");
    let out = tmp("throttle-stampede");
    let (c, _) = client(&sim, Duration::from_millis(200));
    let o = run(&c, request(&out, all_spaces())).unwrap();
    assert_clean(&o);
    let stats = c.stats();
    // About 2% of the requests are injected 429s; each retry is one of those
    // or a 429 the rate limit gave after a pause (the stampede).
    let injected_at_most = stats.requests / 50 + 10;
    assert!(
        stats.retries <= injected_at_most,
        "{} retries for {} requests: more 429s than were injected ({stats:?})",
        stats.retries,
        stats.requests
    );
    std::fs::remove_dir_all(&out).ok();
}

/// Downloads are streamed to disk: a big file whose responses are cut
/// short is fetched again from the start, lands byte-identical, and leaves
/// no partial file behind.
#[test]
fn a_big_download_cut_short_is_retried_whole() {
    use base64::Engine as _;
    let sim = spawn(SimConfig::demo()).unwrap();
    // 6 MiB that no prefix of repeats (so a restart that kept old bytes shows).
    let data: Vec<u8> = (0..6u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let (status, v) = sim.control(
        "POST",
        "/__sim/pages",
        Some(json!({"space": "DEMO", "title": "Big File",
            "body": "<p><ac:link><ri:attachment ri:filename=\"big.bin\"/></ac:link></p>"})),
    );
    assert!(status < 300, "{v}");
    let id = v["id"].as_str().unwrap().to_owned();
    let (status, v) = sim.control(
        "POST",
        &format!("/__sim/pages/{id}/attachments"),
        Some(
            json!({"filename": "big.bin", "media_type": "application/octet-stream",
            "data_base64": base64::engine::general_purpose::STANDARD.encode(&data)}),
        ),
    );
    assert!(status < 300, "{v}");
    let faults = json!({"truncate_body_rate": 0.5, "seed": 3});
    let (status, body) = sim.control("PUT", "/__sim/faults", Some(faults));
    assert_eq!(status, 200, "{body}");
    let out = tmp("throttle-big-download");
    let (c, _) = client(&sim, Duration::from_secs(2));
    let o = run(&c, request(&out, all_spaces())).unwrap();
    assert_clean(&o);
    let files = content(&out);
    let (path, got) = files
        .iter()
        .find(|(p, _)| p.ends_with("/big.bin"))
        .expect("big.bin downloaded");
    assert!(
        got == &data,
        "{path}: {} bytes, not the 6 MiB sent",
        got.len()
    );
    assert!(
        !files.keys().any(|p| p.contains("cme-partial")),
        "a partial file was left: {:?}",
        files
            .keys()
            .filter(|p| p.contains("cme-partial"))
            .collect::<Vec<_>>()
    );
    assert!(c.stats().retries > 0, "no response was cut short");
    std::fs::remove_dir_all(&out).ok();
}
