//! A small owned document tree: nodes in one `Vec`, children by index.

/// Index of a node in [`Tree::nodes`].
pub type NodeId = u32;

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// The synthetic root wrapping the fragment.
    Root,
    /// An element; `name` keeps its prefix (`ac:link`) and is lower-cased.
    Element {
        /// Qualified, lower-cased name.
        name: Box<str>,
        /// Attributes in source order, names lower-cased, values decoded.
        attrs: Vec<(Box<str>, String)>,
    },
    /// Character data (text, resolved references and CDATA merged).
    Text(String),
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
        }
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
            Kind::Element { name, .. } => name,
            _ => "",
        }
    }

    /// The text of a text node.
    pub fn text(&self, id: NodeId) -> Option<&str> {
        match &self.node(id).kind {
            Kind::Text(t) => Some(t),
            _ => None,
        }
    }

    /// An attribute value by lower-cased name.
    pub fn attr(&self, id: NodeId, key: &str) -> Option<&str> {
        match &self.node(id).kind {
            Kind::Element { attrs, .. } => attrs
                .iter()
                .find(|(k, _)| &**k == key)
                .map(|(_, v)| v.as_str()),
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
                Kind::Text(t) => out.push_str(t),
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
        if let Some(&last) = self.nodes[parent as usize].children.last()
            && let Kind::Text(t) = &mut self.nodes[last as usize].kind
        {
            t.push_str(text);
            return;
        }
        self.push(parent, Kind::Text(text.to_owned()));
    }
}
