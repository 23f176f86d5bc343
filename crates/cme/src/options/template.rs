//! Path templates, with the placeholder names of the Python
//! confluence-markdown-exporter (`export.page_path`,
//! `export.attachment_path`) so its users can carry their settings over.
//!
//! A template is checked once, when it is given: an unknown placeholder, an
//! absolute path, `..` or a character no file system takes is an error
//! naming what is wrong. Rendering cannot fail and cannot leave the output
//! folder: `/` in the template is the only folder separator, every
//! placeholder value has its separators replaced, and each rendered folder or
//! file name goes through [`sanitize_component`].
use crate::fs::paths::{is_invisible, sanitize_component};
use std::fmt;

/// A placeholder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Var {
    /// The space's folder name: its key, sanitised (suffixed with the space
    /// id when two keys sanitise alike).
    SpaceKey,
    /// The space's name.
    SpaceName,
    /// The space home page's id (empty without one).
    HomepageId,
    /// The space home page's title (empty without one).
    HomepageTitle,
    /// The ids of the page's ancestors below the home page, one folder each.
    AncestorIds,
    /// The ancestors' titles but the last (the parent): the Python tool's
    /// placeholder for a leaf page's attachments beside its parent's file.
    AncestorsWithoutLast,
    /// The titles of the page's ancestors below the home page, one folder
    /// each, as the default layout names those folders (unique among
    /// siblings).
    AncestorTitles,
    /// The page's id.
    PageId,
    /// The page's title.
    PageTitle,
    /// The attachment's id.
    AttachmentId,
    /// The attachment's file id; Confluence's file id is not listed, so the
    /// attachment id (as the Python tool does on Data Center).
    AttachmentFileId,
    /// The attachment's file name without its extension.
    AttachmentTitle,
    /// The attachment's extension with its dot (`.png`), or empty.
    AttachmentExtension,
}

const PAGE_VARS: &[(&str, Var)] = &[
    ("space_key", Var::SpaceKey),
    ("space_name", Var::SpaceName),
    ("homepage_id", Var::HomepageId),
    ("homepage_title", Var::HomepageTitle),
    ("ancestor_ids", Var::AncestorIds),
    ("ancestor_titles", Var::AncestorTitles),
    ("ancestors_without_last", Var::AncestorsWithoutLast),
    ("page_id", Var::PageId),
    ("page_title", Var::PageTitle),
];

const ATTACHMENT_VARS: &[(&str, Var)] = &[
    ("attachment_id", Var::AttachmentId),
    ("attachment_file_id", Var::AttachmentFileId),
    ("attachment_title", Var::AttachmentTitle),
    ("attachment_extension", Var::AttachmentExtension),
];

impl Var {
    /// Whether the value is a list of folders rather than one name.
    fn is_folders(self) -> bool {
        matches!(
            self,
            Var::AncestorIds | Var::AncestorTitles | Var::AncestorsWithoutLast
        )
    }
}

/// What a template places.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A page's Markdown file: the template ends in `.md`.
    Page,
    /// An attachment: the page placeholders and the `attachment_*` ones.
    Attachment,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Var(Var),
}

/// A checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate {
    source: String,
    /// Folder segments.
    dirs: Vec<Vec<Piece>>,
    /// The file name; for a page without its `.md`.
    file: Vec<Piece>,
}

/// Why a template was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path template `{template}`: {why}")]
pub struct TemplateError {
    /// The template as given (cut to 300 characters).
    pub template: String,
    /// What is wrong.
    pub why: String,
}

/// The values a template is rendered with. Single names are raw (titles as
/// Confluence has them); folder lists are already folder names.
#[derive(Debug, Default, Clone)]
pub struct Values<'a> {
    pub space_key: &'a str,
    pub space_name: &'a str,
    pub homepage_id: &'a str,
    pub homepage_title: &'a str,
    pub ancestor_ids: &'a [String],
    pub ancestor_titles: &'a [String],
    pub page_id: &'a str,
    pub page_title: &'a str,
    /// `(id, file name)` of the attachment, for attachment templates.
    pub attachment: Option<(&'a str, &'a str)>,
}

/// A rendered template: folders, then the file name (a page's without
/// `.md`), every one a safe path component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub dirs: Vec<String>,
    pub file: String,
    /// Whether the file name is the template's own text (`index.md`), not
    /// made from a placeholder: such a name wins a clash.
    pub fixed: bool,
}

