//! The simulator's JSON must have the same recursive key sets as real Cloud
//! responses captured for the same operations (`../shared/corpus/api-responses`,
//! read at test time, never copied into the project; set `CME_SHARED_DIR` to
//! point elsewhere). Skips with a note when the corpus is absent.
//!
//! A key is *required* when every capture in which its parent exists has it,
//! and *allowed* when any capture has it: the simulator may not lack a
//! required key nor invent one that no capture shows, except for the few
//! documented in `ALLOWED_EXTRA`.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use common::Sim;
use serde_json::{Value, json};

/// Keys the simulator may add beyond the captures, with the reason.
const ALLOWED_EXTRA: &[(&str, &str, &str)] = &[(
    "v2 direct-children",
    "results[].type",
    "the capture comes from /children (ChildPage); /direct-children adds `type` (ChildrenResponse in the v2 spec)",
)];

/// Recursive key paths: `a.b`, `a[]` for a non-empty array, `a[].b` for keys
/// of its elements (union over elements).
fn key_paths(v: &Value) -> BTreeSet<String> {
    fn walk(v: &Value, prefix: &str, out: &mut BTreeSet<String>) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    out.insert(p.clone());
                    walk(child, &p, out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                let p = format!("{prefix}[]");
                out.insert(p.clone());
                for item in items {
                    walk(item, &p, out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(v, "", &mut out);
    out
}

fn parent(path: &str) -> Option<&str> {
    if let Some(p) = path.strip_suffix("[]") {
        return Some(p);
    }
    path.rfind('.').map(|i| &path[..i])
}

/// Body representations differ per request (`atlas_doc_format` in the v2
/// capture, `storage` asked of the simulator): compare them under one name.
fn normalise_body_format(paths: BTreeSet<String>) -> BTreeSet<String> {
    paths
        .into_iter()
        .map(|p| {
            for f in ["atlas_doc_format", "storage", "view", "export_view"] {
                let from = format!("body.{f}");
                if p == from || p.starts_with(&format!("{from}.")) {
                    return p.replacen(&from, "body.FORMAT", 1);
                }
            }
            p
        })
        .collect()
}

struct Diff {
    missing: Vec<String>,
    invented: Vec<String>,
}

fn compare(op: &str, captures: &[Value], sim: &Value) -> Diff {
    compare_paths(op, captures.iter().map(key_paths).collect(), key_paths(sim))
}

fn compare_paths(op: &str, captures: Vec<BTreeSet<String>>, sim: BTreeSet<String>) -> Diff {
    let union: BTreeSet<String> = captures.iter().flatten().cloned().collect();
    let required: BTreeSet<String> = union
        .iter()
        .filter(|p| {
            captures
                .iter()
                .filter(|c| parent(p).is_none_or(|par| c.contains(par)))
                .all(|c| c.contains(*p))
        })
        .cloned()
        .collect();
    // A key is only required when its parent exists in the simulator's answer
    // too (an empty array has no element keys).
    let missing = required
        .iter()
        .filter(|p| parent(p).is_none_or(|par| sim.contains(par)) && !sim.contains(*p))
        .cloned()
        .collect();
    let invented = sim
        .iter()
        .filter(|p| !union.contains(*p))
        .filter(|p| {
            !ALLOWED_EXTRA
                .iter()
                .any(|(o, k, _)| *o == op && (*p == k || p.starts_with(&format!("{k}."))))
        })
        .cloned()
        .collect();
    Diff { missing, invented }
}

/// `../shared/corpus/api-responses`, or `None` (with a note) when absent.
fn corpus_dir() -> Option<std::path::PathBuf> {
    let dir = common::shared_dir()?.join("corpus/api-responses");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: {} not found; skipping", dir.display());
        None
    }
}

fn captures(corpus: &Path, suffix: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(corpus)
        .unwrap_or_else(|e| panic!("read {}: {e}", corpus.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    entries.sort();
    for p in entries {
        let text = std::fs::read_to_string(&p).unwrap();
        out.push(serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display())));
    }
    assert!(
        !out.is_empty(),
        "no captures *{suffix} in {}",
        corpus.display()
    );
    out
}

fn demo() -> &'static Sim {
    static S: OnceLock<Sim> = OnceLock::new();
    S.get_or_init(|| common::cloud(common::SimConfig::demo()))
}

fn generated() -> &'static Sim {
    static S: OnceLock<Sim> = OnceLock::new();
    S.get_or_init(|| {
        common::cloud(common::generated(
            "pages=300,spaces=1,depth=5,attachments=0.6,body_kb=2,seed=5",
        ))
    })
}

