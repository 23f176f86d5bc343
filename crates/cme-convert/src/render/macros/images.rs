//! Images, emoticons, diagram macros and attachment viewers.

use super::Params;
use super::links::attachment_ref;
use crate::context::AttachmentRef;
use crate::parse::{NodeId, Tree};
use crate::render::Renderer;
use crate::render::inline::push_text;
use crate::render::md::{Inline, html_escape};

/// Classic emoticon names → glyphs.
fn emoticon_glyph(name: &str) -> Option<&'static str> {
    Some(match name {
        "smile" => "🙂",
        "sad" => "🙁",
        "cheeky" => "😛",
        "laugh" => "😀",
        "wink" => "😉",
        "thumbs-up" => "👍",
        "thumbs-down" => "👎",
        "information" => "ℹ️",
        "tick" => "✅",
        "cross" => "❌",
        "warning" => "⚠️",
        "plus" => "➕",
        "minus" => "➖",
        "question" => "❓",
        "light-on" => "💡",
        "light-off" => "🔦",
        "yellow-star" => "⭐",
        "red-star" | "green-star" | "blue-star" => "⭐",
        "heart" => "❤️",
        "broken-heart" => "💔",
        _ => return None,
    })
}

/// Atlassian's own emoji (`ac:emoji-id="atlassian-check_mark"`, whose
/// fallback is only a `:check_mark:` shortcode) → the Unicode look-alike.
fn atlassian_glyph(name: &str) -> Option<&'static str> {
    Some(match name {
        "check_mark" => "✅",
        "cross_mark" => "❌",
        "warning" => "⚠️",
        "info" => "ℹ️",
        "question_mark" => "❓",
        "plus" => "➕",
        "minus" => "➖",
        "light_bulb_on" => "💡",
        "light_bulb_off" => "🔦",
        "yellow_star" | "red_star" | "green_star" | "blue_star" => "⭐",
        "thumbs_up" => "👍",
        "thumbs_down" => "👎",
        "smile" => "🙂",
        "sad" => "🙁",
        "tongue" => "😛",
        "biggrin" => "😀",
        "wink" => "😉",
        "heart" => "❤️",
        "broken_heart" => "💔",
        _ => return None,
    })
}

/// A Unicode emoji id (`1f642`, `32-20e3`, `1f468-200d-1f4bb`) → its
/// characters; `None` for custom (UUID) and malformed ids.
fn unicode_emoji(id: &str) -> Option<String> {
    id.split('-')
        .map(|part| {
            if !(2..=6).contains(&part.len()) {
                return None;
            }
            let c = char::from_u32(u32::from_str_radix(part, 16).ok()?)?;
            (!c.is_control()).then_some(c)
        })
        .collect()
}

/// Minimal URL escaping for `src` attributes of raw `<img>` tags.
fn url_attr(u: &str) -> String {
    html_escape(&u.replace(' ', "%20"))
}