impl PathTemplate {
    /// Checks `source` as a template for `kind`.
    pub fn parse(source: &str, kind: Kind) -> Result<Self, TemplateError> {
        let err = |why: String| TemplateError {
            template: source.chars().take(300).collect(),
            why,
        };
        if source.trim().is_empty() {
            return Err(err("it is empty".into()));
        }
        if source.starts_with(['/', '\\']) || source.as_bytes().get(1) == Some(&b':') {
            return Err(err(
                "it is absolute; paths are relative to the output folder".into(),
            ));
        }
        let mut segments: Vec<Vec<Piece>> = Vec::new();
        for seg in source.split('/') {
            if seg.is_empty() {
                return Err(err(
                    "it has an empty folder name (`//` or a trailing `/`)".into()
                ));
            }
            if seg == "." || seg == ".." {
                return Err(err(format!("`{seg}` is not allowed as a folder name")));
            }
            segments.push(parse_segment(seg, kind).map_err(err)?);
        }
        let mut file = segments.pop().unwrap_or_default();
        for (i, seg) in segments.iter().chain(std::iter::once(&file)).enumerate() {
            let folders = seg
                .iter()
                .any(|p| matches!(p, Piece::Var(v) if v.is_folders()));
            if folders && (seg.len() != 1 || i == segments.len()) {
                return Err(err(
                    "`{ancestor_titles}`, `{ancestor_ids}` and `{ancestors_without_last}` stand for \
                     folders: each must be a \
                     folder of its own (`{space_key}/{ancestor_titles}/{page_title}.md`)"
                        .into(),
                ));
            }
        }
        if kind == Kind::Page {
            match file.last_mut() {
                Some(Piece::Text(t)) if t.ends_with(".md") => {
                    t.truncate(t.len() - 3);
                    if t.is_empty() {
                        file.pop();
                    }
                }
                _ => return Err(err("a page's file name must end in `.md`".into())),
            }
            if file.is_empty() {
                return Err(err("the file name is only `.md`".into()));
            }
        }
        Ok(Self {
            source: source.to_owned(),
            dirs: segments,
            file,
        })
    }

    /// The template as given.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The path for `v`. Empty folder names (a space without a home page,
    /// a page without ancestors) are left out, as the Python tool does.
    pub fn render(&self, v: &Values<'_>) -> Rendered {
        let mut dirs = Vec::new();
        for seg in &self.dirs {
            match seg.as_slice() {
                [Piece::Var(Var::AncestorTitles)] => dirs.extend(
                    v.ancestor_titles
                        .iter()
                        .map(|t| sanitize_component(&clean(t))),
                ),
                [Piece::Var(Var::AncestorsWithoutLast)] => {
                    let n = v.ancestor_titles.len().saturating_sub(1);
                    dirs.extend(
                        v.ancestor_titles[..n]
                            .iter()
                            .map(|t| sanitize_component(&clean(t))),
                    )
                }
                [Piece::Var(Var::AncestorIds)] => {
                    dirs.extend(v.ancestor_ids.iter().map(|t| sanitize_component(&clean(t))))
                }
                _ => {
                    let text = join(seg, v);
                    if !text.trim().is_empty() {
                        dirs.push(sanitize_component(&text));
                    }
                }
            }
        }
        let fixed = self.file.iter().all(|p| matches!(p, Piece::Text(_)));
        Rendered {
            dirs,
            file: sanitize_component(&join(&self.file, v)),
            fixed,
        }
    }
}

impl fmt::Display for PathTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// The names of the placeholders `kind` takes, for error messages.
fn valid_names(kind: Kind) -> String {
    let extra: &[(&str, Var)] = match kind {
        Kind::Page => &[],
        Kind::Attachment => ATTACHMENT_VARS,
    };
    PAGE_VARS
        .iter()
        .chain(extra)
        .map(|(n, _)| format!("{{{n}}}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_segment(seg: &str, kind: Kind) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut rest = seg;
    while !rest.is_empty() {
        let Some(open) = rest.find(['{', '}']) else {
            push_text(&mut out, rest)?;
            break;
        };
        if rest[open..].starts_with('}') {
            return Err("a `}` without its `{`".into());
        }
        push_text(&mut out, &rest[..open])?;
        let Some(close) = rest[open..].find('}') else {
            return Err("a `{` without its `}`".into());
        };
        let name = &rest[open + 1..open + close];
        let found = PAGE_VARS
            .iter()
            .chain(match kind {
                Kind::Page => &[][..],
                Kind::Attachment => ATTACHMENT_VARS,
            })
            .find(|(n, _)| *n == name);
        match found {
            Some((_, v)) => out.push(Piece::Var(*v)),
            None => {
                let shown: String = name.chars().take(60).collect();
                return Err(format!(
                    "unknown placeholder `{{{shown}}}`; valid ones are {}",
                    valid_names(kind)
                ));
            }
        }
        rest = &rest[open + close + 1..];
    }
    Ok(out)
}

fn push_text(out: &mut Vec<Piece>, text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Ok(());
    }
    if let Some(c) = text
        .chars()
        .find(|&c| matches!(c, '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') || c.is_control())
    {
        return Err(format!(
            "`{}` cannot be part of a file name on every system",
            c.escape_default()
        ));
    }
    out.push(Piece::Text(text.to_owned()));
    Ok(())
}

/// A placeholder's value as part of one name: separators and characters no
/// file system takes become `_`, invisible ones go. (The whole name is
/// sanitised after, so trimming waits until the pieces are joined.)
fn clean(value: &str) -> String {
    value
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c => c,
        })
        .collect()
}

