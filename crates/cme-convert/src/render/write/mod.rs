//! Model → CommonMark/GFM text, written directly to a `String`.
//!
//! A port of comrak's CommonMark formatter (`cm.rs`, comrak 0.59) restricted
//! to the nodes the model produces and to the options `emit.rs` sets (no
//! wrapping, `-` bullets, fenced code, GFM tables, alerts). It keeps the
//! formatter's state machine (pending newlines, line prefix, "beginning of
//! content", tight-list state, `|` escaping in table cells) so the output is
//! byte for byte comrak's; `tests/differential.rs` and the model proptest
//! below compare the two on every corpus document, every snapshot input and
//! generated documents. What it saves is comrak's arena AST and its
//! per-character `String` allocations.
//!
//! This file holds the streaming entry points and the writer's state;
//! `text.rs` (output primitives and escaping), `blocks.rs` and `inlines.rs`
//! hold the formatter itself, split by what it writes.

mod blocks;
mod inlines;
mod text;

use super::md::{AlertKind, Block, Inline, Item};
use inlines::{Node, Parent};

/// How much text is escaped.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Escapes {
    /// Only what would change the rendering where it stands (`Thanks!`,
    /// `a > b`, `Q&A`, `snake_case` stay as they are).
    Minimal,
    /// comrak's rules: every character that could mean something
    /// anywhere. The writer then gives comrak's bytes exactly, which is
    /// how the differential tests check the port's structure.
    Comrak,
}

/// Renders blocks to Markdown (same bytes as comrak's formatter).
#[cfg(test)]
pub fn write(blocks: &[Block]) -> String {
    let mut s = Stream::with_capacity(4096, Escapes::Comrak);
    s.write(blocks, blocks.len());
    s.finish()
}

/// A document written a few top-level blocks at a time, so the renderer
/// can drop each block once it is text: a page's Markdown model is many
/// times the size of its Markdown. Between top-level blocks the writer's
/// only state is the output and where it stands in it (no line prefix, no
/// open list or table), which this keeps.
pub(crate) struct Stream {
    out: String,
    /// The line prefix of the quotes and list items entered (see
    /// [`Stream::enter_quote`], [`Stream::enter_list`]).
    prefix: String,
    /// Numbers of the ordered lists entered.
    ol_stack: Vec<usize>,
    /// A list was left: whether it needs an end marker depends on the
    /// next block written.
    after_list: bool,
    need_cr: u8,
    begin_line: bool,
    begin_content: bool,
    in_tight: bool,
    escapes: Escapes,
}