impl Renderer<'_> {
    pub(crate) fn emoticon(&mut self, t: &Tree, c: NodeId, run: &mut Vec<Inline>) {
        let fallback = t.attr(c, "ac:emoji-fallback").filter(|f| !f.is_empty());
        let id = t.attr(c, "ac:emoji-id").unwrap_or("");
        let glyph = match fallback {
            Some(f) if !(f.starts_with(':') && f.ends_with(':') && f.len() > 1) => f.to_owned(),
            _ if let Some(g) = id.strip_prefix("atlassian-").and_then(atlassian_glyph) => {
                g.to_owned()
            }
            _ if let Some(g) = unicode_emoji(id) => g,
            _ => {
                let name = t.attr(c, "ac:name").unwrap_or("");
                let generic = fallback.is_some() || t.attr(c, "ac:emoji-shortname").is_some();
                match emoticon_glyph(name).filter(|_| !generic || name != "blue-star") {
                    Some(g) => g.to_owned(),
                    None => fallback
                        .or(t.attr(c, "ac:emoji-shortname"))
                        .unwrap_or(name)
                        .to_owned(),
                }
            }
        };
        crate::render::inline::push_raw_text(run, glyph);
    }

    pub(crate) fn ac_image(&mut self, t: &Tree, c: NodeId, run: &mut Vec<Inline>) {
        let (url, default_alt) = if let Some(a) = t.child(c, "ri:attachment")
            && let Some(att) = attachment_ref(t, a)
        {
            let name = att.filename.clone();
            (self.attachment_target(&att), name)
        } else if let Some(u) = t.child(c, "ri:url") {
            let src = t.attr(u, "ri:value").unwrap_or("").trim().to_owned();
            (self.image_src(src), String::new())
        } else {
            (String::new(), String::new())
        };
        let title = t.attr(c, "ac:title").unwrap_or("").to_owned();
        let alt = t
            .attr(c, "ac:alt")
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| {
                if title.is_empty() {
                    default_alt
                } else {
                    title.clone()
                }
            });
        let width = t
            .attr(c, "ac:width")
            .filter(|w| w.chars().all(|ch| ch.is_ascii_digit()) && !w.is_empty());
        if !url.is_empty() {
            match width {
                Some(w) => {
                    let mut h = format!(
                        "<img src=\"{}\" alt=\"{}\"",
                        url_attr(&url),
                        html_escape(&alt)
                    );
                    if !title.is_empty() {
                        h.push_str(&format!(" title=\"{}\"", html_escape(&title)));
                    }
                    h.push_str(&format!(" width=\"{w}\">"));
                    run.push(Inline::Html(h));
                }
                None => run.push(Inline::Image { url, title, alt }),
            }
        } else if t.child(c, "ri:url").is_some() {
            // Its URL was refused: the words stay.
            push_text(run, &alt);
        }
        if let Some(cap) = t.child(c, "ac:caption") {
            let mut blocks = Vec::new();
            self.block_children(t, cap, &mut blocks);
            let mut inl = Vec::new();
            crate::render::flatten(blocks, &mut inl);
            if !inl.is_empty() {
                run.push(Inline::LineBreak);
                run.push(Inline::Emph(inl));
            }
        }
    }

    /// HTML-image app macro: `src` is a URL or an attachment.
    pub(crate) fn img_macro(&mut self, t: &Tree, p: &Params) -> Vec<Inline> {
        let Some(src) = p.node("src") else {
            return Vec::new();
        };
        let url = if let Some(u) = t.find(src, "ri:url") {
            self.image_src(t.attr(u, "ri:value").unwrap_or("").trim().to_owned())
        } else if let Some(a) = t
            .find(src, "ri:attachment")
            .and_then(|a| attachment_ref(t, a))
        {
            self.attachment_target(&a)
        } else {
            self.image_src(p.text(t, "src").unwrap_or_default())
        };
        if url.is_empty() {
            return p
                .text(t, "alt")
                .filter(|a| !a.is_empty())
                .map(|a| vec![Inline::Text(a)])
                .unwrap_or_default();
        }
        vec![Inline::Image {
            url,
            title: p.text(t, "title").unwrap_or_default(),
            alt: p.text(t, "alt").unwrap_or_default(),
        }]
    }

    /// An image URL from the page: a Confluence attachment URL of an
    /// exported file becomes its path; anything host-less goes on the site.
    pub(crate) fn image_src(&mut self, src: String) -> String {
        if src.is_empty() || src.starts_with('#') {
            return src;
        }
        self.href_target(src).unwrap_or_default()
    }

    fn att_link(&mut self, att: &AttachmentRef, text: Option<String>) -> Inline {
        let url = self.attachment_target(att);
        Inline::Link {
            url,
            title: String::new(),
            children: vec![Inline::Text(text.unwrap_or_else(|| att.filename.clone()))],
        }
    }

    /// draw.io / Gliffy: the PNG export as an image, linked to the source.
    pub(crate) fn diagram(&mut self, t: &Tree, name: &str, p: &Params) -> Vec<Inline> {
        let key = if name == "gliffy" {
            "name"
        } else {
            "diagramname"
        };
        let Some(file) = p.text(t, key) else {
            return Vec::new();
        };
        let display = p
            .text(t, "diagramdisplayname")
            .or_else(|| p.text(t, "displayname"))
            .unwrap_or_else(|| file.clone());
        let source = file.strip_suffix(".png").unwrap_or(&file).to_owned();
        let png = AttachmentRef {
            filename: format!("{source}.png"),
            page: None,
        };
        let src = AttachmentRef {
            filename: source,
            page: None,
        };
        let img = Inline::Image {
            url: self.attachment_target(&png),
            title: String::new(),
            alt: display,
        };
        // Linked to the source only where it is exported: a link to the
        // site would need a Confluence login to open a file few can read.
        if self.ctx.attachment_path(&src).is_none() {
            return vec![img];
        }
        vec![Inline::Link {
            url: self.attachment_target(&src),
            title: String::new(),
            children: vec![img],
        }]
    }

    /// Diagrams whose source lives in an attachment: link to it.
    pub(crate) fn diagram_attachment(&mut self, t: &Tree, name: &str, p: &Params) -> Vec<Inline> {
        let Some(file) = p.text(t, "filename") else {
            return Vec::new();
        };
        let att = AttachmentRef {
            filename: file,
            page: None,
        };
        let label = if name == "mermaid-cloud" {
            "Mermaid diagram"
        } else {
            "PlantUML diagram"
        };
        let text = format!("{label}: {}", att.filename);
        vec![self.att_link(&att, Some(text))]
    }

    pub(crate) fn view_file(&mut self, t: &Tree, p: &Params) -> Vec<Inline> {
        let att = p
            .node("name")
            .or_else(|| p.node(""))
            .and_then(|n| t.find(n, "ri:attachment"))
            .and_then(|a| attachment_ref(t, a))
            .or_else(|| {
                p.text(t, "name").map(|f| AttachmentRef {
                    filename: f,
                    page: None,
                })
            });
        match att {
            Some(a) => vec![self.att_link(&a, None)],
            None => Vec::new(),
        }
    }
}
