//! Tokenising helpers: where a piece of markup ends, and what a start tag
//! holds. Everything works on `&str` and splits only at ASCII bytes, so
//! every slice is valid UTF-8 without re-checking it.

/// A start tag, scanned but not yet committed to the tree.
pub(super) struct StartTag<'a> {
    pub name: &'a str,
    /// `<br/>`.
    pub self_closing: bool,
    /// Byte offset just past the closing `>`.
    pub end: usize,
}

/// Why a start tag could not be read.
pub(super) enum NotATag {
    /// The `<` does not start a tag (`a < b`, `<3`, `<a€>`): it is text.
    Text,
    /// The tag never ends (no unquoted `>` before the end of input).
    Unterminated,
}

/// Is `c` allowed to start a tag name? (As in the rest of the XML world,
/// plus any alphabetic character, since pages are HTML-ish.)
pub(super) fn name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

/// A valid element name: a name start, then letters, digits, `_-.:`.
pub(super) fn valid_name(name: &str) -> bool {
    if name.is_ascii() {
        let b = name.as_bytes();
        return matches!(b.first(), Some(c) if c.is_ascii_alphabetic() || matches!(c, b'_' | b':'))
            && b[1..]
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b':'));
    }
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if name_start(c))
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Reads the start tag whose `<` is at `at`, pushing each attribute's key
/// and raw (undecoded) value onto `attrs` (cleared first).
///
/// Attribute values may be quoted with `"` or `'` (a `>` inside quotes does
/// not end the tag), unquoted, or missing (`<input checked>`). A `<`
/// anywhere in the tag means it was no tag (XML allows none there): every
/// failed scan then ends at the next `<`, where parsing resumes, so a page
/// of broken tags is still read in linear time.
pub(super) fn start_tag<'a>(
    input: &'a str,
    at: usize,
    attrs: &mut Vec<(&'a str, &'a str)>,
) -> Result<StartTag<'a>, NotATag> {
    let b = input.as_bytes();
    let name_from = at + 1;
    let mut i = name_from;
    while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'>' | b'/' | b'<') {
        i += 1;
    }
    let name = &input[name_from..i];
    if !valid_name(name) {
        return Err(NotATag::Text);
    }
    attrs.clear();
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        match b.get(i) {
            None => return Err(NotATag::Unterminated),
            Some(b'<') => return Err(NotATag::Text),
            Some(b'>') => {
                return Ok(StartTag {
                    name,
                    self_closing: false,
                    end: i + 1,
                });
            }
            Some(b'/') => {
                if b.get(i + 1) == Some(&b'>') {
                    return Ok(StartTag {
                        name,
                        self_closing: true,
                        end: i + 2,
                    });
                }
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        let key_from = i;
        while i < b.len() && !is_space(b[i]) && !matches!(b[i], b'=' | b'>' | b'/' | b'<') {
            i += 1;
        }
        // A key may not start with `=`; take it as part of the key then.
        if i == key_from {
            i += 1;
        }
        let key = &input[key_from..i];
        let mut j = i;
        while j < b.len() && is_space(b[j]) {
            j += 1;
        }
        if b.get(j) != Some(&b'=') {
            attrs.push((key, ""));
            continue;
        }
        j += 1;
        while j < b.len() && is_space(b[j]) {
            j += 1;
        }
        match b.get(j) {
            None => return Err(NotATag::Unterminated),
            Some(&q @ (b'"' | b'\'')) => {
                // XML forbids a raw `<` in a value: a quote left open ran
                // into the markup that follows, so this was no tag.
                let len = match memchr::memchr2(q, b'<', &b[j + 1..]) {
                    Some(len) if b[j + 1 + len] == q => len,
                    Some(_) => return Err(NotATag::Text),
                    None => return Err(NotATag::Unterminated),
                };
                attrs.push((key, &input[j + 1..j + 1 + len]));
                i = j + 1 + len + 1;
            }
            Some(_) => {
                // Unquoted: up to a space, `>` or a closing `/>`.
                let from = j;
                while j < b.len()
                    && !is_space(b[j])
                    && b[j] != b'>'
                    && !(b[j] == b'/' && b.get(j + 1) == Some(&b'>'))
                {
                    if b[j] == b'<' {
                        return Err(NotATag::Text);
                    }
                    j += 1;
                }
                attrs.push((key, &input[from..j]));
                i = j;
            }
        }
    }
}

