//! `config` through the real binary, and exports that take their defaults from it.

use crate::common;
use confluence_sim::{SimConfig, spawn};
use std::path::{Path, PathBuf};
use std::process::Output;

fn cme(config: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    common::cme_bin(config, args, env)
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

    let bad = cme(&file, &["config", "set", "flavor", "onprem"], &[]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("`cloud`, `dc`"));
    assert!(
        cme(&file, &["config", "set", "flavor", "Server"], &[])
            .status
            .success()
    );
    assert_eq!(
        stdout(&cme(&file, &["config", "get", "flavor"], &[])).trim(),
        "dc"
    );

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
    assert!(list.contains("link-style   = wiki  (file)"), "{list}");
    assert!(list.contains("api-token    = set  (environment)"), "{list}");
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
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is not a valid configuration"), "{err}");
    assert!(err.contains("line 1"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

/// Regression: toml's error quoted the offending line, token and all.
#[test]
fn a_token_in_a_broken_settings_file_is_never_printed() {
    let dir = tmp("secret");
    let file = dir.join("config.toml");
    for text in [
        "url = \"https://x.atlassian.net\"\napi-token = ATATT3x-hunter2-secret\n",
        "token = \"ATATT3x-hunter2-secret\"\n",
        "pat = \"ATATT3x-hunter2-secret\n",
    ] {
        std::fs::write(&file, text).unwrap();
        for args in [&["config", "list"][..], &["spaces", "ENG"][..]] {
            let out = cme(&file, args, &[]);
            assert_eq!(out.status.code(), Some(2));
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(!err.contains("hunter2"), "{text:?}: {err}");
            assert!(err.contains(file.to_str().unwrap()), "{err}");
            assert!(err.contains("line ") && err.contains("key `"), "{err}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn config_list_shows_each_value_and_where_it_came_from() {
    let dir = tmp("list");
    let file = dir.join("config.toml");
    assert!(
        cme(
            &file,
            &["config", "set", "url", "https://x.atlassian.net"],
            &[]
        )
        .status
        .success()
    );
    let out = cme(
        &file,
        &["config", "list", "--json", "--concurrency", "4"],
        &[("CME_EMAIL", "me@example.com"), ("CME_PAT", "pat-hunter2")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(!text.contains("pat-hunter2"), "{text}");
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let row = |k: &str| {
        rows.iter()
            .find(|r| r["key"] == k)
            .unwrap_or_else(|| panic!("{k} missing in {text}"))
            .clone()
    };
    let expect = [
        ("url", "https://x.atlassian.net", "file"),
        ("email", "me@example.com", "environment"),
        ("concurrency", "4", "flag"),
        ("link-style", "relative", "default"),
        ("flavor", "auto", "detected"),
        ("pat", "set", "environment"),
    ];
    for (key, value, source) in expect {
        let r = row(key);
        assert_eq!(r["value"], value, "{key}: {r}");
        assert_eq!(r["source"], source, "{key}: {r}");
    }
    assert_eq!(row("api-token")["value"], serde_json::Value::Null);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn config_set_with_a_bad_key_or_value_says_what_is_allowed() {
    let dir = tmp("badkey");
    let file = dir.join("config.toml");
    let out = cme(&file, &["config", "set", "colour", "blue"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "url",
        "email",
        "flavor",
        "`relative` (also `markdown`)",
        "1 to 64",
    ] {
        assert!(err.contains(expected), "{err}");
    }
    let out = cme(
        &file,
        &["config", "set", "email", "https://x.atlassian.net"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("e-mail address"));
    assert!(!file.exists(), "nothing is saved after a refusal");
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

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A name, a site URL, extra flags, and the environment.
type Case<'a> = (&'a str, &'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);

/// Every flavour and credential combination against the simulator: what
/// works, and what fails with a clear error.
#[test]
fn flavour_and_credentials_are_worked_out_not_demanded() {
    use confluence_sim::Flavor as SimFlavor;
    let cloud = spawn(SimConfig::demo()).unwrap();
    let dc = spawn(
        SimConfig::demo()
            .flavor(SimFlavor::DataCenter)
            .context_path("/confluence"),
    )
    .unwrap();
    let dc_root = spawn(SimConfig::demo().flavor(SimFlavor::DataCenter)).unwrap();
    let dir = tmp("flavours");
    let file = dir.join("config.toml");
    let cloud_url = cloud.url();
    let dc_url = format!("{}/confluence", dc.url());
    let dc_root_url = dc_root.url();
    let email = ("CME_EMAIL", "sim@example.com");
    let token = ("CME_API_TOKEN", "sim-token");
    let pat = ("CME_PAT", "sim-pat");
    let ok_cases: Vec<Case> = vec![
        // Cloud told apart by asking the site (not *.atlassian.net).
        ("cloud-basic", &cloud_url, vec![], vec![email, token]),
        // A PAT in the environment next to e-mail and token: Cloud takes its own.
        (
            "cloud-all-three",
            &cloud_url,
            vec![],
            vec![email, token, pat],
        ),
        (
            "cloud-flag",
            &cloud_url,
            vec!["--flavor", "CLOUD"],
            vec![email, token],
        ),
        // A PAT alone means Data Center, with its context path.
        ("dc-pat", &dc_url, vec![], vec![pat]),
        ("dc-pat-root", &dc_root_url, vec![], vec![pat]),
        // All three in the environment: Data Center takes the PAT.
        ("dc-all-three", &dc_url, vec![], vec![email, token, pat]),
        (
            "dc-alias",
            &dc_url,
            vec!["--flavor", "Data-Center"],
            vec![pat],
        ),
        (
            "dc-server",
            &dc_url,
            vec!["--flavor", "server"],
            vec![email, token, pat],
        ),
        // Data Center also takes Basic (user or e-mail, and password or PAT).
        (
            "dc-basic",
            &dc_url,
            vec![],
            vec![email, ("CME_API_TOKEN", "sim-pat")],
        ),
    ];
    for (name, url, flags, env) in ok_cases {
        let out_dir = dir.join(name);
        let mut args = vec![
            "pages",
            "2003",
            "--url",
            url,
            "-o",
            out_dir.to_str().unwrap(),
        ];
        args.extend(flags);
        let out = cme(&file, &args, &env);
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        assert!(
            out_dir.join(".cme-state.json").is_file(),
            "{name}: no export"
        );
    }

    // The settings file's flavour counts too.
    assert!(
        cme(&file, &["config", "set", "flavor", "dc"], &[])
            .status
            .success()
    );
    let out_dir = dir.join("dc-file");
    let out = cme(
        &file,
        &[
            "pages",
            "2003",
            "--url",
            &dc_url,
            "-o",
            out_dir.to_str().unwrap(),
        ],
        &[email, token, pat],
    );
    assert!(out.status.success(), "dc-file: {}", stderr(&out));
    // ... and a flag beats it.
    let out_dir = dir.join("cloud-over-file");
    let out = cme(
        &file,
        &[
            "pages",
            "2003",
            "--url",
            &cloud_url,
            "--flavor",
            "cloud",
            "-o",
            out_dir.to_str().unwrap(),
        ],
        &[email, token, pat],
    );
    assert!(out.status.success(), "cloud-over-file: {}", stderr(&out));
    assert!(
        cme(&file, &["config", "unset", "flavor"], &[])
            .status
            .success()
    );

    // No credentials at all: a clear error before any request.
    for (url, names) in [
        (
            cloud_url.as_str(),
            &["CME_EMAIL", "CME_API_TOKEN", "CME_PAT", "--anonymous"][..],
        ),
        (
            "https://x.atlassian.net",
            &["CME_EMAIL", "CME_API_TOKEN"][..],
        ),
    ] {
        let before = common::requests(&cloud);
        let out = cme(
            &file,
            &[
                "spaces",
                "OPS",
                "--url",
                url,
                "-o",
                dir.join("none").to_str().unwrap(),
            ],
            // An empty variable is no credential.
            &[("CME_PAT", "")],
        );
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        for n in names {
            assert!(err.contains(n), "{err}");
        }
        assert_eq!(
            common::requests(&cloud),
            before,
            "a request was sent: {err}"
        );
        assert!(!dir.join("none").exists());
    }
    let out = cme(
        &file,
        &[
            "spaces",
            "OPS",
            "--url",
            &dc_url,
            "--flavor",
            "dc",
            "-o",
            dir.join("none").to_str().unwrap(),
        ],
        &[],
    );
    let err = stderr(&out);
    assert!(
        err.contains("CME_PAT") && !err.contains("CME_API_TOKEN"),
        "{err}"
    );

    // A PAT for Cloud is named as the mistake it is; no flag the user did not
    // pass is mentioned.
    let out = cme(
        &file,
        &[
            "spaces",
            "OPS",
            "--url",
            &cloud_url,
            "--flavor",
            "cloud",
            "-o",
            dir.join("none").to_str().unwrap(),
        ],
        &[pat],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("personal access tokens") && err.contains("CME_API_TOKEN"),
        "{err}"
    );
    assert!(!err.contains("cannot be used with"), "{err}");

    // `--anonymous` sends no credentials: the simulator refuses them.
    let out = cme(
        &file,
        &[
            "spaces",
            "OPS",
            "--url",
            &cloud_url,
            "--anonymous",
            "-o",
            dir.join("anon").to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("refused the credentials"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn help_teaches_and_completions_cover_every_shell() {
    let dir = tmp("help");
    let file = dir.join("config.toml");
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = cme(&file, &["completions", shell], &[]);
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = stdout(&out);
        assert!(
            script.contains("pages-with-descendants") && script.contains("output-path"),
            "{shell}"
        );
    }
    let help = stdout(&cme(&file, &["pages", "--help"], &[]));
    for form in [
        "/wiki/spaces/KEY/pages/",
        "/display/KEY/",
        "viewpage.action?pageId=",
        "/x/",
    ] {
        assert!(help.contains(form), "{help}");
    }
    let help = stdout(&cme(&file, &["spaces", "--help"], &[]));
    assert!(
        help.contains("viewspace.action?key=KEY") && help.contains("Examples:"),
        "{help}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The folder records what its site turned out to be: the export asks the
/// site once (no flag, not `*.atlassian.net`, no PAT alone), and `sync` of
/// that folder does not ask again.
#[test]
fn sync_remembers_the_flavour_instead_of_asking_again() {
    let cloud = spawn(SimConfig::demo()).unwrap();
    let dir = tmp("flavour-recorded");
    let file = dir.join("config.toml");
    let out_dir = dir.join("out");
    let out_arg = out_dir.to_str().unwrap();
    let env = [
        ("CME_EMAIL", "sim@example.com"),
        ("CME_API_TOKEN", "sim-token"),
    ];
    let asked = || -> u64 {
        let (_, stats) = cloud.control("GET", "/__sim/stats", None);
        stats["by_route"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(route, _)| route.contains("tenant_info"))
            .filter_map(|(_, n)| n.as_u64())
            .sum()
    };
    let out = cme(
        &file,
        &["pages", "2003", "--url", &cloud.url(), "-o", out_arg],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(asked(), 1, "the export asks once");
    let state = std::fs::read_to_string(out_dir.join(".cme-state.json")).unwrap();
    assert!(state.contains("\"flavor\": \"cloud\""), "{state}");
    let out = cme(&file, &["sync", "-o", out_arg], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(asked(), 1, "sync does not ask again");
    std::fs::remove_dir_all(&dir).ok();
}

/// What `config list` and `config get` print from the settings file is
/// escaped (a value can hold terminal escape sequences), and a type error
/// in the file names the key, never the value (a token pasted there).
#[test]
fn settings_file_values_are_escaped_and_never_quoted_in_errors() {
    let dir = tmp("hostile");
    let file = dir.join("config.toml");
    std::fs::write(
        &file,
        "url = \"https://x.example\\u001b]0;pwned\\u0007\\u001b[2J\"\n\
         page-path = \"{space_key}/\\u202e{page_title}.md\"\n",
    )
    .unwrap();
    for args in [
        &["config", "list"][..],
        &["config", "get", "url"],
        &["config", "get", "page-path"],
    ] {
        let run = cme(&file, args, &[]);
        assert!(run.status.success(), "{args:?}: {run:?}");
        let out = stdout(&run);
        assert!(
            !out.contains('\u{1b}') && !out.contains('\u{7}') && !out.contains('\u{202e}'),
            "{args:?} printed raw control characters: {out:?}"
        );
        assert!(
            out.contains("\\u{1b}") || out.contains("\\u{202e}"),
            "{args:?}: {out:?}"
        );
    }
    let secret = "ATATT3xFfGF0T9kq2_hunter2_0123456789abcdefABCDEF=0F2A4B6C";
    std::fs::write(&file, format!("concurrency = \"{secret}\"\n")).unwrap();
    let run = cme(&file, &["config", "list"], &[]);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(err.contains("concurrency"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
