//! Quiet means quiet, notes are said once, `-v` makes a cron log, and the
//! small things a new user meets say what they did (issue 20, items 4 and 7),
//! through the real binary.
use crate::common::*;
use confluence_sim::{SimConfig, spawn};
use serde_json::{Value, json};
use std::process::Output;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn run(sim: &confluence_sim::SimHandle, args: &[&str]) -> Output {
    let o = cli(args, sim);
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        text(&o.stderr)
    );
    o
}

const ARCHIVED: &str = "note: 1 archived page not exported (export with --include-archived to include them): DEMO: Archived Plan 2023\n";
const MISSING: &str =
    "warning: referenced attachment not found: diagram.svg (DEMO/Demo Home/Editor Artifacts.md)\n";

#[test]
fn quiet_prints_nothing_when_nothing_needs_doing() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let out = tmp("quiet-idle");
    let o = out.to_str().unwrap();
    // A first export: no line per file, no notes, no totals.
    let first = run(&sim, &["all-spaces", "-q", "-o", o]);
    assert_eq!(first.status.code(), Some(0));
    assert_eq!(text(&first.stdout), "");
    assert_eq!(text(&first.stderr), "");
    let idle = run(&sim, &["sync", "-q", "-o", o]);
    assert_eq!(idle.status.code(), Some(0));
    assert_eq!(text(&idle.stdout), "");
    assert_eq!(text(&idle.stderr), "");
    // `-q` showed nothing, so the notes are still news to a plain run.
    let plain = run(&sim, &["sync", "-o", o]);
    let err = text(&plain.stderr);
    assert!(err.contains(ARCHIVED) && err.contains(MISSING), "{err}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn notes_that_need_no_action_are_shown_once_then_only_with_v() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let out = tmp("quiet-once");
    let o = out.to_str().unwrap();
    let first = run(&sim, &["all-spaces", "-o", o]);
    let err = text(&first.stderr);
    assert!(err.contains(ARCHIVED), "{err}");
    assert!(err.contains(MISSING), "{err}");
    // Links to pages the export does not hold are a note, not a failure.
    assert!(
        // (The demo's link to its blog post resolves: `all-spaces` exports it.)
        err.contains("1 link to pages outside the export, left pointing to Confluence:\n"),
        "{err}"
    );
    assert!(
        err.contains("    DEMO/Demo Home/Links and References.md: `This Page Does Not Exist`\n"),
        "{err}"
    );
    assert!(!err.contains("not resolved"), "{err}");
    assert!(out.join(".cme-notes.json").is_file());

    let again = run(&sim, &["sync", "-o", o]);
    let err = text(&again.stderr);
    assert!(
        !err.contains("archived page") && !err.contains("diagram.svg"),
        "{err}"
    );
    assert!(err.starts_with("Done in "), "only the totals: {err}");
    assert_eq!(
        text(&again.stdout),
        "0 new, 0 modified, 0 deleted, 36 unchanged\n"
    );

    let verbose = run(&sim, &["sync", "-v", "-o", o]);
    let err = text(&verbose.stderr);
    assert!(err.contains(ARCHIVED) && err.contains(MISSING), "{err}");

    // A note that goes and comes back is news again.
    let page = id_at(&out, "DEMO/Demo Home/Editor Artifacts.md");
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{page}"),
        json!({"body": "<p>no attachment now</p>"}),
    );
    let gone = run(&sim, &["sync", "-o", o]);
    assert!(!text(&gone.stderr).contains("diagram.svg"));
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{page}"),
        json!({"body": "<p><ac:image><ri:attachment ri:filename=\"diagram.svg\" /></ac:image></p>"}),
    );
    let back = run(&sim, &["sync", "-o", o]);
    assert!(
        text(&back.stderr).contains(MISSING),
        "{}",
        text(&back.stderr)
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_held_mass_deletion_names_what_would_go_and_the_command_to_allow_it() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let out = tmp("quiet-held");
    let o = out.to_str().unwrap();
    run(&sim, &["all-spaces", "-q", "-o", o]);
    let state = cme::state::State::load(&out).unwrap().unwrap();
    let mut ids: Vec<String> = state.pages.keys().map(ToString::to_string).collect();
    ids.sort();
    for id in ids.iter().skip(8) {
        sim.control("DELETE", &format!("/__sim/pages/{id}"), None);
    }
    let held = run(&sim, &["sync", "-q", "--json", "-o", o]);
    assert_eq!(held.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&held.stdout).unwrap();
    let n = report["held_deletions"].as_u64().unwrap();
    let active = report["held"]["active"].as_u64().unwrap();
    assert!(n > 10, "{report}");
    let err = text(&held.stderr);
    let mut expected = format!(
        "warning: nothing deleted: {n} of {active} tracked pages would be deleted (more than half):\n"
    );
    // Many: counted per top folder.
    let mut folders = std::collections::BTreeMap::<String, u64>::new();
    for p in report["held_paths"].as_array().unwrap() {
        let top = p.as_str().unwrap().split('/').next().unwrap().to_owned();
        *folders.entry(top).or_default() += 1;
    }
    for (top, count) in &folders {
        let pages = if *count == 1 { "page" } else { "pages" };
        expected.push_str(&format!("  {count} {pages} in `{top}/`\n"));
    }
    expected.push_str(&format!(
        "if that is right, allow it with: cme sync -q --json -o {o} --max-delete {n}\n"
    ));
    assert_eq!(err, expected);
    // The command it names does it.
    let allowed = run(
        &sim,
        &[
            "sync",
            "-q",
            "--json",
            "-o",
            o,
            "--max-delete",
            &n.to_string(),
        ],
    );
    assert_eq!(allowed.status.code(), Some(0), "{}", text(&allowed.stderr));
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_few_held_deletions_are_named_one_by_one() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let out = tmp("quiet-held-few");
    let o = out.to_str().unwrap();
    // One space of the two, all of whose 10 pages go: a hold (10 at least,
    // more than half), few enough to name each.
    run(&sim, &["spaces", "OPS", "-q", "-o", o]);
    let state = cme::state::State::load(&out).unwrap().unwrap();
    let gone: Vec<(String, String)> = state
        .pages
        .iter()
        .map(|(id, p)| (id.to_string(), p.output_path.to_string()))
        .collect();
    assert_eq!(gone.len(), 10);
    for (id, _) in &gone {
        sim.control("DELETE", &format!("/__sim/pages/{id}"), None);
    }
    let held = run(&sim, &["sync", "-q", "-o", o]);
    let err = text(&held.stderr);
    for (_, path) in &gone {
        assert!(err.contains(&format!("\n  {path}\n")), "{path} in:\n{err}");
    }
    assert!(
        err.ends_with(&format!(
            "if that is right, allow it with: cme sync -q -o {o} --max-delete {}\n",
            gone.len()
        )),
        "{err}"
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn the_log_file_has_a_start_each_request_each_retry_and_an_end() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let out = tmp("quiet-log");
    let o = out.to_str().unwrap();
    run(&sim, &["all-spaces", "-q", "-o", o]);
    // The space listing fails once with a 500 (this seed's first draw).
    ctl(
        &sim,
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 0.5, "error_statuses": [500], "seed": 6, "only_matching": "/spaces"}),
    );
    let log = out.with_extension("log");
    let _ = std::fs::remove_file(&log);
    let synced = run(
        &sim,
        &["sync", "-q", "--log-file", log.to_str().unwrap(), "-o", o],
    );
    assert_eq!(text(&synced.stderr), "", "the log goes to its file");
    let log_text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = log_text.lines().collect();
    assert!(
        lines[0].contains(&format!(
            "start: cme sync -q --log-file {} -o {o} (cme ",
            log.display()
        )),
        "{log_text}"
    );
    assert!(
        lines.last().unwrap().contains("end: Done in ")
            && lines.last().unwrap().ends_with("; exit code 0"),
        "{log_text}"
    );
    let request = lines
        .iter()
        .find(|l| l.contains(" GET /wiki/rest/api/content/search?"))
        .unwrap_or_else(|| panic!("no request line:\n{log_text}"));
    assert!(
        request
            .split(" GET ")
            .nth(1)
            .unwrap()
            .contains(" 200 in 0."),
        "{request}"
    );
    let retry = lines
        .iter()
        .find(|l| l.contains("retrying GET "))
        .unwrap_or_else(|| panic!("no retry line:\n{log_text}"));
    assert!(
        retry.contains(&format!("retrying GET {}/wiki/api/v2/spaces", sim.url()))
            && retry.ends_with(": Confluence answered HTTP 500"),
        "{retry}"
    );
    assert!(!log_text.contains("Some(500)"), "{log_text}");
    assert!(!log_text.contains("sim-token"), "{log_text}");
    std::fs::remove_dir_all(&out).ok();
    let _ = std::fs::remove_file(&log);
}

