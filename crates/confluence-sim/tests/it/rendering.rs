//! `body.view` / `body.export_view` as Confluence renders them: each form is
//! checked as element + attribute sets (and class tokens), against the forms
//! the simulator issue describes and against public captures of real pages.
//!
//! Public captures (found with the search tool in Confluence page HTML that
//! people republished on GitHub; attribute names only, no values copied):
//! - a Confluence DC page (docs.katalon.com) and Cloud pages (…atlassian.net)
//!   showing `<img class="confluence-embedded-image" … data-image-src
//!   data-linked-resource-id data-linked-resource-version
//!   data-linked-resource-type="attachment" data-linked-resource-default-alias
//!   data-linked-resource-content-type data-linked-resource-container-id …>`;
//! - several Cloud pages showing the TOC placeholder `<div class="toc-macro
//!   client-side-toc-macro conf-macro output-block" data-hasbody="false"
//!   data-headerelements="H1,H2,H3,H4,H5,H6,H7" data-macro-id=…
//!   data-macro-name="toc"></div>` (optionally `data-cssliststyle`,
//!   `data-structure`, `data-numberedoutline`).

use crate::common;

use std::collections::BTreeMap;

use common::{Sim, SimConfig};
use serde_json::{Value, json};

/// One start tag: name and attributes (values with entities kept).
#[derive(Debug, Clone)]
struct Tag {
    name: String,
    attrs: BTreeMap<String, String>,
}

impl Tag {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs.get(k).map(String::as_str)
    }
    fn classes(&self) -> Vec<&str> {
        self.attr("class")
            .map(|c| c.split_whitespace().collect())
            .unwrap_or_default()
    }
    fn has_class(&self, c: &str) -> bool {
        self.classes().contains(&c)
    }
}

/// The start tags of machine-written HTML (double-quoted attributes).
fn tags(html: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(off) = html[i..].find('<') {
        let start = i + off + 1;
        i = start;
        if start >= b.len() || !b[start].is_ascii_alphabetic() {
            continue;
        }
        let mut j = start;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b':' || b[j] == b'-') {
            j += 1;
        }
        let name = html[start..j].to_string();
        let mut attrs = BTreeMap::new();
        loop {
            while j < b.len() && (b[j] == b' ' || b[j] == b'\n') {
                j += 1;
            }
            if j >= b.len() || b[j] == b'>' || b[j] == b'/' {
                break;
            }
            let k0 = j;
            while j < b.len() && b[j] != b'=' && b[j] != b' ' && b[j] != b'>' {
                j += 1;
            }
            let key = html[k0..j].to_string();
            let mut val = String::new();
            if j < b.len() && b[j] == b'=' && b.get(j + 1) == Some(&b'"') {
                let v0 = j + 2;
                let v1 = v0 + html[v0..].find('"').expect("closed attribute");
                val = html[v0..v1].to_string();
                j = v1 + 1;
            }
            attrs.insert(key, val);
        }
        out.push(Tag { name, attrs });
        i = j;
    }
    out
}

/// Asserts `tag` has exactly-named attributes `must` and the class tokens `classes`.
fn assert_form(tag: &Tag, name: &str, classes: &[&str], must: &[&str], what: &str) {
    assert_eq!(tag.name, name, "{what}: element of {tag:?}");
    for c in classes {
        assert!(tag.has_class(c), "{what}: class {c} missing in {tag:?}");
    }
    for a in must {
        assert!(
            tag.attrs.contains_key(*a),
            "{what}: attribute {a} missing in {tag:?}"
        );
    }
}

fn demo() -> Sim {
    common::cloud(SimConfig::demo())
}

fn body(sim: &Sim, id: &str, format: &str) -> String {
    let v = sim.json(&sim.v2(&format!("/pages/{id}?body-format={format}")));
    v["body"][format]["value"].as_str().unwrap().to_string()
}

fn storage(sim: &Sim, id: &str) -> String {
    body(sim, id, "storage")
}

/// `ac:macro-id`s of a storage body, in order.
fn storage_macro_ids(src: &str) -> Vec<String> {
    tags(src)
        .into_iter()
        .filter(|t| t.name == "ac:structured-macro")
        .filter_map(|t| t.attr("ac:macro-id").map(str::to_string))
        .collect()
}

