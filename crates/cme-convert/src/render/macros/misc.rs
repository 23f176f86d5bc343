//! Small inline macros and the unknown-macro fallback.

use super::{Out, Params};
use crate::output::WarningKind;
use crate::parse::{NodeId, Tree};
use crate::render::Renderer;
use crate::render::md::{Block, Inline, html_escape};

/// Status lozenge → a code span, the closest thing to a badge in Markdown.
pub(crate) fn status(t: &Tree, p: &Params) -> Vec<Inline> {
    match p.text(t, "title").or_else(|| p.text(t, "colour")) {
        Some(s) => vec![Inline::Code(s)],
        None => Vec::new(),
    }
}

/// Anchor macro → an empty HTML anchor links can target.
pub(crate) fn anchor(t: &Tree, p: &Params) -> Vec<Inline> {
    match p.text(t, "") {
        Some(a) => vec![Inline::Html(format!("<a id=\"{}\"></a>", html_escape(&a)))],
        None => Vec::new(),
    }
}

/// Keeps only characters that cannot end an HTML comment.
fn comment_safe(s: &str) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | ' ' | '-'))
        .collect();
    while out.contains("--") {
        out = out.replace("--", "-");
    }
    out.trim_end_matches('-').to_owned()
}

impl Renderer<'_> {
    pub(crate) fn widget(&mut self, t: &Tree, p: &Params) -> Vec<Inline> {
        let url = p.node("url").and_then(|n| {
            t.find(n, "ri:url")
                .and_then(|u| t.attr(u, "ri:value").map(str::to_owned))
                .or_else(|| p.text(t, "url"))
        });
        match url {
            Some(u) => vec![Inline::Link {
                url: u.clone(),
                title: String::new(),
                children: vec![Inline::Text(u)],
            }],
            None => Vec::new(),
        }
    }

    pub(crate) fn unknown_macro(&mut self, t: &Tree, m: NodeId, name: &str) -> Out {
        self.warn(
            WarningKind::UnknownMacro,
            format!("macro {name}: body kept"),
        );
        let comment = Inline::Html(format!("<!-- macro: {} -->", comment_safe(name)));
        let mut blocks = Vec::new();
        self.rich_body(t, m, &mut blocks);
        if blocks.is_empty() {
            Out::Inline(vec![comment])
        } else {
            let mut out = vec![Block::Para(vec![comment])];
            out.extend(blocks);
            Out::Blocks(out)
        }
    }
}
