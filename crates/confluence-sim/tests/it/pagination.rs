//! Pagination fidelity on a generated 10,000-page site: every listing walked
//! at the limit boundaries loses and repeats no page, v2 `Link` and
//! `_links.next` agree (checked inside `Sim::walk_v2`), v1 offset and cursor
//! links follow the v1 rules, and the documented limit caps and 400s hold.

use crate::common;

use std::collections::BTreeSet;
use std::sync::OnceLock;

use common::{Sim, enc, ids, unique};
use serde_json::Value;

const PAGES: usize = 10_000;
const SPEC: &str = "pages=10000,spaces=1,depth=6,attachments=0,body_kb=1,seed=7";

fn site() -> &'static Sim {
    static S: OnceLock<Sim> = OnceLock::new();
    S.get_or_init(|| common::cloud(common::generated(SPEC)))
}

fn space_id(sim: &Sim) -> String {
    let (spaces, _) = sim.walk_v2(&sim.v2("/spaces?keys=GEN0"));
    assert_eq!(spaces.len(), 1, "GEN0 exists once");
    spaces[0]["id"].as_str().expect("string id").to_string()
}

/// The reference id set: `/spaces/{id}/pages` at the maximum limit.
fn all_ids() -> &'static BTreeSet<String> {
    static S: OnceLock<BTreeSet<String>> = OnceLock::new();
    S.get_or_init(|| {
        let sim = site();
        let sid = space_id(sim);
        let (pages, calls) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));
        let set = unique(&ids(&pages));
        assert_eq!(set.len(), PAGES, "generated site lists {PAGES} pages");
        assert_eq!(calls, PAGES.div_ceil(250), "exactly ceil(n/limit) requests");
        set
    })
}

/// Walks a v2 listing and checks it against the reference set.
fn walk_v2_exact(sim: &Sim, path: &str, limit: usize) {
    let (pages, calls) = sim.walk_v2(path);
    let got = unique(&ids(&pages));
    let want = all_ids();
    let lost: Vec<_> = want.difference(&got).take(5).collect();
    let extra: Vec<_> = got.difference(want).take(5).collect();
    assert!(
        lost.is_empty() && extra.is_empty(),
        "{path}: lost {lost:?}, unexpected {extra:?} ({} of {})",
        got.len(),
        want.len()
    );
    assert_eq!(
        calls,
        want.len().div_ceil(limit),
        "{path}: the last page must carry no next link"
    );
}

#[test]
fn v2_space_pages_limit_250() {
    assert_eq!(all_ids().len(), PAGES);
}

#[test]
fn v2_space_pages_limit_249() {
    let sim = site();
    let sid = space_id(sim);
    walk_v2_exact(sim, &sim.v2(&format!("/spaces/{sid}/pages?limit=249")), 249);
}

#[test]
fn v2_space_pages_limit_25_and_default() {
    let sim = site();
    let sid = space_id(sim);
    walk_v2_exact(
        sim,
        &sim.v2(&format!(
            "/spaces/{sid}/pages?limit=25&status=current,archived&sort=id"
        )),
        25,
    );
    // No limit: the default is 25.
    let first = sim.json(&sim.v2(&format!("/spaces/{sid}/pages")));
    assert_eq!(first["results"].as_array().unwrap().len(), 25);
}

#[test]
fn v2_space_pages_limit_2() {
    let sim = site();
    let sid = space_id(sim);
    walk_v2_exact(sim, &sim.v2(&format!("/spaces/{sid}/pages?limit=2")), 2);
}

#[test]
fn v2_pages_limit_250_with_bodies() {
    let sim = site();
    let sid = space_id(sim);
    let path = sim.v2(&format!(
        "/pages?space-id={sid}&body-format=storage&limit=250"
    ));
    let (pages, _) = sim.walk_v2(&path);
    for p in &pages {
        let body = p["body"]["storage"]["value"].as_str().unwrap_or_default();
        assert!(!body.is_empty(), "page {} has no storage body", p["id"]);
        assert_eq!(p["body"]["storage"]["representation"], "storage");
    }
    walk_v2_exact(sim, &sim.v2("/pages?limit=250"), 250);
}

#[test]
fn v2_pages_limit_249_and_2() {
    let sim = site();
    walk_v2_exact(sim, &sim.v2("/pages?limit=249&sort=-id"), 249);
    walk_v2_exact(sim, &sim.v2("/pages?limit=2"), 2);
}

