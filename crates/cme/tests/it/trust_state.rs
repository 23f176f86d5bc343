//! The state file and the journal are not ours to trust (the state is meant
//! to be committed to git): the paths they name are honoured only for what
//! cme wrote, and one path that cannot be written or removed is one failed
//! item, never the end of the run (issue 17, items 2 and 3).
use crate::common::*;
use cme::state::{AttachmentState, BACKUP_FILE, State};
use cme::sync::outcome::{Exit, Outcome};
use cme_client::{PageId, Version};
use serde_json::json;
use std::path::Path;

fn state(out: &Path) -> State {
    State::load(out).unwrap().unwrap()
}

/// Changes the saved state (as a hand edit or another tool would).
fn edit_state(out: &Path, f: impl FnOnce(&mut State)) {
    let mut s = state(out);
    f(&mut s);
    std::fs::write(State::path(out), serde_json::to_vec_pretty(&s).unwrap()).unwrap();
}

/// A new version of the page at `path`, so the next sync rewrites it.
fn edit_page(site: &Site, path: &str, text: &str) {
    let id = site.id_at(path);
    site.ctl(
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({ "body": format!("<p>{text}</p>") }),
    );
}

/// Files a user or git keeps in the export folder.
fn plant_foreign_files(out: &Path) -> Vec<(&'static str, &'static str)> {
    let files = vec![
        ("README.md", "# our docs\n"),
        (".git/HEAD", "ref: refs/heads/main\n"),
        (".git/config", "[core]\n"),
    ];
    for (p, text) in &files {
        let at = out.join(p);
        std::fs::create_dir_all(at.parent().unwrap()).unwrap();
        std::fs::write(at, text).unwrap();
    }
    files
}

fn refused_mentions(o: &Outcome, path: &str) -> bool {
    o.refused.iter().any(|r| r.contains(&format!("`{path}`")))
}

#[test]
fn pending_paths_in_the_state_remove_only_what_cme_wrote() {
    let site = Site::exported("trust-pending");
    let out = &site.out;
    let files = plant_foreign_files(out);
    assert!(out.join(BACKUP_FILE).exists());
    // As a hand edit would put it: plain paths.
    let mut raw: serde_json::Value =
        serde_json::from_slice(&std::fs::read(State::path(out)).unwrap()).unwrap();
    raw["pending"] = json!(["README.md", ".git/HEAD", ".git/config", BACKUP_FILE]);
    std::fs::write(State::path(out), serde_json::to_vec(&raw).unwrap()).unwrap();
    let o = sync(&site.client, out).unwrap();
    for (p, text) in &files {
        assert_eq!(std::fs::read_to_string(out.join(p)).unwrap(), *text, "{p}");
        assert!(refused_mentions(&o, p), "{p}: {:?}", o.refused);
    }
    // cme's own file is refused as a path, and kept.
    assert!(refused_mentions(&o, BACKUP_FILE), "{:?}", o.refused);
    assert!(out.join(BACKUP_FILE).exists());
    assert_eq!(o.exit(), Exit::Partial);
    // Reported once: the list is emptied, the next sync is clean.
    assert!(state(out).pending.is_empty());
    let again = sync(&site.client, out).unwrap();
    assert!(again.refused.is_empty(), "{:?}", again.refused);
    assert_eq!(again.exit(), Exit::Done);
}