#[test]
fn macro_wrappers_carry_name_and_id_from_storage() {
    let sim = demo();
    let mut checked = 0;
    for id in ["1001", "1008", "1010", "1014"] {
        let ids = storage_macro_ids(&storage(&sim, id));
        let view = tags(&body(&sim, id, "view"));
        let wrappers: Vec<&Tag> = view
            .iter()
            .filter(|t| t.attrs.contains_key("data-macro-name"))
            .collect();
        for w in &wrappers {
            assert_form(
                w,
                &w.name,
                &["conf-macro"],
                &["data-macro-id", "data-hasbody"],
                id,
            );
            assert!(!w.attr("data-macro-id").unwrap().is_empty(), "{w:?}");
        }
        // Every stored macro id shows up on a wrapper (toc, status, details …).
        for mid in &ids {
            assert!(
                wrappers
                    .iter()
                    .any(|w| w.attr("data-macro-id") == Some(mid)),
                "page {id}: macro id {mid} not rendered"
            );
            checked += 1;
        }
    }
    assert!(checked >= 4, "the demo has stored macro ids ({checked})");
}

#[test]
fn toc_is_a_client_placeholder_in_view_and_a_list_in_export_view() {
    let sim = demo();
    let mid = "5f0c2a61-1d2e-4e0f-9a8b-000000000003";
    let view = body(&sim, "1001", "view");
    let t = tags(&view);
    let toc = t
        .iter()
        .find(|t| t.attr("data-macro-name") == Some("toc"))
        .expect("toc wrapper in view");
    assert_form(
        toc,
        "div",
        &[
            "toc-macro",
            "client-side-toc-macro",
            "conf-macro",
            "output-block",
        ],
        &[
            "data-headerelements",
            "data-hasbody",
            "data-macro-id",
            "data-macro-name",
        ],
        "view toc",
    );
    assert_eq!(toc.attr("data-hasbody"), Some("false"));
    assert_eq!(toc.attr("data-macro-id"), Some(mid));
    assert!(
        toc.attr("data-headerelements")
            .unwrap()
            .starts_with("H1,H2")
    );
    // Empty: the browser fills it in.
    let at = view.find(&format!("data-macro-id=\"{mid}\"")).unwrap();
    let rest = &view[at..];
    assert!(
        rest[rest.find('>').unwrap() + 1..].starts_with("</div>"),
        "view toc has no content: {:.200}",
        rest
    );

    let export = body(&sim, "1001", "export_view");
    let t = tags(&export);
    let i = t
        .iter()
        .position(|t| t.has_class("toc-macro"))
        .expect("toc in export_view");
    let toc = &t[i];
    assert_eq!(toc.name, "div");
    assert!(
        toc.classes().iter().any(|c| c.starts_with("rbtoc")),
        "{toc:?}"
    );
    assert!(!toc.has_class("client-side-toc-macro"));
    assert!(!toc.attrs.contains_key("data-macro-name"), "{toc:?}");
    assert_form(
        &t[i + 1],
        "ul",
        &["toc-indentation"],
        &[],
        "export toc list",
    );
    assert_eq!(t[i + 2].name, "li");
    assert_eq!(t[i + 3].name, "a");
    assert_eq!(
        t[i + 3].attr("href"),
        Some("#DemoHome-WelcometotheDemoSpace")
    );
    // h2s nest under the h1.
    assert_form(
        &t[i + 4],
        "ul",
        &["toc-indentation"],
        &[],
        "nested toc list",
    );
    assert_eq!(t[i + 6].attr("href"), Some("#DemoHome-Contents"));
}

#[test]
fn emoticons_are_images_named_by_the_emoticon() {
    let sim = demo();
    for format in ["view", "export_view"] {
        let t = tags(&body(&sim, "1010", format));
        let emo: Vec<&Tag> = t.iter().filter(|t| t.has_class("emoticon")).collect();
        assert!(emo.len() >= 6, "{format}: {emo:?}");
        for e in emo {
            let name = e.attr("data-emoticon-name").expect("data-emoticon-name");
            assert_form(
                e,
                "img",
                &["emoticon", &format!("emoticon-{name}")],
                &["data-emoticon-name", "alt", "src"],
                format,
            );
            assert_eq!(e.attr("alt"), Some(format!("({name})").as_str()));
        }
    }
}

