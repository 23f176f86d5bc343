//! Page comments: v1 `/content/{id}/child/comment` (`location`, `depth=all`),
//! v1 CQL `type = comment` (through `v1::search`), and on Cloud v2
//! `/pages/{id}/footer-comments`, `/pages/{id}/inline-comments` and
//! `/{footer,inline}-comments/{id}/children`.
//!
//! Only comments on current pages the caller can read are served. A reply's
//! location is its thread's; a thread's resolution lives on its first comment.
use serde_json::{Map, Value, json};

use super::Ctx;
use super::cql::{self, Query};
use super::errors;
use super::pagination::{
    Cursor, num_key, v1_envelope, v1_window, v2_cursor, v2_limit, v2_list, window,
};
use super::v1::{Expand, user_by_id, webui};
use crate::http::Resp;
use crate::model::comments::{Comment, Location, Resolution};
use crate::model::time::{date, iso};
use crate::model::{Id, Node, NodeKind, Site, Status};

/// The page of a comment, if the caller may see it.
fn visible_page<'a>(site: &'a Site, c: &Comment, account: &str) -> Option<&'a Node> {
    site.node(c.page_id).filter(|n| {
        matches!(n.kind, NodeKind::Page | NodeKind::BlogPost)
            && n.status == Status::Current
            && site.can_read(n, account)
    })
}

/// The first comment of `c`'s thread (the one carrying the resolution).
fn thread_root<'a>(site: &'a Site, c: &'a Comment) -> &'a Comment {
    let mut cur = c;
    for _ in 0..site.comments.len() {
        match cur.parent.and_then(|p| site.comments.get(&p)) {
            Some(p) => cur = p,
            None => break,
        }
    }
    cur
}

/// Parent comments, root first.
fn ancestors<'a>(site: &'a Site, c: &'a Comment) -> Vec<&'a Comment> {
    let mut out = Vec::new();
    let mut cur = c;
    while let Some(p) = cur.parent.and_then(|p| site.comments.get(&p)) {
        if out.len() > site.comments.len() {
            break;
        }
        out.push(p);
        cur = p;
    }
    out.reverse();
    out
}

/// The body as the flavour stores it (user keys on Data Center).
fn body_text<'a>(ctx: &Ctx, c: &'a Comment) -> std::borrow::Cow<'a, str> {
    match ctx
        .site
        .data_center
        .then(|| crate::site::flavor::dc_storage(&c.body))
        .flatten()
    {
        Some(dc) => std::borrow::Cow::Owned(dc),
        None => std::borrow::Cow::Borrowed(&*c.body),
    }
}

fn comment_webui(ctx: &Ctx, page: &Node, c: &Comment) -> String {
    let page_link = webui(ctx, page, page.title());
    let sep = if page_link.contains('?') { '&' } else { '?' };
    format!("{page_link}{sep}focusedCommentId={}#comment-{}", c.id, c.id)
}

fn stub(ctx: &Ctx, page: &Node, c: &Comment) -> Value {
    json!({
        "id": c.id.to_string(),
        "type": "comment",
        "status": "current",
        "title": Comment::title(page.title()),
        "_links": {
            "webui": comment_webui(ctx, page, c),
            "self": format!("{}/rest/api/content/{}", ctx.base, c.id)
        }
    })
}

/// `extensions` of a v1 comment: location, and for inline threads the
/// highlighted text and resolution.
fn extensions(ctx: &Ctx, c: &Comment) -> Value {
    let mut m = Map::new();
    m.insert("location".into(), json!(c.location.as_str()));
    if let Location::Inline {
        marker_ref,
        selection,
    } = &c.location
    {
        m.insert(
            "inlineProperties".into(),
            json!({"markerRef": marker_ref, "originalSelection": selection}),
        );
        let root = thread_root(ctx.site, c);
        let mut r = json!({"status": root.resolution.as_str()});
        if let (Some(by), Some(at)) = (&root.resolution_by, root.resolution_ms) {
            r["lastModifier"] = user_by_id(ctx, by);
            r["lastModifiedDate"] = json!(iso(at));
        }
        m.insert("resolution".into(), r);
    }
    Value::Object(m)
}

