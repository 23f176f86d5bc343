//! The executor's pipeline: several body batches in flight while pages
//! convert, attachments downloading meanwhile. Interrupted, failing or
//! not, a run ends as the one-batch-at-a-time run did: the same files,
//! each failure reported once, and a state the next sync finishes.
use crate::common;
use cme::state::State;
use cme::sync::outcome::Outcome;
use cme::sync::{Selection, Start};
use cme_client::{Client, SpaceKey};
use common::*;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;

/// Every path a run reported as failed, each once (a repeat fails the test).
fn failed_once(o: &Outcome) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    for f in &o.failures {
        assert!(seen.insert(f.path.clone()), "{} reported twice", f.path);
    }
    seen
}

/// `out` holds exactly the files of a fresh export of every space.
fn assert_like_fresh(c: &cme_client::Client, out: &Path, name: &str) {
    let fresh = tmp(name);
    let o = export(c, &fresh, false).unwrap();
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    let (a, b) = (content(out), content(&fresh));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (k, v) in &a {
        assert!(v == &b[k], "{k} differs from a fresh export");
    }
    std::fs::remove_dir_all(&fresh).ok();
}

#[test]
fn an_export_interrupted_with_batches_in_flight_is_finished_by_a_sync() {
    // 1,100 pages: five batches (100, then 250s), with downloads; every
    // request slow enough that several batches are on their way.
    let site = Site::generated(
        "pages=1100,spaces=1,depth=4,attachments=0.3,body_kb=1,seed=21",
        "pipeline-interrupt",
    );
    site.ctl("PUT", "/__sim/faults", json!({"latency_ms": 5}));
    let req = request(&site.out, all_spaces());
    let cancel = req.cancel.clone();
    let seen = std::cell::Cell::new(0);
    let o = run_with(&site.client, req, &|msg| {
        if msg.starts_with("wrote") {
            seen.set(seen.get() + 1);
            // Inside the second batch: later ones are in flight.
            if seen.get() == 180 {
                cancel.cancel();
            }
        }
    })
    .unwrap();
    assert!(o.interrupted);
    let state = State::load(&site.out).unwrap().unwrap();
    assert!(
        (180..1100).contains(&state.pages.len()),
        "the pages written are recorded: {}",
        state.pages.len()
    );
    assert!(!site.out.join(".cme-state.journal").exists());
    site.ctl("DELETE", "/__sim/faults", None);
    let rest = sync(&site.client, &site.out).unwrap();
    assert!(rest.failures.is_empty(), "{:?}", rest.failures);
    assert_eq!(rest.page_counts.new + state.pages.len(), 1100);
    assert_like_fresh(&site.client, &site.out, "pipeline-interrupt-fresh");
    std::fs::remove_dir_all(&site.out).ok();
}

#[test]
fn a_failed_body_batch_among_concurrent_ones_fails_only_its_pages() {
    let site = Site::generated(
        "pages=800,spaces=1,depth=4,attachments=0,body_kb=1,seed=22",
        "pipeline-batch",
    );
    // Every body request naming this page fails (after the client's retries).
    let victim = "1000400";
    site.ctl(
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [500], "only_matching": victim}),
    );
    let o = export(&site.client, &site.out, false).unwrap();
    let failed = failed_once(&o);
    let (body, other): (Vec<_>, Vec<_>) = o
        .failures
        .iter()
        .partition(|f| f.reason.starts_with("cannot fetch its body"));
    // One batch: 50 (800 = 50 + 3 × 250) or 250 pages, no more; besides,
    // only pages that include the victim.
    assert!(
        body.len() == 50 || body.len() == 250,
        "{} pages failed: {:?}",
        body.len(),
        o.failures.first()
    );
    assert!(
        other
            .iter()
            .all(|f| f.reason.starts_with("cannot fetch a page it includes")),
        "{other:?}"
    );
    assert_eq!(
        written(&o) + failed.len(),
        800,
        "every other page is written"
    );
    let state = State::load(&site.out).unwrap().unwrap();
    assert!(
        state
            .pages
            .values()
            .all(|p| !failed.contains(&*p.output_path)),
        "a failed page is not recorded"
    );
    site.ctl("DELETE", "/__sim/faults", None);
    let rest = sync(&site.client, &site.out).unwrap();
    assert!(rest.failures.is_empty(), "{:?}", rest.failures);
    assert_eq!(
        rest.page_counts.new,
        failed.len(),
        "the next sync writes them"
    );
    assert_like_fresh(&site.client, &site.out, "pipeline-batch-fresh");
    std::fs::remove_dir_all(&site.out).ok();
}

#[test]
fn a_download_failing_while_pages_convert_is_reported_once() {
    let site = Site::generated(
        "pages=700,spaces=1,depth=4,attachments=0.4,body_kb=1,seed=23",
        "pipeline-download",
    );
    // Every download fails; the pages still convert and land.
    site.ctl(
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [500], "only_matching": "/download"}),
    );
    let o = export(&site.client, &site.out, false).unwrap();
    assert_eq!(written(&o), 700);
    let failed = failed_once(&o);
    assert!(!failed.is_empty(), "no download was tried");
    assert!(
        failed.iter().all(|p| p.contains("/_attachments/")),
        "{failed:?}"
    );
    assert_eq!(o.attachment_counts.new, 0);
    site.ctl("DELETE", "/__sim/faults", None);
    let rest = sync(&site.client, &site.out).unwrap();
    assert!(rest.failures.is_empty(), "{:?}", rest.failures);
    let downloaded: BTreeSet<String> = rest.attachments.iter().map(|l| l.path.clone()).collect();
    assert_eq!(downloaded, failed, "the next sync downloads exactly those");
    assert_like_fresh(&site.client, &site.out, "pipeline-download-fresh");
    std::fs::remove_dir_all(&site.out).ok();
}

