//! Nothing is written, moved or deleted through a symbolic link. Each test
//! works in a sandbox holding `out/` (the export) and `outside/` (what a
//! planted link points at), and ends by checking that nothing in the
//! sandbox outside `out/` changed, file by file. A link found where the
//! export writes or deletes fails that item (an `err:` line, exit code 1)
//! and stays; the rest of the run goes on.
#![cfg(unix)]
use crate::common;
use cme::fs::hash::content_hash;
use cme::state::{State, TrackedStatus};
use cme::sync::outcome::Outcome;
use cme_client::{Client, PageId};
use common::*;
use confluence_sim::{SimConfig, SimHandle, spawn};
use serde_json::json;
use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

/// `out/` and `outside/` side by side.
struct Sandbox {
    root: PathBuf,
}

impl Sandbox {
    fn new(name: &str) -> Self {
        let root = tmp(&format!("links-{name}"));
        std::fs::create_dir_all(root.join("outside")).unwrap();
        std::fs::write(root.join("outside/precious.md"), "precious").unwrap();
        Self { root }
    }

    fn out(&self) -> PathBuf {
        self.root.join("out")
    }

    fn outside(&self) -> PathBuf {
        self.root.join("outside")
    }

    /// Every entry of the sandbox outside `out/`: files by hash of their
    /// bytes, links by target, folders.
    fn snapshot(&self) -> BTreeMap<String, String> {
        let mut seen = BTreeMap::new();
        let mut stack = vec![self.root.clone()];
        while let Some(dir) = stack.pop() {
            for e in std::fs::read_dir(&dir).unwrap() {
                let p = e.unwrap().path();
                if p == self.out() {
                    continue;
                }
                let rel = p.strip_prefix(&self.root).unwrap().display().to_string();
                let m = std::fs::symlink_metadata(&p).unwrap();
                let what = if m.file_type().is_symlink() {
                    format!("link to {}", std::fs::read_link(&p).unwrap().display())
                } else if m.is_dir() {
                    stack.push(p);
                    "folder".to_owned()
                } else {
                    content_hash(&std::fs::read(&p).unwrap())
                };
                seen.insert(rel, what);
            }
        }
        seen
    }

    /// Panics when anything outside `out/` differs from `before`.
    fn assert_unchanged(&self, before: &BTreeMap<String, String>) {
        let after = self.snapshot();
        for (k, v) in before {
            assert_eq!(after.get(k), Some(v), "`{k}` outside `out/` changed");
        }
        for k in after.keys() {
            assert!(before.contains_key(k), "`{k}` appeared outside `out/`");
        }
    }

    /// Plants a link at `rel` (inside `out/`) to `target`, replacing what
    /// is there.
    fn plant(&self, rel: &str, target: &Path) {
        let at = self.out().join(rel);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&at).unwrap(),
            Ok(_) => std::fs::remove_file(&at).unwrap(),
            Err(_) => std::fs::create_dir_all(at.parent().unwrap()).unwrap(),
        }
        symlink(target, &at).unwrap();
    }

    fn is_link(&self, rel: &str) -> bool {
        std::fs::symlink_metadata(self.out().join(rel)).is_ok_and(|m| m.file_type().is_symlink())
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.root).ok();
    }
}

fn demo() -> (SimHandle, Client) {
    let sim = spawn(SimConfig::demo()).unwrap();
    let c = client(&sim, "sim-token");
    (sim, c)
}

fn state(out: &Path) -> State {
    State::load(out).unwrap().unwrap()
}

/// A new version of a page, so the next sync rewrites it.
fn edit(sim: &SimHandle, id: &str, text: &str) {
    ctl(
        sim,
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({ "body": format!("<p>{text}</p>") }),
    );
}

fn failed(o: &Outcome) -> Vec<String> {
    o.failures.iter().map(|f| f.path.clone()).collect()
}

fn assert_failed_for_a_link(o: &Outcome, path: &str) {
    let f = o
        .failures
        .iter()
        .find(|f| f.path == path)
        .unwrap_or_else(|| panic!("{path} did not fail:\n{}", o.render()));
    assert!(f.reason.contains("is a symbolic link"), "{}", f.reason);
    assert!(
        o.render().contains(&format!("  err:  {path} (")),
        "{}",
        o.render()
    );
}

