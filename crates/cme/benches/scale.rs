//! The scale benchmark of issue 18: exports and idle syncs of 1,000 to
//! 100,000 pages, on loopback and behind a network model, with the issue's
//! targets printed as PASS/FAIL.
//!
//! For each size the parent generates one site in an in-process simulator
//! (`pages=N,spaces=S,depth=6,attachments=0.2,body_kb=8,seed=7`), then for
//! each network model runs an export into a fresh folder and an idle sync of
//! it. Each phase is the real program (`cme all-spaces` / `cme sync`, built
//! by cargo for this bench) in a child process, so its wall time, CPU time
//! and peak RSS (`wait4`'s rusage) are the exporter's alone, at the
//! program's default concurrency and with its real start-up and report.
//! The child is started by a small runner (this bench, run again in its
//! measuring mode), not by this process: a process's peak RSS starts at
//! that of the process that spawned it, and this one holds the simulator.
//! Requests, response bytes, 429s and the peak of requests in flight are the
//! simulator's counters (`/__sim/stats`, reset before each phase); without
//! the simulator's byte counter the client's own count (the report's
//! `traffic.bytes`) is shown, marked `c`.
//!
//! Network models (`CME_SCALE_NETWORK`, default `off,100ms`):
//! `off` is loopback; `100ms` is exactly 100 ms per request (the simulator's
//! `latency-100` preset, or, on a simulator without the network model, the
//! fault injector's `latency_ms`); `cloud` is the simulator's `cloud` preset
//! (latency with jitter, bandwidth, per-item cost, 429 above 30 in flight).
//!
//! **Critical path.** The longest chain of requests in which each needs the
//! answer of the one before, times the per-request base latency: the time a
//! phase would take with unlimited concurrency and free CPU. It is measured
//! per phase from the requests the phase made (the client's `response` log
//! lines, `CME_LOG=cme_client=debug --log-file`, only in runs with a network
//! model), under this dependency model:
//!
//! - `spaces`: the space listing's requests (a cursor chain) come first;
//! - `listing`: every other listing waits for it. One listing is a cursor
//!   chain (its requests differ only in `cursor`/`start`), so this step is
//!   the longest chain among listings named by a space (pages, attachments,
//!   comments), or, for a partitioned listing when longer, the root pages'
//!   chain (v2 `depth=root`; at least 1) plus the longest children listing
//!   (v2 `/children`, `/direct-children`, CQL `parent =`) plus the longest
//!   subtree listing (v2 `/descendants`, CQL `ancestor =`); then 1 more
//!   when pages were looked up by id without bodies (a part's pages, a
//!   confirmation before deletions). The sum is exact when the longest
//!   chains hang off each other, else an upper bound on this step. Labels
//!   run beside that: a space's label names (`/content/labels`), then the
//!   pages carrying them (CQL `label in`); the step is the longer of the
//!   two;
//! - `bodies`: 1 when any body was fetched (a body batch needs the listing;
//!   batches do not need each other; included pages' bodies, which would
//!   add a round each, do not occur in generated sites);
//! - `after`: 2 when a download was answered with a redirect (Cloud's
//!   download, then the media host), 1 for a download or a user-name lookup
//!   alone (names need the bodies or the listing that named the accounts),
//!   0 otherwise; downloads and names do not need each other.
//!
//! An idle sync's critical path is therefore `spaces + listing` (+ 1 when
//! display names are asked after the listing), an export's
//! `spaces + listing + 1 + 2`. It is a model of what must wait for what,
//! measured from the requests made, not a trace of dependencies the client
//! recorded (it tags none). A confirmation by id before deletions would
//! add one step; idle syncs delete nothing. If no log line could be read the
//! shape's figure for one cursor per space is used instead
//! (`1 + ⌈biggest space / 250⌉`, plus `1 + 2` for an export), marked `~`.
//!
//! Targets (issue 18). With 100 ms per request: an export's wall time within
//! 1.5× its critical path plus its CPU time; an idle sync of 1,000 pages
//! within 0.6 s, of 100,000 pages in 100 spaces within 10 s, in 1 space
//! within 20 s; an export of 10,000 pages in 1 space within 15 s. On
//! loopback: an idle sync of 100,000 pages within 4 s and 200 MB, an export
//! within 25 s and 400 MB; idle-sync bytes at most 1.5 kB (1,500 bytes) per
//! page (judged on each size's first idle sync). MB are 10⁶ bytes. A bench
//! reports: it exits 0 whatever the verdicts, after `targets: X of Y pass`.
//!
//! `cargo bench -p cme --bench scale`; `CME_SCALE_SIZES` picks sizes
//! (`1k,10k,100k-100,100k-1`, the default all four; any `NNk-S`, thousands
//! of pages in S spaces, measures between them), `CME_SCALE_NETWORK` the
//! models (`off,100ms,cloud`), `CME_SCALE_KEEP=1` keeps the output folders
//! and logs, `CME_SCALE_DROP_CACHES=1` (root) drops the kernel's caches
//! before each export, as on a fresh machine. Built with `--features mem-stats` and run with
//! `CME_MEM_STATS=1`, each phase also prints what the program's heap held
//! after each step (state load, listings, plan, execute, save).
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

