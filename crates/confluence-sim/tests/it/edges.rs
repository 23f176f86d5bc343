//! Documented edge cases of the real API (api notes sections 3, 6, 10):
//! folders are not pages, parameter caps answer 400, ancestors come highest
//! first, default limits, attachment id forms, title uniqueness.

use crate::common;

use base64::Engine as _;
use common::{Sim, SimConfig, ids};
use serde_json::{Value, json};

fn sim() -> Sim {
    common::cloud(SimConfig::demo())
}

fn space(sim: &Sim, key: &str) -> Value {
    sim.json(&sim.v2(&format!("/spaces?keys={key}")))["results"][0].clone()
}

fn v2_error(sim: &Sim, path: &str, status: u16) {
    let r = sim.get(path);
    assert_eq!(r.status, status, "{path}: {}", r.text());
    assert_eq!(
        r.json()["errors"][0]["status"],
        status,
        "{path}: {}",
        r.text()
    );
}

#[test]
fn folders_are_not_pages() {
    let sim = sim();
    let sid = space(&sim, "DEMO")["id"].as_str().unwrap().to_string();
    let (pages, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));
    let folder = pages
        .iter()
        .find(|p| p["parentType"] == "folder")
        .and_then(|p| p["parentId"].as_str())
        .expect("the demo has a page inside a folder")
        .to_string();
    assert_eq!(
        sim.json(&sim.v2(&format!("/folders/{folder}")))["id"],
        folder.as_str()
    );
    v2_error(&sim, &sim.v2(&format!("/pages/{folder}")), 404);
    assert!(
        !ids(&pages).contains(&folder),
        "folders are not listed as pages"
    );
    let any_page = pages[0]["id"].as_str().unwrap();
    v2_error(&sim, &sim.v2(&format!("/folders/{any_page}")), 404);
}

#[test]
fn parameter_caps_answer_400() {
    let sim = sim();
    let home = space(&sim, "DEMO")["homepageId"]
        .as_str()
        .unwrap()
        .to_string();
    let many: Vec<String> = (1..=101).map(|i| (90_000 + i).to_string()).collect();
    v2_error(
        &sim,
        &sim.v2(&format!("/pages?space-id={}", many.join(","))),
        400,
    );
    v2_error(
        &sim,
        &sim.v2(&format!("/pages/{home}/descendants?depth=11")),
        400,
    );
    v2_error(
        &sim,
        &sim.v2(&format!("/pages/{home}/descendants?depth=0")),
        400,
    );
    v2_error(&sim, &sim.v2("/pages?body-format=view"), 400);
    v2_error(&sim, &sim.v2("/pages?sort=bogus"), 400);
    v2_error(
        &sim,
        &sim.v2(&format!("/pages/{home}/attachments?limit=251")),
        400,
    );
    // Within the caps all is well.
    let ok: Vec<String> = (1..=100).map(|i| (90_000 + i).to_string()).collect();
    assert_eq!(
        sim.get(&sim.v2(&format!("/pages?space-id={}", ok.join(","))))
            .status,
        200
    );
    assert_eq!(
        sim.get(&sim.v2(&format!("/pages/{home}/descendants?depth=10")))
            .status,
        200
    );
}

