//! Page comments: the control API adds, replies, edits, resolves and
//! deletes them without a page version; v1 `child/comment` (location filter,
//! `depth=all`), v1 CQL `type = comment` and the v2 footer/inline listings
//! (cursor paging, `children`) all show the change at once.
use crate::common;
use common::*;
use serde_json::{Value, json};

struct Made {
    footer: String,
    reply: String,
    nested: String,
    inline: String,
    resolved: String,
}

/// Two footer threads (one with a reply to a reply) and two inline threads
/// (one resolved) on page 1002.
fn populate(sim: &Sim) -> Made {
    let add = |body: Value| {
        sim.control_ok("POST", "/__sim/pages/1002/comments", Some(body))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let reply = |to: &str, text: &str| {
        sim.control_ok(
            "POST",
            &format!("/__sim/comments/{to}/replies"),
            Some(json!({"body": format!("<p>{text}</p>")})),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let footer = add(json!({"body": "<p>Footer one</p>"}));
    add(json!({"body": "<p>Footer two</p>"}));
    let r = reply(&footer, "Reply");
    let nested = reply(&r, "Nested reply");
    let inline =
        add(json!({"body": "<p>Inline open</p>", "location": "inline", "selection": "open text"}));
    let resolved =
        add(json!({"body": "<p>Inline done</p>", "location": "inline", "selection": "done text"}));
    sim.control_ok("POST", &format!("/__sim/comments/{resolved}/resolve"), None);
    Made {
        footer,
        reply: r,
        nested,
        inline,
        resolved,
    }
}

fn v1_shapes(sim: &Sim) {
    let m = populate(sim);
    let page = sim.json(&sim.v1("/content/1002?expand=version"));
    assert_eq!(
        page["version"]["number"], 1,
        "comments make no page version"
    );

    // Top level only by default; `depth=all` adds replies after their parent.
    let (top, _) = sim.walk_v1(&sim.v1("/content/1002/child/comment?limit=1"));
    assert_eq!(ids(&top).len(), 4, "{top:?}");
    let (all, calls) = sim.walk_v1(&sim.v1(
        "/content/1002/child/comment?depth=all&limit=2&expand=body.storage,ancestors,version,history,container",
    ));
    assert_eq!(calls, 3, "six comments, two a page");
    let order = ids(&all);
    let at = |id: &str| order.iter().position(|x| x == id).unwrap();
    assert!(
        at(&m.footer) < at(&m.reply) && at(&m.reply) < at(&m.nested),
        "{order:?}"
    );
    let nested = &all[at(&m.nested)];
    assert_eq!(nested["type"], "comment");
    assert_eq!(nested["container"]["id"], "1002");
    assert_eq!(
        ids(nested["ancestors"].as_array().unwrap()),
        vec![m.footer.clone(), m.reply.clone()]
    );
    assert_eq!(nested["body"]["storage"]["value"], "<p>Nested reply</p>");
    assert_eq!(nested["extensions"]["location"], "footer");
    assert!(nested["history"]["createdBy"]["displayName"].is_string());
    assert_eq!(nested["version"]["number"], 1);

    // Location filter: inline = open inline threads, resolved = resolved ones.
    let only = |loc: &str| {
        ids(
            &sim.json(&sim.v1(&format!("/content/1002/child/comment?location={loc}")))["results"]
                .as_array()
                .unwrap()
                .clone(),
        )
    };
    assert_eq!(only("inline"), vec![m.inline.clone()]);
    assert_eq!(only("resolved"), vec![m.resolved.clone()]);
    assert_eq!(only("footer").len(), 2);
    let both = sim.json(&sim.v1("/content/1002/child/comment?location=footer&location=resolved"));
    assert_eq!(both["size"], 3);

    let inline = &sim.json(&sim.v1(&format!(
        "/content/search?cql={}&expand=container",
        enc(&format!("type = comment and id = {}", m.resolved))
    )))["results"][0];
    assert_eq!(inline["extensions"]["location"], "inline");
    assert_eq!(
        inline["extensions"]["inlineProperties"]["originalSelection"],
        "done text"
    );
    assert_eq!(inline["extensions"]["resolution"]["status"], "resolved");

    // CQL: every comment of the space, paged; other spaces have none.
    let cql = enc("type = comment AND space = \"DEMO\"");
    let (found, _) = sim.walk_v1(&sim.v1(&format!(
        "/content/search?cql={cql}&limit=4&expand=container,body.storage"
    )));
    assert_eq!(unique(&ids(&found)).len(), 6);
    assert!(found.iter().all(|c| c["container"]["id"] == "1002"));
    let pages = sim.json(&sim.v1(&format!(
        "/content/search?cql={}",
        enc("type = page and space = DEMO")
    )));
    assert!(
        !ids(pages["results"].as_array().unwrap()).contains(&m.footer),
        "pages only"
    );

    // Edit, reopen, delete: no page version, listings follow.
    let edited = sim.control_ok(
        "PUT",
        &format!("/__sim/comments/{}", m.footer),
        Some(json!({"body": "<p>Edited</p>"})),
    );
    assert_eq!(edited["version"], 2);
    sim.control_ok(
        "POST",
        &format!("/__sim/comments/{}/reopen", m.resolved),
        None,
    );
    assert_eq!(only("resolved"), Vec::<String>::new());
    let gone = sim.control_ok("DELETE", &format!("/__sim/comments/{}", m.footer), None);
    assert_eq!(
        gone["deleted"].as_array().unwrap().len(),
        3,
        "with its replies"
    );
    let (left, _) = sim.walk_v1(&sim.v1(&format!("/content/search?cql={cql}")));
    assert_eq!(left.len(), 3);
    let page = sim.json(&sim.v1("/content/1002?expand=version"));
    assert_eq!(page["version"]["number"], 1);

    // Refusals.
    assert_eq!(
        sim.control(
            "POST",
            "/__sim/pages/999999/comments",
            Some(json!({"body": "x"}))
        )
        .status,
        404
    );
    assert_eq!(
        sim.control(
            "POST",
            "/__sim/pages/1002/comments",
            Some(json!({"location": "inline", "body": "x"}))
        )
        .status,
        400
    );
    assert_eq!(
        sim.control(
            "POST",
            &format!("/__sim/comments/{}/resolve", m.inline),
            None
        )
        .status,
        200
    );
    assert_eq!(
        sim.control("DELETE", &format!("/__sim/comments/{}", m.footer), None)
            .status,
        404
    );
}

#[test]
fn cloud_v1_comments() {
    v1_shapes(&cloud(SimConfig::demo()));
}

#[test]
fn data_center_v1_comments() {
    let sim = dc(SimConfig::demo(), "");
    v1_shapes(&sim);
    // Data Center has no v2.
    assert_eq!(sim.get(&sim.v2("/pages/1002/footer-comments")).status, 404);
}

#[test]
fn cloud_v2_comments() {
    let sim = cloud(SimConfig::demo());
    let m = populate(&sim);
    let (footer, calls) =
        sim.walk_v2(&sim.v2("/pages/1002/footer-comments?limit=1&body-format=storage"));
    assert_eq!((footer.len(), calls), (2, 2));
    assert_eq!(footer[0]["id"], m.footer.as_str());
    assert_eq!(footer[0]["pageId"], "1002");
    assert_eq!(footer[0]["body"]["storage"]["value"], "<p>Footer one</p>");
    let (inline, _) = sim.walk_v2(&sim.v2("/pages/1002/inline-comments"));
    assert_eq!(ids(&inline), vec![m.inline.clone(), m.resolved.clone()]);
    assert_eq!(inline[1]["resolutionStatus"], "resolved");
    assert_eq!(
        inline[1]["properties"]["inlineOriginalSelection"],
        "done text"
    );
    let open = sim.json(&sim.v2("/pages/1002/inline-comments?resolution-status=open"));
    assert_eq!(
        ids(open["results"].as_array().unwrap()),
        vec![m.inline.clone()]
    );
    let (kids, _) = sim.walk_v2(&sim.v2(&format!("/footer-comments/{}/children", m.footer)));
    assert_eq!(ids(&kids), vec![m.reply.clone()]);
    assert_eq!(kids[0]["parentCommentId"], m.footer.as_str());
    let (deeper, _) = sim.walk_v2(&sim.v2(&format!("/footer-comments/{}/children", m.reply)));
    assert_eq!(ids(&deeper), vec![m.nested.clone()]);
    assert_eq!(
        sim.get(&sim.v2(&format!("/inline-comments/{}/children", m.footer)))
            .status,
        404
    );
    assert_eq!(
        sim.get(&sim.v2("/pages/1002/footer-comments?body-format=wiki"))
            .status,
        400
    );
}
