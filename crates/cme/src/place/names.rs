//! Names that cannot collide. Every page and attachment gets a name unique
//! in its folder as the file systems we write to compare names: macOS and
//! Windows ignore case, macOS ignores the Unicode normalisation form, and a
//! file and a folder of one name cannot live side by side. Files and
//! folders are therefore one namespace, compared by [`key`].
//!
//! A clash never fails and never loses anything: the later name gets its
//! owner's id appended, checked again against every name taken, until it is
//! free. The result depends only on the candidates, never on the order they
//! were listed in, and a name recorded by the last run is kept when it is
//! still the candidate's own, so a newcomer never renames an existing file.
use crate::fs::paths::{is_invisible, sanitize_component, truncate_bytes};
use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashSet;
use unicode_normalization::UnicodeNormalization as _;

/// Longest id text used in a suffix, in bytes: ids come from the server.
const MAX_TAG_BYTES: usize = 40;

/// The form two names are compared in: NFC, full Unicode lower case, and
/// without the characters that draw nothing (joiners and variation
/// selectors too, which names keep).
pub fn key(name: &str) -> String {
    if name.is_ascii() {
        // Most names: no normalisation to do, and only controls to drop.
        let mut k = name.to_ascii_lowercase();
        k.retain(|c| !c.is_ascii_control());
        return k;
    }
    let visible: String = name
        .chars()
        .filter(|&c| !is_invisible(c) && !is_ignorable(c))
        .nfc()
        .collect();
    let lower = visible.to_lowercase();
    if unicode_normalization::is_nfc_quick(lower.chars())
        == unicode_normalization::IsNormalized::Yes
    {
        lower
    } else {
        lower.nfc().collect()
    }
}

/// Kept in names (they change how emoji and some scripts render) but not
/// enough to tell two names apart.
fn is_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{34F}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200C}'
            | '\u{200D}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FFA0}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// What a name occupies in its folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A page: its file `name.md`, its comments sidecar
    /// `name.comments.md` and its folder `name`. The folder is
    /// claimed even while the page has no children, so a child added later
    /// renames nobody.
    Page,
    /// An attachment: exactly its file name. A suffix goes before the
    /// extension, so the file still opens with the right program.
    File,
    /// A folder only (a space).
    Folder,
    /// A page placed by a path template: its file `name.md` and its comments
    /// sidecar `name.comments.md` (the template decides the folders). A
    /// suffix goes before the `.md`.
    PageFile,
}

impl Shape {
    fn keys(self, name: &str) -> Vec<String> {
        match self {
            Shape::Page => {
                let k = key(name);
                let file = format!("{k}.md");
                // Its comments sidecar (`export::comments`), so no page takes that name.
                let comments = format!("{k}.comments.md");
                vec![k, file, comments]
            }
            Shape::PageFile => {
                let k = key(name);
                // Its comments sidecar, as for `Page`.
                match k.strip_suffix(".md") {
                    Some(stem) => {
                        let comments = format!("{stem}.comments.md");
                        vec![k, comments]
                    }
                    None => vec![k],
                }
            }
            Shape::File | Shape::Folder => vec![key(name)],
        }
    }

    /// `name` with `tag` appended: `Title (123)`, `file (att9).png`.
    fn suffixed(self, name: &str, tag: &str) -> String {
        let (stem, ext) = self.split(name);
        format!("{stem} ({tag}){ext}")
    }

    /// Stem and extension (with its dot) where a suffix goes between.
    fn split(self, name: &str) -> (&str, &str) {
        match (self, name.rfind('.')) {
            (Shape::File | Shape::PageFile, Some(dot)) if dot > 0 => name.split_at(dot),
            _ => (name, ""),
        }
    }
}

/// One page or attachment asking for a name in a folder.
#[derive(Debug, Clone)]
pub struct Candidate<'a> {
    /// Its id: the tie-break between equal names, and the suffix.
    pub id: &'a str,
    /// Its name from [`sanitize_component`] (a page's without `.md`):
    /// the title itself when it needed nothing (most do; a folder of
    /// 100,000 pages held a copy of each while it was named).
    pub natural: Cow<'a, str>,
    /// Whether sanitising left the title or file name as it was: such a
    /// name wins a clash (a link to `a_b.txt` keeps meaning `a_b.txt`).
    pub exact: bool,
    /// The name the last run gave it here, if any.
    pub recorded: Option<&'a str>,
}

impl<'a> Candidate<'a> {
    /// The candidate for a title or file name `raw`.
    pub fn new(id: &'a str, raw: &'a str, recorded: Option<&'a str>) -> Self {
        let natural = sanitize_component(raw);
        let exact = natural == raw;
        Self {
            id,
            exact,
            natural: if exact { raw.into() } else { natural.into() },
            recorded,
        }
    }
}

