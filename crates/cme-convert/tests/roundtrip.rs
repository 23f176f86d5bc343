//! Property: documents whose text is full of Markdown metacharacters keep
//! their text exactly and their structure (headings, lists, code blocks,
//! tables, links) when converted and read back by an independent parser.

mod common;

use cme_convert::{OfflineContext, Options};
use common::convert;
use proptest::prelude::*;
use pulldown_cmark::{CodeBlockKind, Event, Options as PdOptions, Parser, Tag, TagEnd};

#[derive(Debug, Clone)]
enum Seg {
    Text(String),
    Strong(String),
    Em(String),
    Code(String),
    Link(String, String),
}

#[derive(Debug, Clone)]
enum Blk {
    Heading(u8, String),
    Para(Vec<Seg>),
    List(Option<usize>, Vec<String>),
    Code(&'static str, String),
    Table(Vec<Vec<String>>),
}

/// Words built from letters and every character Markdown cares about.
fn word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9*_#`\\[\\]<>|!&~+.=:()\\\\-]{1,7}"
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 1..5).prop_map(|w| w.join(" "))
}

fn seg() -> impl Strategy<Value = Seg> {
    prop_oneof![
        3 => text().prop_map(Seg::Text),
        1 => text().prop_map(Seg::Strong),
        1 => text().prop_map(Seg::Em),
        1 => text().prop_map(Seg::Code),
        1 => (text(), "[a-z()]{1,8}").prop_map(|(t, u)| Seg::Link(t, format!("https://e.com/{u}"))),
    ]
}

