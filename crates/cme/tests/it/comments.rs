//! Comment sidecars against the simulator: `--comments all` writes
//! `<page>.comments.md` with footer and inline threads (highlighted text
//! quoted), replies nested, authors, dates and resolved state; `footer`,
//! `inline` and `none` filter; a sync follows comments added, replied to,
//! resolved, edited and deleted (no page version changes) by rewriting
//! exactly those pages' sidecars and removing one whose last comment went,
//! for one extra listing request per space; Data Center too; a hostile
//! comment body cannot break the file; a page titled like a sidecar gets
//! its own name.
use crate::common;
use cme::page::comments::CommentsMode;
use cme::state::{MarkdownSettings, State};
use cme::sync::Start;
use cme::sync::outcome::Outcome;
use cme_client::{Client, PageId};
use common::*;
use confluence_sim::{SimConfig, SimHandle, spawn};
use serde_json::{Value, json};
use std::path::Path;

fn add(sim: &SimHandle, page: &str, body: Value) -> String {
    ctl(sim, "POST", &format!("/__sim/pages/{page}/comments"), body)["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn reply(sim: &SimHandle, to: &str, text: &str) -> String {
    ctl(
        sim,
        "POST",
        &format!("/__sim/comments/{to}/replies"),
        json!({"body": format!("<p>{text}</p>")}),
    )["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn settings(comments: Option<CommentsMode>) -> MarkdownSettings {
    MarkdownSettings {
        link_style: cme::options::LinkStyle::Relative,
        alert_style: cme::options::AlertStyle::Gfm,
        jira_url: None,
        jira_fetch: None,
        front_matter: Some(true),
        comments,
    }
}

/// A run (export when `start` says so) writing sidecars per `mode`.
fn run_mode(c: &Client, out: &Path, start: Start, mode: Option<CommentsMode>) -> Outcome {
    let mut req = request(out, start);
    req.markdown = Some(settings(mode));
    let o = run(c, req).unwrap();
    assert!(o.failures.is_empty(), "{}", o.render());
    o
}

fn entry(out: &Path, id: &str) -> cme::state::PageState {
    *State::load(out).unwrap().unwrap().pages[&PageId::new(id)].clone()
}

fn sidecar(out: &Path, id: &str) -> Option<String> {
    let e = entry(out, id);
    let path = e.comments_path?.to_string();
    assert_eq!(
        path,
        e.output_path.replace(".md", ".comments.md"),
        "beside its page"
    );
    Some(std::fs::read_to_string(out.join(path)).unwrap())
}

fn sidecar_files(out: &Path) -> Vec<String> {
    tree(out)
        .into_keys()
        .filter(|k| k.ends_with(".comments.md"))
        .collect()
}

fn display_name(sim: &SimHandle) -> String {
    sim.control("GET", "/__sim/info", None).1["users"][0]["displayName"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Footer thread with nested replies and two inline threads (one resolved)
/// on 1001; one footer comment on 1002.
fn populate(sim: &SimHandle) -> (String, String) {
    let footer = add(
        sim,
        "1001",
        json!({"body": "<p>Looks <strong>good</strong></p>"}),
    );
    let r = reply(sim, &footer, "First reply");
    reply(sim, &r, "Reply to the reply");
    add(
        sim,
        "1001",
        json!({"body": "<p>Typo here</p>", "location": "inline", "selection": "teh *quick* fox"}),
    );
    let done = add(
        sim,
        "1001",
        json!({"body": "<p>Fixed?</p>", "location": "inline", "selection": "resolved bit"}),
    );
    ctl(
        sim,
        "POST",
        &format!("/__sim/comments/{done}/resolve"),
        json!({}),
    );
    let other = add(sim, "1002", json!({"body": "<p>Other page</p>"}));
    (footer, other)
}

#[test]
fn every_kind_of_comment_reaches_the_sidecar_and_the_mode_filters() {
    let sim = spawn(SimConfig::demo()).unwrap();
    populate(&sim);
    let c = client(&sim, "sim-token");
    let name = display_name(&sim);

    let out = tmp("comments-all");
    let o = run_mode(&c, &out, all_spaces(), Some(CommentsMode::All));
    assert_eq!(o.sidecar_counts.new, 2, "{}", o.render());
    let md = sidecar(&out, "1001").expect("1001 has comments");
    assert!(md.starts_with("# Comments: "), "{md}");
    assert!(md.contains("## Footer comments"), "{md}");
    assert!(md.contains("## Inline comments"), "{md}");
    assert!(
        md.contains(&format!("**{name}** · ")),
        "author by name:\n{md}"
    );
    assert!(md.contains(" UTC"), "dates:\n{md}");
    assert!(md.contains("Looks **good**"), "{md}");
    assert!(md.contains("> Reply from **"), "{md}");
    assert!(md.contains("> First reply"), "{md}");
    assert!(md.contains("> > Reply from **"), "nested:\n{md}");
    assert!(md.contains("> > Reply to the reply"), "nested:\n{md}");
    assert!(md.contains("### Open"), "{md}");
    assert!(md.contains("### Resolved"), "{md}");
    assert!(
        md.contains("> **On:** teh \\*quick\\* fox"),
        "quoted selection:\n{md}"
    );
    assert!(md.contains("> **On:** resolved bit"), "{md}");
    assert!(
        md.contains(&format!("*Resolved by {name} · ")),
        "who resolved:\n{md}"
    );
    assert!(sidecar(&out, "1002").unwrap().contains("Other page"));
    assert_eq!(sidecar_files(&out).len(), 2, "only pages with comments");
    // The pages themselves are exported as without comments.
    let plain = tmp("comments-plain");
    run_mode(&c, &plain, all_spaces(), None);
    assert!(sidecar_files(&plain).is_empty());
    let without: std::collections::BTreeMap<_, _> = content(&out)
        .into_iter()
        .filter(|(k, _)| !k.ends_with(".comments.md"))
        .collect();
    assert_eq!(without, content(&plain), "sidecars add files, change none");

    let footer = tmp("comments-footer");
    run_mode(&c, &footer, all_spaces(), Some(CommentsMode::Footer));
    let md = sidecar(&footer, "1001").unwrap();
    assert!(
        md.contains("First reply") && !md.contains("## Inline"),
        "{md}"
    );
    let inline = tmp("comments-inline");
    run_mode(&c, &inline, all_spaces(), Some(CommentsMode::Inline));
    let md = sidecar(&inline, "1001").unwrap();
    assert!(
        md.contains("### Resolved") && !md.contains("First reply"),
        "{md}"
    );
    assert!(
        sidecar(&inline, "1002").is_none(),
        "1002 has only a footer comment"
    );

    // Turning comments off (a recorded setting changes) removes them all.
    let o = run_mode(&c, &out, Start::Sync, None);
    assert_eq!(o.sidecar_counts.deleted, 2, "{}", o.render());
    assert!(sidecar_files(&out).is_empty());
    assert_eq!(
        State::load(&out)
            .unwrap()
            .unwrap()
            .markdown
            .unwrap()
            .comments,
        None
    );
    for d in [&out, &plain, &footer, &inline] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[test]
fn sync_follows_comment_changes_without_page_versions() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let (footer, other) = populate(&sim);
    let c = client(&sim, "sim-token");
    let spaces = sim.control("GET", "/__sim/info", None).1["spaces"]
        .as_array()
        .map_or(0, Vec::len) as u64;

    // The request budget with comments off, as before they existed.
    let off = tmp("comments-budget-off");
    run_mode(&c, &off, all_spaces(), None);
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    assert_eq!(written(&sync(&c, &off).unwrap()), 0);
    let idle_off = requests(&sim);

    let out = tmp("comments-sync");
    run_mode(&c, &out, all_spaces(), Some(CommentsMode::All));
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let idle = sync(&c, &out).unwrap();
    assert_eq!(written(&idle), 0, "{}", idle.render());
    assert_eq!(idle.sidecars.len(), 0, "{}", idle.render());
    let idle_on = requests(&sim);
    eprintln!("idle sync: {idle_off} requests without comments, {idle_on} with ({spaces} spaces)");
    assert!(spaces > 0);
    assert_eq!(idle_on, idle_off + spaces, "one comment listing per space");

    let version = entry(&out, "1001").version;
    let before_1002 = sidecar(&out, "1002").unwrap();
    // A reply: only 1001's sidecar changes.
    reply(&sim, &footer, "A late reply");
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    // The idle listings and the page's comments' bodies; the page itself
    // is neither fetched nor written.
    let n = requests(&sim);
    eprintln!("sync after one reply: {n} requests (idle {idle_on})");
    assert_eq!(n, idle_on + 1, "{n} requests, idle {idle_on}");
    assert_eq!(written(&o), 0, "only the sidecar: {}", o.render());
    assert_eq!(o.sidecar_counts.modified, 1, "{}", o.render());
    assert!(sidecar(&out, "1001").unwrap().contains("A late reply"));
    assert_eq!(sidecar(&out, "1002").unwrap(), before_1002);
    assert_eq!(entry(&out, "1001").version, version, "no page version");

    // Resolve and edit on 1002.
    let inline = add(
        &sim,
        "1002",
        json!({"body": "<p>Check this</p>", "location": "inline", "selection": "this"}),
    );
    assert_eq!(sync(&c, &out).unwrap().sidecar_counts.modified, 1);
    assert!(sidecar(&out, "1002").unwrap().contains("### Open"));
    ctl(
        &sim,
        "POST",
        &format!("/__sim/comments/{inline}/resolve"),
        json!({}),
    );
    ctl(
        &sim,
        "PUT",
        &format!("/__sim/comments/{other}"),
        json!({"body": "<p>Edited text</p>"}),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(o.sidecar_counts.modified, 1, "{}", o.render());
    let md = sidecar(&out, "1002").unwrap();
    assert!(
        md.contains("### Resolved") && !md.contains("### Open"),
        "{md}"
    );
    assert!(md.contains("Edited text") && md.contains("edited"), "{md}");

    // The last comments of 1002 go: its sidecar goes too.
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/comments/{other}"),
        json!({}),
    );
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/comments/{inline}"),
        json!({}),
    );
    let path = entry(&out, "1002").comments_path.unwrap().to_string();
    let o = sync(&c, &out).unwrap();
    assert_eq!(o.sidecar_counts.deleted, 1, "{}", o.render());
    assert!(!out.join(&path).exists());
    assert_eq!(entry(&out, "1002").comments_path, None);

    // A deleted reply thread leaves the rest.
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/comments/{footer}"),
        json!({}),
    );
    sync(&c, &out).unwrap();
    let md = sidecar(&out, "1001").unwrap();
    assert!(
        !md.contains("First reply") && md.contains("### Resolved"),
        "{md}"
    );

    // A missing sidecar is rewritten; a dry run lists sidecar changes.
    std::fs::remove_file(out.join(entry(&out, "1001").comments_path.unwrap().to_string())).unwrap();
    let o = sync(&c, &out).unwrap();
    assert_eq!(
        o.sidecar_counts.new + o.sidecar_counts.modified,
        1,
        "{}",
        o.render()
    );
    add(&sim, "1002", json!({"body": "<p>Back</p>"}));
    let mut req = request(&out, Start::Sync);
    req.dry_run = true;
    let plan = run(&c, req).unwrap();
    assert_eq!(plan.sidecar_counts.new, 1, "{}", plan.render());
    assert!(plan.render().contains(".comments.md"), "{}", plan.render());
    assert!(sidecar(&out, "1002").is_none(), "a dry run writes nothing");
    sync(&c, &out).unwrap();
    assert!(sidecar(&out, "1002").unwrap().contains("Back"));

    // A page deleted in Confluence takes its sidecar along.
    let path = entry(&out, "1002").comments_path.unwrap().to_string();
    ctl(&sim, "DELETE", "/__sim/pages/1002", json!({}));
    let o = sync(&c, &out).unwrap();
    assert!(o.sidecar_counts.deleted >= 1, "{}", o.render());
    assert!(!out.join(&path).exists());

    assert_eq!(written(&sync(&c, &out).unwrap()), 0, "then idle");
    std::fs::remove_dir_all(&out).ok();
    std::fs::remove_dir_all(&off).ok();
}

#[test]
fn data_center_sidecars_too() {
    let sim = spawn(SimConfig::demo().flavor(confluence_sim::Flavor::DataCenter)).unwrap();
    let c = dc_client(&sim.url());
    populate(&sim);
    let out = tmp("comments-dc");
    run_mode(&c, &out, all_spaces(), Some(CommentsMode::All));
    let md = sidecar(&out, "1001").unwrap();
    assert!(
        md.contains(&format!("**{}** · ", display_name(&sim))),
        "{md}"
    );
    assert!(
        md.contains("> > Reply to the reply") && md.contains("### Resolved"),
        "{md}"
    );
    // A mention, served by user key as Data Center does, shows the name.
    let account = sim.control("GET", "/__sim/info", None).1["users"][0]["accountId"]
        .as_str()
        .unwrap()
        .to_owned();
    let mention =
        format!("<p>From DC, cc <ac:link><ri:user ri:account-id=\"{account}\" /></ac:link></p>");
    add(&sim, "1001", json!({"body": mention}));
    let o = sync(&c, &out).unwrap();
    assert_eq!(o.sidecar_counts.modified, 1, "{}", o.render());
    let md = sidecar(&out, "1001").unwrap();
    assert!(
        md.contains(&format!("From DC, cc @{}", display_name(&sim))),
        "{md}"
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn hostile_comments_and_titles_cannot_break_files() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let hostile = "<p>a\u{7}b\u{1b}[31m <script>alert(1)</script> ]]&gt; </ac:rich-text-body></p></blockquote><h1>Fake heading</h1>\n---\n<ac:structured-macro ac:name=\"code\"><ac:plain-text-body><![CDATA[```\n# not a heading";
    add(&sim, "1001", json!({"body": hostile}));
    add(
        &sim,
        "1001",
        json!({"body": "<p>x</p>", "location": "inline", "selection": "> quote\n# head\u{0}`tick`"}),
    );
    // A sibling page titled like 1001's sidecar.
    let c = client(&sim, "sim-token");
    let plain = tmp("comments-titles-pre");
    run_mode(&c, &plain, all_spaces(), None);
    let page = entry(&plain, "1001");
    let stem = Path::new(&*page.output_path)
        .file_stem()
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let info = sim.control("GET", "/__sim/info", None).1;
    let _ = info;
    let parent = api_get(&sim, "/wiki/api/v2/pages/1001")["parentId"]
        .as_str()
        .map(str::to_owned);
    let space = api_get(&sim, "/wiki/rest/api/content/1001?expand=space")["space"]["key"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut body = json!({"space": space, "title": format!("{}.comments", page.title.clone().unwrap()), "body": "<p>I am a page</p>"});
    if let Some(p) = parent {
        body["parent"] = json!(p);
    }
    let clash = ctl(&sim, "POST", "/__sim/pages", body)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    add(&sim, &clash, json!({"body": "<p>on the clash page</p>"}));
    let out = tmp("comments-hostile");
    run_mode(&c, &out, all_spaces(), Some(CommentsMode::All));
    let md = sidecar(&out, "1001").unwrap();
    assert!(
        !md.contains('\u{7}') && !md.contains('\u{1b}') && !md.contains('\u{0}'),
        "{md:?}"
    );
    // The body's own markup stays its own: the sidecar's sections are intact
    // and the selection's markup is text.
    let sections: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        sections,
        ["## Footer comments", "## Inline comments"],
        "{md}"
    );
    assert!(
        md.find("Fake heading") < md.find("## Inline comments"),
        "{md}"
    );
    // On one line, mid-line: a `#` there is text and needs no backslash.
    assert!(
        !md.contains("\n# head") && md.contains("quote # head"),
        "{md}"
    );
    let fences = md
        .lines()
        .filter(|l| l.trim_start_matches("> ").starts_with("```"))
        .count();
    assert_eq!(fences % 2, 0, "code fences closed:\n{md}");
    // The clash page and 1001's sidecar are different files.
    let clash_entry = entry(&out, &clash);
    let sidecar_path = entry(&out, "1001").comments_path.unwrap().to_string();
    assert_ne!(*clash_entry.output_path, *sidecar_path);
    assert!(
        !clash_entry
            .output_path
            .ends_with(&format!("{stem}.comments.md")),
        "{}",
        clash_entry.output_path
    );
    assert!(sidecar(&out, &clash).unwrap().contains("on the clash page"));
    assert!(
        std::fs::read_to_string(out.join(&*clash_entry.output_path))
            .unwrap()
            .contains("I am a page")
    );
    std::fs::remove_dir_all(&out).ok();
    std::fs::remove_dir_all(&plain).ok();
}

#[test]
fn the_flag_is_recorded_and_sync_keeps_it() {
    let sim = spawn(SimConfig::demo()).unwrap();
    populate(&sim);
    let out = tmp("comments-cli");
    let o = out.to_str().unwrap();
    let env = [
        ("CME_URL", sim.url()),
        ("CME_EMAIL", "sim@example.com".to_owned()),
        ("CME_API_TOKEN", "sim-token".to_owned()),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let config = Path::new("/nonexistent/cme-comments-test-config.toml");
    let run = |args: &[&str]| {
        let r = cme_bin(config, args, &env);
        assert!(
            r.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&r.stderr)
        );
        String::from_utf8_lossy(&r.stdout).into_owned()
    };
    let report = run(&["all-spaces", "-o", o, "--comments", "footer"]);
    assert!(report.contains(".comments.md"), "{report}");
    assert!(report.contains("; comments: 2 new"), "{report}");
    let md = sidecar(&out, "1001").unwrap();
    assert!(
        md.contains("First reply") && !md.contains("### Resolved"),
        "{md}"
    );
    // `sync` keeps the folder's setting; a new comment arrives.
    add(&sim, "1001", json!({"body": "<p>Seen by sync</p>"}));
    let report = run(&["sync", "-o", o]);
    assert!(report.contains("; comments: 0 new, 1 modified"), "{report}");
    assert!(sidecar(&out, "1001").unwrap().contains("Seen by sync"));
    // Renaming the page moves its sidecar along.
    let old = entry(&out, "1001").comments_path.unwrap().to_string();
    ctl(
        &sim,
        "PATCH",
        "/__sim/pages/1001",
        json!({"title": "Renamed Home"}),
    );
    run(&["sync", "-o", o]);
    let new = entry(&out, "1001").comments_path.unwrap().to_string();
    assert!(new.ends_with("Renamed Home.comments.md"), "{new}");
    assert!(!out.join(&old).exists() && out.join(&new).exists());
    assert!(entry(&out, "1001").previous_paths.is_empty());
    // `status` notices a sidecar gone from the disk; `sync` brings it back.
    std::fs::remove_file(out.join(&new)).unwrap();
    let status = run(&["status", "-o", o]);
    assert!(status.contains("Renamed Home.comments.md"), "{status}");
    run(&["sync", "-o", o]);
    assert!(out.join(&new).exists());
    // `--comments none` removes them.
    let report = run(&["sync", "-o", o, "--comments", "none"]);
    assert!(
        report.contains("; comments: 0 new, 0 modified, 2 deleted"),
        "{report}"
    );
    assert!(sidecar_files(&out).is_empty());
    std::fs::remove_dir_all(&out).ok();
}

/// After any mix of comment and page changes (and runs stopped midway), a
/// sync leaves the same tree as a fresh export (sidecars included), and its
/// state names exactly the sidecars on disk.
#[test]
fn sync_converges_with_a_fresh_export() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("comments-converge");
    run_mode(&c, &out, all_spaces(), Some(CommentsMode::All));
    let mut pages: Vec<String> = State::load(&out)
        .unwrap()
        .unwrap()
        .pages
        .keys()
        .map(|p| p.as_str().to_owned())
        .collect();
    let mut comments: Vec<String> = Vec::new();
    let mut seed: u64 = 0x5eed_c0de;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((seed >> 33) as usize) % n.max(1)
    };
    let mut deleted = 0;
    for step in 0..30 {
        for _ in 0..3 {
            let page = pages[next(pages.len())].clone();
            let pick = |comments: &[String], k: usize| comments.get(k).cloned();
            let k = next(comments.len());
            let (method, path, body) = match next(9) {
                0 | 1 => (
                    "POST",
                    format!("/__sim/pages/{page}/comments"),
                    json!({"body": format!("<p>c{step} <a href=\"#x\">link</a></p>")}),
                ),
                2 => (
                    "POST",
                    format!("/__sim/pages/{page}/comments"),
                    json!({"body": "<p>inline</p>", "location": "inline", "selection": format!("sel {step}")}),
                ),
                3 => match pick(&comments, k) {
                    Some(id) => (
                        "POST",
                        format!("/__sim/comments/{id}/replies"),
                        json!({"body": format!("<p>r{step}</p>")}),
                    ),
                    None => continue,
                },
                4 => match pick(&comments, k) {
                    Some(id) => (
                        "POST",
                        format!(
                            "/__sim/comments/{id}/{}",
                            if step % 2 == 0 { "resolve" } else { "reopen" }
                        ),
                        json!({}),
                    ),
                    None => continue,
                },
                5 => match pick(&comments, k) {
                    Some(id) => (
                        "PUT",
                        format!("/__sim/comments/{id}"),
                        json!({"body": format!("<p>e{step}</p>")}),
                    ),
                    None => continue,
                },
                6 => match pick(&comments, k) {
                    Some(id) => ("DELETE", format!("/__sim/comments/{id}"), json!({})),
                    None => continue,
                },
                7 => (
                    "PATCH",
                    format!("/__sim/pages/{page}"),
                    json!({"title": format!("Renamed {step} {page}")}),
                ),
                _ if deleted < 3 && page != "1001" => {
                    deleted += 1;
                    pages.retain(|p| *p != page);
                    ("DELETE", format!("/__sim/pages/{page}"), json!({}))
                }
                _ => continue,
            };
            let (status, v) = sim.control(method, &path, Some(body));
            if status < 300 && (path.ends_with("comments") || path.ends_with("replies")) {
                if let Some(id) = v["id"].as_str() {
                    comments.push(id.to_owned());
                }
            }
        }
        if step % 3 == 1 {
            // A run stopped after its first page: the next one finishes.
            let req = request(&out, Start::Sync);
            let cancel = req.cancel.clone();
            run_with(&c, req, &|msg| {
                if msg.starts_with("wrote") {
                    cancel.cancel();
                }
            })
            .unwrap();
        }
        let o = sync(&c, &out).unwrap();
        assert!(o.failures.is_empty(), "{}", o.render());
        let fresh = tmp("comments-converge-fresh");
        run_mode(&c, &fresh, all_spaces(), Some(CommentsMode::All));
        assert_eq!(
            content(&out).keys().collect::<Vec<_>>(),
            content(&fresh).keys().collect::<Vec<_>>(),
            "step {step}"
        );
        let (a, b) = (content(&out), content(&fresh));
        let differ: Vec<&String> = a.keys().filter(|k| a[*k] != b[*k]).collect();
        assert!(
            differ.is_empty(),
            "step {step}: {differ:?}\n--- synced\n{}\n--- fresh\n{}",
            String::from_utf8_lossy(&a[differ[0]]),
            String::from_utf8_lossy(&b[differ[0]])
        );
        let state = State::load(&out).unwrap().unwrap();
        let mut recorded: Vec<String> = state
            .pages
            .values()
            .filter_map(|p| p.comments_path.as_deref().map(str::to_owned))
            .collect();
        recorded.sort();
        assert_eq!(recorded, sidecar_files(&out), "step {step}");
        std::fs::remove_dir_all(&fresh).ok();
    }
    assert!(sidecar_files(&out).len() > 3, "the run made sidecars");
    std::fs::remove_dir_all(&out).ok();
}

/// The idle sync's request budget on a generated site: comments off costs
/// what it did before; on adds ⌈C/250⌉ listing requests per space, and a
/// new reply costs one request, for its page's comments' bodies. (Set
/// `CME_COMMENTS_SPEC` for a bigger site.)
#[test]
fn idle_sync_budget_with_many_comments() {
    let spec = std::env::var("CME_COMMENTS_SPEC")
        .unwrap_or_else(|_| "pages=1000,spaces=1,depth=5,attachments=0.05,body_kb=1,seed=3".into());
    let Site {
        sim,
        client: c,
        out: off,
    } = Site::generated(&spec, "comments-scale-off");
    run_mode(&c, &off, all_spaces(), None);
    let pages: Vec<String> = State::load(&off)
        .unwrap()
        .unwrap()
        .pages
        .keys()
        .map(|p| p.as_str().to_owned())
        .collect();
    // 600 comments: every 5th page, with replies and inline threads.
    let mut made = Vec::new();
    for (i, page) in pages.iter().step_by(5).take(200).enumerate() {
        let f = add(&sim, page, json!({"body": format!("<p>c{i}</p>")}));
        reply(&sim, &f, "r");
        add(
            &sim,
            page,
            json!({"body": "<p>i</p>", "location": "inline", "selection": "s"}),
        );
        made.push(f);
    }
    let comments = 600u64;
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    assert_eq!(written(&sync(&c, &off).unwrap()), 0);
    let idle_off = requests(&sim);

    let on = tmp("comments-scale-on");
    run_mode(&c, &on, all_spaces(), Some(CommentsMode::All));
    assert_eq!(sidecar_files(&on).len(), 200);
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    assert_eq!(written(&sync(&c, &on).unwrap()), 0);
    let idle_on = requests(&sim);
    eprintln!(
        "{spec}: idle sync {idle_off} requests without comments, {idle_on} with {comments} comments"
    );
    assert_eq!(idle_on, idle_off + comments.div_ceil(250));

    reply(&sim, &made[0], "late");
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &on).unwrap();
    assert_eq!(o.sidecar_counts.modified, 1, "{}", o.render());
    let n = requests(&sim);
    eprintln!("after one reply: {n} requests");
    assert_eq!(n, idle_on + 1);
    assert_eq!(written(&o), 0, "{}", o.render());
    std::fs::remove_dir_all(&off).ok();
    std::fs::remove_dir_all(&on).ok();
}

