//! Storage tree → Markdown model. One walk, two modes: block context
//! (children become paragraphs and blocks) and inline context (blocks are
//! flattened so no text is lost where Markdown allows no block).

mod anchors;
mod blocks;
pub mod emit;
mod inline;
mod macros;
pub mod md;
mod tables;
mod title;
pub mod write;

use std::collections::{HashMap, HashSet};

use comrak::Anchorizer;

use crate::context::{AttachmentRef, Context, PageRef, SpaceKey};
use crate::options::Options;
use crate::output::{Converted, Heading, Warning, WarningKind};
use crate::parse::{self, NodeId, Tree};
use md::{Block, Inline};

/// Includes nested deeper than this are linked instead of inlined.
pub const MAX_INCLUDE_DEPTH: usize = 4;
/// Total includes per conversion, so repeated includes cannot multiply output.
const MAX_INCLUDES: usize = 32;

/// Elements that never carry visible content.
const DROPPED: &[&str] = &[
    "ac:placeholder",
    "ac:parameter",
    "ac:default-parameter",
    "ac:task-id",
    "ac:task-uuid",
    "ac:task-status",
    "ac:adf-attribute",
    "ac:adf-mark",
    "ac:adf-fragment-mark",
    "ac:adf-fragment-mark-detail",
    "at:declarations",
    "colgroup",
    "col",
];

pub(crate) struct Renderer<'c> {
    ctx: &'c dyn Context,
    opts: &'c Options,
    current_space: Option<SpaceKey>,
    current_title: Option<String>,
    current_id: Option<crate::context::ContentId>,
    /// The site URL links fall back to (no trailing `/`), and its origin
    /// (scheme and host) for host-less hrefs.
    site: Option<String>,
    origin: Option<String>,
    pages: Vec<PageRef>,
    attachments: Vec<AttachmentRef>,
    /// What `pages` and `attachments` hold, so noting one is not a scan (a
    /// page of 100,000 links was quadratic).
    seen_pages: HashSet<PageRef>,
    seen_attachments: HashSet<AttachmentRef>,
    properties: Vec<(String, String)>,
    /// Inside a page-properties cell: mentions are written as plain names.
    in_properties: u32,
    headings: Vec<Heading>,
    warnings: Vec<Warning>,
    /// Where each distinct warning is in `warnings`.
    warning_at: HashMap<(WarningKind, String), usize>,
    anchorizer: Anchorizer,
    /// Where this page's `#anchor` links can land.
    anchors: anchors::Anchors,
    /// Other pages' anchors, found once per page however many links ask.
    other_anchors: HashMap<PageRef, anchors::Anchors>,
    /// Pages being included (cycle guard).
    include_stack: Vec<PageRef>,
    includes: usize,
    /// toc macros waiting for the page's headings.
    tocs: Vec<macros::TocSpec>,
    /// Emptied inline runs, kept for their capacity: a page has a run per
    /// block container, and growing a fresh one each time was a fifth of
    /// all allocations.
    spare_runs: Vec<Vec<Inline>>,
    /// The document's top-level block list (compared by address only, never
    /// read through) and, for the direct writer, where its finished blocks
    /// go; see [`Renderer::stream`].
    top: *const Vec<Block>,
    stream: Option<write::Stream>,
    /// How the writer escapes text (table cells written early too).
    escapes: write::Escapes,
    /// Above zero while rendering blocks that will be flattened into
    /// inlines (inline context, inline excerpts, decision items, page
    /// properties): no [`Block::PipeTable`] then.
    flat: u32,
    /// Whether quotes may be written while they are rendered: not when
    /// the page has a toc or includes a page (which may have one), since a
    /// toc waits for the rest of the page and a quote, once begun, cannot.
    nested_streams: bool,
}

/// Which writer turns the Markdown model into text.
#[derive(Clone, Copy)]
pub(crate) enum Writer {
    /// `write/`, fed a few top-level blocks at a time.
    Direct,
    /// `write/` with comrak's escaping: comrak's bytes (the port's check).
    DirectComrakEscapes,
    /// comrak's formatter over the whole model (the reference).
    Comrak,
}

