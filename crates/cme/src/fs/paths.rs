//! Turning titles into file names that are safe on every platform and can
//! never leave the output folder.
//!
//! [`OutputPath`] can only be built from sanitised components, so any path the
//! exporter writes or deletes is relative, has no `..`, no absolute prefix, no
//! reserved device name and no control characters.
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use unicode_normalization::UnicodeNormalization as _;

/// Longest component we produce, in bytes. Most file systems allow 255; we
/// keep room for a ` (123456789)` disambiguator and an extension.
pub(crate) const MAX_COMPONENT_BYTES: usize = 180;

/// A relative path inside the output folder, `/`-separated. Shared text:
/// a page that keeps its place holds the state's own copy of its path
/// ([`Self::from_components_as`]), not a second one (~15 MB at 100,000
/// pages).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct OutputPath(Arc<str>);

impl OutputPath {
    /// Joins already-sanitised components. Callers get components only from
    /// [`sanitize_component`], so the result is always safe.
    pub fn from_components<S: AsRef<str>>(parts: &[S]) -> Self {
        let joined: Vec<&str> = parts.iter().map(AsRef::as_ref).collect();
        debug_assert!(joined.iter().all(|c| is_safe_component(c)), "{joined:?}");
        Self(joined.join("/").into())
    }

    /// [`Self::from_components`], holding `recorded`'s text when it is the
    /// same path (the state's copy, shared rather than made again).
    pub fn from_components_as<S: AsRef<str>>(parts: &[S], recorded: Option<&Arc<str>>) -> Self {
        let joined: Vec<&str> = parts.iter().map(AsRef::as_ref).collect();
        debug_assert!(joined.iter().all(|c| is_safe_component(c)), "{joined:?}");
        match recorded {
            Some(r) if is_joined(r, &joined) => Self(r.clone()),
            _ => Self(joined.join("/").into()),
        }
    }

    /// The shared text, to record.
    pub fn shared(&self) -> Arc<str> {
        self.0.clone()
    }

    /// A path read back from the state file. The state is outside our
    /// control (edited by hand, written by another tool, corrupted), so a
    /// path that is absolute, climbs with `..`, or holds empty, control or
    /// backslash components is refused rather than followed.
    pub fn parse_recorded(s: &str) -> Result<Self, UnsafePath> {
        let path = Self::parse_relative(s)?;
        if path.components().any(is_own_name) {
            return Err(UnsafePath {
                path: s.chars().take(300).collect(),
                why: "it names one of cme's own files (state, backup, journal, lock, temporary)",
            });
        }
        Ok(path)
    }

    /// A relative path inside the folder, checked like
    /// [`Self::parse_recorded`] but allowed to name one of cme's own files:
    /// for cme's own files (settings, the demo's marker), never for a path
    /// read from the state.
    pub fn parse_relative(s: &str) -> Result<Self, UnsafePath> {
        let bad = |why: &'static str| UnsafePath {
            path: s.chars().take(300).collect(),
            why,
        };
        if s.is_empty() {
            return Err(bad("it is empty"));
        }
        if s.starts_with('/') || s.starts_with('\\') || s.as_bytes().get(1) == Some(&b':') {
            return Err(bad("it is absolute"));
        }
        for c in s.split('/') {
            if c == ".." {
                return Err(bad("it climbs out with `..`"));
            }
            if !is_safe_component(c) {
                return Err(bad(
                    "it has an empty, `.`, control-character or backslash component",
                ));
            }
        }
        Ok(Self(s.into()))
    }

    /// The path as stored in the state file.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The absolute path below `root`.
    pub fn under(&self, root: &Path) -> PathBuf {
        let mut p = root.to_path_buf();
        p.extend(self.0.split('/'));
        p
    }

    /// Components, for computing relative links.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// A link from the file at `self` to the file at `target`, relative.
    pub fn relative_link_to(&self, target: &OutputPath) -> String {
        let from: Vec<&str> = self.components().collect();
        let to: Vec<&str> = target.components().collect();
        let from_dir = &from[..from.len().saturating_sub(1)];
        let common = from_dir.iter().zip(&to).take_while(|(a, b)| a == b).count();
        let mut parts: Vec<&str> = vec![".."; from_dir.len() - common];
        parts.extend(&to[common..]);
        parts.join("/")
    }
}

