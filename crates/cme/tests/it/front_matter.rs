//! YAML front matter against the simulator: every demo page (and pages with
//! hostile titles) has parseable front matter carrying every field; a label
//! added without a version bump reaches the file on the next sync at no
//! extra listing cost; unchanged pages are byte-identical across runs; and
//! `--no-front-matter` leaves it out.
use crate::common;
use cme::state::{MarkdownSettings, State};
use cme::sync::Start;
use common::*;
use confluence_sim::{SimConfig, spawn};
use serde_json::json;
use serde_yaml_ng::Value as Yaml;
use std::path::Path;

const KEYS: [&str; 11] = [
    "title",
    "page_id",
    "space",
    "version",
    "author",
    "last_editor",
    "created",
    "modified",
    "tags",
    "url",
    "properties",
];

/// The front matter of a written file, parsed by a YAML parser.
fn front_matter(out: &Path, path: &str) -> Yaml {
    let text = std::fs::read_to_string(out.join(path)).unwrap();
    let rest = text
        .strip_prefix("---\n")
        .unwrap_or_else(|| panic!("{path} has no front matter:\n{text}"));
    let end = rest.find("\n---\n\n").expect("front matter ends");
    serde_yaml_ng::from_str(&rest[..end + 1])
        .unwrap_or_else(|e| panic!("{path}: {e}\n{}", &rest[..end]))
}

/// The `tags` of parsed front matter (none when the key is left out).
fn tags_of(fm: &Yaml) -> Vec<&str> {
    fm.get("tags")
        .map(|t| t.as_sequence().expect("tags is a list"))
        .into_iter()
        .flatten()
        .filter_map(Yaml::as_str)
        .collect()
}

fn path_of(out: &Path, id: &str) -> String {
    let state = State::load(out).unwrap().unwrap();
    state.pages[&cme_client::PageId::new(id)]
        .output_path
        .to_string()
}

