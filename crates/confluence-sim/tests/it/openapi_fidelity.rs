//! Every operation the simulator serves must answer JSON that validates
//! against the response schema of the official Confluence OpenAPI document
//! (the subset vendored in `tests/data/openapi/schemas.json`, produced by
//! `tests/data/openapi/extract.py`; origin in `tests/data/openapi/README.md`).
//!
//! The checks run over the whole demo site (every page, attachment and
//! folder), so a field that is wrong only for, say, archived pages or the
//! space homepage is caught too.

use crate::common;

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use common::{Sim, enc};
use serde_json::{Value, json};

static SCHEMAS: &str = include_str!("../data/openapi/schemas.json");

/// Fields real Confluence sends as `null` although the spec declares them
/// non-nullable; a `null` there is accepted, anything else is still checked.
const KNOWN_NULLS: &[(&str, &str)] = &[
    (
        "parentId",
        "null at the space root (api notes section 4, real PageBulk/PageSingle)",
    ),
    ("parentType", "null at the space root, like parentId"),
];

/// Compiled response validators, keyed like the vendored file
/// (`"GET /pages/{id}"`, `"GET /wiki/rest/api/content/{id}"`, ...).
struct Schemas {
    validators: HashMap<String, jsonschema::Validator>,
}

fn schemas() -> &'static Schemas {
    static S: OnceLock<Schemas> = OnceLock::new();
    S.get_or_init(|| {
        let all: Value = serde_json::from_str(SCHEMAS).expect("vendored schemas parse");
        let mut validators = HashMap::new();
        for (op, entry) in all["operations"].as_object().unwrap() {
            let doc = &all["documents"][entry["document"].as_str().unwrap()];
            // Embed the document's components so `#/components/schemas/X` resolves locally.
            let root = json!({
                "components": doc["components"],
                "allOf": [entry["schema"]],
            });
            let v = jsonschema::options()
                // OpenAPI 3.0 schema objects are a draft-4 dialect (siblings of $ref ignored).
                .with_draft(jsonschema::Draft::Draft4)
                .should_validate_formats(true)
                .build(&root)
                .unwrap_or_else(|e| panic!("schema for {op} compiles: {e}"));
            validators.insert(op.clone(), v);
        }
        Schemas { validators }
    })
}

/// GETs paths, validates each answer and collects every failure so one run
/// reports all of them.
struct Checker<'a> {
    sim: &'a Sim,
    failures: Vec<String>,
    checked: usize,
}

impl<'a> Checker<'a> {
    fn new(sim: &'a Sim) -> Self {
        Checker {
            sim,
            failures: Vec::new(),
            checked: 0,
        }
    }

    /// Validates `path`'s 200 response against operation `op`; returns the JSON.
    fn check(&mut self, op: &str, path: &str) -> Value {
        let r = self.sim.get(path);
        if r.status != 200 {
            self.failures
                .push(format!("{path}: status {} {:.300}", r.status, r.text()));
            return Value::Null;
        }
        let body: Value = match serde_json::from_slice(&r.body) {
            Ok(v) => v,
            Err(e) => {
                self.failures.push(format!("{path}: not JSON: {e}"));
                return Value::Null;
            }
        };
        self.validate(op, path, &body);
        body
    }

    fn validate(&mut self, op: &str, path: &str, body: &Value) {
        let v = schemas()
            .validators
            .get(op)
            .unwrap_or_else(|| panic!("no vendored schema for {op}"));
        self.checked += 1;
        for err in v.iter_errors(body).take(5) {
            let at = err.instance_path().to_string();
            let field = at.rsplit('/').next().unwrap_or("");
            if body.pointer(&at).is_some_and(Value::is_null)
                && KNOWN_NULLS.iter().any(|(f, _)| *f == field)
            {
                continue;
            }
            self.failures.push(format!("{path} [{op}] at {at}: {err}"));
        }
    }

    fn finish(self) {
        assert!(self.checked > 0, "nothing was validated");
        assert!(
            self.failures.is_empty(),
            "{} schema failures over {} responses:\n{}",
            self.failures.len(),
            self.checked,
            self.failures
                .iter()
                .take(40)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        );
        eprintln!("validated {} responses", self.checked);
    }
}

fn demo() -> &'static Sim {
    static S: OnceLock<Sim> = OnceLock::new();
    S.get_or_init(|| common::cloud(common::SimConfig::demo()))
}

