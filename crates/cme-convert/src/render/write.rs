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

use super::md::{AlertKind, Block, Inline, Item, Piece};

/// Renders blocks to Markdown (same bytes as comrak's formatter).
#[cfg(test)]
pub fn write(blocks: &[Block]) -> String {
    let mut s = Stream::with_capacity(4096);
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
}

impl Stream {
    /// An empty document with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Stream {
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
pub(crate) fn table_cell(cell: &[Inline], out: &mut String) -> bool {
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

/// An inline node as comrak sees it: `Tagged` flattened into its parent,
/// empty text and code dropped, a trailing hard break dropped.
#[derive(Clone, Copy)]
enum Node<'a> {
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
enum Parent {
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

fn isdigit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// comrak's `isspace`: space, tab, line feed, carriage return.
fn isspace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes that never need escaping in text once past the start of content
/// (a table: the scan over every text byte is hot).
fn plain(b: u8) -> bool {
    PLAIN[usize::from(b)]
}

const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 256 {
        t[b] = !matches!(
            b as u8,
            b'*' | b'_'
                | b'['
                | b']'
                | b'#'
                | b'<'
                | b'>'
                | b'\\'
                | b'`'
                | b'~'
                | b'!'
                | b'&'
                | b'|'
        );
        b += 1;
    }
    t
};

/// `scheme:` at the start of `s` (comrak's `scanners::scheme`).
fn has_scheme(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_alphabetic) {
        return false;
    }
    let k = b[1..]
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-'))
        .count();
    (1..=31).contains(&k) && b.get(1 + k) == Some(&b':')
}

fn longest_run(s: &[u8], ch: u8) -> usize {
    let (mut longest, mut cur) = (0, 0);
    for &c in s {
        if c == ch {
            cur += 1;
            longest = longest.max(cur);
        } else {
            cur = 0;
        }
    }
    longest
}

/// Length of the shortest backtick run not occurring in `s`.
fn shortest_unused_run(s: &[u8]) -> usize {
    let mut used = 0u64;
    let mut big = Vec::new();
    let mut cur = 0usize;
    for &c in s.iter().chain(std::iter::once(&0)) {
        if c == b'`' {
            cur += 1;
        } else if cur > 0 {
            if cur < 64 {
                used |= 1 << cur;
            } else {
                big.push(cur);
            }
            cur = 0;
        }
    }
    let mut i = 1;
    while (i < 64 && used & (1 << i) != 0) || (i >= 64 && big.contains(&i)) {
        i += 1;
    }
    i
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Esc {
    Url,
    Title,
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
}

impl<'a> Writer<'a> {
    fn cr(&mut self) {
        self.need_cr = self.need_cr.max(1);
    }

    fn blankline(&mut self) {
        self.need_cr = self.need_cr.max(2);
    }

    /// Pays owed newlines (comrak's `output` prologue).
    fn flush_cr(&mut self) {
        if self.in_tight && self.need_cr > 1 {
            self.need_cr = 1;
        }
        if self.need_cr == 0 {
            return;
        }
        let mut consume = self
            .out
            .as_bytes()
            .iter()
            .rev()
            .take(2)
            .take_while(|&&b| b == b'\n')
            .count();
        while self.need_cr > 0 {
            if self.out.is_empty() {
            } else if consume > 0 {
                consume -= 1;
            } else {
                self.out.push('\n');
                self.begin_line = true;
                self.begin_content = true;
                if self.need_cr > 1 {
                    self.out.push_str(&self.prefix);
                }
            }
            self.need_cr -= 1;
        }
    }

    /// Literal output: newlines start prefixed lines.
    fn lit(&mut self, s: &str) {
        self.flush_cr();
        let rest = s.as_bytes();
        let mut pos = 0;
        while pos < rest.len() {
            if self.begin_line {
                self.out.push_str(&self.prefix);
            }
            let pipe = self.pipe;
            let end = rest[pos..]
                .iter()
                .position(|&b| b == b'\n' || (pipe && b == b'|'))
                .map_or(rest.len(), |e| pos + e);
            if end == pos {
                if rest[pos] == b'\n' {
                    self.out.push('\n');
                    self.begin_line = true;
                    self.begin_content = true;
                } else {
                    self.out.push_str("\\|");
                    self.begin_line = false;
                    self.begin_content = false;
                }
                pos += 1;
            } else {
                let seg = &s[pos..end];
                self.out.push_str(seg);
                self.begin_line = false;
                self.begin_content = self.begin_content && seg.bytes().all(isdigit);
                pos = end;
            }
        }
    }

    /// Text with comrak's `Escaping::Normal`.
    fn text(&mut self, s: &str) {
        self.flush_cr();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if self.begin_line {
                self.out.push_str(&self.prefix);
            } else if !self.begin_content {
                let run = bytes[i..].iter().take_while(|&&b| plain(b)).count();
                if run > 0 {
                    self.out.push_str(&s[i..i + run]);
                    i += run;
                    continue;
                }
            }
            let b = bytes[i];
            if self.pipe && b == b'|' {
                self.out.push('\\');
            }
            if b >= 0x80 {
                let len = s[i..].chars().next().map_or(1, char::len_utf8);
                self.out.push_str(&s[i..i + len]);
                self.begin_line = false;
                self.begin_content = false;
                i += len;
                continue;
            }
            let nextb = bytes.get(i + 1).copied().unwrap_or(0);
            let follows_digit = self.out.as_bytes().last().is_some_and(|&c| isdigit(c));
            let esc = b < 0x20
                || matches!(
                    b,
                    b'*' | b'_' | b'[' | b']' | b'#' | b'<' | b'>' | b'\\' | b'`' | b'~' | b'!'
                )
                || (b == b'&' && nextb.is_ascii_alphabetic())
                || (self.begin_content && matches!(b, b'-' | b'+' | b'=') && !follows_digit)
                || (self.begin_content
                    && matches!(b, b'.' | b')')
                    && follows_digit
                    && (nextb == 0 || isspace(nextb)));
            if esc {
                if b.is_ascii_punctuation() {
                    self.out.push('\\');
                    self.out.push(b as char);
                } else if b == 0 {
                    self.out.push('\u{fffd}');
                } else {
                    self.push_num(b as u32);
                }
            } else {
                self.out.push(b as char);
            }
            self.begin_line = false;
            self.begin_content = self.begin_content && isdigit(b);
            i += 1;
        }
    }

    /// Link destination or title with comrak's escaping.
    fn escaped(&mut self, s: &str, mode: Esc) {
        self.flush_cr();
        for c in s.chars() {
            if self.begin_line {
                self.out.push_str(&self.prefix);
            }
            if self.pipe && c == '|' {
                self.out.push('\\');
            }
            let b = if c.is_ascii() { c as u8 } else { 0x80 };
            let needs = b < 0x80
                && match mode {
                    Esc::Url => matches!(b, b'`' | b'<' | b'>' | b'\\' | b')' | b'(') || isspace(b),
                    Esc::Title => matches!(b, b'`' | b'<' | b'>' | b'"' | b'\\'),
                };
            if needs {
                if mode == Esc::Url && isspace(b) {
                    use std::fmt::Write;
                    let _ = write!(self.out, "%{b:2X}");
                } else {
                    self.out.push('\\');
                    self.out.push(c);
                }
            } else {
                self.out.push(c);
            }
            self.begin_line = false;
            self.begin_content = self.begin_content && isdigit(b);
        }
    }

    /// The `](url "title")` that ends a link or an image.
    fn destination(&mut self, url: &str, title: &str) {
        self.lit("](");
        self.escaped(url, Esc::Url);
        if !title.is_empty() {
            self.lit(" \"");
            self.escaped(title, Esc::Title);
            self.lit("\"");
        }
        self.lit(")");
    }

    /// `&#N;` as literal output.
    fn push_num(&mut self, n: u32) {
        use std::fmt::Write;
        let _ = write!(self.out, "&#{n};");
    }

    fn lit_num(&mut self, n: u32) {
        let mut buf = String::with_capacity(12);
        {
            use std::fmt::Write;
            let _ = write!(buf, "&#{n};");
        }
        self.lit(&buf);
    }

    // ---- blocks ----

    /// A container's blocks; `item_tight` is the enclosing list's tightness
    /// when the container is a list item.
    fn blocks(&mut self, blocks: &'a [Block], item_tight: Option<bool>) {
        let mut first = true;
        for (i, b) in blocks.iter().enumerate() {
            if !emitted(b) {
                continue;
            }
            let next = blocks[i + 1..].iter().find(|b| emitted(b));
            self.block(b, item_tight, first && item_tight.is_some(), next);
            first = false;
        }
    }

    /// Top-level `blocks[..upto]`, the rest (and then `after`) only as
    /// lookahead.
    fn blocks_upto(&mut self, blocks: &'a [Block], upto: usize, after: Option<&Block>) {
        for (i, b) in blocks[..upto].iter().enumerate() {
            if !emitted(b) {
                continue;
            }
            let next = blocks[i + 1..].iter().find(|b| emitted(b)).or(after);
            self.block(b, None, false, next);
        }
    }

    /// One list item; the list's numbers are on `ol_stack`.
    fn item(&mut self, item: &'a Item, ordered: bool, tight: bool) {
        let width = if ordered {
            let n = self.ol_stack.last().copied().unwrap_or(1);
            if let Some(top) = self.ol_stack.last_mut() {
                *top += 1;
            }
            let marker = format!("{n}. ");
            self.lit(&marker);
            marker.len()
        } else {
            self.lit("- ");
            2
        };
        self.begin_content = true;
        for _ in 0..width {
            self.prefix.push(' ');
        }
        match item.task {
            Some(true) => self.lit("[x] "),
            Some(false) => self.lit("[ ] "),
            None => {}
        }
        self.blocks(&item.blocks, Some(tight));
        let len = self.prefix.len().saturating_sub(width);
        self.prefix.truncate(len);
        self.cr();
    }

    /// What follows a list: a marker when the next block would otherwise
    /// continue it.
    fn end_list(&mut self, next: Option<&Block>) {
        if matches!(next, Some(Block::Code { .. } | Block::List(_))) {
            self.end_list_marker();
        }
    }

    fn end_list_marker(&mut self) {
        self.cr();
        self.lit("<!-- end list -->");
        self.blankline();
    }

    fn block(
        &mut self,
        b: &'a Block,
        item_tight: Option<bool>,
        first_in_item: bool,
        next: Option<&Block>,
    ) {
        if let Some(t) = item_tight {
            self.in_tight = t;
        }
        match b {
            Block::Para(inl) => {
                self.inlines(inl, Parent::Other, false);
                self.blankline();
            }
            Block::Heading(level, inl) => {
                const HASHES: &str = "###### ";
                let l = (*level).clamp(1, 6) as usize;
                self.lit(&HASHES[6 - l..]);
                self.begin_content = true;
                self.inlines(inl, Parent::Other, false);
                self.blankline();
            }
            Block::Code { info, literal } => {
                if !first_in_item {
                    self.blankline();
                }
                let info = info.split_whitespace().next().unwrap_or("");
                let fence_byte = if info.contains('`') { b'~' } else { b'`' };
                let n = longest_run(literal.as_bytes(), fence_byte).max(2) + 1;
                let fence = if fence_byte == b'`' { "`" } else { "~" }.repeat(n);
                self.lit(&fence);
                self.lit(info);
                self.cr();
                self.lit(literal);
                if !literal.ends_with('\n') {
                    self.lit("\n");
                }
                self.cr();
                self.lit(&fence);
                self.blankline();
            }
            Block::Quote(bs) => {
                self.lit("> ");
                self.begin_content = true;
                self.prefix.push_str("> ");
                self.blocks(bs, None);
                self.prefix.truncate(self.prefix.len() - 2);
                self.blankline();
            }
            Block::Alert(kind, bs) => {
                self.lit(alert_head(*kind));
                self.begin_content = true;
                self.prefix.push_str("> ");
                self.blocks(bs, None);
                self.prefix.truncate(self.prefix.len() - 2);
                self.blankline();
            }
            Block::List(list) => {
                let tight = list.items.iter().all(|i| tight_item(&i.blocks));
                if let Some(start) = list.ordered {
                    self.ol_stack.push(start);
                }
                for item in &list.items {
                    self.item(item, list.ordered.is_some(), tight);
                }
                self.in_tight = item_tight.unwrap_or(false);
                if list.ordered.is_some() {
                    self.ol_stack.pop();
                }
                self.end_list(next);
            }
            Block::Rule => {
                self.blankline();
                self.lit("-----");
                self.blankline();
            }
            Block::Toc(_) => {}
            Block::Table(rows) => {
                let cols = rows[0].len();
                self.blankline();
                for (ri, row) in rows.iter().enumerate() {
                    self.cr();
                    self.lit("|");
                    for (ci, cell) in row.iter().enumerate() {
                        self.lit(" ");
                        self.pipe = true;
                        self.inlines(cell, Parent::Other, true);
                        self.pipe = false;
                        self.lit(" |");
                        if ri == 0 && ci + 1 == row.len() {
                            self.cr();
                            self.lit("|");
                            for _ in 0..cols {
                                self.lit(" --- |");
                            }
                            self.cr();
                        }
                    }
                }
                self.blankline();
            }
            Block::PipeTable(pieces) => {
                self.blankline();
                for p in pieces {
                    match p {
                        Piece::Text(s) => self.lit(s),
                        Piece::Cell(cell) => {
                            self.pipe = true;
                            self.inlines(cell, Parent::Other, true);
                            self.pipe = false;
                        }
                    }
                }
                self.blankline();
            }
            Block::Html(s) => {
                self.blankline();
                self.lit(s);
                if !s.ends_with('\n') {
                    self.lit("\n");
                }
                self.blankline();
            }
        }
    }

    // ---- inlines ----

    fn inlines(&mut self, inl: &'a [Inline], parent: Parent, in_cell: bool) {
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
