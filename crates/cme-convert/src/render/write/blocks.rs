//! Blocks as comrak's formatter writes them: paragraphs, headings, code,
//! quotes and alerts, lists (tight or loose, with their end markers) and
//! tables. Apart from inlines because block layout (blank lines, prefixes,
//! list state) is its own state machine.

use super::inlines::Parent;
use super::text::longest_run;
use super::{Writer, alert_head, emitted, tight_item};
use crate::render::md::{Block, Item, Piece};

impl<'a> Writer<'a> {
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
    pub(super) fn blocks_upto(&mut self, blocks: &'a [Block], upto: usize, after: Option<&Block>) {
        for (i, b) in blocks[..upto].iter().enumerate() {
            if !emitted(b) {
                continue;
            }
            let next = blocks[i + 1..].iter().find(|b| emitted(b)).or(after);
            self.block(b, None, false, next);
        }
    }

    /// One list item; the list's numbers are on `ol_stack`.
    pub(super) fn item(&mut self, item: &'a Item, ordered: bool, tight: bool) {
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
    pub(super) fn end_list(&mut self, next: Option<&Block>) {
        if matches!(next, Some(Block::Code { .. } | Block::List(_))) {
            self.end_list_marker();
        }
    }

    pub(super) fn end_list_marker(&mut self) {
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
}
