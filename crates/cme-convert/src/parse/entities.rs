//! Character references: the full HTML5 named set plus numeric forms.
//!
//! Storage format uses HTML names (`&nbsp;`, `&rarr;`) that XML does not
//! define.

use std::collections::HashMap;
use std::sync::OnceLock;

/// FNV-1a: entity names are short; SipHash cost ~700 instructions a lookup.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
        self.0 = h;
    }
}

type Table = HashMap<&'static str, &'static str, std::hash::BuildHasherDefault<Fnv>>;

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        entities::ENTITIES
            .iter()
            .filter_map(|e| {
                let name = e.entity.strip_prefix('&')?.strip_suffix(';')?;
                Some((name, e.characters))
            })
            .collect()
    })
}

/// The name of a reference that starts right after an `&`: the text up to a
/// `;` within 40 bytes, with no space, `&` or `<` before it. `None` means the
/// `&` is a literal ampersand (`AT&T`).
pub fn reference_name(after_amp: &str) -> Option<&str> {
    let b = after_amp.as_bytes();
    let limit = b.len().min(40);
    let end = b[..limit]
        .iter()
        .position(|&c| matches!(c, b';' | b'&' | b'<') || c.is_ascii_whitespace())?;
    // Only ASCII bytes were matched, so `end` is a character boundary.
    (b[end] == b';').then(|| &after_amp[..end])
}

/// Resolves the text between `&` and `;`; `None` when it is not a reference.
pub fn resolve(name: &str) -> Option<Resolved> {
    if let Some(num) = name.strip_prefix('#') {
        let code = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        // NUL, surrogates and out-of-range values become U+FFFD as in HTML5.
        let c = char::from_u32(code)
            .filter(|&c| c != '\0')
            .unwrap_or('\u{FFFD}');
        return Some(Resolved::Char(c));
    }
    table().get(name).map(|s| Resolved::Str(s))
}

/// A resolved reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// A numeric reference.
    Char(char),
    /// A named reference (some expand to two code points).
    Str(&'static str),
}

impl Resolved {
    /// Appends the replacement to `out`.
    pub fn push_to(self, out: &mut String) {
        match self {
            Resolved::Char(c) => out.push(c),
            Resolved::Str(s) => out.push_str(s),
        }
    }
}

/// Decodes references in an attribute value; unknown ones stay literal.
pub fn decode(raw: &str) -> std::borrow::Cow<'_, str> {
    if !raw.contains('&') {
        return std::borrow::Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match reference_name(after).and_then(|n| resolve(n).map(|r| (n.len(), r))) {
            Some((j, r)) => {
                r.push_to(&mut out);
                rest = &after[j + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_numeric_and_unknown() {
        assert_eq!(decode("a&nbsp;b"), "a\u{a0}b");
        assert_eq!(decode("&rarr;&harr;&deg;&auml;&mdash;"), "→↔°ä—");
        assert_eq!(decode("&#128521;&#x1F642;"), "😉🙂");
        assert_eq!(decode("&acE;"), "\u{223E}\u{0333}");
        assert_eq!(decode("AT&T &bogus; &"), "AT&T &bogus; &");
        assert_eq!(decode("&#0;&#xD800;"), "\u{FFFD}\u{FFFD}");
        assert_eq!(decode("äöü &amp; ß"), "äöü & ß");
        assert_eq!(decode("&"), "&");
        assert_eq!(decode("x&"), "x&");
    }

    #[test]
    fn no_reference_is_borrowed() {
        for s in ["", "plain", "äöü ; x", "https://x.test/a?b=c;d"] {
            assert!(matches!(decode(s), std::borrow::Cow::Borrowed(b) if b == s));
        }
    }
}
