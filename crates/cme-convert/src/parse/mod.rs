//! Lenient parsing of storage format into a [`Tree`].
//!
//! Storage format is XHTML with undeclared `ac:`/`ri:` prefixes and HTML
//! entities, and pages edited by hand or by apps are not always
//! well-formed. A strict XML parser rejects all of that, so this is a small
//! one-pass tokenizer over `&str` that recovers as it goes: names are kept
//! verbatim (so `ac:link` is just a name), the full HTML5 entity set is
//! resolved, a stray `&` or `<` is text, mismatched and unclosed tags are
//! repaired, and markup that never ends becomes text. Parsing never fails;
//! what it repaired is reported. (It replaced quick-xml, which needed a
//! pre-pass and restarts for the same recovery, and re-validated UTF-8 the
//! input already was: together half the conversion time.)

pub mod entities;
#[cfg(test)]
mod reference;
mod scan;
pub mod tree;

use scan::NotATag;
pub use tree::{Attrs, Children, Kind, MAX_INPUT, NameId, Node, NodeId, Span, Tree};

/// Elements nested deeper than this are flattened into their ancestor at
/// the limit (text kept), so every later recursive walk is bounded.
pub const MAX_DEPTH: usize = 100;

/// Repairs listed per document; more are only counted.
const MAX_REPAIRS: usize = 100;

/// HTML void elements: an unclosed `<br>` must not swallow what follows.
const VOID: &[&str] = &[
    "br", "hr", "img", "col", "input", "meta", "link", "area", "base", "wbr", "source",
];

/// Elements whose content is never visible text (skipped to their end tag).
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
    repairs: Repairs,
    depth_warned: bool,
    /// Whether the input holds any `\r` (else no text needs end-of-line
    /// handling: one scan instead of one per text).
    has_cr: bool,
}

/// What parsing repaired: the first [`MAX_REPAIRS`] described, the rest
/// counted, so hostile input (a page of stray end tags) cannot grow the
/// list without bound.
#[derive(Default)]
struct Repairs {
    listed: Vec<String>,
    unlisted: usize,
}

impl Repairs {
    fn note(&mut self, message: impl FnOnce() -> String) {
        if self.listed.len() < MAX_REPAIRS {
            self.listed.push(message());
        } else {
            self.unlisted += 1;
        }
    }

    fn into_list(mut self) -> Vec<String> {
        if self.unlisted > 0 {
            let n = self.unlisted;
            self.listed.push(format!("{n} more repairs not listed"));
        }
        self.listed
    }
}

impl Builder {
    fn new(input: &str) -> Self {
        Builder {
            tree: Tree::for_input(input),
            stack: Vec::new(),
            overflow: 0,
            repairs: Repairs::default(),
            depth_warned: false,
            has_cr: memchr::memchr(b'\r', input.as_bytes()).is_some(),
        }
    }

    fn parent(&self) -> NodeId {
        self.stack.last().map_or(Tree::ROOT, |(id, _)| *id)
    }

    fn text(&mut self, s: &str) {
        let p = self.parent();
        let fixed = if self.has_cr {
            scan::normalize_eol(s)
        } else {
            None
        };
        match fixed {
            Some(n) => self.tree.push_text(p, &n),
            None => self.tree.push_text(p, s),
        }
    }

    fn start(&mut self, raw_name: &str, attrs: &[(&str, &str)], self_closing: bool) {
        let name = self.tree.intern(raw_name);
        let empty = self_closing || VOID.contains(&self.tree.name_of(name));
        if self.stack.len() >= MAX_DEPTH {
            if !self.depth_warned {
                self.depth_warned = true;
                self.repairs.note(|| {
                    format!("nesting deeper than {MAX_DEPTH} levels was flattened (text kept)")
                });
            }
            if !empty {
                self.overflow += 1;
            }
            return;
        }
        let start = self.tree.attrs_start();
        for &(k, v) in attrs {
            let k = self.tree.intern(k);
            self.tree.push_attr(k, &entities::decode(v));
        }
        let attrs = self.tree.attrs_since(start);
        let id = self.tree.push(Kind::Element { name, attrs });
        if !empty {
            self.stack.push((id, name));
        }
    }