/// Under a path template too, no page takes a comments file's name: a flat
/// `{page_title}.md` layout with pages `Guide` and `Guide.comments`.
#[test]
fn a_templated_page_titled_like_a_sidecar_gets_its_own_name() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let page = |title: &str| {
        ctl(
            &sim,
            "POST",
            "/__sim/pages",
            json!({"space": "DEMO", "parent_id": "1001", "title": title, "body": format!("<p>{title} body</p>")}),
        )["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let guide = page("Guide");
    let lookalike = page("Guide.comments");
    add(&sim, &guide, json!({"body": "<p>a comment on Guide</p>"}));
    let c = client(&sim, "sim-token");
    let out = tmp("comments-templated");
    let mut req = request(&out, all_spaces());
    req.markdown = Some(settings(Some(CommentsMode::All)));
    req.layout = Some(cme::state::LayoutSettings {
        page_path: Some(page_template("{space_key}/{page_title}.md")),
        ..Default::default()
    });
    let o = run(&c, req).unwrap();
    assert!(o.failures.is_empty(), "{}", o.render());
    let side = sidecar(&out, &guide).expect("Guide has a sidecar");
    assert!(side.contains("a comment on Guide"), "{side}");
    let other = entry(&out, &lookalike).output_path.to_string();
    let text = std::fs::read_to_string(out.join(&other)).unwrap();
    assert!(text.contains("Guide.comments body"), "{other}: {text}");
    assert_ne!(
        other,
        entry(&out, &guide).comments_path.unwrap().to_string()
    );
    std::fs::remove_dir_all(&out).ok();
}

/// A comment listing that fails leaves the comments files as they are, says
/// so in the report, and ends the run as partial (exit 1), without holding
/// page changes back.
#[test]
fn a_failed_comment_listing_is_reported_and_changes_nothing() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("comments-listing-fails");
    populate(&sim);
    run_mode(&c, &out, all_spaces(), Some(CommentsMode::All));
    let before = sidecar_files(&out)
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(out.join(&p)).unwrap();
            (p, bytes)
        })
        .collect::<Vec<_>>();
    assert!(!before.is_empty());
    // A new reply that this sync cannot see, and a page edit it can.
    add(&sim, "1001", json!({"body": "<p>unseen</p>"}));
    ctl(
        &sim,
        "PATCH",
        "/__sim/pages/1002",
        json!({"body": "<p>edited while comments fail</p>"}),
    );
    ctl(
        &sim,
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [500], "only_matching": "type = comment"}),
    );
    let mut req = request(&out, Start::Sync);
    req.markdown = Some(settings(Some(CommentsMode::All)));
    let o = run(&c, req).unwrap();
    assert!(
        o.problems
            .iter()
            .any(|p| p.contains("listing the comments of")),
        "{:?}",
        o.problems
    );
    assert_eq!(o.exit(), cme::sync::outcome::Exit::Partial);
    assert!(
        o.notes().contains("warning: listing the comments of"),
        "{}",
        o.notes()
    );
    assert_eq!(o.page_counts.modified, 1, "{}", o.render());
    for (p, bytes) in &before {
        assert_eq!(&std::fs::read(out.join(p)).unwrap(), bytes, "{p} changed");
    }
    std::fs::remove_dir_all(&out).ok();
}
