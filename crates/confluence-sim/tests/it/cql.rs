//! The CQL subset incremental sync relies on (`/content/search`, `/search`),
//! checked against an oracle built from the v2 API: type, space, ancestor,
//! parent, id in (...), title, label, created/lastmodified in the four
//! documented date formats at minute precision, AND/OR, ORDER BY.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use common::{Sim, SimConfig, enc, ids};
use serde_json::Value;

fn demo() -> &'static Sim {
    static S: OnceLock<Sim> = OnceLock::new();
    S.get_or_init(|| common::cloud(SimConfig::demo()))
}

/// What the v2 API says about every current page (the oracle).
struct Page {
    space: String,
    parent: Option<String>,
    title: String,
    created: String,
    modified: String,
    labels: BTreeSet<String>,
}

struct Oracle {
    pages: BTreeMap<String, Page>,
    /// Archived pages: whether CQL returns them by default is not documented,
    /// so results are compared with them left out.
    archived: BTreeSet<String>,
    /// Parent of every page and of every folder pages sit in.
    parents: BTreeMap<String, Option<String>>,
}

fn oracle() -> &'static Oracle {
    static O: OnceLock<Oracle> = OnceLock::new();
    O.get_or_init(|| {
        let sim = demo();
        let (spaces, _) = sim.walk_v2(&sim.v2("/spaces?limit=250"));
        let mut pages = BTreeMap::new();
        for s in &spaces {
            let key = s["key"].as_str().unwrap().to_string();
            let sid = s["id"].as_str().unwrap();
            let (list, _) =
                sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250&status=current")));
            for p in list {
                let id = p["id"].as_str().unwrap().to_string();
                let (labels, _) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/labels")));
                pages.insert(
                    id,
                    Page {
                        space: key.clone(),
                        parent: p["parentId"].as_str().map(str::to_string),
                        title: p["title"].as_str().unwrap().to_string(),
                        created: p["createdAt"].as_str().unwrap().to_string(),
                        modified: p["version"]["createdAt"].as_str().unwrap().to_string(),
                        labels: labels
                            .iter()
                            .map(|l| l["name"].as_str().unwrap().to_string())
                            .collect(),
                    },
                );
            }
        }
        assert!(pages.len() >= 20, "demo oracle has {} pages", pages.len());
        let mut archived = BTreeSet::new();
        for s in &spaces {
            let sid = s["id"].as_str().unwrap();
            let (list, _) =
                sim.walk_v2(&sim.v2(&format!("/spaces/{sid}/pages?limit=250&status=archived")));
            archived.extend(ids(&list));
        }
        let mut parents: BTreeMap<String, Option<String>> = pages
            .iter()
            .map(|(id, p)| (id.clone(), p.parent.clone()))
            .collect();
        // Folders are not pages but sit on the ancestor chain.
        let mut todo: Vec<String> = parents.values().flatten().cloned().collect();
        while let Some(id) = todo.pop() {
            if parents.contains_key(&id) {
                continue;
            }
            let r = sim.get(&sim.v2(&format!("/folders/{id}")));
            let parent = if r.status == 200 {
                r.json()["parentId"].as_str().map(str::to_string)
            } else {
                None
            };
            todo.extend(parent.clone());
            parents.insert(id, parent);
        }
        Oracle {
            pages,
            archived,
            parents,
        }
    })
}

/// Ids matched by `cql` through `/content/search`, in response order,
/// archived pages left out.
fn search(cql: &str) -> Vec<String> {
    let sim = demo();
    let (results, _) = sim.walk_v1(&sim.v1(&format!("/content/search?cql={}&limit=100", enc(cql))));
    ids(&results)
        .into_iter()
        .filter(|id| !oracle().archived.contains(id))
        .collect()
}

fn set(v: Vec<String>) -> BTreeSet<String> {
    v.into_iter().collect()
}

fn expect(cql: &str, want: impl Fn(&str, &Page) -> bool) {
    let want: BTreeSet<String> = oracle()
        .pages
        .iter()
        .filter(|(id, p)| want(id, p))
        .map(|(id, _)| id.clone())
        .collect();
    let got = set(search(cql));
    assert_eq!(got, want, "CQL {cql}");
}

/// "2024-03-01T08:00:00.000Z" -> "2024-03-01 08:00" (CQL's minute precision;
/// the simulator's time zone is UTC).
fn minute(iso: &str) -> String {
    iso[..16].replace('T', " ")
}

fn is_descendant(id: &str, of: &str) -> bool {
    let parents = &oracle().parents;
    let mut cur = parents.get(id).cloned().flatten();
    let mut hops = 0;
    while let Some(p) = cur {
        if p == of {
            return true;
        }
        hops += 1;
        assert!(hops < 100, "parent cycle");
        cur = parents.get(&p).cloned().flatten();
    }
    false
}

#[test]
fn space_type_title_id() {
    expect("type = page AND space = \"DEMO\"", |_, p| p.space == "DEMO");
    expect("space = OPS AND type = page", |_, p| p.space == "OPS");
    let (first, p) = oracle().pages.iter().next().unwrap();
    let title = p.title.clone();
    expect(&format!("title = \"{title}\""), |_, q| q.title == title);
    let some: Vec<&String> = oracle().pages.keys().take(3).collect();
    let list = some
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    expect(&format!("id in ({list})"), |id, _| {
        some.iter().any(|s| *s == id)
    });
    expect(&format!("id = {first}"), |id, _| id == first);
}

