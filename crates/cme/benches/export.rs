//! End-to-end export benchmark against the simulator.
//!
//! The parent serves a generated site in-process; a child process (this same
//! binary) runs the export, so its peak RSS is the exporter's alone. Reports
//! pages/s, API requests per route and peak memory.
//!
//! `cargo bench -p cme --bench export`; `CME_BENCH_SPEC` picks the site
//! (default `pages=10000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7`).
use cme::sync::Selection;
use cme::sync::{Start, SyncRequest};
use cme_client::{Client, ClientConfig, Credentials, Flavor, Secret};
use std::time::Instant;

const DEFAULT_SPEC: &str = "pages=10000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7";

fn main() {
    if let Ok(url) = std::env::var("CME_BENCH_CHILD_URL") {
        child(&url);
        return;
    }
    let spec = std::env::var("CME_BENCH_SPEC").unwrap_or_else(|_| DEFAULT_SPEC.into());
    let sim = confluence_sim::spawn(
        confluence_sim::SimConfig::generate(&spec).expect("valid CME_BENCH_SPEC"),
    )
    .expect("simulator starts");
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("CME_BENCH_CHILD_URL", sim.url())
        .output()
        .expect("child runs");
    if !out.status.success() {
        eprintln!("export failed:\n{}", String::from_utf8_lossy(&out.stderr));
        std::process::exit(1);
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("child JSON");
    let stats: serde_json::Value = ureq::get(&format!("{}/__sim/stats", sim.url()))
        .call()
        .ok()
        .and_then(|mut r| r.body_mut().read_to_string().ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let secs = report["secs"].as_f64().unwrap_or(f64::NAN);
    let pages = report["pages"].as_u64().unwrap_or(0);
    println!("export of `{spec}`");
    println!(
        "  {pages} pages, {} attachments in {secs:.2} s wall = {:.0} pages/s",
        report["attachments"],
        pages as f64 / secs
    );
    println!(
        "  exporter peak RSS (VmHWM): {:.0} MiB",
        report["rss_kib"].as_f64().unwrap_or(f64::NAN) / 1024.0
    );
    println!("  API requests: {}", stats["requests"]);
    if let Some(routes) = stats["by_route"].as_object() {
        for (route, n) in routes {
            println!("    {:>7}  {route}", n.as_u64().unwrap_or(0));
        }
    }
}

fn child(url: &str) {
    let dir = std::env::temp_dir().join(format!("cme-bench-export-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let client = Client::new(ClientConfig::new(
        url,
        Flavor::Cloud,
        Credentials::Basic {
            email: "sim@example.com".into(),
            token: Secret::new("sim-token"),
        },
    ))
    .unwrap();
    let req = SyncRequest::new(
        dir.clone(),
        Start::Export {
            scope: Selection::AllSpaces.scope(),
            append: false,
        },
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let report = rt
        .block_on(cme::sync::run(&client, req, &cme::cli::progress::Silent))
        .expect("export succeeds");
    let secs = started.elapsed().as_secs_f64();
    let rss_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        });
    std::fs::remove_dir_all(&dir).ok();
    println!(
        "{}",
        serde_json::json!({
            "pages": report.page_counts.new,
            "attachments": report.attachment_counts.new,
            "secs": secs,
            "rss_kib": rss_kib,
        })
    );
}
