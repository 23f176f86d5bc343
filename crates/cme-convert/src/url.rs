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
