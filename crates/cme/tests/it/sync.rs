//! The incremental-sync contract, row by row, against the simulator: report
//! lines, dry runs, status without requests, the `--append` table, site
//! mismatch, permission loss, progressive state, `--force`, moves,
//! attachments, safety rules, failures, the lock, a corrupt state, JSON.
use crate::common;
use cme::state::{State, TrackedStatus};
use cme::sync::Selection;
use cme::sync::Start;
use cme::sync::outcome::Outcome;
use cme::sync::plan::ChangeKind;
use cme_client::Client;
use common::*;
use confluence_sim::{SimConfig, spawn};
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn lines(o: &Outcome, kind: ChangeKind) -> Vec<String> {
    o.pages
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| l.path.clone())
        .collect()
}

/// A fresh export of `scopes` into a new folder has exactly `out`'s files.
fn assert_converged(c: &Client, out: &Path, name: &str) {
    let state = State::load(out).unwrap().unwrap();
    let fresh = tmp(name);
    for (i, scope) in state.scopes.iter().enumerate() {
        // The scope as recorded (its blog posts too).
        let start = Start::Export {
            scope: scope.clone(),
            append: i > 0,
        };
        run(c, request(&fresh, start)).unwrap();
    }
    let (a, b) = (content(out), content(&fresh));
    let a_keys: Vec<&String> = a.keys().collect();
    let b_keys: Vec<&String> = b.keys().collect();
    assert_eq!(a_keys, b_keys, "same files");
    for (k, v) in &a {
        assert!(
            v == &b[k],
            "{k} differs:\n--- synced\n{}\n--- fresh\n{}",
            String::from_utf8_lossy(v),
            String::from_utf8_lossy(&b[k])
        );
    }
    std::fs::remove_dir_all(&fresh).ok();
}

