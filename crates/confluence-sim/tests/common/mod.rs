//! Shared helpers for the simulator's fidelity tests: start a simulator in
//! process, talk to it over real HTTP with the right credentials, and follow
//! its pagination the way a client in the wild would.
#![allow(dead_code)] // each test binary uses a different subset

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
pub use confluence_sim::{Flavor, SimConfig, SimHandle, spawn};
use serde_json::Value;
use ureq::http;

/// Cloud default credentials (documented in `confluence-sim --help`).
pub const CLOUD_EMAIL: &str = "sim@example.com";
pub const CLOUD_TOKEN: &str = "sim-token";
/// Data Center default personal access token.
pub const DC_PAT: &str = "sim-pat";

/// A running simulator plus an HTTP agent that never follows redirects and
/// never turns 4xx/5xx into errors (the tests inspect them).
pub struct Sim {
    handle: Option<SimHandle>,
    /// Origin, e.g. `http://127.0.0.1:41234` (no `/wiki`).
    pub origin: String,
    pub flavor: Flavor,
    /// Prefix of the API paths: `/wiki` on Cloud, the context path on DC.
    pub prefix: String,
    agent: ureq::Agent,
}

impl Drop for Sim {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.stop();
        }
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// Starts a Cloud simulator.
pub fn cloud(config: SimConfig) -> Sim {
    start(config.flavor(Flavor::Cloud), Flavor::Cloud, "/wiki")
}

/// Starts a Data Center simulator (optionally under a context path).
pub fn dc(config: SimConfig, context_path: &str) -> Sim {
    let config = config.flavor(Flavor::DataCenter);
    let config = if context_path.is_empty() {
        config
    } else {
        config.context_path(context_path)
    };
    start(config, Flavor::DataCenter, context_path)
}

fn start(config: SimConfig, flavor: Flavor, prefix: &str) -> Sim {
    let handle = spawn(config.addr("127.0.0.1:0".parse().unwrap())).expect("simulator starts");
    let origin = handle.url().trim_end_matches('/').to_string();
    Sim {
        handle: Some(handle),
        origin,
        flavor,
        prefix: prefix.to_string(),
        agent: agent(),
    }
}

pub fn generated(spec: &str) -> SimConfig {
    SimConfig::generate(spec).expect("generator spec is valid")
}

pub fn basic(user: &str, secret: &str) -> String {
    let raw = format!("{user}:{secret}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// One HTTP response, fully read.
#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "response is not JSON ({e}); status {}; body starts: {:.300}",
                self.status,
                self.text()
            )
        })
    }
}

/// Sends one request; `Err` carries transport errors (dropped connection,
/// truncated body) as text so fault tests can observe them.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&Value>,
) -> Result<Resp, String> {
    let mut req = http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let result = match body {
        Some(b) => agent.run(
            req.header("content-type", "application/json")
                .body(serde_json::to_vec(b).unwrap())
                .unwrap(),
        ),
        None => agent.run(req.body(()).unwrap()),
    };
    let mut res = result.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let headers = res
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = res
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    Ok(Resp {
        status,
        headers,
        body,
    })
}

impl Sim {
    /// The `Authorization` value of the default user of this flavour.
    pub fn auth(&self) -> String {
        match self.flavor {
            Flavor::Cloud => basic(CLOUD_EMAIL, CLOUD_TOKEN),
            Flavor::DataCenter => format!("Bearer {DC_PAT}"),
        }
    }

