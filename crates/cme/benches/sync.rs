//! End-to-end export + sync benchmark against the simulator, with request
//! budgets.
//!
//! The parent serves a generated site in-process and runs three phases on
//! one output folder, each in a child process (this same binary) so its
//! peak RSS (VmHWM) is the exporter's alone:
//!
//! 1. full export — budget `2⌈N/250⌉ + ⌈A/250⌉ + 2A + 2S + 10` requests;
//! 2. idle sync (nothing changed) — budget `⌈N/250⌉ + ⌈A/250⌉ + S + 5`
//!    requests and under 1 s;
//! 3. sync after 1% of the pages changed through `/__sim` (edits, a few
//!    renames, moves without a version bump, trashed and new pages, one new
//!    attachment version) — budget 80 requests (fixed, sized for the
//!    default 10,000 pages: a sync lists every page, so from ~20,000 pages
//!    on the listing alone exceeds it; the line "beyond the idle sync"
//!    shows what the changes themselves cost).
//!
//! N and A are the site's pages and attachments (`GET /__sim/info`), S its
//! spaces: the export takes in their blog posts (the generator makes a few
//! per space), which cost every run one listing per space (fewer than 250
//! posts a space) and the export their bodies (at most one more request per
//! batch of bodies); the
//! requests are the simulator's counters (`/__sim/stats`), reset before each
//! phase. Prints a table, then the requests by route. `cme cpu` is the CPU
//! time the exporter (the child) used, `sim cpu` the simulator's (this
//! process) meanwhile: on loopback the wall time is mostly the simulator
//! building its JSON answers, which a real server does elsewhere.
//!
//! `cargo bench -p cme --bench sync`; `CME_BENCH_SPEC` picks the site
//! (default `pages=10000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7`);
//! `CME_BENCH_KEEP=1` keeps the output folder; `CME_BENCH_PAGE_PATH` and
//! `CME_BENCH_PARENT_PAGE_PATH` run it with path templates; `CME_BENCH_LATENCY_MS`
//! delays every API request (a real network); `CME_BENCH_CONCURRENCY` sets the
//! client's requests in flight (default: the program's); `CME_BENCH_NETWORK` turns
//! on the simulator's network model (`cloud`, `latency_ms=100,max_in_flight=30`);
//! `CME_BENCH_EXPORT_ONLY=1` runs the export alone; `CME_BENCH_NO_BLOG_POSTS=1`
//! exports no blog posts (as before they were exported); `CME_BENCH_TRACE=1` prints
//! each phase's progress stages with their times and resident memory (where
//! the time and the memory go).
//! `benches/export.rs` remains the export-only benchmark.
use cme::options::template::{Kind, PathTemplate};
use cme::sync::Selection;
use cme::sync::{Start, SyncRequest};
use cme_client::{Client, ClientConfig, Credentials, Flavor, Secret};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[path = "common/mod.rs"]
mod common;
use common::{cpu_secs, get_json, read, send};

const DEFAULT_SPEC: &str = "pages=10000,spaces=1,depth=6,attachments=0.2,body_kb=8,seed=7";
const EMAIL: &str = "sim@example.com";
const TOKEN: &str = "sim-token";
/// Requests allowed to a sync after 1% of the pages changed.
const CHANGED_BUDGET: u64 = 80;
/// An idle sync must finish within this on loopback.
const IDLE_SECS: f64 = 1.0;

