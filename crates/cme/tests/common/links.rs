//! The link walker: every link and image of an export either resolves to a
//! file of the export (and its `#anchor` to an anchor in that file) or is an
//! absolute `http(s)` URL.
use std::collections::{BTreeMap, HashSet};
use std::path::{Component, Path, PathBuf};

/// Every link and image destination of a Markdown document, as a CommonMark
/// parser reads them, plus `src`/`href` of raw HTML.
pub fn destinations(md: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    let mut out = Vec::new();
    for ev in Parser::new(md) {
        match ev {
            Event::Start(Tag::Link { dest_url, .. } | Tag::Image { dest_url, .. }) => {
                out.push(dest_url.to_string());
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                for attr in [" src=\"", " href=\""] {
                    for (i, _) in h.match_indices(attr) {
                        let rest = &h[i + attr.len()..];
                        if let Some(end) = rest.find('"') {
                            out.push(rest[..end].replace("&amp;", "&"));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

/// The anchors a file offers, as GitHub renders it: heading slugs
/// (lower case, punctuation dropped, spaces to `-`, repeats numbered) and
/// `id`/`name` attributes of raw HTML. Written independently of the
/// converter's own anchorizer.
pub fn anchors(md: &str) -> HashSet<String> {
    use pulldown_cmark::{Event, Parser, Tag, TagEnd};
    let mut out = HashSet::new();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    let mut heading: Option<String> = None;
    for ev in Parser::new(md) {
        match ev {
            Event::Start(Tag::Heading { .. }) => heading = Some(String::new()),
            Event::Text(t) | Event::Code(t) if heading.is_some() => {
                if let Some(h) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                let text = heading.take().unwrap_or_default();
                let base: String = text
                    .to_lowercase()
                    .chars()
                    .filter_map(|c| match c {
                        ' ' => Some('-'),
                        c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                        _ => None,
                    })
                    .collect();
                let n = seen.entry(base.clone()).or_insert(0);
                let slug = if *n == 0 {
                    base.clone()
                } else {
                    format!("{base}-{n}")
                };
                *n += 1;
                out.insert(slug);
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                for attr in [" id=\"", " name=\""] {
                    for (i, _) in h.match_indices(attr) {
                        let rest = &h[i + attr.len()..];
                        if let Some(end) = rest.find('"') {
                            out.insert(
                                rest[..end]
                                    .replace("&quot;", "\"")
                                    .replace("&lt;", "<")
                                    .replace("&gt;", ">")
                                    .replace("&amp;", "&"),
                            );
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `dir/link`, with `..` and `.` resolved lexically; `None` when it
/// climbs out of the export.
pub fn join(dir: &Path, link: &str) -> Option<PathBuf> {
    let mut out: Vec<String> = dir
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for c in Path::new(link).components() {
        match c {
            Component::ParentDir => {
                out.pop()?;
            }
            Component::CurDir => {}
            Component::Normal(n) => out.push(n.to_string_lossy().into_owned()),
            _ => return None,
        }
    }
    Some(out.iter().collect())
}

/// Checks every Markdown file of an export; returns how many relative links
/// and absolute links were seen. Panics with every broken link listed.
pub fn check_links(files: &BTreeMap<String, Vec<u8>>) -> (usize, usize) {
    check_links_with(files, false)
}

/// [`check_links`], where with `rooted` a link starting with `/` is a path
/// from the top of the export (the `absolute` link style).
pub fn check_links_with(files: &BTreeMap<String, Vec<u8>>, rooted: bool) -> (usize, usize) {
    let text = |p: &str| String::from_utf8_lossy(&files[p]).into_owned();
    let mut broken = Vec::new();
    let (mut relative, mut absolute) = (0, 0);
    for path in files.keys().filter(|k| k.ends_with(".md")) {
        let md = text(path);
        let dir = Path::new(path).parent().unwrap_or(Path::new(""));
        for dest in destinations(&md) {
            if dest.starts_with("https://")
                || dest.starts_with("http://")
                || dest.starts_with("mailto:")
            {
                absolute += 1;
                continue;
            }
            let (file, frag) = match dest.split_once('#') {
                Some((f, a)) => (f, Some(percent_decode(a))),
                None => (dest.as_str(), None),
            };
            let (dir, file) = match file.strip_prefix('/') {
                Some(f) if rooted => (Path::new(""), f),
                _ => (dir, file),
            };
            if file.starts_with('/') || file.contains(':') || (file.is_empty() && frag.is_none()) {
                broken.push(format!("{path}: `{dest}` is not relative, nor absolute"));
                continue;
            }
            let target = if file.is_empty() {
                path.clone()
            } else {
                match join(dir, &percent_decode(file)) {
                    Some(t) => t.to_string_lossy().replace('\\', "/"),
                    None => {
                        broken.push(format!("{path}: `{dest}` leaves the export"));
                        continue;
                    }
                }
            };
            if !files.contains_key(&target) {
                broken.push(format!("{path}: `{dest}` -> `{target}` does not exist"));
                continue;
            }
            if let Some(a) = frag {
                if !target.ends_with(".md") || !anchors(&text(&target)).contains(&a) {
                    broken.push(format!("{path}: `{dest}`: no anchor `{a}` in `{target}`"));
                    continue;
                }
            }
            relative += 1;
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    (relative, absolute)
}

/// The targets of Obsidian wiki links and embeds (`[[target|text]]`,
/// `![[target]]`), with any `#anchor`.
pub fn wiki_targets(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = md;
    while let Some(i) = rest.find("[[") {
        rest = &rest[i + 2..];
        let Some(end) = rest.find("]]") else { break };
        let inner = &rest[..end];
        let target = inner.split('|').next().unwrap_or("");
        // In a table cell the alias bar is escaped (`[[a\|b]]`), as
        // Obsidian reads it there.
        let target = target.strip_suffix('\\').unwrap_or(target);
        out.push(target.to_owned());
        rest = &rest[end + 2..];
    }
    out
}
