//! The `confluence-sim` binary: `serve` prints exactly
//! `listening on http://127.0.0.1:PORT[/context]` as its first line and then serves;
//! `--help` documents the default credentials.

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_confluence-sim");

/// A child process killed (by its own handle) when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `confluence-sim serve ARGS` and returns it with the URL it printed.
fn serve(args: &[&str]) -> (Server, String) {
    let mut child = Command::new(BIN)
        .arg("serve")
        .args(args)
        .args(["--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("binary starts");
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let line = line.trim_end();
    let origin = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {line:?}"))
        .to_string();
    let rest = origin
        .strip_prefix("http://127.0.0.1:")
        .unwrap_or_else(|| panic!("first line: {line:?}"));
    let port = rest.split('/').next().unwrap_or_default();
    assert!(
        port.parse::<u16>().is_ok_and(|p| p > 0),
        "first line: {line:?}"
    );
    (server, origin)
}

fn get(url: &str, auth: &str) -> common::Resp {
    common::send(
        &common::agent(),
        "GET",
        url,
        &[("authorization", auth)],
        None,
    )
    .unwrap()
}

#[test]
fn serve_demo_cloud() {
    let (_server, origin) = serve(&["--demo"]);
    let auth = common::basic(common::CLOUD_EMAIL, common::CLOUD_TOKEN);
    let r = get(&format!("{origin}/wiki/api/v2/spaces"), &auth);
    assert_eq!(r.status, 200, "{}", r.text());
    let keys: Vec<String> = r.json()["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap().to_string())
        .collect();
    assert!(keys.contains(&"DEMO".to_string()) && keys.contains(&"OPS".to_string()));
}

#[test]
fn serve_generated_data_center() {
    let (_server, origin) = serve(&[
        "--generate",
        "pages=50,spaces=1,depth=3,attachments=0,body_kb=1,seed=1",
        "--flavor",
        "dc",
    ]);
    let r = get(&format!("{origin}/rest/api/space"), "Bearer sim-pat");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["results"][0]["key"], "GEN0");
    let r = get(&format!("{origin}/wiki/api/v2/spaces"), "Bearer sim-pat");
    assert_eq!(r.status, 404, "no v2 on DC");
}

#[test]
fn help_documents_default_credentials() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .expect("help runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in ["sim@example.com", "sim-token", "sim-pat"] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn bad_generate_spec_is_a_clear_error() {
    let out = Command::new(BIN)
        .args(["serve", "--generate", "pages=lots", "--addr", "127.0.0.1:0"])
        .output()
        .expect("binary runs");
    assert!(!out.status.success(), "a bad spec must not serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pages"), "error names the bad key: {err}");
    assert!(!err.contains("panicked"), "no panic: {err}");
}

#[test]
fn listening_line_includes_the_context_path() {
    let (_server, url) = serve(&["--demo", "--flavor", "dc", "--context-path", "/confluence"]);
    assert!(url.ends_with("/confluence"), "printed {url:?}");
    // The printed URL is the site URL: REST paths hang directly off it.
    let r = get(&format!("{url}/rest/api/space"), "Bearer sim-pat");
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn serve_network_applies_a_preset_and_help_lists_them() {
    let (_server, url) = serve(&["--demo", "--network", "cloud,latency_ms=150"]);
    let r = common::send(
        &common::agent(),
        "GET",
        &format!("{url}/__sim/network"),
        &[],
        None,
    )
    .unwrap();
    assert_eq!(r.status, 200);
    let model = r.json();
    assert_eq!(model["latency_ms"], 150);
    assert_eq!(model["max_in_flight"], 30);

    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .expect("help runs");
    let help = String::from_utf8_lossy(&out.stdout);
    for preset in ["off", "cloud", "lan", "latency-100"] {
        assert!(help.contains(preset), "--help lacks {preset}:\n{help}");
    }

    let out = Command::new(BIN)
        .args([
            "serve",
            "--demo",
            "--network",
            "moon",
            "--addr",
            "127.0.0.1:0",
        ])
        .output()
        .expect("binary runs");
    assert!(!out.status.success(), "a bad --network must not serve");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("moon") && err.contains("cloud"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}
