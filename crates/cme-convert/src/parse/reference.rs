//! The quick-xml tokenizer this parser replaced, kept as a test oracle:
//! on well-formed documents both must build the same tree.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{Builder, DROPPED, Tree, entities};

fn start(b: &mut Builder, e: &BytesStart<'_>, empty: bool) {
    let qn = e.name();
    let name: &str = qn.as_ref();
    let attrs: Vec<(String, String)> = e
        .html_attributes()
        .with_checks(false)
        .flatten()
        .map(|a| {
            let k: &str = a.key.as_ref();
            (k.to_string(), a.value.to_string())
        })
        .collect();
    let attrs: Vec<(&str, &str)> = attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.start(name, &attrs, empty);
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
pub(super) fn parse(input: &str) -> Tree {
    // quick-xml skips a byte-order mark, which would shift its positions.
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let input = escape_stray_lt(input);
    let input: &str = &input;
    let mut b = Builder::new(input);
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
                    start(&mut b, &e, false)
                }
                Ok(Event::Empty(e)) => {
                    if dropped_depth == 0 {
                        start(&mut b, &e, true)
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
                            b.repairs.note(|| format!("unknown entity &{name};"));
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
                        .note(|| format!("recovered from {err} at byte {}", pos + at));
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
    b.finish().0
}
