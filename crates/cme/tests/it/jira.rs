//! Jira macros without configuration: on Cloud the site itself is Jira;
//! issues are asked for in bulk with the same credentials, written as
//! link, summary and status, lists as tables; sync refreshes them with one
//! search per site and batch of keys and one per list, and rewrites only the
//! pages whose issues changed. `--no-jira-fetch` asks nothing; Jira
//! refusing leaves links and one warning, never a failed run.
use crate::common::*;
use cme::state::MarkdownSettings;
use confluence_sim::SimHandle;
use serde_json::json;
use std::path::Path;

/// The demo's status report page, read from the export.
fn status_page(out: &Path) -> String {
    let state = cme::state::State::load(out).unwrap().unwrap();
    let entry = &state.pages[&cme_client::PageId::new("1014")];
    std::fs::read_to_string(out.join(&*entry.output_path)).unwrap()
}

/// Requests the simulated Jira answered.
fn jira_requests(sim: &SimHandle) -> u64 {
    let stats = ctl(sim, "GET", "/__sim/stats", None);
    stats["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.contains("/search"))
        .filter(|(route, _)| {
            !route.contains("/content/search") && !route.contains("/rest/api/search")
        })
        .filter_map(|(_, n)| n.as_u64())
        .sum()
}

fn no_fetch() -> MarkdownSettings {
    MarkdownSettings {
        link_style: cme::options::LinkStyle::Relative,
        alert_style: cme::options::AlertStyle::Gfm,
        jira_url: None,
        jira_fetch: Some(false),
        front_matter: Some(true),
        comments: None,
    }
}

#[test]
fn the_status_report_exports_its_tables_jira_links_and_issue_tables() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("jira-demo");
    export(&c, &out, false).unwrap();
    let md = status_page(&out);
    let base = sim.url().trim_end_matches('/').to_owned();
    // Its own table (the page-properties report) is still there.
    assert!(md.contains("| Page | Decision | Owner |"), "{md}");
    // A single issue: link, summary, status.
    assert!(
        md.contains(&format!(
            "Tracking [CME-42]({base}/browse/CME-42) Jira macros become tables (In Progress)."
        )),
        "{md}"
    );
    // The JQL list: the macro's columns, the issues that are not Done.
    assert!(md.contains("| Key | Summary | Status |"), "{md}");
    assert!(
        md.contains(&format!(
            "| [CME-43]({base}/browse/CME-43) | Attachments stream to disk | To Do |"
        )),
        "{md}"
    );
    let first_list = md.split("| Key |").nth(1).unwrap();
    let first_list = first_list.split("\n\n").next().unwrap();
    assert!(!first_list.contains("CME-40"), "{md}");
    // The legacy `jiraissues` macro: converted, its query's issues listed
    // (Done ones too), never dropped.
    assert!(
        md.contains("| Export page trees to Markdown | Done |"),
        "{md}"
    );
    assert!(!md.contains("Jira issues: project"), "{md}");
    // Four searches: the status page's key, its two lists, and the
    // operations page's key; none per issue.
    assert_eq!(jira_requests(&sim), 4);

    // An idle sync refreshes in bulk (one search for both keys, one per
    // list) and writes nothing.
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0, "{}", o.render());
    assert_eq!(jira_requests(&sim), 3);
}

#[test]
fn a_jira_status_change_rewrites_the_pages_that_show_it() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("jira-status");
    export(&c, &out, false).unwrap();
    let before = status_page(&out);
    assert!(before.contains("(In Progress)."), "{before}");
    // Changed while the sync runs, once its listings are done.
    let changed = std::cell::Cell::new(false);
    let o = run_with(&c, request(&out, cme::sync::Start::Sync), &|msg| {
        if msg.starts_with("checking files on disk") && !changed.replace(true) {
            sim.control(
                "PUT",
                "/__sim/jira/issues/CME-42",
                Some(json!({"status": "Done"})),
            );
        }
    })
    .unwrap();
    assert_eq!(written(&o), 1, "{}", o.render());
    let md = status_page(&out);
    assert!(md.contains("Jira macros become tables (Done)."), "{md}");
    // The list of issues not Done no longer has it.
    assert!(
        !md.contains("| Jira macros become tables | In Progress |"),
        "{md}"
    );
    assert!(md.contains("| Jira macros become tables | Done |"), "{md}");
    // And the next sync is idle again.
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0, "{}", o.render());
}

