//! Model → comrak AST → CommonMark/GFM text: the reference for the direct
//! writer (`write/`), kept so the differential tests can compare the two.

use comrak::nodes::{
    AstNode, ListDelimType, ListType, NodeCode, NodeCodeBlock, NodeHeading, NodeHtmlBlock,
    NodeLink, NodeList, NodeTable, NodeTaskItem, NodeValue, TableAlignment,
};
use comrak::{Arena, Options};

use super::md::{AlertKind, Block, Inline};
use super::write::tight_item;

/// Renders blocks to Markdown.
pub fn emit(blocks: &[Block]) -> String {
    let arena = Arena::new();
    let root = arena.alloc(AstNode::from(NodeValue::Document));
    let mut e = Emitter { arena: &arena };
    for b in blocks {
        e.block(root, b);
    }
    let mut opts = Options::default();
    opts.extension.table = true;
    opts.extension.strikethrough = true;
    opts.extension.tasklist = true;
    opts.extension.alerts = true;
    opts.render.list_style = comrak::options::ListStyleType::Dash;
    opts.render.prefer_fenced = true;
    let mut out = String::new();
    // Writing to a String cannot fail.
    let _ = comrak::format_commonmark(root, &opts, &mut out);
    out
}

struct Emitter<'a> {
    arena: &'a Arena<'a>,
}

type N<'a> = &'a AstNode<'a>;

