//! Storage → Atlassian Document Format (`atlas_doc_format`), covering the
//! common nodes; anything else degrades to paragraphs of its text.

use serde_json::{Value, json};

use crate::render::storage::{self, Element, Node, decode_entities};

/// The ADF document for a storage body, as a JSON string (as the API serves it).
pub fn to_adf(storage_src: &str) -> String {
    let tree = storage::parse(storage_src);
    let content = blocks(&tree);
    json!({"type": "doc", "version": 1, "content": content}).to_string()
}

fn text_node(t: &str, marks: &[Value]) -> Option<Value> {
    if t.is_empty() {
        return None;
    }
    let mut v = json!({"type": "text", "text": t});
    if !marks.is_empty() {
        v["marks"] = json!(marks);
    }
    Some(v)
}

fn inlines(nodes: &[Node], marks: &mut Vec<Value>, out: &mut Vec<Value>) {
    for n in nodes {
        match n {
            Node::Text(t) => out.extend(text_node(&decode_entities(t), marks)),
            Node::CData(c) => out.extend(text_node(c, marks)),
            Node::Element(e) => inline_el(e, marks, out),
        }
    }
}

fn inline_el(e: &Element, marks: &mut Vec<Value>, out: &mut Vec<Value>) {
    let mark = match e.name.as_str() {
        "strong" | "b" => Some(json!({"type": "strong"})),
        "em" | "i" => Some(json!({"type": "em"})),
        "code" | "tt" => Some(json!({"type": "code"})),
        "u" => Some(json!({"type": "underline"})),
        "s" | "del" => Some(json!({"type": "strike"})),
        "sub" => Some(json!({"type": "subsup", "attrs": {"type": "sub"}})),
        "sup" => Some(json!({"type": "subsup", "attrs": {"type": "sup"}})),
        "a" => Some(
            json!({"type": "link", "attrs": {"href": decode_entities(e.attr("href").unwrap_or(""))}}),
        ),
        _ => None,
    };
    if let Some(m) = mark {
        marks.push(m);
        inlines(&e.children, marks, out);
        marks.pop();
        return;
    }
    match e.name.as_str() {
        "br" => out.push(json!({"type": "hardBreak"})),
        "time" => out.push(
            json!({"type": "date", "attrs": {"timestamp": e.attr("datetime").unwrap_or("")}}),
        ),
        "ac:emoticon" => {
            let short = e
                .attr("ac:emoji-shortname")
                .map(str::to_string)
                .unwrap_or_else(|| format!(":{}:", e.attr("ac:name").unwrap_or("")));
            let mut attrs = json!({"shortName": short});
            if let Some(id) = e.attr("ac:emoji-id") {
                attrs["id"] = json!(id);
            }
            if let Some(f) = e.attr("ac:emoji-fallback") {
                attrs["text"] = json!(decode_entities(f));
            }
            out.push(json!({"type": "emoji", "attrs": attrs}));
        }
        "ac:link" => {
            if let Some(u) = e.child("ri:user") {
                let id = u
                    .attr("ri:account-id")
                    .or(u.attr("ri:userkey"))
                    .unwrap_or("");
                out.push(json!({"type": "mention", "attrs": {"id": id}}));
                return;
            }
            let label = e
                .child("ac:plain-text-link-body")
                .map(|b| storage::text_of(&b.children))
                .or_else(|| {
                    e.child("ac:link-body")
                        .map(|b| storage::text_of(&b.children))
                })
                .or_else(|| {
                    e.child("ri:page")
                        .and_then(|p| p.attr("ri:content-title"))
                        .map(str::to_string)
                })
                .or_else(|| {
                    e.child("ri:attachment")
                        .and_then(|p| p.attr("ri:filename"))
                        .map(str::to_string)
                })
                .unwrap_or_default();
            let label = decode_entities(&label);
            marks.push(json!({"type": "link", "attrs": {"href": "#"}}));
            out.extend(text_node(&label, marks));
            marks.pop();
        }
        "ac:structured-macro" if e.attr("ac:name") == Some("status") => {
            let title = e.param("title").unwrap_or_default();
            let color = e
                .param("colour")
                .unwrap_or_else(|| "neutral".into())
                .to_lowercase();
            out.push(json!({"type": "status", "attrs": {"text": title, "color": color}}));
        }
        "ac:placeholder" | "ac:parameter" => {}
        _ => inlines(&e.children, marks, out),
    }
}

