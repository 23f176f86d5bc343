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
    /// Macros rendered so far: seeds ids for macros stored without `ac:macro-id`.
    macros: u64,
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
        macros: 0,
    };
    r.nodes(&tree);
    r.out
}

/// Renders already-parsed storage nodes of `page` (a page-properties value).
pub(crate) fn render_nodes(ctx: &Ctx, page: &Page, nodes: &[Node], absolute: bool) -> String {
    let mut r = R {
        ctx,
        page,
        absolute,
        out: String::new(),
        expanders: 0,
        depth: 1,
        headings: Vec::new(),
        macros: 0,
    };
    r.nodes(nodes);
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
        self.attachment_ref(ri).0
    }

    /// An attachment reference's download URL and the `data-linked-resource-*`
    /// attributes real links and images carry (id, version, type, file name,
    /// media type, and the page it is attached to).
    fn attachment_ref(&self, ri: &Element) -> (String, String) {
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
        let url = self.url(&format!(
            "/download/attachments/{page_id}/{}?api=v2",
            enc_path(&file)
        ));
        let site = self.ctx.site;
        let att = site.node(page_id).and_then(|n| {
            n.attachments
                .iter()
                .filter_map(|a| site.attachments.get(a))
                .find(|a| a.status == Status::Current && *a.filename == *file)
        });
        let mut attrs = String::new();
        if let Some(a) = att {
            let _ = write!(
                attrs,
                " data-linked-resource-id=\"{}\" data-linked-resource-version=\"{}\"",
                a.id,
                a.latest().number
            );
        }
        let _ = write!(
            attrs,
            " data-linked-resource-type=\"attachment\" data-linked-resource-default-alias=\"{}\"",
            escape_text(&file)
        );
        if let Some(a) = att {
            let _ = write!(
                attrs,
                " data-linked-resource-content-type=\"{}\"",
                escape_text(&a.media_type)
            );
        }
        let _ = write!(attrs, " data-linked-resource-container-id=\"{page_id}\"");
        if let Some(container) = site.node(page_id) {
            let _ = write!(
                attrs,
                " data-linked-resource-container-version=\"{}\"",
                container.version_number()
            );
        }
        if let (Some(a), true) = (att, self.ctx.cloud()) {
            let _ = write!(
                attrs,
                " data-media-id=\"{}\" data-media-type=\"file\"",
                escape_text(&a.latest().file_id)
            );
        }
        (url, attrs)
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
                    let version = self.ctx.site.node(id).map_or(1, |n| n.version_number());
                    let _ = write!(
                        self.out,
                        "<a href=\"{href}\" data-linked-resource-id=\"{id}\" data-linked-resource-version=\"{version}\" data-linked-resource-type=\"page\">{text}</a>"
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
            let (href, data) = self.attachment_ref(a);
            let text = if body_html.is_empty() {
                escape_text(&file)
            } else {
                body_html
            };
            let _ = write!(self.out, "<a href=\"{href}\"{data}>{text}</a>");
        } else if let Some(u) = e.child("ri:user") {
            let site = self.ctx.site;
            let user = match (
                u.attr("ri:account-id"),
                u.attr("ri:userkey"),
                u.attr("ri:username"),
            ) {
                (Some(a), _, _) => site.user(a),
                (_, Some(k), _) => site.user_by_key(k).or_else(|| site.user(k)),
                (_, _, Some(n)) => site.users.iter().find(|x| &*x.username == n),
                _ => None,
            };
            let name = user
                .map(|u| u.display_name.to_string())
                .unwrap_or_else(|| "Unknown user".into());
            if self.ctx.cloud() {
                let account = user
                    .map(|u| u.account_id.to_string())
                    .or_else(|| u.attr("ri:account-id").map(str::to_string))
                    .unwrap_or_default();
                let text = if body_html.is_empty() {
                    escape_text(&format!("@{name}"))
                } else {
                    body_html
                };
                let _ = write!(
                    self.out,
                    "<a class=\"confluence-userlink user-mention\" data-account-id=\"{}\" href=\"{}\">{text}</a>",
                    escape_text(&account),
                    self.url(&format!("/people/{account}"))
                );
            } else {
                // Data Center: by username, to the user's profile page.
                let username = user.map(|u| u.username.to_string()).unwrap_or_default();
                let key = user
                    .map(|u| crate::model::dc_user_key(&u.account_id))
                    .unwrap_or_default();
                let text = if body_html.is_empty() {
                    escape_text(&name)
                } else {
                    body_html
                };
                let _ = write!(
                    self.out,
                    "<a class=\"confluence-userlink user-mention\" data-username=\"{}\" href=\"{}\" data-linked-resource-id=\"{key}\" data-linked-resource-type=\"userinfo\">{text}</a>",
                    escape_text(&username),
                    self.url(&format!("/display/~{}", enc_path(&username)))
                );
            }
        } else if let Some(s) = e.child("ri:space") {
            let key = s.attr("ri:space-key").unwrap_or("");
            let text = if body_html.is_empty() {
                escape_text(key)
            } else {
                body_html
            };
            let path = if self.ctx.cloud() {
                format!("/spaces/{key}")
            } else {
                format!("/display/{key}")
            };
            let _ = write!(self.out, "<a href=\"{}\">{text}</a>", self.url(&path));
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
            let day = b.attr("ri:posting-day");
            let space = match b.attr("ri:space-key") {
                Some(k) => self.ctx.site.space_by_key(k),
                None => self.ctx.site.spaces.get(&self.page.space_id),
            };
            let post = space
                .and_then(|s| self.ctx.site.blog_post(s.id, &title, day))
                .filter(|n| {
                    n.status != Status::Trashed && self.ctx.site.can_read(n, &self.ctx.account)
                });
            let text = if body_html.is_empty() {
                escape_text(&title)
            } else {
                body_html
            };
            match post {
                Some(n) => {
                    let href = self.url(&crate::api::v1::webui(self.ctx, n, n.title()));
                    let _ = write!(
                        self.out,
                        "<a href=\"{href}\" data-linked-resource-id=\"{}\" data-linked-resource-version=\"{}\" data-linked-resource-type=\"blogpost\">{text}</a>",
                        n.id,
                        n.version_number()
                    );
                }
                None => {
                    let key = space.map(|s| s.key.to_string()).unwrap_or_default();
                    let href = self.url(&format!(
                        "/pages/createblogpost.action?spaceKey={key}&title={}",
                        slug(&title)
                    ));
                    let _ = write!(
                        self.out,
                        "<a class=\"createlink\" href=\"{href}\">{text}</a>"
                    );
                }
            }
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
        let (src, mut extra) = if let Some(a) = e.child("ri:attachment") {
            self.attachment_ref(a)
        } else if let Some(u) = e.child("ri:url") {
            (u.attr("ri:value").unwrap_or("").to_string(), String::new())
        } else {
            (String::new(), String::new())
        };
        if e.child("ri:attachment").is_some() {
            let _ = write!(
                extra,
                " data-unresolved-comment-count=\"0\" data-base-url=\"{}\"",
                escape_text(&self.ctx.base)
            );
            for (k, name) in [
                ("ac:original-height", "data-height"),
                ("ac:original-width", "data-width"),
            ] {
                if let Some(v) = e.attr(k) {
                    let _ = write!(extra, " {name}=\"{v}\"");
                }
            }
        }
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
            "<span class=\"confluence-embedded-file-wrapper\"><img class=\"confluence-embedded-image\" loading=\"lazy\" src=\"{src}\" data-image-src=\"{src}\"{extra} /></span>"
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
                // Real pages: class, `data-emoticon-name` and alt `(name)`,
                // plus the emoji attributes when the storage has them.
                let name = escape_text(&decode_entities(e.attr("ac:name").unwrap_or("")));
                let _ = write!(
                    self.out,
                    "<img class=\"emoticon emoticon-{name}\" data-emoticon-name=\"{name}\""
                );
                for (k, attr) in [
                    ("ac:emoji-id", "data-emoji-id"),
                    ("ac:emoji-shortname", "data-emoji-shortname"),
                    ("ac:emoji-fallback", "data-emoji-fallback"),
                ] {
                    if let Some(v) = e.attr(k) {
                        let _ = write!(self.out, " {attr}=\"{v}\"");
                    }
                }
                let _ = write!(
                    self.out,
                    " src=\"{}\" alt=\"({name})\" border=\"0\" />",
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
                // Panels render as panels (as real views do); other ADF-only
                // nodes as their fallback.
                let node = e.child("ac:adf-node");
                if let Some(n) = node.filter(|n| n.attr("type") == Some("panel")) {
                    self.adf_node(n);
                } else if let Some(f) = e.child("ac:adf-fallback") {
                    self.nodes(&f.children);
                } else if let Some(n) = node {
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
            // Editor panels have no macro id: real views carry an empty one,
            // and the panel type only as its colours.
            let (bg, border) = match attr("panel-type").as_deref().unwrap_or("info") {
                "note" => ("#EAE6FF", "#998DD9"),
                "success" => ("#E3FCEF", "#57D9A3"),
                "warning" => ("#FFFAE6", "#FFC400"),
                "error" => ("#FFEBE6", "#FF8F73"),
                _ => ("#DEEBFF", "#4C9AFF"),
            };
            let _ = write!(
                self.out,
                "<div class=\"panel conf-macro output-block\" data-hasbody=\"true\" data-macro-id=\"\" data-macro-name=\"panel\" style=\"background-color: {bg};border-color: {border};border-width: 1px;\"><div class=\"panelContent\" style=\"background-color: {bg};\">"
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

    /// The attributes every rendered macro wrapper carries, as on real pages:
    /// `data-hasbody`, `data-macro-name` and `data-macro-id` (the storage
    /// macro's `ac:macro-id`, or a stable made-up one when it has none).
    fn macro_attrs(&mut self, e: &Element, name: &str) -> String {
        self.macros += 1;
        let id = e
            .attr("ac:macro-id")
            .map(str::to_string)
            .unwrap_or_else(|| {
                crate::model::uuid_from(self.page.id.wrapping_mul(0x1_0000_01b3) ^ self.macros)
            });
        let body =
            e.child("ac:rich-text-body").is_some() || e.child("ac:plain-text-body").is_some();
        format!(
            "data-hasbody=\"{body}\" data-macro-name=\"{}\" data-macro-id=\"{}\"",
            escape_text(name),
            escape_text(&decode_entities(&id))
        )
    }

    fn macro_(&mut self, e: &Element) {
        let name = e.attr("ac:name").unwrap_or("").to_string();
        let ma = self.macro_attrs(e, &name);
        let p = |k: &str| e.param(k).unwrap_or_default();
        match name.as_str() {
            "code" | "noformat" => {
                let body = escape_text(&e.plain_body().unwrap_or_default());
                if name == "code" {
                    let lang = p("language");
                    let title = p("title");
                    let _ = write!(
                        self.out,
                        "<div class=\"code panel pdl conf-macro output-block\" {ma}>"
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
                        "<div class=\"preformatted panel conf-macro output-block\" {ma}><div class=\"preformattedContent panelContent\"><pre>{body}</pre></div></div>"
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
                    "<div class=\"confluence-information-macro confluence-information-macro-{name} conf-macro output-block\" {ma}><span class=\"aui-icon aui-icon-small aui-iconfont-{icon} confluence-information-macro-icon\"></span>"
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
                    "<div class=\"panel conf-macro output-block\" {ma}{style}>"
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
                    "<div id=\"expander-{n}\" class=\"expand-container conf-macro output-block\" {ma}><div id=\"expander-control-{n}\" class=\"expand-control\"><span class=\"expand-icon aui-icon aui-icon-small aui-iconfont-chevron-right\"></span><span class=\"expand-control-text\">{}</span></div><div id=\"expander-content-{n}\" class=\"expand-content\">",
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
                    "<span class=\"status-macro aui-lozenge{class}{subtle} conf-macro output-inline\" {ma}>{}</span>",
                    escape_text(&p("title").to_uppercase())
                );
            }
            "toc" => self.toc(e, &ma),
            "children" => self.children(e, &ma),
            "anchor" => {
                let a = p("");
                let _ = write!(
                    self.out,
                    "<span class=\"confluence-anchor-link conf-macro output-inline\" id=\"{}\" {ma}></span>",
                    escape_text(&anchor(self.page.title(), &a))
                );
            }
            "jira" | "jiraissues" => {
                let key = p("key");
                if !key.is_empty() {
                    let _ = write!(
                        self.out,
                        "<span class=\"confluence-jim-macro jira-issue conf-macro output-block\" data-jira-key=\"{0}\" {ma}><a href=\"https://jira.example.com/browse/{0}\" class=\"jira-issue-key\">{0}</a></span>",
                        escape_text(&key)
                    );
                } else {
                    let _ = write!(
                        self.out,
                        "<div class=\"jira-table conf-macro output-block\" {ma} data-jql=\"{0}\"><p>Jira issues: {0}</p></div>",
                        escape_text(&p("jqlQuery"))
                    );
                }
            }
            "excerpt" => {
                if p("hidden") != "true" {
                    let _ = write!(self.out, "<div class=\"conf-macro output-block\" {ma}>");
                    self.rich_body(e);
                    self.out.push_str("</div>");
                }
            }
            "include" | "excerpt-include" => self.include(e, &name),
            "details" => {
                let _ = write!(
                    self.out,
                    "<div class=\"plugin-tabmeta-details conf-macro output-block\" {ma}>"
                );
                self.rich_body(e);
                self.out.push_str("</div>");
            }
            "detailssummary" => self.details_summary(e, &ma),
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
                    "<div class=\"conf-macro output-block\" {ma}><img class=\"{name}-diagram-image\" src=\"{src}\" alt=\"{}\" /></div>",
                    escape_text(&file)
                );
            }
            "plantuml" | "mermaid" | "mermaid-macro" => {
                let body = escape_text(&e.plain_body().unwrap_or_default());
                let _ = write!(
                    self.out,
                    "<div class=\"conf-macro output-block\" {ma}><pre>{body}</pre></div>"
                );
            }
            "plantumlcloud" | "mermaid-cloud" => {
                let _ = write!(
                    self.out,
                    "<div class=\"conf-macro output-block\" {ma}><span>{}</span></div>",
                    escape_text(&p("filename"))
                );
            }
            "view-file" | "viewpdf" | "viewdoc" | "viewxls" | "viewppt" | "multimedia" => {
                if let Some(a) = e.param_el("name").and_then(|pe| pe.child("ri:attachment")) {
                    let file = decode_entities(a.attr("ri:filename").unwrap_or(""));
                    let href = self.attachment_url(a);
                    let _ = write!(
                        self.out,
                        "<span class=\"confluence-embedded-file-wrapper conf-macro output-block\" {ma}><a class=\"confluence-embedded-file\" href=\"{href}\">{}</a></span>",
                        escape_text(&file)
                    );
                }
            }
            "attachments" => {
                let _ = write!(
                    self.out,
                    "<div class=\"plugin_attachments_container conf-macro output-block\" {ma}><table class=\"attachments aui\"><tbody>"
                );
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
                    "<span class=\"conf-macro output-block\" {ma}><a href=\"{url}\">{url}</a></span>"
                );
            }
            "section" => {
                let _ = write!(
                    self.out,
                    "<div class=\"section section-1 conf-macro output-block\" {ma}>"
                );
                self.rich_body(e);
                self.out.push_str("</div>");
            }
            "column" => {
                let w = p("width");
                let _ = write!(
                    self.out,
                    "<div class=\"columnMacro conf-macro output-block\" {ma}{}>",
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

    /// `view`: the empty placeholder Confluence's script fills in the
    /// browser; `export_view`: the server-rendered nested list, which has no
    /// macro attributes (real export views drop them for this macro).
    fn toc(&mut self, e: &Element, ma: &str) {
        let p = |k: &str| e.param(k).unwrap_or_default();
        let min: u8 = p("minLevel").parse().unwrap_or(1).clamp(1, 7);
        let max: u8 = p("maxLevel").parse().unwrap_or(7).clamp(min, 7);
        if !self.absolute {
            let levels: Vec<String> = (min..=max).map(|l| format!("H{l}")).collect();
            let _ = write!(
                self.out,
                "<div class=\"toc-macro client-side-toc-macro conf-macro output-block\" data-headerelements=\"{}\"",
                levels.join(",")
            );
            // Parameters the script reads, under the names real pages use.
            for (param, attr) in [
                ("style", "cssliststyle"),
                ("indent", "csslistindent"),
                ("outline", "numberedoutline"),
                ("type", "structure"),
                ("exclude", "excludeheaderregex"),
                ("include", "includeheaderregex"),
            ] {
                if let Some(v) = e.param(param) {
                    let _ = write!(self.out, " data-{attr}=\"{}\"", escape_text(&v));
                }
            }
            let _ = write!(self.out, " {ma}></div>");
            return;
        }
        let _ = write!(
            self.out,
            "<div class=\"toc-macro rbtoc{}\">",
            self.page.modified_ms()
        );
        let mut open: Vec<u8> = Vec::new();
        for (lvl, id, text) in self.headings.clone() {
            if !(min..=max).contains(&lvl) {
                continue;
            }
            match open.last().copied() {
                None => {
                    self.out.push_str("<ul class=\"toc-indentation\">");
                    open.push(lvl);
                }
                Some(top) if lvl > top => {
                    self.out.push_str("<ul class=\"toc-indentation\">");
                    open.push(lvl);
                }
                Some(_) => {
                    while open.len() > 1 && open.last().is_some_and(|&t| t > lvl) {
                        self.out.push_str("</li></ul>");
                        open.pop();
                    }
                    self.out.push_str("</li>");
                }
            }
            let _ = write!(
                self.out,
                "<li><a href=\"#{}\">{}</a>",
                escape_text(&id),
                escape_text(&text)
            );
        }
        for _ in open {
            self.out.push_str("</li></ul>");
        }
        self.out.push_str("</div>");
    }

    /// The children macro: `page` (another parent), `sort` (creation, title,
    /// modified; default the tree's order), `reverse`, `first`, and how deep:
    /// `depth` levels, or every level with `all=true`, else one.
    fn children(&mut self, e: &Element, ma: &str) {
        let p = |k: &str| e.param(k).unwrap_or_default();
        let parent = e
            .param_el("page")
            .and_then(|pe| pe.child("ac:link"))
            .and_then(|l| l.child("ri:page"))
            .and_then(|ri| {
                let title = decode_entities(ri.attr("ri:content-title").unwrap_or(""));
                self.page_link(ri.attr("ri:space-key"), &title).1
            })
            .and_then(|id| self.ctx.site.node(id))
            .unwrap_or(self.page);
        let depth = match p("depth").parse::<usize>() {
            Ok(d) if d > 0 => d,
            _ if p("all") == "true" => usize::MAX,
            _ => 1,
        };
        let opts = ChildrenOpts {
            sort: p("sort").to_ascii_lowercase(),
            reverse: p("reverse") == "true",
            first: p("first").parse().ok().filter(|&n: &usize| n > 0),
        };
        let _ = write!(
            self.out,
            "<ul class=\"childpages-macro conf-macro output-block\" {ma}>"
        );
        self.child_items(parent, depth, &opts);
        self.out.push_str("</ul>");
    }

    fn child_items(&mut self, parent: &Page, depth: usize, opts: &ChildrenOpts) {
        let mut kids: Vec<&Page> = parent
            .children
            .iter()
            .filter_map(|c| self.ctx.site.node(*c))
            .filter(|c| {
                c.kind == NodeKind::Page
                    && c.status == Status::Current
                    && self.ctx.site.can_read(c, &self.ctx.account)
            })
            .collect();
        match opts.sort.as_str() {
            "creation" => kids.sort_by_key(|c| (c.created_ms, c.id)),
            "title" => kids.sort_by(|a, b| a.title().cmp(b.title())),
            "modified" => kids.sort_by_key(|c| (c.modified_ms(), c.id)),
            _ => {}
        }
        if opts.reverse {
            kids.reverse();
        }
        if let Some(n) = opts.first {
            kids.truncate(n);
        }
        for c in kids {
            let href = self.url(&crate::api::v1::webui(self.ctx, c, c.title()));
            let _ = write!(
                self.out,
                "<li><a href=\"{href}\">{}</a>",
                escape_text(c.title())
            );
            let has_kids = c.children.iter().any(|k| {
                self.ctx
                    .site
                    .node(*k)
                    .is_some_and(|k| k.kind == NodeKind::Page && k.status == Status::Current)
            });
            if depth > 1 && has_kids {
                self.out.push_str("<ul class=\"childpages-macro\">");
                self.child_items(
                    c,
                    depth - 1,
                    &ChildrenOpts {
                        first: None,
                        ..opts.clone()
                    },
                );
                self.out.push_str("</ul>");
            }
            self.out.push_str("</li>");
        }
    }

    /// The page-properties report: a `metadata-summary-macro` table with one
    /// row per matching page (its first `pageSize`; the REST endpoint pages
    /// through the rest).
    fn details_summary(&mut self, e: &Element, ma: &str) {
        let p = |k: &str| e.param(k).unwrap_or_default();
        let spec = crate::page_properties::ReportSpec {
            cql: p("cql"),
            headings: p("headings"),
            sort_by: p("sortBy"),
            reverse: p("reverseSort") == "true",
            current_space: self
                .ctx
                .site
                .spaces
                .get(&self.page.space_id)
                .map(|s| s.key.to_string()),
        };
        let page_size: usize = p("pageSize").parse().ok().filter(|&n| n > 0).unwrap_or(30);
        let first = match p("firstcolumn") {
            f if f.is_empty() => "Title".to_string(),
            f => f,
        };
        let report = crate::page_properties::report(self.ctx, &spec);
        let (headings, lines) = match &report {
            Ok(r) => (r.headings.clone(), &r.lines[..]),
            Err(_) => (spec.chosen_headings(), &[][..]),
        };
        let _ = write!(
            self.out,
            "<div class=\"table-wrap conf-macro output-block\" {ma}><table class=\"metadata-summary-macro\" data-cql=\"{}\" data-headings=\"{}\" data-first-column-heading=\"{}\" data-page-size=\"{page_size}\" data-sort-by=\"{}\" data-reverse-sort=\"{}\" data-current-content-id=\"{}\"><thead><tr><th class=\"confluenceTh\">{}</th>",
            escape_text(&spec.cql),
            escape_text(&headings.join(",")),
            escape_text(&first),
            escape_text(&spec.sort_by),
            spec.reverse,
            self.page.id,
            escape_text(&first),
        );
        for h in &headings {
            let _ = write!(
                self.out,
                "<th class=\"confluenceTh\">{}</th>",
                escape_text(h)
            );
        }
        self.out.push_str("</tr></thead><tbody>");
        for line in lines.iter().take(page_size) {
            let href = self.url(&crate::api::v1::webui(
                self.ctx,
                line.page,
                line.page.title(),
            ));
            let _ = write!(
                self.out,
                "<tr><td class=\"confluenceTd title\"><a href=\"{href}\" data-linked-resource-id=\"{}\" data-linked-resource-type=\"page\">{}</a></td>",
                line.page.id,
                escape_text(line.page.title())
            );
            for v in &line.values {
                self.out.push_str("<td class=\"confluenceTd\">");
                if let Some(nodes) = v {
                    self.out
                        .push_str(&render_nodes(self.ctx, line.page, nodes, self.absolute));
                }
                self.out.push_str("</td>");
            }
            self.out.push_str("</tr>");
        }
        self.out.push_str("</tbody></table></div>");
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
        let ma = self.macro_attrs(e, name);
        let src = self
            .ctx
            .site
            .body_text(target, target.latest())
            .into_owned();
        let tree = storage::parse(&src);
        self.depth += 1;
        let _ = write!(self.out, "<div class=\"conf-macro output-block\" {ma}>");
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

#[derive(Clone)]
struct ChildrenOpts {
    sort: String,
    reverse: bool,
    first: Option<usize>,
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
