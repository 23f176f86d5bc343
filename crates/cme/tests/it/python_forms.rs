//! The Python exporter's command forms: accepted where they mean the same
//! (`space`, `all-spaces URL`, `config set key=value`), answered with the
//! exact equivalent where cme works differently (`orgs`).
use crate::common::*;

#[test]
fn python_command_forms_work_or_name_their_equivalent() {
    let Site { sim, out, .. } = Site::demo("py-forms");
    let o = out.to_str().unwrap();
    // `space KEY` is `spaces KEY`.
    let r = cli(&["space", "OPS", "-o", o], &sim);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let state = cme::state::State::load(&out).unwrap().unwrap();
    assert!(
        state
            .pages
            .values()
            .all(|p| p.output_path.starts_with("OPS/"))
    );
    std::fs::remove_dir_all(&out).ok();

    // `all-spaces URL`: the site as an argument, no CME_URL.
    let r = std::process::Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["all-spaces", &sim.url(), "-o", o])
        .env_remove("CME_URL")
        .env("CME_EMAIL", "sim@example.com")
        .env("CME_API_TOKEN", "sim-token")
        .env("CME_CONFIG", "/nonexistent/cme-test-config.toml")
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(out.join("DEMO").is_dir() && out.join("OPS").is_dir());
    std::fs::remove_dir_all(&out).ok();

    // `orgs URL…`: the commands that do it, and exit code 2.
    let r = cli(
        &[
            "orgs",
            "https://a.atlassian.net",
            "https://b.example.com/confluence",
        ],
        &sim,
    );
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("cme has no `orgs`"), "{err}");
    assert!(
        err.contains("cme all-spaces https://a.atlassian.net -o ./a.atlassian.net"),
        "{err}"
    );
    assert!(
        err.contains("cme all-spaces https://b.example.com/confluence -o ./b.example.com"),
        "{err}"
    );
}

#[test]
fn config_set_takes_key_equals_value() {
    let dir = tmp("py-config");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let r = cme_bin(
        &config,
        &["config", "set", "page-path={space_key}/{page_title}.md"],
        &[],
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let r = cme_bin(&config, &["config", "get", "page-path"], &[]);
    assert_eq!(
        String::from_utf8_lossy(&r.stdout).trim(),
        "{space_key}/{page_title}.md"
    );
    let r = cme_bin(&config, &["config", "set", "page-path"], &[]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("needs a value"));
    std::fs::remove_dir_all(&dir).ok();
}

/// `config import-python` stores the Python exporter's settings that cme
/// has, names the rest, and never copies a token.
#[test]
fn the_python_settings_are_imported_without_secrets() {
    let dir = tmp("py-import");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("config.toml");
    let app_data = dir.join("app_data.json");
    std::fs::write(
        &app_data,
        serde_json::to_string(&serde_json::json!({
            "export": {"page_href": "absolute", "page_path": "{space_key}/{page_title}.md",
                       "attachments_export": "all", "output_path": "./out"},
            "auth": {"confluence": {"https://acme.atlassian.net": {"username": "me@acme.com", "api_token": "tok-123"}}}
        }))
        .unwrap(),
    )
    .unwrap();
    let dry = cme_bin(
        &config,
        &[
            "config",
            "import-python",
            app_data.to_str().unwrap(),
            "--dry-run",
        ],
        &[],
    );
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert!(!config.exists(), "a dry run stores nothing");
    let r = cme_bin(
        &config,
        &["config", "import-python", app_data.to_str().unwrap()],
        &[],
    );
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let said = String::from_utf8_lossy(&r.stdout);
    assert!(
        said.contains("set link-style = absolute (from export.page_href)"),
        "{said}"
    );
    assert!(
        said.contains("not carried over: export.output_path"),
        "{said}"
    );
    assert!(said.contains("its token was not copied"), "{said}");
    let stored = std::fs::read_to_string(&config).unwrap();
    assert!(!stored.contains("tok-123"), "{stored}");
    for (key, want) in [
        ("url", "https://acme.atlassian.net"),
        ("email", "me@acme.com"),
        ("page-path", "{space_key}/{page_title}.md"),
        ("attachments", "all"),
    ] {
        let got = cme_bin(&config, &["config", "get", key], &[]);
        assert_eq!(String::from_utf8_lossy(&got.stdout).trim(), want, "{key}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
