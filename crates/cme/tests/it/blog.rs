//! Blog posts against the simulator: a space scope exports them (recorded
//! in the scope; a scope recorded without it keeps leaving them out) to
//! `SPACE/Blog/YEAR/MONTH/Title.md`, with front matter, attachments,
//! comments and links resolving both ways; a sync follows a blog post
//! created, edited, renamed (and the pages linking to it) and deleted like
//! a page, for one listing per space; Data Center too.
use crate::common;
use cme::page::comments::CommentsMode;
use cme::state::{MarkdownSettings, Scope, State, TrackedStatus};
use cme::sync::outcome::Outcome;
use cme::sync::plan::ChangeKind;
use cme::sync::{Selection, Start};
use cme_client::{Client, ContentKind, PageId, SpaceKey};
use common::*;
use confluence_sim::{SimConfig, SimHandle, spawn};
use serde_json::json;
use std::path::Path;

/// The demo's blog post, and where it lands.
const POST: &str = "1029";
const POST_PATH: &str = "DEMO/Blog/2024/05/Launch Announcement.md";

fn demo_with_posts() -> Scope {
    Selection::Spaces(vec![SpaceKey::new("DEMO")])
        .scope()
        .with_blog_posts(true)
}

fn settings() -> MarkdownSettings {
    MarkdownSettings {
        link_style: cme::options::LinkStyle::Relative,
        alert_style: cme::options::AlertStyle::Gfm,
        jira_url: None,
        jira_fetch: None,
        front_matter: Some(true),
        comments: Some(CommentsMode::All),
    }
}

/// A run with front matter and comment sidecars; it must not fail.
fn go(c: &Client, out: &Path, start: Start) -> Outcome {
    let mut req = request(out, start);
    req.markdown = Some(settings());
    let o = run(c, req).unwrap();
    assert!(o.failures.is_empty(), "{}", o.render());
    assert!(o.problems.is_empty(), "{}", o.render());
    o
}

fn export_scope(c: &Client, out: &Path, scope: Scope) -> Outcome {
    go(
        c,
        out,
        Start::Export {
            scope,
            append: false,
        },
    )
}

fn lines(o: &Outcome, kind: ChangeKind) -> Vec<String> {
    o.pages
        .iter()
        .filter(|l| l.kind == kind)
        .map(|l| l.path.clone())
        .collect()
}

fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A fresh export of `out`'s scopes has exactly `out`'s files.
fn assert_converged(c: &Client, out: &Path, name: &str) {
    let state = State::load(out).unwrap().unwrap();
    let fresh = tmp(name);
    for (i, scope) in state.scopes.iter().enumerate() {
        go(
            c,
            &fresh,
            Start::Export {
                scope: scope.clone(),
                append: i > 0,
            },
        );
    }
    let (a, b) = (content(out), content(&fresh));
    assert_eq!(
        a.keys().collect::<Vec<_>>(),
        b.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (k, v) in &a {
        assert!(
            v == &b[k],
            "{k} differs:\n--- synced\n{}\n--- fresh\n{}",
            String::from_utf8_lossy(v),
            String::from_utf8_lossy(&b[k])
        );
    }
    std::fs::remove_dir_all(&fresh).ok();
}

fn create_post(sim: &SimHandle, title: &str, body: &str) -> String {
    ctl(
        sim,
        "POST",
        "/__sim/pages",
        json!({"space": "DEMO", "type": "blogpost", "title": title, "body": body}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Today's `YYYY/MM` folder below `DEMO/Blog`, as the simulator dates a
/// post created now.
fn this_month(sim: &SimHandle, id: &str) -> String {
    let post = api_get(sim, &format!("/wiki/api/v2/blogposts/{id}"));
    let created = post["createdAt"].as_str().unwrap();
    format!("DEMO/Blog/{}/{}", &created[..4], &created[5..7])
}

#[test]
fn blog_posts_are_exported_with_front_matter_attachments_comments_and_links() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("blog-export");
    // The post links to a page and shows an attachment of its own; a page
    // links to the post (the demo's blog-post link) and so does another.
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{POST}/attachments"),
        json!({"filename": "chart.png", "data_base64": "iVBORw0KGgo=", "media_type": "image/png"}),
    );
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{POST}"),
        json!({"body": "<p>See <ac:link><ri:page ri:content-title=\"Getting Started\"/></ac:link>.</p>\
                 <p><ac:image><ri:attachment ri:filename=\"chart.png\"/></ac:image></p>"}),
    );
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{POST}/comments"),
        json!({"body": "<p>Congratulations!</p>"}),
    );
    let o = export_scope(&c, &out, demo_with_posts());
    assert!(
        lines(&o, ChangeKind::New).contains(&POST_PATH.to_owned()),
        "{}",
        o.render()
    );
    let md = read(&out, POST_PATH);
    assert!(md.starts_with("---\n"), "{md}");
    assert!(md.contains("title: Launch Announcement"), "{md}");
    assert!(md.contains("news"), "labels in the front matter: {md}");
    // Its link to a page and its own attachment are local.
    let links = common::links::destinations(&md);
    assert!(
        links.iter().any(|l| l.ends_with("Getting%20Started.md")),
        "{links:?}"
    );
    assert!(
        links
            .iter()
            .any(|l| l == &format!("../../../_attachments/{POST}/chart.png")),
        "{links:?}"
    );
    assert!(
        out.join(format!("DEMO/_attachments/{POST}/chart.png"))
            .exists()
    );
    let sidecar = read(&out, "DEMO/Blog/2024/05/Launch Announcement.comments.md");
    assert!(sidecar.contains("Congratulations!"), "{sidecar}");
    // Every link in the export resolves, the demo's link to the post too.
    let files = content(&out);
    let (relative, _) = common::links::check_links(&files);
    assert!(relative > 0);
    let to_post = files
        .iter()
        .filter(|(k, _)| k.ends_with(".md"))
        .flat_map(|(_, v)| common::links::destinations(&String::from_utf8_lossy(v)))
        .filter(|l| l.ends_with("Launch%20Announcement.md"))
        .count();
    assert!(to_post > 0, "a page links to the post");
    // The state keeps it among the pages, marked; pages stay unmarked.
    let state = State::load(&out).unwrap().unwrap();
    assert_eq!(state.pages[&PageId::new(POST)].kind, ContentKind::BlogPost);
    assert!(state.scopes[0].blog_posts);
    let json = std::fs::read_to_string(out.join(".cme-state.json")).unwrap();
    assert_eq!(
        json.matches("\"kind\"").count(),
        1,
        "only the post is marked"
    );
    // An idle sync writes nothing.
    let o = go(&c, &out, Start::Sync);
    assert_eq!(written(&o) + o.page_counts.deleted, 0, "{}", o.render());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_blog_post_created_edited_renamed_and_deleted_syncs_like_a_page() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("blog-sync");
    export_scope(&c, &out, demo_with_posts());
    // Created.
    let id = create_post(&sim, "Release 2.0", "<p>first</p>");
    let month = this_month(&sim, &id);
    let path = format!("{month}/Release 2.0.md");
    let o = go(&c, &out, Start::Sync);
    assert_eq!(
        lines(&o, ChangeKind::New),
        vec![path.clone()],
        "{}",
        o.render()
    );
    assert!(read(&out, &path).contains("first"));
    assert_converged(&c, &out, "blog-sync-new");
    // Edited.
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({"body": "<p>second</p>"}),
    );
    let o = go(&c, &out, Start::Sync);
    assert_eq!(lines(&o, ChangeKind::Modified), vec![path.clone()]);
    assert!(read(&out, &path).contains("second"));
    // Renamed: it moves, and the old file goes.
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({"title": "Release 2.0 (final)"}),
    );
    let renamed = format!("{month}/Release 2.0 (final).md");
    let o = go(&c, &out, Start::Sync);
    assert_eq!(
        lines(&o, ChangeKind::Moved),
        vec![renamed.clone()],
        "{}",
        o.render()
    );
    assert!(!out.join(&path).exists());
    assert!(read(&out, &renamed).contains("second"));
    assert_converged(&c, &out, "blog-sync-renamed");
    // Deleted (trashed): confirmed gone by id, then removed.
    ctl(&sim, "DELETE", &format!("/__sim/pages/{id}"), None);
    let o = go(&c, &out, Start::Sync);
    assert_eq!(
        lines(&o, ChangeKind::Deleted),
        vec![renamed.clone()],
        "{}",
        o.render()
    );
    assert!(!out.join(&renamed).exists());
    let state = State::load(&out).unwrap().unwrap();
    assert!(
        state
            .pages
            .get(&PageId::new(id.as_str()))
            .is_none_or(|p| p.status == TrackedStatus::Deleted)
    );
    assert_converged(&c, &out, "blog-sync-deleted");
    std::fs::remove_dir_all(&out).ok();
}