#[test]
fn config_says_what_it_did_and_what_is_unset() {
    let dir = tmp("quiet-config");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("config.toml");
    let set = cme_bin(
        &file,
        &[
            "config",
            "set",
            "url",
            "https://x.atlassian.net/wiki/spaces/ENG/overview",
        ],
        &[],
    );
    assert!(set.status.success());
    assert_eq!(
        text(&set.stdout),
        "url = https://x.atlassian.net/wiki (given as `https://x.atlassian.net/wiki/spaces/ENG/overview`)\n"
    );
    let again = cme_bin(
        &file,
        &["config", "set", "url", "https://x.atlassian.net/wiki"],
        &[],
    );
    assert_eq!(
        text(&again.stdout),
        "url = https://x.atlassian.net/wiki (unchanged)\n"
    );
    let get = cme_bin(&file, &["config", "get", "flavor"], &[]);
    assert!(get.status.success());
    assert_eq!(text(&get.stdout), "", "a script reads no value");
    assert_eq!(
        text(&get.stderr),
        "flavor is not set in the settings file; the flavour is detected per site\n"
    );
    let list = text(&cme_bin(&file, &["config", "list"], &[]).stdout);
    assert!(
        list.contains("link-style   = relative  (default)\n"),
        "{list}"
    );
    let unset = cme_bin(&file, &["config", "unset", "url"], &[]);
    assert_eq!(text(&unset.stdout), "url removed\n");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_demo_shows_the_rename_cleanly_and_ends_pointing_at_the_users_site() {
    let out = tmp("quiet-demo");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["demo", "-o"])
        .arg(&out)
        .env("CME_CONFIG", "/nonexistent/cme-test-config.toml")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    // Confluence rewrote the links to the renamed page: none is left behind.
    assert!(!err.contains("Configuration Reference`"), "{err}");
    assert!(
        err.contains("Exported to `") && err.contains(" s: "),
        "{err}"
    );
    assert!(
        err.ends_with(
            "Now point it at your site: `export CME_EMAIL=you@example.com CME_API_TOKEN=...` \
             (Data Center: `CME_PAT=...`), then \
             `cme spaces https://your-site.atlassian.net/wiki/spaces/KEY -o ./docs`\n"
        ),
        "{err}"
    );
    let links =
        std::fs::read_to_string(out.join("DEMO/Demo Home/Links and References.md")).unwrap();
    assert!(
        links.contains("Settings%20Reference.md") || links.contains("Settings Reference"),
        "{links}"
    );
    std::fs::remove_dir_all(&out).ok();
}
