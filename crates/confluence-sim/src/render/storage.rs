//! A forgiving parser for storage-format fragments (no root, `ac:`/`ri:`
//! prefixes, HTML entities, CDATA), good enough to render view HTML and ADF.
//! Text keeps its entities; CDATA is decoded.

#[derive(Debug, Clone)]
pub enum Node {
    Element(Element),
    /// Raw text, entities still encoded.
    Text(String),
    /// Literal text from CDATA.
    CData(String),
}

#[derive(Debug, Clone, Default)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find_map(|c| match c {
            Node::Element(e) if e.name == name => Some(e),
            _ => None,
        })
    }

    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|c| match c {
            Node::Element(e) => Some(e),
            _ => None,
        })
    }

    /// `ac:parameter` value (text) by name (`""` for the default parameter).
    pub fn param(&self, name: &str) -> Option<String> {
        self.elements()
            .find(|e| e.name == "ac:parameter" && e.attr("ac:name") == Some(name))
            .map(|e| decode_entities(&text_of(&e.children)))
    }

    pub fn param_el(&self, name: &str) -> Option<&Element> {
        self.elements()
            .find(|e| e.name == "ac:parameter" && e.attr("ac:name") == Some(name))
    }

    /// The concatenated text of a plain-text body (CDATA or text).
    pub fn plain_body(&self) -> Option<String> {
        self.child("ac:plain-text-body").map(|b| {
            b.children
                .iter()
                .map(|c| match c {
                    Node::CData(s) => s.clone(),
                    Node::Text(t) => decode_entities(t),
                    Node::Element(_) => String::new(),
                })
                .collect()
        })
    }
}

/// Text content with entities still encoded (CDATA re-escaped).
pub fn text_of(nodes: &[Node]) -> String {
    let mut s = String::new();
    for n in nodes {
        match n {
            Node::Text(t) => s.push_str(t),
            Node::CData(c) => s.push_str(&escape_text(c)),
            Node::Element(e) => s.push_str(&text_of(&e.children)),
        }
    }
    s
}

pub fn escape_text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

/// Decodes XML/HTML entities (the common named ones and numeric).
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let rep: Option<String> = if let Some(num) = name.strip_prefix('#') {
            let n = if let Some(h) = num.strip_prefix('x').or_else(|| num.strip_prefix('X')) {
                u32::from_str_radix(h, 16).ok()
            } else {
                num.parse().ok()
            };
            n.and_then(char::from_u32).map(|c| c.to_string())
        } else {
            match name {
                "amp" => Some("&".into()),
                "lt" => Some("<".into()),
                "gt" => Some(">".into()),
                "quot" => Some("\"".into()),
                "apos" => Some("'".into()),
                "nbsp" => Some("\u{a0}".into()),
                "ndash" => Some("–".into()),
                "mdash" => Some("—".into()),
                "lsquo" => Some("‘".into()),
                "rsquo" => Some("’".into()),
                "ldquo" => Some("“".into()),
                "rdquo" => Some("”".into()),
                "rarr" => Some("→".into()),
                "larr" => Some("←".into()),
                "harr" => Some("↔".into()),
                "deg" => Some("°".into()),
                "hellip" => Some("…".into()),
                "copy" => Some("©".into()),
                "auml" => Some("ä".into()),
                "ouml" => Some("ö".into()),
                "uuml" => Some("ü".into()),
                _ => None,
            }
        };
        match rep {
            Some(r) => {
                out.push_str(&r);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

const VOID: &[&str] = &["br", "hr", "img", "col", "input", "meta", "link"];

fn parse_attrs(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        let start = i;
        while i < b.len() && !(b[i] as char).is_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if start == i {
            i += 1;
            continue;
        }
        let name = s[start..i].to_string();
        while i < b.len() && (b[i] as char).is_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && (b[i] as char).is_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                let vs = i + 1;
                i = vs;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                out.push((name, s[vs..i.min(b.len())].to_string()));
                i += 1;
            } else {
                let vs = i;
                while i < b.len() && !(b[i] as char).is_whitespace() {
                    i += 1;
                }
                out.push((name, s[vs..i].to_string()));
            }
        } else {
            out.push((name, String::new()));
        }
    }
    out
}