/// A renamed blog post moves, and a page linking to it follows: Confluence
/// rewrites the link to the new title (a new version of the page), and the
/// link goes to the post's new file.
#[test]
fn a_page_linking_to_a_renamed_blog_post_follows_it() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("blog-renamed-link");
    export_scope(&c, &out, demo_with_posts());
    let links = "DEMO/Demo Home/Links and References.md";
    assert!(read(&out, links).contains("Launch%20Announcement.md"));
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{POST}"),
        json!({"title": "Launch Recap"}),
    );
    let o = go(&c, &out, Start::Sync);
    let recap = "DEMO/Blog/2024/05/Launch Recap.md";
    assert_eq!(
        lines(&o, ChangeKind::Moved),
        vec![recap.to_owned()],
        "{}",
        o.render()
    );
    assert_eq!(
        lines(&o, ChangeKind::Modified),
        vec![links.to_owned()],
        "{}",
        o.render()
    );
    assert!(!out.join(POST_PATH).exists());
    let md = read(&out, links);
    assert!(
        md.contains("Launch%20Recap.md") && !md.contains("Announcement"),
        "{md}"
    );
    assert_converged(&c, &out, "blog-renamed-link-fresh");
    std::fs::remove_dir_all(&out).ok();
}

/// A blog post a listing leaves out but that is still readable by id is
/// not deleted: the run holds every deletion, as for pages.
#[test]
fn a_blog_post_missing_from_a_listing_is_not_deleted() {
    let Site { sim, out, .. } = Site::demo("blog-missed");
    let proxy = common::proxy::Proxy::start(&sim.url());
    let pc = client_at(&proxy.url, "sim-token");
    export_scope(&pc, &out, demo_with_posts());
    // The blog listing answers nothing, though the post is there.
    proxy.set(|url, a| {
        if url.contains("type = blogpost") {
            let mut v = a.json();
            v["results"] = json!([]);
            v["size"] = json!(0);
            v["totalSize"] = json!(0);
            a.set_json(&v);
        }
    });
    let mut req = request(&out, Start::Sync);
    req.markdown = Some(settings());
    let o = run(&pc, req).unwrap();
    assert_eq!(o.page_counts.deleted, 0, "{}", o.render());
    assert!(out.join(POST_PATH).exists());
    assert!(!o.problems.is_empty(), "{}", o.render());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_scope_recorded_without_blog_posts_keeps_leaving_them_out() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("blog-old-scope");
    // What every export recorded before blog posts were exported.
    let old = Selection::Spaces(vec![SpaceKey::new("DEMO")]).scope();
    export_scope(&c, &out, old);
    let json = std::fs::read_to_string(out.join(".cme-state.json")).unwrap();
    assert!(
        !json.contains("blog_posts") && !json.contains("\"kind\""),
        "{json}"
    );
    assert!(!out.join("DEMO/Blog").exists());
    let o = go(&c, &out, Start::Sync);
    assert_eq!(written(&o), 0, "{}", o.render());
    assert!(!out.join("DEMO/Blog").exists());
    // A link to the post still goes to the site.
    let files = content(&out);
    let to_site = files
        .values()
        .flat_map(|v| common::links::destinations(&String::from_utf8_lossy(v)))
        .any(|l| l.contains("/2024/05/01/Launch"));
    assert!(to_site);
    // Exported again with `--append` and blog posts: the same scope, now
    // with them; the page's link now goes to the post's file.
    let o = go(
        &c,
        &out,
        Start::Export {
            scope: demo_with_posts(),
            append: true,
        },
    );
    assert_eq!(lines(&o, ChangeKind::New), vec![POST_PATH.to_owned()]);
    assert_eq!(
        lines(&o, ChangeKind::Modified),
        vec!["DEMO/Demo Home/Links and References.md".to_owned()]
    );
    let state = State::load(&out).unwrap().unwrap();
    assert_eq!(state.scopes, vec![demo_with_posts()]);
    std::fs::remove_dir_all(&out).ok();
}