#[test]
fn an_idle_sync_writes_nothing_and_costs_only_listings() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("idle");
    let before = snapshot(&out);
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o) + o.page_counts.deleted, 0, "{}", o.render());
    assert_eq!(o.unchanged, 35);
    assert_eq!(o.exit().code(), 0);
    let stats = sim.control("GET", "/__sim/stats", None).1;
    // spaces + per space (its page listing, their count, its content
    // labels, its labelled pages, its attachments) + the folder + one bulk
    // name lookup, and the Jira refresh (the demo's two single issues in
    // one search, one search per issue list): no body, no per-page call.
    // And one search for pages created since the last run, beside the
    // listing of the space whose known pages fall short of its count (the
    // demo's DEMO counts a page its export leaves out).
    assert!(stats["requests"].as_u64().unwrap() <= 17, "{stats}");
    // Not even the state is rewritten when nothing changed.
    let after = snapshot(&out);
    let changed: Vec<&String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .chain(before.keys().filter(|k| !after.contains_key(*k)))
        .collect();
    assert!(changed.is_empty(), "rewritten: {changed:?}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn the_report_has_the_contract_lines_and_summary() {
    let Site {
        sim,
        client: _c,
        out,
    } = Site::exported("report");
    let monitoring = id_at(&out, "OPS/Operations Home/Monitoring.md");
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{monitoring}"),
        json!({"body": "<p>new</p>"}),
    );
    let blank = id_at(&out, "DEMO/Demo Home/Blank Page.md");
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/pages/{blank}"),
        json!(null),
    );
    let home = id_at(&out, "OPS/Operations Home.md");
    ctl(
        &sim,
        "POST",
        "/__sim/pages",
        json!({"space": "OPS", "parent_id": home, "title": "Fresh", "body": "<p>x</p>"}),
    );
    let run = cli(&["sync", "-o", out.to_str().unwrap()], &sim);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let got: Vec<&str> = stdout.lines().collect();
    assert!(
        got.contains(&"  new:  OPS/Operations Home/Fresh.md"),
        "{stdout}"
    );
    assert!(
        got.contains(&"  mod:  OPS/Operations Home/Monitoring.md"),
        "{stdout}"
    );
    // Operations Home lists its children: the new child changes it.
    assert!(got.contains(&"  mod:  OPS/Operations Home.md"), "{stdout}");
    assert!(
        got.contains(&"  del:  DEMO/Demo Home/Blank Page.md"),
        "{stdout}"
    );
    // Demo Home lists its children's tree, which lost Blank Page.
    assert!(got.contains(&"  mod:  DEMO/Demo Home.md"), "{stdout}");
    assert_eq!(
        *got.last().unwrap(),
        "1 new, 3 modified, 1 deleted, 31 unchanged"
    );

    let json_run = cli(&["sync", "--json", "-o", out.to_str().unwrap()], &sim);
    let v: Value = serde_json::from_slice(&json_run.stdout).unwrap();
    assert_eq!(v["unchanged"], 35);
    assert_eq!(v["pages"].as_array().unwrap().len(), 0);
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_dry_run_changes_no_byte_and_no_mtime() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("dry");
    let monitoring = id_at(&out, "OPS/Operations Home/Monitoring.md");
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{monitoring}"),
        json!({"title": "Observability"}),
    );
    let blank = id_at(&out, "DEMO/Demo Home/Blank Page.md");
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/pages/{blank}"),
        json!(null),
    );
    std::fs::remove_file(out.join("OPS/Operations Home/Glossary.md")).unwrap();
    let before = snapshot(&out);
    let dir_mtime = std::fs::metadata(&out).unwrap().modified().unwrap();
    let mut req = request(&out, Start::Sync);
    req.dry_run = true;
    let plan = run(&c, req).unwrap();
    assert!(plan.dry_run);
    assert_eq!(snapshot(&out), before, "dry run touched a file");
    assert_eq!(
        std::fs::metadata(&out).unwrap().modified().unwrap(),
        dir_mtime
    );
    assert_eq!(
        lines(&plan, ChangeKind::Deleted),
        vec!["DEMO/Demo Home/Blank Page.md"]
    );
    assert!(lines(&plan, ChangeKind::Modified).contains(&"OPS/Operations Home/Glossary.md".into()));
    let moved = lines(&plan, ChangeKind::Moved);
    assert_eq!(moved, vec!["OPS/Operations Home/Observability.md"]);

    // The real run does what the dry run said.
    let real = sync(&c, &out).unwrap();
    assert_eq!(real.render(), plan.render());
    assert_converged(&c, &out, "dry-fresh");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn status_makes_no_request() {
    let Site {
        sim,
        client: _c,
        out,
    } = Site::exported("status");
    let n = requests(&sim);
    let run = cli(&["status", "-o", out.to_str().unwrap()], &sim);
    assert!(run.status.success());
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.contains("35 tracked (35 active, 0 deleted)"), "{text}");
    assert!(
        text.contains(&format!("Confluence URL:  {}", sim.url())),
        "{text}"
    );
    assert!(text.contains("Schema version:  1"), "{text}");
    assert!(text.contains("  all-spaces"), "{text}");
    assert_eq!(requests(&sim), n, "status asked Confluence");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn append_adds_scopes_once_and_never_mixes_sites() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("append");
    let demo = Selection::Spaces(vec![cme_client::SpaceKey::new("DEMO")]);
    let ops = Selection::Spaces(vec![cme_client::SpaceKey::new("OPS")]);
    export_selection(&c, demo.clone(), &out, false).unwrap();
    let err = format!(
        "{:#}",
        export_selection(&c, ops.clone(), &out, false).unwrap_err()
    );
    assert!(
        err.contains("run `sync`") && err.contains("--append"),
        "{err}"
    );
    let o = export_selection(&c, ops.clone(), &out, true).unwrap();
    assert_eq!(o.page_counts.new, 10);
    export_selection(&c, ops, &out, true).unwrap();
    assert_eq!(
        State::load(&out).unwrap().unwrap().scopes.len(),
        2,
        "duplicate scope ignored"
    );

    let other = spawn(SimConfig::demo()).unwrap();
    let err = format!(
        "{:#}",
        sync(&client(&other, "sim-token"), &out).unwrap_err()
    );
    assert!(err.contains("refusing to mix sites"), "{err}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_page_that_becomes_unreadable_is_deleted_and_comes_back() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("restrict");
    let path = "OPS/Operations Home/Glossary.md";
    let id = id_at(&out, path);
    ctl(
        &sim,
        "PUT",
        &format!("/__sim/pages/{id}/restrictions"),
        json!({"read": ["someone-else"]}),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(lines(&o, ChangeKind::Deleted), vec![path]);
    assert!(!out.join(path).exists());
    let state = State::load(&out).unwrap().unwrap();
    assert_eq!(
        state.pages[&cme_client::PageId::new(&id)].status,
        TrackedStatus::Deleted
    );
    ctl(
        &sim,
        "PUT",
        &format!("/__sim/pages/{id}/restrictions"),
        json!({"read": []}),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(lines(&o, ChangeKind::New), vec![path]);
    assert_converged(&c, &out, "restrict-fresh");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn an_interrupted_run_keeps_what_it_wrote_and_sync_finishes_it() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("interrupt");
    let req = request(&out, all_spaces());
    let cancel = req.cancel.clone();
    let seen = std::cell::Cell::new(0);
    let o = run_with(&c, req, &|msg| {
        if msg.starts_with("wrote") {
            seen.set(seen.get() + 1);
            if seen.get() == 5 {
                cancel.cancel();
            }
        }
    })
    .unwrap();
    assert!(o.interrupted);
    assert_eq!(o.exit().code(), 130);
    let state = State::load(&out).unwrap().unwrap();
    assert_eq!(state.pages.len(), 5, "the pages written are recorded");
    assert!(!out.join(".cme-state.journal").exists());
    let rest = sync(&c, &out).unwrap();
    assert_eq!(rest.page_counts.new, 30);
    assert_eq!(rest.unchanged, 5);
    assert_converged(&c, &out, "interrupt-fresh");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn force_rewrites_all_and_an_interrupted_force_is_finished_next_time() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::exported("force");
    let mut req = request(&out, Start::Sync);
    req.force = true;
    let cancel = req.cancel.clone();
    let seen = std::cell::Cell::new(0);
    let o = run_with(&c, req, &|msg| {
        if msg.starts_with("wrote") {
            seen.set(seen.get() + 1);
            if seen.get() == 10 {
                cancel.cancel();
            }
        }
    })
    .unwrap();
    assert!(o.interrupted);
    let state = State::load(&out).unwrap().unwrap();
    assert!(
        state.min_export_timestamp.is_some(),
        "the mark survives the interruption"
    );
    let next = sync(&c, &out).unwrap();
    assert_eq!(
        next.page_counts.modified, 25,
        "only the pages the forced run missed"
    );
    assert!(
        State::load(&out)
            .unwrap()
            .unwrap()
            .min_export_timestamp
            .is_none()
    );
    let mut req = request(&out, Start::Sync);
    req.force = true;
    let all = run(&c, req).unwrap();
    assert_eq!(all.page_counts.modified, 35);
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_renamed_parent_moves_its_subtree_prunes_folders_and_fixes_links() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("move");
    std::fs::create_dir_all(out.join("DEMO/user-folder")).unwrap();
    let installation = id_at(&out, "DEMO/Demo Home/Getting Started/Installation.md");
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{installation}"),
        json!({"title": "Setup"}),
    );
    let o = sync(&c, &out).unwrap();
    let moved = lines(&o, ChangeKind::Moved);
    assert_eq!(
        moved.len(),
        5,
        "the page and its four descendants: {moved:?}"
    );
    assert!(
        !out.join("DEMO/Demo Home/Getting Started/Installation")
            .exists(),
        "old folder pruned"
    );
    assert!(
        out.join("DEMO/Demo Home/Getting Started/Setup/Linux Setup.md")
            .exists()
    );
    assert!(
        out.join("DEMO/user-folder").is_dir(),
        "folders we did not empty stay"
    );
    // Getting Started links to Installation by id: its link follows.
    let gs = std::fs::read_to_string(out.join("DEMO/Demo Home/Getting Started.md")).unwrap();
    assert!(
        gs.contains("Getting%20Started/Setup.md") || gs.contains("Getting Started/Setup.md"),
        "{gs}"
    );
    assert!(lines(&o, ChangeKind::Modified).contains(&"DEMO/Demo Home/Getting Started.md".into()));

    // A move without a version bump (as Cloud does).
    let windows = id_at(
        &out,
        "DEMO/Demo Home/Getting Started/Setup/Windows Setup.md",
    );
    let home = id_at(&out, "DEMO/Demo Home.md");
    let v = ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{windows}"),
        json!({"parent_id": home}),
    );
    let before =
        State::load(&out).unwrap().unwrap().pages[&cme_client::PageId::new(&windows)].version;
    assert_eq!(
        v["version"].as_u64().unwrap(),
        before.0,
        "the move kept the version"
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(
        lines(&o, ChangeKind::Moved),
        vec!["DEMO/Demo Home/Windows Setup.md"]
    );
    std::fs::remove_dir(out.join("DEMO/user-folder")).unwrap();
    assert_converged(&c, &out, "move-fresh");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn attachments_follow_new_versions_and_are_kept_while_used() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("atts");
    let home = id_at(&out, "DEMO/Demo Home.md");
    let logo = format!("DEMO/_attachments/{home}/sim-logo.png");
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{home}/attachments"),
        json!({"filename": "sim-logo.png", "media_type": "image/png", "data_base64": "bmV3IGxvZ28="}),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0, "the page itself did not change");
    assert_eq!(o.attachment_counts.modified, 1);
    assert_eq!(std::fs::read(out.join(&logo)).unwrap(), b"new logo");

    // Architecture's own pages stop using its files, but Links and
    // References still shows one of them: that one stays.
    let arch = id_at(&out, "DEMO/Demo Home/Architecture.md");
    let state = State::load(&out).unwrap().unwrap();
    let used_elsewhere: Vec<String> = state
        .pages
        .iter()
        .filter(|(id, _)| id.as_str() != arch)
        .flat_map(|(_, p)| p.uses.iter())
        .filter(|u| u.page.as_str() == arch)
        .map(|u| u.file.clone())
        .collect();
    assert!(
        !used_elsewhere.is_empty(),
        "the demo links another page's attachment"
    );
    let own: Vec<String> = state.pages[&cme_client::PageId::new(&arch)]
        .attachments
        .keys()
        .cloned()
        .collect();
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{arch}"),
        json!({"body": "<p>Moved to the wiki.</p>"}),
    );
    let o = sync(&c, &out).unwrap();
    for f in &own {
        let p = out.join(format!("DEMO/_attachments/{arch}/{f}"));
        assert_eq!(
            p.exists(),
            used_elsewhere.contains(f),
            "{f}: {}",
            o.render()
        );
    }
    assert_converged(&c, &out, "atts-fresh");

    // An attachment deleted in Confluence goes from the disk.
    let state = State::load(&out).unwrap().unwrap();
    let logo_id = state.pages[&cme_client::PageId::new(&home)].attachments["sim-logo.png"]
        .id
        .clone();
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/attachments/{logo_id}"),
        json!(null),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(o.attachment_counts.deleted, 1, "{}", o.render());
    assert!(!out.join(&logo).exists());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_failed_listing_deletes_nothing() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("nolist");
    let blank = id_at(&out, "DEMO/Demo Home/Blank Page.md");
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/pages/{blank}"),
        json!(null),
    );
    ctl(
        &sim,
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [500]}),
    );
    let err = format!("{:#}", sync(&c, &out).unwrap_err());
    assert!(err.contains("nothing was changed"), "{err}");
    assert!(out.join("DEMO/Demo Home/Blank Page.md").exists());
    sim.control("DELETE", "/__sim/faults", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(
        lines(&o, ChangeKind::Deleted),
        vec!["DEMO/Demo Home/Blank Page.md"]
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_mass_deletion_waits_for_max_delete() {
    let sim = spawn(
        SimConfig::generate("pages=30,spaces=1,depth=1,attachments=0,body_kb=1,seed=3").unwrap(),
    )
    .unwrap();
    let c = client(&sim, "sim-token");
    let out = tmp("mass");
    export(&c, &out, false).unwrap();
    let state = State::load(&out).unwrap().unwrap();
    let victims: Vec<String> = state
        .pages
        .keys()
        .take(20)
        .map(ToString::to_string)
        .collect();
    for v in &victims {
        sim.control("DELETE", &format!("/__sim/pages/{v}"), None);
    }
    let o = sync(&c, &out).unwrap();
    assert!(o.held.is_some(), "{}", o.render());
    assert_eq!(o.page_counts.deleted, 0);
    assert_eq!(o.exit().code(), 1);
    assert!(o.notes().contains("--max-delete"), "{}", o.notes());
    let mut req = request(&out, Start::Sync);
    req.max_delete = Some(25);
    let o = run(&c, req).unwrap();
    assert!(o.page_counts.deleted >= 20, "{}", o.render());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn recorded_paths_outside_the_folder_or_through_links_are_refused() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("unsafe");
    let outside = out.with_extension("outside.md");
    std::fs::write(&outside, "precious").unwrap();
    let mut state = State::load(&out).unwrap().unwrap();
    let mut entry = state.pages.values().next().unwrap().clone();
    entry.output_path = format!("../{}", outside.file_name().unwrap().to_string_lossy()).into();
    state.pages.insert(cme_client::PageId::new("999999"), entry);
    state.save(&out).unwrap();

    // A folder replaced by a link to somewhere else.
    let elsewhere = out.with_extension("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("Paging Matrix.md"), "precious too").unwrap();
    let linked = out.join("OPS/Operations Home/Runbooks/On-call Checklist/Escalation Policy");
    std::fs::remove_dir_all(&linked).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&elsewhere, &linked).unwrap();
    let matrix = id_at(
        &out,
        "OPS/Operations Home/Runbooks/On-call Checklist/Escalation Policy/Paging Matrix.md",
    );
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/pages/{matrix}"),
        json!(null),
    );

    let o = sync(&c, &out).unwrap();
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    #[cfg(unix)]
    assert_eq!(
        std::fs::read_to_string(elsewhere.join("Paging Matrix.md")).unwrap(),
        "precious too"
    );
    // The recorded path is refused; the deletion through the link fails.
    assert!(!o.refused.is_empty(), "{:?}", o.refused);
    assert!(!o.failures.is_empty(), "{}", o.render());
    assert_eq!(o.exit().code(), 1);
    std::fs::remove_file(&outside).ok();
    std::fs::remove_dir_all(&elsewhere).ok();
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_page_that_cannot_be_fetched_keeps_its_file_and_is_retried() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("failed");
    let path = "OPS/Operations Home/Monitoring.md";
    let id = id_at(&out, path);
    let old = std::fs::read(out.join(path)).unwrap();
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({"body": "<p>v2</p>"}),
    );
    let broke = std::cell::Cell::new(false);
    let o = run_with(&c, request(&out, Start::Sync), &|msg| {
        if msg.starts_with("checking files on disk") && !broke.replace(true) {
            sim.control(
                "PUT",
                "/__sim/faults",
                Some(json!({"error_rate": 1.0, "error_statuses": [503]})),
            );
        }
    })
    .unwrap();
    sim.control("DELETE", "/__sim/faults", None);
    assert_eq!(o.failures.len(), 1, "{}", o.render());
    assert_eq!(o.failures[0].path, path);
    assert!(
        o.render().contains(&format!("  err:  {path} (")),
        "{}",
        o.render()
    );
    assert_eq!(o.exit().code(), 1);
    assert_eq!(std::fs::read(out.join(path)).unwrap(), old, "old file kept");
    let o = sync(&c, &out).unwrap();
    assert_eq!(lines(&o, ChangeKind::Modified), vec![path]);
    assert_eq!(o.exit().code(), 0);
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_second_run_on_the_same_folder_fails_at_once() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::exported("lock");
    let held = cme::state::lock::FolderLock::acquire(&out).unwrap();
    let err = format!("{:#}", sync(&c, &out).unwrap_err());
    assert!(err.contains("another cme run"), "{err}");
    drop(held);
    sync(&c, &out).unwrap();
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_corrupt_state_is_an_error_that_changes_nothing() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("corrupt");
    // A sync that writes keeps the export's final state as the backup.
    let monitoring = id_at(&out, "OPS/Operations Home/Monitoring.md");
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{monitoring}"),
        json!({"body": "<p>v2</p>"}),
    );
    assert_eq!(written(&sync(&c, &out).unwrap()), 1);
    std::fs::write(
        State::path(&out),
        b"{\"schema_version\": 1, \"pages\": {\"1\": ",
    )
    .unwrap();
    let before = snapshot(&out);
    let err = format!("{:#}", sync(&c, &out).unwrap_err());
    assert!(err.contains("not a valid state file"), "{err}");
    assert!(err.contains(".cme-state.json.bak"), "{err}");
    assert_eq!(snapshot(&out), before);
    let run = cli(&["sync", "-o", out.to_str().unwrap()], &sim);
    assert_eq!(run.status.code(), Some(2));
    // The backup is a good state: moving it back resumes from it.
    std::fs::rename(State::backup_path(&out), State::path(&out)).unwrap();
    let resumed = sync(&c, &out).unwrap();
    assert_eq!((written(&resumed), resumed.unchanged), (1, 34));
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_state_in_the_specs_minimal_form_syncs() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("minimal");
    let text = std::fs::read_to_string(State::path(&out)).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    for (_, p) in v["pages"].as_object_mut().unwrap() {
        let keep: serde_json::Map<String, Value> = p
            .as_object()
            .unwrap()
            .iter()
            .filter(|(k, _)| {
                ["version", "last_exported", "output_path", "status"].contains(&k.as_str())
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        *p = Value::Object(keep);
    }
    std::fs::write(State::path(&out), serde_json::to_vec(&v).unwrap()).unwrap();
    let monitoring = id_at(&out, "OPS/Operations Home/Monitoring.md");
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{monitoring}"),
        json!({"body": "<p>x</p>"}),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(
        lines(&o, ChangeKind::Modified),
        vec!["OPS/Operations Home/Monitoring.md"]
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn files_a_killed_run_was_writing_are_cleaned_up() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::exported("pending");
    // As a run killed mid-write leaves it: the intent journaled, a folder
    // created, a temporary file and a finished but unrecorded file in it.
    let dir = out.join("DEMO/Demo Home/Gone Page");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Child.md"), "half").unwrap();
    std::fs::write(dir.join(".Other.md.cme-partial"), "half").unwrap();
    let recorded = "OPS/Operations Home/Glossary.md";
    let partial = out.join("OPS/Operations Home/.Glossary.md.cme-partial");
    std::fs::write(&partial, "half").unwrap();
    // The finished file's intent carries the hash of what was written (a
    // plain path would be refused: cme removes only what it wrote).
    let child = json!({
        "path": "DEMO/Demo Home/Gone Page/Child.md",
        "hash": cme::fs::hash::content_hash(b"half"),
    });
    let journal =
        [json!({"op": "intent", "paths": [child, "DEMO/Demo Home/Gone Page/Other.md", recorded]})];
    let text: String = journal.iter().map(|j| format!("{j}\n")).collect();
    std::fs::write(out.join(".cme-state.journal"), text).unwrap();
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0, "{}", o.render());
    assert!(
        !out.join("DEMO/Demo Home/Gone Page").exists(),
        "leftover folder removed"
    );
    assert!(!partial.exists(), "stale temporary file removed");
    assert!(out.join(recorded).exists(), "a recorded file stays");
    assert!(State::load(&out).unwrap().unwrap().pending.is_empty());
    assert_converged(&c, &out, "pending-fresh");
    std::fs::remove_dir_all(&out).ok();
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_within_two_seconds_with_the_state_saved() {
    // Every request takes 40 ms: the export would run for many seconds.
    let sim = spawn(
        SimConfig::generate("pages=600,spaces=1,depth=3,attachments=0.5,body_kb=1,seed=5").unwrap(),
    )
    .unwrap();
    ctl(&sim, "PUT", "/__sim/faults", json!({"latency_ms": 40}));
    let out = tmp("ctrl-c");
    // First before anything is saved; then once the run has saved its state
    // and is writing pages (waiting for that, not for a fixed time, which a
    // loaded machine may not reach).
    for wait_for_state in [false, true] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_cme"))
            .args(["all-spaces", "--append", "-o", out.to_str().unwrap()])
            .env("CME_URL", sim.url())
            .env("CME_EMAIL", "sim@example.com")
            .env("CME_API_TOKEN", "sim-token")
            .env("CME_CONFIG", "/nonexistent/cme-test-config.toml")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        if wait_for_state {
            let started = std::time::Instant::now();
            while !out.join(cme::state::STATE_FILE).exists() {
                assert!(
                    started.elapsed().as_secs() < 60,
                    "the export saved no state in 60 s"
                );
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(150));
        let sent = std::time::Instant::now();
        // SAFETY: signalling our own child by pid.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            assert!(
                sent.elapsed().as_secs_f64() < 2.0,
                "still running 2 s after Ctrl+C"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(
            status.code(),
            Some(130),
            "interrupted with the state saved: {wait_for_state}"
        );
        if let Some(state) = State::load(&out).unwrap() {
            assert_eq!(state.scopes.len(), 1);
        }
    }
    assert!(!out.join(".cme-state.lock").exists());
    // What was interrupted is finished by a sync.
    sim.control("DELETE", "/__sim/faults", None);
    let c = client(&sim, "sim-token");
    sync(&c, &out).unwrap();
    assert_converged(&c, &out, "ctrl-c-fresh");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn data_center_syncs_like_cloud() {
    let sim = spawn(
        SimConfig::demo()
            .flavor(confluence_sim::Flavor::DataCenter)
            .context_path("/confluence"),
    )
    .unwrap();
    let c = dc_client(&format!("{}/confluence", sim.url()));
    let out = tmp("dc");
    let first = export(&c, &out, false).unwrap();
    assert!(first.attachment_counts.new > 0, "{}", first.render());
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let idle = sync(&c, &out).unwrap();
    assert_eq!(
        written(&idle) + idle.page_counts.deleted,
        0,
        "{}",
        idle.render()
    );
    let stats = sim.control("GET", "/__sim/stats", None).1;
    // Listings, and the Jira refresh: both issues in one search, one per
    // issue list whose Jira is known.
    assert!(stats["requests"].as_u64().unwrap() <= 8, "{stats}");

    let installation = id_at(&out, "DEMO/Demo Home/Getting Started/Installation.md");
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{installation}"),
        json!({"title": "Setup"}),
    );
    let home = id_at(&out, "DEMO/Demo Home.md");
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{home}/attachments"),
        json!({"filename": "sim-logo.png", "media_type": "image/png", "data_base64": "ZGM="}),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(lines(&o, ChangeKind::Moved).len(), 5, "{}", o.render());
    assert_eq!(o.attachment_counts.modified, 1, "{}", o.render());
    assert_eq!(
        std::fs::read(out.join(format!("DEMO/_attachments/{home}/sim-logo.png"))).unwrap(),
        b"dc"
    );
    assert_converged(&c, &out, "dc-fresh");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn markdown_options_are_kept_and_a_change_rewrites_every_page() {
    let Site { sim, out, .. } = Site::demo("options");
    let dir = out.to_str().unwrap();
    let run = cli(&["spaces", "OPS", "--link-style", "wiki", "-o", dir], &sim);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let home = std::fs::read_to_string(out.join("OPS/Operations Home.md")).unwrap();
    assert!(home.contains("[["), "{home}");
    // No flag: the folder's recorded style is kept, nothing is rewritten.
    let run = cli(&["sync", "-o", dir], &sim);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.ends_with("0 new, 0 modified, 0 deleted, 10 unchanged\n"),
        "{stdout}"
    );
    // Another style: every page is rewritten in it.
    let run = cli(&["sync", "--link-style", "markdown", "-o", dir], &sim);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        stdout.contains("0 new, 10 modified, 0 deleted, 0 unchanged"),
        "{stdout}"
    );
    let home = std::fs::read_to_string(out.join("OPS/Operations Home.md")).unwrap();
    assert!(!home.contains("[[") && home.contains("]("), "{home}");
    let run = cli(&["sync", "-o", dir], &sim);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("10 unchanged"), "{stdout}");
    std::fs::remove_dir_all(&out).ok();
}

