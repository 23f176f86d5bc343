//! Layouts of the Python exporter (issue 9, item 4): path templates with its
//! placeholders, `index.md` / `README.md` for pages with children,
//! attachment templates, attachments `all|none`, link styles and
//! breadcrumbs. Every layout keeps every link resolving and every page in a
//! file of its own.
use crate::common;
use cme::state::{LayoutSettings, MarkdownSettings};
use cme::sync::{Start, SyncRequest};
use cme_client::Client;
use common::links::{check_links, check_links_with, wiki_targets};
use common::*;
use confluence_sim::{SimConfig, spawn};
use std::collections::BTreeMap;
use std::path::Path;

const LEAF: &str = "{space_key}/{ancestor_titles}/{page_title}.md";
const MKDOCS: &str = "{space_key}/{ancestor_titles}/{page_title}/index.md";
const GITHUB: &str = "{space_key}/{ancestor_titles}/{page_title}/README.md";

fn layout(page: Option<&str>, parent: Option<&str>) -> LayoutSettings {
    LayoutSettings {
        page_path: page.map(page_template),
        parent_page_path: parent.map(page_template),
        ..LayoutSettings::default()
    }
}

fn markdown(link_style: &str) -> MarkdownSettings {
    MarkdownSettings {
        link_style: cme::options::LinkStyle::parse(link_style).unwrap(),
        alert_style: cme::options::AlertStyle::Gfm,
        jira_url: None,
        jira_fetch: None,
        front_matter: Some(true),
        comments: None,
    }
}

/// A run with `settings` and link style `link`; returns the pages written.
fn run_as(c: &Client, out: &Path, start: Start, settings: &LayoutSettings, link: &str) -> usize {
    let mut req: SyncRequest = request(out, start);
    req.layout = settings.clone().non_default();
    req.markdown = Some(markdown(link));
    let o = run(c, req).unwrap();
    assert!(o.failures.is_empty(), "{:?}", o.failures);
    written(&o)
}

fn md_paths(files: &BTreeMap<String, Vec<u8>>) -> Vec<&str> {
    files
        .keys()
        .filter(|k| k.ends_with(".md"))
        .map(String::as_str)
        .collect()
}

/// Two trees are the same; else which files differ, and how.
fn assert_same(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>) {
    let mut diff = Vec::new();
    for (k, v) in got {
        match want.get(k) {
            None => diff.push(format!("only after sync: {k}")),
            Some(w) if w != v => diff.push(format!(
                "differs: {k}\n--- sync\n{}\n--- fresh\n{}",
                String::from_utf8_lossy(v),
                String::from_utf8_lossy(w)
            )),
            Some(_) => {}
        }
    }
    for k in want.keys().filter(|k| !got.contains_key(*k)) {
        diff.push(format!("only in a fresh export: {k}"));
    }
    assert!(diff.is_empty(), "{}", diff.join("\n"));
}

/// Pages with exported children are `<title>/<name>`, the rest `<title>.md`;
/// a child is inside its parent's folder (but the home page's children are
/// beside it: `{ancestor_titles}` leaves the home page out, as the Python
/// tool does); every link resolves.
fn check_parent_layout(out: &Path, files: &BTreeMap<String, Vec<u8>>, name: &str) {
    let state = cme::state::State::load(out).unwrap().unwrap();
    for (id, ps) in &state.pages {
        let has_children = state.pages.values().any(|c| c.parent.as_ref() == Some(id));
        let suffix = format!("/{name}");
        assert_eq!(
            ps.output_path.ends_with(&suffix),
            has_children,
            "{}",
            ps.output_path
        );
        let Some(parent) = ps.parent.as_ref() else {
            continue;
        };
        if ["1001", "2001"].contains(&parent.as_str()) {
            continue;
        }
        if let Some(pp) = state.pages.get(parent) {
            let folder = pp.output_path.strip_suffix(&suffix).unwrap();
            assert!(
                ps.output_path.starts_with(&format!("{folder}/")),
                "{} is not in {folder}",
                ps.output_path
            );
        }
    }
    let (relative, _) = check_links(files);
    assert!(relative > 20, "{relative}");
}