#[test]
fn v2_sort_orders() {
    let sim = site();
    let num = |v: &Value| v["id"].as_str().unwrap().parse::<u64>().unwrap();
    let asc = sim.json(&sim.v2("/pages?sort=id&limit=250"));
    let asc: Vec<u64> = asc["results"].as_array().unwrap().iter().map(num).collect();
    assert!(asc.windows(2).all(|w| w[0] < w[1]), "sort=id ascending");
    let desc = sim.json(&sim.v2("/pages?sort=-id&limit=250"));
    let desc: Vec<u64> = desc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(num)
        .collect();
    assert!(desc.windows(2).all(|w| w[0] > w[1]), "sort=-id descending");
    let max = all_ids().iter().map(|i| i.parse::<u64>().unwrap()).max();
    assert_eq!(desc.first().copied(), max);
}

/// limit=1 walks one request per page: 10,000 requests. Run with
/// `cargo test -p confluence-sim --test pagination -- --ignored`.
#[test]
#[ignore = "10,000 requests; slow in debug builds"]
fn v2_limit_1_full_site() {
    let sim = site();
    let sid = space_id(sim);
    walk_v2_exact(sim, &sim.v2(&format!("/spaces/{sid}/pages?limit=1")), 1);
    walk_v2_exact(sim, &sim.v2("/pages?limit=1"), 1);
}

/// limit=1 on a smaller site keeps CI fast while covering the boundary.
#[test]
fn v2_limit_1_small_site() {
    let sim = common::cloud(common::generated(
        "pages=600,spaces=2,depth=4,attachments=0,body_kb=1,seed=11",
    ));
    let (reference, _) = sim.walk_v2(&sim.v2("/pages?limit=250"));
    let reference = unique(&ids(&reference));
    assert_eq!(reference.len(), 600);
    let (one, calls) = sim.walk_v2(&sim.v2("/pages?limit=1"));
    assert_eq!(unique(&ids(&one)), reference);
    assert_eq!(calls, 600);
    let (spaces, _) = sim.walk_v2(&sim.v2("/spaces?limit=1"));
    let keys: BTreeSet<_> = spaces.iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, BTreeSet::from(["GEN0", "GEN1"]));
    let mut per_space = BTreeSet::new();
    for s in &spaces {
        let sid = s["id"].as_str().unwrap();
        let (p, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=1")));
        for id in ids(&p) {
            assert!(per_space.insert(id), "page listed in two spaces");
        }
    }
    assert_eq!(per_space, reference);
}

