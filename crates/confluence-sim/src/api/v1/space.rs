//! v1 spaces: `/space`, `/space/{key}`, `/space/{key}/content`.

use serde_json::{Value, json};

use super::super::Ctx;
use super::super::errors;
use super::super::pagination::{v1_envelope, v1_window};
use super::content::listed;
use super::{Expand, content_json, space_json};
use crate::http::Resp;
use crate::model::{Node, NodeKind, Space};

/// `GET /space?spaceKey=&type=&status=` (limit clamped to 1000).
pub fn list(ctx: &Ctx) -> Resp {
    let q = &ctx.req.query;
    let (start, limit) = match v1_window(ctx, 25, 1000) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let keys = q.list("spaceKey");
    let ids = q.list("spaceId");
    let ex = Expand::parse(ctx, "");
    let all: Vec<&Space> = ctx
        .site
        .spaces
        .values()
        .filter(|s| keys.is_empty() || keys.iter().any(|k| **k == *s.key))
        .filter(|s| ids.is_empty() || ids.iter().any(|k| *k == s.id.to_string()))
        .filter(|s| q.get("type").is_none_or(|t| t == &*s.kind))
        .filter(|s| q.get("status").is_none_or(|t| t == &*s.status))
        .collect();
    let end = (start + limit).min(all.len());
    let page: Vec<Value> = if start < all.len() {
        all[start..end]
            .iter()
            .map(|s| space_json(ctx, s, &ex))
            .collect()
    } else {
        vec![]
    };
    Resp::listing(&v1_envelope(ctx, page, start, limit, end < all.len()))
}

/// `GET /space/{key}?expand=homepage,description.plain`
pub fn get(ctx: &Ctx, key: &str) -> Resp {
    match ctx.site.space_by_key(key) {
        Some(s) => {
            let mut v = space_json(ctx, s, &Expand::parse(ctx, ""));
            v["_links"]["base"] = json!(ctx.base);
            v["_links"]["context"] = json!(ctx.context);
            Resp::json(200, &v)
        }
        None => errors::v1(ctx.state, 404, format!("No space found with key : {key}")),
    }
}

/// `GET /space/{key}/content?depth=all|root`: its pages and its blog posts,
/// each an envelope of its own, paged alike.
pub fn content(ctx: &Ctx, key: &str) -> Resp {
    let Some(s) = ctx.site.space_by_key(key) else {
        return errors::v1(ctx.state, 404, format!("No space found with key : {key}"));
    };
    let (start, limit) = match v1_window(ctx, 25, 1000) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let (page, pages) = typed_envelope(ctx, s.id, key, NodeKind::Page, start, limit);
    let (blogpost, posts) = typed_envelope(ctx, s.id, key, NodeKind::BlogPost, start, limit);
    Resp::json(
        200,
        &json!({
            "page": page,
            "blogpost": blogpost,
            "_links": {"base": ctx.base, "context": ctx.context}
        }),
    )
    .with_items(pages + posts)
}

/// `GET /space/{key}/content/{page|blogpost}`: one of those envelopes.
pub fn content_of_type(ctx: &Ctx, key: &str, kind: &str) -> Resp {
    let Some(s) = ctx.site.space_by_key(key) else {
        return errors::v1(ctx.state, 404, format!("No space found with key : {key}"));
    };
    let (start, limit) = match v1_window(ctx, 25, 1000) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let kind = if kind == "blogpost" {
        NodeKind::BlogPost
    } else {
        NodeKind::Page
    };
    let (env, items) = typed_envelope(ctx, s.id, key, kind, start, limit);
    Resp::json(200, &env).with_items(items)
}

/// The space's listed content of one kind (`depth=root`: pages at the
/// top only; blog posts are all at the top), in a v1 envelope, and how
/// many results it holds.
fn typed_envelope(
    ctx: &Ctx,
    space: crate::model::Id,
    key: &str,
    kind: NodeKind,
    start: usize,
    limit: usize,
) -> (Value, usize) {
    let root = ctx.q("depth") == Some("root");
    let ex = Expand::parse(ctx, "");
    let nodes: Vec<&Node> = ctx
        .site
        .space_nodes
        .get(&space)
        .into_iter()
        .flatten()
        .filter_map(|i| ctx.site.node(*i))
        .filter(|n| n.kind == kind && listed(ctx, n) && (!root || n.parent.is_none()))
        .collect();
    let end = (start + limit).min(nodes.len());
    let results: Vec<Value> = if start < nodes.len() {
        nodes[start..end]
            .iter()
            .map(|n| content_json(ctx, n, n.latest(), &ex, false))
            .collect()
    } else {
        vec![]
    };
    let items = results.len();
    let mut env = v1_envelope(ctx, results, start, limit, end < nodes.len());
    env["_links"]["self"] = json!(format!(
        "{}/rest/api/space/{key}/content/{}",
        ctx.base,
        kind.as_str()
    ));
    (env, items)
}