/// Whether `text` is `parts` joined by `/`, without joining them.
fn is_joined(text: &str, parts: &[&str]) -> bool {
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            match rest.strip_prefix('/') {
                Some(r) => rest = r,
                None => return false,
            }
        }
        match rest.strip_prefix(part) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// The end of a temporary file's name (see `outdir`).
pub const PARTIAL_SUFFIX: &str = ".cme-partial";

/// Whether a file name is one of cme's own: the state, its backup, journal
/// and lock (`.cme-*`), or a temporary file (`.*.cme-partial`). No page or
/// attachment is ever written at such a name, so a recorded path naming one
/// is refused.
pub fn is_own_name(name: &str) -> bool {
    // Names made from titles never start with a dot (see
    // `sanitize_component`), so neither form can be a page's or an
    // attachment's.
    name.starts_with(".cme-") || (name.starts_with('.') && name.ends_with(PARTIAL_SUFFIX))
}

/// A recorded path that would lead outside the output folder.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("refusing to touch `{path}` recorded in the state: {why}")]
pub struct UnsafePath {
    /// The path as recorded (cut to 300 characters).
    pub path: String,
    /// Why it is refused.
    pub why: &'static str,
}

impl fmt::Display for OutputPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Windows device names, reserved in any case and with any extension
/// (`con.txt` too). Superscript digits count as digits there.
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "COM0", "COM1", "COM2", "COM3", "COM4",
    "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2", "LPT3",
    "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// Characters that draw nothing (zero-width, bidi controls, byte-order
/// mark, soft hyphen): dropped from names, because two titles differing
/// only by them look identical, and bidi overrides can make a name display
/// as something else.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{61C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    ) || c.is_control()
}

/// Makes one path component out of a title: characters that are illegal on
/// Windows, macOS or Linux become `_`, control and invisible characters
/// vanish, the rest is put in NFC (the form macOS and Linux agree on),
/// leading and trailing dots and spaces are trimmed (Windows drops trailing
/// ones), device names get a `_` after their stem, and long titles are cut
/// at a character boundary. Never empty.
pub fn sanitize_component(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for ch in title.chars() {
        match ch {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => out.push('_'),
            c if is_invisible(c) => {}
            c => out.push(c),
        }
    }
    // After dropping: that can bring a base and a combining mark together.
    if !out.is_ascii() && !unicode_normalization::is_nfc(&out) {
        out = out.nfc().collect();
    }
    let trimmed = out.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let mut name = truncate_bytes(trimmed, MAX_COMPONENT_BYTES).to_owned();
    let trimmed_len = name
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
        .len();
    name.truncate(trimmed_len);
    if name.is_empty() {
        return "_".to_owned();
    }
    let stem = name.split('.').next().unwrap_or("").trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        name.insert(stem.len(), '_');
    }
    name
}

/// The longest prefix of `s` of at most `max` bytes, on a character boundary.
pub(crate) fn truncate_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

