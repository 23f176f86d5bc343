//! Page lifecycle through the control API, observed through the Confluence
//! API: creation, edits as versions, moves, trash and purge, read
//! restrictions, attachment versions, and the request statistics.

use crate::common;

use std::collections::BTreeSet;

use base64::Engine as _;
use common::{Sim, SimConfig, enc, ids};
use serde_json::{Value, json};

fn sim() -> Sim {
    common::cloud(SimConfig::demo())
}

fn space(sim: &Sim, key: &str) -> Value {
    let body = sim.json(&sim.v2(&format!("/spaces?keys={key}")));
    body["results"][0].clone()
}

fn create(sim: &Sim, space: &str, parent: Option<&str>, title: &str, body: &str) -> String {
    let v = sim.control_ok(
        "POST",
        "/__sim/pages",
        Some(json!({"space": space, "parent_id": parent, "title": title, "body": body})),
    );
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("POST /__sim/pages returns a string id: {v}"))
        .to_string()
}

fn listed_ids(sim: &Sim, path: &str) -> BTreeSet<String> {
    let (items, _) = sim.walk_v2(path);
    ids(&items).into_iter().collect()
}

fn v1_listed_ids(sim: &Sim, path: &str) -> BTreeSet<String> {
    let (items, _) = sim.walk_v1(path);
    ids(&items).into_iter().collect()
}

fn is_ms_iso(s: &str) -> bool {
    // 2024-07-14T05:04:55.106Z
    let b = s.as_bytes();
    b.len() == 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'.'
        && b[23] == b'Z'
        && s.chars()
            .enumerate()
            .all(|(i, c)| [4, 7, 10, 13, 16, 19, 23].contains(&i) || c.is_ascii_digit())
}

/// A root page of the DEMO space to hang test pages under.
fn demo_root(sim: &Sim) -> (String, String) {
    let sp = space(sim, "DEMO");
    let sid = sp["id"].as_str().unwrap().to_string();
    let home = sp["homepageId"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            let b = sim.json(&sim.v2(&format!("/spaces/{sid}/pages?depth=root&limit=1")));
            b["results"][0]["id"].as_str().unwrap().to_string()
        });
    (sid, home)
}

