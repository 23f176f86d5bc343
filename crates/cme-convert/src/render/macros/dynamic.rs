//! Macros whose content Confluence computes: toc, children, include,
//! excerpt-include, jira, page properties (report), attachments.

use super::Params;
use crate::context::{ChildOrder, ChildPage, ChildQuery, PageRef};
use crate::options::DynamicMacro;
use crate::output::WarningKind;
use crate::parse::{NodeId, Tree};
use crate::render::inline::collapse;
use crate::render::md::{self, Block, Inline};
use crate::render::{Renderer, links_page_ref};

/// A toc macro's settings, applied after the page is rendered.
pub(crate) struct TocSpec {
    min: u8,
    max: u8,
    exclude: Option<HeadingFilter>,
    include: Option<HeadingFilter>,
}

/// A toc include/exclude filter: a regular expression found anywhere in
/// the heading (as Confluence applies it), or, when it does not compile,
/// the literal text.
pub(crate) enum HeadingFilter {
    Regex(regex_lite::Regex),
    Literal(String),
}

impl HeadingFilter {
    fn new(pattern: &str) -> (Self, Option<String>) {
        match regex_lite::RegexBuilder::new(pattern)
            .size_limit(1 << 20)
            .build()
        {
            Ok(re) => (HeadingFilter::Regex(re), None),
            Err(e) => (
                HeadingFilter::Literal(pattern.to_owned()),
                Some(format!(
                    "toc filter {pattern:?} is not a regex we read ({e}); matched as text"
                )),
            ),
        }
    }

    fn matches(&self, heading: &str) -> bool {
        match self {
            HeadingFilter::Regex(re) => re.is_match(heading),
            HeadingFilter::Literal(s) => heading.contains(s.as_str()),
        }
    }
}

