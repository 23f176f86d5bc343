//! Helpers shared by the integration tests: a client of the simulator, the
//! control API, runs of the pipeline, and whole-tree snapshots.
#![allow(dead_code)]
pub mod links;
pub mod proxy;
use cme::state::{STATE_FILE, State};
use cme::sync::Selection;
use cme::sync::outcome::Outcome;
use cme::sync::progress::{Phase, Progress};
use cme::sync::{Start, SyncRequest};
use cme_client::{Client, ClientConfig, Credentials, Flavor, RetryPolicy, Secret};
use confluence_sim::{SimConfig, SimHandle};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A test's site: a simulator, a client of it (`sim-token`, quick
/// retries) and an output folder (`tmp(name)`, not created). Fields are
/// public so a test can take them apart: `let Site { sim, client: c, out }
/// = Site::demo("name");`.
pub struct Site {
    pub sim: SimHandle,
    pub client: Client,
    pub out: PathBuf,
}

impl Site {
    /// The bundled demo site.
    pub fn demo(name: &str) -> Self {
        Self::with(SimConfig::demo(), name)
    }

    /// A generated site (`SimConfig::generate(spec)`).
    pub fn generated(spec: &str, name: &str) -> Self {
        Self::with(SimConfig::generate(spec).unwrap(), name)
    }

    pub fn with(config: SimConfig, name: &str) -> Self {
        let sim = confluence_sim::spawn(config).unwrap();
        let client = client(&sim, "sim-token");
        Site {
            sim,
            client,
            out: tmp(name),
        }
    }

    /// The demo site, exported (`all-spaces`) into `out`.
    pub fn exported(name: &str) -> Self {
        let site = Self::demo(name);
        export(&site.client, &site.out, false).unwrap();
        site
    }

    /// A control-API call that must succeed.
    pub fn ctl(&self, method: &str, path: &str, body: impl Into<Option<Value>>) -> Value {
        ctl(&self.sim, method, path, body)
    }

    /// Requests the simulator has answered since it started (or the last
    /// stats reset).
    pub fn requests(&self) -> u64 {
        requests(&self.sim)
    }

    /// The id of the page exported at `path` in `out`.
    pub fn id_at(&self, path: &str) -> String {
        id_at(&self.out, path)
    }
}

/// Requests the simulator has answered since it started (or the last
/// stats reset); `/__sim` calls do not count.
pub fn requests(sim: &SimHandle) -> u64 {
    ctl(sim, "GET", "/__sim/stats", None)["requests"]
        .as_u64()
        .unwrap()
}

/// Requests other than user-name lookups (a rewritten page asks for the
/// names of the users it mentions, as any rewrite does).
pub fn requests_but_users(sim: &SimHandle) -> u64 {
    let stats = ctl(sim, "GET", "/__sim/stats", None);
    let users: u64 = stats["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.contains("/user"))
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    stats["requests"].as_u64().unwrap() - users
}

/// The id of the page the state in `out` says is exported at `path`.
pub fn id_at(out: &Path, path: &str) -> String {
    State::load(out)
        .unwrap()
        .unwrap()
        .pages
        .iter()
        .find(|(_, p)| &*p.output_path == path)
        .unwrap_or_else(|| panic!("no page at {path}"))
        .0
        .to_string()
}

pub fn client(sim: &SimHandle, token: &str) -> Client {
    client_at(&sim.url(), token)
}

/// A Cloud client of the site at `url` (the simulator, or a proxy of it).
pub fn client_at(url: &str, token: &str) -> Client {
    Client::new(config_at(url, token)).unwrap()
}

/// The configuration of [`client_at`]: the simulator's Cloud account, the
/// tests' quick retries; tests change what they need before building it.
pub fn config_at(url: &str, token: &str) -> ClientConfig {
    let mut cfg = ClientConfig::new(
        url,
        Flavor::Cloud,
        Credentials::Basic {
            email: "sim@example.com".into(),
            token: Secret::new(token),
        },
    );
    cfg.retry = RetryPolicy {
        max_attempts: Some(11),
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_millis(50),
        ..RetryPolicy::default()
    };
    cfg
}

/// A Data Center client with the simulator's PAT at `url` (the site URL,
/// context path included), without retries.
pub fn dc_client(url: &str) -> Client {
    let mut cfg = ClientConfig::new(
        url,
        Flavor::DataCenter,
        Credentials::Bearer(Secret::new("sim-pat")),
    );
    cfg.retry = RetryPolicy::none();
    Client::new(cfg).unwrap()
}

pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cme-export-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A pipeline run's request with default options.
pub fn request(out: &Path, start: Start) -> SyncRequest {
    SyncRequest::new(out, start)
}

/// Runs one request to its end on a fresh runtime.
pub fn run(client: &Client, req: SyncRequest) -> anyhow::Result<Outcome> {
    run_with(client, req, &|_| {})
}

/// Passes the run's status texts to a closure, and `wrote` for each page
/// written, so a test can act at a chosen moment.
struct Watch<'a>(&'a dyn Fn(&str), std::cell::Cell<Option<Phase>>);

impl Progress for Watch<'_> {
    fn phase(&self, phase: Phase, _: u64) {
        self.1.set(Some(phase));
    }
    fn status(&self, text: &str) {
        (self.0)(text);
    }
    fn advance(&self, _: u64, _: u64) {
        if self.1.get() == Some(Phase::Pages) {
            (self.0)("wrote");
        }
    }
    fn throttled(&self, _: std::time::Duration) {}
    fn finish(&self) {}
}

