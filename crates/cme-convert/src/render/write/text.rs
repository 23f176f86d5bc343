//! The writer's output primitives: owed newlines, line prefixes (quotes,
//! list items), literal and escaped text, and link destinations, with
//! comrak's byte classes, and two escaping rules for text: comrak's, which
//! escape every character that could mean something anywhere (the port's
//! check: the same bytes as comrak), and the minimal ones written by
//! default, which escape only what would change the rendering where it
//! stands (`tests/escaping.rs`). Kept apart from the block and inline
//! walks because every byte written goes through here.

use super::{Escapes, Writer};

fn isdigit(b: u8) -> bool {
    b.is_ascii_digit()
}

/// comrak's `isspace`: space, tab, line feed, carriage return.
fn isspace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Bytes that never need escaping in text once past the start of content
/// (a table: the scan over every text byte is hot).
fn plain(b: u8) -> bool {
    PLAIN[usize::from(b)]
}

const PLAIN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0x20;
    while b < 256 {
        t[b] = !matches!(
            b as u8,
            b'*' | b'_'
                | b'['
                | b']'
                | b'#'
                | b'<'
                | b'>'
                | b'\\'
                | b'`'
                | b'~'
                | b'!'
                | b'&'
                | b'|'
        );
        b += 1;
    }
    t
};

/// Whether `<` followed by `next` may start an HTML tag, comment,
/// declaration or autolink (CommonMark §6.6, §6.5); `0` is "unknown",
/// the end of this piece of text.
fn opens_markup(next: u8) -> bool {
    next == 0 || next.is_ascii_alphabetic() || matches!(next, b'/' | b'!' | b'?')
}

/// Whether `&` followed by `rest` may be read as an entity or numeric
/// character reference (`&name;`, `&#…;`); text that ends here counts as
/// may (what follows is not known).
fn entity_like(rest: &[u8]) -> bool {
    if rest.first() == Some(&b'#') {
        return true;
    }
    let name = rest
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    name == rest.len() || (name > 0 && rest[name] == b';')
}

/// `scheme:` at the start of `s` (comrak's `scanners::scheme`).
pub(super) fn has_scheme(s: &str) -> bool {
    let b = s.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_alphabetic) {
        return false;
    }
    let k = b[1..]
        .iter()
        .take_while(|&&c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'+' | b'-'))
        .count();
    (1..=31).contains(&k) && b.get(1 + k) == Some(&b':')
}

pub(super) fn longest_run(s: &[u8], ch: u8) -> usize {
    let (mut longest, mut cur) = (0, 0);
    for &c in s {
        if c == ch {
            cur += 1;
            longest = longest.max(cur);
        } else {
            cur = 0;
        }
    }
    longest
}

