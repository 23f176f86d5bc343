//! Headings, lists, task lists and new-editor (ADF) blocks.

use super::md::{self, AlertKind, Block, Inline};
use super::{Renderer, flush, inline};
use crate::options::AlertStyle;
use crate::output::{Heading, WarningKind};
use crate::parse::{NodeId, Tree};

impl Renderer<'_> {
    pub(super) fn heading(&mut self, t: &Tree, c: NodeId, out: &mut Vec<Block>) {
        let level = t.name(c).as_bytes()[1] - b'0';
        let mut inl = self.inlines(t, c);
        // A hard break would end the heading line.
        for i in inl.iter_mut() {
            if matches!(i, Inline::LineBreak) {
                *i = Inline::Text(" ".into());
            }
        }
        inline::trim(&mut inl);
        // `<h1><strong>Goal</strong></h1>`: headings are bold already.
        if let [Inline::Strong(inner)] = inl.as_mut_slice() {
            inl = std::mem::take(inner);
        }
        if inline::is_blank(&inl) {
            return;
        }
        let mut text = md::plain(&inl);
        text.truncate(text.trim_end().len());
        text.drain(..text.len() - text.trim_start().len());
        let anchor = self.anchorizer.anchorize(&text);
        self.headings.push(Heading {
            level,
            text,
            anchor,
        });
        out.push(Block::Heading(level, inl));
    }

    /// Where an ordered list starts; `None` for a bullet list.
    fn list_start(t: &Tree, c: NodeId) -> Option<usize> {
        (t.name(c) == "ol").then(|| {
            t.attr(c, "start")
                .and_then(|s| s.trim().parse::<usize>().ok())
                .unwrap_or(1)
                .min(999_999_999)
        })
    }

    /// A list that [`tight_list`] says is tight, written item by item as
    /// it renders, straight after the blocks before it in `out` (all
    /// written now): a big list is then not held.
    pub(super) fn list_into(&mut self, t: &Tree, c: NodeId, out: &mut Vec<Block>) {
        let ordered = Self::list_start(t, c);
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        // What follows those blocks is this list (it has an item).
        let next = Block::List(md::List {
            ordered: None,
            items: Vec::new(),
        });
        stream.write_before(out, out.len(), Some(&next));
        out.clear();
        stream.enter_list(ordered);
        for li in t.children_named(c, "li") {
            let mut blocks = Vec::new();
            self.block_children(t, li, &mut blocks);
            let item = md::Item { task: None, blocks };
            if let Some(stream) = self.stream.as_mut() {
                stream.write_item(&item, ordered.is_some());
            }
        }
        if let Some(stream) = self.stream.as_mut() {
            stream.leave_list(ordered.is_some());
        }
    }

    pub(super) fn list(&mut self, t: &Tree, c: NodeId, out: &mut Vec<Block>) {
        let ordered = Self::list_start(t, c);
        let mut items: Vec<md::Item> = Vec::new();
        let mut loose = Vec::new();
        for ch in t.children(c) {
            if t.name(ch) == "li" {
                if !loose.is_empty() {
                    self.loose_into_item_tree(t, &mut loose, &mut items);
                }
                let mut blocks = Vec::new();
                self.block_children(t, ch, &mut blocks);
                items.push(md::Item { task: None, blocks });
            } else {
                loose.push(ch);
            }
        }
        if !loose.is_empty() {
            self.loose_into_item_tree(t, &mut loose, &mut items);
        }
        if !items.is_empty() {
            out.push(Block::List(md::List { ordered, items }));
        }
    }

    /// Content directly inside `ul`/`ol` but outside `li` (a nested list
    /// written as a sibling, stray text): attach to the last item.
    fn loose_into_item_tree(
        &mut self,
        t: &Tree,
        loose: &mut Vec<NodeId>,
        items: &mut Vec<md::Item>,
    ) {
        let mut blocks = Vec::new();
        let mut run = Vec::new();
        for &n in loose.iter() {
            self.block_node(t, n, &mut blocks, &mut run);
        }
        flush(&mut run, &mut blocks);
        loose.clear();
        if blocks.is_empty() {
            return;
        }
        match items.last_mut() {
            Some(it) => it.blocks.extend(blocks),
            None => items.push(md::Item { task: None, blocks }),
        }
    }

    pub(super) fn task_list(&mut self, t: &Tree, c: NodeId, out: &mut Vec<Block>) {
        let mut items = Vec::new();
        for task in t.children(c) {
            match t.name(task) {
                "ac:task" => {
                    let done = t
                        .child(task, "ac:task-status")
                        .map(|s| t.text_content(s).trim() == "complete")
                        .unwrap_or(false);
                    let mut blocks = Vec::new();
                    if let Some(body) = t.child(task, "ac:task-body") {
                        self.block_children(t, body, &mut blocks);
                    }
                    // `- [ ] - a` reads as a task whose text is "- a": a body
                    // that starts with a list (or any block but a paragraph)
                    // needs a first line of its own.
                    if blocks.first().is_some_and(|b| !matches!(b, Block::Para(_))) {
                        blocks.insert(0, Block::Para(vec![Inline::Html("<!-- -->".into())]));
                    }
                    items.push(md::Item {
                        task: Some(done),
                        blocks,
                    });
                }
                "ac:task-list" => {
                    // Nested list written as a sibling: attach to the previous task.
                    let mut nested = Vec::new();
                    self.task_list(t, task, &mut nested);
                    match items.last_mut() {
                        Some(md::Item { blocks, .. }) => blocks.extend(nested),
                        None => out.extend(nested),
                    }
                }
                _ => {
                    if !t.text_content(task).trim().is_empty() {
                        let mut blocks = Vec::new();
                        let mut run = Vec::new();
                        self.block_node(t, task, &mut blocks, &mut run);
                        flush(&mut run, &mut blocks);
                        items.push(md::Item { task: None, blocks });
                    }
                }
            }
        }
        if !items.is_empty() {
            out.push(Block::List(md::List {
                ordered: None,
                items,
            }));
        }
    }

    /// `ac:adf-extension`: panels, decision lists, expands; else the content
    /// (or the fallback HTML when there is no content).
    pub(super) fn adf_extension(&mut self, t: &Tree, c: NodeId, out: &mut Vec<Block>) {
        match t.child(c, "ac:adf-node") {
            Some(node) => self.adf_node(t, node, out),
            None => match t.child(c, "ac:adf-fallback") {
                Some(fb) => self.block_children(t, fb, out),
                // Neither: nesting flattened past the parser's depth
                // limit left the content here.
                None => self.block_children(t, c, out),
            },
        }
    }

    fn adf_attr(t: &Tree, node: NodeId, key: &str) -> Option<String> {
        t.children_named(node, "ac:adf-attribute")
            .find(|&a| t.attr(a, "key") == Some(key))
            .map(|a| t.text_content(a).trim().to_owned())
    }

    fn adf_node(&mut self, t: &Tree, node: NodeId, out: &mut Vec<Block>) {
        let ty = t.attr(node, "type").unwrap_or("").to_owned();
        let mut body = Vec::new();
        let has_content = t.child(node, "ac:adf-content").is_some();
        // A decision item's body is flattened.
        let flat = u32::from(ty == "decision-item");
        self.flat += flat;
        // Text right inside the node is content the parser's depth limit
        // flattened into it.
        let mut loose = Vec::new();
        for ch in t.children(node) {
            match t.name(ch) {
                "ac:adf-content" => self.block_children(t, ch, &mut body),
                "ac:adf-node" => self.adf_node(t, ch, &mut body),
                "" => {
                    if let Some(text) = t.text(ch) {
                        super::inline::push_text(&mut loose, text);
                    }
                }
                _ => {}
            }
        }
        super::flush(&mut loose, &mut body);
        if body.is_empty()
            && !has_content
            && let Some(fb) = t.find(node, "ac:adf-fallback")
        {
            self.block_children(t, fb, &mut body);
        }
        self.flat -= flat;
        match ty.as_str() {
            "panel" => {
                let kind = match Self::adf_attr(t, node, "panel-type").as_deref() {
                    Some("info") => Some(AlertKind::Note),
                    // Purple "note" panel: GitHub's purple alert.
                    Some("note") => Some(AlertKind::Important),
                    Some("success") => Some(AlertKind::Tip),
                    Some("warning") => Some(AlertKind::Warning),
                    Some("error") => Some(AlertKind::Caution),
                    _ => None,
                };
                match kind {
                    Some(k) => out.push(self.alert(k, None, body)),
                    None => out.push(Block::Quote(body)),
                }
            }
            "decision-list" => {
                let items = body
                    .into_iter()
                    .map(|b| md::Item {
                        task: None,
                        blocks: vec![b],
                    })
                    .collect::<Vec<_>>();
                if !items.is_empty() {
                    out.push(Block::List(md::List {
                        ordered: None,
                        items,
                    }));
                }
            }
            "decision-item" => {
                let decided = Self::adf_attr(t, node, "state").as_deref() == Some("DECIDED");
                let mut inl = vec![Inline::Text(if decided { "✅ " } else { "❔ " }.into())];
                super::flatten(body, &mut inl);
                out.push(Block::Para(inl));
            }
            "expand" | "nestedExpand" | "nested-expand" => {
                let title = Self::adf_attr(t, node, "title").unwrap_or_default();
                out.extend(self.details(&title, body));
            }
            _ if body.is_empty() && !has_content => {
                // An extension with neither content nor fallback (an app's
                // or Confluence's own element the editor stores by
                // reference): said, never silently nothing.
                let what = Self::adf_attr(t, node, "extension-key")
                    .or_else(|| Self::adf_attr(t, node, "extension-type"))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| ty.clone());
                self.warn(
                    WarningKind::Degraded,
                    format!("editor element `{what}` has no content to export"),
                );
                out.push(Block::Html(format!(
                    "<!-- Confluence element `{}` (no Markdown form) -->",
                    md::html_escape(&what).replace("--", "&#45;&#45;")
                )));
            }
            _ => out.extend(body),
        }
    }

    /// An alert in the configured style; `title` becomes a bold first line.
    pub(super) fn alert(
        &self,
        kind: AlertKind,
        title: Option<String>,
        mut body: Vec<Block>,
    ) -> Block {
        let (_, first) = self.alert_start(kind, title);
        if let Some(first) = first {
            body.insert(0, first);
        }
        match self.opts.alert_style {
            AlertStyle::Gfm => Block::Alert(kind, body),
            AlertStyle::Blockquote => Block::Quote(body),
        }
    }

    /// How [`Renderer::alert`] begins: what the writer writes before the
    /// blocks (as for [`Block::Alert`] or [`Block::Quote`]), and the first
    /// block (the title line).
    pub(super) fn alert_start(
        &self,
        kind: AlertKind,
        title: Option<String>,
    ) -> (&'static str, Option<Block>) {
        let title = title.filter(|s| !s.trim().is_empty());
        let bold = |s: String| Block::Para(vec![Inline::Strong(vec![Inline::Text(s)])]);
        match self.opts.alert_style {
            AlertStyle::Gfm => (super::write::alert_head(kind), title.map(bold)),
            AlertStyle::Blockquote => {
                let label = match title {
                    Some(t) => format!("{}: {t}", kind.label()),
                    None => format!("{}:", kind.label()),
                };
                ("> ", Some(bold(label)))
            }
        }
    }

    /// `<details>` with a summary; the body stays Markdown (blank-line separated).
    pub(super) fn details(&self, title: &str, body: Vec<Block>) -> Vec<Block> {
        let title = if title.trim().is_empty() {
            "Click here to expand..."
        } else {
            title.trim()
        };
        let mut out = vec![Block::Html(format!(
            "<details>\n<summary>{}</summary>",
            md::html_escape(title)
        ))];
        out.extend(body);
        out.push(Block::Html("</details>".into()));
        out
    }
}