/// Top-level blocks held before the finished ones are written out.
const STREAM_AFTER: usize = 32;

/// Converts one storage body, writing Markdown with `write`.
pub(crate) fn convert(
    storage: &str,
    ctx: &dyn Context,
    opts: &Options,
    writer: Writer,
) -> Converted {
    let current = ctx.current_page();
    let site = ctx
        .site_url()
        .map(|s| s.trim_end_matches('/').to_owned())
        .filter(|s| s.starts_with("https://") || s.starts_with("http://"));
    let origin = site.as_deref().map(url_origin);
    let mut r = Renderer {
        ctx,
        opts,
        current_space: current.as_ref().and_then(|c| c.space.clone()),
        current_id: current.as_ref().and_then(|c| c.id.clone()),
        site,
        origin,
        current_title: current.map(|c| c.title).or_else(|| opts.title.clone()),
        pages: Vec::new(),
        attachments: Vec::new(),
        seen_pages: HashSet::new(),
        seen_attachments: HashSet::new(),
        properties: Vec::new(),
        in_properties: 0,
        headings: Vec::new(),
        warnings: Vec::new(),
        warning_at: HashMap::new(),
        anchorizer: Anchorizer::new(),
        anchors: anchors::Anchors::default(),
        other_anchors: HashMap::new(),
        include_stack: Vec::new(),
        includes: 0,
        tocs: Vec::new(),
        spare_runs: Vec::new(),
        top: std::ptr::null(),
        flat: 0,
        nested_streams: false,
        escapes: match writer {
            Writer::Direct => write::Escapes::Minimal,
            Writer::DirectComrakEscapes | Writer::Comrak => write::Escapes::Comrak,
        },
        stream: match writer {
            // Markdown is usually a little shorter than its storage format.
            Writer::Direct => Some(write::Stream::with_capacity(
                (storage.len() / 2).clamp(4096, 1 << 20),
                write::Escapes::Minimal,
            )),
            Writer::DirectComrakEscapes => Some(write::Stream::with_capacity(
                (storage.len() / 2).clamp(4096, 1 << 20),
                write::Escapes::Comrak,
            )),
            Writer::Comrak => None,
        },
    };
    let mut blocks = Vec::new();
    r.top = &blocks;
    let title = opts.title.as_deref().map(one_line);
    let title_heading = title.as_ref().is_some_and(|t| !t.is_empty());
    if let Some(title) = title.as_ref().filter(|t| !t.is_empty()) {
        let anchor = r.anchorizer.anchorize(title);
        r.headings.push(Heading {
            level: 1,
            text: title.clone(),
            anchor,
        });
        blocks.push(Block::Heading(1, vec![Inline::Text(title.clone())]));
    }
    let parsed = parse::parse(storage);
    for rep in parsed.repairs {
        r.warn(WarningKind::Parse, rep);
    }
    r.collect_anchor_names(&parsed.tree, title.as_deref());
    r.block_children(&parsed.tree, Tree::ROOT, &mut blocks);
    // The rest of the model is all that is needed now.
    drop(parsed.tree);
    r.resolve_tocs(&mut blocks);
    let mut markdown = match r.stream.take() {
        Some(mut stream) => {
            stream.write(&blocks, blocks.len());
            stream.finish()
        }
        None => emit::emit(&blocks),
    };
    if title_heading {
        title::drop_repeated(&mut markdown);
    }
    Converted {
        markdown,
        pages: r.pages,
        attachments: r.attachments,
        properties: r.properties,
        labels: Vec::new(),
        headings: r.headings,
        warnings: r.warnings,
    }
}

/// Different warnings listed for one page; more are counted.
const MAX_WARNINGS: usize = 1000;