#[test]
fn no_jira_fetch_asks_jira_nothing_and_writes_links() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("jira-off");
    let mut req = request(&out, all_spaces());
    req.markdown = Some(no_fetch());
    run(&c, req).unwrap();
    let md = status_page(&out);
    let base = sim.url().trim_end_matches('/').to_owned();
    assert!(
        md.contains(&format!("Tracking [CME-42]({base}/browse/CME-42).")),
        "{md}"
    );
    assert!(
        md.contains("[Jira issues: project = CME AND status != Done"),
        "{md}"
    );
    assert_eq!(jira_requests(&sim), 0);
    // The folder keeps the setting: an idle sync asks Jira nothing either.
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0, "{}", o.render());
    assert_eq!(jira_requests(&sim), 0);
}

#[test]
fn jira_refusing_leaves_links_and_one_warning() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("jira-refused");
    ctl(
        &sim,
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [403], "only_matching": "/search/jql"}),
    );
    let o = export(&c, &out, false).unwrap();
    assert!(o.failures.is_empty(), "{}", o.render());
    let md = status_page(&out);
    assert!(md.contains("Tracking [CME-42]("), "{md}");
    assert!(
        md.contains("[Jira issues: project = CME AND status != Done"),
        "{md}"
    );
    let warned: Vec<_> = o
        .warnings
        .iter()
        .filter(|w| w.message.contains("did not answer"))
        .collect();
    // One per server the pages name (the demo names one, and none).
    assert!(!warned.is_empty() && warned.len() <= 2, "{}", o.render());
    // Once Jira answers, the next sync fills the issues in.
    sim.control("DELETE", "/__sim/faults", None);
    sync(&c, &out).unwrap();
    let md = status_page(&out);
    assert!(md.contains("(In Progress)."), "{md}");
}

/// A site whose pages show no Jira macro (the benchmarks' generated
/// sites) costs no Jira request, in an export or a sync.
#[test]
fn pages_without_jira_macros_ask_jira_nothing() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::generated("pages=300,depth=3,seed=5", "jira-none");
    export(&c, &out, false).unwrap();
    sync(&c, &out).unwrap();
    assert!(requests(&sim) > 0);
    assert_eq!(jira_requests(&sim), 0);
}

/// Data Center without `--jira-url`: the Jira site of a macro's server is
/// learnt from one page's rendered view (its issue link), recorded in the
/// state, and used from then on: a sync asks no view again, and refreshes
/// the issues from that Jira.
#[test]
fn a_data_center_jira_site_is_learnt_once_and_recorded() {
    let sim = confluence_sim::spawn(
        confluence_sim::SimConfig::demo()
            .flavor(confluence_sim::Flavor::DataCenter)
            .context_path("/confluence"),
    )
    .unwrap();
    let c = dc_client(&format!("{}/confluence", sim.url()));
    let out = tmp("jira-dc");
    export(&c, &out, false).unwrap();
    let jira = format!("{}/jira", sim.url());
    let md = status_page(&out);
    assert!(
        md.contains(&format!(
            "Tracking [CME-42]({jira}/browse/CME-42) Jira macros become tables (In Progress)."
        )),
        "{md}"
    );
    assert!(
        md.contains("| Attachments stream to disk | To Do |"),
        "{md}"
    );
    let state = cme::state::State::load(&out).unwrap().unwrap();
    assert_eq!(
        state.jira_sites.get("520ce16e-0000-4000-8000-000000000001"),
        Some(&jira)
    );
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    ctl(
        &sim,
        "PUT",
        "/__sim/jira/issues/CME-43",
        json!({"status": "In Progress"}),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 1, "{}", o.render());
    assert!(status_page(&out).contains("| Attachments stream to disk | In Progress |"));
    let stats = ctl(&sim, "GET", "/__sim/stats", None);
    let views: u64 = stats["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(r, _)| r.ends_with("/rest/api/content/{id}"))
        .filter_map(|(_, n)| n.as_u64())
        .sum();
    assert_eq!(views, 0, "{stats}");
}

/// Jira down during a sync: the pages that show its issues keep their
/// files (nothing to compare them with), the run says so once, and the
/// next sync that reaches Jira finds nothing to do.
#[test]
fn a_sync_while_jira_is_down_keeps_the_files() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("jira-down");
    export(&c, &out, false).unwrap();
    let before = status_page(&out);
    ctl(
        &sim,
        "PUT",
        "/__sim/faults",
        json!({"error_rate": 1.0, "error_statuses": [401], "only_matching": "/search/jql"}),
    );
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0, "{}", o.render());
    assert!(o.failures.is_empty(), "{}", o.render());
    assert_eq!(o.exit().code(), 0);
    assert!(
        o.warnings
            .iter()
            .any(|w| w.message.contains("did not answer"))
    );
    assert_eq!(status_page(&out), before);
    sim.control("DELETE", "/__sim/faults", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0, "{}", o.render());
}