/// Pages chosen to resemble the captured ones.
struct Picks {
    /// A page two or more levels below the space root (ancestors >= 2).
    deep: String,
    /// A page with at least one attachment.
    with_attachments: String,
    /// A page with at least one child page.
    with_children: String,
}

fn pick(sim: &Sim, key: &str) -> Picks {
    let (spaces, _) = sim.walk_v2(&sim.v2(&format!("/spaces?keys={key}")));
    let space = spaces[0]["id"].as_str().unwrap().to_string();
    let (pages, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{space}/pages?limit=250")));
    let by_id: BTreeMap<String, &Value> = pages
        .iter()
        .map(|p| (p["id"].as_str().unwrap().to_string(), p))
        .collect();
    let deep = pages
        .iter()
        .find(|p| {
            p["parentType"] == "page"
                && p["parentId"]
                    .as_str()
                    .and_then(|par| by_id.get(par))
                    .is_some_and(|par| par["parentId"].is_string())
        })
        .unwrap_or_else(|| panic!("a {key} page at depth >= 2"));
    let mut with_attachments = None;
    let mut with_children = None;
    for p in &pages {
        let id = p["id"].as_str().unwrap();
        if with_attachments.is_none()
            && !sim.json(&sim.v1(&format!("/content/{id}/child/attachment")))["results"]
                .as_array()
                .unwrap()
                .is_empty()
        {
            with_attachments = Some(id.to_string());
        }
        if with_children.is_none()
            && !sim.json(&sim.v2(&format!("/pages/{id}/children")))["results"]
                .as_array()
                .unwrap()
                .is_empty()
        {
            with_children = Some(id.to_string());
        }
    }
    Picks {
        deep: deep["id"].as_str().unwrap().to_string(),
        with_attachments: with_attachments
            .unwrap_or_else(|| panic!("a {key} page with attachments")),
        with_children: with_children.unwrap_or_else(|| panic!("a {key} page with children")),
    }
}

/// The demo site and a generated site, each with its picks.
fn sites() -> [(&'static Sim, &'static Picks); 2] {
    static D: OnceLock<Picks> = OnceLock::new();
    static G: OnceLock<Picks> = OnceLock::new();
    [
        (demo(), D.get_or_init(|| pick(demo(), "DEMO"))),
        (generated(), G.get_or_init(|| pick(generated(), "GEN0"))),
    ]
}

fn assert_same_keys(op: &str, diff: Diff) {
    assert!(
        diff.missing.is_empty() && diff.invented.is_empty(),
        "{op}: key sets differ from the real captures\n  missing in simulator: {:?}\n  invented by simulator: {:?}",
        diff.missing,
        diff.invented
    );
}

#[test]
fn v2_page() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let caps: Vec<_> = captures(&dir, ".page.v2.json")
        .iter()
        .map(|c| normalise_body_format(key_paths(c)))
        .collect();
    for (sim, picks) in sites() {
        let id = &picks.deep;
        // The captures were fetched with body-format=atlas_doc_format; ask the same.
        let mut r = sim.get(&sim.v2(&format!("/pages/{id}?body-format=atlas_doc_format")));
        if r.status != 200 {
            r = sim.get(&sim.v2(&format!("/pages/{id}?body-format=storage")));
        }
        assert_eq!(r.status, 200, "{}", r.text());
        let diff = compare_paths(
            "v2 page",
            caps.clone(),
            normalise_body_format(key_paths(&r.json())),
        );
        assert_same_keys("v2 page", diff);
    }
}

