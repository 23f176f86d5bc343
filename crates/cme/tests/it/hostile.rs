//! A server that lies or refuses, through a proxy in front of the
//! simulator (`common::proxy`): a sync deletes only what the listings
//! proved gone, and refused credentials stop it before any deletion.
use crate::common::proxy::{Answer, Proxy, WalkEverySpace, refuse};
use crate::common::*;
use cme::sync::plan::Hold;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A simulator behind a proxy, exported (`all-spaces`) through it.
struct Hostile {
    sim: confluence_sim::SimHandle,
    proxy: Proxy,
    client: cme_client::Client,
    out: std::path::PathBuf,
}

impl Hostile {
    fn exported(config: confluence_sim::SimConfig, name: &str) -> Self {
        let sim = confluence_sim::spawn(config).unwrap();
        let proxy = Proxy::start(&sim.url());
        let client = client_at(&proxy.url, "sim-token");
        let out = tmp(name);
        export(&client, &out, false).unwrap();
        Hostile {
            sim,
            proxy,
            client,
            out,
        }
    }

    fn demo(name: &str) -> Self {
        Self::exported(confluence_sim::SimConfig::demo(), name)
    }

    fn id_at(&self, path: &str) -> String {
        id_at(&self.out, path)
    }

    fn exists(&self, path: &str) -> bool {
        self.out.join(path).exists()
    }

    /// Files below the output folder (the state aside).
    fn files(&self) -> Vec<String> {
        content(&self.out).into_keys().collect()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.out).ok();
    }
}

/// Whether a request is the page listing of the space `id` (Cloud: v2).
fn page_listing_of(target: &str, id: &str) -> bool {
    target.contains(&format!("/api/v2/spaces/{id}/pages"))
}

/// Whether a request looks up the last run's pages by id (Cloud: v2), which
/// a sync does before walking any space.
fn by_id_lookup(target: &str) -> bool {
    target.contains("/api/v2/pages?id=")
}

/// Whether a request counts the pages of space `key` (what a Cloud page
/// listing is held to).
fn page_count_of(target: &str, key: &str) -> bool {
    target.contains("/rest/api/search?") && target.contains(&format!("space = \"{key}\""))
}

/// The id of the space `key`.
fn space_id(sim: &confluence_sim::SimHandle, key: &str) -> String {
    let v = api_get(sim, &format!("/wiki/api/v2/spaces?keys={key}"));
    v["results"][0]["id"].as_str().unwrap().to_owned()
}

fn results(v: &mut Value) -> &mut Vec<Value> {
    v["results"].as_array_mut().unwrap()
}

fn held_for_listing(o: &cme::sync::outcome::Outcome) -> bool {
    matches!(o.held, Some(Hold::IncompleteListing { .. }))
}

/// A sync after a listing lied: nothing deleted, and `why` said, either as
/// a listing problem (deletions held, exit 1) or, when the only scope could
/// not be listed, as the error that changed nothing (exit 2).
fn deleted_nothing(r: anyhow::Result<cme::sync::outcome::Outcome>, why: &str) {
    match r {
        Ok(o) => {
            assert_eq!(o.page_counts.deleted, 0, "{}", o.render());
            assert!(held_for_listing(&o), "{:?}", o.held);
            assert!(
                o.problems.iter().any(|p| p.contains(why)),
                "{why}: {:?}",
                o.problems
            );
            assert_eq!(o.exit().code(), 1);
        }
        Err(e) => {
            let msg = format!("{e:#}");
            assert!(msg.contains("nothing was changed"), "{msg}");
            assert!(msg.contains(why), "{why}: {msg}");
        }
    }
}

/// Runs a sync on another thread: `None` if it has not ended in `secs`
/// (the thread is left running: the old code followed such listings
/// forever).
fn sync_within(
    client: &cme_client::Client,
    out: &Path,
    secs: u64,
) -> Option<anyhow::Result<cme::sync::outcome::Outcome>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let (client, out) = (client.clone(), out.to_path_buf());
    std::thread::spawn(move || {
        let _ = tx.send(sync(&client, &out));
    });
    rx.recv_timeout(Duration::from_secs(secs)).ok()
}