impl Renderer<'_> {
    pub(crate) fn toc(&mut self, t: &Tree, _m: NodeId, p: &Params) -> Vec<Block> {
        if self.opts.toc == DynamicMacro::Omit {
            return Vec::new();
        }
        let lvl = |k: &str, d: u8| {
            p.text(t, k)
                .and_then(|v| v.parse::<u8>().ok())
                .unwrap_or(d)
                .clamp(1, 6)
        };
        let mut filter = |k: &str| {
            let (f, problem) = HeadingFilter::new(&p.text(t, k)?);
            if let Some(problem) = problem {
                self.warn(WarningKind::Degraded, problem);
            }
            Some(f)
        };
        let exclude = filter("exclude");
        let include = filter("include");
        self.tocs.push(TocSpec {
            min: lvl("minlevel", 1),
            max: lvl("maxlevel", 6),
            exclude,
            include,
        });
        vec![Block::Toc(self.tocs.len() - 1)]
    }

    /// Replaces toc placeholders with lists of links to the headings.
    pub(crate) fn resolve_tocs(&mut self, blocks: &mut [Block]) {
        if self.tocs.is_empty() {
            return;
        }
        for b in blocks.iter_mut() {
            match b {
                Block::Toc(i) => {
                    let spec = &self.tocs[*i];
                    *b = self.toc_list(spec);
                }
                Block::Quote(bs) | Block::Alert(_, bs) => self.resolve_tocs(bs),
                Block::List(l) => {
                    for it in &mut l.items {
                        self.resolve_tocs(&mut it.blocks);
                    }
                }
                _ => {}
            }
        }
    }

    fn toc_list(&self, spec: &TocSpec) -> Block {
        let hs: Vec<_> = self
            .headings
            .iter()
            .filter(|h| h.level >= spec.min && h.level <= spec.max)
            .filter(|h| spec.exclude.as_ref().is_none_or(|e| !e.matches(&h.text)))
            .filter(|h| spec.include.as_ref().is_none_or(|i| i.matches(&h.text)))
            .collect();
        let Some(top) = hs.iter().map(|h| h.level).min() else {
            return Block::Html(String::new());
        };
        // Build nested lists with an explicit stack (levels may skip).
        let mut stack: Vec<(u8, Vec<md::Item>)> = vec![(top, Vec::new())];
        for h in hs {
            let item = md::Item {
                task: None,
                blocks: vec![Block::Para(vec![Inline::Link {
                    url: format!("#{}", h.anchor),
                    title: String::new(),
                    children: vec![Inline::Text(h.text.clone())],
                }])],
            };
            while stack.len() > 1 && h.level < stack.last().map_or(top, |s| s.0) {
                close_level(&mut stack);
            }
            if h.level > stack.last().map_or(top, |s| s.0)
                && stack.last().is_some_and(|s| !s.1.is_empty())
            {
                stack.push((h.level, Vec::new()));
            }
            if let Some(last) = stack.last_mut() {
                last.1.push(item);
            }
        }
        while stack.len() > 1 {
            close_level(&mut stack);
        }
        let items = stack.pop().map(|s| s.1).unwrap_or_default();
        Block::List(md::List {
            ordered: None,
            items,
        })
    }

    /// Children (and pagetree) macro: Confluence's page order unless `sort`
    /// says `title`, `creation` or `modified` (`reverse=true` turns it
    /// round); `depth` levels, or the whole subtree with `all=true`.
    pub(crate) fn children_macro(&mut self, t: &Tree, p: &Params) -> Vec<Block> {
        if self.opts.children == DynamicMacro::Omit {
            return Vec::new();
        }
        let order = match p.text(t, "sort").map(|s| s.to_ascii_lowercase()).as_deref() {
            Some("title") => ChildOrder::Title,
            Some("creation") | Some("created") => ChildOrder::Created,
            Some("modified") => ChildOrder::Modified,
            _ => ChildOrder::Tree,
        };
        let reverse = p.flag(t, "reverse");
        let all = p.flag(t, "all") || p.flag(t, "allchildren");
        let depth = p
            .text(t, "depth")
            .and_then(|d| d.trim().parse::<usize>().ok())
            .filter(|&d| d > 0 && !all)
            .unwrap_or(if all { MAX_CHILD_DEPTH } else { 1 })
            .min(MAX_CHILD_DEPTH);
        let Some(mut children) = self.ctx.children(ChildQuery { order, depth }) else {
            self.warn(
                WarningKind::Unresolved,
                "children macro: no child list in context",
            );
            return vec![Block::Html(
                "<!-- children macro: child pages not available offline -->".into(),
            )];
        };
        sort_children(&mut children, order, reverse);
        let list = self.child_list(&children, depth);
        if list.items.is_empty() {
            Vec::new()
        } else {
            vec![Block::List(list)]
        }
    }

    fn child_list(&mut self, children: &[ChildPage], depth: usize) -> md::List {
        let mut items = Vec::new();
        for c in children {
            let link = self.page_link_inline(&c.page, None, vec![Inline::Text(c.title.clone())]);
            let mut blocks = vec![Block::Para(vec![link])];
            if depth > 1 && !c.children.is_empty() {
                blocks.push(Block::List(self.child_list(&c.children, depth - 1)));
            }
            items.push(md::Item { task: None, blocks });
        }
        md::List {
            ordered: None,
            items,
        }
    }

    pub(crate) fn include_macro(&mut self, t: &Tree, name: &str, p: &Params) -> Vec<Block> {
        let page = p
            .node("")
            .or_else(|| p.node("page"))
            .and_then(|n| links_page_ref(t, n));
        let Some(page) = page else {
            return Vec::new();
        };
        self.note_page(&page);
        if let Some(blocks) = self.include(&page, name == "excerpt-include") {
            return blocks;
        }
        self.warn(
            WarningKind::Unresolved,
            format!("{name}: page {page} not inlined (not in the context)"),
        );
        let title = page.title().unwrap_or("page").to_owned();
        let link = self.page_link_inline(&page, None, vec![Inline::Text(title)]);
        let label = if name == "include" {
            "Included page: "
        } else {
            "Excerpt from: "
        };
        vec![Block::Para(vec![Inline::Emph(vec![
            Inline::Text(label.into()),
            link,
        ])])]
    }

    /// The Jira site of the macro's `serverId`, without a trailing `/`.
    fn jira_base(&self, server: &str) -> Option<String> {
        self.ctx
            .jira_base_url(server)
            .map(|b| b.trim_end_matches('/').to_owned())
    }

    fn jira_unlinked(&mut self, what: &str) {
        self.warn(
            WarningKind::Unresolved,
            format!("{what} written as text: the Jira site is not known (give it with --jira-url)"),
        );
    }

    /// One issue, in its sentence: its key linked to the issue, then its
    /// summary and status when Jira told them.
    pub(crate) fn jira_single(&mut self, t: &Tree, p: &Params, key: String) -> Vec<Inline> {
        let server = p.text(t, "serverId").unwrap_or_default();
        let mut out = match self.jira_base(&server) {
            Some(b) => vec![Inline::Link {
                url: format!("{b}/browse/{}", crate::url::encode_component(&key)),
                title: String::new(),
                children: vec![Inline::Text(key.clone())],
            }],
            None => {
                self.jira_unlinked("Jira issue");
                vec![Inline::Text(key.clone())]
            }
        };
        if let Some(issue) = self.ctx.jira_issue(&server, &key) {
            let field = |k: &str| {
                issue
                    .fields
                    .get(k)
                    .map(|v| collapse(v))
                    .filter(|v| !v.is_empty())
            };
            if let Some(summary) = field("summary") {
                out.push(Inline::Text(format!(" {summary}")));
            }
            if let Some(status) = field("status") {
                out.push(Inline::Text(format!(" ({status})")));
            }
        }
        out
    }

    /// A list of issues (`jqlQuery`, or the legacy `jiraissues` macro's
    /// URL): the table Confluence shows, in the macro's columns, when the
    /// context knows the search's answer; else a link to the search.
    pub(crate) fn jira_list(&mut self, t: &Tree, p: &Params) -> Vec<Block> {
        let jql = p
            .text(t, "jqlquery")
            .or_else(|| p.text(t, "jql"))
            .or_else(|| p.text(t, "url").as_deref().and_then(legacy_jql));
        let Some(jql) = jql else {
            if let Some(url) = p.text(t, "url").filter(|u| !self.refused(u)) {
                // A legacy macro over a saved filter or a feed: its link.
                return vec![Block::Para(vec![Inline::Link {
                    url: url.clone(),
                    title: String::new(),
                    children: vec![Inline::Text("Jira issues".into())],
                }])];
            }
            self.warn(
                WarningKind::Degraded,
                "a Jira macro with neither an issue key nor a query was left out".to_owned(),
            );
            return Vec::new();
        };
        let server = p.text(t, "serverId").unwrap_or_default();
        // The legacy `jiraissues` macro names its Jira site in its URL.
        let base = self
            .jira_base(&server)
            .or_else(|| p.text(t, "url").as_deref().and_then(legacy_base));
        let search = base
            .as_ref()
            .map(|b| format!("{b}/issues/?jql={}", crate::url::encode_component(&jql)));
        let count = p.flag(t, "count");
        let query = if count {
            // Only the number: keys alone, as many as a list may show.
            crate::context::JiraQuery {
                server,
                jql: jql.clone(),
                columns: vec!["key".to_owned()],
                max: crate::context::JiraQuery::MAX,
            }
        } else {
            crate::context::JiraQuery {
                server,
                jql: jql.clone(),
                columns: jira_columns(p.text(t, "columns").as_deref()),
                max: p
                    .text(t, "maximumIssues")
                    .and_then(|m| m.trim().parse::<u32>().ok())
                    .unwrap_or(crate::context::JiraQuery::DEFAULT_MAX)
                    .clamp(1, crate::context::JiraQuery::MAX),
            }
        };
        let linked = |text: String| match &search {
            Some(url) => Inline::Link {
                url: url.clone(),
                title: String::new(),
                children: vec![Inline::Text(text)],
            },
            None => Inline::Text(text),
        };
        let Some(found) = self.ctx.jira_issues(&query) else {
            if search.is_none() {
                self.jira_unlinked("Jira issue list");
            }
            return vec![Block::Para(vec![linked(format!("Jira issues: {jql}"))])];
        };
        if count {
            let n = found.total;
            let noun = if n == 1 { "issue" } else { "issues" };
            return vec![Block::Para(vec![linked(format!("{n} {noun}"))])];
        }
        if found.issues.is_empty() {
            return vec![Block::Para(vec![linked(format!("No Jira issues: {jql}"))])];
        }
        let mut rows = Vec::with_capacity(found.issues.len() + 1);
        rows.push(
            query
                .columns
                .iter()
                .map(|c| vec![Inline::Text(column_heading(c))])
                .collect::<Vec<_>>(),
        );
        for issue in &found.issues {
            let row = query
                .columns
                .iter()
                .map(|c| match c.as_str() {
                    "key" => vec![match &base {
                        Some(b) => Inline::Link {
                            url: format!("{b}/browse/{}", crate::url::encode_component(&issue.key)),
                            title: String::new(),
                            children: vec![Inline::Text(issue.key.clone())],
                        },
                        None => Inline::Text(issue.key.clone()),
                    }],
                    other => match issue.fields.get(other).map(|v| collapse(v)) {
                        Some(v) if !v.is_empty() => vec![Inline::Text(v)],
                        _ => Vec::new(),
                    },
                })
                .collect();
            rows.push(row);
        }
        let mut out = vec![Block::Table(rows)];
        let shown = found.issues.len() as u64;
        if found.total > shown {
            out.push(Block::Para(vec![linked(format!(
                "{shown} of {} issues: {jql}",
                found.total
            ))]));
        }
        out
    }

    pub(crate) fn details_macro(&mut self, t: &Tree, m: NodeId) -> Vec<Block> {
        if let Some(body) = t.child(m, "ac:rich-text-body")
            && let Some(table) = t.find(body, "table")
        {
            let mut rows: Vec<Vec<String>> = Vec::new();
            for r in table_rows(t, table) {
                let mut row = Vec::new();
                for c in t.children(r) {
                    if matches!(t.name(c), "th" | "td") {
                        // Rendered text, so dates and emoji read as on the page;
                        // mentions as the name alone (a value, not a mention).
                        let mut blocks = Vec::new();
                        self.flat += 1;
                        self.in_properties += 1;
                        self.block_children(t, c, &mut blocks);
                        self.in_properties -= 1;
                        self.flat -= 1;
                        let mut inl = Vec::new();
                        crate::render::flatten(blocks, &mut inl);
                        row.push(collapse(&md::plain(&inl)));
                    }
                }
                rows.push(row);
            }
            if rows.iter().all(|r| r.len() == 2) {
                for r in &rows {
                    self.properties.push((r[0].clone(), r[1].clone()));
                }
            } else if rows.len() == 2 {
                for (k, v) in rows[0].iter().zip(rows[1].iter()) {
                    self.properties.push((k.clone(), v.clone()));
                }
            }
        }
        let mut out = Vec::new();
        self.rich_body(t, m, &mut out);
        out
    }

    pub(crate) fn details_summary(&mut self, t: &Tree, p: &Params) -> Vec<Block> {
        let query = crate::context::ReportQuery {
            cql: p.text(t, "cql").unwrap_or_default(),
            headings: p.text(t, "headings").unwrap_or_default(),
            sort_by: p.text(t, "sortBy").unwrap_or_default(),
            reverse: p.flag(t, "reverseSort") || p.flag(t, "reverse"),
        };
        if !query.cql.is_empty()
            && let Some(report) = self.ctx.page_properties_report(&query)
        {
            let first = p.text(t, "firstcolumn").unwrap_or_else(|| "Title".into());
            return self.report_table(&first, report);
        }
        self.warn(
            WarningKind::Unresolved,
            "page-properties report written as a summary line: its rows are not available"
                .to_owned(),
        );
        let mut inl = vec![Inline::Text("Page properties report".into())];
        if let Some(cql) = p.text(t, "cql") {
            inl.push(Inline::Text(" for ".into()));
            inl.push(Inline::Code(cql));
        }
        vec![Block::Para(vec![Inline::Emph(inl)])]
    }

    /// A report as a table: the page (linked to its exported file, or to
    /// Confluence), then one column per heading; every row Confluence
    /// lists (its `pageSize` pages the report in the browser; a file holds
    /// them all). Cells are Confluence's rendering of each value, converted
    /// like the page's own text.
    fn report_table(&mut self, first: &str, report: crate::context::Report) -> Vec<Block> {
        let mut rows: Vec<Vec<Vec<Inline>>> = Vec::with_capacity(report.rows.len() + 1);
        let mut head = vec![vec![Inline::Text(first.to_owned())]];
        head.extend(
            report
                .headings
                .iter()
                .map(|h| vec![Inline::Text(h.clone())]),
        );
        let cols = head.len();
        rows.push(head);
        for row in report.rows {
            let page = crate::context::PageRef::Id(row.page);
            let link = self.page_link_inline(&page, None, vec![Inline::Text(row.title)]);
            let mut cells = vec![vec![link]];
            for html in row.cells.iter().take(cols - 1) {
                cells.push(self.html_fragment_inlines(html));
            }
            cells.resize(cols, Vec::new());
            rows.push(cells);
        }
        vec![Block::Table(rows)]
    }

    /// A fragment of rendered HTML (a report cell) as one line of inlines.
    fn html_fragment_inlines(&mut self, html: &str) -> Vec<Inline> {
        let parsed = crate::parse::parse(html);
        let mut blocks = Vec::new();
        self.flat += 1;
        self.in_properties += 1;
        self.block_children(&parsed.tree, crate::parse::Tree::ROOT, &mut blocks);
        self.in_properties -= 1;
        self.flat -= 1;
        let mut inl = Vec::new();
        crate::render::flatten(blocks, &mut inl);
        inl
    }

    pub(crate) fn attachments_macro(&mut self) -> Vec<Block> {
        let Some(files) = self.ctx.attachments() else {
            return vec![Block::Html(
                "<!-- attachments macro: list not available offline -->".into(),
            )];
        };
        let items: Vec<md::Item> = files
            .into_iter()
            .map(|f| {
                let att = crate::context::AttachmentRef {
                    filename: f.clone(),
                    page: None,
                };
                let url = self.attachment_target(&att);
                md::Item {
                    task: None,
                    blocks: vec![Block::Para(vec![Inline::Link {
                        url,
                        title: String::new(),
                        children: vec![Inline::Text(f)],
                    }])],
                }
            })
            .collect();
        if items.is_empty() {
            Vec::new()
        } else {
            vec![Block::List(md::List {
                ordered: None,
                items,
            })]
        }
    }
}

