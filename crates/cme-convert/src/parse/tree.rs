//! A small owned document tree: nodes in one `Vec`, children by index.

/// Index of a node in [`Tree::nodes`].
pub type NodeId = u32;

/// An interned, lower-cased qualified name (`ac:link`); see [`Tree::name_of`].
pub type NameId = u32;

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
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
/// and attribute values instead of one per node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    start: usize,
    end: usize,
}

/// A range of [`Tree`]'s shared attribute list (interned lower-cased
/// name, decoded value), in source order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attrs {
    start: u32,
    end: u32,
}

/// One node.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its kind.
    pub kind: Kind,
    /// Children in document order: a range of the tree's shared child list,
    /// filled in when parsing finishes (one allocation instead of one `Vec`
    /// per element).
    first_child: u32,
    child_count: u32,
}

/// The parsed fragment. Node 0 is the root.
#[derive(Debug, Clone)]
pub struct Tree {
    /// All nodes; children refer to them by index.
    pub nodes: Vec<Node>,
    /// Children of every node, grouped by parent (see [`Node`]).
    child_ids: Vec<NodeId>,
    /// Attributes of every element (see [`Attrs`]).
    attrs: Vec<(NameId, Span)>,
    /// While building: each node's parent (the root's is itself).
    parents: Vec<NodeId>,
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

    /// A tree sized for `input_len` bytes of storage format.
    pub(crate) fn with_capacity(input_len: usize) -> Self {
        // About one node per 30–40 bytes of storage format in the corpus.
        let n = input_len / 32 + 1;
        let mut nodes = Vec::with_capacity(n);
        nodes.push(Node {
            kind: Kind::Root,
            first_child: 0,
            child_count: 0,
        });
        let mut parents = Vec::with_capacity(n);
        parents.push(Self::ROOT);
        Tree {
            nodes,
            child_ids: Vec::new(),
            attrs: Vec::with_capacity(n / 2),
            parents,
            name_buf: String::with_capacity(512),
            name_spans: Vec::with_capacity(64),
            name_table: vec![NameId::MAX; 128],
            buf: String::with_capacity(input_len / 2),
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
        self.buf.push_str(s);
        Span {
            start,
            end: self.buf.len(),
        }
    }

    #[inline]
    fn span(&self, s: Span) -> &str {
        &self.buf[s.start..s.end]
    }

    /// The text of an interned name.
    #[inline]
    pub fn name_of(&self, id: NameId) -> &str {
        let (start, end) = self.name_spans[id as usize];
        &self.name_buf[start as usize..end as usize]
    }

    /// The node behind an id.
    #[inline]
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// Children of a node.
    #[inline]
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        let n = &self.nodes[id as usize];
        let start = n.first_child as usize;
        &self.child_ids[start..start + n.child_count as usize]
    }

    /// The element name, or `""` for text and root.
    #[inline]
    pub fn name(&self, id: NodeId) -> &str {
        match &self.node(id).kind {
            Kind::Element { name, .. } => self.name_of(*name),
            _ => "",
        }
    }

    /// The text of a text node.
    #[inline]
    pub fn text(&self, id: NodeId) -> Option<&str> {
        match &self.node(id).kind {
            Kind::Text(t) => Some(self.span(*t)),
            _ => None,
        }
    }

    /// An attribute value by lower-cased name.
    #[inline]
    pub fn attr(&self, id: NodeId, key: &str) -> Option<&str> {
        match &self.node(id).kind {
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
        self.children(id)
            .iter()
            .copied()
            .find(|&c| self.name(c) == name)
    }

    /// Child elements with this name.
    pub fn children_named<'a>(
        &'a self,
        id: NodeId,
        name: &'a str,
    ) -> impl Iterator<Item = NodeId> + 'a {
        self.children(id)
            .iter()
            .copied()
            .filter(move |&c| self.name(c) == name)
    }

    /// First descendant element with this name (iterative, document order).
    pub fn find(&self, id: NodeId, name: &str) -> Option<NodeId> {
        let mut stack: Vec<NodeId> = self.children(id).iter().rev().copied().collect();
        while let Some(n) = stack.pop() {
            if self.name(n) == name {
                return Some(n);
            }
            stack.extend(self.children(n).iter().rev());
        }
        None
    }

    /// All text below a node, concatenated (iterative).
    pub fn text_content(&self, id: NodeId) -> String {
        // Most callers ask for a parameter or a heading: one text child.
        match self.children(id) {
            _ if matches!(self.node(id).kind, Kind::Text(_)) => {}
            [] => return String::new(),
            &[c] => {
                if let Kind::Text(t) = &self.node(c).kind {
                    return self.span(*t).to_owned();
                }
            }
            _ => {}
        }
        let mut out = String::new();
        let mut stack = vec![id];
        while let Some(n) = stack.pop() {
            match &self.node(n).kind {
                Kind::Text(t) => out.push_str(self.span(*t)),
                _ => stack.extend(self.children(n).iter().rev()),
            }
        }
        out
    }

    pub(crate) fn push(&mut self, parent: NodeId, kind: Kind) -> NodeId {
        let id = self.nodes.len() as NodeId;
        self.nodes.push(Node {
            kind,
            first_child: 0,
            child_count: 0,
        });
        self.nodes[parent as usize].child_count += 1;
        self.parents.push(parent);
        id
    }

    /// Starts an attribute list for the next element (see [`Tree::push_attr`]).
    pub(crate) fn attrs_start(&self) -> u32 {
        self.attrs.len() as u32
    }

    /// Adds an attribute to the list begun by [`Tree::attrs_start`].
    pub(crate) fn push_attr(&mut self, key: NameId, value: &str) {
        let v = self.store(value);
        self.attrs.push((key, v));
    }

    /// The attributes added since `start`.
    pub(crate) fn attrs_since(&self, start: u32) -> Attrs {
        Attrs {
            start,
            end: self.attrs.len() as u32,
        }
    }

    /// Ends building: lays the children of every node out in one list
    /// (a counting sort by parent; ids are in document order, so each
    /// group stays in document order).
    pub(crate) fn finish(&mut self) {
        let mut next = 0u32;
        for n in &mut self.nodes {
            n.first_child = next;
            next += n.child_count;
        }
        let mut child_ids = vec![0; next as usize];
        let mut cursor: Vec<u32> = self.nodes.iter().map(|n| n.first_child).collect();
        for (id, &p) in self.parents.iter().enumerate().skip(1) {
            let c = &mut cursor[p as usize];
            child_ids[*c as usize] = id as NodeId;
            *c += 1;
        }
        self.child_ids = child_ids;
        self.parents = Vec::new();
    }

    /// Appends text to `parent`, merging with a preceding text node.
    pub(crate) fn push_text(&mut self, parent: NodeId, text: &str) {
        if text.is_empty() {
            return;
        }
        let buf_end = self.buf.len();
        // Text only ever goes to the innermost open element, so the node
        // pushed last is the parent's last child unless it belongs to an
        // element closed since (then its parent differs).
        let last = self.nodes.len() - 1;
        if self.parents[last] == parent
            && let Kind::Text(t) = &mut self.nodes[last].kind
            && t.end == buf_end
        {
            self.buf.push_str(text);
            t.end = self.buf.len();
            return;
        }
        let span = self.store(text);
        self.push(parent, Kind::Text(span));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_case_insensitive_and_survives_growth() {
        let mut t = Tree::with_capacity(0);
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
