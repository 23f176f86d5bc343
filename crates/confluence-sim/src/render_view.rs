//! Storage → `body.view` / `body.export_view` HTML: common macros rendered
//! roughly the way Confluence renders them, unknown macros as their body.

use std::fmt::Write as _;

use crate::api::Ctx;
use crate::http::{enc_path, slug};
use crate::model::{Node as Page, NodeKind, Status};
use crate::storage::{self, Element, Node, decode_entities, escape_text, text_of};

pub fn escape(s: &str) -> String {
    escape_text(s)
}

struct R<'a, 'c> {
    ctx: &'a Ctx<'c>,
    page: &'a Page,
    /// Absolute URLs (export views).
    absolute: bool,
    out: String,
    expanders: usize,
    /// Include/excerpt-include nesting guard.
    depth: usize,
    headings: Vec<(u8, String, String)>,
}

/// Confluence's anchor id for a heading: `PageTitle-HeadingText`, no spaces.
fn anchor(title: &str, text: &str) -> String {
    let strip = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    format!("{}-{}", strip(title), strip(text))
}

fn collect_headings(nodes: &[Node], title: &str, out: &mut Vec<(u8, String, String)>) {
    for n in nodes {
        if let Node::Element(e) = n {
            let b = e.name.as_bytes();
            if b.len() == 2 && b[0] == b'h' && (b'1'..=b'6').contains(&b[1]) {
                let text = decode_entities(&text_of(&e.children));
                out.push((b[1] - b'0', anchor(title, &text), text));
            } else {
                collect_headings(&e.children, title, out);
            }
        }
    }
}

/// Renders a storage body as view HTML (`format`: view, export_view, …).
pub fn render(ctx: &Ctx, page: &Page, storage_src: &str, format: &str) -> String {
    let tree = storage::parse(storage_src);
    let mut headings = Vec::new();
    collect_headings(&tree, page.title(), &mut headings);
    let mut r = R {
        ctx,
        page,
        absolute: format != "view",
        out: String::with_capacity(storage_src.len() + 256),
        expanders: 0,
        depth: 0,
        headings,
    };
    r.nodes(&tree);
    r.out
}

fn macro_color(c: &str) -> &'static str {
    match c.to_ascii_lowercase().as_str() {
        "green" => "success",
        "red" => "error",
        "yellow" => "current",
        "blue" => "complete",
        "purple" => "progress",
        _ => "",
    }
}

impl R<'_, '_> {
    /// A site URL, HTML-escaped for use in an attribute.
    fn url(&self, path: &str) -> String {
        let prefix = if self.absolute {
            self.ctx.base.as_str()
        } else {
            self.ctx.context
        };
        escape_text(&format!("{prefix}{path}"))
    }

    fn nodes(&mut self, nodes: &[Node]) {
        for n in nodes {
            match n {
                Node::Text(t) => self.out.push_str(t),
                Node::CData(c) => self.out.push_str(&escape_text(c)),
                Node::Element(e) => self.element(e),
            }
        }
    }

    fn attrs(&mut self, e: &Element) {
        for (k, v) in &e.attrs {
            if k.contains(':') || k == "local-id" {
                continue;
            }
            let _ = write!(self.out, " {k}=\"{v}\"");
        }
    }

    fn element(&mut self, e: &Element) {
        let name = e.name.as_str();
        if ["ac:", "ri:", "at:"].iter().any(|p| name.starts_with(p)) {
            return self.confluence(e);
        }
        if name == "time" {
            let d = e.attr("datetime").unwrap_or("");
            let _ = write!(
                self.out,
                "<time datetime=\"{d}\" class=\"date-past\">{d}</time>"
            );
            return;
        }
        let b = name.as_bytes();
        let heading = b.len() == 2 && b[0] == b'h' && (b'1'..=b'6').contains(&b[1]);
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(e);
        if heading {
            let text = decode_entities(&text_of(&e.children));
            let _ = write!(
                self.out,
                " id=\"{}\"",
                escape_text(&anchor(self.page.title(), &text))
            );
        }
        if ["br", "hr", "img", "col"].contains(&name) {
            self.out.push_str(" />");
            return;
        }
        self.out.push('>');
        self.nodes(&e.children);
        let _ = write!(self.out, "</{name}>");
    }