impl<'a> Emitter<'a> {
    fn node(&self, parent: N<'a>, v: NodeValue) -> N<'a> {
        let n = self.arena.alloc(AstNode::from(v));
        parent.append(n);
        n
    }

    fn block(&mut self, parent: N<'a>, b: &Block) {
        match b {
            Block::Para(inl) => {
                if inl.is_empty() {
                    return;
                }
                let p = self.node(parent, NodeValue::Paragraph);
                self.inlines(p, inl, false);
            }
            Block::Heading(level, inl) => {
                let h = self.node(
                    parent,
                    NodeValue::Heading(NodeHeading {
                        level: (*level).clamp(1, 6),
                        setext: false,
                        closed: false,
                    }),
                );
                self.inlines(h, inl, false);
            }
            Block::Code { info, literal } => {
                let mut literal = literal.clone();
                if !literal.ends_with('\n') {
                    literal.push('\n');
                }
                // An info string may not contain a backtick with ``` fences; comrak
                // switches to ~~~ then, but keep it a single word anyway.
                let info: String = info.split_whitespace().next().unwrap_or("").to_owned();
                self.node(
                    parent,
                    NodeValue::CodeBlock(Box::new(NodeCodeBlock {
                        fenced: true,
                        fence_char: b'`',
                        fence_length: 3,
                        fence_offset: 0,
                        info,
                        literal,
                        closed: true,
                    })),
                );
            }
            Block::Quote(bs) => {
                let q = self.node(parent, NodeValue::BlockQuote);
                for b in bs {
                    self.block(q, b);
                }
            }
            Block::Alert(kind, bs) => {
                use comrak::nodes::{AlertType, NodeAlert};
                let alert_type = match kind {
                    AlertKind::Note => AlertType::Note,
                    AlertKind::Tip => AlertType::Tip,
                    AlertKind::Important => AlertType::Important,
                    AlertKind::Warning => AlertType::Warning,
                    AlertKind::Caution => AlertType::Caution,
                };
                let a = self.node(
                    parent,
                    NodeValue::Alert(Box::new(NodeAlert {
                        alert_type,
                        title: None,
                        multiline: false,
                        fence_length: 0,
                        fence_offset: 0,
                    })),
                );
                for b in bs {
                    self.block(a, b);
                }
            }
            Block::List(list) => {
                if list.items.is_empty() {
                    return;
                }
                let is_task = list.items.iter().any(|i| i.task.is_some());
                let tight = list.items.iter().all(|i| tight_item(&i.blocks));
                let nl = NodeList {
                    list_type: if list.ordered.is_some() {
                        ListType::Ordered
                    } else {
                        ListType::Bullet
                    },
                    marker_offset: 0,
                    padding: 2,
                    start: list.ordered.unwrap_or(1),
                    delimiter: ListDelimType::Period,
                    bullet_char: b'-',
                    tight,
                    is_task_list: is_task,
                };
                let l = self.node(parent, NodeValue::List(nl));
                for (i, item) in list.items.iter().enumerate() {
                    let v = match item.task {
                        Some(done) => NodeValue::TaskItem(NodeTaskItem {
                            symbol: done.then_some('x'),
                            symbol_sourcepos: (0, 0, 0, 0).into(),
                        }),
                        None => NodeValue::Item(NodeList {
                            start: list.ordered.unwrap_or(1) + i,
                            ..nl
                        }),
                    };
                    let it = self.node(l, v);
                    for b in &item.blocks {
                        self.block(it, b);
                    }
                }
            }
            Block::Rule => {
                self.node(parent, NodeValue::ThematicBreak);
            }
            Block::Toc(_) => {}
            // Built only for the direct writer (`tables.rs`).
            Block::PipeTable(_) => {}
            Block::Table(rows) => {
                let cols = rows.first().map_or(0, Vec::len);
                if cols == 0 {
                    return;
                }
                let t = self.node(
                    parent,
                    NodeValue::Table(Box::new(NodeTable {
                        alignments: vec![TableAlignment::None; cols],
                        num_columns: cols,
                        num_rows: rows.len(),
                        num_nonempty_cells: 0,
                    })),
                );
                for (ri, row) in rows.iter().enumerate() {
                    let r = self.node(t, NodeValue::TableRow(ri == 0));
                    for cell in row {
                        let c = self.node(r, NodeValue::TableCell);
                        self.inlines(c, cell, true);
                    }
                }
            }
            Block::Html(s) => {
                let mut literal = s.clone();
                if !literal.ends_with('\n') {
                    literal.push('\n');
                }
                self.node(
                    parent,
                    NodeValue::HtmlBlock(NodeHtmlBlock {
                        block_type: 6,
                        literal,
                    }),
                );
            }
        }
    }

    fn inlines(&mut self, parent: N<'a>, inl: &[Inline], in_cell: bool) {
        let n = inl.len();
        for (i, x) in inl.iter().enumerate() {
            // A trailing hard break renders as a literal backslash: drop it.
            if matches!(x, Inline::LineBreak) && (i + 1 == n) {
                continue;
            }
            self.inline(parent, x, in_cell);
        }
    }

    fn inline(&mut self, parent: N<'a>, x: &Inline, in_cell: bool) {
        match x {
            Inline::Text(t) => {
                if !t.is_empty() {
                    self.node(parent, NodeValue::Text(t.clone().into()));
                }
            }
            Inline::Code(t) => {
                if t.is_empty() {
                    return;
                }
                self.node(
                    parent,
                    NodeValue::Code(NodeCode {
                        num_backticks: 1,
                        literal: t.clone(),
                    }),
                );
            }
            Inline::Strong(c) => {
                let s = self.node(parent, NodeValue::Strong);
                self.inlines(s, c, in_cell);
            }
            Inline::Emph(c) => {
                let s = self.node(parent, NodeValue::Emph);
                self.inlines(s, c, in_cell);
            }
            Inline::Strike(c) => {
                let s = self.node(parent, NodeValue::Strikethrough);
                self.inlines(s, c, in_cell);
            }
            Inline::Tagged(tag, c) => {
                self.node(parent, NodeValue::HtmlInline(format!("<{tag}>")));
                self.inlines(parent, c, in_cell);
                self.node(parent, NodeValue::HtmlInline(format!("</{tag}>")));
            }
            Inline::Link {
                url,
                title,
                children,
            } => {
                let l = self.node(
                    parent,
                    NodeValue::Link(Box::new(NodeLink {
                        url: url.clone(),
                        title: title.clone(),
                    })),
                );
                self.inlines(l, children, in_cell);
            }
            Inline::Image { url, title, alt } => {
                let l = self.node(
                    parent,
                    NodeValue::Image(Box::new(NodeLink {
                        url: url.clone(),
                        title: title.clone(),
                    })),
                );
                if !alt.is_empty() {
                    self.node(l, NodeValue::Text(alt.clone().into()));
                }
            }
            Inline::Html(h) => {
                self.node(parent, NodeValue::HtmlInline(h.clone()));
            }
            Inline::Raw(r) => {
                self.node(parent, NodeValue::Raw(r.clone()));
            }
            Inline::LineBreak => {
                if in_cell {
                    self.node(parent, NodeValue::HtmlInline("<br>".into()));
                } else {
                    self.node(parent, NodeValue::LineBreak);
                }
            }
        }
    }
}
