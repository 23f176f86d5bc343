//! Macros whose output is gathered from outside their own storage: `toc`
//! (the page's headings), `children` (the page tree), `detailssummary` (a
//! page-properties report over a CQL search) and `include` /
//! `excerpt-include` (another page's body). Apart from the other macros
//! because each one walks the site, with its own limits and guards.

use std::fmt::Write as _;

use super::{R, render_nodes};
use crate::model::{Node as Page, NodeKind, Status};
use crate::render::storage::{self, Element, Node, decode_entities, escape_text};

impl R<'_, '_> {
    /// `view`: the empty placeholder Confluence's script fills in the
    /// browser; `export_view`: the server-rendered nested list, which has no
    /// macro attributes (real export views drop them for this macro).
    pub(super) fn toc(&mut self, e: &Element, ma: &str) {
        let p = |k: &str| e.param(k).unwrap_or_default();
        let min: u8 = p("minLevel").parse().unwrap_or(1).clamp(1, 7);
        let max: u8 = p("maxLevel").parse().unwrap_or(7).clamp(min, 7);
        if !self.absolute {
            let levels: Vec<String> = (min..=max).map(|l| format!("H{l}")).collect();
            let _ = write!(
                self.out,
                "<div class=\"toc-macro client-side-toc-macro conf-macro output-block\" data-headerelements=\"{}\"",
                levels.join(",")
            );
            // Parameters the script reads, under the names real pages use.
            for (param, attr) in [
                ("style", "cssliststyle"),
                ("indent", "csslistindent"),
                ("outline", "numberedoutline"),
                ("type", "structure"),
                ("exclude", "excludeheaderregex"),
                ("include", "includeheaderregex"),
            ] {
                if let Some(v) = e.param(param) {
                    let _ = write!(self.out, " data-{attr}=\"{}\"", escape_text(&v));
                }
            }
            let _ = write!(self.out, " {ma}></div>");
            return;
        }
        let _ = write!(
            self.out,
            "<div class=\"toc-macro rbtoc{}\">",
            self.page.modified_ms()
        );
        let mut open: Vec<u8> = Vec::new();
        for (lvl, id, text) in self.headings.clone() {
            if !(min..=max).contains(&lvl) {
                continue;
            }
            match open.last().copied() {
                None => {
                    self.out.push_str("<ul class=\"toc-indentation\">");
                    open.push(lvl);
                }
                Some(top) if lvl > top => {
                    self.out.push_str("<ul class=\"toc-indentation\">");
                    open.push(lvl);
                }
                Some(_) => {
                    while open.len() > 1 && open.last().is_some_and(|&t| t > lvl) {
                        self.out.push_str("</li></ul>");
                        open.pop();
                    }
                    self.out.push_str("</li>");
                }
            }
            let _ = write!(
                self.out,
                "<li><a href=\"#{}\">{}</a>",
                escape_text(&id),
                escape_text(&text)
            );
        }
        for _ in open {
            self.out.push_str("</li></ul>");
        }
        self.out.push_str("</div>");
    }

    /// The children macro: `page` (another parent), `sort` (creation, title,
    /// modified; default the tree's order), `reverse`, `first`, and how deep:
    /// `depth` levels, or every level with `all=true`, else one.
    pub(super) fn children(&mut self, e: &Element, ma: &str) {
        let p = |k: &str| e.param(k).unwrap_or_default();
        let parent = e
            .param_el("page")
            .and_then(|pe| pe.child("ac:link"))
            .and_then(|l| l.child("ri:page"))
            .and_then(|ri| {
                let title = decode_entities(ri.attr("ri:content-title").unwrap_or(""));
                self.page_link(ri.attr("ri:space-key"), &title).1
            })
            .and_then(|id| self.ctx.site.node(id))
            .unwrap_or(self.page);
        let depth = match p("depth").parse::<usize>() {
            Ok(d) if d > 0 => d,
            _ if p("all") == "true" => usize::MAX,
            _ => 1,
        };
        let opts = ChildrenOpts {
            sort: p("sort").to_ascii_lowercase(),
            reverse: p("reverse") == "true",
            first: p("first").parse().ok().filter(|&n: &usize| n > 0),
        };
        let _ = write!(
            self.out,
            "<ul class=\"childpages-macro conf-macro output-block\" {ma}>"
        );
        self.child_items(parent, depth, &opts);
        self.out.push_str("</ul>");
    }

    fn child_items(&mut self, parent: &Page, depth: usize, opts: &ChildrenOpts) {
        let mut kids: Vec<&Page> = parent
            .children
            .iter()
            .filter_map(|c| self.ctx.site.node(*c))
            .filter(|c| {
                c.kind == NodeKind::Page
                    && c.status == Status::Current
                    && self.ctx.site.can_read(c, &self.ctx.account)
            })
            .collect();
        match opts.sort.as_str() {
            "creation" => kids.sort_by_key(|c| (c.created_ms, c.id)),
            "title" => kids.sort_by(|a, b| a.title().cmp(b.title())),
            "modified" => kids.sort_by_key(|c| (c.modified_ms(), c.id)),
            _ => {}
        }
        if opts.reverse {
            kids.reverse();
        }
        if let Some(n) = opts.first {
            kids.truncate(n);
        }
        for c in kids {
            let href = self.url(&crate::api::v1::webui(self.ctx, c, c.title()));
            let _ = write!(
                self.out,
                "<li><a href=\"{href}\">{}</a>",
                escape_text(c.title())
            );
            let has_kids = c.children.iter().any(|k| {
                self.ctx
                    .site
                    .node(*k)
                    .is_some_and(|k| k.kind == NodeKind::Page && k.status == Status::Current)
            });
            if depth > 1 && has_kids {
                self.out.push_str("<ul class=\"childpages-macro\">");
                self.child_items(
                    c,
                    depth - 1,
                    &ChildrenOpts {
                        first: None,
                        ..opts.clone()
                    },
                );
                self.out.push_str("</ul>");
            }
            self.out.push_str("</li>");
        }
    }