const MKDOCS_TREE: &[&str] = &[
    "DEMO/2024-05-02 Meeting Notes.md",
    "DEMO/Architecture/Data Flow.md",
    "DEMO/Architecture/Decision Log.md",
    "DEMO/Architecture/index.md",
    "DEMO/Blank Page.md",
    "DEMO/Changelog Policy.md",
    "DEMO/Demo Home/index.md",
    "DEMO/Editor Artifacts/Q&A_ _Edge_ _Cases_ _ 100% #1_.md",
    "DEMO/Editor Artifacts/index.md",
    "DEMO/Getting Started/Configuration Reference.md",
    "DEMO/Getting Started/Installation/Linux Setup/Troubleshooting Linux/Deep Dive_ Kernel Flags.md",
    "DEMO/Getting Started/Installation/Linux Setup/Troubleshooting Linux/index.md",
    "DEMO/Getting Started/Installation/Linux Setup/index.md",
    "DEMO/Getting Started/Installation/Windows Setup.md",
    "DEMO/Getting Started/Installation/index.md",
    "DEMO/Getting Started/index.md",
    "DEMO/Links and References.md",
    "DEMO/Project Status Report/Service Inventory.md",
    "DEMO/Project Status Report/Tasks and Dates.md",
    "DEMO/Project Status Report/index.md",
    "DEMO/Release Notes 1.0/Release Notes 1.1.md",
    "DEMO/Release Notes 1.0/index.md",
    "DEMO/Team Folder/Page in a Folder/Nested under Folder Page.md",
    "DEMO/Team Folder/Page in a Folder/index.md",
    "DEMO/日本語のページ.md",
    "OPS/Glossary.md",
    "OPS/Monitoring.md",
    "OPS/Operations Home/index.md",
    "OPS/Postmortems/Postmortem 2024-05-01.md",
    "OPS/Postmortems/index.md",
    "OPS/Runbooks/Incident Response.md",
    "OPS/Runbooks/On-call Checklist/Escalation Policy/Paging Matrix.md",
    "OPS/Runbooks/On-call Checklist/Escalation Policy/index.md",
    "OPS/Runbooks/On-call Checklist/index.md",
    "OPS/Runbooks/index.md",
];

#[test]
fn mkdocs_layout_writes_parents_as_index_md_with_every_link_resolving() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("lay-mkdocs");
    run_as(
        &c,
        &out,
        all_spaces(),
        &layout(Some(LEAF), Some(MKDOCS)),
        "markdown",
    );
    let files = content(&out);
    assert_eq!(md_paths(&files), MKDOCS_TREE);
    check_parent_layout(&out, &files, "index.md");
    // Nothing changed: nothing is written.
    let layout = layout(Some(LEAF), Some(MKDOCS));
    assert_eq!(run_as(&c, &out, Start::Sync, &layout, "markdown"), 0);
    assert_eq!(content(&out), files);
    // A child links to its parent's index file.
    let data_flow = String::from_utf8_lossy(&files["DEMO/Architecture/Data Flow.md"]).into_owned();
    assert!(!data_flow.contains("](../Architecture.md"), "{data_flow}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn github_layout_writes_parents_as_readme_md_with_every_link_resolving() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("lay-github");
    run_as(
        &c,
        &out,
        all_spaces(),
        &layout(Some(LEAF), Some(GITHUB)),
        "markdown",
    );
    let files = content(&out);
    let want: Vec<String> = MKDOCS_TREE
        .iter()
        .map(|p| p.replace("/index.md", "/README.md"))
        .collect();
    let mut got = md_paths(&files);
    got.sort_by_key(|p| p.replace("/README.md", "/index.md"));
    assert_eq!(got, want);
    check_parent_layout(&out, &files, "README.md");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn a_template_with_every_placeholder() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("lay-every");
    let t = "{space_key} {space_name}/{homepage_id} {homepage_title}/{ancestor_ids}/{ancestor_titles}/{page_id} {page_title}.md";
    let mut settings = layout(Some(t), None);
    settings.attachment_path = Some(attachment_template(
        "{space_key}/files/{page_id}/{attachment_id} {attachment_file_id} {attachment_title}{attachment_extension}",
    ));
    run_as(&c, &out, all_spaces(), &settings, "markdown");
    let files = content(&out);
    let home = id_at(&out, "DEMO Demo Space/1001 Demo Home/1001 Demo Home.md");
    assert_eq!(home, "1001");
    // Below the home page: its ancestors' ids, then their titles.
    let deep: Vec<&str> = md_paths(&files)
        .into_iter()
        .filter(|p| p.ends_with(" Deep Dive_ Kernel Flags.md"))
        .collect();
    assert_eq!(deep.len(), 1, "{:?}", md_paths(&files));
    let comps: Vec<&str> = deep[0].split('/').collect();
    assert_eq!(comps[..2], ["DEMO Demo Space", "1001 Demo Home"]);
    assert_eq!(
        comps[comps.len() - 5..comps.len() - 1],
        [
            "Getting Started",
            "Installation",
            "Linux Setup",
            "Troubleshooting Linux"
        ]
    );
    assert!(
        comps[2..6]
            .iter()
            .all(|c| c.bytes().all(|b| b.is_ascii_digit())),
        "{comps:?}"
    );
    let att: Vec<&String> = files
        .keys()
        .filter(|k| k.starts_with("DEMO/files/1001/"))
        .collect();
    assert_eq!(att.len(), 1, "{att:?}");
    assert!(att[0].ends_with(" sim-logo.png"), "{att:?}");
    check_links(&files);
    std::fs::remove_dir_all(&out).ok();
}

