//! Storage → `body.view` / `body.export_view` HTML: common macros rendered
//! roughly the way Confluence renders them, unknown macros as their body.
//!
//! This file holds the renderer's state, plain elements, headings and the
//! `ac:`/`ri:` element dispatch; links and images, self-contained macros,
//! and macros that read the rest of the site each have their own file.

mod links;
mod macros;
mod site_macros;

use std::fmt::Write as _;

use crate::api::Ctx;
use crate::model::Node as Page;
use crate::render::storage::{self, Element, Node, decode_entities, escape_text, text_of};

pub fn escape(s: &str) -> String {
    escape_text(s)
}

struct R<'a, 'c> {
    ctx: &'a Ctx<'c>,
    page: &'a Page,
    /// Absolute URLs (export views).
    absolute: bool,
    out: String,
    expanders: usize,
    /// Include/excerpt-include nesting guard.
    depth: usize,
    headings: Vec<(u8, String, String)>,
    /// Macros rendered so far: seeds ids for macros stored without `ac:macro-id`.
    macros: u64,
}

/// Confluence's anchor id for a heading: `PageTitle-HeadingText`, no spaces.
fn anchor(title: &str, text: &str) -> String {
    let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    format!("{}-{}", strip(title), strip(text))
}

fn collect_headings(nodes: &[Node], title: &str, out: &mut Vec<(u8, String, String)>) {
    for n in nodes {
        if let Node::Element(e) = n {
            let b = e.name.as_bytes();
            if b.len() == 2 && b[0] == b'h' && (b'1'..=b'6').contains(&b[1]) {
                let text = decode_entities(&text_of(&e.children));
                out.push((b[1] - b'0', anchor(title, &text), text));
            } else {
                collect_headings(&e.children, title, out);
            }
        }
    }
}

/// Renders a storage body as view HTML (`format`: view, export_view, …).
pub fn render(ctx: &Ctx, page: &Page, storage_src: &str, format: &str) -> String {
    let tree = storage::parse(storage_src);
    let mut headings = Vec::new();
    collect_headings(&tree, page.title(), &mut headings);
    let mut r = R {
        ctx,
        page,
        absolute: format != "view",
        out: String::with_capacity(storage_src.len() + 256),
        expanders: 0,
        depth: 0,
        headings,
        macros: 0,
    };
    r.nodes(&tree);
    r.out
}

/// Renders already-parsed storage nodes of `page` (a page-properties value).
pub(crate) fn render_nodes(ctx: &Ctx, page: &Page, nodes: &[Node], absolute: bool) -> String {
    let mut r = R {
        ctx,
        page,
        absolute,
        out: String::new(),
        expanders: 0,
        depth: 1,
        headings: Vec::new(),
        macros: 0,
    };
    r.nodes(nodes);
    r.out
}

impl R<'_, '_> {
    /// A site URL, HTML-escaped for use in an attribute.
    fn url(&self, path: &str) -> String {
        let prefix = if self.absolute {
            self.ctx.base.as_str()
        } else {
            self.ctx.context
        };
        escape_text(&format!("{prefix}{path}"))
    }

    fn nodes(&mut self, nodes: &[Node]) {
        for n in nodes {
            match n {
                Node::Text(t) => self.out.push_str(t),
                Node::CData(c) => self.out.push_str(&escape_text(c)),
                Node::Element(e) => self.element(e),
            }
        }
    }

    fn attrs(&mut self, e: &Element) {
        for (k, v) in &e.attrs {
            if k.contains(':') || k == "local-id" {
                continue;
            }
            let _ = write!(self.out, " {k}=\"{v}\"");
        }
    }

    fn element(&mut self, e: &Element) {
        let name = e.name.as_str();
        if ["ac:", "ri:", "at:"].iter().any(|p| name.starts_with(p)) {
            return self.confluence(e);
        }
        if name == "time" {
            let d = e.attr("datetime").unwrap_or("");
            let _ = write!(
                self.out,
                "<time datetime=\"{d}\" class=\"date-past\">{d}</time>"
            );
            return;
        }
        let b = name.as_bytes();
        let heading = b.len() == 2 && b[0] == b'h' && (b'1'..=b'6').contains(&b[1]);
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(e);
        if heading {
            let text = decode_entities(&text_of(&e.children));
            let _ = write!(
                self.out,
                " id=\"{}\"",
                escape_text(&anchor(self.page.title(), &text))
            );
        }
        if ["br", "hr", "img", "col"].contains(&name) {
            self.out.push_str(" />");
            return;
        }
        self.out.push('>');
        self.nodes(&e.children);
        let _ = write!(self.out, "</{name}>");
    }

    fn rich_body(&mut self, e: &Element) {
        if let Some(b) = e.child("ac:rich-text-body") {
            self.nodes(&b.children);
        } else if let Some(t) = e.plain_body() {
            self.out.push_str(&escape_text(&t));
        }
    }

