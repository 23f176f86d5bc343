//! Tables: GFM pipe tables when every cell is inline content, else an HTML
//! table whose cells still hold converted Markdown.

use super::blocks::INLINE_ONLY;
use super::md::{Block, Inline, Piece};
use super::{Renderer, flatten};
use crate::parse::{NodeId, Tree};

/// Tables of at least this many nodes are written out as they are rendered
/// when they are sure to be pipe tables (see [`Renderer::big_pipe_table`]).
/// A page's usual tables stay well below it, and keep the model.
const BIG_TABLE: u32 = 4096;

/// Beyond the inline-only elements ([`INLINE_ONLY`]), what a table may hold
/// and still be a pipe table whatever its text: paragraph wrappers and
/// column definitions.
const PLAIN_CELL_EXTRA: &[&str] = &["p", "div", "section", "center", "colgroup", "col"];

struct Cell {
    header: bool,
    colspan: u32,
    rowspan: u32,
    body: Body,
}

/// A cell's content. Most cells hold one line of inline content; keeping
/// that as inlines (not a one-paragraph block list) saves an allocation
/// per cell, a tenth of all a page makes.
enum Body {
    Inline(Vec<Inline>),
    Blocks(Vec<Block>),
}

impl Body {
    fn fits_pipe_table(&self) -> bool {
        match self {
            Body::Inline(_) => true,
            Body::Blocks(b) => b.iter().all(|b| matches!(b, Block::Para(_))),
        }
    }

    /// The content as one line of inlines (paragraphs joined by breaks).
    fn into_inlines(self) -> Vec<Inline> {
        match self {
            // As `flatten` does with a single paragraph.
            Body::Inline(mut inl) => {
                while matches!(inl.last(), Some(Inline::LineBreak)) {
                    inl.pop();
                }
                inl
            }
            Body::Blocks(blocks) => {
                let mut inl = Vec::new();
                flatten(blocks, &mut inl);
                inl
            }
        }
    }

    fn into_blocks(self) -> Vec<Block> {
        match self {
            Body::Inline(i) if i.is_empty() => Vec::new(),
            Body::Inline(i) => vec![Block::Para(i)],
            Body::Blocks(b) => b,
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Body::Inline(i) => i.is_empty(),
            Body::Blocks(b) => b.is_empty(),
        }
    }
}

