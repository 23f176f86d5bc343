//! Links: `ac:link` with resource identifiers, `<a href>` (with Confluence
//! URLs mapped back to page and attachment references), mentions.

use crate::context::{
    AttachmentRef, ContentId, PageRef, SpaceKey, UserRef, fallback_attachment_path,
    fallback_page_link, site_attachment_link,
};
use crate::options::LinkStyle;
use crate::output::WarningKind;
use crate::parse::{NodeId, Tree};
use crate::render::Renderer;
use crate::render::inline::push_text;
use crate::render::md::Inline;

/// A page reference from an `ri:page` / `ri:blog-post` / `ri:content-entity`.
pub(crate) fn page_ref(t: &Tree, ri: NodeId) -> Option<PageRef> {
    let space = t
        .attr(ri, "ri:space-key")
        .filter(|s| !s.is_empty())
        .map(|s| SpaceKey(s.to_owned()));
    match t.name(ri) {
        "ri:page" => Some(PageRef::Title {
            space,
            title: t.attr(ri, "ri:content-title")?.to_owned(),
        }),
        "ri:blog-post" => Some(PageRef::BlogPost {
            space,
            title: t.attr(ri, "ri:content-title")?.to_owned(),
            posting_day: t.attr(ri, "ri:posting-day").unwrap_or("").to_owned(),
        }),
        "ri:content-entity" => Some(PageRef::Id(ContentId(
            t.attr(ri, "ri:content-id")?.to_owned(),
        ))),
        _ => None,
    }
}

/// An attachment reference from `ri:attachment` (with optional container).
pub(crate) fn attachment_ref(t: &Tree, ri: NodeId) -> Option<AttachmentRef> {
    let filename = t.attr(ri, "ri:filename")?.to_owned();
    let page = t.children(ri).find_map(|c| page_ref(t, c));
    Some(AttachmentRef { filename, page })
}

fn user_ref(t: &Tree, ri: NodeId) -> Option<UserRef> {
    if let Some(a) = t.attr(ri, "ri:account-id") {
        Some(UserRef::AccountId(a.to_owned()))
    } else if let Some(k) = t.attr(ri, "ri:userkey") {
        Some(UserRef::UserKey(k.to_owned()))
    } else {
        t.attr(ri, "ri:username")
            .map(|u| UserRef::Username(u.to_owned()))
    }
}

/// Confluence URL shapes that name a page or attachment.
pub(crate) enum ConfluenceTarget {
    Page(PageRef),
    Attachment(AttachmentRef),
}

