//! A small owned Markdown model, built by the renderer and written out by
//! `write/` with comrak's escaping rules (`emit.rs`, through comrak itself,
//! is the reference it is tested against).

/// GitHub alert kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// `[!NOTE]`
    Note,
    /// `[!TIP]`
    Tip,
    /// `[!IMPORTANT]`
    Important,
    /// `[!WARNING]`
    Warning,
    /// `[!CAUTION]`
    Caution,
}

impl AlertKind {
    /// Label used in block-quote style.
    pub fn label(self) -> &'static str {
        match self {
            AlertKind::Note => "Note",
            AlertKind::Tip => "Tip",
            AlertKind::Important => "Important",
            AlertKind::Warning => "Warning",
            AlertKind::Caution => "Caution",
        }
    }
}

/// Block content.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Para(Vec<Inline>),
    Heading(u8, Vec<Inline>),
    Code {
        info: String,
        literal: String,
    },
    Quote(Vec<Block>),
    Alert(AlertKind, Vec<Block>),
    List(List),
    Rule,
    /// A GFM table: every row has the same number of cells; row 0 is the header.
    Table(Vec<Vec<Vec<Inline>>>),
    /// A big GFM table already written out as it is rendered (`tables.rs`),
    /// since its model would be many times the size of its text: the rows
    /// from the first `|` to the last, but for cells whose text would not
    /// be one line (kept as inlines, written in place). Only the direct
    /// writer gets these, and never where blocks are flattened.
    PipeTable(Vec<Piece>),
    /// Raw HTML lines (already escaped where needed).
    Html(String),
    /// Where a toc macro stood; replaced once all headings are known.
    Toc(usize),
}

/// Part of a [`Block::PipeTable`].
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Written text (line breaks get the line prefix, as any literal).
    Text(String),
    /// A cell's content, written as a table cell.
    Cell(Vec<Inline>),
}

/// A list.
#[derive(Debug, Clone, PartialEq)]
pub struct List {
    /// `Some(start)` for ordered lists.
    pub ordered: Option<usize>,
    /// Items.
    pub items: Vec<Item>,
}

/// A list item.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// `Some(done)` for task items.
    pub task: Option<bool>,
    /// Content.
    pub blocks: Vec<Block>,
}

/// Inline content.
#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    Text(String),
    Code(String),
    Strong(Vec<Inline>),
    Emph(Vec<Inline>),
    Strike(Vec<Inline>),
    /// Content wrapped in a raw HTML tag pair such as `<u>`…`</u>`.
    Tagged(&'static str, Vec<Inline>),
    Link {
        url: String,
        title: String,
        children: Vec<Inline>,
    },
    Image {
        url: String,
        title: String,
        alt: String,
    },
    /// Raw inline HTML (already escaped).
    Html(String),
    /// Written verbatim (Obsidian wiki links).
    Raw(String),
    LineBreak,
}

/// Escapes text for use inside HTML (element content or quoted attribute).
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Plain text of inlines (for headings, properties, alt text).
pub fn plain(inlines: &[Inline]) -> String {
    let mut out = String::new();
    plain_into(inlines, &mut out);
    out
}

fn plain_into(inlines: &[Inline], out: &mut String) {
    for i in inlines {
        match i {
            Inline::Text(t) | Inline::Code(t) => out.push_str(t),
            Inline::Strong(c) | Inline::Emph(c) | Inline::Strike(c) | Inline::Tagged(_, c) => {
                plain_into(c, out)
            }
            Inline::Link { children, .. } => plain_into(children, out),
            Inline::Image { alt, .. } => out.push_str(alt),
            Inline::LineBreak => out.push(' '),
            Inline::Html(_) | Inline::Raw(_) => {}
        }
    }
}
