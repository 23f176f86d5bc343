//! A small owned document tree: nodes in one `Vec` in document order, 16
//! bytes each, so a 45 MB page (a node per 8–10 bytes of a dense table)
//! stays within twice its size.
//!
//! Each node records where its subtree ends instead of a list of children:
//! the descendants of a node are the nodes right after it up to that end,
//! and its children are found by hopping from one child's end to the next.

use std::ops::Range;

/// Index of a node in the tree, in document order.
pub type NodeId = u32;

/// An interned, lower-cased qualified name (`ac:link`); see [`Tree::name_of`].
pub type NameId = u32;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The synthetic root wrapping the fragment.
    Root,
    /// An element. Names are interned: a page has thousands of elements but
    /// a few dozen distinct names, and allocating each was the parser's
    /// main cost.
    Element {
        /// Qualified, lower-cased name.
        name: NameId,
        /// Attributes in source order (a range of the tree's shared
        /// attribute list; see [`Tree::attr`]).
        attrs: Attrs,
    },
    /// Character data (text, resolved references and CDATA merged); see
    /// [`Tree::text`].
    Text(Span),
}

/// A range of [`Tree`]'s shared text buffer: one allocation for all text
/// and attribute values instead of one per node. (`u32`: the parser takes
/// at most [`MAX_INPUT`] bytes, and the buffer holds less than 1.2 times
/// what it takes.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: u32,
    end: u32,
}

/// A range of [`Tree`]'s shared attribute list (interned lower-cased
/// name, decoded value), in source order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attrs {
    start: u32,
    end: u32,
}

/// The most input a tree is built from, so every offset fits a `u32`.
pub const MAX_INPUT: usize = 1 << 31;

/// `Node::tag` of text nodes and of the root; any other value is an
/// element's [`NameId`].
const TEXT: u32 = u32::MAX;
const ROOT_TAG: u32 = u32::MAX - 1;

/// One node: what it is and where its subtree ends.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    /// An element's name, or [`TEXT`] or [`ROOT_TAG`].
    tag: u32,
    /// A text's span, or an element's attribute range.
    from: u32,
    to: u32,
    /// One past the last node of the subtree.
    end: u32,
}

impl Node {
    /// What the node is.
    #[inline]
    pub fn kind(&self) -> Kind {
        match self.tag {
            TEXT => Kind::Text(Span {
                start: self.from,
                end: self.to,
            }),
            ROOT_TAG => Kind::Root,
            name => Kind::Element {
                name,
                attrs: Attrs {
                    start: self.from,
                    end: self.to,
                },
            },
        }
    }
}

/// The children of a node, in document order.
#[derive(Debug, Clone)]
pub struct Children<'t> {
    nodes: &'t [Node],
    next: u32,
    end: u32,
}

impl Iterator for Children<'_> {
    type Item = NodeId;

    #[inline]
    fn next(&mut self) -> Option<NodeId> {
        if self.next >= self.end {
            return None;
        }
        let c = self.next;
        // A subtree always holds its own node, so this always advances.
        self.next = self.nodes[c as usize].end.max(c + 1);
        Some(c)
    }
}

/// The parsed fragment. Node 0 is the root.
#[derive(Debug, Clone)]
pub struct Tree {
    /// All nodes, in document order.
    nodes: Vec<Node>,
    /// Attributes of every element (see [`Attrs`]).
    attrs: Vec<(NameId, Span)>,
    /// While building: the parent of the last node when it is text that
    /// more text may be merged into.
    open_text: Option<NodeId>,
    /// Interned names, lower-cased, back to back in one buffer; `name_spans`
    /// gives where each ends (a few dozen names per page, so one allocation
    /// instead of several per name).
    name_buf: String,
    name_spans: Vec<(u32, u32)>,
    /// Open-addressing hash table (power-of-two size, at most half full)
    /// from a lower-cased name to its id; `NameId::MAX` is empty.
    name_table: Vec<NameId>,
    buf: String,
    /// Direct-mapped cache in front of `name_ids` (names repeat constantly).
    name_cache: [NameId; 256],
}

/// FNV-1a over the ASCII-lower-cased bytes: names are short.
fn name_hash(raw: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in raw.as_bytes() {
        h = (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x100_0000_01b3);
    }
    h
}

impl Tree {
    /// The root node id.
    pub const ROOT: NodeId = 0;

    /// A tree sized for `input` (storage format).
    pub(crate) fn for_input(input: &str) -> Self {
        // An element has a `<` at each end, and text lies between tags:
        // about a node per `<` (more when inline markup splits text, fewer
        // in tables). The vectors then grow by a quarter at a time.
        let lt = memchr::memchr_iter(b'<', input.as_bytes()).count();
        Self::with_capacity(lt + 1, input.len() / 4)
    }

    /// A tree with room for `nodes` nodes and `text` bytes of text.
    pub(crate) fn with_capacity(nodes: usize, text: usize) -> Self {
        let mut v = Vec::with_capacity(nodes.max(1));
        v.push(Node {
            tag: ROOT_TAG,
            from: 0,
            to: 0,
            end: 1,
        });
        Tree {
            nodes: v,
            attrs: Vec::new(),
            open_text: None,
            name_buf: String::with_capacity(512),
            name_spans: Vec::with_capacity(64),
            name_table: vec![NameId::MAX; 128],
            buf: String::with_capacity(text),
            name_cache: [NameId::MAX; 256],
        }
    }

