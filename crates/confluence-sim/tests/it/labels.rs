//! Labels change without a version, as in Confluence: the control API adds
//! and removes them, and every answer that carries labels shows it at once.
use crate::common;
use common::*;
use serde_json::{Value, json};

fn names(v: &Value) -> Vec<String> {
    let mut n: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap().to_owned())
        .collect();
    n.sort();
    n
}

fn check(sim: &Sim, id: &str, want: &[&str]) {
    let v1 = sim.json(&sim.v1(&format!("/content/{id}?expand=metadata.labels,version")));
    assert_eq!(names(&v1["metadata"]["labels"]["results"]), want);
    assert_eq!(v1["version"]["number"], 1, "no new version");
    let cql = enc(&format!("type = page and id = {id}"));
    let found = sim.json(&sim.v1(&format!("/content/search?cql={cql}&expand=metadata.labels")));
    assert_eq!(
        names(&found["results"][0]["metadata"]["labels"]["results"]),
        want
    );
    for label in want {
        let cql = enc(&format!("label = \"{label}\""));
        let found = sim.json(&sim.v1(&format!("/content/search?cql={cql}")));
        assert!(ids(found["results"].as_array().unwrap()).contains(&id.to_owned()));
    }
    if sim.flavor == Flavor::Cloud {
        let v2 = sim.json(&sim.v2(&format!("/pages/{id}?include-labels=true")));
        assert_eq!(names(&v2["labels"]["results"]), want);
        assert_eq!(v2["version"]["number"], 1);
        // The space's content labels name each label once.
        let space = v2["spaceId"].as_str().unwrap();
        let (all, _) = sim.walk_v2(&sim.v2(&format!("/spaces/{space}/content/labels?limit=2")));
        let all = names(&Value::Array(all));
        for label in want {
            assert_eq!(
                all.iter().filter(|l| l == label).count(),
                1,
                "{label}: {all:?}"
            );
        }
    }
}

fn round_trip(sim: &Sim) {
    let id = "1002";
    let before = sim.json(&sim.v1(&format!("/content/{id}?expand=metadata.labels")));
    let mut start: Vec<String> = names(&before["metadata"]["labels"]["results"]);
    let added = sim.control_ok(
        "POST",
        &format!("/__sim/pages/{id}/labels"),
        Some(json!({"labels": ["New-One", "second"]})),
    );
    assert_eq!(added["id"], id);
    start.extend(["new-one".to_owned(), "second".to_owned()]);
    start.sort();
    let want: Vec<&str> = start.iter().map(String::as_str).collect();
    check(sim, id, &want);
    sim.control_ok("DELETE", &format!("/__sim/pages/{id}/labels/new-one"), None);
    let want: Vec<&str> = want.into_iter().filter(|l| *l != "new-one").collect();
    check(sim, id, &want);
    // Refusals: a space in a name, a label the page does not have, no page.
    let r = sim.control(
        "POST",
        &format!("/__sim/pages/{id}/labels"),
        Some(json!({"labels": ["two words"]})),
    );
    assert_eq!(r.status, 400);
    let r = sim.control("DELETE", &format!("/__sim/pages/{id}/labels/absent"), None);
    assert_eq!(r.status, 404);
    let r = sim.control(
        "POST",
        "/__sim/pages/999999/labels",
        Some(json!({"labels": ["x"]})),
    );
    assert_eq!(r.status, 404);
}

#[test]
fn cloud_labels_change_without_a_version() {
    round_trip(&cloud(SimConfig::demo()));
}

#[test]
fn data_center_labels_change_without_a_version() {
    round_trip(&dc(SimConfig::demo(), ""));
}