fn paragraph(nodes: &[Node]) -> Value {
    let mut c = Vec::new();
    inlines(nodes, &mut Vec::new(), &mut c);
    if c.is_empty() {
        json!({"type": "paragraph"})
    } else {
        json!({"type": "paragraph", "content": c})
    }
}

fn is_block(e: &Element) -> bool {
    matches!(
        e.name.as_str(),
        "p" | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "ul"
            | "ol"
            | "table"
            | "pre"
            | "blockquote"
            | "hr"
            | "div"
            | "ac:task-list"
            | "ac:layout"
            | "ac:adf-extension"
    ) || (e.name == "ac:structured-macro" && e.attr("ac:name") != Some("status"))
}

/// Converts a node list to block content, wrapping stray inlines in paragraphs.
fn blocks(nodes: &[Node]) -> Vec<Value> {
    let mut out = Vec::new();
    let mut pending: Vec<Node> = Vec::new();
    let flush = |pending: &mut Vec<Node>, out: &mut Vec<Value>| {
        let only_space = pending
            .iter()
            .all(|n| matches!(n, Node::Text(t) if t.trim().is_empty()));
        if !only_space {
            out.push(paragraph(pending));
        }
        pending.clear();
    };
    for n in nodes {
        match n {
            Node::Element(e) if is_block(e) => {
                flush(&mut pending, &mut out);
                out.extend(block(e));
            }
            other => pending.push(other.clone()),
        }
    }
    flush(&mut pending, &mut out);
    out
}

fn list_items(e: &Element) -> Vec<Value> {
    e.elements()
        .filter(|li| li.name == "li")
        .map(|li| {
            let mut c = blocks(&li.children);
            if c.is_empty() {
                c.push(json!({"type": "paragraph"}));
            }
            json!({"type": "listItem", "content": c})
        })
        .collect()
}