/// Adds a page; returns its id.
fn add_page(
    sim: &confluence_sim::SimHandle,
    space: &str,
    parent: Option<&str>,
    title: &str,
    body: &str,
) -> String {
    let v = ctl(
        sim,
        "POST",
        "/__sim/pages",
        Some(
            serde_json::json!({"space": space, "parent_id": parent, "title": title, "body": body}),
        ),
    );
    v["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_flat_template_gives_duplicate_and_hostile_titles_their_own_files() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let c = client(&sim, "sim-token");
    // Titles alike across spaces and within one, and titles that try to
    // leave the folder or name devices.
    let a = add_page(
        &sim,
        "DEMO",
        Some("1001"),
        "Glossary",
        "<p>demo glossary</p>",
    );
    add_page(&sim, "DEMO", Some(&a), "glossary", "<p>lower</p>");
    add_page(&sim, "DEMO", None, "index", "<p>i</p>");
    for t in [
        "../../etc/passwd",
        "CON",
        "a/b\\c",
        ".cme-state.json",
        "Glossary.md",
    ] {
        let link =
            "<ac:link><ri:page ri:content-title=\"Glossary\" ri:space-key=\"OPS\" /></ac:link>";
        add_page(&sim, "DEMO", Some(&a), t, link);
    }
    let out = tmp("lay-flat");
    let settings = LayoutSettings {
        page_path: Some(page_template("{page_title}.md")),
        attachment_path: Some(attachment_template(
            "{page_title}/{attachment_title}{attachment_extension}",
        )),
        ..LayoutSettings::default()
    };
    run_as(&c, &out, all_spaces(), &settings, "markdown");
    let state = cme::state::State::load(&out).unwrap().unwrap();
    let files = content(&out);
    let paths = md_paths(&files);
    assert_eq!(paths.len(), state.pages.len());
    // Every page at the top, in a file of its own (as macOS compares names).
    let keys: std::collections::HashSet<String> = paths.iter().map(|p| p.to_lowercase()).collect();
    assert_eq!(keys.len(), paths.len());
    assert!(paths.iter().all(|p| !p.contains('/')), "{paths:?}");
    for p in ["Glossary.md".to_owned(), format!("Glossary ({a}).md")] {
        assert!(files.contains_key(&p), "{p} in {paths:?}");
    }
    assert!(
        paths.iter().any(|p| p.starts_with("glossary (")),
        "{paths:?}"
    );
    assert!(
        files.contains_key("CON_.md") && files.contains_key("_.._etc_passwd.md"),
        "{paths:?}"
    );
    assert!(!out.parent().unwrap().join("etc").exists());
    check_links(&files);
    assert_eq!(run_as(&c, &out, Start::Sync, &settings, "markdown"), 0);
    assert_eq!(content(&out), files);
    std::fs::remove_dir_all(&out).ok();
}

/// The attachment files of an export.
fn attachment_files(files: &BTreeMap<String, Vec<u8>>) -> Vec<&String> {
    files
        .keys()
        .filter(|k| k.contains("/_attachments/"))
        .collect()
}

#[test]
fn attachments_all_downloads_every_listed_file_and_none_links_to_the_site() {
    let Site {
        sim,
        client: c,
        out: base,
    } = Site::demo("lay-att-referenced");
    run_as(
        &c,
        &base,
        all_spaces(),
        &LayoutSettings::default(),
        "markdown",
    );
    let referenced = attachment_files(&content(&base)).len();

    // A file no page uses.
    ctl(
        &sim,
        "POST",
        "/__sim/pages/1027/attachments",
        Some(serde_json::json!({"filename": "unused.txt", "data_base64": "aGk="})),
    );
    let out = tmp("lay-att-all");
    let all = LayoutSettings {
        attachments: Some(cme::options::AttachmentMode::All),
        ..LayoutSettings::default()
    };
    run_as(&c, &out, all_spaces(), &all, "markdown");
    let state = cme::state::State::load(&out).unwrap().unwrap();
    let mut listed = 0;
    for id in state.pages.keys() {
        let v = api_get(
            &sim,
            &format!("/wiki/api/v2/pages/{id}/attachments?limit=250"),
        );
        listed += v["results"].as_array().map_or(0, Vec::len);
    }
    let files = content(&out);
    assert_eq!(attachment_files(&files).len(), listed);
    assert!(listed > referenced, "{listed} {referenced}");
    assert!(files.contains_key("DEMO/_attachments/1027/unused.txt"));
    check_links(&files);

    // Back to `none`: every file goes, links go to the site.
    let none = LayoutSettings {
        attachments: Some(cme::options::AttachmentMode::None),
        ..LayoutSettings::default()
    };
    run_as(&c, &out, Start::Sync, &none, "markdown");
    let files = content(&out);
    assert!(
        attachment_files(&files).is_empty(),
        "{:?}",
        attachment_files(&files)
    );
    let (_, absolute) = check_links(&files);
    assert!(absolute > 10);
    let home = String::from_utf8_lossy(&files["DEMO/Demo Home.md"]).into_owned();
    assert!(
        home.contains("/download/attachments/1001/sim-logo.png"),
        "{home}"
    );
    let fresh = tmp("lay-att-none");
    run_as(&c, &fresh, all_spaces(), &none, "markdown");
    assert_eq!(files, content(&fresh));
    for d in [base, out, fresh] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[test]
fn absolute_links_start_at_the_output_folder() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("lay-abs");
    run_as(
        &c,
        &out,
        all_spaces(),
        &layout(Some(LEAF), Some(MKDOCS)),
        "absolute",
    );
    let files = content(&out);
    let (local, _) = check_links_with(&files, true);
    assert!(local > 20, "{local}");
    let guide = String::from_utf8_lossy(&files["DEMO/Getting Started/index.md"]).into_owned();
    assert!(
        guide.contains("](/DEMO/Getting%20Started/Installation/index.md)"),
        "{guide}"
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn wiki_links_name_files_of_the_export() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("lay-wiki");
    run_as(
        &c,
        &out,
        all_spaces(),
        &layout(Some(LEAF), Some(GITHUB)),
        "wiki",
    );
    let files = content(&out);
    let mut seen = 0;
    for (path, bytes) in &files {
        if !path.ends_with(".md") {
            continue;
        }
        let dir = Path::new(path).parent().unwrap();
        for t in wiki_targets(&String::from_utf8_lossy(bytes)) {
            // `#` starts an anchor, unless the file's name has one.
            let found = [t.as_str(), t.split('#').next().unwrap()].iter().any(|t| {
                let target = common::links::join(dir, t).unwrap();
                let target = target.to_string_lossy().replace('\\', "/");
                files.contains_key(&format!("{target}.md")) || files.contains_key(&target)
            });
            assert!(found, "{path}: [[{t}]]");
            seen += 1;
        }
    }
    assert!(seen > 10, "{seen}");
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn breadcrumbs_link_every_ancestor_under_the_front_matter() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("lay-crumbs");
    let on = LayoutSettings {
        breadcrumbs: Some(true),
        ..layout(Some(LEAF), Some(MKDOCS))
    };
    run_as(&c, &out, all_spaces(), &on, "markdown");
    let files = content(&out);
    let text = |p: &str| String::from_utf8_lossy(&files[p]).into_owned();
    let linux = text("DEMO/Getting Started/Installation/Linux Setup/index.md");
    let crumbs = "[Demo Home](../../../Demo%20Home/index.md) > [Getting Started](../../index.md) > [Installation](../index.md)\n\n";
    let after_front_matter = linux.splitn(3, "---\n").nth(2).unwrap();
    assert!(
        after_front_matter.starts_with(&format!("\n{crumbs}# Linux Setup")),
        "{linux}"
    );
    // A top page has none.
    let home = text("DEMO/Demo Home/index.md");
    assert!(
        !home.splitn(3, "---\n").nth(2).unwrap().contains(" > ["),
        "{home}"
    );
    check_links(&files);

    // An ancestor renamed: the line follows.
    ctl(
        &sim,
        "PATCH",
        "/__sim/pages/1003",
        Some(serde_json::json!({"title": "Setup"})),
    );
    run_as(&c, &out, Start::Sync, &on, "markdown");
    let files = content(&out);
    let linux = String::from_utf8_lossy(&files["DEMO/Getting Started/Setup/Linux Setup/index.md"])
        .into_owned();
    assert!(linux.contains("> [Setup](../index.md)\n"), "{linux}");
    let deep = String::from_utf8_lossy(
        &files["DEMO/Getting Started/Setup/Linux Setup/Troubleshooting Linux/Deep Dive_ Kernel Flags.md"],
    )
    .into_owned();
    assert!(deep.contains("> [Setup](../../index.md) >"), "{deep}");

    // With a flat template a new parent moves no file, but the line follows.
    let flat = LayoutSettings {
        page_path: Some(page_template("{space_key}/{page_id}.md")),
        breadcrumbs: Some(true),
        ..LayoutSettings::default()
    };
    run_as(&c, &out, Start::Sync, &flat, "markdown");
    ctl(
        &sim,
        "PATCH",
        "/__sim/pages/1007",
        Some(serde_json::json!({"parent_id": "1027"})),
    );
    // The page, and its old parent's list of children.
    let n = run_as(&c, &out, Start::Sync, &flat, "markdown");
    assert!((1..=3).contains(&n), "{n}");
    let windows =
        String::from_utf8_lossy(&std::fs::read(out.join("DEMO/1007.md")).unwrap()).into_owned();
    assert!(
        windows.contains("\n[Demo Home](1001.md) > [Blank Page](1027.md)\n"),
        "{windows}"
    );
    std::fs::remove_dir_all(&out).ok();
}

#[test]
fn changing_the_template_on_sync_moves_every_file_and_loses_nothing() {
    let Site {
        sim: _sim,
        client: c,
        out: tree_out,
    } = Site::demo("lay-move-tree");
    run_as(
        &c,
        &tree_out,
        all_spaces(),
        &LayoutSettings::default(),
        "markdown",
    );
    let mkdocs = layout(Some(LEAF), Some(MKDOCS));
    let fresh = tmp("lay-move-fresh");
    run_as(&c, &fresh, all_spaces(), &mkdocs, "markdown");

    let out = tmp("lay-move");
    run_as(
        &c,
        &out,
        all_spaces(),
        &LayoutSettings::default(),
        "markdown",
    );
    run_as(&c, &out, Start::Sync, &mkdocs, "markdown");
    assert_eq!(content(&out), content(&fresh));
    let state = cme::state::State::load(&out).unwrap().unwrap();
    assert_eq!(state.layout, Some(mkdocs.clone()));
    // And back.
    run_as(
        &c,
        &out,
        Start::Sync,
        &LayoutSettings::default(),
        "markdown",
    );
    assert_eq!(content(&out), content(&tree_out));
    for d in [tree_out, fresh, out] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[test]
fn a_page_becomes_an_index_file_with_its_first_child_and_back_without_it() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("lay-first-child");
    let mkdocs = layout(Some(LEAF), Some(MKDOCS));
    run_as(&c, &out, all_spaces(), &mkdocs, "markdown");
    assert!(out.join("DEMO/Blank Page.md").exists());
    let blank = id_at(&out, "DEMO/Blank Page.md");
    let kid = add_page(&sim, "DEMO", Some(&blank), "Kid", "<p>kid</p>");
    run_as(&c, &out, Start::Sync, &mkdocs, "markdown");
    assert!(!out.join("DEMO/Blank Page.md").exists());
    assert!(out.join("DEMO/Blank Page/index.md").exists());
    assert!(out.join("DEMO/Blank Page/Kid.md").exists());
    let fresh = tmp("lay-first-child-fresh");
    run_as(&c, &fresh, all_spaces(), &mkdocs, "markdown");
    assert_eq!(content(&out), content(&fresh));
    check_links(&content(&out));

    ctl(&sim, "DELETE", &format!("/__sim/pages/{kid}"), None);
    run_as(&c, &out, Start::Sync, &mkdocs, "markdown");
    assert!(out.join("DEMO/Blank Page.md").exists());
    assert!(!out.join("DEMO/Blank Page").exists());
    let again = tmp("lay-first-child-again");
    run_as(&c, &again, all_spaces(), &mkdocs, "markdown");
    assert_eq!(content(&out), content(&again));
    for d in [out, fresh, again] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[test]
fn the_cli_records_the_layout_and_sync_keeps_it() {
    let Site { sim, out: dir, .. } = Site::demo("lay-cli");
    let config = dir.join("config.toml");
    let out = dir.join("out");
    let o = out.to_str().unwrap();
    let url = sim.url();
    let env = [
        ("CME_URL", url.as_str()),
        ("CME_EMAIL", "sim@example.com"),
        ("CME_API_TOKEN", "sim-token"),
    ];
    // A bad template names the valid placeholders, and nothing is written.
    let bad = cme_bin(
        &config,
        &["all-spaces", "-o", o, "--page-path", "{title}.md"],
        &env,
    );
    assert_eq!(bad.status.code(), Some(2));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(
        err.contains("unknown placeholder `{title}`") && err.contains("{page_title}"),
        "{err}"
    );
    assert!(!out.exists());

    let run = |args: &[&str]| {
        let r = cme_bin(&config, args, &env);
        assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    };
    run(&["all-spaces", "-o", o, "--layout", "github", "--breadcrumbs"]);
    assert!(out.join("DEMO/Getting Started/README.md").exists());
    // The home page is the space's README, its children beside it.
    assert!(out.join("DEMO/README.md").exists());
    assert!(!out.join("DEMO/Demo Home").exists());
    // The settings file does not change a folder's recorded layout.
    run(&["config", "set", "page-path", "{page_id}.md"]);
    run(&["sync", "-o", o]);
    assert!(out.join("DEMO/Getting Started/README.md").exists());
    let state = cme::state::State::load(&out).unwrap().unwrap();
    let layout = state.layout.unwrap();
    assert_eq!(
        layout.parent_page_path.as_ref().map(|t| t.as_str()),
        Some(GITHUB)
    );
    assert_eq!(layout.breadcrumbs, Some(true));
    // A flag does; `default` goes back to the page tree.
    run(&[
        "sync",
        "-o",
        o,
        "--page-path",
        "default",
        "--parent-page-path",
        "default",
        "--home-page-path",
        "default",
    ]);
    assert!(out.join("DEMO/Demo Home/Getting Started.md").exists());
    assert!(!out.join("DEMO/README.md").exists());
    assert!(!out.join("DEMO/Getting Started").exists());
    let state = cme::state::State::load(&out).unwrap().unwrap();
    assert_eq!(state.layout.unwrap().page_path, None);
    // A new export takes the settings file's template.
    let flat = dir.join("flat");
    run(&["all-spaces", "-o", flat.to_str().unwrap()]);
    assert!(flat.join("1001.md").exists());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_generated_site_in_every_layout_has_unique_files_and_no_broken_links() {
    let sim = spawn(
        SimConfig::generate("pages=300,spaces=2,depth=4,attachments=0.5,body_kb=1,seed=9").unwrap(),
    )
    .unwrap();
    let c = client(&sim, "sim-token");
    let layouts = [
        layout(Some(LEAF), Some(MKDOCS)),
        layout(Some("{page_title}.md"), Some("{page_title}/README.md")),
        LayoutSettings {
            attachment_path: Some(attachment_template(
                "{ancestor_titles}/{attachment_title}{attachment_extension}",
            )),
            ..layout(
                Some("{space_name}/{homepage_title}/{ancestor_titles}/{page_title}.md"),
                None,
            )
        },
    ];
    for (i, settings) in layouts.iter().enumerate() {
        let out = tmp(&format!("lay-gen-{i}"));
        run_as(&c, &out, all_spaces(), settings, "markdown");
        let state = cme::state::State::load(&out).unwrap().unwrap();
        let files = content(&out);
        assert_eq!(md_paths(&files).len(), state.pages.len(), "{settings:?}");
        let keys: std::collections::HashSet<String> =
            files.keys().map(|k| k.to_lowercase()).collect();
        assert_eq!(keys.len(), files.len(), "{settings:?}");
        check_links(&files);
        assert_eq!(
            run_as(&c, &out, Start::Sync, settings, "markdown"),
            0,
            "{settings:?}"
        );
        std::fs::remove_dir_all(&out).ok();
    }
}

#[test]
fn sync_converges_on_a_templated_layout_after_renames_moves_and_deletions() {
    let sim = spawn(SimConfig::demo()).unwrap();
    let c = client(&sim, "sim-token");
    let settings = LayoutSettings {
        breadcrumbs: Some(true),
        attachment_path: Some(attachment_template(
            "{space_key}/{ancestor_titles}/{page_title}.files/{attachment_title}{attachment_extension}",
        )),
        ..layout(Some(LEAF), Some(MKDOCS))
    };
    let out = tmp("lay-conv");
    run_as(&c, &out, all_spaces(), &settings, "markdown");
    let patch = |id: &str, body: serde_json::Value| {
        ctl(&sim, "PATCH", &format!("/__sim/pages/{id}"), Some(body));
    };
    // A parent renamed (its children move with it), a leaf made a parent,
    // a parent's only child moved away, a subtree moved under another, and
    // a newcomer titled like a renamed page's old name.
    patch("1009", serde_json::json!({"title": "Design"}));
    patch("1016", serde_json::json!({"parent_id": "1027"}));
    patch("1003", serde_json::json!({"parent_id": "1009"}));
    add_page(&sim, "DEMO", Some("1001"), "Architecture", "<p>new</p>");
    ctl(&sim, "DELETE", "/__sim/pages/1018", None);
    run_as(&c, &out, Start::Sync, &settings, "markdown");
    let fresh = tmp("lay-conv-fresh");
    run_as(&c, &fresh, all_spaces(), &settings, "markdown");
    let files = content(&out);
    assert_same(&files, &content(&fresh));
    assert!(files.contains_key("DEMO/Blank Page/index.md"));
    assert!(files.contains_key("DEMO/Release Notes 1.0.md"));
    assert!(files.contains_key("DEMO/Design/Installation/Linux Setup/index.md"));
    // The renamed page's files moved, and their old folder went with them.
    assert!(files.contains_key("DEMO/Design.files/sim-logo.png"));
    assert!(!out.join("DEMO/Architecture.files").exists());
    check_links(&files);
    assert_eq!(run_as(&c, &out, Start::Sync, &settings, "markdown"), 0);
    for d in [out, fresh] {
        std::fs::remove_dir_all(d).ok();
    }
}

#[test]
fn an_interrupted_template_change_is_finished_by_the_next_sync() {
    let Site {
        sim: _sim,
        client: c,
        out,
    } = Site::demo("lay-interrupt");
    run_as(
        &c,
        &out,
        all_spaces(),
        &LayoutSettings::default(),
        "markdown",
    );
    let github = LayoutSettings {
        attachment_path: Some(attachment_template(
            "{space_key}/{ancestor_titles}/{page_title}.files/{attachment_title}{attachment_extension}",
        )),
        ..layout(Some(LEAF), Some(GITHUB))
    };
    for stop_after in [3, 20] {
        let mut req = request(&out, Start::Sync);
        req.layout = Some(github.clone());
        req.markdown = Some(markdown("markdown"));
        let cancel = req.cancel.clone();
        let seen = std::cell::Cell::new(0);
        let o = run_with(&c, req, &|msg| {
            if msg.starts_with("wrote") {
                seen.set(seen.get() + 1);
                if seen.get() == stop_after {
                    cancel.cancel();
                }
            }
        })
        .unwrap();
        assert!(o.interrupted);
    }
    run_as(&c, &out, Start::Sync, &github, "markdown");
    let fresh = tmp("lay-interrupt-fresh");
    run_as(&c, &fresh, all_spaces(), &github, "markdown");
    assert_same(&content(&out), &content(&fresh));
    // No folder is left behind either.
    let dirs = |root: &Path| -> Vec<String> {
        let mut v = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    v.push(p.strip_prefix(root).unwrap().to_string_lossy().into_owned());
                    stack.push(p);
                }
            }
        }
        v.sort();
        v
    };
    assert_eq!(dirs(&out), dirs(&fresh));
    for d in [out, fresh] {
        std::fs::remove_dir_all(d).ok();
    }
}