    /// Interns a name, lower-casing it.
    pub(crate) fn intern(&mut self, raw: &str) -> NameId {
        let b = raw.as_bytes();
        // Length and the bytes at both ends tell the few dozen names of a
        // page apart (`ac:parameter`, `ac:name`, `ri:content-title`).
        let slot = match b {
            [] => 0,
            [.., y, z] => {
                let key = u64::from(b[0])
                    | u64::from(b[1]) << 8
                    | u64::from(*y) << 16
                    | u64::from(*z) << 24
                    | (b.len() as u64) << 32;
                (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as usize
            }
            [a] => usize::from(*a),
        };
        let cached = self.name_cache[slot];
        if cached != NameId::MAX && self.name_of(cached) == raw {
            return cached;
        }
        let id = self.intern_slow(raw);
        self.name_cache[slot] = id;
        id
    }

    fn intern_slow(&mut self, raw: &str) -> NameId {
        let mask = self.name_table.len() - 1;
        let mut i = name_hash(raw) as usize & mask;
        loop {
            let id = self.name_table[i];
            if id == NameId::MAX {
                break;
            }
            // Stored names are lower-case, so this is `lower(raw) == name`.
            if self.name_of(id).eq_ignore_ascii_case(raw) {
                return id;
            }
            i = (i + 1) & mask;
        }
        let id = self.name_spans.len() as NameId;
        self.name_buf.push_str(raw);
        let start = self.name_buf.len() - raw.len();
        // ASCII case changes keep the bytes valid UTF-8.
        self.name_buf[start..].make_ascii_lowercase();
        self.name_spans
            .push((start as u32, self.name_buf.len() as u32));
        self.name_table[i] = id;
        if self.name_spans.len() * 2 > self.name_table.len() {
            self.grow_name_table();
        }
        id
    }

    fn grow_name_table(&mut self) {
        let size = self.name_table.len() * 2;
        let mut table = vec![NameId::MAX; size];
        for id in 0..self.name_spans.len() as NameId {
            let mut i = name_hash(self.name_of(id)) as usize & (size - 1);
            while table[i] != NameId::MAX {
                i = (i + 1) & (size - 1);
            }
            table[i] = id;
        }
        self.name_table = table;
    }

    /// Stores a string in the shared buffer.
    pub(crate) fn store(&mut self, s: &str) -> Span {
        let start = self.buf.len();
        reserve(&mut self.buf, s.len());
        self.buf.push_str(s);
        Span {
            start: start as u32,
            end: self.buf.len() as u32,
        }
    }

    #[inline]
    fn span(&self, s: Span) -> &str {
        self.buf.get(s.start as usize..s.end as usize).unwrap_or("")
    }

    /// The text of an interned name.
    #[inline]
    pub fn name_of(&self, id: NameId) -> &str {
        let (start, end) = self.name_spans[id as usize];
        &self.name_buf[start as usize..end as usize]
    }

    /// How many nodes there are (ids are `0..len`).
    #[inline]
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Never: there is always the root.
    #[inline]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The node behind an id.
    #[inline]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// What the node behind an id is.
    #[inline]
    pub fn kind(&self, id: NodeId) -> Kind {
        self.nodes[id as usize].kind()
    }

    /// Children of a node.
    #[inline]
    pub fn children(&self, id: NodeId) -> Children<'_> {
        Children {
            nodes: &self.nodes,
            next: id + 1,
            end: self.nodes[id as usize].end,
        }
    }

    /// The node and all below it, in document order.
    #[inline]
    pub fn subtree(&self, id: NodeId) -> Range<NodeId> {
        id..self.nodes[id as usize].end
    }

    /// The element name, or `""` for text and root.
    #[inline]
    pub fn name(&self, id: NodeId) -> &str {
        match self.nodes[id as usize].tag {
            TEXT | ROOT_TAG => "",
            name => self.name_of(name),
        }
    }

    /// The text of a text node.
    #[inline]
    pub fn text(&self, id: NodeId) -> Option<&str> {
        match self.kind(id) {
            Kind::Text(t) => Some(self.span(t)),
            _ => None,
        }
    }

    /// An attribute value by lower-cased name.
    #[inline]
    pub fn attr(&self, id: NodeId, key: &str) -> Option<&str> {
        match self.kind(id) {
            // A few attributes per element: comparing beats hashing the key.
            Kind::Element { attrs, .. } => self.attrs[attrs.start as usize..attrs.end as usize]
                .iter()
                .find(|(k, _)| self.name_of(*k) == key)
                .map(|(_, v)| self.span(*v)),
            _ => None,
        }
    }

    /// The (name, value) pairs of an attribute list.
    pub fn attr_pairs(&self, attrs: Attrs) -> impl Iterator<Item = (&str, &str)> {
        self.attrs[attrs.start as usize..attrs.end as usize]
            .iter()
            .map(|&(k, v)| (self.name_of(k), self.span(v)))
    }

