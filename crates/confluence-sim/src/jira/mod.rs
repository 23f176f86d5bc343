//! A small Jira beside the Confluence: the issues the demo's Jira macros
//! name, and the issue search the exporter asks for them, in Jira's own
//! shapes (Cloud's enhanced search `GET /rest/api/3/search/jql`; Data
//! Center's `GET /rest/api/2/search` with `startAt`/`maxResults`/`total`).
//! On Cloud, Jira is the site itself (the origin, no `/wiki`); a Data
//! Center Jira is served under `/jira` on the same host. Its JQL is the
//! little the macros use: clauses joined by `AND` over `key`/`issuekey`,
//! `project`, `status` and `type` with `=`, `!=`, `in`, `not in`; an
//! `ORDER BY` is ignored (issues come in key order). Anything else is
//! answered 400 as Jira does.
//!
//! Control: `PUT /__sim/jira/issues/{key}` with `{"status": …, "summary": …}`
//! changes (or creates) an issue; `GET /__sim/jira/issues` lists them.
mod jql;
pub mod search;

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub id: u64,
    pub summary: String,
    pub status: String,
    pub issue_type: String,
    pub priority: String,
    pub assignee: Option<String>,
}

/// The issues, by key.
#[derive(Debug, Clone, Default)]
pub struct Store {
    issues: BTreeMap<IssueKey, Issue>,
    next_id: u64,
}

/// A key ordered as Jira lists them: project, then number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IssueKey {
    pub project: String,
    pub number: u64,
}

impl IssueKey {
    pub fn parse(key: &str) -> Option<Self> {
        let (p, n) = key.trim().rsplit_once('-')?;
        let project = p.to_ascii_uppercase();
        (!project.is_empty()
            && project
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_'))
        .then_some(())?;
        Some(IssueKey {
            project,
            number: n.parse().ok()?,
        })
    }
}

impl std::fmt::Display for IssueKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.project, self.number)
    }
}

impl Store {
    /// The issues the demo site's Jira macros show.
    pub fn demo() -> Self {
        let mut s = Store {
            issues: BTreeMap::new(),
            next_id: 10_000,
        };
        for (key, summary, status, ty, prio, who) in [
            (
                "CME-40",
                "Export page trees to Markdown",
                "Done",
                "Story",
                "High",
                Some("Ada Lovelace"),
            ),
            (
                "CME-41",
                "Incremental sync",
                "Done",
                "Story",
                "High",
                Some("Ada Lovelace"),
            ),
            (
                "CME-42",
                "Jira macros become tables",
                "In Progress",
                "Task",
                "Highest",
                Some("Grace Hopper"),
            ),
            (
                "CME-43",
                "Attachments stream to disk",
                "To Do",
                "Task",
                "Medium",
                None,
            ),
            (
                "CME-44",
                "Page-properties reports",
                "In Review",
                "Bug",
                "Low",
                Some("Grace Hopper"),
            ),
            (
                "OPS-7",
                "Alert on 5xx rate above 1%",
                "Open",
                "Incident",
                "High",
                None,
            ),
        ] {
            s.upsert(key, Some(summary), Some(status));
            if let Some(i) = IssueKey::parse(key).and_then(|k| s.issues.get_mut(&k)) {
                i.issue_type = ty.into();
                i.priority = prio.into();
                i.assignee = who.map(Into::into);
            }
        }
        s
    }

    /// Sets an issue's summary and status, creating it if needed.
    pub fn upsert(
        &mut self,
        key: &str,
        summary: Option<&str>,
        status: Option<&str>,
    ) -> Option<Value> {
        let k = IssueKey::parse(key)?;
        let next = &mut self.next_id;
        let issue = self.issues.entry(k.clone()).or_insert_with(|| {
            *next += 1;
            Issue {
                id: *next,
                summary: String::new(),
                status: "To Do".into(),
                issue_type: "Task".into(),
                priority: "Medium".into(),
                assignee: None,
            }
        });
        if let Some(s) = summary {
            issue.summary = s.into();
        }
        if let Some(s) = status {
            issue.status = s.into();
        }
        Some(json!({"key": k.to_string(), "summary": issue.summary, "status": issue.status}))
    }

    pub fn list(&self) -> Value {
        Value::Array(
            self.issues
                .iter()
                .map(|(k, i)| json!({"key": k.to_string(), "summary": i.summary, "status": i.status}))
                .collect(),
        )
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&IssueKey, &Issue)> {
        self.issues.iter()
    }
}