    fn confluence(&mut self, e: &Element) {
        match e.name.as_str() {
            "ac:structured-macro" | "ac:macro" => self.macro_(e),
            "ac:link" => self.link(e),
            "ac:image" => self.image(e),
            "ac:emoticon" => {
                // Real pages: class, `data-emoticon-name` and alt `(name)`,
                // plus the emoji attributes when the storage has them.
                let name = escape_text(&decode_entities(e.attr("ac:name").unwrap_or("")));
                let _ = write!(
                    self.out,
                    "<img class=\"emoticon emoticon-{name}\" data-emoticon-name=\"{name}\""
                );
                for (k, attr) in [
                    ("ac:emoji-id", "data-emoji-id"),
                    ("ac:emoji-shortname", "data-emoji-shortname"),
                    ("ac:emoji-fallback", "data-emoji-fallback"),
                ] {
                    if let Some(v) = e.attr(k) {
                        let _ = write!(self.out, " {attr}=\"{v}\"");
                    }
                }
                let _ = write!(
                    self.out,
                    " src=\"{}\" alt=\"({name})\" border=\"0\" />",
                    self.url(&format!("/images/icons/emoticons/{name}.svg"))
                );
            }
            "ac:task-list" => {
                let _ = write!(
                    self.out,
                    "<ul class=\"inline-task-list\" data-inline-tasks-content-id=\"{}\">",
                    self.page.id
                );
                for t in e.elements().filter(|t| t.name == "ac:task") {
                    let done = t.child("ac:task-status").map(|s| text_of(&s.children))
                        == Some("complete".into());
                    let id = t
                        .child("ac:task-id")
                        .map(|s| text_of(&s.children))
                        .unwrap_or_default();
                    let _ = write!(
                        self.out,
                        "<li data-inline-task-id=\"{id}\"{}>",
                        if done { " class=\"checked\"" } else { "" }
                    );
                    if let Some(b) = t.child("ac:task-body") {
                        self.nodes(&b.children);
                    }
                    self.out.push_str("</li>");
                }
                self.out.push_str("</ul>");
            }
            "ac:inline-comment-marker" => {
                let _ = write!(
                    self.out,
                    "<span class=\"inline-comment-marker\" data-ref=\"{}\">",
                    e.attr("ac:ref").unwrap_or("")
                );
                self.nodes(&e.children);
                self.out.push_str("</span>");
            }
            "ac:layout" => {
                self.out.push_str("<div class=\"contentLayout2\">");
                self.nodes(&e.children);
                self.out.push_str("</div>");
            }
            "ac:layout-section" => {
                let t = e.attr("ac:type").unwrap_or("single").replace('_', "-");
                let _ = write!(
                    self.out,
                    "<div class=\"columnLayout {t}\" data-layout=\"{t}\">"
                );
                self.nodes(&e.children);
                self.out.push_str("</div>");
            }
            "ac:layout-cell" => {
                self.out.push_str(
                    "<div class=\"cell normal\" data-type=\"normal\"><div class=\"innerCell\">",
                );
                self.nodes(&e.children);
                self.out.push_str("</div></div>");
            }
            "ac:adf-extension" => {
                // Panels render as panels (as real views do); other ADF-only
                // nodes as their fallback.
                let node = e.child("ac:adf-node");
                if let Some(n) = node.filter(|n| n.attr("type") == Some("panel")) {
                    self.adf_node(n);
                } else if let Some(f) = e.child("ac:adf-fallback") {
                    self.nodes(&f.children);
                } else if let Some(n) = node {
                    self.adf_node(n);
                }
            }
            "ac:adf-node" => self.adf_node(e),
            "ac:placeholder" | "ac:parameter" | "ac:adf-mark" | "ac:task-id" | "ac:task-uuid" => {}
            "ac:rich-text-body" | "ac:link-body" | "ac:adf-content" | "ac:adf-fragment-mark" => {
                self.nodes(&e.children)
            }
            _ => {
                if e.name.starts_with("ac:") {
                    self.nodes(&e.children);
                }
            }
        }
    }

    fn adf_node(&mut self, n: &Element) {
        let ty = n.attr("type").unwrap_or("");
        let attr = |k: &str| {
            n.elements()
                .find(|a| a.name == "ac:adf-attribute" && a.attr("key") == Some(k))
                .map(|a| decode_entities(&text_of(&a.children)))
        };
        if ty == "panel" {
            // Editor panels have no macro id: real views carry an empty one,
            // and the panel type only as its colours.
            let (bg, border) = match attr("panel-type").as_deref().unwrap_or("info") {
                "note" => ("#EAE6FF", "#998DD9"),
                "success" => ("#E3FCEF", "#57D9A3"),
                "warning" => ("#FFFAE6", "#FFC400"),
                "error" => ("#FFEBE6", "#FF8F73"),
                _ => ("#DEEBFF", "#4C9AFF"),
            };
            let _ = write!(
                self.out,
                "<div class=\"panel conf-macro output-block\" data-hasbody=\"true\" data-macro-id=\"\" data-macro-name=\"panel\" style=\"background-color: {bg};border-color: {border};border-width: 1px;\"><div class=\"panelContent\" style=\"background-color: {bg};\">"
            );
            if let Some(c) = n.child("ac:adf-content") {
                self.nodes(&c.children);
            }
            self.out.push_str("</div></div>");
        } else {
            let _ = write!(self.out, "<div data-adf-type=\"{ty}\">");
            for c in n.elements() {
                match c.name.as_str() {
                    "ac:adf-content" => self.nodes(&c.children),
                    "ac:adf-node" => self.adf_node(c),
                    _ => {}
                }
            }
            self.out.push_str("</div>");
        }
    }
}