fn main() {
    if let (Ok(phase), Ok(url), Ok(dir)) = (
        std::env::var("CME_BENCH_PHASE"),
        std::env::var("CME_BENCH_CHILD_URL"),
        std::env::var("CME_BENCH_DIR"),
    ) {
        child(&phase, &url, Path::new(&dir));
        return;
    }
    let spec = std::env::var("CME_BENCH_SPEC").unwrap_or_else(|_| DEFAULT_SPEC.into());
    let gen_started = Instant::now();
    let sim = confluence_sim::spawn(
        confluence_sim::SimConfig::generate(&spec).expect("valid CME_BENCH_SPEC"),
    )
    .expect("simulator starts");
    let url = sim.url();
    let info = get_json(&format!("{url}/__sim/info"));
    let n = info["pages"].as_u64().expect("info.pages");
    let a = info["attachments"].as_u64().expect("info.attachments");
    let b = info["blogPosts"].as_u64().unwrap_or(0);
    let s = info["spaces"].as_array().map_or(1, |s| s.len() as u64);
    println!(
        "sync bench of `{spec}`: {n} pages, {b} blog posts, {a} attachments, {s} spaces (site generated in {:.1} s)",
        gen_started.elapsed().as_secs_f64()
    );
    // `CME_BENCH_LATENCY_MS`: every API request waits that long, as on a real
    // network (real sites answer in 100-500 ms).
    if let Some(ms) = std::env::var("CME_BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        send(
            "PUT",
            &format!("{url}/__sim/faults"),
            Some(serde_json::json!({"latency_ms": ms})),
        );
        println!("every API request delayed by {ms} ms");
    }
    // `CME_BENCH_NETWORK`: the simulator's network model, a preset
    // (`cloud`), `key=value` fields (`latency_ms=100,max_in_flight=30`) or a
    // preset then fields (`cloud,latency_ms=200`).
    if let Ok(spec) = std::env::var("CME_BENCH_NETWORK") {
        let mut model = serde_json::Map::new();
        for part in spec.split(',').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some((k, v)) => {
                    let v = match (v.parse::<u64>(), v.parse::<f64>()) {
                        (Ok(n), _) => json!(n),
                        (_, Ok(x)) => json!(x),
                        _ => json!(v),
                    };
                    model.insert(k.to_owned(), v);
                }
                None => {
                    model.insert("preset".into(), json!(part));
                }
            }
        }
        send(
            "PUT",
            &format!("{url}/__sim/network"),
            Some(Value::Object(model)),
        );
        println!("network model: {spec}");
    }
    let dir = std::env::temp_dir().join(format!("cme-bench-sync-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let export = run_phase("export", &url, &dir);
    // `CME_BENCH_EXPORT_ONLY`: the export alone (choosing settings on a slow
    // network, where the sync phases would only add minutes).
    if std::env::var_os("CME_BENCH_EXPORT_ONLY").is_some() {
        let p = &export;
        println!(
            "export: {:.2} s wall, {:.2} s cme cpu, {} requests, {:.0} MiB RSS, {} failures; network: {}",
            p.secs,
            p.client_cpu,
            p.requests,
            p.rss_kib as f64 / 1024.0,
            p.report["failures"],
            network_line(&p.stats)
        );
        std::fs::remove_dir_all(&dir).ok();
        sim.stop();
        return;
    }
    let idle = run_phase("sync", &url, &dir);
    let change = mutate(&url, &info);
    let changed = run_phase("sync", &url, &dir);

    let budgets = [
        2 * n.div_ceil(250) + a.div_ceil(250) + 2 * a + 2 * s + 10,
        n.div_ceil(250) + a.div_ceil(250) + s + 5,
        CHANGED_BUDGET,
    ];
    let phases = [
        ("export", &export),
        ("idle sync", &idle),
        ("1% sync", &changed),
    ];
    println!();
    println!(
        "{:<10} {:>8} {:>5} {:>7} {:>7} {:>8} {:>8} {:>7} {:>5} {:>8}  {:<17} {:>6}  {:<11} {:>4}",
        "phase",
        "wall s",
        "time",
        "cme cpu",
        "sim cpu",
        "pages/s",
        "requests",
        "budget",
        "req",
        "RSS MiB",
        "pages n/m/mv/d",
        "unch",
        "atts n/m/d",
        "fail"
    );
    for (i, ((name, p), budget)) in phases.iter().zip(budgets).enumerate() {
        let verdict = |ok: bool| if ok { "PASS" } else { "OVER" };
        let pc = &p.report["page_counts"];
        let ac = &p.report["attachment_counts"];
        println!(
            "{:<10} {:>8.2} {:>5} {:>7.2} {:>7.2} {:>8} {:>8} {:>7} {:>5} {:>8.0}  {:<17} {:>6}  {:<11} {:>4}",
            name,
            p.secs,
            if i == 1 {
                verdict(p.secs < IDLE_SECS)
            } else {
                "-"
            },
            p.client_cpu,
            p.sim_cpu,
            if i == 0 {
                format!("{:.0}", n as f64 / p.secs)
            } else {
                "-".into()
            },
            p.requests,
            budget,
            verdict(p.requests <= budget),
            p.rss_kib as f64 / 1024.0,
            format!(
                "{}/{}/{}/{}",
                pc["new"], pc["modified"], pc["moved"], pc["deleted"]
            ),
            p.report["unchanged"],
            format!("{}/{}/{}", ac["new"], ac["modified"], ac["deleted"]),
            p.report["failures"],
        );
    }
    for (name, p) in phases {
        println!("{name} network: {}", network_line(&p.stats));
    }
    println!(
        "budgets: export 2⌈N/250⌉+⌈A/250⌉+2A+2S+10 requests; idle ⌈N/250⌉+⌈A/250⌉+S+5 requests and < {IDLE_SECS} s; 1% sync {CHANGED_BUDGET} requests"
    );
    println!(
        "1% sync beyond the idle sync: {:+} requests, {:+.2} s",
        changed.requests as i64 - idle.requests as i64,
        changed.secs - idle.secs
    );
    println!(
        "1% change applied: {} edited, {} renamed, {} moved (no new version), {} trashed, {} created, {} attachment new version(s)",
        change.edited,
        change.renamed,
        change.moved,
        change.trashed,
        change.created,
        change.attachments
    );
    for (name, p) in phases {
        for key in [
            "problems",
            "failures_sample",
            "vanished",
            "missing_attachments",
        ] {
            if let Some(list) = p.report[key].as_array().filter(|l| !l.is_empty()) {
                println!("  {name} {key}: {}", Value::Array(list.clone()));
            }
        }
    }

    // Requests by route, one column per phase.
    let mut routes: BTreeSet<&str> = BTreeSet::new();
    for (_, p) in phases {
        routes.extend(p.by_route.keys().map(String::as_str));
    }
    println!();
    println!("{:>8} {:>8} {:>8}  route", "export", "idle", "1% sync");
    for route in routes {
        let cell = |p: &Phase| p.by_route.get(route).copied().unwrap_or(0);
        println!(
            "{:>8} {:>8} {:>8}  {route}",
            cell(&export),
            cell(&idle),
            cell(&changed)
        );
    }
    println!(
        "{:>8} {:>8} {:>8}  total",
        export.requests, idle.requests, changed.requests
    );

    if std::env::var_os("CME_BENCH_KEEP").is_some() {
        println!("output kept in {}", dir.display());
    } else {
        std::fs::remove_dir_all(&dir).ok();
    }
    sim.stop();
}

/// The simulator's network counters of a phase: the most requests served
/// at once, the 429s its in-flight cap answered, the bytes of the answers.
fn network_line(stats: &Value) -> String {
    format!(
        "max in flight {}, throttled {}, {:.1} MB",
        stats["max_in_flight"],
        stats["throttled"],
        stats["bytes"].as_f64().unwrap_or(0.0) / 1e6
    )
}

/// What one child phase measured.
struct Phase {
    secs: f64,
    /// CPU the client (the child) used.
    client_cpu: f64,
    /// CPU the simulator (this process) used meanwhile.
    sim_cpu: f64,
    rss_kib: u64,
    requests: u64,
    by_route: BTreeMap<String, u64>,
    report: Value,
    /// The simulator's counters after the phase.
    stats: Value,
}

/// Resets the counters, runs `phase` in a child process, reads the counters.
fn run_phase(phase: &str, url: &str, dir: &Path) -> Phase {
    send("POST", &format!("{url}/__sim/stats/reset"), None);
    let sim_before = cpu_secs();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .env("CME_BENCH_PHASE", phase)
        .env("CME_BENCH_CHILD_URL", url)
        .env("CME_BENCH_DIR", dir)
        .output()
        .expect("child runs");
    if !out.status.success() {
        eprintln!(
            "{phase} failed ({}):\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        std::process::exit(1);
    }
    let sim_cpu = cpu_secs() - sim_before;
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).expect("child JSON");
    let stats = get_json(&format!("{url}/__sim/stats"));
    Phase {
        secs: report["secs"].as_f64().unwrap_or(f64::NAN),
        client_cpu: report["cpu_secs"].as_f64().unwrap_or(f64::NAN),
        sim_cpu,
        rss_kib: report["rss_kib"].as_u64().unwrap_or(0),
        requests: stats["requests"].as_u64().unwrap_or(0),
        by_route: stats["by_route"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default(),
        report,
        stats,
    }
}

/// The child: one export or sync into `dir`; prints the outcome as JSON.
fn child(phase: &str, url: &str, dir: &Path) {
    let mut cfg = ClientConfig::new(
        url,
        Flavor::Cloud,
        Credentials::Basic {
            email: EMAIL.into(),
            token: Secret::new(TOKEN),
        },
    );
    // The program's default, or `CME_BENCH_CONCURRENCY`.
    match std::env::var("CME_BENCH_CONCURRENCY")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) => cfg.max_concurrency = n,
        None => cme::cli::connect::default_concurrency(&mut cfg),
    }
    let client = Client::new(cfg).unwrap();
    let start = match phase {
        "export" => Start::Export {
            scope: Selection::AllSpaces
                .scope()
                .with_blog_posts(std::env::var_os("CME_BENCH_NO_BLOG_POSTS").is_none()),
            append: false,
        },
        "sync" => Start::Sync,
        other => panic!("unknown phase {other}"),
    };
    let mut req = SyncRequest::new(PathBuf::from(dir), start);
    // `CME_BENCH_PAGE_PATH` / `CME_BENCH_PARENT_PAGE_PATH`: with path templates.
    let template = |var: &str| {
        std::env::var(var)
            .ok()
            .map(|t| PathTemplate::parse(&t, Kind::Page).expect("a valid page template"))
    };
    req.layout = cme::state::LayoutSettings {
        page_path: template("CME_BENCH_PAGE_PATH"),
        parent_page_path: template("CME_BENCH_PARENT_PAGE_PATH"),
        ..Default::default()
    }
    .non_default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    // With CME_BENCH_TRACE, the program's plain progress lines show where
    // the time goes.
    let trace = std::env::var_os("CME_BENCH_TRACE").is_some();
    let progress: std::sync::Arc<dyn cme::cli::progress::Progress + Send + Sync> = if trace {
        std::sync::Arc::new(WithRss {
            inner: cme::cli::progress::for_stderr(cme::cli::progress::Display::Lines),
            started,
        })
    } else {
        std::sync::Arc::new(cme::cli::progress::Silent)
    };
    let report = rt
        .block_on(cme::sync::run(&client, req, progress.as_ref()))
        .unwrap_or_else(|e| panic!("{phase} fails: {e:#}"));
    let secs = started.elapsed().as_secs_f64();
    if trace {
        eprintln!("  [{phase} {secs:7.3} s] done");
    }
    let rss_kib = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
        });
    let failures: Vec<String> = report
        .failures
        .iter()
        .take(5)
        .map(|f| format!("{}: {}", f.path, f.reason))
        .collect();
    println!(
        "{}",
        json!({
            "secs": secs,
            "cpu_secs": cpu_secs(),
            "rss_kib": rss_kib,
            "page_counts": report.page_counts,
            "attachment_counts": report.attachment_counts,
            "unchanged": report.unchanged,
            "failures": report.failures.len(),
            "failures_sample": failures,
            "problems": report.problems,
            "vanished": report.vanished.iter().take(5).collect::<Vec<_>>(),
            "missing_attachments": report.missing_attachments.iter().take(5).collect::<Vec<_>>(),
            "held_deletions": report.held_deletions,
        })
    );
}