#[test]
fn ancestors_highest_first_in_both_apis() {
    let sim = sim();
    let sid = space(&sim, "DEMO")["id"].as_str().unwrap().to_string();
    let (pages, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));
    let parent_of = |id: &str| -> Option<String> {
        pages
            .iter()
            .find(|p| p["id"] == id)
            .and_then(|p| p["parentId"].as_str().map(str::to_string))
    };
    let mut deepest = (0, String::new());
    for p in &pages {
        let id = p["id"].as_str().unwrap();
        let mut chain = Vec::new();
        let mut cur = parent_of(id);
        while let Some(c) = cur {
            cur = parent_of(&c);
            chain.push(c);
        }
        if chain.len() > deepest.0 && p["parentType"] == "page" {
            deepest = (chain.len(), id.to_string());
        }
    }
    let id = deepest.1;
    assert!(deepest.0 >= 3, "a page at least 4 levels deep");
    let v2 = sim.json(&sim.v2(&format!("/pages/{id}/ancestors")));
    let v2: Vec<String> = ids(v2["results"].as_array().unwrap());
    let v1 = sim.json(&sim.v1(&format!("/content/{id}?expand=ancestors")));
    let v1: Vec<String> = ids(v1["ancestors"].as_array().unwrap());
    assert_eq!(v2, v1, "v1 and v2 agree on order");
    assert_eq!(v2.last().cloned(), parent_of(&id), "immediate parent last");
    assert_eq!(parent_of(&v2[0]), None, "space root first");
    // limit cuts from the top: call again with the highest to go further up.
    let two = sim.json(&sim.v2(&format!("/pages/{id}/ancestors?limit=2")));
    let two = ids(two["results"].as_array().unwrap());
    assert_eq!(two.len(), 2);
    assert_eq!(
        two[..],
        v2[v2.len() - 2..],
        "limit keeps the nearest ancestors"
    );
}

#[test]
fn default_limits() {
    let sim = sim();
    let home = space(&sim, "DEMO")["homepageId"]
        .as_str()
        .unwrap()
        .to_string();
    let b64 = base64::engine::general_purpose::STANDARD.encode(b"x");
    for i in 0..55 {
        sim.control_ok(
            "POST",
            &format!("/__sim/pages/{home}/attachments"),
            Some(json!({"filename": format!("bulk-{i:02}.txt"), "media_type": "text/plain", "data_base64": b64})),
        );
    }
    let a = sim.json(&sim.v2(&format!("/pages/{home}/attachments")));
    assert_eq!(
        a["results"].as_array().unwrap().len(),
        50,
        "attachments default to 50"
    );
    assert!(a["_links"]["next"].is_string());
    let p = sim.json(&sim.v2("/pages"));
    assert_eq!(
        p["results"].as_array().unwrap().len(),
        25,
        "pages default to 25"
    );
    let v1 = sim.json(&sim.v1(&format!("/content/{home}/child/attachment")));
    assert_eq!(v1["limit"], 50, "v1 child/attachment default limit");
    let v1 = sim.json(&sim.v1("/content?spaceKey=DEMO&type=page"));
    assert_eq!(v1["limit"], 25, "v1 content default limit");
}

#[test]
fn attachment_ids_with_and_without_prefix() {
    let sim = sim();
    let sid = space(&sim, "DEMO")["id"].as_str().unwrap().to_string();
    let (pages, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));
    let att = pages
        .iter()
        .find_map(|p| {
            let id = p["id"].as_str().unwrap();
            let a = sim.json(&sim.v2(&format!("/pages/{id}/attachments")));
            a["results"][0]["id"].as_str().map(str::to_string)
        })
        .expect("an attachment");
    let numeric = att.trim_start_matches("att");
    let a = sim.json(&sim.v2(&format!("/attachments/{att}")));
    let b = sim.json(&sim.v2(&format!("/attachments/{numeric}")));
    assert_eq!(a["id"], b["id"], "id pattern (att)?[0-9]+");
    assert_eq!(a["id"], att.as_str());
    v2_error(&sim, &sim.v2("/attachments/att999999999"), 404);
}

#[test]
fn titles_are_unique_within_a_space() {
    let sim = sim();
    let home = space(&sim, "DEMO")["homepageId"]
        .as_str()
        .unwrap()
        .to_string();
    let new = |title: &str| {
        sim.control(
            "POST",
            "/__sim/pages",
            Some(json!({"space": "DEMO", "parent_id": home, "title": title, "body": "<p/>"})),
        )
    };
    let r = new("Unique Title Check");
    assert!((200..300).contains(&r.status), "{}", r.text());
    let id = r.json()["id"].as_str().unwrap().to_string();
    let dup = new("Unique Title Check");
    assert!(
        (400..500).contains(&dup.status),
        "duplicate title: {}",
        dup.text()
    );
    // Trashed pages keep their title.
    sim.control_ok("DELETE", &format!("/__sim/pages/{id}"), None);
    let dup = new("Unique Title Check");
    assert!(
        (400..500).contains(&dup.status),
        "title of a trashed page: {}",
        dup.text()
    );
    // Another space may reuse it.
    let other = sim.control(
        "POST",
        "/__sim/pages",
        Some(json!({"space": "OPS", "parent_id": null, "title": "Unique Title Check", "body": "<p/>"})),
    );
    assert!((200..300).contains(&other.status), "{}", other.text());
}