    /// Absolute URL for a path that is relative to the origin.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_string()
        } else {
            format!("{}{}", self.origin, path)
        }
    }

    /// `/wiki/api/v2` + rest.
    pub fn v2(&self, rest: &str) -> String {
        format!("{}/api/v2{rest}", self.prefix)
    }

    /// `/wiki/rest/api` (Cloud) or `{context}/rest/api` (DC) + rest.
    pub fn v1(&self, rest: &str) -> String {
        format!("{}/rest/api{rest}", self.prefix)
    }

    /// Authenticated GET.
    pub fn get(&self, path: &str) -> Resp {
        let auth = self.auth();
        self.get_with(path, &[("authorization", auth.as_str())])
    }

    /// GET with exactly the given headers (no default credentials).
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Resp {
        send(&self.agent, "GET", &self.url(path), headers, None)
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Authenticated GET that must answer 200 with JSON.
    pub fn json(&self, path: &str) -> Value {
        let r = self.get(path);
        assert_eq!(
            r.status,
            200,
            "GET {path} -> {} {:.500}",
            r.status,
            r.text()
        );
        r.json()
    }

    /// Calls the control API (`/__sim/...`, unauthenticated).
    pub fn control(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        send(&self.agent, method, &self.url(path), &[], body.as_ref())
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Control call that must succeed (2xx) and returns its JSON (or Null).
    pub fn control_ok(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let r = self.control(method, path, body);
        assert!(
            (200..300).contains(&r.status),
            "{method} {path} -> {} {}",
            r.status,
            r.text()
        );
        if r.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&r.body).unwrap_or(Value::Null)
        }
    }

    /// Follows a v2 listing to its end. Checks on every page that the `Link`
    /// header and `_links.next` agree, start with `/wiki/api/v2/`, and keep
    /// the original query parameters. Returns all results in order.
    pub fn walk_v2(&self, first: &str) -> (Vec<Value>, usize) {
        let original = query_params(first);
        let mut path = first.to_string();
        let mut out = Vec::new();
        let mut calls = 0;
        loop {
            calls += 1;
            assert!(calls < 100_000, "pagination does not terminate at {path}");
            let r = self.get(&path);
            assert_eq!(r.status, 200, "GET {path}: {:.300}", r.text());
            let body = r.json();
            let results = body["results"].as_array().expect("results array");
            out.extend(results.iter().cloned());
            let next = body["_links"]["next"].as_str().map(str::to_string);
            let link = r.header("link").and_then(link_next);
            assert_eq!(link, next, "Link header and _links.next differ at {path}");
            match next {
                None => break,
                Some(next) => {
                    assert!(
                        next.starts_with(&format!("{}/api/v2/", self.prefix)),
                        "v2 next link must be origin-relative and include /wiki: {next}"
                    );
                    let params = query_params(&next);
                    for (k, v) in &original {
                        if k == "cursor" {
                            continue;
                        }
                        assert!(
                            params.contains(&(k.clone(), v.clone())),
                            "next link {next} lost query parameter {k}={v}"
                        );
                    }
                    assert!(
                        params.iter().any(|(k, _)| k == "cursor"),
                        "next link without cursor: {next}"
                    );
                    assert!(!results.is_empty(), "empty page with a next link: {path}");
                    path = next;
                }
            }
        }
        (out, calls)
    }

    /// Follows a v1 listing (`_links.next` is relative to `_links.base`).
    pub fn walk_v1(&self, first: &str) -> (Vec<Value>, usize) {
        let mut path = first.to_string();
        let mut out = Vec::new();
        let mut calls = 0;
        loop {
            calls += 1;
            assert!(calls < 100_000, "pagination does not terminate at {path}");
            let body = self.json(&path);
            let results = body["results"].as_array().expect("results array");
            assert_eq!(
                body["size"].as_u64(),
                Some(results.len() as u64),
                "v1 size is the page length"
            );
            out.extend(results.iter().cloned());
            match body["_links"]["next"].as_str() {
                None => break,
                Some(next) => {
                    assert!(
                        !next.starts_with("/wiki/"),
                        "v1 next is relative to _links.base and has no /wiki: {next}"
                    );
                    assert!(!results.is_empty(), "empty page with a next link: {path}");
                    let base = body["_links"]["base"].as_str().expect("_links.base");
                    path = format!("{base}{next}");
                }
            }
        }
        (out, calls)
    }
}

/// Extracts the `rel="next"` target of a `Link` header. Targets are read
/// between `<` and `>` because a URL may itself contain commas.
pub fn link_next(header: &str) -> Option<String> {
    let mut rest = header;
    while let Some(open) = rest.find('<') {
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        let params = &after[..after.find('<').unwrap_or(after.len())];
        if params.contains("rel=\"next\"") {
            return Some(target.to_string());
        }
        rest = after;
    }
    None
}

/// Query parameters of a URL or path, percent-decoded.
pub fn query_params(url: &str) -> Vec<(String, String)> {
    let Some((_, q)) = url.split_once('?') else {
        return Vec::new();
    };
    q.split('&')
        .filter(|s| !s.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (pct_decode(k), pct_decode(v))
        })
        .collect()
}

pub fn pct_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value (CQL strings contain spaces, quotes, `=`).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Ids of a result list, asserting they are JSON strings (Confluence ids are).
pub fn ids(results: &[Value]) -> Vec<String> {
    results
        .iter()
        .map(|r| {
            r["id"]
                .as_str()
                .unwrap_or_else(|| panic!("id must be a string: {r}"))
                .to_string()
        })
        .collect()
}

/// Asserts no id appears twice and returns them as a set.
pub fn unique(ids: &[String]) -> BTreeSet<String> {
    let set: BTreeSet<String> = ids.iter().cloned().collect();
    if set.len() != ids.len() {
        let mut seen = BTreeSet::new();
        let dup: Vec<_> = ids.iter().filter(|i| !seen.insert(*i)).take(5).collect();
        panic!("{} repeated ids, e.g. {dup:?}", ids.len() - set.len());
    }
    set
}

/// The shared corpus directory (`../shared` next to the workspace), or
/// `None` with a printed note when it is absent.
pub fn shared_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CME_SHARED_DIR") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"),
    };
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "note: shared corpus not found at {} (set CME_SHARED_DIR); skipping",
            dir.display()
        );
        None
    }
}