impl Renderer<'_> {
    /// Records a warning. Identical ones are listed once and counted;
    /// past [`MAX_WARNINGS`] different ones, the rest are counted in one
    /// entry per kind, so a hostile page costs bounded memory and the
    /// counts stay true.
    fn warn(&mut self, kind: WarningKind, message: impl Into<String>) {
        let mut key = (kind, message.into());
        if self.warnings.len() >= MAX_WARNINGS && !self.warning_at.contains_key(&key) {
            key.1 = format!(
                "more {} warnings on this page, not listed one by one",
                kind.name()
            );
        }
        match self.warning_at.get(&key) {
            Some(&i) => self.warnings[i].count += 1,
            None => {
                self.warnings.push(Warning {
                    kind,
                    message: key.1.clone(),
                    count: 1,
                });
                self.warning_at.insert(key, self.warnings.len() - 1);
            }
        }
    }

    fn note_page(&mut self, p: &PageRef) {
        if !self.seen_pages.contains(p) {
            self.seen_pages.insert(p.clone());
            self.pages.push(p.clone());
        }
    }

    fn note_attachment(&mut self, a: &AttachmentRef) {
        if !self.seen_attachments.contains(a) {
            self.seen_attachments.insert(a.clone());
            self.attachments.push(a.clone());
        }
    }

    /// Collects anchor names, and notes whether anything on the page
    /// waits for the rest of it (see [`Renderer::nested_streams`]).
    fn collect_anchor_names(&mut self, t: &Tree, title: Option<&str>) {
        let (mut anchors, waits) = anchors::Anchors::scan(t, title);
        // Confluence's `Title-Heading` anchors spell the page's own title.
        anchors.set_title(self.current_title.clone());
        self.anchors = anchors;
        self.nested_streams = !waits;
    }

    /// Writes out finished top-level blocks when `out` is the document's
    /// block list and enough have gathered: all but the last one that shows
    /// (what follows a block can change how it ends). Not once a toc macro
    /// has been seen, since it waits for the headings after it.
    fn stream(&mut self, out: &mut Vec<Block>) {
        if out.len() < STREAM_AFTER || !self.streams(out) {
            return;
        }
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        let Some(last) = out.iter().rposition(write::emitted) else {
            return;
        };
        stream.write(out, last);
        out.drain(..last);
    }

    /// Whether blocks added to `out` may be written out as they finish.
    fn streams(&self, out: &Vec<Block>) -> bool {
        std::ptr::eq(out, self.top) && self.stream.is_some() && self.tocs.is_empty()
    }

    /// Renders the children of `id` in block context.
    fn block_children(&mut self, t: &Tree, id: NodeId, out: &mut Vec<Block>) {
        let mut run = self.children_run(t, id, out);
        flush(&mut run, out);
        self.spare_runs.push(run);
    }

    /// Renders the children of `id` in block context: blocks go to `out`,
    /// and the inline content after the last block is returned in a pooled
    /// run (give it back to `spare_runs` once emptied).
    fn children_run(&mut self, t: &Tree, id: NodeId, out: &mut Vec<Block>) -> Vec<Inline> {
        let mut run = self.spare_runs.pop().unwrap_or_default();
        for c in t.children(id) {
            self.block_node(t, c, out, &mut run);
            self.stream(out);
        }
        run
    }

    /// One node in block context; inline content accumulates in `run`.
    fn block_node(&mut self, t: &Tree, c: NodeId, out: &mut Vec<Block>, run: &mut Vec<Inline>) {
        let name = t.name(c);
        if let Some(text) = t.text(c) {
            inline::push_text(run, text);
            return;
        }
        if DROPPED.contains(&name) {
            return;
        }
        match name {
            "p" | "div" | "section" | "article" | "center" | "ac:layout-cell"
            | "ac:layout-section" | "ac:layout" | "ac:rich-text-body" | "ac:adf-content"
            | "ac:task-body" | "dl" | "dd" | "dt" | "body" | "html" | "xml" => {
                flush(run, out);
                self.block_children(t, c, out);
            }
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                flush(run, out);
                self.heading(t, c, out);
            }
            "ul" | "ol" if self.nested_streams && self.streams(out) && blocks::tight_list(t, c) => {
                flush(run, out);
                self.list_into(t, c, out);
            }
            "ul" | "ol" => {
                flush(run, out);
                self.list(t, c, out);
            }
            "ac:task-list" => {
                flush(run, out);
                self.task_list(t, c, out);
            }
            "li" => {
                // A stray item outside a list: still a list item.
                flush(run, out);
                let mut blocks = Vec::new();
                self.block_children(t, c, &mut blocks);
                out.push(Block::List(md::List {
                    ordered: None,
                    items: vec![md::Item { task: None, blocks }],
                }));
            }
            "table" => {
                flush(run, out);
                self.table(t, c, out);
            }
            "blockquote" => {
                flush(run, out);
                let mut inner = Vec::new();
                self.block_children(t, c, &mut inner);
                if !inner.is_empty() {
                    out.push(Block::Quote(inner));
                }
            }
            "pre" => {
                flush(run, out);
                out.push(Block::Code {
                    info: String::new(),
                    literal: t.text_content(c),
                });
            }
            "hr" => {
                flush(run, out);
                out.push(Block::Rule);
            }
            "ac:structured-macro" | "ac:macro"
                if self.nested_streams
                    && self.streams(out)
                    && let Some(kind) = macros::panel_kind(t, c) =>
            {
                flush(run, out);
                self.panel_into(t, c, kind, out);
            }
            "ac:structured-macro" | "ac:macro"
                if self.streams(out)
                    && t.attr(c, "ac:name")
                        .is_some_and(|n| n.eq_ignore_ascii_case("expand")) =>
            {
                // Its body stands at this level between two HTML lines:
                // rendered straight into the streamed list.
                flush(run, out);
                self.expand_into(t, c, out);
            }
            "ac:structured-macro" | "ac:macro" => match self.macro_(t, c) {
                macros::Out::Inline(i) => run.extend(i),
                macros::Out::Blocks(b) => {
                    flush(run, out);
                    out.extend(b);
                }
            },
            "ac:adf-extension" => {
                flush(run, out);
                self.adf_extension(t, c, out);
            }
            "span" if inline::is_strike_span(t, c) => self.inline_node(t, c, run),
            "span" | "font" | "ac:inline-comment-marker" | "small" | "big" => {
                // Transparent: may hold blocks (Cloud wraps macros in spans).
                for g in t.children(c) {
                    self.block_node(t, g, out, run);
                    self.stream(out);
                }
            }
            _ if name.starts_with("ri:") || inline::is_inline(name) => {
                self.inline_node(t, c, run);
            }
            _ => {
                // Unknown element: transparent, text kept.
                for g in t.children(c) {
                    self.block_node(t, g, out, run);
                    self.stream(out);
                }
            }
        }
    }

    /// Renders an included page's body (cycle and size guarded).
    fn include(&mut self, page: &PageRef, excerpt_only: bool) -> Option<Vec<Block>> {
        if self.include_stack.contains(page) {
            self.warn(
                WarningKind::Include,
                format!("include cycle at page {page}"),
            );
            return None;
        }
        if self.include_stack.len() >= MAX_INCLUDE_DEPTH || self.includes >= MAX_INCLUDES {
            self.warn(
                WarningKind::Include,
                format!("include limit reached at page {page}"),
            );
            return None;
        }
        let body = self.ctx.page_body(page)?;
        self.includes += 1;
        let parsed = parse::parse(&body);
        let t = &parsed.tree;
        let root = if excerpt_only {
            let ex = t.subtree(Tree::ROOT).find(|&i| {
                t.name(i) == "ac:structured-macro" && t.attr(i, "ac:name") == Some("excerpt")
            })?;
            t.child(ex, "ac:rich-text-body")?
        } else {
            Tree::ROOT
        };
        self.include_stack.push(page.clone());
        let mut out = Vec::new();
        self.block_children(t, root, &mut out);
        self.include_stack.pop();
        Some(out)
    }
}

