//! Large spaces are listed in parts, concurrently (their root pages, then
//! each top-level subtree): the export is the same as from one cursor, and
//! a page that moves from a part not yet listed into one already listed is
//! never deleted.
use crate::common::proxy::{Answer, Proxy, WalkEverySpace};
use crate::common::*;
use cme_client::Client;
use confluence_sim::{SimConfig, spawn};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A client of `url` that lists every space in parts.
fn partitioned_client(url: &str) -> Client {
    let mut cfg = config_at(url, "sim-token");
    cfg.partition_above = 0;
    Client::new(cfg).unwrap()
}

/// Requests by route since the last reset.
fn routes(sim: &confluence_sim::SimHandle) -> Value {
    ctl(sim, "GET", "/__sim/stats", None)["by_route"].clone()
}

fn route(stats: &Value, r: &str) -> u64 {
    stats[r].as_u64().unwrap_or(0)
}

/// The output path of page `id`, from the state.
fn path_of(out: &std::path::Path, id: &str) -> Option<String> {
    let state = cme::state::State::load(out).unwrap().unwrap();
    state
        .pages
        .iter()
        .find(|(p, _)| p.as_str() == id)
        .map(|(_, p)| p.output_path.to_string())
}

#[test]
fn a_partitioned_listing_exports_what_one_cursor_does() {
    let sim = spawn(
        SimConfig::generate("pages=700,spaces=2,depth=4,attachments=0.3,body_kb=1,seed=5").unwrap(),
    )
    .unwrap();
    let plain = tmp("partition-plain");
    let parts = tmp("partition-parts");
    export(&client(&sim, "sim-token"), &plain, false).unwrap();
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = export(&partitioned_client(&sim.url()), &parts, false).unwrap();
    assert_eq!(o.exit().code(), 0, "{}", o.render());
    let stats = routes(&sim);
    // Listed in parts, and the parts added up: no listing again by cursor.
    assert!(
        route(&stats, "GET /wiki/api/v2/pages/{id}/descendants") >= 4,
        "{stats}"
    );
    assert_eq!(
        route(&stats, "GET /wiki/api/v2/spaces/{id}/pages"),
        4,
        "one root listing and one of archived pages per space: {stats}"
    );
    let (a, b) = (content(&plain), content(&parts));
    assert!(a.len() > 700, "{}", a.len());
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same files"
    );
    assert!(a == b, "same bytes");
    // An idle sync in parts changes nothing either.
    let idle = sync(&partitioned_client(&sim.url()), &parts).unwrap();
    assert_eq!(
        written(&idle) + idle.page_counts.deleted,
        0,
        "{}",
        idle.render()
    );
    std::fs::remove_dir_all(&plain).ok();
    std::fs::remove_dir_all(&parts).ok();
}

/// GETs `target` (an API path) from the simulator, as the proxy would.
fn fetch(upstream: &str, target: &str) -> Vec<u8> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .get(&format!("{upstream}{target}"))
        .header(
            "Authorization",
            "Basic c2ltQGV4YW1wbGUuY29tOnNpbS10b2tlbg==",
        )
        .call()
        .unwrap()
        .body_mut()
        .read_to_vec()
        .unwrap()
}

