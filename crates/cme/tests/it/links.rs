//! Links always work (issue 9, item 2) and Confluence's order and
//! visibility (item 3): every link and image of an export either resolves
//! to a file of the export (and its `#anchor` to an anchor in that file) or
//! is an absolute `http(s)` URL, never a host-less path.
use crate::common;
use cme::sync::Selection;
use cme_client::SpaceKey;
use common::links::check_links;
use common::*;
use confluence_sim::{SimConfig, SimHandle, spawn};
use serde_json::json;
use std::collections::BTreeMap;

/// The one Markdown file whose path ends with `suffix`.
fn file(files: &BTreeMap<String, Vec<u8>>, suffix: &str) -> String {
    let hits: Vec<&String> = files.keys().filter(|k| k.ends_with(suffix)).collect();
    assert_eq!(hits.len(), 1, "{suffix}: {hits:#?}");
    String::from_utf8_lossy(&files[hits[0]]).into_owned()
}

/// A page's tiny-link code, as the simulator (Confluence's encoder) gives it.
fn tiny(sim: &SimHandle, id: u64) -> String {
    let v = api_get(sim, &format!("/wiki/rest/api/content/{id}"));
    let link = v["_links"]["tinyui"].as_str().expect("tinyui");
    link.strip_prefix("/x/").expect("/x/CODE").to_owned()
}

fn link(ri: &str, body: &str, anchor: Option<&str>) -> String {
    let a = anchor.map_or(String::new(), |a| format!(" ac:anchor=\"{a}\""));
    format!(
        "<ac:link{a}>{ri}<ac:plain-text-link-body><![CDATA[{body}]]></ac:plain-text-link-body></ac:link>"
    )
}

fn mac(name: &str, params: &[(&str, &str)], body: &str) -> String {
    let mut s = format!("<ac:structured-macro ac:name=\"{name}\">");
    for (k, v) in params {
        s.push_str(&format!("<ac:parameter ac:name=\"{k}\">{v}</ac:parameter>"));
    }
    s.push_str(body);
    s.push_str("</ac:structured-macro>");
    s
}

/// A page with every kind of link, in the demo's DEMO space.
fn every_link_body(sim: &SimHandle) -> String {
    [
        format!(
            "<p>tiny exported: <a href=\"/wiki/x/{}\">tiny</a></p>",
            tiny(sim, 1003)
        ),
        format!(
            "<p>tiny other space: <a href=\"/wiki/x/{}\">tiny ops</a></p>",
            tiny(sim, 2003)
        ),
        "<p>hostless: <a href=\"/display/OPS/Glossary\">ops glossary</a></p>".into(),
        "<p>hostless unknown: <a href=\"/wiki/plugins/servlet/whatever\">plugin</a></p>".into(),
        format!(
            "<p>space exported: {}</p>",
            link("<ri:space ri:space-key=\"DEMO\"/>", "demo", None)
        ),
        format!(
            "<p>space not exported: {}</p>",
            link("<ri:space ri:space-key=\"OPS\"/>", "ops", None)
        ),
        format!(
            "<p>page not exported: {}</p>",
            link(
                "<ri:page ri:space-key=\"OPS\" ri:content-title=\"Monitoring\"/>",
                "monitoring",
                None
            )
        ),
        format!(
            "<p>page exported: {}</p>",
            link(
                "<ri:page ri:content-title=\"Data Flow\"/>",
                "data flow",
                Some("Somewhere")
            )
        ),
        format!(
            "<p>sections of another page: {} {} {} {}</p>",
            link(
                "<ri:page ri:content-title=\"Deep Dive: Kernel Flags\"/>",
                "flags section",
                Some("Flags")
            ),
            link(
                "<ri:page ri:content-title=\"Deep Dive: Kernel Flags\"/>",
                "top anchor",
                Some("top")
            ),
            link(
                "<ri:page ri:content-title=\"Deep Dive: Kernel Flags\"/>",
                "old style",
                Some("DeepDive:KernelFlags-Details")
            ),
            link(
                "<ri:page ri:content-title=\"Deep Dive: Kernel Flags\"/>",
                "no such section",
                Some("Nowhere")
            )
        ),
        format!(
            "<p>blog: {}</p>",
            link(
                "<ri:blog-post ri:content-title=\"News\" ri:posting-day=\"2024/01/02\"/>",
                "news",
                None
            )
        ),
        format!(
            "<p>missing attachment: {}</p>",
            link(
                "<ri:attachment ri:filename=\"nowhere.pdf\"/>",
                "the missing file",
                None
            )
        ),
        "<p><ac:image><ri:attachment ri:filename=\"missing.png\"/></ac:image></p>".into(),
        mac("drawio", &[("diagramName", "never-uploaded")], ""),
        mac("gliffy", &[("name", "also-missing")], ""),
        "<h2>Second Part</h2>".into(),
        format!(
            "<p>same page: {}</p>",
            link("", "to second part", Some("Second Part"))
        ),
        format!(
            "<p>self by title: {}</p>",
            link(
                "<ri:page ri:content-title=\"Every Link\"/>",
                "self",
                Some("EveryLink-SecondPart")
            )
        ),
        format!(
            "<p>missing anchor: {}</p>",
            link("", "nowhere", Some("No Such Heading"))
        ),
        mac("anchor", &[("", "spot")], ""),
        "<p><a href=\"#spot\">to spot</a> <a href=\"#gone\">gone</a></p>".into(),
    ]
    .concat()
}

