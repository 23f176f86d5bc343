//! Jira's answers to the Jira macros of the pages being written: which
//! Jira site each macro's `serverId` names, and the summaries, statuses
//! and issue lists Jira gave, fetched in bulk before a page converts (a
//! page's keys in one search per server, one search per JQL). The planner
//! hashes the same answers ([`Jira::answer`]), so a sync that refreshed them
//! rewrites exactly the pages whose issues changed.
use cme_convert::{JiraIssue, JiraIssues, JiraQuery};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// Where Jira is, whether to ask it, and what it answered so far.
#[derive(Debug, Default)]
pub struct Jira {
    /// `--jira-url`: the site of every server.
    pub url: Option<String>,
    /// Cloud: the Confluence site itself is every server's Jira.
    pub site: Option<String>,
    /// Data Center: each server's site, as the state recorded it.
    pub bases: BTreeMap<String, String>,
    /// Whether Jira is asked at all (`--no-jira-fetch` turns it off).
    pub fetch: bool,
    /// Whether a server's site not known may be learnt from a page's
    /// rendered view (Data Center without `--jira-url`).
    pub learn_sites: bool,
    answers: Mutex<Answers>,
}

/// What Jira answered: `None` for an issue Jira does not list (or a search
/// it refused), so the macro stays a link.
#[derive(Debug, Default)]
struct Answers {
    issues: HashMap<(String, String), Option<JiraIssue>>,
    queries: HashMap<JiraQuery, Option<JiraIssues>>,
    /// Servers Jira did not answer for this run, with why: their macros
    /// stay links, and the run says so once per server.
    failed: BTreeMap<String, String>,
    /// Sites learnt this run, by server.
    sites: BTreeMap<String, String>,
    /// Servers whose site could not be learnt this run (asked once).
    unlearnable: std::collections::BTreeSet<String>,
}

/// An answer, or that Jira was not asked yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<T> {
    /// Jira's answer (`None`: no such issue, or a refused search).
    Known(Option<T>),
    /// Not fetched yet: fetch, then convert again.
    Unknown,
}

impl Jira {
    /// Sites as configured (`url`), the Cloud site (`site`), the sites
    /// recorded per server, and whether to ask Jira at all.
    pub fn new(
        url: Option<String>,
        site: Option<String>,
        bases: BTreeMap<String, String>,
        fetch: bool,
        learn_sites: bool,
    ) -> Self {
        Self {
            url,
            site,
            bases,
            fetch,
            learn_sites,
            answers: Mutex::default(),
        }
    }

    /// The Jira site of `server`, without a trailing `/`.
    pub fn base(&self, server: &str) -> Option<String> {
        self.url
            .clone()
            .or_else(|| self.site.clone())
            .or_else(|| self.bases.get(server).cloned())
            .or_else(|| self.lock().sites.get(server).cloned())
            .or_else(|| server.is_empty().then(|| self.only_site()).flatten())
            .map(|b| b.trim_end_matches('/').to_owned())
    }

    /// The one Jira site known, if only one is: what a macro naming no
    /// server (the site's primary Jira) means.
    fn only_site(&self) -> Option<String> {
        let a = self.lock();
        let mut sites = self.bases.values().chain(a.sites.values());
        let first = sites.next()?;
        sites.all(|s| s == first).then(|| first.clone())
    }

    /// Whether `server`'s site is unknown and may be learnt now.
    pub fn can_learn(&self, server: &str) -> bool {
        self.fetch
            && self.learn_sites
            && self.base(server).is_none()
            && !self.lock().unlearnable.contains(server)
    }

    /// Records `server`'s site as a page's rendered view showed it (`None`:
    /// it did not; not asked again this run).
    pub fn learn_site(&self, server: &str, site: Option<String>) {
        let mut a = self.lock();
        match site {
            Some(s) => {
                a.sites.insert(server.to_owned(), s);
            }
            None => {
                a.unlearnable.insert(server.to_owned());
            }
        }
    }

    /// Sites learnt this run, for the state.
    pub fn learned_sites(&self) -> BTreeMap<String, String> {
        self.lock().sites.clone()
    }

