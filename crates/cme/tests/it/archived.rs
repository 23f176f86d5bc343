//! Archived pages: left out by default but counted and named, so nothing is
//! skipped silently; exported with `--include-archived`, which `sync` keeps
//! replaying; a page archived later leaves the export (and is named), and a
//! live page below an archived one keeps its path.
use crate::common;
use cme::state::{Scope, ScopeCommand, State};
use cme::sync::Start;
use cme::sync::outcome::Outcome;
use cme_client::{Client, PageId};
use common::*;
use confluence_sim::{SimConfig, SimHandle, spawn};
use serde_json::json;
use std::path::Path;

/// The demo's archived page (DEMO, under the home page).
const ARCHIVED: &str = "1020";
const ARCHIVED_NAMED: &str = "DEMO: Archived Plan 2023";

fn scope(include_archived: bool) -> Scope {
    let mut args = vec!["DEMO".to_owned()];
    if include_archived {
        args.push("--include-archived".to_owned());
    }
    Scope {
        command: ScopeCommand::Spaces,
        args,
        blog_posts: false,
    }
}

fn export_demo(c: &Client, out: &Path, include_archived: bool) -> Outcome {
    let start = Start::Export {
        scope: scope(include_archived),
        append: false,
    };
    run(c, request(out, start)).unwrap()
}

fn tracked(out: &Path, id: &str) -> Option<String> {
    let state = State::load(out).unwrap().unwrap();
    state
        .pages
        .get(&PageId::new(id))
        .filter(|p| p.status == cme::state::TrackedStatus::Active)
        .map(|p| p.output_path.to_string())
}

fn add_child_below_archived(sim: &SimHandle) -> String {
    let (status, v) = sim.control(
        "POST",
        "/__sim/pages",
        Some(json!({"space": "DEMO", "parent_id": ARCHIVED, "title": "Live Child", "body": "<p>live</p>"})),
    );
    assert!(status < 300, "{v}");
    v["id"].as_str().unwrap().to_owned()
}

#[test]
fn archived_pages_are_named_not_exported_by_default() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("archived-default");
    let child = add_child_below_archived(&sim);
    let o = export_demo(&c, &out, false);
    assert_eq!(o.archived, vec![ARCHIVED_NAMED.to_owned()]);
    let notes = o.notes();
    assert!(
        notes.contains("1 archived page not exported") && notes.contains(ARCHIVED_NAMED),
        "{notes}"
    );
    assert!(
        o.totals().contains("1 archived not exported"),
        "{}",
        o.totals()
    );
    assert_eq!(tracked(&out, ARCHIVED), None);
    assert!(
        !tree(&out)
            .keys()
            .any(|p| p.ends_with("Archived Plan 2023.md")),
        "archived page written"
    );
    // The live page below keeps the path it has under its archived parent.
    let child_path = tracked(&out, &child).expect("live child exported");
    assert!(
        child_path.ends_with("Archived Plan 2023/Live Child.md"),
        "{child_path}"
    );
    // An idle sync says the same and changes nothing.
    let before = tree(&out);
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0);
    assert_eq!(o.archived, vec![ARCHIVED_NAMED.to_owned()]);
    assert_eq!(tree(&out), before);
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn include_archived_exports_them_and_sync_keeps_doing_so() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("archived-included");
    let o = export_demo(&c, &out, true);
    assert!(o.archived.is_empty(), "{:?}", o.archived);
    let path = tracked(&out, ARCHIVED).expect("archived page exported");
    let text = std::fs::read_to_string(out.join(&path)).unwrap();
    assert!(text.contains("title: Archived Plan 2023"), "{text}");
    let state = State::load(&out).unwrap().unwrap();
    assert_eq!(state.scopes, vec![scope(true)]);

    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0);
    assert_eq!(o.page_counts.deleted, 0);
    assert!(out.join(&path).exists());

    // Archiving another page keeps it in this export.
    let (status, _) = sim.control(
        "PATCH",
        "/__sim/pages/1002",
        Some(json!({"status": "archived"})),
    );
    assert!(status < 300);
    let o = sync(&c, &out).unwrap();
    assert_eq!(o.page_counts.deleted, 0);
    assert!(tracked(&out, "1002").is_some());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_page_archived_later_leaves_the_export_and_is_named() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("archived-later");
    export_demo(&c, &out, false);
    let path = tracked(&out, "1002").expect("page exported");
    let title = State::load(&out).unwrap().unwrap().pages[&PageId::new("1002")]
        .title
        .clone()
        .unwrap();
    let (status, _) = sim.control(
        "PATCH",
        "/__sim/pages/1002",
        Some(json!({"status": "archived"})),
    );
    assert!(status < 300);
    let o = sync(&c, &out).unwrap();
    assert!(!out.join(&path).exists(), "{path} kept");
    assert!(
        o.archived.contains(&format!("DEMO: {title}")),
        "{:?}",
        o.archived
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn data_center_exports_archived_pages_when_asked() {
    let sim = spawn(SimConfig::demo().flavor(confluence_sim::Flavor::DataCenter)).unwrap();
    let c = dc_client(&sim.url());
    let out = tmp("archived-dc");
    export_demo(&c, &out, true);
    assert!(tracked(&out, ARCHIVED).is_some());
    std::fs::remove_dir_all(&out).ok();
}
