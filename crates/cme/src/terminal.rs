//! Text from Confluence or the state file, made safe for a terminal.
//!
//! A title, attachment name or recorded path may hold escape sequences
//! (`ESC ]` can retitle the window or forge a hyperlink, `ESC [2J` clears
//! the screen), carriage returns that overwrite a report line, or bidi
//! overrides that make `evil.exe` read as `exe.live`. Every such string is
//! passed through [`escape`] before it is printed; JSON output needs nothing,
//! as serde escapes control characters itself.
use std::borrow::Cow;
use std::fmt::Write as _;

/// `s` with every control, bidi-override and invisible formatting character
/// written as a visible `\u{…}` escape (backslashes are left alone: paths on
/// Windows use them, and they are harmless on a terminal).
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_if(s, is_unsafe)
}

/// Like [`escape`], but keeps line breaks: for messages of several lines
/// that we compose ourselves around such strings.
pub fn escape_text(s: &str) -> Cow<'_, str> {
    escape_if(s, |c| c != '\n' && is_unsafe(c))
}

fn escape_if(s: &str, unsafe_char: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(&unsafe_char) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Characters a terminal acts on, or that change how text around them reads.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'                   // Arabic letter mark
            | '\u{200b}'..='\u{200f}'    // zero-width space/joiners, LRM, RLM
            | '\u{2028}'..='\u{202e}'    // line/paragraph separators, embeddings, overrides
            | '\u{2060}'..='\u{2069}'    // word joiner, invisible operators, isolates
            | '\u{feff}'                 // zero-width no-break space (BOM)
            | '\u{fff9}'..='\u{fffb}' // interlinear annotations
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let s = "ENG/Release notes (2026) – ünïcode ✓.md";
        assert!(matches!(escape(s), Cow::Borrowed(_)));
        assert_eq!(escape(s), s);
    }

    #[test]
    fn escapes_and_controls_become_visible() {
        assert_eq!(escape("a\x1b]0;owned\x07b"), "a\\u{1b}]0;owned\\u{7}b");
        assert_eq!(escape("line\rover"), "line\\u{d}over");
        assert_eq!(escape("x\ny"), "x\\u{a}y");
        assert_eq!(escape("\u{9b}31m"), "\\u{9b}31m", "C1 CSI");
        assert_eq!(escape_text("one\ntwo\x1b[2J"), "one\ntwo\\u{1b}[2J");
    }

    #[test]
    fn bidi_overrides_and_invisibles_become_visible() {
        assert_eq!(escape("evil\u{202e}exe.txt"), "evil\\u{202e}exe.txt");
        assert_eq!(
            escape("a\u{200b}b\u{2066}c\u{feff}"),
            "a\\u{200b}b\\u{2066}c\\u{feff}"
        );
    }
}
