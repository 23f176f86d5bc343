//! Jira's answers fetched in bulk: the keys of a server in searches of
//! [`KEYS_PER_SEARCH`] (`key in (…)`), each JQL list once. Jira failing
//! (refused credentials, no Jira there, unreachable, a site on another
//! host) never fails the run: that server's macros stay links, and the run
//! warns once per server.
use crate::page::context::JiraMiss;
use crate::page::jira::{Jira, Lookup};
use crate::sync::remote::chain;
use cme_client::{Client, Error, JiraSearch, PageId};
use cme_convert::{JiraIssue, JiraIssues, JiraQuery};
use std::collections::{BTreeMap, BTreeSet};

/// Keys asked per search: Jira's page of results for searches that name
/// their fields, and a JQL well under any URL limit.
pub const KEYS_PER_SEARCH: usize = 100;

/// A single issue's fields: what its macro shows.
const ISSUE_FIELDS: [&str; 2] = ["summary", "status"];

/// Fetches what `misses` need into `jira`; returns one warning per server
/// Jira failed for (the first time only). `page` is the page whose
/// conversion missed them: its rendered view names the sites of servers
/// not known yet.
pub async fn fetch(
    client: &Client,
    jira: &Jira,
    misses: Vec<JiraMiss>,
    page: Option<&PageId>,
) -> Vec<String> {
    let mut keys: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut queries: BTreeSet<JiraQuery> = BTreeSet::new();
    let mut sites: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for m in misses {
        match m {
            JiraMiss::Site(server, key) => {
                if jira.can_learn(&server) {
                    sites.entry(server).or_default().push(key);
                }
            }
            JiraMiss::Issue(server, key) => {
                if jira.issue(&server, &key) == Lookup::Unknown {
                    keys.entry(server).or_default().insert(key);
                }
            }
            JiraMiss::Query(q) => {
                if jira.query(&q) == Lookup::Unknown {
                    queries.insert(q);
                }
            }
        }
    }
    let mut warnings = Vec::new();
    if let (false, Some(page)) = (sites.is_empty(), page) {
        match client.page_view(page).await {
            Ok(html) => {
                for (server, keys) in sites {
                    jira.learn_site(&server, site_in_view(&html, &keys));
                }
            }
            Err(e) => {
                for server in sites.into_keys() {
                    jira.learn_site(&server, None);
                }
                warnings.push(format!(
                    "cannot learn the Jira site from the page's rendered view ({}); give it with --jira-url",
                    chain(&e)
                ));
            }
        }
    }
    // Servers on one Jira site (every `serverId` on Cloud) share searches.
    let mut by_site: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (server, keys) in keys {
        for k in keys {
            match jira.base(&server) {
                Some(base) if is_key(&k) && jira.asks(&server) => {
                    by_site.entry(base).or_default().push((server.clone(), k));
                }
                _ => jira.learn_issue(&server, &k, None),
            }
        }
    }
    for (base, keys) in by_site {
        for batch in keys.chunks(KEYS_PER_SEARCH) {
            let batch: Vec<&(String, String)> =
                batch.iter().filter(|(s, _)| jira.asks(s)).collect();
            if batch.is_empty() {
                continue;
            }
            let mut unique: Vec<&str> = batch.iter().map(|(_, k)| k.as_str()).collect();
            unique.sort_unstable();
            unique.dedup();
            let jql = format!("key in ({})", unique.join(","));
            let fields: Vec<String> = ISSUE_FIELDS.iter().map(|f| (*f).to_owned()).collect();
            match client
                .jira_search(&base, &jql, &fields, unique.len() as u32)
                .await
            {
                Ok(found) => {
                    let by_key: BTreeMap<String, JiraIssue> = found
                        .issues
                        .into_iter()
                        .map(|i| (i.key.to_ascii_uppercase(), issue(i, &[])))
                        .collect();
                    for (server, k) in batch {
                        jira.learn_issue(server, k, by_key.get(&k.to_ascii_uppercase()).cloned());
                    }
                }
                Err(e) => {
                    for (server, k) in batch {
                        if let Some(w) = failed(jira, server, &base, &e) {
                            warnings.push(w);
                        }
                        jira.learn_issue(server, k, None);
                    }
                }
            }
        }
    }
    for q in queries {
        let Some(base) = ready(jira, &q.server) else {
            continue;
        };
        let fields: Vec<String> = q
            .columns
            .iter()
            .filter(|c| *c != "key")
            .map(|c| field_id(c).to_owned())
            .collect();
        match client.jira_search(&base, &q.jql, &fields, q.max).await {
            Ok(found) => {
                let answer = answer(found, &q.columns);
                jira.learn_query(q, Some(answer));
            }
            Err(e) => {
                if let Some(w) = failed(jira, &q.server, &base, &e) {
                    warnings.push(w);
                }
                jira.learn_query(q, None);
            }
        }
    }
    warnings
}