impl Renderer<'_> {
    fn rows(t: &Tree, table: NodeId) -> Vec<NodeId> {
        let mut rows = Vec::new();
        for c in t.children(table) {
            match t.name(c) {
                "tr" => rows.push(c),
                "thead" | "tbody" | "tfoot" => {
                    rows.extend(t.children_named(c, "tr"));
                }
                _ => {}
            }
        }
        rows
    }

    /// A cell's content in block context, as [`Renderer::block_children`]
    /// renders it, but without a block list when all is inline.
    fn cell_body(&mut self, t: &Tree, cell: NodeId) -> Body {
        let mut blocks = Vec::new();
        let mut run = self.children_run(t, cell, &mut blocks);
        let body = if blocks.is_empty() {
            Body::Inline(super::paragraph(&mut run))
        } else {
            super::flush(&mut run, &mut blocks);
            Body::Blocks(blocks)
        };
        self.spare_runs.push(run);
        body
    }

    pub(super) fn table(&mut self, t: &Tree, table: NodeId, out: &mut Vec<Block>) {
        let r = t.subtree(table);
        if r.end - r.start >= BIG_TABLE
            && self.stream.is_some()
            && self.flat == 0
            && pipe_only(t, table)
        {
            self.big_pipe_table(t, table, out);
            return;
        }
        let mut grid: Vec<Vec<Cell>> = Vec::new();
        for r in Self::rows(t, table) {
            let mut row = Vec::new();
            for c in t.children(r) {
                let name = t.name(c);
                if name != "td" && name != "th" {
                    continue;
                }
                let span = |k| {
                    t.attr(c, k)
                        .and_then(|v| v.trim().parse::<u32>().ok())
                        .unwrap_or(1)
                        .clamp(1, 1000)
                };
                let body = self.cell_body(t, c);
                row.push(Cell {
                    header: name == "th",
                    colspan: span("colspan"),
                    rowspan: span("rowspan"),
                    body,
                });
            }
            grid.push(row);
        }
        // Text directly inside the table (outside cells) is still text.
        let mut stray = Vec::new();
        for c in t.children(table) {
            if let Some(text) = t.text(c)
                && !text.trim().is_empty()
            {
                super::inline::push_text(&mut stray, text);
            }
        }
        grid.retain(|r| !r.is_empty());
        if grid.is_empty() {
            super::flush(&mut stray, out);
            return;
        }
        let simple = grid
            .iter()
            .flatten()
            .all(|c| c.colspan == 1 && c.rowspan == 1 && c.body.fits_pipe_table());
        if simple {
            let cols = grid.iter().map(Vec::len).max().unwrap_or(0);
            let keyed = keyed(grid.iter().map(|r| r.iter().map(|c| c.header)));
            // A key-value table gets an empty header row: its first pair is
            // data, and GFM would otherwise show it as the column titles.
            let rows = keyed
                .then(|| vec![Vec::new(); cols])
                .into_iter()
                .chain(grid.into_iter().map(|r| {
                    let mut cells: Vec<Vec<Inline>> =
                        r.into_iter().map(|c| c.body.into_inlines()).collect();
                    cells.resize(cols, Vec::new());
                    cells
                }))
                .collect();
            out.push(Block::Table(rows));
        } else {
            self.html_table(grid, out);
        }
        super::flush(&mut stray, out);
    }

    /// A big table that can only be a pipe table, written as it is rendered
    /// (exactly as [`Block::Table`] of the same cells would be): a cell's
    /// model lives only until it is text.
    fn big_pipe_table(&mut self, t: &Tree, table: NodeId, out: &mut Vec<Block>) {
        let is_cell = |c: NodeId| matches!(t.name(c), "td" | "th");
        let rows: Vec<NodeId> = Self::rows(t, table)
            .into_iter()
            .filter(|&r| t.children(r).any(is_cell))
            .collect();
        let cols = rows
            .iter()
            .map(|&r| t.children(r).filter(|&c| is_cell(c)).count())
            .max()
            .unwrap_or(0);
        let mut pieces = Vec::new();
        let mut text = String::new();
        let keyed = keyed(rows.iter().map(|&r| {
            t.children(r)
                .filter(|&c| is_cell(c))
                .map(|c| t.name(c) == "th")
        }));
        if keyed && !rows.is_empty() {
            // As in `table`: an empty header row above the key-value pairs.
            text.push('|');
            for _ in 0..cols {
                text.push_str("  |");
            }
            text.push_str("\n|");
            for _ in 0..cols {
                text.push_str(" --- |");
            }
            text.push('\n');
        }
        for (i, &r) in rows.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            text.push('|');
            let mut n = 0;
            for c in t.children(r).filter(|&c| is_cell(c)) {
                text.push(' ');
                let cell = self.cell_body(t, c).into_inlines();
                if !super::write::table_cell(&cell, &mut text, self.escapes) {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                    pieces.push(Piece::Cell(cell));
                }
                text.push_str(" |");
                n += 1;
            }
            for _ in n..cols {
                text.push_str("  |");
            }
            if i == 0 && !keyed {
                text.push_str("\n|");
                for _ in 0..cols {
                    text.push_str(" --- |");
                }
            }
        }
        if !rows.is_empty() {
            text.shrink_to_fit();
            pieces.push(Piece::Text(text));
            out.push(Block::PipeTable(pieces));
        }
        // Text directly inside the table (outside cells) is still text.
        let mut stray = Vec::new();
        for c in t.children(table) {
            if let Some(text) = t.text(c)
                && !text.trim().is_empty()
            {
                super::inline::push_text(&mut stray, text);
            }
        }
        super::flush(&mut stray, out);
    }

    fn html_table(&mut self, grid: Vec<Vec<Cell>>, target: &mut Vec<Block>) {
        let mut acc = Vec::new();
        let out = &mut acc;
        let mut html = String::from("<table>");
        for row in grid {
            html.push_str("\n<tr>");
            for cell in row {
                let tag = if cell.header { "th" } else { "td" };
                html.push('\n');
                html.push('<');
                html.push_str(tag);
                if cell.colspan > 1 {
                    html.push_str(&format!(" colspan=\"{}\"", cell.colspan));
                }
                if cell.rowspan > 1 {
                    html.push_str(&format!(" rowspan=\"{}\"", cell.rowspan));
                }
                html.push('>');
                if cell.body.is_empty() {
                    html.push_str(&format!("</{tag}>"));
                    continue;
                }
                // A blank line lets GitHub render the cell body as Markdown.
                out.push(Block::Html(std::mem::take(&mut html)));
                out.extend(cell.body.into_blocks());
                html = format!("</{tag}>");
            }
            html.push_str("\n</tr>");
        }
        html.push_str("\n</table>");
        out.push(Block::Html(html));
        merge_html(&mut acc);
        target.extend(acc);
    }
}

/// Joins adjacent HTML blocks so the output has no needless blank lines.
pub(super) fn merge_html(out: &mut Vec<Block>) {
    let mut merged: Vec<Block> = Vec::with_capacity(out.len());
    for b in out.drain(..) {
        if let Block::Html(h) = &b
            && let Some(Block::Html(prev)) = merged.last_mut()
        {
            prev.push('\n');
            prev.push_str(h);
            continue;
        }
        merged.push(b);
    }
    *out = merged;
}

/// Whether a table is sure to become a pipe table: no spans, and nothing in
/// it but rows, cells, inline-only elements and [`PLAIN_CELL_EXTRA`].
fn pipe_only(t: &Tree, table: NodeId) -> bool {
    let r = t.subtree(table);
    (r.start + 1..r.end).all(|n| match t.name(n) {
        "" => true,
        "tr" | "thead" | "tbody" | "tfoot" => true,
        "td" | "th" => ["colspan", "rowspan"].iter().all(|k| {
            t.attr(n, k)
                .and_then(|v| v.trim().parse::<u32>().ok())
                .is_none_or(|v| v <= 1)
        }),
        name => INLINE_ONLY.contains(&name) || PLAIN_CELL_EXTRA.contains(&name),
    })
}

/// Whether rows (each given as "is this cell a header cell") form a
/// key-value table: every row starts with a header cell, and the first row
/// also has data cells, so it is a pair, not the column titles.
fn keyed<R: Iterator<Item = bool>>(mut rows: impl Iterator<Item = R>) -> bool {
    let Some(mut first) = rows.next() else {
        return false;
    };
    if first.next() != Some(true) || first.all(|h| h) {
        return false;
    }
    rows.all(|mut r| r.next() == Some(true))
}
