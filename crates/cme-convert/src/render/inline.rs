//! Inline elements: text, emphasis, code, links by URL, breaks, dates.

use super::md::Inline;
use super::{Renderer, flatten};
use crate::parse::{NodeId, Tree};

/// Elements rendered in inline context when met in block context.
pub(super) fn is_inline(name: &str) -> bool {
    matches!(
        name,
        "strong"
            | "b"
            | "em"
            | "i"
            | "u"
            | "s"
            | "del"
            | "strike"
            | "sub"
            | "sup"
            | "code"
            | "tt"
            | "kbd"
            | "samp"
            | "var"
            | "cite"
            | "q"
            | "abbr"
            | "ins"
            | "mark"
            | "a"
            | "br"
            | "img"
            | "time"
            | "label"
            | "ac:link"
            | "ac:image"
            | "ac:emoticon"
            | "ac:plain-text-link-body"
            | "ac:link-body"
    )
}

/// `<span style="text-decoration: line-through">`.
pub(super) fn is_strike_span(t: &Tree, id: NodeId) -> bool {
    t.attr(id, "style")
        .is_some_and(|s| s.contains("line-through"))
}

/// Appends text with HTML whitespace collapsing.
pub(super) fn push_text(run: &mut Vec<Inline>, text: &str) {
    let mut prev_space = match run.last() {
        None | Some(Inline::LineBreak) => true,
        Some(Inline::Text(t)) => t.ends_with(' '),
        _ => false,
    };
    // Append straight into a preceding text node, copying the text in as
    // few slices as possible: a single ` ` after non-space is kept in
    // place; only other whitespace and repeats cut the slice (whitespace is
    // ASCII, so every cut is at a character boundary).
    let mut fresh = None;
    let s = match run.last_mut() {
        Some(Inline::Text(t)) => t,
        _ => fresh.insert(String::new()),
    };
    s.reserve(text.len());
    let bytes = text.as_bytes();
    let mut start = 0;
    // One byte that may be whitespace: keep a single ` ` after non-space in
    // place; cut the slice at anything else (whitespace is ASCII, so every
    // cut is at a character boundary).
    let mut step = |p: usize, prev_space: &mut bool, s: &mut String| {
        let b = bytes[p];
        if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c) {
            if b == b' ' && !*prev_space {
                *prev_space = true;
            } else {
                s.push_str(&text[start..p]);
                if !*prev_space {
                    s.push(' ');
                    *prev_space = true;
                }
                start = p + 1;
            }
        } else {
            *prev_space = false;
        }
    };
    let mut i = 0;
    // Eight bytes at a time: a mask with the high bit of every byte below
    // `!` (exact: the low seven bits plus 0x5F carry into the high bit only
    // from 0x21 up, never into the next byte), then only those bytes.
    while let Some(chunk) = bytes.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        let at_least_bang = ((w & 0x7F7F_7F7F_7F7F_7F7F) + 0x5F5F_5F5F_5F5F_5F5F) | w;
        let mut low = !at_least_bang & 0x8080_8080_8080_8080;
        let mut next = i;
        while low != 0 {
            let p = i + (low.trailing_zeros() / 8) as usize;
            if p > next {
                prev_space = false;
            }
            step(p, &mut prev_space, s);
            next = p + 1;
            low &= low - 1;
        }
        if next < i + 8 {
            prev_space = false;
        }
        i += 8;
    }
    for p in i..bytes.len() {
        step(p, &mut prev_space, s);
    }
    s.push_str(&text[start..]);
    if let Some(f) = fresh
        && !f.is_empty()
    {
        run.push(Inline::Text(f));
    }
}

/// Appends already-normalised text, merging with a preceding text node.
pub(super) fn push_raw_text(run: &mut Vec<Inline>, s: String) {
    if s.is_empty() {
        return;
    }
    if let Some(Inline::Text(t)) = run.last_mut() {
        t.push_str(&s);
    } else {
        run.push(Inline::Text(s));
    }
}

/// Trims whitespace at both ends of a run (and around breaks at the ends).
pub(super) fn trim(run: &mut Vec<Inline>) {
    loop {
        match run.last_mut() {
            Some(Inline::LineBreak) => {
                run.pop();
            }
            Some(Inline::Text(t)) => {
                let n = t.trim_end_matches(' ').len();
                if n == 0 {
                    run.pop();
                } else {
                    t.truncate(n);
                    break;
                }
            }
            _ => break,
        }
    }
    while let Some(first) = run.first_mut() {
        match first {
            Inline::LineBreak => {
                run.remove(0);
            }
            Inline::Text(t) => {
                let trimmed = t.trim_start_matches(' ');
                if trimmed.is_empty() {
                    run.remove(0);
                } else {
                    if trimmed.len() != t.len() {
                        *t = trimmed.to_owned();
                    }
                    break;
                }
            }
            _ => break,
        }
    }
}