/// What the demo site holds, discovered through the v2 API.
struct Inventory {
    spaces: Vec<Value>,
    pages: Vec<Value>,
    attachments: Vec<Value>,
    folders: BTreeSet<String>,
}

fn inventory(sim: &Sim) -> Inventory {
    let (spaces, _) = sim.walk_v2(&sim.v2("/spaces?limit=250"));
    let mut pages = Vec::new();
    for s in &spaces {
        let id = s["id"].as_str().unwrap();
        let (p, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{id}/pages?limit=250")));
        pages.extend(p);
    }
    let mut attachments = Vec::new();
    let mut folders = BTreeSet::new();
    for p in &pages {
        let id = p["id"].as_str().unwrap();
        let (a, _) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/attachments?limit=250")));
        attachments.extend(a);
        if p["parentType"] == "folder" {
            folders.insert(p["parentId"].as_str().unwrap().to_string());
        }
        let (d, _) = sim.walk_v2(&sim.v2(&format!("/pages/{id}/descendants?limit=250&depth=10")));
        for item in d {
            if item["type"] == "folder" {
                folders.insert(item["id"].as_str().unwrap().to_string());
            }
        }
    }
    assert!(!pages.is_empty(), "demo site lists no pages");
    Inventory {
        spaces,
        pages,
        attachments,
        folders,
    }
}

fn inv() -> &'static Inventory {
    static I: OnceLock<Inventory> = OnceLock::new();
    I.get_or_init(|| inventory(demo()))
}

fn page_ids(inv: &Inventory) -> Vec<String> {
    common::ids(&inv.pages)
}

#[test]
fn v2_spaces() {
    let sim = demo();
    let inv = inv();
    let mut c = Checker::new(sim);
    c.check("GET /spaces", &sim.v2("/spaces"));
    c.check("GET /spaces", &sim.v2("/spaces?keys=DEMO,OPS&limit=1"));
    c.check("GET /spaces", &sim.v2("/spaces?type=global&status=current"));
    for s in &inv.spaces {
        let id = s["id"].as_str().unwrap();
        c.check("GET /spaces/{id}", &sim.v2(&format!("/spaces/{id}")));
        c.check(
            "GET /spaces/{id}",
            &sim.v2(&format!("/spaces/{id}?description-format=plain")),
        );
        for q in [
            "limit=250",
            "limit=5&body-format=storage",
            "depth=root",
            "status=archived",
            "status=current,archived&sort=-modified-date",
            "body-format=atlas_doc_format&limit=3",
        ] {
            c.check(
                "GET /spaces/{id}/pages",
                &sim.v2(&format!("/spaces/{id}/pages?{q}")),
            );
        }
    }
    c.finish();
}

#[test]
fn v2_pages_list() {
    let sim = demo();
    let ids = page_ids(inv());
    let mut c = Checker::new(sim);
    c.check("GET /pages", &sim.v2("/pages"));
    c.check(
        "GET /pages",
        &sim.v2("/pages?limit=250&body-format=storage"),
    );
    c.check(
        "GET /pages",
        &sim.v2("/pages?limit=50&body-format=atlas_doc_format&sort=-modified-date"),
    );
    let some: Vec<&str> = ids.iter().take(20).map(String::as_str).collect();
    c.check(
        "GET /pages",
        &sim.v2(&format!(
            "/pages?id={}&body-format=storage&limit=250",
            some.join(",")
        )),
    );
    let space_id = inv().spaces[0]["id"].as_str().unwrap();
    c.check(
        "GET /pages",
        &sim.v2(&format!(
            "/pages?space-id={space_id}&status=current,archived,trashed"
        )),
    );
    c.finish();
}

#[test]
fn v2_page_single_every_format() {
    let sim = demo();
    let mut c = Checker::new(sim);
    for id in page_ids(inv()) {
        for q in [
            "",
            "?body-format=storage",
            "?body-format=view",
            "?body-format=export_view",
            "?body-format=atlas_doc_format",
            "?include-labels=true",
            "?include-version=false",
            "?include-labels=true&include-versions=true&include-properties=true&body-format=storage",
            "?version=1&body-format=storage",
        ] {
            c.check("GET /pages/{id}", &sim.v2(&format!("/pages/{id}{q}")));
        }
    }
    c.finish();
}