#[test]
fn v2_children() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let caps = captures(&dir, ".children.v2.json");
    for (sim, picks) in sites() {
        let id = &picks.with_children;
        let body = sim.json(&sim.v2(&format!("/pages/{id}/children")));
        assert_same_keys("v2 children", compare("v2 children", &caps, &body));
        let body = sim.json(&sim.v2(&format!("/pages/{id}/direct-children")));
        assert_same_keys(
            "v2 direct-children",
            compare("v2 direct-children", &caps, &body),
        );
    }
}

#[test]
fn v1_page_with_expands() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let caps = captures(&dir, ".page.v1.json");
    for (sim, picks) in sites() {
        let id = &picks.deep;
        let body = sim.json(&sim.v1(&format!(
            "/content/{id}?expand=title,ancestors,body.storage,body.view"
        )));
        assert_same_keys("v1 page", compare("v1 page", &caps, &body));
    }
}

#[test]
fn v1_ancestors() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let caps = captures(&dir, ".ancestors.v1.json");
    for (sim, picks) in sites() {
        let id = &picks.deep;
        let body = sim.json(&sim.v1(&format!(
            "/content/{id}?expand=title,ancestors,body.storage,body.view"
        )));
        // The captured file holds the `ancestors` array of that same request.
        let wrapped = json!({"results": body["ancestors"]});
        assert!(
            body["ancestors"].as_array().is_some_and(|a| a.len() >= 2),
            "page {id} should have >= 2 ancestors: {}",
            body["ancestors"]
        );
        assert_same_keys("v1 ancestors", compare("v1 ancestors", &caps, &wrapped));
    }
}

#[test]
fn v1_child_attachment() {
    let Some(dir) = corpus_dir() else {
        return;
    };
    let caps = captures(&dir, ".attachments.v1.json");
    for (sim, picks) in sites() {
        let id = &picks.with_attachments;
        let body = sim.json(&sim.v1(&format!("/content/{id}/child/attachment")));
        assert_same_keys(
            "v1 child/attachment",
            compare("v1 child/attachment", &caps, &body),
        );
    }
}

/// The comparison itself must be able to fail.
#[test]
fn comparison_detects_missing_and_invented_keys() {
    let caps = vec![
        json!({"id": "1", "a": {"b": 1}, "results": [{"x": 1}]}),
        json!({"id": "2", "a": {"b": 2}, "results": []}),
    ];
    let ok = compare(
        "t",
        &caps,
        &json!({"id": "3", "a": {"b": 3}, "results": [{"x": 2}]}),
    );
    assert!(ok.missing.is_empty() && ok.invented.is_empty());
    // Empty results in the simulator: element keys are not required.
    let empty = compare(
        "t",
        &caps,
        &json!({"id": "3", "a": {"b": 3}, "results": []}),
    );
    assert!(empty.missing.is_empty(), "{:?}", empty.missing);
    let bad = compare(
        "t",
        &caps,
        &json!({"id": "3", "a": {}, "results": [{"y": 1}]}),
    );
    assert_eq!(
        bad.missing,
        vec!["a.b".to_string(), "results[].x".to_string()]
    );
    assert_eq!(bad.invented, vec!["results[].y".to_string()]);
}

/// List items carry no `_links.base` (the list's top-level `_links` has it),
/// while a single GET carries it on the object (api notes section 4).
#[test]
fn base_link_placement() {
    for (sim, picks) in sites() {
        let single = sim.json(&sim.v2(&format!("/pages/{}", picks.deep)));
        let base = single["_links"]["base"]
            .as_str()
            .expect("single GET has _links.base");
        assert_eq!(base, format!("{}/wiki", sim.origin));
        let list = sim.json(&sim.v2("/pages?limit=50"));
        assert_eq!(list["_links"]["base"].as_str(), Some(base));
        for item in list["results"].as_array().unwrap() {
            assert!(
                item["_links"].get("base").is_none(),
                "list item {} has _links.base",
                item["id"]
            );
            assert!(item["_links"]["webui"].is_string(), "{item}");
        }
    }
}