/// Resident memory now and at its peak (VmRSS, VmHWM), in KiB.
fn rss_now_and_peak() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// With `CME_BENCH_TRACE`: the progress lines, each phase and status also
/// with the time and the memory so far (where the memory goes).
struct WithRss {
    inner: std::sync::Arc<dyn cme::cli::progress::Progress + Send + Sync>,
    started: Instant,
}

impl WithRss {
    fn mark(&self, what: &str) {
        let (now, peak) = rss_now_and_peak();
        eprintln!(
            "  [{:8.3} s] rss {:6.0} MiB (peak {:6.0}) {what}",
            self.started.elapsed().as_secs_f64(),
            now as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
}

impl cme::cli::progress::Progress for WithRss {
    fn phase(&self, phase: cme::cli::progress::Phase, total: u64) {
        self.mark(&format!("phase {} ({total})", phase.label()));
        self.inner.phase(phase, total);
    }
    fn status(&self, text: &str) {
        self.mark(text);
        self.inner.status(text);
    }
    fn advance(&self, items: u64, bytes: u64) {
        self.inner.advance(items, bytes);
    }
    fn throttled(&self, wait: std::time::Duration) {
        self.inner.throttled(wait);
    }
    fn finish(&self) {
        self.mark("finish");
        self.inner.finish();
    }
}

/// What `mutate` changed.
#[derive(Default)]
struct Change {
    edited: usize,
    renamed: usize,
    moved: usize,
    trashed: usize,
    created: usize,
    attachments: usize,
}

/// One page of the site, from the v2 listing.
struct PageRow {
    id: String,
    title: String,
    parent: Option<String>,
    space: String,
}

/// Changes 1% of the pages (at least 5) through the control API: mostly
/// edits, and 1/20 each of renames, moves under the space homepage (no new
/// version), trashes and new pages (at least one of each); plus one new
/// version of an attachment. Renamed, moved and trashed pages are leaves, so
/// each change touches one file. Deterministic for a given site.
fn mutate(url: &str, info: &Value) -> Change {
    let homes: HashMap<String, (String, String)> = info["spaces"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                s["id"].as_str()?.to_owned(),
                (
                    s["homepageId"].as_str()?.to_owned(),
                    s["key"].as_str()?.to_owned(),
                ),
            ))
        })
        .collect();
    let pages = list_pages(url);
    let home_ids: BTreeSet<&str> = homes.values().map(|(h, _)| h.as_str()).collect();
    let parents: BTreeSet<&str> = pages.iter().filter_map(|p| p.parent.as_deref()).collect();
    let mut order: Vec<usize> = (0..pages.len())
        .filter(|&i| !home_ids.contains(pages[i].id.as_str()))
        .collect();
    shuffle(&mut order, 7);
    let changed = pages.len().div_ceil(100).max(5);
    let few = (changed / 20).max(1);
    let is_leaf = |i: usize| !parents.contains(pages[i].id.as_str());
    // The attachment to version: one its page's body shows (the exporter
    // downloads only attachments in use); that page is left alone.
    let attachment = used_attachment(url);
    let mut used: BTreeSet<usize> = attachment
        .iter()
        .filter_map(|(page, _)| pages.iter().position(|p| &p.id == page))
        .collect();
    let mut take = |count: usize, want: &dyn Fn(usize) -> bool| -> Vec<usize> {
        let picked: Vec<usize> = order
            .iter()
            .copied()
            .filter(|i| !used.contains(i) && want(*i))
            .take(count)
            .collect();
        used.extend(picked.iter().copied());
        picked
    };
    let trash = take(few, &is_leaf);
    let home_of = |i: usize| homes.get(&pages[i].space).map(|(h, _)| h.as_str());
    let moves = take(few, &|i| {
        is_leaf(i) && pages[i].parent.as_deref() != home_of(i) && home_of(i).is_some()
    });
    let renames = take(few, &is_leaf);
    let edits = take(changed.saturating_sub(4 * few), &|_| true);

    let mut change = Change::default();
    for &i in &edits {
        let body = format!(
            "<p>Edited by the sync benchmark.</p><p>{}</p>",
            pages[i].title
        );
        send(
            "PATCH",
            &format!("{url}/__sim/pages/{}", pages[i].id),
            Some(json!({ "body": body })),
        );
        change.edited += 1;
    }
    for &i in &renames {
        let title = format!("{} (renamed)", pages[i].title);
        send(
            "PATCH",
            &format!("{url}/__sim/pages/{}", pages[i].id),
            Some(json!({ "title": title })),
        );
        change.renamed += 1;
    }
    for &i in &moves {
        let home = home_of(i).unwrap();
        send(
            "PATCH",
            &format!("{url}/__sim/pages/{}", pages[i].id),
            Some(json!({ "parent_id": home })),
        );
        change.moved += 1;
    }
    for &i in &trash {
        send(
            "DELETE",
            &format!("{url}/__sim/pages/{}", pages[i].id),
            None,
        );
        change.trashed += 1;
    }
    let mut spaces: Vec<&(String, String)> = homes.values().collect();
    spaces.sort();
    for k in 0..few {
        let (home, key) = spaces[k % spaces.len()];
        send(
            "POST",
            &format!("{url}/__sim/pages"),
            Some(json!({
                "space": key,
                "parent_id": home,
                "title": format!("Bench new page {k}"),
                "body": format!("<p>New page {k} from the sync benchmark.</p>"),
            })),
        );
        change.created += 1;
    }
    if let Some((page, att)) = &attachment {
        send(
            "POST",
            &format!("{url}/__sim/pages/{page}/attachments"),
            Some(json!({
                "filename": att["title"],
                "media_type": att["extensions"]["mediaType"].as_str().unwrap_or("application/octet-stream"),
                "data_base64": base64(b"a new version from the sync benchmark\n"),
            })),
        );
        change.attachments += 1;
    }
    change
}

