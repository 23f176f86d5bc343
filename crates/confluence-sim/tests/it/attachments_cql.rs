//! CQL search for attachments (`type = attachment AND space = "KEY"`), as a
//! whole-space attachment inventory: checked against the per-page listings,
//! on Cloud and Data Center, through pagination, restrictions, deletes, new
//! versions and the trash.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use common::{Flavor, Sim, enc, ids};
use serde_json::json;

/// About 600 attachments over 300 pages in GEN0 (and some in GEN1).
const SPEC: &str = "pages=600,spaces=2,depth=4,attachments=2,body_kb=1,seed=23";

fn sims() -> Vec<Sim> {
    vec![
        common::cloud(common::generated(SPEC)),
        common::dc(common::generated(SPEC), "/confluence"),
    ]
}

fn cql_path(sim: &Sim, cql: &str, limit: usize) -> String {
    sim.v1(&format!(
        "/content/search?cql={}&limit={limit}&expand=version,container",
        enc(cql)
    ))
}

const QUERY: &str = "type=attachment AND space=\"GEN0\"";

/// (attachment id → (page id, version, filename)) through CQL.
fn by_cql(sim: &Sim, cql: &str, limit: usize) -> (BTreeMap<String, (String, u64, String)>, usize) {
    let (results, calls) = sim.walk_v1(&cql_path(sim, cql, limit));
    let list = ids(&results);
    let unique: BTreeSet<&String> = list.iter().collect();
    assert_eq!(unique.len(), list.len(), "an attachment repeats in {cql}");
    let map = results
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                (
                    a["container"]["id"].as_str().unwrap().to_string(),
                    a["version"]["number"].as_u64().unwrap(),
                    a["title"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect();
    (map, calls)
}

/// The same through every page's and blog post's own attachment listing
/// (the oracle).
fn by_pages(sim: &Sim, key: &str) -> BTreeMap<String, (String, u64, String)> {
    let (mut pages, _) =
        sim.walk_v1(&sim.v1(&format!("/content?spaceKey={key}&type=page&limit=1000")));
    let (posts, _) =
        sim.walk_v1(&sim.v1(&format!("/content?spaceKey={key}&type=blogpost&limit=1000")));
    assert!(!posts.is_empty(), "the generated space has blog posts");
    pages.extend(posts);
    let mut out = BTreeMap::new();
    for p in ids(&pages) {
        let (atts, _) = sim.walk_v1(&sim.v1(&format!(
            "/content/{p}/child/attachment?limit=1000&expand=version"
        )));
        for a in atts {
            out.insert(
                a["id"].as_str().unwrap().to_string(),
                (
                    p.clone(),
                    a["version"]["number"].as_u64().unwrap(),
                    a["title"].as_str().unwrap().to_string(),
                ),
            );
        }
    }
    out
}

#[test]
fn lists_every_attachment_of_a_space_in_the_v1_shape() {
    for sim in sims() {
        let cloud = sim.flavor == Flavor::Cloud;
        let want = by_pages(&sim, "GEN0");
        assert!(want.len() > 500, "the generated space has {}", want.len());

        // Loses and repeats nothing, whatever the page size.
        for limit in [1000, 250, 100, 7] {
            let (got, calls) = by_cql(&sim, QUERY, limit);
            assert_eq!(got, want, "limit {limit}");
            let page = limit.min(if cloud { 250 } else { 200 });
            assert_eq!(calls, want.len().div_ceil(page), "limit {limit}");
        }

        // The cap shows in `limit`; the next link pages by cursor on Cloud,
        // by offset on Data Center, and keeps the query.
        let first = sim.json(&cql_path(&sim, QUERY, 1000));
        let cap = if cloud { 250 } else { 200 };
        assert_eq!(first["limit"], cap, "{:.300}", first.to_string());
        assert_eq!(first["size"], cap);
        let next = first["_links"]["next"].as_str().unwrap();
        assert!(next.starts_with("/rest/api/content/search?"), "{next}");
        assert!(
            next.contains(if cloud { "cursor=" } else { "start=200" }),
            "{next}"
        );
        assert!(
            next.contains("expand=version%2Ccontainer")
                || next.contains("expand=version,container"),
            "{next}"
        );

        // The real v1 attachment shape.
        let a = &first["results"][0];
        let id = a["id"].as_str().unwrap();
        assert!(
            id.starts_with("att") && id[3..].parse::<u64>().is_ok(),
            "{a}"
        );
        assert_eq!(a["type"], "attachment");
        assert_eq!(a["status"], "current");
        assert!(a["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(a["version"]["number"].as_u64().unwrap() >= 1);
        assert_eq!(a["container"]["type"], "page");
        assert!(a["container"]["id"].is_string() && a["container"]["title"].is_string());
        assert!(a["extensions"]["mediaType"].is_string(), "{a}");
        let size = a["extensions"]["fileSize"].as_u64().unwrap();
        let download = a["_links"]["download"].as_str().unwrap();
        assert!(
            download.starts_with(&format!(
                "/download/attachments/{}/",
                a["container"]["id"].as_str().unwrap()
            )),
            "{download}"
        );
        if !cloud {
            // Relative to the context path, and it serves the file.
            let base = first["_links"]["base"].as_str().unwrap();
            let r = sim.get(&format!("{base}{download}"));
            assert_eq!(r.status, 200);
            assert_eq!(r.body.len() as u64, size);
        }

        // Other spellings: no quotes, lower case keywords, field case.
        for q in [
            "type = attachment and space = GEN0",
            "TYPE = ATTACHMENT AND SPACE = \"GEN0\"",
            "space = GEN0 and type in (attachment)",
        ] {
            assert_eq!(by_cql(&sim, q, 250).0, want, "{q}");
        }
        // Another space's attachments are not in this one's.
        let other = by_cql(&sim, "type = attachment and space = GEN1", 250).0;
        assert!(!other.is_empty());
        assert!(other.keys().all(|k| !want.contains_key(k)));
        // Pages only, as before, when attachments are not asked for.
        let pages = sim.json(&sim.v1(&format!(
            "/content/search?cql={}&limit=1000",
            enc("space = GEN0")
        )));
        assert!(
            pages["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["type"] == "page")
        );
    }
}

#[test]
fn follows_restrictions_deletes_versions_and_the_trash() {
    for sim in sims() {
        let (start, _) = by_cql(&sim, QUERY, 250);
        // A page with attachments and a child with attachments.
        let pages_with: BTreeSet<&String> = start.values().map(|(p, _, _)| p).collect();
        let parent = pages_with
            .iter()
            .find(|p| {
                let c = sim.json(&sim.v1(&format!("/content/{p}/child/page?limit=1000")));
                c["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| pages_with.contains(&k["id"].as_str().unwrap().to_string()))
            })
            .map(|p| p.to_string())
            .expect("a page with attachments whose child has attachments");
        let below: BTreeSet<String> = {
            let (d, _) = sim.walk_v1(&sim.v1(&format!(
                "/content/search?cql={}&limit=1000",
                enc(&format!("ancestor = {parent} and type = page"))
            )));
            ids(&d).into_iter().chain([parent.clone()]).collect()
        };
        let hidden: BTreeSet<String> = start
            .iter()
            .filter(|(_, (p, _, _))| below.contains(p))
            .map(|(a, _)| a.clone())
            .collect();
        assert!(hidden.len() >= 2);

        // Read restrictions hide the page's and its descendants' attachments.
        sim.control_ok(
            "PUT",
            &format!("/__sim/pages/{parent}/restrictions"),
            Some(json!({"read": ["557058:someone-else"]})),
        );
        let (now, _) = by_cql(&sim, QUERY, 250);
        let want: BTreeSet<String> = start
            .keys()
            .filter(|a| !hidden.contains(*a))
            .cloned()
            .collect();
        assert_eq!(now.keys().cloned().collect::<BTreeSet<_>>(), want);
        sim.control_ok(
            "PUT",
            &format!("/__sim/pages/{parent}/restrictions"),
            Some(json!({"read": []})),
        );
        assert_eq!(by_cql(&sim, QUERY, 250).0, start);

        // A new version shows its number; a deleted attachment disappears.
        let (att, (page, version, filename)) = start.iter().next().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(b"a new version");
        let r = sim.control_ok(
            "POST",
            &format!("/__sim/pages/{page}/attachments"),
            Some(json!({"filename": filename, "data_base64": b64})),
        );
        assert_eq!(r["id"], att.as_str());
        let (now, _) = by_cql(&sim, QUERY, 250);
        assert_eq!(now[att].1, version + 1);
        let fresh = sim.json(&cql_path(
            &sim,
            &format!("type = attachment and id = {}", &att[3..]),
            25,
        ));
        assert_eq!(fresh["results"][0]["extensions"]["fileSize"], 13);

        let gone = start.keys().nth(1).unwrap();
        let r = sim.control("DELETE", &format!("/__sim/attachments/{gone}"), None);
        assert_eq!(r.status, 204);
        let (now, _) = by_cql(&sim, QUERY, 250);
        assert!(!now.contains_key(gone));
        assert_eq!(now.len(), start.len() - 1);

        // A trashed page's attachments disappear and come back on restore.
        let (trashed_page, trashed_atts) = {
            let p = &start.values().nth(5).unwrap().0;
            let a: BTreeSet<String> = now
                .iter()
                .filter(|(_, (q, _, _))| q == p)
                .map(|(a, _)| a.clone())
                .collect();
            (p.clone(), a)
        };
        sim.control("DELETE", &format!("/__sim/pages/{trashed_page}"), None);
        let (after, _) = by_cql(&sim, QUERY, 250);
        assert!(trashed_atts.iter().all(|a| !after.contains_key(a)));
        assert_eq!(after.len(), now.len() - trashed_atts.len());
        sim.control_ok(
            "PATCH",
            &format!("/__sim/pages/{trashed_page}"),
            Some(json!({"status": "current"})),
        );
        assert_eq!(by_cql(&sim, QUERY, 250).0, now);
    }
}

#[test]
fn attachment_searches_are_counted_like_other_calls() {
    for sim in sims() {
        sim.control_ok("POST", "/__sim/stats/reset", None);
        let (_, calls) = by_cql(&sim, QUERY, 100);
        let s = sim.control_ok("GET", "/__sim/stats", None);
        assert_eq!(s["requests"], calls as u64, "{s}");
        let route = format!("GET {}/rest/api/content/search", sim.prefix);
        assert_eq!(s["by_route"][&route], calls as u64, "{s}");
    }
}
