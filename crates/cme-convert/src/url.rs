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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_components_and_titles() {
        assert_eq!(encode_component("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
        assert_eq!(encode_title("R&D 100% Plan"), "R%26D+100%25+Plan");
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
