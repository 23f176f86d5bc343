//! Links and images: page, blog-post, attachment, user, space, shortcut and
//! anchor links, and embedded images. Their own file because resolving a
//! reference (title → page, file name → attachment, user → account) and the
//! `data-linked-resource-*` attributes real views carry are one job.

use std::fmt::Write as _;

use super::{R, anchor};
use crate::http::{enc_path, slug};
use crate::model::Status;
use crate::render::storage::{Element, Node, decode_entities, escape_text};

impl R<'_, '_> {
    pub(super) fn page_link(&self, space_key: Option<&str>, title: &str) -> (String, Option<u64>) {
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

    pub(super) fn attachment_url(&self, ri: &Element) -> String {
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

    pub(super) fn link(&mut self, e: &Element) {
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

    pub(super) fn image(&mut self, e: &Element) {
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