fn blk() -> impl Strategy<Value = Blk> {
    prop_oneof![
        (1u8..=6, text()).prop_map(|(l, t)| Blk::Heading(l, t)),
        prop::collection::vec(seg(), 1..4).prop_map(Blk::Para),
        (
            prop::option::of(1usize..20),
            prop::collection::vec(text(), 1..4)
        )
            .prop_map(|(o, i)| Blk::List(o, i)),
        (
            prop::sample::select(vec!["", "rust", "python", "sql"]),
            "[ -~\n]{1,40}".prop_filter("visible", |s| !s.trim().is_empty())
        )
            .prop_map(|(l, c)| Blk::Code(l, c)),
        (1usize..4, 1usize..4)
            .prop_flat_map(|(r, c)| prop::collection::vec(prop::collection::vec(text(), c), r + 1))
            .prop_map(Blk::Table),
    ]
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn storage(doc: &[Blk]) -> String {
    let mut s = String::new();
    for b in doc {
        match b {
            Blk::Heading(l, t) => s.push_str(&format!("<h{l}>{}</h{l}>", esc(t))),
            Blk::Para(segs) => {
                s.push_str("<p>");
                for (i, g) in segs.iter().enumerate() {
                    if i > 0 {
                        s.push(' ');
                    }
                    match g {
                        Seg::Text(t) => s.push_str(&esc(t)),
                        Seg::Strong(t) => s.push_str(&format!("<strong>{}</strong>", esc(t))),
                        Seg::Em(t) => s.push_str(&format!("<em>{}</em>", esc(t))),
                        Seg::Code(t) => s.push_str(&format!("<code>{}</code>", esc(t))),
                        Seg::Link(t, u) => {
                            s.push_str(&format!("<a href=\"{}\">{}</a>", esc(u), esc(t)))
                        }
                    }
                }
                s.push_str("</p>");
            }
            Blk::List(o, items) => {
                let tag = if o.is_some() { "ol" } else { "ul" };
                match o {
                    Some(n) => s.push_str(&format!("<ol start=\"{n}\">")),
                    None => s.push_str("<ul>"),
                }
                for i in items {
                    s.push_str(&format!("<li><p>{}</p></li>", esc(i)));
                }
                s.push_str(&format!("</{tag}>"));
            }
            Blk::Code(l, c) => s.push_str(&format!(
                "<ac:structured-macro ac:name=\"code\"><ac:parameter ac:name=\"language\">{l}</ac:parameter><ac:plain-text-body><![CDATA[{}]]></ac:plain-text-body></ac:structured-macro>",
                c.replace("]]>", "]]]]><![CDATA[>")
            )),
            Blk::Table(rows) => {
                s.push_str("<table><tbody>");
                for r in rows {
                    s.push_str("<tr>");
                    for c in r {
                        s.push_str(&format!("<td>{}</td>", esc(c)));
                    }
                    s.push_str("</tr>");
                }
                s.push_str("</tbody></table>");
            }
        }
    }
    s
}

/// The structure a reader should see, as flat tokens.
fn expected(doc: &[Blk]) -> Vec<String> {
    let mut v = Vec::new();
    for b in doc {
        match b {
            Blk::Heading(l, t) => v.push(format!("H{l}:{t}")),
            Blk::Para(segs) => {
                let mut text = String::new();
                for (i, g) in segs.iter().enumerate() {
                    if i > 0 {
                        text.push(' ');
                    }
                    match g {
                        Seg::Text(t) | Seg::Strong(t) | Seg::Em(t) | Seg::Code(t) => {
                            text.push_str(t)
                        }
                        Seg::Link(t, u) => {
                            v.push(format!("LINK:{u}"));
                            text.push_str(t);
                        }
                    }
                }
                v.push(format!("P:{text}"));
            }
            Blk::List(o, items) => {
                v.push(format!("LIST:{o:?}"));
                for i in items {
                    v.push(format!("P:{i}"));
                }
            }
            Blk::Code(l, c) => {
                let mut c = c.clone();
                if !c.ends_with('\n') {
                    c.push('\n');
                }
                v.push(format!("CODE:{l}:{c}"));
            }
            Blk::Table(rows) => {
                v.push(format!("TABLE:{}", rows[0].len()));
                for r in rows {
                    for c in r {
                        v.push(format!("CELL:{c}"));
                    }
                }
            }
        }
    }
    v
}

fn observed(md: &str) -> Vec<String> {
    let opts = PdOptions::ENABLE_TABLES | PdOptions::ENABLE_STRIKETHROUGH;
    let mut v = Vec::new();
    let mut text = String::new();
    let mut in_code: Option<String> = None;
    for ev in Parser::new_ext(md, opts) {
        match ev {
            Event::Text(t) | Event::Code(t) => text.push_str(&t),
            Event::SoftBreak => text.push(' '),
            Event::Start(Tag::Link { dest_url, .. }) => v.push(format!("LINK:{dest_url}")),
            Event::Start(Tag::List(o)) => v.push(format!("LIST:{o:?}")),
            Event::Start(Tag::Table(a)) => v.push(format!("TABLE:{}", a.len())),
            Event::Start(Tag::CodeBlock(kind)) => {
                in_code = Some(match kind {
                    CodeBlockKind::Fenced(l) => l.to_string(),
                    CodeBlockKind::Indented => String::new(),
                });
                text.clear();
            }
            Event::Start(Tag::Paragraph | Tag::Heading { .. } | Tag::Item | Tag::TableCell) => {
                text.clear()
            }
            Event::End(TagEnd::Heading(l)) => {
                v.push(format!("H{}:{}", l as u8, std::mem::take(&mut text)))
            }
            Event::End(TagEnd::Paragraph | TagEnd::Item) if !text.is_empty() => {
                v.push(format!("P:{}", std::mem::take(&mut text)))
            }
            Event::End(TagEnd::TableCell) => v.push(format!("CELL:{}", std::mem::take(&mut text))),
            Event::End(TagEnd::CodeBlock) => {
                let l = in_code.take().unwrap_or_default();
                v.push(format!("CODE:{l}:{}", std::mem::take(&mut text)));
            }
            _ => {}
        }
    }
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn text_and_structure_survive(doc in prop::collection::vec(blk(), 1..6)) {
        let s = storage(&doc);
        let md = convert(&s, &OfflineContext::default(), &Options::default()).markdown;
        prop_assert_eq!(observed(&md), expected(&doc), "storage: {}\nmarkdown:\n{}", s, md);
    }
}