/// `scheme://host[:port]` of an absolute URL.
fn url_origin(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    match url[start..].find('/') {
        Some(i) => url[..start + i].to_owned(),
        None => url.to_owned(),
    }
}

/// The first page reference at or below `n` (macro parameters wrap it in `ac:link`).
pub(crate) fn links_page_ref(t: &Tree, n: NodeId) -> Option<PageRef> {
    t.subtree(n).find_map(|x| macros::page_ref(t, x))
}

/// Empties a run into the inlines of a paragraph: trimmed, and none at
/// all when it shows nothing.
pub(crate) fn paragraph(run: &mut Vec<Inline>) -> Vec<Inline> {
    inline::trim(run);
    // `<p>&nbsp;</p>` spacers are layout, not content.
    if inline::is_blank(run) {
        run.clear();
    }
    // An exact-size move; `run` keeps its capacity for the next paragraph
    // (which `mem::take` would give away).
    let mut inlines = Vec::with_capacity(run.len());
    inlines.append(run);
    inlines
}

/// Ends the current inline run as a paragraph.
pub(crate) fn flush(run: &mut Vec<Inline>, out: &mut Vec<Block>) {
    let inlines = paragraph(run);
    if !inlines.is_empty() {
        out.push(Block::Para(inlines));
    }
}

