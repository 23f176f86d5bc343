//! v2 hierarchy: ancestors, children, direct-children, descendants, folders.

use serde_json::{Value, json};

use super::super::Ctx;
use super::super::errors;
use super::super::pagination::{Cursor, num_key, v2_cursor, v2_limit, v2_list, window};
use super::{VersionJson, parent_type, parse_id, webui};
use crate::http::Resp;
use crate::model::time::iso;
use crate::model::{Id, Node, NodeKind, Status};

/// The node behind a page or folder path, if the caller may see it.
fn visible<'a>(ctx: &Ctx<'a>, id: &str, folder: bool) -> Result<&'a Node, Resp> {
    let want = if folder {
        NodeKind::Folder
    } else {
        NodeKind::Page
    };
    parse_id(id)
        .and_then(|i| ctx.site.node(i))
        .filter(|n| n.kind == want && ctx.site.can_read(n, &ctx.account))
        .ok_or_else(errors::v2_not_found)
}

fn listed(ctx: &Ctx, n: &Node) -> bool {
    matches!(n.status, Status::Current | Status::Archived) && ctx.site.can_read(n, &ctx.account)
}

/// `GET /pages/{id}/ancestors`, `/folders/{id}/ancestors`: the nearest
/// `limit` ancestors, highest first; no cursor.
pub fn ancestors(ctx: &Ctx, id: &str, folder: bool) -> Resp {
    let node = match visible(ctx, id, folder) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let limit = match v2_limit(ctx, 25) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let all = ctx.site.ancestors(node.id);
    let skip = all.len().saturating_sub(limit);
    let results: Vec<Value> = all[skip..]
        .iter()
        .filter_map(|a| ctx.site.node(*a))
        .map(|a| json!({"id": a.id.to_string(), "type": a.kind.as_str()}))
        .collect();
    v2_list(ctx, &results, None)
}

fn child_sort(s: Option<&str>) -> Option<(&'static str, bool)> {
    let s = s.unwrap_or("child-position");
    let (desc, f) = match s.strip_prefix('-') {
        Some(f) => (true, f),
        None => (false, s),
    };
    Some((
        match f {
            "child-position" => "child-position",
            "id" => "id",
            "created-date" => "created-date",
            "modified-date" => "modified-date",
            "title" => "title",
            _ => return None,
        },
        desc,
    ))
}

fn child_key(n: &Node, f: &str) -> String {
    match f {
        "id" => num_key(n.id as i64),
        "created-date" => num_key(n.created_ms),
        "modified-date" => num_key(n.modified_ms()),
        "title" => n.title().to_string(),
        _ => num_key(n.position),
    }
}

fn children_common(ctx: &Ctx, parent: &Node, pages_only: bool, with_type: bool) -> Resp {
    let limit = match v2_limit(ctx, 25) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let Some((field, desc)) = child_sort(ctx.q("sort")) else {
        return errors::v2_bad_request("Invalid sort");
    };
    let sort_name = format!("{}{field}", if desc { "-" } else { "" });
    let cursor = match v2_cursor(ctx, &sort_name) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut all: Vec<&Node> = parent
        .children
        .iter()
        .filter_map(|c| ctx.site.node(*c))
        .filter(|n| listed(ctx, n) && (!pages_only || n.kind == NodeKind::Page))
        .collect();
    all.sort_by_cached_key(|n| (child_key(n, field), n.id));
    if desc {
        all.reverse();
    }
    let (w, more) = window(
        &all,
        |n| (child_key(n, field), n.id),
        desc,
        cursor.as_ref(),
        limit,
    );
    let results: Vec<Value> = w
        .iter()
        .map(|n| {
            if with_type {
                json!({"id": n.id.to_string(), "status": n.status.as_str(), "title": n.title(),
                       "type": n.kind.as_str(), "spaceId": n.space_id.to_string(), "childPosition": n.position})
            } else {
                json!({"id": n.id.to_string(), "status": n.status.as_str(), "title": n.title(),
                       "spaceId": n.space_id.to_string(), "childPosition": n.position})
            }
        })
        .collect();
    let next = more
        .then(|| {
            w.last().map(|n| Cursor {
                sort: sort_name.clone(),
                key: child_key(n, field),
                id: n.id,
            })
        })
        .flatten();
    v2_list(ctx, &results, next)
}

