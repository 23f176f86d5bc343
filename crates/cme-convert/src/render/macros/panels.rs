//! Panels (→ GitHub alerts by meaning) and expand (→ `<details>`).

use super::Params;
use crate::parse::{NodeId, Tree};
use crate::render::Renderer;
use crate::render::md::{AlertKind, Block, Inline};

/// Confluence's classic panel names do not mean what they say (see the
/// catalogue): the editor's "error" is `warning`, "warning" is `note`,
/// "success" is `tip`. Map by what the reader sees.
pub(crate) fn alert_kind(macro_name: &str) -> Option<AlertKind> {
    match macro_name {
        "info" => Some(AlertKind::Note),
        "tip" => Some(AlertKind::Tip),
        "note" => Some(AlertKind::Warning),
        "warning" => Some(AlertKind::Caution),
        _ => None,
    }
}

/// The alert a macro is when it is a classic panel.
pub(crate) fn panel_kind(t: &Tree, m: NodeId) -> Option<AlertKind> {
    alert_kind(&t.attr(m, "ac:name")?.to_ascii_lowercase())
}

/// The `alert` macro of content-formatting apps: its `type` names the
/// look (Success, Info, Warning, Error).
fn app_alert_kind(kind: &str) -> AlertKind {
    match kind.to_ascii_lowercase().as_str() {
        "success" | "tip" => AlertKind::Tip,
        "warning" | "note" => AlertKind::Warning,
        "error" | "danger" => AlertKind::Caution,
        _ => AlertKind::Note,
    }
}

impl Renderer<'_> {
    /// An app's `alert` macro (title, type, rich body) → a GitHub alert.
    pub(crate) fn app_alert(&mut self, t: &Tree, m: NodeId, p: &Params) -> Vec<Block> {
        let mut body = Vec::new();
        self.rich_body(t, m, &mut body);
        let kind = app_alert_kind(&p.text(t, "type").unwrap_or_default());
        vec![self.alert(kind, p.text(t, "title"), body)]
    }

    pub(crate) fn panel(&mut self, t: &Tree, m: NodeId, name: &str, p: &Params) -> Vec<Block> {
        let mut body = Vec::new();
        self.rich_body(t, m, &mut body);
        let title = p.text(t, "title");
        match alert_kind(name) {
            Some(kind) => vec![self.alert(kind, title, body)],
            None => {
                // Custom panel: a quote led by its icon and title.
                let icon = p
                    .text(t, "panelicontext")
                    .or_else(|| p.text(t, "panelicon"));
                let mut head = Vec::new();
                if let Some(i) = icon {
                    head.push(Inline::Text(i));
                }
                if let Some(ti) = title {
                    if !head.is_empty() {
                        head.push(Inline::Text(" ".into()));
                    }
                    head.push(Inline::Strong(vec![Inline::Text(ti)]));
                }
                if !head.is_empty() {
                    body.insert(0, Block::Para(head));
                }
                if body.is_empty() {
                    Vec::new()
                } else {
                    vec![Block::Quote(body)]
                }
            }
        }
    }

    pub(crate) fn expand(&mut self, t: &Tree, m: NodeId, p: &Params) -> Vec<Block> {
        let mut body = Vec::new();
        self.rich_body(t, m, &mut body);
        let title = p.text(t, "title").unwrap_or_default();
        self.details(&title, body)
    }

    /// A classic panel ([`Renderer::panel`] for info, tip, note and
    /// warning) written out as it renders, straight after the blocks
    /// before it in `out` (all written now): a big body is then not held.
    /// Only where nothing waits for the rest of the page (no toc).
    pub(crate) fn panel_into(
        &mut self,
        t: &Tree,
        m: NodeId,
        kind: AlertKind,
        out: &mut Vec<Block>,
    ) {
        let title = Params::of(t, m).text(t, "title");
        let (head, first) = self.alert_start(kind, title);
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        stream.write(out, out.len());
        out.clear();
        stream.enter_quote(head);
        let mut body: Vec<Block> = first.into_iter().collect();
        let outer = std::mem::replace(&mut self.top, &body);
        self.rich_body(t, m, &mut body);
        self.top = outer;
        if let Some(stream) = self.stream.as_mut() {
            stream.write(&body, body.len());
            stream.leave_quote();
        }
    }

    /// [`Renderer::expand`] appending to `out` as it renders (the same
    /// blocks): a big body is then written out piece by piece.
    pub(crate) fn expand_into(&mut self, t: &Tree, m: NodeId, out: &mut Vec<Block>) {
        let title = Params::of(t, m).text(t, "title").unwrap_or_default();
        let mut parts = self.details(&title, Vec::new());
        let close = parts.pop();
        out.extend(parts);
        self.rich_body(t, m, out);
        out.extend(close);
    }
}