/// Blocks → inlines, for places Markdown allows no block (cells, headings).
pub(crate) fn flatten(mut blocks: Vec<Block>, out: &mut Vec<Inline>) {
    // The common case (a table cell with one paragraph): move, not copy.
    if out.is_empty() && matches!(blocks.as_slice(), [Block::Para(_)]) {
        if let Some(Block::Para(inlines)) = blocks.pop() {
            *out = inlines;
        }
        while matches!(out.last(), Some(Inline::LineBreak)) {
            out.pop();
        }
        return;
    }
    for b in blocks {
        let before = out.len();
        match b {
            Block::Para(i) | Block::Heading(_, i) => out.extend(i),
            Block::Code { literal, .. } => {
                let mut first = true;
                for line in literal.lines() {
                    if !first {
                        out.push(Inline::LineBreak);
                    }
                    first = false;
                    if !line.trim().is_empty() {
                        out.push(Inline::Code(line.to_owned()));
                    }
                }
            }
            Block::Quote(bs) | Block::Alert(_, bs) => flatten(bs, out),
            Block::List(l) => {
                for it in l.items {
                    let mark = match it.task {
                        Some(true) => "☑ ",
                        Some(false) => "☐ ",
                        None => "• ",
                    };
                    out.push(Inline::Text(mark.into()));
                    flatten(it.blocks, out);
                    out.push(Inline::LineBreak);
                }
            }
            Block::Table(rows) => {
                for r in rows {
                    for (i, c) in r.into_iter().enumerate() {
                        if i > 0 {
                            out.push(Inline::Text(" | ".into()));
                        }
                        out.extend(c);
                    }
                    out.push(Inline::LineBreak);
                }
            }
            Block::Html(h) => out.push(Inline::Html(h.replace('\n', " "))),
            // Not built where blocks are flattened (see `Renderer::flat`);
            // kept as text should that ever change.
            Block::PipeTable(pieces) => {
                for p in pieces {
                    match p {
                        md::Piece::Text(s) => out.push(Inline::Raw(s.replace('\n', " "))),
                        md::Piece::Cell(c) => out.extend(c),
                    }
                }
            }
            Block::Rule | Block::Toc(_) => {}
        }
        if out.len() > before && !matches!(out.last(), Some(Inline::LineBreak)) {
            out.push(Inline::LineBreak);
        }
    }
    while matches!(out.last(), Some(Inline::LineBreak)) {
        out.pop();
    }
}

/// A title as one heading line: control characters (a newline) become
/// spaces.
pub(crate) fn one_line(title: &str) -> String {
    title
        .split(char::is_control)
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
