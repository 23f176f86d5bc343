//! Page-properties reports: exported as the table Confluence shows (rows
//! from its own evaluation of the report's CQL), and kept current by sync
//! when a page of the report's space changes, with no request on an idle
//! sync.
use crate::common::*;
use serde_json::json;
use std::path::Path;

/// The demo's status report page, read from the export.
fn report_of(out: &Path) -> String {
    let state = cme::state::State::load(out).unwrap().unwrap();
    let entry = &state.pages[&cme_client::PageId::new("1014")];
    std::fs::read_to_string(out.join(&*entry.output_path)).unwrap()
}

/// Requests the sync sent to the report rows endpoint.
fn report_requests(sim: &confluence_sim::SimHandle) -> u64 {
    let stats = ctl(sim, "GET", "/__sim/stats", None);
    stats["by_route"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(route, _)| route.contains("masterdetail"))
        .filter_map(|(_, n)| n.as_u64())
        .sum()
}

fn decision_body(decision: &str, owner: &str) -> String {
    format!(
        "<ac:structured-macro ac:name=\"details\"><ac:rich-text-body><table><tbody><tr><th><p>Decision</p></th><td><p>{decision}</p></td></tr><tr><th><p>Owner</p></th><td><p>{owner}</p></td></tr></tbody></table></ac:rich-text-body></ac:structured-macro>"
    )
}

#[test]
fn a_report_is_a_table_and_sync_keeps_it_current() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("reports");
    export(&c, &out, false).unwrap();
    let md = report_of(&out);
    assert!(md.contains("| Page | Decision | Owner |"), "{md}");
    // The row links to the decision page's exported file.
    assert!(md.contains("[Decision Log]("), "{md}");
    assert!(md.contains("Decision%20Log.md)"), "{md}");
    assert!(md.contains("| Use v2 listings |"), "{md}");
    assert!(!md.contains("*Page properties report"), "{md}");

    // Idle: no request for the report, nothing rewritten.
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0, "{}", o.render());
    assert_eq!(report_requests(&sim), 0);

    // A page starts matching: it is labelled `decision`.
    let v = ctl(
        &sim,
        "POST",
        "/__sim/pages",
        json!({"space": "DEMO", "title": "Adopt Rust", "body": decision_body("Rewrite the exporter", "Ada")}),
    );
    let id = v["id"].as_str().unwrap().to_owned();
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{id}/labels"),
        json!({"labels": ["decision"]}),
    );
    sync(&c, &out).unwrap();
    let md = report_of(&out);
    assert!(md.contains("[Adopt Rust]("), "{md}");
    assert!(md.contains("| Rewrite the exporter | Ada |"), "{md}");

    // Its properties change (a new version).
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({"body": decision_body("Rewrite the exporter", "Grace")}),
    );
    sync(&c, &out).unwrap();
    assert!(report_of(&out).contains("| Rewrite the exporter | Grace |"));

    // Renamed.
    ctl(
        &sim,
        "PATCH",
        &format!("/__sim/pages/{id}"),
        json!({"title": "Adopt Rust now"}),
    );
    sync(&c, &out).unwrap();
    let md = report_of(&out);
    assert!(md.contains("[Adopt Rust now]("), "{md}");

    // Its label removed: it stops matching.
    ctl(
        &sim,
        "DELETE",
        &format!("/__sim/pages/{id}/labels/decision"),
        None,
    );
    sync(&c, &out).unwrap();
    assert!(!report_of(&out).contains("Adopt Rust"));

    // Labelled again, then trashed: gone from the report.
    ctl(
        &sim,
        "POST",
        &format!("/__sim/pages/{id}/labels"),
        json!({"labels": ["decision"]}),
    );
    sync(&c, &out).unwrap();
    assert!(report_of(&out).contains("Adopt Rust now"));
    ctl(&sim, "DELETE", &format!("/__sim/pages/{id}"), None);
    sync(&c, &out).unwrap();
    assert!(!report_of(&out).contains("Adopt Rust"));

    // Idle again: no request for the report.
    ctl(&sim, "POST", "/__sim/stats/reset", None);
    let o = sync(&c, &out).unwrap();
    assert_eq!(written(&o), 0, "{}", o.render());
    assert_eq!(report_requests(&sim), 0);
    std::fs::remove_dir_all(&out).ok();
}

/// Where Confluence cannot give the rows (a CQL it refuses with 400), the
/// report is its summary line, with a warning, and the run succeeds.
#[test]
fn a_report_without_rows_is_a_summary_line() {
    let Site {
        sim,
        client: c,
        out,
    } = Site::demo("reports-none");
    let v = ctl(
        &sim,
        "POST",
        "/__sim/pages",
        json!({"space": "DEMO", "title": "Broken report", "body": "<ac:structured-macro ac:name=\"detailssummary\"><ac:parameter ac:name=\"cql\">label = = (</ac:parameter></ac:structured-macro>"}),
    );
    let id = v["id"].as_str().unwrap().to_owned();
    let o = export(&c, &out, false).unwrap();
    assert!(o.failures.is_empty(), "{}", o.render());
    let md = std::fs::read_to_string(out.join(path_of_id(&out, &id))).unwrap();
    assert!(md.contains("*Page properties report for"), "{md}");
    // The demo's own report is still a table.
    assert!(report_of(&out).contains("| Page | Decision | Owner |"));
    std::fs::remove_dir_all(&out).ok();
}

fn path_of_id(out: &Path, id: &str) -> String {
    let state = cme::state::State::load(out).unwrap().unwrap();
    state.pages[&cme_client::PageId::new(id)]
        .output_path
        .to_string()
}