/// Blog posts cost an idle sync one listing per space, nothing more.
#[test]
fn blog_posts_cost_an_idle_sync_one_listing_per_space() {
    let idle = |with: bool, name: &str| -> u64 {
        let Site {
            sim,
            client: c,
            out,
        } = Site::demo(name);
        let scope = Selection::AllSpaces.scope().with_blog_posts(with);
        export_scope(&c, &out, scope);
        ctl(&sim, "POST", "/__sim/stats/reset", None);
        let o = go(&c, &out, Start::Sync);
        assert_eq!(written(&o) + o.page_counts.deleted, 0, "{}", o.render());
        let n = requests(&sim);
        std::fs::remove_dir_all(&out).ok();
        n
    };
    let spaces = api_get(
        &spawn(SimConfig::demo()).unwrap(),
        "/wiki/api/v2/spaces?limit=250",
    )["results"]
        .as_array()
        .unwrap()
        .len() as u64;
    let (without, with) = (idle(false, "blog-idle-off"), idle(true, "blog-idle-on"));
    eprintln!(
        "idle sync of the demo: {without} requests, {with} with blog posts ({spaces} spaces)"
    );
    assert_eq!(with, without + spaces);
}

#[test]
fn data_center_blog_posts_too() {
    let sim = spawn(SimConfig::demo().flavor(confluence_sim::Flavor::DataCenter)).unwrap();
    let c = dc_client(&sim.url());
    let out = tmp("blog-dc");
    let o = export_scope(&c, &out, demo_with_posts());
    eprintln!("{}", o.render());
    let md = read(&out, POST_PATH);
    assert!(md.contains("title: Launch Announcement"), "{md}");
    let o = go(&c, &out, Start::Sync);
    assert_eq!(written(&o), 0, "{}", o.render());
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn the_cli_exports_blog_posts_unless_told_not_to() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let on = tmp("blog-cli-on");
    let off = tmp("blog-cli-off");
    let o = cli(&["spaces", "DEMO", "-o", on.to_str().unwrap()], &sim);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(on.join(POST_PATH).exists());
    let o = cli(
        &[
            "spaces",
            "DEMO",
            "--no-blog-posts",
            "-o",
            off.to_str().unwrap(),
        ],
        &sim,
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!off.join("DEMO/Blog").exists());
    // Each scope keeps its choice on sync.
    for (dir, has) in [(&on, true), (&off, false)] {
        let o = cli(&["sync", "-o", dir.to_str().unwrap()], &sim);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert_eq!(dir.join(POST_PATH).exists(), has);
    }
    std::fs::remove_dir_all(&on).ok();
    std::fs::remove_dir_all(&off).ok();
}