#[test]
fn an_export_into_a_folder_whose_space_folder_is_a_link_writes_nothing_outside() {
    let (_sim, c) = demo();
    let sb = Sandbox::new("export");
    // The reproduction: `out/DEMO` is a link to another folder.
    std::fs::create_dir_all(sb.out()).unwrap();
    symlink(sb.outside(), sb.out().join("DEMO")).unwrap();
    let before = sb.snapshot();
    let o = export(&c, &sb.out(), false).unwrap();
    sb.assert_unchanged(&before);
    assert_eq!(o.exit().code(), 1, "{}", o.render());
    assert!(o.failures.iter().any(|f| f.path.ends_with(".md")));
    for f in &o.failures {
        assert!(f.path.starts_with("DEMO/"), "{}", o.render());
        assert!(
            f.reason.contains("`DEMO` is a symbolic link"),
            "{}",
            f.reason
        );
    }
    // The other space is exported in full and recorded.
    let s = state(&sb.out());
    let ops: Vec<_> = s
        .pages
        .values()
        .filter(|p| p.output_path.starts_with("OPS/"))
        .collect();
    assert_eq!(ops.len(), 10);
    for p in &ops {
        assert!(
            sb.out().join(&*p.output_path).is_file(),
            "{}",
            p.output_path
        );
    }
    assert!(
        s.pages
            .values()
            .all(|p| !p.output_path.starts_with("DEMO/"))
    );
    assert!(sb.is_link("DEMO"), "the link is left alone");
}

#[test]
fn a_space_folder_replaced_by_a_link_fails_its_pages_and_the_rest_syncs() {
    let (sim, c) = demo();
    let sb = Sandbox::new("space");
    export(&c, &sb.out(), false).unwrap();
    let demo_pages: Vec<String> = state(&sb.out())
        .pages
        .values()
        .map(|p| p.output_path.to_string())
        .filter(|p| p.starts_with("DEMO/"))
        .collect();
    // One page the outside folder happens to hold too, kept as it is.
    std::fs::write(sb.outside().join("Demo Home.md"), "not the export's").unwrap();
    sb.plant("DEMO", &sb.outside());
    let monitoring = id_at(&sb.out(), "OPS/Operations Home/Monitoring.md");
    edit(&sim, &monitoring, "Dashboards moved.");
    let before = sb.snapshot();

    let o = sync(&c, &sb.out()).unwrap();
    sb.assert_unchanged(&before);
    assert_eq!(o.exit().code(), 1, "{}", o.render());
    // Every DEMO page missing behind the link is reported failed, nothing else.
    for p in demo_pages
        .iter()
        .filter(|p| p.as_str() != "DEMO/Demo Home.md")
    {
        assert_failed_for_a_link(&o, p);
    }
    assert!(
        failed(&o).iter().all(|p| p.starts_with("DEMO/")),
        "{}",
        o.render()
    );
    assert!(
        o.pages
            .iter()
            .any(|l| l.path == "OPS/Operations Home/Monitoring.md")
    );
    assert!(
        std::fs::read_to_string(sb.out().join("OPS/Operations Home/Monitoring.md"))
            .unwrap()
            .contains("Dashboards moved.")
    );
    // The failed pages keep their entries: the next sync tries again.
    let s = state(&sb.out());
    for p in &demo_pages {
        assert!(
            s.pages
                .values()
                .any(|e| &*e.output_path == p && e.status == TrackedStatus::Active),
            "{p}"
        );
    }
    assert!(sb.is_link("DEMO"));

    // Once the link is gone, a sync restores the space.
    std::fs::remove_file(sb.out().join("DEMO")).unwrap();
    let o = sync(&c, &sb.out()).unwrap();
    assert_eq!(o.exit().code(), 0, "{}", o.render());
    for p in &demo_pages {
        assert!(sb.out().join(p).is_file(), "{p}");
    }
    sb.assert_unchanged(&before);
}

