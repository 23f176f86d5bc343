//! Data Center is not Cloud with another prefix, and blog posts are not
//! pages: the same site served as each flavour, in that flavour's forms.

use crate::common;

use common::{Sim, SimConfig, enc};
use serde_json::Value;

fn cloud() -> Sim {
    common::cloud(SimConfig::demo())
}

fn dc() -> Sim {
    common::dc(SimConfig::demo(), "/confluence")
}

fn v1_body(sim: &Sim, id: &str, format: &str) -> String {
    let v = sim.json(&sim.v1(&format!("/content/{id}?expand=body.{format}")));
    v["body"][format]["value"].as_str().unwrap().to_string()
}

#[test]
fn dc_mentions_are_user_keys_and_link_to_profiles() {
    let sim = dc();
    let storage = v1_body(&sim, "1012", "storage");
    assert!(!storage.contains("ri:account-id"), "{storage:.2000}");
    let at = storage.find("ri:userkey=\"").expect("a userkey mention");
    let key = &storage[at + 12..at + 12 + 32];
    assert!(key.bytes().all(|b| b.is_ascii_hexdigit()), "{key}");
    // The key and the username both find the person.
    let by_key = sim.json(&sim.v1(&format!("/user?key={key}")));
    assert_eq!(by_key["displayName"], "Linus Chen");
    assert_eq!(by_key["userKey"], key);
    let by_name = sim.json(&sim.v1("/user?username=linus"));
    assert_eq!(by_name["userKey"], key);
    // The view names the user DC's way.
    let view = v1_body(&sim, "1012", "view");
    assert!(
        view.contains("data-username=\"linus\"")
            && view.contains("href=\"/confluence/display/~linus\""),
        "{view:.3000}"
    );
    assert!(!view.contains("data-account-id"), "no Cloud mention form");
    // Cloud keeps account ids.
    let c = cloud();
    let storage = v1_body(&c, "1012", "storage");
    assert!(storage.contains("ri:account-id=\"5b10ac8d82e05b22cc7d4ef5\""));
    assert!(v1_body(&c, "1012", "view").contains("data-account-id=\"5b10ac8d82e05b22cc7d4ef5\""));
}

#[test]
fn dc_links_use_display_paths() {
    let sim = dc();
    let view = v1_body(&sim, "1012", "view");
    assert!(
        view.contains("href=\"/confluence/display/DEMO/Getting+Started\""),
        "{view:.3000}"
    );
    assert!(
        view.contains("href=\"/confluence/display/OPS\""),
        "space link: {view:.3000}"
    );
    let page = sim.json(&sim.v1("/content/1002"));
    assert_eq!(page["_links"]["webui"], "/display/DEMO/Getting+Started");
    // DC's link names: `edit`, not Cloud's `editui`/`edituiv2`.
    assert!(page["_links"]["edit"].is_string(), "{page}");
    assert!(page["_links"].get("editui").is_none() && page["_links"].get("edituiv2").is_none());
}

