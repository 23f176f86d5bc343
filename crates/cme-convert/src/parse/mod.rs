//! Lenient parsing of storage format into a [`Tree`].
//!
//! quick-xml tokenises; this module builds the tree and recovers from
//! everything a strict XML parser rejects: undeclared prefixes (names are
//! kept verbatim, so `ac:link` is just a name), HTML entities, stray `&` and
//! `<`, mismatched and unclosed tags. Parsing never fails; what it had to
//! repair is reported as warnings.

pub mod entities;
pub mod tree;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

pub use tree::{Attrs, Kind, NameId, NodeId, Span, Tree};

/// Elements nested deeper than this are flattened into their ancestor at
/// the limit (text kept), so every later recursive walk is bounded.
pub const MAX_DEPTH: usize = 100;

/// HTML void elements: an unclosed `<br>` must not swallow what follows.
const VOID: &[&str] = &[
    "br", "hr", "img", "col", "input", "meta", "link", "area", "base", "wbr", "source",
];

/// Elements whose content is never visible text.
const DROPPED: &[&str] = &["style", "script"];

/// The parse result: the tree and what had to be repaired.
#[derive(Debug)]
pub struct Parsed {
    /// The tree.
    pub tree: Tree,
    /// Human-readable notes about repairs.
    pub repairs: Vec<String>,
}

struct Builder {
    tree: Tree,
    /// Open elements (ids and names); the root is not on it.
    stack: Vec<(NodeId, tree::NameId)>,
    /// How many open tags beyond [`MAX_DEPTH`] were flattened and not pushed.
    overflow: usize,
    repairs: Vec<String>,
    depth_warned: bool,
}

impl Builder {
    fn parent(&self) -> NodeId {
        self.stack.last().map_or(Tree::ROOT, |(id, _)| *id)
    }

    fn text(&mut self, s: &str) {
        let p = self.parent();
        self.tree.push_text(p, s);
    }

    fn start(&mut self, e: &BytesStart<'_>, empty: bool) {
        let raw_name = e.name();
        let raw_name: &str = raw_name.as_ref();
        let name = self.tree.intern(raw_name);
        let empty = empty || VOID.contains(&self.tree.name_of(name));
        if self.stack.len() >= MAX_DEPTH {
            if !self.depth_warned {
                self.depth_warned = true;
                self.repairs.push(format!(
                    "nesting deeper than {MAX_DEPTH} levels was flattened (text kept)"
                ));
            }
            if !empty {
                self.overflow += 1;
            }
            return;
        }
        let start = self.tree.attrs_start();
        for a in e.html_attributes().with_checks(false).flatten() {
            let k: &str = a.key.as_ref();
            let k = self.tree.intern(k);
            self.tree.push_attr(k, &entities::decode(&a.value));
        }
        let attrs = self.tree.attrs_since(start);
        let parent = self.parent();
        let id = self.tree.push(parent, Kind::Element { name, attrs });
        if !empty {
            self.stack.push((id, name));
        }
    }