fn is_safe_component(c: &str) -> bool {
    !c.is_empty()
        && c != "."
        && c != ".."
        && !c.contains(['/', '\\', '\0'])
        && !c.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_titles_become_safe_components() {
        let cases = [
            ("../../etc/passwd", "_.._etc_passwd"),
            ("..", "_"),
            ("CON", "CON_"),
            ("con.txt", "con_.txt"),
            ("a\u{0}b\u{7}c\nd", "abcd"),
            ("  spaced  ", "spaced"),
            ("What? <Now>: \"yes\" | no*", "What_ _Now__ _yes_ _ no_"),
            ("trailing dots...", "trailing dots"),
            ("", "_"),
            ("C:\\Windows", "C__Windows"),
        ];
        for (title, want) in cases {
            let got = sanitize_component(title);
            assert_eq!(got, want, "title {title:?}");
            assert!(is_safe_component(&got));
        }
    }

    #[test]
    fn every_windows_device_name_is_defused_in_any_case_and_with_any_extension() {
        for name in [
            "CON", "prn", "Aux", "nul", "COM0", "com9", "COM¹", "lpt²", "LPT³", "LPT0", "conin$",
            "CONOUT$",
        ] {
            for title in [
                name.to_owned(),
                format!("{name}.txt"),
                format!("{name} .md"),
            ] {
                let got = sanitize_component(&title);
                let stem = got.split('.').next().unwrap().trim_end();
                assert!(
                    !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)),
                    "{title:?} gave {got:?}"
                );
            }
        }
        assert_eq!(sanitize_component("COM10"), "COM10");
        assert_eq!(sanitize_component("console"), "console");
    }

    #[test]
    fn names_are_nfc_without_invisible_characters() {
        assert_eq!(sanitize_component("Cafe\u{301}"), "Caf\u{e9}");
        assert_eq!(
            sanitize_component("\u{FEFF}a\u{200B}b\u{200E}\u{200F}c\u{202E}d\u{2066}e\u{2069}"),
            "abcde"
        );
        // Removing an invisible character between a base and its accent.
        assert_eq!(sanitize_component("e\u{200B}\u{301}"), "\u{e9}");
        assert_eq!(sanitize_component("dots. . ."), "dots");
        assert_eq!(sanitize_component("\u{200B}"), "_");
    }

    #[test]
    fn long_titles_are_cut_on_a_char_boundary() {
        let title = "é".repeat(500);
        let got = sanitize_component(&title);
        assert!(got.len() <= MAX_COMPONENT_BYTES);
        assert!(got.chars().all(|c| c == 'é'));
    }

    #[test]
    fn paths_stay_under_the_root() {
        let p = OutputPath::from_components(&[
            sanitize_component("DEMO"),
            sanitize_component("../x"),
            sanitize_component("/abs"),
        ]);
        let root = Path::new("/out");
        let abs = p.under(root);
        assert!(abs.starts_with(root));
        assert!(
            abs.components()
                .all(|c| !matches!(c, std::path::Component::ParentDir))
        );
    }

    #[test]
    fn recorded_paths_that_leave_the_folder_are_refused() {
        for bad in [
            "/etc/passwd",
            "../x.md",
            "A/../../x.md",
            "",
            "A//b.md",
            "C:/x.md",
            "a\\..\\b",
            "./x.md",
            "a/\u{7}.md",
            ".cme-state.json",
            ".cme-state.json.bak",
            ".cme-state.journal",
            ".cme-state.lock",
            "S/.cme-state.json",
            "S/.A.md.0123456789abcdef.cme-partial",
        ] {
            assert!(OutputPath::parse_recorded(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            OutputPath::parse_recorded("DEMO/Home/Guide (12).md")
                .unwrap()
                .as_str(),
            "DEMO/Home/Guide (12).md"
        );
    }

    #[test]
    fn relative_links_walk_up_and_down() {
        let a = OutputPath::from_components(&["S", "A", "B.md"]);
        let b = OutputPath::from_components(&["S", "C.md"]);
        let c = OutputPath::from_components(&["T", "D", "E.md"]);
        assert_eq!(a.relative_link_to(&b), "../C.md");
        assert_eq!(b.relative_link_to(&a), "A/B.md");
        assert_eq!(a.relative_link_to(&c), "../../T/D/E.md");
        assert_eq!(a.relative_link_to(&a), "B.md");
    }

    #[test]
    fn a_path_placed_where_it_was_shares_the_recorded_text() {
        let recorded: Arc<str> = "S/A/B.md".into();
        let same = OutputPath::from_components_as(&["S", "A", "B.md"], Some(&recorded));
        assert_eq!(same.as_str(), "S/A/B.md");
        assert!(Arc::ptr_eq(&same.shared(), &recorded));
        for other in [
            &["S", "A", "C.md"][..],
            &["S", "AB.md"],
            &["S", "A"],
            &["S", "A", "B.md", "x"],
            &["S", "A", "B"],
        ] {
            let p = OutputPath::from_components_as(other, Some(&recorded));
            assert_eq!(p.as_str(), other.join("/"));
            assert!(!Arc::ptr_eq(&p.shared(), &recorded), "{other:?}");
        }
        let fresh = OutputPath::from_components_as(&["S", "A", "B.md"], None);
        assert_eq!(fresh, same);
    }
}