/// A Jira on another host (`--jira-url`) is linked but never asked: the
/// request would carry the Confluence credentials. The run says so once.
#[test]
fn a_jira_on_another_host_is_linked_and_never_sent_the_credentials() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("jira-elsewhere");
    let elsewhere = confluence_sim::spawn(confluence_sim::SimConfig::demo()).unwrap();
    let mut settings = no_fetch();
    settings.jira_fetch = None;
    settings.jira_url = Some(elsewhere.url());
    let mut req = request(&out, all_spaces());
    req.markdown = Some(settings);
    let o = run(&c, req).unwrap();
    assert!(o.failures.is_empty(), "{}", o.render());
    let md = status_page(&out);
    let base = elsewhere.url().trim_end_matches('/').to_owned();
    assert!(
        md.contains(&format!("Tracking [CME-42]({base}/browse/CME-42).")),
        "{md}"
    );
    assert!(
        o.warnings
            .iter()
            .any(|w| w.message.contains("not on the Confluence site's host")),
        "{:?}",
        o.warnings
    );
    assert_eq!(requests(&elsewhere), 0);
    assert_eq!(jira_requests(&sim), 0);
}

/// A `count` macro is the number of issues, linked to the search, on both
/// flavours (Data Center counts in one request; Cloud's keys are paged).
#[test]
fn a_count_macro_is_the_number_of_issues() {
    let body = "<p>Open: <ac:structured-macro ac:name=\"jira\"><ac:parameter ac:name=\"jqlQuery\">project = CME AND status != Done</ac:parameter><ac:parameter ac:name=\"count\">true</ac:parameter><ac:parameter ac:name=\"serverId\">520ce16e-0000-4000-8000-000000000001</ac:parameter></ac:structured-macro></p><p>See <ac:structured-macro ac:name=\"jira\"><ac:parameter ac:name=\"key\">CME-42</ac:parameter><ac:parameter ac:name=\"serverId\">520ce16e-0000-4000-8000-000000000001</ac:parameter></ac:structured-macro></p>";
    for dc in [false, true] {
        let config = confluence_sim::SimConfig::demo();
        let (sim, c) = if dc {
            let sim = confluence_sim::spawn(
                config
                    .flavor(confluence_sim::Flavor::DataCenter)
                    .context_path("/confluence"),
            )
            .unwrap();
            let c = dc_client(&format!("{}/confluence", sim.url()));
            (sim, c)
        } else {
            let sim = confluence_sim::spawn(config).unwrap();
            let c = client(&sim, "sim-token");
            (sim, c)
        };
        let v = ctl(
            &sim,
            "POST",
            "/__sim/pages",
            json!({"space": "DEMO", "title": "Counts", "body": body}),
        );
        let id = v["id"].as_str().unwrap().to_owned();
        let out = tmp(&format!("jira-count-{dc}"));
        export(&c, &out, false).unwrap();
        let state = cme::state::State::load(&out).unwrap().unwrap();
        let entry = &state.pages[&cme_client::PageId::new(id)];
        let md = std::fs::read_to_string(out.join(&*entry.output_path)).unwrap();
        assert!(md.contains("Open: [3 issues]("), "{dc}: {md}");
    }
}