impl Stream {
    /// An empty document with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize, escapes: Escapes) -> Self {
        Stream {
            escapes,
            out: String::with_capacity(capacity),
            prefix: String::new(),
            ol_stack: Vec::new(),
            after_list: false,
            need_cr: 0,
            begin_line: true,
            begin_content: true,
            in_tight: false,
        }
    }

    /// Writes the top-level `blocks[..upto]`; the blocks after `upto` are
    /// only looked at (a list's end depends on what follows it), so
    /// `blocks[upto]` must be the next block that is written at all.
    pub(crate) fn write(&mut self, blocks: &[Block], upto: usize) {
        self.write_before(blocks, upto, None);
    }

    /// [`Stream::write`] when `after` follows the blocks (for the end
    /// marker of a list among them).
    pub(crate) fn write_before(&mut self, blocks: &[Block], upto: usize, after: Option<&Block>) {
        let mut w = self.writer();
        if self.after_list
            && let Some(next) = blocks.iter().find(|b| emitted(b)).or(after)
        {
            self.after_list = false;
            w.end_list(Some(next));
        }
        w.blocks_upto(blocks, upto, after);
        self.keep(w);
    }

    /// Starts a list whose items are all tight (see [`tight_item`]), to be
    /// written one by one with [`Stream::write_item`].
    pub(crate) fn enter_list(&mut self, ordered: Option<usize>) {
        if std::mem::take(&mut self.after_list) {
            // A list right after a list.
            let mut w = self.writer();
            w.end_list_marker();
            self.keep(w);
        }
        if let Some(start) = ordered {
            self.ol_stack.push(start);
        }
    }

    /// One item of the list entered last.
    pub(crate) fn write_item(&mut self, item: &Item, ordered: bool) {
        let mut w = self.writer();
        w.item(item, ordered, true);
        self.keep(w);
    }

    /// Ends the list entered last (`ordered` as it was entered).
    pub(crate) fn leave_list(&mut self, ordered: bool) {
        // As after any list in a quote or at the top level.
        self.in_tight = false;
        if ordered {
            self.ol_stack.pop();
        }
        self.after_list = true;
    }

    /// Starts a quote or an alert (`head` is what [`Writer`] writes before
    /// its blocks), whose blocks [`Stream::write`] then writes until
    /// [`Stream::leave_quote`].
    pub(crate) fn enter_quote(&mut self, head: &str) {
        // A quote after a list needs no end marker.
        self.after_list = false;
        let mut w = self.writer();
        w.lit(head);
        w.begin_content = true;
        w.prefix.push_str("> ");
        self.keep(w);
    }

    /// Ends the quote begun last.
    pub(crate) fn leave_quote(&mut self) {
        // Nothing follows a list that ends a quote.
        self.after_list = false;
        let mut w = self.writer();
        w.prefix.truncate(w.prefix.len().saturating_sub(2));
        w.blankline();
        self.keep(w);
    }

    fn writer<'a>(&mut self) -> Writer<'a> {
        Writer {
            out: std::mem::take(&mut self.out),
            prefix: std::mem::take(&mut self.prefix),
            ol_stack: std::mem::take(&mut self.ol_stack),
            need_cr: self.need_cr,
            begin_line: self.begin_line,
            begin_content: self.begin_content,
            in_tight: self.in_tight,
            pipe: false,
            pool: Vec::new(),
            escapes: self.escapes,
        }
    }

    fn keep(&mut self, w: Writer<'_>) {
        self.out = w.out;
        self.prefix = w.prefix;
        self.ol_stack = w.ol_stack;
        self.need_cr = w.need_cr;
        self.begin_line = w.begin_line;
        self.begin_content = w.begin_content;
        self.in_tight = w.in_tight;
    }

    /// The Markdown, ending in a newline unless empty.
    pub(crate) fn finish(mut self) -> String {
        // Nothing follows the last block.
        self.after_list = false;
        if !self.out.is_empty() && !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        self.out
    }
}

/// What starts an alert (a quote starts with `> `).
pub(crate) fn alert_head(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::Note => "> [!NOTE]\n> ",
        AlertKind::Tip => "> [!TIP]\n> ",
        AlertKind::Important => "> [!IMPORTANT]\n> ",
        AlertKind::Warning => "> [!WARNING]\n> ",
        AlertKind::Caution => "> [!CAUTION]\n> ",
    }
}

/// Appends a table cell's content as [`Writer`] writes it inside a table
/// row (after `| `, `|` escaped), when that is one line; otherwise leaves
/// `out` as it was and returns `false`. Within a row the writer's state
/// is always the same (not at the start of a line or of content, nothing
/// owed), and only a line break would take the line prefix, which the
/// caller does not know yet.
pub(crate) fn table_cell(cell: &[Inline], out: &mut String, escapes: Escapes) -> bool {
    let from = out.len();
    let mut w = Writer {
        out: std::mem::take(out),
        prefix: String::new(),
        need_cr: 0,
        begin_line: false,
        begin_content: false,
        in_tight: false,
        pipe: true,
        ol_stack: Vec::new(),
        pool: Vec::new(),
        escapes,
    };
    w.inlines(cell, Parent::Other, true);
    *out = w.out;
    let one_line = memchr::memchr(b'\n', &out.as_bytes()[from..]).is_none();
    if !one_line {
        out.truncate(from);
    }
    one_line
}

