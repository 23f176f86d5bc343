//! Inline content as comrak's formatter writes it: text, code spans,
//! emphasis, links and images, raw HTML and breaks, after flattening the
//! model's inlines into the nodes comrak would see.

use super::Writer;
use super::text::{has_scheme, shortest_unused_run};
use crate::render::md::Inline;

/// An inline node as comrak sees it: `Tagged` flattened into its parent,
/// empty text and code dropped, a trailing hard break dropped.
#[derive(Clone, Copy)]
pub(super) enum Node<'a> {
    Text(&'a str),
    Code(&'a str),
    Strong(&'a [Inline]),
    Emph(&'a [Inline]),
    Strike(&'a [Inline]),
    Open(&'static str),
    Close(&'static str),
    Link(&'a str, &'a str, &'a [Inline]),
    Image(&'a str, &'a str, &'a str),
    /// Raw inline HTML or verbatim text.
    Literal(&'a str),
    Break,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Parent {
    Other,
    Strong,
    Emph,
    Strike,
}

fn flatten<'a>(inl: &'a [Inline], in_cell: bool, out: &mut Vec<Node<'a>>) {
    let n = inl.len();
    for (i, x) in inl.iter().enumerate() {
        let node = match x {
            Inline::LineBreak if i + 1 == n => continue,
            Inline::LineBreak if in_cell => Node::Literal("<br>"),
            Inline::LineBreak => Node::Break,
            Inline::Text(t) if t.is_empty() => continue,
            Inline::Text(t) => Node::Text(t),
            Inline::Code(t) if t.is_empty() => continue,
            Inline::Code(t) => Node::Code(t),
            Inline::Strong(c) => Node::Strong(c),
            Inline::Emph(c) => Node::Emph(c),
            Inline::Strike(c) => Node::Strike(c),
            Inline::Tagged(tag, c) => {
                out.push(Node::Open(tag));
                flatten(c, in_cell, out);
                Node::Close(tag)
            }
            Inline::Link {
                url,
                title,
                children,
            } => Node::Link(url, title, children),
            Inline::Image { url, title, alt } => Node::Image(url, title, alt),
            Inline::Html(h) => Node::Literal(h),
            Inline::Raw(r) => Node::Literal(r),
        };
        out.push(node);
    }
}

impl<'a> Writer<'a> {
    pub(super) fn inlines(&mut self, inl: &'a [Inline], parent: Parent, in_cell: bool) {
        let mut nodes = self.pool.pop().unwrap_or_default();
        nodes.clear();
        flatten(inl, in_cell, &mut nodes);
        let n = nodes.len();
        for (j, &x) in nodes.iter().enumerate() {
            self.inline(x, parent, j == 0, j + 1 == n, n, in_cell);
        }
        self.pool.push(nodes);
    }

    fn inline(
        &mut self,
        x: Node<'a>,
        parent: Parent,
        first: bool,
        last: bool,
        siblings: usize,
        in_cell: bool,
    ) {
        match x {
            Node::Text(t) => {
                if parent == Parent::Other {
                    self.text(t);
                    return;
                }
                let leading = first
                    .then(|| t.chars().next().filter(|c| c.is_whitespace()))
                    .flatten();
                let trailing = last
                    .then(|| t.chars().next_back().filter(|c| c.is_whitespace()))
                    .flatten();
                if let Some(l) = leading {
                    self.lit_num(l as u32);
                    if l.len_utf8() == t.len() {
                        return;
                    }
                }
                self.text(
                    &t[leading.map_or(0, char::len_utf8)
                        ..t.len() - trailing.map_or(0, char::len_utf8)],
                );
                if let Some(tr) = trailing {
                    self.lit_num(tr as u32);
                }
            }
            Node::Code(t) => {
                let bytes = t.as_bytes();
                const TICKS: &str = "````````````````";
                let n = shortest_unused_run(bytes);
                let long;
                let ticks = match TICKS.get(..n) {
                    Some(t) => t,
                    None => {
                        long = "`".repeat(n);
                        &long
                    }
                };
                let all_space = bytes.iter().all(|&c| matches!(c, b' ' | b'\r' | b'\n'));
                let edge_space = bytes[0] == b' ' || bytes[bytes.len() - 1] == b' ';
                let edge_tick = bytes[0] == b'`' || bytes[bytes.len() - 1] == b'`';
                let pad = edge_tick || (!all_space && edge_space);
                self.lit(ticks);
                if pad {
                    self.lit(" ");
                }
                self.lit(t);
                if pad {
                    self.lit(" ");
                }
                self.lit(ticks);
            }
            Node::Strong(c) => {
                let delim = parent != Parent::Strong;
                if delim {
                    self.lit("**");
                }
                self.inlines(c, Parent::Strong, in_cell);
                if delim {
                    self.lit("**");
                }
            }
            Node::Emph(c) => {
                let d = if parent == Parent::Emph && siblings == 1 {
                    "_"
                } else {
                    "*"
                };
                self.lit(d);
                self.inlines(c, Parent::Emph, in_cell);
                self.lit(d);
            }
            Node::Strike(c) => {
                self.lit("~~");
                self.inlines(c, Parent::Strike, in_cell);
                self.lit("~~");
            }
            Node::Open(tag) => {
                self.lit("<");
                self.lit(tag);
                self.lit(">");
            }
            Node::Close(tag) => {
                self.lit("</");
                self.lit(tag);
                self.lit(">");
            }
            Node::Link(url, title, children) => {
                let mut nodes = self.pool.pop().unwrap_or_default();
                nodes.clear();
                flatten(children, in_cell, &mut nodes);
                let bare = url.strip_prefix("mailto:").unwrap_or(url);
                let auto = !url.is_empty()
                    && has_scheme(url)
                    && title.is_empty()
                    && matches!(nodes.first(), Some(Node::Text(t)) if *t == bare);
                if auto {
                    self.lit("<");
                    self.lit(bare);
                    self.lit(">");
                } else {
                    self.guard_bang();
                    self.lit("[");
                    let n = nodes.len();
                    for (j, &x) in nodes.iter().enumerate() {
                        self.inline(x, Parent::Other, j == 0, j + 1 == n, n, in_cell);
                    }
                    self.destination(url, title);
                }
                self.pool.push(nodes);
            }
            Node::Image(url, title, alt) => {
                self.lit("![");
                if !alt.is_empty() {
                    self.text(alt);
                }
                self.destination(url, title);
            }
            Node::Literal(s) => self.lit(s),
            Node::Break => {
                if !last {
                    self.lit("\\");
                }
                self.cr();
            }
        }
    }
}
