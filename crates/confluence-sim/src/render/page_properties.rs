//! Page properties: the key/value tables of `details` macros, and the report
//! over them that the `detailssummary` macro renders and
//! `/rest/masterdetail/1.0/detailssummary/lines` pages through. One place, so
//! the macro's first rows and the endpoint's pages agree.

use crate::api::Ctx;
use crate::api::cql::{self, Hit};
use crate::model::{Node as Page, NodeKind};
use crate::render::storage::{self, Element, Node, decode_entities, text_of};

/// What a report shows: CQL, chosen headings, sort.
pub struct ReportSpec {
    pub cql: String,
    /// Comma-separated heading names; empty: every key found, in order.
    pub headings: String,
    /// A heading to sort by; empty: by title.
    pub sort_by: String,
    pub reverse: bool,
    /// What `currentSpace()` in the CQL means (the report's page's space).
    pub current_space: Option<String>,
}

impl ReportSpec {
    /// The headings asked for (empty: take every key found).
    pub fn chosen_headings(&self) -> Vec<String> {
        self.headings
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    }
}

/// One matching page and its values (storage-format fragments), one per heading.
pub struct Line<'a> {
    pub page: &'a Page,
    pub values: Vec<Option<Vec<Node>>>,
}

pub struct Report<'a> {
    pub headings: Vec<String>,
    pub lines: Vec<Line<'a>>,
}

/// A property: its key (text) and its value (storage nodes).
pub type Property = (String, Vec<Node>);

/// The property rows (`th` key, `td` value) of every `details` macro in a body.
pub fn properties(storage_src: &str) -> Vec<Property> {
    let mut out = Vec::new();
    collect_details(&storage::parse(storage_src), &mut out);
    out
}

fn collect_details(nodes: &[Node], out: &mut Vec<Property>) {
    for n in nodes {
        if let Node::Element(e) = n {
            if e.name == "ac:structured-macro" && e.attr("ac:name") == Some("details") {
                if let Some(body) = e.child("ac:rich-text-body") {
                    collect_rows(&body.children, out);
                }
            } else {
                collect_details(&e.children, out);
            }
        }
    }
}

fn collect_rows(nodes: &[Node], out: &mut Vec<Property>) {
    for n in nodes {
        let Node::Element(e) = n else { continue };
        if e.name != "tr" {
            collect_rows(&e.children, out);
            continue;
        }
        let cells: Vec<&Element> = e
            .elements()
            .filter(|c| c.name == "th" || c.name == "td")
            .collect();
        if let [key, value, ..] = cells.as_slice() {
            let key = decode_entities(&text_of(&key.children)).trim().to_string();
            if !key.is_empty() && !out.iter().any(|(k, _)| *k == key) {
                out.push((key, value.children.clone()));
            }
        }
    }
}

/// Runs the report's CQL as the caller; pages without properties are left out.
pub fn report<'a>(ctx: &'a Ctx, spec: &ReportSpec) -> Result<Report<'a>, String> {
    let cql_text = match &spec.current_space {
        Some(key) => spec
            .cql
            .replace("currentSpace()", &format!("\"{}\"", key.replace('"', ""))),
        None => spec.cql.clone(),
    };
    let q = cql::parse(&cql_text)?;
    let site = ctx.site;
    let mut found: Vec<(&Page, Vec<Property>)> = cql::run(site, &q, &ctx.account)
        .into_iter()
        .filter_map(|h| match h {
            Hit::Node(n) if n.kind == NodeKind::Page => Some(n),
            _ => None,
        })
        .filter_map(|n| {
            let props = properties(&site.body_text(n, n.latest()));
            (!props.is_empty()).then_some((n, props))
        })
        .collect();
    let headings: Vec<String> = if spec.chosen_headings().is_empty() {
        let mut h: Vec<String> = Vec::new();
        for (_, props) in &found {
            for (k, _) in props {
                if !h.contains(k) {
                    h.push(k.clone());
                }
            }
        }
        h
    } else {
        spec.chosen_headings()
    };
    let sort_key = |(p, props): &(&Page, Vec<Property>)| -> String {
        if spec.sort_by.is_empty() || spec.sort_by.eq_ignore_ascii_case("title") {
            return p.title().to_string();
        }
        props
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&spec.sort_by))
            .map(|(_, v)| decode_entities(&text_of(v)))
            .unwrap_or_default()
    };
    found.sort_by(|a, b| sort_key(a).cmp(&sort_key(b)).then(a.0.id.cmp(&b.0.id)));
    if spec.reverse {
        found.reverse();
    }
    let lines = found
        .into_iter()
        .map(|(page, mut props)| Line {
            page,
            values: headings
                .iter()
                .map(|h| {
                    props
                        .iter()
                        .position(|(k, _)| k.eq_ignore_ascii_case(h))
                        .map(|i| std::mem::take(&mut props[i].1))
                })
                .collect(),
        })
        .collect();
    Ok(Report { headings, lines })
}
