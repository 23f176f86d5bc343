//! Simulator throughput and memory benchmark (plain `main`, no harness).
//!
//! ```text
//! cargo bench -p confluence-sim --bench throughput
//! SIM_BENCH_CONNS=16 SIM_BENCH_SECS=10 cargo bench -p confluence-sim --bench throughput
//! SIM_BENCH_ONLY=inv,mem cargo bench -p confluence-sim --bench throughput
//! SIM_BENCH_ONLY=cql cargo bench -p confluence-sim --bench throughput
//! ```
//!
//! Starts the simulator in process on generated sites, drives it over
//! loopback from a tokio client with N keep-alive HTTP/1.1 connections, and
//! prints requests/s for the listing and single-page scenarios. The peak RSS
//! of a 100,000-page site is measured in a child process (this binary re-run
//! with `SIM_BENCH_MEMORY_CHILD=1`) so the other scenarios do not inflate it.
//! The `cql` scenario pages through v1 CQL searches of a 100,000-page site
//! (20,000 attachments) one request at a time and prints milliseconds per
//! page: the first page, the later ones, and the whole walk.
//! Client and server share the machine's cores: the numbers are a lower
//! bound for the server alone.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use confluence_sim::{Flavor, SimConfig, SimHandle, spawn};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

const AUTH_USER: &str = "sim@example.com";
const AUTH_TOKEN: &str = "sim-token";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn auth_header() -> String {
    let raw = format!("{AUTH_USER}:{AUTH_TOKEN}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

fn start(spec: &str) -> (SimHandle, SocketAddr, f64) {
    let t = Instant::now();
    let config = SimConfig::generate(spec)
        .unwrap_or_else(|e| panic!("generate {spec}: {e}"))
        .flavor(Flavor::Cloud)
        .addr("127.0.0.1:0".parse().unwrap());
    let handle = spawn(config).expect("simulator starts");
    let secs = t.elapsed().as_secs_f64();
    let url = handle.url();
    let hostport = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let addr: SocketAddr = hostport.parse().expect("sim url is http://ip:port");
    (handle, addr, secs)
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    sender: hyper::client::conn::http1::SendRequest<Empty<Bytes>>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> Conn {
        let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        stream.set_nodelay(true).ok();
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        tokio::spawn(conn);
        Conn { sender }
    }

    /// GET returning (status, body bytes).
    async fn get(&mut self, addr: SocketAddr, path: &str, auth: &str) -> (u16, Bytes) {
        self.sender.ready().await.expect("connection ready");
        let req = hyper::Request::get(path)
            .header(hyper::header::HOST, addr.to_string())
            .header(hyper::header::AUTHORIZATION, auth)
            .body(Empty::<Bytes>::new())
            .unwrap();
        let res = self.sender.send_request(req).await.expect("response");
        let status = res.status().as_u16();
        let body = res.into_body().collect().await.expect("body").to_bytes();
        (status, body)
    }
}

struct Outcome {
    requests: u64,
    bytes: u64,
    secs: f64,
}

/// Drives `paths` round-robin over `conns` connections until `max_requests`
/// are done or `max_secs` elapse.
async fn drive(
    addr: SocketAddr,
    paths: Arc<Vec<String>>,
    conns: usize,
    max_requests: u64,
    max_secs: f64,
) -> Outcome {
    let auth: Arc<str> = auth_header().into();
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conns {
        let (paths, auth, next, done, bytes, stop) = (
            paths.clone(),
            auth.clone(),
            next.clone(),
            done.clone(),
            bytes.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            while !stop.load(Ordering::Relaxed) {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i as u64 >= max_requests {
                    break;
                }
                let path = &paths[i % paths.len()];
                let (status, body) = c.get(addr, path, &auth).await;
                assert_eq!(status, 200, "GET {path}");
                bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let timer = {
        let stop = stop.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs_f64(max_secs)).await;
            stop.store(true, Ordering::Relaxed);
        })
    };
    for t in tasks {
        t.await.expect("worker");
    }
    timer.abort();
    Outcome {
        requests: done.load(Ordering::Relaxed),
        bytes: bytes.load(Ordering::Relaxed),
        secs: start.elapsed().as_secs_f64(),
    }
}

/// Follows a v2 listing once and returns every page URL of it (first + next links).
async fn listing_urls(addr: SocketAddr, first: &str) -> (Vec<String>, Vec<String>) {
    let auth = auth_header();
    let mut c = Conn::open(addr).await;
    let mut urls = vec![first.to_string()];
    let mut ids = Vec::new();
    let mut path = first.to_string();
    loop {
        let (status, body) = c.get(addr, &path, &auth).await;
        assert_eq!(status, 200, "GET {path}");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        for r in v["results"].as_array().expect("results") {
            ids.push(r["id"].as_str().expect("id").to_string());
        }
        match v["_links"]["next"].as_str() {
            Some(next) => {
                path = next.to_string();
                urls.push(path.clone());
            }
            None => break,
        }
    }
    (urls, ids)
}

async fn space_id(addr: SocketAddr, key: &str) -> String {
    let mut c = Conn::open(addr).await;
    let (_, body) = c
        .get(
            addr,
            &format!("/wiki/api/v2/spaces?keys={key}"),
            &auth_header(),
        )
        .await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["results"][0]["id"].as_str().unwrap().to_string()
}

/// Latency of one sequential walk through a CQL search's `next` links.
struct CqlWalk {
    scenario: String,
    pages: usize,
    results: usize,
    total_size: u64,
    first_ms: f64,
    rest_ms: Vec<f64>,
    secs: f64,
}

/// Follows `first` (a v1 CQL search) through its `next` links, at most
/// `max_pages` requests, timing each; checks the ids are unique and, for a
/// complete walk, that they add up to `totalSize`.
async fn cql_walk(addr: SocketAddr, scenario: &str, first: &str, max_pages: usize) -> CqlWalk {
    let auth = auth_header();
    let mut c = Conn::open(addr).await;
    let mut path = first.to_string();
    let mut times = Vec::new();
    let mut ids = std::collections::HashSet::new();
    let mut total_size = 0;
    let mut complete = false;
    let started = Instant::now();
    while times.len() < max_pages {
        let t = Instant::now();
        let (status, body) = c.get(addr, &path, &auth).await;
        times.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(status, 200, "GET {path}");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        total_size = v["totalSize"].as_u64().expect("totalSize");
        for r in v["results"].as_array().expect("results") {
            let id = r["id"].as_str().expect("id").to_string();
            assert!(ids.insert(id), "a result repeats across pages");
        }
        match v["_links"]["next"].as_str() {
            Some(next) => path = format!("/wiki{next}"),
            None => {
                complete = true;
                break;
            }
        }
    }
    if complete {
        assert_eq!(
            ids.len() as u64,
            total_size,
            "{scenario}: walk covers totalSize"
        );
    }
    CqlWalk {
        scenario: scenario.to_string(),
        pages: times.len(),
        results: ids.len(),
        total_size,
        first_ms: times[0],
        rest_ms: times[1..].to_vec(),
        secs: started.elapsed().as_secs_f64(),
    }
}

fn print_cql(walks: &[CqlWalk]) {
    println!();
    println!("confluence-sim CQL paging (one connection, sequential next links)");
    println!(
        "{:<62} {:>6} {:>8} {:>8} {:>9} {:>9} {:>9} {:>8}",
        "scenario", "pages", "results", "total", "1st ms", "next ms", "max ms", "secs"
    );
    println!("{}", "-".repeat(126));
    for w in walks {
        let mean = w.rest_ms.iter().sum::<f64>() / w.rest_ms.len().max(1) as f64;
        let max = w.rest_ms.iter().cloned().fold(0.0, f64::max);
        println!(
            "{:<62} {:>6} {:>8} {:>8} {:>9.2} {:>9.2} {:>9.2} {:>8.2}",
            w.scenario, w.pages, w.results, w.total_size, w.first_ms, mean, max, w.secs
        );
    }
}

/// The `cql` scenario: CQL searches over a 100,000-page site.
fn cql_scenario(rt: &tokio::runtime::Runtime) -> Vec<CqlWalk> {
    let spec = "pages=100000,spaces=1,depth=6,attachments=0.2,body_kb=2,seed=7";
    let (handle, addr, gen_secs) = start(spec);
    eprintln!("generated {spec} in {gen_secs:.2}s");
    let walks = rt.block_on(async {
        let mut c = Conn::open(addr).await;
        let (_, body) = c
            .get(addr, "/wiki/api/v2/spaces?keys=GEN0", &auth_header())
            .await;
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let home = v["results"][0]["homepageId"].as_str().unwrap().to_string();
        let search = "/wiki/rest/api/content/search";
        let mut walks = Vec::new();
        for (name, cql, expand, max_pages) in [
            (
                "type = attachment AND space = GEN0, expand=version,container",
                "type%20%3D%20attachment%20AND%20space%20%3D%20%22GEN0%22",
                "&expand=version,container",
                usize::MAX,
            ),
            (
                "type = attachment AND space = GEN0, no expand (first 40)",
                "type%20%3D%20attachment%20AND%20space%20%3D%20%22GEN0%22",
                "",
                40,
            ),
            (
                "type = page AND ancestor = home, expand=version (first 40)",
                &format!("type%20%3D%20page%20AND%20ancestor%20%3D%20{home}") as &str,
                "&expand=version",
                40,
            ),
        ] {
            let first = format!("{search}?cql={cql}&limit=250{expand}");
            walks.push(cql_walk(addr, name, &first, max_pages).await);
        }
        walks
    });
    handle.stop();
    walks
}

struct Row {
    scenario: String,
    outcome: Outcome,
}

fn print_table(rows: &[Row], conns: usize) {
    println!();
    println!(
        "confluence-sim throughput ({conns} keep-alive connections, client in the same process)"
    );
    println!(
        "{:<58} {:>9} {:>8} {:>10} {:>9} {:>9}",
        "scenario", "requests", "secs", "req/s", "MB/s", "KB/resp"
    );
    println!("{}", "-".repeat(108));
    for r in rows {
        let o = &r.outcome;
        println!(
            "{:<58} {:>9} {:>8.2} {:>10.0} {:>9.1} {:>9.1}",
            r.scenario,
            o.requests,
            o.secs,
            o.requests as f64 / o.secs,
            o.bytes as f64 / o.secs / 1e6,
            o.bytes as f64 / o.requests.max(1) as f64 / 1e3
        );
    }
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Child mode: generate 100k pages, serve one listing, report peak RSS.
fn memory_child() {
    let spec = std::env::var("SIM_BENCH_MEMORY_SPEC").unwrap_or_else(|_| {
        "pages=100000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7".into()
    });
    let (handle, addr, gen_secs) = start(&spec);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let served = rt.block_on(async {
        let sid = space_id(addr, "GEN0").await;
        let mut c = Conn::open(addr).await;
        let (status, body) = c
            .get(
                addr,
                &format!("/wiki/api/v2/spaces/{sid}/pages?limit=250&body-format=storage"),
                &auth_header(),
            )
            .await;
        assert_eq!(status, 200);
        body.len()
    });
    let hwm = peak_rss_kib().unwrap_or(0);
    println!("MEMORY spec={spec} gen_secs={gen_secs:.2} listing_bytes={served} vmhwm_kib={hwm}");
    handle.stop();
}

fn main() {
    if std::env::var_os("SIM_BENCH_MEMORY_CHILD").is_some() {
        memory_child();
        return;
    }
    let conns = env_num("SIM_BENCH_CONNS", 8) as usize;
    let secs = env_num("SIM_BENCH_SECS", 5) as f64;
    let max = env_num("SIM_BENCH_REQUESTS", 200_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // SIM_BENCH_ONLY=a8,a1,inv,tiny,single,cql,mem runs a subset (e.g. under perf).
    let only = std::env::var("SIM_BENCH_ONLY").ok();
    let want = |tag: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|t| t.trim() == tag))
    };
    let mut rows = Vec::new();

    for body_kb in [8, 1] {
        let tags: &[&str] = if body_kb == 8 {
            &["a8", "inv", "tiny", "single"]
        } else {
            &["a1"]
        };
        if !tags.iter().any(|t| want(t)) {
            continue;
        }
        let spec = format!("pages=10000,spaces=1,depth=6,attachments=0.2,body_kb={body_kb},seed=7");
        let (handle, addr, gen_secs) = start(&spec);
        eprintln!("generated {spec} in {gen_secs:.2}s");
        rt.block_on(async {
            let sid = space_id(addr, "GEN0").await;
            let (list_urls, ids) = listing_urls(
                addr,
                &format!("/wiki/api/v2/pages?space-id={sid}&body-format=storage&limit=250"),
            )
            .await;
            assert_eq!(ids.len(), 10_000, "listing covers the site");
            if want(&format!("a{body_kb}")) {
                let o = drive(addr, Arc::new(list_urls), conns, max, secs).await;
                rows.push(Row {
                    scenario: format!(
                        "(a) /pages listing, 250 pages + storage bodies, {body_kb} KB"
                    ),
                    outcome: o,
                });
            }
            if body_kb != 8 {
                return;
            }
            if want("inv") {
                let (inv_urls, _) =
                    listing_urls(addr, &format!("/wiki/api/v2/spaces/{sid}/pages?limit=250")).await;
                let o = drive(addr, Arc::new(inv_urls), conns, max, secs).await;
                rows.push(Row {
                    scenario: "(a') /spaces/{id}/pages listing, 250 pages, no bodies".into(),
                    outcome: o,
                });
            }
            if want("tiny") {
                // Calibration: the smallest response shows the per-request
                // ceiling of this client + server on this machine.
                let tiny = Arc::new(vec!["/_edge/tenant_info".to_string()]);
                let o = drive(addr, tiny, conns, max, secs).await;
                rows.push(Row {
                    scenario: "(c) calibration: /_edge/tenant_info (tiny JSON)".into(),
                    outcome: o,
                });
            }
            if want("single") {
                let singles: Vec<String> = ids
                    .iter()
                    .map(|id| format!("/wiki/api/v2/pages/{id}?body-format=storage"))
                    .collect();
                let o = drive(addr, Arc::new(singles), conns, max, secs).await;
                rows.push(Row {
                    scenario: format!("(b) single page GET + storage body, {body_kb} KB"),
                    outcome: o,
                });
            }
        });
        handle.stop();
    }
    if !rows.is_empty() {
        print_table(&rows, conns);
    }
    if want("cql") {
        print_cql(&cql_scenario(&rt));
    }
    if !want("mem") {
        return;
    }

    let exe = std::env::current_exe().expect("current exe");
    let out = std::process::Command::new(exe)
        .env("SIM_BENCH_MEMORY_CHILD", "1")
        .output()
        .expect("memory child runs");
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().find(|l| l.starts_with("MEMORY ")) {
        Some(line) => {
            let field = |k: &str| {
                line.split_whitespace()
                    .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
                    .unwrap_or("?")
                    .to_string()
            };
            let kib: f64 = field("vmhwm_kib").parse().unwrap_or(0.0);
            println!();
            println!("memory: {}", field("spec"));
            println!(
                "  generation {} s, one listing {} bytes, peak RSS (VmHWM) {:.0} MiB (target < 1024 MiB)",
                field("gen_secs"),
                field("listing_bytes"),
                kib / 1024.0
            );
        }
        None => println!(
            "memory child failed: status {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}