#[test]
fn a_page_a_listing_leaves_out_is_not_deleted_and_idle_syncs_ask_nothing_more() {
    let h = Hostile::demo("hostile-left-out");
    let blank = "DEMO/Demo Home/Blank Page.md";
    let id = h.id_at(blank);
    // An idle sync confirms nothing: nothing would be deleted.
    h.proxy.clear();
    let o = sync(&h.client, &h.out).unwrap();
    assert_eq!(o.exit().code(), 0, "{}", o.render());
    assert!(
        !h.proxy.seen().iter().any(|t| t.contains("id in (")),
        "{:?}",
        h.proxy.seen()
    );
    // The listing leaves the page out, and the count is lowered to match.
    let left_out = id.clone();
    let demo = space_id(&h.sim, "DEMO");
    h.proxy.set(move |target, a: &mut Answer| {
        // Left out of the walk and of the lookup by id alike.
        if page_listing_of(target, &demo) || by_id_lookup(target) {
            let mut v = a.json();
            results(&mut v).retain(|p| p["id"] != json!(left_out));
            a.set_json(&v);
        }
        if page_count_of(target, "DEMO") {
            let mut v = a.json();
            v["totalSize"] = json!(v["totalSize"].as_u64().unwrap() - 1);
            a.set_json(&v);
        }
    });
    let before = h.files();
    let o = sync(&h.client, &h.out).unwrap();
    assert_eq!(o.page_counts.deleted, 0, "{}", o.render());
    assert!(held_for_listing(&o), "{:?}", o.held);
    assert!(
        o.problems
            .iter()
            .any(|p| p.contains(&id) && p.contains(blank)),
        "{:?}",
        o.problems
    );
    assert_eq!(o.exit().code(), 1);
    assert!(h.exists(blank));
    assert_eq!(h.files(), before);
    // One bulk lookup confirmed the deletion.
    let asked: Vec<String> = h
        .proxy
        .seen()
        .into_iter()
        .filter(|t| t.contains("id in ("))
        .collect();
    assert_eq!(asked.len(), 1, "{asked:?}");
    // A page really gone is deleted, after the same one lookup.
    h.proxy.clear();
    ctl(&h.sim, "DELETE", &format!("/__sim/pages/{id}"), None);
    let o = sync(&h.client, &h.out).unwrap();
    assert_eq!(o.page_counts.deleted, 1, "{}", o.render());
    assert_eq!(o.exit().code(), 0, "{}", o.render());
    assert!(!h.exists(blank));
    let asked = h.proxy.seen();
    assert_eq!(
        asked.iter().filter(|t| t.contains("id in (")).count(),
        1,
        "{asked:?}"
    );
}

#[test]
fn empty_results_for_one_space_delete_nothing() {
    let h = Hostile::demo("hostile-empty-space");
    let ops_files: Vec<String> = h
        .files()
        .into_iter()
        .filter(|f| f.starts_with("OPS/"))
        .collect();
    assert!(!ops_files.is_empty());
    let before = h.files();
    // Empty results, the count kept: short of what it announced.
    // Empty results and a count of 0: the space's home page is missing.
    let ops = space_id(&h.sim, "OPS");
    for keep_total in [true, false] {
        let ops = ops.clone();
        let walk = WalkEverySpace::default();
        h.proxy.set(move |target, a: &mut Answer| {
            walk.apply(target, a);
            if page_listing_of(target, &ops) {
                let mut v = a.json();
                results(&mut v).clear();
                v["_links"].as_object_mut().unwrap().remove("next");
                a.set_json(&v);
            }
            if !keep_total && page_count_of(target, "OPS") {
                let mut v = a.json();
                v["totalSize"] = json!(0);
                a.set_json(&v);
            }
        });
        let why = if keep_total { "announced" } else { "home page" };
        deleted_nothing(sync(&h.client, &h.out), why);
        assert_eq!(h.files(), before, "{keep_total}");
    }
}

#[test]
fn a_dropped_next_link_deletes_nothing() {
    let h = Hostile::exported(
        confluence_sim::SimConfig::generate("pages=600,spaces=1,depth=3,attachments=0,seed=3")
            .unwrap(),
        "hostile-dropped-next",
    );
    let before = h.files();
    assert!(before.len() > 500, "{}", before.len());
    let walk = WalkEverySpace::default();
    h.proxy.set(move |target, a: &mut Answer| {
        walk.apply(target, a);
        if target.contains("/api/v2/spaces/") && target.contains("/pages") {
            let mut v = a.json();
            v["_links"].as_object_mut().unwrap().remove("next");
            a.set_json(&v);
        }
    });
    deleted_nothing(sync(&h.client, &h.out), "announced");
    assert_eq!(h.files(), before);
}