pub(crate) fn parse_confluence_url(href: &str) -> Option<ConfluenceTarget> {
    let (path, query) = match href.split_once('?') {
        Some((p, q)) => (p, Some(q.split('#').next().unwrap_or(q))),
        None => (href.split('#').next().unwrap_or(href), None),
    };
    if path.ends_with("/pages/viewpage.action") {
        let q = query?;
        let get = |k: &str| q.split('&').find_map(|kv| kv.strip_prefix(k));
        if let Some(id) = get("pageId=") {
            return (!id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
                .then(|| ConfluenceTarget::Page(PageRef::Id(ContentId(id.to_owned()))));
        }
        let title = get("title=").filter(|t| !t.is_empty())?;
        return Some(ConfluenceTarget::Page(PageRef::Title {
            space: get("spaceKey=")
                .filter(|s| !s.is_empty())
                .map(|s| SpaceKey(crate::url::decode_title(s))),
            title: crate::url::decode_title(title),
        }));
    }
    let segs: Vec<&str> = path.split('/').collect();
    let at = |name: &str| segs.iter().position(|s| *s == name);
    // Tiny links: `/x/CODE` (Share, Copy link), on this site only.
    if (href.starts_with('/') || href.starts_with("http://") || href.starts_with("https://"))
        && let Some(i) = at("x")
        && segs.len() == i + 2
        && let Some(id) = crate::url::tiny_link_id(segs[i + 1])
    {
        return Some(ConfluenceTarget::Page(PageRef::Id(ContentId(
            id.to_string(),
        ))));
    }
    if let Some(i) = at("display")
        && segs.len() == i + 3
        && !segs[i + 1].is_empty()
        && !segs[i + 2].is_empty()
    {
        return Some(ConfluenceTarget::Page(PageRef::Title {
            space: Some(SpaceKey(crate::url::decode_title(segs[i + 1]))),
            title: crate::url::decode_title(segs[i + 2]),
        }));
    }
    if let Some(i) = at("spaces")
        && segs.get(i + 2) == Some(&"pages")
        && let Some(id) = segs.get(i + 3)
        && !id.is_empty()
        && id.chars().all(|c| c.is_ascii_digit())
    {
        return Some(ConfluenceTarget::Page(PageRef::Id(ContentId(
            (*id).to_owned(),
        ))));
    }
    if let Some(i) = at("attachments")
        && i > 0
        && segs[i - 1] == "download"
        && let (Some(id), Some(file)) = (segs.get(i + 1), segs.get(i + 2))
        && id.chars().all(|c| c.is_ascii_digit())
        && !file.is_empty()
    {
        return Some(ConfluenceTarget::Attachment(AttachmentRef {
            filename: crate::url::decode_title(file),
            page: Some(PageRef::Id(ContentId((*id).to_owned()))),
        }));
    }
    None
}

impl Renderer<'_> {
    /// `path` (relative to the site URL) on the site; as it is offline.
    pub(crate) fn on_site(&self, path: String) -> String {
        match &self.site {
            Some(site) => format!("{site}{path}"),
            None => path,
        }
    }

    /// A host-less href (`/wiki/...`) made absolute on the site's origin.
    pub(crate) fn absolute(&self, href: String) -> String {
        match &self.origin {
            Some(o) if href.starts_with('/') && !href.starts_with("//") => format!("{o}{href}"),
            _ => href,
        }
    }

    /// The local link of a page (asked once), and the target to write:
    /// that file, else the page on the site (the offline fallback).
    pub(crate) fn page_target(&mut self, page: &PageRef) -> (Option<String>, String) {
        self.note_page(page);
        let local = self.ctx.page_link(page);
        let target = match &local {
            Some(l) => l.clone(),
            None => self.on_site(fallback_page_link(page, self.current_space.as_ref())),
        };
        (local, target)
    }

    /// The link target for an attachment: the exported file, else the file
    /// on the site (offline: its name).
    pub(crate) fn attachment_target(&mut self, att: &AttachmentRef) -> String {
        self.note_attachment(att);
        if let Some(p) = self.ctx.attachment_path(att) {
            return p;
        }
        match site_attachment_link(att, self.current_id.as_ref(), self.current_space.as_ref()) {
            Some(l) if self.site.is_some() => self.on_site(l),
            _ => fallback_attachment_path(att),
        }
    }

    /// Whether `page` names the page being converted (links to its own
    /// anchors are same-page links).
    fn is_current(&self, page: &PageRef) -> bool {
        match page {
            PageRef::Title { space, title } => {
                self.current_title.as_deref() == Some(title.as_str())
                    && (space.is_none() || space.as_ref() == self.current_space.as_ref())
            }
            PageRef::Id(id) => self.current_id.as_ref() == Some(id),
            PageRef::BlogPost { .. } => false,
        }
    }

    /// A page link in the configured style. An anchor is kept on a link to
    /// this page when it exists here, and on a link to the site; a link to
    /// another exported file goes to the file (its anchors are not known).
    pub(crate) fn page_link_inline(
        &mut self,
        page: &PageRef,
        anchor: Option<&str>,
        children: Vec<Inline>,
    ) -> Inline {
        if let Some(a) = anchor
            && self.is_current(page)
            && let Some(frag) = self.heading_anchor(a)
        {
            self.note_page(page);
            return Inline::Link {
                url: format!("#{frag}"),
                title: String::new(),
                children,
            };
        }
        let (local, target) = self.page_target(page);
        let frag = match (&local, anchor) {
            (None, Some(a)) => Some(format!("#{}", crate::url::encode_component(a))),
            (Some(_), Some(a)) => self.other_page_anchor(page, a).map(|f| format!("#{f}")),
            _ => None,
        };
        match self.opts.link_style {
            LinkStyle::Markdown => Inline::Link {
                url: format!("{target}{}", frag.unwrap_or_default()),
                title: String::new(),
                children,
            },
            // A wiki link names a file of the vault: what is not exported
            // is linked on the site instead.
            LinkStyle::Wiki if local.is_none() && self.site.is_some() => Inline::Link {
                url: format!("{target}{}", frag.unwrap_or_default()),
                title: String::new(),
                children,
            },
            LinkStyle::Wiki => {
                let base = match (local, page.title()) {
                    // Context targets are URLs; wiki links name the file itself.
                    (Some(l), _) => {
                        let l = crate::url::decode(&l);
                        l.strip_suffix(".md").map(str::to_owned).unwrap_or(l)
                    }
                    (None, Some(t)) => t.to_owned(),
                    (None, None) => target,
                };
                let text = crate::render::md::plain(&children);
                let clean = |s: &str| s.replace(['[', ']', '|', '\n'], " ");
                let mut s = format!("[[{}{}", clean(&base), clean(&frag.unwrap_or_default()));
                if !text.is_empty() && text != base {
                    s.push('|');
                    s.push_str(&clean(&text));
                }
                s.push_str("]]");
                Inline::Raw(s)
            }
        }
    }

    /// A same-page anchor as it exists in the Markdown output (percent-
    /// encoded for a link); `None` when the page has no such anchor.
    pub(crate) fn heading_anchor(&self, anchor: &str) -> Option<String> {
        self.anchors.resolve(anchor)
    }

    /// An anchor on another exported page, as its written file has it:
    /// found in its storage (which the exporter supplies, as for an
    /// include, and records so a change to that page rewrites this link).
    /// `None` when the page is not at hand or has no such anchor.
    fn other_page_anchor(&mut self, page: &PageRef, anchor: &str) -> Option<String> {
        if !self.other_anchors.contains_key(page) {
            let storage = self.ctx.page_body(page)?;
            let parsed = crate::parse::parse(&storage);
            let title = page.title().map(crate::render::one_line);
            let (mut anchors, _) =
                crate::render::anchors::Anchors::scan(&parsed.tree, title.as_deref());
            anchors.set_title(page.title().map(str::to_owned));
            self.other_anchors.insert(page.clone(), anchors);
        }
        let found = self.other_anchors[page].resolve(anchor);
        if found.is_none() {
            self.warn(
                WarningKind::Unresolved,
                format!("anchor `{anchor}` is not on the linked page; linked to the page"),
            );
        }
        found
    }

    pub(crate) fn ac_link(&mut self, t: &Tree, c: NodeId, run: &mut Vec<Inline>) {
        let mut body: Vec<Inline> = Vec::new();
        if let Some(b) = t.child(c, "ac:plain-text-link-body") {
            push_text(&mut body, &t.text_content(b));
        } else if let Some(b) = t.child(c, "ac:link-body") {
            body = self.inlines(t, b);
            strip_links(&mut body);
        }
        crate::render::inline::trim(&mut body);
        let anchor = t.attr(c, "ac:anchor").filter(|a| !a.is_empty());
        let ri = t.children(c).find(|&x| t.name(x).starts_with("ri:"));
        let Some(ri) = ri else {
            // Same-page anchor link.
            if let Some(a) = anchor {
                let a = a.to_owned();
                if body.is_empty() {
                    body.push(Inline::Text(a.clone()));
                }
                match self.heading_anchor(&a) {
                    Some(frag) => run.push(Inline::Link {
                        url: format!("#{frag}"),
                        title: String::new(),
                        children: body,
                    }),
                    None => {
                        self.warn(
                            WarningKind::Unresolved,
                            format!("anchor `{a}` is not on this page; link text kept"),
                        );
                        run.extend(body);
                    }
                }
            } else {
                run.extend(body);
            }
            return;
        };
        match t.name(ri) {
            "ri:page" | "ri:blog-post" | "ri:content-entity" => {
                let Some(page) = page_ref(t, ri) else {
                    run.extend(body);
                    return;
                };
                if body.is_empty() {
                    let text = page.title().map(str::to_owned).unwrap_or_else(|| {
                        format!(
                            "page {}",
                            match &page {
                                PageRef::Id(id) => id.0.clone(),
                                _ => String::new(),
                            }
                        )
                    });
                    body.push(Inline::Text(text));
                }
                if self.ctx.page_link(&page).is_none() {
                    self.warn(
                        WarningKind::Unresolved,
                        format!("link to page {page} not resolved"),
                    );
                }
                let l = self.page_link_inline(&page, anchor, body);
                run.push(l);
            }
            "ri:attachment" => {
                let Some(att) = attachment_ref(t, ri) else {
                    run.extend(body);
                    return;
                };
                if body.is_empty() {
                    body.push(Inline::Text(att.filename.clone()));
                }
                if self.ctx.attachment_path(&att).is_none() {
                    self.warn(
                        WarningKind::Unresolved,
                        format!("attachment `{}` not exported", att.filename),
                    );
                }
                let url = self.attachment_target(&att);
                run.push(Inline::Link {
                    url,
                    title: String::new(),
                    children: body,
                });
            }
            "ri:user" => {
                let name = match user_ref(t, ri) {
                    Some(u) => self
                        .ctx
                        .user_name(&u)
                        .unwrap_or_else(|| format!("Unknown user ({})", u.id())),
                    None => "Unknown user".into(),
                };
                if body.is_empty() && self.in_properties > 0 {
                    // A property value is data (front matter, queries):
                    // the name alone.
                    push_text(run, &name);
                } else if body.is_empty() {
                    push_text(run, &format!("@{name}"));
                } else {
                    run.extend(body);
                }
            }
            "ri:space" => {
                let key = t.attr(ri, "ri:space-key").unwrap_or("").to_owned();
                if body.is_empty() {
                    body.push(Inline::Text(key.clone()));
                }
                let url = match self.ctx.space_link(&SpaceKey(key.clone())) {
                    Some(l) => l,
                    None => {
                        self.on_site(format!("/display/{}", crate::url::encode_component(&key)))
                    }
                };
                run.push(Inline::Link {
                    url,
                    title: String::new(),
                    children: body,
                });
            }
            "ri:url" => {
                let url = t.attr(ri, "ri:value").unwrap_or("").trim().to_owned();
                if body.is_empty() {
                    body.push(Inline::Text(url.clone()));
                }
                match self.href_target(url) {
                    Some(url) => run.push(Inline::Link {
                        url,
                        title: String::new(),
                        children: body,
                    }),
                    None => run.extend(body),
                }
            }
            "ri:shortcut" => {
                let key = t.attr(ri, "ri:key").unwrap_or("");
                let param = t.attr(ri, "ri:parameter").unwrap_or("");
                if body.is_empty() {
                    push_text(run, &format!("{param}@{key}"));
                } else {
                    run.extend(body);
                }
            }
            _ => run.extend(body),
        }
    }

    pub(crate) fn html_link(&mut self, t: &Tree, c: NodeId, run: &mut Vec<Inline>) {
        let href = t.attr(c, "href").unwrap_or("").trim().to_owned();
        let mut body = self.inlines(t, c);
        strip_links(&mut body);
        crate::render::inline::trim(&mut body);
        // A rendered mention (report cells are Confluence's rendering) in
        // a property value: the name alone, as in the front matter; the
        // flavours render it differently (`@Name` to `/people/…`, `Name`
        // to `/display/~user`), the value is the same.
        if self.in_properties > 0
            && t.attr(c, "class")
                .is_some_and(|k| k.split_whitespace().any(|w| w == "confluence-userlink"))
        {
            let name = crate::render::md::plain(&body);
            crate::render::inline::push_text(run, name.trim().trim_start_matches('@'));
            return;
        }
        if href.is_empty() {
            // `<a name="x">` anchors and empty links: keep an anchor and the text.
            if let Some(id) = t.attr(c, "name").or_else(|| t.attr(c, "id")) {
                run.push(Inline::Html(format!(
                    "<a id=\"{}\"></a>",
                    crate::render::md::html_escape(id)
                )));
            }
            run.extend(body);
            return;
        }
        let bare_url = body.is_empty() || crate::render::md::plain(&body) == href;
        let native = native_content(&href);
        if let Some((kind, id)) = native
            && bare_url
        {
            body = vec![Inline::Text(format!("{} {id}", capitalised(kind)))];
        }
        if body.is_empty() {
            body.push(Inline::Text(href.clone()));
        }
        if let Some((kind, _)) = native {
            self.warn(
                WarningKind::Degraded,
                format!("a Confluence {kind} is linked, not exported: it has no Markdown form"),
            );
        }
        let note = native.map(|(kind, _)| {
            Inline::Text(format!(
                " (Confluence {kind}: no Markdown form; open it in Confluence)"
            ))
        });
        match self.href_target(href) {
            Some(url) => run.push(Inline::Link {
                url,
                title: String::new(),
                children: body,
            }),
            None => run.extend(body),
        }
        run.extend(note);
    }

    /// Whether `href` has a scheme other than http, https and mailto, so
    /// it may not be linked (`javascript:` and the like would run where
    /// the Markdown is published); warns when so.
    pub(crate) fn refused(&mut self, href: &str) -> bool {
        let Some(scheme) = crate::url::unsafe_scheme(href) else {
            return false;
        };
        self.warn(
            WarningKind::Degraded,
            format!(
                "a `{scheme}:` link or image was dropped, its text kept \
                 (only http, https and mailto links are written)"
            ),
        );
        true
    }

    /// A URL from the page: a Confluence URL of an exported page or file
    /// becomes the relative path; `#anchor` must exist here; whatever else
    /// is host-less is put on the site. `None` for an anchor this page
    /// lacks, or a scheme other than http, https and mailto: the text is
    /// kept, unlinked, with a warning.
    pub(crate) fn href_target(&mut self, href: String) -> Option<String> {
        if let Some(a) = href.strip_prefix('#') {
            let a = crate::url::decode(a);
            let frag = self.heading_anchor(&a);
            if frag.is_none() {
                self.warn(
                    WarningKind::Unresolved,
                    format!("anchor `{a}` is not on this page; link text kept"),
                );
            }
            return frag.map(|f| format!("#{f}"));
        }
        if self.refused(&href) {
            return None;
        }
        Some(match parse_confluence_url(&href) {
            Some(ConfluenceTarget::Page(p)) => {
                self.note_page(&p);
                match self.ctx.page_link(&p) {
                    Some(l) => l,
                    None => self.absolute(href),
                }
            }
            Some(ConfluenceTarget::Attachment(a)) => {
                self.note_attachment(&a);
                match self.ctx.attachment_path(&a) {
                    Some(l) => l,
                    None => self.absolute(href),
                }
            }
            None => self.absolute(href),
        })
    }
}