#[test]
fn intent_lines_in_the_journal_remove_only_what_cme_wrote() {
    let site = Site::exported("trust-journal");
    let out = &site.out;
    let files = plant_foreign_files(out);
    // An empty folder of git's, named by a pending path: kept too.
    std::fs::create_dir_all(out.join(".git/refs/tags")).unwrap();
    // A run "killed" after these lines; one names a partial file (cme's own
    // temporary name beside a path), which does go.
    let page = "OPS/Operations Home/Monitoring.md";
    let partial = "OPS/Operations Home/.Monitoring.md.0123456789abcdef.cme-partial";
    std::fs::write(out.join(partial), "half").unwrap();
    std::fs::write(
        out.join(".cme-state.journal"),
        format!(
            "{}\n",
            json!({"op": "intent", "paths": ["README.md", ".git/HEAD", ".git/config", ".git/refs/tags/v1", page, ".cme-state.lock"]})
        ),
    )
    .unwrap();
    let o = sync(&site.client, out).unwrap();
    for (p, text) in &files {
        assert_eq!(std::fs::read_to_string(out.join(p)).unwrap(), *text, "{p}");
        assert!(refused_mentions(&o, p), "{p}: {:?}", o.refused);
    }
    assert!(
        out.join(".git/refs/tags").is_dir(),
        "an empty folder of git's is kept"
    );
    assert!(out.join(page).exists(), "a recorded page is kept");
    assert!(!out.join(partial).exists(), "cme's temporary file goes");
    assert_eq!(o.exit(), Exit::Partial);
    let again = sync(&site.client, out).unwrap();
    assert_eq!(again.exit(), Exit::Done, "{:?}", again.refused);
}

#[test]
fn recorded_paths_naming_cme_files_are_refused_once_then_dropped() {
    let site = Site::exported("trust-own-files");
    let out = &site.out;
    let page = "OPS/Operations Home/Monitoring.md";
    let id = PageId::new(site.id_at(page));
    assert!(out.join(BACKUP_FILE).exists());
    edit_state(out, |s| {
        let e = s.pages.get_mut(&id).unwrap();
        e.previous_paths = vec![
            BACKUP_FILE.to_owned(),
            ".cme-state.lock".to_owned(),
            "../outside.md".to_owned(),
        ];
        e.comments_path = Some(".cme-state.journal".into());
    });
    let o = sync(&site.client, out).unwrap();
    assert!(out.join(BACKUP_FILE).exists(), "the backup is kept");
    assert!(refused_mentions(&o, BACKUP_FILE), "{:?}", o.refused);
    assert!(refused_mentions(&o, "../outside.md"), "{:?}", o.refused);
    assert_eq!(o.exit(), Exit::Partial);
    let e = &state(out).pages[&id];
    assert!(e.previous_paths.is_empty(), "{:?}", e.previous_paths);
    assert!(e.comments_path.is_none());
    // Reported once, not on every later sync.
    let again = sync(&site.client, out).unwrap();
    assert!(again.refused.is_empty(), "{:?}", again.refused);
    assert_eq!(again.exit(), Exit::Done);
}

#[test]
fn a_live_pages_file_is_not_deleted_through_an_attachment_record() {
    let site = Site::exported("trust-attachment-record");
    let out = &site.out;
    let victim = "OPS/Operations Home/Monitoring.md";
    let before = std::fs::read(out.join(victim)).unwrap();
    let owner = PageId::new(site.id_at("OPS/Operations Home.md"));
    edit_state(out, |s| {
        s.pages.get_mut(&owner).unwrap().attachments.insert(
            "ghost.png".to_owned(),
            AttachmentState {
                id: "att999999".to_owned(),
                version: Version(1),
                output_path: victim.to_owned(),
            },
        );
    });
    let o = sync(&site.client, out).unwrap();
    assert_eq!(std::fs::read(out.join(victim)).unwrap(), before);
    assert!(refused_mentions(&o, victim), "{:?}", o.refused);
    assert!(o.attachments.is_empty(), "no del: line for it");
    assert!(
        !state(out).pages[&owner]
            .attachments
            .contains_key("ghost.png")
    );
    let again = sync(&site.client, out).unwrap();
    assert_eq!(again.exit(), Exit::Done, "{:?}", again.refused);
}

