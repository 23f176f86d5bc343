//! The search endpoints, in each flavour's shape.
use serde_json::{Map, Value, json};

use super::jql::Query;
use super::{Issue, IssueKey};
use crate::api::Ctx;
use crate::http::Resp;

/// Jira's error body: `{"errorMessages": […], "errors": {}}`.
pub fn error(status: u16, message: &str) -> Resp {
    Resp::json(status, &json!({"errorMessages": [message], "errors": {}}))
}

/// `GET …/search/jql` (Cloud) or `…/search` (Data Center).
pub fn search(ctx: &Ctx, jira_root: &str) -> Resp {
    let Some(jql) = ctx.q("jql") else {
        return error(400, "The 'jql' parameter is required.");
    };
    let query = match Query::parse(jql) {
        Ok(q) => q,
        Err(e) => return error(400, &e),
    };
    let fields: Option<Vec<String>> = ctx.q("fields").map(|f| {
        f.split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect()
    });
    let max: usize = ctx
        .q("maxResults")
        .and_then(|m| m.parse().ok())
        .unwrap_or(50)
        .min(if ctx.cloud() { 100 } else { 1000 });
    let start: usize = if ctx.cloud() {
        ctx.q("nextPageToken")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0)
    } else {
        ctx.q("startAt").and_then(|s| s.parse().ok()).unwrap_or(0)
    };
    let store = ctx.state.jira.read();
    let found: Vec<(&IssueKey, &Issue)> =
        store.iter().filter(|(k, i)| query.matches(k, i)).collect();
    let issues: Vec<Value> = found
        .iter()
        .skip(start)
        .take(max)
        .map(|(k, i)| issue_json(jira_root, k, i, fields.as_deref()))
        .collect();
    let end = start + issues.len();
    if ctx.cloud() {
        let mut out = json!({"issues": issues, "isLast": end >= found.len()});
        if end < found.len() {
            out["nextPageToken"] = json!(end.to_string());
        }
        Resp::json(200, &out)
    } else {
        Resp::json(
            200,
            &json!({
                "expand": "schema,names",
                "startAt": start,
                "maxResults": max,
                "total": found.len(),
                "issues": issues,
            }),
        )
    }
}

fn issue_json(root: &str, key: &IssueKey, i: &Issue, fields: Option<&[String]>) -> Value {
    let api = format!("{root}/rest/api/2");
    let mut all = Map::new();
    all.insert("summary".into(), json!(i.summary));
    let (cat_id, cat_key, cat_colour, cat_name) = match i.status.as_str() {
        "Done" | "Closed" | "Resolved" => (3, "done", "green", "Done"),
        "To Do" | "Open" | "Backlog" => (2, "new", "blue-gray", "To Do"),
        _ => (4, "indeterminate", "yellow", "In Progress"),
    };
    all.insert(
        "status".into(),
        json!({
            "self": format!("{api}/status/{}", status_id(&i.status)),
            "description": "",
            "iconUrl": format!("{root}/images/icons/statuses/generic.png"),
            "name": i.status,
            "id": status_id(&i.status).to_string(),
            "statusCategory": {
                "self": format!("{api}/statuscategory/{cat_id}"),
                "id": cat_id,
                "key": cat_key,
                "colorName": cat_colour,
                "name": cat_name,
            },
        }),
    );
    all.insert(
        "issuetype".into(),
        json!({
            "self": format!("{api}/issuetype/{}", status_id(&i.issue_type)),
            "id": status_id(&i.issue_type).to_string(),
            "description": "",
            "iconUrl": format!("{root}/images/icons/issuetypes/task.svg"),
            "name": i.issue_type,
            "subtask": false,
        }),
    );
    all.insert(
        "priority".into(),
        json!({
            "self": format!("{api}/priority/{}", status_id(&i.priority)),
            "iconUrl": format!("{root}/images/icons/priorities/medium.svg"),
            "name": i.priority,
            "id": status_id(&i.priority).to_string(),
        }),
    );
    all.insert(
        "assignee".into(),
        match &i.assignee {
            Some(name) => json!({"displayName": name, "active": true}),
            None => Value::Null,
        },
    );
    let chosen: Map<String, Value> = match fields {
        None => all,
        Some(f) if f.iter().any(|x| x == "*all" || x == "*navigable") => all,
        Some(f) => all.into_iter().filter(|(k, _)| f.contains(k)).collect(),
    };
    json!({
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": i.id.to_string(),
        "self": format!("{api}/issue/{}", i.id),
        "key": key.to_string(),
        "fields": chosen,
    })
}

/// A small stable id for a name (statuses, types and priorities have ids).
fn status_id(name: &str) -> u64 {
    name.bytes()
        .fold(1u64, |h, b| (h * 31 + u64::from(b)) % 10_000)
}
