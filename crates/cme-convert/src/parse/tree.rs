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
        /// Attributes in source order: interned lower-cased name, decoded
        /// value (see [`Tree::attr`]).
        attrs: Vec<(NameId, Span)>,
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

/// One node.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its kind.
    pub kind: Kind,
    /// Children in document order.
    pub children: Vec<NodeId>,
}

/// The parsed fragment. Node 0 is the root.
#[derive(Debug, Clone)]
pub struct Tree {
    /// All nodes; children refer to them by index.
    pub nodes: Vec<Node>,
    names: Vec<Box<str>>,
    name_ids: std::collections::HashMap<Box<str>, NameId, BuildFnv>,
    buf: String,
    /// Direct-mapped cache in front of `name_ids` (names repeat constantly).
    name_cache: [NameId; 64],
}

/// FNV-1a: names are short and trusted-size; SipHash showed in profiles.
#[derive(Default, Clone, Copy)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

type BuildFnv = std::hash::BuildHasherDefault<Fnv>;

impl std::fmt::Debug for Fnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fnv")
    }
}

impl Tree {
    /// The root node id.
    pub const ROOT: NodeId = 0;

    pub(crate) fn new() -> Self {
        Tree {
            nodes: vec![Node {
                kind: Kind::Root,
                children: Vec::new(),
            }],
            names: Vec::new(),
            name_ids: std::collections::HashMap::default(),
            buf: String::new(),
            name_cache: [NameId::MAX; 64],
        }
    }

    /// Interns a name, lower-casing it.
    pub(crate) fn intern(&mut self, raw: &str) -> NameId {
        let b = raw.as_bytes();
        let slot = match (b.first(), b.last()) {
            (Some(&f), Some(&l)) => {
                (b.len().wrapping_mul(31) ^ usize::from(f).wrapping_mul(7) ^ usize::from(l)) & 63
            }
            _ => 0,
        };
        let cached = self.name_cache[slot];
        if cached != NameId::MAX && *self.names[cached as usize] == *raw {
            return cached;
        }
        let id = self.intern_slow(raw);
        self.name_cache[slot] = id;
        id
    }

    fn intern_slow(&mut self, raw: &str) -> NameId {
        if let Some(&id) = self.name_ids.get(raw) {
            return id;
        }
        let lower = raw.to_ascii_lowercase();
        if let Some(&id) = self.name_ids.get(lower.as_str()) {
            self.name_ids.insert(raw.into(), id);
            return id;
        }
        let id = self.names.len() as NameId;
        self.names.push(lower.clone().into());
        self.name_ids.insert(lower.into(), id);
        if raw.bytes().any(|b| b.is_ascii_uppercase()) {
            self.name_ids.insert(raw.into(), id);
        }
        id
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

    fn span(&self, s: Span) -> &str {
        &self.buf[s.start..s.end]
    }

    /// The text of an interned name.
    pub fn name_of(&self, id: NameId) -> &str {
        &self.names[id as usize]
    }

    /// The node behind an id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize]
    }

    /// Children of a node.
    pub fn children(&self, id: NodeId) -> &[NodeId] {
        &self.nodes[id as usize].children
    }

    /// The element name, or `""` for text and root.
    pub fn name(&self, id: NodeId) -> &str {
        match &self.node(id).kind {
            Kind::Element { name, .. } => self.name_of(*name),
            _ => "",
        }
    }

    /// The text of a text node.
    pub fn text(&self, id: NodeId) -> Option<&str> {
        match &self.node(id).kind {
            Kind::Text(t) => Some(self.span(*t)),
            _ => None,
        }
    }

    /// An attribute value by lower-cased name.
    pub fn attr(&self, id: NodeId, key: &str) -> Option<&str> {
        match &self.node(id).kind {
            // A few attributes per element: comparing beats hashing the key.
            Kind::Element { attrs, .. } => attrs
                .iter()
                .find(|(k, _)| self.name_of(*k) == key)
                .map(|(_, v)| self.span(*v)),
            _ => None,
        }
    }

    /// First child element with this name.
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
            children: Vec::new(),
        });
        self.nodes[parent as usize].children.push(id);
        id
    }

    /// Appends text to `parent`, merging with a preceding text node.
    pub(crate) fn push_text(&mut self, parent: NodeId, text: &str) {
        if text.is_empty() {
            return;
        }
        let buf_end = self.buf.len();
        if let Some(&last) = self.nodes[parent as usize].children.last()
            && let Kind::Text(t) = &mut self.nodes[last as usize].kind
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