fn block(e: &Element) -> Vec<Value> {
    let n = e.name.as_str();
    match n {
        "p" => vec![paragraph(&e.children)],
        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
            let mut c = Vec::new();
            inlines(&e.children, &mut Vec::new(), &mut c);
            vec![
                json!({"type": "heading", "attrs": {"level": n[1..].parse::<u8>().unwrap_or(1)}, "content": c}),
            ]
        }
        "ul" => vec![json!({"type": "bulletList", "content": list_items(e)})],
        "ol" => vec![
            json!({"type": "orderedList", "attrs": {"order": e.attr("start").and_then(|s| s.parse::<u32>().ok()).unwrap_or(1)}, "content": list_items(e)}),
        ],
        "hr" => vec![json!({"type": "rule"})],
        "blockquote" => vec![json!({"type": "blockquote", "content": blocks(&e.children)})],
        "pre" => vec![
            json!({"type": "codeBlock", "content": [{"type": "text", "text": decode_entities(&storage::text_of(&e.children))}]}),
        ],
        "table" => {
            let mut rows = Vec::new();
            fn collect_rows<'a>(e: &'a Element, rows: &mut Vec<&'a Element>) {
                for c in e.elements() {
                    if c.name == "tr" {
                        rows.push(c);
                    } else if matches!(c.name.as_str(), "tbody" | "thead" | "tfoot") {
                        collect_rows(c, rows);
                    }
                }
            }
            collect_rows(e, &mut rows);
            let rows: Vec<Value> = rows
                .iter()
                .map(|tr| {
                    let cells: Vec<Value> = tr
                        .elements()
                        .filter(|c| c.name == "td" || c.name == "th")
                        .map(|c| {
                            let mut content = blocks(&c.children);
                            if content.is_empty() {
                                content.push(json!({"type": "paragraph"}));
                            }
                            let mut attrs = json!({});
                            for k in ["colspan", "rowspan"] {
                                if let Some(v) = c.attr(k).and_then(|v| v.parse::<u32>().ok()) {
                                    attrs[k] = json!(v);
                                }
                            }
                            json!({"type": if c.name == "th" { "tableHeader" } else { "tableCell" }, "attrs": attrs, "content": content})
                        })
                        .collect();
                    json!({"type": "tableRow", "content": cells})
                })
                .collect();
            vec![json!({"type": "table", "content": rows})]
        }
        "ac:task-list" => {
            let items: Vec<Value> = e
                .elements()
                .filter(|t| t.name == "ac:task")
                .map(|t| {
                    let done = t.child("ac:task-status").map(|s| storage::text_of(&s.children)) == Some("complete".into());
                    let mut c = Vec::new();
                    if let Some(b) = t.child("ac:task-body") {
                        inlines(&b.children, &mut Vec::new(), &mut c);
                    }
                    json!({"type": "taskItem", "attrs": {"state": if done { "DONE" } else { "TODO" }}, "content": c})
                })
                .collect();
            vec![json!({"type": "taskList", "content": items})]
        }
        "ac:structured-macro" => {
            let name = e.attr("ac:name").unwrap_or("");
            let body = || {
                e.child("ac:rich-text-body")
                    .map(|b| blocks(&b.children))
                    .unwrap_or_default()
            };
            match name {
                "code" | "noformat" => {
                    let text = e.plain_body().unwrap_or_default();
                    let mut v = json!({"type": "codeBlock", "content": if text.is_empty() { json!([]) } else { json!([{"type": "text", "text": text}]) }});
                    if let Some(l) = e.param("language") {
                        v["attrs"] = json!({"language": l});
                    }
                    vec![v]
                }
                "info" | "note" | "warning" | "tip" | "panel" => {
                    let t = match name {
                        "note" => "warning",
                        "warning" => "error",
                        "tip" => "success",
                        "panel" => "custom",
                        _ => "info",
                    };
                    vec![json!({"type": "panel", "attrs": {"panelType": t}, "content": body()})]
                }
                "expand" => vec![
                    json!({"type": "expand", "attrs": {"title": e.param("title").unwrap_or_default()}, "content": body()}),
                ],
                _ => {
                    let mut params = serde_json::Map::new();
                    for p in e.elements().filter(|p| p.name == "ac:parameter") {
                        params.insert(
                            p.attr("ac:name").unwrap_or("").to_string(),
                            json!(decode_entities(&storage::text_of(&p.children))),
                        );
                    }
                    let mut v = vec![
                        json!({"type": "extension", "attrs": {"extensionType": "com.atlassian.confluence.macro.core", "extensionKey": name, "parameters": {"macroParams": params}}}),
                    ];
                    v.extend(body());
                    v
                }
            }
        }
        "ac:adf-extension" => {
            let node = e.child("ac:adf-node");
            match node.and_then(|n| n.child("ac:adf-content")) {
                Some(c) => {
                    let kind = node
                        .and_then(|n| {
                            n.elements().find(|a| {
                                a.name == "ac:adf-attribute" && a.attr("key") == Some("panel-type")
                            })
                        })
                        .map(|a| storage::text_of(&a.children))
                        .unwrap_or_else(|| "note".into());
                    vec![
                        json!({"type": "panel", "attrs": {"panelType": kind}, "content": blocks(&c.children)}),
                    ]
                }
                None => e
                    .child("ac:adf-fallback")
                    .map(|f| blocks(&f.children))
                    .unwrap_or_default(),
            }
        }
        "ac:layout" => {
            let mut out = Vec::new();
            for s in e.elements() {
                for c in s.elements() {
                    out.extend(blocks(&c.children));
                }
            }
            out
        }
        _ => blocks(&e.children),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_common_blocks() {
        let adf: Value = serde_json::from_str(&to_adf(
            "<h2>Title</h2><p>Hello <strong>world</strong></p><ul><li><p>one</p></li></ul><ac:structured-macro ac:name=\"code\"><ac:parameter ac:name=\"language\">sql</ac:parameter><ac:plain-text-body><![CDATA[SELECT 1;]]></ac:plain-text-body></ac:structured-macro>",
        ))
        .unwrap();
        let types: Vec<&str> = adf["content"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["type"].as_str().unwrap())
            .collect();
        assert_eq!(types, ["heading", "paragraph", "bulletList", "codeBlock"]);
        assert_eq!(adf["content"][3]["attrs"]["language"], "sql");
    }
}
