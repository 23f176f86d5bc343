//! `--generate SPEC` sites are deterministic per seed and honour the spec:
//! page and space counts, tree depth, attachment ratio, body size, and
//! realistic bodies whose page links resolve inside the site.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};

use common::Sim;
use serde_json::Value;

const SPEC: &str = "pages=1200,spaces=3,depth=5,attachments=0.25,body_kb=4,seed=99";

/// Every page with its storage body, over all spaces.
fn all_pages(sim: &Sim) -> Vec<Value> {
    let (pages, _) = sim.walk_v2(&sim.v2("/pages?limit=250&body-format=storage&sort=id"));
    pages
}

/// The site's content without the server-specific `_links.base`.
fn fingerprint(sim: &Sim) -> String {
    let text = serde_json::to_string(&all_pages(sim)).unwrap();
    text.replace(&sim.origin, "ORIGIN")
}

#[test]
fn same_seed_same_site_other_seed_other_site() {
    let a = common::cloud(common::generated(SPEC));
    let b = common::cloud(common::generated(SPEC));
    assert_eq!(fingerprint(&a), fingerprint(&b), "same spec, same site");
    let c = common::cloud(common::generated(&SPEC.replace("seed=99", "seed=100")));
    assert_ne!(
        fingerprint(&a),
        fingerprint(&c),
        "another seed, another site"
    );
}

#[test]
fn honours_the_spec() {
    let sim = common::cloud(common::generated(SPEC));
    let (spaces, _) = sim.walk_v2(&sim.v2("/spaces?limit=250"));
    let keys: BTreeSet<&str> = spaces.iter().map(|s| s["key"].as_str().unwrap()).collect();
    assert_eq!(keys, BTreeSet::from(["GEN0", "GEN1", "GEN2"]));
    let pages = all_pages(&sim);
    assert_eq!(pages.len(), 1200, "pages=1200 across all spaces");

    let parent: BTreeMap<String, Option<String>> = pages
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap().to_string(),
                p["parentId"].as_str().map(str::to_string),
            )
        })
        .collect();
    let depth = |id: &str| {
        let mut d = 1;
        let mut cur = parent.get(id).cloned().flatten();
        while let Some(c) = cur {
            d += 1;
            cur = parent.get(&c).cloned().flatten();
        }
        d
    };
    let max = parent.keys().map(|id| depth(id)).max().unwrap();
    assert!(
        (4..=5).contains(&max),
        "depth=5 spec, deepest page at {max}"
    );

    let lens: Vec<usize> = pages
        .iter()
        .map(|p| p["body"]["storage"]["value"].as_str().unwrap().len())
        .collect();
    let avg = lens.iter().sum::<usize>() as f64 / lens.len() as f64;
    assert!(
        (2.0 * 1024.0..=6.0 * 1024.0).contains(&avg),
        "body_kb=4, average body {avg:.0} bytes"
    );

    let mut with = 0;
    for p in &pages {
        let id = p["id"].as_str().unwrap();
        let a = sim.json(&sim.v2(&format!("/pages/{id}/attachments?limit=1")));
        if !a["results"].as_array().unwrap().is_empty() {
            with += 1;
        }
    }
    let ratio = with as f64 / pages.len() as f64;
    assert!(
        (0.15..=0.35).contains(&ratio),
        "attachments=0.25, {ratio:.2} of pages have one"
    );
}

#[test]
fn bodies_are_realistic_and_links_resolve() {
    let sim = common::cloud(common::generated(SPEC));
    let pages = all_pages(&sim);
    let (spaces, _) = sim.walk_v2(&sim.v2("/spaces?limit=250"));
    let key_of: BTreeMap<&str, &str> = spaces
        .iter()
        .map(|s| (s["id"].as_str().unwrap(), s["key"].as_str().unwrap()))
        .collect();
    let space_of = |p: &Value| key_of[p["spaceId"].as_str().unwrap()].to_string();
    let titles: BTreeSet<(String, String)> = pages
        .iter()
        .map(|p| (space_of(p), p["title"].as_str().unwrap().to_string()))
        .collect();
    let all: String = pages
        .iter()
        .map(|p| p["body"]["storage"]["value"].as_str().unwrap())
        .collect();
    for needle in [
        "<h2",
        "<table",
        "<ul",
        "ac:name=\"code\"",
        "<ac:link><ri:page",
        "<ac:image",
    ] {
        assert!(
            all.contains(needle),
            "generated bodies never contain {needle}"
        );
    }
    // Every page link names an existing (space, title).
    let mut links = 0;
    for p in &pages {
        let body = p["body"]["storage"]["value"].as_str().unwrap();
        for part in body.split("<ri:page ").skip(1) {
            let attr = |name: &str| {
                part.split(&format!("{name}=\""))
                    .nth(1)
                    .and_then(|r| r.split('"').next())
            };
            let Some(title) = attr("ri:content-title") else {
                continue;
            };
            let title = title
                .replace("&amp;", "&")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&apos;", "'")
                .replace("&#39;", "'");
            let own = space_of(p);
            let space = attr("ri:space-key").map(str::to_string).unwrap_or(own);
            assert!(
                titles.contains(&(space.clone(), title.clone())),
                "page {} links to missing {space}/{title}",
                p["id"]
            );
            links += 1;
        }
    }
    assert!(links > 100, "only {links} page links in 1200 pages");
}