/// A v1 Content object of type `comment`.
pub fn v1_json(ctx: &Ctx, page: &Node, c: &Comment, ex: &Expand) -> Value {
    let mut v = stub(ctx, page, c);
    let mut expandable = Map::new();
    if ex.has("container") {
        v["container"] = json!({
            "id": page.id.to_string(),
            "type": page.kind.as_str(),
            "status": page.status.as_str(),
            "title": page.title(),
            "_links": {
                "webui": webui(ctx, page, page.title()),
                "self": format!("{}/rest/api/content/{}", ctx.base, page.id)
            }
        });
    } else {
        expandable.insert(
            "container".into(),
            json!(format!("/rest/api/content/{}", page.id)),
        );
    }
    if ex.has("ancestors") {
        v["ancestors"] = ancestors(ctx.site, c)
            .into_iter()
            .map(|a| stub(ctx, page, a))
            .collect();
    } else {
        expandable.insert("ancestors".into(), json!(""));
    }
    if ex.has("version") {
        v["version"] = json!({
            "by": user_by_id(ctx, &c.modifier_id),
            "when": iso(c.modified_ms),
            "friendlyWhen": date(c.modified_ms),
            "message": "",
            "number": c.version,
            "minorEdit": false,
            "_links": {"self": format!("{}/rest/api/content/{}/version/{}", ctx.base, c.id, c.version)}
        });
    } else {
        expandable.insert("version".into(), json!(""));
    }
    if ex.has("history") {
        v["history"] = json!({
            "latest": true,
            "createdBy": user_by_id(ctx, &c.author_id),
            "createdDate": iso(c.created_ms),
            "_links": {"self": format!("{}/rest/api/content/{}/history", ctx.base, c.id)}
        });
    } else {
        expandable.insert(
            "history".into(),
            json!(format!("/rest/api/content/{}/history", c.id)),
        );
    }
    if ex.bodies().iter().any(|b| b == "storage") {
        v["body"] = json!({
            "storage": {
                "value": body_text(ctx, c),
                "representation": "storage",
                "embeddedContent": [],
                "_expandable": {"content": format!("/rest/api/content/{}", c.id)}
            },
            "_expandable": {"editor": "", "view": "", "export_view": "", "styled_view": "", "dynamic": "", "editor2": "", "anonymous_export_view": "", "atlas_doc_format": ""}
        });
    } else {
        expandable.insert("body".into(), json!(""));
    }
    v["extensions"] = extensions(ctx, c);
    expandable.insert(
        "children".into(),
        json!(format!("/rest/api/content/{}/child", c.id)),
    );
    expandable.insert(
        "descendants".into(),
        json!(format!("/rest/api/content/{}/descendant", c.id)),
    );
    expandable.insert("space".into(), json!(""));
    v["_expandable"] = Value::Object(expandable);
    v
}

/// The comments a CQL `type = comment` query finds, by id: its `space`,
/// `container`/`content` (the page), `id`, `creator` and `type` are matched.
pub fn search_ids(site: &Site, q: &Query, account: &str) -> Vec<(Id, bool)> {
    site.comments
        .values()
        .filter_map(|c| Some((c, visible_page(site, c, account)?)))
        .filter(|(c, page)| {
            let key = site.spaces.get(&page.space_id).map(|s| &*s.key);
            cql::matches_fields(q, &|field: &str, value: &str| match field {
                "type" => value.eq_ignore_ascii_case("comment"),
                "space" => key == Some(value),
                "container" | "content" => value.parse() == Ok(page.id),
                "id" => value.parse() == Ok(c.id),
                "creator" => *c.author_id == *value,
                _ => false,
            })
        })
        .map(|(c, _)| (c.id, false))
        .collect()
}

/// A comment found by [`search_ids`], as a v1 Content object.
pub fn search_result(ctx: &Ctx, id: Id, ex: &Expand) -> Option<Value> {
    let c = ctx.site.comments.get(&id)?;
    let page = visible_page(ctx.site, c, &ctx.account)?;
    Some(v1_json(ctx, page, c, ex))
}