#[test]
fn a_changing_cursor_ends_the_listing() {
    let h = Hostile::demo("hostile-cursor");
    let before = h.files();
    // Each answer points to a `next` page it never named before; first
    // with the same results again, then with results never seen (ids
    // made up), which soon exceed the total the listing announced.
    let demo = space_id(&h.sim, "DEMO");
    for fresh_ids in [false, true] {
        let n = Arc::new(AtomicUsize::new(0));
        let demo = demo.clone();
        let walk = WalkEverySpace::default();
        h.proxy.set(move |target, a: &mut Answer| {
            walk.apply(target, a);
            if page_listing_of(target, &demo) {
                let i = n.fetch_add(1, Ordering::SeqCst);
                let mut v = a.json();
                if fresh_ids {
                    for (j, p) in results(&mut v).iter_mut().enumerate() {
                        p["id"] = json!(format!("{}", 900_000_000 + i * 1000 + j));
                    }
                }
                let path = target.split_once("/wiki").map_or(target, |(_, p)| p);
                let path = path.split("&hostile=").next().unwrap();
                let next = format!(
                    "/wiki{}&hostile={i}",
                    path.replace(' ', "%20").replace('"', "%22")
                );
                v["_links"]["next"] = json!(next);
                a.set_json(&v);
            }
        });
        let r = sync_within(&h.client, &h.out, 120)
            .unwrap_or_else(|| panic!("{fresh_ids}: the listing never ended"));
        let why = if fresh_ids { "more than" } else { "again" };
        deleted_nothing(r, why);
        assert_eq!(h.files(), before, "{fresh_ids}");
    }
}

#[test]
fn refused_credentials_after_the_listings_stop_the_run_before_deletions() {
    // Refused where the old code went on: the body batch (items failed,
    // deletions applied) and the user-name lookup (swallowed, exit 0).
    for endpoint in ["/api/v2/pages?id=", "/rest/api/user/bulk"] {
        let h = Hostile::demo("hostile-late-401");
        let edited = h.id_at("OPS/Operations Home/Monitoring.md");
        ctl(
            &h.sim,
            "PATCH",
            &format!("/__sim/pages/{edited}"),
            json!({"body": "<p>new</p>"}),
        );
        let gone = "DEMO/Demo Home/Blank Page.md";
        let id = h.id_at(gone);
        ctl(&h.sim, "DELETE", &format!("/__sim/pages/{id}"), None);
        h.proxy.set(move |target, a: &mut Answer| {
            if target.contains(endpoint) {
                refuse(a);
            }
        });
        let err = sync(&h.client, &h.out).expect_err(endpoint);
        let msg = format!("{err:#}");
        assert!(msg.contains("refused the credentials"), "{endpoint}: {msg}");
        // Cloud's listing looks names up in bulk: refused there, the run
        // ends before planning anything.
        let in_listing = endpoint == "/rest/api/user/bulk";
        assert!(
            msg.contains("before deleting") || in_listing,
            "{endpoint}: {msg}"
        );
        assert!(
            h.proxy.seen().iter().any(|t| t.contains(endpoint)),
            "{endpoint}: the fault never happened"
        );
        assert!(h.exists(gone), "{endpoint}: deleted after a refusal");
        // Once the credentials are accepted again, the sync finishes.
        h.proxy.clear();
        let o = sync(&h.client, &h.out).unwrap();
        assert_eq!(o.page_counts.deleted, 1, "{endpoint}: {}", o.render());
        assert!(!h.exists(gone));
    }
}

#[test]
fn refused_credentials_exit_2_from_the_command_line() {
    let h = Hostile::demo("hostile-401-cli");
    let gone = "DEMO/Demo Home/Blank Page.md";
    let id = h.id_at(gone);
    ctl(&h.sim, "DELETE", &format!("/__sim/pages/{id}"), None);
    let edited = h.id_at("OPS/Operations Home/Monitoring.md");
    ctl(
        &h.sim,
        "PATCH",
        &format!("/__sim/pages/{edited}"),
        json!({"body": "<p>new</p>"}),
    );
    h.proxy.set(|target, a: &mut Answer| {
        if target.contains("/api/v2/pages?id=") {
            refuse(a);
        }
    });
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_cme"))
        .args(["sync", "-o", h.out.to_str().unwrap()])
        .env("CME_URL", &h.proxy.url)
        .env("CME_EMAIL", "sim@example.com")
        .env("CME_API_TOKEN", "sim-token")
        .env("CME_CONFIG", "/nonexistent/cme-test-config.toml")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("refused the credentials"), "{stderr}");
    assert!(h.exists(gone));
}
