//! Small inline macros and the unknown-macro fallback.

use super::{Out, Params};
use crate::output::WarningKind;
use crate::parse::{NodeId, Tree};
use crate::render::Renderer;
use crate::render::md::{Block, Inline, html_escape};

/// Status lozenge → a code span, the closest thing to a badge in Markdown.
/// Status lozenge → its text in code, after a coloured circle that keeps
/// the lozenge's colour readable in plain text (`🟢 `DONE``).
pub(crate) fn status(t: &Tree, p: &Params) -> Vec<Inline> {
    let colour = p.text(t, "colour").or_else(|| p.text(t, "color"));
    let marker = match colour.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("green") => "🟢",
        Some("red") => "🔴",
        Some("yellow") => "🟡",
        Some("blue") => "🔵",
        Some("purple") => "🟣",
        _ => "⚪",
    };
    match p
        .text(t, "title")
        .filter(|s| !s.trim().is_empty())
        .or(colour)
    {
        Some(s) => vec![Inline::Text(format!("{marker} ")), Inline::Code(s)],
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

/// Appends the characters of `s` that cannot end an HTML comment (letters,
/// digits, `_.: -`, with no `--`).
fn push_comment_safe(out: &mut String, s: &str) {
    let start = out.len();
    for c in s.chars() {
        if c == '-' && out.len() > start && out.ends_with('-') {
            continue;
        }
        if c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | ' ' | '-') {
            out.push(c);
        }
    }
    while out.len() > start && out.ends_with('-') {
        out.pop();
    }
}

/// Parameters that hold credentials (an API macro's `token`, `password`):
/// never copied into the Markdown.
fn secret_name(name: &str) -> bool {
    const SECRET: [&str; 9] = [
        "pass",
        "pwd",
        "token",
        "secret",
        "apikey",
        "api-key",
        "api_key",
        "credential",
        "auth",
    ];
    let n = name.as_bytes();
    SECRET.iter().any(|s| {
        n.windows(s.len())
            .any(|w| w.eq_ignore_ascii_case(s.as_bytes()))
    })
}

/// Appends a parameter value for an HTML comment: one line, at most 200
/// characters, no `--` (which could end the comment) and no `"`.
fn push_comment_value(out: &mut String, s: &str) {
    let start = out.len();
    let mut chars = 0;
    let mut pending_space = false;
    for c in s.chars() {
        if c.is_whitespace() {
            pending_space = out.len() > start;
            continue;
        }
        if chars == 200 {
            out.push('…');
            break;
        }
        if pending_space {
            out.push(' ');
            chars += 1;
            pending_space = false;
        }
        match c {
            // A second `-` in a row could start `-->`.
            '-' if out.len() > start && out.ends_with('-') => continue,
            '"' => out.push('\''),
            c => out.push(c),
        }
        chars += 1;
    }
    while out.len() > start && out.ends_with('-') {
        out.pop();
    }
}

impl Renderer<'_> {
    pub(crate) fn widget(&mut self, t: &Tree, p: &Params) -> Vec<Inline> {
        let url = p.node("url").and_then(|n| {
            t.find(n, "ri:url")
                .and_then(|u| t.attr(u, "ri:value").map(str::to_owned))
                .or_else(|| p.text(t, "url"))
        });
        match url {
            Some(u) if self.refused(&u) => vec![Inline::Text(u)],
            Some(u) => vec![Inline::Link {
                url: u.clone(),
                title: String::new(),
                children: vec![Inline::Text(u)],
            }],
            None => Vec::new(),
        }
    }

    /// A macro we do not know: its body, after an HTML comment that names
    /// it with its parameters (a title or a setting is content too).
    pub(crate) fn unknown_macro(&mut self, t: &Tree, m: NodeId, name: &str, p: &Params) -> Out {
        self.warn(
            WarningKind::UnknownMacro,
            format!("macro {name}: body kept"),
        );
        let mut comment = String::from("<!-- macro: ");
        push_comment_safe(&mut comment, name);
        for (key, node) in p.iter().filter(|(k, _)| !secret_name(k)).take(20) {
            let before = comment.len();
            comment.push(' ');
            let key_at = comment.len();
            push_comment_safe(&mut comment, key);
            if comment.len() == key_at {
                comment.push_str("default");
            }
            comment.push_str("=\"");
            let value_at = comment.len();
            push_comment_value(&mut comment, &t.text_content(node));
            if comment.len() == value_at {
                comment.truncate(before);
            } else {
                comment.push('"');
            }
        }
        comment.push_str(" -->");
        let comment = Inline::Html(comment);
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
