//! v1 content: `/content`, `/content/{id}`, children, descendants, labels.

use serde_json::{Value, json};

use super::super::Ctx;
use super::super::errors;
use super::super::pagination::{v1_envelope, v1_window};
use super::{Expand, attachment_content, content_json};
use crate::http::Resp;
use crate::model::{Id, Node, NodeKind, Status};

/// Listed in v1 collections: current (or archived) and readable.
pub fn listed(ctx: &Ctx, n: &Node) -> bool {
    matches!(n.status, Status::Current | Status::Archived) && ctx.site.can_read(n, &ctx.account)
}

fn statuses(ctx: &Ctx, default: &[Status]) -> Vec<Status> {
    let l = ctx.req.query.list("status");
    if l.is_empty() {
        return default.to_vec();
    }
    let mut out = Vec::new();
    for s in l {
        if s == "any" {
            out.extend([Status::Current, Status::Archived, Status::Trashed]);
        } else if let Some(st) = Status::parse(&s) {
            out.push(st);
        }
    }
    out
}

/// Answers with a page of `items` rendered by `render`.
fn paged<T>(
    ctx: &Ctx,
    items: &[T],
    default: usize,
    max: usize,
    render: impl Fn(&T) -> Value,
) -> Resp {
    let (start, limit) = match v1_window(ctx, default, max) {
        Ok(w) => w,
        Err(r) => return r,
    };
    let end = (start + limit).min(items.len());
    let page: Vec<Value> = if start < items.len() {
        items[start..end].iter().map(render).collect()
    } else {
        vec![]
    };
    let more = end < items.len();
    Resp::listing(&v1_envelope(ctx, page, start, limit, more))
}

/// `GET /content?spaceKey=&title=&type=&status=` (default expand space,history,version).
pub fn list(ctx: &Ctx) -> Resp {
    let q = &ctx.req.query;
    let kind = match q.get("type").unwrap_or("page") {
        "page" => Some(NodeKind::Page),
        "blogpost" => Some(NodeKind::BlogPost),
        _ => None,
    };
    // Blog posts: `postingDay=YYYY-MM-DD` narrows to one day.
    let day = q.get("postingDay").map(|d| d.replace('-', "/"));
    let ex = Expand::parse(ctx, "space,history,version");
    let space = match q.get("spaceKey") {
        Some(k) => match ctx.site.space_by_key(k) {
            Some(s) => Some(s.id),
            None => return paged::<&Node>(ctx, &[], 25, 1000, |_| Value::Null),
        },
        None => None,
    };
    let st = statuses(ctx, &[Status::Current]);
    let title = q.get("title");
    let items: Vec<&Node> = if kind.is_none() {
        vec![]
    } else if let (Some(s), Some(t), Some(NodeKind::Page)) = (space, title, kind) {
        ctx.site
            .by_title(s, t)
            .and_then(|id| ctx.site.page(id))
            .into_iter()
            .collect()
    } else {
        let iter: Box<dyn Iterator<Item = &Node>> = match space {
            Some(s) => Box::new(
                ctx.site
                    .space_nodes
                    .get(&s)
                    .into_iter()
                    .flatten()
                    .filter_map(|id| ctx.site.node(*id)),
            ),
            None => Box::new(ctx.site.nodes.values()),
        };
        iter.filter(|n| title.is_none_or(|t| n.title() == t))
            .collect()
    };
    let items: Vec<&Node> = items
        .into_iter()
        .filter(|n| {
            Some(n.kind) == kind
                && st.contains(&n.status)
                && ctx.site.can_read(n, &ctx.account)
                && day
                    .as_ref()
                    .is_none_or(|d| crate::model::time::posting_day(n.created_ms) == *d)
        })
        .collect();
    paged(ctx, &items, 25, 1000, |n| {
        content_json(ctx, n, n.latest(), &ex, false)
    })
}

/// A node the caller may see by id (pages and folders), or the v1 404.
pub fn visible_node<'a>(ctx: &Ctx<'a>, id: &str) -> Result<&'a Node, Resp> {
    id.parse::<Id>()
        .ok()
        .and_then(|i| ctx.site.node(i))
        .filter(|n| ctx.site.can_read(n, &ctx.account))
        .ok_or_else(|| errors::v1_content_not_found(ctx.state, id))
}