/// Descendants of the root pages plus the roots are the whole space.
#[test]
fn v2_descendants_cover_the_tree() {
    let sim = site();
    let sid = space_id(sim);
    let (roots, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?depth=root&limit=250")));
    assert!(!roots.is_empty());
    let mut seen = unique(&ids(&roots));
    for r in &roots {
        let id = r["id"].as_str().unwrap();
        let (d, _) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/descendants?depth=10&limit=250")));
        for item in &d {
            if item["type"] == "page" {
                let id = item["id"].as_str().unwrap().to_string();
                assert!(seen.insert(id.clone()), "descendant {id} listed twice");
            }
        }
    }
    assert_eq!(&seen, all_ids());
}

#[test]
fn v2_limit_and_filter_errors() {
    let sim = site();
    let sid = space_id(sim);
    for path in [
        sim.v2("/pages?limit=0"),
        sim.v2("/pages?limit=251"),
        sim.v2(&format!("/spaces/{sid}/pages?limit=0")),
        sim.v2(&format!("/spaces/{sid}/pages?limit=251")),
        sim.v2("/spaces?limit=251"),
        sim.v2("/pages?cursor=not-a-real-cursor"),
    ] {
        let r = sim.get(&path);
        assert_eq!(r.status, 400, "{path}: {}", r.text());
        let body = r.json();
        assert_eq!(
            body["errors"][0]["status"], 400,
            "{path}: v2 error body {body}"
        );
        assert!(body["errors"][0]["code"].is_string(), "{body}");
    }
    let many: Vec<String> = all_ids().iter().take(251).cloned().collect();
    let r = sim.get(&sim.v2(&format!("/pages?id={}", many.join(","))));
    assert_eq!(r.status, 400, "251 ids: {}", r.text());
    let ok: Vec<String> = all_ids().iter().take(250).cloned().collect();
    let body = sim.json(&sim.v2(&format!("/pages?id={}&limit=250", ok.join(","))));
    let got = unique(&ids(body["results"].as_array().unwrap()));
    assert_eq!(
        got,
        ok.into_iter().collect::<BTreeSet<_>>(),
        "250 ids filter"
    );
}

#[test]
fn v1_content_offset_paging() {
    let sim = site();
    let (pages, calls) = sim.walk_v1(&sim.v1("/content?spaceKey=GEN0&type=page&limit=1000"));
    assert_eq!(&unique(&ids(&pages)), all_ids(), "limit 1000");
    assert_eq!(calls, PAGES.div_ceil(1000), "no empty trailing page");
    // An odd limit near the end: the last window is short and has no next.
    let tail = sim.json(&sim.v1("/content?spaceKey=GEN0&type=page&limit=333&start=9990"));
    assert_eq!(tail["size"], 10, "{}", tail["_links"]);
    assert!(tail["_links"]["next"].is_null(), "{}", tail["_links"]);
    assert_eq!(tail["start"], 9990);
    // Clamped at 1000, reported in `limit`.
    let body = sim.json(&sim.v1("/content?spaceKey=GEN0&type=page&limit=5000"));
    assert_eq!(body["limit"], 1000, "v1 limit clamps at 1000");
    assert_eq!(body["size"], 1000);
    assert_eq!(body["start"], 0);
    let next = body["_links"]["next"].as_str().expect("next link");
    assert!(next.starts_with("/rest/api/content"), "{next}");
    assert!(next.contains("start=1000"), "{next}");
    // start beyond 100000 is refused with a v1 error body.
    let r = sim.get(&sim.v1("/content?spaceKey=GEN0&type=page&start=100001"));
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(r.json()["statusCode"], 400);
    let r = sim.get(&sim.v1("/content?spaceKey=GEN0&type=page&start=100000"));
    assert_eq!(r.status, 200, "start=100000 is still allowed: {}", r.text());
    assert_eq!(r.json()["size"], 0);
}

#[test]
fn v1_cql_cursor_paging() {
    let sim = site();
    let cql = enc("type = page AND space = \"GEN0\" ORDER BY id ASC");
    let (pages, _) = sim.walk_v1(&sim.v1(&format!("/content/search?cql={cql}&limit=250")));
    assert_eq!(&unique(&ids(&pages)), all_ids());
    // CQL search pages by cursor; the link is relative to _links.base.
    let first = sim.json(&sim.v1(&format!("/content/search?cql={cql}&limit=100")));
    let next = first["_links"]["next"].as_str().expect("next link");
    assert!(
        next.starts_with("/rest/api/content/search?") && next.contains("cursor="),
        "{next}"
    );
    assert!(next.contains("limit=100"), "limit kept: {next}");
    // Bodies expanded: at most 50 per response, silently.
    let body = sim.json(&sim.v1(&format!(
        "/content/search?cql={cql}&limit=200&expand=body.storage"
    )));
    let n = body["results"].as_array().unwrap().len();
    assert!(n <= 50 && n > 0, "body expansion caps at 50, got {n}");
    assert!(body["_links"]["next"].is_string());
    // export_view expansions cap at 25 (v1 spec).
    let body = sim.json(&sim.v1(&format!(
        "/content/search?cql={cql}&limit=100&expand=body.export_view"
    )));
    let n = body["results"].as_array().unwrap().len();
    assert!(
        n <= 25 && n > 0,
        "export_view expansion caps at 25, got {n}"
    );
    // /search returns SearchResult wrappers around content.
    let (results, _) = sim.walk_v1(&sim.v1(&format!("/search?cql={cql}&limit=250")));
    let search_ids: Vec<String> = results
        .iter()
        .map(|r| r["content"]["id"].as_str().expect("content.id").to_string())
        .collect();
    assert_eq!(&unique(&search_ids), all_ids());
}

#[test]
fn dc_scan_and_offset_paging() {
    let sim = common::dc(common::generated(SPEC), "/confluence");
    let (scanned, _) = sim.walk_v1(&sim.v1("/content/scan?spaceKey=GEN0&limit=500"));
    let scanned = unique(&ids(&scanned));
    assert_eq!(scanned.len(), PAGES);
    let (offset, _) = sim.walk_v1(&sim.v1("/content?spaceKey=GEN0&type=page&limit=1000"));
    assert_eq!(
        unique(&ids(&offset)),
        scanned,
        "scan and offset listings agree"
    );
    let body = sim.json(&sim.v1("/content?spaceKey=GEN0&type=page&limit=10"));
    let base = body["_links"]["base"].as_str().unwrap();
    assert_eq!(
        base,
        format!("{}/confluence", sim.origin),
        "DC base includes the context path"
    );
    assert_eq!(body["_links"]["context"], "/confluence");
    let next = body["_links"]["next"].as_str().unwrap();
    assert!(next.starts_with("/rest/api/content?"), "{next}");
    // ARIs are a Cloud-only addition.
    let page = &body["results"][0];
    assert!(
        page.get("ari").is_none() && page.get("base64EncodedAri").is_none(),
        "{page}"
    );
    let cloud = site().json(&site().v1("/content?spaceKey=GEN0&type=page&limit=1"));
    assert_eq!(cloud["_links"]["context"], "/wiki");
    let ari = cloud["results"][0]["ari"]
        .as_str()
        .expect("Cloud content has an ari");
    assert!(ari.starts_with("ari:cloud:confluence:"), "{ari}");
}

/// The Link parser used by every walk must cope with commas inside URLs.
#[test]
fn link_header_parsing() {
    let h = "</wiki/api/v2/pages?status=current,archived&cursor=abc>; rel=\"next\", <https://x.atlassian.net/wiki>; rel=\"base\"";
    assert_eq!(
        common::link_next(h).as_deref(),
        Some("/wiki/api/v2/pages?status=current,archived&cursor=abc")
    );
    assert_eq!(
        common::link_next("<https://x.atlassian.net/wiki>; rel=\"base\""),
        None
    );
}

/// Cursor pagination survives edits made during the walk: pages that exist
/// throughout are seen exactly once, whatever is created or trashed meanwhile.
#[test]
fn v2_cursor_survives_mutation() {
    let sim = common::cloud(common::generated(
        "pages=1000,spaces=1,depth=4,attachments=0,body_kb=1,seed=21",
    ));
    let sid = space_id(&sim);
    let (before, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));
    let before = unique(&ids(&before));
    let parent = before.iter().next().unwrap().clone();
    let mut path = sim.v2(&format!("/spaces/{sid}/pages?limit=50"));
    let mut seen = Vec::new();
    let mut trashed = BTreeSet::new();
    let mut calls = 0;
    loop {
        let body = sim.json(&path);
        seen.extend(ids(body["results"].as_array().unwrap()));
        calls += 1;
        if calls == 5 {
            for i in 0..3 {
                sim.control_ok(
                    "POST",
                    "/__sim/pages",
                    Some(serde_json::json!({"space": "GEN0", "parent_id": parent,
                        "title": format!("Inserted mid-walk {i}"), "body": "<p>x</p>"})),
                );
            }
            // Trash two pages not seen yet.
            let seen_set: BTreeSet<&String> = seen.iter().collect();
            for id in before.iter().filter(|i| !seen_set.contains(i)).take(2) {
                sim.control_ok("DELETE", &format!("/__sim/pages/{id}"), None);
                trashed.insert(id.clone());
            }
        }
        match body["_links"]["next"].as_str() {
            Some(n) => path = n.to_string(),
            None => break,
        }
    }
    let seen_set = unique(&seen);
    for id in before.difference(&trashed) {
        assert!(
            seen_set.contains(id),
            "page {id} lost by a walk during edits"
        );
    }
    for id in &trashed {
        assert!(!seen_set.contains(id), "trashed page {id} still listed");
    }
}

