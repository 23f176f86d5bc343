//! The scheduled-mirror example (`examples/mirror/cme-mirror.sh`): run
//! against the simulator in a git work tree, it commits the first export,
//! makes no commit when nothing changed, and one commit, subject the
//! sync's summary and body its change lines, when a page changed.
use crate::common::*;
use serde_json::json;
use std::path::Path;
use std::process::Command;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn git(dir: &Path, args: &[&str]) -> String {
    let o = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn the_mirror_script_commits_what_changed_and_nothing_else() {
    if !have("git") || !Path::new("/bin/sh").exists() {
        println!("note: git or sh missing; skipping");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/mirror/cme-mirror.sh");
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("mirror");
    export(&c, &out, false).unwrap();
    git(&out, &["init", "--quiet"]);
    let config = out.with_extension("toml");
    let run = || {
        Command::new("sh")
            .arg(&script)
            .arg(&out)
            .env("CME", env!("CARGO_BIN_EXE_cme"))
            .env("CME_CONFIG", &config)
            .env("CME_EMAIL", "sim@example.com")
            .env("CME_API_TOKEN", "sim-token")
            .env_remove("CME_URL")
            .output()
            .unwrap()
    };
    let commits = || {
        git(&out, &["rev-list", "--count", "--all"])
            .trim()
            .parse::<u32>()
            .unwrap_or(0)
    };

    let first = run();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(commits(), 1);
    let tracked = git(&out, &["ls-files"]);
    assert!(tracked.contains(".cme-state.json"), "{tracked}");
    assert!(!tracked.contains(".cme-state.lock"), "{tracked}");

    // Nothing changed: no commit.
    let idle = run();
    assert!(
        idle.status.success(),
        "{}",
        String::from_utf8_lossy(&idle.stderr)
    );
    assert_eq!(commits(), 1);

    // A page changed: one commit that says what.
    let id = id_at(&out, "DEMO/Demo Home/Getting Started.md");
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({"body": "<p>new text</p>"}),
    );
    let changed = run();
    assert!(
        changed.status.success(),
        "{}",
        String::from_utf8_lossy(&changed.stderr)
    );
    assert_eq!(commits(), 2);
    let message = git(&out, &["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("Confluence sync: 0 new, 1 modified"),
        "{message}"
    );
    assert!(
        message.contains("mod:") && message.contains("Getting Started.md"),
        "{message}"
    );
    std::fs::remove_dir_all(&out).ok();
    std::fs::remove_file(&config).ok();
}
