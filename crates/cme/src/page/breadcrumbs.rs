//! The breadcrumbs line (the Python tool's `export.page_breadcrumbs`): links
//! to a page's exported ancestors, top first, written under the front
//! matter. Each link is recorded as a question about that page, so a sync
//! rewrites the line when an ancestor moves or is renamed.
use super::context::url_path;
use crate::deps::{Dep, RefKey};
use crate::place::layout::{Layout, Placed};
use cme_convert::LinkStyle;

/// The line with a blank line after it, and the questions it asked; `None`
/// for a page with no exported ancestor.
pub fn line(layout: &Layout, page: &Placed, style: LinkStyle) -> Option<(String, Vec<String>)> {
    let ancestors = layout.ancestors(page);
    if ancestors.is_empty() {
        return None;
    }
    let mut links = Vec::with_capacity(ancestors.len());
    let mut deps = Vec::with_capacity(ancestors.len());
    for a in ancestors {
        let target = layout.link(&page.path, &a.path);
        links.push(match style {
            LinkStyle::Wiki => {
                let t = target.strip_suffix(".md").unwrap_or(&target);
                format!("[[{t}|{}]]", wiki_text(&a.meta.title))
            }
            _ => format!("[{}]({})", link_text(&a.meta.title), url_path(&target)),
        });
        deps.push(Dep::Link(RefKey::Id(a.meta.id.clone())).encode());
    }
    Some((format!("{}\n\n", links.join(" > ")), deps))
}

/// A title as Markdown link text: what could end the link or start markup
/// is escaped, line breaks become spaces.
fn link_text(title: &str) -> String {
    let mut out = String::with_capacity(title.len());
    for c in title.chars() {
        match c {
            '\\' | '[' | ']' | '*' | '_' | '`' | '<' | '>' | '&' | '!' | '#' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A title as a wiki link's text: `|` and brackets would end it.
fn wiki_text(title: &str) -> String {
    title
        .chars()
        .map(|c| match c {
            '|' | '[' | ']' => '-',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_cannot_break_out_of_the_link() {
        assert_eq!(link_text("a]](x) *b*\n"), "a\\]\\](x) \\*b\\* ");
        assert_eq!(wiki_text("a|b]]"), "a-b--");
    }
}