#[test]
fn create_edit_version_history() {
    let sim = sim();
    let (sid, home) = demo_root(&sim);
    let id = create(
        &sim,
        "DEMO",
        Some(&home),
        "Lifecycle One",
        "<p>first body</p>",
    );

    let p = sim.json(&sim.v2(&format!("/pages/{id}?body-format=storage")));
    assert_eq!(p["id"], id.as_str());
    assert_eq!(p["title"], "Lifecycle One");
    assert_eq!(p["status"], "current");
    assert_eq!(p["spaceId"], sid.as_str());
    assert_eq!(p["parentId"], home.as_str());
    assert_eq!(p["parentType"], "page");
    assert_eq!(p["version"]["number"], 1);
    assert_eq!(p["body"]["storage"]["value"], "<p>first body</p>");
    let created = p["createdAt"].as_str().unwrap();
    assert!(is_ms_iso(created), "createdAt ms-precision UTC: {created}");
    assert!(is_ms_iso(p["version"]["createdAt"].as_str().unwrap()));

    // Listed in the space, in /pages and under its parent; found by CQL.
    assert!(listed_ids(&sim, &sim.v2(&format!("/spaces/{sid}/pages?limit=250"))).contains(&id));
    assert!(
        listed_ids(
            &sim,
            &sim.v2(&format!("/pages/{home}/direct-children?limit=250"))
        )
        .contains(&id)
    );
    assert!(
        v1_listed_ids(
            &sim,
            &sim.v1(&format!("/content/{home}/child/page?limit=200"))
        )
        .contains(&id)
    );
    let cql = enc("type = page AND title = \"Lifecycle One\"");
    let found = sim.json(&sim.v1(&format!("/content/search?cql={cql}")));
    assert_eq!(
        found["results"][0]["id"],
        id.as_str(),
        "CQL title search: {found}"
    );

    // An edit is a new version; the old one stays readable.
    sim.control_ok(
        "PATCH",
        &format!("/__sim/pages/{id}"),
        Some(json!({"body": "<p>second body</p>"})),
    );
    sim.control_ok(
        "PATCH",
        &format!("/__sim/pages/{id}"),
        Some(json!({"title": "Lifecycle One (renamed)"})),
    );
    let p = sim.json(&sim.v2(&format!("/pages/{id}?body-format=storage")));
    assert_eq!(p["version"]["number"], 3);
    assert_eq!(p["title"], "Lifecycle One (renamed)");
    assert_eq!(p["body"]["storage"]["value"], "<p>second body</p>");
    assert_eq!(p["createdAt"], created, "page createdAt does not move");

    let v1 = sim.json(&sim.v2(&format!("/pages/{id}?body-format=storage&version=1")));
    assert_eq!(v1["version"]["number"], 1);
    assert_eq!(v1["body"]["storage"]["value"], "<p>first body</p>");
    assert_eq!(v1["title"], "Lifecycle One");
    let v2 = sim.json(&sim.v2(&format!("/pages/{id}?body-format=storage&version=2")));
    assert_eq!(v2["body"]["storage"]["value"], "<p>second body</p>");
    let r = sim.get(&sim.v2(&format!("/pages/{id}?version=9")));
    assert_eq!(r.status, 404, "a version that does not exist: {}", r.text());

    let (versions, _) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/versions")));
    let numbers: BTreeSet<u64> = versions
        .iter()
        .map(|v| v["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, BTreeSet::from([1, 2, 3]));
    let (one_by_one, calls) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/versions?limit=1")));
    assert_eq!(one_by_one.len(), 3);
    assert_eq!(calls, 3, "versions paginate by cursor too");
    for v in &versions {
        assert!(is_ms_iso(v["createdAt"].as_str().unwrap()), "{v}");
    }

    let old = sim.json(&sim.v1(&format!(
        "/content/{id}?status=historical&version=1&expand=body.storage,version"
    )));
    assert_eq!(old["version"]["number"], 1);
    assert_eq!(old["body"]["storage"]["value"], "<p>first body</p>");
    let cur = sim.json(&sim.v1(&format!("/content/{id}?expand=version,body.storage")));
    assert_eq!(cur["version"]["number"], 3);
}

#[test]
fn move_changes_parent_ancestors_and_children() {
    let sim = sim();
    let (_, home) = demo_root(&sim);
    let a = create(&sim, "DEMO", Some(&home), "Move Parent A", "<p>a</p>");
    let b = create(&sim, "DEMO", Some(&home), "Move Parent B", "<p>b</p>");
    let child = create(&sim, "DEMO", Some(&a), "Moving Child", "<p>c</p>");
    let before = sim.json(&sim.v2(&format!("/pages/{child}")));
    assert_eq!(before["parentId"], a.as_str());

    sim.control_ok(
        "PATCH",
        &format!("/__sim/pages/{child}"),
        Some(json!({"parent_id": b})),
    );
    let after = sim.json(&sim.v2(&format!("/pages/{child}")));
    assert_eq!(after["parentId"], b.as_str());
    let anc = sim.json(&sim.v2(&format!("/pages/{child}/ancestors")));
    let anc: Vec<&str> = anc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        anc.last().copied(),
        Some(b.as_str()),
        "immediate parent last"
    );
    assert!(anc.contains(&home.as_str()));
    assert!(!anc.contains(&a.as_str()));
    assert!(!listed_ids(&sim, &sim.v2(&format!("/pages/{a}/direct-children"))).contains(&child));
    assert!(listed_ids(&sim, &sim.v2(&format!("/pages/{b}/direct-children"))).contains(&child));
    let v1 = sim.json(&sim.v1(&format!("/content/{child}?expand=ancestors")));
    let last = v1["ancestors"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last["id"],
        b.as_str(),
        "v1 ancestors: root first, parent last"
    );
}

#[test]
fn trash_then_purge() {
    let sim = sim();
    let (sid, home) = demo_root(&sim);
    let id = create(&sim, "DEMO", Some(&home), "Doomed Page", "<p>bye</p>");
    let listing = sim.v2(&format!("/spaces/{sid}/pages?limit=250"));

    let r = sim.control("DELETE", &format!("/__sim/pages/{id}"), None);
    assert!((200..300).contains(&r.status), "trash: {}", r.text());
    // Direct GET still answers, with the trashed status.
    let p = sim.json(&sim.v2(&format!("/pages/{id}")));
    assert_eq!(p["status"], "trashed");
    let v1 = sim.json(&sim.v1(&format!("/content/{id}?status=trashed")));
    assert_eq!(v1["status"], "trashed");
    // Gone from the default listings, present when asked for.
    assert!(!listed_ids(&sim, &listing).contains(&id));
    assert!(!listed_ids(&sim, &sim.v2("/pages?limit=250")).contains(&id));
    assert!(!listed_ids(&sim, &sim.v2(&format!("/pages/{home}/direct-children"))).contains(&id));
    assert!(
        !v1_listed_ids(&sim, &sim.v1("/content?spaceKey=DEMO&type=page&limit=1000")).contains(&id)
    );
    assert!(!listed_ids(&sim, &sim.v2(&format!("/pages/{home}/children"))).contains(&id));
    assert!(
        !listed_ids(
            &sim,
            &sim.v2(&format!("/pages/{home}/descendants?depth=10&limit=250"))
        )
        .contains(&id)
    );
    assert!(
        !v1_listed_ids(
            &sim,
            &sim.v1(&format!("/content/{home}/child/page?limit=200"))
        )
        .contains(&id)
    );
    assert!(
        !v1_listed_ids(
            &sim,
            &sim.v1(&format!("/content/{home}/descendant/page?limit=200"))
        )
        .contains(&id)
    );
    let cql = enc("type = page AND title = \"Doomed Page\"");
    let found = sim.json(&sim.v1(&format!("/content/search?cql={cql}")));
    assert_eq!(
        found["size"], 0,
        "trashed pages are not searchable: {found}"
    );
    assert!(
        listed_ids(
            &sim,
            &sim.v2(&format!("/spaces/{sid}/pages?limit=250&status=trashed"))
        )
        .contains(&id)
    );

    let r = sim.control("DELETE", &format!("/__sim/pages/{id}?purge=true"), None);
    assert!((200..300).contains(&r.status), "purge: {}", r.text());
    let r = sim.get(&sim.v2(&format!("/pages/{id}")));
    assert_eq!(r.status, 404);
    assert_v2_404(&r.json());
    let r = sim.get(&sim.v1(&format!("/content/{id}")));
    assert_eq!(r.status, 404);
    assert_v1_404(&r.json(), &id);
    assert!(
        !listed_ids(
            &sim,
            &sim.v2(&format!("/spaces/{sid}/pages?limit=250&status=trashed"))
        )
        .contains(&id)
    );
}

fn assert_v2_404(body: &Value) {
    let e = &body["errors"][0];
    assert_eq!(e["status"], 404, "{body}");
    assert_eq!(e["code"], "NOT_FOUND", "{body}");
    assert!(e["title"].is_string(), "{body}");
    assert!(
        e.get("detail").is_some(),
        "v2 errors carry detail (null): {body}"
    );
    assert_eq!(body["errors"].as_array().unwrap().len(), 1);
}

fn assert_v1_404(body: &Value, id: &str) {
    assert_eq!(body["statusCode"], 404, "{body}");
    assert_eq!(body["reason"], "Not Found", "{body}");
    assert_eq!(
        body["message"],
        format!("No content found with id: ContentId{{id={id}}}"),
        "{body}"
    );
    assert_eq!(
        body["data"],
        json!({"authorized": false, "valid": true, "allowedInReadOnlyMode": true, "errors": [], "successful": false}),
        "{body}"
    );
}

#[test]
fn read_restrictions_hide_pages() {
    let sim = sim();
    let (sid, home) = demo_root(&sim);
    let id = create(&sim, "DEMO", Some(&home), "Secret Page", "<p>s</p>");
    let visible = |sim: &Sim| -> Vec<bool> {
        vec![
            sim.get(&sim.v2(&format!("/pages/{id}"))).status == 200,
            sim.get(&sim.v1(&format!("/content/{id}"))).status == 200,
            listed_ids(sim, &sim.v2(&format!("/spaces/{sid}/pages?limit=250"))).contains(&id),
            listed_ids(sim, &sim.v2(&format!("/pages?id={id}"))).contains(&id),
            listed_ids(sim, &sim.v2(&format!("/pages/{home}/direct-children"))).contains(&id),
            listed_ids(
                sim,
                &sim.v2(&format!("/pages/{home}/descendants?depth=10&limit=250")),
            )
            .contains(&id),
            v1_listed_ids(
                sim,
                &sim.v1(&format!("/content/{home}/child/page?limit=200")),
            )
            .contains(&id),
            sim.json(&sim.v1(&format!(
                "/content/search?cql={}",
                enc("title = \"Secret Page\"")
            )))["size"]
                == 1,
        ]
    };
    assert_eq!(visible(&sim), vec![true; 8], "visible before restricting");

    let r = sim.control(
        "PUT",
        &format!("/__sim/pages/{id}/restrictions"),
        Some(json!({"read": ["557058:someone-else"]})),
    );
    assert!((200..300).contains(&r.status), "{}", r.text());
    assert_eq!(
        visible(&sim),
        vec![false; 8],
        "hidden from the default user"
    );
    let r = sim.get(&sim.v2(&format!("/pages/{id}")));
    assert_v2_404(&r.json());
    let r = sim.get(&sim.v1(&format!("/content/{id}")));
    assert_v1_404(&r.json(), &id);

    // Restricting to the default user keeps it visible.
    let me = sim.get(&sim.v1("/user/current"));
    if me.status == 200 {
        let account = me.json()["accountId"].as_str().unwrap().to_string();
        sim.control_ok(
            "PUT",
            &format!("/__sim/pages/{id}/restrictions"),
            Some(json!({"read": [account, "557058:someone-else"]})),
        );
        assert_eq!(visible(&sim), vec![true; 8], "visible to a listed user");
    } else {
        eprintln!("note: /user/current not served ({}); skipped", me.status);
    }

    sim.control_ok(
        "PUT",
        &format!("/__sim/pages/{id}/restrictions"),
        Some(json!({"read": []})),
    );
    assert_eq!(visible(&sim), vec![true; 8], "visible after clearing");
}

#[test]
fn attachment_versions_do_not_bump_page_version() {
    let sim = sim();
    let (_, home) = demo_root(&sim);
    let id = create(&sim, "DEMO", Some(&home), "With Files", "<p>f</p>");
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let add = |data: &[u8]| {
        sim.control_ok(
            "POST",
            &format!("/__sim/pages/{id}/attachments"),
            Some(json!({"filename": "notes.txt", "media_type": "text/plain", "data_base64": b64(data)})),
        )
    };
    add(b"version one");
    add(b"version two, longer");
    let (atts, _) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/attachments")));
    assert_eq!(
        atts.len(),
        1,
        "same filename = new version, not a new attachment"
    );
    let a = &atts[0];
    assert_eq!(a["title"], "notes.txt");
    assert_eq!(a["version"]["number"], 2);
    assert_eq!(a["fileSize"], "version two, longer".len());
    assert_eq!(a["mediaType"], "text/plain");
    let att_id = a["id"].as_str().unwrap().to_string();
    assert!(att_id.starts_with("att"), "{att_id}");
    let single = sim.json(&sim.v2(&format!("/attachments/{att_id}")));
    assert_eq!(single["version"]["number"], 2);
    let v1 = sim.json(&sim.v1(&format!("/content/{id}/child/attachment")));
    assert_eq!(v1["results"][0]["extensions"]["fileSize"], 19);

    let page = sim.json(&sim.v2(&format!("/pages/{id}")));
    assert_eq!(
        page["version"]["number"], 1,
        "attachments do not bump the page version"
    );

    let r = sim.control("DELETE", &format!("/__sim/attachments/{att_id}"), None);
    assert!((200..300).contains(&r.status), "{}", r.text());
    let (atts, _) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/attachments")));
    assert!(atts.is_empty(), "deleted attachment still listed");
}

#[test]
fn stats_count_api_requests_only() {
    let sim = sim();
    sim.control_ok("POST", "/__sim/stats/reset", None);
    let s = sim.control_ok("GET", "/__sim/stats", None);
    assert_eq!(s["requests"], 0, "{s}");
    sim.get(&sim.v2("/spaces"));
    sim.get(&sim.v2("/spaces"));
    sim.get(&sim.v1("/space"));
    sim.control_ok("GET", "/__sim/stats", None);
    let s = sim.control_ok("GET", "/__sim/stats", None);
    assert_eq!(s["requests"], 3, "control calls are not counted: {s}");
    let routes = s["by_route"].as_object().expect("by_route object");
    let total: u64 = routes.values().map(|v| v.as_u64().unwrap_or(0)).sum();
    assert_eq!(total, 3, "{s}");
    sim.control_ok("POST", "/__sim/stats/reset", None);
    assert_eq!(sim.control_ok("GET", "/__sim/stats", None)["requests"], 0);
}

#[test]
fn control_api_errors_are_clear() {
    let sim = sim();
    let r = sim.control(
        "POST",
        "/__sim/pages",
        Some(json!({"space": "NOPE", "parent_id": null, "title": "x", "body": "<p/>"})),
    );
    assert!(
        (400..500).contains(&r.status),
        "unknown space: {}",
        r.text()
    );
    let r = sim.control(
        "PATCH",
        "/__sim/pages/987654321",
        Some(json!({"title": "x"})),
    );
    assert_eq!(r.status, 404, "{}", r.text());
    let r = sim.control("DELETE", "/__sim/pages/987654321", None);
    assert_eq!(r.status, 404, "{}", r.text());
}

/// Readers and a writer at the same time: every read is a complete, valid
/// answer (no 5xx, no torn JSON), and every write lands.
#[test]
fn concurrent_reads_and_writes() {
    let sim = common::cloud(common::generated(
        "pages=500,spaces=1,depth=4,attachments=0.2,body_kb=2,seed=17",
    ));
    let root = {
        let b = sim.json(&sim.v2("/spaces?keys=GEN0"));
        let sid = b["results"][0]["id"].as_str().unwrap().to_string();
        let r = sim.json(&sim.v2(&format!("/spaces/{sid}/pages?depth=root&limit=1")));
        r["results"][0]["id"].as_str().unwrap().to_string()
    };
    let created = std::thread::scope(|s| {
        let readers: Vec<_> = (0..6)
            .map(|_| {
                s.spawn(|| {
                    for _ in 0..3 {
                        let (pages, _) =
                            sim.walk_v2(&sim.v2("/pages?limit=100&body-format=storage"));
                        assert!(pages.len() >= 500);
                        let id = pages[pages.len() / 2]["id"].as_str().unwrap().to_string();
                        sim.json(&sim.v1(&format!(
                            "/content/{id}?expand=body.storage,ancestors,version"
                        )));
                    }
                })
            })
            .collect();
        let writer = s.spawn(|| {
            let mut made = Vec::new();
            for i in 0..40 {
                let id = create(
                    &sim,
                    "GEN0",
                    Some(&root),
                    &format!("Concurrent {i}"),
                    "<p>c</p>",
                );
                sim.control_ok(
                    "PATCH",
                    &format!("/__sim/pages/{id}"),
                    Some(json!({"body": format!("<p>edited {i}</p>")})),
                );
                made.push(id);
            }
            made
        });
        for r in readers {
            r.join().expect("reader saw a bad answer");
        }
        writer.join().expect("writer")
    });
    for id in &created {
        let p = sim.json(&sim.v2(&format!("/pages/{id}")));
        assert_eq!(p["version"]["number"], 2, "{id}");
    }
}

/// The same lifecycle seen through Data Center's v1 API.
#[test]
fn data_center_trash_purge_restrict() {
    let sim = common::dc(SimConfig::demo(), "/confluence");
    let home = {
        let s = sim.json(&sim.v1("/space/DEMO?expand=homepage"));
        s["homepage"]["id"]
            .as_str()
            .expect("homepage id")
            .to_string()
    };
    let id = create(&sim, "DEMO", Some(&home), "DC Lifecycle", "<p>dc</p>");
    let p = sim.json(&sim.v1(&format!("/content/{id}?expand=body.storage,version")));
    assert_eq!(p["body"]["storage"]["value"], "<p>dc</p>");
    assert_eq!(p["version"]["number"], 1);

    sim.control_ok(
        "PUT",
        &format!("/__sim/pages/{id}/restrictions"),
        Some(json!({"read": ["557058:someone-else"]})),
    );
    assert_eq!(sim.get(&sim.v1(&format!("/content/{id}"))).status, 404);
    assert!(
        !v1_listed_ids(&sim, &sim.v1("/content/scan?spaceKey=DEMO&limit=100")).contains(&id),
        "restricted page hidden from scan"
    );
    sim.control_ok(
        "PUT",
        &format!("/__sim/pages/{id}/restrictions"),
        Some(json!({"read": []})),
    );
    assert!(v1_listed_ids(&sim, &sim.v1("/content/scan?spaceKey=DEMO&limit=100")).contains(&id));

    sim.control_ok("DELETE", &format!("/__sim/pages/{id}"), None);
    let t = sim.json(&sim.v1(&format!("/content/{id}?status=trashed")));
    assert_eq!(t["status"], "trashed");
    assert!(!v1_listed_ids(&sim, &sim.v1("/content/scan?spaceKey=DEMO&limit=100")).contains(&id));
    sim.control_ok("DELETE", &format!("/__sim/pages/{id}?purge=true"), None);
    let r = sim.get(&sim.v1(&format!("/content/{id}")));
    assert_eq!(r.status, 404);
    let body = r.json();
    assert_eq!(body["statusCode"], 404, "{body}");
    assert_eq!(
        body["message"],
        format!("No content found with id: ContentId{{id={id}}}"),
        "{body}"
    );
}

/// Confluence Cloud does not bump `version.number` on a move, yet every
/// listing shows the new place at once.
#[test]
fn move_keeps_the_version_and_shows_everywhere() {
    let sim = sim();
    let (sid, home) = demo_root(&sim);
    let a = create(&sim, "DEMO", Some(&home), "Quiet Move A", "<p>a</p>");
    let b = create(&sim, "DEMO", Some(&home), "Quiet Move B", "<p>b</p>");
    let child = create(&sim, "DEMO", Some(&a), "Quiet Mover", "<p>c</p>");
    let grandchild = create(&sim, "DEMO", Some(&child), "Quiet Rider", "<p>g</p>");
    // Warm the listing caches so a stale fragment would show.
    sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));

    let r = sim.control_ok(
        "PATCH",
        &format!("/__sim/pages/{child}"),
        Some(json!({"parent_id": b})),
    );
    assert_eq!(r["version"], 1, "a move is not a new version: {r}");
    assert_eq!(r["parent_id"], b.as_str());

    let single = sim.json(&sim.v2(&format!("/pages/{child}")));
    assert_eq!(single["version"]["number"], 1);
    assert_eq!(single["parentId"], b.as_str());
    let (listed, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));
    let entry = listed.iter().find(|p| p["id"] == child.as_str()).unwrap();
    assert_eq!(entry["parentId"], b.as_str(), "v2 listing parentId");
    assert_eq!(entry["version"]["number"], 1);
    let (batch, _) = sim.walk_v2(&sim.v2(&format!("/pages?id={child},{grandchild}")));
    assert_eq!(batch.len(), 2);
    assert!(batch.iter().all(|p| p["version"]["number"] == 1));

    let v1 = sim.json(&sim.v1(&format!("/content/{grandchild}?expand=ancestors,version")));
    let anc: Vec<&str> = v1["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(&anc[anc.len() - 2..], [b.as_str(), child.as_str()]);
    assert!(!anc.contains(&a.as_str()));
    assert_eq!(v1["version"]["number"], 1);

    let under = |root: &str| -> BTreeSet<String> {
        v1_listed_ids(
            &sim,
            &sim.v1(&format!(
                "/content/search?cql={}&limit=100",
                enc(&format!("ancestor = {root} and type = page"))
            )),
        )
    };
    assert_eq!(
        under(&b),
        BTreeSet::from([child.clone(), grandchild.clone()])
    );
    assert!(under(&a).is_empty(), "CQL ancestor= follows the move");

    // An explicit position reorders siblings, still without a version.
    let first = sim.json(&sim.v2(&format!("/pages/{home}/direct-children?limit=250")));
    let lowest = first["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["childPosition"].as_i64())
        .min()
        .unwrap();
    let r = sim.control_ok(
        "PATCH",
        &format!("/__sim/pages/{b}"),
        Some(json!({"position": lowest - 1})),
    );
    assert_eq!(
        (r["version"].as_i64(), r["position"].as_i64()),
        (Some(1), Some(lowest - 1))
    );
    let kids = sim.json(&sim.v2(&format!("/pages/{home}/direct-children?limit=250")));
    assert_eq!(kids["results"][0]["id"], b.as_str(), "moved first: {kids}");
    let p = sim.json(&sim.v2(&format!("/pages/{b}")));
    assert_eq!(
        (p["position"].as_i64(), p["version"]["number"].as_i64()),
        (Some(lowest - 1), Some(1))
    );

    // `new_version: true` still forces one; an edit still makes one.
    let r = sim.control_ok(
        "PATCH",
        &format!("/__sim/pages/{child}"),
        Some(json!({"parent_id": a, "new_version": true})),
    );
    assert_eq!(r["version"], 2);
    let r = sim.control_ok(
        "PATCH",
        &format!("/__sim/pages/{child}"),
        Some(json!({"parent_id": b, "body": "<p>moved and edited</p>"})),
    );
    assert_eq!(r["version"], 3);

    // Nothing moves under a trashed page.
    sim.control("DELETE", &format!("/__sim/pages/{a}"), None);
    let r = sim.control(
        "PATCH",
        &format!("/__sim/pages/{child}"),
        Some(json!({"parent_id": a})),
    );
    assert_eq!(r.status, 400, "{}", r.text());
}

/// `PATCH /__sim/pages/{id}` with `"status": "current"` restores a trashed
/// page where it was, attachments included, without a new version.
#[test]
fn trashed_page_restores_with_its_attachments() {
    for sim in [sim(), common::dc(SimConfig::demo(), "/confluence")] {
        let cloud = sim.flavor == common::Flavor::Cloud;
        let home = {
            let s = sim.json(&sim.v1("/space/DEMO?expand=homepage"));
            s["homepage"]["id"].as_str().unwrap().to_string()
        };
        let id = create(&sim, "DEMO", Some(&home), "Phoenix", "<p>again</p>");
        let b64 = base64::engine::general_purpose::STANDARD.encode(b"ash");
        let att = sim.control_ok(
            "POST",
            &format!("/__sim/pages/{id}/attachments"),
            Some(json!({"filename": "ash.txt", "media_type": "text/plain", "data_base64": b64})),
        );
        let att_id = att["id"].as_str().unwrap().to_string();
        let visible = |sim: &Sim| -> Vec<bool> {
            let mut v = vec![
                v1_listed_ids(sim, &sim.v1("/content?spaceKey=DEMO&type=page&limit=1000"))
                    .contains(&id),
                v1_listed_ids(
                    sim,
                    &sim.v1(&format!("/content/{home}/child/page?limit=200")),
                )
                .contains(&id),
                sim.json(&sim.v1(&format!(
                    "/content/search?cql={}",
                    enc("type = page and title = \"Phoenix\"")
                )))["size"]
                    == 1,
                {
                    let r = sim.get(&sim.v1(&format!("/content/{id}/child/attachment")));
                    r.status == 200 && r.json()["results"][0]["id"] == att_id.as_str()
                },
            ];
            if cloud {
                let sid = sim.json(&sim.v2("/spaces?keys=DEMO"))["results"][0]["id"]
                    .as_str()
                    .unwrap()
                    .to_string();
                v.push(
                    listed_ids(sim, &sim.v2(&format!("/spaces/{sid}/pages?limit=250")))
                        .contains(&id),
                );
                let r = sim.get(&sim.v2(&format!("/pages/{id}/attachments")));
                v.push(r.status == 200 && r.json()["results"][0]["id"] == att_id.as_str());
            }
            v
        };
        let n = if cloud { 6 } else { 4 };
        assert_eq!(visible(&sim), vec![true; n], "before trashing");
        sim.control("DELETE", &format!("/__sim/pages/{id}"), None);
        let trashed = visible(&sim);
        // Page listings drop it (its own attachment listings are not checked:
        // how Confluence answers those for a trashed page is not recorded).
        assert!(
            trashed
                .iter()
                .enumerate()
                .all(|(i, v)| !v || i == 3 || i == 5),
            "trashed: {trashed:?}"
        );

        let r = sim.control_ok(
            "PATCH",
            &format!("/__sim/pages/{id}"),
            Some(json!({"status": "current"})),
        );
        assert_eq!(r["status"], "current", "{r}");
        assert_eq!(r["version"], 1, "a restore is not a new version: {r}");
        assert_eq!(r["parent_id"], home.as_str(), "restored where it was");
        assert_eq!(visible(&sim), vec![true; n], "restored");
        let p = sim.json(&sim.v1(&format!("/content/{id}?expand=version,ancestors")));
        assert_eq!(p["status"], "current");
        assert_eq!(
            p["ancestors"].as_array().unwrap().last().unwrap()["id"],
            home.as_str()
        );

        // Purged pages cannot come back.
        sim.control("DELETE", &format!("/__sim/pages/{id}?purge=true"), None);
        let r = sim.control(
            "PATCH",
            &format!("/__sim/pages/{id}"),
            Some(json!({"status": "current"})),
        );
        assert_eq!(r.status, 404, "{}", r.text());
    }
}