/// `GET /pages/{id}/children` (deprecated; pages only).
pub fn children(ctx: &Ctx, id: &str) -> Resp {
    match visible(ctx, id, false) {
        Ok(n) => children_common(ctx, n, true, false),
        Err(r) => r,
    }
}

/// `GET /pages|folders/{id}/direct-children` (pages and folders).
pub fn direct_children(ctx: &Ctx, id: &str, folder: bool) -> Resp {
    match visible(ctx, id, folder) {
        Ok(n) => children_common(ctx, n, false, true),
        Err(r) => r,
    }
}

/// `GET /pages|folders/{id}/descendants`: level by level, `depth` 1..=10 (default 2).
pub fn descendants(ctx: &Ctx, id: &str, folder: bool) -> Resp {
    let node = match visible(ctx, id, folder) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let limit = match v2_limit(ctx, 25) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let depth = match ctx.q("depth") {
        None => 2,
        Some(d) => match d.parse::<usize>() {
            Ok(n) if (1..=10).contains(&n) => n,
            _ => return errors::v2_bad_request("depth must be between 1 and 10"),
        },
    };
    let cursor = match v2_cursor(ctx, "tree") {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut all: Vec<(&Node, usize)> = Vec::new();
    let mut level: Vec<Id> = vec![node.id];
    for d in 1..=depth {
        let mut next = Vec::new();
        for p in &level {
            if let Some(pn) = ctx.site.node(*p) {
                for c in &pn.children {
                    if let Some(cn) = ctx.site.node(*c) {
                        if listed(ctx, cn) {
                            all.push((cn, d));
                            next.push(*c);
                        }
                    }
                }
            }
        }
        level = next;
    }
    let key = |x: &(&Node, usize)| (format!("{:02}", x.1), x.0.id);
    let (w, more) = window(&all, key, false, cursor.as_ref(), limit);
    let results: Vec<Value> = w
        .iter()
        .map(|(n, d)| {
            json!({"id": n.id.to_string(), "status": n.status.as_str(), "title": n.title(),
                   "type": n.kind.as_str(), "parentId": n.parent.map(|p| p.to_string()),
                   "depth": d, "childPosition": n.position})
        })
        .collect();
    let next = more
        .then(|| {
            w.last().map(|x| {
                let (k, id) = key(x);
                Cursor {
                    sort: "tree".into(),
                    key: k,
                    id,
                }
            })
        })
        .flatten();
    v2_list(ctx, &results, next)
}

/// `GET /folders/{id}`
pub fn folder(ctx: &Ctx, id: &str) -> Resp {
    let node = match visible(ctx, id, true) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let v = node.latest();
    let mut out = json!({
        "id": node.id.to_string(),
        "type": "folder",
        "status": node.status.as_str(),
        "title": node.title(),
        "parentId": node.parent.map(|p| p.to_string()),
        "parentType": parent_type(ctx, node),
        "position": node.position,
        "authorId": node.author_id,
        "ownerId": node.author_id,
        "createdAt": iso(node.created_ms),
        "spaceId": node.space_id.to_string(),
        "version": VersionJson::of(v),
        "_links": {"webui": webui(ctx, node, node.title()), "base": ctx.base}
    });
    if ctx.req.query.flag("include-direct-children") {
        let kids: Vec<Value> = node
            .children
            .iter()
            .filter_map(|c| ctx.site.node(*c))
            .filter(|n| listed(ctx, n))
            .take(50)
            .map(|n| json!({"id": n.id.to_string(), "status": n.status.as_str(), "title": n.title(), "type": n.kind.as_str(), "spaceId": n.space_id.to_string(), "childPosition": n.position}))
            .collect();
        out["directChildren"] = json!({"results": kids, "meta": {"hasMore": node.children.len() > 50}, "_links": {"self": format!("/wiki/api/v2/folders/{}/direct-children", node.id)}});
    }
    Resp::json(200, &out)
}