/// Wraps `children` in an emphasis-like node, moving edge whitespace
/// (including no-break spaces) outside, since CommonMark does not accept
/// `** x**`, and dropping wrappers around nothing visible.
pub(super) fn wrap(
    run: &mut Vec<Inline>,
    mut children: Vec<Inline>,
    make: fn(Vec<Inline>) -> Inline,
) {
    let lead =
        matches!(children.first(), Some(Inline::Text(t)) if t.starts_with(char::is_whitespace));
    let trail =
        matches!(children.last(), Some(Inline::Text(t)) if t.ends_with(char::is_whitespace));
    trim_ws(&mut children);
    if lead {
        push_raw_text(run, " ".into());
    }
    if !children.is_empty() {
        run.push(make(children));
    } else if !lead && !trail {
        // Nothing visible inside; nothing to keep.
    }
    if trail && !matches!(run.last(), Some(Inline::Text(t)) if t.ends_with(' ')) {
        push_raw_text(run, " ".into());
    }
}

/// Like [`trim`], but also strips no-break and other Unicode spaces.
fn trim_ws(run: &mut Vec<Inline>) {
    if let Some(Inline::Text(t)) = run.last_mut() {
        let n = t.trim_end().len();
        t.truncate(n);
    }
    if let Some(Inline::Text(t)) = run.first_mut() {
        let trimmed = t.trim_start();
        if trimmed.len() != t.len() {
            *t = trimmed.to_owned();
        }
    }
    run.retain(|i| !matches!(i, Inline::Text(t) if t.is_empty()));
    trim(run);
}

/// True when a run shows nothing but whitespace.
pub(super) fn is_blank(run: &[Inline]) -> bool {
    run.iter().all(|i| match i {
        Inline::Text(t) => t.trim().is_empty(),
        Inline::LineBreak => true,
        Inline::Strong(c) | Inline::Emph(c) | Inline::Strike(c) | Inline::Tagged(_, c) => {
            is_blank(c)
        }
        _ => false,
    })
}

/// Collapses whitespace for code spans.
pub(super) fn collapse(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split([' ', '\t', '\n', '\r']).filter(|w| !w.is_empty()) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

impl Renderer<'_> {
    /// Children of `id` in inline context.
    pub(super) fn inlines(&mut self, t: &Tree, id: NodeId) -> Vec<Inline> {
        let mut run = Vec::new();
        for c in t.children(id) {
            self.inline_node(t, c, &mut run);
        }
        run
    }

    /// One node in inline context.
    pub(super) fn inline_node(&mut self, t: &Tree, c: NodeId, run: &mut Vec<Inline>) {
        if let Some(text) = t.text(c) {
            push_text(run, text);
            return;
        }
        // Blocks met here are flattened.
        self.flat += 1;
        self.inline_element(t, c, run);
        self.flat -= 1;
    }

    fn inline_element(&mut self, t: &Tree, c: NodeId, run: &mut Vec<Inline>) {
        let name = t.name(c);
        if super::DROPPED.contains(&name) {
            return;
        }
        match name {
            "strong" | "b" => {
                let ch = self.inlines(t, c);
                wrap(run, ch, Inline::Strong)
            }
            "em" | "i" | "cite" | "var" => {
                let ch = self.inlines(t, c);
                wrap(run, ch, Inline::Emph)
            }
            "s" | "del" | "strike" => {
                let ch = self.inlines(t, c);
                wrap(run, ch, Inline::Strike)
            }
            "span" if is_strike_span(t, c) => {
                let ch = self.inlines(t, c);
                wrap(run, ch, Inline::Strike)
            }
            "u" | "ins" => {
                let ch = self.inlines(t, c);
                wrap(run, ch, |c| Inline::Tagged("u", c))
            }
            "sub" => {
                let ch = self.inlines(t, c);
                wrap(run, ch, |c| Inline::Tagged("sub", c))
            }
            "sup" => {
                let ch = self.inlines(t, c);
                wrap(run, ch, |c| Inline::Tagged("sup", c))
            }
            "mark" => {
                let ch = self.inlines(t, c);
                wrap(run, ch, |c| Inline::Tagged("mark", c))
            }
            "kbd" => {
                let ch = self.inlines(t, c);
                wrap(run, ch, |c| Inline::Tagged("kbd", c))
            }
            "code" | "tt" | "samp" => {
                let raw = t.text_content(c);
                let text = collapse(&raw);
                let lead = raw.starts_with([' ', '\n', '\t']);
                let after_space = matches!(run.last(), None | Some(Inline::Text(_)))
                    && run
                        .last()
                        .is_none_or(|l| matches!(l, Inline::Text(x) if x.ends_with(' ')));
                if lead && !after_space {
                    push_raw_text(run, " ".into());
                }
                if !text.is_empty() {
                    run.push(Inline::Code(text));
                }
            }
            "br" => run.push(Inline::LineBreak),
            "time" => {
                let d = t.attr(c, "datetime").unwrap_or("").to_owned();
                let inner = self.inlines(t, c);
                if inner.is_empty() {
                    push_text(run, &d);
                } else {
                    run.extend(inner);
                }
            }
            "a" => self.html_link(t, c, run),
            "img" => {
                let src = t.attr(c, "src").unwrap_or("").to_owned();
                let alt = t.attr(c, "alt").unwrap_or("").to_owned();
                let title = t.attr(c, "title").unwrap_or("").to_owned();
                let url = if src.is_empty() {
                    src
                } else {
                    self.image_src(src)
                };
                if !url.is_empty() {
                    run.push(Inline::Image { url, title, alt });
                } else {
                    push_text(run, &alt);
                }
            }
            "ac:link" => self.ac_link(t, c, run),
            "ac:image" => self.ac_image(t, c, run),
            "ac:emoticon" => self.emoticon(t, c, run),
            "ac:structured-macro" | "ac:macro" => match self.macro_(t, c) {
                super::macros::Out::Inline(i) => run.extend(i),
                super::macros::Out::Blocks(b) => {
                    let mut flat = Vec::new();
                    flatten(b, &mut flat);
                    run.extend(flat);
                }
            },
            "p" | "div" | "li" | "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "ul" | "ol"
            | "table" | "blockquote" | "pre" | "ac:task-list" | "ac:layout"
            | "ac:adf-extension" | "hr" => {
                // A block where only inlines are allowed: render and flatten.
                let mut blocks = Vec::new();
                let mut inner_run = Vec::new();
                self.block_node(t, c, &mut blocks, &mut inner_run);
                super::flush(&mut inner_run, &mut blocks);
                if !blocks.is_empty() {
                    if !run.is_empty() && !matches!(run.last(), Some(Inline::LineBreak)) {
                        run.push(Inline::LineBreak);
                    }
                    let mut flat = Vec::new();
                    flatten(blocks, &mut flat);
                    run.extend(flat);
                    run.push(Inline::LineBreak);
                }
            }
            _ => {
                // span, font, inline-comment-marker, link bodies, unknown: transparent.
                for g in t.children(c) {
                    self.inline_node(t, g, run);
                }
            }
        }
    }
}