/// The Jira site a rendered view links one of `keys` on: the link inside
/// the macro's `data-jira-key` element, up to `/browse/`.
fn site_in_view(html: &str, keys: &[String]) -> Option<String> {
    keys.iter().find_map(|key| {
        let at = html.find(&format!("data-jira-key=\"{key}\""))?;
        let rest = &html[at..];
        let href = rest.find("href=\"")? + 6;
        let url = &rest[href..href + rest[href..].find('"')?];
        let url = url.replace("&amp;", "&");
        let base = url.strip_suffix(&format!("/browse/{key}"))?;
        (base.starts_with("https://") || base.starts_with("http://")).then(|| base.to_owned())
    })
}

/// The server's Jira site, while Jira has not failed for it.
fn ready(jira: &Jira, server: &str) -> Option<String> {
    jira.asks(server).then(|| jira.base(server)).flatten()
}

/// Records a failure; a JQL Jira refuses (400) concerns that search only.
fn failed(jira: &Jira, server: &str, base: &str, e: &Error) -> Option<String> {
    if matches!(e, Error::Status { status: 400, .. }) {
        return None;
    }
    let why = chain(e);
    let message = if matches!(e, Error::Refused { .. }) {
        format!(
            "Jira at {base} is not on the Confluence site's host, so it is not sent the credentials: its issues are written as links"
        )
    } else {
        format!("Jira at {base} did not answer ({why}); its issues are written as links")
    };
    jira.fail(server, why).then_some(message)
}

/// The Jira field id a macro column names.
fn field_id(column: &str) -> &str {
    match column {
        "type" => "issuetype",
        "due" => "duedate",
        other => other,
    }
}

/// An issue with its fields by the macro's column names.
fn issue(i: cme_client::JiraIssueFields, columns: &[String]) -> JiraIssue {
    let mut fields = BTreeMap::new();
    let wanted: Vec<&str> = if columns.is_empty() {
        ISSUE_FIELDS.to_vec()
    } else {
        columns.iter().map(String::as_str).collect()
    };
    for c in wanted {
        if let Some(v) = i.fields.get(field_id(c)) {
            fields.insert(c.to_owned(), v.clone());
        }
    }
    JiraIssue { key: i.key, fields }
}

fn answer(found: JiraSearch, columns: &[String]) -> JiraIssues {
    JiraIssues {
        total: found.total,
        issues: found
            .issues
            .into_iter()
            .map(|i| issue(i, columns))
            .collect(),
    }
}

/// `PROJECT-123`: only such keys are spliced into a JQL.
fn is_key(k: &str) -> bool {
    let Some((p, n)) = k.rsplit_once('-') else {
        return false;
    };
    p.starts_with(|c: char| c.is_ascii_alphabetic())
        && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
        && k.len() <= 100
}

/// Every Jira question the state's pages recorded, as misses: what a sync
/// refreshes before it plans.
pub fn recorded<'a>(deps: impl Iterator<Item = &'a str>) -> Vec<JiraMiss> {
    let mut out = BTreeSet::new();
    for d in deps {
        if !(d.starts_with("J:") || d.starts_with("Q:")) {
            continue;
        }
        match crate::deps::Dep::decode(d) {
            Some(crate::deps::Dep::JiraIssue { server, key }) => {
                out.insert(JiraMiss::Issue(server, key));
            }
            Some(crate::deps::Dep::JiraQuery(q)) => {
                out.insert(JiraMiss::Query(q));
            }
            _ => {}
        }
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_site_is_read_from_the_macros_link() {
        let html = r#"<p><a href="https://evil.example/browse/CME-42">x</a><span class="jira-issue" data-jira-key="CME-42"><a href="https://jira.example.com/jira/browse/CME-42" class="jira-issue-key">CME-42</a></span></p>"#;
        assert_eq!(
            site_in_view(html, &["CME-42".to_owned()]).as_deref(),
            Some("https://jira.example.com/jira")
        );
        assert_eq!(site_in_view(html, &["X-1".to_owned()]), None);
    }

    #[test]
    fn only_plain_keys_reach_a_jql() {
        assert!(is_key("CME-42"));
        assert!(!is_key("CME-42) OR (project = X"));
        assert!(!is_key("-1"));
        assert!(!is_key("1A-1"));
    }

    #[test]
    fn recorded_questions_are_found_among_the_deps() {
        let deps = [
            "L:id:1".to_owned(),
            "J:2:s1CME-42".to_owned(),
            "Q:0:20:key,summary:project = CME".to_owned(),
        ];
        assert_eq!(
            recorded(deps.iter().map(String::as_str)),
            vec![
                JiraMiss::Issue("s1".into(), "CME-42".into()),
                JiraMiss::Query(JiraQuery {
                    server: String::new(),
                    jql: "project = CME".into(),
                    columns: vec!["key".into(), "summary".into()],
                    max: 20,
                }),
            ]
        );
    }
}