/// One page, three views: the listing item, the single GET and v1 agree on
/// every shared field (the captures show v1 `extensions.position` equal to
/// v2 `position` for the same page).
#[test]
fn list_single_and_v1_agree() {
    let sim = sim();
    let (pages, _) = sim.walk_v2(&sim.v2("/pages?limit=250&status=current,archived"));
    assert!(pages.len() >= 30);
    for item in &pages {
        let id = item["id"].as_str().unwrap();
        let single = sim.json(&sim.v2(&format!("/pages/{id}")));
        for k in [
            "id",
            "status",
            "title",
            "spaceId",
            "parentId",
            "parentType",
            "position",
            "authorId",
            "ownerId",
            "createdAt",
            "version",
        ] {
            assert_eq!(
                item[k], single[k],
                "page {id}: {k} differs between list and single"
            );
        }
        let v1 = sim.json(&sim.v1(&format!(
            "/content/{id}?expand=version,ancestors,history&status=current,archived"
        )));
        assert_eq!(v1["title"], single["title"], "{id}");
        assert_eq!(v1["status"], single["status"], "{id}");
        assert_eq!(v1["version"]["number"], single["version"]["number"], "{id}");
        assert_eq!(
            v1["extensions"]["position"], single["position"],
            "{id}: v1 extensions.position = v2 position"
        );
        let parent = v1["ancestors"]
            .as_array()
            .and_then(|a| a.last())
            .map(|a| a["id"].clone());
        if single["parentType"] == "page" {
            assert_eq!(parent, Some(single["parentId"].clone()), "{id}: parent");
        }
    }
}

/// `/spaces` filters and its default order (id ascending).
#[test]
fn space_filters() {
    let sim = sim();
    let keys = |q: &str| -> Vec<String> {
        let (s, _) = sim.walk_v2(&sim.v2(&format!("/spaces?{q}")));
        s.iter()
            .map(|x| x["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys("keys=OPS"), vec!["OPS"]);
    let demo_id = space(&sim, "DEMO")["id"].as_str().unwrap().to_string();
    assert_eq!(keys(&format!("ids={demo_id}")), vec!["DEMO"]);
    assert!(keys("type=personal").is_empty());
    assert!(keys("status=archived").is_empty());
    let (all, _) = sim.walk_v2(&sim.v2("/spaces"));
    let ids: Vec<u64> = all
        .iter()
        .map(|s| s["id"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "id ascending: {ids:?}");
    let v1 = sim.json(&sim.v1("/space?spaceKey=OPS"));
    assert_eq!(v1["results"][0]["key"], "OPS");
    assert_eq!(v1["size"], 1);
}

/// The `title` filter matches exactly, on both v2 listings and v1 `/content`.
#[test]
fn title_filters() {
    let sim = sim();
    let sid = space(&sim, "DEMO")["id"].as_str().unwrap().to_string();
    let (pages, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250")));
    let p = &pages[pages.len() / 2];
    let (id, title) = (p["id"].as_str().unwrap(), p["title"].as_str().unwrap());
    let t = common::enc(title);
    for path in [
        sim.v2(&format!("/spaces/{sid}/pages?title={t}")),
        sim.v2(&format!("/pages?title={t}")),
    ] {
        let (found, _) = sim.walk_v2(&path);
        assert_eq!(ids(&found), vec![id.to_string()], "{path}");
    }
    let v1 = sim.json(&sim.v1(&format!("/content?spaceKey=DEMO&title={t}")));
    assert_eq!(ids(v1["results"].as_array().unwrap()), vec![id.to_string()]);
    let none = sim.json(&sim.v2(&format!("/pages?title={}", common::enc("No Such Title 42"))));
    assert!(none["results"].as_array().unwrap().is_empty());
}