/// Length of the shortest backtick run not occurring in `s`.
pub(super) fn shortest_unused_run(s: &[u8]) -> usize {
    let mut used = 0u64;
    let mut big = Vec::new();
    let mut cur = 0usize;
    for &c in s.iter().chain(std::iter::once(&0)) {
        if c == b'`' {
            cur += 1;
        } else if cur > 0 {
            if cur < 64 {
                used |= 1 << cur;
            } else {
                big.push(cur);
            }
            cur = 0;
        }
    }
    let mut i = 1;
    while (i < 64 && used & (1 << i) != 0) || (i >= 64 && big.contains(&i)) {
        i += 1;
    }
    i
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Esc {
    Url,
    Title,
}

impl<'a> Writer<'a> {
    pub(super) fn cr(&mut self) {
        self.need_cr = self.need_cr.max(1);
    }

    pub(super) fn blankline(&mut self) {
        self.need_cr = self.need_cr.max(2);
    }

    /// Pays owed newlines (comrak's `output` prologue).
    fn flush_cr(&mut self) {
        if self.in_tight && self.need_cr > 1 {
            self.need_cr = 1;
        }
        if self.need_cr == 0 {
            return;
        }
        let mut consume = self
            .out
            .as_bytes()
            .iter()
            .rev()
            .take(2)
            .take_while(|&&b| b == b'\n')
            .count();
        while self.need_cr > 0 {
            if self.out.is_empty() {
            } else if consume > 0 {
                consume -= 1;
            } else {
                self.out.push('\n');
                self.begin_line = true;
                self.begin_content = true;
                if self.need_cr > 1 {
                    self.out.push_str(&self.prefix);
                }
            }
            self.need_cr -= 1;
        }
    }

    /// Literal output: newlines start prefixed lines.
    pub(super) fn lit(&mut self, s: &str) {
        self.flush_cr();
        let rest = s.as_bytes();
        let mut pos = 0;
        while pos < rest.len() {
            if self.begin_line {
                self.out.push_str(&self.prefix);
            }
            let pipe = self.pipe;
            let end = rest[pos..]
                .iter()
                .position(|&b| b == b'\n' || (pipe && b == b'|'))
                .map_or(rest.len(), |e| pos + e);
            if end == pos {
                if rest[pos] == b'\n' {
                    self.out.push('\n');
                    self.begin_line = true;
                    self.begin_content = true;
                } else {
                    self.out.push_str("\\|");
                    self.begin_line = false;
                    self.begin_content = false;
                }
                pos += 1;
            } else {
                let seg = &s[pos..end];
                self.out.push_str(seg);
                self.begin_line = false;
                self.begin_content = self.begin_content && seg.bytes().all(isdigit);
                pos = end;
            }
        }
    }

    /// Text with comrak's `Escaping::Normal`.
    pub(super) fn text(&mut self, s: &str) {
        self.flush_cr();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if self.begin_line {
                self.out.push_str(&self.prefix);
            } else if !self.begin_content {
                let run = bytes[i..].iter().take_while(|&&b| plain(b)).count();
                if run > 0 {
                    self.out.push_str(&s[i..i + run]);
                    i += run;
                    continue;
                }
            }
            let b = bytes[i];
            if self.pipe && b == b'|' {
                self.out.push('\\');
            }
            if b >= 0x80 {
                let len = s[i..].chars().next().map_or(1, char::len_utf8);
                self.out.push_str(&s[i..i + len]);
                self.begin_line = false;
                self.begin_content = false;
                i += len;
                continue;
            }
            let nextb = bytes.get(i + 1).copied().unwrap_or(0);
            let follows_digit = self.out.as_bytes().last().is_some_and(|&c| isdigit(c));
            let esc = if self.escapes == Escapes::Comrak {
                b < 0x20
                    || matches!(
                        b,
                        b'*' | b'_' | b'[' | b']' | b'#' | b'<' | b'>' | b'\\' | b'`' | b'~' | b'!'
                    )
                    || (b == b'&' && nextb.is_ascii_alphabetic())
            } else {
                b < 0x20
                    || matches!(b, b'*' | b'[' | b']' | b'`' | b'~')
                    || (b == b'_' && !self.intraword(&s[i + 1..]))
                    || (b == b'\\' && (nextb < 0x20 || nextb.is_ascii_punctuation()))
                    || (b == b'<' && opens_markup(nextb))
                    || (b == b'>' && self.begin_content)
                    || (b == b'#' && (self.begin_content || self.may_close_heading(&bytes[i..])))
                    || (b == b'&' && entity_like(&bytes[i + 1..]))
            } || (self.begin_content
                && matches!(b, b'-' | b'+' | b'=')
                && !follows_digit)
                || (self.begin_content
                    && matches!(b, b'.' | b')')
                    && follows_digit
                    && (nextb == 0 || isspace(nextb)));
            if esc {
                if b.is_ascii_punctuation() {
                    self.out.push('\\');
                    self.out.push(b as char);
                } else if b == 0 {
                    self.out.push('\u{fffd}');
                } else {
                    self.push_num(b as u32);
                }
            } else {
                self.out.push(b as char);
            }
            self.begin_line = false;
            self.begin_content = self.begin_content && isdigit(b);
            i += 1;
        }
    }

    /// Whether a `_` between the last character written and `rest` is
    /// inside a word, where it can neither open nor close emphasis (both
    /// neighbours alphanumeric; an unknown neighbour counts as not).
    fn intraword(&self, rest: &str) -> bool {
        let before = self.out.chars().next_back();
        let after = rest.chars().next();
        before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)
    }

    /// Whether a `#` (starting `rest`) after a space could be read as the
    /// closing sequence of a heading: only `#`s and spaces follow it here.
    fn may_close_heading(&self, rest: &[u8]) -> bool {
        let after_space = self.out.as_bytes().last().is_none_or(|&c| isspace(c));
        after_space && rest.iter().all(|&c| c == b'#' || c == b' ')
    }

    /// A `!` written last, unescaped, would turn a link that starts now
    /// into an image: it gets its backslash after all.
    pub(super) fn guard_bang(&mut self) {
        if self.escapes == Escapes::Comrak {
            return;
        }
        let out = self.out.as_bytes();
        if out.last() != Some(&b'!') {
            return;
        }
        let slashes = out[..out.len() - 1]
            .iter()
            .rev()
            .take_while(|&&c| c == b'\\')
            .count();
        if slashes % 2 == 0 {
            self.out.pop();
            self.out.push_str("\\!");
        }
    }

    /// Link destination or title with comrak's escaping.
    fn escaped(&mut self, s: &str, mode: Esc) {
        self.flush_cr();
        for c in s.chars() {
            if self.begin_line {
                self.out.push_str(&self.prefix);
            }
            if self.pipe && c == '|' {
                self.out.push('\\');
            }
            let b = if c.is_ascii() { c as u8 } else { 0x80 };
            let needs = b < 0x80
                && match mode {
                    Esc::Url => matches!(b, b'`' | b'<' | b'>' | b'\\' | b')' | b'(') || isspace(b),
                    Esc::Title => matches!(b, b'`' | b'<' | b'>' | b'"' | b'\\'),
                };
            if needs {
                if mode == Esc::Url && isspace(b) {
                    use std::fmt::Write;
                    let _ = write!(self.out, "%{b:2X}");
                } else {
                    self.out.push('\\');
                    self.out.push(c);
                }
            } else {
                self.out.push(c);
            }
            self.begin_line = false;
            self.begin_content = self.begin_content && isdigit(b);
        }
    }

    /// The `](url "title")` that ends a link or an image.
    pub(super) fn destination(&mut self, url: &str, title: &str) {
        self.lit("](");
        self.escaped(url, Esc::Url);
        if !title.is_empty() {
            self.lit(" \"");
            self.escaped(title, Esc::Title);
            self.lit("\"");
        }
        self.lit(")");
    }

    /// `&#N;` as literal output.
    fn push_num(&mut self, n: u32) {
        use std::fmt::Write;
        let _ = write!(self.out, "&#{n};");
    }

    pub(super) fn lit_num(&mut self, n: u32) {
        let mut buf = String::with_capacity(12);
        {
            use std::fmt::Write;
            let _ = write!(buf, "&#{n};");
        }
        self.lit(&buf);
    }

    // ---- blocks ----
}