/// Runs one request, watching its progress messages.
pub fn run_with(
    client: &Client,
    req: SyncRequest,
    progress: &dyn Fn(&str),
) -> anyhow::Result<Outcome> {
    let progress = &Watch(progress, std::cell::Cell::new(None));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(cme::sync::run(client, req, progress))
}

/// A new `all-spaces` export.
pub fn all_spaces() -> Start {
    Start::Export {
        scope: Selection::AllSpaces.scope(),
        append: false,
    }
}

/// Exports every space (`all-spaces`).
pub fn export(client: &Client, out: &Path, append: bool) -> anyhow::Result<Outcome> {
    export_selection(client, Selection::AllSpaces, out, append)
}

/// Exports a selection.
pub fn export_selection(
    client: &Client,
    selection: Selection,
    out: &Path,
    append: bool,
) -> anyhow::Result<Outcome> {
    let start = Start::Export {
        scope: selection.scope(),
        append,
    };
    run(client, request(out, start))
}

/// `sync` with default options.
pub fn sync(client: &Client, out: &Path) -> anyhow::Result<Outcome> {
    run(client, request(out, Start::Sync))
}

/// Pages written by a run (new, modified or moved).
pub fn written(o: &Outcome) -> usize {
    o.page_counts.new + o.page_counts.modified + o.page_counts.moved
}

/// A control-API call that must succeed (a 2xx); its JSON answer. `body`
/// is a `Value` or `None`.
pub fn ctl(sim: &SimHandle, method: &str, path: &str, body: impl Into<Option<Value>>) -> Value {
    let (status, v) = sim.control(method, path, body.into());
    assert!(
        (200..300).contains(&status),
        "{method} {path}: {status} {v}"
    );
    v
}

/// A GET on the Confluence API as `sim@example.com`.
pub fn api_get(sim: &SimHandle, path: &str) -> Value {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let text = agent
        .get(&format!("{}{path}", sim.url()))
        // sim@example.com:sim-token
        .header(
            "Authorization",
            "Basic c2ltQGV4YW1wbGUuY29tOnNpbS10b2tlbg==",
        )
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// Every result of a v2 listing, following its `next` links.
pub fn v2_all(sim: &SimHandle, first: &str) -> Vec<Value> {
    let mut next = Some(first.to_owned());
    let mut out = Vec::new();
    while let Some(path) = next.take() {
        let mut v = api_get(sim, &path);
        next = v["_links"]["next"].as_str().map(str::to_owned);
        match v["results"].take() {
            Value::Array(results) => out.extend(results),
            other => panic!("{path}: not a v2 listing: {other}"),
        }
    }
    out
}

/// Pages with status `current`, counted through the v2 listing itself.
pub fn current_pages(sim: &SimHandle) -> usize {
    v2_all(sim, "/wiki/api/v2/pages?limit=250&status=current").len()
}

/// Every exported file below `root` except the state (which names the URL),
/// and with the front matter's `url:` line (it names the site) left out.
pub fn content(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut t = tree(root);
    // Bookkeeping: the state, and the notes a command line already showed.
    t.retain(|k, _| !k.starts_with(".cme-state") && k != ".cme-notes.json");
    assert!(!t.contains_key(STATE_FILE));
    for (k, v) in t.iter_mut() {
        if k.ends_with(".md") {
            *v = without_url(v);
        }
    }
    t
}

/// A file's bytes without the front matter's `url:` line.
pub fn without_url(bytes: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(bytes);
    let Some(end) = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.find("\n---\n"))
    else {
        return bytes.to_vec();
    };
    let head = &text[..end + 4];
    let kept: Vec<&str> = head.lines().filter(|l| !l.starts_with("url: ")).collect();
    format!("{}{}", kept.join("\n"), &text[end + 4..]).into_bytes()
}

/// Every file below `root`, relative, `/`-separated, with its bytes.
pub fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Every file below `root` (state included) with its bytes and
/// modification time.
pub fn snapshot(root: &Path) -> BTreeMap<String, (Vec<u8>, std::time::SystemTime)> {
    tree(root)
        .into_iter()
        .map(|(k, v)| {
            let m = std::fs::metadata(root.join(&k))
                .unwrap()
                .modified()
                .unwrap();
            (k, (v, m))
        })
        .collect()
}

/// Runs the `cme` binary against `sim` with `sim-token` from the
/// environment and no settings file.
pub fn cli(args: &[&str], sim: &SimHandle) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(args)
        .env("CME_URL", sim.url())
        .env("CME_EMAIL", "sim@example.com")
        .env("CME_API_TOKEN", "sim-token")
        .env("CME_CONFIG", "/nonexistent/cme-test-config.toml")
        .output()
        .unwrap()
}

/// Runs the `cme` binary with `config` as its settings file and only the
/// `env` given of our variables (the caller's CME_* are removed).
pub fn cme_bin(config: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_cme"));
    cmd.args(args).env("CME_CONFIG", config);
    for var in [
        "CME_URL",
        "CME_EMAIL",
        "CME_API_TOKEN",
        "CME_PAT",
        "CME_FLAVOR",
        "CME_JIRA_URL",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// A page path template, checked.
pub fn page_template(t: &str) -> cme::options::template::PathTemplate {
    cme::options::template::PathTemplate::parse(t, cme::options::template::Kind::Page).unwrap()
}

/// An attachment path template, checked.
pub fn attachment_template(t: &str) -> cme::options::template::PathTemplate {
    cme::options::template::PathTemplate::parse(t, cme::options::template::Kind::Attachment)
        .unwrap()
}