/// An attachment (with its page id) that its page's current body shows,
/// found through the CQL attachment listing and the pages' bodies.
fn used_attachment(url: &str) -> Option<(String, Value)> {
    let mut next = Some(format!(
        "{url}/wiki/rest/api/content/search?cql=type%3Dattachment&limit=50&expand=container,extensions"
    ));
    let mut bodies: HashMap<String, String> = HashMap::new();
    while let Some(u) = next.take() {
        let found = get_json_auth(&u);
        for att in found["results"].as_array().into_iter().flatten() {
            let (Some(page), Some(name)) = (att["container"]["id"].as_str(), att["title"].as_str())
            else {
                continue;
            };
            let body = bodies.entry(page.to_owned()).or_insert_with(|| {
                let v = get_json_auth(&format!(
                    "{url}/wiki/api/v2/pages/{page}?body-format=storage"
                ));
                v["body"]["storage"]["value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            });
            if body.contains(&format!("ri:filename=\"{name}\"")) {
                return Some((page.to_owned(), att.clone()));
            }
        }
        next = found["_links"]["next"]
            .as_str()
            .map(|n| format!("{url}/wiki{n}"));
    }
    None
}

/// Every current page, through the v2 listing (250 a call).
fn list_pages(url: &str) -> Vec<PageRow> {
    let mut out = Vec::new();
    let mut next = Some(format!("{url}/wiki/api/v2/pages?limit=250"));
    while let Some(u) = next.take() {
        let v = get_json_auth(&u);
        for r in v["results"].as_array().into_iter().flatten() {
            out.push(PageRow {
                id: r["id"].as_str().unwrap_or_default().to_owned(),
                title: r["title"].as_str().unwrap_or_default().to_owned(),
                parent: r["parentId"].as_str().map(str::to_owned),
                space: r["spaceId"].as_str().unwrap_or_default().to_owned(),
            });
        }
        next = v["_links"]["next"].as_str().map(|n| format!("{url}{n}"));
    }
    out
}

/// Fisher–Yates with SplitMix64: a fixed order for a given seed.
fn shuffle(v: &mut [usize], seed: u64) {
    let mut s = seed;
    let mut next = || {
        s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in (1..v.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let b = [c[0], *c.get(1).unwrap_or(&0), *c.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= c.len() {
                out.push(T[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A Confluence API GET (counted by the simulator's stats).
fn get_json_auth(u: &str) -> Value {
    let auth = format!("Basic {}", base64(format!("{EMAIL}:{TOKEN}").as_bytes()));
    read(ureq::get(u).header("Authorization", &auth).call(), u)
}