/// A comment found by [`search_ids`], as a `/search` SearchResult.
pub fn search_wrapper(ctx: &Ctx, id: Id, ex: &Expand) -> Option<Value> {
    let c = ctx.site.comments.get(&id)?;
    let page = visible_page(ctx.site, c, &ctx.account)?;
    let content = v1_json(ctx, page, c, ex);
    let space = ctx.site.spaces.get(&page.space_id);
    let mut crumbs = ctx.site.ancestors(page.id);
    crumbs.push(page.id);
    let breadcrumbs: Vec<Value> = crumbs
        .iter()
        .filter_map(|a| ctx.site.node(*a))
        .map(|a| json!({"label": a.title(), "url": webui(ctx, a, a.title()), "separator": "/"}))
        .collect();
    Some(json!({
        "title": content["title"].clone(),
        "excerpt": "",
        "url": content["_links"]["webui"].clone(),
        "content": content,
        "resultGlobalContainer": {
            "title": space.map(|s| s.name.to_string()).unwrap_or_default(),
            "displayUrl": space.map(|s| format!("/spaces/{}", s.key)).unwrap_or_default()
        },
        "breadcrumbs": breadcrumbs,
        "entityType": "content",
        "iconCssClass": "aui-icon content-type-comment",
        "lastModified": iso(c.modified_ms),
        "friendlyLastModified": date(c.modified_ms),
        "score": 0.0
    }))
}

/// Which locations a v1 `location` filter keeps: `footer`, `inline` (open
/// inline threads), `resolved` (resolved inline threads); none = all.
fn location_kept(site: &Site, c: &Comment, wanted: &[String]) -> bool {
    if wanted.is_empty() {
        return true;
    }
    let resolved = thread_root(site, c).resolution == Resolution::Resolved;
    wanted.iter().any(|w| match (w.as_str(), &c.location) {
        ("footer", Location::Footer) => true,
        ("inline", Location::Inline { .. }) => !resolved,
        ("resolved", Location::Inline { .. }) => resolved,
        _ => false,
    })
}

/// A page's comments in thread order (each thread: its comment, then its
/// replies, oldest first); `all` includes replies at any depth.
fn threads(site: &Site, page: Id, all: bool) -> Vec<&Comment> {
    fn visit<'a>(of: &[&'a Comment], parent: Option<Id>, all: bool, out: &mut Vec<&'a Comment>) {
        for c in of.iter().filter(|c| c.parent == parent) {
            out.push(c);
            if all && out.len() <= of.len() {
                visit(of, Some(c.id), all, out);
            }
        }
    }
    let mine: Vec<&Comment> = site
        .comments
        .values()
        .filter(|c| c.page_id == page)
        .collect();
    let mut out = Vec::new();
    visit(&mine, None, all, &mut out);
    out
}

/// `GET /content/{id}/child/comment?location=&depth=all&expand=` (default limit 25).
pub fn v1_child_comments(ctx: &Ctx, id: &str) -> Resp {
    let page = match id
        .parse::<Id>()
        .ok()
        .and_then(|i| ctx.site.node(i))
        .filter(|n| ctx.site.can_read(n, &ctx.account))
    {
        Some(n) => n,
        None => return errors::v1_content_not_found(ctx.state, id),
    };
    let (start, limit) = match v1_window(ctx, 25, if ctx.cloud() { 100 } else { 200 }) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let ex = Expand::parse(ctx, "");
    let wanted = ctx.req.query.list("location");
    let all = ctx.q("depth") == Some("all");
    let items: Vec<&Comment> = threads(ctx.site, page.id, all)
        .into_iter()
        .filter(|c| location_kept(ctx.site, c, &wanted))
        .collect();
    let end = (start + limit).min(items.len());
    let results: Vec<Value> = items
        .get(start..end)
        .unwrap_or_default()
        .iter()
        .map(|c| v1_json(ctx, page, c, &ex))
        .collect();
    Resp::listing(&v1_envelope(ctx, results, start, limit, end < items.len()))
}