/// Links cannot nest: keep the inner link's content only.
pub(crate) fn strip_links(inl: &mut Vec<Inline>) {
    let mut out = Vec::with_capacity(inl.len());
    for i in inl.drain(..) {
        match i {
            Inline::Link { mut children, .. } => {
                strip_links(&mut children);
                out.extend(children);
            }
            Inline::Raw(r) => out.push(Inline::Text(r)),
            Inline::Strong(mut c) => {
                strip_links(&mut c);
                out.push(Inline::Strong(c));
            }
            Inline::Emph(mut c) => {
                strip_links(&mut c);
                out.push(Inline::Emph(c));
            }
            Inline::Strike(mut c) => {
                strip_links(&mut c);
                out.push(Inline::Strike(c));
            }
            Inline::Tagged(tag, mut c) => {
                strip_links(&mut c);
                out.push(Inline::Tagged(tag, c));
            }
            other => out.push(other),
        }
    }
    *inl = out;
}

/// Confluence content with no Markdown form that a link (a Smart Link card)
/// points at: `(kind, id)` for `…/whiteboard/ID`, `…/database/ID` and
/// `…/embed/ID` paths (Cloud's whiteboards, databases and Smart Link
/// embeds in the page tree).
fn native_content(href: &str) -> Option<(&'static str, &str)> {
    let path = href.split(['?', '#']).next().unwrap_or("");
    let mut parts = path.rsplit('/').filter(|p| !p.is_empty());
    let id = parts.next()?;
    let kind = match parts.next()? {
        "whiteboard" | "whiteboards" => "whiteboard",
        "database" | "databases" => "database",
        "embed" | "embeds" => "embed",
        _ => return None,
    };
    (path.contains("/wiki/") || path.contains("/spaces/"))
        .then_some(())
        .filter(|()| id.bytes().all(|b| b.is_ascii_digit()))
        .map(|()| (kind, id))
}

fn capitalised(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confluence_urls() {
        assert!(matches!(
            parse_confluence_url("https://x/wiki/pages/viewpage.action?pageId=123"),
            Some(ConfluenceTarget::Page(PageRef::Id(ContentId(ref s)))) if s == "123"
        ));
        assert!(matches!(
            parse_confluence_url("/display/DOC/My+Page"),
            Some(ConfluenceTarget::Page(PageRef::Title { ref title, .. })) if title == "My Page"
        ));
        assert!(matches!(
            parse_confluence_url("https://s.atlassian.net/wiki/spaces/QM/pages/1454342158/Identity+Providers#x"),
            Some(ConfluenceTarget::Page(PageRef::Id(ContentId(ref s)))) if s == "1454342158"
        ));
        assert!(matches!(
            parse_confluence_url("/download/attachments/42/a%20b.png?version=1"),
            Some(ConfluenceTarget::Attachment(AttachmentRef { ref filename, .. })) if filename == "a b.png"
        ));
        assert!(parse_confluence_url("https://example.com/x").is_none());
    }
}