/// How deep `all=true` goes: deeper trees are cut (and a page tree that
/// deep is rare); keeps the output of a cyclic or huge tree bounded.
pub(crate) const MAX_CHILD_DEPTH: usize = 16;

/// Sorts every level of `children` as the macro asks. Stable, so equal keys
/// keep Confluence's order; `Tree` keeps it (reversed on request).
fn sort_children(children: &mut [ChildPage], order: ChildOrder, reverse: bool) {
    fn id_num(p: &PageRef) -> u64 {
        match p {
            PageRef::Id(id) => id.0.parse().unwrap_or(u64::MAX),
            _ => u64::MAX,
        }
    }
    match order {
        ChildOrder::Tree => {}
        ChildOrder::Title => children.sort_by(|a, b| {
            a.title
                .to_lowercase()
                .cmp(&b.title.to_lowercase())
                .then_with(|| a.title.cmp(&b.title))
        }),
        ChildOrder::Created => children
            .sort_by(|a, b| (&a.created, id_num(&a.page)).cmp(&(&b.created, id_num(&b.page)))),
        ChildOrder::Modified => children.sort_by(|a, b| a.modified.cmp(&b.modified)),
    }
    if reverse {
        children.reverse();
    }
    for c in children.iter_mut() {
        sort_children(&mut c.children, order, reverse);
    }
}