#[cfg(test)]
mod push_text_tests {
    use super::*;

    /// The char-by-char definition `push_text` must match.
    fn reference(run: &mut Vec<Inline>, text: &str) {
        let mut s = String::new();
        let mut prev_space = match run.last() {
            None | Some(Inline::LineBreak) => true,
            Some(Inline::Text(t)) => t.ends_with(' '),
            _ => false,
        };
        for c in text.chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{c}') {
                if !prev_space {
                    s.push(' ');
                    prev_space = true;
                }
            } else {
                s.push(c);
                prev_space = false;
            }
        }
        push_raw_text(run, s);
    }

    #[test]
    fn matches_reference() {
        let texts = [
            "",
            " ",
            "  \t\n ",
            "a",
            " a",
            "a ",
            "a  b",
            "ä\u{a0} ö\r\n\u{c}x",
            "é",
            "\u{3000}x y",
            "  multi  word   text  ",
            "end ",
            "abcdefghijklmnop qrstuvwxyz\tABCDEFGH\n\nIJKLMNOPQRSTUVWXYZ  ",
            "0123456 89abcdef  ghijklm\u{1}nopqrstuvwx\u{7f}\u{80}yz äöüßéèêëñç  longer  ",
            "        eight   \r\n\r\n        spaces  and\u{c}\u{c}form feeds........",
        ];
        let starts: [Vec<Inline>; 5] = [
            vec![],
            vec![Inline::LineBreak],
            vec![Inline::Text("x".into())],
            vec![Inline::Text("x ".into())],
            vec![Inline::Code("c".into())],
        ];
        for start in &starts {
            for a in texts {
                for b in texts {
                    let (mut got, mut want) = (start.clone(), start.clone());
                    push_text(&mut got, a);
                    push_text(&mut got, b);
                    reference(&mut want, a);
                    reference(&mut want, b);
                    assert_eq!(got, want, "{start:?} {a:?} {b:?}");
                }
            }
        }
    }

    proptest::proptest! {
        /// Any mix of whitespace, control bytes, ASCII and multi-byte text,
        /// at every alignment of the eight-byte scan.
        #[test]
        fn matches_reference_on_generated_text(
            a in "[ \t\n\r\u{c}\u{1}\u{1f}!a-z~\u{7f}\u{80}äé€😀\u{a0}]{0,40}",
            b in "[ \t\n\r\u{c}a-z€]{0,20}",
            lead in 0usize..3,
        ) {
            let start = match lead {
                0 => vec![],
                1 => vec![Inline::Text("x ".into())],
                _ => vec![Inline::Text("x".into())],
            };
            let (mut got, mut want) = (start.clone(), start);
            push_text(&mut got, &a);
            push_text(&mut got, &b);
            reference(&mut want, &a);
            reference(&mut want, &b);
            proptest::prop_assert_eq!(got, want);
        }
    }
}
