//! The bundled demo site is the README demo and the exporter's end-to-end
//! fixture, so it must exercise everything: both spaces, a deep hierarchy,
//! every element family of the storage-format catalogue
//! (`../shared/spec/storage-format.md`), real attachments, and the awkward
//! pages (archived, trashed or restricted, multi-version).

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use common::{Sim, SimConfig, enc};
use serde_json::Value;

fn demo() -> &'static Sim {
    static S: OnceLock<Sim> = OnceLock::new();
    S.get_or_init(|| common::cloud(SimConfig::demo()))
}

struct Site {
    spaces: BTreeMap<String, String>, // key -> id
    pages: Vec<Value>,                // current + archived, with storage bodies
}

fn site() -> &'static Site {
    static S: OnceLock<Site> = OnceLock::new();
    S.get_or_init(|| {
        let sim = demo();
        let (spaces, _) = sim.walk_v2(&sim.v2("/spaces?limit=250"));
        let spaces: BTreeMap<String, String> = spaces
            .iter()
            .map(|s| {
                (
                    s["key"].as_str().unwrap().to_string(),
                    s["id"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut pages = Vec::new();
        for id in spaces.values() {
            let (p, _) = sim.walk_v2(&sim.v2(&format!(
                "/pages?space-id={id}&body-format=storage&limit=250&status=current,archived"
            )));
            pages.extend(p);
        }
        Site { spaces, pages }
    })
}

#[test]
fn spaces_pages_and_depth() {
    let s = site();
    assert!(s.spaces.contains_key("DEMO"), "{:?}", s.spaces.keys());
    assert!(s.spaces.contains_key("OPS"), "{:?}", s.spaces.keys());
    assert!(s.pages.len() >= 30, "only {} pages", s.pages.len());
    let parent: BTreeMap<&str, Option<&str>> = s
        .pages
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["parentId"].as_str()))
        .collect();
    let depth = |mut id: &str| {
        let mut d = 1;
        while let Some(Some(p)) = parent.get(id) {
            d += 1;
            id = p;
            assert!(d < 100, "parent cycle at {id}");
        }
        d
    };
    let max = parent.keys().map(|id| depth(id)).max().unwrap_or(0);
    assert!(max >= 4, "hierarchy only {max} levels deep");
    for key in ["DEMO", "OPS"] {
        let sid = &s.spaces[key];
        assert!(
            s.pages
                .iter()
                .filter(|p| p["spaceId"] == sid.as_str())
                .count()
                >= 3,
            "{key} has pages"
        );
    }
}

/// Element families of the storage-format catalogue; each entry passes when
/// any of its alternatives occurs in some served body.
const ELEMENTS: &[(&str, &[&str])] = &[
    // 1. plain XHTML
    ("headings", &["<h1", "<h2"]),
    ("h3..h6", &["<h3", "<h4", "<h5", "<h6"]),
    ("table", &["<table"]),
    ("table header", &["<th"]),
    ("merged cells (rowspan)", &["rowspan="]),
    ("merged cells (colspan)", &["colspan="]),
    ("unordered list", &["<ul"]),
    ("ordered list", &["<ol"]),
    ("blockquote", &["<blockquote"]),
    ("pre", &["<pre"]),
    ("strong", &["<strong", "<b>"]),
    ("em", &["<em", "<i>"]),
    ("underline", &["<u>"]),
    ("strike", &["<s>", "<del", "line-through"]),
    ("sub/sup", &["<sub", "<sup"]),
    ("inline code", &["<code"]),
    ("hr", &["<hr"]),
    ("external link", &["<a href="]),
    ("smart link", &["data-card-appearance="]),
    // 2. macros
    ("code macro", &["ac:name=\"code\""]),
    ("noformat", &["ac:name=\"noformat\""]),
    ("info", &["ac:name=\"info\""]),
    ("note", &["ac:name=\"note\""]),
    ("warning", &["ac:name=\"warning\""]),
    ("tip", &["ac:name=\"tip\""]),
    ("panel", &["ac:name=\"panel\""]),
    ("expand", &["ac:name=\"expand\""]),
    ("toc", &["ac:name=\"toc\""]),
    ("children", &["ac:name=\"children\""]),
    ("status", &["ac:name=\"status\""]),
    ("jira", &["ac:name=\"jira\"", "ac:name=\"jiraissues\""]),
    ("anchor", &["ac:name=\"anchor\""]),
    ("excerpt", &["ac:name=\"excerpt\""]),
    ("excerpt-include", &["ac:name=\"excerpt-include\""]),
    ("include", &["ac:name=\"include\""]),
    ("page properties", &["ac:name=\"details\""]),
    ("page properties report", &["ac:name=\"detailssummary\""]),
    ("drawio", &["ac:name=\"drawio\""]),
    ("gliffy", &["ac:name=\"gliffy\""]),
    (
        "plantuml",
        &["ac:name=\"plantuml\"", "ac:name=\"plantumlcloud\""],
    ),
    (
        "mermaid",
        &[
            "ac:name=\"mermaid-cloud\"",
            "ac:name=\"mermaid\"",
            "ac:name=\"mermaid-macro\"",
        ],
    ),
    ("attachments macro", &["ac:name=\"attachments\""]),
    (
        "view-file",
        &["ac:name=\"view-file\"", "ac:name=\"viewpdf\""],
    ),
    ("multimedia", &["ac:name=\"multimedia\""]),
    ("widget", &["ac:name=\"widget\""]),
    ("section/column", &["ac:name=\"section\""]),
    ("rich-text body", &["<ac:rich-text-body"]),
    ("plain-text body", &["<ac:plain-text-body><![CDATA["]),
    // 3. links
    ("page link", &["<ri:page"]),
    ("blog-post link", &["<ri:blog-post"]),
    (
        "attachment link",
        &[
            "<ac:link><ri:attachment",
            "<ac:link ac:card-appearance=\"inline\"><ri:attachment",
        ],
    ),
    ("user mention", &["<ri:user"]),
    ("space link", &["<ri:space "]),
    ("url resource", &["<ri:url"]),
    ("content-entity", &["<ri:content-entity"]),
    ("shortcut", &["<ri:shortcut"]),
    ("plain-text link body", &["<ac:plain-text-link-body"]),
    ("rich link body", &["<ac:link-body"]),
    ("anchor link", &["ac:anchor="]),
    // 4. images
    ("image", &["<ac:image"]),
    ("image caption", &["<ac:caption"]),
    ("image attachment", &["<ri:attachment ri:filename=\""]),
    // 5. emoticons
    ("emoticon", &["<ac:emoticon"]),
    ("emoji", &["ac:emoji-"]),
    // 6. tasks
    ("task list", &["<ac:task-list"]),
    ("task status complete", &["<ac:task-status>complete"]),
    ("task status incomplete", &["<ac:task-status>incomplete"]),
    // 7. layouts
    ("layout", &["<ac:layout>", "<ac:layout "]),
    ("layout section", &["<ac:layout-section"]),
    ("layout cell", &["<ac:layout-cell"]),
    // 8. instructional text, comments, dates
    ("placeholder", &["<ac:placeholder"]),
    ("inline comment marker", &["<ac:inline-comment-marker"]),
    ("date", &["<time datetime="]),
    // 9. ADF in storage
    ("adf extension", &["<ac:adf-extension"]),
    ("adf fallback", &["<ac:adf-fallback"]),
    ("decision list", &["decision-list"]),
    ("adf mark", &["<ac:adf-mark"]),
    ("adf fragment mark", &["<ac:adf-fragment-mark"]),
];

#[test]
fn bodies_cover_the_storage_catalogue() {
    let s = site();
    let bodies: Vec<&str> = s
        .pages
        .iter()
        .map(|p| p["body"]["storage"]["value"].as_str().unwrap_or(""))
        .collect();
    assert!(
        bodies.iter().all(|b| !b.is_empty()),
        "every page has a storage body"
    );
    let missing: Vec<&str> = ELEMENTS
        .iter()
        .filter(|(_, alts)| !alts.iter().any(|a| bodies.iter().any(|b| b.contains(a))))
        .map(|(name, _)| *name)
        .collect();
    assert!(
        missing.is_empty(),
        "demo bodies lack {} element families: {missing:?}",
        missing.len()
    );
}

#[test]
fn links_cross_spaces() {
    let s = site();
    let key_of: BTreeMap<&str, &str> = s
        .spaces
        .iter()
        .map(|(k, id)| (id.as_str(), k.as_str()))
        .collect();
    let crossing = s.pages.iter().any(|p| {
        let own = key_of[p["spaceId"].as_str().unwrap()];
        let body = p["body"]["storage"]["value"].as_str().unwrap_or("");
        s.spaces
            .keys()
            .filter(|k| k.as_str() != own)
            .any(|other| body.contains(&format!("ri:space-key=\"{other}\"")))
    });
    assert!(crossing, "some page links to a page in another space");
}

#[test]
fn attachments_users_labels() {
    let sim = demo();
    let s = site();
    let mut media = BTreeSet::new();
    let mut names = BTreeSet::new();
    let mut labelled = 0;
    let mut authors = BTreeSet::new();
    for p in &s.pages {
        let id = p["id"].as_str().unwrap();
        let (atts, _) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/attachments")));
        for a in atts {
            media.insert(a["mediaType"].as_str().unwrap_or("").to_string());
            names.insert(a["title"].as_str().unwrap_or("").to_string());
        }
        let (labels, _) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/labels")));
        if !labels.is_empty() {
            labelled += 1;
        }
        authors.insert(p["authorId"].as_str().unwrap().to_string());
    }
    assert!(media.contains("image/png"), "{media:?}");
    assert!(media.contains("application/pdf"), "{media:?}");
    assert!(
        names.iter().any(|n| n.ends_with(".drawio")) || media.iter().any(|m| m.contains("drawio")),
        "a drawio attachment: {names:?}"
    );
    assert!(labelled >= 1, "some page has labels");
    assert!(authors.len() >= 2, "several authors: {authors:?}");
    for a in &authors {
        let u = sim.json(&sim.v1(&format!("/user?accountId={}", enc(a))));
        let name = u["displayName"].as_str().unwrap_or("");
        assert!(
            !name.is_empty() && name != a,
            "user {a} has a display name: {u}"
        );
    }
}

#[test]
fn awkward_pages_exist() {
    let sim = demo();
    let s = site();
    assert!(
        s.pages.iter().any(|p| p["status"] == "archived"),
        "an archived page"
    );
    assert!(
        s.pages
            .iter()
            .any(|p| p["version"]["number"].as_u64().unwrap_or(0) >= 3),
        "a page with several versions"
    );
    let mut trashed = 0;
    for id in s.spaces.values() {
        let (t, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{id}/pages?status=trashed&limit=250")));
        trashed += t.len();
    }
    // A restricted page is invisible to the default user; evidence of one is
    // a read restriction visible on a page the default user may read.
    let restricted = s.pages.iter().any(|p| {
        let id = p["id"].as_str().unwrap();
        let r = sim.get(&sim.v1(&format!(
            "/content/{id}?expand=restrictions.read.restrictions.user"
        )));
        r.status == 200
            && r.json()["restrictions"]["read"]["restrictions"]["user"]["results"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
    });
    assert!(trashed > 0 || restricted, "a trashed or restricted page");
}

/// `view` and `export_view` are HTML renderings: no storage-only markup
/// (`ac:`/`ri:` elements) may leak, and the text of the page survives.
#[test]
fn rendered_formats_are_html() {
    let sim = demo();
    let s = site();
    let mut leaks = Vec::new();
    for p in &s.pages {
        let id = p["id"].as_str().unwrap();
        for f in ["view", "export_view"] {
            let v = sim.json(&sim.v2(&format!("/pages/{id}?body-format={f}")));
            let body = &v["body"][f];
            assert_eq!(body["representation"], f, "page {id}");
            let html = body["value"].as_str().unwrap_or("");
            for tag in ["<ac:", "<ri:", "</ac:", "<![CDATA["] {
                if html.contains(tag) {
                    leaks.push(format!("{id} {f}: {tag}"));
                }
            }
        }
        // v1 serves the same renderings.
        let v1 = sim.json(&sim.v1(&format!("/content/{id}?expand=body.view,body.export_view")));
        for f in ["view", "export_view"] {
            assert_eq!(v1["body"][f]["representation"], f, "v1 page {id}");
        }
    }
    assert!(
        leaks.is_empty(),
        "storage markup in rendered bodies: {leaks:?}"
    );
}
