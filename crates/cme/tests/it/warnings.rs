//! Warnings are grouped and counted truthfully, and stderr stays bounded:
//! pages with 100,000 identical warnings each give a few lines on stderr,
//! and the counts there, in `--json` and in `cme convert` agree with what
//! the pages hold.
use crate::common::*;
use confluence_sim::{SimConfig, spawn};
use serde_json::{Value, json};

const FLOOD: usize = 100_000;

fn flood_body() -> String {
    "<p><a href=\"#nowhere\">x</a></p>".repeat(FLOOD)
}

#[test]
fn a_flood_of_identical_warnings_is_grouped_and_counted() {
    let sim = spawn(SimConfig::demo()).unwrap();
    for title in ["Flood one", "Flood two"] {
        ctl(
            &sim,
            "POST",
            "/__sim/pages",
            json!({"space": "DEMO", "title": title, "body": flood_body()}),
        );
    }
    let out = tmp("warning-flood");
    let run = cli(
        &["spaces", "DEMO", "--json", "-o", out.to_str().unwrap()],
        &sim,
    );
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.len() < 8_000,
        "{} bytes on stderr:\n{stderr}",
        stderr.len()
    );
    let report: Value = serde_json::from_slice(&run.stdout).unwrap();
    let warnings = report["warnings"].as_array().unwrap();
    let total: u64 = warnings.iter().map(|w| w["count"].as_u64().unwrap()).sum();
    for page in ["DEMO/Flood one.md", "DEMO/Flood two.md"] {
        let of_page: Vec<&Value> = warnings.iter().filter(|w| w["path"] == page).collect();
        assert_eq!(of_page.len(), 1, "{page}: {} entries", of_page.len());
        assert_eq!(of_page[0]["count"], FLOOD, "{of_page:?}");
    }
    // Links to pages outside the export are a note of their own.
    let links: u64 = warnings
        .iter()
        .filter(|w| w["message"].as_str().unwrap().starts_with("link to page "))
        .map(|w| w["count"].as_u64().unwrap())
        .sum();
    let summary = format!(
        "{} conversion warnings",
        cme::units::thousands(total - links)
    );
    assert!(total > 2 * FLOOD as u64);
    assert!(stderr.contains(&summary), "`{summary}` in:\n{stderr}");
    assert!(
        stderr.contains(
            "DEMO/Flood one.md: anchor `nowhere` is not on this page; link text kept (×100,000)"
        ),
        "{stderr}"
    );

    // `cme convert` says it once, with its count.
    let dir = tmp("warning-flood-convert");
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("page.xml");
    std::fs::write(&page, flood_body()).unwrap();
    let conv = std::process::Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["convert", page.to_str().unwrap()])
        .env("CME_CONFIG", "/nonexistent/cme-test-config.toml")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&conv.stderr);
    assert_eq!(
        stderr,
        "warning: anchor `nowhere` is not on this page; link text kept (100,000 times)\n"
    );
}