    fn rich_body(&mut self, e: &Element) {
        if let Some(b) = e.child("ac:rich-text-body") {
            self.nodes(&b.children);
        } else if let Some(t) = e.plain_body() {
            self.out.push_str(&escape_text(&t));
        }
    }

    fn page_link(&self, space_key: Option<&str>, title: &str) -> (String, Option<u64>) {
        let space = match space_key {
            Some(k) => self.ctx.site.space_by_key(k),
            None => self.ctx.site.spaces.get(&self.page.space_id),
        };
        let target = space
            .and_then(|s| self.ctx.site.by_title(s.id, title))
            .and_then(|id| self.ctx.site.node(id))
            .filter(|n| {
                n.status != Status::Trashed && self.ctx.site.can_read(n, &self.ctx.account)
            });
        match target {
            Some(n) => (
                self.url(&crate::api::v1::webui(self.ctx, n, n.title())),
                Some(n.id),
            ),
            None => {
                let key = space.map(|s| s.key.to_string()).unwrap_or_default();
                (
                    self.url(&format!(
                        "/pages/createpage.action?spaceKey={key}&title={}",
                        slug(title)
                    )),
                    None,
                )
            }
        }
    }

    fn attachment_url(&self, ri: &Element) -> String {
        let file = decode_entities(ri.attr("ri:filename").unwrap_or(""));
        let page_id = match ri.child("ri:page") {
            Some(p) => {
                let title = decode_entities(p.attr("ri:content-title").unwrap_or(""));
                self.page_link(p.attr("ri:space-key"), &title)
                    .1
                    .unwrap_or(self.page.id)
            }
            None => self.page.id,
        };
        self.url(&format!(
            "/download/attachments/{page_id}/{}?api=v2",
            enc_path(&file)
        ))
    }

    fn link(&mut self, e: &Element) {
        let body_html = {
            let mut sub = String::new();
            std::mem::swap(&mut sub, &mut self.out);
            if let Some(b) = e.child("ac:link-body") {
                self.nodes(&b.children);
            } else if let Some(b) = e.child("ac:plain-text-link-body") {
                self.out.push_str(&escape_text(&text_of_plain(b)));
            }
            std::mem::swap(&mut sub, &mut self.out);
            sub
        };
        let anchor_name = e.attr("ac:anchor").map(decode_entities);
        if let Some(p) = e.child("ri:page") {
            let title = decode_entities(p.attr("ri:content-title").unwrap_or(""));
            let (mut href, id) = self.page_link(p.attr("ri:space-key"), &title);
            if let Some(a) = &anchor_name {
                href.push('#');
                href.push_str(&anchor(&title, a));
            }
            let text = if body_html.is_empty() {
                escape_text(&title)
            } else {
                body_html
            };
            match id {
                Some(id) => {
                    let _ = write!(
                        self.out,
                        "<a href=\"{href}\" data-linked-resource-id=\"{id}\" data-linked-resource-type=\"page\">{text}</a>"
                    );
                }
                None => {
                    let _ = write!(
                        self.out,
                        "<a class=\"createlink\" href=\"{href}\">{text}</a>"
                    );
                }
            }
        } else if let Some(a) = e.child("ri:attachment") {
            let file = decode_entities(a.attr("ri:filename").unwrap_or(""));
            let href = self.attachment_url(a);
            let text = if body_html.is_empty() {
                escape_text(&file)
            } else {
                body_html
            };
            let _ = write!(
                self.out,
                "<a href=\"{href}\" data-linked-resource-type=\"attachment\">{text}</a>"
            );
        } else if let Some(u) = e.child("ri:user") {
            let account = u
                .attr("ri:account-id")
                .or(u.attr("ri:userkey"))
                .unwrap_or("");
            let name = self
                .ctx
                .site
                .user(account)
                .map(|u| u.display_name.to_string())
                .unwrap_or_else(|| "Unknown user".into());
            let text = if body_html.is_empty() {
                escape_text(&format!("@{name}"))
            } else {
                body_html
            };
            let _ = write!(
                self.out,
                "<a class=\"confluence-userlink user-mention\" data-account-id=\"{account}\" href=\"{}\">{text}</a>",
                self.url(&format!("/people/{account}"))
            );
        } else if let Some(s) = e.child("ri:space") {
            let key = s.attr("ri:space-key").unwrap_or("");
            let text = if body_html.is_empty() {
                escape_text(key)
            } else {
                body_html
            };
            let _ = write!(
                self.out,
                "<a href=\"{}\">{text}</a>",
                self.url(&format!("/spaces/{key}"))
            );
        } else if let Some(u) = e.child("ri:url") {
            let v = u.attr("ri:value").unwrap_or("");
            let text = if body_html.is_empty() {
                v.to_string()
            } else {
                body_html
            };
            let _ = write!(self.out, "<a href=\"{v}\">{text}</a>");
        } else if let Some(b) = e.child("ri:blog-post") {
            let title = decode_entities(b.attr("ri:content-title").unwrap_or(""));
            let key = b.attr("ri:space-key").unwrap_or("");
            let day = b.attr("ri:posting-day").unwrap_or("");
            let href = self.url(&format!("/display/{key}/{day}/{}", slug(&title)));
            let text = if body_html.is_empty() {
                escape_text(&title)
            } else {
                body_html
            };
            let _ = write!(
                self.out,
                "<a href=\"{href}\" data-linked-resource-type=\"blogpost\">{text}</a>"
            );
        } else if let Some(sc) = e.child("ri:shortcut") {
            let key = sc.attr("ri:key").unwrap_or("");
            let param = decode_entities(sc.attr("ri:parameter").unwrap_or(""));
            let text = if body_html.is_empty() {
                escape_text(&format!("{param}@{key}"))
            } else {
                body_html
            };
            let _ = write!(
                self.out,
                "<a href=\"https://{}.example.com/{}\">{text}</a>",
                escape_text(key),
                escape_text(&enc_path(&param))
            );
        } else if let Some(c) = e.child("ri:content-entity") {
            let id = c.attr("ri:content-id").unwrap_or("");
            let _ = write!(
                self.out,
                "<a href=\"{}\">{}</a>",
                self.url(&format!("/pages/viewpage.action?pageId={id}")),
                if body_html.is_empty() {
                    id.to_string()
                } else {
                    body_html
                }
            );
        } else if let Some(a) = anchor_name {
            let text = if body_html.is_empty() {
                escape_text(&a)
            } else {
                body_html
            };
            let _ = write!(
                self.out,
                "<a href=\"#{}\">{text}</a>",
                escape_text(&anchor(self.page.title(), &a))
            );
        } else {
            self.out.push_str(&body_html);
        }
    }