/// The names of the people the last run met are asked while the next one
/// lists (the state records whom), so an idle sync's critical path has no
/// name lookup after the listing; what a tampered state names is not sent.
#[test]
fn names_are_asked_while_listing_for_the_accounts_the_state_records() {
    let site = Site::exported("names-early");
    let out = site.out.clone();
    let mut state = State::load(&out).unwrap().unwrap();
    assert!(
        !state.accounts.is_empty(),
        "the export records its accounts"
    );
    assert!(state.accounts.windows(2).all(|w| w[0] < w[1]), "sorted");
    let verbose_sync = || {
        let o = cli(&["sync", "-v", "-o", out.to_str().unwrap()], &site.sim);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let log = String::from_utf8_lossy(&o.stderr).into_owned();
        let requests: Vec<String> = log
            .lines()
            .filter(|l| l.contains("cme_client::transport: GET "))
            .map(str::to_owned)
            .collect();
        requests
    };
    // Each answer takes 60 ms: a lookup sent with the space listing ends
    // before any page listing, which waits for it.
    site.ctl("PUT", "/__sim/network", json!({"latency_ms": 60}));
    let requests = verbose_sync();
    let at = |what: &str| requests.iter().position(|l| l.contains(what));
    let names = at("/rest/api/user/bulk").expect("names looked up");
    let listing = at("/pages?").expect("pages listed");
    assert!(
        names < listing,
        "names asked ahead:\n{}",
        requests.join("\n")
    );
    let idle = requests.len();
    // A tampered state: only what looks like an account id is asked, and
    // the run is the same.
    state.accounts = vec![
        "../../etc/passwd".into(),
        "x".repeat(300),
        "a b".into(),
        state.accounts[0].clone(),
    ];
    state.save(&out).unwrap();
    let requests = verbose_sync();
    assert!(
        requests
            .iter()
            .all(|l| !l.contains("passwd") && !l.contains("xxxx") && !l.contains("a%20b")),
        "{}",
        requests.join("\n")
    );
    assert!(
        requests.len() <= idle + 1,
        "{} against {idle}",
        requests.len()
    );
    // The run put the real accounts back.
    let again = State::load(&out).unwrap().unwrap();
    assert!(
        again
            .accounts
            .iter()
            .all(|a| !a.contains('/') && a.len() < 300)
    );
    std::fs::remove_dir_all(&out).ok();
}