    fn end(&mut self, raw_name: &str) {
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let raw_name = raw_name.trim();
        // The common case: it closes the innermost element (no interning).
        if let Some(&(id, top)) = self.stack.last()
            && self.tree.name_of(top).eq_ignore_ascii_case(raw_name)
        {
            self.stack.pop();
            self.tree.close(id);
            return;
        }
        let name = self.tree.intern(raw_name);
        match self.stack.iter().rposition(|(_, n)| *n == name) {
            Some(pos) => {
                if pos + 1 != self.stack.len() {
                    let name = self.tree.name_of(name);
                    self.repairs
                        .note(|| format!("closed unclosed elements before </{name}>"));
                }
                for (id, _) in self.stack.drain(pos..).rev() {
                    self.tree.close(id);
                }
            }
            None => {
                let name = self.tree.name_of(name);
                if !VOID.contains(&name) {
                    self.repairs.note(|| format!("ignored stray </{name}>"));
                }
            }
        }
    }

    /// Ends building: elements still open end with the input.
    fn finish(mut self) -> (Tree, Vec<String>) {
        if !self.stack.is_empty() {
            let n = self.stack.len();
            self.repairs
                .note(|| format!("{n} element(s) left unclosed"));
        }
        for (id, _) in std::mem::take(&mut self.stack).into_iter().rev() {
            self.tree.close(id);
        }
        self.tree.finish();
        (self.tree, self.repairs.into_list())
    }

    /// Markup that never ends: the rest of the input is text.
    fn rest_as_text(&mut self, input: &str, at: usize, what: &str) {
        self.repairs
            .note(|| format!("{what} at byte {at} never ends; kept as text"));
        self.text(&entities::decode(&input[at..]));
    }

    /// The reference whose `&` is at `at`; returns where text resumes.
    fn reference(&mut self, input: &str, at: usize) -> usize {
        let Some(name) = entities::reference_name(&input[at + 1..]) else {
            self.text("&");
            return at + 1;
        };
        let next = at + 1 + name.len() + 1;
        match entities::resolve(name) {
            Some(entities::Resolved::Char(c)) => self.text(c.encode_utf8(&mut [0; 4])),
            Some(entities::Resolved::Str(s)) => self.text(s),
            None => {
                self.repairs.note(|| format!("unknown entity &{name};"));
                self.text(&input[at..next]);
            }
        }
        next
    }
}

