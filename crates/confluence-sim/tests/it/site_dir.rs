//! The documented on-disk site format (SITE-FORMAT.md) loads and serves what
//! it describes: versions from `history`, folders, labels, attachments with
//! versions, per-user credentials and inherited read restrictions; and bad
//! manifests fail with a message naming the problem.

use crate::common;

use std::path::{Path, PathBuf};

use common::{Sim, SimConfig, basic};
use serde_json::{Value, json};

/// A fresh temporary directory, removed on drop.
struct TempSite(PathBuf);

impl TempSite {
    fn new(tag: &str) -> TempSite {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "confluence-sim-site-{tag}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(dir.join("pages")).unwrap();
        std::fs::create_dir_all(dir.join("attachments")).unwrap();
        TempSite(dir)
    }

    fn write(&self, rel: &str, data: &[u8]) {
        std::fs::write(self.0.join(rel), data).unwrap();
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempSite {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn manifest() -> Value {
    json!({
        "cloud_id": "0b7c2a9e-1f3d-4e5a-8b6c-7d8e9f0a1b2c",
        "default_user": "557058:reader",
        "users": [
            {"account_id": "557058:reader", "display_name": "Default Reader", "email": "reader@example.com"},
            {"account_id": "712020:ada", "display_name": "Ada Lovelace", "email": "ada@example.com",
             "username": "ada", "api_token": "ada-token", "pat": "ada-pat"}
        ],
        "spaces": [
            {"id": "5001", "key": "DOCS", "name": "Docs", "homepage": "6001",
             "created_at": "2024-01-01T00:00:00.000Z", "author": "557058:reader"}
        ],
        "folders": [
            {"id": "6500", "space": "DOCS", "parent": "6001", "title": "A Folder"}
        ],
        "pages": [
            {"id": "6001", "space": "DOCS", "parent": null, "title": "Home", "body": "<p>home</p>"},
            {"id": "6002", "space": "DOCS", "parent": "6001", "title": "Guide",
             "labels": ["howto", "draft"], "author": "557058:reader",
             "created_at": "2024-02-01T10:00:00.000Z",
             "updated_by": "712020:ada", "updated_at": "2024-03-01T12:30:45.678Z", "message": "final",
             "history": [
                {"title": "Guide (draft)", "body_file": "pages/6002.v1.xhtml",
                 "author": "557058:reader", "created_at": "2024-02-01T10:00:00.000Z"}
             ]},
            {"id": "6003", "space": "DOCS", "parent": "6500", "title": "In Folder", "body": "<p>f</p>"},
            {"id": "6004", "space": "DOCS", "parent": "6001", "title": "Secret",
             "body": "<p>s</p>", "restricted_to": ["712020:ada"]},
            {"id": "6005", "space": "DOCS", "parent": "6004", "title": "Secret Child", "body": "<p>c</p>"},
            {"id": "6006", "space": "DOCS", "parent": "6001", "title": "Old Plan",
             "body": "<p>o</p>", "status": "archived"},
            {"id": "6007", "space": "DOCS", "parent": "6001", "title": "Many Labels",
             "body": "<p>l</p>", "labels": (0..60).map(|i| format!("tag-{i:02}")).collect::<Vec<_>>()}
        ],
        "attachments": [
            {"id": "att7001", "page": "6002", "filename": "data.bin",
             "media_type": "application/octet-stream",
             "history": [{"file": "attachments/data-v1.bin", "created_at": "2024-02-02T00:00:00.000Z"}]}
        ]
    })
}

fn write_site(site: &TempSite, manifest: &Value) {
    site.write(
        "site.json",
        serde_json::to_vec_pretty(manifest).unwrap().as_slice(),
    );
    site.write("pages/6002.xhtml", b"<p>guide v2</p>");
    site.write("pages/6002.v1.xhtml", b"<p>guide v1</p>");
    site.write("attachments/data.bin", b"second version bytes");
    site.write("attachments/data-v1.bin", b"first");
}

fn load(site: &TempSite) -> SimConfig {
    SimConfig::from_dir(site.path()).unwrap_or_else(|e| panic!("site loads: {e}"))
}

#[test]
fn serves_what_the_manifest_describes() {
    let dir = TempSite::new("ok");
    write_site(&dir, &manifest());
    let sim: Sim = common::cloud(load(&dir));

    let g = sim.json(&sim.v2("/pages/6002?body-format=storage&include-labels=true"));
    assert_eq!(g["title"], "Guide");
    assert_eq!(
        g["version"]["number"], 2,
        "history entries are versions 1..n"
    );
    assert_eq!(g["version"]["createdAt"], "2024-03-01T12:30:45.678Z");
    assert_eq!(g["version"]["authorId"], "712020:ada");
    assert_eq!(g["version"]["message"], "final");
    assert_eq!(g["createdAt"], "2024-02-01T10:00:00.000Z");
    assert_eq!(g["authorId"], "557058:reader");
    assert_eq!(g["body"]["storage"]["value"], "<p>guide v2</p>");
    let labels: Vec<&str> = g["labels"]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert!(
        labels.contains(&"howto") && labels.contains(&"draft"),
        "{labels:?}"
    );
    let v1 = sim.json(&sim.v2("/pages/6002?body-format=storage&version=1"));
    assert_eq!(v1["title"], "Guide (draft)");
    assert_eq!(v1["body"]["storage"]["value"], "<p>guide v1</p>");

    let f = sim.json(&sim.v2("/pages/6003"));
    assert_eq!(f["parentId"], "6500");
    assert_eq!(f["parentType"], "folder");
    let folder = sim.json(&sim.v2("/folders/6500"));
    assert_eq!(folder["title"], "A Folder");

    let space = sim.json(&sim.v2("/spaces?keys=DOCS"));
    assert_eq!(space["results"][0]["homepageId"], "6001");
    let archived = sim.json(&sim.v2("/pages/6006"));
    assert_eq!(archived["status"], "archived");

    let atts = sim.json(&sim.v2("/pages/6002/attachments"));
    let a = &atts["results"][0];
    assert_eq!(a["id"], "att7001");
    assert_eq!(a["version"]["number"], 2);
    assert_eq!(a["fileSize"], "second version bytes".len());
    for (q, want) in [("", &b"second version bytes"[..]), ("?version=1", b"first")] {
        let r = sim.get(&sim.v1(&format!(
            "/content/6002/child/attachment/att7001/download{q}"
        )));
        assert_eq!(r.status, 302, "{q}");
        let m = sim.get_with(r.header("location").unwrap(), &[]);
        assert_eq!(m.body, want, "attachment version {q}");
    }

    let ada = sim.json(&sim.v1("/user?accountId=712020%3Aada"));
    assert_eq!(ada["displayName"], "Ada Lovelace");
}

#[test]
fn restrictions_are_per_user_and_inherited() {
    let dir = TempSite::new("restrict");
    write_site(&dir, &manifest());
    let sim = common::cloud(load(&dir));
    let ada = basic("ada@example.com", "ada-token");
    for id in ["6004", "6005"] {
        assert_eq!(
            sim.get(&sim.v2(&format!("/pages/{id}"))).status,
            404,
            "{id} hidden"
        );
        let r = sim.get_with(&sim.v2(&format!("/pages/{id}")), &[("authorization", &ada)]);
        assert_eq!(r.status, 200, "{id} visible to ada: {}", r.text());
    }
    let listed = |auth: &str| -> Vec<String> {
        let r = sim.get_with(
            &sim.v2("/spaces/5001/pages?limit=250"),
            &[("authorization", auth)],
        );
        common::ids(r.json()["results"].as_array().unwrap())
    };
    let default = listed(&sim.auth());
    assert!(!default.contains(&"6004".to_string()) && !default.contains(&"6005".to_string()));
    let as_ada = listed(&ada);
    assert!(as_ada.contains(&"6004".to_string()) && as_ada.contains(&"6005".to_string()));

    let dc = common::dc(load(&dir), "");
    let r = dc.get_with(
        "/rest/api/content/6004",
        &[("authorization", "Bearer ada-pat")],
    );
    assert_eq!(r.status, 200, "ada's PAT on DC: {}", r.text());
    assert_eq!(dc.get("/rest/api/content/6004").status, 404);
}

/// `include-labels` embeds at most 50 labels and says there are more; the
/// full list pages through `/pages/{id}/labels`.
#[test]
fn include_lists_cap_at_50() {
    let dir = TempSite::new("labels");
    write_site(&dir, &manifest());
    let sim = common::cloud(load(&dir));
    let p = sim.json(&sim.v2("/pages/6007?include-labels=true"));
    let labels = &p["labels"];
    assert_eq!(labels["results"].as_array().unwrap().len(), 50, "{labels}");
    assert_eq!(labels["meta"]["hasMore"], true, "{}", labels["meta"]);
    assert!(labels["_links"]["self"].is_string(), "{}", labels["_links"]);
    let (all, _) = sim.walk_v2(&sim.v2("/pages/6007/labels?limit=7"));
    let names: std::collections::BTreeSet<String> = all
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 60);
    let few = sim.json(&sim.v2("/pages/6002?include-labels=true"));
    assert_eq!(few["labels"]["meta"]["hasMore"], false);
}

/// With `hasMore`, real Confluence also gives `meta.cursor` to continue from
/// (api notes section 4, `OptionalFieldMeta` in the v2 spec).
#[test]
fn include_lists_give_a_cursor_when_capped() {
    let dir = TempSite::new("labels-cursor");
    write_site(&dir, &manifest());
    let sim = common::cloud(load(&dir));
    let p = sim.json(&sim.v2("/pages/6007?include-labels=true"));
    assert!(
        p["labels"]["meta"]["cursor"].is_string(),
        "{}",
        p["labels"]["meta"]
    );
}

/// Mutates a valid manifest into a broken one.
type Breaker = Box<dyn Fn(&mut Value)>;

/// Each broken manifest fails to load, and the message names the problem.
#[test]
fn bad_manifests_are_rejected_with_clear_errors() {
    let cases: Vec<(&str, Breaker, &str)> = vec![
        (
            "unknown key",
            Box::new(|m| m["pages"][0]["titel"] = json!("typo")),
            "titel",
        ),
        (
            "duplicate id",
            Box::new(|m| m["pages"][1]["id"] = json!("6001")),
            "6001",
        ),
        (
            "duplicate title",
            Box::new(|m| m["pages"][2]["title"] = json!("Guide")),
            "Guide",
        ),
        (
            "unknown parent",
            Box::new(|m| m["pages"][1]["parent"] = json!("9999")),
            "9999",
        ),
        (
            "parent cycle",
            Box::new(|m| m["pages"][0]["parent"] = json!("6002")),
            "cycle",
        ),
        (
            "unknown space",
            Box::new(|m| m["pages"][1]["space"] = json!("NOPE")),
            "NOPE",
        ),
        (
            "path leaving the site",
            Box::new(|m| m["pages"][1]["body_file"] = json!("../../etc/passwd")),
            "..",
        ),
    ];
    for (what, break_it, needle) in cases {
        let dir = TempSite::new("bad");
        let mut m = manifest();
        break_it(&mut m);
        write_site(&dir, &m);
        match SimConfig::from_dir(dir.path()) {
            Ok(_) => panic!("{what}: a broken manifest loaded"),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(needle),
                    "{what}: error does not name {needle:?}: {msg}"
                );
            }
        }
    }
    let dir = TempSite::new("nojson");
    dir.write("site.json", b"{ not json");
    assert!(SimConfig::from_dir(dir.path()).is_err(), "malformed JSON");
    let missing = std::env::temp_dir().join("confluence-sim-no-such-site-dir");
    assert!(SimConfig::from_dir(&missing).is_err(), "missing directory");
}
