//! `ac:structured-macro` dispatch. Each macro returns inline content (joins
//! the surrounding paragraph) or blocks.

mod code;
mod dynamic;
mod images;
mod links;
mod misc;
mod panels;

pub(crate) use dynamic::TocSpec;
pub(crate) use links::page_ref;
pub(crate) use panels::panel_kind;

use super::Renderer;
use super::md::{Block, Inline};
use crate::parse::{NodeId, Tree};

/// What a macro produced.
pub(crate) enum Out {
    Inline(Vec<Inline>),
    Blocks(Vec<Block>),
}

/// A macro's parameters by name (`""` is the default parameter).
pub(crate) struct Params<'t> {
    list: Vec<(&'t str, NodeId)>,
}

impl<'t> Params<'t> {
    pub(crate) fn of(t: &'t Tree, m: NodeId) -> Params<'t> {
        let mut list = Vec::new();
        for c in t.children(m) {
            match t.name(c) {
                "ac:parameter" => list.push((t.attr(c, "ac:name").unwrap_or(""), c)),
                "ac:default-parameter" => list.push(("", c)),
                _ => {}
            }
        }
        Params { list }
    }

    /// Parameter names and nodes in source order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&'t str, NodeId)> + '_ {
        self.list.iter().copied()
    }

    pub(crate) fn node(&self, name: &str) -> Option<NodeId> {
        self.list
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, id)| *id)
    }

    /// Trimmed text of a parameter; `None` when absent or blank.
    pub(crate) fn text(&self, t: &Tree, name: &str) -> Option<String> {
        let s = super::inline::collapse(&t.text_content(self.node(name)?));
        (!s.is_empty()).then_some(s)
    }

    pub(crate) fn flag(&self, t: &Tree, name: &str) -> bool {
        self.text(t, name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// Embeds (diagrams, files, widgets) stand on their own line.
fn para(inl: Vec<Inline>) -> Out {
    if inl.is_empty() {
        Out::Inline(inl)
    } else {
        Out::Blocks(vec![Block::Para(inl)])
    }
}

impl Renderer<'_> {
    pub(crate) fn macro_(&mut self, t: &Tree, m: NodeId) -> Out {
        let raw = t.attr(m, "ac:name").unwrap_or("");
        // Names are almost always lower-case already: no copy then.
        let name: std::borrow::Cow<str> = if raw.bytes().any(|b| b.is_ascii_uppercase()) {
            raw.to_ascii_lowercase().into()
        } else {
            raw.into()
        };
        let p = Params::of(t, m);
        match &*name {
            "code" | "noformat" | "plantuml" | "mermaid" | "mermaid-macro" | "mathblock"
            | "latex" | "sql" | "sql-query" => Out::Blocks(self.code_macro(t, m, &name, &p)),
            "mathinline" => Out::Inline(self.math_inline(t, m, &p)),
            "info" | "note" | "warning" | "tip" | "panel" => {
                Out::Blocks(self.panel(t, m, &name, &p))
            }
            "expand" => Out::Blocks(self.expand(t, m, &p)),
            "alert" => Out::Blocks(self.app_alert(t, m, &p)),
            "status" => Out::Inline(misc::status(t, &p)),
            "anchor" => Out::Inline(misc::anchor(t, &p)),
            // One issue sits in its sentence; a list of issues (a table in
            // Confluence) is a paragraph of its own.
            "jira" if p.text(t, "key").is_some_and(|k| !k.trim().is_empty()) => {
                let key = p.text(t, "key").unwrap_or_default().trim().to_owned();
                Out::Inline(self.jira_single(t, &p, key))
            }
            // A count sits in its sentence, as in Confluence.
            "jira" | "jiraissues" if p.flag(t, "count") => {
                let mut blocks = self.jira_list(t, &p);
                match (blocks.len(), blocks.pop()) {
                    (1, Some(Block::Para(inl))) => Out::Inline(inl),
                    (_, Some(b)) => {
                        blocks.push(b);
                        Out::Blocks(blocks)
                    }
                    (_, None) => Out::Blocks(blocks),
                }
            }
            "jira" | "jiraissues" => Out::Blocks(self.jira_list(t, &p)),
            "toc" | "toc-zone" => Out::Blocks(self.toc(t, m, &p)),
            "children" | "pagetree" => Out::Blocks(self.children_macro(t, &p)),
            // Hidden excerpts show only where they are included.
            "excerpt" if p.flag(t, "hidden") => Out::Blocks(Vec::new()),
            "excerpt" => {
                let inline = p.text(t, "atlassian-macro-output-type").as_deref() == Some("INLINE");
                let mut blocks = Vec::new();
                self.flat += u32::from(inline);
                self.rich_body(t, m, &mut blocks);
                self.flat -= u32::from(inline);
                if inline {
                    let mut inl = Vec::new();
                    super::flatten(blocks, &mut inl);
                    Out::Inline(inl)
                } else {
                    Out::Blocks(blocks)
                }
            }
            "include" | "excerpt-include" => Out::Blocks(self.include_macro(t, &name, &p)),
            "details" | "page-properties" => Out::Blocks(self.details_macro(t, m)),
            "detailssummary" | "page-properties-report" => Out::Blocks(self.details_summary(t, &p)),
            "drawio" | "drawio-sketch" | "inc-drawio" | "gliffy" => {
                para(self.diagram(t, &name, &p))
            }
            "plantumlcloud" => Out::Blocks(self.plantuml_cloud(t, &name, &p)),
            "mermaid-cloud" => para(self.diagram_attachment(t, &name, &p)),
            "multimedia" | "view-file" | "viewpdf" | "viewdoc" | "viewxls" | "viewppt"
            | "viewfile" => para(self.view_file(t, &p)),
            "attachments" => Out::Blocks(self.attachments_macro()),
            "widget" => para(self.widget(t, &p)),
            "img" | "image" => para(self.img_macro(t, &p)),
            "section" | "column" | "div" | "layout" => {
                let mut blocks = Vec::new();
                self.rich_body(t, m, &mut blocks);
                Out::Blocks(blocks)
            }
            _ => self.unknown_macro(t, m, &name, &p),
        }
    }

    /// The rich-text body (or, failing that, any non-parameter content).
    pub(crate) fn rich_body(&mut self, t: &Tree, m: NodeId, out: &mut Vec<Block>) {
        let bodies: Vec<NodeId> = t.children_named(m, "ac:rich-text-body").collect();
        match bodies.is_empty() {
            // Some content has several bodies; keep them all.
            false => {
                for b in bodies {
                    self.block_children(t, b, out);
                }
            }
            true => {
                if let Some(b) = t.child(m, "ac:plain-text-body") {
                    let text = t.text_content(b);
                    if !text.trim().is_empty() {
                        out.push(Block::Code {
                            info: String::new(),
                            literal: text,
                        });
                    }
                }
            }
        }
    }
}