    /// The page-properties report: a `metadata-summary-macro` table with one
    /// row per matching page (its first `pageSize`; the REST endpoint pages
    /// through the rest).
    pub(super) fn details_summary(&mut self, e: &Element, ma: &str) {
        let p = |k: &str| e.param(k).unwrap_or_default();
        let spec = crate::render::page_properties::ReportSpec {
            cql: p("cql"),
            headings: p("headings"),
            sort_by: p("sortBy"),
            reverse: p("reverseSort") == "true",
            current_space: self
                .ctx
                .site
                .spaces
                .get(&self.page.space_id)
                .map(|s| s.key.to_string()),
        };
        let page_size: usize = p("pageSize").parse().ok().filter(|&n| n > 0).unwrap_or(30);
        let first = match p("firstcolumn") {
            f if f.is_empty() => "Title".to_string(),
            f => f,
        };
        let report = crate::render::page_properties::report(self.ctx, &spec);
        let (headings, lines) = match &report {
            Ok(r) => (r.headings.clone(), &r.lines[..]),
            Err(_) => (spec.chosen_headings(), &[][..]),
        };
        let _ = write!(
            self.out,
            "<div class=\"table-wrap conf-macro output-block\" {ma}><table class=\"metadata-summary-macro\" data-cql=\"{}\" data-headings=\"{}\" data-first-column-heading=\"{}\" data-page-size=\"{page_size}\" data-sort-by=\"{}\" data-reverse-sort=\"{}\" data-current-content-id=\"{}\"><thead><tr><th class=\"confluenceTh\">{}</th>",
            escape_text(&spec.cql),
            escape_text(&headings.join(",")),
            escape_text(&first),
            escape_text(&spec.sort_by),
            spec.reverse,
            self.page.id,
            escape_text(&first),
        );
        for h in &headings {
            let _ = write!(
                self.out,
                "<th class=\"confluenceTh\">{}</th>",
                escape_text(h)
            );
        }
        self.out.push_str("</tr></thead><tbody>");
        for line in lines.iter().take(page_size) {
            let href = self.url(&crate::api::v1::webui(
                self.ctx,
                line.page,
                line.page.title(),
            ));
            let _ = write!(
                self.out,
                "<tr><td class=\"confluenceTd title\"><a href=\"{href}\" data-linked-resource-id=\"{}\" data-linked-resource-type=\"page\">{}</a></td>",
                line.page.id,
                escape_text(line.page.title())
            );
            for v in &line.values {
                self.out.push_str("<td class=\"confluenceTd\">");
                if let Some(nodes) = v {
                    self.out
                        .push_str(&render_nodes(self.ctx, line.page, nodes, self.absolute));
                }
                self.out.push_str("</td>");
            }
            self.out.push_str("</tr>");
        }
        self.out.push_str("</tbody></table></div>");
    }

    pub(super) fn include(&mut self, e: &Element, name: &str) {
        let Some(link) = e.param_el("").and_then(|p| p.child("ac:link")) else {
            return;
        };
        let Some(ri) = link.child("ri:page") else {
            return;
        };
        let title = decode_entities(ri.attr("ri:content-title").unwrap_or(""));
        let (_, id) = self.page_link(ri.attr("ri:space-key"), &title);
        let Some(target) = id.and_then(|i| self.ctx.site.node(i)) else {
            let _ = write!(
                self.out,
                "<div class=\"error\">Unable to render {{{name}}}: page {} could not be found.</div>",
                escape_text(&title)
            );
            return;
        };
        if self.depth >= 3 || target.id == self.page.id {
            return;
        }
        let ma = self.macro_attrs(e, name);
        let src = self
            .ctx
            .site
            .body_text(target, target.latest())
            .into_owned();
        let tree = storage::parse(&src);
        self.depth += 1;
        let _ = write!(self.out, "<div class=\"conf-macro output-block\" {ma}>");
        if name == "excerpt-include" {
            if let Some(ex) = find_macro(&tree, "excerpt") {
                self.rich_body(ex);
            }
        } else {
            self.nodes(&tree);
        }
        self.out.push_str("</div>");
        self.depth -= 1;
    }
}

#[derive(Clone)]
struct ChildrenOpts {
    sort: String,
    reverse: bool,
    first: Option<usize>,
}

fn find_macro<'a>(nodes: &'a [Node], name: &str) -> Option<&'a Element> {
    for n in nodes {
        if let Node::Element(e) = n {
            if e.name == "ac:structured-macro" && e.attr("ac:name") == Some(name) {
                return Some(e);
            }
            if let Some(f) = find_macro(&e.children, name) {
                return Some(f);
            }
        }
    }
    None
}