#[path = "common/mod.rs"]
mod common;
use common::{cpu_secs, get_json, send};

const EMAIL: &str = "sim@example.com";
const TOKEN: &str = "sim-token";
/// Results per listing request (Cloud's cap for CQL and v2 listings).
const PER_CALL: u64 = 250;

/// One site size of the matrix.
struct Size {
    key: &'static str,
    pages: u64,
    spaces: u64,
}

const SIZES: [Size; 4] = [
    Size {
        key: "1k",
        pages: 1_000,
        spaces: 1,
    },
    Size {
        key: "10k",
        pages: 10_000,
        spaces: 1,
    },
    Size {
        key: "100k-100",
        pages: 100_000,
        spaces: 100,
    },
    Size {
        key: "100k-1",
        pages: 100_000,
        spaces: 1,
    },
];

impl Size {
    /// Another size, `NNk-S` (thousands of pages, spaces; for measuring
    /// between the matrix's sizes). No target names it.
    fn parse(key: &str) -> Option<&'static Size> {
        let (k, spaces) = key.split_once('-').unwrap_or((key, "1"));
        let pages = k.strip_suffix('k')?.parse::<u64>().ok()? * 1000;
        let spaces = spaces.parse::<u64>().ok().filter(|&s| s > 0)?;
        Some(Box::leak(Box::new(Size {
            key: Box::leak(key.to_owned().into_boxed_str()),
            pages,
            spaces,
        })))
    }

    fn spec(&self) -> String {
        format!(
            "pages={},spaces={},depth=6,attachments=0.2,body_kb=8,seed=7",
            self.pages, self.spaces
        )
    }

    /// Pages of the biggest space (the generator gives the first space the
    /// remainder).
    fn biggest_space(&self) -> u64 {
        self.pages / self.spaces + self.pages % self.spaces
    }
}

/// A network model between the exporter and the simulator.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Network {
    Off,
    Latency100,
    Cloud,
}

impl Network {
    fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "off" | "loopback" => Some(Network::Off),
            "100ms" | "latency-100" => Some(Network::Latency100),
            "cloud" => Some(Network::Cloud),
            _ => None,
        }
    }

    fn key(self) -> &'static str {
        match self {
            Network::Off => "off",
            Network::Latency100 => "100ms",
            Network::Cloud => "cloud",
        }
    }

    /// Switches the simulator to this model; returns the base latency per
    /// request in seconds, or `None` when this simulator cannot model it.
    fn apply(self, url: &str, has_model: bool) -> Option<f64> {
        let off = || {
            if has_model {
                send("DELETE", &format!("{url}/__sim/network"), None);
            }
            send("DELETE", &format!("{url}/__sim/faults"), None);
        };
        off();
        match self {
            Network::Off => Some(0.0),
            Network::Latency100 if has_model => {
                send(
                    "PUT",
                    &format!("{url}/__sim/network"),
                    Some(json!({"preset": "latency-100"})),
                );
                Some(0.1)
            }
            Network::Latency100 => {
                send(
                    "PUT",
                    &format!("{url}/__sim/faults"),
                    Some(json!({"latency_ms": 100})),
                );
                Some(0.1)
            }
            Network::Cloud if has_model => {
                send(
                    "PUT",
                    &format!("{url}/__sim/network"),
                    Some(json!({"preset": "cloud"})),
                );
                let model = get_json(&format!("{url}/__sim/network"));
                Some(model["latency_ms"].as_f64().unwrap_or(0.0) / 1000.0)
            }
            Network::Cloud => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PhaseKind {
    Export,
    IdleSync,
}

impl PhaseKind {
    fn name(self) -> &'static str {
        match self {
            PhaseKind::Export => "export",
            PhaseKind::IdleSync => "idle sync",
        }
    }
}

/// The critical path of one phase, in requests (see the module comment).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Chain {
    spaces: u64,
    listing: u64,
    bodies: u64,
    after: u64,
    /// From the site's shape, not from the phase's requests.
    estimated: bool,
}

