//! File names that cannot collide, against the simulator: pages and
//! attachments whose names clash after sanitising, case folding, Unicode
//! normalisation or the removal of invisible characters each get their own
//! file with their own content, the export succeeds, the next sync is idle,
//! and a colliding newcomer never renames an existing file.
use crate::common;
use cme::place::names::key;
use cme::state::{State, TrackedStatus};
use cme::sync::outcome::Outcome;
use cme_client::Client;
use common::*;
use confluence_sim::SimHandle;
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A page under `parent` (or at the top of DEMO) whose body says `MARK <title>`
/// and whatever `extra` adds; returns its id.
fn page(sim: &SimHandle, parent: Option<&str>, title: &str, extra: &str) -> String {
    let body = format!("<p>MARK {}</p>{extra}", xml_escape(title));
    let v = ctl(
        sim,
        "POST",
        "/__sim/pages",
        json!({"space": "DEMO", "parent_id": parent, "title": title, "body": body}),
    );
    v["id"].as_str().unwrap().to_owned()
}

fn attach(sim: &SimHandle, page: &str, filename: &str, data: &str) {
    use base64::Engine as _;
    ctl(
        sim,
        "POST",
        &format!("/__sim/pages/{page}/attachments"),
        json!({
            "filename": filename,
            "media_type": "text/plain",
            "data_base64": base64::engine::general_purpose::STANDARD.encode(data),
        }),
    );
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The demo site with a page `Names` at the top of DEMO to put pages under.
fn site(name: &str) -> (SimHandle, Client, PathBuf, String) {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo(name);
    let parent = page(&sim, None, "Names", "");
    (sim, c, out, parent)
}

fn clean(o: &Outcome) {
    assert_eq!(o.exit().code(), 0, "{}\n{}", o.render(), o.notes());
    assert!(o.failures.is_empty() && o.refused.is_empty(), "{o:?}");
}

/// Each page of `ids` (by title) has a file of its own that shows its own
/// body, and no two tracked files of a folder share a name as macOS or
/// Windows compare names.
fn one_file_each(out: &Path, ids: &[(&str, &str)]) -> HashMap<String, String> {
    let state = State::load(out).unwrap().unwrap();
    let mut by_key: HashMap<String, &str> = HashMap::new();
    for (id, ps) in &state.pages {
        if ps.status != TrackedStatus::Active {
            continue;
        }
        let prev = by_key.insert(key(&ps.output_path), id.as_str());
        assert!(
            prev.is_none(),
            "{} shared by {prev:?} and {id}",
            ps.output_path
        );
    }
    let mut paths = HashMap::new();
    for (title, id) in ids {
        let ps = &state.pages[&cme_client::PageId::new(*id)];
        let text = std::fs::read_to_string(out.join(&*ps.output_path))
            .unwrap_or_else(|e| panic!("{title}: {}: {e}", ps.output_path));
        let mark = format!(
            "MARK {}",
            title.trim().replace('*', "\\*").replace('_', "\\_")
        );
        assert!(
            text.contains(&mark),
            "{title:?} ({id}) at {} shows:\n{text}",
            ps.output_path
        );
        paths.insert((*id).to_owned(), ps.output_path.to_string());
    }
    paths
}

/// A sync now writes, moves, deletes and downloads nothing.
fn idle(c: &Client, out: &Path) {
    let before = snapshot(out);
    let o = sync(c, out).unwrap();
    clean(&o);
    assert_eq!(written(&o) + o.page_counts.deleted, 0, "{}", o.render());
    assert!(o.attachments.is_empty(), "{}", o.render());
    assert_eq!(snapshot(out), before, "an idle sync changed files");
}

#[test]
fn a_title_like_the_collision_suffix_gets_its_own_file() {
    let (sim, c, out, parent) = site("suffix");
    let upper = page(&sim, Some(&parent), "Coll", "");
    let lower = page(&sim, Some(&parent), "coll", "");
    // Titled like the names the clash of `Coll` and `coll` falls back on.
    let t1 = format!("coll ({lower})");
    let t2 = format!("coll ({upper})");
    let a = page(&sim, Some(&parent), &t1, "");
    let b = page(&sim, Some(&parent), &t2, "");
    // First in Confluence's order, so it is named before the clash is.
    for (id, position) in [(&a, -2), (&b, -1)] {
        ctl(
            &sim,
            "PATCH",
            &format!("/__sim/pages/{id}"),
            json!({ "position": position }),
        );
    }
    clean(&export(&c, &out, false).unwrap());
    one_file_each(
        &out,
        &[("Coll", &upper), ("coll", &lower), (&t1, &a), (&t2, &b)],
    );
    idle(&c, &out);
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_file_and_a_folder_of_one_name_do_not_abort_the_export() {
    let (sim, c, out, parent) = site("clash");
    let file = page(&sim, Some(&parent), "Clash", "");
    let folder = page(&sim, Some(&parent), "Clash.md", "");
    let child = page(&sim, Some(&folder), "Child of Clash.md", "");
    let grandchild = page(&sim, Some(&file), "Child of Clash", "");
    clean(&export(&c, &out, false).unwrap());
    let paths = one_file_each(
        &out,
        &[
            ("Clash", &file),
            ("Clash.md", &folder),
            ("Child of Clash.md", &child),
            ("Child of Clash", &grandchild),
        ],
    );
    assert_eq!(paths[&file], "DEMO/Names/Clash.md");
    idle(&c, &out);
    std::fs::remove_dir_all(&out).ok();
}

/// Link and image destinations of a Markdown file, decoded.
fn destinations(md: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    Parser::new(md)
        .filter_map(|e| match e {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                Some(dest_url.to_string())
            }
            _ => None,
        })
        .map(|d| {
            percent_encoding::percent_decode_str(&d)
                .decode_utf8()
                .unwrap()
                .into_owned()
        })
        .collect()
}

#[test]
fn attachments_that_sanitise_alike_land_in_files_of_their_own() {
    let (sim, c, out, parent) = site("attachments");
    let files = ["a:b.txt", "a?b.txt", "a_b.txt", "A_B.txt"];
    let body: String = files
        .iter()
        .map(|f| format!("<p><ac:link><ri:attachment ri:filename=\"{f}\"/></ac:link></p>"))
        .collect();
    let id = page(&sim, Some(&parent), "Files", &body);
    for f in files {
        attach(&sim, &id, f, &format!("content of {f}"));
    }
    clean(&export(&c, &out, false).unwrap());
    let paths = one_file_each(&out, &[("Files", &id)]);
    let md_path = out.join(&paths[&id]);
    let md = std::fs::read_to_string(&md_path).unwrap();
    let links = destinations(&md);
    assert_eq!(links.len(), files.len(), "{md}");
    let mut seen = HashMap::new();
    for (f, link) in files.iter().zip(&links) {
        let target = md_path.parent().unwrap().join(link);
        let got = std::fs::read_to_string(&target)
            .unwrap_or_else(|e| panic!("{f}: {}: {e}", target.display()));
        assert_eq!(
            got,
            format!("content of {f}"),
            "the link of {f} opens {link}"
        );
        assert!(seen.insert(key(link), f).is_none(), "{link} twice");
    }
    let state = State::load(&out).unwrap().unwrap();
    let stored = &state.pages[&cme_client::PageId::new(&id)].attachments;
    assert_eq!(stored.len(), files.len());
    idle(&c, &out);

    // Deleted and uploaded again (a new id): the same file, new content,
    // nothing left behind, and the page's links unchanged.
    let old_id = stored["a:b.txt"].id.clone();
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/attachments/{old_id}?purge=true"),
        json!({}),
    );
    attach(&sim, &id, "a:b.txt", "new content");
    let before: Vec<String> = tree(&out).into_keys().collect();
    let o = sync(&c, &out).unwrap();
    clean(&o);
    assert_eq!(written(&o), 0, "{}", o.render());
    assert_eq!(tree(&out).into_keys().collect::<Vec<_>>(), before);
    let state = State::load(&out).unwrap().unwrap();
    let stored = &state.pages[&cme_client::PageId::new(&id)].attachments;
    assert_ne!(stored["a:b.txt"].id, old_id, "uploaded as a new attachment");
    let target = md_path.parent().unwrap().join(&links[0]);
    assert_eq!(std::fs::read_to_string(target).unwrap(), "new content");
    idle(&c, &out);
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn titles_that_look_alike_on_some_file_system_get_their_own_files() {
    let (sim, c, out, parent) = site("lookalikes");
    let titles = [
        "caf\u{e9}",         // NFC
        "cafe\u{301}",       // NFD
        "CAF\u{c9}",         // upper case
        "zero\u{200B}width", // zero-width space
        "zerowidth",
        "\u{202E}txt.exe", // bidi override
        "txt.exe",
        "\u{FEFF}bom",
        "bom",
        "dots...", // Windows strips trailing dots
        "dots",
        "space ",
        "CON",
        "con.txt",
        "COM\u{b9}",
        "CONIN$",
        "lpt0",
    ];
    let ids: Vec<String> = titles
        .iter()
        .map(|t| page(&sim, Some(&parent), t, ""))
        .collect();
    // A page titled like the attachments folder, with a child, at the top.
    let att_page = page(&sim, None, "_attachments", "");
    let att_child = page(&sim, Some(&att_page), "Inside", "");
    clean(&export(&c, &out, false).unwrap());
    let mut pairs: Vec<(&str, &str)> = titles
        .iter()
        .zip(&ids)
        .map(|(t, i)| (*t, i.as_str()))
        .collect();
    pairs.push(("_attachments", &att_page));
    pairs.push(("Inside", &att_child));
    let paths = one_file_each(&out, &pairs);
    for p in paths.values() {
        let name = p.rsplit('/').next().unwrap();
        let stem = name.split('.').next().unwrap().trim_end().to_uppercase();
        assert!(
            !["CON", "PRN", "AUX", "NUL", "COM\u{b9}", "CONIN$", "LPT0"].contains(&stem.as_str()),
            "{p}"
        );
        assert!(!p.contains(['\u{200B}', '\u{202E}', '\u{FEFF}']), "{p:?}");
    }
    assert!(!paths[&att_page].starts_with("DEMO/_attachments/"));
    assert!(!paths[&att_child].starts_with("DEMO/_attachments/"));
    // The demo's own attachments still download where they belong.
    let home_logo = tree(&out)
        .into_keys()
        .any(|k| k.starts_with("DEMO/_attachments/") && k.ends_with("sim-logo.png"));
    assert!(home_logo);
    idle(&c, &out);
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_colliding_newcomer_does_not_rename_an_existing_file() {
    let (sim, c, out, parent) = site("sticky");
    let older = page(&sim, Some(&parent), "Alpha", "");
    let report = page(&sim, Some(&parent), "Report", "");
    let link = "<p><ac:link><ri:page ri:content-title=\"Report\"/></ac:link></p>";
    let linker = page(&sim, Some(&parent), "Linker", link);
    clean(&export(&c, &out, false).unwrap());
    let before = one_file_each(
        &out,
        &[("Report", &report), ("Alpha", &older), ("Linker", &linker)],
    );

    // The older page (lower id: it would win the plain name in a fresh
    // export) is renamed into a clash, and a new page clashes too.
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{older}"),
        json!({"title": "report", "body": "<p>MARK report</p>"}),
    );
    let newcomer = page(&sim, Some(&parent), "REPORT", "");
    let o = sync(&c, &out).unwrap();
    clean(&o);
    let after = one_file_each(
        &out,
        &[
            ("Report", &report),
            ("report", &older),
            ("REPORT", &newcomer),
        ],
    );
    assert_eq!(after[&report], before[&report], "{}", o.render());
    assert_eq!(after[&report], "DEMO/Names/Report.md");
    // Nothing linking to it had to change.
    let linked = std::fs::read_to_string(out.join("DEMO/Names/Linker.md")).unwrap();
    assert!(
        destinations(&linked).contains(&"Report.md".to_owned()),
        "{linked}"
    );
    assert!(
        !o.pages.iter().any(|l| l.path.ends_with("Linker.md")),
        "{}",
        o.render()
    );
    idle(&c, &out);
    std::fs::remove_dir_all(&out).ok();
}
