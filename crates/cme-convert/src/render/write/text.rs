//! The writer's output primitives: owed newlines, line prefixes (quotes,
//! list items), literal and escaped text, and link destinations, with
//! comrak's byte classes and escaping rules. Kept apart from the block and
//! inline walks because every byte written goes through here, and this is
//! where the formatter must match comrak exactly.

use super::Writer;

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
            let esc = b < 0x20
                || matches!(
                    b,
                    b'*' | b'_' | b'[' | b']' | b'#' | b'<' | b'>' | b'\\' | b'`' | b'~' | b'!'
                )
                || (b == b'&' && nextb.is_ascii_alphabetic())
                || (self.begin_content && matches!(b, b'-' | b'+' | b'=') && !follows_digit)
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
