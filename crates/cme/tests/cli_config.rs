//! `config` through the real binary, and exports that take their defaults from it.
use confluence_sim::{SimConfig, spawn};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn cme(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cme"));
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

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("cme-cli-config-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn set_get_unset_and_tokens_are_refused() {
    let dir = tmp("roundtrip");
    let file = dir.join("config.toml");
    assert_eq!(
        stdout(&cme(&file, &["config", "path"], &[])).trim(),
        file.to_str().unwrap()
    );
    assert!(
        cme(
            &file,
            &["config", "set", "url", "https://x.atlassian.net"],
            &[]
        )
        .status
        .success()
    );
    assert!(
        cme(&file, &["config", "set", "link-style", "wiki"], &[])
            .status
            .success()
    );
    assert_eq!(
        stdout(&cme(&file, &["config", "get", "url"], &[])).trim(),
        "https://x.atlassian.net"
    );

    let bad = cme(&file, &["config", "set", "flavor", "server"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`cloud`, `dc`"));

    let token = cme(&file, &["config", "set", "token", "hunter2-secret"], &[]);
    assert_eq!(token.status.code(), Some(2));
    let saved = std::fs::read_to_string(&file).unwrap();
    assert!(!saved.contains("hunter2-secret"), "{saved}");
    assert!(!String::from_utf8_lossy(&token.stderr).contains("hunter2-secret"));

    let list = stdout(&cme(
        &file,
        &["config", "list"],
        &[("CME_API_TOKEN", "hunter2-secret")],
    ));
    assert!(list.contains("link-style = wiki"), "{list}");
    assert!(
        list.contains("CME_API_TOKEN (set in the environment)"),
        "{list}"
    );
    assert!(!list.contains("hunter2-secret"), "{list}");

    assert!(
        cme(&file, &["config", "unset", "url"], &[])
            .status
            .success()
    );
    assert_eq!(
        stdout(&cme(&file, &["config", "get", "url"], &[])).trim(),
        ""
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_broken_settings_file_is_a_clear_error() {
    let dir = tmp("broken");
    let file = dir.join("config.toml");
    std::fs::write(&file, "url = [unclosed").unwrap();
    let out = cme(&file, &["config", "list"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a valid configuration"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn exports_take_url_and_email_from_the_file_and_the_token_from_the_environment() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let dir = tmp("export");
    let file = dir.join("config.toml");
    let url = sim.url();
    assert!(
        cme(&file, &["config", "set", "url", &url], &[])
            .status
            .success()
    );
    assert!(
        cme(&file, &["config", "set", "email", "sim@example.com"], &[])
            .status
            .success()
    );
    assert!(
        cme(&file, &["config", "set", "alert-style", "blockquote"], &[])
            .status
            .success()
    );

    let missing_token = cme(
        &file,
        &["spaces", "OPS", "-o", dir.join("a").to_str().unwrap()],
        &[],
    );
    assert_eq!(missing_token.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing_token.stderr).contains("CME_API_TOKEN"));

    let out_dir = dir.join("b");
    let ok = cme(
        &file,
        &["spaces", "OPS", "-o", out_dir.to_str().unwrap()],
        &[("CME_API_TOKEN", "sim-token")],
    );
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let state = std::fs::read_to_string(out_dir.join(".cme-state.json")).unwrap();
    assert!(state.contains(&url), "{state}");
    assert!(!state.contains("sim-token"));
    let any_alert = walk(&out_dir).into_iter().any(|p| {
        std::fs::read_to_string(&p).is_ok_and(|t| t.contains("[!NOTE]") || t.contains("[!WARNING]"))
    });
    assert!(!any_alert, "alert-style from the file applies");
    std::fs::remove_dir_all(&dir).ok();
}

fn walk(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "md") {
                out.push(p);
            }
        }
    }
    out
}