#[test]
fn every_page_has_parseable_front_matter_with_every_field() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let hostile = [
        "---",
        "a: b",
        "#hash",
        "'single' \"double\"",
        "yes",
        "null",
        "1e3",
        "- dash",
        "[x] {y}",
        "*alias &anchor !tag %dir @at `tick` |pipe >fold",
        " spaced ",
    ];
    let mut ids = Vec::new();
    for title in hostile {
        let v = ctl(
            &sim,
            "POST",
            "/__sim/pages",
            json!({"space": "DEMO", "title": title, "body": "<p>x</p>"}),
        );
        ids.push((v["id"].as_str().unwrap().to_owned(), title));
    }
    let c = client(&sim, "sim-token");
    let out = tmp("fm-all");
    export(&c, &out, false).unwrap();
    let state = State::load(&out).unwrap().unwrap();
    assert!(state.pages.len() >= 35 + hostile.len());
    let mut tagged = 0;
    let mut with_properties = 0;
    for (id, ps) in &state.pages {
        let fm = front_matter(&out, &ps.output_path);
        let keys: Vec<&str> = fm
            .as_mapping()
            .unwrap()
            .keys()
            .filter_map(Yaml::as_str)
            .collect();
        // `tags` and `properties` only when the page has some.
        let want: Vec<&str> = KEYS
            .iter()
            .copied()
            .filter(|k| !matches!(*k, "tags" | "properties") || keys.contains(k))
            .collect();
        assert_eq!(keys, want, "{}", ps.output_path);
        assert_eq!(fm["title"].as_str(), ps.title.as_deref());
        assert_eq!(fm["page_id"].as_str(), Some(id.as_str()));
        assert_eq!(fm["version"].as_u64(), Some(ps.version.0));
        for k in ["author", "last_editor", "created", "modified", "space"] {
            assert!(
                fm[k].as_str().is_some_and(|s| !s.is_empty()),
                "{k} in {}",
                ps.output_path
            );
        }
        for k in ["author", "last_editor"] {
            // A display name, not the account id (`557058:…`) it was looked up by.
            let name = fm[k].as_str().unwrap();
            let id_like = name.split_once(':').is_some_and(|(n, rest)| {
                n.chars().all(|c| c.is_ascii_digit()) && !rest.contains(' ')
            });
            assert!(!id_like, "{k} {name:?} in {}", ps.output_path);
        }
        let url = fm["url"].as_str().unwrap();
        assert!(
            url.starts_with(&sim.url()) && url.ends_with(&format!("/pages/{}", id.as_str())),
            "{url}"
        );
        if let Some(tags) = fm.get("tags") {
            assert!(
                !tags.as_sequence().unwrap().is_empty(),
                "{}",
                ps.output_path
            );
            tagged += 1;
        }
        if let Some(props) = fm.get("properties") {
            assert!(
                !props.as_mapping().unwrap().is_empty(),
                "{}",
                ps.output_path
            );
            with_properties += 1;
        }
    }
    assert!(tagged > 0, "the demo has labelled pages");
    assert!(with_properties > 0, "the demo has page properties");
    for (id, title) in ids {
        let fm = front_matter(&out, &path_of(&out, &id));
        assert_eq!(fm["title"].as_str(), Some(title));
    }
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_label_change_without_a_version_reaches_the_file_at_no_listing_cost() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("fm-labels");
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let idle = sync(&c, &out).unwrap();
    assert_eq!(written(&idle), 0, "{}", idle.render());
    let idle_requests = requests(&sim);
    // spaces, per space (its page listing, their count, its content
    // labels, its labelled pages, its attachments), the folder, one bulk
    // name lookup, the Jira refresh (three searches), the search for new
    // pages beside the listing of the space whose known pages fall short:
    // labels cost two listings per space, not one per page.
    assert!(idle_requests <= 17, "{idle_requests}");

    let id = "1001";
    let path = path_of(&out, id);
    let version = front_matter(&out, &path)["version"].as_u64();
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{id}/labels"),
        json!({"labels": ["Zeta-Label", "alpha"]}),
    );
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(o.page_counts.modified, 1, "{}", o.render());
    assert_eq!(written(&o), 1, "{}", o.render());
    // The same listings, plus the body of the page rewritten.
    let n = requests_but_users(&sim);
    assert!(n <= idle_requests + 1, "{n} requests, idle {idle_requests}");
    let fm = front_matter(&out, &path);
    let tags = tags_of(&fm);
    assert!(
        tags.contains(&"alpha") && tags.contains(&"zeta-label"),
        "{tags:?}"
    );
    assert!(tags.windows(2).all(|w| w[0] <= w[1]), "sorted: {tags:?}");
    assert_eq!(fm["version"].as_u64(), version, "no new version");

    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/pages/{id}/labels/alpha"),
        json!({}),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 1, "{}", o.render());
    let fm = front_matter(&out, &path);
    let tags = tags_of(&fm);
    assert!(
        !tags.contains(&"alpha") && tags.contains(&"zeta-label"),
        "{tags:?}"
    );
    assert_eq!(written(&sync(&c, &out).unwrap()), 0, "then idle again");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn data_center_labels_reach_the_file_too() {
    let sim = spawn(SimConfig::demo().flavor(confluence_sim::Flavor::DataCenter)).unwrap();
    let c = dc_client(&sim.url());
    let out = tmp("fm-dc");
    export(&c, &out, false).unwrap();
    let path = path_of(&out, "1001");
    let fm = front_matter(&out, &path);
    assert!(
        fm["url"]
            .as_str()
            .unwrap()
            .ends_with("viewpage.action?pageId=1001")
    );
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    assert_eq!(written(&sync(&c, &out).unwrap()), 0);
    let idle_requests = requests(&sim);
    ctl(
        &sim,
        "POST",
        "/__sim/pages/1001/labels",
        json!({"labels": ["dc-label"]}),
    );
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 1, "{}", o.render());
    let n = requests_but_users(&sim);
    assert!(n <= idle_requests + 1, "{n} requests, idle {idle_requests}");
    let fm = front_matter(&out, &path);
    assert!(
        fm["tags"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|t| t.as_str() == Some("dc-label"))
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn unchanged_pages_are_byte_identical_across_runs() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("fm-same-a");
    let again = tmp("fm-same-b");
    export(&c, &again, false).unwrap();
    // A forced sync rewrites every page: same bytes.
    let before = tree(&out);
    let mut req = request(&out, Start::Sync);
    req.force = true;
    let o = run(&c, req).unwrap();
    assert!(written(&o) >= 35);
    let after = tree(&out);
    let (b, a, other) = (before, after, tree(&again));
    for (k, v) in b.iter().filter(|(k, _)| k.ends_with(".md")) {
        assert!(v == &a[k], "{k} changed on a forced rewrite");
        assert!(v == &other[k], "{k} differs between two exports");
    }
    drop(sim);
    std::fs::remove_dir_all(&out).ok();
    std::fs::remove_dir_all(&again).ok();
}