/// Parses a storage-format fragment. Never fails.
pub fn parse(input: &str) -> Parsed {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    // Offsets in the tree are `u32`: a body beyond 2 GiB is cut short.
    let mut cut = None;
    let input = if input.len() > MAX_INPUT {
        let mut at = MAX_INPUT;
        while !input.is_char_boundary(at) {
            at -= 1;
        }
        cut = Some(format!(
            "body of {} bytes cut to its first {at} bytes",
            input.len()
        ));
        &input[..at]
    } else {
        input
    };
    let bytes = input.as_bytes();
    let mut b = Builder::new(input);
    // Attributes of the tag being read, reused from tag to tag.
    let mut attrs = Vec::new();
    // Which dropped elements (by index in DROPPED) are known to have no end
    // tag left: a page of unclosed `<script>`s must not rescan to the end
    // for each one.
    let mut no_end_left = [false; DROPPED.len()];
    let mut pos = 0usize;
    while pos < bytes.len() {
        let Some(off) = memchr::memchr2(b'<', b'&', &bytes[pos..]) else {
            b.text(&input[pos..]);
            break;
        };
        if off > 0 {
            b.text(&input[pos..pos + off]);
        }
        pos += off;
        if bytes[pos] == b'&' {
            pos = b.reference(input, pos);
            continue;
        }
        let rest = &input[pos..];
        let after = &bytes[pos + 1..];
        pos = match after.first() {
            Some(b'/') => match memchr::memchr(b'>', after) {
                Some(gt) => {
                    b.end(&input[pos + 2..pos + 1 + gt]);
                    pos + 1 + gt + 1
                }
                None => {
                    b.rest_as_text(input, pos, "an end tag");
                    break;
                }
            },
            Some(b'!') if rest.starts_with("<!--") => match scan::past(input, pos + 4, "-->") {
                Some(end) => end,
                None => {
                    b.rest_as_text(input, pos, "a comment");
                    break;
                }
            },
            Some(b'!') if rest.starts_with("<![CDATA[") => {
                match scan::past(input, pos + 9, "]]>") {
                    Some(end) => {
                        b.text(&input[pos + 9..end - 3]);
                        end
                    }
                    None => {
                        b.rest_as_text(input, pos, "a CDATA section");
                        break;
                    }
                }
            }
            Some(b'!') if after.len() >= 8 && after[1..8].eq_ignore_ascii_case(b"doctype") => {
                match scan::past(input, pos, ">") {
                    Some(end) => end,
                    None => {
                        b.rest_as_text(input, pos, "a DOCTYPE");
                        break;
                    }
                }
            }
            Some(b'?') => match scan::past(input, pos + 2, "?>") {
                Some(end) => end,
                None => {
                    b.rest_as_text(input, pos, "a processing instruction");
                    break;
                }
            },
            Some(_) if rest[1..].chars().next().is_some_and(scan::name_start) => {
                match scan::start_tag(input, pos, &mut attrs) {
                    Ok(tag) => {
                        if let Some(d) = DROPPED
                            .iter()
                            .position(|d| tag.name.eq_ignore_ascii_case(d))
                        {
                            if tag.self_closing || no_end_left[d] {
                                tag.end
                            } else {
                                // Raw text up to the end tag; without one,
                                // only the tag itself is dropped.
                                match scan::past_end_tag(input, tag.end, tag.name) {
                                    Some(end) => end,
                                    None => {
                                        no_end_left[d] = true;
                                        tag.end
                                    }
                                }
                            }
                        } else {
                            b.start(tag.name, &attrs, tag.self_closing);
                            tag.end
                        }
                    }
                    Err(NotATag::Text) => {
                        b.text("<");
                        pos + 1
                    }
                    Err(NotATag::Unterminated) => {
                        b.rest_as_text(input, pos, "a tag");
                        break;
                    }
                }
            }
            // `a < b`, `<3`, a `<` at the end: text.
            _ => {
                b.text("<");
                pos + 1
            }
        };
    }
    let (tree, mut repairs) = b.finish();
    if let Some(note) = cut {
        repairs.insert(0, note);
    }
    Parsed { tree, repairs }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The tree as text: names, attributes and text, indented.
    fn dump(t: &Tree) -> String {
        fn walk(t: &Tree, id: NodeId, depth: usize, out: &mut String) {
            for c in t.children(id) {
                let pad = "  ".repeat(depth);
                match t.kind(c) {
                    Kind::Text(_) => out.push_str(&format!("{pad}{:?}\n", t.text(c).unwrap())),
                    Kind::Element { attrs, .. } => {
                        out.push_str(&format!("{pad}<{}", t.name(c)));
                        for (k, v) in t.attr_pairs(attrs) {
                            out.push_str(&format!(" {k}={v:?}"));
                        }
                        out.push_str(">\n");
                        walk(t, c, depth + 1, out);
                    }
                    Kind::Root => {}
                }
            }
        }
        let mut out = String::new();
        walk(t, Tree::ROOT, 0, &mut out);
        out
    }

    fn same_as_reference(input: &str) {
        let ours = dump(&parse(input).tree);
        let theirs = dump(&reference::parse(input));
        assert_eq!(ours, theirs, "input: {input}");
    }

    /// Every corpus document tokenizes exactly as quick-xml did.
    #[test]
    fn corpus_matches_the_quick_xml_reference() {
        let dir = std::env::var_os("CME_SHARED_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| {
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
            })
            .join("corpus/storage");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            println!("note: corpus not found under {}; skipping", dir.display());
            return;
        };
        let mut n = 0;
        for e in entries.flatten() {
            let s = std::fs::read_to_string(e.path()).unwrap();
            same_as_reference(&s);
            n += 1;
        }
        assert!(n > 0);
    }

    fn text_piece() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z0-9 äöü€😀.,;:!?*_#|`\\[\\]()\\-+=/\"'\t\n\r]{0,12}",
            Just("&amp;".to_string()),
            Just("&lt;&gt;&quot;&apos;".to_string()),
            Just("&nbsp;&rarr;&auml;&#128521;&#x1F642;".to_string()),
            Just("<![CDATA[a<b>&c]]]]><![CDATA[>\r\n]]>".to_string()),
            Just("<!-- a <p> comment -->".to_string()),
            Just("<br/>".to_string()),
            Just("<br>".to_string()),
        ]
    }

    fn attr() -> impl Strategy<Value = String> {
        (
            "(ac:|ri:)?[a-z][a-z\\-]{0,8}",
            "[a-zA-Z0-9 <>/=?&;:'.#äöü]{0,10}",
            prop::bool::ANY,
        )
            .prop_map(|(k, v, dq)| {
                let v = v.replace('&', "&amp;").replace('<', "&lt;");
                if dq {
                    format!(r#" {k}="{v}""#)
                } else {
                    format!(" {k}='{}'", v.replace('\'', "&apos;"))
                }
            })
    }

    fn element() -> impl Strategy<Value = String> {
        let leaf = prop::collection::vec(text_piece(), 0..4).prop_map(|v| v.concat());
        leaf.prop_recursive(6, 64, 6, |inner| {
            (
                prop_oneof![
                    Just("p"),
                    Just("ac:structured-macro"),
                    Just("ri:page"),
                    Just("TD"),
                    Just("a"),
                    Just("x_y.z-1")
                ],
                prop::collection::vec(attr(), 0..3),
                prop::collection::vec(inner, 0..4),
                prop::bool::ANY,
            )
                .prop_map(|(name, attrs, kids, spaced)| {
                    let attrs = attrs.concat();
                    let ws = if spaced { " " } else { "" };
                    if kids.is_empty() {
                        format!("<{name}{attrs}{ws}/>")
                    } else {
                        format!("<{name}{attrs}{ws}>{}</{name}{ws}>", kids.concat())
                    }
                })
        })
    }

    proptest! {
        /// Generated well-formed documents (entities, CDATA, comments,
        /// quoted `>` and `/`, CRLF) tokenize exactly as quick-xml did.
        #[test]
        fn generated_documents_match_the_quick_xml_reference(
            parts in prop::collection::vec(element(), 1..5)
        ) {
            same_as_reference(&parts.concat());
        }
    }

    fn all_text(input: &str) -> String {
        let p = parse(input);
        p.tree.text_content(Tree::ROOT)
    }

    #[test]
    fn fragment_with_prefixes_and_entities() {
        let p =
            parse(r#"<p>a&nbsp;b</p><ac:link><ri:page ri:content-title="T&amp;C" /></ac:link>"#);
        let t = &p.tree;
        let root: Vec<NodeId> = t.children(Tree::ROOT).collect();
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
    fn text_content_of_text_elements_and_mixed() {
        let p = parse("<p>a</p>b<div>c<b>d</b></div><i></i>");
        let t = &p.tree;
        let kids: Vec<NodeId> = t.children(Tree::ROOT).collect();
        let got: Vec<String> = kids.iter().map(|&k| t.text_content(k)).collect();
        assert_eq!(got, ["a", "b", "cd", ""]);
    }

    #[test]
    fn repairs_are_capped_and_counted() {
        let p = parse(&format!("{}<p>kept</p>", "</b>".repeat(1000)));
        assert_eq!(p.tree.text_content(Tree::ROOT), "kept");
        assert_eq!(p.repairs.len(), MAX_REPAIRS + 1);
        assert_eq!(p.repairs[MAX_REPAIRS], "900 more repairs not listed");
    }

    #[test]
    fn script_and_style_are_skipped_to_their_end_tag() {
        let p = parse("<script>if (a<b) { x = '<p>'; }<br></SCRIPT ><p>after</p><style/>kept");
        assert_eq!(p.tree.text_content(Tree::ROOT), "afterkept");
        // Never closed: only the tag is dropped, the text stays.
        assert_eq!(all_text("<style>a<p>b</p>"), "ab");
    }

    #[test]
    fn ampersands_that_are_not_references_are_text_without_warnings() {
        let p = parse("<p>AT&T rocks; a && b &#xZZ; &amp</p>");
        assert_eq!(
            p.tree.text_content(Tree::ROOT),
            "AT&T rocks; a && b &#xZZ; &amp"
        );
        let p = parse("<p>&bogus;</p>");
        assert_eq!(p.repairs, ["unknown entity &bogus;"]);
    }

    #[test]
    fn open_quote_running_into_markup_is_text() {
        let p = parse(r#"<p title="abc>text</p><a href="x">link</a>"#);
        assert_eq!(p.tree.text_content(Tree::ROOT), r#"<p title="abc>textlink"#);
    }

    #[test]
    fn closing_tags_match_case_insensitively() {
        let p = parse("<P>a<B>b</b>c</p><Div>d</DIV>");
        assert!(p.repairs.is_empty(), "{:?}", p.repairs);
        assert_eq!(p.tree.children(Tree::ROOT).count(), 2);
        assert_eq!(
            p.tree.name(p.tree.children(Tree::ROOT).nth(1).unwrap()),
            "div"
        );
    }

    #[test]
    fn void_and_self_closing() {
        let p = parse("<p>a<br>b<br/>c</p>");
        let para = p.tree.children(Tree::ROOT).next().unwrap();
        assert_eq!(p.tree.children(para).count(), 5);
    }

    #[test]
    fn deep_nesting_is_capped_without_losing_text() {
        let n = 10_000;
        let s = format!("{}x{}", "<div>".repeat(n), "</div>".repeat(n));
        let p = parse(&s);
        assert_eq!(p.tree.text_content(Tree::ROOT), "x");
        assert!(p.tree.len() <= MAX_DEPTH + 2);
    }
}