fn close_level(stack: &mut Vec<(u8, Vec<md::Item>)>) {
    if let Some((_, items)) = stack.pop()
        && let Some(parent) = stack.last_mut().and_then(|s| s.1.last_mut())
    {
        parent.blocks.push(Block::List(md::List {
            ordered: None,
            items,
        }));
    }
}

fn table_rows(t: &Tree, table: NodeId) -> Vec<NodeId> {
    let mut rows = Vec::new();
    for c in t.children(table) {
        match t.name(c) {
            "tr" => rows.push(c),
            "thead" | "tbody" | "tfoot" => rows.extend(t.children_named(c, "tr")),
            _ => {}
        }
    }
    rows
}

/// The JQL of a legacy `jiraissues` macro's URL
/// (`…/SearchRequest.xml?jqlQuery=project+%3D+CME&…`), decoded.
/// A Jira macro's `columns` (comma- or, in the legacy macro, semicolon-
/// separated), lower-case, as field names; Jira's ids for the key and type
/// (`issuekey`, `issuetype`) read as the names Confluence shows. At most 20;
/// none named: [`crate::context::JiraQuery::DEFAULT_COLUMNS`].
pub(crate) fn jira_columns(columns: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in columns.unwrap_or_default().split([',', ';']) {
        let c: String = c
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let c = match c.as_str() {
            "issuekey" => "key".to_owned(),
            "issuetype" => "type".to_owned(),
            _ => c,
        };
        if !c.is_empty() && !out.contains(&c) && out.len() < 20 {
            out.push(c);
        }
    }
    if out.is_empty() {
        return crate::context::JiraQuery::DEFAULT_COLUMNS
            .iter()
            .map(|c| (*c).to_owned())
            .collect();
    }
    out
}

/// A column's heading as Confluence shows it: `due` is "Due", `fixversions`
/// "Fix Versions"; others capitalised.
fn column_heading(c: &str) -> String {
    match c {
        "fixversions" => "Fix Versions".into(),
        "duedate" | "due" => "Due".into(),
        _ => {
            let mut s = c.replace('_', " ");
            if let Some(first) = s.get_mut(..1) {
                first.make_ascii_uppercase();
            }
            s
        }
    }
}

fn legacy_jql(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let raw = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("jqlQuery="))?
        .replace('+', " ");
    let jql = percent_decode(&raw);
    (!jql.trim().is_empty()).then_some(jql)
}

/// The Jira site of a legacy `jiraissues` macro's URL: what comes before
/// `/sr/` (the search-request views) or `/secure/`.
fn legacy_base(url: &str) -> Option<String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let end = url.find("/sr/").or_else(|| url.find("/secure/"))?;
    Some(url[..end].to_owned())
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), b.get(i + 2).and_then(|&c| hex(c)))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}
