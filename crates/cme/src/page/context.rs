//! Answers the converter's questions from the export's inventory, so links
//! become relative paths between exported files.
use crate::deps::{CHILDREN_DEPTH, Dep, RefKey};
use crate::fs::paths::OutputPath;
use crate::page::jira::{Jira, Lookup};
use crate::place::layout::{Layout, Placed};
use cme_client::{PageId, SpaceKey};
use cme_convert::{
    AttachmentRef, ChildOrder, ChildPage, ChildQuery, ContentId, Context, CurrentPage, JiraIssue,
    JiraIssues, JiraQuery, PageRef, Report, ReportQuery, UserRef,
};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The converter's view of one page being exported. It records every
/// question about other pages ([`Dep`]), so the next sync knows when the
/// answers, and so this page's Markdown, change.
pub struct PageContext<'a> {
    pub layout: &'a Layout,
    pub page: &'a Placed,
    /// Storage bodies at hand (this batch, and pages included before).
    pub bodies: &'a HashMap<PageId, String>,
    /// File names attached to this page, in file-name order.
    pub attachment_names: Vec<String>,
    /// Display names by account id, user key or user name.
    pub users: &'a HashMap<String, String>,
    /// Users whose lookup failed (not: who do not exist): a mention of one
    /// makes the page [`PageContext::incomplete`].
    pub users_failed: &'a HashSet<String>,
    /// Whether an answer was missing for a reason that may pass.
    pub incomplete: Cell<bool>,
    /// Jira's sites and answers.
    pub jira: &'a Jira,
    /// Jira answers not at hand: fetch, then convert again.
    pub jira_misses: RefCell<Vec<JiraMiss>>,
    /// Questions asked so far.
    pub deps: RefCell<BTreeSet<Dep>>,
    /// Included pages whose body was not at hand: fetch, then convert again.
    pub misses: RefCell<Vec<PageId>>,
    /// Page-properties reports fetched for this page (`None`: Confluence
    /// could not give the rows); see [`PageContext::with_reports`].
    pub reports: Option<&'a Reports>,
    /// Reports asked for that were not at hand: fetch, then convert again.
    pub report_misses: RefCell<Vec<ReportQuery>>,
}

/// A Jira answer a conversion needed and did not have.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JiraMiss {
    /// An issue of a server (`serverId`), by key.
    Issue(String, String),
    /// A search.
    Query(JiraQuery),
    /// The site of a server whose site is not known, and a key its macro
    /// on this page shows (its link in the rendered view names the site).
    Site(String, String),
}

/// Page-properties reports by query: their rows, or `None` when
/// Confluence could not give them.
pub type Reports = HashMap<ReportQuery, Option<Report>>;

impl<'a> PageContext<'a> {
    /// A context for converting `page`.
    pub fn new(
        layout: &'a Layout,
        page: &'a Placed,
        bodies: &'a HashMap<PageId, String>,
        attachment_names: Vec<String>,
        users: &'a HashMap<String, String>,
        users_failed: &'a HashSet<String>,
        jira: &'a Jira,
    ) -> Self {
        Self {
            layout,
            page,
            bodies,
            attachment_names,
            users,
            users_failed,
            incomplete: Cell::new(false),
            jira,
            jira_misses: RefCell::new(Vec::new()),
            deps: RefCell::new(BTreeSet::new()),
            misses: RefCell::new(Vec::new()),
            reports: None,
            report_misses: RefCell::new(Vec::new()),
        }
    }

    /// The context answering page-properties reports from `reports`; one
    /// not in it is a miss (see [`PageContext::report_misses`]).
    pub fn with_reports(mut self, reports: &'a Reports) -> Self {
        self.reports = Some(reports);
        self
    }

    /// The questions asked, in their state-file form.
    pub fn recorded(&self) -> Vec<String> {
        self.deps.borrow().iter().map(Dep::encode).collect()
    }

    fn note(&self, make: impl FnOnce(RefKey) -> Dep, page: &PageRef) {
        if let Some(k) = RefKey::of(&self.page.space, page) {
            self.deps.borrow_mut().insert(make(k));
        }
    }

    fn resolve(&self, page: &PageRef) -> Option<&Placed> {
        self.layout.resolve(&self.page.space, page)
    }

    fn link_to(&self, target: &OutputPath) -> String {
        url_path(&self.layout.link(&self.page.path, target))
    }
}