#[test]
fn hierarchy_operators() {
    let pages = &oracle().pages;
    // The page with the most descendants makes the strongest check.
    let root = pages
        .keys()
        .max_by_key(|id| pages.keys().filter(|d| is_descendant(d, id)).count())
        .unwrap()
        .clone();
    expect(&format!("ancestor = {root}"), |id, _| {
        is_descendant(id, &root)
    });
    expect(&format!("parent = {root}"), |_, p| {
        p.parent.as_deref() == Some(&root)
    });
    let mid = pages
        .iter()
        .find(|(id, p)| {
            p.parent.as_deref() == Some(&root) && pages.keys().any(|d| is_descendant(d, id))
        })
        .map(|(id, _)| id.clone())
        .expect("a child of the root with children");
    expect(&format!("ancestor = {mid} AND type = page"), |id, _| {
        is_descendant(id, &mid)
    });
}

#[test]
fn labels() {
    let all: BTreeSet<String> = oracle()
        .pages
        .values()
        .flat_map(|p| p.labels.iter().cloned())
        .collect();
    assert!(!all.is_empty(), "demo pages carry labels");
    for l in &all {
        expect(&format!("label = \"{l}\""), |_, p| p.labels.contains(l));
    }
}

#[test]
fn date_formats_at_minute_precision() {
    // A cut that splits the site: the median modification minute.
    let mut mods: Vec<String> = oracle()
        .pages
        .values()
        .map(|p| minute(&p.modified))
        .collect();
    mods.sort();
    let cut = mods[mods.len() / 2].clone(); // "YYYY-MM-DD HH:MM"
    let slashed = cut.replace('-', "/");
    for lit in [cut.clone(), slashed.clone()] {
        expect(&format!("lastmodified >= \"{lit}\""), |_, p| {
            minute(&p.modified) >= cut
        });
        expect(
            &format!("lastmodified < \"{lit}\" AND type = page"),
            |_, p| minute(&p.modified) < cut,
        );
    }
    let day = cut[..10].to_string();
    for lit in [day.clone(), day.replace('-', "/")] {
        expect(&format!("created >= \"{lit}\""), |_, p| {
            p.created[..10] >= *day
        });
        expect(&format!("created < \"{lit}\""), |_, p| {
            p.created[..10] < *day
        });
    }
}

#[test]
fn and_or_and_order_by() {
    let first = oracle().pages.keys().next().unwrap().clone();
    expect(&format!("space = \"OPS\" OR id = {first}"), |id, p| {
        p.space == "OPS" || id == first
    });
    expect(
        &format!("type = page AND (space = \"OPS\" OR id = {first})"),
        |id, p| p.space == "OPS" || id == first,
    );
    for (order, field) in [
        ("lastmodified ASC", "m"),
        ("lastmodified DESC", "-m"),
        ("created ASC", "c"),
        ("created DESC", "-c"),
    ] {
        let got = search(&format!("type = page ORDER BY {order}"));
        let key = |id: &String| {
            let p = &oracle().pages[id];
            if field.ends_with('m') {
                p.modified.clone()
            } else {
                p.created.clone()
            }
        };
        let keys: Vec<String> = got.iter().map(key).collect();
        let ok = keys.windows(2).all(|w| {
            if field.starts_with('-') {
                w[0] >= w[1]
            } else {
                w[0] <= w[1]
            }
        });
        assert!(ok, "ORDER BY {order}: {keys:?}");
        assert_eq!(got.len(), oracle().pages.len(), "ORDER BY {order}");
    }
}

#[test]
fn search_endpoint_wraps_content() {
    let sim = demo();
    let body = sim.json(&sim.v1(&format!(
        "/search?cql={}&limit=100",
        enc("type = page AND space = \"DEMO\"")
    )));
    let want: BTreeSet<&String> = oracle()
        .pages
        .iter()
        .filter(|(_, p)| p.space == "DEMO")
        .map(|(id, _)| id)
        .collect();
    let got: BTreeSet<&str> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["content"]["id"].as_str().unwrap())
        .filter(|id| !oracle().archived.contains(*id))
        .collect();
    assert_eq!(got.len(), want.len());
    assert!(want.iter().all(|w| got.contains(w.as_str())));
    assert!(body["cqlQuery"].is_string());
    for r in body["results"].as_array().unwrap() {
        assert_eq!(r["entityType"], "content", "{r}");
        assert!(r["url"].as_str().is_some_and(|u| !u.is_empty()), "{r}");
    }
}

#[test]
fn invalid_cql_is_400() {
    let sim = demo();
    for bad in [
        "type = = page",
        "lastmodified >= \"yesterday-ish\"",
        "(space = DEMO",
    ] {
        let r = sim.get(&sim.v1(&format!("/content/search?cql={}", enc(bad))));
        assert_eq!(r.status, 400, "{bad}: {}", r.text());
        let v: Value = r.json();
        assert_eq!(v["statusCode"], 400, "{v}");
    }
}