#[test]
fn links_at_page_files_and_at_old_temporary_names_are_left_alone() {
    let (sim, c) = demo();
    let sb = Sandbox::new("page");
    export(&c, &sb.out(), false).unwrap();
    let target = sb.outside().join("precious.md");
    let (linked, temp) = (
        "OPS/Operations Home/Monitoring.md",
        "OPS/Operations Home/Glossary.md",
    );
    let ids = [id_at(&sb.out(), linked), id_at(&sb.out(), temp)];
    sb.plant(linked, &target);
    // The temporary names earlier versions used, for a page and the state.
    for name in [
        "OPS/Operations Home/.Glossary.md.cme-partial",
        "..cme-state.json.cme-partial",
        "..cme-state.json.bak.cme-partial",
    ] {
        sb.plant(name, &target);
    }
    for id in &ids {
        edit(&sim, id, "Rewritten.");
    }
    let before = sb.snapshot();

    let o = sync(&c, &sb.out()).unwrap();
    sb.assert_unchanged(&before);
    assert_failed_for_a_link(&o, linked);
    assert_eq!(failed(&o), [linked], "{}", o.render());
    assert_eq!(o.exit().code(), 1);
    assert!(sb.is_link(linked));
    assert!(
        std::fs::read_to_string(sb.out().join(temp))
            .unwrap()
            .contains("Rewritten.")
    );
    assert!(sb.is_link("OPS/Operations Home/.Glossary.md.cme-partial"));
    // The state was saved through its own names, and the old entry of the
    // failed page kept.
    let s = state(&sb.out());
    assert_eq!(
        s.pages[&PageId::new(&ids[0])].version,
        cme_client::Version(1)
    );
    assert!(s.pages[&PageId::new(&ids[1])].version.0 > 1);
}

#[test]
fn links_at_attachment_files_are_left_alone() {
    let (sim, c) = demo();
    let sb = Sandbox::new("attachment");
    export(&c, &sb.out(), false).unwrap();
    let s = state(&sb.out());
    let files: Vec<(String, String, String)> = s
        .pages
        .iter()
        .flat_map(|(id, p)| {
            p.attachments
                .iter()
                .map(move |(name, a)| (id.to_string(), name.clone(), a.output_path.clone()))
        })
        .collect();
    assert!(files.len() >= 2, "the demo has attachments");
    let target = sb.outside().join("precious.md");
    // One attachment's file is a link; another has a link at its old
    // temporary name. Both get a new version.
    let (linked, temp) = (&files[0], &files[1]);
    sb.plant(&linked.2, &target);
    let (folder, name) = temp.2.rsplit_once('/').unwrap();
    sb.plant(&format!("{folder}/.{name}.cme-partial"), &target);
    for (owner, file, _) in [linked, temp] {
        ctl(
            &sim,
            "POST",
            &format!("/__sim/pages/{owner}/attachments"),
            json!({"filename": file, "media_type": "application/octet-stream", "data_base64": "bmV3"}),
        );
    }
    let before = sb.snapshot();

    let o = sync(&c, &sb.out()).unwrap();
    sb.assert_unchanged(&before);
    assert_failed_for_a_link(&o, &linked.2);
    assert_eq!(
        failed(&o),
        std::slice::from_ref(&linked.2),
        "{}",
        o.render()
    );
    assert_eq!(o.exit().code(), 1);
    assert!(sb.is_link(&linked.2));
    assert_eq!(std::fs::read(sb.out().join(&temp.2)).unwrap(), b"new");
}

#[test]
fn a_deleted_page_whose_file_is_a_link_keeps_the_link_target() {
    let (sim, c) = demo();
    let sb = Sandbox::new("delete");
    export(&c, &sb.out(), false).unwrap();
    let path = "OPS/Operations Home/Glossary.md";
    let id = id_at(&sb.out(), path);
    sb.plant(path, &sb.outside().join("precious.md"));
    ctl(&sim, "DELETE", &format!("/__sim/pages/{id}"), json!(null));
    let before = sb.snapshot();

    let o = sync(&c, &sb.out()).unwrap();
    sb.assert_unchanged(&before);
    assert_failed_for_a_link(&o, path);
    assert_eq!(o.page_counts.deleted, 0, "{}", o.render());
    assert_eq!(o.exit().code(), 1);
    assert!(sb.is_link(path));
    // Still tracked, so the next sync tries again; without the link it
    // goes through.
    assert_eq!(
        state(&sb.out()).pages[&PageId::new(&id)].status,
        TrackedStatus::Active
    );
    std::fs::remove_file(sb.out().join(path)).unwrap();
    std::fs::write(sb.out().join(path), "the export's").unwrap();
    let o = sync(&c, &sb.out()).unwrap();
    assert_eq!(o.exit().code(), 0, "{}", o.render());
    assert_eq!(o.page_counts.deleted, 1);
    assert!(!sb.out().join(path).exists());
    sb.assert_unchanged(&before);
}

