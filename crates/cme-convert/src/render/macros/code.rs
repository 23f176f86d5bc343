//! Code-like macros: code, noformat, diagrams-as-text, math.

use super::Params;
use crate::lang::fence_language;
use crate::output::WarningKind;
use crate::parse::{NodeId, Tree};
use crate::render::Renderer;
use crate::render::md::{Block, Inline};

/// The PlantUML source kept in a `plantumlcloud` macro's `data` parameter:
/// base64 of the percent-encoded source, raw-deflated unless `compressed`
/// is false. `None` when it does not decode (or would inflate past 4 MiB).
fn plantuml_cloud_source(data: &str, compressed: bool) -> Option<String> {
    use base64::Engine as _;
    let data: String = data.split_whitespace().collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&data)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(&data))
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(&data))
        .ok()?;
    let encoded = if compressed {
        miniz_oxide::inflate::decompress_to_vec_with_limit(&raw, 4 << 20).ok()?
    } else {
        raw
    };
    let text = std::str::from_utf8(&encoded).ok()?;
    let source = percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .ok()?;
    (!source.trim().is_empty()).then(|| source.into_owned())
}

impl Renderer<'_> {
    /// `plantumlcloud`: the decoded source as a `plantuml` code block, then
    /// the link to the rendered attachment; just the link when the data
    /// does not decode.
    pub(crate) fn plantuml_cloud(&mut self, t: &Tree, name: &str, p: &Params) -> Vec<Block> {
        let mut out = Vec::new();
        if let Some(data) = p.text(t, "data") {
            let compressed = p
                .text(t, "compressed")
                .is_none_or(|c| !c.eq_ignore_ascii_case("false"));
            match plantuml_cloud_source(&data, compressed) {
                Some(literal) => out.push(Block::Code {
                    info: "plantuml".into(),
                    literal,
                }),
                None => self.warn(
                    WarningKind::Degraded,
                    "plantumlcloud data did not decode; linked the attachment only",
                ),
            }
        }
        let link = self.diagram_attachment(t, name, p);
        if !link.is_empty() {
            out.push(Block::Para(link));
        }
        out
    }

    pub(crate) fn code_macro(&mut self, t: &Tree, m: NodeId, name: &str, p: &Params) -> Vec<Block> {
        let literal = match t.child(m, "ac:plain-text-body") {
            Some(b) => t.text_content(b),
            // Some editors store code in a rich body.
            None => t
                .child(m, "ac:rich-text-body")
                .map(|b| t.text_content(b))
                .unwrap_or_default(),
        };
        let info = match name {
            "code" => p
                .text(t, "language")
                .or_else(|| p.text(t, "lang"))
                .map(|l| fence_language(&l))
                .unwrap_or_default(),
            "plantuml" => "plantuml".into(),
            "mermaid" | "mermaid-macro" => "mermaid".into(),
            "mathblock" | "latex" => "math".into(),
            "sql" | "sql-query" => "sql".into(),
            _ => String::new(),
        };
        let code = Block::Code { info, literal };
        let title = p.text(t, "title");
        if p.flag(t, "collapse") {
            // Collapsed in Confluence: collapsed here too.
            return self.details(title.as_deref().unwrap_or("Code"), vec![code]);
        }
        let mut out = Vec::new();
        if let Some(title) = title {
            out.push(Block::Para(vec![Inline::Strong(vec![Inline::Text(title)])]));
        }
        out.push(code);
        out
    }

    pub(crate) fn math_inline(&mut self, t: &Tree, m: NodeId, p: &Params) -> Vec<Inline> {
        let body = t
            .child(m, "ac:plain-text-body")
            .map(|b| t.text_content(b))
            .or_else(|| p.text(t, "body"))
            .unwrap_or_default();
        let body = crate::render::inline::collapse(&body);
        if body.is_empty() {
            Vec::new()
        } else {
            vec![Inline::Code(body)]
        }
    }
}