#[test]
fn v2_page_subresources() {
    let sim = demo();
    let mut c = Checker::new(sim);
    for id in page_ids(inv()) {
        let p = |rest: &str| sim.v2(&format!("/pages/{id}{rest}"));
        c.check("GET /pages/{id}/ancestors", &p("/ancestors"));
        c.check("GET /pages/{id}/children", &p("/children?limit=250"));
        c.check("GET /pages/{id}/direct-children", &p("/direct-children"));
        c.check(
            "GET /pages/{id}/descendants",
            &p("/descendants?depth=10&limit=250"),
        );
        c.check("GET /pages/{id}/attachments", &p("/attachments"));
        c.check("GET /pages/{id}/labels", &p("/labels"));
        c.check("GET /pages/{id}/versions", &p("/versions"));
        c.check(
            "GET /pages/{id}/versions",
            &p("/versions?body-format=storage&sort=-modified-date"),
        );
    }
    c.finish();
}

#[test]
fn v2_attachments_and_folders() {
    let sim = demo();
    let inv = inv();
    assert!(
        !inv.attachments.is_empty(),
        "demo site has no attachments to validate"
    );
    let mut c = Checker::new(sim);
    for a in &inv.attachments {
        let id = a["id"].as_str().unwrap();
        c.check(
            "GET /attachments/{id}",
            &sim.v2(&format!("/attachments/{id}")),
        );
    }
    if inv.folders.is_empty() {
        eprintln!("note: the demo site has no folders; /folders/{{id}} not validated");
    }
    for f in &inv.folders {
        c.check("GET /folders/{id}", &sim.v2(&format!("/folders/{f}")));
    }
    c.finish();
}

#[test]
fn v2_blog_posts() {
    let sim = demo();
    let mut c = Checker::new(sim);
    let all = c.check("GET /blogposts", &sim.v2("/blogposts?limit=250"));
    let posts = all["results"].as_array().cloned().unwrap_or_default();
    assert!(!posts.is_empty(), "the demo has a blog post to validate");
    c.check(
        "GET /blogposts",
        &sim.v2("/blogposts?sort=-created-date&limit=1"),
    );
    for b in &posts {
        let id = b["id"].as_str().unwrap();
        let space = b["spaceId"].as_str().unwrap();
        for q in [
            "",
            "?body-format=storage",
            "?body-format=view",
            "?include-labels=true",
        ] {
            c.check(
                "GET /blogposts/{id}",
                &sim.v2(&format!("/blogposts/{id}{q}")),
            );
        }
        c.check(
            "GET /spaces/{id}/blogposts",
            &sim.v2(&format!("/spaces/{space}/blogposts?body-format=storage")),
        );
    }
    c.finish();
}