    fn image(&mut self, e: &Element) {
        let src = if let Some(a) = e.child("ri:attachment") {
            self.attachment_url(a)
        } else if let Some(u) = e.child("ri:url") {
            u.attr("ri:value").unwrap_or("").to_string()
        } else {
            String::new()
        };
        let mut extra = String::new();
        for (k, name) in [
            ("ac:width", "width"),
            ("ac:height", "height"),
            ("ac:alt", "alt"),
            ("ac:title", "title"),
        ] {
            if let Some(v) = e.attr(k) {
                let _ = write!(extra, " {name}=\"{v}\"");
            }
        }
        let _ = write!(
            self.out,
            "<span class=\"confluence-embedded-file-wrapper\"><img class=\"confluence-embedded-image\" src=\"{src}\" data-image-src=\"{src}\"{extra} /></span>"
        );
        if let Some(c) = e.child("ac:caption") {
            self.out.push_str("<figcaption>");
            self.nodes(&c.children);
            self.out.push_str("</figcaption>");
        }
    }

    fn confluence(&mut self, e: &Element) {
        match e.name.as_str() {
            "ac:structured-macro" | "ac:macro" => self.macro_(e),
            "ac:link" => self.link(e),
            "ac:image" => self.image(e),
            "ac:emoticon" => {
                let name = e.attr("ac:name").unwrap_or("");
                let glyph = e
                    .attr("ac:emoji-fallback")
                    .map(decode_entities)
                    .or_else(|| e.attr("ac:emoji-shortname").map(str::to_string))
                    .unwrap_or_else(|| format!("({name})"));
                let _ = write!(
                    self.out,
                    "<img class=\"emoticon emoticon-{name}\" data-emoji-fallback=\"{}\" alt=\"{}\" src=\"{}\" />",
                    escape_text(&glyph),
                    escape_text(&glyph),
                    self.url(&format!("/images/icons/emoticons/{name}.svg"))
                );
            }
            "ac:task-list" => {
                let _ = write!(
                    self.out,
                    "<ul class=\"inline-task-list\" data-inline-tasks-content-id=\"{}\">",
                    self.page.id
                );
                for t in e.elements().filter(|t| t.name == "ac:task") {
                    let done = t.child("ac:task-status").map(|s| text_of(&s.children))
                        == Some("complete".into());
                    let id = t
                        .child("ac:task-id")
                        .map(|s| text_of(&s.children))
                        .unwrap_or_default();
                    let _ = write!(
                        self.out,
                        "<li data-inline-task-id=\"{id}\"{}>",
                        if done { " class=\"checked\"" } else { "" }
                    );
                    if let Some(b) = t.child("ac:task-body") {
                        self.nodes(&b.children);
                    }
                    self.out.push_str("</li>");
                }
                self.out.push_str("</ul>");
            }
            "ac:inline-comment-marker" => {
                let _ = write!(
                    self.out,
                    "<span class=\"inline-comment-marker\" data-ref=\"{}\">",
                    e.attr("ac:ref").unwrap_or("")
                );
                self.nodes(&e.children);
                self.out.push_str("</span>");
            }
            "ac:layout" => {
                self.out.push_str("<div class=\"contentLayout2\">");
                self.nodes(&e.children);
                self.out.push_str("</div>");
            }
            "ac:layout-section" => {
                let t = e.attr("ac:type").unwrap_or("single").replace('_', "-");
                let _ = write!(
                    self.out,
                    "<div class=\"columnLayout {t}\" data-layout=\"{t}\">"
                );
                self.nodes(&e.children);
                self.out.push_str("</div>");
            }
            "ac:layout-cell" => {
                self.out.push_str(
                    "<div class=\"cell normal\" data-type=\"normal\"><div class=\"innerCell\">",
                );
                self.nodes(&e.children);
                self.out.push_str("</div></div>");
            }
            "ac:adf-extension" => {
                if let Some(f) = e.child("ac:adf-fallback") {
                    self.nodes(&f.children);
                } else if let Some(n) = e.child("ac:adf-node") {
                    self.adf_node(n);
                }
            }
            "ac:adf-node" => self.adf_node(e),
            "ac:placeholder" | "ac:parameter" | "ac:adf-mark" | "ac:task-id" | "ac:task-uuid" => {}
            "ac:rich-text-body" | "ac:link-body" | "ac:adf-content" | "ac:adf-fragment-mark" => {
                self.nodes(&e.children)
            }
            _ => {
                if e.name.starts_with("ac:") {
                    self.nodes(&e.children);
                }
            }
        }
    }