impl Chain {
    fn requests(&self) -> u64 {
        self.spaces + self.listing + self.bodies + self.after
    }
}

/// What one phase measured.
struct Measured {
    wall: f64,
    cpu: f64,
    sim_cpu: f64,
    rss_kib: u64,
    exit: i32,
    requests: u64,
    /// Response bytes, and whether the client counted them (the simulator
    /// had no byte counter).
    bytes: Option<(u64, bool)>,
    throttled: Option<u64>,
    peak_in_flight: Option<u64>,
    report: Value,
    chain: Option<Chain>,
    /// Requests by route (`GET /wiki/api/v2/spaces` → n).
    by_route: BTreeMap<String, u64>,
}

/// One row of the table.
struct Run {
    size: &'static Size,
    network: Network,
    phase: PhaseKind,
    latency: f64,
    m: Measured,
}

impl Run {
    fn critical_secs(&self) -> Option<f64> {
        self.m.chain.map(|c| c.requests() as f64 * self.latency)
    }

    fn rss_mb(&self) -> f64 {
        self.m.rss_kib as f64 * 1024.0 / 1e6
    }
}

fn main() {
    // The measuring runner (see `run_cme`): runs its arguments as a
    // command and writes what the operating system says of it to the file.
    if let Some(file) = std::env::var_os(MEASURE_ENV) {
        let mut args = std::env::args_os().skip(1);
        let program = args.next().expect("a program to run");
        let mut cmd = std::process::Command::new(program);
        cmd.args(args).env_remove(MEASURE_ENV);
        let c = spawn_measured(&mut cmd);
        std::fs::write(
            file,
            format!("{} {} {} {}", c.wall, c.cpu, c.rss_kib, c.exit),
        )
        .expect("the measurement file");
        return;
    }
    // `CME_SCALE_CHAIN_LOG=FILE`: the critical path of a kept request log.
    if let Ok(file) = std::env::var("CME_SCALE_CHAIN_LOG") {
        let text = std::fs::read_to_string(&file).expect("a readable log");
        println!("{:?}", chain_from_log(&text));
        return;
    }
    let sizes: Vec<&'static Size> = match std::env::var("CME_SCALE_SIZES") {
        Ok(v) if !v.trim().is_empty() => v
            .split(',')
            .filter(|k| !k.trim().is_empty())
            .map(|k| {
                SIZES
                    .iter()
                    .find(|s| s.key == k.trim())
                    .or_else(|| Size::parse(k.trim()))
                    .unwrap_or_else(|| {
                        eprintln!(
                            "CME_SCALE_SIZES: unknown size {k:?} (known: 1k, 10k, 100k-100, 100k-1, or NNk-SPACES)"
                        );
                        std::process::exit(2)
                    })
            })
            .collect(),
        _ => SIZES.iter().collect(),
    };
    let networks: Vec<Network> = std::env::var("CME_SCALE_NETWORK")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "off,100ms".into())
        .split(',')
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            Network::parse(k).unwrap_or_else(|| {
                eprintln!("CME_SCALE_NETWORK: unknown model {k:?} (known: off, 100ms, cloud)");
                std::process::exit(2)
            })
        })
        .collect();
    let work = std::env::temp_dir().join(format!("cme-bench-scale-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("a work folder");

    let mut runs: Vec<Run> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for size in &sizes {
        let spec = size.spec();
        let started = Instant::now();
        let sim = confluence_sim::spawn(
            confluence_sim::SimConfig::generate(&spec).expect("a valid generator spec"),
        )
        .expect("simulator starts");
        let url = sim.url();
        let info = get_json(&format!("{url}/__sim/info"));
        let has_model = try_get_json(&format!("{url}/__sim/network")).is_some();
        println!(
            "{}: `{spec}`: {} pages, {} attachments (generated in {:.1} s){}",
            size.key,
            info["pages"],
            info["attachments"],
            started.elapsed().as_secs_f64(),
            if has_model {
                ""
            } else {
                "; no network model in this simulator: 100 ms through the fault injector"
            }
        );
        for &network in &networks {
            let Some(latency) = network.apply(&url, has_model) else {
                notes.push(format!(
                    "{} {}: skipped (this simulator has no network model)",
                    size.key,
                    network.key()
                ));
                continue;
            };
            let dir = work.join(format!("{}-{}", size.key, network.key()));
            for phase in [PhaseKind::Export, PhaseKind::IdleSync] {
                let m = run_phase(phase, &url, &dir, latency > 0.0, size);
                let run = Run {
                    size,
                    network,
                    phase,
                    latency,
                    m,
                };
                println!("  {}", row(&run));
                check_outcome(&run, &mut notes);
                runs.push(run);
            }
            if std::env::var_os("CME_SCALE_KEEP").is_none() {
                std::fs::remove_dir_all(&dir).ok();
            }
        }
        sim.stop();
    }

    println!();
    println!("{}", header());
    for run in &runs {
        println!("{}", row(run));
    }
    println!(
        "crit: critical path (requests in the longest dependent chain × latency; ~ estimated from the shape); bytes: response bodies (c: counted by the client)"
    );
    for n in &notes {
        println!("note: {n}");
    }
    println!();
    println!("requests by route:");
    for r in &runs {
        let mut routes: Vec<(&String, &u64)> = r.m.by_route.iter().collect();
        routes.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let list: Vec<String> = routes.iter().map(|(k, n)| format!("{n} {k}")).collect();
        println!(
            "  {} {} {}: {}",
            r.size.key,
            r.network.key(),
            r.phase.name(),
            list.join(", ")
        );
    }
    println!();
    let targets = targets(&runs);
    for t in &targets {
        println!(
            "{} {}: {}",
            if t.pass { "PASS" } else { "FAIL" },
            t.name,
            t.measured
        );
    }
    let passed = targets.iter().filter(|t| t.pass).count();
    println!("targets: {passed} of {} pass", targets.len());
    if std::env::var_os("CME_SCALE_KEEP").is_some() {
        println!("output and logs kept in {}", work.display());
    } else {
        std::fs::remove_dir_all(&work).ok();
    }
}

fn header() -> String {
    format!(
        "{:<9} {:<6} {:<10} {:>8} {:>12} {:>8} {:>9} {:>8} {:>7} {:>7} {:>7} {:>5} {:>5}",
        "size",
        "net",
        "phase",
        "wall s",
        "crit s (req)",
        "requests",
        "MiB",
        "B/page",
        "cme cpu",
        "sim cpu",
        "RSS MB",
        "429",
        "peak"
    )
}

fn row(r: &Run) -> String {
    let m = &r.m;
    let crit = match (r.critical_secs(), m.chain) {
        (Some(s), Some(c)) if r.latency > 0.0 => format!(
            "{}{:.1} ({})",
            if c.estimated { "~" } else { "" },
            s,
            c.requests()
        ),
        _ => "-".into(),
    };
    let (mib, per_page) = match m.bytes {
        Some((b, client)) => (
            format!(
                "{:.1}{}",
                b as f64 / 1048576.0,
                if client { "c" } else { "" }
            ),
            format!("{:.0}", b as f64 / r.size.pages as f64),
        ),
        None => ("-".into(), "-".into()),
    };
    let opt = |v: Option<u64>| v.map_or("-".into(), |v| v.to_string());
    format!(
        "{:<9} {:<6} {:<10} {:>8.2} {:>12} {:>8} {:>9} {:>8} {:>7.2} {:>7.2} {:>7.0} {:>5} {:>5}",
        r.size.key,
        r.network.key(),
        r.phase.name(),
        m.wall,
        crit,
        m.requests,
        mib,
        per_page,
        m.cpu,
        m.sim_cpu,
        r.rss_mb(),
        opt(m.throttled),
        opt(m.peak_in_flight),
    )
}

/// Notes what a phase did that it should not have: an export with failures
/// or listing problems, an idle sync that changed anything, an error exit.
fn check_outcome(r: &Run, notes: &mut Vec<String>) {
    let what = format!("{} {} {}", r.size.key, r.network.key(), r.phase.name());
    let rep = &r.m.report;
    if r.m.exit != 0 {
        notes.push(format!("{what}: exit code {}", r.m.exit));
    }
    let failures = rep["failures"].as_array().map_or(0, Vec::len);
    if failures > 0 {
        notes.push(format!("{what}: {failures} failures"));
    }
    if let Some(p) = rep["problems"].as_array().filter(|p| !p.is_empty()) {
        notes.push(format!(
            "{what}: listing problems {}",
            Value::Array(p.clone())
        ));
    }
    if r.phase == PhaseKind::IdleSync {
        let changed: u64 = ["page_counts", "attachment_counts"]
            .iter()
            .flat_map(|k| ["new", "modified", "moved", "deleted"].map(|c| &rep[k][c]))
            .filter_map(Value::as_u64)
            .sum();
        if changed > 0 {
            notes.push(format!("{what}: changed {changed} files (expected none)"));
        }
    }
}

/// Resets the counters, runs one phase of the program, reads the counters.
fn run_phase(phase: PhaseKind, url: &str, dir: &Path, log: bool, size: &Size) -> Measured {
    if phase == PhaseKind::Export {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::fs::create_dir_all(dir).expect("the output folder");
    let side = dir.with_extension(match phase {
        PhaseKind::Export => "export",
        PhaseKind::IdleSync => "sync",
    });
    std::fs::create_dir_all(&side).expect("a folder for the phase's files");
    let log_file = log.then(|| side.join("requests.log"));
    send("POST", &format!("{url}/__sim/stats/reset"), None);
    let sim_before = cpu_secs();
    let child = run_cme(phase, url, dir, &side, log_file.as_deref());
    let sim_cpu = cpu_secs() - sim_before;
    let stats = get_json(&format!("{url}/__sim/stats"));
    let report: Value = std::fs::read(side.join("stdout"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    if report.is_null() || child.exit > 1 {
        let stderr = std::fs::read_to_string(side.join("stderr")).unwrap_or_default();
        eprintln!(
            "{} failed (exit {}):\n{}",
            phase.name(),
            child.exit,
            stderr.lines().rev().take(20).collect::<Vec<_>>().join("\n")
        );
    }
    // A program built with `--features mem-stats`, run with
    // `CME_MEM_STATS=1`, says what its heap held per phase.
    if std::env::var_os("CME_MEM_STATS").is_some() {
        let stderr = std::fs::read_to_string(side.join("stderr")).unwrap_or_default();
        for l in stderr.lines().filter(|l| l.starts_with("mem: ")) {
            println!("    {} {l}", phase.name());
        }
    }
    let bytes = match stats["bytes"].as_u64() {
        Some(b) => Some((b, false)),
        None => report["traffic"]["bytes"].as_u64().map(|b| (b, true)),
    };
    let by_route: BTreeMap<String, u64> = stats["by_route"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default();
    let chain = log_file.map(|f| {
        std::fs::read_to_string(&f)
            .ok()
            .and_then(|text| chain_from_log(&text))
            .unwrap_or_else(|| chain_from_shape(phase, size, &by_route))
    });
    Measured {
        wall: child.wall,
        cpu: child.cpu,
        sim_cpu,
        rss_kib: child.rss_kib,
        exit: child.exit,
        requests: stats["requests"].as_u64().unwrap_or(0),
        bytes,
        throttled: stats["throttled"].as_u64(),
        peak_in_flight: stats["max_in_flight"].as_u64(),
        report,
        chain,
        by_route,
    }
}

/// What the operating system says about one child process.
struct Child {
    wall: f64,
    cpu: f64,
    rss_kib: u64,
    exit: i32,
}

/// Runs `cme all-spaces` or `cme sync` on `dir` with settings from the
/// environment only (an empty settings file path, so no user's settings
/// apply); the JSON report goes to `side/stdout`.
fn run_cme(phase: PhaseKind, url: &str, dir: &Path, side: &Path, log: Option<&Path>) -> Child {
    // The phases before wrote gigabytes: flushed first, their write-back
    // is not charged to this phase (it doubled an export's kernel time
    // late in a full run).
    let _ = std::process::Command::new("sync").status();
    // And, asked for (root only), the kernel's caches dropped before an
    // export: the names of the ~120,000 files each earlier export created
    // and removed fill the directory-entry cache, and a late export's file
    // operations took twice the kernel time (48 s instead of 24 s for
    // 100,000 pages). An idle sync keeps the cache its export left, as a
    // sync soon after the last run does.
    if phase == PhaseKind::Export
        && std::env::var_os("CME_SCALE_DROP_CACHES").is_some()
        && std::fs::write("/proc/sys/vm/drop_caches", "3").is_err()
    {
        eprintln!("CME_SCALE_DROP_CACHES: cannot write /proc/sys/vm/drop_caches (not root?)");
    }
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cme"));
    match phase {
        PhaseKind::Export => cmd.arg("all-spaces"),
        PhaseKind::IdleSync => cmd.arg("sync"),
    };
    cmd.arg("-o").arg(dir).args(["--json", "-q"]);
    cmd.env("CME_CONFIG", side.join("no-settings.toml"))
        .env("CME_URL", url)
        .env("CME_EMAIL", EMAIL)
        .env("CME_API_TOKEN", TOKEN)
        .env("CME_FLAVOR", "cloud")
        .env_remove("RUST_LOG")
        .env_remove("CME_LOG")
        .env_remove("CME_PAT");
    if let Some(log) = log {
        let _ = std::fs::remove_file(log);
        cmd.arg("--log-file")
            .arg(log)
            .env("CME_LOG", "cme_client=debug");
    }
    // Not spawned from here: a child of this process starts with this
    // process's peak resident set as its own (exec keeps the old memory's
    // high-water mark, and this process holds the simulator's site), so
    // the program's peak would read as the simulator's. A runner started
    // afresh (this bench, in its measuring mode) spawns it and reports.
    let measured = side.join("measured");
    let mut runner = std::process::Command::new(std::env::current_exe().expect("this bench"));
    runner
        .env(MEASURE_ENV, &measured)
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => runner.env(k, v),
            None => runner.env_remove(k),
        };
    }
    runner
        .stdout(std::fs::File::create(side.join("stdout")).expect("stdout file"))
        .stderr(std::fs::File::create(side.join("stderr")).expect("stderr file"));
    let status = runner.status().expect("the measuring runner runs");
    let text = std::fs::read_to_string(&measured).unwrap_or_default();
    let f: Vec<&str> = text.split_whitespace().collect();
    match f[..] {
        [wall, cpu, rss, exit] => Child {
            wall: wall.parse().unwrap_or(0.0),
            cpu: cpu.parse().unwrap_or(0.0),
            rss_kib: rss.parse().unwrap_or(0),
            exit: exit.parse().unwrap_or(-1),
        },
        _ => panic!("the measuring runner failed ({status})"),
    }
}

/// The environment variable that puts this bench in its measuring mode.
const MEASURE_ENV: &str = "CME_SCALE_MEASURE";

/// Runs `cmd` to its end: its wall time, and (from `wait4`'s rusage) its
/// CPU time and peak resident set.
fn spawn_measured(cmd: &mut std::process::Command) -> Child {
    let started = Instant::now();
    // Reaped by `wait4` below, which also gives its rusage.
    #[allow(clippy::zombie_processes)]
    let child = cmd.spawn().expect("the program runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: wait4 only writes the status and the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            panic!("wait4: {}", std::io::Error::last_os_error());
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let t = |v: libc::timeval| v.tv_sec as f64 + v.tv_usec as f64 / 1e6;
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Child {
        wall,
        cpu: t(usage.ru_utime) + t(usage.ru_stime),
        // Linux reports the peak resident set in KiB.
        rss_kib: usage.ru_maxrss as u64,
        exit,
    }
}

/// One request the client logged: its URL and status.
struct Logged<'a> {
    url: &'a str,
    status: u16,
}

/// The client's request lines: `cme_client::transport: GET URL STATUS in
/// SECS s` (the `-v` log), or the older `response url=… status=…`. A line
/// that reads as neither is skipped; the caller falls back to the shape
/// when none reads.
fn logged(text: &str) -> Vec<Logged<'_>> {
    text.lines()
        .filter_map(|l| {
            if let Some(rest) = l.split_once(" response url=").map(|(_, r)| r) {
                let (url, status) = rest.split_once(" status=")?;
                let status = status.split_whitespace().next()?.parse().ok()?;
                return Some(Logged { url, status });
            }
            let rest = l.split_once("cme_client::transport: GET ")?.1;
            let mut words = rest.rsplitn(5, ' ');
            let (unit, _secs, word_in, status, url) = (
                words.next()?,
                words.next()?,
                words.next()?,
                words.next()?,
                words.next()?,
            );
            if unit != "s" || word_in != "in" {
                return None;
            }
            Some(Logged {
                url,
                status: status.parse().ok()?,
            })
        })
        .collect()
}

/// What a request was for, as far as the critical path cares.
#[derive(Debug, PartialEq, Eq, Hash)]
enum Role {
    Spaces,
    /// A listing named by a space (or the site): pages, attachments,
    /// comments, a count.
    SpaceListing,
    /// A partitioned space's root pages (v2 `depth=root`).
    Roots,
    /// A space's label names (v2 `/spaces/{id}/content/labels`).
    LabelNames,
    /// Pages carrying some of those labels (CQL `label in (…)`).
    Labelled,
    /// A partition's first level: a page's children (v2 `/children`,
    /// `/direct-children`, CQL `parent =`).
    Children,
    /// A partition's subtree: v2 `/descendants`, CQL `ancestor =`.
    Descendants,
    /// Pages looked up by id without bodies (a partition's pages, a
    /// confirmation before deletions).
    ById,
    Bodies,
    Download,
    Users,
}

fn role(url: &str) -> Role {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let cql = query
        .split('&')
        .filter_map(|p| p.strip_prefix("cql="))
        .map(|c| percent_decode(c).to_ascii_lowercase())
        .next()
        .unwrap_or_default();
    // `field =` or `field in`, not `expand=ancestors` or a longer name.
    let cql_has = |field: &str| {
        cql.match_indices(field).any(|(i, _)| {
            let before = cql[..i].chars().next_back();
            let rest = cql[i + field.len()..].trim_start();
            !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
                && (rest.starts_with('=') || rest.starts_with("in ") || rest.starts_with("in("))
        })
    };
    if path.ends_with("/download") || path.contains("/download/") || path.contains("/media/") {
        Role::Download
    } else if path.ends_with("/api/v2/spaces") || path.ends_with("/rest/api/space") {
        Role::Spaces
    } else if query.contains("body-format=storage") || query.contains("body.storage") {
        Role::Bodies
    } else if path.contains("/user") {
        Role::Users
    } else if query.split('&').any(|p| p == "depth=root") {
        Role::Roots
    } else if path.ends_with("/labels") {
        Role::LabelNames
    } else if cql_has("label") {
        Role::Labelled
    } else if path.ends_with("/children") || path.ends_with("/direct-children") || cql_has("parent")
    {
        Role::Children
    } else if path.ends_with("/descendants") || cql_has("ancestor") {
        Role::Descendants
    } else if (path.ends_with("/api/v2/pages") && query.split('&').any(|p| p.starts_with("id=")))
        || cql_has("id")
    {
        Role::ById
    } else {
        Role::SpaceListing
    }
}

/// `%XX` and `+` decoded (enough to read a CQL query in a URL).
fn percent_decode(s: &str) -> String {
    let hex = |c: u8| (c as char).to_digit(16);
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match (
            b[i],
            b.get(i + 1).copied().and_then(hex),
            b.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
            (b'+', _, _) => out.push(b' '),
            (c, _, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A listing's identity: its URL without the pagination parameters, so the
/// requests of one cursor chain share it.
fn listing_key(url: &str) -> String {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| {
            let name = p.split('=').next().unwrap_or("");
            !matches!(name, "cursor" | "start" | "next" | "")
        })
        .collect();
    params.sort_unstable();
    format!("{path}?{}", params.join("&"))
}

/// The critical path from the requests a phase made (see the module
/// comment); `None` when the log holds no request.
fn chain_from_log(text: &str) -> Option<Chain> {
    let lines = logged(text);
    if lines.is_empty() {
        return None;
    }
    // (role, listing) → requests.
    let mut chains: HashMap<(Role, String), u64> = HashMap::new();
    let mut chain = Chain::default();
    let (mut by_id, mut download, mut redirect, mut users) = (false, false, false, false);
    for l in &lines {
        let role = match role(l.url) {
            Role::Spaces => {
                chain.spaces += 1;
                continue;
            }
            r @ (Role::SpaceListing
            | Role::Roots
            | Role::LabelNames
            | Role::Labelled
            | Role::Children
            | Role::Descendants) => r,
            Role::ById => {
                by_id = true;
                continue;
            }
            Role::Bodies => {
                chain.bodies = 1;
                continue;
            }
            Role::Download => {
                download = true;
                redirect |= (300..400).contains(&l.status);
                continue;
            }
            Role::Users => {
                users = true;
                continue;
            }
        };
        *chains.entry((role, listing_key(l.url))).or_default() += 1;
    }
    let longest = |role: Role| {
        chains
            .iter()
            .filter(|((r, _), _)| *r == role)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0)
    };
    // Structure: a space-level listing, or the roots, then children, then
    // subtrees; then pages by id. Labels: the names, then the labelled pages.
    let parts = longest(Role::Children) + longest(Role::Descendants);
    let roots = if parts > 0 {
        longest(Role::Roots).max(1)
    } else {
        longest(Role::Roots)
    };
    let structure = longest(Role::SpaceListing).max(roots + parts) + u64::from(by_id);
    let labels = longest(Role::LabelNames) + longest(Role::Labelled);
    chain.listing = structure.max(labels);
    chain.after = if redirect {
        2
    } else {
        u64::from(download || users)
    };
    Some(chain)
}

/// The critical path for one cursor per space, from the site's shape and
/// what the phase asked for by route (used when the log gives nothing).
fn chain_from_shape(phase: PhaseKind, size: &Size, by_route: &BTreeMap<String, u64>) -> Chain {
    let downloads = by_route
        .iter()
        .any(|(r, n)| *n > 0 && (r.contains("/download") || r.contains("/media/")));
    let export = phase == PhaseKind::Export;
    Chain {
        spaces: 1,
        listing: size.biggest_space().div_ceil(PER_CALL),
        bodies: u64::from(export),
        after: if export && downloads { 2 } else { 0 },
        estimated: true,
    }
}

/// One target of the issue with its verdict.
struct Target {
    name: String,
    measured: String,
    pass: bool,
}

/// The targets over the runs made (a target whose run was not made
/// is left out).
fn targets(runs: &[Run]) -> Vec<Target> {
    let mut out = Vec::new();
    let find = |size: &str, net: Network, phase: PhaseKind| {
        runs.iter()
            .find(|r| r.size.key == size && r.network == net && r.phase == phase)
    };
    let ok = |r: &Run| r.m.exit == 0;
    for r in runs
        .iter()
        .filter(|r| r.network == Network::Latency100 && r.phase == PhaseKind::Export)
    {
        let Some(crit) = r.critical_secs() else {
            continue;
        };
        let limit = 1.5 * (crit + r.m.cpu);
        out.push(Target {
            name: format!(
                "100 ms: export {} within 1.5 × (critical path + CPU)",
                r.size.key
            ),
            measured: format!(
                "{:.2} s vs 1.5 × ({crit:.1} s + {:.2} s) = {limit:.2} s",
                r.m.wall, r.m.cpu
            ),
            pass: ok(r) && r.m.wall <= limit,
        });
    }
    let walls = [
        ("1k", PhaseKind::IdleSync, 0.6),
        ("100k-100", PhaseKind::IdleSync, 10.0),
        ("100k-1", PhaseKind::IdleSync, 20.0),
        ("10k", PhaseKind::Export, 15.0),
    ];
    for (size, phase, limit) in walls {
        if let Some(r) = find(size, Network::Latency100, phase) {
            out.push(Target {
                name: format!("100 ms: {} {size} within {limit} s", phase.name()),
                measured: format!("{:.2} s", r.m.wall),
                pass: ok(r) && r.m.wall <= limit,
            });
        }
    }
    for size in ["100k-100", "100k-1"] {
        for (phase, secs, mb) in [
            (PhaseKind::IdleSync, 4.0, 200.0),
            (PhaseKind::Export, 25.0, 400.0),
        ] {
            if let Some(r) = find(size, Network::Off, phase) {
                out.push(Target {
                    name: format!("loopback: {} {size} within {secs} s", phase.name()),
                    measured: format!("{:.2} s", r.m.wall),
                    pass: ok(r) && r.m.wall <= secs,
                });
                out.push(Target {
                    name: format!("loopback: {} {size} within {mb} MB", phase.name()),
                    measured: format!("{:.0} MB peak RSS", r.rss_mb()),
                    pass: ok(r) && r.rss_mb() <= mb,
                });
            }
        }
    }
    let mut seen: Vec<&str> = Vec::new();
    for r in runs.iter().filter(|r| r.phase == PhaseKind::IdleSync) {
        if seen.contains(&r.size.key) {
            continue;
        }
        seen.push(r.size.key);
        let Some((bytes, client)) = r.m.bytes else {
            continue;
        };
        let per_page = bytes as f64 / r.size.pages as f64;
        let mut measured = format!(
            "{per_page:.0} bytes per page ({:.1} MiB; {})",
            bytes as f64 / 1048576.0,
            r.network.key()
        );
        if client {
            let _ = write!(measured, ", counted by the client");
        }
        out.push(Target {
            name: format!("idle sync {} at most 1,500 bytes per page", r.size.key),
            measured,
            pass: ok(r) && per_page <= 1500.0,
        });
    }
    out
}

/// A GET that may fail (an endpoint this simulator may not have).
fn try_get_json(u: &str) -> Option<Value> {
    let mut resp = ureq::get(u).call().ok()?;
    serde_json::from_str(&resp.body_mut().read_to_string().ok()?).ok()
}