/// A v2 comment (`PageCommentModel`, `PageInlineCommentModel`,
/// `ChildrenCommentModel`, `InlineCommentChildrenModel`).
fn v2_json(ctx: &Ctx, page: &Node, c: &Comment, body: bool) -> Value {
    let mut v = json!({
        "id": c.id.to_string(),
        "status": "current",
        "title": Comment::title(page.title()),
        "version": {
            "createdAt": iso(c.modified_ms),
            "message": "",
            "number": c.version,
            "minorEdit": false,
            "authorId": &*c.modifier_id
        },
        "body": {},
        "_links": {"webui": comment_webui(ctx, page, c)}
    });
    match c.parent {
        Some(p) => v["parentCommentId"] = json!(p.to_string()),
        None => {
            v["pageId"] = json!(page.id.to_string());
        }
    }
    if body {
        v["body"] = json!({"storage": {"representation": "storage", "value": body_text(ctx, c)}});
    }
    if let Location::Inline {
        marker_ref,
        selection,
    } = &c.location
    {
        v["resolutionStatus"] = json!(thread_root(ctx.site, c).resolution.as_str());
        v["properties"] =
            json!({"inlineMarkerRef": marker_ref, "inlineOriginalSelection": selection});
    }
    v
}

fn v2_body(ctx: &Ctx) -> Result<bool, Resp> {
    match ctx.q("body-format") {
        None => Ok(false),
        Some("storage") => Ok(true),
        Some(f) => Err(errors::v2_bad_request(&format!("Invalid body-format: {f}"))),
    }
}

/// One v2 listing: `items` ordered by creation, cursor-paged.
fn v2_page(ctx: &Ctx, page: &Node, items: Vec<&Comment>) -> Resp {
    let body = match v2_body(ctx) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let limit = match v2_limit(ctx, 25) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let cursor = match v2_cursor(ctx, "created-date") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let key = |c: &&Comment| (num_key(c.created_ms), c.id);
    let mut items = items;
    items.sort_by_key(key);
    let (shown, more) = window(&items, key, false, cursor.as_ref(), limit);
    let next = more.then(|| {
        let last = shown.last().expect("a page with more has items");
        Cursor {
            sort: "created-date".into(),
            key: num_key(last.created_ms),
            id: last.id,
        }
    });
    let results: Vec<Value> = shown.iter().map(|c| v2_json(ctx, page, c, body)).collect();
    v2_list(ctx, &results, next)
}

/// `GET /pages/{id}/footer-comments` and `/pages/{id}/inline-comments`:
/// top-level comments (inline ones filtered by `resolution-status`).
pub fn v2_page_comments(ctx: &Ctx, id: &str, inline: bool) -> Resp {
    let page = match super::v2::pages::visible_page(ctx, id) {
        Ok(p) => p,
        Err(r) => return r,
    };
    let statuses = ctx.req.query.list("resolution-status");
    let items: Vec<&Comment> = ctx
        .site
        .comments
        .values()
        .filter(|c| c.page_id == page.id && c.parent.is_none())
        .filter(|c| matches!(c.location, Location::Inline { .. }) == inline)
        .filter(|c| statuses.is_empty() || statuses.iter().any(|s| s == c.resolution.as_str()))
        .collect();
    v2_page(ctx, page, items)
}

/// `GET /footer-comments/{id}/children` and `/inline-comments/{id}/children`.
pub fn v2_children(ctx: &Ctx, id: &str, inline: bool) -> Resp {
    let Some(parent) = id
        .parse::<Id>()
        .ok()
        .and_then(|i| ctx.site.comments.get(&i))
        .filter(|c| matches!(c.location, Location::Inline { .. }) == inline)
    else {
        return errors::v2_not_found();
    };
    let Some(page) = visible_page(ctx.site, parent, &ctx.account) else {
        return errors::v2_not_found();
    };
    let items: Vec<&Comment> = ctx
        .site
        .comments
        .values()
        .filter(|c| c.parent == Some(parent.id))
        .collect();
    v2_page(ctx, page, items)
}