#[test]
fn a_page_moving_between_parts_while_they_are_listed_is_never_deleted() {
    let sim = spawn(
        SimConfig::generate("pages=300,spaces=1,depth=3,attachments=0,body_kb=1,seed=9").unwrap(),
    )
    .unwrap();
    let proxy = Proxy::start(&sim.url());
    let c = partitioned_client(&proxy.url);
    let out = tmp("partition-move");
    export(&c, &out, false).unwrap();

    // Two parts: the home page's first two children; the page that moves
    // is a child of the second.
    let home = api_get(&sim, "/wiki/api/v2/spaces?keys=GEN0")["results"][0]["homepageId"]
        .as_str()
        .unwrap()
        .to_owned();
    let kids = |id: &str| -> Vec<String> {
        api_get(
            &sim,
            &format!("/wiki/api/v2/pages/{id}/direct-children?limit=250"),
        )["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == json!("page"))
            .map(|c| c["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let parts = kids(&home);
    assert!(parts.len() >= 2, "{parts:?}");
    let (into, from) = (parts[0].clone(), parts[1].clone());
    let moving = kids(&from)[0].clone();
    let before = path_of(&out, &moving).unwrap();

    // When the part it moves into is listed, the page moves; the part it
    // leaves is listed only after that (its answer is asked again once the
    // move is done), so no part names it.
    let moved = Arc::new(AtomicBool::new(false));
    let (m, upstream, page, dest) = (moved.clone(), sim.url(), moving.clone(), into.clone());
    let walk = WalkEverySpace::default();
    proxy.set(move |target, a: &mut Answer| {
        // No page found by id: the space is walked, in parts.
        walk.apply(target, a);
        if target.contains(&format!("/pages/{dest}/descendants")) && !m.load(Ordering::SeqCst) {
            let body = json!({ "parent_id": dest });
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            let status = agent
                .patch(&format!("{upstream}/__sim/pages/{page}"))
                .header("content-type", "application/json")
                .send(body.to_string())
                .unwrap()
                .status();
            assert!(status.is_success(), "{status}");
            m.store(true, Ordering::SeqCst);
        }
        if target.contains(&format!("/pages/{from}/descendants")) {
            let started = Instant::now();
            while !m.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(20) {
                std::thread::sleep(Duration::from_millis(5));
            }
            a.body = fetch(&upstream, target);
        }
    });
    let o = sync(&c, &out).unwrap();
    assert!(moved.load(Ordering::SeqCst), "the move never happened");
    // The parts came short of the count, so the space was listed again,
    // by cursor, and the page was found where it went.
    assert!(
        proxy.seen().iter().any(|t| t.contains("/pages?depth=all")),
        "{:?}",
        proxy.seen()
    );
    assert_eq!(o.page_counts.deleted, 0, "{}", o.render());
    assert!(o.page_counts.moved >= 1, "{}", o.render());
    assert_eq!(o.exit().code(), 0, "{}", o.render());
    let after = path_of(&out, &moving).unwrap();
    assert_ne!(after, before);
    assert!(out.join(&after).exists(), "{after}");
    assert!(!out.join(&before).exists(), "{before}");
    std::fs::remove_dir_all(&out).ok();
}

/// A sync after pages were created looks up the pages it knows by id and
/// searches for those created since it last ran: together they make up
/// the space's count, so the space is not listed again. A state whose
/// times say nothing useful (here, in the future) only costs that search:
/// the count falls short, and the space is listed as before.
#[test]
fn a_sync_after_new_pages_searches_for_them_instead_of_listing_the_space() {
    let sim = spawn(
        SimConfig::generate("pages=600,spaces=1,depth=4,attachments=0,body_kb=1,seed=5").unwrap(),
    )
    .unwrap();
    let out = tmp("partition-created-since");
    let c = client(&sim, "sim-token");
    export(&c, &out, false).unwrap();
    let create = |title: &str| -> String {
        let v = ctl(
            &sim,
            "POST",
            "/__sim/pages",
            Some(
                json!({"space": "GEN0", "parent_id": "1000001", "title": title, "body": "<p>new</p>"}),
            ),
        );
        v["id"].as_str().unwrap().to_owned()
    };
    let (a, b) = (create("Fresh A"), create("Fresh B"));
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(o.exit().code(), 0, "{}", o.render());
    let stats = routes(&sim);
    assert!(path_of(&out, &a).is_some() && path_of(&out, &b).is_some());
    assert_eq!(
        route(&stats, "GET /wiki/api/v2/spaces/{id}/pages"),
        0,
        "the space was listed again: {stats}"
    );

    // Every page written in the year 2999: the search finds nothing new.
    let file = out.join(".cme-state.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    for page in state["pages"].as_object_mut().unwrap().values_mut() {
        page["last_exported"] = json!("2999-01-01T00:00:00Z");
    }
    std::fs::write(&file, serde_json::to_vec(&state).unwrap()).unwrap();
    let late = create("Fresh C");
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(o.exit().code(), 0, "{}", o.render());
    let stats = routes(&sim);
    assert!(path_of(&out, &late).is_some(), "{}", o.render());
    assert!(
        route(&stats, "GET /wiki/api/v2/spaces/{id}/pages") > 0,
        "{stats}"
    );
    std::fs::remove_dir_all(&out).ok();
}

/// A search for new pages that fails (here a 400 from a server that reads
/// the query differently) costs only the listing it would have spared: the
/// sync lists the space and finds the new page.
#[test]
fn a_failed_search_for_new_pages_falls_back_to_the_listing() {
    let sim = spawn(
        SimConfig::generate("pages=300,spaces=1,depth=3,attachments=0,body_kb=1,seed=5").unwrap(),
    )
    .unwrap();
    let proxy = Proxy::start(&sim.url());
    let c = client_at(&proxy.url, "sim-token");
    let out = tmp("partition-created-since-fails");
    export(&c, &out, false).unwrap();
    let v = ctl(
        &sim,
        "POST",
        "/__sim/pages",
        Some(
            json!({"space": "GEN0", "parent_id": "1000001", "title": "Fresh", "body": "<p>new</p>"}),
        ),
    );
    let id = v["id"].as_str().unwrap().to_owned();
    proxy.set(|target, a| {
        if target.contains("created >=") {
            a.status = 400;
            a.body = br#"{"statusCode":400,"message":"Could not parse cql"}"#.to_vec();
        }
    });
    let o = sync(&c, &out).unwrap();
    assert_eq!(o.exit().code(), 0, "{}", o.render());
    assert!(path_of(&out, &id).is_some(), "{}", o.render());
    let seen = proxy.seen();
    assert!(seen.iter().any(|t| t.contains("created >=")), "{seen:?}");
    assert!(
        seen.iter()
            .any(|t| t.contains("/api/v2/spaces/") && t.contains("/pages?")),
        "{seen:?}"
    );
    std::fs::remove_dir_all(&out).ok();
}