#[test]
fn demo_export_links_resolve_or_go_to_the_site() {
    let sim = spawn(SimConfig::demo()).unwrap();
    ctl(
        &sim,
        "POST",
        "/__sim/pages",
        Some(
            json!({"space": "DEMO", "parent_id": "1001", "title": "Every Link", "body": every_link_body(&sim)}),
        ),
    );
    let out = tmp("links-demo");
    let selection = Selection::Spaces(vec![SpaceKey::new("DEMO")]);
    export_selection(&client(&sim, "sim-token"), selection, &out, false).unwrap();
    let files = content(&out);
    let (relative, absolute) = check_links(&files);
    assert!(relative > 20 && absolute > 10, "{relative} {absolute}");

    let site = format!("{}/wiki", sim.url().trim_end_matches('/'));
    let md = file(&files, "/Every Link.md");
    let expect = [
        "[tiny](Getting%20Started/Installation.md)",
        &format!("[tiny ops]({site}/x/{})", tiny(&sim, 2003)),
        &format!(
            "[ops glossary]({}/display/OPS/Glossary)",
            sim.url().trim_end_matches('/')
        ),
        "[demo](../Demo%20Home.md)",
        &format!("[ops]({site}/display/OPS)"),
        &format!("[monitoring]({site}/display/OPS/Monitoring)"),
        // An anchor another file does not have: the file itself.
        "[data flow](Architecture/Data%20Flow.md)",
        // Anchors another file has: kept, as that file spells them.
        "[flags section](Getting%20Started/Installation/Linux%20Setup/Troubleshooting%20Linux/Deep%20Dive_%20Kernel%20Flags.md#flags)",
        "[top anchor](Getting%20Started/Installation/Linux%20Setup/Troubleshooting%20Linux/Deep%20Dive_%20Kernel%20Flags.md#top)",
        "[old style](Getting%20Started/Installation/Linux%20Setup/Troubleshooting%20Linux/Deep%20Dive_%20Kernel%20Flags.md#details)",
        "[no such section](Getting%20Started/Installation/Linux%20Setup/Troubleshooting%20Linux/Deep%20Dive_%20Kernel%20Flags.md)",
        &format!("[news]({site}/display/DEMO/2024/01/02/News)"),
        "[to second part](#second-part)",
        "[self](#second-part)",
        "[to spot](#spot)",
    ];
    for e in expect {
        assert!(md.contains(e), "`{e}` missing in:\n{md}");
    }
    // A missing attachment keeps its text and goes to Confluence.
    assert!(
        md.contains("[the missing file](") && md.contains("/nowhere.pdf)"),
        "{md}"
    );
    // No source was downloaded: the diagram is not linked to one.
    assert!(
        !md.contains("](never-uploaded") && !md.contains("also-missing)"),
        "{md}"
    );
    // Anchors that do not exist: the text stays, unlinked.
    assert!(md.contains("missing anchor: nowhere"), "{md}");
    assert!(md.contains(" gone"), "{md}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn whole_demo_and_a_generated_site_have_no_broken_links() {
    let Site { sim, out, .. } = Site::demo("links-demo-all");
    export(&client(&sim, "sim-token"), &out, false).unwrap();
    let files = content(&out);
    let (relative, _) = check_links(&files);
    assert!(relative > 20, "{relative}");
    // draw.io's source was uploaded, so the diagram links it; Gliffy's was
    // not (only its PNG), so that image stands alone.
    let arch = file(&files, "/Architecture.md");
    assert!(
        arch.contains("[![architecture.drawio](../_attachments/1009/architecture.drawio.png)](../_attachments/1009/architecture.drawio)"),
        "{arch}"
    );
    assert!(
        arch.contains("\n![gliffy-network](../_attachments/1009/gliffy-network.png)\n"),
        "{arch}"
    );
    std::fs::remove_dir_all(&out).ok();

    let spec = "pages=120,spaces=3,depth=4,attachments=2,body_kb=2,seed=11";
    let Site { sim, out, .. } = Site::generated(spec, "links-generated");
    export(&client(&sim, "sim-token"), &out, false).unwrap();
    let (relative, _) = check_links(&content(&out));
    assert!(relative > 50, "{relative}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn children_keep_confluence_order_and_the_macro_sort() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let macros = [
        mac("children", &[], ""),
        "<h2>title</h2>".into(),
        mac("children", &[("sort", "title")], ""),
        "<h2>reverse</h2>".into(),
        mac("children", &[("sort", "title"), ("reverse", "true")], ""),
        "<h2>creation</h2>".into(),
        mac("children", &[("sort", "creation"), ("reverse", "true")], ""),
        "<h2>all</h2>".into(),
        mac("children", &[("all", "true")], ""),
    ]
    .concat();
    let v = ctl(
        &sim,
        "POST",
        "/__sim/pages",
        Some(json!({"space": "DEMO", "parent_id": "1001", "title": "Parent", "body": macros})),
    );
    let parent = v["id"].as_str().unwrap().to_owned();
    let mut last = String::new();
    for title in ["Zulu", "Alpha", "Mike"] {
        let v = ctl(
            &sim,
            "POST",
            "/__sim/pages",
            Some(json!({"space": "DEMO", "parent_id": parent, "title": title, "body": "<p>x</p>"})),
        );
        last = v["id"].as_str().unwrap().to_owned();
    }
    ctl(
        &sim,
        "POST",
        "/__sim/pages",
        Some(json!({"space": "DEMO", "parent_id": last, "title": "Mike Child", "body": ""})),
    );
    let out = tmp("links-children");
    export(&client(&sim, "sim-token"), &out, false).unwrap();
    let files = content(&out);
    check_links(&files);
    let md = file(&files, "/Parent.md");
    let sections: Vec<&str> = md.split("\n## ").collect();
    let order = |s: &str| -> Vec<String> {
        s.lines()
            .filter_map(|l| l.trim_start().strip_prefix("- ["))
            .map(|l| l.split(']').next().unwrap_or("").to_owned())
            .collect()
    };
    // Confluence's order (the tree's), not the alphabet; one level.
    assert_eq!(order(sections[0]), ["Zulu", "Alpha", "Mike"], "{md}");
    assert_eq!(order(sections[1]), ["Alpha", "Mike", "Zulu"], "{md}");
    assert_eq!(order(sections[2]), ["Zulu", "Mike", "Alpha"], "{md}");
    assert_eq!(order(sections[3]), ["Mike", "Alpha", "Zulu"], "{md}");
    assert_eq!(
        order(sections[4]),
        ["Zulu", "Alpha", "Mike", "Mike Child"],
        "{md}"
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn hidden_excerpts_stay_hidden_but_are_included() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let excerpt = mac(
        "excerpt",
        &[("hidden", "true")],
        "<ac:rich-text-body><p>Secret summary</p></ac:rich-text-body>",
    );
    ctl(
        &sim,
        "POST",
        "/__sim/pages",
        Some(
            json!({"space": "DEMO", "parent_id": "1001", "title": "Has Excerpt",
            "body": format!("<p>Visible</p>{excerpt}")}),
        ),
    );
    let include = mac(
        "excerpt-include",
        &[],
        "<ac:parameter ac:name=\"\"><ac:link><ri:page ri:content-title=\"Has Excerpt\"/></ac:link></ac:parameter>",
    );
    ctl(
        &sim,
        "POST",
        "/__sim/pages",
        Some(
            json!({"space": "DEMO", "parent_id": "1001", "title": "Includes It", "body": include}),
        ),
    );
    let out = tmp("links-excerpt");
    export(&client(&sim, "sim-token"), &out, false).unwrap();
    let files = content(&out);
    let own = file(&files, "/Has Excerpt.md");
    assert!(
        own.contains("Visible") && !own.contains("Secret summary"),
        "{own}"
    );
    let other = file(&files, "/Includes It.md");
    assert!(other.contains("Secret summary"), "{other}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn sync_follows_answers_that_change_links_and_order() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let body = [
        format!(
            "<p>{}</p>",
            link(
                "<ri:attachment ri:filename=\"late.pdf\"/>",
                "late file",
                None
            )
        ),
        mac("children", &[("sort", "modified"), ("reverse", "true")], ""),
    ]
    .concat();
    let v = ctl(
        &sim,
        "POST",
        "/__sim/pages",
        Some(json!({"space": "DEMO", "parent_id": "1001", "title": "Waits", "body": body})),
    );
    let page = v["id"].as_str().unwrap().to_owned();
    let mut kids = Vec::new();
    for title in ["First", "Second"] {
        let v = ctl(
            &sim,
            "POST",
            "/__sim/pages",
            Some(json!({"space": "DEMO", "parent_id": page, "title": title, "body": "<p>x</p>"})),
        );
        kids.push(v["id"].as_str().unwrap().to_owned());
    }
    let out = tmp("links-sync");
    let c = client(&sim, "sim-token");
    export(&c, &out, false).unwrap();
    let md = file(&content(&out), "/Waits.md");
    assert!(md.contains("[late file](http"), "{md}");
    let order = |md: &str| -> Vec<String> {
        md.lines()
            .filter_map(|l| l.strip_prefix("- ["))
            .map(|l| l.split(']').next().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(order(&md), ["Second", "First"], "{md}");

    // The file appears: the page's own version does not change, its
    // Markdown does.
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{page}/attachments"),
        Some(
            json!({"filename": "late.pdf", "media_type": "application/pdf", "data_base64": "JVBERg=="}),
        ),
    );
    sync(&c, &out).unwrap();
    let files = content(&out);
    check_links(&files);
    let md = file(&files, "/Waits.md");
    assert!(md.contains("[late file](../_attachments/"), "{md}");
    assert_eq!(order(&md), ["Second", "First"], "{md}");
    // A child is edited: with `sort=modified` the order follows.
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{}", kids[0]),
        Some(json!({"body": "<p>edited</p>"})),
    );
    sync(&c, &out).unwrap();
    let md = file(&content(&out), "/Waits.md");
    assert_eq!(order(&md), ["First", "Second"], "{md}");
    std::fs::remove_dir_all(&out).ok();
}

/// A file a page's body seems to name (here inside an XML comment, which
/// the converter skips) is fetched early on a guess, while the page waits
/// for its conversion; only the files its Markdown uses land: the other is
/// neither written, nor recorded, nor left as a temporary file.
#[test]
fn a_file_guessed_from_the_body_lands_only_when_the_page_uses_it() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let body = concat!(
        "<p><ac:image><ri:attachment ri:filename=\"used.png\"/></ac:image></p>",
        "<!-- <ri:attachment ri:filename=\"unused.png\"/> -->",
    );
    let v = ctl(
        &sim,
        "POST",
        "/__sim/pages",
        Some(json!({"space": "DEMO", "parent_id": "1001", "title": "Guessed", "body": body})),
    );
    let page = v["id"].as_str().unwrap().to_owned();
    for name in ["used.png", "unused.png"] {
        ctl(
            &sim,
            "POST",
            &format!("/__sim/pages/{page}/attachments"),
            Some(json!({"filename": name, "media_type": "image/png", "data_base64": "iVBORw0K"})),
        );
    }
    let out = tmp("links-guessed");
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    export(&client(&sim, "sim-token"), &out, false).unwrap();
    let stats = ctl(&sim, "GET", "/__sim/stats", None);
    let files = tree(&out);
    let under = format!("/{page}/");
    let own: Vec<&String> = files.keys().filter(|k| k.contains(&under)).collect();
    assert!(
        own.iter().any(|k| k.ends_with("/used.png")),
        "{:?}",
        files.keys()
    );
    assert!(!own.iter().any(|k| k.contains("unused")), "{own:?}");
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join(".cme-state.json")).unwrap()).unwrap();
    let recorded: Vec<&String> = state["pages"][&page]["attachments"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(recorded, ["used.png"]);
    // Every download the site answered landed, but for the wrong guess.
    let landed: usize = state["pages"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p["attachments"].as_object().map_or(0, |a| a.len()))
        .sum();
    // A download is one request to the site (and, on Cloud, a redirect).
    let asked: u64 = stats["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.ends_with("/download") || route.contains("/download/"))
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    assert_eq!(asked, landed as u64 + 1, "{stats}");
    // No temporary file, and nothing but cme's own bookkeeping hidden.
    let hidden: Vec<&String> = files
        .keys()
        .filter(|k| k.split('/').any(|c| c.starts_with('.')) && !k.starts_with(".cme-"))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?}");
    std::fs::remove_dir_all(&out).ok();
}