#[test]
fn page_properties_report_lists_matching_pages_and_their_properties() {
    let sim = demo();
    let t = tags(&body(&sim, "1014", "view"));
    let table = t
        .iter()
        .position(|t| t.has_class("metadata-summary-macro"))
        .expect("report table");
    assert_form(
        &t[table],
        "table",
        &["metadata-summary-macro"],
        &["data-cql", "data-headings"],
        "report",
    );
    assert_eq!(t[table].attr("data-headings"), Some("Decision,Owner"));
    assert!(
        t[table]
            .attr("data-cql")
            .unwrap()
            .contains("label = &quot;decision&quot;")
    );
    let wrapper = t[..table]
        .iter()
        .rev()
        .find(|t| t.attrs.contains_key("data-macro-name"))
        .unwrap();
    assert_eq!(wrapper.attr("data-macro-name"), Some("detailssummary"));
    assert_eq!(
        wrapper.attr("data-macro-id"),
        Some("d5000000-0000-4000-8000-000000000001")
    );
    let html = body(&sim, "1014", "view");
    // One row per page with the `decision` label that has properties.
    assert!(html.contains(">Decision Log</a></td>"), "{html:.4000}");
    assert!(
        html.contains("<p>Use v2 listings</p>"),
        "its property value"
    );
    let headers = html.matches("<th class=\"confluenceTh\">").count();
    assert_eq!(headers, 3, "title column + two headings");
}

#[test]
fn page_properties_rows_page_through_rest() {
    let sim = demo();
    // Three pages with properties under one parent.
    let parent = sim.control_ok(
        "POST",
        "/__sim/pages",
        Some(json!({"space": "OPS", "title": "Props", "body": ""})),
    );
    let parent = id_of(&parent);
    for (i, owner) in ["Zed", "Amy", "Kim"].iter().enumerate() {
        let body = format!(
            "<ac:structured-macro ac:name=\"details\"><ac:rich-text-body><table><tbody><tr><th>Owner</th><td><p>{owner}</p></td></tr><tr><th>Rank</th><td>{i}</td></tr></tbody></table></ac:rich-text-body></ac:structured-macro>"
        );
        sim.control_ok(
            "POST",
            "/__sim/pages",
            Some(json!({"space": "OPS", "title": format!("Prop {i}"), "body": body, "parent_id": parent})),
        );
    }
    let lines = |q: &str| -> Value {
        sim.json(&format!(
            "/wiki/rest/masterdetail/1.0/detailssummary/lines?cql={}&{q}",
            common::enc(&format!("parent = {parent}"))
        ))
    };
    let all = lines("pageSize=10&sortBy=Owner");
    for k in [
        "currentPage",
        "totalPages",
        "renderedHeadings",
        "detailLines",
    ] {
        assert!(all.get(k).is_some(), "{k} in {all}");
    }
    assert_eq!(all["renderedHeadings"], json!(["Owner", "Rank"]));
    let titles: Vec<&str> = all["detailLines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Prop 1", "Prop 2", "Prop 0"], "sorted by Owner");
    let line = &all["detailLines"][0];
    for k in ["id", "title", "relativeLink", "details"] {
        assert!(line.get(k).is_some(), "{k} in {line}");
    }
    assert_eq!(line["details"][0], "<p>Amy</p>");
    // Pages of two.
    let p0 = lines("pageSize=2&pageIndex=0&sortBy=Owner");
    let p1 = lines("pageSize=2&pageIndex=1&sortBy=Owner");
    assert_eq!(p0["totalPages"], 2);
    assert_eq!(p0["detailLines"].as_array().unwrap().len(), 2);
    assert_eq!(p1["detailLines"][0]["title"], "Prop 0");
    assert_eq!(p1["currentPage"], 1);
    // Reverse, and a bad query is a 400, not a crash.
    let rev = lines("pageSize=10&sortBy=Owner&reverseSort=true");
    assert_eq!(rev["detailLines"][0]["title"], "Prop 0");
    let bad = sim.get("/wiki/rest/masterdetail/1.0/detailssummary/lines?cql=%28%28");
    assert_eq!(bad.status, 400, "{}", bad.text());
}

/// Titles listed by a children macro with these parameters, nested levels
/// marked by `>`.
fn children_listing(sim: &Sim, params: &str) -> Vec<String> {
    let body = format!(
        "<ac:structured-macro ac:name=\"children\" ac:macro-id=\"c1\">{params}</ac:structured-macro>"
    );
    let parent = sim.json(&sim.v1("/content?spaceKey=OPS&title=Kids"));
    let id = parent["results"][0]["id"].as_str().unwrap().to_string();
    sim.control_ok(
        "PATCH",
        &format!("/__sim/pages/{id}"),
        Some(json!({"body": body})),
    );
    let html = body_of(sim, &id);
    let mut out = Vec::new();
    let mut level = 0usize;
    let mut rest = html.as_str();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("<ul") {
            level += 1;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("</ul>") {
            level -= 1;
            rest = r;
        } else if let Some(r) = rest.strip_prefix("<a ") {
            let text_at = r.find('>').unwrap() + 1;
            let end = r[text_at..].find("</a>").unwrap();
            out.push(format!(
                "{}{}",
                ">".repeat(level - 1),
                &r[text_at..text_at + end]
            ));
            rest = &r[text_at + end..];
        } else {
            let n = rest.chars().next().unwrap().len_utf8();
            rest = &rest[n..];
        }
    }
    out
}

