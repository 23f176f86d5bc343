//! Exporting into a folder the Python confluence-markdown-exporter wrote:
//! the files its `confluence-lock.json` lists for pages cme now exports are
//! removed once cme's own are written, the lock file goes, files it does
//! not list stay; pages cme did not export keep their old files and the
//! lock. The folder is built by this fixture, as the Python tool lays it
//! out (v2 lock file), not by running the Python tool.
use crate::common::*;
use serde_json::json;
use std::path::Path;

fn write(out: &Path, rel: &str, text: &str) {
    let p = out.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn lock(pages: serde_json::Value) -> String {
    serde_json::to_string_pretty(&json!({
        "lockfile_version": 2,
        "last_export": "2026-11-30T10:00:00Z",
        "orgs": {"https://example.atlassian.net": {"spaces": {"DEMO": {"pages": pages}}}}
    }))
    .unwrap()
}

#[test]
fn a_python_exporters_folder_is_adopted_without_orphans() {
    let Site { sim, out, .. } = Site::demo("adopt");
    let old_page = "Demo Space/Demo Home/Getting Started.md";
    let old_home = "Demo Space/Demo Home.md";
    let old_file = "Demo Space/attachments/7f9c2ba4-e88f-11ee-8c90-0242ac120002.png";
    write(&out, old_page, "old export\n");
    write(&out, old_home, "old home\n");
    write(&out, old_file, "png");
    write(&out, "notes.txt", "mine\n");
    let home = "1001";
    let started = {
        // The demo's Getting Started page, whatever its id.
        let v = api_get(
            &sim,
            "/wiki/rest/api/content?type=page&spaceKey=DEMO&title=Getting%20Started",
        );
        v["results"][0]["id"].as_str().unwrap().to_owned()
    };
    std::fs::write(
        out.join("confluence-lock.json"),
        lock(json!({
            home: {"title": "Demo Home", "version": 1, "export_path": old_home, "attachments": {}},
            started: {"title": "Getting Started", "version": 1, "export_path": old_page,
                       "attachments": {"att1": {"version": 1, "path": old_file}}}
        })),
    )
    .unwrap();
    // A dry run shows it first, and changes nothing.
    let before = tree(&out);
    let dry = cli(
        &["all-spaces", "--dry-run", "-o", out.to_str().unwrap()],
        &sim,
    );
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    let said = String::from_utf8_lossy(&dry.stdout);
    assert!(
        said.contains("would adopt a folder of the Python exporter: would remove 3 of its files (all listed in confluence-lock.json), and the lock file"),
        "{said}"
    );
    for f in [old_page, old_home, old_file] {
        assert!(
            said.contains(&format!("  would remove: {f}\n")),
            "{f}: {said}"
        );
    }
    assert_eq!(tree(&out), before, "a dry run changes nothing");
    let r = cli(&["all-spaces", "-o", out.to_str().unwrap()], &sim);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    let said = String::from_utf8_lossy(&r.stdout);
    assert!(
        said.contains("adopted a folder of the Python exporter: removed 3 of its files (all listed in confluence-lock.json), and the lock file"),
        "{said}"
    );
    for old in [old_page, old_home, old_file, "confluence-lock.json"] {
        assert!(!out.join(old).exists(), "{old} is left");
    }
    assert!(
        !out.join("Demo Space").exists(),
        "empty old folders are pruned"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine\n"
    );
    // Every page at cme's path.
    let state = cme::state::State::load(&out).unwrap().unwrap();
    for p in state.pages.values() {
        assert!(out.join(&*p.output_path).is_file(), "{}", p.output_path);
    }
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn pages_not_exported_keep_their_old_files_and_the_lock() {
    let Site { sim, out, .. } = Site::demo("adopt-partial");
    write(&out, "Other/Old Page.md", "old\n");
    write(&out, "Demo Space/Demo Home.md", "old home\n");
    std::fs::write(
        out.join("confluence-lock.json"),
        lock(json!({
            "1001": {"title": "Demo Home", "version": 1, "export_path": "Demo Space/Demo Home.md"},
            "999999": {"title": "Old Page", "version": 1, "export_path": "Other/Old Page.md"},
            "1002": {"title": "Evil", "version": 1, "export_path": "../outside.md"}
        })),
    )
    .unwrap();
    let r = cli(&["spaces", "DEMO", "-o", out.to_str().unwrap()], &sim);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    assert!(!out.join("Demo Space/Demo Home.md").exists());
    assert!(
        out.join("Other/Old Page.md").exists(),
        "a page not exported here keeps its file"
    );
    assert!(
        out.join("confluence-lock.json").exists(),
        "the lock stays until all is adopted"
    );
    std::fs::remove_dir_all(&out).ok();
}