#[test]
fn a_folder_where_a_tracked_file_is_fails_that_item_and_the_run_goes_on() {
    let site = Site::exported("trust-folder");
    let out = &site.out;
    let blocked = "OPS/Operations Home/Monitoring.md";
    let other = "OPS/Operations Home.md";
    edit_page(&site, blocked, "blocked");
    edit_page(&site, other, "other");
    // A deleted page whose file is a folder now.
    let gone = "DEMO/Demo Home/Blank Page.md";
    let gone_id = site.id_at(gone);
    site.ctl("DELETE", &format!("/__sim/pages/{gone_id}"), None);
    for p in [blocked, gone] {
        std::fs::remove_file(out.join(p)).unwrap();
        std::fs::create_dir_all(out.join(p).join("inside")).unwrap();
    }
    let o = sync(&site.client, out).unwrap();
    let failed: Vec<&str> = o.failures.iter().map(|f| f.path.as_str()).collect();
    assert!(failed.contains(&blocked), "{failed:?}");
    assert!(failed.contains(&gone), "{failed:?}");
    assert!(
        std::fs::read_to_string(out.join(other))
            .unwrap()
            .contains("other"),
        "the rest of the run went on"
    );
    assert_eq!(o.exit(), Exit::Partial);
    // The next sync retries them.
    for p in [blocked, gone] {
        std::fs::remove_dir_all(out.join(p)).unwrap();
    }
    let again = sync(&site.client, out).unwrap();
    assert!(again.failures.is_empty(), "{:?}", again.failures);
    assert!(
        std::fs::read_to_string(out.join(blocked))
            .unwrap()
            .contains("blocked")
    );
    assert_eq!(again.exit(), Exit::Done);
}

#[cfg(unix)]
#[test]
fn a_linked_state_backup_is_one_failed_item() {
    let site = Site::exported("trust-backup-link");
    let out = &site.out;
    let outside = out.with_extension("outside");
    std::fs::write(&outside, "precious").unwrap();
    std::fs::remove_file(out.join(BACKUP_FILE)).ok();
    std::os::unix::fs::symlink(&outside, out.join(BACKUP_FILE)).unwrap();
    let page = "OPS/Operations Home/Monitoring.md";
    edit_page(&site, page, "written anyway");
    let o = sync(&site.client, out).unwrap();
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "precious");
    assert!(out.join(BACKUP_FILE).is_symlink());
    let failed: Vec<&str> = o.failures.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(failed, [BACKUP_FILE]);
    assert!(
        std::fs::read_to_string(out.join(page))
            .unwrap()
            .contains("written anyway")
    );
    assert_eq!(o.exit(), Exit::Partial);
    assert_eq!(written(&o), 1);
    std::fs::remove_file(&outside).ok();
}

/// `--retry-budget`, `CME_RETRY_BUDGET` and the settings file's
/// `retry-budget` bound how long a site answering 500 to everything holds
/// a run (5 minutes before).
#[test]
fn the_retry_budget_is_a_flag_a_variable_and_a_setting() {
    let site = Site::demo("trust-retry-budget");
    site.ctl(
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [500]}),
    );
    let config = site.out.with_extension("toml");
    let out = site.out.to_string_lossy().into_owned();
    let url = site.sim.url();
    let env = [
        ("CME_URL", url.as_str()),
        ("CME_EMAIL", "sim@example.com"),
        ("CME_API_TOKEN", "sim-token"),
    ];
    let timed = |args: &[&str], extra: &[(&str, &str)]| {
        let start = std::time::Instant::now();
        let all: Vec<(&str, &str)> = env.iter().chain(extra).copied().collect();
        let o = cme_bin(&config, args, &all);
        (o, start.elapsed())
    };
    let export = ["all-spaces", "-o", out.as_str(), "--flavor", "cloud"];
    let mut flag = export.to_vec();
    flag.extend(["--retry-budget", "1"]);
    // Given up on the site's 500s, within the budget (not refused usage).
    let gave_up = |o: &std::process::Output, took: std::time::Duration, how: &str| {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{how}: {err}");
        assert!(err.contains("HTTP 500"), "{how}: {err}");
        assert!(took.as_secs() < 30, "{how}: {took:?}");
    };
    let (o, took) = timed(&flag, &[]);
    gave_up(&o, took, "flag");
    let (o, took) = timed(&export, &[("CME_RETRY_BUDGET", "1")]);
    gave_up(&o, took, "variable");
    let (set, _) = timed(&["config", "set", "retry-budget", "1"], &[]);
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let (list, _) = timed(&["config", "list"], &[]);
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("retry-budget") && l.contains("= 1  (file)")),
        "{listed}"
    );
    let (o, took) = timed(&export, &[]);
    gave_up(&o, took, "settings file");
    std::fs::remove_file(&config).ok();
}