#[test]
fn dc_has_no_folders_and_no_adf_only_content() {
    let sim = dc();
    // The page that sits in a folder on Cloud sits under the folder's parent.
    let p = sim.json(&sim.v1("/content/1024?expand=ancestors"));
    let anc: Vec<&str> = p["ancestors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(anc, ["1001"], "{p}");
    for a in p["ancestors"].as_array().unwrap() {
        assert_eq!(a["type"], "page");
    }
    let r = sim.get(&sim.v1("/content/1500"));
    assert_eq!(r.status, 404, "the folder is gone");
    let folders = sim.json(&sim.v1(&format!("/search?cql={}", enc("type = folder"))));
    assert_eq!(folders["results"].as_array().unwrap().len(), 0);
    // Children listings and bodies: nothing Cloud-only.
    let kids = sim.json(&sim.v1("/content/1001/child/page?limit=100"));
    assert!(
        kids["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == "1024"),
        "{kids}"
    );
    for id in ["1005", "1011"] {
        let s = v1_body(&sim, id, "storage");
        assert!(!s.contains("ac:adf-"), "page {id}: {s:.2000}");
        assert!(!s.is_empty());
    }
    // Cloud still has them.
    let c = cloud();
    assert!(v1_body(&c, "1005", "storage").contains("ac:adf-extension"));
    assert_eq!(c.get(&c.v2("/folders/1500")).status, 200);
}

#[test]
fn generated_dc_sites_use_user_keys() {
    let sim = common::dc(
        common::generated("pages=60,spaces=1,depth=3,attachments=0,body_kb=2,seed=5"),
        "",
    );
    let list = sim.json(&sim.v1("/content?type=page&limit=100&expand=body.storage"));
    let bodies: Vec<&str> = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["body"]["storage"]["value"].as_str().unwrap())
        .collect();
    assert!(bodies.iter().all(|b| !b.contains("ri:account-id")));
    assert!(
        bodies.iter().any(|b| b.contains("ri:userkey=")),
        "the generator mentions users"
    );
}

fn titles(v: &Value) -> Vec<String> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["title"]
                .as_str()
                .or(r["content"]["title"].as_str())
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn blog_posts_are_their_own_content_type() {
    let sim = cloud();
    let launch = "Launch Announcement".to_string();
    let posts = sim.json(&sim.v2("/blogposts"));
    assert_eq!(titles(&posts), ["Launch Announcement"]);
    let id = posts["results"][0]["id"].as_str().unwrap().to_string();
    let space = posts["results"][0]["spaceId"].as_str().unwrap().to_string();
    assert!(
        posts["results"][0].get("parentId").is_none(),
        "no tree fields"
    );
    assert_eq!(
        titles(&sim.json(&sim.v2(&format!("/spaces/{space}/blogposts")))),
        ["Launch Announcement"]
    );
    let one = sim.json(&sim.v2(&format!("/blogposts/{id}?body-format=storage")));
    assert!(
        one["_links"]["webui"]
            .as_str()
            .unwrap()
            .starts_with("/spaces/DEMO/blog/2024/05/01/"),
        "{one}"
    );
    // Not a page anywhere pages are listed.
    assert_eq!(sim.get(&sim.v2(&format!("/pages/{id}"))).status, 404);
    let (pages, _) = sim.walk_v2(&sim.v2("/pages?limit=250"));
    assert!(pages.iter().all(|p| p["id"] != id.as_str()));
    let (pages, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{space}/pages?limit=250")));
    assert!(pages.iter().all(|p| p["id"] != id.as_str()));
    let v1_pages = sim.json(&sim.v1("/content?type=page&spaceKey=DEMO&limit=100"));
    assert!(!titles(&v1_pages).contains(&launch));
    let untyped = sim.json(&sim.v1(&format!("/search?cql={}&limit=100", enc("space = DEMO"))));
    assert!(
        !titles(&untyped).contains(&launch),
        "untyped CQL stays page-only"
    );
    // v1 and CQL by type.
    let v1 = sim.json(&sim.v1("/content?type=blogpost&spaceKey=DEMO"));
    assert_eq!(titles(&v1), ["Launch Announcement"]);
    assert_eq!(v1["results"][0]["type"], "blogpost");
    let day = sim.json(&sim.v1("/content?type=blogpost&spaceKey=DEMO&postingDay=2024-05-02"));
    assert!(titles(&day).is_empty());
    let cql = sim.json(&sim.v1(&format!("/search?cql={}", enc("type = blogpost"))));
    assert_eq!(titles(&cql), ["Launch Announcement"]);
    // A space's content: its blog posts beside its pages, and each alone.
    let both = sim.json(&sim.v1("/space/DEMO/content?limit=100"));
    assert_eq!(titles(&both["blogpost"]), ["Launch Announcement"]);
    assert!(!titles(&both["page"]).contains(&launch));
    assert!(!titles(&both["page"]).is_empty());
    let only = sim.json(&sim.v1("/space/DEMO/content/blogpost"));
    assert_eq!(titles(&only), ["Launch Announcement"]);
    assert!(
        only["_links"]["self"]
            .as_str()
            .unwrap()
            .ends_with("/rest/api/space/DEMO/content/blogpost")
    );
    let only = sim.json(&sim.v1("/space/DEMO/content/page?limit=100"));
    assert!(!titles(&only).contains(&launch) && !titles(&only).is_empty());
    // The demo's blog-post link points at it.
    let v = sim.json(&sim.v2("/pages/1012?body-format=view"));
    let view = v["body"]["view"]["value"].as_str().unwrap();
    assert!(
        view.contains(&format!("data-linked-resource-id=\"{id}\""))
            && view.contains("data-linked-resource-type=\"blogpost\""),
        "{view:.3000}"
    );
    // Data Center: v1 and CQL, with DC's posting-day URL.
    let d = dc();
    let v1 = d.json(&d.v1("/content?type=blogpost&spaceKey=DEMO"));
    assert_eq!(
        v1["results"][0]["_links"]["webui"],
        "/display/DEMO/2024/05/01/Launch+Announcement"
    );
}