impl Context for PageContext<'_> {
    fn page_link(&self, page: &PageRef) -> Option<String> {
        self.note(Dep::Link, page);
        self.resolve(page).map(|p| self.link_to(&p.path))
    }

    fn site_url(&self) -> Option<String> {
        self.layout.site().map(str::to_owned)
    }

    fn space_link(&self, space: &cme_convert::SpaceKey) -> Option<String> {
        let key = cme_client::SpaceKey::new(space.0.clone());
        let home = self.layout.homepage(&key);
        self.deps.borrow_mut().insert(Dep::Space(key));
        home.map(|p| self.link_to(&p.path))
    }

    /// Only files the listing has are local (they are the ones downloaded);
    /// any other is linked on the site.
    fn attachment_path(&self, att: &AttachmentRef) -> Option<String> {
        let own = RefKey::Id(self.page.meta.id.clone());
        let (owner, key) = match &att.page {
            // Its own files' names change when a colliding one appears.
            None => (Some(self.page), Some(own)),
            Some(r) => (self.resolve(r), RefKey::of(&self.page.space, r)),
        };
        if let Some(k) = key {
            let mut deps = self.deps.borrow_mut();
            deps.insert(Dep::AttachmentOwner(k.clone()));
            deps.insert(Dep::AttachmentFile(k, att.filename.clone()));
        }
        let owner = owner?;
        if !self.layout.has_attachment(&owner.meta.id, &att.filename) {
            return None;
        }
        let path = self.layout.attachment_path(&owner.meta.id, &att.filename)?;
        Some(self.link_to(&path))
    }

    fn jira_base_url(&self, server: &str) -> Option<String> {
        self.jira.base(server)
    }

    fn jira_issue(&self, server: &str, key: &str) -> Option<JiraIssue> {
        if !self.jira.fetch {
            return None;
        }
        if self.jira.base(server).is_none() {
            // Data Center: the page's rendered view links this issue on
            // its Jira; learn the site there, then convert again.
            if self.jira.can_learn(server) {
                let miss = JiraMiss::Site(server.to_owned(), key.to_owned());
                self.jira_misses.borrow_mut().push(miss);
            }
            return None;
        }
        self.deps.borrow_mut().insert(Dep::JiraIssue {
            server: server.to_owned(),
            key: key.to_owned(),
        });
        match self.jira.issue(server, key) {
            Lookup::Known(answer) => answer,
            Lookup::Unknown => {
                let miss = JiraMiss::Issue(server.to_owned(), key.to_owned());
                self.jira_misses.borrow_mut().push(miss);
                None
            }
        }
    }

    fn jira_issues(&self, query: &JiraQuery) -> Option<JiraIssues> {
        if !self.jira.fetch || self.jira.base(&query.server).is_none() {
            return None;
        }
        self.deps.borrow_mut().insert(Dep::JiraQuery(query.clone()));
        match self.jira.query(query) {
            Lookup::Known(answer) => answer,
            Lookup::Unknown => {
                let miss = JiraMiss::Query(query.clone());
                self.jira_misses.borrow_mut().push(miss);
                None
            }
        }
    }

    fn user_name(&self, user: &UserRef) -> Option<String> {
        let name = self.users.get(user.id()).cloned();
        if name.is_none() && self.users_failed.contains(user.id()) {
            self.incomplete.set(true);
        }
        name
    }

    fn page_body(&self, page: &PageRef) -> Option<String> {
        self.note(Dep::Include, page);
        let p = self.resolve(page)?;
        let body = self.bodies.get(&p.meta.id).cloned();
        if body.is_none() {
            self.misses.borrow_mut().push(p.meta.id.clone());
        }
        body
    }

    fn children(&self, query: ChildQuery) -> Option<Vec<ChildPage>> {
        let modified = query.order == ChildOrder::Modified;
        let (dep, levels) = if query.depth <= CHILDREN_DEPTH && !modified {
            (Dep::Children, CHILDREN_DEPTH)
        } else {
            let depth = query.depth.max(1);
            (Dep::ChildTree { depth, modified }, depth)
        };
        self.deps.borrow_mut().insert(dep);
        Some(self.child_tree(&self.page.children, levels))
    }

    fn attachments(&self) -> Option<Vec<String>> {
        self.deps.borrow_mut().insert(Dep::AttachmentList);
        Some(self.attachment_names.clone())
    }

    fn page_properties_report(&self, query: &ReportQuery) -> Option<Report> {
        self.deps.borrow_mut().insert(Dep::Report {
            spaces: report_spaces(&query.cql, &self.page.space),
            labels: report_labels(&query.cql),
        });
        match self.reports?.get(query) {
            Some(rows) => rows.clone(),
            None => {
                self.report_misses.borrow_mut().push(query.clone());
                None
            }
        }
    }

    fn current_page(&self) -> Option<CurrentPage> {
        Some(CurrentPage {
            title: self.page.meta.title.clone(),
            space: Some(cme_convert::SpaceKey(self.page.space.as_str().to_owned())),
            id: Some(ContentId(self.page.meta.id.as_str().to_owned())),
        })
    }
}