#[test]
fn no_front_matter_leaves_it_out_and_turning_it_on_rewrites_every_page() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("fm-off");
    let settings = |on: bool| MarkdownSettings {
        link_style: cme::options::LinkStyle::Relative,
        alert_style: cme::options::AlertStyle::Gfm,
        jira_url: None,
        jira_fetch: None,
        front_matter: Some(on),
        comments: None,
    };
    let mut req = request(&out, all_spaces());
    req.markdown = Some(settings(false));
    run(&c, req).unwrap();
    let state = State::load(&out).unwrap().unwrap();
    for ps in state.pages.values() {
        let text = std::fs::read_to_string(out.join(&*ps.output_path)).unwrap();
        assert!(text.starts_with("# "), "{}:\n{text}", ps.output_path);
        assert!(ps.labels_hash.is_none());
    }
    // Kept by a plain sync (nothing to do), rewritten when switched on.
    assert_eq!(written(&sync(&c, &out).unwrap()), 0);
    let mut req = request(&out, Start::Sync);
    req.markdown = Some(settings(true));
    let o = run(&c, req).unwrap();
    assert_eq!(written(&o), state.pages.len(), "{}", o.render());
    for ps in state.pages.values() {
        front_matter(&out, &ps.output_path);
    }
    std::fs::remove_dir_all(&out).ok();
}

/// The listing does not carry who created a page (it never changes, so it
/// comes with the body); a creator mentioned nowhere and not the last editor
/// is still named, not left as an account id.
#[test]
fn a_creator_known_only_by_id_is_named() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let ada = "712020:3f6c1a52-8d1e-4b7a-9c0d-ada000000001";
    let grace = "712020:7b2e9c41-5a3d-4f60-8e1b-6ace00000002";
    let v = ctl(
        &sim,
        "POST",
        "/__sim/pages",
        json!({"space": "DEMO", "title": "Quiet page", "body": "<p>x</p>", "author": ada}),
    );
    let id = v["id"].as_str().unwrap().to_owned();
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({"body": "<p>y</p>", "author": grace}),
    );
    let c = client(&sim, "sim-token");
    let out = tmp("fm-creator");
    let selection = cme::sync::Selection::Pages {
        roots: vec![cme_client::PageId::new(&id)],
        descendants: false,
    };
    export_selection(&c, selection, &out, false).unwrap();
    let fm = front_matter(&out, &path_of(&out, &id));
    assert_eq!(fm["author"].as_str(), Some("Ada Lovelace"));
    assert_eq!(fm["last_editor"].as_str(), Some("Grace Hopper"));
    assert_eq!(fm["version"].as_u64(), Some(2));
}

/// A user renaming themselves makes no page version; the listing every sync
/// makes names the creator and last editor, so their pages are rewritten
/// with the new name, and only those, at no extra listing cost.
#[test]
fn a_display_name_change_reaches_the_files_that_name_the_user() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::exported("fm-rename");
    let state = State::load(&out).unwrap().unwrap();
    let naming: Vec<String> = state
        .pages
        .values()
        .map(|ps| ps.output_path.to_string())
        .filter(|p| {
            let fm = front_matter(&out, p);
            fm["author"].as_str() == Some("Ada Lovelace")
                || fm["last_editor"].as_str() == Some("Ada Lovelace")
        })
        .collect();
    assert!(!naming.is_empty());
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    assert_eq!(written(&sync(&c, &out).unwrap()), 0);
    let idle_requests = requests(&sim);

    ctl(
        &sim,
        "PATCH",
        "/__sim/users/712020:3f6c1a52-8d1e-4b7a-9c0d-ada000000001",
        json!({"display_name": "Ada King"}),
    );
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), naming.len(), "{}", o.render());
    // The same listings, plus the bodies of the pages rewritten.
    let n = requests_but_users(&sim);
    assert!(n <= idle_requests + 1, "{n} requests, idle {idle_requests}");
    for p in &naming {
        let fm = front_matter(&out, p);
        let names = [fm["author"].as_str(), fm["last_editor"].as_str()];
        assert!(names.contains(&Some("Ada King")), "{p}: {names:?}");
        assert!(!names.contains(&Some("Ada Lovelace")), "{p}: {names:?}");
    }
    assert_eq!(written(&sync(&c, &out).unwrap()), 0, "then idle again");
    std::fs::remove_dir_all(&out).ok();
}