/// The site `spec` exported with the program's default limit on requests
/// in flight, under the simulator's `network` model: the simulator's
/// statistics of the export. The folder is then checked against a fresh
/// export on a plain network, and removed.
fn export_under(spec: &str, name: &str, network: serde_json::Value) -> serde_json::Value {
    let site = Site::generated(spec, name);
    site.ctl("PUT", "/__sim/network", network);
    let mut cfg = config_at(&site.sim.url(), "sim-token");
    cme::cli::connect::default_concurrency(&mut cfg);
    let o = export(&Client::new(cfg).unwrap(), &site.out, false).unwrap();
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    let stats = site.ctl("GET", "/__sim/stats", None);
    site.ctl("DELETE", "/__sim/network", None);
    assert_like_fresh(&site.client, &site.out, &format!("{name}-fresh"));
    std::fs::remove_dir_all(&site.out).ok();
    stats
}

#[test]
fn the_default_concurrency_backs_off_under_a_smaller_in_flight_cap() {
    // A server that answers 429 beyond 2 requests at once, far under the
    // default, slow enough that batches and downloads overlap.
    let stats = export_under(
        "pages=600,spaces=1,depth=4,attachments=0.4,body_kb=1,seed=24",
        "pipeline-cap",
        json!({"max_in_flight": 2, "latency_ms": 20}),
    );
    let throttled = stats["throttled"].as_u64().unwrap();
    let requests = stats["requests"].as_u64().unwrap();
    assert!(throttled > 0, "the cap was never met: {stats}");
    // Halved on the 429s, the client comes down to the cap: the 429s are a
    // small part of the requests (at 24 in flight, most would be 429s).
    assert!(
        throttled * 3 < requests,
        "{throttled} of {requests} requests throttled"
    );
}

#[test]
fn the_default_concurrency_grows_past_its_start_and_stays_under_a_cap_it_meets() {
    // A cap above the default's start: growing past 24 finds it.
    let stats = export_under(
        "pages=2000,spaces=1,depth=4,attachments=1,body_kb=1,seed=25",
        "pipeline-probe",
        json!({"max_in_flight": 30, "latency_ms": 150}),
    );
    let throttled = stats["throttled"].as_u64().unwrap();
    let requests = stats["requests"].as_u64().unwrap();
    let peak = stats["max_in_flight"].as_u64().unwrap();
    assert!(
        peak > u64::from(cme::cli::connect::DEFAULT_CONCURRENCY),
        "never grew past its start: {stats}"
    );
    // The first 429s set the ceiling: few requests are refused after them.
    assert!(
        throttled * 20 < requests,
        "{throttled} of {requests} requests throttled"
    );
}

/// Pages converted side by side are written exactly as pages converted one
/// after another: on the demo (includes, mentions, links to other pages'
/// headings), on its DEMO space alone, and on a generated site of two
/// batches with a page including pages of both (it converts in turn,
/// fetching the bodies its batch lacks; the pages after it in its batch
/// were converted before).
#[test]
fn pages_converted_side_by_side_are_written_as_pages_converted_in_turn() {
    let demo_space = || Start::Export {
        scope: Selection::Spaces(vec![SpaceKey::new("DEMO")]).scope(),
        append: false,
    };
    let generated = Site::generated(
        "pages=300,spaces=1,depth=4,attachments=0.2,body_kb=2,seed=31",
        "pipeline-side-gen",
    );
    // A page including every tenth page: its batch of 250 lacks some of
    // their bodies, so it converts in turn and fetches them.
    let pages = v2_all(&generated.sim, "/wiki/api/v2/pages?limit=250");
    let includes: String = pages
        .iter()
        .step_by(10)
        .map(|p| {
            let title = p["title"].as_str().unwrap().replace('&', "&amp;");
            format!(
                "<ac:structured-macro ac:name=\"include\"><ac:parameter ac:name=\"\">\
                 <ac:link><ri:page ri:content-title=\"{title}\" /></ac:link>\
                 </ac:parameter></ac:structured-macro>"
            )
        })
        .collect();
    generated.ctl(
        "POST",
        "/__sim/pages",
        json!({"space": "GEN0", "parent_id": pages[0]["id"], "title": "Includes Many", "body": includes}),
    );
    for (site, start, name) in [
        (Site::demo("pipeline-side-demo"), all_spaces(), "demo"),
        (Site::demo("pipeline-side-space"), demo_space(), "DEMO"),
        (generated, all_spaces(), "generated"),
    ] {
        let mut contents = Vec::new();
        for threads in [1, 4] {
            let out = site.out.join(format!("threads-{threads}"));
            let mut req = request(&out, start.clone());
            req.convert_threads = Some(threads);
            let o = run(&site.client, req).unwrap();
            assert!(o.failures.is_empty(), "{name}: {:?}", o.failures);
            assert!(written(&o) >= 20, "{name}: {} written", written(&o));
            contents.push(content(&out));
        }
        assert!(
            contents[0] == contents[1],
            "{name}: the files differ: {:?}",
            contents[0]
                .iter()
                .filter(|(k, v)| contents[1].get(*k) != Some(v))
                .map(|(k, _)| k)
                .collect::<Vec<_>>()
        );
        std::fs::remove_dir_all(&site.out).ok();
    }
}
