//! Jira's issue search, for the Jira macros of Confluence pages: Cloud's
//! enhanced search (`GET /rest/api/3/search/jql`, token-paged, no total)
//! and Data Center's (`GET /rest/api/2/search`, offset-paged, with
//! `total`), asked only for the fields a macro shows. Jira is reached with
//! the Confluence credentials, so only on the Confluence origin: Cloud's
//! Jira is the site itself; a Data Center Jira elsewhere is refused by the
//! transport before anything is sent.
use super::{Api, encode};
use crate::error::Error;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The most issues asked per request (Jira's own cap for searches that
/// name their fields is 100 on Cloud; Data Center allows 1,000 by default).
pub const PAGE_SIZE: u32 = 100;
/// Requests followed for one search, whatever Jira says.
const MAX_PAGES: usize = 20;

/// A search's answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JiraSearch {
    /// Issues matching: Jira's `total` on Data Center; on Cloud, which
    /// does not count, the issues returned.
    pub total: u64,
    /// The issues, in Jira's order.
    pub issues: Vec<JiraIssueFields>,
}

/// One issue: its key and the asked fields as text, by field id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JiraIssueFields {
    /// The issue key, e.g. `CME-42`.
    pub key: String,
    /// Field id (`summary`, `status`, `issuetype`, …) → text.
    pub fields: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    #[serde(default)]
    issues: Vec<WireIssue>,
    /// Data Center (and Cloud's old search).
    #[serde(default)]
    total: Option<u64>,
    /// Cloud's enhanced search.
    #[serde(default)]
    next_page_token: Option<String>,
    #[serde(default)]
    is_last: Option<bool>,
}

/// Lenient: an issue without a key is skipped, odd fields read as empty,
/// so one strange issue does not fail (and retry) the whole search.
#[derive(Deserialize)]
struct WireIssue {
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    fields: Value,
}

/// Issues of `jql` with `fields` (field ids), at most `max`, from the Jira
/// at `root` (no trailing `/`).
pub(crate) async fn search(
    api: Api<'_>,
    root: &str,
    cloud: bool,
    jql: &str,
    fields: &[String],
    max: u32,
) -> Result<JiraSearch, Error> {
    let mut out = JiraSearch::default();
    // No field asked: only the count is wanted. Data Center counts in one
    // request (`maxResults=0`); Cloud does not count, so its keys are
    // paged.
    let count_only = fields.is_empty();
    let fields = if count_only {
        "key".to_owned()
    } else {
        encode(&fields.join(","))
    };
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let want = max.saturating_sub(out.issues.len() as u32).min(PAGE_SIZE);
        if want == 0 {
            break;
        }
        let want = if count_only && !cloud { 0 } else { want };
        let url = if cloud {
            let mut u = format!(
                "{root}/rest/api/3/search/jql?jql={}&fields={fields}&maxResults={want}",
                encode(jql)
            );
            if let Some(t) = &token {
                u.push_str(&format!("&nextPageToken={}", encode(t)));
            }
            u
        } else {
            format!(
                // `validateQuery=warn`: a key that does not exist is a
                // warning, not a 400 for the whole batch.
                "{root}/rest/api/2/search?jql={}&fields={fields}&startAt={}&maxResults={want}&validateQuery=warn",
                encode(jql),
                out.issues.len()
            )
        };
        let page: Wire = api.get_json_other_service(&url).await?;
        let got = page.issues.len();
        out.issues.extend(page.issues.into_iter().filter_map(|i| {
            let key = i.key.filter(|k| valid_key(k))?;
            let fields = match &i.fields {
                Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), text(v))).collect(),
                _ => BTreeMap::new(),
            };
            Some(JiraIssueFields { key, fields })
        }));
        if let Some(t) = page.total {
            out.total = t;
        }
        let more = if count_only && !cloud {
            false
        } else if cloud {
            token = page.next_page_token.filter(|t| !t.is_empty());
            page.is_last != Some(true) && token.is_some()
        } else {
            page.total.is_some_and(|t| (out.issues.len() as u64) < t)
        };
        if !more || got == 0 {
            break;
        }
    }
    out.total = out.total.max(out.issues.len() as u64);
    Ok(out)
}

/// Keys are spliced into links and the state: `PROJECT-123` only.
fn valid_key(key: &str) -> bool {
    let Some((project, number)) = key.rsplit_once('-') else {
        return false;
    };
    !project.is_empty()
        && key.len() <= 255
        && project
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// A field's value as a cell shows it: a string as is, an object (status,
/// type, user, priority) by its name, a list joined with commas.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(text)
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(m) => ["name", "displayName", "value", "key"]
            .iter()
            .find_map(|k| m.get(*k).and_then(Value::as_str))
            .unwrap_or_default()
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_read_as_their_names() {
        let v: Value = serde_json::json!({
            "summary": "A | b",
            "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
            "assignee": {"displayName": "Ada", "accountId": "x"},
            "labels": ["a", "b"],
            "duedate": null,
        });
        let m = v.as_object().unwrap();
        assert_eq!(text(&m["summary"]), "A | b");
        assert_eq!(text(&m["status"]), "In Progress");
        assert_eq!(text(&m["assignee"]), "Ada");
        assert_eq!(text(&m["labels"]), "a, b");
        assert_eq!(text(&m["duedate"]), "");
    }

    #[test]
    fn odd_issues_are_skipped_not_fatal() {
        let w: Wire = serde_json::from_str(
            r#"{"issues":[{"id":"1"},{"key":"A-1","fields":null},{"key":"B-2","fields":{"summary":7}}],"total":3}"#,
        )
        .unwrap();
        assert_eq!(w.issues.len(), 3);
        assert!(w.issues[0].key.is_none());
    }

    #[test]
    fn only_issue_keys_are_kept() {
        assert!(valid_key("CME-42"));
        assert!(valid_key("A_B2-1"));
        assert!(!valid_key("CME"));
        assert!(!valid_key("CME-"));
        assert!(!valid_key("../x-1"));
        assert!(!valid_key("CME-4a"));
    }
}
