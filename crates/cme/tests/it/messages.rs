//! Errors that name the cause, through the real binary: each message is
//! held to its exact text (issue 20, item 3).

use crate::common;
use confluence_sim::{SimConfig, spawn};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::Output;

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cme-messages-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cme(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    common::cme_bin(&dir.join("config.toml"), args, env)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn sync_checks_the_folder_before_the_url() {
    let dir = tmp("folder");
    let typo = dir.join("nope");
    let o = cme(&dir, &["sync", "-o", typo.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: `{}` is not a folder holding an export; check the path, or run an export \
             command (`spaces`, `pages`, …) first\n",
            typo.display()
        )
    );
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let o = cme(&dir, &["sync", "-o", empty.to_str().unwrap()], &[]);
    assert_eq!(
        stderr(&o),
        format!(
            "error: `{}` holds no export (no `.cme-state.json`); check the path, or run an \
             export command (`spaces`, `pages`, …) first\n",
            empty.display()
        )
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_missing_context_path_says_no_rest_api_answers_there() {
    let sim = spawn(
        SimConfig::demo()
            .flavor(confluence_sim::Flavor::DataCenter)
            .context_path("/confluence"),
    )
    .unwrap();
    let dir = tmp("context");
    let out = dir.join("out");
    let url = sim.url();
    let o = cme(
        &dir,
        &["spaces", "DEMO", "--url", &url, "-o", out.to_str().unwrap()],
        &[("CME_PAT", "sim-pat")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: no Confluence REST API answers at `{url}` (HTTP 404 for `/rest/api/space`)\n\
             hint: if Confluence is served under a context path, include it in the URL, e.g. `{url}/confluence`\n\
             hint: cme took `{url}` for Data Center (only a personal access token was given); if it is \
             Confluence Cloud, pass `--flavor cloud`\n"
        )
    );
    // A space that is really missing is still reported as such.
    let o = cme(
        &dir,
        &[
            "spaces",
            "NOPE",
            "--url",
            &format!("{url}/confluence"),
            "-o",
            out.to_str().unwrap(),
        ],
        &[("CME_PAT", "sim-pat")],
    );
    assert!(
        stderr(&o).starts_with("error: not found, or not visible to this account: `NOPE`"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A web server that answers every request with a 404 HTML page.
fn plain_web_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let body = "<html><body><h1>Not Found</h1></body></html>";
            let _ = write!(
                s,
                "HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_plain_web_server_is_not_taken_for_a_missing_space() {
    let url = plain_web_server();
    let dir = tmp("web");
    let out = dir.join("out");
    let o = cme(
        &dir,
        &["spaces", "ENG", "--url", &url, "-o", out.to_str().unwrap()],
        &[("CME_EMAIL", "me@example.com"), ("CME_API_TOKEN", "t")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: no Confluence REST API answers at `{url}` (HTTP 404 for `/rest/api/space`)\n\
             hint: if Confluence is served under a context path, include it in the URL, e.g. `{url}/confluence`\n\
             hint: cme took `{url}` for Data Center (it does not answer Cloud's `/_edge/tenant_info`); \
             if it is Confluence Cloud, pass `--flavor cloud`\n"
        )
    );
    assert!(!out.join(".cme-state.json").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn refused_credentials_name_the_flavour_assumed_and_how_to_change_it() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let dir = tmp("refused");
    let out = dir.join("out");
    let url = sim.url();
    let o = cme(
        &dir,
        &[
            "spaces",
            "DEMO",
            "--url",
            &url,
            "--flavor",
            "cloud",
            "-o",
            out.to_str().unwrap(),
        ],
        &[("CME_EMAIL", "sim@example.com"), ("CME_API_TOKEN", "wrong")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o),
        format!(
            "error: Confluence refused the credentials (HTTP 401) for \
             `{url}/wiki/api/v2/spaces?limit=250&keys=DEMO`: check the e-mail and API token, or \
             the personal access token\n\
             hint: cme took `{url}` for Confluence Cloud (as `--flavor`, `CME_FLAVOR` or the \
             settings file says) and sent an e-mail and API token; if it is Data Center, pass \
             `--flavor dc` with a personal access token in `CME_PAT`\n"
        )
    );
    assert!(!stderr(&o).contains("wrong"), "the token is never printed");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_unreachable_host_is_one_line_starting_with_the_host() {
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tmp("unreachable");
    let out = dir.join("out");
    // Once through the flavour probe, once straight to the listing.
    for extra in [&[][..], &["--flavor", "dc"][..]] {
        let mut args = vec![
            "spaces".to_owned(),
            "ENG".to_owned(),
            "--url".to_owned(),
            format!("http://127.0.0.1:{port}"),
            "-o".to_owned(),
            out.to_str().unwrap().to_owned(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = cme(
            &dir,
            &args,
            &[("CME_EMAIL", "me@example.com"), ("CME_API_TOKEN", "t")],
        );
        assert_eq!(o.status.code(), Some(2));
        assert_eq!(
            stderr(&o),
            format!(
                "error: 127.0.0.1:{port}: connection refused (is the URL and port right? is a \
                 proxy needed?)\n"
            ),
            "{extra:?}"
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[cfg(unix)]
#[test]
fn an_export_interrupted_before_its_first_state_advises_running_it_again() {
    let sim = spawn(SimConfig::demo()).unwrap();
    // Every request takes 3 s: the first listing is still running when
    // Ctrl+C comes.
    common::ctl(
        &sim,
        "PUT",
        "/__sim/faults",
        serde_json::json!({"latency_ms": 3000}),
    );
    let dir = tmp("interrupted");
    let out = dir.join("out");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["spaces", "DEMO", "--flavor", "cloud", "-o"])
        .arg(&out)
        .env("CME_URL", sim.url())
        .env("CME_EMAIL", "sim@example.com")
        .env("CME_API_TOKEN", "sim-token")
        .env("CME_CONFIG", dir.join("config.toml"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    // SAFETY: signalling our own child by pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(!out.join(".cme-state.json").exists());
    let err = stderr(&o);
    assert!(
        err.contains("interrupted before anything was recorded; run the export command again\n"),
        "{err}"
    );
    assert!(!err.contains("run `sync`"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