    fn end(&mut self, raw_name: &str) {
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let name = self.tree.intern(raw_name.trim());
        match self.stack.iter().rposition(|(_, n)| *n == name) {
            Some(pos) => {
                if pos + 1 != self.stack.len() {
                    let name = self.tree.name_of(name);
                    self.repairs
                        .push(format!("closed unclosed elements before </{name}>"));
                }
                self.stack.truncate(pos);
            }
            None => {
                let name = self.tree.name_of(name);
                if !VOID.contains(&name) {
                    self.repairs.push(format!("ignored stray </{name}>"));
                }
            }
        }
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

/// Escapes every `<` that cannot start markup (`a < b`, `<3`), outside
/// CDATA sections and comments, so the tokenizer never has to backtrack
/// over them (which would be quadratic).
fn escape_stray_lt(input: &str) -> std::borrow::Cow<'_, str> {
    let bytes = input.as_bytes();
    let starts_markup = |i: usize| match bytes.get(i + 1) {
        Some(b'/' | b'!' | b'?') => true,
        Some(_) => input[i + 1..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_' || c == ':'),
        None => false,
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    // `i` is always at a character boundary: just past an ASCII `<` or at
    // the end of a CDATA section or comment.
    while let Some(off) = memchr::memchr(b'<', &bytes[i..]) {
        i += off;
        let rest = &input[i..];
        let skip_to = if rest.starts_with("<![CDATA[") {
            Some(rest.find("]]>").map_or(input.len(), |e| i + e + 3))
        } else {
            rest.strip_prefix("<!--")
                .map(|body| body.find("-->").map_or(input.len(), |e| i + 4 + e + 3))
        };
        if let Some(end) = skip_to {
            i = end;
            continue;
        }
        if !starts_markup(i) {
            let o = out.get_or_insert_with(|| String::with_capacity(input.len() + 16));
            o.push_str(&input[copied..i]);
            o.push_str("&lt;");
            copied = i + 1;
        }
        i += 1;
    }
    match out {
        Some(mut o) => {
            o.push_str(&input[copied..]);
            std::borrow::Cow::Owned(o)
        }
        None => std::borrow::Cow::Borrowed(input),
    }
}

/// Parses a storage-format fragment. Never fails.
pub fn parse(input: &str) -> Parsed {
    // quick-xml skips a byte-order mark, which would shift its positions.
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let input = escape_stray_lt(input);
    let input: &str = &input;
    let mut b = Builder {
        tree: Tree::with_capacity(input.len()),
        stack: Vec::new(),
        overflow: 0,
        repairs: Vec::new(),
        depth_warned: false,
    };
    let mut dropped_depth = 0usize;
    let mut pos = 0usize;
    // Where each kind of markup could still be closed: found at most once, so
    // error recovery stays linear, and only when recovery needs it, since
    // scanning the whole input up front cost ~8% of well-formed conversions.
    let last_gt = std::cell::OnceCell::new();
    let last_cdata_end = std::cell::OnceCell::new();
    let last_comment_end = std::cell::OnceCell::new();
    let last_pi_end = std::cell::OnceCell::new();
    'outer: while pos < input.len() {
        // Positions come from the tokenizer; never slice inside a character.
        while !input.is_char_boundary(pos) {
            pos += 1;
        }
        let rest = &input[pos..];
        let mut reader = Reader::from_str(rest);
        {
            let c = reader.config_mut();
            c.check_end_names = false;
            c.allow_unmatched_ends = true;
            c.allow_dangling_amp = true;
            c.check_comments = false;
            c.expand_empty_elements = false;
            c.trim_text(false);
        }
        loop {
            let before = reader.buffer_position() as usize;
            let ev = reader.read_event();
            if let Ok(Event::Start(e) | Event::Empty(e)) = &ev {
                let qn = e.name();
                if !valid_name(qn.as_ref()) {
                    // `a < b` or `<3`: never a tag. Keep the `<` as text and
                    // rescan right after it.
                    if dropped_depth == 0 {
                        b.text("<");
                    }
                    let before = before.min(rest.len());
                    let lt = rest.get(before..).and_then(|r| r.find('<')).unwrap_or(0);
                    pos += before + lt + 1;
                    continue 'outer;
                }
            }
            match ev {
                Ok(Event::Start(e)) => {
                    let qn = e.name();
                    let n: &str = qn.as_ref();
                    if dropped_depth > 0 || DROPPED.iter().any(|d| n.eq_ignore_ascii_case(d)) {
                        dropped_depth += 1;
                        continue;
                    }
                    b.start(&e, false)
                }
                Ok(Event::Empty(e)) => {
                    if dropped_depth == 0 {
                        b.start(&e, true)
                    }
                }
                Ok(Event::End(e)) => {
                    if dropped_depth > 0 {
                        dropped_depth -= 1;
                        continue;
                    }
                    b.end(&e)
                }
                Ok(Event::Text(t)) => {
                    if dropped_depth == 0 {
                        b.text(&t.xml10_content())
                    }
                }
                Ok(Event::CData(t)) => {
                    if dropped_depth == 0 {
                        b.text(&t.xml10_content())
                    }
                }
                Ok(Event::GeneralRef(r)) => {
                    if dropped_depth > 0 {
                        continue;
                    }
                    let name: &str = &r;
                    match entities::resolve(name) {
                        Some(entities::Resolved::Char(c)) => b.text(c.encode_utf8(&mut [0; 4])),
                        Some(entities::Resolved::Str(s)) => b.text(s),
                        None => {
                            b.repairs.push(format!("unknown entity &{name};"));
                            b.text(&format!("&{name};"));
                        }
                    }
                }
                Ok(Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_)) => {}
                Ok(Event::Eof) => break 'outer,
                Err(err) => {
                    let mut at = (reader.error_position() as usize).min(rest.len());
                    while !rest.is_char_boundary(at) {
                        at -= 1;
                    }
                    b.repairs
                        .push(format!("recovered from {err} at byte {}", pos + at));
                    let tail = &rest[at..];
                    let terminator = if tail.starts_with("<![CDATA[") {
                        "]]>"
                    } else if tail.starts_with("<!--") {
                        "-->"
                    } else if tail.starts_with("<?") {
                        "?>"
                    } else {
                        ">"
                    };
                    // Markup that can never be closed: the rest is text. One
                    // scan decides; rescanning after every opener would be
                    // quadratic.
                    let cell = match terminator {
                        "]]>" => &last_cdata_end,
                        "-->" => &last_comment_end,
                        "?>" => &last_pi_end,
                        _ => &last_gt,
                    };
                    let last = *cell.get_or_init(|| input.rfind(terminator));
                    if last.is_none_or(|l| l <= pos + at) {
                        if dropped_depth == 0 {
                            b.text(&entities::decode(tail));
                        }
                        break 'outer;
                    }
                    // Keep the offending character as text and resume after it.
                    let ch_len = tail.chars().next().map_or(1, char::len_utf8);
                    if dropped_depth == 0 {
                        b.text(&tail[..ch_len.min(tail.len())]);
                    }
                    pos += at + ch_len;
                    continue 'outer;
                }
            }
        }
    }
    if !b.stack.is_empty() {
        b.repairs
            .push(format!("{} element(s) left unclosed", b.stack.len()));
    }
    b.tree.finish();
    Parsed {
        tree: b.tree,
        repairs: b.repairs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_text(input: &str) -> String {
        let p = parse(input);
        p.tree.text_content(Tree::ROOT)
    }

    #[test]
    fn fragment_with_prefixes_and_entities() {
        let p =
            parse(r#"<p>a&nbsp;b</p><ac:link><ri:page ri:content-title="T&amp;C" /></ac:link>"#);
        let t = &p.tree;
        let root = t.children(Tree::ROOT);
        assert_eq!(t.name(root[0]), "p");
        assert_eq!(t.text_content(root[0]), "a\u{a0}b");
        let page = t.child(root[1], "ri:page").unwrap();
        assert_eq!(t.attr(page, "ri:content-title"), Some("T&C"));
    }

    #[test]
    fn split_cdata_is_joined() {
        let s = "<ac:plain-text-body><![CDATA[a]]]]><![CDATA[>b]]></ac:plain-text-body>";
        assert_eq!(all_text(s), "a]]>b");
    }

    #[test]
    fn stray_lt_and_amp_and_mismatch_keep_text() {
        assert_eq!(all_text("<p>a < b & c</p>"), "a < b & c");
        assert_eq!(
            all_text("<p>x <b>y</i> z</p></div>w"),
            "x y z w".replace(" w", "w")
        );
        assert_eq!(all_text("<p>1 <2"), "1 <2");
        assert_eq!(all_text("tail <"), "tail <");
        assert_eq!(all_text("<p>&bogus; &</p>"), "&bogus; &");
    }

    #[test]
    fn valid_names_ascii_and_not() {
        for n in [
            "p",
            "ac:link",
            "_x",
            ":a",
            "a-b.c_d:e1",
            "ä",
            "äb-ç",
            "x\u{e9}",
        ] {
            assert!(valid_name(n), "{n}");
        }
        for n in [
            "",
            "1a",
            "-a",
            ".a",
            "a b",
            "a/",
            "a=",
            "3",
            "\u{1f600}",
            "a\u{1f600}",
        ] {
            assert!(!valid_name(n), "{n}");
        }
    }

    #[test]
    fn closing_tags_match_case_insensitively() {
        let p = parse("<P>a<B>b</b>c</p><Div>d</DIV>");
        assert!(p.repairs.is_empty(), "{:?}", p.repairs);
        assert_eq!(p.tree.children(Tree::ROOT).len(), 2);
        assert_eq!(p.tree.name(p.tree.children(Tree::ROOT)[1]), "div");
    }

    #[test]
    fn void_and_self_closing() {
        let p = parse("<p>a<br>b<br/>c</p>");
        let para = p.tree.children(Tree::ROOT)[0];
        assert_eq!(p.tree.children(para).len(), 5);
    }

    #[test]
    fn deep_nesting_is_capped_without_losing_text() {
        let n = 10_000;
        let s = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        let p = parse(&s);
        assert_eq!(p.tree.text_content(Tree::ROOT), "x");
        assert!(p.tree.nodes.len() <= MAX_DEPTH + 2);
    }
}