fn id_of(v: &Value) -> String {
    v["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v["id"].to_string())
}

fn body_of(sim: &Sim, id: &str) -> String {
    body(sim, id, "view")
}

#[test]
fn children_macro_honours_sort_reverse_all_and_depth() {
    let sim = demo();
    let mk = |title: &str, parent: Option<&str>| -> String {
        let mut b = json!({"space": "OPS", "title": title, "body": "<p>x</p>"});
        if let Some(p) = parent {
            b["parent_id"] = json!(p);
        }
        id_of(&sim.control_ok("POST", "/__sim/pages", Some(b)))
    };
    let kids = mk("Kids", None);
    mk("Charlie", Some(&kids));
    let alpha = mk("Alpha", Some(&kids));
    mk("Bravo", Some(&kids));
    let kid = mk("Alpha Kid", Some(&alpha));
    mk("Alpha Grandkid", Some(&kid));

    let p = |k: &str, v: &str| format!("<ac:parameter ac:name=\"{k}\">{v}</ac:parameter>");
    assert_eq!(
        children_listing(&sim, ""),
        ["Charlie", "Alpha", "Bravo"],
        "tree order, one level"
    );
    assert_eq!(
        children_listing(&sim, &p("sort", "title")),
        ["Alpha", "Bravo", "Charlie"]
    );
    assert_eq!(
        children_listing(&sim, &(p("sort", "title") + &p("reverse", "true"))),
        ["Charlie", "Bravo", "Alpha"]
    );
    assert_eq!(
        children_listing(&sim, &(p("sort", "creation") + &p("reverse", "true"))),
        ["Bravo", "Alpha", "Charlie"]
    );
    assert_eq!(
        children_listing(&sim, &p("depth", "2")),
        ["Charlie", "Alpha", ">Alpha Kid", "Bravo"]
    );
    assert_eq!(
        children_listing(&sim, &p("all", "true")),
        [
            "Charlie",
            "Alpha",
            ">Alpha Kid",
            ">>Alpha Grandkid",
            "Bravo"
        ]
    );
    let t = tags(&body_of(&sim, &kids));
    assert_form(
        &t[0],
        "ul",
        &["childpages-macro", "conf-macro", "output-block"],
        &["data-macro-name", "data-macro-id"],
        "children wrapper",
    );
    assert_eq!(t[0].attr("data-macro-id"), Some("c1"));
}

#[test]
fn attachment_links_and_images_name_the_attachment_and_its_page() {
    let sim = demo();
    let atts = sim.json(&sim.v2("/pages/1009/attachments"));
    let png = atts["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "architecture.drawio.png")
        .expect("demo attachment");
    let att_id = png["id"]
        .as_str()
        .unwrap()
        .trim_start_matches("att")
        .to_string();
    for format in ["view", "export_view"] {
        let t = tags(&body(&sim, "1009", format));
        let img = t
            .iter()
            .find(|t| {
                t.has_class("confluence-embedded-image")
                    && t.attr("data-linked-resource-default-alias")
                        == Some("architecture.drawio.png")
            })
            .unwrap_or_else(|| panic!("{format}: image"));
        // The attribute set of the public captures.
        assert_form(
            img,
            "img",
            &["confluence-embedded-image"],
            &[
                "src",
                "data-image-src",
                "data-linked-resource-id",
                "data-linked-resource-version",
                "data-linked-resource-type",
                "data-linked-resource-default-alias",
                "data-linked-resource-content-type",
                "data-linked-resource-container-id",
            ],
            format,
        );
        assert_eq!(img.attr("data-linked-resource-id"), Some(att_id.as_str()));
        assert_eq!(img.attr("data-linked-resource-container-id"), Some("1009"));
        assert_eq!(img.attr("data-linked-resource-type"), Some("attachment"));
    }
    let t = tags(&body(&sim, "1012", "view"));
    let link = t
        .iter()
        .find(|t| {
            t.name == "a" && t.attr("data-linked-resource-default-alias") == Some("sim-logo.png")
        })
        .expect("attachment link");
    assert_form(
        link,
        "a",
        &[],
        &[
            "href",
            "data-linked-resource-id",
            "data-linked-resource-type",
            "data-linked-resource-default-alias",
            "data-linked-resource-container-id",
        ],
        "attachment link",
    );
    assert_eq!(link.attr("data-linked-resource-container-id"), Some("1012"));
}

/// Attribute names of `tag`, `data-*` only (values differ between sites).
fn data_attrs(t: &Tag) -> std::collections::BTreeSet<&str> {
    t.attrs
        .keys()
        .map(String::as_str)
        .filter(|k| k.starts_with("data-"))
        .collect()
}

/// Real captured pages (storage and view of the same page, see the corpus's
/// SOURCES.txt): served through the simulator, the storage must render to
/// macro wrappers, images and page links with the captured `data-*`
/// attribute sets. Skips with a note when the shared corpus is absent.
#[test]
fn captured_views_have_the_same_attribute_sets() {
    let Some(dir) = common::shared_dir().map(|d| d.join("corpus/api-responses")) else {
        return;
    };
    let sim = demo();
    let (mut compared, mut views) = (0, 0);
    let mut failures = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|r| r.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for (n, path) in files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".page.v1.json"))
        .enumerate()
    {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let (Some(src), Some(real)) = (
            v["body"]["storage"]["value"].as_str(),
            v["body"]["view"]["value"].as_str(),
        ) else {
            continue;
        };
        views += 1;
        let page = sim.control_ok(
            "POST",
            "/__sim/pages",
            Some(json!({"space": "OPS", "title": format!("Captured {n}"), "body": src})),
        );
        let id = id_of(&page);
        // The attachments its images name, so they resolve as on the real site.
        let mut names: Vec<String> = tags(src)
            .iter()
            .filter(|t| t.name == "ri:attachment")
            .filter_map(|t| t.attr("ri:filename").map(str::to_string))
            .collect();
        names.sort();
        names.dedup();
        for f in names {
            sim.control_ok(
                "POST",
                &format!("/__sim/pages/{id}/attachments"),
                Some(json!({"filename": f, "data_base64": "iVBORw0KGgo=", "media_type": "image/png"})),
            );
        }
        let ours = tags(&body(&sim, &id, "view"));
        let theirs = tags(real);
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        // Macro wrappers, matched by macro name.
        for t in theirs
            .iter()
            .filter(|t| t.attrs.contains_key("data-macro-name"))
        {
            let name = t.attr("data-macro-name").unwrap();
            let Some(o) = ours
                .iter()
                .find(|o| o.attr("data-macro-name") == Some(name))
            else {
                failures.push(format!("{file}: no {name} wrapper"));
                continue;
            };
            compared += 1;
            if o.name != t.name || data_attrs(o) != data_attrs(t) {
                failures.push(format!(
                    "{file}: {name}: ours <{} {:?}>, real <{} {:?}>",
                    o.name,
                    data_attrs(o),
                    t.name,
                    data_attrs(t)
                ));
            }
        }
        // Embedded images: every captured data-* attribute we can know offline.
        for t in theirs
            .iter()
            .filter(|t| t.has_class("confluence-embedded-image"))
        {
            let alias = t.attr("data-linked-resource-default-alias");
            let Some(o) = ours.iter().find(|o| {
                o.has_class("confluence-embedded-image")
                    && o.attr("data-linked-resource-default-alias") == alias
            }) else {
                failures.push(format!("{file}: no image {alias:?}"));
                continue;
            };
            compared += 1;
            let missing: Vec<&str> = data_attrs(t)
                .into_iter()
                .filter(|k| !o.attrs.contains_key(*k))
                .collect();
            if !missing.is_empty() || o.attr("loading").is_none() {
                failures.push(format!("{file}: image {alias:?} lacks {missing:?}"));
            }
        }
        // Links to pages that exist on our site too cannot be compared
        // (the targets are absent); their attribute set is checked by name.
        if let Some(t) = theirs
            .iter()
            .find(|t| t.name == "a" && t.attr("data-linked-resource-type") == Some("page"))
        {
            let want: std::collections::BTreeSet<&str> = data_attrs(t);
            let demo_link = tags(&body(&sim, "1012", "view"));
            let o = demo_link
                .iter()
                .find(|o| o.name == "a" && o.attr("data-linked-resource-type") == Some("page"))
                .expect("the demo links pages");
            compared += 1;
            if data_attrs(o) != want {
                failures.push(format!(
                    "{file}: page link ours {:?}, real {want:?}",
                    data_attrs(o)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(
        compared >= 3 || views == 0,
        "{views} captured views gave only {compared} comparisons"
    );
}