fn join(pieces: &[Piece], v: &Values<'_>) -> String {
    let (att_id, att_file) = v.attachment.unwrap_or_default();
    let (stem, ext) = match att_file.rfind('.') {
        Some(dot) if dot > 0 => att_file.split_at(dot),
        _ => (att_file, ""),
    };
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Var(var) => out.push_str(&clean(match var {
                Var::SpaceKey => v.space_key,
                Var::SpaceName => v.space_name,
                Var::HomepageId => v.homepage_id,
                Var::HomepageTitle => v.homepage_title,
                Var::PageId => v.page_id,
                Var::PageTitle => v.page_title,
                Var::AttachmentId | Var::AttachmentFileId => att_id,
                Var::AttachmentTitle => stem,
                Var::AttachmentExtension => ext,
                // Only alone in a folder segment (checked by `parse`).
                Var::AncestorIds | Var::AncestorTitles | Var::AncestorsWithoutLast => "",
            })),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(t: &str) -> PathTemplate {
        PathTemplate::parse(t, Kind::Page).unwrap()
    }

    fn values<'a>(anc: &'a [String]) -> Values<'a> {
        Values {
            space_key: "DEMO",
            space_name: "Demo: the space",
            homepage_id: "1",
            homepage_title: "Home",
            ancestor_ids: &[],
            ancestor_titles: anc,
            page_id: "42",
            page_title: "a/b: ../c",
            attachment: Some(("att7", "diagram.v2.png")),
        }
    }

    #[test]
    fn placeholders_render_as_one_safe_name_each() {
        let anc = vec!["Parent".to_owned(), "Child".to_owned()];
        let r = page("{space_name}/{homepage_title}/{ancestor_titles}/{page_title}.md")
            .render(&values(&anc));
        assert_eq!(r.dirs, ["Demo_ the space", "Home", "Parent", "Child"]);
        assert_eq!(r.file, "a_b_ .._c");
        assert!(!r.fixed);
        let r = page("{space_key}/{page_id} - {page_title}/index.md").render(&values(&[]));
        assert_eq!(r.dirs, ["DEMO", "42 - a_b_ .._c"]);
        assert_eq!(r.file, "index");
        assert!(r.fixed);
        let a = PathTemplate::parse(
            "{space_key}/files/{attachment_file_id}{attachment_extension}",
            Kind::Attachment,
        )
        .unwrap();
        assert_eq!(a.render(&values(&[])).file, "att7.png");
    }

    #[test]
    fn ancestors_without_last_leaves_out_the_parent() {
        let anc = vec!["Top".to_owned(), "Parent".to_owned()];
        let a = PathTemplate::parse(
            "{space_key}/{ancestors_without_last}/_assets/{attachment_title}{attachment_extension}",
            Kind::Attachment,
        )
        .unwrap();
        assert_eq!(a.render(&values(&anc)).dirs, ["DEMO", "Top", "_assets"]);
        assert_eq!(a.render(&values(&[])).dirs, ["DEMO", "_assets"]);
    }

    #[test]
    fn empty_values_leave_no_empty_folder() {
        let mut v = values(&[]);
        v.homepage_title = "";
        let r = page("{space_key}/{homepage_title}/{ancestor_titles}/{page_title}.md").render(&v);
        assert_eq!(r.dirs, ["DEMO"]);
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        for (t, why) in [
            (
                "{page_tilte}.md",
                "unknown placeholder `{page_tilte}`; valid ones are {space_key}",
            ),
            ("/abs/{page_title}.md", "absolute"),
            ("C:/x/{page_title}.md", "absolute"),
            ("../{page_title}.md", "`..`"),
            ("a//{page_title}.md", "empty folder"),
            ("{page_title}", "end in `.md`"),
            (".md", "only `.md`"),
            ("{space_key}/{page_title", "without its `}`"),
            ("a}/{page_title}.md", "without its `{`"),
            ("ab:c/{page_title}.md", "`:`"),
            ("x{ancestor_titles}/{page_title}.md", "folder of its own"),
            (
                "{attachment_id}.md",
                "unknown placeholder `{attachment_id}`",
            ),
        ] {
            let e = PathTemplate::parse(t, Kind::Page).unwrap_err();
            assert!(e.to_string().contains(why), "{t}: {e}");
        }
        let e = PathTemplate::parse("{ancestor_titles}", Kind::Attachment).unwrap_err();
        assert!(e.why.contains("folder of its own"), "{e}");
        let e = PathTemplate::parse("{nope}", Kind::Attachment).unwrap_err();
        assert!(e.why.contains("{attachment_extension}"), "{e}");
    }

    #[test]
    fn hostile_values_stay_one_component() {
        let mut v = values(&[]);
        for title in ["..", "/", "CON", "", " . ", "a\u{202E}b", "\\..\\x"] {
            v.page_title = title;
            let r = page("{page_title}/{page_title}.md").render(&v);
            for c in r.dirs.iter().chain([&r.file]) {
                assert!(!c.is_empty() && c != "." && c != "..", "{title:?}: {c:?}");
                assert!(!c.contains(['/', '\\']), "{title:?}: {c:?}");
                assert_eq!(&sanitize_component(c), c);
            }
        }
    }
}