    /// First child element with this name.
    #[inline]
    pub fn child(&self, id: NodeId, name: &str) -> Option<NodeId> {
        self.children(id).find(|&c| self.name(c) == name)
    }

    /// Child elements with this name.
    pub fn children_named<'a>(
        &'a self,
        id: NodeId,
        name: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.children(id).filter(move |&c| self.name(c) == name)
    }

    /// First descendant element with this name (document order).
    pub fn find(&self, id: NodeId, name: &str) -> Option<NodeId> {
        let r = self.subtree(id);
        (r.start + 1..r.end).find(|&n| self.name(n) == name)
    }

    /// All text below a node, concatenated.
    pub fn text_content(&self, id: NodeId) -> String {
        let mut out = String::new();
        for n in self.subtree(id) {
            if let Kind::Text(t) = self.kind(n) {
                out.push_str(self.span(t));
            }
        }
        out
    }

    /// Appends a node as the last child of the innermost open element; an
    /// element stays open (collects what follows) until [`Tree::close`].
    pub(crate) fn push(&mut self, kind: Kind) -> NodeId {
        let id = self.nodes.len() as NodeId;
        if self.nodes.len() == self.nodes.capacity() {
            self.nodes.reserve_exact(self.nodes.len() / 4 + 16);
        }
        let (tag, from, to) = match kind {
            Kind::Root => (ROOT_TAG, 0, 0),
            Kind::Element { name, attrs } => (name, attrs.start, attrs.end),
            Kind::Text(s) => (TEXT, s.start, s.end),
        };
        self.nodes.push(Node {
            tag,
            from,
            to,
            end: id + 1,
        });
        self.open_text = None;
        id
    }

    /// Ends an element pushed earlier: its subtree is what was pushed since.
    pub(crate) fn close(&mut self, id: NodeId) {
        let end = self.nodes.len() as NodeId;
        if let Some(n) = self.nodes.get_mut(id as usize) {
            n.end = end;
        }
        self.open_text = None;
    }

    /// Starts an attribute list for the next element (see [`Tree::push_attr`]).
    pub(crate) fn attrs_start(&self) -> u32 {
        self.attrs.len() as u32
    }

    /// Adds an attribute to the list begun by [`Tree::attrs_start`].
    pub(crate) fn push_attr(&mut self, key: NameId, value: &str) {
        let v = self.store(value);
        if self.attrs.len() == self.attrs.capacity() {
            self.attrs.reserve_exact(self.attrs.len() / 4 + 16);
        }
        self.attrs.push((key, v));
    }

    /// The attributes added since `start`.
    pub(crate) fn attrs_since(&self, start: u32) -> Attrs {
        Attrs {
            start,
            end: self.attrs.len() as u32,
        }
    }

    /// Ends building: the root spans everything, and spare capacity goes.
    pub(crate) fn finish(&mut self) {
        self.close(Self::ROOT);
        self.nodes.shrink_to_fit();
        self.attrs.shrink_to_fit();
        self.buf.shrink_to_fit();
    }

    /// Appends text to `parent` (the innermost open element), merging with
    /// a preceding text node.
    pub(crate) fn push_text(&mut self, parent: NodeId, text: &str) {
        if text.is_empty() {
            return;
        }
        let buf_end = self.buf.len() as u32;
        if self.open_text == Some(parent)
            && let Some(last) = self.nodes.last_mut()
            && last.tag == TEXT
            && last.to == buf_end
        {
            reserve(&mut self.buf, text.len());
            self.buf.push_str(text);
            last.to = self.buf.len() as u32;
            return;
        }
        let span = self.store(text);
        self.push(Kind::Text(span));
        self.open_text = Some(parent);
    }
}

/// Room for `more` bytes, growing by a quarter rather than doubling: the
/// buffer of a big page is tens of megabytes, and the slack of a doubling
/// would be most of that again.
fn reserve(buf: &mut String, more: usize) {
    if buf.capacity() - buf.len() < more {
        buf.reserve_exact(more.max(buf.len() / 4 + 64));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_case_insensitive_and_survives_growth() {
        let mut t = Tree::with_capacity(0, 0);
        let p = t.intern("p");
        assert_eq!(t.intern("P"), p);
        let link = t.intern("AC:Link");
        assert_eq!(t.name_of(link), "ac:link");
        assert_eq!(t.intern("ac:link"), link);
        assert_eq!(t.intern("ÄC:link"), t.intern("ÄC:LINK"));
        assert_ne!(t.intern("äc:link"), t.intern("ÄC:link"));
        let ids: Vec<NameId> = (0..1000).map(|i| t.intern(&format!("N{i}"))).collect();
        for (i, &id) in ids.iter().enumerate() {
            assert_eq!(t.name_of(id), format!("n{i}"));
            assert_eq!(t.intern(&format!("n{i}")), id);
            assert_eq!(t.intern(&format!("N{i}")), id);
        }
        assert_eq!(t.intern("p"), p);
        assert_eq!(t.name_of(link), "ac:link");
        assert_eq!(t.intern(""), t.intern(""));
    }
}