/// A list stays tight only when blank lines are not needed to keep its
/// items' blocks apart (HTML blocks, code and quotes need them).
pub(crate) fn tight_item(blocks: &[Block]) -> bool {
    let mut paras = 0;
    for b in blocks {
        match b {
            Block::Para(_) => paras += 1,
            Block::List(l) => {
                if !l.items.iter().all(|i| tight_item(&i.blocks)) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    paras <= 1
}

/// Whether a block becomes a node at all (the comrak emitter skips these).
pub(crate) fn emitted(b: &Block) -> bool {
    match b {
        Block::Para(i) => !i.is_empty(),
        Block::List(l) => !l.items.is_empty(),
        Block::Table(rows) => rows.first().is_some_and(|r| !r.is_empty()),
        Block::PipeTable(pieces) => !pieces.is_empty(),
        Block::Toc(_) => false,
        _ => true,
    }
}

struct Writer<'a> {
    out: String,
    /// "> " per quote or alert, spaces per list item.
    prefix: String,
    /// Newlines owed before the next output (1: end line, 2: blank line).
    need_cr: u8,
    begin_line: bool,
    begin_content: bool,
    in_tight: bool,
    /// Inside a table cell: `|` gets a backslash.
    pipe: bool,
    ol_stack: Vec<usize>,
    pool: Vec<Vec<Node<'a>>>,
    escapes: Escapes,
}

#[cfg(test)]
mod tests {
    use super::super::emit::emit;
    use super::super::md::{AlertKind, Block, Inline, Item, List};
    use super::write;
    use proptest::prelude::*;

    /// Strings full of whatever the escaping rules look at.
    fn s() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => "[a-z0-9 *_#`\\[\\]<>|!&~+.=:()\\\\\"\n\t-]{0,8}",
            1 => "[0-9]{1,3}[.)]( [a-z])?",
            1 => "[-+=] ?[a-z]?",
            1 => "&[a-z]{0,3};?",
            1 => "(`{1,3}|~{1,3})[a-z ]{0,3}(`{1,3})?",
            1 => "[ \u{a0}\u{3000}é\r\u{0}\u{7f}]{1,3}",
            1 => "(mailto:)?[a-z]{1,3}:[a-z/ ()]{0,6}",
        ]
    }

    fn inline() -> impl Strategy<Value = Inline> {
        let leaf = prop_oneof![
            6 => s().prop_map(Inline::Text),
            2 => s().prop_map(Inline::Code),
            1 => s().prop_map(Inline::Html),
            1 => s().prop_map(Inline::Raw),
            2 => Just(Inline::LineBreak),
            1 => (s(), s(), s()).prop_map(|(url, title, alt)| Inline::Image { url, title, alt }),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            let kids = prop::collection::vec(inner, 0..4);
            prop_oneof![
                kids.clone().prop_map(Inline::Strong),
                kids.clone().prop_map(Inline::Emph),
                kids.clone().prop_map(Inline::Strike),
                (prop::sample::select(vec!["u", "sup", "sub"]), kids.clone())
                    .prop_map(|(t, c)| Inline::Tagged(t, c)),
                (s(), prop::option::of(s()), kids).prop_map(|(url, title, mut children)| {
                    // Sometimes the text equals the URL (autolink form).
                    if children.is_empty() {
                        children.push(Inline::Text(url.trim_start_matches("mailto:").into()));
                    }
                    Inline::Link {
                        url,
                        title: title.unwrap_or_default(),
                        children,
                    }
                }),
            ]
        })
    }

    fn inlines() -> impl Strategy<Value = Vec<Inline>> {
        prop::collection::vec(inline(), 0..5)
    }

    fn block() -> impl Strategy<Value = Block> {
        let leaf = prop_oneof![
            6 => inlines().prop_map(Block::Para),
            2 => (0u8..8, inlines()).prop_map(|(l, i)| Block::Heading(l, i)),
            2 => (s(), s()).prop_map(|(info, literal)| Block::Code { info, literal }),
            1 => Just(Block::Rule),
            1 => Just(Block::Toc(0)),
            1 => s().prop_map(Block::Html),
            2 => (0usize..4, 1usize..4).prop_flat_map(|(c, r)| {
                prop::collection::vec(prop::collection::vec(inlines(), c), r).prop_map(Block::Table)
            }),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            let kids = prop::collection::vec(inner, 0..4);
            let kind = prop::sample::select(vec![
                AlertKind::Note,
                AlertKind::Tip,
                AlertKind::Important,
                AlertKind::Warning,
                AlertKind::Caution,
            ]);
            prop_oneof![
                kids.clone().prop_map(Block::Quote),
                (kind, kids.clone()).prop_map(|(k, b)| Block::Alert(k, b)),
                (
                    prop::option::of(0usize..12),
                    prop::collection::vec((prop::option::of(any::<bool>()), kids), 0..4)
                )
                    .prop_map(|(ordered, items)| Block::List(List {
                        ordered,
                        items: items
                            .into_iter()
                            .map(|(task, blocks)| Item { task, blocks })
                            .collect(),
                    })),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn direct_writer_matches_comrak(doc in prop::collection::vec(block(), 0..6)) {
            prop_assert_eq!(write(&doc), emit(&doc), "model: {:?}", doc);
        }
    }
}