/// `GET /content/{id}?expand=&status=&version=`
pub fn get(ctx: &Ctx, id: &str) -> Resp {
    if let Some(aid) = id.strip_prefix("att") {
        let ex = Expand::parse(ctx, "");
        return match aid
            .parse::<Id>()
            .ok()
            .and_then(|a| ctx.site.attachments.get(&a))
        {
            Some(a)
                if ctx
                    .site
                    .node(a.page_id)
                    .is_some_and(|p| ctx.site.can_read(p, &ctx.account)) =>
            {
                Resp::json(200, &attachment_content(ctx, a, a.latest(), &ex))
            }
            _ => errors::v1_content_not_found(ctx.state, id),
        };
    }
    let n = match visible_node(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let st = statuses(ctx, &[Status::Current, Status::Archived]);
    let v = match ctx.q("version") {
        None | Some("") => n.latest(),
        Some(x) => match x.parse::<u32>().ok().and_then(|k| n.version(k)) {
            Some(v) => v,
            None => return errors::v1_content_not_found(ctx.state, id),
        },
    };
    if v.number == n.version_number() && !st.contains(&n.status) {
        return errors::v1_content_not_found(ctx.state, id);
    }
    let ex = Expand::parse(ctx, "");
    Resp::json(200, &content_json(ctx, n, v, &ex, true))
}

/// `GET /content/{id}/child/page` (position order).
pub fn child_pages(ctx: &Ctx, id: &str) -> Resp {
    let n = match visible_node(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let ex = Expand::parse(ctx, "");
    let kids: Vec<&Node> = n
        .children
        .iter()
        .filter_map(|c| ctx.site.node(*c))
        .filter(|c| c.kind == NodeKind::Page && listed(ctx, c))
        .collect();
    paged(ctx, &kids, 25, 1000, |c| {
        content_json(ctx, c, c.latest(), &ex, false)
    })
}

/// `GET /content/{id}/child/attachment?filename=&mediaType=` (default limit 50).
pub fn child_attachments(ctx: &Ctx, id: &str) -> Resp {
    let n = match visible_node(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let ex = Expand::parse(ctx, "");
    let filename = ctx.q("filename");
    let media = ctx.q("mediaType");
    let atts: Vec<_> = n
        .attachments
        .iter()
        .rev()
        .filter_map(|a| ctx.site.attachments.get(a))
        .filter(|a| a.status == Status::Current)
        .filter(|a| filename.is_none_or(|f| f == &*a.filename))
        .filter(|a| media.is_none_or(|m| m == &*a.media_type))
        .collect();
    paged(ctx, &atts, 50, 1000, |a| {
        attachment_content(ctx, a, a.latest(), &ex)
    })
}

fn walk<'a>(ctx: &Ctx<'a>, n: &'a Node, depth: usize, max: usize, out: &mut Vec<&'a Node>) {
    if depth > max {
        return;
    }
    for c in &n.children {
        if let Some(cn) = ctx.site.node(*c) {
            if listed(ctx, cn) {
                if cn.kind == NodeKind::Page {
                    out.push(cn);
                }
                walk(ctx, cn, depth + 1, max, out);
            }
        }
    }
}

/// `GET /content/{id}/descendant/page?depth=all|root|N`
pub fn descendant_pages(ctx: &Ctx, id: &str) -> Resp {
    let n = match visible_node(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let max = match ctx.q("depth") {
        None | Some("all") => usize::MAX,
        Some("root") => 1,
        Some(d) => match d.parse::<usize>() {
            Ok(k) if (1..=100).contains(&k) => k,
            _ => return errors::v1_bad_request(ctx.state, "depth must be all, root or 1..100"),
        },
    };
    let ex = Expand::parse(ctx, "");
    let mut out = Vec::new();
    walk(ctx, n, 1, max, &mut out);
    let cap = if ex
        .bodies()
        .iter()
        .any(|b| b == "export_view" || b == "styled_view")
    {
        25
    } else {
        1000
    };
    paged(ctx, &out, 25, cap, |c| {
        content_json(ctx, c, c.latest(), &ex, false)
    })
}

/// `GET /content/{id}/descendant`: a summary keyed by type.
pub fn descendants(ctx: &Ctx, id: &str) -> Resp {
    let n = match visible_node(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let mut out = Vec::new();
    walk(ctx, n, 1, usize::MAX, &mut out);
    let ex = Expand::parse(ctx, "");
    let results: Vec<Value> = out
        .iter()
        .take(25)
        .map(|c| content_json(ctx, c, c.latest(), &ex, false))
        .collect();
    Resp::json(
        200,
        &json!({
            "page": {"results": results, "start": 0, "limit": 25, "size": results.len(),
                     "_links": {"self": format!("{}/rest/api/content/{}/descendant/page", ctx.base, n.id)}},
            "_expandable": {"attachment": format!("/rest/api/content/{}/descendant/attachment", n.id),
                            "comment": format!("/rest/api/content/{}/descendant/comment", n.id)},
            "_links": {"base": ctx.base, "context": ctx.context,
                       "self": format!("{}/rest/api/content/{}/descendant", ctx.base, n.id)}
        }),
    )
}

/// `GET /content/{id}/label`
pub fn labels(ctx: &Ctx, id: &str) -> Resp {
    let n = match visible_node(ctx, id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let prefix = ctx.q("prefix");
    let items: Vec<_> = n
        .labels
        .iter()
        .filter(|l| prefix.is_none_or(|p| p == l.prefix))
        .collect();
    paged(
        ctx,
        &items,
        200,
        1000,
        |l| json!({"prefix": l.prefix, "name": l.name, "id": l.id.to_string(), "label": l.name}),
    )
}