    fn adf_node(&mut self, n: &Element) {
        let ty = n.attr("type").unwrap_or("");
        let attr = |k: &str| {
            n.elements()
                .find(|a| a.name == "ac:adf-attribute" && a.attr("key") == Some(k))
                .map(|a| decode_entities(&text_of(&a.children)))
        };
        if ty == "panel" {
            let kind = attr("panel-type").unwrap_or_else(|| "info".into());
            let _ = write!(
                self.out,
                "<div class=\"panel conf-macro output-block\" data-panel-type=\"{kind}\"><div class=\"panelContent\">"
            );
            if let Some(c) = n.child("ac:adf-content") {
                self.nodes(&c.children);
            }
            self.out.push_str("</div></div>");
        } else {
            let _ = write!(self.out, "<div data-adf-type=\"{ty}\">");
            for c in n.elements() {
                match c.name.as_str() {
                    "ac:adf-content" => self.nodes(&c.children),
                    "ac:adf-node" => self.adf_node(c),
                    _ => {}
                }
            }
            self.out.push_str("</div>");
        }
    }

    fn macro_(&mut self, e: &Element) {
        let name = e.attr("ac:name").unwrap_or("").to_string();
        let p = |k: &str| e.param(k).unwrap_or_default();
        match name.as_str() {
            "code" | "noformat" => {
                let body = escape_text(&e.plain_body().unwrap_or_default());
                if name == "code" {
                    let lang = p("language");
                    let title = p("title");
                    let _ = write!(
                        self.out,
                        "<div class=\"code panel pdl conf-macro output-block\" data-macro-name=\"code\">"
                    );
                    if !title.is_empty() {
                        let _ = write!(
                            self.out,
                            "<div class=\"codeHeader panelHeader pdl\"><b>{}</b></div>",
                            escape_text(&title)
                        );
                    }
                    let _ = write!(
                        self.out,
                        "<div class=\"codeContent panelContent pdl\"><pre class=\"syntaxhighlighter-pre\" data-syntaxhighlighter-params=\"brush: {}; gutter: false; theme: Confluence\" data-theme=\"Confluence\">{body}</pre></div></div>",
                        if lang.is_empty() {
                            "java".into()
                        } else {
                            escape_text(&lang)
                        }
                    );
                } else {
                    let _ = write!(
                        self.out,
                        "<div class=\"preformatted panel conf-macro output-block\" data-macro-name=\"noformat\"><div class=\"preformattedContent panelContent\"><pre>{body}</pre></div></div>"
                    );
                }
            }
            "info" | "note" | "warning" | "tip" => {
                let icon = match name.as_str() {
                    "info" => "info",
                    "note" => "warning",
                    "warning" => "error",
                    _ => "approve",
                };
                let _ = write!(
                    self.out,
                    "<div class=\"confluence-information-macro confluence-information-macro-{name} conf-macro output-block\" data-macro-name=\"{name}\"><span class=\"aui-icon aui-icon-small aui-iconfont-{icon} confluence-information-macro-icon\"></span>"
                );
                let title = p("title");
                if !title.is_empty() {
                    let _ = write!(self.out, "<p class=\"title\">{}</p>", escape_text(&title));
                }
                self.out
                    .push_str("<div class=\"confluence-information-macro-body\">");
                self.rich_body(e);
                self.out.push_str("</div></div>");
            }
            "panel" => {
                let bg = p("bgColor");
                let style = if bg.is_empty() {
                    String::new()
                } else {
                    format!(" style=\"background-color: {bg};\"")
                };
                let _ = write!(
                    self.out,
                    "<div class=\"panel conf-macro output-block\" data-macro-name=\"panel\"{style}>"
                );
                let title = p("title");
                if !title.is_empty() {
                    let _ = write!(
                        self.out,
                        "<div class=\"panelHeader\"><b>{}</b></div>",
                        escape_text(&title)
                    );
                }
                self.out.push_str("<div class=\"panelContent\">");
                let icon = p("panelIconText");
                if !icon.is_empty() {
                    let _ = write!(
                        self.out,
                        "<span class=\"panel-icon\">{}</span>",
                        escape_text(&icon)
                    );
                }
                self.rich_body(e);
                self.out.push_str("</div></div>");
            }
            "expand" => {
                self.expanders += 1;
                let n = self.expanders;
                let title = p("title");
                let title = if title.is_empty() {
                    "Click here to expand...".to_string()
                } else {
                    title
                };
                let _ = write!(
                    self.out,
                    "<div id=\"expander-{n}\" class=\"expand-container conf-macro output-block\" data-macro-name=\"expand\"><div id=\"expander-control-{n}\" class=\"expand-control\"><span class=\"expand-icon aui-icon aui-icon-small aui-iconfont-chevron-right\"></span><span class=\"expand-control-text\">{}</span></div><div id=\"expander-content-{n}\" class=\"expand-content\">",
                    escape_text(&title)
                );
                self.rich_body(e);
                self.out.push_str("</div></div>");
            }
            "status" => {
                let color = macro_color(&p("colour"));
                let class = if color.is_empty() {
                    String::new()
                } else {
                    format!(" aui-lozenge-{color}")
                };
                let subtle = if p("subtle") == "true" {
                    " aui-lozenge-subtle"
                } else {
                    ""
                };
                let _ = write!(
                    self.out,
                    "<span class=\"status-macro aui-lozenge{class}{subtle} conf-macro output-inline\" data-macro-name=\"status\">{}</span>",
                    escape_text(&p("title").to_uppercase())
                );
            }
            "toc" => {
                let min: u8 = p("minLevel").parse().unwrap_or(1);
                let max: u8 = p("maxLevel").parse().unwrap_or(6);
                self.out.push_str("<div class=\"toc-macro client-side-toc-macro conf-macro output-block\" data-macro-name=\"toc\"><ul>");
                for (lvl, id, text) in self.headings.clone() {
                    if (min..=max).contains(&lvl) {
                        let _ = write!(
                            self.out,
                            "<li class=\"toc-level-{lvl}\"><a href=\"#{}\">{}</a></li>",
                            escape_text(&id),
                            escape_text(&text)
                        );
                    }
                }
                self.out.push_str("</ul></div>");
            }
            "children" => {
                self.out.push_str("<ul class=\"childpages-macro conf-macro output-block\" data-macro-name=\"children\">");
                let kids: Vec<_> = self
                    .page
                    .children
                    .iter()
                    .filter_map(|c| self.ctx.site.node(*c))
                    .filter(|c| {
                        c.kind == NodeKind::Page
                            && c.status == Status::Current
                            && self.ctx.site.can_read(c, &self.ctx.account)
                    })
                    .collect();
                for c in kids {
                    let href = self.url(&crate::api::v1::webui(self.ctx, c, c.title()));
                    let _ = write!(
                        self.out,
                        "<li><a href=\"{href}\">{}</a></li>",
                        escape_text(c.title())
                    );
                }
                self.out.push_str("</ul>");
            }
            "anchor" => {
                let a = p("");
                let _ = write!(
                    self.out,
                    "<span class=\"confluence-anchor-link conf-macro output-inline\" id=\"{}\" data-macro-name=\"anchor\"></span>",
                    escape_text(&anchor(self.page.title(), &a))
                );
            }
            "jira" | "jiraissues" => {
                let key = p("key");
                if !key.is_empty() {
                    let _ = write!(
                        self.out,
                        "<span class=\"confluence-jim-macro jira-issue conf-macro output-block\" data-jira-key=\"{0}\" data-macro-name=\"jira\"><a href=\"https://jira.example.com/browse/{0}\" class=\"jira-issue-key\">{0}</a></span>",
                        escape_text(&key)
                    );
                } else {
                    let _ = write!(
                        self.out,
                        "<div class=\"jira-table conf-macro output-block\" data-macro-name=\"jira\" data-jql=\"{0}\"><p>Jira issues: {0}</p></div>",
                        escape_text(&p("jqlQuery"))
                    );
                }
            }
            "excerpt" => {
                if p("hidden") != "true" {
                    self.out.push_str(
                        "<div class=\"conf-macro output-block\" data-macro-name=\"excerpt\">",
                    );
                    self.rich_body(e);
                    self.out.push_str("</div>");
                }
            }
            "include" | "excerpt-include" => self.include(e, &name),
            "details" => {
                self.out.push_str("<div class=\"plugin-tabmeta-details conf-macro output-block\" data-macro-name=\"details\">");
                self.rich_body(e);
                self.out.push_str("</div>");
            }
            "detailssummary" => {
                let _ = write!(
                    self.out,
                    "<div class=\"metadata-summary-macro conf-macro output-block\" data-macro-name=\"detailssummary\" data-cql=\"{}\"><table><tbody><tr><th>Title</th></tr></tbody></table></div>",
                    escape_text(&p("cql"))
                );
            }
            "drawio" | "gliffy" | "inc-drawio" | "drawio-sketch" => {
                let file = if name == "gliffy" {
                    p("name")
                } else {
                    p("diagramName")
                };
                let png = if file.ends_with(".png") {
                    file.clone()
                } else {
                    format!("{file}.png")
                };
                let src = self.url(&format!(
                    "/download/attachments/{}/{}?api=v2",
                    self.page.id,
                    enc_path(&png)
                ));
                let _ = write!(
                    self.out,
                    "<div class=\"conf-macro output-block\" data-macro-name=\"{name}\"><img class=\"{name}-diagram-image\" src=\"{src}\" alt=\"{}\" /></div>",
                    escape_text(&file)
                );
            }
            "plantuml" | "mermaid" | "mermaid-macro" => {
                let body = escape_text(&e.plain_body().unwrap_or_default());
                let _ = write!(
                    self.out,
                    "<div class=\"conf-macro output-block\" data-macro-name=\"{name}\"><pre>{body}</pre></div>"
                );
            }
            "plantumlcloud" | "mermaid-cloud" => {
                let _ = write!(
                    self.out,
                    "<div class=\"conf-macro output-block\" data-macro-name=\"{name}\"><span>{}</span></div>",
                    escape_text(&p("filename"))
                );
            }
            "view-file" | "viewpdf" | "viewdoc" | "viewxls" | "viewppt" | "multimedia" => {
                if let Some(a) = e.param_el("name").and_then(|pe| pe.child("ri:attachment")) {
                    let file = decode_entities(a.attr("ri:filename").unwrap_or(""));
                    let href = self.attachment_url(a);
                    let _ = write!(
                        self.out,
                        "<span class=\"confluence-embedded-file-wrapper conf-macro output-block\" data-macro-name=\"{name}\"><a class=\"confluence-embedded-file\" href=\"{href}\">{}</a></span>",
                        escape_text(&file)
                    );
                }
            }
            "attachments" => {
                self.out.push_str("<div class=\"plugin_attachments_container conf-macro output-block\" data-macro-name=\"attachments\"><table class=\"attachments aui\"><tbody>");
                let atts: Vec<_> = self
                    .page
                    .attachments
                    .iter()
                    .filter_map(|a| self.ctx.site.attachments.get(a))
                    .filter(|a| a.status == Status::Current)
                    .collect();
                for a in atts {
                    let href = self.url(&format!(
                        "/download/attachments/{}/{}?api=v2",
                        self.page.id,
                        enc_path(&a.filename)
                    ));
                    let _ = write!(
                        self.out,
                        "<tr><td><a href=\"{href}\">{}</a></td></tr>",
                        escape_text(&a.filename)
                    );
                }
                self.out.push_str("</tbody></table></div>");
            }
            "widget" => {
                let url = e
                    .param_el("url")
                    .and_then(|pe| {
                        pe.child("ri:url")
                            .and_then(|u| u.attr("ri:value"))
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| p("url"));
                let _ = write!(
                    self.out,
                    "<span class=\"conf-macro output-block\" data-macro-name=\"widget\"><a href=\"{url}\">{url}</a></span>"
                );
            }
            "section" => {
                self.out.push_str("<div class=\"section section-1 conf-macro output-block\" data-macro-name=\"section\">");
                self.rich_body(e);
                self.out.push_str("</div>");
            }
            "column" => {
                let w = p("width");
                let _ = write!(
                    self.out,
                    "<div class=\"columnMacro conf-macro output-block\" data-macro-name=\"column\"{}>",
                    if w.is_empty() {
                        String::new()
                    } else {
                        format!(" style=\"width:{w};\"")
                    }
                );
                self.rich_body(e);
                self.out.push_str("</div>");
            }
            _ => {
                // Unknown (app) macro: its body, as Confluence shows when the app is absent.
                self.rich_body(e);
            }
        }
    }

    fn include(&mut self, e: &Element, name: &str) {
        let Some(link) = e.param_el("").and_then(|p| p.child("ac:link")) else {
            return;
        };
        let Some(ri) = link.child("ri:page") else {
            return;
        };
        let title = decode_entities(ri.attr("ri:content-title").unwrap_or(""));
        let (_, id) = self.page_link(ri.attr("ri:space-key"), &title);
        let Some(target) = id.and_then(|i| self.ctx.site.node(i)) else {
            let _ = write!(
                self.out,
                "<div class=\"error\">Unable to render {{{name}}}: page {} could not be found.</div>",
                escape_text(&title)
            );
            return;
        };
        if self.depth >= 3 || target.id == self.page.id {
            return;
        }
        let src = self
            .ctx
            .site
            .body_text(target, target.latest())
            .into_owned();
        let tree = storage::parse(&src);
        self.depth += 1;
        let _ = write!(
            self.out,
            "<div class=\"conf-macro output-block\" data-macro-name=\"{name}\">"
        );
        if name == "excerpt-include" {
            if let Some(ex) = find_macro(&tree, "excerpt") {
                self.rich_body(ex);
            }
        } else {
            self.nodes(&tree);
        }
        self.out.push_str("</div>");
        self.depth -= 1;
    }
}

fn text_of_plain(e: &Element) -> String {
    e.children
        .iter()
        .map(|c| match c {
            Node::CData(s) => s.clone(),
            Node::Text(t) => decode_entities(t),
            Node::Element(_) => String::new(),
        })
        .collect()
}

fn find_macro<'a>(nodes: &'a [Node], name: &str) -> Option<&'a Element> {
    for n in nodes {
        if let Node::Element(e) = n {
            if e.name == "ac:structured-macro" && e.attr("ac:name") == Some(name) {
                return Some(e);
            }
            if let Some(f) = find_macro(&e.children, name) {
                return Some(f);
            }
        }
    }
    None
}
