//! Storage → view HTML (stub).
use crate::api::Ctx;
use crate::model::Node;

pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

pub fn render(_ctx: &Ctx, _node: &Node, storage: &str, _format: &str) -> String {
    storage.to_string()
}