/// Child listings agree with each other and come in child-position order.
#[test]
fn children_listings_agree() {
    let sim = common::cloud(common::generated(
        "pages=600,spaces=1,depth=3,attachments=0,body_kb=1,seed=13",
    ));
    let sid = space_id(&sim);
    let (roots, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?depth=root&limit=250")));
    let (all, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));
    let mut checked = 0;
    for parent in roots.iter().chain(all.iter().take(20)) {
        let pid = parent["id"].as_str().unwrap();
        let (direct, _) = sim.walk_v2(&sim.v2(&format!("/pages/{pid}/direct-children?limit=3")));
        let (legacy, _) = sim.walk_v2(&sim.v2(&format!("/pages/{pid}/children?limit=7")));
        let (v1, _) = sim.walk_v1(&sim.v1(&format!("/content/{pid}/child/page?limit=5")));
        let pages_only: Vec<String> = direct
            .iter()
            .filter(|c| c["type"] == "page")
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            pages_only,
            ids(&legacy),
            "direct-children vs children of {pid}"
        );
        assert_eq!(
            unique(&ids(&legacy)),
            unique(&ids(&v1)),
            "v2 vs v1 children of {pid}"
        );
        let from_listing: BTreeSet<String> = all
            .iter()
            .filter(|p| p["parentId"] == pid)
            .map(|p| p["id"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            unique(&ids(&legacy)),
            from_listing,
            "parentId agrees for {pid}"
        );
        let positions: Vec<i64> = legacy
            .iter()
            .map(|c| c["childPosition"].as_i64().expect("childPosition"))
            .collect();
        assert!(
            positions.windows(2).all(|w| w[0] <= w[1]),
            "children of {pid} not in child-position order: {positions:?}"
        );
        checked += legacy.len();
    }
    assert!(checked > 50, "too few children checked: {checked}");
}
