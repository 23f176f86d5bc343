//! Percent-encoding in the shapes Confluence URLs use.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// Everything but RFC 3986's unreserved characters is escaped.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A query value or path segment.
pub(crate) fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// A title as Confluence display URLs write it (`+` for a space).
pub(crate) fn encode_title(title: &str) -> String {
    // A literal `%` becomes `%25`, so every `%20` stands for a space.
    encode_component(title).replace("%20", "+")
}

/// Undoes `%XX` escapes (invalid ones stay); the input as it is when the
/// result would not be UTF-8.
pub(crate) fn decode(s: &str) -> String {
    percent_decode_str(s)
        .decode_utf8()
        .map_or_else(|_| s.to_owned(), |d| d.into_owned())
}

/// A title from a display URL: `+` is a space, escapes are undone
/// (invalid UTF-8 replaced).
pub(crate) fn decode_title(s: &str) -> String {
    percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// A heading slug as a link fragment: ASCII outside RFC 3986's unreserved
/// set is escaped, other characters stay readable.
pub(crate) fn encode_fragment(slug: &str) -> String {
    let mut out = String::with_capacity(slug.len());
    for c in slug.chars() {
        if c.is_ascii() && !(c.is_ascii_alphanumeric() || "-_.~".contains(c)) {
            out.push_str(&encode_component(c.encode_utf8(&mut [0; 4])));
        } else {
            out.push(c);
        }
    }
    out
}

/// The schemes a link or image from a page may keep. Anything else
/// (`javascript:`, `vbscript:`, `data:`, `file:`) could run code or read
/// files where the Markdown is published, so it loses the link.
const SAFE_SCHEMES: [&str; 3] = ["http", "https", "mailto"];

/// The scheme of `href` when it is not one of [`SAFE_SCHEMES`], lower
/// case; `None` for a safe URL or a relative reference (a path, `//host`,
/// `?query`, `#fragment`). `href` is read as a browser reads it once a
/// Markdown renderer has decoded it: tabs and line breaks anywhere and
/// leading controls and spaces are ignored, and character references
/// (`javascript&colon;`, `&#58;`) are decoded.
pub(crate) fn unsafe_scheme(href: &str) -> Option<String> {
    let decoded = decode_references(href);
    let cleaned: String = decoded
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect();
    let cleaned = cleaned.trim_start_matches(|c: char| c <= ' ');
    let head = &cleaned[..cleaned.find(['/', '?', '#']).unwrap_or(cleaned.len())];
    let scheme = &head[..head.find(':')?];
    let valid = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let scheme = scheme.to_ascii_lowercase();
    (valid && !SAFE_SCHEMES.contains(&scheme.as_str())).then_some(scheme)
}

/// `s` with the character references a Markdown renderer decodes in a
/// link destination undone: numeric ones and the named ones that spell
/// URL syntax or what browsers skip (no other named one spells a `:`).
fn decode_references(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let end = rest[1..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '#'))
            .map(|i| i + 1);
        let Some(end) = end.filter(|&e| e > 1 && rest[e..].starts_with(';')) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..end];
        let numeric = name
            .strip_prefix('#')
            .and_then(|n| match n.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok(),
                None => n.parse().ok(),
            });
        let c = match (numeric, name) {
            (Some(n), _) => Some(char::from_u32(n).unwrap_or('\u{fffd}')),
            (None, "colon") => Some(':'),
            (None, "Tab" | "NewLine") => Some('\n'),
            (None, "sol") => Some('/'),
            (None, "quest") => Some('?'),
            (None, "num") => Some('#'),
            (None, "amp") => Some('&'),
            _ => None,
        };
        match c {
            Some(c) => out.push(c),
            None => out.push_str(&rest[..=end]),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Decodes a tiny link's code (`/x/CODE`) to a page id. Confluence writes
/// the id's little-endian bytes in base64 with `+` as `_` and `/` as `-`,
/// then strips trailing `A`s (zero bits) and `=` padding. The CLI's URL
/// parser decodes pasted tiny links with this too.
pub fn tiny_link_id(code: &str) -> Option<u64> {
    let code = code.trim_end_matches('=');
    if code.is_empty() || code.len() > 11 {
        return None;
    }
    let mut bits: u128 = 0;
    for (n, c) in code.bytes().enumerate() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'_' | b'+' => 62,
            b'-' | b'/' => 63,
            _ => return None,
        };
        // Little-endian bytes, six bits per character, most significant
        // bit of each group first: collect the bit stream in order.
        bits |= u128::from(v) << (122 - 6 * n);
    }
    let mut le = [0u8; 16];
    for (i, b) in le.iter_mut().enumerate() {
        *b = (bits >> (120 - 8 * i)) as u8;
    }
    if le[8..].iter().any(|&b| b != 0) {
        return None;
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(&le[..8]);
    let id = u64::from_le_bytes(id);
    (id != 0).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_components_and_titles() {
        assert_eq!(encode_component("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
        assert_eq!(encode_title("R&D 100% Plan"), "R%26D+100%25+Plan");
    }

    #[test]
    fn only_web_and_mail_schemes_are_safe() {
        for (href, scheme) in [
            ("javascript:alert(1)", "javascript"),
            ("JavaScript:alert(1)", "javascript"),
            (" \u{1}javascript:alert(1)", "javascript"),
            ("java\tscr\nipt:alert(1)", "javascript"),
            ("vbscript:msgbox(1)", "vbscript"),
            ("data:text/html;base64,PHNjcmlwdD4=", "data"),
            ("data:image/png;base64,AAAA", "data"),
            ("file:///etc/passwd", "file"),
            ("javascript&#58;alert(1)", "javascript"),
            ("javascript&#x3a;alert(1)", "javascript"),
            ("javascript&colon;alert(1)", "javascript"),
            ("tel:123", "tel"),
            ("C:\\x", "c"),
        ] {
            assert_eq!(unsafe_scheme(href).as_deref(), Some(scheme), "{href}");
        }
        for href in [
            "https://x.example/a?b=c&d=e",
            "HTTP://x",
            "mailto:a@b.example?subject=a&body=b",
            "/wiki/spaces/X",
            "//cdn.example/x.png",
            "#top",
            "?q=1",
            "page.md",
            "../Q&A.md",
            "R&D;notes.md",
            "javascript&foo;alert(1)",
            "https://x/?a&colon;b",
            "a/b:c",
            "Meeting 10:30",
            "javascript%3Aalert(1)",
            "",
        ] {
            assert_eq!(unsafe_scheme(href), None, "{href}");
        }
    }

    #[test]
    fn tiny_links_decode_to_page_ids() {
        // Codes Confluence shows, and their ids (as in the CLI's tests).
        for id in [1u64, 98_311, 6_488_064, 1_454_342_158, 123_456_789_012] {
            assert_eq!(tiny_link_id(&encode_tiny(id)), Some(id), "{id}");
        }
        for (code, id) in [
            ("LIQHD", 201_819_180_u64),
            ("OgAOBQ", 84_803_642),
            ("AQAB", 65_537),
            ("AQ", 1),
            ("AQ==", 1),
            ("BQAAAAM", 12_884_901_893),
        ] {
            assert_eq!(tiny_link_id(code), Some(id), "{code}");
        }
        assert_eq!(tiny_link_id(""), None);
        assert_eq!(tiny_link_id("AAAA"), None);
        assert_eq!(tiny_link_id("a.b"), None);
        assert_eq!(tiny_link_id("AAAAAAAAAAAB"), None);
    }

    /// Confluence's encoder, for the round trip.
    fn encode_tiny(id: u64) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        let bytes = id.to_le_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let mut b = [0u8; 3];
            b[..chunk.len()].copy_from_slice(chunk);
            let v = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for k in 0..=chunk.len() {
                out.push(A[((v >> (18 - 6 * k)) & 63) as usize] as char);
            }
        }
        out.trim_end_matches('A').to_owned()
    }

    #[test]
    fn decodes_escapes_and_keeps_the_rest() {
        assert_eq!(decode("A%20B/100%25%23.md"), "A B/100%#.md");
        assert_eq!(decode("50%"), "50%");
        assert_eq!(decode("%zz%2"), "%zz%2");
        assert_eq!(decode("日本%20語"), "日本 語");
        assert_eq!(decode("%FF"), "%FF");
        assert_eq!(decode_title("R%26D+100%25+Plan"), "R&D 100% Plan");
        assert_eq!(decode_title("%zz%4"), "%zz%4");
        assert_eq!(decode_title("a%2Bb"), "a+b");
    }
}