/// A page that includes a page that includes another, four levels deep:
/// when only the top page changes, a sync converts it alone (the others'
/// bodies are not at hand) and must still inline every level, as a fresh
/// export does.
#[test]
fn nested_includes_four_deep_converge_when_only_the_top_changes() {
    let site = Site::exported("includes-deep");
    let home = site.id_at("DEMO/Demo Home.md");
    let include = |title: &str| {
        format!(
            "<ac:structured-macro ac:name=\"include\"><ac:parameter ac:name=\"\">\
             <ac:link><ri:page ri:content-title=\"{title}\"/></ac:link>\
             </ac:parameter></ac:structured-macro>"
        )
    };
    let mut ids = Vec::new();
    for (title, body) in [
        ("Level 4", "<p>deepest v1</p>".to_owned()),
        ("Level 3", include("Level 4")),
        ("Level 2", include("Level 3")),
        ("Level 1", include("Level 2")),
        ("Top", include("Level 1")),
    ] {
        let v = site.ctl(
            "POST",
            "/__sim/pages",
            json!({"space": "DEMO", "parent_id": home, "title": title, "body": body}),
        );
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    sync(&site.client, &site.out).unwrap();
    let top = || std::fs::read_to_string(site.out.join("DEMO/Demo Home/Top.md")).unwrap();
    assert!(top().contains("deepest v1"), "{}", top());
    site.ctl(
        "PATCH",
        &format!("/__sim/pages/{}", ids[4]),
        json!({"body": format!("<p>top v2</p>{}", include("Level 1"))}),
    );
    let o = sync(&site.client, &site.out).unwrap();
    assert_eq!(written(&o), 1, "{}", o.render());
    assert!(top().contains("top v2"), "{}", top());
    assert!(top().contains("deepest v1"), "{}", top());
    assert_converged(&site.client, &site.out, "includes-deep");
    std::fs::remove_dir_all(&site.out).ok();
}