/// All the v1 operations, for one simulator (Cloud or DC).
/// `stride` samples every n-th page for the per-page operations.
fn check_v1(sim: &Sim, c: &mut Checker, stride: usize) {
    let spaces = c.check("GET /wiki/rest/api/space", &sim.v1("/space?limit=100"));
    let mut keys = Vec::new();
    if let Some(arr) = spaces["results"].as_array() {
        for s in arr {
            keys.push(s["key"].as_str().unwrap_or_default().to_string());
        }
    }
    assert!(!keys.is_empty(), "v1 /space lists no spaces");
    let mut page_ids = Vec::new();
    for key in &keys {
        let (pages, _) =
            sim.walk_v1(&sim.v1(&format!("/content?spaceKey={key}&type=page&limit=1000")));
        page_ids.extend(common::ids(&pages));
    }
    for key in &keys {
        c.check(
            "GET /wiki/rest/api/space/{spaceKey}",
            &sim.v1(&format!("/space/{key}")),
        );
        c.check(
            "GET /wiki/rest/api/space/{spaceKey}",
            &sim.v1(&format!("/space/{key}?expand=homepage,description.plain")),
        );
        c.check(
            "GET /wiki/rest/api/content",
            &sim.v1(&format!("/content?spaceKey={key}&type=page&limit=100")),
        );
        c.check(
            "GET /wiki/rest/api/content",
            &sim.v1(&format!(
                "/content?spaceKey={key}&type=page&limit=10&expand=body.storage,version,ancestors"
            )),
        );
        let cql = format!("type = page AND space = \"{key}\" ORDER BY lastmodified ASC");
        c.check(
            "GET /wiki/rest/api/content/search",
            &sim.v1(&format!(
                "/content/search?cql={}&limit=25&expand=version",
                enc(&cql)
            )),
        );
        c.check(
            "GET /wiki/rest/api/content/search",
            &sim.v1(&format!(
                "/content/search?cql={}&limit=25&expand=body.storage,ancestors,space",
                enc(&cql)
            )),
        );
        c.check(
            "GET /wiki/rest/api/search",
            &sim.v1(&format!("/search?cql={}&limit=25", enc(&cql))),
        );
        let atts = format!("type = attachment AND space = \"{key}\"");
        c.check(
            "GET /wiki/rest/api/content/search",
            &sim.v1(&format!(
                "/content/search?cql={}&limit=25&expand=version,container",
                enc(&atts)
            )),
        );
    }
    let expands = [
        "body.storage",
        "body.view",
        "body.export_view",
        "body.editor2",
        "version",
        "ancestors",
        "space",
        "history",
        "history.createdBy",
        "metadata.labels",
        "metadata.properties",
        "children.page",
        "container",
    ];
    let mut accounts = BTreeSet::new();
    for id in page_ids.iter().step_by(stride) {
        let path = |rest: &str| sim.v1(&format!("/content/{id}{rest}"));
        let v = c.check("GET /wiki/rest/api/content/{id}", &path(""));
        if v.is_null() {
            continue;
        }
        for e in expands {
            c.check(
                "GET /wiki/rest/api/content/{id}",
                &path(&format!("?expand={e}")),
            );
        }
        let full = c.check(
            "GET /wiki/rest/api/content/{id}",
            &path("?expand=body.storage,version,ancestors,space,history.createdBy,metadata.labels"),
        );
        if let Some(a) = full["history"]["createdBy"]["accountId"].as_str() {
            accounts.insert(a.to_string());
        }
        if let Some(a) = full["version"]["by"]["accountId"].as_str() {
            accounts.insert(a.to_string());
        }
        c.check(
            "GET /wiki/rest/api/content/{id}",
            &path("?expand=title,ancestors,body.storage,body.view"),
        );
        c.check(
            "GET /wiki/rest/api/content/{id}/child/{type}",
            &path("/child/page?limit=100&expand=version"),
        );
        c.check(
            "GET /wiki/rest/api/content/{id}/child/attachment",
            &path("/child/attachment"),
        );
        c.check(
            "GET /wiki/rest/api/content/{id}/descendant/{type}",
            &path("/descendant/page?limit=100"),
        );
    }
    assert!(!accounts.is_empty(), "no accountId found on any page");
    for a in &accounts {
        c.check(
            "GET /wiki/rest/api/user",
            &sim.v1(&format!("/user?accountId={}", enc(a))),
        );
    }
    let list: Vec<String> = accounts.iter().map(|a| enc(a)).collect();
    c.check(
        "GET /wiki/rest/api/user/bulk",
        &sim.v1(&format!("/user/bulk?accountId={}", list.join(","))),
    );
}

#[test]
fn v1_cloud() {
    let sim = demo();
    let mut c = Checker::new(sim);
    check_v1(sim, &mut c, 1);
    c.finish();
}

/// The DC flavour serves the same v1 shapes (without the Cloud-only keys),
/// so it must satisfy the same schemas.
#[test]
fn v1_data_center() {
    let sim = common::dc(common::SimConfig::demo(), "/confluence");
    let mut c = Checker::new(&sim);
    check_v1(&sim, &mut c, 1);
    c.finish();
}