/// Parses a fragment into a forest. Never fails: stray closing tags are
/// ignored and unclosed elements end at the end of input.
pub fn parse(src: &str) -> Vec<Node> {
    let mut stack: Vec<Element> = vec![Element::default()];
    let mut rest = src;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            push(&mut stack, Node::Text(rest.to_string()));
            break;
        };
        if lt > 0 {
            push(&mut stack, Node::Text(rest[..lt].to_string()));
        }
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<![CDATA[") {
            let end = r.find("]]>").unwrap_or(r.len());
            push(&mut stack, Node::CData(r[..end].to_string()));
            rest = r.get(end + 3..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix("<!--") {
            let end = r.find("-->").map(|e| e + 3).unwrap_or(r.len());
            rest = &r[end..];
        } else if rest.starts_with("<!") || rest.starts_with("<?") {
            let end = rest.find('>').map(|e| e + 1).unwrap_or(rest.len());
            rest = &rest[end..];
        } else if let Some(r) = rest.strip_prefix("</") {
            let end = r.find('>').unwrap_or(r.len());
            let name = r[..end].trim().to_string();
            rest = r.get(end + 1..).unwrap_or("");
            if stack.iter().skip(1).any(|e| e.name == name) {
                while stack.len() > 1 {
                    let e = stack.pop().unwrap();
                    let done = e.name == name;
                    push(&mut stack, Node::Element(e));
                    if done {
                        break;
                    }
                }
            }
        } else {
            // Find the tag end, respecting quotes.
            let b = rest.as_bytes();
            let mut i = 1;
            let mut q: Option<u8> = None;
            while i < b.len() {
                match (q, b[i]) {
                    (None, b'"') | (None, b'\'') => q = Some(b[i]),
                    (Some(c), x) if c == x => q = None,
                    (None, b'>') => break,
                    _ => {}
                }
                i += 1;
            }
            let inner = &rest[1..i.min(rest.len())];
            rest = rest.get(i + 1..).unwrap_or("");
            let self_closing = inner.ends_with('/');
            let inner = inner.trim_end_matches('/');
            let (name, attrs) = match inner.find(|c: char| c.is_whitespace()) {
                Some(sp) => (&inner[..sp], parse_attrs(&inner[sp..])),
                None => (inner, Vec::new()),
            };
            if name.is_empty() {
                push(&mut stack, Node::Text("&lt;".into()));
                continue;
            }
            let el = Element {
                name: name.to_string(),
                attrs,
                children: Vec::new(),
            };
            if self_closing || VOID.contains(&name) {
                push(&mut stack, Node::Element(el));
            } else {
                stack.push(el);
            }
        }
    }
    while stack.len() > 1 {
        let e = stack.pop().unwrap();
        push(&mut stack, Node::Element(e));
    }
    stack.pop().unwrap().children
}

fn push(stack: &mut [Element], n: Node) {
    stack.last_mut().unwrap().children.push(n);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_macros_cdata_and_entities() {
        let f = parse(
            r#"<p>a&nbsp;b</p><ac:structured-macro ac:name="code"><ac:parameter ac:name="language">rust</ac:parameter><ac:plain-text-body><![CDATA[x < y && z]]></ac:plain-text-body></ac:structured-macro><br/>"#,
        );
        assert_eq!(f.len(), 3);
        let Node::Element(m) = &f[1] else { panic!() };
        assert_eq!(m.attr("ac:name"), Some("code"));
        assert_eq!(m.param("language").as_deref(), Some("rust"));
        assert_eq!(m.plain_body().as_deref(), Some("x < y && z"));
        assert_eq!(
            decode_entities("a&nbsp;&amp;&#128512;&bogus;"),
            "a\u{a0}&😀&bogus;"
        );
    }

    #[test]
    fn survives_broken_input() {
        let f = parse("<p>open <b>bold</p> </i> tail <");
        assert!(!f.is_empty());
    }
}