#[test]
fn a_moved_page_whose_old_folder_is_a_link_deletes_nothing_outside() {
    let (sim, c) = demo();
    let sb = Sandbox::new("move");
    export(&c, &sb.out(), false).unwrap();
    let old = "DEMO/Demo Home/Getting Started/Installation";
    let id = id_at(&sb.out(), &format!("{old}.md"));
    // The old folder's files, copied outside, and the folder a link there.
    let copy = sb.outside().join("Installation");
    for (rel, bytes) in tree(&sb.out().join(old)) {
        let p = copy.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    sb.plant(old, &copy);
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({"title": "Setup"}),
    );
    let before = sb.snapshot();

    let o = sync(&c, &sb.out()).unwrap();
    sb.assert_unchanged(&before);
    assert_eq!(o.exit().code(), 1, "{}", o.render());
    let moved: Vec<&str> = o
        .pages
        .iter()
        .filter(|l| l.from.is_some())
        .map(|l| l.path.as_str())
        .collect();
    assert_eq!(moved.len(), 5, "{}", o.render());
    assert!(
        sb.out()
            .join("DEMO/Demo Home/Getting Started/Setup/Linux Setup.md")
            .is_file()
    );
    // The page's own old file was a real file: removed. The old files of
    // its descendants are behind the link: reported, kept.
    assert!(!sb.out().join(format!("{old}.md")).exists());
    assert!(!o.failures.is_empty());
    for f in &o.failures {
        assert!(f.path.starts_with(&format!("{old}/")), "{}", o.render());
        assert!(f.reason.contains("is a symbolic link"), "{}", f.reason);
    }
    assert!(sb.is_link(old));
    // Still recorded as old paths to remove.
    let s = state(&sb.out());
    let pending: usize = s.pages.values().map(|p| p.previous_paths.len()).sum();
    assert_eq!(pending, o.failures.len());
}

#[test]
fn links_at_the_state_journal_or_lock_are_an_error_and_at_the_backup_a_failed_item_writing_nothing_outside()
 {
    let (sim, c) = demo();
    let sb = Sandbox::new("state");
    export(&c, &sb.out(), false).unwrap();
    let monitoring = id_at(&sb.out(), "OPS/Operations Home/Monitoring.md");
    // The state itself points at a copy outside (it loads from there).
    let copy = sb.outside().join("state.json");
    std::fs::copy(sb.out().join(".cme-state.json"), &copy).unwrap();
    for (i, name) in [
        ".cme-state.json",
        ".cme-state.json.bak",
        ".cme-state.journal",
        ".cme-state.lock",
    ]
    .into_iter()
    .enumerate()
    {
        let keep = sb.out().join(format!("{name}.kept"));
        if sb.out().join(name).exists() {
            std::fs::rename(sb.out().join(name), &keep).unwrap();
        }
        let target = if i == 0 {
            copy.clone()
        } else {
            sb.outside().join("precious.md")
        };
        sb.plant(name, &target);
        edit(&sim, &monitoring, &format!("Edit {i}."));
        let before = sb.snapshot();
        if name == ".cme-state.json.bak" {
            // Only a convenience: one failed item, the run goes on.
            let o = sync(&c, &sb.out()).unwrap();
            sb.assert_unchanged(&before);
            assert_eq!(failed(&o), [name], "{name}");
        } else {
            let err = format!("{:#}", sync(&c, &sb.out()).unwrap_err());
            sb.assert_unchanged(&before);
            assert!(
                err.contains(&format!("`{name}` is a symbolic link")),
                "{name}: {err}"
            );
        }
        assert!(sb.is_link(name), "{name}");
        // Put things back as they were for the next case.
        std::fs::remove_file(sb.out().join(name)).unwrap();
        if keep.exists() {
            std::fs::rename(&keep, sb.out().join(name)).unwrap();
        }
        std::fs::remove_file(sb.out().join(".cme-state.journal")).ok();
    }
}
