//! What a listing costs under each network preset (plain `main`, no harness).
//!
//! ```text
//! cargo bench -p confluence-sim --bench network
//! SIM_BENCH_SPEC=pages=2000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7 \
//!   SIM_BENCH_NETWORKS="off;cloud,latency_ms=200" cargo bench -p confluence-sim --bench network
//! ```
//!
//! Walks `GET /wiki/api/v2/spaces/{id}/pages?limit=250` (without and with
//! `body-format=storage`) one request at a time on a generated site under
//! each network model and prints the first page's time, the whole walk's,
//! and the bytes `/__sim/stats` counted. Three runs each; the median is shown.

use std::time::{Duration, Instant};

use base64::Engine as _;
use confluence_sim::{Flavor, NetworkModel, SimConfig, spawn};
use serde_json::Value;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into()
}

fn get(agent: &ureq::Agent, url: &str, auth: &str) -> (u16, Vec<u8>) {
    let mut r = agent
        .get(url)
        .header("authorization", auth)
        .call()
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let status = r.status().as_u16();
    let body = r
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .expect("body read");
    (status, body)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let spec = std::env::var("SIM_BENCH_SPEC").unwrap_or_else(|_| {
        "pages=2000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7".to_string()
    });
    let networks =
        std::env::var("SIM_BENCH_NETWORKS").unwrap_or_else(|_| "off;lan;latency-100;cloud".into());
    let sim = spawn(
        SimConfig::generate(&spec)
            .unwrap_or_else(|e| panic!("{spec}: {e}"))
            .flavor(Flavor::Cloud),
    )
    .expect("simulator starts");
    let base = sim.url();
    let auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("sim@example.com:sim-token")
    );
    let agent = agent();
    let (_, spaces) = get(&agent, &format!("{base}/wiki/api/v2/spaces"), &auth);
    let spaces: Value = serde_json::from_slice(&spaces).expect("spaces JSON");
    let space = spaces["results"][0]["id"]
        .as_str()
        .expect("a space")
        .to_string();
    println!("site: {spec}");
    println!(
        "{:<12} {:<22} {:>10} {:>10} {:>6} {:>12}",
        "network", "listing", "first ms", "walk ms", "calls", "bytes"
    );
    for name in networks.split(';') {
        let model = NetworkModel::parse(name).unwrap_or_else(|e| panic!("{e}"));
        for query in ["limit=250", "limit=250&body-format=storage"] {
            let (mut firsts, mut walks) = (Vec::new(), Vec::new());
            let (mut calls, mut bytes) = (0, 0);
            for _ in 0..3 {
                sim.control(
                    "PUT",
                    "/__sim/network",
                    Some(serde_json::to_value(model).unwrap()),
                );
                sim.control("POST", "/__sim/stats/reset", None);
                let mut next = Some(format!("/wiki/api/v2/spaces/{space}/pages?{query}"));
                let start = Instant::now();
                let mut first = None;
                calls = 0;
                while let Some(path) = next.take() {
                    let (status, body) = get(&agent, &format!("{base}{path}"), &auth);
                    assert_eq!(status, 200, "{path}");
                    first.get_or_insert(start.elapsed());
                    calls += 1;
                    let v: Value = serde_json::from_slice(&body).expect("listing JSON");
                    next = v["_links"]["next"].as_str().map(|n| {
                        if n.starts_with("/wiki") {
                            n.to_string()
                        } else {
                            format!("/wiki{n}")
                        }
                    });
                }
                walks.push(start.elapsed());
                firsts.push(first.unwrap_or_default());
                let (_, stats) = sim.control("GET", "/__sim/stats", None);
                bytes = stats["bytes"].as_u64().unwrap_or(0);
            }
            println!(
                "{:<12} {:<22} {:>10.1} {:>10.1} {:>6} {:>12}",
                name,
                query
                    .trim_start_matches("limit=250&")
                    .trim_start_matches("limit=250"),
                median(firsts).as_secs_f64() * 1e3,
                median(walks).as_secs_f64() * 1e3,
                calls,
                bytes
            );
        }
    }
    sim.stop();
}