    /// Whether `server`'s issues are fetched this run: fetching is on, its
    /// site is known, and Jira has not failed for it.
    pub fn asks(&self, server: &str) -> bool {
        self.fetch && self.base(server).is_some() && !self.lock().failed.contains_key(server)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Answers> {
        self.answers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// One issue's answer.
    pub fn issue(&self, server: &str, key: &str) -> Lookup<JiraIssue> {
        let a = self.lock();
        if a.failed.contains_key(server) {
            return Lookup::Known(None);
        }
        match a.issues.get(&(server.to_owned(), key.to_owned())) {
            Some(i) => Lookup::Known(i.clone()),
            None => Lookup::Unknown,
        }
    }

    /// A search's answer.
    pub fn query(&self, q: &JiraQuery) -> Lookup<JiraIssues> {
        let a = self.lock();
        if a.failed.contains_key(&q.server) {
            return Lookup::Known(None);
        }
        match a.queries.get(q) {
            Some(i) => Lookup::Known(i.clone()),
            None => Lookup::Unknown,
        }
    }

    /// Records issues Jira listed (`None`: asked, not listed).
    pub fn learn_issue(&self, server: &str, key: &str, issue: Option<JiraIssue>) {
        self.lock()
            .issues
            .insert((server.to_owned(), key.to_owned()), issue);
    }

    /// Records a search's answer.
    pub fn learn_query(&self, q: JiraQuery, found: Option<JiraIssues>) {
        self.lock().queries.insert(q, found);
    }

    /// Records that Jira failed for `server`; `true` the first time (the
    /// caller warns once per server).
    pub fn fail(&self, server: &str, why: String) -> bool {
        let mut a = self.lock();
        if a.failed.contains_key(server) {
            return false;
        }
        a.failed.insert(server.to_owned(), why);
        true
    }

    /// The text the dependency hash covers for an issue or a search: what
    /// the page shows of it. Not fetched (or Jira failed) reads `?`, so a
    /// page written without the answer is rewritten once it is known.
    pub fn answer_issue(&self, server: &str, key: &str) -> String {
        match self.issue(server, key) {
            Lookup::Known(Some(i)) => issue_text(&i),
            Lookup::Known(None) if !self.lock().failed.contains_key(server) => "-".to_owned(),
            _ => "?".to_owned(),
        }
    }

    /// See [`Jira::answer_issue`].
    pub fn answer_query(&self, q: &JiraQuery) -> String {
        match self.query(q) {
            Lookup::Known(Some(found)) => {
                let mut s = format!("{}:", found.total);
                for i in &found.issues {
                    s.push_str(&issue_text(i));
                    s.push(';');
                }
                s
            }
            Lookup::Known(None) if !self.lock().failed.contains_key(&q.server) => "-".to_owned(),
            _ => "?".to_owned(),
        }
    }

    /// Whether `deps` (a page's recorded questions) ask about a Jira that
    /// failed this run.
    pub fn unanswered<'a>(&self, deps: impl IntoIterator<Item = &'a str>) -> bool {
        let a = self.lock();
        if a.failed.is_empty() {
            return false;
        }
        deps.into_iter()
            .filter(|d| d.starts_with("J:") || d.starts_with("Q:"))
            .any(|d| match crate::deps::Dep::decode(d) {
                Some(crate::deps::Dep::JiraIssue { server, .. }) => a.failed.contains_key(&server),
                Some(crate::deps::Dep::JiraQuery(q)) => a.failed.contains_key(&q.server),
                _ => false,
            })
    }
}

fn issue_text(i: &JiraIssue) -> String {
    let mut s = i.key.clone();
    for (k, v) in &i.fields {
        s.push_str(&format!("|{k}={v}"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_unknown_until_learnt_and_a_failed_server_is_known_empty() {
        let j = Jira::new(
            None,
            Some("https://x.atlassian.net/".into()),
            BTreeMap::new(),
            true,
            false,
        );
        assert_eq!(j.base("s"), Some("https://x.atlassian.net".into()));
        assert_eq!(j.issue("s", "A-1"), Lookup::Unknown);
        assert_eq!(j.answer_issue("s", "A-1"), "?");
        j.learn_issue("s", "A-1", None);
        assert_eq!(j.answer_issue("s", "A-1"), "-");
        assert!(j.fail("t", "401".into()));
        assert!(!j.fail("t", "401".into()));
        assert_eq!(j.issue("t", "A-1"), Lookup::Known(None));
        assert_eq!(j.answer_issue("t", "A-1"), "?");
        assert!(!j.asks("t"));
        assert!(j.asks("s"));
    }

    #[test]
    fn a_data_center_site_is_learnt_once_per_server() {
        let j = Jira::new(None, None, BTreeMap::new(), true, true);
        assert!(j.can_learn("s"));
        j.learn_site("s", Some("https://jira.example.com/".into()));
        assert_eq!(j.base("s"), Some("https://jira.example.com".into()));
        assert!(!j.can_learn("s"));
        // A macro naming no server: the one Jira known.
        assert_eq!(j.base(""), Some("https://jira.example.com".into()));
        j.learn_site("t", None);
        assert!(!j.can_learn("t"));
        assert_eq!(j.learned_sites().len(), 1);
        let off = Jira::new(None, None, BTreeMap::new(), false, true);
        assert!(!off.can_learn("s"));
    }
}