/// Whether a list is sure to be tight (every item at most one paragraph,
/// nested lists tight too), from the tree alone: it holds only items and
/// blank text, at least one item, and each item only inline content or a
/// single paragraph, and tight lists. Unsure is `false`.
pub(super) fn tight_list(t: &Tree, list: NodeId) -> bool {
    let mut items = 0;
    for ch in t.children(list) {
        match t.name(ch) {
            "" => {
                if !t.text(ch).unwrap_or("").trim().is_empty() {
                    return false;
                }
            }
            "li" if tight_li(t, ch) => items += 1,
            _ => return false,
        }
    }
    items > 0
}

fn tight_li(t: &Tree, li: NodeId) -> bool {
    let (mut paras, mut inline) = (0, false);
    for ch in t.children(li) {
        match t.name(ch) {
            "" => inline |= !t.text(ch).unwrap_or("").trim().is_empty(),
            "ul" | "ol" => {
                if !tight_list(t, ch) {
                    return false;
                }
            }
            "p" | "div" if inline_only(t, ch) => paras += 1,
            name if INLINE_ONLY.contains(&name) && inline_only(t, ch) => inline = true,
            _ => return false,
        }
    }
    paras + usize::from(inline) <= 1
}

/// Elements that render to inline content only, whatever holds them.
pub(super) const INLINE_ONLY: &[&str] = &[
    "span",
    "font",
    "small",
    "big",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ins",
    "s",
    "del",
    "strike",
    "sub",
    "sup",
    "mark",
    "kbd",
    "code",
    "tt",
    "samp",
    "var",
    "cite",
    "q",
    "abbr",
    "label",
    "a",
    "br",
    "img",
    "time",
    "ac:link",
    "ac:plain-text-link-body",
    "ac:link-body",
    "ac:inline-comment-marker",
    "ac:emoticon",
    "ac:placeholder",
    "ri:page",
    "ri:blog-post",
    "ri:attachment",
    "ri:user",
    "ri:space",
    "ri:url",
];

/// Everything below `n` renders to inline content.
fn inline_only(t: &Tree, n: NodeId) -> bool {
    let r = t.subtree(n);
    (r.start + 1..r.end).all(|d| {
        let name = t.name(d);
        name.is_empty() || INLINE_ONLY.contains(&name)
    })
}