/// Offset just past the first `needle` at or after `from`.
pub(super) fn past(input: &str, from: usize, needle: &str) -> Option<usize> {
    memchr::memmem::find(&input.as_bytes()[from..], needle.as_bytes())
        .map(|i| from + i + needle.len())
}

/// The offset just past the first end tag `</name>` (ASCII
/// case-insensitive) at or after `from`.
pub(super) fn past_end_tag(input: &str, from: usize, name: &str) -> Option<usize> {
    let b = input.as_bytes();
    let mut i = from;
    while let Some(off) = memchr::memmem::find(&b[i..], b"</") {
        let after = i + off + 2;
        let matches = b
            .get(after..after + name.len())
            .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()));
        if matches
            && b.get(after + name.len())
                .is_some_and(|&c| c == b'>' || is_space(c))
        {
            let gt = memchr::memchr(b'>', &b[after..])?;
            return Some(after + gt + 1);
        }
        i = after;
    }
    None
}

/// `text` with XML end-of-line handling (`\r\n` and lone `\r`
/// become `\n`); `None` when there is no `\r` (the common case).
pub(super) fn normalize_eol(text: &str) -> Option<String> {
    memchr::memchr(b'\r', text.as_bytes())?;
    Some(text.replace("\r\n", "\n").replace('\r', "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Name, self-closing, attributes, end offset.
    type Scanned = (String, bool, Vec<(String, String)>, usize);

    fn tag(s: &str) -> Result<Scanned, &'static str> {
        let mut attrs = Vec::new();
        match start_tag(s, 0, &mut attrs) {
            Ok(t) => Ok((
                t.name.to_string(),
                t.self_closing,
                attrs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                t.end,
            )),
            Err(NotATag::Text) => Err("text"),
            Err(NotATag::Unterminated) => Err("unterminated"),
        }
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn start_tags() {
        assert_eq!(tag("<p>x"), Ok(("p".into(), false, vec![], 3)));
        assert_eq!(tag("<br/>"), Ok(("br".into(), true, vec![], 5)));
        assert_eq!(
            tag(r#"<ri:page ri:content-title="a > b" x='1"2/' />"#),
            Ok((
                "ri:page".into(),
                true,
                kv(&[("ri:content-title", "a > b"), ("x", "1\"2/")]),
                45
            ))
        );
        assert_eq!(
            tag("<a href = \"s\" checked x=1 y=\"2\"z=3>"),
            Ok((
                "a".into(),
                false,
                kv(&[
                    ("href", "s"),
                    ("checked", ""),
                    ("x", "1"),
                    ("y", "2"),
                    ("z", "3")
                ]),
                35
            ))
        );
        assert_eq!(
            tag("<img src=x.png/>"),
            Ok(("img".into(), true, kv(&[("src", "x.png")]), 16))
        );
        assert_eq!(tag("<a€>"), Err("text"));
        assert_eq!(tag("<1>"), Err("text"));
        assert_eq!(tag("<a x=\"never"), Err("unterminated"));
        assert_eq!(tag("<p title=\"open>text</p>"), Err("text"));
        // No `<` inside a tag, wherever it is.
        assert_eq!(tag("<a<b>"), Err("text"));
        assert_eq!(tag("<a x<b>"), Err("text"));
        assert_eq!(tag("<a x=<b>"), Err("text"));
        assert_eq!(tag("<a x=y<b>"), Err("text"));
        assert_eq!(tag("<a x <b>"), Err("text"));
        assert_eq!(tag("<a x="), Err("unterminated"));
        assert_eq!(tag("<a"), Err("unterminated"));
    }

    #[test]
    fn end_tags_and_terminators() {
        let s = "<script>a</scripts></SCRIPT >b";
        assert_eq!(past_end_tag(s, 8, "script"), Some(29));
        assert_eq!(past_end_tag("x</scrip", 0, "script"), None);
        assert_eq!(past("a-->b", 0, "-->"), Some(4));
        assert_eq!(normalize_eol("a\r\nb\rc").as_deref(), Some("a\nb\nc"));
        assert_eq!(normalize_eol("ab"), None);
    }

    #[test]
    fn names() {
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
}