/// The names taken in one folder, as 64-bit hashes of their keys: a page
/// takes three names, and a folder of 100,000 pages held them as text
/// (~25 MB while it was named). Two keys that hash alike (one in millions
/// of millions at that size, or titles made for it) only suffix a name
/// that was free.
#[derive(Debug, Default, Clone)]
pub struct Folder {
    taken: HashSet<u64>,
}

fn hashed(key: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(key.as_bytes())
}

impl Folder {
    /// Takes `name` before anything is allocated (our own `_attachments`).
    pub fn reserve(&mut self, shape: Shape, name: &str) {
        self.taken
            .extend(shape.keys(name).iter().map(|k| hashed(k)));
    }

    /// Whether a `shape` called `name` would clash with a name taken.
    pub fn clashes(&self, shape: Shape, name: &str) -> bool {
        shape
            .keys(name)
            .iter()
            .any(|k| self.taken.contains(&hashed(k)))
    }

    fn claim(&mut self, shape: Shape, name: &str) -> bool {
        let keys = shape.keys(name);
        let keys: Vec<u64> = keys.iter().map(|k| hashed(k)).collect();
        if keys.iter().any(|k| self.taken.contains(k)) {
            return false;
        }
        self.taken.extend(keys);
        true
    }

    /// Names for `cands`, in their order. First every candidate that may
    /// keep its recorded name does, then every natural name still free is
    /// given, then the rest are suffixed with their id (`-2`, `-3`, … added
    /// while even that is taken). Each pass goes through the candidates
    /// sorted by (name key, exact names first, id), so the listing order
    /// does not matter.
    /// A name that is a title or a recorded name as it was is lent, not
    /// copied.
    pub fn allocate<'a>(&mut self, shape: Shape, cands: &[Candidate<'a>]) -> Vec<Cow<'a, str>> {
        let keys: Vec<String> = cands.iter().map(|c| key(&c.natural)).collect();
        // Positions as u32: a folder of 100,000 pages held 0.8 MB of usize.
        let mut order: Vec<u32> = (0..cands.len()).map(|i| i as u32).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            keys[a]
                .cmp(&keys[b])
                .then_with(|| cands[b].exact.cmp(&cands[a].exact))
                .then_with(|| id_order(cands[a].id, cands[b].id))
                .then_with(|| cands[a].natural.cmp(&cands[b].natural))
        });
        // Held through the claims, a wide folder's keys and its growing
        // table were its naming's peak: their text goes, and their list
        // becomes the names' (in place: the same size).
        let mut out: Vec<Option<Cow<'a, str>>> = keys.into_iter().map(|_| None).collect();
        let per_name = shape.keys("").len();
        self.taken.reserve(cands.len() * per_name);
        let in_order = || order.iter().map(|&i| i as usize);
        for i in in_order() {
            let c = &cands[i];
            if let Some(r) = c.recorded {
                if is_own_form(shape, &c.natural, c.id, r) && self.claim(shape, r) {
                    out[i] = Some(r.into());
                }
            }
        }
        for i in in_order() {
            if out[i].is_none() && self.claim(shape, &cands[i].natural) {
                out[i] = Some(cands[i].natural.clone());
            }
        }
        for i in in_order() {
            if out[i].is_none() {
                out[i] = Some(
                    self.claim_suffixed(shape, &cands[i].natural, cands[i].id)
                        .into(),
                );
            }
        }
        out.into_iter().map(Option::unwrap_or_default).collect()
    }

    /// The first free one of `natural (id)`, `natural (id-2)`, …, claimed.
    pub fn claim_suffixed(&mut self, shape: Shape, natural: &str, id: &str) -> String {
        let tag = id_tag(id);
        let mut n = 1u64;
        loop {
            let name = shape.suffixed(natural, &numbered(&tag, n));
            if self.claim(shape, &name) {
                return name;
            }
            n += 1;
        }
    }

    /// The name `natural` would get as a newcomer with `id`, without
    /// claiming it: for a file the page refers to that the listing lacks.
    pub fn peek(&self, shape: Shape, natural: &str, id: &str) -> String {
        if !self.clashes(shape, natural) {
            return natural.to_owned();
        }
        self.clone().claim_suffixed(shape, natural, id)
    }
}

/// Ids compare as numbers when they are (Confluence's are), so the oldest
/// page keeps the plain name.
fn id_order(a: &str, b: &str) -> Ordering {
    (a.len(), a).cmp(&(b.len(), b))
}