/// The generator's pages (random bodies, attachments, deep trees) must fit
/// the same schemas as the hand-written demo.
#[test]
fn generated_site() {
    let sim = common::cloud(common::generated(
        "pages=400,spaces=2,depth=5,attachments=0.5,body_kb=2,seed=3",
    ));
    let inv = inventory(&sim);
    let mut c = Checker::new(&sim);
    c.check("GET /spaces", &sim.v2("/spaces"));
    for s in &inv.spaces {
        let id = s["id"].as_str().unwrap();
        c.check(
            "GET /spaces/{id}/pages",
            &sim.v2(&format!("/spaces/{id}/pages?limit=250&body-format=storage")),
        );
    }
    c.check(
        "GET /pages",
        &sim.v2("/pages?limit=250&body-format=storage"),
    );
    for id in page_ids(&inv).iter().step_by(20) {
        let p = |rest: &str| sim.v2(&format!("/pages/{id}{rest}"));
        c.check(
            "GET /pages/{id}",
            &p("?body-format=storage&include-labels=true"),
        );
        c.check("GET /pages/{id}", &p("?body-format=view"));
        c.check("GET /pages/{id}/ancestors", &p("/ancestors"));
        c.check("GET /pages/{id}/direct-children", &p("/direct-children"));
        c.check("GET /pages/{id}/descendants", &p("/descendants?depth=10"));
        c.check("GET /pages/{id}/attachments", &p("/attachments"));
        c.check("GET /pages/{id}/versions", &p("/versions"));
    }
    for a in inv.attachments.iter().step_by(10) {
        let id = a["id"].as_str().unwrap();
        c.check(
            "GET /attachments/{id}",
            &sim.v2(&format!("/attachments/{id}")),
        );
    }
    for f in inv.folders.iter().take(10) {
        c.check("GET /folders/{id}", &sim.v2(&format!("/folders/{f}")));
    }
    check_v1(&sim, &mut c, 25);
    c.finish();
}

/// The validator must be able to fail: a response with a wrong type is rejected.
#[test]
fn schemas_reject_wrong_shapes() {
    let v = &schemas().validators["GET /pages/{id}"];
    assert!(v.is_valid(&json!({"id": "1", "status": "current", "title": "t"})));
    assert!(!v.is_valid(&json!({"id": 1})), "numeric id accepted");
    assert!(
        !v.is_valid(&json!({"createdAt": "yesterday"})),
        "bad date-time accepted"
    );
    let v1 = &schemas().validators["GET /wiki/rest/api/content/{id}"];
    assert!(
        !v1.is_valid(&json!({"id": "1"})),
        "missing required type/status accepted"
    );
    let list = &schemas().validators["GET /spaces/{id}/pages"];
    assert!(!list.is_valid(&json!({"results": [{"version": {"number": "2"}}]})));
}

/// Comments (footer, inline open and resolved, replies) in every listing
/// that serves them.
#[test]
fn comments_every_listing() {
    let sim = common::cloud(common::SimConfig::demo());
    let add = |body: Value| {
        sim.control_ok("POST", "/__sim/pages/1002/comments", Some(body))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let footer = add(json!({"body": "<p>Footer</p>"}));
    let inline = add(json!({"body": "<p>Inline</p>", "location": "inline", "selection": "x"}));
    sim.control_ok("POST", &format!("/__sim/comments/{inline}/resolve"), None);
    for parent in [&footer, &inline] {
        sim.control_ok(
            "POST",
            &format!("/__sim/comments/{parent}/replies"),
            Some(json!({"body": "<p>Reply</p>"})),
        );
    }
    let mut c = Checker::new(&sim);
    let ex = "expand=container,ancestors,version,history,body.storage";
    c.check(
        "GET /wiki/rest/api/content/{id}/child/{type}",
        &sim.v1(&format!("/content/1002/child/comment?depth=all&{ex}")),
    );
    let cql = enc("type = comment and space = DEMO");
    let found = c.check(
        "GET /wiki/rest/api/content/search",
        &sim.v1(&format!("/content/search?cql={cql}&{ex}")),
    );
    assert_eq!(found["size"], 4);
    let found = c.check(
        "GET /wiki/rest/api/search",
        &sim.v1(&format!("/search?cql={cql}")),
    );
    assert_eq!(found["size"], 4);
    for fmt in ["", "?body-format=storage"] {
        c.check(
            "GET /pages/{id}/footer-comments",
            &sim.v2(&format!("/pages/1002/footer-comments{fmt}")),
        );
        c.check(
            "GET /pages/{id}/inline-comments",
            &sim.v2(&format!("/pages/1002/inline-comments{fmt}")),
        );
        c.check(
            "GET /footer-comments/{id}/children",
            &sim.v2(&format!("/footer-comments/{footer}/children{fmt}")),
        );
        c.check(
            "GET /inline-comments/{id}/children",
            &sim.v2(&format!("/inline-comments/{inline}/children{fmt}")),
        );
    }
    c.finish();
}