impl PageContext<'_> {
    /// Children as a tree `levels` deep, in Confluence's order (the
    /// layout's): as deep as the macro asks, and no deeper, so the output
    /// and the recorded answer stay as small as the macro's list.
    fn child_tree(&self, ids: &[PageId], levels: usize) -> Vec<ChildPage> {
        ids.iter()
            .filter_map(|id| self.layout.get(id))
            .map(|c| ChildPage {
                title: c.meta.title.clone(),
                page: PageRef::Id(ContentId(c.meta.id.as_str().to_owned())),
                created: None,
                modified: Some(c.meta.modified_at.to_string()),
                children: if levels > 1 {
                    self.child_tree(&c.children, levels - 1)
                } else {
                    Vec::new()
                },
            })
            .collect()
    }
}

/// Percent-encodes a relative path for use as a link destination. Titles may
/// hold `#`, `?` or `%`, which would otherwise read as a fragment, a query or
/// an escape. Non-ASCII stays as is: every Markdown renderer accepts it, and
/// it keeps the source readable. A first segment with a `:` (or a `&`,
/// which a Markdown renderer may decode to one: `&colon;`) would read as a
/// URL scheme, so a page titled `javascript:alert(1)` is linked as
/// `./javascript:alert(1).md`.
pub fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 2);
    let first = path.split('/').next().unwrap_or_default();
    if first.contains([':', '&']) {
        out.push_str("./");
    }
    for ch in path.chars() {
        match ch {
            'A'..='Z'
            | 'a'..='z'
            | '0'..='9'
            | '-'
            | '.'
            | '_'
            | '~'
            | '/'
            | '!'
            | '$'
            | '&'
            | '\''
            | '*'
            | '+'
            | ','
            | ';'
            | '='
            | ':'
            | '@' => out.push(ch),
            c if !c.is_ascii() => out.push(c),
            c => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// The labels a report's CQL requires one of: its top-level `label = x`
/// and `label in (x, y)` clauses, when the query is a plain conjunction
/// (no `OR`, `NOT` or `!=`, which could let pages without them match).
/// `None`: any page may match.
pub fn report_labels(cql: &str) -> Option<Vec<String>> {
    let masked = mask_quoted(cql);
    let words = masked.split(|c: char| c.is_whitespace() || c == '(' || c == ')');
    if words.into_iter().any(|w| w == "or" || w == "not") || masked.contains("!=") {
        return None;
    }
    let mut labels: Vec<String> = field_values(cql, &masked, "label")?
        .into_iter()
        .map(|l| l.to_lowercase())
        .collect();
    if labels.is_empty() {
        return None;
    }
    labels.sort();
    labels.dedup();
    Some(labels)
}

/// The values of every `field = v` and `field in (v, …)` clause of `cql`
/// (`masked` is [`mask_quoted`] of it, so names inside strings are not
/// fields); `None` when a clause on the field uses another operator
/// (`!=`, `~`) or a sub-field (`space.type`), which this cannot read.
fn field_values(cql: &str, masked: &str, field: &str) -> Option<Vec<String>> {
    let mut values = Vec::new();
    let mut from = 0;
    while let Some(at) = masked[from..].find(field) {
        let start = from + at;
        from = start + field.len();
        let boundary = masked[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '.' && c != '_');
        let after = &cql[from..];
        if !boundary || after.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
            // Part of another word.
            continue;
        }
        let rest = after.trim_start();
        if let Some(v) = rest.strip_prefix('=') {
            values.push(first_value(v)?);
        } else if rest.len() > 2
            && rest[..2].eq_ignore_ascii_case("in")
            && rest[2..].trim_start().starts_with('(')
        {
            let inner = rest[2..].trim_start()[1..].split(')').next()?;
            for v in inner.split(',') {
                values.push(first_value(v)?);
            }
        } else {
            return None;
        }
    }
    Some(values)
}

/// `cql` lower-cased with quoted text blanked (same byte positions), so
/// field names and operators are found outside strings only.
fn mask_quoted(cql: &str) -> String {
    let mut quoted = false;
    cql.chars()
        .map(|c| {
            if c == '"' {
                quoted = !quoted;
                return c;
            }
            if quoted || !c.is_ascii() {
                return if c.is_ascii() { ' ' } else { c };
            }
            c.to_ascii_lowercase()
        })
        .collect()
}

/// The spaces a report's CQL is limited to (`space = K`, `space in (A, B)`,
/// `space = currentSpace()` as `current`); `None` when it names none (it
/// may list pages of any space). Read loosely: a clause it cannot read
/// widens the answer to every space, which rewrites the report more often,
/// never less.
pub fn report_spaces(cql: &str, current: &SpaceKey) -> Option<Vec<SpaceKey>> {
    let mut keys: Vec<SpaceKey> = field_values(cql, &mask_quoted(cql), "space")?
        .into_iter()
        .map(|v| {
            if v.eq_ignore_ascii_case("currentspace()") {
                current.clone()
            } else {
                SpaceKey::new(v)
            }
        })
        .collect();
    if keys.is_empty() {
        return None;
    }
    keys.sort();
    keys.dedup();
    Some(keys)
}

/// The first value of a clause: a quoted string, `currentSpace()` or a bare word.
fn first_value(v: &str) -> Option<String> {
    let v = v.trim_start();
    if let Some(q) = v.strip_prefix('"') {
        return Some(q.split('"').next()?.to_owned());
    }
    let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    if compact.to_ascii_lowercase().starts_with("currentspace()") {
        return Some("currentSpace()".to_owned());
    }
    let word: String = v
        .chars()
        .take_while(|c| c.is_alphanumeric() || matches!(c, '~' | '_' | '-'))
        .collect();
    (!word.is_empty()).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::report_spaces;
    use cme_client::SpaceKey;

    #[test]
    fn a_report_depends_on_the_labels_its_cql_requires() {
        use super::report_labels;
        let l = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            report_labels("label = \"decision\" and space = currentSpace()"),
            l(&["decision"])
        );
        assert_eq!(
            report_labels("label in (\"b\", a) and type = page"),
            l(&["a", "b"])
        );
        assert_eq!(report_labels("LABEL = Adr"), l(&["adr"]));
        // A disjunction, a negation or no label clause: any page.
        assert_eq!(report_labels("label = a or title ~ x"), None);
        assert_eq!(report_labels("label = a and not label = b"), None);
        assert_eq!(report_labels("label != a"), None);
        assert_eq!(report_labels("space = X"), None);
        // Inside quotes, `or` is text.
        assert_eq!(
            report_labels("label = a and title = \"this or that\""),
            l(&["a"])
        );
    }

    #[test]
    fn a_report_depends_on_the_spaces_its_cql_names() {
        let cur = SpaceKey::new("DEMO");
        let keys = |v: &[&str]| Some(v.iter().map(|k| SpaceKey::new(*k)).collect::<Vec<_>>());
        assert_eq!(
            report_spaces("label = \"x\" and space = currentSpace()", &cur),
            keys(&["DEMO"])
        );
        assert_eq!(
            report_spaces("space = \"OPS\" AND label = a", &cur),
            keys(&["OPS"])
        );
        assert_eq!(
            report_spaces("SPACE in (B, \"A\") and label = a", &cur),
            keys(&["A", "B"])
        );
        assert_eq!(
            report_spaces("space = currentSpace ( )", &cur),
            keys(&["DEMO"])
        );
        // None named, or a clause not read: every space.
        assert_eq!(report_spaces("label = \"decision\"", &cur), None);
        assert_eq!(report_spaces("space != OPS and label = x", &cur), None);
        assert_eq!(report_spaces("space.type = global", &cur), None);
        // A word that only contains `space` is not the field.
        assert_eq!(report_spaces("title ~ \"workspace = X\"", &cur), None);
        assert_eq!(report_spaces("title ~ \"my space = X\"", &cur), None);
    }

    use super::url_path;

    #[test]
    fn encodes_what_would_break_a_link() {
        assert_eq!(
            url_path("../Q&A: 100% #1?.md"),
            "../Q&A:%20100%25%20%231%3F.md"
        );
        assert_eq!(url_path("日本語/(x).md"), "日本語/%28x%29.md");
        // Never a scheme.
        assert_eq!(
            url_path("javascript:alert(1).md"),
            "./javascript:alert%281%29.md"
        );
        assert_eq!(url_path("data:x/y.md"), "./data:x/y.md");
        assert_eq!(url_path("javascript&colon;x.md"), "./javascript&colon;x.md");
        assert_eq!(url_path("../a:b.md"), "../a:b.md");
        assert_eq!(url_path("/DEMO/a:b.md"), "/DEMO/a:b.md");
    }
}
