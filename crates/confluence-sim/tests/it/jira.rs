//! The Jira beside the Confluence: Cloud's enhanced search at the site
//! itself (`issues`, `nextPageToken` while more, `isLast`), Data Center's
//! offset search under `/jira` (`startAt`, `maxResults`, `total`), issue
//! beans as Jira's (`id`, `self`, `key`, `fields` with only the fields
//! asked; `status` an object with its `statusCategory`), Jira's error body
//! for a JQL it does not read and for missing credentials, and the control
//! API changing an issue.
use crate::common;

use common::SimConfig;

fn enc(s: &str) -> String {
    common::enc(s)
}

#[test]
fn cloud_search_pages_by_token_and_names_only_the_fields_asked() {
    let sim = common::cloud(SimConfig::demo());
    let q = format!(
        "/rest/api/3/search/jql?jql={}&fields=summary,status&maxResults=2",
        enc("project = CME ORDER BY priority DESC")
    );
    let first = sim.json(&q);
    let issues = first["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 2);
    assert_eq!(issues[0]["key"], "CME-40");
    let fields = issues[0]["fields"].as_object().unwrap();
    assert_eq!(fields.keys().collect::<Vec<_>>(), vec!["status", "summary"]);
    assert_eq!(fields["status"]["name"], "Done");
    assert_eq!(fields["status"]["statusCategory"]["key"], "done");
    assert!(issues[0]["id"].is_string() && issues[0]["self"].is_string());
    assert_eq!(first["isLast"], false);
    assert!(
        first.get("total").is_none(),
        "the enhanced search does not count"
    );
    let token = first["nextPageToken"].as_str().unwrap();
    let mut seen = vec!["CME-40".to_owned(), "CME-41".to_owned()];
    let mut next = Some(token.to_owned());
    while let Some(t) = next {
        let page = sim.json(&format!("{q}&nextPageToken={}", enc(&t)));
        for i in page["issues"].as_array().unwrap() {
            seen.push(i["key"].as_str().unwrap().to_owned());
        }
        next = page["nextPageToken"].as_str().map(str::to_owned);
        assert_eq!(page["isLast"], next.is_none());
    }
    assert_eq!(seen, ["CME-40", "CME-41", "CME-42", "CME-43", "CME-44"]);
}

#[test]
fn data_center_search_is_under_jira_with_offsets_and_a_total() {
    let sim = common::dc(SimConfig::demo(), "/confluence");
    let r = sim.json(&format!(
        "/jira/rest/api/2/search?jql={}&fields=summary,status&startAt=1&maxResults=1",
        enc("key in (CME-42, OPS-7, NOPE-1)")
    ));
    assert_eq!(r["total"], 2);
    assert_eq!(r["startAt"], 1);
    assert_eq!(r["maxResults"], 1);
    assert_eq!(r["issues"][0]["key"], "OPS-7");
    // Not at Cloud's paths.
    assert_eq!(sim.get("/rest/api/3/search/jql?jql=x").status, 404);
}

#[test]
fn a_jql_it_cannot_read_and_missing_credentials_are_jiras_errors() {
    let sim = common::cloud(SimConfig::demo());
    let r = sim.get(&format!(
        "/rest/api/3/search/jql?jql={}",
        enc("assignee = currentUser()")
    ));
    assert_eq!(r.status, 400);
    assert!(r.json()["errorMessages"][0].is_string(), "{}", r.text());
    let r = sim.get_with("/rest/api/3/search/jql?jql=project%20%3D%20CME", &[]);
    assert_eq!(r.status, 401);
    assert!(r.json()["errorMessages"].is_array(), "{}", r.text());
}

#[test]
fn the_control_api_changes_an_issue() {
    let sim = common::cloud(SimConfig::demo());
    sim.control_ok(
        "PUT",
        "/__sim/jira/issues/CME-42",
        Some(serde_json::json!({"status": "Done"})),
    );
    let r = sim.json(&format!(
        "/rest/api/3/search/jql?jql={}&fields=status",
        enc("project = CME AND status != Done")
    ));
    let keys: Vec<&str> = r["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["CME-43", "CME-44"]);
    assert_eq!(
        sim.control(
            "PUT",
            "/__sim/jira/issues/not-a-key",
            Some(serde_json::json!({}))
        )
        .status,
        400
    );
}