fn id_tag(id: &str) -> String {
    truncate_bytes(&sanitize_component(id), MAX_TAG_BYTES).to_owned()
}

fn numbered(tag: &str, n: u64) -> String {
    if n == 1 {
        tag.to_owned()
    } else {
        format!("{tag}-{n}")
    }
}

/// Whether `recorded` is `natural` or one of its suffixed forms for `id`:
/// only then may a candidate keep it (a renamed page must not keep its old
/// title's name). A file keeps a suffix of another id: it is recorded by
/// file name, so it is the same file re-uploaded (Confluence gives a new
/// id), and its links should not change.
fn is_own_form(shape: Shape, natural: &str, id: &str, recorded: &str) -> bool {
    if recorded == natural {
        return true;
    }
    let (stem, ext) = shape.split(natural);
    let Some(tag) = recorded
        .strip_suffix(ext)
        .and_then(|r| r.strip_prefix(stem))
        .and_then(|r| r.strip_prefix(" ("))
        .and_then(|r| r.strip_suffix(')'))
    else {
        return false;
    };
    if shape == Shape::File {
        return !tag.is_empty() && !tag.contains(['(', ')']);
    }
    let Some(rest) = tag.strip_prefix(id_tag(id).as_str()) else {
        return false;
    };
    rest.is_empty()
        || rest.strip_prefix('-').is_some_and(|n| {
            !n.starts_with('0') && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand<'a>(id: &'a str, title: &'a str) -> Candidate<'a> {
        Candidate::new(id, title, None)
    }

    fn names(shape: Shape, cands: &[Candidate<'_>]) -> Vec<String> {
        let names = Folder::default().allocate(shape, cands);
        names.into_iter().map(Cow::into_owned).collect()
    }

    #[test]
    fn keys_fold_case_form_and_invisible_characters() {
        assert_eq!(key("Café"), key("CAFE\u{301}"));
        assert_eq!(key("a\u{200B}b"), key("ab"));
        assert_eq!(key("a\u{200D}b"), key("ab"));
        assert_eq!(key("ÄÖÜ"), "äöü");
        assert_ne!(key("a"), key("b"));
    }

    #[test]
    fn a_suffixed_name_is_checked_against_names_in_use() {
        // `coll (1)` is a title of its own, and the suffix `Coll` and `coll`
        // would fall back on.
        let got = names(
            Shape::Page,
            &[cand("2", "coll"), cand("3", "coll (2)"), cand("1", "Coll")],
        );
        assert_eq!(got, vec!["coll (2-2)", "coll (2)", "Coll"]);
    }

    #[test]
    fn files_and_folders_share_one_namespace() {
        let got = names(Shape::Page, &[cand("1", "Clash.md"), cand("2", "Clash")]);
        assert_eq!(got, vec!["Clash.md (1)", "Clash"]);
    }

    #[test]
    fn attachments_that_sanitise_alike_get_their_own_files() {
        let got = names(
            Shape::File,
            &[
                cand("att3", "a_b.txt"),
                cand("att1", "a:b.txt"),
                cand("att2", "a?b.txt"),
            ],
        );
        assert_eq!(got, vec!["a_b.txt", "a_b (att1).txt", "a_b (att2).txt"]);
    }

    #[test]
    fn a_recorded_name_is_kept_when_it_is_still_the_candidates_own() {
        let mut old = cand("9", "Guide");
        old.recorded = Some("Guide");
        let got = names(Shape::Page, &[cand("3", "guide"), old.clone()]);
        assert_eq!(got, vec!["guide (3)", "Guide"]);

        // A renamed page does not keep its old title's name.
        old.natural = "Handbook".into();
        let got = names(Shape::Page, &[cand("3", "Guide"), old]);
        assert_eq!(got, vec!["Guide", "Handbook"]);

        assert!(is_own_form(Shape::Page, "a", "2", "a (2-3)"));
        assert!(!is_own_form(Shape::Page, "a", "2", "a (2-03)"));
        assert!(!is_own_form(Shape::Page, "a", "2", "a (1)"));
        assert!(!is_own_form(Shape::Page, "a", "1", "a (1-)"));
        // A file re-uploaded under a new id keeps its name.
        assert!(is_own_form(
            Shape::File,
            "a_b.txt",
            "att2",
            "a_b (att1).txt"
        ));
        assert!(!is_own_form(Shape::File, "a_b.txt", "att2", "a_b ().txt"));
        assert!(!is_own_form(
            Shape::File,
            "a_b.txt",
            "att2",
            "a_b (x) (y).txt"
        ));
        assert!(!is_own_form(
            Shape::File,
            "a_b.txt",
            "att2",
            "a_c (att2).txt"
        ));
    }
}
